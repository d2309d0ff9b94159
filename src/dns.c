/* dns.c - the resolver behind every DNS-enabled network's gateway.
 *
 * Theory of Operation
 *
 * gateway.c hands us port-53 traffic (dns_input).  A query is answered
 * from the name index at the moment it arrives; what the index does not
 * own goes to dns_forward.c and comes back asynchronously.  No socket or
 * process lives in any container's namespace: replies are whole Ethernet
 * frames made here and queued on the container's port.
 *
 * The name index.  One hash table maps "NETWORK\0name" to the addresses
 * that answer for it on that network: the container's name, each of its
 * aliases, and both again as NAME.NETWORK, lowercased (RFC 4343).  It is
 * kept by dns_endpoint_added()/dns_endpoint_removed(), which the control
 * plane calls on connect, disconnect, namespace death and restart restore,
 * so a query costs one hash lookup, never a walk over endpoints.  Entries
 * hold addresses, not endpoint pointers: nothing dangles when an endpoint
 * goes.  Several containers sharing an alias share one entry; a counter in
 * it rotates the order per query.  PTR looks the address up in the
 * network's own by-IP table (model_endpoint_by_ip).
 *
 * Keys are hashed with the switch's keyed hash (hash.h, SipHash-1-3 under
 * a secret drawn once per process, uthash's HASH_FUNCTION everywhere):
 * names are chosen by whoever runs containers, and lookups by whoever
 * sends queries.
 *
 * Flood limits.  Each client has a token bucket (DNS_RATE_QPS,
 * DNS_RATE_BURST) and a cap on queries it has in flight upstream
 * (DNS_MAX_INFLIGHT), so one container's flood is dropped and counted
 * (DROP_DNS_FLOOD) while its neighbours keep resolving.  A client is an
 * endpoint, found through the input port, never the source address a
 * packet claims: a container without port security could otherwise make
 * itself thousands of clients (audit finding 20).  Buckets live and die
 * with endpoints; sources without one share dns->anon.  The forwarding
 * pool and the TCP connections are shared fairly between clients
 * (dns_share_set/dns_share_hog, dns_internal.h says how).
 *
 * Why answers are found again by name: a forwarded query can outlive the
 * endpoint that sent it.  struct dns_client_ref carries the network and
 * container names and addresses by value; dns_deliver() finds the
 * endpoint again and drops the answer if it is gone.
 *
 * Records: the index maps a name to union vs_addr addresses (addr.h) of
 * either family: on a --ipv6 network an endpoint's names hold its IPv4 and
 * its IPv6 address, A answers the first kind and AAAA the second (a name
 * with none of the asked family: NOERROR, no answer, RFC 4074).  PTR is
 * answered under in-addr.arpa and under ip6.arpa (RFC 3596 2.5: 32
 * nibbles, least significant first), each looked up in the network's
 * by-address hash of its family.  At most 64 addresses answer for one name.
 *
 * Both families in.  The resolver listens on the gateway's IPv4 address
 * and, on a --ipv6 network, on its IPv6 one (gateway.c hands us IPv6
 * UDP/TCP to port 53 without extension headers); replies leave in the
 * family and from the address the query was sent to, built by
 * dns_build_ip() for dns.c and dns_tcp.c alike.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <ev.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <net/ethernet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

#include "dns_internal.h"
#include "dp.h"
#include "log.h"
#include "model.h"
#include "netns.h"
#include "pipeline.h"
#include "pkt.h"
#include "pkt_build.h"
#include "port.h"
#include "trace.h"

#define DNS_RATE_QPS 200
#define DNS_RATE_BURST 400
#define DNS_MAX_CLIENTS 65536
#define DNS_MAX_ADDRS 64
#define DNS_KEY_MAX (VS_NAME_MAX + 1 + DNS_NAME_WIRE_MAX + 1)
#define DNS_OUR_UDP_SIZE 1232       /* DNS flag day 2020 */

struct dns_name {
	UT_hash_handle hh;
	unsigned int keylen;
	char key[DNS_KEY_MAX];
	uint32_t rr;               /* rotation counter */
	unsigned int n_addrs;
	union vs_addr addrs[DNS_MAX_ADDRS];   /* either family; A answers the IPv4 ones */
};

/* ---- helpers: clock, randomness ---- */

/* Milliseconds of CLOCK_MONOTONIC (vDSO: no syscall), or the test clock. */
uint64_t dns_now_ms(struct dns *dns)
{
	struct timespec ts;

	if (dns->test_ms)
		return dns->test_ms;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void dns_set_test_clock(struct dns *dns, uint64_t ms) { dns->test_ms = ms; }
struct dns_stats *dns_stats_mut(struct dns *dns) { return &dns->stats; }
const struct dns_stats *dns_get_stats(struct dns *dns) { return &dns->stats; }

/* Random bytes from a pool refilled 512 bytes at a time: query IDs and
 * TCP sequence numbers need them per query, getrandom() need not run so. */
void dns_rng(struct dns *dns, void *buf, size_t len)
{
	static uint8_t pool[512];
	static size_t left;
	uint8_t *out = buf;

#ifdef DNS_FUZZ
	memset(buf, 0, len);       /* reproducible runs: fuzz_dns_input.c */
	return;
#endif
	while (len) {
		size_t n;

		if (!left) {
			if (getrandom(pool, sizeof(pool), 0) != (ssize_t)sizeof(pool)) {
				/* Never fails for 512 bytes after boot; be safe. */
				uint64_t t = dns_now_ms(dns) ^ (uint64_t)(uintptr_t)buf;
				memcpy(pool, &t, sizeof(t));
			}
			left = sizeof(pool);
		}
		n = len < left ? len : left;
		memcpy(out, pool + sizeof(pool) - left, n);
		left -= n;
		out += n;
		len -= n;
	}
}

/* ---- the name index ---- */

/* "NET\0name" lowercased into KEY; its length, or 0 if it does not fit. */
static unsigned int dns_key(char *key, const char *net, const char *name,
			    const char *suffix)
{
	int l = snprintf(key, DNS_KEY_MAX, "%s%c%s%s%s", net, 0, name,
			 suffix ? "." : "", suffix ? suffix : "");
	unsigned int i, nl = (unsigned int)strlen(net) + 1;

	if (l < 0 || l >= DNS_KEY_MAX || (unsigned int)l - nl > DNS_NAME_WIRE_MAX - 2)
		return 0;
	for (i = nl; i < (unsigned int)l; i++)
		if (key[i] >= 'A' && key[i] <= 'Z')
			key[i] = (char)(key[i] - 'A' + 'a');
	return (unsigned int)l;
}

static struct dns_name *dns_name_find(struct dns *dns, const char *key, unsigned int keylen)
{
	struct dns_name *e;

	HASH_FIND(hh, dns->names, key, keylen, e);
	return e;
}

static void dns_name_add(struct dns *dns, const char *net, const char *name, const char *suffix,
			 const union vs_addr *ip)
{
	char key[DNS_KEY_MAX];
	unsigned int kl = dns_key(key, net, name, suffix), i;
	struct dns_name *e;

	if (!kl || !name[0])
		return;
	e = dns_name_find(dns, key, kl);
	if (!e) {
		e = calloc(1, sizeof(*e));
		if (!e)
			return;
		memcpy(e->key, key, kl);
		e->keylen = kl;
		HASH_ADD_KEYPTR(hh, dns->names, e->key, e->keylen, e);
		if (!dns_name_find(dns, key, kl)) {       /* uthash out of memory */
			free(e);
			return;
		}
	}
	for (i = 0; i < e->n_addrs; i++)
		if (vs_addr_eq(&e->addrs[i], ip))
			return;
	if (e->n_addrs < DNS_MAX_ADDRS)
		e->addrs[e->n_addrs++] = *ip;
}

static void dns_name_del(struct dns *dns, const char *net, const char *name, const char *suffix,
			 const union vs_addr *ip)
{
	char key[DNS_KEY_MAX];
	unsigned int kl = dns_key(key, net, name, suffix), i;
	struct dns_name *e;

	if (!kl || !(e = dns_name_find(dns, key, kl)))
		return;
	for (i = 0; i < e->n_addrs; i++) {
		if (!vs_addr_eq(&e->addrs[i], ip))
			continue;
		e->addrs[i] = e->addrs[--e->n_addrs];
		break;
	}
	if (!e->n_addrs) {
		HASH_DEL(dns->names, e);
		free(e);
	}
}

/* Apply FN to every name EP answers for. */
static void dns_endpoint_names(struct dns *dns, struct endpoint *ep,
			       void (*fn)(struct dns *, const char *, const char *,
					  const char *, const union vs_addr *))
{
	const char *net = ep->net->name;
	int i;

	/* The DNS name, not the key: a CNI container id is no name, and a
	 * container without a DNS name answers only for its aliases. */
	fn(dns, net, ep->ctr->dns_name, NULL, &ep->ip);
	fn(dns, net, ep->ctr->dns_name, net, &ep->ip);
	for (i = 0; i < ep->n_aliases && i < VS_MAX_ALIASES; i++) {
		fn(dns, net, ep->aliases[i], NULL, &ep->ip);
		fn(dns, net, ep->aliases[i], net, &ep->ip);
	}
	if (vs_addr_is_any(&ep->ip6))
		return;              /* not on a --ipv6 network: no AAAA */
	fn(dns, net, ep->ctr->dns_name, NULL, &ep->ip6);
	fn(dns, net, ep->ctr->dns_name, net, &ep->ip6);
	for (i = 0; i < ep->n_aliases && i < VS_MAX_ALIASES; i++) {
		fn(dns, net, ep->aliases[i], NULL, &ep->ip6);
		fn(dns, net, ep->aliases[i], net, &ep->ip6);
	}
}

static struct dns_client *dns_client_find(struct dns *dns, const char *net,
					  const union vs_addr *ip)
{
	struct dns_client_key k;
	struct dns_client *c;

	memset(&k, 0, sizeof(k));
	snprintf(k.net, sizeof(k.net), "%s", net);
	k.ip = *ip;
	HASH_FIND(hh, dns->clients, &k, sizeof(k), c);
	return c;
}

static void dns_client_init(struct dns *dns, struct dns_client *c)
{
	c->tokens = DNS_RATE_BURST * 1000ULL;
	c->last_ms = dns_now_ms(dns);
	TAILQ_INIT(&c->pending);
}

/* Make the bucket of the endpoint at (NET, IP); NULL at the table's cap
 * or out of memory (the endpoint then counts as dns->anon). */
static struct dns_client *dns_client_add(struct dns *dns, const char *net,
					 const union vs_addr *ip)
{
	struct dns_client *c = dns_client_find(dns, net, ip);

	if (c || dns->n_clients >= DNS_MAX_CLIENTS)
		return c;
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	snprintf(c->key.net, sizeof(c->key.net), "%s", net);
	c->key.ip = *ip;
	dns_client_init(dns, c);
	HASH_ADD(hh, dns->clients, key, sizeof(c->key), c);
	if (!dns_client_find(dns, net, ip)) {
		free(c);
		return NULL;
	}
	dns->n_clients++;
	return c;
}

/**
 * dns_client_of() - The client a query counts against
 * @net:	the network's name
 * @owner:	the sending endpoint's own address, or NULL (no endpoint)
 *
 * Buckets are made only for endpoints (dns_endpoint_added) and go with
 * them, so the table never holds more clients than there are endpoints
 * and no packet can make one.  Sources without a bucket share dns->anon.
 *
 * Return: never NULL.
 */
struct dns_client *dns_client_of(struct dns *dns, const char *net, const union vs_addr *owner)
{
	struct dns_client *c = owner ? dns_client_find(dns, net, owner) : NULL;

	if (c)
		return c;
	/* Made on first use: unit tests start resolvers without dns_new(),
	 * and dns_fini() zeroes it (an uninitialised queue has no tqh_last). */
	if (!dns->anon.pending.tqh_last)
		dns_client_init(dns, &dns->anon);
	return &dns->anon;
}

/* The endpoint's bucket goes: its forwards and TCP connections no longer
 * count against anybody (answers still find the endpoint by name). */
static void dns_client_forget(struct dns *dns, const char *net, const union vs_addr *ip)
{
	struct dns_client *c = dns_client_find(dns, net, ip);

	if (!c)
		return;
	dns_forward_client_gone(dns, c);
	dns_tcp_client_gone(dns, c);
	dns_share_set(dns, c, DNS_SHARE_FWD, 0);
	dns_share_set(dns, c, DNS_SHARE_TCP, 0);
	HASH_DEL(dns->clients, c);
	free(c);
	dns->n_clients--;
}

/**
 * dns_share_set() - C now holds HELD of share S: move it to that level
 *
 * O(1) but for lowering the top past empty levels, at most
 * DNS_SHARE_LEVELS steps, paid for by the raises that made them.
 */
void dns_share_set(struct dns *dns, struct dns_client *c, enum dns_share_kind s,
		   unsigned int held)
{
	struct dns_share *sh = &dns->share[s];

	if (held >= DNS_SHARE_LEVELS)
		held = DNS_SHARE_LEVELS - 1;
	if (c->held[s])
		LIST_REMOVE(c, lvl_link[s]);
	c->held[s] = held;
	if (held) {
		LIST_INSERT_HEAD(&sh->lvl[held], c, lvl_link[s]);
		if (held > sh->top)
			sh->top = held;
	}
	while (sh->top && LIST_EMPTY(&sh->lvl[sh->top]))
		sh->top--;
}

/**
 * dns_share_hog() - Who gives up a slot of full pool S so that C gets one
 *
 * The client holding the most, if it holds at least two more than C: after
 * the move it still holds at least as many as C, so two clients never take
 * slots back and forth, and in a full pool shared by N clients each keeps
 * about 1/N of it, however hard the others push.
 *
 * Return: that client, or NULL if C already holds its fair share.
 */
struct dns_client *dns_share_hog(struct dns *dns, enum dns_share_kind s,
				 const struct dns_client *c)
{
	struct dns_share *sh = &dns->share[s];

	if (sh->top < c->held[s] + 2)
		return NULL;
	return LIST_FIRST(&sh->lvl[sh->top]);
}

/**
 * dns_endpoint_added() - Index EP's names and write its resolv.conf
 * @dns:	the resolver of EP's datapath (NULL: none, nothing to do)
 * @ep:		an endpoint just linked into the model (connect, restore)
 */
void dns_endpoint_added(struct dns *dns, struct endpoint *ep)
{
	if (!dns || !ep || !ep->net || !ep->ctr)
		return;
	if (ep->net->dns || ep->net->dns_intercept)
		dns_endpoint_names(dns, ep, dns_name_add);
	dns_client_add(dns, ep->net->name, &ep->ip);
	dns_resolvconf_update(ep->ctr, NULL, ep);
}

/**
 * dns_endpoint_removed() - Forget EP's names (before EP is freed)
 * @dns:	the resolver of EP's datapath (NULL: none, nothing to do)
 * @ep:		an endpoint about to go (disconnect, namespace death)
 *
 * Queries EP has in flight upstream are not cancelled: their answers find
 * no endpoint and are dropped.
 */
void dns_endpoint_removed(struct dns *dns, struct endpoint *ep)
{
	if (!dns || !ep || !ep->net || !ep->ctr)
		return;
	dns_endpoint_names(dns, ep, dns_name_del);
	dns_client_forget(dns, ep->net->name, &ep->ip);
	dns_resolvconf_update(ep->ctr, ep, NULL);
}

/* A container on another host of global network N (cluster_net.c): its
 * name answers here too, as NAME and NAME.NET, from the same index. */
void dns_remote_added(struct dns *dns, struct network *n, const char *name,
		      const union vs_addr *ip)
{
	if (!dns || !n || !name[0])
		return;
	dns_name_add(dns, n->name, name, NULL, ip);
	dns_name_add(dns, n->name, name, n->name, ip);
}

void dns_remote_removed(struct dns *dns, struct network *n, const char *name,
			const union vs_addr *ip)
{
	if (!dns || !n || !name[0])
		return;
	dns_name_del(dns, n->name, name, NULL, ip);
	dns_name_del(dns, n->name, name, n->name, ip);
}

/* ---- local answers ---- */

/* Parse "D.C.B.A.in-addr.arpa" into A.B.C.D. */
static int dns_ptr_addr4(const char *name, union vs_addr *ip)
{
	unsigned int b[4];
	char tail[32];
	int used = 0;

	if (sscanf(name, "%3u.%3u.%3u.%3u.%20s%n", &b[3], &b[2], &b[1], &b[0],
		   tail, &used) != 5 || strcmp(tail, "in-addr.arpa") ||
	    name[used] || b[0] > 255 || b[1] > 255 || b[2] > 255 || b[3] > 255)
		return -1;
	vs_addr_set_v4(ip, htonl((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]));
	return 0;
}

/* One hex digit's value, or -1 (the name is lowercase already). */
static int dns_nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/**
 * dns_ptr_addr6() - Parse a PTR name under ip6.arpa (RFC 3596 2.5)
 * @name:	lowercase text without the final dot
 * @ip:		out: the address
 *
 * Exactly 32 one-digit labels, the least significant nibble first; a
 * shorter name (a zone cut such as a /64's) is no address of ours.
 *
 * Return: 0, or -1 if NAME is not one address's PTR name.
 */
static int dns_ptr_addr6(const char *name, union vs_addr *ip)
{
	uint8_t b[16] = { 0 };
	int i, v;

	if (strlen(name) != 64 + sizeof("ip6.arpa") - 1 || strcmp(name + 64, "ip6.arpa"))
		return -1;
	for (i = 0; i < 32; i++) {
		v = dns_nibble(name[2 * i]);
		if (v < 0 || name[2 * i + 1] != '.')
			return -1;
		b[15 - i / 2] |= (uint8_t)(i % 2 ? v << 4 : v);
	}
	vs_addr_from_bytes(ip, AF_INET6, b);
	return 0;
}

/* The endpoint that owns IP on N, either family: hashes both. */
struct endpoint *dns_endpoint_by_addr(const struct network *n, const union vs_addr *ip)
{
	return vs_addr_is_v4(ip) ? model_endpoint_by_ip(n, ip) : model_endpoint_by_ip6_fast(n, ip);
}

/* The endpoint N gives the address a PTR name stands for, or NULL. */
static struct endpoint *dns_ptr_endpoint(struct network *n, const char *name)
{
	union vs_addr ip;

	if (!dns_ptr_addr4(name, &ip))
		return model_endpoint_by_ip(n, &ip);
	if (!dns_ptr_addr6(name, &ip))
		return model_endpoint_by_ip6_fast(n, &ip);
	return NULL;
}

static const uint8_t dns_qname_ptr[2] = { 0xc0, DNS_HDR_LEN };

/* Answer a PTR query for an address on N; 0 if not one of ours. */
static int dns_local_ptr(struct network *n, const struct dns_query *q,
			 struct dns_msg *m)
{
	uint8_t wire[DNS_NAME_WIRE_MAX];
	char text[2 * VS_NAME_MAX + 2];
	struct endpoint *ep;
	int wl;

	if (!(ep = dns_ptr_endpoint(n, q->name)))
		return 0;
	if (q->qtype != DNS_T_PTR && q->qtype != DNS_T_ANY)
		return 1;          /* known name, other type: NOERROR, empty */
	if (!ep->ctr->dns_name[0] && !ep->n_aliases)
		return 1;          /* ours, but nameless: NOERROR, empty */
	snprintf(text, sizeof(text), "%s.%s",
		 ep->ctr->dns_name[0] ? ep->ctr->dns_name : ep->aliases[0], n->name);
	wl = dns_wire_name_from_text(text, wire, sizeof(wire));
	if (wl > 0)
		dns_wire_add_rr(m, dns_qname_ptr, 2, DNS_T_PTR, DNS_TTL, wire, (size_t)wl);
	return 1;
}

/* Answer from the index for a name on N; 0 if unknown. */
static int dns_local_name(struct dns *dns, struct network *n, const struct dns_query *q,
			  struct dns_msg *m)
{
	char key[DNS_KEY_MAX];
	unsigned int kl = dns_key(key, n->name, q->name, NULL), i;
	struct dns_name *e;
	uint32_t start;

	if (!kl || !q->name[0] || !(e = dns_name_find(dns, key, kl)))
		return 0;
	if (q->qtype != DNS_T_A && q->qtype != DNS_T_AAAA && q->qtype != DNS_T_ANY)
		return 1;
	start = e->rr++;
	for (i = 0; i < e->n_addrs; i++) {
		const union vs_addr *ip = &e->addrs[(start + i) % e->n_addrs];

		if (vs_addr_is_v4(ip) && q->qtype != DNS_T_AAAA)
			dns_wire_add_rr(m, dns_qname_ptr, 2, DNS_T_A, DNS_TTL,
					&ip->v4mapped.a4, 4);
		else if (!vs_addr_is_v4(ip) && q->qtype != DNS_T_A)
			dns_wire_add_rr(m, dns_qname_ptr, 2, DNS_T_AAAA, DNS_TTL, ip->b, 16);
	}
	return 1;
}

/**
 * dns_resolve_local() - Answer Q from the index if N owns its name
 * @n:		the querying container's network
 * @msg:	the query
 * @len:	its length
 * @q:		the parsed query
 * @out:	reply buffer
 * @cap:	largest reply the client accepts (512, its EDNS size, or TCP's)
 * @out_len:	out: reply length
 *
 * Return: 1 with a reply in OUT, 0 if the name is not ours.
 */
int dns_resolve_local(struct dns *dns, struct network *n, const uint8_t *msg, size_t len,
		      const struct dns_query *q, uint8_t *out, size_t cap,
		      size_t *out_len)
{
	struct dns_msg m = { .buf = out, .cap = cap };
	size_t opt = q->edns ? 11 : 0;
	int found;

	(void)len;
	if (!q->name_plain || (q->qclass != DNS_CLASS_IN && q->qclass != DNS_CLASS_ANY))
		return 0;
	if (cap < opt + DNS_HDR_LEN || !dns_wire_reply_start(&m, msg, q, 0, true))
		return 0;
	m.cap -= opt;              /* keep room for our OPT */
	found = dns_local_name(dns, n, q, &m);
	if (!found)
		found = dns_local_ptr(n, q, &m);
	if (!found)
		return 0;
	m.cap += opt;
	if (q->edns)
		dns_wire_add_opt(&m, DNS_OUR_UDP_SIZE, 0);
	dns_wire_finish(&m, DNS_RC_NOERROR);
	*out_len = m.len;
	return 1;
}

/* An error reply (FORMERR, NOTIMP, SERVFAIL, REFUSED, BADVERS) to Q. */
static size_t dns_error_reply(const uint8_t *msg, const struct dns_query *q,
			      int rcode, uint8_t *out, size_t cap)
{
	struct dns_msg m = { .buf = out, .cap = cap };

	if (!dns_wire_reply_start(&m, msg, q, rcode & 0xf, false))
		return 0;
	if (rcode == DNS_RC_BADVERS)
		dns_wire_add_opt(&m, DNS_OUR_UDP_SIZE, (uint8_t)(rcode >> 4));
	dns_wire_finish(&m, rcode & 0xf);
	return m.len;
}

static void dns_count_rcode(struct dns *dns, int rc)
{
	if (rc == DNS_RC_FORMERR)
		dns->stats.formerr++;
	else if (rc == DNS_RC_NOTIMP)
		dns->stats.notimp++;
	else if (rc == DNS_RC_REFUSED)
		dns->stats.refused++;
}

/**
 * dns_answer_message() - Decide what to do with one query message
 * @n:		the network it arrived on
 * @who:	the client, by value
 * @msg:	the query (UDP payload or TCP message)
 * @len:	its length
 * @limit:	largest reply the path can carry (UDP: MTU - 28; TCP: 65535)
 * @out:	reply buffer, at least @limit bytes
 * @out_len:	out: reply length when 1 is returned
 *
 * Return: 1 with a reply to send now, 0 if forwarded upstream (the answer
 * comes through dns_deliver), -1 to drop without reply (counted), or
 * DNS_ANSWER_FAIR to drop because the client has its most in flight.
 */
int dns_answer_message(struct dns *dns, struct network *n, const struct dns_client_ref *who,
		       const uint8_t *msg, size_t len, size_t limit,
		       uint8_t *out, size_t *out_len)
{
	struct dns_client *c;
	struct dns_query q;
	size_t cap;
	int rc;

	rc = dns_wire_parse_query(msg, len, &q);
	if (rc == DNS_PARSE_DROP) {
		dns->stats.dropped_bad++;
		return -1;
	}
	if (rc == DNS_PARSE_OK && q.edns && q.edns_version > 0)
		rc = DNS_RC_BADVERS;          /* RFC 6891 6.1.3 */
	if (rc != DNS_PARSE_OK) {
		dns_count_rcode(dns, rc);
		*out_len = dns_error_reply(msg, &q, rc, out, limit);
		return *out_len ? 1 : -1;
	}
	cap = who->tcp ? limit : (q.edns ? q.edns_size : 512);
	if (cap > limit)
		cap = limit;
	if (dns_resolve_local(dns, n, msg, len, &q, out, cap, out_len)) {
		dns->stats.local_answers++;
		return 1;
	}
	c = dns_client_of(dns, who->net, &who->owner);
	if (c->held[DNS_SHARE_FWD] >= DNS_MAX_INFLIGHT) {
		dns->stats.dropped_inflight++;
		return DNS_ANSWER_FAIR;
	}
	rc = dns_forward_query(dns, c, who, msg, len);
	if (rc == 0) {
		dns->stats.forwarded++;
		return 0;
	}
	dns_count_rcode(dns, rc);
	*out_len = dns_error_reply(msg, &q, rc, out, limit);
	return *out_len ? 1 : -1;
}

/**
 * dns_client_allow() - Token bucket: may C ask one more query now?
 * @c:		the client (dns_client_of)
 * @take:	spend the token; false only looks (vsctl trace changes nothing)
 */
bool dns_client_allow(struct dns *dns, struct dns_client *c, bool take)
{
	uint64_t now = dns_now_ms(dns), tokens = c->tokens;

	if (now > c->last_ms)
		tokens += (now - c->last_ms) * DNS_RATE_QPS;
	if (tokens > DNS_RATE_BURST * 1000ULL)
		tokens = DNS_RATE_BURST * 1000ULL;
	if (!take)
		return tokens >= 1000;
	c->last_ms = now > c->last_ms ? now : c->last_ms;
	c->tokens = tokens;
	if (c->tokens < 1000)
		return false;
	c->tokens -= 1000;
	return true;
}

/* ---- reply frames ---- */

/* Queue FRAME (a finished Ethernet frame from dns_build_ip()) on PORT,
 * as the switch's own. */
void dns_send_frame(struct port *port, const uint8_t *frame, size_t len,
		    uint8_t proto)
{
	struct pkt reply;
	bool v6 = frame[12] == (ETHERTYPE_IPV6 >> 8) && frame[13] == (ETHERTYPE_IPV6 & 0xff);

	memset(&reply, 0, sizeof(reply));
	reply.data = (uint8_t *)frame;
	reply.buf = (uint8_t *)frame;
	reply.len = (uint32_t)len;
	reply.flags = PKT_F_LOCAL;
	reply.l3_ofs = sizeof(struct ether_header);
	reply.l4_ofs = sizeof(struct ether_header) + (v6 ? DNS_IP6_HLEN : sizeof(struct iphdr));
	reply.eth_type = v6 ? ETHERTYPE_IPV6 : ETHERTYPE_IP;
	reply.ip_proto = proto;
	egress_output(port, &reply);
}

/**
 * dns_build_ip() - Write Ethernet and IP headers of a reply, either family
 * @frame:	where the frame starts (2 bytes past 4-byte alignment)
 * @dmac:	the client's MAC
 * @smac:	the gateway's MAC
 * @h:		addresses (their family picks IPv4 or IPv6), protocol, IPv4 ID/DF
 * @l4len:	L4 header and payload
 *
 * Return: where the L4 header goes.
 */
uint8_t *dns_build_ip(uint8_t *frame, const uint8_t dmac[6], const uint8_t smac[6],
		      const struct dns_ip *h, uint16_t l4len)
{
	if (vs_addr_is_v4(h->src)) {
		struct pkt_ip4 h4 = { .src = vs_addr_get_v4(h->src), .dst = vs_addr_get_v4(h->dst),
				      .proto = h->proto, .id = h->id, .df = h->df };

		return pkt_build_ip4(pkt_build_eth(frame, dmac, smac, ETHERTYPE_IP), &h4, l4len);
	} else {
		struct pkt_ip6 h6 = { .nh = h->proto };

		memcpy(h6.src, h->src->b, 16);
		memcpy(h6.dst, h->dst->b, 16);
		return pkt_build_ip6(pkt_build_eth(frame, dmac, smac, ETHERTYPE_IPV6), &h6, l4len);
	}
}

/* Set the TCP/UDP checksum at L4 for the header dns_build_ip() wrote. */
void dns_build_l4_csum(uint8_t *l4, const struct dns_ip *h, uint16_t l4len)
{
	if (vs_addr_is_v4(h->src)) {
		struct pkt_ip4 h4 = { .src = vs_addr_get_v4(h->src), .dst = vs_addr_get_v4(h->dst),
				      .proto = h->proto };

		pkt_build_l4_csum(l4, &h4, l4len);
	} else {
		struct pkt_ip6 h6 = { .nh = h->proto };

		memcpy(h6.src, h->src->b, 16);
		memcpy(h6.dst, h->dst->b, 16);
		pkt_build_l4_csum6(l4, &h6, l4len);
	}
}

/* Build Ethernet + IP + UDP around MSG for WHO on N into DNS_FRAME(dns). */
static size_t dns_udp_frame(struct dns *dns, const struct network *n, const struct dns_client_ref *who,
			    const uint8_t *msg, size_t len)
{
	struct dns_ip h = { .src = &who->sip, .dst = &who->cip, .proto = IPPROTO_UDP,
			    .id = dns->ip_id++ };
	uint16_t ulen = (uint16_t)(sizeof(struct udphdr) + len);
	uint8_t *udp, *payload;

	udp = dns_build_ip(DNS_FRAME(dns), who->cmac, n->gw_mac, &h, ulen);
	payload = pkt_build_udp(udp, ntohs(who->sport), ntohs(who->cport), ulen);
	memmove(payload, msg, len);
	dns_build_l4_csum(udp, &h, ulen);
	return (size_t)(payload + len - DNS_FRAME(dns));
}

/* The largest UDP answer one frame on N carries to a client of IP's family. */
static size_t dns_udp_limit(const struct network *n, const union vs_addr *ip)
{
	int mtu = n->mtu > 68 ? n->mtu : 1500;

	return (size_t)mtu - (vs_addr_is_v4(ip) ? sizeof(struct iphdr) : DNS_IP6_HLEN) -
	       sizeof(struct udphdr);
}

/**
 * dns_pkt_ip() - The addresses and L4 length of a query frame, either family
 * @p:		parsed frame; IPv6 only without extension headers (gateway.c
 *		checked, and set l4_ofs just past the fixed header)
 * @src:	out: the client's address
 * @dst:	out: the address it asked
 * @l4len:	out: L4 header and payload, as the IP header says
 *
 * Return: 0, or -1 if the IP header is not in the frame.
 */
int dns_pkt_ip(const struct pkt *p, union vs_addr *src, union vs_addr *dst, uint32_t *l4len)
{
	const uint8_t *l3 = pkt_header(p, p->l3_ofs, p->eth_type == ETHERTYPE_IPV6 ?
				       DNS_IP6_HLEN : sizeof(struct iphdr));
	struct iphdr ip;

	if (!l3)
		return -1;
	if (p->eth_type == ETHERTYPE_IPV6) {
		vs_addr_from_bytes(src, AF_INET6, l3 + 8);
		vs_addr_from_bytes(dst, AF_INET6, l3 + 24);
		*l4len = (uint32_t)(l3[4] << 8 | l3[5]);
		return 0;
	}
	memcpy(&ip, l3, sizeof(ip));   /* 2 bytes off alignment behind Ethernet */
	vs_addr_set_v4(src, ip.saddr);
	vs_addr_set_v4(dst, ip.daddr);
	*l4len = ntohs(ip.tot_len) < ip.ihl * 4 ? 0 : (uint32_t)ntohs(ip.tot_len) - ip.ihl * 4u;
	return 0;
}

/**
 * dns_deliver() - Send an upstream's answer (or our SERVFAIL) to WHO
 * @who:	the client, as it was when the query arrived
 * @msg:	the answer, its ID already the client's (modified if cut)
 * @len:	its length
 *
 * The endpoint is found again by network and address and must still be the
 * same container; otherwise the answer has nobody to go to.  The answer
 * is queued on the endpoint's port; its datapath flushes it before the
 * loop sleeps (port.c's prepare watcher), with every other frame that a
 * callback queued.
 */
void dns_deliver(struct dns *dns, const struct dns_client_ref *who, uint8_t *msg, size_t len)
{
	struct network *n;
	struct endpoint *ep;
	size_t limit;

	if (who->tcp) {
		dns_tcp_answer(dns, who->tcp_slot, who->tcp_gen, msg, len);
		return;
	}
	n = model_network_in(dns->model, who->net);
	ep = n ? dns_endpoint_by_addr(n, &who->cip) : NULL;
	if (!ep || !ep->port || strcmp(ep->ctr->name, who->ctr))
		return;
	limit = dns_udp_limit(n, &who->cip);
	if (len > limit)
		len = dns_wire_truncate(msg, len);
	dns_send_frame(ep->port, DNS_FRAME(dns), dns_udp_frame(dns, n, who, msg, len),
		       IPPROTO_UDP);
}

/* Fill WHO from a parsed UDP/TCP query frame P from SRC on N, sent from
 * CIP to SIP. */
static void dns_client_ref_fill(struct dns_client_ref *who, struct network *n,
				struct endpoint *src, const struct pkt *p,
				const union vs_addr *cip, const union vs_addr *sip,
				uint16_t sport, uint16_t dport)
{
	const struct ether_header *eth = (const struct ether_header *)p->data;

	memset(who, 0, sizeof(*who));
	snprintf(who->net, sizeof(who->net), "%s", n->name);
	if (src && src->ctr)
		snprintf(who->ctr, sizeof(who->ctr), "%s", src->ctr->name);
	if (src)
		who->owner = src->ip;   /* limits follow the port, not the claim */
	who->cip = *cip;
	who->sip = *sip;
	who->cport = sport;
	who->sport = dport;
	memcpy(who->cmac, eth->ether_shost, 6);
}

/* Count a dropped query on the port it came from, for WHY. */
static void dns_drop(struct pkt *p, enum drop_reason why)
{
	if (p->in_port)
		port_drop(p->in_port, p, why);
}

/* Where a reply to a frame from SRC goes: its endpoint's port. */
static struct port *dns_reply_port(struct endpoint *src, const struct pkt *p)
{
	return src && src->port ? src->port : p->in_port;
}

/* vsctl trace: say what a query would meet, and change nothing - no
 * token spent, no counter moved, nothing forwarded (the bucket is only
 * looked at: dns_client_allow(..., false)). */
static bool dns_udp_trace(struct dns *dns, struct network *n, struct dns_client *c,
			  struct pkt *p)
{
	const char *kind = n->dns_intercept ? "intercepting" : "gateway";

	if (!dns_client_allow(dns, c, false)) {
		dns_drop(p, DROP_DNS_FLOOD);
		return true;
	}
	if (c->held[DNS_SHARE_FWD] >= DNS_MAX_INFLIGHT)
		trace_event(p, "dns", TRACE_LOCAL, p->in_port,
			    "query to %s resolver: answered if the name is local, else "
			    "dropped (the client has %u queries in flight)", kind,
			    c->held[DNS_SHARE_FWD]);
	else
		trace_event(p, "dns", TRACE_LOCAL, p->in_port,
			    "query to %s resolver: answered locally or forwarded", kind);
	return true;
}

static bool dns_udp_input(struct dns *dns, struct network *n, struct endpoint *src, struct pkt *p)
{
	static uint8_t out[65536];
	const uint8_t *udph = pkt_header(p, p->l4_ofs, sizeof(struct udphdr));
	struct dns_client_ref who;
	struct dns_client *c;
	union vs_addr cip, sip;
	struct udphdr udp;
	uint32_t l4len;
	uint16_t ulen;
	size_t out_len = 0;
	int r;

	if (!udph || dns_pkt_ip(p, &cip, &sip, &l4len) < 0)
		return false;
	/* A copy: headers sit 2 bytes off alignment behind Ethernet. */
	memcpy(&udp, udph, sizeof(udp));
	if (udp.dest != htons(53))
		return false;
	ulen = ntohs(udp.len);
	if (p->is_frag || ulen < sizeof(udp) || ulen > l4len || !pkt_header(p, p->l4_ofs, ulen)) {
		if (!(p->flags & PKT_F_DRYRUN))
			dns->stats.dropped_bad++;
		dns_drop(p, DROP_DNS_BAD);    /* a trace records it instead */
		return true;
	}
	dns_client_ref_fill(&who, n, src, p, &cip, &sip, udp.source, udp.dest);
	c = dns_client_of(dns, n->name, &who.owner);
	if (p->flags & PKT_F_DRYRUN)
		return dns_udp_trace(dns, n, c, p);
	dns->stats.queries++;
	if (!dns_client_allow(dns, c, true)) {
		dns->stats.dropped_flood++;
		dns_drop(p, DROP_DNS_FLOOD);
		return true;
	}
	r = dns_answer_message(dns, n, &who, udph + sizeof(udp), ulen - sizeof(udp),
			       dns_udp_limit(n, &cip), out, &out_len);
	if (r < 0)
		dns_drop(p, r == DNS_ANSWER_FAIR ? DROP_DNS_FLOOD : DROP_DNS_BAD);
	else if (r > 0 && dns_reply_port(src, p))
		dns_send_frame(dns_reply_port(src, p), DNS_FRAME(dns),
			       dns_udp_frame(dns, n, &who, out, out_len), IPPROTO_UDP);
	return true;
}

/**
 * dns_input() - The resolver's entry from gateway.c
 * @n:		network the frame arrived on
 * @src:	the sending endpoint (NULL if unknown)
 * @p:		parsed frame, UDP or TCP to port 53
 *
 * Return: true if consumed (answered, forwarded, or dropped and counted).
 */
bool dns_input(struct network *n, struct endpoint *src, struct pkt *p)
{
	struct dns *dns;

	if (!n || (!n->dns && !n->dns_intercept) ||
	    (p->eth_type != ETHERTYPE_IP && (p->eth_type != ETHERTYPE_IPV6 || !n->ipv6)))
		return false;
	dns = n->dp ? n->dp->dns : NULL;
	if (!dns)
		return false;      /* a datapath without a resolver */
	if (p->ip_proto == IPPROTO_UDP)
		return dns_udp_input(dns, n, src, p);
	if (p->ip_proto == IPPROTO_TCP)
		return dns_tcp_input(dns, n, src, p);
	return false;
}

/* Read the nameservers of vswitchd's own resolv.conf into LIST. */
static int dns_host_upstreams(char list[][64], int max)
{
	FILE *f = fopen("/etc/resolv.conf", "r");
	char line[256], addr[64];
	int n = 0;

	if (!f)
		return 0;
	while (n < max && fgets(line, sizeof(line), f))
		if (sscanf(line, " nameserver %63s", addr) == 1)
			snprintf(list[n++], 64, "%s", addr);
	fclose(f);
	return n;
}

/**
 * dns_new() - Start a resolver (one per datapath: dp->dns)
 * @loop:	the daemon's event loop
 * @model:	whose networks and containers it answers for
 * @upstreams:	--dns-upstream values (IP[:PORT]); none: /etc/resolv.conf's
 * @n_upstreams: their count
 * @err:	one-line error on failure
 * @errlen:	its size
 *
 * Return: the resolver, or NULL with ERR (a malformed upstream, no
 * sockets, no memory).
 */
struct dns *dns_new(struct ev_loop *loop, struct model *model,
		    const char *const *upstreams, int n_upstreams, char *err, size_t errlen)
{
	char host[DNS_FWD_MAX_UPSTREAMS][64];
	const char *ptrs[DNS_FWD_MAX_UPSTREAMS];
	struct dns *dns = calloc(1, sizeof(*dns));
	int i;

	if (errlen)
		err[0] = '\0';
	if (!dns) {
		snprintf(err, errlen, "dns: out of memory");
		return NULL;
	}
	dns->loop = loop;
	dns->model = model;
	if (n_upstreams <= 0) {
		n_upstreams = dns_host_upstreams(host, DNS_FWD_MAX_UPSTREAMS);
		for (i = 0; i < n_upstreams; i++)
			ptrs[i] = host[i];
		upstreams = ptrs;
	}
	dns_resolvconf_init("/etc/resolv.conf");
	if (dns_forward_init(dns, loop, upstreams, n_upstreams, err, errlen) < 0 ||
	    dns_tcp_init(dns, loop) < 0) {
		if (!err[0])
			snprintf(err, errlen, "dns: out of memory");
		dns_free(dns);
		return NULL;
	}
	return dns;
}

/* dns_fini() - Stop forwarding and serving, forget every name; DNS is
 * left zeroed, ready for another start (unit tests reuse one). */
void dns_fini(struct dns *dns)
{
	struct dns_name *e, *etmp;
	struct dns_client *c, *ctmp;

	dns_tcp_fini(dns);
	dns_forward_fini(dns);
	HASH_ITER(hh, dns->names, e, etmp) {
		HASH_DEL(dns->names, e);
		free(e);
	}
	HASH_ITER(hh, dns->clients, c, ctmp) {
		HASH_DEL(dns->clients, c);
		free(c);
	}
	free(dns->fwd);
	free(dns->tcp);
	memset(dns, 0, sizeof(*dns));
}

/* dns_free() - dns_fini(), then release the resolver dns_new() made. */
void dns_free(struct dns *dns)
{
	if (!dns)
		return;
	dns_fini(dns);
	free(dns);
}
