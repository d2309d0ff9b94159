/* test_router_port.c - the uplink's own address as a router port.
 *
 * The gateway side of router_port.c is covered byte for byte by
 * test_gateway.c; this test covers the uplink side, which had no unit
 * test and used to answer a ping without looking at its checksum.  It
 * runs the real datapath (port.c rx, ingress, gateway, uplink, NAT,
 * egress) in the fuzz harnesses' little world (tests/fuzz/fuzz_world.c:
 * two networks, an uplink 10.99.0.2/24 on a fake port), sends crafted
 * frames in, and looks at what leaves each port and at its drop counters:
 *
 *  - a ping from outside to the uplink IP is answered from the uplink's
 *    MAC and IP, with the request's identifier, sequence and data;
 *  - one with a bad ICMP checksum gets no answer and is counted as
 *    bad_l4 on the uplink port;
 *  - a container's ping to the uplink IP is answered from behind its
 *    gateway, and a bad one is counted on the container's port, also on
 *    a --no-icc network (the reply is the switch's own, not ICC);
 *  - an ARP request for the uplink IP is answered; a malformed ARP is
 *    counted as bad_l3;
 *  - the uplink's IPv6 neighbour discovery (uplink6.c): a container's
 *    packet to the outside waits while a solicitation for the IPv6
 *    gateway goes out; an unsolicited advertisement for an address
 *    nobody asked about is not learned; the solicited one for the
 *    gateway resolves it and lets the packet go to its MAC; after that
 *    neither an unsolicited advertisement nor an unasked "solicited" one
 *    moves the pinned gateway entry.
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
#include <net/if_arp.h>
#include <netinet/if_ether.h>
#include <netinet/ip.h>
#include <netinet/icmp6.h>
#include <netinet/ip_icmp.h>
#include "arp.h"
#include "csum.h"
#include "fuzz_world.h"
#include "neigh.h"
#include "pkt_build.h"
#include "uplink_internal.h"

#define TX_MAX 16

struct tx {
	struct port *port;
	uint32_t len;
	uint8_t data[256];
};

static struct tx tx[TX_MAX];
static unsigned int n_tx;
/* Two bytes in, as after PKT_HEADROOM: the IP header is 4-byte aligned. */
static uint8_t frame_buf[2 + 256] __attribute__((aligned(8)));
#define frame (frame_buf + 2)
static const uint8_t outside_mac[6] = { 0x02, 0x99, 0, 0, 0, 7 };

static void record(struct port *port, struct pkt *const *pkts, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n && n_tx < TX_MAX; i++) {
		tx[n_tx].port = port;
		tx[n_tx].len = pkts[i]->len < sizeof(tx[0].data) ? pkts[i]->len
								 : sizeof(tx[0].data);
		memcpy(tx[n_tx].data, pkts[i]->data, tx[n_tx].len);
		n_tx++;
	}
}

static uint32_t ip4(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr;
}

static int setup(void **state)
{
	(void)state;
	fw_build();
	fw_tx_hook = record;
	n_tx = 0;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	fw_tx_hook = NULL;
	fw_teardown();
	return 0;
}

/* An echo request DMAC/SMAC SRC -> DST with 6 bytes of data, in frame. */
static uint32_t ping(const uint8_t *dmac, const uint8_t *smac, uint32_t src,
		     uint32_t dst)
{
	struct pkt_ip4 h = { .src = src, .dst = dst, .proto = IPPROTO_ICMP };
	uint8_t *l4, *body;

	l4 = pkt_build_ip4(pkt_build_eth(frame, dmac, smac, ETHERTYPE_IP), &h, 8 + 6);
	body = pkt_build_icmp(l4, ICMP_ECHO, 0, 0x4242, 7);
	memcpy(body, "rport!", 6);
	pkt_build_icmp_csum(l4, 8 + 6);
	return (uint32_t)(body + 6 - frame);
}

static void rx(struct port *port, uint32_t len)
{
	const uint8_t *f = frame;

	n_tx = 0;
	fw_rx(port, &f, &len, 1);
}

/* The one frame sent on PORT (fails unless exactly one was). */
static const struct tx *sent_on(const struct port *port)
{
	const struct tx *t = NULL;
	unsigned int i, n = 0;

	for (i = 0; i < n_tx; i++)
		if (tx[i].port == port) {
			t = &tx[i];
			n++;
		}
	assert_int_equal(n, 1);
	return t;
}

static unsigned int count_on(const struct port *port)
{
	unsigned int i, n = 0;

	for (i = 0; i < n_tx; i++)
		n += tx[i].port == port;
	return n;
}

/* T is an echo reply from SMAC/SRC to DMAC/DST carrying ping()'s body. */
static void assert_echo_reply(const struct tx *t, const uint8_t *smac, uint32_t src,
			      const uint8_t *dmac, uint32_t dst)
{
	struct iphdr ip;
	struct icmphdr ic;

	assert_int_equal(t->len, 14 + 20 + 8 + 6);
	assert_memory_equal(t->data, dmac, 6);
	assert_memory_equal(t->data + 6, smac, 6);
	memcpy(&ip, t->data + 14, sizeof(ip));
	assert_int_equal(ip.saddr, src);
	assert_int_equal(ip.daddr, dst);
	assert_int_equal(ip.protocol, IPPROTO_ICMP);
	assert_int_equal(csum(t->data + 14, 20), 0);
	memcpy(&ic, t->data + 34, sizeof(ic));
	assert_int_equal(ic.type, ICMP_ECHOREPLY);
	assert_int_equal(ntohs(ic.un.echo.id), 0x4242);
	assert_int_equal(ntohs(ic.un.echo.sequence), 7);
	assert_memory_equal(t->data + 42, "rport!", 6);
	assert_int_equal(csum(t->data + 34, 8 + 6), 0);
}

static void test_outside_ping_answered(void **state)
{
	uint32_t len = ping(fw.uplink_mac, outside_mac, ip4("10.99.0.7"), ip4(FW_UPLINK_IP));

	(void)state;
	rx(fw.uplink, len);
	assert_echo_reply(sent_on(fw.uplink), fw.uplink_mac, ip4(FW_UPLINK_IP),
			  outside_mac, ip4("10.99.0.7"));
	assert_int_equal(fw.uplink->stats.drops[DROP_BAD_L4], 0);
}

static void test_outside_ping_bad_csum(void **state)
{
	uint32_t len = ping(fw.uplink_mac, outside_mac, ip4("10.99.0.7"), ip4(FW_UPLINK_IP));

	(void)state;
	frame[14 + 20 + 8] ^= 0x01;    /* one bit of data: the sum no longer holds */
	rx(fw.uplink, len);
	assert_int_equal(count_on(fw.uplink), 0);
	assert_int_equal(fw.uplink->stats.drops[DROP_BAD_L4], 1);
}

static void test_container_ping_answered(void **state)
{
	struct endpoint *ep = fw.ep[0];
	uint32_t len = ping(ep->net->gw_mac, ep->mac, vs_addr_get_v4(&ep->ip), ip4(FW_UPLINK_IP));

	(void)state;
	rx(ep->port, len);
	assert_echo_reply(sent_on(ep->port), ep->net->gw_mac, ip4(FW_UPLINK_IP),
			  ep->mac, vs_addr_get_v4(&ep->ip));
	assert_int_equal(count_on(fw.uplink), 0);
}

static void test_container_ping_bad_csum(void **state)
{
	struct endpoint *ep = fw.ep[0];
	uint32_t len = ping(ep->net->gw_mac, ep->mac, vs_addr_get_v4(&ep->ip), ip4(FW_UPLINK_IP));

	(void)state;
	frame[14 + 20 + 8 + 5] ^= 0x80;
	rx(ep->port, len);
	assert_int_equal(count_on(ep->port), 0);
	assert_int_equal(count_on(fw.uplink), 0);
	assert_int_equal(ep->port->stats.drops[DROP_BAD_L4], 1);
}

/* fz2 has --no-icc: the reply is the switch's own frame, not ICC. */
static void test_container_ping_no_icc(void **state)
{
	struct endpoint *ep = fw.ep[3];
	uint32_t len = ping(ep->net->gw_mac, ep->mac, vs_addr_get_v4(&ep->ip), ip4(FW_UPLINK_IP));

	(void)state;
	assert_false(ep->net->icc);
	rx(ep->port, len);
	assert_echo_reply(sent_on(ep->port), ep->net->gw_mac, ip4(FW_UPLINK_IP),
			  ep->mac, vs_addr_get_v4(&ep->ip));
	assert_int_equal(ep->port->stats.drops[DROP_NO_ICC], 0);
}

static uint32_t arp_request(uint16_t hrd)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }, zero[6];
	struct ether_arp *a = (void *)(frame + 14);

	memset(frame, 0, 60);
	memcpy(frame, bcast, 6);
	arp_fill((struct ether_header *)frame, a, ARPOP_REQUEST, outside_mac,
		 ip4("10.99.0.7"), zero, ip4(FW_UPLINK_IP));
	a->arp_hrd = htons(hrd);
	return 60;
}

static void test_arp_answered(void **state)
{
	uint32_t len = arp_request(ARPHRD_ETHER);
	const struct tx *t;
	struct ether_arp a;
	uint32_t spa, tpa;

	(void)state;
	rx(fw.uplink, len);
	t = sent_on(fw.uplink);
	assert_true(t->len >= 42);
	assert_memory_equal(t->data, outside_mac, 6);
	assert_memory_equal(t->data + 6, fw.uplink_mac, 6);
	memcpy(&a, t->data + 14, sizeof(a));
	assert_int_equal(ntohs(a.arp_op), ARPOP_REPLY);
	assert_memory_equal(a.arp_sha, fw.uplink_mac, 6);
	assert_memory_equal(a.arp_tha, outside_mac, 6);
	memcpy(&spa, a.arp_spa, 4);
	memcpy(&tpa, a.arp_tpa, 4);
	assert_int_equal(spa, ip4(FW_UPLINK_IP));
	assert_int_equal(tpa, ip4("10.99.0.7"));
}

static void test_arp_malformed(void **state)
{
	uint32_t len = arp_request(6);    /* IEEE 802 hardware: not ours */

	(void)state;
	rx(fw.uplink, len);
	assert_int_equal(count_on(fw.uplink), 0);
	assert_int_equal(fw.uplink->stats.drops[DROP_BAD_L3], 1);
}

/* ---- the uplink's IPv6 neighbour discovery ---- */

static void a6(const char *s, uint8_t *out)
{
	assert_int_equal(inet_pton(AF_INET6, s, out), 1);
}

/* A UDP datagram from endpoint EP's IPv6 address to DST port 53, sent
 * to its gateway, in frame. */
static uint32_t udp6_out(const struct endpoint *ep, const uint8_t *dst)
{
	struct pkt_ip6 h = { .nh = IPPROTO_UDP, .hlim = 64 };
	uint8_t *l4;

	memcpy(h.src, ep->ip6.b, 16);
	memcpy(h.dst, dst, 16);
	l4 = pkt_build_ip6(pkt_build_eth(frame, ep->net->gw_mac, ep->mac, ETHERTYPE_IPV6),
			   &h, 8 + 4);
	pkt_build_udp(l4, 40000, 53, 8 + 4);
	memcpy(l4 + 8, "ndp!", 4);
	pkt_build_l4_csum6(l4, &h, 8 + 4);
	return (uint32_t)(l4 + 12 - frame);
}

/* A neighbour advertisement from the outside (MAC, link-local SRC) to the
 * uplink's IPv6 address for TARGET, flags FL, target link-layer MAC. */
static uint32_t na_in(const uint8_t *mac, const uint8_t *target, uint8_t fl)
{
	struct pkt_ip6 h = { .nh = IPPROTO_ICMPV6, .hlim = 255 };
	uint8_t *m;

	a6("fe80::99", h.src);
	a6(FW_UPLINK_IP6, h.dst);
	m = pkt_build_ip6(pkt_build_eth(frame, fw.uplink_mac, mac, ETHERTYPE_IPV6), &h, 32);
	memset(m, 0, 32);
	m[0] = ND_NEIGHBOR_ADVERT;
	m[4] = fl;
	memcpy(m + 8, target, 16);
	m[24] = ND_OPT_TARGET_LINKADDR;
	m[25] = 1;
	memcpy(m + 26, mac, 6);
	pkt_build_icmp6_csum(m, &h, 32);
	return (uint32_t)(m + 32 - frame);
}

static void test_uplink6_neighbour_discovery(void **state)
{
	static const uint8_t bad_mac[6] = { 0x02, 0xba, 0xd, 0, 0, 1 };
	struct uplink *ul = dp_uplink_first(&fw.dp);
	uint8_t far[16], gw6[16], stranger[16];
	uint64_t bad0 = fw.uplink->stats.drops[DROP_BAD_L4];
	union vs_addr sa;
	const struct tx *t;

	(void)state;
	a6("2001:db8:99::1", far);
	a6(FW_UPLINK_GW6, gw6);
	a6("2001:db8:f::77", stranger);
	assert_true(ul->v6);
	assert_int_equal(ul->neigh6.gw.seen_ms, 0);	/* forgotten at teardown */
	/* the container's datagram waits; a solicitation for the gateway
	 * goes to its solicited-node group, from the uplink's address (the
	 * world asked once as it was built: one question a NEIGH_ASK_MS) */
	fw_advance(NEIGH_ASK_MS);
	rx(fw.ep[0]->port, udp6_out(fw.ep[0], far));
	t = sent_on(fw.uplink);
	assert_memory_equal(t->data, "\x33\x33\xff\x00\x00\xfe", 6);
	assert_memory_equal(t->data + 6, fw.uplink_mac, 6);
	assert_int_equal(t->data[20], IPPROTO_ICMPV6);
	assert_int_equal(t->data[21], 255);
	assert_int_equal(t->data[54], ND_NEIGHBOR_SOLICIT);
	assert_memory_equal(t->data + 62, gw6, 16);
	assert_int_equal(csum_fold(csum_partial(t->data + 54, 32, csum_pseudo6(
		t->data + 22, t->data + 38, IPPROTO_ICMPV6, 32))), 0);

	/* an advertisement nobody asked for, about a stranger: not learned */
	rx(fw.uplink, na_in(bad_mac, stranger, ND_NA_FLAG_OVERRIDE));
	memcpy(&sa, stranger, 16);
	assert_null(neigh_find(&ul->neigh6, &sa));
	assert_int_equal(count_on(fw.uplink), 0);

	/* the gateway's solicited answer resolves it: the datagram leaves
	 * for its MAC, from the uplink's IPv6 address (NAT66) */
	rx(fw.uplink, na_in(outside_mac, gw6, ND_NA_FLAG_ROUTER | ND_NA_FLAG_SOLICITED |
			    ND_NA_FLAG_OVERRIDE));
	assert_true(ul->neigh6.gw.seen_ms != 0);
	assert_memory_equal(ul->neigh6.gw.mac, outside_mac, 6);
	t = sent_on(fw.uplink);
	assert_memory_equal(t->data, outside_mac, 6);
	assert_memory_equal(t->data + 6, fw.uplink_mac, 6);
	a6(FW_UPLINK_IP6, stranger);
	assert_memory_equal(t->data + 22, stranger, 16);
	assert_memory_equal(t->data + 38, far, 16);
	assert_memory_equal(t->data + 62, "ndp!", 4);

	/* pinned: an unsolicited override, or a "solicited" answer nobody
	 * is waiting for, does not move it */
	rx(fw.uplink, na_in(bad_mac, gw6, ND_NA_FLAG_ROUTER | ND_NA_FLAG_OVERRIDE));
	assert_memory_equal(ul->neigh6.gw.mac, outside_mac, 6);
	rx(fw.uplink, na_in(bad_mac, gw6, ND_NA_FLAG_ROUTER | ND_NA_FLAG_SOLICITED |
			    ND_NA_FLAG_OVERRIDE));
	assert_memory_equal(ul->neigh6.gw.mac, outside_mac, 6);
	memcpy(&sa, gw6, 16);
	assert_ptr_equal(neigh_find(&ul->neigh6, &sa), &ul->neigh6.gw);
	/* the next datagram goes straight to it, no question asked */
	rx(fw.ep[0]->port, udp6_out(fw.ep[0], far));
	t = sent_on(fw.uplink);
	assert_memory_equal(t->data, outside_mac, 6);
	/* every advertisement was well formed (the uplink port outlives a
	 * world: its counter holds earlier tests' drops) */
	assert_int_equal(fw.uplink->stats.drops[DROP_BAD_L4], bad0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_outside_ping_answered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_outside_ping_bad_csum, setup, teardown),
		cmocka_unit_test_setup_teardown(test_container_ping_answered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_container_ping_bad_csum, setup, teardown),
		cmocka_unit_test_setup_teardown(test_container_ping_no_icc, setup, teardown),
		cmocka_unit_test_setup_teardown(test_arp_answered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_arp_malformed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_uplink6_neighbour_discovery, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
