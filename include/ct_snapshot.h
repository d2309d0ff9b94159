/* ct_snapshot.h - conntrack entries and NAT bindings kept across a restart.
 *
 * A restart of vswitchd must not cut the NAT'd connections that cross it:
 * the outside knows them by the uplink IP and the external port, which
 * only our table remembers.  ct_snapshot.c writes the table to
 * DIR/conntrack.snap (binary, versioned, CRC-32, atomic rename) lazily
 * while the daemon runs and always on a graceful stop, and reads it back
 * at start-up.  The format and the timing are described in ct_snapshot.c
 * and doc/nat.md.
 */
#ifndef VS_CT_SNAPSHOT_H
#define VS_CT_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <ev.h>
#include "nat.h"

struct ev_loop;

#define CT_SNAP_FILE "conntrack.snap"

struct ct_snap_stats {
	uint64_t writes;         /* snapshots written */
	uint64_t write_errors;
	uint64_t last_entries;   /* entries in the last snapshot written */
	uint64_t last_bytes;
	uint64_t max_step_us;    /* longest pause an encoding step gave the loop */
	bool pending;            /* new, removed or changed entries not on disk */
	bool scheduled;          /* a write is due (the timer runs) */
};

/* What a load did with the snapshot's entries. */
struct ct_snap_load {
	uint64_t restored, expired, stale, clash, full;
};

struct ct_snap_buf {
	uint8_t *p;
	size_t len, cap;
};

/* The snapshot of one datapath's conntrack table (see ct_snapshot.c).
 * Fields are private to ct_snapshot.c; public so that the owner can
 * embed it. */
struct ct_snapshot {
	struct dp *dp;           /* whose conntrack and NAT are saved */
	struct ev_loop *loop;
	ev_timer timer;
	ev_async done;
	pthread_t writer;
	bool enabled, encoding, writing, urgent, lazy, writing_urgent, failed;
	int write_err;           /* the writer's errno (0: ok), read after join */
	double retry;            /* s before retrying a failed write, doubling */
	char dir[4096];
	struct ct_snap_buf buf;
	uint64_t buf_entries;
	uint64_t cursor;         /* ct_walk() position of the encoding */
	uint64_t begun;          /* wall clock when the encoding began */
	uint64_t wall;           /* wall clock of the current step */
	uint8_t zone_used[NAT_MAX_ZONES];
	uint32_t zmap[NAT_MAX_ZONES];    /* load: file zone -> our zone */
	struct ct_snap_stats stats;
	uint64_t test_wall;
	bool use_test_wall;
};

struct dp;
int ct_snapshot_init(struct ct_snapshot *snap, struct dp *dp, const char *dir);
void ct_snapshot_fini(struct ct_snapshot *snap);
int ct_snapshot_save(struct ct_snapshot *snap, const char *dir, char *err, size_t errlen);
int ct_snapshot_load(struct ct_snapshot *snap, const char *dir, struct ct_snap_load *res,
		     char *err, size_t errlen);
size_t ct_snapshot_encode(struct ct_snapshot *snap);
const struct ct_snap_stats *ct_snapshot_stats(struct ct_snapshot *snap);
void ct_snapshot_set_test_wall(struct ct_snapshot *snap, uint64_t ms);   /* unit tests: fixed clock */

#endif
