/* control_check.c - what a control request must look like before it runs.
 *
 * Theory of operation.  Two checks stand between a request line and a
 * handler, so that no handler ever sees a value of the wrong type:
 *
 *  - the envelope (ctl_check_request): one JSON object and nothing after
 *    it, no NUL byte anywhere in the line, a string "cmd", and "args"
 *    absent, null or an object;
 *  - the arguments (ctl_check_args): every key of "args" must be in the
 *    command's row of the control schema (ctl_schema.c), with the type
 *    that row says, and the required keys must be there; an argument the
 *    row marks local is vsctl's own and is refused like an unknown one.
 *    Strings may not hide a NUL (json-c keeps "a\u0000b" whole, C would
 *    read "a").
 *
 * Why a table here rather than checks in each handler: json-c's accessors
 * do not fail on a wrong type (json_object_get_string() of a number is
 * its text, json_object_array_length() of a string reads the wrong
 * struct), so a type check forgotten in one handler was a crash or a
 * silently ignored argument.  One table, the same rows vsctl parses its
 * command line with, makes the check impossible to forget, the refusals
 * worded alike, and the two ends unable to disagree.  What a value means
 * (CIDR syntax, names in use, ranges) is still the handler's to judge,
 * before it changes anything.
 *
 * This file knows nothing of sockets or the event loop, so the unit tests
 * feed it lines directly (tests/unit/test_control.c).
 */
#include <stdio.h>
#include <string.h>
#include "control.h"

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

/* The argument KEY of ROW as the daemon takes it: not vsctl's own. */
static const struct ctl_arg *ctl_wire_arg(const struct ctl_schema *row, const char *key)
{
	const struct ctl_arg *arg = row ? ctl_schema_arg(row, key) : NULL;

	return arg && !arg->local ? arg : NULL;
}

/**
 * ctl_check_args() - Check a request's "args" against its command's row
 * @cmd:	command name (for messages)
 * @row:	the command's schema row, or NULL (then no argument is accepted)
 * @args:	the "args" object, or NULL
 * @err:	one-line reason on failure
 * @errlen:	size of @err
 *
 * Return: 0, or -1 with @err set: an unknown key, a value of the wrong
 * type or a missing required key.
 */
int ctl_check_args(const char *cmd, const struct ctl_schema *row, struct json_object *args,
		   char *err, size_t errlen)
{
	const struct ctl_arg *arg;
	size_t i, n = row ? ctl_schema_n_args(row) : 0;

	if (args) {
		json_object_object_foreach(args, key, val) {
			arg = ctl_wire_arg(row, key);
			if (!arg) {
				snprintf(err, errlen, "%s takes no argument \"%.64s\"", cmd, key);
				return -1;
			}
			if (!ctl_value_ok(val, arg->type)) {
				snprintf(err, errlen, "%s: argument \"%s\" must be %s", cmd, key,
					 ctl_arg_type_name(arg->type));
				return -1;
			}
		}
	}
	for (i = 0; i < n; i++)
		if (row->args[i].required && !row->args[i].local &&
		    !(args && json_object_object_get_ex(args, row->args[i].key, NULL))) {
			snprintf(err, errlen, "%s needs the argument \"%s\"", cmd, row->args[i].key);
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
 * ctl_args_json() - A command's arguments as JSON, for the "commands" command
 * @row:	the command's schema row, or NULL
 *
 * vsctl's local arguments are not listed: the daemon does not take them.
 * Return: a new object {KEY: {"type": T, "required": B}} (empty for NULL).
 */
struct json_object *ctl_args_json(const struct ctl_schema *row)
{
	struct json_object *o = json_object_new_object();
	size_t i, n = row ? ctl_schema_n_args(row) : 0;

	for (i = 0; i < n; i++) {
		const struct ctl_arg *arg = &row->args[i];
		struct json_object *d;

		if (arg->local)
			continue;
		d = json_object_new_object();
		json_object_object_add(d, "type", json_object_new_string(ctl_arg_type_name(arg->type)));
		json_object_object_add(d, "required", json_object_new_boolean(arg->required));
		json_object_object_add(o, arg->key, d);
	}
	return o;
}
