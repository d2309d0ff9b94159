/* nat_frag.c - NAT of IPv4 fragments, without reassembly.
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
 * Limits: a fixed table of NAT_FRAG_SLOTS direct-mapped slots with a keyed
 * hash, entries live FRAG_TTL_MS; a newer datagram may take an older one's
 * slot (its remaining fragments are then dropped and counted).  Fragments
 * that arrive before their first fragment are dropped: that needs
 * reassembly, which the switch does not do.
 */
#include <arpa/inet.h>
#include <netinet/ip.h>
#include <string.h>
#include "csum.h"
#include "hash.h"
#include "nat.h"

#define FRAG_TTL_MS 30000

void nat_frag_init(struct nat *nat)
{
	memset(nat->frag, 0, sizeof(nat->frag));
	nat->frag_basis = hash_basis();
}

/* The slot of a datagram (keyed hash.h: whoever sends picks the IP id). */
static struct nat_frag_slot *nat_frag_slot_for(struct nat *nat, uint32_t zone, uint8_t proto,
					       uint32_t src, uint32_t dst, uint16_t id)
{
	struct { uint32_t zone, src, dst; uint16_t id; uint8_t proto, pad; } k = {
		.zone = zone, .src = src, .dst = dst, .id = id, .proto = proto, .pad = 0,
	};
	_Static_assert(sizeof(k) == 16, "hashed as bytes: no padding");

	return &nat->frag[hash_bytes(&k, sizeof(k), nat->frag_basis) & (NAT_FRAG_SLOTS - 1)];
}

void nat_frag_record(struct nat *nat, uint32_t zone, uint8_t proto, uint32_t old_src,
		 uint32_t old_dst, uint16_t ip_id, uint32_t new_src,
		 uint32_t new_dst, uint32_t out_zone)
{
	struct nat_frag_slot *s = nat_frag_slot_for(nat, zone, proto, old_src, old_dst, ip_id);

	s->zone = zone;
	s->proto = proto;
	s->src = old_src;
	s->dst = old_dst;
	s->id = ip_id;
	s->new_src = new_src;
	s->new_dst = new_dst;
	s->out_zone = out_zone;
	s->expires_ms = ct_now_ms(nat->ct) + FRAG_TTL_MS;
	s->used = 1;
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
	struct nat_frag_slot *s = nat_frag_slot_for(nat, zone, ip->protocol, ip->saddr,
					    ip->daddr, ip->id);

	if (!s->used || s->zone != zone || s->src != ip->saddr ||
	    s->dst != ip->daddr || s->id != ip->id || s->proto != ip->protocol ||
	    s->expires_ms < ct_now_ms(nat->ct))
		return DROP_CT_INVALID;
	csum_update32(&ip->check, ip->saddr, s->new_src);
	csum_update32(&ip->check, ip->daddr, s->new_dst);
	ip->saddr = s->new_src;
	ip->daddr = s->new_dst;
	/* The slot stays until it expires: fragments may come out of order,
	 * so the last one by offset need not be the last to arrive. */
	*out_zone = s->out_zone;
	return DROP_NONE;
}
