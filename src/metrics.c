/* metrics.c - the counters `stats` adds beyond the ports: tables and sessions.
 *
 * Theory of operation.  `stats` is what an operator reads (vsctl stats)
 * and what a scraper reads (`vsctl stats --format prometheus`, vswitchd
 * --metrics-listen): the per-port counters (cmd_show.c) and the
 * resolver's (dns_ctl.c), and from here the sizes of the tables: each
 * network's learned MACs, conntrack entries by protocol and state, NAT
 * ports held per protocol, the live capture sessions, the event
 * stream's listeners and lost events, and each --ipv6 gateway's router
 * advertisements.
 *
 * Limits.  Sizes that no module counts are counted here when asked:
 * conntrack by state walks every entry (ct_foreach) and NAT ports in use
 * read the 65536-slot mapping table of each protocol and external address,
 * so one call costs O(entries) plus at most 800K loads.  That is control-plane work, done per `stats`
 * request or per metrics snapshot (at most once a second, and only while
 * someone scrapes: metrics_http.c), never per packet.
 */
#include <json-c/json.h>
#include "capture_internal.h"
#include "cmd.h"
#include "ct.h"
#include "dp.h"
#include "events.h"
#include "fdb.h"
#include "metrics.h"
#include "mld_snoop.h"
#include "model.h"
#include "nat.h"
#include "state.h"

static const char *metrics_proto_name(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_TCP: return "tcp";
	case IPPROTO_UDP: return "udp";
	case IPPROTO_ICMP: return "icmp";
	default: return "other";
	}
}

/* {"NETWORK": learned MACs} */
static struct json_object *metrics_fdb_json(const struct model *m)
{
	struct json_object *o = json_object_new_object();
	struct network *n, *tmp;

	HASH_ITER(hh, m->networks, n, tmp)
		json_object_object_add(o, n->name,
				       json_object_new_int64(n->fdb ? n->fdb->count : 0));
	return o;
}

/* {"NETWORK": {"ra_sent": n, "rs_rate_limited": n}}: each --ipv6
 * network's gateway's router advertisements (router_port.c). */
static struct json_object *metrics_gateway6_json(const struct model *m)
{
	struct json_object *o = json_object_new_object(), *g;
	struct network *n, *tmp;

	HASH_ITER(hh, m->networks, n, tmp) {
		if (!n->ipv6)
			continue;
		g = json_object_new_object();
		json_object_object_add(g, "ra_sent", json_object_new_int64((int64_t)n->ra6.sent));
		json_object_object_add(g, "rs_rate_limited",
				       json_object_new_int64((int64_t)n->ra6.rate_limited));
		json_object_object_add(o, n->name, g);
	}
	return o;
}

/* One entry into by_state[proto][state] += 1. */
static void metrics_ct_count(struct ct_entry *e, void *arg)
{
	struct json_object *by = arg, *p, *v;
	const struct ct_l4_proto *l4 = ct_l4(e->proto);
	const char *proto = metrics_proto_name(e->proto);
	const char *st = l4 && l4->state_name ? l4->state_name(e) : "";

	if (!st || !*st)
		st = "NONE";
	if (!json_object_object_get_ex(by, proto, &p)) {
		p = json_object_new_object();
		json_object_object_add(by, proto, p);
	}
	if (json_object_object_get_ex(p, st, &v))
		json_object_set_int64(v, json_object_get_int64(v) + 1);
	else
		json_object_object_add(p, st, json_object_new_int64(1));
}

/* {"entries": N, "limit": L, "by_state": {"tcp": {"ESTABLISHED": n}}} */
static struct json_object *metrics_ct_json(struct dp *dp)
{
	struct json_object *o = json_object_new_object(), *by = json_object_new_object();
	const struct ct_stats *s = ct_get_stats(dp->ct);

	ct_foreach(dp->ct, metrics_ct_count, by);
	json_object_object_add(o, "entries", json_object_new_int64((int64_t)s->entries));
	json_object_object_add(o, "limit", json_object_new_int64((int64_t)s->limit));
	json_object_object_add(o, "by_state", by);
	return o;
}

/* {"ports_in_use": {"tcp": n, "udp": n, "icmp": n}}: external ports (ICMP
 * ids) held by at least one connection, summed over the external
 * addresses (nat.h: one port space per address and protocol, indexed tcp,
 * udp, icmp). */
static struct json_object *metrics_nat_json(struct dp *dp)
{
	static const char *const names[NAT_N_PROTO] = { "tcp", "udp", "icmp" };
	struct json_object *o = json_object_new_object(), *in = json_object_new_object();
	unsigned int e;
	int i, p;

	for (i = 0; i < NAT_N_PROTO; i++) {
		int64_t used = 0;

		for (e = 0; e < dp->nat->n_ext && e < NAT_MAX_EXT; e++)
			for (p = 0; p < 65536; p++)
				used += dp->nat->ext[e].ps[i].maps[p].refs > 0;
		json_object_object_add(in, names[i], json_object_new_int64(used));
	}
	json_object_object_add(o, "ports_in_use", in);
	return o;
}

/**
 * metrics_add_tables() - Add the table sizes and sessions to a stats reply
 * @dp:		the datapath
 * @o:		the reply object: gains "fdb", "conntrack", "nat", "capture"
 *		(sessions, and the flight recorders' memory and budget),
 *		"events", "state" (the state journal's counters) and
 *		"mld_snoop" (each network's snooping table and decisions) and
 *		"gateway6" (each --ipv6 gateway's router advertisements)
 */
void metrics_add_tables(struct dp *dp, struct json_object *o)
{
	struct json_object *cap = json_object_new_object();

	json_object_object_add(o, "fdb", metrics_fdb_json(dp->model));
	json_object_object_add(o, "conntrack", metrics_ct_json(dp));
	json_object_object_add(o, "nat", metrics_nat_json(dp));
	json_object_object_add(cap, "sessions",
			       json_object_new_int64(capture_session_count()));
	json_object_object_add(cap, "recorder_bytes",
			       json_object_new_int64((int64_t)recorder_total()));
	json_object_object_add(cap, "recorder_budget",
			       json_object_new_int64((int64_t)recorder_total_limit()));
	json_object_object_add(o, "capture", cap);
	json_object_object_add(o, "events", events_stats_json());
	json_object_object_add(o, "state", state_stats_json());
	json_object_object_add(o, "mld_snoop", mld_snoop_stats_json(dp->model));
	json_object_object_add(o, "gateway6", metrics_gateway6_json(dp->model));
}
