/* test_lan.c - networks on the uplink's LAN (lan.c), on crafted frames:
 * macvlan floods reach the uplink unchanged, the LAN's frames reach only
 * the container they are for, ipvlan rewrites to and from the uplink's MAC
 * and answers ARP for its containers, and conflicts from the LAN (a
 * container's MAC or address) are dropped and counted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <net/ethernet.h>
#include <netinet/if_ether.h>
#include "fdb.h"
#include "l2_fakes.h"
#include "lan.h"

static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t lanhost[6] = { 0x52, 0x54, 0x00, 0x00, 0x00, 0x64 };
static struct network *net;
static struct endpoint *c1, *c2;
static struct port uport = { .role = PORT_ROLE_UPLINK, .name = "uplink" };
static int fake_uplink;     /* any address: the fakes never read it */

static void lan_setup(enum net_driver d)
{
	fdb_common_init(&l2f_dp.fdb, EV_DEFAULT);
	fdb_set_aging(&l2f_dp.fdb, 300);
	fdb_set_max_learned(&l2f_dp.fdb, 1024);
	l2f_reset();
	memset(&uport.stats, 0, sizeof(uport.stats));
	uport.n_learned = 0;
	net = l2f_network("lan", "10.0.0.0", 24, "10.0.0.254");
	net->driver = d;
	net->lan_ul = (struct uplink *)&fake_uplink;
	net->lan_port = &uport;
	c1 = l2f_endpoint(net, "c1", "10.0.0.32");
	c2 = l2f_endpoint(net, "c2", "10.0.0.33");
}

static int setup_macvlan(void **state)
{
	(void)state;
	lan_setup(NET_DRIVER_MACVLAN);
	return 0;
}

static int setup_ipvlan(void **state)
{
	(void)state;
	lan_setup(NET_DRIVER_IPVLAN);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	l2f_teardown();
	return 0;
}

static const struct l2f_tx *tx_to(const struct port *port)
{
	unsigned int i;

	for (i = 0; i < l2f_n_tx; i++)
		if (l2f_tx[i].port == port)
			return &l2f_tx[i];
	return NULL;
}

static uint32_t ping(uint8_t *buf, const uint8_t *dmac, const uint8_t *smac,
		     const char *src, const char *dst)
{
	static const uint8_t echo[8] = { 8, 0, 0xf7, 0xff };

	return l2f_eth_ip(buf, dmac, smac, src, dst, 1, 64, echo, sizeof(echo));
}

/* Feed F to lan_input() as the uplink would. */
static bool from_lan(const uint8_t *f, uint32_t len)
{
	struct network *nets[1] = { net };
	struct pkt p;

	l2f_frame(&p, 0, f, len);
	return lan_input(nets, 1, &uport, &p);
}

static void test_macvlan_out_unchanged(void **state)
{
	const struct l2f_tx *t;
	uint8_t f[128];
	uint32_t len;

	(void)state;
	/* an ARP request from c1: every port of the network and the uplink,
	 * as the container sent it */
	len = l2f_arp(f, ARPOP_REQUEST, bcast, c1->mac, "10.0.0.32", "10.0.0.100");
	l2f_send(c1, f, len);
	assert_non_null(tx_to(c2->port));
	t = tx_to(&uport);
	assert_non_null(t);
	assert_memory_equal(t->data, f, len);
	/* the LAN host answers c1's MAC: to c1 alone, and learned on the uplink */
	l2f_n_tx = 0;
	len = l2f_arp(f, ARPOP_REPLY, c1->mac, lanhost, "10.0.0.100", "10.0.0.32");
	assert_true(from_lan(f, len));
	assert_int_equal(l2f_n_tx, 1);
	assert_ptr_equal(l2f_tx[0].port, c1->port);
	assert_ptr_equal(fdb_lookup(net->fdb, lanhost), &uport);
	/* c1 to the LAN host: known unicast, out of the uplink only */
	l2f_n_tx = 0;
	len = ping(f, lanhost, c1->mac, "10.0.0.32", "10.0.0.100");
	l2f_send(c1, f, len);
	assert_int_equal(l2f_n_tx, 1);
	assert_ptr_equal(l2f_tx[0].port, &uport);
	assert_memory_equal(l2f_tx[0].data, f, len);
}

static void test_macvlan_lan_unicast_for_others_ignored(void **state)
{
	static const uint8_t other[6] = { 0x52, 0x54, 0x00, 0x00, 0x00, 0x99 };
	uint8_t f[128];
	uint32_t len;

	(void)state;
	/* c1 has spoken, so its MAC is known; a frame of the LAN for some
	 * other host is not ours: nothing sent, nothing counted */
	len = ping(f, bcast, c1->mac, "10.0.0.32", "10.0.0.255");
	l2f_send(c1, f, len);
	l2f_n_tx = 0;
	len = ping(f, other, lanhost, "10.0.0.100", "10.0.0.99");
	assert_false(from_lan(f, len));
	assert_int_equal(l2f_n_tx, 0);
	assert_int_equal(uport.stats.drops[DROP_LAN_MAC_CONFLICT], 0);
}

static void test_lan_conflicts_counted(void **state)
{
	uint8_t f[128];
	uint32_t len;

	(void)state;
	len = ping(f, bcast, c1->mac, "10.0.0.32", "10.0.0.255");
	l2f_send(c1, f, len);
	/* the LAN sends from c1's MAC: not learned, dropped */
	l2f_n_tx = 0;
	len = ping(f, bcast, c1->mac, "10.0.0.32", "10.0.0.255");
	from_lan(f, len);
	assert_int_equal(uport.stats.drops[DROP_LAN_MAC_CONFLICT], 1);
	assert_ptr_equal(fdb_lookup(net->fdb, c1->mac), c1->port);
	/* the LAN claims c2's address: ip_conflict, not delivered */
	len = l2f_arp(f, ARPOP_REQUEST, bcast, lanhost, "10.0.0.33", "10.0.0.33");
	from_lan(f, len);
	assert_int_equal(uport.stats.drops[DROP_IP_CONFLICT], 1);
	assert_int_equal(l2f_n_tx, 0);
}

static void test_ipvlan_out_with_uplink_mac(void **state)
{
	const struct l2f_tx *t, *local;
	const struct ether_arp *a;
	uint8_t f[128];
	uint32_t len;

	(void)state;
	len = l2f_arp(f, ARPOP_REQUEST, bcast, c1->mac, "10.0.0.32", "10.0.0.100");
	l2f_send(c1, f, len);
	/* the network's own port sees c1's MAC, the LAN the uplink's */
	local = tx_to(c2->port);
	assert_non_null(local);
	assert_memory_equal(local->data + 6, c1->mac, 6);
	t = tx_to(&uport);
	assert_non_null(t);
	a = (const void *)(t->data + 14);
	assert_memory_equal(t->data + 6, l2f_uplink_mac, 6);
	assert_memory_equal(a->arp_sha, l2f_uplink_mac, 6);
}

static void test_ipvlan_in_by_address(void **state)
{
	const struct ether_arp *a;
	uint8_t f[128];
	uint32_t len;

	(void)state;
	len = ping(f, bcast, c1->mac, "10.0.0.32", "10.0.0.255");
	l2f_send(c1, f, len);
	/* the LAN answers to the uplink's MAC; the switch maps it to c1 by
	 * the ARP target */
	l2f_n_tx = 0;
	len = l2f_arp(f, ARPOP_REPLY, l2f_uplink_mac, lanhost, "10.0.0.100", "10.0.0.32");
	assert_true(from_lan(f, len));
	assert_int_equal(l2f_n_tx, 1);
	assert_ptr_equal(l2f_tx[0].port, c1->port);
	assert_memory_equal(l2f_tx[0].data, c1->mac, 6);
	a = (const void *)(l2f_tx[0].data + 14);
	assert_memory_equal(a->arp_tha, c1->mac, 6);
	/* an IPv4 packet by its destination */
	l2f_n_tx = 0;
	len = ping(f, l2f_uplink_mac, lanhost, "10.0.0.100", "10.0.0.32");
	assert_true(from_lan(f, len));
	assert_int_equal(l2f_n_tx, 1);
	assert_ptr_equal(l2f_tx[0].port, c1->port);
	/* to the uplink's MAC but no container's address: the uplink's */
	l2f_n_tx = 0;
	len = ping(f, l2f_uplink_mac, lanhost, "10.0.0.100", "10.0.0.11");
	assert_false(from_lan(f, len));
	assert_int_equal(l2f_n_tx, 0);
}

static void test_ipvlan_answers_arp(void **state)
{
	const struct ether_arp *a;
	uint8_t f[128];
	uint32_t len, t = l2f_ip("10.0.0.33");

	(void)state;
	len = l2f_arp(f, ARPOP_REQUEST, bcast, lanhost, "10.0.0.100", "10.0.0.33");
	from_lan(f, len);
	/* one reply, out of the uplink, "10.0.0.33 is at the uplink's MAC";
	 * the request is not passed on to the containers */
	assert_int_equal(l2f_n_tx, 1);
	assert_ptr_equal(l2f_tx[0].port, &uport);
	a = (const void *)(l2f_tx[0].data + 14);
	assert_int_equal(ntohs(a->arp_op), ARPOP_REPLY);
	assert_memory_equal(a->arp_sha, l2f_uplink_mac, 6);
	assert_memory_equal(a->arp_spa, &t, 4);
	assert_memory_equal(l2f_tx[0].data, lanhost, 6);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_macvlan_out_unchanged, setup_macvlan, teardown),
		cmocka_unit_test_setup_teardown(test_macvlan_lan_unicast_for_others_ignored,
						setup_macvlan, teardown),
		cmocka_unit_test_setup_teardown(test_lan_conflicts_counted, setup_macvlan, teardown),
		cmocka_unit_test_setup_teardown(test_ipvlan_out_with_uplink_mac, setup_ipvlan, teardown),
		cmocka_unit_test_setup_teardown(test_ipvlan_in_by_address, setup_ipvlan, teardown),
		cmocka_unit_test_setup_teardown(test_ipvlan_answers_arp, setup_ipvlan, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
