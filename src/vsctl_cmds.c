/* vsctl_cmds.c - THE command table of vsctl, its parser and its handlers.
 *
 * Theory of operation
 *
 * vsctl_commands[] is the only place a command is described (ovs-vsctl's
 * vsctl_commands[] is the model).  From it come:
 *  - parsing: the command is found by its words (longest match), options
 *    are looked up in its opts[] and turned into the request's args by
 *    type (flag, string, repeatable string, integer, enum, NAME=VALUE);
 *  - `vsctl --help`, `vsctl help CMD` and `vsctl CMD --help`;
 *  - `vsctl --man-synopsis`, which doc/vsctl.8's SYNOPSIS is a copy of
 *    (tests/unit/check-man-synopsis.sh fails when the two differ).
 *
 * Validation here is only what needs no state: counts of arguments,
 * numbers, enum values, options required or exclusive.  Anything about
 * networks and addresses (CIDR syntax, overlaps, names in use) is the
 * daemon's to judge, so there is one place that decides and one wording
 * of each refusal.  A usage error exits 2 before any connection is made.
 *
 * Handlers are thin: send the args (vsctl_transact), then print the
 * result as a table or, with --format json, as the daemon's JSON.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "vsctl.h"
#include "capture_client.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0.1.0"
#endif

static vsctl_handler_fn vsctl_cmds_show, vsctl_cmds_net_create,
	vsctl_cmds_net_ls, vsctl_cmds_net_inspect, vsctl_cmds_removed,
	vsctl_cmds_prune, vsctl_cmds_quiet, vsctl_cmds_ctr_ls,
	vsctl_cmds_text_lines, vsctl_cmds_fdb_show, vsctl_cmds_flushed,
	vsctl_cmds_counters, vsctl_cmds_stats, vsctl_cmds_trace,
	vsctl_cmds_capture, vsctl_cmds_help;
static int vsctl_cmds_check_capture(struct vsctl_ctx *, const struct vsctl_cmd *);
static int vsctl_cmds_check_trace(struct vsctl_ctx *, const struct vsctl_cmd *);
static int vsctl_cmds_check_specs(struct vsctl_ctx *, const struct vsctl_cmd *);

#define FLAG(n, a, k, v, h) \
	{ .name = n, .alias = a, .type = VSCTL_OPT_FLAG, .key = k, .flag_value = v, .help = h }
#define LFLAG(n, a, k, h) \
	{ .name = n, .alias = a, .type = VSCTL_OPT_FLAG, .key = k, .flag_value = true, \
	  .local = true, .help = h }
#define STR(n, mv, k, h) \
	{ .name = n, .type = VSCTL_OPT_STR, .metavar = mv, .key = k, .help = h }
#define STRN(n, mv, k, h) \
	{ .name = n, .type = VSCTL_OPT_STR, .metavar = mv, .key = k, .repeatable = true, \
	  .help = h }
#define REQ(n, mv, k, h) \
	{ .name = n, .type = VSCTL_OPT_STR, .metavar = mv, .key = k, .required = true, \
	  .help = h }
#define LSTR(n, mv, k, h) \
	{ .name = n, .type = VSCTL_OPT_STR, .metavar = mv, .key = k, .local = true, .help = h }
#define LENUM(n, choices, k, h) \
	{ .name = n, .type = VSCTL_OPT_ENUM, .metavar = choices, .key = k, .local = true, \
	  .help = h }
#define INT(n, a, mv, k, lo, hi, h) \
	{ .name = n, .alias = a, .type = VSCTL_OPT_INT, .metavar = mv, .key = k, \
	  .min = lo, .max = hi, .help = h }
#define ENUM(n, choices, k, h) \
	{ .name = n, .type = VSCTL_OPT_ENUM, .metavar = choices, .key = k, .help = h }

#define CMD(w, lo, hi, syn, k0, k1, req, fn, hlp) \
	.words = w, .min_args = lo, .max_args = hi, .synopsis = syn, \
	.pos_keys = { k0, k1 }, .request = req, .handler = fn, .help = hlp

const struct vsctl_cmd vsctl_commands[] = {
	{ CMD("show", 0, 0, "", NULL, NULL, "show", vsctl_cmds_show,
	      "Show networks, their endpoints with ports and counters, and the uplink.") },
	{ CMD("network create", 1, 1, "NAME", "name", NULL, "network.create",
	      vsctl_cmds_net_create, "Create a network; print its id."), .opts = {
		STR("--subnet", "CIDR", "subnet",
		    "subnet; default: next free /16 of 172.18-31, then /20s of 192.168/16"),
		STR("--gateway", "IP", "gateway",
		    "gateway address; default: the subnet's first address"),
		STR("--ip-range", "CIDR", "ip_range",
		    "allocate container addresses from this range only"),
		{ .name = "--aux-address", .type = VSCTL_OPT_KV, .metavar = "NAME=IP",
		  .key = "aux", .repeatable = true,
		  .help = "reserve an address so it is never allocated" },
		FLAG("--internal", NULL, "internal", true,
		     "no egress through the uplink, no published ports"),
		FLAG("--no-icc", NULL, "icc", false,
		     "forbid container-to-container traffic on this network"),
		INT("--mtu", NULL, "N", "mtu", 68, 65535, "MTU of the interfaces (default 1500)"),
		FLAG("--no-dns", NULL, "dns", false, "do not answer DNS for container names"),
		FLAG("--dns-intercept", NULL, "dns_intercept", true,
		     "answer port-53 traffic to any address with vswitchd's resolver"),
	  } },
	{ CMD("network ls", 0, 0, "", NULL, NULL, "network.ls", vsctl_cmds_net_ls,
	      "List networks (NETWORK ID, NAME, DRIVER, SCOPE)."), .opts = {
		LFLAG("--quiet", "-q", "quiet", "print network ids only"),
	  } },
	{ CMD("network inspect", 1, -1, "NAME...", "names", NULL, "network.inspect",
	      vsctl_cmds_net_inspect,
	      "Print networks as a JSON array shaped like docker network inspect.") },
	{ CMD("network rm", 1, -1, "NAME...", "names", NULL, "network.rm",
	      vsctl_cmds_removed,
	      "Remove networks (all or none); print the names removed.") },
	{ CMD("network prune", 0, 0, "", NULL, NULL, "network.prune", vsctl_cmds_prune,
	      "Remove every user network without endpoints; print their names."), .opts = {
		LFLAG("--force", "-f", "force", "do not ask for confirmation"),
	  } },
	{ CMD("network connect", 2, 2, "NETWORK CONTAINER", "network", "container",
	      "network.connect", vsctl_cmds_quiet,
	      "Connect a container (a network namespace) to a network."), .opts = {
		STR("--netns", "REF",  "netns",
		    "the container's namespace: ip netns name, path or pid:PID"),
		STR("--ip", "IP", "ip", "fixed address instead of the next free one"),
		STR("--mac", "MAC", "mac", "MAC address instead of 02:42 + the IPv4 address"),
		STRN("--alias", "NAME", "aliases", "extra DNS name on this network"),
		STR("--ifname", "IF", "ifname", "interface name in the container (eth0, eth1...)"),
		ENUM("--attach", "tap|veth", "attach",
		     "TAP device in the container (default), or veth + AF_PACKET"),
		FLAG("--no-port-security", NULL, "port_security", false,
		     "let the container send from any MAC and IP address"),
		FLAG("--no-offload", NULL, "offload", false,
		     "no TSO or partial checksums on this port (the switch segments)"),
		STR("--dns-name", "NAME", "dns_name",
		    "the container's DNS name (default: CONTAINER; \"\" for none)"),
		STR("--owner", "OWNER", "owner", "who made the endpoint (default vsctl; cni:NET, docker)"),
	  } },
	{ CMD("network disconnect", 2, 2, "NETWORK CONTAINER", "network", "container",
	      "network.disconnect", vsctl_cmds_quiet,
	      "Disconnect a container from a network and remove its interface."), .opts = {
		FLAG("--if-exists", NULL, "missing_ok", true,
		     "succeed when the network, container or endpoint is not there"),
	  } },
	{ CMD("container ls", 0, 0, "", NULL, NULL, "container.ls", vsctl_cmds_ctr_ls,
	      "List containers with their DNS name, owner, namespace and addresses."), .opts = {
		STR("--owner", "OWNER", "owner", "only endpoints this owner made (vsctl, docker, cni:NET)"),
	  } },
	{ CMD("cni conf", 1, 1, "NETWORK", "network", NULL, NULL, vsctl_cni_conf,
	      "Print or write (--dir) the CNI conflist that puts a runtime's containers on NETWORK."),
	  .opts = {
		LSTR("--dir", "DIR", "dir", "write DIR/50-vswitch-NAME.conflist and print its path"),
		LSTR("--name", "NAME", "name", "the CNI network's name (default: NETWORK)"),
		LENUM("--cni-version", "0.3.1|0.4.0|1.0.0|1.1.0", "cni_version",
		      "the conflist's cniVersion (default 1.0.0)"),
		LENUM("--attach", "tap|veth", "attach", "how containers attach (default tap)"),
		LFLAG("--name-from-id", NULL, "name_from_id",
		      "without a pod name, the container id is the DNS name (containerd)"),
	  } },
	{ CMD("port publish", 2, -1, "CONTAINER SPEC...", "container", "specs",
	      "port.publish", vsctl_cmds_text_lines,
	      "Publish container ports; SPEC is [HOSTIP:][HOSTPORT:]CPORT[/tcp|udp]."),
	  .validate = vsctl_cmds_check_specs },
	{ CMD("port unpublish", 2, -1, "CONTAINER SPEC...", "container", "specs",
	      "port.unpublish", vsctl_cmds_quiet,
	      "Remove published ports, given as they were published."),
	  .validate = vsctl_cmds_check_specs },
	{ CMD("port ls", 1, 1, "CONTAINER", "container", NULL, "port.ls",
	      vsctl_cmds_text_lines,
	      "List a container's published ports (80/tcp -> 0.0.0.0:8080).") },
	{ CMD("fdb show", 0, 1, "[NETWORK]", "network", NULL, "fdb.show",
	      vsctl_cmds_fdb_show,
	      "Show the MAC learning tables (NETWORK MAC PORT AGE KIND).") },
	{ CMD("fdb flush", 0, 1, "[NETWORK]", "network", NULL, "fdb.flush",
	      vsctl_cmds_flushed, "Forget learned MAC addresses.") },
	{ CMD("conntrack ls", 0, 0, "", NULL, NULL, "conntrack.ls", vsctl_cmds_text_lines,
	      "List tracked connections in conntrack -L form."), .opts = {
		STR("--network", "N", "network", "only connections of this network"),
	  } },
	{ CMD("conntrack flush", 0, 0, "", NULL, NULL, "conntrack.flush",
	      vsctl_cmds_flushed, "Delete every tracked connection.") },
	{ CMD("conntrack stats", 0, 0, "", NULL, NULL, "conntrack.stats",
	      vsctl_cmds_counters, "Show connection tracking counters.") },
	{ CMD("capture", 0, 0, "", NULL, NULL, "capture", vsctl_cmds_capture,
	      "Write frames seen at a network, a container port or the uplink to a pcap."),
	  .opt_synopsis = "(--network N | --container C[:IF] | --uplink) "
			  "[--stage rx|tx|all] [--filter EXPR] [-c COUNT] "
			  "[--duration SEC] [--recorder] -w FILE|-",
	  .validate = vsctl_cmds_check_capture, .opts = {
		STR("--network", "N", "network", "every frame switched on network N"),
		STR("--container", "C[:IF]", "container",
		    "the port of container C (interface IF, default its first)"),
		FLAG("--uplink", NULL, "uplink", true, "the uplink port"),
		ENUM("--stage", "rx|tx|all", "stage",
		     "frames received, transmitted or both (default all)"),
		STR("--filter", "EXPR", "filter", "tcpdump filter expression"),
		INT("--count", "-c", "COUNT", "count", 1, 1LL << 40,
		    "stop after COUNT frames"),
		{ .name = "--duration", .type = VSCTL_OPT_REAL, .metavar = "SEC",
		  .key = "duration", .min = 0, .max = 1 << 30,
		  .help = "stop after SEC seconds (fractions allowed)" },
		FLAG("--recorder", NULL, "recorder", true,
		     "dump the flight recorder's last frames at once"),
		{ .name = "--write", .alias = "-w", .type = VSCTL_OPT_STR,
		  .metavar = "FILE|-", .key = "write", .local = true, .required = true,
		  .help = "pcap file to write, - for standard output" },
	  } },
	{ CMD("trace", 0, 0, "", NULL, NULL, "trace", vsctl_cmds_trace,
	      "Show, stage by stage, what the switch would do with a packet."),
	  .validate = vsctl_cmds_check_trace, .opts = {
		REQ("--from", "CONTAINER", "from", "container the packet leaves"),
		REQ("--to", "IP[:PORT]", "to", "destination address and port"),
		ENUM("--proto", "tcp|udp|icmp", "proto", "protocol (default icmp)"),
	  } },
	{ CMD("stats", 0, 0, "", NULL, NULL, "stats", vsctl_cmds_stats,
	      "Show per-port packet, byte and drop counters.") },
	{ CMD("help", 0, 2, "[COMMAND]", "words", NULL, NULL, vsctl_cmds_help,
	      "Show help for all commands or one.") },
};
const size_t vsctl_n_commands = sizeof(vsctl_commands) / sizeof(vsctl_commands[0]);

/* Global options, in the order --help shows them. */
static const struct vsctl_opt vsctl_global_opts[] = {
	STR("--socket", "PATH", "socket", "control socket of vswitchd"),
	ENUM("--format", "table|json", "format", "output format (default table)"),
	INT("--timeout", NULL, "SEC", "timeout", 0, 86400,
	    "wait at most SEC seconds for vswitchd, 0 forever (default 30)"),
	FLAG("--version", NULL, "version", true, "print the version and exit"),
	FLAG("--help", "-h", "help", true, "print this help and exit"),
	FLAG("--man-synopsis", NULL, "man", true,
	     "print the man page SYNOPSIS section (roff) and exit"),
};
#define VSCTL_N_GLOBAL (sizeof(vsctl_global_opts) / sizeof(vsctl_global_opts[0]))

/* ------------------------------------------------------------------ */
/* Synopsis and help                                                   */

static size_t vsctl_cmds_n_opts(const struct vsctl_cmd *cmd)
{
	size_t n = 0;

	while (n < VSCTL_MAX_OPTS && cmd->opts[n].name)
		n++;
	return n;
}

/* "--mtu N", "-q", "--alias NAME" */
static const char *vsctl_cmds_opt_text(const struct vsctl_opt *o, char *buf, size_t len)
{
	const char *name = o->alias && o->type == VSCTL_OPT_FLAG ? o->alias : o->name;

	if (o->type == VSCTL_OPT_FLAG)
		snprintf(buf, len, "%s", name);
	else
		snprintf(buf, len, "%s %s", o->alias ? o->alias : o->name, o->metavar);
	return buf;
}

/* "-c, --count COUNT" for help listings. */
static const char *vsctl_cmds_help_text(const struct vsctl_opt *o, char *buf, size_t len)
{
	if (!o->alias)
		return vsctl_cmds_opt_text(o, buf, len);
	snprintf(buf, len, "%s, %s%s%s", o->alias, o->name,
		 o->type != VSCTL_OPT_FLAG ? " " : "",
		 o->type != VSCTL_OPT_FLAG ? o->metavar : "");
	return buf;
}

const char *vsctl_cmd_synopsis(const struct vsctl_cmd *cmd, char *buf, size_t len)
{
	size_t i, n = vsctl_cmds_n_opts(cmd), off = 0;
	char one[128];

	buf[0] = '\0';
	if (cmd->opt_synopsis) {
		off = snprintf(buf, len, "%s", cmd->opt_synopsis);
	} else {
		for (i = 0; i < n && off < len; i++) {
			const struct vsctl_opt *o = &cmd->opts[i];

			off += snprintf(buf + off, len - off, "%s%s%s%s%s",
					off ? " " : "", o->required ? "" : "[",
					vsctl_cmds_opt_text(o, one, sizeof(one)),
					o->required ? "" : "]", o->repeatable ? "..." : "");
		}
	}
	if (*cmd->synopsis && off < len)
		snprintf(buf + off, len - off, "%s%s", off ? " " : "", cmd->synopsis);
	return buf;
}

/**
 * vsctl_print_help() - `vsctl --help`: global options and every command
 * @f:	stream
 */
void vsctl_print_help(FILE *f)
{
	char syn[1024];
	size_t i;

	fprintf(f, "usage: vsctl [OPTIONS] COMMAND [ARG...]\n\n"
		"Control vswitchd, the userspace container switch.\n\nOptions:\n");
	for (i = 0; i < VSCTL_N_GLOBAL; i++) {
		char one[64];

		fprintf(f, "  %-22s %s\n",
			vsctl_cmds_help_text(&vsctl_global_opts[i], one, sizeof(one)),
			vsctl_global_opts[i].help);
	}
	fprintf(f, "\nCommands:\n");
	for (i = 0; i < vsctl_n_commands; i++) {
		const struct vsctl_cmd *c = &vsctl_commands[i];

		fprintf(f, "  %-19s %s\n", c->words, c->help);
		vsctl_cmd_synopsis(c, syn, sizeof(syn));
		if (*syn)
			fprintf(f, "  %-19s   %s %s\n", "", c->words, syn);
	}
	fprintf(f, "\nRun 'vsctl help COMMAND' or 'vsctl COMMAND --help' for a "
		"command's options.\nSee vsctl(8).\n");
}

/**
 * vsctl_print_cmd_help() - One command's usage, help line and options
 * @f:		stream
 * @cmd:	the command
 */
void vsctl_print_cmd_help(FILE *f, const struct vsctl_cmd *cmd)
{
	size_t i, n = vsctl_cmds_n_opts(cmd);
	char syn[1024];

	fprintf(f, "usage: vsctl %s %s\n\n%s\n", cmd->words,
		vsctl_cmd_synopsis(cmd, syn, sizeof(syn)), cmd->help);
	if (n)
		fprintf(f, "\nOptions:\n");
	for (i = 0; i < n; i++) {
		const struct vsctl_opt *o = &cmd->opts[i];
		char one[128];

		fprintf(f, "  %-24s %s%s\n", vsctl_cmds_help_text(o, one, sizeof(one)),
			o->help,
			o->repeatable ? " (repeatable)" : "");
	}
}

/* Write S as roff: options bold, metavariables italic, the rest roman. */
static void vsctl_cmds_roff_words(FILE *f, const char *s)
{
	while (*s) {
		size_t n = strcspn(s, " []()|.=:");

		/* Punctuation is roman; a '.' never starts a line here, so it
		 * needs no escape. */
		if (n == 0) {
			/* Keep an option and its value on one line. */
			if (*s == ' ' && isupper((unsigned char)s[1]))
				fputs("\\ ", f);
			else
				fputc(*s, f);
			s++;
			continue;
		}
		if (*s == '-') {
			fputs("\\fB", f);
			for (size_t i = 0; i < n; i++)
				fputs(s[i] == '-' ? "\\-" : (char[]){ s[i], 0 }, f);
			fputs("\\fR", f);
		} else if (isupper((unsigned char)*s)) {
			fprintf(f, "\\fI%.*s\\fR", (int)n, s);
		} else {
			fprintf(f, "\\fB%.*s\\fR", (int)n, s);
		}
		s += n;
	}
}

/**
 * vsctl_print_man_synopsis() - The SYNOPSIS section of vsctl(8), in roff
 * @f:	stream
 *
 * One hanging-indented line per command, in table order; doc/vsctl.8 holds
 * a copy that tests/unit/check-man-synopsis.sh compares with this output.
 */
void vsctl_print_man_synopsis(FILE *f)
{
	char syn[1024];
	size_t i;

	fputs(".SH SYNOPSIS\n.nh\n.ad l\n", f);
	fputs(".in +4n\n.ti -4n\n\\fBvsctl\\fR [\\fIOPTIONS\\fR] \\fICOMMAND\\fR "
	      "[\\fIARG\\fR...]\n.br\n", f);
	fputs(".ti -4n\n\\fBvsctl \\-\\-help\\fR | \\fB\\-\\-version\\fR | "
	      "\\fB\\-\\-man\\-synopsis\\fR\n.sp\n", f);
	fputs("\\fIOPTIONS\\fR: ", f);
	for (i = 0; i < 3; i++) {
		fputs(i ? " [" : "[", f);
		vsctl_cmds_roff_words(f, vsctl_cmds_opt_text(&vsctl_global_opts[i],
							   syn, sizeof(syn)));
		fputc(']', f);
	}
	fputs("\n.br\n\\fICOMMAND\\fR is one of:\n.br\n.in +6n\n", f);
	for (i = 0; i < vsctl_n_commands; i++) {
		const struct vsctl_cmd *c = &vsctl_commands[i];

		fputs(".ti -4n\n", f);
		vsctl_cmds_roff_words(f, c->words);
		vsctl_cmd_synopsis(c, syn, sizeof(syn));
		if (*syn) {
			fputc(' ', f);
			vsctl_cmds_roff_words(f, syn);
		}
		fputs("\n.br\n", f);
	}
	fputs(".in -10n\n.ad\n.hy\n", f);
}

/* ------------------------------------------------------------------ */
/* Parsing                                                             */

/* A user's own vswitchd listens in their runtime dir; without one there, a
 * member of group vswitch talks to the system's (root's) daemon. */
const char *vsctl_default_socket(char *buf, size_t len)
{
	static const char sys[] = "/run/vswitch/vswitchd.sock";
	const char *env = getenv("VSWITCH_SOCKET"), *xdg;

	if (env && *env)
		return env;
	if (geteuid() == 0)
		return sys;
	xdg = getenv("XDG_RUNTIME_DIR");
	if (xdg && *xdg)
		snprintf(buf, len, "%s/vswitch/vswitchd.sock", xdg);
	else
		snprintf(buf, len, "/run/user/%u/vswitch/vswitchd.sock", (unsigned)geteuid());
	if (access(buf, F_OK) && !access(sys, F_OK))
		return sys;
	return buf;
}

void vsctl_ctx_init(struct vsctl_ctx *ctx)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->format = VSCTL_FMT_TABLE;
	ctx->timeout = 30;
	ctx->args = json_object_new_object();
	ctx->local = json_object_new_object();
	ctx->out = stdout;
	ctx->err = stderr;
}

void vsctl_ctx_fini(struct vsctl_ctx *ctx)
{
	json_object_put(ctx->args);
	json_object_put(ctx->local);
	ctx->args = ctx->local = NULL;
}

static bool vsctl_cmds_enum_ok(const char *choices, const char *v)
{
	size_t n = strlen(v);

	while (choices && *choices) {
		size_t l = strcspn(choices, "|");

		if (l == n && !strncmp(choices, v, n))
			return true;
		choices += l + (choices[l] == '|');
	}
	return false;
}

/**
 * vsctl_cmds_store() - Check one option's value and store it into args
 * @ctx:	invocation (args, local)
 * @cmd:	command, for usage messages (NULL for global options)
 * @o:		the option
 * @val:	its value (NULL for a flag)
 *
 * Return: 0, or -1 after printing the usage error.
 */
static int vsctl_cmds_store(struct vsctl_ctx *ctx, const struct vsctl_cmd *cmd,
			    const struct vsctl_opt *o, const char *val)
{
	struct json_object *dst = o->local ? ctx->local : ctx->args, *cur = NULL;
	bool seen = json_object_object_get_ex(dst, o->key, &cur);
	char *end;
	long long v;

	if (seen && !o->repeatable) {
		vsctl_usage(ctx, cmd, "%s given more than once", o->name);
		return -1;
	}
	switch (o->type) {
	case VSCTL_OPT_FLAG:
		json_object_object_add(dst, o->key, json_object_new_boolean(o->flag_value));
		return 0;
	case VSCTL_OPT_INT:
		errno = 0;
		v = strtoll(val, &end, 10);
		if (errno || end == val || *end || v < o->min || v > o->max) {
			vsctl_usage(ctx, cmd, "%s: '%s' is not a number from %lld to %lld",
				    o->name, val, o->min, o->max);
			return -1;
		}
		json_object_object_add(dst, o->key, json_object_new_int64(v));
		return 0;
	case VSCTL_OPT_REAL: {
		double d;

		errno = 0;
		d = strtod(val, &end);
		if (errno || end == val || *end || !(d >= o->min && d <= o->max)) {
			vsctl_usage(ctx, cmd, "%s: '%s' is not a number from %lld to %lld",
				    o->name, val, o->min, o->max);
			return -1;
		}
		/* Whole numbers stay integers on the wire. */
		if (d == (double)(long long)d)
			json_object_object_add(dst, o->key, json_object_new_int64((long long)d));
		else
			json_object_object_add(dst, o->key, json_object_new_double(d));
		return 0;
	}
	case VSCTL_OPT_ENUM:
		if (!vsctl_cmds_enum_ok(o->metavar, val)) {
			vsctl_usage(ctx, cmd, "%s: '%s' is not one of %s", o->name, val,
				    o->metavar);
			return -1;
		}
		break;
	case VSCTL_OPT_KV: {
		const char *eq = strchr(val, '=');
		char name[128];

		if (!eq || eq == val || !eq[1] || (size_t)(eq - val) >= sizeof(name)) {
			vsctl_usage(ctx, cmd, "%s: '%s' is not %s", o->name, val, o->metavar);
			return -1;
		}
		snprintf(name, sizeof(name), "%.*s", (int)(eq - val), val);
		if (!cur) {
			cur = json_object_new_object();
			json_object_object_add(dst, o->key, cur);
		}
		if (json_object_object_get_ex(cur, name, NULL)) {
			vsctl_usage(ctx, cmd, "%s: %s given more than once", o->name, name);
			return -1;
		}
		json_object_object_add(cur, name, json_object_new_string(eq + 1));
		return 0;
	}
	case VSCTL_OPT_STR:
		break;
	}
	if (o->repeatable) {
		if (!cur) {
			cur = json_object_new_array();
			json_object_object_add(dst, o->key, cur);
		}
		json_object_array_add(cur, json_object_new_string(val));
	} else {
		json_object_object_add(dst, o->key, json_object_new_string(val));
	}
	return 0;
}

/* Find option ARG ("--mtu", "--mtu=9000", "-q") in OPTS; *val is set to the
 * text after '=' if any. */
static const struct vsctl_opt *vsctl_cmds_find_opt(const struct vsctl_opt *opts,
						   size_t n, const char *arg,
						   const char **val)
{
	size_t i, len = strcspn(arg, "=");

	*val = arg[len] == '=' ? arg + len + 1 : NULL;
	for (i = 0; i < n; i++) {
		const struct vsctl_opt *o = &opts[i];

		if ((strlen(o->name) == len && !strncmp(o->name, arg, len)) ||
		    (o->alias && strlen(o->alias) == len && !strncmp(o->alias, arg, len)))
			return o;
	}
	return NULL;
}

/* Apply the global options stored in ctx->local ("socket", "format"...). */
static void vsctl_cmds_apply_globals(struct vsctl_ctx *ctx)
{
	static char sockbuf[256];
	const char *s = vsctl_jstr(ctx->local, "socket", NULL);

	ctx->socket_path = s ? s : vsctl_default_socket(sockbuf, sizeof(sockbuf));
	s = vsctl_jstr(ctx->local, "format", "table");
	ctx->format = strcmp(s, "json") ? VSCTL_FMT_TABLE : VSCTL_FMT_JSON;
	ctx->timeout = vsctl_jint(ctx->local, "timeout", 30);
}

/**
 * vsctl_cmds_take_opt() - Parse the option at argv[*i] for CMD (or globals)
 * @ctx:	invocation
 * @cmd:	command, or NULL while parsing global options
 * @argc:	argument count
 * @argv:	arguments
 * @i:		index of the option; advanced past its value
 *
 * Global options are accepted after the command too (vsctl network ls
 * --format json), as users of docker expect; they go into ctx->local.
 * Return: 0, 1 if help was asked for, -1 after a usage error.
 */
static int vsctl_cmds_take_opt(struct vsctl_ctx *ctx, const struct vsctl_cmd *cmd,
			       int argc, char **argv, int *i)
{
	const struct vsctl_opt *o = NULL;
	struct vsctl_opt g;
	const char *val;

	if (cmd)
		o = vsctl_cmds_find_opt(cmd->opts, vsctl_cmds_n_opts(cmd), argv[*i], &val);
	if (!o)
		o = vsctl_cmds_find_opt(vsctl_global_opts, VSCTL_N_GLOBAL, argv[*i], &val);
	if (!o) {
		vsctl_usage(ctx, cmd, "unknown option '%s'", argv[*i]);
		return -1;
	}
	if (!strcmp(o->name, "--help"))
		return 1;
	if (cmd && o >= vsctl_global_opts && o < vsctl_global_opts + VSCTL_N_GLOBAL &&
	    o->type == VSCTL_OPT_FLAG) {
		vsctl_usage(ctx, cmd, "%s is not valid after a command", o->name);
		return -1;
	}
	if (o >= vsctl_global_opts && o < vsctl_global_opts + VSCTL_N_GLOBAL) {
		g = *o;
		g.local = true;
		o = &g;
	}
	if (o->type == VSCTL_OPT_FLAG) {
		if (val) {
			vsctl_usage(ctx, cmd, "%s takes no value", o->name);
			return -1;
		}
	} else if (!val) {
		if (*i + 1 >= argc) {
			vsctl_usage(ctx, cmd, "%s needs a value (%s)", o->name, o->metavar);
			return -1;
		}
		val = argv[++*i];
	}
	return vsctl_cmds_store(ctx, cmd, o, val);
}

/* Longest match of argv[i..] against the command words. */
static const struct vsctl_cmd *vsctl_cmds_lookup(int argc, char **argv, int i,
						 int *nwords)
{
	size_t k;

	for (k = 0; k < vsctl_n_commands; k++) {
		const char *w = vsctl_commands[k].words, *sp = strchr(w, ' ');

		if (sp && i + 1 < argc && (size_t)(sp - w) == strlen(argv[i]) &&
		    !strncmp(w, argv[i], sp - w) && !strcmp(sp + 1, argv[i + 1])) {
			*nwords = 2;
			return &vsctl_commands[k];
		}
	}
	for (k = 0; k < vsctl_n_commands; k++)
		if (!strcmp(vsctl_commands[k].words, argv[i])) {
			*nwords = 1;
			return &vsctl_commands[k];
		}
	return NULL;
}

/* Store positional argument number IDX (0-based) under its key. */
static void vsctl_cmds_store_pos(struct vsctl_ctx *ctx, const struct vsctl_cmd *cmd,
				 int idx, const char *arg)
{
	int last = cmd->max_args < 0 || cmd->max_args > VSCTL_MAX_POS ?
		   VSCTL_MAX_POS - 1 : cmd->max_args - 1;
	const char *key;
	struct json_object *arr;

	/* The last key of an unbounded command collects the rest as an
	 * array; "help" collects its words the same way. */
	if (cmd->max_args < 0 || cmd->handler == vsctl_cmds_help) {
		if (!cmd->pos_keys[1] || cmd->handler == vsctl_cmds_help)
			last = 0;
		if (idx >= last) {
			key = cmd->pos_keys[last];
			if (!json_object_object_get_ex(ctx->args, key, &arr)) {
				arr = json_object_new_array();
				json_object_object_add(ctx->args, key, arr);
			}
			json_object_array_add(arr, json_object_new_string(arg));
			return;
		}
	}
	json_object_object_add(ctx->args, cmd->pos_keys[idx], json_object_new_string(arg));
}

/* After parsing: counts, required options, the command's own checks. */
static int vsctl_cmds_check(struct vsctl_ctx *ctx, const struct vsctl_cmd *cmd, int npos)
{
	size_t i, n = vsctl_cmds_n_opts(cmd);

	if (npos < cmd->min_args) {
		vsctl_usage(ctx, cmd, "missing argument (%s)", cmd->synopsis);
		return -1;
	}
	if (cmd->max_args >= 0 && npos > cmd->max_args) {
		vsctl_usage(ctx, cmd, "too many arguments");
		return -1;
	}
	for (i = 0; i < n; i++) {
		const struct vsctl_opt *o = &cmd->opts[i];

		if (o->required &&
		    !json_object_object_get_ex(o->local ? ctx->local : ctx->args, o->key, NULL)) {
			vsctl_usage(ctx, cmd, "%s is required", o->name);
			return -1;
		}
	}
	return cmd->validate ? cmd->validate(ctx, cmd) : 0;
}

/* An unknown command; if its first word names a group ("network"), list
 * that group's subcommands, the likely typo. */
static void vsctl_cmds_unknown(struct vsctl_ctx *ctx, int argc, char **argv, int i)
{
	const char *next = i + 1 < argc && argv[i + 1][0] != '-' ? argv[i + 1] : NULL;
	size_t k, len = strlen(argv[i]), off = 0;
	char subs[256] = "";

	for (k = 0; k < vsctl_n_commands; k++) {
		const char *w = vsctl_commands[k].words;

		if (!strncmp(w, argv[i], len) && w[len] == ' ' && off < sizeof(subs))
			off += snprintf(subs + off, sizeof(subs) - off, "%s%s",
					off ? ", " : "", w + len + 1);
	}
	if (*subs && next)
		vsctl_usage(ctx, NULL, "unknown command '%s %s' (%s takes: %s)", argv[i],
			    next, argv[i], subs);
	else if (*subs)
		vsctl_usage(ctx, NULL, "'%s' needs a subcommand: %s", argv[i], subs);
	else
		vsctl_usage(ctx, NULL, "unknown command '%s'", argv[i]);
}

/**
 * vsctl_cmds_parse_cmd() - Parse a command's words, options and arguments
 * @ctx:	invocation
 * @argc:	argument count
 * @argv:	arguments
 * @i:		index of the first command word
 *
 * Return: what main should do.
 */
static enum vsctl_action vsctl_cmds_parse_cmd(struct vsctl_ctx *ctx, int argc,
					      char **argv, int i)
{
	const struct vsctl_cmd *cmd;
	int nwords, npos = 0, r;
	bool dashdash = false;

	cmd = vsctl_cmds_lookup(argc, argv, i, &nwords);
	if (!cmd && i + 1 < argc &&
	    (!strcmp(argv[i + 1], "--help") || !strcmp(argv[i + 1], "-h"))) {
		/* "vsctl network --help" is "vsctl help network". */
		struct json_object *w = json_object_new_array();

		json_object_array_add(w, json_object_new_string(argv[i]));
		json_object_object_add(ctx->args, "words", w);
		return vsctl_cmds_help(ctx, NULL, ctx->args) ? VSCTL_USAGE : VSCTL_DONE;
	}
	if (!cmd) {
		vsctl_cmds_unknown(ctx, argc, argv, i);
		return VSCTL_USAGE;
	}
	for (i += nwords; i < argc; i++) {
		if (!dashdash && !strcmp(argv[i], "--")) {
			dashdash = true;
		} else if (!dashdash && argv[i][0] == '-' && argv[i][1]) {
			r = vsctl_cmds_take_opt(ctx, cmd, argc, argv, &i);
			if (r < 0)
				return VSCTL_USAGE;
			if (r > 0) {
				vsctl_print_cmd_help(ctx->out, cmd);
				return VSCTL_DONE;
			}
		} else if (cmd->max_args >= 0 && npos >= cmd->max_args) {
			vsctl_usage(ctx, cmd, "unexpected argument '%s'", argv[i]);
			return VSCTL_USAGE;
		} else {
			vsctl_cmds_store_pos(ctx, cmd, npos++, argv[i]);
		}
	}
	if (vsctl_cmds_check(ctx, cmd, npos) < 0)
		return VSCTL_USAGE;
	vsctl_cmds_apply_globals(ctx);
	ctx->cmd = cmd;
	return VSCTL_RUN;
}

/**
 * vsctl_parse() - Parse the whole command line
 * @ctx:	filled in: command, args, global settings
 * @argc:	argument count
 * @argv:	arguments
 *
 * Prints help, version or usage errors itself.
 * Return: VSCTL_RUN with ctx->cmd set, VSCTL_DONE or VSCTL_USAGE.
 */
enum vsctl_action vsctl_parse(struct vsctl_ctx *ctx, int argc, char **argv)
{
	int i, r;

	for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
		if (!strcmp(argv[i], "--")) {
			i++;
			break;
		}
		r = vsctl_cmds_take_opt(ctx, NULL, argc, argv, &i);
		if (r < 0)
			return VSCTL_USAGE;
		if (r > 0) {
			vsctl_print_help(ctx->out);
			return VSCTL_DONE;
		}
	}
	/* Global flags went into ctx->local under their keys. */
	if (vsctl_jint(ctx->local, "version", 0)) {
		fprintf(ctx->out, "vsctl (vswitch) %s\n", PACKAGE_VERSION);
		return VSCTL_DONE;
	}
	if (vsctl_jint(ctx->local, "man", 0)) {
		vsctl_print_man_synopsis(ctx->out);
		return VSCTL_DONE;
	}
	if (i >= argc) {
		vsctl_usage(ctx, NULL, "missing command");
		return VSCTL_USAGE;
	}
	return vsctl_cmds_parse_cmd(ctx, argc, argv, i);
}

/* ------------------------------------------------------------------ */
/* Checks of single commands                                           */

/* capture: exactly one capture point, stage defaulting to all. */
static int vsctl_cmds_check_capture(struct vsctl_ctx *ctx, const struct vsctl_cmd *cmd)
{
	struct json_object *a = ctx->args;
	int n = json_object_object_get_ex(a, "network", NULL) +
		json_object_object_get_ex(a, "container", NULL) +
		json_object_object_get_ex(a, "uplink", NULL);
	const char *c = vsctl_jstr(a, "container", NULL), *colon;

	if (n != 1) {
		vsctl_usage(ctx, cmd, "give exactly one of --network, --container, --uplink");
		return -1;
	}
	/* C:IF goes to the daemon as given (doc/capture.md); only its shape
	 * is checked here. */
	if (c && (colon = strchr(c, ':')) != NULL &&
	    (colon == c || !colon[1] || strchr(colon + 1, ':'))) {
		vsctl_usage(ctx, cmd, "--container: '%s' is not C[:IF]", c);
		return -1;
	}
	if (!json_object_object_get_ex(a, "stage", NULL))
		json_object_object_add(a, "stage", json_object_new_string("all"));
	return 0;
}

/* trace: --to IP[:PORT] becomes to and port; a port needs tcp or udp. */
static int vsctl_cmds_check_trace(struct vsctl_ctx *ctx, const struct vsctl_cmd *cmd)
{
	struct json_object *a = ctx->args;
	const char *to = vsctl_jstr(a, "to", ""), *colon = strchr(to, ':');
	const char *proto = vsctl_jstr(a, "proto", "icmp");

	if (colon) {
		char ip[64], *end;
		long port;

		errno = 0;
		port = strtol(colon + 1, &end, 10);
		if (colon == to || (size_t)(colon - to) >= sizeof(ip) || errno ||
		    end == colon + 1 || *end || port < 1 || port > 65535) {
			vsctl_usage(ctx, cmd, "--to: '%s' is not IP[:PORT]", to);
			return -1;
		}
		if (!strcmp(proto, "icmp")) {
			vsctl_usage(ctx, cmd, "--to with a port needs --proto tcp or udp");
			return -1;
		}
		snprintf(ip, sizeof(ip), "%.*s", (int)(colon - to), to);
		json_object_object_add(a, "port", json_object_new_int(port));
		json_object_object_add(a, "to", json_object_new_string(ip));
	}
	if (!json_object_object_get_ex(a, "proto", NULL))
		json_object_object_add(a, "proto", json_object_new_string("icmp"));
	return 0;
}

/* A SPEC is [HOSTIP:][HOSTPORT:]CPORT[/tcp|udp]: only digits, dots, colons
 * and dashes before the suffix.  The daemon parses it for real; this only
 * catches what is plainly not a SPEC (a typo'd option, a name). */
static int vsctl_cmds_check_specs(struct vsctl_ctx *ctx, const struct vsctl_cmd *cmd)
{
	struct json_object *specs;
	size_t i, n;

	if (!json_object_object_get_ex(ctx->args, "specs", &specs))
		return 0;
	n = json_object_array_length(specs);
	for (i = 0; i < n; i++) {
		const char *s = json_object_get_string(json_object_array_get_idx(specs, i));
		size_t body = strcspn(s, "/");
		const char *sfx = s + body;
		size_t k;
		bool digit = false;

		for (k = 0; k < body; k++) {
			if (!strchr("0123456789.:-", s[k]))
				break;
			digit |= isdigit((unsigned char)s[k]) != 0;
		}
		if (k < body || !digit || body == 0 || s[body - 1] == ':' ||
		    (*sfx && strcmp(sfx, "/tcp") && strcmp(sfx, "/udp"))) {
			vsctl_usage(ctx, cmd, "'%s' is not a SPEC "
				    "([HOSTIP:][HOSTPORT:]CPORT[/tcp|udp])", s);
			return -1;
		}
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Handlers                                                            */

/**
 * vsctl_cmds_call() - Send the command's request; print JSON if asked
 * @ctx:	invocation
 * @cmd:	command
 * @res:	the result, when the caller has to print it (table mode)
 *
 * Return: -1 when the JSON was printed and the caller is done, else the
 * exit status (0: *res is set and the caller formats it).
 */
static int vsctl_cmds_call(struct vsctl_ctx *ctx, const struct vsctl_cmd *cmd,
			   struct json_object **res)
{
	int rc = vsctl_transact(ctx, cmd->request, ctx->args, res);

	if (rc)
		return rc;
	if (ctx->format == VSCTL_FMT_JSON) {
		vsctl_json_print(ctx->out, *res);
		json_object_put(*res);
		*res = NULL;
		return -1;
	}
	return 0;
}

/* Returns from the caller once the reply was an error or was printed as
 * JSON: allocate what the table output needs only after it. */
#define VSCTL_CALL(ctx, cmd, res) do { \
	int rc_ = vsctl_cmds_call(ctx, cmd, &(res)); \
	if (rc_) \
		return rc_ < 0 ? 0 : rc_; \
} while (0)

static size_t vsctl_cmds_len(struct json_object *a)
{
	return json_object_is_type(a, json_type_array) ? json_object_array_length(a) : 0;
}

static struct json_object *vsctl_cmds_at(struct json_object *a, size_t i)
{
	return json_object_array_get_idx(a, i);
}

static int vsctl_cmds_net_create(struct vsctl_ctx *ctx, const struct vsctl_cmd *cmd,
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

static int vsctl_cmds_net_ls(struct vsctl_ctx *ctx, const struct vsctl_cmd *cmd,
			     struct json_object *args)
{
	static const char *const hdr[] = { "NETWORK ID", "NAME", "DRIVER", "SCOPE" };
	bool quiet = vsctl_jint(ctx->local, "quiet", 0);
	struct vsctl_table *t;
	struct json_object *res;
	size_t i;

	VSCTL_CALL(ctx, cmd, res);
	t = vsctl_table_new(4, hdr);
	for (i = 0; i < vsctl_cmds_len(res); i++) {
		struct json_object *n = vsctl_cmds_at(res, i);
		char id[13];
		const char *row[4];

		snprintf(id, sizeof(id), "%s", vsctl_jstr(n, "id", ""));
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
static int vsctl_cmds_net_inspect(struct vsctl_ctx *ctx, const struct vsctl_cmd *cmd,
				  struct json_object *args)
{
	struct json_object *res;

	VSCTL_CALL(ctx, cmd, res);
	vsctl_json_print(ctx->out, res);
	json_object_put(res);
	return 0;
}

static void vsctl_cmds_print_removed(struct vsctl_ctx *ctx, struct json_object *res)
{
	struct json_object *names = NULL;
	size_t i;

	json_object_object_get_ex(res, "removed", &names);
	for (i = 0; i < vsctl_cmds_len(names); i++)
		fprintf(ctx->out, "%s\n", json_object_get_string(vsctl_cmds_at(names, i)));
}

static int vsctl_cmds_removed(struct vsctl_ctx *ctx, const struct vsctl_cmd *cmd,
			      struct json_object *args)
{
	struct json_object *res;

	VSCTL_CALL(ctx, cmd, res);
	vsctl_cmds_print_removed(ctx, res);
	json_object_put(res);
	return 0;
}

/* Ask as docker does; no answer (EOF, not a tty and nothing piped) is no. */
static bool vsctl_cmds_confirm(struct vsctl_ctx *ctx)
{
	char line[64];

	fputs("WARNING! This will remove all custom networks not used by at least "
	      "one container.\nAre you sure you want to continue? [y/N] ", ctx->err);
	fflush(ctx->err);
	if (!fgets(line, sizeof(line), stdin))
		return false;
	return line[0] == 'y' || line[0] == 'Y';
}

static int vsctl_cmds_prune(struct vsctl_ctx *ctx, const struct vsctl_cmd *cmd,
			    struct json_object *args)
{
	if (!vsctl_jint(ctx->local, "force", 0) && !vsctl_cmds_confirm(ctx))
		return 0;
	return vsctl_cmds_removed(ctx, cmd, args);
}

/* connect, disconnect, unpublish: silent on success. */
static int vsctl_cmds_quiet(struct vsctl_ctx *ctx, const struct vsctl_cmd *cmd,
			    struct json_object *args)
{
	struct json_object *res;

	VSCTL_CALL(ctx, cmd, res);
	json_object_put(res);
	return 0;
}

/* Is WORD one of the comma-separated words of LIST? */
static bool vsctl_cmds_word_in(const char *list, const char *word)
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

static int vsctl_cmds_ctr_ls(struct vsctl_ctx *ctx, const struct vsctl_cmd *cmd,
			     struct json_object *args)
{
	static const char *const hdr[] = { "NAME", "DNS-NAME", "OWNER", "NETNS", "NETWORKS" };
	struct vsctl_table *t;
	struct json_object *res;
	size_t i, j;

	VSCTL_CALL(ctx, cmd, res);
	t = vsctl_table_new(5, hdr);
	for (i = 0; i < vsctl_cmds_len(res); i++) {
		struct json_object *c = vsctl_cmds_at(res, i), *eps = NULL;
		char nets[1024] = "", owners[512] = "";
		size_t off = 0, ooff = 0;
		const char *row[5];

		json_object_object_get_ex(c, "endpoints", &eps);
		for (j = 0; j < vsctl_cmds_len(eps) && off < sizeof(nets); j++) {
			struct json_object *e = vsctl_cmds_at(eps, j);
			const char *ow = vsctl_jstr(e, "owner", "vsctl");

			off += snprintf(nets + off, sizeof(nets) - off, "%s%s=%s",
					j ? "," : "", vsctl_jstr(e, "network", "?"),
					vsctl_jstr(e, "ip", "?"));
			/* each owner once: most containers have one */
			if (!vsctl_cmds_word_in(owners, ow) && ooff < sizeof(owners))
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
static int vsctl_cmds_text_lines(struct vsctl_ctx *ctx, const struct vsctl_cmd *cmd,
				 struct json_object *args)
{
	struct json_object *res;
	size_t i;

	VSCTL_CALL(ctx, cmd, res);
	for (i = 0; i < vsctl_cmds_len(res); i++)
		fprintf(ctx->out, "%s\n", vsctl_jstr(vsctl_cmds_at(res, i), "text", ""));
	json_object_put(res);
	return 0;
}

static int vsctl_cmds_fdb_show(struct vsctl_ctx *ctx, const struct vsctl_cmd *cmd,
			       struct json_object *args)
{
	static const char *const hdr[] = { "NETWORK", "MAC", "PORT", "AGE", "KIND" };
	struct vsctl_table *t;
	struct json_object *res;
	size_t i;

	VSCTL_CALL(ctx, cmd, res);
	t = vsctl_table_new(5, hdr);
	for (i = 0; i < vsctl_cmds_len(res); i++) {
		struct json_object *e = vsctl_cmds_at(res, i);
		long long age = vsctl_jint(e, "age", -1);
		char agebuf[24];
		const char *row[5];

		snprintf(agebuf, sizeof(agebuf), "%lld", age);
		row[0] = vsctl_jstr(e, "network", NULL);
		row[1] = vsctl_jstr(e, "mac", NULL);
		row[2] = vsctl_jstr(e, "port", NULL);
		row[3] = age >= 0 ? agebuf : NULL;
		row[4] = vsctl_jstr(e, "kind", NULL);
		vsctl_table_add(t, row);
	}
	vsctl_table_print(ctx->out, t);
	vsctl_table_free(t);
	json_object_put(res);
	return 0;
}

static int vsctl_cmds_flushed(struct vsctl_ctx *ctx, const struct vsctl_cmd *cmd,
			      struct json_object *args)
{
	struct json_object *res;

	VSCTL_CALL(ctx, cmd, res);
	fprintf(ctx->out, "flushed %lld entries\n", vsctl_jint(res, "flushed", 0));
	json_object_put(res);
	return 0;
}

/* Flatten an object of counters into KEY VALUE rows, nested keys dotted. */
static void vsctl_cmds_flatten(struct vsctl_table *t, const char *prefix,
			       struct json_object *o)
{
	json_object_object_foreach(o, key, val) {
		char name[256];
		const char *row[2];

		snprintf(name, sizeof(name), "%s%s%s", prefix, *prefix ? "." : "", key);
		if (json_object_is_type(val, json_type_object)) {
			vsctl_cmds_flatten(t, name, val);
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

static int vsctl_cmds_counters(struct vsctl_ctx *ctx, const struct vsctl_cmd *cmd,
			       struct json_object *args)
{
	static const char *const hdr[] = { "COUNTER", "VALUE" };
	struct vsctl_table *t;
	struct json_object *res;

	VSCTL_CALL(ctx, cmd, res);
	t = vsctl_table_new(2, hdr);
	if (json_object_is_type(res, json_type_object))
		vsctl_cmds_flatten(t, "", res);
	vsctl_table_print(ctx->out, t);
	vsctl_table_free(t);
	json_object_put(res);
	return 0;
}

static long long vsctl_cmds_drops(struct json_object *p)
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
static void vsctl_cmds_port_table(struct vsctl_ctx *ctx, struct json_object *ports)
{
	static const char *const hdr[] = { "PORT", "NETWORK", "CONTAINER", "RX-PKTS",
					   "RX-BYTES", "TX-PKTS", "TX-BYTES", "DROPS" };
	static const char *const keys[] = { "rx_packets", "rx_bytes", "tx_packets",
					    "tx_bytes" };
	struct vsctl_table *t = vsctl_table_new(8, hdr);
	size_t i;
	int k;

	for (i = 0; i < vsctl_cmds_len(ports); i++) {
		struct json_object *p = vsctl_cmds_at(ports, i);
		char num[5][24];
		const char *row[8];

		for (k = 0; k < 4; k++)
			snprintf(num[k], sizeof(num[k]), "%lld", vsctl_jint(p, keys[k], 0));
		snprintf(num[4], sizeof(num[4]), "%lld", vsctl_cmds_drops(p));
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
static void vsctl_cmds_drop_lines(struct vsctl_ctx *ctx, struct json_object *ports)
{
	size_t i;
	bool first = true;

	for (i = 0; i < vsctl_cmds_len(ports); i++) {
		struct json_object *p = vsctl_cmds_at(ports, i), *d = NULL;

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

static int vsctl_cmds_stats(struct vsctl_ctx *ctx, const struct vsctl_cmd *cmd,
			    struct json_object *args)
{
	struct json_object *res, *ports = NULL;

	VSCTL_CALL(ctx, cmd, res);
	json_object_object_get_ex(res, "ports", &ports);
	vsctl_cmds_port_table(ctx, ports);
	vsctl_cmds_drop_lines(ctx, ports);
	/* Anything else the daemon counts (ct, dns...) as KEY VALUE. */
	if (json_object_is_type(res, json_type_object) &&
	    json_object_object_length(res) > (ports ? 1 : 0)) {
		static const char *const hdr[] = { "COUNTER", "VALUE" };
		struct vsctl_table *t = vsctl_table_new(2, hdr);
		struct json_object *rest = json_object_new_object();

		json_object_object_foreach(res, k, v)
			if (strcmp(k, "ports"))
				json_object_object_add(rest, k, json_object_get(v));
		vsctl_cmds_flatten(t, "", rest);
		fputc('\n', ctx->out);
		vsctl_table_print(ctx->out, t);
		vsctl_table_free(t);
		json_object_put(rest);
	}
	json_object_put(res);
	return 0;
}

/* show: the port of container C on network N, if the daemon listed it. */
static struct json_object *vsctl_cmds_find_port(struct json_object *ports,
						const char *net, const char *ctr)
{
	size_t i;

	for (i = 0; i < vsctl_cmds_len(ports); i++) {
		struct json_object *p = vsctl_cmds_at(ports, i);

		if (!strcmp(vsctl_jstr(p, "network", ""), net) &&
		    !strcmp(vsctl_jstr(p, "container", ""), ctr))
			return p;
	}
	return NULL;
}

static void vsctl_cmds_show_net(struct vsctl_ctx *ctx, struct json_object *n,
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
	for (i = 0; i < vsctl_cmds_len(ctrs); i++) {
		struct json_object *c = vsctl_cmds_at(ctrs, i), *eps = NULL;
		const char *cname = vsctl_jstr(c, "name", "?");

		json_object_object_get_ex(c, "endpoints", &eps);
		for (j = 0; j < vsctl_cmds_len(eps); j++) {
			struct json_object *e = vsctl_cmds_at(eps, j);
			struct json_object *p;

			if (strcmp(vsctl_jstr(e, "network", ""), name))
				continue;
			fprintf(ctx->out, "    Endpoint %s %s %s %s (%s%s)\n", cname,
				vsctl_jstr(e, "ifname", "-"), vsctl_jstr(e, "ip", "-"),
				vsctl_jstr(e, "mac", "-"), vsctl_jstr(e, "attach", "tap"),
				vsctl_jint(e, "offload", 1) ? "" : ", no offload");
			p = vsctl_cmds_find_port(ports, name, cname);
			if (p)
				fprintf(ctx->out, "        port %s: rx %lld pkts %lld bytes, "
					"tx %lld pkts %lld bytes, drops %lld\n",
					vsctl_jstr(p, "name", "?"), vsctl_jint(p, "rx_packets", 0),
					vsctl_jint(p, "rx_bytes", 0), vsctl_jint(p, "tx_packets", 0),
					vsctl_jint(p, "tx_bytes", 0), vsctl_cmds_drops(p));
		}
	}
}

/* show: the uplink's fields, "    key: value", nested keys dotted. */
static void vsctl_cmds_show_fields(struct vsctl_ctx *ctx, const char *prefix,
				   struct json_object *o)
{
	json_object_object_foreach(o, key, val) {
		char name[256];

		snprintf(name, sizeof(name), "%s%s%s", prefix, *prefix ? "." : "", key);
		if (val && json_object_is_type(val, json_type_object))
			vsctl_cmds_show_fields(ctx, name, val);
		else
			fprintf(ctx->out, "    %s: %s\n", name,
				val && json_object_is_type(val, json_type_string) ?
				json_object_get_string(val) :
				json_object_to_json_string_ext(val, JSON_C_TO_STRING_PLAIN));
	}
}

static int vsctl_cmds_show(struct vsctl_ctx *ctx, const struct vsctl_cmd *cmd,
			   struct json_object *args)
{
	struct json_object *res, *nets = NULL, *ctrs = NULL, *ports = NULL, *up = NULL;
	size_t i;

	VSCTL_CALL(ctx, cmd, res);
	json_object_object_get_ex(res, "networks", &nets);
	json_object_object_get_ex(res, "containers", &ctrs);
	json_object_object_get_ex(res, "ports", &ports);
	json_object_object_get_ex(res, "uplink", &up);
	for (i = 0; i < vsctl_cmds_len(nets); i++)
		vsctl_cmds_show_net(ctx, vsctl_cmds_at(nets, i), ctrs, ports);
	if (up && json_object_is_type(up, json_type_object)) {
		fprintf(ctx->out, "Uplink\n");
		vsctl_cmds_show_fields(ctx, "", up);
	} else {
		fprintf(ctx->out, "Uplink: none\n");
	}
	json_object_put(res);
	return 0;
}

static int vsctl_cmds_trace(struct vsctl_ctx *ctx, const struct vsctl_cmd *cmd,
			    struct json_object *args)
{
	struct json_object *res, *stages = NULL;
	size_t i;

	VSCTL_CALL(ctx, cmd, res);
	json_object_object_get_ex(res, "stages", &stages);
	for (i = 0; i < vsctl_cmds_len(stages); i++) {
		struct json_object *s = vsctl_cmds_at(stages, i);

		fprintf(ctx->out, "%s: %s\n", vsctl_jstr(s, "stage", "?"),
			vsctl_jstr(s, "decision", ""));
	}
	fprintf(ctx->out, "verdict: %s\n", vsctl_jstr(res, "verdict", "?"));
	json_object_put(res);
	return 0;
}

static int vsctl_cmds_capture(struct vsctl_ctx *ctx, const struct vsctl_cmd *cmd,
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

static int vsctl_cmds_help(struct vsctl_ctx *ctx, const struct vsctl_cmd *cmd,
			   struct json_object *args)
{
	struct json_object *words = NULL;
	char want[128] = "";
	size_t i, found;

	json_object_object_get_ex(args, "words", &words);
	if (!vsctl_cmds_len(words)) {
		vsctl_print_help(ctx->out);
		return 0;
	}
	for (i = 0; i < vsctl_cmds_len(words); i++)
		snprintf(want + strlen(want), sizeof(want) - strlen(want), "%s%s",
			 i ? " " : "", json_object_get_string(vsctl_cmds_at(words, i)));
	for (i = 0; i < vsctl_n_commands; i++)
		if (!strcmp(vsctl_commands[i].words, want)) {
			vsctl_print_cmd_help(ctx->out, &vsctl_commands[i]);
			return 0;
		}
	/* "vsctl help network": every command of that group. */
	for (i = 0, found = 0; i < vsctl_n_commands; i++)
		if (!strncmp(vsctl_commands[i].words, want, strlen(want)) &&
		    vsctl_commands[i].words[strlen(want)] == ' ') {
			if (found++)
				fputc('\n', ctx->out);
			vsctl_print_cmd_help(ctx->out, &vsctl_commands[i]);
		}
	if (found)
		return 0;
	vsctl_usage(ctx, NULL, "unknown command '%s'", want);
	return VSCTL_EXIT_USAGE;
}
