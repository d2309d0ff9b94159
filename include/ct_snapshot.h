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

int ct_snapshot_init(struct ev_loop *loop, const char *dir);
void ct_snapshot_fini(void);
int ct_snapshot_save(const char *dir, char *err, size_t errlen);
int ct_snapshot_load(const char *dir, struct ct_snap_load *res,
		     char *err, size_t errlen);
size_t ct_snapshot_encode(void);
const struct ct_snap_stats *ct_snapshot_stats(void);
void ct_snapshot_set_test_wall(uint64_t ms);   /* unit tests: fixed clock */

#endif
