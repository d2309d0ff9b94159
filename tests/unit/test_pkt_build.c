/* test_pkt_build.c - the header builders against known bytes and against
 * the switch's own parser.
 *
 * The IPv4 header is checked byte for byte against a published example
 * (its checksum computed by hand elsewhere), so a builder that agrees with
 * itself but not with the world fails.  Whole frames are then built the
 * way dns.c, dns_tcp.c and trace.c build them and handed to pkt_parse(),
 * and every checksum they carry must verify to zero.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <net/ethernet.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include "csum.h"
#include "pkt.h"
#include "pkt_build.h"

static uint8_t buf[PKT_HEADROOM + 2048] __attribute__((aligned(8)));
static const uint8_t mac_a[6] = { 0x02, 0, 0, 0, 0, 0xa };
static const uint8_t mac_b[6] = { 0x02, 0, 0, 0, 0, 0xb };

static uint32_t ip4(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr;
}

/* Parse LEN bytes at buf + PKT_HEADROOM (where the frame was built). */
static void parse_ok(struct pkt *p, uint32_t len)
{
	memset(p, 0, sizeof(*p));
	p->buf = buf;
	p->data = buf + PKT_HEADROOM;
	p->len = len;
	assert_int_equal(pkt_parse(p), 0);
	assert_int_equal(p->eth_type, ETHERTYPE_IP);
	assert_int_equal(p->l3_ofs, ETH_HLEN);
	assert_int_equal(p->l4_ofs, ETH_HLEN + sizeof(struct iphdr));
}

/* Sum of an L4 message with its pseudo-header: zero when it verifies. */
static uint16_t l4_verify(const uint8_t *l4, const struct pkt_ip4 *h, uint16_t len)
{
	return csum_fold(csum_partial(l4, len, csum_pseudo4(h->src, h->dst,
							    h->proto, len)));
}

static void test_eth_bytes(void **state)
{
	static const uint8_t want[14] = { 0x02, 0, 0, 0, 0, 0xb, 0x02, 0, 0, 0, 0, 0xa,
					  0x08, 0x06 };
	uint8_t f[14] __attribute__((aligned(4)));

	(void)state;
	assert_ptr_equal(pkt_build_eth(f, mac_b, mac_a, ETHERTYPE_ARP), f + 14);
	assert_memory_equal(f, want, sizeof(want));
}

/* The example header of Wikipedia's "Internet checksum" article:
 * 192.168.0.1 -> 192.168.0.199, UDP, 115 bytes, DF, TTL 64: sum b861. */
static void test_ip4_known_bytes(void **state)
{
	static const uint8_t want[20] = {
		0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
		0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7 };
	struct pkt_ip4 h = { .src = ip4("192.168.0.1"), .dst = ip4("192.168.0.199"),
			     .proto = IPPROTO_UDP, .df = true };
	uint8_t f[20] __attribute__((aligned(4)));

	(void)state;
	memset(f, 0xee, sizeof(f));    /* stale bytes must not survive */
	assert_ptr_equal(pkt_build_ip4(f, &h, 115 - 20), f + 20);
	assert_memory_equal(f, want, sizeof(want));
	assert_int_equal(csum(f, 20), 0);
}

static void test_ip4_ttl_id(void **state)
{
	struct pkt_ip4 h = { .src = ip4("10.0.0.1"), .dst = ip4("10.0.0.2"),
			     .proto = IPPROTO_TCP, .ttl = 7, .id = 0x1234 };
	struct iphdr *ip = (void *)buf;

	(void)state;
	pkt_build_ip4(buf, &h, 0);
	assert_int_equal(ip->ttl, 7);
	assert_int_equal(ntohs(ip->id), 0x1234);
	assert_int_equal(ip->frag_off, 0);
	assert_int_equal(csum(ip, 20), 0);
	h.ttl = 0;
	pkt_build_ip4(buf, &h, 0);
	assert_int_equal(ip->ttl, PKT_BUILD_TTL);
}

/* An echo request as trace.c builds it: parses, and its sum verifies. */
static void test_icmp_echo_frame(void **state)
{
	struct pkt_ip4 h = { .src = ip4("10.0.0.1"), .dst = ip4("10.0.0.2"),
			     .proto = IPPROTO_ICMP };
	uint8_t *f = buf + PKT_HEADROOM, *l4, *body;
	const struct icmphdr *ic;
	struct pkt p;

	(void)state;
	l4 = pkt_build_ip4(pkt_build_eth(f, mac_b, mac_a, ETHERTYPE_IP), &h, 8 + 5);
	body = pkt_build_icmp(l4, ICMP_ECHO, 0, 0x7ace, 3);
	memcpy(body, "hello", 5);    /* odd length: the last byte is padded */
	pkt_build_icmp_csum(l4, 8 + 5);
	parse_ok(&p, (uint32_t)(body + 5 - f));
	assert_int_equal(p.ip_proto, IPPROTO_ICMP);
	ic = pkt_l4(&p);
	assert_int_equal(ic->type, ICMP_ECHO);
	assert_int_equal(ntohs(ic->un.echo.id), 0x7ace);
	assert_int_equal(ntohs(ic->un.echo.sequence), 3);
	assert_int_equal(csum(l4, 8 + 5), 0);
}

/* Frag-needed carries the next-hop MTU in the header's last 16 bits. */
static void test_icmp_frag_needed_mtu(void **state)
{
	uint8_t f[8] __attribute__((aligned(4)));
	const struct icmphdr *ic = (const void *)f;

	(void)state;
	memset(f, 0xee, sizeof(f));
	pkt_build_icmp(f, ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED, 0, 1400);
	pkt_build_icmp_csum(f, 8);
	assert_int_equal(f[4] | f[5], 0);    /* unused, RFC 1191 */
	assert_int_equal(ntohs(ic->un.frag.mtu), 1400);
	assert_int_equal(csum(f, 8), 0);
}

/* A DNS answer as dns.c builds it: UDP length and sum right. */
static void test_udp_frame(void **state)
{
	struct pkt_ip4 h = { .src = ip4("172.18.0.1"), .dst = ip4("172.18.0.5"),
			     .proto = IPPROTO_UDP, .id = 9 };
	uint8_t *f = buf + PKT_HEADROOM, *udp, *payload;
	const struct udphdr *u;
	struct pkt p;

	(void)state;
	udp = pkt_build_ip4(pkt_build_eth(f, mac_b, mac_a, ETHERTYPE_IP), &h, 8 + 3);
	payload = pkt_build_udp(udp, 53, 40000, 8 + 3);
	memcpy(payload, "abc", 3);
	pkt_build_l4_csum(udp, &h, 8 + 3);
	parse_ok(&p, (uint32_t)(payload + 3 - f));
	u = pkt_l4(&p);
	assert_int_equal(ntohs(u->source), 53);
	assert_int_equal(ntohs(u->dest), 40000);
	assert_int_equal(ntohs(u->len), 11);
	assert_int_not_equal(u->check, 0);
	assert_int_equal(l4_verify(udp, &h, 11), 0);
}

/* A UDP sum that comes out zero goes on the wire as 0xffff (RFC 768):
 * a payload word equal to the first sum cancels it exactly. */
static void test_udp_zero_sum(void **state)
{
	struct pkt_ip4 h = { .src = ip4("10.1.2.3"), .dst = ip4("10.3.2.1"),
			     .proto = IPPROTO_UDP };
	uint8_t u[10] __attribute__((aligned(4)));
	uint16_t first;

	(void)state;
	pkt_build_udp(u, 1000, 2000, sizeof(u));
	memset(u + 8, 0, 2);
	pkt_build_l4_csum(u, &h, sizeof(u));
	memcpy(&first, u + 6, 2);
	memcpy(u + 8, &first, 2);
	pkt_build_l4_csum(u, &h, sizeof(u));
	assert_int_equal(((struct udphdr *)(void *)u)->check, 0xffff);
	assert_int_equal(l4_verify(u, &h, sizeof(u)), 0);
}

/* A TCP segment as dns_tcp.c builds it: its sum verifies, and a stale
 * checksum field does not leak into the new sum. */
static void test_tcp_csum(void **state)
{
	struct pkt_ip4 h = { .src = ip4("10.0.0.1"), .dst = ip4("10.0.0.9"),
			     .proto = IPPROTO_TCP, .df = true };
	uint8_t *f = buf + PKT_HEADROOM, *l4;
	struct tcphdr *th;
	struct pkt p;

	(void)state;
	l4 = pkt_build_ip4(pkt_build_eth(f, mac_b, mac_a, ETHERTYPE_IP), &h, 20 + 4);
	th = (void *)l4;
	memset(th, 0, 20);
	th->source = htons(53);
	th->dest = htons(33333);
	th->doff = 5;
	th->syn = 1;
	th->check = 0xbeef;
	memcpy(l4 + 20, "DATA", 4);
	pkt_build_l4_csum(l4, &h, 24);
	parse_ok(&p, (uint32_t)(l4 + 24 - f));
	assert_int_equal(p.ip_proto, IPPROTO_TCP);
	assert_int_equal(l4_verify(l4, &h, 24), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_eth_bytes),
		cmocka_unit_test(test_ip4_known_bytes),
		cmocka_unit_test(test_ip4_ttl_id),
		cmocka_unit_test(test_icmp_echo_frame),
		cmocka_unit_test(test_icmp_frag_needed_mtu),
		cmocka_unit_test(test_udp_frame),
		cmocka_unit_test(test_udp_zero_sum),
		cmocka_unit_test(test_tcp_csum),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
