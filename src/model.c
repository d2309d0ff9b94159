/* model.c - lookups over networks, containers and endpoints, and the
 * rules for their names.
 *
 * The control plane owns the objects; this file only finds them.  Per-packet
 * callers (gateway, NAT, DNS) use the hashed lookups: model_endpoint_by_ip()
 * is O(1) through each network's by_ip table.
 *
 * The name rules live here, beside the model, because two paths make
 * objects: the commands (cmd_*.c) and the state loader (state.c).  Each
 * had its own copy once, and the loader's were looser: it took a
 * container key no command accepts, made it the DNS name, and then
 * refused its own save (fuzz_state).  Both now ask the same functions.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "control.h"
#include "model.h"
#include "overlay.h"

struct model g_model;

/* The network bound under NAME (a Docker network's name): a walk over
 * every network, but only for a name no network has, which the datapath
 * never asks for. */
static struct network *model_network_bound(const struct model *m, const char *name)
{
	struct network *n, *tmp;
	int i;

	HASH_ITER(hh, m->networks, n, tmp)
		for (i = 0; i < n->n_bound; i++)
			if (!strcmp(n->bound[i], name))
				return n;
	return NULL;
}

/* model_network_in() - The network NAME (or bound under NAME) in M: for
 * the datapath, which holds its model (dp->model) instead of the global. */
struct network *model_network_in(const struct model *m, const char *name)
{
	struct network *n;

	HASH_FIND_STR(m->networks, name, n);
	return n ? n : model_network_bound(m, name);
}

struct container *model_container_in(const struct model *m, const char *name)
{
	struct container *c;

	HASH_FIND_STR(m->containers, name, c);
	return c;
}

struct network *model_network(const char *name)
{
	return model_network_in(&g_model, name);
}

struct container *model_container(const char *name)
{
	return model_container_in(&g_model, name);
}

struct endpoint *model_endpoint(const struct network *n, const struct container *c)
{
	struct endpoint *ep;

	/* A container has a handful of endpoints: a short list walk. */
	LIST_FOREACH(ep, &c->endpoints, ctr_link)
		if (ep->net == n)
			return ep;
	return NULL;
}

/* The table is keyed on all 16 bytes of the address, either family. */
struct endpoint *model_endpoint_by_ip(const struct network *n, const union vs_addr *ip)
{
	struct endpoint *ep;

	HASH_FIND(hh_ip, n->by_ip, ip, sizeof(*ip), ep);
	return ep;
}

/* For the IPv4 datapath, which holds a header's 32-bit address. */
struct endpoint *model_endpoint_by_ip4(const struct network *n, uint32_t ip)
{
	union vs_addr a = vs_addr_v4(ip);

	return model_endpoint_by_ip(n, &a);
}

bool model_ip_in_use(const struct network *n, const union vs_addr *ip)
{
	return model_endpoint_by_ip(n, ip) != NULL;
}

/* The endpoint whose IPv6 address is IP6.  A walk of the network's
 * endpoints: only control commands (IPAM, connect) ask, and they see an
 * address the moment it is set, linked or not. */
struct endpoint *model_endpoint_by_ip6(const struct network *n, const union vs_addr *ip6)
{
	struct endpoint *ep;

	LIST_FOREACH(ep, &n->endpoints, net_link)
		if (vs_addr_eq(&ep->ip6, ip6))
			return ep;
	return NULL;
}

/* The same for the datapath (every routed IPv6 packet: NAT66 replies):
 * a hash of the endpoints linked with their IPv6 address (connect and
 * the state load set it before model_endpoint_link()).  "::" is nobody's. */
struct endpoint *model_endpoint_by_ip6_fast(const struct network *n, const union vs_addr *ip6)
{
	struct endpoint *ep;

	if (vs_addr_is_any(ip6))
		return NULL;
	HASH_FIND(hh_ip6, n->by_ip6, ip6, sizeof(*ip6), ep);
	return ep;
}

/* Docker's rule: 02:42 followed by the four bytes of the IPv4 address (an
 * IPv6 address gives its last four bytes, which are where a mapped IPv4
 * address keeps its own). */
void model_mac_from_ip(const union vs_addr *ip, uint8_t mac[6])
{
	mac[0] = 0x02;
	mac[1] = 0x42;
	memcpy(mac + 2, &ip->b[12], 4);
}

/*
 * The gateway's MAC comes from the network id, so it is stable across
 * restarts (containers' ARP caches stay valid) and differs per network.
 * The first octet 0x06 is locally administered unicast and never collides
 * with the containers' 02:42 prefix.
 */
void model_gw_mac(const struct network *n, uint8_t mac[6])
{
	unsigned int i, v;

	mac[0] = 0x06;
	for (i = 1; i < 6; i++) {
		if (sscanf(n->id + 2 * (i - 1), "%2x", &v) != 1)
			v = i;
		mac[i] = (uint8_t)v;
	}
}

/**
 * model_container_del() - Take C, its endpoints and published ports out of
 * the model and free them (the model only: no port, rule or file is
 * touched; the state journal's replay and model_clear() use it)
 */
void model_container_del(struct container *c)
{
	struct endpoint *ep;
	struct published *pp;

	while ((ep = LIST_FIRST(&c->endpoints))) {
		model_endpoint_unlink(ep);
		free(ep);
	}
	while ((pp = LIST_FIRST(&c->published))) {
		LIST_REMOVE(pp, link);
		free(pp);
	}
	HASH_DEL(g_model.containers, c);
	free(c);
}

void model_clear(void)
{
	struct network *n, *ntmp;
	struct container *c, *ctmp;

	HASH_ITER(hh, g_model.containers, c, ctmp)
		model_container_del(c);
	HASH_ITER(hh, g_model.networks, n, ntmp) {
		HASH_DEL(g_model.networks, n);
		overlay_free(n);
		free(n);
	}
	memset(&g_model.ula_pool, 0, sizeof(g_model.ula_pool));
}

/* Put EP on its network's and container's lists and in the address hash. */
void model_endpoint_link(struct endpoint *ep)
{
	LIST_INSERT_HEAD(&ep->net->endpoints, ep, net_link);
	LIST_INSERT_HEAD(&ep->ctr->endpoints, ep, ctr_link);
	HASH_ADD(hh_ip, ep->net->by_ip, ip, sizeof(ep->ip), ep);
	/* ip6 is set before the link (connect, state load) and kept */
	ep->in_by_ip6 = !vs_addr_is_any(&ep->ip6);
	if (ep->in_by_ip6)
		HASH_ADD(hh_ip6, ep->net->by_ip6, ip6, sizeof(ep->ip6), ep);
}

void model_endpoint_unlink(struct endpoint *ep)
{
	LIST_REMOVE(ep, net_link);
	LIST_REMOVE(ep, ctr_link);
	HASH_DELETE(hh_ip, ep->net->by_ip, ep);
	if (ep->in_by_ip6)
		HASH_DELETE(hh_ip6, ep->net->by_ip6, ep);
	ep->in_by_ip6 = false;
}

struct container *model_container_add(const char *name, const char *netns_ref)
{
	struct container *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	snprintf(c->name, sizeof(c->name), "%s", name);
	/* the key is the DNS name until the caller says otherwise */
	if (strlen(name) < sizeof(c->dns_name))
		memcpy(c->dns_name, name, strlen(name) + 1);
	snprintf(c->netns_ref, sizeof(c->netns_ref), "%s", netns_ref ? netns_ref : "");
	c->netns_fd = -1;
	LIST_INIT(&c->endpoints);
	LIST_INIT(&c->published);
	HASH_ADD_STR(g_model.containers, name, c);
	return c;
}

/* The first endpoint of a container by connection order: the one whose
 * network gives the default route (and the resolver). */
struct endpoint *model_first_endpoint(const struct container *c)
{
	struct endpoint *ep, *best = NULL;

	LIST_FOREACH(ep, &c->endpoints, ctr_link)
		if (!best || ep->conn_order < best->conn_order)
			best = ep;
	return best;
}

/* The driver's name, as `network inspect` and the state file spell it
 * ("vswitch" for the bridge: what inspect has always said). */
const char *model_driver_name(enum net_driver d)
{
	switch (d) {
	case NET_DRIVER_MACVLAN: return "macvlan";
	case NET_DRIVER_IPVLAN: return "ipvlan";
	case NET_DRIVER_OVERLAY: return "overlay";
	default: return "vswitch";
	}
}

/* "bridge" (or "vswitch", or nothing), "macvlan", "ipvlan" or "overlay";
 * -1 else. */
int model_driver_parse(const char *s, enum net_driver *d)
{
	if (!s || !strcmp(s, "bridge") || !strcmp(s, "vswitch"))
		*d = NET_DRIVER_BRIDGE;
	else if (!strcmp(s, "macvlan"))
		*d = NET_DRIVER_MACVLAN;
	else if (!strcmp(s, "ipvlan"))
		*d = NET_DRIVER_IPVLAN;
	else if (!strcmp(s, "overlay"))
		*d = NET_DRIVER_OVERLAY;
	else
		return -1;
	return 0;
}

/* ---- names ---- */

/* model_name_ok() - A network's or aux address's name: 1 to VS_NAME_MAX-1
 * of Docker's characters (letters, digits, . _ -). */
bool model_name_ok(const char *s)
{
	size_t len = s ? strlen(s) : 0;

	return len && len < VS_NAME_MAX && ctl_name_chars_ok(s);
}

/* model_dns_name_ok() - A name DNS answers for (a container's DNS name, an
 * alias) or a network's bound name: as model_name_ok(), and not starting
 * with - or . (a label, never an option or a relative name). */
bool model_dns_name_ok(const char *s)
{
	return model_name_ok(s) && s[0] != '-' && s[0] != '.';
}

/* model_ckey_ok() - A container key: the same characters and first
 * character as a DNS name, up to VS_CKEY_MAX-1 (a CNI container id). */
bool model_ckey_ok(const char *s)
{
	size_t len = s ? strlen(s) : 0;

	return len && len < VS_CKEY_MAX && s[0] != '-' && s[0] != '.' && ctl_name_chars_ok(s);
}

/* model_owner_ok() - An endpoint's owner tag: WORD or WORD:NAME ("vsctl",
 * "docker", "cni:n1"), shorter than VS_OWNER_MAX. */
bool model_owner_ok(const char *s)
{
	char buf[VS_OWNER_MAX], *colon;

	if (!s || !*s || strlen(s) >= sizeof(buf))
		return false;
	memcpy(buf, s, strlen(s) + 1);
	colon = strchr(buf, ':');
	if (colon)
		*colon = '\0';
	return buf[0] && ctl_name_chars_ok(buf) &&
	       (!colon || (colon[1] && ctl_name_chars_ok(colon + 1)));
}
