/* cmd_container.c - connecting containers to networks, and their lifecycle.
 *
 * A container is named the first time it is connected (with --netns REF)
 * and lives while it has endpoints or published ports.  Connect checks
 * everything first (address, MAC, interface name free in the namespace),
 * then changes the kernel; any failure undoes the earlier steps.  On
 * restart every recorded endpoint is re-adopted; one whose namespace is
 * gone is dropped and logged, as is one whose namespace dies while we run
 * (netns_watch.c).
 *
 * Order against kill -9.  The kernel (the interface in the container) and
 * the state file cannot change in one step, so each command writes its
 * intent first:
 *
 *   connect:    save with the endpoint "pending: connect"; make and
 *               configure the interface; save without the mark (commit).
 *   disconnect: save with the endpoint "pending: disconnect" (commit);
 *               remove the interface; save without the endpoint.
 *
 * A start that finds a pending connect removes what it may have made and
 * drops the endpoint (the command never answered, so it did not happen);
 * one that finds a pending disconnect finishes it.  Either way the state
 * and the kernel agree again before the first packet (doc/crash-safety.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include "cmd.h"
#include "control.h"
#include "dns.h"
#include "endpoint.h"
#include "ipam.h"
#include "log.h"
#include "model.h"
#include "nat.h"
#include "netns.h"
#include "port.h"
#include "state.h"

static bool cmd_container_name_ok(const char *s)
{
	size_t len = s ? strlen(s) : 0;

	if (!len || len >= VS_NAME_MAX || s[0] == '-' || s[0] == '.')
		return false;
	return ctl_name_chars_ok(s);
}

/* The lowest ethN the container does not use yet: connection order. */
static void cmd_container_ifname(const struct container *c, char *out)
{
	const struct endpoint *ep;
	unsigned int i;
	bool used;

	for (i = 0;; i++) {
		snprintf(out, VS_IFNAME_MAX, "eth%u", i);
		used = false;
		LIST_FOREACH(ep, &c->endpoints, ctr_link)
			used |= !strcmp(ep->ifname, out);
		if (!used)
			return;
	}
}

static int cmd_connect_aliases(struct endpoint *ep, struct json_object *args,
			       char *err, size_t errlen)
{
	struct json_object *al;
	size_t i;

	/* control_check.c made sure "aliases" is an array of strings; a
	 * caller that bypasses it (fuzz_control) must not crash json-c. */
	if (!args || !json_object_object_get_ex(args, "aliases", &al) || !al)
		return 0;
	/* json-c asserts on an array call with anything else: check first */
	if (!json_object_is_type(al, json_type_array)) {
		snprintf(err, errlen, "aliases must be an array of names");
		return -1;
	}
	for (i = 0; i < json_object_array_length(al); i++) {
		const char *a = json_object_get_string(json_object_array_get_idx(al, i));

		if (ep->n_aliases >= VS_MAX_ALIASES || !cmd_container_name_ok(a)) {
			snprintf(err, errlen, "invalid alias \"%s\" (at most %d, letters, digits, . _ -)",
				 a ? a : "", VS_MAX_ALIASES);
			return -1;
		}
		snprintf(ep->aliases[ep->n_aliases++], VS_NAME_MAX, "%s", a);
	}
	return 0;
}

/* Address, MAC, interface name, attach type: all checked, nothing applied. */
static int cmd_connect_fill(struct endpoint *ep, struct json_object *args, char *err, size_t errlen)
{
	const char *ip = ctl_arg_str(args, "ip"), *mac = ctl_arg_str(args, "mac");
	const char *ifn = ctl_arg_str(args, "ifname"), *att = ctl_arg_str(args, "attach");
	const struct endpoint *o;

	if (ip) {
		if (ipam_parse_ip(ip, &ep->ip)) {
			snprintf(err, errlen, "invalid IPv4 address \"%s\"", ip);
			return -1;
		}
		if (ipam_check_fixed(ep->net, ep->ip, err, errlen))
			return -1;
	} else if (ipam_alloc(ep->net, &ep->ip, err, errlen)) {
		return -1;
	}
	if (mac && ipam_parse_mac(mac, ep->mac)) {
		snprintf(err, errlen, "invalid MAC address \"%s\" (unicast aa:bb:cc:dd:ee:ff)", mac);
		return -1;
	}
	if (!mac)
		model_mac_from_ip(ep->ip, ep->mac);
	LIST_FOREACH(o, &ep->net->endpoints, net_link)
		if (!memcmp(o->mac, ep->mac, 6)) {
			snprintf(err, errlen, "MAC address %s is already used by %s on network %s",
				 mac ? mac : "derived from the address", o->ctr->name, ep->net->name);
			return -1;
		}
	if (ifn && (strlen(ifn) >= VS_IFNAME_MAX || !*ifn)) {
		snprintf(err, errlen, "invalid interface name \"%s\"", ifn);
		return -1;
	}
	if (ifn)
		snprintf(ep->ifname, sizeof(ep->ifname), "%s", ifn);
	else
		cmd_container_ifname(ep->ctr, ep->ifname);
	LIST_FOREACH(o, &ep->ctr->endpoints, ctr_link)
		if (!strcmp(o->ifname, ep->ifname)) {
			snprintf(err, errlen, "container %s already has an interface %s", ep->ctr->name, ep->ifname);
			return -1;
		}
	if (att && strcmp(att, "tap") && strcmp(att, "veth")) {
		snprintf(err, errlen, "invalid attach type \"%s\" (tap or veth)", att);
		return -1;
	}
	ep->attach = att && !strcmp(att, "veth") ? ATTACH_VETH : ATTACH_TAP;
	ep->port_security = ctl_arg_bool(args, "port_security", 1);
	ep->offload = ctl_arg_bool(args, "offload", 1);
	return cmd_connect_aliases(ep, args, err, errlen);
}

/* Find the container, or make it if REF says where it lives. */
static struct container *cmd_connect_container(const char *name, const char *ref, bool *fresh,
					       char *err, size_t errlen)
{
	struct container *c = name ? model_container(name) : NULL;
	int fd;

	*fresh = false;
	if (c) {
		if (ref && strcmp(ref, c->netns_ref)) {
			snprintf(err, errlen, "container %s lives in netns %s, not %s", name, c->netns_ref, ref);
			return NULL;
		}
		return c;
	}
	if (!cmd_container_name_ok(name)) {
		snprintf(err, errlen, "invalid container name \"%s\"", name ? name : "");
		return NULL;
	}
	if (!ref) {
		snprintf(err, errlen, "container %s is not known yet: --netns REF is needed the first time", name);
		return NULL;
	}
	if (strlen(ref) >= sizeof(c->netns_ref)) {
		snprintf(err, errlen, "netns reference too long (at most %zu bytes)",
			 sizeof(c->netns_ref) - 1);
		return NULL;
	}
	fd = netns_open(ref, err, errlen);
	if (fd < 0)
		return NULL;
	c = model_container_add(name, ref);
	if (!c) {
		close(fd);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->netns_fd = fd;
	*fresh = true;
	return c;
}

static void cmd_container_free(struct container *c)
{
	struct published *pp;

	netns_watch_remove(c);
	if (c->netns_fd >= 0)
		close(c->netns_fd);
	while ((pp = LIST_FIRST(&c->published))) {
		LIST_REMOVE(pp, link);
		free(pp);
	}
	HASH_DEL(g_model.containers, c);
	free(c);
}

/**
 * cmd_container_gc() - Forget C if it has no endpoint and no published port
 * @c:	the container (an unpublish may have left it empty)
 */
void cmd_container_gc(struct container *c)
{
	if (LIST_EMPTY(&c->endpoints) && LIST_EMPTY(&c->published))
		cmd_container_free(c);
}

static struct json_object *cmd_endpoint_json(const struct endpoint *ep)
{
	struct json_object *o = json_object_new_object(), *al = json_object_new_array();
	char a[16], m[18];
	int i;

	json_object_object_add(o, "network", json_object_new_string(ep->net->name));
	json_object_object_add(o, "container", json_object_new_string(ep->ctr->name));
	json_object_object_add(o, "ip", json_object_new_string(ipam_ntoa(ep->ip, a)));
	json_object_object_add(o, "prefix", json_object_new_int(ep->net->subnet.len));
	json_object_object_add(o, "mac", json_object_new_string(ipam_mac_str(ep->mac, m)));
	json_object_object_add(o, "ifname", json_object_new_string(ep->ifname));
	json_object_object_add(o, "attach", json_object_new_string(ep->attach == ATTACH_VETH ? "veth" : "tap"));
	json_object_object_add(o, "port", json_object_new_string(ep->port ? ep->port->name : ""));
	json_object_object_add(o, "port_security", json_object_new_boolean(ep->port_security));
	json_object_object_add(o, "offload", json_object_new_boolean(ep->offload));
	for (i = 0; i < ep->n_aliases; i++)
		json_object_array_add(al, json_object_new_string(ep->aliases[i]));
	json_object_object_add(o, "aliases", al);
	return o;
}

/* Undo a connect that failed after the endpoint was linked. */
static void cmd_connect_undo(struct endpoint *ep, bool fresh, bool attached)
{
	struct container *c = ep->ctr;

	if (attached)
		endpoint_detach(ep, true);
	model_endpoint_unlink(ep);
	free(ep);
	if (fresh)
		cmd_container_free(c);
}

/* Save the state after a connect was undone; if that fails too, the file
 * still holds the pending record, which the next start rolls back. */
static void cmd_connect_resave(void)
{
	char err[256];

	if (state_save(err, sizeof(err)))
		log_warn("%s; the next start rolls the failed connect back", err);
}

/* Container, endpoint and every value checked; nothing saved or made yet.
 * Return: the endpoint (linked into the model), or NULL with ERR. */
static struct endpoint *cmd_connect_check(struct json_object *args, bool *fresh,
					  char *err, size_t errlen)
{
	const char *net = ctl_arg_str(args, "network"), *name = ctl_arg_str(args, "container");
	struct network *n = net ? model_network(net) : NULL;
	struct endpoint *ep;
	struct container *c;

	if (!n) {
		snprintf(err, errlen, "network %s not found", net ? net : "");
		return NULL;
	}
	c = cmd_connect_container(name, ctl_arg_str(args, "netns"), fresh, err, errlen);
	if (!c)
		return NULL;
	if (model_endpoint(n, c)) {
		snprintf(err, errlen, "container %s is already connected to network %s", c->name, n->name);
		goto undo_ctr;
	}
	ep = calloc(1, sizeof(*ep));
	if (!ep) {
		snprintf(err, errlen, "out of memory");
		goto undo_ctr;
	}
	ep->net = n;
	ep->ctr = c;
	ep->conn_order = c->next_order;
	if (cmd_connect_fill(ep, args, err, errlen) || endpoint_prepare(ep, err, errlen)) {
		free(ep);
		goto undo_ctr;
	}
	model_endpoint_link(ep);
	return ep;
undo_ctr:
	if (*fresh)
		cmd_container_free(c);
	return NULL;
}

static int cmd_connect(struct ctl_conn *conn, struct json_object *args,
		       struct json_object **result, char *err, size_t errlen)
{
	struct endpoint *ep;
	struct container *c;
	bool fresh;

	ep = cmd_connect_check(args, &fresh, err, errlen);
	if (!ep)
		return -1;
	c = ep->ctr;
	/* 1: the intent, before the kernel changes */
	ep->pending = EP_PENDING_CONNECT;
	if (state_save(err, errlen)) {
		cmd_connect_undo(ep, fresh, false);
		return -1;
	}
	if (endpoint_attach(ep, false, err, errlen)) {
		cmd_connect_undo(ep, fresh, false);
		cmd_connect_resave();
		return -1;
	}
	/* 2: the commit */
	ep->pending = EP_PENDING_NONE;
	c->next_order++;
	if (state_save(err, errlen)) {
		c->next_order--;
		cmd_connect_undo(ep, fresh, true);
		cmd_connect_resave();
		return -1;
	}
	dns_endpoint_added(ep);
	log_info("container %s connected to %s as %s", c->name, ep->net->name, ep->ifname);
	*result = cmd_endpoint_json(ep);
	return 0;
}

/* Take EP out of the datapath and the model (state saved by the caller). */
static void cmd_endpoint_remove(struct endpoint *ep, bool destroy)
{
	struct container *c = ep->ctr;

	dns_endpoint_removed(ep);
	nat_endpoint_gone(ep);
	endpoint_detach(ep, destroy);
	model_endpoint_unlink(ep);
	free(ep);
	cmd_container_gc(c);
}

static int cmd_disconnect(struct ctl_conn *conn, struct json_object *args,
			  struct json_object **result, char *err, size_t errlen)
{
	const char *net = ctl_arg_str(args, "network"), *name = ctl_arg_str(args, "container");
	struct network *n = net ? model_network(net) : NULL;
	struct container *c = name ? model_container(name) : NULL;
	struct endpoint *ep = n && c ? model_endpoint(n, c) : NULL;

	if (!n) {
		snprintf(err, errlen, "network %s not found", net ? net : "");
		return -1;
	}
	if (!c || !ep) {
		snprintf(err, errlen, !c ? "container %s not found" :
			 "container %s is not connected to network %s", name ? name : "", n->name);
		return -1;
	}
	/* The commit: from here on the disconnect happens, now or at the
	 * next start. */
	ep->pending = EP_PENDING_DISCONNECT;
	if (state_save(err, errlen)) {
		ep->pending = EP_PENDING_NONE;
		return -1;
	}
	log_info("container %s disconnected from %s", c->name, n->name);
	cmd_endpoint_remove(ep, true);
	if (state_save(err, errlen))
		log_warn("%s; the next start finishes the disconnect", err);
	return 0;
}

/* netns_watch.c: the namespace of C is gone; forget its endpoints. */
void model_container_died(struct container *c)
{
	char err[256];
	struct endpoint *ep;

	log_info("container %s: namespace %s is gone; removing its endpoints",
		 c->name, c->netns_ref);
	LIST_FOREACH(ep, &c->endpoints, ctr_link)
		dns_endpoint_removed(ep);
	/* Published ports die with the container, as Docker's do. */
	while (!LIST_EMPTY(&c->published)) {
		struct published *pp = LIST_FIRST(&c->published);

		LIST_REMOVE(pp, link);
		free(pp);
	}
	while ((ep = LIST_FIRST(&c->endpoints))) {
		nat_endpoint_gone(ep);
		endpoint_detach(ep, true);
		model_endpoint_unlink(ep);
		free(ep);
	}
	cmd_container_free(c);
	if (state_save(err, sizeof(err)))
		log_err("%s", err);
}

static int cmd_container_ls(struct ctl_conn *conn, struct json_object *args,
			    struct json_object **result, char *err, size_t errlen)
{
	struct container *c, *tmp;
	struct endpoint *ep;

	*result = json_object_new_array();
	HASH_ITER(hh, g_model.containers, c, tmp) {
		struct json_object *o = json_object_new_object(), *eps = json_object_new_array();

		json_object_object_add(o, "name", json_object_new_string(c->name));
		json_object_object_add(o, "netns", json_object_new_string(c->netns_ref));
		LIST_FOREACH(ep, &c->endpoints, ctr_link)
			json_object_array_add(eps, cmd_endpoint_json(ep));
		json_object_object_add(o, "endpoints", eps);
		json_object_array_add(*result, o);
	}
	return 0;
}

/* Restart: drop EP, whose interface is gone or must go, from the model. */
static void cmd_restore_drop(struct endpoint *ep)
{
	dns_resolvconf_update(ep->ctr, ep, NULL);
	model_endpoint_unlink(ep);
	free(ep);
}

/* Restart: settle an endpoint whose connect or disconnect was cut short:
 * the connect is undone, the disconnect finished; both remove whatever
 * interface is left. */
static void cmd_restore_pending(struct endpoint *ep)
{
	log_info("container %s on %s: a %s was interrupted; %s", ep->ctr->name, ep->net->name,
		 ep->pending == EP_PENDING_CONNECT ? "connect" : "disconnect",
		 ep->pending == EP_PENDING_CONNECT ? "undoing it" : "finishing it");
	endpoint_remove_leftovers(ep);
	cmd_restore_drop(ep);
}

/* Restart: adopt C's endpoints; true if any was dropped. */
static bool cmd_restore_container(struct container *c)
{
	struct endpoint *ep, *next;
	bool changed = false;
	char err[256];

	for (ep = LIST_FIRST(&c->endpoints); ep; ep = next) {
		next = LIST_NEXT(ep, ctr_link);
		changed |= ep->pending != EP_PENDING_NONE;
		if (ep->pending)
			cmd_restore_pending(ep);
	}
	for (ep = LIST_FIRST(&c->endpoints); ep; ep = next) {
		next = LIST_NEXT(ep, ctr_link);
		if (!endpoint_attach(ep, true, err, sizeof(err))) {
			dns_endpoint_added(ep);
			continue;
		}
		log_warn("container %s on %s: cannot re-attach (%s); endpoint removed",
			 c->name, ep->net->name, err);
		cmd_restore_drop(ep);
		changed = true;
	}
	return changed;
}

/**
 * cmd_container_restore() - Re-adopt every endpoint after a restart
 *
 * Endpoints with a pending connect or disconnect are settled first (see
 * the top of this file).  An endpoint whose namespace or interface is
 * gone is dropped and logged; the rest are wired again before the loop
 * starts, so traffic resumes as soon as the ports are read.  A container
 * left with no endpoint and no published port goes.
 */
void cmd_container_restore(void)
{
	struct container *c, *tmp;
	bool changed = false;
	char err[256];

	HASH_ITER(hh, g_model.containers, c, tmp) {
		changed |= cmd_restore_container(c);
		if (LIST_EMPTY(&c->endpoints) && LIST_EMPTY(&c->published)) {
			cmd_container_free(c);
			changed = true;
		}
	}
	if (changed && state_save(err, sizeof(err)))
		log_err("%s", err);
}

/* Shutdown: close ports, leave the devices for the next vswitchd. */
void cmd_container_shutdown(void)
{
	struct container *c, *tmp;
	struct endpoint *ep;

	HASH_ITER(hh, g_model.containers, c, tmp)
		LIST_FOREACH(ep, &c->endpoints, ctr_link)
			if (ep->port)
				endpoint_detach(ep, false);
}

void cmd_container_init(void)
{
	control_register(&ctl_schema_network_connect, cmd_connect);
	control_register(&ctl_schema_network_disconnect, cmd_disconnect);
	control_register(&ctl_schema_container_ls, cmd_container_ls);
}
