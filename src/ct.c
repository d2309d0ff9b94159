/* ct.c - the connection tracking table: lookup, insert, expiry, limits.
 *
 * DOC: Theory of Operation
 *
 * Every connection is one struct ct_entry holding two tuples, one per
 * direction (see ct.h).  The table is a bucketized two-choice cuckoo hash
 * (DPDK's rte_hash, MemC3): a power-of-two array of 64-byte buckets, each
 * one cache line of 8 slots, a slot being a 16-bit fingerprint of a
 * tuple's hash and a 32-bit reference to its entry and direction.  A
 * tuple sits in its primary bucket (the hash's low bits) or in its
 * alternate, the primary xor a mix of the fingerprint, so an entry in
 * either knows the other without the key (partial-key cuckoo hashing).
 * A lookup reads one bucket, compares fingerprints (SSE2: one
 * instruction for all 8), and reads the key only of a slot whose
 * fingerprint matches (a false match costs one in 8192 lookups); at
 * a million entries that is two cache misses, bucket then entry, where
 * the chains of the old table were two or three dependent ones.
 *
 * The array is sized once from the limit for at most half of its slots in
 * use (two tuples per entry), so nothing rehashes while packets flow and
 * an insert finds a free slot in one of its two buckets nearly always.
 * When both are full, a breadth-first search (at most CT_BFS_NODES
 * buckets, three moves deep) finds a chain of tuples to move each to its
 * other bucket, and moves them from the far end, so the table is whole at
 * every step.  If that fails too -- a set of tuples crowding the same two
 * buckets, improbable without the secret below -- the tuple goes to a stash
 * of CT_STASH slots, searched only while it is not empty; only a full
 * stash refuses an entry below the limit (counted, table_full).
 *
 * The hash is the switch's keyed hash (hash.h, SipHash-1-3) under the
 * process's secret basis, as the kernel keys its conntrack hash with
 * nf_conntrack_hash_rnd: an outsider who can pick our tuples cannot pick
 * our buckets.  A packet's key is hashed once: ct_prefetch() hashes a
 * burst's keys and keeps them with their hashes (the memo), and the
 * ct_lookup() that follows for each packet, in the same order, takes the
 * hash from there after comparing the key.
 *
 * Memory: entries come from a pool grown in chunks (see Pages below) and
 * never returned (bounded by the limit), so a packet never calls malloc.
 * A slot names an entry by its place in the pool (chunk, index), 32 bits.
 * An entry is 200 bytes (24 of them its owner's link, for fair
 * eviction); with its share of the bucket array (64 bytes per two
 * entries allowed) about 232 bytes, so a million entries fit in ~230 MB.
 *
 * Pages: at a million entries a lookup is a walk through 170 MB, and with
 * 4 KB pages every step would be a TLB miss as well as a cache miss (a
 * two-level page walk under a hypervisor), so a big table lives on 2 MB
 * pages.  A small one must not: the kernel would back each bucket touched
 * with a whole 2 MB page, and a switch with three connections would carry
 * megabytes of RSS.  So the bucket array and the chunks are 2 MB-aligned
 * anonymous mappings (zero pages until touched) marked MADV_NOHUGEPAGE,
 * chunks of CT_CHUNK_SMALL_BYTES, until the table first holds CT_HUGE_AT
 * entries; then the bucket array is made again on 2 MB pages and later
 * chunks are 2 MB huge pages.
 *
 * Aging and timeout: each entry belongs to one timeout class (ct.h) and
 * sits in that class's expiry list, ordered by the time it was put at the
 * tail (e->queued).  Every entry of a class has the same timeout.  A packet
 * only writes the entry's last use; the entry goes back to its list's
 * tail (two random neighbours written, at a million entries two more
 * cache misses) only when its place is CT_REQUEUE_MS old or more, or its
 * class changed -- lazy re-queueing, as the kernel's per-entry timeout is
 * refreshed in place.  So an entry's last use is less than CT_REQUEUE_MS
 * after its place in the list, and the list is in deadline order up to
 * that much.  One libev timer is armed for the earliest deadline among the
 * heads; when it fires, heads are popped while expired -- the work is
 * O(expired), never O(table) -- and the timer is re-armed, or left stopped
 * when the table is empty (no idle wake-ups).  A head used since it was
 * queued stops the pop until its own deadline, so an entry behind it may
 * live up to CT_REQUEUE_MS past its timeout, never less than its timeout.
 *
 * Limits and fairness: each entry has an owner, the (zone, source) of its
 * original direction -- a container endpoint, or an outside client of a
 * published port -- and owners sit in lists by how many entries they
 * hold.  When the table is full, the owner with the most entries gives
 * one up if it holds more than its fair share (the limit divided among
 * the owners, the newcomer included): its oldest unreplied entry, else
 * its oldest.  That is OVS's MAC-learning rule ("evict from the port with
 * the most entries"), found in O(1), and it means one container cannot
 * fill the table for the others, with assured entries or without (audit
 * finding 10).  Below their shares, the oldest entry that never saw a
 * reply (SYN_SENT, UDP unreplied, ICMP) is evicted; if there is none, the
 * new connection is refused and counted (DROP_CT_FULL), so that a flood
 * of half-open connections cannot push out established ones.
 */
#include <errno.h>
#include <ev.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include "ct.h"
#include "hash.h"

#define CT_HUGE (2u << 20)
#define CT_CHUNK_SMALL_BYTES (256u << 10)
#define CT_CHUNK_SMALL ((uint32_t)(CT_CHUNK_SMALL_BYTES / sizeof(struct ct_entry)))
/* About 2.5 MB of entries: past what caches and a 4 KB TLB reach cover. */
#define CT_HUGE_AT 16384
#define CT_PREFETCH_MIN CT_HUGE_AT
#define CT_MIN_OWNER_BUCKETS 1024
/* The cuckoo table (see the top). */
#define CT_SLOTS 8
#define CT_MIN_BUCKETS 16
#define CT_BFS_NODES 128
/* A slot's reference: (pool place << 1 | direction) + 1, 0 when empty; a
 * place is chunk << CT_PLACE_BITS | index in the chunk. */
#define CT_PLACE_BITS 15
#define CT_LIMIT_MAX (1u << 26)
/* How old an entry's place in its expiry list may get before a packet
 * moves it to the tail: also the most an entry outlives its timeout. */
#define CT_REQUEUE_MS 1000u

struct ct_bucket {
	uint16_t sig[CT_SLOTS];      /* the hash's top 16 bits */
	uint32_t ref[CT_SLOTS];      /* 0: free */
	uint8_t pad[16];
} __attribute__((aligned(64)));
_Static_assert(sizeof(struct ct_bucket) == 64, "a bucket is one cache line");
_Static_assert(CT_HUGE / sizeof(struct ct_entry) <= (1u << CT_PLACE_BITS),
	       "a 2 MB chunk's places fit CT_PLACE_BITS");
_Static_assert(((uint64_t)CT_LIMIT_MAX / CT_CHUNK_SMALL + 1) << CT_PLACE_BITS < (1ull << 31),
	       "references of every place fit 32 bits");


/* ct_changed() - Tell the snapshot (ct_snapshot.c) that the table moved on:
 * STRUCTURAL for what a restart must not lose (new, removed, new state),
 * else a refresh, which only moves a deadline. */
static inline void ct_changed(struct conntrack *ct, bool structural)
{
	if (ct->change_hook)
		ct->change_hook(ct->change_arg, structural);
}

/* RFC 5382 (TCP: established >= 2 h 4 min, transitory >= 4 min) and
 * RFC 4787 (UDP >= 2 min, 5 min recommended); ICMP as RFC 5508 REQ-1. */
static const uint32_t ct_default_timeout_s[CT_TC_MAX] = {
	[CT_TC_TCP_SYN_SENT] = 240,
	[CT_TC_TCP_SYN_RECV] = 240,
	[CT_TC_TCP_ESTABLISHED] = 432000,
	[CT_TC_TCP_FIN_WAIT] = 240,
	[CT_TC_TCP_CLOSE_WAIT] = 240,
	[CT_TC_TCP_LAST_ACK] = 240,
	[CT_TC_TCP_TIME_WAIT] = 240,
	[CT_TC_TCP_CLOSE] = 10,
	[CT_TC_UDP_UNREPLIED] = 120,
	[CT_TC_UDP_ASSURED] = 300,
	[CT_TC_ICMP] = 30,
};

/* Classes whose entries never saw a reply: evicted first when full. */
static const enum ct_tclass ct_unassured_classes[] = {
	CT_TC_TCP_SYN_SENT, CT_TC_UDP_UNREPLIED, CT_TC_ICMP, CT_TC_TCP_CLOSE,
	CT_TC_TCP_SYN_RECV,
};

static void ct_timer_cb(struct ev_loop *loop, ev_timer *w, int revents);
static int ct_table_build(struct conntrack *ct, uint32_t nb);

uint64_t ct_now_ms(struct conntrack *ct)
{
	if (ct->use_test_clock || !ct->loop)
		return ct->test_clock;
	return (uint64_t)(ev_now(ct->loop) * 1000.0);
}

void ct_set_test_clock(struct conntrack *ct, uint64_t ms)
{
	ct->use_test_clock = true;
	ct->test_clock = ms;
}

/**
 * ct_key_hash64() - Keyed hash of a tuple
 * @k:	tuple, padding-free (its size is a constant: the hash unrolls)
 *
 * An IPv4 tuple is hashed in a compact form: the 24 bytes of its two
 * addresses that are the IPv4-mapped prefix (::ffff:) say nothing, and
 * SipHash's cost grows with its input (20 bytes are three rounds, the
 * whole 44 six: a lookup cost half again what murmur3 cost before the
 * keyed hash, doc/performance.md).  The two forms differ in length, so
 * they cannot be steered into each other; any other tuple is hashed
 * whole.  Still one keyed hash per lookup, on the same secret basis.
 *
 * Return: 64-bit hash (bucket from the low bits, fingerprint from the
 * top 16), dependent on the process's secret basis
 */
uint64_t ct_key_hash64(struct conntrack *ct, const struct ct_key *k)
{
	if (__builtin_expect(vs_addr_is_v4(&k->src) && vs_addr_is_v4(&k->dst), 1)) {
		struct {
			uint32_t src, dst;
			uint16_t sport, dport;
			uint32_t zone;
			uint8_t family, proto;
			uint16_t pad;
		} c = {
			.src = k->src.w[3], .dst = k->dst.w[3], .sport = k->sport,
			.dport = k->dport, .zone = k->zone, .family = k->family,
			.proto = k->proto, .pad = 0,
		};
		_Static_assert(sizeof(c) == 20, "hashed as bytes: no padding");

		return hash_bytes64(&c, sizeof(c), ct->basis);
	}
	return hash_bytes64(k, sizeof(*k), ct->basis);
}

/* ct_key_hash() - ct_key_hash64() folded to 32 bits. */
uint32_t ct_key_hash(struct conntrack *ct, const struct ct_key *k)
{
	uint64_t h = ct_key_hash64(ct, k);

	return (uint32_t)(h ^ (h >> 32));
}

/* ct_key_invert() - The tuple of the other direction (IN may be OUT). */
void ct_key_invert(const struct ct_key *in, struct ct_key *out)
{
	struct ct_key t = *in;

	t.src = in->dst;
	t.dst = in->src;
	t.sport = in->dport;
	t.dport = in->sport;
	*out = t;
}

const struct ct_l4_proto *ct_l4(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_TCP: return &ct_l4_tcp;
	case IPPROTO_UDP: return &ct_l4_udp;
	case IPPROTO_ICMP: return &ct_l4_icmp;
	case IPPROTO_ICMPV6: return &ct_l4_icmp6;
	default: return NULL;
	}
}

/* SIZE bytes of zero pages at a huge-page boundary, on 2 MB pages if
 * HUGE, never on them otherwise; or NULL. */
static void *ct_pages_alloc(size_t size, bool huge)
{
	size_t len = size + CT_HUGE;
	/* cppcheck-suppress invalidFunctionArg ; MAP_ANONYMOUS wants fd -1 */
	uint8_t *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uintptr_t a;

	if (m == MAP_FAILED)
		return NULL;
	a = ((uintptr_t)m + CT_HUGE - 1) & ~(uintptr_t)(CT_HUGE - 1);
	if (a > (uintptr_t)m)
		munmap(m, a - (uintptr_t)m);
	if ((uint8_t *)a + size < m + len)
		munmap((uint8_t *)a + size, (size_t)(m + len - ((uint8_t *)a + size)));
	/* A hint; fine if refused (THP off, old kernel). */
	madvise((void *)a, size, huge ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
	return (void *)a;
}

static void ct_pages_free(void *p, size_t size)
{
	if (p)
		munmap(p, size);
}

static size_t ct_buckets_bytes(uint32_t nb)
{
	return ((size_t)nb * sizeof(struct ct_bucket) + CT_HUGE - 1) & ~(size_t)(CT_HUGE - 1);
}

/* Buckets for N entries: their 2N tuples fill at most half of the slots. */
static uint32_t ct_buckets_for(uint32_t n)
{
	uint32_t nb = CT_MIN_BUCKETS;

	while ((uint64_t)nb * CT_SLOTS < 4 * (uint64_t)n)
		nb <<= 1;
	return nb;
}

/* --- owners: who holds how many entries (fair eviction) ----------------- */

static struct ct_owner *ct_owner_at(struct conntrack *ct, uint32_t i)
{
	return &ct->owners[i - 1];
}

static uint32_t ct_owner_hash(struct conntrack *ct, uint32_t zone, const union vs_addr *ip)
{
	struct { uint32_t zone; union vs_addr ip; } k = { .zone = zone, .ip = *ip };
	_Static_assert(sizeof(k) == 20, "hashed as bytes: no padding");

	return hash_bytes(&k, sizeof(k), ct->basis ^ 0x6f776e6572ULL) & ct->owner_mask;
}

/* ct_owner_find() - The owner (index + 1) of (ZONE, IP), or 0. */
static uint32_t ct_owner_find(struct conntrack *ct, uint32_t zone, const union vs_addr *ip)
{
	uint32_t i;

	for (i = ct->owner_bucket[ct_owner_hash(ct, zone, ip)]; i; i = ct_owner_at(ct, i)->hnext)
		if (ct_owner_at(ct, i)->zone == zone && vs_addr_eq(&ct_owner_at(ct, i)->ip, ip))
			return i;
	return 0;
}

/* ct_count_unlink(), ct_count_link() - Take owner I out of, or put it
 * into, the list of owners holding as many entries as it does.  Neither
 * lowers max_count: between the two the owner is in no list, and an
 * owner alone at the top would send the scan down to the next owner's
 * count (to 0 with one owner: O(entries) per insert, issue 13's nat_cps).
 * ct_count_move() lowers it once the owner is back. */
static void ct_count_unlink(struct conntrack *ct, uint32_t i)
{
	struct ct_owner *o = ct_owner_at(ct, i);

	if (o->cprev)
		ct_owner_at(ct, o->cprev)->cnext = o->cnext;
	else
		ct->by_count[o->n] = o->cnext;
	if (o->cnext)
		ct_owner_at(ct, o->cnext)->cprev = o->cprev;
	o->cprev = o->cnext = 0;
}

static void ct_count_link(struct conntrack *ct, uint32_t i)
{
	struct ct_owner *o = ct_owner_at(ct, i);

	o->cprev = 0;
	o->cnext = ct->by_count[o->n];
	if (o->cnext)
		ct_owner_at(ct, o->cnext)->cprev = i;
	ct->by_count[o->n] = i;
	if (o->n > ct->max_count)
		ct->max_count = o->n;
}

/* ct_count_move() - Owner I now holds N entries (its count +1 or -1; 0:
 * it leaves the lists).  Counts move by one and the owner is linked again
 * before max_count is lowered, so the loop runs once at most. */
static void ct_count_move(struct conntrack *ct, uint32_t i, uint32_t n)
{
	struct ct_owner *o = ct_owner_at(ct, i);

	if (o->n)
		ct_count_unlink(ct, i);
	o->n = n;
	if (n)
		ct_count_link(ct, i);
	while (ct->max_count && !ct->by_count[ct->max_count])
		ct->max_count--;
}

/* ct_owner_get() - The owner of (ZONE, IP), made if new; 0 if the pool
 * is out (cannot happen: there are never more owners than entries). */
static uint32_t ct_owner_get(struct conntrack *ct, uint32_t zone, const union vs_addr *ip)
{
	uint32_t i = ct_owner_find(ct, zone, ip), b;
	struct ct_owner *o;

	if (i)
		return i;
	if (ct->owner_free) {
		i = ct->owner_free;
		ct->owner_free = ct_owner_at(ct, i)->hnext;
	} else if (ct->owner_used < ct->owner_cap) {
		i = ++ct->owner_used;
	} else {
		return 0;
	}
	o = ct_owner_at(ct, i);
	memset(o, 0, sizeof(*o));
	o->zone = zone;
	o->ip = *ip;
	TAILQ_INIT(&o->unassured);
	TAILQ_INIT(&o->assured);
	b = ct_owner_hash(ct, zone, ip);
	o->hnext = ct->owner_bucket[b];
	ct->owner_bucket[b] = i;
	ct->stats.owners++;
	return i;
}

static void ct_owner_put(struct conntrack *ct, uint32_t i)
{
	struct ct_owner *o = ct_owner_at(ct, i);
	uint32_t *pp = &ct->owner_bucket[ct_owner_hash(ct, o->zone, &o->ip)];

	for (; *pp; pp = &ct_owner_at(ct, *pp)->hnext)
		if (*pp == i) {
			*pp = o->hnext;
			break;
		}
	o->hnext = ct->owner_free;
	ct->owner_free = i;
	ct->stats.owners--;
}

static struct ct_list *ct_owner_list(struct ct_owner *o, const struct ct_entry *e)
{
	return e->flags & CT_F_ASSURED ? &o->assured : &o->unassured;
}

/* ct_owner_attach() - Count E (its keys and flags set) to its owner. */
static void ct_owner_attach(struct conntrack *ct, struct ct_entry *e)
{
	const struct ct_key *k = &e->n[CT_DIR_ORIG].key;
	uint32_t i = ct_owner_get(ct, k->zone, &k->src);
	struct ct_owner *o;

	if (!i)
		return;
	o = ct_owner_at(ct, i);
	ct_count_move(ct, i, o->n + 1);
	TAILQ_INSERT_TAIL(ct_owner_list(o, e), e, own_link);
	e->owner = i;
}

static void ct_owner_detach(struct conntrack *ct, struct ct_entry *e)
{
	struct ct_owner *o;

	if (!e->owner)
		return;
	o = ct_owner_at(ct, e->owner);
	TAILQ_REMOVE(ct_owner_list(o, e), e, own_link);
	ct_count_move(ct, e->owner, o->n - 1);
	if (!o->n)
		ct_owner_put(ct, e->owner);
	e->owner = 0;
}

/* ct_owner_reflag() - E's ASSURED flag went from OLD_FLAGS to its flags:
 * move it to the owner's other list. */
static void ct_owner_reflag(struct conntrack *ct, struct ct_entry *e, uint8_t old_flags)
{
	struct ct_owner *o;

	if (!e->owner || !((old_flags ^ e->flags) & CT_F_ASSURED))
		return;
	o = ct_owner_at(ct, e->owner);
	TAILQ_REMOVE(old_flags & CT_F_ASSURED ? &o->assured : &o->unassured, e, own_link);
	TAILQ_INSERT_TAIL(ct_owner_list(o, e), e, own_link);
}

/* ct_list_fix() - A list head moved in memory: repoint its first entry
 * (or, empty, itself) at it. */
static void ct_list_fix(struct ct_list *h)
{
	if (TAILQ_EMPTY(h))
		TAILQ_INIT(h);
	else
		TAILQ_FIRST(h)->own_link.tqe_prev = &h->tqh_first;
}

static size_t ct_owner_bytes(uint32_t cap)
{
	return (size_t)cap * sizeof(struct ct_owner);
}

static uint32_t ct_owner_buckets_for(uint32_t cap)
{
	uint32_t n = CT_MIN_OWNER_BUCKETS;

	while (n < cap && n < (1u << 30))
		n <<= 1;
	return n;
}

static void ct_owners_free(struct conntrack *ct)
{
	ct_pages_free(ct->owners, ct_owner_bytes(ct->owner_cap));
	ct_pages_free(ct->owner_bucket, ct->owner_mask ? (ct->owner_mask + 1) * sizeof(uint32_t) : 0);
	ct_pages_free(ct->by_count, ct->owner_cap ? (ct->owner_cap + 2) * sizeof(uint32_t) : 0);
}

/**
 * ct_owners_grow() - Room for CAP owners (control path: ct_set_limit())
 * @cap:	new capacity, more than the current one
 *
 * Zero pages until used, as the pool is; the owners in use are copied
 * and rehashed, and their lists' heads repointed.
 *
 * Return: 0, or -1 if memory ran out (nothing changed)
 */
static int ct_owners_grow(struct conntrack *ct, uint32_t cap)
{
	uint32_t nb = ct_owner_buckets_for(cap), i;
	struct ct_owner *o = ct_pages_alloc(ct_owner_bytes(cap), false);
	uint32_t *bk = ct_pages_alloc(nb * sizeof(uint32_t), false);
	uint32_t *bc = ct_pages_alloc((cap + 2) * sizeof(uint32_t), false);

	if (!o || !bk || !bc) {
		ct_pages_free(o, ct_owner_bytes(cap));
		ct_pages_free(bk, nb * sizeof(uint32_t));
		ct_pages_free(bc, (cap + 2) * sizeof(uint32_t));
		return -1;
	}
	if (ct->owners) {
		memcpy(o, ct->owners, ct->owner_used * sizeof(*o));
		memcpy(bc, ct->by_count, (ct->owner_cap + 2) * sizeof(uint32_t));
	}
	ct_owners_free(ct);
	ct->owners = o;
	ct->owner_bucket = bk;
	ct->by_count = bc;
	ct->owner_cap = cap;
	ct->owner_mask = nb - 1;
	for (i = 1; i <= ct->owner_used; i++) {
		struct ct_owner *w = ct_owner_at(ct, i);
		uint32_t b;

		if (!w->n)
			continue;            /* on the free list: its link stays */
		ct_list_fix(&w->unassured);
		ct_list_fix(&w->assured);
		b = ct_owner_hash(ct, w->zone, &w->ip);
		w->hnext = bk[b];
		bk[b] = i;
	}
	return 0;
}

/**
 * ct_evict_fair() - Make room at the expense of the biggest owner
 * @orig:	the new connection's tuple (its owner may be new)
 *
 * An owner over its fair share -- the limit divided among the owners,
 * the newcomer included -- loses its oldest entry, unassured first:
 * assured entries are no shield for a container that fills the table
 * (audit finding 10).  An owner within its share is left alone, and the
 * caller falls back to evicting unreplied entries only.
 *
 * Return: true if an entry was evicted
 */
static bool ct_evict_fair(struct conntrack *ct, const struct ct_key *orig)
{
	uint32_t big = ct->by_count[ct->max_count];
	uint64_t owners = ct->stats.owners;
	struct ct_owner *o;
	struct ct_entry *v;

	if (!big || ct->max_count < 2)
		return false;
	if (!ct_owner_find(ct, orig->zone, &orig->src))
		owners++;
	if (ct->max_count <= ct->limit / owners)
		return false;
	o = ct_owner_at(ct, big);
	v = TAILQ_FIRST(&o->unassured);
	if (!v)
		v = TAILQ_FIRST(&o->assured);
	ct_remove(ct, v);
	ct->stats.evicted++;
	ct->stats.evicted_fair++;
	return true;
}

/* The table has grown big: 2 MB pages from now on (see the top).  The
 * bucket array is made again on them and refilled, once, which costs
 * about a millisecond at CT_HUGE_AT entries; its old 4 KB pages were
 * mostly touched already, and marking them would leave the collapse to
 * khugepaged's leisure.  If memory runs out the old array stays. */
static void ct_go_huge(struct conntrack *ct)
{
	ct->huge = true;
	ct_set_limit(ct, ct->limit);
}

/**
 * ct_set_limit() - Set the maximum number of entries, resizing buckets
 * @limit:	new limit, 1 to CT_LIMIT_MAX
 *
 * Existing entries are put into the new bucket array (control path
 * only).  Lowering the limit below the current count refuses new entries
 * until enough expire; the array keeps room for those there are.
 *
 * Return: 0, or -1 if memory ran out (the old table stays)
 */
int ct_set_limit(struct conntrack *ct, uint32_t limit)
{
	uint32_t nb, max_chunks;
	struct ct_chunk *chunks;

	if (limit == 0 || limit > CT_LIMIT_MAX)
		return -1;
	nb = ct_buckets_for(limit > ct->stats.entries ? limit : (uint32_t)ct->stats.entries);
	if (limit > ct->owner_cap && ct_owners_grow(ct, limit) < 0)
		return -1;
	max_chunks = limit / CT_CHUNK_SMALL + 1;	/* chunks are at least that big */
	if (max_chunks < ct->n_chunks)
		max_chunks = ct->n_chunks;
	chunks = realloc(ct->chunks, max_chunks * sizeof(*chunks));
	if (!chunks)
		return -1;
	ct->chunks = chunks;
	ct->max_chunks = max_chunks;
	if (ct_table_build(ct, nb) < 0)
		return -1;
	ct->limit = limit;
	ct->stats.limit = limit;
	return 0;
}

int ct_set_timeout(struct conntrack *ct, enum ct_tclass tc, uint32_t seconds)
{
	if ((unsigned int)tc >= CT_TC_MAX || seconds == 0)
		return -1;
	/* Lists are ordered by last use, so a new timeout keeps them ordered;
	 * only the timer must learn about a possibly earlier deadline. */
	ct->timeout_s[tc] = seconds;
	if (ct->loop)
		ev_feed_event(ct->loop, &ct->timer, EV_TIMER);
	return 0;
}

uint32_t ct_get_timeout(struct conntrack *ct, enum ct_tclass tc)
{
	return (unsigned int)tc < CT_TC_MAX ? ct->timeout_s[tc] : 0;
}

int ct_init(struct conntrack *ct, struct ev_loop *loop, uint32_t limit)
{
	bool test_clock = ct->use_test_clock;
	uint64_t now = ct->test_clock;
	int i;

	memset(ct, 0, sizeof(*ct));
	ct->use_test_clock = test_clock;   /* a unit test's clock survives init */
	ct->test_clock = now;
	ct->loop = loop;
	ct->basis = hash_basis();
	for (i = 0; i < CT_TC_MAX; i++) {
		TAILQ_INIT(&ct->exp[i]);
		ct->timeout_s[i] = ct_default_timeout_s[i];
	}
	if (loop)
		ev_timer_init(&ct->timer, ct_timer_cb, 0., 0.);
	return ct_set_limit(ct, limit ? limit : CT_DEFAULT_LIMIT);
}

void ct_fini(struct conntrack *ct)
{
	uint32_t i;

	if (ct->loop)
		ev_timer_stop(ct->loop, &ct->timer);
	for (i = 0; i < ct->n_chunks; i++)
		ct_pages_free(ct->chunks[i].e, ct->chunks[i].bytes);
	free(ct->chunks);
	if (ct->buckets)
		ct_pages_free(ct->buckets, ct_buckets_bytes(ct->mask + 1));
	ct_owners_free(ct);
	memset(ct, 0, sizeof(*ct));
}

/* ct_pool_free() - The freelist runs through exp_link, unused while free. */
static inline struct ct_entry **ct_free_next(struct ct_entry *e)
{
	return &e->exp_link.tqe_next;
}

/* ct_pool_get() - An entry from the freelist, growing by one chunk; its
 * place in the pool (slot) is set, everything else zero. */
static struct ct_entry *ct_pool_get(struct conntrack *ct)
{
	size_t bytes = ct->huge ? CT_HUGE : CT_CHUNK_SMALL_BYTES;
	struct ct_entry *e, *chunk;
	uint32_t slot;
	int i;

	if (!ct->free) {
		if (ct->n_chunks >= ct->max_chunks)
			return NULL;
		chunk = ct_pages_alloc(bytes, ct->huge);
		if (!chunk)
			return NULL;
		ct->chunks[ct->n_chunks].e = chunk;
		ct->chunks[ct->n_chunks].bytes = bytes;
		for (i = (int)(bytes / sizeof(*chunk)) - 1; i >= 0; i--) {
			chunk[i].slot = ct->n_chunks << CT_PLACE_BITS | (uint32_t)i;
			*ct_free_next(&chunk[i]) = ct->free;
			ct->free = &chunk[i];
		}
		ct->n_chunks++;
	}
	e = ct->free;
	ct->free = *ct_free_next(e);
	slot = e->slot;
	memset(e, 0, sizeof(*e));
	e->slot = slot;
	return e;
}

/* --- the cuckoo table (see the top) ------------------------------------ */

static inline uint16_t ct_sig(uint64_t h)
{
	return (uint16_t)(h >> 48);
}

static inline uint32_t ct_primary(const struct conntrack *ct, uint64_t h)
{
	return (uint32_t)h & ct->mask;
}

/* ct_alt() - The other bucket of a tuple in bucket B with fingerprint SIG:
 * an involution (ct_alt(ct_alt(b)) == b), never B itself. */
static inline uint32_t ct_alt(const struct conntrack *ct, uint32_t b, uint16_t sig)
{
	uint32_t m = (uint32_t)sig * 0x9e3779b1u;

	return (b ^ ((m ^ (m >> 15)) | 1)) & ct->mask;
}

static inline uint32_t ct_ref(const struct ct_entry *e, enum ct_dir dir)
{
	return (e->slot << 1 | (uint32_t)dir) + 1;
}

static inline struct ct_entry *ct_ref_entry(const struct conntrack *ct, uint32_t ref)
{
	uint32_t place = (ref - 1) >> 1;

	return &ct->chunks[place >> CT_PLACE_BITS].e[place & ((1u << CT_PLACE_BITS) - 1)];
}

/* ct_key_eq() - Tuple equality as five and a half word compares, without
 * a call (the key is 44 bytes, padding-free). */
static inline bool ct_key_eq(const struct ct_key *a, const struct ct_key *b)
{
	uint64_t x[5], y[5];
	uint32_t xs, ys;

	memcpy(x, a, sizeof(x));
	memcpy(y, b, sizeof(y));
	memcpy(&xs, (const uint8_t *)a + sizeof(x), sizeof(xs));
	memcpy(&ys, (const uint8_t *)b + sizeof(y), sizeof(ys));
	return !((x[0] ^ y[0]) | (x[1] ^ y[1]) | (x[2] ^ y[2]) | (x[3] ^ y[3]) |
		 (x[4] ^ y[4]) | (xs ^ ys));
}
_Static_assert(sizeof(struct ct_key) == 5 * sizeof(uint64_t) + sizeof(uint32_t),
	       "ct_key_eq() covers the key");

/* ct_sig_match() - Bit I set where slot I's fingerprint is SIG. */
static inline uint32_t ct_sig_match(const struct ct_bucket *b, uint16_t sig)
{
#ifdef __SSE2__
	__m128i v = _mm_load_si128((const __m128i *)(const void *)b->sig);
	__m128i eq = _mm_cmpeq_epi16(v, _mm_set1_epi16((short)sig));

	/* 8 x 16-bit all-ones or zero, packed to 8 bytes: one bit each */
	return (uint32_t)_mm_movemask_epi8(_mm_packs_epi16(eq, _mm_setzero_si128()));
#else
	uint32_t m = 0;
	int i;

	for (i = 0; i < CT_SLOTS; i++)
		m |= (uint32_t)(b->sig[i] == sig) << i;
	return m;
#endif
}

/* ct_bucket_find() - The entry of K among bucket B's slots, or NULL. */
static inline struct ct_entry *ct_bucket_find(const struct conntrack *ct, const struct ct_bucket *b,
					      uint16_t sig, const struct ct_key *k, enum ct_dir *dir)
{
	uint32_t m = ct_sig_match(b, sig);

	while (m) {
		uint32_t ref = b->ref[__builtin_ctz(m)];
		struct ct_entry *e;

		m &= m - 1;
		if (!ref)
			continue;
		e = ct_ref_entry(ct, ref);
		if (ct_key_eq(&e->n[(ref - 1) & 1].key, k)) {
			*dir = (enum ct_dir)((ref - 1) & 1);
			return e;
		}
	}
	return NULL;
}

static int ct_bucket_free_slot(const struct ct_bucket *b)
{
	int i;

	for (i = 0; i < CT_SLOTS; i++)
		if (!b->ref[i])
			return i;
	return -1;
}

static void ct_slot_set(struct ct_bucket *b, int i, uint16_t sig, uint32_t ref)
{
	b->sig[i] = sig;
	b->ref[i] = ref;
}

/* ct_cuckoo_move() - Move the tuple in bucket B slot I to its other
 * bucket's free slot J: the table stays whole. */
static void ct_cuckoo_move(struct conntrack *ct, uint32_t b, int i, uint32_t a, int j)
{
	struct ct_bucket *from = &ct->buckets[b], *to = &ct->buckets[a];

	ct_slot_set(to, j, from->sig[i], from->ref[i]);
	ct_slot_set(from, i, 0, 0);
	ct->stats.cuckoo_moves++;
}

/* A bucket reached by the search, and the move that reaches it: its
 * parent's slot PSLOT holds a tuple whose other bucket it is. */
struct ct_bfs {
	uint32_t bucket;
	int16_t parent, pslot;
};

/**
 * ct_cuckoo_make_room() - Free a slot in bucket B1 or B2 by moving tuples
 *
 * Breadth-first over the buckets reachable by moving one tuple to its
 * other bucket, at most CT_BFS_NODES of them; the chain found is moved
 * from its far end, one tuple into a free slot at a time, each move
 * leaving a valid table.
 *
 * Return: the bucket (B1 or B2) that now has a free slot, or -1
 */
static int64_t ct_cuckoo_make_room(struct conntrack *ct, uint32_t b1, uint32_t b2)
{
	struct ct_bfs q[CT_BFS_NODES];
	int head = 0, tail = 0, i, j;

	q[tail++] = (struct ct_bfs){ b1, -1, -1 };
	q[tail++] = (struct ct_bfs){ b2, -1, -1 };
	for (; head < tail; head++) {
		struct ct_bucket *b = &ct->buckets[q[head].bucket];

		for (i = 0; i < CT_SLOTS; i++) {
			uint32_t a = ct_alt(ct, q[head].bucket, b->sig[i]);
			int n;

			j = ct_bucket_free_slot(&ct->buckets[a]);
			if (j < 0) {
				if (tail < CT_BFS_NODES)
					q[tail++] = (struct ct_bfs){ a, (int16_t)head, (int16_t)i };
				continue;
			}
			ct_cuckoo_move(ct, q[head].bucket, i, a, j);
			for (n = head, j = i; q[n].parent >= 0; j = q[n].pslot, n = q[n].parent) {
				/* the parent's tuple goes where ours was */
				uint32_t pb = q[q[n].parent].bucket;

				if (ct->buckets[q[n].bucket].ref[j] ||
				    ct_alt(ct, pb, ct->buckets[pb].sig[q[n].pslot]) != q[n].bucket)
					return -1;   /* the path crossed itself: give up */
				ct_cuckoo_move(ct, pb, q[n].pslot, q[n].bucket, j);
			}
			return q[n].bucket;
		}
	}
	return -1;
}

/* ct_table_add() - Put a tuple (REF, hash H) into the table.
 * Return: 0, or -1 if neither bucket nor the stash has room. */
static int ct_table_add(struct conntrack *ct, uint32_t ref, uint64_t h)
{
	uint16_t sig = ct_sig(h);
	uint32_t b1 = ct_primary(ct, h), b2 = ct_alt(ct, b1, sig);
	int64_t b = b1;
	int i = ct_bucket_free_slot(&ct->buckets[b1]);

	if (i < 0) {
		b = b2;
		i = ct_bucket_free_slot(&ct->buckets[b2]);
	}
	if (i < 0) {
		b = ct_cuckoo_make_room(ct, b1, b2);
		i = b < 0 ? -1 : ct_bucket_free_slot(&ct->buckets[b]);
	}
	if (i >= 0) {
		ct_slot_set(&ct->buckets[b], i, sig, ref);
		return 0;
	}
	if (ct->n_stash >= CT_STASH)
		return -1;
	ct->stash[ct->n_stash].ref = ref;
	ct->stash[ct->n_stash++].hash = h;
	ct->stats.stashed++;
	return 0;
}

/* ct_stash_drain() - After a tuple left the table: stashed tuples back
 * into buckets where they now fit (rare: the stash is almost always
 * empty). */
static void ct_stash_drain(struct conntrack *ct)
{
	uint32_t i = 0;

	while (i < ct->n_stash) {
		uint64_t h = ct->stash[i].hash;
		uint32_t b1 = ct_primary(ct, h), b = b1;
		int j = ct_bucket_free_slot(&ct->buckets[b1]);

		if (j < 0) {
			b = ct_alt(ct, b1, ct_sig(h));
			j = ct_bucket_free_slot(&ct->buckets[b]);
		}
		if (j < 0) {
			i++;
			continue;
		}
		ct_slot_set(&ct->buckets[b], j, ct_sig(h), ct->stash[i].ref);
		ct->stash[i] = ct->stash[--ct->n_stash];
	}
}

/* ct_table_del() - Take the tuple REF (hash H) out of the table. */
static void ct_table_del(struct conntrack *ct, uint32_t ref, uint64_t h)
{
	uint32_t b[2], i, k;

	b[0] = ct_primary(ct, h);
	b[1] = ct_alt(ct, b[0], ct_sig(h));
	for (k = 0; k < 2; k++)
		for (i = 0; i < CT_SLOTS; i++)
			if (ct->buckets[b[k]].ref[i] == ref) {
				ct_slot_set(&ct->buckets[b[k]], (int)i, 0, 0);
				if (ct->n_stash)
					ct_stash_drain(ct);
				return;
			}
	for (i = 0; i < ct->n_stash; i++)
		if (ct->stash[i].ref == ref) {
			ct->stash[i] = ct->stash[--ct->n_stash];
			return;
		}
}

/* ct_entry_add() - Both of E's tuples into the table, or neither.
 * Return: 0, or -1 (nothing changed). */
static int ct_entry_add(struct conntrack *ct, struct ct_entry *e, uint64_t ho, uint64_t hr)
{
	if (ct_table_add(ct, ct_ref(e, CT_DIR_ORIG), ho) < 0)
		return -1;
	if (ct_table_add(ct, ct_ref(e, CT_DIR_REPLY), hr) < 0) {
		ct_table_del(ct, ct_ref(e, CT_DIR_ORIG), ho);
		return -1;
	}
	return 0;
}

static void ct_entry_del(struct conntrack *ct, struct ct_entry *e)
{
	ct_table_del(ct, ct_ref(e, CT_DIR_ORIG), ct_key_hash64(ct, &e->n[0].key));
	ct_table_del(ct, ct_ref(e, CT_DIR_REPLY), ct_key_hash64(ct, &e->n[1].key));
}

/**
 * ct_table_build() - Make the bucket array for NB buckets and fill it
 * with every live entry (control path: a new limit, 2 MB pages)
 *
 * Return: 0, or -1 (memory, or a tuple found no room: the old array stays)
 */
static int ct_table_build(struct conntrack *ct, uint32_t nb)
{
	struct ct_bucket *old = ct->buckets;
	uint32_t old_mask = ct->mask, old_n_stash = ct->n_stash, ci, i;
	__typeof__(ct->stash) old_stash;

	memcpy(old_stash, ct->stash, sizeof(old_stash));
	ct->buckets = ct_pages_alloc(ct_buckets_bytes(nb), ct->huge);
	if (!ct->buckets) {
		ct->buckets = old;
		return -1;
	}
	ct->mask = nb - 1;
	ct->n_stash = 0;
	for (ci = 0; ci < ct->n_chunks; ci++)
		for (i = 0; i < ct->chunks[ci].bytes / sizeof(struct ct_entry); i++) {
			struct ct_entry *e = &ct->chunks[ci].e[i];

			if (e->proto && ct_entry_add(ct, e, ct_key_hash64(ct, &e->n[0].key),
						     ct_key_hash64(ct, &e->n[1].key)) < 0) {
				ct_pages_free(ct->buckets, ct_buckets_bytes(nb));
				ct->buckets = old;
				ct->mask = old_mask;
				ct->n_stash = old_n_stash;
				memcpy(ct->stash, old_stash, sizeof(old_stash));
				return -1;
			}
		}
	if (old)
		ct_pages_free(old, ct_buckets_bytes(old_mask + 1));
	return 0;
}

/**
 * ct_table_check() - Is the table exactly the live entries' tuples?
 *
 * Every live entry is found by both of its tuples, and the table holds
 * two tuples per entry, each in one of its own two buckets.  O(table):
 * for tests and the fuzz harness.
 *
 * Return: 0, or -1
 */
int ct_table_check(struct conntrack *ct)
{
	uint64_t used = ct->n_stash, live = 0;
	uint32_t ci, i, d;
	enum ct_dir dir;

	for (i = 0; i <= ct->mask; i++)
		for (d = 0; d < CT_SLOTS; d++) {
			uint32_t ref = ct->buckets[i].ref[d];
			uint64_t h;

			if (!ref)
				continue;
			used++;
			h = ct_key_hash64(ct, &ct_ref_entry(ct, ref)->n[(ref - 1) & 1].key);
			if (ct_sig(h) != ct->buckets[i].sig[d] ||
			    (ct_primary(ct, h) != i && ct_alt(ct, ct_primary(ct, h), ct_sig(h)) != i))
				return -1;
		}
	for (ci = 0; ci < ct->n_chunks; ci++)
		for (i = 0; i < ct->chunks[ci].bytes / sizeof(struct ct_entry); i++) {
			struct ct_entry *e = &ct->chunks[ci].e[i];

			if (!e->proto)
				continue;
			live++;
			for (d = 0; d < 2; d++)
				if (ct_lookup_h(ct, &e->n[d].key, ct_key_hash64(ct, &e->n[d].key), &dir) != e ||
				    dir != d)
					return -1;
		}
	return used == 2 * live && live == ct->stats.entries ? 0 : -1;
}

void ct_key_buckets(struct conntrack *ct, const struct ct_key *k, uint32_t *b1, uint32_t *b2)
{
	uint64_t h = ct_key_hash64(ct, k);

	*b1 = ct_primary(ct, h);
	*b2 = ct_alt(ct, *b1, ct_sig(h));
}

/**
 * ct_lookup_h() - ct_lookup() of a key whose ct_key_hash64() is HASH
 */
struct ct_entry *ct_lookup_h(struct conntrack *ct, const struct ct_key *k, uint64_t hash,
			     enum ct_dir *dir)
{
	uint16_t sig = ct_sig(hash);
	uint32_t b1 = ct_primary(ct, hash), i;
	struct ct_entry *e;
	enum ct_dir d;

	ct->stats.lookups++;
	e = ct_bucket_find(ct, &ct->buckets[b1], sig, k, &d);
	if (!e)
		e = ct_bucket_find(ct, &ct->buckets[ct_alt(ct, b1, sig)], sig, k, &d);
	for (i = 0; __builtin_expect(!e && i < ct->n_stash, 0); i++) {
		struct ct_entry *s = ct_ref_entry(ct, ct->stash[i].ref);

		d = (enum ct_dir)((ct->stash[i].ref - 1) & 1);
		if (ct->stash[i].hash == hash && ct_key_eq(&s->n[d].key, k))
			e = s;
	}
	if (!e)
		return NULL;
	ct->stats.found++;
	if (dir)
		*dir = d;
	return e;
}

/* ct_memo_hash() - K's hash from the last ct_prefetch() if K is the key
 * it expects next, or the one after (a packet of the burst that never got
 * to its lookup), or the one just taken (ct_insert() after a lookup that
 * found nothing); else hashed now.  Lookups in between (NAT's port
 * search) leave the place alone. */
static uint64_t ct_memo_hash(struct conntrack *ct, const struct ct_key *k)
{
	uint32_t p = ct->memo_pos;

	if (!ct->memo_n)
		return ct_key_hash64(ct, k);
	if (p < ct->memo_n && ct_key_eq(&ct->memo[p].key, k))
		ct->memo_pos = p + 1;
	else if (p + 1 < ct->memo_n && ct_key_eq(&ct->memo[p + 1].key, k))
		ct->memo_pos = ++p + 1;
	else if (p > 0 && ct_key_eq(&ct->memo[p - 1].key, k))
		p--;
	else
		return ct_key_hash64(ct, k);
	ct->stats.hash_reused++;
	return ct->memo[p].hash;
}

/**
 * ct_lookup() - Find the entry a tuple belongs to
 * @k:		tuple of the packet, pad zeroed
 * @dir:	set to the direction the tuple matched
 *
 * Return: entry, or NULL
 */
struct ct_entry *ct_lookup(struct conntrack *ct, const struct ct_key *k, enum ct_dir *dir)
{
	return ct_lookup_h(ct, k, ct_memo_hash(ct, k), dir);
}

/**
 * ct_prefetch_useful() - Is the table big enough for ct_prefetch() to pay?
 *
 * A small table is in the cache already; there the tuples a caller would
 * build would only cost.
 */
bool ct_prefetch_useful(struct conntrack *ct)
{
	return ct->buckets && ct->stats.entries >= CT_PREFETCH_MIN;
}

/**
 * ct_prefetch() - Hash a burst's keys and warm the cache for their lookups
 * @keys:	tuples the burst will look up, in the order it will
 * @n:		how many (at most CT_PREFETCH_MAX are used)
 *
 * At a million entries a lookup is two cache misses (bucket, then entry)
 * of ~100-160 ns each, and one lookup's misses cannot start before the
 * previous one's end.  Two passes over the burst -- prefetch every
 * primary bucket, then, from each bucket's fingerprints, the entry that
 * matches (or the alternate bucket if none does) -- let the memory
 * system work on all of them at once (DPDK's rte_hash_lookup_bulk, OVS's
 * cmap_find_batch).  The hashes are kept for the ct_lookup() calls that
 * follow, so a packet's key is hashed once.  A hint only: lookups are
 * right whether or not it was called.  Callers ask ct_prefetch_useful().
 */
void ct_prefetch(struct conntrack *ct, const struct ct_key *keys, unsigned int n)
{
	unsigned int i;

	if (!ct_prefetch_useful(ct))
		return;
	if (n > CT_PREFETCH_MAX)
		n = CT_PREFETCH_MAX;
	for (i = 0; i < n; i++) {
		uint64_t h = ct_key_hash64(ct, &keys[i]);

		ct->memo[i].key = keys[i];
		ct->memo[i].hash = h;
		__builtin_prefetch(&ct->buckets[ct_primary(ct, h)]);
	}
	ct->memo_n = n;
	ct->memo_pos = 0;
	for (i = 0; i < n; i++) {
		uint64_t h = ct->memo[i].hash;
		const struct ct_bucket *b = &ct->buckets[ct_primary(ct, h)];
		uint32_t m = ct_sig_match(b, ct_sig(h)), ref;
		const struct ct_node *node;

		if (!m || !(ref = b->ref[__builtin_ctz(m)])) {
			__builtin_prefetch(&ct->buckets[ct_alt(ct, ct_primary(ct, h), ct_sig(h))]);
			continue;
		}
		/* A node may straddle two cache lines: fetch both. */
		node = &ct_ref_entry(ct, ref)->n[(ref - 1) & 1];
		__builtin_prefetch(node);
		__builtin_prefetch((const uint8_t *)(node + 1) - 1);
	}
}

static uint64_t ct_deadline(struct conntrack *ct, const struct ct_entry *e)
{
	return e->last_ms + (uint64_t)ct->timeout_s[e->tclass] * 1000;
}

uint64_t ct_remaining_ms(struct conntrack *ct, const struct ct_entry *e)
{
	uint64_t d = ct_deadline(ct, e), now = ct_now_ms(ct);

	return d > now ? d - now : 0;
}

uint64_t ct_remaining_s(struct conntrack *ct, const struct ct_entry *e)
{
	return ct_remaining_ms(ct, e) / 1000;
}

/* ct_timer_arm() - Arm the one timer for the earliest deadline, if any. */
static void ct_timer_arm(struct conntrack *ct)
{
	uint64_t best = UINT64_MAX, now = ct_now_ms(ct);
	int i;

	if (!ct->loop)
		return;
	for (i = 0; i < CT_TC_MAX; i++) {
		struct ct_entry *h = TAILQ_FIRST(&ct->exp[i]);

		if (h && ct_deadline(ct, h) < best)
			best = ct_deadline(ct, h);
	}
	ev_timer_stop(ct->loop, &ct->timer);
	if (best == UINT64_MAX)
		return;
	ev_timer_set(&ct->timer, best > now ? (double)(best - now) / 1000.0 + 0.01 : 0.,
		     0.);
	ev_timer_start(ct->loop, &ct->timer);
}

/* ct_timer_maybe_arm() - After an insert: arm only if this deadline is
 * earlier than the one the timer waits for (usually it is not). */
static void ct_timer_maybe_arm(struct conntrack *ct, const struct ct_entry *e)
{
	double after;

	if (!ct->loop)
		return;
	if (!ev_is_active(&ct->timer)) {
		ct_timer_arm(ct);
		return;
	}
	after = (double)(ct_deadline(ct, e) - ct_now_ms(ct)) / 1000.0;
	if (after < ev_timer_remaining(ct->loop, &ct->timer))
		ct_timer_arm(ct);
}

/* ct_queue() - Put E at the tail of its class's expiry list, as used at
 * its last_ms (now, or a restored entry's last use). */
static void ct_queue(struct conntrack *ct, struct ct_entry *e)
{
	e->queued = (uint32_t)e->last_ms;
	TAILQ_INSERT_TAIL(&ct->exp[e->tclass], e, exp_link);
}

void ct_set_class(struct conntrack *ct, struct ct_entry *e, enum ct_tclass tc)
{
	TAILQ_REMOVE(&ct->exp[e->tclass], e, exp_link);
	e->tclass = (uint8_t)tc;
	e->last_ms = ct_now_ms(ct);
	ct_queue(ct, e);
	ct_changed(ct, true);
}

/* ct_unlink() - Free E without telling the snapshot: an expired entry is
 * skipped on load anyway (its deadline has passed), so expiry alone never
 * costs a snapshot write. */
static void ct_unlink(struct conntrack *ct, struct ct_entry *e)
{
	if (ct->free_hook)
		ct->free_hook(ct->free_arg, e);
	ct_entry_del(ct, e);
	TAILQ_REMOVE(&ct->exp[e->tclass], e, exp_link);
	ct_owner_detach(ct, e);
	e->proto = 0;            /* a free slot, for ct_walk() */
	*ct_free_next(e) = ct->free;
	ct->free = e;
	ct->stats.entries--;
}

void ct_remove(struct conntrack *ct, struct ct_entry *e)
{
	ct_unlink(ct, e);
	ct_changed(ct, true);
}

/* ct_evict_one() - Make room for ORIG's connection: from an owner over
 * its share (ct_evict_fair()), else the oldest entry that never saw a
 * reply. */
static bool ct_evict_one(struct conntrack *ct, const struct ct_key *orig)
{
	struct ct_entry *best = NULL;
	size_t i;

	if (ct_evict_fair(ct, orig))
		return true;
	for (i = 0; i < sizeof(ct_unassured_classes) / sizeof(ct_unassured_classes[0]); i++) {
		struct ct_entry *h = TAILQ_FIRST(&ct->exp[ct_unassured_classes[i]]);

		if (h && !(h->flags & CT_F_ASSURED) &&
		    (!best || ct_deadline(ct, h) < ct_deadline(ct, best)))
			best = h;
	}
	if (!best)
		return false;
	ct_remove(ct, best);
	ct->stats.evicted++;
	return true;
}

/**
 * ct_insert() - Create an entry for a new connection
 * @orig:	tuple of the first packet
 * @reply:	tuple replies will carry (after NAT), must be unused
 * @zone:	the network's zone, for listings
 * @l4:		the first packet's L4 header, for the protocol state
 * @l4len:	bytes available at @l4
 * @why:	set to the drop reason on failure
 *
 * Return: the entry, or NULL (table full, invalid first packet, clash)
 */
struct ct_entry *ct_insert(struct conntrack *ct, const struct ct_key *orig, const struct ct_key *reply,
			   uint32_t zone, const void *l4, uint32_t l4len,
			   enum drop_reason *why)
{
	const struct ct_l4_proto *l4p = ct_l4(orig->proto);
	uint64_t ho, hr;
	struct ct_entry *e;

	*why = DROP_CT_INVALID;
	if (!l4p || !l4p->valid_new(l4, l4len)) {
		ct->stats.invalid++;
		return NULL;
	}
	ho = ct_memo_hash(ct, orig);
	hr = ct_key_hash64(ct, reply);
	if (ct_lookup_h(ct, orig, ho, NULL) || ct_lookup_h(ct, reply, hr, NULL))
		return NULL;
	if (ct->stats.entries >= ct->limit && !ct_evict_one(ct, orig)) {
		ct->stats.full_drops++;
		*why = DROP_CT_FULL;
		return NULL;
	}
	e = ct_pool_get(ct);
	if (!e) {
		ct->stats.full_drops++;
		*why = DROP_CT_FULL;
		return NULL;
	}
	e->n[0].key = *orig;
	e->n[0].dir = CT_DIR_ORIG;
	e->n[1].key = *reply;
	e->n[1].dir = CT_DIR_REPLY;
	if (ct_entry_add(ct, e, ho, hr) < 0) {
		/* both buckets, the moves and the stash full: below the limit,
		 * so counted apart (see the top) */
		*ct_free_next(e) = ct->free;
		ct->free = e;
		ct->stats.table_full++;
		ct->stats.full_drops++;
		*why = DROP_CT_FULL;
		return NULL;
	}
	e->zone = zone;
	e->proto = orig->proto;
	e->last_ms = ct_now_ms(ct);
	l4p->new_conn(e, l4, l4len);   /* sets e->tclass */
	ct_queue(ct, e);
	ct_owner_attach(ct, e);
	ct->stats.entries++;
	ct->stats.inserted++;
	if (!ct->huge && ct->stats.entries >= CT_HUGE_AT)
		ct_go_huge(ct);
	ct_timer_maybe_arm(ct, e);
	ct_changed(ct, true);
	*why = DROP_NONE;
	return e;
}

/* ct_restore_last() - The last use that leaves an entry of TCLASS
 * REMAINING_MS to live. */
static uint64_t ct_restore_last(struct conntrack *ct, uint8_t tclass, uint64_t remaining_ms)
{
	uint64_t tmo = (uint64_t)ct->timeout_s[tclass] * 1000, now = ct_now_ms(ct);

	if (remaining_ms > tmo)
		remaining_ms = tmo;   /* a clock stepped back, or a shorter timeout */
	return now + remaining_ms > tmo ? now + remaining_ms - tmo : 0;
}

/**
 * ct_restore() - Re-create an entry from a snapshot (ct_snapshot.c)
 * @tmpl:		tuples in n[].key, zone, proto, state, tclass, flags
 * @remaining_ms:	lifetime left
 *
 * No packet vouches for the entry, so the caller has checked it against
 * the model.  Unlike ct_insert(), nothing is evicted for it: when the
 * table is full the rest of a snapshot is lost, not live connections.
 * The snapshot is not told: what was just read needs no writing.  The
 * entry goes to its class's tail whatever its deadline: call
 * ct_restore_finish() after the last one.
 *
 * Return: the entry (map NULL), or NULL on a tuple clash, a full table or
 * a class the protocol does not have
 */
struct ct_entry *ct_restore(struct conntrack *ct, const struct ct_entry *tmpl, uint64_t remaining_ms)
{
	const struct ct_key *o = &tmpl->n[CT_DIR_ORIG].key, *r = &tmpl->n[CT_DIR_REPLY].key;
	struct ct_entry *e;

	if (!ct_l4(tmpl->proto) || tmpl->tclass >= CT_TC_MAX ||
	    o->proto != tmpl->proto || r->proto != tmpl->proto)
		return NULL;
	if (ct_lookup(ct, o, NULL) || ct_lookup(ct, r, NULL) || ct->stats.entries >= ct->limit)
		return NULL;
	e = ct_pool_get(ct);
	if (!e)
		return NULL;
	e->n[0].key = *o;
	e->n[0].dir = CT_DIR_ORIG;
	e->n[1].key = *r;
	e->n[1].dir = CT_DIR_REPLY;
	if (ct_entry_add(ct, e, ct_key_hash64(ct, o), ct_key_hash64(ct, r)) < 0) {
		*ct_free_next(e) = ct->free;
		ct->free = e;
		ct->stats.table_full++;
		return NULL;
	}
	e->zone = tmpl->zone;
	e->proto = tmpl->proto;
	e->state = tmpl->state;
	e->tclass = tmpl->tclass;
	e->flags = tmpl->flags;
	e->last_ms = ct_restore_last(ct, e->tclass, remaining_ms);
	ct_queue(ct, e);
	ct_owner_attach(ct, e);
	ct->stats.entries++;
	ct->stats.restored++;
	return e;
}

static int ct_last_cmp(const void *a, const void *b)
{
	const struct ct_entry *x = *(struct ct_entry *const *)a;
	const struct ct_entry *y = *(struct ct_entry *const *)b;

	return x->last_ms < y->last_ms ? -1 : x->last_ms > y->last_ms;
}

/**
 * ct_restore_finish() - Order the expiry lists after ct_restore(), arm expiry
 *
 * A snapshot comes in pool order, and expiry stays O(expired) only while
 * each list is in last-use order: sort each once, at start-up.  Without
 * memory for that the lists stay as they are, and entries may expire
 * late (behind a later head), never early.
 *
 * Return: 0, or -1 if memory ran out
 */
int ct_restore_finish(struct conntrack *ct)
{
	struct ct_entry **v = malloc((ct->stats.entries + 1) * sizeof(*v)), *e;
	size_t n, j;
	int i;

	for (i = 0; v && i < CT_TC_MAX; i++) {
		n = 0;
		TAILQ_FOREACH(e, &ct->exp[i], exp_link)
			v[n++] = e;
		qsort(v, n, sizeof(*v), ct_last_cmp);
		TAILQ_INIT(&ct->exp[i]);
		for (j = 0; j < n; j++)
			ct_queue(ct, v[j]);
	}
	ct_timer_arm(ct);
	free(v);
	return v ? 0 : -1;
}

/**
 * ct_update() - Run a packet of an existing connection through its state
 * @e:		entry
 * @dir:	direction the packet matched
 * @l4:		L4 header
 * @l4len:	bytes available
 *
 * Refreshes the entry: its last use, and its place in its class's list
 * only if the class changed or the place is CT_REQUEUE_MS old (see the
 * top: a packet of a busy connection writes nothing but the entry).
 *
 * Return: DROP_NONE, or DROP_CT_INVALID if the state machine refuses it
 */
enum drop_reason ct_update(struct conntrack *ct, struct ct_entry *e, enum ct_dir dir,
			   const void *l4, uint32_t l4len)
{
	const struct ct_l4_proto *l4p = ct_l4(e->proto);
	uint8_t old_class = e->tclass, old_state = e->state, old_flags = e->flags;
	enum drop_reason r;

	if (dir == CT_DIR_REPLY)
		e->flags |= CT_F_SEEN_REPLY;
	e->tclass = CT_TC_MAX;     /* conn_update sets the new class */
	r = l4p->conn_update(e, dir, l4, l4len);
	if (e->tclass == CT_TC_MAX)
		e->tclass = old_class;
	if (r != DROP_NONE) {
		ct->stats.invalid++;
		e->tclass = old_class;
		return r;
	}
	e->last_ms = ct_now_ms(ct);
	if (e->tclass != old_class || (uint32_t)e->last_ms - e->queued >= CT_REQUEUE_MS) {
		TAILQ_REMOVE(&ct->exp[old_class], e, exp_link);
		ct_queue(ct, e);
	}
	if (e->tclass != old_class)
		ct_timer_maybe_arm(ct, e);
	if (e->flags != old_flags)
		ct_owner_reflag(ct, e, old_flags);
	ct_changed(ct, e->tclass != old_class || e->state != old_state ||
		   e->flags != old_flags);
	return DROP_NONE;
}

/**
 * ct_expire_run() - Free every expired entry, from the list heads
 *
 * Return: number of entries freed
 */
unsigned int ct_expire_run(struct conntrack *ct)
{
	uint64_t now = ct_now_ms(ct);
	unsigned int n = 0;
	int i;

	for (i = 0; i < CT_TC_MAX; i++) {
		struct ct_entry *h;

		while ((h = TAILQ_FIRST(&ct->exp[i])) && ct_deadline(ct, h) <= now) {
			ct_unlink(ct, h);
			n++;
		}
	}
	ct->stats.expired += n;
	return n;
}

static void ct_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct conntrack *ct = (struct conntrack *)(void *)((char *)w - offsetof(struct conntrack, timer));

	(void)loop;
	(void)revents;
	ct_expire_run(ct);
	ct_timer_arm(ct);
}

/**
 * ct_flush() - Remove entries (control path; walks the expiry lists)
 * @match:	predicate, or NULL for all
 * @arg:	passed to @match
 *
 * Return: number removed
 */
unsigned int ct_flush(struct conntrack *ct, bool (*match)(const struct ct_entry *, void *), void *arg)
{
	unsigned int n = 0;
	int i;

	for (i = 0; i < CT_TC_MAX; i++) {
		struct ct_entry *e, *next;

		for (e = TAILQ_FIRST(&ct->exp[i]); e; e = next) {
			next = TAILQ_NEXT(e, exp_link);
			if (!match || match(e, arg)) {
				ct_remove(ct, e);
				n++;
			}
		}
	}
	if (ct->loop)
		ct_timer_arm(ct);
	return n;
}

void ct_foreach(struct conntrack *ct, void (*fn)(struct ct_entry *, void *), void *arg)
{
	int i;

	for (i = 0; i < CT_TC_MAX; i++) {
		struct ct_entry *e, *next;

		for (e = TAILQ_FIRST(&ct->exp[i]); e; e = next) {
			next = TAILQ_NEXT(e, exp_link);
			fn(e, arg);
		}
	}
}

/**
 * ct_walk() - Visit live entries in pool order, a bounded number at a time
 * @cursor:	slot to start at (0 at first): chunk << 32 | slot in it; advanced
 * @budget:	slots to look at in this call
 * @fn:		called for each live entry
 * @arg:	passed to @fn
 *
 * Unlike ct_foreach(), one walk may be spread over many loop iterations
 * while the table changes (the snapshot's encoding does so to bound its
 * pause): slots never move, since the pool is never returned; a freed
 * slot reads as protocol 0 and is skipped; an entry is visited at most
 * once, in its slot; one made behind the cursor is missed.
 *
 * Return: true when every slot has been visited
 */
bool ct_walk(struct conntrack *ct, uint64_t *cursor, uint32_t budget,
	     void (*fn)(struct ct_entry *, void *), void *arg)
{
	for (;;) {
		uint32_t ci = (uint32_t)(*cursor >> 32), slot = (uint32_t)*cursor;
		struct ct_entry *e;

		if (ci >= ct->n_chunks)
			return true;
		if (slot >= ct->chunks[ci].bytes / sizeof(*e)) {	/* chunks differ in size */
			*cursor = (uint64_t)(ci + 1) << 32;
			continue;
		}
		if (!budget)
			return false;
		budget--;
		e = &ct->chunks[ci].e[slot];
		(*cursor)++;
		if (e->proto)
			fn(e, arg);
	}
}

const struct ct_stats *ct_get_stats(struct conntrack *ct)
{
	return &ct->stats;
}

/**
 * ct_set_free_hook() - Who is told before an entry is freed
 * @ct:		table
 * @fn:		called with @arg and the entry, or NULL
 * @arg:	the owner's instance (NAT releases the entry's port mapping)
 */
void ct_set_free_hook(struct conntrack *ct, void (*fn)(void *, struct ct_entry *),
		      void *arg)
{
	ct->free_hook = fn;
	ct->free_arg = arg;
}

/**
 * ct_set_change_hook() - Who is told when the table changes
 * @ct:		table
 * @fn:		called with @arg and STRUCTURAL (see ct.h), or NULL
 * @arg:	the owner's instance (the snapshot schedules a write)
 */
void ct_set_change_hook(struct conntrack *ct, void (*fn)(void *, bool), void *arg)
{
	ct->change_hook = fn;
	ct->change_arg = arg;
}
