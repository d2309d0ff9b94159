/* test_fdb.c - learning, flooding, aging, station moves, the per-port cap,
 * port security and --no-icc, on crafted frames through ingress_run(). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <net/ethernet.h>
#include "fdb.h"
#include "l2_fakes.h"

static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static struct network *net, *net2;
static struct endpoint *c1, *c2, *c3, *d1;

static int setup(void **state)
{
	(void)state;
	fdb_common_init(&l2f_dp.fdb, EV_DEFAULT);
	fdb_set_aging(&l2f_dp.fdb, 300);
	fdb_set_max_learned(&l2f_dp.fdb, 1024);
	l2f_reset();
	net = l2f_network("t1", "172.18.0.0", 16, "172.18.0.1");
	net2 = l2f_network("t2", "172.19.0.0", 16, "172.19.0.1");
	c1 = l2f_endpoint(net, "c1", "172.18.0.2");
	c2 = l2f_endpoint(net, "c2", "172.18.0.3");
	c3 = l2f_endpoint(net, "c3", "172.18.0.4");
	d1 = l2f_endpoint(net2, "d1", "172.19.0.2");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	l2f_teardown();
	return 0;
}

static uint32_t udp_frame(uint8_t *buf, const struct endpoint *from,
			  const uint8_t *dmac, const char *src, const char *dst)
{
	static const uint8_t udp[12] = { 0x10, 0x00, 0x20, 0x00, 0x00, 0x0c };

	return l2f_eth_ip(buf, dmac, from->mac, src, dst, 17, 64, udp, sizeof(udp));
}

static unsigned int tx_count_to(struct port *port)
{
	unsigned int i, n = 0;

	for (i = 0; i < l2f_n_tx; i++)
		n += l2f_tx[i].port == port;
	return n;
}

static void test_flood_then_unicast(void **state)
{
	uint8_t f[128];
	uint32_t len;

	(void)state;
	/* c1 -> c2, unknown: flood to c2 and c3, not back to c1 nor to d1. */
	len = udp_frame(f, c1, c2->mac, "172.18.0.2", "172.18.0.3");
	l2f_send(c1, f, len);
	assert_int_equal(l2f_n_tx, 2);
	assert_int_equal(tx_count_to(c2->port), 1);
	assert_int_equal(tx_count_to(c3->port), 1);
	assert_int_equal(tx_count_to(d1->port), 0);
	assert_ptr_equal(fdb_lookup(net->fdb, c1->mac), c1->port);
	assert_int_equal(c1->port->n_learned, 1);

	/* c2 answers: c1 is known, unicast only to c1; c2 learned. */
	l2f_n_tx = 0;
	len = udp_frame(f, c2, c1->mac, "172.18.0.3", "172.18.0.2");
	l2f_send(c2, f, len);
	assert_int_equal(l2f_n_tx, 1);
	assert_ptr_equal(l2f_tx[0].port, c1->port);
	assert_memory_equal(l2f_tx[0].data, f, len);

	/* c1 -> c2 now unicast too. */
	l2f_n_tx = 0;
	len = udp_frame(f, c1, c2->mac, "172.18.0.2", "172.18.0.3");
	l2f_send(c1, f, len);
	assert_int_equal(l2f_n_tx, 1);
	assert_ptr_equal(l2f_tx[0].port, c2->port);
	assert_null(fdb_lookup(net2->fdb, c1->mac));
}

static void test_broadcast_stays_in_network(void **state)
{
	uint8_t f[128];
	uint32_t len;

	(void)state;
	len = l2f_arp(f, 1, bcast, c1->mac, "172.18.0.2", "172.18.0.4");
	l2f_send(c1, f, len);
	assert_int_equal(l2f_n_tx, 2);
	assert_int_equal(tx_count_to(d1->port), 0);
}

static void test_arp_for_gateway_floods_and_answers(void **state)
{
	uint8_t f[128];
	uint32_t len;

	(void)state;
	len = l2f_arp(f, 1, bcast, c1->mac, "172.18.0.2", "172.18.0.1");
	l2f_send(c1, f, len);
	/* flooded to c2, c3, and one ARP reply back to c1 */
	assert_int_equal(l2f_n_tx, 3);
	assert_int_equal(tx_count_to(c1->port), 1);
}

static void test_aging(void **state)
{
	uint8_t f[128];
	uint32_t len;
	ev_tstamp now = fdb_now(net->fdb);

	(void)state;
	fdb_set_aging(&l2f_dp.fdb, 5);
	len = udp_frame(f, c1, c2->mac, "172.18.0.2", "172.18.0.3");
	l2f_send(c1, f, len);
	assert_int_equal(net->fdb->count, 1);
	assert_int_equal(fdb_expire(net->fdb, now + 4), 0);
	assert_int_equal(fdb_expire(net->fdb, now + 5.5), 1);
	assert_null(fdb_lookup(net->fdb, c1->mac));
	assert_int_equal(c1->port->n_learned, 0);
	assert_int_equal(net->fdb->count, 0);
}

static void test_aging_timer_fires(void **state)
{
	uint8_t f[128];
	uint32_t len;

	(void)state;
	fdb_set_aging(&l2f_dp.fdb, 1);
	len = udp_frame(f, c1, c2->mac, "172.18.0.2", "172.18.0.3");
	l2f_send(c1, f, len);
	assert_true(ev_is_active(&net->fdb->timer));
	while (net->fdb->count)
		ev_run(EV_DEFAULT, EVRUN_ONCE);
	assert_false(ev_is_active(&net->fdb->timer));
}

static void test_station_move(void **state)
{
	uint8_t f[128];
	uint32_t len;

	(void)state;
	c1->port_security = c2->port_security = false;
	len = udp_frame(f, c1, c3->mac, "172.18.0.2", "172.18.0.4");
	l2f_send(c1, f, len);
	assert_ptr_equal(fdb_lookup(net->fdb, c1->mac), c1->port);
	/* the same source MAC now from c2's port */
	l2f_send(c2, f, len);
	assert_ptr_equal(fdb_lookup(net->fdb, c1->mac), c2->port);
	assert_int_equal(c1->port->n_learned, 0);
	assert_int_equal(c2->port->n_learned, 1);
	assert_int_equal(net->fdb->count, 1);
}

static void test_cap(void **state)
{
	uint8_t f[128], mac[6] = { 0x02, 0x99, 0, 0, 0, 0 };
	uint32_t len;
	int i;

	(void)state;
	c1->port_security = false;
	fdb_set_max_learned(&l2f_dp.fdb, 3);
	for (i = 0; i < 5; i++) {
		mac[5] = (uint8_t)i;
		len = udp_frame(f, c1, c2->mac, "172.18.0.2", "172.18.0.3");
		memcpy(f + 6, mac, 6);
		l2f_n_tx = 0;
		l2f_send(c1, f, len);
		/* forwarded even when not learned */
		assert_int_not_equal(l2f_n_tx, 0);
	}
	assert_int_equal(c1->port->n_learned, 3);
	assert_int_equal(net->fdb->count, 3);
	assert_int_equal(c1->port->stats.drops[DROP_FDB_CAP], 2);
	mac[5] = 4;
	assert_null(fdb_lookup(net->fdb, mac));
	fdb_port_gone(net->fdb, c1->port);
	assert_int_equal(net->fdb->count, 0);
}

static void test_loop(void **state)
{
	uint8_t f[128];
	uint32_t len;

	(void)state;
	c1->port_security = false;
	/* learn c3's MAC on c1's port, then send to it from c1 */
	len = udp_frame(f, c1, c2->mac, "172.18.0.2", "172.18.0.3");
	memcpy(f + 6, c3->mac, 6);
	l2f_send(c1, f, len);
	l2f_n_tx = 0;
	len = udp_frame(f, c1, c3->mac, "172.18.0.2", "172.18.0.4");
	l2f_send(c1, f, len);
	assert_int_equal(l2f_n_tx, 0);
	assert_int_equal(c1->port->stats.drops[DROP_LOOP], 1);
}

static void test_port_security(void **state)
{
	static const uint8_t zero[6], mcast[6] = { 0x01, 0, 0x5e, 0, 0, 1 };
	uint8_t f[128];
	uint32_t len;

	(void)state;
	len = udp_frame(f, c1, c2->mac, "172.18.0.9", "172.18.0.3");
	l2f_send(c1, f, len);
	assert_int_equal(c1->port->stats.drops[DROP_SRC_IP_SPOOF], 1);

	len = udp_frame(f, c1, c2->mac, "172.18.0.2", "172.18.0.3");
	memcpy(f + 6, c3->mac, 6);
	l2f_send(c1, f, len);
	assert_int_equal(c1->port->stats.drops[DROP_SRC_MAC_SPOOF], 1);

	len = l2f_arp(f, 1, bcast, c1->mac, "172.18.0.4", "172.18.0.1");
	l2f_send(c1, f, len);
	assert_int_equal(c1->port->stats.drops[DROP_ARP_SPOOF], 1);

	memcpy(f + 6, zero, 6);
	l2f_send(c1, f, len);
	memcpy(f + 6, mcast, 6);
	l2f_send(c1, f, len);
	assert_int_equal(c1->port->stats.drops[DROP_BAD_SRC_MAC], 2);

	l2f_send(c1, f, 10);
	assert_int_equal(c1->port->stats.drops[DROP_RUNT], 1);
	assert_int_equal(l2f_n_tx, 0);
	assert_int_equal(net->fdb->count, 0);

	/* an ARP probe (sender IP 0.0.0.0) is allowed */
	len = l2f_arp(f, 1, bcast, c1->mac, "0.0.0.0", "172.18.0.2");
	l2f_send(c1, f, len);
	assert_int_equal(l2f_n_tx, 2);
}

static void test_no_icc(void **state)
{
	uint8_t f[128];
	uint32_t len;

	(void)state;
	net->icc = false;
	len = udp_frame(f, c1, c2->mac, "172.18.0.2", "172.18.0.3");
	l2f_send(c1, f, len);
	assert_int_equal(l2f_n_tx, 0);
	assert_int_equal(c1->port->stats.drops[DROP_NO_ICC], 2);
	/* the gateway still answers ARP */
	len = l2f_arp(f, 1, bcast, c1->mac, "172.18.0.2", "172.18.0.1");
	l2f_send(c1, f, len);
	assert_int_equal(l2f_n_tx, 1);
	assert_ptr_equal(l2f_tx[0].port, c1->port);
}

/* Over the MTU at ingress: dropped once on the sender's port, before any
 * flood; exactly MTU + 14 passes; GSO frames pass if their segments fit;
 * tagged frames never
 * pass (vlan_tagged, finding 4 of the audit). */
static void test_mtu(void **state)
{
	static uint8_t f[1600], g[1604], payload[1500];
	struct pkt_batch b;
	uint32_t len;

	(void)state;
	len = l2f_eth_ip(f, c2->mac, c1->mac, "172.18.0.2", "172.18.0.3", 17, 64,
			 payload, 1500);
	l2f_send(c1, f, len);
	assert_int_equal(l2f_n_tx, 0);
	assert_int_equal(c1->port->stats.drops[DROP_MTU], 1);

	b.count = 1;
	l2f_frame(&b.pkts[0], 0, f, len);
	b.pkts[0].flags |= PKT_F_GSO;
	b.pkts[0].vnet.gso_size = 1472;	/* UDP segments of 1500 */
	ingress_run(c1->port, &b);
	assert_int_equal(l2f_n_tx, 2);	/* unknown unicast: c2 and c3 */
	assert_int_equal(c1->port->stats.drops[DROP_MTU], 1);

	/* segments the sender made too big (audit item 21) */
	l2f_n_tx = 0;
	l2f_frame(&b.pkts[0], 0, f, len);
	b.pkts[0].flags |= PKT_F_GSO;
	b.pkts[0].vnet.gso_size = 1473;
	ingress_run(c1->port, &b);
	assert_int_equal(l2f_n_tx, 0);
	assert_int_equal(c1->port->stats.drops[DROP_MTU], 2);

	l2f_n_tx = 0;
	len = l2f_eth_ip(f, c2->mac, c1->mac, "172.18.0.2", "172.18.0.3", 17, 64,
			 payload, 1480);
	l2f_send(c1, f, len);
	assert_int_equal(l2f_n_tx, 2);

	l2f_n_tx = 0;
	memcpy(g, f, 12);
	g[12] = 0x81;
	g[13] = 0x00;
	g[14] = 0;
	g[15] = 5;
	memcpy(g + 16, f + 12, len - 12);
	l2f_send(c1, g, len + 4);
	/* a tag is never accepted from a container, whatever its size */
	assert_int_equal(l2f_n_tx, 0);
	assert_int_equal(c1->port->stats.drops[DROP_MTU], 2);
	assert_int_equal(c1->port->stats.drops[DROP_VLAN_TAGGED], 1);
	/* nor 802.1ad (QinQ), nor from an endpoint without port security */
	g[12] = 0x88;
	g[13] = 0xa8;
	c1->port_security = false;
	l2f_send(c1, g, 60);
	c1->port_security = true;
	assert_int_equal(l2f_n_tx, 0);
	assert_int_equal(c1->port->stats.drops[DROP_VLAN_TAGGED], 2);

	net->mtu = 9000;
	l2f_n_tx = 0;
	len = l2f_eth_ip(f, c2->mac, c1->mac, "172.18.0.2", "172.18.0.3", 17, 64,
			 payload, 1500);
	l2f_send(c1, f, len);
	assert_int_equal(l2f_n_tx, 2);
}

static void test_dry_run_sends_and_learns_nothing(void **state)
{
	struct pkt_batch b;
	uint8_t f[128];
	uint32_t len;

	(void)state;
	len = udp_frame(f, c1, c2->mac, "172.18.0.2", "172.18.0.3");
	b.count = 1;
	l2f_frame(&b.pkts[0], 0, f, len);
	b.pkts[0].flags |= PKT_F_DRYRUN;
	ingress_run(c1->port, &b);
	assert_int_equal(l2f_n_tx, 0);
	assert_int_equal(net->fdb->count, 0);
}

/* Random frames (random length, type, header bytes) to the gateway MAC,
 * broadcast and a container: nothing may crash or read out of bounds
 * (run under ASan with --enable-sanitizers). */
static void test_random_frames(void **state)
{
	uint8_t f[256];
	uint32_t len, i, j, x = 12345;

	(void)state;
	c1->port_security = false;
	for (i = 0; i < 20000; i++) {
		for (j = 0; j < sizeof(f); j++) {
			x = x * 1103515245u + 12345u;
			f[j] = (uint8_t)(x >> 16);
		}
		len = (x >> 8) % 120;
		memcpy(f, (i & 3) == 0 ? net->gw_mac : (i & 3) == 1 ? bcast : c2->mac, 6);
		memcpy(f + 6, c1->mac, 6);
		f[12] = 0x08;
		f[13] = (i & 4) ? 0x06 : 0x00;
		if (i & 8) {
			f[14] = 0x45;
			f[23] = (uint8_t)((i >> 4) % 3 == 0 ? 1 : (i >> 4) % 3 == 1 ? 6 : 17);
		}
		l2f_n_tx = 0;
		l2f_send(c1, f, len);
	}
	assert_true(net->fdb->count >= 1);
}

/* fdb_find()'s hints (the entries learning and forwarding found last)
 * never outlive their entry: after a port goes and its entry is recycled
 * for another MAC, neither the old MAC nor the new one is answered from a
 * stale hint. */
static void test_hints_follow_deletion(void **state)
{
	static const uint8_t mac_a[6] = { 0x02, 0, 0, 0, 0, 0xaa };
	static const uint8_t mac_b[6] = { 0x02, 0, 0, 0, 0, 0xbb };
	struct fdb *f = fdb_new(net);

	(void)state;
	assert_non_null(f);
	assert_int_equal(fdb_learn(f, mac_a, c1->port), DROP_NONE);
	assert_ptr_equal(fdb_lookup(f, mac_a), c1->port);     /* both hints: A */
	fdb_port_gone(f, c1->port);
	assert_null(fdb_lookup(f, mac_a));
	/* B takes A's recycled entry, on another port. */
	assert_int_equal(fdb_learn(f, mac_b, c2->port), DROP_NONE);
	assert_null(fdb_lookup(f, mac_a));
	assert_ptr_equal(fdb_lookup(f, mac_b), c2->port);
	/* A station move is seen through the hint too. */
	assert_int_equal(fdb_learn(f, mac_b, c3->port), DROP_NONE);
	assert_ptr_equal(fdb_lookup(f, mac_b), c3->port);
	assert_int_equal(fdb_flush(f), 1);
	assert_null(fdb_lookup(f, mac_b));
	fdb_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_flood_then_unicast, setup, teardown),
		cmocka_unit_test_setup_teardown(test_broadcast_stays_in_network, setup, teardown),
		cmocka_unit_test_setup_teardown(test_arp_for_gateway_floods_and_answers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_aging, setup, teardown),
		cmocka_unit_test_setup_teardown(test_aging_timer_fires, setup, teardown),
		cmocka_unit_test_setup_teardown(test_station_move, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_loop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_port_security, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_icc, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mtu, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dry_run_sends_and_learns_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_random_frames, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hints_follow_deletion, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
