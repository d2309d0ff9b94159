/* cmd_handoff.c - control commands a runtime's driver needs (Docker's).
 *
 * Hand-off endpoints (endpoint_handoff.c), names learned late, networks
 * known under a second name, and vswitch's IPAM asked without allocating.
 *
 * endpoint.sandbox records where a runtime moves a hand-off container's
 * device: Docker's Join gives the sandbox (its SandboxKey, a namespace
 * path) before it moves the device there, and Leave points back at
 * dockerd's own namespace, where Docker returns the device before
 * DeleteEndpoint.  Only the record changes (and is saved before the
 * answer, like every change); the device is the runtime's to move, and
 * nothing is configured in either namespace.
 *
 * network.bind and network.unbind give a network more names: a Docker
 * network made with -o vswitch.network=NAME is bound to vswitch network
 * NAME, so Docker's containers share it with namespaces that are not
 * Docker's.  Docker's DeleteNetwork unbinds; the network stays.
 *
 * ipam.suggest answers what vswitch's IPAM would choose, changing
 * nothing: with no network, the next automatic subnet and its gateway
 * (Docker's RequestPool); with one, the next free address (RequestAddress).
 * The address is taken only by the connect that follows, which checks it
 * again: two runtimes asking at once may be told the same address, and the
 * second connect then fails with "in use" rather than sharing it.
 *
 * endpoint.dns_name gives a hand-off container the DNS name its runtime
 * knows it by, learned after the container started (Docker tells a
 * driver no container name; the plugin asks Docker's API once Join has
 * returned).  Only a hand-off container may be named so, and only once
 * (or again with the same name): a name that changed under running
 * containers would be a surprise to their peers.
 */
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>

#include "cmd.h"
#include "control.h"
#include "dns.h"
#include "dp.h"
#include "endpoint.h"
#include "ipam.h"
#include "log.h"
#include "model.h"
#include "netns.h"
#include "state.h"

static int cmd_handoff_sandbox(struct ctl_conn *conn, struct json_object *args,
			       struct json_object **result, char *err, size_t errlen)
{
	const char *net = ctl_arg_str(args, "network"), *name = ctl_arg_str(args, "container");
	const char *ref = ctl_arg_str(args, "sandbox");
	struct network *n = net ? model_network(net) : NULL;
	struct container *c = name ? model_container(name) : NULL;
	struct endpoint *ep = n && c ? model_endpoint(n, c) : NULL;
	char old[sizeof(c->netns_ref)];

	if (!n || !c || !ep) {
		snprintf(err, errlen, !n ? "network %s not found" : !c ? "container %s not found"
			 : "container %s is not connected to network %s",
			 !n ? (net ? net : "") : name, n ? n->name : "");
		return -1;
	}
	if (!ep->handoff) {
		snprintf(err, errlen, "endpoint %s on %s is not a hand-off endpoint", c->name, n->name);
		return -1;
	}
	if (!ref || !*ref) {
		snprintf(err, errlen, "sandbox must name a namespace");
		return -1;
	}
	/* not opened now, but later as root: a member names no arbitrary file */
	if (netns_access_ref(control_conn_uid(conn), ref, err, errlen))
		return -1;
	snprintf(old, sizeof(old), "%s", c->netns_ref);
	if (endpoint_handoff_move(c, ref, err, errlen) < 0)
		return -1;
	if (state_save_ctr(c->name, err, errlen)) {
		snprintf(c->netns_ref, sizeof(c->netns_ref), "%s", old);
		return -1;
	}
	log_info("container %s: its device follows the runtime to %s", c->name, ref);
	*result = json_object_new_object();
	return 0;
}

static int cmd_handoff_dns_name(struct ctl_conn *conn, struct json_object *args,
				struct json_object **result, char *err, size_t errlen)
{
	const char *name = ctl_arg_str(args, "container"), *dns = ctl_arg_str(args, "dns_name");
	struct container *c = name ? model_container(name) : NULL;
	char old[VS_NAME_MAX];
	struct endpoint *ep;

	if (!c) {
		snprintf(err, errlen, "container %s not found", name ? name : "");
		return -1;
	}
	ep = LIST_FIRST(&c->endpoints);
	if (!ep || !ep->handoff) {
		snprintf(err, errlen, "container %s is not a hand-off container: its DNS name is "
			 "given at its first connect", c->name);
		return -1;
	}
	if (!dns || !model_dns_name_ok(dns)) {
		snprintf(err, errlen, "invalid DNS name \"%s\" (at most %d letters, digits, . _ -)",
			 dns ? dns : "", VS_NAME_MAX - 1);
		return -1;
	}
	if (c->dns_name[0] && strcmp(c->dns_name, dns)) {
		snprintf(err, errlen, "container %s is already named \"%s\"", c->name, c->dns_name);
		return -1;
	}
	/* The resolver indexes names when an endpoint comes: withdraw them
	 * under the old name, announce them under the new one (or the old,
	 * if the save fails and the change is undone). */
	LIST_FOREACH(ep, &c->endpoints, ctr_link)
		dns_endpoint_removed(cmd_dp()->dns, ep);
	snprintf(old, sizeof(old), "%s", c->dns_name);
	snprintf(c->dns_name, sizeof(c->dns_name), "%s", dns);
	if (state_save_ctr(c->name, err, errlen))
		snprintf(c->dns_name, sizeof(c->dns_name), "%s", old);
	LIST_FOREACH(ep, &c->endpoints, ctr_link)
		dns_endpoint_added(cmd_dp()->dns, ep);
	if (strcmp(c->dns_name, dns))
		return -1;
	log_info("container %s is named %s", c->name, dns);
	*result = json_object_new_object();
	return 0;
}

/* network.bind: NAME becomes another name of NETWORK (a Docker network
 * made with -o vswitch.network=NETWORK), so that Docker's endpoints,
 * named after the Docker network, join the vswitch network shared with
 * namespaces that are not Docker's. */
static int cmd_handoff_bind(struct ctl_conn *conn, struct json_object *args,
			    struct json_object **result, char *err, size_t errlen)
{
	const char *net = ctl_arg_str(args, "network"), *name = ctl_arg_str(args, "name");
	struct network *n = net ? model_network(net) : NULL;

	if (!n || strcmp(n->name, net)) {
		snprintf(err, errlen, "network %s not found", net ? net : "");
		return -1;
	}
	if (!name || !model_dns_name_ok(name)) {
		snprintf(err, errlen, "invalid network name \"%s\"", name ? name : "");
		return -1;
	}
	if (model_network(name)) {
		snprintf(err, errlen, "network with name %s already exists", name);
		return -1;
	}
	if (n->n_bound >= VS_MAX_BOUND) {
		snprintf(err, errlen, "network %s has %d bound names already", n->name, VS_MAX_BOUND);
		return -1;
	}
	snprintf(n->bound[n->n_bound++], VS_NAME_MAX, "%s", name);
	if (state_save(err, errlen)) {
		n->n_bound--;
		return -1;
	}
	log_info("network %s is also %s", n->name, name);
	*result = json_object_new_object();
	return 0;
}

static int cmd_handoff_unbind(struct ctl_conn *conn, struct json_object *args,
			      struct json_object **result, char *err, size_t errlen)
{
	const char *name = ctl_arg_str(args, "name");
	struct network *n = name ? model_network(name) : NULL;
	char saved[VS_MAX_BOUND][VS_NAME_MAX];
	int i, k = 0, was;

	if (!n || !strcmp(n->name, name)) {
		snprintf(err, errlen, "%s is not a bound network name", name ? name : "");
		return -1;
	}
	was = n->n_bound;
	memcpy(saved, n->bound, sizeof(saved));
	for (i = 0; i < was; i++)
		if (strcmp(saved[i], name))
			memcpy(n->bound[k++], saved[i], VS_NAME_MAX);
	n->n_bound = k;
	if (state_save(err, errlen)) {
		memcpy(n->bound, saved, sizeof(saved));
		n->n_bound = was;
		return -1;
	}
	log_info("network %s is no longer %s", n->name, name);
	*result = json_object_new_object();
	return 0;
}

static int cmd_handoff_ipam_suggest(struct ctl_conn *conn, struct json_object *args,
				    struct json_object **result, char *err, size_t errlen)
{
	const char *net = ctl_arg_str(args, "network");
	struct network *n = net ? model_network(net) : NULL;
	char a[VS_ADDR_STRLEN], s[VS_PREFIX_STRLEN];
	struct vs_prefix sub;
	union vs_addr ip, gw;

	if (net && !n) {
		snprintf(err, errlen, "network %s not found", net);
		return -1;
	}
	*result = json_object_new_object();
	if (n) {
		if (ipam_alloc(n, &ip, err, errlen)) {
			json_object_put(*result);
			return -1;
		}
		json_object_object_add(*result, "ip",
				       json_object_new_string(vs_addr_str(&ip, a, sizeof(a))));
		json_object_object_add(*result, "prefix", json_object_new_int(n->subnet.len));
		return 0;
	}
	if (ipam_auto_subnet(&sub)) {
		json_object_put(*result);
		snprintf(err, errlen, "no free subnet left in the automatic pools");
		return -1;
	}
	json_object_object_add(*result, "subnet",
			       json_object_new_string(vs_prefix_str(&sub, s, sizeof(s))));
	gw = sub.addr;
	vs_addr_add(&gw, 1);
	json_object_object_add(*result, "gateway",
			       json_object_new_string(vs_addr_str(&gw, a, sizeof(a))));
	return 0;
}

void cmd_handoff_init(void)
{
	control_register(&ctl_schema_network_bind, cmd_handoff_bind);
	control_register(&ctl_schema_network_unbind, cmd_handoff_unbind);
	control_register(&ctl_schema_endpoint_sandbox, cmd_handoff_sandbox);
	control_register(&ctl_schema_endpoint_dns_name, cmd_handoff_dns_name);
	control_register(&ctl_schema_ipam_suggest, cmd_handoff_ipam_suggest);
}
