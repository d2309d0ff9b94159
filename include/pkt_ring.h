/* pkt_ring.h - a packet socket's TPACKET_V2 receive ring (pkt_ring.c).
 *
 * The kernel writes each received frame into the next free slot of a ring
 * shared with us by mmap() and flips the slot's status to TP_STATUS_USER;
 * we read the frame and flip it back to TP_STATUS_KERNEL.  A burst costs
 * no system call at all.  The walk is inline: it is the hot path.
 */
#ifndef VS_PKT_RING_H
#define VS_PKT_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/if_packet.h>
#include <linux/virtio_net.h>

struct pkt_ring {
	uint8_t *map;            /* the mmap'ed slots, NULL when off */
	size_t map_len;
	uint32_t frame_size;     /* bytes per slot, header included */
	uint32_t frame_nr;       /* slots */
	uint32_t head;           /* next slot the kernel fills, in order */
};

/* What a user-owned slot holds, after pkt_ring_slot() checked it. */
enum pkt_ring_kind {
	PKT_RING_FRAME,          /* whole frame in the slot */
	PKT_RING_COPY,           /* too big for a slot: read it with recvmsg */
	PKT_RING_CUT,            /* too big, and no copy was queued: lost */
	PKT_RING_BAD,            /* length or offset outside the slot */
};

struct pkt_ring_frame {
	const struct virtio_net_hdr *vnet;
	const uint8_t *data;
	uint32_t len;
	uint32_t status;         /* TP_STATUS_* (VLAN_VALID...) */
	uint16_t vlan_tci, vlan_tpid;
};

/* Map a ring of at least FRAME_NR slots on packet socket FD (before
 * bind(); PACKET_VNET_HDR already set).  0, or -1 with errno and R off. */
int pkt_ring_setup(struct pkt_ring *r, int fd, uint32_t frame_nr);
void pkt_ring_fini(struct pkt_ring *r);
enum pkt_ring_kind pkt_ring_slot(const struct pkt_ring *r, const struct tpacket2_hdr *h,
				 struct pkt_ring_frame *f);

static inline bool pkt_ring_on(const struct pkt_ring *r)
{
	return r->map != NULL;
}

/* The slot at the head if the kernel has handed it to us, else NULL.  The
 * acquire load orders our reads of the frame after the kernel's writes
 * (it sets the status last, after smp_wmb()). */
static inline struct tpacket2_hdr *pkt_ring_peek(const struct pkt_ring *r)
{
	struct tpacket2_hdr *h = (void *)(r->map + (size_t)r->head * r->frame_size);

	return (__atomic_load_n(&h->tp_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER) ? h : NULL;
}

/* Give slot H (the head) back to the kernel: the release store keeps our
 * reads of the frame before the kernel may overwrite it. */
static inline void pkt_ring_release(struct pkt_ring *r, struct tpacket2_hdr *h)
{
	__atomic_store_n(&h->tp_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
	r->head = r->head + 1 == r->frame_nr ? 0 : r->head + 1;
}

#endif
