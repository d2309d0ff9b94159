/* overlay_ctl.c - the control plane of overlay networks without a store.
 *
 * `network create --driver overlay [-o vxlan.vni=N]`, `network vtep
 * add|rm NETWORK IP[:PORT]`, the VNI in inspect's Options (Docker's
 * com.docker.network.driver.overlay.vxlanid_list) and the state file's
 * "vni" and "vteps".  Kept apart from overlay.c so that the tables the
 * datapath reads do not depend on json-c, as fdb_ctl.c is apart from
 * fdb.c.
 *
 * Without --cluster an overlay network is what Linux vxlan with static
 * fdb entries is: every host creates it with the same VNI and subnet, and
 * lists the other hosts as members (`network vtep add`); MACs behind them
 * are learned from their frames.  With a cluster the store fills the same
 * tables (etcd.c); these commands then write to the store instead.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include "cmd.h"
#include "control.h"
#include "ctl_schema.h"
#include "dp.h"
#include "log.h"
#include "overlay.h"
#include "state.h"

/* Docker's overlay driver numbers its networks from 4096 (1-4095 look
 * like VLAN ids, which people map to VNIs by hand). */
#define OVERLAY_CTL_VNI_FIRST 4096

static uint16_t overlay_ctl_port = VXLAN_PORT_DEFAULT;

/* overlay_ctl_set_port() - The UDP port members get when none is given
 * (vswitchd --vxlan-port). */
void overlay_ctl_set_port(uint16_t port)
{
	overlay_ctl_port = port;
}

/**
 * overlay_ctl_opt() - A driver option of `network create` for overlay
 * @n:		the network being made (n->vni is set from vxlan.vni)
 * @key:	the option's key ("vxlan.vni")
 * @val:	its value
 * @err:	the reason on failure
 * @errlen:	size of @err
 *
 * Return: 0, or -1 for an unknown key or a bad value
 */
int overlay_ctl_opt(struct network *n, const char *key, const char *val, char *err,
		    size_t errlen)
{
	unsigned long v;
	char *end;

	if (strcmp(key, "vxlan.vni")) {
		snprintf(err, errlen, "unknown driver option \"%s\" (vxlan.vni)", key);
		return -1;
	}
	errno = 0;
	v = val ? strtoul(val, &end, 10) : 0;
	if (!val || errno || *end || end == val || !v || v > OVERLAY_VNI_MAX) {
		snprintf(err, errlen, "bad vxlan.vni \"%s\" (1-%u)", val ? val : "", OVERLAY_VNI_MAX);
		return -1;
	}
	n->vni = (uint32_t)v;
	return 0;
}

static bool overlay_ctl_vni_used(uint32_t vni, const struct network *self)
{
	struct network *o, *tmp;

	HASH_ITER(hh, g_model.networks, o, tmp)
		if (o != self && o->driver == NET_DRIVER_OVERLAY && o->vni == vni)
			return true;
	return false;
}

/**
 * overlay_ctl_setup() - Check and complete an overlay network at create
 * @n:		the network, its options parsed (n->vni 0: choose one)
 * @mtu_given:	whether --mtu was given (else inner MTU = 1500 - 50)
 * @err:	the reason on failure
 * @errlen:	size of @err
 *
 * Return: 0 (the network has its tables) or -1
 */
int overlay_ctl_setup(struct network *n, bool mtu_given, char *err, size_t errlen)
{
	uint32_t vni;

	if (n->driver != NET_DRIVER_OVERLAY) {
		if (n->vni) {
			snprintf(err, errlen, "-o vxlan.vni is for --driver overlay");
			return -1;
		}
		return 0;
	}
	if (!n->vni)
		for (vni = OVERLAY_CTL_VNI_FIRST; vni <= OVERLAY_VNI_MAX && !n->vni; vni++)
			if (!overlay_ctl_vni_used(vni, n))
				n->vni = vni;
	if (overlay_ctl_vni_used(n->vni, n)) {
		snprintf(err, errlen, "VNI %u is already another overlay network's", n->vni);
		return -1;
	}
	if (!mtu_given)
		n->mtu = 1500 - OVERLAY_OVERHEAD;
	vni = n->vni;
	n->vni = 0;
	if (overlay_new(n, vni)) {
		snprintf(err, errlen, "cannot make the overlay tables: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* overlay_ctl_options_json() - Docker's overlay Options: the VNI. */
void overlay_ctl_options_json(const struct network *n, struct json_object *opts)
{
	char buf[16];

	if (!n->overlay)
		return;
	snprintf(buf, sizeof(buf), "%u", n->vni);
	json_object_object_add(opts, "com.docker.network.driver.overlay.vxlanid_list",
			       json_object_new_string(buf));
}

static const char *overlay_ctl_vtep_str(const struct overlay_vtep *v, char *buf, size_t len)
{
	char a[VS_ADDR_STRLEN];

	snprintf(buf, len, "%s:%u", vs_addr_str(&v->addr, a, sizeof(a)), v->port);
	return buf;
}

/* overlay_ctl_state_json() - "vni" and the static members ("vteps"). */
void overlay_ctl_state_json(const struct network *n, struct json_object *o)
{
	struct overlay_member *m, *tmp;
	struct json_object *arr;
	char buf[VS_ADDR_STRLEN + 8];

	if (!n->overlay)
		return;
	arr = json_object_new_array();
	json_object_object_add(o, "vni", json_object_new_int64(n->vni));
	OVERLAY_FOREACH_MEMBER(n->overlay, m, tmp)
		if (m->origin == OVERLAY_ORIGIN_STATIC)
			json_object_array_add(arr, json_object_new_string(
				overlay_ctl_vtep_str(&m->vtep, buf, sizeof(buf))));
	json_object_object_add(o, "vteps", arr);
}

/**
 * overlay_ctl_state_load() - The overlay part of a saved network
 * @n:		the network, its driver loaded
 * @o:		its JSON object in state.json
 * @err:	the reason on failure
 * @errlen:	size of @err
 *
 * Return: 0, or -1 (bad VNI or VTEP; the tables are freed)
 */
int overlay_ctl_state_load(struct network *n, struct json_object *o, char *err, size_t errlen)
{
	struct json_object *v, *arr;
	struct overlay_vtep vt;
	int64_t vni = 0;
	size_t i;

	if (n->driver != NET_DRIVER_OVERLAY)
		return 0;
	if (json_object_object_get_ex(o, "vni", &v))
		vni = json_object_get_int64(v);
	if (vni < 1 || vni > OVERLAY_VNI_MAX || overlay_ctl_vni_used((uint32_t)vni, n) ||
	    overlay_new(n, (uint32_t)vni)) {
		snprintf(err, errlen, "network %s: bad or duplicate vni", n->name);
		return -1;
	}
	if (!json_object_object_get_ex(o, "vteps", &arr) ||
	    !json_object_is_type(arr, json_type_array))
		return 0;
	for (i = 0; i < json_object_array_length(arr); i++) {
		const char *s = json_object_get_string(json_object_array_get_idx(arr, i));

		if (overlay_vtep_parse(s, overlay_ctl_port, &vt, err, errlen) ||
		    overlay_member_add(n, &vt, OVERLAY_ORIGIN_STATIC, NULL)) {
			overlay_free(n);
			return -1;
		}
	}
	return 0;
}

/* The network and VTEP of a vtep command. */
static struct network *overlay_ctl_args(struct json_object *args, struct overlay_vtep *vt,
					char *err, size_t errlen)
{
	const char *name = ctl_arg_str(args, "network");
	struct network *n = name ? model_network(name) : NULL;

	if (!n) {
		snprintf(err, errlen, "network %s not found", name ? name : "");
		return NULL;
	}
	if (!n->overlay) {
		snprintf(err, errlen, "network %s is not an overlay network (--driver overlay)",
			 n->name);
		return NULL;
	}
	if (overlay_vtep_parse(ctl_arg_str(args, "vtep"), overlay_ctl_port, vt, err, errlen))
		return NULL;
	return n;
}

static int overlay_ctl_vtep_add(struct ctl_conn *c, struct json_object *args,
				struct json_object **result, char *err, size_t errlen)
{
	struct overlay_vtep vt;
	struct overlay_member *old;
	struct network *n = overlay_ctl_args(args, &vt, err, errlen);
	char buf[VS_ADDR_STRLEN + 8];

	if (!n)
		return -1;
	old = overlay_member_find(n, &vt.addr);
	if (old && old->origin == OVERLAY_ORIGIN_CLUSTER) {
		snprintf(err, errlen, "%s is a host of the cluster already", vs_addr_str(&vt.addr, buf, sizeof(buf)));
		return -1;
	}
	if (overlay_member_add(n, &vt, OVERLAY_ORIGIN_STATIC, NULL)) {
		snprintf(err, errlen, "cannot add VTEP: %s", errno == ENOSPC ?
			 "the network has its maximum of members" : strerror(errno));
		return -1;
	}
	if (state_save(err, errlen)) {
		overlay_member_del(n, &vt.addr);
		return -1;
	}
	log_info("network %s: VTEP %s added", n->name, overlay_ctl_vtep_str(&vt, buf, sizeof(buf)));
	*result = json_object_new_object();
	json_object_object_add(*result, "vtep", json_object_new_string(buf));
	return 0;
}

static int overlay_ctl_vtep_rm(struct ctl_conn *c, struct json_object *args,
			       struct json_object **result, char *err, size_t errlen)
{
	struct overlay_vtep vt;
	struct overlay_member *m;
	struct network *n = overlay_ctl_args(args, &vt, err, errlen);
	char buf[VS_ADDR_STRLEN + 8];

	if (!n)
		return -1;
	m = overlay_member_find(n, &vt.addr);
	if (!m || m->origin != OVERLAY_ORIGIN_STATIC) {
		snprintf(err, errlen, "%s is not a VTEP added to network %s",
			 vs_addr_str(&vt.addr, buf, sizeof(buf)), n->name);
		return -1;
	}
	vt = m->vtep;
	overlay_member_del(n, &vt.addr);
	if (state_save(err, errlen)) {
		overlay_member_add(n, &vt, OVERLAY_ORIGIN_STATIC, NULL);
		return -1;
	}
	log_info("network %s: VTEP %s removed", n->name, overlay_ctl_vtep_str(&vt, buf, sizeof(buf)));
	*result = json_object_new_object();
	json_object_object_add(*result, "vtep", json_object_new_string(buf));
	return 0;
}

static void overlay_ctl_member_row(struct json_object *arr, const struct overlay_member *m)
{
	struct json_object *r = json_object_new_object();
	char buf[VS_ADDR_STRLEN + 8];

	json_object_object_add(r, "vtep", json_object_new_string(
		overlay_ctl_vtep_str(&m->vtep, buf, sizeof(buf))));
	json_object_object_add(r, "origin", json_object_new_string(overlay_origin_name(m->origin)));
	json_object_object_add(r, "host", json_object_new_string(m->host));
	json_object_object_add(r, "tx_packets", json_object_new_int64((int64_t)m->tx_packets));
	json_object_object_add(r, "rx_packets", json_object_new_int64((int64_t)m->rx_packets));
	json_object_array_add(arr, r);
}

/**
 * overlay_ctl_show_json() - An overlay network's tunnel for `vsctl show`
 * @n:		the network
 *
 * Return: {"vni", "members": [...], "remotes": N, "learned": N}, or NULL
 * for a network that is not overlay
 */
struct json_object *overlay_ctl_show_json(const struct network *n)
{
	struct json_object *o, *arr;
	struct overlay_member *m, *tmp;

	if (!n->overlay)
		return NULL;
	o = json_object_new_object();
	arr = json_object_new_array();
	json_object_object_add(o, "vni", json_object_new_int64(n->vni));
	OVERLAY_FOREACH_MEMBER(n->overlay, m, tmp)
		overlay_ctl_member_row(arr, m);
	json_object_object_add(o, "members", arr);
	json_object_object_add(o, "remotes", json_object_new_int((int)n->overlay->n_remotes));
	json_object_object_add(o, "learned", json_object_new_int((int)n->overlay->n_learned));
	return o;
}

void overlay_ctl_init(void)
{
	control_register(&ctl_schema_network_vtep_add, overlay_ctl_vtep_add);
	control_register(&ctl_schema_network_vtep_rm, overlay_ctl_vtep_rm);
}
