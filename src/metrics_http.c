/* metrics_http.c - vswitchd --metrics-listen: Prometheus' scrape endpoint.
 *
 * Theory of operation.  Opt-in: without --metrics-listen nothing listens.
 * With it, libmicrohttpd (Debian's, already the Docker plugin's server)
 * serves GET /metrics from its own thread, so a slow or hostile HTTP
 * client never holds the libev loop that moves packets.  That thread
 * never touches the switch's tables either: it asks the loop for a fresh
 * snapshot (ev_async_send, which is thread-safe and coalesces), and the
 * loop, between two batches, renders the `stats` reply to Prometheus text
 * (metrics_prom.c) and hands it over under a mutex.  The HTTP thread
 * waits for that snapshot at most METRICS_WAIT_MS and otherwise serves the
 * previous one, so a busy loop makes a scrape slower, never blocks it.
 * Scrapes that arrive together share one snapshot; building one costs
 * O(connections) (metrics.c), paid only when someone scrapes.
 *
 * Limits: at most METRICS_CONNS connections, each closed after
 * METRICS_TIMEOUT_S idle seconds; only GET and HEAD of /metrics are
 * answered (404, 405 otherwise).  The address defaults to loopback: a
 * bare PORT listens on 127.0.0.1, an address must be given to listen
 * elsewhere.
 */
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <ev.h>
#include <json-c/json.h>
#include <microhttpd.h>
#include "control.h"
#include "dp.h"
#include "log.h"
#include "metrics.h"

#define METRICS_WAIT_MS 2000
#define METRICS_CONNS 16U
#define METRICS_TIMEOUT_S 10U

static struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	char *text;              /* the last snapshot, Prometheus text */
	size_t len;
	unsigned long gen;       /* snapshots made so far */
	ev_async wake;
	struct ev_loop *loop;
	struct MHD_Daemon *mhd;
} metrics_http = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER };

/* In the loop: render `stats` now and publish it. */
static void metrics_http_snapshot(struct ev_loop *loop, ev_async *w, int revents)
{
	ctl_handler_fn *stats = control_lookup("stats");
	struct json_object *res = NULL;
	char err[128], *text = NULL, *old;
	size_t len = 0;

	if (stats && stats(NULL, NULL, &res, err, sizeof(err)) == 0)
		text = metrics_prom_text(res, &len);
	json_object_put(res);
	if (!text) {
		log_warn("metrics: cannot build a snapshot");
		return;
	}
	pthread_mutex_lock(&metrics_http.mu);
	old = metrics_http.text;
	metrics_http.text = text;
	metrics_http.len = len;
	metrics_http.gen++;
	pthread_cond_broadcast(&metrics_http.cv);
	pthread_mutex_unlock(&metrics_http.mu);
	free(old);
}

/* In the HTTP thread: ask the loop for a snapshot, wait a bounded time,
 * and copy out the newest there is. */
static struct MHD_Response *metrics_http_fresh(void)
{
	struct MHD_Response *r;
	struct timespec until;
	unsigned long want;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += METRICS_WAIT_MS / 1000;
	pthread_mutex_lock(&metrics_http.mu);
	want = metrics_http.gen + 1;
	ev_async_send(metrics_http.loop, &metrics_http.wake);
	while (metrics_http.gen < want &&
	       pthread_cond_timedwait(&metrics_http.cv, &metrics_http.mu, &until) != ETIMEDOUT)
		;
	r = MHD_create_response_from_buffer(metrics_http.len, metrics_http.text ?
					    metrics_http.text : (char *)"",
					    MHD_RESPMEM_MUST_COPY);
	pthread_mutex_unlock(&metrics_http.mu);
	return r;
}

static enum MHD_Result metrics_http_send(struct MHD_Connection *conn, unsigned int code,
					 struct MHD_Response *r, const char *type)
{
	enum MHD_Result rc;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	rc = MHD_queue_response(conn, code, r);
	MHD_destroy_response(r);
	return rc;
}

static struct MHD_Response *metrics_http_text(const char *s)
{
	return MHD_create_response_from_buffer(strlen(s), (void *)s, MHD_RESPMEM_PERSISTENT);
}

static enum MHD_Result metrics_http_access(void *cls, struct MHD_Connection *conn,
					   const char *url, const char *method,
					   const char *version, const char *upload,
					   size_t *upload_len, void **con_cls)
{
	static const char plain[] = "text/plain; charset=utf-8";

	if (*upload_len) {	/* a body on a GET: ignore it, answer at the end */
		*upload_len = 0;
		return MHD_YES;
	}
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return metrics_http_send(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
					 metrics_http_text("only GET /metrics is served\n"), plain);
	if (strcmp(url, "/metrics"))
		return metrics_http_send(conn, MHD_HTTP_NOT_FOUND,
					 metrics_http_text("not found: try /metrics\n"), plain);
	return metrics_http_send(conn, MHD_HTTP_OK, metrics_http_fresh(),
				 "text/plain; version=0.0.4; charset=utf-8");
}

/**
 * metrics_http_addr() - Parse --metrics-listen: PORT, ADDR:PORT or [ADDR6]:PORT
 * @s:		the option's value
 * @ss:		the address to listen on
 * @err:	on failure, why
 * @errlen:	size of @err
 *
 * Return: 0, or -1 with @err set.
 */
static int metrics_http_addr(const char *s, struct sockaddr_storage *ss, char *err,
			     size_t errlen)
{
	struct addrinfo hints = { .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV,
				  .ai_socktype = SOCK_STREAM }, *ai = NULL;
	const char *colon = strrchr(s, ':'), *port = colon ? colon + 1 : s;
	char host[64];
	long p = strtol(port, NULL, 10);

	if (!colon)
		snprintf(host, sizeof(host), "127.0.0.1");
	else if (s[0] == '[' && colon > s + 1 && colon[-1] == ']')
		snprintf(host, sizeof(host), "%.*s", (int)(colon - s - 2), s + 1);
	else
		snprintf(host, sizeof(host), "%.*s", (int)(colon - s), s);
	if (!*port || strspn(port, "0123456789") != strlen(port) || p < 1 || p > 65535 ||
	    getaddrinfo(host, port, &hints, &ai) || !ai) {
		snprintf(err, errlen, "--metrics-listen: \"%s\" is not PORT, ADDR:PORT or "
			 "[ADDR6]:PORT with a numeric address", s);
		return -1;
	}
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	freeaddrinfo(ai);
	return 0;
}

/**
 * metrics_http_check() - Is LISTEN a valid --metrics-listen value?
 * @listen:	PORT, ADDR:PORT or [ADDR6]:PORT
 * @err:	on failure, why
 * @errlen:	size of @err
 *
 * For the option parser: a bad value stops vswitchd before anything starts.
 * Return: 0, or -1 with @err set.
 */
int metrics_http_check(const char *listen, char *err, size_t errlen)
{
	struct sockaddr_storage ss;

	return metrics_http_addr(listen, &ss, err, errlen);
}

/**
 * metrics_http_start() - Serve /metrics on LISTEN (vswitchd --metrics-listen)
 * @dp:		the datapath (its loop builds the snapshots)
 * @listen:	PORT, ADDR:PORT or [ADDR6]:PORT
 * @err:	on failure, why
 * @errlen:	size of @err
 *
 * Return: 0, or -1 with @err set (vswitchd stops at start-up then).
 */
int metrics_http_start(struct dp *dp, const char *listen, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_USE_ERROR_LOG;

	if (metrics_http_addr(listen, &ss, err, errlen))
		return -1;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	metrics_http.loop = dp->loop;
	ev_async_init(&metrics_http.wake, metrics_http_snapshot);
	ev_async_start(dp->loop, &metrics_http.wake);
	metrics_http.mhd = MHD_start_daemon(flags, 0, NULL, NULL, metrics_http_access, NULL,
					    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
					    MHD_OPTION_CONNECTION_LIMIT, METRICS_CONNS,
					    MHD_OPTION_CONNECTION_TIMEOUT, METRICS_TIMEOUT_S,
					    MHD_OPTION_END);
	if (!metrics_http.mhd) {
		ev_async_stop(dp->loop, &metrics_http.wake);
		snprintf(err, errlen, "--metrics-listen: cannot listen on %s "
			 "(address in use, or not one of this host's?)", listen);
		return -1;
	}
	log_info("metrics: serving /metrics on %s", listen);
	return 0;
}

/* Stop serving (vswitchd's stop); the HTTP thread is joined. */
void metrics_http_stop(void)
{
	if (!metrics_http.mhd)
		return;
	MHD_stop_daemon(metrics_http.mhd);
	metrics_http.mhd = NULL;
	ev_async_stop(metrics_http.loop, &metrics_http.wake);
	free(metrics_http.text);
	metrics_http.text = NULL;
}
