/* fdb_ctl.c - control commands of the learning table: fdb.show, fdb.flush.
 *
 * Kept apart from fdb.c so the datapath file does not depend on json-c.
 * Both commands take an optional "network"; without it they cover every
 * network.  "fdb.show" lists the learned entries with their age and, per
 * network, the gateway's own MAC as kind "gateway" (it is never learned:
 * l2_forward() matches it directly), so a user sees every MAC the switch
 * forwards to.  Neither command changes saved state: the fdb is not saved.
 */
#include <stdio.h>
#include <string.h>
#include "control.h"
#include "fdb.h"
#include "model.h"
#include "port.h"

static void fdb_ctl_mac_str(const uint8_t *m, char buf[18])
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x",
		 m[0], m[1], m[2], m[3], m[4], m[5]);
}

static void fdb_ctl_add_row(struct json_object *arr, const struct network *n,
			    const uint8_t *mac, const char *port, int age,
			    const char *kind)
{
	struct json_object *o = json_object_new_object();
	char buf[18];

	fdb_ctl_mac_str(mac, buf);
	json_object_object_add(o, "network", json_object_new_string(n->name));
	json_object_object_add(o, "mac", json_object_new_string(buf));
	json_object_object_add(o, "port", json_object_new_string(port));
	json_object_object_add(o, "age", json_object_new_int(age));
	json_object_object_add(o, "kind", json_object_new_string(kind));
	json_object_array_add(arr, o);
}

static void fdb_ctl_show_net(struct json_object *arr, const struct network *n)
{
	struct fdb_entry *e;
	ev_tstamp now;

	fdb_ctl_add_row(arr, n, n->gw_mac, "gateway", 0, "gateway");
	if (!n->fdb)
		return;
	now = fdb_now(n->fdb);
	TAILQ_FOREACH(e, &n->fdb->lru, lru)
		fdb_ctl_add_row(arr, n, e->mac, e->port->name,
				(int)(now - e->last_seen), "learned");
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
