/* dp.h - the datapath context: one switch's tables and ports, as an instance.
 *
 * Everything a packet may consult or change, beyond the packet and its
 * port, hangs off one struct dp: the networks (through the control
 * plane's model, each with its fdb), the conntrack table, NAT, the
 * uplinks and the ports.  Stages reach it from the network a packet is in (n->dp) or
 * the port it came from (port->dp), as the Linux bridge reaches p->br and
 * OVS passes struct conntrack *ct: there is no hidden process-wide table,
 * so a second datapath, or a test harness, is one more struct dp.
 *
 * Conntrack and NAT belong to the datapath, not to an uplink: they start
 * with dp_init(), so zones, published ports and conntrack flushes work
 * before (or without) any uplink, and uplinks are a list, not a slot.
 */
#ifndef VS_DP_H
#define VS_DP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "fdb.h"
#include "port.h"
#include "router_port.h"

struct ev_loop;
struct model;
struct conntrack;
struct nat;
struct uplink;
struct ct_snapshot;
struct netns_watch;
struct proxy;
struct dns;
struct gateway_route;
struct overlay;
struct port;

#define DP_MAX_UPLINKS 4

struct dp {
	struct ev_loop *loop;
	struct model *model;         /* networks (each with its fdb), containers */
	struct conntrack *ct;
	struct nat *nat;
	struct uplink *uplinks[DP_MAX_UPLINKS];
	unsigned int n_uplinks;
	struct ct_snapshot *snap;    /* conntrack kept across restarts, or NULL */
	struct netns_watch *nw;      /* containers' namespaces, or NULL */
	struct proxy *proxy;         /* published ports in our namespace */
	struct dns *dns;             /* the resolver, or NULL (harnesses) */
	/* gateway.c: the networks' subnets, sorted for route lookups and
	 * rebuilt when net_gen moves (routes_gen ~0u: never built). */
	struct gateway_route *routes;
	unsigned int n_routes, routes_gen;
	unsigned int n_routes6;      /* IPv6 subnets, after the n_routes IPv4 ones */
	/* Bumped when one of its networks starts or stops (fdb.c, as a
	 * network's table is made or freed): a datapath's, not a process's. */
	unsigned int net_gen;
	/* What its networks' learning tables share: settings, free list. */
	struct fdb_common fdb;
	/* Its ports: listed, flushed and read through here (port.c). */
	struct port_set ports;
	/* overlay.c: the overlay networks by VNI (a received VXLAN packet's
	 * network), and the tunnel port (port_vxlan.c), or NULL. */
	struct overlay *overlays;
	struct port *vxlan;
	/* router_port.c: its ICMP rate limits and reply scratch buffer. */
	struct router_port_state rport;
};

/* dp.c */
int dp_init(struct dp *dp, struct ev_loop *loop, struct model *model,
	    uint32_t ct_limit, char *err, size_t errlen);
void dp_fini(struct dp *dp);
int dp_uplink_add(struct dp *dp, const char *spec, const char *ip_cidr,
		  const char *gw, char *err, size_t errlen);
struct uplink *dp_uplink_route(const struct dp *dp, uint32_t dst);

/* dp_uplink_for() - The uplink a routed packet to DST leaves by, or NULL:
 * with one uplink (or none) no route is looked at; dp_uplink_route()
 * chooses among several.  Every routed packet asks, twice. */
static inline struct uplink *dp_uplink_for(const struct dp *dp, uint32_t dst)
{
	if (dp->n_uplinks < 2)
		return dp->n_uplinks ? dp->uplinks[0] : NULL;
	return dp_uplink_route(dp, dst);
}
struct uplink *dp_uplink_first(const struct dp *dp);
int dp_snapshot_start(struct dp *dp, const char *dir);
void dp_snapshot_stop(struct dp *dp);

#endif
