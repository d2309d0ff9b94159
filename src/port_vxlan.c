/* port_vxlan.c - the tunnel port: overlay networks' frames between hosts.
 *
 * DOC: Theory of Operation
 *
 * One port per datapath, of class "vxlan", made by vswitchd --vtep-ip
 * (port_vxlan_open).  It carries every overlay network's frames, told
 * apart by VNI (overlay.h holds the tables, vxlan.c the framing).
 *
 * Sockets: ordinary UDP sockets, no raw socket and no kernel vxlan device,
 * so the switch needs no privilege for the tunnel and the kernel does the
 * outer IP, routing and neighbour resolution on the underlay.  One socket
 * bound to VTEP:PORT (4789, or 8472 for flannel-style peers) receives;
 * VXLAN_TX_SOCKS sockets bound to VTEP:0 send, each from its own
 * ephemeral port, and a frame leaves by the one its inner flow hashes to:
 * that is RFC 7348 5's source-port entropy, with the port range the
 * kernel chose (Linux's vxlan uses the same range).  Every socket has
 * IP_PMTUDISC_DO: DF set, the kernel never fragments.  Bursts: recvmmsg
 * on receive, one sendmmsg per sending socket per flush on transmit.
 *
 * Receive: the datagram is read behind VXLAN_OUTER_LEN bytes of headroom
 * (from VXLAN_RX_HEADROOM, so that the inner IP header is aligned as any
 * port's) and its outer Ethernet, IPv4 and UDP headers are written there
 * from the sender's address, so capture on this port (`vsctl capture --tunnel`)
 * sees the packet as it was on the wire.  Then, per packet: the header's
 * flags and reserved bits (vxlan_bad_flags, vxlan_truncated), the VNI
 * (vxlan_unknown_vni), the sender among the network's members
 * (vxlan_unknown_vtep: a stranger cannot inject frames into a network by
 * guessing its VNI), the inner frame's checks as for any port (runt, bad
 * L3/L4, source MAC, VLAN tag, MTU), a source MAC that belongs to one of
 * our containers or to the store elsewhere (vxlan_mac_conflict), then
 * learning (overlay_learn) and the network's L2 (l2_forward), which never
 * sends a frame from the tunnel back into it.
 *
 * Transmit (vxlan_output): a frame for one VTEP is encapsulated into the
 * port's own tx slot whose index is the port's queue position, and
 * queued by reference (PKT_F_RXBUF: the slot is not reused before the
 * flush), so the inner frame is copied once.  A GSO frame is cut into
 * segments first and a partial checksum finished (the peer is a network,
 * not a NIC).  A frame longer than the tunnel carries (underlay MTU - 50)
 * is not sent: an IPv4 packet with DF gets ICMP frag-needed from the
 * network's gateway with that MTU, anything else is dropped as mtu.
 *
 * Aging: learned remote MACs expire after the fdb's aging time, swept
 * every VXLAN_SWEEP seconds from the oldest end (overlay_expire).  The
 * same timer reads the underlay's MTU again (port_vxlan_mtu_refresh).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/if_ether.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include "dp.h"
#include "fdb.h"
#include "log.h"
#include "model.h"
#include "overlay.h"
#include "pipeline.h"
#include "port.h"
#include "port_offload.h"
#include "router_port.h"
#include "trace.h"
#include "vxlan.h"

/* A tx slot: a jumbo inner frame and its encapsulation, rounded up to 64
 * bytes so that every slot's inner IPv4 header (64 bytes in) is aligned:
 * port_offload_csum reads it in place. */
#define VXLAN_SLOT ((9216 + VXLAN_ENCAP_LEN + 63) & ~63)
#define VXLAN_SEG_BYTES (4u << 20)
#define VXLAN_SWEEP 5.0

struct port_vxlan {
	struct dp *dp;
	uint32_t vtep_ip;            /* network order */
	uint16_t udp_port;           /* host order */
	unsigned int mtu;            /* inner MTU the tunnel carries */
	int tx_fd[VXLAN_TX_SOCKS];
	uint16_t tx_sport[VXLAN_TX_SOCKS];
	uint8_t slot_sock[PKT_BURST];    /* which tx socket each slot leaves by */
	uint8_t *tx_area;            /* PKT_BURST * VXLAN_SLOT */
	uint8_t *seg_buf;            /* GSO segments, on first use */
	uint32_t seg_lens[PORT_OFFLOAD_SEG_MAX];
	struct mmsghdr rx_msgs[PKT_BURST];
	struct iovec rx_iov[PKT_BURST];
	struct sockaddr_in rx_from[PKT_BURST];
	struct mmsghdr tx_msgs[PKT_BURST];
	struct iovec tx_iov[PKT_BURST];
	struct sockaddr_in tx_to[PKT_BURST];
	ev_timer sweep;
};

/* ---- receive ---------------------------------------------------------- */

/**
 * port_vxlan_outer_parsed() - What pkt_parse() would find in the outer
 * headers vxlan_outer_build() wrote: port.c does not parse a tunnel's
 * frames (their outer IPv4 header is not aligned, the inner one is)
 * @p:		a received packet, outer headers in front
 */
void port_vxlan_outer_parsed(struct pkt *p)
{
	p->eth_type = ETHERTYPE_IP;
	p->l3_ofs = ETHER_HDR_LEN;
	p->l4_ofs = ETHER_HDR_LEN + 20;
	p->ip_proto = IPPROTO_UDP;
	p->is_frag = 0;
}

static int port_vxlan_rx_burst(struct port *port, struct pkt_batch *b)
{
	struct port_vxlan *v = port->priv;
	unsigned int i;
	int n;

	for (i = 0; i < PKT_BURST; i++) {
		struct pkt *p = &b->pkts[i];

		p->data = p->buf + VXLAN_RX_HEADROOM;
		v->rx_iov[i].iov_base = p->data + VXLAN_OUTER_LEN;
		v->rx_iov[i].iov_len = 65535 - 28;
		v->rx_msgs[i].msg_hdr.msg_iov = &v->rx_iov[i];
		v->rx_msgs[i].msg_hdr.msg_iovlen = 1;
		v->rx_msgs[i].msg_hdr.msg_name = &v->rx_from[i];
		v->rx_msgs[i].msg_hdr.msg_namelen = sizeof(v->rx_from[i]);
	}
	do
		n = recvmmsg(port->fd, v->rx_msgs, PKT_BURST, MSG_DONTWAIT, NULL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EAGAIN || errno == ECONNREFUSED ? 0 : -1;
	for (i = 0; i < (unsigned int)n; i++) {
		struct pkt *p = &b->pkts[i];
		uint32_t len = v->rx_msgs[i].msg_len;

		memset(&p->vnet, 0, sizeof(p->vnet));
		p->flags = 0;
		p->len = VXLAN_OUTER_LEN + len;
		vxlan_outer_build(p->data, v->rx_from[i].sin_addr.s_addr, v->vtep_ip,
				  ntohs(v->rx_from[i].sin_port), v->udp_port, (uint16_t)len);
		port_vxlan_outer_parsed(p);
	}
	return n;
}

/* The inner frame's own checks, as ingress makes them for any port. */
static enum drop_reason port_vxlan_inner_check(const struct network *n, const struct pkt *p)
{
	const struct ether_header *eth = pkt_header(p, 0, sizeof(*eth));
	static const uint8_t zero[6];
	uint32_t max = (uint32_t)(n->mtu > 0 ? n->mtu : 1500) + ETHER_HDR_LEN;

	if (!eth)
		return DROP_RUNT;
	if ((eth->ether_shost[0] & 1) || !memcmp(eth->ether_shost, zero, 6))
		return DROP_BAD_SRC_MAC;
	if (pkt_eth_tagged(eth))
		return DROP_VLAN_TAGGED;
	return p->len > max ? DROP_MTU : DROP_NONE;
}

/* A source MAC one of our own ports holds is not the tunnel's to claim. */
static bool port_vxlan_local_mac(struct network *n, const uint8_t *mac)
{
	struct port *out = n->fdb ? fdb_lookup(n->fdb, mac) : NULL;

	return (out && out->role == PORT_ROLE_ENDPOINT) || !memcmp(mac, n->gw_mac, 6);
}

/* An ARP packet through the tunnel tells the address behind its sender's
 * MAC: a learned entry gets it, so that ARP for it is answered here and
 * trace finds it (never an address of ours, nor one the store holds). */
static void port_vxlan_learn_arp(struct network *n, const struct pkt *p)
{
	const struct ether_arp *a;
	union vs_addr spa;
	uint32_t s;

	if (p->eth_type != ETHERTYPE_ARP || !(a = pkt_header(p, p->l3_ofs, sizeof(*a))) ||
	    memcmp(a->arp_sha, p->data + 6, 6))
		return;
	memcpy(&s, a->arp_spa, 4);
	spa = vs_addr_v4(s);
	if (s && !model_endpoint_by_ip4(n, s) && !vs_addr_eq_v4(&n->gateway, s))
		overlay_learn_ip(n, a->arp_sha, &spa);
}

/**
 * port_vxlan_decap() - Check one received packet and take its headers off
 * @port:	the tunnel port
 * @p:		the packet, outer headers in front
 * @np:		its overlay network, on success
 *
 * Return: DROP_NONE (P is now the inner frame, parsed and learned from),
 * or why it is dropped
 */
static enum drop_reason port_vxlan_decap(struct port *port, struct pkt *p, struct network **np)
{
	const uint8_t *outer_ip = p->data + ETHER_HDR_LEN;
	struct overlay_member *m;
	struct overlay_vtep from;
	struct network *n;
	enum drop_reason why;
	uint32_t vni, saddr;
	int rc;

	why = vxlan_hdr_parse(p->data + VXLAN_OUTER_LEN, p->len - VXLAN_OUTER_LEN, &vni);
	if (why != DROP_NONE)
		return why;
	if (!(n = overlay_by_vni(port->dp, vni)))
		return DROP_VXLAN_UNKNOWN_VNI;
	memcpy(&saddr, outer_ip + 12, 4);
	memset(&from, 0, sizeof(from));
	vs_addr_set_v4(&from.addr, saddr);
	if (!(m = overlay_member_find(n, &from.addr)))
		return DROP_VXLAN_UNKNOWN_VTEP;
	m->rx_packets++;
	from.port = m->vtep.port;
	p->data += VXLAN_ENCAP_LEN;
	p->len -= VXLAN_ENCAP_LEN;
	p->flags &= PKT_F_RXBUF;
	if ((rc = pkt_parse(p)) < 0)
		return (enum drop_reason)-rc;
	if ((why = port_vxlan_inner_check(n, p)) != DROP_NONE)
		return why;
	if (port_vxlan_local_mac(n, p->data + 6) ||
	    (overlay_learn(n, p->data + 6, &from, ev_now(port->dp->ports.loop)) && errno == EEXIST))
		return DROP_VXLAN_MAC_CONFLICT;
	port_vxlan_learn_arp(n, p);
	*np = n;
	return DROP_NONE;
}

static void port_vxlan_input(struct port *port, struct pkt_batch *b)
{
	struct network *n;
	enum drop_reason why;
	unsigned int i;
	struct pkt *p;

	PKT_BATCH_FOR_EACH(i, p, b) {
		n = NULL;
		why = port_vxlan_decap(port, p, &n);
		if (why != DROP_NONE) {
			port_drop(port, p, why);
			continue;
		}
		l2_forward(n, p);
	}
}

/* ---- transmit --------------------------------------------------------- */

/* The tunnel's ICMP frag-needed about P, from the network's gateway. */
static void port_vxlan_too_big(struct network *n, struct port_vxlan *v, struct pkt *p)
{
	const struct iphdr *ip = p->eth_type == ETHERTYPE_IP ?
		pkt_header(p, p->l3_ofs, sizeof(*ip)) : NULL;
	struct router_port rp;

	if (ip && (ip->frag_off & htons(IP_DF)) && p->in_port &&
	    p->in_port->role == PORT_ROLE_ENDPOINT) {
		memset(&rp, 0, sizeof(rp));
		rp.ip = vs_addr_get_v4(&n->gateway);
		memcpy(rp.mac, n->gw_mac, 6);
		rp.mtu = (uint16_t)v->mtu;
		rp.stage = "vxlan";
		rp.dp = n->dp;
		port_drop(p->in_port, p, DROP_FRAG_NEEDED);
		router_port_icmp_error(&rp, p, ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED);
		return;
	}
	port_drop(p->in_port ? p->in_port : n->dp->vxlan, p, DROP_MTU);
}

/* Encapsulate one complete frame P into the next tx slot, for DST. */
static void port_vxlan_encap(struct port *tun, struct network *n, const struct pkt *p,
			     const struct overlay_vtep *dst)
{
	struct port_vxlan *v = tun->priv;
	unsigned int slot, sock;
	struct pkt q;
	uint8_t *at;

	if (p->len + VXLAN_ENCAP_LEN > VXLAN_SLOT) {
		port_drop(tun, p, DROP_MTU);
		return;
	}
	if (tun->txq_count == PKT_BURST)
		port_tx_flush_all(tun->dp);
	slot = tun->txq_count;
	sock = vxlan_tx_sock(p);
	v->slot_sock[slot] = (uint8_t)sock;
	at = v->tx_area + (size_t)slot * VXLAN_SLOT;
	vxlan_hdr_build(vxlan_outer_build(at, v->vtep_ip, vs_addr_get_v4(&dst->addr),
					  v->tx_sport[sock], dst->port,
					  (uint16_t)(VXLAN_HLEN + p->len)), n->vni);
	memcpy(at + VXLAN_ENCAP_LEN, p->data, p->len);
	if ((p->flags & PKT_F_CSUM_PARTIAL) &&
	    !port_offload_csum(at + VXLAN_ENCAP_LEN, p->len, &p->vnet)) {
		port_drop(tun, p, DROP_BAD_L4);
		return;
	}
	memset(&q, 0, sizeof(q));
	q.data = at;
	q.len = p->len + VXLAN_ENCAP_LEN;
	q.flags = PKT_F_RXBUF;	/* the slot stays until the flush: by reference */
	q.l3_ofs = ETHER_HDR_LEN;
	q.l4_ofs = ETHER_HDR_LEN + 20;
	q.eth_type = ETHERTYPE_IP;
	q.ip_proto = IPPROTO_UDP;
	q.in_port = p->in_port;
	port_tx_queue(tun, &q);
}

/* A GSO frame: its segments, each encapsulated. */
static void port_vxlan_encap_gso(struct port *tun, struct network *n, const struct pkt *p,
				 const struct overlay_vtep *dst)
{
	struct port_vxlan *v = tun->priv;
	struct pkt seg = *p;
	uint32_t slot;
	int i, k = -1;

	if (!v->seg_buf)
		v->seg_buf = malloc(VXLAN_SEG_BYTES);
	if (v->seg_buf)
		k = port_offload_segment(p, v->seg_buf, VXLAN_SEG_BYTES, &slot, v->seg_lens);
	if (k < 0) {
		port_drop(tun, p, DROP_GSO_SEGMENT);
		return;
	}
	seg.flags &= ~(uint32_t)(PKT_F_GSO | PKT_F_CSUM_PARTIAL | PKT_F_RXBUF);
	memset(&seg.vnet, 0, sizeof(seg.vnet));
	for (i = 0; i < k; i++) {
		seg.data = v->seg_buf + (size_t)i * slot;
		seg.len = v->seg_lens[i];
		port_vxlan_encap(tun, n, &seg, dst);
	}
	tun->stats.sw_segments += (uint64_t)k;
}

/* Longer than the tunnel carries (a GSO frame: its segments)? */
static bool port_vxlan_oversize(const struct port_vxlan *v, const struct pkt *p)
{
	const struct iphdr *ip;

	if (!(p->flags & PKT_F_GSO))
		return p->len > v->mtu + ETHER_HDR_LEN;
	ip = p->eth_type == ETHERTYPE_IP ? pkt_header(p, p->l3_ofs, sizeof(*ip)) : NULL;
	return !ip || pkt_wire_ip_len(p, ntohs(ip->tot_len), ip->ihl * 4u) > v->mtu;
}

/**
 * vxlan_output() - Send frame P of overlay network N to the VTEP DST
 * @n:		the frame's network (driver overlay)
 * @p:		the frame (not changed)
 * @dst:	the tunnel end: a remote endpoint's VTEP, or a member
 *
 * --no-icc holds across hosts as on one: a container's frame does not
 * enter the tunnel.  A traced frame records the remote hop (VTEP, VNI).
 */
void vxlan_output(struct network *n, struct pkt *p, const struct overlay_vtep *dst)
{
	struct port *tun = n->dp ? n->dp->vxlan : NULL;
	struct port_vxlan *v;
	struct overlay_member *m;

	if (!tun) {
		trace_stage(p, "vxlan");
		port_drop(p->in_port, p, DROP_VXLAN_NO_TUNNEL);
		return;
	}
	v = tun->priv;
	if (vs_addr_eq_v4(&dst->addr, v->vtep_ip))
		return;		/* ourselves, listed as a member */
	if (!n->icc && p->in_port && p->in_port->role == PORT_ROLE_ENDPOINT &&
	    !(p->flags & PKT_F_LOCAL)) {
		trace_stage(p, "vxlan");
		port_drop(p->in_port, p, DROP_NO_ICC);
		return;
	}
	if (p->flags & PKT_F_DRYRUN) {
		trace_tunnel(p, tun, &dst->addr, dst->port, n->vni);
		return;
	}
	if (port_vxlan_oversize(v, p)) {
		port_vxlan_too_big(n, v, p);
		return;
	}
	if ((m = overlay_member_find(n, &dst->addr)))
		m->tx_packets++;
	if (p->flags & PKT_F_GSO)
		port_vxlan_encap_gso(tun, n, p, dst);
	else
		port_vxlan_encap(tun, n, p, dst);
}

/* Fill one sendmmsg entry from the outer headers of frame P. */
static void port_vxlan_msg(struct port_vxlan *v, unsigned int k, const struct pkt *p)
{
	const uint8_t *ip = p->data + ETHER_HDR_LEN, *udp = ip + 20;

	memset(&v->tx_to[k], 0, sizeof(v->tx_to[k]));
	v->tx_to[k].sin_family = AF_INET;
	memcpy(&v->tx_to[k].sin_addr.s_addr, ip + 16, 4);
	memcpy(&v->tx_to[k].sin_port, udp + 2, 2);
	v->tx_iov[k].iov_base = p->data + VXLAN_OUTER_LEN;
	v->tx_iov[k].iov_len = p->len - VXLAN_OUTER_LEN;
	memset(&v->tx_msgs[k], 0, sizeof(v->tx_msgs[k]));
	v->tx_msgs[k].msg_hdr.msg_name = &v->tx_to[k];
	v->tx_msgs[k].msg_hdr.msg_namelen = sizeof(v->tx_to[k]);
	v->tx_msgs[k].msg_hdr.msg_iov = &v->tx_iov[k];
	v->tx_msgs[k].msg_hdr.msg_iovlen = 1;
}

/* sendmmsg until done or the socket pushes back; how many left. */
static unsigned int port_vxlan_send(int fd, struct mmsghdr *msgs, unsigned int n)
{
	unsigned int done = 0;
	int r;

	while (done < n) {
		r = sendmmsg(fd, msgs + done, n - done, MSG_DONTWAIT);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EAGAIN)
			break;
		done += r < 0 ? 1 : (unsigned int)r;	/* skip one that failed */
	}
	return n - done;
}

/**
 * port_vxlan_tx_burst() - Send queued tunnel frames, one sendmmsg per socket
 * @port:	the tunnel port
 * @pkts:	frames in the port's tx slots (outer headers in front)
 * @n:		how many
 *
 * The frames are grouped by the socket their slot chose; the order within
 * a flow is kept (one flow, one socket).
 *
 * Return: how many were handed to the kernel (the first ones).
 */
static int port_vxlan_tx_burst(struct port *port, struct pkt *const *pkts, unsigned int n)
{
	struct port_vxlan *v = port->priv;
	unsigned int s, i, k, left = 0;

	for (s = 0; s < VXLAN_TX_SOCKS; s++) {
		for (i = 0, k = 0; i < n; i++) {
			size_t off = (size_t)(pkts[i]->data - v->tx_area);

			if (off / VXLAN_SLOT < PKT_BURST && v->slot_sock[off / VXLAN_SLOT] == s)
				port_vxlan_msg(v, k++, pkts[i]);
		}
		if (k)
			left += port_vxlan_send(v->tx_fd[s], v->tx_msgs, k);
	}
	return (int)(n - left);
}

static void port_vxlan_close(struct port *port, bool destroy)
{
	struct port_vxlan *v = port->priv;
	unsigned int i;

	(void)destroy;
	if (port->fd >= 0)
		close(port->fd);
	port->fd = -1;
	if (!v)
		return;
	ev_ref(v->dp->ports.loop);	/* unref'd at open: ref before stop (ev.pod) */
	ev_timer_stop(v->dp->ports.loop, &v->sweep);
	for (i = 0; i < VXLAN_TX_SOCKS; i++)
		if (v->tx_fd[i] >= 0)
			close(v->tx_fd[i]);
	if (v->dp->vxlan == port)
		v->dp->vxlan = NULL;
	free(v->tx_area);
	free(v->seg_buf);
	free(v);
	port->priv = NULL;
}

const struct port_ops port_vxlan_ops = {
	.type = "vxlan",
	.rx_burst = port_vxlan_rx_burst,
	.tx_burst = port_vxlan_tx_burst,
	.close = port_vxlan_close,
};

/* ---- open ------------------------------------------------------------- */

/* A UDP socket bound to ADDR:PORT, DF on, non-blocking; -1 on failure. */
static int port_vxlan_socket(uint32_t addr, uint16_t port, uint16_t *bound)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port),
				  .sin_addr.s_addr = addr };
	socklen_t len = sizeof(sa);
	int fd, pmtu = IP_PMTUDISC_DO, buf = 4 << 20, one = 1;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	/* IP_FREEBIND: vswitchd may start before the underlay address is
	 * configured (boot order, a test's namespaces); packets flow once it
	 * is there. */
	if (setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &pmtu, sizeof(pmtu)) ||
	    setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    getsockname(fd, (struct sockaddr *)&sa, &len)) {
		close(fd);
		return -1;
	}
	/* bursts of frames: room beyond the default, best effort */
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
	if (bound)
		*bound = ntohs(sa.sin_port);
	return fd;
}

/* The MTU of the interface that holds ADDR (the underlay); 0 if none
 * says (the address may not be configured yet: IP_FREEBIND). */
static unsigned int port_vxlan_underlay_mtu(uint32_t addr)
{
	struct ifaddrs *ifa, *i;
	struct sockaddr_in sin;
	unsigned int mtu = 0;
	struct ifreq ifr;
	int fd;

	if (getifaddrs(&ifa))
		return mtu;
	for (i = ifa; i; i = i->ifa_next) {
		if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET)
			continue;
		memcpy(&sin, i->ifa_addr, sizeof(sin));	/* no cast: alignment */
		if (sin.sin_addr.s_addr != addr)
			continue;
		memset(&ifr, 0, sizeof(ifr));
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", i->ifa_name);
		fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (fd >= 0 && !ioctl(fd, SIOCGIFMTU, &ifr) && ifr.ifr_mtu > VXLAN_ENCAP_LEN + 68)
			mtu = (unsigned int)ifr.ifr_mtu;
		if (fd >= 0)
			close(fd);
		break;
	}
	freeifaddrs(ifa);
	return mtu;
}

/* The underlay's MTU again: an operator may change it (or configure the
 * address) after start, and the tunnel must then answer frag-needed with
 * what it carries now.  Polled with the sweep, not per packet: one
 * getifaddrs every VXLAN_SWEEP seconds; an address not (or no longer)
 * found keeps the last value. */
static void port_vxlan_mtu_refresh(struct port_vxlan *v)
{
	unsigned int mtu = port_vxlan_underlay_mtu(v->vtep_ip);
	char ip[INET_ADDRSTRLEN];

	if (!mtu || mtu - VXLAN_ENCAP_LEN == v->mtu)
		return;
	inet_ntop(AF_INET, &v->vtep_ip, ip, sizeof(ip));
	log_info("vxlan: the underlay at %s has MTU %u now: the tunnel carries %u (was %u)",
		 ip, mtu, mtu - VXLAN_ENCAP_LEN, v->mtu);
	v->mtu = mtu - VXLAN_ENCAP_LEN;
}

/* Every VXLAN_SWEEP seconds: learned remote MACs past the fdb's aging,
 * and the underlay's MTU. */
static void port_vxlan_sweep(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct port_vxlan *v = w->data;
	struct overlay *o, *tmp;

	(void)revents;
	port_vxlan_mtu_refresh(v);
	HASH_ITER(hh_vni, v->dp->overlays, o, tmp)
		overlay_expire(o->net, ev_now(loop), v->dp->fdb.aging);
}

/* The sockets; 0 or -1 with errno. */
static int port_vxlan_sockets(struct port_vxlan *v, int *rx_fd)
{
	unsigned int i;

	for (i = 0; i < VXLAN_TX_SOCKS; i++)
		v->tx_fd[i] = -1;
	*rx_fd = port_vxlan_socket(v->vtep_ip, v->udp_port, NULL);
	if (*rx_fd < 0)
		return -1;
	for (i = 0; i < VXLAN_TX_SOCKS; i++)
		if ((v->tx_fd[i] = port_vxlan_socket(v->vtep_ip, 0, &v->tx_sport[i])) < 0)
			return -1;
	return 0;
}

/**
 * port_vxlan_open() - The tunnel port of DP, at VTEP:UDP_PORT
 * @dp:		the datapath (dp->vxlan is set)
 * @vtep:	the local underlay address, network order
 * @udp_port:	the UDP port, host order (4789; 8472 for flannel peers)
 * @err:	the reason on failure
 * @errlen:	size of @err
 *
 * Return: the port, started, or NULL
 */
struct port *port_vxlan_open(struct dp *dp, uint32_t vtep, uint16_t udp_port, char *err,
			     size_t errlen)
{
	struct port_vxlan *v = calloc(1, sizeof(*v));
	struct port *port = NULL;
	int fd = -1, e;
	unsigned int i;

	if (!v || !(v->tx_area = aligned_alloc(64, (size_t)PKT_BURST * VXLAN_SLOT)))
		goto fail;
	v->dp = dp;
	v->vtep_ip = vtep;
	v->udp_port = udp_port;
	v->mtu = port_vxlan_underlay_mtu(vtep);
	v->mtu = (v->mtu ? v->mtu : 1500) - VXLAN_ENCAP_LEN;
	if (port_vxlan_sockets(v, &fd) || !(port = port_alloc(&port_vxlan_ops, "vxlan", fd)))
		goto fail;
	port->priv = v;
	port->role = PORT_ROLE_TUNNEL;
	port->tx_offload = true;	/* vxlan_output segments, not port.c */
	port->rx_handler = port_vxlan_input;
	port->dp = dp;
	dp->vxlan = port;
	port_start(port, dp);
	ev_timer_init(&v->sweep, port_vxlan_sweep, VXLAN_SWEEP, VXLAN_SWEEP);
	v->sweep.data = v;
	ev_timer_start(dp->ports.loop, &v->sweep);
	ev_unref(dp->ports.loop);	/* the sweep alone keeps nothing alive */
	return port;
fail:
	e = errno;
	snprintf(err, errlen, "VXLAN socket on port %u: %s", udp_port, strerror(e));
	if (fd >= 0)
		close(fd);
	for (i = 0; v && i < VXLAN_TX_SOCKS; i++)
		if (v->tx_fd[i] > 0)
			close(v->tx_fd[i]);
	if (v)
		free(v->tx_area);
	free(v);
	return NULL;
}

/* port_vxlan_mtu() - The inner MTU the tunnel of DP carries, 0 without. */
unsigned int port_vxlan_mtu(const struct dp *dp)
{
	return dp->vxlan ? ((const struct port_vxlan *)dp->vxlan->priv)->mtu : 0;
}
