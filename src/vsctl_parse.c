/* vsctl_parse.c - vsctl's command line, turned into one request.
 *
 * Theory of operation.  The command is found by its words in the control
 * schema (ctl_schema.c; longest match, so "network ls" before a one-word
 * command), then its options are looked up among the row's arguments and
 * stored into the request's args by kind: flag, string, repeatable
 * string, integer, real, enum, NAME=VALUE.  Positionals go under the
 * row's pos_keys.  Options the row marks local (-q, -f, -w) and vsctl's
 * global options go into ctx->local and are never sent.
 *
 * Validation here is only what needs no state: counts of arguments,
 * numbers, enum values, options required or exclusive, and the few
 * per-command checks below (vsctl_check_*), which vsctl_handlers.c binds
 * to their rows.  Anything about networks and addresses (CIDR syntax,
 * overlaps, names in use) is the daemon's to judge, so there is one place
 * that decides and one wording of each refusal.  A usage error exits 2
 * before any connection is made.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "vsctl.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0.1.0"
#endif

/* Global options, in the order --help shows them; the first three (those
 * with a value) make the man page's OPTIONS line.  All are vsctl's own. */
const struct ctl_arg vsctl_global_opts[] = {
	{ .key = "socket", .type = CTL_T_STR, .local = true, .name = "--socket",
	  .kind = CTL_OPT_STR, .metavar = "PATH", .help = "control socket of vswitchd" },
	{ .key = "format", .type = CTL_T_STR, .local = true, .name = "--format",
	  .kind = CTL_OPT_STR, .metavar = "FORMAT",
	  .help = "table (default), json, raw, a template '{{.Name}}' or 'table {{.Name}}', "
		  "prometheus (stats), dot (show)" },
	{ .key = "timeout", .type = CTL_T_INT, .local = true, .name = "--timeout",
	  .kind = CTL_OPT_INT, .metavar = "SEC", .min = 0, .max = 86400,
	  .help = "wait at most SEC seconds for vswitchd, 0 forever (default 30)" },
	{ .key = "version", .type = CTL_T_BOOL, .local = true, .name = "--version",
	  .kind = CTL_OPT_FLAG, .flag_value = true, .help = "print the version and exit" },
	{ .key = "help", .type = CTL_T_BOOL, .local = true, .name = "--help", .alias = "-h",
	  .kind = CTL_OPT_FLAG, .flag_value = true, .help = "print this help and exit" },
	{ .key = "man", .type = CTL_T_BOOL, .local = true, .name = "--man-synopsis",
	  .kind = CTL_OPT_FLAG, .flag_value = true,
	  .help = "print the man page SYNOPSIS section (roff) and exit" },
	{ .key = "completion", .type = CTL_T_BOOL, .local = true, .name = "--bash-completion",
	  .kind = CTL_OPT_FLAG, .flag_value = true,
	  .help = "print bash completion for vsctl (generated from the commands) and exit" },
};
const size_t vsctl_n_global_opts = sizeof(vsctl_global_opts) / sizeof(vsctl_global_opts[0]);

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
	vsctl_tmpl_free(ctx->tmpl);
	ctx->tmpl = NULL;
	json_object_put(ctx->args);
	json_object_put(ctx->local);
	ctx->args = ctx->local = NULL;
}

static bool vsctl_parse_enum_ok(const char *choices, const char *v)
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
 * vsctl_parse_store() - Check one option's value and store it into args
 * @ctx:	invocation (args, local)
 * @row:	command, for usage messages (NULL for global options)
 * @o:		the option
 * @val:	its value (NULL for a flag)
 *
 * Return: 0, or -1 after printing the usage error.
 */
static int vsctl_parse_store(struct vsctl_ctx *ctx, const struct ctl_schema *row,
			     const struct ctl_arg *o, const char *val)
{
	struct json_object *dst = o->local ? ctx->local : ctx->args, *cur = NULL;
	bool seen = json_object_object_get_ex(dst, o->key, &cur);
	char *end;
	long long v;

	if (seen && !o->repeatable) {
		vsctl_usage(ctx, row, "%s given more than once", o->name);
		return -1;
	}
	switch (o->kind) {
	case CTL_OPT_FLAG:
		json_object_object_add(dst, o->key, json_object_new_boolean(o->flag_value));
		return 0;
	case CTL_OPT_INT:
		errno = 0;
		v = strtoll(val, &end, 10);
		if (errno || end == val || *end || v < o->min || v > o->max) {
			vsctl_usage(ctx, row, "%s: '%s' is not a number from %lld to %lld",
				    o->name, val, o->min, o->max);
			return -1;
		}
		json_object_object_add(dst, o->key, json_object_new_int64(v));
		return 0;
	case CTL_OPT_REAL: {
		double d;

		errno = 0;
		d = strtod(val, &end);
		if (errno || end == val || *end || !(d >= o->min && d <= o->max)) {
			vsctl_usage(ctx, row, "%s: '%s' is not a number from %lld to %lld",
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
	case CTL_OPT_ENUM:
		if (!vsctl_parse_enum_ok(o->metavar, val)) {
			vsctl_usage(ctx, row, "%s: '%s' is not one of %s", o->name, val,
				    o->metavar);
			return -1;
		}
		break;
	case CTL_OPT_KV: {
		const char *eq = strchr(val, '=');
		char name[128];

		if (!eq || eq == val || !eq[1] || (size_t)(eq - val) >= sizeof(name)) {
			vsctl_usage(ctx, row, "%s: '%s' is not %s", o->name, val, o->metavar);
			return -1;
		}
		snprintf(name, sizeof(name), "%.*s", (int)(eq - val), val);
		if (!cur) {
			cur = json_object_new_object();
			json_object_object_add(dst, o->key, cur);
		}
		if (json_object_object_get_ex(cur, name, NULL)) {
			vsctl_usage(ctx, row, "%s: %s given more than once", o->name, name);
			return -1;
		}
		json_object_object_add(cur, name, json_object_new_string(eq + 1));
		return 0;
	}
	case CTL_OPT_NONE:	/* never: only named options get here */
	case CTL_OPT_STR:
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

/* Find option ARG ("--mtu", "--mtu=9000", "-q") among OPTS (arguments
 * without an option name are skipped); *val is set to the text after '='
 * if any. */
static const struct ctl_arg *vsctl_parse_find_opt(const struct ctl_arg *opts,
						  size_t n, const char *arg,
						  const char **val)
{
	size_t i, len = strcspn(arg, "=");

	*val = arg[len] == '=' ? arg + len + 1 : NULL;
	for (i = 0; i < n; i++) {
		const struct ctl_arg *o = &opts[i];

		if (!o->name)
			continue;
		if ((strlen(o->name) == len && !strncmp(o->name, arg, len)) ||
		    (o->alias && strlen(o->alias) == len && !strncmp(o->alias, arg, len)))
			return o;
	}
	return NULL;
}

/* Apply the global options stored in ctx->local ("socket", "format"...). */
static void vsctl_parse_apply_globals(struct vsctl_ctx *ctx)
{
	static char sockbuf[256];
	const char *s = vsctl_jstr(ctx->local, "socket", NULL);

	ctx->socket_path = s ? s : vsctl_default_socket(sockbuf, sizeof(sockbuf));
	ctx->timeout = vsctl_jint(ctx->local, "timeout", 30);
}

/**
 * vsctl_parse_format() - Decide --format for ROW; compile a template
 * @ctx:	invocation (ctx->format, ctx->tmpl set)
 * @row:	the command
 *
 * A format the command cannot print is a usage error, before anything is
 * sent: prometheus is stats', dot is show's, templates need the
 * Docker-shaped rows of a listing (vsctl_docker.c).
 * Return: 0, or -1 after printing the usage error.
 */
static int vsctl_parse_format(struct vsctl_ctx *ctx, const struct ctl_schema *row)
{
	const char *s = vsctl_jstr(ctx->local, "format", "table");
	const char *const *fields = vsctl_docker_fields(row);
	char err[768];

	ctx->format = VSCTL_FMT_TABLE;
	if (!strcmp(s, "table"))
		return 0;
	if (!strcmp(s, "raw")) {
		ctx->format = VSCTL_FMT_RAW;
		return 0;
	}
	if (!strcmp(s, "prometheus") || !strcmp(s, "dot")) {
		bool prom = s[0] == 'p';

		if (row != (prom ? &ctl_schema_stats : &ctl_schema_show)) {
			vsctl_usage(ctx, row, "--format %s is for '%s' only", s,
				    prom ? "stats" : "show");
			return -1;
		}
		ctx->format = prom ? VSCTL_FMT_PROMETHEUS : VSCTL_FMT_DOT;
		return 0;
	}
	/* '{{json .}}' is what docker's --format json stands for */
	if (!strcmp(s, "json") || !strcmp(s, "{{json .}}")) {
		ctx->format = VSCTL_FMT_JSON;
		s = "{{json .}}";
		if (!fields)
			return 0;
	} else if (!strstr(s, "{{") && strncmp(s, "table ", 6)) {
		vsctl_usage(ctx, row, "--format: '%s' is not table, json, raw, prometheus, dot "
			    "or a template such as '{{.Name}}'", s);
		return -1;
	} else if (!fields) {
		vsctl_usage(ctx, row, "--format templates are for network ls, container ls, "
			    "port ls, conntrack ls and events (use json or raw here)");
		return -1;
	} else {
		ctx->format = VSCTL_FMT_TEMPLATE;
	}
	ctx->tmpl = vsctl_tmpl_compile(s, fields, err, sizeof(err));
	if (!ctx->tmpl) {
		vsctl_usage(ctx, row, "--format: %s", err);
		return -1;
	}
	return 0;
}

/**
 * vsctl_parse_take_opt() - Parse the option at argv[*i] for ROW (or globals)
 * @ctx:	invocation
 * @row:	command, or NULL while parsing global options
 * @argc:	argument count
 * @argv:	arguments
 * @i:		index of the option; advanced past its value
 *
 * Global options are accepted after the command too (vsctl network ls
 * --format json), as users of docker expect; they go into ctx->local.
 * Return: 0, 1 if help was asked for, -1 after a usage error.
 */
static int vsctl_parse_take_opt(struct vsctl_ctx *ctx, const struct ctl_schema *row,
				int argc, char **argv, int *i)
{
	const struct ctl_arg *o = NULL;
	bool global = false;
	const char *val;

	if (row)
		o = vsctl_parse_find_opt(row->args, ctl_schema_n_args(row), argv[*i], &val);
	if (!o) {
		o = vsctl_parse_find_opt(vsctl_global_opts, vsctl_n_global_opts, argv[*i], &val);
		global = o != NULL;
	}
	if (!o) {
		vsctl_usage(ctx, row, "unknown option '%s'", argv[*i]);
		return -1;
	}
	if (!strcmp(o->name, "--help"))
		return 1;
	if (row && global && o->kind == CTL_OPT_FLAG) {
		vsctl_usage(ctx, row, "%s is not valid after a command", o->name);
		return -1;
	}
	if (o->kind == CTL_OPT_FLAG) {
		if (val) {
			vsctl_usage(ctx, row, "%s takes no value", o->name);
			return -1;
		}
	} else if (!val) {
		if (*i + 1 >= argc) {
			vsctl_usage(ctx, row, "%s needs a value (%s)", o->name, o->metavar);
			return -1;
		}
		val = argv[++*i];
	}
	return vsctl_parse_store(ctx, row, o, val);
}

/* How many words of ARGV from I the row's WORDS are, all of them; 0 if
 * they are not. */
static int vsctl_parse_words_match(const char *w, int argc, char **argv, int i)
{
	const char *sp;
	int n = 0;

	for (; w; w = sp ? sp + 1 : NULL, n++) {
		size_t len;

		sp = strchr(w, ' ');
		len = sp ? (size_t)(sp - w) : strlen(w);
		if (i + n >= argc || strlen(argv[i + n]) != len || strncmp(w, argv[i + n], len))
			return 0;
	}
	return n;
}

static const struct ctl_schema *vsctl_parse_lookup(int argc, char **argv, int i,
						   int *nwords)
{
	const struct ctl_schema *best = NULL;
	size_t k;
	int n;

	*nwords = 0;
	/* The longest row whose words are the next words of ARGV: "network
	 * vtep add" has three, "network ls" two, "show" one. */
	for (k = 0; k < ctl_schema_n_rows; k++) {
		n = vsctl_parse_words_match(ctl_schema_rows[k]->words, argc, argv, i);
		if (n > *nwords) {
			best = ctl_schema_rows[k];
			*nwords = n;
		}
	}
	return best;
}

/* Store positional argument number IDX (0-based) under its key.  Past the
 * last key, the last one takes the rest; a key whose argument is an array
 * of strings (names, specs, help's words) collects its values. */
static void vsctl_parse_store_pos(struct vsctl_ctx *ctx, const struct ctl_schema *row,
				  int idx, const char *arg)
{
	const struct ctl_arg *a;
	struct json_object *arr;
	const char *key;
	int last = 0;

	while (last + 1 < CTL_MAX_POS && row->pos_keys[last + 1])
		last++;
	key = row->pos_keys[idx < last ? idx : last];
	a = ctl_schema_arg(row, key);
	if (a && a->type == CTL_T_STRS) {
		if (!json_object_object_get_ex(ctx->args, key, &arr)) {
			arr = json_object_new_array();
			json_object_object_add(ctx->args, key, arr);
		}
		json_object_array_add(arr, json_object_new_string(arg));
		return;
	}
	json_object_object_add(ctx->args, key, json_object_new_string(arg));
}

/* After parsing: counts, required options, the command's own checks. */
static int vsctl_parse_check(struct vsctl_ctx *ctx, const struct vsctl_cmd *cmd, int npos)
{
	const struct ctl_schema *row = cmd->row;
	size_t i, n = ctl_schema_n_args(row);

	if (npos < row->min_args) {
		vsctl_usage(ctx, row, "missing argument (%s)", row->synopsis);
		return -1;
	}
	if (row->max_args >= 0 && npos > row->max_args) {
		vsctl_usage(ctx, row, "too many arguments");
		return -1;
	}
	for (i = 0; i < n; i++) {
		const struct ctl_arg *o = &row->args[i];

		if (o->name && o->required &&
		    !json_object_object_get_ex(o->local ? ctx->local : ctx->args, o->key, NULL)) {
			vsctl_usage(ctx, row, "%s is required", o->name);
			return -1;
		}
	}
	return cmd->validate ? cmd->validate(ctx, row) : 0;
}

/* The subcommands of group WANT ("network", "network vtep") into SUBS,
 * comma-separated; empty if WANT names no group. */
static void vsctl_parse_group_subs(const char *want, char *subs, size_t size)
{
	size_t k, len = strlen(want), off = 0;

	*subs = 0;
	for (k = 0; k < ctl_schema_n_rows; k++) {
		const char *w = ctl_schema_rows[k]->words;

		if (w && !strncmp(w, want, len) && w[len] == ' ' && off < size)
			off += snprintf(subs + off, size - off, "%s%s", off ? ", " : "",
					w + len + 1);
	}
}

/* An unknown command; if its words name a group ("network", "network
 * vtep"), list that group's subcommands, the likely typo. */
static void vsctl_parse_unknown(struct vsctl_ctx *ctx, int argc, char **argv, int i)
{
	const char *next = i + 1 < argc && argv[i + 1][0] != '-' ? argv[i + 1] : NULL;
	char subs[256], two[128];

	if (next) {	/* a two-word group without its subcommand */
		snprintf(two, sizeof(two), "%s %s", argv[i], next);
		vsctl_parse_group_subs(two, subs, sizeof(subs));
		if (*subs && (i + 2 >= argc || argv[i + 2][0] == '-')) {
			vsctl_usage(ctx, NULL, "'%s' needs a subcommand: %s", two, subs);
			return;
		}
		if (*subs) {
			vsctl_usage(ctx, NULL, "unknown command '%s %s' (%s takes: %s)", two,
				    argv[i + 2], two, subs);
			return;
		}
	}
	vsctl_parse_group_subs(argv[i], subs, sizeof(subs));
	if (*subs && next)
		vsctl_usage(ctx, NULL, "unknown command '%s %s' (%s takes: %s)", argv[i],
			    next, argv[i], subs);
	else if (*subs)
		vsctl_usage(ctx, NULL, "'%s' needs a subcommand: %s", argv[i], subs);
	else
		vsctl_usage(ctx, NULL, "unknown command '%s'", argv[i]);
}

/* How many plain words from I on come right before --help or -h
 * ("vsctl network vtep --help" asks for a group's help), or 0. */
static int vsctl_parse_help_words(int argc, char **argv, int i)
{
	int k = i;

	while (k < argc && argv[k][0] != '-')
		k++;
	if (k == i || k >= argc || (strcmp(argv[k], "--help") && strcmp(argv[k], "-h")))
		return 0;
	return k - i;
}

/* The command's words are not a command, but "vsctl network --help" or
 * "vsctl network vtep --help" asks for the group's help: that is "vsctl
 * help network [vtep]". */
static enum vsctl_action vsctl_parse_group_help(struct vsctl_ctx *ctx, char **words, int n)
{
	struct json_object *w = json_object_new_array();
	int k;

	for (k = 0; k < n; k++)
		json_object_array_add(w, json_object_new_string(words[k]));
	json_object_object_add(ctx->args, "words", w);
	return vsctl_help_cmd(ctx, NULL, ctx->args) ? VSCTL_USAGE : VSCTL_DONE;
}

/**
 * vsctl_parse_cmd() - Parse a command's words, options and arguments
 * @ctx:	invocation
 * @argc:	argument count
 * @argv:	arguments
 * @i:		index of the first command word
 *
 * Return: what main should do.
 */
static enum vsctl_action vsctl_parse_cmd(struct vsctl_ctx *ctx, int argc, char **argv, int i)
{
	const struct ctl_schema *row;
	const struct vsctl_cmd *cmd;
	int nwords, npos = 0, r;
	bool dashdash = false;

	row = vsctl_parse_lookup(argc, argv, i, &nwords);
	if (!row && (r = vsctl_parse_help_words(argc, argv, i)) > 0)
		return vsctl_parse_group_help(ctx, argv + i, r);
	if (!row) {
		vsctl_parse_unknown(ctx, argc, argv, i);
		return VSCTL_USAGE;
	}
	cmd = vsctl_cmd_find(row);
	if (!cmd) {	/* a row added without its printer (test_vsctl checks) */
		vsctl_error(ctx, "'%s' has no handler in this vsctl", row->words);
		return VSCTL_USAGE;
	}
	for (i += nwords; i < argc; i++) {
		if (!dashdash && !strcmp(argv[i], "--")) {
			dashdash = true;
		} else if (!dashdash && argv[i][0] == '-' && argv[i][1]) {
			r = vsctl_parse_take_opt(ctx, row, argc, argv, &i);
			if (r < 0)
				return VSCTL_USAGE;
			if (r > 0) {
				vsctl_print_cmd_help(ctx->out, row);
				return VSCTL_DONE;
			}
		} else if (row->max_args >= 0 && npos >= row->max_args) {
			vsctl_usage(ctx, row, "unexpected argument '%s'", argv[i]);
			return VSCTL_USAGE;
		} else {
			vsctl_parse_store_pos(ctx, row, npos++, argv[i]);
		}
	}
	if (vsctl_parse_check(ctx, cmd, npos) < 0 || vsctl_parse_format(ctx, row) < 0)
		return VSCTL_USAGE;
	vsctl_parse_apply_globals(ctx);
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
		r = vsctl_parse_take_opt(ctx, NULL, argc, argv, &i);
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
	if (vsctl_jint(ctx->local, "completion", 0)) {
		vsctl_print_bash_completion(ctx->out);
		return VSCTL_DONE;
	}
	if (i >= argc) {
		vsctl_usage(ctx, NULL, "missing command");
		return VSCTL_USAGE;
	}
	return vsctl_parse_cmd(ctx, argc, argv, i);
}

/* ------------------------------------------------------------------ */
/* Checks of single commands                                           */

/* capture: exactly one capture point, stage defaulting to all. */
int vsctl_check_capture(struct vsctl_ctx *ctx, const struct ctl_schema *row)
{
	struct json_object *a = ctx->args;
	int n = json_object_object_get_ex(a, "network", NULL) +
		json_object_object_get_ex(a, "container", NULL) +
		json_object_object_get_ex(a, "uplink", NULL) +
		json_object_object_get_ex(a, "tunnel", NULL);
	const char *c = vsctl_jstr(a, "container", NULL), *colon;

	if (n != 1) {
		vsctl_usage(ctx, row, "give exactly one of --network, --container, --uplink, --tunnel");
		return -1;
	}
	/* C:IF goes to the daemon as given (doc/capture.md); only its shape
	 * is checked here. */
	if (c && (colon = strchr(c, ':')) != NULL &&
	    (colon == c || !colon[1] || strchr(colon + 1, ':'))) {
		vsctl_usage(ctx, row, "--container: '%s' is not C[:IF]", c);
		return -1;
	}
	if (!json_object_object_get_ex(a, "stage", NULL))
		json_object_object_add(a, "stage", json_object_new_string("all"));
	return 0;
}

/* Split --to into address and port text: IP, IP:PORT, IPV6 (two colons
 * or more) or [IPV6]:PORT.  Return: the port text or NULL; -1 if bad. */
static int vsctl_trace_split(const char *to, char *ip, size_t iplen, const char **port)
{
	const char *colon = strchr(to, ':'), *close;

	*port = NULL;
	if (to[0] == '[') {
		close = strchr(to, ']');
		if (!close || close == to + 1 || (size_t)(close - to - 1) >= iplen ||
		    (close[1] && (close[1] != ':' || !close[2])))
			return -1;
		snprintf(ip, iplen, "%.*s", (int)(close - to - 1), to + 1);
		*port = close[1] ? close + 2 : NULL;
		return 0;
	}
	if (colon && strchr(colon + 1, ':'))
		colon = NULL;		/* a bare IPv6 address: no port */
	if (colon ? colon == to || (size_t)(colon - to) >= iplen : strlen(to) >= iplen)
		return -1;
	snprintf(ip, iplen, "%.*s", colon ? (int)(colon - to) : (int)strlen(to), to);
	*port = colon ? colon + 1 : NULL;
	return 0;
}

/* trace: --to IP[:PORT] (or [IPV6]:PORT) becomes to and port; a port
 * needs tcp or udp. */
int vsctl_check_trace(struct vsctl_ctx *ctx, const struct ctl_schema *row)
{
	struct json_object *a = ctx->args;
	const char *to = vsctl_jstr(a, "to", ""), *ptxt;
	const char *proto = vsctl_jstr(a, "proto", "icmp");
	char ip[64], *end;
	long port;

	if (vsctl_trace_split(to, ip, sizeof(ip), &ptxt) < 0) {
		vsctl_usage(ctx, row, "--to: '%s' is not IP[:PORT] or [IPV6]:PORT", to);
		return -1;
	}
	if (ptxt) {
		errno = 0;
		port = strtol(ptxt, &end, 10);
		if (errno || end == ptxt || *end || port < 1 || port > 65535) {
			vsctl_usage(ctx, row, "--to: '%s' is not IP[:PORT] or [IPV6]:PORT", to);
			return -1;
		}
		if (!strcmp(proto, "icmp")) {
			vsctl_usage(ctx, row, "--to with a port needs --proto tcp or udp");
			return -1;
		}
		json_object_object_add(a, "port", json_object_new_int(port));
	}
	json_object_object_add(a, "to", json_object_new_string(ip));
	if (!json_object_object_get_ex(a, "proto", NULL))
		json_object_object_add(a, "proto", json_object_new_string("icmp"));
	return 0;
}

/* A SPEC is [HOSTIP:][HOSTPORT:]CPORT[/tcp|udp]: only digits, dots, colons
 * and dashes before the suffix, and the hex digits and brackets of an
 * IPv6 HOSTIP ("[::1]:8080:80").  The daemon parses it for real; this only
 * catches what is plainly not a SPEC (a typo'd option, a name). */
int vsctl_check_specs(struct vsctl_ctx *ctx, const struct ctl_schema *row)
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
			if (!strchr(s[0] == '[' ? "0123456789.:-[]abcdefABCDEF" : "0123456789.:-",
				    s[k]))
				break;
			digit |= isdigit((unsigned char)s[k]) != 0;
		}
		if (k < body || !digit || body == 0 || s[body - 1] == ':' ||
		    (*sfx && strcmp(sfx, "/tcp") && strcmp(sfx, "/udp"))) {
			vsctl_usage(ctx, row, "'%s' is not a SPEC "
				    "([HOSTIP:][HOSTPORT:]CPORT[/tcp|udp], an IPv6 HOSTIP in "
				    "brackets)", s);
			return -1;
		}
	}
	return 0;
}


/* One of --subnet, --gateway, --ip-range (LOCAL, an array of up to one
 * value per family) to the request's KEY (IPv4) and KEY6 (IPv6), as
 * docker's repeated --subnet.  A colon is what makes the value IPv6; the
 * daemon parses it for real. */
static int vsctl_split_family(struct vsctl_ctx *ctx, const struct ctl_schema *row,
			      const char *local, const char *opt, const char *key)
{
	struct json_object *vals;
	char key6[32];
	size_t i;

	if (!json_object_object_get_ex(ctx->local, local, &vals))
		return 0;
	snprintf(key6, sizeof(key6), "%s6", key);
	for (i = 0; i < json_object_array_length(vals); i++) {
		const char *v = json_object_get_string(json_object_array_get_idx(vals, i));
		const char *k = strchr(v, ':') ? key6 : key;

		if (json_object_object_get_ex(ctx->args, k, NULL)) {
			vsctl_usage(ctx, row, "%s given twice for %s", opt,
				    k == key ? "IPv4" : "IPv6");
			return -1;
		}
		json_object_object_add(ctx->args, k, json_object_new_string(v));
	}
	return 0;
}

/* network create: --subnet, --gateway, --ip-range once per family. */
int vsctl_check_net_create(struct vsctl_ctx *ctx, const struct ctl_schema *row)
{
	if (vsctl_split_family(ctx, row, "subnets", "--subnet", "subnet") ||
	    vsctl_split_family(ctx, row, "gateways", "--gateway", "gateway") ||
	    vsctl_split_family(ctx, row, "ip_ranges", "--ip-range", "ip_range"))
		return -1;
	return 0;
}
