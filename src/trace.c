/* trace.c - `vsctl trace`: run the real pipeline on a synthetic frame, dry.
 *
 * Theory of operation.  The frame a container would send (Ethernet to the
 * peer's or the gateway's MAC, IPv4, a TCP SYN, a UDP datagram or an ICMP
 * echo) is built here and handed to ingress_run() exactly as a received
 * burst of one would be, flagged PKT_F_DRYRUN.  The stages are the same
 * functions that move real traffic; under the flag they record what they
 * decide with trace_note() instead of sending, and the NAT stage explains
 * the binding it has or would create without creating it.  Drops counted
 * through port_drop() are recorded here instead of in the counters, so a
 * trace leaves no mark on the switch.  This is OVS's ofproto/trace idea:
 * a second implementation for tracing would drift from the real one.
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
#include "control.h"
#include "ipam.h"
#include "model.h"
#include "pipeline.h"
#include "pkt_build.h"
#include "port.h"

struct trace_ctx {
	struct json_object *stages;
	char verdict[160];
	char output[40];
	bool dropped, nat, local, hairpin;
};

bool trace_active;
static struct trace_ctx *trace_cur;
void trace_drop(enum drop_reason why);

static void trace_add(const char *stage, const char *text)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "stage", json_object_new_string(stage));
	json_object_object_add(o, "decision", json_object_new_string(text));
	json_object_array_add(trace_cur->stages, o);
}

/* Note what a decision means for the verdict, from the stage's own words. */
static void trace_classify(const char *stage, const char *text)
{
	struct trace_ctx *t = trace_cur;
	const char *out = strstr(text, "output to port ");

	if (!strncmp(text, "drop", 4) && !t->dropped) {
		t->dropped = true;
		snprintf(t->verdict, sizeof(t->verdict), "drop (%s: %.120s)", stage, text);
	}
	if (!strcmp(stage, "nat"))
		t->nat = true;
	if (!strcmp(stage, "nat") && strstr(text, "hairpin"))
		t->hairpin = true;
	if (!strcmp(stage, "dns") || !strncmp(text, "reply", 5))
		t->local = true;
	if (out && !t->output[0])
		snprintf(t->output, sizeof(t->output), "%s", out + 15);
}

void trace_note(struct pkt *p, const char *stage, const char *fmt, ...)
{
	char text[256];
	va_list ap;

	if (!p->trace || !trace_cur)
		return;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	trace_add(stage, text);
	trace_classify(stage, text);
}

/* port_drop() under a dry run: record the reason, count nothing. */
void trace_drop(enum drop_reason why)
{
	char text[80];

	if (!trace_cur)
		return;
	snprintf(text, sizeof(text), "reason %s (dry run: not counted)", drop_reason_names[why]);
	trace_add("drop", text);
	if (!trace_cur->dropped) {
		trace_cur->dropped = true;
		snprintf(trace_cur->verdict, sizeof(trace_cur->verdict), "drop (%s)",
			 drop_reason_names[why]);
	}
}

/* Pick the endpoint the container would send from: the one on-link with
 * the destination, else the one holding its default route. */
static struct endpoint *trace_pick_ep(struct container *c, uint32_t dst)
{
	struct endpoint *ep;

	LIST_FOREACH(ep, &c->endpoints, ctr_link)
		if (ipam_cidr_contains(&ep->net->subnet, dst))
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

		th->source = htons(40000);
		th->dest = htons(dport);
		th->seq = htonl(1);
		th->doff = 5;
		th->syn = 1;
		th->window = htons(65535);
	} else if (proto == IPPROTO_UDP) {
		pkt_build_udp(l4, 40000, dport, l4len);
	} else {
		pkt_build_icmp(l4, ICMP_ECHO, 0, 0x7ace, 1);
		pkt_build_icmp_csum(l4, l4len);
		return ETH_HLEN + (uint32_t)sizeof(struct iphdr) + l4len;
	}
	pkt_build_l4_csum(l4, &h, l4len);
	return ETH_HLEN + (uint32_t)sizeof(struct iphdr) + l4len;
}

static int trace_parse_args(struct json_object *args, struct container **c, uint32_t *dst,
			    uint8_t *proto, uint16_t *dport, char *err, size_t errlen)
{
	const char *from = ctl_arg_str(args, "from"), *to = ctl_arg_str(args, "to");
	const char *pr = ctl_arg_str(args, "proto");
	long long port = ctl_arg_int(args, "port", 0);

	if (!from || !(*c = model_container(from)) || LIST_EMPTY(&(*c)->endpoints)) {
		snprintf(err, errlen, "no such container with an endpoint: %s", from ? from : "");
		return -1;
	}
	if (!to || ipam_parse_ip(to, dst)) {
		snprintf(err, errlen, "invalid destination address \"%s\"", to ? to : "");
		return -1;
	}
	*proto = !pr || !strcmp(pr, "icmp") ? IPPROTO_ICMP : !strcmp(pr, "tcp") ? IPPROTO_TCP :
		 !strcmp(pr, "udp") ? IPPROTO_UDP : 0;
	if (!*proto || port < 0 || port > 65535) {
		snprintf(err, errlen, "invalid protocol or port (tcp, udp or icmp; port 1-65535)");
		return -1;
	}
	*dport = (uint16_t)(port ? port : 80);
	return 0;
}

/* Fill the Ethernet header as the container's own stack would: ARP would
 * give the peer's MAC on-link, the gateway's MAC otherwise. */
static bool trace_eth(uint8_t *f, const struct endpoint *ep, uint32_t dst)
{
	const struct network *n = ep->net;
	const struct endpoint *peer = NULL;
	char a[16];

	memcpy(f + 6, ep->mac, 6);
	f[12] = ETH_P_IP >> 8;
	f[13] = ETH_P_IP & 0xff;
	if (dst == n->gateway || !ipam_cidr_contains(&n->subnet, dst)) {
		memcpy(f, n->gw_mac, 6);
		trace_add("arp", dst == n->gateway ? "destination is the gateway: gateway MAC" :
			  "off-link destination: next hop is the gateway");
		return true;
	}
	peer = model_endpoint_by_ip(n, dst);
	if (!peer) {
		snprintf(trace_cur->verdict, sizeof(trace_cur->verdict),
			 "drop (arp: nobody on %s owns %s)", n->name, ipam_ntoa(dst, a));
		trace_add("arp", "no answer: no endpoint owns that address");
		return false;
	}
	memcpy(f, peer->mac, 6);
	trace_add("arp", "on-link destination: the peer's MAC");
	return true;
}

static void trace_run(struct endpoint *ep, uint32_t dst, uint8_t proto, uint16_t dport)
{
	static uint8_t buf[PKT_HEADROOM + 2048] __attribute__((aligned(64)));
	static struct pkt_batch b;
	struct pkt *p = &b.pkts[0];

	memset(p, 0, sizeof(*p));
	p->buf = buf;
	p->data = buf + PKT_HEADROOM;
	if (!trace_eth(p->data, ep, dst))
		return;
	p->len = trace_build_l34(p->data, ep->ip, dst, proto, dport);
	p->in_port = ep->port;
	p->flags = PKT_F_DRYRUN;
	p->trace = (struct trace_ctx *)trace_cur;
	pkt_parse(p);
	b.count = 1;
	trace_active = true;
	ingress_run(ep->port, &b);
	trace_active = false;
}

static void trace_verdict(struct trace_ctx *t, const struct endpoint *ep, uint32_t dst)
{
	if (t->verdict[0])
		return;
	if (t->local)
		snprintf(t->verdict, sizeof(t->verdict), "local (answered by the switch on %s)",
			 ep->net->name);
	else if (t->hairpin)
		snprintf(t->verdict, sizeof(t->verdict),
			 "forward (hairpin: DNAT to a published container, SNAT to the uplink address)");
	else if (t->nat)
		snprintf(t->verdict, sizeof(t->verdict), "forward (to the outside through NAT, out of %s)",
			 t->output[0] ? t->output : "the uplink");
	else if (t->output[0])
		snprintf(t->verdict, sizeof(t->verdict), "forward (output to port %s)", t->output);
	else
		snprintf(t->verdict, sizeof(t->verdict), "drop (no stage forwarded it)");
}

/* The first line: what the container sends, and from which port. */
static void trace_packet_line(const struct container *ctr, const struct endpoint *ep,
			      uint32_t dst, uint8_t proto, uint16_t dport)
{
	char line[VS_CKEY_MAX + 224], s[16], d[16], port[8] = "";

	if (proto != IPPROTO_ICMP)
		snprintf(port, sizeof(port), ":%u", dport);
	snprintf(line, sizeof(line), "%s %s -> %s%s from %s on port %s",
		 proto == IPPROTO_TCP ? "tcp SYN" : proto == IPPROTO_UDP ? "udp" : "icmp echo",
		 ipam_ntoa(ep->ip, s), ipam_ntoa(dst, d), port, ctr->name, ep->port->name);
	trace_add("packet", line);
}

static int trace_cmd(struct ctl_conn *c, struct json_object *args,
		     struct json_object **result, char *err, size_t errlen)
{
	struct trace_ctx t = { 0 };
	struct container *ctr;
	struct endpoint *ep;
	uint32_t dst;
	uint8_t proto;
	uint16_t dport;
	if (trace_parse_args(args, &ctr, &dst, &proto, &dport, err, errlen))
		return -1;
	ep = trace_pick_ep(ctr, dst);
	if (!ep->port) {
		snprintf(err, errlen, "container %s has no wired port on %s", ctr->name, ep->net->name);
		return -1;
	}
	t.stages = json_object_new_array();
	trace_cur = &t;
	trace_packet_line(ctr, ep, dst, proto, dport);
	trace_run(ep, dst, proto, dport);
	trace_verdict(&t, ep, dst);
	trace_cur = NULL;
	*result = json_object_new_object();
	json_object_object_add(*result, "stages", t.stages);
	json_object_object_add(*result, "verdict", json_object_new_string(t.verdict));
	return 0;
}

void trace_init(void)
{
	control_register(&ctl_schema_trace, trace_cmd);
}
