/* uplink.c - the uplink port: next hop, NAT in and out, its own address.
 *
 * DOC: Theory of Operation
 *
 * The uplink is a frame port on which the switch owns one IPv4 address
 * (--uplink-ip) and a MAC: the interface's own MAC for afpacket:IFACE
 * (the kernel there holds no address, so it ignores our traffic), a
 * locally administered one derived from the IP for tap:NAME (the TAP's
 * MAC belongs to the kernel side).  On it the switch:
 *
 * - takes untagged frames only: an 802.1Q/802.1ad frame is dropped and
 *   counted (vlan_tagged), and every frame it sends has an Ethernet
 *   header it built or checked (containers cannot send tags either);
 * - answers ARP requests and ICMP echo for the uplink IP, on the uplink
 *   and (echo) from containers, as a router port (router_port.c: the
 *   same checks and replies as a network's gateway);
 * - resolves its next hop (the gateway, or the destination if on-link)
 *   by ARP into its neighbour cache (neigh.c: the gateway pinned, a keyed
 *   set-associative table that never evicts a live neighbour for an
 *   unresolved one, a bounded queue of waiting frames that expire, shared
 *   fairly between containers, and learning only what it asked for);
 *   what does not fit is dropped and counted (arp_pending_full), what
 *   waited too long too (neigh_timeout);
 * - passes every other IPv4 packet to the uplink IP through nat_process()
 *   (reverse SNAT, DNAT of published ports) and delivers it to its network
 *   with gateway_deliver(), TTL decremented as a router does;
 * - sends what nat_process() routes outside: source MAC ours, destination
 *   the next hop's.
 *
 * Several uplinks: each has its own address, next hop and neighbour
 * cache, and its address is one of NAT's external addresses with port
 * spaces of its own.  dp_uplink_for() routes a new connection (on-link
 * prefix first, else the first uplink's default route) and NAT takes the
 * SNAT port from that uplink's address; once translated, a packet leaves
 * by the uplink whose address is its source (uplink_owner()), so every
 * connection keeps to one uplink both ways, and a published port answers
 * from the uplink it was reached on.
 *
 * The host leg: a second TAP, UPLINK_HOST_IF, in vswitchd's own namespace
 * with the kernel side at 169.254.169.1/30 and the switch at .2.  The
 * userspace proxy (proxy.c) connects to 169.254.169.2:HOSTPORT; the
 * switch handles that exactly like a connection to uplink-ip:HOSTPORT
 * (zone 0, DNAT), and replies to 169.254.169.1 leave on the host leg.
 * So the kernel needs no route to container subnets, whatever the uplink
 * type (see doc/nat.md).  Only the first uplink has one: the proxy needs
 * one way in, and the TAP's name is fixed.
 *
 * IPv6 (--uplink-ip6) is uplink6.c's, on the same port, MAC and NAT.
 *
 * Limits: one next hop (no routing table beyond on-link and
 * the default gateway); pending frames larger than NEIGH_PENDING_MAX
 * bytes (GSO) are dropped while the next hop is unresolved.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <ev.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/if_ether.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include "dp.h"
#include "lan.h"
#include "log.h"
#include "nat.h"
#include "neigh.h"
#include "netns.h"
#include "pipeline.h"
#include "port.h"
#include "router_port.h"
#include "trace.h"
#include "uplink.h"
#include "uplink_internal.h"

#define UPLINK_HOST_IF "vsw-host"
#define UPLINK_HOST_KERNEL_IP "169.254.169.1"
#define UPLINK_HOST_SWITCH_IP "169.254.169.2"


/* uplink_of() - The uplink N's packets to DST leave by, or NULL. */
static struct uplink *uplink_of(const struct network *n, uint32_t dst)
{
	struct uplink *ul = n->dp ? dp_uplink_for(n->dp, dst) : NULL;

	return ul && ul->up ? ul : NULL;
}

bool uplink_present(const struct network *n, uint32_t dst)
{
	return uplink_of(n, dst) != NULL;
}

uint32_t uplink_mtu(const struct network *n, uint32_t dst)
{
	struct uplink *ul = uplink_of(n, dst);

	return ul && ul->mtu ? ul->mtu : 1500;
}

uint32_t uplink_ip(const struct uplink *ul)
{
	return ul ? vs_addr_get_v4(&ul->out.ip) : 0;
}

/* uplink_on_link() - The length of UL's prefix if DST is on it, else -1
 * (dp_uplink_for() prefers the longest). */
int uplink_on_link(const struct uplink *ul, uint32_t dst)
{
	return ul->up && vs_prefix_contains_v4(&ul->out.net, dst) ? ul->out.net.len : -1;
}

/* uplink_owner() - The uplink that owns address SRC (its own or its host
 * leg's): a translated packet leaves by the uplink of its source address.
 * UL, the routed one, is asked first; at most DP_MAX_UPLINKS looks. */
static struct uplink *uplink_owner(struct uplink *ul, uint32_t src)
{
	const struct dp *dp = ul->dp;
	unsigned int i;

	if (vs_addr_eq_v4(&ul->out.ip, src) || !dp || dp->n_uplinks < 2)
		return ul;
	for (i = 0; i < dp->n_uplinks; i++) {
		struct uplink *o = dp->uplinks[i];

		if (o->up && (vs_addr_eq_v4(&o->out.ip, src) ||
			      (o->host.port && vs_addr_eq_v4(&o->host.ip, src))))
			return o;
	}
	return ul;
}

uint32_t uplink_host_ip(const struct uplink *ul)
{
	if (!ul)
		return 0;
	return ul->up && ul->host.port ? vs_addr_get_v4(&ul->host.ip) : 0;
}

/* The datapath's clock (conntrack's: ev_now, or a test's). */
uint64_t uplink_now_ms(struct uplink *ul)
{
	return ct_now_ms(ul->dp->ct);
}

/* uplink_leg_of() - Which leg a next hop is on: the host leg for the
 * kernel side of the host TAP, else the uplink. */
static struct uplink_leg *uplink_leg_of(struct uplink *ul, uint32_t next_hop)
{
	if (ul->host.port && vs_addr_eq_v4(&ul->host_kernel_ip, next_hop))
		return &ul->host;
	return &ul->out;
}

/* uplink_rport() - A leg's address as a router port (router_port.c). */
static void uplink_rport(const struct uplink *ul, const struct uplink_leg *leg,
			 struct router_port *rp)
{
	rp->dp = ul->dp;
	rp->ip = vs_addr_get_v4(&leg->ip);
	memcpy(rp->mac, leg->mac, 6);
	rp->mtu = 1500;          /* the host leg's; the uplink's own errors quote no MTU */
	rp->stage = "uplink";
}

/* uplink_arp_request() - Ask who has entry E's address, at most once a
 * second per target (neigh_ask_due). */
static void uplink_arp_request(struct uplink *ul, struct uplink_leg *leg,
			       struct neigh_entry *e)
{
	static const uint8_t unknown[6], bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	struct router_port rp;
	struct pkt r;

	if (!neigh_ask_due(e, uplink_now_ms(ul)))
		return;
	uplink_rport(ul, leg, &rp);
	router_port_arp_build(&rp, &r, ARPOP_REQUEST, bcast, unknown, vs_addr_get_v4(&e->ip));
	r.len = ETH_ZLEN;    /* minimum Ethernet frame, padded */
	port_tx_queue(leg->port, &r);
}


/* uplink_release_one() - Send a frame that waited for its next hop's MAC
 * (neigh_pending_take's callback). */
void uplink_release_one(void *arg, struct neigh_pending *q)
{
	struct uplink_release *r = arg;
	struct uplink_leg *leg = !vs_addr_is_v4(&q->next_hop) ? &r->ul->out :
				 uplink_leg_of(r->ul, vs_addr_get_v4(&q->next_hop));
	struct pkt p;

	memcpy(q->buf, r->mac, 6);
	memcpy(q->buf + 6, leg->mac, 6);
	memset(&p, 0, sizeof(p));
	p.data = q->buf;
	p.len = q->len;
	p.flags = q->flags;
	p.vnet = q->vnet;
	p.l3_ofs = 14;
	p.l4_ofs = PKT_OFS_NONE;
	port_tx_queue(leg->port, &p);
}

/* uplink_pending_expire() - Count the frames whose next hop never
 * answered (on the uplink: they were going out there). */
static void uplink_pending_expire(struct uplink *ul)
{
	unsigned int n = neigh_pending_expire(&ul->neigh, uplink_now_ms(ul));

	if (ul->v6)
		n += neigh_pending_expire(&ul->neigh6, uplink_now_ms(ul));
	while (n--)
		port_drop(ul->out.port, NULL, DROP_NEIGH_TIMEOUT);
}

/**
 * uplink_hold() - Keep P until next hop HOP answers, and ask it
 * @ul:		uplink
 * @leg:	the leg HOP is on
 * @hop:	the unresolved next hop
 * @p:		packet, L2 header to be rewritten when it leaves
 * @now:	clock, ms
 *
 * Return: DROP_NONE (a frame that cannot wait is counted here, on the
 * leg: it is not the gateway's to report)
 */
enum drop_reason uplink_hold(struct uplink *ul, struct uplink_leg *leg,
			     const union vs_addr *hop, struct pkt *p, uint64_t now)
{
	bool v6 = !vs_addr_is_v4(hop);
	struct neigh_table *t = v6 ? &ul->neigh6 : &ul->neigh;
	struct neigh_entry *a = neigh_get(t, hop, now);

	uplink_pending_expire(ul);
	if (!a || neigh_pending_add(t, hop, p->in_port, p->data, p->len,
				    p->flags & (PKT_F_GSO | PKT_F_CSUM_PARTIAL),
				    &p->vnet, now) != DROP_NONE)
		port_drop(leg->port, p, DROP_ARP_PENDING_FULL);
	if (a && v6)
		uplink6_ns_request(ul, a);
	else if (a)
		uplink_arp_request(ul, leg, a);
	return DROP_NONE;
}

/**
 * uplink_send() - Send an IPv4 packet (already NAT'd) to the outside
 * @p:		packet, L2 header to be rewritten
 *
 * Return: DROP_NONE, or why it was dropped
 */
static enum drop_reason uplink_send(struct uplink *ul, struct pkt *p)
{
	struct iphdr *ip = pkt_l3(p);
	struct ether_header *eth = (void *)p->data;
	uint32_t nh = ip->daddr;
	struct uplink_leg *leg = uplink_leg_of(ul, nh);
	uint64_t now = uplink_now_ms(ul);
	struct neigh_entry *a;
	union vs_addr hop;

	if (leg == &ul->out && !vs_prefix_contains_v4(&ul->out.net, nh))
		nh = vs_addr_get_v4(&ul->gw);
	if (p->flags & PKT_F_DRYRUN) {
		/* before the ARP cache: a trace must not ask, nor wait */
		trace_stage(p, "uplink");
		port_tx_queue(leg->port, p);
		return DROP_NONE;
	}
	vs_addr_set_v4(&hop, nh);
	a = neigh_find(&ul->neigh, &hop);
	if (a && a->seen_ms) {
		memcpy(eth->ether_dhost, a->mac, 6);
		memcpy(eth->ether_shost, leg->mac, 6);
		/* seen_ms is now|1 (0 means "never"), so it can be 1 ms ahead:
		 * compare without subtracting, or that millisecond would look
		 * like an entry 2^64 ms old and ask again at once. */
		if (now > a->seen_ms + NEIGH_TTL_MS)
			uplink_arp_request(ul, leg, a);   /* refresh, keep using */
		port_tx_queue(leg->port, p);
		return DROP_NONE;
	}
	return uplink_hold(ul, leg, &hop, p, now);
}

/* uplink_host_leg_refused() - Is P (translated, for the outside) a
 * container's own packet to the host leg's kernel address?  Only the
 * proxy's connections belong on the host leg, and their replies leave
 * translated back to the switch's host-leg address; anything else would
 * reach services of vswitchd's namespace bound to 0.0.0.0, SNAT'd
 * (audit finding 21). */
static bool uplink_host_leg_refused(const struct uplink *ul, const struct iphdr *ip)
{
	return ul->host.port && vs_addr_eq_v4(&ul->host_kernel_ip, ip->daddr) &&
	       !vs_addr_eq_v4(&ul->host.ip, ip->saddr);
}

/**
 * uplink_deliver() - Send a translated packet where nat_process() said
 * @p:		packet
 * @zone:	CT_ZONE_OUTSIDE or a network's zone
 *
 * Return: DROP_NONE or a reason
 */
static enum drop_reason uplink_deliver(struct uplink *ul, struct pkt *p, uint32_t zone)
{
	struct network *n;

	if (zone == CT_ZONE_OUTSIDE) {
		const struct iphdr *ip = pkt_l3(p);

		ul = uplink_owner(ul, ip->saddr);
		if (uplink_host_leg_refused(ul, ip))
			return DROP_HOST_LEG;
		return uplink_send(ul, p);
	}
	n = nat_zone_network(ul->dp->nat, zone);
	if (!n)
		return DROP_NO_ROUTE;
	gateway_deliver(n, p);
	return DROP_NONE;
}

/**
 * uplink_count_refused() - Count a packet conntrack/NAT refused
 * @p:	the packet, from a container
 * @r:	NAT's verdict
 *
 * Return: the verdict for the gateway: DROP_NONE ("taken") for anything
 * refused by conntrack/NAT, counted here, so that the gateway does not
 * answer an out-of-state TCP segment with an ICMP unreachable that could
 * tear the real connection down; DROP_NO_ROUTE (unreachable) unchanged.
 */
enum drop_reason uplink_count_refused(struct pkt *p, enum drop_reason r)
{
	if (r == DROP_NONE || r == DROP_NO_ROUTE)
		return r;
	if (p->in_port)
		port_drop(p->in_port, p, r);
	return DROP_NONE;
}

/* uplink_echo_req() - Is P an unfragmented ICMP echo request to IP?
 * Those the router port answers; every other packet to the uplink's
 * address (echo replies included) is NAT's. */
static bool uplink_echo_req(const struct pkt *p, const struct iphdr *ip, uint32_t to)
{
	const struct icmphdr *ih;

	if (ip->daddr != to || ip->protocol != IPPROTO_ICMP ||
	    (ip->frag_off & htons(IP_MF | IP_OFFMASK)))
		return false;
	ih = pkt_header(p, p->l4_ofs, sizeof(*ih));
	return ih && ih->type == ICMP_ECHO;
}

/* uplink_echo_local() - A container pinging the uplink IP: the switch
 * owns it, so answer here rather than NAT a packet to ourselves.  The
 * address sits behind the network's gateway, so the reply comes from the
 * gateway's MAC, back out of the container's port. */
static bool uplink_echo_local(struct uplink *ul, struct network *n, struct pkt *p)
{
	const struct iphdr *ip = pkt_l3(p);
	struct router_port rp;

	if (!uplink_echo_req(p, ip, vs_addr_get_v4(&ul->out.ip)))
		return false;
	rp.ip = vs_addr_get_v4(&ul->out.ip);
	memcpy(rp.mac, n->gw_mac, 6);
	rp.mtu = (uint16_t)(n->mtu > 0 ? n->mtu : 1500);
	rp.stage = "uplink";
	rp.dp = ul->dp;
	router_port_echo(&rp, p, ip);
	return true;
}

enum drop_reason uplink_route_out(struct network *n, struct pkt *p)
{
	const struct iphdr *ip = pkt_l3(p);
	struct uplink *ul = uplink_of(n, ip->daddr);
	uint32_t zone, out;
	enum drop_reason r;

	if (!ul || n->internal)
		return DROP_NO_ROUTE;
	zone = nat_zone_of(ul->dp->nat, n);
	if (zone == CT_ZONE_OUTSIDE)
		return DROP_NO_ROUTE;
	if (uplink_echo_local(ul, n, p))
		return DROP_NONE;
	r = nat_process_via(ul->dp->nat, p, zone, ul->ext, &out);
	if (r == DROP_NONE)
		r = uplink_deliver(ul, p, out);
	return uplink_count_refused(p, r);
}

/* uplink_arp_input() - Answer requests for our IP; learn the sender if
 * the neighbour cache asked for it (neigh_learn: no poisoning). */
static void uplink_arp_input(struct uplink *ul, struct uplink_leg *leg, struct pkt *p)
{
	const struct ether_arp *arp;
	struct uplink_release rel = { .ul = ul };
	struct router_port rp;
	struct neigh_entry *a;
	union vs_addr spa;
	uint32_t spa4;

	uplink_rport(ul, leg, &rp);
	arp = router_port_arp_input(&rp, p);
	if (!arp)
		return;
	memcpy(&spa4, arp->arp_spa, 4);
	if (!spa4 || !vs_prefix_contains_v4(&leg->net, spa4) || vs_addr_eq_v4(&leg->ip, spa4) ||
	    (arp->arp_sha[0] & 1))
		return;
	vs_addr_set_v4(&spa, spa4);
	a = neigh_learn(&ul->neigh, &spa, arp->arp_sha, ntohs(arp->arp_op) == ARPOP_REPLY,
			uplink_now_ms(ul));
	if (!a)
		return;
	rel.mac = a->mac;
	neigh_pending_take(&ul->neigh, &spa, uplink_release_one, &rel);
}

/* uplink_ip_input() - An IPv4 packet from the outside (or the host leg). */
static void uplink_ip_input(struct uplink *ul, struct uplink_leg *leg, struct pkt *p)
{
	struct iphdr *ip = pkt_header(p, p->l3_ofs, sizeof(*ip));
	enum drop_reason r;
	uint32_t out;

	trace_stage(p, "uplink");
	if (!ip || ip->version != 4 || ip->ihl < 5 ||
	    ntohs(ip->tot_len) > p->len - p->l3_ofs) {
		port_drop(leg->port, p, DROP_BAD_L3);
		return;
	}
	if (!vs_addr_eq_v4(&leg->ip, ip->daddr)) {
		/* the host reaching its container on a LAN network (lan.c) */
		if (leg == &ul->host && lan_host_input(ul->dp, leg->port, leg->mac, p))
			return;
		port_drop(leg->port, p, DROP_NOT_FOR_US);
		return;
	}
	if (uplink_echo_req(p, ip, vs_addr_get_v4(&leg->ip))) {
		struct router_port rp;

		uplink_rport(ul, leg, &rp);
		router_port_echo(&rp, p, ip);
		return;
	}
	/* The host leg's address is an alias of the uplink IP for published
	 * ports (nat_set_host_ip): the proxy's connections get DNAT too. */
	r = nat_process_via(ul->dp->nat, p, CT_ZONE_OUTSIDE, ul->ext, &out);
	if (r == DROP_NONE && out != CT_ZONE_OUTSIDE && !router_port_ttl_dec(ip))
		r = DROP_TTL_EXCEEDED;
	if (r == DROP_NONE)
		r = uplink_deliver(ul, p, out);
	if (r != DROP_NONE)
		port_drop(leg->port, p, r);
}

/**
 * uplink_rx() - A burst from the uplink (or host leg) port
 * @port:	the port
 * @b:		frames, parsed by the port layer
 */
/**
 * uplink_prefetch() - Warm conntrack for a container burst's routed packets
 * @n:	the network the burst came in on
 * @b:	the burst, parsed
 *
 * Packets to the gateway's MAC are the ones that may leave through NAT.
 */
void uplink_prefetch(struct network *n, struct pkt_batch *b)
{
	struct pkt *routed[PKT_BURST];
	struct dp *dp = n->dp;
	unsigned int i, k = 0;
	struct pkt *p;

	/* NAT belongs to the datapath, not to one uplink: no need to know
	 * which uplink each packet will take. */
	if (!dp || !dp->n_uplinks || n->internal || !ct_prefetch_useful(dp->ct))
		return;
	PKT_BATCH_FOR_EACH(i, p, b)
		if (p->len >= ETH_HLEN && !memcmp(p->data, n->gw_mac, 6))
			routed[k++] = p;
	if (k)
		nat_prefetch(dp->nat, routed, k, nat_zone_of(dp->nat, n));
}

void uplink_rx(struct port *port, struct pkt_batch *b)
{
	struct uplink *ul = port->rx_arg;
	struct uplink_leg *leg = port == ul->host.port ? &ul->host : &ul->out;
	struct pkt *all[PKT_BURST];
	struct ether_header *eth;
	struct pkt *p;
	unsigned int i;

	PKT_BATCH_FOR_EACH(i, p, b)
		all[i] = p;
	nat_prefetch(ul->dp->nat, all, b->count, CT_ZONE_OUTSIDE);
	PKT_BATCH_FOR_EACH(i, p, b) {
		/* parse.c is idempotent: parsing here keeps the uplink correct
		 * whether or not the port layer parsed the burst already */
		eth = pkt_parse(p) < 0 ? NULL : pkt_header(p, 0, sizeof(*eth));
		if (!eth || p->l3_ofs == PKT_OFS_NONE) {
			port_drop(port, p, DROP_RUNT);
			continue;
		}
		if (ul->n_lan && leg == &ul->out && lan_input(ul->lan, ul->n_lan, port, p))
			continue;   /* a container's unicast */
		if (memcmp(eth->ether_dhost, leg->mac, 6) &&
		    !(eth->ether_dhost[0] & 1))
			continue;   /* someone else's unicast on the segment */
		if (pkt_eth_tagged(eth)) {
			/* Untagged only, as the container side: a tagged
			 * frame would reach a container still tagged. */
			port_drop(port, p, DROP_VLAN_TAGGED);
			continue;
		}
		if (p->eth_type == ETHERTYPE_IPV6 && leg == &ul->out)
			uplink6_input(ul, p);
		else if (p->eth_type == ETHERTYPE_ARP)
			uplink_arp_input(ul, leg, p);
		else if (p->eth_type == ETHERTYPE_IP && !(eth->ether_dhost[0] & 1))
			uplink_ip_input(ul, leg, p);
	}
}

/* uplink_parse_cidr() - "a.b.c.d/len" (no "/len": /32) into the leg's
 * address and on-link prefix; IPv4 only until --uplink-ip6 (issue 14). */
static int uplink_parse_cidr(const char *s, struct uplink_leg *leg)
{
	char buf[VS_PREFIX_STRLEN], err[160];
	union vs_addr a;

	snprintf(buf, sizeof(buf), "%s%s", s, strchr(s, '/') ? "" : "/32");
	if (strlen(s) >= sizeof(buf) - 3 ||
	    vs_prefix_parse(buf, &leg->net, false, err, sizeof(err)) < 0 ||
	    !vs_addr_is_v4(&leg->net.addr) || leg->net.len < 1)
		return -1;
	*strchr(buf, '/') = '\0';
	if (vs_addr_parse_af(buf, AF_INET, &a) < 0)
		return -1;
	leg->ip = a;
	return 0;
}

/* uplink_if_mac() - IFNAME's MAC in our namespace; -1 if unknown. */
static int uplink_if_mac(const char *ifname, uint8_t mac[6])
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), r;

	if (fd < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	r = ioctl(fd, SIOCGIFHWADDR, &ifr);
	close(fd);
	if (r < 0)
		return -1;
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	return 0;
}

/* uplink_if_mtu() - IFNAME's MTU in our namespace; 1500 if unknown. */
static uint32_t uplink_if_mtu(const char *ifname)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), r;

	if (fd < 0)
		return 1500;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	r = ioctl(fd, SIOCGIFMTU, &ifr);
	close(fd);
	return r < 0 || ifr.ifr_mtu < 576 ? 1500 : (uint32_t)ifr.ifr_mtu;
}

/* uplink_if_up() - Set IFNAME up in our namespace (its kernel side is
 * the user's to address: the switch's IP lives in the switch only). */
static int uplink_if_up(const char *ifname)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), r;

	if (fd < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	r = ioctl(fd, SIOCGIFFLAGS, &ifr);
	if (r == 0) {
		ifr.ifr_flags |= IFF_UP;
		r = ioctl(fd, SIOCSIFFLAGS, &ifr);
	}
	close(fd);
	return r;
}

/* uplink_mac_from_ip() - A locally administered MAC for a TAP leg. */
static void uplink_mac_from_ip(uint32_t ip, uint8_t tag, uint8_t mac[6])
{
	mac[0] = 0x02;
	mac[1] = tag;
	memcpy(mac + 2, &ip, 4);
}

/* uplink_host_leg() - The TAP the userspace proxy reaches the switch by. */
static int uplink_host_leg(struct uplink *ul, char *err, size_t errlen)
{
	struct netns_ifcfg cfg;

	ul->host.port = port_open("tap", &(struct port_args){ .ifname = UPLINK_HOST_IF,
			.name = "uplink-host", .netns_fd = NETNS_SELF, .offload = true });
	if (!ul->host.port) {
		snprintf(err, errlen, "cannot create %s: %s", UPLINK_HOST_IF,
			 strerror(errno));
		return -1;
	}
	if (uplink_parse_cidr(UPLINK_HOST_SWITCH_IP "/30", &ul->host) < 0 ||
	    vs_addr_parse_af(UPLINK_HOST_KERNEL_IP, AF_INET, &ul->host_kernel_ip) < 0) {
		snprintf(err, errlen, "bad host leg addresses");   /* constants: never */
		return -1;
	}
	uplink_mac_from_ip(vs_addr_get_v4(&ul->host.ip), 0x43, ul->host.mac);
	memset(&cfg, 0, sizeof(cfg));
	cfg.ifname = UPLINK_HOST_IF;
	uplink_mac_from_ip(vs_addr_get_v4(&ul->host_kernel_ip), 0x44, cfg.mac);
	cfg.mtu = 1500;
	cfg.addr = vs_addr_get_v4(&ul->host_kernel_ip);
	cfg.prefix = 30;
	cfg.keep_existing = true;
	if (netns_if_configure(NETNS_SELF, &cfg, err, errlen) < 0)
		return -1;
	ul->host.port->role = PORT_ROLE_UPLINK;
	ul->host.port->rx_handler = uplink_rx;
	ul->host.port->rx_arg = ul;
	port_start(ul->host.port, ul->dp);
	nat_set_host_ip(ul->dp->nat, vs_addr_get_v4(&ul->host.ip));
	return 0;
}

/* uplink_parse_args() - Check and store the addresses; 0, or -1 with ERR. */
static int uplink_parse_args(struct uplink *ul, const char *spec, const char *ip_cidr,
			     const char *gw, char *err, size_t errlen)
{
	if (!spec || !ip_cidr || !gw) {
		snprintf(err, errlen, "--uplink needs --uplink-ip and --uplink-gateway");
		return -1;
	}
	if (uplink_parse_cidr(ip_cidr, &ul->out) < 0) {
		snprintf(err, errlen, "bad --uplink-ip %s: want a.b.c.d/len", ip_cidr);
		return -1;
	}
	if (vs_addr_parse_af(gw, AF_INET, &ul->gw) < 0) {
		snprintf(err, errlen, "bad --uplink-gateway %s", gw);
		return -1;
	}
	snprintf(ul->spec, sizeof(ul->spec), "%s", spec);
	snprintf(ul->cidr, sizeof(ul->cidr), "%s", ip_cidr);
	return 0;
}

/* uplink_open_port() - Open the frame port SPEC ("TYPE:IFNAME", any
 * registered port type) names; 0, or -1 with ERR.  The port borrows the
 * interface: it stays when the uplink closes. */
static int uplink_open_port(struct uplink *ul, const char *spec, char *err, size_t errlen)
{
	const struct port_class *cls;
	char ifname[16], name[16];

	if (port_spec_parse(spec, &cls, ifname, err, errlen) < 0)
		return -1;
	/* "uplink", as ever, for the first; "uplink2"... for the others */
	if (ul->dp->n_uplinks)
		snprintf(name, sizeof(name), "uplink%u", ul->dp->n_uplinks + 1);
	else
		snprintf(name, sizeof(name), "uplink");
	ul->out.port = cls->open(&(struct port_args){ .ifname = ifname, .name = name,
						      .netns_fd = NETNS_SELF, .offload = true });
	if (!ul->out.port) {
		snprintf(err, errlen, "cannot open uplink %s: %s", spec, strerror(errno));
		return -1;
	}
	ul->mtu = uplink_if_mtu(ifname);
	/* A device whose MAC is the kernel side's (a TAP) gets one of ours. */
	if (cls->kernel_peer || uplink_if_mac(ifname, ul->out.mac) < 0)
		uplink_mac_from_ip(vs_addr_get_v4(&ul->out.ip), 0x42, ul->out.mac);
	if (cls->kernel_peer && uplink_if_up(ifname) < 0) {
		snprintf(err, errlen, "cannot bring %s up: %s", ifname, strerror(errno));
		return -1;
	}
	return 0;
}

/**
 * uplink_open() - Open an uplink of a datapath
 * @dp:		the datapath (its conntrack and NAT are running already)
 * @spec:	"afpacket:IFACE" or "tap:NAME"
 * @ip_cidr:	the switch's address on the uplink, "a.b.c.d/len"
 * @gw:		next hop for off-link destinations
 * @err:	one-line reason on failure
 * @errlen:	size of @err
 *
 * Return: the uplink, or NULL
 */
struct uplink *uplink_open(struct dp *dp, const char *spec, const char *ip_cidr,
			   const char *gw, char *err, size_t errlen)
{
	struct uplink *ul = calloc(1, sizeof(*ul));

	if (!ul) {
		snprintf(err, errlen, "uplink: out of memory");
		return NULL;
	}
	ul->dp = dp;
	ul->loop = dp->loop;
	if (uplink_parse_args(ul, spec, ip_cidr, gw, err, errlen) < 0)
		goto fail;
	if (nat_ext_find(dp->nat, &ul->out.ip) >= 0) {
		snprintf(err, errlen, "%s is another uplink's address already", ip_cidr);
		goto fail;
	}
	if (uplink_open_port(ul, spec, err, errlen) < 0)
		goto fail;
	ul->ext = nat_ext_add(dp->nat, vs_addr_get_v4(&ul->out.ip));
	if (ul->ext < 0) {
		snprintf(err, errlen, "NAT has room for %d uplink addresses", NAT_MAX_EXT);
		goto fail;
	}
	ul->out.port->role = PORT_ROLE_UPLINK;
	ul->out.port->rx_handler = uplink_rx;
	ul->out.port->rx_arg = ul;
	port_start(ul->out.port, dp);
	if (!dp->n_uplinks && uplink_host_leg(ul, err, errlen) < 0)
		log_warn("uplink: no host leg, the proxy for published ports is off: %s",
			 err);
	ul->up = true;
	neigh_init(&ul->neigh, &ul->gw);
	/* Resolve the gateway now, so the first packet out does not wait. */
	uplink_arp_request(ul, &ul->out, &ul->neigh.gw);
	log_info("uplink %s up, %s via %s", spec, ip_cidr, gw);
	return ul;
fail:
	uplink_close(ul);
	return NULL;
}

/* uplink_close() - Release UL's ports (left in place for a restart). */
void uplink_close(struct uplink *ul)
{
	if (ul->host.port)
		port_destroy(ul->host.port, false);
	if (ul->out.port)
		port_destroy(ul->out.port, false);
	free(ul);
}

struct json_object *uplink_show_json(struct uplink *ul)
{
	const struct neigh_entry *a;
	struct json_object *o;
	char buf[VS_ADDR_STRLEN];

	if (!ul || !ul->up)
		return NULL;
	o = json_object_new_object();
	json_object_object_add(o, "spec", json_object_new_string(ul->spec));
	json_object_object_add(o, "ip", json_object_new_string(ul->cidr));
	vs_addr_str(&ul->gw, buf, sizeof(buf));
	json_object_object_add(o, "gateway", json_object_new_string(buf));
	snprintf(buf, sizeof(buf), "%02x:%02x:%02x:%02x:%02x:%02x", ul->out.mac[0],
		 ul->out.mac[1], ul->out.mac[2], ul->out.mac[3], ul->out.mac[4], ul->out.mac[5]);
	json_object_object_add(o, "mac", json_object_new_string(buf));
	json_object_object_add(o, "port", json_object_new_string(ul->out.port->name));
	a = &ul->neigh.gw;
	if (a->seen_ms) {
		snprintf(buf, sizeof(buf), "%02x:%02x:%02x:%02x:%02x:%02x", a->mac[0],
			 a->mac[1], a->mac[2], a->mac[3], a->mac[4], a->mac[5]);
		json_object_object_add(o, "gateway_mac", json_object_new_string(buf));
	}
	uplink6_show_json(ul, o);
	return o;
}

/**
 * uplink_neigh_flush() - Forget every learned next hop, drop what waits
 *
 * For harnesses that reuse one uplink for many independent runs (the
 * fuzz targets): each run then starts with an empty ARP cache, as after
 * uplink_open() (the gateway pinned, not yet answered).  The frames still
 * waiting for an answer are counted as neigh_timeout drops: they will
 * never leave.
 */
void uplink_neigh_flush(struct uplink *ul)
{
	unsigned int n = ul->neigh.n_pending;

	while (n--)
		port_drop(ul->out.port, NULL, DROP_NEIGH_TIMEOUT);
	neigh_flush(&ul->neigh);
}

/* The uplink's frame port, for capture (NULL without --uplink). */
struct port *uplink_port(const struct uplink *ul)
{
	return ul && ul->up ? ul->out.port : NULL;
}

/* The MAC the switch owns on the uplink (vsctl trace's frames from the
 * outside are addressed to it). */
const uint8_t *uplink_mac(const struct uplink *ul)
{
	return ul->out.mac;
}

/* The device name of UL's port ("eth1" of "afpacket:eth1"). */
const char *uplink_ifname(const struct uplink *ul)
{
	const char *c = strchr(ul->spec, ':');

	return c ? c + 1 : ul->spec;
}

/* uplink_matches() - Does NAME name UL: its interface, its spec or its
 * port's name ("uplink", "uplink2")?  `-o parent=` takes any of them. */
bool uplink_matches(const struct uplink *ul, const char *name)
{
	return ul->up && (!strcmp(uplink_ifname(ul), name) || !strcmp(ul->spec, name) ||
			  !strcmp(ul->out.port->name, name));
}

/* The networks on UL's LAN, for lan.c's lookups. */
unsigned int uplink_lan_nets(const struct uplink *ul, struct network *const **nets)
{
	*nets = ul->lan;
	return ul->up ? ul->n_lan : 0;
}

/* uplink_lan_promisc() - Does one of UL's LAN networks have containers
 * with MACs of their own on the LAN (macvlan)?  ipvlan's use ours. */
static bool uplink_lan_promisc(const struct uplink *ul)
{
	unsigned int i;

	for (i = 0; i < ul->n_lan; i++)
		if (ul->lan[i]->driver == NET_DRIVER_MACVLAN)
			return true;
	return false;
}

/**
 * uplink_lan_join() - Make N one of UL's LAN networks
 * @ul:		the uplink
 * @n:		a macvlan/ipvlan network
 *
 * The first macvlan one makes the port promiscuous (an AF_PACKET membership that
 * ends with the socket, so a crash leaves the interface as it was); a TAP
 * gets whatever its kernel side sends it, and needs none.
 *
 * Return: 0, or -1 with errno (ENOSPC: LAN_MAX_PER_UPLINK already)
 */
int uplink_lan_join(struct uplink *ul, struct network *n)
{
	if (ul->n_lan >= LAN_MAX_PER_UPLINK) {
		errno = ENOSPC;
		return -1;
	}
	if (n->driver == NET_DRIVER_MACVLAN && !uplink_lan_promisc(ul) &&
	    ul->out.port->ops == &port_afpacket_ops &&
	    port_afpacket_set_promisc(ul->out.port, true) < 0)
		return -1;
	ul->lan[ul->n_lan++] = n;
	return 0;
}

/* uplink_lan_leave() - N leaves UL's LAN; the last macvlan one restores
 * the port's filter. */
void uplink_lan_leave(struct uplink *ul, struct network *n)
{
	bool was = uplink_lan_promisc(ul);
	unsigned int i;

	for (i = 0; i < ul->n_lan; i++)
		if (ul->lan[i] == n) {
			ul->lan[i] = ul->lan[--ul->n_lan];
			break;
		}
	if (was && !uplink_lan_promisc(ul) && ul->out.port->ops == &port_afpacket_ops &&
	    port_afpacket_set_promisc(ul->out.port, false) < 0)
		log_warn("uplink %s: cannot leave promiscuous mode: %s", ul->spec, strerror(errno));
}

/**
 * uplink_host_out() - Hand a container's packet for the host to the host leg
 * @ul:		the first uplink (the one with a host leg)
 * @p:		an IPv4 frame from a container of a LAN network
 *
 * A container on a LAN network answers the host (which reached it through
 * the host leg, lan.c) by its own next hop, the LAN's router; a packet to
 * the host leg's kernel address is the host leg's all the same.
 *
 * Return: true if P was taken (sent, or dropped for its TTL)
 */
bool uplink_host_out(struct uplink *ul, struct pkt *p)
{
	struct iphdr *ip;

	if (!ul || !ul->up || !ul->host.port)
		return false;
	ip = pkt_header(p, p->l3_ofs, sizeof(*ip));
	if (!ip || !vs_addr_eq_v4(&ul->host_kernel_ip, ip->daddr))
		return false;
	if (!router_port_ttl_dec(ip)) {
		port_drop(p->in_port, p, DROP_TTL_EXCEEDED);
		return true;
	}
	trace_note(p, "lan", "to the host, by the host leg");
	/* the kernel side's MAC, by ARP like any next hop */
	uplink_send(ul, p);
	return true;
}
