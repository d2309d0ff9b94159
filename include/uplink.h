/* uplink.h - the switch's foot in the outside world.
 *
 * One frame port (AF_PACKET on an existing interface, or a TAP in
 * vswitchd's own namespace) where the switch owns an IPv4 address: it
 * answers ARP and ICMP echo for it, resolves its next hop by ARP, and
 * passes everything else through conntrack/NAT (nat.h).  The datapath
 * entry points (uplink_route_out, uplink_present) are in pipeline.h.
 */
#ifndef VS_UPLINK_H
#define VS_UPLINK_H

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

struct dp;
struct port;
struct pkt_batch;
struct endpoint;
struct uplink;

/* Open an uplink of DP (SPEC: afpacket:IFACE or tap:NAME), own IP_CIDR,
 * route via GW.  Conntrack and NAT are the datapath's (dp_init), not the
 * uplink's.  The uplink, or NULL with a one-line ERR. */
struct uplink *uplink_open(struct dp *dp, const char *spec, const char *ip_cidr,
			   const char *gw, char *err, size_t errlen);
void uplink_close(struct uplink *ul);
/* uplink6.c: its IPv6 address (--uplink-ip6) and next hop; 0 or -1 with ERR. */
int uplink_set_ip6(struct uplink *ul, const char *cidr, const char *gw, char *err, size_t errlen);
struct port *uplink_port(const struct uplink *ul);
const uint8_t *uplink_mac(const struct uplink *ul);
/* The uplink port's rx handler (port->rx_handler, port->rx_arg = UL). */
void uplink_rx(struct port *port, struct pkt_batch *b);
/* For `show`: {spec, ip, gateway, mac, port, next_hop_mac}, or NULL. */
struct json_object *uplink_show_json(struct uplink *ul);
uint32_t uplink_ip(const struct uplink *ul);
/* DST's prefix length if it is on UL's link, else -1 (dp_uplink_for). */
int uplink_on_link(const struct uplink *ul, uint32_t dst);
/* The switch's side of the host leg (proxy.c connects there); 0 if none. */
uint32_t uplink_host_ip(const struct uplink *ul);
/* Forget learned next hops and drop waiting frames (harnesses' reset). */
void uplink_neigh_flush(struct uplink *ul);

#endif
