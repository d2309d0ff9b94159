/* port_afpacket.c - a port that is an AF_PACKET socket on an interface.
 *
 * Theory of Operation
 *
 * Used for the switch's end of a veth pair (the other end is the
 * container's eth0) and by the NAT area for `--uplink afpacket:IFACE`, so
 * it knows nothing of containers: it binds a raw packet socket to one
 * interface in vswitchd's namespace and moves whole Ethernet frames.
 *
 * - A burst costs at most one syscall each way: the rx ring below (or,
 *   without it, recvmmsg()) fills up to PKT_BURST batch buffers,
 *   sendmmsg() writes the tx queue.  The mmsghdr/iovec arrays live in the
 *   port's private state, made once at open: nothing is allocated per
 *   packet.
 * - PACKET_IGNORE_OUTGOING: an AF_PACKET socket sees the frames its own
 *   interface transmits, including the ones we send; without this option
 *   every frame we forward would come back as input.
 * - PACKET_QDISC_BYPASS: our frames go straight to the driver; the switch
 *   does its own queueing, a qdisc would only add a lock and a copy.
 * - The socket is made with protocol 0 and bound with ETH_P_ALL, so it
 *   receives nothing from other interfaces in the window before bind().
 *
 * - PACKET_VNET_HDR: each frame comes with a struct virtio_net_hdr, both
 *   ways.  On rx it says whether the sender left its checksum partial or
 *   handed over a TSO super-frame (a container veth with offloads on, or
 *   the outside end of an uplink veth); port.c turns that into packet
 *   flags and the frame crosses the switch whole (port_offload.c).  On tx
 *   a frame that still carries such work gets its header back, so the
 *   kernel finishes it (a veth passes it on as a GSO skb, a NIC driver or
 *   the stack segments it); every other frame gets an all-zero header.
 *
 * - PACKET_AUXDATA: the kernel takes an 802.1Q/802.1ad tag off a frame
 *   before a packet socket sees it (skb_vlan_untag) and reports it beside
 *   the frame.  A tagged frame must not pass for an untagged one, so the
 *   tag is put back where it was on the wire, as libpcap does, and the
 *   stages judge the frame as sent: ingress.c and uplink.c drop it as
 *   vlan_tagged (the networks are untagged).
 *
 * - Receive ring (pkt_ring.c): unless vswitchd runs with --no-rx-ring,
 *   the socket gets a TPACKET_V2 PACKET_RX_RING before bind().  A burst
 *   then walks the slots the kernel handed over, copies each frame (and
 *   the vnet header in front of it) into the batch's buffer and gives the
 *   slot back: no system call per burst.  A frame too big for a slot
 *   (2 KB: a TSO super-frame, a jumbo frame) arrives on the socket's
 *   normal queue too (PACKET_COPY_THRESH); its slot is marked
 *   TP_STATUS_COPY and the burst reads it there with recvmsg() at that
 *   slot's place, whole, with its vnet header and auxdata as before.  A
 *   slot with a length or offset outside itself is dropped and counted
 *   (rx_ring_bad), a frame the kernel had to cut without a copy (the
 *   rcvbuf was full) too (rx_ring_cut).  If the ring cannot be set up the
 *   port logs why and keeps recvmmsg().
 * - The socket also reports what the ring never shows: an error (ENETDOWN
 *   when the interface goes down, ENODEV when it is deleted) keeps the fd
 *   readable until a receive call, or SO_ERROR, takes it.  So a burst
 *   that finds the ring empty twice in a row (the second time after a
 *   wake-up: the loop stops at the first empty burst) reads SO_ERROR; a
 *   busy port never does.  It must not recvmsg() there: the kernel
 *   queues an oversize frame's copy before it publishes the slot, and a
 *   wake-up in between would read the copy out of order and leave its
 *   slot without one.  The same early copy can wake the loop with the
 *   ring still empty for a moment; level-triggered epoll brings it back.
 *   Only after AFP_RING_STRAY such wake-ups in a row is the queue read
 *   anyway, so that a frame no slot accounts for (which the kernel does
 *   not make) could never keep the loop spinning.
 *
 * Limits: no tx ring (sendmmsg batches already, and the tx ring would
 * need a slot-sized copy of each GSO frame); the ring costs its 2 KB
 * slots per port in resident memory from the start (AFP_RING_SLOTS).
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
#include "pkt_ring.h"
#include "port_offload.h"

#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23
#endif

#define AFP_VNET_LEN sizeof(struct virtio_net_hdr)
#define AFP_VLAN_LEN 4
#define AFP_CMSG_LEN CMSG_SPACE(sizeof(struct tpacket_auxdata))
/* Wake-ups in a row with an empty ring after which whatever sits on the
 * socket's queue is read with recvmmsg (see the top of this file). */
#define AFP_RING_STRAY 1024

struct port_afpacket {
	char ifname[IF_NAMESIZE];
	int ifindex;
	bool owned;              /* we made the interface: destroy deletes it */
	struct mmsghdr rx_msgs[PKT_BURST];
	struct iovec rx_iov[PKT_BURST][2];
	/* aligned for struct cmsghdr */
	uint64_t rx_cmsg[PKT_BURST][(AFP_CMSG_LEN + 7) / 8];
	struct mmsghdr tx_msgs[PKT_BURST];
	struct iovec tx_iov[PKT_BURST][2];
	struct virtio_net_hdr tx_vnet;   /* all zero: complete, not GSO */
	struct pkt_ring ring;            /* rx ring, off under --no-rx-ring */
	unsigned int ring_empty;         /* bursts in a row that found no slot */
};

/* --no-rx-ring clears it (vswitchd.c, before any port opens). */
static bool afp_ring_wanted = true;

void port_afpacket_use_ring(bool want)
{
	afp_ring_wanted = want;
	log_info("AF_PACKET rx: %s", want ? "TPACKET_V2 ring, oversize frames through recvmsg"
					  : "recvmmsg (--no-rx-ring)");
}

/* Slots per port: the ring is all the buffer a port has (a frame that
 * finds it full is dropped), so it must ride out the loop being busy or
 * descheduled on a loaded host as the 4 MB rcvbuf did: 128 slots lost a
 * third more UDP-64 frames than recvmmsg in the A/B, 512 and 1024 did
 * not.  512 (1 MB) for every port: 1024 on the uplink would take the
 * idle switch (tools/bench/idle.sh) over its 10 MB target. */
#define AFP_RING_SLOTS (16 * PKT_BURST)

static int port_afpacket_sockopts(int fd)
{
	int one = 1, rcvbuf = 4 << 20;

	if (setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, SOL_PACKET, PACKET_AUXDATA, &one, sizeof(one)) < 0)
		return -1;
	/* Bypass is an optimisation; old kernels without it still work. */
	if (setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one)) < 0)
		log_debug("PACKET_QDISC_BYPASS: %s", strerror(errno));
	/* Room for bursts that arrive while the loop is busy elsewhere. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	return 0;
}

/* The ring goes on before bind(), with PACKET_VNET_HDR already set (the
 * kernel refuses that option once a ring exists).  Failing is not fatal. */
static void port_afpacket_ring(struct port_afpacket *a, int fd)
{
	if (!afp_ring_wanted)
		return;
	if (pkt_ring_setup(&a->ring, fd, AFP_RING_SLOTS) < 0)
		log_warn("%s: no rx ring (%s); receiving with recvmmsg", a->ifname,
			 strerror(errno));
}

static int port_afpacket_socket(struct port_afpacket *a)
{
	struct sockaddr_ll sll;
	int fd, saved;

	fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (port_afpacket_sockopts(fd) < 0)
		goto fail;
	port_afpacket_ring(a, fd);
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = a->ifindex;
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		goto fail;
	return fd;
fail:
	saved = errno;
	pkt_ring_fini(&a->ring);
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
static struct port *port_afpacket_open(const char *ifname, const char *name)
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
	fd = port_afpacket_socket(a);
	if (fd < 0) {
		free(a);
		return NULL;
	}
	port = port_alloc(&port_afpacket_ops, name, fd);
	if (!port) {
		pkt_ring_fini(&a->ring);
		close(fd);
		free(a);
		errno = ENOMEM;
		return NULL;
	}
	port->priv = a;
	port->vnet_hdr = true;
	port->tx_offload = true;
	return port;
}

static struct port *port_afpacket_class_open(const struct port_args *args)
{
	struct port *port = port_afpacket_open(args->ifname, args->name);
	struct port_afpacket *a;

	if (!port)
		return NULL;
	a = port->priv;
	a->owned = args->owned;
	port->tx_offload = args->offload;
	return port;
}

/* "afpacket": an existing interface of our namespace, read raw (a veth's
 * host end we made and own, or a borrowed NIC for the uplink). */
const struct port_class port_afpacket_class = {
	.type = "afpacket",
	.open = port_afpacket_class_open,
};

/* port_afpacket_set_promisc() - Receive frames for every MAC (ON), or
 * only the interface's own again; 0 or -1 with errno. */
int port_afpacket_set_promisc(struct port *port, bool on)
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
	return setsockopt(port->fd, SOL_PACKET, on ? PACKET_ADD_MEMBERSHIP : PACKET_DROP_MEMBERSHIP,
			  &mr, sizeof(mr));
}

/* Receive up to COUNT frames into B's slots FROM.. with one recvmmsg. */
static int port_afpacket_recv(struct port *port, struct pkt_batch *b, unsigned int from,
			      unsigned int count)
{
	struct port_afpacket *a = port->priv;
	unsigned int i;
	int n;

	for (i = from; i < from + count; i++) {
		struct pkt *p = &b->pkts[i];

		p->data = p->buf + PKT_HEADROOM;
		a->rx_iov[i][0].iov_base = &p->vnet;
		a->rx_iov[i][1].iov_base = p->data;
		a->rx_iov[i][1].iov_len = PKT_BUF_SIZE - PKT_HEADROOM;
		a->rx_msgs[i].msg_hdr.msg_control = a->rx_cmsg[i];
		a->rx_msgs[i].msg_hdr.msg_controllen = sizeof(a->rx_cmsg[i]);
	}
	do
		n = recvmmsg(port->fd, &a->rx_msgs[from], count, MSG_DONTWAIT, NULL);
	while (n < 0 && errno == EINTR);
	return n;
}

/* Put back the tag the kernel took off P (TP_STATUS_VLAN_VALID in
 * STATUS, from PACKET_AUXDATA or the ring slot).  The headroom
 * (PKT_HEADROOM) has room for the 4 bytes in front. */
static void port_afpacket_vlan_put(struct pkt *p, uint32_t status, uint16_t tci, uint16_t tpid)
{
	if (!(status & TP_STATUS_VLAN_VALID) || p->len < 2 * ETH_ALEN)
		return;
	if (!(status & TP_STATUS_VLAN_TPID_VALID))
		tpid = ETH_P_8021Q;
	memmove(p->data - AFP_VLAN_LEN, p->data, 2 * ETH_ALEN);
	p->data -= AFP_VLAN_LEN;
	p->data[12] = (uint8_t)(tpid >> 8);
	p->data[13] = (uint8_t)tpid;
	p->data[14] = (uint8_t)(tci >> 8);
	p->data[15] = (uint8_t)tci;
	p->len += AFP_VLAN_LEN;
}

/**
 * port_afpacket_msg_done() - Finish frame I of B as recvmmsg left it
 * @a:		the port's state (the message and its PACKET_AUXDATA)
 * @b:		the batch
 * @i:		which frame
 */
static void port_afpacket_msg_done(struct port_afpacket *a, struct pkt_batch *b, unsigned int i)
{
	const struct tpacket_auxdata *aux = NULL;
	struct msghdr *mh = &a->rx_msgs[i].msg_hdr;
	struct pkt *p = &b->pkts[i];
	uint32_t got = a->rx_msgs[i].msg_len;
	struct cmsghdr *c;

	p->len = got > AFP_VNET_LEN ? got - (uint32_t)AFP_VNET_LEN : 0;
	for (c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c))
		if (c->cmsg_level == SOL_PACKET && c->cmsg_type == PACKET_AUXDATA &&
		    c->cmsg_len >= CMSG_LEN(sizeof(*aux)))
			aux = (const void *)CMSG_DATA(c);
	if (aux)
		port_afpacket_vlan_put(p, aux->tp_status, aux->tp_vlan_tci, aux->tp_vlan_tpid);
}

/* The recvmmsg burst: without a ring, and for what the queue holds
 * behind one (see the top of this file).  Frames delivered, 0 if none,
 * -1 if the interface is gone. */
static int port_afpacket_queue_burst(struct port *port, struct pkt_batch *b)
{
	unsigned int i;
	int n = port_afpacket_recv(port, b, 0, PKT_BURST);

	if (n < 0)
		/* ENETDOWN is transient (the peer went down); ENXIO/ENODEV
		 * mean the interface was deleted under us. */
		return (errno == EAGAIN || errno == ENETDOWN) ? 0 : -1;
	for (i = 0; i < (unsigned int)n; i++)
		port_afpacket_msg_done(port->priv, b, i);
	return n;
}

/**
 * port_afpacket_ring_slot() - Take the frame of ring slot H into B's slot N
 * @port:	the port
 * @h:		a user-owned slot, at the ring's head
 * @b:		the batch
 * @n:		the batch slot to fill
 *
 * Return: true if B's slot N holds a frame; false if the slot's frame was
 * dropped (and counted).
 */
static bool port_afpacket_ring_slot(struct port *port, const struct tpacket2_hdr *h,
				    struct pkt_batch *b, unsigned int n)
{
	struct port_afpacket *a = port->priv;
	struct pkt *p = &b->pkts[n];
	struct pkt_ring_frame f;

	switch (pkt_ring_slot(&a->ring, h, &f)) {
	case PKT_RING_FRAME:
		p->data = p->buf + PKT_HEADROOM;
		memcpy(&p->vnet, f.vnet, sizeof(p->vnet));
		memcpy(p->data, f.data, f.len);
		p->len = f.len;
		port_afpacket_vlan_put(p, f.status, f.vlan_tci, f.vlan_tpid);
		port->stats.rx_ring++;
		return true;
	case PKT_RING_COPY:
		/* The whole frame waits on the queue, in slot order.  A pending
		 * socket error comes out first and is cleared: then try again. */
		if (port_afpacket_recv(port, b, n, 1) == 1 ||
		    (errno != EAGAIN && port_afpacket_recv(port, b, n, 1) == 1)) {
			port_afpacket_msg_done(a, b, n);
			port->stats.rx_ring_copy++;
			return true;
		}
		port_drop(port, NULL, DROP_RX_RING_CUT);
		return false;
	case PKT_RING_CUT:
		port_drop(port, NULL, DROP_RX_RING_CUT);
		return false;
	case PKT_RING_BAD:
	default:
		port_drop(port, NULL, DROP_RX_RING_BAD);
		return false;
	}
}

/* A socket error waits behind the ring (the top of this file): take it,
 * as a receive call would.  0 if none or transient, -1 if the interface
 * is gone. */
static int port_afpacket_ring_error(struct port *port)
{
	socklen_t len = sizeof(int);
	int err = 0;

	if (getsockopt(port->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || !err)
		return 0;
	if (err == ENETDOWN)
		return 0;
	errno = err;
	return -1;
}

/* A burst from the ring: the user-owned slots from the head, each given
 * back once read.  Two empty bursts in a row look for a socket error;
 * AFP_RING_STRAY of them drain the queue, whatever keeps it readable. */
static int port_afpacket_ring_burst(struct port *port, struct pkt_batch *b)
{
	struct port_afpacket *a = port->priv;
	struct tpacket2_hdr *h;
	unsigned int n = 0;
	bool any = false;

	while (n < PKT_BURST && (h = pkt_ring_peek(&a->ring))) {
		any = true;
		n += port_afpacket_ring_slot(port, h, b, n);
		pkt_ring_release(&a->ring, h);
	}
	if (any) {
		a->ring_empty = 0;
		return (int)n;
	}
	if (a->ring_empty++ == 0)
		return 0;
	if (a->ring_empty < AFP_RING_STRAY)
		return port_afpacket_ring_error(port);
	a->ring_empty = 0;
	return port_afpacket_queue_burst(port, b);
}

/**
 * port_afpacket_rx_burst() - Receive up to PKT_BURST frames
 * @port:	the port
 * @b:		batch whose buffers receive the frames
 *
 * From the ring when the port has one, else with one recvmmsg.  Each
 * frame's vnet header lands in its struct pkt (port_offload_rx reads it
 * after parsing).
 *
 * Return: frames delivered (0 if none), -1 if the interface is gone.
 */
static int port_afpacket_rx_burst(struct port *port, struct pkt_batch *b)
{
	struct port_afpacket *a = port->priv;
	unsigned int i;
	int n;

	n = pkt_ring_on(&a->ring) ? port_afpacket_ring_burst(port, b)
				  : port_afpacket_queue_burst(port, b);
	if (n < 0) {
		b->count = 0;
		return -1;
	}
	for (i = 0; i < (unsigned int)n; i++) {
		b->pkts[i].flags = 0;
		b->pkts[i].in_port = port;
	}
	b->count = (unsigned int)n;
	return n;
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
		bool work = pkts[i]->flags & (PKT_F_GSO | PKT_F_CSUM_PARTIAL);

		a->tx_iov[i][0].iov_base = work ? &pkts[i]->vnet : &a->tx_vnet;
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

	if (a)
		pkt_ring_fini(&a->ring);
	if (port->fd >= 0)
		close(port->fd);
	port->fd = -1;
	if (!a)
		return;
	/* Deleting a veth end deletes its peer in the container too. */
	if (destroy && a->owned && netns_if_delete(NETNS_SELF, a->ifname) < 0)
		log_warn("%s: cannot delete interface %s", port->name, a->ifname);
	free(a);
	port->priv = NULL;
}

const struct port_ops port_afpacket_ops = {
	.type = "afpacket",
	.rx_burst = port_afpacket_rx_burst,
	.tx_burst = port_afpacket_tx_burst,
	.close = port_afpacket_close,
};
