/* cmd_show.c - `show` and `stats`: the switch at a glance, and its counters.
 *
 * Both are built from the same per-port record, so the counters that `show`
 * prints under an endpoint are exactly those `stats` lists.
 *
 * cmd_init_all() registers every module's commands, since this file already
 * reads them all: vswitchd and the control fuzz target serve the same set,
 * and both stop at start-up if a command of the schema has no handler.
 */
#include <stdio.h>
#include "poll_window.h"
#include "capture.h"
#include "cluster.h"
#include "cmd.h"
#include "control.h"
#include "ct.h"
#include "dns.h"
#include "dp.h"
#include "events.h"
#include "fd_budget.h"
#include "fdb.h"
#include "ipam.h"
#include "metrics.h"
#include "model.h"
#include "overlay.h"
#include "port.h"
#include "proxy.h"
#include "publish.h"
#include "uplink.h"

/* The control plane's binding to the datapath it serves: handlers have
 * no context argument (control.h), so they reach the dp through here.
 * The datapath itself keeps no such pointer: stages get it from the
 * network or the port. */
static struct dp *cmd_the_dp;

struct dp *cmd_dp(void)
{
	return cmd_the_dp;
}

void cmd_bind_dp(struct dp *dp)
{
	cmd_the_dp = dp;
}

void cmd_init_all(struct dp *dp)
{
	cmd_bind_dp(dp);
	cmd_network_init();
	cmd_container_init();
	cmd_handoff_init();
	cmd_show_init();
	fdb_ctl_init();
	overlay_ctl_init();
	ct_ctl_init();
	publish_init();
	capture_ctl_init(dp->loop);
	dns_ctl_init();
	trace_init();
	events_init(dp->loop);
	control_check_registered();
}

static struct json_object *cmd_show_port(const struct port *port)
{
	struct json_object *o = json_object_new_object(), *d = json_object_new_object();
	int i;

	json_object_object_add(o, "name", json_object_new_string(port->name));
	json_object_object_add(o, "type", json_object_new_string(port->ops->type));
	json_object_object_add(o, "network", json_object_new_string(port->net ? port->net->name : ""));
	json_object_object_add(o, "container",
			       json_object_new_string(port->ep ? port->ep->ctr->name : ""));
	json_object_object_add(o, "rx_packets", json_object_new_int64((int64_t)port->stats.rx_packets));
	json_object_object_add(o, "rx_bytes", json_object_new_int64((int64_t)port->stats.rx_bytes));
	json_object_object_add(o, "tx_packets", json_object_new_int64((int64_t)port->stats.tx_packets));
	json_object_object_add(o, "tx_bytes", json_object_new_int64((int64_t)port->stats.tx_bytes));
	json_object_object_add(o, "offload", json_object_new_boolean(port->tx_offload));
	json_object_object_add(o, "rx_gso", json_object_new_int64((int64_t)port->stats.rx_gso));
	json_object_object_add(o, "tx_gso", json_object_new_int64((int64_t)port->stats.tx_gso));
	json_object_object_add(o, "sw_segments",
			       json_object_new_int64((int64_t)port->stats.sw_segments));
	json_object_object_add(o, "sw_csum", json_object_new_int64((int64_t)port->stats.sw_csum));
	json_object_object_add(o, "tx_batched",
			       json_object_new_int64((int64_t)port->stats.tx_batched));
	json_object_object_add(o, "rx_ring", json_object_new_int64((int64_t)port->stats.rx_ring));
	json_object_object_add(o, "rx_ring_copy",
			       json_object_new_int64((int64_t)port->stats.rx_ring_copy));
	json_object_object_add(o, "rx_ip6", json_object_new_int64((int64_t)port->stats.rx_ip6));
	json_object_object_add(o, "tx_ip6", json_object_new_int64((int64_t)port->stats.tx_ip6));
	for (i = 1; i < DROP_MAX; i++)
		if (port->stats.drops[i])
			json_object_object_add(d, drop_reason_names[i],
					       json_object_new_int64((int64_t)port->stats.drops[i]));
	json_object_object_add(o, "drops", d);
	return o;
}

static struct json_object *cmd_show_ports(void)
{
	struct json_object *arr = json_object_new_array();
	struct port *port = NULL;

	while ((port = port_next(cmd_dp(), port)))
		json_object_array_add(arr, cmd_show_port(port));
	return arr;
}

/* {"limit": N, "proxy": {"share", "used", "refused"}, "dns": {...}} */
static struct json_object *cmd_show_fds(void)
{
	struct json_object *o = json_object_new_object();
	int c;

	json_object_object_add(o, "limit", json_object_new_int64((int64_t)fd_budget_limit()));
	for (c = 0; c < FD_CLASSES; c++) {
		struct json_object *s = json_object_new_object();
		unsigned int share, used;
		uint64_t refused;

		fd_budget_get(c, &share, &used, &refused);
		json_object_object_add(s, "share", json_object_new_int64(share));
		json_object_object_add(s, "used", json_object_new_int64(used));
		json_object_object_add(s, "refused", json_object_new_int64((int64_t)refused));
		json_object_object_add(o, fd_budget_name(c), s);
	}
	return o;
}

static int cmd_stats(struct ctl_conn *c, struct json_object *args,
		     struct json_object **result, char *err, size_t errlen)
{
	*result = json_object_new_object();
	json_object_object_add(*result, "ports", cmd_show_ports());
	json_object_object_add(*result, "dns", dns_stats_json(cmd_dp()->dns));
	metrics_add_tables(cmd_dp(), *result);
	json_object_object_add(*result, "proxy", proxy_stats_json(cmd_dp()->proxy));
	json_object_object_add(*result, "fds", cmd_show_fds());
	json_object_object_add(*result, "poll", poll_window_json());
	if (cluster_active())	/* membership, mirror and etcd client counters */
		json_object_object_add(*result, "cluster", cluster_status_json());
	return 0;
}

/* Run a registered listing handler and return its result. */
static struct json_object *cmd_show_call(ctl_handler_fn *fn, struct ctl_conn *c)
{
	struct json_object *r = NULL;
	char err[64];

	if (fn(c, NULL, &r, err, sizeof(err)))
		return json_object_new_array();
	return r;
}

static ctl_handler_fn *cmd_show_network_ls, *cmd_show_container_ls;

static int cmd_show(struct ctl_conn *c, struct json_object *args,
		    struct json_object **result, char *err, size_t errlen)
{
	struct json_object *up = uplink_show_json(dp_uplink_first(cmd_dp()));
	struct json_object *all = json_object_new_array();
	const struct dp *dp = cmd_dp();
	unsigned int i;

	/* every uplink; "uplink" stays the first, for readers of one */
	for (i = 0; i < dp->n_uplinks; i++) {
		struct json_object *u = uplink_show_json(dp->uplinks[i]);

		if (u)
			json_object_array_add(all, u);
	}
	*result = json_object_new_object();
	json_object_object_add(*result, "networks", cmd_show_call(cmd_show_network_ls, c));
	json_object_object_add(*result, "containers", cmd_show_call(cmd_show_container_ls, c));
	json_object_object_add(*result, "ports", cmd_show_ports());
	json_object_object_add(*result, "uplink", up);
	json_object_object_add(*result, "uplinks", all);
	return 0;
}

void cmd_show_init(void)
{
	cmd_show_network_ls = control_lookup("network.ls");
	cmd_show_container_ls = control_lookup("container.ls");
	control_register(&ctl_schema_show, cmd_show);
	control_register(&ctl_schema_stats, cmd_stats);
}
