/* trace.c - `vsctl trace`: run the real pipeline on a synthetic frame, dry.
 *
 * DOC: Theory of Operation
 *
 * The frame a container would send (Ethernet to the peer's or the
 * gateway's MAC, IPv4, a TCP SYN, a UDP datagram or an ICMP echo) is built
 * here and handed to ingress_run() exactly as a received burst of one
 * would be, flagged PKT_F_DRYRUN; a frame from the outside (--from
 * uplink:IP) is handed to uplink_rx() the same way.  The stages are the
 * same functions that move real traffic; under the flag they record what
 * they decide as typed events (trace.h) instead of sending: port_drop()
 * records the drop instead of counting it, nat_process() records the
 * binding nat_plan() chooses instead of creating it, port_tx_queue()
 * records the output instead of queueing.  So a trace leaves no mark on
 * the switch.  This is OVS's ofproto/trace idea: a second implementation
 * for tracing would drift from the real one.
 *
 * The verdict is computed from the events' typed fields (trace_verdict):
 * a frame that reached an output port was forwarded; else the first drop
 * says why it was dropped; else a local answer means the switch consumed
 * it.  vsctl turns events and verdict into text (src/vsctl_trace.c).
 *
 * Limits: one frame, no payload; a connection that exists already is
 * reported as it is, without conntrack's state check of this frame.
 */
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "cmd.h"
#include "csum.h"
#include "control.h"
#include "ct.h"
#include "dp.h"
#include "ipam.h"
#include "model.h"
#include "nat.h"
#include "pipeline.h"
#include "pkt_build.h"
#include "port.h"
#include "trace.h"
#include "uplink.h"

#define TRACE_MAX_EVENTS 128
#define TRACE_SPORT 40000

#define TRACE_NAME(name, str) str,
const char *const trace_decision_names[TRACE_N_DECISIONS] = {
	TRACE_DECISIONS(TRACE_NAME)
};
#undef TRACE_NAME

static const char *const trace_nat_names[] = {
	[TRACE_NAT_EXISTING] = "existing", [TRACE_NAT_SNAT] = "snat",
	[TRACE_NAT_DNAT] = "dnat", [TRACE_NAT_HAIRPIN] = "hairpin",
};

struct trace_event {
	const char *stage;              /* a static string */
	enum trace_decision decision;
	enum drop_reason reason;        /* DROP_NONE: none applies */
	char port[sizeof(((struct port *)0)->name)];   /* "" when none */
	bool has_binding;
	enum trace_nat_kind nat;
	struct ct_key before, after;    /* TRACE_NAT */
	char detail[160];
};

struct trace_ctx {
	const char *stage;              /* the stage that holds the frame */
	unsigned int n, lost;
	struct trace_event ev[TRACE_MAX_EVENTS];
};

/* The one trace in progress: a trace runs to its end inside one control
 * request, so there is never a second. */
static struct trace_ctx trace_buf;

static struct trace_event *trace_add(const struct pkt *p, const char *stage,
				     enum trace_decision d, const struct port *port)
{
	struct trace_ctx *t = p->trace;
	struct trace_event *e;

	if (t->n == TRACE_MAX_EVENTS) {
		t->lost++;
		return NULL;
	}
	e = &t->ev[t->n++];
	memset(e, 0, sizeof(*e));
	e->stage = stage;
	e->decision = d;
	if (port)
		snprintf(e->port, sizeof(e->port), "%s", port->name);
	t->stage = stage;
	return e;
}

/**
 * trace_event() - Record what STAGE decided about a traced frame
 * @p:		the frame (no-op unless traced)
 * @stage:	the stage's name, a static string
 * @d:		the decision
 * @port:	the port it concerns, or NULL
 * @fmt:	free words for the reader; the verdict never looks at them
 */
void trace_event_add(const struct pkt *p, const char *stage, enum trace_decision d,
		     const struct port *port, const char *fmt, ...)
{
	struct trace_event *e;
	va_list ap;

	if (!p->trace || !(e = trace_add(p, stage, d, port)))
		return;
	va_start(ap, fmt);
	vsnprintf(e->detail, sizeof(e->detail), fmt, ap);
	va_end(ap);
}

void trace_note_add(struct pkt *p, const char *stage, const char *fmt, ...)
{
	struct trace_event *e;
	va_list ap;

	if (!p->trace || !(e = trace_add(p, stage, TRACE_STEP, NULL)))
		return;
	va_start(ap, fmt);
	vsnprintf(e->detail, sizeof(e->detail), fmt, ap);
	va_end(ap);
}

void trace_stage_set(const struct pkt *p, const char *stage)
{
	p->trace->stage = stage;
}

/* port_tx_queue() of a traced frame: it leaves by PORT, from the stage
 * that queued it. */
void trace_output(const struct pkt *p, const struct port *port)
{
	if (p->trace)
		trace_add(p, p->trace->stage, TRACE_OUTPUT, port);
}

/**
 * trace_drop() - port_drop() of a traced frame: record, count nothing
 * @p:		the frame
 * @port:	the port the real drop would be counted on
 * @why:	the reason
 */
void trace_drop(const struct pkt *p, const struct port *port, enum drop_reason why)
{
	struct trace_event *e;

	if (!p->trace || !(e = trace_add(p, p->trace->stage, TRACE_DROP, port)))
		return;
	e->reason = why;
}

/**
 * trace_nat() - Record a NAT binding: the frame's tuple and how it leaves
 * @p:		the frame
 * @kind:	new SNAT, DNAT or hairpin (nat_plan()), or an existing entry
 * @before:	the tuple as the frame arrived
 * @after:	the tuple it leaves with (zone: where it leaves)
 */
void trace_nat(const struct pkt *p, enum trace_nat_kind kind, const struct ct_key *before,
	       const struct ct_key *after)
{
	struct trace_event *e;

	if (!p->trace || !(e = trace_add(p, "nat", TRACE_NAT, NULL)))
		return;
	e->has_binding = true;
	e->nat = kind;
	e->before = *before;
	e->after = *after;
}

/* ---- the reply ---------------------------------------------------------- */

static struct json_object *trace_tuple_json(const struct ct_key *k)
{
	struct json_object *o = json_object_new_object();
	char a[VS_ADDR_STRLEN];

	json_object_object_add(o, "zone", json_object_new_string(nat_zone_name(cmd_dp()->nat, k->zone)));
	vs_addr_str(&k->src, a, sizeof(a));
	json_object_object_add(o, "src", json_object_new_string(a));
	json_object_object_add(o, "sport", json_object_new_int(ntohs(k->sport)));
	vs_addr_str(&k->dst, a, sizeof(a));
	json_object_object_add(o, "dst", json_object_new_string(a));
	json_object_object_add(o, "dport", json_object_new_int(ntohs(k->dport)));
	return o;
}

static struct json_object *trace_event_json(const struct trace_event *e)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "stage", json_object_new_string(e->stage));
	json_object_object_add(o, "decision",
			       json_object_new_string(trace_decision_names[e->decision]));
	json_object_object_add(o, "reason", e->reason ?
			       json_object_new_string(drop_reason_names[e->reason]) : NULL);
	json_object_object_add(o, "port", e->port[0] ? json_object_new_string(e->port) : NULL);
	if (e->has_binding) {
		struct json_object *b = json_object_new_object();

		json_object_object_add(b, "kind", json_object_new_string(trace_nat_names[e->nat]));
		json_object_object_add(b, "proto", json_object_new_string(
			e->before.proto == IPPROTO_TCP ? "tcp" :
			e->before.proto == IPPROTO_UDP ? "udp" :
			e->before.proto == IPPROTO_ICMPV6 ? "icmpv6" : "icmp"));
		json_object_object_add(b, "before", trace_tuple_json(&e->before));
		json_object_object_add(b, "after", trace_tuple_json(&e->after));
		json_object_object_add(o, "binding", b);
	}
	if (e->detail[0])
		json_object_object_add(o, "detail", json_object_new_string(e->detail));
	return o;
}

/**
 * trace_verdict() - What happened to the frame, from the events' fields
 * @t:	the finished trace
 *
 * Forwarded if any event put it on an output port (a flood may also have
 * met drops on some ports); otherwise the first drop is the verdict, with
 * its stage, reason and port; otherwise a local answer; otherwise nothing
 * took the frame, which is a drop without a reason.
 *
 * Return: {decision, stage, reason, port, output[], nat}
 */
static struct json_object *trace_verdict(const struct trace_ctx *t)
{
	const struct trace_event *drop = NULL, *local = NULL, *nat = NULL;
	struct json_object *v = json_object_new_object(), *out = json_object_new_array();
	const struct trace_event *pick;
	unsigned int i;

	for (i = 0; i < t->n; i++) {
		const struct trace_event *e = &t->ev[i];

		if (e->decision == TRACE_OUTPUT)
			json_object_array_add(out, json_object_new_string(e->port));
		else if (e->decision == TRACE_DROP && !drop)
			drop = e;
		else if (e->decision == TRACE_LOCAL && !local)
			local = e;
		else if (e->decision == TRACE_NAT && !nat)
			nat = e;
	}
	pick = json_object_array_length(out) ? NULL : drop ? drop : local;
	json_object_object_add(v, "decision", json_object_new_string(
		json_object_array_length(out) ? "forward" : pick == local && local ? "local" : "drop"));
	json_object_object_add(v, "stage", pick ? json_object_new_string(pick->stage) : NULL);
	json_object_object_add(v, "reason", pick && pick->reason ?
			       json_object_new_string(drop_reason_names[pick->reason]) : NULL);
	json_object_object_add(v, "port", pick && pick->port[0] ?
			       json_object_new_string(pick->port) : NULL);
	json_object_object_add(v, "output", out);
	json_object_object_add(v, "nat", nat ? json_object_new_string(trace_nat_names[nat->nat]) : NULL);
	return v;
}

/* ---- building and running the frame -------------------------------------- */

/* What the caller asked for. */
struct trace_req {
	struct container *ctr;          /* NULL: from the outside */
	struct endpoint *ep;
	uint32_t src, dst;
	uint8_t proto;
	uint16_t dport;
	/* --to an IPv6 address: from the container's IPv6 address on a
	 * --ipv6 network, as an ICMPv6 echo, a UDP datagram or a TCP SYN. */
	bool v6;
	union vs_addr src6, dst6;
};

/* Pick the endpoint the container would send from: the one on-link with
 * the destination, else the one holding its default route. */
static struct endpoint *trace_pick_ep(struct container *c, uint32_t dst)
{
	struct endpoint *ep;

	LIST_FOREACH(ep, &c->endpoints, ctr_link)
		if (vs_prefix_contains_v4(&ep->net->subnet, dst))
			return ep;
	return model_first_endpoint(c);
}

/* Build the IPv4 + L4 part; returns the frame length. */
static uint32_t trace_build_l34(uint8_t *f, uint32_t src, uint32_t dst, uint8_t proto,
				uint16_t dport)
{
	struct pkt_ip4 h = { .src = src, .dst = dst, .proto = proto, .id = 0x7ace,
			     .df = true };
	uint16_t l4len = proto == IPPROTO_TCP ? 20 : proto == IPPROTO_UDP ? 8 + 4 : 8 + 8;
	uint8_t *l4 = pkt_build_ip4(f + ETH_HLEN, &h, l4len);

	memset(l4, 0, l4len);
	if (proto == IPPROTO_TCP) {
		struct tcphdr *th = (void *)l4;

		th->source = htons(TRACE_SPORT);
		th->dest = htons(dport);
		th->seq = htonl(1);
		th->doff = 5;
		th->syn = 1;
		th->window = htons(65535);
	} else if (proto == IPPROTO_UDP) {
		pkt_build_udp(l4, TRACE_SPORT, dport, l4len);
	} else {
		pkt_build_icmp(l4, ICMP_ECHO, 0, 0x7ace, 1);
		pkt_build_icmp_csum(l4, l4len);
		return ETH_HLEN + (uint32_t)sizeof(struct iphdr) + l4len;
	}
	pkt_build_l4_csum(l4, &h, l4len);
	return ETH_HLEN + (uint32_t)sizeof(struct iphdr) + l4len;
}

/* --from CONTAINER, or uplink:IP for a frame from the outside. */
static int trace_parse_from(const char *from, struct trace_req *r, char *err, size_t errlen)
{
	union vs_addr a;

	if (from && !strncmp(from, "uplink:", 7)) {
		if (!uplink_port(dp_uplink_first(cmd_dp()))) {
			snprintf(err, errlen, "no uplink: nothing comes from the outside");
			return -1;
		}
		if (vs_addr_parse(from + 7, &a)) {
			snprintf(err, errlen, "invalid source address \"%s\"", from + 7);
			return -1;
		}
		r->src6 = a;                    /* either family: --to must match */
		r->src = vs_addr_is_v4(&a) ? vs_addr_get_v4(&a) : 0;
		return 0;
	}
	if (!from || !(r->ctr = model_container(from)) || LIST_EMPTY(&r->ctr->endpoints)) {
		snprintf(err, errlen, "no such container with an endpoint: %s", from ? from : "");
		return -1;
	}
	return 0;
}

static int trace_parse_args(struct json_object *args, struct trace_req *r,
			    char *err, size_t errlen)
{
	const char *to = ctl_arg_str(args, "to"), *pr = ctl_arg_str(args, "proto");
	long long port = ctl_arg_int(args, "port", 0);
	union vs_addr a;

	if (trace_parse_from(ctl_arg_str(args, "from"), r, err, errlen))
		return -1;
	if (!to || vs_addr_parse(to, &a)) {
		snprintf(err, errlen, "invalid destination address \"%s\"", to ? to : "");
		return -1;
	}
	r->v6 = !vs_addr_is_v4(&a);
	r->dst6 = a;
	r->dst = r->v6 ? 0 : vs_addr_get_v4(&a);
	if (!r->ctr && vs_addr_is_v4(&r->src6) == r->v6) {
		snprintf(err, errlen, "source and destination are of different families");
		return -1;
	}
	r->proto = !pr || !strcmp(pr, "icmp") ? IPPROTO_ICMP : !strcmp(pr, "tcp") ? IPPROTO_TCP :
		   !strcmp(pr, "udp") ? IPPROTO_UDP : 0;
	if (!r->proto || port < 0 || port > 65535) {
		snprintf(err, errlen, "invalid protocol or port (tcp, udp or icmp; port 1-65535)");
		return -1;
	}
	r->dport = (uint16_t)(port ? port : 80);
	return 0;
}

/* trace_eth_lan() - The destination MAC on a LAN network (lan.c): a peer
 * of the network, the resolver, or else a host of the LAN (its router for
 * an off-link destination), whose MAC the switch does not know: a made-up
 * one stands for it, which the switch forwards as unknown unicast (the
 * real one, once learned, goes out of the uplink alone). */
static bool trace_eth_lan(struct pkt *p, const struct network *n, uint32_t dst)
{
	static const uint8_t lan_host[6] = { 0x02, 0x00, 0x5e, 0x7a, 0xce, 0x02 };
	const struct endpoint *peer = model_endpoint_by_ip4(n, dst);
	uint8_t *f = p->data;

	if (peer) {
		memcpy(f, peer->mac, 6);
		trace_note(p, "arp", "on-link destination: the peer's MAC");
	} else if (n->dns && vs_addr_eq_v4(&n->lan_dns, dst)) {
		memcpy(f, n->gw_mac, 6);
		trace_note(p, "arp", "the network's resolver: the switch's MAC");
	} else {
		memcpy(f, lan_host, 6);
		trace_note(p, "arp", "a host of the LAN%s: its MAC, unknown to the switch",
			   vs_prefix_contains_v4(&n->subnet, dst) ? "" : " (the router)");
	}
	return true;
}

/* Fill the Ethernet header as the container's own stack would: ARP would
 * give the peer's MAC on-link, the gateway's MAC otherwise.  False when
 * ARP would get no answer: the frame is never sent. */
static bool trace_eth(struct pkt *p, const struct endpoint *ep, uint32_t dst)
{
	const struct network *n = ep->net;
	const struct endpoint *peer;
	uint8_t *f = p->data;

	memcpy(f + 6, ep->mac, 6);
	f[12] = ETH_P_IP >> 8;
	f[13] = ETH_P_IP & 0xff;
	if (model_net_is_lan(n))
		return trace_eth_lan(p, n, dst);
	if (vs_addr_eq_v4(&n->gateway, dst) || !vs_prefix_contains_v4(&n->subnet, dst)) {
		memcpy(f, n->gw_mac, 6);
		trace_note(p, "arp", vs_addr_eq_v4(&n->gateway, dst) ? "destination is the gateway: gateway MAC" :
			   "off-link destination: next hop is the gateway");
		return true;
	}
	peer = model_endpoint_by_ip4(n, dst);
	if (!peer) {
		trace_event(p, "arp", TRACE_DROP, NULL,
			    "no answer: no endpoint on %s owns that address", n->name);
		return false;
	}
	memcpy(f, peer->mac, 6);
	trace_note(p, "arp", "on-link destination: the peer's MAC");
	return true;
}

/* trace_uplink() - The uplink a frame from the outside to DST comes in
 * by: the one whose address DST is (with several uplinks, a published
 * port is reached at each uplink's own address), else the first. */
static struct uplink *trace_uplink(uint32_t dst)
{
	const struct dp *dp = cmd_dp();
	unsigned int i;

	for (i = 0; i < dp->n_uplinks; i++)
		if (uplink_port(dp->uplinks[i]) && uplink_ip(dp->uplinks[i]) == dst)
			return dp->uplinks[i];
	return dp_uplink_first(dp);
}

/* A frame from the outside: to the uplink's MAC, from a made-up one
 * (the uplink learns MACs from ARP only). */
static void trace_eth_outside(struct pkt *p, uint32_t dst)
{
	static const uint8_t peer_mac[6] = { 0x02, 0x00, 0x5e, 0x7a, 0xce, 0x01 };
	const uint8_t *mac = uplink_mac(trace_uplink(dst));
	uint8_t *f = p->data;

	memcpy(f, mac, 6);
	memcpy(f + 6, peer_mac, 6);
	f[12] = ETH_P_IP >> 8;
	f[13] = ETH_P_IP & 0xff;
}

/* The same for an IPv6 frame from the outside. */
static void trace_eth_outside6(struct pkt *p)
{
	trace_eth_outside(p, 0);
	p->data[12] = ETH_P_IPV6 >> 8;
	p->data[13] = ETH_P_IPV6 & 0xff;
}

/* The endpoint C sends IPv6 to DST from: the --ipv6 network DST is on,
 * else its first --ipv6 network (which holds its IPv6 default route). */
static struct endpoint *trace_pick_ep6(struct container *c, const union vs_addr *dst)
{
	struct endpoint *ep, *first = NULL;

	LIST_FOREACH(ep, &c->endpoints, ctr_link) {
		if (!ep->net->ipv6)
			continue;
		if (vs_prefix_contains(&ep->net->subnet6, dst))
			return ep;
		if (!first || ep->conn_order < first->conn_order)
			first = ep;
	}
	return first;
}

/* The IPv6 + L4 part of an IPv6 trace; returns the frame length. */
static uint32_t trace_build_l34_v6(uint8_t *f, const struct trace_req *r)
{
	uint8_t nh = r->proto == IPPROTO_ICMP ? IPPROTO_ICMPV6 : r->proto;
	uint16_t l4len = nh == IPPROTO_TCP ? 20 : nh == IPPROTO_UDP ? 8 + 4 : 8 + 8;
	struct pkt_ip6 h = { .nh = nh };
	uint8_t *l4;
	uint16_t sum;

	memcpy(h.src, r->src6.b, 16);
	memcpy(h.dst, r->dst6.b, 16);
	l4 = pkt_build_ip6(f + ETH_HLEN, &h, l4len);
	memset(l4, 0, l4len);
	if (nh == IPPROTO_ICMPV6) {
		pkt_build_icmp(l4, 128, 0, 0x7ace, 1);	/* ICMPv6 echo request */
		pkt_build_icmp6_csum(l4, &h, l4len);
		return ETH_HLEN + 40 + l4len;
	}
	if (nh == IPPROTO_TCP) {
		struct tcphdr *th = (void *)l4;

		th->source = htons(TRACE_SPORT);
		th->dest = htons(r->dport);
		th->seq = htonl(1);
		th->doff = 5;
		th->syn = 1;
		th->window = htons(65535);
	} else {
		pkt_build_udp(l4, TRACE_SPORT, r->dport, l4len);
	}
	sum = csum_fold(csum_partial(l4, l4len, csum_pseudo6(h.src, h.dst, nh, l4len)));
	memcpy(l4 + (nh == IPPROTO_TCP ? 16 : 6), &sum, 2);
	return ETH_HLEN + 40 + l4len;
}

/* The Ethernet header of an IPv6 trace, as neighbour discovery would make
 * it: the gateway's MAC for the gateway or off-link, the peer's on-link;
 * false (and a drop event) when nobody would answer. */
static bool trace_eth6(struct pkt *p, const struct endpoint *ep, const union vs_addr *dst)
{
	const struct network *n = ep->net;
	const struct endpoint *peer;
	uint8_t *f = p->data;

	memcpy(f + 6, ep->mac, 6);
	f[12] = ETH_P_IPV6 >> 8;
	f[13] = ETH_P_IPV6 & 0xff;
	if (vs_addr_eq(&n->gateway6, dst) || !vs_prefix_contains(&n->subnet6, dst)) {
		memcpy(f, n->gw_mac, 6);
		trace_note(p, "nd", vs_addr_eq(&n->gateway6, dst) ?
			   "destination is the gateway: gateway MAC" :
			   "off-link destination: next hop is the gateway");
		return true;
	}
	peer = model_endpoint_by_ip6(n, dst);
	if (!peer) {
		trace_event(p, "nd", TRACE_DROP, NULL,
			    "no answer: no endpoint on %s owns that address", n->name);
		return false;
	}
	memcpy(f, peer->mac, 6);
	trace_note(p, "nd", "on-link destination: the peer's MAC");
	return true;
}

static void trace_run(const struct trace_req *r)
{
	static uint8_t buf[PKT_HEADROOM + 2048] __attribute__((aligned(64)));
	static struct pkt_batch b;
	struct pkt *p = &b.pkts[0];
	struct port *in = r->ep ? r->ep->port : uplink_port(trace_uplink(r->dst));

	memset(p, 0, sizeof(*p));
	p->buf = buf;
	p->data = buf + PKT_HEADROOM;
	p->flags = PKT_F_DRYRUN;
	p->trace = &trace_buf;
	if (r->v6) {
		if (r->ep && !trace_eth6(p, r->ep, &r->dst6))
			return;
		if (!r->ep)
			trace_eth_outside6(p);
		p->len = trace_build_l34_v6(p->data, r);
	} else {
		if (r->ep && !trace_eth(p, r->ep, r->dst))
			return;
		if (!r->ep)
			trace_eth_outside(p, r->dst);
		p->len = trace_build_l34(p->data, r->src, r->dst, r->proto, r->dport);
	}
	p->in_port = in;
	pkt_parse(p);
	b.count = 1;
	if (r->ep)
		ingress_run(in, &b);
	else
		uplink_rx(in, &b);
}

/* What is sent, and from where: the reply's "packet" object. */
static struct json_object *trace_packet_json(const struct trace_req *r)
{
	struct json_object *o = json_object_new_object();
	char a[VS_ADDR_STRLEN];

	json_object_object_add(o, "proto", json_object_new_string(
		r->proto == IPPROTO_TCP ? "tcp" : r->proto == IPPROTO_UDP ? "udp" :
		r->v6 ? "icmpv6" : "icmp"));
	json_object_object_add(o, "src", json_object_new_string(r->v6 ?
		vs_addr_str(&r->src6, a, sizeof(a)) : ipam_ntoa(r->src, a)));
	json_object_object_add(o, "dst", json_object_new_string(r->v6 ?
		vs_addr_str(&r->dst6, a, sizeof(a)) : ipam_ntoa(r->dst, a)));
	if (r->proto != IPPROTO_ICMP) {
		json_object_object_add(o, "sport", json_object_new_int(TRACE_SPORT));
		json_object_object_add(o, "dport", json_object_new_int(r->dport));
	}
	json_object_object_add(o, "from", json_object_new_string(r->ctr ? r->ctr->name : "uplink"));
	json_object_object_add(o, "port", json_object_new_string(
		r->ep ? r->ep->port->name : uplink_port(trace_uplink(r->dst))->name));
	return o;
}

static int trace_cmd(struct ctl_conn *c, struct json_object *args,
		     struct json_object **result, char *err, size_t errlen)
{
	struct trace_req r = { 0 };
	struct json_object *events;
	unsigned int i;

	(void)c;
	if (trace_parse_args(args, &r, err, errlen))
		return -1;
	if (r.ctr && r.v6 && !(r.ep = trace_pick_ep6(r.ctr, &r.dst6))) {
		snprintf(err, errlen, "container %s has no IPv6 address (no --ipv6 network)",
			 r.ctr->name);
		return -1;
	}
	if (r.ctr) {
		if (!r.v6)
			r.ep = trace_pick_ep(r.ctr, r.dst);
		if (!r.ep->port) {
			snprintf(err, errlen, "container %s has no wired port on %s",
				 r.ctr->name, r.ep->net->name);
			return -1;
		}
		r.src = vs_addr_get_v4(&r.ep->ip);
		r.src6 = r.ep->ip6;
	}
	memset(&trace_buf, 0, sizeof(trace_buf));
	trace_buf.stage = "packet";
	trace_run(&r);
	events = json_object_new_array();
	for (i = 0; i < trace_buf.n; i++)
		json_object_array_add(events, trace_event_json(&trace_buf.ev[i]));
	*result = json_object_new_object();
	json_object_object_add(*result, "packet", trace_packet_json(&r));
	json_object_object_add(*result, "events", events);
	json_object_object_add(*result, "events_lost", json_object_new_int((int)trace_buf.lost));
	json_object_object_add(*result, "verdict", trace_verdict(&trace_buf));
	return 0;
}

void trace_init(void)
{
	control_register(&ctl_schema_trace, trace_cmd);
}
