/* pipeline.h - the stages a frame passes, in order, and how they hand off.
 *
 *   port rx ─► ingress ─► l2 (fdb) ─► egress ─► port tx
 *                          │  ▲
 *          gateway MAC ──► l3 gateway ── dns
 *                          │  ▲
 *                       conntrack/NAT ── uplink
 *
 * port.c reads a burst and calls ingress_run() with it.  Each later stage
 * takes one parsed frame and either passes it on, queues it on an output
 * port (egress_output -> port_tx_queue) or drops it with a reason counted
 * on the input port.  After the burst, port.c flushes every port that has
 * frames queued: one write batch per port per burst.
 *
 * Under `vsctl trace` the same functions run on a synthetic frame flagged
 * PKT_F_DRYRUN: each stage records its decision as a typed event in
 * p->trace (trace.h), port_drop() records drops instead of counting them
 * and port_tx_queue() records the output port instead of queueing.
 */
#ifndef VS_PIPELINE_H
#define VS_PIPELINE_H

#include <stdbool.h>
#include <stdint.h>
#include "drop.h"
#include "pkt.h"

struct port;
struct network;
struct endpoint;
struct ev_loop;
struct dp;
union vs_addr;

/* ingress.c: sanity checks and port security for a burst from a port. */
void ingress_run(struct port *in, struct pkt_batch *b);
/* ingress_v6.c: IPv6 port security (RA guard, ND, sources) for one frame. */
struct endpoint;
enum drop_reason ingress_v6_check(const struct endpoint *ep, const struct pkt *p);

/* l2_forward.c: learn the source, then unicast, flood or hand to gateway. */
void l2_forward(struct network *n, struct pkt *p);

/* gateway.c */
void gateway_input(struct network *n, struct pkt *p);
/* A routed IPv4 packet arriving for network N (from the uplink/NAT or the
 * DNS module): rewrite L2 and send to the endpoint that owns the address. */
void gateway_deliver(struct network *n, struct pkt *p);
/* The same for a routed IPv6 packet (NAT66, from the uplink). */
void gateway_deliver6(struct network *n, struct pkt *p);
/* The network whose IPv6 subnet holds DST, or NULL. */
struct network *gateway_route_net6(struct dp *dp, const union vs_addr *dst);
/* Send a gratuitous ARP for the gateway (network start). */
void gateway_announce(struct network *n);
void gateway_advertise(struct network *n);
void gateway_adv_start(struct network *n);
void gateway_adv_stop(struct network *n);
/* Build and queue an ICMP error about P back to its sender. */
void gateway_icmp_error(struct network *n, struct pkt *p, uint8_t type, uint8_t code);

/* egress.c: the last decision before a port: ICC, MTU, dry run. */
void egress_output(struct port *out, struct pkt *p);

/* uplink.c (NAT issue): route P from network N to the outside.  Returns
 * DROP_NONE when it took the packet, else the reason it could not. */
enum drop_reason uplink_route_out(struct network *n, struct pkt *p);
/* uplink6.c: the same for IPv6 (NAT66); DROP_NO_ROUTE without an IPv6
 * uplink.  uplink_mtu6(): its MTU, 0 when there is none. */
enum drop_reason uplink_route_out6(struct network *n, struct pkt *p);
uint32_t uplink_mtu6(const struct network *n);
/* Before a container burst: warm conntrack for its routed packets. */
void uplink_prefetch(struct network *n, struct pkt_batch *b);
/* Is there an uplink for N's routed packets to DST (network order)? */
bool uplink_present(const struct network *n, uint32_t dst);
/* The MTU of the uplink N's packets to DST leave by (1500 if unknown). */
uint32_t uplink_mtu(const struct network *n, uint32_t dst);

/* dns.c: true if P (to port 53) was consumed by the resolver. */
bool dns_input(struct network *n, struct endpoint *src, struct pkt *p);

/* trace_note() (a step of a traced frame that decides nothing by itself)
 * and the typed events are in trace.h. */

#endif
