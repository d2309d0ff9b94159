/* vsctl.h - the command line: parser, help and reply printers.
 *
 * What a command is (its words, positionals, options, help line and the
 * request it sends) is its row of the control schema (ctl_schema.h), the
 * same row vswitchd checks the request against.  vsctl adds only how to
 * print the reply: vsctl_commands[] (vsctl_handlers.c) binds each row that
 * has vsctl words to a printer and, where the command needs one, a check
 * across its options.  Parsing (vsctl_parse.c), `vsctl --help`,
 * per-command help and the man page's SYNOPSIS (vsctl_help.c) are all
 * read from the rows, so they cannot drift apart from each other or from
 * the daemon.
 *
 * Parsing is done in full before vsctl connects: a usage error (exit 2)
 * never sends anything to the daemon.  Options are turned into the
 * request's "args" object generically, from each argument's key and kind;
 * printers only add what is special and format the reply.
 */
#ifndef VS_VSCTL_H
#define VS_VSCTL_H

#include <stdbool.h>
#include <stdio.h>
#include <json-c/json.h>
#include "ctl_schema.h"

/* Exit statuses, as the man page documents them. */
#define VSCTL_EXIT_OK 0
#define VSCTL_EXIT_ERROR 1
#define VSCTL_EXIT_USAGE 2

struct vsctl_ctx;
struct vsctl_cmd;

/* A handler sends the request (vsctl_transact) and prints the reply.
 * Return: an exit status. */
typedef int vsctl_handler_fn(struct vsctl_ctx *ctx, const struct vsctl_cmd *cmd,
			     struct json_object *args);

/* vsctl's side of a command: its schema row and how to print its reply. */
struct vsctl_cmd {
	const struct ctl_schema *row;
	vsctl_handler_fn *handler;
	/* Checks across options and reshapes args (C:IF into container and
	 * ifname); prints the usage error itself.  Return: 0 or -1. */
	int (*validate)(struct vsctl_ctx *ctx, const struct ctl_schema *row);
};

/* --format: table (default); json (Docker's rows for the listings that
 * have them, else the daemon's reply); raw (the daemon's reply, always);
 * a template (Docker-shaped listings); prometheus (stats); dot (show). */
enum vsctl_format {
	VSCTL_FMT_TABLE, VSCTL_FMT_JSON, VSCTL_FMT_RAW, VSCTL_FMT_TEMPLATE,
	VSCTL_FMT_PROMETHEUS, VSCTL_FMT_DOT,
};
struct vsctl_tmpl;

/* What one invocation asks for, once parsed. */
struct vsctl_ctx {
	const char *socket_path;
	enum vsctl_format format;
	int timeout;             /* seconds, 0: wait forever */
	const struct vsctl_cmd *cmd;
	struct json_object *args;    /* request args built from the command line */
	struct json_object *local;   /* options vsctl itself uses: -q, -f, -w */
	struct vsctl_tmpl *tmpl;     /* json and templates on Docker-shaped rows */
	FILE *out, *err;
};

/* What vsctl_parse() decided. */
enum vsctl_action {
	VSCTL_RUN,               /* ctx->cmd is set: run it */
	VSCTL_DONE,              /* help or version printed: exit 0 */
	VSCTL_USAGE,             /* usage error printed: exit 2 */
};

/* vsctl_handlers.c */
extern const struct vsctl_cmd vsctl_commands[];
extern const size_t vsctl_n_commands;
const struct vsctl_cmd *vsctl_cmd_find(const struct ctl_schema *row);

/* vsctl_parse.c */
extern const struct ctl_arg vsctl_global_opts[];
extern const size_t vsctl_n_global_opts;
enum vsctl_action vsctl_parse(struct vsctl_ctx *ctx, int argc, char **argv);
void vsctl_ctx_init(struct vsctl_ctx *ctx);
void vsctl_ctx_fini(struct vsctl_ctx *ctx);
const char *vsctl_default_socket(char *buf, size_t len);
int vsctl_check_capture(struct vsctl_ctx *ctx, const struct ctl_schema *row);
int vsctl_check_trace(struct vsctl_ctx *ctx, const struct ctl_schema *row);
int vsctl_check_specs(struct vsctl_ctx *ctx, const struct ctl_schema *row);
int vsctl_check_net_create(struct vsctl_ctx *ctx, const struct ctl_schema *row);

/* vsctl_help.c */
void vsctl_print_help(FILE *f);
void vsctl_print_cmd_help(FILE *f, const struct ctl_schema *row);
void vsctl_print_man_synopsis(FILE *f);
/* Full synopsis "[--subnet CIDR] ... NAME" into buf. */
const char *vsctl_cmd_synopsis(const struct ctl_schema *row, char *buf, size_t len);
vsctl_handler_fn vsctl_help_cmd;

/* vsctl_cni.c: `vsctl cni conf` */
int vsctl_cni_conf(struct vsctl_ctx *ctx, const struct vsctl_cmd *cmd, struct json_object *args);

/* vsctl_netns.c: `vsctl netns add|exec|ls|rm`, run in vsctl itself */
vsctl_handler_fn vsctl_netns_add, vsctl_netns_exec, vsctl_netns_ls, vsctl_netns_rm;

/* vsctl.c (the transport; unit tests supply their own) */
/**
 * vsctl_transact() - Send one request and wait for its reply
 * @ctx:	socket path and timeout
 * @cmd:	request name, "network.create"
 * @args:	request args (not consumed)
 * @result:	on success, the reply's "result" (caller puts it)
 *
 * Prints `vsctl: error: ...` itself on any failure.
 * Return: 0 on success, else the exit status to use (1).
 */
int vsctl_transact(struct vsctl_ctx *ctx, const char *cmd,
		   struct json_object *args, struct json_object **result);
/* Connect to the daemon; prints the error. Return: fd or -1. */
int vsctl_connect(struct vsctl_ctx *ctx);

/* vsctl_template.c: Go-template forms for --format */
struct vsctl_tmpl *vsctl_tmpl_compile(const char *format, const char *const *fields,
				      char *err, size_t errlen);
char *vsctl_tmpl_exec(const struct vsctl_tmpl *t, struct json_object *row);
bool vsctl_tmpl_is_table(const struct vsctl_tmpl *t);
void vsctl_tmpl_free(struct vsctl_tmpl *t);

/* vsctl_docker.c: Docker-shaped rows of the listings, network ls filters */
const char *const *vsctl_docker_fields(const struct ctl_schema *row);
void vsctl_docker_print(struct vsctl_ctx *ctx, struct json_object *res);
int vsctl_check_filters(struct vsctl_ctx *ctx, const struct ctl_schema *row);
void vsctl_docker_filter(struct vsctl_ctx *ctx, struct json_object *res);

/* vsctl_trace.c: a trace reply (typed events, verdict) as text */
void vsctl_trace_print(FILE *f, struct json_object *res);

/* vsctl_format.c */
void vsctl_json_print(FILE *f, struct json_object *o);
struct vsctl_table;
struct vsctl_table *vsctl_table_new(int ncols, const char *const *headers);
void vsctl_table_add(struct vsctl_table *t, const char *const *cells);
void vsctl_table_print(FILE *f, struct vsctl_table *t);
void vsctl_table_free(struct vsctl_table *t);
void vsctl_error(struct vsctl_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void vsctl_usage(struct vsctl_ctx *ctx, const struct ctl_schema *row,
		 const char *fmt, ...) __attribute__((format(printf, 3, 4)));
const char *vsctl_jstr(struct json_object *o, const char *key, const char *dflt);
long long vsctl_jint(struct json_object *o, const char *key, long long dflt);

#endif
