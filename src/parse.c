/* parse.c - parse a frame once and keep the offsets (OVS miniflow_extract).
 *
 * Every later stage reads headers through p->l3_ofs/l4_ofs, trusting what
 * this file checked: the L3 header is complete and self-consistent, the L4
 * header of a first (or unfragmented) IPv4 packet is complete, and the
 * lengths written in the headers (IHL, total length, TCP data offset, UDP
 * length) stay inside the frame.  A frame that fails is dropped by the
 * caller with the reason returned, one reason per kind of lie (drop.h), so
 * `vsctl stats` says what was wrong; bad input from a container never
 * reaches a stage that would misread it.  Ethernet padding after an IPv4
 * packet is trimmed here (len = tot_len).
 *
 * IPv6 (parse_ipv6()) is looked into but never dropped here: its
 * extension headers are walked to the upper-layer header for the stages
 * that route and translate it.
 *
 * Fragments are not reassembled (nat_frag.c), so the checks that a reassembler
 * would make are made here, per fragment and without state: see
 * parse_frag() and doc/hardening.md for what is and is not caught.
 */
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <netinet/in.h>
#include <string.h>
#include "drop.h"
#include "pkt.h"

#define ARP_LEN 28
#define VLAN_LEN 4

void pkt_batch_init(struct pkt_batch *b, uint8_t *bufs, size_t buf_size)
{
	unsigned int i;

	b->count = 0;
	for (i = 0; i < PKT_BURST; i++) {
		memset(&b->pkts[i], 0, sizeof(b->pkts[i]));
		b->pkts[i].buf = bufs + i * buf_size;
		b->pkts[i].data = b->pkts[i].buf + PKT_HEADROOM;
	}
}

/* Fixed L4 header length, 0 for protocols whose header we don't read. */
static uint32_t parse_l4_min(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_TCP: return 20;
	case IPPROTO_UDP: return 8;
	case IPPROTO_ICMP: return 8;
	case IPPROTO_ICMPV6: return 8;
	default: return 0;
	}
}

/**
 * parse_frag() - Refuse fragments no honest sender makes
 * @proto:	IP protocol
 * @frag:	frag_off field, host order
 * @plen:	IP payload bytes in this fragment
 *
 * A fragment with no payload adds nothing (Linux drops it too).  One whose
 * payload would end beyond what a 20-byte header leaves of 65535 bytes is
 * "endless": reassembled, it would overflow the total length (ping of
 * death).  A later fragment that starts inside the fixed L4 header could
 * rewrite the ports or TCP flags that conntrack saw in the first one
 * (RFC 1858 overlapping fragment attack: offset 1 for TCP).  Overlaps
 * among later fragments carry only payload; the receiver's reassembly
 * judges those.
 * Return: 0, or minus the drop reason
 */
static int parse_frag(uint8_t proto, uint16_t frag, uint32_t plen)
{
	uint32_t off = (frag & IP_OFFMASK) * 8u;

	if (plen == 0 || off + plen > 65535 - 20)
		return -DROP_BAD_FRAG;
	if (off && off < parse_l4_min(proto))
		return -DROP_FRAG_OVERLAP;
	return 0;
}

/**
 * parse_l4() - Check the L4 header that starts at p->l4_ofs
 * @p:		frame, l4_ofs set
 * @proto:	IP protocol
 * @plen:	IP payload bytes (the frame holds all of them)
 * @first_frag:	P is the first fragment of a longer datagram
 *
 * A first fragment must hold its whole L4 header, options included, or
 * the rest of it would come in a fragment nobody checks (RFC 1858 tiny
 * fragment attack): too short is bad_frag rather than a truncation.
 * A UDP length shorter than the payload leaves trailing bytes, which the
 * receiver ignores (as Linux does); longer is a lie.  In a first fragment
 * the UDP length covers fragments still to come, so only its floor is
 * checked.
 * Return: 0, or minus the drop reason
 */
static int parse_l4(const struct pkt *p, uint8_t proto, uint32_t plen, bool first_frag)
{
	const uint8_t *l4 = pkt_l4(p);
	uint32_t doff, ulen;

	if (plen < parse_l4_min(proto))
		return first_frag ? -DROP_BAD_FRAG : -DROP_BAD_L4;
	switch (proto) {
	case IPPROTO_TCP:
		doff = (l4[12] >> 4) * 4u;
		if (doff < 20)
			return -DROP_BAD_TCP_OFF;
		if (doff > plen)
			return first_frag ? -DROP_BAD_FRAG : -DROP_BAD_TCP_OFF;
		return 0;
	case IPPROTO_UDP:
		ulen = (uint32_t)(l4[4] << 8 | l4[5]);
		if (ulen < 8 || (!first_frag && ulen > plen))
			return -DROP_BAD_UDP_LEN;
		return 0;
	default:
		return 0;
	}
}

/**
 * parse_ipv4() - Check an IPv4 header and what it says about the frame
 * @p:		frame
 * @ofs:	offset of the IPv4 header
 *
 * The order of the checks decides which reason a frame that breaks
 * several rules is counted under: header present, version, IHL, total
 * length against the frame, IHL against the total length, fragment, L4.
 * Return: 0, or minus the drop reason
 */
static int parse_ipv4(struct pkt *p, uint32_t ofs)
{
	const struct iphdr *ip = pkt_header(p, ofs, sizeof(*ip));
	uint32_t hl, tot;
	uint16_t frag;
	int rc;

	if (!ip)
		return -DROP_BAD_L3;
	if (ip->version != 4)
		return -DROP_BAD_IP_VERSION;
	if (ip->ihl < 5)
		return -DROP_BAD_IHL;
	hl = ip->ihl * 4u;
	tot = ntohs(ip->tot_len);
	if (tot < sizeof(*ip) || tot > p->len - ofs)
		return -DROP_BAD_IP_LEN;
	if (hl > tot)
		return -DROP_BAD_IHL;
	p->len = ofs + tot;	/* drop Ethernet padding */
	p->ip_proto = ip->protocol;
	frag = ntohs(ip->frag_off);
	p->is_frag = (frag & (IP_MF | IP_OFFMASK)) != 0;
	if (p->is_frag) {
		rc = parse_frag(ip->protocol, frag, tot - hl);
		if (rc < 0 || (frag & IP_OFFMASK))
			return rc;	/* a later fragment has no L4 header */
	}
	p->l4_ofs = (uint16_t)(ofs + hl);
	return parse_l4(p, ip->protocol, tot - hl, p->is_frag);
}

/**
 * parse_ipv6_ext() - Step over one IPv6 extension header
 * @p:		frame
 * @nh:		its next-header value; set to the header after it
 * @ofs:	its offset; set to the offset after it
 * @end:	end of the IPv6 payload in the frame
 * @later_frag:	set when a fragment header says this is not the first
 *		fragment (no upper-layer header follows)
 *
 * Return: 1 if it was an extension header and was stepped over, 0 if NH is
 * an upper-layer protocol, -1 if the header does not fit or cannot be
 * walked (ESP, No Next Header)
 */
static int parse_ipv6_ext(const struct pkt *p, uint8_t *nh, uint32_t *ofs, uint32_t end,
			  bool *later_frag)
{
	const uint8_t *h = pkt_header(p, *ofs, 8);
	uint32_t len;

	switch (*nh) {
	case IPPROTO_HOPOPTS: case IPPROTO_ROUTING: case IPPROTO_DSTOPTS:
		len = h ? (h[1] + 1u) * 8u : 0;
		break;
	case IPPROTO_AH:
		len = h ? (h[1] + 2u) * 4u : 0;
		break;
	case IPPROTO_FRAGMENT:
		len = 8;
		if (h && (h[2] << 8 | h[3]) & 0xfff8)
			*later_frag = true;
		break;
	case IPPROTO_ESP: case IPPROTO_NONE:
		return -1;
	default:
		return 0;
	}
	if (!h || len > end - *ofs)
		return -1;
	*nh = h[0];
	*ofs += len;
	return 1;
}

/**
 * parse_ipv6() - Find the upper-layer header of an IPv6 packet
 * @p:		frame
 * @ofs:	offset of the IPv6 header
 *
 * IPv6 frames are switched at L2 whatever they hold, and ingress_v6.c
 * judges a container's chain with its own reasons, so nothing here drops:
 * a frame whose header or chain does not add up keeps l4_ofs absent, and
 * the stages that route it (the gateway, NAT) refuse it.  What this finds
 * is what they need, once: the upper-layer protocol and its offset
 * (absent in a later fragment), whether the packet is a fragment, and
 * the frame trimmed of Ethernet padding.  The walk is bounded (8
 * headers), as ingress_v6.c's.
 * Return: 0
 */
static int parse_ipv6(struct pkt *p, uint32_t ofs)
{
	const struct ip6_hdr *ip6 = pkt_header(p, ofs, sizeof(*ip6));
	uint32_t end, at = ofs + sizeof(*ip6);
	bool later = false;
	uint8_t nh;
	int i, rc = 1;

	if (!ip6 || (ip6->ip6_vfc >> 4) != 6 ||
	    ntohs(ip6->ip6_plen) > p->len - ofs - sizeof(*ip6))
		return 0;
	end = at + ntohs(ip6->ip6_plen);
	p->len = end;	/* drop Ethernet padding */
	nh = ip6->ip6_nxt;
	for (i = 0; i < 8 && rc == 1; i++) {
		bool was_frag = nh == IPPROTO_FRAGMENT;

		rc = parse_ipv6_ext(p, &nh, &at, end, &later);
		if (rc == 1 && was_frag)
			p->is_frag = 1;
		if (later)
			break;
	}
	p->ip_proto = nh;
	if (rc != 0 || later || end - at < parse_l4_min(nh) || at > UINT16_MAX - 64)
		return 0;
	p->l4_ofs = (uint16_t)at;
	if (parse_l4(p, nh, end - at, p->is_frag) < 0)
		p->l4_ofs = PKT_OFS_NONE;
	return 0;
}

/**
 * pkt_parse() - Find and check the L3 and L4 headers of P
 * @p: frame with data and len set
 *
 * Safe to call again on the same frame.
 * Return: 0, or minus the drop reason
 */
int pkt_parse(struct pkt *p)
{
	uint32_t ofs = ETH_HLEN;
	uint16_t type;

	p->l3_ofs = p->l4_ofs = PKT_OFS_NONE;
	p->ip_proto = 0;
	p->is_frag = 0;
	if (p->len < ETH_HLEN)
		return -DROP_RUNT;
	type = (uint16_t)(p->data[12] << 8 | p->data[13]);
	if (type == ETH_P_8021Q) {
		if (p->len < ETH_HLEN + VLAN_LEN)
			return -DROP_RUNT;
		type = (uint16_t)(p->data[16] << 8 | p->data[17]);
		ofs += VLAN_LEN;
	}
	p->eth_type = type;
	if (ofs > UINT16_MAX - 64)
		return -DROP_RUNT;
	switch (type) {
	case ETH_P_ARP:
		if (p->len - ofs < ARP_LEN)
			return -DROP_BAD_L3;
		p->l3_ofs = (uint16_t)ofs;
		return 0;
	case ETH_P_IP:
		p->l3_ofs = (uint16_t)ofs;
		return parse_ipv4(p, ofs);
	case ETH_P_IPV6:
		if (p->len <= ofs)
			return 0;
		p->l3_ofs = (uint16_t)ofs;
		return parse_ipv6(p, ofs);
	default:
		/* The rest are switched at L2 without a look inside. */
		if (p->len > ofs)
			p->l3_ofs = (uint16_t)ofs;
		return 0;
	}
}
