/* test_mld_snoop.c - MLD snooping (mld_snoop.c): the membership table on
 * its own (join, leave, a port going, the per-port cap), then crafted
 * frames through ingress and l2_forward with three containers: an MLD
 * report stops at the switch and lists its port, a neighbour
 * solicitation reaches only the port listed in its group (and floods
 * when none is, or while the table settles, or after a port overflowed),
 * a router solicitation on a --ipv6 network reaches nobody but the
 * gateway (flooded on a network without --ipv6), a container's MLD query
 * makes reports flood again, and a malformed report is bad_l4. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/icmp6.h>
#include "csum.h"
#include "fdb.h"
#include "l2_fakes.h"
#include "mld_snoop.h"
#include "router_port.h"

static struct network *net;
static struct endpoint *c1, *c2, *c3;
static const uint8_t any6[16];

static int setup(void **state)
{
	(void)state;
	fdb_common_init(&l2f_dp.fdb, EV_DEFAULT);
	l2f_reset();
	router_port_rl_reset(&l2f_dp);
	net = l2f_network("ms", "172.19.0.0", 16, "172.19.0.1");
	c1 = l2f_endpoint(net, "c1", "172.19.0.2");
	c2 = l2f_endpoint(net, "c2", "172.19.0.3");
	c3 = l2f_endpoint(net, "c3", "172.19.0.4");
	net->ipv6 = true;
	assert_int_equal(vs_prefix_parse("fd00:7::/64", &net->subnet6, true, NULL, 0), 0);
	l2f_a6("fd00:7::1", net->gateway6.b);
	l2f_a6("fd00:7::2", c1->ip6.b);
	l2f_a6("fd00:7::3", c2->ip6.b);
	l2f_a6("fd00:7::4", c3->ip6.b);
	/* armed: members-only delivery from the start */
	net->mld = mld_snoop_new(-MLD_SNOOP_SETTLE - 1);
	assert_non_null(net->mld);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	l2f_teardown();
	return 0;
}

/* The solicited-node group of A and its MAC. */
static void snm_of(const uint8_t *a, uint8_t g[16], uint8_t mac[6])
{
	l2f_a6("ff02::1:ff00:0", g);
	memcpy(g + 13, a + 13, 3);
	mac[0] = mac[1] = 0x33;
	memcpy(mac + 2, g + 12, 4);
}

/* An IPv6 frame from EP's MAC of ICMPv6 message M (checksum filled in). */
static uint32_t icmp6_frame(uint8_t *f, const uint8_t *dmac, const struct endpoint *ep,
			    const uint8_t *src, const uint8_t *dst, uint8_t *m, uint32_t len)
{
	uint16_t cs;

	memcpy(f, dmac, 6);
	memcpy(f + 6, ep->mac, 6);
	f[12] = 0x86;
	f[13] = 0xdd;
	memset(f + 14, 0, 8);
	f[14] = 0x60;
	f[18] = (uint8_t)(len >> 8);
	f[19] = (uint8_t)len;
	f[20] = IPPROTO_ICMPV6;
	f[21] = 255;
	memcpy(f + 22, src, 16);
	memcpy(f + 38, dst, 16);
	m[2] = m[3] = 0;
	cs = csum_fold(csum_partial(m, len, csum_pseudo6(src, dst, IPPROTO_ICMPV6, len)));
	memcpy(m + 2, &cs, 2);
	memcpy(f + 54, m, len);
	return 54 + len;
}

/* EP's MLDv2 report (from "::", to ff02::16) with one record of TYPE for
 * group G; NREC overrides the record count (a lie: malformed). */
static void send_v2(struct endpoint *ep, uint8_t type, const uint8_t *g, uint16_t nrec)
{
	static const uint8_t mac16[6] = { 0x33, 0x33, 0, 0, 0, 0x16 };
	uint8_t f[256], m[28], dst[16];

	l2f_a6("ff02::16", dst);
	memset(m, 0, sizeof(m));
	m[0] = 143;
	m[7] = (uint8_t)nrec;
	m[8] = type;
	memcpy(m + 12, g, 16);
	l2f_send(ep, f, icmp6_frame(f, mac16, ep, any6, dst, m, sizeof(m)));
}

/* EP's MLDv1 message TYPE (131 report, 132 done) for group G, from its
 * link-local address (a done may not come from "::"). */
static void send_v1(struct endpoint *ep, uint8_t type, const uint8_t *g)
{
	uint8_t f[256], m[24], mac[6], dst[16], gg[16], ll[16];

	router_port_ll6(ep->mac, ll);
	memset(m, 0, sizeof(m));
	m[0] = type;
	memcpy(m + 8, g, 16);
	snm_of(g, gg, mac);
	if (type == 132)
		l2f_a6("ff02::2", dst);
	else
		memcpy(dst, g, 16);
	if (type == 132)
		memcpy(mac, (const uint8_t[6]){ 0x33, 0x33, 0, 0, 0, 2 }, 6);
	l2f_send(ep, f, icmp6_frame(f, mac, ep, ll, dst, m, sizeof(m)));
}

/* A neighbour solicitation from EP for TARGET, to TARGET's group (a DAD
 * probe from "::" if DAD). */
static void send_ns(struct endpoint *ep, const uint8_t *target, bool dad)
{
	uint8_t f[256], m[32], g[16], mac[6];
	uint32_t len = 24;

	snm_of(target, g, mac);
	memset(m, 0, sizeof(m));
	m[0] = ND_NEIGHBOR_SOLICIT;
	memcpy(m + 8, target, 16);
	if (!dad) {
		m[24] = ND_OPT_SOURCE_LINKADDR;
		m[25] = 1;
		memcpy(m + 26, ep->mac, 6);
		len = 32;
	}
	l2f_send(ep, f, icmp6_frame(f, mac, ep, dad ? any6 : ep->ip6.b, g, m, len));
}

static void send_rs(struct endpoint *ep)
{
	static const uint8_t mac2[6] = { 0x33, 0x33, 0, 0, 0, 2 };
	uint8_t f[128], m[8] = { ND_ROUTER_SOLICIT }, dst[16];

	l2f_a6("ff02::2", dst);
	l2f_send(ep, f, icmp6_frame(f, mac2, ep, any6, dst, m, sizeof(m)));
}

/* How many frames left on PORT. */
static unsigned int tx_on(const struct port *port)
{
	unsigned int i, n = 0;

	for (i = 0; i < l2f_n_tx; i++)
		n += l2f_tx[i].port == port;
	return n;
}

static void test_table(void **state)
{
	struct mld_snoop *m = net->mld;
	const struct mld_snoop_group *g;
	uint8_t a[16];
	uint32_t key, i;

	(void)state;
	l2f_a6("ff02::1:ffab:cdef", a);
	assert_true(mld_snoop_group_key(a, &key));
	assert_int_equal(key, 0xabcdef);
	l2f_a6("ff02::2:ffab:cdef", a);
	assert_false(mld_snoop_group_key(a, &key));
	l2f_a6("ff05::1:ffab:cdef", a);
	assert_false(mld_snoop_group_key(a, &key));

	assert_int_equal(mld_snoop_join(m, c1->port, 7), 0);
	assert_int_equal(mld_snoop_join(m, c1->port, 7), 0);   /* again: once */
	assert_int_equal(mld_snoop_join(m, c2->port, 7), 0);
	assert_int_equal(mld_snoop_join(m, c2->port, 8), 0);
	g = mld_snoop_lookup(m, 7);
	assert_non_null(g);
	assert_int_equal(g->n_members, 2);
	assert_int_equal(m->n_groups, 2);
	assert_int_equal(m->st.joins, 3);
	mld_snoop_leave(m, c1->port, 7);
	mld_snoop_leave(m, c1->port, 7);                       /* not listed: nothing */
	assert_int_equal(mld_snoop_lookup(m, 7)->n_members, 1);
	assert_int_equal(m->st.leaves, 1);
	mld_snoop_port_gone(m, c2->port);
	assert_null(mld_snoop_lookup(m, 7));
	assert_null(mld_snoop_lookup(m, 8));
	assert_int_equal(m->n_groups, 0);

	/* the cap: one more group is an overflow, until the port goes */
	for (i = 0; i < MLD_SNOOP_PORT_GROUPS; i++)
		assert_int_equal(mld_snoop_join(m, c3->port, 100 + i), 0);
	assert_int_equal(mld_snoop_join(m, c3->port, 99), -1);
	assert_int_equal(mld_snoop_join(m, c3->port, 98), -1);
	assert_int_equal(m->st.overflow, 2);
	assert_int_equal(m->n_overflow, 1);
	assert_null(mld_snoop_lookup(m, 99));
	mld_snoop_port_gone(m, c3->port);
	assert_int_equal(m->n_overflow, 0);
	assert_int_equal(m->n_groups, 0);
	mld_snoop_port_gone(m, c1->port);
	mld_snoop_port_gone(NULL, c1->port);
}

/* c2's report stops at the switch; c1's solicitation for c2 reaches c2
 * alone; c3's DAD probe for its own listed group reaches nobody. */
static void test_report_then_ns(void **state)
{
	uint8_t g[16], mac[6];

	(void)state;
	snm_of(c2->ip6.b, g, mac);
	send_v2(c2, 4 /* TO_EX */, g, 1);
	assert_int_equal(l2f_n_tx, 0);
	assert_int_equal(net->mld->st.reports, 1);
	assert_int_equal(net->mld->st.joins, 1);
	send_ns(c1, c2->ip6.b, false);
	assert_int_equal(l2f_n_tx, 1);
	assert_int_equal(tx_on(c2->port), 1);
	assert_int_equal(net->mld->st.to_members, 1);

	snm_of(c3->ip6.b, g, mac);
	send_v1(c3, 131, g);
	l2f_n_tx = 0;
	send_ns(c3, c3->ip6.b, true);
	assert_int_equal(l2f_n_tx, 0);

	/* c2 leaves (TO_IN {}): its group is no one's, and floods */
	snm_of(c2->ip6.b, g, mac);
	send_v2(c2, 3 /* TO_IN */, g, 1);
	assert_int_equal(net->mld->st.leaves, 1);
	send_ns(c1, c2->ip6.b, false);
	assert_int_equal(tx_on(c2->port), 1);
	assert_int_equal(tx_on(c3->port), 1);
	assert_int_equal(net->mld->st.unregistered, 1);
	/* an MLDv1 done unlists c3 */
	snm_of(c3->ip6.b, g, mac);
	send_v1(c3, 132, g);
	assert_null(mld_snoop_lookup(net->mld, 4));
	assert_int_equal(c3->port->stats.drops[DROP_BAD_L4], 0);
}

/* While the table settles, and after an overflow, listed groups flood. */
static void test_settle_and_overflow(void **state)
{
	uint8_t g[16], mac[6];
	unsigned int i;

	(void)state;
	snm_of(c2->ip6.b, g, mac);
	send_v2(c2, 2 /* IS_EX */, g, 1);
	net->mld->armed_at = 1e12;
	send_ns(c1, c2->ip6.b, false);
	assert_int_equal(tx_on(c3->port), 1);
	net->mld->armed_at = -1;
	for (i = 0; i <= MLD_SNOOP_PORT_GROUPS; i++)
		mld_snoop_join(net->mld, c3->port, 0x100 + i);
	send_ns(c1, c2->ip6.b, false);
	assert_int_equal(tx_on(c3->port), 2);
	/* the overflowed port goes: members only again */
	mld_snoop_port_gone(net->mld, c3->port);
	send_ns(c1, c2->ip6.b, false);
	assert_int_equal(tx_on(c3->port), 2);
	assert_int_equal(tx_on(c2->port), 3);
}

/* A router solicitation: the --ipv6 gateway's alone (it answers the
 * solicitor, nobody else hears either); without --ipv6, the ports without
 * port security's (RA guard silences the others), or nobody's. */
static void test_rs(void **state)
{
	(void)state;
	send_rs(c1);
	assert_int_equal(l2f_n_tx, 1);
	assert_int_equal(tx_on(c1->port), 1);
	assert_int_equal(l2f_tx[0].data[54], ND_ROUTER_ADVERT);
	assert_int_equal(net->mld->st.rs_to_gateway, 1);
	l2f_n_tx = 0;
	net->ipv6 = false;
	send_rs(c1);
	assert_int_equal(l2f_n_tx, 0);
	assert_int_equal(net->mld->st.rs_absorbed, 1);
	c3->port_security = false;
	send_rs(c1);
	assert_int_equal(tx_on(c2->port), 0);
	assert_int_equal(tx_on(c3->port), 1);
	assert_int_equal(net->mld->st.rs_to_open_ports, 1);
	/* never back to its own port, also without port security */
	send_rs(c3);
	assert_int_equal(tx_on(c3->port), 1);
	assert_int_equal(net->mld->st.rs_absorbed, 2);
	assert_int_equal(net->mld->st.rs_to_gateway, 1);
	c3->port_security = true;
}

/* A container that queries hears the reports; a lying report is bad_l4. */
static void test_querier_and_bad(void **state)
{
	static const uint8_t mac1[6] = { 0x33, 0x33, 0, 0, 0, 1 };
	uint8_t f[256], m[28] = { 130 }, dst[16], ll[16], g[16], mac[6];

	(void)state;
	snm_of(c2->ip6.b, g, mac);
	send_v2(c2, 4, g, 2);      /* two records said, one there */
	assert_int_equal(c2->port->stats.drops[DROP_BAD_L4], 1);
	assert_int_equal(net->mld->st.bad, 1);
	assert_int_equal(net->mld->st.joins, 0);
	assert_int_equal(l2f_n_tx, 0);

	l2f_a6("ff02::1", dst);
	router_port_ll6(c3->mac, ll);
	l2f_send(c3, f, icmp6_frame(f, mac1, c3, ll, dst, m, sizeof(m)));
	assert_int_equal(tx_on(c1->port), 1);
	assert_int_equal(net->mld->n_queriers, 1);
	send_v2(c2, 4, g, 1);
	assert_int_equal(tx_on(c3->port), 1);
	assert_int_equal(net->mld->st.reports_flooded, 1);
	mld_snoop_port_gone(net->mld, c3->port);
	assert_int_equal(net->mld->n_queriers, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_table, setup, teardown),
		cmocka_unit_test_setup_teardown(test_report_then_ns, setup, teardown),
		cmocka_unit_test_setup_teardown(test_settle_and_overflow, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_querier_and_bad, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
