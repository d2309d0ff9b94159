/* csum.h - the Internet checksum, full (RFC 1071) and incremental (RFC 1624).
 *
 * NAT changes a few bytes of a header; recomputing the whole checksum would
 * touch every byte of the payload.  RFC 1624's HC' = ~(~HC + ~m + m') adjusts
 * it with the old and new values only.  All values here are in network
 * byte order, as they sit in the packet.
 */
#ifndef VS_CSUM_H
#define VS_CSUM_H

#include <stddef.h>
#include <stdint.h>

/* Sum 16-bit words of BUF into a 32-bit accumulator (not folded). */
static inline uint32_t csum_partial(const void *buf, size_t len, uint32_t sum)
{
	const uint8_t *b = buf;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)((b[i] << 8) | b[i + 1]);
	if (len & 1)
		sum += (uint32_t)(b[len - 1] << 8);
	return sum;
}

/* Fold and complement; the result is in network byte order. */
static inline uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	sum = ~sum & 0xffff;
	return (uint16_t)(((sum & 0xff) << 8) | (sum >> 8));
}

static inline uint16_t csum(const void *buf, size_t len)
{
	return csum_fold(csum_partial(buf, len, 0));
}

/* IPv4 pseudo-header sum for TCP/UDP; SADDR/DADDR in network order. */
static inline uint32_t csum_pseudo4(uint32_t saddr, uint32_t daddr,
				    uint8_t proto, uint16_t l4len)
{
	const uint8_t *s = (const uint8_t *)&saddr, *d = (const uint8_t *)&daddr;
	uint32_t sum = 0;

	sum += (uint32_t)((s[0] << 8) | s[1]) + (uint32_t)((s[2] << 8) | s[3]);
	sum += (uint32_t)((d[0] << 8) | d[1]) + (uint32_t)((d[2] << 8) | d[3]);
	sum += proto;
	sum += l4len;
	return sum;
}

/* IPv6 pseudo-header sum (RFC 8200 8.1) for ICMPv6, TCP and UDP: both
 * 16-byte addresses, the upper-layer length and the next header. */
static inline uint32_t csum_pseudo6(const uint8_t saddr[16], const uint8_t daddr[16],
				    uint8_t nh, uint32_t l4len)
{
	uint32_t sum = csum_partial(saddr, 16, 0);

	sum = csum_partial(daddr, 16, sum);
	sum += (l4len >> 16) + (l4len & 0xffff);
	sum += nh;
	return sum;
}

/* RFC 1624 eqn. 3: update checksum *CS (network order) for a 16-bit field
 * going from OLD to NEW (both network order). */
static inline void csum_update16(uint16_t *cs, uint16_t old, uint16_t new_)
{
	uint32_t sum;
	uint16_t hc = (uint16_t)((*cs >> 8) | (*cs << 8));
	uint16_t m = (uint16_t)((old >> 8) | (old << 8));
	uint16_t mp = (uint16_t)((new_ >> 8) | (new_ << 8));

	sum = (uint16_t)~hc + (uint32_t)(uint16_t)~m + mp;
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	hc = (uint16_t)~sum;
	*cs = (uint16_t)((hc >> 8) | (hc << 8));
}

static inline void csum_update32(uint16_t *cs, uint32_t old, uint32_t new_)
{
	csum_update16(cs, (uint16_t)(old & 0xffff), (uint16_t)(new_ & 0xffff));
	csum_update16(cs, (uint16_t)(old >> 16), (uint16_t)(new_ >> 16));
}

#endif
