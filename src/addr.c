/* addr.c - parse, format and prefix arithmetic for union vs_addr.
 *
 * Everything here works on the 16-byte form, so one routine serves both
 * families; an IPv4 prefix is the IPv4-mapped prefix ::ffff:a.b.c.d/(96+len)
 * underneath.  Two addresses or prefixes of different families never
 * contain or overlap each other, even where the bits would say so ("::/0"
 * does not contain 10.0.0.1): the family is part of what a network means.
 *
 * None of this runs per packet except vs_prefix_contains(), which takes a
 * fast path for IPv4 (one mask and compare, as ipam did before).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "addr.h"

/**
 * vs_addr_parse_af() - Parse text of one family
 * @s:  "a.b.c.d" for AF_INET, an RFC 4291 text form for AF_INET6
 * @af: AF_INET, AF_INET6 or AF_UNSPEC (either)
 * @a:  result
 *
 * An IPv6 text naming an IPv4-mapped address ("::ffff:10.0.0.1") is the
 * IPv4 address, as the two have the same bytes; with AF_INET6 it is refused.
 *
 * Return: 0, or -1 if @s is not an address of that family
 */
int vs_addr_parse_af(const char *s, int af, union vs_addr *a)
{
	struct in_addr a4;
	union vs_addr tmp;

	if (!s)
		return -1;
	if (af != AF_INET6 && inet_pton(AF_INET, s, &a4) == 1) {
		vs_addr_set_v4(a, a4.s_addr);
		return 0;
	}
	if (af == AF_INET || inet_pton(AF_INET6, s, &tmp.a6) != 1)
		return -1;
	if (af == AF_INET6 && vs_addr_is_v4(&tmp))
		return -1;
	*a = tmp;
	return 0;
}

/* vs_addr_parse() - Parse an address of either family. */
int vs_addr_parse(const char *s, union vs_addr *a)
{
	return vs_addr_parse_af(s, AF_UNSPEC, a);
}

/**
 * vs_addr_str() - Format an address: dotted quad for IPv4, RFC 5952 for IPv6
 * @a:   address
 * @buf: output, VS_ADDR_STRLEN bytes are always enough
 * @len: size of @buf
 *
 * Return: @buf (holding "?" if it was too small)
 */
const char *vs_addr_str(const union vs_addr *a, char *buf, size_t len)
{
	const char *r;

	if (vs_addr_is_v4(a))
		r = inet_ntop(AF_INET, &a->v4mapped.a4, buf, (socklen_t)len);
	else
		r = inet_ntop(AF_INET6, &a->a6, buf, (socklen_t)len);
	if (!r && len)
		snprintf(buf, len, "?");
	return buf;
}

/**
 * vs_addr_from_bytes() - An address from its wire form
 * @a:   result
 * @af:  AF_INET (4 bytes at @src) or AF_INET6 (16 bytes)
 * @src: the address in network order, any alignment
 */
void vs_addr_from_bytes(union vs_addr *a, int af, const void *src)
{
	uint32_t v4;

	if (af == AF_INET) {
		memcpy(&v4, src, 4);
		vs_addr_set_v4(a, v4);
	} else {
		memcpy(a->b, src, 16);
	}
}

/**
 * vs_addr_to_bytes() - An address in its wire form
 * @a:   address
 * @dst: 4 bytes for IPv4, 16 for IPv6, any alignment
 *
 * Return: bytes written
 */
size_t vs_addr_to_bytes(const union vs_addr *a, void *dst)
{
	if (vs_addr_is_v4(a)) {
		memcpy(dst, &a->v4mapped.a4, 4);
		return 4;
	}
	memcpy(dst, a->b, 16);
	return 16;
}

/**
 * vs_addr_add() - Add to an address as a number, within its family
 * @a: address, changed in place
 * @n: how much
 *
 * An IPv4 address wraps within 32 bits and stays IPv4; an IPv6 address is
 * a 128-bit big-endian number.
 */
void vs_addr_add(union vs_addr *a, uint64_t n)
{
	unsigned int carry, i;

	if (vs_addr_is_v4(a)) {
		a->w[3] = htonl(ntohl(a->w[3]) + (uint32_t)n);
		return;
	}
	for (i = 16, carry = 0; i-- > 0 && (n || carry); n >>= 8) {
		carry += a->b[i] + (unsigned int)(n & 0xff);
		a->b[i] = (uint8_t)carry;
		carry >>= 8;
	}
}

/* vs_prefix_max_len() - 32 for an IPv4 address, 128 for IPv6. */
unsigned int vs_prefix_max_len(const union vs_addr *a)
{
	return vs_addr_is_v4(a) ? 32 : 128;
}

/* vs_prefix_bits() - The prefix length counted over all 128 bits. */
unsigned int vs_prefix_bits(const struct vs_prefix *p)
{
	return vs_addr_is_v4(&p->addr) ? 96u + p->len : p->len;
}

/**
 * vs_addr_mask() - Keep the first @bits bits of an address, clear the rest
 * @out:  result (may be @a)
 * @a:    address
 * @bits: 0-128, counted over the 16-byte form
 */
void vs_addr_mask(union vs_addr *out, const union vs_addr *a, unsigned int bits)
{
	unsigned int i, keep;

	for (i = 0; i < 4; i++) {
		keep = bits >= 32 ? 32 : bits;
		bits -= keep;
		out->w[i] = keep ? a->w[i] & htonl(~0u << (32 - keep)) : 0;
	}
}

/* True if S is 1 to MAX decimal digits and nothing else (strtol alone
 * would take " 8" and "+8"). */
static bool vs_all_digits(const char *s, size_t max)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return i > 0 && i <= max;
}

/**
 * vs_prefix_parse() - Parse "a.b.c.d/len" or "x:y::z/len"
 * @s:      text
 * @p:      result; host bits cleared
 * @strict: refuse host bits set (a subnet), rather than clearing them
 * @err:    one-line reason on failure
 * @errlen: size of @err
 *
 * Return: 0 or -1
 */
int vs_prefix_parse(const char *s, struct vs_prefix *p, bool strict, char *err, size_t errlen)
{
	char buf[VS_PREFIX_STRLEN], *slash, a[VS_ADDR_STRLEN];
	struct vs_prefix r;
	union vs_addr addr;
	unsigned long len;

	if (!s || strlen(s) >= sizeof(buf))
		goto bad;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (!slash)
		goto bad;
	*slash = '\0';
	if (vs_addr_parse(buf, &addr) ||
	    !vs_all_digits(slash + 1, vs_addr_is_v4(&addr) ? 2 : 3))
		goto bad;	/* "/08" is 8, as it always was; "/008" is not */
	len = strtoul(slash + 1, NULL, 10);
	if (len > vs_prefix_max_len(&addr))
		goto bad;
	r.addr = addr;
	r.len = (uint8_t)len;
	vs_addr_mask(&r.addr, &addr, vs_prefix_bits(&r));
	if (strict && !vs_addr_eq(&r.addr, &addr)) {
		snprintf(err, errlen, "invalid CIDR %s: host bits set (did you mean %s/%lu?)",
			 s, vs_addr_str(&r.addr, a, sizeof(a)), len);
		return -1;
	}
	*p = r;
	return 0;
bad:
	snprintf(err, errlen, "invalid CIDR \"%s\": expected ADDRESS/LEN (a.b.c.d/0-32 or IPv6/0-128)",
		 s ? s : "");
	return -1;
}

/**
 * vs_prefix_str() - Format a prefix as "address/len"
 * @p:   prefix
 * @buf: output, VS_PREFIX_STRLEN bytes are always enough
 * @len: size of @buf
 *
 * Return: @buf
 */
const char *vs_prefix_str(const struct vs_prefix *p, char *buf, size_t len)
{
	char a[VS_ADDR_STRLEN];

	snprintf(buf, len, "%s/%u", vs_addr_str(&p->addr, a, sizeof(a)), p->len);
	return buf;
}

/**
 * vs_prefix_contains() - Is an address inside a prefix (same family only)?
 * @p: prefix
 * @a: address
 *
 * Return: true if @a is of @p's family and its first bits are @p's
 */
bool vs_prefix_contains(const struct vs_prefix *p, const union vs_addr *a)
{
	union vs_addr m;

	if (vs_addr_is_v4(&p->addr))
		return vs_addr_is_v4(a) && vs_prefix_contains_v4(p, a->w[3]);
	if (vs_addr_is_v4(a))
		return false;
	vs_addr_mask(&m, a, p->len);
	return vs_addr_eq(&m, &p->addr);
}

/* vs_prefix_overlap() - Do two prefixes of one family share an address? */
bool vs_prefix_overlap(const struct vs_prefix *a, const struct vs_prefix *b)
{
	unsigned int ba = vs_prefix_bits(a), bb = vs_prefix_bits(b);
	union vs_addr ma, mb;

	if (vs_addr_is_v4(&a->addr) != vs_addr_is_v4(&b->addr))
		return false;
	vs_addr_mask(&ma, &a->addr, ba < bb ? ba : bb);
	vs_addr_mask(&mb, &b->addr, ba < bb ? ba : bb);
	return vs_addr_eq(&ma, &mb);
}

/* vs_prefix_within() - Is every address of @inner also in @outer? */
bool vs_prefix_within(const struct vs_prefix *inner, const struct vs_prefix *outer)
{
	return inner->len >= outer->len && vs_prefix_contains(outer, &inner->addr);
}

/**
 * vs_prefix_is_broadcast() - Is @a the IPv4 broadcast address of @p?
 * @p: prefix
 * @a: address
 *
 * IPv6 has no broadcast address, and /31 and /32 IPv4 prefixes (RFC 3021)
 * have none either.
 *
 * Return: true if @a is the all-ones host of an IPv4 prefix up to /30
 */
bool vs_prefix_is_broadcast(const struct vs_prefix *p, const union vs_addr *a)
{
	uint32_t host;

	if (!vs_addr_is_v4(&p->addr) || !vs_addr_is_v4(a) || p->len > 30)
		return false;
	host = p->len ? ~htonl(~0u << (32 - p->len)) : ~0u;
	return a->w[3] == (p->addr.w[3] | host);
}

/* vs_prefix_size() - Addresses in @p, UINT64_MAX if it has more. */
uint64_t vs_prefix_size(const struct vs_prefix *p)
{
	unsigned int host = vs_prefix_max_len(&p->addr) - p->len;

	return host >= 64 ? UINT64_MAX : 1ull << host;
}
