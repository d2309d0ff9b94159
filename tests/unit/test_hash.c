/* test_hash.c - the keyed hash (include/hash.h, src/hash.c).
 *
 * hash_siphash13() is checked against a plain SipHash-c-d written here
 * from the paper, which is itself checked with the paper's SipHash-2-4
 * test vector (Appendix A): so the inline, unrolled 1-3 is the real
 * SipHash-1-3.  Then the properties the tables rely on: the basis is
 * drawn once and can be fixed, it changes every hash, every input bit
 * changes the hash, uthash's tables use it, and sequential keys (MACs,
 * ports) spread evenly over buckets.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <uthash.h>
#include "hash.h"

static uint64_t ref_rotl(uint64_t x, int b)
{
	return (x << b) | (x >> (64 - b));
}

static void ref_round(uint64_t v[4])
{
	v[0] += v[1]; v[1] = ref_rotl(v[1], 13); v[1] ^= v[0]; v[0] = ref_rotl(v[0], 32);
	v[2] += v[3]; v[3] = ref_rotl(v[3], 16); v[3] ^= v[2];
	v[0] += v[3]; v[3] = ref_rotl(v[3], 21); v[3] ^= v[0];
	v[2] += v[1]; v[1] = ref_rotl(v[1], 17); v[1] ^= v[2]; v[2] = ref_rotl(v[2], 32);
}

/* SipHash-C-D as the paper writes it: little-endian words, the length in
 * the last word's top byte. */
static uint64_t ref_siphash(int c, int d, const uint8_t *m, size_t n,
			    uint64_t k0, uint64_t k1)
{
	uint64_t v[4] = { k0 ^ 0x736f6d6570736575ULL, k1 ^ 0x646f72616e646f6dULL,
			  k0 ^ 0x6c7967656e657261ULL, k1 ^ 0x7465646279746573ULL };
	size_t i, j, words = n / 8 + 1;

	for (i = 0; i < words; i++) {
		uint64_t w = i == words - 1 ? (uint64_t)(n & 0xff) << 56 : 0;

		for (j = 0; j < 8 && i * 8 + j < n; j++)
			w |= (uint64_t)m[i * 8 + j] << (8 * j);
		v[3] ^= w;
		for (j = 0; j < (size_t)c; j++)
			ref_round(v);
		v[0] ^= w;
	}
	v[2] ^= 0xff;
	for (j = 0; j < (size_t)d; j++)
		ref_round(v);
	return v[0] ^ v[1] ^ v[2] ^ v[3];
}

/* Runs first: nothing has hashed yet, so the basis is drawn now, once. */
static void test_basis_drawn_once(void **state)
{
	uint64_t b;

	(void)state;
	assert_false(hash_basis_drawn);
	b = hash_basis();
	assert_true(hash_basis_drawn);
	assert_int_equal(hash_basis(), b);
}

static void test_reference_vector(void **state)
{
	/* SipHash paper, Appendix A: key 00..0f, message 00..0e. */
	const uint64_t k0 = 0x0706050403020100ULL, k1 = 0x0f0e0d0c0b0a0908ULL;
	uint8_t m[15];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(m); i++)
		m[i] = (uint8_t)i;
	assert_true(ref_siphash(2, 4, m, sizeof(m), k0, k1) == 0xa129ca6149be45e5ULL);
}

static void test_siphash13_matches_reference(void **state)
{
	uint8_t m[64];
	size_t n;

	(void)state;
	for (n = 0; n < sizeof(m); n++)
		m[n] = (uint8_t)(n * 7 + 1);
	for (n = 0; n <= sizeof(m); n++)
		assert_true(hash_siphash13(m, n, 0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL) ==
			    ref_siphash(1, 3, m, n, 0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL));
}

static void test_set_basis_fixes_hashes(void **state)
{
	const char key[] = "container-1";
	uint32_t a, b;

	(void)state;
	hash_set_basis(1);
	assert_int_equal(hash_basis(), 1);
	a = hash_bytes(key, sizeof(key), hash_basis());
	hash_set_basis(2);
	b = hash_bytes(key, sizeof(key), hash_basis());
	assert_int_not_equal(a, b);
	hash_set_basis(1);
	assert_int_equal(hash_bytes(key, sizeof(key), hash_basis()), a);
}

/* Every input bit reaches the hash: flipping any one bit of a 44-byte key
 * (a conntrack tuple's size) changes it, and changes about half the bits. */
static void test_every_bit_counts(void **state)
{
	uint8_t k[44] = { 10, 0, 0, 1 };
	uint32_t h0, h;
	unsigned int bit, total = 0;

	(void)state;
	h0 = hash_bytes(k, sizeof(k), 0x1234);
	for (bit = 0; bit < sizeof(k) * 8; bit++) {
		k[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		h = hash_bytes(k, sizeof(k), 0x1234);
		k[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		assert_int_not_equal(h, h0);
		total += (unsigned int)__builtin_popcount(h ^ h0);
	}
	/* 352 flips x 32 bits / 2 = 5632 expected; allow +-10 %. */
	assert_in_range(total, 5069, 6195);
}

/* 65536 MACs that differ only in their last two bytes, into 1024 buckets:
 * 64 a bucket on average; a keyed hash keeps the fullest one near that. */
static void test_sequential_keys_spread(void **state)
{
	static unsigned int bucket[1024];
	uint8_t mac[6] = { 0x02, 0x42, 0xac, 0x11 };
	unsigned int i, max = 0;

	(void)state;
	for (i = 0; i < 65536; i++) {
		mac[4] = (uint8_t)(i >> 8);
		mac[5] = (uint8_t)i;
		bucket[hash_bytes(mac, sizeof(mac), hash_basis()) & 1023]++;
	}
	for (i = 0; i < 1024; i++)
		max = bucket[i] > max ? bucket[i] : max;
	assert_true(max < 110);
}

struct item {
	char name[16];
	UT_hash_handle hh;
};

/* The model's tables hash with the keyed hash (HASH_FUNCTION is
 * HASH_KEYED): uthash's stored hash value is hash_bytes() of the key. */
static void test_uthash_is_keyed(void **state)
{
	struct item it = { .name = "bridge" }, *table = NULL, *found = NULL;

	(void)state;
	hash_set_basis(0xfeedULL);
	HASH_ADD_STR(table, name, &it);
	assert_int_equal(it.hh.hashv, hash_bytes("bridge", 6, 0xfeedULL));
	HASH_FIND_STR(table, "bridge", found);
	assert_ptr_equal(found, &it);
	HASH_CLEAR(hh, table);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basis_drawn_once),
		cmocka_unit_test(test_reference_vector),
		cmocka_unit_test(test_siphash13_matches_reference),
		cmocka_unit_test(test_set_basis_fixes_hashes),
		cmocka_unit_test(test_every_bit_counts),
		cmocka_unit_test(test_sequential_keys_spread),
		cmocka_unit_test(test_uthash_is_keyed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
