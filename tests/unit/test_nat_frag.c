/* test_nat_frag.c - the fragment table's fairness (nat_frag.c, audit item
 * 21): one source's flood of fragmented datagrams, even from a source
 * whose set is the same as another's, leaves the other's datagram in
 * place; a source reuses its own oldest way first; expired ways are free. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/ip.h>
#include <cmocka.h>
#include "hash.h"
#include "nat.h"

#define SETS (NAT_FRAG_SLOTS / 8)    /* nat_frag.c's FRAG_WAYS */

static struct conntrack ct;
static struct nat nat;
static uint8_t frame_store[128 + 2] __attribute__((aligned(8)));
#define frame (frame_store + 2)

static int setup(void **state)
{
	(void)state;
	hash_set_basis(0xf4a9);
	memset(&nat, 0, sizeof(nat));
	memset(&ct, 0, sizeof(ct));
	ct_set_test_clock(&ct, 1000000);
	nat.ct = &ct;
	nat_frag_init(&nat);
	return 0;
}

static uint32_t set_of(uint32_t zone, uint32_t src)
{
	struct { uint32_t zone; union vs_addr src; } k = { zone, vs_addr_v4(src) };

	return hash_bytes(&k, sizeof(k), nat.frag_basis) & (SETS - 1);
}

/* A source address other than A whose set (zone 1) is A's. */
static uint32_t same_set(uint32_t a)
{
	uint32_t x;

	for (x = 1; x < 100000; x++)
		if (htonl(0x0a000000u | x) != a && set_of(1, htonl(0x0a000000u | x)) == set_of(1, a))
			return htonl(0x0a000000u | x);
	fail();
	return 0;
}

/* A later fragment of (SRC, DST, ID) in zone 1: translated? */
static bool later_fragment_known(uint32_t src, uint32_t dst, uint16_t id)
{
	struct iphdr *ip = (void *)(frame + 14);
	struct pkt p;
	uint32_t out;

	memset(frame, 0, 128);
	ip->version = 4;
	ip->ihl = 5;
	ip->protocol = IPPROTO_UDP;
	ip->tot_len = htons(40);
	ip->frag_off = htons(100);
	ip->id = id;
	ip->saddr = src;
	ip->daddr = dst;
	memset(&p, 0, sizeof(p));
	p.data = frame;
	p.len = 54;
	p.l3_ofs = 14;
	p.l4_ofs = PKT_OFS_NONE;
	return nat_frag_translate(&nat, &p, 1, &out) == DROP_NONE;
}

static void record(uint32_t src, uint32_t dst, uint16_t id)
{
	nat_frag_record(&nat, 1, IPPROTO_UDP, src, dst, id, htonl(0xc6336401), dst, 0);
}

static void test_flood_keeps_the_other_sources_datagram(void **state)
{
	uint32_t a = htonl(0x0a000002), b = same_set(a), dst = htonl(0xcb00710a);
	unsigned int i;

	(void)state;
	record(b, dst, 7);
	for (i = 0; i < 20000; i++)
		record(a, dst, (uint16_t)i);
	assert_true(later_fragment_known(b, dst, 7));
	/* a's latest datagrams are known, its oldest were its own victims */
	assert_true(later_fragment_known(a, dst, 19999));
	assert_false(later_fragment_known(a, dst, 0));
}

static void test_fair_share_between_heavy_sources(void **state)
{
	uint32_t a = htonl(0x0a000002), b = same_set(a), dst = htonl(0xcb00710a);
	unsigned int i, known_b = 0;

	(void)state;
	for (i = 0; i < 8; i++)
		record(a, dst, (uint16_t)i);	/* a holds the whole set */
	for (i = 0; i < 4; i++)
		record(b, dst, (uint16_t)(100 + i));	/* b takes from a, the fattest */
	for (i = 0; i < 4; i++)
		known_b += later_fragment_known(b, dst, (uint16_t)(100 + i));
	assert_int_equal(known_b, 4);
	assert_true(later_fragment_known(a, dst, 7));
}

static void test_expired_ways_are_free(void **state)
{
	uint32_t a = htonl(0x0a000002), dst = htonl(0xcb00710a);

	(void)state;
	record(a, dst, 1);
	assert_true(later_fragment_known(a, dst, 1));
	ct_set_test_clock(&ct, 1000000 + 30001);
	assert_false(later_fragment_known(a, dst, 1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_flood_keeps_the_other_sources_datagram, setup),
		cmocka_unit_test_setup(test_fair_share_between_heavy_sources, setup),
		cmocka_unit_test_setup(test_expired_ways_are_free, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
