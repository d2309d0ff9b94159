/* recorder.c - the flight recorder: the last frames each port saw.
 *
 * DOC: Theory of Operation
 *
 * Every port keeps, always, the last frames it received and sent, so that
 * after something went wrong `vsctl capture --container C --recorder`
 * shows what led up to it without having had a capture running.
 *
 * Whole frames, not a snap length: people read these with tcpdump and
 * want the payload.  Memory is bounded twice per port:
 * - at most DEPTH frames (recorder_set_depth, default 256);
 * - at most BUDGET bytes of frame data (recorder_set_budget, default
 *   1 MiB), so that a burst of 64 KB GSO frames cannot make the recorder
 *   of one port hold 16 MB.  A single frame larger than BUDGET/4 is kept
 *   truncated to BUDGET/4 bytes (its pcap record says so: caplen < len).
 * Whichever bound is hit first evicts the oldest frames.  Both buffers are
 * allocated once when the port is made (recorder_new), and depth and
 * budget changes apply to ports made afterwards.
 *
 * Layout: frame bytes sit in one byte ring written front to back; a frame
 * that does not fit before the end starts again at offset 0 (the tail is
 * wasted, at most one frame's worth; frames still in it are the oldest and
 * are evicted at the wrap).  A circular array of DEPTH entries says where
 * each frame is.  Live bytes therefore run, in ring order, from the oldest
 * entry to the write position, so making room means evicting from the
 * oldest end only: amortised O(1) per frame, no scan.
 *
 * Sized by what it holds: the ring goes back to offset 0 as soon as the
 * frame fits before the oldest live frame, not only at the end of the
 * budget.  Otherwise a port that keeps 256 small frames would still walk
 * its write position through the whole 1 MiB, touching every page: with
 * each container's multicast chatter flooded to every port, 500
 * containers made vswitchd's RSS 297 MB (issue 19).  Now the pages
 * touched stay about twice the live bytes (recorder_extent()), and the
 * malloc'd budget above that is never faulted in.
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

struct recorder_ent {
	uint32_t off, caplen, len;
	struct timeval ts;
};

struct recorder {
	unsigned int depth;
	size_t budget;
	struct recorder_ent *ents;
	unsigned int first, count;   /* oldest entry, number of entries */
	uint8_t *buf;
	size_t wpos;
	size_t extent;               /* bytes of buf ever written: its RSS */
};

static unsigned int recorder_depth = RECORDER_DEPTH_DEFAULT;
static size_t recorder_budget = RECORDER_BUDGET_DEFAULT;

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

/**
 * recorder_new() - A recorder for a new port, with the current bounds
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
	r->budget = recorder_budget;
	r->ents = calloc(r->depth, sizeof(*r->ents));
	r->buf = malloc(r->budget);
	if (!r->ents || !r->buf) {
		recorder_free(r);
		return NULL;
	}
	return r;
}

void recorder_free(struct recorder *r)
{
	if (!r)
		return;
	free(r->ents);
	free(r->buf);
	free(r);
}

static void recorder_evict_oldest(struct recorder *r)
{
	r->first = (r->first + 1) % r->depth;
	r->count--;
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
	uint32_t len = p->len, caplen = len < r->budget / 4 ? len : (uint32_t)(r->budget / 4);
	struct recorder_ent *e;

	/* rx frames are recorded before parsing sets PKT_F_GSO: ask the header */
	if ((p->flags & PKT_F_GSO || p->vnet.gso_type != VIRTIO_NET_HDR_GSO_NONE) &&
	    caplen > RECORDER_GSO_SNAP)
		caplen = RECORDER_GSO_SNAP;
	if (r->wpos && (!r->count || (r->ents[r->first].off < r->wpos &&
				      r->ents[r->first].off >= caplen))) {
		/* Every live frame lies in [oldest, wpos) and the start is
		 * free: write there, so the ring's pages stay those it needs. */
		r->wpos = 0;
	} else if (r->wpos + caplen > r->budget) {
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
	size_t sum = 0;
	unsigned int i;

	if (!r)
		return 0;
	for (i = 0; i < r->count; i++)
		sum += r->ents[(r->first + i) % r->depth].caplen;
	return sum;
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
