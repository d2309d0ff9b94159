/* hash.h - the one keyed hash of the switch (SipHash-1-3), and its basis.
 *
 * Every table whose keys a stranger can choose hashes with this: the fdb
 * (MACs), conntrack (tuples), NAT's bysource table and fragment slots, DNS
 * (names) and the model's uthash tables (HASH_FUNCTION is HASH_KEYED, set
 * in Makefile.am).  One algorithm and one secret instead of a hand-written
 * hash per module, as OVS has one hash.h and a hash_basis per table.
 *
 * Why SipHash-1-3: the keys are attacker-chosen, and unkeyed or merely
 * seeded multiply-and-rotate hashes (murmur3, FNV, CityHash) have
 * collisions that do not depend on the seed (Aumasson and Bernstein,
 * "hash-flooding DoS reloaded", 2012), which is why SipHash was made.  The
 * 1-3 variant (one round per 8-byte word, three at the end; Python's
 * string hash since 3.11, Rust's HashMap) keeps that property for table
 * use at about murmur3's cost on our short keys: a 44-byte conntrack tuple
 * takes 9 SipRounds where murmur3 took 11 dependent multiply rounds.  It is
 * inline so that a key of constant size unrolls at the call.
 *
 * The basis is the secret: 64 random bits drawn once per process (the
 * only getrandom() for hashing), on first use, so a table filled before
 * start-up ends (restoring state) already uses it.  Tests and fuzz
 * harnesses fix it with hash_set_basis() before they fill any table, so a
 * run can be replayed.  A caller may pass hash_basis() ^ a constant to
 * separate two tables' hashes.  The basis never leaves the process: an
 * outsider sees buckets only through timing, and 2^64 keys are too many to
 * guess.
 */
#ifndef VS_HASH_H
#define VS_HASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* hash.c */
extern uint64_t hash_basis_value;
extern bool hash_basis_drawn;
void hash_basis_draw(void);
void hash_set_basis(uint64_t basis);

/**
 * hash_basis() - The process-wide secret basis, drawn on first use
 *
 * Return: 64 bits from getrandom(), or what hash_set_basis() fixed.
 */
static inline uint64_t hash_basis(void)
{
	if (__builtin_expect(!hash_basis_drawn, 0))
		hash_basis_draw();
	return hash_basis_value;
}

static inline uint64_t hash_rotl64(uint64_t x, int b)
{
	return (x << b) | (x >> (64 - b));
}

#define HASH_SIPROUND(v0, v1, v2, v3) do {					\
	v0 += v1; v1 = hash_rotl64(v1, 13); v1 ^= v0; v0 = hash_rotl64(v0, 32);	\
	v2 += v3; v3 = hash_rotl64(v3, 16); v3 ^= v2;				\
	v0 += v3; v3 = hash_rotl64(v3, 21); v3 ^= v0;				\
	v2 += v1; v1 = hash_rotl64(v1, 17); v1 ^= v2; v2 = hash_rotl64(v2, 32);	\
} while (0)

/**
 * hash_siphash13() - SipHash-1-3 of N bytes at P under the key (K0, K1)
 * @p:		the bytes
 * @n:		their count
 * @k0:		first half of the 128-bit key
 * @k1:		second half
 *
 * Return: the 64-bit SipHash-1-3 value (as the reference implementation).
 */
static inline uint64_t hash_siphash13(const void *p, size_t n, uint64_t k0, uint64_t k1)
{
	const uint8_t *b = p;
	uint64_t v0 = 0x736f6d6570736575ULL ^ k0;
	uint64_t v1 = 0x646f72616e646f6dULL ^ k1;
	uint64_t v2 = 0x6c7967656e657261ULL ^ k0;
	uint64_t v3 = 0x7465646279746573ULL ^ k1;
	uint64_t m, last = (uint64_t)n << 56;
	size_t i, tail = n & 7;

	for (i = 0; i + 8 <= n; i += 8) {
		memcpy(&m, b + i, 8);   /* host order: the reference on little-endian */
		v3 ^= m;
		HASH_SIPROUND(v0, v1, v2, v3);
		v0 ^= m;
	}
	for (i = 0; i < tail; i++)
		last |= (uint64_t)b[n - tail + i] << (8 * i);
	v3 ^= last;
	HASH_SIPROUND(v0, v1, v2, v3);
	v0 ^= last;
	v2 ^= 0xff;
	HASH_SIPROUND(v0, v1, v2, v3);
	HASH_SIPROUND(v0, v1, v2, v3);
	HASH_SIPROUND(v0, v1, v2, v3);
	return v0 ^ v1 ^ v2 ^ v3;
}

/**
 * hash_bytes64() - The switch's hash of N bytes at P under BASIS
 * @p:		the key's bytes (padding-free: every byte counts)
 * @n:		their count
 * @basis:	hash_basis(), perhaps xored with a per-table constant
 *
 * SipHash-1-3 with the key (BASIS, BASIS rotated and complemented): the
 * key's secret is the basis's 64 bits.
 *
 * Return: the 64-bit hash.
 */
static inline uint64_t hash_bytes64(const void *p, size_t n, uint64_t basis)
{
	return hash_siphash13(p, n, basis, ~hash_rotl64(basis, 29));
}

/**
 * hash_bytes() - hash_bytes64() folded to 32 bits, for bucket indexes
 * @p:		the key's bytes
 * @n:		their count
 * @basis:	hash_basis(), perhaps xored with a per-table constant
 *
 * Return: the 32-bit hash; every bit depends on the whole key.
 */
static inline uint32_t hash_bytes(const void *p, size_t n, uint64_t basis)
{
	uint64_t h = hash_bytes64(p, n, basis);

	return (uint32_t)(h ^ (h >> 32));
}

/* uthash's HASH_FUNCTION for every table of the tree (Makefile.am passes
 * -DHASH_FUNCTION=HASH_KEYED): a file that expands uthash's macros without
 * this header fails to build instead of falling back to an unkeyed hash. */
#define HASH_KEYED(keyptr, keylen, hashv) \
	((hashv) = hash_bytes((keyptr), (keylen), hash_basis()))

#endif
