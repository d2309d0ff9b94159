/* test_neigh.c - the uplink's neighbour cache (neigh.c, audit finding 6
 * and item 21's ARP poisoning): the gateway cannot be evicted, a live
 * neighbour is never given up for an unresolved one, waiting frames
 * expire and are shared fairly between input ports and next hops, and
 * only what the switch asked for is learned; the same for the IPv6 table
 * (the uplink's neighbour discovery through uplink6.c is in
 * test_router_port.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include "hash.h"
#include "neigh.h"

static struct neigh_table t;
static const uint8_t gw_mac[6] = { 2, 0, 0, 0, 0, 0xfe }, bad_mac[6] = { 2, 0xba, 0xd, 0, 0, 1 };
static const struct virtio_net_hdr novnet;
static uint8_t frame[64];

static union vs_addr ip(uint32_t host)
{
	union vs_addr a;

	vs_addr_set_v4(&a, htonl(0xc6336400u | host));	/* 198.51.100.x */
	return a;
}

static int setup(void **state)
{
	union vs_addr gw = ip(254);

	(void)state;
	hash_set_basis(0x5eed);
	neigh_init(&t, &gw);
	return 0;
}

static union vs_addr ipx(uint32_t x)
{
	union vs_addr a;

	vs_addr_set_v4(&a, htonl(0xc6330000u | x));
	return a;
}

/* Up to WANT other 198.51.x.y addresses in the set of 198.51.0.HOST. */
static unsigned int same_set_as(uint32_t host, uint32_t *out, unsigned int want)
{
	union vs_addr a = ipx(host), b;
	uint32_t h = hash_bytes(&a, sizeof(a), t.basis) & (NEIGH_SETS - 1), x;
	unsigned int n = 0;

	for (x = 1; x < 0xffff && n < want; x++) {
		if (x == host)
			continue;
		vs_addr_set_v4(&b, htonl(0xc6330000u | x));
		if ((hash_bytes(&b, sizeof(b), t.basis) & (NEIGH_SETS - 1)) == h)
			out[n++] = x;
	}
	return n;
}

static void test_gateway_pinned(void **state)
{
	union vs_addr gw = ip(254), a;
	unsigned int i;

	(void)state;
	assert_non_null(neigh_learn(&t, &gw, gw_mac, true, 1000));
	/* thousands of unresolved next hops: the gateway stays */
	for (i = 1; i < 4000; i++) {
		a = ipx(i);
		neigh_get(&t, &a, 2000 + i);
	}
	assert_ptr_equal(neigh_find(&t, &gw), &t.gw);
	assert_memory_equal(t.gw.mac, gw_mac, 6);
	assert_true(t.gw.seen_ms != 0);
}

static void test_live_neighbour_kept(void **state)
{
	uint32_t peers[NEIGH_WAYS + 4];
	union vs_addr a, live;
	unsigned int i;

	(void)state;
	assert_int_equal(same_set_as(50, peers, NEIGH_WAYS + 4), NEIGH_WAYS + 4);
	live = ipx(50);
	assert_non_null(neigh_get(&t, &live, 1000));
	assert_true(neigh_ask_due(neigh_find(&t, &live), 1000));
	assert_non_null(neigh_learn(&t, &live, gw_mac, true, 1001));
	/* its set filled with unanswered next hops, again and again */
	for (i = 0; i < NEIGH_WAYS + 4; i++) {
		a = ipx(peers[i]);
		assert_non_null(neigh_get(&t, &a, 1100 + i));
	}
	assert_non_null(neigh_find(&t, &live));
	assert_true(neigh_find(&t, &live)->seen_ms != 0);
	/* a set of live neighbours only refuses the newcomer */
	for (i = 0; i < NEIGH_WAYS - 1; i++) {
		a = ipx(peers[i]);
		assert_non_null(neigh_get(&t, &a, 5000));
		neigh_ask_due(neigh_find(&t, &a), 5000);
		assert_non_null(neigh_learn(&t, &a, gw_mac, true, 5001));
	}
	a = ipx(peers[NEIGH_WAYS + 3]);
	assert_null(neigh_get(&t, &a, 5002));
	/* ... until one has been silent for twice the TTL */
	assert_non_null(neigh_get(&t, &a, 5002 + 2ull * NEIGH_TTL_MS));
}

static void test_learning_not_poisoned(void **state)
{
	union vs_addr gw = ip(254), stranger = ip(9), hop = ip(20);

	(void)state;
	/* a stranger nobody asked about is not learned */
	assert_null(neigh_learn(&t, &stranger, bad_mac, true, 1000));
	assert_null(neigh_find(&t, &stranger));
	/* the gateway, unanswered, takes the first reply */
	assert_non_null(neigh_learn(&t, &gw, gw_mac, true, 1000));
	/* an unsolicited reply or a request cannot move it */
	assert_null(neigh_learn(&t, &gw, bad_mac, true, 2000));
	assert_null(neigh_learn(&t, &gw, bad_mac, false, 2000));
	assert_memory_equal(t.gw.mac, gw_mac, 6);
	/* a reply to the refresh request does, once */
	assert_true(neigh_ask_due(&t.gw, 1000 + NEIGH_TTL_MS));
	assert_non_null(neigh_learn(&t, &gw, bad_mac, true, 1001 + NEIGH_TTL_MS));
	assert_memory_equal(t.gw.mac, bad_mac, 6);
	assert_null(neigh_learn(&t, &gw, gw_mac, true, 1002 + NEIGH_TTL_MS));
	assert_memory_equal(t.gw.mac, bad_mac, 6);
	/* a request is rate limited per target */
	assert_non_null(neigh_get(&t, &hop, 3000));
	assert_true(neigh_ask_due(neigh_find(&t, &hop), 3000));
	assert_false(neigh_ask_due(neigh_find(&t, &hop), 3000 + NEIGH_ASK_MS - 1));
	assert_true(neigh_ask_due(neigh_find(&t, &hop), 3000 + NEIGH_ASK_MS));
}

static unsigned int released;
static uint8_t released_first[8];

static void release(void *arg, struct neigh_pending *q)
{
	(void)arg;
	released_first[released++ & 7] = q->buf[0];
}

static void test_pending_fair_and_expiring(void **state)
{
	int owner_a, owner_b;
	union vs_addr a;
	unsigned int i;

	(void)state;
	/* one owner gets NEIGH_PENDING_PER_OWNER frames, to any hops */
	for (i = 0; i < 20; i++) {
		a = ipx(100 + i);
		assert_int_equal(neigh_pending_add(&t, &a, &owner_a, frame, 60, 0, &novnet, 1000),
				 i < NEIGH_PENDING_PER_OWNER ? DROP_NONE : DROP_ARP_PENDING_FULL);
	}
	/* another still gets its share, at most NEIGH_PENDING_PER_HOP per hop */
	a = ip(50);
	for (i = 0; i < 6; i++) {
		frame[0] = (uint8_t)i;
		assert_int_equal(neigh_pending_add(&t, &a, &owner_b, frame, 60, 0, &novnet, 1000),
				 i < NEIGH_PENDING_PER_HOP ? DROP_NONE : DROP_ARP_PENDING_FULL);
	}
	/* released in the order they came */
	assert_int_equal(neigh_pending_take(&t, &a, release, NULL), NEIGH_PENDING_PER_HOP);
	for (i = 0; i < NEIGH_PENDING_PER_HOP; i++)
		assert_int_equal(released_first[i], i);
	/* owner a's frames expire; then it has its share again */
	assert_int_equal(neigh_pending_expire(&t, 1000 + NEIGH_INCOMPLETE_MS), 0);
	assert_int_equal(neigh_pending_expire(&t, 1001 + NEIGH_INCOMPLETE_MS),
			 NEIGH_PENDING_PER_OWNER);
	assert_int_equal(t.n_pending, 0);
	a = ipx(100);
	assert_int_equal(neigh_pending_add(&t, &a, &owner_a, frame, 60, 0, &novnet, 5000), DROP_NONE);
	/* too big to hold */
	assert_int_equal(neigh_pending_add(&t, &a, &owner_b, frame, NEIGH_PENDING_MAX + 1, 0,
					   &novnet, 5000), DROP_ARP_PENDING_FULL);
}

/* 2001:db8:f::X, an IPv6 neighbour of the uplink (uplink6.c's table). */
static union vs_addr ip6x(uint16_t x)
{
	union vs_addr a;

	memset(&a, 0, sizeof(a));
	a.b[0] = 0x20;
	a.b[1] = 0x01;
	a.b[2] = 0x0d;
	a.b[3] = 0xb8;
	a.b[5] = 0x0f;
	a.b[14] = (uint8_t)(x >> 8);
	a.b[15] = (uint8_t)x;
	return a;
}

/* The IPv6 table (uplink6.c: neighbour advertisements, S flag as the
 * reply): a stranger's advertisement is not learned, the solicited
 * answer resolves, an unsolicited one cannot move a resolved entry, and
 * the gateway stays pinned among thousands of unresolved next hops. */
static void test_v6(void **state)
{
	union vs_addr gw6 = ip6x(0xfe), stranger = ip6x(0x77), hop = ip6x(0x20), a;
	unsigned int i;

	(void)state;
	neigh_init(&t, &gw6);
	assert_null(neigh_learn(&t, &stranger, bad_mac, false, 1000));
	assert_null(neigh_learn(&t, &stranger, bad_mac, true, 1000));
	assert_null(neigh_find(&t, &stranger));
	/* a next hop asked about, then answered (solicited) */
	assert_non_null(neigh_get(&t, &hop, 1000));
	assert_true(neigh_ask_due(neigh_find(&t, &hop), 1000));
	assert_non_null(neigh_learn(&t, &hop, gw_mac, true, 1001));
	assert_true(neigh_find(&t, &hop)->seen_ms != 0);
	/* the gateway, asked and answered; then an unsolicited override and
	 * an answer nobody waits for are refused */
	assert_true(neigh_ask_due(&t.gw, 1000));
	assert_non_null(neigh_learn(&t, &gw6, gw_mac, true, 1002));
	assert_null(neigh_learn(&t, &gw6, bad_mac, false, 1003));
	assert_null(neigh_learn(&t, &gw6, bad_mac, true, 1004));
	assert_memory_equal(t.gw.mac, gw_mac, 6);
	for (i = 0x100; i < 0x100 + 4000; i++) {
		a = ip6x((uint16_t)i);
		neigh_get(&t, &a, 2000 + i);
	}
	assert_ptr_equal(neigh_find(&t, &gw6), &t.gw);
	assert_memory_equal(t.gw.mac, gw_mac, 6);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_gateway_pinned, setup),
		cmocka_unit_test_setup(test_live_neighbour_kept, setup),
		cmocka_unit_test_setup(test_learning_not_poisoned, setup),
		cmocka_unit_test_setup(test_pending_fair_and_expiring, setup),
		cmocka_unit_test_setup(test_v6, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
