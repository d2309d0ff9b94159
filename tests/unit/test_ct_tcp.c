/* test_ct_tcp.c - the RFC 5961 check of RST and FIN in ct_tcp.c (audit
 * finding 11): a blind RST or FIN with a wrong sequence number leaves an
 * established connection as it was; an exact one closes it; one in the
 * window changes nothing (the endpoint answers with a challenge ACK);
 * window scaling is honoured; an entry without numbers (restored from a
 * snapshot) acts as before. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/tcp.h>
#include <cmocka.h>
#include "ct.h"

#define ISS_C 1000000u
#define ISS_S 7000000u

static struct conntrack test_ct;
static struct ct_key ko, kr;

/* A segment: header, 4 option bytes when doff is 6, then payload (with
 * doff 5 the payload starts at opt: only its length matters here). */
struct seg {
	struct tcphdr th;
	uint8_t opt[4];
	uint8_t data[1400];
};

static void key(struct ct_key *k, uint32_t s, uint32_t d, uint16_t sp, uint16_t dp)
{
	memset(k, 0, sizeof(*k));
	vs_addr_set_v4(&k->src, htonl(s));
	vs_addr_set_v4(&k->dst, htonl(d));
	k->sport = htons(sp);
	k->dport = htons(dp);
	k->zone = 1;
	k->family = AF_INET;
	k->proto = IPPROTO_TCP;
}

static int setup(void **state)
{
	(void)state;
	ct_set_test_clock(&test_ct, 1000000);
	key(&ko, 0xac120002, 0xc6336410, 40000, 80);
	ct_key_invert(&ko, &kr);
	return ct_init(&test_ct, NULL, 100);
}

static int teardown(void **state)
{
	(void)state;
	ct_fini(&test_ct);
	return 0;
}

/* Fill S; FLAGS "S", "SA", "A", "F", "R", "RA"...; WS >= 0 adds a window
 * scale option (SYNs); the segment's length. */
static uint32_t seg(struct seg *s, const char *flags, uint32_t seq, uint32_t ack,
		    uint16_t win, int ws, uint32_t datalen)
{
	memset(s, 0, sizeof(*s));
	s->th.syn = strchr(flags, 'S') != NULL;
	s->th.ack = strchr(flags, 'A') != NULL;
	s->th.fin = strchr(flags, 'F') != NULL;
	s->th.rst = strchr(flags, 'R') != NULL;
	s->th.seq = htonl(seq);
	s->th.ack_seq = htonl(ack);
	s->th.window = htons(win);
	s->th.doff = 5;
	if (ws >= 0) {
		s->opt[0] = 1;          /* NOP */
		s->opt[1] = 3;          /* window scale, length 3 */
		s->opt[2] = 3;
		s->opt[3] = (uint8_t)ws;
		s->th.doff = 6;
		return 24 + datalen;
	}
	return 20 + datalen;
}

/* Pass S (LEN bytes) in direction DIR; the drop reason. */
static enum drop_reason pass(struct ct_entry *e, enum ct_dir dir, struct seg *s, uint32_t len)
{
	return ct_update(&test_ct, e, dir, s, len);
}

/* An established connection: the client's window scale 7, the server's 7. */
static struct ct_entry *established(void)
{
	enum drop_reason why;
	struct ct_entry *e;
	struct seg s;
	uint32_t n;

	n = seg(&s, "S", ISS_C, 0, 64240, 7, 0);
	e = ct_insert(&test_ct, &ko, &kr, 1, &s, n, &why);
	assert_non_null(e);
	n = seg(&s, "SA", ISS_S, ISS_C + 1, 65160, 7, 0);
	assert_int_equal(pass(e, CT_DIR_REPLY, &s, n), DROP_NONE);
	n = seg(&s, "A", ISS_C + 1, ISS_S + 1, 502, -1, 0);
	assert_int_equal(pass(e, CT_DIR_ORIG, &s, n), DROP_NONE);
	/* 100 bytes each way, acknowledged */
	n = seg(&s, "A", ISS_C + 1, ISS_S + 1, 502, -1, 100);
	assert_int_equal(pass(e, CT_DIR_ORIG, &s, n), DROP_NONE);
	n = seg(&s, "A", ISS_S + 1, ISS_C + 101, 509, -1, 100);
	assert_int_equal(pass(e, CT_DIR_REPLY, &s, n), DROP_NONE);
	n = seg(&s, "A", ISS_C + 101, ISS_S + 101, 502, -1, 0);
	assert_int_equal(pass(e, CT_DIR_ORIG, &s, n), DROP_NONE);
	assert_int_equal(e->state, CT_TCP_ESTABLISHED);
	return e;
}

static void test_blind_rst_refused(void **state)
{
	struct ct_entry *e;
	struct seg s;
	uint32_t n, i;

	(void)state;
	e = established();
	/* the audit's attack: RSTs from the server's side, guessed numbers
	 * far from the window (the client's window is 502 << 7 = 64256) */
	for (i = 1; i <= 100; i++) {
		n = seg(&s, "R", ISS_S + 101 + i * 40000000u, 0, 0, -1, 0);
		assert_int_equal(pass(e, CT_DIR_REPLY, &s, n), DROP_TCP_OUT_OF_WINDOW);
	}
	/* and from the client's side */
	n = seg(&s, "RA", ISS_C + 101 + 200000, ISS_S + 101, 0, -1, 0);
	assert_int_equal(pass(e, CT_DIR_ORIG, &s, n), DROP_TCP_OUT_OF_WINDOW);
	/* a blind FIN too */
	n = seg(&s, "FA", ISS_S + 101 + 900000000u, ISS_C + 101, 509, -1, 0);
	assert_int_equal(pass(e, CT_DIR_REPLY, &s, n), DROP_TCP_OUT_OF_WINDOW);
	assert_int_equal(e->state, CT_TCP_ESTABLISHED);
	assert_true(e->flags & CT_F_ASSURED);
}

static void test_rst_in_window_changes_nothing(void **state)
{
	struct ct_entry *e;
	struct seg s;
	uint32_t n;

	(void)state;
	e = established();
	/* inside the client's scaled window (64256), not exact: the client
	 * sends a challenge ACK; the entry stays */
	n = seg(&s, "R", ISS_S + 101 + 60000, 0, 0, -1, 0);
	assert_int_equal(pass(e, CT_DIR_REPLY, &s, n), DROP_NONE);
	assert_int_equal(e->state, CT_TCP_ESTABLISHED);
	/* without scaling the window would be 502: this proves it was used */
	n = seg(&s, "R", ISS_S + 101 + 70000, 0, 0, -1, 0);
	assert_int_equal(pass(e, CT_DIR_REPLY, &s, n), DROP_TCP_OUT_OF_WINDOW);
	/* the exact number closes it */
	n = seg(&s, "R", ISS_S + 101, 0, 0, -1, 0);
	assert_int_equal(pass(e, CT_DIR_REPLY, &s, n), DROP_NONE);
	assert_int_equal(e->state, CT_TCP_CLOSE);
}

static void test_rst_with_data_in_flight(void **state)
{
	struct ct_entry *e;
	struct seg s;
	uint32_t n;

	(void)state;
	e = established();
	/* the server sends 1000 bytes the client has not acknowledged yet,
	 * then resets: its RST carries its next sequence number */
	n = seg(&s, "A", ISS_S + 101, ISS_C + 101, 509, -1, 1000);
	assert_int_equal(pass(e, CT_DIR_REPLY, &s, n), DROP_NONE);
	n = seg(&s, "R", ISS_S + 1101, 0, 0, -1, 0);
	assert_int_equal(pass(e, CT_DIR_REPLY, &s, n), DROP_NONE);
	assert_int_equal(e->state, CT_TCP_CLOSE);
}

static void test_fin_in_window_closes(void **state)
{
	struct ct_entry *e;
	struct seg s;
	uint32_t n;

	(void)state;
	e = established();
	n = seg(&s, "FA", ISS_C + 101, ISS_S + 101, 502, -1, 0);
	assert_int_equal(pass(e, CT_DIR_ORIG, &s, n), DROP_NONE);
	assert_int_equal(e->state, CT_TCP_FIN_WAIT);
	/* its retransmission too */
	assert_int_equal(pass(e, CT_DIR_ORIG, &s, n), DROP_NONE);
}

static void test_syn_sent_rst_must_ack_the_syn(void **state)
{
	enum drop_reason why;
	struct ct_entry *e;
	struct seg s;
	uint32_t n;

	(void)state;
	n = seg(&s, "S", ISS_C, 0, 64240, 7, 0);
	e = ct_insert(&test_ct, &ko, &kr, 1, &s, n, &why);
	assert_non_null(e);
	n = seg(&s, "RA", 0, ISS_C + 77, 0, -1, 0);
	assert_int_equal(pass(e, CT_DIR_REPLY, &s, n), DROP_TCP_OUT_OF_WINDOW);
	n = seg(&s, "R", 0, 0, 0, -1, 0);
	assert_int_equal(pass(e, CT_DIR_REPLY, &s, n), DROP_TCP_OUT_OF_WINDOW);
	assert_int_equal(e->state, CT_TCP_SYN_SENT);
	/* connection refused, as the server's kernel says it */
	n = seg(&s, "RA", 0, ISS_C + 1, 0, -1, 0);
	assert_int_equal(pass(e, CT_DIR_REPLY, &s, n), DROP_NONE);
	assert_int_equal(e->state, CT_TCP_CLOSE);
}

static void test_restored_entry_acts(void **state)
{
	struct ct_entry tmpl, *e;
	struct seg s;
	uint32_t n;

	(void)state;
	memset(&tmpl, 0, sizeof(tmpl));
	tmpl.n[CT_DIR_ORIG].key = ko;
	tmpl.n[CT_DIR_REPLY].key = kr;
	tmpl.zone = 1;
	tmpl.proto = IPPROTO_TCP;
	tmpl.state = CT_TCP_ESTABLISHED;
	tmpl.tclass = CT_TC_TCP_ESTABLISHED;
	tmpl.flags = CT_F_SEEN_REPLY | CT_F_ASSURED;
	e = ct_restore(&test_ct, &tmpl, 100000);
	assert_non_null(e);
	assert_int_equal(ct_restore_finish(&test_ct), 0);
	/* numbers unknown: as before, and data keeps flowing */
	n = seg(&s, "A", 5, 9, 100, -1, 10);
	assert_int_equal(pass(e, CT_DIR_ORIG, &s, n), DROP_NONE);
	n = seg(&s, "R", 12345, 0, 0, -1, 0);
	assert_int_equal(pass(e, CT_DIR_REPLY, &s, n), DROP_NONE);
	assert_int_equal(e->state, CT_TCP_CLOSE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_blind_rst_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rst_in_window_changes_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rst_with_data_in_flight, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fin_in_window_closes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_syn_sent_rst_must_ack_the_syn, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restored_entry_acts, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
