/* overlay_l2.c - the tunnel's share of an overlay network's L2 decisions.
 *
 * DOC: Theory of Operation
 *
 * An overlay network is a bridge network (l2_forward.c: learning, flood,
 * the gateway MAC) whose L2 domain also has remote endpoints behind VTEPs
 * (overlay.h).  l2_forward() asks here first, after learning, and goes on
 * with its own steps unless this file took the whole frame:
 *
 * From the tunnel (split horizon: nothing goes back into it):
 *  - to the gateway MAC: not ours to answer; every host has the same
 *    gateway, and a remote container talks to its own host's (dropped,
 *    not_for_us);
 *  - broadcast, multicast and unknown unicast: the local ports only;
 *  - known unicast: the local port (l2_forward's own step).
 *
 * From a local port (or made by the switch):
 *  - to the gateway MAC: l2_forward's own step (the local gateway);
 *  - an ARP request for a remote endpoint's address: answered here with
 *    its MAC from the table, as Docker's overlay and OVN do (proxy ARP);
 *    no flood, nothing crosses the tunnel;
 *  - broadcast, multicast, unknown unicast: a copy to every member VTEP
 *    (head-end replication), then l2_forward floods the local ports;
 *  - unicast to a remote MAC: to its VTEP only.
 *  A local MAC (the fdb knows it on a local port) wins over the table: a
 *  container that moved here is here.
 *
 * Costs: one fdb and one overlay hash lookup per unicast frame; a
 * broadcast costs one copy per member (a member list is the flood list of
 * a tunnel, as Linux vxlan's all-zeros fdb entries are).
 */
#include <net/ethernet.h>
#include <netinet/if_ether.h>
#include <string.h>
#include "fdb.h"
#include "model.h"
#include "overlay.h"
#include "pipeline.h"
#include "port.h"
#include "router_port.h"
#include "trace.h"
#include "vxlan.h"

/* A copy of P to every member VTEP of N. */
static void overlay_l2_replicate(struct network *n, struct pkt *p)
{
	struct overlay_member *m, *tmp;

	trace_note(p, "vxlan", "head-end replication to %u VTEPs of VNI %u",
		   n->overlay->n_members, n->vni);
	OVERLAY_FOREACH_MEMBER(n->overlay, m, tmp)
		vxlan_output(n, p, &m->vtep);
}

/* A broadcast ARP request for a remote endpoint's address: answer it with
 * the endpoint's MAC.  True if answered. */
static bool overlay_l2_proxy_arp(struct network *n, struct pkt *p)
{
	const struct ether_arp *a;
	struct overlay_remote *r;
	struct router_port rp;
	union vs_addr tpa;
	uint32_t t;

	if (p->eth_type != ETHERTYPE_ARP || !(a = pkt_header(p, p->l3_ofs, sizeof(*a))) ||
	    ntohs(a->arp_op) != ARPOP_REQUEST)
		return false;
	memcpy(&t, a->arp_tpa, 4);
	tpa = vs_addr_v4(t);
	/* a local endpoint answers for itself; the table is for the others */
	if (model_endpoint_by_ip4(n, t) || !(r = overlay_lookup_ip(n, &tpa)))
		return false;
	memset(&rp, 0, sizeof(rp));
	rp.ip = t;
	memcpy(rp.mac, r->mac, 6);
	rp.mtu = (uint16_t)(n->mtu > 0 ? n->mtu : 1500);
	rp.stage = "vxlan";
	rp.dp = n->dp;
	trace_note(p, "vxlan", "ARP for a remote endpoint: answered from the table");
	router_port_arp_input(&rp, p);
	return true;
}

/* A frame from the tunnel: local ports only.  True if taken. */
static bool overlay_l2_from_tunnel(struct network *n, struct pkt *p,
				   const struct ether_header *eth)
{
	if (!memcmp(eth->ether_dhost, n->gw_mac, 6)) {
		trace_stage(p, "vxlan");
		port_drop(p->in_port, p, DROP_NOT_FOR_US);
		return true;
	}
	if ((eth->ether_dhost[0] & 1) ||
	    !(n->fdb && fdb_lookup(n->fdb, eth->ether_dhost))) {
		l2_forward_flood(n, p);
		return true;
	}
	return false;
}

/**
 * overlay_l2_forward() - The tunnel's part of switching P in overlay N
 * @n:		the network (n->overlay set)
 * @p:		the frame, captured and learned from
 * @eth:	its Ethernet header
 *
 * Return: true if P is fully handled, false if l2_forward() goes on with
 * its local steps (the gateway, local delivery, the local flood)
 */
bool overlay_l2_forward(struct network *n, struct pkt *p, const struct ether_header *eth)
{
	struct overlay_remote *r;

	if (p->in_port && p->in_port->role == PORT_ROLE_TUNNEL)
		return overlay_l2_from_tunnel(n, p, eth);
	if (!memcmp(eth->ether_dhost, n->gw_mac, 6))
		return false;
	if (eth->ether_dhost[0] & 1) {
		if (overlay_l2_proxy_arp(n, p))
			return true;
		overlay_l2_replicate(n, p);
		return false;
	}
	if (n->fdb && fdb_lookup(n->fdb, eth->ether_dhost))
		return false;
	if ((r = overlay_lookup_mac(n, eth->ether_dhost))) {
		trace_note(p, "vxlan", "remote endpoint %s%s%s", r->name,
			   *r->host ? " on " : "", r->host);
		vxlan_output(n, p, &r->vtep);
		return true;
	}
	overlay_l2_replicate(n, p);
	return false;
}
