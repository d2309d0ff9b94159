/* gateway.c - the L3 gateway of each network: ARP, ping, TTL, ICMP errors.
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
 *
 * ICMP errors (gateway_icmp_error) quote the offending IP header and as
 * much of its payload as fits in 576 bytes (RFC 1812 4.3.2.3), and are
 * never sent about an ICMP error, a non-initial fragment, or a packet to
 * or from a broadcast/multicast address (RFC 1122 3.2.2).  They are rate
 * limited by one token bucket (RFC 1812 4.3.2.8), so a flood of bad
 * packets cannot turn the switch into an amplifier.
 *
 * Replies are built in one static scratch buffer and queued with
 * egress_output() on the port the request came from, flagged PKT_F_LOCAL
 * (--no-icc lets it through); port_tx_queue() copies the frame, so the
 * buffer is free again at once.  Nothing is allocated per packet.
 *
 * Knowing which subnets belong to other networks needs a route lookup.
 * The gateway keeps a sorted array of all networks' subnets, rebuilt only
 * when a network starts or stops (fdb_generation changes), and finds a
 * destination by binary search: O(log networks) per routed packet, no
 * walk over the networks in the hot path.
 */
#include <arpa/inet.h>
#include <net/ethernet.h>
#include <netinet/if_ether.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "arp.h"
#include "csum.h"
#include "dp.h"
#include "fdb.h"
#include "model.h"
#include "pipeline.h"
#include "pkt_build.h"
#include "port.h"

#define GATEWAY_ICMP_MAX 576     /* RFC 1812 4.3.2.3: IP length of an error */
#define GATEWAY_RL_RATE 1000.0   /* ICMP errors per second, sustained */
#define GATEWAY_RL_BURST 100.0

/* Replies start after PKT_HEADROOM, which puts their IP header on a
 * 4-byte boundary (pkt.h). */
static uint8_t gateway_buf[PKT_HEADROOM + PKT_BUF_SIZE]
	__attribute__((aligned(8)));

/* ---- route table: every network's subnet, sorted by address ---- */

struct gateway_route {
	uint32_t addr;           /* host order, host bits zero */
	uint32_t mask;           /* host order */
	struct network *net;
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

/* Rebuild DP's sorted subnet array (a network started or stopped). */
static void gateway_routes_rebuild(struct dp *dp)
{
	unsigned int n = HASH_COUNT(dp->model->networks), i = 0;
	struct network *net, *tmp;
	struct gateway_route *r;

	r = realloc(dp->routes, (n ? n : 1) * sizeof(*r));
	if (!r)
		return;	/* keep the old table; retried on the next packet */
	dp->routes = r;
	HASH_ITER(hh, dp->model->networks, net, tmp) {
		r[i].mask = gateway_mask(net->subnet.len);
		r[i].addr = ntohl(net->subnet.addr) & r[i].mask;
		r[i].net = net;
		i++;
	}
	qsort(r, i, sizeof(*r), gateway_route_cmp);
	dp->n_routes = i;
	dp->routes_gen = fdb_generation;
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
	if (dp->routes_gen != fdb_generation)
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
	uint32_t m = htonl(gateway_mask(n->subnet.len));

	return (ip & m) == (n->subnet.addr & m);
}

/* The subnet's directed broadcast: never routed (RFC 2644). */
static bool gateway_is_subnet_bcast(const struct network *n, uint32_t ip)
{
	return ip == htonl(ntohl(n->subnet.addr) | ~gateway_mask(n->subnet.len));
}

/* ---- small helpers ---- */

static void gateway_count(struct pkt *p, enum drop_reason why)
{
	trace_note(p, "gateway", "drop: %s", drop_reason_names[why]);
	if (p->in_port)
		port_drop(p->in_port, why);
}

/* Token bucket for ICMP errors. */
static bool gateway_rl_allow(void)
{
	static double tokens = GATEWAY_RL_BURST, last;
	struct timespec ts;
	double now;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	now = (double)ts.tv_sec + ts.tv_nsec / 1e9;
	tokens += (now - last) * GATEWAY_RL_RATE;
	last = now;
	if (tokens > GATEWAY_RL_BURST)
		tokens = GATEWAY_RL_BURST;
	if (tokens < 1.0)
		return false;
	tokens -= 1.0;
	return true;
}

/* Set up a reply frame of LEN bytes in the scratch buffer. */
static void gateway_reply_init(struct pkt *r, uint32_t len)
{
	memset(r, 0, sizeof(*r));
	r->buf = gateway_buf;
	r->data = gateway_buf + PKT_HEADROOM;
	r->len = len;
	r->flags = PKT_F_LOCAL;
	r->l4_ofs = PKT_OFS_NONE;
}

/* Queue reply R back out of the port REQ came in on. */
static void gateway_reply_send(struct pkt *req, struct pkt *r, const char *what)
{
	if (req->flags & PKT_F_DRYRUN) {
		trace_note(req, "gateway", "reply: %s", what);
		return;
	}
	if (!req->in_port)
		return;
	egress_output(req->in_port, r);
}

/* Ethernet and IPv4 headers of an ICMP reply R from the gateway to
 * DMAC/DST, with ICMPLEN bytes of ICMP after them. */
static void gateway_reply_l3(struct pkt *r, const struct network *n,
			     const uint8_t *dmac, uint32_t dst, uint16_t icmplen)
{
	struct pkt_ip4 h = { .src = n->gateway, .dst = dst, .proto = IPPROTO_ICMP };
	uint8_t *l3 = pkt_build_eth(r->data, dmac, n->gw_mac, ETHERTYPE_IP);

	r->eth_type = ETHERTYPE_IP;
	r->ip_proto = IPPROTO_ICMP;
	r->l3_ofs = (uint16_t)(l3 - r->data);
	r->l4_ofs = (uint16_t)(pkt_build_ip4(l3, &h, icmplen) - r->data);
}

static bool gateway_ip_special(uint32_t ip)
{
	uint32_t h = ntohl(ip);

	return h == 0 || h == 0xffffffffu || (h >> 28) == 0xe || (h >> 24) == 127;
}

/* ---- ARP ---- */

static void gateway_arp_build(const struct network *n, struct ether_header *eth,
			      struct ether_arp *a, uint16_t op,
			      const uint8_t *tha, uint32_t tpa)
{
	arp_fill(eth, a, op, n->gw_mac, n->gateway, tha, tpa);
}

/**
 * gateway_arp() - Answer an ARP request for the gateway IP
 * @n:		network
 * @p:		ARP frame (l3_ofs checked by parse.c, re-checked here)
 */
static void gateway_arp(struct network *n, struct pkt *p)
{
	const struct ether_arp *a = pkt_header(p, p->l3_ofs, sizeof(*a));
	struct ether_header *eth;
	struct pkt r;
	uint32_t tpa, spa;

	if (!a || ntohs(a->arp_hrd) != ARPHRD_ETHER ||
	    ntohs(a->arp_pro) != ETHERTYPE_IP || a->arp_hln != 6 || a->arp_pln != 4) {
		gateway_count(p, DROP_BAD_L3);
		return;
	}
	memcpy(&tpa, a->arp_tpa, 4);
	memcpy(&spa, a->arp_spa, 4);
	if (ntohs(a->arp_op) != ARPOP_REQUEST || tpa != n->gateway)
		return;	/* replies and others' requests: nothing to do */
	gateway_reply_init(&r, sizeof(*eth) + sizeof(*a));
	eth = (struct ether_header *)r.data;
	memcpy(eth->ether_dhost, a->arp_sha, 6);
	r.l3_ofs = sizeof(*eth);
	r.eth_type = ETHERTYPE_ARP;
	gateway_arp_build(n, eth, pkt_l3(&r),
			  ARPOP_REPLY, a->arp_sha, spa);
	gateway_reply_send(p, &r, "ARP reply for the gateway");
}

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
	static const uint8_t zero[6];
	struct ether_header *eth;
	struct pkt r;

	gateway_reply_init(&r, sizeof(*eth) + sizeof(struct ether_arp));
	eth = (struct ether_header *)r.data;
	memset(eth->ether_dhost, 0xff, 6);
	r.l3_ofs = sizeof(*eth);
	r.eth_type = ETHERTYPE_ARP;
	gateway_arp_build(n, eth, pkt_l3(&r),
			  ARPOP_REQUEST, zero, n->gateway);
	l2_forward_flood(n, &r);
}

/* ---- ICMP ---- */

/* Is the ICMP message at L4 (LEN bytes) an error, about which no error
 * may be sent (RFC 1122 3.2.2)?  Unknown types count as errors. */
static bool gateway_icmp_is_error(const struct pkt *p)
{
	const struct icmphdr *ic = pkt_header(p, p->l4_ofs, 1);

	if (!ic)
		return true;
	switch (ic->type) {
	case ICMP_ECHO: case ICMP_ECHOREPLY: case ICMP_TIMESTAMP:
	case ICMP_TIMESTAMPREPLY: case ICMP_INFO_REQUEST: case ICMP_INFO_REPLY:
	case ICMP_ADDRESS: case ICMP_ADDRESSREPLY:
		return false;
	}
	return true;
}

/* RFC 1122 3.2.2: may an ICMP error be sent about P? */
static bool gateway_icmp_error_ok(const struct pkt *p, const struct iphdr *ip)
{
	const struct ether_header *eth = (const struct ether_header *)p->data;

	if (eth->ether_dhost[0] & 1)
		return false;
	if (gateway_ip_special(ip->saddr) || gateway_ip_special(ip->daddr))
		return false;
	if (ntohs(ip->frag_off) & IP_OFFMASK)
		return false;
	if (ip->protocol == IPPROTO_ICMP && gateway_icmp_is_error(p))
		return false;
	return true;
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
	const struct ether_header *eth = pkt_header(p, 0, sizeof(*eth));
	const struct iphdr *ip = pkt_header(p, p->l3_ofs, sizeof(*ip));
	uint32_t quote, hdr = ETH_HLEN + sizeof(struct iphdr) + sizeof(struct icmphdr);
	uint8_t *body;
	struct pkt r;

	if (!eth || !ip || p->eth_type != ETHERTYPE_IP || !gateway_icmp_error_ok(p, ip))
		return;
	/* Errors go back to containers only; the uplink side is NAT's. */
	if (p->in_port && p->in_port->role != PORT_ROLE_ENDPOINT)
		return;
	if (!(p->flags & PKT_F_DRYRUN) && !gateway_rl_allow())
		return;
	quote = p->len - p->l3_ofs;
	if (ntohs(ip->tot_len) < quote)
		quote = ntohs(ip->tot_len);
	if (quote > GATEWAY_ICMP_MAX - sizeof(struct iphdr) - sizeof(struct icmphdr))
		quote = GATEWAY_ICMP_MAX - sizeof(struct iphdr) - sizeof(struct icmphdr);

	gateway_reply_init(&r, hdr + quote);
	gateway_reply_l3(&r, n, eth->ether_shost, ip->saddr,
			 (uint16_t)(sizeof(struct icmphdr) + quote));
	body = pkt_build_icmp(r.data + r.l4_ofs, type, code, 0,
			      type == ICMP_DEST_UNREACH && code == ICMP_FRAG_NEEDED ?
			      (uint16_t)(n->mtu > 0 ? n->mtu : 1500) : 0);
	memcpy(body, ip, quote);
	pkt_build_icmp_csum(r.data + r.l4_ofs, (uint32_t)sizeof(struct icmphdr) + quote);
	trace_note(p, "gateway", "ICMP error type %u code %u to sender", type, code);
	gateway_reply_send(p, &r, "ICMP error");
}

/**
 * gateway_echo() - Answer an ICMP echo request to the gateway IP
 * @n:		network
 * @p:		IPv4 packet whose header IP (length checked) is at l3_ofs
 * @ip:		its IPv4 header
 */
static void gateway_echo(struct network *n, struct pkt *p, const struct iphdr *ip)
{
	uint32_t ihl = ip->ihl * 4u, ilen = ntohs(ip->tot_len) - ihl;
	const struct ether_header *eth = (const struct ether_header *)p->data;
	const struct icmphdr *req = pkt_header(p, p->l3_ofs + ihl, ilen);
	uint32_t hdr = sizeof(struct ether_header) + sizeof(struct iphdr);
	struct icmphdr *ic;
	struct pkt r;

	if (!req || ilen < sizeof(*req) || csum(req, ilen) != 0) {
		gateway_count(p, DROP_BAD_L4);
		return;
	}
	if (req->type != ICMP_ECHO) {
		gateway_count(p, DROP_NOT_FOR_US);
		return;
	}
	if (hdr + ilen > PKT_BUF_SIZE) {
		gateway_count(p, DROP_UNSUPPORTED);
		return;
	}
	gateway_reply_init(&r, hdr + ilen);
	gateway_reply_l3(&r, n, eth->ether_shost, ip->saddr, (uint16_t)ilen);
	ic = pkt_l4(&r);
	memcpy(ic, req, ilen);
	ic->type = ICMP_ECHOREPLY;
	/* Only the type changed: RFC 1624 instead of summing the payload. */
	csum_update16(&ic->checksum, htons(ICMP_ECHO << 8), htons(ICMP_ECHOREPLY << 8));
	gateway_reply_send(p, &r, "ICMP echo reply from the gateway");
}

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
	if (!n->dns_intercept && !(n->dns && ip->daddr == n->gateway))
		return false;
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
		gateway_echo(n, p, ip);
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

/* RFC 1812 5.3.1: decrement TTL by one; RFC 1624 for the checksum. */
static void gateway_ttl_add(struct iphdr *ip, int delta)
{
	uint16_t old, new_;
	uint8_t *w = (uint8_t *)ip + 8; /* ttl and protocol: one 16-bit word */

	memcpy(&old, w, 2);
	ip->ttl = (uint8_t)(ip->ttl + delta);
	memcpy(&new_, w, 2);
	csum_update16(&ip->check, old, new_);
}

/* Give a routed packet to the uplink; unreachable if it will not take it. */
static void gateway_uplink(struct network *n, struct pkt *p, struct iphdr *ip)
{
	enum drop_reason why;

	trace_note(p, "gateway", "route to the uplink (TTL %u -> %u)", ip->ttl + 1u, ip->ttl);
	why = uplink_route_out(n, p);
	if (why == DROP_NONE)
		return;
	gateway_count(p, why);
	gateway_ttl_add(ip, 1);    /* quote the packet as it arrived */
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

	if (gateway_ip_special(ip->daddr) || gateway_is_subnet_bcast(n, ip->daddr)) {
		gateway_count(p, DROP_NOT_FOR_US);
		return;
	}
	if (ip->ttl <= 1) {
		gateway_count(p, DROP_TTL_EXCEEDED);
		gateway_icmp_error(n, p, ICMP_TIME_EXCEEDED, ICMP_EXC_TTL);
		return;
	}
	if (gateway_in_subnet(n, ip->daddr)) {
		gateway_ttl_add(ip, -1);
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
	gateway_ttl_add(ip, -1);
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

/**
 * gateway_input() - A frame for the gateway of network N
 * @n:		network
 * @p:		frame to n->gw_mac, or a broadcast ARP for the gateway IP
 */
void gateway_input(struct network *n, struct pkt *p)
{
	struct iphdr *ip;

	if (p->eth_type == ETHERTYPE_ARP) {
		gateway_arp(n, p);
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
	if (ip->daddr == n->gateway) {
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
	ep = model_endpoint_by_ip(n, ip->daddr);
	if (!ep || !ep->port) {
		gateway_count(p, DROP_NO_ROUTE);
		if (p->in_port && p->in_port->net == n)
			gateway_icmp_error(n, p, ICMP_DEST_UNREACH, ICMP_HOST_UNREACH);
		return;
	}
	memcpy(eth->ether_dhost, ep->mac, 6);
	memcpy(eth->ether_shost, n->gw_mac, 6);
	trace_note(p, "gateway", "deliver to %s", ep->port->name);
	egress_output(ep->port, p);
}
