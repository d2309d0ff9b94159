/* capture.h - capture points and the flight recorder, as the datapath sees them.
 *
 * A capture point is a pointer in struct port (cap_rx, cap_tx) or struct
 * network (cap) that is NULL unless someone captures there, so an idle
 * point costs the datapath one predictable branch.  The wrappers below are
 * that branch; the work behind them is in capture.c and recorder.c.
 */
#ifndef VS_CAPTURE_H
#define VS_CAPTURE_H

#include "pkt.h"
#include "port.h"
#include "model.h"

/* capture.c */
void capture_frames(struct capture_point *cp, struct pkt *const *pkts, unsigned int n);
void capture_batch(struct capture_point *cp, const struct pkt_batch *b);
void capture_one(struct capture_point *cp, const struct pkt *p);
void capture_port_gone(struct port *port);     /* end captures on a port */
void capture_network_gone(struct network *n);

/* capture_ctl.c: register the "capture" command; LOOP drives the streams.
 * vswitchd calls it at start-up, after control_init. */
struct ev_loop;
void capture_ctl_init(struct ev_loop *loop);
/* capture.c: end every capture at shutdown (before control_fini). */
void capture_fini(void);

/* recorder.c */
void recorder_batch(struct recorder *r, const struct pkt_batch *b);
void recorder_frames(struct recorder *r, struct pkt *const *pkts, unsigned int n);
struct recorder *recorder_new(void);
void recorder_free(struct recorder *r);
/* Bounds for recorders made from now on: frames (default 256, 0 = off)
 * and bytes of frame data per port (default 1 MiB); and the bytes of rings
 * all recorders hold together (default 64 MiB, shared fairly). */
void recorder_set_depth(unsigned int n);
void recorder_set_budget(size_t bytes);
void recorder_set_total(size_t bytes);

static inline void capture_rx(struct port *port, const struct pkt_batch *b)
{
	if (__builtin_expect(port->cap_rx != NULL, 0))
		capture_batch(port->cap_rx, b);
	if (port->recorder)
		recorder_batch(port->recorder, b);
}

static inline void capture_tx(struct port *port, struct pkt *const *pkts, unsigned int n)
{
	if (__builtin_expect(port->cap_tx != NULL, 0))
		capture_frames(port->cap_tx, pkts, n);
	if (port->recorder)
		recorder_frames(port->recorder, pkts, n);
}

static inline void capture_net(struct network *n, const struct pkt *p)
{
	if (__builtin_expect(n->cap != NULL, 0))
		capture_one(n->cap, p);
}

#endif
