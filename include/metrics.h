/* metrics.h - counters for scrapers: the table sizes in `stats`, their
 * Prometheus text, and vswitchd's opt-in scrape endpoint.
 *
 * metrics.c adds what `stats` reports beyond the ports (fdb, conntrack,
 * NAT, capture); metrics_prom.c renders a whole `stats` reply as
 * Prometheus text, for vsctl and vswitchd alike; metrics_http.c serves
 * that text from a snapshot (doc/metrics.md).
 */
#ifndef VS_METRICS_H
#define VS_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct json_object;
struct dp;

/* metrics.c */
void metrics_add_tables(struct dp *dp, struct json_object *o);

/* metrics_prom.c */
void metrics_prom_write(FILE *f, struct json_object *stats);
char *metrics_prom_text(struct json_object *stats, size_t *len);

/* metrics_http.c (vswitchd only: it links libmicrohttpd) */
int metrics_http_check(const char *listen, char *err, size_t errlen);
int metrics_http_start(struct dp *dp, const char *listen, char *err, size_t errlen);
void metrics_http_stop(void);

#endif
