/* ct_ctl.c - the conntrack.* control commands: ls, flush, stats.
 *
 * `conntrack ls` prints each connection as `conntrack -L` does, so that
 * people who know the kernel's tool read ours without a manual: protocol
 * name padded to 8, protocol number, seconds left, state (TCP), the
 * original tuple, [UNREPLIED] if no reply was seen, the reply tuple (as
 * translated), [ASSURED], and zone=NETWORK.  These walk the table and are
 * for the control path only.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include "cmd.h"
#include "control.h"
#include "dp.h"
#include "ct.h"
#include "ct_snapshot.h"
#include "nat.h"

static const char *ct_ctl_proto_name(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_TCP: return "tcp";
	case IPPROTO_UDP: return "udp";
	case IPPROTO_ICMP: return "icmp";
	case IPPROTO_ICMPV6: return "icmpv6";
	default: return "unknown";
	}
}

/* ct_ctl_tuple() - "src=.. dst=.. sport=.. dport=.." (or ICMP's form). */
static int ct_ctl_tuple(char *buf, size_t len, const struct ct_key *k, bool reply)
{
	char s[VS_ADDR_STRLEN], d[VS_ADDR_STRLEN];

	vs_addr_str(&k->src, s, sizeof(s));
	vs_addr_str(&k->dst, d, sizeof(d));
	if (k->proto == IPPROTO_ICMP)
		return snprintf(buf, len, "src=%s dst=%s type=%d code=0 id=%u", s, d,
				reply ? 0 : 8, ntohs(k->sport));
	if (k->proto == IPPROTO_ICMPV6)     /* echo request 128, reply 129 */
		return snprintf(buf, len, "src=%s dst=%s type=%d code=0 id=%u", s, d,
				reply ? 129 : 128, ntohs(k->sport));
	return snprintf(buf, len, "src=%s dst=%s sport=%u dport=%u", s, d,
			ntohs(k->sport), ntohs(k->dport));
}

/**
 * ct_ctl_line() - One connection in `conntrack -L` form
 * @e:		entry
 * @buf:	output
 * @len:	size of @buf
 */
void ct_ctl_line(struct dp *dp, const struct ct_entry *e, char *buf, size_t len)
{
	const struct ct_l4_proto *l4 = ct_l4(e->proto);
	const char *st = l4 ? l4->state_name(e) : "";
	char o[160], r[160];

	ct_ctl_tuple(o, sizeof(o), &e->n[CT_DIR_ORIG].key, false);
	ct_ctl_tuple(r, sizeof(r), &e->n[CT_DIR_REPLY].key, true);
	snprintf(buf, len, "%-8s %u %llu %s%s%s %s%s %s%szone=%s",
		 ct_ctl_proto_name(e->proto), e->proto,
		 (unsigned long long)ct_remaining_s(dp->ct, e), st, *st ? " " : "", o,
		 e->flags & CT_F_SEEN_REPLY ? "" : "[UNREPLIED] ", r,
		 e->flags & CT_F_ASSURED ? "[ASSURED]" : "",
		 e->flags & CT_F_ASSURED ? " " : "", nat_zone_name(dp->nat, e->zone));
}

static void ct_ctl_key_json(struct json_object *o, const char *prefix,
			    const struct ct_key *k)
{
	char a[VS_ADDR_STRLEN], name[32];

	vs_addr_str(&k->src, a, sizeof(a));
	snprintf(name, sizeof(name), "%s_src", prefix);
	json_object_object_add(o, name, json_object_new_string(a));
	vs_addr_str(&k->dst, a, sizeof(a));
	snprintf(name, sizeof(name), "%s_dst", prefix);
	json_object_object_add(o, name, json_object_new_string(a));
	snprintf(name, sizeof(name), "%s_sport", prefix);
	json_object_object_add(o, name, json_object_new_int(ntohs(k->sport)));
	snprintf(name, sizeof(name), "%s_dport", prefix);
	json_object_object_add(o, name, json_object_new_int(ntohs(k->dport)));
}

/**
 * ct_ctl_entry_json() - One connection of `conntrack ls`, as JSON
 * @dp:		the datapath
 * @e:		the entry
 *
 * The listing itself is streamed in steps by ct_ls.c (audit finding 16).
 *
 * Return: a new object
 */
struct json_object *ct_ctl_entry_json(struct dp *dp, const struct ct_entry *e)
{
	const struct ct_l4_proto *l4 = ct_l4(e->proto);
	struct json_object *o;
	char line[512];

	ct_ctl_line(dp, e, line, sizeof(line));
	o = json_object_new_object();
	json_object_object_add(o, "text", json_object_new_string(line));
	json_object_object_add(o, "proto", json_object_new_string(ct_ctl_proto_name(e->proto)));
	json_object_object_add(o, "state", json_object_new_string(l4 ? l4->state_name(e) : ""));
	json_object_object_add(o, "timeout", json_object_new_int64((int64_t)ct_remaining_s(dp->ct, e)));
	ct_ctl_key_json(o, "orig", &e->n[CT_DIR_ORIG].key);
	ct_ctl_key_json(o, "reply", &e->n[CT_DIR_REPLY].key);
	json_object_object_add(o, "assured", json_object_new_boolean(e->flags & CT_F_ASSURED));
	json_object_object_add(o, "zone", json_object_new_string(nat_zone_name(dp->nat, e->zone)));
	return o;
}

static int ct_ctl_flush_cmd(struct ctl_conn *c, struct json_object *args,
			    struct json_object **result, char *err, size_t errlen)
{
	(void)c;
	(void)args;
	(void)err;
	(void)errlen;
	*result = json_object_new_object();
	json_object_object_add(*result, "flushed",
			       json_object_new_int64((int64_t)ct_flush(cmd_dp()->ct, NULL, NULL)));
	return 0;
}

static void ct_ctl_add(struct json_object *o, const char *k, uint64_t v)
{
	json_object_object_add(o, k, json_object_new_int64((int64_t)v));
}

/* ct_ctl_snapshot() - The snapshot's counters; "snapshot_pending" false
 * means every new connection so far is on disk (tests wait on it). */
static void ct_ctl_snapshot(struct json_object *o)
{
	static const struct ct_snap_stats none;   /* no snapshot without an uplink */
	const struct ct_snap_stats *s = cmd_dp()->snap ? ct_snapshot_stats(cmd_dp()->snap) : &none;

	ct_ctl_add(o, "snapshot_writes", s->writes);
	ct_ctl_add(o, "snapshot_write_errors", s->write_errors);
	ct_ctl_add(o, "snapshot_entries", s->last_entries);
	ct_ctl_add(o, "snapshot_bytes", s->last_bytes);
	ct_ctl_add(o, "snapshot_max_step_us", s->max_step_us);
	json_object_object_add(o, "snapshot_pending", json_object_new_boolean(s->pending));
}

static int ct_ctl_stats_cmd(struct ctl_conn *c, struct json_object *args,
			    struct json_object **result, char *err, size_t errlen)
{
	const struct ct_stats *s = ct_get_stats(cmd_dp()->ct);
	const struct nat_stats *n = nat_get_stats(cmd_dp()->nat);
	struct json_object *o = json_object_new_object();

	(void)c;
	(void)args;
	(void)err;
	(void)errlen;
	ct_ctl_add(o, "entries", s->entries);
	ct_ctl_add(o, "limit", s->limit);
	ct_ctl_add(o, "inserted", s->inserted);
	ct_ctl_add(o, "expired", s->expired);
	ct_ctl_add(o, "evicted", s->evicted);
	ct_ctl_add(o, "evicted_fair", s->evicted_fair);
	ct_ctl_add(o, "owners", s->owners);
	ct_ctl_add(o, "full_drops", s->full_drops);
	ct_ctl_add(o, "invalid", s->invalid);
	ct_ctl_add(o, "lookups", s->lookups);
	ct_ctl_add(o, "found", s->found);
	ct_ctl_add(o, "restored", s->restored);
	/* the cuckoo table's own (ct.c, "Theory of Operation") */
	ct_ctl_add(o, "hash_reused", s->hash_reused);
	ct_ctl_add(o, "cuckoo_moves", s->cuckoo_moves);
	ct_ctl_add(o, "stashed", s->stashed);
	ct_ctl_add(o, "table_full", s->table_full);
	ct_ctl_add(o, "snat_new", n->snat_new);
	ct_ctl_add(o, "dnat_new", n->dnat_new);
	ct_ctl_add(o, "hairpin_new", n->hairpin_new);
	ct_ctl_add(o, "nat_no_port", n->no_port);
	ct_ctl_add(o, "nat_port_share", n->share_denied);
	ct_ctl_add(o, "nat_zones_freed", n->zones_freed);
	ct_ctl_add(o, "icmp_errors_translated", n->icmp_err_xlated);
	ct_ctl_snapshot(o);
	ct_ctl_add(o, "ls_streams", ct_ls_streams());
	ct_ctl_add(o, "ls_steps", ct_ls_steps());
	*result = o;
	return 0;
}

void ct_ctl_init(void)
{
	control_register(&ctl_schema_conntrack_ls, ct_ls_cmd);
	control_register(&ctl_schema_conntrack_flush, ct_ctl_flush_cmd);
	control_register(&ctl_schema_conntrack_stats, ct_ctl_stats_cmd);
}
