/* nat_icmp.c - ICMP errors about NAT'd connections (RFC 5508).
 *
 * DOC: Theory of Operation
 *
 * An ICMP error (destination unreachable, including fragmentation needed;
 * time exceeded; parameter problem) quotes the IP header and the first
 * 8 bytes of the packet that caused it.  That packet left the switch
 * translated, so the quote shows the translated tuple E.  Inverted, E is
 * the tuple a reply would carry in the zone where the error arrived: one
 * conntrack lookup finds the connection and its direction d.  Then, as
 * netfilter's nf_nat_icmp_reply_translation():
 *
 * - the quoted header becomes the original tuple, key[!d] (what the
 *   sender really sent), with the quoted IP and UDP/ICMP checksums fixed;
 * - the outer destination becomes the sender (key[!d].src); for an error
 *   from the outside, the outer source becomes key[!d].dst only when the
 *   error came from the peer itself (the quoted destination), so that a
 *   router's address on the path stays visible to traceroute (RFC 5508
 *   REQ-4);
 * - an error from a network zone is different (audit finding 17): no
 *   router stands between a container and the switch, so the only ones
 *   who may speak about a flow there are the endpoint the quoted packet
 *   went to (the outer source equals the quoted destination; port
 *   security vouches for it) and the switch's own gateway (PKT_F_LOCAL:
 *   fragmentation needed, gateway.c).  Anyone else is refused
 *   (icmp_foreign): one container must not inject errors into another's
 *   connection.  Its outer source always becomes key[!d].dst, so no
 *   private address (a container's, a gateway's) leaves the zone;
 * - the ICMP checksum is recomputed over the message (at most 576 bytes
 *   by RFC 1812, so a full sum is cheap and needs no bookkeeping);
 * - the error leaves in key[!d]'s zone.
 *
 * An error that quotes nothing we know, or is too short to quote a tuple,
 * is dropped and counted (REQ-9: errors must not open mappings).
 *
 * ICMPv6 errors (RFC 4443: destination unreachable, packet too big, time
 * exceeded, parameter problem) take the same steps in nat_icmp6_error():
 * the quote is an IPv6 header and at least 8 bytes of its upper-layer
 * header (a quote with extension headers is not followed: unsupported),
 * and the ICMPv6 checksum, which covers the pseudo-header, is recomputed
 * over the whole message once the addresses are in place.
 */
#include <arpa/inet.h>
#include <netinet/icmp6.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <netinet/ip_icmp.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <string.h>
#include "csum.h"
#include "nat.h"

/**
 * nat_icmp_quote_key() - The tuple the quoted packet carries
 * @in:		quoted IP header, checked to hold ihl*4 + 8 bytes
 * @zone:	zone of the error
 * @k:		filled
 *
 * Return: DROP_NONE or DROP_UNSUPPORTED
 */
static enum drop_reason nat_icmp_quote_key(const struct iphdr *in, uint32_t zone,
					   struct ct_key *k)
{
	const uint8_t *l4 = (const uint8_t *)in + in->ihl * 4;
	uint16_t sport, dport;

	if (in->protocol == IPPROTO_TCP || in->protocol == IPPROTO_UDP) {
		memcpy(&sport, l4, 2);
		memcpy(&dport, l4 + 2, 2);
	} else if (in->protocol == IPPROTO_ICMP) {
		const struct icmphdr *ih = (const void *)l4;

		if (ih->type != ICMP_ECHO && ih->type != ICMP_ECHOREPLY)
			return DROP_UNSUPPORTED;
		sport = dport = ih->un.echo.id;
	} else {
		return DROP_UNSUPPORTED;
	}
	nat_key_from_ip4(k, zone, in->protocol, in->saddr, in->daddr, sport, dport);
	return DROP_NONE;
}

/* nat_icmp_fix_quote() - Rewrite the quoted header to tuple T. */
static void nat_icmp_fix_quote(struct iphdr *in, const struct ct_key *t)
{
	uint8_t *l4 = (uint8_t *)in + in->ihl * 4;
	uint32_t nsrc = nat_key_ip4(&t->src), ndst = nat_key_ip4(&t->dst);

	if (in->protocol == IPPROTO_UDP) {
		struct udphdr *uh = (void *)l4;

		if (uh->check) {
			csum_update32(&uh->check, in->saddr, nsrc);
			csum_update32(&uh->check, in->daddr, ndst);
			csum_update16(&uh->check, uh->source, t->sport);
			csum_update16(&uh->check, uh->dest, t->dport);
			if (!uh->check)
				uh->check = 0xffff;
		}
	}
	if (in->protocol == IPPROTO_ICMP) {
		struct icmphdr *ih = (void *)l4;

		csum_update16(&ih->checksum, ih->un.echo.id, t->sport);
		ih->un.echo.id = t->sport;
	} else {
		/* TCP's checksum is beyond the 8 quoted bytes: ports only */
		memcpy(l4, &t->sport, 2);
		memcpy(l4 + 2, &t->dport, 2);
	}
	csum_update32(&in->check, in->saddr, nsrc);
	csum_update32(&in->check, in->daddr, ndst);
	in->saddr = nsrc;
	in->daddr = ndst;
}

/**
 * nat_icmp_error() - Translate an ICMP error about a tracked connection
 * @p:		the error (outer IPv4 + ICMP header parsed)
 * @zone:	zone it arrived in
 * @out_zone:	set to where it must leave
 *
 * Return: DROP_NONE, or the reason to drop it
 */
enum drop_reason nat_icmp_error(struct nat *nat, struct pkt *p, uint32_t zone, uint32_t *out_zone)
{
	struct iphdr *ip = pkt_l3(p), *in;
	struct icmphdr *ih = pkt_l4(p);
	uint32_t qofs = p->l4_ofs + sizeof(*ih), icmp_len, nsrc, ndst;
	struct ct_key q, inv, orig;
	struct ct_entry *e;
	enum ct_dir dir;

	in = pkt_header(p, qofs, sizeof(*in));
	if (!in || in->version != 4 || in->ihl < 5 ||
	    !pkt_header(p, qofs, in->ihl * 4u + 8))
		return DROP_BAD_L4;
	if (nat_icmp_quote_key(in, zone, &q) != DROP_NONE)
		return DROP_UNSUPPORTED;
	if (zone != CT_ZONE_OUTSIDE && !(p->flags & PKT_F_LOCAL) &&
	    ip->saddr != nat_key_ip4(&q.dst))
		return DROP_ICMP_FOREIGN;
	ct_key_invert(&q, &inv);
	e = ct_lookup(nat->ct, &inv, &dir);
	if (!e)
		return DROP_CT_INVALID;
	orig = e->n[!dir].key;
	nat_icmp_fix_quote(in, &orig);

	ndst = nat_key_ip4(&orig.src);
	if (zone != CT_ZONE_OUTSIDE)
		nsrc = nat_key_ip4(&orig.dst);
	else
		nsrc = ip->saddr == nat_key_ip4(&q.dst) ? nat_key_ip4(&orig.dst) : ip->saddr;
	csum_update32(&ip->check, ip->saddr, nsrc);
	csum_update32(&ip->check, ip->daddr, ndst);
	ip->saddr = nsrc;
	ip->daddr = ndst;

	icmp_len = p->len - p->l4_ofs;
	if (ntohs(ip->tot_len) >= ip->ihl * 4u &&
	    ntohs(ip->tot_len) - ip->ihl * 4u < icmp_len)
		icmp_len = ntohs(ip->tot_len) - ip->ihl * 4u;   /* minus L2 padding */
	ih->checksum = 0;
	ih->checksum = csum(ih, icmp_len);
	*out_zone = orig.zone;
	return DROP_NONE;
}

/* nat_icmp6_quote_key() - The tuple of the quoted IPv6 packet IN (40
 * bytes and 8 of its upper layer, checked by the caller). */
static enum drop_reason nat_icmp6_quote_key(const struct ip6_hdr *in, uint32_t zone,
					    struct ct_key *k)
{
	const uint8_t *l4 = (const uint8_t *)(in + 1);
	union vs_addr src, dst;
	uint16_t sport, dport;

	if (in->ip6_nxt == IPPROTO_TCP || in->ip6_nxt == IPPROTO_UDP) {
		memcpy(&sport, l4, 2);
		memcpy(&dport, l4 + 2, 2);
	} else if (in->ip6_nxt == IPPROTO_ICMPV6) {
		const struct icmp6_hdr *ih = (const void *)l4;

		if (ih->icmp6_type != ICMP6_ECHO_REQUEST && ih->icmp6_type != ICMP6_ECHO_REPLY)
			return DROP_UNSUPPORTED;
		sport = dport = ih->icmp6_id;
	} else {
		return DROP_UNSUPPORTED;
	}
	memcpy(&src, &in->ip6_src, 16);
	memcpy(&dst, &in->ip6_dst, 16);
	nat_key_make(k, zone, in->ip6_nxt, &src, &dst, sport, dport);
	return DROP_NONE;
}

/* nat_icmp6_csum6() - Fold the change of 16-byte address OLD to NEW_
 * into checksum CS. */
static void nat_icmp6_csum_addr(uint16_t *cs, const void *old, const union vs_addr *new_)
{
	uint32_t w;
	int i;

	for (i = 0; i < 4; i++) {
		memcpy(&w, (const uint8_t *)old + 4 * i, 4);
		csum_update32(cs, w, new_->w[i]);
	}
}

/* nat_icmp6_fix_quote() - Rewrite the quoted IPv6 packet to tuple T; its
 * UDP or ICMPv6 checksum (within the 8 bytes) covers its pseudo-header. */
static void nat_icmp6_fix_quote(struct ip6_hdr *in, const struct ct_key *t)
{
	uint8_t *l4 = (uint8_t *)(in + 1);
	uint16_t *cs = NULL, port;

	/* The quote follows a 40-byte header that is itself 4-byte aligned:
	 * the casts through void * (clang's -Wcast-align) are safe. */
	if (in->ip6_nxt == IPPROTO_UDP)
		cs = &((struct udphdr *)(void *)l4)->check;
	else if (in->ip6_nxt == IPPROTO_ICMPV6)
		cs = &((struct icmp6_hdr *)(void *)l4)->icmp6_cksum;
	if (cs) {
		nat_icmp6_csum_addr(cs, &in->ip6_src, &t->src);
		nat_icmp6_csum_addr(cs, &in->ip6_dst, &t->dst);
	}
	if (in->ip6_nxt == IPPROTO_ICMPV6) {
		struct icmp6_hdr *ih = (void *)l4;

		csum_update16(cs, ih->icmp6_id, t->sport);
		ih->icmp6_id = t->sport;
	} else {
		/* TCP's checksum is beyond the 8 quoted bytes: ports only */
		if (cs) {
			memcpy(&port, l4, 2);
			csum_update16(cs, port, t->sport);
			memcpy(&port, l4 + 2, 2);
			csum_update16(cs, port, t->dport);
		}
		memcpy(l4, &t->sport, 2);
		memcpy(l4 + 2, &t->dport, 2);
	}
	memcpy(&in->ip6_src, &t->src, 16);
	memcpy(&in->ip6_dst, &t->dst, 16);
}

/**
 * nat_icmp6_error() - Translate an ICMPv6 error about a tracked connection
 * @p:		the error (outer IPv6 and ICMPv6 header parsed)
 * @zone:	zone it arrived in
 * @out_zone:	set to where it must leave
 *
 * The same rules as nat_icmp_error(): found through the inverted quote,
 * from a network zone only from the quoted peer or the switch itself.
 *
 * Return: DROP_NONE, or the reason to drop it
 */
enum drop_reason nat_icmp6_error(struct nat *nat, struct pkt *p, uint32_t zone, uint32_t *out_zone)
{
	struct ip6_hdr *ip6 = pkt_l3(p), *in;
	struct icmp6_hdr *ih = pkt_l4(p);
	uint32_t qofs = p->l4_ofs + sizeof(*ih), len = p->len - p->l4_ofs;
	struct ct_key q, inv, orig;
	union vs_addr osrc;
	struct ct_entry *e;
	enum ct_dir dir;

	in = pkt_header(p, qofs, sizeof(*in) + 8);
	if (!in || (in->ip6_vfc >> 4) != 6)
		return DROP_BAD_L4;
	if (nat_icmp6_quote_key(in, zone, &q) != DROP_NONE)
		return DROP_UNSUPPORTED;
	memcpy(&osrc, &ip6->ip6_src, 16);
	if (zone != CT_ZONE_OUTSIDE && !(p->flags & PKT_F_LOCAL) && !vs_addr_eq(&osrc, &q.dst))
		return DROP_ICMP_FOREIGN;
	ct_key_invert(&q, &inv);
	e = ct_lookup(nat->ct, &inv, &dir);
	if (!e)
		return DROP_CT_INVALID;
	orig = e->n[!dir].key;
	nat_icmp6_fix_quote(in, &orig);
	/* the outer addresses, as for ICMP (a router on the path stays seen) */
	if (zone != CT_ZONE_OUTSIDE || vs_addr_eq(&osrc, &q.dst))
		memcpy(&ip6->ip6_src, &orig.dst, 16);
	memcpy(&ip6->ip6_dst, &orig.src, 16);
	ih->icmp6_cksum = 0;
	ih->icmp6_cksum = csum_fold(csum_partial(ih, len, csum_pseudo6(ip6->ip6_src.s6_addr,
				     ip6->ip6_dst.s6_addr, IPPROTO_ICMPV6, len)));
	*out_zone = orig.zone;
	return DROP_NONE;
}
