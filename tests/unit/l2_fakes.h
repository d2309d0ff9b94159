/* l2_fakes.h - a tiny fake world for the L2/gateway unit tests.
 *
 * The tests link the L2 stage files with model.c and drop.c only, not
 * port.c, uplink.c or dns.c: the functions those provide are replaced by
 * the recorders in l2_fakes.c, so a test sees exactly which frames went
 * out of which port and which drops were counted.
 */
#ifndef L2_FAKES_H
#define L2_FAKES_H

#include <stdint.h>
#include "dp.h"
#include "model.h"
#include "pipeline.h"
#include "port.h"

#define L2F_MAX_TX 64

struct l2f_tx {
	struct port *port;
	uint32_t len;
	uint32_t flags;
	uint8_t data[2048];
};

extern struct dp l2f_dp;
extern struct l2f_tx l2f_tx[L2F_MAX_TX];
extern unsigned int l2f_n_tx;
extern bool l2f_uplink_present;
extern enum drop_reason l2f_uplink_verdict;
extern uint32_t l2f_uplink_mtu;
extern unsigned int l2f_uplink_calls, l2f_dns_calls, l2f_uplink6_calls;
/* lan.c's uplink (its MAC, what uplink_host_out() was asked) */
extern const uint8_t l2f_uplink_mac[6];
extern unsigned int l2f_host_out_calls;
/* vxlan_output(): each frame sent into the tunnel, with its VTEP */
struct overlay_vtep;
#define L2F_MAX_TUN 16
struct l2f_tun {
	struct network *net;
	union vs_addr vtep;
	uint32_t len;
	uint8_t data[2048];
};
extern struct l2f_tun l2f_tun[L2F_MAX_TUN];
extern unsigned int l2f_n_tun;

/* S, an IPv6 address in text, into the 16 bytes at OUT (aborts if bad) */
void l2f_a6(const char *s, void *out);
void l2f_reset(void);
struct network *l2f_network(const char *name, const char *subnet, int len,
			    const char *gw);
struct endpoint *l2f_endpoint(struct network *n, const char *ctr, const char *ip);
/* Build a frame in P (static buffer per slot) and parse offsets by hand. */
void l2f_frame(struct pkt *p, unsigned int slot, const uint8_t *frame, uint32_t len);
/* Send one frame from EP's port through ingress. */
void l2f_send(struct endpoint *ep, const uint8_t *frame, uint32_t len);
/* Free the fake ports, the learning tables and the model. */
void l2f_teardown(void);
uint32_t l2f_eth_ip(uint8_t *buf, const uint8_t *dmac, const uint8_t *smac,
		    const char *src, const char *dst, uint8_t proto, uint8_t ttl,
		    const void *l4, uint32_t l4len);
uint32_t l2f_arp(uint8_t *buf, uint16_t op, const uint8_t *dmac, const uint8_t *smac,
		 const char *spa, const char *tpa);
uint32_t l2f_ip(const char *s);

#endif
