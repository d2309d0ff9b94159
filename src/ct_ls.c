/* ct_ls.c - `conntrack ls`, streamed in steps outside the packet path.
 *
 * DOC: Theory of Operation
 *
 * The connection table holds up to --ct-max entries (262,144 by default)
 * and any container can fill it.  Listing it in one go inside the single
 * event loop froze every port's forwarding for 2.5 s at 131,072 entries
 * and held about a gigabyte of JSON objects (audit finding 16).  So the
 * listing is a stream: the command takes the connection over
 * (control_conn_stream()), and each time the client's socket can take
 * more, one step walks CT_LS_STEP slots of the table (ct_walk(), which
 * keeps its place across loop iterations while entries come and go, as
 * the snapshot encoder does), appends those entries' JSON to a buffer and
 * writes what the socket takes.  Frames are read between steps, so a
 * listing costs forwarding at most one step's latency; a client that
 * reads slowly only makes the stream slower, and at most CT_LS_BUF bytes
 * wait in memory per stream.
 *
 * The bytes on the wire are the same one-line reply any command gives,
 * {"ok":true,"result":[...]}, written in pieces; the connection closes
 * after it (a stream owns its connection).  An entry made behind the
 * cursor while the walk runs is missed, one freed ahead of it is not
 * listed: a listing is a walk over a live table, as `conntrack -L` is.
 *
 * Limits: CT_LS_MAX streams at once (more are refused: "busy").
 */
#include <errno.h>
#include <ev.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <json-c/json.h>
#include "cmd.h"
#include "control.h"
#include "ct.h"
#include "dp.h"
#include "log.h"
#include "model.h"
#include "nat.h"

#define CT_LS_STEP 512           /* table slots per step */
#define CT_LS_BUF (256 * 1024)   /* walk no further while this much waits */
#define CT_LS_MAX 4

struct ct_ls {
	struct dp *dp;
	int fd;
	ev_io w;
	uint64_t cursor;
	char network[VS_NAME_MAX]; /* "" = every zone */
	bool first, walked;
	char *buf;
	size_t len, off, cap;
};

static unsigned int ct_ls_n;
static uint64_t ct_ls_n_streams, ct_ls_n_steps;

uint64_t ct_ls_streams(void) { return ct_ls_n_streams; }
uint64_t ct_ls_steps(void) { return ct_ls_n_steps; }

static void ct_ls_free(struct ct_ls *ls)
{
	ev_io_stop(ls->dp->loop, &ls->w);
	close(ls->fd);
	free(ls->buf);
	free(ls);
	ct_ls_n--;
}

/* Append S (LEN bytes) to the buffer; false if memory ran out. */
static bool ct_ls_put(struct ct_ls *ls, const char *s, size_t len)
{
	if (ls->len + len > ls->cap) {
		size_t cap = ls->cap ? ls->cap : 4096;
		char *b;

		while (cap < ls->len + len)
			cap *= 2;
		b = realloc(ls->buf, cap);
		if (!b)
			return false;
		ls->buf = b;
		ls->cap = cap;
	}
	memcpy(ls->buf + ls->len, s, len);
	ls->len += len;
	return true;
}

static void ct_ls_entry(struct ct_entry *e, void *arg)
{
	struct ct_ls *ls = arg;
	struct json_object *o;
	const char *s;

	if (ls->network[0] && strcmp(ls->network, nat_zone_name(ls->dp->nat, e->zone)))
		return;
	o = ct_ctl_entry_json(ls->dp, e);
	s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	if (!ls->first)
		ct_ls_put(ls, ",", 1);
	ls->first = false;
	ct_ls_put(ls, s, strlen(s));
	json_object_put(o);
}

/* One step: the next CT_LS_STEP slots, and the reply's end after the last. */
static void ct_ls_step(struct ct_ls *ls)
{
	ct_ls_n_steps++;
	if (ct_walk(ls->dp->ct, &ls->cursor, CT_LS_STEP, ct_ls_entry, ls)) {
		ls->walked = true;
		ct_ls_put(ls, "]}\n", 3);
	}
}

/* The socket can take more: walk a step if little waits, then write. */
static void ct_ls_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct ct_ls *ls = w->data;
	ssize_t n;

	(void)loop; (void)revents;
	if (!ls->walked && ls->len - ls->off < CT_LS_BUF)
		ct_ls_step(ls);
	n = send(ls->fd, ls->buf + ls->off, ls->len - ls->off, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0) {
		ct_ls_free(ls);         /* the client went away */
		return;
	}
	ls->off += (size_t)n;
	if (ls->off == ls->len) {
		ls->off = ls->len = 0;
		if (ls->walked)
			ct_ls_free(ls);
	}
}

/**
 * ct_ls_cmd() - conntrack.ls: start streaming the table to the client
 * @c:		the connection (taken over)
 * @args:	"network": only that network's zone
 * @result:	NULL: the reply is the stream
 * @err:	one-line reason
 * @errlen:	size of @err
 *
 * Return: 0, or -1 with ERR (nothing taken over)
 */
int ct_ls_cmd(struct ctl_conn *c, struct json_object *args, struct json_object **result,
	      char *err, size_t errlen)
{
	const char *net = ctl_arg_str(args, "network");
	struct ct_ls *ls;
	int fd;

	if (net && *net && !model_network(net)) {
		snprintf(err, errlen, "no such network: %s", net);
		return -1;
	}
	if (ct_ls_n >= CT_LS_MAX) {
		snprintf(err, errlen, "busy: %d conntrack listings already running; try again",
			 CT_LS_MAX);
		return -1;
	}
	ls = calloc(1, sizeof(*ls));
	if (!ls || !ct_ls_put(ls, "{\"ok\":true,\"result\":[", 21)) {
		if (ls)
			free(ls->buf);
		free(ls);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	fd = control_conn_stream(c);
	if (fd < 0) {
		free(ls->buf);
		free(ls);
		snprintf(err, errlen, "earlier replies on this connection are still unread");
		return -1;
	}
	ls->dp = cmd_dp();
	ls->fd = fd;
	ls->first = true;
	snprintf(ls->network, sizeof(ls->network), "%s", net ? net : "");
	ev_io_init(&ls->w, ct_ls_cb, fd, EV_WRITE);
	ls->w.data = ls;
	ev_io_start(ls->dp->loop, &ls->w);
	ct_ls_n++;
	ct_ls_n_streams++;
	*result = NULL;
	return 0;
}
