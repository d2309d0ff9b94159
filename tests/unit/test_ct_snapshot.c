/* test_ct_snapshot.c - the conntrack snapshot: save and load round trip
 * (SNAT, DNAT, hairpin, UDP, ICMP; zones renumbered by the restart),
 * traffic of a restored connection, NAT ports reserved after load,
 * expiry and clock steps on load, stale entries, the limit, unusable files
 * of every kind, and the lazy timer on a real event loop (and its retry
 * when the write fails).
 *
 * A "restart" is ct_fini()/nat_fini() then ct_init()/nat_init() in the
 * same process, with the model kept (as state.json would bring it back).
 * Connections are made by nat_process() on crafted frames, so the entries
 * are exactly the datapath's.  Each test has its own mkdtemp() directory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <ev.h>
#include <zlib.h>
#include <cmocka.h>
#include "ct_snapshot.h"
#include "dp.h"
#include "nat.h"

/* The tables under test, held as the datapath context holds them. */
static struct conntrack test_ct;
static struct nat test_nat = { .model = &g_model };
static struct dp test_dp = { .model = &g_model, .ct = &test_ct, .nat = &test_nat };
static struct ct_snapshot test_snap = { .dp = &test_dp };

#define UPLINK "198.51.100.1"
#define C1 "10.77.0.2"
#define C2 "10.88.0.2"
#define WEB "203.0.113.10"
#define WALL0 1700000000000ull
#define SYN 1
#define SYNACK 3
#define ACK 2

static char tdir[64];
static uint8_t frame_store[2048 + 2] __attribute__((aligned(8)));
#define frame (frame_store + 2)
static struct pkt pk;
static struct network *n1, *n2;
static struct nat_rule rule_8080 = { .proto = IPPROTO_TCP, .host_port = 8080,
				     .cport = 80, .count = 1 };

static uint32_t ip4(const char *s)
{
	struct in_addr a;

	inet_pton(AF_INET, s, &a);
	return a.s_addr;
}

/* pkt_build() - Ethernet + IPv4 + TCP/UDP/ICMP echo; checksums are not
 * the point here (test_nat.c checks them). */
static struct pkt *pkt_build(uint8_t proto, const char *src, const char *dst,
			     uint16_t sport, uint16_t dport, int flags)
{
	struct iphdr *ip = (void *)(frame + 14);
	uint8_t *l4 = frame + 34;
	uint32_t l4len = proto == IPPROTO_TCP ? 20 : 8;

	memset(frame, 0, 128);
	frame[12] = 0x08;
	ip->version = 4;
	ip->ihl = 5;
	ip->ttl = 64;
	ip->protocol = proto;
	ip->tot_len = htons((uint16_t)(20 + l4len));
	ip->saddr = ip4(src);
	ip->daddr = ip4(dst);
	if (proto == IPPROTO_TCP) {
		struct tcphdr *th = (void *)l4;

		th->source = htons(sport);
		th->dest = htons(dport);
		th->doff = 5;
		th->syn = !!(flags & 1);
		th->ack = !!(flags & 2);
	} else if (proto == IPPROTO_UDP) {
		struct udphdr *uh = (void *)l4;

		uh->source = htons(sport);
		uh->dest = htons(dport);
		uh->len = htons(8);
	} else {
		struct icmphdr *ih = (void *)l4;

		ih->type = (uint8_t)flags;
		ih->un.echo.id = htons(sport);
	}
	memset(&pk, 0, sizeof(pk));
	pk.data = frame;
	pk.len = 34 + l4len;
	pk.l3_ofs = 14;
	pk.l4_ofs = 34;
	pk.eth_type = 0x0800;
	pk.ip_proto = proto;
	return &pk;
}

static struct iphdr *iph(void) { return (void *)(frame + 14); }
static uint16_t port_at(int i) { return ntohs(((uint16_t *)(frame + 34))[i]); }

/* xmit() - One packet through NAT; returns the zone it leaves in. */
static uint32_t xmit(uint8_t proto, const char *src, const char *dst, uint16_t sport,
		     uint16_t dport, int flags, uint32_t zone)
{
	uint32_t out = UINT32_MAX;

	pkt_build(proto, src, dst, sport, dport, flags);
	assert_int_equal(nat_process(&test_nat, &pk, zone, &out), DROP_NONE);
	return out;
}

static struct network *net_add(const char *name, const char *subnet)
{
	struct network *n = calloc(1, sizeof(*n));

	snprintf(n->name, sizeof(n->name), "%s", name);
	vs_addr_set_v4(&n->subnet.addr, ip4(subnet));
	n->subnet.len = 24;
	LIST_INIT(&n->endpoints);
	HASH_ADD_STR(g_model.networks, name, n);
	return n;
}

static struct endpoint *ep_add(struct network *n, const char *ctr, const char *addr)
{
	struct endpoint *ep = calloc(1, sizeof(*ep));
	struct container *c = model_container(ctr);

	if (!c)
		c = model_container_add(ctr, NULL);
	ep->net = n;
	ep->ctr = c;
	vs_addr_set_v4(&ep->ip, ip4(addr));
	model_endpoint_link(ep);
	return ep;
}

/* nat_up() - conntrack and NAT as dp_init() starts them, zones named
 * in the order given (a restart may number them otherwise). */
/* The uplink address nat_up() gives NAT (a test may restart with another). */
static const char *uplink_addr = UPLINK;

static void nat_up(struct network *first, struct network *second, uint32_t limit)
{
	ct_set_test_clock(&test_ct, 5000000);     /* ct_fini() forgot it */
	assert_int_equal(ct_init(&test_ct, NULL, limit), 0);
	nat_init(&test_nat, &test_ct);
	nat_ext_add(&test_nat, ip4(uplink_addr));
	nat_zone_of(&test_nat, first);
	nat_zone_of(&test_nat, second);
	rule_8080.fixed_zone = nat_zone_of(&test_nat, n2);
	rule_8080.fixed_ip = vs_addr_v4(ip4(C2));
	assert_int_equal(nat_rule_add(&test_nat, &rule_8080, (char[64]){ 0 }, 64), 0);
}

static void nat_down(void)
{
	nat_rule_del(&test_nat, IPPROTO_TCP, 8080);
	ct_fini(&test_ct);
	nat_fini(&test_nat);
}

/* restart() - Save, stop, start (zones swapped), load; the load result. */
static struct ct_snap_load restart(uint32_t limit, uint64_t load_wall)
{
	struct ct_snap_load r;
	char err[512];

	assert_int_equal(ct_snapshot_save(&test_snap, tdir, err, sizeof(err)), 0);
	nat_down();
	nat_up(n2, n1, limit);
	ct_snapshot_set_test_wall(&test_snap, load_wall);
	assert_int_equal(ct_snapshot_load(&test_snap, tdir, &r, err, sizeof(err)), 0);
	return r;
}

static int setup(void **state)
{
	(void)state;
	snprintf(tdir, sizeof(tdir), "/tmp/test_ct_snapXXXXXX");
	assert_non_null(mkdtemp(tdir));
	n1 = net_add("n1", "10.77.0.0");
	n2 = net_add("n2", "10.88.0.0");
	ep_add(n1, "c1", C1);
	ep_add(n2, "c2", C2);
	ct_snapshot_set_test_wall(&test_snap, WALL0);
	nat_up(n1, n2, 1000);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	nat_down();
	model_clear();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tdir);
	assert_int_equal(system(cmd), 0);
	return 0;
}

/* tcp_established() - SYN, SYN+ACK, ACK from SRC:SPORT in ZONE to DST. */
static void tcp_established(const char *src, const char *dst, uint16_t sport,
			    uint16_t dport, uint32_t zone)
{
	struct ct_key k;
	struct ct_entry *e;
	enum ct_dir dir;
	uint32_t out = xmit(IPPROTO_TCP, src, dst, sport, dport, SYN, zone);
	char osrc[16], odst[16];

	inet_ntop(AF_INET, &iph()->saddr, osrc, sizeof(osrc));
	inet_ntop(AF_INET, &iph()->daddr, odst, sizeof(odst));
	nat_key_from_ip4(&k, out, IPPROTO_TCP, iph()->daddr, iph()->saddr,
			 htons(port_at(1)), htons(port_at(0)));
	xmit(IPPROTO_TCP, odst, osrc, port_at(1), port_at(0), SYNACK, out);
	xmit(IPPROTO_TCP, src, dst, sport, dport, ACK, zone);
	e = ct_lookup(&test_ct, &k, &dir);
	assert_non_null(e);
	assert_int_equal(e->state, CT_TCP_ESTABLISHED);
	assert_true(e->flags & CT_F_ASSURED);
}

static void line_of(struct ct_entry *e, void *arg)
{
	char (*lines)[512] = arg;
	int i = 0;

	while (lines[i][0])
		i++;
	ct_ctl_line(&test_dp, e, lines[i], sizeof(lines[i]));
}

static int line_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* table_lines() - Every entry in conntrack -L form, sorted. */
static void table_lines(char (*lines)[512], size_t n)
{
	memset(lines, 0, n * sizeof(*lines));
	ct_foreach(&test_ct, line_of, lines);
	qsort(lines, ct_get_stats(&test_ct)->entries, sizeof(*lines), line_cmp);
}

/* five_kinds() - An established SNAT'd TCP connection, UDP, ICMP echo, a
 * DNAT'd connection from the outside and a hairpin one. */
static void five_kinds(void)
{
	tcp_established(C1, WEB, 40000, 80, nat_zone_of(&test_nat, n1));
	xmit(IPPROTO_UDP, C1, WEB, 5353, 53, 0, nat_zone_of(&test_nat, n1));
	xmit(IPPROTO_ICMP, C1, WEB, 77, 77, ICMP_ECHO, nat_zone_of(&test_nat, n1));
	tcp_established(WEB, UPLINK, 33000, 8080, CT_ZONE_OUTSIDE);
	tcp_established(C1, UPLINK, 41000, 8080, nat_zone_of(&test_nat, n1));
	assert_int_equal(ct_get_stats(&test_ct)->entries, 5);
}

static void test_snap_roundtrip(void **state)
{
	static char before[8][512], after[8][512];
	struct ct_snap_load r;

	(void)state;
	five_kinds();
	table_lines(before, 8);
	r = restart(1000, WALL0);
	assert_int_equal(r.restored, 5);
	assert_int_equal(r.expired + r.stale + r.clash + r.full, 0);
	assert_int_not_equal(nat_zone_of(&test_nat, n1), rule_8080.fixed_zone);
	table_lines(after, 8);
	/* same tuples, states, flags, seconds left and network names */
	assert_memory_equal(before, after, sizeof(before));
	assert_int_equal(ct_get_stats(&test_ct)->restored, 5);
}

/*
 * A snapshot written by the release before the address type (commit
 * 8dfda21, tests/fixtures/8dfda21/README.md: the five kinds above) loads
 * into the same entries that release listed before it saved them.
 */
static void test_snap_release_8dfda21_loads(void **state)
{
	static char after[8][512], want[8][512];
	struct ct_snap_load r;
	char err[512], cmd[256];
	FILE *f;
	int i;

	(void)state;
	snprintf(cmd, sizeof(cmd), "cp %s/8dfda21/conntrack.snap %s/", FIXTURE_DIR, tdir);
	assert_int_equal(system(cmd), 0);
	memset(want, 0, sizeof(want));
	f = fopen(FIXTURE_DIR "/8dfda21/conntrack.lines", "r");
	assert_non_null(f);
	for (i = 0; i < 8 && fgets(want[i], sizeof(want[i]), f); i++)
		want[i][strcspn(want[i], "\n")] = '\0';
	fclose(f);
	assert_int_equal(i, 5);
	nat_down();
	nat_up(n2, n1, 1000);
	ct_snapshot_set_test_wall(&test_snap, WALL0);
	if (ct_snapshot_load(&test_snap, tdir, &r, err, sizeof(err)))
		fail_msg("%s", err);
	assert_int_equal(r.restored, 5);
	assert_int_equal(r.expired + r.stale + r.clash + r.full, 0);
	table_lines(after, 8);
	assert_memory_equal(after, want, sizeof(want));
}

static void test_snap_restored_traffic_flows(void **state)
{
	uint32_t z1;

	(void)state;
	five_kinds();
	restart(1000, WALL0);
	z1 = nat_zone_of(&test_nat, n1);
	/* mid-stream segments: without the entries only a SYN would pass */
	assert_int_equal(xmit(IPPROTO_TCP, C1, WEB, 40000, 80, ACK, z1), CT_ZONE_OUTSIDE);
	assert_int_equal(iph()->saddr, ip4(UPLINK));
	assert_int_equal(port_at(0), 40000);
	assert_int_equal(xmit(IPPROTO_TCP, WEB, UPLINK, 80, 40000, ACK, CT_ZONE_OUTSIDE), z1);
	assert_int_equal(iph()->daddr, ip4(C1));
	/* the published port's connection reaches c2 in its new zone */
	assert_int_equal(xmit(IPPROTO_TCP, WEB, UPLINK, 33000, 8080, ACK, CT_ZONE_OUTSIDE),
			 nat_zone_of(&test_nat, n2));
	assert_int_equal(iph()->daddr, ip4(C2));
	assert_int_equal(port_at(1), 80);
	/* hairpin: c2's answer goes back to c1 from the uplink IP */
	xmit(IPPROTO_TCP, C1, UPLINK, 41000, 8080, ACK, z1);
	assert_int_equal(xmit(IPPROTO_TCP, C2, UPLINK, 80, port_at(0), ACK, nat_zone_of(&test_nat, n2)), z1);
	assert_int_equal(iph()->saddr, ip4(UPLINK));
	assert_int_equal(port_at(0), 8080);
	assert_int_equal(port_at(1), 41000);
}

static void test_snap_nat_port_reserved(void **state)
{
	uint16_t ext;

	(void)state;
	tcp_established(C1, WEB, 40000, 80, nat_zone_of(&test_nat, n1));
	assert_int_equal(restart(1000, WALL0).restored, 1);
	assert_true(nat_port_in_snat_use(&test_nat, IPPROTO_TCP, 40000));
	/* another source wanting 40000 does not get it */
	xmit(IPPROTO_TCP, C2, WEB, 40000, 80, SYN, nat_zone_of(&test_nat, n2));
	ext = port_at(0);
	assert_int_not_equal(ext, 40000);
	/* the same source keeps its mapping to any destination (RFC 4787) */
	xmit(IPPROTO_TCP, C1, "203.0.113.99", 40000, 443, SYN, nat_zone_of(&test_nat, n1));
	assert_int_equal(port_at(0), 40000);
	/* closing the restored connection frees the port for others */
	ct_flush(&test_ct, NULL, NULL);
	assert_false(nat_port_in_snat_use(&test_nat, IPPROTO_TCP, 40000));
}

static void test_snap_expiry_on_load(void **state)
{
	static char lines[4][512];
	struct ct_snap_load r;

	(void)state;
	tcp_established(C1, WEB, 40000, 80, nat_zone_of(&test_nat, n1));  /* 432000 s */
	xmit(IPPROTO_UDP, C1, WEB, 5353, 53, 0, nat_zone_of(&test_nat, n1));   /* 120 s */
	r = restart(1000, WALL0 + 200000);
	assert_int_equal(r.restored, 1);
	assert_int_equal(r.expired, 1);
	assert_false(nat_port_in_snat_use(&test_nat, IPPROTO_UDP, 5353));
	table_lines(lines, 4);
	assert_non_null(strstr(lines[0], " 431800 ESTABLISHED "));
	/* a clock stepped back never makes an entry outlive its timeout */
	r = restart(1000, WALL0 - 86400000ull * 30);
	assert_int_equal(r.restored, 1);
	table_lines(lines, 4);
	assert_non_null(strstr(lines[0], " 432000 ESTABLISHED "));
}

static void test_snap_expiry_order_restored(void **state)
{
	struct ct_snap_load r;

	(void)state;
	/* a's slot comes first in the pool, b's deadline first: the file is
	 * in pool order, the expiry list must come back in deadline order */
	xmit(IPPROTO_UDP, C1, WEB, 1111, 53, 0, nat_zone_of(&test_nat, n1));
	ct_set_test_clock(&test_ct, 5000000 + 60000);
	xmit(IPPROTO_UDP, C1, WEB, 2222, 53, 0, nat_zone_of(&test_nat, n1));
	ct_set_test_clock(&test_ct, 5000000 + 100000);
	xmit(IPPROTO_UDP, C1, WEB, 1111, 53, 0, nat_zone_of(&test_nat, n1));   /* a refreshed */
	ct_snapshot_set_test_wall(&test_snap, WALL0 + 100000);
	r = restart(1000, WALL0 + 100000);
	assert_int_equal(r.restored, 2);
	/* (restart() set the clock back to 5000000) 81 s later b, which had
	 * 80 s left, is gone, and a, which had 120 s, is not */
	ct_set_test_clock(&test_ct, 5000000 + 81000);
	assert_int_equal(ct_expire_run(&test_ct), 1);
	assert_true(nat_port_in_snat_use(&test_nat, IPPROTO_UDP, 1111));
	assert_false(nat_port_in_snat_use(&test_nat, IPPROTO_UDP, 2222));
}

static struct ct_entry *walked[16];
static unsigned int n_walked;

static void walk_one(struct ct_entry *e, void *arg)
{
	unsigned int i;

	(void)arg;
	for (i = 0; i < n_walked; i++)
		assert_ptr_not_equal(walked[i], e);     /* each at most once */
	walked[n_walked++] = e;
}

/* udp_entry() - c1's UDP connection from SPORT to WEB:53. */
static struct ct_entry *udp_entry(uint16_t sport)
{
	struct ct_key k;

	nat_key_from_ip4(&k, nat_zone_of(&test_nat, n1), IPPROTO_UDP, ip4(C1), ip4(WEB),
			 htons(sport), htons(53));
	return ct_lookup(&test_ct, &k, NULL);
}

static bool was_walked(const struct ct_entry *e)
{
	unsigned int i;

	for (i = 0; i < n_walked; i++)
		if (walked[i] == e)
			return true;
	return false;
}

static void test_snap_walk_while_table_changes(void **state)
{
	uint64_t cursor = 0;
	uint16_t sp;

	(void)state;
	for (sp = 1; sp <= 6; sp++)     /* pool slots 0-5 */
		xmit(IPPROTO_UDP, C1, WEB, sp * 1000, 53, 0, nat_zone_of(&test_nat, n1));
	n_walked = 0;
	assert_false(ct_walk(&test_ct, &cursor, 3, walk_one, NULL));
	assert_int_equal(n_walked, 3);
	assert_true(was_walked(udp_entry(2000)));
	/* slot 1 (walked) and slot 4 (not yet) are freed, then taken again
	 * (last freed first): 8000 ahead of the cursor, 9000 behind it */
	ct_remove(&test_ct, udp_entry(2000));
	ct_remove(&test_ct, udp_entry(5000));
	xmit(IPPROTO_UDP, C1, WEB, 8000, 53, 0, nat_zone_of(&test_nat, n1));
	xmit(IPPROTO_UDP, C1, WEB, 9000, 53, 0, nat_zone_of(&test_nat, n1));
	while (!ct_walk(&test_ct, &cursor, 3, walk_one, NULL))
		;
	assert_int_equal(n_walked, 6);
	assert_true(was_walked(udp_entry(8000)));
	assert_true(was_walked(udp_entry(4000)) && was_walked(udp_entry(6000)));
	/* 9000 sits in a slot walked before it came: missed, not doubled
	 * (walk_one asserts that no slot is visited twice) */
	assert_ptr_equal(udp_entry(9000), walked[1]);
}

static void test_snap_stale_entries_dropped(void **state)
{
	struct ct_snap_load r;
	struct endpoint *ep;
	char err[256];

	(void)state;
	five_kinds();
	xmit(IPPROTO_UDP, C2, WEB, 7000, 53, 0, nat_zone_of(&test_nat, n2));
	assert_int_equal(ct_snapshot_save(&test_snap, tdir, err, sizeof(err)), 0);
	nat_down();
	/* n2 is gone: c2's own flow, the DNAT and the hairpin go with it */
	HASH_DEL(g_model.networks, n2);
	nat_up(n1, n1, 1000);
	assert_int_equal(ct_snapshot_load(&test_snap, tdir, &r, err, sizeof(err)), 0);
	assert_int_equal(r.restored, 3);
	assert_int_equal(r.stale, 3);
	nat_down();
	HASH_ADD_STR(g_model.networks, name, n2);
	/* c1 left n1: its three flows are stale; the DNAT one to c2 stays */
	ep = model_endpoint_by_ip4(n1, ip4(C1));
	model_endpoint_unlink(ep);
	free(ep);
	nat_up(n1, n2, 1000);
	assert_int_equal(ct_snapshot_load(&test_snap, tdir, &r, err, sizeof(err)), 0);
	assert_int_equal(r.restored, 2);
	assert_int_equal(r.stale, 4);
	/* another uplink IP: nothing that crossed the old one survives */
	nat_down();
	uplink_addr = "198.51.100.2";
	nat_up(n1, n2, 1000);
	uplink_addr = UPLINK;
	assert_int_equal(ct_snapshot_load(&test_snap, tdir, &r, err, sizeof(err)), 0);
	assert_int_equal(r.restored, 0);
	assert_int_equal(r.stale, 6);
}

static void test_snap_limit(void **state)
{
	struct ct_snap_load r;

	(void)state;
	five_kinds();
	r = restart(3, WALL0);
	assert_int_equal(r.restored, 3);
	assert_int_equal(r.full, 2);
	assert_int_equal(ct_get_stats(&test_ct)->entries, 3);
}

static void test_snap_missing_file(void **state)
{
	struct ct_snap_load r;
	char err[256];

	(void)state;
	assert_int_equal(ct_snapshot_load(&test_snap, tdir, &r, err, sizeof(err)), 1);
	assert_int_equal(r.restored, 0);
}

static uint8_t *file_read(size_t *len)
{
	char path[128];
	uint8_t *buf = malloc(1 << 16);
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tdir, CT_SNAP_FILE);
	f = fopen(path, "rb");
	assert_non_null(f);
	*len = fread(buf, 1, 1 << 16, f);
	fclose(f);
	return buf;
}

static void file_write(const uint8_t *buf, size_t len)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tdir, CT_SNAP_FILE);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, len, f), len);
	fclose(f);
}

/* refused() - Load BUF as the snapshot: refused with WHY, nothing kept. */
static void refused(const uint8_t *buf, size_t len, const char *why)
{
	struct ct_snap_load r;
	char err[512] = "";

	file_write(buf, len);
	assert_int_equal(ct_snapshot_load(&test_snap, tdir, &r, err, sizeof(err)), -1);
	assert_non_null(strstr(err, why));
	assert_non_null(strstr(err, CT_SNAP_FILE));
	assert_null(strchr(err, '\n'));
	assert_int_equal(ct_get_stats(&test_ct)->entries, 0);
	assert_int_equal(r.restored, 0);
	assert_false(nat_port_in_snat_use(&test_nat, IPPROTO_TCP, 40000));
}

static void recrc(uint8_t *buf, size_t len)
{
	uLong c = crc32(0, buf, 32);
	uint32_t v;

	c = crc32(c, buf + 40, (uInt)(len - 40));
	v = (uint32_t)c;
	buf[32] = (uint8_t)v;
	buf[33] = (uint8_t)(v >> 8);
	buf[34] = (uint8_t)(v >> 16);
	buf[35] = (uint8_t)(v >> 24);
}

static void test_snap_unusable_files(void **state)
{
	static const size_t cuts[] = { 0, 1, 39, 40, 41, 64, 87 };
	uint8_t *good, *bad;
	size_t len, i;
	char err[256];

	(void)state;
	five_kinds();
	assert_int_equal(ct_snapshot_save(&test_snap, tdir, err, sizeof(err)), 0);
	good = file_read(&len);
	bad = malloc(len + 8);
	nat_down();
	nat_up(n1, n2, 1000);
	for (i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++)
		refused(good, cuts[i], cuts[i] < 40 ? "truncated header" : "truncated");
	refused(good, len - 1, "truncated");
	memcpy(bad, good, len);
	bad[len] = 0;
	refused(bad, len + 1, "trailing bytes");
	bad[100] ^= 0x40;
	refused(bad, len, "checksum mismatch");
	memcpy(bad, good, len);
	bad[4] = 2;
	refused(bad, len, "unknown version");
	memcpy(bad, good, len);
	bad[0] = 'X';
	refused(bad, len, "not a conntrack snapshot");
	refused((const uint8_t *)"{\"garbage\": true}\n", 18, "truncated header");
	/* the checksum is right but the second entry's class is not TCP's:
	 * the whole file is refused, not the first entry kept */
	memcpy(bad, good, len);
	bad[40 + 48 + 3] = CT_TC_ICMP;
	recrc(bad, len);
	refused(bad, len, "bad entry");
	/* an entry naming a zone the table does not name */
	memcpy(bad, good, len);
	bad[40 + 10] = 77;
	recrc(bad, len);
	refused(bad, len, "zone");
	free(good);
	free(bad);
}

/* --- the lazy writer, on a real loop ----------------------------------- */

static bool run_until_written(struct ev_loop *loop, uint64_t writes)
{
	time_t end = time(NULL) + 20;

	while (ct_snapshot_stats(&test_snap)->writes < writes && time(NULL) < end)
		ev_run(loop, EVRUN_ONCE);
	return ct_snapshot_stats(&test_snap)->writes >= writes;
}

static void test_snap_lazy_writer(void **state)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct ct_snap_load r;
	char err[256];

	(void)state;
	nat_down();
	assert_int_equal(ct_init(&test_ct, loop, 1000), 0);
	nat_init(&test_nat, &test_ct);
	nat_ext_add(&test_nat, ip4(UPLINK));
	test_dp.loop = loop;
	assert_int_equal(ct_snapshot_init(&test_snap, &test_dp, tdir), 0);
	/* nothing changed: nothing armed, so an idle switch never wakes */
	assert_false(ct_snapshot_stats(&test_snap)->scheduled);
	assert_false(ct_snapshot_stats(&test_snap)->pending);
	xmit(IPPROTO_TCP, C1, WEB, 40000, 80, SYN, nat_zone_of(&test_nat, n1));
	assert_true(ct_snapshot_stats(&test_snap)->pending);
	assert_true(ct_snapshot_stats(&test_snap)->scheduled);
	assert_true(run_until_written(loop, 1));
	assert_false(ct_snapshot_stats(&test_snap)->pending);
	assert_false(ct_snapshot_stats(&test_snap)->scheduled);
	assert_int_equal(ct_snapshot_stats(&test_snap)->last_entries, 1);
	/* a retransmitted SYN only refreshes: a write later, nothing pending */
	xmit(IPPROTO_TCP, C1, WEB, 40000, 80, SYN, nat_zone_of(&test_nat, n1));
	assert_true(ct_snapshot_stats(&test_snap)->scheduled);
	assert_false(ct_snapshot_stats(&test_snap)->pending);
	/* the graceful stop writes at once */
	xmit(IPPROTO_UDP, C1, WEB, 5353, 53, 0, nat_zone_of(&test_nat, n1));
	ct_snapshot_fini(&test_snap);
	ct_fini(&test_ct);
	nat_fini(&test_nat);
	ev_loop_destroy(loop);
	nat_up(n1, n2, 1000);
	assert_int_equal(ct_snapshot_load(&test_snap, tdir, &r, err, sizeof(err)), 0);
	assert_int_equal(r.restored, 2);
}

static void test_snap_write_failure_retried(void **state)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	time_t end = time(NULL) + 20;
	char gone[128];

	(void)state;
	nat_down();
	assert_int_equal(ct_init(&test_ct, loop, 1000), 0);
	nat_init(&test_nat, &test_ct);
	nat_ext_add(&test_nat, ip4(UPLINK));
	snprintf(gone, sizeof(gone), "%s/no-such-dir", tdir);
	test_dp.loop = loop;
	assert_int_equal(ct_snapshot_init(&test_snap, &test_dp, gone), 0);
	xmit(IPPROTO_TCP, C1, WEB, 40000, 80, SYN, nat_zone_of(&test_nat, n1));
	while (!ct_snapshot_stats(&test_snap)->write_errors && time(NULL) < end)
		ev_run(loop, EVRUN_ONCE);
	/* counted, still pending, and a retry is due (not a busy loop) */
	assert_int_equal(ct_snapshot_stats(&test_snap)->write_errors, 1);
	assert_int_equal(ct_snapshot_stats(&test_snap)->writes, 0);
	assert_true(ct_snapshot_stats(&test_snap)->pending);
	assert_true(ct_snapshot_stats(&test_snap)->scheduled);
	ct_snapshot_fini(&test_snap);      /* the final save fails too, and says so */
	assert_int_equal(ct_snapshot_stats(&test_snap)->write_errors, 2);
	ct_fini(&test_ct);
	nat_fini(&test_nat);
	ev_loop_destroy(loop);
	nat_up(n1, n2, 1000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_snap_roundtrip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_snap_release_8dfda21_loads, setup, teardown),
		cmocka_unit_test_setup_teardown(test_snap_restored_traffic_flows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_snap_nat_port_reserved, setup, teardown),
		cmocka_unit_test_setup_teardown(test_snap_expiry_on_load, setup, teardown),
		cmocka_unit_test_setup_teardown(test_snap_expiry_order_restored, setup, teardown),
		cmocka_unit_test_setup_teardown(test_snap_walk_while_table_changes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_snap_stale_entries_dropped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_snap_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_snap_missing_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_snap_unusable_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_snap_lazy_writer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_snap_write_failure_retried, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
