/* test_vsctl.c - vsctl's parser, checks and output, without a daemon.
 *
 * The transport (vsctl_transact, vsctl_connect) is replaced here by a fake
 * that records the request and returns a canned reply, so each test can
 * check both halves of the contract: what vsctl would send for a command
 * line (and that a usage error sends nothing), and how it prints a reply.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "vsctl.h"
#include "capture_client.h"

/* The fake transport. */
static int fake_calls;
static char fake_cmd[64];
static struct json_object *fake_args;    /* copy of the last args sent */
static const char *fake_reply;           /* result JSON, or NULL */
static const char *fake_error;           /* daemon error, or NULL */

int vsctl_transact(struct vsctl_ctx *ctx, const char *cmd,
		   struct json_object *args, struct json_object **result)
{
	fake_calls++;
	snprintf(fake_cmd, sizeof(fake_cmd), "%s", cmd);
	json_object_put(fake_args);
	fake_args = NULL;
	json_object_deep_copy(args, &fake_args, NULL);
	if (fake_error) {
		vsctl_error(ctx, "%s", fake_error);
		return VSCTL_EXIT_ERROR;
	}
	*result = json_tokener_parse(fake_reply ? fake_reply : "{}");
	return 0;
}

int vsctl_connect(struct vsctl_ctx *ctx)
{
	fake_calls++;
	return -1;
}

int vsctl_capture_run(int fd, struct json_object *args, const char *out_path)
{
	return 0;
}

/* One invocation with captured output. */
struct run {
	struct vsctl_ctx ctx;
	char *out, *err;
	size_t outlen, errlen;
	int rc;
	enum vsctl_action action;
};

static void run_argv(struct run *r, int argc, char **argv)
{
	memset(r, 0, sizeof(*r));
	fake_calls = 0;
	vsctl_ctx_init(&r->ctx);
	r->ctx.out = open_memstream(&r->out, &r->outlen);
	r->ctx.err = open_memstream(&r->err, &r->errlen);
	r->action = vsctl_parse(&r->ctx, argc, argv);
	if (r->action == VSCTL_RUN)
		r->rc = r->ctx.cmd->handler(&r->ctx, r->ctx.cmd, r->ctx.args);
	else
		r->rc = r->action == VSCTL_USAGE ? VSCTL_EXIT_USAGE : 0;
	fclose(r->ctx.out);
	fclose(r->ctx.err);
}

#define RUN(r, ...) do { \
	char *argv_[] = { "vsctl", __VA_ARGS__, NULL }; \
	run_argv(r, sizeof(argv_) / sizeof(argv_[0]) - 1, argv_); \
} while (0)

static void run_free(struct run *r)
{
	vsctl_ctx_fini(&r->ctx);
	free(r->out);
	free(r->err);
}

static void assert_args(const char *json)
{
	struct json_object *want = json_tokener_parse(json);

	assert_non_null(want);
	if (!json_object_equal(want, fake_args))
		fail_msg("args %s, want %s", json_object_to_json_string(fake_args), json);
	json_object_put(want);
}

static void test_create_args(void **state)
{
	struct run r;

	fake_reply = "{\"Id\":\"abcdef0123456789\",\"Name\":\"n2\"}";
	fake_error = NULL;
	RUN(&r, "network", "create", "--subnet", "10.10.0.0/24", "--ip-range=10.10.0.128/25",
	    "--aux-address", "r=10.10.0.128", "--aux-address", "s=10.10.0.3",
	    "--no-icc", "--mtu", "9000", "--internal", "--no-dns", "--dns-intercept",
	    "--gateway", "10.10.0.254", "n2");
	assert_int_equal(r.rc, 0);
	assert_string_equal(fake_cmd, "network.create");
	assert_args("{\"subnet\":\"10.10.0.0/24\",\"ip_range\":\"10.10.0.128/25\","
		    "\"aux\":{\"r\":\"10.10.0.128\",\"s\":\"10.10.0.3\"},\"icc\":false,"
		    "\"mtu\":9000,\"internal\":true,\"dns\":false,\"dns_intercept\":true,"
		    "\"gateway\":\"10.10.0.254\",\"name\":\"n2\"}");
	assert_string_equal(r.out, "abcdef0123456789\n");
	run_free(&r);
}

static void test_connect_args(void **state)
{
	struct run r;

	fake_reply = "{}";
	fake_error = NULL;
	RUN(&r, "network", "connect", "--netns", "pid:42", "--alias", "web", "--alias",
	    "www", "--attach", "veth", "--no-port-security", "n1", "c1");
	assert_int_equal(r.rc, 0);
	assert_args("{\"netns\":\"pid:42\",\"aliases\":[\"web\",\"www\"],"
		    "\"attach\":\"veth\",\"port_security\":false,"
		    "\"network\":\"n1\",\"container\":\"c1\"}");
	assert_int_equal(r.outlen, 0);
	run_free(&r);

	RUN(&r, "network", "rm", "a", "b", "c");
	assert_args("{\"names\":[\"a\",\"b\",\"c\"]}");
	run_free(&r);
	RUN(&r, "port", "publish", "c1", "80", "127.0.0.1::53/udp", "8080:80");
	assert_args("{\"container\":\"c1\",\"specs\":[\"80\",\"127.0.0.1::53/udp\",\"8080:80\"]}");
	run_free(&r);
	RUN(&r, "trace", "--from", "c1", "--to", "10.0.0.1:80", "--proto", "tcp");
	assert_args("{\"from\":\"c1\",\"to\":\"10.0.0.1\",\"port\":80,\"proto\":\"tcp\"}");
	run_free(&r);
	/* IPv6: bare, or [ADDR]:PORT */
	RUN(&r, "trace", "--from", "c1", "--to", "fd00::5");
	assert_args("{\"from\":\"c1\",\"to\":\"fd00::5\",\"proto\":\"icmp\"}");
	run_free(&r);
	RUN(&r, "trace", "--from", "c1", "--to", "[fd00::5]:53", "--proto", "udp");
	assert_args("{\"from\":\"c1\",\"to\":\"fd00::5\",\"proto\":\"udp\",\"port\":53}");
	run_free(&r);
	/* dual stack: each --subnet, --gateway, --ip-range to its family's key */
	RUN(&r, "network", "create", "--ipv6", "--subnet", "fd00:1::/64", "--subnet",
	    "10.1.0.0/24", "--gateway", "fd00:1::fe", "--ip-range", "10.1.0.128/25", "n6");
	assert_args("{\"ipv6\":true,\"name\":\"n6\",\"subnet6\":\"fd00:1::/64\","
		    "\"subnet\":\"10.1.0.0/24\",\"gateway6\":\"fd00:1::fe\","
		    "\"ip_range\":\"10.1.0.128/25\"}");
	run_free(&r);
}

/* Every one of these is a usage error: exit 2, nothing sent. */
static void test_usage_errors(void **state)
{
	static const char *const lines[][8] = {
		{ "bogus" },
		{ "network", "bogus" },
		{ "network", "create" },
		{ "network", "create", "a", "b" },
		{ "network", "create", "--mtu", "x", "a" },
		{ "network", "create", "--mtu", "9999999", "a" },
		{ "network", "create", "--mtu" },
		{ "network", "create", "--bogus", "a" },
		{ "network", "create", "--aux-address", "noequals", "a" },
		{ "network", "create", "--subnet", "1.0.0.0/8", "--subnet", "2.0.0.0/8", "a" },
		{ "network", "connect", "--attach", "foo", "n", "c" },
		{ "network", "connect", "n" },
		{ "network", "ls", "extra" },
		{ "--format", "x", "network", "ls" },
		{ "--timeout", "-1", "network", "ls" },
		{ "--bogus", "show" },
		{ "capture", "-w", "f" },
		{ "capture", "--uplink", "--network", "n", "-w", "f" },
		{ "capture", "--uplink" },
		{ "capture", "--uplink", "--stage", "up", "-w", "f" },
		{ "capture", "--uplink", "-c", "0", "-w", "f" },
		{ "trace", "--from", "c" },
		{ "trace", "--from", "c", "--to", "1.2.3.4:80" },
		{ "trace", "--from", "c", "--to", "1.2.3.4:x", "--proto", "tcp" },
		{ "trace", "--from", "c", "--to", "[fd00::5", "--proto", "tcp" },
		{ "trace", "--from", "c", "--to", "[fd00::5]:x", "--proto", "tcp" },
		{ "trace", "--from", "c", "--to", "[fd00::5]:53" },
		{ "network", "create", "--subnet", "fd00::/64", "--subnet", "fd01::/64", "a" },
		{ "port", "publish", "c" },
		{ "port", "publish", "c", "http" },
		{ "port", "publish", "c", "80/sctp" },
		{ "network", "ls", "-q=1" },
		{ NULL },
	};
	size_t i;

	for (i = 0; lines[i][0]; i++) {
		char *argv[10] = { "vsctl" };
		struct run r;
		int n = 1;

		while (n < 9 && lines[i][n - 1])
			argv[n] = (char *)lines[i][n - 1], n++;
		run_argv(&r, n, argv);
		if (r.rc != VSCTL_EXIT_USAGE || fake_calls)
			fail_msg("line %zu (%s %s): rc %d, %d calls", i, argv[1],
				 argv[2] ? argv[2] : "", r.rc, fake_calls);
		assert_non_null(strstr(r.err, "vsctl: usage: "));
		assert_int_equal(r.outlen, 0);
		run_free(&r);
	}
}

/* Every command of the schema that vsctl has is bound to one printer, and
 * vsctl binds nothing else: a row cannot be added to vsctl half-way. */
static void test_every_row_bound(void **state)
{
	size_t i, k, n;

	(void)state;
	for (i = 0; i < ctl_schema_n_rows; i++) {
		const struct ctl_schema *r = ctl_schema_rows[i];

		for (k = 0, n = 0; k < vsctl_n_commands; k++)
			n += vsctl_commands[k].row == r;
		if (n != (r->words ? 1u : 0u))
			fail_msg("%s: bound %zu times", r->words ? r->words : r->cmd, n);
		if (r->words && !vsctl_cmd_find(r)->handler)
			fail_msg("%s: no printer", r->words);
	}
	for (k = 0; k < vsctl_n_commands; k++)
		assert_non_null(vsctl_commands[k].row->words);
}

static void test_help(void **state)
{
	struct run r;
	size_t i;

	RUN(&r, "--help");
	assert_int_equal(r.action, VSCTL_DONE);
	for (i = 0; i < vsctl_n_commands; i++)
		assert_non_null(strstr(r.out, vsctl_commands[i].row->words));
	run_free(&r);

	RUN(&r, "network", "create", "--help");
	assert_int_equal(r.action, VSCTL_DONE);
	assert_non_null(strstr(r.out, "usage: vsctl network create"));
	assert_non_null(strstr(r.out, "--aux-address NAME=IP"));
	assert_int_equal(fake_calls, 0);
	run_free(&r);

	RUN(&r, "help", "network", "create");
	assert_int_equal(r.rc, 0);
	assert_non_null(strstr(r.out, "usage: vsctl network create"));
	run_free(&r);

	RUN(&r, "--man-synopsis");
	for (i = 0; i < vsctl_n_commands; i++) {
		const char *w = vsctl_commands[i].row->words, *sp;
		char roff[96];
		size_t off = 0;

		/* each word bold: "network vtep add" has three */
		for (; (sp = strchr(w, ' ')); w = sp + 1)
			off += (size_t)snprintf(roff + off, sizeof(roff) - off, "\\fB%.*s\\fR ",
						(int)(sp - w), w);
		snprintf(roff + off, sizeof(roff) - off, "\\fB%s\\fR", w);
		assert_non_null(strstr(r.out, roff));
	}
	run_free(&r);
}

static void test_output_tables(void **state)
{
	struct run r;

	fake_error = NULL;
	fake_reply = "[{\"id\":\"0123456789abcdef0123\",\"name\":\"bridge\",\"driver\":\"bridge\","
		     "\"scope\":\"local\"},{\"id\":\"fedcba9876543210\",\"name\":\"n1\","
		     "\"driver\":\"bridge\",\"scope\":\"local\"}]";
	RUN(&r, "network", "ls");
	assert_string_equal(r.out,
		"NETWORK ID     NAME     DRIVER   SCOPE\n"
		"0123456789ab   bridge   bridge   local\n"
		"fedcba987654   n1       bridge   local\n");
	run_free(&r);
	RUN(&r, "network", "ls", "-q");
	assert_string_equal(r.out, "0123456789ab\nfedcba987654\n");
	run_free(&r);

	fake_reply = "[{\"Name\":\"n1\",\"IPAM\":{\"Config\":[{\"Subnet\":\"172.18.0.0/16\"}]},"
		     "\"Containers\":{}}]";
	RUN(&r, "network", "inspect", "n1");
	assert_string_equal(r.out,
		"[\n    {\n        \"Name\": \"n1\",\n        \"IPAM\": {\n"
		"            \"Config\": [\n                {\n"
		"                    \"Subnet\": \"172.18.0.0/16\"\n"
		"                }\n            ]\n        },\n"
		"        \"Containers\": {}\n    }\n]\n");
	run_free(&r);

	fake_reply = "{\"removed\":[\"a\",\"b\"]}";
	RUN(&r, "network", "prune", "-f");
	assert_string_equal(r.out, "a\nb\n");
	run_free(&r);

	fake_reply = "[{\"name\":\"c1\",\"dns_name\":\"web\",\"netns\":\"t1\",\"endpoints\":"
		     "[{\"network\":\"n1\",\"ip\":\"172.18.0.2\",\"owner\":\"cni:n1\"},"
		     "{\"network\":\"n2\",\"ip\":\"10.0.0.2\",\"owner\":\"vsctl\"},"
		     "{\"network\":\"n3\",\"ip\":\"10.0.1.2\",\"owner\":\"cni:n1\"}]},"
		     "{\"name\":\"c2\",\"dns_name\":\"\",\"netns\":\"t2\",\"endpoints\":[]}]";
	RUN(&r, "container", "ls");
	/* each owner once; no DNS name and no endpoint show as - */
	assert_string_equal(r.out, "NAME   DNS-NAME   OWNER          NETNS   NETWORKS\n"
			    "c1     web        cni:n1,vsctl   t1      "
			    "n1=172.18.0.2,n2=10.0.0.2,n3=10.0.1.2\n"
			    "c2     -          -              t2      -\n");
	run_free(&r);

	fake_reply = "{\"packet\":{\"proto\":\"icmp\",\"src\":\"172.18.0.2\","
		     "\"dst\":\"172.18.0.3\",\"from\":\"c1\",\"port\":\"c1:eth0\"},"
		     "\"events\":[{\"stage\":\"ingress\",\"decision\":\"accept\","
		     "\"port\":\"c1:eth0\"},{\"stage\":\"egress\",\"decision\":\"output\","
		     "\"port\":\"c2:eth0\",\"reason\":null},{\"stage\":\"egress\","
		     "\"decision\":\"drop\",\"reason\":\"no_icc\",\"port\":\"c1:eth0\"}],"
		     "\"verdict\":{\"decision\":\"forward\",\"output\":[\"c2:eth0\"],"
		     "\"nat\":null}}";
	RUN(&r, "trace", "--from", "c1", "--to", "172.18.0.3");
	assert_string_equal(r.out, "packet: icmp echo 172.18.0.2 -> 172.18.0.3 from c1 on port c1:eth0\n"
			    "ingress: accepted on port c1:eth0\n"
			    "egress: output to port c2:eth0\n"
			    "egress: drop: no_icc (dry run: not counted on port c1:eth0)\n"
			    "verdict: forward (output to port c2:eth0)\n");
	assert_args("{\"from\":\"c1\",\"to\":\"172.18.0.3\",\"proto\":\"icmp\"}");
	run_free(&r);

	fake_reply = "[{\"text\":\"80/tcp -> 0.0.0.0:8080\",\"proto\":\"tcp\",\"cport\":80,"
		     "\"host_ip\":\"0.0.0.0\",\"host_port\":8080,\"count\":1}]";
	RUN(&r, "--format", "raw", "port", "ls", "c1");
	assert_string_equal(r.out, "[\n    {\n        \"text\": \"80/tcp -> 0.0.0.0:8080\",\n"
			    "        \"proto\": \"tcp\",\n        \"cport\": 80,\n"
			    "        \"host_ip\": \"0.0.0.0\",\n        \"host_port\": 8080,\n"
			    "        \"count\": 1\n    }\n]\n");
	run_free(&r);
	/* Docker's shape: the Engine API's port object, one per line */
	RUN(&r, "--format", "json", "port", "ls", "c1");
	assert_string_equal(r.out, "{\"IP\":\"0.0.0.0\",\"PrivatePort\":80,"
			    "\"PublicPort\":8080,\"Type\":\"tcp\"}\n");
	run_free(&r);
	RUN(&r, "port", "ls", "c1", "--format=table");
	assert_string_equal(r.out, "80/tcp -> 0.0.0.0:8080\n");
	run_free(&r);
}

/* --format json and templates: Docker's keys and values, one row a line. */
static void test_docker_formats(void **state)
{
	struct run r;

	fake_error = NULL;
	fake_reply = "[{\"id\":\"0123456789abcdef0123\",\"name\":\"bridge\",\"driver\":\"vswitch\","
		     "\"scope\":\"local\",\"created\":\"2026-01-02T03:04:05Z\",\"internal\":false,"
		     "\"labels\":{}},{\"id\":\"fedcba9876543210\",\"name\":\"n1\",\"driver\":\"vswitch\","
		     "\"scope\":\"local\",\"created\":\"2026-01-02T03:04:06Z\",\"internal\":true,"
		     "\"labels\":{\"team\":\"a\",\"env\":\"ci\"}}]";
	RUN(&r, "network", "ls", "--format", "json");
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.out,
		"{\"CreatedAt\":\"2026-01-02 03:04:05 +0000 UTC\",\"Driver\":\"vswitch\","
		"\"ID\":\"0123456789ab\",\"IPv4\":\"true\",\"IPv6\":\"false\",\"Internal\":\"false\","
		"\"Labels\":\"\",\"Name\":\"bridge\",\"Scope\":\"local\"}\n"
		"{\"CreatedAt\":\"2026-01-02 03:04:06 +0000 UTC\",\"Driver\":\"vswitch\","
		"\"ID\":\"fedcba987654\",\"IPv4\":\"true\",\"IPv6\":\"false\",\"Internal\":\"true\","
		"\"Labels\":\"team=a,env=ci\",\"Name\":\"n1\",\"Scope\":\"local\"}\n");
	run_free(&r);
	RUN(&r, "network", "ls", "--format", "{{.Name}}\\t{{upper .Internal}} {{json .ID}}");
	assert_string_equal(r.out, "bridge\tFALSE \"0123456789ab\"\nn1\tTRUE \"fedcba987654\"\n");
	run_free(&r);
	RUN(&r, "network", "ls", "--no-trunc", "--format", "table {{.ID}}\t{{.CreatedAt}}");
	assert_string_equal(r.out, "ID                     CREATED AT\n"
			    "0123456789abcdef0123   2026-01-02 03:04:05 +0000 UTC\n"
			    "fedcba9876543210       2026-01-02 03:04:06 +0000 UTC\n");
	run_free(&r);
	/* filters: one key ORs its values, keys AND */
	RUN(&r, "network", "ls", "-q", "-f", "label=team", "-f", "name=n");
	assert_string_equal(r.out, "fedcba987654\n");
	run_free(&r);
	RUN(&r, "network", "ls", "-q", "-f", "type=builtin", "-f", "type=custom",
	    "-f", "label=env=prod");
	assert_string_equal(r.out, "");
	run_free(&r);
	RUN(&r, "network", "ls", "-q", "--filter=type=builtin");
	assert_string_equal(r.out, "0123456789ab\n");
	run_free(&r);
}

/* Strict templates: an unknown field or form is a usage error, unsent. */
static void test_format_refusals(void **state)
{
	static const char *const bad[] = {
		"{{.Nope}}", "{{.Name", "{{printf .Name}}", "{{.}}", "{{ .Name.}}", "plain",
		"{{.Name \"x\"}}",
	};
	struct run r;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		RUN(&r, "network", "ls", "--format", (char *)bad[i]);
		assert_int_equal(r.rc, VSCTL_EXIT_USAGE);
		assert_int_equal(fake_calls, 0);
		assert_non_null(strstr(r.err, "--format"));
		run_free(&r);
	}
	RUN(&r, "network", "ls", "--format", "{{.Nope}}");
	assert_non_null(strstr(r.err, ".Name"));     /* the fields there are */
	run_free(&r);
	RUN(&r, "stats", "--format", "{{.Name}}");
	assert_int_equal(r.rc, VSCTL_EXIT_USAGE);
	run_free(&r);
	RUN(&r, "network", "ls", "--format", "prometheus");
	assert_int_equal(r.rc, VSCTL_EXIT_USAGE);
	run_free(&r);
	RUN(&r, "network", "ls", "-f", "colour=red");
	assert_int_equal(r.rc, VSCTL_EXIT_USAGE);
	assert_int_equal(fake_calls, 0);
	run_free(&r);
	RUN(&r, "network", "create", "--label", "novalue", "n1");
	assert_int_equal(r.rc, VSCTL_EXIT_USAGE);
	run_free(&r);
	RUN(&r, "network", "create", "--label", "a=b", "--label", "c=d", "n1");
	assert_int_equal(r.rc, 0);
	assert_args("{\"labels\":{\"a\":\"b\",\"c\":\"d\"},\"name\":\"n1\"}");
	run_free(&r);
}

static void test_daemon_error(void **state)
{
	struct run r;

	fake_error = "network n1 already exists";
	RUN(&r, "network", "create", "n1");
	assert_int_equal(r.rc, VSCTL_EXIT_ERROR);
	assert_string_equal(r.err, "vsctl: error: network n1 already exists\n");
	assert_int_equal(r.outlen, 0);
	run_free(&r);
	fake_error = NULL;
}

/* Without -f and with nothing on standard input, prune removes nothing. */
static void test_prune_needs_yes(void **state)
{
	struct run r;
	FILE *saved = stdin;

	stdin = fopen("/dev/null", "r");
	RUN(&r, "network", "prune");
	fclose(stdin);
	stdin = saved;
	assert_int_equal(r.rc, 0);
	assert_int_equal(fake_calls, 0);
	assert_non_null(strstr(r.err, "Are you sure you want to continue? [y/N]"));
	run_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_args),
		cmocka_unit_test(test_connect_args),
		cmocka_unit_test(test_usage_errors),
		cmocka_unit_test(test_every_row_bound),
		cmocka_unit_test(test_help),
		cmocka_unit_test(test_output_tables),
		cmocka_unit_test(test_docker_formats),
		cmocka_unit_test(test_format_refusals),
		cmocka_unit_test(test_daemon_error),
		cmocka_unit_test(test_prune_needs_yes),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);

	json_object_put(fake_args);
	return rc;
}
