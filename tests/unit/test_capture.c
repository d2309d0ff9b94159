/* test_capture.c - cmocka tests for capture sessions and the flight recorder.
 *
 * Frames are crafted here and handed to the same inline hooks the datapath
 * calls (capture_rx/capture_tx/capture_net); the session writes to one end
 * of a socketpair and the test reads the other end like vsctl does, strips
 * the framing, and has libpcap itself read the result back as a file.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <ev.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "capture.h"
#include "capture_internal.h"

static uint8_t frame_icmp[98], frame_tcp[74];
static struct ev_loop *loop;

static void build_frames(void)
{
	static const uint8_t eth[14] = { 2, 0x42, 172, 18, 0, 3, 2, 0x42, 172, 18, 0, 2, 8, 0 };
	static const uint8_t ip[20] = { 0x45, 0, 0, 84, 0, 1, 0x40, 0, 64, 1, 0, 0,
					172, 18, 0, 2, 172, 18, 0, 3 };

	memset(frame_icmp, 0xab, sizeof(frame_icmp));
	memcpy(frame_icmp, eth, 14);
	memcpy(frame_icmp + 14, ip, 20);
	frame_icmp[34] = 8;                      /* echo request */
	frame_icmp[35] = 0;

	memset(frame_tcp, 0, sizeof(frame_tcp));
	memcpy(frame_tcp, eth, 14);
	memcpy(frame_tcp + 14, ip, 20);
	frame_tcp[14 + 3] = 60;
	frame_tcp[14 + 9] = 6;                   /* TCP */
	frame_tcp[34] = 0x30; frame_tcp[35] = 0x39;   /* sport 12345 */
	frame_tcp[36] = 0; frame_tcp[37] = 80;
	frame_tcp[46] = 0xa0;                    /* data offset 10 */
	frame_tcp[47] = 0x02;                    /* SYN */
}

static void batch_of(struct pkt_batch *b, uint8_t *data, uint32_t len, unsigned int n)
{
	unsigned int i;

	memset(b, 0, sizeof(*b));
	for (i = 0; i < n; i++) {
		b->pkts[i].data = data;
		b->pkts[i].len = len;
	}
	b->count = n;
}

struct fixture {
	int sv[2];
	struct port port;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, f->sv), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	capture_fini();
	close(f->sv[1]);
	free(f);
	return 0;
}

static struct capture_session *session(struct fixture *f, const char *filter,
				       uint64_t count, size_t ring)
{
	struct capture_opts o = { .filter = filter, .count = count, .ring_bytes = ring,
				  .point_name = "test" };
	char err[256] = "";
	struct capture_session *s = capture_session_new(loop, f->sv[0], &o, err, sizeof(err));

	assert_non_null(s);
	assert_int_equal(capture_session_attach(s, &f->port.cap_rx, err, sizeof(err)), 0);
	capture_session_start(s);
	return s;
}

/* Read the stream until END; write the DATA payloads to a temp pcap file.
 * Returns the file (rewound) and fills the trailer's counts. */
static FILE *drain(struct fixture *f, long long *captured, long long *dropped)
{
	FILE *out = tmpfile();
	static uint8_t buf[1 << 20];
	size_t have = 0, off = 0;
	bool end = false;

	assert_non_null(out);
	while (!end) {
		ssize_t r;

		ev_run(loop, EVRUN_NOWAIT);
		r = recv(f->sv[1], buf + have, sizeof(buf) - have, MSG_DONTWAIT);
		if (r > 0)
			have += (size_t)r;
		while (have - off >= CAPTURE_MSG_HDR) {
			uint8_t *h = buf + off;
			uint32_t len = (uint32_t)h[4] << 24 | h[5] << 16 | h[6] << 8 | h[7];

			if (have - off < CAPTURE_MSG_HDR + len)
				break;
			if (h[0] == CAPTURE_MSG_END) {
				char js[256];

				snprintf(js, sizeof(js), "%.*s", (int)len, (char *)h + 8);
				assert_int_equal(sscanf(js, "{\"captured\":%lld,\"dropped\":%lld",
							captured, dropped), 2);
				end = true;
			} else {
				assert_int_equal(h[0], CAPTURE_MSG_DATA);
				fwrite(h + 8, 1, len, out);
			}
			off += CAPTURE_MSG_HDR + len;
		}
	}
	rewind(out);
	return out;
}

static int pcap_count(FILE *fp, uint32_t *first_len)
{
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_fopen_offline(fp, err);
	struct pcap_pkthdr *h;
	const u_char *d;
	int n = 0;

	assert_non_null(p);
	assert_int_equal(pcap_datalink(p), DLT_EN10MB);
	while (pcap_next_ex(p, &h, &d) == 1) {
		if (!n && first_len)
			*first_len = h->caplen;
		n++;
	}
	pcap_close(p);                           /* closes FP too */
	return n;
}

static void test_filter_icmp_only(void **state)
{
	struct fixture *f = *state;
	struct pkt_batch b;
	long long c, d;
	uint32_t first = 0;

	session(f, "icmp", 0, 0);
	batch_of(&b, frame_tcp, sizeof(frame_tcp), 3);
	capture_rx(&f->port, &b);
	batch_of(&b, frame_icmp, sizeof(frame_icmp), 2);
	capture_rx(&f->port, &b);
	capture_port_gone(&f->port);
	assert_null(f->port.cap_rx);
	assert_int_equal(pcap_count(drain(f, &c, &d), &first), 2);
	assert_int_equal(c, 2);
	assert_int_equal(d, 0);
	assert_int_equal(first, sizeof(frame_icmp));
}

static void test_filter_tcp_only(void **state)
{
	struct fixture *f = *state;
	struct pkt_batch b;
	long long c, d;

	session(f, "tcp port 80", 0, 0);
	batch_of(&b, frame_icmp, sizeof(frame_icmp), 4);
	capture_rx(&f->port, &b);
	batch_of(&b, frame_tcp, sizeof(frame_tcp), 1);
	capture_rx(&f->port, &b);
	capture_port_gone(&f->port);
	assert_int_equal(pcap_count(drain(f, &c, &d), NULL), 1);
	assert_int_equal(c, 1);
}

static void test_bad_filter(void **state)
{
	struct fixture *f = *state;
	struct capture_opts o = { .filter = "tcp port banana" };
	char err[256] = "";

	assert_null(capture_session_new(loop, f->sv[0], &o, err, sizeof(err)));
	assert_true(!strncmp(err, "bad filter: ", 12));
	assert_null(strchr(err, '\n'));
	assert_int_equal(capture_session_count(), 0);
	close(f->sv[0]);
}

/* A ring too small for the burst: whole frames are kept, the rest counted
 * as dropped, and the file stays valid. */
static void test_ring_full_drops(void **state)
{
	struct fixture *f = *state;
	static uint8_t big[1000];
	struct pkt_batch b;
	struct capture_session *s;
	long long c, d;
	FILE *fp;

	memcpy(big, frame_icmp, sizeof(frame_icmp));
	s = session(f, NULL, 0, CAPTURE_RING_MIN);
	batch_of(&b, big, sizeof(big), 10);
	capture_rx(&f->port, &b);                /* no loop run: reader is slow */
	assert_true(capture_session_captured(s) >= 1);
	assert_true(capture_session_dropped(s) >= 1);
	assert_int_equal(capture_session_captured(s) + capture_session_dropped(s), 10);
	capture_port_gone(&f->port);
	fp = drain(f, &c, &d);
	assert_int_equal(pcap_count(fp, NULL), c);
	assert_int_equal(c + d, 10);
	assert_true(d > 0);
}

/* -c COUNT: exactly COUNT frames, then the session ends by itself. */
static void test_count_ends(void **state)
{
	struct fixture *f = *state;
	struct pkt_batch b;
	long long c, d;

	session(f, NULL, 3, 0);
	batch_of(&b, frame_icmp, sizeof(frame_icmp), 5);
	capture_rx(&f->port, &b);
	ev_run(loop, EVRUN_NOWAIT);
	assert_null(f->port.cap_rx);             /* detached, point idle again */
	assert_int_equal(pcap_count(drain(f, &c, &d), NULL), 3);
	assert_int_equal(c, 3);
	assert_int_equal(d, 0);
}

/* Finding 19: one budget for every ring.  Eight captures of the largest
 * buffer take it all; a ninth is refused with its reason, and freeing one
 * makes room again.  (malloc'd rings are never touched here: no RSS.) */
static void test_ring_budget(void **state)
{
	struct capture_opts o = { .ring_bytes = CAPTURE_RING_MAX };
	struct capture_session *s[CAPTURE_RING_BUDGET / CAPTURE_RING_MAX];
	char err[256] = "";
	size_t i, n = sizeof(s) / sizeof(s[0]);

	(void)state;
	o.ring_bytes = (size_t)CAPTURE_RING_MAX + 1;
	assert_null(capture_session_new(loop, -1, &o, err, sizeof(err)));
	o.ring_bytes = CAPTURE_RING_MAX;
	for (i = 0; i < n; i++) {
		s[i] = capture_session_new(loop, -1, &o, err, sizeof(err));
		assert_non_null(s[i]);
	}
	assert_null(capture_session_new(loop, -1, &o, err, sizeof(err)));
	assert_non_null(strstr(err, "capture buffers would exceed 512 MiB in all"));
	capture_session_free(s[0]);
	s[0] = capture_session_new(loop, -1, &o, err, sizeof(err));
	assert_non_null(s[0]);
	for (i = 0; i < n; i++)
		capture_session_free(s[i]);
	assert_int_equal(capture_session_count(), 0);
}

/* Two sessions on one point; the point goes away with the last one. */
static void test_two_sessions_one_point(void **state)
{
	struct fixture *f = *state;
	struct capture_opts o = { .filter = "tcp" };
	char err[256];
	struct capture_session *s1, *s2;
	struct pkt_batch b;

	s1 = session(f, "icmp", 0, 0);
	s2 = capture_session_new(loop, -1, &o, err, sizeof(err));
	assert_non_null(s2);
	assert_int_equal(capture_session_attach(s2, &f->port.cap_rx, err, sizeof(err)), 0);
	batch_of(&b, frame_icmp, sizeof(frame_icmp), 2);
	capture_rx(&f->port, &b);
	batch_of(&b, frame_tcp, sizeof(frame_tcp), 3);
	capture_rx(&f->port, &b);
	assert_int_equal(capture_session_captured(s1), 2);
	assert_int_equal(capture_session_captured(s2), 3);
	capture_session_free(s2);
	assert_non_null(f->port.cap_rx);
	capture_session_free(s1);
	assert_null(f->port.cap_rx);
}

/* The client closing its write side (vsctl on Ctrl-C) ends the capture. */
static void test_client_eof_ends(void **state)
{
	struct fixture *f = *state;
	struct pkt_batch b;
	long long c, d;

	session(f, NULL, 0, 0);
	batch_of(&b, frame_tcp, sizeof(frame_tcp), 2);
	capture_rx(&f->port, &b);
	shutdown(f->sv[1], SHUT_WR);
	ev_run(loop, EVRUN_NOWAIT);
	assert_null(f->port.cap_rx);
	assert_int_equal(pcap_count(drain(f, &c, &d), NULL), 2);
}

struct walk { unsigned int n; uint32_t caplen[16], len[16]; uint8_t tag[16]; };

static void walk_cb(void *arg, const uint8_t *data, uint32_t caplen, uint32_t len,
		    const struct timeval *ts)
{
	struct walk *w = arg;

	if (w->n < 16) {
		w->caplen[w->n] = caplen;
		w->len[w->n] = len;
		w->tag[w->n] = data[0];
	}
	w->n++;
}

static void record(struct recorder *r, uint8_t tag, uint32_t len)
{
	static uint8_t buf[70000];
	struct pkt_batch b;

	buf[0] = tag;
	batch_of(&b, buf, len, 1);
	recorder_batch(r, &b);
}

/* Depth bound: the newest DEPTH frames, oldest first. */
static void test_recorder_depth(void **state)
{
	struct recorder *r;
	struct walk w = { 0 };
	uint8_t i;

	recorder_set_depth(4);
	recorder_set_budget(RECORDER_BUDGET_DEFAULT);
	r = recorder_new();
	for (i = 1; i <= 10; i++)
		record(r, i, 100);
	recorder_walk(&r, 1, walk_cb, &w);
	assert_int_equal(w.n, 4);
	for (i = 0; i < 4; i++)
		assert_int_equal(w.tag[i], 7 + i);
	recorder_free(r);
	recorder_set_depth(RECORDER_DEPTH_DEFAULT);
}

/* A recorder is sized by what it holds: 10000 small frames through a
 * 256-deep recorder with a 1 MiB budget touch about twice the 256 frames'
 * bytes, not the whole budget (issue 19: RSS with many ports), and it
 * still holds the newest 256, in order. */
static void test_recorder_extent(void **state)
{
	struct recorder *r;
	struct walk w = { 0 };
	unsigned int i;

	recorder_set_depth(RECORDER_DEPTH_DEFAULT);
	recorder_set_budget(RECORDER_BUDGET_DEFAULT);
	r = recorder_new();
	for (i = 0; i < 10000; i++)
		record(r, (uint8_t)i, 90 + i % 40);
	assert_int_equal(recorder_count(r), RECORDER_DEPTH_DEFAULT);
	assert_true(recorder_extent(r) <= 2 * RECORDER_DEPTH_DEFAULT * 130 + 130);
	assert_true(recorder_capacity(r) <= 64 * 1024);	/* not the 1 MiB */
	recorder_walk(&r, 1, walk_cb, &w);
	assert_int_equal(w.n, RECORDER_DEPTH_DEFAULT);
	for (i = 0; i < 16; i++)	/* the walk keeps the first 16 */
		assert_int_equal(w.tag[i], (uint8_t)(10000 - RECORDER_DEPTH_DEFAULT + i));
	recorder_free(r);
}

/* Byte budget: big frames evict earlier, a huge one is kept truncated. */
static void test_recorder_budget(void **state)
{
	struct recorder *r;
	struct walk w = { 0 };
	uint8_t i;

	recorder_set_budget(8192);
	r = recorder_new();
	for (i = 1; i <= 20; i++)
		record(r, i, 1500);
	assert_true(recorder_bytes(r) <= 8192);
	recorder_walk(&r, 1, walk_cb, &w);
	assert_true(w.n >= 4 && w.n <= 5);
	assert_int_equal(w.tag[w.n - 1], 20);
	for (i = 1; i < w.n; i++)
		assert_int_equal(w.tag[i], w.tag[i - 1] + 1);
	record(r, 99, 65000);
	memset(&w, 0, sizeof(w));
	recorder_walk(&r, 1, walk_cb, &w);
	assert_int_equal(w.tag[w.n - 1], 99);
	assert_int_equal(w.caplen[w.n - 1], 2048);
	assert_int_equal(w.len[w.n - 1], 65000);
	assert_true(recorder_bytes(r) <= 8192);
	recorder_free(r);
	recorder_set_budget(RECORDER_BUDGET_DEFAULT);
}

/* One global budget: rings grow with what they hold, a quiet port costs
 * no ring, the total stays within the budget, a busy port borrows unused
 * budget and gives it back down to its share when a new port needs room,
 * and what every recorder keeps is still its newest frames, in order. */
static void test_recorder_global_budget(void **state)
{
	struct recorder *rs[8];
	struct walk w = { 0 };
	unsigned int i, k;

	assert_int_equal(recorder_total(), 0);	/* every test freed its own */
	recorder_set_depth(RECORDER_DEPTH_DEFAULT);
	recorder_set_budget(RECORDER_BUDGET_DEFAULT);
	recorder_set_total(256 * 1024);
	for (i = 0; i < 8; i++)
		rs[i] = recorder_new();
	assert_int_equal(recorder_total(), 0);	/* nothing seen, no rings */
	for (k = 0; k < 300; k++)		/* 300 x 100 B: a 32 KiB ring */
		record(rs[0], (uint8_t)k, 100);
	assert_int_equal(recorder_count(rs[0]), RECORDER_DEPTH_DEFAULT);
	assert_true(recorder_capacity(rs[0]) <= 64 * 1024);
	assert_true(recorder_capacity(rs[0]) >= RECORDER_DEPTH_DEFAULT * 100);
	/* rs[1] alone: 1000 B frames, it borrows beyond its 32 KiB share */
	for (k = 0; k < 300; k++)
		record(rs[1], (uint8_t)k, 1000);
	assert_true(recorder_capacity(rs[1]) > 256 * 1024 / 8);
	assert_true(recorder_total() <= 256 * 1024);
	/* every other port now fills its share: rs[1] is trimmed to its own */
	for (i = 2; i < 8; i++)
		for (k = 0; k < 300; k++)
			record(rs[i], (uint8_t)k, 1000);
	assert_true(recorder_total() <= 256 * 1024 + 4096);
	for (i = 1; i < 8; i++) {
		assert_true(recorder_capacity(rs[i]) <= 256 * 1024 / 8);
		assert_true(recorder_count(rs[i]) >= 20);	/* look-back left */
	}
	record(rs[1], 0xee, 1000);
	recorder_walk(&rs[1], 1, walk_cb, &w);
	assert_int_equal(w.n, recorder_count(rs[1]));
	for (k = 1; k < 16 && k < w.n; k++)
		assert_int_equal(w.tag[k], (uint8_t)(w.tag[k - 1] + 1));
	for (i = 0; i < 8; i++)
		recorder_free(rs[i]);
	assert_int_equal(recorder_total(), 0);
	recorder_set_total(RECORDER_TOTAL_DEFAULT);
}

/* A GSO super-frame is kept as its first 2 KiB, on rx (only the vnet
 * header says so yet) and on tx (PKT_F_GSO); a plain frame whole. */
static void test_recorder_gso_truncated(void **state)
{
	static uint8_t buf[65000];
	struct pkt_batch b;
	struct pkt *pp;
	struct recorder *r = recorder_new();
	struct walk w = { 0 };

	batch_of(&b, buf, sizeof(buf), 1);
	b.pkts[0].vnet.gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
	recorder_batch(r, &b);
	batch_of(&b, buf, sizeof(buf), 1);
	b.pkts[0].flags = PKT_F_GSO;
	pp = &b.pkts[0];
	recorder_frames(r, &pp, 1);
	record(r, 3, 9000);
	recorder_walk(&r, 1, walk_cb, &w);
	assert_int_equal(w.n, 3);
	assert_int_equal(w.caplen[0], 2048);
	assert_int_equal(w.len[0], 65000);
	assert_int_equal(w.caplen[1], 2048);
	assert_int_equal(w.caplen[2], 9000);
	recorder_free(r);
}

/* The tx hook records too, and two recorders merge by time. */
static void test_recorder_tx_and_merge(void **state)
{
	struct fixture *f = *state;
	struct recorder *rs[2];
	struct pkt p = { .data = frame_tcp, .len = sizeof(frame_tcp) };
	struct pkt *pp = &p;
	struct walk w = { 0 };

	rs[0] = recorder_new();
	rs[1] = recorder_new();
	f->port.recorder = rs[0];
	capture_tx(&f->port, &pp, 1);
	usleep(2000);
	record(rs[1], 0x77, 60);
	usleep(2000);
	capture_tx(&f->port, &pp, 1);
	recorder_walk(rs, 2, walk_cb, &w);
	assert_int_equal(w.n, 3);
	assert_int_equal(w.tag[0], frame_tcp[0]);
	assert_int_equal(w.tag[1], 0x77);
	assert_int_equal(recorder_count(rs[0]), 2);
	f->port.recorder = NULL;
	recorder_free(rs[0]);
	recorder_free(rs[1]);
	close(f->sv[0]);
}

struct check { unsigned int n; uint32_t last; int bad; };

static void check_cb(void *arg, const uint8_t *data, uint32_t caplen, uint32_t len,
		     const struct timeval *ts)
{
	struct check *c = arg;
	uint32_t seq, i;

	memcpy(&seq, data, 4);
	for (i = 4; i < caplen; i++)
		if (data[i] != (uint8_t)(seq + i))
			c->bad++;
	if (c->n && seq <= c->last)
		c->bad++;
	c->last = seq;
	c->n++;
}

/* Random frame sizes (some larger than a quarter of the budget) against
 * random bounds: frames come back intact, in order, newest last, within
 * the bounds.  (This caught frames in the wasted tail outliving a wrap.) */
static void test_recorder_random(void **state)
{
	static uint8_t buf[70000];
	unsigned int round, k;

	srand(7);
	for (round = 0; round < 20; round++) {
		struct recorder *r;
		uint32_t seq = 0, i;

		recorder_set_depth(1 + (unsigned int)rand() % 300);
		recorder_set_budget(4096 + (size_t)(rand() % 100000));
		r = recorder_new();
		for (k = 0; k < 2000; k++) {
			uint32_t len = rand() % 3 ? (uint32_t)(rand() % 1600 + 4)
						  : (uint32_t)(rand() % 66000 + 4);
			struct pkt p = { .data = buf, .len = len };
			struct pkt *pp = &p;
			struct check c = { 0 };

			seq++;
			memcpy(buf, &seq, 4);
			for (i = 4; i < len; i++)
				buf[i] = (uint8_t)(seq + i);
			recorder_frames(r, &pp, 1);
			if (k % 13)
				continue;
			recorder_walk(&r, 1, check_cb, &c);
			assert_int_equal(c.bad, 0);
			assert_int_equal(c.last, seq);
			assert_int_equal(c.n, recorder_count(r));
		}
		recorder_free(r);
	}
	recorder_set_depth(RECORDER_DEPTH_DEFAULT);
	recorder_set_budget(RECORDER_BUDGET_DEFAULT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_filter_icmp_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_filter_tcp_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_filter, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ring_full_drops, setup, teardown),
		cmocka_unit_test_setup_teardown(test_count_ends, setup, teardown),
		cmocka_unit_test_setup_teardown(test_two_sessions_one_point, setup, teardown),
		cmocka_unit_test(test_ring_budget),
		cmocka_unit_test_setup_teardown(test_client_eof_ends, setup, teardown),
		cmocka_unit_test(test_recorder_depth),
		cmocka_unit_test(test_recorder_budget),
		cmocka_unit_test(test_recorder_extent),
		cmocka_unit_test(test_recorder_global_budget),
		cmocka_unit_test(test_recorder_gso_truncated),
		cmocka_unit_test(test_recorder_random),
		cmocka_unit_test_setup_teardown(test_recorder_tx_and_merge, setup, teardown),
	};

	build_frames();
	loop = ev_default_loop(0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
