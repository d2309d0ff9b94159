/* test_metrics.c - the Prometheus text of a `stats` reply (metrics_prom.c).
 *
 * Fed crafted replies, without a daemon: every family has one HELP and one
 * TYPE line before its samples, labels are escaped as the format asks, a
 * reply missing fields gives missing samples rather than a crash.
 * (test_metrics.py runs Debian's promtool on a live switch's output.)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <json-c/json.h>
#include "metrics.h"

static char *render(const char *json)
{
	struct json_object *o = json_tokener_parse(json);
	size_t len;
	char *s;

	assert_true(o != NULL || !strcmp(json, "null"));
	s = metrics_prom_text(o, &len);
	json_object_put(o);
	assert_non_null(s);
	assert_int_equal(strlen(s), len);
	return s;
}

static void test_ports_and_escaping(void **state)
{
	char *s = render("{\"ports\":[{\"name\":\"c\\\"1:eth0\",\"network\":\"n\\\\1\","
			 "\"container\":\"a\\nb\",\"rx_packets\":3,\"rx_bytes\":300,"
			 "\"tx_packets\":2,\"tx_bytes\":200,\"drops\":{\"spoofed_ip\":4}}],"
			 "\"fdb\":{\"n1\":2},\"conntrack\":{\"limit\":16,\"by_state\":"
			 "{\"tcp\":{\"ESTABLISHED\":1}}},\"nat\":{\"ports_in_use\":{\"tcp\":1}},"
			 "\"dns\":{\"queries\":5},\"capture\":{\"sessions\":1},"
			 "\"proxy\":{\"tcp_conns\":2,\"udp_refused_source_cap\":7}}");

	assert_non_null(strstr(s, "# HELP vswitch_port_rx_packets_total "));
	assert_non_null(strstr(s, "# TYPE vswitch_port_rx_packets_total counter\n"));
	assert_non_null(strstr(s, "vswitch_port_rx_packets_total{network=\"n\\\\1\","
			       "container=\"a\\nb\",port=\"c\\\"1:eth0\"} 3\n"));
	assert_non_null(strstr(s, "vswitch_port_drops_total{network=\"n\\\\1\","
			       "container=\"a\\nb\",port=\"c\\\"1:eth0\",reason=\"spoofed_ip\"} 4\n"));
	assert_non_null(strstr(s, "vswitch_fdb_entries{network=\"n1\"} 2\n"));
	assert_non_null(strstr(s, "vswitch_conntrack_entries{proto=\"tcp\","
			       "state=\"ESTABLISHED\"} 1\n"));
	assert_non_null(strstr(s, "vswitch_conntrack_limit 16\n"));
	assert_non_null(strstr(s, "vswitch_nat_ports_in_use{proto=\"tcp\"} 1\n"));
	assert_non_null(strstr(s, "vswitch_dns_queries_total 5\n"));
	assert_non_null(strstr(s, "vswitch_dns_failures_total 0\n"));
	assert_non_null(strstr(s, "vswitch_capture_sessions 1\n"));
	assert_non_null(strstr(s, "vswitch_proxy_tcp_connections 2\n"));
	assert_non_null(strstr(s, "vswitch_proxy_refused_total{proto=\"udp\","
			       "reason=\"source_cap\"} 7\n"));
	free(s);
}

/* One HELP per family, and no sample of a family before its TYPE. */
static void test_one_header_per_family(void **state)
{
	char *s = render("{\"ports\":[{\"name\":\"a\"},{\"name\":\"b\"}],\"dns\":{}}"), *line;
	char *save = NULL;
	char seen[64][80];
	int n = 0, i;

	for (line = strtok_r(s, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char name[80];

		if (!strncmp(line, "# HELP ", 7)) {
			sscanf(line + 7, "%79s", name);
			for (i = 0; i < n; i++)
				assert_string_not_equal(seen[i], name);
			assert_true(n < 64);
			snprintf(seen[n++], sizeof(seen[0]), "%s", name);
		} else if (line[0] != '#') {
			sscanf(line, "%79[a-z_]", name);
			assert_true(n > 0);
			assert_string_equal(seen[n - 1], name);
		}
	}
	free(s);
}

/* Missing or mistyped fields: fewer samples, never a crash. */
static void test_bad_replies(void **state)
{
	static const char *const bad[] = {
		"{}", "[]", "null", "{\"ports\":7}", "{\"ports\":[1,\"x\",null]}",
		"{\"conntrack\":{\"by_state\":{\"tcp\":3}}}", "{\"fdb\":[1]}",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		free(render(bad[i]));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ports_and_escaping),
		cmocka_unit_test(test_one_header_per_family),
		cmocka_unit_test(test_bad_replies),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
