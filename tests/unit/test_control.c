/* test_control.c - what the control socket lets through: the request
 * envelope, the arguments against the control schema, and who may connect;
 * and that the schema's rows are well formed.
 *
 * These are the pure halves of control.c (control_check.c and the
 * decision in control_auth.c), fed lines and credentials directly; the
 * socket itself (SO_PEERCRED, modes, closing bad connections) is tested
 * against a running daemon in tests/system/test_control.py.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "control.h"

/* ctl_check_request() on LINE (LEN bytes); 0 or -1, and the error. */
static int check_line(const char *line, size_t len, char *err, size_t errlen)
{
	struct json_object *req = NULL, *args = NULL;
	const char *cmd = NULL;
	int rc;

	err[0] = '\0';
	rc = ctl_check_request(line, len, &req, &cmd, &args, err, errlen);
	if (rc == 0) {
		assert_non_null(req);
		assert_non_null(cmd);
		json_object_put(req);
	} else {
		assert_true(err[0] != '\0');
		assert_null(strchr(err, '\n'));
	}
	return rc;
}

static void test_envelope_good(void **state)
{
	static const char *const good[] = {
		"{\"cmd\":\"network.ls\"}",
		"{\"cmd\":\"network.ls\",\"args\":{}}",
		"{\"cmd\":\"network.ls\",\"args\":null}",
		"  {\"cmd\":\"network.ls\"}  \r",
		"{\"cmd\":\"no.such.command\"}",    /* unknown: the dispatcher's to say */
	};
	struct json_object *req, *args;
	const char *cmd;
	char err[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (check_line(good[i], strlen(good[i]), err, sizeof(err)))
			fail_msg("refused %s: %s", good[i], err);
	/* args come back as the object, or NULL when absent or null */
	assert_int_equal(ctl_check_request(good[1], strlen(good[1]), &req, &cmd, &args,
					   err, sizeof(err)), 0);
	assert_string_equal(cmd, "network.ls");
	assert_non_null(args);
	json_object_put(req);
	assert_int_equal(ctl_check_request(good[2], strlen(good[2]), &req, &cmd, &args,
					   err, sizeof(err)), 0);
	assert_null(args);
	json_object_put(req);
}

static void test_envelope_bad(void **state)
{
	static const char *const bad[] = {
		"", "hello", "[1,2]", "42", "\"network.ls\"", "null", "{",
		"{\"args\":{}}", "{\"cmd\":5}", "{\"cmd\":null}", "{\"cmd\":[\"network.ls\"]}",
		"{\"cmd\":\"network.ls\"} trailing", "{\"cmd\":\"network.ls\"}{}",
		"{\"cmd\":\"network.ls\",\"args\":[1]}", "{\"cmd\":\"network.ls\",\"args\":\"x\"}",
		"{\"cmd\":\"network.ls\\u0000x\"}",
	};
	static const char nul[] = "{\"cmd\":\"net\0work.ls\"}";
	char deep[4096], err[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (!check_line(bad[i], strlen(bad[i]), err, sizeof(err)))
			fail_msg("accepted %s", bad[i]);
	/* a raw NUL byte inside the line, which strlen() would not see */
	assert_int_equal(check_line(nul, sizeof(nul) - 1, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "NUL"));
	/* nesting past json-c's depth limit */
	memset(deep, '[', sizeof(deep));
	assert_int_equal(check_line(deep, sizeof(deep), err, sizeof(err)), -1);
}

/* ctl_check_args() for CMD's row on ARGS (JSON text); 0 or -1. */
static int check_args(const char *cmd, const char *args_json, char *err, size_t errlen)
{
	struct json_object *args = args_json ? json_tokener_parse(args_json) : NULL;
	int rc;

	if (args_json)
		assert_non_null(args);
	err[0] = '\0';
	rc = ctl_check_args(cmd, ctl_schema_find(cmd), args, err, errlen);
	json_object_put(args);
	return rc;
}

static void test_args_good(void **state)
{
	static const char *const good[][2] = {
		{ "network.ls", NULL },
		{ "network.ls", "{}" },
		{ "network.create", "{\"name\":\"n1\"}" },
		{ "network.create", "{\"name\":\"n1\",\"subnet\":\"10.0.0.0/24\",\"mtu\":9000,"
		  "\"internal\":true,\"icc\":false,\"aux\":{\"r\":\"10.0.0.9\"}}" },
		{ "network.rm", "{\"names\":[\"a\",\"b\"]}" },
		{ "network.connect", "{\"network\":\"n\",\"container\":\"c\",\"aliases\":[],"
		  "\"port_security\":false}" },
		{ "capture", "{\"uplink\":true,\"duration\":1.5,\"count\":3}" },
		{ "capture", "{\"uplink\":true,\"duration\":2}" },
		{ "trace", "{\"from\":\"c\",\"to\":\"10.0.0.1\",\"port\":80}" },
	};
	char err[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (check_args(good[i][0], good[i][1], err, sizeof(err)))
			fail_msg("%s %s refused: %s", good[i][0], good[i][1], err);
}

static void test_args_bad(void **state)
{
	/* command, args, a word the error must contain */
	static const char *const bad[][3] = {
		{ "network.ls", "{\"quiet\":true}", "quiet" },
		{ "network.create", "{}", "name" },
		{ "network.create", "{\"name\":5}", "name" },
		{ "network.create", "{\"name\":\"n\",\"mtu\":\"1500\"}", "mtu" },
		{ "network.create", "{\"name\":\"n\",\"mtu\":1500.5}", "mtu" },
		{ "network.create", "{\"name\":\"n\",\"internal\":\"yes\"}", "internal" },
		{ "network.create", "{\"name\":\"n\",\"internal\":1}", "internal" },
		{ "network.create", "{\"name\":\"n\",\"aux\":{\"r\":5}}", "aux" },
		{ "network.create", "{\"name\":\"n\",\"aux\":[\"r=1.2.3.4\"]}", "aux" },
		{ "network.create", "{\"name\":\"n\",\"ip-range\":\"10.0.0.0/25\"}", "ip-range" },
		{ "network.create", "{\"name\":\"n\\u0000x\"}", "name" },
		{ "network.rm", "{\"names\":\"n\"}", "names" },
		{ "network.rm", "{\"names\":[\"n\",5]}", "names" },
		{ "network.rm", "{\"names\":[\"n\",null]}", "names" },
		{ "network.connect", "{\"network\":\"n\"}", "container" },
		{ "network.connect", "{\"network\":\"n\",\"container\":\"c\",\"aliases\":\"a\"}",
		  "aliases" },
		{ "port.publish", "{\"container\":\"c\",\"specs\":[80]}", "specs" },
		{ "trace", "{\"from\":\"c\",\"to\":\"10.0.0.1\",\"port\":\"80\"}", "port" },
		{ "capture", "{\"uplink\":true,\"duration\":\"1\"}", "duration" },
		{ "no.such.command", "{\"x\":1}", "x" },
	};
	char err[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (!check_args(bad[i][0], bad[i][1], err, sizeof(err)))
			fail_msg("%s %s accepted", bad[i][0], bad[i][1]);
		if (!strstr(err, bad[i][2]) || !strstr(err, bad[i][0]))
			fail_msg("%s %s: \"%s\" does not name %s", bad[i][0], bad[i][1], err,
				 bad[i][2]);
	}
}

/* Every request name of the schema is found by name, and its arguments
 * are listed for "commands" without vsctl's local ones. */
static void test_schema_lookup(void **state)
{
	struct json_object *j;
	size_t i, n = 0;

	(void)state;
	for (i = 0; i < ctl_schema_n_rows; i++) {
		const struct ctl_schema *r = ctl_schema_rows[i];

		if (!r->cmd)
			continue;
		n++;
		if (ctl_schema_find(r->cmd) != r)
			fail_msg("%s: found another row, or none", r->cmd);
	}
	assert_true(n >= 22);
	assert_null(ctl_schema_find("no.such.command"));
	assert_null(ctl_schema_find("help"));    /* vsctl's own */
	j = ctl_args_json(ctl_schema_find("network.rm"));
	assert_string_equal(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN),
			    "{\"names\":{\"type\":\"an array of strings\",\"required\":true}}");
	json_object_put(j);
	j = ctl_args_json(ctl_schema_find("network.ls"));    /* --quiet is local */
	assert_string_equal(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN), "{}");
	json_object_put(j);
}

/* The JSON type an option's kind stores (vsctl_parse.c). */
static bool schema_kind_fits(const struct ctl_arg *a)
{
	switch (a->kind) {
	case CTL_OPT_FLAG:
		return a->type == CTL_T_BOOL;
	case CTL_OPT_STR:
		return a->type == (a->repeatable ? CTL_T_STRS : CTL_T_STR);
	case CTL_OPT_ENUM:
		return a->type == CTL_T_STR && a->metavar && strchr(a->metavar, '|');
	case CTL_OPT_INT:
		return a->type == CTL_T_INT && a->min <= a->max;
	case CTL_OPT_REAL:
		return a->type == CTL_T_NUM && a->min <= a->max;
	case CTL_OPT_KV:
		return a->type == CTL_T_MAP;
	case CTL_OPT_NONE:
		return false;
	}
	return false;
}

/* Is KEY one of ROW's positionals; its index in *pos. */
static bool schema_is_pos(const struct ctl_schema *r, const char *key, int *pos)
{
	for (*pos = 0; *pos < CTL_MAX_POS; (*pos)++)
		if (r->pos_keys[*pos] && !strcmp(r->pos_keys[*pos], key))
			return true;
	return false;
}

/* One argument of a row: a positional or an option, consistently. */
static void schema_check_arg(const struct ctl_schema *r, const struct ctl_arg *a)
{
	const char *who = r->cmd ? r->cmd : r->words;
	int pos, last = r->pos_keys[1] ? 1 : 0;

	if (ctl_schema_arg(r, a->key) != a)
		fail_msg("%s: argument %s listed twice", who, a->key);
	if (schema_is_pos(r, a->key, &pos)) {
		if (a->name)
			fail_msg("%s: positional %s also has an option", who, a->key);
		/* vsctl demands the first min_args positionals; the daemon
		 * must demand the same ones. */
		if (a->required != (pos < r->min_args))
			fail_msg("%s: positional %s: required and min_args disagree", who, a->key);
		if (a->type == CTL_T_STRS && pos != last)
			fail_msg("%s: only the last positional may collect the rest", who);
		if (r->max_args < 0 && a->type != CTL_T_STRS && pos == last)
			fail_msg("%s: unbounded, but %s is not an array", who, a->key);
		return;
	}
	if (!a->name)
		return;    /* sent by others, or filled in by vsctl's check */
	if (a->name[0] != '-' || a->name[1] != '-' || !a->help)
		fail_msg("%s: option %s needs a --name and help", who, a->name);
	if (!schema_kind_fits(a))
		fail_msg("%s: option %s: its kind does not store its type", who, a->name);
	if (a->kind != CTL_OPT_FLAG && !a->metavar)
		fail_msg("%s: option %s takes a value but has no metavar", who, a->name);
	for (size_t g = 0; g < ctl_schema_n_args(r); g++) {
		const struct ctl_arg *b = &r->args[g];

		if (b != a && b->name && (!strcmp(b->name, a->name) ||
		    (a->alias && b->alias && !strcmp(a->alias, b->alias))))
			fail_msg("%s: option %s given twice", who, a->name);
	}
}

/* Every row is well formed: what vsctl parses is what the daemon takes. */
static void test_schema_rows(void **state)
{
	size_t i, k;

	(void)state;
	for (i = 0; i < ctl_schema_n_rows; i++) {
		const struct ctl_schema *r = ctl_schema_rows[i];
		int p;

		if (!r->cmd && !r->words)
			fail_msg("row %zu has neither a request name nor words", i);
		if (!r->help || !r->synopsis)
			fail_msg("%s: no help or synopsis", r->cmd ? r->cmd : r->words);
		if (r->max_args >= 0 && r->min_args > r->max_args)
			fail_msg("%s: min_args > max_args", r->words);
		if (r->max_args != 0 && !r->pos_keys[0])
			fail_msg("%s: takes positionals but names no key", r->words);
		for (p = 0; p < CTL_MAX_POS; p++)
			if (r->pos_keys[p] && !ctl_schema_arg(r, r->pos_keys[p]))
				fail_msg("%s: positional %s is not an argument", r->words,
					 r->pos_keys[p]);
		for (k = 0; k < ctl_schema_n_args(r); k++)
			schema_check_arg(r, &r->args[k]);
		for (k = 0; k < i; k++) {
			const struct ctl_schema *o = ctl_schema_rows[k];

			if ((r->cmd && o->cmd && !strcmp(r->cmd, o->cmd)) ||
			    (r->words && o->words && !strcmp(r->words, o->words)))
				fail_msg("%s: two rows", r->cmd ? r->cmd : r->words);
		}
	}
}

static void test_peer_decision(void **state)
{
	const gid_t sup[] = { 100, 4242, 27 };

	(void)state;
	/* root and the daemon's own user, whatever their groups */
	assert_true(control_auth_allowed(0, 0, NULL, 0, 0, 4242));
	assert_true(control_auth_allowed(1000, 1000, NULL, 0, 1000, 4242));
	/* the socket's group, as primary or supplementary group */
	assert_true(control_auth_allowed(65534, 4242, NULL, 0, 0, 4242));
	assert_true(control_auth_allowed(65534, 65534, sup, 3, 0, 4242));
	/* anyone else */
	assert_false(control_auth_allowed(65534, 65534, NULL, 0, 0, 4242));
	assert_false(control_auth_allowed(65534, 65534, sup, 1, 0, 4242));
	assert_false(control_auth_allowed(1000, 0, NULL, 0, 0, 4242));
}

static void test_group_names(void **state)
{
	static const char *const good[] = { "vswitch", "_vs", "vs-ctl", "vs.ctl", "VS1",
		"a23456789012345678901234567890ab" };
	static const char *const bad[] = { "", "-vswitch", "1vs", "vs witch", "vs/ctl",
		"vs:ctl", "a234567890123456789012345678901ab", "vs\n" };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (!control_group_name_ok(good[i]))
			fail_msg("refused group name \"%s\"", good[i]);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (control_group_name_ok(bad[i]))
			fail_msg("accepted group name \"%s\"", bad[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_envelope_good),
		cmocka_unit_test(test_envelope_bad),
		cmocka_unit_test(test_args_good),
		cmocka_unit_test(test_args_bad),
		cmocka_unit_test(test_schema_lookup),
		cmocka_unit_test(test_schema_rows),
		cmocka_unit_test(test_peer_decision),
		cmocka_unit_test(test_group_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
