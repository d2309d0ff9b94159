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
 *  - TTL (RFC 1812 5.3.1): a forwarded packet's TTL drops by one with an
 *    incremental checksum update; at 1 or 0 it has expired and is not
 *    changed (the caller answers time exceeded, or drops it).
 *
 * Replies are built in one static scratch buffer and queued on the port
 * the request came from (egress_output), flagged PKT_F_LOCAL;
 * port_tx_queue() copies the frame, so the buffer is free again at once.
 * Nothing is allocated per packet, and none of this is on the forwarding
 * fast path except router_port_ttl_dec().
 */
#include <arpa/inet.h>
#include <net/ethernet.h>
#include <netinet/if_ether.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <string.h>
#include <time.h>
#include "arp.h"
#include "csum.h"
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
#define ROUTER_PORT_SRC_BUCKETS 1024

/* One source's bucket: who holds it, its tokens, its last refill. */
struct router_port_bucket {
	uint64_t who;
	double tokens, last;
};

/* Replies start after PKT_HEADROOM, which puts their IP header on a
 * 4-byte boundary (pkt.h). */
static uint8_t router_port_buf[PKT_HEADROOM + PKT_BUF_SIZE]
	__attribute__((aligned(8)));

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
static uint64_t router_port_source(const struct pkt *p, const struct iphdr *ip)
{
	if (p->in_port && p->in_port->role == PORT_ROLE_ENDPOINT)
		return (uint64_t)(uintptr_t)p->in_port;
	return 0x100000000ull | ip->saddr;
}

/**
 * router_port_rl_allow() - May an error about P be sent now?
 * @p:		the offending packet
 * @ip:		its IPv4 header
 *
 * Its source's bucket first, then the one all sources share.
 * Return: true if both had a token
 */
static struct router_port_bucket router_port_all = { 0, ROUTER_PORT_RL_BURST, 0 };
static struct router_port_bucket router_port_src[ROUTER_PORT_SRC_BUCKETS];

/* Fill every bucket again: for unit tests and harnesses that run many
 * independent worlds in one process (a port's address may be reused). */
void router_port_rl_reset(void)
{
	memset(router_port_src, 0, sizeof(router_port_src));
	router_port_all.tokens = ROUTER_PORT_RL_BURST;
}

static bool router_port_rl_allow(const struct pkt *p, const struct iphdr *ip)
{
	struct router_port_bucket *all = &router_port_all, *src = router_port_src;
	static uint64_t basis;
	uint64_t who = router_port_source(p, ip);
	struct router_port_bucket *b;
	struct timespec ts;
	double now;

	if (!basis)
		basis = hash_basis() ^ 0x69636d70ull;   /* "icmp" */
	b = &src[hash_bytes(&who, sizeof(who), basis) & (ROUTER_PORT_SRC_BUCKETS - 1)];
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	now = (double)ts.tv_sec + ts.tv_nsec / 1e9;
	if (b->who != who) {
		/* a new holder starts full: only a hash collision shares */
		b->who = who;
		b->tokens = ROUTER_PORT_SRC_BURST;
		b->last = now;
	}
	if (!router_port_bucket_take(b, now, ROUTER_PORT_SRC_RATE, ROUTER_PORT_SRC_BURST))
		return false;
	return router_port_bucket_take(all, now, ROUTER_PORT_RL_RATE, ROUTER_PORT_RL_BURST);
}

/* Set up a reply frame of LEN bytes in the scratch buffer. */
static void router_port_reply_init(struct pkt *r, uint32_t len)
{
	memset(r, 0, sizeof(*r));
	r->buf = router_port_buf;
	r->data = router_port_buf + PKT_HEADROOM;
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

	router_port_reply_init(r, sizeof(*eth) + sizeof(struct ether_arp));
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
	router_port_reply_init(&r, hdr + ilen);
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
	if (!(p->flags & PKT_F_DRYRUN) && !router_port_rl_allow(p, ip))
		return false;
	quote = p->len - p->l3_ofs;
	if (ntohs(ip->tot_len) < quote)
		quote = ntohs(ip->tot_len);
	if (quote > room)
		quote = room;
	router_port_reply_init(r, hdr + quote);
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
