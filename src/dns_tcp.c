/* dns_tcp.c - a minimal TCP server for DNS at the gateway, inside the datapath.
 *
 * Theory of Operation
 *
 * Containers ask over TCP when a UDP answer came back truncated, or when
 * told to (dig +tcp).  There is no socket for gatewayIP:53 anywhere: like
 * passt's tcp.c, this file speaks TCP itself on the frames that reach the
 * gateway.  A connection is a slot in a fixed pool, found by (network,
 * client IP and port, server IP) through a keyed hash.
 *
 * What it does: SYN -> SYN-ACK (with our MSS); in-order data is collected
 * and cut into DNS messages by their 2-byte length prefix (RFC 1035 4.2.2;
 * several per connection, RFC 7766 6.2.1); each message is answered from
 * the index or forwarded upstream (dns_forward.c forwards TCP over TCP),
 * and answers are appended to the connection's send buffer in the order
 * they come (RFC 7766 allows any order, the ID tells them apart).  We send
 * within the client's window, in segments of min(its MSS, MTU - 40).  A
 * FIN from the client is answered with our FIN once every answer it asked
 * for has been sent; the connection ends when the FIN is acknowledged.
 *
 * What it does not: out-of-order segments are not queued (we ACK what we
 * have and the client retransmits); no window scaling, SACK, timestamps or
 * congestion control - a DNS exchange is a few segments on a virtual link.
 *
 * Aging and timeout: one sweep timer (DNS_TCP_SWEEP_S) walks the pool of
 * DNS_TCP_MAX_CONNS slots: unacknowledged data older than DNS_TCP_RTO_MS
 * is sent again from the last acknowledged byte (go-back-N), and a
 * connection idle for DNS_TCP_IDLE_MS is reset and freed.
 *
 * Both families: a connection is to the gateway's IPv4 address or, on a
 * --ipv6 network, to its IPv6 one; its segments leave in that family
 * (dns_build_ip), with the MSS and segment size that family's headers
 * leave of the MTU.
 *
 * Limits: DNS_TCP_MAX_CONNS connections in all and DNS_TCP_MAX_PER_EP per
 * client, a client being the endpoint of the input port (further SYNs
 * get RST, counted); when all are taken, the longest-idle connection of
 * the client holding the most gives way to a client holding at least two
 * fewer (dns_share_hog), a query message of at most
 * DNS_TCP_RXMAX bytes (longer: RST), DNS_TCP_TXMAX bytes of answers queued.
 * Answers to a connection that went away are dropped: pending forwards
 * name the connection by (slot, generation), never by pointer.
 */
#include <arpa/inet.h>
#include <ev.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <net/ethernet.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns_internal.h"
#include "log.h"
#include "model.h"
#include "pipeline.h"
#include "pkt.h"
#include "pkt_build.h"
#include "port.h"
#include "trace.h"

#define DNS_TCP_RXMAX 4096
#define DNS_TCP_TXMAX (2 * 65538)
#define DNS_TCP_RTO_MS 400
#define DNS_TCP_IDLE_MS 10000
#define DNS_TCP_SWEEP_S 0.2
#define DNS_TCP_OUR_MSS 1460      /* IPv4; IPv6's headers take 20 bytes more */

struct dns_tcp_key {
	char net[VS_NAME_MAX];
	union vs_addr cip, sip;
	uint16_t cport, sport;
};
_Static_assert(sizeof(struct dns_tcp_key) == VS_NAME_MAX + 36, "padding-free key");

enum dns_tcp_state { DNS_TCP_FREE, DNS_TCP_SYN_RCVD, DNS_TCP_OPEN };

struct dns_tcp_conn {
	UT_hash_handle hh;
	struct dns_tcp_key key;
	enum dns_tcp_state state;
	uint32_t gen, slot;
	char ctr[VS_CKEY_MAX];
	union vs_addr owner;       /* its client: the endpoint's own address */
	uint8_t cmac[6];
	uint32_t iss, snd_base, rcv_nxt;
	uint16_t mss, wnd;
	size_t tx_sent;            /* bytes of tx[] sent, from snd_base */
	bool fin_rcvd, fin_sent, fin_acked;
	unsigned int outstanding;  /* forwarded queries not yet answered */
	uint64_t last_rx_ms, last_tx_ms;
	size_t rxlen, txlen;
	uint8_t rx[DNS_TCP_RXMAX];
	uint8_t *tx;               /* DNS_TCP_TXMAX, allocated with the slot */
};

/* The TCP server of one resolver (dns->tcp). */
struct dns_tcp {
	struct dns *dns;
	struct dns_tcp_conn *pool;
	struct dns_tcp_conn *table;
	uint32_t free_slots[DNS_TCP_MAX_CONNS];   /* a stack */
	unsigned int n_free;
	unsigned int n;
	ev_timer timer;
	struct ev_loop *loop;
	/* 2 bytes in, so that the IP and TCP headers are 4-byte aligned. */
	uint8_t frame_buf[2 + 14 + 60 + 60 + 65536] __attribute__((aligned(8)));
	uint16_t ip_id;
};
#define DNS_TCP_FRAME(t) ((t)->frame_buf + 2)

static int32_t dns_tcp_diff(uint32_t a, uint32_t b) { return (int32_t)(a - b); }

/* What IPv6's header takes beyond IPv4's: 0 or 20 bytes of every segment. */
static uint16_t dns_tcp_ip_extra(const struct dns_tcp_conn *c)
{
	return vs_addr_is_v4(&c->key.cip) ? 0 : DNS_IP6_HLEN - sizeof(struct iphdr);
}

/* The port a connection's segments go out on, found again each time. */
static struct port *dns_tcp_port(struct dns *dns, const struct dns_tcp_conn *c, struct network **np)
{
	struct network *n = model_network_in(dns->model, c->key.net);
	struct endpoint *ep = n ? dns_endpoint_by_addr(n, &c->key.cip) : NULL;

	*np = n;
	if (!ep || !ep->port || strcmp(ep->ctr->name, c->ctr))
		return NULL;
	return ep->port;
}

/**
 * dns_tcp_segment() - Build and queue one segment from the server side
 * @c:		connection
 * @seq:	sequence number
 * @flags:	TH_* flags
 * @data:	payload or NULL
 * @len:	payload length
 */
static void dns_tcp_segment(struct dns *dns, struct dns_tcp_conn *c, uint32_t seq, uint8_t flags,
			    const uint8_t *data, size_t len)
{
	struct dns_ip h = { .src = &c->key.sip, .dst = &c->key.cip, .proto = IPPROTO_TCP,
			    .id = dns->tcp->ip_id++, .df = true };
	uint16_t mss = DNS_TCP_OUR_MSS - dns_tcp_ip_extra(c);
	size_t optlen = (flags & TH_SYN) ? 4 : 0;
	uint16_t tlen = (uint16_t)(sizeof(struct tcphdr) + optlen + len);
	struct network *n;
	struct port *port = dns_tcp_port(dns, c, &n);
	struct tcphdr *th;
	uint8_t *opt;

	if (!port)
		return;
	th = (void *)dns_build_ip(DNS_TCP_FRAME(dns->tcp), c->cmac, n->gw_mac, &h, tlen);
	opt = (uint8_t *)(th + 1);
	memset(th, 0, sizeof(*th));
	th->source = c->key.sport;
	th->dest = c->key.cport;
	th->seq = htonl(seq);
	th->ack_seq = htonl(c->rcv_nxt);
	th->doff = (uint16_t)((sizeof(*th) + optlen) / 4);
	((uint8_t *)th)[13] = flags;
	th->window = htons((uint16_t)(DNS_TCP_RXMAX - c->rxlen));
	if (optlen) {
		opt[0] = TCPOPT_MAXSEG;
		opt[1] = 4;
		opt[2] = (uint8_t)(mss >> 8);
		opt[3] = (uint8_t)mss;
	}
	if (len)
		memcpy(opt + optlen, data, len);
	dns_build_l4_csum((uint8_t *)th, &h, tlen);
	c->last_tx_ms = dns_now_ms(dns);
	dns_send_frame(port, DNS_TCP_FRAME(dns->tcp), (size_t)((uint8_t *)th + tlen - DNS_TCP_FRAME(dns->tcp)),
		       IPPROTO_TCP);
}

/* Reply RST to a segment that has no connection (RFC 9293 3.10.7.1). */
static void dns_tcp_reset_for(struct dns *dns, struct network *n, struct endpoint *src,
			      const struct pkt *p, const struct dns_tcp_key *k,
			      const struct tcphdr *th, uint32_t plen)
{
	struct dns_tcp_conn tmp;
	const struct ether_header *eth = (const struct ether_header *)p->data;

	if (th->rst || !src || !src->ctr)
		return;
	memset(&tmp, 0, sizeof(tmp));
	(void)n;
	tmp.key = *k;
	snprintf(tmp.ctr, sizeof(tmp.ctr), "%s", src->ctr->name);
	memcpy(tmp.cmac, eth->ether_shost, 6);
	tmp.rxlen = DNS_TCP_RXMAX;
	if (th->ack) {
		tmp.rcv_nxt = 0;
		dns_tcp_segment(dns, &tmp, ntohl(th->ack_seq), TH_RST, NULL, 0);
	} else {
		tmp.rcv_nxt = ntohl(th->seq) + plen + (th->syn ? 1 : 0) + (th->fin ? 1 : 0);
		dns_tcp_segment(dns, &tmp, 0, TH_RST | TH_ACK, NULL, 0);
	}
}

static void dns_tcp_free(struct dns *dns, struct dns_tcp_conn *c)
{
	struct dns_client *cl;

	if (c->state == DNS_TCP_FREE)
		return;
	cl = dns_client_of(dns, c->key.net, &c->owner);
	if (cl->held[DNS_SHARE_TCP])
		dns_share_set(dns, cl, DNS_SHARE_TCP, cl->held[DNS_SHARE_TCP] - 1);
	HASH_DEL(dns->tcp->table, c);
	c->state = DNS_TCP_FREE;
	c->gen++;
	dns->tcp->n--;
	dns->tcp->free_slots[dns->tcp->n_free++] = c->slot;
}

static void dns_tcp_abort(struct dns *dns, struct dns_tcp_conn *c)
{
	dns_tcp_segment(dns, c, c->snd_base + (uint32_t)c->tx_sent, TH_RST | TH_ACK, NULL, 0);
	dns_tcp_free(dns, c);
}

/* Send what the window allows, then our FIN once everything is answered.
 * ACK_NEEDED: the peer sent something that must be acknowledged. */
static void dns_tcp_output(struct dns *dns, struct dns_tcp_conn *c, bool ack_needed)
{
	struct network *n;
	size_t seg = c->mss;
	bool sent = false;

	if (c->state != DNS_TCP_OPEN)
		return;
	if (dns_tcp_port(dns, c, &n) && n && n->mtu > 68 &&
	    (size_t)n->mtu - 40 - dns_tcp_ip_extra(c) < seg)
		seg = (size_t)n->mtu - 40 - dns_tcp_ip_extra(c);
	while (c->tx_sent < c->txlen && c->tx_sent < c->wnd) {
		size_t len = c->txlen - c->tx_sent;

		if (len > seg)
			len = seg;
		if (len > (size_t)c->wnd - c->tx_sent)
			len = (size_t)c->wnd - c->tx_sent;
		dns_tcp_segment(dns, c, c->snd_base + (uint32_t)c->tx_sent,
				TH_ACK | TH_PUSH, c->tx + c->tx_sent, len);
		c->tx_sent += len;
		sent = true;
	}
	if (c->fin_rcvd && !c->outstanding && !c->fin_sent && c->tx_sent == c->txlen) {
		dns_tcp_segment(dns, c, c->snd_base + (uint32_t)c->txlen, TH_FIN | TH_ACK, NULL, 0);
		c->fin_sent = true;
		sent = true;
	}
	if (ack_needed && !sent)
		dns_tcp_segment(dns, c, c->snd_base + (uint32_t)c->tx_sent, TH_ACK, NULL, 0);
}

/* Append one DNS answer with its length prefix; false if no room. */
static bool dns_tcp_queue(struct dns_tcp_conn *c, const uint8_t *msg, size_t len)
{
	if (len > 0xffff || c->txlen + 2 + len > DNS_TCP_TXMAX)
		return false;
	c->tx[c->txlen] = (uint8_t)(len >> 8);
	c->tx[c->txlen + 1] = (uint8_t)len;
	memcpy(c->tx + c->txlen + 2, msg, len);
	c->txlen += 2 + len;
	return true;
}

/* Cut complete messages out of the receive buffer and answer each. */
static void dns_tcp_messages(struct dns *dns, struct dns_tcp_conn *c, struct network *n)
{
	static uint8_t out[65536];
	struct dns_client_ref who;
	size_t off = 0;

	memset(&who, 0, sizeof(who));
	snprintf(who.net, sizeof(who.net), "%s", c->key.net);
	snprintf(who.ctr, sizeof(who.ctr), "%s", c->ctr);
	who.cip = c->key.cip;
	who.sip = c->key.sip;
	who.cport = c->key.cport;
	who.sport = c->key.sport;
	memcpy(who.cmac, c->cmac, 6);
	who.tcp = true;
	who.owner = c->owner;
	who.tcp_slot = c->slot;
	who.tcp_gen = c->gen;
	while (c->rxlen - off >= 2) {
		size_t mlen = (size_t)(c->rx[off] << 8 | c->rx[off + 1]), out_len = 0;
		int r;

		if (c->rxlen - off - 2 < mlen)
			break;
		dns_stats_mut(dns)->queries++;
		r = dns_answer_message(dns, n, &who, c->rx + off + 2, mlen, sizeof(out) - 2,
				       out, &out_len);
		if (r > 0)
			dns_tcp_queue(c, out, out_len);
		else if (r == 0)
			c->outstanding++;
		off += 2 + mlen;
	}
	memmove(c->rx, c->rx + off, c->rxlen - off);
	c->rxlen -= off;
}

/* Is connection C one of client CL's? */
static bool dns_tcp_owned_by(const struct dns_tcp_conn *c, const struct dns_client *cl)
{
	return c->state != DNS_TCP_FREE && !strcmp(c->key.net, cl->key.net) &&
	       vs_addr_eq(&c->owner, &cl->key.ip);
}

/**
 * dns_tcp_client_gone() - CL's endpoint went: reset its connections
 *
 * A walk over the pool (DNS_TCP_MAX_CONNS slots), on the control path.
 */
void dns_tcp_client_gone(struct dns *dns, const struct dns_client *cl)
{
	unsigned int s;

	for (s = 0; dns->tcp && dns->tcp->pool && s < DNS_TCP_MAX_CONNS; s++)
		if (dns_tcp_owned_by(&dns->tcp->pool[s], cl))
			dns_tcp_abort(dns, &dns->tcp->pool[s]);
}

/* Every slot is taken: reset the longest-idle connection of the client
 * holding the most, if CL holds at least two fewer (dns_share_hog).  A
 * walk over the pool, only when it is full and a SYN comes from a client
 * under its fair share: at most once per SYN that then gets the slot. */
static void dns_tcp_make_room(struct dns *dns, const struct dns_client *cl)
{
	struct dns_client *hog = dns_share_hog(dns, DNS_SHARE_TCP, cl);
	struct dns_tcp_conn *victim = NULL;
	unsigned int s;

	if (!hog)
		return;
	for (s = 0; s < DNS_TCP_MAX_CONNS; s++) {
		struct dns_tcp_conn *c = &dns->tcp->pool[s];

		if (dns_tcp_owned_by(c, hog) && (!victim || c->last_rx_ms < victim->last_rx_ms))
			victim = c;
	}
	if (!victim)
		return;
	dns_stats_mut(dns)->tcp_evicted++;
	dns_tcp_abort(dns, victim);
}

/* A new connection from a SYN, or RST when over a cap. */
static void dns_tcp_accept(struct dns *dns, struct network *n, struct endpoint *src, const struct pkt *p,
			   const struct dns_tcp_key *k, struct dns_client *cl,
			   const struct tcphdr *th, const uint8_t *opt)
{
	const struct ether_header *eth = (const struct ether_header *)p->data;
	size_t optlen = (size_t)th->doff * 4 - sizeof(*th), i;
	struct dns_tcp_conn *c = NULL;

	if (!src || !src->ctr || cl->held[DNS_SHARE_TCP] >= DNS_TCP_MAX_PER_EP) {
		dns_stats_mut(dns)->tcp_refused++;
		return;
	}
	if (!dns->tcp->n_free)
		dns_tcp_make_room(dns, cl);
	if (dns->tcp->n_free)
		c = &dns->tcp->pool[dns->tcp->free_slots[--dns->tcp->n_free]];
	if (!c) {
		dns_stats_mut(dns)->tcp_refused++;
		return;
	}
	c->key = *k;
	c->owner = src->ip;
	snprintf(c->ctr, sizeof(c->ctr), "%s", src->ctr->name);
	memcpy(c->cmac, eth->ether_shost, 6);
	dns_rng(dns, &c->iss, sizeof(c->iss));
	c->snd_base = c->iss + 1;
	c->rcv_nxt = ntohl(th->seq) + 1;
	c->mss = 536;                    /* RFC 9293 default */
	for (i = 0; i + 1 < optlen;) {   /* options: find MSS */
		if (opt[i] == TCPOPT_EOL)
			break;
		if (opt[i] == TCPOPT_NOP) {
			i++;
			continue;
		}
		if (opt[i + 1] < 2 || i + opt[i + 1] > optlen)
			break;
		if (opt[i] == TCPOPT_MAXSEG && opt[i + 1] == 4)
			c->mss = (uint16_t)(opt[i + 2] << 8 | opt[i + 3]);
		i += opt[i + 1];
	}
	if (c->mss < 64)
		c->mss = 64;
	c->wnd = ntohs(th->window);
	c->tx_sent = c->rxlen = c->txlen = 0;
	c->fin_rcvd = c->fin_sent = c->fin_acked = false;
	c->outstanding = 0;
	c->last_rx_ms = dns_now_ms(dns);
	c->state = DNS_TCP_SYN_RCVD;
	HASH_ADD(hh, dns->tcp->table, key, sizeof(c->key), c);
	dns->tcp->n++;
	/* The sweep runs only while a connection exists: an idle switch has
	 * no timer to wake it. */
	if (dns->tcp->loop && !ev_is_active(&dns->tcp->timer))
		ev_timer_again(dns->tcp->loop, &dns->tcp->timer);
	dns_share_set(dns, cl, DNS_SHARE_TCP, cl->held[DNS_SHARE_TCP] + 1);
	dns_stats_mut(dns)->tcp_conns++;
	dns_tcp_segment(dns, c, c->iss, TH_SYN | TH_ACK, NULL, 0);
}

/* The peer acknowledged up to ACK: release sent bytes, note our FIN. */
static void dns_tcp_acked(struct dns_tcp_conn *c, uint32_t ack)
{
	int32_t adv;

	if (c->state == DNS_TCP_SYN_RCVD) {
		if (ack != c->iss + 1)
			return;
		c->state = DNS_TCP_OPEN;
		return;
	}
	adv = dns_tcp_diff(ack, c->snd_base);
	if (adv <= 0 || (size_t)adv > c->tx_sent + (c->fin_sent ? 1 : 0))
		return;
	if ((size_t)adv > c->tx_sent) {  /* data and our FIN */
		c->fin_acked = true;
		adv = (int32_t)c->tx_sent;
	}
	memmove(c->tx, c->tx + adv, c->txlen - (size_t)adv);
	c->txlen -= (size_t)adv;
	c->tx_sent -= (size_t)adv;
	c->snd_base += (uint32_t)adv;
}

/* In-order payload and FIN of a segment; true if it must be ACKed. */
static bool dns_tcp_receive(struct dns *dns, struct dns_tcp_conn *c, struct network *n,
			    const struct tcphdr *th, const uint8_t *data, uint32_t len)
{
	uint32_t seq = ntohl(th->seq);

	if (!len && !th->fin)
		return false;
	if (seq != c->rcv_nxt || c->fin_rcvd)
		return true;                     /* duplicate ACK tells the peer */
	if (len) {
		if (c->rxlen + len > DNS_TCP_RXMAX) {
			dns_stats_mut(dns)->dropped_bad++;
			dns_tcp_abort(dns, c);
			return false;
		}
		memcpy(c->rx + c->rxlen, data, len);
		c->rxlen += len;
		c->rcv_nxt += len;
		dns_tcp_messages(dns, c, n);
	}
	if (th->fin) {
		c->rcv_nxt++;
		c->fin_rcvd = true;
	}
	return true;
}

/* A SYN for no connection: accept it if the client's bucket has a token
 * (limits follow the port it came in on, dns_client_of), else RST. */
static void dns_tcp_syn(struct dns *dns, struct network *n, struct endpoint *src, struct pkt *p,
			const struct dns_tcp_key *k, const struct tcphdr *th,
			const uint8_t *opt, uint32_t plen)
{
	struct dns_client *cl = dns_client_of(dns, k->net, src ? &src->ip : NULL);

	if (dns_client_allow(dns, cl, true)) {
		dns_tcp_accept(dns, n, src, p, k, cl, th, opt);
		return;
	}
	dns_stats_mut(dns)->dropped_flood++;
	if (p->in_port)
		port_drop(p->in_port, p, DROP_DNS_FLOOD);
	dns_tcp_reset_for(dns, n, src, p, k, th, plen);
}

/**
 * dns_tcp_input() - A TCP segment to port 53 of the resolver
 * @n:		network it arrived on
 * @src:	sending endpoint (NULL if unknown: such segments are dropped)
 * @p:		parsed frame
 *
 * Return: true (consumed), false if it is not TCP to port 53.
 */
bool dns_tcp_input(struct dns *dns, struct network *n, struct endpoint *src, struct pkt *p)
{
	const uint8_t *tcph = pkt_header(p, p->l4_ofs, sizeof(struct tcphdr));
	struct tcphdr thc;
	const struct tcphdr *th = &thc;
	struct dns_tcp_key k;
	struct dns_tcp_conn *c;
	uint32_t l4len, hlen, plen;
	bool ack_needed;

	memset(&k, 0, sizeof(k));
	if (!tcph || dns_pkt_ip(p, &k.cip, &k.sip, &l4len) < 0)
		return false;
	/* A copy: headers sit 2 bytes off alignment behind Ethernet. */
	memcpy(&thc, tcph, sizeof(thc));
	if (th->dest != htons(53))
		return false;
	hlen = (uint32_t)th->doff * 4;
	if (p->is_frag || hlen < sizeof(*th) ||
	    l4len < hlen || !pkt_header(p, p->l4_ofs, l4len) || !dns->tcp || !dns->tcp->pool) {
		if (!(p->flags & PKT_F_DRYRUN))   /* a trace changes no counter */
			dns_stats_mut(dns)->dropped_bad++;
		if (p->in_port)
			port_drop(p->in_port, p, DROP_DNS_BAD);
		return true;
	}
	if (p->flags & PKT_F_DRYRUN) {
		trace_event(p, "dns", TRACE_LOCAL, p->in_port,
			    "TCP to the resolver: answered in the datapath");
		return true;
	}
	plen = l4len - hlen;
	snprintf(k.net, sizeof(k.net), "%s", n->name);
	k.cport = th->source;
	k.sport = th->dest;
	HASH_FIND(hh, dns->tcp->table, &k, sizeof(k), c);
	if (!c) {
		if (th->syn && !th->ack && !th->rst)
			dns_tcp_syn(dns, n, src, p, &k, th, tcph + sizeof(*th), plen);
		else
			dns_tcp_reset_for(dns, n, src, p, &k, th, plen);
		return true;
	}
	if (th->rst) {
		dns_tcp_free(dns, c);
		return true;
	}
	c->last_rx_ms = dns_now_ms(dns);
	if (th->syn) {                    /* SYN again: our SYN-ACK was lost */
		if (c->state == DNS_TCP_SYN_RCVD)
			dns_tcp_segment(dns, c, c->iss, TH_SYN | TH_ACK, NULL, 0);
		return true;
	}
	if (!th->ack)
		return true;
	dns_tcp_acked(c, ntohl(th->ack_seq));
	c->wnd = ntohs(th->window);
	if (c->state != DNS_TCP_OPEN)
		return true;
	ack_needed = dns_tcp_receive(dns, c, n, th, tcph + hlen, plen);
	if (c->state == DNS_TCP_FREE)
		return true;
	if (c->fin_sent && c->fin_acked) {
		dns_tcp_free(dns, c);
		return true;
	}
	dns_tcp_output(dns, c, ack_needed);
	return true;
}

/**
 * dns_tcp_answer() - An upstream answer for a connection's query
 * @slot:	connection slot
 * @gen:	its generation when the query was sent
 * @msg:	the answer
 * @len:	its length
 */
void dns_tcp_answer(struct dns *dns, uint32_t slot, uint32_t gen, const uint8_t *msg, size_t len)
{
	struct dns_tcp_conn *c;

	if (!dns->tcp || !dns->tcp->pool || slot >= DNS_TCP_MAX_CONNS)
		return;
	c = &dns->tcp->pool[slot];
	if (c->state != DNS_TCP_OPEN || c->gen != gen)
		return;
	if (c->outstanding)
		c->outstanding--;
	dns_tcp_queue(c, msg, len);
	dns_tcp_output(dns, c, false);
}

/**
 * dns_tcp_tick() - Retransmit what is overdue, reset what is idle
 *
 * The sweep timer's work, callable on its own so that a harness driving a
 * test clock (dns_set_test_clock) can run it without a running loop.
 */
void dns_tcp_tick(struct dns *dns)
{
	uint64_t now = dns_now_ms(dns);
	unsigned int s;

	for (s = 0; dns->tcp && s < DNS_TCP_MAX_CONNS && dns->tcp->n; s++) {
		struct dns_tcp_conn *c = &dns->tcp->pool[s];
		bool unacked = c->tx_sent || (c->fin_sent && !c->fin_acked);

		if (c->state == DNS_TCP_FREE)
			continue;
		if (now - c->last_rx_ms > DNS_TCP_IDLE_MS) {
			dns_tcp_abort(dns, c);
			continue;
		}
		if (now - c->last_tx_ms < DNS_TCP_RTO_MS)
			continue;
		if (c->state == DNS_TCP_SYN_RCVD) {
			dns_tcp_segment(dns, c, c->iss, TH_SYN | TH_ACK, NULL, 0);
		} else if (unacked) {
			c->tx_sent = 0;          /* go back to the last ACKed byte */
			c->fin_sent = false;
			dns_tcp_output(dns, c, false);
		}
	}
}

static void dns_tcp_sweep(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct dns *dns = ((struct dns_tcp *)(void *)((char *)w - offsetof(struct dns_tcp, timer)))->dns;

	(void)revents;
	dns_tcp_tick(dns);
	if (!dns->tcp->n)
		ev_timer_stop(loop, w);
}

unsigned int dns_tcp_conns(struct dns *dns) { return dns->tcp ? dns->tcp->n : 0; }

/**
 * dns_tcp_init() - Allocate the connection pool, set up the sweep
 * @loop:	event loop (NULL in unit tests: no sweep)
 *
 * Return: 0, or -1 if memory is short.
 */
int dns_tcp_init(struct dns *dns, struct ev_loop *loop)
{
	unsigned int s;

	/* Made once, kept across a fini and a new init, freed with the
	 * resolver. */
	if (!dns->tcp) {
		dns->tcp = calloc(1, sizeof(*dns->tcp));
		if (!dns->tcp)
			return -1;
		dns->tcp->dns = dns;
	}
	dns->tcp->loop = loop;
	dns->tcp->pool = calloc(DNS_TCP_MAX_CONNS, sizeof(*dns->tcp->pool));
	if (!dns->tcp->pool)
		return -1;
	dns->tcp->n_free = 0;
	for (s = DNS_TCP_MAX_CONNS; s-- > 0;) {
		dns->tcp->free_slots[dns->tcp->n_free++] = s;
		dns->tcp->pool[s].slot = s;
		dns->tcp->pool[s].tx = malloc(DNS_TCP_TXMAX);
		if (!dns->tcp->pool[s].tx)
			return -1;
	}
	if (loop) {
		ev_timer_init(&dns->tcp->timer, dns_tcp_sweep, DNS_TCP_SWEEP_S, DNS_TCP_SWEEP_S);
	}
	return 0;
}

void dns_tcp_fini(struct dns *dns)
{
	unsigned int s;

	if (!dns->tcp || !dns->tcp->pool)
		return;
	if (dns->tcp->loop)
		ev_timer_stop(dns->tcp->loop, &dns->tcp->timer);
	for (s = 0; s < DNS_TCP_MAX_CONNS; s++) {
		dns_tcp_free(dns, &dns->tcp->pool[s]);
		free(dns->tcp->pool[s].tx);
	}
	free(dns->tcp->pool);
	dns->tcp->pool = NULL;
	dns->tcp->n_free = 0;
	dns->tcp->table = NULL;
	dns->tcp->n = 0;
}
