/* endpoint.c - the glue between an endpoint in the model and its port.
 *
 * Theory of Operation
 *
 * endpoint_attach() is a short transaction: open the namespace, make the
 * device and its port, configure the interface, wire the port into the
 * model and the network, start it.  Each step that succeeds is undone in
 * reverse if a later one fails, so a failed `network connect` leaves the
 * container and the switch as they were (DESIGN: nothing half-applied).
 *
 * Adoption (after a restart, ADOPT true): the device must already be
 * there -- a persistent TAP named ep->ifname in the container, or the veth
 * host end ep->host_if in our namespace with its peer in the container.
 * If it is not, the container is not the one we knew (its namespace died
 * and maybe a new one took the name or the pid), so we fail rather than
 * build a fresh interface in a stranger's namespace.  Configuration is
 * then only completed (keep_existing): an address or default route that
 * is there is left alone.
 *
 * The default route goes only on the container's first endpoint (lowest
 * conn_order), like Docker: connecting a second network adds an interface,
 * not a new way out.
 *
 * Crashes: a kill -9 in the middle of endpoint_attach() leaves a device
 * with no port.  endpoint_prepare() therefore names everything the attach
 * may make (the container's interface, which must not exist yet, and the
 * veth's host end) before the connect writes its intent to the state
 * file, and endpoint_remove_leftovers() removes exactly those at the next
 * start (doc/crash-safety.md).
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "capture.h"
#include "endpoint.h"
#include "fdb.h"
#include "lan.h"
#include "mld_snoop.h"
#include "log.h"
#include "dp.h"
#include "model.h"
#include "netns.h"
#include "port.h"

/* The kernel's dev_valid_name(), plus no '%': "eth%d" would make the
 * kernel pick a number and the interface would not have the name asked. */
static bool endpoint_ifname_valid(const char *name)
{
	size_t len = strlen(name), i;

	if (len == 0 || len >= IFNAMSIZ || !strcmp(name, ".") || !strcmp(name, ".."))
		return false;
	for (i = 0; i < len; i++)
		if (name[i] == '/' || name[i] == ':' || name[i] == '%' ||
		    name[i] <= ' ' || name[i] == 0x7f)
			return false;
	return true;
}

bool endpoint_is_first(const struct endpoint *ep)
{
	const struct endpoint *o;

	LIST_FOREACH(o, &ep->ctr->endpoints, ctr_link)
		if (o != ep && o->conn_order < ep->conn_order)
			return false;
	return true;
}

/* The IPv6 default route goes with the container's first --ipv6 network,
 * which need not be its first network. */
static bool endpoint_is_first6(const struct endpoint *ep)
{
	const struct endpoint *o;

	LIST_FOREACH(o, &ep->ctr->endpoints, ctr_link)
		if (o != ep && o->net->ipv6 && o->conn_order < ep->conn_order)
			return false;
	return true;
}

static struct port *endpoint_tap_open(struct endpoint *ep, bool adopt, const char *pname,
				      char *err, size_t errlen)
{
	int nsfd = ep->ctr->netns_fd;
	bool exists = netns_if_exists(nsfd, ep->ifname);
	struct port *port;

	if (adopt && !exists) {
		snprintf(err, errlen, "interface %s is gone from container %s",
			 ep->ifname, ep->ctr->name);
		return NULL;
	}
	if (!adopt && exists) {
		snprintf(err, errlen, "container %s already has an interface %s",
			 ep->ctr->name, ep->ifname);
		return NULL;
	}
	port = port_open("tap", &(struct port_args){ .ifname = ep->ifname, .name = pname,
						    .netns_fd = nsfd, .offload = ep->offload });
	if (!port) {
		if (errno == EINVAL)
			snprintf(err, errlen, "%s in container %s is not a TAP vswitch made",
				 ep->ifname, ep->ctr->name);
		else if (errno == EBUSY)
			snprintf(err, errlen, "TAP %s in container %s is held by another process",
				 ep->ifname, ep->ctr->name);
		else
			snprintf(err, errlen, "cannot open TAP %s in container %s: %s",
				 ep->ifname, ep->ctr->name, strerror(errno));
	}
	return port;
}

/* A free host-side name: the hash, or the hash with a salt on collision. */
static int endpoint_pick_host_if(struct endpoint *ep, char *err, size_t errlen)
{
	unsigned int salt;

	for (salt = 0; salt < 16; salt++) {
		netns_veth_name(ep->ctr->name, ep->net->name, salt, ep->host_if);
		if (!if_nametoindex(ep->host_if))
			return 0;
	}
	snprintf(err, errlen, "no free veth name for %s on %s", ep->ctr->name, ep->net->name);
	ep->host_if[0] = '\0';
	return -1;
}

/* endpoint_veth_port() - The port on the host end of EP's veth: read
 * raw, and ours (deleted with the endpoint). */
static struct port *endpoint_veth_port(struct endpoint *ep, const char *pname,
				       char *err, size_t errlen)
{
	struct port *port;

	port = port_open("afpacket", &(struct port_args){ .ifname = ep->host_if, .name = pname,
							 .offload = ep->offload, .owned = true });
	if (!port)
		snprintf(err, errlen, "cannot open AF_PACKET on %s: %s", ep->host_if,
			 strerror(errno));
	return port;
}

static struct port *endpoint_veth_make(struct endpoint *ep, const char *pname,
				       char *err, size_t errlen)
{
	int nsfd = ep->ctr->netns_fd;
	struct port *port;

	/* endpoint_prepare() picked the name (and it is in the state file's
	 * intent record); pick one only for callers that skipped it. */
	if (!ep->host_if[0] && endpoint_pick_host_if(ep, err, errlen) < 0)
		return NULL;
	if (netns_veth_create(nsfd, ep->host_if, ep->ifname, ep->net->mtu, ep->offload,
			      err, errlen) < 0) {
		ep->host_if[0] = '\0';
		return NULL;
	}
	port = endpoint_veth_port(ep, pname, err, errlen);
	if (!port) {
		netns_if_delete(NETNS_SELF, ep->host_if);
		ep->host_if[0] = '\0';
	}
	return port;
}

static struct port *endpoint_veth_adopt(struct endpoint *ep, const char *pname,
					char *err, size_t errlen)
{
	if (!ep->host_if[0] || !if_nametoindex(ep->host_if)) {
		snprintf(err, errlen, "veth %s of container %s is gone",
			 ep->host_if[0] ? ep->host_if : "(unnamed)", ep->ctr->name);
		return NULL;
	}
	/* A hand-off device moves and is renamed by its runtime: our end being
	 * there means its peer is alive, wherever it is. */
	if (!ep->handoff && !netns_if_exists(ep->ctr->netns_fd, ep->ifname)) {
		snprintf(err, errlen, "interface %s is gone from container %s",
			 ep->ifname, ep->ctr->name);
		return NULL;
	}
	return endpoint_veth_port(ep, pname, err, errlen);
}

static int endpoint_configure(struct endpoint *ep, bool adopt, char *err, size_t errlen)
{
	struct netns_ifcfg cfg = {
		.ifname = ep->ifname,
		.mtu = ep->net->mtu,
		.addr = vs_addr_get_v4(&ep->ip),
		.prefix = ep->net->subnet.len,
		.gateway = endpoint_is_first(ep) ? vs_addr_get_v4(&ep->net->gateway) : 0,
		.keep_existing = adopt,
	};

	memcpy(cfg.mac, ep->mac, sizeof(cfg.mac));
	if (ep->net->ipv6) {
		memcpy(cfg.addr6, ep->ip6.b, 16);
		cfg.prefix6 = ep->net->subnet6.len;
		if (endpoint_is_first6(ep))
			memcpy(cfg.gateway6, ep->net->gateway6.b, 16);
	}
	return netns_if_configure(ep->ctr->netns_fd, &cfg, err, errlen);
}

/* L2 floods by walking n->endpoints and their ->port, so a port joins its
 * network's flooding by being wired (ep->port); n_ports is for `show`.
 * On removal the fdb must forget the MACs learned on the port before the
 * port is freed, or a lookup would hand out a dangling pointer. */
static void endpoint_port_added(struct port *port)
{
	port->net->n_ports++;
}

static void endpoint_port_removed(struct port *port)
{
	if (!port->net)
		return;
	if (port->ep)
		lan_endpoint_down(port->ep);
	if (port->net->fdb)
		fdb_port_gone(port->net->fdb, port);
	mld_snoop_port_down(port);
	if (port->net->n_ports)
		port->net->n_ports--;
}

/* The namespace watcher of EP's datapath, or NULL (a harness without one). */
static struct netns_watch *endpoint_nw(const struct endpoint *ep)
{
	return ep->net && ep->net->dp ? ep->net->dp->nw : NULL;
}

static void endpoint_wire(struct endpoint *ep, struct port *port)
{
	port->role = PORT_ROLE_ENDPOINT;
	port->net = ep->net;
	port->ep = ep;
	ep->port = port;
	port->recorder = recorder_new();
	endpoint_port_added(port);
	port_start(port, ep->net->dp);
	mld_snoop_port_up(port);
	lan_endpoint_up(ep);
}

/**
 * endpoint_attach() - Give an endpoint its interface and a running port
 * @ep:		the endpoint (net, ctr, ip, mac, ifname, attach filled in)
 * @adopt:	re-attach to what a previous vswitchd left (restart)
 * @err:	one-line error text on failure
 * @errlen:	size of @err
 *
 * Return: 0, or -1 with nothing changed.
 */
int endpoint_attach(struct endpoint *ep, bool adopt, char *err, size_t errlen)
{
	struct container *c = ep->ctr;
	bool opened_ns = false;
	struct port *port;
	char pname[32];

	if (ep->port) {
		snprintf(err, errlen, "endpoint %s on %s is already attached", c->name, ep->net->name);
		return -1;
	}
	if (!endpoint_ifname_valid(ep->ifname)) {
		snprintf(err, errlen, "invalid interface name '%.*s'", IFNAMSIZ, ep->ifname);
		return -1;
	}
	if (c->netns_fd < 0) {
		c->netns_fd = netns_open(c->netns_ref, err, errlen);
		/* A hand-off endpoint is adopted by our end alone: its runtime
		 * may have moved on (a new dockerd pid, a sandbox not yet set). */
		if (c->netns_fd < 0 && !(ep->handoff && adopt))
			return -1;
		opened_ns = c->netns_fd >= 0;
		/* a state file from before identities: learn it now */
		if (opened_ns && !ep->handoff && !c->netns_id.ino)
			netns_identify(c->netns_fd, c->netns_ref, &c->netns_id);
	}
	/* port.name is 32 bytes: a long container name is cut, the ifname kept. */
	snprintf(pname, sizeof(pname), "%.15s:%.15s", c->name, ep->ifname);
	if (ep->attach == ATTACH_VETH)
		port = adopt ? endpoint_veth_adopt(ep, pname, err, errlen)
			     : endpoint_veth_make(ep, pname, err, errlen);
	else
		port = endpoint_tap_open(ep, adopt, pname, err, errlen);
	if (!port)
		goto undo_ns;
	if (ep->handoff ? !adopt && endpoint_handoff_configure(ep, err, errlen) < 0
			: endpoint_configure(ep, adopt, err, errlen) < 0)
		goto undo_port;
	endpoint_wire(ep, port);
	/* The runtime, not the namespace's death, ends a hand-off endpoint. */
	if (!ep->handoff)
		netns_watch_add(endpoint_nw(ep), c);
	log_info("%s %s: %s on network %s (%s%s%s)", adopt ? "adopted" : "attached",
		 c->name, ep->ifname, ep->net->name, port->ops->type,
		 ep->attach == ATTACH_VETH ? " via " : "",
		 ep->attach == ATTACH_VETH ? ep->host_if : "");
	return 0;

undo_port:
	/* Leftovers of a failed adoption go too: the endpoint is about to be
	 * dropped and its address freed, so the old interface must not stay. */
	port_destroy(port, true);
	if (ep->attach == ATTACH_VETH && !adopt)
		ep->host_if[0] = '\0';
undo_ns:
	if (opened_ns) {
		close(c->netns_fd);
		c->netns_fd = -1;
	}
	return -1;
}

/* Open the container's namespace if it is not held yet; it stays open
 * while the container lives.  Return: 0, or -1 with ERR. */
static int endpoint_open_ns(struct container *c, char *err, size_t errlen)
{
	if (c->netns_fd >= 0)
		return 0;
	c->netns_fd = netns_open(c->netns_ref, err, errlen);
	return c->netns_fd < 0 ? -1 : 0;
}

/**
 * endpoint_prepare() - Check and name what endpoint_attach() will make
 * @ep:		a new endpoint (net, ctr, ifname, attach filled in)
 * @err:	one-line error text on failure
 * @errlen:	size of @err
 *
 * Runs before a connect writes its intent to the state file, so that the
 * record names everything the attach may leave in the kernel: the
 * interface in the container must not exist yet (whatever is there after
 * a crash is then ours to remove) and a veth gets its host-side name now.
 *
 * Return: 0, or -1 with nothing changed but the namespace fd held.
 */
int endpoint_prepare(struct endpoint *ep, char *err, size_t errlen)
{
	struct container *c = ep->ctr;

	if (!endpoint_ifname_valid(ep->ifname)) {
		snprintf(err, errlen, "invalid interface name '%.*s'", IFNAMSIZ, ep->ifname);
		return -1;
	}
	if (endpoint_open_ns(c, err, errlen))
		return -1;
	if (netns_if_exists(c->netns_fd, ep->ifname)) {
		snprintf(err, errlen, "container %s already has an interface %s",
			 c->name, ep->ifname);
		return -1;
	}
	if (ep->attach == ATTACH_VETH)
		return endpoint_pick_host_if(ep, err, errlen);
	return 0;
}

/**
 * endpoint_remove_leftovers() - Remove what a crashed connect or disconnect left
 * @ep:		an endpoint with no port, read from the state file
 *
 * The veth's host end (which takes its peer with it) and the interface
 * in the container, if they are there.  A namespace that is gone took
 * its interfaces with it.
 */
void endpoint_remove_leftovers(struct endpoint *ep)
{
	char err[256];

	if (ep->attach == ATTACH_VETH && ep->host_if[0] && if_nametoindex(ep->host_if))
		netns_if_delete(NETNS_SELF, ep->host_if);
	if (endpoint_open_ns(ep->ctr, err, sizeof(err)) == 0 &&
	    netns_if_exists(ep->ctr->netns_fd, ep->ifname))
		netns_if_delete(ep->ctr->netns_fd, ep->ifname);
}

static bool endpoint_ctr_wired(const struct container *c)
{
	const struct endpoint *o;

	LIST_FOREACH(o, &c->endpoints, ctr_link)
		if (o->port)
			return true;
	return false;
}

/**
 * endpoint_detach() - Stop an endpoint's port and, if asked, its interface
 * @ep:		the endpoint
 * @destroy:	remove the interface (disconnect, namespace death)
 */
void endpoint_detach(struct endpoint *ep, bool destroy)
{
	struct port *port = ep->port;

	if (!port)
		return;
	endpoint_port_removed(port);
	ep->port = NULL;
	port->ep = NULL;
	port_destroy(port, destroy);
	log_info("%s %s: %s on network %s", destroy ? "removed" : "released",
		 ep->ctr->name, ep->ifname, ep->net->name);
	/* A container with no wired endpoint left has nothing for a death to
	 * free; unwatching here also keeps the watch from outliving a
	 * container the control plane frees. */
	if (!endpoint_ctr_wired(ep->ctr))
		netns_watch_remove(endpoint_nw(ep), ep->ctr);
}
