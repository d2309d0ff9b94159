/* vxlan.h - VXLAN framing (RFC 7348, vxlan.c) and the tunnel port
 * (port_vxlan.c) that carries an overlay network's frames between hosts.
 *
 * The framing functions touch bytes only, so the unit tests and the fuzz
 * harnesses can check them on crafted packets; the port owns the sockets.
 * See overlay.h for the tables the port reads.
 */
#ifndef VS_VXLAN_H
#define VS_VXLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "drop.h"
#include "pkt.h"

struct dp;
struct network;
struct port;
struct overlay_vtep;

#define VXLAN_HLEN 8             /* the VXLAN header */
#define VXLAN_FLAG_VNI 0x08      /* the I flag: the only one allowed */
#define VXLAN_OUTER_LEN 42       /* outer Ethernet 14 + IPv4 20 + UDP 8 */
#define VXLAN_ENCAP_LEN (VXLAN_OUTER_LEN + VXLAN_HLEN)  /* 50 */
/* The tunnel port's sending sockets, each with its own source port. */
#define VXLAN_TX_SOCKS 8
/* Where a received datagram's outer headers start in a packet buffer:
 * 2 bytes before PKT_HEADROOM, so that the inner frame, 50 bytes later,
 * has its IP header on the 4-byte boundary PKT_HEADROOM gives every other
 * port's frame (parse.c reads the headers in place; found by the fuzzer). */
#define VXLAN_RX_HEADROOM (PKT_HEADROOM - VXLAN_ENCAP_LEN % 4)

/* vxlan.c */
void vxlan_hdr_build(uint8_t hdr[VXLAN_HLEN], uint32_t vni);
enum drop_reason vxlan_hdr_parse(const uint8_t *payload, size_t len, uint32_t *vni);
uint8_t *vxlan_outer_build(uint8_t *at, uint32_t src, uint32_t dst, uint16_t sport,
			   uint16_t dport, uint16_t payload);
uint32_t vxlan_flow_hash(const struct pkt *p);
unsigned int vxlan_tx_sock(const struct pkt *p);

/* port_vxlan.c: the tunnel port of a datapath (vswitchd --vtep-ip). */
struct port *port_vxlan_open(struct dp *dp, uint32_t vtep, uint16_t udp_port, char *err,
			     size_t errlen);
unsigned int port_vxlan_mtu(const struct dp *dp);
void port_vxlan_outer_parsed(struct pkt *p);
void vxlan_output(struct network *n, struct pkt *p, const struct overlay_vtep *dst);

/* overlay_l2.c: the tunnel's part of l2_forward() in an overlay network;
 * true if it took the whole frame. */
struct ether_header;
bool overlay_l2_forward(struct network *n, struct pkt *p, const struct ether_header *eth);

#endif
