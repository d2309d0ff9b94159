/* capture_ctl.c - the "capture" control command: pick points, start a session.
 *
 * The handler turns the request's arguments into capture points (a
 * container's port rx/tx, a network's L2, the uplink's rx/tx), compiles the
 * filter and makes the session before it answers, so every mistake (no
 * such container, a bad filter) is a plain one-line error and nothing is
 * left attached.  Only then does it reply, take the connection's fd from
 * control.c and let the session stream on it (doc/capture.md).
 *
 * `--recorder` does not attach anywhere: it copies what the flight
 * recorders of the chosen ports hold into a session sized to take all of
 * it, ends the session at once, and lets it drain like any other.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "capture.h"
#include "capture_internal.h"
#include "cmd.h"
#include "control.h"
#include "dp.h"
#include "log.h"
#include "model.h"
#include "uplink.h"


#define CAPTURE_CTL_MAX_PORTS 16

static struct ev_loop *capture_ctl_loop;

struct capture_req {
	const char *network, *container, *ifname, *stage, *filter;
	bool uplink, tunnel, recorder;
	long long count;
	double duration;
	long long buffer;
};

struct capture_target {
	struct port *ports[CAPTURE_CTL_MAX_PORTS];
	unsigned int n_ports;
	struct network *net;
	char name[96];
};

static double capture_ctl_double(struct json_object *args, const char *key)
{
	struct json_object *v;

	if (!args || !json_object_object_get_ex(args, key, &v) || !v)
		return 0;
	if (!json_object_is_type(v, json_type_double) &&
	    !json_object_is_type(v, json_type_int))
		return -1;
	return json_object_get_double(v);
}

static int capture_ctl_parse(struct json_object *args, struct capture_req *q,
			     char *err, size_t errlen)
{
	int n;

	q->network = ctl_arg_str(args, "network");
	q->container = ctl_arg_str(args, "container");
	q->ifname = ctl_arg_str(args, "ifname");   /* vsctl splits C:IF */
	q->uplink = ctl_arg_bool(args, "uplink", 0);
	q->tunnel = ctl_arg_bool(args, "tunnel", 0);
	q->stage = ctl_arg_str(args, "stage");
	q->filter = ctl_arg_str(args, "filter");
	q->recorder = ctl_arg_bool(args, "recorder", 0);
	q->count = ctl_arg_int(args, "count", 0);
	q->buffer = ctl_arg_int(args, "buffer", 0);
	q->duration = capture_ctl_double(args, "duration");
	n = !!(q->network && *q->network) + !!(q->container && *q->container) + q->uplink +
	    q->tunnel;
	if (n != 1) {
		snprintf(err, errlen,
			 "capture needs exactly one of --network, --container, --uplink, --tunnel");
		return -1;
	}
	if (!q->stage || !*q->stage)
		q->stage = "all";
	if (strcmp(q->stage, "rx") && strcmp(q->stage, "tx") && strcmp(q->stage, "all")) {
		snprintf(err, errlen, "bad stage '%.32s': use rx, tx or all", q->stage);
		return -1;
	}
	if (q->network && *q->network && strcmp(q->stage, "all")) {
		snprintf(err, errlen, "--stage applies to --container, --uplink and --tunnel; "
			 "a network has one point");
		return -1;
	}
	if (q->count < 0 || q->duration < 0 || q->duration > 31536000 || q->buffer < 0) {
		snprintf(err, errlen, "count, duration and buffer must be positive");
		return -1;
	}
	return 0;
}

/* Add C's port(s) to T: IFNAME's endpoint, else the first one, or every
 * endpoint when ALL (recorder dumps). */
static void capture_ctl_add_ports(struct container *c, const char *ifname, bool all,
				  struct capture_target *t)
{
	struct endpoint *ep;

	LIST_FOREACH(ep, &c->endpoints, ctr_link) {
		if (ifname ? strcmp(ep->ifname, ifname) : (!all && ep != model_first_endpoint(c)))
			continue;
		if (ep->port && t->n_ports < CAPTURE_CTL_MAX_PORTS)
			t->ports[t->n_ports++] = ep->port;
	}
}

/* No container has the key NAME: the containers whose DNS name it is.
 * A Docker container is one vswitch container per network it is on
 * (doc/docker.md), all with its Docker name: its ports on every network. */
static bool capture_ctl_by_dns(const char *name, const char *ifname, bool all,
			       struct capture_target *t)
{
	struct container *c, *tmp;
	bool found = false;

	HASH_ITER(hh, g_model.containers, c, tmp)
		if (c->dns_name[0] && !strcmp(c->dns_name, name)) {
			capture_ctl_add_ports(c, ifname, all, t);
			found = true;
		}
	return found;
}

/* Resolve "C[:IF]" (or C plus IFNAME) to its port(s), C a key or else a
 * DNS name. */
static int capture_ctl_container(const char *spec, const char *ifname, bool all,
				 struct capture_target *t, char *err, size_t errlen)
{
	char name[VS_CKEY_MAX + VS_IFNAME_MAX + 2];
	struct container *c;
	char *colon;

	snprintf(name, sizeof(name), "%s", spec);
	colon = strchr(name, ':');
	if (colon) {
		*colon = '\0';
		ifname = colon + 1;
	}
	if (ifname && !*ifname)
		ifname = NULL;
	c = model_container(name);
	if (c) {
		capture_ctl_add_ports(c, ifname, all, t);
	} else if (!capture_ctl_by_dns(name, ifname, all, t)) {
		snprintf(err, errlen, "no such container: %.64s", name);
		return -1;
	}
	if (!t->n_ports) {
		snprintf(err, errlen, ifname ? "container %.64s has no interface %.16s"
				      : "container %.64s has no connected interface",
			 name, ifname ? ifname : "");
		return -1;
	}
	snprintf(t->name, sizeof(t->name), "%.80s", t->n_ports == 1 ? t->ports[0]->name : name);
	return 0;
}

static int capture_ctl_target(const struct capture_req *q, struct capture_target *t,
			      char *err, size_t errlen)
{
	struct endpoint *ep;

	memset(t, 0, sizeof(*t));
	if (q->container && *q->container)
		return capture_ctl_container(q->container, q->ifname, q->recorder,
					     t, err, errlen);
	if (q->tunnel) {	/* the VXLAN port: packets with their outer headers */
		t->ports[0] = cmd_dp()->vxlan;
		if (!t->ports[0]) {
			snprintf(err, errlen, "no tunnel: vswitchd runs without --vtep-ip");
			return -1;
		}
		t->n_ports = 1;
		snprintf(t->name, sizeof(t->name), "tunnel");
		return 0;
	}
	if (q->uplink) {
		t->ports[0] = uplink_port(dp_uplink_first(cmd_dp()));
		if (!t->ports[0]) {
			snprintf(err, errlen, "no uplink: vswitchd runs without --uplink");
			return -1;
		}
		t->n_ports = 1;
		snprintf(t->name, sizeof(t->name), "uplink");
		return 0;
	}
	t->net = model_network(q->network);
	if (!t->net) {
		snprintf(err, errlen, "no such network: %.64s", q->network);
		return -1;
	}
	/* A network's recorder dump is every port on it, merged. */
	LIST_FOREACH(ep, &t->net->endpoints, net_link)
		if (ep->port && t->n_ports < CAPTURE_CTL_MAX_PORTS)
			t->ports[t->n_ports++] = ep->port;
	snprintf(t->name, sizeof(t->name), "network %s", t->net->name);
	return 0;
}

static int capture_ctl_attach(struct capture_session *s, const struct capture_req *q,
			      struct capture_target *t, char *err, size_t errlen)
{
	bool rx = strcmp(q->stage, "tx") != 0, tx = strcmp(q->stage, "rx") != 0;

	if (t->net)
		return capture_session_attach(s, &t->net->cap, err, errlen);
	if (rx && capture_session_attach(s, &t->ports[0]->cap_rx, err, errlen) < 0)
		return -1;
	if (tx && capture_session_attach(s, &t->ports[0]->cap_tx, err, errlen) < 0)
		return -1;
	return 0;
}

struct capture_dump {
	struct capture_session *s;
	uint64_t skip, seen;
};

static void capture_ctl_count_cb(void *arg, const uint8_t *data, uint32_t caplen,
				 uint32_t len, const struct timeval *ts)
{
	struct capture_dump *d = arg;

	if (capture_session_match(d->s, data, caplen, len))
		d->seen++;
}

static void capture_ctl_dump_cb(void *arg, const uint8_t *data, uint32_t caplen,
				uint32_t len, const struct timeval *ts)
{
	struct capture_dump *d = arg;

	if (!capture_session_match(d->s, data, caplen, len))
		return;
	if (d->skip) {
		d->skip--;
		return;
	}
	capture_session_offer(d->s, data, caplen, len, ts);
}

/**
 * capture_ctl_recorder() - Make a finished session holding the recorders' frames
 * @q: request (filter, count: the most recent COUNT matching frames)
 * @t: ports whose recorders to dump
 *
 * Return: the session (already ended, ready to drain), or NULL with ERR
 */
static struct capture_session *capture_ctl_recorder(const struct capture_req *q,
						    struct capture_target *t,
						    char *err, size_t errlen)
{
	struct recorder *rs[CAPTURE_CTL_MAX_PORTS];
	struct capture_opts o = { .filter = q->filter, .point_name = t->name };
	struct capture_dump d = { 0 };
	size_t need = CAPTURE_RING_MIN;
	unsigned int i;

	for (i = 0; i < t->n_ports; i++) {
		rs[i] = t->ports[i]->recorder;
		need += recorder_bytes(rs[i]) + recorder_count(rs[i]) * 32u;
	}
	o.ring_bytes = need > CAPTURE_RING_MAX ? CAPTURE_RING_MAX : need;
	d.s = capture_session_new(capture_ctl_loop, -1, &o, err, errlen);
	if (!d.s)
		return NULL;
	if (q->count > 0) {
		recorder_walk(rs, t->n_ports, capture_ctl_count_cb, &d);
		d.skip = d.seen > (uint64_t)q->count ? d.seen - (uint64_t)q->count : 0;
	}
	recorder_walk(rs, t->n_ports, capture_ctl_dump_cb, &d);
	capture_session_finish(d.s, "recorder");
	return d.s;
}

static struct capture_session *capture_ctl_live(const struct capture_req *q,
						struct capture_target *t,
						char *err, size_t errlen)
{
	struct capture_opts o = {
		.filter = q->filter, .count = (uint64_t)q->count,
		.duration = q->duration, .ring_bytes = (size_t)q->buffer,
		.point_name = t->name,
	};
	struct capture_session *s;

	s = capture_session_new(capture_ctl_loop, -1, &o, err, errlen);
	if (!s)
		return NULL;
	if (capture_ctl_attach(s, q, t, err, errlen) < 0) {
		capture_session_free(s);
		return NULL;
	}
	return s;
}

static struct json_object *capture_ctl_result(const struct capture_req *q,
					      const struct capture_target *t)
{
	struct json_object *r = json_object_new_object();

	json_object_object_add(r, "point", json_object_new_string(t->name));
	json_object_object_add(r, "stage", json_object_new_string(q->stage));
	json_object_object_add(r, "recorder", json_object_new_boolean(q->recorder));
	json_object_object_add(r, "linktype", json_object_new_int(CAPTURE_LINKTYPE_EN10MB));
	json_object_object_add(r, "framing", json_object_new_string("vswitch-capture-1"));
	return r;
}

/**
 * capture_ctl_cmd() - Handle {"cmd":"capture"}: validate, reply, stream
 *
 * Return: 0 once the session owns the connection (no *result: the reply
 * was sent here), or -1 with ERR before anything was attached
 */
static int capture_ctl_cmd(struct ctl_conn *c, struct json_object *args,
			   struct json_object **result, char *err, size_t errlen)
{
	struct capture_req q;
	struct capture_target t;
	struct capture_session *s;
	struct json_object *reply;
	int fd;

	if (capture_ctl_parse(args, &q, err, errlen) < 0 ||
	    capture_ctl_target(&q, &t, err, errlen) < 0)
		return -1;
	s = q.recorder ? capture_ctl_recorder(&q, &t, err, errlen)
		       : capture_ctl_live(&q, &t, err, errlen);
	if (!s)
		return -1;
	reply = json_object_new_object();
	json_object_object_add(reply, "ok", json_object_new_boolean(1));
	json_object_object_add(reply, "result", capture_ctl_result(&q, &t));
	if (control_conn_reply(c, reply) < 0 || (fd = control_conn_detach(c)) < 0) {
		json_object_put(reply);
		capture_session_free(s);
		snprintf(err, errlen, "cannot start the capture stream");
		return -1;
	}
	json_object_put(reply);
	capture_session_set_fd(s, fd);
	capture_session_start(s);
	*result = NULL;
	return 0;
}

/* capture_ctl_init() - Register "capture"; LOOP drives the streams. */
void capture_ctl_init(struct ev_loop *loop)
{
	capture_ctl_loop = loop;
	control_register(&ctl_schema_capture, capture_ctl_cmd);
}
