/* events.c - `vsctl events`: what happens in the switch, streamed as it happens.
 *
 * Theory of operation.  The control plane reports changes here with one
 * call each (a network created or destroyed, an endpoint connected or
 * disconnected, a container's namespace gone, a port published or
 * unpublished, an upstream resolver down or up again).  Each becomes one
 * line of JSON shaped like `docker events --format '{{json .}}'` (Type,
 * Action, Actor{ID, Attributes}, scope, time, timeNano) and is written to
 * every listener: a control connection that sent "events" and was then
 * detached from control.c, as capture's are.
 *
 * A listener that does not read must never slow the switch, nor make it
 * hold memory without bound.  So each listener has a fixed ring of
 * EVENTS_RING bytes and a small kernel send buffer; an event is copied
 * into the ring only if it fits whole, else it is dropped and counted (for
 * the listener and in `stats`, events.dropped).  When the listener reads
 * again and there is room, it first gets one line saying how many events
 * it lost (Type "events", Action "lost"), so a gap is never silent.
 * Writes are non-blocking, from an ev_io watcher; emitting an event costs
 * one JSON rendering and a memcpy per listener, in the control plane's
 * time, never the datapath's.
 *
 * Limits: EVENTS_MAX_LISTENERS listeners (more are refused with a clear
 * error); a listener that closes or errors is forgotten at once.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <ev.h>
#include <json-c/json.h>
#include "control.h"
#include "dns.h"
#include "events.h"
#include "log.h"
#include "model.h"

#define EVENTS_RING (64 * 1024)
#define EVENTS_SNDBUF (16 * 1024)
#define EVENTS_MAX_LISTENERS 32
#define EVENTS_LINE_MAX 4096

struct events_listener {
	int fd;
	ev_io wio, rio;
	char ring[EVENTS_RING];
	size_t head, len;        /* bytes queued start at ring[head] */
	uint64_t lost;           /* dropped since the last "lost" line */
	LIST_ENTRY(events_listener) link;
};

static struct {
	struct ev_loop *loop;
	LIST_HEAD(, events_listener) listeners;
	unsigned int n;
	uint64_t sent, dropped;
} events;

static void events_close(struct events_listener *l)
{
	ev_io_stop(events.loop, &l->wio);
	ev_io_stop(events.loop, &l->rio);
	close(l->fd);
	LIST_REMOVE(l, link);
	events.n--;
	free(l);
}

/* Send LINE to L, or copy it into L's ring if it fits whole.  With an
 * empty ring the kernel's buffer is tried first (non-blocking), so a
 * listener that reads keeps up with a burst of changes made in one loop
 * iteration (pipelined requests) without waiting for its write watcher.
 * Return: true if sent or queued. */
static bool events_queue(struct events_listener *l, const char *line, size_t n)
{
	size_t tail, first;

	if (!l->len) {
		ssize_t k = send(l->fd, line, n, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (k > 0) {
			line += k;
			n -= (size_t)k;
		}
		if (!n)
			return true;
	}
	if (n > EVENTS_RING - l->len)
		return false;
	tail = (l->head + l->len) % EVENTS_RING;
	first = n < EVENTS_RING - tail ? n : EVENTS_RING - tail;
	memcpy(l->ring + tail, line, first);
	memcpy(l->ring, line + first, n - first);
	l->len += n;
	ev_io_start(events.loop, &l->wio);
	return true;
}

/* The event's JSON line, Docker's shape; ATTRS is consumed. */
static size_t events_render(char *buf, size_t len, const char *type, const char *action,
			    const char *id, struct json_object *attrs)
{
	struct json_object *o = json_object_new_object(), *actor = json_object_new_object();
	struct timespec ts;
	size_t n;

	clock_gettime(CLOCK_REALTIME, &ts);
	json_object_object_add(o, "Type", json_object_new_string(type));
	json_object_object_add(o, "Action", json_object_new_string(action));
	json_object_object_add(actor, "ID", json_object_new_string(id ? id : ""));
	json_object_object_add(actor, "Attributes", attrs);
	json_object_object_add(o, "Actor", actor);
	json_object_object_add(o, "scope", json_object_new_string("local"));
	json_object_object_add(o, "time", json_object_new_int64(ts.tv_sec));
	json_object_object_add(o, "timeNano",
			       json_object_new_int64((int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec));
	n = (size_t)snprintf(buf, len, "%s\n", json_object_to_json_string_ext(o,
			     JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return n < len ? n : 0;
}

/* A listener with room again first hears how many events it lost. */
static void events_tell_lost(struct events_listener *l)
{
	struct json_object *a = json_object_new_object();
	char line[512], num[24];
	size_t n;

	snprintf(num, sizeof(num), "%llu", (unsigned long long)l->lost);
	json_object_object_add(a, "count", json_object_new_string(num));
	n = events_render(line, sizeof(line), "events", "lost", "", a);
	if (n && events_queue(l, line, n))
		l->lost = 0;
}

static void events_write_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct events_listener *l = w->data;

	while (l->len) {
		size_t chunk = l->len < EVENTS_RING - l->head ? l->len : EVENTS_RING - l->head;
		ssize_t k = send(l->fd, l->ring + l->head, chunk, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (k < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (k <= 0) {
			events_close(l);
			return;
		}
		l->head = (l->head + (size_t)k) % EVENTS_RING;
		l->len -= (size_t)k;
		if (l->lost && EVENTS_RING - l->len >= EVENTS_LINE_MAX)
			events_tell_lost(l);
	}
	ev_io_stop(loop, w);
}

/* The listener sends nothing after its request: readable means it went
 * away (EOF) or misbehaves; either way it is done. */
static void events_read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct events_listener *l = w->data;
	char buf[256];
	ssize_t k = recv(l->fd, buf, sizeof(buf), MSG_DONTWAIT);

	if (k < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	events_close(l);
}

/**
 * events_emit() - Send one event to every listener
 * @type:	Docker's Type: "network", "container", "port", "dns"
 * @action:	Docker's Action: "create", "connect", "die"...
 * @id:		the actor's id
 * @attrs:	the actor's attributes, an object of strings (consumed)
 */
static void events_emit(const char *type, const char *action, const char *id,
			struct json_object *attrs)
{
	struct events_listener *l;
	char line[EVENTS_LINE_MAX];
	size_t n;

	if (LIST_EMPTY(&events.listeners)) {
		json_object_put(attrs);
		return;
	}
	n = events_render(line, sizeof(line), type, action, id, attrs);
	if (!n)
		return;
	LIST_FOREACH(l, &events.listeners, link) {
		if (!l->lost && events_queue(l, line, n)) {
			events.sent++;
			continue;
		}
		l->lost++;
		events.dropped++;
	}
}

static struct json_object *events_attrs(const char *k1, const char *v1, const char *k2,
					const char *v2, const char *k3, const char *v3)
{
	struct json_object *a = json_object_new_object();

	/* Keys in sorted order, as Docker's (a Go map) come out. */
	if (k1)
		json_object_object_add(a, k1, json_object_new_string(v1 ? v1 : ""));
	if (k2)
		json_object_object_add(a, k2, json_object_new_string(v2 ? v2 : ""));
	if (k3)
		json_object_object_add(a, k3, json_object_new_string(v3 ? v3 : ""));
	return a;
}

void events_network(const char *action, const struct network *n)
{
	events_emit("network", action, n->id,
		    events_attrs("name", n->name, "type", "vswitch", NULL, NULL));
}

void events_endpoint(const char *action, const struct endpoint *ep)
{
	events_emit("network", action, ep->net->id,
		    events_attrs("container", ep->ctr->name, "name", ep->net->name,
				 "type", "vswitch"));
}

void events_container_die(const struct container *c)
{
	events_emit("container", "die", c->name,
		    events_attrs("name", c->dns_name[0] ? c->dns_name : c->name,
				 "netns", c->netns_ref, NULL, NULL));
}

void events_port(const char *action, const struct container *c, const char *mapping)
{
	events_emit("port", action, c->name,
		    events_attrs("container", c->name, "mapping", mapping, NULL, NULL));
}

/* dns_forward.c reports through dns_upstream_event (dns.h). */
static void events_dns_upstream(const char *upstream, bool down)
{
	events_emit("dns", down ? "upstream_down" : "upstream_up", upstream,
		    events_attrs("upstream", upstream, NULL, NULL, NULL, NULL));
}

/* The "events" command: reply, then keep the connection as a listener. */
static int events_cmd(struct ctl_conn *c, struct json_object *args,
		      struct json_object **result, char *err, size_t errlen)
{
	struct json_object *reply;
	struct events_listener *l;
	int fd, sndbuf = EVENTS_SNDBUF;

	if (events.n >= EVENTS_MAX_LISTENERS) {
		snprintf(err, errlen, "too many event listeners (at most %d)", EVENTS_MAX_LISTENERS);
		return -1;
	}
	l = calloc(1, sizeof(*l));
	if (!l) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	reply = json_object_new_object();
	json_object_object_add(reply, "ok", json_object_new_boolean(1));
	json_object_object_add(reply, "result", json_object_new_object());
	if (control_conn_reply(c, reply) < 0 || (fd = control_conn_detach(c)) < 0) {
		json_object_put(reply);
		free(l);
		snprintf(err, errlen, "cannot start the event stream");
		return -1;
	}
	json_object_put(reply);
	/* A small kernel buffer: the ring, not the socket, is the bound. */
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	l->fd = fd;
	ev_io_init(&l->wio, events_write_cb, fd, EV_WRITE);
	ev_io_init(&l->rio, events_read_cb, fd, EV_READ);
	l->wio.data = l->rio.data = l;
	ev_io_start(events.loop, &l->rio);
	LIST_INSERT_HEAD(&events.listeners, l, link);
	events.n++;
	*result = NULL;
	return 0;
}

/* Counters for `stats`: listeners, events sent and dropped. */
struct json_object *events_stats_json(void)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "listeners", json_object_new_int64(events.n));
	json_object_object_add(o, "sent", json_object_new_int64((int64_t)events.sent));
	json_object_object_add(o, "dropped", json_object_new_int64((int64_t)events.dropped));
	return o;
}

/* Register "events" and the DNS hook (once, at start-up). */
void events_init(struct ev_loop *loop)
{
	events.loop = loop;
	LIST_INIT(&events.listeners);
	dns_upstream_event = events_dns_upstream;
	control_register(&ctl_schema_events, events_cmd);
}

/* Close every listener (vswitchd's stop). */
void events_fini(void)
{
	while (!LIST_EMPTY(&events.listeners))
		events_close(LIST_FIRST(&events.listeners));
	dns_upstream_event = NULL;
}
