/* addr.h - one address type for IPv4 and IPv6: union vs_addr, struct vs_prefix.
 *
 * Every address the switch keeps -- in the model, the state file, flow and
 * conntrack keys, NAT bindings, fdb neighbour data and DNS records -- is a
 * union vs_addr: 16 bytes in network order, an IPv4 address stored as its
 * IPv4-mapped IPv6 form ::ffff:a.b.c.d (RFC 4291 2.5.5.2), as passt's
 * union inany_addr does.  One layout for both families means a key, a hash
 * input or a comparison never branches on the family: equality is a 16-byte
 * compare, and the hash of a key covers the same bytes whichever family it
 * holds.  The family is read from the address itself (vs_addr_is_v4()).
 *
 * Hot path: an IPv4 frame's addresses become the mapped form once, at parse
 * time (vs_addr_set_v4() is two stores); code that only handles IPv4 reads
 * the 32-bit word back with vs_addr_v4() without converting anything.  No
 * formatting or allocation happens per packet: the string functions are for
 * the control plane, logs and the state file.
 *
 * A prefix (struct vs_prefix) keeps its length in its own family's bits
 * (0-32 for IPv4, 0-128 for IPv6), as users write it, so "172.18.0.0/16"
 * prints back unchanged; vs_prefix_bits() gives the 128-bit length.
 */
#ifndef VS_ADDR_H
#define VS_ADDR_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

union vs_addr {
	uint8_t b[16];
	uint32_t w[4];           /* words in network order, for fast compares */
	struct in6_addr a6;
	struct {
		uint8_t zero[10];
		uint8_t ones[2];     /* 0xff 0xff */
		uint32_t a4;         /* the IPv4 address, network order */
	} v4mapped;
};
_Static_assert(sizeof(union vs_addr) == 16, "vs_addr must be 16 bytes");

struct vs_prefix {
	union vs_addr addr;      /* host bits zero */
	uint8_t len;             /* in the family's bits: 0-32 or 0-128 */
};

/* Large enough for either family's text, and a prefix's "/128". */
#define VS_ADDR_STRLEN 46        /* INET6_ADDRSTRLEN */
#define VS_PREFIX_STRLEN (VS_ADDR_STRLEN + 4)

/**
 * vs_addr_set_v4() - Store an IPv4 address in its IPv4-mapped form
 * @a:  result
 * @be: IPv4 address, network order
 */
static inline void vs_addr_set_v4(union vs_addr *a, uint32_t be)
{
	a->w[0] = 0;
	a->w[1] = 0;
	a->w[2] = htonl(0xffff);
	a->w[3] = be;
}

/* vs_addr_v4() - An IPv4 address as a value (for initialisers). */
static inline union vs_addr vs_addr_v4(uint32_t be)
{
	union vs_addr a;

	vs_addr_set_v4(&a, be);
	return a;
}

/* vs_addr_is_v4() - True if @a is an IPv4 address (::ffff:0:0/96). */
static inline bool vs_addr_is_v4(const union vs_addr *a)
{
	return !a->w[0] && !a->w[1] && a->w[2] == htonl(0xffff);
}

/* vs_addr_get_v4() - The IPv4 address in @a, network order.  Only
 * meaningful if vs_addr_is_v4(); IPv4-only code that checked the family
 * once (at parse, or by the network's family) reads it without a test. */
static inline uint32_t vs_addr_get_v4(const union vs_addr *a)
{
	return a->w[3];
}

/* vs_addr_eq_v4() - Is @a the IPv4 address @be (network order)?  For the
 * IPv4 datapath comparing a header's field with a model address. */
static inline bool vs_addr_eq_v4(const union vs_addr *a, uint32_t be)
{
	return a->w[3] == be && vs_addr_is_v4(a);
}

/* vs_addr_family() - AF_INET or AF_INET6. */
static inline int vs_addr_family(const union vs_addr *a)
{
	return vs_addr_is_v4(a) ? AF_INET : AF_INET6;
}

/* vs_addr_eq() - Same address: one 16-byte compare, either family. */
static inline bool vs_addr_eq(const union vs_addr *a, const union vs_addr *b)
{
	return !((a->w[0] ^ b->w[0]) | (a->w[1] ^ b->w[1]) |
		 (a->w[2] ^ b->w[2]) | (a->w[3] ^ b->w[3]));
}

/* vs_addr_is_any() - The unspecified address of either family: "::" and
 * "0.0.0.0" both mean "any" (a zeroed union reads as "::"). */
static inline bool vs_addr_is_any(const union vs_addr *a)
{
	return !a->w[0] && !a->w[1] && (!a->w[2] || a->w[2] == htonl(0xffff)) &&
	       !a->w[3];
}

/* vs_addr_is_loopback() - 127.0.0.0/8 or ::1. */
static inline bool vs_addr_is_loopback(const union vs_addr *a)
{
	if (vs_addr_is_v4(a))
		return (ntohl(a->w[3]) >> 24) == 127;
	return !a->w[0] && !a->w[1] && !a->w[2] && a->w[3] == htonl(1);
}

/* vs_addr_cmp() - Total order (memcmp of the 16 bytes): IPv6 "::"-prefixed
 * addresses sort first, IPv4 together, in numeric order within each. */
static inline int vs_addr_cmp(const union vs_addr *a, const union vs_addr *b)
{
	return memcmp(a->b, b->b, sizeof(a->b));
}

/* vs_prefix_contains_v4() - Is the IPv4 address @be (network order) in
 * @p?  The IPv4 datapath's test: one mask and compare, no conversion. */
static inline bool vs_prefix_contains_v4(const struct vs_prefix *p, uint32_t be)
{
	uint32_t mask = p->len ? htonl(~0u << (32 - p->len)) : 0;

	return vs_addr_is_v4(&p->addr) && (be & mask) == p->addr.w[3];
}

/* addr.c */
int vs_addr_parse(const char *s, union vs_addr *a);
int vs_addr_parse_af(const char *s, int af, union vs_addr *a);
const char *vs_addr_str(const union vs_addr *a, char *buf, size_t len);
void vs_addr_from_bytes(union vs_addr *a, int af, const void *src);
size_t vs_addr_to_bytes(const union vs_addr *a, void *dst);
void vs_addr_add(union vs_addr *a, uint64_t n);

unsigned int vs_prefix_bits(const struct vs_prefix *p);
unsigned int vs_prefix_max_len(const union vs_addr *a);
void vs_addr_mask(union vs_addr *out, const union vs_addr *a, unsigned int bits);
int vs_prefix_parse(const char *s, struct vs_prefix *p, bool strict, char *err, size_t errlen);
const char *vs_prefix_str(const struct vs_prefix *p, char *buf, size_t len);
bool vs_prefix_contains(const struct vs_prefix *p, const union vs_addr *a);
bool vs_prefix_overlap(const struct vs_prefix *a, const struct vs_prefix *b);
bool vs_prefix_within(const struct vs_prefix *inner, const struct vs_prefix *outer);
bool vs_prefix_is_broadcast(const struct vs_prefix *p, const union vs_addr *a);
uint64_t vs_prefix_size(const struct vs_prefix *p);

#endif
