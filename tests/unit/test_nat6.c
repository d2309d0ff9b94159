/* test_nat6.c - IPv6 in parse.c, conntrack and NAT66 on crafted frames.
 *
 * parse.c's walk of extension headers (offsets, fragments, what it leaves
 * absent); IPv6 conntrack keys (family, hash, the reply tuple found); and
 * NAT66 through nat_process_via(): SNAT to the uplink's IPv6 address with
 * port preservation, replies, ICMPv6 echo, ICMPv6 errors translated with
 * their quote, DNAT and hairpin of a published port, fragments by their
 * fragment header, and bad input refused with its reason.  Every
 * rewritten checksum is checked against a full recomputation over the
 * IPv6 pseudo-header (ICMPv6's included: unlike ICMP's, it covers it).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/icmp6.h>
#include <netinet/ip6.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <cmocka.h>
#include "csum.h"
#include "nat.h"
#include "publish.h"

static struct conntrack test_ct;
static struct nat test_nat = { .model = &g_model };

#define UPLINK4 "198.51.100.1"
#define UP6 "2001:db8:100::1"
#define C1 "fd00:71::2"
#define C2 "fd00:71::3"
#define WEB6 "2001:db8:200::10"
#define ROUTER6 "2001:db8:100::fe"

static uint8_t frame_store[2048 + 2] __attribute__((aligned(8)));
#define frame (frame_store + 2)
static struct pkt pk;
static struct network net1, net2;
static uint32_t z1, z2;
static int x6;                    /* the IPv6 external address's index */

static union vs_addr a6(const char *s)
{
	union vs_addr a;

	assert_int_equal(inet_pton(AF_INET6, s, &a), 1);
	return a;
}

static struct ip6_hdr *ip6h(void) { return (void *)(frame + 14); }

/* l4_csum6() - The L4 checksum of FRAME's IPv6 packet, LEN bytes at L4,
 * as a receiver sums it (0: correct). */
static uint16_t l4_csum6(const uint8_t *l4, uint32_t len, uint8_t nh)
{
	return csum_fold(csum_partial(l4, len, csum_pseudo6(ip6h()->ip6_src.s6_addr,
							    ip6h()->ip6_dst.s6_addr, nh, len)));
}

/**
 * build6() - Ethernet, IPv6, EXT bytes of extension headers (as given),
 * an L4 header and PAYLOAD bytes, checksums right, parsed by pkt_parse()
 * @l4proto:	TCP, UDP or ICMPv6 (TYPE in @flags then)
 * @ext:	extension headers, first next-header in ext_nh; NULL for none
 */
static struct pkt *build6x(uint8_t l4proto, const char *src, const char *dst, uint16_t sport,
			   uint16_t dport, int flags, size_t payload, uint8_t ext_nh,
			   const uint8_t *ext, size_t ext_len)
{
	struct ip6_hdr *ip6 = ip6h();
	uint8_t *l4 = frame + 14 + 40 + ext_len;
	size_t l4len = (l4proto == IPPROTO_TCP ? 20 : 8) + payload, i;
	union vs_addr s = a6(src), d = a6(dst);

	memset(frame, 0, 2048);
	frame[12] = 0x86;
	frame[13] = 0xdd;
	ip6->ip6_vfc = 0x60;
	ip6->ip6_plen = htons((uint16_t)(ext_len + l4len));
	ip6->ip6_nxt = ext ? ext_nh : l4proto;
	ip6->ip6_hlim = 64;
	memcpy(&ip6->ip6_src, &s, 16);
	memcpy(&ip6->ip6_dst, &d, 16);
	if (ext)
		memcpy(frame + 54, ext, ext_len);
	for (i = 0; i < payload; i++)
		l4[l4len - payload + i] = (uint8_t)(i * 7 + 1);
	if (l4proto == IPPROTO_TCP) {
		struct tcphdr *th = (void *)l4;

		th->source = htons(sport);
		th->dest = htons(dport);
		th->doff = 5;
		th->syn = !!(flags & 1);
		th->ack = !!(flags & 2);
		th->check = l4_csum6(l4, (uint32_t)l4len, IPPROTO_TCP);
	} else if (l4proto == IPPROTO_UDP) {
		struct udphdr *uh = (void *)l4;

		uh->source = htons(sport);
		uh->dest = htons(dport);
		uh->len = htons((uint16_t)l4len);
		uh->check = l4_csum6(l4, (uint32_t)l4len, IPPROTO_UDP);
	} else {
		struct icmp6_hdr *ih = (void *)l4;

		ih->icmp6_type = (uint8_t)flags;
		ih->icmp6_id = htons(sport);
		ih->icmp6_seq = htons(1);
		ih->icmp6_cksum = l4_csum6(l4, (uint32_t)l4len, IPPROTO_ICMPV6);
	}
	memset(&pk, 0, sizeof(pk));
	pk.data = frame;
	pk.len = (uint32_t)(54 + ext_len + l4len);
	assert_int_equal(pkt_parse(&pk), 0);
	return &pk;
}

static struct pkt *build6(uint8_t l4proto, const char *src, const char *dst, uint16_t sport,
			  uint16_t dport, int flags, size_t payload)
{
	return build6x(l4proto, src, dst, sport, dport, flags, payload, 0, NULL, 0);
}

/* The frame's L4 checksum verifies. */
static void assert_csum6_ok(void)
{
	uint32_t len = pk.len - pk.l4_ofs;

	assert_int_not_equal(pk.l4_ofs, PKT_OFS_NONE);
	assert_int_equal(l4_csum6(frame + pk.l4_ofs, len, pk.ip_proto), 0);
}

static void assert_addr(const struct in6_addr *got, const char *want)
{
	union vs_addr w = a6(want);

	assert_memory_equal(got, &w, 16);
}

static uint16_t *ports(void) { return (void *)(frame + pk.l4_ofs); }

static int setup(void **state)
{
	union vs_addr up6 = a6(UP6);

	(void)state;
	ct_set_test_clock(&test_ct, 1000000);
	assert_int_equal(ct_init(&test_ct, NULL, 1000), 0);
	nat_init(&test_nat, &test_ct);
	assert_int_equal(nat_ext_add(&test_nat, inet_addr(UPLINK4)), 0);
	x6 = nat_ext_add_addr(&test_nat, &up6);
	assert_int_equal(x6, 1);
	strcpy(net1.name, "n1");
	strcpy(net2.name, "n2");
	z1 = nat_zone_of(&test_nat, &net1);
	z2 = nat_zone_of(&test_nat, &net2);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	ct_fini(&test_ct);
	nat_fini(&test_nat);
	return 0;
}

static void test_parse_ext_headers(void **state)
{
	/* hop-by-hop (8 bytes) then destination options (16) then UDP */
	uint8_t ext[24] = { IPPROTO_DSTOPTS, 0, 1, 4, [8] = IPPROTO_UDP, 1, 1, 12 };
	uint8_t frag[8] = { IPPROTO_UDP, 0, 0, 1, 0, 0, 0, 42 };   /* offset 0, M */

	(void)state;
	build6x(IPPROTO_UDP, C1, WEB6, 5000, 53, 0, 10, IPPROTO_HOPOPTS, ext, sizeof(ext));
	assert_int_equal(pk.l3_ofs, 14);
	assert_int_equal(pk.l4_ofs, 14 + 40 + 24);
	assert_int_equal(pk.ip_proto, IPPROTO_UDP);
	assert_false(pk.is_frag);
	/* a first fragment: its L4 header is there, it is a fragment */
	build6x(IPPROTO_UDP, C1, WEB6, 5000, 53, 0, 10, IPPROTO_FRAGMENT, frag, sizeof(frag));
	assert_int_equal(pk.l4_ofs, 14 + 48);
	assert_true(pk.is_frag);
	/* a later one: no upper-layer header, the protocol still known */
	frame[54 + 3] = 0x51;       /* offset 10 (x8), M */
	assert_int_equal(pkt_parse(&pk), 0);
	assert_true(pk.is_frag);
	assert_int_equal(pk.l4_ofs, PKT_OFS_NONE);
	assert_int_equal(pk.ip_proto, IPPROTO_UDP);
	/* a chain that runs past the payload, or ESP: left absent, not dropped */
	build6x(IPPROTO_UDP, C1, WEB6, 5000, 53, 0, 10, IPPROTO_HOPOPTS, ext, sizeof(ext));
	frame[54 + 1] = 20;         /* hop-by-hop of 168 bytes */
	assert_int_equal(pkt_parse(&pk), 0);
	assert_int_equal(pk.l4_ofs, PKT_OFS_NONE);
	ip6h()->ip6_nxt = IPPROTO_ESP;
	assert_int_equal(pkt_parse(&pk), 0);
	assert_int_equal(pk.l4_ofs, PKT_OFS_NONE);
	/* truncated TCP: the header is not there */
	build6(IPPROTO_TCP, C1, WEB6, 40000, 80, 1, 0);
	ip6h()->ip6_plen = htons(12);
	pk.len = 54 + 12;
	assert_int_equal(pkt_parse(&pk), 0);
	assert_int_equal(pk.l4_ofs, PKT_OFS_NONE);
	/* Ethernet padding after the payload is trimmed */
	build6(IPPROTO_UDP, C1, WEB6, 1, 2, 0, 0);
	pk.len += 6;
	assert_int_equal(pkt_parse(&pk), 0);
	assert_int_equal(pk.len, 54 + 8);
}

static void test_ct_key6(void **state)
{
	union vs_addr s = a6(C1), d = a6(WEB6), d2 = a6(ROUTER6);
	struct ct_key k, k2, inv;

	(void)state;
	nat_key_make(&k, z1, IPPROTO_TCP, &s, &d, htons(40000), htons(80));
	assert_int_equal(k.family, AF_INET6);
	assert_int_equal(k.pad, 0);
	nat_key_make(&k2, z1, IPPROTO_TCP, &s, &d2, htons(40000), htons(80));
	/* the whole address is hashed: only the destination differs */
	assert_int_not_equal(ct_key_hash(&test_ct, &k), ct_key_hash(&test_ct, &k2));
	ct_key_invert(&k, &inv);
	assert_memory_equal(&inv.src, &d, 16);
	assert_int_equal(inv.sport, htons(80));
	assert_non_null(ct_l4(IPPROTO_ICMPV6));
	assert_int_equal(ct_l4(IPPROTO_ICMPV6)->proto, IPPROTO_ICMPV6);
}

static void test_nat66_tcp_roundtrip(void **state)
{
	struct ct_entry *e;
	struct ct_key k;
	enum ct_dir dir;
	uint32_t out;

	(void)state;
	build6(IPPROTO_TCP, C1, WEB6, 40000, 80, 1, 0);
	assert_int_equal(nat_process_via(&test_nat, &pk, z1, x6, &out), DROP_NONE);
	assert_int_equal(out, CT_ZONE_OUTSIDE);
	assert_addr(&ip6h()->ip6_src, UP6);
	assert_addr(&ip6h()->ip6_dst, WEB6);
	assert_int_equal(ntohs(ports()[0]), 40000);      /* preserved */
	assert_csum6_ok();
	/* the entry: an IPv6 tuple each way */
	{
		union vs_addr s = a6(C1), d = a6(WEB6);

		nat_key_make(&k, z1, IPPROTO_TCP, &s, &d, htons(40000), htons(80));
	}
	e = ct_lookup(&test_ct, &k, &dir);
	assert_non_null(e);
	assert_int_equal(e->n[CT_DIR_REPLY].key.family, AF_INET6);
	assert_true(e->flags & CT_F_SNAT);
	/* the answer, with a payload, comes back to C1 */
	build6(IPPROTO_TCP, WEB6, UP6, 80, 40000, 3, 100);
	assert_int_equal(nat_process_via(&test_nat, &pk, CT_ZONE_OUTSIDE, x6, &out), DROP_NONE);
	assert_int_equal(out, z1);
	assert_addr(&ip6h()->ip6_dst, C1);
	assert_addr(&ip6h()->ip6_src, WEB6);
	assert_csum6_ok();
	/* a stray ACK from the outside to another port opens nothing */
	build6(IPPROTO_TCP, WEB6, UP6, 80, 40001, 2, 0);
	assert_int_not_equal(nat_process_via(&test_nat, &pk, CT_ZONE_OUTSIDE, x6, &out), DROP_NONE);
}

static void test_nat66_needs_v6_address(void **state)
{
	uint32_t out;

	(void)state;
	/* routed by an uplink without IPv6 (its IPv4 external address) */
	build6(IPPROTO_UDP, C1, WEB6, 5000, 53, 0, 4);
	assert_int_equal(nat_process_via(&test_nat, &pk, z1, 0, &out), DROP_NO_ROUTE);
}

static void test_nat66_udp_and_echo(void **state)
{
	struct icmp6_hdr *ih;
	uint16_t ext_id;
	uint32_t out;

	(void)state;
	build6(IPPROTO_UDP, C1, WEB6, 5353, 53, 0, 33);
	assert_int_equal(nat_process_via(&test_nat, &pk, z1, x6, &out), DROP_NONE);
	assert_csum6_ok();
	build6(IPPROTO_UDP, WEB6, UP6, 53, 5353, 0, 200);
	assert_int_equal(nat_process_via(&test_nat, &pk, CT_ZONE_OUTSIDE, x6, &out), DROP_NONE);
	assert_addr(&ip6h()->ip6_dst, C1);
	assert_csum6_ok();
	/* echo: the id is the port; the checksum covers the pseudo-header */
	build6(IPPROTO_ICMPV6, C1, WEB6, 77, 77, ICMP6_ECHO_REQUEST, 56);
	assert_int_equal(nat_process_via(&test_nat, &pk, z1, x6, &out), DROP_NONE);
	assert_addr(&ip6h()->ip6_src, UP6);
	assert_csum6_ok();
	ih = (void *)(frame + pk.l4_ofs);
	ext_id = ntohs(ih->icmp6_id);
	build6(IPPROTO_ICMPV6, WEB6, UP6, ext_id, ext_id, ICMP6_ECHO_REPLY, 56);
	assert_int_equal(nat_process_via(&test_nat, &pk, CT_ZONE_OUTSIDE, x6, &out), DROP_NONE);
	assert_int_equal(out, z1);
	assert_addr(&ip6h()->ip6_dst, C1);
	assert_int_equal(ntohs(((struct icmp6_hdr *)(frame + pk.l4_ofs))->icmp6_id), 77);
	assert_csum6_ok();
	/* an echo reply nobody asked for opens nothing */
	build6(IPPROTO_ICMPV6, WEB6, UP6, 999, 999, ICMP6_ECHO_REPLY, 8);
	assert_int_not_equal(nat_process_via(&test_nat, &pk, CT_ZONE_OUTSIDE, x6, &out),
			     DROP_NONE);
}

/* err6() - An ICMPv6 error from FROM to TO quoting the packet now in the
 * frame (as it left), built in place of it. */
static void err6(const char *from, const char *to, uint8_t type, size_t quote)
{
	uint8_t q[256];
	struct icmp6_hdr *ih;
	uint32_t l4len = (uint32_t)(8 + quote);

	memcpy(q, frame + 14, quote);
	build6(IPPROTO_ICMPV6, from, to, 0, 0, type, quote);
	ih = (void *)(frame + pk.l4_ofs);
	memset(ih, 0, 8);
	ih->icmp6_type = type;
	memcpy(frame + pk.l4_ofs + 8, q, quote);
	ih->icmp6_cksum = l4_csum6((uint8_t *)ih, l4len, IPPROTO_ICMPV6);
}

static void test_nat66_icmp6_error(void **state)
{
	struct ip6_hdr in;
	uint32_t out;

	(void)state;
	build6(IPPROTO_UDP, C1, WEB6, 6000, 9999, 0, 20);
	assert_int_equal(nat_process_via(&test_nat, &pk, z1, x6, &out), DROP_NONE);
	/* a router on the way says: unreachable (quoting 40 + 28 bytes) */
	err6(ROUTER6, UP6, ICMP6_DST_UNREACH, 40 + 28);
	assert_int_equal(nat_process_via(&test_nat, &pk, CT_ZONE_OUTSIDE, x6, &out), DROP_NONE);
	assert_int_equal(out, z1);
	assert_addr(&ip6h()->ip6_dst, C1);
	assert_addr(&ip6h()->ip6_src, ROUTER6);     /* the router stays visible */
	assert_csum6_ok();
	memcpy(&in, frame + pk.l4_ofs + 8, sizeof(in));
	assert_addr(&in.ip6_src, C1);                /* the quote as C1 sent it */
	assert_addr(&in.ip6_dst, WEB6);
	/* and the quoted UDP checksum is C1's again */
	assert_int_equal(csum_fold(csum_partial(frame + pk.l4_ofs + 48, 28,
			 csum_pseudo6(in.ip6_src.s6_addr, in.ip6_dst.s6_addr, IPPROTO_UDP, 28))), 0);
	assert_int_equal(nat_get_stats(&test_nat)->icmp_err_xlated, 1);
	/* an error about nothing we track: refused, opens nothing */
	build6(IPPROTO_UDP, UP6, WEB6, 6001, 9999, 0, 20);
	err6(ROUTER6, UP6, ICMP6_DST_UNREACH, 40 + 28);
	assert_int_equal(nat_process_via(&test_nat, &pk, CT_ZONE_OUTSIDE, x6, &out),
			 DROP_CT_INVALID);
	/* one too short to quote a tuple */
	build6(IPPROTO_UDP, UP6, WEB6, 6000, 9999, 0, 20);
	err6(ROUTER6, UP6, ICMP6_TIME_EXCEEDED, 40);
	assert_int_equal(nat_process_via(&test_nat, &pk, CT_ZONE_OUTSIDE, x6, &out),
			 DROP_BAD_L4);
}

static void test_nat66_dnat_and_hairpin(void **state)
{
	static struct nat_rule r = { .proto = IPPROTO_TCP, .host_port = 8080,
				     .cport = 80, .count = 1 };
	char err[128];
	uint32_t out;

	(void)state;
	r.fixed_zone = z2;
	r.fixed_ip = a6(C2);
	vs_addr_set_v4(&r.host_ip, 0);      /* 0.0.0.0: every uplink address */
	assert_int_equal(nat_rule_add(&test_nat, &r, err, sizeof(err)), 0);
	/* outside -> [UP6]:8080 -> [C2]:80, the client's address kept */
	build6(IPPROTO_TCP, WEB6, UP6, 33000, 8080, 1, 0);
	assert_int_equal(nat_process_via(&test_nat, &pk, CT_ZONE_OUTSIDE, x6, &out), DROP_NONE);
	assert_int_equal(out, z2);
	assert_addr(&ip6h()->ip6_src, WEB6);
	assert_addr(&ip6h()->ip6_dst, C2);
	assert_int_equal(ntohs(ports()[1]), 80);
	assert_csum6_ok();
	build6(IPPROTO_TCP, C2, WEB6, 80, 33000, 3, 0);
	assert_int_equal(nat_process_via(&test_nat, &pk, z2, x6, &out), DROP_NONE);
	assert_int_equal(out, CT_ZONE_OUTSIDE);
	assert_addr(&ip6h()->ip6_src, UP6);
	assert_int_equal(ntohs(ports()[0]), 8080);
	assert_csum6_ok();
	/* hairpin: C1 -> [UP6]:8080 reaches C2 from UP6 */
	build6(IPPROTO_TCP, C1, UP6, 41000, 8080, 1, 0);
	assert_int_equal(nat_process_via(&test_nat, &pk, z1, x6, &out), DROP_NONE);
	assert_int_equal(out, z2);
	assert_addr(&ip6h()->ip6_src, UP6);
	assert_addr(&ip6h()->ip6_dst, C2);
	assert_csum6_ok();
	assert_int_equal(nat_get_stats(&test_nat)->hairpin_new, 1);
	/* an unpublished port on UP6 is not ours to open */
	build6(IPPROTO_TCP, WEB6, UP6, 33000, 8081, 1, 0);
	assert_int_equal(nat_process_via(&test_nat, &pk, CT_ZONE_OUTSIDE, x6, &out),
			 DROP_NOT_FOR_US);
}

static void test_nat66_fragments(void **state)
{
	uint8_t frag[8] = { IPPROTO_UDP, 0, 0, 1, 0xde, 0xad, 0xbe, 0xef };
	uint32_t out;

	(void)state;
	build6x(IPPROTO_UDP, C1, WEB6, 7000, 53, 0, 64, IPPROTO_FRAGMENT, frag, sizeof(frag));
	assert_int_equal(nat_process_via(&test_nat, &pk, z1, x6, &out), DROP_NONE);
	assert_addr(&ip6h()->ip6_src, UP6);
	/* a later fragment of it: same rewrite, no L4 header to read */
	build6x(IPPROTO_UDP, C1, WEB6, 7000, 53, 0, 64, IPPROTO_FRAGMENT, frag, sizeof(frag));
	frame[54 + 3] = 0x50;       /* offset 10, last */
	assert_int_equal(pkt_parse(&pk), 0);
	assert_int_equal(nat_process_via(&test_nat, &pk, z1, x6, &out), DROP_NONE);
	assert_int_equal(out, CT_ZONE_OUTSIDE);
	assert_addr(&ip6h()->ip6_src, UP6);
	/* a later fragment of a datagram never seen: refused */
	frame[54 + 7] = 0xf0;
	memcpy(&ip6h()->ip6_src, &(union vs_addr){ .b = { 0xfd, 0, 0, 0x71, [15] = 2 } }, 16);
	assert_int_equal(nat_process_via(&test_nat, &pk, z1, x6, &out), DROP_CT_INVALID);
}

static void test_nat66_bad_input(void **state)
{
	uint32_t out;

	(void)state;
	/* truncated TCP: parse.c left no L4 header */
	build6(IPPROTO_TCP, C1, WEB6, 40000, 80, 1, 0);
	ip6h()->ip6_plen = htons(12);
	pk.len = 54 + 12;
	assert_int_equal(pkt_parse(&pk), 0);
	assert_int_equal(nat_process_via(&test_nat, &pk, z1, x6, &out), DROP_BAD_L4);
	/* neighbour discovery is not NAT's */
	build6(IPPROTO_ICMPV6, C1, WEB6, 0, 0, ND_ROUTER_SOLICIT, 0);
	assert_int_equal(nat_process_via(&test_nat, &pk, z1, x6, &out), DROP_UNSUPPORTED);
	/* nor is a protocol without ports */
	build6(IPPROTO_UDP, C1, WEB6, 1, 2, 0, 0);
	ip6h()->ip6_nxt = 132;       /* SCTP */
	assert_int_equal(pkt_parse(&pk), 0);
	assert_int_equal(nat_process_via(&test_nat, &pk, z1, x6, &out), DROP_UNSUPPORTED);
	assert_int_equal(ct_get_stats(&test_ct)->entries, 0);
}

static void test_publish_spec6(void **state)
{
	static const struct {
		const char *spec;
		int ok;
		const char *ip;
		uint16_t host_port, cport;
	} v[] = {
		{ "[::]:8080:80", 0, "::", 8080, 80 },
		{ "[::1]:8080:80/udp", 0, "::1", 8080, 80 },
		{ "[::1]::80", 0, "::1", 0, 80 },
		{ "[2001:db8:100::1]:443:8443", 0, "2001:db8:100::1", 443, 8443 },
		{ "[::]:80", -1, NULL, 0, 0 },
		{ "[::]8080:80", -1, NULL, 0, 0 },
		{ "[]:8080:80", -1, NULL, 0, 0 },
		{ "[::1:8080:80", -1, NULL, 0, 0 },
		{ "::1:8080:80", -1, NULL, 0, 0 },
		{ "[1.2.3.4]:8080:80", -1, NULL, 0, 0 },
		{ "[fe80::zz]:8080:80", -1, NULL, 0, 0 },
		{ "8080:[80]", -1, NULL, 0, 0 },
	};
	struct published pp;
	char err[256], a[VS_ADDR_STRLEN];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		int r = publish_parse_spec(v[i].spec, &pp, err, sizeof(err));

		if (r != v[i].ok)
			fail_msg("spec '%s': got %d", v[i].spec, r);
		if (r < 0) {
			assert_non_null(strstr(err, "invalid port spec"));
			continue;
		}
		assert_string_equal(vs_addr_str(&pp.host_ip, a, sizeof(a)), v[i].ip);
		assert_false(vs_addr_is_v4(&pp.host_ip));
		assert_int_equal(pp.host_port, v[i].host_port);
		assert_int_equal(pp.cport, v[i].cport);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_parse_ext_headers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ct_key6, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nat66_tcp_roundtrip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nat66_needs_v6_address, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nat66_udp_and_echo, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nat66_icmp6_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nat66_dnat_and_hairpin, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nat66_fragments, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nat66_bad_input, setup, teardown),
		cmocka_unit_test(test_publish_spec6),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
