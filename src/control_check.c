/* control_check.c - what a control request must look like before it runs.
 *
 * Theory of operation.  Two checks stand between a request line and a
 * handler, so that no handler ever sees a value of the wrong type:
 *
 *  - the envelope (ctl_check_request): one JSON object and nothing after
 *    it, no NUL byte anywhere in the line, a string "cmd", and "args"
 *    absent, null or an object;
 *  - the arguments (ctl_check_args): every key of "args" must be in the
 *    command's row of ctl_arg_table[] below, with the type that row says,
 *    and the required keys must be there.  Strings may not hide a NUL
 *    (json-c keeps "a\u0000b" whole, C would read "a").
 *
 * Why a table here rather than checks in each handler: json-c's accessors
 * do not fail on a wrong type (json_object_get_string() of a number is
 * its text, json_object_array_length() of a string reads the wrong
 * struct), so a type check forgotten in one handler was a crash or a
 * silently ignored argument.  One table, the daemon-side twin of vsctl's
 * command table and of doc/control-protocol.md, makes the check
 * impossible to forget and the refusals worded alike.  What a value means
 * (CIDR syntax, names in use, ranges) is still the handler's to judge,
 * before it changes anything.
 *
 * This file knows nothing of sockets or the event loop, so the unit tests
 * feed it lines directly (tests/unit/test_control.c).
 */
#include <stdio.h>
#include <string.h>
#include "control.h"

#define A(k, t) { .key = k, .type = CTL_T_##t }
#define R(k, t) { .key = k, .type = CTL_T_##t, .required = true }

/* The arguments of every command the daemon registers (control_register);
 * a command with no row here is refused any argument.  Keep in step with
 * doc/control-protocol.md. */
static const struct ctl_cmd_args ctl_arg_table[] = {
	{ "commands", { { 0 } } },
	{ "show", { { 0 } } },
	{ "stats", { { 0 } } },
	{ "network.create", { R("name", STR), A("subnet", STR), A("gateway", STR),
		A("ip_range", STR), A("aux", MAP), A("internal", BOOL), A("icc", BOOL),
		A("mtu", INT), A("dns", BOOL), A("dns_intercept", BOOL) } },
	{ "network.ls", { { 0 } } },
	{ "network.inspect", { R("names", STRS) } },
	{ "network.rm", { R("names", STRS) } },
	{ "network.prune", { { 0 } } },
	{ "network.connect", { R("network", STR), R("container", STR), A("netns", STR),
		A("ip", STR), A("mac", STR), A("aliases", STRS), A("ifname", STR),
		A("attach", STR), A("port_security", BOOL), A("offload", BOOL),
		A("dns_name", STR), A("owner", STR), A("handoff", BOOL) } },
	{ "network.disconnect", { R("network", STR), R("container", STR),
		A("missing_ok", BOOL), A("drop_ports", BOOL) } },
	{ "container.ls", { A("owner", STR) } },
	{ "endpoint.check", { R("network", STR), R("container", STR), A("ifname", STR),
		A("ip", STR), A("mac", STR) } },
	{ "endpoint.sandbox", { R("network", STR), R("container", STR), R("sandbox", STR) } },
	{ "endpoint.dns_name", { R("container", STR), R("dns_name", STR) } },
	{ "network.bind", { R("network", STR), R("name", STR) } },
	{ "network.unbind", { R("name", STR) } },
	{ "port.publish", { R("container", STR), R("specs", STRS) } },
	{ "port.unpublish", { R("container", STR), R("specs", STRS) } },
	{ "port.ls", { R("container", STR) } },
	{ "fdb.show", { A("network", STR) } },
	{ "fdb.flush", { A("network", STR) } },
	{ "conntrack.ls", { A("network", STR) } },
	{ "conntrack.flush", { { 0 } } },
	{ "conntrack.stats", { { 0 } } },
	{ "dns.stats", { { 0 } } },
	{ "trace", { R("from", STR), R("to", STR), A("port", INT), A("proto", STR) } },
	{ "capture", { A("network", STR), A("container", STR), A("ifname", STR),
		A("uplink", BOOL), A("stage", STR), A("filter", STR), A("recorder", BOOL),
		A("count", INT), A("duration", NUM), A("buffer", INT) } },
};

static const char *const ctl_type_names[] = {
	[CTL_T_STR] = "a string",
	[CTL_T_BOOL] = "true or false",
	[CTL_T_INT] = "an integer",
	[CTL_T_NUM] = "a number",
	[CTL_T_STRS] = "an array of strings",
	[CTL_T_MAP] = "an object of strings",
};

/**
 * ctl_args_find() - The argument table row of a command
 * @cmd:	command name
 *
 * Return: the row, or NULL if the command has none.
 */
const struct ctl_cmd_args *ctl_args_find(const char *cmd)
{
	size_t i;

	for (i = 0; i < sizeof(ctl_arg_table) / sizeof(ctl_arg_table[0]); i++)
		if (!strcmp(ctl_arg_table[i].cmd, cmd))
			return &ctl_arg_table[i];
	return NULL;
}

const char *ctl_arg_type_name(enum ctl_arg_type t)
{
	return ctl_type_names[t];
}

/* A JSON string that C reads whole (no NUL inside). */
static bool ctl_str_ok(struct json_object *v)
{
	return json_object_is_type(v, json_type_string) &&
	       (size_t)json_object_get_string_len(v) == strlen(json_object_get_string(v));
}

static bool ctl_value_ok(struct json_object *v, enum ctl_arg_type t)
{
	size_t i;

	switch (t) {
	case CTL_T_STR:
		return ctl_str_ok(v);
	case CTL_T_BOOL:
		return json_object_is_type(v, json_type_boolean);
	case CTL_T_INT:
		return json_object_is_type(v, json_type_int);
	case CTL_T_NUM:
		return json_object_is_type(v, json_type_int) ||
		       json_object_is_type(v, json_type_double);
	case CTL_T_STRS:
		if (!json_object_is_type(v, json_type_array))
			return false;
		for (i = 0; i < json_object_array_length(v); i++)
			if (!ctl_str_ok(json_object_array_get_idx(v, i)))
				return false;
		return true;
	case CTL_T_MAP:
		if (!json_object_is_type(v, json_type_object))
			return false;
		json_object_object_foreach(v, key, val) {
			(void)key;
			if (!ctl_str_ok(val))
				return false;
		}
		return true;
	}
	return false;
}

static const struct ctl_arg *ctl_arg_find(const struct ctl_cmd_args *a, const char *key)
{
	size_t i;

	for (i = 0; i < CTL_MAX_ARGS && a->args[i].key; i++)
		if (!strcmp(a->args[i].key, key))
			return &a->args[i];
	return NULL;
}

/**
 * ctl_check_args() - Check a request's "args" against its command's row
 * @cmd:	command name (for messages)
 * @a:		the command's row, or NULL (then no argument is accepted)
 * @args:	the "args" object, or NULL
 * @err:	one-line reason on failure
 * @errlen:	size of @err
 *
 * Return: 0, or -1 with @err set: an unknown key, a value of the wrong
 * type or a missing required key.
 */
int ctl_check_args(const char *cmd, const struct ctl_cmd_args *a, struct json_object *args,
		   char *err, size_t errlen)
{
	const struct ctl_arg *arg;
	size_t i;

	if (args) {
		json_object_object_foreach(args, key, val) {
			arg = a ? ctl_arg_find(a, key) : NULL;
			if (!arg) {
				snprintf(err, errlen, "%s takes no argument \"%.64s\"", cmd, key);
				return -1;
			}
			if (!ctl_value_ok(val, arg->type)) {
				snprintf(err, errlen, "%s: argument \"%s\" must be %s", cmd, key,
					 ctl_type_names[arg->type]);
				return -1;
			}
		}
	}
	for (i = 0; a && i < CTL_MAX_ARGS && a->args[i].key; i++)
		if (a->args[i].required &&
		    !(args && json_object_object_get_ex(args, a->args[i].key, NULL))) {
			snprintf(err, errlen, "%s needs the argument \"%s\"", cmd, a->args[i].key);
			return -1;
		}
	return 0;
}

/* Only whitespace from OFF to LEN: what may follow the object on a line. */
static bool ctl_only_space(const char *line, size_t off, size_t len)
{
	while (off < len && strchr(" \t\r", line[off]))
		off++;
	return off == len;
}

/**
 * ctl_check_request() - Parse and check a request line's envelope
 * @line:	the line, without its newline (need not be NUL-terminated)
 * @len:	its length
 * @req:	the parsed request on success (the caller puts it)
 * @cmd:	its "cmd" (owned by @req)
 * @args:	its "args" object, or NULL when absent or null (owned by @req)
 * @err:	one-line reason on failure
 * @errlen:	size of @err
 *
 * Return: 0, or -1 with @err set and nothing to free.
 */
int ctl_check_request(const char *line, size_t len, struct json_object **req,
		      const char **cmd, struct json_object **args, char *err, size_t errlen)
{
	struct json_tokener *tok;
	struct json_object *o, *v;

	if (memchr(line, '\0', len)) {
		snprintf(err, errlen, "malformed request: a NUL byte in the line");
		return -1;
	}
	tok = json_tokener_new();
	if (!tok) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	o = len > (size_t)INT32_MAX ? NULL : json_tokener_parse_ex(tok, line, (int)len);
	if (!o || json_tokener_get_error(tok) != json_tokener_success ||
	    !ctl_only_space(line, json_tokener_get_parse_end(tok), len)) {
		snprintf(err, errlen, "malformed request: %s",
			 !o ? "not JSON" : "text after the JSON object");
		json_object_put(o);
		json_tokener_free(tok);
		return -1;
	}
	json_tokener_free(tok);
	if (!json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, "cmd", &v) || !ctl_str_ok(v)) {
		snprintf(err, errlen, "malformed request: expected a JSON object with a string \"cmd\"");
		json_object_put(o);
		return -1;
	}
	*cmd = json_object_get_string(v);
	v = NULL;
	if (json_object_object_get_ex(o, "args", &v) && v &&
	    !json_object_is_type(v, json_type_object)) {
		snprintf(err, errlen, "malformed request: \"args\" must be an object");
		json_object_put(o);
		return -1;
	}
	*args = v && json_object_is_type(v, json_type_object) ? v : NULL;
	*req = o;
	return 0;
}

/**
 * ctl_args_json() - A command's row as JSON, for the "commands" command
 * @a:	the row, or NULL
 *
 * Return: a new object {KEY: {"type": T, "required": B}} (empty for NULL).
 */
struct json_object *ctl_args_json(const struct ctl_cmd_args *a)
{
	struct json_object *o = json_object_new_object();
	size_t i;

	for (i = 0; a && i < CTL_MAX_ARGS && a->args[i].key; i++) {
		struct json_object *d = json_object_new_object();

		json_object_object_add(d, "type", json_object_new_string(ctl_type_names[a->args[i].type]));
		json_object_object_add(d, "required", json_object_new_boolean(a->args[i].required));
		json_object_object_add(o, a->args[i].key, d);
	}
	return o;
}
