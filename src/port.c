/* port.c - what all port types share: rx bursts into the pipeline, tx queues,
 * counters.
 *
 * Theory of operation.  A port's fd is watched by one libev io watcher.
 * When it is readable, port_rx_cb() asks the port type for a burst of up to
 * PKT_BURST frames into one static batch (no allocation per packet), parses
 * each frame once, feeds the capture hooks and hands the batch to the
 * port's rx handler (ingress_run for container ports, uplink_rx for the
 * uplink).  At most PORT_RX_BUDGET bursts are taken per wake-up so that one
 * busy port cannot starve the others.
 *
 * Stages do not write to devices: port_tx_queue() puts the frame in the
 * output port's queue and marks the port dirty.  port_tx_flush_all() then
 * sends each dirty port's queue in one tx_burst call, after every rx burst
 * and, through an ev_prepare watcher, before the loop sleeps, so that
 * frames made by timers (ARP, DNS answers) leave too (the "beforesleep" of
 * Redis, passt's post_handler).  A flush that holds more than one frame
 * for TAP ports queues them all on one io_uring and enters the kernel
 * once (port_uring.c); frames are accounted when their completions are
 * reaped, still inside port_tx_flush_all(), so the rx batch and the tx
 * areas they point into are never reused while the kernel reads them.
 *
 * Zero copy for forwarded frames: a frame still in the rx batch
 * (PKT_F_RXBUF, set here on receive) is queued by reference, because
 * every queue is flushed after the burst, before the batch is reused: a
 * 64 KB TSO frame is then copied only by the kernel, in and out.  Frames
 * that stages build in their own scratch buffers (replies, segments,
 * frames that waited for ARP) have no such guarantee and are copied into
 * the port's tx area.
 *
 * Offloads: a frame may come in as a GSO super-frame or with its L4
 * checksum partial (port_offload_rx turns the port's vnet header into
 * PKT_F_GSO / PKT_F_CSUM_PARTIAL).  It goes through the pipeline as it is;
 * port_tx_queue() hands it on whole to a port with tx_offload, and
 * segments it or finishes its checksum for a port without, so the cost of
 * offloads missing falls on that port's traffic only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "capture.h"
#include "log.h"
#include "pipeline.h"
#include "port.h"
#include "poll_window.h"
#include "port_offload.h"
#include "port_uring.h"
#include "trace.h"

#define PORT_RX_BUDGET 8
/* Scratch for segments cut from one GSO frame: a 64 KB frame at any MSS. */
#define PORT_SEG_BYTES (4u << 20)

static TAILQ_HEAD(, port) port_all = TAILQ_HEAD_INITIALIZER(port_all);
static TAILQ_HEAD(, port) port_dirty = TAILQ_HEAD_INITIALIZER(port_dirty);
static uint32_t port_next_id = 1;
static unsigned int port_n;
static struct pkt_batch port_rx_batch;
static uint8_t *port_rx_bufs;
static ev_prepare port_prepare;
static struct port_stats port_orphan_stats; /* drops with no port to blame */

struct port *port_alloc(const struct port_ops *ops, const char *name, int fd)
{
	struct port *port = calloc(1, sizeof(*port));

	if (!port)
		return NULL;
	port->ops = ops;
	port->fd = fd;
	port->id = port_next_id++;
	snprintf(port->name, sizeof(port->name), "%s", name);
	TAILQ_INSERT_TAIL(&port_all, port, all_link);
	port_n++;
	return port;
}

/**
 * port_drop() - Count a dropped frame on PORT, by reason
 * @port:	the port to blame (NULL: none; counted apart)
 * @p:		the frame, or NULL when the drop is not about one frame
 * @why:	the reason
 *
 * Takes the frame as the kernel's kfree_skb_reason() takes the skb: a
 * frame of `vsctl trace` (PKT_F_DRYRUN) is recorded in its trace instead
 * of counted, so that a trace leaves no mark on the switch.
 */
void port_drop(struct port *port, const struct pkt *p, enum drop_reason why)
{
	if (p && (p->flags & PKT_F_DRYRUN)) {
		trace_drop(p, port, why);
		return;
	}
	(port ? &port->stats : &port_orphan_stats)->drops[why]++;
}

/* Keep frames that parsed, drop and count the rest, in place. */
static void port_rx_parse(struct port *port, struct pkt_batch *b)
{
	unsigned int i, kept = 0;
	int rc;

	for (i = 0; i < b->count; i++) {
		struct pkt *p = &b->pkts[i];

		port->stats.rx_packets++;
		port->stats.rx_bytes += p->len;
		p->in_port = port;
		p->trace = NULL;
		rc = pkt_parse(p);
		if (rc == 0)
			rc = port_offload_rx(p);
		if (rc < 0) {
			port_drop(port, p, (enum drop_reason)-rc);
			continue;
		}
		if (kept != i) {
			struct pkt tmp = b->pkts[kept];

			b->pkts[kept] = *p;
			*p = tmp;	/* keep every slot's own buffer */
		}
		port->stats.rx_gso += !!(b->pkts[kept].flags & PKT_F_GSO);
		b->pkts[kept].flags |= PKT_F_RXBUF;
		kept++;
	}
	b->count = kept;
}

static void port_rx_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct port *port = w->data;
	struct pkt_batch *b = &port_rx_batch;
	int n, budget;

	for (budget = 0; budget < PORT_RX_BUDGET; budget++) {
		pkt_batch_init(b, port_rx_bufs, PKT_BUF_SIZE);
		n = port->ops->rx_burst(port, b);
		if (n < 0) {
			log_warn("port %s: device gone or failing; no longer reading it", port->name);
			ev_io_stop(loop, w);
			break;
		}
		if (n == 0)
			break;
		if (budget == 0)
			poll_window_rx();
		b->count = (unsigned int)n;
		capture_rx(port, b);
		port_rx_parse(port, b);
		if (!b->count)
			continue;
		if (port->rx_handler)
			port->rx_handler(port, b);
		else
			ingress_run(port, b);
		port_tx_flush_all();
	}
	port_tx_flush_all();
}

static void port_prepare_cb(struct ev_loop *loop, ev_prepare *w, int revents)
{
	port_tx_flush_all();
}

void port_start(struct port *port, struct ev_loop *loop)
{
	if (!port_rx_bufs) {
		port_rx_bufs = aligned_alloc(64, (size_t)PKT_BURST * PKT_BUF_SIZE);
		if (!port_rx_bufs)
			die("out of memory for the rx batch");
		ev_prepare_init(&port_prepare, port_prepare_cb);
		ev_prepare_start(loop, &port_prepare);
		ev_unref(loop);	/* the prepare watcher alone keeps nothing alive */
	}
	ev_io_init(&port->io, port_rx_cb, port->fd, EV_READ);
	port->io.data = port;
	ev_io_start(loop, &port->io);
	poll_window_port_added();
}

static void port_mark_dirty(struct port *port)
{
	if (!port->dirty) {
		port->dirty = true;
		TAILQ_INSERT_TAIL(&port_dirty, port, dirty_link);
	}
}

/* Put P in PORT's tx queue (a copy unless it is in the rx batch); the
 * queued entry, or NULL if dropped. */
static struct pkt *port_txq_add(struct port *port, const struct pkt *p)
{
	struct pkt *q;

	if (p->len > PKT_BUF_SIZE - PKT_HEADROOM) {
		port_drop(port, p, DROP_TX_FULL);
		return NULL;
	}
	if (port->txq_count == PKT_BURST)
		port_tx_flush_all();
	if (p->flags & PKT_F_RXBUF) {
		q = &port->txq[port->txq_count++];
		*q = *p;
		port_mark_dirty(port);
		return q;
	}
	if (!port->txq_buf) {
		port->txq_buf = aligned_alloc(64, (size_t)PKT_BURST * PKT_BUF_SIZE);
		if (!port->txq_buf) {
			port_drop(port, p, DROP_TX_FULL);
			return NULL;
		}
	}
	q = &port->txq[port->txq_count];
	*q = *p;
	q->buf = port->txq_buf + (size_t)port->txq_count * PKT_BUF_SIZE;
	q->data = q->buf + PKT_HEADROOM;
	memcpy(q->data, p->data, p->len);
	port->txq_count++;
	port_mark_dirty(port);
	return q;
}

/* A GSO frame for a port without offloads: queue its segments, each
 * complete.  The scratch area is made on first use, so a switch whose
 * ports all take offloads never pays for it. */
static void port_tx_queue_segments(struct port *port, const struct pkt *p)
{
	static uint8_t *seg_buf;
	static uint32_t lens[PORT_OFFLOAD_SEG_MAX];
	struct pkt seg = *p;
	uint32_t slot;
	int i, n = -1;

	if (!seg_buf)
		seg_buf = malloc(PORT_SEG_BYTES);
	if (seg_buf)
		n = port_offload_segment(p, seg_buf, PORT_SEG_BYTES, &slot, lens);
	if (n < 0) {
		port_drop(port, p, DROP_GSO_SEGMENT);
		return;
	}
	seg.flags &= ~(uint32_t)(PKT_F_GSO | PKT_F_CSUM_PARTIAL | PKT_F_RXBUF);
	memset(&seg.vnet, 0, sizeof(seg.vnet));
	for (i = 0; i < n; i++) {
		seg.data = seg_buf + (size_t)i * slot;
		seg.len = lens[i];
		port_txq_add(port, &seg);
	}
	port->stats.sw_segments += (uint64_t)n;
}

/* A partial checksum for a port without offloads: finish it in a copy
 * (never in the rx batch, which other ports may have queued as it is). */
static void port_tx_queue_csum(struct port *port, const struct pkt *p)
{
	struct pkt c = *p, *q;

	c.flags &= ~(uint32_t)PKT_F_RXBUF;
	q = port_txq_add(port, &c);
	if (!q)
		return;
	port_offload_csum(q->data, q->len, &q->vnet);	/* offsets checked on rx */
	q->flags &= ~(uint32_t)PKT_F_CSUM_PARTIAL;
	memset(&q->vnet, 0, sizeof(q->vnet));
	port->stats.sw_csum++;
}

/**
 * port_tx_queue() - Queue a copy of P for transmit on PORT
 *
 * The copy is needed because P's buffer belongs to the rx batch (or to a
 * stage's scratch buffer) and is reused before the flush.  When the queue
 * is full it is flushed first, so a burst never loses frames to the queue.
 * A port without tx_offload gets GSO frames as segments and partial
 * checksums finished.  A frame of `vsctl trace` is recorded as its output
 * instead: whatever stage queues it, a trace never sends.
 */
void port_tx_queue(struct port *port, const struct pkt *p)
{
	if (p->flags & PKT_F_DRYRUN) {
		trace_output(p, port);	/* a trace sends nothing */
		return;
	}
	if (!port) {
		port_drop(NULL, p, DROP_TX_FULL);
		return;
	}
	if (port->tx_offload || !(p->flags & (PKT_F_GSO | PKT_F_CSUM_PARTIAL)))
		port_txq_add(port, p);
	else if (p->flags & PKT_F_GSO)
		port_tx_queue_segments(port, p);
	else
		port_tx_queue_csum(port, p);
}

/* Account one frame handed to the device: sent, or dropped. */
void port_tx_done(struct port *port, const struct pkt *p, bool sent, bool batched)
{
	if (!sent) {
		port->stats.drops[DROP_TX_ERROR]++;
		return;
	}
	port->stats.tx_packets++;
	port->stats.tx_bytes += p->len;
	port->stats.tx_gso += !!(p->flags & PKT_F_GSO);
	port->stats.tx_batched += batched;
}

/* Send PORT's queue now, or queue it on the shared ring when BATCH. */
static void port_tx_flush(struct port *port, bool batch)
{
	struct pkt *ptrs[PKT_BURST];
	unsigned int i, n = port->txq_count;
	int sent;

	for (i = 0; i < n; i++)
		ptrs[i] = &port->txq[i];
	capture_tx(port, ptrs, n);
	port->txq_count = 0;	/* the frames stay put until the flush ends */
	if (batch && port->ops->tx_batch) {
		port->ops->tx_batch(port, ptrs, n);
		return;
	}
	sent = port->ops->tx_burst(port, ptrs, n);
	if (sent < 0)
		sent = 0;
	for (i = 0; i < n; i++)
		port_tx_done(port, ptrs[i], i < (unsigned int)sent, false);
}

/* Batch through io_uring only when it saves system calls: a single frame
 * (a ping, an ARP reply) keeps its plain write().  The dirty list holds
 * only the ports written since the last flush, so this walk is short. */
static bool port_tx_worth_batching(void)
{
	struct port *port;
	unsigned int n = 0;

	if (!port_uring_active())
		return false;
	TAILQ_FOREACH(port, &port_dirty, dirty_link)
		if (port->ops->tx_batch && (n += port->txq_count) > 1)
			return true;
	return false;
}

void port_tx_flush_all(void)
{
	struct port *port;
	bool batch = port_tx_worth_batching();

	while ((port = TAILQ_FIRST(&port_dirty))) {
		TAILQ_REMOVE(&port_dirty, port, dirty_link);
		port->dirty = false;
		if (port->txq_count)
			port_tx_flush(port, batch);
	}
	if (batch)
		port_uring_complete();
}

/**
 * port_destroy() - Stop, close and free PORT
 * @remove_device: also delete the device (disconnect), else leave it for
 *                 the next vswitchd to adopt (shutdown)
 */
void port_destroy(struct port *port, bool remove_device)
{
	if (port->dirty) {
		TAILQ_REMOVE(&port_dirty, port, dirty_link);
		port->dirty = false;
	}
	if (ev_is_active(&port->io))
		ev_io_stop(EV_DEFAULT, &port->io);
	TAILQ_REMOVE(&port_all, port, all_link);
	port_n--;
	capture_port_gone(port);
	if (port->recorder)
		recorder_free(port->recorder);
	port->ops->close(port, remove_device);
	free(port->txq_buf);
	free(port);
}

struct port *port_by_id(uint32_t id)
{
	struct port *port;

	TAILQ_FOREACH(port, &port_all, all_link)	/* control path only */
		if (port->id == id)
			return port;
	return NULL;
}

/* Walk every port (control path: stats, show). */
struct port *port_next(struct port *prev)
{
	return prev ? TAILQ_NEXT(prev, all_link) : TAILQ_FIRST(&port_all);
}

unsigned int port_count(void)
{
	return port_n;
}

const struct port_stats *port_orphan_drops(void)
{
	return &port_orphan_stats;
}
