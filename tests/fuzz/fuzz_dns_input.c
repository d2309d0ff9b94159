/* fuzz_dns_input.c - libFuzzer target for the resolver behind dns_input().
 *
 * The input is cut into frames (a length byte, then a flags byte choosing
 * UDP or TCP and the TCP flags, then the payload): whole query frames go
 * through dns_input() against a small fixed model, so the resolver, the
 * name index, the flood limits and the TCP responder's state machine see
 * hostile sequences, not only single messages.  Frames alternate between
 * IPv4 and IPv6 (every second frame of an input goes to the gateway's
 * IPv6 address), so both families share the client and connection state
 * as a dual-stack container's would.  Reply frames are checked
 * for sane lengths and dropped.  Other areas' functions are stubs here.
 */
#include <arpa/inet.h>
#include <net/ethernet.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dns_internal.h"
#include "dp.h"
#include "hash.h"
#include "model.h"
#include "netns.h"
#include "pipeline.h"
#include "trace.h"
#include "port.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

void egress_output(struct port *out, struct pkt *p)
{
	(void)out;
	if (p->len < 42 || p->len > 14 + 65535)
		abort();
}
void port_drop(struct port *port, const struct pkt *p, enum drop_reason why)
{
	(void)p;
	port->stats.drops[why]++;
}
void trace_note_add(struct pkt *p, const char *stage, const char *fmt, ...)
{
	(void)p; (void)stage; (void)fmt;
}

void trace_event_add(const struct pkt *p, const char *stage, enum trace_decision d,
		 const struct port *port, const char *fmt, ...)
{
	(void)p; (void)stage; (void)d; (void)port; (void)fmt;
}

void trace_stage_set(const struct pkt *p, const char *stage)
{
	(void)p; (void)stage;
}
bool netns_ref_is_name(const char *ref) { (void)ref; return false; }

/* The resolver, in a datapath of its own that the network points to. */
static struct dns fz_dns;
static struct dp fz_dp = { .model = &g_model, .dns = &fz_dns };
static struct network net;
static struct container ctr[2];
static struct endpoint ep[2];
static struct port port[2];

static void fuzz_setup(void)
{
	static bool done;
	char err[64];
	int i;

	if (done)
		return;
	done = true;
	hash_set_basis(0x5eed5eed5eed5eedULL);   /* replays put keys in the same buckets */
	snprintf(net.name, sizeof(net.name), "n1");
	net.dp = &fz_dp;
	fz_dns.model = &g_model;
	vs_addr_set_v4(&net.gateway, htonl(0xac120001));
	net.dns = true;
	net.mtu = 1500;
	net.ipv6 = true;
	vs_addr_parse("fd00:12::1", &net.gateway6);
	LIST_INIT(&net.endpoints);
	HASH_ADD_STR(g_model.networks, name, (&net));
	for (i = 0; i < 2; i++) {
		snprintf(ctr[i].name, sizeof(ctr[i].name), "c%d", i + 1);
		LIST_INIT(&ctr[i].endpoints);
		ep[i].net = &net;
		ep[i].ctr = &ctr[i];
		vs_addr_set_v4(&ep[i].ip, htonl(0xac120002 + (uint32_t)i));
		vs_addr_parse(i ? "fd00:12::3" : "fd00:12::2", &ep[i].ip6);   /* before the link */
		ep[i].port = &port[i];
		snprintf(ep[i].aliases[0], VS_NAME_MAX, "web");
		ep[i].n_aliases = 1;
		port[i].ep = &ep[i];
		model_endpoint_link(&ep[i]);
		dns_endpoint_added(&fz_dns, &ep[i]);
	}
	dns_forward_init(&fz_dns, NULL, NULL, 0, err, sizeof(err));
	dns_tcp_init(&fz_dns, NULL);
}

static uint8_t frame_raw[2 + 14 + 40 + 20 + 256] __attribute__((aligned(8)));

/* The IP header of a frame to the gateway, IPv4 or IPv6; its length. */
static size_t fuzz_l3(uint8_t *l3, bool v6, uint8_t proto, size_t l4len)
{
	struct iphdr *ip = (void *)l3;

	if (v6) {
		memset(l3, 0, 40);
		l3[0] = 0x60;
		l3[4] = (uint8_t)(l4len >> 8);
		l3[5] = (uint8_t)l4len;
		l3[6] = proto;
		l3[7] = 64;
		memcpy(l3 + 8, ep[0].ip6.b, 16);
		memcpy(l3 + 24, net.gateway6.b, 16);
		return 40;
	}
	ip->version = 4;
	ip->ihl = 5;
	ip->protocol = proto;
	ip->tot_len = htons((uint16_t)(20 + l4len));
	ip->saddr = vs_addr_get_v4(&ep[0].ip);
	ip->daddr = vs_addr_get_v4(&net.gateway);
	return 20;
}

static void fuzz_frame(uint8_t sel, bool v6, const uint8_t *pl, size_t len)
{
	uint8_t *f = frame_raw + 2;
	bool tcp = sel & 1;
	size_t l4 = tcp ? 20 : 8, l3;
	struct pkt p;
	uint8_t *l4h;

	memset(f, 0, 14 + 40 + l4);
	((struct ether_header *)f)->ether_type = htons(v6 ? ETHERTYPE_IPV6 : ETHERTYPE_IP);
	l3 = fuzz_l3(f + 14, v6, tcp ? IPPROTO_TCP : IPPROTO_UDP, l4 + len);
	l4h = f + 14 + l3;
	if (tcp) {
		struct tcphdr *th = (void *)l4h;

		th->source = htons(40000);
		th->dest = htons(53);
		th->doff = 5;
		((uint8_t *)th)[13] = (uint8_t)(sel >> 1) & 0x1f;
		th->window = htons(65535);
		/* Built with -DDNS_FUZZ our ISN is 0: SYN at 0, data at 1 and
		 * ACK 1 are what the responder expects, so the fuzzer reaches
		 * the established state and the message path. */
		th->seq = htonl(sel & 0x40 ? 1 : 0);
		th->ack_seq = htonl(sel & 0x80 ? 1 + (uint32_t)len : 1);
	} else {
		struct udphdr *udp = (void *)l4h;

		udp->source = htons(40000);
		udp->dest = htons(53);
		udp->len = htons((uint16_t)(8 + len));
	}
	memcpy(l4h + l4, pl, len);
	memset(&p, 0, sizeof(p));
	p.data = f;
	p.len = (uint32_t)(14 + l3 + l4 + len);
	p.l3_ofs = 14;
	p.l4_ofs = (uint16_t)(14 + l3);
	p.eth_type = v6 ? ETHERTYPE_IPV6 : ETHERTYPE_IP;
	p.ip_proto = tcp ? IPPROTO_TCP : IPPROTO_UDP;
	p.in_port = &port[0];
	dns_input(&net, &ep[0], &p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t off = 0;
	bool v6 = false;

	fuzz_setup();
	while (off + 2 <= size) {
		size_t len = data[off];
		uint8_t sel = data[off + 1];

		off += 2;
		if (len > size - off)
			len = size - off;
		fuzz_frame(sel, v6, data + off, len);
		v6 = !v6;
		off += len;
	}
	return 0;
}
