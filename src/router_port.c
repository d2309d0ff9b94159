/* router_port.c - ARP, ICMP echo, ICMP errors and TTL for an owned address.
 *
 * DOC: Theory of Operation
 *
 * See router_port.h for what a router port is and who uses it.  What it
 * does with a frame:
 *
 *  - ARP (RFC 826): a request whose target is the port's address gets a
 *    reply from the port's MAC, sent to the asker's hardware address.  A
 *    malformed ARP (not Ethernet/IPv4, wrong address lengths) is dropped
 *    as bad_l3; anything else (replies, requests for other addresses) is
 *    returned to the caller untouched, who may learn from it.
 *  - ICMP echo (RFC 792): before a reply is built, the message must hold
 *    a whole ICMP header, its checksum must verify over the IP payload
 *    (else bad_l4), it must be an echo request (else not_for_us) and the
 *    reply must fit one frame (else unsupported).  The reply copies the
 *    request's identifier, sequence and data, and since only the type
 *    changes its checksum is updated (RFC 1624), not summed again.
 *  - ICMP errors quote the offending IP header and as much of its payload
 *    as fits in 576 bytes (RFC 1812 4.3.2.3), and are never sent about an
 *    ICMP error, a non-initial fragment, or a packet to or from a
 *    broadcast/multicast address (RFC 1122 3.2.2).  Token buckets
 *    (RFC 1812 4.3.2.8) limit them per source and in all: each source (a
 *    container's port, or an outside address) may draw
 *    ROUTER_PORT_SRC_RATE errors a second, all sources together
 *    ROUTER_PORT_RL_RATE, so a flood of bad packets cannot turn the switch
 *    into an amplifier, and one container's flood (TTL=1) cannot use up
 *    the errors every other container is owed (audit item 21).  The
 *    per-source buckets are a fixed keyed-hash array: nothing grows, a
 *    colliding stranger only shares a bucket nobody can aim at.
 *  - IPv6 (a --ipv6 network's gateway): a neighbour solicitation
 *    (RFC 4861 7.1.1: hop limit 255, code 0, checksum, length, options of
 *    non-zero length, a non-multicast target, and from "::" only to a
 *    solicited-node group without a source link-layer option) for the
 *    port's address or its link-local one gets an advertisement with the
 *    router flag and the port's MAC as target link-layer option: unicast
 *    and solicited to the asker, or, for a duplicate address detection
 *    probe (from "::"), unsolicited to all-nodes (RFC 4861 7.2.4), which
 *    tells the prober the address is taken.  A malformed one is bad_l4;
 *    a solicitation for someone else is left alone (it was flooded).
 *    ICMPv6 echo to either address: the same checks as ICMP's, with the
 *    checksum over the IPv6 pseudo-header (RFC 4443 2.3); other ICMPv6
 *    messages and other protocols to the port's address are not_for_us.
 *    Extension headers are not walked here: a packet for the gateway with
 *    one is unsupported (port security has judged the chain already).
 *    A router solicitation (RFC 4861 6.1.1: hop limit 255, code 0,
 *    checksum, length, options of non-zero length, and from "::" without a
 *    source link-layer option; else bad_l4) to all-routers or to the port
 *    gets, if the port advertises (rp->ra: a --ipv6 network's gateway),
 *    a router advertisement from its link-local address: hop limit 64, M
 *    and O off (no DHCPv6), a router lifetime, and the source link-layer,
 *    MTU and prefix information options, the prefix on-link (L) but not
 *    autonomous (A off: vswitch gives the addresses, no SLAAC).  It goes
 *    back out of the soliciting port, unicast to the solicitor, or to
 *    all-nodes when it asked from "::" (RFC 4861 6.2.6).  Those to
 *    all-nodes are at most one per MIN_DELAY_BETWEEN_RAS (3 s) per
 *    network, as 6.2.6 requires; unicast ones draw on a per-network
 *    bucket (a burst of 8 for containers starting together, then one per
 *    3 s), so a container that floods solicitations costs one answer per
 *    3 s.  One unanswered is counted (rate_limited), not dropped: it was
 *    valid.  The unsolicited ones, every 200-600 s to every port, are
 *    built here (router_port_ra_unsolicited()) and sent by gateway.c.
 *    ICMPv6 errors (RFC 4443) quote the packet up to the 1280-byte
 *    minimum MTU, are never sent about an ICMPv6 error or to or from a
 *    multicast or unspecified address, and share the ICMP rate limits.
 *  - TTL (RFC 1812 5.3.1): a forwarded packet's TTL drops by one with an
 *    incremental checksum update; at 1 or 0 it has expired and is not
 *    changed (the caller answers time exceeded, or drops it).
 *
 * Replies are built in the datapath's scratch buffer (dp->rport) and
 * queued on the port
 * the request came from (egress_output), flagged PKT_F_LOCAL;
 * port_tx_queue() copies the frame, so the buffer is free again at once.
 * Nothing is allocated per packet, and none of this is on the forwarding
 * fast path except router_port_ttl_dec().
 */
#include <arpa/inet.h>
#include <net/ethernet.h>
#include <netinet/if_ether.h>
#include <netinet/ip.h>
#include <netinet/icmp6.h>
#include <netinet/ip6.h>
#include <netinet/ip_icmp.h>
#include <string.h>
#include <time.h>
#include "arp.h"
#include "csum.h"
#include "dp.h"
#include "hash.h"
#include "pipeline.h"
#include "pkt_build.h"
#include "port.h"
#include "router_port.h"
#include "trace.h"

#define ROUTER_PORT_ICMP_MAX 576     /* RFC 1812 4.3.2.3: IP length of an error */
#define ROUTER_PORT_RL_RATE 2000.0   /* ICMP errors per second, all sources */
#define ROUTER_PORT_RL_BURST 200.0
#define ROUTER_PORT_SRC_RATE 100.0   /* ... per source */
#define ROUTER_PORT_SRC_BURST 50.0
/* Router advertisements (RFC 4861 6.2.1 and 10) */
#define ROUTER_PORT_RA_HLIM 64          /* AdvCurHopLimit */
/* AdvDefaultLifetime, s: RFC 4861 6.2.1's default, 3 x MaxRtrAdvInterval;
 * the unsolicited advertisements (gateway.c, at most 600 s apart) renew
 * it long before it runs out */
#define ROUTER_PORT_RA_LIFETIME 1800
#define ROUTER_PORT_RA_VALID 2592000u   /* AdvValidLifetime, s (30 days) */
#define ROUTER_PORT_RA_PREFERRED 604800u /* AdvPreferredLifetime, s (7 days) */
#define ROUTER_PORT_RA_MIN_DELAY 3.0    /* MIN_DELAY_BETWEEN_RAS, s */
#define ROUTER_PORT_RA_UCAST_BURST 8.0  /* unicast RAs at once, per network */

void router_port_drop(const struct router_port *rp, struct pkt *p,
		      enum drop_reason why)
{
	trace_stage(p, rp->stage);
	if (p->in_port)
		port_drop(p->in_port, p, why);
}

bool router_port_ip_special(uint32_t ip)
{
	uint32_t h = ntohl(ip);

	return h == 0 || h == 0xffffffffu || (h >> 28) == 0xe || (h >> 24) == 127;
}

/* router_port_bucket_take() - Refill B for NOW at RATE up to BURST, then
 * take a token if there is one. */
static bool router_port_bucket_take(struct router_port_bucket *b, double now,
				    double rate, double burst)
{
	b->tokens += (now - b->last) * rate;
	b->last = now;
	if (b->tokens > burst)
		b->tokens = burst;
	if (b->tokens < 1.0)
		return false;
	b->tokens -= 1.0;
	return true;
}

/* The source an error about P is charged to: the container's port it
 * came from (its address cannot be forged there), else its source IP. */
static uint64_t router_port_source(const struct pkt *p, uint32_t saddr)
{
	if (p->in_port && p->in_port->role == PORT_ROLE_ENDPOINT)
		return (uint64_t)(uintptr_t)p->in_port;
	return 0x100000000ull | saddr;
}

/**
 * router_port_rl_allow() - May an error about P be sent now?
 * @p:		the offending packet
 * @saddr:	its source address (an IPv6 one folded to 32 bits)
 *
 * Its source's bucket first, then the one all sources share.
 * Return: true if both had a token
 */
/* Fill DP's buckets again: for unit tests and harnesses that run many
 * independent worlds on one datapath (a port's address may be reused). */
void router_port_rl_reset(struct dp *dp)
{
	memset(dp->rport.src, 0, sizeof(dp->rport.src));
	dp->rport.all.tokens = ROUTER_PORT_RL_BURST;
}

/* Seconds on the monotonic clock, for the rate limits. */
static double router_port_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static bool router_port_rl_allow(const struct router_port *rp, const struct pkt *p,
				 uint32_t saddr)
{
	struct router_port_state *st = &rp->dp->rport;
	uint64_t who = router_port_source(p, saddr);
	struct router_port_bucket *b;
	double now = router_port_now();

	if (!st->basis)
		st->basis = hash_basis() ^ 0x69636d70ull;   /* "icmp" */
	b = &st->src[hash_bytes(&who, sizeof(who), st->basis) & (ROUTER_PORT_SRC_BUCKETS - 1)];
	if (b->who != who) {
		/* a new holder starts full: only a hash collision shares */
		b->who = who;
		b->tokens = ROUTER_PORT_SRC_BURST;
		b->last = now;
	}
	if (!router_port_bucket_take(b, now, ROUTER_PORT_SRC_RATE, ROUTER_PORT_SRC_BURST))
		return false;
	return router_port_bucket_take(&st->all, now, ROUTER_PORT_RL_RATE,
				       ROUTER_PORT_RL_BURST);
}

/* Set up a reply frame of LEN bytes in RP's datapath's scratch buffer. */
static void router_port_reply_init(const struct router_port *rp, struct pkt *r,
				   uint32_t len)
{
	uint8_t *buf = rp->dp->rport.buf;

	memset(r, 0, sizeof(*r));
	r->buf = buf;
	r->data = buf + PKT_HEADROOM;
	r->len = len;
	r->flags = PKT_F_LOCAL;
	r->l4_ofs = PKT_OFS_NONE;
}

/* Queue reply R back out of the port REQ came in on. */
static void router_port_reply_send(const struct router_port *rp, struct pkt *req,
				   struct pkt *r, const char *what)
{
	if (req->flags & PKT_F_DRYRUN) {
		trace_event(req, rp->stage, TRACE_LOCAL, req->in_port, "%s from the %s",
			    what, rp->stage);
		return;
	}
	if (req->in_port)
		egress_output(req->in_port, r);
}

/* Ethernet and IPv4 headers of an ICMP reply R from RP to DMAC/DST, with
 * ICMPLEN bytes of ICMP after them. */
static void router_port_reply_l3(struct pkt *r, const struct router_port *rp,
				 const uint8_t *dmac, uint32_t dst, uint16_t icmplen)
{
	struct pkt_ip4 h = { .src = rp->ip, .dst = dst, .proto = IPPROTO_ICMP };
	uint8_t *l3 = pkt_build_eth(r->data, dmac, rp->mac, ETHERTYPE_IP);

	r->eth_type = ETHERTYPE_IP;
	r->ip_proto = IPPROTO_ICMP;
	r->l3_ofs = (uint16_t)(l3 - r->data);
	r->l4_ofs = (uint16_t)(pkt_build_ip4(l3, &h, icmplen) - r->data);
}

/* ---- ARP ---- */

/**
 * router_port_arp_build() - An ARP frame from RP in the scratch buffer
 * @rp:		router port (sender hardware and protocol address)
 * @r:		set up to describe the frame (42 bytes)
 * @op:		ARPOP_REQUEST or ARPOP_REPLY
 * @dmac:	Ethernet destination
 * @tha:	target hardware address
 * @tpa:	target protocol address, network order
 *
 * The buffer is zeroed up to the 60-byte minimum frame, so a caller that
 * must send a padded frame (an AF_PACKET uplink) may set r->len to 60.
 */
void router_port_arp_build(const struct router_port *rp, struct pkt *r, uint16_t op,
			   const uint8_t dmac[6], const uint8_t tha[6], uint32_t tpa)
{
	struct ether_header *eth;

	router_port_reply_init(rp, r, sizeof(*eth) + sizeof(struct ether_arp));
	memset(r->data, 0, ETH_ZLEN);
	eth = (struct ether_header *)r->data;
	memcpy(eth->ether_dhost, dmac, 6);
	r->l3_ofs = sizeof(*eth);
	r->eth_type = ETHERTYPE_ARP;
	arp_fill(eth, (void *)(r->data + sizeof(*eth)), op, rp->mac, rp->ip,
		 tha, tpa);
}

/**
 * router_port_arp_input() - Check an ARP frame, answer a request for RP
 * @rp:		router port
 * @p:		ARP frame (l3_ofs set by parse.c, length re-checked here)
 *
 * Return: the checked ARP header, for a caller that learns neighbours
 * from it, or NULL if it was malformed (dropped and counted)
 */
const struct ether_arp *router_port_arp_input(const struct router_port *rp,
					      struct pkt *p)
{
	const struct ether_arp *a = pkt_header(p, p->l3_ofs, sizeof(*a));
	uint32_t tpa, spa;
	struct pkt r;

	if (!a || ntohs(a->arp_hrd) != ARPHRD_ETHER ||
	    ntohs(a->arp_pro) != ETHERTYPE_IP || a->arp_hln != 6 || a->arp_pln != 4) {
		router_port_drop(rp, p, DROP_BAD_L3);
		return NULL;
	}
	memcpy(&tpa, a->arp_tpa, 4);
	memcpy(&spa, a->arp_spa, 4);
	if (ntohs(a->arp_op) != ARPOP_REQUEST || tpa != rp->ip)
		return a;	/* replies and others' requests: nothing to answer */
	router_port_arp_build(rp, &r, ARPOP_REPLY, a->arp_sha, a->arp_sha, spa);
	router_port_reply_send(rp, p, &r, "ARP reply");
	return a;
}

/* ---- ICMP echo ---- */

/**
 * router_port_echo() - Answer an ICMP echo request to RP's address
 * @rp:		router port
 * @p:		IPv4 packet to rp->ip whose header (length checked) is at l3_ofs
 * @ip:		its IPv4 header
 */
void router_port_echo(const struct router_port *rp, struct pkt *p,
		      const struct iphdr *ip)
{
	uint32_t ihl = ip->ihl * 4u, tot = ntohs(ip->tot_len);
	uint32_t ilen = tot > ihl ? tot - ihl : 0;
	const struct ether_header *eth = (const struct ether_header *)p->data;
	const struct icmphdr *req = pkt_header(p, p->l3_ofs + ihl, ilen);
	uint32_t hdr = sizeof(struct ether_header) + sizeof(struct iphdr);
	struct icmphdr *ic;
	struct pkt r;

	if (!req || ilen < sizeof(*req) || csum(req, ilen) != 0) {
		router_port_drop(rp, p, DROP_BAD_L4);
		return;
	}
	if (req->type != ICMP_ECHO) {
		router_port_drop(rp, p, DROP_NOT_FOR_US);
		return;
	}
	if (hdr + ilen > PKT_BUF_SIZE) {
		router_port_drop(rp, p, DROP_UNSUPPORTED);
		return;
	}
	router_port_reply_init(rp, &r, hdr + ilen);
	router_port_reply_l3(&r, rp, eth->ether_shost, ip->saddr, (uint16_t)ilen);
	ic = pkt_l4(&r);
	memcpy(ic, req, ilen);
	ic->type = ICMP_ECHOREPLY;
	/* Only the type changed: RFC 1624 instead of summing the payload. */
	csum_update16(&ic->checksum, htons(ICMP_ECHO << 8), htons(ICMP_ECHOREPLY << 8));
	router_port_reply_send(rp, p, &r, "ICMP echo reply");
}

/* ---- ICMP errors ---- */

/* Is the ICMP message at P's L4 an error, about which no error may be
 * sent (RFC 1122 3.2.2)?  Unknown types count as errors. */
static bool router_port_icmp_is_error(const struct pkt *p)
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
static bool router_port_icmp_error_ok(const struct pkt *p, const struct iphdr *ip)
{
	const struct ether_header *eth = (const struct ether_header *)p->data;

	if (eth->ether_dhost[0] & 1)
		return false;
	if (router_port_ip_special(ip->saddr) || router_port_ip_special(ip->daddr))
		return false;
	if (ntohs(ip->frag_off) & IP_OFFMASK)
		return false;
	if (ip->protocol == IPPROTO_ICMP && router_port_icmp_is_error(p))
		return false;
	return true;
}

/**
 * router_port_icmp_error() - Send an ICMP error about P back to its sender
 * @rp:		router port the error comes from
 * @p:		offending IPv4 packet
 * @type:	ICMP type (ICMP_DEST_UNREACH, ICMP_TIME_EXCEEDED...)
 * @code:	ICMP code; ICMP_FRAG_NEEDED carries rp->mtu
 *
 * Return: true if an error was sent (or, under trace, would have been)
 */
bool router_port_icmp_error(const struct router_port *rp, struct pkt *p,
			    uint8_t type, uint8_t code)
{
	struct pkt r;

	if (!router_port_icmp_error_build(rp, p, type, code, &r))
		return false;
	router_port_reply_send(rp, p, &r, "ICMP error");
	return true;
}

/**
 * router_port_icmp_error_build() - Build, not send, an ICMP error about P
 * @rp:		router port the error comes from (source IP and MAC)
 * @p:		offending IPv4 packet
 * @type:	ICMP type
 * @code:	ICMP code; ICMP_FRAG_NEEDED carries rp->mtu
 * @r:		set to the error, in the scratch buffer (PKT_F_LOCAL, L3 and
 *		L4 offsets set), for a caller that sends it its own way (the
 *		gateway, through NAT to the outside)
 *
 * Return: false if no error may be sent (RFC 1122, rate limits)
 */
bool router_port_icmp_error_build(const struct router_port *rp, struct pkt *p,
				  uint8_t type, uint8_t code, struct pkt *r)
{
	const struct ether_header *eth = pkt_header(p, 0, sizeof(*eth));
	const struct iphdr *ip = pkt_header(p, p->l3_ofs, sizeof(*ip));
	const uint32_t room = ROUTER_PORT_ICMP_MAX - sizeof(struct iphdr) -
			      sizeof(struct icmphdr);
	uint32_t quote, hdr = ETH_HLEN + sizeof(struct iphdr) + sizeof(struct icmphdr);
	uint8_t *body;

	if (!eth || !ip || p->eth_type != ETHERTYPE_IP || !router_port_icmp_error_ok(p, ip))
		return false;
	if (!(p->flags & PKT_F_DRYRUN) && !router_port_rl_allow(rp, p, ip->saddr))
		return false;
	quote = p->len - p->l3_ofs;
	if (ntohs(ip->tot_len) < quote)
		quote = ntohs(ip->tot_len);
	if (quote > room)
		quote = room;
	router_port_reply_init(rp, r, hdr + quote);
	router_port_reply_l3(r, rp, eth->ether_shost, ip->saddr,
			     (uint16_t)(sizeof(struct icmphdr) + quote));
	body = pkt_build_icmp(r->data + r->l4_ofs, type, code, 0,
			      type == ICMP_DEST_UNREACH && code == ICMP_FRAG_NEEDED ?
			      rp->mtu : 0);
	memcpy(body, ip, quote);
	pkt_build_icmp_csum(r->data + r->l4_ofs, (uint32_t)sizeof(struct icmphdr) + quote);
	trace_note(p, rp->stage, "ICMP error type %u code %u to sender", type, code);
	return true;
}

/* ---- TTL ---- */

/* TTL and protocol share one 16-bit word of the header: RFC 1624 over it. */
static void router_port_ttl_add(struct iphdr *ip, int delta)
{
	uint16_t old, new_;
	uint8_t *w = (uint8_t *)ip + 8;

	memcpy(&old, w, 2);
	ip->ttl = (uint8_t)(ip->ttl + delta);
	memcpy(&new_, w, 2);
	csum_update16(&ip->check, old, new_);
}

/**
 * router_port_ttl_dec() - Decrement a forwarded packet's TTL (RFC 1812 5.3.1)
 * @ip:		its IPv4 header, writable
 *
 * Return: false, header untouched, if the TTL has run out (1 or 0)
 */
bool router_port_ttl_dec(struct iphdr *ip)
{
	if (ip->ttl <= 1)
		return false;
	router_port_ttl_add(ip, -1);
	return true;
}

/* Give back the hop router_port_ttl_dec() took, to quote a packet in an
 * ICMP error as it arrived. */
void router_port_ttl_undo(struct iphdr *ip)
{
	router_port_ttl_add(ip, 1);
}

/* ---- IPv6: neighbour discovery and echo ---- */

/* ff02::1, all-nodes (RFC 4291 2.7.1), and its MAC (RFC 2464 7) */
static const uint8_t allnodes_mac[6] = { 0x33, 0x33, 0, 0, 0, 1 };
static const uint8_t allnodes[16] = { 0xff, 0x02, [15] = 1 };

static const uint8_t router_port_any6[16];

/* The link-local address Linux derives from MAC (fe80::/64 and the
 * modified EUI-64 interface identifier, RFC 4291 appendix A). */
void router_port_ll6(const uint8_t mac[6], uint8_t ll[16])
{
	memset(ll, 0, 16);
	ll[0] = 0xfe;
	ll[1] = 0x80;
	ll[8] = mac[0] ^ 0x02;
	ll[9] = mac[1];
	ll[10] = mac[2];
	ll[11] = 0xff;
	ll[12] = 0xfe;
	memcpy(ll + 13, mac + 3, 3);
}

/* Is A (16 bytes) one of RP's IPv6 addresses? */
static bool router_port_own6(const struct router_port *rp, const uint8_t *a)
{
	if (!memcmp(rp->ip6, router_port_any6, 16))
		return false;
	return !memcmp(a, rp->ip6, 16) || !memcmp(a, rp->ll6, 16);
}

/* ff02::1:ffXX:XXXX, a solicited-node group (RFC 4291 2.7.1)? */
static bool router_port_solicited_node(const uint8_t *a)
{
	static const uint8_t pfx[13] = { 0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff };

	return !memcmp(a, pfx, sizeof(pfx));
}

/* Does the ICMPv6 message at M (LEN bytes) sum to zero with IP6's
 * pseudo-header? */
static bool router_port_icmp6_csum_ok(const struct ip6_hdr *ip6, const uint8_t *m,
				      uint32_t len)
{
	uint32_t sum = csum_pseudo6((const uint8_t *)&ip6->ip6_src,
				    (const uint8_t *)&ip6->ip6_dst, IPPROTO_ICMPV6, len);

	return csum_fold(csum_partial(m, len, sum)) == 0;
}

/* Walk the options of an NS or RS (LEN bytes at M, the options from O):
 * each of non-zero length and inside; *sll set to the source link-layer
 * option's MAC, if any.
 * Return: false if malformed (RFC 4861 7.1.1, 6.1.1) */
static bool router_port_nd_opts(const uint8_t *m, uint32_t len, uint32_t o,
				const uint8_t **sll)
{

	*sll = NULL;
	while (o + 2 <= len) {
		uint32_t olen = m[o + 1] * 8u;

		if (!olen || o + olen > len)
			return false;
		if (m[o] == ND_OPT_SOURCE_LINKADDR && olen >= 8)
			*sll = m + o + 2;
		o += olen;
	}
	return o == len;
}

/* Ethernet and IPv6 headers of a reply R from RP, FROM (one of its
 * addresses) to DMAC/DST, with ICMPLEN bytes of ICMPv6 after them. */
static void router_port_reply_l3v6(struct pkt *r, const struct router_port *rp,
				   const uint8_t *dmac, struct pkt_ip6 *h, uint16_t icmplen)
{
	uint8_t *l3 = pkt_build_eth(r->data, dmac, rp->mac, ETHERTYPE_IPV6);

	h->nh = IPPROTO_ICMPV6;
	r->eth_type = ETHERTYPE_IPV6;
	r->ip_proto = IPPROTO_ICMPV6;
	r->l3_ofs = (uint16_t)(l3 - r->data);
	r->l4_ofs = (uint16_t)(pkt_build_ip6(l3, h, icmplen) - r->data);
}

/* The advertisement for TARGET: solicited to the asker, or (DAD: the
 * asker is "::") unsolicited to all-nodes; router and override set. */
static void router_port_na_send(const struct router_port *rp, struct pkt *p,
				const struct ip6_hdr *ip6, const uint8_t *target,
				const uint8_t *sll)
{
	const struct ether_header *eth = (const struct ether_header *)p->data;
	bool dad = !memcmp(&ip6->ip6_src, router_port_any6, 16);
	struct pkt_ip6 h = { .hlim = 255 };
	uint32_t len = sizeof(struct nd_neighbor_advert) + 8;
	struct nd_neighbor_advert *na;
	uint8_t *opt;
	struct pkt r;

	memcpy(h.src, target, 16);
	memcpy(h.dst, dad ? allnodes : (const uint8_t *)&ip6->ip6_src, 16);
	router_port_reply_init(rp, &r, ETH_HLEN + 40 + len);
	router_port_reply_l3v6(&r, rp, dad ? allnodes_mac : sll ? sll : eth->ether_shost,
			       &h, (uint16_t)len);
	na = pkt_l4(&r);
	memset(na, 0, len);
	na->nd_na_type = ND_NEIGHBOR_ADVERT;
	na->nd_na_flags_reserved = ND_NA_FLAG_ROUTER | ND_NA_FLAG_OVERRIDE |
				   (dad ? 0 : ND_NA_FLAG_SOLICITED);
	memcpy(&na->nd_na_target, target, 16);
	opt = (uint8_t *)(na + 1);
	opt[0] = ND_OPT_TARGET_LINKADDR;
	opt[1] = 1;
	memcpy(opt + 2, rp->mac, 6);
	pkt_build_icmp6_csum((uint8_t *)na, &h, len);
	router_port_reply_send(rp, p, &r, dad ? "neighbour advertisement (DAD) to all-nodes" :
			       "neighbour advertisement");
}

/**
 * router_port_ns() - A neighbour solicitation: answer it if it is for RP
 * @rp:		router port
 * @p:		the frame
 * @ip6:	its IPv6 header (payload length checked)
 * @m:		the ICMPv6 message
 * @len:	its length
 *
 * Return: true if it was RP's or malformed (answered, or dropped and
 * counted); false if it asks about someone else
 */
static bool router_port_ns(const struct router_port *rp, struct pkt *p,
			   const struct ip6_hdr *ip6, const uint8_t *m, uint32_t len)
{
	const struct nd_neighbor_solicit *ns = (const void *)m;
	bool dad = !memcmp(&ip6->ip6_src, router_port_any6, 16);
	const uint8_t *sll;

	if (len < sizeof(*ns) || ip6->ip6_hlim != 255 || ns->nd_ns_code != 0 ||
	    !router_port_icmp6_csum_ok(ip6, m, len) || ns->nd_ns_target.s6_addr[0] == 0xff ||
	    !router_port_nd_opts(m, len, sizeof(*ns), &sll) ||
	    (dad && (sll || !router_port_solicited_node((const uint8_t *)&ip6->ip6_dst)))) {
		router_port_drop(rp, p, DROP_BAD_L4);
		return true;
	}
	if (!router_port_own6(rp, ns->nd_ns_target.s6_addr))
		return false;
	router_port_na_send(rp, p, ip6, ns->nd_ns_target.s6_addr, sll);
	return true;
}

/* ---- IPv6: router advertisements ---- */

/* ff02::2, all-routers (RFC 4291 2.7.1)? */
static bool router_port_all_routers(const uint8_t *a)
{
	static const uint8_t allrouters[16] = { 0xff, 0x02, [15] = 2 };

	return !memcmp(a, allrouters, 16);
}

/**
 * router_port_ra_build() - A router advertisement from RP in the scratch buffer
 * @rp:		router port (its link-local address, MAC, MTU and prefix)
 * @r:		set up to describe the frame
 * @dmac:	Ethernet destination
 * @dst:	IPv6 destination: the solicitor, or all-nodes
 *
 * RFC 4861 4.2 and 4.6: from the link-local address with hop limit 255;
 * M and O off; the source link-layer option (hosts need not ask for the
 * MAC), the MTU option (the network's MTU, RFC 4861 6.2.1 AdvLinkMTU) and
 * the prefix with L on and A off.
 */
static void router_port_ra_build(const struct router_port *rp, struct pkt *r,
				 const uint8_t dmac[6], const uint8_t dst[16])
{
	const uint32_t len = sizeof(struct nd_router_advert) + 8 + 8 +
			     sizeof(struct nd_opt_prefix_info);
	struct pkt_ip6 h = { .hlim = 255 };
	struct nd_opt_prefix_info *pi;
	struct nd_router_advert *ra;
	struct nd_opt_mtu *mo;
	uint8_t *sll;
	unsigned int i;

	memcpy(h.src, rp->ll6, 16);
	memcpy(h.dst, dst, 16);
	router_port_reply_init(rp, r, ETH_HLEN + sizeof(struct ip6_hdr) + len);
	router_port_reply_l3v6(r, rp, dmac, &h, (uint16_t)len);
	ra = pkt_l4(r);
	memset(ra, 0, len);
	ra->nd_ra_type = ND_ROUTER_ADVERT;
	ra->nd_ra_curhoplimit = ROUTER_PORT_RA_HLIM;
	ra->nd_ra_flags_reserved = 0;      /* M, O off: no DHCPv6 here */
	ra->nd_ra_router_lifetime = htons(ROUTER_PORT_RA_LIFETIME);
	/* reachable time and retransmit timer 0: unspecified, the host's own */
	sll = (uint8_t *)(ra + 1);
	sll[0] = ND_OPT_SOURCE_LINKADDR;
	sll[1] = 1;
	memcpy(sll + 2, rp->mac, 6);
	mo = (void *)(sll + 8);      /* 4-byte aligned: after PKT_HEADROOM, 14 + 40 + 24 */
	mo->nd_opt_mtu_type = ND_OPT_MTU;
	mo->nd_opt_mtu_len = 1;
	mo->nd_opt_mtu_mtu = htonl(rp->mtu);
	pi = (struct nd_opt_prefix_info *)(mo + 1);
	pi->nd_opt_pi_type = ND_OPT_PREFIX_INFORMATION;
	pi->nd_opt_pi_len = 4;
	pi->nd_opt_pi_prefix_len = rp->prefix6_len;
	pi->nd_opt_pi_flags_reserved = ND_OPT_PI_FLAG_ONLINK;   /* A off: no SLAAC */
	pi->nd_opt_pi_valid_time = htonl(ROUTER_PORT_RA_VALID);
	pi->nd_opt_pi_preferred_time = htonl(ROUTER_PORT_RA_PREFERRED);
	/* bits past the prefix length are zero (RFC 4861 4.6.2) */
	for (i = 0; i < 16 && i * 8 < rp->prefix6_len; i++)
		pi->nd_opt_pi_prefix.s6_addr[i] = rp->prefix6[i] &
			(uint8_t)(rp->prefix6_len >= i * 8 + 8 ? 0xff :
				  0xff << (8 - rp->prefix6_len % 8));
	pkt_build_icmp6_csum((uint8_t *)ra, &h, len);
}

/* May RP answer a solicitation now, to all-nodes (MCAST) or unicast?
 * Not counted against anything under trace. */
static bool router_port_ra_allow(const struct router_port *rp, const struct pkt *p,
				 bool mcast)
{
	struct router_port_ra *ra = rp->ra;
	double now;

	if (p->flags & PKT_F_DRYRUN)
		return true;
	now = router_port_now();
	if (!mcast)
		return router_port_bucket_take(&ra->ucast, now, 1.0 / ROUTER_PORT_RA_MIN_DELAY,
					       ROUTER_PORT_RA_UCAST_BURST);
	if (ra->mcast_last > 0 && now - ra->mcast_last < ROUTER_PORT_RA_MIN_DELAY)
		return false;
	ra->mcast_last = now;
	return true;
}

/**
 * router_port_rs() - A router solicitation to RP (it advertises): answer it
 * @rp:		router port with rp->ra set
 * @p:		the frame
 * @ip6:	its IPv6 header (payload length checked)
 * @m:		the ICMPv6 message
 * @len:	its length
 *
 * Checked as RFC 4861 6.1.1 says (else bad_l4), then, within the rate
 * limits, answered out of the port it came in on: unicast to the
 * solicitor (at the MAC its source link-layer option gives, else the
 * frame's source), or to all-nodes if it asked from "::".
 */
static void router_port_rs(const struct router_port *rp, struct pkt *p,
			   const struct ip6_hdr *ip6, const uint8_t *m, uint32_t len)
{
	const struct ether_header *eth = (const struct ether_header *)p->data;
	bool mcast = !memcmp(&ip6->ip6_src, router_port_any6, 16);
	const uint8_t *sll;
	struct pkt r;

	if (len < sizeof(struct nd_router_solicit) || ip6->ip6_hlim != 255 || m[1] != 0 ||
	    ip6->ip6_src.s6_addr[0] == 0xff || !router_port_icmp6_csum_ok(ip6, m, len) ||
	    !router_port_nd_opts(m, len, sizeof(struct nd_router_solicit), &sll) ||
	    (mcast && sll)) {
		router_port_drop(rp, p, DROP_BAD_L4);
		return;
	}
	if (!router_port_ra_allow(rp, p, mcast)) {
		rp->ra->rate_limited++;
		trace_note(p, rp->stage, "router solicitation: not answered, %s",
			   mcast ? "an advertisement to all-nodes went out less than 3 s ago" :
			   "the network's unicast advertisements are used up (one per 3 s)");
		return;
	}
	router_port_ra_build(rp, &r, mcast ? allnodes_mac : sll ? sll : eth->ether_shost,
			     mcast ? allnodes : (const uint8_t *)&ip6->ip6_src);
	if (!(p->flags & PKT_F_DRYRUN))
		rp->ra->sent++;
	router_port_reply_send(rp, p, &r, mcast ? "router advertisement to all-nodes" :
			       "router advertisement");
}

/**
 * router_port_ra_unsolicited() - An advertisement to all-nodes, not asked for
 * @rp:		router port with rp->ra set
 * @r:		set up to describe the frame (the datapath's scratch buffer)
 *
 * RFC 4861 6.2.4: the caller sends it to every port of the link at random
 * intervals, which renews the router lifetime of the hosts that took an
 * earlier one.  It counts as the last one to all-nodes for the 3 s limit.
 */
void router_port_ra_unsolicited(const struct router_port *rp, struct pkt *r)
{
	router_port_ra_build(rp, r, allnodes_mac, allnodes);
	rp->ra->mcast_last = router_port_now();
	rp->ra->sent++;
}

/* ICMPv6 echo request M (LEN bytes, for one of RP's addresses): reply. */
static void router_port_echo6(const struct router_port *rp, struct pkt *p,
			      const struct ip6_hdr *ip6, const uint8_t *m, uint32_t len)
{
	const struct ether_header *eth = (const struct ether_header *)p->data;
	uint32_t hdr = ETH_HLEN + sizeof(*ip6);
	struct pkt_ip6 h = { .hlim = 0 };
	struct icmp6_hdr *ic;
	struct pkt r;

	if (len < sizeof(*ic) || !router_port_icmp6_csum_ok(ip6, m, len) ||
	    !memcmp(&ip6->ip6_src, router_port_any6, 16) || ip6->ip6_src.s6_addr[0] == 0xff) {
		router_port_drop(rp, p, DROP_BAD_L4);
		return;
	}
	if (m[0] != ICMP6_ECHO_REQUEST || m[1] != 0) {
		router_port_drop(rp, p, DROP_NOT_FOR_US);
		return;
	}
	if (hdr + len > PKT_BUF_SIZE) {
		router_port_drop(rp, p, DROP_UNSUPPORTED);
		return;
	}
	memcpy(h.src, &ip6->ip6_dst, 16);
	memcpy(h.dst, &ip6->ip6_src, 16);
	router_port_reply_init(rp, &r, hdr + len);
	router_port_reply_l3v6(&r, rp, eth->ether_shost, &h, (uint16_t)len);
	ic = pkt_l4(&r);
	memcpy(ic, m, len);
	ic->icmp6_type = ICMP6_ECHO_REPLY;
	/* The pseudo-header holds the same two addresses, swapped: only the
	 * type changed (RFC 1624). */
	csum_update16(&ic->icmp6_cksum, htons(ICMP6_ECHO_REQUEST << 8),
		      htons(ICMP6_ECHO_REPLY << 8));
	router_port_reply_send(rp, p, &r, "ICMPv6 echo reply");
}

/* An ICMPv6 message to or about RP.  Return: as router_port_v6_input. */
static bool router_port_icmp6(const struct router_port *rp, struct pkt *p,
			      const struct ip6_hdr *ip6, bool own)
{
	uint32_t len = ntohs(ip6->ip6_plen);
	const uint8_t *m = pkt_header(p, p->l3_ofs + sizeof(*ip6), len);

	if (!m || len < 4) {
		if (!own)
			return false;
		router_port_drop(rp, p, DROP_BAD_L4);
		return true;
	}
	if (m[0] == ND_NEIGHBOR_SOLICIT)
		return router_port_ns(rp, p, ip6, m, len);
	if (m[0] == ND_ROUTER_SOLICIT && rp->ra &&
	    (own || router_port_all_routers((const uint8_t *)&ip6->ip6_dst))) {
		router_port_rs(rp, p, ip6, m, len);
		return true;
	}
	if (!own)
		return false;
	router_port_echo6(rp, p, ip6, m, len);
	return true;
}

/* RFC 4443 2.4(e): may an ICMPv6 error be sent about IP6 in P?  Not
 * about an error (types below 128, or a header we cannot read), nor to a
 * frame sent to a multicast MAC or group, nor to "::" or a group. */
static bool router_port_icmp6_error_ok(const struct pkt *p, const struct ip6_hdr *ip6)
{
	const struct ether_header *eth = (const struct ether_header *)p->data;
	const uint8_t *m;

	if ((eth->ether_dhost[0] & 1) || ip6->ip6_dst.s6_addr[0] == 0xff ||
	    ip6->ip6_src.s6_addr[0] == 0xff || !memcmp(&ip6->ip6_src, router_port_any6, 16))
		return false;
	if (ip6->ip6_nxt != IPPROTO_ICMPV6)
		return true;
	m = pkt_header(p, p->l3_ofs + sizeof(*ip6), 1);
	return m && m[0] >= 128;
}

/**
 * router_port_icmp6_error_build() - An ICMPv6 error about P, not sent
 * @rp:		router port the error comes from (its IPv6 address, its MAC;
 *		its MTU for packet too big)
 * @p:		offending IPv6 packet (header checked by router_port_v6_input)
 * @type:	ICMP6_DST_UNREACH, ICMP6_PACKET_TOO_BIG, ICMP6_TIME_EXCEEDED...
 * @code:	ICMPv6 code
 * @r:		set to the error, in the scratch buffer (PKT_F_LOCAL)
 *
 * The quote is as much of the packet as keeps the error within the IPv6
 * minimum MTU, 1280 bytes (RFC 4443 2.4(c)); rate limited with the ICMP
 * errors, per source and in all.  A packet too big carries rp->mtu
 * (RFC 4443 3.2).  The caller sends it: back out of the port P came in
 * on (router_port_icmp6_error()), or through NAT to an outside sender.
 *
 * Return: false if no error may be sent about P
 */
bool router_port_icmp6_error_build(const struct router_port *rp, struct pkt *p,
				   uint8_t type, uint8_t code, struct pkt *r)
{
	const struct ip6_hdr *ip6 = pkt_header(p, p->l3_ofs, sizeof(*ip6));
	const struct ether_header *eth = (const struct ether_header *)p->data;
	const uint32_t room = 1280 - sizeof(*ip6) - sizeof(struct icmp6_hdr);
	struct pkt_ip6 h = { .hlim = 0 };
	uint32_t quote, src, mtu = htonl(rp->mtu);
	uint8_t *m;

	if (!ip6 || !memcmp(rp->ip6, router_port_any6, 16) ||
	    !router_port_icmp6_error_ok(p, ip6))
		return false;
	memcpy(&src, ip6->ip6_src.s6_addr + 12, 4);
	if (!(p->flags & PKT_F_DRYRUN) && !router_port_rl_allow(rp, p, src))
		return false;
	quote = p->len - p->l3_ofs;
	if (quote > sizeof(*ip6) + ntohs(ip6->ip6_plen))
		quote = sizeof(*ip6) + ntohs(ip6->ip6_plen);
	if (quote > room)
		quote = room;
	memcpy(h.src, rp->ip6, 16);
	memcpy(h.dst, &ip6->ip6_src, 16);
	router_port_reply_init(rp, r, ETH_HLEN + sizeof(*ip6) + sizeof(struct icmp6_hdr) + quote);
	router_port_reply_l3v6(r, rp, eth->ether_shost, &h,
			       (uint16_t)(sizeof(struct icmp6_hdr) + quote));
	m = pkt_l4(r);
	memset(m, 0, sizeof(struct icmp6_hdr));
	m[0] = type;
	m[1] = code;
	if (type == ICMP6_PACKET_TOO_BIG)
		memcpy(m + 4, &mtu, 4);
	memcpy(m + sizeof(struct icmp6_hdr), ip6, quote);
	pkt_build_icmp6_csum(m, &h, (uint32_t)sizeof(struct icmp6_hdr) + quote);
	trace_note(p, rp->stage, "ICMPv6 error type %u code %u to sender", type, code);
	return true;
}

/**
 * router_port_icmp6_error() - Send an ICMPv6 error about P back to its sender
 * @rp:		router port the error comes from
 * @p:		offending IPv6 packet
 * @type:	ICMPv6 type
 * @code:	ICMPv6 code
 *
 * router_port_icmp6_error_build(), then out of the port P came in on.
 *
 * Return: true if an error was sent (or, under trace, would have been)
 */
bool router_port_icmp6_error(const struct router_port *rp, struct pkt *p,
			     uint8_t type, uint8_t code)
{
	struct pkt r;

	if (!router_port_icmp6_error_build(rp, p, type, code, &r))
		return false;
	router_port_reply_send(rp, p, &r, "ICMPv6 error");
	return true;
}

/**
 * router_port_v6_input() - An IPv6 frame that came to RP
 * @rp:		router port with an IPv6 address
 * @p:		IPv6 frame (l3_ofs set by parse.c), unicast to rp->mac or
 *		multicast to one of its solicited-node groups
 *
 * Return: true if it was RP's: answered, or dropped and counted (also a
 * malformed one); false if it is not for RP (the caller routes it, or
 * leaves a flooded multicast alone)
 */
bool router_port_v6_input(const struct router_port *rp, struct pkt *p)
{
	const struct ip6_hdr *ip6 = pkt_header(p, p->l3_ofs, sizeof(*ip6));
	bool own;

	if (!ip6 || (ip6->ip6_vfc >> 4) != 6 ||
	    ntohs(ip6->ip6_plen) > p->len - p->l3_ofs - sizeof(*ip6)) {
		router_port_drop(rp, p, DROP_BAD_L3);
		return true;
	}
	own = router_port_own6(rp, ip6->ip6_dst.s6_addr);
	if (ip6->ip6_nxt == IPPROTO_ICMPV6)
		return router_port_icmp6(rp, p, ip6, own);
	if (!own)
		return false;
	router_port_drop(rp, p, ip6->ip6_nxt == IPPROTO_HOPOPTS || ip6->ip6_nxt == IPPROTO_DSTOPTS ||
			 ip6->ip6_nxt == IPPROTO_ROUTING || ip6->ip6_nxt == IPPROTO_FRAGMENT ?
			 DROP_UNSUPPORTED : DROP_NOT_FOR_US);
	return true;
}
