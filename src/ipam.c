/* ipam.c - address policy and Docker-compatible address allocation.
 *
 * Allocation walks the range in order from its first usable address and
 * takes the first one that is not reserved (network, broadcast, gateway,
 * aux) and not in use.  In-use checks are hash lookups, so the walk costs
 * O(addresses handed out), which for a container network is small; it runs
 * only on `network connect`, never per packet.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include "ipam.h"

uint32_t ipam_mask(uint8_t len)
{
	return len ? htonl(~0u << (32 - len)) : 0;
}

/* An IPv4 address only: the first subnet's family (ipam_parse_ip6 for the second). */
int ipam_parse_ip(const char *s, union vs_addr *addr)
{
	return vs_addr_parse_af(s, AF_INET, addr);
}

/**
 * ipam_parse_cidr() - Parse a network's "a.b.c.d/len"
 * @s:      text
 * @c:      result; host bits cleared
 * @strict: refuse host bits set (a subnet), rather than clearing them
 * @err:    one-line reason on failure
 * @errlen: size of @err
 *
 * Return: 0 or -1 (also for a well-formed IPv6 prefix, with its own reason)
 */
int ipam_parse_cidr(const char *s, struct vs_prefix *c, bool strict, char *err, size_t errlen)
{
	struct vs_prefix p;

	if (vs_prefix_parse(s, &p, strict, err, errlen))
		return -1;
	if (!vs_addr_is_v4(&p.addr)) {
		snprintf(err, errlen, "invalid CIDR \"%s\": a network's first subnet is IPv4; "
			 "an IPv6 one goes beside it, with --ipv6", s);
		return -1;
	}
	*c = p;
	return 0;
}

/* For the IPv4 datapath's logs, which hold a header's 32-bit address. */
const char *ipam_ntoa(uint32_t addr, char buf[16])
{
	return inet_ntop(AF_INET, &addr, buf, 16);
}

/* True if no existing network's subnet overlaps C (EXCEPT is ignored). */
bool ipam_subnet_free(const struct vs_prefix *c, const struct network *except)
{
	struct network *n, *tmp;

	HASH_ITER(hh, g_model.networks, n, tmp)
		if (n != except && vs_prefix_overlap(&n->subnet, c))
			return false;
	return true;
}

/* The pools of DESIGN.md, in order: /16s of 172.18-31, then /20s of 192.168. */
int ipam_auto_subnet(struct vs_prefix *out)
{
	unsigned int i;
	struct vs_prefix c;

	for (i = 18; i <= 31; i++) {
		vs_addr_set_v4(&c.addr, htonl((172u << 24) | (i << 16)));
		c.len = 16;
		if (ipam_subnet_free(&c, NULL))
			goto found;
	}
	for (i = 0; i < 16; i++) {
		vs_addr_set_v4(&c.addr, htonl((192u << 24) | (168u << 16) | (i << 12)));
		c.len = 20;
		if (ipam_subnet_free(&c, NULL))
			goto found;
	}
	return -1;
found:
	*out = c;
	return 0;
}

/* Network, broadcast, gateway and aux addresses are never handed out. */
bool ipam_reserved(const struct network *n, const union vs_addr *addr)
{
	int i;

	if (vs_addr_is_v4(addr) && n->subnet.len <= 30 &&
	    (vs_addr_eq(addr, &n->subnet.addr) || vs_prefix_is_broadcast(&n->subnet, addr)))
		return true;
	if (vs_addr_eq(addr, &n->gateway))
		return true;
	for (i = 0; i < n->n_aux; i++)
		if (vs_addr_eq(&n->aux[i].addr, addr))
			return true;
	return false;
}

/**
 * ipam_alloc() - The next free address of a network, in Docker's order
 * @n:      network
 * @addr:   result
 * @err:    one-line reason on failure
 * @errlen: size of @err
 *
 * Walks --ip-range (else the subnet) from its first address; the walk is
 * bounded by the range's size (at most 2^32 steps for IPv4, and the loop
 * ends at the first free address, which is near the start in practice).
 *
 * Return: 0 or -1
 */
int ipam_alloc(const struct network *n, union vs_addr *addr, char *err, size_t errlen)
{
	return ipam_alloc_after(n, NULL, addr, err, errlen);
}

/**
 * ipam_alloc_after() - ipam_alloc(), from the address after AFTER
 * @n:      network
 * @after:  an address of the range that must be passed over (one in use on
 *          a LAN, lan_probe.c), or NULL: from the range's start
 * @addr:   result
 * @err:    one-line reason on failure
 * @errlen: size of @err
 *
 * Return: 0 or -1
 */
int ipam_alloc_after(const struct network *n, const union vs_addr *after, union vs_addr *addr,
		     char *err, size_t errlen)
{
	const struct vs_prefix *r = n->ip_range.len ? &n->ip_range : &n->subnet;
	uint64_t size = vs_prefix_size(r), i;
	union vs_addr a = r->addr;
	bool past = !after;

	for (i = 0; i < size; i++, vs_addr_add(&a, 1)) {
		if (!past) {
			past = vs_addr_eq(&a, after);
			continue;
		}
		if (!vs_prefix_contains(&n->subnet, &a) || ipam_reserved(n, &a) ||
		    model_ip_in_use(n, &a) || (ipam_remote_taken && ipam_remote_taken(n, &a)))
			continue;
		*addr = a;
		return 0;
	}
	snprintf(err, errlen, "no free address left in network %s", n->name);
	return -1;
}

bool (*ipam_remote_taken)(const struct network *n, const union vs_addr *addr);

/* A fixed --ip must be inside the subnet, not reserved and not taken. */
int ipam_check_fixed(const struct network *n, const union vs_addr *addr, char *err, size_t errlen)
{
	char a[VS_ADDR_STRLEN], s[VS_PREFIX_STRLEN];
	struct endpoint *ep;

	vs_addr_str(addr, a, sizeof(a));
	if (!vs_prefix_contains(&n->subnet, addr)) {
		snprintf(err, errlen, "address %s is outside network %s's subnet %s",
			 a, n->name, vs_prefix_str(&n->subnet, s, sizeof(s)));
		return -1;
	}
	ep = model_endpoint_by_ip(n, addr);
	if (ep) {
		snprintf(err, errlen, "address %s is already in use by container %s on network %s",
			 a, ep->ctr->name, n->name);
		return -1;
	}
	if (ipam_remote_taken && ipam_remote_taken(n, addr)) {
		snprintf(err, errlen, "address %s is already in use on another host of network %s",
			 a, n->name);
		return -1;
	}
	if (ipam_reserved(n, addr)) {
		snprintf(err, errlen, "address %s is reserved in network %s (network, broadcast, gateway or aux address)",
			 a, n->name);
		return -1;
	}
	return 0;
}

/* ---- IPv6: the second subnet of a --ipv6 network ---- */

int ipam_parse_ip6(const char *s, union vs_addr *addr)
{
	return vs_addr_parse_af(s, AF_INET6, addr);
}

/**
 * ipam_parse_cidr6() - Parse a network's IPv6 subnet or range "x::/len"
 * @s:      text
 * @c:      result
 * @err:    one-line reason on failure
 * @errlen: size of @err
 *
 * Host bits set are refused (with vs_prefix_parse's suggestion); so are
 * IPv4 prefixes, and prefixes longer than /124, whose 16 addresses leave
 * little once the subnet-router anycast address and the gateway are out.
 *
 * Return: 0 or -1
 */
int ipam_parse_cidr6(const char *s, struct vs_prefix *c, char *err, size_t errlen)
{
	struct vs_prefix p;

	if (vs_prefix_parse(s, &p, true, err, errlen))
		return -1;
	if (vs_addr_is_v4(&p.addr)) {
		snprintf(err, errlen, "invalid IPv6 CIDR \"%s\": an IPv4 prefix", s);
		return -1;
	}
	if (p.len > 124) {
		snprintf(err, errlen, "IPv6 subnet %s is too small (at most /124)", s);
		return -1;
	}
	*c = p;
	return 0;
}

/* True if no existing network's IPv6 subnet overlaps C (EXCEPT ignored). */
bool ipam_subnet6_free(const struct vs_prefix *c, const struct network *except)
{
	struct network *n, *tmp;

	HASH_ITER(hh, g_model.networks, n, tmp)
		if (n != except && n->ipv6 && vs_prefix_overlap(&n->subnet6, c))
			return false;
	return true;
}

/* The host's ULA /48: fd00::/8 + 40 random bits (RFC 4193 3.2), drawn
 * once; a failed draw is an error, never a fixed prefix that two hosts
 * would share. */
static int ipam_ula_pool(void)
{
	struct vs_prefix *p = &g_model.ula_pool;

	if (p->len)
		return 0;
	memset(p, 0, sizeof(*p));
	p->addr.b[0] = 0xfd;
	if (getrandom(&p->addr.b[1], 5, 0) != 5)
		return -1;
	p->len = 48;
	return 0;
}

/* The first free /64 of the host's ULA /48. */
int ipam_auto_subnet6(struct vs_prefix *out)
{
	struct vs_prefix c;
	unsigned int i;

	if (ipam_ula_pool())
		return -1;
	for (i = 0; i < 65536; i++) {
		c = g_model.ula_pool;
		c.addr.b[6] = (uint8_t)(i >> 8);
		c.addr.b[7] = (uint8_t)i;
		c.len = 64;
		if (ipam_subnet6_free(&c, NULL)) {
			*out = c;
			return 0;
		}
	}
	return -1;
}

/* The subnet-router anycast address (all host bits zero, RFC 4291 2.6.1)
 * and the gateway are never handed out. */
static bool ipam_reserved6(const struct network *n, const union vs_addr *addr)
{
	return vs_addr_eq(addr, &n->subnet6.addr) || vs_addr_eq(addr, &n->gateway6);
}

/**
 * ipam_alloc6() - The next free IPv6 address of a network, in order
 * @n:      network (n->ipv6)
 * @addr:   result
 * @err:    one-line reason on failure
 * @errlen: size of @err
 *
 * Walks --ip-range (else the subnet) from its first address, as
 * ipam_alloc() does.  Each address skipped is reserved (two) or held by an
 * endpoint, so the walk ends within endpoints + 3 steps, however large the
 * prefix.
 *
 * Return: 0 or -1
 */
int ipam_alloc6(const struct network *n, union vs_addr *addr, char *err, size_t errlen)
{
	const struct vs_prefix *r = n->ip_range6.len ? &n->ip_range6 : &n->subnet6;
	uint64_t size = vs_prefix_size(r), i;
	union vs_addr a = r->addr;

	for (i = 0; i < size; i++, vs_addr_add(&a, 1)) {
		if (!vs_prefix_contains(&n->subnet6, &a) || ipam_reserved6(n, &a) ||
		    model_endpoint_by_ip6(n, &a))
			continue;
		*addr = a;
		return 0;
	}
	snprintf(err, errlen, "no free IPv6 address left in network %s", n->name);
	return -1;
}

/* A fixed --ip6 must be inside the IPv6 subnet, not reserved, not taken. */
int ipam_check_fixed6(const struct network *n, const union vs_addr *addr, char *err, size_t errlen)
{
	char a[VS_ADDR_STRLEN], s[VS_PREFIX_STRLEN];
	struct endpoint *ep;

	vs_addr_str(addr, a, sizeof(a));
	if (!n->ipv6) {
		snprintf(err, errlen, "network %s has no IPv6 subnet (create it with --ipv6)", n->name);
		return -1;
	}
	if (!vs_prefix_contains(&n->subnet6, addr)) {
		snprintf(err, errlen, "address %s is outside network %s's subnet %s",
			 a, n->name, vs_prefix_str(&n->subnet6, s, sizeof(s)));
		return -1;
	}
	ep = model_endpoint_by_ip6(n, addr);
	if (ep) {
		snprintf(err, errlen, "address %s is already in use by container %s on network %s",
			 a, ep->ctr->name, n->name);
		return -1;
	}
	if (ipam_reserved6(n, addr)) {
		snprintf(err, errlen, "address %s is reserved in network %s (subnet-router anycast or gateway)",
			 a, n->name);
		return -1;
	}
	return 0;
}

int ipam_parse_mac(const char *s, uint8_t mac[6])
{
	unsigned int b[6];
	char extra;
	int i;

	/* Exactly xx:xx:xx:xx:xx:xx, hex digits only: sscanf's %x would also
	 * take spaces and signs. */
	for (i = 0; s && i < 17; i++)
		if (i % 3 == 2 ? s[i] != ':' : !isxdigit((unsigned char)s[i]))
			return -1;
	if (!s || sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2],
			 &b[3], &b[4], &b[5], &extra) != 6 || strlen(s) != 17)
		return -1;
	for (i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
	if (mac[0] & 1)
		return -1;	/* multicast: not a station address */
	return 0;
}

const char *ipam_mac_str(const uint8_t mac[6], char buf[18])
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x",
		 mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
	return buf;
}
