/* port_pasta.c - the "pasta" port type: a persistent TAP a translator drives.
 *
 * `--uplink pasta` becomes the spec "pasta:vsup0".  Opening it makes a
 * persistent TAP of that name in vswitchd's (the switch) namespace, with
 * no fd of ours attached, brings it up with IPv6 off (the kernel here has
 * no address on it and must stay silent), tells the supervisor to start
 * the translator (rootless_uplink.c), which attaches to the same device,
 * and reads and writes it with an AF_PACKET socket: the port is an
 * afpacket port in every other respect, but without offloads (the
 * translator cannot take GSO frames or partial checksums).  Why persistent and not pasta's
 * own TAP: a translator that dies and is restarted re-attaches to the
 * same interface, so the AF_PACKET socket never points at a device that
 * is gone.  Closing the port leaves the device (a restart adopts it).
 *
 * The TAP's queue is made long (PASTA_TXQLEN frames; the kernel's default
 * is 1000).  Why: a container's 64 KB TSO frame leaves here as some 45
 * MTU-sized frames, while pasta, a single thread, reads the TAP more
 * slowly than containers write to the switch.  Our frames go past the
 * qdisc (PACKET_QDISC_BYPASS) into the TAP's ring, which holds
 * tx_queue_len frames: at 1000 (1.5 MB) it overflowed within a second of
 * bulk egress, hundreds of frames at a time (uplink tx_error drops).  And
 * Debian 12's pasta offers neither SACK nor timestamps to the guest, so
 * each such burst loss cost the sender a retransmission timeout, backed
 * off while it repeated: egress fell to tens of Mbit/s with stalls of
 * seconds (doc/rootless.md, "What was wrong with the earlier runs").  A flow's unacked
 * data is bounded by its send buffer (tcp_wmem's 4 MB in a fresh
 * namespace: about 2900 MTU frames), so a ring of PASTA_TXQLEN holds
 * several such flows whole and pasta's slowness becomes what it should
 * be, a longer round trip, not loss.  The ring costs memory only while
 * pasta lags (a pointer per slot otherwise).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include "log.h"
#include "port.h"
#include "rootless.h"

/* Frames the TAP's ring holds for pasta: several containers' full send
 * windows (above), about 24 MB of MTU frames. */
#define PASTA_TXQLEN 16384

/* port_pasta_tap() - Make IFNAME a persistent TAP (or find it made). */
static int port_pasta_tap(const char *ifname)
{
	struct ifreq ifr;
	int fd, rc;

	if (if_nametoindex(ifname))
		return 0;     /* left by the previous vswitchd: adopt it */
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	rc = ioctl(fd, TUNSETIFF, &ifr);
	if (rc == 0)
		rc = ioctl(fd, TUNSETPERSIST, 1);
	close(fd);
	return rc;
}

/* port_pasta_txqlen() - The TAP's ring long enough for pasta to lag
 * behind the containers without loss (above); also on an adopted device,
 * which a vswitchd before this one may have left at the default.  By
 * rtnetlink (IFLA_TXQLEN): the ioctl SIOCSIFTXQLEN asks for CAP_NET_ADMIN
 * in the host's user namespace, which a rootless vswitchd never has. */
static void port_pasta_txqlen(const char *ifname)
{
	struct rtnl_link *orig = NULL, *chg = NULL;
	struct nl_sock *sk = nl_socket_alloc();
	int rc = -NLE_NOMEM;

	if (sk && (rc = nl_connect(sk, NETLINK_ROUTE)) == 0 &&
	    (rc = rtnl_link_get_kernel(sk, 0, ifname, &orig)) == 0) {
		chg = rtnl_link_alloc();
		rc = -NLE_NOMEM;
		if (chg) {
			rtnl_link_set_txqlen(chg, PASTA_TXQLEN);
			rc = rtnl_link_change(sk, orig, chg, 0);
		}
	}
	if (rc < 0)
		log_warn("%s: cannot set its queue to %d frames: %s (bulk egress through the "
			 "translator will lose frames)", ifname, PASTA_TXQLEN, nl_geterror(rc));
	if (chg)
		rtnl_link_put(chg);
	if (orig)
		rtnl_link_put(orig);
	if (sk)
		nl_socket_free(sk);
}

/* port_pasta_up() - Link up, IPv6 off: nothing of the kernel's on it. */
static int port_pasta_up(const char *ifname)
{
	char path[96];
	struct ifreq ifr;
	int fd, rc;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/disable_ipv6", ifname);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (write(fd, "1", 1) < 0)
			log_debug("%s: cannot turn IPv6 off: %s", ifname, strerror(errno));
		close(fd);
	}
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	rc = ioctl(fd, SIOCGIFFLAGS, &ifr);
	if (rc == 0) {
		ifr.ifr_flags |= IFF_UP;
		rc = ioctl(fd, SIOCSIFFLAGS, &ifr);
	}
	close(fd);
	return rc;
}

static struct port *port_pasta_open(const struct port_args *a)
{
	struct port_args af = *a;

	if (port_pasta_tap(a->ifname) < 0) {
		log_err("uplink: cannot make the TAP %s for the translator: %s (it needs "
			"/dev/net/tun: chmod 0666 /dev/net/tun, Debian's default)", a->ifname,
			strerror(errno));
		return NULL;
	}
	port_pasta_txqlen(a->ifname);
	if (port_pasta_up(a->ifname) < 0 || rootless_uplink_go() < 0)
		return NULL;
	rootless_uplink_wait_ready(a->ifname);
	af.owned = false;
	/* The translator reads the TAP without a virtio-net header, so a GSO
	 * frame or a partial checksum would reach it as one 64 KB "packet"
	 * with a wrong checksum: bulk TCP through pasta stalled.  Frames to
	 * this port are cut to the MTU and checksummed by the switch
	 * (port_offload.c), as for any port without offloads. */
	af.offload = false;
	return port_afpacket_class.open(&af);
}

const struct port_class port_pasta_class = {
	.type = "pasta",
	.open = port_pasta_open,
};
