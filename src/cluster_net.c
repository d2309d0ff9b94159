/* cluster_net.c - global networks in etcd: what each key means, and the
 * commands that write keys (network create/rm, connect, disconnect).
 *
 * DOC: Theory of Operation
 *
 * The keys (doc/multihost.md), all under /vswitch/v1/:
 *
 *   hosts/<host>                       {"vtep","port"}            host's lease
 *   vni/<vni>                          <net>                      claimed in the create txn
 *   networks/<net>                     the network's spec (JSON)  created in the same txn
 *   networks/<net>/members/<host>      {"vtep","port"}            host's lease
 *   networks/<net>/endpoints/<h>:<c>   {mac,ip,host,vtep,port,name} host's lease
 *   networks/<net>/ipam/<ip>           {"host","container"}       compare-and-swap
 *   networks/<net>/vteps/<ip>          {"vtep","port"}            `network vtep add`
 *
 * Reading: cluster.c mirrors the keys and calls cluster_apply() with the
 * old and new value of each key that changes; this file turns that into
 * the model (a global network is made or dropped on every host) and into
 * the overlay tables (remote endpoints, member VTEPs) and DNS names of the
 * containers on other hosts.  A key that names a network this host does
 * not have yet stays in the mirror and is applied when the network comes
 * (cluster_net_replay()).
 *
 * Writing: the commands that need etcd's answer before they can answer
 * their client defer their reply (control_conn_defer()): a global network
 * is created with a txn that claims its name and its VNI together (the
 * next VNI on a conflict); an address is claimed with a txn "create
 * ipam/<ip> if it does not exist" (the next address on a conflict), and
 * only then is the container connected with that fixed address.  Two
 * hosts that pick the same address at the same moment both send the txn;
 * etcd serialises them, one wins, the other moves on: no address is ever
 * handed out twice.  A txn whose reply was lost and is sent again finds
 * its own claim and takes it as won.
 *
 * Self-healing: a lease-bound key of this host that the mirror shows but
 * the model lacks (a disconnect whose delete never reached etcd) is
 * deleted when it is seen; the keys the model has are written again
 * whenever the lease is new (cluster_republish()).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include "cluster.h"
#include "cmd.h"
#include "control.h"
#include "dns.h"
#include "dp.h"
#include "etcd.h"
#include "ipam.h"
#include "log.h"
#include "model.h"
#include "overlay.h"
#include "state.h"

#define CLUSTER_VNI_TRIES 64
#define CLUSTER_IP_TRIES 256

static char *cluster_net_key(char *buf, size_t len, const char *net, const char *kind,
			     const char *id)
{
	if (kind)
		snprintf(buf, len, CLUSTER_PREFIX "networks/%s/%s/%s", net, kind, id);
	else
		snprintf(buf, len, CLUSTER_PREFIX "networks/%s", net);
	return buf;
}

bool cluster_net_global(const struct network *n)
{
	return n && n->global;
}

/* ---- reading values ---- */

static struct json_object *cluster_json(const char *value)
{
	struct json_object *o = value ? json_tokener_parse(value) : NULL;

	if (o && !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		o = NULL;
	}
	return o;
}

static const char *cluster_jstr(struct json_object *o, const char *field)
{
	struct json_object *f;

	if (!json_object_object_get_ex(o, field, &f) || !json_object_is_type(f, json_type_string))
		return NULL;
	return json_object_get_string(f);
}

/* {"vtep":IP,"port":N} into V; -1 if it is not that. */
static int cluster_vtep_of(struct json_object *o, struct overlay_vtep *v)
{
	const char *ip = cluster_jstr(o, "vtep");
	struct json_object *p;
	int64_t port = VXLAN_PORT_DEFAULT;

	memset(v, 0, sizeof(*v));
	if (!ip || vs_addr_parse(ip, &v->addr))
		return -1;
	if (json_object_object_get_ex(o, "port", &p)) {
		if (!json_object_is_type(p, json_type_int))
			return -1;
		port = json_object_get_int64(p);
	}
	if (port < 1 || port > 65535)
		return -1;
	v->port = (uint16_t)port;
	return 0;
}

/* An endpoint's value: MAC, IP, VTEP, name, host; -1 if malformed. */
struct cluster_ep {
	uint8_t mac[6];
	union vs_addr ip;
	struct overlay_vtep vtep;
	char name[VS_NAME_MAX], host[VS_NAME_MAX];
};

static int cluster_ep_of(const char *value, struct cluster_ep *e)
{
	struct json_object *o = cluster_json(value);
	const char *mac, *ip, *name, *host;
	int rc = -1;

	memset(e, 0, sizeof(*e));
	if (!o)
		return -1;
	mac = cluster_jstr(o, "mac");
	ip = cluster_jstr(o, "ip");
	name = cluster_jstr(o, "name");
	host = cluster_jstr(o, "host");
	if (mac && !ipam_parse_mac(mac, e->mac) && ip && !ipam_parse_ip(ip, &e->ip) &&
	    !cluster_vtep_of(o, &e->vtep) && host && strlen(host) < sizeof(e->host) &&
	    (!name || strlen(name) < sizeof(e->name))) {
		snprintf(e->name, sizeof(e->name), "%s", name ? name : "");
		snprintf(e->host, sizeof(e->host), "%s", host);
		rc = 0;
	}
	json_object_put(o);
	return rc;
}

/* ---- applying keys ---- */

static void cluster_bad_value(const char *key)
{
	VLOG_RL(LOG_LVL_WARN, "cluster: key %s%s has a value that is not ours; ignored",
		CLUSTER_PREFIX, key);
}

static void cluster_dns(struct network *n, const struct cluster_ep *e, bool add)
{
	struct dns *dns = n->dp ? n->dp->dns : NULL;

	if (dns && e->name[0])
		(add ? dns_remote_added : dns_remote_removed)(dns, n, e->name, &e->ip);
}

static void cluster_apply_endpoint(struct network *n, const char *id, const char *old,
				   const char *new)
{
	struct cluster_ep e;
	const char *colon = strchr(id, ':');
	char key[512];

	if (!colon)
		return;
	if ((size_t)(colon - id) == strlen(cluster_host()) &&
	    !strncmp(id, cluster_host(), (size_t)(colon - id))) {
		/* ours: one the model no longer has is stale; delete it */
		struct container *c = model_container(colon + 1);

		if (new && (!c || !model_endpoint(n, c)))
			etcd_delete(cluster_etcd(), cluster_net_key(key, sizeof(key), n->name,
					"endpoints", id), false, NULL, NULL);
		return;
	}
	if (old && !cluster_ep_of(old, &e)) {
		overlay_remote_del(n, e.mac);
		cluster_dns(n, &e, false);
	}
	if (!new)
		return;
	if (cluster_ep_of(new, &e)) {
		cluster_bad_value(id);
		return;
	}
	if (overlay_remote_set(n, e.mac, &e.ip, &e.vtep, e.name, e.host))
		VLOG_RL(LOG_LVL_WARN, "cluster: endpoint %s on %s: %s", id, n->name, strerror(errno));
	else
		cluster_dns(n, &e, true);
}

/* members/<host> (a vswitch host) and vteps/<ip> (`network vtep add`). */
static void cluster_apply_member(struct network *n, const char *host, const char *old,
				 const char *new, enum overlay_origin origin)
{
	struct overlay_vtep v;
	struct json_object *o;

	if (origin == OVERLAY_ORIGIN_CLUSTER && !strcmp(host, cluster_host()))
		return;
	if (old && (o = cluster_json(old))) {
		if (!cluster_vtep_of(o, &v))
			overlay_member_del(n, &v.addr);
		json_object_put(o);
	}
	if (!new)
		return;
	o = cluster_json(new);
	if (!o || cluster_vtep_of(o, &v))
		cluster_bad_value(host);
	else if (overlay_member_add(n, &v, origin, origin == OVERLAY_ORIGIN_CLUSTER ? host : ""))
		VLOG_RL(LOG_LVL_WARN, "cluster: member %s of %s: %s", host, n->name, strerror(errno));
	json_object_put(o);
}

static void cluster_replay_one(const char *key, const char *value, void *arg)
{
	(void)arg;
	cluster_apply(key, NULL, value);
}

/* A network just made here: apply the keys under it that came before it. */
static void cluster_net_replay(const struct network *n)
{
	char prefix[128];

	snprintf(prefix, sizeof(prefix), "networks/%s/", n->name);
	cluster_foreach(prefix, cluster_replay_one, NULL);
}

static void cluster_member_put(const struct network *n);

static void cluster_apply_network(const char *name, const char *old, const char *new)
{
	struct network *n = model_network(name);
	struct json_object *spec;
	char err[256];

	(void)old;
	if (!new) {
		if (!n || !n->global)
			return;
		if (!LIST_EMPTY(&n->endpoints)) {
			log_warn("cluster: network %s was removed from the cluster but has containers "
				 "here; kept until they are disconnected", name);
			return;
		}
		log_info("cluster: network %s removed by the cluster", name);
		cmd_network_drop(n);
		return;
	}
	spec = cluster_json(new);
	if (!spec) {
		cluster_bad_value(name);
		return;
	}
	if (n && (!n->global || !strcmp(n->id, cluster_jstr(spec, "id") ? cluster_jstr(spec, "id") : ""))) {
		if (!n->global)
			log_warn("cluster: global network %s has the name of a local network here; "
				 "not joined", name);
		json_object_put(spec);
		return;
	}
	if (n && !LIST_EMPTY(&n->endpoints)) {
		log_warn("cluster: network %s was made again in the cluster but has containers "
			 "here; kept as it was", name);
		json_object_put(spec);
		return;
	}
	if (n)
		cmd_network_drop(n);
	n = cmd_network_adopt(spec, err, sizeof(err));
	json_object_put(spec);
	if (!n) {
		log_warn("cluster: cannot join network %s: %s", name, err);
		return;
	}
	log_info("cluster: network %s (VNI %u) joined", n->name, n->vni);
	cluster_member_put(n);
	cluster_net_replay(n);
}

/**
 * cluster_apply() - A key of the mirror changed: make the model follow
 * @key:	the key without CLUSTER_PREFIX
 * @old:	its value before, or NULL (a new key)
 * @new:	its value now, or NULL (deleted)
 */
void cluster_apply(const char *key, const char *old, const char *new)
{
	char net[VS_NAME_MAX], kind[16];
	const char *p, *id;
	struct network *n;
	size_t len;

	if (!strncmp(key, "hosts/", 6)) {
		if (strcmp(key + 6, cluster_host()) && (!old || !new))
			log_info("cluster: host %s %s", key + 6, new ? "joined" : "left");
		return;
	}
	if (strncmp(key, "networks/", 9))
		return;		/* vni/: read when a VNI is chosen */
	p = key + 9;
	len = strcspn(p, "/");
	if (!len || len >= sizeof(net))
		return;
	snprintf(net, sizeof(net), "%.*s", (int)len, p);
	if (!p[len]) {
		cluster_apply_network(net, old, new);
		return;
	}
	p += len + 1;
	len = strcspn(p, "/");
	id = p + len + 1;
	if (len >= sizeof(kind) || !p[len] || !*id)
		return;
	snprintf(kind, sizeof(kind), "%.*s", (int)len, p);
	n = model_network(net);
	if (!n || !n->global || !n->overlay)
		return;		/* applied when the network comes (cluster_net_replay) */
	if (!strcmp(kind, "endpoints"))
		cluster_apply_endpoint(n, id, old, new);
	else if (!strcmp(kind, "members"))
		cluster_apply_member(n, id, old, new, OVERLAY_ORIGIN_CLUSTER);
	else if (!strcmp(kind, "vteps"))
		cluster_apply_member(n, id, old, new, OVERLAY_ORIGIN_STATIC);
}

/**
 * cluster_net_listed() - After a full listing: a global network of this
 * host that the cluster no longer has (removed while this vswitchd was
 * stopped or cut off) goes, unless containers of ours are on it.
 */
void cluster_net_listed(void)
{
	struct network *n, *tmp;
	char key[128];

	HASH_ITER(hh, g_model.networks, n, tmp) {
		snprintf(key, sizeof(key), "networks/%s", n->name);
		if (!n->global || cluster_get(key))
			continue;
		if (!LIST_EMPTY(&n->endpoints)) {
			log_warn("cluster: network %s is gone from the cluster but has containers "
				 "here; kept until they are disconnected", n->name);
			continue;
		}
		log_info("cluster: network %s was removed from the cluster meanwhile", n->name);
		cmd_network_drop(n);
	}
}

/* ---- writing this host's keys ---- */

static void cluster_log_cb(void *arg, int status, const struct etcd_reply *r)
{
	(void)r;
	if (status != ETCD_OK && status != ETCD_ERR_CANCELED)
		VLOG_RL(LOG_LVL_WARN, "cluster: %s in etcd failed; written again with the next lease",
			(const char *)arg);
	else
		log_debug("cluster: %s: done (%d)", (const char *)arg, status);
}

static void cluster_member_put(const struct network *n)
{
	char key[256], val[128];

	if (!cluster_lease())
		return;
	snprintf(val, sizeof(val), "{\"vtep\":\"%s\",\"port\":%u}", cluster_vtep(),
		 cluster_vxlan_port());
	etcd_put(cluster_etcd(), cluster_net_key(key, sizeof(key), n->name, "members", cluster_host()),
		 val, cluster_lease(), cluster_log_cb, "a member key");
}

static void cluster_ep_value(const struct endpoint *ep, char *buf, size_t len)
{
	struct json_object *o = json_object_new_object();
	char mac[18], ip[VS_ADDR_STRLEN];

	json_object_object_add(o, "mac", json_object_new_string(ipam_mac_str(ep->mac, mac)));
	json_object_object_add(o, "ip", json_object_new_string(vs_addr_str(&ep->ip, ip, sizeof(ip))));
	json_object_object_add(o, "host", json_object_new_string(cluster_host()));
	json_object_object_add(o, "vtep", json_object_new_string(cluster_vtep()));
	json_object_object_add(o, "port", json_object_new_int(cluster_vxlan_port()));
	json_object_object_add(o, "name", json_object_new_string(ep->ctr->dns_name));
	snprintf(buf, len, "%s", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
}

static void cluster_ep_id(const struct endpoint *ep, char *buf, size_t len)
{
	snprintf(buf, len, "%s:%s", cluster_host(), ep->ctr->name);
}

/* {"host":H,"container":C}: an address claim. */
static void cluster_claim_value(const char *container, char *buf, size_t len)
{
	snprintf(buf, len, "{\"host\":\"%s\",\"container\":\"%s\"}", cluster_host(), container);
}

void cluster_endpoint_added(const struct endpoint *ep)
{
	char key[512], id[256], val[512];

	if (!cluster_active() || !cluster_net_global(ep->net) || !cluster_lease())
		return;
	cluster_ep_id(ep, id, sizeof(id));
	cluster_ep_value(ep, val, sizeof(val));
	etcd_put(cluster_etcd(), cluster_net_key(key, sizeof(key), ep->net->name, "endpoints", id),
		 val, cluster_lease(), cluster_log_cb, "an endpoint key");
}

/* The endpoint key goes, and the address claim if it is still ours. */
void cluster_endpoint_removed(const struct endpoint *ep)
{
	char key[512], id[256], ip[VS_ADDR_STRLEN], val[256];
	struct json_object *t;

	if (!cluster_active() || !cluster_net_global(ep->net))
		return;
	cluster_ep_id(ep, id, sizeof(id));
	etcd_delete(cluster_etcd(), cluster_net_key(key, sizeof(key), ep->net->name, "endpoints", id),
		    false, cluster_log_cb, "removing an endpoint key");
	cluster_net_key(key, sizeof(key), ep->net->name, "ipam", vs_addr_str(&ep->ip, ip, sizeof(ip)));
	cluster_claim_value(ep->ctr->name, val, sizeof(val));
	t = etcd_txn_new();
	etcd_txn_cmp(t, key, ETCD_CMP_VALUE, 0, val);
	etcd_txn_delete(t, true, key, false);
	etcd_txn(cluster_etcd(), t, cluster_log_cb, "releasing an address");
}

/* A new lease: every key of ours that the lease carries, again. */
void cluster_republish(void)
{
	struct network *n, *tmp;
	struct endpoint *ep;

	HASH_ITER(hh, g_model.networks, n, tmp) {
		if (!n->global)
			continue;
		cluster_member_put(n);
		LIST_FOREACH(ep, &n->endpoints, net_link)
			cluster_endpoint_added(ep);
	}
}

/* ---- deferred commands ---- */

/* The answer to a deferred command: its result, or its error. */
static void cluster_reply(struct ctl_conn *c, struct json_object *result, const char *err)
{
	control_conn_resume(c, result, err);
}

/* Why an etcd request failed, in words, into BUF. */
static const char *cluster_etcd_err(int status, char *buf, size_t len)
{
	if (status == ETCD_ERR_TRANSPORT)
		snprintf(buf, len, "etcd does not answer (%s)", *etcd_last_error(cluster_etcd()) ?
			 etcd_last_error(cluster_etcd()) : "see vswitchd's log");
	else
		snprintf(buf, len, "%s", status == ETCD_ERR_CANCELED ? "vswitchd is stopping" :
			 "etcd gave an answer vswitchd cannot read (see vswitchd's log)");
	return buf;
}

struct cluster_create {
	struct ctl_conn *conn;
	struct network *n;           /* filled, not yet in the model */
	bool fixed_vni;
	int tries;
};

static void cluster_create_send(struct cluster_create *op);

/* The spec every host makes the network from (cmd_network_adopt()). */
static struct json_object *cluster_spec(const struct network *n)
{
	struct json_object *o = json_object_new_object();
	char s[VS_PREFIX_STRLEN];

	json_object_object_add(o, "name", json_object_new_string(n->name));
	json_object_object_add(o, "id", json_object_new_string(n->id));
	json_object_object_add(o, "created", json_object_new_int64(n->created));
	json_object_object_add(o, "vni", json_object_new_int64(n->vni));
	json_object_object_add(o, "subnet", json_object_new_string(vs_prefix_str(&n->subnet, s, sizeof(s))));
	json_object_object_add(o, "gateway", json_object_new_string(vs_addr_str(&n->gateway, s, sizeof(s))));
	if (n->ip_range.len)
		json_object_object_add(o, "ip_range",
				       json_object_new_string(vs_prefix_str(&n->ip_range, s, sizeof(s))));
	json_object_object_add(o, "mtu", json_object_new_int(n->mtu));
	json_object_object_add(o, "internal", json_object_new_boolean(n->internal));
	json_object_object_add(o, "icc", json_object_new_boolean(n->icc));
	json_object_object_add(o, "dns", json_object_new_boolean(n->dns));
	json_object_object_add(o, "labels", net_labels_json(n));
	json_object_object_add(o, "host", json_object_new_string(cluster_host()));
	return o;
}

/* The lowest VNI from FROM on that neither the mirror nor a local
 * overlay network of this host has. */
static uint32_t cluster_free_vni(uint32_t from)
{
	struct network *o, *tmp;
	char key[32];
	bool used;

	for (; from <= OVERLAY_VNI_MAX; from++) {
		snprintf(key, sizeof(key), "vni/%u", from);
		used = cluster_get(key) != NULL;
		HASH_ITER(hh, g_model.networks, o, tmp)
			used |= o->overlay && o->vni == from;
		if (!used)
			return from;
	}
	return 0;
}

/* N's tables again, for VNI (the one it had went to another network). */
static int cluster_set_vni(struct network *n, uint32_t vni)
{
	if (!vni)
		return -1;
	overlay_free(n);
	return overlay_new(n, vni);
}

static void cluster_create_done(struct cluster_create *op, const char *err)
{
	struct network *n = op->n, *have = model_network(n->name);
	bool same = have && !strcmp(have->id, n->id);
	char e[256];

	if (err || have) {
		overlay_free(n);
		free(n);
	}
	if (err)
		cluster_reply(op->conn, NULL, err);
	else if (same)		/* our own put came back on the watch first */
		cluster_reply(op->conn, cmd_network_inspect_json(have), NULL);
	else if (have)
		cluster_reply(op->conn, NULL, "a local network of that name was made meanwhile");
	else if (cmd_network_link(n, e, sizeof(e)))
		cluster_reply(op->conn, NULL, e);
	else {
		cluster_member_put(n);
		cluster_net_replay(n);
		cluster_reply(op->conn, cmd_network_inspect_json(n), NULL);
	}
	free(op);
}

static void cluster_create_cb(void *arg, int status, const struct etcd_reply *r)
{
	struct cluster_create *op = arg;
	char err[512], why[200];

	if (status != ETCD_OK) {
		snprintf(err, sizeof(err), "cannot create global network %s: %s", op->n->name,
			 cluster_etcd_err(status, why, sizeof(why)));
		cluster_create_done(op, err);
		return;
	}
	if (r->succeeded) {
		cluster_create_done(op, NULL);
		return;
	}
	if (r->n_kvs) {
		snprintf(err, sizeof(err), "network with name %s already exists in the cluster",
			 op->n->name);
		cluster_create_done(op, err);
		return;
	}
	/* the VNI went to another network at the same moment */
	if (op->fixed_vni || ++op->tries >= CLUSTER_VNI_TRIES ||
	    cluster_set_vni(op->n, cluster_free_vni(op->n->vni + 1))) {
		snprintf(err, sizeof(err), "VNI %u is taken in the cluster", op->n->vni);
		cluster_create_done(op, err);
		return;
	}
	cluster_create_send(op);
}

static void cluster_create_send(struct cluster_create *op)
{
	struct json_object *t = etcd_txn_new(), *spec = cluster_spec(op->n);
	char key[256], vkey[64], name[VS_NAME_MAX];

	cluster_net_key(key, sizeof(key), op->n->name, NULL, NULL);
	snprintf(vkey, sizeof(vkey), CLUSTER_PREFIX "vni/%u", op->n->vni);
	snprintf(name, sizeof(name), "%s", op->n->name);
	etcd_txn_cmp(t, key, ETCD_CMP_CREATE, 0, NULL);
	etcd_txn_cmp(t, vkey, ETCD_CMP_CREATE, 0, NULL);
	etcd_txn_put(t, true, key, json_object_to_json_string_ext(spec, JSON_C_TO_STRING_PLAIN), 0);
	etcd_txn_put(t, true, vkey, name, 0);
	etcd_txn_range(t, false, key);
	json_object_put(spec);
	if (etcd_txn(cluster_etcd(), t, cluster_create_cb, op))
		cluster_create_done(op, "cannot create a global network: out of memory");
}

/**
 * cluster_network_create() - Create N (filled, not linked) in the cluster
 * @c:		the command's connection; its reply is deferred
 * @n:		the network; this takes it over
 * @args:	the request (unused beyond what N has)
 * @err:	why not, when it fails at once
 * @errlen:	size of ERR
 *
 * Return: 0 (the reply comes later), -1 with ERR (N is then the caller's)
 */
int cluster_network_create(struct ctl_conn *c, struct network *n, struct json_object *args,
			   char *err, size_t errlen)
{
	struct cluster_create *op;
	struct json_object *opts;

	if (!c) {
		snprintf(err, errlen, "a global network is created through the control socket");
		return -1;
	}
	op = calloc(1, sizeof(*op));
	if (!op) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	n->global = true;
	op->fixed_vni = json_object_object_get_ex(args, "opts", &opts) &&
			json_object_object_get_ex(opts, "vxlan.vni", NULL);
	if (!op->fixed_vni && cluster_set_vni(n, cluster_free_vni(CLUSTER_VNI_FIRST))) {
		snprintf(err, errlen, "no VNI left in the cluster");
		free(op);
		return -1;
	}
	op->conn = c;
	op->n = n;
	control_conn_defer(c);
	cluster_create_send(op);
	return 0;
}

/* Another host's endpoint key: its host goes into ARG's list.  This
 * host's own keys are left out: the model says (cmd_network_rm_check
 * looked first), and the store may still hold the key of a disconnect
 * whose delete is on its way, which must not refuse a `network rm` right
 * after it. */
static void cluster_has_ep(const char *key, const char *value, void *arg)
{
	char *hosts = arg;
	const char *h = strrchr(key, '/');
	size_t len = strlen(hosts), me = strlen(cluster_host());

	(void)value;
	if (h && !strncmp(h + 1, cluster_host(), me) && h[1 + me] == ':')
		return;
	if (h && len < 200)
		snprintf(hosts + len, 256 - len, "%s%.*s", len ? ", " : "",
			 (int)strcspn(h + 1, ":"), h + 1);
}

/* A global network goes only when no host has a container on it. */
int cluster_network_rm_check(const struct network *n, char *err, size_t errlen)
{
	char prefix[128], hosts[256] = "";

	if (!cluster_net_global(n))
		return 0;
	if (!cluster_active()) {
		snprintf(err, errlen, "network %s is global: remove it with a vswitchd of the cluster",
			 n->name);
		return -1;
	}
	snprintf(prefix, sizeof(prefix), "networks/%s/endpoints/", n->name);
	cluster_foreach(prefix, cluster_has_ep, hosts);
	if (*hosts) {
		snprintf(err, errlen, "network %s has active endpoints on hosts %s", n->name, hosts);
		return -1;
	}
	return 0;
}

/* The network's keys go from etcd; every host drops it on the delete. */
void cluster_network_removed(const struct network *n)
{
	struct json_object *t;
	char key[256], vkey[64];

	if (!cluster_active() || !cluster_net_global(n))
		return;
	t = etcd_txn_new();
	cluster_net_key(key, sizeof(key), n->name, NULL, NULL);
	snprintf(vkey, sizeof(vkey), CLUSTER_PREFIX "vni/%u", n->vni);
	etcd_txn_cmp(t, key, ETCD_CMP_VALUE, 0, cluster_get(key + strlen(CLUSTER_PREFIX)));
	etcd_txn_delete(t, true, key, false);
	strcat(key, "/");
	etcd_txn_delete(t, true, key, true);
	etcd_txn_delete(t, true, vkey, false);
	etcd_txn(cluster_etcd(), t, cluster_log_cb, "removing a global network");
}

/* ---- network vtep add|rm: external VTEPs in the store ---- */

struct cluster_vtep_op {
	struct ctl_conn *conn;
	char vtep[VS_ADDR_STRLEN + 8];
};

static void cluster_vtep_cb(void *arg, int status, const struct etcd_reply *r)
{
	struct cluster_vtep_op *op = arg;
	struct json_object *res;
	char err[512], why[200];

	(void)r;
	if (status != ETCD_OK) {
		snprintf(err, sizeof(err), "cannot change the VTEPs of a global network: %s",
			 cluster_etcd_err(status, why, sizeof(why)));
		cluster_reply(op->conn, NULL, err);
	} else {
		res = json_object_new_object();
		json_object_object_add(res, "vtep", json_object_new_string(op->vtep));
		cluster_reply(op->conn, res, NULL);
	}
	free(op);
}

/**
 * cluster_vtep_change() - `network vtep add|rm` on a global network: the VTEP is
 * kept in etcd, and every host adds it to the network's members when its
 * watch sees the key (cluster_apply_member())
 * @c:		the command's connection (its reply is deferred)
 * @n:		the global network
 * @vt:		the VTEP
 * @add:	add, or remove
 * @err:	why not, at once
 * @errlen:	size of ERR
 *
 * Return: 0 (the reply comes later), or -1 with ERR
 */
int cluster_vtep_change(struct ctl_conn *c, const struct network *n, const struct overlay_vtep *vt,
		 bool add, char *err, size_t errlen)
{
	struct cluster_vtep_op *op;
	char ip[VS_ADDR_STRLEN], key[256], val[128];
	int rc;

	vs_addr_str(&vt->addr, ip, sizeof(ip));
	cluster_net_key(key, sizeof(key), n->name, "vteps", ip);
	if (!add && !cluster_get(key + strlen(CLUSTER_PREFIX))) {
		snprintf(err, errlen, "%s is not a VTEP added to network %s", ip, n->name);
		return -1;
	}
	if (add && !strcmp(ip, cluster_vtep())) {
		snprintf(err, errlen, "%s is a host of the cluster already", ip);
		return -1;
	}
	op = c ? calloc(1, sizeof(*op)) : NULL;
	if (!op) {
		snprintf(err, errlen, c ? "out of memory" : "through the control socket only");
		return -1;
	}
	op->conn = c;
	snprintf(op->vtep, sizeof(op->vtep), "%s:%u", ip, vt->port);
	snprintf(val, sizeof(val), "{\"vtep\":\"%s\",\"port\":%u}", ip, vt->port);
	control_conn_defer(c);
	rc = add ? etcd_put(cluster_etcd(), key, val, 0, cluster_vtep_cb, op) :
		   etcd_delete(cluster_etcd(), key, false, cluster_vtep_cb, op);
	if (rc)
		cluster_vtep_cb(op, ETCD_ERR_TRANSPORT, NULL);
	return 0;
}

/* ---- connect: claim the address first ---- */

struct cluster_claim {
	struct ctl_conn *conn;
	struct json_object *args;    /* the request's (a reference) */
	char net[VS_NAME_MAX];
	char container[VS_CKEY_MAX];
	union vs_addr ip;
	bool fixed;
	int tries;
};

static void cluster_claim_send(struct cluster_claim *op);

static void cluster_claim_free(struct cluster_claim *op)
{
	json_object_put(op->args);
	free(op);
}

/* Claimed: connect here with that address; give it back if that fails. */
static void cluster_claim_won(struct cluster_claim *op)
{
	struct json_object *result = NULL;
	char ip[VS_ADDR_STRLEN], err[512] = "", key[256], val[256];
	struct json_object *t;

	vs_addr_str(&op->ip, ip, sizeof(ip));
	json_object_object_add(op->args, "ip", json_object_new_string(ip));
	if (!cmd_connect_run(op->conn, op->args, &result, err, sizeof(err))) {
		cluster_reply(op->conn, result, NULL);
		cluster_claim_free(op);
		return;
	}
	json_object_put(result);
	cluster_net_key(key, sizeof(key), op->net, "ipam", ip);
	cluster_claim_value(op->container, val, sizeof(val));
	t = etcd_txn_new();
	etcd_txn_cmp(t, key, ETCD_CMP_VALUE, 0, val);
	etcd_txn_delete(t, true, key, false);
	etcd_txn(cluster_etcd(), t, cluster_log_cb, "releasing an address");
	cluster_reply(op->conn, NULL, *err ? err : "connect failed");
	cluster_claim_free(op);
}

/* The next address this host believes free after OP's; -1 if none. */
static int cluster_claim_next(struct cluster_claim *op, char *err, size_t errlen)
{
	struct network *n = model_network(op->net);

	if (!n) {
		snprintf(err, errlen, "network %s not found", op->net);
		return -1;
	}
	return ipam_alloc_after(n, &op->ip, &op->ip, err, errlen);
}

static void cluster_claim_cb(void *arg, int status, const struct etcd_reply *r)
{
	struct cluster_claim *op = arg;
	char err[512], why[200], ip[VS_ADDR_STRLEN], val[256];

	if (status != ETCD_OK) {
		snprintf(err, sizeof(err), "cannot claim an address on global network %s: %s",
			 op->net, cluster_etcd_err(status, why, sizeof(why)));
		goto fail;
	}
	cluster_claim_value(op->container, val, sizeof(val));
	/* won, or won already by this same claim sent twice */
	if (r->succeeded || (r->n_kvs && !strcmp(r->kvs[0].value, val))) {
		cluster_claim_won(op);
		return;
	}
	vs_addr_str(&op->ip, ip, sizeof(ip));
	if (op->fixed) {
		snprintf(err, sizeof(err), "address %s is already in use on network %s (%s)", ip,
			 op->net, r->n_kvs ? r->kvs[0].value : "claimed in the cluster");
		goto fail;
	}
	if (++op->tries >= CLUSTER_IP_TRIES) {
		snprintf(err, sizeof(err), "no address claimed on network %s after %d tries",
			 op->net, op->tries);
		goto fail;
	}
	if (cluster_claim_next(op, err, sizeof(err)))
		goto fail;
	cluster_claim_send(op);
	return;
fail:
	cluster_reply(op->conn, NULL, err);
	cluster_claim_free(op);
}

static void cluster_claim_send(struct cluster_claim *op)
{
	struct json_object *t = etcd_txn_new();
	char key[256], ip[VS_ADDR_STRLEN], val[256];

	cluster_net_key(key, sizeof(key), op->net, "ipam", vs_addr_str(&op->ip, ip, sizeof(ip)));
	cluster_claim_value(op->container, val, sizeof(val));
	etcd_txn_cmp(t, key, ETCD_CMP_CREATE, 0, NULL);
	etcd_txn_put(t, true, key, val, 0);
	etcd_txn_range(t, false, key);
	if (etcd_txn(cluster_etcd(), t, cluster_claim_cb, op)) {
		cluster_reply(op->conn, NULL, "cannot claim an address: out of memory");
		cluster_claim_free(op);
	}
}

/**
 * cluster_connect() - Connect to a global network: claim the address in
 * etcd, then connect with it (the reply is deferred until then)
 * @c:		the command's connection
 * @args:	the request
 * @err:	why not, when it fails at once
 * @errlen:	size of ERR
 *
 * Return: 0 (the reply comes later), or -1 with ERR
 */
int cluster_connect(struct ctl_conn *c, struct json_object *args, char *err, size_t errlen)
{
	const char *net = ctl_arg_str(args, "network"), *ctr = ctl_arg_str(args, "container");
	const char *ip = ctl_arg_str(args, "ip");
	struct network *n = net ? model_network(net) : NULL;
	struct container *k = ctr ? model_container(ctr) : NULL;
	struct cluster_claim *op;

	if (!n || !ctr || !c) {
		snprintf(err, errlen, !n ? "network %s not found" : "a container name is needed",
			 net ? net : "");
		return -1;
	}
	if (k && model_endpoint(n, k)) {
		snprintf(err, errlen, "container %s is already connected to network %s", k->name, n->name);
		return -1;
	}
	op = calloc(1, sizeof(*op));
	if (!op) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	snprintf(op->net, sizeof(op->net), "%s", n->name);
	snprintf(op->container, sizeof(op->container), "%s", ctr);
	op->fixed = ip != NULL;
	if (ip ? ipam_parse_ip(ip, &op->ip) || ipam_check_fixed(n, &op->ip, err, errlen) :
	    ipam_alloc(n, &op->ip, err, errlen)) {
		if (ip && !*err)
			snprintf(err, errlen, "invalid IPv4 address \"%s\"", ip);
		free(op);
		return -1;
	}
	op->conn = c;
	op->args = json_object_get(args);
	control_conn_defer(c);
	cluster_claim_send(op);
	return 0;
}

/* ipam.c's hook: an address another host of the cluster has claimed. */
static bool cluster_ipam_taken(const struct network *n, const union vs_addr *addr)
{
	char key[256], ip[VS_ADDR_STRLEN], mine[VS_NAME_MAX + 16];
	const char *v;

	if (!n->global)
		return false;
	snprintf(key, sizeof(key), "networks/%s/ipam/%s", n->name, vs_addr_str(addr, ip, sizeof(ip)));
	v = cluster_get(key);
	snprintf(mine, sizeof(mine), "{\"host\":\"%s\",", cluster_host());
	return v && strncmp(v, mine, strlen(mine));
}

void cluster_net_init(void)
{
	ipam_remote_taken = cluster_ipam_taken;
}
