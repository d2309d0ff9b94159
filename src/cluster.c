/* cluster.c - this host in the cluster: lease, registration, mirror, watch.
 *
 * DOC: Theory of Operation
 *
 * etcd holds what every host must agree on (doc/multihost.md): the global
 * networks and their VNIs, which hosts are members of each, the endpoints
 * (container MAC/IP behind which VTEP) and the address claims.  Each
 * vswitchd keeps a *mirror* of everything under /vswitch/v1/ (a hash of
 * key -> value) and applies each change of the mirror to its own model and
 * overlay tables (cluster_apply() in cluster_net.c).  The mirror is
 * brought up to date as flannel and Kubernetes' informers do:
 *
 *   1. list the prefix (one range request), remembering its revision R;
 *   2. apply the difference between the listing and the mirror: new or
 *      changed keys as puts, keys the listing lacks as deletes;
 *   3. watch the prefix from R + 1, applying each event as it comes.
 *
 * When the watch ends, for whatever reason (etcd restarted, the revision
 * was compacted away, a bad message, the TCP connection broke), the host
 * goes back to 1 after a short back-off: a *resync*.  Because step 2 is a
 * diff, a resync is idempotent, and events missed while etcd was away are
 * recovered from the listing, deletes included.
 *
 * Liveness.  The host's own keys (hosts/<host>, its members/ and
 * endpoints/ entries) are attached to one lease of CLUSTER_LEASE_TTL
 * seconds, renewed every TTL/3 with a unary keepalive.  If vswitchd dies,
 * the lease runs out and etcd deletes those keys; the other hosts see the
 * deletes on their watch and forget its endpoints.  If a keepalive says the
 * lease is gone (etcd lost it, or we were cut off longer than the TTL), a
 * new lease is granted and every key of ours is written again
 * (cluster_republish()).
 *
 * While etcd is down nothing here blocks and nothing is torn down: the
 * overlay tables keep what they had, so traffic between existing
 * containers goes on; commands that need etcd (global network create,
 * connect to a global network) fail with a clear error.
 *
 * Limits: at most CLUSTER_MAX_KEYS keys are mirrored (more are counted and
 * ignored); one lease per host; the host name is the identity, so two
 * daemons must not share one.
 */
#include <ev.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <uthash.h>
#include "cluster.h"
#include "control.h"
#include "dp.h"
#include "etcd.h"
#include "log.h"
#include "model.h"

#define CLUSTER_MAX_KEYS (1u << 18)
#define CLUSTER_RETRY_MIN 0.5
#define CLUSTER_RETRY_MAX 5.0

struct cluster_kv {
	char *key;                   /* without CLUSTER_PREFIX */
	char *value;
	int64_t mod_rev;
	bool seen;                   /* in the listing being applied */
	UT_hash_handle hh;
};

enum cluster_phase { CLUSTER_LISTING, CLUSTER_WATCHING, CLUSTER_WAITING };

struct cluster {
	struct dp *dp;
	struct ev_loop *loop;
	struct etcd *etcd;
	char host[VS_NAME_MAX];
	char vtep[INET6_ADDRSTRLEN];
	uint16_t port;
	int64_t lease;               /* 0 while none is granted */
	int64_t rev;                 /* the mirror is current up to this revision */
	enum cluster_phase phase;
	struct etcd_watch *watch;
	ev_timer keepalive, retry, regrant;
	double backoff;
	bool granting, renewing;
	struct cluster_kv *kvs;
	unsigned int n_kvs;
	uint64_t resyncs, events, ignored_keys, leases;
};

static struct cluster *cluster_g;

static void cluster_list(struct cluster *cl);
static void cluster_grant(struct cluster *cl);

bool cluster_active(void) { return cluster_g != NULL; }
const char *cluster_host(void) { return cluster_g ? cluster_g->host : ""; }
const char *cluster_vtep(void) { return cluster_g ? cluster_g->vtep : ""; }
uint16_t cluster_vxlan_port(void) { return cluster_g ? cluster_g->port : 0; }
int64_t cluster_lease(void) { return cluster_g ? cluster_g->lease : 0; }
struct etcd *cluster_etcd(void) { return cluster_g ? cluster_g->etcd : NULL; }

const char *cluster_get(const char *key)
{
	struct cluster_kv *kv = NULL;

	if (cluster_g)
		HASH_FIND_STR(cluster_g->kvs, key, kv);
	return kv ? kv->value : NULL;
}

void cluster_foreach(const char *prefix, cluster_kv_fn *fn, void *arg)
{
	struct cluster_kv *kv, *tmp;
	size_t n = strlen(prefix);

	if (!cluster_g)
		return;
	HASH_ITER(hh, cluster_g->kvs, kv, tmp)
		if (!strncmp(kv->key, prefix, n))
			fn(kv->key, kv->value, arg);
}

/* A key from etcd, without our prefix; NULL if it is not one of ours or
 * holds bytes a key of ours never has. */
static const char *cluster_key(const struct etcd_kv *kv)
{
	size_t plen = strlen(CLUSTER_PREFIX), i;

	if (kv->key_len <= plen || strlen(kv->key) != kv->key_len ||
	    strncmp(kv->key, CLUSTER_PREFIX, plen))
		return NULL;
	for (i = plen; i < kv->key_len; i++)
		if ((unsigned char)kv->key[i] < 0x21 || (unsigned char)kv->key[i] > 0x7e)
			return NULL;
	return kv->key + plen;
}

static void cluster_kv_free(struct cluster *cl, struct cluster_kv *kv)
{
	HASH_DEL(cl->kvs, kv);
	cl->n_kvs--;
	free(kv->key);
	free(kv->value);
	free(kv);
}

/* A put of KEY (etcd's): into the mirror and applied, if it changed. */
static void cluster_put(struct cluster *cl, const struct etcd_kv *ekv)
{
	const char *key = cluster_key(ekv);
	struct cluster_kv *kv = NULL;
	char *old;

	if (!key || strlen(ekv->value) != ekv->value_len) {
		cl->ignored_keys++;
		return;
	}
	HASH_FIND_STR(cl->kvs, key, kv);
	if (kv) {
		kv->seen = true;
		kv->mod_rev = ekv->mod_rev;
		if (!strcmp(kv->value, ekv->value))
			return;
		old = kv->value;
		kv->value = strdup(ekv->value);
		if (!kv->value) {
			kv->value = old;
			return;
		}
		cluster_apply(kv->key, old, kv->value);
		free(old);
		return;
	}
	if (cl->n_kvs >= CLUSTER_MAX_KEYS || !(kv = calloc(1, sizeof(*kv)))) {
		VLOG_RL(LOG_LVL_WARN, "cluster: more than %u keys; %s ignored", CLUSTER_MAX_KEYS, key);
		cl->ignored_keys++;
		return;
	}
	kv->key = strdup(key);
	kv->value = strdup(ekv->value);
	if (!kv->key || !kv->value) {
		free(kv->key);
		free(kv->value);
		free(kv);
		return;
	}
	kv->mod_rev = ekv->mod_rev;
	kv->seen = true;
	HASH_ADD_KEYPTR(hh, cl->kvs, kv->key, strlen(kv->key), kv);
	if (!kv->hh.tbl) {	/* HASH_NONFATAL_OOM: not added */
		free(kv->key);
		free(kv->value);
		free(kv);
		return;
	}
	cl->n_kvs++;
	cluster_apply(kv->key, NULL, kv->value);
}

/* A delete of KEY: applied with the value it had, then forgotten. */
static void cluster_del(struct cluster *cl, const char *key)
{
	struct cluster_kv *kv = NULL;

	HASH_FIND_STR(cl->kvs, key, kv);
	if (!kv)
		return;
	cluster_apply(kv->key, kv->value, NULL);
	cluster_kv_free(cl, kv);
}

/* Try again after the back-off (doubled each time, up to the maximum). */
static void cluster_later(struct cluster *cl, ev_timer *t)
{
	cl->backoff = cl->backoff ? cl->backoff * 2 : CLUSTER_RETRY_MIN;
	if (cl->backoff > CLUSTER_RETRY_MAX)
		cl->backoff = CLUSTER_RETRY_MAX;
	ev_timer_stop(cl->loop, t);
	ev_timer_set(t, cl->backoff, 0.);
	ev_timer_start(cl->loop, t);
}

static void cluster_resync(struct cluster *cl, const char *why)
{
	if (cl->watch) {
		etcd_watch_cancel(cl->watch);
		cl->watch = NULL;
	}
	if (cl->phase == CLUSTER_WATCHING)
		log_warn("cluster: %s; listing and watching again", why);
	cl->phase = CLUSTER_WAITING;
	cl->resyncs++;
	cluster_later(cl, &cl->retry);
}

static void cluster_watch_cb(void *arg, int status, const struct etcd_watch_msg *m)
{
	struct cluster *cl = arg;
	size_t i;

	if (status == ETCD_ERR_CANCELED)
		return;
	if (!m) {
		cl->watch = NULL;	/* it ended: gone already */
		cluster_resync(cl, "the watch on etcd ended");
		return;
	}
	if (m->compact_revision || m->canceled) {
		cluster_resync(cl, m->compact_revision ? "revision compacted" : "watch canceled by etcd");
		return;
	}
	cl->backoff = 0;
	for (i = 0; i < m->n_events; i++) {
		const struct etcd_event *ev = &m->events[i];
		const char *key = cluster_key(&ev->kv);

		cl->events++;
		if (ev->kv.mod_rev > cl->rev)
			cl->rev = ev->kv.mod_rev;
		if (ev->type == ETCD_EV_PUT)
			cluster_put(cl, &ev->kv);
		else if (key)
			cluster_del(cl, key);
	}
	if (m->revision > cl->rev)
		cl->rev = m->revision;
}

/* The listing: the mirror becomes exactly it, then the watch goes on. */
static void cluster_list_cb(void *arg, int status, const struct etcd_reply *r)
{
	struct cluster *cl = arg;
	struct cluster_kv *kv, *tmp;
	size_t i;

	if (status == ETCD_ERR_CANCELED)
		return;
	if (status != ETCD_OK) {
		cl->phase = CLUSTER_WAITING;
		cluster_later(cl, &cl->retry);
		return;
	}
	HASH_ITER(hh, cl->kvs, kv, tmp)
		kv->seen = false;
	for (i = 0; i < r->n_kvs; i++)
		cluster_put(cl, &r->kvs[i]);
	HASH_ITER(hh, cl->kvs, kv, tmp)
		if (!kv->seen)
			cluster_del(cl, kv->key);
	cl->rev = r->revision;
	cluster_net_listed();
	cl->watch = etcd_watch(cl->etcd, CLUSTER_PREFIX, cl->rev + 1, cluster_watch_cb, cl);
	if (!cl->watch) {
		cl->phase = CLUSTER_WAITING;
		cluster_later(cl, &cl->retry);
		return;
	}
	cl->phase = CLUSTER_WATCHING;
	log_info("cluster: %u keys at revision %lld from %s; watching", cl->n_kvs,
		 (long long)cl->rev, etcd_endpoint(cl->etcd));
}

static void cluster_list(struct cluster *cl)
{
	cl->phase = CLUSTER_LISTING;
	if (etcd_range(cl->etcd, CLUSTER_PREFIX, true, cluster_list_cb, cl)) {
		cl->phase = CLUSTER_WAITING;
		cluster_later(cl, &cl->retry);
	}
}

static void cluster_retry_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop; (void)revents;
	cluster_list(w->data);
}

/* A write of ours finished: only failures matter, in one line. */
static void cluster_write_cb(void *arg, int status, const struct etcd_reply *r)
{
	(void)r;
	if (status != ETCD_OK && status != ETCD_ERR_CANCELED)
		VLOG_RL(LOG_LVL_WARN, "cluster: writing %s to etcd failed; it is written again "
			"when the lease is renewed", (const char *)arg);
}

static void cluster_register(struct cluster *cl)
{
	char key[256], val[160];

	snprintf(key, sizeof(key), CLUSTER_PREFIX "hosts/%s", cl->host);
	snprintf(val, sizeof(val), "{\"vtep\":\"%s\",\"port\":%u}", cl->vtep, cl->port);
	etcd_put(cl->etcd, key, val, cl->lease, cluster_write_cb, "the host's key");
	cluster_republish();
}

static void cluster_grant_cb(void *arg, int status, const struct etcd_reply *r)
{
	struct cluster *cl = arg;

	if (status == ETCD_ERR_CANCELED)
		return;
	cl->granting = false;
	if (status != ETCD_OK || !r->lease_id) {
		ev_timer_stop(cl->loop, &cl->regrant);
		ev_timer_set(&cl->regrant, 1., 0.);
		ev_timer_start(cl->loop, &cl->regrant);
		return;
	}
	cl->lease = r->lease_id;
	cl->leases++;
	log_info("cluster: host %s registered (lease %llx, %lld s)", cl->host,
		 (unsigned long long)cl->lease, (long long)r->ttl);
	cluster_register(cl);
}

static void cluster_grant(struct cluster *cl)
{
	if (cl->granting)
		return;
	cl->granting = true;
	if (etcd_lease_grant(cl->etcd, CLUSTER_LEASE_TTL, cluster_grant_cb, cl)) {
		cl->granting = false;
		ev_timer_stop(cl->loop, &cl->regrant);
		ev_timer_set(&cl->regrant, 1., 0.);
		ev_timer_start(cl->loop, &cl->regrant);
	}
}

static void cluster_regrant_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop; (void)revents;
	cluster_grant(w->data);
}

static void cluster_renew_cb(void *arg, int status, const struct etcd_reply *r)
{
	struct cluster *cl = arg;

	if (status == ETCD_ERR_CANCELED)
		return;
	cl->renewing = false;
	if (status != ETCD_OK)
		return;		/* etcd away: the next tick tries again */
	if (r->ttl <= 0) {
		log_warn("cluster: lease %llx is gone (etcd lost it, or we were away longer "
			 "than %d s); registering again", (unsigned long long)cl->lease,
			 CLUSTER_LEASE_TTL);
		cl->lease = 0;
		cluster_grant(cl);
	}
}

static void cluster_keepalive_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct cluster *cl = w->data;

	(void)loop; (void)revents;
	if (!cl->lease) {
		cluster_grant(cl);
		return;
	}
	if (cl->renewing)
		return;
	cl->renewing = true;
	if (etcd_lease_keepalive(cl->etcd, cl->lease, cluster_renew_cb, cl))
		cl->renewing = false;
}

static int cluster_check_opts(const struct cluster_opts *o, char *host, size_t hostlen,
			      char *err, size_t errlen)
{
	union { struct in_addr a4; struct in6_addr a6; } a;

	if (o->host)
		snprintf(host, hostlen, "%s", o->host);
	else if (gethostname(host, hostlen) < 0)
		snprintf(host, hostlen, "localhost");
	host[hostlen - 1] = '\0';
	if (!*host || strlen(host) >= VS_NAME_MAX || !ctl_name_chars_ok(host) || *host == '.') {
		snprintf(err, errlen, "--host-name \"%s\": letters, digits, . _ - (at most %d)",
			 host, VS_NAME_MAX - 1);
		return -1;
	}
	if (!o->vtep_ip || (inet_pton(AF_INET, o->vtep_ip, &a) != 1 &&
			    inet_pton(AF_INET6, o->vtep_ip, &a) != 1)) {
		snprintf(err, errlen, "--cluster needs --vtep-ip IP (this host's tunnel address)");
		return -1;
	}
	return 0;
}

/**
 * cluster_start() - Join the cluster: register, list, watch (all later)
 * @dp:		the datapath whose networks the cluster's are
 * @o:		--cluster, --host-name, --vtep-ip, --vxlan-port
 * @err:	why not (bad options only: etcd being down is no error)
 * @errlen:	size of ERR
 *
 * Return: 0, or -1 with ERR
 */
int cluster_start(struct dp *dp, const struct cluster_opts *o, char *err, size_t errlen)
{
	struct cluster *cl = calloc(1, sizeof(*cl));

	if (!cl) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (cluster_check_opts(o, cl->host, sizeof(cl->host), err, errlen) ||
	    !(cl->etcd = etcd_new(dp->loop, o->url, err, errlen))) {
		free(cl);
		return -1;
	}
	snprintf(cl->vtep, sizeof(cl->vtep), "%s", o->vtep_ip);
	cl->port = o->vxlan_port;
	cl->dp = dp;
	cl->loop = dp->loop;
	ev_init(&cl->retry, cluster_retry_cb);
	ev_init(&cl->regrant, cluster_regrant_cb);
	ev_timer_init(&cl->keepalive, cluster_keepalive_cb, CLUSTER_LEASE_TTL / 3.,
		      CLUSTER_LEASE_TTL / 3.);
	cl->retry.data = cl->regrant.data = cl->keepalive.data = cl;
	ev_timer_start(cl->loop, &cl->keepalive);
	cluster_g = cl;
	cluster_net_init();
	cluster_grant(cl);
	cluster_list(cl);
	log_info("cluster: host %s, VTEP %s:%u, etcd %s", cl->host, cl->vtep, cl->port, o->url);
	return 0;
}

/* Leave the keys to the lease: a restart finds them again, a death lets
 * them expire.  Pending requests are told they were canceled. */
void cluster_stop(void)
{
	struct cluster *cl = cluster_g;
	struct cluster_kv *kv, *tmp;

	if (!cl)
		return;
	ev_timer_stop(cl->loop, &cl->keepalive);
	ev_timer_stop(cl->loop, &cl->retry);
	ev_timer_stop(cl->loop, &cl->regrant);
	etcd_free(cl->etcd);	/* also ends the watch */
	cluster_g = NULL;
	HASH_ITER(hh, cl->kvs, kv, tmp)
		cluster_kv_free(cl, kv);
	free(cl);
}

struct json_object *cluster_status_json(void)
{
	static const char *const phases[] = { "listing", "watching", "waiting for etcd" };
	struct cluster *cl = cluster_g;
	const struct etcd_stats *s;
	struct json_object *o = json_object_new_object(), *e;
	char lease[24];

	if (!cl) {
		json_object_object_add(o, "enabled", json_object_new_boolean(0));
		return o;
	}
	s = etcd_stats(cl->etcd);
	snprintf(lease, sizeof(lease), "%llx", (unsigned long long)cl->lease);
	json_object_object_add(o, "enabled", json_object_new_boolean(1));
	json_object_object_add(o, "host", json_object_new_string(cl->host));
	json_object_object_add(o, "vtep", json_object_new_string(cl->vtep));
	json_object_object_add(o, "vxlan_port", json_object_new_int(cl->port));
	json_object_object_add(o, "etcd", json_object_new_string(etcd_endpoint(cl->etcd)));
	json_object_object_add(o, "state", json_object_new_string(phases[cl->phase]));
	json_object_object_add(o, "lease", json_object_new_string(cl->lease ? lease : ""));
	json_object_object_add(o, "revision", json_object_new_int64(cl->rev));
	json_object_object_add(o, "keys", json_object_new_int64(cl->n_kvs));
	json_object_object_add(o, "resyncs", json_object_new_int64((int64_t)cl->resyncs));
	json_object_object_add(o, "events", json_object_new_int64((int64_t)cl->events));
	json_object_object_add(o, "ignored_keys", json_object_new_int64((int64_t)cl->ignored_keys));
	json_object_object_add(o, "leases", json_object_new_int64((int64_t)cl->leases));
	e = json_object_new_object();
	json_object_object_add(e, "requests", json_object_new_int64((int64_t)s->requests));
	json_object_object_add(e, "transport_errors", json_object_new_int64((int64_t)s->transport_errors));
	json_object_object_add(e, "bad_replies", json_object_new_int64((int64_t)s->bad_replies));
	json_object_object_add(e, "server_errors", json_object_new_int64((int64_t)s->server_errors));
	json_object_object_add(e, "failovers", json_object_new_int64((int64_t)s->failovers));
	json_object_object_add(e, "retries", json_object_new_int64((int64_t)s->retries));
	json_object_object_add(o, "counters", e);
	return o;
}
