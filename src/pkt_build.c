/* pkt_build.c - header builders for the frames the switch originates.
 *
 * See pkt_build.h.  Each builder writes one header, whole (every byte of
 * it, so a reused scratch buffer never leaks an earlier frame's bytes into
 * a reserved field), and returns where the next header starts.  They are
 * used for replies and answers, not for forwarded packets: a forwarded
 * packet's headers are edited in place with incremental checksums
 * (csum.h), which these builders do not replace.
 */
#include <arpa/inet.h>
#include <net/ethernet.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <string.h>
#include "csum.h"
#include "pkt_build.h"

/**
 * pkt_build_eth() - Write an Ethernet II header
 * @at:		where it goes
 * @dst:	destination MAC
 * @src:	source MAC
 * @type:	EtherType, host order
 *
 * Return: the byte after the header (the L3 header's place)
 */
uint8_t *pkt_build_eth(uint8_t *at, const uint8_t dst[6], const uint8_t src[6],
		       uint16_t type)
{
	struct ether_header *eth = (struct ether_header *)at;

	memcpy(eth->ether_dhost, dst, 6);
	memcpy(eth->ether_shost, src, 6);
	eth->ether_type = htons(type);
	return at + sizeof(*eth);
}

/**
 * pkt_build_ip4() - Write a 20-byte IPv4 header with its checksum
 * @at:		where it goes (4-byte aligned, as after PKT_HEADROOM + 14)
 * @h:		addresses, protocol, TTL, id, DF
 * @l4len:	bytes that follow the header
 *
 * Return: the byte after the header (the L4 header's place)
 */
uint8_t *pkt_build_ip4(uint8_t *at, const struct pkt_ip4 *h, uint16_t l4len)
{
	struct iphdr *ip = (void *)at;

	memset(ip, 0, sizeof(*ip));
	ip->version = 4;
	ip->ihl = 5;
	ip->tot_len = htons((uint16_t)(sizeof(*ip) + l4len));
	ip->id = htons(h->id);
	ip->frag_off = h->df ? htons(IP_DF) : 0;
	ip->ttl = h->ttl ? h->ttl : PKT_BUILD_TTL;
	ip->protocol = h->proto;
	ip->saddr = h->src;
	ip->daddr = h->dst;
	ip->check = csum(ip, sizeof(*ip));
	return at + sizeof(*ip);
}

/**
 * pkt_build_icmp() - Write an ICMP header, checksum left at zero
 * @at:		where it goes
 * @type:	ICMP type
 * @code:	ICMP code
 * @w1:		first half of the rest of the header, host order (echo
 *		identifier; 0 for errors)
 * @w2:		second half (echo sequence; the next-hop MTU of a
 *		frag-needed, RFC 1191; 0 otherwise)
 *
 * The checksum covers the message body too: pkt_build_icmp_csum() once
 * the body is in place.
 *
 * Return: the byte after the 8-byte header (the body's place)
 */
uint8_t *pkt_build_icmp(uint8_t *at, uint8_t type, uint8_t code, uint16_t w1,
			uint16_t w2)
{
	struct icmphdr *ic = (void *)at;

	ic->type = type;
	ic->code = code;
	ic->checksum = 0;
	ic->un.echo.id = htons(w1);
	ic->un.echo.sequence = htons(w2);
	return at + sizeof(*ic);
}

/**
 * pkt_build_icmp_csum() - Set the checksum of a whole ICMP message
 * @icmp:	its header, checksum field zero
 * @len:	header and body
 */
void pkt_build_icmp_csum(uint8_t *icmp, uint32_t len)
{
	struct icmphdr *ic = (void *)icmp;

	ic->checksum = csum(icmp, len);
}

/**
 * pkt_build_udp() - Write a UDP header, checksum left at zero
 * @at:		where it goes
 * @sport:	source port, host order
 * @dport:	destination port, host order
 * @len:	header and payload
 *
 * Return: the byte after the header (the payload's place)
 */
uint8_t *pkt_build_udp(uint8_t *at, uint16_t sport, uint16_t dport, uint16_t len)
{
	struct udphdr *u = (void *)at;

	u->source = htons(sport);
	u->dest = htons(dport);
	u->len = htons(len);
	u->check = 0;
	return at + sizeof(*u);
}

/**
 * pkt_build_l4_csum() - Set the checksum of a TCP segment or UDP datagram
 * @l4:		its header, payload in place after it
 * @h:		the IPv4 header's fields (pseudo-header: addresses, proto)
 * @len:	header and payload
 *
 * A UDP sum that comes out zero is sent as 0xffff: zero means "no
 * checksum" (RFC 768).
 */
void pkt_build_l4_csum(uint8_t *l4, const struct pkt_ip4 *h, uint16_t len)
{
	struct tcphdr *th = (void *)l4;
	struct udphdr *uh = (void *)l4;
	uint16_t *sum = h->proto == IPPROTO_TCP ? &th->check : &uh->check;

	*sum = 0;
	*sum = csum_fold(csum_partial(l4, len, csum_pseudo4(h->src, h->dst,
							    h->proto, len)));
	if (h->proto == IPPROTO_UDP && !*sum)
		*sum = 0xffff;
}

/**
 * pkt_build_ip6() - Write an IPv6 header (RFC 8200), no extension headers
 * @at:		where it goes
 * @h:		addresses, next header, hop limit (0: PKT_BUILD_TTL)
 * @plen:	payload length
 *
 * Return: the byte after the 40-byte header (the payload's place)
 */
uint8_t *pkt_build_ip6(uint8_t *at, const struct pkt_ip6 *h, uint16_t plen)
{
	at[0] = 0x60;		/* version 6, traffic class and flow label 0 */
	at[1] = at[2] = at[3] = 0;
	at[4] = (uint8_t)(plen >> 8);
	at[5] = (uint8_t)plen;
	at[6] = h->nh;
	at[7] = h->hlim ? h->hlim : PKT_BUILD_TTL;
	memcpy(at + 8, h->src, 16);
	memcpy(at + 24, h->dst, 16);
	return at + 40;
}

/**
 * pkt_build_icmp6_csum() - Set the checksum of a whole ICMPv6 message
 * @icmp6:	its header, checksum field zero
 * @h:		the IPv6 header's fields (pseudo-header, RFC 4443 2.3)
 * @len:	header and body
 */
void pkt_build_icmp6_csum(uint8_t *icmp6, const struct pkt_ip6 *h, uint32_t len)
{
	uint16_t sum = csum_fold(csum_partial(icmp6, len,
					      csum_pseudo6(h->src, h->dst, IPPROTO_ICMPV6, len)));

	memcpy(icmp6 + 2, &sum, 2);
}

/**
 * pkt_build_l4_csum6() - Set the checksum of a TCP segment or UDP datagram
 *			  over IPv6
 * @l4:		its header, payload in place after it
 * @h:		the IPv6 header's fields (pseudo-header, RFC 8200 8.1; nh is
 *		the upper-layer protocol: no extension headers here)
 * @len:	header and payload
 *
 * UDP's checksum is mandatory over IPv6 (RFC 8200 8.1): a sum that comes
 * out zero is sent as 0xffff.
 */
void pkt_build_l4_csum6(uint8_t *l4, const struct pkt_ip6 *h, uint16_t len)
{
	size_t at = h->nh == IPPROTO_TCP ? 16 : 6;
	uint16_t sum;

	memset(l4 + at, 0, 2);
	sum = csum_fold(csum_partial(l4, len, csum_pseudo6(h->src, h->dst, h->nh, len)));
	if (h->nh == IPPROTO_UDP && !sum)
		sum = 0xffff;
	memcpy(l4 + at, &sum, 2);
}
