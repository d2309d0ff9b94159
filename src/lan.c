/* lan.c - the datapath of networks on the uplink's LAN (--driver macvlan).
 *
 * DOC: Theory of Operation
 *
 * A macvlan network is one L2 domain whose members are its containers'
 * ports and the uplink's port: the LAN's router is its gateway, its
 * containers are LAN hosts with their own MACs and addresses, and the
 * switch neither routes nor translates for it (no gateway, no NAT, no
 * published ports).  What the switch still does is what a good bridge
 * does: ingress checks and port security (ingress.c), MAC learning, capture
 * and trace, all on the same path as any network.
 *
 * From a container (l2_forward() hands frames of LAN networks here, after
 * capture and learning):
 *  - to the host leg's kernel address (169.254.169.1, uplink.c): the host
 *    reaching its own container, which the kernel's macvlan cannot do;
 *    the reply is handed to the host leg (uplink_host_out), whatever the
 *    container's next hop was;
 *  - broadcast and multicast: to the network's other ports and out of the
 *    uplink;
 *  - known unicast: to the learned port, which for a LAN host is the
 *    uplink's (learned from its frames, below);
 *  - unknown unicast: flooded to the network's ports and the uplink.
 *
 * From the uplink (uplink_rx() calls lan_input() for every frame of the
 * LAN, whoever it is for: the port is promiscuous while a LAN network
 * uses it, lan_ctl.c): broadcast and multicast are switched into each of
 * the uplink's LAN networks, and unicast only into the network where the
 * destination MAC is learned on a container's port; any other unicast is
 * some other LAN host's and is ignored without a count, as a NIC's filter
 * would.  The source is learned on the uplink's port, except that a frame
 * from the LAN carrying one of our containers' MACs is dropped and
 * counted (lan_mac_conflict): it must not move the container's MAC to the
 * uplink.
 *
 * From the host leg (lan_host_input): an IPv4 packet the host routed to a
 * container's address (lan_ctl.c adds a /32 route per container through
 * the host leg) goes to that container's port, TTL decremented.
 *
 * Limits: a frame from the LAN is looked up in each LAN network of its
 * uplink, at most LAN_MAX_PER_UPLINK of them, one hash lookup each; the
 * uplink's own address is not reachable from the LAN networks (the frames
 * leave on the wire, which does not reflect them).
 */
#include <netinet/if_ether.h>
#include <netinet/ip.h>
#include <string.h>
#include "capture.h"
#include "dp.h"
#include "fdb.h"
#include "lan.h"
#include "model.h"
#include "pipeline.h"
#include "port.h"
#include "router_port.h"
#include "trace.h"

/* lan_out() - Send P out of N's uplink too (no-op for --internal or a
 * frame that came from it). */
static void lan_out(struct network *n, struct pkt *p)
{
	if (!n->lan_port || p->in_port == n->lan_port)
		return;
	trace_event(p, "lan", TRACE_OUTPUT, n->lan_port, "out of the uplink, unchanged");
	egress_output(n->lan_port, p);
}

/* lan_flood() - Every port of N but the input one, and the uplink. */
static void lan_flood(struct network *n, struct pkt *p)
{
	l2_forward_flood(n, p);
	lan_out(n, p);
}

/* lan_host_bound() - A container's reply to the host (the host leg's
 * kernel address) is the host leg's, whatever next hop the container
 * chose: the LAN's router knows nothing of that address. */
static bool lan_host_bound(struct network *n, struct pkt *p)
{
	struct uplink *ul;

	if (p->eth_type != ETHERTYPE_IP || !p->in_port || p->in_port->role != PORT_ROLE_ENDPOINT ||
	    !n->dp || !n->dp->n_uplinks || n->internal)
		return false;
	ul = n->dp->uplinks[0];    /* only the first uplink has a host leg */
	return uplink_host_out(ul, p);
}

/**
 * lan_forward() - Switch one frame within LAN network N
 * @n:		the network (driver macvlan)
 * @p:		the frame, captured and its source learned (l2_forward)
 * @eth:	its Ethernet header
 */
void lan_forward(struct network *n, struct pkt *p, const struct ether_header *eth)
{
	struct port *out;

	if (lan_host_bound(n, p))
		return;
	if (eth->ether_dhost[0] & 1) {
		lan_flood(n, p);
		return;
	}
	out = n->fdb ? fdb_lookup(n->fdb, eth->ether_dhost) : NULL;
	if (!out) {
		trace_note(p, "lan", "unknown unicast");
		lan_flood(n, p);
		return;
	}
	if (out == p->in_port) {
		trace_stage(p, "lan");
		if (p->in_port)
			port_drop(p->in_port, p, DROP_LOOP);
		return;
	}
	trace_event(p, "lan", TRACE_FORWARD, out, "fdb: known unicast");
	egress_output(out, p);
}

/* lan_for_us() - Does frame P from the LAN belong in network N: a
 * broadcast or multicast, or unicast to a MAC learned on one of N's
 * container ports? */
static bool lan_for_us(struct network *n, const struct ether_header *eth)
{
	struct port *to;

	if (eth->ether_dhost[0] & 1)
		return true;
	to = n->fdb ? fdb_lookup(n->fdb, eth->ether_dhost) : NULL;
	return to && to->role == PORT_ROLE_ENDPOINT && to->net == n;
}

/* lan_mac_conflict() - Does the LAN send from a MAC that one of N's
 * containers owns?  Learning it would steal the container's traffic. */
static bool lan_mac_conflict(struct network *n, const struct ether_header *eth)
{
	struct port *from = n->fdb ? fdb_lookup(n->fdb, eth->ether_shost) : NULL;

	return from && from->role == PORT_ROLE_ENDPOINT;
}

/**
 * lan_input() - A frame from the uplink, offered to its LAN networks
 * @nets:	the uplink's LAN networks
 * @n_nets:	how many (at most LAN_MAX_PER_UPLINK)
 * @port:	the uplink's port
 * @p:		the frame, parsed; not changed (copies are queued)
 */
void lan_input(struct network *const *nets, unsigned int n_nets, struct port *port,
	       struct pkt *p)
{
	const struct ether_header *eth = pkt_header(p, 0, sizeof(*eth));
	struct port *saved = p->in_port;
	unsigned int i;

	if (!eth || pkt_eth_tagged(eth) || (eth->ether_shost[0] & 1))
		return;    /* the uplink's own checks count these if they are ours */
	p->in_port = port;
	for (i = 0; i < n_nets; i++) {
		struct network *n = nets[i];

		if (!lan_for_us(n, eth))
			continue;
		if (lan_mac_conflict(n, eth)) {
			port_drop(port, p, DROP_LAN_MAC_CONFLICT);
			continue;
		}
		l2_forward(n, p);
	}
	p->in_port = saved;
}

/* lan_endpoint_by_ip() - The wired endpoint that owns IP on one of DP's
 * LAN networks (at most DP_MAX_UPLINKS * LAN_MAX_PER_UPLINK lookups). */
static struct endpoint *lan_endpoint_by_ip(const struct dp *dp, uint32_t ip,
					   struct network **net)
{
	struct network *const *nets;
	struct endpoint *ep;
	unsigned int u, i, k;

	for (u = 0; u < dp->n_uplinks; u++) {
		k = uplink_lan_nets(dp->uplinks[u], &nets);
		for (i = 0; i < k; i++) {
			ep = model_endpoint_by_ip4(nets[i], ip);
			if (ep && ep->port) {
				*net = nets[i];
				return ep;
			}
		}
	}
	return NULL;
}

/**
 * lan_host_input() - The host routed P to a container on a LAN network
 * @dp:		the datapath
 * @leg:	the host leg's port
 * @leg_mac:	the switch's MAC there (the frame's new source)
 * @p:		an IPv4 packet from the host leg, not to the leg's address
 *
 * Return: true if P went to a container (or was dropped for its TTL)
 */
bool lan_host_input(const struct dp *dp, struct port *leg, const uint8_t leg_mac[6],
		    struct pkt *p)
{
	struct iphdr *ip = pkt_l3(p);
	struct ether_header *eth = (void *)p->data;
	struct network *n = NULL;
	struct endpoint *ep;

	ep = lan_endpoint_by_ip(dp, ip->daddr, &n);
	if (!ep)
		return false;
	if (!router_port_ttl_dec(ip)) {
		port_drop(leg, p, DROP_TTL_EXCEEDED);
		return true;
	}
	memcpy(eth->ether_dhost, ep->mac, 6);
	memcpy(eth->ether_shost, leg_mac, 6);
	p->in_port = leg;
	capture_net(n, p);
	trace_event(p, "lan", TRACE_FORWARD, ep->port, "from the host to its container");
	egress_output(ep->port, p);
	return true;
}
