/* port_offload.c - GSO frames and partial checksums: taken in, and finished
 * in software where a port cannot take them.
 *
 * Theory of Operation
 *
 * A kernel that sends through a TAP with offloads or a veth may leave the
 * L4 checksum partial (only the pseudo-header sum in place) and may hand
 * over TCP segments of up to 64 KB (TSO), trusting a NIC to finish them.
 * The port tells us so in a struct virtio_net_hdr (TAP IFF_VNET_HDR,
 * AF_PACKET PACKET_VNET_HDR).  The switch does not finish them on the way
 * in: a 64 KB frame crosses the pipeline once instead of 45 times, and a
 * port that takes offloads (a TAP with a vnet header, a veth through
 * AF_PACKET) is handed the frame and the header back, as the kernel's
 * bridge hands a GSO skb from one port to the next.  Only where a frame
 * leaves through a port without offloads (`--no-offload`) does port.c
 * call into this file to do what the kernel's skb_checksum_help() and
 * tcp_gso_segment() would:
 *
 * - port_offload_rx(): on the way in, turn the header into PKT_F_GSO and
 *   PKT_F_CSUM_PARTIAL after checking its offsets against the frame.
 * - port_offload_csum(): sum from csum_start to the end (the field holds
 *   the pseudo-header sum already), fold, store at csum_start+csum_offset.
 * - port_offload_tso4(): cut the payload into gso_size pieces, each with a
 *   copy of the Ethernet/IPv4/TCP headers; IP total length, ID (+1 per
 *   segment) and checksum are redone, the TCP sequence advances, FIN and
 *   PSH stay on the last segment only, CWR on the first, and the TCP
 *   checksum is computed in full.
 * - port_offload_tso6(): the same for IPv6 (TSO6, which TAPs offer since
 *   issue 14): the payload length is redone instead of total length, ID
 *   and header checksum (IPv6 has neither), and the TCP checksum covers
 *   the IPv6 pseudo-header.  Only with TCP right after the fixed header,
 *   as Linux sends TCP: a GSO frame with extension headers is refused.
 *
 * Limits: segmentation is TCP only (UDP GSO is refused and counted by the
 * caller; TAPs do not offer it to containers); no VLAN tag in a GSO frame;
 * every header is bounds-checked, a frame that lies about its offsets is
 * refused, never read past.
 */
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <netinet/in.h>
#include <stddef.h>
#include <string.h>

#include "csum.h"
#include "drop.h"
#include "pkt.h"
#include "pkt.h"
#include "port_offload.h"

bool port_offload_csum(uint8_t *frame, uint32_t len, const struct virtio_net_hdr *vh)
{
	uint32_t start = vh->csum_start, field = start + vh->csum_offset;
	uint16_t v;

	if (start >= len || field + 2 > len || field < start)
		return false;
	v = csum(frame + start, len - start);
	/* UDP sends 0 as "no checksum"; a computed 0 is sent as 0xffff. */
	if (v == 0 && vh->csum_offset == offsetof(struct udphdr_min, check))
		v = 0xffff;
	memcpy(frame + field, &v, sizeof(v));
	return true;
}

struct port_offload_hdrs {
	uint32_t l3, l4, payload;    /* offsets */
};

/* Headers sit at any alignment (14-byte Ethernet header), so fields are
 * read and written through memcpy, never through struct pointers. */
static uint16_t po_get16(const uint8_t *b) { uint16_t v; memcpy(&v, b, 2); return ntohs(v); }
static uint32_t po_get32(const uint8_t *b) { uint32_t v; memcpy(&v, b, 4); return ntohl(v); }
static void po_put16(uint8_t *b, uint16_t v) { v = htons(v); memcpy(b, &v, 2); }
static void po_put32(uint8_t *b, uint32_t v) { v = htonl(v); memcpy(b, &v, 4); }

static bool port_offload_parse4(const uint8_t *f, uint32_t len, struct port_offload_hdrs *h)
{
	const uint8_t *ip;

	if (len < ETH_HLEN + 20 || po_get16(f + 12) != ETH_P_IP)
		return false;
	h->l3 = ETH_HLEN;
	ip = f + h->l3;
	if ((ip[0] >> 4) != 4 || (ip[0] & 0xf) < 5 || ip[9] != IPPROTO_TCP)
		return false;
	h->l4 = h->l3 + (ip[0] & 0xfu) * 4u;
	if (h->l4 + 20 > len || (f[h->l4 + 12] >> 4) < 5)
		return false;
	h->payload = h->l4 + (f[h->l4 + 12] >> 4) * 4u;
	return h->payload <= len;
}

#define PO_IP6_HLEN 40

static bool port_offload_parse6(const uint8_t *f, uint32_t len, struct port_offload_hdrs *h)
{
	const uint8_t *ip;

	if (len < ETH_HLEN + PO_IP6_HLEN || po_get16(f + 12) != ETH_P_IPV6)
		return false;
	h->l3 = ETH_HLEN;
	ip = f + h->l3;
	if ((ip[0] >> 4) != 6 || ip[6] != IPPROTO_TCP)
		return false;        /* extension headers: not a frame Linux TSOs */
	h->l4 = h->l3 + PO_IP6_HLEN;
	if (h->l4 + 20 > len || (f[h->l4 + 12] >> 4) < 5)
		return false;
	h->payload = h->l4 + (f[h->l4 + 12] >> 4) * 4u;
	return h->payload <= len;
}

/* The TCP header of a segment: sequence, flags, and a full checksum over
 * the pseudo-header sum PSEUDO. */
static void port_offload_seg_tcp(uint8_t *th, uint32_t tcplen, uint32_t off, bool first,
				 bool last, uint32_t pseudo)
{
	uint16_t v;

	po_put32(th + 4, po_get32(th + 4) + off);
	if (!last)              /* flags: CWR ECE URG ACK PSH RST SYN FIN */
		th[13] &= (uint8_t)~(0x01 | 0x08);
	if (!first)
		th[13] &= (uint8_t)~0x80;
	memset(th + 16, 0, 2);
	v = csum_fold(csum_partial(th, tcplen, pseudo));
	memcpy(th + 16, &v, 2);
}

/* Fix up one segment's IPv6 and TCP headers in place. */
static void port_offload_seg6(uint8_t *s, const struct port_offload_hdrs *h, uint32_t plen,
			      uint16_t idx, uint32_t off, bool first, bool last)
{
	uint8_t *ip = s + h->l3;
	uint32_t tcplen = h->payload - h->l4 + plen;

	(void)idx;              /* no IPv6 ID: only fragments have one */
	po_put16(ip + 4, (uint16_t)(h->payload - h->l3 - PO_IP6_HLEN + plen));
	port_offload_seg_tcp(s + h->l4, tcplen, off, first, last,
			     csum_pseudo6(ip + 8, ip + 24, IPPROTO_TCP, tcplen));
}

/* Fix up one segment's IPv4 and TCP headers in place. */
static void port_offload_seg4(uint8_t *s, const struct port_offload_hdrs *h, uint32_t plen,
			      uint16_t idx, uint32_t off, bool first, bool last)
{
	uint8_t *ip = s + h->l3, *th = s + h->l4;
	uint32_t tcplen = h->payload - h->l4 + plen, saddr, daddr;
	uint16_t v;

	po_put16(ip + 2, (uint16_t)(h->payload - h->l3 + plen));
	po_put16(ip + 4, (uint16_t)(po_get16(ip + 4) + idx));
	memset(ip + 10, 0, 2);
	v = csum(ip, h->l4 - h->l3);
	memcpy(ip + 10, &v, 2);
	memcpy(&saddr, ip + 12, 4);
	memcpy(&daddr, ip + 16, 4);
	port_offload_seg_tcp(th, tcplen, off, first, last,
			     csum_pseudo4(saddr, daddr, IPPROTO_TCP, (uint16_t)tcplen));
}

/* Cut FRAME (headers at H) into MSS pieces with FIX for each segment. */
static int port_offload_tso(const uint8_t *frame, uint32_t len, uint16_t mss,
			    uint8_t *out, uint32_t slot, unsigned int max, uint32_t *lens,
			    const struct port_offload_hdrs *hp,
			    void (*fix)(uint8_t *, const struct port_offload_hdrs *, uint32_t,
					uint16_t, uint32_t, bool, bool))
{
	struct port_offload_hdrs h = *hp;
	uint32_t off, plen, total;
	unsigned int n = 0;

	total = len - h.payload;
	if (h.payload + mss > slot || (total + mss - 1) / mss > max)
		return -1;
	for (off = 0; off < total || (total == 0 && n == 0); off += plen) {
		uint8_t *s = out + (size_t)n * slot;

		plen = total - off < mss ? total - off : mss;
		memcpy(s, frame, h.payload);
		memcpy(s + h.payload, frame + h.payload + off, plen);
		fix(s, &h, plen, (uint16_t)n, off, n == 0, off + plen >= total);
		lens[n++] = h.payload + plen;
		if (total == 0)
			break;
	}
	return (int)n;
}

int port_offload_tso4(const uint8_t *frame, uint32_t len, uint16_t mss,
		      uint8_t *out, uint32_t slot, unsigned int max, uint32_t *lens)
{
	struct port_offload_hdrs h;

	if (!mss || !port_offload_parse4(frame, len, &h))
		return -1;
	return port_offload_tso(frame, len, mss, out, slot, max, lens, &h, port_offload_seg4);
}

int port_offload_tso6(const uint8_t *frame, uint32_t len, uint16_t mss,
		      uint8_t *out, uint32_t slot, unsigned int max, uint32_t *lens)
{
	struct port_offload_hdrs h;

	if (!mss || !port_offload_parse6(frame, len, &h))
		return -1;
	return port_offload_tso(frame, len, mss, out, slot, max, lens, &h, port_offload_seg6);
}

/**
 * port_offload_rx() - Take in the offload metadata of a received frame
 * @p:	frame parsed by pkt_parse(), with p->vnet as the port read it (all
 *	zero from a port without a vnet header)
 *
 * Sets PKT_F_GSO and PKT_F_CSUM_PARTIAL from the header after checking
 * that its offsets lie inside the frame: every later user (nat.c's
 * checksum update, port_offload_csum, a TAP or veth that is handed the
 * header back) trusts them.  A partial checksum that is not the IPv4 L4
 * header's own is finished here, so that nat.c may assume that it is.
 *
 * Return: 0, or minus the drop reason.
 */
int port_offload_rx(struct pkt *p)
{
	const struct virtio_net_hdr *vh = &p->vnet;
	bool ip4 = p->eth_type == ETH_P_IP && p->l4_ofs != PKT_OFS_NONE;

	if (vh->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
		if (vh->csum_start >= p->len || vh->csum_start + vh->csum_offset + 2u > p->len)
			return -DROP_BAD_L4;
		p->flags |= PKT_F_CSUM_PARTIAL;
		if (ip4 && vh->csum_start != p->l4_ofs) {
			port_offload_csum(p->data, p->len, vh);
			p->flags &= ~(uint32_t)PKT_F_CSUM_PARTIAL;
		}
	}
	if (vh->gso_type == VIRTIO_NET_HDR_GSO_NONE)
		return 0;
	/* A GSO frame is a run of TCP segments whose checksums are left to
	 * the last hop: without NEEDS_CSUM or a size it is not one. */
	if (!(p->flags & PKT_F_CSUM_PARTIAL) || !vh->gso_size)
		return -DROP_BAD_L4;
	p->flags |= PKT_F_GSO;
	return 0;
}

/**
 * port_offload_segment() - Cut GSO frame P into complete segments
 * @p:		a PKT_F_GSO frame (TCP over IPv4 or IPv6; others are refused)
 * @out:	where the segments go, one per slot
 * @size:	bytes at OUT
 * @slot:	set to the distance between segments
 * @lens:	length of each segment; room for PORT_OFFLOAD_SEG_MAX
 *
 * Return: the number of segments, or -1 if P cannot be cut here.
 */
int port_offload_segment(const struct pkt *p, uint8_t *out, size_t size,
			 uint32_t *slot, uint32_t *lens)
{
	uint8_t type = p->vnet.gso_type & (uint8_t)~VIRTIO_NET_HDR_GSO_ECN;
	struct port_offload_hdrs h;
	bool v6 = type == VIRTIO_NET_HDR_GSO_TCPV6;
	size_t max;

	/* The GSO type must be the frame's own family: parsed here, since
	 * parse.c keeps no L4 offset for IPv6. */
	if (type != VIRTIO_NET_HDR_GSO_TCPV4 && !v6)
		return -1;
	if (!(v6 ? port_offload_parse6(p->data, p->len, &h) :
	      port_offload_parse4(p->data, p->len, &h)))
		return -1;
	/* Headers plus one MSS of payload, cache-line aligned. */
	*slot = (h.payload + p->vnet.gso_size + 63u) & ~63u;
	max = size / *slot;
	if (max > PORT_OFFLOAD_SEG_MAX)
		max = PORT_OFFLOAD_SEG_MAX;
	return (v6 ? port_offload_tso6 : port_offload_tso4)(p->data, p->len, p->vnet.gso_size,
							    out, *slot, (unsigned int)max, lens);
}
