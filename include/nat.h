/* nat.h - SNAT, DNAT (published ports), hairpin, ICMP errors, fragments.
 *
 * nat_process() is the whole NAT datapath for one IPv4 or IPv6 packet
 * (NAT66 for IPv6: the same tuples, 16-byte addresses, no IP checksum): it finds or
 * creates the packet's conntrack entry, rewrites addresses and ports (with
 * incremental checksums), and says in which zone the packet must leave:
 * CT_ZONE_OUTSIDE (the uplink) or a network's zone.  uplink.c calls it for
 * packets from the uplink and from the networks' gateways.
 *
 * Zones: each network gets a small number, bound to its name while the
 * network exists (freed, its entries flushed, when it is removed), which
 * keys its conntrack tuples; zone 0 is the outside.
 *
 * External addresses: every uplink's address is one (nat_ext_add()), with
 * a port space of its own per protocol; SNAT takes its port from the
 * address of the uplink the route chose, DNAT answers on any of them.
 */
#ifndef VS_NAT_H
#define VS_NAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uthash.h>
#include "ct.h"
#include "drop.h"
#include "model.h"
#include "pkt.h"

#define NAT_MAX_ZONES 4096
#define NAT_PORT_MIN 1024
#define NAT_PORT_MAX 65535
#define NAT_EPHEMERAL_MIN 32768     /* omitted host ports, as Docker */
#define NAT_EPHEMERAL_MAX 60999

/* A port mapping (endpoint-independent, RFC 4787 REQ-1): one internal
 * (zone, ip, port, proto) to one external port, shared by every
 * connection from that source whatever its destination. */
struct nat_mapping {
	uint32_t zone;
	union vs_addr ip;        /* internal address */
	uint16_t port;           /* internal port (or ICMP id), network order */
	uint16_t ext_port;       /* its external port, host order */
	uint8_t proto;
	uint8_t bysource;        /* listed in the bysource table */
	uint8_t ext;             /* index of its external address */
	uint8_t pad;
	uint32_t refs;           /* conntrack entries using it */
	struct nat_mapping *hnext;
};

/* A published range: host ports [host_port, host_port+count) of PROTO go
 * to the container's first non-internal endpoint, ports [cport, ...). */
struct nat_rule {
	uint8_t proto;
	union vs_addr host_ip;   /* any (vs_addr_is_any); 127.0.0.1 = proxy only */
	uint16_t host_port, cport, count;   /* host order */
	char ctr[VS_CKEY_MAX];   /* target container; "" = fixed target */
	uint32_t fixed_zone;     /* unit tests, ctr == "": this zone ... */
	union vs_addr fixed_ip;  /* ... and address */
};

/* What a connection's first packet gets (nat_plan()): decided without
 * changing anything, committed by nat_new_conn(), shown by vsctl trace. */
enum nat_plan_kind { NAT_PLAN_SNAT, NAT_PLAN_DNAT, NAT_PLAN_HAIRPIN,
		     NAT_PLAN_ROUTED };   /* tracked, not translated (routed6) */

struct nat_plan {
	enum nat_plan_kind kind;
	enum drop_reason why;            /* DROP_NONE, or the refusal */
	const struct nat_rule *rule;     /* DNAT, hairpin: the published port */
	uint32_t tzone;                  /* its target's zone ... */
	union vs_addr tip;               /* ... and address, the packet's family */
	uint16_t tport;                  /* its target port (network order) */
	uint16_t ext;                    /* SNAT: external port (network order) */
	uint8_t ext_idx;                 /* SNAT: external address (nat->ext[]) */
	bool ext_shared;                 /* the source's shared mapping, else private */
	struct ct_key reply;             /* the entry's reply tuple */
	uint32_t zone;                   /* the zone the entry lives in */
};

struct nat_stats {
	uint64_t snat_new, dnat_new, hairpin_new, no_port, icmp_err_xlated;
	uint64_t frag_xlated, frag_unknown;
	uint64_t share_denied;       /* a source over its share of the ports */
	uint64_t zones_freed, zones_full;
};

#define NAT_N_PROTO 3
#define NAT_BYSRC_BUCKETS 65536
#define NAT_FRAG_SLOTS 1024
#define NAT_MAX_EXT 8                /* external addresses: IPv4 and IPv6 of DP_MAX_UPLINKS */
#define NAT_EXT_NONE 0xff
#define NAT_PORT_WORDS (65536 / 64)
#define NAT_SRC_MAX 65536            /* sources holding ports at once */
#define NAT_SRC_BUCKETS 65536

struct nat_zone {
	char name[VS_NAME_MAX];
	const struct network *net; /* whose n->nat_zone caches this one */
	uint32_t next_free;      /* free list of zone numbers (0: end) */
	UT_hash_handle hh;
};

/* One port space: one external address, one protocol.  "Is this port
 * free" is one bit; finding a free one from a start is a look at one
 * word, then at the summary of full words (16 words), never a walk over
 * 64 K ports (finding 7 of the audit: a scan per new flow once full). */
struct nat_pspace {
	struct nat_mapping maps[65536];       /* by external port */
	uint64_t used[NAT_PORT_WORDS];        /* mapped, published or below the range */
	uint64_t full[NAT_PORT_WORDS / 64];   /* used[w] is all ones */
	uint32_t n_free;
};

struct nat_ext {
	union vs_addr ip;                     /* IPv4 any: slot unused */
	struct nat_pspace ps[NAT_N_PROTO];
};

/* A source (network, internal address: one endpoint under port security)
 * that holds external ports, and how many on each space; freed with its
 * last port.  The per-source share is counted here. */
struct nat_src {
	union vs_addr ip;
	uint32_t zone;
	uint32_t next;                        /* chain or free list: index + 1 */
	uint32_t total;
	uint32_t held[NAT_MAX_EXT][NAT_N_PROTO];
};

/* nat_frag.c: what the first fragment of a datagram was rewritten to. */
struct nat_frag_slot {
	union vs_addr src, dst;  /* the datagram: addresses as it came ... */
	uint32_t zone, id;       /* ... its zone, IPv4 id or IPv6 identification */
	uint8_t proto, used;
	union vs_addr new_src, new_dst;
	uint32_t out_zone;
	uint64_t expires_ms;
};

/* One NAT instance, bound to one conntrack table (its entries hold the
 * port mappings), owned by the datapath context (dp.h).  Fields are
 * private to nat.c, nat_icmp.c and nat_frag.c; the type is public only so
 * that the owner can embed or allocate it. */
struct nat {
	/* Published ports (tcp, udp; by host port), kept by nat_init(). */
	const struct nat_rule *rules[2][65536];
	bool used;               /* initialised before: a second init clears */
	struct model *model;     /* whose networks the zones and rules name */
	/* From here on, nat_init() resets (NAT_RESET_OFS). */
	struct conntrack *ct;
	union vs_addr host_ip;   /* the proxy's way in (uplink.c host leg) */
	uint64_t basis;          /* hash_basis(), taken at nat_init() */
	uint32_t port_share;     /* most ports one source may hold per space; 0: no fixed cap */
	unsigned int n_ext;
	bool ext_any;            /* ext[0] is 0.0.0.0: no uplink address yet */
	struct nat_ext ext[NAT_MAX_EXT];
	struct nat_mapping *bysrc[NAT_BYSRC_BUCKETS];
	struct nat_src srcs[NAT_SRC_MAX];
	uint32_t src_bucket[NAT_SRC_BUCKETS];    /* index + 1 */
	uint32_t src_free, src_used;             /* free list (index + 1), bump */
	struct nat_zone zones[NAT_MAX_ZONES];
	struct nat_zone *zone_by_name;
	uint32_t n_zones, zone_free;             /* bump; free list (index) */
	struct nat_stats stats;
	struct nat_frag_slot frag[NAT_FRAG_SLOTS];
	uint64_t frag_basis;     /* hash_basis(), taken at nat_frag_init() */
};
#define NAT_RESET_OFS offsetof(struct nat, ct)

/* nat.c */
int nat_init(struct nat *nat, struct conntrack *ct);
void nat_fini(struct nat *nat);
int nat_ext_add(struct nat *nat, uint32_t ip);
int nat_ext_add_addr(struct nat *nat, const union vs_addr *ip);
int nat_ext_find(const struct nat *nat, const union vs_addr *ip);
void nat_set_host_ip(struct nat *nat, uint32_t ip);
void nat_set_port_share(struct nat *nat, uint32_t share);
uint32_t nat_zone_of(struct nat *nat, struct network *n);
void nat_zone_release(struct nat *nat, const char *name);
const char *nat_zone_name(struct nat *nat, uint32_t zone);
struct network *nat_zone_network(struct nat *nat, uint32_t zone);
enum drop_reason nat_process(struct nat *nat, struct pkt *p, uint32_t zone, uint32_t *out_zone);
enum drop_reason nat_process_via(struct nat *nat, struct pkt *p, uint32_t zone, int via,
				 uint32_t *out_zone);
/* Before nat_process() on a burst: warm conntrack for its packets. */
void nat_prefetch(struct nat *nat, struct pkt *const *pkts, unsigned int n, uint32_t zone);
enum drop_reason nat_plan(struct nat *nat, const struct ct_key *k, const void *l4,
			  uint32_t l4len, struct nat_plan *plan);
enum drop_reason nat_plan_via(struct nat *nat, const struct ct_key *k, int via, const void *l4,
			      uint32_t l4len, struct nat_plan *plan);
int nat_rule_add(struct nat *nat, const struct nat_rule *r, char *err, size_t errlen);
int nat_rule_del(struct nat *nat, uint8_t proto, uint16_t host_port);
const struct nat_rule *nat_rule_find(struct nat *nat, uint8_t proto, uint16_t host_port);
bool nat_port_published(struct nat *nat, uint8_t proto, uint16_t port);
bool nat_port_in_snat_use(struct nat *nat, uint8_t proto, uint16_t port);
unsigned int nat_flush_port(struct nat *nat, uint8_t proto, uint16_t port);
void nat_endpoint_gone(struct nat *nat, struct endpoint *ep);
const struct nat_stats *nat_get_stats(struct nat *nat);
void nat_key_make(struct ct_key *k, uint32_t zone, uint8_t proto, const union vs_addr *src,
		  const union vs_addr *dst, uint16_t sport, uint16_t dport);
void nat_key_from_ip4(struct ct_key *k, uint32_t zone, uint8_t proto,
		      uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport);
/* The IPv4 address of a tuple's address (nat.c builds IPv4 tuples only). */
static inline uint32_t nat_key_ip4(const union vs_addr *a)
{
	return vs_addr_get_v4(a);
}
void nat_rewrite(struct pkt *p, const struct ct_key *t);
struct nat_mapping *nat_mapping_get(struct nat *nat, int ext, uint32_t zone, uint8_t proto,
				    const union vs_addr *ip, uint16_t port, bool bysource,
				    uint16_t *ext_port);
struct nat_mapping *nat_mapping_reserve(struct nat *nat, int ext, uint32_t zone, uint8_t proto,
					const union vs_addr *ip, uint16_t port,
					uint16_t ext_port, bool bysource);
void nat_mapping_put(struct nat *nat, struct nat_mapping *m);

/* nat_icmp.c */
enum drop_reason nat_icmp_error(struct nat *nat, struct pkt *p, uint32_t zone, uint32_t *out_zone);
enum drop_reason nat_icmp6_error(struct nat *nat, struct pkt *p, uint32_t zone, uint32_t *out_zone);

/* nat_frag.c */
void nat_frag_init(struct nat *nat);
void nat_frag_record(struct nat *nat, uint32_t zone, uint8_t proto, uint32_t old_src,
		 uint32_t old_dst, uint16_t ip_id, uint32_t new_src,
		 uint32_t new_dst, uint32_t out_zone);
void nat_frag_record6(struct nat *nat, const struct pkt *p, uint32_t zone, const struct ct_key *t);
enum drop_reason nat_frag_translate(struct nat *nat, struct pkt *p, uint32_t zone, uint32_t *out_zone);

#endif
