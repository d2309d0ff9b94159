/* dns_ctl.c - the resolver's counters for the control plane.
 *
 * Kept apart from dns.c so that the datapath files and their unit test do
 * not depend on json-c or control.c.  `stats` embeds dns_stats_json() as
 * its "dns" member (vsctl prints it as dns.KEY lines); `dns.stats` gives
 * the same object alone.
 */
#include <json-c/json.h>
#include "control.h"
#include "cmd.h"
#include "dns_internal.h"
#include "dp.h"

#define DNS_CTL_FIELD(o, s, f) \
	json_object_object_add(o, #f, json_object_new_int64((int64_t)(s)->f))

/**
 * dns_stats_json() - The resolver's counters as a JSON object
 * @dns:	the resolver, or NULL (a datapath without one: all zero)
 *
 * Return: a new object (the caller owns it).
 */
struct json_object *dns_stats_json(struct dns *dns)
{
	static const struct dns_stats none;
	const struct dns_stats *s = dns ? dns_get_stats(dns) : &none;
	struct json_object *o = json_object_new_object();

	DNS_CTL_FIELD(o, s, queries);
	DNS_CTL_FIELD(o, s, local_answers);
	DNS_CTL_FIELD(o, s, forwarded);
	DNS_CTL_FIELD(o, s, upstream_answers);
	DNS_CTL_FIELD(o, s, upstream_timeouts);
	DNS_CTL_FIELD(o, s, upstream_mismatch);
	DNS_CTL_FIELD(o, s, servfail_timeouts);
	DNS_CTL_FIELD(o, s, formerr);
	DNS_CTL_FIELD(o, s, notimp);
	DNS_CTL_FIELD(o, s, refused);
	DNS_CTL_FIELD(o, s, dropped_bad);
	DNS_CTL_FIELD(o, s, dropped_flood);
	DNS_CTL_FIELD(o, s, tcp_conns);
	DNS_CTL_FIELD(o, s, tcp_refused);
	DNS_CTL_FIELD(o, s, dropped_inflight);
	DNS_CTL_FIELD(o, s, fwd_evicted);
	DNS_CTL_FIELD(o, s, tcp_evicted);
	json_object_object_add(o, "pending", json_object_new_int64(dns ? dns_forward_pending(dns) : 0));
	json_object_object_add(o, "tcp_open", json_object_new_int64(dns ? dns_tcp_conns(dns) : 0));
	return o;
}

static int dns_ctl_stats(struct ctl_conn *c, struct json_object *args,
			 struct json_object **result, char *err, size_t errlen)
{
	(void)c; (void)args; (void)err; (void)errlen;
	*result = dns_stats_json(cmd_dp()->dns);
	return 0;
}

/* Register "dns.stats" (call once at start-up, after control_init). */
void dns_ctl_init(void)
{
	control_register(&ctl_schema_dns_stats, dns_ctl_stats);
}
