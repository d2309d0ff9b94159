/* nat_frag.c - NAT of IPv4 and IPv6 fragments, without reassembly.
 *
 * Named for what it does: it carries a first fragment's address rewrite
 * over to the datagram's later fragments; it never reassembles.
 *
 * DOC: Theory of Operation
 *
 * Only the first fragment carries the ports, so only it can be looked up
 * in conntrack.  When nat.c translates a first fragment it records here
 * how its addresses changed, keyed by what identifies the datagram
 * (zone, source, destination, protocol, IP id: RFC 791); later fragments
 * of the same datagram get the same address rewrite and go the same way.
 * The L4 checksum lives in the first fragment and was already fixed there
 * (the incremental update does not need the rest of the payload).
 *
 * Fairness (audit item 21): the table is shared by every container and
 * the outside, and used to be direct-mapped, so one container's stream of
 * fragmented datagrams took everyone's slots and their later fragments
 * were dropped.  Now a datagram's slot is one of FRAG_WAYS in the set its
 * source (zone, source address) hashes to (keyed), so a source competes
 * only within its set, and a new datagram takes, in order: a free or
 * expired way; the oldest way of the source holding the most ways of the
 * set, if that source holds at least two more than the newcomer's (and
 * more than one); else the oldest way of its own source (fragments of one
 * datagram arrive together, so its oldest is long complete).  So sources
 * that share a set end up sharing it evenly, and a source's last way is
 * never taken by another: when a set
 * is full of single datagrams of distinct sources, the newcomer's later
 * fragments are the ones dropped (ct_invalid).  A lookup compares at most
 * FRAG_WAYS slots.
 *
 * IPv6 (a fragment header, RFC 8200 4.5) is handled the same way: the
 * datagram is (zone, source, destination, next header, the 32-bit
 * identification), the first fragment (offset 0) holds the upper-layer
 * header and is translated by nat.c, which records its rewrite here;
 * later fragments get the addresses only, since IPv6 has no header
 * checksum and the L4 one was fixed in the first.
 *
 * Limits: NAT_FRAG_SLOTS slots, entries live FRAG_TTL_MS.  Fragments
 * that arrive before their first fragment are dropped: that needs
 * reassembly, which the switch does not do.
 */
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <string.h>
#include "csum.h"
#include "hash.h"
#include "nat.h"

#define FRAG_TTL_MS 30000
#define FRAG_WAYS 8
#define FRAG_SETS (NAT_FRAG_SLOTS / FRAG_WAYS)
_Static_assert((FRAG_SETS & (FRAG_SETS - 1)) == 0, "sets: a power of two");

void nat_frag_init(struct nat *nat)
{
	memset(nat->frag, 0, sizeof(nat->frag));
	nat->frag_basis = hash_basis();
}

/* The set of a source's datagrams (keyed hash.h: nobody outside can
 * aim at another source's set). */
static struct nat_frag_slot *nat_frag_set(struct nat *nat, uint32_t zone, const union vs_addr *src)
{
	struct { uint32_t zone; union vs_addr src; } k = { .zone = zone, .src = *src };
	_Static_assert(sizeof(k) == 20, "hashed as bytes: no padding");

	return &nat->frag[(hash_bytes(&k, sizeof(k), nat->frag_basis) & (FRAG_SETS - 1)) *
			  FRAG_WAYS];
}

static bool nat_frag_is(const struct nat_frag_slot *s, uint32_t zone, uint8_t proto,
			const union vs_addr *src, const union vs_addr *dst, uint32_t id)
{
	return s->used && s->zone == zone && vs_addr_eq(&s->src, src) &&
	       vs_addr_eq(&s->dst, dst) && s->id == id && s->proto == proto;
}

static bool nat_frag_same_source(const struct nat_frag_slot *a, const struct nat_frag_slot *b)
{
	return a->zone == b->zone && vs_addr_eq(&a->src, &b->src);
}

/* nat_frag_victim() - The way of SET a new datagram of ZONE/SRC may
 * take, in the order the theory of operation gives, or NULL. */
static struct nat_frag_slot *nat_frag_victim(struct nat_frag_slot *set, uint32_t zone,
					     const union vs_addr *src, uint64_t now)
{
	struct nat_frag_slot *own = NULL, *fat = NULL, me = { .zone = zone, .src = *src };
	unsigned int i, j, n, fat_n = 1, own_n = 0;

	for (i = 0; i < FRAG_WAYS; i++)
		if (!set[i].used || set[i].expires_ms < now)
			return &set[i];
	for (i = 0; i < FRAG_WAYS; i++) {
		if (nat_frag_same_source(&set[i], &me)) {
			if (!own || set[i].expires_ms < own->expires_ms)
				own = &set[i];
			own_n++;
			continue;
		}
		for (j = 0, n = 0; j < FRAG_WAYS; j++)
			n += nat_frag_same_source(&set[i], &set[j]);
		if (n > fat_n || (n == fat_n && fat && set[i].expires_ms < fat->expires_ms)) {
			fat = &set[i];
			fat_n = n;
		}
	}
	if (own && (!fat || fat_n <= own_n + 1))
		return own;
	return fat;
}

/* nat_frag_put() - Record a first fragment's rewrite, either family. */
static void nat_frag_put(struct nat *nat, uint32_t zone, uint8_t proto, const union vs_addr *src,
			 const union vs_addr *dst, uint32_t id, const union vs_addr *new_src,
			 const union vs_addr *new_dst, uint32_t out_zone)
{
	struct nat_frag_slot *set = nat_frag_set(nat, zone, src), *s = NULL;
	uint64_t now = ct_now_ms(nat->ct);
	unsigned int i;

	for (i = 0; i < FRAG_WAYS && !s; i++)
		if (nat_frag_is(&set[i], zone, proto, src, dst, id))
			s = &set[i];
	if (!s)
		s = nat_frag_victim(set, zone, src, now);
	if (!s)
		return;         /* every way is another source's only one */

	s->zone = zone;
	s->proto = proto;
	s->src = *src;
	s->dst = *dst;
	s->id = id;
	s->new_src = *new_src;
	s->new_dst = *new_dst;
	s->out_zone = out_zone;
	s->expires_ms = now + FRAG_TTL_MS;
	s->used = 1;
}

void nat_frag_record(struct nat *nat, uint32_t zone, uint8_t proto, uint32_t old_src,
		 uint32_t old_dst, uint16_t ip_id, uint32_t new_src,
		 uint32_t new_dst, uint32_t out_zone)
{
	union vs_addr s = vs_addr_v4(old_src), d = vs_addr_v4(old_dst);
	union vs_addr ns = vs_addr_v4(new_src), nd = vs_addr_v4(new_dst);

	nat_frag_put(nat, zone, proto, &s, &d, ip_id, &ns, &nd, out_zone);
}

/**
 * nat_frag6_hdr() - The fragment header of IPv6 packet P, or NULL
 * @p:	parsed IPv6 packet (parse.c walked the chain already, within the
 *	frame; this walk repeats it, bounded, to find the header's place)
 */
static const struct ip6_frag *nat_frag6_hdr(const struct pkt *p)
{
	const struct ip6_hdr *ip6 = pkt_l3(p);
	uint32_t ofs = p->l3_ofs + sizeof(*ip6);
	uint8_t nh = ip6->ip6_nxt;
	const uint8_t *h;
	int i;

	for (i = 0; i < 8; i++) {
		h = pkt_header(p, ofs, 8);
		if (!h)
			return NULL;
		if (nh == IPPROTO_FRAGMENT)
			return (const void *)h;   /* frames sit IP-aligned (port.c) */
		if (nh == IPPROTO_AH)
			ofs += (h[1] + 2u) * 4u;
		else if (nh == IPPROTO_HOPOPTS || nh == IPPROTO_ROUTING || nh == IPPROTO_DSTOPTS)
			ofs += (h[1] + 1u) * 8u;
		else
			return NULL;
		nh = h[0];
	}
	return NULL;
}

/**
 * nat_frag_record6() - Record how an IPv6 first fragment is rewritten
 * @p:		the first fragment, not yet rewritten
 * @zone:	zone it was seen in
 * @t:		the tuple it leaves as
 */
void nat_frag_record6(struct nat *nat, const struct pkt *p, uint32_t zone, const struct ct_key *t)
{
	const struct ip6_frag *f = nat_frag6_hdr(p);
	const struct ip6_hdr *ip6 = pkt_l3(p);
	union vs_addr s, d;

	if (!f)
		return;
	memcpy(&s, &ip6->ip6_src, 16);
	memcpy(&d, &ip6->ip6_dst, 16);
	nat_frag_put(nat, zone, p->ip_proto, &s, &d, f->ip6f_ident, &t->src, &t->dst, t->zone);
}

/* nat_frag_translate6() - nat_frag_translate() of an IPv6 later fragment:
 * addresses only (no header checksum; the L4 one was in the first). */
static enum drop_reason nat_frag_translate6(struct nat *nat, struct pkt *p, uint32_t zone,
					    uint32_t *out_zone)
{
	const struct ip6_frag *f = nat_frag6_hdr(p);
	struct ip6_hdr *ip6 = pkt_l3(p);
	struct nat_frag_slot *set, *s = NULL;
	union vs_addr src, dst;
	unsigned int i;

	if (!f)
		return DROP_BAD_EXT_HDR;
	memcpy(&src, &ip6->ip6_src, 16);
	memcpy(&dst, &ip6->ip6_dst, 16);
	set = nat_frag_set(nat, zone, &src);
	for (i = 0; i < FRAG_WAYS && !s; i++)
		if (nat_frag_is(&set[i], zone, p->ip_proto, &src, &dst, f->ip6f_ident))
			s = &set[i];
	if (!s || s->expires_ms < ct_now_ms(nat->ct))
		return DROP_CT_INVALID;
	memcpy(&ip6->ip6_src, &s->new_src, 16);
	memcpy(&ip6->ip6_dst, &s->new_dst, 16);
	*out_zone = s->out_zone;
	return DROP_NONE;
}

/**
 * nat_frag_translate() - Rewrite a non-first fragment like its first one
 * @p:		fragment (offset != 0)
 * @zone:	zone it was seen in
 * @out_zone:	set to where it must leave
 *
 * Return: DROP_NONE, or DROP_CT_INVALID if no first fragment was seen
 */
enum drop_reason nat_frag_translate(struct nat *nat, struct pkt *p, uint32_t zone, uint32_t *out_zone)
{
	struct iphdr *ip = pkt_l3(p);
	struct nat_frag_slot *set, *s = NULL;
	union vs_addr src, dst;
	unsigned int i;

	if (p->eth_type == ETH_P_IPV6)
		return nat_frag_translate6(nat, p, zone, out_zone);
	src = vs_addr_v4(ip->saddr);
	dst = vs_addr_v4(ip->daddr);
	set = nat_frag_set(nat, zone, &src);
	for (i = 0; i < FRAG_WAYS && !s; i++)
		if (nat_frag_is(&set[i], zone, ip->protocol, &src, &dst, ip->id))
			s = &set[i];
	if (!s || s->expires_ms < ct_now_ms(nat->ct))
		return DROP_CT_INVALID;
	csum_update32(&ip->check, ip->saddr, vs_addr_get_v4(&s->new_src));
	csum_update32(&ip->check, ip->daddr, vs_addr_get_v4(&s->new_dst));
	ip->saddr = vs_addr_get_v4(&s->new_src);
	ip->daddr = vs_addr_get_v4(&s->new_dst);
	/* The slot stays until it expires: fragments may come out of order,
	 * so the last one by offset need not be the last to arrive. */
	*out_zone = s->out_zone;
	return DROP_NONE;
}
