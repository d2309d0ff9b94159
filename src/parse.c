/* parse.c - parse a frame once and keep the offsets (OVS miniflow_extract).
 *
 * Every later stage reads headers through p->l3_ofs/l4_ofs, trusting what
 * this file checked: the L3 header is complete and self-consistent, the L4
 * header of a first (or unfragmented) IPv4 packet is complete.  A frame
 * that fails is dropped by the caller with the reason returned, so bad
 * input from a container never reaches a stage that would misread it.
 * Ethernet padding after an IPv4 packet is trimmed here (len = tot_len).
 */
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <netinet/ip.h>
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

/* Minimum L4 header length for a first fragment, 0 if we don't look. */
static uint32_t parse_l4_min(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_TCP: return 20;
	case IPPROTO_UDP: return 8;
	case IPPROTO_ICMP: return 8;
	default: return 0;
	}
}

static int parse_ipv4(struct pkt *p, uint32_t ofs)
{
	const struct iphdr *ip = pkt_header(p, ofs, sizeof(*ip));
	uint32_t hl, tot, need;

	if (!ip || ip->version != 4 || ip->ihl < 5)
		return -DROP_BAD_L3;
	hl = ip->ihl * 4u;
	tot = ntohs(ip->tot_len);
	if (tot < hl || tot > p->len - ofs)
		return -DROP_BAD_L3;
	p->len = ofs + tot;	/* drop Ethernet padding */
	p->ip_proto = ip->protocol;
	p->is_frag = (ntohs(ip->frag_off) & (IP_MF | IP_OFFMASK)) != 0;
	if (ntohs(ip->frag_off) & IP_OFFMASK)
		return 0;	/* later fragment: no L4 header here */
	need = parse_l4_min(ip->protocol);
	if (need && tot - hl < need)
		return -DROP_BAD_L4;
	p->l4_ofs = (uint16_t)(ofs + hl);
	if (ip->protocol == IPPROTO_TCP) {
		const uint8_t *th = pkt_l4(p);
		uint32_t doff = (th[12] >> 4) * 4u;

		if (doff < 20 || doff > tot - hl)
			return -DROP_BAD_L4;
	}
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
	default:
		/* IPv6 and the rest are switched at L2 without a look inside. */
		if (p->len > ofs)
			p->l3_ofs = (uint16_t)ofs;
		return 0;
	}
}
