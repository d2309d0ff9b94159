/* ct_bench.c - conntrack micro-benchmark: lookup cost at 1K and 1M
 * entries, and memory per entry (RSS growth / entries).  Numbers are
 * printed, never asserted: run `make bench-ct`.
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
#include "ct.h"

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
	memcpy(k->src, &s, 4);
	memcpy(k->dst, &d, 4);
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
				ct_prefetch(&bench_keys[j], burst);
			for (k = 0; k < burst; k++)
				found += ct_lookup(&bench_keys[j + k], NULL) != NULL;
		}
	}
	t1 = bench_now();
	if (found != (lookups + nk - 1) / nk * nk)
		printf("(only %u found) ", found);
	return (t1 - t0 - tk) * 1e9 / ((lookups + nk - 1) / nk * nk);
}

static void bench_run(uint32_t n)
{
	struct udphdr uh = { 0 };
	struct ct_key o, r;
	enum drop_reason why;
	uint32_t i, lookups = 4000000;
	long rss0;

	ct_set_test_clock(1000);
	ct_init(NULL, n);
	rss0 = bench_rss_kb();
	for (i = 0; i < n; i++) {
		bench_key(&o, i, 1);
		ct_key_invert(&o, &r);
		r.zone = 0;
		if (!ct_insert(&o, &r, 1, &uh, sizeof(uh), &why))
			break;
	}
	printf("entries %u: %.1f bytes/entry (RSS), ", i,
	       (double)(bench_rss_kb() - rss0) * 1024.0 / (i ? i : 1));
	printf("\n  one at a time: %.1f ns/lookup", bench_lookups(n, lookups, 1));
	printf("; bursts of %d with prefetch: %.1f ns/lookup\n", CT_PREFETCH_MAX,
	       bench_lookups(n, lookups, CT_PREFETCH_MAX));
	ct_fini();
}

int main(void)
{
	printf("sizeof(struct ct_entry) = %zu\n", sizeof(struct ct_entry));
	bench_run(1000);
	bench_run(1000000);
	return 0;
}
