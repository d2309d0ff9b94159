/* port_uring.h - batched port writes through one io_uring (port_uring.c).
 *
 * A flush of the tx queues hands every frame of every batchable port to
 * port_uring_queue() and then calls port_uring_complete() once: one
 * io_uring_enter for the whole flush instead of a write() per frame.
 */
#ifndef VS_PORT_URING_H
#define VS_PORT_URING_H

#include <stdbool.h>
#include <stddef.h>

struct port;
struct pkt;

/* Set up the ring unless WANT is false (--no-io-uring); logs the path
 * chosen.  Return: true if writes will be batched. */
bool port_uring_init(bool want);
void port_uring_fini(void);
bool port_uring_active(void);
/* Queue a write of P (after HDR of HLEN bytes, none if HLEN is 0) on
 * PORT's fd.  P and HDR must stay put until port_uring_complete(). */
void port_uring_queue(struct port *port, struct pkt *p, const void *hdr, size_t hlen);
/* Submit what is queued in one call, wait for it (writes to a TAP do not
 * block) and account every frame through port_tx_done(). */
void port_uring_complete(void);

#endif
