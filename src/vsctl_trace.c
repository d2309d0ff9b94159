/* vsctl_trace.c - `vsctl trace`'s text: typed events made readable.
 *
 * vswitchd answers a trace with typed events (stage, decision, reason,
 * port, NAT binding) and a verdict computed from them (src/trace.c,
 * doc/control-protocol.md).  This file turns them into the lines a
 * learner reads, one per event, "stage: what happened", then
 * "verdict: ...".  It lives apart from the command table because it is
 * presentation only: the meaning is in the JSON, which `--format json`
 * prints untouched, and no decision here is taken from words.
 */
#include <stdio.h>
#include <string.h>
#include <json-c/json.h>
#include "vsctl.h"

/* vsctl_trace_str() - KEY's string in O; NULL when absent or null. */
static const char *vsctl_trace_str(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static void vsctl_trace_packet(FILE *f, struct json_object *pk)
{
	const char *proto = vsctl_trace_str(pk, "proto");
	const char *what = !proto ? "?" : !strcmp(proto, "tcp") ? "tcp SYN" :
			   !strcmp(proto, "udp") ? "udp" : "icmp echo";

	fprintf(f, "packet: %s %s -> %s", what, vsctl_jstr(pk, "src", "?"),
		vsctl_jstr(pk, "dst", "?"));
	if (json_object_object_get_ex(pk, "dport", NULL))
		fprintf(f, ":%lld", vsctl_jint(pk, "dport", 0));
	fprintf(f, " from %s on port %s\n", vsctl_jstr(pk, "from", "?"),
		vsctl_jstr(pk, "port", "?"));
}

/* One side of a binding: "10.0.0.2:40000 -> 1.2.3.4:80 (zone n1)". */
static void vsctl_trace_tuple(FILE *f, struct json_object *t, bool icmp)
{
	if (icmp)
		fprintf(f, "%s -> %s id %lld", vsctl_jstr(t, "src", "?"),
			vsctl_jstr(t, "dst", "?"), vsctl_jint(t, "sport", 0));
	else
		fprintf(f, "%s:%lld -> %s:%lld", vsctl_jstr(t, "src", "?"),
			vsctl_jint(t, "sport", 0), vsctl_jstr(t, "dst", "?"),
			vsctl_jint(t, "dport", 0));
	fprintf(f, " (zone %s)", vsctl_jstr(t, "zone", "?"));
}

static const char *vsctl_trace_nat_words(const char *kind)
{
	static const struct { const char *kind, *words; } w[] = {
		{ "existing", "existing connection" },
		{ "snat", "new connection, SNAT to the uplink address" },
		{ "dnat", "new connection to a published port, DNAT" },
		{ "hairpin", "new connection to a published port, DNAT + SNAT (hairpin)" },
	};
	size_t i;

	for (i = 0; kind && i < sizeof(w) / sizeof(w[0]); i++)
		if (!strcmp(kind, w[i].kind))
			return w[i].words;
	return kind ? kind : "?";
}

static void vsctl_trace_binding(FILE *f, struct json_object *b)
{
	struct json_object *before = NULL, *after = NULL;
	const char *proto = vsctl_trace_str(b, "proto");
	bool icmp = proto && !strcmp(proto, "icmp");

	json_object_object_get_ex(b, "before", &before);
	json_object_object_get_ex(b, "after", &after);
	fprintf(f, "%s: %s ", vsctl_trace_nat_words(vsctl_trace_str(b, "kind")),
		proto ? proto : "?");
	vsctl_trace_tuple(f, before, icmp);
	fprintf(f, " leaves as ");
	vsctl_trace_tuple(f, after, icmp);
}

/* The part after "stage: ", by decision. */
static void vsctl_trace_event(FILE *f, struct json_object *e)
{
	const char *d = vsctl_jstr(e, "decision", "?"), *port = vsctl_trace_str(e, "port");
	const char *detail = vsctl_trace_str(e, "detail"), *reason = vsctl_trace_str(e, "reason");
	struct json_object *b;

	fprintf(f, "%s: ", vsctl_jstr(e, "stage", "?"));
	if (!strcmp(d, "nat") && json_object_object_get_ex(e, "binding", &b)) {
		vsctl_trace_binding(f, b);
	} else if (!strcmp(d, "drop")) {
		fprintf(f, "drop: %s", reason ? reason : detail ? detail : "no reason");
		if (reason && detail)
			fprintf(f, " (%s)", detail);
		if (port)
			fprintf(f, " (dry run: not counted on port %s)", port);
	} else if (!strcmp(d, "output")) {
		fprintf(f, "output to port %s", port ? port : "?");
		if (json_object_object_get_ex(e, "tunnel", &b))	/* the remote hop */
			fprintf(f, ": VTEP %s:%lld, VNI %lld", vsctl_jstr(b, "vtep", "?"),
				vsctl_jint(b, "port", 0), vsctl_jint(b, "vni", 0));
	} else if (!strcmp(d, "accept")) {
		fprintf(f, "accepted on port %s%s%s%s", port ? port : "?", detail ? " (" : "",
			detail ? detail : "", detail ? ")" : "");
	} else {
		if (!strcmp(d, "local"))
			fprintf(f, "answered by the switch: ");
		fprintf(f, "%s", detail ? detail : d);
		if (port && strcmp(d, "local"))
			fprintf(f, " on port %s", port);
	}
	fputc('\n', f);
}

/* "forward (...)", "local (...)" or "drop (...)". */
static void vsctl_trace_verdict(FILE *f, struct json_object *v)
{
	const char *d = vsctl_jstr(v, "decision", "?"), *nat = vsctl_trace_str(v, "nat");
	const char *stage = vsctl_trace_str(v, "stage"), *reason = vsctl_trace_str(v, "reason");
	const char *port = vsctl_trace_str(v, "port");
	struct json_object *out = NULL;
	size_t i, n;

	fprintf(f, "verdict: %s (", d);
	if (!strcmp(d, "forward")) {
		if (nat && !strcmp(nat, "hairpin"))
			fprintf(f, "hairpin: DNAT to a published container, SNAT to the uplink address; ");
		else if (nat && !strcmp(nat, "dnat"))
			fprintf(f, "DNAT to a published container; ");
		else if (nat)
			fprintf(f, "through NAT; ");
		json_object_object_get_ex(v, "output", &out);
		n = json_object_is_type(out, json_type_array) ? json_object_array_length(out) : 0;
		fprintf(f, "output to port%s ", n > 1 ? "s" : "");
		for (i = 0; i < n; i++)
			fprintf(f, "%s%s", i ? ", " : "",
				json_object_get_string(json_object_array_get_idx(out, i)));
	} else if (!strcmp(d, "local")) {
		fprintf(f, "answered by the switch%s%s", port ? " to port " : "", port ? port : "");
	} else if (stage) {
		fprintf(f, "%s: %s", stage, reason ? reason : "no answer");
	} else {
		fprintf(f, "no stage took it");
	}
	fprintf(f, ")\n");
}

/**
 * vsctl_trace_print() - Print a trace reply as text
 * @f:		where
 * @res:	the reply's result: {packet, events[], events_lost, verdict}
 */
void vsctl_trace_print(FILE *f, struct json_object *res)
{
	struct json_object *pk, *events = NULL, *v;
	size_t i, n;

	if (json_object_object_get_ex(res, "packet", &pk))
		vsctl_trace_packet(f, pk);
	json_object_object_get_ex(res, "events", &events);
	n = json_object_is_type(events, json_type_array) ? json_object_array_length(events) : 0;
	for (i = 0; i < n; i++)
		vsctl_trace_event(f, json_object_array_get_idx(events, i));
	if (vsctl_jint(res, "events_lost", 0) > 0)
		fprintf(f, "(%lld more events not recorded)\n", vsctl_jint(res, "events_lost", 0));
	if (json_object_object_get_ex(res, "verdict", &v))
		vsctl_trace_verdict(f, v);
}
