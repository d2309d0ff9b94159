/* test_vxlan.c - VXLAN framing (vxlan.c) and an overlay network's L2
 * (overlay_l2.c) on crafted frames.
 *
 * Framing: the header round trip, every bad header refused with its
 * reason (flags other than 0x08, each reserved byte, truncation), the
 * outer IPv4/UDP headers (DF, checksum, lengths, UDP checksum 0) and the
 * flow hash (test_flow_hash: one flow, one hash and one sending socket,
 * so one source port; the other direction and other L4 ports differ;
 * fragments hash without ports, so a datagram's take one path; the
 * socket index is in range and every socket gets flows).  L2, through the fakes of
 * l2_fakes.c (vxlan_output() records what would enter the tunnel):
 * unicast to a remote MAC goes to its VTEP alone, broadcast and unknown
 * unicast to every member and the local ports, ARP for a remote address
 * is answered locally with nothing sent into the tunnel, and frames from
 * the tunnel never go back into it nor to the local gateway.
 */
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
#include "csum.h"
#include "fdb.h"
#include "l2_fakes.h"
#include "overlay.h"
#include "vxlan.h"

/* ---- framing ---- */

static void test_hdr_round_trip(void **state)
{
	uint8_t b[VXLAN_HLEN + ETHER_HDR_LEN] = { 0 };
	uint32_t vni = 0;

	(void)state;
	vxlan_hdr_build(b, 0x123456);
	assert_int_equal(b[0], 0x08);
	assert_int_equal(b[1] | b[2] | b[3] | b[7], 0);
	assert_int_equal(vxlan_hdr_parse(b, sizeof(b), &vni), DROP_NONE);
	assert_int_equal(vni, 0x123456);
	vxlan_hdr_build(b, OVERLAY_VNI_MAX);
	assert_int_equal(vxlan_hdr_parse(b, sizeof(b), &vni), DROP_NONE);
	assert_int_equal(vni, OVERLAY_VNI_MAX);
}

static void test_hdr_bad_input(void **state)
{
	static const uint8_t bad_flags[] = { 0x00, 0x0c, 0x88, 0x80, 0x09, 0x18, 0xff };
	uint8_t b[VXLAN_HLEN + ETHER_HDR_LEN] = { 0 };
	uint32_t vni = 7;
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(bad_flags); i++) {
		vxlan_hdr_build(b, 42);
		b[0] = bad_flags[i];
		assert_int_equal(vxlan_hdr_parse(b, sizeof(b), &vni), DROP_VXLAN_BAD_FLAGS);
	}
	for (i = 1; i < VXLAN_HLEN; i++) {
		if (i >= 4 && i <= 6)
			continue;	/* the VNI */
		vxlan_hdr_build(b, 42);
		b[i] = 1;	/* a reserved byte */
		assert_int_equal(vxlan_hdr_parse(b, sizeof(b), &vni), DROP_VXLAN_BAD_FLAGS);
	}
	vxlan_hdr_build(b, 42);
	assert_int_equal(vxlan_hdr_parse(b, 0, &vni), DROP_VXLAN_TRUNCATED);
	assert_int_equal(vxlan_hdr_parse(b, VXLAN_HLEN - 1, &vni), DROP_VXLAN_TRUNCATED);
	assert_int_equal(vxlan_hdr_parse(b, VXLAN_HLEN, &vni), DROP_VXLAN_TRUNCATED);
	assert_int_equal(vxlan_hdr_parse(b, sizeof(b) - 1, &vni), DROP_VXLAN_TRUNCATED);
	assert_int_equal(vni, 7);	/* nothing read from a refused header */
}

static void test_outer_headers(void **state)
{
	/* 2 bytes ahead, as frames lie in the datapath (NET_IP_ALIGN), so
	 * that the IPv4 header after the 14-byte Ethernet header is aligned */
	uint8_t buf[130] __attribute__((aligned(4)));
	uint8_t *f = buf + 2;
	const struct iphdr *ip = (const void *)(f + 14);
	const uint16_t *udp = (const void *)(f + 34);
	uint8_t *after;

	(void)state;
	after = vxlan_outer_build(f, htonl(0x0a630001), htonl(0x0a630002), 40000, 4789, 58);
	assert_ptr_equal(after, f + VXLAN_OUTER_LEN);
	assert_int_equal(f[12], 0x08);
	assert_int_equal(f[13], 0x00);
	assert_int_equal(ip->version, 4);
	assert_int_equal(ip->protocol, IPPROTO_UDP);
	assert_true(ip->frag_off & htons(IP_DF));	/* never fragmented */
	assert_int_equal(ntohs(ip->tot_len), 20 + 8 + 58);
	assert_int_equal(csum(ip, 20), 0);
	assert_int_equal(ntohs(udp[0]), 40000);
	assert_int_equal(ntohs(udp[1]), 4789);
	assert_int_equal(ntohs(udp[2]), 8 + 58);
	assert_int_equal(udp[3], 0);	/* no UDP checksum (RFC 7348 5) */
}

static const uint8_t fmac_a[6] = { 0x02, 0x42, 10, 77, 0, 2 };
static const uint8_t fmac_b[6] = { 0x02, 0x42, 10, 77, 0, 9 };

/* A frame of PROTO from SRC:SPORT to DST:DPORT, parsed into P (slot SLOT):
 * TTL, the IP header's FRAG field (flags and offset, host order) and the
 * first payload byte vary what is not the flow. */
static void flow_frame(struct pkt *p, unsigned int slot, uint8_t proto, const uint8_t *smac,
		       const uint8_t *dmac, const char *src, uint16_t sport, const char *dst,
		       uint16_t dport, uint8_t ttl, uint16_t frag, uint8_t byte)
{
	uint8_t f[128], l4[24] = { 0 };

	l4[0] = (uint8_t)(sport >> 8);
	l4[1] = (uint8_t)sport;
	l4[2] = (uint8_t)(dport >> 8);
	l4[3] = (uint8_t)dport;
	l4[sizeof(l4) - 1] = byte;
	l2f_eth_ip(f, dmac, smac, src, dst, proto, ttl, l4, sizeof(l4));
	f[14 + 6] = (uint8_t)(frag >> 8);
	f[14 + 7] = (uint8_t)frag;
	l2f_frame(p, slot, f, 14 + 20 + sizeof(l4));
}

static uint32_t flow_hash(uint8_t proto, const char *src, uint16_t sport, const char *dst,
			  uint16_t dport, uint8_t ttl, uint16_t frag, uint8_t byte)
{
	bool fwd = strcmp(src, "10.77.0.2") == 0;
	struct pkt p;

	flow_frame(&p, 0, proto, fwd ? fmac_a : fmac_b, fwd ? fmac_b : fmac_a, src, sport, dst,
		   dport, ttl, frag, byte);
	assert_int_equal(vxlan_tx_sock(&p), vxlan_flow_hash(&p) % VXLAN_TX_SOCKS);
	return vxlan_flow_hash(&p);
}

static void test_flow_hash(void **state)
{
	const uint8_t tcp = IPPROTO_TCP, udp = IPPROTO_UDP;
	const char *a = "10.77.0.2", *b = "10.77.0.9";
	uint32_t h = flow_hash(tcp, a, 40000, b, 80, 64, 0, 0);
	unsigned int used = 0, i;
	struct pkt p;

	(void)state;
	/* one flow: every frame of it, whatever else differs */
	assert_int_equal(flow_hash(tcp, a, 40000, b, 80, 64, 0, 0), h);
	assert_int_equal(flow_hash(tcp, a, 40000, b, 80, 3, IP_DF, 0x55), h);
	/* the other direction of the connection, other ports, other hosts */
	assert_int_not_equal(flow_hash(tcp, b, 80, a, 40000, 64, 0, 0), h);
	assert_int_not_equal(flow_hash(tcp, a, 40001, b, 80, 64, 0, 0), h);
	assert_int_not_equal(flow_hash(tcp, a, 40000, b, 81, 64, 0, 0), h);
	assert_int_not_equal(flow_hash(udp, a, 40000, b, 8080, 64, 0, 0), h);
	assert_int_not_equal(flow_hash(tcp, "10.77.0.3", 40000, b, 80, 64, 0, 0), h);
	/* fragments: the ports are not read (a later fragment has none), so
	 * the first and a later fragment of one datagram take one path, and
	 * what a later fragment carries where ports would be changes nothing */
	h = flow_hash(udp, a, 5000, b, 53, 64, IP_MF, 0);
	assert_int_equal(flow_hash(udp, a, 0x1234, b, 0x5678, 64, 185, 0), h);
	assert_int_equal(flow_hash(udp, a, 7, b, 9, 64, IP_MF | 370, 1), h);
	assert_int_not_equal(flow_hash(udp, a, 5000, b, 53, 64, 0, 0), h);
	/* the socket, hence the source port: in range, and flows spread over
	 * every socket (the hash's key is fixed in main(): no luck involved) */
	for (i = 0; i < 256; i++) {
		flow_frame(&p, 0, tcp, fmac_a, fmac_b, a, (uint16_t)(30000 + i), b, 443, 64, 0, 0);
		assert_true(vxlan_tx_sock(&p) < VXLAN_TX_SOCKS);
		used |= 1u << vxlan_tx_sock(&p);
	}
	assert_int_equal(used, (1u << VXLAN_TX_SOCKS) - 1);
}

/* ---- the overlay network's L2 ---- */

static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t rmac[6] = { 0x02, 0x42, 10, 77, 0, 9 };   /* on host B */
static const uint8_t umac[6] = { 0x02, 0x42, 10, 77, 0, 99 };  /* nobody's */
static struct network *net;
static struct endpoint *c1, *c2;
static struct port tun = { .role = PORT_ROLE_TUNNEL, .name = "vxlan" };
static struct overlay_vtep hb, kx;

static int ov_setup(void **state)
{
	char err[64];
	union vs_addr rip;

	(void)state;
	fdb_common_init(&l2f_dp.fdb, EV_DEFAULT);
	fdb_set_aging(&l2f_dp.fdb, 300);
	fdb_set_max_learned(&l2f_dp.fdb, 1024);
	l2f_reset();
	memset(&tun.stats, 0, sizeof(tun.stats));
	net = l2f_network("ov", "10.77.0.0", 24, "10.77.0.1");
	net->driver = NET_DRIVER_OVERLAY;
	assert_int_equal(overlay_new(net, 4242), 0);
	overlay_gw_mac(net->vni, net->gw_mac);
	c1 = l2f_endpoint(net, "c1", "10.77.0.2");
	c2 = l2f_endpoint(net, "c2", "10.77.0.3");
	assert_int_equal(overlay_vtep_parse("10.99.0.12", 4789, &hb, err, sizeof(err)), 0);
	assert_int_equal(overlay_vtep_parse("10.99.0.20:8472", 4789, &kx, err, sizeof(err)), 0);
	assert_int_equal(overlay_member_add(net, &hb, OVERLAY_ORIGIN_CLUSTER, "hb"), 0);
	assert_int_equal(overlay_member_add(net, &kx, OVERLAY_ORIGIN_STATIC, NULL), 0);
	rip = vs_addr_v4(l2f_ip("10.77.0.9"));
	assert_int_equal(overlay_remote_set(net, rmac, &rip, &hb, "r1", "hb"), 0);
	return 0;
}

static int ov_teardown(void **state)
{
	(void)state;
	overlay_free(net);
	l2f_teardown();
	return 0;
}

static uint32_t ping(uint8_t *buf, const uint8_t *dmac, const uint8_t *smac,
		     const char *src, const char *dst)
{
	static const uint8_t echo[8] = { 8, 0, 0xf7, 0xff };

	return l2f_eth_ip(buf, dmac, smac, src, dst, 1, 64, echo, sizeof(echo));
}

static unsigned int tx_count_to(const struct port *port)
{
	unsigned int i, n = 0;

	for (i = 0; i < l2f_n_tx; i++)
		n += l2f_tx[i].port == port;
	return n;
}

static bool tunneled_to(const struct overlay_vtep *v)
{
	unsigned int i;

	for (i = 0; i < l2f_n_tun; i++)
		if (vs_addr_eq(&l2f_tun[i].vtep, &v->addr))
			return true;
	return false;
}

static void from_tunnel(const uint8_t *f, uint32_t len)
{
	struct pkt p;

	l2f_frame(&p, 0, f, len);
	p.in_port = &tun;
	l2_forward(net, &p);
}

static void test_unicast_to_remote(void **state)
{
	uint8_t f[128];
	uint32_t len;

	(void)state;
	len = ping(f, rmac, c1->mac, "10.77.0.2", "10.77.0.9");
	l2f_send(c1, f, len);
	assert_int_equal(l2f_n_tun, 1);
	assert_true(tunneled_to(&hb));
	assert_memory_equal(l2f_tun[0].data, f, len);
	assert_int_equal(l2f_n_tx, 0);	/* no local port gets it */
}

static void test_broadcast_and_unknown_replicated(void **state)
{
	uint8_t f[128];
	uint32_t len;

	(void)state;
	len = ping(f, bcast, c1->mac, "10.77.0.2", "10.77.0.255");
	l2f_send(c1, f, len);
	assert_int_equal(l2f_n_tun, 2);
	assert_true(tunneled_to(&hb) && tunneled_to(&kx));
	assert_int_equal(tx_count_to(c2->port), 1);
	l2f_n_tun = l2f_n_tx = 0;
	len = ping(f, umac, c1->mac, "10.77.0.2", "10.77.0.50");
	l2f_send(c1, f, len);
	assert_int_equal(l2f_n_tun, 2);
	assert_int_equal(tx_count_to(c2->port), 1);
}

static void test_arp_for_remote_answered_locally(void **state)
{
	const struct ether_arp *a;
	uint8_t f[128];
	uint32_t len;

	(void)state;
	len = l2f_arp(f, ARPOP_REQUEST, bcast, c1->mac, "10.77.0.2", "10.77.0.9");
	l2f_send(c1, f, len);
	assert_int_equal(l2f_n_tun, 0);	/* nothing crosses the tunnel */
	assert_int_equal(l2f_n_tx, 1);
	assert_ptr_equal(l2f_tx[0].port, c1->port);
	a = (const void *)(l2f_tx[0].data + ETHER_HDR_LEN);
	assert_int_equal(ntohs(a->arp_op), ARPOP_REPLY);
	assert_memory_equal(a->arp_sha, rmac, 6);
	assert_memory_equal(l2f_tx[0].data + 6, rmac, 6);
	/* an address the table does not know: flooded and replicated */
	l2f_n_tx = 0;
	len = l2f_arp(f, ARPOP_REQUEST, bcast, c1->mac, "10.77.0.2", "10.77.0.60");
	l2f_send(c1, f, len);
	assert_int_equal(l2f_n_tun, 2);
	assert_int_equal(tx_count_to(c2->port), 1);
}

static void test_local_wins_over_table(void **state)
{
	uint8_t f[128];
	uint32_t len;

	(void)state;
	/* c2 speaks first: the fdb knows it here */
	len = ping(f, c1->mac, c2->mac, "10.77.0.3", "10.77.0.2");
	l2f_send(c2, f, len);
	l2f_n_tx = l2f_n_tun = 0;
	len = ping(f, c2->mac, c1->mac, "10.77.0.2", "10.77.0.3");
	l2f_send(c1, f, len);
	assert_int_equal(l2f_n_tun, 0);
	assert_int_equal(tx_count_to(c2->port), 1);
}

static void test_split_horizon(void **state)
{
	uint8_t f[128];
	uint32_t len;

	(void)state;
	/* broadcast from the tunnel: local ports only, never back */
	len = l2f_arp(f, ARPOP_REQUEST, bcast, rmac, "10.77.0.9", "10.77.0.2");
	from_tunnel(f, len);
	assert_int_equal(l2f_n_tun, 0);
	assert_int_equal(tx_count_to(c1->port), 1);
	assert_int_equal(tx_count_to(c2->port), 1);
	/* the tunnel port learns nothing into the fdb (overlay_learn does) */
	assert_null(fdb_lookup(net->fdb, rmac));
	/* unknown unicast from the tunnel: local flood, not back */
	l2f_n_tx = 0;
	len = ping(f, umac, rmac, "10.77.0.9", "10.77.0.50");
	from_tunnel(f, len);
	assert_int_equal(l2f_n_tun, 0);
	assert_int_equal(l2f_n_tx, 2);
	/* to the gateway MAC: another host's container has its own gateway */
	l2f_n_tx = 0;
	len = ping(f, net->gw_mac, rmac, "10.77.0.9", "10.77.0.1");
	from_tunnel(f, len);
	assert_int_equal(l2f_n_tx + l2f_n_tun, 0);
	assert_int_equal(tun.stats.drops[DROP_NOT_FOR_US], 1);
}

static void test_gateway_stays_local(void **state)
{
	uint8_t f[128];
	uint32_t len;

	(void)state;
	/* c1 pings the gateway: answered here, nothing into the tunnel */
	len = ping(f, net->gw_mac, c1->mac, "10.77.0.2", "10.77.0.1");
	l2f_send(c1, f, len);
	assert_int_equal(l2f_n_tun, 0);
	assert_int_equal(tx_count_to(c1->port), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hdr_round_trip),
		cmocka_unit_test(test_hdr_bad_input),
		cmocka_unit_test(test_outer_headers),
		cmocka_unit_test(test_flow_hash),
		cmocka_unit_test_setup_teardown(test_unicast_to_remote, ov_setup, ov_teardown),
		cmocka_unit_test_setup_teardown(test_broadcast_and_unknown_replicated, ov_setup,
						ov_teardown),
		cmocka_unit_test_setup_teardown(test_arp_for_remote_answered_locally, ov_setup,
						ov_teardown),
		cmocka_unit_test_setup_teardown(test_local_wins_over_table, ov_setup, ov_teardown),
		cmocka_unit_test_setup_teardown(test_split_horizon, ov_setup, ov_teardown),
		cmocka_unit_test_setup_teardown(test_gateway_stays_local, ov_setup, ov_teardown),
	};

	hash_set_basis(0x5eed);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
