/* pkt.h - a frame in flight, and the batch that the pipeline works on.
 *
 * Every stage takes a batch of up to PKT_BURST frames, not one frame, so
 * that the cost of a syscall, a hash lookup set-up or a tx flush is shared
 * across the burst (OVS dp_packet_batch, passt's packet pools).  Frames live
 * in buffers owned by the batch and reused for every burst: nothing is
 * allocated per packet.
 *
 * A frame is parsed once (parse.c) and the offsets are kept here; later
 * stages read headers only through those offsets, which parse.c has
 * checked against the frame length.  PKT_OFS_NONE marks a header that is
 * absent.
 */
#ifndef VS_PKT_H
#define VS_PKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/virtio_net.h>

#define PKT_BURST 32
/* Room for a 64 KB GSO frame plus its Ethernet header and some slack. */
#define PKT_BUF_SIZE (65536 + 256)
/* Space kept before the frame so a stage can prepend without copying.
 * 64 + 2 puts the IP header, after 14 bytes of Ethernet, on a 4-byte
 * boundary (the kernel's NET_IP_ALIGN), so stages may read struct iphdr
 * in place. */
#define PKT_HEADROOM (64 + 2)
#define PKT_OFS_NONE UINT16_MAX

struct port;

enum pkt_flags {
	PKT_F_GSO = 1 << 0,      /* vnet.gso_type says how to segment it */
	PKT_F_CSUM_PARTIAL = 1 << 1, /* L4 checksum left for the last hop */
	PKT_F_DRYRUN = 1 << 2,   /* vsctl trace: decide, record, send nothing */
	PKT_F_LOCAL = 1 << 3,    /* made by the switch itself (ARP reply...) */
	/* data lives in the rx batch of the burst being processed, which
	 * port.c flushes every tx queue before it reuses: port_tx_queue()
	 * may queue it by reference instead of copying it */
	PKT_F_RXBUF = 1 << 4,
};

struct pkt {
	uint8_t *data;           /* Ethernet header */
	uint32_t len;            /* bytes from data */
	uint32_t flags;          /* enum pkt_flags */
	uint16_t l3_ofs;         /* IPv4/IPv6/ARP header, or PKT_OFS_NONE */
	uint16_t l4_ofs;         /* TCP/UDP/ICMP header, or PKT_OFS_NONE */
	uint16_t eth_type;       /* host order, after any VLAN tag */
	uint8_t ip_proto;        /* IPPROTO_*, 0 if not IP */
	uint8_t is_frag;         /* IPv4 fragment (MF set or offset != 0), IPv6 fragment header */
	struct port *in_port;
	struct virtio_net_hdr vnet; /* offload metadata when PKT_F_GSO/CSUM */
	struct trace_ctx *trace; /* non-NULL only under vsctl trace */
	uint8_t *buf;            /* start of the owned buffer (headroom) */
};

/* A UDP header without glibc's union-of-names: for offsets (checksum). */
struct udphdr_min { uint16_t source, dest, len, check; };

struct pkt_batch {
	unsigned int count;
	struct pkt pkts[PKT_BURST];
};

#define PKT_BATCH_FOR_EACH(i, p, b) \
	for ((i) = 0; (i) < (b)->count && (((p) = &(b)->pkts[i]), 1); (i)++)

/* parse.c */
int pkt_parse(struct pkt *p);
void pkt_batch_init(struct pkt_batch *b, uint8_t *bufs, size_t buf_size);

/* pkt_header() - checked view of LEN bytes at offset OFS, or NULL if the
 * frame is too short (the caller drops and counts). */
static inline void *pkt_header(const struct pkt *p, uint32_t ofs, uint32_t len)
{
	if (ofs == PKT_OFS_NONE || ofs > p->len || len > p->len - ofs)
		return NULL;
	return p->data + ofs;
}

/* pkt_eth_tagged() - Does the Ethernet header at ETH (14 bytes, checked by
 * the caller) carry a VLAN tag: 802.1Q, 802.1ad (QinQ) or the pre-standard
 * 0x9100?  The switch's networks are untagged: no tag enters (ingress.c,
 * uplink.c), so none can be routed out. */
static inline bool pkt_eth_tagged(const void *eth)
{
	const uint8_t *e = eth;
	uint16_t t = (uint16_t)(e[12] << 8 | e[13]);

	return t == 0x8100 || t == 0x88a8 || t == 0x9100;
}

/* pkt_wire_ip_len() - The IPv4 length P has on the wire: its own, or for
 * a GSO frame that of the segments it will be cut into (headers plus
 * gso_size), which is what an MTU must hold.  IP_LEN is its total length,
 * IHL its header length; the L4 header was checked by parse.c. */
static inline uint32_t pkt_wire_ip_len(const struct pkt *p, uint32_t ip_len, uint32_t ihl)
{
	const uint8_t *l4 = pkt_header(p, p->l4_ofs, 20);
	uint32_t l4h;

	if (!(p->flags & PKT_F_GSO) || !p->vnet.gso_size)
		return ip_len;
	l4h = p->ip_proto == 6 && l4 ? (uint32_t)(l4[12] >> 4) * 4u : 8u;
	return ihl + l4h + p->vnet.gso_size;
}

static inline void *pkt_l3(const struct pkt *p) { return p->data + p->l3_ofs; }
static inline void *pkt_l4(const struct pkt *p) { return p->data + p->l4_ofs; }

#endif
