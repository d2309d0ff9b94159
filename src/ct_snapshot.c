/* ct_snapshot.c - write the conntrack table to the state dir, read it back.
 *
 * DOC: Theory of Operation
 *
 * What: every entry with both tuples, its zone, protocol state, timeout
 * class, flags (assured, SNAT, DNAT), the kind of NAT port mapping it
 * holds (the source's shared one or a private one; the external port is
 * the reply tuple's destination port) and its deadline.  Zones are
 * numbered per process, so the file names them: a trailing table maps
 * each zone number used to its network's name, and loading maps the
 * names to this process's zones.
 *
 * Time: deadlines are absolute wall-clock milliseconds (CLOCK_REALTIME).
 * A monotonic clock restarts at boot, and a relative lifetime would not
 * count the time the daemon was down.  A clock stepped back could make an
 * entry outlive its timeout, so a lifetime is never restored longer than
 * its class's timeout.
 *
 * Format (version 1, integers little-endian, ports and addresses as on
 * the wire): a 40-byte header ("VSCT", version, header length, time of
 * writing, entry count, zone count, offset of the zone table, body
 * length, CRC-32 of the header's first 32 bytes and the body), then one
 * record per entry (24 bytes, then both tuples: addresses of the family's
 * length, 48 bytes in all for IPv4), then the zone table (zone, name
 * length, name).  The CRC finds truncation and damage, not tampering.
 *
 * When: on a graceful stop, always and synchronously.  While running,
 * lazily: a change that a restart must not lose (an entry added, removed
 * or given a new state) arms a one-shot timer of CT_SNAP_DELAY; a packet
 * that only refreshes an entry arms it for CT_SNAP_REFRESH_DELAY, so a
 * long-lived flow's deadline stays roughly current.  An idle table arms
 * nothing (no wake-ups), and expiry arms nothing: an expired entry is
 * skipped on load anyway.  So a kill -9 loses at most about a second of
 * new connections.  A failed write is logged, counted and retried after
 * CT_SNAP_REFRESH_DELAY, doubling up to CT_SNAP_RETRY_MAX.
 *
 * Cost: the loop encodes the table into one reusable buffer, no
 * allocation per entry, CT_SNAP_STEP pool slots per loop iteration
 * (ct_walk()), so the loop pauses for one step (~0.5 ms) however large
 * the table; a zero timer drives the steps, so packets are served between
 * them.  Then a writer thread writes DIR/conntrack.snap->tmp, fsyncs it,
 * renames it over DIR/conntrack.snap and fsyncs the directory: the loop
 * never waits for the disk.  Until the thread ends (an ev_async), changes
 * only set flags, so there is at most one snapshot in the making and at
 * most one begun per CT_SNAP_DELAY.  tools/bench/ct_bench.c measures it.
 *
 * A snapshot taken in steps is fuzzy, as a running table's must be: an
 * entry made behind the cursor is missed and one freed ahead of it is
 * skipped, and each such change schedules the next snapshot.  Every
 * record is whole (one entry, visited once), the file is in pool order,
 * and the load sorts the expiry lists back (ct_restore_finish()).
 *
 * Load, after state.json and the published ports are back and before the
 * loop runs: a file that is truncated, damaged or of another version is
 * reported in one line and ignored (conntrack starts empty; a snapshot
 * never stops vswitchd).  The whole file is checked before any entry is
 * restored.  Then each entry is skipped if its deadline passed, if it
 * names a network or endpoint that no longer exists, an internal network,
 * or an uplink IP that is not ours any more (this drops the proxy's
 * host-leg connections too: their sockets died with the old process); its
 * NAT port is reserved (nat_mapping_reserve()) so no new flow can take
 * it; an entry whose port or tuple is taken, or that does not fit under
 * the limit, is skipped.
 */
#include <errno.h>
#include <ev.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>
#include "ct.h"
#include "ct_snapshot.h"
#include "dp.h"
#include "log.h"
#include "model.h"
#include "nat.h"
#include "state.h"

#define CT_SNAP_MAGIC "VSCT"
#define CT_SNAP_VERSION 1
#define CT_SNAP_HDR 40
#define CT_SNAP_CRC_OFS 32
#define CT_SNAP_REC 24               /* fixed part of a record */
#define CT_SNAP_REC_MAX (CT_SNAP_REC + 2 * (2 * 16 + 4))
#define CT_SNAP_MAX_ENTRIES (1u << 24)   /* --ct-max's ceiling */
#define CT_SNAP_DELAY 1.0            /* s: after a structural change */
#define CT_SNAP_REFRESH_DELAY 10.0   /* s: after refreshes only */
#define CT_SNAP_RETRY_MAX 300.0      /* s: longest wait before retrying a failure */
#define CT_SNAP_STEP 8192            /* pool slots encoded per loop iteration */
#define CT_SNAP_ZNONE UINT32_MAX     /* zone not in the file's table */
#define CT_SNAP_ZGONE (UINT32_MAX - 1) /* its network no longer exists */

enum ct_snap_nat { CT_SNAP_NAT_NONE, CT_SNAP_NAT_SHARED, CT_SNAP_NAT_PRIVATE };



static uint64_t ct_snap_wall_ms(struct ct_snapshot *snap)
{
	struct timespec ts;

	if (snap->use_test_wall)
		return snap->test_wall;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void ct_snapshot_set_test_wall(struct ct_snapshot *snap, uint64_t ms)
{
	snap->use_test_wall = true;
	snap->test_wall = ms;
}

static void ct_snap_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void ct_snap_le32(uint8_t *p, uint32_t v)
{
	ct_snap_le16(p, (uint16_t)v);
	ct_snap_le16(p + 2, (uint16_t)(v >> 16));
}

static void ct_snap_le64(uint8_t *p, uint64_t v)
{
	ct_snap_le32(p, (uint32_t)v);
	ct_snap_le32(p + 4, (uint32_t)(v >> 32));
}

static uint16_t ct_snap_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t ct_snap_get32(const uint8_t *p)
{
	return ct_snap_get16(p) | (uint32_t)ct_snap_get16(p + 2) << 16;
}

static uint64_t ct_snap_get64(const uint8_t *p)
{
	return ct_snap_get32(p) | (uint64_t)ct_snap_get32(p + 4) << 32;
}

static size_t ct_snap_alen(uint8_t family)
{
	return family == AF_INET ? 4 : family == AF_INET6 ? 16 : 0;
}

/* ct_snap_reserve() - Room for EXTRA more bytes; false if memory ran out. */
static bool ct_snap_reserve(struct ct_snap_buf *b, size_t extra)
{
	size_t cap = b->cap ? b->cap : 65536;
	uint8_t *p;

	while (cap < b->len + extra)
		cap *= 2;
	if (cap == b->cap)
		return true;
	p = realloc(b->p, cap);
	if (!p)
		return false;
	b->p = p;
	b->cap = cap;
	return true;
}

/* --- encoding ---------------------------------------------------------- */

/* Addresses go out in their wire size (4 bytes for IPv4, as version 1
 * always wrote them), not as the 16-byte mapped form held in the key. */
static uint8_t *ct_snap_put_key(uint8_t *p, const struct ct_key *k, size_t alen)
{
	memcpy(p, alen == 4 ? &k->src.v4mapped.a4 : (const void *)k->src.b, alen);
	memcpy(p + alen, alen == 4 ? &k->dst.v4mapped.a4 : (const void *)k->dst.b, alen);
	memcpy(p + 2 * alen, &k->sport, 2);
	memcpy(p + 2 * alen + 2, &k->dport, 2);
	return p + 2 * alen + 4;
}

static uint8_t ct_snap_nat_kind(struct ct_snapshot *snap, const struct ct_entry *e)
{
	if (!e->map)
		return CT_SNAP_NAT_NONE;
	return e->map->bysource ? CT_SNAP_NAT_SHARED : CT_SNAP_NAT_PRIVATE;
}

/* ct_snap_put_entry() - Append E's record (ct_walk() callback; room for
 * the step's entries was reserved before it). */
static void ct_snap_put_entry(struct ct_entry *e, void *arg)
{
	struct ct_snapshot *snap = arg;
	const struct ct_key *o = &e->n[CT_DIR_ORIG].key, *r = &e->n[CT_DIR_REPLY].key;
	size_t alen = ct_snap_alen(o->family);
	uint8_t *p = snap->buf.p + snap->buf.len;

	(void)arg;
	if (!alen || e->zone >= NAT_MAX_ZONES || o->zone >= NAT_MAX_ZONES ||
	    r->zone >= NAT_MAX_ZONES)
		return;      /* nothing makes these; they could not be named */
	memset(p, 0, CT_SNAP_REC);
	p[0] = o->family;
	p[1] = e->proto;
	p[2] = e->state;
	p[3] = e->tclass;
	p[4] = e->flags;
	p[5] = ct_snap_nat_kind(snap, e);
	ct_snap_le16(p + 8, (uint16_t)e->zone);
	ct_snap_le16(p + 10, (uint16_t)o->zone);
	ct_snap_le16(p + 12, (uint16_t)r->zone);
	ct_snap_le64(p + 16, snap->wall + ct_remaining_ms(snap->dp->ct, e));
	p = ct_snap_put_key(p + CT_SNAP_REC, o, alen);
	p = ct_snap_put_key(p, r, alen);
	snap->zone_used[e->zone] = snap->zone_used[o->zone] = snap->zone_used[r->zone] = 1;
	snap->buf.len = (size_t)(p - snap->buf.p);
	snap->buf_entries++;
}

/* ct_snap_put_zones() - The zone table: each zone used, by name. */
static uint32_t ct_snap_put_zones(struct ct_snapshot *snap)
{
	uint32_t z, n = 0;

	if (!ct_snap_reserve(&snap->buf, (size_t)NAT_MAX_ZONES * (3 + VS_NAME_MAX)))
		return UINT32_MAX;
	for (z = 1; z < NAT_MAX_ZONES; z++) {
		const char *name = nat_zone_name(snap->dp->nat, z);
		size_t len = strnlen(name, VS_NAME_MAX - 1);
		uint8_t *p;

		if (!snap->zone_used[z])
			continue;
		p = snap->buf.p + snap->buf.len;
		ct_snap_le16(p, (uint16_t)z);
		p[2] = (uint8_t)len;
		memcpy(p + 3, name, len);
		snap->buf.len += 3 + len;
		n++;
	}
	return n;
}

static void ct_snap_put_header(struct ct_snapshot *snap, uint32_t n_zones, size_t zones_off)
{
	uint8_t *h = snap->buf.p;
	size_t body = snap->buf.len - CT_SNAP_HDR;
	uLong crc;

	memset(h, 0, CT_SNAP_HDR);
	memcpy(h, CT_SNAP_MAGIC, 4);
	ct_snap_le16(h + 4, CT_SNAP_VERSION);
	ct_snap_le16(h + 6, CT_SNAP_HDR);
	ct_snap_le64(h + 8, snap->begun);
	ct_snap_le32(h + 16, (uint32_t)snap->buf_entries);
	ct_snap_le32(h + 20, n_zones);
	ct_snap_le32(h + 24, (uint32_t)(zones_off - CT_SNAP_HDR));
	ct_snap_le32(h + 28, (uint32_t)body);
	crc = crc32_z(0, h, CT_SNAP_CRC_OFS);
	crc = crc32_z(crc, h + CT_SNAP_HDR, body);
	ct_snap_le32(h + CT_SNAP_CRC_OFS, (uint32_t)crc);
}

static uint64_t ct_snap_us_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (uint64_t)((t1.tv_sec - t0->tv_sec) * 1000000 +
			  (t1.tv_nsec - t0->tv_nsec) / 1000);
}

/* ct_snap_encode_begin() - Start an encoding: the header's room, no zone. */
static bool ct_snap_encode_begin(struct ct_snapshot *snap)
{
	snap->buf.len = 0;
	snap->buf_entries = 0;
	snap->cursor = 0;
	snap->begun = ct_snap_wall_ms(snap);
	memset(snap->zone_used, 0, sizeof(snap->zone_used));
	if (!ct_snap_reserve(&snap->buf, CT_SNAP_HDR))
		return false;
	snap->buf.len = CT_SNAP_HDR;
	return true;
}

/**
 * ct_snap_encode_step() - Encode the entries of the next BUDGET pool slots
 * @budget:	slots to visit
 *
 * Return: 1 when the table is done, 0 when slots remain, -1 if memory ran out
 */
static int ct_snap_encode_step(struct ct_snapshot *snap, uint32_t budget)
{
	if (snap->buf_entries >= CT_SNAP_MAX_ENTRIES ||
	    !ct_snap_reserve(&snap->buf, (size_t)budget * CT_SNAP_REC_MAX))
		return -1;
	snap->wall = ct_snap_wall_ms(snap);    /* deadline = now + time left */
	return ct_walk(snap->dp->ct, &snap->cursor, budget, ct_snap_put_entry, snap) ? 1 : 0;
}

/* ct_snap_encode_end() - Zone table and header; the length, 0 if no memory. */
static size_t ct_snap_encode_end(struct ct_snapshot *snap)
{
	size_t zones_off = snap->buf.len;
	uint32_t n_zones = ct_snap_put_zones(snap);

	if (n_zones == UINT32_MAX)
		return 0;
	ct_snap_put_header(snap, n_zones, zones_off);
	return snap->buf.len;
}

/**
 * ct_snapshot_encode() - Encode the whole table at once
 *
 * For the graceful stop, ct_snapshot_save() and the benchmark; the running
 * daemon encodes CT_SNAP_STEP slots per loop iteration instead.
 *
 * Return: bytes encoded, or 0 if memory ran out
 */
size_t ct_snapshot_encode(struct ct_snapshot *snap)
{
	int rc;

	if (!ct_snap_encode_begin(snap))
		return 0;
	while (!(rc = ct_snap_encode_step(snap, CT_SNAP_STEP)))
		;
	return rc < 0 ? 0 : ct_snap_encode_end(snap);
}

/* --- writing ----------------------------------------------------------- */

/**
 * ct_snap_write_file() - Put BUF at DIR/conntrack.snap, atomically
 * @dir:	state directory
 * @buf:	encoded snapshot
 * @len:	its length
 *
 * As state.json is written (state_write_file), so a crash leaves the old
 * snapshot or the new one.  Runs in the writer thread: it touches nothing
 * but its arguments.
 *
 * Return: 0, or the errno of the step that failed
 */
static int ct_snap_write_file(const char *dir, const uint8_t *buf, size_t len)
{
	struct iovec iov = { (void *)buf, len };

	return state_write_file(dir, CT_SNAP_FILE, &iov, 1) ? errno : 0;
}

/* ct_snap_account() - Count a finished write.  A failed one is retried,
 * not at once (a full disk stays full for a while) but after
 * CT_SNAP_REFRESH_DELAY, doubling up to CT_SNAP_RETRY_MAX: the changes it
 * carried are not on disk, and a kill -9 must not lose them for good. */
static void ct_snap_account(struct ct_snapshot *snap, int err, bool quiet)
{
	if (!err) {
		snap->stats.writes++;
		snap->stats.last_entries = snap->buf_entries;
		snap->stats.last_bytes = snap->buf.len;
		snap->failed = false;
		snap->retry = 0;
		return;
	}
	snap->stats.write_errors++;
	snap->failed = true;
	snap->lazy = true;
	snap->retry = snap->retry ? snap->retry * 2 : CT_SNAP_REFRESH_DELAY;
	if (snap->retry > CT_SNAP_RETRY_MAX)
		snap->retry = CT_SNAP_RETRY_MAX;
	if (!quiet)
		VLOG_RL(LOG_LVL_WARN, "cannot write the conntrack snapshot to %s/%s: %s",
			snap->dir, CT_SNAP_FILE, strerror(err));
}

/**
 * ct_snapshot_save() - Encode and write the table now, in this thread
 * @dir:	state directory
 * @err:	one-line reason on failure
 * @errlen:	size of @err
 *
 * Return: 0, or -1
 */
int ct_snapshot_save(struct ct_snapshot *snap, const char *dir, char *err, size_t errlen)
{
	int e;

	if (!ct_snapshot_encode(snap)) {
		snprintf(err, errlen, "conntrack snapshot: out of memory");
		return -1;
	}
	e = ct_snap_write_file(dir, snap->buf.p, snap->buf.len);
	ct_snap_account(snap, e, true);    /* the caller reports @err */
	if (e)
		snprintf(err, errlen, "cannot write the conntrack snapshot to %s/%s: %s",
			 dir, CT_SNAP_FILE, strerror(e));
	return e ? -1 : 0;
}

static void ct_snap_schedule(struct ct_snapshot *snap)
{
	double delay = snap->urgent ? CT_SNAP_DELAY :
		       snap->failed ? snap->retry : CT_SNAP_REFRESH_DELAY;

	if (snap->encoding || snap->writing || (!snap->urgent && !snap->lazy))
		return;     /* the writer's end schedules */
	if (ev_is_active(&snap->timer)) {
		if (ev_timer_remaining(snap->loop, &snap->timer) <= delay)
			return;
		ev_timer_stop(snap->loop, &snap->timer);
	}
	ev_timer_set(&snap->timer, delay, 0.);
	ev_timer_start(snap->loop, &snap->timer);
}

/* ct_snap_changed() - the conntrack change hook: per packet, so one test and out
 * unless this is the first change since the last write began. */
static void ct_snap_changed(void *arg, bool structural)
{
	struct ct_snapshot *snap = arg;

	if (snap->urgent || (!structural && snap->lazy))
		return;
	if (structural)
		snap->urgent = true;
	else
		snap->lazy = true;
	ct_snap_schedule(snap);
}

static void *ct_snap_writer(void *arg)
{
	struct ct_snapshot *snap = arg;

	snap->write_err = ct_snap_write_file(snap->dir, snap->buf.p, snap->buf.len);
	ev_async_send(snap->loop, &snap->done);
	return NULL;
}

/* ct_snap_spawn() - Start the writer thread with every signal blocked in
 * it, so that signals keep going to the loop. */
static int ct_snap_spawn(struct ct_snapshot *snap)
{
	sigset_t all, old;
	int rc;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&snap->writer, NULL, ct_snap_writer, snap);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

/* ct_snap_encoded() - The encoding is complete: hand it to the writer. */
static void ct_snap_encoded(struct ct_snapshot *snap)
{
	snap->encoding = false;
	if (!ct_snap_encode_end(snap)) {
		ct_snap_account(snap, ENOMEM, false);
		ct_snap_schedule(snap);
		return;
	}
	snap->writing = true;
	if (ct_snap_spawn(snap)) {      /* no thread: write from the loop, once */
		snap->writing = false;
		ct_snap_account(snap, ct_snap_write_file(snap->dir, snap->buf.p, snap->buf.len),
				false);
		ct_snap_schedule(snap);
	}
}

/* ct_snap_timer_cb() - Begin an encoding, or go on with it: CT_SNAP_STEP
 * slots per loop iteration, so the loop never pauses longer than that for
 * a snapshot whatever the table's size.  A zero timer runs once per
 * iteration, after the packets, also under a load that starves ev_idle. */
static void ct_snap_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct ct_snapshot *snap = (struct ct_snapshot *)(void *)((char *)w -
						     offsetof(struct ct_snapshot, timer));
	struct timespec t0;
	uint64_t us;
	int rc;

	(void)w;
	(void)revents;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (!snap->encoding) {
		snap->writing_urgent = snap->urgent || snap->failed;
		snap->urgent = snap->lazy = false;
		snap->encoding = ct_snap_encode_begin(snap);
	}
	rc = snap->encoding ? ct_snap_encode_step(snap, CT_SNAP_STEP) : -1;
	us = ct_snap_us_since(&t0);
	if (us > snap->stats.max_step_us)
		snap->stats.max_step_us = us;
	if (rc == 0) {
		ev_timer_set(&snap->timer, 0., 0.);
		ev_timer_start(loop, &snap->timer);
	} else if (rc > 0) {
		ct_snap_encoded(snap);
	} else {
		snap->encoding = false;
		ct_snap_account(snap, ENOMEM, false);
		ct_snap_schedule(snap);
	}
}

/* ct_snap_join() - Reap the writer thread and count its result. */
static void ct_snap_join(struct ct_snapshot *snap)
{
	if (!snap->writing)
		return;
	pthread_join(snap->writer, NULL);
	snap->writing = false;
	ct_snap_account(snap, snap->write_err, false);
}

static void ct_snap_done_cb(struct ev_loop *loop, ev_async *w, int revents)
{
	struct ct_snapshot *snap = (struct ct_snapshot *)(void *)((char *)w -
						     offsetof(struct ct_snapshot, done));

	(void)loop;
	(void)revents;
	ct_snap_join(snap);
	ct_snap_schedule(snap);
}

const struct ct_snap_stats *ct_snapshot_stats(struct ct_snapshot *snap)
{
	snap->stats.pending = snap->urgent || snap->failed ||
			     ((snap->encoding || snap->writing) && snap->writing_urgent);
	snap->stats.scheduled = snap->enabled && ev_is_active(&snap->timer);
	return &snap->stats;
}

/* --- loading ----------------------------------------------------------- */

struct ct_snap_file {
	const uint8_t *body;
	uint64_t written;
	uint32_t n_entries, n_zones, zones_off, body_len;
};

/* ct_snap_read() - The whole file; NULL with errno (ENOENT: none yet, EFBIG:
 * larger than any snapshot can be). */
static uint8_t *ct_snap_read(const char *path, size_t *len)
{
	size_t max = CT_SNAP_HDR + (size_t)CT_SNAP_MAX_ENTRIES * CT_SNAP_REC_MAX +
		     (size_t)NAT_MAX_ZONES * (3 + VS_NAME_MAX);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	uint8_t *buf = NULL;
	struct stat st;
	ssize_t n = 0;

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st))
		goto out;
	if ((size_t)st.st_size > max) {
		errno = EFBIG;
		goto out;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (buf) {
		*len = 0;
		while (*len < (size_t)st.st_size &&
		       (n = read(fd, buf + *len, (size_t)st.st_size - *len)) > 0)
			*len += (size_t)n;
		if (n < 0) {
			free(buf);
			buf = NULL;
		}
	}
out:
	close(fd);
	return buf;
}

/* ct_snap_parse_header() - Check the frame of the file; why on failure. */
static const char *ct_snap_parse_header(struct ct_snapshot *snap, const uint8_t *p, size_t len,
					struct ct_snap_file *f)
{
	uLong crc;

	if (len < CT_SNAP_HDR)
		return "truncated header";
	if (memcmp(p, CT_SNAP_MAGIC, 4))
		return "not a conntrack snapshot";
	if (ct_snap_get16(p + 4) != CT_SNAP_VERSION)
		return "unknown version (this vswitchd reads version 1)";
	f->body_len = ct_snap_get32(p + 28);
	if (ct_snap_get16(p + 6) != CT_SNAP_HDR || ct_snap_get32(p + 36))
		return "bad header";
	if ((size_t)f->body_len != len - CT_SNAP_HDR)
		return len - CT_SNAP_HDR < f->body_len ? "truncated" : "trailing bytes";
	crc = crc32_z(0, p, CT_SNAP_CRC_OFS);
	crc = crc32_z(crc, p + CT_SNAP_HDR, f->body_len);
	if ((uint32_t)crc != ct_snap_get32(p + CT_SNAP_CRC_OFS))
		return "checksum mismatch";
	f->body = p + CT_SNAP_HDR;
	f->written = ct_snap_get64(p + 8);
	f->n_entries = ct_snap_get32(p + 16);
	f->n_zones = ct_snap_get32(p + 20);
	f->zones_off = ct_snap_get32(p + 24);
	if (f->zones_off > f->body_len || f->n_entries > CT_SNAP_MAX_ENTRIES)
		return "bad header";
	return NULL;
}

/* ct_snap_zone_now() - Our zone for network NAME, or CT_SNAP_ZGONE. */
static uint32_t ct_snap_zone_now(struct ct_snapshot *snap, const char *name)
{
	struct network *n = model_network_in(snap->dp->model, name);
	uint32_t z;

	if (!n)
		return CT_SNAP_ZGONE;
	z = nat_zone_of(snap->dp->nat, n);
	return z == CT_ZONE_OUTSIDE ? CT_SNAP_ZGONE : z;
}

/* ct_snap_parse_zones() - Fill snap->zmap from the zone table. */
static const char *ct_snap_parse_zones(struct ct_snapshot *snap, const struct ct_snap_file *f)
{
	uint32_t off = f->zones_off, i, z;
	char name[VS_NAME_MAX];
	uint8_t len;

	for (z = 0; z < NAT_MAX_ZONES; z++)
		snap->zmap[z] = CT_SNAP_ZNONE;
	snap->zmap[CT_ZONE_OUTSIDE] = CT_ZONE_OUTSIDE;
	for (i = 0; i < f->n_zones; i++) {
		if (f->body_len - off < 3)
			return "truncated zone table";
		z = ct_snap_get16(f->body + off);
		len = f->body[off + 2];
		if (z == CT_ZONE_OUTSIDE || z >= NAT_MAX_ZONES || !len ||
		    len >= VS_NAME_MAX || f->body_len - off - 3 < len ||
		    snap->zmap[z] != CT_SNAP_ZNONE ||
		    memchr(f->body + off + 3, 0, len))
			return "bad zone table";
		memcpy(name, f->body + off + 3, len);
		name[len] = '\0';
		snap->zmap[z] = ct_snap_zone_now(snap, name);
		off += 3u + len;
	}
	return off == f->body_len ? NULL : "bad zone table";
}

struct ct_snap_rec {
	struct ct_entry tmpl;    /* zones still the file's */
	uint64_t deadline;
	uint8_t nat;
};

/* ct_snap_state_ok() - Are state and class ones the protocol has? */
static bool ct_snap_state_ok(struct ct_snapshot *snap, uint8_t proto, uint8_t state, uint8_t tclass)
{
	switch (proto) {
	case IPPROTO_TCP:
		return state < CT_TCP_MAX && tclass <= CT_TC_TCP_CLOSE;
	case IPPROTO_UDP:
		return state <= 1 && (tclass == CT_TC_UDP_UNREPLIED ||
				      tclass == CT_TC_UDP_ASSURED);
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		return state == 0 && tclass == CT_TC_ICMP;
	default:
		return false;
	}
}

/* ct_snap_get_key() - Decode a tuple of family REC[0], protocol REC[1]. */
static const uint8_t *ct_snap_get_key(const uint8_t *p, struct ct_key *k,
				      const uint8_t *rec, size_t alen)
{
	memset(k, 0, sizeof(*k));
	vs_addr_from_bytes(&k->src, rec[0], p);
	vs_addr_from_bytes(&k->dst, rec[0], p + alen);
	memcpy(&k->sport, p + 2 * alen, 2);
	memcpy(&k->dport, p + 2 * alen + 2, 2);
	k->family = rec[0];
	k->proto = rec[1];
	return p + 2 * alen + 4;
}

/* ct_snap_fixed_ok() - Is the fixed part of record P one we could write:
 * a state the protocol has, known flags, a NAT port exactly when SNAT'd
 * and then from a network, reserved bytes zero? */
static bool ct_snap_fixed_ok(struct ct_snapshot *snap, const uint8_t *p)
{
	bool snat = p[4] & CT_F_SNAT;

	return ct_snap_state_ok(snap, p[1], p[2], p[3]) && p[4] <= 0x0f && p[5] <= 2 &&
	       !p[6] && !p[7] && !ct_snap_get16(p + 14) && snat == !!p[5] &&
	       (!snat || ct_snap_get16(p + 10) != CT_ZONE_OUTSIDE);
}

/* ct_snap_zone_known() - Is file zone Z in the file's zone table? */
static bool ct_snap_zone_known(struct ct_snapshot *snap, uint32_t z)
{
	return z < NAT_MAX_ZONES && snap->zmap[z] != CT_SNAP_ZNONE;
}

/**
 * ct_snap_parse_rec() - Decode the record at *OFF (structure only)
 * @f:		the file
 * @off:	offset in the body; advanced past the record
 * @r:		filled
 *
 * Return: NULL, or why the record (and so the file) is bad
 */
static const char *ct_snap_parse_rec(struct ct_snapshot *snap, const struct ct_snap_file *f, uint32_t *off,
				     struct ct_snap_rec *r)
{
	const uint8_t *rec = f->body + *off, *p;
	uint32_t room = f->zones_off - *off;
	size_t alen;

	if (room < CT_SNAP_REC || !(alen = ct_snap_alen(rec[0])) || !ct_snap_fixed_ok(snap, rec))
		return "bad entry";
	if (room < CT_SNAP_REC + 2 * (2 * alen + 4))
		return "truncated entry";
	memset(r, 0, sizeof(*r));
	r->tmpl.proto = rec[1];
	r->tmpl.state = rec[2];
	r->tmpl.tclass = rec[3];
	r->tmpl.flags = rec[4];
	r->nat = rec[5];
	r->tmpl.zone = ct_snap_get16(rec + 8);
	r->deadline = ct_snap_get64(rec + 16);
	p = ct_snap_get_key(rec + CT_SNAP_REC, &r->tmpl.n[0].key, rec, alen);
	p = ct_snap_get_key(p, &r->tmpl.n[1].key, rec, alen);
	r->tmpl.n[0].key.zone = ct_snap_get16(rec + 10);
	r->tmpl.n[1].key.zone = ct_snap_get16(rec + 12);
	*off = (uint32_t)(p - f->body);
	if (!ct_snap_zone_known(snap, r->tmpl.zone) || !ct_snap_zone_known(snap, r->tmpl.n[0].key.zone) ||
	    !ct_snap_zone_known(snap, r->tmpl.n[1].key.zone))
		return "entry names a zone the table lacks";
	return NULL;
}

/* ct_snap_rezone() - Move the record to our zone numbers; false if one of
 * its networks is gone. */
static bool ct_snap_rezone(struct ct_snapshot *snap, struct ct_snap_rec *r)
{
	uint32_t *zs[3] = { &r->tmpl.zone, &r->tmpl.n[0].key.zone, &r->tmpl.n[1].key.zone };
	int i;

	for (i = 0; i < 3; i++) {
		if (snap->zmap[*zs[i]] == CT_SNAP_ZGONE)
			return false;
		*zs[i] = snap->zmap[*zs[i]];
	}
	return true;
}

/* ct_snap_current() - Does every address of E still mean what it meant:
 * containers still on their (non-internal) network, the uplink IPs ours? */
static bool ct_snap_current(struct ct_snapshot *snap, const struct ct_entry *e)
{
	int d;

	for (d = 0; d < 2; d++) {
		const struct ct_key *k = &e->n[d].key;
		struct network *n;

		if (k->family != AF_INET && k->family != AF_INET6)
			return false;
		if (k->zone == CT_ZONE_OUTSIDE) {
			/* to one of the uplinks' addresses, as they are now */
			if (nat_ext_find(snap->dp->nat, &k->dst) < 0)
				return false;
			continue;
		}
		n = nat_zone_network(snap->dp->nat, k->zone);
		if (!n || n->internal ||
		    !(k->family == AF_INET6 ? model_endpoint_by_ip6_fast(n, &k->src) :
		      model_endpoint_by_ip4(n, nat_key_ip4(&k->src))))
			return false;
	}
	return true;
}

/* ct_snap_restore() - Bring one checked record back, or count why not. */
static void ct_snap_restore(struct ct_snapshot *snap, struct ct_snap_rec *r, uint64_t wall,
			    struct ct_snap_load *res)
{
	const struct ct_key *o = &r->tmpl.n[CT_DIR_ORIG].key;
	const struct ct_key *rk = &r->tmpl.n[CT_DIR_REPLY].key;
	struct nat_mapping *m = NULL;
	struct ct_entry *e;

	if (r->deadline <= wall) {
		res->expired++;
		return;
	}
	if (!ct_snap_rezone(snap, r) || !ct_snap_current(snap, &r->tmpl)) {
		res->stale++;
		return;
	}
	if (ct_get_stats(snap->dp->ct)->entries >= ct_get_stats(snap->dp->ct)->limit) {
		res->full++;
		return;
	}
	if (r->nat && !(m = nat_mapping_reserve(snap->dp->nat, nat_ext_find(snap->dp->nat, &rk->dst),
						 o->zone, r->tmpl.proto,
						 &o->src, o->sport,
						 rk->dport, r->nat == CT_SNAP_NAT_SHARED))) {
		res->clash++;
		return;
	}
	e = ct_restore(snap->dp->ct, &r->tmpl, r->deadline - wall);
	if (!e) {
		nat_mapping_put(snap->dp->nat, m);
		res->clash++;
		return;
	}
	e->map = m;
	res->restored++;
}

/* ct_snap_walk() - Check every record (RES NULL), or restore them. */
static const char *ct_snap_walk(struct ct_snapshot *snap, const struct ct_snap_file *f, struct ct_snap_load *res)
{
	uint64_t wall = ct_snap_wall_ms(snap);
	struct ct_snap_rec r;
	uint32_t off = 0, i;
	const char *why;

	for (i = 0; i < f->n_entries; i++) {
		why = ct_snap_parse_rec(snap, f, &off, &r);
		if (why)
			return why;
		if (res)
			ct_snap_restore(snap, &r, wall, res);
	}
	return off == f->zones_off ? NULL : "trailing entries";
}

/**
 * ct_snapshot_load() - Restore the table from DIR/conntrack.snap
 * @dir:	state directory
 * @res:	what happened to the entries
 * @err:	one-line reason when the file is unusable
 * @errlen:	size of @err
 *
 * The whole file is checked before the first entry is restored, so an
 * unusable file restores nothing.
 *
 * Return: 0 (loaded), 1 (no snapshot), -1 (unusable: @err says why)
 */
int ct_snapshot_load(struct ct_snapshot *snap, const char *dir, struct ct_snap_load *res,
		     char *err, size_t errlen)
{
	char path[4200];
	struct ct_snap_file f;
	const char *why;
	size_t len = 0;
	uint8_t *buf;

	memset(res, 0, sizeof(*res));
	snprintf(path, sizeof(path), "%s/%s", dir, CT_SNAP_FILE);
	buf = ct_snap_read(path, &len);
	if (!buf) {
		if (errno == ENOENT)
			return 1;
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
		return -1;
	}
	why = ct_snap_parse_header(snap, buf, len, &f);
	if (!why)
		why = ct_snap_parse_zones(snap, &f);
	if (!why)
		why = ct_snap_walk(snap, &f, NULL);
	if (!why) {
		ct_snap_walk(snap, &f, res);
		if (ct_restore_finish(snap->dp->ct))
			log_warn("conntrack snapshot: no memory to order the expiry lists");
	}
	free(buf);
	if (why)
		snprintf(err, errlen, "%s: %s", path, why);
	return why ? -1 : 0;
}

/* --- life cycle -------------------------------------------------------- */

static void ct_snap_log_load(struct ct_snapshot *snap, const char *dir, struct ev_loop *loop)
{
	struct ct_snap_load r;
	char err[4400];
	int rc;

	ev_now_update(loop);      /* start-up took time: deadlines from now */
	rc = ct_snapshot_load(snap, dir, &r, err, sizeof(err));
	if (rc < 0)
		log_warn("conntrack snapshot ignored, conntrack starts empty: %s", err);
	else if (rc == 0)
		log_info("conntrack snapshot: %llu entries restored (%llu expired, "
			 "%llu stale, %llu clashing, %llu over the limit)",
			 (unsigned long long)r.restored, (unsigned long long)r.expired,
			 (unsigned long long)r.stale, (unsigned long long)r.clash,
			 (unsigned long long)r.full);
}

/**
 * ct_snapshot_init() - Load DIR's snapshot, then keep it current
 * @snap:	snapshot instance, zeroed
 * @dp:		the datapath whose conntrack (and NAT bindings) it keeps; its
 *		loop runs the timer and the writer's completion
 * @dir:	state directory
 *
 * Call after the model and the published ports are restored and before
 * the loop runs.  Nothing here stops vswitchd.
 *
 * Return: 0
 */
int ct_snapshot_init(struct ct_snapshot *snap, struct dp *dp, const char *dir)
{
	struct ev_loop *loop = dp->loop;

	memset(&snap->stats, 0, sizeof(snap->stats));
	snap->dp = dp;
	snap->loop = loop;
	snprintf(snap->dir, sizeof(snap->dir), "%s", dir);
	ct_snap_log_load(snap, dir, loop);
	snap->urgent = snap->lazy = snap->failed = snap->writing = snap->encoding = false;
	snap->retry = 0;
	ev_timer_init(&snap->timer, ct_snap_timer_cb, 0., 0.);
	ev_async_init(&snap->done, ct_snap_done_cb);
	ev_async_start(loop, &snap->done);
	ct_set_change_hook(snap->dp->ct, ct_snap_changed, snap);
	snap->enabled = true;
	return 0;
}

/**
 * ct_snapshot_fini() - Final snapshot (graceful stop), then stop
 *
 * Waits for a write in flight, then writes the table as it is now.
 */
void ct_snapshot_fini(struct ct_snapshot *snap)
{
	char err[4400];

	if (!snap->enabled)
		return;
	ct_set_change_hook(snap->dp->ct, NULL, NULL);
	ct_snap_join(snap);
	snap->encoding = false;     /* a partial one: the save below redoes it */
	ev_timer_stop(snap->loop, &snap->timer);
	ev_async_stop(snap->loop, &snap->done);
	if (ct_snapshot_save(snap, snap->dir, err, sizeof(err)))
		log_err("%s", err);
	else
		log_info("conntrack snapshot: %llu entries saved",
			 (unsigned long long)snap->stats.last_entries);
	free(snap->buf.p);
	memset(&snap->buf, 0, sizeof(snap->buf));
	snap->enabled = false;
}
