/* test_ingress_v6.c - IPv6 port security (ingress_v6.c, audit finding 5)
 * on crafted frames through ingress_run(): router advertisements,
 * redirects, router renumbering, DHCPv6 servers, spoofed neighbour
 * discovery and foreign sources are dropped, each under its own reason;
 * the messages an honest container sends pass; the extension-header walk
 * is bounded; --no-port-security skips it all. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <net/ethernet.h>
#include "fdb.h"
#include "l2_fakes.h"
#include "mld_snoop.h"

static const uint8_t allnodes[6] = { 0x33, 0x33, 0, 0, 0, 1 };
static struct network *net;
static struct endpoint *c1, *c2;

static int setup(void **state)
{
	(void)state;
	fdb_common_init(&l2f_dp.fdb, EV_DEFAULT);
	fdb_set_aging(&l2f_dp.fdb, 300);
	fdb_set_max_learned(&l2f_dp.fdb, 1024);
	l2f_reset();
	net = l2f_network("t1", "172.18.0.0", 16, "172.18.0.1");
	c1 = l2f_endpoint(net, "c1", "172.18.0.2");
	c2 = l2f_endpoint(net, "c2", "172.18.0.3");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	l2f_teardown();
	return 0;
}

/* EP's link-local address (modified EUI-64), as its kernel makes it. */
static void lladdr(const struct endpoint *ep, uint8_t a[16])
{
	memset(a, 0, 16);
	a[0] = 0xfe;
	a[1] = 0x80;
	a[8] = ep->mac[0] ^ 2;
	a[9] = ep->mac[1];
	a[10] = ep->mac[2];
	a[11] = 0xff;
	a[12] = 0xfe;
	memcpy(a + 13, ep->mac + 3, 3);
}

/* An IPv6 frame from EP (its MAC) with SRC, next header NH and PAYLOAD;
 * the frame's length. */
static uint32_t v6(uint8_t *f, const struct endpoint *ep, const uint8_t src[16],
		   uint8_t nh, const uint8_t *payload, uint32_t plen)
{
	memcpy(f, allnodes, 6);
	memcpy(f + 6, ep->mac, 6);
	f[12] = 0x86;
	f[13] = 0xdd;
	memset(f + 14, 0, 40);
	f[14] = 0x60;
	f[18] = (uint8_t)(plen >> 8);
	f[19] = (uint8_t)plen;
	f[20] = nh;
	f[21] = 255;
	memcpy(f + 22, src, 16);
	f[38] = 0xff;
	f[39] = 0x02;
	f[53] = 1;
	memcpy(f + 54, payload, plen);
	return 54 + plen;
}

/* Send and return how many drops of WHY c1's port has. */
static uint64_t send_c1(const uint8_t *f, uint32_t len, enum drop_reason why)
{
	l2f_send(c1, f, len);
	return c1->port->stats.drops[why];
}

static void test_router_roles_dropped(void **state)
{
	uint8_t f[256], src[16], m[64];

	(void)state;
	lladdr(c1, src);
	memset(m, 0, sizeof(m));
	m[0] = 134;	/* RA, from c1's own link-local address: still no */
	assert_int_equal(send_c1(f, v6(f, c1, src, 58, m, 16), DROP_ND_RA), 1);
	m[0] = 137;
	assert_int_equal(send_c1(f, v6(f, c1, src, 58, m, 40), DROP_ND_REDIRECT), 1);
	m[0] = 138;
	assert_int_equal(send_c1(f, v6(f, c1, src, 58, m, 16), DROP_ND_ROUTER_RENUM), 1);
	/* DHCPv6 advertise from the server port 547 to a client's 546 */
	memset(m, 0, sizeof(m));
	m[0] = 547 >> 8;
	m[1] = 547 & 0xff;
	m[3] = 546 & 0xff;
	m[2] = 546 >> 8;
	m[5] = 12;
	assert_int_equal(send_c1(f, v6(f, c1, src, 17, m, 12), DROP_DHCP6_SERVER), 1);
	assert_int_equal(l2f_n_tx, 0);
	assert_int_equal(net->fdb->count, 0);
}

static void test_sources(void **state)
{
	uint8_t f[256], src[16], m[32];

	(void)state;
	memset(m, 0, sizeof(m));
	m[0] = 128;	/* echo request */
	lladdr(c2, src);
	assert_int_equal(send_c1(f, v6(f, c1, src, 58, m, 8), DROP_SRC_IP6_SPOOF), 1);
	memset(src, 0, 16);	/* "::" is for DAD and MLD only */
	assert_int_equal(send_c1(f, v6(f, c1, src, 58, m, 8), DROP_SRC_IP6_SPOOF), 2);
	lladdr(c1, src);
	assert_int_equal(send_c1(f, v6(f, c1, src, 58, m, 8), DROP_SRC_IP6_SPOOF), 2);
	assert_int_equal(l2f_n_tx, 1);	/* flooded to c2 */
	/* an MLDv2 report from "::" passes (and stops at the switch: it
	 * goes to the router port only, mld_snoop.c) */
	memset(src, 0, 16);
	m[0] = 143;
	l2f_n_tx = 0;
	assert_int_equal(send_c1(f, v6(f, c1, src, 58, m, 8), DROP_SRC_IP6_SPOOF), 2);
	assert_int_equal(l2f_n_tx, 0);
	assert_int_equal(net->mld->st.reports, 1);
}

static void test_neighbour_discovery(void **state)
{
	uint8_t f[256], src[16], m[40];

	(void)state;
	lladdr(c1, src);
	/* NA for c2's address: spoofed */
	memset(m, 0, sizeof(m));
	m[0] = 136;
	lladdr(c2, m + 8);
	m[24] = 2;	/* target link-layer address option */
	m[25] = 1;
	memcpy(m + 26, c1->mac, 6);
	assert_int_equal(send_c1(f, v6(f, c1, src, 58, m, 32), DROP_ND_SPOOF), 1);
	/* NA for c1's own address with c2's MAC in the option: spoofed */
	lladdr(c1, m + 8);
	memcpy(m + 26, c2->mac, 6);
	assert_int_equal(send_c1(f, v6(f, c1, src, 58, m, 32), DROP_ND_SPOOF), 2);
	/* the honest NA passes */
	memcpy(m + 26, c1->mac, 6);
	assert_int_equal(send_c1(f, v6(f, c1, src, 58, m, 32), DROP_ND_SPOOF), 2);
	assert_int_equal(l2f_n_tx, 1);
	/* NS about anyone is fine, with c1's MAC as source option only */
	m[0] = 135;
	lladdr(c2, m + 8);
	m[24] = 1;
	memcpy(m + 26, c2->mac, 6);
	assert_int_equal(send_c1(f, v6(f, c1, src, 58, m, 32), DROP_ND_SPOOF), 3);
	memcpy(m + 26, c1->mac, 6);
	assert_int_equal(send_c1(f, v6(f, c1, src, 58, m, 32), DROP_ND_SPOOF), 3);
	assert_int_equal(l2f_n_tx, 2);
	/* DAD: from "::", no option */
	memset(src, 0, 16);
	assert_int_equal(send_c1(f, v6(f, c1, src, 58, m, 24), DROP_SRC_IP6_SPOOF), 0);
	assert_int_equal(l2f_n_tx, 3);
	/* an option of length 0 is malformed */
	lladdr(c1, src);
	m[25] = 0;
	assert_int_equal(send_c1(f, v6(f, c1, src, 58, m, 32), DROP_BAD_L4), 1);
}

static void test_extension_headers(void **state)
{
	uint8_t f[512], src[16], m[256];
	unsigned int i;

	(void)state;
	lladdr(c1, src);
	/* an RA behind a hop-by-hop and a destination options header */
	memset(m, 0, sizeof(m));
	m[0] = 60;		/* HBH, 8 bytes, next: dest opts */
	m[8] = 58;		/* dest opts, 8 bytes, next: ICMPv6 */
	m[16] = 134;
	assert_int_equal(send_c1(f, v6(f, c1, src, 0, m, 32), DROP_ND_RA), 1);
	/* a chain longer than the walk's bound */
	for (i = 0; i < 12; i++)
		m[i * 8] = i < 11 ? 60 : 58;
	m[96] = 134;
	assert_int_equal(send_c1(f, v6(f, c1, src, 60, m, 112), DROP_BAD_EXT_HDR), 1);
	/* a header length past the payload */
	memset(m, 0, sizeof(m));
	m[0] = 58;
	m[1] = 200;
	assert_int_equal(send_c1(f, v6(f, c1, src, 0, m, 16), DROP_BAD_EXT_HDR), 2);
	/* an RA in a first fragment is still an RA */
	memset(m, 0, sizeof(m));
	m[0] = 58;
	m[3] = 1;		/* offset 0, M set */
	m[8] = 134;
	assert_int_equal(send_c1(f, v6(f, c1, src, 44, m, 24), DROP_ND_RA), 2);
	/* an NA in one: ND is never fragmented (RFC 6980) */
	m[8] = 136;
	lladdr(c1, m + 16);
	assert_int_equal(send_c1(f, v6(f, c1, src, 44, m, 40), DROP_BAD_EXT_HDR), 3);
	/* a later fragment has nothing to judge: switched */
	m[2] = 0;
	m[3] = 0x10;		/* offset 2 */
	l2f_n_tx = 0;
	assert_int_equal(send_c1(f, v6(f, c1, src, 44, m, 24), DROP_BAD_EXT_HDR), 3);
	assert_int_equal(l2f_n_tx, 1);
	/* a payload length beyond the frame */
	v6(f, c1, src, 58, m, 8);
	f[18] = 0x10;
	assert_int_equal(send_c1(f, 62, DROP_BAD_IP_LEN), 1);
	/* a truncated header */
	assert_int_equal(send_c1(f, 40, DROP_BAD_L3), 1);
}

/* On a --ipv6 network the address IPAM gave (endpoint.ip6) is the port's
 * own: its echo and its neighbour advertisement pass; another container's
 * address, or one the port was not given, is still spoofed. */
static void test_assigned_address(void **state)
{
	uint8_t f[256], src[16], m[40];

	(void)state;
	net->ipv6 = true;
	assert_int_equal(vs_prefix_parse("fd00:db8:1::/64", &net->subnet6, true, NULL, 0), 0);
	assert_int_equal(vs_addr_parse("fd00:db8:1::2", &c1->ip6), 0);
	assert_int_equal(vs_addr_parse("fd00:db8:1::3", &c2->ip6), 0);
	memset(m, 0, sizeof(m));
	m[0] = 128;	/* echo request from c1's assigned address */
	memcpy(src, c1->ip6.b, 16);
	assert_int_equal(send_c1(f, v6(f, c1, src, 58, m, 8), DROP_SRC_IP6_SPOOF), 0);
	assert_int_equal(l2f_n_tx, 1);
	memcpy(src, c2->ip6.b, 16);	/* c2's */
	assert_int_equal(send_c1(f, v6(f, c1, src, 58, m, 8), DROP_SRC_IP6_SPOOF), 1);
	src[15] = 0x99;			/* an address of the subnet nobody gave c1 */
	assert_int_equal(send_c1(f, v6(f, c1, src, 58, m, 8), DROP_SRC_IP6_SPOOF), 2);
	/* an NA for its assigned address passes; for c2's it is spoofed */
	m[0] = 136;
	memcpy(src, c1->ip6.b, 16);
	memcpy(m + 8, c1->ip6.b, 16);
	m[24] = 2;
	m[25] = 1;
	memcpy(m + 26, c1->mac, 6);
	assert_int_equal(send_c1(f, v6(f, c1, src, 58, m, 32), DROP_ND_SPOOF), 0);
	memcpy(m + 8, c2->ip6.b, 16);
	assert_int_equal(send_c1(f, v6(f, c1, src, 58, m, 32), DROP_ND_SPOOF), 1);
	/* without --ipv6 the same address is not the port's */
	net->ipv6 = false;
	m[0] = 128;
	assert_int_equal(send_c1(f, v6(f, c1, src, 58, m, 8), DROP_SRC_IP6_SPOOF), 3);
}

static void test_no_port_security_skips(void **state)
{
	uint8_t f[256], src[16], m[32];

	(void)state;
	c1->port_security = false;
	lladdr(c2, src);
	memset(m, 0, sizeof(m));
	m[0] = 134;
	l2f_send(c1, f, v6(f, c1, src, 58, m, 16));
	assert_int_equal(l2f_n_tx, 1);
	assert_int_equal(c1->port->stats.drops[DROP_ND_RA], 0);
	c1->port_security = true;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_router_roles_dropped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sources, setup, teardown),
		cmocka_unit_test_setup_teardown(test_neighbour_discovery, setup, teardown),
		cmocka_unit_test_setup_teardown(test_extension_headers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_assigned_address, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_port_security_skips, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
