/* fuzz_pipeline.c - libFuzzer target for the whole frame pipeline.
 *
 * Any frame in, whatever out: the input is cut into frames that enter
 * the real pipeline (port rx, parse, ingress, l2, gateway, conntrack/NAT,
 * DNS, egress, port tx) of the world in fuzz_world.c, on its container
 * ports and its uplink, with the fake clock moved between bursts so that
 * conntrack, the fdb and the DNS limits expire things.
 *
 * Input: records of [sel][len_hi][len_lo][len bytes of frame] (a short
 * last record takes what is left).  sel's bits:
 *   0-2  the port: 0-4 the endpoints (c1@fz1 c2@fz1 c4@fz1 c3@fz2
 *        c1@fz2), 5 the uplink, 6 c5@fz3 (the overlay network), 7 the
 *        tunnel, whose frames are [outer source IPv4, 4 bytes][UDP
 *        payload: VXLAN header and inner frame] (fw_vxlan_rx)
 *   3    start a new burst (frames of one port otherwise share a burst)
 *   4-7  advance the clock first, by fuzz_steps_ms[bits] (0: not at all)
 * A one-byte length prefix would cap frames at 255 bytes and hide the
 * MTU, GSO-size and truncation paths; two bytes reach all of them.
 *
 * After each burst and clock step, cheap invariants are checked and any
 * breach aborts (a crash to the fuzzer):
 *  - every frame sent fits the port's buffer and holds an Ethernet header;
 *  - a container port never gets a frame longer than its network's MTU
 *    (unless GSO), nor a frame from another network: its source MAC is
 *    its gateway's, or the burst came from a port of the same network;
 *  - the uplink only sends from its own MAC, and IPv4 only from its own
 *    address (NAT leaks no container address);
 *  - frames the switch made itself (PKT_F_LOCAL) carry a valid IPv4
 *    header checksum;
 *  - no frame leaves with a VLAN tag (audit finding 4);
 *  - no IPv6 router advertisement, redirect or router renumbering that
 *    came in on a container port with port security reaches another
 *    port, behind extension headers or not (finding 5: walked here on
 *    its own, so a mistake in ingress_v6.c's walk shows); the one router
 *    advertisement the switch makes (PKT_F_LOCAL: the gateway's answer
 *    to a router solicitation) comes from the network's gateway MAC and
 *    goes back to the port that solicited only;
 *  - conntrack holds at most its limit; no port learned more MACs than
 *    the cap;
 *  - a frame from the tunnel reaches only ports of an overlay network,
 *    and what the tunnel sends is a VXLAN packet with the I flag, the
 *    VNI of an overlay network, DF, to a member of that network, and no
 *    longer than the tunnel carries (it never fragments).
 * At the end the clock moves by six days: conntrack and the DNS TCP
 * responder must then be empty (everything expires), and the world is
 * taken down (LeakSanitizer then checks that nothing was lost).
 */
#include <arpa/inet.h>
#include <net/ethernet.h>
#include <netinet/if_ether.h>
#include <netinet/ip.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "csum.h"
#include "ct.h"
#include "model.h"
#include "dns_internal.h"
#include "fuzz_world.h"
#include "overlay.h"
#include "router_port.h"
#include "uplink.h"
#include "vxlan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint64_t fuzz_steps_ms[16] = {
	0, 1, 10, 100, 400, 1000, 5000, 10001, 30001, 60000, 120001, 240001,
	300001, 600000, 3600000, 432000001,
};

static struct port *fuzz_in;   /* the port of the burst being processed */

/* A frame the switch made: a well-formed IPv4 header. */
static void fuzz_check_local_ip(const struct pkt *p)
{
	struct iphdr ip;
	uint32_t hl;

	FUZZ_CHECK(p->len >= 14 + sizeof(ip), "local IPv4 frame of %u bytes", p->len);
	memcpy(&ip, p->data + 14, sizeof(ip));
	hl = ip.ihl * 4u;
	FUZZ_CHECK(ip.version == 4 && hl >= 20 && p->len >= 14 + hl,
		   "local IPv4 frame with a bad header");
	FUZZ_CHECK(ntohs(ip.tot_len) >= hl && ntohs(ip.tot_len) <= p->len - 14,
		   "local IPv4 frame: tot_len %u, frame %u", ntohs(ip.tot_len), p->len);
	FUZZ_CHECK(csum(p->data + 14, hl) == 0, "local IPv4 frame: bad header checksum");
}

/* The ICMPv6 type of an IPv6 frame after up to 8 hop-by-hop, routing or
 * destination options headers, or -1. */
static int fuzz_icmp6_type(const struct pkt *p)
{
	uint32_t ofs = 14 + 40, i;
	uint8_t nh;

	if (p->len < 14 + 40 || p->data[12] != 0x86 || p->data[13] != 0xdd)
		return -1;
	nh = p->data[14 + 6];
	for (i = 0; i < 8 && (nh == 0 || nh == 43 || nh == 60); i++) {
		if (ofs + 2 > p->len)
			return -1;
		nh = p->data[ofs];
		ofs += (p->data[ofs + 1] + 1u) * 8u;
	}
	return nh == 58 && ofs < p->len ? p->data[ofs] : -1;
}

static void fuzz_check_no_router_roles(const struct port *port, const struct pkt *p)
{
	int t = fuzz_icmp6_type(p);

	if (!fuzz_in || fuzz_in->role != PORT_ROLE_ENDPOINT || !fuzz_in->ep ||
	    !fuzz_in->ep->port_security)
		return;
	if (p->flags & PKT_F_LOCAL) {
		FUZZ_CHECK(t != 134 || (port == fuzz_in && port->net &&
					!memcmp(p->data + 6, port->net->gw_mac, 6)),
			   "the gateway's router advertisement for %s reached %s",
			   fuzz_in->name, port->name);
		return;
	}
	FUZZ_CHECK(t != 134 && t != 137 && t != 138,
		   "ICMPv6 type %d from %s (port security) reached %s", t, fuzz_in->name,
		   port->name);
}

static void fuzz_check_endpoint_tx(const struct port *port, const struct pkt *p)
{
	const struct network *n = port->net;

	FUZZ_CHECK(n, "endpoint port %s has no network", port->name);
	FUZZ_CHECK((p->flags & PKT_F_GSO) || p->len <= (uint32_t)n->mtu + 18,
		   "%u-byte frame on %s, MTU %d", p->len, port->name, n->mtu);
	FUZZ_CHECK(!memcmp(p->data + 6, n->gw_mac, 6) ||
		   (fuzz_in && fuzz_in->role == PORT_ROLE_ENDPOINT && fuzz_in->net == n) ||
		   (fuzz_in && fuzz_in->role == PORT_ROLE_TUNNEL && n->overlay),
		   "frame from %s reached %s of another network",
		   fuzz_in ? fuzz_in->name : "(no port)", port->name);
}

/* What the tunnel sends: a VXLAN packet of an overlay network to one of
 * its members, DF set, never longer than the tunnel carries. */
static void fuzz_check_tunnel_tx(const struct pkt *p)
{
	const uint8_t *ip = p->data + 14, *vx = p->data + VXLAN_OUTER_LEN;
	struct network *n;
	union vs_addr dst;
	uint32_t vni, a;

	FUZZ_CHECK(p->len >= VXLAN_ENCAP_LEN + 14, "%u-byte packet on the tunnel", p->len);
	FUZZ_CHECK(p->len - VXLAN_ENCAP_LEN <= port_vxlan_mtu(&fw.dp) + 14,
		   "a %u-byte inner frame on a tunnel that carries %u", p->len - VXLAN_ENCAP_LEN,
		   port_vxlan_mtu(&fw.dp));
	FUZZ_CHECK(ip[0] == 0x45 && (ip[6] & 0x40) && ip[9] == IPPROTO_UDP,
		   "the tunnel's outer IPv4 header: %02x, frag %02x, proto %u", ip[0], ip[6], ip[9]);
	vni = (uint32_t)vx[4] << 16 | (uint32_t)vx[5] << 8 | vx[6];
	FUZZ_CHECK(vx[0] == VXLAN_FLAG_VNI && !vx[1] && !vx[2] && !vx[3] && !vx[7],
		   "VXLAN flags %02x or reserved bits sent", vx[0]);
	n = overlay_by_vni(&fw.dp, vni);
	FUZZ_CHECK(n, "VNI %u sent, no overlay network has it", vni);
	memcpy(&a, ip + 16, 4);
	vs_addr_set_v4(&dst, a);
	FUZZ_CHECK(overlay_member_find(n, &dst), "a VXLAN packet to %08x, not a member of %s",
		   ntohl(a), n->name);
}

/* IPv6 leaves the uplink only from its own addresses: NAT66 put the
 * uplink's address on every container's packet, and neighbour discovery
 * speaks from it or from the uplink's link-local address. */
static void fuzz_check_uplink_tx6(const struct pkt *p)
{
	uint8_t own[16], ll[16];

	FUZZ_CHECK(p->len >= 14 + 40, "short IPv6 frame on the uplink");
	inet_pton(AF_INET6, FW_UPLINK_IP6, own);
	router_port_ll6(fw.uplink_mac, ll);
	FUZZ_CHECK(!memcmp(p->data + 22, own, 16) || !memcmp(p->data + 22, ll, 16),
		   "IPv6 from a source not the uplink's left on the uplink");
}

static void fuzz_check_uplink_tx(const struct pkt *p)
{
	uint16_t type = (uint16_t)(p->data[12] << 8 | p->data[13]);
	uint32_t ip = uplink_ip(dp_uplink_first(&fw.dp)), a;

	FUZZ_CHECK(!memcmp(p->data + 6, fw.uplink_mac, 6), "uplink frame from a foreign MAC");
	if (type == ETHERTYPE_IP) {
		FUZZ_CHECK(p->len >= 14 + 20, "short IPv4 frame on the uplink");
		memcpy(&a, p->data + 14 + 12, 4);
		FUZZ_CHECK(a == ip, "IPv4 from %08x left on the uplink", ntohl(a));
	} else if (type == ETHERTYPE_IPV6) {
		fuzz_check_uplink_tx6(p);
	} else {
		FUZZ_CHECK(type == ETHERTYPE_ARP && p->len >= 14 + 28,
			   "ethertype %04x on the uplink", type);
		memcpy(&a, p->data + 14 + 14, 4);
		FUZZ_CHECK(a == ip, "ARP for %08x sent on the uplink", ntohl(a));
	}
}

/* VSW_FUZZ_VERBOSE=1: one line per frame sent, to see what an input does. */
static void fuzz_show(const struct port *port, const struct pkt *p)
{
	char s[16] = "-", d[16] = "-";

	if (p->len >= 34 && p->data[12] == 0x08 && p->data[13] == 0x00) {
		inet_ntop(AF_INET, p->data + 26, s, sizeof(s));
		inet_ntop(AF_INET, p->data + 30, d, sizeof(d));
	}
	fprintf(stderr, "tx %-12s %5u bytes type %02x%02x proto %3u %s > %s\n", port->name,
		p->len, p->data[12], p->data[13], p->len >= 34 ? p->data[23] : 0u, s, d);
}

static void fuzz_tx(struct port *port, struct pkt *const *pkts, unsigned int n)
{
	static int verbose = -1;
	unsigned int i;

	if (verbose < 0)
		verbose = getenv("VSW_FUZZ_VERBOSE") != NULL;
	for (i = 0; i < n; i++) {
		const struct pkt *p = pkts[i];

		if (verbose)
			fuzz_show(port, p);

		if (port->role == PORT_ROLE_TUNNEL) {
			fuzz_check_tunnel_tx(p);
			continue;
		}
		FUZZ_CHECK(p->len >= 14 && p->len <= PKT_BUF_SIZE - PKT_HEADROOM,
			   "%u-byte frame sent on %s", p->len, port->name);
		FUZZ_CHECK(!pkt_eth_tagged(p->data), "a tagged frame left on %s", port->name);
		fuzz_check_no_router_roles(port, p);
		if (port->role == PORT_ROLE_UPLINK)
			fuzz_check_uplink_tx(p);
		else
			fuzz_check_endpoint_tx(port, p);
		if ((p->flags & PKT_F_LOCAL) && p->data[12] == 0x08 && p->data[13] == 0x00)
			fuzz_check_local_ip(p);
	}
}

static void fuzz_check_tables(void)
{
	const struct ct_stats *cs = ct_get_stats(fw.dp.ct);
	struct port *port = NULL;

	FUZZ_CHECK(cs->entries <= FW_CT_LIMIT, "%llu conntrack entries, limit %d",
		   (unsigned long long)cs->entries, FW_CT_LIMIT);
	FUZZ_CHECK(ct_table_check(fw.dp.ct) == 0,
		   "conntrack's table is not exactly its live entries' tuples");
	while ((port = port_next(&fw.dp, port)))
		FUZZ_CHECK(port->n_learned <= FW_FDB_MAX, "port %s learned %u MACs",
			   port->name, port->n_learned);
}

/* The burst being collected. */
static struct {
	struct port *port;
	const uint8_t *frames[PKT_BURST];
	uint32_t lens[PKT_BURST];
	unsigned int n;
} fuzz_burst;

static void fuzz_flush_burst(void)
{
	if (!fuzz_burst.n)
		return;
	fuzz_in = fuzz_burst.port;
	fw_rx(fuzz_burst.port, fuzz_burst.frames, fuzz_burst.lens, fuzz_burst.n);
	fuzz_in = NULL;
	fuzz_burst.n = 0;
	fuzz_check_tables();
}

static struct port *fuzz_port(uint8_t sel)
{
	static const int map[8] = { 0, 1, 2, 3, 4, -1, 5, -2 };
	int i = map[sel & 7];

	return i == -2 ? fw.vxlan : i < 0 ? fw.uplink : fw.ep[i]->port;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t off = 0;

	fw_build();
	fw_tx_hook = fuzz_tx;
	while (off + 3 <= size) {
		uint8_t sel = data[off];
		size_t len = (size_t)data[off + 1] << 8 | data[off + 2];
		struct port *port = fuzz_port(sel);

		off += 3;
		if (len > size - off)
			len = size - off;
		if (port != fuzz_burst.port || (sel & 8) || (sel >> 4) ||
		    fuzz_burst.n == PKT_BURST)
			fuzz_flush_burst();
		if (sel >> 4) {
			fw_advance(fuzz_steps_ms[sel >> 4]);
			fuzz_check_tables();
		}
		fuzz_burst.port = port;
		fuzz_burst.frames[fuzz_burst.n] = data + off;
		fuzz_burst.lens[fuzz_burst.n++] = (uint32_t)len;
		off += len;
	}
	fuzz_flush_burst();
	fw_advance(6ULL * 24 * 3600 * 1000);
	FUZZ_CHECK(ct_get_stats(fw.dp.ct)->entries == 0, "%llu conntrack entries outlived every timeout",
		   (unsigned long long)ct_get_stats(fw.dp.ct)->entries);
	FUZZ_CHECK(dns_tcp_conns(fw.dp.dns) == 0, "%u DNS TCP connections outlived the idle timeout",
		   dns_tcp_conns(fw.dp.dns));
	fw_tx_hook = NULL;
	fw_teardown();
	fuzz_burst.port = NULL;
	return 0;
}
