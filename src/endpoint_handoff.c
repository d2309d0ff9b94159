/* endpoint_handoff.c - hand-off endpoints: the device a runtime moves.
 *
 * Theory of Operation
 *
 * Docker's remote drivers (and runtimes like it) do not give a driver a
 * namespace to configure: they want a device in their own namespace,
 * which they move into the container, rename (ethN) and configure
 * themselves.  A hand-off endpoint is a veth whose switch end stays in
 * vswitchd's namespace, as any veth endpoint's does, and whose far end is
 * made in the runtime's namespace (the container's REF at connect) under
 * the name the runtime asked for, with the endpoint's MAC and the
 * network's MTU and nothing else: no address, no route, not even up.  On
 * a host, the runtime's namespace is the host's own, and vswitchd must
 * never touch the host's routes or interfaces (research/runtimes.md 2.4,
 * defect (a)).
 *
 * Following the device: the runtime says where it moves the device (the
 * sandbox, endpoint.sandbox), and the container's REF follows it, for
 * `container ls` and for the next start.  The device's name there is
 * learned, never assumed: it is the interface with the endpoint's MAC.
 *
 * Restart and removal need no knowledge of where the far end is: our end
 * never moves, so adoption re-opens it (if it is there, its peer is alive
 * somewhere), and deleting our end deletes the pair wherever the far end
 * went (defects (b) and (c)).  Nothing is watched in the runtime's
 * namespace either: the runtime tells us when an endpoint goes.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "endpoint.h"
#include "model.h"
#include "netns.h"

/**
 * endpoint_handoff_configure() - Give a new hand-off device its MAC and MTU
 * @ep:		the endpoint, its far end just made in the runtime's namespace
 * @err:	one-line error text on failure
 * @errlen:	size of @err
 *
 * Return: 0 or -1.
 */
int endpoint_handoff_configure(struct endpoint *ep, char *err, size_t errlen)
{
	struct netns_ifcfg cfg = {
		.ifname = ep->ifname,
		.mtu = ep->net->mtu,
		.link_only = true,
	};

	memcpy(cfg.mac, ep->mac, sizeof(cfg.mac));
	return netns_if_configure(ep->ctr->netns_fd, &cfg, err, errlen);
}

/**
 * endpoint_handoff_ifname() - The device's name where it is now
 * @ep:		a hand-off endpoint
 * @out:	the name: ethN in the sandbox, or the hand-off name until the
 *		runtime renamed it
 *
 * Opens the container's REF afresh: the runtime may have moved the
 * device since we last looked.  Falls back to the hand-off name.
 */
void endpoint_handoff_ifname(const struct endpoint *ep, char out[VS_IFNAME_MAX])
{
	char err[256];
	int fd = netns_open(ep->ctr->netns_ref, err, sizeof(err));

	if (fd < 0 || netns_if_find_mac(fd, ep->mac, out) < 0)
		snprintf(out, VS_IFNAME_MAX, "%s", ep->ifname);
	if (fd >= 0)
		close(fd);
}

/**
 * endpoint_handoff_move() - Follow a hand-off container to a new namespace
 * @c:		the container (all its endpoints are hand-off ones)
 * @ref:	the REF the runtime moves the device to (its sandbox), or back
 * @err:	one-line error text on failure
 * @errlen:	size of @err
 *
 * Only the record changes: the device itself is the runtime's to move.
 * REF is not opened: Docker names the sandbox at Join, before runc has
 * made the namespace and Docker has bind-mounted it there; whoever needs
 * the namespace later opens REF then (endpoint_handoff_ifname()).
 *
 * Return: 0, or -1 with nothing changed.
 */
int endpoint_handoff_move(struct container *c, const char *ref, char *err, size_t errlen)
{
	char path[sizeof(c->netns_ref) + 32];

	if (strlen(ref) >= sizeof(c->netns_ref)) {
		snprintf(err, errlen, "netns reference too long (at most %zu bytes)",
			 sizeof(c->netns_ref) - 1);
		return -1;
	}
	if (netns_ref_path(ref, path, sizeof(path)) < 0) {
		snprintf(err, errlen, "invalid netns reference \"%s\"", ref);
		return -1;
	}
	if (c->netns_fd >= 0)
		close(c->netns_fd);
	c->netns_fd = -1;
	/* the sandbox may not exist yet: its identity is unknown */
	memset(&c->netns_id, 0, sizeof(c->netns_id));
	snprintf(c->netns_ref, sizeof(c->netns_ref), "%s", ref);
	return 0;
}
