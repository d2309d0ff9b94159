/* dns_forward.c - queries the switch does not own go to upstream resolvers.
 *
 * Theory of Operation
 *
 * Forwarding runs in vswitchd's own namespace with ordinary sockets.
 * Every query gets a UDP socket of its own for each upstream it is sent
 * to, bound to a source port drawn at random (RFC 5452 section 9.2: the
 * port and the 16-bit ID together are what an off-path spoofer must
 * guess; with one fixed port per upstream, 65,536 forged answers were
 * enough, audit finding 3) and connected to that upstream, so the kernel
 * delivers only datagrams from the upstream's address and port, and
 * reports ICMP port unreachable as ECONNREFUSED, which is how a dead
 * local upstream is noticed at once.  Clients that asked over TCP get a
 * TCP connection per query.  Each socket takes an fd from DNS's share of
 * the open-file limit (fd_budget.c), so containers cannot exhaust it.
 *
 * Each forwarded query takes one slot of a fixed pool (no allocation per
 * query) and a fresh random 16-bit ID, unique among the queries in flight
 * (a 65536-entry table indexed by ID).  An answer is accepted only on a
 * socket of that query (upstream address and port), with QR set, the
 * query's ID and the same question; anything else is counted
 * (upstream_mismatch) and dropped.  It is relayed unchanged but for the
 * ID (EDNS0 and TC included: a client that sees TC=1 retries over TCP,
 * and our TCP path forwards over TCP).
 *
 * Timeout and retry: every attempt waits DNS_FWD_TRY_MS.  Since every
 * attempt has the same timeout, a FIFO list of slots is also ordered by
 * deadline and one ev_timer for its head serves all (ev.pod, "Be smart
 * about timeouts").  An upstream whose attempt timed out or was refused
 * is marked down and skipped for new queries; every DNS_FWD_PROBE_MS a
 * new query is also copied to a down upstream as a probe, and its first
 * answer marks it up again.  When every upstream is down, queries go to
 * all of them.  After DNS_FWD_TOTAL_MS without an answer the client gets
 * SERVFAIL.
 *
 * A socket per query costs a few syscalls per forwarded query (socket,
 * bind, connect, send, close); forwarding is not the packet path, and
 * queries are rate-limited per client (dns.c), so this buys the port
 * randomisation cheaply.
 *
 * Limits: DNS_FWD_MAX_PENDING queries in flight, fewer if DNS's fd share
 * cannot give each a socket per upstream.  A full pool is shared fairly:
 * the asker takes the oldest slot of the client holding the most if that
 * one holds at least two more (dns_share_hog; the displaced query gets
 * SERVFAIL), else the asker gets SERVFAIL at once; queries larger than DNS_FWD_QMAX get REFUSED; UDP answers larger
 * than DNS_FWD_RMAX are cut to TC=1 so the client asks over TCP; no 0x20
 * case randomisation (some upstreams answer in lower case).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <ev.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dns_internal.h"
#include "fd_budget.h"
#include "log.h"
#include "port.h"

#define DNS_FWD_MAX_PENDING 1024
#define DNS_FWD_QMAX 1500
#define DNS_FWD_RMAX 4096
#define DNS_FWD_BURST 16
/* random source ports are drawn from here (the IANA dynamic range and
 * the registered one above 1024; a port in use is drawn again) */
#define DNS_FWD_PORT_MIN 1024
#define DNS_FWD_PORT_TRIES 8
#define DNS_FWD_PROBE_MS 2000

struct dns_upstream {
	struct sockaddr_storage sa;
	socklen_t salen;
	bool reachable;                  /* a route to it existed at start */
	bool down;
	uint64_t next_probe_ms;
	char name[64];
};

struct dns_pending {
	TAILQ_ENTRY(dns_pending) link;   /* timeout list, or free list */
	struct dns *dns;                 /* for its TCP socket's callback */
	bool used;
	uint16_t up_id, client_id;
	uint64_t start_ms, deadline_ms;
	int cur;                         /* upstream of the current attempt */
	uint32_t sent_mask, tried_mask;
	struct dns_client_ref who;
	struct dns_client *cl;           /* whose share it holds, or NULL */
	TAILQ_ENTRY(dns_pending) cl_link;/* on cl->pending */
	/* UDP: this query's socket per upstream (random port), or -1 */
	int ufd[DNS_FWD_MAX_UPSTREAMS];
	ev_io uio[DNS_FWD_MAX_UPSTREAMS];
	size_t qlen;
	uint8_t q[DNS_FWD_QMAX];
	/* TCP to upstream (who.tcp) */
	int tfd;
	ev_io tio;
	uint8_t *tbuf;
	uint8_t thdr[2];                 /* the answer's length prefix */
	size_t thdr_len, tlen, toff;
	bool tsent;
};

TAILQ_HEAD(dns_pending_list, dns_pending);

#define DNS_FWD_OF(w, field) \
	((struct dns_fwd *)(void *)((char *)(w) - offsetof(struct dns_fwd, field)))

/* The forwarder of one resolver (dns->fwd). */
struct dns_fwd {
	struct dns *dns;
	struct dns_upstream ups[DNS_FWD_MAX_UPSTREAMS];
	int n_ups;
	int n_open;                  /* upstreams with a socket */
	struct dns_pending pool[DNS_FWD_MAX_PENDING];
	/* Entries below this were handed out at least once; the rest are still
	 * untouched zero pages, so an idle resolver costs no RSS for its pool. */
	unsigned int pool_next;
	struct dns_pending *by_id[65536];
	struct dns_pending_list free_list, waiting;
	unsigned int n_pending;
	ev_timer timer;
	struct ev_loop *loop;
	bool ready;
	uint8_t rbuf[DNS_FWD_RMAX];      /* one answer at a time */
};

static void dns_forward_attempt(struct dns *dns, struct dns_pending *p);

/**
 * dns_forward_parse_upstream() - Parse "IP", "IP:PORT", "[IPv6]:PORT"
 * @s:		the text
 * @sa:		out: a struct sockaddr_storage
 * @salen:	out: its used length
 * @err:	one-line error
 * @errlen:	its size
 *
 * Return: 0, or -1 with ERR.
 */
int dns_forward_parse_upstream(const char *s, void *sa, unsigned int *salen,
			       char *err, size_t errlen)
{
	struct sockaddr_in *s4 = sa;
	struct sockaddr_in6 *s6 = sa;
	char host[64];
	const char *colon = strrchr(s, ':');
	unsigned long port = 53;
	char *end;

	memset(sa, 0, sizeof(struct sockaddr_storage));
	if (s[0] == '[') {
		const char *rb = strchr(s, ']');

		if (!rb || (size_t)(rb - s - 1) >= sizeof(host))
			goto bad;
		snprintf(host, sizeof(host), "%.*s", (int)(rb - s - 1), s + 1);
		colon = rb[1] == ':' ? rb + 1 : NULL;
		if (rb[1] && !colon)
			goto bad;
	} else if (colon && strchr(s, ':') == colon) {
		if ((size_t)(colon - s) >= sizeof(host))
			goto bad;
		snprintf(host, sizeof(host), "%.*s", (int)(colon - s), s);
	} else {
		colon = NULL;          /* bare IPv6 address, or bare IPv4 */
		if (strlen(s) >= sizeof(host))
			goto bad;
		snprintf(host, sizeof(host), "%s", s);
	}
	if (colon) {
		errno = 0;
		port = strtoul(colon + 1, &end, 10);
		if (errno || *end || !colon[1] || port == 0 || port > 65535)
			goto bad;
	}
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		*salen = sizeof(*s4);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		*salen = sizeof(*s6);
		return 0;
	}
bad:
	snprintf(err, errlen, "bad DNS upstream '%s': expected IP[:PORT]", s);
	return -1;
}

static void dns_put_id(uint8_t *msg, uint16_t id)
{
	msg[0] = (uint8_t)(id >> 8);
	msg[1] = (uint8_t)id;
}

void (*dns_upstream_event)(const char *upstream, bool down);

static void dns_upstream_set_down(struct dns *dns, int i, bool down)
{
	struct dns_upstream *u = &dns->fwd->ups[i];

	if (down && !u->down) {
		log_warn("dns: upstream %s not answering, skipping it", u->name);
		u->next_probe_ms = dns_now_ms(dns) + DNS_FWD_PROBE_MS;
	} else if (!down && u->down) {
		log_info("dns: upstream %s answers again", u->name);
	}
	if (down != u->down && dns_upstream_event)
		dns_upstream_event(u->name, down);
	u->down = down;
}

/* Close P's UDP socket towards upstream I, if it has one. */
static void dns_udp_close(struct dns *dns, struct dns_pending *p, int i)
{
	if (p->ufd[i] < 0)
		return;
	if (dns->fwd->loop)
		ev_io_stop(dns->fwd->loop, &p->uio[i]);
	close(p->ufd[i]);
	p->ufd[i] = -1;
	fd_budget_put(FD_DNS, 1);
}

/* Close P's TCP connection to an upstream, if it has one. */
static void dns_tcp_up_close(struct dns *dns, struct dns_pending *p)
{
	if (p->tfd < 0)
		return;
	ev_io_stop(dns->fwd->loop, &p->tio);
	close(p->tfd);
	p->tfd = -1;
	fd_budget_put(FD_DNS, 1);
}

/* P holds a slot of client C's share from now on. */
static void dns_pending_own(struct dns *dns, struct dns_pending *p, struct dns_client *c)
{
	p->cl = c;
	TAILQ_INSERT_TAIL(&c->pending, p, cl_link);
	dns_share_set(dns, c, DNS_SHARE_FWD, c->held[DNS_SHARE_FWD] + 1);
}

/* P no longer counts against its client. */
static void dns_pending_disown(struct dns *dns, struct dns_pending *p)
{
	struct dns_client *c = p->cl;

	if (!c)
		return;
	TAILQ_REMOVE(&c->pending, p, cl_link);
	dns_share_set(dns, c, DNS_SHARE_FWD, c->held[DNS_SHARE_FWD] - 1);
	p->cl = NULL;
}

/**
 * dns_forward_client_gone() - C's bucket goes (its endpoint did)
 *
 * Its queries stay in flight, counted against nobody; their answers find
 * no endpoint and are dropped.
 */
void dns_forward_client_gone(struct dns *dns, struct dns_client *c)
{
	struct dns_pending *p;

	while ((p = TAILQ_FIRST(&c->pending)))
		dns_pending_disown(dns, p);
}

/* Put P back in the pool; its client's share drops with it. */
static void dns_pending_free(struct dns *dns, struct dns_pending *p)
{
	int i;

	if (!p->used)
		return;
	dns_pending_disown(dns, p);
	TAILQ_REMOVE(&dns->fwd->waiting, p, link);
	if (dns->fwd->by_id[p->up_id] == p)
		dns->fwd->by_id[p->up_id] = NULL;
	for (i = 0; i < DNS_FWD_MAX_UPSTREAMS; i++)
		dns_udp_close(dns, p, i);
	dns_tcp_up_close(dns, p);
	free(p->tbuf);
	p->tbuf = NULL;
	p->used = false;
	TAILQ_INSERT_HEAD(&dns->fwd->free_list, p, link);
	dns->fwd->n_pending--;
}

/* Hand MSG (ID already the client's) to the client and end P. */
static void dns_pending_answer(struct dns *dns, struct dns_pending *p, uint8_t *msg, size_t len)
{
	struct dns_client_ref who = p->who;

	dns_pending_free(dns, p);
	dns_deliver(dns, &who, msg, len);
}

/* End P with SERVFAIL to its client: no upstream answered in time, or
 * its slot went to a client holding fewer (the caller counts which). */
static void dns_pending_servfail(struct dns *dns, struct dns_pending *p)
{
	uint8_t out[DNS_FWD_QMAX];
	struct dns_msg m = { .buf = out, .cap = sizeof(out) };
	struct dns_query q;

	dns_put_id(p->q, p->client_id);
	dns_wire_parse_query(p->q, p->qlen, &q);
	if (!dns_wire_reply_start(&m, p->q, &q, DNS_RC_SERVFAIL, false)) {
		dns_pending_free(dns, p);
		return;
	}
	dns_wire_finish(&m, DNS_RC_SERVFAIL);
	dns_pending_answer(dns, p, out, m.len);
}

static void dns_timer_arm(struct dns *dns)
{
	struct dns_pending *head = TAILQ_FIRST(&dns->fwd->waiting);
	uint64_t now = dns_now_ms(dns);

	if (!dns->fwd->loop)
		return;
	ev_timer_stop(dns->fwd->loop, &dns->fwd->timer);
	if (!head)
		return;
	ev_timer_set(&dns->fwd->timer, head->deadline_ms > now ?
		     (double)(head->deadline_ms - now) / 1000.0 : 0.0, 0.0);
	ev_timer_start(dns->fwd->loop, &dns->fwd->timer);
}

/* Move P to the tail of the waiting list with a fresh attempt deadline. */
static void dns_pending_rearm(struct dns *dns, struct dns_pending *p)
{
	TAILQ_REMOVE(&dns->fwd->waiting, p, link);
	p->deadline_ms = dns_now_ms(dns) + DNS_FWD_TRY_MS;
	TAILQ_INSERT_TAIL(&dns->fwd->waiting, p, link);
}

/* The first upstream that is up and (if UNTRIED) not yet tried by P. */
static int dns_pick(struct dns *dns, const struct dns_pending *p, bool untried)
{
	int i;

	for (i = 0; i < dns->fwd->n_ups; i++) {
		if (dns->fwd->ups[i].down || !dns->fwd->ups[i].reachable)
			continue;
		if (untried && (p->tried_mask & (1u << i)))
			continue;
		return i;
	}
	return -1;
}

static void dns_udp_reply_cb(struct ev_loop *loop, ev_io *w, int revents);

/* dns_udp_bind_random() - Bind FD to a source port drawn from our own
 * random generator (RFC 5452 9.2), drawing again if it is taken; after
 * DNS_FWD_PORT_TRIES the kernel's own random choice (connect's autobind). */
static void dns_udp_bind_random(struct dns *dns, int fd, int family)
{
	struct sockaddr_storage ss;
	uint16_t port;
	int t;

	for (t = 0; t < DNS_FWD_PORT_TRIES; t++) {
		dns_rng(dns, &port, sizeof(port));
		if (port < DNS_FWD_PORT_MIN)
			continue;
		memset(&ss, 0, sizeof(ss));
		ss.ss_family = (sa_family_t)family;
		if (family == AF_INET6)
			((struct sockaddr_in6 *)&ss)->sin6_port = htons(port);
		else
			((struct sockaddr_in *)&ss)->sin_port = htons(port);
		if (bind(fd, (struct sockaddr *)&ss, family == AF_INET6 ?
			 sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in)) == 0)
			return;
	}
}

static dns_socket_fn *dns_fwd_socket_ext;

/* dns_forward_set_socket_fn() - Where upstream sockets come from (a
 * rootless vswitchd: made in the host's namespace by its supervisor,
 * because its own namespace has no route to the resolvers). */
void dns_forward_set_socket_fn(dns_socket_fn *fn)
{
	dns_fwd_socket_ext = fn;
}

static int dns_fwd_socket(int family, int type)
{
	return dns_fwd_socket_ext ? dns_fwd_socket_ext(family, type) : socket(family, type, 0);
}

/* dns_udp_open() - P's socket towards upstream I: a random source port,
 * connected to the upstream, watched for its answer.  Return: 0 or -1. */
static int dns_udp_open(struct dns *dns, struct dns_pending *p, int i)
{
	struct dns_upstream *u = &dns->fwd->ups[i];
	int fd;

	if (p->ufd[i] >= 0)
		return 0;
	if (!fd_budget_take(FD_DNS, 1))
		return -1;
	fd = dns_fwd_socket(u->sa.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0) {
		fd_budget_put(FD_DNS, 1);
		return -1;
	}
	dns_udp_bind_random(dns, fd, u->sa.ss_family);
	if (connect(fd, (struct sockaddr *)&u->sa, u->salen) < 0) {
		close(fd);
		fd_budget_put(FD_DNS, 1);
		return -1;
	}
	p->ufd[i] = fd;
	if (dns->fwd->loop) {
		ev_io_init(&p->uio[i], dns_udp_reply_cb, fd, EV_READ);
		p->uio[i].data = p;
		ev_io_start(dns->fwd->loop, &p->uio[i]);
	}
	return 0;
}

/* Send P to upstream I on P's own socket for it. */
static void dns_udp_send(struct dns *dns, struct dns_pending *p, int i)
{
	if (!dns->fwd->ups[i].reachable)
		return;
	p->sent_mask |= 1u << i;
	p->tried_mask |= 1u << i;
	if (dns_udp_open(dns, p, i) < 0)
		return;	/* no fd: the attempt timer moves on */
	if (send(p->ufd[i], p->q, p->qlen, MSG_DONTWAIT) < 0 && errno == ECONNREFUSED)
		dns_upstream_set_down(dns, i, true);
}

/* ---- TCP to an upstream, for clients that asked over TCP ---- */

static void dns_tcp_up_fail(struct dns *dns, struct dns_pending *p)
{
	dns_tcp_up_close(dns, p);
	free(p->tbuf);
	p->tbuf = NULL;
	dns_upstream_set_down(dns, p->cur, true);
	/* Every upstream tried: wait for the attempt timer, do not spin. */
	if (dns_pick(dns, p, true) >= 0)
		dns_forward_attempt(dns, p);
}

/* Read the 2-byte length, then the answer; deliver when complete. */
static void dns_tcp_up_read(struct dns *dns, struct dns_pending *p)
{
	ssize_t r;

	if (!p->tbuf) {
		r = recv(p->tfd, p->thdr + p->thdr_len, 2 - p->thdr_len, 0);
		if (r <= 0) {
			if (r == 0 || errno != EAGAIN)
				dns_tcp_up_fail(dns, p);
			return;
		}
		p->thdr_len += (size_t)r;
		if (p->thdr_len < 2)
			return;
		p->tlen = (size_t)(p->thdr[0] << 8 | p->thdr[1]);
		/* One allocation per TCP answer, sized by its prefix. */
		if (p->tlen < DNS_HDR_LEN || !(p->tbuf = malloc(p->tlen + 2))) {
			dns_tcp_up_fail(dns, p);
			return;
		}
		memcpy(p->tbuf, p->thdr, 2);
		p->toff = 2;
	}
	r = recv(p->tfd, p->tbuf + p->toff, p->tlen + 2 - p->toff, 0);
	if (r <= 0) {
		if (r == 0 || errno != EAGAIN)
			dns_tcp_up_fail(dns, p);
		return;
	}
	p->toff += (size_t)r;
	if (p->toff < p->tlen + 2)
		return;
	if (p->tbuf[2] != (uint8_t)(p->up_id >> 8) || p->tbuf[3] != (uint8_t)p->up_id ||
	    !dns_wire_same_question(p->q, p->qlen, p->tbuf + 2, p->tlen)) {
		dns_stats_mut(dns)->upstream_mismatch++;
		dns_tcp_up_fail(dns, p);
		return;
	}
	dns_upstream_set_down(dns, p->cur, false);
	dns_stats_mut(dns)->upstream_answers++;
	dns_put_id(p->tbuf + 2, p->client_id);
	{
		uint8_t *buf = p->tbuf;

		p->tbuf = NULL;      /* dns_pending_free would free it */
		dns_pending_answer(dns, p, buf + 2, p->tlen);
		free(buf);
	}
}

static void dns_tcp_up_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct dns_pending *p = w->data;
	struct dns *dns = p->dns;
	uint8_t out[DNS_FWD_QMAX + 2];
	int soerr = 0;
	socklen_t sl = sizeof(soerr);

	(void)loop;
	if (!p->tsent && (revents & EV_WRITE)) {
		if (getsockopt(p->tfd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0 || soerr) {
			dns_tcp_up_fail(dns, p);
			return;
		}
		out[0] = (uint8_t)(p->qlen >> 8);
		out[1] = (uint8_t)p->qlen;
		memcpy(out + 2, p->q, p->qlen);
		if (send(p->tfd, out, p->qlen + 2, MSG_NOSIGNAL) != (ssize_t)(p->qlen + 2)) {
			dns_tcp_up_fail(dns, p);
			return;
		}
		p->tsent = true;
		ev_io_stop(dns->fwd->loop, &p->tio);
		ev_io_set(&p->tio, p->tfd, EV_READ);
		ev_io_start(dns->fwd->loop, &p->tio);
		return;
	}
	if (revents & EV_READ)
		dns_tcp_up_read(dns, p);
}

static void dns_tcp_up_start(struct dns *dns, struct dns_pending *p, int i)
{
	struct dns_upstream *u = &dns->fwd->ups[i];
	int fd;

	p->tried_mask |= 1u << i;
	p->sent_mask |= 1u << i;
	if (!fd_budget_take(FD_DNS, 1))
		return;
	fd = dns_fwd_socket(u->sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0) {
		fd_budget_put(FD_DNS, 1);
		return;
	}
	if (connect(fd, (struct sockaddr *)&u->sa, u->salen) < 0 &&
	    errno != EINPROGRESS) {
		close(fd);
		fd_budget_put(FD_DNS, 1);
		dns_upstream_set_down(dns, i, true);
		return;
	}
	p->tfd = fd;
	p->tsent = false;
	p->thdr_len = 0;
	ev_io_init(&p->tio, dns_tcp_up_cb, fd, EV_WRITE);
	p->tio.data = p;
	ev_io_start(dns->fwd->loop, &p->tio);
}

/**
 * dns_forward_attempt() - Send P's next attempt, or give up with SERVFAIL
 * @p:		a pending query
 *
 * The next attempt goes to the first upstream that is up and untried for
 * P; failing that any that is up; failing that all of them (when all are
 * down, each send is a probe).  After DNS_FWD_TOTAL_MS: SERVFAIL.
 */
static void dns_forward_attempt(struct dns *dns, struct dns_pending *p)
{
	uint64_t now = dns_now_ms(dns);
	int i;

	if (now - p->start_ms >= DNS_FWD_TOTAL_MS) {
		dns_stats_mut(dns)->servfail_timeouts++;
		dns_pending_servfail(dns, p);
		return;
	}
	i = dns_pick(dns, p, true);
	if (i < 0)
		i = dns_pick(dns, p, false);
	dns_pending_rearm(dns, p);
	if (p->who.tcp) {
		if (i < 0)
			i = (p->cur + 1) % dns->fwd->n_ups;
		p->cur = i;
		dns_tcp_up_start(dns, p, i);
		return;
	}
	if (i >= 0) {
		p->cur = i;
		dns_udp_send(dns, p, i);
		return;
	}
	for (i = 0; i < dns->fwd->n_ups; i++)
		dns_udp_send(dns, p, i);
}

/* Copy a new query to down upstreams whose probe time has come. */
static void dns_forward_probe(struct dns *dns, struct dns_pending *p)
{
	uint64_t now = dns_now_ms(dns);
	int i;

	for (i = 0; i < dns->fwd->n_ups; i++) {
		struct dns_upstream *u = &dns->fwd->ups[i];

		if (!u->down || now < u->next_probe_ms || (p->sent_mask & (1u << i)))
			continue;
		u->next_probe_ms = now + DNS_FWD_PROBE_MS;
		dns_udp_send(dns, p, i);
	}
}

/* Slots the pool may hand out: DNS_FWD_MAX_PENDING, or fewer when DNS's
 * share of fds could not give each one a socket per upstream. */
static unsigned int dns_forward_capacity(struct dns *dns)
{
	unsigned int per = dns->fwd->n_ups > 0 ? (unsigned int)dns->fwd->n_ups : 1;
	unsigned int cap = fd_budget_share(FD_DNS) / per;

	return cap < DNS_FWD_MAX_PENDING ? cap : DNS_FWD_MAX_PENDING;
}

/* A free slot of the pool for client C, or NULL.  A full pool gives C the
 * slot of the oldest query of the client holding the most, if C holds
 * at least two fewer (dns_share_hog): that query gets SERVFAIL now. */
static struct dns_pending *dns_forward_slot(struct dns *dns, struct dns_client *c)
{
	struct dns_fwd *f = dns->fwd;
	struct dns_pending *p;
	struct dns_client *hog;
	int i;

	if (f->n_pending >= dns_forward_capacity(dns)) {
		hog = dns_share_hog(dns, DNS_SHARE_FWD, c);
		if (!hog || !(p = TAILQ_FIRST(&hog->pending)))
			return NULL;
		dns_stats_mut(dns)->fwd_evicted++;
		dns_pending_servfail(dns, p);
	}
	p = TAILQ_FIRST(&f->free_list);
	if (!p && f->pool_next < DNS_FWD_MAX_PENDING) {
		p = &f->pool[f->pool_next++];
		memset(p, 0, sizeof(*p));
		p->dns = dns;
		p->tfd = -1;
		for (i = 0; i < DNS_FWD_MAX_UPSTREAMS; i++)
			p->ufd[i] = -1;
		TAILQ_INSERT_HEAD(&f->free_list, p, link);
	}
	return p;
}

/**
 * dns_forward_query() - Send a query the index does not own upstream
 * @c:		the client it counts against (dns_client_of)
 * @who:	the client, by value
 * @msg:	the query as received
 * @len:	its length
 *
 * Return: 0 if under way (the answer comes through dns_deliver), else an
 * rcode to answer with now: SERVFAIL (no upstreams, pool full and C holds
 * its fair share), REFUSED (too large).
 */
int dns_forward_query(struct dns *dns, struct dns_client *c, const struct dns_client_ref *who,
		      const uint8_t *msg, size_t len)
{
	struct dns_pending *p;
	uint16_t id;
	int tries;

	if (!dns->fwd || !dns->fwd->ready || !dns->fwd->n_open || len < DNS_HDR_LEN)
		return DNS_RC_SERVFAIL;      /* nobody to ask: say so at once */
	if (len > DNS_FWD_QMAX)
		return DNS_RC_REFUSED;
	p = dns_forward_slot(dns, c);
	if (!p)
		return DNS_RC_SERVFAIL;
	/* Random and unused; the pool is far smaller than the ID space. */
	for (tries = 0; tries < 64; tries++) {
		dns_rng(dns, &id, sizeof(id));
		if (!dns->fwd->by_id[id])
			break;
	}
	if (dns->fwd->by_id[id])
		return DNS_RC_SERVFAIL;
	TAILQ_REMOVE(&dns->fwd->free_list, p, link);
	TAILQ_INSERT_TAIL(&dns->fwd->waiting, p, link);
	dns->fwd->n_pending++;
	p->used = true;
	p->up_id = id;
	p->client_id = (uint16_t)(msg[0] << 8 | msg[1]);
	p->start_ms = dns_now_ms(dns);
	p->cur = -1;
	p->sent_mask = p->tried_mask = 0;
	p->who = *who;
	dns_pending_own(dns, p, c);
	p->qlen = len;
	memcpy(p->q, msg, len);
	dns_put_id(p->q, id);
	p->tfd = -1;
	p->tbuf = NULL;
	dns->fwd->by_id[id] = p;
	dns_forward_attempt(dns, p);
	if (p->used && !p->who.tcp)
		dns_forward_probe(dns, p);
	dns_timer_arm(dns);
	return 0;
}

/* An attempt's time is up: mark its upstream down and try the next. */
static void dns_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct dns *dns = DNS_FWD_OF(w, timer)->dns;
	uint64_t now = dns_now_ms(dns);
	struct dns_pending *p;
	unsigned int budget = DNS_FWD_MAX_PENDING;

	(void)loop; (void)w; (void)revents;
	while ((p = TAILQ_FIRST(&dns->fwd->waiting)) && p->deadline_ms <= now && budget--) {
		dns_stats_mut(dns)->upstream_timeouts++;
		if (p->cur >= 0)
			dns_upstream_set_down(dns, p->cur, true);
		if (p->tfd >= 0) {
			dns_tcp_up_close(dns, p);
			free(p->tbuf);
			p->tbuf = NULL;
		}
		dns_forward_attempt(dns, p);
	}
	dns_timer_arm(dns);
}

/* Upstream I refused (ICMP port unreachable): fail its queries over now. */
static void dns_upstream_refused(struct dns *dns, int i)
{
	unsigned int k;

	dns_upstream_set_down(dns, i, true);
	/* O(pool) walk, on an ICMP error from an upstream, not per packet. */
	for (k = 0; k < dns->fwd->pool_next; k++) {
		struct dns_pending *p = &dns->fwd->pool[k];

		/* Only to an untried upstream; else the timer retries. */
		if (p->used && !p->who.tcp && p->cur == i && dns_pick(dns, p, true) >= 0)
			dns_forward_attempt(dns, p);
	}
	dns_timer_arm(dns);
}

/* dns_udp_answer() - One datagram on P's socket for upstream I: the
 * kernel has matched the upstream's address and port (the socket is
 * connected) and our random port; the ID and the question must match too.
 * Return: true if it answered P (P is then free). */
static bool dns_udp_answer(struct dns *dns, struct dns_pending *p, int i, uint8_t *msg,
			   size_t len, bool cut)
{
	if (len < DNS_HDR_LEN || !(msg[2] & 0x80) ||
	    (uint16_t)(msg[0] << 8 | msg[1]) != p->up_id ||
	    !dns_wire_same_question(p->q, p->qlen, msg, len)) {
		dns_stats_mut(dns)->upstream_mismatch++;
		return false;
	}
	dns_upstream_set_down(dns, i, false);
	dns_stats_mut(dns)->upstream_answers++;
	if (cut)
		len = dns_wire_truncate(msg, len);
	dns_put_id(msg, p->client_id);
	dns_pending_answer(dns, p, msg, len);
	return true;
}

/* Datagrams on one query's socket: at most a burst per wake-up, so a
 * flood of forgeries at one port cannot hold the loop. */
static void dns_udp_reply_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct dns_pending *p = w->data;
	struct dns *dns = p->dns;
	int i = (int)(w - p->uio), k;
	ssize_t n;

	(void)loop; (void)revents;
	for (k = 0; k < DNS_FWD_BURST; k++) {
		n = recv(p->ufd[i], dns->fwd->rbuf, sizeof(dns->fwd->rbuf), MSG_DONTWAIT | MSG_TRUNC);
		if (n < 0) {
			if (errno == ECONNREFUSED)
				dns_upstream_refused(dns, i);
			break;
		}
		if (dns_udp_answer(dns, p, i, dns->fwd->rbuf,
				   (size_t)n > sizeof(dns->fwd->rbuf) ? sizeof(dns->fwd->rbuf) : (size_t)n,
				   (size_t)n > sizeof(dns->fwd->rbuf)))
			break;
	}
	dns_timer_arm(dns);
}

/* At start: can upstream I be reached at all?  (A connect to an address
 * with no route fails at once; such an upstream is never asked.) */
static int dns_upstream_open(struct dns *dns, int i)
{
	struct dns_upstream *u = &dns->fwd->ups[i];
	int fd = dns_fwd_socket(u->sa.ss_family, SOCK_DGRAM | SOCK_CLOEXEC);

	if (fd < 0)
		return -1;
	u->reachable = connect(fd, (struct sockaddr *)&u->sa, u->salen) == 0;
	if (!u->reachable)
		log_warn("dns: upstream %s unreachable: %s", u->name, strerror(errno));
	else
		dns->fwd->n_open++;
	close(fd);
	return 0;
}

/**
 * dns_forward_init() - Parse upstreams, open their sockets, fill the pool
 * @loop:	event loop (NULL in unit tests: nothing is watched)
 * @upstreams:	"IP[:PORT]" strings
 * @n_upstreams: their count (0: every non-local query gets SERVFAIL)
 * @err:	one-line error
 * @errlen:	its size
 *
 * Return: 0, or -1 with ERR.
 */
int dns_forward_init(struct dns *dns, struct ev_loop *loop, const char *const *upstreams,
		     int n_upstreams, char *err, size_t errlen)
{
	int i;

	/* Made once, kept across a fini and a new init (tests), freed with
	 * the resolver: an idle pool is zero pages. */
	if (!dns->fwd) {
		dns->fwd = calloc(1, sizeof(*dns->fwd));
		if (!dns->fwd) {
			snprintf(err, errlen, "dns: out of memory");
			return -1;
		}
		dns->fwd->dns = dns;
	}
	dns->fwd->loop = loop;
	TAILQ_INIT(&dns->fwd->free_list);
	TAILQ_INIT(&dns->fwd->waiting);
	dns->fwd->pool_next = 0;	/* entries are made ready as they are first needed */
	if (n_upstreams > DNS_FWD_MAX_UPSTREAMS)
		n_upstreams = DNS_FWD_MAX_UPSTREAMS;
	dns->fwd->n_ups = 0;
	dns->fwd->n_open = 0;
	for (i = 0; i < n_upstreams; i++) {
		struct dns_upstream *u = &dns->fwd->ups[dns->fwd->n_ups];
		unsigned int salen;

		memset(u, 0, sizeof(*u));
		if (dns_forward_parse_upstream(upstreams[i], &u->sa, &salen, err, errlen) < 0)
			return -1;
		u->salen = salen;
		snprintf(u->name, sizeof(u->name), "%s", upstreams[i]);
		if (dns_upstream_open(dns, dns->fwd->n_ups) < 0) {
			snprintf(err, errlen, "dns: cannot open a socket for %s: %s",
				 u->name, strerror(errno));
			return -1;
		}
		dns->fwd->n_ups++;
	}
	if (loop)
		ev_init(&dns->fwd->timer, dns_timer_cb);
	dns->fwd->ready = true;
	log_info("dns: %d upstream resolver(s)", dns->fwd->n_ups);
	return 0;
}

unsigned int dns_forward_pending(struct dns *dns) { return dns->fwd ? dns->fwd->n_pending : 0; }

void dns_forward_fini(struct dns *dns)
{
	struct dns_pending *p;
	int i;

	if (!dns->fwd)
		return;
	while ((p = TAILQ_FIRST(&dns->fwd->waiting)))
		dns_pending_free(dns, p);
	for (i = 0; i < dns->fwd->n_ups; i++)
		dns->fwd->ups[i].reachable = false;
	if (dns->fwd->loop)
		ev_timer_stop(dns->fwd->loop, &dns->fwd->timer);
	dns->fwd->n_ups = 0;
	dns->fwd->n_open = 0;
	dns->fwd->ready = false;
}
