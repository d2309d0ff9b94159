/* etcd.c - HTTP transport of the etcd client: libcurl multi on libev.
 *
 * DOC: Theory of Operation
 *
 * Every request is one libcurl easy handle POSTing a JSON body to
 * http://ENDPOINT/v3/...; all of them live in one multi handle that the
 * daemon's libev loop drives, as curl's docs/examples/evhiperfifo.c does:
 * libcurl tells us which sockets to watch (CURLMOPT_SOCKETFUNCTION, one
 * ev_io each, kept with curl_multi_assign) and when to wake it
 * (CURLMOPT_TIMERFUNCTION, one ev_timer); we call
 * curl_multi_socket_action() when either fires and collect finished
 * transfers from curl_multi_info_read().  Nothing here waits: a request
 * returns at once and its callback runs later from the loop, so the
 * datapath never stalls on etcd, also when etcd is down.
 *
 * Failover and retries.  The client knows up to ETCD_MAX_ENDPOINTS
 * endpoints and sends to the current one.  A unary request that fails in
 * transport (refused, reset, timed out, HTTP 5xx) moves the current
 * endpoint on and is sent again at once while an endpoint is left untried,
 * then again after a pause that doubles, until ETCD_DEADLINE_MS after it
 * was first sent; then its callback gets ETCD_ERR_TRANSPORT.  A hiccup of a
 * single etcd (a slow fsync, a restart) thus does not fail a user's
 * command.  Only a request that is safe to repeat is repeated: a range, a
 * put, a delete or a lease request, whatever happened to the first; a txn
 * only when libcurl sent none of it, because a txn that etcd applied but
 * whose answer was lost would fail its own compare the second time.  A
 * watch is not retried here: its owner (cluster.c) is told the stream
 * ended and lists and watches again, which is what it must do anyway after
 * a compaction or an etcd restart.
 *
 * Limits.  One try of a unary request takes at most ETCD_TIMEOUT_MS, all
 * of them ETCD_DEADLINE_MS (well inside vsctl's 30 s); a reply or one
 * watch line at most ETCD_MAX_REPLY bytes (more is a bad reply, and the
 * transfer is cut).  Requests are answered in no particular order.
 * Hostnames are not resolved here (libcurl's resolver would be a thread
 * or a blocking call): endpoints are IP:PORT.
 *
 * libcurl is not linked but loaded by the first etcd_new() (vswitchd
 * loads it earlier, before its sandbox): the calls below keep libcurl's
 * names and go through curl_dl.h's table (issue 19, idle RSS).
 */
#include <ev.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include "curl_dl.h"
#include "etcd.h"
#include "log.h"

#define ETCD_TIMEOUT_MS 5000L
#define ETCD_CONNECT_MS 2000L
#define ETCD_DEADLINE_MS 15000L
#define ETCD_PAUSE_MS 200L           /* before the first repeat; doubles */

struct etcd_req {
	struct etcd *e;
	CURL *easy;
	char *body;                  /* the JSON sent */
	const char *path;            /* "/v3/kv/range"... */
	char url[192];
	char *resp;                  /* unary: the reply so far */
	size_t resp_len;
	int ep;                      /* the endpoint it went to */
	int tries;                   /* sends that failed */
	bool repeatable;             /* safe to send twice (not a txn) */
	ev_tstamp deadline;          /* no new try after this */
	ev_timer pause;              /* before the next try */
	etcd_cb *cb;
	void *arg;
	struct etcd_watch *watch;    /* a watch's stream, or NULL */
	bool too_big;
	bool queued;                 /* made inside a libcurl callback: started by kick */
	LIST_ENTRY(etcd_req) link;
};

struct etcd_watch {
	struct etcd_req *req;
	struct etcd_frame frame;
	etcd_watch_cb *cb;
	void *arg;
	bool canceled;               /* by its owner, from inside a callback */
	int status;                  /* why it ended, if it did in a line */
};

struct etcd {
	struct ev_loop *loop;
	CURLM *multi;
	ev_timer timer;
	ev_timer kick;               /* starts requests made inside callbacks */
	char endpoints[ETCD_MAX_ENDPOINTS][ETCD_EP_LEN];
	int n_ep, cur;
	int in_write;                /* inside a write callback: no remove_handle */
	struct etcd_stats stats;
	char last_err[160];          /* the last transport failure, for users */
	LIST_HEAD(, etcd_req) reqs;
};

struct etcd_sock {
	ev_io io;
	curl_socket_t fd;
	struct etcd *e;
};

static void etcd_check_done(struct etcd *e);
static void etcd_kick_cb(struct ev_loop *loop, ev_timer *w, int revents);

/* CURLMOPT_TIMERFUNCTION: libcurl wants to be called in MS (-1: never). */
static int etcd_timer_fn(CURLM *multi, long ms, void *userp)
{
	struct etcd *e = userp;

	(void)multi;
	ev_timer_stop(e->loop, &e->timer);
	if (ms >= 0) {
		ev_timer_set(&e->timer, (double)ms / 1000.0, 0.);
		ev_timer_start(e->loop, &e->timer);
	}
	return 0;
}

static void etcd_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct etcd *e = w->data;
	int running;

	(void)loop; (void)revents;
	curl_multi_socket_action(e->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	etcd_check_done(e);
}

static void etcd_io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct etcd_sock *s = (struct etcd_sock *)w;
	struct etcd *e = s->e;
	int running, action = (revents & EV_READ ? CURL_CSELECT_IN : 0) |
			      (revents & EV_WRITE ? CURL_CSELECT_OUT : 0);

	(void)loop;
	curl_multi_socket_action(e->multi, s->fd, action, &running);
	etcd_check_done(e);
}

/* CURLMOPT_SOCKETFUNCTION: watch FD for WHAT, or stop (CURL_POLL_REMOVE). */
static int etcd_sock_fn(CURL *easy, curl_socket_t fd, int what, void *userp, void *sockp)
{
	struct etcd *e = userp;
	struct etcd_sock *s = sockp;
	int kind = (what & CURL_POLL_IN ? EV_READ : 0) | (what & CURL_POLL_OUT ? EV_WRITE : 0);

	(void)easy;
	if (what == CURL_POLL_REMOVE) {
		if (s) {
			ev_io_stop(e->loop, &s->io);
			free(s);
			curl_multi_assign(e->multi, fd, NULL);
		}
		return 0;
	}
	if (!s) {
		s = calloc(1, sizeof(*s));
		if (!s)
			return -1;
		s->fd = fd;
		s->e = e;
		curl_multi_assign(e->multi, fd, s);
	} else {
		ev_io_stop(e->loop, &s->io);
	}
	ev_io_init(&s->io, etcd_io_cb, fd, kind);
	ev_io_start(e->loop, &s->io);
	return 0;
}

/**
 * etcd_new() - A client of the etcd cluster URL names
 * @loop:	the daemon's loop
 * @url:	etcd://IP:PORT[,IP:PORT...] (etcd_parse_url)
 * @err:	why not
 * @errlen:	size of ERR
 *
 * Return: the client, or NULL with ERR
 */
struct etcd *etcd_new(struct ev_loop *loop, const char *url, char *err, size_t errlen)
{
	struct etcd *e = calloc(1, sizeof(*e));

	if (!e) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if ((e->n_ep = etcd_parse_url(url, e->endpoints, err, errlen)) < 0 ||
	    curl_dl_open(err, errlen))
		goto fail;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) || !(e->multi = curl_multi_init())) {
		snprintf(err, errlen, "cannot start libcurl");
		goto fail;
	}
	e->loop = loop;
	LIST_INIT(&e->reqs);
	ev_init(&e->timer, etcd_timer_cb);
	e->timer.data = e;
	ev_timer_init(&e->kick, etcd_kick_cb, 0., 0.);
	e->kick.data = e;
	curl_multi_setopt(e->multi, CURLMOPT_SOCKETFUNCTION, etcd_sock_fn);
	curl_multi_setopt(e->multi, CURLMOPT_SOCKETDATA, e);
	curl_multi_setopt(e->multi, CURLMOPT_TIMERFUNCTION, etcd_timer_fn);
	curl_multi_setopt(e->multi, CURLMOPT_TIMERDATA, e);
	return e;
fail:
	free(e);
	return NULL;
}

static void etcd_req_free(struct etcd_req *r)
{
	LIST_REMOVE(r, link);
	ev_timer_stop(r->e->loop, &r->pause);
	if (r->easy) {
		curl_multi_remove_handle(r->e->multi, r->easy);
		curl_easy_cleanup(r->easy);
	}
	if (r->watch) {
		etcd_frame_free(&r->watch->frame);
		free(r->watch);
	}
	free(r->body);
	free(r->resp);
	free(r);
}

/* Tell the owner the request is over, with STATUS, and free it. */
static void etcd_req_end(struct etcd_req *r, int status, const struct etcd_reply *reply)
{
	struct etcd_watch *w = r->watch;

	if (w && !w->canceled && w->cb)
		w->cb(w->arg, status, NULL);
	else if (!w && r->cb)
		r->cb(r->arg, status, reply);
	etcd_req_free(r);
}

void etcd_free(struct etcd *e)
{
	if (!e)
		return;
	while (!LIST_EMPTY(&e->reqs))
		etcd_req_end(LIST_FIRST(&e->reqs), ETCD_ERR_CANCELED, NULL);
	ev_timer_stop(e->loop, &e->timer);
	ev_timer_stop(e->loop, &e->kick);
	curl_multi_cleanup(e->multi);
	free(e);
}

const struct etcd_stats *etcd_stats(const struct etcd *e)
{
	return &e->stats;
}

const char *etcd_endpoint(const struct etcd *e)
{
	return e->endpoints[e->cur];
}

/* The last transport failure ("HOST:PORT: why"), or "" if none yet. */
const char *etcd_last_error(const struct etcd *e)
{
	return e->last_err;
}

static int etcd_watch_line(void *arg, const char *line, size_t len);

/* CURLOPT_WRITEFUNCTION: gather a unary reply, or frame a watch stream. */
static size_t etcd_write_fn(char *data, size_t size, size_t nmemb, void *userp)
{
	struct etcd_req *r = userp;
	size_t n = size * nmemb;
	char *p;
	int rc;

	if (r->watch) {
		r->e->in_write++;
		rc = etcd_frame_push(&r->watch->frame, data, n, etcd_watch_line, r->watch);
		r->e->in_write--;
		if (rc == -1)
			r->too_big = true;
		/* 0 aborts the transfer (CURLE_WRITE_ERROR): the line was bad,
		 * too long, or the owner canceled the watch from its callback */
		return rc || r->watch->canceled ? 0 : n;
	}
	if (r->resp_len + n > ETCD_MAX_REPLY) {
		r->too_big = true;
		return 0;
	}
	p = realloc(r->resp, r->resp_len + n + 1);
	if (!p)
		return 0;
	memcpy(p + r->resp_len, data, n);
	r->resp = p;
	r->resp_len += n;
	p[r->resp_len] = '\0';
	return n;
}

/* How long this try of R may take: ETCD_TIMEOUT_MS, or what is left. */
static long etcd_try_ms(const struct etcd_req *r)
{
	double left = (r->deadline - ev_time()) * 1000.0;

	return left >= ETCD_TIMEOUT_MS ? ETCD_TIMEOUT_MS : left > 100 ? (long)left : 100L;
}

/* (Re)start R on the current endpoint. */
static int etcd_req_start(struct etcd_req *r)
{
	struct etcd *e = r->e;

	r->ep = e->cur;
	snprintf(r->url, sizeof(r->url), "http://%s%s", e->endpoints[r->ep], r->path);
	free(r->resp);
	r->resp = NULL;
	r->resp_len = 0;
	if (r->easy) {
		curl_multi_remove_handle(e->multi, r->easy);
		curl_easy_cleanup(r->easy);
	}
	r->easy = curl_easy_init();
	if (!r->easy)
		return -1;
	curl_easy_setopt(r->easy, CURLOPT_URL, r->url);
	curl_easy_setopt(r->easy, CURLOPT_POSTFIELDS, r->body);
	curl_easy_setopt(r->easy, CURLOPT_WRITEFUNCTION, etcd_write_fn);
	curl_easy_setopt(r->easy, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(r->easy, CURLOPT_PRIVATE, r);
	curl_easy_setopt(r->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(r->easy, CURLOPT_PROTOCOLS_STR, "http");
	curl_easy_setopt(r->easy, CURLOPT_CONNECTTIMEOUT_MS, ETCD_CONNECT_MS);
	curl_easy_setopt(r->easy, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(r->easy, CURLOPT_TCP_KEEPIDLE, 5L);
	curl_easy_setopt(r->easy, CURLOPT_TCP_KEEPINTVL, 5L);
	if (!r->watch)
		curl_easy_setopt(r->easy, CURLOPT_TIMEOUT_MS, etcd_try_ms(r));
	e->stats.requests++;
	return curl_multi_add_handle(e->multi, r->easy) == CURLM_OK ? 0 : -1;
}

static void etcd_req_end(struct etcd_req *r, int status, const struct etcd_reply *reply);

/* The pause after a failed try is over: send R again. */
static void etcd_pause_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct etcd_req *r = w->data;

	(void)loop; (void)revents;
	if (etcd_req_start(r))
		etcd_req_end(r, ETCD_ERR_TRANSPORT, NULL);
}

static struct etcd_req *etcd_req_new(struct etcd *e, const char *path,
				     struct json_object *body, etcd_cb *cb, void *arg)
{
	struct etcd_req *r = calloc(1, sizeof(*r));

	if (r)
		r->body = strdup(json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN));
	json_object_put(body);
	if (!r || !r->body) {
		free(r);
		return NULL;
	}
	r->e = e;
	r->path = path;
	r->repeatable = strcmp(path, "/v3/kv/txn") != 0;
	r->deadline = ev_time() + ETCD_DEADLINE_MS / 1000.0;
	ev_timer_init(&r->pause, etcd_pause_cb, 0., 0.);
	r->pause.data = r;
	r->cb = cb;
	r->arg = arg;
	LIST_INSERT_HEAD(&e->reqs, r, link);
	return r;
}

/* libcurl refuses curl_multi_add_handle() from inside its own callbacks
 * (CURLM_RECURSIVE_API_CALL), and a watch event's handler may well send a
 * request: such a request waits for the next loop iteration. */
static void etcd_kick_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct etcd *e = w->data;
	struct etcd_req *r;
	bool again = true;

	(void)loop; (void)revents;
	/* from the top after each start: a failed one's callback may free others */
	while (again) {
		again = false;
		LIST_FOREACH(r, &e->reqs, link)
			if (r->queued)
				break;
		if (!r)
			break;
		again = true;
		r->queued = false;
		if (etcd_req_start(r))
			etcd_req_end(r, ETCD_ERR_TRANSPORT, NULL);
	}
}

static int etcd_send(struct etcd *e, const char *path, struct json_object *body,
		     etcd_cb *cb, void *arg)
{
	struct etcd_req *r = etcd_req_new(e, path, body, cb, arg);

	if (!r)
		return -1;
	if (e->in_write) {
		r->queued = true;
		ev_timer_start(e->loop, &e->kick);
		return 0;
	}
	if (etcd_req_start(r)) {
		r->cb = NULL;
		etcd_req_free(r);
		return -1;
	}
	return 0;
}

/* A transport failure of R: move the current endpoint on, and send R
 * again if it is safe to (see the top of the file), at once while an
 * endpoint is untried, else after a pause, while the deadline allows. */
static bool etcd_retry(struct etcd_req *r)
{
	struct etcd *e = r->e;
	long sent = 0;
	double pause;

	if (r->ep == e->cur && e->n_ep > 1) {
		e->cur = (e->cur + 1) % e->n_ep;
		e->stats.failovers++;
		log_warn("etcd: %s does not answer; trying %s", e->endpoints[r->ep],
			 e->endpoints[e->cur]);
	}
	curl_easy_getinfo(r->easy, CURLINFO_REQUEST_SIZE, &sent);
	if (r->watch || (!r->repeatable && sent > 0))
		return false;
	if (++r->tries < e->n_ep)
		return etcd_req_start(r) == 0;
	pause = ETCD_PAUSE_MS / 1000.0 * (double)(1 << (r->tries - e->n_ep < 6 ? r->tries - e->n_ep : 6));
	if (ev_time() + pause + 0.1 >= r->deadline)
		return false;
	e->stats.retries++;
	ev_timer_set(&r->pause, pause, 0.);
	ev_timer_start(e->loop, &r->pause);
	return true;
}

/* A unary request finished with HTTP CODE: read the reply, call back. */
static void etcd_req_reply(struct etcd_req *r, long code)
{
	struct etcd *e = r->e;
	struct etcd_reply reply;
	char err[200];
	int st;

	st = etcd_parse_reply(r->resp ? r->resp : "", r->resp_len, &reply, err, sizeof(err));
	if (st == ETCD_OK && code != 200) {
		snprintf(err, sizeof(err), "HTTP status %ld", code);
		st = ETCD_ERR_REPLY;
	}
	if (st == ETCD_ERR_REPLY) {
		e->stats.bad_replies++;
		VLOG_RL(LOG_LVL_WARN, "etcd: bad reply from %s%s: %s", e->endpoints[r->ep],
			r->path, err);
	} else if (st == ETCD_ERR_SERVER) {
		e->stats.server_errors++;
		VLOG_RL(LOG_LVL_WARN, "etcd: %s%s refused: %s", e->endpoints[r->ep], r->path,
			reply.error);
	}
	etcd_req_end(r, st, &reply);
	etcd_reply_clear(&reply);
}

/* Keep why R's try failed, in words, for the user's error and the log. */
static void etcd_note_failure(struct etcd_req *r, CURLcode res, long code)
{
	struct etcd *e = r->e;

	if (res != CURLE_OK)
		snprintf(e->last_err, sizeof(e->last_err), "%s: %s", e->endpoints[r->ep],
			 curl_easy_strerror(res));
	else
		snprintf(e->last_err, sizeof(e->last_err), "%s: HTTP status %ld",
			 e->endpoints[r->ep], code);
}

static void etcd_req_done(struct etcd_req *r, CURLcode res)
{
	struct etcd *e = r->e;
	long code = 0;

	curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &code);
	if (r->too_big || (r->watch && res == CURLE_WRITE_ERROR)) {
		if (r->watch && r->watch->canceled) {
			etcd_req_free(r);
			return;
		}
		e->stats.bad_replies++;
		VLOG_RL(LOG_LVL_WARN, "etcd: bad %s from %s%s; dropped",
			r->too_big ? "reply (too large)" : "watch message", e->endpoints[r->ep], r->path);
		etcd_req_end(r, r->watch && r->watch->status ? r->watch->status : ETCD_ERR_REPLY,
			     NULL);
		return;
	}
	if (res != CURLE_OK || code >= 500 || code == 0) {
		e->stats.transport_errors++;
		etcd_note_failure(r, res, code);
		if (etcd_retry(r))
			return;
		VLOG_RL(LOG_LVL_WARN, "etcd: %s%s: %s (%d tries)", e->endpoints[r->ep], r->path,
			e->last_err, r->tries + 1);
		etcd_req_end(r, ETCD_ERR_TRANSPORT, NULL);
		return;
	}
	if (r->watch) {		/* the server ended the stream */
		etcd_req_end(r, ETCD_ERR_TRANSPORT, NULL);
		return;
	}
	etcd_req_reply(r, code);
}

/* Collect the transfers libcurl finished. */
static void etcd_check_done(struct etcd *e)
{
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(e->multi, &left))) {
		struct etcd_req *r = NULL;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&r);
		if (r)
			etcd_req_done(r, msg->data.result);
	}
}

int etcd_range(struct etcd *e, const char *key, bool prefix, etcd_cb *cb, void *arg)
{
	return etcd_send(e, "/v3/kv/range", etcd_key_body(key, prefix), cb, arg);
}

int etcd_put(struct etcd *e, const char *key, const char *value, int64_t lease,
	     etcd_cb *cb, void *arg)
{
	struct json_object *t = etcd_txn_new(), *ops, *op, *body;

	/* one put is a txn's put without a compare: reuse its body */
	etcd_txn_put(t, true, key, value, lease);
	json_object_object_get_ex(t, "success", &ops);
	op = json_object_array_get_idx(ops, 0);
	json_object_object_get_ex(op, "request_put", &body);
	json_object_get(body);
	json_object_put(t);
	return etcd_send(e, "/v3/kv/put", body, cb, arg);
}

int etcd_delete(struct etcd *e, const char *key, bool prefix, etcd_cb *cb, void *arg)
{
	return etcd_send(e, "/v3/kv/deleterange", etcd_key_body(key, prefix), cb, arg);
}

int etcd_txn(struct etcd *e, struct json_object *body, etcd_cb *cb, void *arg)
{
	return etcd_send(e, "/v3/kv/txn", body, cb, arg);
}

static int etcd_lease_req(struct etcd *e, const char *path, const char *field, int64_t v,
			  etcd_cb *cb, void *arg)
{
	struct json_object *o = json_object_new_object();
	char buf[24];

	snprintf(buf, sizeof(buf), "%lld", (long long)v);
	json_object_object_add(o, field, json_object_new_string(buf));
	return etcd_send(e, path, o, cb, arg);
}

int etcd_lease_grant(struct etcd *e, int64_t ttl, etcd_cb *cb, void *arg)
{
	return etcd_lease_req(e, "/v3/lease/grant", "TTL", ttl, cb, arg);
}

/* The gateway answers one keepalive per POST and ends the response: a
 * unary request every TTL/3 is more dependable than keeping its
 * bidirectional stream open (etcd issue #8237). */
int etcd_lease_keepalive(struct etcd *e, int64_t id, etcd_cb *cb, void *arg)
{
	return etcd_lease_req(e, "/v3/lease/keepalive", "ID", id, cb, arg);
}

/* One line of a watch stream: parse it, hand it to the owner. */
static int etcd_watch_line(void *arg, const char *line, size_t len)
{
	struct etcd_watch *w = arg;
	struct etcd *e = w->req->e;
	struct etcd_watch_msg m;
	char err[200];
	int st;

	if (w->canceled)
		return 1;
	st = etcd_parse_watch(line, len, &m, err, sizeof(err));
	if (st != ETCD_OK) {
		VLOG_RL(LOG_LVL_WARN, "etcd: watch on %s: %s", e->endpoints[w->req->ep], err);
		etcd_watch_msg_clear(&m);
		w->status = st;
		return 1;
	}
	e->stats.watch_events += m.n_events;
	w->cb(w->arg, ETCD_OK, &m);
	etcd_watch_msg_clear(&m);
	return 0;
}

/**
 * etcd_watch() - Stream the changes under PREFIX from START_REV on
 * @e:		the client
 * @prefix:	the key prefix
 * @start_rev:	the first revision wanted (the listing's revision + 1)
 * @cb:		called with each message, and once with NULL when it ends
 * @arg:	for CB
 *
 * Return: the watch (until CB hears it ended, or etcd_watch_cancel()), or NULL
 */
struct etcd_watch *etcd_watch(struct etcd *e, const char *prefix, int64_t start_rev,
			      etcd_watch_cb *cb, void *arg)
{
	struct json_object *o = json_object_new_object(), *k = etcd_key_body(prefix, true);
	struct etcd_watch *w = calloc(1, sizeof(*w));
	struct etcd_req *r;
	char buf[24];

	snprintf(buf, sizeof(buf), "%lld", (long long)start_rev);
	json_object_object_add(k, "start_revision", json_object_new_string(buf));
	json_object_object_add(o, "create_request", k);
	if (!w) {
		json_object_put(o);
		return NULL;
	}
	r = etcd_req_new(e, "/v3/watch", o, NULL, NULL);
	if (!r) {
		free(w);
		return NULL;
	}
	r->watch = w;
	w->req = r;
	w->cb = cb;
	w->arg = arg;
	if (e->in_write) {
		r->queued = true;
		ev_timer_start(e->loop, &e->kick);
		return w;
	}
	if (etcd_req_start(r)) {
		w->cb = NULL;
		etcd_req_free(r);
		return NULL;
	}
	return w;
}

/* No more callbacks for W; it is freed now, or (inside a callback of the
 * transfer) when libcurl has let go of it. */
void etcd_watch_cancel(struct etcd_watch *w)
{
	w->canceled = true;
	if (!w->req->e->in_write)
		etcd_req_free(w->req);
}
