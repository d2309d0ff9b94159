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

struct ev_loop;
struct port;
struct pkt_batch;
struct endpoint;

/* Open the uplink (SPEC: afpacket:IFACE or tap:NAME), own IP_CIDR, route
 * via GW; also starts conntrack and NAT.  0, or -1 with a one-line ERR. */
int uplink_init(struct ev_loop *loop, const char *spec, const char *ip_cidr,
		const char *gw, char *err, size_t errlen);
void uplink_fini(void);
struct port *uplink_port(void);
const uint8_t *uplink_mac(void);
/* The uplink port's rx handler (port->rx_handler). */
void uplink_rx(struct port *port, struct pkt_batch *b);
/* For `show`: {spec, ip, gateway, mac, port, next_hop_mac}, or NULL. */
struct json_object *uplink_show_json(void);
uint32_t uplink_ip(void);
/* The switch's side of the host leg (proxy.c connects there); 0 if none. */
uint32_t uplink_host_ip(void);
/* Forget learned next hops and drop waiting frames (harnesses' reset). */
void uplink_neigh_flush(void);

/* nat.c: drop the conntrack entries of an endpoint that went away. */
void nat_endpoint_gone(struct endpoint *ep);

/* publish.c */
struct published;
void publish_init(void);
/* Parse a `-p` SPEC (host_port 0 when omitted); 0, or -1 with ERR. */
int publish_parse_spec(const char *spec, struct published *out,
		       char *err, size_t errlen);
int publish_restore_all(void);

/* proxy.c: userspace listeners in vswitchd's namespace */
int proxy_init(struct ev_loop *loop);
int proxy_add(uint8_t proto, uint32_t host_ip, uint16_t host_port,
	      uint16_t count, char *err, size_t errlen);
void proxy_del(uint8_t proto, uint32_t host_ip, uint16_t host_port, uint16_t count);

#endif
