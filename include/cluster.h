/* cluster.h - vswitchd as one host of a cluster whose state is in etcd.
 *
 * With `vswitchd --cluster etcd://H:P[,...] --host-name NAME --vtep-ip IP`
 * the daemon registers itself in etcd under a lease, mirrors everything
 * under /vswitch/v1/ (networks of scope global, their members, endpoints
 * and address claims) and keeps the mirror current with a watch.  What
 * changes in the mirror is applied to the model and to the overlay tables
 * (overlay.h) by cluster_net.c.  The keys are in doc/multihost.md.
 *
 * One cluster per daemon, as one control socket: a control-plane module,
 * reached by the command handlers through these functions; the datapath
 * never calls it (it reads the overlay tables this fills).
 */
#ifndef VS_CLUSTER_H
#define VS_CLUSTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

struct dp;
struct network;
struct endpoint;
struct ctl_conn;
struct etcd;

#define CLUSTER_PREFIX "/vswitch/v1/"
#define CLUSTER_LEASE_TTL 15         /* seconds: a dead host's keys go within it */
#define CLUSTER_VNI_FIRST 4096       /* as Docker's overlay driver */

struct cluster_opts {
	const char *url;             /* etcd://H:P[,H:P...] */
	const char *host;            /* --host-name (default: gethostname) */
	const char *vtep_ip;         /* --vtep-ip: this host's tunnel address */
	uint16_t vxlan_port;         /* --vxlan-port */
};

/* cluster.c: membership, lease, mirror, watch */
int cluster_start(struct dp *dp, const struct cluster_opts *o, char *err, size_t errlen);
void cluster_stop(void);
bool cluster_active(void);
const char *cluster_host(void);
const char *cluster_vtep(void);
uint16_t cluster_vxlan_port(void);
int64_t cluster_lease(void);
struct etcd *cluster_etcd(void);
/* The mirrored value of KEY (without the prefix), or NULL. */
const char *cluster_get(const char *key);
/* Call FN for every mirrored key under PREFIX (without CLUSTER_PREFIX). */
typedef void cluster_kv_fn(const char *key, const char *value, void *arg);
void cluster_foreach(const char *prefix, cluster_kv_fn *fn, void *arg);
/* Status for `vsctl cluster show`-like output (inspect, stats). */
struct json_object *cluster_status_json(void);

/* cluster_net.c: what a key means, and the commands that write keys */
void cluster_net_init(void);
void cluster_apply(const char *key, const char *old_value, const char *new_value);
void cluster_republish(void);
bool cluster_net_global(const struct network *n);
int cluster_network_create(struct ctl_conn *c, struct network *n, struct json_object *args,
			   char *err, size_t errlen);
int cluster_network_rm_check(const struct network *n, char *err, size_t errlen);
void cluster_network_removed(const struct network *n);
int cluster_connect(struct ctl_conn *c, struct json_object *args, char *err, size_t errlen);
void cluster_endpoint_added(const struct endpoint *ep);
void cluster_endpoint_removed(const struct endpoint *ep);

#endif
