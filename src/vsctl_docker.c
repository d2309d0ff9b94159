/* vsctl_docker.c - listings in Docker's shape: --format json and templates.
 *
 * Scripts written for `docker network ls --format '{{json .}}'` expect one
 * object per line with Docker's capitalised keys and Docker's values
 * (strings, as its CLI prints them: "IPv6":"false").  The daemon's replies
 * keep their own wire shape (lower-case keys, richer, other clients read
 * them; `--format raw` prints them); this file turns each element of a
 * reply into the row Docker would print for the same command, and every
 * --format other than table and raw is run on those rows:
 *
 *   network ls     docker network ls: CreatedAt Driver ID IPv4 IPv6
 *                  Internal Labels Name Scope
 *   container ls   docker ps: ID Labels Names Networks Ports (our own
 *                  facts, owner, netns and addresses, go in Labels as
 *                  vswitch.* keys, as Docker keeps extras in labels)
 *   port ls        the Engine API's port objects: IP PrivatePort
 *                  PublicPort Type (docker port has no --format)
 *   conntrack ls   Docker has no such command: conntrack -L's fields,
 *                  capitalised (Proto State Timeout Src Dst Sport Dport
 *                  ReplySrc ... Assured Zone)
 *
 * Keys are added in sorted order because Go's encoding/json sorts them, so
 * `{{json .}}` prints byte for byte what docker would for the same facts.
 * `network ls --filter` is applied here too, on the daemon's reply, for
 * the table and every format alike.
 */
#include <stdlib.h>
#include <string.h>
#include "vsctl.h"

static void vsctl_docker_str(struct json_object *row, const char *k, const char *v)
{
	json_object_object_add(row, k, json_object_new_string(v ? v : ""));
}

/* "2026-12-05T06:20:20Z" as Go's time.String() prints a UTC time. */
static void vsctl_docker_time(const char *iso, char *buf, size_t len)
{
	int y, mo, d, h, mi, s;

	if (iso && sscanf(iso, "%4d-%2d-%2dT%2d:%2d:%2dZ", &y, &mo, &d, &h, &mi, &s) == 6)
		snprintf(buf, len, "%04d-%02d-%02d %02d:%02d:%02d +0000 UTC", y, mo, d, h, mi, s);
	else
		snprintf(buf, len, "%s", iso ? iso : "");
}

/* Labels as docker's listings print them: k=v,k2=v2. */
static void vsctl_docker_labels(struct json_object *labels, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	if (!json_object_is_type(labels, json_type_object))
		return;
	json_object_object_foreach(labels, k, v)
		if (off < len)
			off += (size_t)snprintf(buf + off, len - off, "%s%s=%s", off ? "," : "", k,
						json_object_get_string(v));
}

static struct json_object *vsctl_docker_net_row(struct vsctl_ctx *ctx, struct json_object *n)
{
	struct json_object *row = json_object_new_object(), *labels = NULL;
	char created[64], lab[4096], id[65];

	vsctl_docker_time(vsctl_jstr(n, "created", NULL), created, sizeof(created));
	json_object_object_get_ex(n, "labels", &labels);
	vsctl_docker_labels(labels, lab, sizeof(lab));
	snprintf(id, vsctl_jint(ctx->local, "no_trunc", 0) ? sizeof(id) : 13, "%s",
		 vsctl_jstr(n, "id", ""));
	vsctl_docker_str(row, "CreatedAt", created);
	vsctl_docker_str(row, "Driver", vsctl_jstr(n, "driver", "vswitch"));
	vsctl_docker_str(row, "ID", id);
	vsctl_docker_str(row, "IPv4", "true");
	vsctl_docker_str(row, "IPv6", vsctl_jint(n, "ipv6", 0) ? "true" : "false");
	vsctl_docker_str(row, "Internal", vsctl_jint(n, "internal", 0) ? "true" : "false");
	vsctl_docker_str(row, "Labels", lab);
	vsctl_docker_str(row, "Name", vsctl_jstr(n, "name", ""));
	vsctl_docker_str(row, "Scope", vsctl_jstr(n, "scope", "local"));
	return row;
}

/* One published port or range as docker ps prints it: 0.0.0.0:8080->80/tcp,
 * 0.0.0.0:8080-8081->80-81/tcp, and :::8080->80/tcp for an IPv6 host IP
 * (Go joins the IP and the port with a plain colon). */
static size_t vsctl_docker_port_text(struct json_object *p, char *buf, size_t len)
{
	long long n = vsctl_jint(p, "count", 1), hp = vsctl_jint(p, "host_port", 0),
		  cp = vsctl_jint(p, "cport", 0);
	const char *ip = vsctl_jstr(p, "host_ip", "0.0.0.0"), *proto = vsctl_jstr(p, "proto", "tcp");
	int r;

	if (n > 1)
		r = snprintf(buf, len, "%s:%lld-%lld->%lld-%lld/%s", ip, hp, hp + n - 1, cp,
			     cp + n - 1, proto);
	else
		r = snprintf(buf, len, "%s:%lld->%lld/%s", ip, hp, cp, proto);
	return r < 0 ? 0 : (size_t)r;
}

/* container ls's Ports: every published port, ", "-separated as docker ps. */
static void vsctl_docker_ports(struct json_object *ports, char *buf, size_t len)
{
	size_t i, off = 0;

	buf[0] = '\0';
	for (i = 0; json_object_is_type(ports, json_type_array) &&
		    i < json_object_array_length(ports) && off < len; i++) {
		if (i)
			off += (size_t)snprintf(buf + off, len - off, ", ");
		if (off < len)
			off += vsctl_docker_port_text(json_object_array_get_idx(ports, i), buf + off,
						      len - off);
	}
}

/* container ls: Labels carries what docker ps has no column for. */
static struct json_object *vsctl_docker_ctr_row(struct vsctl_ctx *ctx, struct json_object *c)
{
	struct json_object *row = json_object_new_object(), *eps = NULL, *ports = NULL;
	char nets[2048] = "", addrs[2048] = "", owner[256] = "", lab[4096], pts[2048];
	size_t i, no = 0, na = 0;
	const char *dns = vsctl_jstr(c, "dns_name", "");

	json_object_object_get_ex(c, "endpoints", &eps);
	for (i = 0; json_object_is_type(eps, json_type_array) &&
		    i < json_object_array_length(eps); i++) {
		struct json_object *e = json_object_array_get_idx(eps, i);

		if (no < sizeof(nets))
			no += (size_t)snprintf(nets + no, sizeof(nets) - no, "%s%s", i ? "," : "",
					       vsctl_jstr(e, "network", "?"));
		if (na < sizeof(addrs))
			na += (size_t)snprintf(addrs + na, sizeof(addrs) - na, "%s%s=%s",
					       i ? " " : "", vsctl_jstr(e, "network", "?"),
					       vsctl_jstr(e, "ip", "?"));
		if (!i)
			snprintf(owner, sizeof(owner), "%s", vsctl_jstr(e, "owner", "vsctl"));
	}
	snprintf(lab, sizeof(lab), "vswitch.addresses=%s,vswitch.netns=%s,vswitch.owner=%s",
		 addrs, vsctl_jstr(c, "netns", ""), owner);
	vsctl_docker_str(row, "ID", vsctl_jstr(c, "name", ""));
	vsctl_docker_str(row, "Labels", lab);
	vsctl_docker_str(row, "Names", *dns ? dns : vsctl_jstr(c, "name", ""));
	vsctl_docker_str(row, "Networks", nets);
	json_object_object_get_ex(c, "ports", &ports);
	vsctl_docker_ports(ports, pts, sizeof(pts));
	vsctl_docker_str(row, "Ports", pts);
	return row;
}

/* port ls: a range is one row per port, as the Engine API lists them. */
static void vsctl_docker_port_rows(struct json_object *out, struct json_object *p)
{
	long long i, count = vsctl_jint(p, "count", 1);

	for (i = 0; i < (count > 0 ? count : 1); i++) {
		struct json_object *row = json_object_new_object();

		vsctl_docker_str(row, "IP", vsctl_jstr(p, "host_ip", "0.0.0.0"));
		json_object_object_add(row, "PrivatePort",
				       json_object_new_int64(vsctl_jint(p, "cport", 0) + i));
		json_object_object_add(row, "PublicPort",
				       json_object_new_int64(vsctl_jint(p, "host_port", 0) + i));
		vsctl_docker_str(row, "Type", vsctl_jstr(p, "proto", "tcp"));
		json_object_array_add(out, row);
	}
}

static struct json_object *vsctl_docker_ct_row(struct vsctl_ctx *ctx, struct json_object *e)
{
	static const char *const keys[][2] = {
		{ "Assured", "assured" }, { "Dport", "orig_dport" }, { "Dst", "orig_dst" },
		{ "Proto", "proto" }, { "ReplyDport", "reply_dport" }, { "ReplyDst", "reply_dst" },
		{ "ReplySport", "reply_sport" }, { "ReplySrc", "reply_src" },
		{ "Sport", "orig_sport" }, { "Src", "orig_src" }, { "State", "state" },
		{ "Timeout", "timeout" }, { "Zone", "zone" },
	};
	struct json_object *row = json_object_new_object();
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		struct json_object *v = NULL;

		json_object_object_get_ex(e, keys[i][1], &v);
		json_object_object_add(row, keys[i][0], v ? json_object_get(v) : NULL);
	}
	return row;
}

static const char *const vsctl_docker_net_fields[] = {
	"CreatedAt", "Driver", "ID", "IPv4", "IPv6", "Internal", "Labels", "Name", "Scope", NULL
};
static const char *const vsctl_docker_ctr_fields[] = {
	"ID", "Labels", "Names", "Networks", "Ports", NULL
};
static const char *const vsctl_docker_port_fields[] = {
	"IP", "PrivatePort", "PublicPort", "Type", NULL
};
static const char *const vsctl_docker_ct_fields[] = {
	"Assured", "Dport", "Dst", "Proto", "ReplyDport", "ReplyDst", "ReplySport",
	"ReplySrc", "Sport", "Src", "State", "Timeout", "Zone", NULL
};

/**
 * vsctl_docker_fields() - The Docker-shaped fields of a command's rows
 * @row:	the command
 *
 * Return: NULL-terminated names, or NULL if the command has no such rows.
 */
const char *const *vsctl_docker_fields(const struct ctl_schema *row)
{
	if (row == &ctl_schema_network_ls)
		return vsctl_docker_net_fields;
	if (row == &ctl_schema_container_ls)
		return vsctl_docker_ctr_fields;
	if (row == &ctl_schema_port_ls)
		return vsctl_docker_port_fields;
	if (row == &ctl_schema_conntrack_ls)
		return vsctl_docker_ct_fields;
	if (row == &ctl_schema_events)
		return vsctl_events_template_fields();
	return NULL;
}

/* The rows of a reply (an array of the daemon's elements). */
static struct json_object *vsctl_docker_rows(struct vsctl_ctx *ctx, struct json_object *res)
{
	const struct ctl_schema *row = ctx->cmd->row;
	struct json_object *out = json_object_new_array();
	size_t i;

	for (i = 0; json_object_is_type(res, json_type_array) &&
		    i < json_object_array_length(res); i++) {
		struct json_object *e = json_object_array_get_idx(res, i);

		if (row == &ctl_schema_network_ls)
			json_object_array_add(out, vsctl_docker_net_row(ctx, e));
		else if (row == &ctl_schema_container_ls)
			json_object_array_add(out, vsctl_docker_ctr_row(ctx, e));
		else if (row == &ctl_schema_port_ls)
			vsctl_docker_port_rows(out, e);
		else
			json_object_array_add(out, vsctl_docker_ct_row(ctx, e));
	}
	return out;
}

/* A table template: the header and each row, cut at tabs, aligned. */
static void vsctl_docker_table(struct vsctl_ctx *ctx, struct json_object *rows)
{
	struct vsctl_table *t = NULL;
	size_t i;

	for (i = 0; i <= json_object_array_length(rows); i++) {
		char *line = vsctl_tmpl_exec(ctx->tmpl,
					     i ? json_object_array_get_idx(rows, i - 1) : NULL);
		const char *cells[32];
		char *p = line;
		int n = 0;

		while (n < 32) {
			cells[n++] = p;
			p = strchr(p, '\t');
			if (!p)
				break;
			*p++ = '\0';
		}
		if (!t)
			t = vsctl_table_new(n, cells);
		else {
			while (n < 32)
				cells[n++] = "";
			vsctl_table_add(t, cells);
		}
		free(line);
	}
	vsctl_table_print(ctx->out, t);
	vsctl_table_free(t);
}

/**
 * vsctl_docker_print() - Print a listing's reply through ctx->tmpl
 * @ctx:	invocation: its command and compiled template
 * @res:	the daemon's reply
 */
void vsctl_docker_print(struct vsctl_ctx *ctx, struct json_object *res)
{
	struct json_object *rows = vsctl_docker_rows(ctx, res);
	size_t i;

	if (vsctl_tmpl_is_table(ctx->tmpl)) {
		vsctl_docker_table(ctx, rows);
	} else {
		for (i = 0; i < json_object_array_length(rows); i++) {
			char *s = vsctl_tmpl_exec(ctx->tmpl, json_object_array_get_idx(rows, i));

			fprintf(ctx->out, "%s\n", s);
			free(s);
		}
	}
	json_object_put(rows);
}

/* ------------------------------------------------------------------ */
/* network ls --filter                                                 */

static const char *const vsctl_docker_filter_keys[] = {
	"driver", "id", "label", "name", "scope", "type", NULL
};

/* network ls: every --filter is KEY=VALUE with a key docker has. */
int vsctl_check_filters(struct vsctl_ctx *ctx, const struct ctl_schema *row)
{
	struct json_object *f = NULL;
	size_t i, k;

	json_object_object_get_ex(ctx->local, "filter", &f);
	for (i = 0; f && i < json_object_array_length(f); i++) {
		const char *s = json_object_get_string(json_object_array_get_idx(f, i));
		size_t len = strcspn(s, "=");

		for (k = 0; vsctl_docker_filter_keys[k]; k++)
			if (strlen(vsctl_docker_filter_keys[k]) == len &&
			    !strncmp(vsctl_docker_filter_keys[k], s, len))
				break;
		if (!s[len] || !s[len + 1] || !vsctl_docker_filter_keys[k]) {
			vsctl_usage(ctx, row, "--filter: '%s' is not KEY=VALUE with KEY one of "
				    "driver, id, label, name, scope, type", s);
			return -1;
		}
		if (!strncmp(s, "type=", 5) && strcmp(s + 5, "custom") && strcmp(s + 5, "builtin")) {
			vsctl_usage(ctx, row, "--filter: type is custom or builtin, not '%s'", s + 5);
			return -1;
		}
	}
	return 0;
}

/* Does network N match one filter value of KEY? */
static bool vsctl_docker_match(struct json_object *n, const char *key, const char *v)
{
	struct json_object *labels = NULL, *lv = NULL;
	const char *eq;
	char lk[256];

	if (!strcmp(key, "name"))
		return strstr(vsctl_jstr(n, "name", ""), v) != NULL;
	if (!strcmp(key, "id"))
		return !strncmp(vsctl_jstr(n, "id", ""), v, strlen(v));
	if (!strcmp(key, "driver"))
		return !strcmp(vsctl_jstr(n, "driver", "vswitch"), v);
	if (!strcmp(key, "scope"))
		return !strcmp(vsctl_jstr(n, "scope", "local"), v);
	if (!strcmp(key, "type"))	/* bridge is the only built-in network */
		return !strcmp(v, strcmp(vsctl_jstr(n, "name", ""), "bridge") ? "custom" : "builtin");
	/* label=K or label=K=V */
	json_object_object_get_ex(n, "labels", &labels);
	eq = strchr(v, '=');
	snprintf(lk, sizeof(lk), "%.*s", (int)(eq ? (size_t)(eq - v) : strlen(v)), v);
	if (!json_object_is_type(labels, json_type_object) ||
	    !json_object_object_get_ex(labels, lk, &lv))
		return false;
	return !eq || !strcmp(json_object_get_string(lv), eq + 1);
}

/* Docker's rule: values of one key OR, different keys AND. */
static bool vsctl_docker_keep(struct json_object *n, struct json_object *filters)
{
	size_t k, i;

	for (k = 0; vsctl_docker_filter_keys[k]; k++) {
		const char *key = vsctl_docker_filter_keys[k];
		size_t klen = strlen(key);
		bool asked = false, hit = false;

		for (i = 0; i < json_object_array_length(filters); i++) {
			const char *s = json_object_get_string(json_object_array_get_idx(filters, i));

			if (strncmp(s, key, klen) || s[klen] != '=')
				continue;
			asked = true;
			hit = hit || vsctl_docker_match(n, key, s + klen + 1);
		}
		if (asked && !hit)
			return false;
	}
	return true;
}

/**
 * vsctl_docker_filter() - Apply network ls's --filter options to a reply
 * @ctx:	invocation (its local "filter" array)
 * @res:	the daemon's array; elements that do not match are removed
 */
void vsctl_docker_filter(struct vsctl_ctx *ctx, struct json_object *res)
{
	struct json_object *f = NULL;
	size_t i;

	if (!json_object_object_get_ex(ctx->local, "filter", &f) ||
	    !json_object_is_type(res, json_type_array))
		return;
	for (i = json_object_array_length(res); i-- > 0;)
		if (!vsctl_docker_keep(json_object_array_get_idx(res, i), f))
			json_object_array_del_idx(res, i, 1);
}
