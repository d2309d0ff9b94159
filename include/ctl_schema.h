/* ctl_schema.h - the one description of every control command.
 *
 * Each command is one row (struct ctl_schema, defined in ctl_schema.c):
 * its request name, its vsctl words, its positional arguments, and every
 * argument it takes with the JSON type the daemon accepts and, where vsctl
 * has one, the option that sets it.  Both programs are built from the same
 * rows, so nothing about a command is written twice:
 *  - vswitchd checks each request's "args" against the row before the
 *    handler runs (control_check.c), and lists the rows for "commands";
 *  - a handler is registered with its row, control_register(&row, fn), as
 *    OVS's unixctl_command_register() carries its usage; a command without
 *    a row cannot be registered, and start-up stops if a row has no handler;
 *  - vsctl parses its command line, prints its help and the man page's
 *    SYNOPSIS from the rows, and binds its reply printers to them
 *    (vsctl_handlers.c).
 * doc/control-protocol.md says how to add a command.
 *
 * CTL_SCHEMA_ROWS() names the rows, in the order vsctl's help lists them;
 * the names become the objects ctl_schema_<name>, declared here, and the
 * array ctl_schema_rows[] that the daemon, vsctl and the tests walk.
 */
#ifndef VS_CTL_SCHEMA_H
#define VS_CTL_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>

#define CTL_MAX_ARGS 24
#define CTL_MAX_POS 2

/* The JSON type of an argument's value, as the daemon checks it. */
enum ctl_arg_type { CTL_T_STR, CTL_T_BOOL, CTL_T_INT, CTL_T_NUM, CTL_T_STRS, CTL_T_MAP };

/* How vsctl reads an argument from its command line. */
enum ctl_opt_kind {
	CTL_OPT_NONE,            /* no option: a positional, or filled in by vsctl's
				  * check of the command, or not sent by vsctl */
	CTL_OPT_FLAG,            /* no value: sets key to flag_value */
	CTL_OPT_STR,             /* any string */
	CTL_OPT_INT,             /* integer in [min, max] */
	CTL_OPT_REAL,            /* number in [min, max], fractions allowed */
	CTL_OPT_ENUM,            /* one of choices ("a|b|c", in metavar) */
	CTL_OPT_KV,              /* NAME=VALUE, into an object under key */
};

/* One argument of a command: what the daemon accepts, and vsctl's option. */
struct ctl_arg {
	const char *key;         /* the request's args key: "subnet" */
	enum ctl_arg_type type;
	bool required;           /* refused without it, by vsctl and the daemon */
	bool local;              /* vsctl's own (-q, -f, -w): never sent, and the
				  * daemon refuses it */
	/* vsctl's option; name NULL when the argument has none. */
	const char *name;        /* "--subnet" */
	const char *alias;       /* "-q", or NULL */
	enum ctl_opt_kind kind;
	const char *metavar;     /* "CIDR"; for ENUM the choices "tap|veth" */
	bool repeatable;         /* STR: collected into an array; KV: several pairs */
	bool flag_value;         /* FLAG: the value stored under key */
	long long min, max;      /* INT and REAL bounds */
	const char *help;
};

/* One command. */
struct ctl_schema {
	const char *cmd;         /* request name, "network.create"; NULL: vsctl's
				  * own command (help, cni conf) */
	const char *words;       /* vsctl's words, "network create"; NULL: the
				  * daemon has it, vsctl does not (commands) */
	int min_args, max_args;  /* positional arguments; max -1: unbounded */
	const char *synopsis;    /* positionals: "NETWORK CONTAINER" */
	/* Options part of the synopsis; NULL: generated from args[]. */
	const char *opt_synopsis;
	/* Args keys of the positionals, in order; with max_args -1 the last
	 * key collects the rest as an array (e.g. "names"). */
	const char *pos_keys[CTL_MAX_POS];
	const char *help;
	struct ctl_arg args[CTL_MAX_ARGS];   /* ends at the first NULL key */
};

#define CTL_SCHEMA_ROWS(X) \
	X(commands) X(show) \
	X(network_create) X(network_ls) X(network_inspect) X(network_rm) \
	X(network_prune) X(network_connect) X(network_disconnect) \
	X(network_vtep_add) X(network_vtep_rm) \
	X(container_ls) X(cni_conf) X(netns_add) X(netns_exec) X(netns_ls) X(netns_rm) \
	X(endpoint_check) X(endpoint_sandbox) X(endpoint_dns_name) \
	X(network_bind) X(network_unbind) X(ipam_suggest) \
	X(port_publish) X(port_unpublish) X(port_ls) \
	X(fdb_show) X(fdb_flush) \
	X(conntrack_ls) X(conntrack_flush) X(conntrack_stats) \
	X(dns_stats) X(capture) X(trace) X(events) X(stats) X(help)

#define CTL_SCHEMA_DECLARE(id) extern const struct ctl_schema ctl_schema_##id;
CTL_SCHEMA_ROWS(CTL_SCHEMA_DECLARE)
#undef CTL_SCHEMA_DECLARE

/* Every row, in CTL_SCHEMA_ROWS() order. */
extern const struct ctl_schema *const ctl_schema_rows[];
extern const size_t ctl_schema_n_rows;

const struct ctl_schema *ctl_schema_find(const char *cmd);
const struct ctl_arg *ctl_schema_arg(const struct ctl_schema *row, const char *key);
size_t ctl_schema_n_args(const struct ctl_schema *row);
const char *ctl_arg_type_name(enum ctl_arg_type t);

#endif
