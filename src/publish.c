/* publish.c - port publish/unpublish/ls: SPEC parsing, DNAT rules, proxy.
 *
 * DOC: Theory of Operation
 *
 * A SPEC follows `docker run -p`: [HOSTIP:][HOSTPORT:]CPORT[/tcp|udp],
 * an IPv6 HOSTIP in brackets ("[::]:8080:80", "[::1]:8080:80"),
 * where HOSTPORT and CPORT may be ranges of equal length
 * (8000-8010:8000-8010).  A published mapping is stored in the model
 * (struct published on the container; state.c persists it), installed as
 * one DNAT rule covering the whole range (nat.c: one table slot per host
 * port, no socket per port), and, for host IPs 0.0.0.0, 127.0.0.1, :: and
 * ::1, listened on by the userspace proxy in vswitchd's own namespace
 * (proxy.c), as docker-proxy does.  The DNAT rule answers on every uplink
 * address of both families for 0.0.0.0 and :: alike (a connection to the
 * uplink's IPv6 address reaches the container's IPv6 address); the
 * proxy listens on the family the host IP names.
 *
 * Every command applies all of its SPECs or none: each step of a publish
 * that can fail (parse, port taken, proxy bind, state save) is undone in
 * reverse order, and what cannot be undone (flushing conntrack) waits for
 * the save.  An unpublish checks every SPEC, takes the mappings out of the
 * model, saves, and only then removes rules and proxies.  Rules and
 * proxies live in this process only, so a kill -9 at any point leaves the
 * state file to say what the next start installs.
 * An omitted host port gets the first free range in 32768-60999.
 * A UDP publish flushes conntrack entries that would shadow the port.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cmd.h"
#include "events.h"
#include "control.h"
#include "dp.h"
#include "log.h"
#include "model.h"
#include "nat.h"
#include "proxy.h"
#include "publish.h"
#include "rootless.h"
#include "state.h"
#include "uplink.h"

#define PUBLISH_MAX_SPECS 64

/* publish_parse_range() - "N" or "N-M" into first port and count. */
static int publish_parse_range(const char *s, uint16_t *first, uint16_t *count)
{
	unsigned long a, b;
	char *end;

	if (!*s || *s == '-' || *s == '+')
		return -1;
	a = strtoul(s, &end, 10);
	b = a;
	if (*end == '-') {
		const char *t = end + 1;

		if (!*t || *t == '-' || *t == '+')
			return -1;
		b = strtoul(t, &end, 10);
	}
	if (*end || a < 1 || a > 65535 || b < a || b > 65535)
		return -1;
	*first = (uint16_t)a;
	*count = (uint16_t)(b - a + 1);
	return 0;
}

/**
 * publish_parse_bracket() - Take "[IPV6]" off the front of a SPEC
 * @start:	the SPEC; left at the ':' after the bracket (an empty first
 *		part, so the caller's split sees three parts), or unchanged
 * @ip:		set to the text inside the brackets, or "" without any
 * @len:	size of @ip
 *
 * Return: 0, or -1 for an unclosed or misplaced bracket
 */
static int publish_parse_bracket(char **start, char *ip, size_t len)
{
	char *b = *start, *close;

	if (*b != '[')
		return strchr(b, '[') || strchr(b, ']') ? -1 : 0;
	close = strchr(b, ']');
	if (!close || close[1] != ':' || (size_t)(close - b - 1) >= len || close == b + 1)
		return -1;
	memcpy(ip, b + 1, (size_t)(close - b - 1));
	ip[close - b - 1] = '\0';
	*start = close + 1;
	return 0;
}

/**
 * publish_parse_spec() - Parse a `-p` SPEC
 * @spec:	e.g. "127.0.0.1:8080:80/udp"
 * @out:	filled; host_port 0 when omitted
 * @err:	one-line reason
 * @errlen:	size of @err
 *
 * Return: 0 or -1
 */
int publish_parse_spec(const char *spec, struct published *out,
		       char *err, size_t errlen)
{
	char buf[96], *parts[3], *slash, *p;
	int n = 0;
	uint16_t hcount = 0;

	char *start = buf, v6ip[VS_ADDR_STRLEN] = "";

	memset(out, 0, sizeof(*out));
	vs_addr_set_v4(&out->host_ip, htonl(INADDR_ANY));
	out->proto = IPPROTO_TCP;
	if (strlen(spec) >= sizeof(buf))
		goto bad;
	strcpy(buf, spec);
	if (publish_parse_bracket(&start, v6ip, sizeof(v6ip)) < 0)
		goto bad;
	slash = strchr(buf, '/');
	if (slash) {
		*slash = '\0';
		if (!strcmp(slash + 1, "udp"))
			out->proto = IPPROTO_UDP;
		else if (strcmp(slash + 1, "tcp"))
			goto bad;
	}
	for (p = start; n < 3; n++) {
		char *c = strchr(p, ':');

		parts[n] = p;
		if (!c) {
			n++;
			break;
		}
		*c = '\0';
		p = c + 1;
		if (n == 2)
			goto bad;   /* more than two colons */
	}
	if (publish_parse_range(parts[n - 1], &out->cport, &out->count) < 0)
		goto bad;
	if (v6ip[0] && (n != 3 || *parts[0] ||
			vs_addr_parse_af(v6ip, AF_INET6, &out->host_ip)))
		goto bad;   /* "[IP]" is followed by ":HOSTPORT:CPORT" */
	if (!v6ip[0] && n == 3 && vs_addr_parse_af(parts[0], AF_INET, &out->host_ip))
		goto bad;
	if (n >= 2 && *parts[n - 2]) {
		if (publish_parse_range(parts[n - 2], &out->host_port, &hcount) < 0 ||
		    hcount != out->count)
			goto bad;
	}
	return 0;
bad:
	snprintf(err, errlen, "invalid port spec %s: want [HOSTIP:][HOSTPORT:]CPORT[/tcp|udp] "
		 "(an IPv6 HOSTIP in brackets: [::]:8080:80)", spec);
	return -1;
}

static const char *publish_proto_name(uint8_t proto)
{
	return proto == IPPROTO_UDP ? "udp" : "tcp";
}

/* publish_text() - The `docker port` line: "80/tcp -> 0.0.0.0:8080",
 * "80/tcp -> [::]:8080". */
static void publish_text(const struct published *pp, char *buf, size_t len)
{
	char a[VS_ADDR_STRLEN], ip[VS_ADDR_STRLEN + 2];

	vs_addr_str(&pp->host_ip, a, sizeof(a));
	snprintf(ip, sizeof(ip), vs_addr_is_v4(&pp->host_ip) ? "%s" : "[%s]", a);
	if (pp->count > 1)
		snprintf(buf, len, "%u-%u/%s -> %s:%u-%u", pp->cport,
			 (unsigned)(pp->cport + pp->count - 1), publish_proto_name(pp->proto),
			 ip, pp->host_port, (unsigned)(pp->host_port + pp->count - 1));
	else
		snprintf(buf, len, "%u/%s -> %s:%u", pp->cport,
			 publish_proto_name(pp->proto), ip, pp->host_port);
}

static struct json_object *publish_json(const struct published *pp)
{
	struct json_object *o = json_object_new_object();
	char ip[VS_ADDR_STRLEN], text[128];

	vs_addr_str(&pp->host_ip, ip, sizeof(ip));
	publish_text(pp, text, sizeof(text));
	json_object_object_add(o, "proto", json_object_new_string(publish_proto_name(pp->proto)));
	json_object_object_add(o, "cport", json_object_new_int(pp->cport));
	json_object_object_add(o, "host_ip", json_object_new_string(ip));
	json_object_object_add(o, "host_port", json_object_new_int(pp->host_port));
	json_object_object_add(o, "count", json_object_new_int(pp->count));
	json_object_object_add(o, "text", json_object_new_string(text));
	return o;
}

struct json_object *publish_list_json(const struct container *c)
{
	struct json_object *a = json_object_new_array();
	const struct published *pp;

	LIST_FOREACH(pp, &c->published, link)
		json_object_array_add(a, publish_json(pp));
	return a;
}

static bool publish_range_free(uint8_t proto, uint32_t first, uint32_t count)
{
	uint32_t i;

	for (i = 0; i < count; i++)
		if (first + i > 65535 || nat_port_published(cmd_dp()->nat, proto, (uint16_t)(first + i)))
			return false;
	return true;
}

/* publish_pick_port() - First free range of COUNT in 32768-60999; 0 if none. */
static uint16_t publish_pick_port(uint8_t proto, uint16_t count)
{
	uint32_t p;

	for (p = NAT_EPHEMERAL_MIN; p + count - 1 <= NAT_EPHEMERAL_MAX; p++)
		if (publish_range_free(proto, p, count))
			return (uint16_t)p;
	return 0;
}

/* publish_has_egress() - Does C have an endpoint on a non-internal network? */
static bool publish_has_egress(const struct container *c)
{
	struct endpoint *ep;

	LIST_FOREACH(ep, &c->endpoints, ctr_link)
		if (!ep->net->internal)
			return true;
	return false;
}

/* publish_on_lan() - C's first macvlan/ipvlan network, or NULL: DNAT on
 * the uplink's address would not reach a container that is on the LAN
 * with an address of its own (lan.c), and Docker's macvlan publishes
 * nothing either. */
static const struct network *publish_on_lan(const struct container *c)
{
	struct endpoint *ep;

	LIST_FOREACH(ep, &c->endpoints, ctr_link)
		if (model_net_is_lan(ep->net))
			return ep->net;
	return NULL;
}

/* publish_wants_proxy() - 0.0.0.0, 127.0.0.1, :: and ::1 also listen on
 * the host. */
static bool publish_wants_proxy(const struct published *pp)
{
	return vs_addr_is_any(&pp->host_ip) || vs_addr_eq_v4(&pp->host_ip, htonl(INADDR_LOOPBACK)) ||
	       (!vs_addr_is_v4(&pp->host_ip) && vs_addr_is_loopback(&pp->host_ip));
}

/**
 * publish_install() - DNAT rule (and proxy listeners) for one mapping
 * @c:		container
 * @pp:		mapping with its host port chosen
 * @err:	one-line reason
 * @errlen:	size of @err
 *
 * Return: 0 or -1 (nothing installed)
 */
static int publish_install(const struct container *c, const struct published *pp,
			   char *err, size_t errlen)
{
	struct nat_rule *r = calloc(1, sizeof(*r));

	if (!r) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	r->proto = pp->proto;
	r->host_ip = pp->host_ip;
	r->host_port = pp->host_port;
	r->cport = pp->cport;
	r->count = pp->count;
	snprintf(r->ctr, sizeof(r->ctr), "%s", c->name);
	if (nat_rule_add(cmd_dp()->nat, r, err, errlen) < 0) {
		free(r);
		return -1;
	}
	if (publish_wants_proxy(pp) &&
	    proxy_add(cmd_dp()->proxy, pp->proto, &pp->host_ip, pp->host_port, pp->count, err, errlen) < 0) {
		nat_rule_del(cmd_dp()->nat, pp->proto, pp->host_port);
		free(r);
		return -1;
	}
	return 0;
}

/* A new UDP mapping must not be shadowed by conntrack entries of flows
 * that used its host ports before; done once the mapping is committed,
 * since a flush cannot be undone. */
static void publish_flush_udp(const struct published *pp)
{
	uint32_t i;

	if (pp->proto == IPPROTO_UDP)
		for (i = 0; i < pp->count; i++)
			nat_flush_port(cmd_dp()->nat, IPPROTO_UDP, (uint16_t)(pp->host_port + i));
}

static void publish_uninstall(const struct published *pp)
{
	const struct nat_rule *r = nat_rule_find(cmd_dp()->nat, pp->proto, pp->host_port);

	if (publish_wants_proxy(pp))
		proxy_del(cmd_dp()->proxy, pp->proto, &pp->host_ip, pp->host_port, pp->count);
	if (r && nat_rule_del(cmd_dp()->nat, pp->proto, pp->host_port) == 0)
		free((void *)r);
}

/* publish_check() - Parse SPEC into OUT and check it could be reached;
 * changes nothing. */
static int publish_check(const char *spec, struct published *out, char *err, size_t errlen)
{
	if (publish_parse_spec(spec, out, err, errlen) < 0)
		return -1;
	/* Rootless: pasta binds the host port as the user; the kernel would
	 * refuse it later and silently, so refuse it here. */
	if (rootless_active() && out->host_port &&
	    out->host_port < rootless_host()->port_start) {
		snprintf(err, errlen, "host port %u in %s is below net.ipv4.ip_unprivileged_port_start "
			 "(%u): a rootless vswitchd cannot publish it (use a port >= %u, or lower "
			 "that sysctl)", out->host_port, spec, rootless_host()->port_start,
			 rootless_host()->port_start);
		return -1;
	}
	if (!publish_wants_proxy(out) && nat_ext_find(cmd_dp()->nat, &out->host_ip) < 0) {
		/* nothing would listen there: refuse rather than accept a
		 * mapping that can never be reached */
		snprintf(err, errlen, "host IP in %s must be 0.0.0.0, 127.0.0.1, [::], [::1] or an "
			 "uplink IP", spec);
		return -1;
	}
	return 0;
}

/* publish_one() - Choose the host port of a checked mapping, install it,
 * link it to C.  Ports taken by the request's earlier SPECs count as
 * taken: those are installed already. */
static struct published *publish_one(struct container *c, const struct published *q,
				     char *err, size_t errlen)
{
	struct published tmp = *q, *pp;

	if (!tmp.host_port) {
		tmp.host_port = publish_pick_port(tmp.proto, tmp.count);
		if (!tmp.host_port) {
			snprintf(err, errlen, "no free host port in %d-%d",
				 NAT_EPHEMERAL_MIN, NAT_EPHEMERAL_MAX);
			return NULL;
		}
	} else if (!publish_range_free(tmp.proto, tmp.host_port, tmp.count)) {
		snprintf(err, errlen, "host port %u/%s is already published",
			 tmp.host_port, publish_proto_name(tmp.proto));
		return NULL;
	}
	pp = calloc(1, sizeof(*pp));
	if (!pp) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	*pp = tmp;
	if (publish_install(c, pp, err, errlen) < 0) {
		free(pp);
		return NULL;
	}
	LIST_INSERT_HEAD(&c->published, pp, link);
	return pp;
}

/* Announce a mapping that came or went (vsctl events). */
static void publish_event(const char *action, const struct container *c,
			  const struct published *pp)
{
	char text[128];

	publish_text(pp, text, sizeof(text));
	events_port(action, c, text);
}

static void publish_drop(struct published *pp)
{
	publish_uninstall(pp);
	LIST_REMOVE(pp, link);
	free(pp);
}

/**
 * publish_drop_all() - Remove every published port of C (rules, proxies)
 * @c:	a container that goes: its namespace died, or a runtime removed
 *	its last endpoint (network.disconnect with drop_ports)
 *
 * The caller saves the state.  Without this, the DNAT rule and the proxy
 * listener of a port would outlive the container and send a later
 * container that took the same key its traffic.
 */
void publish_drop_all(struct container *c)
{
	while (!LIST_EMPTY(&c->published)) {
		publish_event("unpublish", c, LIST_FIRST(&c->published));
		publish_drop(LIST_FIRST(&c->published));
	}
}

static struct container *publish_container(struct json_object *args, char *err,
					   size_t errlen)
{
	const char *name = ctl_arg_str(args, "container");
	struct container *c = name ? model_container(name) : NULL;

	if (!c)
		snprintf(err, errlen, "no such container: %s", name ? name : "(none)");
	return c;
}

/* The container and the SPEC array of a (un)publish request: how many
 * SPECs (1 to PUBLISH_MAX_SPECS), or 0 with the reason in ERR. */
static size_t publish_request(struct json_object *args, const char *verb,
			      struct container **c, struct json_object **specs,
			      char *err, size_t errlen)
{
	size_t n;

	*c = publish_container(args, err, errlen);
	if (!*c)
		return 0;
	*specs = json_object_object_get(args, "specs");
	if (!*specs || !json_object_is_type(*specs, json_type_array) ||
	    !(n = json_object_array_length(*specs)) || n > PUBLISH_MAX_SPECS) {
		snprintf(err, errlen, "port %s needs 1 to %d SPECs", verb, PUBLISH_MAX_SPECS);
		return 0;
	}
	return n;
}

static int publish_cmd(struct ctl_conn *conn, struct json_object *args,
		       struct json_object **result, char *err, size_t errlen)
{
	struct published q[PUBLISH_MAX_SPECS], *done[PUBLISH_MAX_SPECS];
	struct json_object *specs;
	struct container *c;
	size_t i, n;

	(void)conn;
	n = publish_request(args, "publish", &c, &specs, err, errlen);
	if (!n)
		return -1;
	if (publish_on_lan(c)) {
		snprintf(err, errlen, "container %s is on a LAN network (%s): it is reached at its "
			 "own address, nothing to publish", c->name, publish_on_lan(c)->name);
		return -1;
	}
	if (!publish_has_egress(c)) {
		snprintf(err, errlen, "container %s is only on internal networks (or none): "
			 "cannot publish ports", c->name);
		return -1;
	}
	/* every SPEC's syntax before anything is installed */
	for (i = 0; i < n; i++)
		if (publish_check(json_object_get_string(json_object_array_get_idx(specs, i)),
				  &q[i], err, errlen) < 0)
			return -1;
	for (i = 0; i < n; i++) {
		done[i] = publish_one(c, &q[i], err, errlen);
		if (!done[i])
			goto undo;
	}
	if (state_save_ctr(c->name, err, errlen) < 0)
		goto undo;
	*result = json_object_new_array();
	for (i = 0; i < n; i++) {
		publish_flush_udp(done[i]);
		json_object_array_add(*result, publish_json(done[i]));
		publish_event("publish", c, done[i]);
	}
	return 0;
undo:
	while (i-- > 0)
		publish_drop(done[i]);
	return -1;
}

/* publish_matches() - Does mapping PP match the unpublish SPEC Q?  Parts
 * the SPEC omits (host IP, host port) match anything. */
static bool publish_matches(const struct published *pp, const struct published *q,
			    bool ip_given)
{
	return pp->proto == q->proto && pp->cport == q->cport &&
	       pp->count == q->count &&
	       (!q->host_port || pp->host_port == q->host_port) &&
	       (!ip_given || vs_addr_eq(&pp->host_ip, &q->host_ip));
}

/* Check every SPEC of an unpublish against C's mappings, changing nothing.
 * Return: 0, or -1 with ERR. */
static int unpublish_check(struct container *c, struct json_object *specs, size_t n,
			   struct published *q, bool *ipg, char *err, size_t errlen)
{
	struct published *pp;
	size_t i;

	for (i = 0; i < n; i++) {
		const char *s = json_object_get_string(json_object_array_get_idx(specs, i));
		bool found = false;

		if (publish_parse_spec(s, &q[i], err, errlen) < 0)
			return -1;
		ipg[i] = strchr(s, ':') && strchr(s, ':') != strrchr(s, ':');
		LIST_FOREACH(pp, &c->published, link)
			found |= publish_matches(pp, &q[i], ipg[i]);
		if (!found) {
			snprintf(err, errlen, "container %s has no published port %s", c->name, s);
			return -1;
		}
	}
	return 0;
}

LIST_HEAD(publish_list, published);

/* Move C's mappings that match any of the N SPECs from C's list to GONE. */
static void unpublish_take(struct container *c, const struct published *q, const bool *ipg,
			   size_t n, struct publish_list *gone)
{
	struct published *pp, *next;
	size_t i;

	for (pp = LIST_FIRST(&c->published); pp; pp = next) {
		next = LIST_NEXT(pp, link);
		for (i = 0; i < n; i++)
			if (publish_matches(pp, &q[i], ipg[i])) {
				LIST_REMOVE(pp, link);
				LIST_INSERT_HEAD(gone, pp, link);
				break;
			}
	}
}

static int unpublish_cmd(struct ctl_conn *conn, struct json_object *args,
			 struct json_object **result, char *err, size_t errlen)
{
	struct publish_list gone = LIST_HEAD_INITIALIZER(gone);
	struct published q[PUBLISH_MAX_SPECS], *pp;
	bool ipg[PUBLISH_MAX_SPECS];
	struct json_object *specs;
	struct container *c;
	size_t n;

	(void)conn;
	n = publish_request(args, "unpublish", &c, &specs, err, errlen);
	if (!n || unpublish_check(c, specs, n, q, ipg, err, errlen) < 0)
		return -1;
	/* The model first, then the file; the rules and proxies go only once
	 * the file says so, so a failed save changes nothing. */
	unpublish_take(c, q, ipg, n, &gone);
	if (state_save_ctr(c->name, err, errlen) < 0) {
		while ((pp = LIST_FIRST(&gone))) {
			LIST_REMOVE(pp, link);
			LIST_INSERT_HEAD(&c->published, pp, link);
		}
		return -1;
	}
	while ((pp = LIST_FIRST(&gone))) {
		LIST_REMOVE(pp, link);
		publish_event("unpublish", c, pp);
		publish_uninstall(pp);
		free(pp);
	}
	cmd_container_gc(c);
	*result = json_object_new_object();
	return 0;
}

static int port_ls_cmd(struct ctl_conn *conn, struct json_object *args,
		       struct json_object **result, char *err, size_t errlen)
{
	struct container *c;

	(void)conn;
	c = publish_container(args, err, errlen);
	if (!c)
		return -1;
	*result = publish_list_json(c);
	return 0;
}

/**
 * publish_restore_all() - Install every published port from the model
 *
 * Called once after the state is loaded.  A mapping that cannot be
 * installed (its port taken on the host) is logged and kept in the model.
 *
 * Return: number of mappings that failed
 */
int publish_restore_all(void)
{
	struct container *c, *tmp;
	struct published *pp;
	char err[256];
	int failed = 0;

	HASH_ITER(hh, g_model.containers, c, tmp)
		LIST_FOREACH(pp, &c->published, link)
			if (publish_install(c, pp, err, sizeof(err)) < 0) {
				log_warn("publish: %s: cannot restore %u/%s: %s", c->name,
					 pp->cport, publish_proto_name(pp->proto), err);
				failed++;
			} else {
				publish_flush_udp(pp);
			}
	return failed;
}

/**
 * publish_shutdown() - Take every published port's rule and proxy down
 *
 * At exit, before dp_fini() frees NAT and the proxy: the rules are ours
 * (publish_install() allocates them), and NAT only points to them, so
 * without this each one was lost at exit (208 bytes a mapping, a definite
 * leak to LeakSanitizer and memcheck).  The model keeps the mappings:
 * the state file, and the next start, still have them.
 */
void publish_shutdown(void)
{
	struct container *c, *tmp;
	struct published *pp;

	if (!cmd_dp() || !cmd_dp()->nat)
		return;
	HASH_ITER(hh, g_model.containers, c, tmp)
		LIST_FOREACH(pp, &c->published, link)
			publish_uninstall(pp);
}

void publish_init(void)
{
	control_register(&ctl_schema_port_publish, publish_cmd);
	control_register(&ctl_schema_port_unpublish, unpublish_cmd);
	control_register(&ctl_schema_port_ls, port_ls_cmd);
}
