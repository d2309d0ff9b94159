/* capture.c - capture points, capture sessions, and streaming pcap out.
 *
 * DOC: Theory of Operation
 *
 * A capture point is a pointer in the datapath (port->cap_rx, port->cap_tx,
 * network->cap) that stays NULL while nobody captures there, so an idle
 * point costs one predictable branch in capture.h.  When `vsctl capture`
 * starts, the point gets a struct capture_point: a small array of the
 * sessions watching it (several captures may share a point).
 *
 * A session owns:
 * - a BPF program compiled by libpcap from tcpdump syntax on a dead
 *   DLT_EN10MB handle; frames are filtered here, inside vswitchd, so only
 *   matching frames are copied at all;
 * - a byte ring, allocated once when the session starts, holding framed
 *   messages (doc/capture.md): an 8-byte header, then a pcap record header
 *   and the whole frame.  Copying a frame into the ring is the only work
 *   done on the datapath's time;
 * - the client's socket, written nonblocking from an ev_io writable
 *   watcher in large chunks (one sendmsg for many frames), never from the
 *   datapath itself.
 *
 * Limits: the ring is bounded (CAPTURE_RING_DEFAULT).  A reader slower
 * than the traffic fills it, and then the frame that does not fit is
 * dropped for that session only and counted; the datapath never waits.
 * A little room (CAPTURE_RESERVE) is kept free so that the END trailer
 * with the counts always fits.  Records are whole: a frame is queued
 * entirely or not at all, so the stream is a valid pcap wherever the
 * client stops reading it.
 *
 * Ending: -c COUNT is counted here (exactly COUNT frames are queued),
 * --duration arms a timer, the client shutting its write side (Ctrl-C)
 * or the port or network going away end it too.  Ending detaches the
 * session from its points at once, then drains the ring, appends the END
 * trailer and closes the socket once it is all written (or after
 * CAPTURE_LINGER seconds if the client stops reading).
 *
 * Timestamps come from clock_gettime(CLOCK_REALTIME), a vDSO call rather
 * than a syscall, taken once per burst handed to us.
 */
#include <errno.h>
#include <ev.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
#include "capture.h"
#include "capture_internal.h"
#include "log.h"

#define CAPTURE_RESERVE 256      /* room kept for the END trailer */
#define CAPTURE_LINGER 30.0      /* seconds to drain after the end */
#define CAPTURE_PCAP_REC 16      /* struct pcap_sf_pkthdr on disk */

struct capture_point {
	struct capture_point **slot;  /* where the datapath points at us */
	unsigned int n;
	struct capture_session *s[CAPTURE_PER_POINT];
};

struct capture_session {
	struct ev_loop *loop;
	int fd;
	struct bpf_program prog;
	bool has_prog;
	uint64_t count, captured, dropped;
	double duration;
	char point_name[96];

	/* byte ring of framed messages */
	uint8_t *ring;
	size_t size, head, used;

	struct capture_point **slots[CAPTURE_SLOTS_MAX];
	unsigned int n_slots;

	ev_io wio, rio;
	ev_timer timer;          /* duration, then linger */
	ev_timer done;           /* deferred end (count reached in the datapath) */
	bool started, finishing, trailer_queued;
	const char *reason;
	LIST_ENTRY(capture_session) link;
};

static LIST_HEAD(, capture_session) capture_sessions =
	LIST_HEAD_INITIALIZER(capture_sessions);
static unsigned int capture_n_sessions;
static size_t capture_ring_total;	/* bytes of every session's ring */

/* ---- the ring ---------------------------------------------------------- */

static size_t capture_ring_free(const struct capture_session *s)
{
	return s->size - s->used;
}

static void capture_ring_put(struct capture_session *s, const void *src, size_t len)
{
	size_t tail = (s->head + s->used) % s->size;
	size_t first = s->size - tail < len ? s->size - tail : len;

	memcpy(s->ring + tail, src, first);
	memcpy(s->ring, (const uint8_t *)src + first, len - first);
	s->used += len;
}

static void capture_msg_hdr(uint8_t *h, uint8_t type, uint32_t len)
{
	memset(h, 0, CAPTURE_MSG_HDR);
	h[0] = type;
	h[4] = (uint8_t)(len >> 24);
	h[5] = (uint8_t)(len >> 16);
	h[6] = (uint8_t)(len >> 8);
	h[7] = (uint8_t)len;
}

static void capture_want_write(struct capture_session *s)
{
	if (s->started && !ev_is_active(&s->wio))
		ev_io_start(s->loop, &s->wio);
}

/* The pcap file header goes out first, as an ordinary DATA message. */
static void capture_queue_file_header(struct capture_session *s)
{
	uint8_t m[CAPTURE_MSG_HDR + 24];
	uint32_t w32[4] = { CAPTURE_PCAP_MAGIC, 0, 0, CAPTURE_SNAPLEN };
	uint16_t ver[2] = { 2, 4 };
	uint32_t lt = CAPTURE_LINKTYPE_EN10MB;

	capture_msg_hdr(m, CAPTURE_MSG_DATA, 24);
	memcpy(m + 8, &w32[0], 4);
	memcpy(m + 12, ver, 4);
	memcpy(m + 16, &w32[1], 8);          /* thiszone, sigfigs */
	memcpy(m + 24, &w32[3], 4);
	memcpy(m + 28, &lt, 4);
	capture_ring_put(s, m, sizeof(m));
}

/* ---- sessions ---------------------------------------------------------- */

static void capture_wio_cb(struct ev_loop *loop, ev_io *w, int revents);
static void capture_rio_cb(struct ev_loop *loop, ev_io *w, int revents);
static void capture_timer_cb(struct ev_loop *loop, ev_timer *w, int revents);
static void capture_done_cb(struct ev_loop *loop, ev_timer *w, int revents);

/**
 * capture_compile() - Compile FILTER for Ethernet frames into S->prog
 * @s:      session
 * @filter: tcpdump expression, NULL or empty for none
 * @err:    one-line message on failure (pcap_geterr's text)
 *
 * Return: 0, or -1 with ERR set
 */
static int capture_compile(struct capture_session *s, const char *filter,
			   char *err, size_t errlen)
{
	pcap_t *dead;

	if (!filter || !*filter)
		return 0;
	dead = pcap_open_dead(DLT_EN10MB, 65535);
	if (!dead) {
		snprintf(err, errlen, "cannot open a pcap handle for the filter");
		return -1;
	}
	if (pcap_compile(dead, &s->prog, filter, 1, PCAP_NETMASK_UNKNOWN) < 0) {
		snprintf(err, errlen, "bad filter: %s", pcap_geterr(dead));
		pcap_close(dead);
		return -1;
	}
	pcap_close(dead);
	s->has_prog = true;
	return 0;
}

/**
 * capture_session_new() - Make a session writing to FD (not yet attached)
 * @loop: event loop that drives the socket
 * @fd:   the client's connection; the session owns it from now on only
 *        if this succeeds
 * @o:    filter, count, duration, ring size
 *
 * The pcap file header is queued at once, so even a capture that sees no
 * frame leaves a valid, empty pcap file.
 *
 * Return: the session, or NULL with a one-line ERR
 */
struct capture_session *capture_session_new(struct ev_loop *loop, int fd,
					    const struct capture_opts *o,
					    char *err, size_t errlen)
{
	struct capture_session *s;
	size_t ring = o->ring_bytes ? o->ring_bytes : CAPTURE_RING_DEFAULT;

	if (capture_n_sessions >= CAPTURE_MAX_SESSIONS) {
		snprintf(err, errlen, "too many captures running (limit %d)",
			 CAPTURE_MAX_SESSIONS);
		return NULL;
	}
	if (ring < CAPTURE_RING_MIN || ring > CAPTURE_RING_MAX) {
		snprintf(err, errlen, "capture buffer must be %u..%u bytes",
			 CAPTURE_RING_MIN, CAPTURE_RING_MAX);
		return NULL;
	}
	/* one budget for all rings: slow readers cannot add up to gigabytes */
	if (capture_ring_total + ring > CAPTURE_RING_BUDGET) {
		snprintf(err, errlen, "capture buffers would exceed %u MiB in all (%zu MiB in use)",
			 CAPTURE_RING_BUDGET >> 20, capture_ring_total >> 20);
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s || !(s->ring = malloc(ring))) {
		free(s);
		snprintf(err, errlen, "out of memory for the capture buffer");
		return NULL;
	}
	s->size = ring;
	capture_ring_total += ring;
	if (capture_compile(s, o->filter, err, errlen) < 0) {
		capture_ring_total -= ring;
		free(s->ring);
		free(s);
		return NULL;
	}
	s->loop = loop;
	s->fd = fd;
	s->count = o->count;
	s->duration = o->duration;
	snprintf(s->point_name, sizeof(s->point_name), "%s",
		 o->point_name ? o->point_name : "?");
	ev_io_init(&s->wio, capture_wio_cb, fd, EV_WRITE);
	ev_io_init(&s->rio, capture_rio_cb, fd, EV_READ);
	ev_timer_init(&s->timer, capture_timer_cb, 0., 0.);
	ev_timer_init(&s->done, capture_done_cb, 0., 0.);
	s->wio.data = s->rio.data = s->timer.data = s->done.data = s;
	capture_queue_file_header(s);
	LIST_INSERT_HEAD(&capture_sessions, s, link);
	capture_n_sessions++;
	return s;
}

/**
 * capture_session_attach() - Add S to the capture point behind SLOT
 * @s:    session
 * @slot: &port->cap_rx, &port->cap_tx or &network->cap
 *
 * The point is made on first use and the datapath starts calling us from
 * the next frame on.
 *
 * Return: 0, or -1 with ERR (point or session full)
 */
int capture_session_attach(struct capture_session *s, struct capture_point **slot,
			   char *err, size_t errlen)
{
	struct capture_point *cp = *slot;

	if (s->n_slots >= CAPTURE_SLOTS_MAX) {
		snprintf(err, errlen, "capture attached to too many points");
		return -1;
	}
	if (cp && cp->n >= CAPTURE_PER_POINT) {
		snprintf(err, errlen, "too many captures on %s (limit %d)",
			 s->point_name, CAPTURE_PER_POINT);
		return -1;
	}
	if (!cp) {
		cp = calloc(1, sizeof(*cp));
		if (!cp) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		cp->slot = slot;
		*slot = cp;
	}
	cp->s[cp->n++] = s;
	s->slots[s->n_slots++] = slot;
	return 0;
}

static void capture_point_remove(struct capture_point **slot, struct capture_session *s)
{
	struct capture_point *cp = *slot;
	unsigned int i;

	if (!cp)
		return;
	for (i = 0; i < cp->n; i++) {
		if (cp->s[i] == s) {
			cp->s[i] = cp->s[--cp->n];
			break;
		}
	}
	if (!cp->n) {
		/* The last watcher gone: the point is idle again, one branch. */
		*slot = NULL;
		free(cp);
	}
}

static void capture_detach_all(struct capture_session *s)
{
	unsigned int i;

	for (i = 0; i < s->n_slots; i++)
		capture_point_remove(s->slots[i], s);
	s->n_slots = 0;
}

/* capture_session_set_fd() - The client's socket, once control.c let go. */
void capture_session_set_fd(struct capture_session *s, int fd)
{
	s->fd = fd;
	ev_io_set(&s->wio, fd, EV_WRITE);
	ev_io_set(&s->rio, fd, EV_READ);
}

/**
 * capture_session_start() - Begin writing to the client and arm --duration
 * @s: session, attached (or not, for a recorder dump that was queued)
 */
void capture_session_start(struct capture_session *s)
{
	s->started = true;
	if (s->finishing) {
		/* A recorder dump: already complete, only drain it. */
		capture_want_write(s);
		return;
	}
	ev_io_start(s->loop, &s->rio);
	if (s->duration > 0) {
		ev_timer_set(&s->timer, s->duration, 0.);
		ev_timer_start(s->loop, &s->timer);
	}
	capture_want_write(s);
	log_info("capture on %s started", s->point_name);
}

void capture_session_free(struct capture_session *s)
{
	capture_detach_all(s);
	if (s->loop) {
		ev_io_stop(s->loop, &s->wio);
		ev_io_stop(s->loop, &s->rio);
		ev_timer_stop(s->loop, &s->timer);
		ev_timer_stop(s->loop, &s->done);
	}
	if (s->fd >= 0)
		close(s->fd);
	if (s->has_prog)
		pcap_freecode(&s->prog);
	LIST_REMOVE(s, link);
	capture_n_sessions--;
	capture_ring_total -= s->size;
	free(s->ring);
	free(s);
}

static void capture_queue_trailer(struct capture_session *s)
{
	char js[CAPTURE_RESERVE - CAPTURE_MSG_HDR];
	uint8_t h[CAPTURE_MSG_HDR];
	int n;

	n = snprintf(js, sizeof(js),
		     "{\"captured\":%llu,\"dropped\":%llu,\"reason\":\"%s\"}",
		     (unsigned long long)s->captured,
		     (unsigned long long)s->dropped, s->reason ? s->reason : "end");
	if (n < 0 || (size_t)n >= sizeof(js))
		n = 0;
	capture_msg_hdr(h, CAPTURE_MSG_END, (uint32_t)n);
	capture_ring_put(s, h, sizeof(h));
	capture_ring_put(s, js, (size_t)n);
	s->trailer_queued = true;
}

/**
 * capture_session_finish() - Stop capturing; drain, send the counts, close
 * @s:      session
 * @reason: short word for the trailer and the log ("count", "duration",
 *          "client", "port gone", ...)
 *
 * Safe to call twice; only the first reason counts.
 */
void capture_session_finish(struct capture_session *s, const char *reason)
{
	if (s->finishing)
		return;
	s->finishing = true;
	s->reason = reason;
	capture_detach_all(s);
	log_info("capture on %s ended (%s): %llu captured, %llu dropped",
		 s->point_name, reason, (unsigned long long)s->captured,
		 (unsigned long long)s->dropped);
	/* The reserve guarantees the trailer fits behind the backlog. */
	capture_queue_trailer(s);
	if (!s->loop)
		return;
	ev_io_stop(s->loop, &s->rio);
	ev_timer_stop(s->loop, &s->done);
	ev_timer_stop(s->loop, &s->timer);
	ev_timer_set(&s->timer, CAPTURE_LINGER, 0.);
	ev_timer_start(s->loop, &s->timer);
	capture_want_write(s);
}

/* ---- the datapath side ------------------------------------------------- */

bool capture_session_match(const struct capture_session *s, const uint8_t *data,
			   uint32_t caplen, uint32_t len)
{
	if (!s->has_prog)
		return true;
	return bpf_filter(s->prog.bf_insns, data, len, caplen) != 0;
}

/**
 * capture_session_offer() - Filter one frame and queue it for the client
 * @s:      session
 * @data:   the Ethernet frame
 * @caplen: bytes present at DATA
 * @len:    length of the frame on the wire
 * @ts:     when it was seen
 *
 * Return: true if queued; false if filtered out, past COUNT, or dropped
 * because the ring is full (then counted in s->dropped)
 */
bool capture_session_offer(struct capture_session *s, const uint8_t *data,
			   uint32_t caplen, uint32_t len, const struct timeval *ts)
{
	uint8_t h[CAPTURE_MSG_HDR + CAPTURE_PCAP_REC];
	uint32_t rec[4];
	size_t need;

	if (s->finishing || (s->count && s->captured >= s->count))
		return false;
	if (caplen > CAPTURE_SNAPLEN)
		caplen = CAPTURE_SNAPLEN;
	if (!capture_session_match(s, data, caplen, len))
		return false;
	need = sizeof(h) + caplen;
	if (capture_ring_free(s) < need + CAPTURE_RESERVE) {
		s->dropped++;
		return false;
	}
	capture_msg_hdr(h, CAPTURE_MSG_DATA, CAPTURE_PCAP_REC + caplen);
	rec[0] = (uint32_t)ts->tv_sec;
	rec[1] = (uint32_t)ts->tv_usec;
	rec[2] = caplen;
	rec[3] = len;
	memcpy(h + CAPTURE_MSG_HDR, rec, sizeof(rec));
	capture_ring_put(s, h, sizeof(h));
	capture_ring_put(s, data, caplen);
	s->captured++;
	capture_want_write(s);
	if (s->count && s->captured >= s->count && s->loop)
		/* End outside the datapath's walk over this point's sessions. */
		ev_timer_start(s->loop, &s->done);
	return true;
}

static void capture_now(struct timeval *tv)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	tv->tv_sec = ts.tv_sec;
	tv->tv_usec = ts.tv_nsec / 1000;
}

/**
 * capture_frames() - Offer N frames to every session on point CP
 * @cp:   the point (non-NULL: capture.h tested it)
 * @pkts: frames
 * @n:    how many
 */
void capture_frames(struct capture_point *cp, struct pkt *const *pkts, unsigned int n)
{
	struct timeval tv;
	unsigned int i, j;

	capture_now(&tv);
	for (j = 0; j < cp->n; j++)
		for (i = 0; i < n; i++)
			capture_session_offer(cp->s[j], pkts[i]->data, pkts[i]->len,
					      pkts[i]->len, &tv);
}

void capture_batch(struct capture_point *cp, const struct pkt_batch *b)
{
	struct timeval tv;
	unsigned int i, j;

	capture_now(&tv);
	for (j = 0; j < cp->n; j++)
		for (i = 0; i < b->count; i++)
			capture_session_offer(cp->s[j], b->pkts[i].data, b->pkts[i].len,
					      b->pkts[i].len, &tv);
}

void capture_one(struct capture_point *cp, const struct pkt *p)
{
	struct timeval tv;
	unsigned int j;

	if (p->flags & PKT_F_DRYRUN)
		return;		/* vsctl trace's frame never goes over a wire */
	capture_now(&tv);
	for (j = 0; j < cp->n; j++)
		capture_session_offer(cp->s[j], p->data, p->len, p->len, &tv);
}

static void capture_point_gone(struct capture_point **slot, const char *why)
{
	/* finish() detaches, which shrinks and finally frees the point; a
	 * session already ending is detached already, but never loop on it. */
	while (*slot) {
		struct capture_session *s = (*slot)->s[0];

		if (s->finishing)
			capture_point_remove(slot, s);
		else
			capture_session_finish(s, why);
	}
}

void capture_port_gone(struct port *port)
{
	capture_point_gone(&port->cap_rx, "port gone");
	capture_point_gone(&port->cap_tx, "port gone");
}

void capture_network_gone(struct network *n)
{
	capture_point_gone(&n->cap, "network gone");
}

/* ---- the client side of the socket ------------------------------------ */

/**
 * capture_session_flush() - Send as much of the ring as the socket takes
 * @s: session
 *
 * Return: bytes still queued, or -1 if the client is gone
 */
long capture_session_flush(struct capture_session *s)
{
	while (s->used) {
		struct iovec iov[2];
		struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 1 };
		size_t first = s->size - s->head;
		ssize_t w;

		if (first > s->used)
			first = s->used;
		iov[0].iov_base = s->ring + s->head;
		iov[0].iov_len = first;
		if (first < s->used) {
			iov[1].iov_base = s->ring;
			iov[1].iov_len = s->used - first;
			mh.msg_iovlen = 2;
		}
		w = sendmsg(s->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			return -1;
		}
		s->head = (s->head + (size_t)w) % s->size;
		s->used -= (size_t)w;
	}
	if (!s->used)
		s->head = 0;
	return (long)s->used;
}

static void capture_wio_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct capture_session *s = w->data;
	long left = capture_session_flush(s);

	if (left < 0) {
		if (!s->finishing)
			capture_session_finish(s, "client gone");
		capture_session_free(s);
		return;
	}
	if (left == 0) {
		ev_io_stop(loop, w);
		if (s->finishing && s->trailer_queued)
			capture_session_free(s);
	}
}

/* The client never sends after its request: EOF (shutdown or close, as
 * vsctl does on Ctrl-C) ends the capture; anything else is ignored. */
static void capture_rio_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct capture_session *s = w->data;
	char buf[256];
	ssize_t r = recv(s->fd, buf, sizeof(buf), MSG_DONTWAIT);

	if (r > 0 || (r < 0 && (errno == EAGAIN || errno == EINTR)))
		return;
	capture_session_finish(s, "client");
}

static void capture_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct capture_session *s = w->data;

	if (!s->finishing) {
		capture_session_finish(s, "duration");
		return;
	}
	log_warn("capture on %s: client stopped reading, closing", s->point_name);
	capture_session_free(s);
}

static void capture_done_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	capture_session_finish(w->data, "count");
}

uint64_t capture_session_captured(const struct capture_session *s) { return s->captured; }
uint64_t capture_session_dropped(const struct capture_session *s) { return s->dropped; }
unsigned int capture_session_count(void) { return capture_n_sessions; }

/* capture_fini() - End every session at daemon shutdown (no draining). */
void capture_fini(void)
{
	while (!LIST_EMPTY(&capture_sessions))
		capture_session_free(LIST_FIRST(&capture_sessions));
}
