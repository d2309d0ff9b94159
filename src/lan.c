/* lan.c - the datapath of networks on the uplink's LAN (macvlan, ipvlan).
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
 * ipvlan (L2 mode) is the same switch, for LANs that allow one MAC per
 * port: every frame a container sends out of the uplink leaves with the
 * uplink's MAC as its source (and as the sender of an ARP packet), so the
 * LAN sees one MAC for all of them.  On the way in, the switch maps by
 * address: an ARP request of the LAN for a container's address is
 * answered by the switch itself with the uplink's MAC; a unicast frame to
 * the uplink's MAC whose IPv4 destination (or ARP target) is a
 * container's goes to that container, its destination MAC (and ARP
 * target MAC) rewritten to the container's.  The lookup is the network's
 * endpoints_by_ip hash: O(1).  Between the network's own containers,
 * frames keep their own MACs.  IPv4 only: IPv6 neighbour discovery
 * carries MACs in options that are not rewritten.
 *
 * Name DNS (--aux-address dns=IP): the resolver's address on the network
 * is answered by the switch for the network's containers only: an ARP
 * request for it (not sent on to the LAN), ICMP echo, and port 53 over
 * UDP and TCP (dns.c), from the network's gateway MAC.
 *
 * Address conflicts (RFC 5227 2.4): an ARP packet from the LAN whose
 * sender address is one of our containers' (and, for macvlan, not from
 * its MAC) means another host uses that address; it is dropped and
 * counted (ip_conflict) and logged, rate-limited, so neither the
 * container nor the switch learns from it.  Before an address is given,
 * lan_probe.c asks the LAN.
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
#include "ipam.h"
#include "lan.h"
#include "log.h"
#include "model.h"
#include "pipeline.h"
#include "port.h"
#include "router_port.h"
#include "trace.h"
#include "uplink.h"

/* lan_ipvlan_out() - An ipvlan frame leaves with the uplink's MAC: the
 * Ethernet source, and an ARP packet's sender (the LAN must map the
 * container's address to the uplink's MAC).  P is the last copy: the
 * network's own ports have theirs already. */
static void lan_ipvlan_out(struct network *n, struct pkt *p)
{
	struct ether_header *eth = (void *)p->data;
	const uint8_t *mac = uplink_mac(n->lan_ul);
	struct ether_arp *a;

	if (p->eth_type == ETHERTYPE_ARP) {
		a = pkt_header(p, p->l3_ofs, sizeof(*a));
		if (a && !memcmp(a->arp_sha, eth->ether_shost, 6))
			memcpy(a->arp_sha, mac, 6);
	}
	memcpy(eth->ether_shost, mac, 6);
}

/* lan_out() - Send P out of N's uplink too (no-op for --internal or a
 * frame that came from it). */
static void lan_out(struct network *n, struct pkt *p)
{
	if (!n->lan_port || p->in_port == n->lan_port)
		return;
	if (n->driver == NET_DRIVER_IPVLAN) {
		lan_ipvlan_out(n, p);
		trace_note(p, "lan", "out of the uplink, with the uplink's MAC");
	} else {
		trace_note(p, "lan", "out of the uplink, unchanged");
	}
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

/* lan_dport() - A UDP or TCP packet's destination port, else 0. */
static uint16_t lan_dport(const struct pkt *p)
{
	const uint16_t *ports;

	if (p->ip_proto != IPPROTO_UDP && p->ip_proto != IPPROTO_TCP)
		return 0;
	ports = pkt_header(p, p->l4_ofs, 4);
	return ports ? ntohs(ports[1]) : 0;
}

/* lan_resolver_port() - N's resolver as a router port. */
static void lan_resolver_port(const struct network *n, struct router_port *rp)
{
	rp->ip = vs_addr_get_v4(&n->lan_dns);
	memcpy(rp->mac, n->gw_mac, 6);
	rp->mtu = (uint16_t)(n->mtu > 0 ? n->mtu : 1500);
	rp->stage = "dns";
	rp->dp = n->dp;
}

/* lan_resolver() - A container's frame for the resolver's address (its ARP
 * request, or a packet to the gateway MAC): answered here.  True if taken. */
static bool lan_resolver(struct network *n, struct pkt *p, const struct ether_header *eth)
{
	const struct ether_arp *a;
	const struct iphdr *ip;
	struct router_port rp;
	uint32_t tpa;

	if (!n->dns || !p->in_port || p->in_port->role != PORT_ROLE_ENDPOINT)
		return false;
	lan_resolver_port(n, &rp);
	if (p->eth_type == ETHERTYPE_ARP && (eth->ether_dhost[0] & 1)) {
		a = pkt_header(p, p->l3_ofs, sizeof(*a));
		if (!a)
			return false;
		memcpy(&tpa, a->arp_tpa, 4);
		if (tpa != rp.ip)
			return false;
		router_port_arp_input(&rp, p);
		return true;
	}
	if (memcmp(eth->ether_dhost, n->gw_mac, 6))
		return false;
	ip = p->eth_type == ETHERTYPE_IP ? pkt_header(p, p->l3_ofs, sizeof(*ip)) : NULL;
	if (ip && ip->daddr == rp.ip && lan_dport(p) == 53 && !p->is_frag &&
	    dns_input(n, p->in_port->ep, p))
		return true;
	if (ip && ip->daddr == rp.ip && p->ip_proto == IPPROTO_ICMP && !p->is_frag)
		router_port_echo(&rp, p, ip);
	else
		port_drop(p->in_port, p, DROP_NOT_FOR_US);
	return true;
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

	if (lan_host_bound(n, p) || lan_resolver(n, p, eth))
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
	if (out == n->lan_port) {
		lan_out(n, p);
		return;
	}
	trace_event(p, "lan", TRACE_FORWARD, out, "fdb: known unicast");
	egress_output(out, p);
}

static bool lan_mac_conflict(struct network *n, const struct ether_header *eth);

/* lan_target_ip() - The address a frame from the LAN is for: an IPv4
 * destination or an ARP target; 0 for anything else. */
static uint32_t lan_target_ip(const struct pkt *p)
{
	const struct ether_arp *a;
	const struct iphdr *ip;
	uint32_t t = 0;

	if (p->eth_type == ETHERTYPE_IP) {
		ip = pkt_header(p, p->l3_ofs, sizeof(*ip));
		if (ip)
			t = ip->daddr;
	} else if (p->eth_type == ETHERTYPE_ARP) {
		a = pkt_header(p, p->l3_ofs, sizeof(*a));
		if (a)
			memcpy(&t, a->arp_tpa, 4);
	}
	return t;
}

/* lan_ipvlan_in() - A unicast to the uplink's MAC for one of N's
 * containers: rewrite it to the container's MAC (and an ARP reply's
 * target MAC); the container's endpoint, or NULL if not one of N's. */
static struct endpoint *lan_ipvlan_in(struct network *n, struct pkt *p,
				      const struct ether_header *eth)
{
	struct endpoint *ep;
	struct ether_arp *a;
	uint32_t t;

	if (memcmp(eth->ether_dhost, uplink_mac(n->lan_ul), 6))
		return NULL;
	t = lan_target_ip(p);
	ep = t ? model_endpoint_by_ip4(n, t) : NULL;
	if (!ep || !ep->port)
		return NULL;
	memcpy(((struct ether_header *)p->data)->ether_dhost, ep->mac, 6);
	a = p->eth_type == ETHERTYPE_ARP ? pkt_header(p, p->l3_ofs, sizeof(*a)) : NULL;
	if (a)
		memcpy(a->arp_tha, ep->mac, 6);
	return ep;
}

/* lan_ipvlan_arp_reply() - The LAN asks who has one of N's containers'
 * addresses: the switch answers, with the uplink's MAC.  True if it did. */
static bool lan_ipvlan_arp_reply(struct network *n, struct port *port, const struct pkt *p)
{
	const struct ether_arp *a = pkt_header(p, p->l3_ofs, sizeof(*a));
	struct router_port rp;
	struct endpoint *ep;
	struct pkt r;
	uint32_t tpa, spa;

	if (p->eth_type != ETHERTYPE_ARP || !a || a->arp_op != htons(ARPOP_REQUEST) ||
	    a->arp_hln != 6 || a->arp_pln != 4)
		return false;
	memcpy(&tpa, a->arp_tpa, 4);
	memcpy(&spa, a->arp_spa, 4);    /* ARP addresses sit at odd offsets */
	ep = model_endpoint_by_ip4(n, tpa);
	if (!ep || !ep->port)
		return false;
	rp.ip = tpa;
	memcpy(rp.mac, uplink_mac(n->lan_ul), 6);
	rp.mtu = 1500;
	rp.stage = "lan";
	rp.dp = n->dp;
	router_port_arp_build(&rp, &r, ARPOP_REPLY, a->arp_sha, a->arp_sha, spa);
	r.len = ETH_ZLEN;    /* minimum Ethernet frame, padded */
	trace_event(p, "lan", TRACE_LOCAL, port, "ARP for a container, answered with the uplink's MAC");
	port_tx_queue(port, &r);
	return true;
}

/* lan_ip_conflict() - An ARP packet of the LAN that claims one of N's
 * containers' addresses (RFC 5227 2.4): someone else uses it. */
static bool lan_ip_conflict(struct network *n, const struct pkt *p)
{
	const struct ether_arp *a;
	struct endpoint *ep;
	char ip[16], m[18];
	uint32_t spa;

	if (p->eth_type != ETHERTYPE_ARP || !(a = pkt_header(p, p->l3_ofs, sizeof(*a))))
		return false;
	memcpy(&spa, a->arp_spa, 4);
	ep = spa ? model_endpoint_by_ip4(n, spa) : NULL;
	if (!ep || (n->driver == NET_DRIVER_MACVLAN && !memcmp(a->arp_sha, ep->mac, 6)))
		return false;
	VLOG_RL(LOG_LVL_WARN, "network %s: address %s of container %s is also used on the LAN by %s",
		n->name, ipam_ntoa(spa, ip), ep->ctr->name, ipam_mac_str(a->arp_sha, m));
	return true;
}

/**
 * lan_offer() - Offer frame P from the LAN to network N
 * @n:		one of the uplink's LAN networks
 * @port:	the uplink's port (P's input port)
 * @p:		the frame
 * @eth:	its Ethernet header
 *
 * Return: true if P was a unicast for one of N's containers (no other
 * network, and not the uplink, needs to see it)
 */
static bool lan_offer(struct network *n, struct port *port, struct pkt *p,
		      const struct ether_header *eth)
{
	struct port *to;

	if (!(eth->ether_dhost[0] & 1)) {
		if (n->driver == NET_DRIVER_IPVLAN)
			to = lan_ipvlan_in(n, p, eth) ? port : NULL;
		else
			to = n->fdb ? fdb_lookup(n->fdb, eth->ether_dhost) : NULL;
		if (!to || (to != port && (to->role != PORT_ROLE_ENDPOINT || to->net != n)))
			return false;
	} else if (n->driver == NET_DRIVER_IPVLAN && lan_ipvlan_arp_reply(n, port, p)) {
		return false;
	}
	if (lan_ip_conflict(n, p)) {
		port_drop(port, p, DROP_IP_CONFLICT);
		return !(eth->ether_dhost[0] & 1);
	}
	if (lan_mac_conflict(n, eth)) {
		port_drop(port, p, DROP_LAN_MAC_CONFLICT);
		return false;
	}
	l2_forward(n, p);
	return !(eth->ether_dhost[0] & 1);
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
 * @p:		the frame, parsed; copies are queued (an ipvlan unicast is
 *		rewritten to its container's MAC first)
 *
 * Return: true if P was a unicast for a container, which the uplink's own
 * stages need not see
 */
bool lan_input(struct network *const *nets, unsigned int n_nets, struct port *port,
	       struct pkt *p)
{
	const struct ether_header *eth = pkt_header(p, 0, sizeof(*eth));
	struct port *saved = p->in_port;
	bool taken = false;
	unsigned int i;

	if (!eth || pkt_eth_tagged(eth) || (eth->ether_shost[0] & 1))
		return false;    /* the uplink's own checks count these if they are ours */
	p->in_port = port;
	for (i = 0; i < n_nets && !taken; i++)
		taken = lan_offer(nets[i], port, p, eth);
	p->in_port = saved;
	return taken;
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
