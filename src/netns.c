/* netns.c - entering a container's network namespace and configuring it.
 *
 * Theory of Operation
 *
 * A netlink socket talks to the namespace it was created in, so every
 * operation on a container's interfaces runs as: setns() into the
 * container's namespace, make a fresh libnl socket there, do the work,
 * free the socket, setns() back (netns_run).  Coming back must never fail
 * silently: a daemon left in a container's namespace would make its next
 * veth or uplink socket in the wrong place, so a failed return is fatal.
 * We keep an fd to our own namespace from start-up for that return trip;
 * vswitchd is single-threaded, so the excursion is invisible to the rest.
 *
 * Configuration order matters to the kernel: link (MAC, MTU, up) first,
 * then the address (which brings the connected route), then the default
 * route via a gateway inside that subnet.  On adoption after a restart
 * (keep_existing) nothing that is there is replaced: an address or default
 * route that exists is left alone, only missing pieces are added.
 *
 * Offloads on the container's veth end: a veth passes frames between
 * namespaces with their checksum still "partial" (left for a NIC that
 * never comes) and TCP segments up to 64 KB (TSO).  AF_PACKET hands those
 * to us with a vnet header saying so, and the switch carries them whole
 * (port_offload.c), so by default they stay on.  With `--no-offload` they
 * go off: the container's own stack computes checksums and segments to
 * the MTU, and the switch segments what it forwards to that port.
 *
 * Limits: IPv4 only (struct netns_ifcfg grows an IPv6 address later).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/ethtool.h>
#include <linux/magic.h>
#include <linux/nsfs.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/route.h>

#include "log.h"
#include "netns.h"

static int netns_self_fd = -1;
/* What a refusal to enter or to make a device in a namespace means to a
 * rootless vswitchd, and what to do about it. */
#define NETNS_ROOTLESS_HINT " (a rootless vswitchd reaches only namespaces of its own user " \
	"namespace: make them with `vsctl netns add` or run the process with `vsctl netns exec`)"
/* Where names live: `ip netns`'s directory, or a rootless vswitchd's
 * RUN_DIR/netns of `vsctl netns add` symlinks (rootless.c). */
static char netns_name_dir[PATH_MAX - NAME_MAX - 2] = "/run/netns";

/**
 * netns_set_name_dir() - Resolve namespace names under DIR from now on
 * @dir:	an absolute directory
 *
 * Return: 0, or -1 if DIR is too long.
 */
int netns_set_name_dir(const char *dir)
{
	if (strlen(dir) >= sizeof(netns_name_dir))
		return -1;
	snprintf(netns_name_dir, sizeof(netns_name_dir), "%s", dir);
	return 0;
}

/**
 * netns_init() - Open and keep an fd to vswitchd's own namespace
 * @err:	one-line error text on failure
 * @errlen:	size of @err
 *
 * Return: 0, or -1 if /proc/self/ns/net cannot be opened.
 */
int netns_init(char *err, size_t errlen)
{
	if (netns_self_fd >= 0)
		return 0;
	netns_self_fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (netns_self_fd < 0) {
		snprintf(err, errlen, "cannot open /proc/self/ns/net: %s", strerror(errno));
		return -1;
	}
	return 0;
}

bool netns_ref_is_name(const char *ref)
{
	return ref && ref[0] && !strchr(ref, '/') && strncmp(ref, "pid:", 4) != 0;
}

static bool netns_name_valid(const char *name)
{
	size_t len = strlen(name);

	return len > 0 && len < NAME_MAX && strcmp(name, ".") != 0 &&
	       strcmp(name, "..") != 0;
}

static long netns_ref_pid(const char *ref)
{
	char *end;
	long pid;

	if (!ref[4] || ref[4] < '0' || ref[4] > '9')
		return -1;
	errno = 0;
	pid = strtol(ref + 4, &end, 10);
	if (errno || *end || pid <= 0 || pid > INT_MAX)
		return -1;
	return pid;
}

/**
 * netns_ref_path() - Resolve a REF to the file that names the namespace
 * @ref:	"name" (ip netns), "/path", or "pid:N"
 * @buf:	where the path goes
 * @len:	size of @buf
 *
 * Return: 0, or -1 if @ref is malformed or too long.
 */
int netns_ref_path(const char *ref, char *buf, size_t len)
{
	int n;

	if (!ref || !ref[0])
		return -1;
	if (strncmp(ref, "pid:", 4) == 0) {
		long pid = netns_ref_pid(ref);

		if (pid < 0)
			return -1;
		n = snprintf(buf, len, "/proc/%ld/ns/net", pid);
	} else if (ref[0] == '/') {
		n = snprintf(buf, len, "%s", ref);
	} else if (netns_ref_is_name(ref) && netns_name_valid(ref)) {
		n = snprintf(buf, len, "%s/%s", netns_name_dir, ref);
	} else {
		return -1;
	}
	return (n < 0 || (size_t)n >= len) ? -1 : 0;
}

/* netns_open_nsfs() - Open PATH for setns() only if it is a namespace.
 *
 * The path comes from a client, and open(2) as root has effects of its
 * own: a FIFO blocks the whole daemon until a writer comes, a device node
 * does whatever its driver does on open and close (a watchdog counts
 * down, a tape rewinds).  So the path is first opened with O_PATH, which
 * opens nothing, and its file system must be nsfs; only then is the same
 * file opened for real, through /proc/self/fd (no second path lookup a
 * client could race).  Return: the fd, or -1 (errno ENOENT for "no
 * namespace there", whatever the path is).
 */
static int netns_open_nsfs(const char *path)
{
	char proc[64];
	struct statfs sfs;
	int pfd, fd;

	pfd = open(path, O_PATH | O_CLOEXEC);
	if (pfd < 0)
		return -1;
	if (fstatfs(pfd, &sfs) < 0 || sfs.f_type != NSFS_MAGIC) {
		close(pfd);
		errno = ENOENT;
		return -1;
	}
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", pfd);
	fd = open(proc, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	close(pfd);
	/* nsfs holds every kind of namespace: only a network one will do */
	if (fd >= 0 && ioctl(fd, NS_GET_NSTYPE) != CLONE_NEWNET) {
		close(fd);
		errno = ENOENT;
		return -1;
	}
	return fd;
}

/**
 * netns_open() - Open the namespace a REF names, checking it is one
 * @ref:	"name", "/path" or "pid:N"
 * @err:	one-line error text on failure
 * @errlen:	size of @err
 *
 * Never blocks and never opens anything but a namespace (see
 * netns_open_nsfs()).  "Missing", "not a namespace" and "not allowed to
 * look" get the same message, so that a client cannot use the daemon to
 * learn which files exist in directories it cannot read.
 *
 * Return: an O_CLOEXEC fd on a network namespace, or -1.
 */
int netns_open(const char *ref, char *err, size_t errlen)
{
	char path[PATH_MAX];
	int fd;

	if (netns_ref_path(ref, path, sizeof(path)) < 0) {
		snprintf(err, errlen, "bad netns reference '%s' (want an ip netns name, a path or pid:PID)",
			 ref ? ref : "");
		errno = EINVAL;
		return -1;
	}
	fd = netns_open_nsfs(path);
	if (fd < 0) {
		int saved = errno;

		if (errno == EMFILE || errno == ENFILE || errno == ENOMEM)
			snprintf(err, errlen, "netns '%s': %s", ref, strerror(errno));
		else
			snprintf(err, errlen, "netns '%s': %s is not a network namespace (or does not exist)",
				 ref, path);
		errno = saved;
		return -1;
	}
	return fd;
}

/* netns_pid_start() - Start time of process PID (field 22 of its stat),
 * or 0 if it cannot be read.  The command name (field 2) may hold spaces
 * and parentheses, so fields are counted from the last ')'. */
static uint64_t netns_pid_start(long pid)
{
	char path[64], buf[1024], *p;
	unsigned long long start = 0;
	ssize_t n;
	int fd, i;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	/* after ')': field 3 (state) is the first; 22 is the 20th */
	for (i = 0; p && i < 20; i++)
		p = strchr(p + 1, ' ');
	if (!p || sscanf(p + 1, "%llu", &start) != 1)
		return 0;
	return start;
}

/**
 * netns_identify() - Record which namespace (and process) REF names now
 * @nsfd:	the namespace fd opened from @ref
 * @ref:	the reference
 * @id:		filled in
 *
 * Return: 0, or -1 if @nsfd cannot be examined (@id zeroed: unknown).
 */
int netns_identify(int nsfd, const char *ref, struct netns_id *id)
{
	struct stat st;

	memset(id, 0, sizeof(*id));
	if (nsfd < 0 || fstat(nsfd, &st) < 0)
		return -1;
	id->dev = st.st_dev;
	id->ino = st.st_ino;
	if (ref && !strncmp(ref, "pid:", 4))
		id->start = netns_pid_start(netns_ref_pid(ref));
	return 0;
}

/**
 * netns_check_id() - Does REF still name the namespace recorded in ID?
 * @ref:	the container's reference
 * @id:		what netns_identify() recorded (all zero: unknown)
 * @nsfd:	on NETNS_SAME, the open namespace fd (the caller's to keep)
 *
 * Return: NETNS_SAME, NETNS_GONE or NETNS_UNKNOWN (see netns.h).
 */
enum netns_verdict netns_check_id(const char *ref, const struct netns_id *id, int *nsfd)
{
	struct netns_id now;
	char err[256];
	int fd;

	*nsfd = -1;
	fd = netns_open(ref, err, sizeof(err));
	if (fd < 0)
		return errno == ENOENT || errno == ESRCH || errno == ENOTDIR ? NETNS_GONE
									  : NETNS_UNKNOWN;
	if (!id->ino) {   /* nothing recorded (older state): trust the reference, as before */
		*nsfd = fd;
		return NETNS_SAME;
	}
	netns_identify(fd, ref, &now);
	if (now.dev != id->dev || now.ino != id->ino ||
	    (id->start && now.start != id->start)) {
		close(fd);
		return NETNS_GONE;
	}
	*nsfd = fd;
	return NETNS_SAME;
}

/**
 * netns_run() - Run a function inside a namespace and come back
 * @nsfd:	namespace fd, or NETNS_SELF to run in place
 * @fn:		what to run
 * @arg:	its argument
 *
 * Return: @fn's result, or -1 (errno set) if the namespace cannot be
 * entered.  Failing to return to our own namespace ends the daemon: every
 * later socket would be made in the wrong place.
 */
int netns_run(int nsfd, int (*fn)(void *), void *arg)
{
	int ret, saved;

	if (nsfd == NETNS_SELF)
		return fn(arg);
	if (netns_self_fd < 0) {
		char err[128];

		if (netns_init(err, sizeof(err)) < 0) {
			log_err("%s", err);
			errno = EBADF;
			return -1;
		}
	}
	if (setns(nsfd, CLONE_NEWNET) < 0)
		return -1;
	ret = fn(arg);
	saved = errno;
	if (setns(netns_self_fd, CLONE_NEWNET) < 0)
		die("cannot return to vswitchd's own network namespace: %s", strerror(errno));
	errno = saved;
	return ret;
}

static struct nl_sock *netns_nl_open(void)
{
	struct nl_sock *sk = nl_socket_alloc();

	if (!sk)
		return NULL;
	if (nl_connect(sk, NETLINK_ROUTE) < 0) {
		nl_socket_free(sk);
		return NULL;
	}
	return sk;
}

struct netns_cfg_ctx {
	const struct netns_ifcfg *cfg;
	char *err;
	size_t errlen;
};

/* Link: MAC, MTU, up, in one RTM_NEWLINK (the kernel applies the address
 * and MTU before the flags). */
static int netns_cfg_link(struct nl_sock *sk, struct netns_cfg_ctx *x, int *ifindex)
{
	const struct netns_ifcfg *cfg = x->cfg;
	struct rtnl_link *orig = NULL, *chg;
	struct nl_addr *ll;
	int rc;

	rc = rtnl_link_get_kernel(sk, 0, cfg->ifname, &orig);
	if (rc < 0) {
		snprintf(x->err, x->errlen, "interface %s not found in the container: %s",
			 cfg->ifname, nl_geterror(rc));
		return -1;
	}
	*ifindex = rtnl_link_get_ifindex(orig);
	chg = rtnl_link_alloc();
	ll = nl_addr_build(AF_LLC, cfg->mac, 6);
	if (!chg || !ll) {
		snprintf(x->err, x->errlen, "out of memory");
		rc = -NLE_NOMEM;
		goto out;
	}
	/* Adoption: MAC and MTU are whatever the container has now (a
	 * restart must not undo a change made inside it); only down is
	 * "missing" and gets fixed. */
	if (!cfg->keep_existing) {
		rtnl_link_set_addr(chg, ll);
		if (cfg->mtu > 0)
			rtnl_link_set_mtu(chg, (unsigned int)cfg->mtu);
	}
	/* A hand-off device stays down: the runtime brings it up where it
	 * moves it, and nothing in the runtime's namespace may change. */
	if (!cfg->link_only)
		rtnl_link_set_flags(chg, IFF_UP);
	rc = rtnl_link_change(sk, orig, chg, 0);
	if (rc < 0)
		snprintf(x->err, x->errlen, "cannot set up %s (mac/mtu/up): %s",
			 cfg->ifname, nl_geterror(rc));
out:
	nl_addr_put(ll);
	rtnl_link_put(chg);
	rtnl_link_put(orig);
	return rc < 0 ? -1 : 0;
}

static int netns_cfg_addr(struct nl_sock *sk, struct netns_cfg_ctx *x, int ifindex)
{
	const struct netns_ifcfg *cfg = x->cfg;
	uint32_t mask = cfg->prefix ? htonl(~0u << (32 - cfg->prefix)) : 0;
	uint32_t bcast = cfg->addr | ~mask;
	struct rtnl_addr *a = rtnl_addr_alloc();
	struct nl_addr *local = nl_addr_build(AF_INET, &cfg->addr, 4);
	struct nl_addr *bc = nl_addr_build(AF_INET, &bcast, 4);
	int rc = -NLE_NOMEM;

	if (a && local && bc) {
		nl_addr_set_prefixlen(local, cfg->prefix);
		rtnl_addr_set_ifindex(a, ifindex);
		rtnl_addr_set_local(a, local);
		if (cfg->prefix < 31)
			rtnl_addr_set_broadcast(a, bc);
		/* Present already (adoption, or a retry) is what we want. */
		rc = rtnl_addr_add(sk, a, NLM_F_EXCL);
		if (rc == -NLE_EXIST)
			rc = 0;
	}
	if (rc < 0)
		snprintf(x->err, x->errlen, "cannot add address to %s: %s",
			 cfg->ifname, nl_geterror(rc));
	nl_addr_put(bc);
	nl_addr_put(local);
	rtnl_addr_put(a);
	return rc < 0 ? -1 : 0;
}

/**
 * netns_default_route() - Add a default route via GW on IFINDEX
 * @family:	AF_INET or AF_INET6; GW holds 4 or 16 bytes
 * @keep_existing:	on adoption an existing default route stays, whoever
 *		set it; on a first connect ours is the container's way out
 *
 * One body for both families, from inside the namespace.  A route that is
 * there already is what we want.
 *
 * Return: 0, or a negative libnl error code
 */
int netns_default_route(struct nl_sock *sk, int family, const void *gw_addr, int ifindex,
			bool keep_existing)
{
	static const uint8_t any[16];
	unsigned int alen = family == AF_INET6 ? 16 : 4;
	struct rtnl_route *r = rtnl_route_alloc();
	struct rtnl_nexthop *nh = rtnl_route_nh_alloc();
	struct nl_addr *dst = nl_addr_build(family, any, alen);
	struct nl_addr *gw = nl_addr_build(family, gw_addr, alen);
	int rc = -NLE_NOMEM;

	if (r && nh && dst && gw) {
		nl_addr_set_prefixlen(dst, 0);
		rtnl_route_set_family(r, (uint8_t)family);
		rtnl_route_set_table(r, RT_TABLE_MAIN);
		rtnl_route_set_scope(r, RT_SCOPE_UNIVERSE);
		rtnl_route_set_protocol(r, RTPROT_BOOT);
		rtnl_route_set_dst(r, dst);
		rtnl_route_nh_set_ifindex(nh, ifindex);
		rtnl_route_nh_set_gateway(nh, gw);
		rtnl_route_add_nexthop(r, nh);
		nh = NULL;      /* the route owns it now */
		rc = rtnl_route_add(sk, r, keep_existing ? NLM_F_EXCL : NLM_F_REPLACE);
		if (rc == -NLE_EXIST)
			rc = 0;
	}
	if (nh)
		rtnl_route_nh_free(nh);
	nl_addr_put(gw);
	nl_addr_put(dst);
	rtnl_route_put(r);
	return rc;
}

static int netns_cfg_route(struct nl_sock *sk, struct netns_cfg_ctx *x, int ifindex)
{
	const struct netns_ifcfg *cfg = x->cfg;
	int rc = netns_default_route(sk, AF_INET, &cfg->gateway, ifindex, cfg->keep_existing);

	if (rc < 0)
		snprintf(x->err, x->errlen, "cannot add default route via the gateway on %s: %s",
			 cfg->ifname, nl_geterror(rc));
	return rc < 0 ? -1 : 0;
}

static int netns_cfg_in(void *arg)
{
	struct netns_cfg_ctx *x = arg;
	struct nl_sock *sk = netns_nl_open();
	int ifindex = 0, rc = -1;

	if (!sk) {
		snprintf(x->err, x->errlen, "cannot open a netlink socket in the container");
		return -1;
	}
	if (netns_cfg_link(sk, x, &ifindex) == 0 &&
	    (x->cfg->link_only ||
	     (netns_cfg_addr(sk, x, ifindex) == 0 &&
	      (x->cfg->gateway == 0 || netns_cfg_route(sk, x, ifindex) == 0) &&
	      (x->cfg->prefix6 == 0 ||
	       netns_cfg_ip6(sk, x->cfg, ifindex, x->err, x->errlen) == 0))))
		rc = 0;
	nl_socket_free(sk);
	return rc;
}

/**
 * netns_if_configure() - Give an interface its MAC, MTU, address and route
 * @nsfd:	the container's namespace
 * @cfg:	what to set; gateway 0 leaves routes alone
 * @err:	one-line error text on failure
 * @errlen:	size of @err
 *
 * Return: 0 or -1.
 */
int netns_if_configure(int nsfd, const struct netns_ifcfg *cfg, char *err, size_t errlen)
{
	struct netns_cfg_ctx x = { cfg, err, errlen };

	err[0] = '\0';
	if (cfg->prefix > 32) {
		snprintf(err, errlen, "bad prefix length %u", cfg->prefix);
		return -1;
	}
	if (netns_run(nsfd, netns_cfg_in, &x) < 0) {
		if (!err[0])
			snprintf(err, errlen, "cannot enter the container's namespace: %s%s",
				 strerror(errno), errno == EPERM ? NETNS_ROOTLESS_HINT : "");
		return -1;
	}
	return 0;
}

static int netns_delete_in(void *arg)
{
	const char *ifname = arg;
	struct nl_sock *sk = netns_nl_open();
	struct rtnl_link *link;
	int rc;

	if (!sk)
		return -1;
	link = rtnl_link_alloc();
	if (!link) {
		nl_socket_free(sk);
		return -1;
	}
	rtnl_link_set_name(link, ifname);
	rc = rtnl_link_delete(sk, link);
	rtnl_link_put(link);
	nl_socket_free(sk);
	return (rc < 0 && rc != -NLE_NODEV && rc != -NLE_OBJ_NOTFOUND) ? -1 : 0;
}

int netns_if_delete(int nsfd, const char *ifname)
{
	if (!netns_if_exists(nsfd, ifname))
		return 0;
	return netns_run(nsfd, netns_delete_in, (void *)ifname);
}

struct netns_find_mac_ctx {
	const uint8_t *mac;
	char *out;
};

static int netns_find_mac_in(void *arg)
{
	struct netns_find_mac_ctx *x = arg;
	struct nl_sock *sk = netns_nl_open();
	struct nl_cache *cache = NULL;
	struct nl_object *o;
	int rc = -1;

	if (!sk)
		return -1;
	if (rtnl_link_alloc_cache(sk, AF_UNSPEC, &cache) == 0) {
		for (o = nl_cache_get_first(cache); o && rc < 0; o = nl_cache_get_next(o)) {
			struct rtnl_link *l = (struct rtnl_link *)o;
			struct nl_addr *a = rtnl_link_get_addr(l);

			if (a && nl_addr_get_len(a) == 6 && !memcmp(nl_addr_get_binary_addr(a), x->mac, 6)) {
				snprintf(x->out, 16, "%s", rtnl_link_get_name(l));
				rc = 0;
			}
		}
		nl_cache_free(cache);
	}
	nl_socket_free(sk);
	return rc;
}

int netns_if_find_mac(int nsfd, const uint8_t mac[6], char out[16])
{
	struct netns_find_mac_ctx x = { mac, out };

	return netns_run(nsfd, netns_find_mac_in, &x) == 0 ? 0 : -1;
}

static int netns_exists_in(void *arg)
{
	return if_nametoindex(arg) != 0;
}

bool netns_if_exists(int nsfd, const char *ifname)
{
	return netns_run(nsfd, netns_exists_in, (void *)ifname) == 1;
}

struct netns_mac_ctx {
	const char *ifname;
	uint8_t *mac;
};

static int netns_mac_in(void *arg)
{
	struct netns_mac_ctx *x = arg;
	struct nl_sock *sk = netns_nl_open();
	struct rtnl_link *link = NULL;
	struct nl_addr *ll;
	int rc = -1;

	if (!sk)
		return -1;
	if (rtnl_link_get_kernel(sk, 0, x->ifname, &link) >= 0 &&
	    (ll = rtnl_link_get_addr(link)) && nl_addr_get_len(ll) == 6) {
		memcpy(x->mac, nl_addr_get_binary_addr(ll), 6);
		rc = 0;
	}
	rtnl_link_put(link);
	nl_socket_free(sk);
	return rc;
}

/**
 * netns_if_mac() - The MAC address IFNAME has now inside NSFD
 * @nsfd:	the container's namespace
 * @ifname:	interface name there
 * @mac:	filled in on success
 *
 * Asked of the kernel by netlink inside the namespace: /sys/class/net
 * would show the interfaces of whichever namespace /sys was mounted for,
 * which for a process entered with setns() is not this one.
 *
 * Return: 0, or -1 if the interface is not there.
 */
int netns_if_mac(int nsfd, const char *ifname, uint8_t mac[6])
{
	struct netns_mac_ctx x = { ifname, mac };

	return netns_run(nsfd, netns_mac_in, &x) == 0 ? 0 : -1;
}

bool netns_is_dead(int nsfd, const char *ref)
{
	char path[PATH_MAX];
	struct stat now, held;

	if (nsfd < 0 || fstat(nsfd, &held) < 0)
		return true;
	if (netns_ref_path(ref, path, sizeof(path)) < 0)
		return true;
	if (stat(path, &now) < 0)
		/* Gone (ENOENT, ESRCH for a reaped pid) is death; anything else
		 * (EACCES...) we cannot judge, so keep the container. */
		return errno == ENOENT || errno == ESRCH || errno == ENOTDIR;
	return now.st_ino != held.st_ino || now.st_dev != held.st_dev;
}

static int netns_offloads_in(void *arg)
{
	struct ethtool_value ev = { .cmd = ETHTOOL_STXCSUM, .data = 0 };
	struct ifreq ifr;
	int fd, rc;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", (const char *)arg);
	ifr.ifr_data = (void *)&ev;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	rc = ioctl(fd, SIOCETHTOOL, &ifr);
	close(fd);
	return rc;
}

int netns_if_offloads_off(int nsfd, const char *ifname)
{
	return netns_run(nsfd, netns_offloads_in, (void *)ifname);
}

/* No IPv6 link-local on the switch's end: it would only send router and
 * multicast solicitations into the container. */
static void netns_host_no_ipv6(const char *ifname)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/disable_ipv6", ifname);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	if (write(fd, "1", 1) < 0)
		log_debug("%s: cannot disable IPv6: %s", ifname, strerror(errno));
	close(fd);
}

static int netns_host_up(struct nl_sock *sk, const char *host_if)
{
	struct rtnl_link *orig = NULL, *chg = rtnl_link_alloc();
	int rc;

	if (!chg)
		return -NLE_NOMEM;
	rc = rtnl_link_get_kernel(sk, 0, host_if, &orig);
	if (rc == 0) {
		rtnl_link_set_flags(chg, IFF_UP);
		rc = rtnl_link_change(sk, orig, chg, 0);
		rtnl_link_put(orig);
	}
	rtnl_link_put(chg);
	return rc;
}

static int netns_veth_add(struct nl_sock *sk, int nsfd, const char *host_if,
			  const char *peer_if, int mtu)
{
	struct rtnl_link *link = rtnl_link_veth_alloc(), *peer;
	int rc;

	if (!link)
		return -NLE_NOMEM;
	peer = rtnl_link_veth_get_peer(link);
	rtnl_link_set_name(link, host_if);
	rtnl_link_set_name(peer, peer_if);
	if (mtu > 0) {
		rtnl_link_set_mtu(link, (unsigned int)mtu);
		rtnl_link_set_mtu(peer, (unsigned int)mtu);
	}
	/* The peer is born in the container with its final name: no window
	 * where it sits in our namespace or under a temporary name. */
	rtnl_link_set_ns_fd(peer, nsfd);
	rc = rtnl_link_add(sk, link, NLM_F_CREATE | NLM_F_EXCL);
	rtnl_link_put(peer);
	rtnl_link_veth_release(link);
	return rc;
}

/**
 * netns_veth_create() - Make a veth pair with one end in a container
 * @nsfd:	the container's namespace
 * @host_if:	name of our end, in vswitchd's namespace
 * @peer_if:	name of the container's end (eth0...)
 * @mtu:	MTU of both ends, 0 for the default
 * @offload:	leave the container end's checksum/TSO offloads on
 * @err:	one-line error text on failure
 * @errlen:	size of @err
 *
 * On failure nothing is left behind.
 *
 * Return: 0 or -1.
 */
int netns_veth_create(int nsfd, const char *host_if, const char *peer_if,
		      int mtu, bool offload, char *err, size_t errlen)
{
	struct nl_sock *sk;
	int rc;

	if (if_nametoindex(host_if)) {
		snprintf(err, errlen, "interface %s already exists in vswitchd's namespace", host_if);
		return -1;
	}
	if (netns_if_exists(nsfd, peer_if)) {
		snprintf(err, errlen, "interface %s already exists in the container", peer_if);
		return -1;
	}
	sk = netns_nl_open();
	if (!sk) {
		snprintf(err, errlen, "cannot open a netlink socket");
		return -1;
	}
	rc = netns_veth_add(sk, nsfd, host_if, peer_if, mtu);
	if (rc < 0) {
		snprintf(err, errlen, "cannot create veth %s/%s: %s%s", host_if, peer_if,
			 nl_geterror(rc), rc == -NLE_PERM ? NETNS_ROOTLESS_HINT : "");
		nl_socket_free(sk);
		return -1;
	}
	netns_host_no_ipv6(host_if);
	rc = netns_host_up(sk, host_if);
	if (rc < 0)
		snprintf(err, errlen, "cannot bring %s up: %s", host_if, nl_geterror(rc));
	else if (!offload && netns_if_offloads_off(nsfd, peer_if) < 0) {
		snprintf(err, errlen, "cannot turn off checksum offload on %s: %s",
			 peer_if, strerror(errno));
		rc = -1;
	}
	nl_socket_free(sk);
	if (rc < 0) {
		netns_if_delete(NETNS_SELF, host_if);
		return -1;
	}
	return 0;
}

void netns_veth_name(const char *ctr, const char *net, unsigned int salt, char out[16])
{
	uint32_t h = 2166136261u;   /* FNV-1a: stable across runs and builds */
	const char *s;

	for (s = ctr; *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	h = (h ^ 0xff) * 16777619u; /* separator: ("ab","c") != ("a","bc") */
	for (s = net; *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	if (salt)
		snprintf(out, 16, "vs%08x%x", h, salt & 0xf);
	else
		snprintf(out, 16, "vs%08x", h);
}
