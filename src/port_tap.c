/* port_tap.c - a container port that is a TAP device inside its namespace.
 *
 * Theory of Operation
 *
 * The TAP is made inside the container's namespace (netns_run around
 * TUNSETIFF), so the container sees an ordinary Ethernet interface while
 * vswitchd holds the other side, a file descriptor, in its own namespace.
 * The fd also pins the namespace: the container's `ip netns del` or exit
 * does not free it while we hold it, which is why namespace death is
 * detected from the REF (netns_watch.c), not from the fd.
 *
 * Persistence: TUNSETPERSIST 1 keeps the device when our fd closes, so a
 * vswitchd that is killed leaves the container's eth0 in place, addresses
 * and routes included, and the next vswitchd adopts it by TUNSETIFF on the
 * same name (the kernel re-attaches an fd to an existing persistent TAP
 * with matching flags).  Only a real disconnect clears persistence before
 * closing, which removes the device.
 *
 * Offloads: with OFFLOAD (the default; `network connect --no-offload`
 * turns it off) the TAP is opened with IFF_VNET_HDR and TUNSETOFFLOAD
 * tells the container's kernel that we take partial checksums and TCP
 * segments of up to 64 KB over IPv4 and IPv6 (TSO, TSO6, with ECN).  The container's stack then
 * hands over one 64 KB frame where it would have sent 45, and a struct
 * virtio_net_hdr in front of each frame says what is left to do; the
 * frame crosses the switch whole and is segmented only if it leaves
 * through a port that cannot take it (port.c, port_offload.c).  The
 * header is read into and written from the batch buffer's headroom, so a
 * frame still costs one read() or write(), never a readv/writev.
 * UDP segmentation is not offered: the switch cannot cut it in software
 * for a port without offloads, so the container's kernel does it (TSO6 is
 * offered since port_offload.c cuts TCPv6 too).  Without OFFLOAD the TAP is plain IFF_NO_PI: exactly an
 * Ethernet frame, complete, at most the MTU.
 *
 * Bursts: a TAP has no batch read or write, so a burst is up to PKT_BURST
 * read() calls until EAGAIN.  On tx, when a flush holds more than one
 * frame, every frame is queued on the shared io_uring (port_uring.c) and
 * the whole flush costs one system call; a single frame, or a host
 * without io_uring (--no-io-uring), takes a write() per frame.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "log.h"
#include "netns.h"
#include "port.h"
#include "port_uring.h"

#define TAP_VNET_LEN ((int)sizeof(struct virtio_net_hdr))
/* What we take from the container's kernel with offloads on. */
#define TAP_OFFLOADS (TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN)

struct port_tap_open_ctx {
	const char *ifname;
	bool offload;
	int fd;
};

/* Offload set-up on an attached fd; also clears what an earlier run with
 * another setting left on a persistent device. */
static int port_tap_offloads(int fd, bool offload)
{
	int len = TAP_VNET_LEN;

	if (!offload)
		return ioctl(fd, TUNSETOFFLOAD, 0);
	if (ioctl(fd, TUNSETVNETHDRSZ, &len) < 0)
		return -1;
	return ioctl(fd, TUNSETOFFLOAD, TAP_OFFLOADS);
}

/* Inside the container: open the clone device and bind it to IFNAME. */
static int port_tap_open_in(void *arg)
{
	struct port_tap_open_ctx *x = arg;
	struct ifreq ifr;
	int fd, saved;

	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | (x->offload ? IFF_VNET_HDR : 0);
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", x->ifname);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0 || ioctl(fd, TUNSETPERSIST, 1) < 0 ||
	    port_tap_offloads(fd, x->offload) < 0)
		goto fail;
	x->fd = fd;
	return 0;
fail:
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

/**
 * port_tap_open() - Create, or re-attach to, a persistent TAP in a namespace
 * @netns_fd:	the container's namespace (NETNS_SELF for our own)
 * @ifname:	the device name inside it (eth0...)
 * @name:	the port's name ("c1:eth0")
 * @offload:	take and give GSO frames and partial checksums (vnet header)
 *
 * An existing persistent TAP of that name is adopted (restart); a device
 * of that name that is not a TAP fails with EINVAL, one held by another
 * process with EBUSY.
 *
 * Return: the port, or NULL with errno set.
 */
static struct port *port_tap_open(int netns_fd, const char *ifname, const char *name,
				  bool offload)
{
	struct port_tap_open_ctx x = { ifname, offload, -1 };
	struct port *port;

	if (!ifname || !ifname[0] || strlen(ifname) >= IFNAMSIZ) {
		errno = EINVAL;
		return NULL;
	}
	if (netns_run(netns_fd, port_tap_open_in, &x) < 0)
		return NULL;
	port = port_alloc(&port_tap_ops, name, x.fd);
	if (!port) {
		close(x.fd);
		errno = ENOMEM;
		return NULL;
	}
	port->vnet_hdr = port->tx_offload = offload;
	return port;
}

/* Read one frame into P; with a vnet header, the header lands in the
 * headroom just before the frame and is copied out.  Return as read(). */
static ssize_t port_tap_read(struct port *port, struct pkt *p)
{
	int hl = port->vnet_hdr ? TAP_VNET_LEN : 0;
	ssize_t r;

	p->data = p->buf + PKT_HEADROOM;
	do
		r = read(port->fd, p->data - hl, PKT_BUF_SIZE - PKT_HEADROOM + (size_t)hl);
	while (r < 0 && errno == EINTR);
	if (r <= 0 || !hl)
		return r;
	if (r < hl)
		return 0;	/* cannot happen with a sane kernel: an empty frame */
	memcpy(&p->vnet, p->data - hl, sizeof(p->vnet));
	return r - hl;
}

/**
 * port_tap_rx_burst() - Read up to PKT_BURST frames, stopping at EAGAIN
 * @port:	the TAP port
 * @b:		batch whose buffers receive the frames
 *
 * Return: frames read, or -1 if the device is gone (EBADFD after the
 * interface was deleted under us).
 */
static int port_tap_rx_burst(struct port *port, struct pkt_batch *b)
{
	unsigned int n = 0;

	while (n < PKT_BURST) {
		struct pkt *p = &b->pkts[n];
		ssize_t r = port_tap_read(port, p);

		if (r < 0) {
			if (errno == EAGAIN || n > 0)
				break;
			return -1;
		}
		if (r == 0)
			break;
		p->len = (uint32_t)r;
		p->flags = 0;
		p->in_port = port;
		n++;
	}
	b->count = n;
	return (int)n;
}

/* The vnet header for P, in the headroom before its data (port.c's tx
 * queue keeps PKT_HEADROOM there): P's own when it carries offload work,
 * else all zero (complete, not GSO). */
static uint8_t *port_tap_vnet_put(struct pkt *p)
{
	uint8_t *h = p->data - TAP_VNET_LEN;

	if (p->flags & (PKT_F_GSO | PKT_F_CSUM_PARTIAL))
		memcpy(h, &p->vnet, TAP_VNET_LEN);
	else
		memset(h, 0, TAP_VNET_LEN);
	return h;
}

/**
 * port_tap_tx_burst() - Write frames one by one
 * @port:	the TAP port
 * @pkts:	frames to send
 * @n:		how many
 *
 * A full TAP queue (EAGAIN) ends the burst: the rest would fail too.  A
 * frame the device refuses for any other reason is skipped.
 *
 * Return: frames written; the caller counts the others as dropped.
 */
static int port_tap_tx_burst(struct port *port, struct pkt *const *pkts, unsigned int n)
{
	unsigned int i;
	int sent = 0;

	for (i = 0; i < n; i++) {
		uint8_t *from = pkts[i]->data;
		size_t len = pkts[i]->len;
		ssize_t r;

		if (port->vnet_hdr) {
			from = port_tap_vnet_put(pkts[i]);
			len += TAP_VNET_LEN;
		}
		do
			r = write(port->fd, from, len);
		while (r < 0 && errno == EINTR);
		if (r < 0 && errno == EAGAIN)
			break;
		if (r >= 0)
			sent++;
	}
	return sent;
}

/* The same frames on the shared ring: the vnet header is its own iovec,
 * taken from the queued struct pkt, since a flooded frame's headroom is
 * shared by every port that queued it. */
static void port_tap_tx_batch(struct port *port, struct pkt *const *pkts, unsigned int n)
{
	static const struct virtio_net_hdr none;
	unsigned int i;

	for (i = 0; i < n; i++) {
		struct pkt *p = pkts[i];
		const void *h = p->flags & (PKT_F_GSO | PKT_F_CSUM_PARTIAL) ? &p->vnet : &none;

		port_uring_queue(port, p, h, port->vnet_hdr ? TAP_VNET_LEN : 0);
	}
}

static void port_tap_close(struct port *port, bool destroy)
{
	if (port->fd < 0)
		return;
	/* Without persistence the device goes away with its last fd. */
	if (destroy && ioctl(port->fd, TUNSETPERSIST, 0) < 0)
		log_warn("%s: cannot clear TAP persistence: %s", port->name, strerror(errno));
	close(port->fd);
	port->fd = -1;
}

const struct port_ops port_tap_ops = {
	.type = "tap",
	.rx_burst = port_tap_rx_burst,
	.tx_burst = port_tap_tx_burst,
	.tx_batch = port_tap_tx_batch,
	.close = port_tap_close,
};

static struct port *port_tap_class_open(const struct port_args *a)
{
	return port_tap_open(a->netns_fd, a->ifname, a->name, a->offload);
}

/* "tap": a TAP device in any namespace; the kernel side owns its MAC. */
const struct port_class port_tap_class = {
	.type = "tap",
	.kernel_peer = true,
	.open = port_tap_class_open,
};
