/* lan_ctl.c - the control side of networks on the uplink's LAN.
 *
 * `network create --driver macvlan -o parent=UPLINK`: the parent is one
 * of vswitchd's uplinks, named by its interface ("eth1"), its spec
 * ("afpacket:eth1") or its port ("uplink", "uplink2"); without one, the
 * first uplink.  An --internal LAN network joins no uplink: its containers
 * reach each other only.  What such a network gives up is refused when it
 * is created, in one line: a gateway of ours (the LAN's router is the
 * gateway), DNS interception, published ports (publish.c).
 *
 * Joining the LAN (lan_attach, at create and at start-up) puts the network
 * on its uplink's list, which makes the uplink's port promiscuous while
 * the list is not empty (uplink.c): the LAN's frames for the containers'
 * own MACs must reach the switch.  An uplink that is gone after a restart
 * leaves the network local, with a warning; it is not refused, so the
 * state still loads.
 *
 * The host's way in: the kernel's macvlan keeps the host from its own
 * containers; here each container of a LAN network that is not
 * --internal gets a /32 route in vswitchd's namespace through the host
 * leg (169.254.169.2, uplink.c), added when its port is wired and removed
 * when it goes.  A /32 beats the LAN's own on-link prefix, so the host
 * reaches its containers and still reaches the rest of the LAN directly.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <netlink/netlink.h>
#include <netlink/route/route.h>
#include "dp.h"
#include "lan.h"
#include "log.h"
#include "model.h"
#include "uplink.h"

/* lan_uplink_find() - The uplink PARENT names ("": the first), or NULL. */
struct uplink *lan_uplink_find(const struct dp *dp, const char *parent)
{
	unsigned int i;

	if (!dp || !dp->n_uplinks)
		return NULL;
	if (!parent || !*parent)
		return dp->uplinks[0];
	for (i = 0; i < dp->n_uplinks; i++)
		if (uplink_matches(dp->uplinks[i], parent))
			return dp->uplinks[i];
	return NULL;
}

/* lan_check_parent() - Resolve N's parent to an uplink's interface name. */
static int lan_check_parent(const struct dp *dp, struct network *n, char *err, size_t errlen)
{
	struct uplink *ul = lan_uplink_find(dp, n->parent);
	struct network *const *nets;

	if (!ul && !*n->parent) {
		snprintf(err, errlen, "a %s network needs an uplink (vswitchd --uplink), or --internal",
			 model_driver_name(n->driver));
		return -1;
	}
	if (!ul) {
		snprintf(err, errlen, "parent %s is not an uplink of vswitchd", n->parent);
		return -1;
	}
	if (!n->internal && uplink_lan_nets(ul, &nets) >= LAN_MAX_PER_UPLINK) {
		snprintf(err, errlen, "uplink %s carries %d LAN networks already", uplink_ifname(ul),
			 LAN_MAX_PER_UPLINK);
		return -1;
	}
	snprintf(n->parent, sizeof(n->parent), "%s", uplink_ifname(ul));
	return 0;
}

/**
 * lan_check() - Check a new LAN network's settings, fill in its parent
 * @dp:		the datapath (its uplinks)
 * @n:		the network, driver, parent and flags filled from the request
 * @err:	one-line reason
 * @errlen:	size of @err
 *
 * Return: 0 or -1
 */
int lan_check(const struct dp *dp, struct network *n, char *err, size_t errlen)
{
	if (!model_net_is_lan(n)) {
		if (*n->parent) {
			snprintf(err, errlen, "-o parent is for --driver macvlan or ipvlan");
			return -1;
		}
		return 0;
	}
	if (n->driver == NET_DRIVER_IPVLAN && n->ipv6) {
		snprintf(err, errlen, "--ipv6 is not there for ipvlan networks (neighbour discovery "
			 "would carry the containers' MACs): use macvlan");
		return -1;
	}
	if (n->dns_intercept) {
		snprintf(err, errlen, "--dns-intercept is for bridge networks: a %s network's "
			 "traffic goes to the LAN as it is", model_driver_name(n->driver));
		return -1;
	}
	if (n->internal && !*n->parent)
		return 0;
	return lan_check_parent(dp, n, err, errlen);
}

/* lan_dns_aux() - N's --aux-address dns=IP, or NULL. */
static const union vs_addr *lan_dns_aux(const struct network *n)
{
	int i;

	for (i = 0; i < n->n_aux; i++)
		if (!strcmp(n->aux[i].name, "dns"))
			return &n->aux[i].addr;
	return NULL;
}

/**
 * lan_dns_setup() - Name DNS on a LAN network: at --aux-address dns=IP
 * @n:		a LAN network
 * @want:	DNS asked for (not --no-dns)
 *
 * The resolver answers at the gateway's address on a bridge network; a
 * LAN network's gateway is the LAN's router, so the resolver needs an
 * address of its own, reserved like any aux address.  Without one there
 * is no name DNS.
 */
void lan_dns_setup(struct network *n, bool want)
{
	const union vs_addr *a = lan_dns_aux(n);

	memset(&n->lan_dns, 0, sizeof(n->lan_dns));
	n->dns = want && a;
	if (n->dns)
		n->lan_dns = *a;
}

/* lan_attach() - Join N (a LAN network, not --internal) to its uplink. */
void lan_attach(struct dp *dp, struct network *n)
{
	struct uplink *ul;

	if (!model_net_is_lan(n))
		return;
	lan_dns_setup(n, n->dns);
	if (n->internal || n->lan_ul)
		return;
	ul = lan_uplink_find(dp, n->parent);
	if (!ul) {
		log_warn("network %s: parent %s is not an uplink: its containers stay local",
			 n->name, n->parent);
		return;
	}
	if (uplink_lan_join(ul, n) < 0) {
		log_warn("network %s: cannot join the LAN of %s: %s", n->name, n->parent,
			 strerror(errno));
		return;
	}
	n->lan_ul = ul;
	n->lan_port = uplink_port(ul);
	log_info("network %s on the LAN of %s (%s)", n->name, n->parent,
		 model_driver_name(n->driver));
}

/* lan_detach() - N leaves its uplink's LAN (network rm). */
void lan_detach(struct network *n)
{
	if (!n->lan_ul)
		return;
	uplink_lan_leave(n->lan_ul, n);
	n->lan_ul = NULL;
	n->lan_port = NULL;
}

/* lan_route() - Add (or delete) DST/32 via the host leg in our namespace. */
static int lan_route(uint32_t dst, uint32_t via, bool add)
{
	struct nl_sock *sk = nl_socket_alloc();
	struct rtnl_route *r = rtnl_route_alloc();
	struct rtnl_nexthop *nh = rtnl_route_nh_alloc();
	struct nl_addr *d = nl_addr_build(AF_INET, &dst, 4);
	struct nl_addr *gw = nl_addr_build(AF_INET, &via, 4);
	int rc = -NLE_NOMEM;

	if (sk && r && nh && d && gw && (rc = nl_connect(sk, NETLINK_ROUTE)) == 0) {
		rtnl_route_set_family(r, AF_INET);
		rtnl_route_set_table(r, RT_TABLE_MAIN);
		rtnl_route_set_scope(r, RT_SCOPE_UNIVERSE);
		rtnl_route_set_protocol(r, RTPROT_STATIC);
		rtnl_route_set_dst(r, d);
		rtnl_route_nh_set_gateway(nh, gw);
		rtnl_route_add_nexthop(r, nh);
		nh = NULL;      /* the route owns it now */
		rc = add ? rtnl_route_add(sk, r, NLM_F_REPLACE) : rtnl_route_delete(sk, r, 0);
	}
	if (nh)
		rtnl_route_nh_free(nh);
	nl_addr_put(gw);
	nl_addr_put(d);
	rtnl_route_put(r);
	nl_socket_free(sk);
	return rc;
}

/* lan_host_via() - The host leg's switch address, if EP's network lets
 * the host in (a LAN network on an uplink, with a host leg); else 0. */
static uint32_t lan_host_via(const struct endpoint *ep)
{
	const struct network *n = ep->net;

	if (!model_net_is_lan(n) || !n->lan_ul || !n->dp || !n->dp->n_uplinks)
		return 0;
	return uplink_host_ip(n->dp->uplinks[0]);
}

/* lan_endpoint_up() - EP's port is wired: the host's route to it. */
void lan_endpoint_up(struct endpoint *ep)
{
	uint32_t via = lan_host_via(ep);
	char a[VS_ADDR_STRLEN];
	int rc;

	if (!via)
		return;
	rc = lan_route(vs_addr_get_v4(&ep->ip), via, true);
	if (rc < 0)
		log_warn("network %s: no route from the host to %s: %s", ep->net->name,
			 vs_addr_str(&ep->ip, a, sizeof(a)), nl_geterror(rc));
}

/* lan_endpoint_down() - EP's port goes: so does the host's route. */
void lan_endpoint_down(struct endpoint *ep)
{
	uint32_t via = lan_host_via(ep);

	if (via)
		lan_route(vs_addr_get_v4(&ep->ip), via, false);
}
