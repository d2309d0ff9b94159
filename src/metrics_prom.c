/* metrics_prom.c - a `stats` reply in Prometheus' text exposition format.
 *
 * Theory of operation.  One function turns the JSON of a `stats` reply
 * (cmd_show.c, metrics.c, dns_ctl.c) into the text Prometheus scrapes, so
 * `vsctl stats --format prometheus` and vswitchd's --metrics-listen
 * endpoint print the same families from the same facts: vsctl renders
 * the reply it got, vswitchd renders a snapshot it took (metrics_http.c).
 * It reads the reply only through typed, defaulted lookups, so a field a
 * daemon lacks becomes a missing series, never a crash.
 *
 * Names follow Prometheus' conventions: the prefix vswitch_, base units,
 * _total on counters, one HELP and one TYPE line per family, followed by
 * all of its samples.  Label values are escaped as the format asks
 * (backslash, double quote, newline).  Every port has its four counters;
 * drop samples exist for the reasons that happened (a reason never seen
 * has no sample, as the daemon's reply has no key for it).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include "metrics.h"

/* A family: its name, type and help, printed before its first sample. */
struct metrics_family {
	const char *name, *type, *help;
};

static const struct metrics_family metrics_port_fams[] = {
	{ "vswitch_port_rx_packets_total", "counter", "Frames received on a port." },
	{ "vswitch_port_rx_bytes_total", "counter", "Bytes received on a port." },
	{ "vswitch_port_tx_packets_total", "counter", "Frames sent on a port." },
	{ "vswitch_port_tx_bytes_total", "counter", "Bytes sent on a port." },
};
static const char *const metrics_port_keys[] = { "rx_packets", "rx_bytes", "tx_packets",
						 "tx_bytes" };

/* The resolver's counters: JSON key, metric name, help. */
static const struct { const char *key; struct metrics_family f; } metrics_dns[] = {
	{ "queries", { "vswitch_dns_queries_total", "counter",
		       "DNS queries received from containers." } },
	{ "local_answers", { "vswitch_dns_answers_total", "counter",
			     "Queries answered from container names and aliases." } },
	{ "forwarded", { "vswitch_dns_forwards_total", "counter",
			 "Queries forwarded to an upstream resolver." } },
	{ "upstream_answers", { "vswitch_dns_upstream_answers_total", "counter",
				"Answers relayed from upstream resolvers." } },
	{ "upstream_timeouts", { "vswitch_dns_failures_total", "counter",
				 "Forwarded queries an upstream never answered." } },
	{ "dropped_bad", { "vswitch_dns_dropped_malformed_total", "counter",
			   "Malformed queries dropped." } },
	{ "dropped_flood", { "vswitch_dns_dropped_flood_total", "counter",
			     "Queries dropped over the rate limit." } },
	{ "pending", { "vswitch_dns_pending_queries", "gauge",
		       "Forwarded queries waiting for an answer." } },
};

static void metrics_head(FILE *f, const struct metrics_family *fam)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", fam->name, fam->help, fam->name, fam->type);
}

/* A label value, escaped as the exposition format asks. */
static void metrics_label(FILE *f, const char *name, const char *v, bool last)
{
	fprintf(f, "%s=\"", name);
	for (; v && *v; v++) {
		if (*v == '\\' || *v == '"')
			fputc('\\', f);
		if (*v == '\n')
			fputs("\\n", f);
		else
			fputc(*v, f);
	}
	fputs(last ? "\"" : "\",", f);
}

static struct json_object *metrics_get(struct json_object *o, const char *key,
				       json_type t)
{
	struct json_object *v = NULL;

	if (!json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, t))
		return NULL;
	return v;
}

static long long metrics_int(struct json_object *o, const char *key)
{
	struct json_object *v = metrics_get(o, key, json_type_int);

	return v ? (long long)json_object_get_int64(v) : 0;
}

static const char *metrics_str(struct json_object *o, const char *key)
{
	struct json_object *v = metrics_get(o, key, json_type_string);

	return v ? json_object_get_string(v) : "";
}

static void metrics_port_labels(FILE *f, struct json_object *p, bool last)
{
	metrics_label(f, "network", metrics_str(p, "network"), false);
	metrics_label(f, "container", metrics_str(p, "container"), false);
	metrics_label(f, "port", metrics_str(p, "name"), last);
}

static void metrics_ports(FILE *f, struct json_object *ports)
{
	static const struct metrics_family drops = {
		"vswitch_port_drops_total", "counter",
		"Frames dropped, by the port they came in on and the reason." };
	size_t i, n = ports ? json_object_array_length(ports) : 0;
	int k;

	for (k = 0; k < 4; k++) {
		metrics_head(f, &metrics_port_fams[k]);
		for (i = 0; i < n; i++) {
			struct json_object *p = json_object_array_get_idx(ports, i);

			fprintf(f, "%s{", metrics_port_fams[k].name);
			metrics_port_labels(f, p, true);
			fprintf(f, "} %lld\n", metrics_int(p, metrics_port_keys[k]));
		}
	}
	metrics_head(f, &drops);
	for (i = 0; i < n; i++) {
		struct json_object *p = json_object_array_get_idx(ports, i);
		struct json_object *d = metrics_get(p, "drops", json_type_object);

		if (!d)
			continue;
		json_object_object_foreach(d, reason, v) {
			fprintf(f, "%s{", drops.name);
			metrics_port_labels(f, p, false);
			metrics_label(f, "reason", reason, true);
			fprintf(f, "} %lld\n", (long long)json_object_get_int64(v));
		}
	}
}

static void metrics_fdb(FILE *f, struct json_object *fdb)
{
	static const struct metrics_family fam = {
		"vswitch_fdb_entries", "gauge", "MAC addresses in a network's learning table." };

	metrics_head(f, &fam);
	if (!fdb)
		return;
	json_object_object_foreach(fdb, net, v) {
		fprintf(f, "%s{", fam.name);
		metrics_label(f, "network", net, true);
		fprintf(f, "} %lld\n", (long long)json_object_get_int64(v));
	}
}

static void metrics_ct(FILE *f, struct json_object *ct)
{
	static const struct metrics_family ent = {
		"vswitch_conntrack_entries", "gauge", "Tracked connections, by protocol and state." };
	static const struct metrics_family lim = {
		"vswitch_conntrack_limit", "gauge", "The most connections tracked at once (--ct-max)." };
	struct json_object *by = metrics_get(ct, "by_state", json_type_object);

	metrics_head(f, &ent);
	if (by) {
		json_object_object_foreach(by, proto, states) {
			if (!json_object_is_type(states, json_type_object))
				continue;
			json_object_object_foreach(states, st, v) {
				fprintf(f, "%s{", ent.name);
				metrics_label(f, "proto", proto, false);
				metrics_label(f, "state", st, true);
				fprintf(f, "} %lld\n", (long long)json_object_get_int64(v));
			}
		}
	}
	if (ct) {
		metrics_head(f, &lim);
		fprintf(f, "%s %lld\n", lim.name, metrics_int(ct, "limit"));
	}
}

static void metrics_nat(FILE *f, struct json_object *nat)
{
	static const struct metrics_family fam = {
		"vswitch_nat_ports_in_use", "gauge",
		"Uplink ports (ICMP ids) held by SNAT mappings, by protocol." };
	struct json_object *in = metrics_get(nat, "ports_in_use", json_type_object);

	metrics_head(f, &fam);
	if (!in)
		return;
	json_object_object_foreach(in, proto, v) {
		fprintf(f, "%s{", fam.name);
		metrics_label(f, "proto", proto, true);
		fprintf(f, "} %lld\n", (long long)json_object_get_int64(v));
	}
}

static void metrics_dns_and_capture(FILE *f, struct json_object *stats)
{
	static const struct metrics_family cap = {
		"vswitch_capture_sessions", "gauge", "Live capture sessions." };
	static const struct metrics_family rec = {
		"vswitch_recorder_bytes", "gauge",
		"Bytes the flight recorders' rings hold, all ports together." };
	static const struct metrics_family recb = {
		"vswitch_recorder_budget_bytes", "gauge",
		"The flight recorders' global budget (--recorder-memory)." };
	struct json_object *c = metrics_get(stats, "capture", json_type_object);
	struct json_object *dns = metrics_get(stats, "dns", json_type_object);
	size_t i;

	for (i = 0; dns && i < sizeof(metrics_dns) / sizeof(metrics_dns[0]); i++) {
		metrics_head(f, &metrics_dns[i].f);
		fprintf(f, "%s %lld\n", metrics_dns[i].f.name, metrics_int(dns, metrics_dns[i].key));
	}
	metrics_head(f, &cap);
	fprintf(f, "%s %lld\n", cap.name, metrics_int(c, "sessions"));
	metrics_head(f, &rec);
	fprintf(f, "%s %lld\n", rec.name, metrics_int(c, "recorder_bytes"));
	metrics_head(f, &recb);
	fprintf(f, "%s %lld\n", recb.name, metrics_int(c, "recorder_budget"));
}

/* The published ports' userspace proxy (proxy.c's "proxy" block). */
static void metrics_proxy(FILE *f, struct json_object *px)
{
	static const struct { const char *key; struct metrics_family f; } gauges[] = {
		{ "tcp_conns", { "vswitch_proxy_tcp_connections", "gauge",
				 "TCP connections the published-port proxy holds." } },
		{ "udp_flows", { "vswitch_proxy_udp_flows", "gauge",
				 "UDP flows the published-port proxy holds." } },
	};
	static const struct { const char *key, *proto, *why; } refused[] = {
		{ "tcp_refused_budget", "tcp", "budget" },
		{ "tcp_refused_source_cap", "tcp", "source_cap" },
		{ "udp_refused_budget", "udp", "budget" },
		{ "udp_refused_source_cap", "udp", "source_cap" },
	};
	static const struct metrics_family ref = {
		"vswitch_proxy_refused_total", "counter",
		"Connections or flows the proxy refused: over its file budget or one source's cap." };
	size_t i;

	if (!px)
		return;
	for (i = 0; i < sizeof(gauges) / sizeof(gauges[0]); i++) {
		metrics_head(f, &gauges[i].f);
		fprintf(f, "%s %lld\n", gauges[i].f.name, metrics_int(px, gauges[i].key));
	}
	metrics_head(f, &ref);
	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		fprintf(f, "%s{", ref.name);
		metrics_label(f, "proto", refused[i].proto, false);
		metrics_label(f, "reason", refused[i].why, true);
		fprintf(f, "} %lld\n", metrics_int(px, refused[i].key));
	}
}

static void metrics_events(FILE *f, struct json_object *ev)
{
	static const struct metrics_family lis = {
		"vswitch_events_listeners", "gauge", "Clients of `vsctl events`." };
	static const struct metrics_family lost = {
		"vswitch_events_dropped_total", "counter",
		"Events a listener lost because it did not read." };

	if (!ev)
		return;
	metrics_head(f, &lis);
	fprintf(f, "%s %lld\n", lis.name, metrics_int(ev, "listeners"));
	metrics_head(f, &lost);
	fprintf(f, "%s %lld\n", lost.name, metrics_int(ev, "dropped"));
}

/* The state journal (state.c's "state" block). */
static void metrics_state(FILE *f, struct json_object *st)
{
	static const struct metrics_family recs = {
		"vswitch_state_journal_records", "gauge",
		"Changes in the state journal since state.json was last rewritten." };
	static const struct metrics_family comp = {
		"vswitch_state_compactions_total", "counter",
		"Rewrites of state.json since start." };
	static const struct metrics_family torn = {
		"vswitch_state_journal_torn_total", "counter",
		"Torn last journal records dropped at start." };

	if (!st)
		return;
	metrics_head(f, &recs);
	fprintf(f, "%s %lld\n", recs.name, metrics_int(st, "journal_records"));
	metrics_head(f, &comp);
	fprintf(f, "%s %lld\n", comp.name, metrics_int(st, "compactions"));
	metrics_head(f, &torn);
	fprintf(f, "%s %lld\n", torn.name, metrics_int(st, "journal_torn"));
}

/**
 * metrics_prom_write() - Write a stats reply as Prometheus text
 * @f:		stream
 * @stats:	the result of `stats`
 */
void metrics_prom_write(FILE *f, struct json_object *stats)
{
	metrics_ports(f, metrics_get(stats, "ports", json_type_array));
	metrics_fdb(f, metrics_get(stats, "fdb", json_type_object));
	metrics_ct(f, metrics_get(stats, "conntrack", json_type_object));
	metrics_nat(f, metrics_get(stats, "nat", json_type_object));
	metrics_dns_and_capture(f, stats);
	metrics_events(f, metrics_get(stats, "events", json_type_object));
	metrics_proxy(f, metrics_get(stats, "proxy", json_type_object));
	metrics_state(f, metrics_get(stats, "state", json_type_object));
}

/**
 * metrics_prom_text() - A stats reply as Prometheus text, in a new buffer
 * @stats:	the result of `stats`
 * @len:	set to the text's length
 *
 * Return: the text (malloc'd), or NULL when out of memory.
 */
char *metrics_prom_text(struct json_object *stats, size_t *len)
{
	char *s = NULL;
	FILE *f = open_memstream(&s, len);

	if (!f)
		return NULL;
	metrics_prom_write(f, stats);
	if (fclose(f)) {
		free(s);
		return NULL;
	}
	return s;
}
