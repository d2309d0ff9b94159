/* ct.c - the connection tracking table: lookup, insert, expiry, limits.
 *
 * DOC: Theory of Operation
 *
 * Every connection is one struct ct_entry holding two hash nodes, one per
 * direction (see ct.h).  The table is a power-of-two array of bucket
 * chains, sized once from the entry limit (one bucket per allowed entry
 * and direction / 2), so chains stay short and nothing rehashes while
 * packets flow.  The hash is the switch's keyed hash (hash.h, SipHash-1-3)
 * under the process's secret basis, as the kernel keys its conntrack hash
 * with nf_conntrack_hash_rnd: an outsider who can pick our tuples cannot
 * pick our buckets.
 *
 * Memory: entries come from a pool grown in chunks (see Pages below) and
 * never returned (bounded by the limit), so a packet never calls malloc.
 * An entry is 176 bytes (24 of them its owner's link, for fair
 * eviction); with its share of the bucket array about 195 bytes, so a
 * million entries fit in ~200 MB.  There are twice as many
 * buckets as entries allowed (so a chain holds about one node).
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
 * sits in that class's expiry list, ordered by last use.  Every entry of a
 * class has the same timeout, so appending at the tail on each use keeps
 * the list ordered by deadline as well.  One libev timer is armed for the
 * earliest head among the classes; when it fires, heads are popped while
 * expired -- the work is O(expired), never O(table) -- and the timer is
 * re-armed, or left stopped when the table is empty (no idle wake-ups).
 * A used entry moves to its tail, so the timer may fire early and find
 * nothing: that costs one look at each head (ev.pod, "Be smart about
 * timeouts", method 3).
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
#include "ct.h"
#include "hash.h"

#define CT_HUGE (2u << 20)
#define CT_CHUNK_SMALL_BYTES (256u << 10)
#define CT_CHUNK_SMALL ((uint32_t)(CT_CHUNK_SMALL_BYTES / sizeof(struct ct_entry)))
/* About 2.5 MB of entries: past what caches and a 4 KB TLB reach cover. */
#define CT_HUGE_AT 16384
#define CT_PREFETCH_MIN CT_HUGE_AT
#define CT_MIN_BUCKETS 1024


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
 * ct_key_hash() - Keyed hash of a tuple
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
 * Return: 32-bit hash, dependent on the process's secret basis
 */
uint32_t ct_key_hash(struct conntrack *ct, const struct ct_key *k)
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

		return hash_bytes(&c, sizeof(c), ct->basis);
	}
	return hash_bytes(k, sizeof(*k), ct->basis);
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
	return ((size_t)nb * sizeof(struct ct_node *) + CT_HUGE - 1) & ~(size_t)(CT_HUGE - 1);
}

/* Two buckets per allowed entry: each entry has two nodes. */
static uint32_t ct_buckets_for(uint32_t limit)
{
	uint32_t n = CT_MIN_BUCKETS;

	while (n < 2 * (uint64_t)limit && n < (1u << 30))
		n <<= 1;
	return n;
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
 * into, the list of owners holding as many entries as it does. */
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
	/* counts move by one, so this loop runs once at most, amortised */
	while (ct->max_count && !ct->by_count[ct->max_count])
		ct->max_count--;
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
	if (o->n)
		ct_count_unlink(ct, i);
	o->n++;
	ct_count_link(ct, i);
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
	ct_count_unlink(ct, e->owner);
	if (--o->n)
		ct_count_link(ct, e->owner);
	else
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
	uint32_t n = CT_MIN_BUCKETS;

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
 * bucket array is made again on them and rehashed, once, which costs
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
 * @limit:	new limit, at least 1
 *
 * Existing entries are rehashed into the new bucket array (control path
 * only).  Lowering the limit below the current count refuses new entries
 * until enough expire.
 *
 * Return: 0, or -1 if memory ran out (the old table stays)
 */
int ct_set_limit(struct conntrack *ct, uint32_t limit)
{
	uint32_t nb = ct_buckets_for(limit), max_chunks, i;
	struct ct_node **b;
	struct ct_chunk *chunks;

	if (limit == 0)
		return -1;
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
	b = ct_pages_alloc(ct_buckets_bytes(nb), ct->huge);
	if (!b)
		return -1;
	for (i = 0; ct->buckets && i <= ct->mask; i++) {
		struct ct_node *n = ct->buckets[i], *next;

		for (; n; n = next) {
			uint32_t h = ct_key_hash(ct, &n->key) & (nb - 1);

			next = n->next;
			n->next = b[h];
			b[h] = n;
		}
	}
	if (ct->buckets)
		ct_pages_free(ct->buckets, ct_buckets_bytes(ct->mask + 1));
	ct->buckets = b;
	ct->mask = nb - 1;
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

/* ct_pool_get() - An entry from the freelist, growing by one chunk. */
static struct ct_entry *ct_pool_get(struct conntrack *ct)
{
	size_t bytes = ct->huge ? CT_HUGE : CT_CHUNK_SMALL_BYTES;
	struct ct_entry *e, *chunk;
	int i;

	if (!ct->free) {
		if (ct->n_chunks >= ct->max_chunks)
			return NULL;
		chunk = ct_pages_alloc(bytes, ct->huge);
		if (!chunk)
			return NULL;
		ct->chunks[ct->n_chunks].e = chunk;
		ct->chunks[ct->n_chunks++].bytes = bytes;
		for (i = (int)(bytes / sizeof(*chunk)) - 1; i >= 0; i--) {
			chunk[i].n[0].next = (struct ct_node *)ct->free;
			ct->free = &chunk[i];
		}
	}
	e = ct->free;
	ct->free = (struct ct_entry *)e->n[0].next;
	memset(e, 0, sizeof(*e));
	return e;
}

static void ct_bucket_add(struct conntrack *ct, struct ct_node *n)
{
	uint32_t h = ct_key_hash(ct, &n->key) & ct->mask;

	n->next = ct->buckets[h];
	ct->buckets[h] = n;
}

static void ct_bucket_del(struct conntrack *ct, struct ct_node *n)
{
	struct ct_node **pp = &ct->buckets[ct_key_hash(ct, &n->key) & ct->mask];

	for (; *pp; pp = &(*pp)->next)
		if (*pp == n) {
			*pp = n->next;
			return;
		}
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
	struct ct_node *n = ct->buckets[ct_key_hash(ct, k) & ct->mask];

	ct->stats.lookups++;
	for (; n; n = n->next)
		if (!memcmp(&n->key, k, sizeof(*k))) {
			ct->stats.found++;
			if (dir)
				*dir = n->dir;
			return ct_node_entry(n);
		}
	return NULL;
}

/**
 * ct_prefetch_useful() - Is the table big enough for ct_prefetch() to pay?
 *
 * A small table is in the cache already; there the tuples a caller would
 * build and the extra hashing would only cost.
 */
bool ct_prefetch_useful(struct conntrack *ct)
{
	return ct->buckets && ct->stats.entries >= CT_PREFETCH_MIN;
}

/**
 * ct_prefetch() - Warm the cache for the lookups of a burst
 * @keys:	tuples the burst will look up
 * @n:		how many (at most CT_PREFETCH_MAX are used)
 *
 * At a million entries a lookup is two or three cache misses (bucket, then
 * node) of ~100 ns each, and one lookup's misses cannot start before the
 * previous one's end.  Two passes over the burst -- prefetch every bucket,
 * then every first node -- let the memory system work on all of them at
 * once (OVS's dpcls and EMC do the same per batch), so the per-packet
 * ct_lookup() that follows mostly hits the cache.  A hint only: nothing
 * changes if it is not called.  Callers ask ct_prefetch_useful() first.
 */
void ct_prefetch(struct conntrack *ct, const struct ct_key *keys, unsigned int n)
{
	struct ct_node **slot[CT_PREFETCH_MAX];
	unsigned int i;

	if (!ct_prefetch_useful(ct))
		return;
	if (n > CT_PREFETCH_MAX)
		n = CT_PREFETCH_MAX;
	for (i = 0; i < n; i++) {
		slot[i] = &ct->buckets[ct_key_hash(ct, &keys[i]) & ct->mask];
		__builtin_prefetch(slot[i]);
	}
	for (i = 0; i < n; i++) {
		const struct ct_node *node = *slot[i];

		if (!node)
			continue;
		/* A node may straddle two cache lines: fetch both. */
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

void ct_set_class(struct conntrack *ct, struct ct_entry *e, enum ct_tclass tc)
{
	TAILQ_REMOVE(&ct->exp[e->tclass], e, exp_link);
	e->tclass = (uint8_t)tc;
	e->last_ms = ct_now_ms(ct);
	TAILQ_INSERT_TAIL(&ct->exp[tc], e, exp_link);
	ct_changed(ct, true);
}

/* ct_unlink() - Free E without telling the snapshot: an expired entry is
 * skipped on load anyway (its deadline has passed), so expiry alone never
 * costs a snapshot write. */
static void ct_unlink(struct conntrack *ct, struct ct_entry *e)
{
	if (ct->free_hook)
		ct->free_hook(ct->free_arg, e);
	ct_bucket_del(ct, &e->n[0]);
	ct_bucket_del(ct, &e->n[1]);
	TAILQ_REMOVE(&ct->exp[e->tclass], e, exp_link);
	ct_owner_detach(ct, e);
	e->proto = 0;            /* a free slot, for ct_walk() */
	e->n[0].next = (struct ct_node *)ct->free;
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
	struct ct_entry *e;

	*why = DROP_CT_INVALID;
	if (!l4p || !l4p->valid_new(l4, l4len)) {
		ct->stats.invalid++;
		return NULL;
	}
	if (ct_lookup(ct, orig, NULL) || ct_lookup(ct, reply, NULL))
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
	e->zone = zone;
	e->proto = orig->proto;
	e->last_ms = ct_now_ms(ct);
	l4p->new_conn(e, l4, l4len);   /* sets e->tclass */
	ct_bucket_add(ct, &e->n[0]);
	ct_bucket_add(ct, &e->n[1]);
	TAILQ_INSERT_TAIL(&ct->exp[e->tclass], e, exp_link);
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
	e->zone = tmpl->zone;
	e->proto = tmpl->proto;
	e->state = tmpl->state;
	e->tclass = tmpl->tclass;
	e->flags = tmpl->flags;
	e->last_ms = ct_restore_last(ct, e->tclass, remaining_ms);
	ct_bucket_add(ct, &e->n[0]);
	ct_bucket_add(ct, &e->n[1]);
	TAILQ_INSERT_TAIL(&ct->exp[e->tclass], e, exp_link);
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
			TAILQ_INSERT_TAIL(&ct->exp[i], v[j], exp_link);
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
 * Refreshes the entry (moves it to its class's tail).
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
	TAILQ_REMOVE(&ct->exp[old_class], e, exp_link);
	e->last_ms = ct_now_ms(ct);
	TAILQ_INSERT_TAIL(&ct->exp[e->tclass], e, exp_link);
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
