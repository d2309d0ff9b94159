/* cmd_container.c - connecting containers to networks, and their lifecycle.
 *
 * A container is named the first time it is connected (with --netns REF)
 * and lives while it has endpoints or published ports.  Its name is a key
 * chosen by whoever connects it (vsctl's user, a CNI runtime's container
 * id, Docker's endpoint id); its DNS name is separate (dns_name, by
 * default the key when the key is a valid name), and each endpoint
 * carries an owner ("vsctl", "docker", "cni:NET") so that a runtime can
 * find, check and collect what it made (endpoint.check, container.ls
 * --owner, network.disconnect with missing_ok for an idempotent DEL).  Connect checks
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
#include <net/if.h>
#include "cluster.h"
#include "cmd.h"
#include "control.h"
#include "dns.h"
#include "events.h"
#include "dp.h"
#include "endpoint.h"
#include "ipam.h"
#include "lan.h"
#include "log.h"
#include "model.h"
#include "nat.h"
#include "netns.h"
#include "rootless.h"
#include "port.h"
#include "publish.h"
#include "state.h"

/* The rules for names (DNS name, alias, key, owner) are model.c's, which
 * the state loader applies too: what a command refuses never loads. */

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

		if (ep->n_aliases >= VS_MAX_ALIASES || !model_dns_name_ok(a)) {
			snprintf(err, errlen, "invalid alias \"%s\" (at most %d, letters, digits, . _ -)",
				 a ? a : "", VS_MAX_ALIASES);
			return -1;
		}
		snprintf(ep->aliases[ep->n_aliases++], VS_NAME_MAX, "%s", a);
	}
	return 0;
}

/* A hand-off endpoint (endpoint_handoff.c) is a veth whose far end gets
 * the name the runtime asked for; a container is all hand-off or none,
 * since a hand-off container's REF follows its runtime's sandbox. */
static int cmd_connect_handoff(struct endpoint *ep, struct json_object *args, const char *att,
			       const char *ifn, char *err, size_t errlen)
{
	const struct endpoint *o;

	ep->handoff = ctl_arg_bool(args, "handoff", 0);
	LIST_FOREACH(o, &ep->ctr->endpoints, ctr_link)
		if (o->handoff != ep->handoff) {
			snprintf(err, errlen, "container %s has %shand-off endpoints; "
				 "it cannot mix them with others", ep->ctr->name,
				 o->handoff ? "" : "no ");
			return -1;
		}
	if (!ep->handoff)
		return 0;
	if (att && strcmp(att, "veth")) {
		snprintf(err, errlen, "a hand-off endpoint is a veth (attach veth)");
		return -1;
	}
	if (!ifn) {
		snprintf(err, errlen, "a hand-off endpoint needs ifname: the name the runtime moves");
		return -1;
	}
	ep->attach = ATTACH_VETH;
	return 0;
}

/* The IPv6 address on a --ipv6 network: --ip6, else the next free one. */
static int cmd_connect_ip6(struct endpoint *ep, const char *ip6, char *err, size_t errlen)
{
	if (ip6) {
		if (ipam_parse_ip6(ip6, &ep->ip6)) {
			snprintf(err, errlen, "invalid IPv6 address \"%s\"", ip6);
			return -1;
		}
		return ipam_check_fixed6(ep->net, &ep->ip6, err, errlen);
	}
	if (!ep->net->ipv6)
		return 0;
	return ipam_alloc6(ep->net, &ep->ip6, err, errlen);
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
		if (ipam_check_fixed(ep->net, &ep->ip, err, errlen))
			return -1;
	} else if (ipam_alloc(ep->net, &ep->ip, err, errlen)) {
		return -1;
	}
	/* on a LAN, the address must also be free among the LAN's hosts */
	if (lan_probe_addr(ep, ip != NULL, err, errlen))
		return -1;
	if (cmd_connect_ip6(ep, ctl_arg_str(args, "ip6"), err, errlen))
		return -1;
	if (mac && ipam_parse_mac(mac, ep->mac)) {
		snprintf(err, errlen, "invalid MAC address \"%s\" (unicast aa:bb:cc:dd:ee:ff)", mac);
		return -1;
	}
	if (!mac)
		model_mac_from_ip(&ep->ip, ep->mac);
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
	if (att && !strcmp(att, "tap") && !rootless_host()->tun_ok) {
		snprintf(err, errlen, "--attach tap: /dev/net/tun is not accessible to this user; "
			 "use --attach veth, or make it mode 0666 (Debian's default)");
		return -1;
	}
	/* No choice made: TAP where /dev/net/tun lets us, else veth (a
	 * rootless vswitchd on a host whose tun node is 0600). */
	if (att)
		ep->attach = !strcmp(att, "veth") ? ATTACH_VETH : ATTACH_TAP;
	else
		ep->attach = rootless_host()->tun_ok ? ATTACH_TAP : ATTACH_VETH;
	if (cmd_connect_handoff(ep, args, att, ifn, err, errlen) < 0)
		return -1;
	ep->port_security = ctl_arg_bool(args, "port_security", 1);
	ep->offload = ctl_arg_bool(args, "offload", 1);
	if (ctl_arg_str(args, "owner") && !model_owner_ok(ctl_arg_str(args, "owner"))) {
		snprintf(err, errlen, "invalid owner \"%s\" (WORD or WORD:NAME, e.g. cni:n1)",
			 ctl_arg_str(args, "owner"));
		return -1;
	}
	snprintf(ep->owner, sizeof(ep->owner), "%s",
		 ctl_arg_str(args, "owner") ? ctl_arg_str(args, "owner") : "vsctl");
	return cmd_connect_aliases(ep, args, err, errlen);
}

/* The DNS name a new container gets: DNS if given ("" = none), else its
 * key when that is a valid name (vsctl's containers, as before). */
static int cmd_container_dns_name(const char *name, const char *dns, char *out,
				  char *err, size_t errlen)
{
	if (dns && *dns && !model_dns_name_ok(dns)) {
		snprintf(err, errlen, "invalid DNS name \"%s\" (at most %d letters, digits, . _ -)",
			 dns, VS_NAME_MAX - 1);
		return -1;
	}
	if (!dns)
		dns = model_dns_name_ok(name) ? name : "";
	/* checked above: shorter than VS_NAME_MAX */
	memcpy(out, dns, strnlen(dns, VS_NAME_MAX - 1));
	out[strnlen(dns, VS_NAME_MAX - 1)] = '\0';
	return 0;
}

/* Find the container, or make it if REF says where it lives. */
static struct container *cmd_connect_container(const char *name, const char *ref,
					       const char *dns, bool *fresh,
					       char *err, size_t errlen)
{
	struct container *c = name ? model_container(name) : NULL;
	char dns_name[VS_NAME_MAX];
	int fd;

	*fresh = false;
	if (c) {
		if (ref && strcmp(ref, c->netns_ref)) {
			snprintf(err, errlen, "container %s lives in netns %s, not %s", name, c->netns_ref, ref);
			return NULL;
		}
		/* one name per container: its endpoints answer alike */
		if (dns && strcmp(dns, c->dns_name)) {
			snprintf(err, errlen, "container %s has the DNS name \"%s\", not \"%s\"",
				 name, c->dns_name, dns);
			return NULL;
		}
		return c;
	}
	if (!model_ckey_ok(name)) {
		snprintf(err, errlen, "invalid container name \"%s\" (at most %d letters, digits, . _ -)",
			 name ? name : "", VS_CKEY_MAX - 1);
		return NULL;
	}
	if (cmd_container_dns_name(name, dns, dns_name, err, errlen))
		return NULL;
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
	netns_identify(fd, ref, &c->netns_id);
	snprintf(c->dns_name, sizeof(c->dns_name), "%s", dns_name);
	*fresh = true;
	return c;
}

static void cmd_container_free(struct container *c)
{
	struct published *pp;

	netns_watch_remove(cmd_dp()->nw, c);
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
	char a[VS_ADDR_STRLEN], m[18];
	int i;

	json_object_object_add(o, "network", json_object_new_string(ep->net->name));
	json_object_object_add(o, "container", json_object_new_string(ep->ctr->name));
	json_object_object_add(o, "ip", json_object_new_string(vs_addr_str(&ep->ip, a, sizeof(a))));
	json_object_object_add(o, "prefix", json_object_new_int(ep->net->subnet.len));
	if (ep->net->ipv6) {
		json_object_object_add(o, "ip6", json_object_new_string(vs_addr_str(&ep->ip6, a, sizeof(a))));
		json_object_object_add(o, "prefix6", json_object_new_int(ep->net->subnet6.len));
		json_object_object_add(o, "gateway6", json_object_new_string(
					       vs_addr_str(&ep->net->gateway6, a, sizeof(a))));
	}
	json_object_object_add(o, "mac", json_object_new_string(ipam_mac_str(ep->mac, m)));
	if (ep->handoff) {
		char now[VS_IFNAME_MAX];

		endpoint_handoff_ifname(ep, now);
		json_object_object_add(o, "ifname", json_object_new_string(now));
		json_object_object_add(o, "handoff_ifname", json_object_new_string(ep->ifname));
	} else {
		json_object_object_add(o, "ifname", json_object_new_string(ep->ifname));
	}
	json_object_object_add(o, "handoff", json_object_new_boolean(ep->handoff));
	json_object_object_add(o, "attach", json_object_new_string(ep->attach == ATTACH_VETH ? "veth" : "tap"));
	json_object_object_add(o, "port", json_object_new_string(ep->port ? ep->port->name : ""));
	json_object_object_add(o, "port_security", json_object_new_boolean(ep->port_security));
	json_object_object_add(o, "offload", json_object_new_boolean(ep->offload));
	json_object_object_add(o, "owner", json_object_new_string(ep->owner));
	json_object_object_add(o, "dns_name", json_object_new_string(ep->ctr->dns_name));
	json_object_object_add(o, "netns", json_object_new_string(ep->ctr->netns_ref));
	/* what a runtime's result needs (CNI: ips[].gateway, routes, dns) */
	json_object_object_add(o, "gateway", json_object_new_string(vs_addr_str(&ep->net->gateway, a, sizeof(a))));
	json_object_object_add(o, "mtu", json_object_new_int(ep->net->mtu));
	json_object_object_add(o, "default_route", json_object_new_boolean(!ep->handoff && endpoint_is_first(ep)));
	json_object_object_add(o, "dns", json_object_new_boolean(ep->net->dns));
	for (i = 0; i < ep->n_aliases; i++)
		json_object_array_add(al, json_object_new_string(ep->aliases[i]));
	json_object_object_add(o, "aliases", al);
	return o;
}

/* The reply's "mac": what the interface has now, asked of the kernel by
 * netlink in the container's namespace (a runtime reports it as the
 * interface's MAC; /sys would show another namespace's interfaces). */
static void cmd_endpoint_kernel_mac(const struct endpoint *ep, struct json_object *o)
{
	uint8_t mac[6];
	char m[18];

	if (netns_if_mac(ep->ctr->netns_fd, ep->ifname, mac) == 0)
		json_object_object_add(o, "mac", json_object_new_string(ipam_mac_str(mac, m)));
	else
		log_warn("container %s: cannot read the MAC of %s by netlink; replying the one set",
			 ep->ctr->name, ep->ifname);
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
static struct endpoint *cmd_connect_check(struct json_object *args, uid_t uid, bool *fresh,
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
	/* Said first: a second connect of the same pair (a runtime retrying)
	 * is refused for what it is, whatever REF it names. */
	c = name ? model_container(name) : NULL;
	if (c && model_endpoint(n, c)) {
		snprintf(err, errlen, "container %s is already connected to network %s", c->name, n->name);
		return NULL;
	}
	/* a member names no arbitrary file for root to open (finding 8) */
	if (ctl_arg_str(args, "netns") &&
	    netns_access_ref(uid, ctl_arg_str(args, "netns"), err, errlen))
		return NULL;
	c = cmd_connect_container(name, ctl_arg_str(args, "netns"), ctl_arg_str(args, "dns_name"),
				  fresh, err, errlen);
	if (!c)
		return NULL;
	/* ...and only a namespace of their own (finding 9) */
	if (netns_access_ns(uid, c->netns_ref, c->netns_fd, err, errlen))
		goto undo_ctr;
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

/* A global network's address is claimed in etcd first (cluster_net.c),
 * which then calls cmd_connect_run() with it; the reply waits for that. */
static int cmd_connect(struct ctl_conn *conn, struct json_object *args,
		       struct json_object **result, char *err, size_t errlen)
{
	const char *net = ctl_arg_str(args, "network");
	struct network *n = net ? model_network(net) : NULL;

	if (n && n->global && cluster_active())
		return cluster_connect(conn, args, err, errlen);
	return cmd_connect_run(conn, args, result, err, errlen);
}

int cmd_connect_run(struct ctl_conn *conn, struct json_object *args,
		    struct json_object **result, char *err, size_t errlen)
{
	struct endpoint *ep;
	struct container *c;
	bool fresh;

	ep = cmd_connect_check(args, control_conn_uid(conn), &fresh, err, errlen);
	if (!ep)
		return -1;
	c = ep->ctr;
	/* 1: the intent, before the kernel changes */
	ep->pending = EP_PENDING_CONNECT;
	if (state_save_ctr(c->name, err, errlen)) {
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
	if (state_save_ctr(c->name, err, errlen)) {
		c->next_order--;
		cmd_connect_undo(ep, fresh, true);
		cmd_connect_resave();
		return -1;
	}
	dns_endpoint_added(cmd_dp()->dns, ep);
	cluster_endpoint_added(ep);
	log_info("container %s connected to %s as %s", c->name, ep->net->name, ep->ifname);
	events_endpoint("connect", ep);
	*result = cmd_endpoint_json(ep);
	cmd_endpoint_kernel_mac(ep, *result);
	return 0;
}

/* Take EP out of the datapath and the model (state saved by the caller). */
static void cmd_endpoint_remove(struct endpoint *ep, bool destroy)
{
	struct container *c = ep->ctr;

	dns_endpoint_removed(cmd_dp()->dns, ep);
	cluster_endpoint_removed(ep);
	nat_endpoint_gone(cmd_dp()->nat, ep);
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
	bool drop_ports = ctl_arg_bool(args, "drop_ports", 0);
	char key[VS_CKEY_MAX];

	/* missing_ok: a runtime's DEL must succeed when there is nothing to
	 * remove (a second DEL, a container it never finished adding). */
	if ((!n || !c || !ep) && ctl_arg_bool(args, "missing_ok", 0)) {
		*result = json_object_new_object();
		json_object_object_add(*result, "removed", json_object_new_boolean(false));
		return 0;
	}
	if (!n) {
		snprintf(err, errlen, "network %s not found", net ? net : "");
		return -1;
	}
	if (!c || !ep) {
		snprintf(err, errlen, !c ? "container %s not found" :
			 "container %s is not connected to network %s", name ? name : "", n->name);
		return -1;
	}
	/* removing the interface changes the namespace: a member's own only */
	if (netns_access_ns(control_conn_uid(conn), c->netns_ref, c->netns_fd, err, errlen))
		return -1;
	/* The commit: from here on the disconnect happens, now or at the
	 * next start. */
	ep->pending = EP_PENDING_DISCONNECT;
	if (state_save_ctr(c->name, err, errlen)) {
		ep->pending = EP_PENDING_NONE;
		return -1;
	}
	log_info("container %s disconnected from %s", c->name, n->name);
	events_endpoint("disconnect", ep);
	/* drop_ports: the ports were published for this attachment (CNI's
	 * portMappings), so they go with the container's last endpoint. */
	if (drop_ports && LIST_FIRST(&c->endpoints) == ep && !LIST_NEXT(ep, ctr_link))
		publish_drop_all(c);
	snprintf(key, sizeof(key), "%s", c->name);	/* C may go with EP */
	cmd_endpoint_remove(ep, true);
	if (state_save_ctr(key, err, errlen))
		log_warn("%s; the next start finishes the disconnect", err);
	*result = json_object_new_object();
	json_object_object_add(*result, "removed", json_object_new_boolean(true));
	return 0;
}

/* endpoint.check: the interface must still be in the container, wired to
 * its port, with the address and MAC the caller expects (CNI CHECK
 * compares with the result it was given). */
static int cmd_check_kernel(const struct endpoint *ep, const uint8_t *want_mac,
			    char *err, size_t errlen)
{
	char m1[18], m2[18];
	uint8_t mac[6];

	if (!ep->port) {
		snprintf(err, errlen, "container %s on %s: the endpoint has no port", ep->ctr->name,
			 ep->net->name);
		return -1;
	}
	if (netns_if_mac(ep->ctr->netns_fd, ep->ifname, mac) < 0) {
		snprintf(err, errlen, "container %s: interface %s is gone", ep->ctr->name, ep->ifname);
		return -1;
	}
	if (memcmp(mac, want_mac, 6)) {
		snprintf(err, errlen, "container %s: %s has MAC %s, expected %s", ep->ctr->name,
			 ep->ifname, ipam_mac_str(mac, m1), ipam_mac_str(want_mac, m2));
		return -1;
	}
	return 0;
}

static int cmd_endpoint_check(struct ctl_conn *conn, struct json_object *args,
			      struct json_object **result, char *err, size_t errlen)
{
	const char *net = ctl_arg_str(args, "network"), *name = ctl_arg_str(args, "container");
	const char *ifn = ctl_arg_str(args, "ifname"), *ip = ctl_arg_str(args, "ip");
	const char *mac = ctl_arg_str(args, "mac");
	struct network *n = net ? model_network(net) : NULL;
	struct container *c = name ? model_container(name) : NULL;
	struct endpoint *ep = n && c ? model_endpoint(n, c) : NULL;
	uint8_t want[6];
	union vs_addr addr;
	char a[VS_ADDR_STRLEN];

	(void)conn;
	if (!ep) {
		snprintf(err, errlen, !n ? "network %s not found" : !c ? "container %s not found" :
			 "container %s is not connected to network %s", !n ? (net ? net : "") :
			 (name ? name : ""), net);
		return -1;
	}
	if (ifn && strcmp(ifn, ep->ifname)) {
		snprintf(err, errlen, "container %s on %s has interface %s, not %s", name, net,
			 ep->ifname, ifn);
		return -1;
	}
	if (ip && (ipam_parse_ip(ip, &addr) || !vs_addr_eq(&addr, &ep->ip))) {
		snprintf(err, errlen, "container %s on %s has address %s, not %s", name, net,
			 vs_addr_str(&ep->ip, a, sizeof(a)), ip);
		return -1;
	}
	if (mac && ipam_parse_mac(mac, want)) {
		snprintf(err, errlen, "invalid MAC address \"%s\"", mac);
		return -1;
	}
	if (cmd_check_kernel(ep, mac ? want : ep->mac, err, errlen))
		return -1;
	*result = cmd_endpoint_json(ep);
	return 0;
}

/**
 * cmd_container_netns_gone() - The namespace of C is gone: forget its endpoints
 * @arg:	the datapath (registered with netns_watch_new())
 * @c:		the container, already unwatched
 */
void cmd_container_netns_gone(void *arg, struct container *c)
{
	struct dp *dp = arg;
	char err[256], key[VS_CKEY_MAX];
	struct endpoint *ep;

	log_info("container %s: namespace %s is gone; removing its endpoints",
		 c->name, c->netns_ref);
	events_container_die(c);
	LIST_FOREACH(ep, &c->endpoints, ctr_link) {
		dns_endpoint_removed(dp->dns, ep);
		events_endpoint("disconnect", ep);
	}
	/* Published ports die with the container, as Docker's do: rules and
	 * proxy listeners too, or a later container with this key would get
	 * the traffic. */
	publish_drop_all(c);
	while ((ep = LIST_FIRST(&c->endpoints))) {
		nat_endpoint_gone(dp->nat, ep);
		endpoint_detach(ep, true);
		model_endpoint_unlink(ep);
		free(ep);
	}
	snprintf(key, sizeof(key), "%s", c->name);
	cmd_container_free(c);
	if (state_save_ctr(key, err, sizeof(err)))
		log_err("%s", err);
}

static int cmd_container_ls(struct ctl_conn *conn, struct json_object *args,
			    struct json_object **result, char *err, size_t errlen)
{
	const char *owner = ctl_arg_str(args, "owner");
	struct container *c, *tmp;
	struct endpoint *ep;

	(void)conn;
	*result = json_object_new_array();
	HASH_ITER(hh, g_model.containers, c, tmp) {
		struct json_object *o, *eps = json_object_new_array();

		/* --owner: only the endpoints that owner made, and only
		 * containers that have one (a runtime's GC walks these) */
		LIST_FOREACH(ep, &c->endpoints, ctr_link)
			if (!owner || !strcmp(owner, ep->owner))
				json_object_array_add(eps, cmd_endpoint_json(ep));
		if (owner && !json_object_array_length(eps)) {
			json_object_put(eps);
			continue;
		}
		o = json_object_new_object();
		json_object_object_add(o, "name", json_object_new_string(c->name));
		json_object_object_add(o, "dns_name", json_object_new_string(c->dns_name));
		json_object_object_add(o, "netns", json_object_new_string(c->netns_ref));
		json_object_object_add(o, "endpoints", eps);
		json_object_object_add(o, "ports", publish_list_json(c));
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
			dns_endpoint_added(cmd_dp()->dns, ep);
			continue;
		}
		log_warn("container %s on %s: cannot re-attach (%s); endpoint removed",
			 c->name, ep->net->name, err);
		cmd_restore_drop(ep);
		changed = true;
	}
	return changed;
}

/* Restart: does C's reference still name the namespace C was made for?
 * Takes the fd when it does.  Hand-off containers are the runtime's to
 * end (their sandbox may not exist yet), so they are never judged. */
static bool cmd_restore_ns_gone(struct container *c)
{
	struct endpoint *ep;
	int fd;

	LIST_FOREACH(ep, &c->endpoints, ctr_link)
		if (ep->handoff)
			return false;
	switch (netns_check_id(c->netns_ref, &c->netns_id, &fd)) {
	case NETNS_SAME:
		if (c->netns_fd < 0)
			c->netns_fd = fd;
		else
			close(fd);
		return false;
	case NETNS_GONE:
		return true;
	default:
		return false;
	}
}

/* Restart: C's namespace died while we were down (or its reference names
 * another namespace or process now).  C goes whole, published ports
 * included, as on a death while we run; nothing is done in whatever the
 * reference names now, and nothing of C was installed yet. */
static void cmd_restore_dead(struct container *c)
{
	struct published *pp;
	struct endpoint *ep;

	log_info("container %s: namespace %s is gone (or names another namespace now); "
		 "removing its endpoints and published ports", c->name, c->netns_ref);
	while ((ep = LIST_FIRST(&c->endpoints))) {
		/* the veth's host end is ours, in our namespace */
		if (ep->attach == ATTACH_VETH && ep->host_if[0] && if_nametoindex(ep->host_if))
			netns_if_delete(NETNS_SELF, ep->host_if);
		model_endpoint_unlink(ep);
		free(ep);
	}
	while ((pp = LIST_FIRST(&c->published))) {
		LIST_REMOVE(pp, link);
		free(pp);
	}
	cmd_container_free(c);
}

/**
 * cmd_container_restore() - Re-adopt every endpoint after a restart
 *
 * Endpoints with a pending connect or disconnect are settled first (see
 * the top of this file).  An endpoint whose namespace or interface is
 * gone is dropped and logged; the rest are wired again before the loop
 * starts, so traffic resumes as soon as the ports are read.  A container
 * left with no endpoint and no published port goes, and so does one whose
 * namespace died while we were down (its published ports with it, as a
 * death while we run takes them): its reference is checked against the
 * namespace identity recorded at connect, so a re-created name or a
 * reused pid is never mistaken for it, and nothing is deleted there.
 */
void cmd_container_restore(void)
{
	struct container *c, *tmp;
	bool changed = false;
	char err[256];

	HASH_ITER(hh, g_model.containers, c, tmp) {
		if (cmd_restore_ns_gone(c)) {
			cmd_restore_dead(c);
			changed = true;
			continue;
		}
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
	control_register(&ctl_schema_endpoint_check, cmd_endpoint_check);
}
