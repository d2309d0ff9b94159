/* mld_snoop.c - keep the containers' IPv6 control chatter off the flood.
 *
 * DOC: Theory of Operation
 *
 * A container with IPv6 on (the default) talks to its link when it comes
 * up: MLD reports for the groups it joins (one solicited-node group
 * ff02::1:ffXX:XXXX per address, link-local and tentative ones included,
 * before duplicate address detection), DAD neighbour solicitations to its
 * own solicited-node group, router solicitations to ff02::2.  Flooded,
 * each of these costs a copy per port: O(N) per connect, O(N^2) when all
 * N links come back at once after a restart (doc/performance.md, issue
 * 19).  A snooping switch (RFC 4541; the Linux bridge's
 * multicast_snooping) delivers them where they matter instead.  What this
 * file does, per bridge or overlay network (networks on the uplink's LAN,
 * macvlan and ipvlan, are switched by lan.c as before: the LAN has its
 * own routers and queriers):
 *
 *  - MLD reports and dones (ICMPv6 131, 132, 143) from a container go to
 *    the network's router port, the gateway, which has nothing to do with
 *    them: they are consumed, not flooded (RFC 4541 2.1.1: reports go to
 *    router ports only, which also keeps MLDv1 hosts from suppressing
 *    their own reports).  An overlay network still replicates them to its
 *    VTEPs first (overlay_l2.c, unchanged).  If a container has sent an
 *    MLD query (it runs a querier or a multicast router), reports are
 *    flooded as before, until that port goes: it has to hear them.
 *  - Before a report is consumed, its solicited-node groups are learned:
 *    the input port is listed in each group it joins (MLDv1 report,
 *    MLDv2 IS_EX/TO_EX, or IS_IN/TO_IN/ALLOW with sources) and unlisted
 *    from each it leaves (MLDv1 done, MLDv2 TO_IN/IS_IN with no source).
 *    Other groups are not learned: their multicast is flooded as before.
 *  - Multicast whose IPv6 destination is a solicited-node group (a
 *    neighbour solicitation, DAD's included) goes to the ports listed in
 *    that group, never back to its input port, plus the gateway when the
 *    group is one of the gateway's own (l2_forward.c).  A group nobody
 *    is listed in is flooded as before: a host that never reported (the
 *    switch restarted after it joined, or it speaks no MLD) still gets
 *    what it gets today, and only a host sharing its 24 bits with one
 *    that reported could miss a solicitation.
 *  - A router solicitation on a --ipv6 network goes to the gateway only,
 *    the network's one router (a container cannot send router
 *    advertisements: ingress_v6.c), which answers it with an
 *    advertisement of the network's prefix to the solicitor alone
 *    (router_port.c).  On a network
 *    without --ipv6 there is no router of ours, and RA guard keeps every
 *    container with port security from ever answering: a solicitation
 *    goes only to the ports without port security (--no-port-security,
 *    which may run a router), and with none it stops at the switch.  It
 *    was the last chatter every new container flooded to every port, a
 *    copy per port three times in its first 8 s, so at 1000 ports the
 *    cost of a connect grew with the ports already there.  A solicitation
 *    from a tunnel is flooded as before: it crossed a host whose rules we
 *    do not know.
 *
 * Refilling the table.  It lives in memory only, so after a restart it is
 * empty.  Each port that comes up (a new container, or one re-adopted at
 * start) gets one MLDv2 general query from the gateway's link-local
 * address (RFC 3810 5.1.1, maximum response delay 1 s), which makes its
 * host report every group it is in.  For MLD_SNOOP_SETTLE seconds after a
 * network's table is made, solicited-node multicast is still flooded, so
 * that no port is missed while the answers come in.  A link that bounced
 * (TAP ports at a restart) reports by itself, and a new container reports
 * its groups before it uses its addresses.
 *
 * Cost.  Per IPv6 multicast frame: a look at the IPv6 destination and
 * the ICMPv6 type parse.c already found, and for a solicited-node group
 * one hash lookup and a walk of that group's list (a port or two).
 * Nothing is allocated per forwarded frame: a port's record (its
 * MLD_SNOOP_PORT_GROUPS slots) is made on its first report, a group's
 * entry when its first port joins; both are freed when empty or when the
 * port goes (endpoint.c).  A port at its slot cap is counted (overflow)
 * and the network floods its solicited-node multicast until that port
 * goes: never a missed delivery.  Every decision has a counter (`vsctl
 * stats`, "mld_snoop") and a line in `vsctl trace`.
 */
#include <arpa/inet.h>
#include <ev.h>
#include <net/ethernet.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip6.h>
#include <stdlib.h>
#include <string.h>
#include "dp.h"
#include "drop.h"
#include "mld_snoop.h"
#include "model.h"
#include "pipeline.h"
#include "pkt_build.h"
#include "port.h"
#include "router_port.h"
#include "trace.h"

#define MLD_QUERY 130
#define MLD_V1_REPORT 131
#define MLD_V1_DONE 132
#define MLD_V2_REPORT 143
#define MLD_V2_REC_IS_IN 1
#define MLD_V2_REC_IS_EX 2
#define MLD_V2_REC_TO_IN 3
#define MLD_V2_REC_TO_EX 4
#define MLD_V2_REC_ALLOW 5
#define MLD_QUERY_LEN 28         /* MLDv2 general query, no sources */

/* ---- the table ---- */

/**
 * mld_snoop_new() - An empty table
 * @now:	the current time; members-only delivery starts
 *		MLD_SNOOP_SETTLE seconds later
 *
 * Return: the table, or NULL without memory (the network floods)
 */
struct mld_snoop *mld_snoop_new(double now)
{
	struct mld_snoop *m = calloc(1, sizeof(*m));

	if (m)
		m->armed_at = now + MLD_SNOOP_SETTLE;
	return m;
}

static void mld_snoop_port_free(struct mld_snoop *m, struct mld_snoop_port *sp)
{
	HASH_DEL(m->ports, sp);
	free(sp);
}

/**
 * mld_snoop_free() - Free a table and everything in it
 * @m:		table, or NULL
 */
void mld_snoop_free(struct mld_snoop *m)
{
	struct mld_snoop_group *g, *gt;
	struct mld_snoop_port *sp, *st;

	if (!m)
		return;
	HASH_ITER(hh, m->groups, g, gt) {
		HASH_DEL(m->groups, g);
		free(g);
	}
	HASH_ITER(hh, m->ports, sp, st)
		mld_snoop_port_free(m, sp);
	free(m);
}

/**
 * mld_snoop_group_key() - Is A a solicited-node group (ff02::1:ff00:0/104,
 * RFC 4291 2.7.1)?
 * @a:		IPv6 address
 * @key:	set to its low 24 bits if so
 */
bool mld_snoop_group_key(const uint8_t a[16], uint32_t *key)
{
	static const uint8_t prefix[13] = { 0xff, 0x02, [11] = 0x01, [12] = 0xff };

	if (memcmp(a, prefix, sizeof(prefix)))
		return false;
	*key = (uint32_t)a[13] << 16 | (uint32_t)a[14] << 8 | a[15];
	return true;
}

static struct mld_snoop_port *mld_snoop_port_find(const struct mld_snoop *m,
						  const struct port *port)
{
	struct mld_snoop_port *sp;

	HASH_FIND_PTR(m->ports, &port, sp);
	return sp;
}

static struct mld_snoop_port *mld_snoop_port_get(struct mld_snoop *m, struct port *port)
{
	struct mld_snoop_port *sp = mld_snoop_port_find(m, port);

	if (sp || !(sp = calloc(1, sizeof(*sp))))
		return sp;
	sp->port = port;
	HASH_ADD_PTR(m->ports, port, sp);
	return sp;
}

/**
 * mld_snoop_lookup() - The ports listed in solicited-node group KEY
 * @m:		table
 * @key:	the group's low 24 bits
 *
 * Return: the group, or NULL if no port is listed
 */
const struct mld_snoop_group *mld_snoop_lookup(const struct mld_snoop *m, uint32_t key)
{
	struct mld_snoop_group *g;

	HASH_FIND(hh, m->groups, &key, sizeof(key), g);
	return g;
}

static struct mld_snoop_member *mld_snoop_slot(struct mld_snoop_port *sp, uint32_t key)
{
	unsigned int i;

	for (i = 0; i < MLD_SNOOP_PORT_GROUPS; i++)
		if (sp->slot[i].group && sp->slot[i].group->key == key)
			return &sp->slot[i];
	return NULL;
}

static struct mld_snoop_member *mld_snoop_free_slot(struct mld_snoop_port *sp)
{
	unsigned int i;

	for (i = 0; i < MLD_SNOOP_PORT_GROUPS; i++)
		if (!sp->slot[i].group)
			return &sp->slot[i];
	return NULL;
}

/* A port that could not be listed: flood until it goes.  Without a
 * record to mark (no memory for it), the network floods for good. */
static int mld_snoop_overflow(struct mld_snoop *m, struct mld_snoop_port *sp)
{
	m->st.overflow++;
	if (!sp)
		m->n_overflow++;
	else if (!sp->overflow) {
		sp->overflow = true;
		m->n_overflow++;
	}
	return -1;
}

/**
 * mld_snoop_join() - List PORT in solicited-node group KEY
 * @m:		table
 * @port:	the port whose host reported the group
 * @key:	the group's low 24 bits
 *
 * Return: 0, or -1 if it did not fit (port at its cap, or no memory):
 * counted as overflow, and the network floods its solicited-node
 * multicast until PORT goes
 */
int mld_snoop_join(struct mld_snoop *m, struct port *port, uint32_t key)
{
	struct mld_snoop_port *sp = mld_snoop_port_get(m, port);
	struct mld_snoop_member *s;
	struct mld_snoop_group *g;

	if (!sp)
		return mld_snoop_overflow(m, NULL);
	if (mld_snoop_slot(sp, key))
		return 0;
	if (!(s = mld_snoop_free_slot(sp)))
		return mld_snoop_overflow(m, sp);
	HASH_FIND(hh, m->groups, &key, sizeof(key), g);
	if (!g) {
		if (!(g = calloc(1, sizeof(*g))))
			return mld_snoop_overflow(m, sp);
		g->key = key;
		LIST_INIT(&g->members);
		HASH_ADD(hh, m->groups, key, sizeof(g->key), g);
		m->n_groups++;
	}
	s->group = g;
	s->port = port;
	LIST_INSERT_HEAD(&g->members, s, link);
	g->n_members++;
	m->st.joins++;
	return 0;
}

/* Unlist slot S; its group goes with its last member. */
static void mld_snoop_unlist(struct mld_snoop *m, struct mld_snoop_member *s)
{
	struct mld_snoop_group *g = s->group;

	LIST_REMOVE(s, link);
	s->group = NULL;
	s->port = NULL;
	if (--g->n_members == 0) {
		HASH_DEL(m->groups, g);
		free(g);
		m->n_groups--;
	}
}

/**
 * mld_snoop_leave() - Unlist PORT from solicited-node group KEY
 * @m:		table
 * @port:	the port whose host left the group
 * @key:	the group's low 24 bits
 */
void mld_snoop_leave(struct mld_snoop *m, struct port *port, uint32_t key)
{
	struct mld_snoop_port *sp = mld_snoop_port_find(m, port);
	struct mld_snoop_member *s;

	if (!sp || !(s = mld_snoop_slot(sp, key)))
		return;
	mld_snoop_unlist(m, s);
	m->st.leaves++;
}

/**
 * mld_snoop_port_gone() - Forget PORT (it is going away): its groups,
 * and its querier and overflow marks
 * @m:		table, or NULL
 * @port:	the port
 */
void mld_snoop_port_gone(struct mld_snoop *m, struct port *port)
{
	struct mld_snoop_port *sp;
	unsigned int i;

	if (!m || !(sp = mld_snoop_port_find(m, port)))
		return;
	for (i = 0; i < MLD_SNOOP_PORT_GROUPS; i++)
		if (sp->slot[i].group)
			mld_snoop_unlist(m, &sp->slot[i]);
	if (sp->querier)
		m->n_queriers--;
	if (sp->overflow)
		m->n_overflow--;
	mld_snoop_port_free(m, sp);
}

/* ---- reports ---- */

/* A container's port: the only source the table learns from (the tunnel's
 * frames are the remote hosts', a local frame the switch's own). */
static bool mld_snoop_learns(const struct pkt *p)
{
	return p->in_port && p->in_port->role == PORT_ROLE_ENDPOINT &&
	       !(p->flags & (PKT_F_DRYRUN | PKT_F_LOCAL));
}

/* Join or leave group A for P's port. */
static void mld_snoop_apply(struct mld_snoop *m, struct pkt *p, const uint8_t *a, bool join)
{
	uint32_t key;

	if (!mld_snoop_learns(p) || !mld_snoop_group_key(a, &key))
		return;
	if (join)
		mld_snoop_join(m, p->in_port, key);
	else
		mld_snoop_leave(m, p->in_port, key);
}

/* What an MLDv2 record says of its group: 1 join, 0 leave, -1 nothing
 * (BLOCK_OLD_SOURCES, or a type this switch does not know). */
static int mld_snoop_v2_verdict(uint8_t type, uint16_t nsrc)
{
	switch (type) {
	case MLD_V2_REC_IS_EX: case MLD_V2_REC_TO_EX:
		return 1;
	case MLD_V2_REC_IS_IN: case MLD_V2_REC_TO_IN:
		return nsrc > 0;
	case MLD_V2_REC_ALLOW:
		return nsrc > 0 ? 1 : -1;
	default:
		return -1;
	}
}

/* Walk an MLDv2 report's records at OFS..END (RFC 3810 5.2); apply them
 * if APPLY.  Return: false if a record runs past the message. */
static bool mld_snoop_v2_walk(struct mld_snoop *m, struct pkt *p, uint32_t ofs,
			      uint32_t end, bool apply)
{
	const uint8_t *h = pkt_header(p, ofs, 8), *r;
	uint16_t nrec, i;
	uint32_t len;
	int v;

	if (!h || ofs + 8 > end)
		return false;
	nrec = (uint16_t)(h[6] << 8 | h[7]);
	for (ofs += 8, i = 0; i < nrec; i++, ofs += len) {
		r = pkt_header(p, ofs, 20);
		if (!r || ofs + 20 > end)
			return false;
		len = 20 + 16u * (uint32_t)(r[2] << 8 | r[3]) + 4u * r[1];
		if (ofs + len > end)
			return false;
		v = mld_snoop_v2_verdict(r[0], (uint16_t)(r[2] << 8 | r[3]));
		if (apply && v >= 0)
			mld_snoop_apply(m, p, r + 4, v == 1);
	}
	return true;
}

/**
 * mld_snoop_report() - An MLD report or done from a port: learn, then
 * consume it (or flood it, if a container is a querier)
 * @n:		network
 * @p:		the frame
 * @type:	ICMPv6 type (131, 132 or 143)
 *
 * Return: true if P is handled (consumed, or dropped as malformed)
 */
static bool mld_snoop_report(struct network *n, struct pkt *p, uint8_t type)
{
	struct mld_snoop *m = n->mld;
	uint32_t ofs = p->l4_ofs, end = p->len;
	const uint8_t *h;

	if (type == MLD_V2_REPORT) {
		if (!mld_snoop_v2_walk(m, p, ofs, end, false))
			goto bad;
		mld_snoop_v2_walk(m, p, ofs, end, true);
	} else {
		h = pkt_header(p, ofs, 24);
		if (!h || ofs + 24 > end)
			goto bad;
		mld_snoop_apply(m, p, h + 8, type == MLD_V1_REPORT);
	}
	if (m->n_queriers) {
		m->st.reports_flooded++;
		trace_note(p, "mld", "MLD report: a container is a querier, flooded");
		return false;
	}
	m->st.reports++;
	trace_event(p, "mld", TRACE_LOCAL, NULL,
		    "MLD report: to the router port (the gateway), not flooded");
	return true;
bad:
	m->st.bad++;
	trace_stage(p, "mld");
	if (p->in_port)
		port_drop(p->in_port, p, DROP_BAD_L4);
	return true;
}

/* ---- delivery ---- */

static double mld_snoop_now(const struct network *n)
{
	return n->dp && n->dp->loop ? ev_now(n->dp->loop) : 0.0;
}

/**
 * mld_snoop_settling() - Does network N still flood its solicited-node
 * multicast while its table fills (no table yet, or MLD_SNOOP_SETTLE
 * not over)?
 * @n:		network
 */
bool mld_snoop_settling(const struct network *n)
{
	return !n->mld || mld_snoop_now(n) < n->mld->armed_at;
}

/**
 * mld_snoop_deliver() - Multicast to solicited-node group KEY: to its
 * listed ports (and the gateway if FOR_GW)
 *
 * Return: false if P is to be flooded: the group is not listed, the table
 * is still settling, or a port overflowed
 */
static bool mld_snoop_deliver(struct network *n, struct pkt *p, uint32_t key, bool for_gw)
{
	struct mld_snoop *m = n->mld;
	const struct mld_snoop_group *g = NULL;
	struct mld_snoop_member *s;

	if (!m->n_overflow && !mld_snoop_settling(n))
		g = mld_snoop_lookup(m, key);
	if (!g) {
		m->st.unregistered++;
		trace_note(p, "mld", "solicited-node group ff02::1:ff%02x:%04x not listed: flood",
			   key >> 16, key & 0xffff);
		return false;
	}
	m->st.to_members++;
	trace_event(p, "mld", TRACE_FORWARD, NULL,
		    "solicited-node group ff02::1:ff%02x:%04x: %u listed port(s)%s",
		    key >> 16, key & 0xffff, g->n_members, for_gw ? " and the gateway" : "");
	LIST_FOREACH(s, &g->members, link)
		if (s->port != p->in_port)
			egress_output(s->port, p);
	if (for_gw)
		gateway_input(n, p);
	return true;
}

/* A router solicitation without --ipv6: to the ports that may answer
 * (no port security, so no RA guard), if any.  A walk of the endpoints,
 * as a flood's, without the copies; a container sends at most three. */
static bool mld_snoop_rs_no_gw(struct network *n, struct pkt *p)
{
	struct endpoint *ep;
	unsigned int sent = 0;

	LIST_FOREACH(ep, &n->endpoints, net_link)
		if (ep->port && ep->port != p->in_port && !ep->port_security) {
			egress_output(ep->port, p);
			sent++;
		}
	if (sent) {
		n->mld->st.rs_to_open_ports++;
		trace_event(p, "mld", TRACE_FORWARD, NULL, "router solicitation: to the %u ports "
			    "without port security only", sent);
	} else {
		n->mld->st.rs_absorbed++;
		trace_event(p, "mld", TRACE_LOCAL, NULL, "router solicitation: no port may answer "
			    "it (RA guard, no --ipv6 gateway); not flooded");
	}
	return true;
}

/* A router solicitation: the --ipv6 gateway's alone (it answers). */
static bool mld_snoop_rs(struct network *n, struct pkt *p)
{
	if (!n->ipv6)
		return mld_snoop_rs_no_gw(n, p);
	n->mld->st.rs_to_gateway++;
	trace_event(p, "mld", TRACE_LOCAL, NULL,
		    "router solicitation: to the gateway only, not flooded");
	gateway_input(n, p);
	return true;
}

/* An MLD query from a container: it is a querier; reports reach it. */
static void mld_snoop_query_heard(struct mld_snoop *m, struct pkt *p)
{
	struct mld_snoop_port *sp;

	m->st.queries_heard++;
	trace_note(p, "mld", "MLD query from a container: flooded, reports flooded too");
	if (!mld_snoop_learns(p) || !(sp = mld_snoop_port_get(m, p->in_port)) || sp->querier)
		return;
	sp->querier = true;
	m->n_queriers++;
}

/* The network's table, made on first use; NULL without memory. */
static struct mld_snoop *mld_snoop_of(struct network *n)
{
	if (!n->mld)
		n->mld = mld_snoop_new(mld_snoop_now(n));
	return n->mld;
}

/**
 * mld_snoop_forward() - Switch an IPv6 multicast frame of network N
 * @n:		a bridge or overlay network
 * @p:		the frame, learned from (and, on an overlay network, already
 *		replicated to the VTEPs)
 * @eth:	its Ethernet header (multicast destination)
 * @for_gw:	the destination is one of the gateway's solicited-node groups
 *
 * Return: true if P is handled here; false to flood it as before (and
 * give it to the gateway if FOR_GW)
 */
bool mld_snoop_forward(struct network *n, struct pkt *p, const struct ether_header *eth,
		       bool for_gw)
{
	const struct ip6_hdr *ip6;
	const uint8_t *icmp = NULL;
	uint32_t key;

	if (p->eth_type != ETHERTYPE_IPV6 || eth->ether_dhost[0] != 0x33 ||
	    eth->ether_dhost[1] != 0x33 || !(ip6 = pkt_header(p, p->l3_ofs, sizeof(*ip6))) ||
	    !mld_snoop_of(n))
		return false;
	if (p->ip_proto == IPPROTO_ICMPV6 && !p->is_frag)
		icmp = pkt_header(p, p->l4_ofs, 4);
	switch (icmp ? icmp[0] : 0) {
	case MLD_QUERY:
		mld_snoop_query_heard(n->mld, p);
		return false;
	case MLD_V1_REPORT: case MLD_V1_DONE: case MLD_V2_REPORT:
		return mld_snoop_report(n, p, icmp[0]);
	case ND_ROUTER_SOLICIT:
		if (p->in_port && p->in_port->role == PORT_ROLE_ENDPOINT)
			return mld_snoop_rs(n, p);
		return false;
	}
	if (!mld_snoop_group_key((const uint8_t *)&ip6->ip6_dst, &key))
		return false;
	return mld_snoop_deliver(n, p, key, for_gw);
}

/* ---- the general query ---- */

/* Build an MLDv2 general query (RFC 3810 5.1) from the gateway's
 * link-local address into F (room for the whole frame); return its
 * length. */
static uint32_t mld_snoop_query_build(const struct network *n, uint8_t *f)
{
	static const uint8_t allnodes_mac[6] = { 0x33, 0x33, 0, 0, 0, 1 };
	static const uint8_t allnodes[16] = { 0xff, 0x02, [15] = 1 };
	struct pkt_ip6 h = { .nh = IPPROTO_HOPOPTS, .hlim = 1 };
	uint8_t *l3, *hbh, *q;

	router_port_ll6(n->gw_mac, h.src);
	memcpy(h.dst, allnodes, 16);
	l3 = pkt_build_eth(f, allnodes_mac, n->gw_mac, ETHERTYPE_IPV6);
	hbh = pkt_build_ip6(l3, &h, 8 + MLD_QUERY_LEN);
	/* hop-by-hop: router alert (RFC 2711, value 0: MLD), then PadN */
	memcpy(hbh, (const uint8_t[8]){ IPPROTO_ICMPV6, 0, 5, 2, 0, 0, 1, 0 }, 8);
	q = hbh + 8;
	memset(q, 0, MLD_QUERY_LEN);
	q[0] = MLD_QUERY;
	q[4] = MLD_SNOOP_QUERY_MRD_MS >> 8;
	q[5] = MLD_SNOOP_QUERY_MRD_MS & 0xff;
	q[24] = 2;          /* S 0, QRV 2 (RFC 3810 9.1) */
	q[25] = 125;        /* QQIC: 125 s, the default query interval */
	/* the checksum covers the ICMPv6 message alone (its pseudo-header
	 * names ICMPv6, not the hop-by-hop header before it) */
	pkt_build_icmp6_csum(q, &h, MLD_QUERY_LEN);
	return (uint32_t)(q + MLD_QUERY_LEN - f);
}

/**
 * mld_snoop_port_up() - A port joined its network: ask its host for its
 * groups with one general query, sent to that port only
 * @port:	the port, wired and started (endpoint.c)
 */
void mld_snoop_port_up(struct port *port)
{
	uint8_t buf[PKT_HEADROOM + 128];
	struct network *n = port->net;
	struct pkt q;

	if (!n || model_net_is_lan(n) || !mld_snoop_of(n))
		return;
	memset(&q, 0, sizeof(q));
	q.buf = buf;
	q.data = buf + PKT_HEADROOM;
	q.len = mld_snoop_query_build(n, q.data);
	q.flags = PKT_F_LOCAL;
	q.eth_type = ETHERTYPE_IPV6;
	q.l3_ofs = ETH_HLEN;
	q.l4_ofs = ETH_HLEN + 40 + 8;
	q.ip_proto = IPPROTO_ICMPV6;
	n->mld->st.queries_sent++;
	egress_output(port, &q);
}

/**
 * mld_snoop_port_down() - PORT leaves its network: unlist it
 * @port:	the port, still wired
 */
void mld_snoop_port_down(struct port *port)
{
	if (port->net)
		mld_snoop_port_gone(port->net->mld, port);
}
