/* l2_fakes.c - recorders standing in for port.c, uplink.c, dns.c, trace.c
 * and capture.c in the L2/gateway unit tests, and frame builders.
 * See l2_fakes.h. */
#include <arpa/inet.h>
#include <net/ethernet.h>
#include <netinet/if_ether.h>
#include <netinet/ip.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "capture.h"
#include "csum.h"
#include "dp.h"
#include "lan.h"
#include "uplink.h"
#include "fdb.h"
#include "l2_fakes.h"
#include "mld_snoop.h"
#include "overlay.h"
#include "vxlan.h"
#include "router_port.h"
#include "pipeline.h"
#include "trace.h"

struct l2f_tx l2f_tx[L2F_MAX_TX];
unsigned int l2f_n_tx;
/* The datapath the test networks belong to: the model, the gateway's
 * route table and what the learning tables share (each test's setup
 * starts it with fdb_common_init(), l2f_teardown() empties it). */
struct dp l2f_dp = { .model = &g_model, .routes_gen = ~0u };
bool l2f_uplink_present;
enum drop_reason l2f_uplink_verdict = DROP_NONE;
unsigned int l2f_uplink_calls, l2f_dns_calls;
static uint8_t l2f_bufs[8][PKT_BUF_SIZE] __attribute__((aligned(8)));

void port_tx_queue(struct port *port, const struct pkt *p)
{
	struct l2f_tx *t;

	if (p->flags & PKT_F_DRYRUN)
		return;		/* as port.c: a traced frame is recorded, never queued */
	port->stats.tx_packets++;
	if (l2f_n_tx >= L2F_MAX_TX || p->len > sizeof(t->data))
		return;
	t = &l2f_tx[l2f_n_tx++];
	t->port = port;
	t->len = p->len;
	t->flags = p->flags;
	memcpy(t->data, p->data, p->len);
}

void port_drop(struct port *port, const struct pkt *p, enum drop_reason why)
{
	(void)p;
	port->stats.drops[why]++;
}

enum drop_reason uplink_route_out(struct network *n, struct pkt *p)
{
	(void)n; (void)p;
	l2f_uplink_calls++;
	return l2f_uplink_verdict;
}

/* lan.c's calls into the uplink: no host leg, no LAN networks (a test
 * of a LAN network sets n->lan_port to a fake port of its own). */
unsigned int l2f_host_out_calls;

bool uplink_host_out(struct uplink *ul, struct pkt *p)
{
	(void)ul; (void)p;
	l2f_host_out_calls++;
	return false;
}

const uint8_t l2f_uplink_mac[6] = { 0x02, 0x42, 0x0a, 0x00, 0x00, 0x0b };

const uint8_t *uplink_mac(const struct uplink *ul)
{
	(void)ul;
	return l2f_uplink_mac;
}

unsigned int uplink_lan_nets(const struct uplink *ul, struct network *const **nets)
{
	(void)ul;
	*nets = NULL;
	return 0;
}

/* Only a cache hint in the real switch: nothing to fake. */
void uplink_prefetch(struct network *n, struct pkt_batch *b)
{
	(void)n;
	(void)b;
}

bool uplink_present(const struct network *n, uint32_t dst)
{
	(void)n;
	(void)dst;
	return l2f_uplink_present;
}

uint32_t l2f_uplink_mtu = 1500;

/* IPv6: an uplink exactly when l2f_uplink_present, the same verdict and
 * MTU, counted in l2f_uplink6_calls. */
unsigned int l2f_uplink6_calls;

enum drop_reason uplink_route_out6(struct network *n, struct pkt *p)
{
	(void)n;
	(void)p;
	l2f_uplink6_calls++;
	return l2f_uplink_verdict;
}

uint32_t uplink_mtu6(const struct network *n)
{
	(void)n;
	return l2f_uplink_present ? l2f_uplink_mtu : 0;
}

uint32_t uplink_mtu(const struct network *n, uint32_t dst)
{
	(void)n;
	(void)dst;
	return l2f_uplink_mtu;
}

bool dns_input(struct network *n, struct endpoint *src, struct pkt *p)
{
	(void)n; (void)src; (void)p;
	l2f_dns_calls++;
	return true;
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

void capture_one(struct capture_point *cp, const struct pkt *p)
{
	(void)cp; (void)p;
}

void l2f_a6(const char *s, void *out)
{
	if (inet_pton(AF_INET6, s, out) != 1) {
		fprintf(stderr, "l2f_a6: not an IPv6 address: %s\n", s);
		abort();
	}
}

void l2f_reset(void)
{
	l2f_n_tx = 0;
	l2f_n_tun = 0;
	l2f_uplink_present = false;
	l2f_uplink_verdict = DROP_NONE;
	l2f_uplink_mtu = 1500;
	router_port_rl_reset(&l2f_dp);
	l2f_uplink_calls = l2f_dns_calls = l2f_uplink6_calls = 0;
}

uint32_t l2f_ip(const char *s)
{
	struct in_addr a;

	inet_pton(AF_INET, s, &a);
	return a.s_addr;
}

struct network *l2f_network(const char *name, const char *subnet, int len,
			    const char *gw)
{
	struct network *n = calloc(1, sizeof(*n));

	snprintf(n->name, sizeof(n->name), "%s", name);
	snprintf(n->id, sizeof(n->id), "%064x", (unsigned int)strlen(name) * 7919u);
	vs_addr_set_v4(&n->subnet.addr, l2f_ip(subnet));
	n->subnet.len = (uint8_t)len;
	vs_addr_set_v4(&n->gateway, l2f_ip(gw));
	n->icc = true;
	n->mtu = 1500;
	n->dp = &l2f_dp;
	LIST_INIT(&n->endpoints);
	model_gw_mac(n, n->gw_mac);
	HASH_ADD_STR(g_model.networks, name, n);
	n->fdb = fdb_new(n);
	return n;
}

struct endpoint *l2f_endpoint(struct network *n, const char *ctr, const char *ip)
{
	struct endpoint *ep = calloc(1, sizeof(*ep));
	struct container *c = model_container(ctr);
	struct port *port = calloc(1, sizeof(*port));

	if (!c)
		c = model_container_add(ctr, NULL);
	ep->net = n;
	ep->ctr = c;
	vs_addr_set_v4(&ep->ip, l2f_ip(ip));
	model_mac_from_ip(&ep->ip, ep->mac);
	ep->port_security = true;
	snprintf(port->name, sizeof(port->name), "%s:eth0", ctr);
	port->role = PORT_ROLE_ENDPOINT;
	port->net = n;
	port->ep = ep;
	ep->port = port;
	model_endpoint_link(ep);
	return ep;
}

/* Offsets as parse.c would set them (the tests build well-formed frames,
 * or set offsets themselves for malformed ones). */
void l2f_frame(struct pkt *p, unsigned int slot, const uint8_t *frame, uint32_t len)
{
	const struct iphdr *ip;

	memset(p, 0, sizeof(*p));
	p->buf = l2f_bufs[slot];
	p->data = p->buf + PKT_HEADROOM;	/* IP header 4-aligned (pkt.h) */
	memcpy(p->data, frame, len);
	p->len = len;
	p->l3_ofs = p->l4_ofs = PKT_OFS_NONE;
	if (len < 14)
		return;
	p->eth_type = (uint16_t)((frame[12] << 8) | frame[13]);
	p->l3_ofs = 14;
	/* IPv6 without extension headers: what parse.c finds */
	if (p->eth_type == ETHERTYPE_IPV6 && len >= 54 && frame[20] != 0 && frame[20] != 43 &&
	    frame[20] != 44 && frame[20] != 60 && frame[20] != 51) {
		p->ip_proto = frame[20];
		p->l4_ofs = 54;
		return;
	}
	if (p->eth_type != ETHERTYPE_IP || len < 34)
		return;
	ip = (const void *)(p->data + 14);
	p->ip_proto = ip->protocol;
	p->l4_ofs = (uint16_t)(14 + ip->ihl * 4);
	p->is_frag = (ntohs(ip->frag_off) & (IP_MF | IP_OFFMASK)) != 0;
}

uint32_t l2f_eth_ip(uint8_t *buf, const uint8_t *dmac, const uint8_t *smac,
		    const char *src, const char *dst, uint8_t proto, uint8_t ttl,
		    const void *l4, uint32_t l4len)
{
	struct iphdr iph, *ip = &iph;

	memcpy(buf, dmac, 6);
	memcpy(buf + 6, smac, 6);
	buf[12] = 0x08;
	buf[13] = 0x00;
	memset(ip, 0, sizeof(*ip));
	ip->version = 4;
	ip->ihl = 5;
	ip->tot_len = htons((uint16_t)(20 + l4len));
	ip->id = htons(0x1234);
	ip->ttl = ttl;
	ip->protocol = proto;
	ip->saddr = l2f_ip(src);
	ip->daddr = l2f_ip(dst);
	ip->check = csum(ip, 20);
	memcpy(buf + 14, ip, 20);
	memcpy(buf + 34, l4, l4len);
	return 34 + l4len;
}

uint32_t l2f_arp(uint8_t *buf, uint16_t op, const uint8_t *dmac, const uint8_t *smac,
		 const char *spa, const char *tpa)
{
	struct ether_arp arp, *a = &arp;
	uint32_t s = l2f_ip(spa), t = l2f_ip(tpa);

	memcpy(buf, dmac, 6);
	memcpy(buf + 6, smac, 6);
	buf[12] = 0x08;
	buf[13] = 0x06;
	a->arp_hrd = htons(ARPHRD_ETHER);
	a->arp_pro = htons(ETHERTYPE_IP);
	a->arp_hln = 6;
	a->arp_pln = 4;
	a->arp_op = htons(op);
	memcpy(a->arp_sha, smac, 6);
	memcpy(a->arp_spa, &s, 4);
	memset(a->arp_tha, 0, 6);
	memcpy(a->arp_tpa, &t, 4);
	memcpy(buf + 14, a, sizeof(*a));
	return 42;
}

void l2f_send(struct endpoint *ep, const uint8_t *frame, uint32_t len)
{
	struct pkt_batch b;

	b.count = 1;
	l2f_frame(&b.pkts[0], 0, frame, len);
	ingress_run(ep->port, &b);
}

void l2f_teardown(void)
{
	struct network *n, *tmp;
	struct endpoint *ep;

	HASH_ITER(hh, g_model.networks, n, tmp) {
		fdb_free(n->fdb);
		n->fdb = NULL;
		mld_snoop_free(n->mld);
		n->mld = NULL;
		LIST_FOREACH(ep, &n->endpoints, net_link)
			free(ep->port);
	}
	model_clear();
	fdb_common_fini(&l2f_dp.fdb);
}

/* ---- the tunnel (port_vxlan.c) ---- */
struct l2f_tun l2f_tun[L2F_MAX_TUN];
unsigned int l2f_n_tun;

void vxlan_output(struct network *n, struct pkt *p, const struct overlay_vtep *dst)
{
	struct l2f_tun *t;

	if (l2f_n_tun == L2F_MAX_TUN)
		return;
	t = &l2f_tun[l2f_n_tun++];
	t->net = n;
	t->vtep = dst->addr;
	t->len = p->len < sizeof(t->data) ? p->len : sizeof(t->data);
	memcpy(t->data, p->data, t->len);
}
