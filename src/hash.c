/* hash.c - the basis of the switch's keyed hash (include/hash.h).
 *
 * One getrandom() per process, on the first hash_basis(), instead of one
 * per module: the fdb, conntrack, NAT, DNS and the model tables all key
 * their hashes with it.  A process that cannot get randomness (getrandom()
 * fails only on a kernel without it, or under a seccomp filter that denies
 * it) falls back to the clock and an address, which an outsider cannot
 * read either, and says so once in the log.
 */
#include <stdint.h>
#include <sys/random.h>
#include <time.h>
#include "hash.h"
#include "log.h"

uint64_t hash_basis_value;
bool hash_basis_drawn;

/**
 * hash_basis_draw() - Draw the process's hash basis (first hash_basis())
 *
 * Blocking getrandom(): it waits only until the kernel's pool is first
 * initialised, which is long done when a daemon starts.
 */
void hash_basis_draw(void)
{
	struct timespec ts;
	uint64_t b;

	if (getrandom(&b, sizeof(b), 0) != (ssize_t)sizeof(b)) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		b = (uint64_t)ts.tv_nsec * 0x9e3779b97f4a7c15ULL ^
		    (uint64_t)ts.tv_sec ^ (uint64_t)(uintptr_t)&b;
		log_warn("hash: getrandom() failed; the hash basis comes from the clock");
	}
	hash_basis_value = b;
	hash_basis_drawn = true;
}

/**
 * hash_set_basis() - Fix the basis, for tests and fuzzing
 * @basis:	any value; the same value gives the same hashes
 *
 * Only before any table is filled: entries hashed under the old basis
 * would no longer be found.
 */
void hash_set_basis(uint64_t basis)
{
	hash_basis_value = basis;
	hash_basis_drawn = true;
}
