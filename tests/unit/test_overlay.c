/* test_overlay.c - the remote-endpoint and member tables of overlay
 * networks (overlay.c): set, replace, delete, the IP index, learning
 * that never overrides the store, aging oldest first, the learned cap,
 * members and the VNI index; every refusal with its errno. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "dp.h"
#include "overlay.h"
#include <arpa/inet.h>

static struct network *mknet(const char *name)
{
	struct network *n = calloc(1, sizeof(*n));

	snprintf(n->name, sizeof(n->name), "%s", name);
	n->driver = NET_DRIVER_OVERLAY;
	LIST_INIT(&n->endpoints);
	return n;
}

static void freenet(struct network *n)
{
	overlay_free(n);
	free(n);
}

static struct overlay_vtep vtep(const char *s)
{
	struct overlay_vtep v;
	char err[128];

	assert_int_equal(overlay_vtep_parse(s, VXLAN_PORT_DEFAULT, &v, err, sizeof(err)), 0);
	return v;
}

static union vs_addr ip(const char *s)
{
	union vs_addr a;

	assert_int_equal(vs_addr_parse(s, &a), 0);
	return a;
}

static const uint8_t mac1[6] = { 0x02, 0x42, 10, 0, 0, 2 };
static const uint8_t mac2[6] = { 0x02, 0x42, 10, 0, 0, 3 };

static void test_new_refuses(void **state)
{
	struct network *n = mknet("o1");

	(void)state;
	assert_int_equal(overlay_new(n, 0), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(overlay_new(n, OVERLAY_VNI_MAX + 1), -1);
	n->driver = NET_DRIVER_BRIDGE;
	assert_int_equal(overlay_new(n, 5), -1);
	assert_null(overlay_lookup_mac(n, mac1));
	n->driver = NET_DRIVER_OVERLAY;
	assert_int_equal(overlay_new(n, 5), 0);
	assert_int_equal(n->vni, 5);
	assert_int_equal(overlay_new(n, 6), -1);	/* has its tables */
	freenet(n);
}

static void test_remote_set_lookup_del(void **state)
{
	struct network *n = mknet("o1");
	struct overlay_vtep v1 = vtep("10.99.0.11"), v2 = vtep("10.99.0.12:8472");
	union vs_addr a = ip("10.0.0.2");
	struct overlay_remote *r;

	(void)state;
	assert_int_equal(overlay_new(n, 42), 0);
	assert_int_equal(overlay_remote_set(n, mac1, &a, &v1, "c1", "h1"), 0);
	r = overlay_lookup_mac(n, mac1);
	assert_non_null(r);
	assert_true(vs_addr_eq(&r->vtep.addr, &v1.addr));
	assert_int_equal(r->vtep.port, 4789);
	assert_string_equal(r->name, "c1");
	assert_string_equal(r->host, "h1");
	assert_int_equal(r->origin, OVERLAY_ORIGIN_CLUSTER);
	assert_ptr_equal(overlay_lookup_ip(n, &a), r);
	/* the endpoint moves to another host: same entry, new VTEP */
	assert_int_equal(overlay_remote_set(n, mac1, &a, &v2, "c1", "h2"), 0);
	assert_ptr_equal(overlay_lookup_mac(n, mac1), r);
	assert_int_equal(r->vtep.port, 8472);
	assert_int_equal(n->overlay->n_remotes, 1);
	/* a second MAC claims the address: the IP index follows it */
	assert_int_equal(overlay_remote_set(n, mac2, &a, &v1, "c2", "h1"), 0);
	assert_memory_equal(overlay_lookup_ip(n, &a)->mac, mac2, 6);
	assert_int_equal(overlay_remote_del(n, mac2), 0);
	assert_null(overlay_lookup_ip(n, &a));
	assert_non_null(overlay_lookup_mac(n, mac1));
	assert_int_equal(overlay_remote_del(n, mac2), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(overlay_remote_del(n, mac1), 0);
	assert_int_equal(n->overlay->n_remotes, 0);
	freenet(n);
}

static void test_remote_bad_input(void **state)
{
	struct network *n = mknet("o1");
	struct overlay_vtep v = vtep("10.99.0.11");
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	static const uint8_t zero[6];

	(void)state;
	assert_int_equal(overlay_new(n, 42), 0);
	assert_int_equal(overlay_remote_set(n, bcast, NULL, &v, NULL, NULL), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(overlay_remote_set(n, zero, NULL, &v, NULL, NULL), -1);
	assert_int_equal(overlay_remote_set(n, mac1, NULL, NULL, NULL, NULL), -1);
	assert_int_equal(overlay_learn(n, bcast, &v, 1.0), -1);
	assert_int_equal(n->overlay->n_remotes, 0);
	freenet(n);
}

static void test_vtep_parse(void **state)
{
	struct overlay_vtep v;
	char err[128];

	(void)state;
	assert_int_equal(overlay_vtep_parse("10.1.2.3:8472", 4789, &v, err, sizeof(err)), 0);
	assert_int_equal(v.port, 8472);
	assert_int_equal(overlay_vtep_parse("10.1.2.3", 4789, &v, err, sizeof(err)), 0);
	assert_int_equal(v.port, 4789);
	assert_int_equal(overlay_vtep_parse("10.1.2.3:0", 4789, &v, err, sizeof(err)), -1);
	assert_int_equal(overlay_vtep_parse("10.1.2.3:70000", 4789, &v, err, sizeof(err)), -1);
	assert_int_equal(overlay_vtep_parse("10.1.2.3:", 4789, &v, err, sizeof(err)), -1);
	assert_int_equal(overlay_vtep_parse("0.0.0.0", 4789, &v, err, sizeof(err)), -1);
	assert_int_equal(overlay_vtep_parse("239.1.1.1", 4789, &v, err, sizeof(err)), -1);
	assert_int_equal(overlay_vtep_parse("host", 4789, &v, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "bad VTEP address"));
	assert_int_equal(overlay_vtep_parse(NULL, 4789, &v, err, sizeof(err)), -1);
}

static void test_learn_never_overrides_store(void **state)
{
	struct network *n = mknet("o1");
	struct overlay_vtep v1 = vtep("10.99.0.11"), kx = vtep("10.99.0.20");
	union vs_addr a = ip("10.0.0.2");
	struct overlay_remote *r;

	(void)state;
	assert_int_equal(overlay_new(n, 42), 0);
	assert_int_equal(overlay_remote_set(n, mac1, &a, &v1, "c1", "h1"), 0);
	/* the same VTEP says it again: fine, nothing changes */
	assert_int_equal(overlay_learn(n, mac1, &v1, 5.0), 0);
	/* another VTEP claims the store's MAC: refused, entry unchanged */
	assert_int_equal(overlay_learn(n, mac1, &kx, 5.0), -1);
	assert_int_equal(errno, EEXIST);
	r = overlay_lookup_mac(n, mac1);
	assert_true(vs_addr_eq(&r->vtep.addr, &v1.addr));
	assert_int_equal(r->origin, OVERLAY_ORIGIN_CLUSTER);
	/* a learned entry is taken over by the store */
	assert_int_equal(overlay_learn(n, mac2, &kx, 5.0), 0);
	assert_int_equal(n->overlay->n_learned, 1);
	assert_int_equal(overlay_remote_set(n, mac2, NULL, &v1, "c2", "h1"), 0);
	assert_int_equal(n->overlay->n_learned, 0);
	assert_int_equal(overlay_lookup_mac(n, mac2)->origin, OVERLAY_ORIGIN_CLUSTER);
	assert_int_equal(overlay_expire(n, 1000.0, 300), 0);	/* store entries never age */
	assert_int_equal(n->overlay->n_remotes, 2);
	freenet(n);
}

static void test_learn_age_and_cap(void **state)
{
	struct network *n = mknet("o1");
	struct overlay_vtep kx = vtep("10.99.0.20"), ky = vtep("10.99.0.21");
	uint8_t m[6] = { 0x02, 0x42, 10, 0, 1, 0 };
	unsigned int i;

	(void)state;
	assert_int_equal(overlay_new(n, 42), 0);
	overlay_set_max_learned(4);
	for (i = 0; i < 4; i++) {
		m[5] = (uint8_t)i;
		assert_int_equal(overlay_learn(n, m, &kx, 10.0 + i), 0);
	}
	/* refresh the oldest (0) and move it to ky: it is young again */
	m[5] = 0;
	assert_int_equal(overlay_learn(n, m, &ky, 20.0), 0);
	assert_true(vs_addr_eq(&overlay_lookup_mac(n, m)->vtep.addr, &ky.addr));
	/* a fifth evicts the oldest, now 1 */
	m[5] = 4;
	assert_int_equal(overlay_learn(n, m, &kx, 21.0), 0);
	assert_int_equal(n->overlay->n_learned, 4);
	m[5] = 1;
	assert_null(overlay_lookup_mac(n, m));
	/* at 313 (aging 300): 2 (12) and 3 (13) go; 0 (20), 4 (21) stay */
	assert_int_equal(overlay_expire(n, 313.0, 300), 2);
	m[5] = 0;
	assert_non_null(overlay_lookup_mac(n, m));
	m[5] = 4;
	assert_non_null(overlay_lookup_mac(n, m));
	assert_int_equal(overlay_expire(n, 1000.0, 300), 2);
	assert_int_equal(n->overlay->n_remotes, 0);
	overlay_set_max_learned(1024);
	freenet(n);
}

static void test_flush_host(void **state)
{
	struct network *n = mknet("o1");
	struct overlay_vtep v1 = vtep("10.99.0.11"), v2 = vtep("10.99.0.12");

	(void)state;
	assert_int_equal(overlay_new(n, 42), 0);
	assert_int_equal(overlay_remote_set(n, mac1, NULL, &v1, "c1", "h1"), 0);
	assert_int_equal(overlay_remote_set(n, mac2, NULL, &v2, "c2", "h2"), 0);
	assert_int_equal(overlay_remote_flush_host(n, "h1"), 1);
	assert_null(overlay_lookup_mac(n, mac1));
	assert_non_null(overlay_lookup_mac(n, mac2));
	freenet(n);
}

static void test_members(void **state)
{
	struct network *n = mknet("o1");
	struct overlay_vtep v1 = vtep("10.99.0.11"), v1b = vtep("10.99.0.11:8472");
	struct overlay_member *m, *tmp;
	union vs_addr other = ip("10.99.0.99");
	unsigned int count = 0;

	(void)state;
	assert_int_equal(overlay_new(n, 42), 0);
	assert_int_equal(overlay_member_add(n, &v1, OVERLAY_ORIGIN_CLUSTER, "h1"), 0);
	/* keyed by address: the same address updates, with its new port */
	assert_int_equal(overlay_member_add(n, &v1b, OVERLAY_ORIGIN_STATIC, NULL), 0);
	assert_int_equal(n->overlay->n_members, 1);
	m = overlay_member_find(n, &v1.addr);
	assert_non_null(m);
	assert_int_equal(m->vtep.port, 8472);
	assert_int_equal(m->origin, OVERLAY_ORIGIN_STATIC);
	assert_null(overlay_member_find(n, &other));
	assert_int_equal(overlay_member_add(n, &v1, OVERLAY_ORIGIN_LEARNED, NULL), -1);
	assert_int_equal(errno, EINVAL);
	OVERLAY_FOREACH_MEMBER(n->overlay, m, tmp)
		count++;
	assert_int_equal(count, 1);
	assert_int_equal(overlay_member_del(n, &other), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(overlay_member_del(n, &v1.addr), 0);
	assert_int_equal(n->overlay->n_members, 0);
	freenet(n);
}

static void test_member_cap(void **state)
{
	struct network *n = mknet("o1");
	struct overlay_vtep v;
	unsigned int i;

	(void)state;
	assert_int_equal(overlay_new(n, 42), 0);
	memset(&v, 0, sizeof(v));
	for (i = 0; i < OVERLAY_MAX_MEMBERS; i++) {
		vs_addr_set_v4(&v.addr, htonl(0x0a630000u + i + 1));
		assert_int_equal(overlay_member_add(n, &v, OVERLAY_ORIGIN_STATIC, NULL), 0);
	}
	vs_addr_set_v4(&v.addr, htonl(0x0a640001u));
	assert_int_equal(overlay_member_add(n, &v, OVERLAY_ORIGIN_STATIC, NULL), -1);
	assert_int_equal(errno, ENOSPC);
	freenet(n);
}

static void test_vni_index(void **state)
{
	struct network *a = mknet("oa"), *b = mknet("ob"), *c = mknet("oc");
	struct dp dp;

	(void)state;
	memset(&dp, 0, sizeof(dp));
	assert_int_equal(overlay_new(a, 100), 0);
	assert_int_equal(overlay_new(b, 200), 0);
	assert_int_equal(overlay_new(c, 100), 0);
	assert_int_equal(overlay_attach(&dp, a), 0);
	assert_int_equal(overlay_attach(&dp, b), 0);
	assert_int_equal(overlay_attach(&dp, c), -1);
	assert_int_equal(errno, EEXIST);
	assert_ptr_equal(overlay_by_vni(&dp, 100), a);
	assert_ptr_equal(overlay_by_vni(&dp, 200), b);
	assert_null(overlay_by_vni(&dp, 300));
	freenet(a);	/* detaches */
	assert_null(overlay_by_vni(&dp, 100));
	assert_int_equal(overlay_attach(&dp, c), 0);
	assert_ptr_equal(overlay_by_vni(&dp, 100), c);
	freenet(b);
	freenet(c);
	assert_null(dp.overlays);
}

static void test_gw_mac(void **state)
{
	uint8_t m[6];
	static const uint8_t want[6] = { 0x06, 0x56, 0x58, 0x01, 0x02, 0x03 };

	(void)state;
	overlay_gw_mac(0x010203, m);
	assert_memory_equal(m, want, 6);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_refuses),
		cmocka_unit_test(test_remote_set_lookup_del),
		cmocka_unit_test(test_remote_bad_input),
		cmocka_unit_test(test_vtep_parse),
		cmocka_unit_test(test_learn_never_overrides_store),
		cmocka_unit_test(test_learn_age_and_cap),
		cmocka_unit_test(test_flush_host),
		cmocka_unit_test(test_members),
		cmocka_unit_test(test_member_cap),
		cmocka_unit_test(test_vni_index),
		cmocka_unit_test(test_gw_mac),
	};

	hash_set_basis(0x5eed);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
