/* port_afpacket.c - a port that is an AF_PACKET socket on an interface.
 *
 * Theory of Operation
 *
 * Used for the switch's end of a veth pair (the other end is the
 * container's eth0) and by the NAT area for `--uplink afpacket:IFACE`, so
 * it knows nothing of containers: it binds a raw packet socket to one
 * interface in vswitchd's namespace and moves whole Ethernet frames.
 *
 * - A burst is one syscall each way: recvmmsg() fills up to PKT_BURST
 *   batch buffers, sendmmsg() writes the tx queue.  The mmsghdr/iovec
 *   arrays live in the port's private state, made once at open: nothing
 *   is allocated per packet.
 * - PACKET_IGNORE_OUTGOING: an AF_PACKET socket sees the frames its own
 *   interface transmits, including the ones we send; without this option
 *   every frame we forward would come back as input.
 * - PACKET_QDISC_BYPASS: our frames go straight to the driver; the switch
 *   does its own queueing, a qdisc would only add a lock and a copy.
 * - The socket is made with protocol 0 and bound with ETH_P_ALL, so it
 *   receives nothing from other interfaces in the window before bind().
 *
 * - PACKET_VNET_HDR: each frame comes with a struct virtio_net_hdr that
 *   says whether the sender left its checksum partial or handed us a TSO
 *   super-frame (a peer whose offloads we cannot turn off, e.g. the
 *   outside end of an uplink veth).  Nothing after the switch would finish
 *   them, so rx does (port_offload.c): checksums in place, TSO frames cut
 *   into MSS-sized segments in a per-port pending area (allocated on first
 *   use, so ports that never see GSO never pay).  Once one frame of a
 *   burst went to the pending area, the frames after it follow it there,
 *   so a flow's order is kept; the pending area is drained into the next
 *   bursts first (no new frames are received until it is empty), and the
 *   port's watcher is fed an event while frames wait.
 *   On tx every frame gets an all-zero header: complete, not GSO.
 *
 * Limits: TSO is split for IPv4 only; IPv6 and UDP GSO frames are dropped
 * and counted (container veth ends have offloads off, so they come only
 * from an uplink peer).  TPACKET_V3 rings are a later performance step;
 * they replace the rx_burst/tx_burst pair below and nothing else.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "netns.h"
#include "port.h"
#include "ports.h"

#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23
#endif

#define AFP_VNET_LEN sizeof(struct virtio_net_hdr)
/* A full burst of 64 KB TSO frames at MSS 1448 (45 segments each) fits;
 * 3 MB, allocated only by a port that receives TSO frames at all. */
#define AFP_PEND_MAX (PKT_BURST * 48)
#define AFP_PEND_SLOT 2048

struct port_afpacket {
	char ifname[IF_NAMESIZE];
	int ifindex;
	bool owned;              /* we made the interface: destroy deletes it */
	struct ev_loop *loop;    /* to re-feed our watcher while frames wait */
	struct mmsghdr rx_msgs[PKT_BURST];
	struct iovec rx_iov[PKT_BURST][2];
	struct mmsghdr tx_msgs[PKT_BURST];
	struct iovec tx_iov[PKT_BURST][2];
	struct virtio_net_hdr tx_vnet;   /* all zero: complete, not GSO */
	/* Pending segments (FIFO), see the Theory of Operation. */
	uint8_t *pend_buf;       /* AFP_PEND_MAX * AFP_PEND_SLOT, lazily */
	uint32_t pend_len[AFP_PEND_MAX];
	unsigned int pend_head, pend_count;
};

static int port_afpacket_sockopts(int fd)
{
	int one = 1, rcvbuf = 4 << 20;

	if (setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof(one)) < 0)
		return -1;
	/* Bypass is an optimisation; old kernels without it still work. */
	if (setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one)) < 0)
		log_debug("PACKET_QDISC_BYPASS: %s", strerror(errno));
	/* Room for bursts that arrive while the loop is busy elsewhere. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	return 0;
}

static int port_afpacket_socket(int ifindex)
{
	struct sockaddr_ll sll;
	int fd, saved;

	fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (port_afpacket_sockopts(fd) < 0)
		goto fail;
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = ifindex;
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		goto fail;
	return fd;
fail:
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

static void port_afpacket_init_msgs(struct port_afpacket *a)
{
	unsigned int i;

	for (i = 0; i < PKT_BURST; i++) {
		a->rx_msgs[i].msg_hdr.msg_iov = a->rx_iov[i];
		a->rx_msgs[i].msg_hdr.msg_iovlen = 2;
		a->rx_iov[i][0].iov_len = AFP_VNET_LEN;
		a->tx_msgs[i].msg_hdr.msg_iov = a->tx_iov[i];
		a->tx_msgs[i].msg_hdr.msg_iovlen = 2;
		a->tx_iov[i][0].iov_base = &a->tx_vnet;
		a->tx_iov[i][0].iov_len = AFP_VNET_LEN;
	}
}

/**
 * port_afpacket_open() - Open a raw packet port on an interface
 * @ifname:	interface in vswitchd's namespace
 * @name:	the port's name
 *
 * Return: the port, or NULL with errno set (ENODEV: no such interface).
 */
struct port *port_afpacket_open(const char *ifname, const char *name)
{
	struct port_afpacket *a;
	struct port *port;
	int ifindex, fd;

	ifindex = (int)if_nametoindex(ifname);
	if (!ifindex) {
		errno = ENODEV;
		return NULL;
	}
	a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	snprintf(a->ifname, sizeof(a->ifname), "%s", ifname);
	a->ifindex = ifindex;
	port_afpacket_init_msgs(a);
	fd = port_afpacket_socket(ifindex);
	if (fd < 0) {
		free(a);
		return NULL;
	}
	port = port_alloc(&port_afpacket_ops, name, fd);
	if (!port) {
		close(fd);
		free(a);
		errno = ENOMEM;
		return NULL;
	}
	port->priv = a;
	return port;
}

void port_afpacket_set_loop(struct port *port, struct ev_loop *loop)
{
	struct port_afpacket *a = port->priv;

	if (port->ops == &port_afpacket_ops && a)
		a->loop = loop;
}

void port_afpacket_set_owned(struct port *port, bool owned)
{
	struct port_afpacket *a = port->priv;

	if (port->ops == &port_afpacket_ops && a)
		a->owned = owned;
}

int port_afpacket_set_promisc(struct port *port)
{
	struct port_afpacket *a = port->priv;
	struct packet_mreq mr;

	if (port->ops != &port_afpacket_ops || !a) {
		errno = EINVAL;
		return -1;
	}
	memset(&mr, 0, sizeof(mr));
	mr.mr_ifindex = a->ifindex;
	mr.mr_type = PACKET_MR_PROMISC;
	/* The membership ends with the socket: a crash leaves no promisc. */
	return setsockopt(port->fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr));
}

/* Move waiting segments into batch slots FROM.. ; return the next free slot. */
static unsigned int port_afpacket_drain(struct port *port, struct pkt_batch *b, unsigned int from)
{
	struct port_afpacket *a = port->priv;

	while (a->pend_count && from < PKT_BURST) {
		struct pkt *p = &b->pkts[from++];
		unsigned int k = a->pend_head;

		p->data = p->buf + PKT_HEADROOM;
		memcpy(p->data, a->pend_buf + (size_t)k * AFP_PEND_SLOT, a->pend_len[k]);
		p->len = a->pend_len[k];
		p->flags = 0;
		p->in_port = port;
		a->pend_head = (k + 1) % AFP_PEND_MAX;
		a->pend_count--;
	}
	if (!a->pend_count)
		a->pend_head = 0;   /* an empty ring gives TSO its whole length */
	return from;
}

static bool port_afpacket_pend_alloc(struct port_afpacket *a)
{
	if (!a->pend_buf)
		a->pend_buf = malloc((size_t)AFP_PEND_MAX * AFP_PEND_SLOT);
	return a->pend_buf != NULL;
}

/* Queue frame P (already complete) behind the waiting segments. */
static void port_afpacket_pend_one(struct port *port, const struct pkt *p)
{
	struct port_afpacket *a = port->priv;
	unsigned int k;

	if (p->len > AFP_PEND_SLOT || a->pend_count == AFP_PEND_MAX || !port_afpacket_pend_alloc(a)) {
		port_drop(port, DROP_GSO_BACKLOG);
		return;
	}
	k = (a->pend_head + a->pend_count) % AFP_PEND_MAX;
	memcpy(a->pend_buf + (size_t)k * AFP_PEND_SLOT, p->data, p->len);
	a->pend_len[k] = p->len;
	a->pend_count++;
}

/* Cut a TSO frame into segments in the pending area.  The area is used as
 * a ring, so segments go to a scratch run first when they would wrap. */
static void port_afpacket_pend_tso(struct port *port, const struct pkt *p)
{
	struct port_afpacket *a = port->priv;
	unsigned int free_slots = AFP_PEND_MAX - a->pend_count, k, i;
	uint32_t lens[AFP_PEND_MAX];
	int n;

	if ((p->vnet.gso_type & ~VIRTIO_NET_HDR_GSO_ECN) != VIRTIO_NET_HDR_GSO_TCPV4 ||
	    !port_afpacket_pend_alloc(a)) {
		port_drop(port, DROP_UNSUPPORTED);
		return;
	}
	k = (a->pend_head + a->pend_count) % AFP_PEND_MAX;
	/* Contiguous room from K to the end of the ring (or to the head). */
	if (k + free_slots > AFP_PEND_MAX)
		free_slots = AFP_PEND_MAX - k;
	n = port_offload_tso4(p->data, p->len, p->vnet.gso_size,
			      a->pend_buf + (size_t)k * AFP_PEND_SLOT, AFP_PEND_SLOT,
			      free_slots, lens);
	if (n < 0) {
		port_drop(port, DROP_UNSUPPORTED);
		return;
	}
	for (i = 0; i < (unsigned int)n; i++)
		a->pend_len[(k + i) % AFP_PEND_MAX] = lens[i];
	a->pend_count += (unsigned int)n;
}

/* Finish one received frame; false if it was consumed (queued or dropped)
 * rather than left in the batch.  PENDING: frames are already waiting, so
 * this one must wait behind them to keep order. */
static bool port_afpacket_finish(struct port *port, struct pkt *p, bool pending)
{
	if (p->vnet.gso_type != VIRTIO_NET_HDR_GSO_NONE) {
		port_afpacket_pend_tso(port, p);
		return false;
	}
	if ((p->vnet.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) &&
	    !port_offload_csum(p->data, p->len, &p->vnet)) {
		port_drop(port, DROP_BAD_L4);
		return false;
	}
	if (pending) {
		port_afpacket_pend_one(port, p);
		return false;
	}
	return true;
}

static int port_afpacket_recv(struct port *port, struct pkt_batch *b, unsigned int from)
{
	struct port_afpacket *a = port->priv;
	unsigned int i;
	int n;

	for (i = from; i < PKT_BURST; i++) {
		struct pkt *p = &b->pkts[i];

		p->data = p->buf + PKT_HEADROOM;
		a->rx_iov[i][0].iov_base = &p->vnet;
		a->rx_iov[i][1].iov_base = p->data;
		a->rx_iov[i][1].iov_len = PKT_BUF_SIZE - PKT_HEADROOM;
	}
	do
		n = recvmmsg(port->fd, &a->rx_msgs[from], PKT_BURST - from, MSG_DONTWAIT, NULL);
	while (n < 0 && errno == EINTR);
	return n;
}

/**
 * port_afpacket_rx_burst() - Receive up to PKT_BURST frames in one recvmmsg
 * @port:	the port
 * @b:		batch whose buffers receive the frames
 *
 * Segments waiting from an earlier TSO frame come first.
 *
 * Return: frames delivered (0 if none), -1 if the interface is gone.
 */
static int port_afpacket_rx_burst(struct port *port, struct pkt_batch *b)
{
	struct port_afpacket *a = port->priv;
	unsigned int i, out, first;
	int n;

	out = first = port_afpacket_drain(port, b, 0);
	/* Receive only into an empty pending area, so that a whole burst of
	 * TSO frames has room to be cut up. */
	n = (out < PKT_BURST && !a->pend_count) ? port_afpacket_recv(port, b, out) : 0;
	if (n < 0 && out == 0) {
		b->count = 0;
		/* ENETDOWN is transient (the peer went down); ENXIO/ENODEV
		 * mean the interface was deleted under us. */
		return (errno == EAGAIN || errno == ENETDOWN) ? 0 : -1;
	}
	for (i = first; n > 0 && i < first + (unsigned int)n; i++) {
		struct pkt *p = &b->pkts[i];
		uint32_t got = a->rx_msgs[i].msg_len;

		p->len = got > AFP_VNET_LEN ? got - (uint32_t)AFP_VNET_LEN : 0;
		p->flags = 0;
		p->in_port = port;
		if (!port_afpacket_finish(port, p, a->pend_count > 0))
			continue;
		if (i != out) {     /* close the gap; buffers swap, none is lost */
			struct pkt tmp = b->pkts[out];

			b->pkts[out] = *p;
			*p = tmp;
		}
		out++;
	}
	out = port_afpacket_drain(port, b, out);
	b->count = out;
	/* Segments wait and the socket may be empty: ask to be called again.
	 * Without port_afpacket_set_loop() assume the default loop, which is
	 * where a single-loop daemon runs its ports. */
	if (a->pend_count && ev_is_active(&port->io))
		ev_feed_event(a->loop ? a->loop : ev_default_loop(0), &port->io, EV_READ);
	return (int)out;
}

/**
 * port_afpacket_tx_burst() - Send frames with as few sendmmsg calls as may be
 * @port:	the port
 * @pkts:	frames to send
 * @n:		how many (at most PKT_BURST)
 *
 * sendmmsg stops at the first frame that fails; a full socket buffer
 * (EAGAIN) ends the burst, any other error skips that one frame.
 *
 * Return: frames sent; the caller counts the others as dropped.
 */
static int port_afpacket_tx_burst(struct port *port, struct pkt *const *pkts, unsigned int n)
{
	struct port_afpacket *a = port->priv;
	unsigned int i = 0;
	int sent = 0;

	if (n > PKT_BURST)
		n = PKT_BURST;
	for (i = 0; i < n; i++) {
		a->tx_iov[i][1].iov_base = pkts[i]->data;
		a->tx_iov[i][1].iov_len = pkts[i]->len;
	}
	i = 0;
	while (i < n) {
		int r = sendmmsg(port->fd, &a->tx_msgs[i], n - i, MSG_DONTWAIT);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				break;
			i++;    /* this frame was refused; try the rest */
			continue;
		}
		i += (unsigned int)r;
		sent += r;
	}
	return sent;
}

static void port_afpacket_close(struct port *port, bool destroy)
{
	struct port_afpacket *a = port->priv;

	if (port->fd >= 0)
		close(port->fd);
	port->fd = -1;
	if (!a)
		return;
	/* Deleting a veth end deletes its peer in the container too. */
	if (destroy && a->owned && netns_if_delete(NETNS_SELF, a->ifname) < 0)
		log_warn("%s: cannot delete interface %s", port->name, a->ifname);
	free(a->pend_buf);
	free(a);
	port->priv = NULL;
}

const struct port_ops port_afpacket_ops = {
	.type = "afpacket",
	.rx_burst = port_afpacket_rx_burst,
	.tx_burst = port_afpacket_tx_burst,
	.close = port_afpacket_close,
};
