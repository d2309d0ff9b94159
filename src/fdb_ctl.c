/* fdb_ctl.c - control commands of the learning table: fdb.show, fdb.flush.
 *
 * Kept apart from fdb.c so the datapath file does not depend on json-c.
 * Both commands take an optional "network"; without it they cover every
 * network.  "fdb.show" lists the learned entries with their age and, per
 * network, the gateway's own MAC as kind "gateway" (it is never learned:
 * l2_forward() matches it directly), so a user sees every MAC the switch
 * forwards to.  Each row also names the addresses behind its MAC, either
 * family: a learned MAC that is its port's endpoint's own has that
 * endpoint's IPv4 and IPv6 addresses, the gateway its IPv4, IPv6 and
 * link-local ones (display only: the fdb itself keys MACs, not addresses).
 * Neither command changes saved state: the fdb is not saved.
 */
#include <stdio.h>
#include <string.h>
#include "control.h"
#include "fdb.h"
#include "model.h"
#include "port.h"
#include "router_port.h"

static void fdb_ctl_mac_str(const uint8_t *m, char buf[18])
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x",
		 m[0], m[1], m[2], m[3], m[4], m[5]);
}

/* Add A to the array ADDRS, unless it is "::" (no address). */
static void fdb_ctl_addr(struct json_object *addrs, const union vs_addr *a)
{
	char buf[VS_ADDR_STRLEN];

	if (!vs_addr_is_any(a))
		json_object_array_add(addrs, json_object_new_string(vs_addr_str(a, buf, sizeof(buf))));
}

/* The addresses behind a learned MAC: its port's endpoint's, if the MAC
 * is the endpoint's own (a container's second MAC has none we know). */
static struct json_object *fdb_ctl_ep_addrs(const struct port *port, const uint8_t *mac)
{
	struct json_object *addrs = json_object_new_array();
	const struct endpoint *ep = port ? port->ep : NULL;

	if (ep && !memcmp(ep->mac, mac, 6)) {
		fdb_ctl_addr(addrs, &ep->ip);
		fdb_ctl_addr(addrs, &ep->ip6);
	}
	return addrs;
}

/* The gateway's: IPv4, and on a --ipv6 network IPv6 and link-local. */
static struct json_object *fdb_ctl_gw_addrs(const struct network *n)
{
	struct json_object *addrs = json_object_new_array();
	union vs_addr ll;
	uint8_t b[16];

	fdb_ctl_addr(addrs, &n->gateway);
	if (!n->ipv6)
		return addrs;
	fdb_ctl_addr(addrs, &n->gateway6);
	router_port_ll6(n->gw_mac, b);
	vs_addr_from_bytes(&ll, AF_INET6, b);
	fdb_ctl_addr(addrs, &ll);
	return addrs;
}

static void fdb_ctl_add_row(struct json_object *arr, const struct network *n,
			    const uint8_t *mac, const char *port, int age,
			    const char *kind, struct json_object *addrs)
{
	struct json_object *o = json_object_new_object();
	char buf[18];

	fdb_ctl_mac_str(mac, buf);
	json_object_object_add(o, "network", json_object_new_string(n->name));
	json_object_object_add(o, "mac", json_object_new_string(buf));
	json_object_object_add(o, "port", json_object_new_string(port));
	json_object_object_add(o, "age", json_object_new_int(age));
	json_object_object_add(o, "kind", json_object_new_string(kind));
	json_object_object_add(o, "addresses", addrs);
	json_object_array_add(arr, o);
}

static void fdb_ctl_show_net(struct json_object *arr, const struct network *n)
{
	struct fdb_entry *e;
	ev_tstamp now;

	fdb_ctl_add_row(arr, n, n->gw_mac, "gateway", 0, "gateway", fdb_ctl_gw_addrs(n));
	if (!n->fdb)
		return;
	now = fdb_now(n->fdb);
	TAILQ_FOREACH(e, &n->fdb->lru, lru)
		fdb_ctl_add_row(arr, n, e->mac, e->port->name,
				(int)(now - e->last_seen), "learned",
				fdb_ctl_ep_addrs(e->port, e->mac));
}

/* Resolve the optional "network" argument; *all when absent. */
static int fdb_ctl_network(struct json_object *args, struct network **n,
			   char *err, size_t errlen)
{
	const char *name = ctl_arg_str(args, "network");

	*n = NULL;
	if (!name || !*name)
		return 0;
	*n = model_network(name);
	if (!*n) {
		snprintf(err, errlen, "no such network: %s", name);
		return -1;
	}
	return 0;
}

static int fdb_ctl_show(struct ctl_conn *c, struct json_object *args,
			struct json_object **result, char *err, size_t errlen)
{
	struct network *n, *tmp, *only;

	(void)c;
	if (fdb_ctl_network(args, &only, err, errlen) < 0)
		return -1;
	*result = json_object_new_array();
	if (only) {
		fdb_ctl_show_net(*result, only);
		return 0;
	}
	HASH_ITER(hh, g_model.networks, n, tmp)
		fdb_ctl_show_net(*result, n);
	return 0;
}

static int fdb_ctl_flush(struct ctl_conn *c, struct json_object *args,
			 struct json_object **result, char *err, size_t errlen)
{
	struct network *n, *tmp, *only;
	unsigned int flushed = 0;

	(void)c;
	if (fdb_ctl_network(args, &only, err, errlen) < 0)
		return -1;
	if (only && only->fdb)
		flushed = fdb_flush(only->fdb);
	else if (!only)
		HASH_ITER(hh, g_model.networks, n, tmp)
			if (n->fdb)
				flushed += fdb_flush(n->fdb);
	*result = json_object_new_object();
	json_object_object_add(*result, "flushed", json_object_new_int((int)flushed));
	return 0;
}

void fdb_ctl_init(void)
{
	control_register(&ctl_schema_fdb_show, fdb_ctl_show);
	control_register(&ctl_schema_fdb_flush, fdb_ctl_flush);
}
