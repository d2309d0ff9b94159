/* netns.h - everything done inside a container's network namespace.
 *
 * vswitchd never lives in a container's namespace; it enters one only for
 * the length of a call (setns and back), to make a TAP or move a veth end,
 * and to configure the interface through libnl-route-3: name, MAC, MTU,
 * address, up, default route.  Namespaces are held by fd so that a name
 * that is reused later cannot point us at the wrong container.
 *
 * Every function that takes an NSFD also accepts NETNS_SELF (-1) for
 * vswitchd's own namespace, where the veth host ends and the uplink live.
 */
#ifndef VS_NETNS_H
#define VS_NETNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct ev_loop;
struct container;

#define NETNS_SELF (-1)

/* Remember vswitchd's own namespace, so netns_run() can always come back.
 * Call once at start-up, before any other netns_* function. */
int netns_init(char *err, size_t errlen);

/* Resolve names under DIR instead of /run/netns (rootless); 0 or -1. */
int netns_set_name_dir(const char *dir);
/* Open REF ("name", "/path", "pid:N") as a namespace fd; -1 with ERR. */
int netns_open(const char *ref, char *err, size_t errlen);
/* True if REF is an `ip netns` name (no slash, not pid:). */
bool netns_ref_is_name(const char *ref);
/* The path REF resolves to ("/run/netns/NAME", "/proc/N/ns/net", or REF);
 * -1 if REF is malformed. */
int netns_ref_path(const char *ref, char *buf, size_t len);
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
	bool keep_existing;      /* adoption: add what is missing, replace nothing */
	bool link_only;          /* hand-off: MAC and MTU only; no up, no L3 */
	/* IPv6 (a --ipv6 network; netns_ip6.c): prefix6 0 = none.  Then the
	 * interface takes no router advertisement and makes no SLAAC address:
	 * its addresses are its link-local one and ADDR6. */
	uint8_t addr6[16];
	uint8_t prefix6;
	uint8_t gateway6[16];    /* default route via; all zero = none */
};

struct nl_sock;
/* A default route via GW_ADDR (4 or 16 bytes by FAMILY) on IFINDEX, from
 * inside the namespace; a negative libnl code on failure (netns.c). */
int netns_default_route(struct nl_sock *sk, int family, const void *gw_addr, int ifindex,
			bool keep_existing);

/* The IPv6 part of CFG on IFINDEX, from inside the namespace (netns_ip6.c). */
int netns_cfg_ip6(struct nl_sock *sk, const struct netns_ifcfg *cfg, int ifindex,
		  char *err, size_t errlen);

/* Configure IFNAME inside NSFD as CFG says (libnl-route-3). */
int netns_if_configure(int nsfd, const struct netns_ifcfg *cfg, char *err, size_t errlen);
/* Delete IFNAME inside NSFD; missing is not an error. */
int netns_if_delete(int nsfd, const char *ifname);
/* IFNAME's MAC in NSFD, read by netlink there (never /sys); 0 or -1. */
int netns_if_mac(int nsfd, const char *ifname, uint8_t mac[6]);
/* The name, in NSFD, of the interface whose MAC is MAC (a hand-off device
 * the runtime renamed).  Return: 0 with OUT, or -1 if there is none. */
int netns_if_find_mac(int nsfd, const uint8_t mac[6], char out[16]);
/* True if IFNAME exists in NSFD (restart adoption). */
bool netns_if_exists(int nsfd, const char *ifname);
/* True once REF no longer names the namespace behind NSFD: the bind mount
 * or the process is gone, or the name now points at another namespace.
 * (Our own fds pin the namespace, so "no users left" never happens.) */
bool netns_is_dead(int nsfd, const char *ref);

/* Which namespace a reference named when the container was made: the
 * nsfs inode (dev, ino) and, for pid:N, the process's start time (clock
 * ticks since boot, /proc/N/stat field 22).  A restart compares it with
 * what the reference names now, so that neither a re-created named
 * namespace nor a reused pid makes us touch somebody else's namespace.
 * All zero: unknown (a state file from before identities). */
struct netns_id {
	uint64_t dev, ino, start;
};

/* Fill ID for the namespace fd NSFD that REF was opened as; 0 or -1. */
int netns_identify(int nsfd, const char *ref, struct netns_id *id);
/* What REF names now compared with ID: NETNS_SAME (its fd in *NSFD),
 * NETNS_GONE (missing, or another namespace or process now), or
 * NETNS_UNKNOWN (cannot tell, e.g. EACCES; nothing is judged). */
enum netns_verdict { NETNS_SAME, NETNS_GONE, NETNS_UNKNOWN };
enum netns_verdict netns_check_id(const char *ref, const struct netns_id *id, int *nsfd);

/* netns_access.c: what a non-root member of the control group may name.
 * Both return 0, or -1 with a one-line "permission denied: ..." in ERR;
 * uid 0 may do everything. */
int netns_access_ref(uid_t uid, const char *ref, char *err, size_t errlen);
int netns_access_ns(uid_t uid, const char *ref, int fd, char *err, size_t errlen);

/* Make a veth pair: HOST_IF in vswitchd's namespace (up, MTU), PEER_IF
 * created directly inside NSFD with that name and MTU; without OFFLOAD
 * its checksum/TSO offloads go off, so the container sends only complete
 * frames of at most the MTU. */
int netns_veth_create(int nsfd, const char *host_if, const char *peer_if,
		      int mtu, bool offload, char *err, size_t errlen);
/* The name of the switch's veth end for container CTR on network NET:
 * "vs" + 8 hex digits of a stable hash of both names (+ one hex digit of
 * SALT if non-zero, on a collision); at most 11 characters. */
void netns_veth_name(const char *ctr, const char *net, unsigned int salt, char out[16]);
/* Turn off tx checksum offload (and with it TSO) on IFNAME inside NSFD. */
int netns_if_offloads_off(int nsfd, const char *ifname);

/* netns_watch.c: notice dead namespaces without polling.  DIED is the one
 * upcall: C's namespace is gone (C is unwatched already).  A NULL watcher
 * (a harness without one) makes add and remove no-ops. */
struct netns_watch;
struct model;
typedef void netns_died_fn(void *arg, struct container *c);
struct netns_watch *netns_watch_new(struct ev_loop *loop, struct model *model,
				    netns_died_fn *died, void *arg);
void netns_watch_add(struct netns_watch *nw, struct container *c);
void netns_watch_remove(struct netns_watch *nw, struct container *c);
void netns_watch_free(struct netns_watch *nw);

#endif
