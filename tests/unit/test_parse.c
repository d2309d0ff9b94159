/* test_parse.c - pkt_parse() on crafted frames: each kind of malformed
 * header is refused with its own drop reason, good frames pass with the
 * right offsets, and random bytes never make it read out of bounds.
 *
 * Frames are built from one well-formed template (Ethernet, IPv4, then a
 * TCP, UDP or ICMP header and a payload) and then broken one field at a
 * time, so each test names exactly the lie it tells.  The random test runs
 * under ASan with --enable-sanitizers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include "drop.h"
#include "pkt.h"

#define ETH 14

static uint8_t buf[PKT_BUF_SIZE];

/* A parsed view of FRAME's first LEN bytes, in the static buffer. */
static int parse(struct pkt *p, const uint8_t *frame, uint32_t len)
{
	memset(p, 0, sizeof(*p));
	p->buf = buf;
	p->data = buf + PKT_HEADROOM;
	memmove(p->data, frame, len);
	p->len = len;
	return pkt_parse(p);
}

static void put16(uint8_t *b, uint16_t v)
{
	b[0] = (uint8_t)(v >> 8);
	b[1] = (uint8_t)v;
}

/**
 * ipv4() - Build Ethernet + IPv4 (IHL 5) + L4 header + payload into F
 * @f:		frame buffer (at least 14 + 20 + l4len + plen)
 * @proto:	IPPROTO_TCP, _UDP, _ICMP or another
 * @plen:	payload bytes after the L4 header
 *
 * Return: frame length
 */
static uint32_t ipv4(uint8_t *f, uint8_t proto, uint32_t plen)
{
	uint32_t l4len = proto == IPPROTO_TCP ? 20 : proto == IPPROTO_UDP ||
			 proto == IPPROTO_ICMP ? 8 : 0;
	uint8_t *ip = f + ETH, *l4 = ip + 20;

	memset(f, 0, ETH + 20 + l4len + plen);
	memset(f, 0x02, 12);
	f[0] = 0x02;
	f[6] = 0x04;
	put16(f + 12, 0x0800);
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)(20 + l4len + plen));
	ip[8] = 64;
	ip[9] = proto;
	if (proto == IPPROTO_TCP)
		l4[12] = 5 << 4;
	if (proto == IPPROTO_UDP)
		put16(l4 + 4, (uint16_t)(8 + plen));
	return ETH + 20 + l4len + plen;
}

static void set_frag(uint8_t *f, bool mf, uint16_t off8)
{
	put16(f + ETH + 6, (uint16_t)((mf ? 0x2000 : 0) | off8));
}

/* Payload of a fragmented datagram: the IP payload is PLEN bytes. */
static uint32_t frag(uint8_t *f, uint8_t proto, bool mf, uint16_t off8, uint32_t plen)
{
	uint32_t len = ipv4(f, 0, plen);

	f[ETH + 9] = proto;
	if (off8 == 0 && proto == IPPROTO_TCP && plen >= 20)
		f[ETH + 20 + 12] = 5 << 4;
	if (off8 == 0 && proto == IPPROTO_UDP && plen >= 8)
		put16(f + ETH + 20 + 4, 3000);
	set_frag(f, mf, off8);
	return len;
}

static void test_good_frames(void **state)
{
	static uint8_t f[2048];
	struct pkt p;
	uint32_t len;

	(void)state;
	len = ipv4(f, IPPROTO_TCP, 100);
	assert_int_equal(parse(&p, f, len), 0);
	assert_int_equal(p.l3_ofs, ETH);
	assert_int_equal(p.l4_ofs, ETH + 20);
	assert_int_equal(p.ip_proto, IPPROTO_TCP);
	assert_int_equal(p.eth_type, 0x0800);
	assert_false(p.is_frag);

	len = ipv4(f, IPPROTO_UDP, 0);
	assert_int_equal(parse(&p, f, len), 0);
	len = ipv4(f, IPPROTO_ICMP, 56);
	assert_int_equal(parse(&p, f, len), 0);
	/* a protocol whose header the switch does not read */
	len = ipv4(f, 47, 3);
	assert_int_equal(parse(&p, f, len), 0);
	assert_int_equal(p.l4_ofs, ETH + 20);

	/* TCP with options, IP with options */
	len = ipv4(f, IPPROTO_TCP, 40);
	f[ETH + 20 + 12] = 15 << 4;
	assert_int_equal(parse(&p, f, len), 0);
	f[ETH] = 0x46;			/* 24-byte IP header: TCP moves up */
	f[ETH + 24 + 12] = 5 << 4;
	assert_int_equal(parse(&p, f, len), 0);
	assert_int_equal(p.l4_ofs, ETH + 24);
}

static void test_padding_trimmed_and_reparse(void **state)
{
	uint8_t f[60];
	struct pkt p;
	uint32_t len;

	(void)state;
	len = ipv4(f, IPPROTO_UDP, 2);	/* 44 bytes, padded to 60 on the wire */
	memset(f + len, 0xee, sizeof(f) - len);
	assert_int_equal(parse(&p, f, sizeof(f)), 0);
	assert_int_equal(p.len, len);
	/* parsing again gives the same answer (uplink.c re-parses) */
	assert_int_equal(pkt_parse(&p), 0);
	assert_int_equal(p.len, len);
	assert_int_equal(p.l4_ofs, ETH + 20);
}

static void test_vlan_arp_and_others(void **state)
{
	uint8_t f[128], g[132];
	struct pkt p;
	uint32_t len;

	(void)state;
	len = ipv4(f, IPPROTO_TCP, 0);
	memcpy(g, f, 12);
	put16(g + 12, 0x8100);
	put16(g + 14, 7);
	memcpy(g + 16, f + 12, len - 12);
	assert_int_equal(parse(&p, g, len + 4), 0);
	assert_int_equal(p.l3_ofs, ETH + 4);
	assert_int_equal(p.l4_ofs, ETH + 24);
	assert_int_equal(p.eth_type, 0x0800);
	assert_int_equal(parse(&p, g, 17), -DROP_RUNT);

	put16(f + 12, 0x0806);
	assert_int_equal(parse(&p, f, ETH + 28), 0);
	assert_int_equal(parse(&p, f, ETH + 27), -DROP_BAD_L3);

	/* IPv6 that does not add up is still switched (ingress_v6.c judges
	 * it); only its upper-layer header is left absent */
	put16(f + 12, 0x86dd);
	assert_int_equal(parse(&p, f, ETH + 3), 0);
	assert_int_equal(parse(&p, f, ETH), 0);
	assert_int_equal(p.l3_ofs, PKT_OFS_NONE);
}

static void test_runt_and_truncated_ip(void **state)
{
	uint8_t f[128];
	struct pkt p;
	uint32_t len;

	(void)state;
	len = ipv4(f, IPPROTO_TCP, 0);
	assert_int_equal(parse(&p, f, 13), -DROP_RUNT);
	assert_int_equal(parse(&p, f, 0), -DROP_RUNT);
	assert_int_equal(parse(&p, f, ETH + 19), -DROP_BAD_L3);
	assert_int_equal(parse(&p, f, ETH), -DROP_BAD_L3);
	/* cut inside the TCP header: the total length now lies */
	assert_int_equal(parse(&p, f, len - 1), -DROP_BAD_IP_LEN);
}

static void test_bad_version(void **state)
{
	uint8_t f[128];
	struct pkt p;
	uint32_t len = ipv4(f, IPPROTO_TCP, 0);

	(void)state;
	f[ETH] = 0x65;
	assert_int_equal(parse(&p, f, len), -DROP_BAD_IP_VERSION);
	f[ETH] = 0x05;
	assert_int_equal(parse(&p, f, len), -DROP_BAD_IP_VERSION);
}

static void test_bad_ihl(void **state)
{
	uint8_t f[128];
	struct pkt p;
	uint32_t len = ipv4(f, IPPROTO_TCP, 0);
	int ihl;

	(void)state;
	for (ihl = 0; ihl < 5; ihl++) {
		f[ETH] = (uint8_t)(0x40 | ihl);
		assert_int_equal(parse(&p, f, len), -DROP_BAD_IHL);
	}
	/* a 60-byte header in a 40-byte packet */
	f[ETH] = 0x4f;
	assert_int_equal(parse(&p, f, len), -DROP_BAD_IHL);
	/* exactly the whole packet is header: no L4 room, but honest IP */
	f[ETH] = 0x4a;
	assert_int_equal(parse(&p, f, len), -DROP_BAD_L4);
}

static void test_bad_ip_len(void **state)
{
	uint8_t f[128];
	struct pkt p;
	uint32_t len = ipv4(f, IPPROTO_UDP, 10);

	(void)state;
	put16(f + ETH + 2, (uint16_t)(len - ETH + 1));
	assert_int_equal(parse(&p, f, len), -DROP_BAD_IP_LEN);
	put16(f + ETH + 2, 65535);
	assert_int_equal(parse(&p, f, len), -DROP_BAD_IP_LEN);
	put16(f + ETH + 2, 19);
	assert_int_equal(parse(&p, f, len), -DROP_BAD_IP_LEN);
	put16(f + ETH + 2, 0);
	assert_int_equal(parse(&p, f, len), -DROP_BAD_IP_LEN);
}

static void test_truncated_l4(void **state)
{
	uint8_t f[128];
	struct pkt p;
	uint32_t len;

	(void)state;
	/* honest lengths, but too few bytes for the fixed L4 header */
	len = ipv4(f, 0, 19);
	f[ETH + 9] = IPPROTO_TCP;
	assert_int_equal(parse(&p, f, len), -DROP_BAD_L4);
	len = ipv4(f, 0, 7);
	f[ETH + 9] = IPPROTO_UDP;
	assert_int_equal(parse(&p, f, len), -DROP_BAD_L4);
	f[ETH + 9] = IPPROTO_ICMP;
	assert_int_equal(parse(&p, f, len), -DROP_BAD_L4);
}

static void test_bad_tcp_off(void **state)
{
	uint8_t f[128];
	struct pkt p;
	uint32_t len = ipv4(f, IPPROTO_TCP, 20);
	int doff;

	(void)state;
	for (doff = 0; doff < 5; doff++) {
		f[ETH + 20 + 12] = (uint8_t)(doff << 4);
		assert_int_equal(parse(&p, f, len), -DROP_BAD_TCP_OFF);
	}
	f[ETH + 20 + 12] = 11 << 4;	/* 44 bytes of header in 40 */
	assert_int_equal(parse(&p, f, len), -DROP_BAD_TCP_OFF);
	f[ETH + 20 + 12] = 10 << 4;	/* exactly all of it */
	assert_int_equal(parse(&p, f, len), 0);
}

static void test_bad_udp_len(void **state)
{
	uint8_t f[128];
	struct pkt p;
	uint32_t len = ipv4(f, IPPROTO_UDP, 10);

	(void)state;
	put16(f + ETH + 20 + 4, 7);
	assert_int_equal(parse(&p, f, len), -DROP_BAD_UDP_LEN);
	put16(f + ETH + 20 + 4, 0);
	assert_int_equal(parse(&p, f, len), -DROP_BAD_UDP_LEN);
	put16(f + ETH + 20 + 4, 19);
	assert_int_equal(parse(&p, f, len), -DROP_BAD_UDP_LEN);
	put16(f + ETH + 20 + 4, 65535);
	assert_int_equal(parse(&p, f, len), -DROP_BAD_UDP_LEN);
	/* shorter than the payload: trailing bytes, as Linux accepts */
	put16(f + ETH + 20 + 4, 8);
	assert_int_equal(parse(&p, f, len), 0);
	put16(f + ETH + 20 + 4, 18);
	assert_int_equal(parse(&p, f, len), 0);
}

static void test_fragments_good(void **state)
{
	static uint8_t f[2048];
	struct pkt p;
	uint32_t len;

	(void)state;
	/* first fragment with a whole TCP header */
	len = frag(f, IPPROTO_TCP, true, 0, 1480);
	assert_int_equal(parse(&p, f, len), 0);
	assert_true(p.is_frag);
	assert_int_equal(p.l4_ofs, ETH + 20);
	/* a first UDP fragment's length covers fragments still to come */
	len = frag(f, IPPROTO_UDP, true, 0, 1480);
	assert_int_equal(parse(&p, f, len), 0);
	/* later fragments: no L4 header to look at */
	len = frag(f, IPPROTO_TCP, true, 3, 16);
	assert_int_equal(parse(&p, f, len), 0);
	assert_true(p.is_frag);
	assert_int_equal(p.l4_ofs, PKT_OFS_NONE);
	len = frag(f, IPPROTO_TCP, false, 185, 1);
	assert_int_equal(parse(&p, f, len), 0);
	/* UDP's 8-byte header is whole at offset 1 (8 bytes) */
	len = frag(f, IPPROTO_UDP, true, 1, 8);
	assert_int_equal(parse(&p, f, len), 0);
	/* the last 8-byte unit a 20-byte header leaves room for */
	len = frag(f, 99, false, (65535 - 20 - 8) / 8, 8);
	assert_int_equal(parse(&p, f, len), 0);
}

static void test_fragments_bad(void **state)
{
	uint8_t f[128];
	struct pkt p;
	uint32_t len;

	(void)state;
	/* empty fragment */
	len = frag(f, IPPROTO_UDP, true, 10, 0);
	assert_int_equal(parse(&p, f, len), -DROP_BAD_FRAG);
	len = frag(f, IPPROTO_TCP, true, 0, 0);
	assert_int_equal(parse(&p, f, len), -DROP_BAD_FRAG);
	/* endless: would end past 65535 */
	len = frag(f, IPPROTO_UDP, false, 8191, 8);
	assert_int_equal(parse(&p, f, len), -DROP_BAD_FRAG);
	len = frag(f, 99, true, (65535 - 20) / 8, 16);
	assert_int_equal(parse(&p, f, len), -DROP_BAD_FRAG);
	/* tiny first fragments (RFC 1858) */
	len = frag(f, IPPROTO_TCP, true, 0, 16);
	assert_int_equal(parse(&p, f, len), -DROP_BAD_FRAG);
	len = frag(f, IPPROTO_TCP, true, 0, 24);
	f[ETH + 20 + 12] = 8 << 4;	/* 32-byte header, 24 bytes here */
	assert_int_equal(parse(&p, f, len), -DROP_BAD_FRAG);
	len = frag(f, IPPROTO_UDP, true, 0, 4);
	assert_int_equal(parse(&p, f, len), -DROP_BAD_FRAG);
	len = frag(f, IPPROTO_ICMP, true, 0, 4);
	assert_int_equal(parse(&p, f, len), -DROP_BAD_FRAG);
	/* a first UDP fragment still may not claim less than its header */
	len = frag(f, IPPROTO_UDP, true, 0, 64);
	put16(f + ETH + 20 + 4, 4);
	assert_int_equal(parse(&p, f, len), -DROP_BAD_UDP_LEN);
}

static void test_fragment_overlap(void **state)
{
	uint8_t f[128];
	struct pkt p;
	uint32_t len;

	(void)state;
	/* offset 1 and 2 land inside the first fragment's TCP header */
	len = frag(f, IPPROTO_TCP, true, 1, 24);
	assert_int_equal(parse(&p, f, len), -DROP_FRAG_OVERLAP);
	len = frag(f, IPPROTO_TCP, false, 2, 8);
	assert_int_equal(parse(&p, f, len), -DROP_FRAG_OVERLAP);
	len = frag(f, IPPROTO_TCP, false, 3, 8);
	assert_int_equal(parse(&p, f, len), 0);
}

/* Every reason has a name (drop.c's table, checked at compile time too). */
static void test_reason_names(void **state)
{
	int i;

	(void)state;
	for (i = 0; i < DROP_MAX; i++)
		assert_non_null(drop_reason_names[i]);
	assert_string_equal(drop_reason_names[DROP_BAD_IHL], "bad_ihl");
	assert_string_equal(drop_reason_names[DROP_FRAG_OVERLAP], "frag_overlap");
}

/* Random bytes after a valid Ethernet/IPv4 start: whatever parse accepts,
 * its offsets point inside the frame and the L4 header it vouches for is
 * whole.  ASan catches any read past the frame. */
static void test_random_frames(void **state)
{
	static uint8_t f[256];
	uint32_t i, j, len, x = 424242;
	unsigned int accepted = 0;
	struct pkt p;
	int rc;

	(void)state;
	for (i = 0; i < 200000; i++) {
		for (j = 0; j < sizeof(f); j++) {
			x = x * 1103515245u + 12345u;
			f[j] = (uint8_t)(x >> 16);
		}
		len = (x >> 4) % sizeof(f);
		put16(f + 12, (i & 7) == 0 ? 0x8100 : 0x0800);
		f[16] = 0x08;
		f[17] = 0x00;
		f[ETH] = (uint8_t)(0x40 | (f[ETH] & 0x0f));
		f[ETH + 9] = (uint8_t)((i >> 3) % 4 == 0 ? 6 : (i >> 3) % 4 == 1 ? 17 : 1);
		if (i & 16)
			put16(f + ETH + 2, (uint16_t)(len > ETH ? len - ETH : 0));
		if (i & 32) {		/* offset 0: unfragmented or a first fragment */
			f[ETH + 6] &= 0x20;
			f[ETH + 7] = 0;
		}
		rc = parse(&p, f, len);
		assert_true(rc <= 0 && rc > -DROP_MAX);
		if (rc < 0)
			continue;
		accepted++;
		assert_true(p.len <= len);
		if (p.l4_ofs != PKT_OFS_NONE)
			assert_true(p.l4_ofs + (p.ip_proto == IPPROTO_TCP ? 20u : 8u) <= p.len);
	}
	assert_true(accepted > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_frames),
		cmocka_unit_test(test_padding_trimmed_and_reparse),
		cmocka_unit_test(test_vlan_arp_and_others),
		cmocka_unit_test(test_runt_and_truncated_ip),
		cmocka_unit_test(test_bad_version),
		cmocka_unit_test(test_bad_ihl),
		cmocka_unit_test(test_bad_ip_len),
		cmocka_unit_test(test_truncated_l4),
		cmocka_unit_test(test_bad_tcp_off),
		cmocka_unit_test(test_bad_udp_len),
		cmocka_unit_test(test_fragments_good),
		cmocka_unit_test(test_fragments_bad),
		cmocka_unit_test(test_fragment_overlap),
		cmocka_unit_test(test_reason_names),
		cmocka_unit_test(test_random_frames),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
