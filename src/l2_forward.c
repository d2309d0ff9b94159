/* l2_forward.c - learn, then deliver: unicast, flood or the gateway.
 *
 * DOC: Theory of Operation
 *
 * One network is one L2 domain.  For each accepted frame:
 *  1. capture: the network's capture point sees every frame its L2 sees.
 *  2. learn: the source MAC is bound to the input port (fdb.c).  A port at
 *     its learning cap is counted (DROP_FDB_CAP) but its frame still goes
 *     on: the cap protects the table, and unknown destinations flood.
 *     A dry run (vsctl trace) learns nothing: tracing must not change the
 *     switch.
 *  3. deliver:
 *     - to the gateway MAC: the network's L3 gateway (gateway.c);
 *     - broadcast/multicast: flood to the network's other ports; a
 *       broadcast ARP asking for the gateway IP also goes to the gateway,
 *       which answers it (the others see it too, as on any LAN), and so
 *       does IPv6 multicast to the gateway's solicited-node groups
 *       (neighbour solicitations for its IPv6 addresses).  IPv6 control
 *       chatter is snooped first (mld_snoop.c, RFC 4541): MLD reports
 *       stop at the switch, multicast to a solicited-node group goes to
 *       the ports whose hosts reported it, a router solicitation on a
 *       --ipv6 network to the gateway alone; the rest floods;
 *     - known unicast: the learned port, unless that is the input port
 *       (DROP_LOOP: a MAC learned here that is also sent to here);
 *     - unknown unicast: flood.
 *     Networks on the uplink's LAN (macvlan, ipvlan) have no gateway
 *     here: their frames go on to lan_forward() (lan.c) after step 2.
 *     Overlay networks ask overlay_l2.c first: remote MACs, head-end
 *     replication, ARP for remote addresses; frames from the tunnel are
 *     learned there, not here.
 *
 * Flooding walks the network's own endpoint list (n->endpoints), never all
 * ports of the switch: frames never cross networks at L2.  Each copy goes
 * through egress_output(), which applies --no-icc and the MTU, and copies
 * the frame into the port's tx queue, so one frame can be queued on many
 * ports without being changed.
 */
#include <net/ethernet.h>
#include <netinet/if_ether.h>
#include <string.h>
#include "capture.h"
#include "fdb.h"
#include "lan.h"
#include "mld_snoop.h"
#include "model.h"
#include "overlay.h"
#include "pipeline.h"
#include "port.h"
#include "trace.h"
#include "vxlan.h"

static void l2_forward_count(struct pkt *p, enum drop_reason why)
{
	if (p->in_port)
		port_drop(p->in_port, p, why);
}

/**
 * l2_forward_flood() - Send P to every port of network N but its own
 * @n:		network
 * @p:		frame (not changed)
 */
void l2_forward_flood(struct network *n, struct pkt *p)
{
	struct endpoint *ep;

	trace_event(p, "l2", TRACE_FLOOD, NULL, "flood to the ports of network %s", n->name);
	LIST_FOREACH(ep, &n->endpoints, net_link)
		if (ep->port && ep->port != p->in_port)
			egress_output(ep->port, p);
}

/* Broadcast ARP request whose target is the gateway's address. */
static bool l2_forward_arp_for_gw(const struct network *n, const struct pkt *p)
{
	const struct ether_arp *a;
	uint32_t tpa;

	if (p->eth_type != ETHERTYPE_ARP)
		return false;
	a = pkt_header(p, p->l3_ofs, sizeof(*a));
	if (!a)
		return false;
	memcpy(&tpa, a->arp_tpa, 4);
	return vs_addr_eq_v4(&n->gateway, tpa);
}

/* IPv6 multicast to the solicited-node group (33:33:ff + the low 24 bits,
 * RFC 2464 7) of the gateway's IPv6 address or of its link-local one,
 * whose low 24 bits are those of its MAC: a neighbour solicitation the
 * gateway may have to answer.  A MAC compare: no parse here. */
static bool l2_forward_nd_for_gw(const struct network *n, const struct pkt *p,
				 const struct ether_header *eth)
{
	const uint8_t *d = eth->ether_dhost;

	if (!n->ipv6 || p->eth_type != ETHERTYPE_IPV6 || d[0] != 0x33 || d[1] != 0x33 ||
	    d[2] != 0xff)
		return false;
	return !memcmp(d + 3, &n->gateway6.b[13], 3) || !memcmp(d + 3, n->gw_mac + 3, 3);
}

/* Step 2: bind the source MAC to the input port. */
static void l2_forward_learn(struct network *n, struct pkt *p,
			     const struct ether_header *eth)
{
	enum drop_reason why;

	if (!p->in_port || (p->flags & (PKT_F_DRYRUN | PKT_F_LOCAL)))
		return;
	/* the tunnel learns into the overlay table (port_vxlan.c): its port
	 * alone says nothing of where a MAC is */
	if (p->in_port->role == PORT_ROLE_TUNNEL)
		return;
	if (!n->fdb && !(n->fdb = fdb_new(n)))
		return;
	why = fdb_learn(n->fdb, eth->ether_shost, p->in_port);
	if (why != DROP_NONE)
		port_drop(p->in_port, p, why);
}

/**
 * l2_forward() - Switch one frame within network N
 * @n:		the frame's network
 * @p:		accepted frame, p->in_port set (NULL if made by the switch)
 */
void l2_forward(struct network *n, struct pkt *p)
{
	const struct ether_header *eth = pkt_header(p, 0, sizeof(*eth));
	struct port *out;

	capture_net(n, p);
	if (!eth) {
		l2_forward_count(p, DROP_RUNT);
		return;
	}
	l2_forward_learn(n, p, eth);
	/* A network on the uplink's LAN has no gateway of ours: lan.c. */
	if (model_net_is_lan(n)) {
		lan_forward(n, p, eth);
		return;
	}
	/* An overlay network's remote endpoints and members: overlay_l2.c. */
	if (n->overlay && overlay_l2_forward(n, p, eth))
		return;

	if (memcmp(eth->ether_dhost, n->gw_mac, 6) == 0) {
		trace_note(p, "l2", "to the gateway MAC");
		gateway_input(n, p);
		return;
	}
	if (eth->ether_dhost[0] & 1) {
		bool for_gw = l2_forward_arp_for_gw(n, p) || l2_forward_nd_for_gw(n, p, eth);

		/* IPv6 control chatter: to where it matters (mld_snoop.c) */
		if (mld_snoop_forward(n, p, eth, for_gw))
			return;
		l2_forward_flood(n, p);
		if (for_gw)
			gateway_input(n, p);
		return;
	}
	out = n->fdb ? fdb_lookup(n->fdb, eth->ether_dhost) : NULL;
	if (!out) {
		trace_note(p, "l2", "unknown unicast");
		l2_forward_flood(n, p);
		return;
	}
	if (out == p->in_port) {
		trace_stage(p, "l2");
		l2_forward_count(p, DROP_LOOP);
		return;
	}
	trace_event(p, "l2", TRACE_FORWARD, out, "fdb: known unicast");
	egress_output(out, p);
}
