/* test_cni.c - the CNI plugin's pure parts: configuration, runtime
 * arguments, result shapes.
 *
 * cni_conf.c and cni_result.c know nothing of sockets, so they are fed
 * JSON and environments directly; what each bad input must be answered
 * with (the CNI error code) is checked here case by case, and the whole
 * plugin against a running vswitchd in tests/system/test_cni.py.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "cni.h"

static const struct cni_env env0 = { .command = "ADD", .containerid = "ctr1",
				     .netns = "/run/netns/x", .ifname = "eth0" };

/* Load INPUT; the error code (0 on success).  C is freed by the caller. */
static int load(struct cni_conf *c, const char *input)
{
	struct cni_error e = { 0 };

	if (cni_conf_load(c, input, &env0, &e) == 0)
		return 0;
	assert_true(e.code > 0 && e.msg[0] && !strchr(e.msg, '\n'));
	return e.code;
}

/* Load INPUT and read the runtime's arguments with CNI_ARGS ARGS. */
static int runtime(struct cni_conf *c, const char *input, const char *args)
{
	struct cni_env env = env0;
	struct cni_error e = { 0 };
	int rc = load(c, input);

	if (rc)
		return rc;
	env.args = args;
	if (cni_conf_runtime(c, &env, &e) == 0)
		return 0;
	assert_true(e.code > 0 && e.msg[0]);
	return e.code;
}

static void test_versions(void **state)
{
	(void)state;
	assert_int_equal(cni_version_parse("1.0.0"), CNI_VER(1, 0, 0));
	assert_int_equal(cni_version_parse("0.3.1"), CNI_VER(0, 3, 1));
	assert_int_equal(cni_version_parse("1.0"), -1);
	assert_int_equal(cni_version_parse("1.0.0x"), -1);
	assert_int_equal(cni_version_parse(""), -1);
	assert_true(cni_version_supported(CNI_VER(1, 1, 0)));
	assert_false(cni_version_supported(CNI_VER(0, 2, 0)));
	assert_false(cni_version_supported(CNI_VER(2, 0, 0)));
}

static void test_conf_codes(void **state)
{
	static const struct { const char *in; int code; } cases[] = {
		{ "{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"type\":\"vswitch\"}", 0 },
		{ "{\"cniVersion\":\"1.0.0\",\"name\":", 6 },
		{ "[]", 6 },
		{ "{} {}", 6 },
		{ "", 6 },
		{ "{\"name\":\"n\",\"type\":\"vswitch\"}", 7 },
		{ "{\"cniVersion\":\"0.2.0\",\"name\":\"n\",\"type\":\"vswitch\"}", 1 },
		{ "{\"cniVersion\":1,\"name\":\"n\",\"type\":\"vswitch\"}", 7 },
		{ "{\"cniVersion\":\"1.0.0\",\"type\":\"vswitch\"}", 7 },
		{ "{\"cniVersion\":\"1.0.0\",\"name\":\"a/b\",\"type\":\"vswitch\"}", 7 },
		{ "{\"cniVersion\":\"1.0.0\",\"name\":\"n\"}", 7 },
		{ "{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"type\":\"v\",\"attach\":\"x\"}", 7 },
		{ "{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"type\":\"v\",\"prevResult\":3}", 7 },
		{ "{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"type\":\"v\",\"nameFromContainerID\":1}", 7 },
		{ "{\"cniVersion\":\"1.1.0\",\"name\":\"n\",\"type\":\"v\","
		  "\"cni.dev/valid-attachments\":{}}", 7 },
	};
	struct cni_conf c;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int code = load(&c, cases[i].in);

		if (code != cases[i].code)
			fail_msg("case %zu (%s): code %d, expected %d", i, cases[i].in, code,
				 cases[i].code);
		cni_conf_free(&c);
	}
}

static void test_conf_defaults(void **state)
{
	struct cni_conf c;

	(void)state;
	setenv("VSWITCH_SOCKET", "/tmp/x.sock", 1);
	assert_int_equal(load(&c, "{\"cniVersion\":\"0.4.0\",\"name\":\"web\",\"type\":\"vswitch\"}"), 0);
	assert_string_equal(c.network, "web");
	assert_string_equal(c.owner, "cni:web");
	assert_string_equal(c.socket, "/tmp/x.sock");
	assert_int_equal(c.ver, CNI_VER(0, 4, 0));
	cni_conf_free(&c);
	unsetenv("VSWITCH_SOCKET");
	assert_int_equal(load(&c, "{\"cniVersion\":\"1.0.0\",\"name\":\"web\",\"type\":\"vswitch\","
			      "\"network\":\"n2\",\"socket\":\"/s\"}"), 0);
	assert_string_equal(c.network, "n2");
	assert_string_equal(c.socket, "/s");
	cni_conf_free(&c);
}

#define CONF(rc) "{\"cniVersion\":\"1.0.0\",\"name\":\"web\",\"type\":\"vswitch\"" rc "}"

static void test_runtime_args(void **state)
{
	struct cni_conf c;

	(void)state;
	/* CNI_ARGS alone: IP, MAC, the pod name */
	assert_int_equal(runtime(&c, CONF(""), "IgnoreUnknown=1;IP=10.0.0.5;MAC=02:00:00:00:00:01;"
				 "K8S_POD_NAME=db;K8S_POD_NAMESPACE=x;OTHER=1"), 0);
	assert_string_equal(c.ip, "10.0.0.5");
	assert_string_equal(c.mac, "02:00:00:00:00:01");
	assert_string_equal(c.dns_name, "db");
	cni_conf_free(&c);
	/* runtimeConfig wins over CNI_ARGS; podman's alias map by our name */
	assert_int_equal(runtime(&c, CONF(",\"runtimeConfig\":{\"ips\":[\"10.0.0.9/24\"],"
				      "\"aliases\":{\"web\":[\"a\",\"b\"],\"other\":[\"c\"]}}"),
				 "IP=10.0.0.5"), 0);
	assert_string_equal(c.ip, "10.0.0.9");
	assert_int_equal(c.n_aliases, 2);
	assert_string_equal(c.aliases[1], "b");
	cni_conf_free(&c);
	/* a pod name that is no DNS name: none, and no error */
	assert_int_equal(runtime(&c, CONF(""), "K8S_POD_NAME=-bad"), 0);
	assert_string_equal(c.dns_name, "");
	cni_conf_free(&c);
	/* args.cni.ips, and the aliases list form */
	assert_int_equal(runtime(&c, CONF(",\"args\":{\"cni\":{\"ips\":[\"10.0.0.7\"]}},"
				      "\"runtimeConfig\":{\"aliases\":[\"x\"]}"), NULL), 0);
	assert_string_equal(c.ip, "10.0.0.7");
	assert_int_equal(c.n_aliases, 1);
	cni_conf_free(&c);
}

static void test_runtime_refusals(void **state)
{
	static const struct { const char *rc, *args; int code; } cases[] = {
		{ "", "FOO=1", 4 },
		{ "", "IgnoreUnknown=0;FOO=1", 4 },
		{ "", "justtext", 4 },
		{ "", "=1", 4 },
		{ "", "IP=10.0.0.300", 7 },
		{ "", "IP=fd00::1", 2 },
		{ ",\"runtimeConfig\":[]", NULL, 7 },
		{ ",\"runtimeConfig\":{\"ips\":\"10.0.0.1\"}", NULL, 7 },
		{ ",\"runtimeConfig\":{\"ips\":[\"10.0.0.1\",\"10.0.0.2\"]}", NULL, 2 },
		{ ",\"runtimeConfig\":{\"ips\":[5]}", NULL, 7 },
		{ ",\"runtimeConfig\":{\"mac\":\"02:00\"}", NULL, 7 },
		{ ",\"runtimeConfig\":{\"aliases\":\"a\"}", NULL, 7 },
		{ ",\"runtimeConfig\":{\"aliases\":[1]}", NULL, 7 },
		{ ",\"runtimeConfig\":{\"portMappings\":{}}", NULL, 7 },
		{ ",\"runtimeConfig\":{\"portMappings\":[{\"hostPort\":80}]}", NULL, 7 },
		{ ",\"runtimeConfig\":{\"portMappings\":[{\"hostPort\":70000,\"containerPort\":80}]}",
		  NULL, 7 },
		{ ",\"runtimeConfig\":{\"portMappings\":[{\"hostPort\":\"80\",\"containerPort\":80}]}",
		  NULL, 7 },
		{ ",\"runtimeConfig\":{\"portMappings\":[{\"hostPort\":80,\"containerPort\":80,"
		  "\"protocol\":\"sctp\"}]}", NULL, 2 },
		{ ",\"runtimeConfig\":{\"portMappings\":[{\"hostPort\":80,\"containerPort\":80,"
		  "\"hostIP\":\"::1\"}]}", NULL, 2 },
	};
	char in[512];
	struct cni_conf c;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int code;

		snprintf(in, sizeof(in), CONF("%s"), cases[i].rc);
		code = runtime(&c, in, cases[i].args);
		if (code != cases[i].code)
			fail_msg("case %zu (%s, %s): code %d, expected %d", i, cases[i].rc,
				 cases[i].args ? cases[i].args : "-", code, cases[i].code);
		cni_conf_free(&c);
	}
}

static void test_portmaps(void **state)
{
	struct cni_conf c;

	(void)state;
	assert_int_equal(runtime(&c, CONF(",\"runtimeConfig\":{\"portMappings\":["
		"{\"hostPort\":8080,\"containerPort\":80},"
		"{\"hostPort\":5353,\"containerPort\":53,\"protocol\":\"UDP\",\"hostIP\":\"127.0.0.1\"}]}"),
		NULL), 0);
	assert_int_equal(c.n_ports, 2);
	assert_string_equal(c.ports[0].proto, "tcp");
	assert_string_equal(c.ports[0].host_ip, "");
	assert_string_equal(c.ports[1].proto, "udp");
	assert_string_equal(c.ports[1].host_ip, "127.0.0.1");
	assert_int_equal(c.ports[1].container_port, 53);
	cni_conf_free(&c);
}

/* The result of endpoint EP under configuration IN, as a string. */
static char *result_of(const char *in, const char *ep_json)
{
	struct json_object *ep = json_tokener_parse(ep_json), *r;
	struct cni_conf c;
	char *s;

	assert_int_equal(load(&c, in), 0);
	r = cni_result_build(&c, &env0, ep);
	s = strdup(json_object_to_json_string_ext(r, JSON_C_TO_STRING_PLAIN |
						     JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(r);
	json_object_put(ep);
	cni_conf_free(&c);
	return s;
}

static void test_result_shapes(void **state)
{
	const char *ep = "{\"ip\":\"10.0.0.2\",\"prefix\":24,\"gateway\":\"10.0.0.1\",\"mtu\":1400,"
			 "\"mac\":\"02:42:0a:00:00:02\",\"default_route\":true,\"dns\":true}";
	const char *ep2 = "{\"ip\":\"10.1.0.2\",\"prefix\":16,\"gateway\":\"10.1.0.1\",\"mtu\":1500,"
			  "\"mac\":\"02:42:0a:01:00:02\",\"default_route\":false,\"dns\":false}";
	char *s;

	(void)state;
	s = result_of("{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"type\":\"v\"}", ep);
	assert_string_equal(s, "{\"cniVersion\":\"1.0.0\",\"interfaces\":[{\"name\":\"eth0\","
		"\"mac\":\"02:42:0a:00:00:02\",\"sandbox\":\"/run/netns/x\"}],\"ips\":[{\"address\":"
		"\"10.0.0.2/24\",\"gateway\":\"10.0.0.1\",\"interface\":0}],\"routes\":[{\"dst\":"
		"\"0.0.0.0/0\",\"gw\":\"10.0.0.1\"}],\"dns\":{\"nameservers\":[\"10.0.0.1\"]}}");
	free(s);
	s = result_of("{\"cniVersion\":\"0.4.0\",\"name\":\"n\",\"type\":\"v\"}", ep2);
	assert_string_equal(s, "{\"cniVersion\":\"0.4.0\",\"interfaces\":[{\"name\":\"eth0\","
		"\"mac\":\"02:42:0a:01:00:02\",\"sandbox\":\"/run/netns/x\"}],\"ips\":[{\"version\":"
		"\"4\",\"address\":\"10.1.0.2/16\",\"gateway\":\"10.1.0.1\",\"interface\":0}],"
		"\"routes\":[]}");
	free(s);
	/* 1.1.0: the interface's MTU; chained: appended after prevResult's */
	s = result_of("{\"cniVersion\":\"1.1.0\",\"name\":\"n\",\"type\":\"v\",\"prevResult\":"
		      "{\"interfaces\":[{\"name\":\"lo\"}],\"ips\":[],\"dns\":{\"search\":[\"x\"]}}}", ep);
	assert_non_null(strstr(s, "{\"name\":\"eth0\",\"mac\":\"02:42:0a:00:00:02\",\"mtu\":1400,"));
	assert_non_null(strstr(s, "\"interface\":1}"));
	assert_non_null(strstr(s, "\"dns\":{\"search\":[\"x\"],\"nameservers\":[\"10.0.0.1\"]}"));
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_versions),
		cmocka_unit_test(test_conf_codes),
		cmocka_unit_test(test_conf_defaults),
		cmocka_unit_test(test_runtime_args),
		cmocka_unit_test(test_runtime_refusals),
		cmocka_unit_test(test_portmaps),
		cmocka_unit_test(test_result_shapes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
