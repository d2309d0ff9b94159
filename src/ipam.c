/* ipam.c - CIDR parsing and Docker-compatible address allocation.
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
#include "ipam.h"

uint32_t ipam_mask(uint8_t len)
{
	return len ? htonl(~0u << (32 - len)) : 0;
}

int ipam_parse_ip(const char *s, uint32_t *addr)
{
	struct in_addr a;

	if (!s || inet_pton(AF_INET, s, &a) != 1)
		return -1;
	*addr = a.s_addr;
	return 0;
}

/* True if S is 1 to MAX decimal digits and nothing else. */
static bool ipam_all_digits(const char *s, size_t max)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return i > 0 && i <= max;
}

/**
 * ipam_parse_cidr() - Parse "a.b.c.d/len"
 * @s:      text
 * @c:      result; host bits cleared
 * @strict: refuse host bits set (a subnet), rather than clearing them
 * @err:    one-line reason on failure
 * @errlen: size of @err
 *
 * Return: 0 or -1
 */
int ipam_parse_cidr(const char *s, struct vs_cidr *c, bool strict, char *err, size_t errlen)
{
	char buf[32], *slash, *end;
	long len;
	uint32_t addr;

	if (!s || strlen(s) >= sizeof(buf))
		goto bad;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (!slash)
		goto bad;
	*slash = '\0';
	if (!ipam_all_digits(slash + 1, 2))
		goto bad;	/* strtol alone would take " 8" and "+8" */
	len = strtol(slash + 1, &end, 10);
	if (*end || len > 32 || ipam_parse_ip(buf, &addr))
		goto bad;
	if (strict && (addr & ~ipam_mask((uint8_t)len))) {
		snprintf(err, errlen, "invalid CIDR %s: host bits set (did you mean %s/%ld?)",
			 s, inet_ntoa((struct in_addr){ addr & ipam_mask((uint8_t)len) }), len);
		return -1;
	}
	c->len = (uint8_t)len;
	c->addr = addr & ipam_mask(c->len);
	return 0;
bad:
	snprintf(err, errlen, "invalid CIDR \"%s\": expected a.b.c.d/len", s ? s : "");
	return -1;
}

bool ipam_cidr_contains(const struct vs_cidr *c, uint32_t addr)
{
	return (addr & ipam_mask(c->len)) == c->addr;
}

bool ipam_cidr_overlap(const struct vs_cidr *a, const struct vs_cidr *b)
{
	uint8_t len = a->len < b->len ? a->len : b->len;

	return (a->addr & ipam_mask(len)) == (b->addr & ipam_mask(len));
}

bool ipam_cidr_within(const struct vs_cidr *inner, const struct vs_cidr *outer)
{
	return inner->len >= outer->len && ipam_cidr_contains(outer, inner->addr);
}

const char *ipam_ntoa(uint32_t addr, char buf[16])
{
	return inet_ntop(AF_INET, &addr, buf, 16);
}

const char *ipam_cidr_str(const struct vs_cidr *c, char buf[20])
{
	char a[16];

	snprintf(buf, 20, "%s/%u", ipam_ntoa(c->addr, a), c->len);
	return buf;
}

/* True if no existing network's subnet overlaps C (EXCEPT is ignored). */
bool ipam_subnet_free(const struct vs_cidr *c, const struct network *except)
{
	struct network *n, *tmp;

	HASH_ITER(hh, g_model.networks, n, tmp)
		if (n != except && ipam_cidr_overlap(&n->subnet, c))
			return false;
	return true;
}

/* The pools of DESIGN.md, in order: /16s of 172.18-31, then /20s of 192.168. */
int ipam_auto_subnet(struct vs_cidr *out)
{
	unsigned int i;
	struct vs_cidr c;

	for (i = 18; i <= 31; i++) {
		c.addr = htonl((172u << 24) | (i << 16));
		c.len = 16;
		if (ipam_subnet_free(&c, NULL))
			goto found;
	}
	for (i = 0; i < 16; i++) {
		c.addr = htonl((192u << 24) | (168u << 16) | (i << 12));
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
bool ipam_reserved(const struct network *n, uint32_t addr)
{
	uint32_t mask = ipam_mask(n->subnet.len);
	int i;

	if (n->subnet.len <= 30 &&
	    (addr == n->subnet.addr || addr == (n->subnet.addr | ~mask)))
		return true;
	if (addr == n->gateway)
		return true;
	for (i = 0; i < n->n_aux; i++)
		if (n->aux[i].addr == addr)
			return true;
	return false;
}

int ipam_alloc(const struct network *n, uint32_t *addr, char *err, size_t errlen)
{
	const struct vs_cidr *r = n->ip_range.len ? &n->ip_range : &n->subnet;
	uint64_t size = 1ull << (32 - r->len), i;
	uint32_t base = ntohl(r->addr), a;

	for (i = 0; i < size; i++) {
		a = htonl(base + (uint32_t)i);
		if (!ipam_cidr_contains(&n->subnet, a) || ipam_reserved(n, a) ||
		    model_ip_in_use(n, a))
			continue;
		*addr = a;
		return 0;
	}
	snprintf(err, errlen, "no free address left in network %s", n->name);
	return -1;
}

/* A fixed --ip must be inside the subnet, not reserved and not taken. */
int ipam_check_fixed(const struct network *n, uint32_t addr, char *err, size_t errlen)
{
	char a[16], s[20];
	struct endpoint *ep;

	if (!ipam_cidr_contains(&n->subnet, addr)) {
		snprintf(err, errlen, "address %s is outside network %s's subnet %s",
			 ipam_ntoa(addr, a), n->name, ipam_cidr_str(&n->subnet, s));
		return -1;
	}
	ep = model_endpoint_by_ip(n, addr);
	if (ep) {
		snprintf(err, errlen, "address %s is already in use by container %s on network %s",
			 ipam_ntoa(addr, a), ep->ctr->name, n->name);
		return -1;
	}
	if (ipam_reserved(n, addr)) {
		snprintf(err, errlen, "address %s is reserved in network %s (network, broadcast, gateway or aux address)",
			 ipam_ntoa(addr, a), n->name);
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
