/* vsctl_dot.c - `vsctl show --format dot`: the switch as a Graphviz graph.
 *
 * Someone learning wants a picture of what is connected to what.  This
 * draws, from the same `show` reply the text form prints (and each
 * container's `port ls`), an undirected graph for dot(1):
 *
 *   - each network is a cluster holding its L2 segment (subnet, flags)
 *     and its gateway (address, MAC);
 *   - each container is a node, joined to the segment of every network it
 *     is on by an edge labelled with its interface, address and MAC;
 *   - each uplink is a node; the first is joined to the gateway of every
 *     network that reaches it (not --internal) by a "SNAT" edge;
 *   - each published port is a dashed edge from the uplink to the
 *     container, labelled as `port ls` prints it.
 *
 * Every name is quoted and escaped (a container key can hold anything a
 * runtime chose), node ids are prefixed by kind so a network and a
 * container of the same name stay two nodes, and the output is stable for
 * a given state (the daemon's order), so `make topology` can commit it.
 */
#include <stdio.h>
#include <string.h>
#include "vsctl.h"

/* A double-quoted dot string; newlines become \n (a centred line break). */
static void vsctl_dot_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s && *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		if (*s == '\n')
			fputs("\\n", f);
		else if ((unsigned char)*s >= 0x20)
			fputc(*s, f);
	}
	fputc('"', f);
}

/* A node id: KIND:NAME, quoted. */
static void vsctl_dot_id(FILE *f, const char *kind, const char *name)
{
	char buf[512];

	snprintf(buf, sizeof(buf), "%s:%s", kind, name);
	vsctl_dot_str(f, buf);
}

static void vsctl_dot_network(FILE *f, struct json_object *n, bool uplink)
{
	const char *name = vsctl_jstr(n, "name", "?");
	char label[512];

	fputs("  subgraph ", f);
	vsctl_dot_id(f, "cluster_net", name);
	fputs(" {\n    style=rounded; color=\"#4a7ab5\";\n    label=", f);
	snprintf(label, sizeof(label), "network %s", name);
	vsctl_dot_str(f, label);
	fputs(";\n    ", f);
	vsctl_dot_id(f, "net", name);
	snprintf(label, sizeof(label), "L2 %s%s%s%s", vsctl_jstr(n, "subnet", "?"),
		 vsctl_jint(n, "internal", 0) ? "\ninternal" : "",
		 vsctl_jint(n, "icc", 1) ? "" : "\nno-icc",
		 vsctl_jint(n, "dns", 0) ? "\nDNS" : "");
	fputs(" [shape=ellipse, label=", f);
	vsctl_dot_str(f, label);
	fputs("];\n    ", f);
	vsctl_dot_id(f, "gw", name);
	snprintf(label, sizeof(label), "gateway\n%s", vsctl_jstr(n, "gateway", "?"));
	fputs(" [shape=diamond, label=", f);
	vsctl_dot_str(f, label);
	fputs("];\n    ", f);
	vsctl_dot_id(f, "net", name);
	fputs(" -- ", f);
	vsctl_dot_id(f, "gw", name);
	fputs(";\n  }\n", f);
	if (uplink && !vsctl_jint(n, "internal", 0)) {
		fputs("  ", f);
		vsctl_dot_id(f, "gw", name);
		fputs(" -- \"uplink\" [label=\"SNAT\", color=\"#888888\"];\n", f);
	}
}

static void vsctl_dot_container(FILE *f, struct json_object *c)
{
	struct json_object *eps = NULL;
	const char *name = vsctl_jstr(c, "name", "?"), *dns = vsctl_jstr(c, "dns_name", "");
	char label[512];
	size_t i;

	snprintf(label, sizeof(label), "%s%s%s\nnetns %s", name, *dns && strcmp(dns, name) ?
		 "\nDNS " : "", *dns && strcmp(dns, name) ? dns : "", vsctl_jstr(c, "netns", "?"));
	fputs("  ", f);
	vsctl_dot_id(f, "ctr", name);
	fputs(" [shape=box3d, label=", f);
	vsctl_dot_str(f, label);
	fputs("];\n", f);
	json_object_object_get_ex(c, "endpoints", &eps);
	for (i = 0; json_object_is_type(eps, json_type_array) &&
		    i < json_object_array_length(eps); i++) {
		struct json_object *e = json_object_array_get_idx(eps, i);

		fputs("  ", f);
		vsctl_dot_id(f, "ctr", name);
		fputs(" -- ", f);
		vsctl_dot_id(f, "net", vsctl_jstr(e, "network", "?"));
		snprintf(label, sizeof(label), "%s %s\n%s", vsctl_jstr(e, "ifname", "?"),
			 vsctl_jstr(e, "ip", "?"), vsctl_jstr(e, "mac", ""));
		fputs(" [label=", f);
		vsctl_dot_str(f, label);
		fputs("];\n", f);
	}
}

/* The container's published ports: dashed edges from the uplink. */
static void vsctl_dot_ports(struct vsctl_ctx *ctx, FILE *f, const char *name)
{
	struct json_object *args = json_object_new_object(), *res = NULL;
	size_t i;

	json_object_object_add(args, "container", json_object_new_string(name));
	if (vsctl_transact(ctx, "port.ls", args, &res) == 0) {
		for (i = 0; json_object_is_type(res, json_type_array) &&
			    i < json_object_array_length(res); i++) {
			fputs("  \"uplink\" -- ", f);
			vsctl_dot_id(f, "ctr", name);
			fputs(" [style=dashed, color=\"#b5524a\", constraint=false, label=", f);
			vsctl_dot_str(f, vsctl_jstr(json_object_array_get_idx(res, i), "text", ""));
			fputs("];\n", f);
		}
	}
	json_object_put(res);
	json_object_put(args);
}

/* The uplinks: the first is "uplink" (SNAT and published ports go
 * through it), others "uplink:PORT". */
static void vsctl_dot_uplinks(FILE *f, struct json_object *res, struct json_object *first)
{
	struct json_object *ups = NULL, *one[1] = { first };
	size_t i, n;

	json_object_object_get_ex(res, "uplinks", &ups);
	n = json_object_is_type(ups, json_type_array) ? json_object_array_length(ups) :
	    json_object_is_type(first, json_type_object) ? 1 : 0;
	for (i = 0; i < n; i++) {
		struct json_object *up = json_object_is_type(ups, json_type_array) ?
					 json_object_array_get_idx(ups, i) : one[0];
		char label[512];

		snprintf(label, sizeof(label), "uplink %s\n%s\nvia %s", vsctl_jstr(up, "spec", ""),
			 vsctl_jstr(up, "ip", ""), vsctl_jstr(up, "gateway", "-"));
		fputs("  ", f);
		if (i)
			vsctl_dot_id(f, "uplink", vsctl_jstr(up, "port", "?"));
		else
			fputs("\"uplink\"", f);
		fputs(" [shape=doubleoctagon, label=", f);
		vsctl_dot_str(f, label);
		fputs("];\n", f);
	}
}

/**
 * vsctl_dot_print() - Print a `show` reply as a Graphviz graph
 * @ctx:	invocation (output; its socket, for each container's ports)
 * @res:	the show reply: networks, containers, uplink
 */
void vsctl_dot_print(struct vsctl_ctx *ctx, struct json_object *res)
{
	struct json_object *nets = NULL, *ctrs = NULL, *up = NULL;
	FILE *f = ctx->out;
	bool uplink;
	size_t i;

	json_object_object_get_ex(res, "networks", &nets);
	json_object_object_get_ex(res, "containers", &ctrs);
	json_object_object_get_ex(res, "uplink", &up);
	uplink = json_object_is_type(up, json_type_object);
	fputs("graph vswitch {\n  graph [fontname=\"sans-serif\", rankdir=LR, nodesep=0.4];\n"
	      "  node [fontname=\"sans-serif\", fontsize=10];\n"
	      "  edge [fontname=\"sans-serif\", fontsize=9];\n", f);
	vsctl_dot_uplinks(f, res, up);
	for (i = 0; json_object_is_type(nets, json_type_array) &&
		    i < json_object_array_length(nets); i++)
		vsctl_dot_network(f, json_object_array_get_idx(nets, i), uplink);
	for (i = 0; json_object_is_type(ctrs, json_type_array) &&
		    i < json_object_array_length(ctrs); i++) {
		struct json_object *c = json_object_array_get_idx(ctrs, i);

		vsctl_dot_container(f, c);
		if (uplink)
			vsctl_dot_ports(ctx, f, vsctl_jstr(c, "name", "?"));
	}
	fputs("}\n", f);
}
