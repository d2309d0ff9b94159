/* vsctl.h - the command line's one command table and the code around it.
 *
 * Everything vsctl knows about a command lives in one struct vsctl_cmd
 * entry (vsctl_cmds.c), as in ovs-vsctl's vsctl_commands[]: its words, how
 * many positional arguments it takes and their synopsis, its options, its
 * help line, the control request it sends and the handler that prints the
 * reply.  Parsing, `vsctl --help`, per-command help and the man page's
 * SYNOPSIS are all generated from that table, so they cannot drift apart.
 *
 * Parsing is done in full before vsctl connects: a usage error (exit 2)
 * never sends anything to the daemon.  Options are turned into the
 * request's "args" object generically, from each option's key and type;
 * handlers only add what is special and format the reply.
 */
#ifndef VS_VSCTL_H
#define VS_VSCTL_H

#include <stdbool.h>
#include <stdio.h>
#include <json-c/json.h>

/* Exit statuses, as the man page documents them. */
#define VSCTL_EXIT_OK 0
#define VSCTL_EXIT_ERROR 1
#define VSCTL_EXIT_USAGE 2

enum vsctl_opt_type {
	VSCTL_OPT_FLAG,          /* no value: sets key to flag_value */
	VSCTL_OPT_STR,           /* any string */
	VSCTL_OPT_INT,           /* integer in [min, max] */
	VSCTL_OPT_REAL,          /* number in [min, max], fractions allowed */
	VSCTL_OPT_ENUM,          /* one of choices ("a|b|c") */
	VSCTL_OPT_KV,            /* NAME=VALUE, into an object under key */
};

struct vsctl_opt {
	const char *name;        /* "--subnet" */
	const char *alias;       /* "-q", or NULL */
	enum vsctl_opt_type type;
	const char *metavar;     /* "CIDR"; for ENUM the choices "tap|veth" */
	bool repeatable;         /* STR: collected into an array */
	const char *key;         /* args key the value is stored under */
	bool local;              /* stored in ctx->local, not sent (-q, -f, -w) */
	bool flag_value;         /* FLAG: value stored under key */
	long long min, max;      /* INT bounds */
	bool required;           /* the command needs it */
	const char *help;
};

#define VSCTL_MAX_OPTS 12
#define VSCTL_MAX_POS 2

struct vsctl_ctx;
struct vsctl_cmd;

/* A handler sends the request (vsctl_transact) and prints the reply.
 * Return: an exit status. */
typedef int vsctl_handler_fn(struct vsctl_ctx *ctx, const struct vsctl_cmd *cmd,
			     struct json_object *args);

struct vsctl_cmd {
	const char *words;       /* "network create" */
	int min_args, max_args;  /* positional arguments; max -1: unbounded */
	const char *synopsis;    /* positionals: "NETWORK CONTAINER" */
	/* Options part of the synopsis; NULL: generated from opts[]. */
	const char *opt_synopsis;
	/* Args keys of the positionals, in order; with max_args -1 the last
	 * key collects the rest as an array (e.g. "names"). */
	const char *pos_keys[VSCTL_MAX_POS];
	const char *request;     /* "network.create", NULL: local only */
	vsctl_handler_fn *handler;
	const char *help;
	/* Checks across options and reshapes args (C:IF into container and
	 * ifname); prints the usage error itself.  Return: 0 or -1. */
	int (*validate)(struct vsctl_ctx *ctx, const struct vsctl_cmd *cmd);
	struct vsctl_opt opts[VSCTL_MAX_OPTS];
};

enum vsctl_format { VSCTL_FMT_TABLE, VSCTL_FMT_JSON };

/* What one invocation asks for, once parsed. */
struct vsctl_ctx {
	const char *socket_path;
	enum vsctl_format format;
	int timeout;             /* seconds, 0: wait forever */
	const struct vsctl_cmd *cmd;
	struct json_object *args;    /* request args built from the command line */
	struct json_object *local;   /* options vsctl itself uses: -q, -f, -w */
	FILE *out, *err;
};

/* What vsctl_parse() decided. */
enum vsctl_action {
	VSCTL_RUN,               /* ctx->cmd is set: run it */
	VSCTL_DONE,              /* help or version printed: exit 0 */
	VSCTL_USAGE,             /* usage error printed: exit 2 */
};

/* vsctl_cmds.c */
extern const struct vsctl_cmd vsctl_commands[];
extern const size_t vsctl_n_commands;
enum vsctl_action vsctl_parse(struct vsctl_ctx *ctx, int argc, char **argv);
void vsctl_ctx_init(struct vsctl_ctx *ctx);
void vsctl_ctx_fini(struct vsctl_ctx *ctx);
void vsctl_print_help(FILE *f);
void vsctl_print_cmd_help(FILE *f, const struct vsctl_cmd *cmd);
void vsctl_print_man_synopsis(FILE *f);
const char *vsctl_default_socket(char *buf, size_t len);
/* Full synopsis "[--subnet CIDR] ... NAME" into buf. */
const char *vsctl_cmd_synopsis(const struct vsctl_cmd *cmd, char *buf, size_t len);

/* vsctl_cni.c: `vsctl cni conf` */
int vsctl_cni_conf(struct vsctl_ctx *ctx, const struct vsctl_cmd *cmd, struct json_object *args);

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

/* vsctl_format.c */
void vsctl_json_print(FILE *f, struct json_object *o);
struct vsctl_table;
struct vsctl_table *vsctl_table_new(int ncols, const char *const *headers);
void vsctl_table_add(struct vsctl_table *t, const char *const *cells);
void vsctl_table_print(FILE *f, struct vsctl_table *t);
void vsctl_table_free(struct vsctl_table *t);
void vsctl_error(struct vsctl_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void vsctl_usage(struct vsctl_ctx *ctx, const struct vsctl_cmd *cmd,
		 const char *fmt, ...) __attribute__((format(printf, 3, 4)));
const char *vsctl_jstr(struct json_object *o, const char *key, const char *dflt);
long long vsctl_jint(struct json_object *o, const char *key, long long dflt);

#endif
