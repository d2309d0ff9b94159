/* test_nat.c - NAT on crafted frames: SNAT with port preservation and
 * endpoint-independent mapping, port allocation under collisions, DNAT of
 * published ports, hairpin, ICMP error translation (RFC 5508), fragments,
 * and every rewritten checksum against a full recomputation. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <cmocka.h>
#include "csum.h"
#include "nat.h"
#include "pipeline.h"
#include "publish.h"
#include "uplink.h"
#include "dp.h"

/* The tables under test: instances, as the datapath context holds them. */
static struct conntrack test_ct;
static struct nat test_nat = { .model = &g_model };
static struct dp test_dp = { .model = &g_model, .ct = &test_ct, .nat = &test_nat };

#define UPLINK "198.51.100.1"
#define C1 "172.18.0.2"
#define C2 "172.18.0.3"
#define WEB "203.0.113.10"

/* IP header 4-aligned, as NET_IP_ALIGN gives real frames */
static uint8_t frame_store[2048 + 2] __attribute__((aligned(8)));
#define frame (frame_store + 2)
static struct pkt pk;
static struct network net1, net2;
static uint32_t z1, z2;

static uint32_t ip4(const char *s)
{
	struct in_addr a;

	inet_pton(AF_INET, s, &a);
	return a.s_addr;
}

/* build() - Ethernet + IPv4 + L4 with correct checksums; PAYLOAD bytes. */
static struct pkt *build(uint8_t proto, const char *src, const char *dst,
			 uint16_t sport, uint16_t dport, int tcpflags, size_t payload)
{
	struct iphdr *ip = (void *)(frame + 14);
	uint8_t *l4 = frame + 34;
	size_t l4len;
	size_t i;

	memset(frame, 0, 2048);
	frame[12] = 0x08;
	l4len = (proto == IPPROTO_TCP ? 20 : 8) + payload;
	for (i = 0; i < payload; i++)
		l4[l4len - payload + i] = (uint8_t)(i * 7 + 1);
	ip->version = 4;
	ip->ihl = 5;
	ip->ttl = 63;
	ip->protocol = proto;
	ip->tot_len = htons((uint16_t)(20 + l4len));
	ip->id = htons(0x1234);
	ip->saddr = ip4(src);
	ip->daddr = ip4(dst);
	ip->check = csum(ip, 20);
	if (proto == IPPROTO_TCP) {
		struct tcphdr *th = (void *)l4;

		th->source = htons(sport);
		th->dest = htons(dport);
		th->doff = 5;
		th->syn = !!(tcpflags & 1);
		th->ack = !!(tcpflags & 2);
		th->check = csum_fold(csum_partial(l4, l4len,
			csum_pseudo4(ip->saddr, ip->daddr, proto, (uint16_t)l4len)));
	} else if (proto == IPPROTO_UDP) {
		struct udphdr *uh = (void *)l4;

		uh->source = htons(sport);
		uh->dest = htons(dport);
		uh->len = htons((uint16_t)l4len);
		uh->check = csum_fold(csum_partial(l4, l4len,
			csum_pseudo4(ip->saddr, ip->daddr, proto, (uint16_t)l4len)));
	} else {
		struct icmphdr *ih = (void *)l4;

		ih->type = (uint8_t)tcpflags;
		ih->un.echo.id = htons(sport);
		ih->un.echo.sequence = htons(1);
		ih->checksum = csum(l4, l4len);
	}
	memset(&pk, 0, sizeof(pk));
	pk.data = frame;
	pk.len = (uint32_t)(34 + l4len);
	pk.l3_ofs = 14;
	pk.l4_ofs = 34;
	pk.eth_type = 0x0800;
	pk.ip_proto = proto;
	return &pk;
}

/* Every checksum in the frame verifies (sums to zero). */
static void assert_csums_ok(const struct pkt *p)
{
	struct iphdr *ip = pkt_l3(p);
	uint16_t l4len = (uint16_t)(ntohs(ip->tot_len) - ip->ihl * 4);
	uint16_t v;

	assert_int_equal(csum(ip, ip->ihl * 4), 0);
	if (ip->protocol == IPPROTO_ICMP)
		v = csum(pkt_l4(p), l4len);
	else
		v = csum_fold(csum_partial(pkt_l4(p), l4len,
			csum_pseudo4(ip->saddr, ip->daddr, ip->protocol, l4len)));
	assert_int_equal(v, 0);
}

static struct iphdr *iph(void) { return (void *)(frame + 14); }
static uint16_t *ports(void) { return (void *)(frame + 34); }

static int setup(void **state)
{
	(void)state;
	ct_set_test_clock(&test_ct, 1000000);
	assert_int_equal(ct_init(&test_ct, NULL, 1000), 0);
	nat_init(&test_nat, &test_ct);
	nat_ext_add(&test_nat, ip4(UPLINK));
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

static void test_nat_zones(void **state)
{
	(void)state;
	assert_int_not_equal(z1, CT_ZONE_OUTSIDE);
	assert_int_not_equal(z1, z2);
	assert_int_equal(nat_zone_of(&test_nat, &net1), z1);
	assert_string_equal(nat_zone_name(&test_nat, z2), "n2");
}

static void test_nat_snat_tcp_roundtrip(void **state)
{
	uint32_t out;

	(void)state;
	build(IPPROTO_TCP, C1, WEB, 40000, 80, 1, 11);
	assert_int_equal(nat_process(&test_nat, &pk, z1, &out), DROP_NONE);
	assert_int_equal(out, CT_ZONE_OUTSIDE);
	assert_int_equal(iph()->saddr, ip4(UPLINK));
	assert_int_equal(iph()->daddr, ip4(WEB));
	assert_int_equal(ntohs(ports()[0]), 40000);       /* preserved */
	assert_csums_ok(&pk);

	build(IPPROTO_TCP, WEB, UPLINK, 80, 40000, 3, 5);   /* SYN+ACK */
	assert_int_equal(nat_process(&test_nat, &pk, CT_ZONE_OUTSIDE, &out), DROP_NONE);
	assert_int_equal(out, z1);
	assert_int_equal(iph()->daddr, ip4(C1));
	assert_int_equal(ntohs(ports()[1]), 40000);
	assert_csums_ok(&pk);
}

static void test_nat_udp_zero_csum_stays(void **state)
{
	uint32_t out;

	(void)state;
	build(IPPROTO_UDP, C1, WEB, 5000, 53, 0, 3);
	((struct udphdr *)(frame + 34))->check = 0;
	assert_int_equal(nat_process(&test_nat, &pk, z1, &out), DROP_NONE);
	assert_int_equal(((struct udphdr *)(frame + 34))->check, 0);
	assert_int_equal(csum(iph(), 20), 0);
}

static void test_nat_port_collision_and_eim(void **state)
{
	uint32_t out;
	uint16_t p2, p3;

	(void)state;
	build(IPPROTO_UDP, C1, WEB, 5000, 53, 0, 4);
	assert_int_equal(nat_process(&test_nat, &pk, z1, &out), DROP_NONE);
	assert_int_equal(ntohs(ports()[0]), 5000);
	/* another container, same source port: must get another port */
	build(IPPROTO_UDP, C2, WEB, 5000, 53, 0, 4);
	assert_int_equal(nat_process(&test_nat, &pk, z1, &out), DROP_NONE);
	p2 = ntohs(ports()[0]);
	assert_int_not_equal(p2, 5000);
	assert_true(p2 >= 1024);
	assert_csums_ok(&pk);
	/* same container in another network, same IP and port: also distinct */
	build(IPPROTO_UDP, C2, WEB, 5000, 53, 0, 4);
	assert_int_equal(nat_process(&test_nat, &pk, z2, &out), DROP_NONE);
	p3 = ntohs(ports()[0]);
	assert_int_not_equal(p3, 5000);
	assert_int_not_equal(p3, p2);
	/* endpoint-independent: C2:5000 to another host keeps its port */
	build(IPPROTO_UDP, C2, "203.0.113.99", 5000, 123, 0, 4);
	assert_int_equal(nat_process(&test_nat, &pk, z1, &out), DROP_NONE);
	assert_int_equal(ntohs(ports()[0]), p2);
}

static void test_nat_avoids_published_ports(void **state)
{
	static struct nat_rule r = { .proto = IPPROTO_TCP, .host_port = 8080,
				     .cport = 80, .count = 1 };
	char err[128];
	uint32_t out;

	(void)state;
	r.fixed_zone = z2;
	r.fixed_ip = vs_addr_v4(ip4(C2));
	assert_int_equal(nat_rule_add(&test_nat, &r, err, sizeof(err)), 0);
	assert_int_equal(nat_rule_add(&test_nat, &r, err, sizeof(err)), -1);
	build(IPPROTO_TCP, C1, WEB, 8080, 80, 1, 0);
	assert_int_equal(nat_process(&test_nat, &pk, z1, &out), DROP_NONE);
	assert_int_not_equal(ntohs(ports()[0]), 8080);
	assert_int_equal(nat_rule_del(&test_nat, IPPROTO_TCP, 8080), 0);
}

static void test_nat_allocation_exhausted(void **state)
{
	uint16_t ext;
	union vs_addr src;
	uint32_t i;

	(void)state;
	/* take every ICMP id but one; the next two sources get it, then none */
	for (i = 0; i < 65535; i++) {
		src = vs_addr_v4(i + 1);
		assert_non_null(nat_mapping_get(&test_nat, 0, z1, IPPROTO_ICMP, &src,
						htons((uint16_t)i), true, &ext));
	}
	src = vs_addr_v4(9);
	assert_non_null(nat_mapping_get(&test_nat, 0, z1, IPPROTO_ICMP, &src, htons(1), true, &ext));
	assert_int_equal(ntohs(ext), 65535);
	src = vs_addr_v4(10);
	assert_null(nat_mapping_get(&test_nat, 0, z1, IPPROTO_ICMP, &src, htons(1), true, &ext));
	assert_int_equal(nat_get_stats(&test_nat)->no_port, 1);
}

static void test_nat_dnat_and_hairpin(void **state)
{
	static struct nat_rule r = { .proto = IPPROTO_TCP, .host_port = 8000,
				     .cport = 80, .count = 11 };
	char err[128];
	uint32_t out;

	(void)state;
	r.fixed_zone = z2;
	r.fixed_ip = vs_addr_v4(ip4(C2));
	assert_int_equal(nat_rule_add(&test_nat, &r, err, sizeof(err)), 0);
	/* outside -> uplink:8005 -> C2:85, client address kept */
	build(IPPROTO_TCP, WEB, UPLINK, 33000, 8005, 1, 0);
	assert_int_equal(nat_process(&test_nat, &pk, CT_ZONE_OUTSIDE, &out), DROP_NONE);
	assert_int_equal(out, z2);
	assert_int_equal(iph()->saddr, ip4(WEB));
	assert_int_equal(iph()->daddr, ip4(C2));
	assert_int_equal(ntohs(ports()[1]), 85);
	assert_csums_ok(&pk);
	build(IPPROTO_TCP, C2, WEB, 85, 33000, 3, 0);
	assert_int_equal(nat_process(&test_nat, &pk, z2, &out), DROP_NONE);
	assert_int_equal(out, CT_ZONE_OUTSIDE);
	assert_int_equal(iph()->saddr, ip4(UPLINK));
	assert_int_equal(ntohs(ports()[0]), 8005);
	assert_csums_ok(&pk);

	/* hairpin: C1 (n1) -> uplink:8000 reaches C2:80 from the uplink IP */
	build(IPPROTO_TCP, C1, UPLINK, 41000, 8000, 1, 0);
	assert_int_equal(nat_process(&test_nat, &pk, z1, &out), DROP_NONE);
	assert_int_equal(out, z2);
	assert_int_equal(iph()->saddr, ip4(UPLINK));
	assert_int_equal(iph()->daddr, ip4(C2));
	assert_int_equal(ntohs(ports()[1]), 80);
	uint16_t ext = ntohs(ports()[0]);
	assert_csums_ok(&pk);
	build(IPPROTO_TCP, C2, UPLINK, 80, ext, 3, 0);
	assert_int_equal(nat_process(&test_nat, &pk, z2, &out), DROP_NONE);
	assert_int_equal(out, z1);
	assert_int_equal(iph()->saddr, ip4(UPLINK));
	assert_int_equal(iph()->daddr, ip4(C1));
	assert_int_equal(ntohs(ports()[0]), 8000);
	assert_int_equal(ntohs(ports()[1]), 41000);
	assert_csums_ok(&pk);

	/* unpublished port on the uplink IP: not ours */
	build(IPPROTO_TCP, WEB, UPLINK, 33000, 9999, 1, 0);
	assert_int_equal(nat_process(&test_nat, &pk, CT_ZONE_OUTSIDE, &out), DROP_NOT_FOR_US);
	nat_rule_del(&test_nat, IPPROTO_TCP, 8000);
}

static void test_nat_icmp_echo(void **state)
{
	uint32_t out;

	(void)state;
	build(IPPROTO_ICMP, C1, WEB, 77, 77, ICMP_ECHO, 8);
	assert_int_equal(nat_process(&test_nat, &pk, z1, &out), DROP_NONE);
	assert_int_equal(iph()->saddr, ip4(UPLINK));
	assert_csums_ok(&pk);
	uint16_t id = ntohs(ports()[2]);
	build(IPPROTO_ICMP, WEB, UPLINK, id, id, ICMP_ECHOREPLY, 8);
	assert_int_equal(nat_process(&test_nat, &pk, CT_ZONE_OUTSIDE, &out), DROP_NONE);
	assert_int_equal(out, z1);
	assert_int_equal(iph()->daddr, ip4(C1));
	assert_int_equal(ntohs(ports()[2]), 77);
	assert_csums_ok(&pk);
}

/* An ICMP error from ROUTER quoting the current frame (as sent). */
static void build_icmp_error(const char *router, uint8_t type, uint8_t code)
{
	uint8_t quote[28];
	struct iphdr *ip = iph();
	struct icmphdr *ih;

	memcpy(quote, frame + 14, 28);
	memset(frame + 34, 0, 8 + 28);
	memcpy(frame + 42, quote, 28);
	ih = (void *)(frame + 34);
	ih->type = type;
	ih->code = code;
	ih->checksum = csum(ih, 36);
	ip->protocol = IPPROTO_ICMP;
	ip->saddr = ip4(router);
	ip->daddr = ((struct iphdr *)quote)->saddr;
	ip->tot_len = htons(20 + 36);
	ip->check = 0;
	ip->check = csum(ip, 20);
	pk.len = 14 + 20 + 36;
}

static void test_nat_icmp_error_translated(void **state)
{
	struct iphdr *in = (void *)(frame + 42);
	struct udphdr *uh = (void *)(frame + 62);
	uint32_t out;

	(void)state;
	/* make C1:5000 appear as another port outside */
	build(IPPROTO_UDP, C2, WEB, 5000, 9, 0, 0);
	assert_int_equal(nat_process(&test_nat, &pk, z1, &out), DROP_NONE);
	build(IPPROTO_UDP, C1, WEB, 5000, 9, 0, 0);
	assert_int_equal(nat_process(&test_nat, &pk, z1, &out), DROP_NONE);
	uint16_t ext = ntohs(ports()[0]);
	assert_int_not_equal(ext, 5000);
	/* the web host answers port unreachable */
	build_icmp_error(WEB, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH);
	assert_int_equal(nat_process(&test_nat, &pk, CT_ZONE_OUTSIDE, &out), DROP_NONE);
	assert_int_equal(out, z1);
	assert_int_equal(iph()->saddr, ip4(WEB));
	assert_int_equal(iph()->daddr, ip4(C1));
	assert_int_equal(in->saddr, ip4(C1));
	assert_int_equal(in->daddr, ip4(WEB));
	assert_int_equal(ntohs(uh->source), 5000);
	assert_int_equal(csum(iph(), 20), 0);
	assert_int_equal(csum(in, 20), 0);
	assert_int_equal(csum(frame + 34, 36), 0);

	/* a router on the path keeps its own address (time exceeded) */
	build(IPPROTO_UDP, C1, WEB, 5000, 9, 0, 0);
	assert_int_equal(nat_process(&test_nat, &pk, z1, &out), DROP_NONE);
	build_icmp_error("192.0.2.254", ICMP_TIME_EXCEEDED, 0);
	assert_int_equal(nat_process(&test_nat, &pk, CT_ZONE_OUTSIDE, &out), DROP_NONE);
	assert_int_equal(iph()->saddr, ip4("192.0.2.254"));
	assert_int_equal(iph()->daddr, ip4(C1));

	/* an error quoting an unknown flow is dropped */
	build(IPPROTO_UDP, UPLINK, WEB, 6000, 9, 0, 0);
	build_icmp_error(WEB, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH);
	assert_int_equal(nat_process(&test_nat, &pk, CT_ZONE_OUTSIDE, &out), DROP_CT_INVALID);
	/* and one too short to quote a tuple */
	build(IPPROTO_UDP, C1, WEB, 5000, 9, 0, 0);
	build_icmp_error(WEB, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH);
	pk.len = 14 + 20 + 8 + 20 + 2;
	assert_int_equal(nat_process(&test_nat, &pk, CT_ZONE_OUTSIDE, &out), DROP_BAD_L4);
}

static void test_nat_fragments(void **state)
{
	uint32_t out;

	(void)state;
	build(IPPROTO_UDP, C1, WEB, 7000, 9, 0, 100);
	iph()->frag_off = htons(IP_MF);
	iph()->check = 0;
	iph()->check = csum(iph(), 20);
	assert_int_equal(nat_process(&test_nat, &pk, z1, &out), DROP_NONE);
	/* second fragment: no ports, same id */
	build(IPPROTO_UDP, C1, WEB, 0, 0, 0, 100);
	iph()->frag_off = htons(14);      /* offset 112 bytes */
	iph()->check = 0;
	iph()->check = csum(iph(), 20);
	pk.l4_ofs = PKT_OFS_NONE;
	assert_int_equal(nat_process(&test_nat, &pk, z1, &out), DROP_NONE);
	assert_int_equal(out, CT_ZONE_OUTSIDE);
	assert_int_equal(iph()->saddr, ip4(UPLINK));
	assert_int_equal(csum(iph(), 20), 0);
	/* a fragment of an unknown datagram */
	iph()->id = htons(0x4321);
	iph()->saddr = ip4(C1);
	assert_int_equal(nat_process(&test_nat, &pk, z1, &out), DROP_CT_INVALID);
}

static void test_nat_conntrack_line(void **state)
{
	char line[512];
	struct ct_key k;
	struct ct_entry *e;
	uint32_t out;

	(void)state;
	build(IPPROTO_TCP, C1, "198.51.100.10", 40000, 80, 1, 0);
	assert_int_equal(nat_process(&test_nat, &pk, z1, &out), DROP_NONE);
	build(IPPROTO_TCP, "198.51.100.10", UPLINK, 80, 40000, 3, 0);
	assert_int_equal(nat_process(&test_nat, &pk, CT_ZONE_OUTSIDE, &out), DROP_NONE);
	build(IPPROTO_TCP, C1, "198.51.100.10", 40000, 80, 2, 0);
	assert_int_equal(nat_process(&test_nat, &pk, z1, &out), DROP_NONE);
	ct_set_test_clock(&test_ct, 1000000 + 500);
	nat_key_from_ip4(&k, z1, IPPROTO_TCP, ip4(C1), ip4("198.51.100.10"),
			 htons(40000), htons(80));
	e = ct_lookup(&test_ct, &k, NULL);
	assert_non_null(e);
	ct_ctl_line(&test_dp, e, line, sizeof(line));
	assert_string_equal(line, "tcp      6 431999 ESTABLISHED src=172.18.0.2 "
		"dst=198.51.100.10 sport=40000 dport=80 src=198.51.100.10 "
		"dst=198.51.100.1 sport=80 dport=40000 [ASSURED] zone=n1");
	/* an unreplied UDP flow */
	build(IPPROTO_UDP, C1, WEB, 5000, 53, 0, 0);
	assert_int_equal(nat_process(&test_nat, &pk, z1, &out), DROP_NONE);
	nat_key_from_ip4(&k, z1, IPPROTO_UDP, ip4(C1), ip4(WEB), htons(5000), htons(53));
	ct_ctl_line(&test_dp, ct_lookup(&test_ct, &k, NULL), line, sizeof(line));
	assert_string_equal(line, "udp      17 120 src=172.18.0.2 dst=203.0.113.10 "
		"sport=5000 dport=53 [UNREPLIED] src=203.0.113.10 dst=198.51.100.1 "
		"sport=53 dport=5000 zone=n1");
}

/* A dry-run frame (vsctl trace) goes through nat_process() and changes
 * nothing but itself; nat_plan() is what the real first packet commits. */
static void test_nat_plan_changes_nothing(void **state)
{
	struct nat_plan plan;
	struct ct_entry *e;
	struct ct_key k;
	uint32_t out;

	(void)state;
	build(IPPROTO_TCP, C1, WEB, 40000, 80, 1, 0);
	nat_key_from_ip4(&k, z1, IPPROTO_TCP, ip4(C1), ip4(WEB), htons(40000), htons(80));
	assert_int_equal(nat_plan(&test_nat, &k, pkt_l4(&pk), pk.len - pk.l4_ofs, &plan), DROP_NONE);
	assert_int_equal(plan.kind, NAT_PLAN_SNAT);
	assert_int_equal(ntohs(plan.ext), 40000);	/* port preserved */
	assert_true(plan.ext_shared);
	assert_false(nat_port_in_snat_use(&test_nat, IPPROTO_TCP, 40000));

	pk.flags |= PKT_F_DRYRUN;
	assert_int_equal(nat_process(&test_nat, &pk, z1, &out), DROP_NONE);
	assert_int_equal(out, CT_ZONE_OUTSIDE);
	assert_int_equal(iph()->saddr, ip4(UPLINK));	/* the frame shows it */
	assert_csums_ok(&pk);
	assert_int_equal(ct_get_stats(&test_ct)->entries, 0);
	assert_int_equal(nat_get_stats(&test_nat)->snat_new, 0);
	assert_false(nat_port_in_snat_use(&test_nat, IPPROTO_TCP, 40000));

	build(IPPROTO_TCP, C1, WEB, 40000, 80, 1, 0);
	assert_int_equal(nat_process(&test_nat, &pk, z1, &out), DROP_NONE);
	e = ct_lookup(&test_ct, &k, NULL);
	assert_non_null(e);
	assert_memory_equal(&e->n[CT_DIR_REPLY].key, &plan.reply, sizeof(plan.reply));
	assert_int_equal(nat_get_stats(&test_nat)->snat_new, 1);
}

/* The hairpin's plan is the entry made; a port published on 127.0.0.1 is
 * refused from a network and from the outside alike (dry or real), and
 * reached through the host leg only. */
static void test_nat_plan_matches_commit(void **state)
{
	static struct nat_rule any = { .proto = IPPROTO_TCP, .host_port = 8080,
				       .cport = 80, .count = 1 };
	static struct nat_rule lo = { .proto = IPPROTO_TCP, .host_port = 8081,
				      .cport = 80, .count = 1 };
	struct nat_plan plan;
	struct ct_key k;
	char err[128];
	uint32_t out;

	(void)state;
	any.fixed_zone = lo.fixed_zone = z2;
	any.fixed_ip = lo.fixed_ip = vs_addr_v4(ip4(C2));
	lo.host_ip = vs_addr_v4(ip4("127.0.0.1"));
	nat_set_host_ip(&test_nat, ip4("169.254.169.2"));
	assert_int_equal(nat_rule_add(&test_nat, &any, err, sizeof(err)), 0);
	assert_int_equal(nat_rule_add(&test_nat, &lo, err, sizeof(err)), 0);

	build(IPPROTO_TCP, C1, UPLINK, 41000, 8080, 1, 0);
	nat_key_from_ip4(&k, z1, IPPROTO_TCP, ip4(C1), ip4(UPLINK), htons(41000), htons(8080));
	assert_int_equal(nat_plan(&test_nat, &k, pkt_l4(&pk), pk.len - pk.l4_ofs, &plan), DROP_NONE);
	assert_int_equal(plan.kind, NAT_PLAN_HAIRPIN);
	assert_int_equal(plan.zone, z1);
	assert_int_equal(nat_process(&test_nat, &pk, z1, &out), DROP_NONE);
	assert_int_equal(out, z2);
	assert_memory_equal(&ct_lookup(&test_ct, &k, NULL)->n[CT_DIR_REPLY].key, &plan.reply,
			    sizeof(plan.reply));
	assert_int_equal(nat_get_stats(&test_nat)->hairpin_new, 1);

	/* 127.0.0.1 only: from a network through the uplink IP, refused */
	build(IPPROTO_TCP, C1, UPLINK, 41001, 8081, 1, 0);
	nat_key_from_ip4(&k, z1, IPPROTO_TCP, ip4(C1), ip4(UPLINK), htons(41001), htons(8081));
	assert_int_equal(nat_plan(&test_nat, &k, pkt_l4(&pk), pk.len - pk.l4_ofs, &plan), DROP_NOT_FOR_US);
	pk.flags |= PKT_F_DRYRUN;
	assert_int_equal(nat_process(&test_nat, &pk, z1, &out), DROP_NOT_FOR_US);
	build(IPPROTO_TCP, C1, UPLINK, 41001, 8081, 1, 0);
	assert_int_equal(nat_process(&test_nat, &pk, z1, &out), DROP_NOT_FOR_US);
	/* ... from the outside through the uplink IP, refused */
	build(IPPROTO_TCP, WEB, UPLINK, 33000, 8081, 1, 0);
	pk.flags |= PKT_F_DRYRUN;
	assert_int_equal(nat_process(&test_nat, &pk, CT_ZONE_OUTSIDE, &out), DROP_NOT_FOR_US);
	build(IPPROTO_TCP, WEB, UPLINK, 33000, 8081, 1, 0);
	assert_int_equal(nat_process(&test_nat, &pk, CT_ZONE_OUTSIDE, &out), DROP_NOT_FOR_US);
	/* ... through the host leg (the proxy), DNAT */
	build(IPPROTO_TCP, "169.254.169.1", "169.254.169.2", 33000, 8081, 1, 0);
	nat_key_from_ip4(&k, CT_ZONE_OUTSIDE, IPPROTO_TCP, ip4("169.254.169.1"),
			 ip4("169.254.169.2"), htons(33000), htons(8081));
	assert_int_equal(nat_plan(&test_nat, &k, pkt_l4(&pk), pk.len - pk.l4_ofs, &plan), DROP_NONE);
	assert_int_equal(plan.kind, NAT_PLAN_DNAT);
	assert_int_equal(nat_process(&test_nat, &pk, CT_ZONE_OUTSIDE, &out), DROP_NONE);
	assert_int_equal(out, z2);
	assert_int_equal(ct_get_stats(&test_ct)->entries, 2);
	nat_rule_del(&test_nat, IPPROTO_TCP, 8080);
	nat_rule_del(&test_nat, IPPROTO_TCP, 8081);
}

static void test_publish_parse_spec(void **state)
{
	static const struct {
		const char *spec;
		int ok;
		uint8_t proto;
		const char *ip;
		uint16_t host_port, cport, count;
	} v[] = {
		{ "80", 0, IPPROTO_TCP, "0.0.0.0", 0, 80, 1 },
		{ "8080:80", 0, IPPROTO_TCP, "0.0.0.0", 8080, 80, 1 },
		{ "127.0.0.1::80", 0, IPPROTO_TCP, "127.0.0.1", 0, 80, 1 },
		{ "127.0.0.1:8080:80", 0, IPPROTO_TCP, "127.0.0.1", 8080, 80, 1 },
		{ "53/udp", 0, IPPROTO_UDP, "0.0.0.0", 0, 53, 1 },
		{ "5353:53/tcp", 0, IPPROTO_TCP, "0.0.0.0", 5353, 53, 1 },
		{ "8000-8010:8000-8010", 0, IPPROTO_TCP, "0.0.0.0", 8000, 8000, 11 },
		{ "9000-9002:80-82/udp", 0, IPPROTO_UDP, "0.0.0.0", 9000, 80, 3 },
		{ "", -1, 0, NULL, 0, 0, 0 },
		{ "0", -1, 0, NULL, 0, 0, 0 },
		{ "65536", -1, 0, NULL, 0, 0, 0 },
		{ "80/sctp", -1, 0, NULL, 0, 0, 0 },
		{ "8000-8010:80", -1, 0, NULL, 0, 0, 0 },
		{ "8010-8000:80-90", -1, 0, NULL, 0, 0, 0 },
		{ "1.2.3.4:1:2:3", -1, 0, NULL, 0, 0, 0 },
		{ "300.1.1.1:80:80", -1, 0, NULL, 0, 0, 0 },
		{ "-80", -1, 0, NULL, 0, 0, 0 },
		{ "80x", -1, 0, NULL, 0, 0, 0 },
		{ ":80", 0, IPPROTO_TCP, "0.0.0.0", 0, 80, 1 },
	};
	struct published pp;
	char err[256];
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
		assert_int_equal(pp.proto, v[i].proto);
		assert_true(vs_addr_eq_v4(&pp.host_ip, ip4(v[i].ip)));
		assert_int_equal(pp.host_port, v[i].host_port);
		assert_int_equal(pp.cport, v[i].cport);
		assert_int_equal(pp.count, v[i].count);
	}
}

/* The datapath context starts conntrack and NAT itself (dp_init), so with
 * no uplink at all zones, published ports and tracked connections work,
 * in tables of their own beside the fixture's; a routed packet finds no
 * uplink to leave by. */
static void test_dp_nat_without_uplink(void **state)
{
	struct nat_rule rule = { .proto = IPPROTO_TCP, .host_port = 9090, .cport = 80,
				 .count = 1 };
	struct network n = { .name = "nouplink" };
	struct ct_key k;
	uint32_t zone, out;
	struct dp dp;
	char err[128];

	(void)state;
	assert_int_equal(dp_init(&dp, NULL, &g_model, 100, err, sizeof(err)), 0);
	assert_int_equal(dp.n_uplinks, 0);
	n.dp = &dp;
	assert_false(uplink_present(&n, ip4(WEB)));
	assert_null(dp_uplink_for(&dp, ip4(WEB)));
	zone = nat_zone_of(dp.nat, &n);
	assert_int_not_equal(zone, CT_ZONE_OUTSIDE);
	assert_string_equal(nat_zone_name(dp.nat, zone), "nouplink");
	assert_int_equal(nat_rule_add(dp.nat, &rule, err, sizeof(err)), 0);
	assert_true(nat_port_published(dp.nat, IPPROTO_TCP, 9090));
	assert_false(nat_port_published(&test_nat, IPPROTO_TCP, 9090));
	ct_set_test_clock(dp.ct, 1000);
	build(IPPROTO_TCP, C1, WEB, 40000, 80, 1, 0);
	assert_int_equal(nat_process(dp.nat, &pk, zone, &out), DROP_NONE);
	assert_int_equal(out, CT_ZONE_OUTSIDE);
	assert_int_equal(ct_get_stats(dp.ct)->entries, 1);
	assert_int_equal(ct_get_stats(&test_ct)->entries, 0);
	nat_key_from_ip4(&k, zone, IPPROTO_TCP, ip4(C1), ip4(WEB), htons(40000), htons(80));
	assert_non_null(ct_lookup(dp.ct, &k, NULL));
	assert_int_equal(ct_flush(dp.ct, NULL, NULL), 1);
	assert_int_equal(nat_rule_del(dp.nat, IPPROTO_TCP, 9090), 0);
	dp_fini(&dp);
	assert_null(dp.ct);
	assert_null(dp.nat);
}

/* One source cannot take a space: it may hold no more ports than are
 * still free (so about half), a fixed share caps it sooner, the refusal
 * is counted apart from exhaustion, and another source still gets ports;
 * ports come back when the mappings go (audit finding 7). */
static void test_nat_port_share(void **state)
{
	union vs_addr a = vs_addr_v4(ip4(C1)), b = vs_addr_v4(ip4(C2));
	static struct nat_mapping *m[40000];
	uint32_t i, got = 0, out;
	uint16_t ext;

	(void)state;
	for (i = 0; i < 40000; i++) {
		m[i] = nat_mapping_get(&test_nat, 0, z1, IPPROTO_UDP, &a, htons((uint16_t)(2000 + i)),
				       true, &ext);
		got += m[i] != NULL;
	}
	/* held <= free: stops where the two meet, half of 64512 */
	assert_in_range(got, 32255, 32257);
	assert_int_equal(nat_get_stats(&test_nat)->share_denied, 40000 - got);
	assert_int_equal(nat_get_stats(&test_nat)->no_port, 0);
	assert_non_null(nat_mapping_get(&test_nat, 0, z1, IPPROTO_UDP, &b, htons(2000), true, &ext));
	assert_int_not_equal(ntohs(ext), 2000);     /* C1 holds it */
	/* the same source in another network is another source */
	assert_non_null(nat_mapping_get(&test_nat, 0, z2, IPPROTO_UDP, &a, htons(2000), true, &ext));
	/* its existing mapping it keeps (EIM needs no new port) */
	assert_non_null(nat_mapping_get(&test_nat, 0, z1, IPPROTO_UDP, &a, htons(2000), true, &ext));
	assert_int_equal(ntohs(ext), 2000);
	nat_mapping_put(&test_nat, m[0]);
	for (i = 0; i < 40000; i++)
		nat_mapping_put(&test_nat, m[i]);
	assert_false(nat_port_in_snat_use(&test_nat, IPPROTO_UDP, 2001));
	/* a fixed share: the 17th port is refused, through the datapath too */
	nat_set_port_share(&test_nat, 16);
	for (i = 0; i < 16; i++) {
		build(IPPROTO_UDP, C1, WEB, (uint16_t)(3000 + i), 53, 0, 1);
		assert_int_equal(nat_process(&test_nat, &pk, z1, &out), DROP_NONE);
	}
	build(IPPROTO_UDP, C1, WEB, 3100, 53, 0, 1);
	assert_int_equal(nat_process(&test_nat, &pk, z1, &out), DROP_NAT_PORT_SHARE);
	assert_int_equal(nat_get_stats(&test_nat)->share_denied, 40000 - got + 1);
	build(IPPROTO_UDP, C2, WEB, 3100, 53, 0, 1);
	assert_int_equal(nat_process(&test_nat, &pk, z1, &out), DROP_NONE);
	nat_set_port_share(&test_nat, 0);
}

/* A full space answers at once: the free-port search looks at words and
 * a summary of full words, never port by port, and finds the one port
 * left wherever it is, from any start. */
static void test_nat_port_search_full(void **state)
{
	union vs_addr src;
	uint16_t ext;
	uint32_t i;

	(void)state;
	for (i = 0; i < 65536; i++) {
		src = vs_addr_v4(i + 1);
		if (i == 777)
			continue;
		assert_non_null(nat_mapping_get(&test_nat, 0, z1, IPPROTO_ICMP, &src,
						htons((uint16_t)i), false, &ext));
		assert_int_equal(ntohs(ext), i);      /* preserved */
	}
	/* the one left, found from a hashed start anywhere */
	src = vs_addr_v4(ip4("10.9.9.9"));
	assert_non_null(nat_mapping_get(&test_nat, 0, z1, IPPROTO_ICMP, &src, htons(5), false, &ext));
	assert_int_equal(ntohs(ext), 777);
	assert_null(nat_mapping_get(&test_nat, 0, z1, IPPROTO_ICMP, &src, htons(6), false, &ext));
	assert_int_equal(nat_get_stats(&test_nat)->no_port, 1);
}

/* Two uplinks: each address has its own port space, SNAT takes the
 * address the route chose, and a published port answers on both,
 * replying from the address it was reached at. */
static void test_nat_two_external_addresses(void **state)
{
	static struct nat_rule r = { .proto = IPPROTO_TCP, .host_port = 8080,
				     .cport = 80, .count = 1 };
	const char *up2 = "192.0.2.1";
	char err[128];
	uint32_t out;
	int x2;

	(void)state;
	x2 = nat_ext_add(&test_nat, ip4(up2));
	assert_int_equal(x2, 1);
	assert_int_equal(nat_ext_add(&test_nat, ip4(up2)), 1);
	build(IPPROTO_TCP, C1, WEB, 40000, 80, 1, 0);
	assert_int_equal(nat_process_via(&test_nat, &pk, z1, 0, &out), DROP_NONE);
	assert_int_equal(iph()->saddr, ip4(UPLINK));
	assert_int_equal(ntohs(ports()[0]), 40000);
	/* another source, same port, other uplink: preserved there too */
	build(IPPROTO_TCP, C2, WEB, 40000, 80, 1, 0);
	assert_int_equal(nat_process_via(&test_nat, &pk, z1, x2, &out), DROP_NONE);
	assert_int_equal(iph()->saddr, ip4(up2));
	assert_int_equal(ntohs(ports()[0]), 40000);
	/* the reply finds its connection by the second address */
	build(IPPROTO_TCP, WEB, up2, 80, 40000, 3, 0);
	assert_int_equal(nat_process_via(&test_nat, &pk, CT_ZONE_OUTSIDE, x2, &out), DROP_NONE);
	assert_int_equal(iph()->daddr, ip4(C2));
	/* published on 0.0.0.0: DNAT on either address */
	r.fixed_zone = z2;
	r.fixed_ip = vs_addr_v4(ip4(C2));
	assert_int_equal(nat_rule_add(&test_nat, &r, err, sizeof(err)), 0);
	build(IPPROTO_TCP, "203.0.113.7", up2, 5555, 8080, 1, 0);
	assert_int_equal(nat_process_via(&test_nat, &pk, CT_ZONE_OUTSIDE, 0, &out), DROP_NONE);
	assert_int_equal(out, z2);
	build(IPPROTO_TCP, C2, "203.0.113.7", 80, 5555, 3, 0);
	assert_int_equal(nat_process_via(&test_nat, &pk, z2, 0, &out), DROP_NONE);
	assert_int_equal(iph()->saddr, ip4(up2));   /* from where it was reached */
	/* hairpin to the second address: SNAT'd to it, not to the first */
	build(IPPROTO_TCP, C1, up2, 41000, 8080, 1, 0);
	assert_int_equal(nat_process_via(&test_nat, &pk, z1, 0, &out), DROP_NONE);
	assert_int_equal(iph()->saddr, ip4(up2));
	/* a port published on one address only is not on the other */
	nat_rule_del(&test_nat, IPPROTO_TCP, 8080);
	r.host_ip = vs_addr_v4(ip4(UPLINK));
	assert_int_equal(nat_rule_add(&test_nat, &r, err, sizeof(err)), 0);
	build(IPPROTO_TCP, "203.0.113.8", up2, 5555, 8080, 1, 0);
	assert_int_equal(nat_process_via(&test_nat, &pk, CT_ZONE_OUTSIDE, x2, &out), DROP_NOT_FOR_US);
	build(IPPROTO_TCP, "203.0.113.8", UPLINK, 5555, 8080, 1, 0);
	assert_int_equal(nat_process_via(&test_nat, &pk, CT_ZONE_OUTSIDE, 0, &out), DROP_NONE);
	nat_rule_del(&test_nat, IPPROTO_TCP, 8080);
	vs_addr_set_v4(&r.host_ip, 0);
}

/* A removed network's zone is freed with its connections and reused:
 * thousands of short-lived networks never run the table out (audit
 * finding 12). */
static void test_nat_zone_release(void **state)
{
	struct network n = { .name = "" };
	uint32_t zone, out, i, first = 0;

	(void)state;
	for (i = 0; i < 3 * NAT_MAX_ZONES; i++) {
		snprintf(n.name, sizeof(n.name), "tmp%u", i);
		zone = nat_zone_of(&test_nat, &n);
		assert_int_not_equal(zone, CT_ZONE_OUTSIDE);
		if (!i)
			first = zone;
		build(IPPROTO_UDP, C1, WEB, 5000, 53, 0, 1);
		assert_int_equal(nat_process(&test_nat, &pk, zone, &out), DROP_NONE);
		assert_int_equal(ct_get_stats(&test_ct)->entries, 1);
		nat_zone_release(&test_nat, n.name);
		assert_int_equal(ct_get_stats(&test_ct)->entries, 0);
		assert_string_equal(nat_zone_name(&test_nat, zone), "?");
	}
	assert_int_equal(nat_get_stats(&test_nat)->zones_freed, 3 * NAT_MAX_ZONES);
	/* the numbers are reused, the live networks keep theirs */
	snprintf(n.name, sizeof(n.name), "again");
	assert_int_equal(nat_zone_of(&test_nat, &n), first);
	assert_int_equal(nat_zone_of(&test_nat, &net1), z1);
	assert_false(nat_port_in_snat_use(&test_nat, IPPROTO_UDP, 5000));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_nat_zones, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nat_snat_tcp_roundtrip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nat_udp_zero_csum_stays, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nat_port_collision_and_eim, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nat_avoids_published_ports, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nat_allocation_exhausted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nat_dnat_and_hairpin, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nat_icmp_echo, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nat_icmp_error_translated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nat_fragments, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nat_conntrack_line, setup, teardown),
		cmocka_unit_test(test_publish_parse_spec),
		cmocka_unit_test_setup_teardown(test_nat_plan_changes_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nat_plan_matches_commit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dp_nat_without_uplink, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nat_port_share, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nat_port_search_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nat_two_external_addresses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nat_zone_release, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
