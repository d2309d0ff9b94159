/* gateway.c - the L3 gateway of each network: routing, DNS hand-off.
 *
 * DOC: Theory of Operation
 *
 * Each network has one gateway, a router port that owns the gateway IP
 * with a stable locally administered MAC (n->gw_mac, model_gw_mac()).
 * Containers use it as their default route, so every frame a container
 * addresses to n->gw_mac comes here (l2_forward), plus broadcast ARP
 * requests for the gateway IP.
 *
 * What it does with a frame:
 *  - ARP request for the gateway IP: ARP reply (RFC 826).
 *  - IPv6 (a --ipv6 network): neighbour solicitations for the gateway's
 *    IPv6 address or its link-local one, ICMPv6 echo to them and router
 *    solicitations (an advertisement of the subnet's prefix, rate
 *    limited by n->ra6) are answered by the router port, which also
 *    builds the advertisement gateway_advertise() sends to every port
 *    every 200-600 s (n->ra6.adv); everything
 *    else is routed as IPv4 is
 *    (gateway_route6(): hop limit, own subnet, other networks, packet
 *    too big, then the uplink's IPv6 address and NAT66, uplink6.c).
 *  - IPv4 to port 53 of the gateway IP on a network with DNS, or to any
 *    address with --dns-intercept: offered to dns_input() first.
 *  - ICMP echo request to the gateway IP: echo reply (RFC 792).  Other
 *    UDP/TCP to the gateway IP: ICMP port unreachable, as a host with no
 *    listener would answer (a TCP connect() then fails at once with
 *    ECONNREFUSED instead of hanging).
 *  - anything else is routed (RFC 1812 5.3.1): TTL <= 1 gets ICMP time
 *    exceeded; otherwise the TTL is decremented with an incremental
 *    checksum update (RFC 1624), then
 *      own subnet          -> gateway_deliver() back onto this network;
 *      another network     -> ICMP net unreachable: no routing between
 *                             networks, as in Docker;
 *      internal, no uplink -> ICMP net unreachable;
 *      else                -> uplink_route_out() (conntrack/NAT); if it
 *                             refuses, the reason is counted and the
 *                             sender gets ICMP unreachable.
 *    Never silence: a sender always learns why its packet went nowhere.
 *  - Path MTU (RFC 1191, RFC 1812 5.2.7.1; audit finding 14): a routed
 *    packet longer than the MTU of where it goes next (the uplink's
 *    interface, or the destination network's --mtu), counting a GSO
 *    frame by the segments it will be cut into, is not sent.  With DF
 *    set the sender gets ICMP "fragmentation needed" carrying that MTU
 *    (frag_needed); without DF it is counted as mtu (the switch does not
 *    fragment).  A sender outside gets the error through NAT, from the
 *    uplink's address: gateway_deliver() builds it about the packet as
 *    translated and hands it to uplink_route_out() like any packet from
 *    the network, and nat_icmp.c translates the quote back.
 *
 * The gateway is a router port (router_port.c): ARP, the echo reply with
 * its checks, the ICMP errors (quoted, RFC 1122-filtered, rate limited)
 * and the TTL arithmetic are built there, the same for the uplink's own
 * address.  What stays here is the gateway's own: the route decision, the
 * DNS hand-off, port unreachable for its unused ports, and the rule that
 * errors go back to containers only (the uplink side is NAT's).
 *
 * Knowing which subnets belong to other networks needs a route lookup.
 * The gateway keeps a sorted array of all networks' subnets, rebuilt only
 * when a network starts or stops (dp->net_gen changes), and finds a
 * destination by binary search: O(log networks) per routed packet, no
 * walk over the networks in the hot path.
 */
#include <arpa/inet.h>
#include <net/ethernet.h>
#include <netinet/if_ether.h>
#include <netinet/ip.h>
#include <netinet/icmp6.h>
#include <netinet/ip6.h>
#include <netinet/ip_icmp.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <stdlib.h>
#include <string.h>
#include "dp.h"
#include "fdb.h"
#include "hash.h"
#include "model.h"
#include "pipeline.h"
#include "port.h"
#include "router_port.h"
#include "trace.h"

/* ---- route table: every network's subnet, sorted by address ---- */

struct gateway_route {
	uint32_t addr;           /* host order, host bits zero */
	uint32_t mask;           /* host order */
	struct network *net;
	struct vs_prefix p6;     /* the IPv6 entries' subnet6 */
};


static int gateway_route_cmp(const void *a, const void *b)
{
	const struct gateway_route *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static uint32_t gateway_mask(uint8_t len)
{
	return len ? ~0u << (32 - (len > 32 ? 32 : len)) : 0;
}

static int gateway_route6_cmp(const void *a, const void *b)
{
	const struct gateway_route *x = a, *y = b;

	return vs_addr_cmp(&x->p6.addr, &y->p6.addr);
}

/* The --ipv6 networks' subnets, sorted, after the N4 IPv4 ones at R. */
static void gateway_routes6_rebuild(struct dp *dp, struct gateway_route *r, unsigned int n4)
{
	struct network *net, *tmp;
	unsigned int i = n4;

	HASH_ITER(hh, dp->model->networks, net, tmp)
		if (net->ipv6) {
			memset(&r[i], 0, sizeof(r[i]));
			r[i].p6 = net->subnet6;
			r[i].net = net;
			i++;
		}
	qsort(r + n4, i - n4, sizeof(*r), gateway_route6_cmp);
	dp->n_routes6 = i - n4;
}

/* Rebuild DP's sorted subnet array (a network started or stopped). */
static void gateway_routes_rebuild(struct dp *dp)
{
	unsigned int n = HASH_COUNT(dp->model->networks), i = 0;
	struct network *net, *tmp;
	struct gateway_route *r;

	r = realloc(dp->routes, (n ? 2 * n : 1) * sizeof(*r));
	if (!r)
		return;	/* keep the old table; retried on the next packet */
	dp->routes = r;
	HASH_ITER(hh, dp->model->networks, net, tmp) {
		if (!vs_addr_is_v4(&net->subnet.addr))
			continue;	/* an IPv4 table: v6 subnets route elsewhere */
		r[i].mask = gateway_mask(net->subnet.len);
		r[i].addr = ntohl(vs_addr_get_v4(&net->subnet.addr)) & r[i].mask;
		r[i].net = net;
		i++;
	}
	qsort(r, i, sizeof(*r), gateway_route_cmp);
	dp->n_routes = i;
	gateway_routes6_rebuild(dp, r, i);
	dp->routes_gen = dp->net_gen;
}

/**
 * gateway_route_lookup6() - Which network's IPv6 subnet holds DST?
 * @dp:		the datapath (NULL: none)
 * @dst:	IPv6 address
 *
 * As gateway_route_lookup(): subnets do not overlap, so the candidate is
 * the last one starting at or below DST; O(log networks).
 *
 * Return: the network, or NULL
 */
static struct network *gateway_route_lookup6(struct dp *dp, const union vs_addr *dst)
{
	const struct gateway_route *r;
	unsigned int lo = 0, hi, mid;

	if (!dp)
		return NULL;
	if (dp->routes_gen != dp->net_gen)
		gateway_routes_rebuild(dp);
	r = dp->routes + dp->n_routes;
	hi = dp->n_routes6;
	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (vs_addr_cmp(&r[mid].p6.addr, dst) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo && vs_prefix_contains(&r[lo - 1].p6, dst))
		return r[lo - 1].net;
	return NULL;
}

/**
 * gateway_route_lookup() - Which network's subnet holds DST?
 * @dp:		the datapath whose networks are looked at (NULL: none)
 * @dst:	IPv4 address, network order
 *
 * Subnets of networks do not overlap (IPAM refuses that), so the only
 * candidate is the last subnet starting at or below DST.
 *
 * Return: the network, or NULL
 */
static struct network *gateway_route_lookup(struct dp *dp, uint32_t dst)
{
	unsigned int lo = 0, hi, mid;
	uint32_t d = ntohl(dst);

	if (!dp)
		return NULL;
	if (dp->routes_gen != dp->net_gen)
		gateway_routes_rebuild(dp);
	hi = dp->n_routes;
	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (dp->routes[mid].addr <= d)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return NULL;
	mid = lo - 1;
	if ((d & dp->routes[mid].mask) == dp->routes[mid].addr)
		return dp->routes[mid].net;
	return NULL;
}

static bool gateway_in_subnet(const struct network *n, uint32_t ip)
{
	return vs_prefix_contains_v4(&n->subnet, ip);
}

/* The subnet's directed broadcast: never routed (RFC 2644). */
static bool gateway_is_subnet_bcast(const struct network *n, uint32_t ip)
{
	return ip == htonl(ntohl(vs_addr_get_v4(&n->subnet.addr)) | ~gateway_mask(n->subnet.len));
}

/* ---- small helpers ---- */

static void gateway_count(struct pkt *p, enum drop_reason why)
{
	trace_stage(p, "gateway");
	if (p->in_port)
		port_drop(p->in_port, p, why);
}

/* The gateway of N as a router port: its address, MAC and link MTU (N is
 * not const: its router advertisements' rate limits are N's). */
static void gateway_rport(struct network *n, struct router_port *rp)
{
	rp->ip = vs_addr_get_v4(&n->gateway);
	memcpy(rp->mac, n->gw_mac, 6);
	rp->mtu = (uint16_t)(n->mtu > 0 ? n->mtu : 1500);
	rp->stage = "gateway";
	rp->dp = n->dp;
	memset(rp->ip6, 0, sizeof(rp->ip6));
	memset(rp->ll6, 0, sizeof(rp->ll6));
	memset(rp->prefix6, 0, sizeof(rp->prefix6));
	rp->prefix6_len = 0;
	rp->ra = NULL;
	if (n->ipv6) {
		memcpy(rp->ip6, n->gateway6.b, 16);
		router_port_ll6(n->gw_mac, rp->ll6);
		/* it answers router solicitations with the subnet's prefix */
		rp->ra = &n->ra6;
		memcpy(rp->prefix6, n->subnet6.addr.b, 16);
		rp->prefix6_len = n->subnet6.len;
	}
}

/* ---- ARP ---- */

/**
 * gateway_announce() - Gratuitous ARP for the gateway, to every port
 * @n:		network that just started (or got a new port)
 *
 * A request with sender and target both the gateway IP (RFC 5227 2.4):
 * containers that cached an old gateway MAC (before a restart with a
 * changed id) update it.
 */
void gateway_announce(struct network *n)
{
	static const uint8_t zero[6], bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	struct router_port rp;
	struct pkt r;

	gateway_rport(n, &rp);
	router_port_arp_build(&rp, &r, ARPOP_REQUEST, bcast, zero, vs_addr_get_v4(&n->gateway));
	l2_forward_flood(n, &r);
}

/* ---- unsolicited router advertisements (a --ipv6 network) ---- */

#define GW_RA_MIN_INTERVAL 200.0   /* MinRtrAdvInterval, s: 0.33 x the max */
#define GW_RA_MAX_INTERVAL 600.0   /* MaxRtrAdvInterval, s: RFC 4861's default */

/**
 * gateway_advertise() - A router advertisement of N's prefix, to every port
 * @n:		a --ipv6 network (else nothing is sent)
 *
 * The advertisements that answer solicitations go to the solicitor only;
 * this one, sent at random intervals (RFC 4861 6.2.4), renews the router
 * lifetime (1800 s) of every host that took the route from one.
 */
void gateway_advertise(struct network *n)
{
	struct router_port rp;
	struct pkt r;

	gateway_rport(n, &rp);
	if (!rp.ra)
		return;
	router_port_ra_unsolicited(&rp, &r);
	l2_forward_flood(n, &r);
}

/* Uniform in [MinRtrAdvInterval, MaxRtrAdvInterval] (RFC 4861 6.2.4),
 * so that routers on one link do not synchronise. */
static double gateway_adv_interval(const struct network *n)
{
	uint64_t seed = n->ra6.sent ^ (uint64_t)(uintptr_t)n;
	uint64_t h = hash_bytes(&seed, sizeof(seed), hash_basis());

	return GW_RA_MIN_INTERVAL +
	       (GW_RA_MAX_INTERVAL - GW_RA_MIN_INTERVAL) * (double)(h >> 11) * 0x1.0p-53;
}

static void gateway_adv_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct network *n = w->data;

	(void)revents;
	gateway_advertise(n);
	ev_timer_set(w, gateway_adv_interval(n), 0.);
	ev_timer_start(loop, w);
}

/**
 * gateway_adv_start() - Start N's unsolicited router advertisements
 * @n:		network that just started on its datapath (n->dp set)
 *
 * Only a --ipv6 network has them; the first goes out within 200-600 s
 * (a container asks for one when its link comes up, and is answered).
 */
void gateway_adv_start(struct network *n)
{
	if (!n->ipv6 || !n->dp || !n->dp->loop)
		return;
	ev_timer_init(&n->ra6.adv, gateway_adv_cb, gateway_adv_interval(n), 0.);
	n->ra6.adv.data = n;
	ev_timer_start(n->dp->loop, &n->ra6.adv);
}

/* Stop them: N is going away. */
void gateway_adv_stop(struct network *n)
{
	if (n->dp && n->dp->loop && ev_is_active(&n->ra6.adv))
		ev_timer_stop(n->dp->loop, &n->ra6.adv);
}

/**
 * gateway_icmp_error() - Send an ICMP error about P back to its sender
 * @n:		network P came from
 * @p:		offending IPv4 packet
 * @type:	ICMP type (ICMP_DEST_UNREACH, ICMP_TIME_EXCEEDED...)
 * @code:	ICMP code
 */
void gateway_icmp_error(struct network *n, struct pkt *p, uint8_t type, uint8_t code)
{
	struct router_port rp;

	/* Errors go back to containers only; the uplink side is NAT's. */
	if (p->in_port && p->in_port->role != PORT_ROLE_ENDPOINT)
		return;
	gateway_rport(n, &rp);
	router_port_icmp_error(&rp, p, type, code);
}

/* ---- DNS and the gateway's own address ---- */

/* Destination port of a UDP/TCP packet, or 0. */
static uint16_t gateway_dport(const struct pkt *p)
{
	const struct udphdr *u;

	if (p->ip_proto != IPPROTO_UDP && p->ip_proto != IPPROTO_TCP)
		return 0;
	u = pkt_header(p, p->l4_ofs, 4);
	return u ? ntohs(u->dest) : 0;
}

/* Port 53 to the gateway (DNS networks) or anywhere (--dns-intercept). */
static bool gateway_dns(struct network *n, struct pkt *p, const struct iphdr *ip)
{
	if (p->is_frag || gateway_dport(p) != 53)
		return false;
	if (!n->dns_intercept && !(n->dns && vs_addr_eq_v4(&n->gateway, ip->daddr)))
		return false;
	return dns_input(n, p->in_port ? p->in_port->ep : NULL, p);
}

/* UDP/TCP to port 53 of the gateway's IPv6 address (DNS networks) or of
 * any address (--dns-intercept), sent to the gateway's MAC.  Only with the
 * upper-layer header right after the fixed one: as for the gateway's own
 * address otherwise (router_port.c), an extension header chain to the
 * resolver is not walked.  IPv6 leaves the parser without L4 offsets, so
 * they are set here for dns_input(). */
static bool gateway_dns6(struct network *n, struct pkt *p)
{
	const struct ip6_hdr *ip6 = pkt_header(p, p->l3_ofs, sizeof(*ip6));
	const uint8_t *ports = pkt_header(p, p->l3_ofs + sizeof(*ip6), 4);
	union vs_addr dst;

	if (!ip6 || !ports || (ip6->ip6_nxt != IPPROTO_UDP && ip6->ip6_nxt != IPPROTO_TCP) ||
	    ports[2] != 0 || ports[3] != 53 ||
	    ntohs(ip6->ip6_plen) > p->len - p->l3_ofs - sizeof(*ip6))
		return false;
	vs_addr_from_bytes(&dst, AF_INET6, &ip6->ip6_dst);
	if (!n->dns_intercept && !(n->dns && vs_addr_eq(&n->gateway6, &dst)))
		return false;
	p->ip_proto = ip6->ip6_nxt;
	p->l4_ofs = (uint16_t)(p->l3_ofs + sizeof(*ip6));
	return dns_input(n, p->in_port ? p->in_port->ep : NULL, p);
}

/* IPv4 addressed to the gateway IP itself. */
static void gateway_local(struct network *n, struct pkt *p, const struct iphdr *ip)
{
	if (p->is_frag) {
		/* The gateway does not reassemble: a fragmented ping to it
		 * (ping -s 2000) is refused quietly, not answered with a
		 * misleading "protocol unreachable". */
		gateway_count(p, DROP_UNSUPPORTED);
		return;
	}
	if (ip->protocol == IPPROTO_ICMP) {
		struct router_port rp;

		gateway_rport(n, &rp);
		router_port_echo(&rp, p, ip);
		return;
	}
	if (ip->protocol == IPPROTO_UDP || ip->protocol == IPPROTO_TCP) {
		gateway_count(p, DROP_NOT_FOR_US);
		gateway_icmp_error(n, p, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH);
		return;
	}
	gateway_count(p, DROP_NOT_FOR_US);
	gateway_icmp_error(n, p, ICMP_DEST_UNREACH, ICMP_PROT_UNREACH);
}

/* Is P, routed, longer than MTU on the wire (segments, if GSO)? */
static bool gateway_too_big(const struct pkt *p, const struct iphdr *ip, uint32_t mtu)
{
	return pkt_wire_ip_len(p, ntohs(ip->tot_len), ip->ihl * 4u) > mtu;
}

/**
 * gateway_frag_needed() - Refuse P, routed from N towards a smaller MTU
 * @n:		network the error comes from (its gateway is the sender)
 * @p:		the packet, as it arrived (TTL not yet decremented)
 * @ip:		its IPv4 header
 * @mtu:	the MTU it does not fit
 *
 * With DF: ICMP fragmentation needed with MTU, to a container directly,
 * to an outside sender through NAT (uplink_route_out); without DF the
 * drop is counted as mtu, since the switch does not fragment.
 */
static void gateway_frag_needed(struct network *n, struct pkt *p, const struct iphdr *ip,
				uint32_t mtu)
{
	struct router_port rp;
	struct pkt r;

	if (!(ip->frag_off & htons(IP_DF))) {
		gateway_count(p, DROP_MTU);
		return;
	}
	gateway_count(p, DROP_FRAG_NEEDED);
	gateway_rport(n, &rp);
	rp.mtu = (uint16_t)(mtu > 0xffff ? 0xffff : mtu);
	if (!p->in_port || p->in_port->role == PORT_ROLE_ENDPOINT) {
		router_port_icmp_error(&rp, p, ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED);
		return;
	}
	if (!router_port_icmp_error_build(&rp, p, ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED, &r))
		return;
	if (p->flags & PKT_F_DRYRUN) {
		trace_event(p, "gateway", TRACE_LOCAL, p->in_port,
			    "ICMP fragmentation needed (MTU %u) to the sender, through NAT", mtu);
		return;
	}
	uplink_route_out(n, &r);   /* NAT translates it back to the outside */
}

/* Give a routed packet to the uplink; unreachable if it will not take it. */
static void gateway_uplink(struct network *n, struct pkt *p, struct iphdr *ip)
{
	uint32_t mtu = uplink_mtu(n, ip->daddr);
	enum drop_reason why;

	if (gateway_too_big(p, ip, mtu)) {
		router_port_ttl_undo(ip);    /* quote the packet as it arrived */
		gateway_frag_needed(n, p, ip, mtu);
		return;
	}

	trace_event(p, "gateway", TRACE_ROUTE, NULL, "route to the uplink (TTL %u -> %u)",
		    ip->ttl + 1u, ip->ttl);
	why = uplink_route_out(n, p);
	if (why == DROP_NONE)
		return;
	gateway_count(p, why);
	router_port_ttl_undo(ip);    /* quote the packet as it arrived */
	gateway_icmp_error(n, p, ICMP_DEST_UNREACH, ICMP_NET_UNREACH);
}

/**
 * gateway_route() - Forward an IPv4 packet not addressed to the gateway
 * @n:		network it came from
 * @p:		packet
 * @ip:		its IPv4 header (in P, writable)
 */
static void gateway_route(struct network *n, struct pkt *p, struct iphdr *ip)
{
	struct network *dn;

	if (router_port_ip_special(ip->daddr) || gateway_is_subnet_bcast(n, ip->daddr)) {
		gateway_count(p, DROP_NOT_FOR_US);
		return;
	}
	if (ip->ttl <= 1) {
		gateway_count(p, DROP_TTL_EXCEEDED);
		gateway_icmp_error(n, p, ICMP_TIME_EXCEEDED, ICMP_EXC_TTL);
		return;
	}
	if (gateway_in_subnet(n, ip->daddr)) {
		router_port_ttl_dec(ip);
		trace_note(p, "gateway", "on-link destination, back onto %s (TTL %u -> %u)",
			   n->name, ip->ttl + 1u, ip->ttl);
		gateway_deliver(n, p);
		return;
	}
	dn = gateway_route_lookup(n->dp, ip->daddr);
	if (dn || n->internal || !uplink_present(n, ip->daddr)) {
		trace_note(p, "gateway", "no route: %s", dn ? "another network's subnet"
			   : n->internal ? "internal network" : "no uplink");
		gateway_count(p, DROP_NO_ROUTE);
		gateway_icmp_error(n, p, ICMP_DEST_UNREACH, ICMP_NET_UNREACH);
		return;
	}
	router_port_ttl_dec(ip);
	gateway_uplink(n, p, ip);
}

/* Checked view of P's IPv4 header, or NULL (counted). */
static struct iphdr *gateway_ip_hdr(struct pkt *p)
{
	struct iphdr *ip = pkt_header(p, p->l3_ofs, sizeof(*ip));

	if (!ip || ip->version != 4 || ip->ihl < 5 ||
	    ntohs(ip->tot_len) < ip->ihl * 4u ||
	    ntohs(ip->tot_len) > p->len - p->l3_ofs) {
		gateway_count(p, DROP_BAD_L3);
		return NULL;
	}
	return ip;
}

/* ---- IPv6 routing ---- */

/* Never routed (RFC 4291): multicast, "::", ::1, link-local (2.5.6: not
 * forwarded), and IPv4-mapped addresses on the wire. */
static bool gateway_special6(const union vs_addr *a)
{
	return a->b[0] == 0xff || vs_addr_is_any(a) || vs_addr_is_loopback(a) ||
	       (a->b[0] == 0xfe && (a->b[1] & 0xc0) == 0x80) || vs_addr_is_v4(a);
}

/* gateway_route_net6() - The network whose IPv6 subnet holds DST, or
 * NULL (uplink6.c: what comes in for a routed6 network). */
struct network *gateway_route_net6(struct dp *dp, const union vs_addr *dst)
{
	return gateway_route_lookup6(dp, dst);
}

/* Count P and tell its sender, a container, why (errors go back to
 * containers only; the uplink side is NAT's). */
static void gateway_error6(const struct router_port *rp, struct pkt *p, enum drop_reason why,
			   uint8_t type, uint8_t code)
{
	gateway_count(p, why);
	if (!p->in_port || p->in_port->role == PORT_ROLE_ENDPOINT)
		router_port_icmp6_error(rp, p, type, code);
}

/* Is IPv6 packet P longer than MTU on the wire (a GSO frame: the
 * segments it will be cut into)? */
static bool gateway_too_big6(const struct pkt *p, uint32_t mtu)
{
	const struct ip6_hdr *ip6 = pkt_l3(p);
	const uint8_t *th = pkt_header(p, p->l4_ofs, 20);
	uint32_t len = sizeof(*ip6) + ntohs(ip6->ip6_plen);

	if ((p->flags & PKT_F_GSO) && p->vnet.gso_size && th)
		len = (uint32_t)(p->l4_ofs - p->l3_ofs) + p->vnet.gso_size +
		      (p->ip_proto == IPPROTO_TCP ? (th[12] >> 4) * 4u : 8u);
	return len > mtu;
}

/**
 * gateway_too_big6_send() - Refuse P, routed from N towards a smaller MTU
 * @n:		network the error comes from (its gateway is the sender)
 * @p:		the packet, as it arrived (hop limit not yet decremented)
 * @mtu:	the MTU it does not fit
 *
 * IPv6 routers never fragment: the sender gets packet too big with the
 * MTU (RFC 8201), a container directly, an outside sender through NAT66
 * (uplink_route_out6 translates the quote back), as for IPv4.
 */
static void gateway_too_big6_send(struct network *n, struct pkt *p, uint32_t mtu)
{
	struct router_port rp;
	struct pkt r;

	gateway_count(p, DROP_FRAG_NEEDED);
	gateway_rport(n, &rp);
	rp.mtu = (uint16_t)(mtu > 0xffff ? 0xffff : mtu);
	if (!p->in_port || p->in_port->role == PORT_ROLE_ENDPOINT) {
		router_port_icmp6_error(&rp, p, ICMP6_PACKET_TOO_BIG, 0);
		return;
	}
	if (!router_port_icmp6_error_build(&rp, p, ICMP6_PACKET_TOO_BIG, 0, &r))
		return;
	if (p->flags & PKT_F_DRYRUN) {
		trace_event(p, "gateway", TRACE_LOCAL, p->in_port,
			    "ICMPv6 packet too big (MTU %u) to the sender, through NAT", mtu);
		return;
	}
	uplink_route_out6(n, &r);
}

/**
 * gateway_route6() - Forward an IPv6 packet not addressed to the gateway
 * @n:		network it came from
 * @rp:		the gateway as a router port
 * @p:		packet (IPv6 header checked by router_port_v6_input)
 *
 * As gateway_route() for IPv4: the hop limit (RFC 8200 3: time exceeded
 * at 1), the own subnet back onto the network, another network's subnet
 * or no IPv6 uplink is no route (isolation, as IPv4's), the uplink's MTU
 * (packet too big), then the uplink (NAT66, uplink6.c).
 */
static void gateway_route6(struct network *n, const struct router_port *rp, struct pkt *p)
{
	struct ip6_hdr *ip6 = pkt_l3(p);
	struct network *dn;
	union vs_addr dst;
	enum drop_reason why;
	uint32_t mtu;

	memcpy(&dst, &ip6->ip6_dst, 16);
	if (gateway_special6(&dst)) {
		gateway_count(p, DROP_NOT_FOR_US);
		return;
	}
	if (ip6->ip6_hlim <= 1) {
		gateway_error6(rp, p, DROP_TTL_EXCEEDED, ICMP6_TIME_EXCEEDED,
			       ICMP6_TIME_EXCEED_TRANSIT);
		return;
	}
	if (vs_prefix_contains(&n->subnet6, &dst)) {
		ip6->ip6_hlim--;
		trace_note(p, "gateway", "on-link destination, back onto %s", n->name);
		gateway_deliver6(n, p);
		return;
	}
	dn = gateway_route_lookup6(n->dp, &dst);
	mtu = uplink_mtu6(n);
	if (dn || n->internal || !mtu) {
		trace_note(p, "gateway", "no route: %s", dn ? "another network's subnet" :
			   n->internal ? "internal network" : "no IPv6 uplink");
		gateway_error6(rp, p, DROP_NO_ROUTE, ICMP6_DST_UNREACH, ICMP6_DST_UNREACH_NOROUTE);
		return;
	}
	if (gateway_too_big6(p, mtu)) {
		gateway_too_big6_send(n, p, mtu);
		return;
	}
	ip6->ip6_hlim--;
	trace_event(p, "gateway", TRACE_ROUTE, NULL, "route to the uplink (hop limit %u -> %u)",
		    ip6->ip6_hlim + 1u, ip6->ip6_hlim);
	why = uplink_route_out6(n, p);
	if (why == DROP_NONE)
		return;
	ip6->ip6_hlim++;      /* quote the packet as it arrived */
	gateway_error6(rp, p, why, ICMP6_DST_UNREACH, ICMP6_DST_UNREACH_NOROUTE);
}

/* IPv6 to the gateway: unicast to its MAC, or a multicast to one of its
 * solicited-node groups (l2_forward).  The router port answers what is
 * its own; anything else sent to its MAC is routed (gateway_route6()).
 * A flooded multicast that is not the gateway's is left alone: it was
 * delivered. */
static void gateway_input6(struct network *n, struct pkt *p)
{
	const struct ether_header *eth = pkt_header(p, 0, sizeof(*eth));
	bool mcast = eth && (eth->ether_dhost[0] & 1);
	struct router_port rp;

	if (!n->ipv6) {
		if (!mcast)
			gateway_count(p, DROP_UNSUPPORTED);
		return;
	}
	if (!mcast && gateway_dns6(n, p)) {
		trace_note(p, "gateway", "to the DNS resolver");
		return;
	}
	gateway_rport(n, &rp);
	if (router_port_v6_input(&rp, p) || mcast)
		return;
	gateway_route6(n, &rp, p);
}

/**
 * gateway_input() - A frame for the gateway of network N
 * @n:		network
 * @p:		frame to n->gw_mac, or a broadcast ARP for the gateway IP
 */
void gateway_input(struct network *n, struct pkt *p)
{
	struct iphdr *ip;

	if (p->eth_type == ETHERTYPE_ARP) {
		struct router_port rp;

		gateway_rport(n, &rp);
		router_port_arp_input(&rp, p);
		return;
	}
	if (p->eth_type == ETHERTYPE_IPV6) {
		gateway_input6(n, p);
		return;
	}
	if (p->eth_type != ETHERTYPE_IP) {
		gateway_count(p, DROP_UNSUPPORTED);
		return;
	}
	ip = gateway_ip_hdr(p);
	if (!ip)
		return;
	if (gateway_dns(n, p, ip)) {
		trace_note(p, "gateway", "to the DNS resolver");
		return;
	}
	if (vs_addr_eq_v4(&n->gateway, ip->daddr)) {
		gateway_local(n, p, ip);
		return;
	}
	gateway_route(n, p, ip);
}

/**
 * gateway_deliver() - Send a routed IPv4 packet to its endpoint on N
 * @n:		destination network
 * @p:		packet; TTL already handled by the caller
 *
 * The destination is found by address (model_endpoint_by_ip, a hash), the
 * L2 header is rewritten as a router does: from the gateway MAC to the
 * endpoint's MAC.
 */
void gateway_deliver(struct network *n, struct pkt *p)
{
	struct ether_header *eth = pkt_header(p, 0, sizeof(*eth));
	struct iphdr *ip = pkt_header(p, p->l3_ofs, sizeof(*ip));
	struct endpoint *ep;

	if (!eth || !ip) {
		gateway_count(p, DROP_BAD_L3);
		return;
	}
	if (gateway_too_big(p, ip, (uint32_t)(n->mtu > 0 ? n->mtu : 1500))) {
		router_port_ttl_undo(ip);    /* every router path took a hop */
		gateway_frag_needed(n, p, ip, (uint32_t)(n->mtu > 0 ? n->mtu : 1500));
		return;
	}
	ep = model_endpoint_by_ip4(n, ip->daddr);
	if (!ep || !ep->port) {
		gateway_count(p, DROP_NO_ROUTE);
		if (p->in_port && p->in_port->net == n)
			gateway_icmp_error(n, p, ICMP_DEST_UNREACH, ICMP_HOST_UNREACH);
		return;
	}
	memcpy(eth->ether_dhost, ep->mac, 6);
	memcpy(eth->ether_shost, n->gw_mac, 6);
	trace_event(p, "gateway", TRACE_FORWARD, ep->port, "deliver to its endpoint");
	egress_output(ep->port, p);
}

/**
 * gateway_deliver6() - Send a routed IPv6 packet to its endpoint on N
 * @n:		destination network
 * @p:		packet; hop limit already handled by the caller
 *
 * The endpoint is found by its IPv6 address (a hash, model.c); too big
 * for N's MTU is packet too big to the sender; nobody there is address
 * unreachable (RFC 4443 3.1 code 3) to a container of N.
 */
void gateway_deliver6(struct network *n, struct pkt *p)
{
	struct ether_header *eth = pkt_header(p, 0, sizeof(*eth));
	struct ip6_hdr *ip6 = pkt_header(p, p->l3_ofs, sizeof(*ip6));
	uint32_t mtu = (uint32_t)(n->mtu > 0 ? n->mtu : 1500);
	struct router_port rp;
	struct endpoint *ep;
	union vs_addr dst;

	if (!eth || !ip6) {
		gateway_count(p, DROP_BAD_L3);
		return;
	}
	if (gateway_too_big6(p, mtu)) {
		ip6->ip6_hlim++;       /* every router path took a hop */
		gateway_too_big6_send(n, p, mtu);
		return;
	}
	memcpy(&dst, &ip6->ip6_dst, 16);
	ep = model_endpoint_by_ip6_fast(n, &dst);
	if (!ep || !ep->port) {
		gateway_rport(n, &rp);
		if (p->in_port && p->in_port->net == n)
			gateway_error6(&rp, p, DROP_NO_ROUTE, ICMP6_DST_UNREACH,
				       ICMP6_DST_UNREACH_ADDR);
		else
			gateway_count(p, DROP_NO_ROUTE);
		return;
	}
	memcpy(eth->ether_dhost, ep->mac, 6);
	memcpy(eth->ether_shost, n->gw_mac, 6);
	trace_event(p, "gateway", TRACE_FORWARD, ep->port, "deliver to its endpoint");
	egress_output(ep->port, p);
}
