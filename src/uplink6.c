/* uplink6.c - the uplink's IPv6 address: neighbour discovery, NAT66, routing out.
 *
 * DOC: Theory of Operation
 *
 * `vswitchd --uplink-ip6 CIDR --uplink-gateway6 IP` gives an uplink a
 * second address, IPv6, on the same port and MAC as its IPv4 one
 * (uplink.c).  It behaves as the IPv4 side does, in IPv6's terms:
 *
 * - neighbour discovery (RFC 4861) instead of ARP: the uplink answers a
 *   solicitation for its address or its link-local one (fe80:: + the
 *   modified EUI-64 of its MAC) through the router port (router_port.c,
 *   the same code as a network's gateway), and resolves its next hop (the
 *   IPv6 gateway, or an on-link destination) by sending solicitations to
 *   the target's solicited-node group.  Answers go into a neighbour cache
 *   of its own (neigh.c, the gateway pinned), under the same rules as ARP:
 *   only an address the switch asked about is learned, a resolved entry
 *   changes only for a solicited advertisement, frames wait a bounded
 *   time in the shared queue.  Advertisements are checked as RFC 4861
 *   7.1.2 asks (hop limit 255, code 0, checksum, options); a bad one is
 *   dropped as bad_l4.
 * - ICMPv6 echo to its address is answered by the router port, from the
 *   outside and from containers.
 * - Every other packet to its address goes through nat_process_via() on
 *   the IPv6 external address (NAT66: replies to SNAT'd connections,
 *   published ports, hairpin) and on to its network (gateway_deliver6()),
 *   hop limit decremented as a router does.
 * - From a network, uplink_route_out6() (the gateway routes here, issue 14)
 *   SNATs to the uplink's IPv6 address and sends to the next hop.
 * - Routed mode (a network with -o
 *   com.docker.network.bridge.gateway_mode_ipv6=routed, meant for a
 *   global prefix that the LAN's router routes via our address): the
 *   same conntrack entry, not translated (nat.c's NAT_PLAN_ROUTED), so
 *   containers are seen with their own addresses; packets to that subnet
 *   come in by conntrack as replies only, and new connections from the
 *   outside are refused (not_for_us) as for NAT66.
 *
 * Multicast that is not neighbour discovery (router advertisements of the
 * LAN's router, MLD, other groups) is not the switch's business and is
 * ignored, as IPv4 broadcasts are.  Without --uplink-ip6 the uplink
 * ignores IPv6 altogether, as before.
 *
 * Limits: one IPv6 address and one IPv6 next hop per uplink; the first
 * uplink that has an IPv6 address takes all IPv6 traffic out (no IPv6
 * route table); no router advertisements are read (the address and
 * gateway are given, as Docker's --ipv6 host configuration is).
 */
#include <arpa/inet.h>
#include <net/ethernet.h>
#include <netinet/icmp6.h>
#include <netinet/ip6.h>
#include <stdio.h>
#include <string.h>
#include "csum.h"
#include "dp.h"
#include "log.h"
#include "model.h"
#include "nat.h"
#include "pipeline.h"
#include "pkt_build.h"
#include "port.h"
#include "router_port.h"
#include "trace.h"
#include "uplink.h"
#include "uplink_internal.h"

/* uplink6_of() - The uplink N's IPv6 packets leave by: the first one with
 * an IPv6 address (at most DP_MAX_UPLINKS looks), or NULL. */
static struct uplink *uplink6_of(const struct network *n)
{
	const struct dp *dp = n->dp;
	unsigned int i;

	for (i = 0; dp && i < dp->n_uplinks; i++)
		if (dp->uplinks[i]->up && dp->uplinks[i]->v6)
			return dp->uplinks[i];
	return NULL;
}

uint32_t uplink_mtu6(const struct network *n)
{
	struct uplink *ul = uplink6_of(n);

	return !ul ? 0 : ul->mtu ? ul->mtu : 1500;
}

/* uplink6_rport() - The uplink's IPv6 addresses as a router port; MAC is
 * whose frames the answers come from (the uplink's, or a gateway's). */
static void uplink6_rport(const struct uplink *ul, const uint8_t mac[6], struct router_port *rp)
{
	memset(rp, 0, sizeof(*rp));
	rp->ip = vs_addr_get_v4(&ul->out.ip);
	memcpy(rp->ip6, ul->ip6.b, 16);
	memcpy(rp->ll6, ul->ll6, 16);
	memcpy(rp->mac, mac, 6);
	rp->mtu = (uint16_t)(ul->mtu ? ul->mtu : 1500);
	rp->stage = "uplink";
	rp->dp = ul->dp;
}

static bool uplink6_link_local(const union vs_addr *a)
{
	return a->b[0] == 0xfe && (a->b[1] & 0xc0) == 0x80;
}

/**
 * uplink6_ns_request() - Ask who has entry E's IPv6 address
 * @ul:	uplink
 * @e:	the neighbour cache entry (at most one question a second)
 *
 * A solicitation to the target's solicited-node group (RFC 4861 7.2.2),
 * from our link-local address for a link-local target, else from our
 * address, with our MAC as the source link-layer option.
 */
void uplink6_ns_request(struct uplink *ul, struct neigh_entry *e)
{
	uint8_t buf[ETH_HLEN + 40 + 32], *l3, *m;
	struct pkt_ip6 h = { .nh = IPPROTO_ICMPV6, .hlim = 255 };
	const uint8_t *t = e->ip.b;
	uint8_t dmac[6] = { 0x33, 0x33, 0xff, t[13], t[14], t[15] };
	struct pkt r;

	if (!neigh_ask_due(e, uplink_now_ms(ul)))
		return;
	memcpy(h.src, uplink6_link_local(&e->ip) ? ul->ll6 : ul->ip6.b, 16);
	memset(h.dst, 0, 16);
	h.dst[0] = 0xff;
	h.dst[1] = 0x02;
	h.dst[11] = 1;
	h.dst[12] = 0xff;
	memcpy(h.dst + 13, t + 13, 3);
	l3 = pkt_build_eth(buf, dmac, ul->out.mac, ETHERTYPE_IPV6);
	m = pkt_build_ip6(l3, &h, 32);
	memset(m, 0, 32);
	m[0] = ND_NEIGHBOR_SOLICIT;
	memcpy(m + 8, t, 16);
	m[24] = ND_OPT_SOURCE_LINKADDR;
	m[25] = 1;
	memcpy(m + 26, ul->out.mac, 6);
	pkt_build_icmp6_csum(m, &h, 32);
	memset(&r, 0, sizeof(r));
	r.data = buf;
	r.len = sizeof(buf);
	r.flags = PKT_F_LOCAL;
	r.eth_type = ETHERTYPE_IPV6;
	r.ip_proto = IPPROTO_ICMPV6;
	r.l3_ofs = ETH_HLEN;
	r.l4_ofs = (uint16_t)(m - buf);
	port_tx_queue(ul->out.port, &r);
}

/* uplink6_na_tll() - The target link-layer option of advertisement M
 * (LEN bytes), or NULL; false if its options are malformed. */
static bool uplink6_na_tll(const uint8_t *m, uint32_t len, const uint8_t **tll)
{
	uint32_t o = sizeof(struct nd_neighbor_advert);

	*tll = NULL;
	while (o + 2 <= len) {
		uint32_t olen = m[o + 1] * 8u;

		if (!olen || o + olen > len)
			return false;
		if (m[o] == ND_OPT_TARGET_LINKADDR && olen >= 8)
			*tll = m + o + 2;
		o += olen;
	}
	return o == len;
}

/**
 * uplink6_na_input() - A neighbour advertisement: learn it if we asked
 * @ul:		uplink
 * @p:		the frame (ICMPv6 at p->l4_ofs)
 * @ip6:	its IPv6 header
 *
 * Frames that waited for the target leave at once.
 */
static void uplink6_na_input(struct uplink *ul, struct pkt *p, const struct ip6_hdr *ip6)
{
	uint32_t len = p->len - p->l4_ofs;
	const struct nd_neighbor_advert *na = pkt_header(p, p->l4_ofs, sizeof(*na));
	const struct ether_header *eth = (const void *)p->data;
	struct uplink_release rel = { .ul = ul };
	const uint8_t *m = (const uint8_t *)na, *mac;
	struct neigh_entry *a;
	union vs_addr target;

	if (!na || ip6->ip6_hlim != 255 || na->nd_na_code != 0 ||
	    csum_fold(csum_partial(m, len, csum_pseudo6(ip6->ip6_src.s6_addr, ip6->ip6_dst.s6_addr,
							IPPROTO_ICMPV6, len))) != 0 ||
	    !uplink6_na_tll(m, len, &mac) || na->nd_na_target.s6_addr[0] == 0xff) {
		port_drop(ul->out.port, p, DROP_BAD_L4);
		return;
	}
	if (!mac)
		mac = eth->ether_shost;     /* RFC 4861 4.4: may be left out when unicast */
	if (mac[0] & 1)
		return;
	memcpy(&target, &na->nd_na_target, 16);
	a = neigh_learn(&ul->neigh6, &target, mac,
			!!(na->nd_na_flags_reserved & ND_NA_FLAG_SOLICITED), uplink_now_ms(ul));
	if (!a)
		return;
	rel.mac = a->mac;
	neigh_pending_take(&ul->neigh6, &target, uplink_release_one, &rel);
}

/* uplink6_ns_input() - A solicitation: its sender's MAC is learned if we
 * were asking about it; the router port answers if it is about us. */
static void uplink6_ns_input(struct uplink *ul, struct pkt *p, const struct ip6_hdr *ip6)
{
	uint32_t len = p->len - p->l4_ofs;
	const uint8_t *m = pkt_header(p, p->l4_ofs, sizeof(struct nd_neighbor_solicit) + 8);
	struct router_port rp;
	union vs_addr src;

	memcpy(&src, &ip6->ip6_src, 16);
	if (m && len >= sizeof(struct nd_neighbor_solicit) + 8 && ip6->ip6_hlim == 255 &&
	    m[24] == ND_OPT_SOURCE_LINKADDR && m[25] == 1 && !vs_addr_is_any(&src) &&
	    !(m[26] & 1))
		neigh_learn(&ul->neigh6, &src, m + 26, false, uplink_now_ms(ul));
	uplink6_rport(ul, ul->out.mac, &rp);
	router_port_v6_input(&rp, p);   /* checks it in full; about others: nothing */
}

/* uplink6_own() - Is A our IPv6 address or our link-local one? */
static bool uplink6_own(const struct uplink *ul, const struct in6_addr *a)
{
	return !memcmp(a, ul->ip6.b, 16) || !memcmp(a, ul->ll6, 16);
}

/* uplink6_routed() - Is A in the subnet of a routed6 network (not
 * internal)?  The LAN's router sends those to our MAC: it routes the
 * prefix via our address. */
static bool uplink6_routed(const struct uplink *ul, const struct in6_addr *a)
{
	union vs_addr dst;
	struct network *n;

	memcpy(&dst, a, 16);
	n = gateway_route_net6(ul->dp, &dst);
	return n && n->routed6 && !n->internal;
}

/**
 * uplink6_send() - Send an IPv6 packet (translated) to the outside
 * @p:	packet, L2 header to be rewritten
 *
 * Return: DROP_NONE (sent or waiting; a frame that cannot wait is counted)
 */
static enum drop_reason uplink6_send(struct uplink *ul, struct pkt *p)
{
	const struct ip6_hdr *ip6 = pkt_l3(p);
	struct ether_header *eth = (void *)p->data;
	uint64_t now = uplink_now_ms(ul);
	struct neigh_entry *a;
	union vs_addr hop;

	memcpy(&hop, &ip6->ip6_dst, 16);
	if (!vs_prefix_contains(&ul->net6, &hop) && !uplink6_link_local(&hop))
		hop = ul->gw6;
	if (p->flags & PKT_F_DRYRUN) {
		trace_stage(p, "uplink");
		port_tx_queue(ul->out.port, p);
		return DROP_NONE;
	}
	a = neigh_find(&ul->neigh6, &hop);
	if (a && a->seen_ms) {
		memcpy(eth->ether_dhost, a->mac, 6);
		memcpy(eth->ether_shost, ul->out.mac, 6);
		if (now > a->seen_ms + NEIGH_TTL_MS)
			uplink6_ns_request(ul, a);   /* refresh, keep using */
		port_tx_queue(ul->out.port, p);
		return DROP_NONE;
	}
	return uplink_hold(ul, &ul->out, &hop, p, now);
}

/* uplink6_deliver() - Send a translated packet where NAT said. */
static enum drop_reason uplink6_deliver(struct uplink *ul, struct pkt *p, uint32_t zone)
{
	struct network *n;

	if (zone == CT_ZONE_OUTSIDE)
		return uplink6_send(ul, p);
	n = nat_zone_network(ul->dp->nat, zone);
	if (!n)
		return DROP_NO_ROUTE;
	gateway_deliver6(n, p);
	return DROP_NONE;
}

/* uplink6_hlim_dec() - A router's hop: false if none was left. */
static bool uplink6_hlim_dec(struct pkt *p)
{
	struct ip6_hdr *ip6 = pkt_l3(p);

	if (ip6->ip6_hlim <= 1)
		return false;
	ip6->ip6_hlim--;
	return true;
}

/* An ICMPv6 message type at P's upper layer, or -1. */
static int uplink6_icmp_type(const struct pkt *p)
{
	const uint8_t *m = p->ip_proto == IPPROTO_ICMPV6 ? pkt_header(p, p->l4_ofs, 4) : NULL;

	return m ? m[0] : -1;
}

/**
 * uplink6_input() - An IPv6 frame from the uplink's LAN
 * @ul:	uplink
 * @p:	frame, unicast to our MAC or multicast (parsed)
 */
void uplink6_input(struct uplink *ul, struct pkt *p)
{
	const struct ether_header *eth = (const void *)p->data;
	struct ip6_hdr *ip6 = pkt_header(p, p->l3_ofs, sizeof(*ip6));
	bool mcast = eth->ether_dhost[0] & 1;
	int type = uplink6_icmp_type(p);
	struct router_port rp;
	enum drop_reason r;
	uint32_t out;

	if (!ul->v6)
		return;         /* no IPv6 address here: not ours, as before */
	trace_stage(p, "uplink");
	if (!ip6 || (ip6->ip6_vfc >> 4) != 6 ||
	    ntohs(ip6->ip6_plen) > p->len - p->l3_ofs - sizeof(*ip6)) {
		if (!mcast)
			port_drop(ul->out.port, p, DROP_BAD_L3);
		return;
	}
	if (type == ND_NEIGHBOR_ADVERT) {
		uplink6_na_input(ul, p, ip6);
		return;
	}
	if (type == ND_NEIGHBOR_SOLICIT) {
		uplink6_ns_input(ul, p, ip6);
		return;
	}
	if (mcast)
		return;         /* the LAN's RAs, MLD, other groups */
	if (!uplink6_own(ul, &ip6->ip6_dst) && !uplink6_routed(ul, &ip6->ip6_dst)) {
		port_drop(ul->out.port, p, DROP_NOT_FOR_US);
		return;
	}
	if (type == ICMP6_ECHO_REQUEST && uplink6_own(ul, &ip6->ip6_dst)) {
		uplink6_rport(ul, ul->out.mac, &rp);
		router_port_v6_input(&rp, p);
		return;
	}
	r = nat_process_via(ul->dp->nat, p, CT_ZONE_OUTSIDE, ul->ext6, &out);
	if (r == DROP_NONE && out != CT_ZONE_OUTSIDE && !uplink6_hlim_dec(p))
		r = DROP_TTL_EXCEEDED;
	if (r == DROP_NONE)
		r = uplink6_deliver(ul, p, out);
	if (r != DROP_NONE)
		port_drop(ul->out.port, p, r);
}

/* uplink6_echo_local() - A container pinging the uplink's IPv6 address:
 * answered here, from its gateway's MAC, as uplink_echo_local() does. */
static bool uplink6_echo_local(struct uplink *ul, struct network *n, struct pkt *p)
{
	const struct ip6_hdr *ip6 = pkt_l3(p);
	struct router_port rp;

	if (memcmp(&ip6->ip6_dst, ul->ip6.b, 16) || uplink6_icmp_type(p) != ICMP6_ECHO_REQUEST)
		return false;
	uplink6_rport(ul, n->gw_mac, &rp);
	router_port_v6_input(&rp, p);
	return true;
}

/**
 * uplink_route_out6() - Route an IPv6 packet from network N to the outside
 * @n:	the network (its gateway decremented the hop limit)
 * @p:	the packet
 *
 * Return: DROP_NONE if taken (sent, waiting, or refused by conntrack/NAT
 * and counted), DROP_NO_ROUTE if there is no IPv6 uplink for N
 */
enum drop_reason uplink_route_out6(struct network *n, struct pkt *p)
{
	struct uplink *ul = uplink6_of(n);
	enum drop_reason r;
	uint32_t zone, out;

	if (!ul || n->internal)
		return DROP_NO_ROUTE;
	zone = nat_zone_of(ul->dp->nat, n);
	if (zone == CT_ZONE_OUTSIDE)
		return DROP_NO_ROUTE;
	if (uplink6_echo_local(ul, n, p))
		return DROP_NONE;
	r = nat_process_via(ul->dp->nat, p, zone, ul->ext6, &out);
	if (r == DROP_NONE)
		r = uplink6_deliver(ul, p, out);
	return uplink_count_refused(p, r);
}

/**
 * uplink_set_ip6() - Give uplink UL its IPv6 address and gateway
 * @ul:		an open uplink
 * @cidr:	"2001:db8::10/64" (no length: /128, nothing on-link)
 * @gw:		the IPv6 next hop for off-link destinations (a link-local
 *		router address is fine: link-local is always on-link)
 * @err:	one-line reason on failure
 * @errlen:	size of @err
 *
 * Return: 0, or -1 with ERR
 */
int uplink_set_ip6(struct uplink *ul, const char *cidr, const char *gw, char *err, size_t errlen)
{
	char buf[VS_PREFIX_STRLEN], perr[160];

	snprintf(buf, sizeof(buf), "%s%s", cidr, strchr(cidr, '/') ? "" : "/128");
	if (strlen(cidr) >= sizeof(buf) - 5 ||
	    vs_prefix_parse(buf, &ul->net6, false, perr, sizeof(perr)) < 0 ||
	    vs_addr_is_v4(&ul->net6.addr) || ul->net6.len < 1) {
		snprintf(err, errlen, "bad --uplink-ip6 %s: want an IPv6 address/len", cidr);
		return -1;
	}
	*strchr(buf, '/') = '\0';
	if (vs_addr_parse_af(buf, AF_INET6, &ul->ip6) < 0 || ul->ip6.b[0] == 0xff ||
	    vs_addr_is_any(&ul->ip6) || uplink6_link_local(&ul->ip6)) {
		snprintf(err, errlen, "bad --uplink-ip6 %s: want a global or unique local address",
			 cidr);
		return -1;
	}
	if (!gw || vs_addr_parse_af(gw, AF_INET6, &ul->gw6) < 0 || ul->gw6.b[0] == 0xff ||
	    vs_addr_is_any(&ul->gw6)) {
		snprintf(err, errlen, "bad --uplink-gateway6 %s: want a unicast IPv6 address",
			 gw ? gw : "(none)");
		return -1;
	}
	ul->ext6 = nat_ext_add_addr(ul->dp->nat, &ul->ip6);
	if (ul->ext6 < 0) {
		snprintf(err, errlen, "NAT has room for %d uplink addresses", NAT_MAX_EXT);
		return -1;
	}
	snprintf(ul->cidr6, sizeof(ul->cidr6), "%s", cidr);
	router_port_ll6(ul->out.mac, ul->ll6);
	neigh_init(&ul->neigh6, &ul->gw6);
	ul->v6 = true;
	uplink6_ns_request(ul, &ul->neigh6.gw);   /* resolve the gateway now */
	log_info("uplink %s: IPv6 %s via %s", ul->spec, cidr, gw);
	return 0;
}

/* uplink6_show_json() - The IPv6 fields of `show`'s uplink object. */
void uplink6_show_json(const struct uplink *ul, struct json_object *o)
{
	const struct neigh_entry *a = &ul->neigh6.gw;
	char buf[VS_ADDR_STRLEN];

	if (!ul->v6)
		return;
	json_object_object_add(o, "ip6", json_object_new_string(ul->cidr6));
	vs_addr_str(&ul->gw6, buf, sizeof(buf));
	json_object_object_add(o, "gateway6", json_object_new_string(buf));
	if (a->seen_ms) {
		snprintf(buf, sizeof(buf), "%02x:%02x:%02x:%02x:%02x:%02x", a->mac[0], a->mac[1],
			 a->mac[2], a->mac[3], a->mac[4], a->mac[5]);
		json_object_object_add(o, "gateway6_mac", json_object_new_string(buf));
	}
}
