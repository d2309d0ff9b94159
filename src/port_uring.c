/* port_uring.c - one io_uring submission per tx flush for every TAP frame.
 *
 * Theory of Operation
 *
 * A TAP has no batch write: each frame is a write(), and each write()
 * wakes the receiving container's task and returns to user space, a
 * preemption point.  Under small-packet load vswitchd was switched out
 * tens of thousands of times a second there (doc/performance.md).  Here
 * port_tx_flush_all() queues one WRITEV per frame of every dirty TAP port
 * on a single ring and enters the kernel once for all of them; the kernel
 * performs the writes inline (the fds are O_NONBLOCK, so nothing is handed
 * to an io-wq worker: a full TAP queue completes with -EAGAIN, a drop as
 * with write()).  The frame is written from where it lies in the rx batch
 * or the tx area, and its vnet header from the queued struct pkt, as two
 * iovecs: a flooded frame is queued by reference on several ports, so
 * the header cannot be put in the shared headroom as write() does.
 *
 * Records: each SQE's user_data is an index into txu_recs, which keeps the
 * port, the frame and the iovecs alive until the completion is reaped.
 * The ring has TXU_ENTRIES slots; a flush with more frames completes a full
 * ring first and goes on (each TAP holds at most PKT_BURST queued frames).
 *
 * Availability is decided once at start: the ring is made, restricted to
 * WRITEV and NOP (what goes through io_uring escapes vswitchd's seccomp
 * filter, so the ring must not be able to do anything else), and a NOP is
 * submitted (a seccomp filter or kernel.io_uring_disabled refuses one or
 * the other); the path chosen is logged.  Should io_uring_enter fail
 * later, the queued frames go out by writev() and batching is switched
 * off for good, with one warning.
 */
#include <errno.h>
#include <liburing.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "log.h"
#include "pkt.h"
#include "port.h"
#include "port_uring.h"

#define TXU_ENTRIES 256

struct txu_rec {
	struct port *port;
	struct pkt *p;
	struct iovec iov[2];
	int iovcnt;
};

static struct io_uring txu_ring;
static bool txu_on;
static struct txu_rec txu_recs[TXU_ENTRIES];
static unsigned int txu_n;

/* The ring may only write and do nothing: operations submitted through
 * io_uring do not pass the seccomp filter (sandbox.c), so without this a
 * ring would be a way around it.  Registered while the ring is disabled,
 * then it is enabled (Linux 5.10). */
static int port_uring_restrict(void)
{
	struct io_uring_restriction res[2];
	int rc;

	memset(res, 0, sizeof(res));
	res[0].opcode = IORING_RESTRICTION_SQE_OP;
	res[0].sqe_op = IORING_OP_WRITEV;
	res[1].opcode = IORING_RESTRICTION_SQE_OP;
	res[1].sqe_op = IORING_OP_NOP;
	/* Debian 12's liburing 2.3 declares io_uring_register_restrictions()
	 * and io_uring_enable_rings() but does not export them: the generic
	 * register call does the same. */
	rc = io_uring_register((unsigned int)txu_ring.ring_fd, IORING_REGISTER_RESTRICTIONS, res, 2);
	if (rc < 0)
		return rc;
	return io_uring_register((unsigned int)txu_ring.ring_fd, IORING_REGISTER_ENABLE_RINGS,
				 NULL, 0);
}

/* Make the ring and check that the kernel lets us use it. */
static int port_uring_setup(void)
{
	struct io_uring_params params;
	struct io_uring_cqe *cqe;
	struct io_uring_sqe *sqe;
	int rc;

	memset(&params, 0, sizeof(params));
	params.flags = IORING_SETUP_R_DISABLED;
	rc = io_uring_queue_init_params(TXU_ENTRIES, &txu_ring, &params);
	if (rc < 0)
		return rc;
	rc = port_uring_restrict();
	if (rc < 0) {
		io_uring_queue_exit(&txu_ring);
		return rc;
	}
	sqe = io_uring_get_sqe(&txu_ring);
	io_uring_prep_nop(sqe);
	rc = io_uring_submit_and_wait(&txu_ring, 1);
	if (rc >= 0)
		rc = io_uring_peek_cqe(&txu_ring, &cqe);
	if (rc >= 0) {
		rc = cqe->res < 0 ? cqe->res : 0;
		io_uring_cqe_seen(&txu_ring, cqe);
	}
	if (rc < 0)
		io_uring_queue_exit(&txu_ring);
	return rc;
}

bool port_uring_init(bool want)
{
	int rc;

	if (!want) {
		log_info("TAP tx: a write() per frame (--no-io-uring)");
		return false;
	}
	rc = port_uring_setup();
	if (rc < 0) {
		log_info("TAP tx: io_uring unavailable (%s); a write() per frame", strerror(-rc));
		return false;
	}
	txu_on = true;
	log_info("TAP tx: io_uring, one submission per flush");
	return true;
}

void port_uring_fini(void)
{
	if (!txu_on)
		return;
	port_uring_complete();
	io_uring_queue_exit(&txu_ring);
	txu_on = false;
}

bool port_uring_active(void)
{
	return txu_on;
}

void port_uring_queue(struct port *port, struct pkt *p, const void *hdr, size_t hlen)
{
	struct txu_rec *r;
	struct io_uring_sqe *sqe;

	if (txu_n == TXU_ENTRIES)
		port_uring_complete();
	r = &txu_recs[txu_n];
	r->port = port;
	r->p = p;
	r->iovcnt = 0;
	if (hlen)
		r->iov[r->iovcnt++] = (struct iovec){ (void *)hdr, hlen };
	r->iov[r->iovcnt++] = (struct iovec){ p->data, p->len };
	if (!txu_on) {	/* switched off by a failure earlier in this flush */
		ssize_t w = writev(port->fd, r->iov, r->iovcnt);

		port_tx_done(port, p, w > 0, false);
		return;
	}
	sqe = io_uring_get_sqe(&txu_ring);	/* never NULL: txu_n < TXU_ENTRIES */
	io_uring_prep_writev(sqe, port->fd, r->iov, (unsigned int)r->iovcnt, 0);
	io_uring_sqe_set_data64(sqe, txu_n);
	txu_n++;
}

/* io_uring_enter failed for good: send what is queued by writev(). */
static void port_uring_give_up(int err)
{
	unsigned int i;

	log_warn("TAP tx: io_uring_enter failed (%s); a write() per frame from now on",
		 strerror(err));
	io_uring_queue_exit(&txu_ring);
	txu_on = false;
	for (i = 0; i < txu_n; i++) {
		struct txu_rec *r = &txu_recs[i];
		ssize_t w;

		do
			w = writev(r->port->fd, r->iov, r->iovcnt);
		while (w < 0 && errno == EINTR);
		port_tx_done(r->port, r->p, w > 0, false);
	}
	txu_n = 0;
}

/* Account every completion there is; return how many were reaped. */
static unsigned int port_uring_reap(void)
{
	struct io_uring_cqe *cqe;
	unsigned int head, n = 0;

	io_uring_for_each_cqe(&txu_ring, head, cqe) {
		uint64_t i = io_uring_cqe_get_data64(cqe);

		if (i < TXU_ENTRIES)
			port_tx_done(txu_recs[i].port, txu_recs[i].p, cqe->res > 0, true);
		n++;
	}
	io_uring_cq_advance(&txu_ring, n);
	return n;
}

void port_uring_complete(void)
{
	unsigned int done = 0;
	int rc;

	if (!txu_n || !txu_on)
		return;
	/* One enter submits everything and, the writes being inline, finds
	 * every completion posted; the loop is for signals and short counts. */
	while (done < txu_n) {
		rc = io_uring_submit_and_wait(&txu_ring, txu_n - done);
		if (rc < 0 && rc != -EINTR && rc != -EAGAIN && rc != -EBUSY) {
			if (!done) {
				port_uring_give_up(-rc);
				return;
			}
			/* Some went out: closing the ring waits for the rest,
			 * so no completion can name a record reused later. */
			log_err("TAP tx: io_uring_enter: %s; %u frames unaccounted; "
				"a write() per frame from now on", strerror(-rc), txu_n - done);
			io_uring_queue_exit(&txu_ring);
			txu_on = false;
			break;
		}
		done += port_uring_reap();
	}
	txu_n = 0;
}
