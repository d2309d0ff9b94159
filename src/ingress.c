/* ingress.c - the first stage for frames from a container port.
 *
 * DOC: Theory of Operation
 *
 * port.c hands over a burst that parse.c has already parsed (offsets
 * checked against the length).  Ingress decides, per frame, whether the
 * switch accepts it at all, before anything learns from it: "insert into
 * forwarding database after filtering to avoid spoofing" (br_input.c).
 *
 * Checks, in order:
 *  1. Sanity: at least an Ethernet header; a source MAC that is unicast
 *     and not zero (a multicast source would poison the fdb); no VLAN tag
 *     (802.1Q, 802.1ad or the old 0x9100 QinQ), with or without port
 *     security: networks are untagged, and a tag the container chose
 *     would otherwise survive routing and NAT and leave the uplink into
 *     the VLAN of the container's choice (VLAN hopping); no longer than
 *     the network's MTU plus the Ethernet header.  A container that raises its own interface's MTU must not
 *     get giant frames past the switch: they are the sender's fault, so
 *     they are refused here, on the port that sent them, rather than at
 *     every output port of a flood.  GSO frames (PKT_F_GSO, from ports that
 *     negotiated offloads) are up to 64 KB by design; the segments they
 *     will be cut into must fit the MTU.
 *  2. Port security (endpoint's port_security, on by default, as Docker's
 *     bridge with its fixed MACs): the source MAC is the endpoint's; an
 *     IPv4 source is the endpoint's address; an ARP sender is the
 *     endpoint's MAC and address.  ARP probes (RFC 5227: sender IP
 *     0.0.0.0) are let through, as they claim nothing and poison no cache.
 *     IPv6 has checks of its own (ingress_v6.c: router advertisements,
 *     redirects, DHCPv6 servers, neighbour discovery and sources).  Other
 *     ethertypes pass with the MAC check.
 * Every refusal is counted on the port by reason; nothing is logged per
 * packet.  Accepted frames go to l2_forward() for the port's network.
 * Uplink ports never come here (their rx_handler is uplink.c's).
 */
#include <arpa/inet.h>
#include <net/ethernet.h>
#include <netinet/if_ether.h>
#include <netinet/ip.h>
#include <string.h>
#include "model.h"
#include "pipeline.h"
#include "port.h"
#include "trace.h"

#define INGRESS_DEFAULT_MTU 1500

static bool ingress_mac_ok(const uint8_t *mac)
{
	static const uint8_t zero[6];

	return !(mac[0] & 1) && memcmp(mac, zero, 6) != 0;
}

/* A TCPv6 GSO frame (TSO6): its segments are the fixed header, the TCP
 * header and gso_size bytes (port_offload.c cuts only frames with TCP
 * right after the fixed header; others are judged by their whole size). */
static bool ingress_too_big6(const struct pkt *p, uint32_t max)
{
	const uint8_t *ip6 = pkt_header(p, p->l3_ofs, 40);
	const uint8_t *th = pkt_header(p, p->l3_ofs + 40u, 20);

	if (!ip6 || !th || ip6[6] != IPPROTO_TCP)
		return p->len > max;
	return ETHER_HDR_LEN + 40u + (th[12] >> 4) * 4u + p->vnet.gso_size > max;
}

/* Longer than network N's MTU allows on the wire; p->len has no Ethernet
 * padding left (parse.c trimmed it), so a minimum-size frame never fails.
 * A GSO frame is judged by the segments it will be cut into (its headers
 * plus the gso_size the sender chose): a sender that picks segments over
 * the MTU must not get them past the switch (audit item 21). */
static bool ingress_too_big(const struct network *n, const struct pkt *p)
{
	uint32_t max = (uint32_t)(n->mtu > 0 ? n->mtu : INGRESS_DEFAULT_MTU) + ETHER_HDR_LEN;
	const struct iphdr *ip;

	if (!(p->flags & PKT_F_GSO))
		return p->len > max;
	if (p->eth_type == ETHERTYPE_IPV6)
		return ingress_too_big6(p, max);
	ip = p->eth_type == ETHERTYPE_IP ? pkt_header(p, p->l3_ofs, sizeof(*ip)) : NULL;
	return ip && ETHER_HDR_LEN + pkt_wire_ip_len(p, ntohs(ip->tot_len), ip->ihl * 4u) > max;
}

/* IPv4 source must be the endpoint's address. */
static enum drop_reason ingress_check_ip(const struct endpoint *ep, const struct pkt *p)
{
	const struct iphdr *ip = pkt_header(p, p->l3_ofs, sizeof(*ip));
	uint32_t saddr;

	if (!ip)
		return DROP_BAD_L3;
	memcpy(&saddr, &ip->saddr, 4);
	return vs_addr_eq_v4(&ep->ip, saddr) ? DROP_NONE : DROP_SRC_IP_SPOOF;
}

/* ARP sender hardware and protocol address must be the endpoint's. */
static enum drop_reason ingress_check_arp(const struct endpoint *ep, const struct pkt *p)
{
	const struct ether_arp *a = pkt_header(p, p->l3_ofs, sizeof(*a));
	uint32_t spa;

	if (!a)
		return DROP_BAD_L3;
	memcpy(&spa, a->arp_spa, 4);
	if (memcmp(a->arp_sha, ep->mac, 6) != 0)
		return DROP_ARP_SPOOF;
	if (!vs_addr_eq_v4(&ep->ip, spa) && spa != 0)
		return DROP_ARP_SPOOF;
	return DROP_NONE;
}

/**
 * ingress_check() - Decide whether frame P from port IN is accepted
 * @in:		input port
 * @p:		parsed frame
 *
 * Return: DROP_NONE to accept, else the reason to drop it
 */
static enum drop_reason ingress_check(const struct port *in, const struct pkt *p)
{
	const struct ether_header *eth = pkt_header(p, 0, sizeof(*eth));
	const struct endpoint *ep = in->ep;

	if (!eth)
		return DROP_RUNT;
	if (!ingress_mac_ok(eth->ether_shost))
		return DROP_BAD_SRC_MAC;
	if (pkt_eth_tagged(eth))
		return DROP_VLAN_TAGGED;
	if (ingress_too_big(in->net, p))
		return DROP_MTU;
	if (!ep || !ep->port_security)
		return DROP_NONE;
	if (memcmp(eth->ether_shost, ep->mac, 6) != 0)
		return DROP_SRC_MAC_SPOOF;
	if (p->eth_type == ETHERTYPE_IP)
		return ingress_check_ip(ep, p);
	if (p->eth_type == ETHERTYPE_ARP)
		return ingress_check_arp(ep, p);
	if (p->eth_type == ETHERTYPE_IPV6)
		return ingress_v6_check(ep, p);
	return DROP_NONE;
}

/**
 * ingress_run() - Check a burst from a container port and switch it
 * @in:		port the burst came from
 * @b:		parsed frames
 */
void ingress_run(struct port *in, struct pkt_batch *b)
{
	enum drop_reason why;
	struct pkt *p;
	unsigned int i;

	if (in->net)
		uplink_prefetch(in->net, b);
	PKT_BATCH_FOR_EACH(i, p, b) {
		p->in_port = in;
		trace_stage(p, "ingress");
		if (!in->net) {
			port_drop(in, p, DROP_UNSUPPORTED);
			continue;
		}
		why = ingress_check(in, p);
		if (why != DROP_NONE) {
			port_drop(in, p, why);
			continue;
		}
		trace_event(p, "ingress", TRACE_ACCEPT, in,
			    "sane, and its source is the container's own");
		l2_forward(in->net, p);
	}
}
