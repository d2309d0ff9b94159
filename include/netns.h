/* netns.h - everything done inside a container's network namespace.
 *
 * vswitchd never lives in a container's namespace; it enters one only for
 * the length of a call (setns and back), to make a TAP or move a veth end,
 * and to configure the interface through libnl-route-3: name, MAC, MTU,
 * address, up, default route.  Namespaces are held by fd so that a name
 * that is reused later cannot point us at the wrong container.
 */
#ifndef VS_NETNS_H
#define VS_NETNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ev_loop;
struct container;

/* Open REF ("name", "/path", "pid:N") as a namespace fd; -1 with ERR. */
int netns_open(const char *ref, char *err, size_t errlen);
/* True if REF is an `ip netns` name (no slash, not pid:). */
bool netns_ref_is_name(const char *ref);
/* Run FN(ARG) inside namespace NSFD and come back; returns FN's result,
 * or -1 if the namespace could not be entered. */
int netns_run(int nsfd, int (*fn)(void *), void *arg);

struct netns_ifcfg {
	const char *ifname;
	uint8_t mac[6];
	int mtu;
	uint32_t addr;           /* network order */
	uint8_t prefix;
	uint32_t gateway;        /* default route via; 0 = leave routes alone */
};

/* Configure IFNAME inside NSFD as CFG says (libnl-route-3). */
int netns_if_configure(int nsfd, const struct netns_ifcfg *cfg, char *err, size_t errlen);
/* Delete IFNAME inside NSFD; missing is not an error. */
int netns_if_delete(int nsfd, const char *ifname);
/* True if IFNAME exists in NSFD (restart adoption). */
bool netns_if_exists(int nsfd, const char *ifname);
/* True once the namespace behind NSFD has no process and no bind mount
 * left holding it (it is dead for the container's purposes). */
bool netns_is_dead(int nsfd, const char *ref);

#endif
