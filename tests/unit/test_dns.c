/* test_dns.c - cmocka tests for the DNS parser, the responder, the TCP
 * responder, forwarding and resolv.conf, fed crafted frames.
 *
 * egress_output, port_drop and trace_note are recorders
 * here (the real ones live in the L2 area), so each test sees every reply
 * frame the resolver made and every drop it counted.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <ev.h>
#include <net/ethernet.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "csum.h"
#include "dns_internal.h"
#include "dp.h"
#include "fd_budget.h"
#include "model.h"
#include "netns.h"
#include "pipeline.h"
#include "trace.h"
#include "port.h"

/* ---- recorders for the functions of other areas ---- */

#define MAX_TX 2048
/* data sits 2 bytes past an 8-byte boundary so the IP header is aligned */
struct tx { struct port *port; size_t len; uint8_t pad[6]; uint8_t data[2048]; };
static struct tx txs[MAX_TX];
static unsigned int n_tx;

void egress_output(struct port *out, struct pkt *p)
{
	if (n_tx < MAX_TX && p->len <= sizeof(txs[0].data)) {
		txs[n_tx].port = out;
		txs[n_tx].len = p->len;
		memcpy(txs[n_tx].data, p->data, p->len);
		n_tx++;
	}
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

bool netns_ref_is_name(const char *ref)
{
	return ref && ref[0] && !strchr(ref, '/') && strncmp(ref, "pid:", 4) != 0;
}

/* ---- a small model: network n1 (DNS), c1..c3, alias "web" on c2, c3 ---- */

/* The resolver under test, in a datapath of its own that the networks
 * point to (dns_input() finds it through n->dp). */
static struct dns test_dns;
static struct dp test_dp = { .model = &g_model, .dns = &test_dns };
static struct network *n1, *nb, *ni;
static struct container *c1, *c2, *c3;
static struct endpoint *e1, *e2, *e3, *ei;
static struct port p1, p2, p3, pi;
static char rc_root[64];

static struct network *mk_net(const char *name, const char *gw, bool dns, bool icpt)
{
	struct network *n = calloc(1, sizeof(*n));

	snprintf(n->name, sizeof(n->name), "%s", name);
	assert_int_equal(vs_addr_parse(gw, &n->gateway), 0);
	n->dns = dns;
	n->dns_intercept = icpt;
	n->mtu = 1500;
	n->dp = &test_dp;
	memcpy(n->gw_mac, "\x06\x01\x02\x03\x04\x05", 6);
	LIST_INIT(&n->endpoints);
	HASH_ADD_STR(g_model.networks, name, n);
	return n;
}

static struct endpoint *mk_ep(struct network *n, struct container *c, const char *ip,
			      struct port *port, const char *alias)
{
	struct endpoint *ep = calloc(1, sizeof(*ep));

	ep->net = n;
	ep->ctr = c;
	assert_int_equal(vs_addr_parse(ip, &ep->ip), 0);
	model_mac_from_ip(&ep->ip, ep->mac);
	ep->port = port;
	ep->conn_order = c->next_order++;
	port->ep = ep;
	port->net = n;
	if (alias) {
		snprintf(ep->aliases[0], VS_NAME_MAX, "%s", alias);
		ep->n_aliases = 1;
	}
	model_endpoint_link(ep);
	dns_endpoint_added(&test_dns, ep);
	return ep;
}

static int setup(void **state)
{
	char err[128];

	(void)state;
	snprintf(rc_root, sizeof(rc_root), "/tmp/test_dns_rc.%d", (int)getpid());
	mkdir(rc_root, 0755);
	dns_resolvconf_root = rc_root;
	test_dns.model = &g_model;	/* dns_fini() zeroes it */
	dns_set_test_clock(&test_dns, 1000000);
	assert_int_equal(dns_forward_init(&test_dns, NULL, NULL, 0, err, sizeof(err)), 0);
	assert_int_equal(dns_tcp_init(&test_dns, NULL), 0);
	n1 = mk_net("n1", "172.18.0.1", true, false);
	nb = mk_net("bridge", "172.17.0.1", false, false);
	ni = mk_net("ni", "172.19.0.1", true, true);
	c1 = model_container_add("c1", "tdnsc1");
	c2 = model_container_add("C2", "/proc/1/ns/net");
	c3 = model_container_add("c3", "tdnsc3");
	e1 = mk_ep(n1, c1, "172.18.0.2", &p1, NULL);
	e2 = mk_ep(n1, c2, "172.18.0.3", &p2, "web");
	e3 = mk_ep(n1, c3, "172.18.0.4", &p3, "web");
	ei = mk_ep(ni, c3, "172.19.0.2", &pi, NULL);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	dns_fini(&test_dns);
	model_clear();
	memset(&g_model, 0, sizeof(g_model));
	rmdir(rc_root);
	return 0;
}

/* ---- frame and message builders ---- */

static size_t mk_query(uint8_t *b, uint16_t id, const char *name, uint16_t qtype,
		       bool edns)
{
	uint8_t wire[256];
	int wl = dns_wire_name_from_text(name, wire, sizeof(wire));
	size_t o = 12;

	memset(b, 0, 12);
	b[0] = (uint8_t)(id >> 8);
	b[1] = (uint8_t)id;
	b[2] = 0x01;                    /* RD */
	b[5] = 1;
	memcpy(b + o, wire, (size_t)wl);
	o += (size_t)wl;
	b[o++] = (uint8_t)(qtype >> 8);
	b[o++] = (uint8_t)qtype;
	b[o++] = 0;
	b[o++] = 1;
	if (edns) {
		static const uint8_t opt[] = { 0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0 };

		b[11] = 1;
		memcpy(b + o, opt, sizeof(opt));
		o += sizeof(opt);
	}
	return o;
}

static uint8_t fbuf_raw[4096 + 2] __attribute__((aligned(8)));
#define fbuf (fbuf_raw + 2)

/* A UDP frame from endpoint EP to DST:53 carrying MSG, parsed as parse.c would. */
static struct pkt mk_udp(struct endpoint *ep, const char *dst, const uint8_t *msg,
			 size_t len)
{
	struct ether_header *eth = (struct ether_header *)fbuf;
	struct iphdr *ip = (void *)(eth + 1);
	struct udphdr *udp = (struct udphdr *)(ip + 1);
	struct pkt p;

	memset(fbuf, 0, 64);
	memcpy(eth->ether_shost, ep->mac, 6);
	memcpy(eth->ether_dhost, ep->net->gw_mac, 6);
	eth->ether_type = htons(ETHERTYPE_IP);
	ip->version = 4;
	ip->ihl = 5;
	ip->ttl = 64;
	ip->protocol = IPPROTO_UDP;
	ip->tot_len = htons((uint16_t)(28 + len));
	ip->saddr = vs_addr_get_v4(&ep->ip);
	inet_pton(AF_INET, dst, &ip->daddr);
	udp->source = htons(40000);
	udp->dest = htons(53);
	udp->len = htons((uint16_t)(8 + len));
	memcpy(udp + 1, msg, len);
	memset(&p, 0, sizeof(p));
	p.data = fbuf;
	p.buf = fbuf;
	p.len = (uint32_t)(42 + len);
	p.l3_ofs = 14;
	p.l4_ofs = 34;
	p.eth_type = ETHERTYPE_IP;
	p.ip_proto = IPPROTO_UDP;
	p.in_port = ep->port;
	return p;
}

/* Send a query from EP and return the DNS payload of the reply (or NULL). */
static const uint8_t *ask(struct endpoint *ep, const char *dst, const uint8_t *msg,
			  size_t len, size_t *rlen)
{
	struct pkt p = mk_udp(ep, dst, msg, len);
	unsigned int before = n_tx;

	assert_true(dns_input(ep->net, ep, &p));
	if (n_tx == before)
		return NULL;
	assert_int_equal(n_tx, before + 1);
	*rlen = txs[before].len - 42;
	return txs[before].data + 42;
}

static uint16_t g16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }

/* Offset of the first answer RR in reply R (one question). */
static size_t first_rr(const uint8_t *r, size_t len)
{
	uint8_t wire[256];
	size_t wl, next;

	assert_int_equal(dns_wire_name(r, len, 12, wire, &wl, &next), 0);
	return next + 4;
}

/* ---- parser ---- */

static void test_parse_ok(void **state)
{
	uint8_t m[512];
	struct dns_query q;
	size_t len = mk_query(m, 0x1234, "C2.N1", DNS_T_A, true);

	(void)state;
	assert_int_equal(dns_wire_parse_query(m, len, &q), DNS_PARSE_OK);
	assert_string_equal(q.name, "c2.n1");
	assert_true(q.name_plain);
	assert_int_equal(q.qtype, DNS_T_A);
	assert_int_equal(q.id, 0x1234);
	assert_true(q.edns);
	assert_int_equal(q.edns_size, 1232);
}

static void test_parse_hostile(void **state)
{
	uint8_t m[600];
	struct dns_query q;
	size_t len = mk_query(m, 1, "c2", DNS_T_A, false), i;

	(void)state;
	/* Too short for a header: no reply. */
	assert_int_equal(dns_wire_parse_query(m, 11, &q), DNS_PARSE_DROP);
	/* Truncated question. */
	assert_int_equal(dns_wire_parse_query(m, len - 1, &q), DNS_RC_FORMERR);
	/* Trailing garbage: the counts lie. */
	m[len] = 0xaa;
	assert_int_equal(dns_wire_parse_query(m, len + 1, &q), DNS_RC_FORMERR);
	/* A response is never answered. */
	m[2] |= 0x80;
	assert_int_equal(dns_wire_parse_query(m, len, &q), DNS_PARSE_DROP);
	m[2] &= 0x7f;
	/* Opcode STATUS: NOTIMP. */
	m[2] |= 2 << 3;
	assert_int_equal(dns_wire_parse_query(m, len, &q), DNS_RC_NOTIMP);
	m[2] &= (uint8_t)~(0xf << 3);
	/* Two questions announced, one present; zero questions. */
	m[5] = 2;
	assert_int_equal(dns_wire_parse_query(m, len, &q), DNS_RC_FORMERR);
	m[5] = 0;
	assert_int_equal(dns_wire_parse_query(m, len, &q), DNS_RC_FORMERR);
	m[5] = 1;
	/* arcount that lies. */
	m[11] = 3;
	assert_int_equal(dns_wire_parse_query(m, len, &q), DNS_RC_FORMERR);
	m[11] = 0;
	/* Compression loop: a pointer to itself at offset 12. */
	m[12] = 0xc0;
	m[13] = 12;
	assert_int_equal(dns_wire_parse_query(m, len, &q), DNS_RC_FORMERR);
	/* Pointer into the header. */
	m[13] = 2;
	assert_int_equal(dns_wire_parse_query(m, len, &q), DNS_RC_FORMERR);
	/* Extended label type 0x40. */
	m[12] = 0x41;
	assert_int_equal(dns_wire_parse_query(m, len, &q), DNS_RC_FORMERR);
	/* Label of 64 bytes. */
	memset(m + 12, 'a', 80);
	m[12] = 64;
	m[77] = 0;
	m[78] = 0; m[79] = 1; m[80] = 0; m[81] = 1;
	assert_int_equal(dns_wire_parse_query(m, 82, &q), DNS_RC_FORMERR);
	/* Name over 255 bytes: five labels of 63. */
	for (i = 0; i < 5; i++) {
		m[12 + i * 64] = 63;
		memset(m + 13 + i * 64, 'b', 63);
	}
	m[12 + 320] = 0;
	memset(m + 333, 0, 4);
	m[334] = 1; m[336] = 1;
	assert_int_equal(dns_wire_parse_query(m, 337, &q), DNS_RC_FORMERR);
	/* Two OPT records. */
	len = mk_query(m, 1, "c2", DNS_T_A, true);
	memcpy(m + len, m + len - 11, 11);
	m[11] = 2;
	assert_int_equal(dns_wire_parse_query(m, len + 11, &q), DNS_RC_FORMERR);
}

static void test_name_compression(void **state)
{
	/* "a.b" at 12, then a pointer to "b" at 14 followed by ... */
	uint8_t m[] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
			1, 'a', 1, 'b', 0,        /* 12: a.b */
			1, 'x', 0xc0, 14 };       /* 17: x + ptr -> b */
	uint8_t wire[256];
	char text[256];
	size_t wl, next;
	bool plain;

	(void)state;
	assert_int_equal(dns_wire_name(m, sizeof(m), 17, wire, &wl, &next), 0);
	assert_int_equal(next, sizeof(m));
	assert_true(dns_wire_name_text(wire, wl, text, sizeof(text), &plain) > 0);
	assert_string_equal(text, "x.b");
	/* A pointer forwards (to itself) is refused. */
	m[20] = 19;
	assert_int_equal(dns_wire_name(m, sizeof(m), 17, wire, &wl, &next), -1);
	/* A label with a dot in it is not plain. */
	m[13] = '.';
	assert_int_equal(dns_wire_name(m, sizeof(m), 12, wire, &wl, &next), 0);
	dns_wire_name_text(wire, wl, text, sizeof(text), &plain);
	assert_false(plain);
}

/* ---- responder ---- */

static void test_answer_a(void **state)
{
	uint8_t m[512];
	const uint8_t *r;
	size_t len = mk_query(m, 0xbeef, "c2", DNS_T_A, false), rlen, o;
	const struct iphdr *ip;
	const struct udphdr *udp;
	uint32_t ip2;

	(void)state;
	n_tx = 0;
	r = ask(e1, "172.18.0.1", m, len, &rlen);
	assert_non_null(r);
	assert_ptr_equal(txs[0].port, &p1);
	assert_memory_equal(txs[0].data, e1->mac, 6);        /* to c1 */
	assert_memory_equal(txs[0].data + 6, n1->gw_mac, 6); /* from the gateway */
	ip = (const void *)(txs[0].data + 14);
	udp = (const struct udphdr *)(ip + 1);
	assert_int_equal(ip->saddr, vs_addr_get_v4(&n1->gateway));
	assert_int_equal(ip->daddr, vs_addr_get_v4(&e1->ip));
	assert_int_equal(ntohs(udp->source), 53);
	assert_int_equal(ntohs(udp->dest), 40000);
	assert_int_equal(csum(ip, 20), 0);
	assert_int_equal(g16(r), 0xbeef);
	assert_int_equal(g16(r + 2) & 0x8000, 0x8000);       /* QR */
	assert_int_equal(g16(r + 2) & 0xf, 0);                /* NOERROR */
	assert_int_equal(g16(r + 6), 1);
	o = first_rr(r, rlen);
	assert_int_equal(g16(r + o + 2), DNS_T_A);
	assert_int_equal(g16(r + o + 8), DNS_TTL);
	assert_int_equal(g16(r + o + 10), 4);
	memcpy(&ip2, r + o + 12, 4);
	assert_true(vs_addr_eq_v4(&e2->ip, ip2));

	/* NAME.NETWORK, any case. */
	len = mk_query(m, 2, "C2.n1", DNS_T_A, true);
	r = ask(e1, "172.18.0.1", m, len, &rlen);
	assert_non_null(r);
	assert_int_equal(g16(r + 6), 1);
	assert_int_equal(g16(r + 10), 1);                     /* our OPT */
}

static void test_alias_rotation(void **state)
{
	uint8_t m[512];
	const uint8_t *r;
	size_t len = mk_query(m, 3, "web", DNS_T_A, false), rlen, o;
	uint32_t first[2];
	int i;

	(void)state;
	for (i = 0; i < 2; i++) {
		r = ask(e1, "172.18.0.1", m, len, &rlen);
		assert_non_null(r);
		assert_int_equal(g16(r + 6), 2);
		o = first_rr(r, rlen);
		memcpy(&first[i], r + o + 12, 4);
	}
	assert_true(first[0] != first[1]);
	assert_true(vs_addr_eq_v4(&e2->ip, first[0]) || vs_addr_eq_v4(&e3->ip, first[0]));
	assert_true(vs_addr_eq_v4(&e2->ip, first[1]) || vs_addr_eq_v4(&e3->ip, first[1]));
}

static void test_ptr_aaaa(void **state)
{
	uint8_t m[512], wire[64];
	const uint8_t *r;
	size_t len = mk_query(m, 4, "3.0.18.172.in-addr.arpa", DNS_T_PTR, false), rlen, o;
	int wl = dns_wire_name_from_text("C2.n1", wire, sizeof(wire));

	(void)state;
	r = ask(e1, "172.18.0.1", m, len, &rlen);
	assert_non_null(r);
	assert_int_equal(g16(r + 6), 1);
	o = first_rr(r, rlen);
	assert_int_equal(g16(r + o + 2), DNS_T_PTR);
	assert_int_equal(g16(r + o + 10), wl);
	assert_memory_equal(r + o + 12, wire, (size_t)wl);

	/* A known name asked for AAAA: NOERROR, no answer. */
	len = mk_query(m, 5, "c2", DNS_T_AAAA, false);
	r = ask(e1, "172.18.0.1", m, len, &rlen);
	assert_non_null(r);
	assert_int_equal(g16(r + 2) & 0xf, 0);
	assert_int_equal(g16(r + 6), 0);
}

/*
 * The records hold addresses of either family (dns.c): an IPv6 address
 * under a name is kept, but A answers only the IPv4 ones -- a shared alias
 * still gives its two IPv4 addresses, and a name with only an IPv6
 * address is known (NOERROR) with no A answer, not forwarded.
 */
static void test_records_family(void **state)
{
	static struct port p6;
	struct container *c6 = model_container_add("c6", "tdnsc6");
	struct endpoint *e6;
	uint8_t m[512];
	const uint8_t *r;
	size_t len, rlen;

	(void)state;
	assert_non_null(c6);
	e6 = mk_ep(n1, c6, "fd00::6", &p6, "web");
	assert_false(vs_addr_is_v4(&e6->ip));
	len = mk_query(m, 20, "web", DNS_T_A, false);
	r = ask(e1, "172.18.0.1", m, len, &rlen);
	assert_non_null(r);
	assert_int_equal(g16(r + 2) & 0xf, 0);
	assert_int_equal(g16(r + 6), 2);                      /* e2 and e3 only */
	len = mk_query(m, 21, "c6", DNS_T_A, false);
	r = ask(e1, "172.18.0.1", m, len, &rlen);
	assert_non_null(r);
	assert_int_equal(g16(r + 2) & 0xf, 0);                /* ours: NOERROR */
	assert_int_equal(g16(r + 6), 0);
	dns_endpoint_removed(&test_dns, e6);
	model_endpoint_unlink(e6);
	free(e6);
	len = mk_query(m, 22, "web", DNS_T_A, false);
	r = ask(e1, "172.18.0.1", m, len, &rlen);
	assert_non_null(r);
	assert_int_equal(g16(r + 6), 2);
}

static void test_unknown_no_upstream(void **state)
{
	uint8_t m[512];
	const uint8_t *r;
	size_t len = mk_query(m, 6, "example.test", DNS_T_A, false), rlen;

	(void)state;
	r = ask(e1, "172.18.0.1", m, len, &rlen);
	assert_non_null(r);
	assert_int_equal(g16(r + 2) & 0xf, DNS_RC_SERVFAIL);
	/* Another network's container is not a name here. */
	len = mk_query(m, 7, "c1", DNS_T_A, false);
	r = ask(ei, "172.19.0.1", m, len, &rlen);
	assert_int_equal(g16(r + 2) & 0xf, DNS_RC_SERVFAIL);
}

static void test_errors_and_drops(void **state)
{
	uint8_t m[512];
	const uint8_t *r;
	size_t len = mk_query(m, 8, "c2", DNS_T_A, false), rlen;
	uint64_t drops = p1.stats.drops[DROP_DNS_BAD];
	struct pkt p;

	(void)state;
	/* Too short: dropped and counted. */
	assert_null(ask(e1, "172.18.0.1", m, 5, &rlen));
	assert_int_equal(p1.stats.drops[DROP_DNS_BAD], drops + 1);
	/* NOTIMP with the question echoed. */
	m[2] |= 4 << 3;
	r = ask(e1, "172.18.0.1", m, len, &rlen);
	assert_int_equal(g16(r + 2) & 0xf, DNS_RC_NOTIMP);
	m[2] &= (uint8_t)~(0xf << 3);
	/* A loop in the question: FORMERR, header only. */
	m[12] = 0xc0;
	m[13] = 12;
	r = ask(e1, "172.18.0.1", m, len, &rlen);
	assert_int_equal(g16(r + 2) & 0xf, DNS_RC_FORMERR);
	assert_int_equal(rlen, 12);
	/* UDP length that lies. */
	len = mk_query(m, 9, "c2", DNS_T_A, false);
	p = mk_udp(e1, "172.18.0.1", m, len);
	((struct udphdr *)(fbuf + 34))->len = htons(1000);
	assert_true(dns_input(n1, e1, &p));
	assert_int_equal(p1.stats.drops[DROP_DNS_BAD], drops + 2);
	/* EDNS version 1: BADVERS. */
	len = mk_query(m, 10, "c2", DNS_T_A, true);
	m[len - 5] = 1;
	r = ask(e1, "172.18.0.1", m, len, &rlen);
	assert_int_equal(g16(r + 10), 1);
	assert_int_equal(r[rlen - 6], 1);                    /* extended rcode */
	/* A network without DNS does not take the packet. */
	p = mk_udp(e1, "172.17.0.1", m, len);
	assert_false(dns_input(nb, NULL, &p));
}

static void test_flood(void **state)
{
	uint8_t m[512];
	size_t len = mk_query(m, 11, "c1", DNS_T_A, false), rlen;
	unsigned int answered = 0, i;

	(void)state;
	dns_set_test_clock(&test_dns, 2000000);
	for (i = 0; i < 2000; i++)
		if (ask(e2, "172.18.0.1", m, len, &rlen))
			answered++;
	assert_true(answered >= 300 && answered <= 500);
	assert_true(p2.stats.drops[DROP_DNS_FLOOD] >= 1500);
	/* The neighbour is not starved. */
	assert_non_null(ask(e3, "172.18.0.1", m, len, &rlen));
	/* Tokens come back with time. */
	dns_set_test_clock(&test_dns, 2001000);
	assert_non_null(ask(e2, "172.18.0.1", m, len, &rlen));
}

static void test_intercept(void **state)
{
	uint8_t m[512];
	const uint8_t *r;
	size_t len = mk_query(m, 12, "c3", DNS_T_A, false), rlen;
	const struct iphdr *ip;

	(void)state;
	n_tx = 0;
	r = ask(ei, "8.8.8.8", m, len, &rlen);
	assert_non_null(r);
	assert_int_equal(g16(r + 6), 1);
	ip = (const void *)(txs[0].data + 14);
	assert_int_equal(ip->saddr, inet_addr("8.8.8.8"));
}

static void test_remove(void **state)
{
	uint8_t m[512];
	const uint8_t *r;
	size_t len = mk_query(m, 13, "web", DNS_T_A, false), rlen;

	(void)state;
	dns_set_test_clock(&test_dns, 3000000);
	dns_endpoint_removed(&test_dns, e3);
	r = ask(e1, "172.18.0.1", m, len, &rlen);
	assert_int_equal(g16(r + 6), 1);
	dns_endpoint_removed(&test_dns, e2);
	r = ask(e1, "172.18.0.1", m, len, &rlen);
	assert_int_equal(g16(r + 2) & 0xf, DNS_RC_SERVFAIL);   /* forwarded: none */
	dns_endpoint_added(&test_dns, e2);
	dns_endpoint_added(&test_dns, e3);
}

/* ---- TCP ---- */

static uint32_t cseq;

static struct pkt mk_tcp(struct endpoint *ep, uint8_t flags, uint32_t seq, uint32_t ack,
			 const uint8_t *data, size_t len)
{
	struct ether_header *eth = (struct ether_header *)fbuf;
	struct iphdr *ip = (void *)(eth + 1);
	struct tcphdr *th = (struct tcphdr *)(ip + 1);
	struct pkt p;

	memset(fbuf, 0, 64);
	memcpy(eth->ether_shost, ep->mac, 6);
	eth->ether_type = htons(ETHERTYPE_IP);
	ip->version = 4;
	ip->ihl = 5;
	ip->protocol = IPPROTO_TCP;
	ip->tot_len = htons((uint16_t)(40 + len));
	ip->saddr = vs_addr_get_v4(&ep->ip);
	ip->daddr = vs_addr_get_v4(&ep->net->gateway);
	th->source = htons(41000);
	th->dest = htons(53);
	th->seq = htonl(seq);
	th->ack_seq = htonl(ack);
	th->doff = 5;
	((uint8_t *)th)[13] = flags;
	th->window = htons(65535);
	if (len)
		memcpy(th + 1, data, len);
	memset(&p, 0, sizeof(p));
	p.data = fbuf;
	p.len = (uint32_t)(54 + len);
	p.l3_ofs = 14;
	p.l4_ofs = 34;
	p.eth_type = ETHERTYPE_IP;
	p.ip_proto = IPPROTO_TCP;
	p.in_port = ep->port;
	return p;
}

static const struct tcphdr *tx_tcp(unsigned int i) {
	return (const void *)(txs[i].data + 34);
}

static void test_tcp(void **state)
{
	uint8_t m[520];
	size_t len = mk_query(m + 2, 0x7777, "c2.n1", DNS_T_A, false);
	struct pkt p;
	uint32_t srv;
	const struct tcphdr *th;
	const uint8_t *d;

	(void)state;
	n_tx = 0;
	cseq = 1000;
	p = mk_tcp(e1, TH_SYN, cseq, 0, NULL, 0);
	assert_true(dns_input(n1, e1, &p));
	assert_int_equal(n_tx, 1);
	th = tx_tcp(0);
	assert_int_equal(th->syn, 1);
	assert_int_equal(th->ack, 1);
	assert_int_equal(ntohl(th->ack_seq), cseq + 1);
	srv = ntohl(th->seq) + 1;
	assert_int_equal(dns_tcp_conns(&test_dns), 1);
	cseq++;
	p = mk_tcp(e1, TH_ACK, cseq, srv, NULL, 0);
	assert_true(dns_input(n1, e1, &p));
	assert_int_equal(n_tx, 1);
	/* The query, in two pieces: length prefix first. */
	m[0] = (uint8_t)(len >> 8);
	m[1] = (uint8_t)len;
	p = mk_tcp(e1, TH_ACK | TH_PUSH, cseq, srv, m, 1);
	assert_true(dns_input(n1, e1, &p));
	cseq += 1;
	p = mk_tcp(e1, TH_ACK | TH_PUSH, cseq, srv, m + 1, len + 1);
	assert_true(dns_input(n1, e1, &p));
	cseq += (uint32_t)len + 1;
	th = tx_tcp(n_tx - 1);
	assert_int_equal(ntohl(th->ack_seq), cseq);
	assert_int_equal(ntohl(th->seq), srv);
	d = (const uint8_t *)th + th->doff * 4;
	assert_int_equal(g16(d) + 2, txs[n_tx - 1].len - 54);
	assert_int_equal(g16(d + 2), 0x7777);
	assert_int_equal(g16(d + 8), 1);                      /* one answer */
	srv += g16(d) + 2;
	/* FIN after the answer is acked: our FIN, then the last ACK frees. */
	p = mk_tcp(e1, TH_ACK | TH_FIN, cseq, srv, NULL, 0);
	assert_true(dns_input(n1, e1, &p));
	th = tx_tcp(n_tx - 1);
	assert_int_equal(th->fin, 1);
	assert_int_equal(ntohl(th->ack_seq), cseq + 1);
	p = mk_tcp(e1, TH_ACK, cseq + 1, srv + 1, NULL, 0);
	assert_true(dns_input(n1, e1, &p));
	assert_int_equal(dns_tcp_conns(&test_dns), 0);
	/* A stray segment gets RST. */
	p = mk_tcp(e1, TH_ACK, 5, 5, NULL, 0);
	assert_true(dns_input(n1, e1, &p));
	assert_int_equal(tx_tcp(n_tx - 1)->rst, 1);
}

/* Two queries in one segment (RFC 7766 pipelining): both answered. */
static void test_tcp_pipelined(void **state)
{
	uint8_t m[600];
	size_t l1 = mk_query(m + 2, 0x0101, "c2", DNS_T_A, false), l2;
	struct pkt p;
	uint32_t srv;
	const struct tcphdr *th;
	const uint8_t *d;

	(void)state;
	dns_set_test_clock(&test_dns, 5000000);
	m[0] = 0;
	m[1] = (uint8_t)l1;
	l2 = mk_query(m + 4 + l1, 0x0202, "web", DNS_T_A, false);
	m[2 + l1] = 0;
	m[3 + l1] = (uint8_t)l2;
	n_tx = 0;
	p = mk_tcp(e1, TH_SYN, 100, 0, NULL, 0);
	assert_true(dns_input(n1, e1, &p));
	srv = ntohl(tx_tcp(0)->seq) + 1;
	p = mk_tcp(e1, TH_ACK | TH_PUSH, 101, srv, m, 4 + l1 + l2);
	assert_true(dns_input(n1, e1, &p));
	assert_int_equal(n_tx, 2);
	th = tx_tcp(1);
	assert_int_equal(ntohl(th->ack_seq), 101 + 4 + l1 + l2);
	d = (const uint8_t *)th + th->doff * 4;
	assert_int_equal(g16(d + 2), 0x0101);
	d += 2 + g16(d);
	assert_int_equal(g16(d + 2), 0x0202);
	assert_int_equal(g16(d + 8), 2);                     /* both web addresses */
	p = mk_tcp(e1, TH_RST, 101 + 4 + (uint32_t)(l1 + l2), 0, NULL, 0);
	assert_true(dns_input(n1, e1, &p));
	assert_int_equal(dns_tcp_conns(&test_dns), 0);
}

static void test_tcp_cap(void **state)
{
	struct pkt p;
	unsigned int i, before;

	(void)state;
	dns_set_test_clock(&test_dns, 4000000);
	for (i = 0; i < DNS_TCP_MAX_PER_EP + 2; i++) {
		p = mk_tcp(e1, TH_SYN, 1, 0, NULL, 0);
		((struct tcphdr *)(fbuf + 34))->source = htons((uint16_t)(42000 + i));
		before = n_tx;
		assert_true(dns_input(n1, e1, &p));
		(void)before;
	}
	assert_int_equal(dns_tcp_conns(&test_dns), DNS_TCP_MAX_PER_EP);
	/* Reset them all. */
	for (i = 0; i < DNS_TCP_MAX_PER_EP; i++) {
		p = mk_tcp(e1, TH_RST, 2, 0, NULL, 0);
		((struct tcphdr *)(fbuf + 34))->source = htons((uint16_t)(42000 + i));
		assert_true(dns_input(n1, e1, &p));
	}
	assert_int_equal(dns_tcp_conns(&test_dns), 0);
}

/* ---- fairness (audit finding 20) ---- */

/* Network nf with NF_EPS endpoints of their own (172.20.0.2 up). */
#define NF_EPS 34
static struct network *nf;
static struct endpoint *ef[NF_EPS];
static struct port pf[NF_EPS];

static void mk_fair_net(void)
{
	char name[16], ip[32];
	unsigned int i;

	if (nf)
		return;
	nf = mk_net("nf", "172.20.0.1", true, false);
	for (i = 0; i < NF_EPS; i++) {
		snprintf(name, sizeof(name), "cf%u", i);
		snprintf(ip, sizeof(ip), "172.20.0.%u", i + 2);
		ef[i] = mk_ep(nf, model_container_add(name, name), ip, &pf[i], NULL);
	}
}

/* A container that spoofs its source address (no port security) is still
 * one client: its 2000 queries from 2000 addresses share one bucket, and
 * no bucket is made for any of the addresses. */
static void test_spoofed_sources_one_client(void **state)
{
	uint8_t m[512];
	size_t len = mk_query(m, 21, "cf1", DNS_T_A, false), rlen;
	unsigned int clients, answered = 0, i;
	struct pkt p;

	(void)state;
	mk_fair_net();
	dns_set_test_clock(&test_dns, 6000000);
	clients = test_dns.n_clients;
	for (i = 0; i < 2000; i++) {
		unsigned int before = n_tx;
		uint32_t spoofed = htonl(0x0a000000u + i);

		p = mk_udp(ef[0], "172.20.0.1", m, len);
		memcpy(fbuf + 14 + 12, &spoofed, 4);
		assert_true(dns_input(nf, ef[0], &p));
		answered += n_tx != before;
		n_tx = 0;
	}
	assert_true(answered >= 300 && answered <= 500);
	assert_true(pf[0].stats.drops[DROP_DNS_FLOOD] >= 1500);
	assert_int_equal(test_dns.n_clients, clients);
	assert_non_null(ask(ef[1], "172.20.0.1", m, len, &rlen));
	/* The bucket goes with its endpoint. */
	dns_endpoint_removed(&test_dns, ef[0]);
	assert_int_equal(test_dns.n_clients, clients - 1);
	dns_endpoint_added(&test_dns, ef[0]);
	assert_int_equal(test_dns.n_clients, clients);
}

/* vsctl trace spends no token and moves no counter. */
static void test_trace_changes_nothing(void **state)
{
	uint8_t m[512];
	size_t len = mk_query(m, 22, "cf1", DNS_T_A, false);
	struct dns_client *c;
	struct dns_stats before;
	uint64_t tokens, last;
	struct pkt p;
	unsigned int i;

	(void)state;
	mk_fair_net();
	dns_set_test_clock(&test_dns, 6500000);
	c = dns_client_of(&test_dns, "nf", &ef[2]->ip);
	tokens = c->tokens;
	last = c->last_ms;
	before = *dns_get_stats(&test_dns);
	n_tx = 0;
	for (i = 0; i < 1000; i++) {
		p = mk_udp(ef[2], "172.20.0.1", m, len);
		p.flags |= PKT_F_DRYRUN;
		assert_true(dns_input(nf, ef[2], &p));
	}
	assert_int_equal(n_tx, 0);
	assert_int_equal(c->tokens, tokens);
	assert_int_equal(c->last_ms, last);
	assert_memory_equal(dns_get_stats(&test_dns), &before, sizeof(before));
	assert_int_equal(pf[2].stats.drops[DROP_DNS_FLOOD], 0);
}

/* The forwarding pool is shared fairly: with two clients holding all of it
 * (a silent upstream), a third still gets slots - the oldest queries of
 * the heaviest client give way, answered SERVFAIL - until each holds about
 * a third; beyond its share it gets SERVFAIL itself. */
static void test_fair_forward_pool(void **state)
{
	int up = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	char spec[64], err[128];
	const char *ups[1] = { spec };
	unsigned int cap = fd_budget_share(FD_DNS), i, k;
	struct dns_client *c[3];
	uint8_t m[512];
	size_t len, rlen;

	(void)state;
	mk_fair_net();
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(up, (struct sockaddr *)&sa, sizeof(sa)), 0);
	getsockname(up, (struct sockaddr *)&sa, &sl);
	snprintf(spec, sizeof(spec), "127.0.0.1:%u", ntohs(sa.sin_port));
	dns_forward_fini(&test_dns);
	dns_set_test_clock(&test_dns, 7000000);
	assert_int_equal(dns_forward_init(&test_dns, NULL, ups, 1, err, sizeof(err)), 0);
	assert_true(cap == 2 * DNS_MAX_INFLIGHT);   /* the unit test's fd share */
	for (k = 0; k < 3; k++)
		c[k] = dns_client_of(&test_dns, "nf", &ef[10 + k]->ip);
	/* Two clients fill the pool; a 65th query each is over the cap. */
	for (k = 0; k < 2; k++)
		for (i = 0; i <= DNS_MAX_INFLIGHT; i++) {
			len = mk_query(m, (uint16_t)(k * 100 + i), "slow.example", DNS_T_A, false);
			assert_null(ask(ef[10 + k], "172.20.0.1", m, len, &rlen));
		}
	assert_int_equal(dns_forward_pending(&test_dns), cap);
	assert_int_equal(c[0]->held[DNS_SHARE_FWD], DNS_MAX_INFLIGHT);
	assert_int_equal(pf[10].stats.drops[DROP_DNS_FLOOD], 1);
	assert_int_equal(dns_get_stats(&test_dns)->dropped_inflight, 2);
	/* The third: its first query takes the oldest slot of a full client,
	 * whose query is answered SERVFAIL at once. */
	for (i = 0; i < DNS_MAX_INFLIGHT; i++) {
		struct pkt p;
		unsigned int held = c[2]->held[DNS_SHARE_FWD];

		n_tx = 0;
		len = mk_query(m, (uint16_t)(300 + i), "slow.example", DNS_T_A, false);
		p = mk_udp(ef[12], "172.20.0.1", m, len);
		assert_true(dns_input(nf, ef[12], &p));
		assert_int_equal(n_tx, 1);
		assert_int_equal(g16(txs[0].data + 42 + 2) & 0xf, DNS_RC_SERVFAIL);
		if (c[2]->held[DNS_SHARE_FWD] == held) {
			/* its fair share reached: the SERVFAIL is its own */
			assert_ptr_equal(txs[0].port, &pf[12]);
			break;
		}
		assert_ptr_not_equal(txs[0].port, &pf[12]);
		if (i == 0)   /* the oldest query of the client that gave way */
			assert_int_equal(g16(txs[0].data + 42) % 100, 0);
	}
	assert_int_equal(dns_forward_pending(&test_dns), cap);
	assert_int_equal(c[0]->held[DNS_SHARE_FWD] + c[1]->held[DNS_SHARE_FWD] +
			 c[2]->held[DNS_SHARE_FWD], cap);
	assert_true(c[2]->held[DNS_SHARE_FWD] >= cap / 3);
	assert_true(c[0]->held[DNS_SHARE_FWD] <= c[2]->held[DNS_SHARE_FWD] + 1);
	assert_true(c[1]->held[DNS_SHARE_FWD] <= c[2]->held[DNS_SHARE_FWD] + 1);
	assert_int_equal(dns_get_stats(&test_dns)->fwd_evicted, c[2]->held[DNS_SHARE_FWD]);
	/* A client that goes takes its share with it. */
	dns_endpoint_removed(&test_dns, ef[10]);
	k = c[1]->held[DNS_SHARE_FWD] > c[2]->held[DNS_SHARE_FWD] ? 1 : 2;
	assert_int_equal(test_dns.share[DNS_SHARE_FWD].top, c[k]->held[DNS_SHARE_FWD]);
	dns_endpoint_added(&test_dns, ef[10]);
	dns_forward_fini(&test_dns);
	for (k = 1; k < 3; k++)
		assert_int_equal(c[k]->held[DNS_SHARE_FWD], 0);
	assert_int_equal(test_dns.share[DNS_SHARE_FWD].top, 0);
	close(up);
	assert_int_equal(dns_forward_init(&test_dns, NULL, NULL, 0, err, sizeof(err)), 0);
}

/* The TCP responder's 256 connections are shared the same way: 32 clients
 * with 8 each fill them; a 33rd's SYN resets the longest-idle connection
 * of one of them and is accepted. */
static void test_fair_tcp_pool(void **state)
{
	unsigned int i, k, n = DNS_TCP_MAX_CONNS / DNS_TCP_MAX_PER_EP;
	struct dns_client *c;
	struct pkt p;

	(void)state;
	mk_fair_net();
	assert_true(n + 1 < NF_EPS);
	for (k = 0; k < n; k++)
		for (i = 0; i < DNS_TCP_MAX_PER_EP; i++) {
			dns_set_test_clock(&test_dns, 8000000 + k * 100 + i);
			p = mk_tcp(ef[k], TH_SYN, 1, 0, NULL, 0);
			((struct tcphdr *)(fbuf + 34))->source = htons((uint16_t)(43000 + i));
			assert_true(dns_input(nf, ef[k], &p));
		}
	assert_int_equal(dns_tcp_conns(&test_dns), DNS_TCP_MAX_CONNS);
	n_tx = 0;
	p = mk_tcp(ef[n], TH_SYN, 1, 0, NULL, 0);
	assert_true(dns_input(nf, ef[n], &p));
	assert_int_equal(dns_tcp_conns(&test_dns), DNS_TCP_MAX_CONNS);
	assert_int_equal(dns_get_stats(&test_dns)->tcp_evicted, 1);
	c = dns_client_of(&test_dns, "nf", &ef[n]->ip);
	assert_int_equal(c->held[DNS_SHARE_TCP], 1);
	/* an RST to the one that gave way, then our SYN-ACK */
	assert_int_equal(n_tx, 2);
	assert_int_equal(tx_tcp(0)->rst, 1);
	assert_int_equal(tx_tcp(1)->syn, 1);
	/* A second SYN of the newcomer: nobody holds 3 more, so no room. */
	p = mk_tcp(ef[n], TH_SYN, 1, 0, NULL, 0);
	((struct tcphdr *)(fbuf + 34))->source = htons(43999);
	assert_true(dns_input(nf, ef[n], &p));
	assert_int_equal(c->held[DNS_SHARE_TCP], 2);
	/* Endpoints going reset their connections. */
	for (k = 0; k <= n; k++) {
		dns_endpoint_removed(&test_dns, ef[k]);
		dns_endpoint_added(&test_dns, ef[k]);
	}
	assert_int_equal(dns_tcp_conns(&test_dns), 0);
	assert_int_equal(test_dns.share[DNS_SHARE_TCP].top, 0);
}

/* ---- resolv.conf ---- */

static void test_resolvconf(void **state)
{
	char path[128], buf[256];
	FILE *f;
	size_t n;

	(void)state;
	snprintf(path, sizeof(path), "%s/tdnsc1/resolv.conf", rc_root);
	f = fopen(path, "r");
	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	assert_non_null(strstr(buf, "nameserver 172.18.0.1\n"));
	assert_non_null(strstr(buf, "options ndots:0"));
	/* c2's REF is a path: no file. */
	snprintf(path, sizeof(path), "%s/C2", rc_root);
	assert_int_not_equal(access(path, F_OK), 0);
	/* Leaving its only DNS network removes it. */
	dns_endpoint_removed(&test_dns, e1);
	snprintf(path, sizeof(path), "%s/tdnsc1/resolv.conf", rc_root);
	assert_int_not_equal(access(path, F_OK), 0);
	dns_endpoint_added(&test_dns, e1);
	assert_int_equal(access(path, F_OK), 0);
	/* A file we did not write is left alone. */
	f = fopen(path, "w");
	fputs("nameserver 9.9.9.9\n", f);
	fclose(f);
	assert_int_equal(dns_resolvconf_remove("tdnsc1"), -1);
	unlink(path);
	snprintf(path, sizeof(path), "%s/tdnsc1", rc_root);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/tdnsc3/resolv.conf", rc_root);
	unlink(path);
	snprintf(path, sizeof(path), "%s/tdnsc3", rc_root);
	rmdir(path);
}

/* ---- IPv6: AAAA, PTR under ip6.arpa, the resolver at the gateway's IPv6 ---- */

static struct network *n6;
static struct endpoint *e61, *e62;
static struct port p61, p62;

/* An endpoint on a --ipv6 network: its IPv6 address set before it is
 * linked, as connect and restore do. */
static struct endpoint *mk_ep6(struct network *n, const char *name, const char *ip,
			       const char *ip6, struct port *port, const char *alias)
{
	struct container *c = model_container_add(name, name);
	struct endpoint *ep = calloc(1, sizeof(*ep));

	assert_non_null(c);
	ep->net = n;
	ep->ctr = c;
	assert_int_equal(vs_addr_parse(ip, &ep->ip), 0);
	assert_int_equal(vs_addr_parse(ip6, &ep->ip6), 0);
	model_mac_from_ip(&ep->ip, ep->mac);
	ep->port = port;
	port->ep = ep;
	port->net = n;
	if (alias) {
		snprintf(ep->aliases[0], VS_NAME_MAX, "%s", alias);
		ep->n_aliases = 1;
	}
	model_endpoint_link(ep);
	dns_endpoint_added(&test_dns, ep);
	return ep;
}

/* The network n6 (172.20.0.0/16 and fd00:20::/64) with t6a (alias w6) and t6b. */
static void mk_net6(void)
{
	if (n6)
		return;
	n6 = mk_net("n6", "172.20.0.1", true, false);
	n6->ipv6 = true;
	assert_int_equal(vs_addr_parse("fd00:20::1", &n6->gateway6), 0);
	e61 = mk_ep6(n6, "t6a", "172.20.0.2", "fd00:20::2", &p61, "w6");
	e62 = mk_ep6(n6, "t6b", "172.20.0.3", "fd00:20::3", &p62, NULL);
}

/* A UDP or TCP frame over IPv6 from EP to DST port 53, parsed as gateway.c
 * leaves it (l4_ofs just past the fixed header). */
static struct pkt mk_l4v6(struct endpoint *ep, const char *dst, uint8_t proto,
			  const uint8_t *l4, size_t l4len)
{
	struct ether_header *eth = (struct ether_header *)fbuf;
	uint8_t *ip6 = fbuf + 14;
	struct pkt p;

	memset(fbuf, 0, 64);
	memcpy(eth->ether_shost, ep->mac, 6);
	memcpy(eth->ether_dhost, ep->net->gw_mac, 6);
	eth->ether_type = htons(ETHERTYPE_IPV6);
	ip6[0] = 0x60;
	ip6[4] = (uint8_t)(l4len >> 8);
	ip6[5] = (uint8_t)l4len;
	ip6[6] = proto;
	ip6[7] = 64;
	memcpy(ip6 + 8, ep->ip6.b, 16);
	assert_int_equal(inet_pton(AF_INET6, dst, ip6 + 24), 1);
	memcpy(ip6 + 40, l4, l4len);
	memset(&p, 0, sizeof(p));
	p.data = fbuf;
	p.buf = fbuf;
	p.len = (uint32_t)(54 + l4len);
	p.l3_ofs = 14;
	p.l4_ofs = 54;
	p.eth_type = ETHERTYPE_IPV6;
	p.ip_proto = proto;
	p.in_port = ep->port;
	return p;
}

/* Is the TCP/UDP checksum of the IPv6 frame F right? (The sum over the
 * pseudo-header and the segment, checksum included, folds to zero.) */
static bool csum6_ok(const uint8_t *f, size_t len)
{
	uint32_t l4len = (uint32_t)(len - 54);

	return csum_fold(csum_partial(f + 54, l4len,
				      csum_pseudo6(f + 22, f + 38, f[20], l4len))) == 0;
}

/* Ask over UDP/IPv6 from EP to DST; the DNS payload of the reply, or NULL. */
static const uint8_t *ask6(struct endpoint *ep, const char *dst, const uint8_t *msg,
			   size_t len, size_t *rlen)
{
	uint8_t l4[600];
	unsigned int before = n_tx;
	struct pkt p;

	memset(l4, 0, 8);
	l4[0] = 0x9c;                                   /* source port 40000 */
	l4[1] = 0x40;
	l4[3] = 53;
	l4[4] = (uint8_t)((8 + len) >> 8);
	l4[5] = (uint8_t)(8 + len);
	memcpy(l4 + 8, msg, len);
	p = mk_l4v6(ep, dst, IPPROTO_UDP, l4, 8 + len);
	assert_true(dns_input(ep->net, ep, &p));
	if (n_tx == before)
		return NULL;
	assert_int_equal(n_tx, before + 1);
	/* The reply: IPv6, from the address asked, to the client, checksummed. */
	assert_int_equal(g16(txs[before].data + 12), ETHERTYPE_IPV6);
	assert_memory_equal(txs[before].data + 38, ep->ip6.b, 16);
	assert_memory_equal(txs[before].data + 22, p.data + 38, 16);
	assert_int_equal(txs[before].data[20], IPPROTO_UDP);
	assert_true(csum6_ok(txs[before].data, txs[before].len));
	*rlen = txs[before].len - 62;
	return txs[before].data + 62;
}

static void test_v6_aaaa_and_a(void **state)
{
	uint8_t m[512], a6[16];
	const uint8_t *r;
	size_t len, rlen, o;

	(void)state;
	mk_net6();
	dns_set_test_clock(&test_dns, 5000000);
	/* AAAA for a container name, asked at the gateway's IPv6 address. */
	len = mk_query(m, 30, "t6b", DNS_T_AAAA, false);
	r = ask6(e61, "fd00:20::1", m, len, &rlen);
	assert_non_null(r);
	assert_int_equal(g16(r + 2) & 0xf, 0);
	assert_int_equal(g16(r + 6), 1);
	o = first_rr(r, rlen);
	assert_int_equal(g16(r + o + 2), DNS_T_AAAA);
	assert_int_equal(g16(r + o + 10), 16);
	inet_pton(AF_INET6, "fd00:20::3", a6);
	assert_memory_equal(r + o + 12, a6, 16);
	/* The same name as NAME.NETWORK and an alias, over IPv4 too. */
	len = mk_query(m, 31, "W6.n6", DNS_T_AAAA, false);
	r = ask(e62, "172.20.0.1", m, len, &rlen);
	assert_non_null(r);
	assert_int_equal(g16(r + 6), 1);
	inet_pton(AF_INET6, "fd00:20::2", a6);
	assert_memory_equal(r + first_rr(r, rlen) + 12, a6, 16);
	/* A asked over IPv6 answers the IPv4 address only... */
	len = mk_query(m, 32, "t6b", DNS_T_A, false);
	r = ask6(e61, "fd00:20::1", m, len, &rlen);
	assert_int_equal(g16(r + 6), 1);
	o = first_rr(r, rlen);
	assert_int_equal(g16(r + o + 2), DNS_T_A);
	assert_int_equal(g16(r + o + 10), 4);
	/* ...ANY both. */
	len = mk_query(m, 33, "t6b", DNS_T_ANY, false);
	r = ask6(e61, "fd00:20::1", m, len, &rlen);
	assert_int_equal(g16(r + 6), 2);
	/* An IPv4-only network's containers have no AAAA: NOERROR, empty. */
	len = mk_query(m, 34, "c2", DNS_T_AAAA, false);
	r = ask(e1, "172.18.0.1", m, len, &rlen);
	assert_int_equal(g16(r + 2) & 0xf, 0);
	assert_int_equal(g16(r + 6), 0);
	/* Not at another IPv6 address of the network: not the resolver's
	 * (gateway.c does not hand it over; dns_input never sees it) - but
	 * a network without --ipv6 refuses IPv6 outright. */
	{
		struct pkt p = mk_l4v6(e61, "fd00:20::1", IPPROTO_UDP, m, 8);

		assert_false(dns_input(n1, e1, &p));
	}
}

static void test_v6_ptr(void **state)
{
	static const char *name =
		"3.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.2.0.0.0.0.d.f.ip6.arpa";
	uint8_t m[512], wire[64];
	const uint8_t *r;
	size_t len, rlen, o;
	int wl = dns_wire_name_from_text("t6b.n6", wire, sizeof(wire));

	(void)state;
	mk_net6();
	len = mk_query(m, 40, name, DNS_T_PTR, false);
	r = ask6(e61, "fd00:20::1", m, len, &rlen);
	assert_non_null(r);
	assert_int_equal(g16(r + 2) & 0xf, 0);
	assert_int_equal(g16(r + 6), 1);
	o = first_rr(r, rlen);
	assert_int_equal(g16(r + o + 2), DNS_T_PTR);
	assert_int_equal(g16(r + o + 10), wl);
	assert_memory_equal(r + o + 12, wire, (size_t)wl);
	/* Upper-case nibbles are the same name (RFC 4343). */
	len = mk_query(m, 41, "3.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.2.0.0.0.0.D.F.IP6.ARPA",
		       DNS_T_PTR, false);
	r = ask(e62, "172.20.0.1", m, len, &rlen);
	assert_int_equal(g16(r + 6), 1);
	/* Not one address (31 nibbles, a two-digit label, a non-hex digit), or
	 * nobody's: not ours, forwarded (no upstream here: SERVFAIL). */
	static const char *bad[] = {
		"0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.2.0.0.0.0.d.f.ip6.arpa",
		"03.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.2.0.0.0.0.d.f.ip6.arpa",
		"g.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.2.0.0.0.0.d.f.ip6.arpa",
		"9.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.2.0.0.0.0.d.f.ip6.arpa",
		"3.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.2.0.0.0.0.d.f.ip7.arpa",
	};
	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		len = mk_query(m, (uint16_t)(42 + i), bad[i], DNS_T_PTR, false);
		r = ask6(e61, "fd00:20::1", m, len, &rlen);
		assert_non_null(r);
		assert_int_equal(g16(r + 2) & 0xf, DNS_RC_SERVFAIL);
	}
}

/* TCP at the gateway's IPv6 address: a SYN-ACK in IPv6 with IPv6's MSS
 * (1500 - 60), checksummed over the IPv6 pseudo-header; the answer too. */
static void test_v6_tcp(void **state)
{
	uint8_t seg[600], m[520];
	size_t len = mk_query(m + 2, 0x6666, "t6b", DNS_T_AAAA, false);
	const uint8_t *th, *d;
	uint32_t srv, seq = 7000;
	struct pkt p;

	(void)state;
	mk_net6();
	n_tx = 0;
	memset(seg, 0, 20);
	seg[0] = 0xa0;                  /* source port 41000 */
	seg[1] = 0x28;
	seg[3] = 53;
	seg[4] = (uint8_t)(seq >> 24); seg[5] = (uint8_t)(seq >> 16);
	seg[6] = (uint8_t)(seq >> 8); seg[7] = (uint8_t)seq;
	seg[12] = 5 << 4;
	seg[13] = TH_SYN;
	seg[14] = 0xff; seg[15] = 0xff;
	p = mk_l4v6(e61, "fd00:20::1", IPPROTO_TCP, seg, 20);
	assert_true(dns_input(n6, e61, &p));
	assert_int_equal(n_tx, 1);
	assert_int_equal(g16(txs[0].data + 12), ETHERTYPE_IPV6);
	assert_true(csum6_ok(txs[0].data, txs[0].len));
	th = txs[0].data + 54;
	assert_int_equal(th[13], TH_SYN | TH_ACK);
	assert_int_equal(th[20], TCPOPT_MAXSEG);
	assert_int_equal(g16(th + 22), 1440);
	srv = ((uint32_t)th[4] << 24 | (uint32_t)th[5] << 16 | (uint32_t)th[6] << 8 | th[7]) + 1;
	/* The handshake's ACK with the whole query. */
	seq++;
	m[0] = (uint8_t)(len >> 8);
	m[1] = (uint8_t)len;
	seg[4] = (uint8_t)(seq >> 24); seg[5] = (uint8_t)(seq >> 16);
	seg[6] = (uint8_t)(seq >> 8); seg[7] = (uint8_t)seq;
	seg[8] = (uint8_t)(srv >> 24); seg[9] = (uint8_t)(srv >> 16);
	seg[10] = (uint8_t)(srv >> 8); seg[11] = (uint8_t)srv;
	seg[13] = TH_ACK | TH_PUSH;
	memcpy(seg + 20, m, len + 2);
	p = mk_l4v6(e61, "fd00:20::1", IPPROTO_TCP, seg, 20 + len + 2);
	assert_true(dns_input(n6, e61, &p));
	assert_int_equal(n_tx, 2);
	assert_true(csum6_ok(txs[1].data, txs[1].len));
	th = txs[1].data + 54;
	d = th + (th[12] >> 4) * 4;
	assert_int_equal(g16(d + 2), 0x6666);
	assert_int_equal(g16(d + 8), 1);                      /* one AAAA */
	assert_int_equal(dns_tcp_conns(&test_dns), 1);
	/* RST from the client frees it. */
	seg[13] = TH_RST;
	p = mk_l4v6(e61, "fd00:20::1", IPPROTO_TCP, seg, 20);
	assert_true(dns_input(n6, e61, &p));
	assert_int_equal(dns_tcp_conns(&test_dns), 0);
}

/* resolv.conf names both of the gateway's addresses, IPv4 first. */
static void test_v6_resolvconf(void **state)
{
	char path[128], buf[256];
	FILE *f;
	size_t n;

	(void)state;
	mk_net6();
	snprintf(path, sizeof(path), "%s/t6a/resolv.conf", rc_root);
	f = fopen(path, "r");
	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	assert_non_null(strstr(buf, "nameserver 172.20.0.1\nnameserver fd00:20::1\n"));
	dns_endpoint_removed(&test_dns, e61);
	assert_int_not_equal(access(path, F_OK), 0);
	dns_endpoint_removed(&test_dns, e62);
	snprintf(path, sizeof(path), "%s/t6a", rc_root);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/t6b", rc_root);
	rmdir(path);
}

/* ---- forwarding through a fake upstream on loopback ---- */

static void test_forward(void **state)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	int up = socket(AF_INET, SOCK_DGRAM, 0), i;
	uint8_t m[512], in[512];
	char spec[64], err[128];
	const char *ups[1] = { spec };
	size_t len = mk_query(m, 0x4242, "example.test", DNS_T_A, true), rlen;
	struct sockaddr_in from;
	socklen_t fl = sizeof(from);
	ssize_t got;
	const uint8_t *r;

	(void)state;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(up, (struct sockaddr *)&sa, sizeof(sa)), 0);
	getsockname(up, (struct sockaddr *)&sa, &sl);
	snprintf(spec, sizeof(spec), "127.0.0.1:%u", ntohs(sa.sin_port));
	dns_forward_fini(&test_dns);
	dns_set_test_clock(&test_dns, 0);
	assert_int_equal(dns_forward_init(&test_dns, loop, ups, 1, err, sizeof(err)), 0);
	n_tx = 0;
	assert_null(ask(e1, "172.18.0.1", m, len, &rlen));   /* forwarded */
	assert_int_equal(dns_forward_pending(&test_dns), 1);
	ev_run(loop, EVRUN_NOWAIT);                           /* sendmmsg */
	got = recvfrom(up, in, sizeof(in), 0, (struct sockaddr *)&from, &fl);
	assert_int_equal(got, (ssize_t)len);
	assert_memory_equal(in + 2, m + 2, len - 2);          /* only the ID differs */
	/* A stray answer with another ID is ignored; then the real one. */
	in[2] |= 0x80;
	in[1] ^= 1;
	sendto(up, in, (size_t)got, 0, (struct sockaddr *)&from, fl);
	in[1] ^= 1;
	sendto(up, in, (size_t)got, 0, (struct sockaddr *)&from, fl);
	for (i = 0; i < 50 && !n_tx; i++) {
		ev_run(loop, EVRUN_NOWAIT);
		usleep(2000);
	}
	assert_int_equal(n_tx, 1);
	r = txs[0].data + 42;
	assert_int_equal(g16(r), 0x4242);
	assert_int_equal(dns_forward_pending(&test_dns), 0);
	dns_forward_fini(&test_dns);
	ev_loop_destroy(loop);
	close(up);
	assert_int_equal(dns_forward_init(&test_dns, NULL, NULL, 0, err, sizeof(err)), 0);
}

/* First upstream silent: after one attempt timeout the second answers, and
 * the next query goes straight to the second. */
static void test_failover(void **state)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	int dead = socket(AF_INET, SOCK_DGRAM, 0), live = socket(AF_INET, SOCK_DGRAM, 0), i;
	struct sockaddr_in sa = { .sin_family = AF_INET }, from;
	socklen_t sl = sizeof(sa), fl = sizeof(from);
	char s1[64], s2[64], err[128];
	const char *ups[2] = { s1, s2 };
	uint8_t m[512], in[512];
	size_t len = mk_query(m, 0x5151, "example.test", DNS_T_A, false), rlen;
	ssize_t got;

	(void)state;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bind(dead, (struct sockaddr *)&sa, sizeof(sa));
	getsockname(dead, (struct sockaddr *)&sa, &sl);
	snprintf(s1, sizeof(s1), "127.0.0.1:%u", ntohs(sa.sin_port));
	sa.sin_port = 0;
	bind(live, (struct sockaddr *)&sa, sizeof(sa));
	getsockname(live, (struct sockaddr *)&sa, &sl);
	snprintf(s2, sizeof(s2), "127.0.0.1:%u", ntohs(sa.sin_port));
	dns_forward_fini(&test_dns);
	dns_set_test_clock(&test_dns, 0);
	assert_int_equal(dns_forward_init(&test_dns, loop, ups, 2, err, sizeof(err)), 0);
	n_tx = 0;
	assert_null(ask(e1, "172.18.0.1", m, len, &rlen));
	ev_run(loop, EVRUN_NOWAIT);
	got = recv(dead, in, sizeof(in), MSG_DONTWAIT);
	assert_int_equal(got, (ssize_t)len);
	/* Nothing at the live one yet; wait for the attempt timeout. */
	assert_true(recv(live, in, sizeof(in), MSG_DONTWAIT) < 0);
	for (i = 0; i < 300; i++) {
		ev_run(loop, EVRUN_NOWAIT);
		got = recvfrom(live, in, sizeof(in), MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
		if (got > 0)
			break;
		usleep(10000);
	}
	assert_int_equal(got, (ssize_t)len);
	in[2] |= 0x80;
	sendto(live, in, (size_t)got, 0, (struct sockaddr *)&from, fl);
	for (i = 0; i < 100 && !n_tx; i++) {
		ev_run(loop, EVRUN_NOWAIT);
		usleep(2000);
	}
	assert_int_equal(n_tx, 1);
	assert_int_equal(g16(txs[0].data + 42), 0x5151);
	/* Next query: straight to the live upstream. */
	assert_null(ask(e1, "172.18.0.1", m, len, &rlen));
	ev_run(loop, EVRUN_NOWAIT);
	assert_int_equal(recv(live, in, sizeof(in), MSG_DONTWAIT), (ssize_t)len);
	dns_forward_fini(&test_dns);
	ev_loop_destroy(loop);
	close(dead);
	close(live);
	assert_int_equal(dns_forward_init(&test_dns, NULL, NULL, 0, err, sizeof(err)), 0);
}

static void test_upstream_parse(void **state)
{
	struct sockaddr_storage ss;
	unsigned int sl;
	char err[128];

	(void)state;
	assert_int_equal(dns_forward_parse_upstream("10.0.0.1", &ss, &sl, err, sizeof(err)), 0);
	assert_int_equal(ntohs(((struct sockaddr_in *)&ss)->sin_port), 53);
	assert_int_equal(dns_forward_parse_upstream("127.0.0.1:5353", &ss, &sl, err, sizeof(err)), 0);
	assert_int_equal(ntohs(((struct sockaddr_in *)&ss)->sin_port), 5353);
	assert_int_equal(dns_forward_parse_upstream("::1", &ss, &sl, err, sizeof(err)), 0);
	assert_int_equal(dns_forward_parse_upstream("[::1]:54", &ss, &sl, err, sizeof(err)), 0);
	assert_int_equal(dns_forward_parse_upstream("1.2.3.4:0", &ss, &sl, err, sizeof(err)), -1);
	assert_int_equal(dns_forward_parse_upstream("bogus", &ss, &sl, err, sizeof(err)), -1);
	assert_int_equal(dns_forward_parse_upstream("1.2.3.4:99999", &ss, &sl, err, sizeof(err)), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_ok),
		cmocka_unit_test(test_parse_hostile),
		cmocka_unit_test(test_name_compression),
		cmocka_unit_test(test_upstream_parse),
		cmocka_unit_test(test_answer_a),
		cmocka_unit_test(test_alias_rotation),
		cmocka_unit_test(test_ptr_aaaa),
		cmocka_unit_test(test_records_family),
		cmocka_unit_test(test_unknown_no_upstream),
		cmocka_unit_test(test_errors_and_drops),
		cmocka_unit_test(test_intercept),
		cmocka_unit_test(test_flood),
		cmocka_unit_test(test_remove),
		cmocka_unit_test(test_tcp),
		cmocka_unit_test(test_tcp_pipelined),
		cmocka_unit_test(test_tcp_cap),
		cmocka_unit_test(test_resolvconf),
		cmocka_unit_test(test_v6_aaaa_and_a),
		cmocka_unit_test(test_v6_ptr),
		cmocka_unit_test(test_v6_tcp),
		cmocka_unit_test(test_v6_resolvconf),
		cmocka_unit_test(test_forward),
		cmocka_unit_test(test_failover),
		cmocka_unit_test(test_spoofed_sources_one_client),
		cmocka_unit_test(test_trace_changes_nothing),
		cmocka_unit_test(test_fair_forward_pool),
		cmocka_unit_test(test_fair_tcp_pool),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
