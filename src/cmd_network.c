/* cmd_network.c - control commands for networks: create, ls, inspect, rm, prune.
 *
 * Every handler validates the whole request before it changes anything,
 * then changes the model, then saves the state; if the save fails the
 * change is undone, so a failed command leaves the switch as it was
 * (DESIGN.md: "nothing is half-applied").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <arpa/inet.h>
#include "capture.h"
#include "cmd.h"
#include "control.h"
#include "dp.h"
#include "events.h"
#include "fdb.h"
#include "ipam.h"
#include "lan.h"
#include "log.h"
#include "mld_snoop.h"
#include "model.h"
#include "nat.h"
#include "overlay.h"
#include "cluster.h"
#include "pipeline.h"
#include "state.h"

static void cmd_network_new_id(char id[65])
{
	uint8_t r[32];
	int i;

	if (getrandom(r, sizeof(r), 0) != sizeof(r))
		for (i = 0; i < 32; i++)
			r[i] = (uint8_t)rand();
	for (i = 0; i < 32; i++)
		sprintf(id + 2 * i, "%02x", r[i]);
}

/* Subnet, gateway and range: given or automatic, and consistent. */
static int cmd_network_addrs(struct network *n, struct json_object *args, char *err, size_t errlen)
{
	const char *sub = ctl_arg_str(args, "subnet"), *gw = ctl_arg_str(args, "gateway");
	const char *rng = ctl_arg_str(args, "ip_range");
	char a[VS_PREFIX_STRLEN], b[VS_ADDR_STRLEN];
	struct network *o, *tmp;

	if (sub) {
		if (ipam_parse_cidr(sub, &n->subnet, true, err, errlen))
			return -1;
		if (n->subnet.len > 30) {
			snprintf(err, errlen, "subnet %s is too small (at most /30)", sub);
			return -1;
		}
		HASH_ITER(hh, g_model.networks, o, tmp)
			if (vs_prefix_overlap(&o->subnet, &n->subnet)) {
				snprintf(err, errlen, "subnet %s overlaps network %s (%s)", sub, o->name,
					 vs_prefix_str(&o->subnet, a, sizeof(a)));
				return -1;
			}
	} else if (gw || rng) {
		snprintf(err, errlen, "--gateway and --ip-range need --subnet");
		return -1;
	} else if (ipam_auto_subnet(&n->subnet)) {
		snprintf(err, errlen, "no free subnet left in the automatic pools");
		return -1;
	}
	if (rng) {
		if (ipam_parse_cidr(rng, &n->ip_range, true, err, errlen))
			return -1;
		if (!vs_prefix_within(&n->ip_range, &n->subnet)) {
			snprintf(err, errlen, "ip range %s is outside subnet %s", rng,
				 vs_prefix_str(&n->subnet, a, sizeof(a)));
			return -1;
		}
	}
	n->gateway = n->subnet.addr;
	vs_addr_add(&n->gateway, 1);
	if (gw && ipam_parse_ip(gw, &n->gateway)) {
		snprintf(err, errlen, "invalid gateway address \"%s\"", gw);
		return -1;
	}
	if (!vs_prefix_contains(&n->subnet, &n->gateway) ||
	    vs_addr_eq(&n->gateway, &n->subnet.addr) ||
	    vs_prefix_is_broadcast(&n->subnet, &n->gateway)) {
		snprintf(err, errlen, "gateway %s is not a host address of subnet %s",
			 vs_addr_str(&n->gateway, b, sizeof(b)), vs_prefix_str(&n->subnet, a, sizeof(a)));
		return -1;
	}
	return 0;
}

/* The IPv6 subnet's range and gateway, given or automatic (N's subnet6 is set). */
static int cmd_network_gw6(struct network *n, const char *gw, const char *rng,
			   char *err, size_t errlen)
{
	char a[VS_PREFIX_STRLEN], b[VS_ADDR_STRLEN];

	if (rng) {
		if (ipam_parse_cidr6(rng, &n->ip_range6, err, errlen))
			return -1;
		if (!vs_prefix_within(&n->ip_range6, &n->subnet6)) {
			snprintf(err, errlen, "ip range %s is outside subnet %s", rng,
				 vs_prefix_str(&n->subnet6, a, sizeof(a)));
			return -1;
		}
	}
	n->gateway6 = n->subnet6.addr;
	vs_addr_add(&n->gateway6, 1);
	if (gw && ipam_parse_ip6(gw, &n->gateway6)) {
		snprintf(err, errlen, "invalid IPv6 gateway address \"%s\"", gw);
		return -1;
	}
	/* The all-zero host address is the subnet-router anycast address. */
	if (!vs_prefix_contains(&n->subnet6, &n->gateway6) ||
	    vs_addr_eq(&n->gateway6, &n->subnet6.addr)) {
		snprintf(err, errlen, "gateway %s is not a host address of subnet %s",
			 vs_addr_str(&n->gateway6, b, sizeof(b)),
			 vs_prefix_str(&n->subnet6, a, sizeof(a)));
		return -1;
	}
	return 0;
}

/* --ipv6: the second subnet, given (subnet6) or a /64 of the host's ULA
 * /48; subnet6, gateway6 and ip_range6 without --ipv6 are refused. */
static int cmd_network_addrs6(struct network *n, struct json_object *args, char *err, size_t errlen)
{
	const char *sub = ctl_arg_str(args, "subnet6"), *gw = ctl_arg_str(args, "gateway6");
	const char *rng = ctl_arg_str(args, "ip_range6");
	char a[VS_PREFIX_STRLEN];
	struct network *o, *tmp;

	n->ipv6 = ctl_arg_bool(args, "ipv6", 0);
	if (!n->ipv6) {
		if (!sub && !gw && !rng)
			return 0;
		snprintf(err, errlen, "an IPv6 subnet, gateway or range needs --ipv6");
		return -1;
	}
	if (sub) {
		if (ipam_parse_cidr6(sub, &n->subnet6, err, errlen))
			return -1;
		HASH_ITER(hh, g_model.networks, o, tmp)
			if (o->ipv6 && vs_prefix_overlap(&o->subnet6, &n->subnet6)) {
				snprintf(err, errlen, "subnet %s overlaps network %s (%s)", sub, o->name,
					 vs_prefix_str(&o->subnet6, a, sizeof(a)));
				return -1;
			}
	} else if (gw || rng) {
		snprintf(err, errlen, "an IPv6 --gateway or --ip-range needs an IPv6 --subnet");
		return -1;
	} else if (ipam_auto_subnet6(&n->subnet6)) {
		snprintf(err, errlen, "no free IPv6 subnet left in the host's ULA pool");
		return -1;
	}
	return cmd_network_gw6(n, gw, rng, err, errlen);
}

static int cmd_network_aux(struct network *n, struct json_object *args, char *err, size_t errlen)
{
	struct json_object *aux;
	char a[VS_PREFIX_STRLEN];

	if (!args || !json_object_object_get_ex(args, "aux", &aux))
		return 0;
	if (!json_object_is_type(aux, json_type_object)) {
		snprintf(err, errlen, "aux addresses must be NAME=IP");
		return -1;
	}
	json_object_object_foreach(aux, key, val) {
		const char *ip = json_object_get_string(val);

		if (n->n_aux >= VS_MAX_AUX || !model_name_ok(key)) {
			snprintf(err, errlen, "too many aux addresses or a bad name \"%s\"", key);
			return -1;
		}
		if (ipam_parse_ip(ip, &n->aux[n->n_aux].addr) ||
		    !vs_prefix_contains(&n->subnet, &n->aux[n->n_aux].addr)) {
			snprintf(err, errlen, "aux address %s=%s is not an address of subnet %s",
				 key, ip ? ip : "", vs_prefix_str(&n->subnet, a, sizeof(a)));
			return -1;
		}
		snprintf(n->aux[n->n_aux].name, VS_NAME_MAX, "%s", key);
		n->n_aux++;
	}
	return 0;
}

/**
 * cmd_network_start() - Bring a network into the datapath (create or load)
 */
void cmd_network_start(struct dp *dp, struct network *n)
{
	n->dp = dp;
	/* Endpoints loaded from the state are already on n->endpoints: this
	 * only adds the datapath side.  An overlay network's gateway MAC
	 * comes from its VNI: the same on every host (overlay.h). */
	if (n->overlay)
		overlay_gw_mac(n->vni, n->gw_mac);
	else
		model_gw_mac(n, n->gw_mac);
	if (n->overlay && overlay_attach(dp, n))
		log_warn("network %s: VNI %u is another network's: no tunnel for it",
			 n->name, n->vni);
	n->fdb = fdb_new(n);
	/* A LAN network's gateway is the LAN's router: nothing of ours to
	 * announce; it joins its uplink instead (lan_ctl.c). */
	if (!model_net_is_lan(n)) {
		gateway_announce(n);
		gateway_adv_start(n);
	} else {
		lan_attach(dp, n);
	}
}

/* Free N, already out of g_model.networks. */
static void cmd_network_free(struct network *n)
{
	gateway_adv_stop(n);
	capture_network_gone(n);
	lan_detach(n);
	/* its connections go, and its NAT zone is free for the next network */
	if (n->dp && n->dp->nat)
		nat_zone_release(n->dp->nat, n->name);
	if (n->fdb)
		fdb_free(n->fdb);
	mld_snoop_free(n->mld);
	n->mld = NULL;
	overlay_free(n);
	free(n);
}

/* Docker's option for how a bridge network's IPv6 leaves (doc/ipv6.md). */
#define CMD_GW_MODE6 "com.docker.network.bridge.gateway_mode_ipv6"

/* --driver and -o (Docker's): parent=UPLINK, for macvlan and ipvlan;
 * CMD_GW_MODE6=nat|routed for a bridge network with --ipv6. */
static int cmd_network_driver(struct network *n, struct json_object *args, char *err,
			      size_t errlen)
{
	const char *drv = ctl_arg_str(args, "driver");
	struct json_object *opts;

	if (model_driver_parse(drv, &n->driver) < 0) {
		snprintf(err, errlen, "unknown driver \"%s\" (bridge, macvlan, ipvlan, overlay)", drv);
		return -1;
	}
	if (!args || !json_object_object_get_ex(args, "opts", &opts))
		return 0;
	if (!json_object_is_type(opts, json_type_object)) {
		snprintf(err, errlen, "driver options must be KEY=VALUE");
		return -1;
	}
	json_object_object_foreach(opts, key, val) {
		const char *v = json_object_get_string(val);

		if (!strncmp(key, "vxlan.", 6)) {	/* overlay_ctl.c */
			if (overlay_ctl_opt(n, key, v, err, errlen))
				return -1;
			continue;
		}
		if (strcmp(key, "parent") && strcmp(key, "macvlan_mode") && strcmp(key, "ipvlan_mode") &&
		    strcmp(key, CMD_GW_MODE6)) {
			snprintf(err, errlen, "unknown driver option \"%s\" (parent, %s)", key,
				 CMD_GW_MODE6);
			return -1;
		}
		if (!strcmp(key, CMD_GW_MODE6)) {
			if (!v || (strcmp(v, "nat") && strcmp(v, "routed"))) {
				snprintf(err, errlen, "%s %s: want nat or routed", key, v ? v : "");
				return -1;
			}
			n->routed6 = !strcmp(v, "routed");
		} else if (!strcmp(key, "parent")) {
			if (!v || !*v || strlen(v) >= sizeof(n->parent)) {
				snprintf(err, errlen, "bad parent \"%s\"", v ? v : "");
				return -1;
			}
			snprintf(n->parent, sizeof(n->parent), "%s", v);
		} else if (!v || (strcmp(v, "bridge") && strcmp(v, "l2"))) {
			/* Docker's modes: only the ones this switch is */
			snprintf(err, errlen, "%s %s is not supported (macvlan: bridge; ipvlan: l2)",
				 key, v ? v : "");
			return -1;
		}
	}
	return 0;
}

static int cmd_network_fill(struct network *n, struct json_object *args, char *err, size_t errlen)
{
	long long mtu = ctl_arg_int(args, "mtu", 1500);

	if (cmd_network_driver(n, args, err, errlen) || cmd_network_addrs(n, args, err, errlen) ||
	    cmd_network_addrs6(n, args, err, errlen) || cmd_network_aux(n, args, err, errlen))
		return -1;
	if (mtu < 68 || mtu > 65535) {
		snprintf(err, errlen, "mtu %lld out of range (68-65535)", mtu);
		return -1;
	}
	n->mtu = (int)mtu;
	n->internal = ctl_arg_bool(args, "internal", 0);
	n->icc = ctl_arg_bool(args, "icc", 1);
	n->dns = ctl_arg_bool(args, "dns", 1);
	n->dns_intercept = ctl_arg_bool(args, "dns_intercept", 0);
	if (net_labels_set(n, args ? json_object_object_get(args, "labels") : NULL,
			     err, errlen))
		return -1;
	if (n->routed6 && (!n->ipv6 || n->driver != NET_DRIVER_BRIDGE)) {
		snprintf(err, errlen, "%s=routed needs --ipv6 on a bridge network", CMD_GW_MODE6);
		return -1;
	}
	if (n->dns_intercept && !n->dns) {
		snprintf(err, errlen, "--dns-intercept needs DNS on the network (drop --no-dns)");
		return -1;
	}
	if (lan_check(cmd_dp(), n, err, errlen) ||
	    overlay_ctl_setup(n, args && json_object_object_get_ex(args, "mtu", NULL), err, errlen))
		return -1;
	/* The resolver answers at the gateway's address, which on a LAN
	 * network is the LAN's router: there, at --aux-address dns=IP. */
	if (model_net_is_lan(n))
		lan_dns_setup(n, n->dns);
	cmd_network_new_id(n->id);
	n->created = time(NULL);
	return 0;
}

/* The default network, as Docker's docker0: no name DNS, cannot be removed. */
int cmd_network_ensure_default(char *err, size_t errlen)
{
	struct network *n;

	if (model_network("bridge"))
		return 0;
	n = calloc(1, sizeof(*n));
	if (!n)
		return -1;
	snprintf(n->name, sizeof(n->name), "bridge");
	LIST_INIT(&n->endpoints);
	ipam_parse_cidr("172.17.0.0/16", &n->subnet, true, err, errlen);
	ipam_parse_ip("172.17.0.1", &n->gateway);
	n->mtu = 1500;
	n->icc = true;
	n->is_default = true;
	cmd_network_new_id(n->id);
	n->created = time(NULL);
	HASH_ADD_STR(g_model.networks, name, n);
	cmd_network_start(cmd_dp(), n);
	return state_save(err, errlen);
}

static int cmd_network_scope(struct network *n, struct json_object *args, char *err,
			     size_t errlen);

static int cmd_network_create(struct ctl_conn *c, struct json_object *args,
			      struct json_object **result, char *err, size_t errlen)
{
	const char *name = ctl_arg_str(args, "name");
	struct network *n;

	if (!model_name_ok(name)) {
		snprintf(err, errlen, "invalid network name \"%s\" (letters, digits, . _ -)", name ? name : "");
		return -1;
	}
	if (model_network(name)) {
		snprintf(err, errlen, "network with name %s already exists", name);
		return -1;
	}
	n = calloc(1, sizeof(*n));
	if (!n)
		return -1;
	snprintf(n->name, sizeof(n->name), "%s", name);
	LIST_INIT(&n->endpoints);
	if (cmd_network_fill(n, args, err, errlen) || cmd_network_scope(n, args, err, errlen)) {
		overlay_free(n);
		free(n);
		return -1;
	}
	/* global: etcd first (a txn claims the name and the VNI); the reply
	 * comes when it answers, and every host makes the network */
	if (n->global) {
		if (cluster_network_create(c, n, args, err, errlen)) {
			overlay_free(n);
			free(n);
			return -1;
		}
		return 0;
	}
	if (cmd_network_link(n, err, errlen))
		return -1;
	*result = cmd_network_inspect_json(n);
	return 0;
}

/**
 * cmd_network_link() - Put a filled network N into the model, save, start
 * @n:		the network (freed on failure)
 * @err:	why not
 * @errlen:	size of ERR
 *
 * Return: 0, or -1 with ERR
 */
int cmd_network_link(struct network *n, char *err, size_t errlen)
{
	HASH_ADD_STR(g_model.networks, name, n);
	if (state_save(err, errlen)) {
		HASH_DEL(g_model.networks, n);
		overlay_free(n);
		free(n);
		return -1;
	}
	cmd_network_start(cmd_dp(), n);
	log_info("network %s created%s", n->name, n->global ? " (global)" : "");
	events_network("create", n);
	return 0;
}

/* --scope global (Docker's), or --driver overlay with a cluster: the
 * network is the cluster's.  Without --cluster an overlay network stays
 * local (static members, overlay_ctl.c). */
static int cmd_network_scope(struct network *n, struct json_object *args, char *err,
			     size_t errlen)
{
	const char *scope = ctl_arg_str(args, "scope");

	if (scope && strcmp(scope, "local") && strcmp(scope, "global") && strcmp(scope, "swarm")) {
		snprintf(err, errlen, "unknown scope \"%s\" (local, global)", scope);
		return -1;
	}
	if (scope && strcmp(scope, "local") && n->driver != NET_DRIVER_OVERLAY) {
		snprintf(err, errlen, "--scope %s needs --driver overlay", scope);
		return -1;
	}
	if (scope && strcmp(scope, "local") && !cluster_active()) {
		snprintf(err, errlen, "--scope %s needs vswitchd --cluster (see multihost.md)", scope);
		return -1;
	}
	n->global = cluster_active() && n->driver == NET_DRIVER_OVERLAY &&
		    !(scope && !strcmp(scope, "local"));
	if (n->global && n->ipv6) {
		snprintf(err, errlen, "a global network is IPv4 only (drop --ipv6)");
		return -1;
	}
	return 0;
}

/* A spec's field as the create request's argument of the same name. */
static void cmd_spec_arg(struct json_object *args, struct json_object *spec, const char *key)
{
	struct json_object *v;

	if (json_object_object_get_ex(spec, key, &v))
		json_object_object_add(args, key, json_object_get(v));
}

/**
 * cmd_network_adopt() - Make here a global network another host created
 * @spec:	its value in etcd (cluster_net.c's cluster_spec())
 * @err:	why not
 * @errlen:	size of ERR
 *
 * Return: the network, or NULL with ERR
 */
struct network *cmd_network_adopt(struct json_object *spec, char *err, size_t errlen)
{
	struct json_object *args = json_object_new_object(), *opts = json_object_new_object(), *v;
	const char *name = NULL, *id = NULL;
	struct network *n = NULL;
	char vni[16];

	if (json_object_object_get_ex(spec, "name", &v))
		name = json_object_get_string(v);
	if (json_object_object_get_ex(spec, "id", &v))
		id = json_object_get_string(v);
	if (!json_object_object_get_ex(spec, "vni", &v) || !json_object_is_type(v, json_type_int) ||
	    !model_name_ok(name) || !id || strlen(id) != 64 || model_network(name)) {
		snprintf(err, errlen, "its spec in etcd is not one vswitchd wrote");
		goto out;
	}
	snprintf(vni, sizeof(vni), "%lld", (long long)json_object_get_int64(v));
	json_object_object_add(opts, "vxlan.vni", json_object_new_string(vni));
	json_object_object_add(args, "opts", json_object_get(opts));
	json_object_object_add(args, "driver", json_object_new_string("overlay"));
	cmd_spec_arg(args, spec, "subnet");
	cmd_spec_arg(args, spec, "gateway");
	cmd_spec_arg(args, spec, "ip_range");
	cmd_spec_arg(args, spec, "mtu");
	cmd_spec_arg(args, spec, "internal");
	cmd_spec_arg(args, spec, "icc");
	cmd_spec_arg(args, spec, "dns");
	cmd_spec_arg(args, spec, "labels");
	n = calloc(1, sizeof(*n));
	if (!n)
		goto out;
	snprintf(n->name, sizeof(n->name), "%s", name);
	LIST_INIT(&n->endpoints);
	if (cmd_network_fill(n, args, err, errlen)) {
		overlay_free(n);
		free(n);
		n = NULL;
		goto out;
	}
	snprintf(n->id, sizeof(n->id), "%s", id);
	if (json_object_object_get_ex(spec, "created", &v))
		n->created = (time_t)json_object_get_int64(v);
	n->global = true;
	if (cmd_network_link(n, err, errlen))
		n = NULL;
out:
	json_object_put(opts);
	json_object_put(args);
	return n;
}

/* cmd_network_drop() - A global network the cluster removed goes here too
 * (no container of ours is on it: the caller checked). */
void cmd_network_drop(struct network *n)
{
	char err[256];

	HASH_DEL(g_model.networks, n);
	if (state_save(err, sizeof(err)))
		log_warn("%s; network %s is back at the next start, until the cluster drops it again",
			 err, n->name);
	log_info("network %s removed", n->name);
	events_network("destroy", n);
	cmd_network_free(n);
}

static struct json_object *cmd_jstr(const char *s) { return json_object_new_string(s); }

static struct json_object *cmd_ipam_json(const struct network *n)
{
	struct json_object *cfg = json_object_new_object(), *arr = json_object_new_array();
	struct json_object *aux = json_object_new_object();
	char a[VS_PREFIX_STRLEN];
	int i;

	json_object_object_add(cfg, "Subnet", cmd_jstr(vs_prefix_str(&n->subnet, a, sizeof(a))));
	json_object_object_add(cfg, "Gateway", cmd_jstr(vs_addr_str(&n->gateway, a, sizeof(a))));
	if (n->ip_range.len)
		json_object_object_add(cfg, "IPRange", cmd_jstr(vs_prefix_str(&n->ip_range, a, sizeof(a))));
	for (i = 0; i < n->n_aux; i++)
		json_object_object_add(aux, n->aux[i].name, cmd_jstr(vs_addr_str(&n->aux[i].addr, a, sizeof(a))));
	json_object_object_add(cfg, "AuxiliaryAddresses", aux);
	json_object_array_add(arr, cfg);
	if (n->ipv6) {	/* Docker lists the IPv6 pool second */
		cfg = json_object_new_object();
		json_object_object_add(cfg, "Subnet", cmd_jstr(vs_prefix_str(&n->subnet6, a, sizeof(a))));
		json_object_object_add(cfg, "Gateway", cmd_jstr(vs_addr_str(&n->gateway6, a, sizeof(a))));
		if (n->ip_range6.len)
			json_object_object_add(cfg, "IPRange",
					       cmd_jstr(vs_prefix_str(&n->ip_range6, a, sizeof(a))));
		json_object_array_add(arr, cfg);
	}
	cfg = json_object_new_object();
	json_object_object_add(cfg, "Driver", cmd_jstr("default"));
	json_object_object_add(cfg, "Config", arr);
	return cfg;
}

static struct json_object *cmd_containers_json(const struct network *n)
{
	struct json_object *o = json_object_new_object();
	const struct endpoint *ep;
	char a[VS_ADDR_STRLEN], m[18], buf[VS_PREFIX_STRLEN];

	LIST_FOREACH(ep, &n->endpoints, net_link) {
		struct json_object *e = json_object_new_object();

		snprintf(buf, sizeof(buf), "%s/%u", vs_addr_str(&ep->ip, a, sizeof(a)), n->subnet.len);
		json_object_object_add(e, "Name", cmd_jstr(ep->ctr->name));
		json_object_object_add(e, "MacAddress", cmd_jstr(ipam_mac_str(ep->mac, m)));
		json_object_object_add(e, "IPv4Address", cmd_jstr(buf));
		buf[0] = '\0';
		if (n->ipv6)
			snprintf(buf, sizeof(buf), "%s/%u", vs_addr_str(&ep->ip6, a, sizeof(a)),
				 n->subnet6.len);
		json_object_object_add(e, "IPv6Address", cmd_jstr(buf));
		json_object_object_add(e, "Interface", cmd_jstr(ep->ifname));
		json_object_object_add(o, ep->ctr->name, e);
	}
	return o;
}

static struct json_object *cmd_options_json(const struct network *n)
{
	struct json_object *o = json_object_new_object();
	char buf[16];

	snprintf(buf, sizeof(buf), "%d", n->mtu);
	json_object_object_add(o, "com.docker.network.driver.mtu", cmd_jstr(buf));
	json_object_object_add(o, "com.docker.network.bridge.enable_icc",
			       cmd_jstr(n->icc ? "true" : "false"));
	json_object_object_add(o, "vswitch.dns", cmd_jstr(n->dns && !n->is_default ? "true" : "false"));
	json_object_object_add(o, "vswitch.dns_intercept", cmd_jstr(n->dns_intercept ? "true" : "false"));
	if (*n->parent)
		json_object_object_add(o, "parent", cmd_jstr(n->parent));
	if (n->ipv6)
		json_object_object_add(o, CMD_GW_MODE6, cmd_jstr(n->routed6 ? "routed" : "nat"));
	overlay_ctl_options_json(n, o);
	if (n->n_bound) {
		char names[VS_MAX_BOUND * VS_NAME_MAX];
		size_t off = 0;
		int i;

		names[0] = '\0';
		for (i = 0; i < n->n_bound; i++)
			off += (size_t)snprintf(names + off, sizeof(names) - off, "%s%s",
						i ? "," : "", n->bound[i]);
		json_object_object_add(o, "vswitch.bound", cmd_jstr(names));
	}
	return o;
}

/* One element of `network inspect`, shaped like Docker's. */
struct json_object *cmd_network_inspect_json(const struct network *n)
{
	struct json_object *o = json_object_new_object();
	char created[40], gm[18];
	struct tm tm;

	gmtime_r(&n->created, &tm);
	strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%SZ", &tm);
	json_object_object_add(o, "Name", cmd_jstr(n->name));
	json_object_object_add(o, "Id", cmd_jstr(n->id));
	json_object_object_add(o, "Created", cmd_jstr(created));
	json_object_object_add(o, "Scope", cmd_jstr(n->global ? "global" : "local"));
	json_object_object_add(o, "Driver", cmd_jstr(model_driver_name(n->driver)));
	json_object_object_add(o, "EnableIPv6", json_object_new_boolean(n->ipv6));
	json_object_object_add(o, "IPAM", cmd_ipam_json(n));
	json_object_object_add(o, "Internal", json_object_new_boolean(n->internal));
	json_object_object_add(o, "Containers", cmd_containers_json(n));
	json_object_object_add(o, "Options", cmd_options_json(n));
	json_object_object_add(o, "GatewayMacAddress", cmd_jstr(ipam_mac_str(n->gw_mac, gm)));
	json_object_object_add(o, "Labels", net_labels_json(n));
	return o;
}

static unsigned int cmd_network_n_endpoints(const struct network *n)
{
	const struct endpoint *ep;
	unsigned int k = 0;

	LIST_FOREACH(ep, &n->endpoints, net_link)
		k++;
	return k;
}

static int cmd_network_ls(struct ctl_conn *c, struct json_object *args,
			  struct json_object **result, char *err, size_t errlen)
{
	struct network *n, *tmp;
	char a[VS_PREFIX_STRLEN];

	*result = json_object_new_array();
	HASH_ITER(hh, g_model.networks, n, tmp) {
		struct json_object *o = json_object_new_object();
		char created[40];
		struct tm tm;

		/* The whole id: vsctl shortens it unless --no-trunc, as docker. */
		gmtime_r(&n->created, &tm);
		strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%SZ", &tm);
		json_object_object_add(o, "id", cmd_jstr(n->id));
		json_object_object_add(o, "name", cmd_jstr(n->name));
		json_object_object_add(o, "created", cmd_jstr(created));
		json_object_object_add(o, "labels", net_labels_json(n));
		json_object_object_add(o, "driver", cmd_jstr(model_driver_name(n->driver)));
		json_object_object_add(o, "scope", cmd_jstr(n->global ? "global" : "local"));
		json_object_object_add(o, "subnet", cmd_jstr(vs_prefix_str(&n->subnet, a, sizeof(a))));
		json_object_object_add(o, "gateway", cmd_jstr(vs_addr_str(&n->gateway, a, sizeof(a))));
		json_object_object_add(o, "ipv6", json_object_new_boolean(n->ipv6));
		if (n->ipv6) {
			json_object_object_add(o, "subnet6", cmd_jstr(vs_prefix_str(&n->subnet6, a, sizeof(a))));
			json_object_object_add(o, "gateway6", cmd_jstr(vs_addr_str(&n->gateway6, a, sizeof(a))));
		}
		json_object_object_add(o, "internal", json_object_new_boolean(n->internal));
		json_object_object_add(o, "icc", json_object_new_boolean(n->icc));
		json_object_object_add(o, "dns", json_object_new_boolean(n->dns && !n->is_default));
		json_object_object_add(o, "dns_intercept", json_object_new_boolean(n->dns_intercept));
		json_object_object_add(o, "mtu", json_object_new_int(n->mtu));
		json_object_object_add(o, "containers", json_object_new_int((int)cmd_network_n_endpoints(n)));
		if (n->overlay)	/* the tunnel: VNI and members (vsctl show) */
			json_object_object_add(o, "overlay", overlay_ctl_show_json(n));
		json_object_array_add(*result, o);
	}
	return 0;
}

/* Names from args "names"; each must be an existing network. */
static int cmd_network_names(struct json_object *args, struct network **out, int max,
			     char *err, size_t errlen)
{
	struct json_object *names;
	int i, k = 0;

	if (!args || !json_object_object_get_ex(args, "names", &names) ||
	    !json_object_is_type(names, json_type_array) || !json_object_array_length(names)) {
		snprintf(err, errlen, "no network named");
		return -1;
	}
	if ((int)json_object_array_length(names) > max) {
		snprintf(err, errlen, "at most %d networks at once", max);
		return -1;
	}
	for (i = 0; i < (int)json_object_array_length(names); i++) {
		const char *nm = json_object_get_string(json_object_array_get_idx(names, i));

		out[k] = nm ? model_network(nm) : NULL;
		if (!out[k]) {
			snprintf(err, errlen, "network %s not found", nm ? nm : "");
			return -1;
		}
		k++;
	}
	return k;
}

static int cmd_network_inspect(struct ctl_conn *c, struct json_object *args,
			       struct json_object **result, char *err, size_t errlen)
{
	struct network *nets[64];
	int i, k = cmd_network_names(args, nets, 64, err, errlen);

	if (k < 0)
		return -1;
	*result = json_object_new_array();
	for (i = 0; i < k; i++)
		json_object_array_add(*result, cmd_network_inspect_json(nets[i]));
	return 0;
}

/* Why N cannot go: the default network, or the containers still on it. */
static int cmd_network_rm_check(const struct network *n, char *err, size_t errlen)
{
	const struct endpoint *ep;
	size_t off;

	if (n->is_default) {
		snprintf(err, errlen, "bridge is a pre-defined network and cannot be removed");
		return -1;
	}
	if (LIST_EMPTY(&n->endpoints))
		return cluster_network_rm_check(n, err, errlen);
	off = (size_t)snprintf(err, errlen, "network %s has active endpoints:", n->name);
	LIST_FOREACH(ep, &n->endpoints, net_link)
		if (off < errlen)
			off += (size_t)snprintf(err + off, errlen - off, " %s", ep->ctr->name);
	return -1;
}

/* Remove NETS (already checked), save, reply with their names. */
static int cmd_network_remove(struct network **nets, int k, struct json_object **result,
			      char *err, size_t errlen)
{
	struct json_object *names = json_object_new_array();
	int i;

	for (i = 0; i < k; i++) {
		json_object_array_add(names, cmd_jstr(nets[i]->name));
		HASH_DEL(g_model.networks, nets[i]);
	}
	if (state_save(err, errlen)) {
		for (i = 0; i < k; i++)
			HASH_ADD_STR(g_model.networks, name, nets[i]);
		json_object_put(names);
		return -1;
	}
	for (i = 0; i < k; i++) {
		log_info("network %s removed", nets[i]->name);
		cluster_network_removed(nets[i]);	/* global: from every host */
		events_network("destroy", nets[i]);
		cmd_network_free(nets[i]);
	}
	*result = json_object_new_object();
	json_object_object_add(*result, "removed", names);
	return 0;
}

static int cmd_network_rm(struct ctl_conn *c, struct json_object *args,
			  struct json_object **result, char *err, size_t errlen)
{
	struct network *nets[64];
	int i, j, k = cmd_network_names(args, nets, 64, err, errlen);

	if (k < 0)
		return -1;
	for (i = 0; i < k; i++) {
		struct json_object *names = NULL;
		const char *nm;

		json_object_object_get_ex(args, "names", &names);
		nm = json_object_get_string(json_object_array_get_idx(names, (size_t)i));

		/* A bound name is not the network: only network.unbind takes it. */
		if (strcmp(nm, nets[i]->name)) {
			snprintf(err, errlen, "%s is bound to network %s; unbind it, or remove %s",
				 nm, nets[i]->name, nets[i]->name);
			return -1;
		}
		if (cmd_network_rm_check(nets[i], err, errlen))
			return -1;
		for (j = 0; j < i; j++)
			if (nets[j] == nets[i]) {
				snprintf(err, errlen, "network %s named twice", nets[i]->name);
				return -1;
			}
	}
	return cmd_network_remove(nets, k, result, err, errlen);
}

static int cmd_network_prune(struct ctl_conn *c, struct json_object *args,
			     struct json_object **result, char *err, size_t errlen)
{
	struct network **nets, *n, *tmp;
	int k = 0, rc;

	/* Every unused network, however many: one array the size of all. */
	nets = calloc(HASH_COUNT(g_model.networks) + 1, sizeof(*nets));
	if (!nets) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	HASH_ITER(hh, g_model.networks, n, tmp)
		/* a global network is the cluster's: `network rm` removes it */
		if (!n->is_default && !n->global && LIST_EMPTY(&n->endpoints))
			nets[k++] = n;
	rc = cmd_network_remove(nets, k, result, err, errlen);
	free(nets);
	return rc;
}

void cmd_network_init(void)
{
	control_register(&ctl_schema_network_create, cmd_network_create);
	control_register(&ctl_schema_network_ls, cmd_network_ls);
	control_register(&ctl_schema_network_inspect, cmd_network_inspect);
	control_register(&ctl_schema_network_rm, cmd_network_rm);
	control_register(&ctl_schema_network_prune, cmd_network_prune);
}
