/* netns_watch.c - notice that a container's namespace died, without polling.
 *
 * Theory of Operation
 *
 * vswitchd holds every container's namespace open (ctr->netns_fd, and a
 * TAP fd pins it too), so the kernel never frees it while we watch: "dead"
 * cannot mean "gone".  It means the REF the user gave no longer leads to
 * the namespace we hold (netns_is_dead: stat the REF, compare st_dev and
 * st_ino with our fd).  What makes us look is an event, never a timer, so
 * an idle vswitchd has no wake-ups:
 *
 * - `ip netns` names and other bind-mount paths: inotify on the directory
 *   (/run/netns), IN_DELETE / IN_MOVED_FROM when `ip netns del` unlinks it;
 * - pid:N and /proc/N/ns/net: a pidfd (pidfd_open), readable once the
 *   process has exited, by which time it has left its namespaces;
 * - veth endpoints: RTM_DELLINK of the host end on a NETLINK_ROUTE socket;
 *   the kernel deletes a veth pair when the namespace of either end dies.
 *
 * Any event only triggers a check of the affected containers; the check
 * decides.  A netlink overrun (ENOBUFS: we lost messages) or a watch added
 * for a namespace that may already be dead schedules one check of all
 * watched containers on the next loop iteration.
 *
 * On death the container is unwatched first, then the callback registered
 * with netns_watch_new() (the control plane's cmd_container_netns_gone())
 * removes its endpoints, frees addresses and saves state.
 *
 * Limits: a namespace REF that is a path outside /proc and not a mount
 * point we can watch (e.g. on a filesystem without inotify) is only
 * noticed at the next event or restart.
 */
#include <errno.h>
#include <stddef.h>
#include <ev.h>
#include <limits.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <uthash.h>

#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>

#include "log.h"
#include "model.h"
#include "netns.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

struct netns_watch_entry {
	struct container *c;     /* key */
	struct netns_watch *nw;  /* for the pidfd's callback */
	int pidfd;               /* -1 unless the REF names a process */
	ev_io pid_io;
	UT_hash_handle hh;
};

/* One watcher (the datapath context holds it): what it watches, how, and
 * whom it tells. */
struct netns_watch {
	struct ev_loop *loop;
	struct model *model;     /* veth events are matched to its containers */
	netns_died_fn *died;     /* the upcall, registered at creation */
	void *died_arg;
	struct netns_watch_entry *entries;
	int ino_fd;
	ev_io ino_io;
	struct nl_sock *nl;
	ev_io nl_io;
	ev_timer recheck;
};

/* The pid a REF names ("pid:N", "/proc/N/..."), or -1. */
static long netns_watch_ref_pid(const char *ref)
{
	const char *s = NULL;
	char *end;
	long pid;

	if (strncmp(ref, "pid:", 4) == 0)
		s = ref + 4;
	else if (strncmp(ref, "/proc/", 6) == 0)
		s = ref + 6;
	if (!s || *s < '0' || *s > '9')
		return -1;
	pid = strtol(s, &end, 10);
	if (pid <= 0 || pid > INT_MAX || (*end && *end != '/'))
		return -1;
	return pid;
}

static void netns_watch_died(struct netns_watch *nw, struct container *c)
{
	log_info("container %s: network namespace %s is gone", c->name, c->netns_ref);
	netns_watch_remove(nw, c);
	nw->died(nw->died_arg, c);
}

/* Check every watched container; those whose REF no longer leads to their
 * namespace have died.  Only on events, over a handful of containers. */
static void netns_watch_check_all(struct netns_watch *nw)
{
	struct netns_watch_entry *e, *tmp;

	HASH_ITER(hh, nw->entries, e, tmp)
		if (netns_is_dead(e->c->netns_fd, e->c->netns_ref))
			netns_watch_died(nw, e->c);
}

#define NETNS_WATCH_OF(w, field) \
	((struct netns_watch *)(void *)((char *)(w) - offsetof(struct netns_watch, field)))

static void netns_watch_recheck_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct netns_watch *nw = NETNS_WATCH_OF(w, recheck);

	netns_watch_check_all(nw);
}

static void netns_watch_schedule_check(struct netns_watch *nw)
{
	if (nw->loop && !ev_is_active(&nw->recheck)) {
		ev_timer_set(&nw->recheck, 0., 0.);
		ev_timer_start(nw->loop, &nw->recheck);
	}
}

static void netns_watch_ino_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct netns_watch *nw = NETNS_WATCH_OF(w, ino_io);
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	bool any = false;

	/* Drain; the names do not matter, the check below stats every REF. */
	while (read(nw->ino_fd, buf, sizeof(buf)) > 0)
		any = true;
	if (any)
		netns_watch_check_all(nw);
}

static void netns_watch_pid_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct netns_watch_entry *e = w->data;
	struct netns_watch *nw = e->nw;

	/* Level-triggered and the process stays exited: stop listening
	 * whatever the check says, or the loop would spin. */
	ev_io_stop(loop, w);
	if (netns_is_dead(e->c->netns_fd, e->c->netns_ref))
		netns_watch_died(nw, e->c);
	else
		log_warn("container %s: process of %s exited but the namespace is still reachable",
			 e->c->name, e->c->netns_ref);
}

static struct endpoint *netns_watch_find_host_if(struct netns_watch *nw, const char *ifname)
{
	struct container *c, *ctmp;
	struct endpoint *ep;

	HASH_ITER(hh, nw->model->containers, c, ctmp)
		LIST_FOREACH(ep, &c->endpoints, ctr_link)
			if (ep->attach == ATTACH_VETH && ep->port &&
			    strcmp(ep->host_if, ifname) == 0)
				return ep;
	return NULL;
}

static int netns_watch_nl_msg(struct nl_msg *msg, void *arg)
{
	struct netns_watch *nw = arg;
	struct nlmsghdr *h = nlmsg_hdr(msg);
	struct nlattr *tb[IFLA_MAX + 1];
	struct endpoint *ep;

	if (h->nlmsg_type != RTM_DELLINK)
		return NL_OK;
	if (nlmsg_parse(h, sizeof(struct ifinfomsg), tb, IFLA_MAX, NULL) < 0 ||
	    !tb[IFLA_IFNAME])
		return NL_OK;
	ep = netns_watch_find_host_if(nw, nla_get_string(tb[IFLA_IFNAME]));
	if (!ep)
		return NL_OK;
	if (netns_is_dead(ep->ctr->netns_fd, ep->ctr->netns_ref))
		netns_watch_died(nw, ep->ctr);
	else
		log_warn("container %s: veth %s was deleted; %s on %s no longer carries traffic",
			 ep->ctr->name, ep->host_if, ep->ifname, ep->net->name);
	return NL_OK;
}

static void netns_watch_nl_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct netns_watch *nw = NETNS_WATCH_OF(w, nl_io);
	int rc;

	for (;;) {
		rc = nl_recvmsgs_default(nw->nl);
		if (rc >= 0)
			continue;
		if (rc == -NLE_AGAIN)
			break;
		/* Overrun: messages were lost, so look at everything once. */
		netns_watch_schedule_check(nw);
		if (rc != -NLE_NOMEM)
			break;
	}
}

static int netns_watch_nl_open(struct netns_watch *nw)
{
	nw->nl = nl_socket_alloc();
	if (!nw->nl)
		return -1;
	nl_socket_disable_seq_check(nw->nl);
	nl_socket_modify_cb(nw->nl, NL_CB_VALID, NL_CB_CUSTOM, netns_watch_nl_msg, nw);
	if (nl_connect(nw->nl, NETLINK_ROUTE) < 0 ||
	    nl_socket_add_membership(nw->nl, RTNLGRP_LINK) < 0 ||
	    nl_socket_set_nonblocking(nw->nl) < 0) {
		nl_socket_free(nw->nl);
		nw->nl = NULL;
		return -1;
	}
	ev_io_init(&nw->nl_io, netns_watch_nl_cb, nl_socket_get_fd(nw->nl), EV_READ);
	ev_io_start(nw->loop, &nw->nl_io);
	return 0;
}

/**
 * netns_watch_new() - Set up the inotify and netlink watchers
 * @loop:	the daemon's event loop
 * @model:	whose containers' veths the netlink events are matched to
 * @died:	called, after the container is unwatched, when one's
 *		namespace is gone
 * @arg:	passed to @died
 *
 * Return: the watcher, or NULL if neither watcher could be made (logged)
 * or memory ran out.
 */
struct netns_watch *netns_watch_new(struct ev_loop *loop, struct model *model,
				    netns_died_fn *died, void *arg)
{
	struct netns_watch *nw = calloc(1, sizeof(*nw));

	if (!nw)
		return NULL;
	nw->loop = loop;
	nw->model = model;
	nw->died = died;
	nw->died_arg = arg;
	ev_timer_init(&nw->recheck, netns_watch_recheck_cb, 0., 0.);
	nw->ino_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (nw->ino_fd >= 0) {
		ev_io_init(&nw->ino_io, netns_watch_ino_cb, nw->ino_fd, EV_READ);
		ev_io_start(loop, &nw->ino_io);
	} else {
		log_warn("inotify: %s; `ip netns del` will go unnoticed", strerror(errno));
	}
	if (netns_watch_nl_open(nw) < 0)
		log_warn("netlink link monitor unavailable; veth deletion will go unnoticed");
	if (nw->ino_fd < 0 && !nw->nl) {
		free(nw);
		return NULL;
	}
	return nw;
}

/* inotify on the directory holding the REF's bind mount.  Adding a watch
 * twice on one directory gives the same descriptor, so no refcount. */
static void netns_watch_dir(struct netns_watch *nw, const char *ref)
{
	char path[PATH_MAX], *slash;

	if (nw->ino_fd < 0 || netns_ref_path(ref, path, sizeof(path)) < 0)
		return;
	slash = strrchr(path, '/');
	if (!slash)
		return;
	if (slash == path)
		slash[1] = '\0';
	else
		*slash = '\0';
	if (strcmp(path, "/run/netns") == 0)
		(void)mkdir(path, 0755);   /* as `ip netns add` would */
	if (inotify_add_watch(nw->ino_fd, path, IN_DELETE | IN_MOVED_FROM | IN_DELETE_SELF) < 0)
		log_warn("container ref %s: cannot watch %s: %s", ref, path, strerror(errno));
}

static void netns_watch_pid(struct netns_watch_entry *e, long pid)
{
	struct netns_watch *nw = e->nw;

	e->pidfd = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0);
	if (e->pidfd < 0) {
		/* ESRCH: already gone; the recheck below will see it. */
		if (errno != ESRCH)
			log_warn("container %s: pidfd_open(%ld): %s", e->c->name, pid, strerror(errno));
		return;
	}
	ev_io_init(&e->pid_io, netns_watch_pid_cb, e->pidfd, EV_READ);
	e->pid_io.data = e;
	ev_io_start(nw->loop, &e->pid_io);
}

/**
 * netns_watch_add() - Start watching a container's namespace (idempotent)
 * @c:	the container; c->netns_fd must be open
 */
void netns_watch_add(struct netns_watch *nw, struct container *c)
{
	struct netns_watch_entry *e, *added;
	long pid;

	if (!nw || c->netns_fd < 0)
		return;
	HASH_FIND_PTR(nw->entries, &c, e);
	if (e)
		return;
	e = calloc(1, sizeof(*e));
	if (!e) {
		log_err("container %s: out of memory for its namespace watch", c->name);
		return;
	}
	e->c = c;
	e->nw = nw;
	e->pidfd = -1;
	HASH_ADD_PTR(nw->entries, c, e);
	HASH_FIND_PTR(nw->entries, &c, added);
	if (!added) {   /* HASH_NONFATAL_OOM: the add did not happen */
		log_err("container %s: out of memory for its namespace watch", c->name);
		free(e);
		return;
	}
	pid = netns_watch_ref_pid(c->netns_ref);
	if (pid > 0)
		netns_watch_pid(e, pid);
	else
		netns_watch_dir(nw, c->netns_ref);
	/* It may have died between netns_open() and now, unseen. */
	netns_watch_schedule_check(nw);
}

void netns_watch_remove(struct netns_watch *nw, struct container *c)
{
	struct netns_watch_entry *e;

	if (!nw)
		return;
	HASH_FIND_PTR(nw->entries, &c, e);
	if (!e)
		return;
	if (e->pidfd >= 0) {
		ev_io_stop(nw->loop, &e->pid_io);
		close(e->pidfd);
	}
	HASH_DEL(nw->entries, e);
	free(e);
}

/* netns_watch_free() - Unwatch everything and close the watchers. */
void netns_watch_free(struct netns_watch *nw)
{
	struct netns_watch_entry *e, *tmp;

	if (!nw)
		return;
	HASH_ITER(hh, nw->entries, e, tmp)
		netns_watch_remove(nw, e->c);
	ev_timer_stop(nw->loop, &nw->recheck);
	if (nw->ino_fd >= 0) {
		ev_io_stop(nw->loop, &nw->ino_io);
		close(nw->ino_fd);
	}
	if (nw->nl) {
		ev_io_stop(nw->loop, &nw->nl_io);
		nl_socket_free(nw->nl);
	}
	free(nw);
}
