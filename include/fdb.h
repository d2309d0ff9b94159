/* fdb.h - the per-network MAC learning table (forwarding database).
 *
 * One struct fdb per network, hung on network->fdb.  Entries map a MAC to
 * the port it was last seen on.  They sit in a keyed uthash for lookup and
 * on one LRU list ordered by last use, so aging expires from the old end
 * and one libev timer per table, armed for the oldest entry, drives it
 * (OVS mac_learning_run(), br_fdb_cleanup()).  What the tables of one
 * datapath share is its struct fdb_common (dp->fdb).  The layout is here, not
 * hidden in fdb.c, so that fdb_ctl.c can walk a table for `fdb show`.
 */
#ifndef VS_FDB_H
#define VS_FDB_H

#include <ev.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>
#include <uthash.h>
#include "hash.h"
#include "drop.h"

struct network;
struct port;
struct pkt;

#define FDB_AGING_DEFAULT 300
#define FDB_MAX_LEARNED_DEFAULT 1024

struct fdb_entry {
	uint8_t mac[6];          /* hash key */
	uint8_t oom;             /* set by uthash when its insert failed */
	struct port *port;
	ev_tstamp last_seen;     /* ev_now() of the last frame from mac */
	TAILQ_ENTRY(fdb_entry) lru; /* oldest first */
	UT_hash_handle hh;
};

TAILQ_HEAD(fdb_lru, fdb_entry);

/* What the tables of one datapath share (struct dp's fdb): the learning
 * settings (--fdb-aging, --fdb-max-learned), the event loop their aging
 * timers run on, and the free list their entries are recycled through.
 * The datapath's, not the process's: two datapaths may age and cap
 * differently and never trade entries. */
struct fdb_common {
	struct ev_loop *loop;      /* NULL: no timers, fdb_now() is 0 */
	unsigned int aging;        /* s an entry lives without a frame */
	unsigned int max_learned;  /* entries one port may own */
	struct fdb_lru free;       /* recycled entries */
};

struct fdb {
	struct fdb_common *common; /* the datapath's (n->dp->fdb) */
	struct network *net;
	struct fdb_entry *table; /* uthash on mac */
	/* The entries fdb_learn() and fdb_lookup() found last (fdb_find()) */
	struct fdb_entry *last_src, *last_dst;
	struct fdb_lru lru;
	unsigned int count;
	ev_timer timer;          /* armed for the oldest entry's expiry */
};

/* fdb.c */
void fdb_common_init(struct fdb_common *fc, struct ev_loop *loop);
void fdb_common_fini(struct fdb_common *fc);
void fdb_set_aging(struct fdb_common *fc, unsigned int sec);
void fdb_set_max_learned(struct fdb_common *fc, unsigned int n);
struct fdb *fdb_new(struct network *n);
void fdb_free(struct fdb *f);
enum drop_reason fdb_learn(struct fdb *f, const uint8_t mac[6], struct port *port);
struct port *fdb_lookup(struct fdb *f, const uint8_t mac[6]);
unsigned int fdb_expire(struct fdb *f, ev_tstamp now);
unsigned int fdb_flush(struct fdb *f);
void fdb_port_gone(struct fdb *f, struct port *port);
ev_tstamp fdb_now(const struct fdb *f);

/* l2_forward.c: send P to every port of network N but P's input port. */
void l2_forward_flood(struct network *n, struct pkt *p);

/* fdb_ctl.c: registers "fdb.show" and "fdb.flush". */
void fdb_ctl_init(void);

#endif
