/* ingress_v6.c - IPv6 port security for frames from a container port.
 *
 * DOC: Theory of Operation
 *
 * IPv6 is switched at L2 (not routed yet), but containers come up with
 * IPv6 on and accept_ra=1: a router advertisement from one container gave
 * another a default route and an address (audit finding 5, the
 * CVE-2020-13401 class).  So, before full IPv6 lands (issue 14 builds its
 * routing on this stage), every IPv6 frame from a port with port security
 * passes these checks; each refusal has its own drop reason:
 *
 *  - the header: version 6, 40 bytes, a payload length inside the frame
 *    (bad_l3, bad_ip_len);
 *  - the extension headers are walked to the upper-layer header, at most
 *    INGRESS_V6_MAX_EXT of them, each inside the payload; a first fragment
 *    must hold the whole chain (RFC 7112), and neighbour discovery is never
 *    fragmented (RFC 6980): else bad_ext_hdr.  A later fragment has no
 *    upper-layer header to judge; it is let through on its source check
 *    (its first fragment was judged, and receivers drop overlaps,
 *    RFC 5722);
 *  - the source is the port's own: its link-local address derived from its
 *    MAC (modified EUI-64, RFC 4291 appendix A, what Linux makes by
 *    default), or the IPv6 address IPAM gave it on a --ipv6 network
 *    (endpoint.ip6); "::" only
 *    for the messages that may use it (a DAD neighbour solicitation, a
 *    router solicitation, an MLD report): else src_ip6_spoof;
 *  - router roles are not a container's: router advertisements (nd_ra),
 *    redirects (nd_redirect), router renumbering (nd_router_renum) and
 *    DHCPv6 from the server/relay port 547 (dhcp6_server);
 *  - neighbour discovery speaks only for the port: a source link-layer
 *    option (solicitations) or target link-layer option (advertisements)
 *    is the port's MAC, and an advertisement's target is the port's own
 *    address (nd_spoof).  A solicitation may ask about anyone.
 *
 * Frames from ports without port security (--no-port-security) skip all
 * of it, as they skip the IPv4 and ARP checks.  The walk reads only
 * through pkt_header(), so nothing past the frame is ever read; nothing is
 * allocated and the work per frame is bounded by the header limit.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/ip6.h>
#include <netinet/icmp6.h>
#include <string.h>
#include "model.h"
#include "pipeline.h"

#define INGRESS_V6_MAX_EXT 8
#define INGRESS_V6_DHCP_SERVER 547
#define ICMP6_RR 138             /* router renumbering, RFC 2894 */
#define ICMP6_MLD2_REPORT 143    /* RFC 3810 */
#define ND_OPT_HDR 2

/* Where the walk ended: the upper-layer protocol and its offset. */
struct ingress_v6_l4 {
	uint8_t proto;
	uint32_t ofs;            /* PKT_OFS_NONE for a later fragment */
	uint32_t end;            /* end of the IPv6 payload in the frame */
	bool frag;               /* inside a fragmented datagram */
};

/* ingress_v6_lladdr() - The link-local address Linux derives from MAC
 * (fe80::/64 and the modified EUI-64 interface identifier). */
static void ingress_v6_lladdr(const uint8_t mac[6], uint8_t a[16])
{
	memset(a, 0, 16);
	a[0] = 0xfe;
	a[1] = 0x80;
	a[8] = mac[0] ^ 0x02;
	a[9] = mac[1];
	a[10] = mac[2];
	a[11] = 0xff;
	a[12] = 0xfe;
	a[13] = mac[3];
	a[14] = mac[4];
	a[15] = mac[5];
}

/* ingress_v6_own() - Is A (16 bytes) one of the endpoint's addresses? */
static bool ingress_v6_own(const struct endpoint *ep, const uint8_t *a)
{
	uint8_t ll[16];

	ingress_v6_lladdr(ep->mac, ll);
	if (memcmp(a, ll, 16) == 0)
		return true;
	/* A --ipv6 network's endpoint: the address IPAM gave it (endpoint.ip6). */
	return ep->net && ep->net->ipv6 && memcmp(a, ep->ip6.b, 16) == 0;
}

static bool ingress_v6_is_ext(uint8_t nh)
{
	return nh == IPPROTO_HOPOPTS || nh == IPPROTO_ROUTING || nh == IPPROTO_DSTOPTS ||
	       nh == IPPROTO_FRAGMENT || nh == IPPROTO_AH;
}

/* ingress_v6_ext_len() - Length of extension header NH at H (8 bytes
 * readable): RFC 8200 4.3-4.6, AH's in 4-byte units (RFC 4302). */
static uint32_t ingress_v6_ext_len(uint8_t nh, const uint8_t *h)
{
	if (nh == IPPROTO_FRAGMENT)
		return 8;
	if (nh == IPPROTO_AH)
		return (h[1] + 2u) * 4u;
	return (h[1] + 1u) * 8u;
}

/**
 * ingress_v6_walk() - Find the upper-layer header after the extensions
 * @p:		frame, l3_ofs at a checked 40-byte IPv6 header
 * @l4:		filled: protocol, offset, payload end, fragment
 *
 * Return: DROP_NONE, or DROP_BAD_EXT_HDR (chain too long, or past the
 * payload: in a first fragment, the chain not whole)
 */
static enum drop_reason ingress_v6_walk(const struct pkt *p, struct ingress_v6_l4 *l4)
{
	const struct ip6_hdr *ip6 = pkt_l3(p);
	uint32_t ofs = p->l3_ofs + sizeof(*ip6), len;
	uint8_t nh = ip6->ip6_nxt;
	const uint8_t *h;
	unsigned int i;

	l4->end = p->l3_ofs + (uint32_t)sizeof(*ip6) + ntohs(ip6->ip6_plen);
	l4->frag = false;
	for (i = 0; i < INGRESS_V6_MAX_EXT; i++) {
		if (!ingress_v6_is_ext(nh)) {
			l4->proto = nh;
			l4->ofs = nh == IPPROTO_NONE ? PKT_OFS_NONE : ofs;
			return DROP_NONE;
		}
		h = pkt_header(p, ofs, 8);
		if (!h || ofs + 8 > l4->end)
			return DROP_BAD_EXT_HDR;
		if (nh == IPPROTO_FRAGMENT) {
			l4->frag = true;
			if ((h[2] << 8 | h[3]) & 0xfff8) {   /* fragment offset */
				l4->proto = h[0];
				l4->ofs = PKT_OFS_NONE;   /* a later fragment */
				return DROP_NONE;
			}
		}
		len = ingress_v6_ext_len(nh, h);
		if (ofs + len > l4->end)
			return DROP_BAD_EXT_HDR;
		nh = h[0];
		ofs += len;
	}
	return DROP_BAD_EXT_HDR;
}

/**
 * ingress_v6_nd_opts() - Check ND options: every link-layer address
 * option of type WANT names the port's MAC
 * @ep:		endpoint
 * @p:		frame
 * @ofs:	first option
 * @end:	end of the message
 * @want:	ND_OPT_SOURCE_LINKADDR or ND_OPT_TARGET_LINKADDR
 *
 * Return: DROP_NONE, DROP_BAD_L4 (an option of length 0 or past the
 * end: hosts discard the message, RFC 4861 4.6), or DROP_ND_SPOOF
 */
static enum drop_reason ingress_v6_nd_opts(const struct endpoint *ep, const struct pkt *p,
					   uint32_t ofs, uint32_t end, uint8_t want)
{
	const uint8_t *o;
	uint32_t len;

	while (ofs < end) {
		o = pkt_header(p, ofs, ND_OPT_HDR);
		if (!o || o[1] == 0)
			return DROP_BAD_L4;
		len = o[1] * 8u;
		if (ofs + len > end || !pkt_header(p, ofs, len))
			return DROP_BAD_L4;
		if (o[0] == want && (len < 8 || memcmp(o + 2, ep->mac, 6) != 0))
			return DROP_ND_SPOOF;
		ofs += len;
	}
	return DROP_NONE;
}

/**
 * ingress_v6_icmp() - Router roles and neighbour discovery
 * @ep:		endpoint (port security on)
 * @p:		frame
 * @l4:		where the ICMPv6 message is
 * @unspec:	the source is "::"
 *
 * Return: DROP_NONE or the reason
 */
static enum drop_reason ingress_v6_icmp(const struct endpoint *ep, const struct pkt *p,
					const struct ingress_v6_l4 *l4, bool unspec)
{
	const uint8_t *m = pkt_header(p, l4->ofs, 4);
	uint32_t hdr;

	if (!m || l4->ofs + 4 > l4->end)
		return l4->frag ? DROP_BAD_EXT_HDR : DROP_BAD_L4;
	switch (m[0]) {
	case ND_ROUTER_ADVERT:
		return DROP_ND_RA;
	case ND_REDIRECT:
		return DROP_ND_REDIRECT;
	case ICMP6_RR:
		return DROP_ND_ROUTER_RENUM;
	case ND_ROUTER_SOLICIT: case ND_NEIGHBOR_SOLICIT: case ND_NEIGHBOR_ADVERT:
		break;
	case MLD_LISTENER_REPORT: case ICMP6_MLD2_REPORT:
		return DROP_NONE;        /* "::" allowed (RFC 3590) */
	default:
		return unspec ? DROP_SRC_IP6_SPOOF : DROP_NONE;
	}
	if (l4->frag)
		return DROP_BAD_EXT_HDR; /* RFC 6980: ND is never fragmented */
	hdr = m[0] == ND_ROUTER_SOLICIT ? 8 : 24;
	if (l4->ofs + hdr > l4->end || !pkt_header(p, l4->ofs, hdr))
		return DROP_BAD_L4;
	if (m[0] == ND_NEIGHBOR_ADVERT) {
		if (unspec || !ingress_v6_own(ep, m + 8))
			return DROP_ND_SPOOF;
		return ingress_v6_nd_opts(ep, p, l4->ofs + hdr, l4->end, ND_OPT_TARGET_LINKADDR);
	}
	return ingress_v6_nd_opts(ep, p, l4->ofs + hdr, l4->end, ND_OPT_SOURCE_LINKADDR);
}

/* DHCPv6 from the server/relay port: a container is a client only. */
static enum drop_reason ingress_v6_udp(const struct pkt *p, const struct ingress_v6_l4 *l4)
{
	const uint8_t *u = pkt_header(p, l4->ofs, 8);

	if (!u || l4->ofs + 8 > l4->end)
		return l4->frag ? DROP_BAD_EXT_HDR : DROP_BAD_L4;
	return (u[0] << 8 | u[1]) == INGRESS_V6_DHCP_SERVER ? DROP_DHCP6_SERVER : DROP_NONE;
}

/**
 * ingress_v6_check() - IPv6 port security for frame P from endpoint EP
 * @ep:		the endpoint, whose port has port security on
 * @p:		parsed frame with eth_type IPv6
 *
 * Return: DROP_NONE to accept, else the reason to drop it
 */
enum drop_reason ingress_v6_check(const struct endpoint *ep, const struct pkt *p)
{
	const struct ip6_hdr *ip6 = pkt_header(p, p->l3_ofs, sizeof(*ip6));
	static const uint8_t unspec[16];
	struct ingress_v6_l4 l4;
	enum drop_reason why;
	bool any;

	if (!ip6 || (ip6->ip6_vfc >> 4) != 6)
		return DROP_BAD_L3;
	if (ntohs(ip6->ip6_plen) > p->len - p->l3_ofs - sizeof(*ip6))
		return DROP_BAD_IP_LEN;
	any = memcmp(&ip6->ip6_src, unspec, 16) == 0;
	if (!any && !ingress_v6_own(ep, (const uint8_t *)&ip6->ip6_src))
		return DROP_SRC_IP6_SPOOF;
	why = ingress_v6_walk(p, &l4);
	if (why != DROP_NONE)
		return why;
	if (l4.ofs == PKT_OFS_NONE)
		return any ? DROP_SRC_IP6_SPOOF : DROP_NONE;
	if (l4.proto == IPPROTO_ICMPV6)
		return ingress_v6_icmp(ep, p, &l4, any);
	if (any)
		return DROP_SRC_IP6_SPOOF;
	if (l4.proto == IPPROTO_UDP)
		return ingress_v6_udp(p, &l4);
	return DROP_NONE;
}
