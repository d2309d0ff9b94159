/* pkt_ring.c - a TPACKET_V2 receive ring for an AF_PACKET socket.
 *
 * Theory of Operation
 *
 * With PACKET_RX_RING the kernel's tpacket_rcv() copies each frame into a
 * ring of fixed-size slots that we mmap(), instead of queueing an skb for
 * recvmsg(): a burst of small frames is read with no system call, where
 * recvmmsg() costs one per burst and a wake-up that finds one frame pays
 * it for that frame alone.
 *
 * - TPACKET_V2, not V3: V3 hands over whole blocks, retired by a timer
 *   when traffic is sparse, which adds latency to a ping, and clamps a
 *   frame too big for a block instead of queueing a copy.  V2 slots are
 *   per frame and carry the vnet header: with PACKET_VNET_HDR set
 *   tpacket_rcv() writes the struct virtio_net_hdr right before the frame
 *   (tp_mac - sizeof(struct virtio_net_hdr)), so checksum and GSO
 *   metadata arrive as they do through recvmsg().
 * - Slots are PR_FRAME_SIZE (2 KB): an MTU-sized frame fits with the
 *   slot header, the sockaddr_ll and the vnet header in front (tp_mac is
 *   76 on Linux 6.1).  A bigger frame (a 64 KB TSO frame from a veth, a
 *   jumbo frame) is cut to the slot, but PACKET_COPY_THRESH makes the
 *   kernel queue the whole skb on the socket's normal receive queue as
 *   well and mark the slot TP_STATUS_COPY: the reader recvmsg()s it there,
 *   at the slot's place, so frames stay in order and GSO frames whole.
 *   The copy is queued only while the socket's rcvbuf has room; a cut
 *   slot without TP_STATUS_COPY is a lost frame (PKT_RING_CUT).
 * - Ownership is the slot's tp_status: TP_STATUS_USER (set by the kernel
 *   last, after a write barrier) hands it to us, TP_STATUS_KERNEL (stored
 *   by us last, with release order) hands it back.  Slots are filled and
 *   returned in order, so one head index is the whole state.
 * - Every slot is checked before it is read (pkt_ring_slot()): its length
 *   and offset must lie inside the slot, or it is refused as PKT_RING_BAD
 *   and the caller counts a drop; nothing is read outside the mapping.
 *
 * The ring is mapped (and so resident) from the start: PR_FRAME_SIZE
 * times the slots asked for, per socket.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pkt_ring.h"

#define PR_FRAME_SIZE 2048u
#define PR_BLOCK_MIN (16u * 1024)
/* The first byte a frame's vnet header may start at: after the slot's
 * own header and its struct sockaddr_ll. */
#define PR_MIN_MAC (TPACKET2_HDRLEN + sizeof(struct virtio_net_hdr))

static void pkt_ring_unset(int fd)
{
	struct tpacket_req req;

	memset(&req, 0, sizeof(req));	/* tp_block_nr 0: free the ring */
	(void)setsockopt(fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof(req));
}

static int pkt_ring_request(int fd, uint32_t frame_nr, struct tpacket_req *req)
{
	long page = sysconf(_SC_PAGESIZE);
	uint32_t block = page > (long)PR_BLOCK_MIN ? (uint32_t)page : PR_BLOCK_MIN;
	uint32_t per_block = block / PR_FRAME_SIZE;
	int v2 = TPACKET_V2, one = 1;

	if (!frame_nr) {
		errno = EINVAL;
		return -1;
	}
	req->tp_block_size = block;
	req->tp_block_nr = (frame_nr + per_block - 1) / per_block;
	req->tp_frame_size = PR_FRAME_SIZE;
	req->tp_frame_nr = req->tp_block_nr * per_block;
	if (setsockopt(fd, SOL_PACKET, PACKET_VERSION, &v2, sizeof(v2)) < 0 ||
	    setsockopt(fd, SOL_PACKET, PACKET_COPY_THRESH, &one, sizeof(one)) < 0)
		return -1;
	return setsockopt(fd, SOL_PACKET, PACKET_RX_RING, req, sizeof(*req));
}

int pkt_ring_setup(struct pkt_ring *r, int fd, uint32_t frame_nr)
{
	struct tpacket_req req;
	size_t len;
	void *map;
	int saved;

	memset(r, 0, sizeof(*r));
	if (pkt_ring_request(fd, frame_nr, &req) < 0)
		return -1;
	len = (size_t)req.tp_block_size * req.tp_block_nr;
	map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		saved = errno;
		pkt_ring_unset(fd);
		errno = saved;
		return -1;
	}
	r->map = map;
	r->map_len = len;
	r->frame_size = req.tp_frame_size;
	r->frame_nr = req.tp_frame_nr;
	return 0;
}

void pkt_ring_fini(struct pkt_ring *r)
{
	if (r->map)
		munmap(r->map, r->map_len);
	memset(r, 0, sizeof(*r));
}

/**
 * pkt_ring_slot() - What user-owned slot H of ring R holds
 * @r:		the ring
 * @h:		a slot pkt_ring_peek() returned
 * @f:		filled for PKT_RING_FRAME: the vnet header, the frame, its tag
 *
 * A slot marked TP_STATUS_COPY is PKT_RING_COPY whatever else it says:
 * the kernel queued a copy, and the reader must take it off the queue
 * to keep the slots and the queue in step.
 */
enum pkt_ring_kind pkt_ring_slot(const struct pkt_ring *r, const struct tpacket2_hdr *h,
				 struct pkt_ring_frame *f)
{
	uint32_t mac = h->tp_mac, snap = h->tp_snaplen, len = h->tp_len;
	const uint8_t *slot = (const uint8_t *)h;

	if (h->tp_status & TP_STATUS_COPY)
		return PKT_RING_COPY;
	if (mac < PR_MIN_MAC || mac > r->frame_size || snap > r->frame_size - mac ||
	    snap > len)
		return PKT_RING_BAD;
	if (snap < len)
		return PKT_RING_CUT;
	f->vnet = (const void *)(slot + mac - sizeof(struct virtio_net_hdr));
	f->data = slot + mac;
	f->len = snap;
	f->status = h->tp_status;
	f->vlan_tci = h->tp_vlan_tci;
	f->vlan_tpid = h->tp_vlan_tpid;
	return PKT_RING_FRAME;
}
