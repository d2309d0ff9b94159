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
 * Bursts: a TAP has no batch read or write, so a burst is up to PKT_BURST
 * read() calls until EAGAIN, and tx is a write() per frame.  IFF_NO_PI and
 * no IFF_VNET_HDR: a frame is exactly an Ethernet frame.  Offloads (vnet_hdr,
 * TUNSETOFFLOAD) are a later performance step that changes this file only.
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

struct port_tap_open_ctx {
	const char *ifname;
	int fd;
};

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
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", x->ifname);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0 || ioctl(fd, TUNSETPERSIST, 1) < 0)
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
 *
 * An existing persistent TAP of that name is adopted (restart); a device
 * of that name that is not a TAP fails with EINVAL, one held by another
 * process with EBUSY.
 *
 * Return: the port, or NULL with errno set.
 */
struct port *port_tap_open(int netns_fd, const char *ifname, const char *name)
{
	struct port_tap_open_ctx x = { ifname, -1 };
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
	return port;
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
		ssize_t r;

		p->data = p->buf + PKT_HEADROOM;
		r = read(port->fd, p->data, PKT_BUF_SIZE - PKT_HEADROOM);
		if (r < 0) {
			if (errno == EINTR)
				continue;
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
		ssize_t r;

		do
			r = write(port->fd, pkts[i]->data, pkts[i]->len);
		while (r < 0 && errno == EINTR);
		if (r < 0 && errno == EAGAIN)
			break;
		if (r >= 0)
			sent++;
	}
	return sent;
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
	.close = port_tap_close,
};
