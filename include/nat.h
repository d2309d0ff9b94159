/* nat.h - SNAT, DNAT (published ports), hairpin, ICMP errors, fragments.
 *
 * nat_process() is the whole NAT datapath for one IPv4 packet: it finds or
 * creates the packet's conntrack entry, rewrites addresses and ports (with
 * incremental checksums), and says in which zone the packet must leave:
 * CT_ZONE_OUTSIDE (the uplink) or a network's zone.  uplink.c calls it for
 * packets from the uplink and from the networks' gateways.
 *
 * Zones: each network gets a small number, stable for the life of the
 * process and bound to its name, which keys its conntrack tuples; zone 0
 * is the outside.
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
	uint32_t ip;             /* internal address, network order */
	uint16_t port;           /* internal port (or ICMP id), network order */
	uint8_t proto;
	uint8_t bysource;        /* listed in the bysource table */
	uint32_t refs;           /* conntrack entries using it */
	struct nat_mapping *hnext;
};

/* A published range: host ports [host_port, host_port+count) of PROTO go
 * to the container's first non-internal endpoint, ports [cport, ...). */
struct nat_rule {
	uint8_t proto;
	uint32_t host_ip;        /* 0 = any; 127.0.0.1 = proxy only */
	uint16_t host_port, cport, count;   /* host order */
	char ctr[VS_CKEY_MAX];   /* target container; "" = fixed target */
	uint32_t fixed_zone, fixed_ip;      /* unit tests, ctr == "" */
};

/* What a connection's first packet gets (nat_plan()): decided without
 * changing anything, committed by nat_new_conn(), shown by vsctl trace. */
enum nat_plan_kind { NAT_PLAN_SNAT, NAT_PLAN_DNAT, NAT_PLAN_HAIRPIN };

struct nat_plan {
	enum nat_plan_kind kind;
	enum drop_reason why;            /* DROP_NONE, or the refusal */
	const struct nat_rule *rule;     /* DNAT, hairpin: the published port */
	uint32_t tzone, tip;             /* its target (ip network order) */
	uint16_t tport;                  /* its target port (network order) */
	uint16_t ext;                    /* SNAT: external port (network order) */
	bool ext_shared;                 /* the source's shared mapping, else private */
	struct ct_key reply;             /* the entry's reply tuple */
	uint32_t zone;                   /* the zone the entry lives in */
};

struct nat_stats {
	uint64_t snat_new, dnat_new, hairpin_new, no_port, icmp_err_xlated;
	uint64_t frag_xlated, frag_unknown;
};

#define NAT_N_PROTO 3
#define NAT_BYSRC_BUCKETS 65536
#define NAT_FRAG_SLOTS 1024

struct nat_zone {
	char name[VS_NAME_MAX];
	UT_hash_handle hh;
};

/* nat_frag.c: what the first fragment of a datagram was rewritten to. */
struct nat_frag_slot {
	uint32_t zone, src, dst;
	uint16_t id;
	uint8_t proto, used;
	uint32_t new_src, new_dst, out_zone;
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
	uint32_t uplink_ip;
	uint32_t host_ip;        /* the proxy's way in (uplink.c host leg) */
	uint64_t basis;          /* hash_basis(), taken at nat_init() */
	struct nat_mapping maps[NAT_N_PROTO][65536];     /* by external port */
	struct nat_mapping *bysrc[NAT_BYSRC_BUCKETS];
	struct nat_zone zones[NAT_MAX_ZONES];
	struct nat_zone *zone_by_name;
	uint32_t n_zones;
	struct nat_stats stats;
	struct nat_frag_slot frag[NAT_FRAG_SLOTS];
	uint64_t frag_basis;     /* hash_basis(), taken at nat_frag_init() */
};
#define NAT_RESET_OFS offsetof(struct nat, ct)

/* nat.c */
int nat_init(struct nat *nat, struct conntrack *ct);
void nat_fini(struct nat *nat);
void nat_set_uplink_ip(struct nat *nat, uint32_t ip);
void nat_set_host_ip(struct nat *nat, uint32_t ip);
uint32_t nat_uplink_ip(struct nat *nat);
uint32_t nat_zone_of(struct nat *nat, const struct network *n);
const char *nat_zone_name(struct nat *nat, uint32_t zone);
struct network *nat_zone_network(struct nat *nat, uint32_t zone);
enum drop_reason nat_process(struct nat *nat, struct pkt *p, uint32_t zone, uint32_t *out_zone);
/* Before nat_process() on a burst: warm conntrack for its packets. */
void nat_prefetch(struct nat *nat, struct pkt *const *pkts, unsigned int n, uint32_t zone);
enum drop_reason nat_plan(struct nat *nat, const struct ct_key *k, const void *l4,
			  uint32_t l4len, struct nat_plan *plan);
int nat_rule_add(struct nat *nat, const struct nat_rule *r, char *err, size_t errlen);
int nat_rule_del(struct nat *nat, uint8_t proto, uint16_t host_port);
const struct nat_rule *nat_rule_find(struct nat *nat, uint8_t proto, uint16_t host_port);
bool nat_port_published(struct nat *nat, uint8_t proto, uint16_t port);
bool nat_port_in_snat_use(struct nat *nat, uint8_t proto, uint16_t port);
unsigned int nat_flush_port(struct nat *nat, uint8_t proto, uint16_t port);
void nat_endpoint_gone(struct nat *nat, struct endpoint *ep);
const struct nat_stats *nat_get_stats(struct nat *nat);
void nat_key_from_ip4(struct ct_key *k, uint32_t zone, uint8_t proto,
		      uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport);
uint32_t nat_key_ip4(const uint8_t a[16]);
void nat_rewrite(struct pkt *p, const struct ct_key *t);
struct nat_mapping *nat_mapping_get(struct nat *nat, uint32_t zone, uint8_t proto, uint32_t ip,
				    uint16_t port, bool bysource,
				    uint16_t *ext_port);
struct nat_mapping *nat_mapping_reserve(struct nat *nat, uint32_t zone, uint8_t proto, uint32_t ip,
					uint16_t port, uint16_t ext_port, bool bysource);
void nat_mapping_put(struct nat *nat, struct nat_mapping *m);

/* nat_icmp.c */
enum drop_reason nat_icmp_error(struct nat *nat, struct pkt *p, uint32_t zone, uint32_t *out_zone);

/* nat_frag.c */
void nat_frag_init(struct nat *nat);
void nat_frag_record(struct nat *nat, uint32_t zone, uint8_t proto, uint32_t old_src,
		 uint32_t old_dst, uint16_t ip_id, uint32_t new_src,
		 uint32_t new_dst, uint32_t out_zone);
enum drop_reason nat_frag_translate(struct nat *nat, struct pkt *p, uint32_t zone, uint32_t *out_zone);

#endif
