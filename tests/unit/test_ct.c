/* test_ct.c - conntrack: tuple hashing, the TCP state machine, UDP/ICMP,
 * timeouts, expiry order (lazy re-queueing), the table limit, and the
 * cuckoo table itself (displacement, stash, refusal, hash reuse).  No event loop: the table
 * runs on a test clock and ct_expire_run() is called by hand. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/ip_icmp.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <cmocka.h>
#include "ct.h"

/* The table under test: an instance, as the datapath context holds one. */
static struct conntrack test_ct;

static void key(struct ct_key *k, uint8_t proto, uint32_t zone, uint32_t s,
		uint32_t d, uint16_t sp, uint16_t dp)
{
	memset(k, 0, sizeof(*k));
	s = htonl(s);
	d = htonl(d);
	vs_addr_set_v4(&k->src, s);
	vs_addr_set_v4(&k->dst, d);
	k->sport = htons(sp);
	k->dport = htons(dp);
	k->zone = zone;
	k->family = AF_INET;
	k->proto = proto;
}

static int setup(void **state)
{
	(void)state;
	ct_set_test_clock(&test_ct, 1000000);
	return ct_init(&test_ct, NULL, 1000);
}

static int teardown(void **state)
{
	(void)state;
	ct_fini(&test_ct);
	return 0;
}

static struct tcphdr tcp(int syn, int ack, int fin, int rst)
{
	struct tcphdr t;

	memset(&t, 0, sizeof(t));
	t.syn = syn & 1;
	t.ack = ack & 1;
	t.fin = fin & 1;
	t.rst = rst & 1;
	t.doff = 5;
	return t;
}

static void test_ct_hash(void **state)
{
	struct ct_key a, b;

	(void)state;
	key(&a, IPPROTO_TCP, 1, 0xac120002, 0xc6336410, 40000, 80);
	b = a;
	assert_int_equal(ct_key_hash(&test_ct, &a), ct_key_hash(&test_ct, &b));
	b.zone = 2;
	assert_int_not_equal(ct_key_hash(&test_ct, &a), ct_key_hash(&test_ct, &b));
	b = a;
	b.sport = htons(40001);
	assert_int_not_equal(ct_key_hash(&test_ct, &a), ct_key_hash(&test_ct, &b));
	ct_key_invert(&a, &b);
	assert_int_equal(b.sport, a.dport);
	assert_memory_equal(&b.src, &a.dst, 16);
	ct_key_invert(&b, &b);
	assert_memory_equal(&a, &b, sizeof(a));
}

static void test_ct_both_directions(void **state)
{
	struct ct_key o, r;
	struct tcphdr th = tcp(1, 0, 0, 0);
	struct ct_entry *e;
	enum drop_reason why;
	enum ct_dir dir;

	(void)state;
	key(&o, IPPROTO_TCP, 1, 0xac120002, 0xc6336410, 40000, 80);
	key(&r, IPPROTO_TCP, 0, 0xc6336410, 0xc6336401, 80, 40000);
	e = ct_insert(&test_ct, &o, &r, 1, &th, sizeof(th), &why);
	assert_non_null(e);
	assert_ptr_equal(ct_lookup(&test_ct, &o, &dir), e);
	assert_int_equal(dir, CT_DIR_ORIG);
	assert_ptr_equal(ct_lookup(&test_ct, &r, &dir), e);
	assert_int_equal(dir, CT_DIR_REPLY);
	/* a clash on either tuple is refused */
	assert_null(ct_insert(&test_ct, &o, &r, 1, &th, sizeof(th), &why));
	ct_remove(&test_ct, e);
	assert_null(ct_lookup(&test_ct, &o, NULL));
	assert_null(ct_lookup(&test_ct, &r, NULL));
}

static struct ct_entry *tcp_conn(void)
{
	struct ct_key o, r;
	struct tcphdr th = tcp(1, 0, 0, 0);
	enum drop_reason why;

	key(&o, IPPROTO_TCP, 1, 0xac120002, 0xc6336410, 40000, 80);
	ct_key_invert(&o, &r);
	r.zone = 0;
	return ct_insert(&test_ct, &o, &r, 1, &th, sizeof(th), &why);
}

static void step(struct ct_entry *e, enum ct_dir d, struct tcphdr th,
		 enum ct_tcp_state want)
{
	assert_int_equal(ct_update(&test_ct, e, d, &th, sizeof(th)), DROP_NONE);
	assert_string_equal(ct_l4_tcp.state_name(e),
			    ct_l4_tcp.state_name(&(struct ct_entry){ .state = (uint8_t)want }));
}

static void test_ct_tcp_lifecycle(void **state)
{
	struct ct_entry *e = tcp_conn();
	struct tcphdr bad;

	(void)state;
	assert_non_null(e);
	assert_int_equal(e->state, CT_TCP_SYN_SENT);
	step(e, CT_DIR_REPLY, tcp(1, 1, 0, 0), CT_TCP_SYN_RECV);
	assert_false(e->flags & CT_F_ASSURED);
	step(e, CT_DIR_ORIG, tcp(0, 1, 0, 0), CT_TCP_ESTABLISHED);
	assert_true(e->flags & CT_F_ASSURED);
	assert_int_equal(e->tclass, CT_TC_TCP_ESTABLISHED);
	assert_true(ct_remaining_s(&test_ct, e) >= 7440);
	step(e, CT_DIR_ORIG, tcp(0, 1, 1, 0), CT_TCP_FIN_WAIT);
	step(e, CT_DIR_REPLY, tcp(0, 1, 0, 0), CT_TCP_CLOSE_WAIT);
	step(e, CT_DIR_REPLY, tcp(0, 1, 1, 0), CT_TCP_LAST_ACK);
	step(e, CT_DIR_ORIG, tcp(0, 1, 0, 0), CT_TCP_TIME_WAIT);
	assert_true(ct_remaining_s(&test_ct, e) >= 240);
	/* a new SYN on a TIME_WAIT tuple reopens it */
	step(e, CT_DIR_ORIG, tcp(1, 0, 0, 0), CT_TCP_SYN_SENT);
	assert_false(e->flags & CT_F_ASSURED);
	/* SYN+ACK from the originator is invalid in SYN_SENT */
	bad = tcp(1, 1, 0, 0);
	assert_int_equal(ct_update(&test_ct, e, CT_DIR_ORIG, &bad, sizeof(bad)), DROP_CT_INVALID);
	assert_int_equal(e->state, CT_TCP_SYN_SENT);
	/* truncated header */
	assert_int_equal(ct_update(&test_ct, e, CT_DIR_ORIG, &bad, 10), DROP_BAD_L4);
	ct_remove(&test_ct, e);
}

static void test_ct_tcp_rst(void **state)
{
	struct ct_entry *e = tcp_conn();

	(void)state;
	step(e, CT_DIR_REPLY, tcp(1, 1, 0, 0), CT_TCP_SYN_RECV);
	step(e, CT_DIR_ORIG, tcp(0, 1, 0, 0), CT_TCP_ESTABLISHED);
	step(e, CT_DIR_REPLY, tcp(0, 0, 0, 1), CT_TCP_CLOSE);
	assert_int_equal(e->tclass, CT_TC_TCP_CLOSE);
	ct_remove(&test_ct, e);
}

static void test_ct_tcp_only_syn_opens(void **state)
{
	struct ct_key o, r;
	struct tcphdr th = tcp(0, 1, 0, 0);
	enum drop_reason why;

	(void)state;
	key(&o, IPPROTO_TCP, 1, 1, 2, 3, 4);
	ct_key_invert(&o, &r);
	assert_null(ct_insert(&test_ct, &o, &r, 1, &th, sizeof(th), &why));
	assert_int_equal(why, DROP_CT_INVALID);
}

static void test_ct_udp_icmp(void **state)
{
	struct ct_key o, r;
	struct udphdr uh = { 0 };
	struct icmphdr req = { .type = ICMP_ECHO }, rep = { .type = ICMP_ECHOREPLY };
	struct ct_entry *e;
	enum drop_reason why;

	(void)state;
	key(&o, IPPROTO_UDP, 1, 1, 2, 3, 4);
	ct_key_invert(&o, &r);
	e = ct_insert(&test_ct, &o, &r, 1, &uh, sizeof(uh), &why);
	assert_non_null(e);
	assert_int_equal(e->tclass, CT_TC_UDP_UNREPLIED);
	assert_true(ct_remaining_s(&test_ct, e) >= 120);
	assert_int_equal(ct_update(&test_ct, e, CT_DIR_REPLY, &uh, sizeof(uh)), DROP_NONE);
	assert_true(e->flags & CT_F_ASSURED);
	assert_int_equal(e->tclass, CT_TC_UDP_ASSURED);

	key(&o, IPPROTO_ICMP, 1, 1, 2, 7, 7);
	ct_key_invert(&o, &r);
	assert_null(ct_insert(&test_ct, &o, &r, 1, &rep, sizeof(rep), &why));   /* reply can't open */
	e = ct_insert(&test_ct, &o, &r, 1, &req, sizeof(req), &why);
	assert_non_null(e);
	assert_int_equal(ct_update(&test_ct, e, CT_DIR_ORIG, &rep, sizeof(rep)), DROP_CT_INVALID);
	assert_int_equal(ct_update(&test_ct, e, CT_DIR_REPLY, &rep, sizeof(rep)), DROP_NONE);
	assert_true(e->flags & CT_F_ASSURED);
}

static void test_ct_timeouts_rfc(void **state)
{
	(void)state;
	assert_true(ct_get_timeout(&test_ct, CT_TC_TCP_ESTABLISHED) >= 7440);
	assert_true(ct_get_timeout(&test_ct, CT_TC_UDP_UNREPLIED) >= 120);
	assert_true(ct_get_timeout(&test_ct, CT_TC_UDP_ASSURED) >= 120);
	assert_true(ct_get_timeout(&test_ct, CT_TC_TCP_SYN_SENT) >= 240);
	assert_true(ct_get_timeout(&test_ct, CT_TC_TCP_TIME_WAIT) >= 240);
	assert_int_equal(ct_set_timeout(&test_ct, CT_TC_UDP_UNREPLIED, 50), 0);
	assert_int_equal(ct_get_timeout(&test_ct, CT_TC_UDP_UNREPLIED), 50);
	assert_int_equal(ct_set_timeout(&test_ct, CT_TC_MAX, 50), -1);
}

static void test_ct_expiry_order(void **state)
{
	struct ct_key o, r;
	struct udphdr uh = { 0 };
	struct ct_entry *e[5];
	enum drop_reason why;
	uint64_t t0 = 1000000;
	int i;

	(void)state;
	for (i = 0; i < 5; i++) {
		ct_set_test_clock(&test_ct, t0 + (uint64_t)i * 1000);
		key(&o, IPPROTO_UDP, 1, 1, 2, (uint16_t)(100 + i), 53);
		ct_key_invert(&o, &r);
		e[i] = ct_insert(&test_ct, &o, &r, 1, &uh, sizeof(uh), &why);
		assert_non_null(e[i]);
	}
	/* refresh entry 0: it moves behind the others */
	ct_set_test_clock(&test_ct, t0 + 10000);
	assert_int_equal(ct_update(&test_ct, e[0], CT_DIR_ORIG, &uh, sizeof(uh)), DROP_NONE);
	/* just before 1 expires: nothing */
	ct_set_test_clock(&test_ct, t0 + 1000 + 120000 - 1);
	assert_int_equal(ct_expire_run(&test_ct), 0);
	/* 1 and 2 expire, in order; 0 was refreshed */
	ct_set_test_clock(&test_ct, t0 + 2000 + 120000);
	assert_int_equal(ct_expire_run(&test_ct), 2);
	assert_int_equal(ct_get_stats(&test_ct)->entries, 3);
	key(&o, IPPROTO_UDP, 1, 1, 2, 100, 53);
	assert_non_null(ct_lookup(&test_ct, &o, NULL));
	key(&o, IPPROTO_UDP, 1, 1, 2, 101, 53);
	assert_null(ct_lookup(&test_ct, &o, NULL));
	ct_set_test_clock(&test_ct, t0 + 10000 + 120000);
	assert_int_equal(ct_expire_run(&test_ct), 3);
	assert_int_equal(ct_get_stats(&test_ct)->entries, 0);
}

static void test_ct_limit_evicts_unassured(void **state)
{
	struct ct_key o, r;
	struct tcphdr syn = tcp(1, 0, 0, 0);
	struct udphdr uh = { 0 };
	enum drop_reason why;
	struct ct_entry *e;
	int i;

	(void)state;
	ct_fini(&test_ct);
	ct_set_test_clock(&test_ct, 5000);
	assert_int_equal(ct_init(&test_ct, NULL, 3), 0);
	/* two established TCP connections, one unreplied UDP */
	for (i = 0; i < 2; i++) {
		key(&o, IPPROTO_TCP, 1, 1, 2, (uint16_t)(1000 + i), 80);
		ct_key_invert(&o, &r);
		e = ct_insert(&test_ct, &o, &r, 1, &syn, sizeof(syn), &why);
		step(e, CT_DIR_REPLY, tcp(1, 1, 0, 0), CT_TCP_SYN_RECV);
		step(e, CT_DIR_ORIG, tcp(0, 1, 0, 0), CT_TCP_ESTABLISHED);
	}
	key(&o, IPPROTO_UDP, 1, 1, 2, 5, 53);
	ct_key_invert(&o, &r);
	assert_non_null(ct_insert(&test_ct, &o, &r, 1, &uh, sizeof(uh), &why));
	/* full: the unreplied UDP entry makes room */
	key(&o, IPPROTO_UDP, 1, 1, 2, 6, 53);
	ct_key_invert(&o, &r);
	e = ct_insert(&test_ct, &o, &r, 1, &uh, sizeof(uh), &why);
	assert_non_null(e);
	assert_int_equal(ct_get_stats(&test_ct)->evicted, 1);
	key(&o, IPPROTO_UDP, 1, 1, 2, 5, 53);
	assert_null(ct_lookup(&test_ct, &o, NULL));
	/* make the new one assured: now nothing can go, the next is refused */
	assert_int_equal(ct_update(&test_ct, e, CT_DIR_REPLY, &uh, sizeof(uh)), DROP_NONE);
	key(&o, IPPROTO_UDP, 1, 1, 2, 7, 53);
	ct_key_invert(&o, &r);
	assert_null(ct_insert(&test_ct, &o, &r, 1, &uh, sizeof(uh), &why));
	assert_int_equal(why, DROP_CT_FULL);
	assert_int_equal(ct_get_stats(&test_ct)->full_drops, 1);
	assert_int_equal(ct_flush(&test_ct, NULL, NULL), 3);
}

/* A UDP tuple of zone 1 from 10.1.0.1 to 10.2.0.2:53 from port SPORT,
 * its reply (zone 0), and the buckets of both. */
struct cand {
	struct ct_key o, r;
	uint32_t b1, b2, rb1, rb2;
};

static void cand_make(struct cand *c, uint16_t sport)
{
	key(&c->o, IPPROTO_UDP, 1, 0x0a010001, 0x0a020002, sport, 53);
	ct_key_invert(&c->o, &c->r);
	c->r.zone = 0;
	ct_key_buckets(&test_ct, &c->o, &c->b1, &c->b2);
	ct_key_buckets(&test_ct, &c->r, &c->rb1, &c->rb2);
}

static struct ct_entry *cand_insert(const struct cand *c)
{
	struct udphdr uh = { 0 };
	enum drop_reason why;

	return ct_insert(&test_ct, &c->o, &c->r, 1, &uh, sizeof(uh), &why);
}

/* Both tuples found, in their directions. */
static void cand_found(const struct cand *c, struct ct_entry *e)
{
	enum ct_dir dir;

	assert_ptr_equal(ct_lookup(&test_ct, &c->o, &dir), e);
	assert_int_equal(dir, CT_DIR_ORIG);
	assert_ptr_equal(ct_lookup(&test_ct, &c->r, &dir), e);
	assert_int_equal(dir, CT_DIR_REPLY);
}

/* Insert, lookup and delete in the cuckoo table: every entry is found by
 * both tuples, a deleted one by neither, and the table holds exactly the
 * live tuples in their own buckets after each step. */
static void test_ct_cuckoo_insert_lookup_delete(void **state)
{
	static struct cand c[200];
	struct ct_entry *e[200];
	uint32_t i, b1, b2;

	(void)state;
	for (i = 0; i < 200; i++) {
		cand_make(&c[i], (uint16_t)(1000 + i));
		assert_int_not_equal(c[i].b1, c[i].b2);
		ct_key_buckets(&test_ct, &c[i].o, &b1, &b2);
		assert_int_equal(b1, c[i].b1);         /* a function of the key */
		e[i] = cand_insert(&c[i]);
		assert_non_null(e[i]);
	}
	assert_int_equal(ct_table_check(&test_ct), 0);
	for (i = 0; i < 200; i++)
		cand_found(&c[i], e[i]);
	for (i = 0; i < 200; i += 2)
		ct_remove(&test_ct, e[i]);
	assert_int_equal(ct_table_check(&test_ct), 0);
	for (i = 0; i < 200; i++) {
		if (i % 2) {
			cand_found(&c[i], e[i]);
		} else {
			assert_null(ct_lookup(&test_ct, &c[i].o, NULL));
			assert_null(ct_lookup(&test_ct, &c[i].r, NULL));
		}
	}
	/* slots are reused */
	for (i = 0; i < 200; i += 2)
		assert_non_null((e[i] = cand_insert(&c[i])));
	assert_int_equal(ct_table_check(&test_ct), 0);
	assert_int_equal(ct_flush(&test_ct, NULL, NULL), 200);
	assert_int_equal(ct_table_check(&test_ct), 0);
}

/* A small table (limit 32: 16 buckets): find keys by their buckets. */
static uint32_t cands_where(struct cand *out, uint32_t max, uint32_t b1, uint32_t b2,
			    uint32_t avoid1, uint32_t avoid2, const struct cand *not)
{
	uint32_t n = 0, sp;
	struct cand c;

	for (sp = 1; sp < 65536 && n < max; sp++) {
		cand_make(&c, (uint16_t)sp);
		if (c.b1 != b1 || (b2 != UINT32_MAX && c.b2 != b2) ||
		    (b2 == UINT32_MAX && (c.b2 == avoid1 || c.b2 == avoid2)) ||
		    c.rb1 == avoid1 || c.rb1 == avoid2 || (not && !memcmp(&c.o, &not->o, sizeof(c.o))))
			continue;
		out[n++] = c;
	}
	return n;
}

static void small_table(void)
{
	ct_fini(&test_ct);
	ct_set_test_clock(&test_ct, 1000000);
	assert_int_equal(ct_init(&test_ct, NULL, 32), 0);
}

/* Both buckets of a new tuple full: a tuple of one of them moves to its
 * other bucket (cuckoo displacement), nothing goes to the stash, and
 * everything stays found. */
static void test_ct_cuckoo_full_bucket_displacement(void **state)
{
	static struct cand k, a[8], c[8];
	struct ct_entry *ea[8], *ec[8], *ek;
	uint32_t i;

	(void)state;
	small_table();
	cand_make(&k, 7);
	while (k.rb1 == k.b1 || k.rb1 == k.b2)
		cand_make(&k, (uint16_t)(k.o.sport + 1));
	/* 8 tuples fill k's first bucket, 8 its second; their other buckets
	 * and all replies are elsewhere */
	assert_int_equal(cands_where(a, 8, k.b1, UINT32_MAX, k.b1, k.b2, &k), 8);
	assert_int_equal(cands_where(c, 8, k.b2, UINT32_MAX, k.b1, k.b2, &k), 8);
	for (i = 0; i < 8; i++)
		assert_non_null((ea[i] = cand_insert(&a[i])));
	for (i = 0; i < 8; i++)
		assert_non_null((ec[i] = cand_insert(&c[i])));
	assert_int_equal(ct_get_stats(&test_ct)->cuckoo_moves, 0);
	ek = cand_insert(&k);
	assert_non_null(ek);
	assert_true(ct_get_stats(&test_ct)->cuckoo_moves >= 1);
	assert_int_equal(ct_get_stats(&test_ct)->stashed, 0);
	cand_found(&k, ek);
	for (i = 0; i < 8; i++) {
		cand_found(&a[i], ea[i]);
		cand_found(&c[i], ec[i]);
	}
	assert_int_equal(ct_table_check(&test_ct), 0);
}

/* Tuples that all share the same two buckets: the 17th finds no move and
 * goes to the stash (still found), leaves it when room comes back, and
 * with the stash full too an insert below the limit is refused cleanly:
 * DROP_CT_FULL, counted as table_full, nothing half-inserted. */
static void test_ct_cuckoo_stash_and_refusal(void **state)
{
	static struct cand first, same[26];
	struct ct_entry *e[26];
	struct udphdr uh = { 0 };
	enum drop_reason why;
	uint32_t i;

	(void)state;
	small_table();
	cand_make(&first, 1);
	assert_int_equal(cands_where(same, 26, first.b1, first.b2, first.b1, first.b2, NULL), 26);
	for (i = 0; i < 16; i++)
		assert_non_null((e[i] = cand_insert(&same[i])));
	assert_int_equal(ct_get_stats(&test_ct)->stashed, 0);
	assert_non_null((e[16] = cand_insert(&same[16])));
	assert_int_equal(ct_get_stats(&test_ct)->stashed, 1);
	cand_found(&same[16], e[16]);
	assert_int_equal(ct_table_check(&test_ct), 0);
	/* room in a bucket: the stashed tuple goes back into it */
	ct_remove(&test_ct, e[0]);
	assert_int_equal(test_ct.n_stash, 0);
	cand_found(&same[16], e[16]);
	assert_int_equal(ct_table_check(&test_ct), 0);
	assert_non_null((e[0] = cand_insert(&same[0])));
	for (i = 17; i < 24; i++)
		assert_non_null((e[i] = cand_insert(&same[i])));
	assert_int_equal(test_ct.n_stash, CT_STASH);
	/* 24 entries, limit 32: refused all the same, and counted */
	assert_null(ct_insert(&test_ct, &same[24].o, &same[24].r, 1, &uh, sizeof(uh), &why));
	assert_int_equal(why, DROP_CT_FULL);
	assert_int_equal(ct_get_stats(&test_ct)->table_full, 1);
	assert_int_equal(ct_get_stats(&test_ct)->full_drops, 1);
	assert_int_equal(ct_get_stats(&test_ct)->entries, 24);
	assert_null(ct_lookup(&test_ct, &same[24].o, NULL));
	assert_null(ct_lookup(&test_ct, &same[24].r, NULL));
	assert_int_equal(ct_table_check(&test_ct), 0);
	for (i = 0; i < 24; i++)
		cand_found(&same[i], e[i]);
	assert_int_equal(ct_flush(&test_ct, NULL, NULL), 24);
	assert_int_equal(test_ct.n_stash, 0);
	assert_int_equal(ct_table_check(&test_ct), 0);
}

/* Lazy re-queueing: a packet within CT_REQUEUE_MS of an entry's place in
 * its expiry list writes only the entry.  Expiry is never early, and an
 * entry behind such a refreshed head is at most that much late. */
static void test_ct_lazy_requeue(void **state)
{
	struct udphdr uh = { 0 };
	struct ct_entry *a, *b;
	struct cand ca, cb;
	uint64_t t0 = 1000000;

	(void)state;
	cand_make(&ca, 1);
	cand_make(&cb, 2);
	a = cand_insert(&ca);
	ct_set_test_clock(&test_ct, t0 + 100);
	b = cand_insert(&cb);
	assert_non_null(a);
	assert_non_null(b);
	ct_set_test_clock(&test_ct, t0 + 900);
	assert_int_equal(ct_update(&test_ct, a, CT_DIR_ORIG, &uh, sizeof(uh)), DROP_NONE);
	assert_ptr_equal(TAILQ_FIRST(&test_ct.exp[CT_TC_UDP_UNREPLIED]), a);  /* not moved */
	ct_set_test_clock(&test_ct, t0 + 100 + 120000 - 1);
	assert_int_equal(ct_expire_run(&test_ct), 0);
	/* b's deadline has passed, but a (refreshed) heads the list */
	ct_set_test_clock(&test_ct, t0 + 100 + 120000);
	assert_int_equal(ct_expire_run(&test_ct), 0);
	ct_set_test_clock(&test_ct, t0 + 900 + 120000);
	assert_int_equal(ct_expire_run(&test_ct), 2);
	/* a place 1 s old moves on the next packet */
	a = cand_insert(&ca);
	ct_set_test_clock(&test_ct, t0 + 900 + 120000 + 1);
	b = cand_insert(&cb);
	ct_set_test_clock(&test_ct, t0 + 900 + 120000 + 1000);
	assert_int_equal(ct_update(&test_ct, a, CT_DIR_ORIG, &uh, sizeof(uh)), DROP_NONE);
	assert_ptr_equal(TAILQ_FIRST(&test_ct.exp[CT_TC_UDP_UNREPLIED]), b);
	assert_ptr_equal(TAILQ_LAST(&test_ct.exp[CT_TC_UDP_UNREPLIED], ct_list), a);
	assert_int_equal(ct_table_check(&test_ct), 0);
}

static void count_cb(struct ct_entry *e, void *arg)
{
	(void)e;
	(*(uint32_t *)arg)++;
}

/* A table past the prefetch threshold, across several 2 MB chunks: every
 * entry is found in both directions with or without ct_prefetch(), which
 * is only a hint (also for more keys than it takes, and for misses). */
static void test_ct_big_table_and_prefetch(void **state)
{
	static struct ct_key keys[CT_PREFETCH_MAX + 8];
	struct udphdr uh = { 0 };
	struct ct_key o, r;
	enum drop_reason why;
	enum ct_dir dir;
	uint32_t i, n = 40000;

	(void)state;
	ct_fini(&test_ct);
	assert_int_equal(ct_init(&test_ct, NULL, n), 0);
	for (i = 0; i < n; i++) {
		key(&o, IPPROTO_UDP, 1, 0x0a000000u | i, 0x0b000001u, 1000, 53);
		ct_key_invert(&o, &r);
		assert_non_null(ct_insert(&test_ct, &o, &r, 1, &uh, sizeof(uh), &why));
	}
	assert_int_equal(ct_table_check(&test_ct), 0);
	for (i = 0; i + CT_PREFETCH_MAX + 8 <= n; i += CT_PREFETCH_MAX + 8) {
		uint64_t reused = ct_get_stats(&test_ct)->hash_reused;
		uint32_t j;

		for (j = 0; j < CT_PREFETCH_MAX + 8; j++)
			key(&keys[j], IPPROTO_UDP, 1, 0x0a000000u | (i + j), 0x0b000001u, 1000,
			    (j & 7) ? 53 : 54);       /* every 8th misses */
		ct_prefetch(&test_ct, keys, CT_PREFETCH_MAX + 8);
		for (j = 0; j < CT_PREFETCH_MAX + 8; j++) {
			struct ct_entry *e = ct_lookup(&test_ct, &keys[j], &dir);

			if (j & 7) {
				assert_non_null(e);
				assert_int_equal(dir, CT_DIR_ORIG);
			} else {
				assert_null(e);
			}
		}
		/* the prefetched keys were hashed once: their lookups took
		 * the hash, the 8 past CT_PREFETCH_MAX hashed their own */
		assert_int_equal(ct_get_stats(&test_ct)->hash_reused - reused, CT_PREFETCH_MAX);
	}
	key(&o, IPPROTO_UDP, 1, 0x0a000000u | 12345, 0x0b000001u, 1000, 53);
	ct_key_invert(&o, &r);
	assert_non_null(ct_lookup(&test_ct, &r, &dir));
	assert_int_equal(dir, CT_DIR_REPLY);
	/* A stepwise walk sees every entry once, across chunks of both sizes. */
	{
		uint64_t cursor = 0;
		uint32_t seen = 0;

		while (!ct_walk(&test_ct, &cursor, 1000, count_cb, &seen))
			;
		assert_int_equal(seen, n);
	}
}

/* One owner fills the table with assured entries: a newcomer still gets
 * in, at the expense of the biggest owner's oldest entry (unreplied ones
 * first), and the biggest owner's own new connections evict its own,
 * never the newcomer's (audit finding 10). */
static void test_ct_fair_eviction(void **state)
{
	struct ct_key o, r;
	struct udphdr uh = { 0 };
	enum drop_reason why;
	struct ct_entry *e;
	int i;

	(void)state;
	ct_fini(&test_ct);
	ct_set_test_clock(&test_ct, 5000);
	assert_int_equal(ct_init(&test_ct, NULL, 16), 0);
	/* owner 1 (zone 1, 10.0.0.1): 15 assured flows, then one unreplied */
	for (i = 0; i < 16; i++) {
		key(&o, IPPROTO_UDP, 1, 0x0a000001, 0x08080808, (uint16_t)(1000 + i), 53);
		ct_key_invert(&o, &r);
		e = ct_insert(&test_ct, &o, &r, 1, &uh, sizeof(uh), &why);
		assert_non_null(e);
		if (i < 15)
			assert_int_equal(ct_update(&test_ct, e, CT_DIR_REPLY, &uh, sizeof(uh)), DROP_NONE);
	}
	assert_int_equal(ct_get_stats(&test_ct)->owners, 1);
	/* the biggest owner's count, kept in one step per insert */
	assert_int_equal(test_ct.max_count, 16);
	/* owner 2 comes: owner 1's unreplied flow (its newest) goes first */
	key(&o, IPPROTO_UDP, 1, 0x0a000002, 0x08080808, 2000, 53);
	ct_key_invert(&o, &r);
	assert_non_null(ct_insert(&test_ct, &o, &r, 1, &uh, sizeof(uh), &why));
	assert_int_equal(ct_get_stats(&test_ct)->evicted_fair, 1);
	assert_int_equal(test_ct.max_count, 15);
	key(&o, IPPROTO_UDP, 1, 0x0a000001, 0x08080808, 1015, 53);
	assert_null(ct_lookup(&test_ct, &o, NULL));
	/* owner 3: now an assured one of owner 1's, its oldest */
	key(&o, IPPROTO_UDP, 2, 0x0a000001, 0x08080808, 3000, 53);
	ct_key_invert(&o, &r);
	assert_non_null(ct_insert(&test_ct, &o, &r, 2, &uh, sizeof(uh), &why));
	key(&o, IPPROTO_UDP, 1, 0x0a000001, 0x08080808, 1000, 53);
	assert_null(ct_lookup(&test_ct, &o, NULL));
	assert_int_equal(ct_get_stats(&test_ct)->owners, 3);
	/* owner 1 goes on: it evicts its own, owners 2 and 3 stay */
	for (i = 0; i < 20; i++) {
		key(&o, IPPROTO_UDP, 1, 0x0a000001, 0x08080808, (uint16_t)(4000 + i), 53);
		ct_key_invert(&o, &r);
		assert_non_null(ct_insert(&test_ct, &o, &r, 1, &uh, sizeof(uh), &why));
	}
	key(&o, IPPROTO_UDP, 1, 0x0a000002, 0x08080808, 2000, 53);
	assert_non_null(ct_lookup(&test_ct, &o, NULL));
	key(&o, IPPROTO_UDP, 2, 0x0a000001, 0x08080808, 3000, 53);
	assert_non_null(ct_lookup(&test_ct, &o, NULL));
	assert_int_equal(ct_get_stats(&test_ct)->full_drops, 0);
	assert_int_equal(ct_get_stats(&test_ct)->entries, 16);
	/* owners go with their last entry */
	assert_int_equal(ct_flush(&test_ct, NULL, NULL), 16);
	assert_int_equal(ct_get_stats(&test_ct)->owners, 0);
	assert_int_equal(test_ct.max_count, 0);
	key(&o, IPPROTO_UDP, 1, 0x0a000009, 0x08080808, 1, 53);
	ct_key_invert(&o, &r);
	assert_non_null(ct_insert(&test_ct, &o, &r, 1, &uh, sizeof(uh), &why));
	assert_int_equal(ct_get_stats(&test_ct)->owners, 1);
	assert_int_equal(test_ct.max_count, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ct_hash, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ct_both_directions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ct_tcp_lifecycle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ct_tcp_rst, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ct_tcp_only_syn_opens, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ct_udp_icmp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ct_timeouts_rfc, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ct_expiry_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ct_limit_evicts_unassured, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ct_fair_eviction, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ct_big_table_and_prefetch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ct_cuckoo_insert_lookup_delete, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ct_cuckoo_full_bucket_displacement, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ct_cuckoo_stash_and_refusal, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ct_lazy_requeue, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
