/* dns.h - the switch's resolver: container names in the datapath, the rest
 * forwarded upstream, with interception and a TCP responder.
 *
 * vswitchd makes one resolver per datapath with dns_new() (dp->dns); the
 * control plane calls dns_endpoint_added() and dns_endpoint_removed()
 * whenever an endpoint appears or goes (connect, disconnect, namespace
 * death, restart restore: before the ports start), and gateway.c calls
 * dns_input() (pipeline.h) for port-53 traffic, which finds the resolver
 * through the network's datapath (n->dp->dns).
 *
 * This is what the rest of the switch sees; the files of the area share
 * dns_internal.h.
 */
#ifndef VS_DNS_H
#define VS_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "model.h"

struct ev_loop;
struct container;
struct endpoint;
struct network;
struct pkt;

/* ---- public: what the daemon's start-up, stop and endpoints call ---- */

/* One resolver per datapath (dp->dns); its state is in dns_internal.h. */
struct dns;
struct model;
/* Told when an upstream resolver stops answering or answers again
 * (events.c sets it; NULL: nobody listens).  A hook, not a call, so the
 * resolver's unit tests and fuzz targets link without the event stream. */
extern void (*dns_upstream_event)(const char *upstream, bool down);

struct dns *dns_new(struct ev_loop *loop, struct model *model,
		    const char *const *upstreams, int n_upstreams, char *err, size_t errlen);
void dns_free(struct dns *dns);
void dns_endpoint_added(struct dns *dns, struct endpoint *ep);
void dns_endpoint_removed(struct dns *dns, struct endpoint *ep);
/* Names of containers on other hosts of a global network (cluster_net.c). */
void dns_remote_added(struct dns *dns, struct network *n, const char *name,
		      const union vs_addr *ip);
void dns_remote_removed(struct dns *dns, struct network *n, const char *name,
			const union vs_addr *ip);
/* dns_resolvconf.c: rewrite C's resolv.conf for an endpoint leaving or
 * arriving (the control plane calls it when an endpoint's role changes). */
void dns_resolvconf_update(struct container *c, const struct endpoint *leaving,
			   const struct endpoint *arriving);
/* bool dns_input(struct network *n, struct endpoint *src, struct pkt *p)
 * is declared in pipeline.h. */

struct dns_stats {
	uint64_t queries, local_answers, forwarded, upstream_answers;
	uint64_t servfail_timeouts, formerr, notimp, refused, dropped_bad;
	uint64_t dropped_flood, tcp_conns, tcp_refused, upstream_timeouts;
	uint64_t upstream_mismatch;  /* answers with a wrong ID or question: forged */
	/* Fairness (audit finding 20): over the in-flight cap; forwards and
	 * TCP connections of the heaviest client ended to make room. */
	uint64_t dropped_inflight, fwd_evicted, tcp_evicted;
};
const struct dns_stats *dns_get_stats(struct dns *dns);
/* dns_ctl.c: the counters as JSON ("dns" member of `stats`), and the
 * "dns.stats" control command. */
struct json_object;
struct json_object *dns_stats_json(struct dns *dns);
void dns_ctl_init(void);

#endif
