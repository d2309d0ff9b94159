/* dns_internal.h - what the files of the DNS area share, and nobody else.
 *
 * Inside, five files share this header:
 *   dns_wire.c       strict, bounded DNS message parser and builder
 *   dns.c            name index, local answers, rate limits, reply frames
 *   dns_forward.c    upstream UDP/TCP forwarding from vswitchd's namespace
 *   dns_tcp.c        minimal TCP server at gatewayIP:53 inside the datapath
 *   dns_resolvconf.c /etc/netns/NAME/resolv.conf
 *
 * The resolver is one struct dns, passed to every call: dns.c's own state
 * in it, the forwarder's (struct dns_fwd) and the TCP server's (struct
 * dns_tcp) behind pointers private to their files.  Unit tests and fuzz
 * targets include this header to drive the parts one by one.
 */
#ifndef VS_DNS_INTERNAL_H
#define VS_DNS_INTERNAL_H

#include <sys/queue.h>
#include "dns.h"

struct dns_name;
struct dns_fwd;
struct dns_tcp;
struct dns_pending;

/* ---- fair shares (dns.c) ----
 *
 * Limits are kept per client, and a client is an endpoint: the bucket is
 * found through the port a query came in on (its endpoint's network and
 * own address), never through the source address the packet claims, so a
 * container without port security cannot make itself many clients (audit
 * finding 20).  Sources without an endpoint share one client, dns->anon.
 *
 * Two pools are shared fairly: the forwarder's slots and the TCP
 * responder's connections.  Each client sits on the level of a share that
 * equals what it holds (a list per level, the top level tracked), so the
 * client holding the most is found in O(1); when a pool is full, a client
 * holding at least two fewer than that one takes a slot from it (OVS's MAC
 * table evicts from the port with the most entries the same way). */
enum dns_share_kind { DNS_SHARE_FWD, DNS_SHARE_TCP, DNS_SHARES };
#define DNS_MAX_INFLIGHT 64        /* forwarded queries per client */
#define DNS_SHARE_LEVELS (DNS_MAX_INFLIGHT + 1)

struct dns_client_key {
	char net[VS_NAME_MAX];     /* zero-padded: hashed as bytes */
	union vs_addr ip;          /* the endpoint's own address */
};
_Static_assert(sizeof(struct dns_client_key) == VS_NAME_MAX + 16,
	       "dns_client_key is hashed as bytes: no padding");

TAILQ_HEAD(dns_pending_q, dns_pending);

struct dns_client {
	UT_hash_handle hh;
	struct dns_client_key key;
	uint64_t tokens;           /* in 1/1000 of a query */
	uint64_t last_ms;
	unsigned int held[DNS_SHARES];               /* slots, connections */
	LIST_ENTRY(dns_client) lvl_link[DNS_SHARES]; /* on level held[s] */
	struct dns_pending_q pending;                /* its forwards, oldest first */
};

struct dns_share {
	LIST_HEAD(, dns_client) lvl[DNS_SHARE_LEVELS];  /* 0 unused */
	unsigned int top;          /* highest non-empty level */
};

struct dns {
	struct ev_loop *loop;
	struct model *model;         /* whose networks and containers answer */
	struct dns_name *names;      /* by (network, name) */
	struct dns_client *clients;  /* by (network, endpoint address) */
	unsigned int n_clients;
	struct dns_client anon;      /* sources without an endpoint */
	struct dns_share share[DNS_SHARES];
	struct dns_stats stats;
	uint64_t test_ms;            /* unit tests: a fixed clock, if set */
	uint16_t ip_id;
	/* The frame starts 2 bytes in, so that its IP header is 4-byte aligned. */
	uint8_t frame_buf[2 + 14 + 20 + 8 + 65536] __attribute__((aligned(8)));
	struct dns_fwd *fwd;         /* dns_forward.c */
	struct dns_tcp *tcp;         /* dns_tcp.c */
};
#define DNS_FRAME(d) ((d)->frame_buf + 2)

/* dns.c: stop, forget, and leave DNS zeroed for another start. */
void dns_fini(struct dns *dns);
/* dns_forward.c: upstream sockets from FN(family, type) instead of socket()
 * in our namespace (rootless: the host's, through the uplink supervisor). */
typedef int dns_socket_fn(int family, int type);
void dns_forward_set_socket_fn(dns_socket_fn *fn);

/* ---- dns_wire.c ---- */

#define DNS_HDR_LEN 12
#define DNS_NAME_WIRE_MAX 255      /* RFC 1035 2.3.4, wire form */
#define DNS_LABEL_MAX 63
#define DNS_TTL 600

enum dns_rcode {
	DNS_RC_NOERROR = 0, DNS_RC_FORMERR = 1, DNS_RC_SERVFAIL = 2,
	DNS_RC_NXDOMAIN = 3, DNS_RC_NOTIMP = 4, DNS_RC_REFUSED = 5,
	DNS_RC_BADVERS = 16,
};

enum dns_type {
	DNS_T_A = 1, DNS_T_PTR = 12, DNS_T_AAAA = 28, DNS_T_OPT = 41,
	DNS_T_ANY = 255,
};
#define DNS_CLASS_IN 1
#define DNS_CLASS_ANY 255

/* Header flag bits (host order of the 16-bit flags word). */
#define DNS_F_QR 0x8000
#define DNS_F_OPCODE(f) (((f) >> 11) & 0xf)
#define DNS_F_AA 0x0400
#define DNS_F_TC 0x0200
#define DNS_F_RD 0x0100
#define DNS_F_RA 0x0080
#define DNS_F_RCODE(f) ((f) & 0xf)

/* What dns_wire_parse_query() returns besides an rcode. */
#define DNS_PARSE_OK 0
#define DNS_PARSE_DROP (-1)        /* no reply possible or wise: drop, count */

struct dns_query {
	uint16_t id, flags;
	uint16_t qdcount, ancount, nscount, arcount;
	/* The question, when parsed (q_end != 0). */
	uint16_t qtype, qclass;
	uint16_t q_end;             /* offset just past the question */
	/* Name as lowercase text without the final dot ("" for the root);
	 * name_plain is false when a label holds a byte that would make the
	 * text ambiguous ('.', '\\', non-printable): never a local name. */
	char name[DNS_NAME_WIRE_MAX + 1];
	bool name_plain;
	/* EDNS(0), RFC 6891 */
	bool edns;
	uint8_t edns_version;
	uint16_t edns_size;
	bool edns_do;
};

int dns_wire_parse_query(const uint8_t *msg, size_t len, struct dns_query *q);
int dns_wire_name(const uint8_t *msg, size_t len, size_t off, uint8_t *wire,
		  size_t *wire_len, size_t *next);
int dns_wire_name_text(const uint8_t *wire, size_t wire_len, char *out,
		       size_t outlen, bool *plain);
int dns_wire_name_from_text(const char *text, uint8_t *wire, size_t cap);
bool dns_wire_same_question(const uint8_t *a, size_t alen,
			    const uint8_t *b, size_t blen);

/* A reply under construction in a caller's buffer. */
struct dns_msg {
	uint8_t *buf;
	size_t cap, len;
	uint16_t ancount;
	bool full;                  /* an RR did not fit: set TC */
};

size_t dns_wire_reply_start(struct dns_msg *m, const uint8_t *query,
			    const struct dns_query *q, int rcode, bool aa);
int dns_wire_add_rr(struct dns_msg *m, const uint8_t *owner, size_t owner_len,
		    uint16_t type, uint32_t ttl, const void *rdata, size_t rdlen);
int dns_wire_add_opt(struct dns_msg *m, uint16_t udp_size, uint8_t ext_rcode);
void dns_wire_finish(struct dns_msg *m, int rcode);
size_t dns_wire_truncate(uint8_t *msg, size_t len);

/* ---- dns.c: shared by the files of this area ---- */

/* Who asked, by value: an endpoint may vanish while its query is away
 * upstream, so answers find the client again by names, never by pointer. */
struct dns_client_ref {
	char net[VS_NAME_MAX];
	char ctr[VS_CKEY_MAX];
	union vs_addr cip, sip;     /* client / server (queried) address */
	uint16_t cport, sport;      /* net order */
	uint8_t cmac[6];
	bool tcp;
	uint32_t tcp_slot, tcp_gen; /* dns_tcp.c connection */
	/* The client whose limits it counts against (dns_client_key.ip: the
	 * endpoint's own address; unspecified for dns->anon). */
	union vs_addr owner;
};

uint64_t dns_now_ms(struct dns *dns);
void dns_set_test_clock(struct dns *dns, uint64_t ms);
struct dns_stats *dns_stats_mut(struct dns *dns);
int dns_resolve_local(struct dns *dns, struct network *n, const uint8_t *msg, size_t len,
		      const struct dns_query *q, uint8_t *out, size_t cap,
		      size_t *out_len);
#define DNS_ANSWER_FAIR (-2)   /* dns_answer_message: dropped, over its share */
int dns_answer_message(struct dns *dns, struct network *n, const struct dns_client_ref *who,
		       const uint8_t *msg, size_t len, size_t limit,
		       uint8_t *out, size_t *out_len);
void dns_deliver(struct dns *dns, const struct dns_client_ref *who, uint8_t *msg, size_t len);
struct dns_client *dns_client_of(struct dns *dns, const char *net, const union vs_addr *owner);
void dns_share_set(struct dns *dns, struct dns_client *c, enum dns_share_kind s,
		   unsigned int held);
struct dns_client *dns_share_hog(struct dns *dns, enum dns_share_kind s,
				 const struct dns_client *c);
void dns_rng(struct dns *dns, void *buf, size_t len);
struct endpoint *dns_endpoint_by_addr(const struct network *n, const union vs_addr *ip);

/* ---- dns_forward.c ---- */

#define DNS_FWD_TRY_MS 1000        /* per upstream attempt */
#define DNS_FWD_TOTAL_MS 5000      /* then SERVFAIL */
#define DNS_FWD_MAX_UPSTREAMS 8

int dns_forward_init(struct dns *dns, struct ev_loop *loop, const char *const *upstreams,
		     int n_upstreams, char *err, size_t errlen);
void dns_forward_fini(struct dns *dns);
int dns_forward_query(struct dns *dns, struct dns_client *c, const struct dns_client_ref *who,
		      const uint8_t *msg, size_t len);
void dns_forward_client_gone(struct dns *dns, struct dns_client *c);
int dns_forward_parse_upstream(const char *s, void *sa, unsigned int *salen,
			       char *err, size_t errlen);
unsigned int dns_forward_pending(struct dns *dns);

/* ---- dns_tcp.c ---- */

#define DNS_TCP_MAX_CONNS 256
#define DNS_TCP_MAX_PER_EP 8

int dns_tcp_init(struct dns *dns, struct ev_loop *loop);
void dns_tcp_fini(struct dns *dns);
bool dns_tcp_input(struct dns *dns, struct network *n, struct endpoint *src, struct pkt *p);
void dns_tcp_answer(struct dns *dns, uint32_t slot, uint32_t gen, const uint8_t *msg, size_t len);
unsigned int dns_tcp_conns(struct dns *dns);
void dns_tcp_tick(struct dns *dns);      /* the sweep timer's work, for test clocks */

/* ---- dns_resolvconf.c ---- */

int dns_resolvconf_init(const char *host_resolv);
int dns_resolvconf_write(const char *ns, const union vs_addr *nameserver,
			 const union vs_addr *nameserver2);
int dns_resolvconf_remove(const char *ns);
extern const char *dns_resolvconf_root;   /* "/etc/netns", tests change it */

/* Frame builders shared by dns.c and dns_tcp.c: a reply leaves in the
 * family of the query, from the address it was sent to. */
#define DNS_IP6_HLEN 40
struct port;
struct pkt;
struct dns_ip {
	const union vs_addr *src, *dst;  /* their family picks IPv4 or IPv6 */
	uint8_t proto;
	uint16_t id;                     /* IPv4 only */
	bool df;                         /* IPv4 only */
};
uint8_t *dns_build_ip(uint8_t *frame, const uint8_t dmac[6], const uint8_t smac[6],
		      const struct dns_ip *h, uint16_t l4len);
void dns_build_l4_csum(uint8_t *l4, const struct dns_ip *h, uint16_t l4len);
int dns_pkt_ip(const struct pkt *p, union vs_addr *src, union vs_addr *dst, uint32_t *l4len);
void dns_send_frame(struct port *port, const uint8_t *frame, size_t len,
		    uint8_t proto);
bool dns_client_allow(struct dns *dns, struct dns_client *c, bool take);
void dns_tcp_client_gone(struct dns *dns, const struct dns_client *c);

#endif
