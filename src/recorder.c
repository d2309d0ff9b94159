/* recorder.c - the flight recorder: the last frames each port saw.
 *
 * DOC: Theory of Operation
 *
 * Every port keeps, always, the last frames it received and sent, so that
 * after something went wrong `vsctl capture --container C --recorder`
 * shows what led up to it without having had a capture running.
 *
 * Whole frames, not a snap length: people read these with tcpdump and
 * want the payload.  Memory is bounded three ways:
 * - at most DEPTH frames per port (recorder_set_depth, default 256);
 * - at most MAX bytes of frame data per port (recorder_set_budget,
 *   default 1 MiB), so that a burst of 64 KB GSO frames cannot make the
 *   recorder of one port hold 16 MB.  A single frame larger than MAX/4 is
 *   kept truncated to MAX/4 bytes (its pcap record says so: caplen < len);
 * - at most TOTAL bytes of rings over all recorders together
 *   (recorder_set_total, `vswitchd --recorder-memory`, default 64 MiB),
 *   so that memory grows with what ports see, not with how many ports
 *   there are times what one port could hold (issue 19: 1000 containers).
 * Whichever bound is hit first evicts the oldest frames of that port.
 * Depth, MAX and TOTAL changes apply to ports made afterwards (TOTAL: to
 * growth from then on).
 *
 * Sized by what it holds: a recorder starts with no ring at all and the
 * ring grows (doubling, from RECORDER_MIN_CAP) only when a new frame does
 * not fit without evicting a live frame that depth alone would keep and
 * the ring is more than half full (below that the free bytes are only
 * split by the wrap, and the next frames close the dip).  A port that
 * keeps 256 frames of multicast chatter ends with a 64 kB ring, not
 * 1 MiB; a port that never sees a frame costs no ring.  Growing
 * copies the live frames into the new ring (recorder_resize): a malloc and
 * a copy a few times in a port's life, never per frame.
 *
 * One global budget, shared fairly: each recorder may always grow up to
 * its share, TOTAL divided by the number of recorders; above its share it
 * grows only into budget nobody else uses.  When a recorder growing
 * within its share would take the total past TOTAL, the recorders above
 * their share are shrunk to it first (recorder_trim: their oldest frames
 * go, the newest that fit are kept).  So a busy port may use the memory
 * of quiet ones while there is room, and a new port still gets its share
 * when there is not.  A trim walks the recorders once (O(ports)) and
 * copies at most TOTAL bytes; it can only happen after some recorder grew
 * beyond its share, so it is rare, not per frame.  Not "oldest frames of
 * the biggest recorder first": that needs a heap over all recorders kept
 * up to date per frame; the share gives every port a guaranteed look-back,
 * which is what `vsctl capture --recorder` is for.
 *
 * Layout: frame bytes sit in one byte ring written front to back; a frame
 * that does not fit before the end starts again at offset 0 (the tail is
 * wasted, at most one frame's worth; frames still in it are the oldest and
 * are evicted at the wrap).  A circular array of DEPTH entries says where
 * each frame is.  Live bytes therefore run, in ring order, from the oldest
 * entry to the write position, so making room means evicting from the
 * oldest end only: amortised O(1) per frame, no scan.
 *
 * The ring also goes back to offset 0 as soon as the frame fits before
 * the oldest live frame, not only at its end, so the pages it touches stay
 * those it needs (recorder_extent()).  Before both changes each port's
 * recorder walked its whole 1 MiB: with each container's multicast
 * chatter flooded to every port, 500 containers made vswitchd's RSS
 * 297 MB (issue 19).
 *
 * Per frame the cost is one memcpy; the timestamp is taken once per burst.
 * A GSO super-frame (up to 64 KB that the switch carries whole, see
 * doc/ports.md) is kept truncated to RECORDER_GSO_SNAP bytes: its headers
 * and the start of its payload, which is what one reads a recorder for,
 * while copying all of it would cost the datapath as much again as the
 * kernel's own copies (it showed as 17 % of vswitchd's cycles in a TCP
 * profile).  Its pcap record keeps the full length.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "capture.h"
#include "capture_internal.h"

#define RECORDER_GSO_SNAP 2048
#define RECORDER_MIN_CAP 4096	/* first ring: a few frames of chatter */

struct recorder_ent {
	uint32_t off, caplen, len;
	struct timeval ts;
};

struct recorder {
	unsigned int depth;
	size_t max;                  /* per-port bound on cap */
	struct recorder_ent *ents;
	unsigned int first, count;   /* oldest entry, number of entries */
	uint8_t *buf;
	size_t cap;                  /* bytes of buf (0: none yet) */
	size_t wpos;
	size_t bytes;                /* frame bytes held now */
	size_t extent;               /* bytes of buf ever written: its RSS */
	unsigned int idx;            /* in recorder_all[] */
};

static unsigned int recorder_depth = RECORDER_DEPTH_DEFAULT;
static size_t recorder_budget = RECORDER_BUDGET_DEFAULT;
static size_t recorder_limit = RECORDER_TOTAL_DEFAULT;	/* TOTAL */
static size_t recorder_used;	/* sum of every recorder's cap */
static struct recorder **recorder_all;
static unsigned int recorder_n, recorder_all_size;

/* recorder_set_depth() - Frames kept per port made from now on (0: none). */
void recorder_set_depth(unsigned int n)
{
	recorder_depth = n;
}

/* recorder_set_budget() - Bytes of frames kept per port made from now on. */
void recorder_set_budget(size_t bytes)
{
	recorder_budget = bytes < 4096 ? 4096 : bytes;
}

/* recorder_set_total() - Bytes of rings all recorders may hold together. */
void recorder_set_total(size_t bytes)
{
	recorder_limit = bytes < RECORDER_MIN_CAP ? RECORDER_MIN_CAP : bytes;
}

/* recorder_total() - Bytes of rings all recorders hold now. */
size_t recorder_total(void)
{
	return recorder_used;
}

/* recorder_total_limit() - The budget over them (--recorder-memory). */
size_t recorder_total_limit(void)
{
	return recorder_limit;
}

static bool recorder_register(struct recorder *r)
{
	if (recorder_n == recorder_all_size) {
		unsigned int n = recorder_all_size ? 2 * recorder_all_size : 64;
		struct recorder **a = realloc(recorder_all, n * sizeof(*a));

		if (!a)
			return false;
		recorder_all = a;
		recorder_all_size = n;
	}
	r->idx = recorder_n;
	recorder_all[recorder_n++] = r;
	return true;
}

/**
 * recorder_new() - A recorder for a new port, with the current bounds
 *
 * Its ring is allocated by the first frame that needs it.
 *
 * Return: the recorder, or NULL when disabled (depth 0) or out of memory;
 * a port with no recorder simply records nothing.
 */
struct recorder *recorder_new(void)
{
	struct recorder *r;

	if (!recorder_depth)
		return NULL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->depth = recorder_depth;
	r->max = recorder_budget;
	r->ents = malloc(r->depth * sizeof(*r->ents));
	if (!r->ents || !recorder_register(r)) {
		free(r->ents);
		free(r);
		return NULL;
	}
	return r;
}

void recorder_free(struct recorder *r)
{
	if (!r)
		return;
	recorder_all[r->idx] = recorder_all[--recorder_n];
	recorder_all[r->idx]->idx = r->idx;
	recorder_used -= r->cap;
	if (!recorder_n) {
		free(recorder_all);
		recorder_all = NULL;
		recorder_all_size = 0;
	}
	free(r->ents);
	free(r->buf);
	free(r);
}

static void recorder_evict_oldest(struct recorder *r)
{
	r->bytes -= r->ents[r->first].caplen;
	r->first = (r->first + 1) % r->depth;
	r->count--;
}

/**
 * recorder_resize() - Move the newest frames that fit into a ring of CAP
 * @r:   recorder
 * @cap: new ring size (0: drop the ring and every frame)
 *
 * Frames are laid out oldest first from offset 0, so the new ring starts
 * unwrapped.  If the new ring cannot be allocated the old one stays when
 * growing; when shrinking the frames and the ring are dropped, since the
 * budget must hold.
 */
static void recorder_resize(struct recorder *r, size_t cap)
{
	uint8_t *nb = cap ? malloc(cap) : NULL;
	size_t off = 0;
	unsigned int i;

	if (!nb && cap > r->cap)
		return;
	while (r->count && (r->bytes > cap || !nb))
		recorder_evict_oldest(r);
	for (i = 0; i < r->count; i++) {
		struct recorder_ent *e = &r->ents[(r->first + i) % r->depth];

		memcpy(nb + off, r->buf + e->off, e->caplen);
		e->off = (uint32_t)off;
		off += e->caplen;
	}
	free(r->buf);
	recorder_used = recorder_used - r->cap + (nb ? cap : 0);
	r->buf = nb;
	r->cap = nb ? cap : 0;
	r->wpos = off;
	r->extent = off;
}

static size_t recorder_share(void)
{
	size_t share = recorder_limit / (recorder_n ? recorder_n : 1);

	return share < RECORDER_MIN_CAP ? RECORDER_MIN_CAP : share;
}

/* recorder_trim() - Shrink recorders above their share until NEED fits. */
static void recorder_trim(const struct recorder *self, size_t need)
{
	size_t share = recorder_share();
	unsigned int i;

	for (i = 0; i < recorder_n && recorder_used + need > recorder_limit; i++) {
		struct recorder *q = recorder_all[i];

		if (q != self && q->cap > share)
			recorder_resize(q, share);
	}
}

/**
 * recorder_grow() - Make room for a frame of CAPLEN without evicting
 * @r:      recorder
 * @caplen: bytes the frame needs
 *
 * Doubles the ring (at least to hold what it has plus the frame), within
 * the port's MAX and the global budget: beyond the port's share only into
 * unused budget, up to the share always (trimming others above theirs).
 */
static void recorder_grow(struct recorder *r, uint32_t caplen)
{
	size_t want = r->cap ? 2 * r->cap : RECORDER_MIN_CAP, share;

	while (want < r->bytes + caplen)
		want *= 2;
	if (want > r->max)
		want = r->max;
	if (want <= r->cap)
		return;
	if (recorder_used - r->cap + want > recorder_limit) {
		share = recorder_share();
		if (want > share)
			want = share;
		if (want <= r->cap)
			return;
		recorder_trim(r, want - r->cap);
	}
	recorder_resize(r, want);
}

/* recorder_fits() - Whether a frame of CAPLEN goes in without evicting. */
static bool recorder_fits(const struct recorder *r, uint32_t caplen)
{
	size_t oldest;

	if (!r->count)
		return caplen <= r->cap;
	oldest = r->ents[r->first].off;
	if (oldest < r->wpos)	/* live bytes in [oldest, wpos) */
		return r->wpos + caplen <= r->cap || caplen <= oldest;
	return r->wpos + caplen <= oldest;
}

static bool recorder_overlaps(const struct recorder_ent *e, size_t off, size_t len)
{
	return e->off < off + len && off < (size_t)e->off + e->caplen;
}

/**
 * recorder_add() - Keep one frame, evicting the oldest as needed
 * @r:    recorder
 * @p:    frame
 * @ts:   burst timestamp
 */
static void recorder_add(struct recorder *r, const struct pkt *p, const struct timeval *ts)
{
	const uint8_t *data = p->data;
	uint32_t len = p->len, caplen = len < r->max / 4 ? len : (uint32_t)(r->max / 4);
	struct recorder_ent *e;

	/* rx frames are recorded before parsing sets PKT_F_GSO: ask the header */
	if ((p->flags & PKT_F_GSO || p->vnet.gso_type != VIRTIO_NET_HDR_GSO_NONE) &&
	    caplen > RECORDER_GSO_SNAP)
		caplen = RECORDER_GSO_SNAP;
	/* At full depth the oldest goes anyway; then grow only for bytes. */
	if (r->count == r->depth)
		recorder_evict_oldest(r);
	/* Grow only when short of bytes, not when the free bytes are merely
	 * split by the wrap: a ring more than half full.  Growing on every
	 * misfit would walk a full-depth ring of mixed sizes up to MAX. */
	if (!recorder_fits(r, caplen) && 2 * (r->bytes + caplen) > r->cap)
		recorder_grow(r, caplen);
	if (caplen > r->cap)	/* at its share and a huge frame: its head */
		caplen = (uint32_t)r->cap;
	if (!caplen)
		return;
	if (r->wpos && (!r->count || (r->ents[r->first].off < r->wpos &&
				      r->ents[r->first].off >= caplen))) {
		/* Every live frame lies in [oldest, wpos) and the start is
		 * free: write there, so the ring's pages stay those it needs. */
		r->wpos = 0;
	} else if (r->wpos + caplen > r->cap) {
		/* Wrap.  The frames between here and the end are the oldest;
		 * the ring's order now skips them, so they go first, before
		 * writing at 0 overwrites anything newer. */
		while (r->count && r->ents[r->first].off >= r->wpos)
			recorder_evict_oldest(r);
		r->wpos = 0;
	}
	while (r->count &&
	       (r->count == r->depth ||
		recorder_overlaps(&r->ents[r->first], r->wpos, caplen)))
		recorder_evict_oldest(r);
	if (!r->count)
		r->first = 0;
	e = &r->ents[(r->first + r->count) % r->depth];
	e->off = (uint32_t)r->wpos;
	e->caplen = caplen;
	e->len = len;
	e->ts = *ts;
	memcpy(r->buf + r->wpos, data, caplen);
	r->wpos += caplen;
	r->bytes += caplen;
	if (r->wpos > r->extent)
		r->extent = r->wpos;
	r->count++;
}

static void recorder_now(struct timeval *tv)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	tv->tv_sec = ts.tv_sec;
	tv->tv_usec = ts.tv_nsec / 1000;
}

void recorder_batch(struct recorder *r, const struct pkt_batch *b)
{
	struct timeval tv;
	unsigned int i;

	if (!b->count)
		return;
	recorder_now(&tv);
	for (i = 0; i < b->count; i++)
		recorder_add(r, &b->pkts[i], &tv);
}

void recorder_frames(struct recorder *r, struct pkt *const *pkts, unsigned int n)
{
	struct timeval tv;
	unsigned int i;

	if (!n)
		return;
	recorder_now(&tv);
	for (i = 0; i < n; i++)
		recorder_add(r, pkts[i], &tv);
}

unsigned int recorder_count(const struct recorder *r)
{
	return r ? r->count : 0;
}

/* Bytes of the ring ever written: what the recorder costs in RSS. */
size_t recorder_extent(const struct recorder *r)
{
	return r ? r->extent : 0;
}

/* Bytes of frame data held now (what a dump will copy). */
size_t recorder_bytes(const struct recorder *r)
{
	return r ? r->bytes : 0;
}

/* Bytes of ring allocated (what the global budget counts). */
size_t recorder_capacity(const struct recorder *r)
{
	return r ? r->cap : 0;
}

static bool recorder_before(const struct timeval *a, const struct timeval *b)
{
	return a->tv_sec < b->tv_sec ||
	       (a->tv_sec == b->tv_sec && a->tv_usec < b->tv_usec);
}

/**
 * recorder_walk() - Visit the frames of NR recorders, oldest first
 * @rs:  recorders (NULL entries are skipped)
 * @nr:  how many, at most 64
 * @fn:  called for each frame
 * @arg: passed to FN
 *
 * A k-way merge by timestamp, so a container with several interfaces
 * gives one timeline.  Runs on the control path, never per packet.
 */
void recorder_walk(struct recorder *const *rs, unsigned int nr,
		   recorder_visit_fn *fn, void *arg)
{
	unsigned int pos[64] = { 0 };
	unsigned int i;

	if (nr > 64)
		nr = 64;
	for (;;) {
		const struct recorder_ent *best = NULL;
		const struct recorder *br = NULL;
		unsigned int bi = 0;

		for (i = 0; i < nr; i++) {
			const struct recorder *r = rs[i];
			const struct recorder_ent *e;

			if (!r || pos[i] >= r->count)
				continue;
			e = &r->ents[(r->first + pos[i]) % r->depth];
			if (!best || recorder_before(&e->ts, &best->ts)) {
				best = e;
				br = r;
				bi = i;
			}
		}
		if (!best)
			return;
		pos[bi]++;
		fn(arg, br->buf + best->off, best->caplen, best->len, &best->ts);
	}
}
