/* ct_bench.c - conntrack micro-benchmark: lookup cost at 1K, 64K and 1M
 * entries and its ratio 1M/1K (issue 19: <= 2x), memory per entry (RSS
 * growth / entries) and in all at 1M (<= 256 MB), and the snapshot's
 * cost at 100K SNAT'd entries (the loop's encoding, the writer's write
 * and fsync, the load at start-up).  Numbers are printed, never asserted:
 * run `make bench-ct`.
 *
 * Lookups are measured two ways over the same random keys: one at a time
 * (each lookup's cache misses wait for the previous one's), and as the
 * datapath does them, a burst of 32 at a time after ct_prefetch() on the
 * burst's keys (nat_prefetch from ingress and the uplink).  Key making is
 * timed separately and subtracted, so the numbers are the table's. */
#include <netinet/in.h>
#include <netinet/udp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <ev.h>
#include <netinet/tcp.h>
#include "ct.h"
#include "ct_snapshot.h"
#include "dp.h"
#include "nat.h"

static long bench_rss_kb(void)
{
	long pages = 0, rss = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f) {
		if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
			rss = 0;
		fclose(f);
	}
	return rss * (sysconf(_SC_PAGESIZE) / 1024);
}

static void bench_key(struct ct_key *k, uint32_t i, uint32_t zone)
{
	uint32_t s = htonl(0xac120000u | (i >> 16)), d = htonl(0xc6336400u | (i & 0xff));

	memset(k, 0, sizeof(*k));
	vs_addr_set_v4(&k->src, s);
	vs_addr_set_v4(&k->dst, d);
	k->sport = htons((uint16_t)i);
	k->dport = htons(53);
	k->zone = zone;
	k->family = AF_INET;
	k->proto = IPPROTO_UDP;
}

static double bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct ct_key bench_keys[1 << 16];
/* The datapath's tables, as dp_init() would make them. */
static struct conntrack bench_ct;
static struct nat bench_nat = { .model = &g_model };
static struct dp bench_dp = { .model = &g_model, .ct = &bench_ct, .nat = &bench_nat };
static struct ct_snapshot bench_snap = { .dp = &bench_dp };

/* Nanoseconds per lookup over LOOKUPS random keys, BURST at a time. */
static double bench_lookups(uint32_t n, uint32_t lookups, unsigned int burst)
{
	uint32_t i, j, found = 0, nk = sizeof(bench_keys) / sizeof(bench_keys[0]);
	double t0, t1, tk;

	srand(7);
	t0 = bench_now();
	for (i = 0; i < lookups; i += nk)    /* the cost of making the keys */
		for (j = 0; j < nk; j++)
			bench_key(&bench_keys[j], (uint32_t)rand() % n, 1);
	tk = bench_now() - t0;
	srand(7);
	t0 = bench_now();
	for (i = 0; i < lookups; i += nk) {
		for (j = 0; j < nk; j++)
			bench_key(&bench_keys[j], (uint32_t)rand() % n, 1);
		for (j = 0; j < nk; j += burst) {
			unsigned int k;

			if (burst > 1)
				ct_prefetch(&bench_ct, &bench_keys[j], burst);
			for (k = 0; k < burst; k++)
				found += ct_lookup(&bench_ct, &bench_keys[j + k], NULL) != NULL;
		}
	}
	t1 = bench_now();
	if (found != (lookups + nk - 1) / nk * nk)
		printf("(only %u found) ", found);
	return (t1 - t0 - tk) * 1e9 / ((lookups + nk - 1) / nk * nk);
}

/* Bursts of 32 (the datapath's way) at N entries; prints the rest. */
static double bench_run(uint32_t n)
{
	struct udphdr uh = { 0 };
	struct ct_key o, r;
	enum drop_reason why;
	uint32_t i, lookups = 4000000;
	double burst;
	long rss0;

	ct_set_test_clock(&bench_ct, 1000);
	ct_init(&bench_ct, NULL, n);
	rss0 = bench_rss_kb();
	for (i = 0; i < n; i++) {
		bench_key(&o, i, 1);
		ct_key_invert(&o, &r);
		r.zone = 0;
		if (!ct_insert(&bench_ct, &o, &r, 1, &uh, sizeof(uh), &why))
			break;
	}
	printf("entries %u: %.1f bytes/entry (RSS), %.1f MB in all; ", i,
	       (double)(bench_rss_kb() - rss0) * 1024.0 / (i ? i : 1),
	       (double)(bench_rss_kb() - rss0) / 1024.0);
	printf("cuckoo moves %llu, stashed %llu",
	       (unsigned long long)ct_get_stats(&bench_ct)->cuckoo_moves,
	       (unsigned long long)ct_get_stats(&bench_ct)->stashed);
	printf("\n  one at a time: %.1f ns/lookup", bench_lookups(n, lookups, 1));
	burst = bench_lookups(n, lookups, CT_PREFETCH_MAX);
	printf("; bursts of %d with prefetch: %.1f ns/lookup\n", CT_PREFETCH_MAX, burst);
	ct_fini(&bench_ct);
	return burst;
}

/* bench_snat_table() - N SNAT'd TCP entries from 4 containers of network
 * "bench" (in the model, so that a load keeps them), as nat.c makes them. */
static void bench_snat_table(uint32_t n)
{
	static struct network net = { .name = "bench" };
	static struct endpoint eps[4];
	struct tcphdr th = { .syn = 1, .doff = 5 };
	uint32_t i, zone, up = htonl(0xc6336401u), src, dst;
	struct nat_mapping *m;
	enum drop_reason why;
	struct ct_key o, r;
	struct ct_entry *e;
	uint16_t ext;

	LIST_INIT(&net.endpoints);
	HASH_ADD_STR(g_model.networks, name, &net);
	for (i = 0; i < 4; i++) {
		eps[i].net = &net;
		vs_addr_set_v4(&eps[i].ip, htonl(0x0a4d0002u + i));
		HASH_ADD(hh_ip, net.by_ip, ip, sizeof(eps[i].ip), &eps[i]);
	}
	ct_init(&bench_ct, NULL, n + 16);
	nat_init(&bench_nat, &bench_ct);
	nat_ext_add(&bench_nat, up);
	zone = nat_zone_of(&bench_nat, &net);
	/* 8 destinations per source port: 12500 ports of 4 sources for 100K
	 * (one uplink IP has 64512 ports to give) */
	for (i = 0; i < n; i++) {
		uint16_t sport = htons((uint16_t)(1024 + i / 32));

		src = vs_addr_get_v4(&eps[i % 4].ip);
		dst = htonl(0xcb007100u | ((i / 4) % 8));
		m = nat_mapping_get(&bench_nat, 0, zone, IPPROTO_TCP, &eps[i % 4].ip, sport, true, &ext);
		nat_key_from_ip4(&o, zone, IPPROTO_TCP, src, dst, sport, htons(443));
		nat_key_from_ip4(&r, CT_ZONE_OUTSIDE, IPPROTO_TCP, dst, up, htons(443), ext);
		e = m ? ct_insert(&bench_ct, &o, &r, zone, &th, sizeof(th), &why) : NULL;
		if (!e)
			break;
		e->map = m;
		e->flags |= CT_F_SNAT;
	}
}

/* bench_snapshot_loop() - A snapshot as the daemon takes it (steps on the
 * loop, the write in the thread); the loop's longest pause in ms. */
static double bench_snapshot_loop(const char *dir)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	double pause;

	bench_dp.loop = loop;
	ct_snapshot_init(&bench_snap, &bench_dp, dir);
	bench_ct.change_hook(bench_ct.change_arg, true);
	while (ct_snapshot_stats(&bench_snap)->writes < 1 && ct_snapshot_stats(&bench_snap)->write_errors < 1)
		ev_run(loop, EVRUN_ONCE);
	pause = (double)ct_snapshot_stats(&bench_snap)->max_step_us / 1e3;
	ct_snapshot_fini(&bench_snap);
	ev_loop_destroy(loop);
	return pause;
}

static void bench_snapshot(uint32_t n)
{
	char dir[] = "/tmp/ct_benchXXXXXX", err[256], cmd[64];
	struct ct_snap_load res;
	double t0, enc = 0;
	size_t bytes = 0;
	int i;

	if (!mkdtemp(dir))
		return;
	ct_set_test_clock(&bench_ct, 1000000);
	bench_snat_table(n);
	for (i = 0; i < 5; i++) {
		t0 = bench_now();
		bytes = ct_snapshot_encode(&bench_snap);
		enc += bench_now() - t0;
	}
	printf("snapshot of %llu entries: %zu bytes; encoding all at once %.2f ms, ",
	       (unsigned long long)ct_get_stats(&bench_ct)->entries, bytes, enc / 5 * 1e3);
	printf("in steps on the loop: longest pause %.2f ms; ", bench_snapshot_loop(dir));
	t0 = bench_now();
	if (ct_snapshot_save(&bench_snap, dir, err, sizeof(err)))
		printf("%s\n", err);
	printf("encode+write+fsync %.2f ms; ", (bench_now() - t0) * 1e3);
	ct_fini(&bench_ct);
	nat_fini(&bench_nat);
	ct_init(&bench_ct, NULL, n + 16);
	nat_init(&bench_nat, &bench_ct);
	nat_ext_add(&bench_nat, htonl(0xc6336401u));
	t0 = bench_now();
	ct_snapshot_load(&bench_snap, dir, &res, err, sizeof(err));
	printf("load %.2f ms (%llu restored)\n", (bench_now() - t0) * 1e3,
	       (unsigned long long)res.restored);
	ct_fini(&bench_ct);
	nat_fini(&bench_nat);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd))
		perror("rm");
}

int main(void)
{
	double small, big;

	printf("sizeof(struct ct_entry) = %zu\n", sizeof(struct ct_entry));
	small = bench_run(1000);
	bench_run(65536);
	big = bench_run(1000000);
	printf("lookup at 1M / at 1K (bursts): %.2fx (target <= 2x)\n", big / small);
	bench_snapshot(100000);
	return 0;
}
