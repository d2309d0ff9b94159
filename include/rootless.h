/* rootless.h - vswitchd and its containers with no privilege on the host.
 *
 * A rootless vswitchd lives in a user namespace it owns (one-uid map, or
 * one it joins with --userns) and in a "switch" network namespace owned by
 * that user namespace.  Both are held by a small keeper process, so that
 * container interfaces and namespaces survive a restart or a kill -9 of
 * vswitchd, as a root vswitchd's do.  Container namespaces that the user
 * makes with `vsctl netns add` are held by one holder process each, in the
 * same user namespace, and named by a symlink to /proc/PID/ns/net under
 * the runtime directory.  doc/rootless.md says why each piece is there.
 */
#ifndef VS_ROOTLESS_H
#define VS_ROOTLESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define ROOTLESS_KEEPER_COMM "vswitchd-keeper"
#define ROOTLESS_HOLDER_COMM "vswitchd-ns"

/* What vswitchd learns about the host before it leaves the host's
 * namespaces (these are per network namespace or need host access). */
struct rootless_host {
	unsigned int port_start;   /* net.ipv4.ip_unprivileged_port_start */
	bool tun_ok;               /* /dev/net/tun opens for us */
	bool ping_ok;              /* our gid is in net.ipv4.ping_group_range */
};

/* $XDG_RUNTIME_DIR/vswitch, else /run/user/UID/vswitch; -1 if too long. */
int rootless_run_dir(char *buf, size_t len);

/* The keeper's pid, read from RUN_DIR/keeper.pid and checked (alive, ours,
 * its name); -1 if there is none. */
pid_t rootless_keeper_find(const char *run_dir);

/* Start-up, part 1 (still in the host's namespaces): check the host, find
 * or start the keeper, and join its user namespace.  USERNS_PATH: join
 * that user namespace instead of making one (only when a new keeper is
 * started).  UP: the translator to supervise from the host's namespaces
 * (--uplink pasta), or NULL.  Return: 0, or -1 with a one-line ERR naming
 * the fix. */
struct rootless_uplink;
int rootless_prepare(const char *run_dir, const char *userns_path,
		     const struct rootless_uplink *up, char *err, size_t errlen);
/* Start-up, part 2: join the keeper's (the switch's) network namespace.
 * Sockets made before this call stay in the host's namespace. */
int rootless_enter_net(char *err, size_t errlen);

/* True once rootless_prepare() succeeded. */
bool rootless_active(void);
/* The host facts read by rootless_prepare() (root: tun_ok true). */
const struct rootless_host *rootless_host(void);
/* The keeper's pid (0 when not rootless). */
pid_t rootless_keeper_pid(void);

/* Read the host facts now, in the current namespaces. */
void rootless_host_probe(struct rootless_host *h);
/* Is GID inside the ping_group_range text "LO HI"? */
bool rootless_ping_range_has(const char *range, unsigned long gid);

/* Join the user namespace of PID (vsctl netns exec/add); 0 or -1. */
int rootless_join_userns(pid_t pid, char *err, size_t errlen);
/* Start a holder process in a new network namespace (the caller is in the
 * user namespace that will own it); its pid, or -1 with ERR. */
pid_t rootless_holder_spawn(char *err, size_t errlen);
/* Bring lo up in the current network namespace; 0 or -1. */
int rootless_lo_up(void);
/* Does PID run COMM under our uid? */
bool rootless_pid_is(pid_t pid, const char *comm);

/* rootless_uplink.c: pasta (or slirp4netns), run by a supervisor that
 * stays in the host's namespaces. */
struct rootless_uplink {
	const char *kind;          /* "pasta" or "slirp4netns" */
	char ifname[16];           /* the TAP in the switch namespace */
	char ip[32];               /* the switch's address, the translator's guest */
	unsigned int prefix;
	char gw[32];               /* the translator's gateway address */
	bool detached;             /* vswitchd --detach: no terminal to write to */
	char pidfile[4200];        /* the ready file: pasta's pid file, or written for
				    * slirp4netns by the supervisor */
	uint16_t ports_lo, ports_hi;   /* --pasta-ports: pasta binds them on the host */
};
const char *rootless_uplink_kind(const char *kind, char *err, size_t errlen);
int rootless_uplink_spawn(const struct rootless_uplink *u, pid_t keeper, char *err,
			  size_t errlen);
int rootless_uplink_go(void);
void rootless_uplink_wait_ready(const char *ifname);
int rootless_uplink_listen(uint8_t proto, uint32_t ip, uint16_t port);
int rootless_uplink_socket(int family, int type);
void rootless_uplink_stop(void);

#endif
