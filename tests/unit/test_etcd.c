/* test_etcd.c - the etcd gateway's JSON, read and written (etcd_json.c).
 *
 * The replies here are the shapes etcd 3.4's gateway sends (captured from
 * a real etcd-server: base64 keys, int64 as strings, default fields left
 * out), plus the broken ones a fake or a sick etcd could send: each must
 * come out as ETCD_ERR_REPLY or ETCD_ERR_SERVER, never as a half-filled
 * reply.  The watch tests cut a stream at every byte to check that lines
 * are framed whatever the chunking.  And the --cluster URL: endpoints
 * are numeric IP:PORT, anything else refused in one line.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "etcd.h"

static void test_parse_url(void **state)
{
	static const char *const bad[] = {
		"", "etcd://", "http://10.0.0.1:2379", "etcd://10.0.0.1", "etcd://10.0.0.1:",
		"etcd://10.0.0.1:0", "etcd://10.0.0.1:65536", "etcd://10.0.0.1:23x9",
		"etcd://etcd.example:2379", "etcd://localhost:2379", "etcd://10.0.0.256:2379",
		"etcd://:2379", "etcd://10.0.0.1:2379,", "etcd://10.0.0.1:2379,,10.0.0.2:2379",
		"etcd://10.0.0.1:2379,etcd2:2379", "etcd://::1:2379", "etcd://[::1]",
		"etcd://[10.0.0.1]:2379", "etcd://user@10.0.0.1:2379", "etcd://10.0.0.1:2379/x",
		"etcd://1:1,1.1.1.1:1,1.1.1.1:2,1.1.1.1:3,1.1.1.1:4,1.1.1.1:5,1.1.1.1:6,1.1.1.1:7",
		"etcd://1.1.1.1:1,1.1.1.1:2,1.1.1.1:3,1.1.1.1:4,1.1.1.1:5,1.1.1.1:6,1.1.1.1:7,"
		"1.1.1.1:8,1.1.1.1:9",
	};
	char eps[ETCD_MAX_ENDPOINTS][ETCD_EP_LEN], err[256];
	size_t i;

	(void)state;
	assert_int_equal(etcd_parse_url("etcd://10.99.0.1:2379", eps, err, sizeof(err)), 1);
	assert_string_equal(eps[0], "10.99.0.1:2379");
	assert_int_equal(etcd_parse_url("etcd://10.99.0.9:2379,10.99.0.1:2379,[fd00::1]:1", eps,
					err, sizeof(err)), 3);
	assert_string_equal(eps[0], "10.99.0.9:2379");
	assert_string_equal(eps[1], "10.99.0.1:2379");
	assert_string_equal(eps[2], "[fd00::1]:1");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (etcd_parse_url(bad[i], eps, err, sizeof(err)) != -1)
			fail_msg("accepted: %s", bad[i]);
		assert_true(err[0] && !strchr(err, '\n'));	/* one line, the reason */
	}
	/* a name says why it is refused */
	etcd_parse_url("etcd://10.0.0.1:2379,etcd2:2379", eps, err, sizeof(err));
	assert_non_null(strstr(err, "\"etcd2:2379\" is not IP:PORT"));
}

static void test_b64_roundtrip(void **state)
{
	static const char *const in[] = { "", "f", "fo", "foo", "foob", "fooba", "foobar",
					  "/vswitch/v1/networks/n1" };
	static const char *const want[] = { "", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=",
					    "Zm9vYmFy", "L3Zzd2l0Y2gvdjEvbmV0d29ya3MvbjE=" };
	char buf[64], *dec;
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		etcd_b64_encode(in[i], strlen(in[i]), buf, sizeof(buf));
		assert_string_equal(buf, want[i]);
		assert_int_equal(etcd_b64_decode(buf, strlen(buf), &dec, &n), 0);
		assert_int_equal(n, strlen(in[i]));
		assert_memory_equal(dec, in[i], n);
		free(dec);
	}
	/* binary bytes survive, and the output is NUL-terminated */
	assert_int_equal(etcd_b64_decode("AP8A", 4, &dec, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal((unsigned char)dec[1], 0xff);
	free(dec);
	/* too small an output buffer is refused, not overrun */
	assert_int_equal(etcd_b64_encode("foobar", 6, buf, 8), 0);
}

static void test_b64_bad(void **state)
{
	char *dec;
	size_t n;

	(void)state;
	assert_int_equal(etcd_b64_decode("Zm9v!", 5, &dec, &n), -1);
	assert_int_equal(etcd_b64_decode("Z", 1, &dec, &n), -1);
	assert_int_equal(etcd_b64_decode("Zm 9v", 5, &dec, &n), -1);
	assert_int_equal(etcd_b64_decode("Zm\0v", 4, &dec, &n), -1);
}

static void test_prefix_end(void **state)
{
	char out[32];

	(void)state;
	assert_int_equal(etcd_prefix_end("/vswitch/v1/", out, sizeof(out)), 0);
	assert_string_equal(out, "/vswitch/v10");
	assert_int_equal(etcd_prefix_end("", out, sizeof(out)), -1);
	assert_int_equal(etcd_prefix_end("a\xff", out, sizeof(out)), -1);
	assert_int_equal(etcd_prefix_end("0123456789abcdef0123456789abcdef", out, sizeof(out)), -1);
}

static int parse(const char *s, struct etcd_reply *r)
{
	char err[200];

	return etcd_parse_reply(s, strlen(s), r, err, sizeof(err));
}

/* A range reply exactly as etcd 3.4.23 sent it. */
static void test_range_reply(void **state)
{
	struct etcd_reply r;

	(void)state;
	assert_int_equal(parse("{\"header\":{\"cluster_id\":\"14841639068965178418\",\"member_id\":"
			       "\"10276657743932975437\",\"revision\":\"2\",\"raft_term\":\"2\"},"
			       "\"kvs\":[{\"key\":\"Zm9v\",\"create_revision\":\"2\",\"mod_revision\":"
			       "\"2\",\"version\":\"1\",\"value\":\"YmFy\"}],\"count\":\"1\"}\n", &r),
			 ETCD_OK);
	assert_int_equal(r.revision, 2);
	assert_int_equal(r.n_kvs, 1);
	assert_string_equal(r.kvs[0].key, "foo");
	assert_string_equal(r.kvs[0].value, "bar");
	assert_int_equal(r.kvs[0].create_rev, 2);
	assert_int_equal(r.kvs[0].lease, 0);
	etcd_reply_clear(&r);
	/* an empty range: no "kvs" at all */
	assert_int_equal(parse("{\"header\":{\"revision\":\"7\"}}", &r), ETCD_OK);
	assert_int_equal(r.n_kvs, 0);
	assert_int_equal(r.revision, 7);
	etcd_reply_clear(&r);
}

/* A failed txn has no "succeeded"; its failure range is read. */
static void test_txn_reply(void **state)
{
	struct etcd_reply r;

	(void)state;
	assert_int_equal(parse("{\"header\":{\"revision\":\"2\"},\"responses\":[{\"response_range\":"
			       "{\"header\":{\"revision\":\"2\"},\"kvs\":[{\"key\":\"Zm9v\","
			       "\"create_revision\":\"2\",\"mod_revision\":\"2\",\"version\":\"1\","
			       "\"value\":\"YmFy\"}],\"count\":\"1\"}}]}", &r), ETCD_OK);
	assert_false(r.succeeded);
	assert_int_equal(r.n_kvs, 1);
	assert_string_equal(r.kvs[0].value, "bar");
	etcd_reply_clear(&r);
	assert_int_equal(parse("{\"header\":{\"revision\":\"3\"},\"succeeded\":true,\"responses\":"
			       "[{\"response_put\":{\"header\":{\"revision\":\"3\"}}}]}", &r), ETCD_OK);
	assert_true(r.succeeded);
	assert_int_equal(r.n_kvs, 0);
	etcd_reply_clear(&r);
}

static void test_lease_replies(void **state)
{
	struct etcd_reply r;

	(void)state;
	assert_int_equal(parse("{\"header\":{\"revision\":\"1\"},\"ID\":\"7587899366498541061\","
			       "\"TTL\":\"15\"}", &r), ETCD_OK);
	assert_int_equal(r.lease_id, 7587899366498541061LL);
	assert_int_equal(r.ttl, 15);
	etcd_reply_clear(&r);
	/* keepalive: wrapped in "result"; a gone lease has no TTL */
	assert_int_equal(parse("{\"result\":{\"header\":{\"revision\":\"2\"},\"ID\":\"12345\"}}", &r),
			 ETCD_OK);
	assert_int_equal(r.lease_id, 12345);
	assert_int_equal(r.ttl, 0);
	etcd_reply_clear(&r);
	assert_int_equal(parse("{\"header\":{\"revision\":\"3\"},\"deleted\":\"1\"}", &r), ETCD_OK);
	assert_int_equal(r.deleted, 1);
	etcd_reply_clear(&r);
}

/* Everything a broken etcd (or something else on its port) could say. */
static void test_bad_replies(void **state)
{
	static const char *const bad[] = {
		"", "not json", "[1,2]", "\"str\"", "{\"header\":{\"revision\":\"2\"}} trailing",
		"{\"header\":{\"revision\":\"x2\"}}", "{\"header\":{\"revision\":[]}}",
		"{\"header\":5}", "{\"kvs\":{}}", "{\"kvs\":[5]}", "{\"kvs\":[{\"key\":\"!!\"}]}",
		"{\"kvs\":[{\"value\":\"YmFy\"}]}", "{\"kvs\":[{\"key\":\"Zm9v\",\"lease\":true}]}",
		"{\"succeeded\":\"yes\"}", "{\"responses\":[7]}", "{\"TTL\":\"99999999999999999999\"}",
		"{\"result\":[]}", "{\"header\":{\"revision\":\"2\"}", "{\"kvs\":[{\"key\":\"Zm9v\","
		"\"create_revision\":\"1e3\"}]}",
	};
	struct etcd_reply r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(parse(bad[i], &r), ETCD_ERR_REPLY);
		etcd_reply_clear(&r);	/* whatever was read before the fault is freed */
		assert_null(r.kvs);
	}
	/* a NUL inside the body is not the end of it */
	assert_int_equal(etcd_parse_reply("{}\0{}", 5, &r, (char[64]){0}, 64), ETCD_ERR_REPLY);
	etcd_reply_clear(&r);
	/* the gateway's own errors */
	assert_int_equal(parse("{\"error\":\"etcdserver: requested lease not found\",\"code\":5}", &r),
			 ETCD_ERR_SERVER);
	assert_string_equal(r.error, "etcdserver: requested lease not found");
	etcd_reply_clear(&r);
}

static int watch(const char *s, struct etcd_watch_msg *m)
{
	char err[200];

	return etcd_parse_watch(s, strlen(s), m, err, sizeof(err));
}

static void test_watch_messages(void **state)
{
	struct etcd_watch_msg m;

	(void)state;
	assert_int_equal(watch("{\"result\":{\"header\":{\"revision\":\"3\"},\"created\":true}}", &m),
			 ETCD_OK);
	assert_true(m.created);
	assert_int_equal(m.n_events, 0);
	etcd_watch_msg_clear(&m);
	/* PUT has no "type"; DELETE's kv has no value */
	assert_int_equal(watch("{\"result\":{\"header\":{\"revision\":\"4\"},\"events\":["
			       "{\"kv\":{\"key\":\"Zm9v\",\"create_revision\":\"4\",\"mod_revision\":\"4\","
			       "\"version\":\"1\",\"value\":\"YmFy\",\"lease\":\"42\"}},"
			       "{\"type\":\"DELETE\",\"kv\":{\"key\":\"Zm9v\",\"mod_revision\":\"5\"}}]}}",
			       &m), ETCD_OK);
	assert_int_equal(m.n_events, 2);
	assert_int_equal(m.events[0].type, ETCD_EV_PUT);
	assert_string_equal(m.events[0].kv.value, "bar");
	assert_int_equal(m.events[0].kv.lease, 42);
	assert_int_equal(m.events[1].type, ETCD_EV_DELETE);
	assert_string_equal(m.events[1].kv.key, "foo");
	assert_int_equal(m.events[1].kv.value_len, 0);
	assert_int_equal(m.events[1].kv.mod_rev, 5);
	etcd_watch_msg_clear(&m);
	/* compacted: canceled with the compact revision */
	assert_int_equal(watch("{\"result\":{\"header\":{\"raft_term\":\"2\"},\"canceled\":true,"
			       "\"compact_revision\":\"3\"}}", &m), ETCD_OK);
	assert_true(m.canceled);
	assert_int_equal(m.compact_revision, 3);
	etcd_watch_msg_clear(&m);
	assert_int_equal(watch("{\"error\":{\"grpc_code\":14,\"message\":\"unavailable\"}}", &m),
			 ETCD_ERR_SERVER);
	etcd_watch_msg_clear(&m);
	assert_int_equal(watch("{\"result\":{\"events\":[{\"type\":\"MOVE\",\"kv\":{\"key\":\"Zm9v\"}}]}}",
			       &m), ETCD_ERR_REPLY);
	etcd_watch_msg_clear(&m);
	assert_int_equal(watch("{\"result\":{\"events\":[{\"kv\":{}}]}}", &m), ETCD_ERR_REPLY);
	etcd_watch_msg_clear(&m);
	assert_int_equal(watch("{\"result\":{\"created\":\"yes\"}}", &m), ETCD_ERR_REPLY);
	etcd_watch_msg_clear(&m);
	assert_int_equal(watch("{\"header\":{}}", &m), ETCD_ERR_REPLY);
	etcd_watch_msg_clear(&m);
}

struct lines {
	char got[8][128];
	int n;
};

static int collect(void *arg, const char *line, size_t len)
{
	struct lines *l = arg;

	assert_true(l->n < 8 && len < 128);
	memcpy(l->got[l->n], line, len);
	l->got[l->n++][len] = '\0';
	return 0;
}

/* Lines come out whole however the stream is cut, empty lines skipped. */
static void test_frame_every_cut(void **state)
{
	static const char stream[] = "{\"result\":{\"created\":true}}\n\n{\"result\":{}}\n{\"par";
	size_t cut, len = strlen(stream);

	(void)state;
	for (cut = 0; cut <= len; cut++) {
		struct etcd_frame f = { 0 };
		struct lines l = { .n = 0 };

		assert_int_equal(etcd_frame_push(&f, stream, cut, collect, &l), 0);
		assert_int_equal(etcd_frame_push(&f, stream + cut, len - cut, collect, &l), 0);
		assert_int_equal(l.n, 2);
		assert_string_equal(l.got[0], "{\"result\":{\"created\":true}}");
		assert_string_equal(l.got[1], "{\"result\":{}}");
		assert_int_equal(f.len, strlen("{\"par"));
		etcd_frame_free(&f);
	}
}

static int stop_at_first(void *arg, const char *line, size_t len)
{
	(void)arg; (void)line; (void)len;
	return 7;
}

/* A line that never ends is cut at ETCD_MAX_REPLY; a callback can stop. */
static void test_frame_limits(void **state)
{
	struct etcd_frame f = { 0 };
	struct lines l = { .n = 0 };
	static char chunk[1 << 16];
	size_t sent = 0;
	int rc = 0;

	(void)state;
	memset(chunk, 'x', sizeof(chunk));
	while (sent <= ETCD_MAX_REPLY && !rc) {
		rc = etcd_frame_push(&f, chunk, sizeof(chunk), collect, &l);
		sent += sizeof(chunk);
	}
	assert_int_equal(rc, -1);
	assert_true(f.len <= ETCD_MAX_REPLY);
	assert_int_equal(l.n, 0);
	etcd_frame_free(&f);
	assert_int_equal(etcd_frame_push(&f, "a\nb\n", 4, stop_at_first, NULL), 7);
	etcd_frame_free(&f);
}

/* Request bodies: base64 keys, int64 as strings, the txn's shape. */
static void test_txn_body(void **state)
{
	struct json_object *t = etcd_txn_new();
	const char *s;

	(void)state;
	etcd_txn_cmp(t, "/vswitch/v1/vni/4096", ETCD_CMP_CREATE, 0, NULL);
	etcd_txn_put(t, true, "/vswitch/v1/vni/4096", "n1", 7587899366498541061LL);
	etcd_txn_range(t, false, "/vswitch/v1/vni/4096");
	s = json_object_to_json_string_ext(t, JSON_C_TO_STRING_PLAIN);
	assert_non_null(strstr(s, "\"compare\":[{\"target\":\"CREATE\",\"result\":\"EQUAL\","
			       "\"key\":\"L3Zzd2l0Y2gvdjEvdm5pLzQwOTY=\",\"create_revision\":\"0\"}]"));
	assert_non_null(strstr(s, "\"request_put\":{\"key\":\"L3Zzd2l0Y2gvdjEvdm5pLzQwOTY=\","
			       "\"value\":\"bjE=\",\"lease\":\"7587899366498541061\"}"));
	assert_non_null(strstr(s, "\"failure\":[{\"request_range\":{\"key\":"));
	json_object_put(t);
	t = etcd_key_body("/vswitch/v1/", true);
	s = json_object_to_json_string_ext(t, JSON_C_TO_STRING_PLAIN);
	assert_string_equal(s, "{\"key\":\"L3Zzd2l0Y2gvdjEv\",\"range_end\":\"L3Zzd2l0Y2gvdjEw\"}");
	json_object_put(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_url),
		cmocka_unit_test(test_b64_roundtrip),
		cmocka_unit_test(test_b64_bad),
		cmocka_unit_test(test_prefix_end),
		cmocka_unit_test(test_range_reply),
		cmocka_unit_test(test_txn_reply),
		cmocka_unit_test(test_lease_replies),
		cmocka_unit_test(test_bad_replies),
		cmocka_unit_test(test_watch_messages),
		cmocka_unit_test(test_frame_every_cut),
		cmocka_unit_test(test_frame_limits),
		cmocka_unit_test(test_txn_body),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
