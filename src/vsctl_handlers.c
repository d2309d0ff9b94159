/* vsctl_handlers.c - vsctl's reply printers, bound to the schema's rows.
 *
 * Each command of the control schema that vsctl has (a row with words) is
 * bound here, in vsctl_commands[], to the function that sends its request
 * and prints the reply, and to its check across options if it has one.
 * The words, options and help of a command are its row's (ctl_schema.c);
 * this file only knows how a reply looks on a terminal.
 *
 * Printers are thin: send the args (vsctl_transact), then print the
 * result as a table or, with --format json, as the daemon's JSON.  Every
 * read of a reply is typed and defaulted (vsctl_jstr, vsctl_jint), so a
 * daemon that adds or drops a field never crashes vsctl.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "vsctl.h"
#include "capture_client.h"
#include "metrics.h"

static vsctl_handler_fn vsctl_handlers_show, vsctl_handlers_net_create,
	vsctl_handlers_net_ls, vsctl_handlers_net_inspect, vsctl_handlers_removed,
	vsctl_handlers_prune, vsctl_handlers_quiet, vsctl_handlers_ctr_ls,
	vsctl_handlers_text_lines, vsctl_handlers_fdb_show, vsctl_handlers_flushed,
	vsctl_handlers_counters, vsctl_handlers_stats, vsctl_handlers_trace,
	vsctl_handlers_capture;

#define BIND(id, fn) { .row = &ctl_schema_##id, .handler = fn }
#define BINDV(id, fn, check) { .row = &ctl_schema_##id, .handler = fn, .validate = check }

/* Every row with vsctl words, once (tests/unit/test_vsctl.c checks). */
const struct vsctl_cmd vsctl_commands[] = {
	BIND(show, vsctl_handlers_show),
	BINDV(network_create, vsctl_handlers_net_create, vsctl_check_net_create),
	BINDV(network_ls, vsctl_handlers_net_ls, vsctl_check_filters),
	BIND(network_inspect, vsctl_handlers_net_inspect),
	BIND(network_rm, vsctl_handlers_removed),
	BIND(network_prune, vsctl_handlers_prune),
	BIND(network_connect, vsctl_handlers_quiet),
	BIND(network_disconnect, vsctl_handlers_quiet),
	BIND(network_vtep_add, vsctl_handlers_quiet),
	BIND(network_vtep_rm, vsctl_handlers_quiet),
	BIND(container_ls, vsctl_handlers_ctr_ls),
	BIND(cni_conf, vsctl_cni_conf),
	BIND(netns_add, vsctl_netns_add),
	BIND(netns_exec, vsctl_netns_exec),
	BIND(netns_ls, vsctl_netns_ls),
	BIND(netns_rm, vsctl_netns_rm),
	BINDV(port_publish, vsctl_handlers_text_lines, vsctl_check_specs),
	BINDV(port_unpublish, vsctl_handlers_quiet, vsctl_check_specs),
	BIND(port_ls, vsctl_handlers_text_lines),
	BIND(fdb_show, vsctl_handlers_fdb_show),
	BIND(fdb_flush, vsctl_handlers_flushed),
	BIND(conntrack_ls, vsctl_handlers_text_lines),
	BIND(conntrack_flush, vsctl_handlers_flushed),
	BIND(conntrack_stats, vsctl_handlers_counters),
	BINDV(capture, vsctl_handlers_capture, vsctl_check_capture),
	BINDV(trace, vsctl_handlers_trace, vsctl_check_trace),
	BIND(events, vsctl_events),
	BIND(stats, vsctl_handlers_stats),
	BIND(help, vsctl_help_cmd),
};
const size_t vsctl_n_commands = sizeof(vsctl_commands) / sizeof(vsctl_commands[0]);

/**
 * vsctl_cmd_find() - vsctl's binding of a schema row
 * @row:	the command
 *
 * Return: the binding, or NULL if vsctl has no printer for the row.
 */
const struct vsctl_cmd *vsctl_cmd_find(const struct ctl_schema *row)
{
	size_t i;

	for (i = 0; i < vsctl_n_commands; i++)
		if (vsctl_commands[i].row == row)
			return &vsctl_commands[i];
	return NULL;
}

/**
 * vsctl_handlers_call() - Send the command's request; print JSON if asked
 * @ctx:	invocation
 * @cmd:	command
 * @res:	the result, when the caller has to print it (table mode)
 *
 * Return: -1 when the JSON was printed and the caller is done, else the
 * exit status (0: *res is set and the caller formats it).
 */
static int vsctl_handlers_call(struct vsctl_ctx *ctx, const struct vsctl_cmd *cmd,
			       struct json_object **res)
{
	int rc = vsctl_transact(ctx, cmd->row->cmd, ctx->args, res);

	if (rc)
		return rc;
	vsctl_docker_filter(ctx, *res);
	if (ctx->tmpl) {
		vsctl_docker_print(ctx, *res);
	} else if (ctx->format == VSCTL_FMT_JSON || ctx->format == VSCTL_FMT_RAW) {
		vsctl_json_print(ctx->out, *res);
	} else {
		return 0;
	}
	json_object_put(*res);
	*res = NULL;
	return -1;
}

/* Returns from the caller once the reply was an error or was printed as
 * JSON: allocate what the table output needs only after it. */
#define VSCTL_CALL(ctx, cmd, res) do { \
	int rc_ = vsctl_handlers_call(ctx, cmd, &(res)); \
	if (rc_) \
		return rc_ < 0 ? 0 : rc_; \
} while (0)

static size_t vsctl_handlers_len(struct json_object *a)
{
	return json_object_is_type(a, json_type_array) ? json_object_array_length(a) : 0;
}

static struct json_object *vsctl_handlers_at(struct json_object *a, size_t i)
{
	return json_object_array_get_idx(a, i);
}

static int vsctl_handlers_net_create(struct vsctl_ctx *ctx, const struct vsctl_cmd *cmd,
				     struct json_object *args)
{
	struct json_object *res;
	const char *id;

	VSCTL_CALL(ctx, cmd, res);
	/* The result is the network as inspect shows it (Id), or as ls (id). */
	id = vsctl_jstr(res, "Id", vsctl_jstr(res, "id", ""));
	fprintf(ctx->out, "%s\n", id);
	json_object_put(res);
	return 0;
}

static int vsctl_handlers_net_ls(struct vsctl_ctx *ctx, const struct vsctl_cmd *cmd,
				 struct json_object *args)
{
	static const char *const hdr[] = { "NETWORK ID", "NAME", "DRIVER", "SCOPE" };
	bool quiet = vsctl_jint(ctx->local, "quiet", 0);
	bool whole = vsctl_jint(ctx->local, "no_trunc", 0);
	struct vsctl_table *t;
	struct json_object *res;
	size_t i;

	VSCTL_CALL(ctx, cmd, res);
	t = vsctl_table_new(4, hdr);
	for (i = 0; i < vsctl_handlers_len(res); i++) {
		struct json_object *n = vsctl_handlers_at(res, i);
		char id[65];
		const char *row[4];

		snprintf(id, whole ? sizeof(id) : 13, "%s", vsctl_jstr(n, "id", ""));
		if (quiet) {
			fprintf(ctx->out, "%s\n", id);
			continue;
		}
		row[0] = id;
		row[1] = vsctl_jstr(n, "name", "");
		row[2] = vsctl_jstr(n, "driver", "bridge");
		row[3] = vsctl_jstr(n, "scope", "local");
		vsctl_table_add(t, row);
	}
	if (!quiet)
		vsctl_table_print(ctx->out, t);
	vsctl_table_free(t);
	json_object_put(res);
	return 0;
}

/* inspect prints JSON in both formats, as docker does. */
static int vsctl_handlers_net_inspect(struct vsctl_ctx *ctx, const struct vsctl_cmd *cmd,
				      struct json_object *args)
{
	struct json_object *res;

	VSCTL_CALL(ctx, cmd, res);
	vsctl_json_print(ctx->out, res);
	json_object_put(res);
	return 0;
}

static void vsctl_handlers_print_removed(struct vsctl_ctx *ctx, struct json_object *res)
{
	struct json_object *names = NULL;
	size_t i;

	json_object_object_get_ex(res, "removed", &names);
	for (i = 0; i < vsctl_handlers_len(names); i++)
		fprintf(ctx->out, "%s\n", json_object_get_string(vsctl_handlers_at(names, i)));
}

static int vsctl_handlers_removed(struct vsctl_ctx *ctx, const struct vsctl_cmd *cmd,
				  struct json_object *args)
{
	struct json_object *res;

	VSCTL_CALL(ctx, cmd, res);
	vsctl_handlers_print_removed(ctx, res);
	json_object_put(res);
	return 0;
}

/* Ask as docker does; no answer (EOF, not a tty and nothing piped) is no. */
static bool vsctl_handlers_confirm(struct vsctl_ctx *ctx)
{
	char line[64];

	fputs("WARNING! This will remove all custom networks not used by at least "
	      "one container.\nAre you sure you want to continue? [y/N] ", ctx->err);
	fflush(ctx->err);
	if (!fgets(line, sizeof(line), stdin))
		return false;
	return line[0] == 'y' || line[0] == 'Y';
}

static int vsctl_handlers_prune(struct vsctl_ctx *ctx, const struct vsctl_cmd *cmd,
				struct json_object *args)
{
	if (!vsctl_jint(ctx->local, "force", 0) && !vsctl_handlers_confirm(ctx))
		return 0;
	return vsctl_handlers_removed(ctx, cmd, args);
}

/* connect, disconnect, unpublish: silent on success. */
static int vsctl_handlers_quiet(struct vsctl_ctx *ctx, const struct vsctl_cmd *cmd,
				struct json_object *args)
{
	struct json_object *res;

	VSCTL_CALL(ctx, cmd, res);
	json_object_put(res);
	return 0;
}

/* Is WORD one of the comma-separated words of LIST? */
static bool vsctl_handlers_word_in(const char *list, const char *word)
{
	size_t n = strlen(word);
	const char *p = list;

	while ((p = strstr(p, word))) {
		if ((p == list || p[-1] == ',') && (p[n] == ',' || !p[n]))
			return true;
		p += n;
	}
	return false;
}

static int vsctl_handlers_ctr_ls(struct vsctl_ctx *ctx, const struct vsctl_cmd *cmd,
				 struct json_object *args)
{
	static const char *const hdr[] = { "NAME", "DNS-NAME", "OWNER", "NETNS", "NETWORKS" };
	struct vsctl_table *t;
	struct json_object *res;
	size_t i, j;

	VSCTL_CALL(ctx, cmd, res);
	t = vsctl_table_new(5, hdr);
	for (i = 0; i < vsctl_handlers_len(res); i++) {
		struct json_object *c = vsctl_handlers_at(res, i), *eps = NULL;
		char nets[1024] = "", owners[512] = "";
		size_t off = 0, ooff = 0;
		const char *row[5];

		json_object_object_get_ex(c, "endpoints", &eps);
		for (j = 0; j < vsctl_handlers_len(eps) && off < sizeof(nets); j++) {
			struct json_object *e = vsctl_handlers_at(eps, j);
			const char *ow = vsctl_jstr(e, "owner", "vsctl");

			off += snprintf(nets + off, sizeof(nets) - off, "%s%s=%s",
					j ? "," : "", vsctl_jstr(e, "network", "?"),
					vsctl_jstr(e, "ip", "?"));
			/* each owner once: most containers have one */
			if (!vsctl_handlers_word_in(owners, ow) && ooff < sizeof(owners))
				ooff += snprintf(owners + ooff, sizeof(owners) - ooff, "%s%s",
						 ooff ? "," : "", ow);
		}
		row[0] = vsctl_jstr(c, "name", "");
		row[1] = vsctl_jstr(c, "dns_name", NULL);
		row[1] = row[1] && *row[1] ? row[1] : NULL;
		row[2] = owners[0] ? owners : NULL;
		row[3] = vsctl_jstr(c, "netns", NULL);
		row[4] = nets[0] ? nets : NULL;
		vsctl_table_add(t, row);
	}
	vsctl_table_print(ctx->out, t);
	vsctl_table_free(t);
	json_object_put(res);
	return 0;
}

/* port ls, port publish, conntrack ls: the "text" of each element. */
static int vsctl_handlers_text_lines(struct vsctl_ctx *ctx, const struct vsctl_cmd *cmd,
				     struct json_object *args)
{
	struct json_object *res;
	size_t i;

	VSCTL_CALL(ctx, cmd, res);
	for (i = 0; i < vsctl_handlers_len(res); i++)
		fprintf(ctx->out, "%s\n", vsctl_jstr(vsctl_handlers_at(res, i), "text", ""));
	json_object_put(res);
	return 0;
}

static int vsctl_handlers_fdb_show(struct vsctl_ctx *ctx, const struct vsctl_cmd *cmd,
				   struct json_object *args)
{
	static const char *const hdr[] = { "NETWORK", "MAC", "PORT", "AGE", "KIND", "ADDRESSES" };
	struct vsctl_table *t;
	struct json_object *res;
	size_t i;

	VSCTL_CALL(ctx, cmd, res);
	t = vsctl_table_new(6, hdr);
	for (i = 0; i < vsctl_handlers_len(res); i++) {
		struct json_object *e = vsctl_handlers_at(res, i), *a = NULL;
		long long age = vsctl_jint(e, "age", -1);
		char agebuf[24], addrs[256] = "";
		const char *row[6];
		size_t j;

		json_object_object_get_ex(e, "addresses", &a);
		for (j = 0; j < vsctl_handlers_len(a); j++)   /* IPv4, IPv6, link-local */
			snprintf(addrs + strlen(addrs), sizeof(addrs) - strlen(addrs), "%s%s",
				 j ? "," : "", json_object_get_string(vsctl_handlers_at(a, j)));

		snprintf(agebuf, sizeof(agebuf), "%lld", age);
		row[0] = vsctl_jstr(e, "network", NULL);
		row[1] = vsctl_jstr(e, "mac", NULL);
		row[2] = vsctl_jstr(e, "port", NULL);
		row[3] = age >= 0 ? agebuf : NULL;
		row[4] = vsctl_jstr(e, "kind", NULL);
		row[5] = addrs[0] ? addrs : NULL;
		vsctl_table_add(t, row);
	}
	vsctl_table_print(ctx->out, t);
	vsctl_table_free(t);
	json_object_put(res);
	return 0;
}

static int vsctl_handlers_flushed(struct vsctl_ctx *ctx, const struct vsctl_cmd *cmd,
				  struct json_object *args)
{
	struct json_object *res;

	VSCTL_CALL(ctx, cmd, res);
	fprintf(ctx->out, "flushed %lld entries\n", vsctl_jint(res, "flushed", 0));
	json_object_put(res);
	return 0;
}

/* Flatten an object of counters into KEY VALUE rows, nested keys dotted. */
static void vsctl_handlers_flatten(struct vsctl_table *t, const char *prefix,
				   struct json_object *o)
{
	json_object_object_foreach(o, key, val) {
		char name[256];
		const char *row[2];

		snprintf(name, sizeof(name), "%s%s%s", prefix, *prefix ? "." : "", key);
		if (json_object_is_type(val, json_type_object)) {
			vsctl_handlers_flatten(t, name, val);
			continue;
		}
		row[0] = name;
		row[1] = val ? json_object_to_json_string_ext(val, JSON_C_TO_STRING_PLAIN |
							      JSON_C_TO_STRING_NOSLASHESCAPE) : NULL;
		if (val && json_object_is_type(val, json_type_string))
			row[1] = json_object_get_string(val);
		vsctl_table_add(t, row);
	}
}

static int vsctl_handlers_counters(struct vsctl_ctx *ctx, const struct vsctl_cmd *cmd,
				   struct json_object *args)
{
	static const char *const hdr[] = { "COUNTER", "VALUE" };
	struct vsctl_table *t;
	struct json_object *res;

	VSCTL_CALL(ctx, cmd, res);
	t = vsctl_table_new(2, hdr);
	if (json_object_is_type(res, json_type_object))
		vsctl_handlers_flatten(t, "", res);
	vsctl_table_print(ctx->out, t);
	vsctl_table_free(t);
	json_object_put(res);
	return 0;
}

static long long vsctl_handlers_drops(struct json_object *p)
{
	struct json_object *d = NULL;
	long long sum = 0;

	if (!json_object_object_get_ex(p, "drops", &d) ||
	    !json_object_is_type(d, json_type_object))
		return 0;
	json_object_object_foreach(d, k, v) {
		(void)k;
		sum += json_object_get_int64(v);
	}
	return sum;
}

/* The port table shared by stats: counters and total drops. */
static void vsctl_handlers_port_table(struct vsctl_ctx *ctx, struct json_object *ports)
{
	static const char *const hdr[] = { "PORT", "NETWORK", "CONTAINER", "RX-PKTS",
					   "RX-BYTES", "TX-PKTS", "TX-BYTES", "DROPS" };
	static const char *const keys[] = { "rx_packets", "rx_bytes", "tx_packets",
					    "tx_bytes" };
	struct vsctl_table *t = vsctl_table_new(8, hdr);
	size_t i;
	int k;

	for (i = 0; i < vsctl_handlers_len(ports); i++) {
		struct json_object *p = vsctl_handlers_at(ports, i);
		char num[5][24];
		const char *row[8];

		for (k = 0; k < 4; k++)
			snprintf(num[k], sizeof(num[k]), "%lld", vsctl_jint(p, keys[k], 0));
		snprintf(num[4], sizeof(num[4]), "%lld", vsctl_handlers_drops(p));
		row[0] = vsctl_jstr(p, "name", NULL);
		row[1] = vsctl_jstr(p, "network", NULL);
		row[2] = vsctl_jstr(p, "container", NULL);
		for (k = 0; k < 5; k++)
			row[3 + k] = num[k];
		vsctl_table_add(t, row);
	}
	vsctl_table_print(ctx->out, t);
	vsctl_table_free(t);
}

/* Drop reasons, one line per port and reason that is not zero. */
static void vsctl_handlers_drop_lines(struct vsctl_ctx *ctx, struct json_object *ports)
{
	size_t i;
	bool first = true;

	for (i = 0; i < vsctl_handlers_len(ports); i++) {
		struct json_object *p = vsctl_handlers_at(ports, i), *d = NULL;

		if (!json_object_object_get_ex(p, "drops", &d) ||
		    !json_object_is_type(d, json_type_object))
			continue;
		json_object_object_foreach(d, reason, v) {
			if (json_object_get_int64(v) == 0)
				continue;
			if (first)
				fprintf(ctx->out, "\nDrops by reason:\n");
			first = false;
			fprintf(ctx->out, "  %s: %s %lld\n", vsctl_jstr(p, "name", "?"),
				reason, (long long)json_object_get_int64(v));
		}
	}
}

static int vsctl_handlers_stats(struct vsctl_ctx *ctx, const struct vsctl_cmd *cmd,
				struct json_object *args)
{
	struct json_object *res, *ports = NULL;

	VSCTL_CALL(ctx, cmd, res);
	if (ctx->format == VSCTL_FMT_PROMETHEUS) {
		metrics_prom_write(ctx->out, res);
		json_object_put(res);
		return 0;
	}
	json_object_object_get_ex(res, "ports", &ports);
	vsctl_handlers_port_table(ctx, ports);
	vsctl_handlers_drop_lines(ctx, ports);
	/* Anything else the daemon counts (ct, dns...) as KEY VALUE. */
	if (json_object_is_type(res, json_type_object) &&
	    json_object_object_length(res) > (ports ? 1 : 0)) {
		static const char *const hdr[] = { "COUNTER", "VALUE" };
		struct vsctl_table *t = vsctl_table_new(2, hdr);
		struct json_object *rest = json_object_new_object();

		json_object_object_foreach(res, k, v)
			if (strcmp(k, "ports"))
				json_object_object_add(rest, k, json_object_get(v));
		vsctl_handlers_flatten(t, "", rest);
		fputc('\n', ctx->out);
		vsctl_table_print(ctx->out, t);
		vsctl_table_free(t);
		json_object_put(rest);
	}
	json_object_put(res);
	return 0;
}

/* show: the port of container C on network N, if the daemon listed it. */
static struct json_object *vsctl_handlers_find_port(struct json_object *ports,
						    const char *net, const char *ctr)
{
	size_t i;

	for (i = 0; i < vsctl_handlers_len(ports); i++) {
		struct json_object *p = vsctl_handlers_at(ports, i);

		if (!strcmp(vsctl_jstr(p, "network", ""), net) &&
		    !strcmp(vsctl_jstr(p, "container", ""), ctr))
			return p;
	}
	return NULL;
}

static void vsctl_handlers_show_net(struct vsctl_ctx *ctx, struct json_object *n,
				    struct json_object *ctrs, struct json_object *ports)
{
	const char *name = vsctl_jstr(n, "name", "?");
	size_t i, j;

	fprintf(ctx->out, "Network %s\n    id: %.12s\n    subnet: %s\n    gateway: %s\n",
		name, vsctl_jstr(n, "id", ""), vsctl_jstr(n, "subnet", "-"),
		vsctl_jstr(n, "gateway", "-"));
	fprintf(ctx->out, "    flags:%s%s%s%s%s\n",
		vsctl_jint(n, "internal", 0) ? " internal" : "",
		vsctl_jint(n, "icc", 1) ? "" : " no-icc",
		vsctl_jint(n, "dns", 1) ? "" : " no-dns",
		vsctl_jint(n, "dns_intercept", 0) ? " dns-intercept" : "",
		vsctl_jint(n, "internal", 0) || !vsctl_jint(n, "icc", 1) ||
		!vsctl_jint(n, "dns", 1) || vsctl_jint(n, "dns_intercept", 0) ? "" : " -");
	for (i = 0; i < vsctl_handlers_len(ctrs); i++) {
		struct json_object *c = vsctl_handlers_at(ctrs, i), *eps = NULL;
		const char *cname = vsctl_jstr(c, "name", "?");

		json_object_object_get_ex(c, "endpoints", &eps);
		for (j = 0; j < vsctl_handlers_len(eps); j++) {
			struct json_object *e = vsctl_handlers_at(eps, j);
			struct json_object *p;

			if (strcmp(vsctl_jstr(e, "network", ""), name))
				continue;
			fprintf(ctx->out, "    Endpoint %s %s %s %s (%s%s)\n", cname,
				vsctl_jstr(e, "ifname", "-"), vsctl_jstr(e, "ip", "-"),
				vsctl_jstr(e, "mac", "-"), vsctl_jstr(e, "attach", "tap"),
				vsctl_jint(e, "offload", 1) ? "" : ", no offload");
			p = vsctl_handlers_find_port(ports, name, cname);
			if (p)
				fprintf(ctx->out, "        port %s: rx %lld pkts %lld bytes, "
					"tx %lld pkts %lld bytes, drops %lld\n",
					vsctl_jstr(p, "name", "?"), vsctl_jint(p, "rx_packets", 0),
					vsctl_jint(p, "rx_bytes", 0), vsctl_jint(p, "tx_packets", 0),
					vsctl_jint(p, "tx_bytes", 0),
					vsctl_handlers_drops(p));
		}
	}
}

/* show: the uplink's fields, "    key: value", nested keys dotted. */
static void vsctl_handlers_show_fields(struct vsctl_ctx *ctx, const char *prefix,
				       struct json_object *o)
{
	json_object_object_foreach(o, key, val) {
		char name[256];

		snprintf(name, sizeof(name), "%s%s%s", prefix, *prefix ? "." : "", key);
		if (val && json_object_is_type(val, json_type_object))
			vsctl_handlers_show_fields(ctx, name, val);
		else
			fprintf(ctx->out, "    %s: %s\n", name,
				val && json_object_is_type(val, json_type_string) ?
				json_object_get_string(val) :
				json_object_to_json_string_ext(val, JSON_C_TO_STRING_PLAIN));
	}
}

static int vsctl_handlers_show(struct vsctl_ctx *ctx, const struct vsctl_cmd *cmd,
			       struct json_object *args)
{
	struct json_object *res, *nets = NULL, *ctrs = NULL, *ports = NULL, *up = NULL;
	struct json_object *ups = NULL;
	size_t i;

	VSCTL_CALL(ctx, cmd, res);
	if (ctx->format == VSCTL_FMT_DOT) {
		vsctl_dot_print(ctx, res);
		json_object_put(res);
		return 0;
	}
	json_object_object_get_ex(res, "networks", &nets);
	json_object_object_get_ex(res, "containers", &ctrs);
	json_object_object_get_ex(res, "ports", &ports);
	json_object_object_get_ex(res, "uplink", &up);
	json_object_object_get_ex(res, "uplinks", &ups);
	for (i = 0; i < vsctl_handlers_len(nets); i++)
		vsctl_handlers_show_net(ctx, vsctl_handlers_at(nets, i), ctrs, ports);
	/* every uplink (a daemon before "uplinks" sends only the first) */
	for (i = 0; i < vsctl_handlers_len(ups); i++) {
		fprintf(ctx->out, "Uplink\n");
		vsctl_handlers_show_fields(ctx, "", vsctl_handlers_at(ups, i));
	}
	if (!vsctl_handlers_len(ups) && up && json_object_is_type(up, json_type_object)) {
		fprintf(ctx->out, "Uplink\n");
		vsctl_handlers_show_fields(ctx, "", up);
	} else if (!vsctl_handlers_len(ups)) {
		fprintf(ctx->out, "Uplink: none\n");
	}
	json_object_put(res);
	return 0;
}

static int vsctl_handlers_trace(struct vsctl_ctx *ctx, const struct vsctl_cmd *cmd,
				struct json_object *args)
{
	struct json_object *res;

	VSCTL_CALL(ctx, cmd, res);
	vsctl_trace_print(ctx->out, res);
	json_object_put(res);
	return 0;
}

static int vsctl_handlers_capture(struct vsctl_ctx *ctx, const struct vsctl_cmd *cmd,
				  struct json_object *args)
{
	const char *out = vsctl_jstr(ctx->local, "write", "-");
	int fd, rc;

	if (!strcmp(out, "-") && isatty(STDOUT_FILENO)) {
		vsctl_error(ctx, "refusing to write a pcap to a terminal; "
			    "pipe it (| tcpdump -r -) or use -w FILE");
		return VSCTL_EXIT_ERROR;
	}
	fd = vsctl_connect(ctx);
	if (fd < 0)
		return VSCTL_EXIT_ERROR;
	rc = vsctl_capture_run(fd, args, out);
	close(fd);
	return rc < 0 ? VSCTL_EXIT_ERROR : rc;
}
