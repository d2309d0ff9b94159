/* dp.c - create and tear down the datapath context (see dp.h).
 *
 * The order matters and is kept in one place: conntrack first (NAT hooks
 * into it to release port mappings), then NAT, then the proxy (published
 * ports listen whether or not an uplink exists), then uplinks, which route
 * through all three; teardown runs the other way.  NAT's tables are megabytes
 * of zero pages until mappings use them, so they are allocated apart
 * (calloc maps them lazily) rather than embedded.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ct.h"
#include "ct_snapshot.h"
#include "dns.h"
#include "dp.h"
#include "nat.h"
#include "netns.h"
#include "proxy.h"
#include "uplink.h"

/**
 * dp_init() - Start a datapath: conntrack and NAT, no uplink yet
 * @dp:		context to fill (its previous contents are ignored)
 * @loop:	event loop for the tables' timers
 * @model:	the control plane's networks and containers
 * @ct_limit:	conntrack entry limit, 0 for CT_DEFAULT_LIMIT
 * @err:	one-line reason on failure
 * @errlen:	size of @err
 *
 * Return: 0, or -1
 */
int dp_init(struct dp *dp, struct ev_loop *loop, struct model *model,
	    uint32_t ct_limit, char *err, size_t errlen)
{
	memset(dp, 0, sizeof(*dp));
	dp->loop = loop;
	dp->routes_gen = ~0u;        /* no route table yet: build on first use */
	dp->model = model;
	fdb_common_init(&dp->fdb, loop);
	port_set_init(&dp->ports, loop);
	dp->ct = calloc(1, sizeof(*dp->ct));
	dp->nat = calloc(1, sizeof(*dp->nat));
	if (!dp->ct || !dp->nat || ct_init(dp->ct, loop, ct_limit) < 0) {
		snprintf(err, errlen, "conntrack: out of memory");
		free(dp->ct);
		free(dp->nat);
		dp->ct = NULL;
		dp->nat = NULL;
		return -1;
	}
	dp->nat->model = model;
	nat_init(dp->nat, dp->ct);
	dp->proxy = proxy_new(dp);
	if (!dp->proxy) {
		snprintf(err, errlen, "proxy: out of memory");
		dp_fini(dp);
		return -1;
	}
	return 0;
}

void dp_fini(struct dp *dp)
{
	dp_snapshot_stop(dp);
	netns_watch_free(dp->nw);
	dp->nw = NULL;
	proxy_free(dp->proxy);
	dp->proxy = NULL;
	dns_free(dp->dns);
	dp->dns = NULL;
	free(dp->routes);
	dp->routes = NULL;
	dp->n_routes = 0;
	dp->routes_gen = ~0u;
	while (dp->n_uplinks)
		uplink_close(dp->uplinks[--dp->n_uplinks]);
	if (dp->nat)
		nat_fini(dp->nat);
	if (dp->ct)
		ct_fini(dp->ct);
	free(dp->nat);
	free(dp->ct);
	dp->nat = NULL;
	dp->ct = NULL;
	port_set_fini(&dp->ports);
	fdb_common_fini(&dp->fdb);
}

/**
 * dp_uplink_add() - Open one more uplink on this datapath
 * @dp:		datapath
 * @spec:	port type and interface, "afpacket:IFACE" or "tap:NAME"
 * @ip_cidr:	the switch's address on it
 * @gw:		its next hop for off-link destinations
 * @err:	one-line reason on failure
 * @errlen:	size of @err
 *
 * Return: 0, or -1
 */
int dp_uplink_add(struct dp *dp, const char *spec, const char *ip_cidr,
		  const char *gw, char *err, size_t errlen)
{
	struct uplink *ul;

	if (dp->n_uplinks == DP_MAX_UPLINKS) {
		snprintf(err, errlen, "at most %d uplinks", DP_MAX_UPLINKS);
		return -1;
	}
	ul = uplink_open(dp, spec, ip_cidr, gw, err, errlen);
	if (!ul)
		return -1;
	dp->uplinks[dp->n_uplinks++] = ul;
	return 0;
}

/**
 * dp_uplink_route() - The uplink a routed packet to DST leaves by
 * @dp:		datapath
 * @dst:	destination address (network order)
 *
 * The route table of a host with several interfaces and one default
 * route: an uplink whose on-link prefix holds DST (the longest such
 * prefix), else the first uplink, whose gateway is the default route.
 * Per-uplink routes (or a tunnel behind the same interface) choose here,
 * and nowhere else.  At most DP_MAX_UPLINKS looks, one with one uplink.
 *
 * Return: the uplink, or NULL if there is none
 */
struct uplink *dp_uplink_route(const struct dp *dp, uint32_t dst)
{
	struct uplink *best;
	unsigned int i;
	int len, best_len = -1;

	if (dp->n_uplinks < 2)
		return dp->n_uplinks ? dp->uplinks[0] : NULL;
	best = dp->uplinks[0];
	for (i = 0; i < dp->n_uplinks; i++) {
		len = uplink_on_link(dp->uplinks[i], dst);
		if (len > best_len) {
			best_len = len;
			best = dp->uplinks[i];
		}
	}
	return best;
}

/* dp_uplink_first() - The uplink with the proxy's host leg (the first),
 * which capture --uplink and trace --from uplink use, or NULL. */
struct uplink *dp_uplink_first(const struct dp *dp)
{
	return dp->n_uplinks ? dp->uplinks[0] : NULL;
}

/**
 * dp_snapshot_start() - Load DIR's conntrack snapshot, then keep it current
 * @dp:		datapath, its model and published ports restored
 * @dir:	state directory
 *
 * Return: 0, or -1 if memory ran out (the switch runs without one)
 */
int dp_snapshot_start(struct dp *dp, const char *dir)
{
	dp->snap = calloc(1, sizeof(*dp->snap));
	if (!dp->snap)
		return -1;
	return ct_snapshot_init(dp->snap, dp, dir);
}

/* dp_snapshot_stop() - Write the final snapshot (first in a stop: while
 * every entry is still there) and release it. */
void dp_snapshot_stop(struct dp *dp)
{
	if (!dp->snap)
		return;
	ct_snapshot_fini(dp->snap);
	free(dp->snap);
	dp->snap = NULL;
}
