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
 *
 * Whose: the lists of ports, the dirty list, the rx batch, the flush
 * before sleep and the segment scratch are the datapath's (struct
 * port_set, dp->ports), joined by port_start(); nothing here is
 * process-wide, so two datapaths in one process (or two harnesses) never
 * see or flush each other's ports.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "capture.h"
#include "dp.h"
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

/**
 * port_set_init() - Start a datapath's (empty) set of ports
 * @ps:		the datapath's part (dp->ports); its previous contents are ignored
 * @loop:	the loop its ports are read on and flushed before sleeping
 *
 * Takes no memory: the rx batch's buffers come with the first port.
 */
void port_set_init(struct port_set *ps, struct ev_loop *loop)
{
	memset(ps, 0, sizeof(*ps));
	ps->loop = loop;
	ps->next_id = 1;
	TAILQ_INIT(&ps->all);
	TAILQ_INIT(&ps->dirty);
}

/**
 * port_set_fini() - Release a set whose ports are all destroyed
 * @ps:		the datapath's part
 */
void port_set_fini(struct port_set *ps)
{
	if (ps->rx_bufs) {
		ev_ref(ps->loop);	/* undo port_start()'s unref */
		ev_prepare_stop(ps->loop, &ps->prepare);
	}
	free(ps->rx_bufs);
	free(ps->seg_buf);
	ps->rx_bufs = NULL;
	ps->seg_buf = NULL;
}

/**
 * port_alloc() - A port of a type, not yet in any datapath
 * @ops:	the type's operations
 * @name:	the port's name ("c1:eth0", "uplink")
 * @fd:		the device's fd, watched once port_start() joins it to a datapath
 *
 * Return: the port, or NULL
 */
struct port *port_alloc(const struct port_ops *ops, const char *name, int fd)
{
	struct port *port = calloc(1, sizeof(*port));

	if (!port)
		return NULL;
	port->ops = ops;
	port->fd = fd;
	snprintf(port->name, sizeof(port->name), "%s", name);
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
 * of counted, so that a trace leaves no mark on the switch.  A frame with
 * no output port to blame is counted on the port it came in by, where
 * `vsctl show` and the metrics see it; a drop with neither is logged.
 */
void port_drop(struct port *port, const struct pkt *p, enum drop_reason why)
{
	if (p && (p->flags & PKT_F_DRYRUN)) {
		trace_drop(p, port, why);
		return;
	}
	if (!port && p)
		port = p->in_port;
	if (port)
		port->stats.drops[why]++;
	else
		VLOG_RL(LOG_LVL_WARN, "frame dropped with no port to count it on: %s",
			drop_reason_names[why]);
}

/* An IPv6 frame, by its EtherType: read from the frame, not from
 * p->eth_type, which frames the switch builds itself may leave unset. */
static bool port_is_ip6(const struct pkt *p)
{
	return p->len >= 14 && p->data[12] == 0x86 && p->data[13] == 0xdd;
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
		/* The tunnel wrote its outer headers itself and set what a parse
		 * gives (port_vxlan.c); its frames are laid out for the inner
		 * frame's parse, where an outer one would read unaligned. */
		if (port->role == PORT_ROLE_TUNNEL)
			rc = 0;
		else if ((rc = pkt_parse(p)) == 0)
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
		port->stats.rx_ip6 += port_is_ip6(&b->pkts[kept]);
		b->pkts[kept].flags |= PKT_F_RXBUF;
		kept++;
	}
	b->count = kept;
}

static void port_rx_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct port *port = w->data;
	struct port_set *ps = &port->dp->ports;
	struct pkt_batch *b = &ps->rx_batch;
	int n, budget;

	for (budget = 0; budget < PORT_RX_BUDGET; budget++) {
		pkt_batch_init(b, ps->rx_bufs, PKT_BUF_SIZE);
		n = port->ops->rx_burst(port, b);
		if (n < 0) {
			log_warn("port %s: device gone or failing; no longer reading it", port->name);
			ev_io_stop(loop, w);
			break;
		}
		if (n == 0)
			break;
		if (budget == 0)
			poll_window_rx(n == PKT_BURST);
		b->count = (unsigned int)n;
		capture_rx(port, b);
		port_rx_parse(port, b);
		if (!b->count)
			continue;
		if (port->rx_handler)
			port->rx_handler(port, b);
		else
			ingress_run(port, b);
		port_tx_flush_all(port->dp);
	}
	port_tx_flush_all(port->dp);
}

static void port_prepare_cb(struct ev_loop *loop, ev_prepare *w, int revents)
{
	(void)loop;
	(void)revents;
	port_tx_flush_all(w->data);
}

/* The rx batch's buffers and the flush before sleep, with the first port:
 * a datapath without ports (a harness, a test) costs nothing. */
static void port_set_start(struct dp *dp)
{
	struct port_set *ps = &dp->ports;

	if (ps->rx_bufs)
		return;
	ps->rx_bufs = aligned_alloc(64, (size_t)PKT_BURST * PKT_BUF_SIZE);
	if (!ps->rx_bufs)
		die("out of memory for the rx batch");
	ev_prepare_init(&ps->prepare, port_prepare_cb);
	ps->prepare.data = dp;
	ev_prepare_start(ps->loop, &ps->prepare);
	ev_unref(ps->loop);	/* the prepare watcher alone keeps nothing alive */
}

/**
 * port_start() - Join PORT to datapath DP and start reading it
 * @port:	a port from port_alloc() (through its class's open)
 * @dp:		the datapath its frames go through
 *
 * From here on the port is DP's: it has an id there, `show` lists it,
 * its tx queue is flushed with DP's ports, and port_destroy() takes it
 * out again.
 */
void port_start(struct port *port, struct dp *dp)
{
	struct port_set *ps = &dp->ports;

	port_set_start(dp);
	port->dp = dp;
	port->id = ps->next_id++;
	port->started = true;
	TAILQ_INSERT_TAIL(&ps->all, port, all_link);
	ps->n++;
	ev_io_init(&port->io, port_rx_cb, port->fd, EV_READ);
	port->io.data = port;
	ev_io_start(ps->loop, &port->io);
	poll_window_port_added();
}

static void port_mark_dirty(struct port *port)
{
	if (!port->dirty) {
		port->dirty = true;
		TAILQ_INSERT_TAIL(&port->dp->ports.dirty, port, dirty_link);
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
		port_tx_flush_all(port->dp);
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
	struct port_set *ps = &port->dp->ports;
	struct pkt seg = *p;
	uint32_t slot;
	int i, n = -1;

	if (!ps->seg_buf)
		ps->seg_buf = malloc(PORT_SEG_BYTES);
	if (ps->seg_buf)
		n = port_offload_segment(p, ps->seg_buf, PORT_SEG_BYTES, &slot, ps->seg_lens);
	if (n < 0) {
		port_drop(port, p, DROP_GSO_SEGMENT);
		return;
	}
	seg.flags &= ~(uint32_t)(PKT_F_GSO | PKT_F_CSUM_PARTIAL | PKT_F_RXBUF);
	memset(&seg.vnet, 0, sizeof(seg.vnet));
	for (i = 0; i < n; i++) {
		seg.data = ps->seg_buf + (size_t)i * slot;
		seg.len = ps->seg_lens[i];
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
	port->stats.tx_ip6 += port_is_ip6(p);
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
static bool port_tx_worth_batching(struct port_set *ps)
{
	struct port *port;
	unsigned int n = 0;

	if (!port_uring_active())
		return false;
	TAILQ_FOREACH(port, &ps->dirty, dirty_link)
		if (port->ops->tx_batch && (n += port->txq_count) > 1)
			return true;
	return false;
}

/**
 * port_tx_flush_all() - Send the queue of every port of DP with frames queued
 * @dp:		the datapath
 */
void port_tx_flush_all(struct dp *dp)
{
	struct port_set *ps = &dp->ports;
	bool batch = port_tx_worth_batching(ps);
	struct port *port;

	while ((port = TAILQ_FIRST(&ps->dirty))) {
		TAILQ_REMOVE(&ps->dirty, port, dirty_link);
		port->dirty = false;
		if (port->txq_count)
			port_tx_flush(port, batch);
	}
	if (batch)
		port_uring_complete();
}

/* Take a started PORT out of its datapath: unwatched, unlisted, its
 * unsent queue forgotten. */
static void port_leave(struct port *port)
{
	struct port_set *ps = &port->dp->ports;

	if (port->dirty) {
		TAILQ_REMOVE(&ps->dirty, port, dirty_link);
		port->dirty = false;
	}
	if (ev_is_active(&port->io))
		ev_io_stop(ps->loop, &port->io);
	TAILQ_REMOVE(&ps->all, port, all_link);
	ps->n--;
	port->started = false;
	poll_window_port_removed();
}

/**
 * port_destroy() - Stop, close and free PORT
 * @remove_device: also delete the device (disconnect), else leave it for
 *                 the next vswitchd to adopt (shutdown)
 */
void port_destroy(struct port *port, bool remove_device)
{
	if (port->started)
		port_leave(port);
	capture_port_gone(port);
	if (port->recorder)
		recorder_free(port->recorder);
	port->ops->close(port, remove_device);
	free(port->txq_buf);
	free(port);
}

/* DP's port with id ID, or NULL. */
struct port *port_by_id(struct dp *dp, uint32_t id)
{
	struct port *port;

	TAILQ_FOREACH(port, &dp->ports.all, all_link)	/* control path only */
		if (port->id == id)
			return port;
	return NULL;
}

/* Walk DP's ports, the first if PREV is NULL (control path: stats, show). */
struct port *port_next(struct dp *dp, struct port *prev)
{
	return prev ? TAILQ_NEXT(prev, all_link) : TAILQ_FIRST(&dp->ports.all);
}

unsigned int port_count(const struct dp *dp)
{
	return dp->ports.n;
}
