/* vxlan.c - the VXLAN header (RFC 7348) and the outer headers around it.
 *
 * DOC: Theory of Operation
 *
 * A VXLAN packet is a UDP datagram whose payload is an 8-byte header and
 * an Ethernet frame:
 *
 *     flags(8) reserved(24) | VNI(24) reserved(8) | inner Ethernet frame
 *
 * Receive (vxlan_hdr_parse): the flags must be exactly 0x08 (the I flag:
 * the VNI is valid) and both reserved fields zero.  RFC 7348 5 says
 * reserved bits "MUST be ignored on receipt", but Linux (vxlan_rcv()
 * without extensions: "unknown flags") and OVS (netdev-native-tnl.c:
 * "invalid vxlan flags") drop such packets, and so does this switch: a
 * peer that sets them speaks an extension (GBP, GPE) we do not, and its
 * frames would be misread.  A payload shorter than the header plus an
 * Ethernet header is truncated.  Each refusal has its drop reason.
 *
 * Send (vxlan_hdr_build, vxlan_outer_build): the header with the I flag
 * and the VNI; around it, for capture (`vsctl capture --tunnel`) and for
 * received packets, the outer IPv4 and UDP headers as they are on the
 * wire: DF set (the tunnel never fragments; too-big inner frames get ICMP
 * frag-needed from the gateway instead), UDP checksum 0 (RFC 7348 5
 * allows it over IPv4; any checksum is accepted on receipt, the kernel
 * checks it).  The outer Ethernet addresses are the kernel's business
 * (the datagram leaves by an ordinary UDP socket), so captures show zero
 * MACs there.
 *
 * Source port (vxlan_flow_hash): RFC 7348 5 asks for a hash of the inner
 * frame's flow, so that the underlay's ECMP spreads flows and keeps each
 * one on one path; the hash covers the inner MACs, the IP addresses and
 * the L4 ports (not of a fragment: later fragments have none, and all of
 * a datagram's must take one path), with the switch's keyed hash
 * (hash.h); vxlan_tx_sock() maps it onto port_vxlan.c's sending sockets,
 * whose source ports the kernel chose from its ephemeral range.
 */
#include <arpa/inet.h>
#include <net/ethernet.h>
#include <netinet/ip.h>
#include <string.h>
#include "hash.h"
#include "pkt_build.h"
#include "vxlan.h"

void vxlan_hdr_build(uint8_t hdr[VXLAN_HLEN], uint32_t vni)
{
	hdr[0] = VXLAN_FLAG_VNI;
	hdr[1] = hdr[2] = hdr[3] = 0;
	hdr[4] = (uint8_t)(vni >> 16);
	hdr[5] = (uint8_t)(vni >> 8);
	hdr[6] = (uint8_t)vni;
	hdr[7] = 0;
}

/**
 * vxlan_hdr_parse() - Check a VXLAN payload and read its VNI
 * @payload:	the UDP payload
 * @len:	its length
 * @vni:	the VNI, on success
 *
 * Return: DROP_NONE, DROP_VXLAN_TRUNCATED (shorter than the header and an
 * Ethernet header) or DROP_VXLAN_BAD_FLAGS (flags other than 0x08, or a
 * reserved bit set)
 */
enum drop_reason vxlan_hdr_parse(const uint8_t *payload, size_t len, uint32_t *vni)
{
	if (len < VXLAN_HLEN + ETHER_HDR_LEN)
		return DROP_VXLAN_TRUNCATED;
	if (payload[0] != VXLAN_FLAG_VNI || payload[1] || payload[2] || payload[3] || payload[7])
		return DROP_VXLAN_BAD_FLAGS;
	*vni = (uint32_t)payload[4] << 16 | (uint32_t)payload[5] << 8 | payload[6];
	return DROP_NONE;
}

/**
 * vxlan_outer_build() - Write the outer Ethernet, IPv4 and UDP headers
 * @at:		VXLAN_OUTER_LEN bytes (any alignment)
 * @src:	outer source address, network order
 * @dst:	outer destination address, network order
 * @sport:	UDP source port, host order
 * @dport:	UDP destination port, host order
 * @payload:	bytes after the UDP header (VXLAN header and inner frame)
 *
 * Return: the byte after the UDP header (where the VXLAN header goes)
 */
uint8_t *vxlan_outer_build(uint8_t *at, uint32_t src, uint32_t dst, uint16_t sport,
			   uint16_t dport, uint16_t payload)
{
	static const uint8_t zero[6];
	struct pkt_ip4 h = { .src = src, .dst = dst, .proto = IPPROTO_UDP, .df = true };
	/* Built where its IPv4 header is 4-byte aligned (pkt_build writes
	 * struct iphdr), then copied: the outer and the inner IPv4 headers are
	 * 50 bytes apart, so only one of them can be aligned in the packet,
	 * and it is the inner one, which the pipeline parses in place. */
	union {
		uint8_t b[2 + VXLAN_OUTER_LEN];
		uint32_t align;
	} tmp;
	uint8_t *o = tmp.b + 2, *udp;

	udp = pkt_build_ip4(pkt_build_eth(o, zero, zero, ETHERTYPE_IP), &h,
			    (uint16_t)(8 + payload));
	pkt_build_udp(udp, sport, dport, (uint16_t)(8 + payload));
	memcpy(at, o, VXLAN_OUTER_LEN);
	return at + VXLAN_OUTER_LEN;
}

/**
 * vxlan_flow_hash() - The flow of an inner frame, for the source port
 * @p:		the inner frame, parsed
 *
 * Return: a hash of its MACs, IP addresses and L4 ports (what of them it
 * has), the same for every frame of one flow in one direction
 */
uint32_t vxlan_flow_hash(const struct pkt *p)
{
	struct {
		uint8_t macs[12];
		uint8_t addrs[32];
		uint8_t ports[4];
	} k;
	const uint8_t *l3, *l4;

	memset(&k, 0, sizeof(k));
	memcpy(k.macs, p->data, p->len >= 12 ? 12 : p->len);
	if (p->eth_type == ETHERTYPE_IP && (l3 = pkt_header(p, p->l3_ofs, 20)))
		memcpy(k.addrs, l3 + 12, 8);
	else if (p->eth_type == ETHERTYPE_IPV6 && (l3 = pkt_header(p, p->l3_ofs, 40)))
		memcpy(k.addrs, l3 + 8, 32);
	if ((p->ip_proto == IPPROTO_TCP || p->ip_proto == IPPROTO_UDP) && !p->is_frag &&
	    (l4 = pkt_header(p, p->l4_ofs, 4)))
		memcpy(k.ports, l4, 4);
	return hash_bytes(&k, sizeof(k), hash_basis() ^ 0x7678u);
}

/**
 * vxlan_tx_sock() - Which sending socket (and so source port) a frame takes
 * @p:		the inner frame, parsed
 *
 * Return: 0 .. VXLAN_TX_SOCKS - 1, the same for every frame of one flow
 */
unsigned int vxlan_tx_sock(const struct pkt *p)
{
	return vxlan_flow_hash(p) % VXLAN_TX_SOCKS;
}
