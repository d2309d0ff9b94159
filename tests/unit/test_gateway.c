/* test_gateway.c - the per-network gateway on crafted frames: ARP reply,
 * ICMP echo reply, TTL expiry, unreachables (another network, no uplink,
 * internal), routing to the uplink, on-link delivery, DNS hand-off and
 * the gratuitous ARP.  Replies are checked byte by byte, checksums too. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <net/ethernet.h>
#include <netinet/if_ether.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include "csum.h"
#include "fdb.h"
#include "l2_fakes.h"

static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static struct network *net, *net2;
static struct endpoint *c1, *c2, *d1;

static int setup(void **state)
{
	(void)state;
	fdb_common_init(&l2f_dp.fdb, EV_DEFAULT);
	l2f_reset();
	net = l2f_network("g1", "172.18.0.0", 16, "172.18.0.1");
	net2 = l2f_network("g2", "172.19.0.0", 16, "172.19.0.1");
	c1 = l2f_endpoint(net, "c1", "172.18.0.2");
	c2 = l2f_endpoint(net, "c2", "172.18.0.3");
	d1 = l2f_endpoint(net2, "d1", "172.19.0.2");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	l2f_teardown();
	return 0;
}

/* An ICMP echo request of 8 + PAYLOAD bytes with a valid checksum. */
static uint32_t echo_req(uint8_t *l4, uint32_t payload)
{
	struct icmphdr ic = { .type = ICMP_ECHO };
	uint16_t cs;
	uint32_t i;

	ic.un.echo.id = htons(0x4242);
	ic.un.echo.sequence = htons(7);
	memcpy(l4, &ic, sizeof(ic));
	for (i = 0; i < payload; i++)
		l4[8 + i] = (uint8_t)i;
	cs = csum(l4, 8 + payload);
	memcpy(l4 + 2, &cs, 2);
	return 8 + payload;
}

static uint32_t udp_to(uint8_t *f, struct endpoint *from, const uint8_t *dmac,
		       const char *dst, uint16_t dport, uint8_t ttl)
{
	uint8_t udp[12] = { 0x30, 0x39, (uint8_t)(dport >> 8), (uint8_t)dport, 0, 12 };
	char src[VS_ADDR_STRLEN];

	vs_addr_str(&from->ip, src, sizeof(src));
	return l2f_eth_ip(f, dmac, from->mac, src, dst, 17, ttl, udp, sizeof(udp));
}

/* Check a reply frame: Ethernet from the gw MAC to DST, a valid IPv4
 * header from SRC; return its ICMP header (copied, aligned) in IC. */
static const uint8_t *check_icmp_reply(const struct l2f_tx *t, const struct endpoint *dst,
				       const struct network *n, struct icmphdr *ic)
{
	struct iphdr ip;

	assert_memory_equal(t->data, dst->mac, 6);
	assert_memory_equal(t->data + 6, n->gw_mac, 6);
	assert_int_equal(t->data[12], 0x08);
	assert_int_equal(t->data[13], 0x00);
	memcpy(&ip, t->data + 14, sizeof(ip));
	assert_int_equal(ip.version, 4);
	assert_int_equal(ip.ihl, 5);
	assert_int_equal(ip.protocol, IPPROTO_ICMP);
	assert_int_equal(ip.saddr, vs_addr_get_v4(&n->gateway));
	assert_int_equal(ip.daddr, vs_addr_get_v4(&dst->ip));
	assert_int_equal(ntohs(ip.tot_len), t->len - 14);
	assert_int_equal(csum(t->data + 14, 20), 0);
	assert_int_equal(csum(t->data + 34, t->len - 34), 0);
	assert_true(t->flags & PKT_F_LOCAL);
	memcpy(ic, t->data + 34, sizeof(*ic));
	return t->data + 34;
}

static void test_arp_reply(void **state)
{
	struct ether_arp a;
	uint8_t f[64];
	uint32_t len, spa;

	(void)state;
	/* unicast ARP to the gw MAC, and broadcast: both answered */
	len = l2f_arp(f, ARPOP_REQUEST, net->gw_mac, c1->mac, "172.18.0.2", "172.18.0.1");
	l2f_send(c1, f, len);
	assert_int_equal(l2f_n_tx, 1);
	assert_ptr_equal(l2f_tx[0].port, c1->port);
	assert_int_equal(l2f_tx[0].len, 42);
	assert_memory_equal(l2f_tx[0].data, c1->mac, 6);
	assert_memory_equal(l2f_tx[0].data + 6, net->gw_mac, 6);
	memcpy(&a, l2f_tx[0].data + 14, sizeof(a));
	assert_int_equal(ntohs(a.arp_op), ARPOP_REPLY);
	assert_int_equal(ntohs(a.arp_hrd), ARPHRD_ETHER);
	assert_int_equal(ntohs(a.arp_pro), ETHERTYPE_IP);
	assert_memory_equal(a.arp_sha, net->gw_mac, 6);
	assert_memory_equal(a.arp_spa, &net->gateway.v4mapped.a4, 4);
	assert_memory_equal(a.arp_tha, c1->mac, 6);
	memcpy(&spa, a.arp_tpa, 4);
	assert_int_equal(spa, vs_addr_get_v4(&c1->ip));
	/* gateway MAC is locally administered unicast */
	assert_int_equal(net->gw_mac[0] & 3, 2);

	/* ARP for a container address is not answered by the gateway */
	l2f_n_tx = 0;
	len = l2f_arp(f, ARPOP_REQUEST, bcast, c1->mac, "172.18.0.2", "172.18.0.3");
	l2f_send(c1, f, len);
	assert_int_equal(l2f_n_tx, 1);
	assert_ptr_equal(l2f_tx[0].port, c2->port);
}

static void test_echo_reply(void **state)
{
	uint8_t f[256], l4[128];
	struct icmphdr ic;
	const uint8_t *r;
	uint32_t len, l4len;

	(void)state;
	l4len = echo_req(l4, 56);
	len = l2f_eth_ip(f, net->gw_mac, c1->mac, "172.18.0.2", "172.18.0.1", 1, 64, l4, l4len);
	l2f_send(c1, f, len);
	assert_int_equal(l2f_n_tx, 1);
	assert_int_equal(l2f_tx[0].len, len);
	r = check_icmp_reply(&l2f_tx[0], c1, net, &ic);
	assert_int_equal(ic.type, ICMP_ECHOREPLY);
	assert_int_equal(ic.code, 0);
	assert_int_equal(ntohs(ic.un.echo.id), 0x4242);
	assert_int_equal(ntohs(ic.un.echo.sequence), 7);
	assert_memory_equal(r + 8, l4 + 8, 56);

	/* bad checksum: dropped, counted, no reply */
	l2f_n_tx = 0;
	l4[2] ^= 0xff;
	len = l2f_eth_ip(f, net->gw_mac, c1->mac, "172.18.0.2", "172.18.0.1", 1, 64, l4, l4len);
	l2f_send(c1, f, len);
	assert_int_equal(l2f_n_tx, 0);
	assert_int_equal(c1->port->stats.drops[DROP_BAD_L4], 1);
}

static void test_ttl_expiry(void **state)
{
	uint8_t f[128];
	struct icmphdr ic;
	struct iphdr q;
	const uint8_t *r;
	uint32_t len;

	(void)state;
	l2f_uplink_present = true;
	len = udp_to(f, c1, net->gw_mac, "8.8.8.8", 33434, 1);
	l2f_send(c1, f, len);
	assert_int_equal(l2f_uplink_calls, 0);
	assert_int_equal(l2f_n_tx, 1);
	r = check_icmp_reply(&l2f_tx[0], c1, net, &ic);
	assert_int_equal(ic.type, ICMP_TIME_EXCEEDED);
	assert_int_equal(ic.code, ICMP_EXC_TTL);
	/* the quote: the original IP header (TTL as received) and 8 bytes */
	assert_int_equal(l2f_tx[0].len, 14 + 20 + 8 + 20 + 12);
	memcpy(&q, r + 8, sizeof(q));
	assert_int_equal(q.ttl, 1);
	assert_memory_equal(r + 8, f + 14, 32);
	assert_int_equal(c1->port->stats.drops[DROP_TTL_EXCEEDED], 1);
}

static void test_route_to_uplink(void **state)
{
	uint8_t f[128];
	uint32_t len;

	(void)state;
	l2f_uplink_present = true;
	len = udp_to(f, c1, net->gw_mac, "8.8.8.8", 53, 64);
	l2f_send(c1, f, len);
	assert_int_equal(l2f_uplink_calls, 1);
	assert_int_equal(l2f_n_tx, 0);

	/* the uplink refuses: its reason counted, ICMP unreachable back */
	l2f_uplink_verdict = DROP_NAT_NO_PORT;
	l2f_send(c1, f, len);
	assert_int_equal(c1->port->stats.drops[DROP_NAT_NO_PORT], 1);
	assert_int_equal(l2f_n_tx, 1);
	assert_int_equal(l2f_tx[0].data[34], ICMP_DEST_UNREACH);
	/* quoted header has the TTL as sent, and a valid checksum */
	assert_int_equal(l2f_tx[0].data[42 + 8], 64);
	assert_int_equal(csum(l2f_tx[0].data + 42, 20), 0);
}

static void unreach_check(uint8_t code)
{
	struct icmphdr ic;

	assert_int_equal(l2f_n_tx, 1);
	check_icmp_reply(&l2f_tx[0], c1, net, &ic);
	assert_int_equal(ic.type, ICMP_DEST_UNREACH);
	assert_int_equal(ic.code, code);
}

static void test_unreach_other_network(void **state)
{
	uint8_t f[128];
	uint32_t len;

	(void)state;
	l2f_uplink_present = true;
	len = udp_to(f, c1, net->gw_mac, "172.19.0.2", 9, 64);
	l2f_send(c1, f, len);
	unreach_check(ICMP_NET_UNREACH);
	assert_int_equal(l2f_uplink_calls, 0);
	assert_ptr_equal(l2f_tx[0].port, c1->port);
	assert_int_equal(c1->port->stats.drops[DROP_NO_ROUTE], 1);
}

static void test_unreach_no_uplink(void **state)
{
	uint8_t f[128];
	uint32_t len;

	(void)state;
	len = udp_to(f, c1, net->gw_mac, "8.8.8.8", 9, 64);
	l2f_send(c1, f, len);
	unreach_check(ICMP_NET_UNREACH);

	/* internal network: unreachable even with an uplink */
	l2f_n_tx = 0;
	l2f_uplink_present = true;
	net->internal = true;
	l2f_send(c1, f, len);
	unreach_check(ICMP_NET_UNREACH);
	assert_int_equal(l2f_uplink_calls, 0);
}

static void test_port_unreach_and_dns(void **state)
{
	uint8_t f[128];
	uint32_t len;

	(void)state;
	len = udp_to(f, c1, net->gw_mac, "172.18.0.1", 9, 64);
	l2f_send(c1, f, len);
	unreach_check(ICMP_PORT_UNREACH);

	/* port 53 on a network without DNS: port unreachable too */
	l2f_n_tx = 0;
	len = udp_to(f, c1, net->gw_mac, "172.18.0.1", 53, 64);
	l2f_send(c1, f, len);
	assert_int_equal(l2f_dns_calls, 0);
	net->dns = true;
	l2f_n_tx = 0;
	l2f_send(c1, f, len);
	assert_int_equal(l2f_dns_calls, 1);
	assert_int_equal(l2f_n_tx, 0);
	/* --dns-intercept: port 53 to any address */
	net->dns_intercept = true;
	len = udp_to(f, c1, net->gw_mac, "9.9.9.9", 53, 64);
	l2f_send(c1, f, len);
	assert_int_equal(l2f_dns_calls, 2);
}

static void test_no_error_about_error(void **state)
{
	uint8_t f[128], l4[64];
	struct icmphdr ic = { .type = ICMP_DEST_UNREACH, .code = 3 };
	uint32_t len;

	(void)state;
	memset(l4, 0, sizeof(l4));
	memcpy(l4, &ic, sizeof(ic));
	len = l2f_eth_ip(f, net->gw_mac, c1->mac, "172.18.0.2", "8.8.8.8", 1, 1, l4, 36);
	l2f_send(c1, f, len);
	assert_int_equal(l2f_n_tx, 0);
	assert_int_equal(c1->port->stats.drops[DROP_TTL_EXCEEDED], 1);
}

static void test_onlink_deliver(void **state)
{
	uint8_t f[128];
	struct iphdr ip;
	uint32_t len;

	(void)state;
	len = udp_to(f, c1, net->gw_mac, "172.18.0.3", 9, 64);
	l2f_send(c1, f, len);
	assert_int_equal(l2f_n_tx, 1);
	assert_ptr_equal(l2f_tx[0].port, c2->port);
	assert_memory_equal(l2f_tx[0].data, c2->mac, 6);
	assert_memory_equal(l2f_tx[0].data + 6, net->gw_mac, 6);
	memcpy(&ip, l2f_tx[0].data + 14, sizeof(ip));
	assert_int_equal(ip.ttl, 63);
	assert_int_equal(csum(&ip, 20), 0);

	/* unknown address in the subnet: host unreachable */
	l2f_n_tx = 0;
	len = udp_to(f, c1, net->gw_mac, "172.18.0.77", 9, 64);
	l2f_send(c1, f, len);
	unreach_check(ICMP_HOST_UNREACH);
}

static void test_announce(void **state)
{
	struct ether_arp a;

	(void)state;
	gateway_announce(net);
	assert_int_equal(l2f_n_tx, 2);
	assert_memory_equal(l2f_tx[0].data, bcast, 6);
	memcpy(&a, l2f_tx[0].data + 14, sizeof(a));
	assert_int_equal(ntohs(a.arp_op), ARPOP_REQUEST);
	assert_memory_equal(a.arp_spa, &net->gateway.v4mapped.a4, 4);
	assert_memory_equal(a.arp_tpa, &net->gateway.v4mapped.a4, 4);
	assert_memory_equal(a.arp_sha, net->gw_mac, 6);
}

static void test_truncated_ip(void **state)
{
	uint8_t f[128];
	uint32_t len;

	(void)state;
	len = udp_to(f, c1, net->gw_mac, "8.8.8.8", 9, 64);
	f[16] = 0x05;	/* tot_len larger than the frame */
	l2f_send(c1, f, len);
	assert_int_equal(l2f_n_tx, 0);
	assert_int_equal(c1->port->stats.drops[DROP_BAD_L3], 1);
}

static void test_fragment_to_gateway(void **state)
{
	uint8_t f[256], l4[128];
	uint32_t len;

	(void)state;
	len = l2f_eth_ip(f, net->gw_mac, c1->mac, "172.18.0.2", "172.18.0.1", 1, 64,
			 l4, echo_req(l4, 56));
	f[20] = 0x20;	/* MF: first fragment of a larger ping */
	l2f_send(c1, f, len);
	assert_int_equal(l2f_n_tx, 0);
	assert_int_equal(c1->port->stats.drops[DROP_UNSUPPORTED], 1);
}

static void test_icmp_error_rate_limit(void **state)
{
	uint8_t f[128];
	uint32_t len;
	int i;

	(void)state;
	len = udp_to(f, c1, net->gw_mac, "8.8.8.8", 9, 1);
	for (i = 0; i < 2000; i++)
		l2f_send(c1, f, len);
	assert_int_equal(c1->port->stats.drops[DROP_TTL_EXCEEDED], 2000);
	assert_true(l2f_n_tx > 0);
	assert_true(l2f_n_tx <= L2F_MAX_TX);
	/* the fake records at most L2F_MAX_TX; count what egress queued */
	assert_true(c1->port->stats.tx_packets < 1000);
}

/* One container's flood of TTL=1 packets uses up its own ICMP errors, not
 * the other containers' (audit item 21: the limiter was one global
 * bucket). */
static void test_icmp_error_per_source(void **state)
{
	uint8_t f[128];
	uint32_t len;
	int i;

	(void)state;
	len = udp_to(f, c1, net->gw_mac, "8.8.8.8", 9, 1);
	for (i = 0; i < 2000; i++)
		l2f_send(c1, f, len);
	l2f_n_tx = 0;
	len = udp_to(f, c2, net->gw_mac, "8.8.8.8", 9, 1);
	l2f_send(c2, f, len);
	assert_int_equal(l2f_n_tx, 1);
	assert_ptr_equal(l2f_tx[0].port, c2->port);
	assert_int_equal(l2f_tx[0].data[34], ICMP_TIME_EXCEEDED);
}

/* A TCP segment of PAYLOAD bytes from C1 to 8.8.8.8, DF as asked. */
static uint32_t tcp_out(uint8_t *f, uint32_t payload, bool df)
{
	static uint8_t l4[2000];
	struct iphdr ip;
	uint32_t len;

	memset(l4, 0, sizeof(l4));
	l4[12] = 5 << 4;
	l4[13] = 0x10;	/* ACK */
	len = l2f_eth_ip(f, net->gw_mac, c1->mac, "172.18.0.2", "8.8.8.8", 6, 64, l4,
			 20 + payload);
	memcpy(&ip, f + 14, sizeof(ip));
	ip.frag_off = df ? htons(IP_DF) : 0;
	ip.check = 0;
	ip.check = csum(&ip, sizeof(ip));
	memcpy(f + 14, &ip, sizeof(ip));
	return len;
}

/* Routed towards a smaller MTU (audit finding 14): with DF, fragmentation
 * needed with that MTU, also for a GSO frame whose segments are too big;
 * without DF, counted as mtu. */
static void test_frag_needed_to_uplink(void **state)
{
	static uint8_t f[2100];
	struct pkt_batch b;
	struct icmphdr ic;
	uint32_t len;

	(void)state;
	l2f_uplink_present = true;
	l2f_uplink_mtu = 1400;
	len = tcp_out(f, 1400, true);		/* IP length 1440 */
	l2f_send(c1, f, len);
	assert_int_equal(l2f_uplink_calls, 0);
	assert_int_equal(c1->port->stats.drops[DROP_FRAG_NEEDED], 1);
	assert_int_equal(l2f_n_tx, 1);
	check_icmp_reply(&l2f_tx[0], c1, net, &ic);
	assert_int_equal(ic.type, ICMP_DEST_UNREACH);
	assert_int_equal(ic.code, ICMP_FRAG_NEEDED);
	assert_int_equal(ntohs(ic.un.frag.mtu), 1400);
	assert_int_equal(l2f_tx[0].data[42 + 8], 64);	/* quoted as sent */

	/* a GSO frame of small packets, cut into segments of 1488 */
	l2f_n_tx = 0;
	len = tcp_out(f, 1448 * 1, true);
	b.count = 1;
	l2f_frame(&b.pkts[0], 0, f, len);
	b.pkts[0].flags |= PKT_F_GSO;
	b.pkts[0].vnet.gso_size = 1448;
	ingress_run(c1->port, &b);
	assert_int_equal(c1->port->stats.drops[DROP_FRAG_NEEDED], 2);
	assert_int_equal(l2f_n_tx, 1);
	/* ... whose segments fit: routed */
	l2f_frame(&b.pkts[0], 0, f, len);
	b.pkts[0].flags |= PKT_F_GSO;
	b.pkts[0].vnet.gso_size = 1360;
	ingress_run(c1->port, &b);
	assert_int_equal(l2f_uplink_calls, 1);

	/* without DF: the switch does not fragment, it counts */
	l2f_n_tx = 0;
	len = tcp_out(f, 1400, false);
	l2f_send(c1, f, len);
	assert_int_equal(c1->port->stats.drops[DROP_MTU], 1);
	assert_int_equal(l2f_n_tx, 0);
	assert_int_equal(l2f_uplink_calls, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_arp_reply, setup, teardown),
		cmocka_unit_test_setup_teardown(test_echo_reply, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ttl_expiry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_route_to_uplink, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unreach_other_network, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unreach_no_uplink, setup, teardown),
		cmocka_unit_test_setup_teardown(test_port_unreach_and_dns, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_error_about_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_onlink_deliver, setup, teardown),
		cmocka_unit_test_setup_teardown(test_announce, setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncated_ip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fragment_to_gateway, setup, teardown),
		cmocka_unit_test_setup_teardown(test_icmp_error_rate_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_icmp_error_per_source, setup, teardown),
		cmocka_unit_test_setup_teardown(test_frag_needed_to_uplink, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
