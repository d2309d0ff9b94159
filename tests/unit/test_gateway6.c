/* test_gateway6.c - a --ipv6 network's gateway on crafted frames
 * (router_port.c's IPv6 part, through ingress, l2_forward and gateway.c):
 * neighbour solicitations for its address and its link-local one are
 * answered with a neighbour advertisement of its MAC (solicited, or to
 * all-nodes for a DAD probe); malformed ones (hop limit, checksum, a DAD
 * probe with a source link-layer option) are bad_l4; ICMPv6 echo is
 * answered only with a good checksum; what the gateway cannot route yet
 * is counted (no_route, ttl_exceeded) and answered with an ICMPv6 error
 * quoting it, never silently lost; another network's subnet is no route
 * (isolation); too big for the uplink's MTU is packet too big, a GSO
 * frame judged by its segments.  A router solicitation is answered with
 * an advertisement of the prefix (on-link, not autonomous), to the
 * solicitor only, within the rate limits; a malformed one is bad_l4, and
 * a network without IPv6 answers none.  Replies are checked byte by
 * byte, checksums over the pseudo-header too. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <net/ethernet.h>
#include <netinet/icmp6.h>
#include <netinet/ip6.h>
#include "csum.h"
#include "fdb.h"
#include "l2_fakes.h"
#include "mld_snoop.h"
#include "router_port.h"

static struct network *net;
static struct endpoint *c1, *c2;
static uint8_t gw6[16], gwll[16], snm[16];
static uint8_t snm_mac[6] = { 0x33, 0x33, 0xff };

static int setup(void **state)
{
	(void)state;
	fdb_common_init(&l2f_dp.fdb, EV_DEFAULT);
	l2f_reset();
	router_port_rl_reset(&l2f_dp);
	net = l2f_network("g6", "172.18.0.0", 16, "172.18.0.1");
	c1 = l2f_endpoint(net, "c1", "172.18.0.2");
	c2 = l2f_endpoint(net, "c2", "172.18.0.3");
	net->ipv6 = true;
	assert_int_equal(vs_prefix_parse("fd00:6::/64", &net->subnet6, true, NULL, 0), 0);
	l2f_a6("fd00:6::1", net->gateway6.b);
	l2f_a6("fd00:6::2", c1->ip6.b);
	l2f_a6("fd00:6::3", c2->ip6.b);
	memcpy(gw6, net->gateway6.b, 16);
	router_port_ll6(net->gw_mac, gwll);
	l2f_a6("ff02::1:ff00:1", snm);
	memcpy(snm_mac + 3, gw6 + 13, 3);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	l2f_teardown();
	return 0;
}

/* An IPv6 frame of ICMPv6 message M (LEN bytes, checksum filled in). */
static uint32_t icmp6_frame(uint8_t *f, const uint8_t *dmac, const uint8_t *smac,
			    const uint8_t *src, const uint8_t *dst, uint8_t hlim,
			    uint8_t *m, uint32_t len)
{
	uint16_t cs;

	memcpy(f, dmac, 6);
	memcpy(f + 6, smac, 6);
	f[12] = 0x86;
	f[13] = 0xdd;
	memset(f + 14, 0, 8);
	f[14] = 0x60;
	f[18] = (uint8_t)(len >> 8);
	f[19] = (uint8_t)len;
	f[20] = IPPROTO_ICMPV6;
	f[21] = hlim;
	memcpy(f + 22, src, 16);
	memcpy(f + 38, dst, 16);
	m[2] = m[3] = 0;
	cs = csum_fold(csum_partial(m, len, csum_pseudo6(src, dst, IPPROTO_ICMPV6, len)));
	memcpy(m + 2, &cs, 2);
	memcpy(f + 54, m, len);
	return 54 + len;
}

/* A neighbour solicitation for TARGET, with a source link-layer option
 * (MAC) unless SLL is NULL; its length. */
static uint32_t ns_msg(uint8_t *m, const uint8_t *target, const uint8_t *sll)
{
	memset(m, 0, 32);
	m[0] = ND_NEIGHBOR_SOLICIT;
	memcpy(m + 8, target, 16);
	if (!sll)
		return 24;
	m[24] = ND_OPT_SOURCE_LINKADDR;
	m[25] = 1;
	memcpy(m + 26, sll, 6);
	return 32;
}

/* The frame that left PORT, or fail. */
static const struct l2f_tx *sent_on(const struct port *port)
{
	unsigned int i;

	for (i = 0; i < l2f_n_tx; i++)
		if (l2f_tx[i].port == port)
			return &l2f_tx[i];
	fail_msg("nothing sent on %s", port->name);
	return NULL;
}

/* The one frame sent: an ICMPv6 error TYPE/CODE from the gateway back to
 * c1; return it. */
static const uint8_t *icmp6_error_to_c1(uint8_t type, uint8_t code)
{
	const uint8_t *r;

	assert_int_equal(l2f_n_tx, 1);
	r = l2f_tx[0].data;
	assert_ptr_equal(l2f_tx[0].port, c1->port);
	assert_memory_equal(r, c1->mac, 6);
	assert_memory_equal(r + 22, gw6, 16);
	assert_memory_equal(r + 38, c1->ip6.b, 16);
	assert_int_equal(r[54], type);
	assert_int_equal(r[55], code);
	return r;
}

/* Does the ICMPv6 message of frame F verify over its pseudo-header? */
static void assert_icmp6_csum(const uint8_t *f)
{
	uint32_t len = (uint32_t)(f[18] << 8 | f[19]);

	assert_int_equal(csum_fold(csum_partial(f + 54, len, csum_pseudo6(
		f + 22, f + 38, IPPROTO_ICMPV6, len))), 0);
}

/* A neighbour advertisement of the gateway's MAC for TARGET, flags FL. */
static void assert_na(const uint8_t *f, const uint8_t *dmac, const uint8_t *dst,
		      const uint8_t *target, uint8_t fl)
{
	assert_memory_equal(f, dmac, 6);
	assert_memory_equal(f + 6, net->gw_mac, 6);
	assert_int_equal(f[20], IPPROTO_ICMPV6);
	assert_int_equal(f[21], 255);
	assert_memory_equal(f + 22, target, 16);
	assert_memory_equal(f + 38, dst, 16);
	assert_int_equal(f[54], ND_NEIGHBOR_ADVERT);
	assert_int_equal(f[58], fl);
	assert_memory_equal(f + 62, target, 16);
	assert_int_equal(f[78], ND_OPT_TARGET_LINKADDR);
	assert_int_equal(f[79], 1);
	assert_memory_equal(f + 80, net->gw_mac, 6);
	assert_icmp6_csum(f);
}

static void test_ns_answered(void **state)
{
	uint8_t f[256], m[64];
	uint32_t len;

	(void)state;
	len = icmp6_frame(f, snm_mac, c1->mac, c1->ip6.b, snm, 255, m, ns_msg(m, gw6, c1->mac));
	l2f_send(c1, f, len);
	/* flooded to c2 (its group is not the gateway's business) and answered */
	assert_int_equal(l2f_n_tx, 2);
	assert_na(sent_on(c1->port)->data, c1->mac, c1->ip6.b, gw6, 0xe0);
	/* the link-local address too, asked at its own group */
	l2f_n_tx = 0;
	memcpy(snm + 13, gwll + 13, 3);
	memcpy(snm_mac + 3, gwll + 13, 3);
	len = icmp6_frame(f, snm_mac, c1->mac, c1->ip6.b, snm, 255, m, ns_msg(m, gwll, c1->mac));
	l2f_send(c1, f, len);
	assert_na(sent_on(c1->port)->data, c1->mac, c1->ip6.b, gwll, 0xe0);
	/* unicast to the gateway MAC, without a source option: to the frame's source */
	l2f_n_tx = 0;
	len = icmp6_frame(f, net->gw_mac, c1->mac, c1->ip6.b, gw6, 255, m, ns_msg(m, gw6, NULL));
	l2f_send(c1, f, len);
	assert_int_equal(l2f_n_tx, 1);
	assert_na(l2f_tx[0].data, c1->mac, c1->ip6.b, gw6, 0xe0);
	assert_int_equal(c1->port->stats.drops[DROP_BAD_L4], 0);
}

/* A duplicate address detection probe for the gateway's address: the
 * answer goes to all-nodes, unsolicited, so the prober sees it taken. */
static void test_dad_probe_answered(void **state)
{
	static const uint8_t any[16], allnodes_mac[6] = { 0x33, 0x33, 0, 0, 0, 1 };
	uint8_t f[256], m[64], allnodes[16];
	uint32_t len;

	(void)state;
	l2f_a6("ff02::1", allnodes);
	len = icmp6_frame(f, snm_mac, c1->mac, any, snm, 255, m, ns_msg(m, gw6, NULL));
	l2f_send(c1, f, len);
	assert_na(sent_on(c1->port)->data, allnodes_mac, allnodes, gw6, 0xa0);
	/* from "::" with a source link-layer option: malformed (RFC 4861 7.1.1) */
	l2f_n_tx = 0;
	len = icmp6_frame(f, snm_mac, c1->mac, any, snm, 255, m, ns_msg(m, gw6, c1->mac));
	l2f_send(c1, f, len);
	assert_int_equal(c1->port->stats.drops[DROP_BAD_L4], 1);
	assert_int_equal(l2f_n_tx, 1);	/* the flood to c2, no answer */
	assert_ptr_equal(l2f_tx[0].port, c2->port);
}

static void test_ns_malformed_or_not_ours(void **state)
{
	uint8_t f[256], m[64];
	uint32_t len;

	(void)state;
	/* hop limit 64: it came through a router, not from the link */
	len = icmp6_frame(f, net->gw_mac, c1->mac, c1->ip6.b, gw6, 64, m, ns_msg(m, gw6, c1->mac));
	l2f_send(c1, f, len);
	assert_int_equal(c1->port->stats.drops[DROP_BAD_L4], 1);
	/* a bad checksum */
	len = icmp6_frame(f, net->gw_mac, c1->mac, c1->ip6.b, gw6, 255, m, ns_msg(m, gw6, c1->mac));
	f[58] ^= 0x40;		/* in the reserved word */
	l2f_send(c1, f, len);
	assert_int_equal(c1->port->stats.drops[DROP_BAD_L4], 2);
	/* an option of length 0 (port security or the gateway: bad_l4) */
	len = icmp6_frame(f, net->gw_mac, c1->mac, c1->ip6.b, gw6, 255, m, ns_msg(m, gw6, c1->mac));
	f[79] = 0;
	l2f_send(c1, f, len);
	assert_int_equal(c1->port->stats.drops[DROP_BAD_L4], 3);
	assert_int_equal(l2f_n_tx, 0);
	/* asking about c2, at the gateway's group: not the gateway's, no drop */
	len = icmp6_frame(f, snm_mac, c1->mac, c1->ip6.b, snm, 255, m, ns_msg(m, c2->ip6.b, c1->mac));
	l2f_send(c1, f, len);
	assert_int_equal(l2f_n_tx, 1);
	assert_ptr_equal(l2f_tx[0].port, c2->port);
	assert_int_equal(c1->port->stats.drops[DROP_BAD_L4], 3);
	assert_int_equal(c1->port->stats.drops[DROP_NOT_FOR_US], 0);
}

/* An echo request of 8 + 20 bytes to DST. */
static uint32_t echo6(uint8_t *f, uint8_t *m, const uint8_t *dst)
{
	int i;

	memset(m, 0, 28);
	m[0] = ICMP6_ECHO_REQUEST;
	m[4] = 0x42;
	m[7] = 7;
	for (i = 8; i < 28; i++)
		m[i] = (uint8_t)i;
	return icmp6_frame(f, net->gw_mac, c1->mac, c1->ip6.b, dst, 64, m, 28);
}

static void test_echo(void **state)
{
	uint8_t f[256], m[64];
	const uint8_t *r;
	uint32_t len;

	(void)state;
	l2f_send(c1, f, echo6(f, m, gw6));
	assert_int_equal(l2f_n_tx, 1);
	r = l2f_tx[0].data;
	assert_ptr_equal(l2f_tx[0].port, c1->port);
	assert_memory_equal(r, c1->mac, 6);
	assert_memory_equal(r + 6, net->gw_mac, 6);
	assert_memory_equal(r + 22, gw6, 16);
	assert_memory_equal(r + 38, c1->ip6.b, 16);
	assert_int_equal(r[54], ICMP6_ECHO_REPLY);
	assert_memory_equal(r + 58, m + 4, 24);	/* id, sequence, data */
	assert_icmp6_csum(r);
	/* to its link-local address too */
	l2f_send(c1, f, echo6(f, m, gwll));
	assert_int_equal(l2f_n_tx, 2);
	assert_memory_equal(l2f_tx[1].data + 22, gwll, 16);
	/* a bad checksum: no answer, bad_l4 */
	len = echo6(f, m, gw6);
	f[60] ^= 1;
	l2f_send(c1, f, len);
	assert_int_equal(l2f_n_tx, 2);
	assert_int_equal(c1->port->stats.drops[DROP_BAD_L4], 1);
	/* an echo reply or UDP to the gateway is not for it */
	len = echo6(f, m, gw6);
	m[0] = ICMP6_ECHO_REPLY;
	len = icmp6_frame(f, net->gw_mac, c1->mac, c1->ip6.b, gw6, 64, m, 28);
	l2f_send(c1, f, len);
	assert_int_equal(c1->port->stats.drops[DROP_NOT_FOR_US], 1);
	f[20] = IPPROTO_UDP;
	l2f_send(c1, f, len);
	assert_int_equal(c1->port->stats.drops[DROP_NOT_FOR_US], 2);
	assert_int_equal(l2f_n_tx, 2);
}

/* Not routed yet: the sender learns why (ICMPv6 no route, or hop limit
 * exceeded), quoting its packet; no error about an error; a network
 * without IPv6 does not answer at all (unsupported). */
static void test_not_routed(void **state)
{
	uint8_t f[256], m[64], far[16];
	const uint8_t *r;
	uint32_t len;

	(void)state;
	l2f_a6("2001:db8::1", far);
	len = echo6(f, m, far);
	l2f_send(c1, f, len);
	assert_int_equal(c1->port->stats.drops[DROP_NO_ROUTE], 1);
	r = icmp6_error_to_c1(ICMP6_DST_UNREACH, ICMP6_DST_UNREACH_NOROUTE);
	assert_memory_equal(r + 62, f + 14, len - 14);	/* the whole packet quoted */
	assert_icmp6_csum(r);
	/* hop limit 1: time exceeded instead */
	f[21] = 1;
	l2f_send(c1, f, len);
	assert_int_equal(c1->port->stats.drops[DROP_TTL_EXCEEDED], 1);
	assert_int_equal(l2f_n_tx, 2);
	assert_int_equal(l2f_tx[1].data[54], ICMP6_TIME_EXCEEDED);
	/* an ICMPv6 error gets none back */
	memset(m, 0, 16);
	m[0] = ICMP6_DST_UNREACH;
	l2f_send(c1, f, icmp6_frame(f, net->gw_mac, c1->mac, c1->ip6.b, far, 64, m, 16));
	assert_int_equal(c1->port->stats.drops[DROP_NO_ROUTE], 2);
	assert_int_equal(l2f_n_tx, 2);
	/* from c1's link-local address to the gateway's, on a network
	 * without IPv6: port security lets it in, the gateway refuses it */
	net->ipv6 = false;
	router_port_ll6(c1->mac, far);
	echo6(f, m, gwll);
	l2f_send(c1, f, icmp6_frame(f, net->gw_mac, c1->mac, far, gwll, 64, m, 28));
	assert_int_equal(l2f_n_tx, 2);
	assert_int_equal(c1->port->stats.drops[DROP_UNSUPPORTED], 1);
	assert_int_equal(c1->port->stats.drops[DROP_SRC_IP6_SPOOF], 0);
}

/* ---- router advertisements ---- */

static const uint8_t allrouters_mac[6] = { 0x33, 0x33, 0, 0, 0, 2 };

/* A router solicitation from C1's link-local address (or from "::" if
 * ANY) to DMAC/DST with hop limit HLIM, with a source link-layer option
 * of c1's MAC if SLL; its frame's length.  rs_frame(): to all-routers. */
static uint32_t rs_frame_to(uint8_t *f, const uint8_t *dmac, const uint8_t *dst,
			    bool any, bool sll, uint8_t hlim)
{
	static const uint8_t unspec[16];
	uint8_t m[16] = { ND_ROUTER_SOLICIT }, src[16];

	router_port_ll6(c1->mac, src);
	if (sll) {
		m[8] = ND_OPT_SOURCE_LINKADDR;
		m[9] = 1;
		memcpy(m + 10, c1->mac, 6);
	}
	return icmp6_frame(f, dmac, c1->mac, any ? unspec : src, dst, hlim, m, sll ? 16 : 8);
}

static uint32_t rs_frame(uint8_t *f, bool any, bool sll, uint8_t hlim)
{
	uint8_t dst[16];

	l2f_a6("ff02::2", dst);
	return rs_frame_to(f, allrouters_mac, dst, any, sll, hlim);
}

/* The gateway's advertisement in F, to DMAC/DST: from its link-local
 * address with hop limit 255; hop limit 64 advertised, M and O off, a
 * router lifetime; its MAC, the network's MTU and the /64 on-link but not
 * autonomous; the checksum good. */
static void assert_ra(const uint8_t *f, const uint8_t *dmac, const uint8_t *dst)
{
	const uint8_t *m = f + 54, *o = m + 16;
	uint8_t prefix[16];

	assert_memory_equal(f, dmac, 6);
	assert_memory_equal(f + 6, net->gw_mac, 6);
	assert_int_equal(f[12] << 8 | f[13], ETHERTYPE_IPV6);
	assert_int_equal(f[18] << 8 | f[19], 16 + 8 + 8 + 32);
	assert_int_equal(f[20], IPPROTO_ICMPV6);
	assert_int_equal(f[21], 255);
	assert_memory_equal(f + 22, gwll, 16);
	assert_memory_equal(f + 38, dst, 16);
	assert_int_equal(m[0], ND_ROUTER_ADVERT);
	assert_int_equal(m[1], 0);
	assert_int_equal(m[4], 64);			/* cur hop limit */
	assert_int_equal(m[5], 0);			/* M, O off */
	assert_true((m[6] << 8 | m[7]) > 0);		/* a default router */
	assert_memory_equal(m + 8, "\0\0\0\0\0\0\0\0", 8);	/* timers unspecified */
	assert_int_equal(o[0], ND_OPT_SOURCE_LINKADDR);
	assert_int_equal(o[1], 1);
	assert_memory_equal(o + 2, net->gw_mac, 6);
	o += 8;
	assert_int_equal(o[0], ND_OPT_MTU);
	assert_int_equal(o[1], 1);
	assert_int_equal((uint32_t)o[4] << 24 | o[5] << 16 | o[6] << 8 | o[7], net->mtu);
	o += 8;
	assert_int_equal(o[0], ND_OPT_PREFIX_INFORMATION);
	assert_int_equal(o[1], 4);
	assert_int_equal(o[2], 64);
	assert_int_equal(o[3], ND_OPT_PI_FLAG_ONLINK);	/* L on, A off: no SLAAC */
	assert_true(o[4] | o[5] | o[6] | o[7]);		/* valid lifetime */
	l2f_a6("fd00:6::", prefix);
	assert_memory_equal(o + 16, prefix, 16);
	assert_icmp6_csum(f);
}

/* A valid solicitation gets the advertisement, unicast to the solicitor
 * (at the MAC of its option), out of its own port only; one from "::"
 * gets it to all-nodes. */
static void test_rs_answered(void **state)
{
	static const uint8_t allnodes_mac[6] = { 0x33, 0x33, 0, 0, 0, 1 };
	uint8_t f[256], ll[16], allnodes[16];

	(void)state;
	net->mtu = 1400;
	router_port_ll6(c1->mac, ll);
	l2f_send(c1, f, rs_frame(f, false, true, 255));
	assert_int_equal(l2f_n_tx, 1);	/* not flooded: c2 hears nothing */
	assert_ptr_equal(l2f_tx[0].port, c1->port);
	assert_ra(l2f_tx[0].data, c1->mac, ll);
	assert_int_equal(net->ra6.sent, 1);
	assert_int_equal(net->mld->st.rs_to_gateway, 1);
	/* without a source link-layer option: to the frame's source MAC */
	l2f_send(c1, f, rs_frame(f, false, false, 255));
	assert_int_equal(l2f_n_tx, 2);
	assert_ra(l2f_tx[1].data, c1->mac, ll);
	/* from "::" (no address yet): to all-nodes, still only on c1's port */
	l2f_a6("ff02::1", allnodes);
	l2f_send(c1, f, rs_frame(f, true, false, 255));
	assert_int_equal(l2f_n_tx, 3);
	assert_ptr_equal(l2f_tx[2].port, c1->port);
	assert_ra(l2f_tx[2].data, allnodes_mac, allnodes);
	assert_int_equal(net->ra6.sent, 3);
	/* unicast to the gateway's MAC and link-local address: answered too */
	l2f_send(c1, f, rs_frame_to(f, net->gw_mac, gwll, false, true, 255));
	assert_int_equal(l2f_n_tx, 4);
	assert_ra(l2f_tx[3].data, c1->mac, ll);
	assert_int_equal(net->mld->st.rs_to_gateway, 3);	/* unicast: not snooping's */
	assert_int_equal(c1->port->stats.drops[DROP_BAD_L4], 0);
}

/* RFC 4861 6.1.1: a solicitation with a hop limit other than 255 (it
 * crossed a router), a bad checksum, a non-zero code, or from "::" with a
 * source link-layer option is dropped as bad_l4, unanswered. */
static void test_rs_invalid(void **state)
{
	uint8_t f[256];
	uint32_t len;

	(void)state;
	l2f_send(c1, f, rs_frame(f, false, true, 64));
	assert_int_equal(c1->port->stats.drops[DROP_BAD_L4], 1);
	len = rs_frame(f, false, true, 255);
	f[58] ^= 0x10;			/* the reserved word: checksum fails */
	l2f_send(c1, f, len);
	assert_int_equal(c1->port->stats.drops[DROP_BAD_L4], 2);
	len = rs_frame(f, false, false, 255);
	f[55] = 1;			/* code 1 */
	l2f_send(c1, f, len);
	assert_int_equal(c1->port->stats.drops[DROP_BAD_L4], 3);
	l2f_send(c1, f, rs_frame(f, true, true, 255));
	assert_int_equal(c1->port->stats.drops[DROP_BAD_L4], 4);
	assert_int_equal(l2f_n_tx, 0);
	assert_int_equal(net->ra6.sent, 0);
}

/* To all-nodes at most one per MIN_DELAY_BETWEEN_RAS (3 s); unicast a
 * burst, then the network's bucket runs dry: the rest are counted, not
 * answered, not dropped. */
static void test_rs_rate_limited(void **state)
{
	uint8_t f[256];
	unsigned int i;

	(void)state;
	l2f_send(c1, f, rs_frame(f, true, false, 255));
	l2f_send(c1, f, rs_frame(f, true, false, 255));
	assert_int_equal(l2f_n_tx, 1);
	assert_int_equal(net->ra6.rate_limited, 1);
	for (i = 0; i < 20; i++)
		l2f_send(c1, f, rs_frame(f, false, true, 255));
	assert_true(net->ra6.sent >= 1 + 8 && net->ra6.sent < 1 + 20);
	assert_int_equal(net->ra6.sent + net->ra6.rate_limited, 22);
	assert_int_equal(l2f_n_tx, net->ra6.sent);
	assert_int_equal(c1->port->stats.drops[DROP_BAD_L4], 0);
}

/* Without --ipv6 the network has no IPv6 router: a solicitation is not
 * answered (mld_snoop absorbs it, or hands it to the ports without port
 * security). */
static void test_rs_not_ipv6(void **state)
{
	uint8_t f[256];

	(void)state;
	net->ipv6 = false;
	l2f_send(c1, f, rs_frame(f, false, true, 255));
	assert_int_equal(l2f_n_tx, 0);
	assert_int_equal(net->ra6.sent, 0);
	assert_int_equal(net->mld->st.rs_absorbed, 1);
	assert_int_equal(net->mld->st.rs_to_gateway, 0);
}

/* The unsolicited advertisement (RFC 4861 6.2.4) goes to every port to
 * all-nodes, and counts for the 3 s limit of those to all-nodes; a
 * network without --ipv6 sends none. */
static void test_unsolicited_ra(void **state)
{
	static const uint8_t allnodes_mac[6] = { 0x33, 0x33, 0, 0, 0, 1 };
	uint8_t f[256], allnodes[16];

	(void)state;
	net->mtu = 1500;
	l2f_a6("ff02::1", allnodes);
	gateway_advertise(net);
	assert_int_equal(l2f_n_tx, 2);
	assert_ra(sent_on(c1->port)->data, allnodes_mac, allnodes);
	assert_ra(sent_on(c2->port)->data, allnodes_mac, allnodes);
	assert_int_equal(net->ra6.sent, 1);
	/* a solicitation from "::" right after: within MIN_DELAY_BETWEEN_RAS */
	l2f_send(c1, f, rs_frame(f, true, false, 255));
	assert_int_equal(l2f_n_tx, 2);
	assert_int_equal(net->ra6.rate_limited, 1);
	net->ipv6 = false;
	gateway_advertise(net);
	assert_int_equal(l2f_n_tx, 2);
	assert_int_equal(net->ra6.sent, 1);
}

/* ---- isolation and packet too big ---- */

/* Another --ipv6 network's subnet is no route, as IPv4's: the sender is
 * told, the other network's container hears nothing, the uplink is not
 * asked even when there is one. */
static void test_other_network_no_route(void **state)
{
	struct network *nb;
	struct endpoint *b1;
	uint8_t f[256], m[64];

	(void)state;
	nb = l2f_network("g6b", "172.19.0.0", 16, "172.19.0.1");
	b1 = l2f_endpoint(nb, "b1", "172.19.0.2");
	nb->ipv6 = true;
	assert_int_equal(vs_prefix_parse("fd00:7::/64", &nb->subnet6, true, NULL, 0), 0);
	l2f_a6("fd00:7::1", nb->gateway6.b);
	l2f_a6("fd00:7::2", b1->ip6.b);
	l2f_dp.net_gen++;		/* subnets changed: the route table again */
	l2f_uplink_present = true;
	l2f_send(c1, f, echo6(f, m, b1->ip6.b));
	assert_int_equal(c1->port->stats.drops[DROP_NO_ROUTE], 1);
	assert_int_equal(l2f_uplink6_calls, 0);
	assert_int_equal(l2f_n_tx, 1);
	assert_ptr_equal(l2f_tx[0].port, c1->port);
	assert_int_equal(l2f_tx[0].data[54], ICMP6_DST_UNREACH);
	assert_int_equal(l2f_tx[0].data[55], ICMP6_DST_UNREACH_NOROUTE);
	assert_int_equal(b1->port->stats.tx_packets, 0);
	/* its gateway's address, too: not a way across */
	l2f_send(c1, f, echo6(f, m, nb->gateway6.b));
	assert_int_equal(c1->port->stats.drops[DROP_NO_ROUTE], 2);
	assert_int_equal(b1->port->stats.tx_packets, 0);
	/* an address outside every subnet does go to the uplink */
	l2f_a6("2001:db8::1", m + 32);
	l2f_send(c1, f, echo6(f, m, m + 32));
	assert_int_equal(l2f_uplink6_calls, 1);
}

/* A TCP segment from c1 to DST, PAYLOAD bytes; its frame's length. */
static uint32_t tcp6_frame(uint8_t *f, const uint8_t *dst, uint32_t payload)
{
	uint32_t plen = 20 + payload;

	memcpy(f, net->gw_mac, 6);
	memcpy(f + 6, c1->mac, 6);
	f[12] = 0x86;
	f[13] = 0xdd;
	memset(f + 14, 0, 40 + plen);
	f[14] = 0x60;
	f[18] = (uint8_t)(plen >> 8);
	f[19] = (uint8_t)plen;
	f[20] = IPPROTO_TCP;
	f[21] = 64;
	memcpy(f + 22, c1->ip6.b, 16);
	memcpy(f + 38, dst, 16);
	f[54] = 0x9c;			/* ports 40000 -> 80 */
	f[55] = 0x40;
	f[57] = 80;
	f[66] = 5 << 4;			/* data offset: 20 bytes */
	f[67] = 0x18;			/* PSH ACK */
	return 54 + plen;
}

/* Routed towards the uplink's smaller MTU: packet too big with that MTU,
 * quoting the packet as it arrived (hop limit untouched), up to the
 * 1280-byte minimum; a GSO frame judged by the segments it will be cut
 * into, not its own length. */
static void test_packet_too_big(void **state)
{
	static uint8_t f[4200];
	struct pkt_batch b;
	const uint8_t *r;
	uint8_t far[16];
	uint32_t len;

	(void)state;
	l2f_a6("2001:db8::80", far);
	l2f_uplink_present = true;
	l2f_uplink_mtu = 1280;
	len = tcp6_frame(f, far, 1300);		/* 1360 bytes of IPv6 */
	l2f_send(c1, f, len);
	assert_int_equal(c1->port->stats.drops[DROP_FRAG_NEEDED], 1);
	assert_int_equal(l2f_uplink6_calls, 0);
	r = icmp6_error_to_c1(ICMP6_PACKET_TOO_BIG, 0);
	assert_int_equal((uint32_t)r[58] << 24 | r[59] << 16 | r[60] << 8 | r[61], 1280);
	assert_int_equal(14 + 40 + (r[18] << 8 | r[19]), 14 + 1280);	/* 1280 at most */
	assert_memory_equal(r + 62, f + 14, 1280 - 48);	/* as it arrived */
	assert_int_equal(r[62 + 7], 64);
	assert_icmp6_csum(r);

	/* a GSO frame of 3000 bytes whose segments (1300 + 60) do not fit */
	len = tcp6_frame(f, far, 3000);
	b.count = 1;
	l2f_frame(&b.pkts[0], 0, f, len);
	b.pkts[0].flags |= PKT_F_GSO;
	b.pkts[0].vnet.gso_type = VIRTIO_NET_HDR_GSO_TCPV6;
	b.pkts[0].vnet.gso_size = 1300;
	ingress_run(c1->port, &b);
	assert_int_equal(c1->port->stats.drops[DROP_FRAG_NEEDED], 2);
	assert_int_equal(l2f_n_tx, 2);
	assert_int_equal(l2f_tx[1].data[54], ICMP6_PACKET_TOO_BIG);
	assert_int_equal(l2f_uplink6_calls, 0);
	/* ... and the same frame cut into segments of 1220 + 60: routed */
	l2f_frame(&b.pkts[0], 0, f, len);
	b.pkts[0].flags |= PKT_F_GSO;
	b.pkts[0].vnet.gso_type = VIRTIO_NET_HDR_GSO_TCPV6;
	b.pkts[0].vnet.gso_size = 1220;
	ingress_run(c1->port, &b);
	assert_int_equal(l2f_uplink6_calls, 1);
	assert_int_equal(c1->port->stats.drops[DROP_FRAG_NEEDED], 2);
	assert_int_equal(l2f_n_tx, 2);
	/* a plain packet that fits exactly: routed */
	l2f_send(c1, f, tcp6_frame(f, far, 1220));
	assert_int_equal(l2f_uplink6_calls, 2);
	assert_int_equal(l2f_n_tx, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ns_answered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dad_probe_answered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ns_malformed_or_not_ours, setup, teardown),
		cmocka_unit_test_setup_teardown(test_echo, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_routed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rs_answered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rs_invalid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rs_rate_limited, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rs_not_ipv6, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unsolicited_ra, setup, teardown),
		cmocka_unit_test_setup_teardown(test_other_network_no_route, setup, teardown),
		cmocka_unit_test_setup_teardown(test_packet_too_big, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
