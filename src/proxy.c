/* proxy.c - the userspace proxy for published ports, in our own namespace.
 *
 * DOC: Theory of Operation
 *
 * Published ports on host IP 0.0.0.0 or 127.0.0.1 also listen in
 * vswitchd's own namespace, as docker-proxy does, so that
 * `curl 127.0.0.1:8080` works on the host.  That kernel has no route to
 * the containers (they exist only inside the switch), so the proxy's
 * outbound side connects to 169.254.169.2:HOSTPORT: the switch's side of
 * the host leg, a TAP that uplink.c keeps in our namespace (kernel side
 * 169.254.169.1/30, on-link, no route needed).  The switch treats that
 * address like the uplink IP, so the same DNAT rule carries the
 * connection to the container.  This works for both uplink types: with
 * afpacket:IFACE the kernel could not reach the switch's uplink IP at all.
 * The container sees 169.254.169.1 as the client (docker-proxy shows the
 * bridge gateway likewise); clients through the uplink keep their address.
 *
 * Everything runs on the main libev loop: nonblocking sockets, one
 * listener per host port, each TCP connection a pair of fds pumped
 * through two fixed buffers (read only when the buffer toward the other
 * side is empty: back-pressure without unbounded queues).  UDP: one
 * connected socket per client address, idle flows closed after
 * PROXY_UDP_IDLE seconds by one sweep timer, which runs only while UDP
 * flows exist: an idle switch gets no wake-ups from the proxy.
 *
 * Bounds (audit finding 2: the proxy is the one part of vswitchd that
 * anyone who reaches a published port can make spend fds):
 *
 * - every fd the proxy holds comes from its share of the open-file limit
 *   (fd_budget.c: half of it; the rest stays for control, state and
 *   namespaces), two per TCP connection, one per UDP flow;
 * - one source address may hold at most a quarter of that share
 *   (struct proxy_src, counted across listeners), so one client cannot
 *   take the proxy from the others;
 * - a UDP flow that never got a reply goes after PROXY_UDP_UNREPLIED
 *   seconds, not PROXY_UDP_IDLE: a spray of spoofed or one-off datagrams
 *   does not hold fds for two minutes;
 * - a refused TCP connection is accepted and closed at once, so it never
 *   waits in the backlog; and if accept() itself fails for want of fds
 *   (EMFILE, ENFILE, ENOBUFS, ENOMEM), the listener's watcher stops and a
 *   timer re-arms it PROXY_PAUSE seconds later, since a level-triggered
 *   watcher on a backlog it cannot drain would spin the loop at 100 %.
 *
 * Every refusal is counted by reason (struct proxy_stats, `vsctl stats`,
 * "proxy"); nothing is logged per connection.
 *
 * IPv6 host IPs ("[::]", "[::1]", issue 14): the listener is an IPv6
 * socket with IPV6_V6ONLY, so it sits beside the IPv4 one of the same port
 * and takes only IPv6 clients; the upstream is the host leg as ever (the
 * container is reached at its IPv4 address: every network has one).
 * Clients are kept as union vs_addr and socket addresses of either family.
 *
 * Limits: PROXY_MAX_CONNS connections at once (further accepts are closed
 * at once); a rootless vswitchd (its listeners bound by the translator's
 * namespace helper) proxies IPv4 host IPs only.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <ev.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uthash.h>
#include <json-c/json.h>
#include "dp.h"
#include "fd_budget.h"
#include "hash.h"
#include "log.h"
#include "proxy.h"
#include "uplink.h"

#define PROXY_BUF 16384
#define PROXY_MAX_CONNS 4096
#define PROXY_UDP_IDLE 120.0
#define PROXY_UDP_UNREPLIED 10.0
#define PROXY_SWEEP 5.0
#define PROXY_PAUSE 1.0
/* smallest per-source cap, however small the share */
#define PROXY_SRC_MIN 16

struct proxy_listener;

struct proxy_conn {
	struct proxy *px;        /* a connection may outlive its listener */
	struct proxy_listener *l;
	union vs_addr src;       /* the client's address: its fds are counted there */
	int fd[2];               /* [0] client, [1] upstream */
	ev_io rio[2], wio[2];
	size_t len[2], off[2];   /* buf[i]: read from fd[i], for fd[!i] */
	bool eof[2];
	bool connecting;
	char buf[2][PROXY_BUF];
};

/* A client's socket address, either family; zeroed before it is filled,
 * so that it hashes as bytes. */
union proxy_sa {
	struct sockaddr sa;
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
};

struct proxy_udp_flow {
	union proxy_sa client;       /* hash key */
	struct proxy_listener *l;
	int fd;                      /* connected to the upstream */
	ev_io io;
	ev_tstamp last;
	bool replied;                /* the upstream answered at least once */
	UT_hash_handle hh;
};

/* What one client address holds across every listener, in fds. */
struct proxy_src {
	union vs_addr ip;            /* hash key */
	unsigned int fds;
	UT_hash_handle hh;
};

/* Refusals and pauses, by reason (vsctl stats: "proxy"). */
struct proxy_stats {
	uint64_t tcp_budget, tcp_src_cap, udp_budget, udp_src_cap;
	uint64_t accept_paused, udp_unreplied_expired;
};

struct proxy_key {
	union vs_addr host_ip;
	uint16_t port;
	uint8_t proto;
	uint8_t pad;
};
_Static_assert(sizeof(struct proxy_key) == 20, "hashed as bytes: no padding");

struct proxy_listener {
	struct proxy *px;
	struct proxy_key key;
	int fd;
	ev_io io;
	bool paused;             /* accept() lacked fds: the pause timer re-arms it */
	struct proxy_udp_flow *flows;
	UT_hash_handle hh;
};

/* The proxy of one datapath (dp.h holds it). */
struct proxy {
	struct dp *dp;           /* whose uplink's host leg the proxy connects to */
	struct ev_loop *loop;
	struct proxy_listener *listeners;
	unsigned int n_conns;
	unsigned int n_udp_flows;        /* the sweep runs while this is > 0 */
	ev_timer sweep;
	ev_timer pause;                  /* re-arms paused listeners */
	struct proxy_src *srcs;
	struct proxy_stats stats;
	char udp_buf[65536];
};

static int proxy_upstream(struct proxy *px, uint16_t port, struct sockaddr_in *sa)
{
	uint32_t ip = uplink_host_ip(dp_uplink_first(px->dp));

	if (!ip)
		return -1;
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_addr.s_addr = ip;
	sa->sin_port = htons(port);
	return 0;
}

/* proxy_sa_addr() - The address of socket address SA, either family. */
static void proxy_sa_addr(const union proxy_sa *sa, union vs_addr *a)
{
	if (sa->sa.sa_family == AF_INET6)
		vs_addr_from_bytes(a, AF_INET6, &sa->in6.sin6_addr);
	else
		vs_addr_set_v4(a, sa->in.sin_addr.s_addr);
}

/* --- fds: the budget and the per-source cap ------------------------------ */

static unsigned int proxy_src_cap(void)
{
	unsigned int cap = fd_budget_share(FD_PROXY) / 4;

	return cap < PROXY_SRC_MIN ? PROXY_SRC_MIN : cap;
}

/**
 * proxy_fds_take() - Reserve N fds for a new flow or connection from IP
 * @px:		the proxy
 * @ip:		the client's address
 * @n:		2 for TCP, 1 for UDP
 * @src_cap:	counter to bump when the source is at its cap
 * @budget:	counter to bump when the proxy's share is spent
 *
 * Return: the source's record (give it back with proxy_fds_put()), or NULL
 */
static struct proxy_src *proxy_fds_take(struct proxy *px, const union vs_addr *ip, unsigned int n,
					uint64_t *src_cap, uint64_t *budget)
{
	struct proxy_src *s;

	HASH_FIND(hh, px->srcs, ip, sizeof(*ip), s);
	if (s && s->fds + n > proxy_src_cap()) {
		(*src_cap)++;
		return NULL;
	}
	if (!fd_budget_take(FD_PROXY, n)) {
		(*budget)++;
		return NULL;
	}
	if (!s) {
		s = calloc(1, sizeof(*s));
		if (s) {
			s->ip = *ip;
			HASH_ADD(hh, px->srcs, ip, sizeof(s->ip), s);
			if (!s->hh.tbl) {
				free(s);
				s = NULL;
			}
		}
		if (!s) {
			fd_budget_put(FD_PROXY, n);
			(*budget)++;
			return NULL;
		}
	}
	s->fds += n;
	return s;
}

static void proxy_fds_put(struct proxy *px, const union vs_addr *ip, unsigned int n)
{
	struct proxy_src *s;

	fd_budget_put(FD_PROXY, n);
	HASH_FIND(hh, px->srcs, ip, sizeof(*ip), s);
	if (!s)
		return;
	s->fds = s->fds > n ? s->fds - n : 0;
	if (!s->fds) {
		HASH_DEL(px->srcs, s);
		free(s);
	}
}

/* --- TCP ---------------------------------------------------------------- */

static void proxy_conn_close(struct proxy_conn *c)
{
	struct proxy *px = c->px;
	int i;

	for (i = 0; i < 2; i++) {
		ev_io_stop(px->loop, &c->rio[i]);
		ev_io_stop(px->loop, &c->wio[i]);
		if (c->fd[i] >= 0)
			close(c->fd[i]);
	}
	px->n_conns--;
	proxy_fds_put(px, &c->src, 2);
	free(c);
}

/* proxy_conn_pump() - Move what can be moved; false if C was closed. */
static bool proxy_conn_pump(struct proxy_conn *c, int i)
{
	struct proxy *px = c->px;
	int j = !i;
	ssize_t n;

	/* write pending buf[i] to fd[j] */
	while (c->len[i] > c->off[i]) {
		n = write(c->fd[j], c->buf[i] + c->off[i], c->len[i] - c->off[i]);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				ev_io_start(px->loop, &c->wio[j]);
				ev_io_stop(px->loop, &c->rio[i]);
				return true;
			}
			proxy_conn_close(c);
			return false;
		}
		c->off[i] += (size_t)n;
	}
	c->len[i] = c->off[i] = 0;
	ev_io_stop(px->loop, &c->wio[j]);
	if (c->eof[i]) {
		shutdown(c->fd[j], SHUT_WR);
		if (c->eof[j]) {
			proxy_conn_close(c);
			return false;
		}
		return true;
	}
	ev_io_start(px->loop, &c->rio[i]);
	return true;
}

static void proxy_conn_read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct proxy_conn *c = w->data;
	struct proxy *px = c->px;
	int i = w == &c->rio[1];
	ssize_t n;

	(void)loop;
	(void)revents;
	n = read(c->fd[i], c->buf[i], PROXY_BUF);
	if (n < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			proxy_conn_close(c);
		return;
	}
	if (n == 0) {
		c->eof[i] = true;
		ev_io_stop(px->loop, &c->rio[i]);
	}
	c->len[i] = (size_t)n;
	c->off[i] = 0;
	proxy_conn_pump(c, i);
}

static void proxy_conn_write_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct proxy_conn *c = w->data;
	struct proxy *px = c->px;
	int j = w == &c->wio[1], err = 0;
	socklen_t el = sizeof(err);

	(void)loop;
	(void)revents;
	if (c->connecting && j == 1) {
		getsockopt(c->fd[1], SOL_SOCKET, SO_ERROR, &err, &el);
		if (err) {
			proxy_conn_close(c);
			return;
		}
		c->connecting = false;
		ev_io_stop(px->loop, &c->wio[1]);
		ev_io_start(px->loop, &c->rio[0]);
		ev_io_start(px->loop, &c->rio[1]);
		return;
	}
	proxy_conn_pump(c, !j);
}

/* accept() failed for want of fds or memory: stop watching L (its backlog
 * would keep it readable and spin the loop) until the pause timer. */
static void proxy_listener_pause(struct proxy *px, struct proxy_listener *l)
{
	ev_io_stop(px->loop, &l->io);
	l->paused = true;
	px->stats.accept_paused++;
	if (!ev_is_active(&px->pause))
		ev_timer_start(px->loop, &px->pause);
}

static void proxy_pause_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct proxy *px = (struct proxy *)(void *)((char *)w - offsetof(struct proxy, pause));
	struct proxy_listener *l, *lt;

	(void)revents;
	HASH_ITER(hh, px->listeners, l, lt)
		if (l->paused) {
			l->paused = false;
			ev_io_start(loop, &l->io);
		}
}

/* proxy_tcp_conn_new() - The connection's record for accepted FD from
 * SRC, with both fds' worth taken; NULL (FD to be closed) if refused. */
static struct proxy_conn *proxy_tcp_conn_new(struct proxy_listener *l, int fd,
					     const union vs_addr *src)
{
	struct proxy *px = l->px;
	struct proxy_conn *c;

	if (px->n_conns >= PROXY_MAX_CONNS) {
		px->stats.tcp_budget++;
		return NULL;
	}
	if (!proxy_fds_take(px, src, 2, &px->stats.tcp_src_cap, &px->stats.tcp_budget))
		return NULL;
	c = calloc(1, sizeof(*c));
	if (!c) {
		proxy_fds_put(px, src, 2);
		return NULL;
	}
	px->n_conns++;
	c->px = px;
	c->l = l;
	c->src = *src;
	c->fd[0] = fd;
	return c;
}

static void proxy_tcp_accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct proxy_listener *l = w->data;
	struct proxy *px = l->px;
	struct sockaddr_in up;
	union proxy_sa from;
	socklen_t fl = sizeof(from);
	union vs_addr src;
	struct proxy_conn *c;
	int fd, i;

	(void)loop;
	(void)revents;
	memset(&from, 0, sizeof(from));
	fd = accept4(l->fd, &from.sa, &fl, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0) {
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
			proxy_listener_pause(px, l);
		return;
	}
	/* refused: accepted and closed at once, so it never waits in the
	 * backlog and the watcher does not fire for it again */
	proxy_sa_addr(&from, &src);
	if (proxy_upstream(px, l->key.port, &up) < 0 ||
	    !(c = proxy_tcp_conn_new(l, fd, &src))) {
		close(fd);
		return;
	}
	c->fd[1] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	for (i = 0; i < 2; i++) {
		ev_io_init(&c->rio[i], proxy_conn_read_cb, c->fd[i] < 0 ? 0 : c->fd[i], EV_READ);
		ev_io_init(&c->wio[i], proxy_conn_write_cb, c->fd[i] < 0 ? 0 : c->fd[i], EV_WRITE);
		c->rio[i].data = c->wio[i].data = c;
	}
	if (c->fd[1] < 0 || (connect(c->fd[1], (struct sockaddr *)&up, sizeof(up)) < 0 &&
			     errno != EINPROGRESS)) {
		proxy_conn_close(c);
		return;
	}
	c->connecting = true;
	ev_io_start(px->loop, &c->wio[1]);
}

/* --- UDP ---------------------------------------------------------------- */

static void proxy_udp_flow_close(struct proxy_udp_flow *f)
{
	struct proxy *px = f->l->px;
	ev_io_stop(px->loop, &f->io);
	close(f->fd);
	union vs_addr src;

	proxy_sa_addr(&f->client, &src);
	proxy_fds_put(px, &src, 1);
	HASH_DEL(f->l->flows, f);
	free(f);
	if (--px->n_udp_flows == 0)
		ev_timer_stop(px->loop, &px->sweep);
}

/* Replies from the upstream go back to the client, from the listener. */
static void proxy_udp_reply_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct proxy_udp_flow *f = w->data;
	struct proxy *px = f->l->px;
	ssize_t n;

	(void)loop;
	(void)revents;
	while ((n = recv(f->fd, px->udp_buf, sizeof(px->udp_buf), 0)) >= 0) {
		f->last = ev_now(px->loop);
		f->replied = true;
		sendto(f->l->fd, px->udp_buf, (size_t)n, 0, &f->client.sa,
		       f->client.sa.sa_family == AF_INET6 ? sizeof(f->client.in6) :
		       sizeof(f->client.in));
	}
	if (errno != EAGAIN && errno != EWOULDBLOCK && errno != ECONNREFUSED)
		proxy_udp_flow_close(f);
}

static struct proxy_udp_flow *proxy_udp_flow_new(struct proxy_listener *l,
						 const union proxy_sa *client)
{
	struct proxy *px = l->px;
	struct proxy_udp_flow *f;
	struct sockaddr_in up;
	union vs_addr src;

	if (HASH_COUNT(l->flows) >= PROXY_MAX_CONNS) {
		px->stats.udp_budget++;
		return NULL;
	}
	if (proxy_upstream(px, l->key.port, &up) < 0)
		return NULL;
	proxy_sa_addr(client, &src);
	if (!proxy_fds_take(px, &src, 1, &px->stats.udp_src_cap,
			    &px->stats.udp_budget))
		return NULL;
	f = calloc(1, sizeof(*f));
	if (!f) {
		proxy_fds_put(px, &src, 1);
		return NULL;
	}
	f->client = *client;
	f->l = l;
	f->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (f->fd < 0 || connect(f->fd, (struct sockaddr *)&up, sizeof(up)) < 0) {
		if (f->fd >= 0)
			close(f->fd);
		proxy_fds_put(px, &src, 1);
		free(f);
		return NULL;
	}
	ev_io_init(&f->io, proxy_udp_reply_cb, f->fd, EV_READ);
	f->io.data = f;
	ev_io_start(px->loop, &f->io);
	HASH_ADD(hh, l->flows, client, sizeof(f->client), f);
	if (!f->hh.tbl) {
		ev_io_stop(px->loop, &f->io);
		close(f->fd);
		proxy_fds_put(px, &src, 1);
		free(f);
		return NULL;
	}
	if (px->n_udp_flows++ == 0)
		ev_timer_again(px->loop, &px->sweep);
	return f;
}

static void proxy_udp_rx_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct proxy_listener *l = w->data;
	struct proxy *px = l->px;
	struct proxy_udp_flow *f;
	union proxy_sa from;
	socklen_t fl = sizeof(from);
	ssize_t n;
	int burst;

	(void)loop;
	(void)revents;
	for (burst = 0; burst < 32; burst++) {
		memset(&from, 0, sizeof(from));
		fl = sizeof(from);
		n = recvfrom(l->fd, px->udp_buf, sizeof(px->udp_buf), 0,
			     &from.sa, &fl);
		if (n < 0)
			return;
		HASH_FIND(hh, l->flows, &from, sizeof(from), f);
		if (!f)
			f = proxy_udp_flow_new(l, &from);
		if (!f)
			continue;
		f->last = ev_now(px->loop);
		send(f->fd, px->udp_buf, (size_t)n, 0);
	}
}

static void proxy_sweep_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct proxy *px = (struct proxy *)(void *)((char *)w - offsetof(struct proxy, sweep));
	struct proxy_listener *l, *lt;
	struct proxy_udp_flow *f, *ft;
	ev_tstamp now = ev_now(loop);

	(void)w;
	(void)revents;
	/* O(flows) every PROXY_SWEEP s; flows are bounded by the fd share */
	HASH_ITER(hh, px->listeners, l, lt)
		HASH_ITER(hh, l->flows, f, ft)
			if (now - f->last > (f->replied ? PROXY_UDP_IDLE : PROXY_UDP_UNREPLIED)) {
				px->stats.udp_unreplied_expired += !f->replied;
				proxy_udp_flow_close(f);
			}
}

/* --- listeners ------------------------------------------------------------ */

/**
 * proxy_new() - Start a datapath's proxy
 * @dp:		the datapath (its loop; its first uplink's host leg is the
 *		upstream, looked up per connection: without one a connection
 *		is accepted and closed at once)
 *
 * Return: the proxy, or NULL if memory ran out
 */
struct proxy *proxy_new(struct dp *dp)
{
	struct proxy *px = calloc(1, sizeof(*px));

	if (!px)
		return NULL;
	px->dp = dp;
	px->loop = dp->loop;
	/* Started by the first UDP flow, stopped with the last. */
	ev_timer_init(&px->sweep, proxy_sweep_cb, PROXY_SWEEP, PROXY_SWEEP);
	ev_timer_init(&px->pause, proxy_pause_cb, PROXY_PAUSE, 0.);
	return px;
}

static proxy_listen_fn *proxy_listen_ext;

void proxy_set_listen_fn(proxy_listen_fn *fn)
{
	proxy_listen_ext = fn;
}

/* proxy_socket() - A bound (TCP: listening) nonblocking socket, or -1. */
static int proxy_socket(uint8_t proto, const union vs_addr *host_ip, uint16_t port)
{
	int af = vs_addr_family(host_ip), one = 1, fd, e;
	union proxy_sa sa;

	if (proxy_listen_ext && af == AF_INET6) {
		errno = EAFNOSUPPORT;   /* the rootless helper binds IPv4 only */
		return -1;
	}
	if (proxy_listen_ext)
		return proxy_listen_ext(proto, vs_addr_get_v4(host_ip), port);
	fd = socket(af, (proto == IPPROTO_UDP ? SOCK_DGRAM : SOCK_STREAM) |
		    SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	/* TCP: rebind over TIME_WAIT after a restart.  Not for UDP, where
	 * SO_REUSEADDR would let two sockets share the port silently. */
	if (proto == IPPROTO_TCP)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* "[::]" beside "0.0.0.0" of the same port: IPv6 clients only */
	if (af == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	memset(&sa, 0, sizeof(sa));
	if (af == AF_INET6) {
		sa.in6.sin6_family = AF_INET6;
		vs_addr_to_bytes(host_ip, &sa.in6.sin6_addr);
		sa.in6.sin6_port = htons(port);
	} else {
		sa.in.sin_family = AF_INET;
		sa.in.sin_addr.s_addr = vs_addr_get_v4(host_ip);
		sa.in.sin_port = htons(port);
	}
	if (bind(fd, &sa.sa, af == AF_INET6 ? sizeof(sa.in6) : sizeof(sa.in)) < 0 ||
	    (proto == IPPROTO_TCP && listen(fd, 128) < 0)) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

static int proxy_listen_one(struct proxy *px, uint8_t proto, const union vs_addr *host_ip,
			    uint16_t port, char *err, size_t errlen)
{
	struct proxy_listener *l;
	int fd;

	fd = proxy_socket(proto, host_ip, port);
	if (fd < 0)
		goto fail;
	l = calloc(1, sizeof(*l));
	if (!l) {
		errno = ENOMEM;
		goto fail;
	}
	l->px = px;
	l->key.host_ip = *host_ip;
	l->key.port = port;
	l->key.proto = proto;
	l->fd = fd;
	ev_io_init(&l->io, proto == IPPROTO_UDP ? proxy_udp_rx_cb : proxy_tcp_accept_cb,
		   fd, EV_READ);
	l->io.data = l;
	HASH_ADD(hh, px->listeners, key, sizeof(l->key), l);
	ev_io_start(px->loop, &l->io);
	return 0;
fail:
	snprintf(err, errlen, "host port %u/%s %s on the host: %s", port,
		 proto == IPPROTO_UDP ? "udp" : "tcp",
		 errno == EADDRINUSE ? "is already in use" : "cannot listen", strerror(errno));
	if (fd >= 0)
		close(fd);
	return -1;
}

static void proxy_close_one(struct proxy *px, uint8_t proto, const union vs_addr *host_ip,
			    uint16_t port)
{
	struct proxy_key k = { *host_ip, port, proto, 0 };
	struct proxy_listener *l;
	struct proxy_udp_flow *f, *ft;

	HASH_FIND(hh, px->listeners, &k, sizeof(k), l);
	if (!l)
		return;
	HASH_ITER(hh, l->flows, f, ft)
		proxy_udp_flow_close(f);
	ev_io_stop(px->loop, &l->io);
	close(l->fd);
	HASH_DEL(px->listeners, l);
	free(l);
	/* TCP connections already accepted keep running until they end */
}

/**
 * proxy_add() - Listen on HOST_IP:[HOST_PORT, +COUNT) for PROTO
 * @proto:	IPPROTO_TCP or IPPROTO_UDP
 * @host_ip:	0.0.0.0, 127.0.0.1, :: or ::1
 * @host_port:	first port
 * @count:	ports in the range
 * @err:	one-line reason
 * @errlen:	size of @err
 *
 * Return: 0, or -1 with nothing left listening (a port in use refuses)
 */
int proxy_add(struct proxy *px, uint8_t proto, const union vs_addr *host_ip, uint16_t host_port,
	      uint16_t count, char *err, size_t errlen)
{
	uint32_t i;

	for (i = 0; i < count; i++)
		if (proxy_listen_one(px, proto, host_ip, (uint16_t)(host_port + i), err, errlen) < 0) {
			while (i-- > 0)
				proxy_close_one(px, proto, host_ip, (uint16_t)(host_port + i));
			return -1;
		}
	return 0;
}

void proxy_del(struct proxy *px, uint8_t proto, const union vs_addr *host_ip, uint16_t host_port,
	       uint16_t count)
{
	uint32_t i;

	for (i = 0; i < count; i++)
		proxy_close_one(px, proto, host_ip, (uint16_t)(host_port + i));
}

/* proxy_free() - Close every listener (accepted TCP connections included). */
void proxy_free(struct proxy *px)
{
	struct proxy_listener *l, *lt;

	if (!px)
		return;
	HASH_ITER(hh, px->listeners, l, lt)
		proxy_close_one(px, l->key.proto, &l->key.host_ip, l->key.port);
	ev_timer_stop(px->loop, &px->sweep);
	ev_timer_stop(px->loop, &px->pause);
	free(px);
}

/* proxy_stats_json() - Refusals by reason and what is held now. */
struct json_object *proxy_stats_json(const struct proxy *px)
{
	struct json_object *o = json_object_new_object();
	const struct proxy_stats *st = &px->stats;

	json_object_object_add(o, "tcp_conns", json_object_new_int64(px->n_conns));
	json_object_object_add(o, "udp_flows", json_object_new_int64(px->n_udp_flows));
	json_object_object_add(o, "sources", json_object_new_int64(HASH_COUNT(px->srcs)));
	json_object_object_add(o, "source_cap_fds", json_object_new_int64(proxy_src_cap()));
	json_object_object_add(o, "tcp_refused_budget", json_object_new_int64((int64_t)st->tcp_budget));
	json_object_object_add(o, "tcp_refused_source_cap", json_object_new_int64((int64_t)st->tcp_src_cap));
	json_object_object_add(o, "udp_refused_budget", json_object_new_int64((int64_t)st->udp_budget));
	json_object_object_add(o, "udp_refused_source_cap", json_object_new_int64((int64_t)st->udp_src_cap));
	json_object_object_add(o, "udp_unreplied_expired",
			       json_object_new_int64((int64_t)st->udp_unreplied_expired));
	json_object_object_add(o, "accept_paused", json_object_new_int64((int64_t)st->accept_paused));
	return o;
}
