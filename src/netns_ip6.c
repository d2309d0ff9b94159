/* netns_ip6.c - a --ipv6 network's configuration inside a container.
 *
 * Runs inside the container's namespace (netns_run(), from netns.c's
 * netns_cfg_in) after the link is up and has its IPv4 address:
 *  - accept_ra=0 and autoconf=0 on the interface, written to /proc/sys
 *    while the thread is in the container's namespace, so they are that
 *    namespace's sysctls and nobody else's.  The switch gives the address;
 *    a router advertisement (from a container that slipped past RA guard,
 *    or the gateway's answer to a solicitation, router_port.c) must not
 *    add a SLAAC address or a second default route beside it;
 *  - the address with IFA_F_NODAD: IPAM already made it unique on the
 *    network, and without DAD it is usable at once (Docker does the same);
 *  - a default route via the network's IPv6 gateway, if CFG has one.
 * The kernel's own link-local address stays: neighbour discovery needs it,
 * and port security allows it (ingress_v6.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/route.h>
#include "netns.h"

/* Write "0" to /proc/sys/net/ipv6/conf/IFNAME/KEY of the current namespace. */
static int netns_ip6_sysctl_off(const char *ifname, const char *key, char *err, size_t errlen)
{
	char path[128];
	int fd, rc;

	/* IFNAME was found by netlink a moment ago: a real name, no '/'. */
	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/%s", ifname, key);
	fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		snprintf(err, errlen, "cannot set %s=0 on %s (is IPv6 disabled in the container?): %s",
			 key, ifname, strerror(errno));
		return -1;
	}
	rc = write(fd, "0\n", 2) == 2 ? 0 : -1;
	if (rc)
		snprintf(err, errlen, "cannot set %s=0 on %s: %s", key, ifname, strerror(errno));
	close(fd);
	return rc;
}

static int netns_ip6_addr(struct nl_sock *sk, const struct netns_ifcfg *cfg, int ifindex,
			  char *err, size_t errlen)
{
	struct rtnl_addr *a = rtnl_addr_alloc();
	struct nl_addr *local = nl_addr_build(AF_INET6, cfg->addr6, 16);
	int rc = -NLE_NOMEM;

	if (a && local) {
		nl_addr_set_prefixlen(local, cfg->prefix6);
		rtnl_addr_set_ifindex(a, ifindex);
		rtnl_addr_set_family(a, AF_INET6);
		rtnl_addr_set_local(a, local);
		rtnl_addr_set_flags(a, IFA_F_NODAD);
		/* Present already (adoption, or a retry) is what we want. */
		rc = rtnl_addr_add(sk, a, NLM_F_EXCL);
		if (rc == -NLE_EXIST)
			rc = 0;
	}
	if (rc < 0)
		snprintf(err, errlen, "cannot add IPv6 address to %s: %s", cfg->ifname,
			 nl_geterror(rc));
	nl_addr_put(local);
	rtnl_addr_put(a);
	return rc < 0 ? -1 : 0;
}

static int netns_ip6_route(struct nl_sock *sk, const struct netns_ifcfg *cfg, int ifindex,
			   char *err, size_t errlen)
{
	int rc = netns_default_route(sk, AF_INET6, cfg->gateway6, ifindex, cfg->keep_existing);

	if (rc < 0)
		snprintf(err, errlen, "cannot add IPv6 default route via the gateway on %s: %s",
			 cfg->ifname, nl_geterror(rc));
	return rc < 0 ? -1 : 0;
}

/**
 * netns_cfg_ip6() - Sysctls, address and default route of a --ipv6 network
 * @sk:		netlink socket opened in the container's namespace
 * @cfg:	the interface's configuration (prefix6 != 0)
 * @ifindex:	the interface, in that namespace
 * @err:	one-line error text on failure
 * @errlen:	size of @err
 *
 * Return: 0 or -1.
 */
int netns_cfg_ip6(struct nl_sock *sk, const struct netns_ifcfg *cfg, int ifindex,
		  char *err, size_t errlen)
{
	static const uint8_t any[16];

	if (cfg->prefix6 > 128) {
		snprintf(err, errlen, "bad IPv6 prefix length %u", cfg->prefix6);
		return -1;
	}
	if (netns_ip6_sysctl_off(cfg->ifname, "accept_ra", err, errlen) ||
	    netns_ip6_sysctl_off(cfg->ifname, "autoconf", err, errlen) ||
	    netns_ip6_addr(sk, cfg, ifindex, err, errlen))
		return -1;
	if (!memcmp(cfg->gateway6, any, 16))
		return 0;
	return netns_ip6_route(sk, cfg, ifindex, err, errlen);
}
