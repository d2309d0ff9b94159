/* pkt_build.h - write the headers of a frame the switch makes itself.
 *
 * The switch originates frames in several places: the router ports'
 * ARP and ICMP replies (router_port.c), the DNS resolver's UDP answers
 * (dns.c) and TCP segments (dns_tcp.c), and vsctl trace's synthetic
 * packet (trace.c).  Each used to fill its own IPv4 header; one set of
 * builders keeps the fixed fields, the checksums and the byte order in one
 * place; the IPv6 header builder (the gateway's neighbour advertisements
and ICMPv6 replies) sits beside the IPv4 one.
 *
 * Builders write in place at a caller-given position (no allocation, no
 * copy) and return the byte after what they wrote, so a frame is built
 * front to back:  l3 = pkt_build_eth(f, ...); l4 = pkt_build_ip4(l3, ...).
 * Checksums that cover a payload (ICMP, UDP, TCP) are computed by the
 * *_csum / *_finish builders, which the caller calls once the payload is
 * in place.  Addresses are in network order, ports and ids in host order.
 * The ARP builder is arp_fill() in arp.h.
 */
#ifndef VS_PKT_BUILD_H
#define VS_PKT_BUILD_H

#include <stdbool.h>
#include <stdint.h>

#define PKT_BUILD_TTL 64    /* RFC 1700's default, what Linux sends */

/* The fields of an IPv4 header that differ between the switch's frames;
 * the rest (version, IHL 5, TOS 0, no options) is the same for all. */
struct pkt_ip4 {
	uint32_t src;            /* network order */
	uint32_t dst;            /* network order */
	uint8_t proto;           /* IPPROTO_* */
	uint8_t ttl;             /* 0: PKT_BUILD_TTL */
	uint16_t id;             /* host order */
	bool df;                 /* set Don't Fragment */
};

/* The fields of an IPv6 header that differ between the switch's frames;
 * traffic class and flow label are zero, there are no extension headers. */
struct pkt_ip6 {
	uint8_t src[16];
	uint8_t dst[16];
	uint8_t nh;              /* next header: IPPROTO_ICMPV6... */
	uint8_t hlim;            /* 0: PKT_BUILD_TTL */
};

uint8_t *pkt_build_eth(uint8_t *at, const uint8_t dst[6], const uint8_t src[6],
		       uint16_t type);
uint8_t *pkt_build_ip4(uint8_t *at, const struct pkt_ip4 *h, uint16_t l4len);
uint8_t *pkt_build_icmp(uint8_t *at, uint8_t type, uint8_t code, uint16_t w1,
			uint16_t w2);
void pkt_build_icmp_csum(uint8_t *icmp, uint32_t len);
uint8_t *pkt_build_udp(uint8_t *at, uint16_t sport, uint16_t dport, uint16_t len);
void pkt_build_l4_csum(uint8_t *l4, const struct pkt_ip4 *h, uint16_t len);
uint8_t *pkt_build_ip6(uint8_t *at, const struct pkt_ip6 *h, uint16_t plen);
void pkt_build_icmp6_csum(uint8_t *icmp6, const struct pkt_ip6 *h, uint32_t len);
void pkt_build_l4_csum6(uint8_t *l4, const struct pkt_ip6 *h, uint16_t len);

#endif
