/* ct.h - connection tracking: tuples, entries, the table, expiry.
 *
 * One entry describes one connection and carries both of its tuples: the
 * original direction (as the first packet looked) and the reply direction
 * (as the answer will look, after NAT).  Each tuple sits in its own hash
 * node inside the entry, so a packet in either direction is found with one
 * O(1) lookup (netfilter's tuplehash[IP_CT_DIR_MAX], OVS conn_key_node).
 *
 * A key holds the zone (the network the packet is seen in; 0 = the
 * outside, i.e. the uplink), the address family and its addresses as
 * union vs_addr (addr.h: IPv4 in its IPv4-mapped form), so that IPv6 fits
 * without a new key layout and a tuple compares as 44 bytes whatever its
 * family.  Keys are padding-free and
 * hashed with a key chosen at random at start-up, since the table is fed
 * by whoever can send us packets.
 *
 * Protocol state machines sit behind struct ct_l4_proto (ct_tcp.c,
 * ct_udp.c, ct_icmp.c), as OVS conntrack-tcp.c/-other.c do.
 */
#ifndef VS_CT_H
#define VS_CT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>
#include <ev.h>
#include "addr.h"
#include "drop.h"

enum ct_dir { CT_DIR_ORIG = 0, CT_DIR_REPLY = 1 };

#define CT_ZONE_OUTSIDE 0

/* A tuple.  Ports in network order; for ICMP echo sport = dport = id. */
struct ct_key {
	union vs_addr src;       /* IPv4: ::ffff:a.b.c.d (vs_addr_set_v4) */
	union vs_addr dst;
	uint16_t sport;
	uint16_t dport;
	uint32_t zone;
	uint8_t family;          /* AF_INET or AF_INET6 */
	uint8_t proto;           /* IPPROTO_TCP/UDP/ICMP/ICMPV6 */
	uint16_t pad;            /* always zero: the key is hashed as bytes */
};
_Static_assert(sizeof(struct ct_key) == 44, "ct_key must be padding-free");

struct ct_node {
	struct ct_key key;
	uint8_t dir;             /* enum ct_dir: which n[] this is */
	struct ct_node *next;    /* bucket chain */
};

/* Timeout classes: every entry in one class has the same timeout, so an
 * expiry list per class ordered by last use is also ordered by deadline. */
enum ct_tclass {
	CT_TC_TCP_SYN_SENT, CT_TC_TCP_SYN_RECV, CT_TC_TCP_ESTABLISHED,
	CT_TC_TCP_FIN_WAIT, CT_TC_TCP_CLOSE_WAIT, CT_TC_TCP_LAST_ACK,
	CT_TC_TCP_TIME_WAIT, CT_TC_TCP_CLOSE,
	CT_TC_UDP_UNREPLIED, CT_TC_UDP_ASSURED,
	CT_TC_ICMP,
	CT_TC_MAX
};

enum ct_flags {
	CT_F_SEEN_REPLY = 1 << 0,
	CT_F_ASSURED = 1 << 1,
	CT_F_SNAT = 1 << 2,      /* reply tuple's dst is the uplink IP */
	CT_F_DNAT = 1 << 3,      /* original dst was a published port */
};

struct nat_mapping;

struct ct_entry {
	struct ct_node n[2];     /* [CT_DIR_ORIG], [CT_DIR_REPLY] */
	TAILQ_ENTRY(ct_entry) exp_link; /* in ct's per-class expiry list */
	TAILQ_ENTRY(ct_entry) own_link; /* in its owner's list, oldest first */
	uint32_t owner;          /* struct ct_owner index + 1 */
	uint64_t last_ms;        /* last use; deadline = last_ms + timeout */
	struct nat_mapping *map; /* SNAT port mapping held, or NULL */
	uint32_t zone;           /* the network's zone, for listings */
	uint8_t proto;
	uint8_t state;           /* protocol state (ct_tcp.c's enum) */
	uint8_t tclass;          /* enum ct_tclass */
	uint8_t flags;           /* enum ct_flags */
	/* ct_tcp.c: per direction, what the RFC 5961 check of RST and FIN
	 * needs (all zero: not seen yet, as after a restore) */
	struct ct_tcp_dir {
		uint32_t end;        /* highest seq + len (+SYN/FIN) sent */
		uint32_t ack;        /* last acknowledgement sent (its RCV.NXT) */
		uint32_t maxwin;     /* largest window it advertised, scaled */
		uint8_t wscale;      /* its window scale (RFC 7323), 0xf: none */
		uint8_t seen;        /* CT_TCP_SEEN_* */
		uint16_t pad;
	} tcp[2];
};

/* One protocol's state machine (OVS struct ct_l4_proto). */
struct ct_l4_proto {
	uint8_t proto;
	/* May a packet with this L4 header open a connection? */
	bool (*valid_new)(const void *l4, uint32_t len);
	/* Initialise state for a new entry from its first packet. */
	void (*new_conn)(struct ct_entry *e, const void *l4, uint32_t len);
	/* Advance the state for a packet in DIR; DROP_NONE or a reason. */
	enum drop_reason (*conn_update)(struct ct_entry *e, enum ct_dir dir,
					const void *l4, uint32_t len);
	const char *(*state_name)(const struct ct_entry *e);
};

extern const struct ct_l4_proto ct_l4_tcp, ct_l4_udp, ct_l4_icmp, ct_l4_icmp6;

/* TCP states, after netfilter's enum tcp_conntrack. */
enum ct_tcp_state {
	CT_TCP_NONE, CT_TCP_SYN_SENT, CT_TCP_SYN_RECV, CT_TCP_ESTABLISHED,
	CT_TCP_FIN_WAIT, CT_TCP_CLOSE_WAIT, CT_TCP_LAST_ACK, CT_TCP_TIME_WAIT,
	CT_TCP_CLOSE, CT_TCP_SYN_SENT2, CT_TCP_MAX
};

struct ct_stats {
	uint64_t entries, limit, inserted, expired, evicted, full_drops;
	uint64_t evicted_fair;       /* of them, from an owner over its share */
	uint64_t owners;             /* sources holding entries now */
	uint64_t invalid, lookups, found;
	uint64_t restored;           /* entries taken from the snapshot */
};

TAILQ_HEAD(ct_list, ct_entry);

/* Who holds entries: the original direction's (zone, source address),
 * i.e. one container endpoint, or one outside client of a published
 * port.  Owners sit in lists by the number of entries they hold, so the
 * biggest is found in O(1) when the table is full (fair eviction, as OVS's
 * MAC table evicts from the port with the most entries). */
struct ct_owner {
	union vs_addr ip;
	uint32_t zone;
	uint32_t n;                  /* entries held */
	uint32_t hnext;              /* hash chain / free list: index + 1 */
	uint32_t cprev, cnext;       /* in by_count[n]: index + 1 */
	uint32_t pad;
	struct ct_list unassured;    /* its entries, oldest first */
	struct ct_list assured;
};

/* One connection tracking table (OVS struct conntrack): an instance, owned
 * by the datapath context (dp.h) and passed to every call, so that a
 * second table (another datapath, a test harness) is one more variable.
 * Fields are private to ct.c; the type is public only so that its owner
 * can embed it. */
struct conntrack {
	struct ev_loop *loop;
	ev_timer timer;
	uint64_t basis;              /* hash_basis(), taken at ct_init() */
	struct ct_node **buckets;
	uint32_t mask;
	uint32_t limit;
	struct ct_entry *free;       /* freelist through n[0].next */
	struct ct_chunk { struct ct_entry *e; size_t bytes; } *chunks;
	uint32_t n_chunks, max_chunks;
	bool huge;                   /* CT_HUGE_AT reached: 2 MB pages */
	struct ct_list exp[CT_TC_MAX];
	uint32_t timeout_s[CT_TC_MAX];
	struct ct_stats stats;
	/* Owners (fair eviction): a pool as big as the largest limit set
	 * (each entry at most one owner), a hash of them, and the heads of
	 * the lists by count (by_count[c]: owners holding c entries). */
	struct ct_owner *owners;
	uint32_t *owner_bucket, *by_count;
	uint32_t owner_cap, owner_used, owner_free, owner_mask, max_count;
	uint64_t test_clock;
	bool use_test_clock;
	/* Before an entry is freed (nat.c releases its port mapping). */
	void (*free_hook)(void *arg, struct ct_entry *e);
	void *free_arg;
	/* When the table changes (ct_snapshot.c schedules a write):
	 * STRUCTURAL for an entry added, removed, or with a new state or
	 * flags; false when a packet only refreshed an entry. */
	void (*change_hook)(void *arg, bool structural);
	void *change_arg;
};

/* ct.c */
#define CT_DEFAULT_LIMIT 262144
int ct_init(struct conntrack *ct, struct ev_loop *loop, uint32_t limit);
void ct_fini(struct conntrack *ct);
int ct_set_limit(struct conntrack *ct, uint32_t limit);
int ct_set_timeout(struct conntrack *ct, enum ct_tclass tc, uint32_t seconds);
uint32_t ct_get_timeout(struct conntrack *ct, enum ct_tclass tc);
const struct ct_l4_proto *ct_l4(uint8_t proto);
void ct_key_invert(const struct ct_key *in, struct ct_key *out);
uint32_t ct_key_hash(struct conntrack *ct, const struct ct_key *k);
struct ct_entry *ct_lookup(struct conntrack *ct, const struct ct_key *k, enum ct_dir *dir);
/* Before a burst's lookups: bring their buckets and first nodes into the
 * cache, N at a time, so that the misses overlap instead of queueing. */
#define CT_PREFETCH_MAX 32
void ct_prefetch(struct conntrack *ct, const struct ct_key *keys, unsigned int n);
bool ct_prefetch_useful(struct conntrack *ct);    /* false below 16K entries: skip the work */
struct ct_entry *ct_insert(struct conntrack *ct, const struct ct_key *orig, const struct ct_key *reply,
			   uint32_t zone, const void *l4, uint32_t l4len,
			   enum drop_reason *why);
struct ct_entry *ct_restore(struct conntrack *ct, const struct ct_entry *tmpl, uint64_t remaining_ms);
int ct_restore_finish(struct conntrack *ct);
enum drop_reason ct_update(struct conntrack *ct, struct ct_entry *e, enum ct_dir dir,
			   const void *l4, uint32_t l4len);
void ct_set_class(struct conntrack *ct, struct ct_entry *e, enum ct_tclass tc);
void ct_remove(struct conntrack *ct, struct ct_entry *e);
unsigned int ct_flush(struct conntrack *ct, bool (*match)(const struct ct_entry *, void *), void *arg);
void ct_foreach(struct conntrack *ct, void (*fn)(struct ct_entry *, void *), void *arg);
bool ct_walk(struct conntrack *ct, uint64_t *cursor, uint32_t budget,
	     void (*fn)(struct ct_entry *, void *), void *arg);
unsigned int ct_expire_run(struct conntrack *ct);
uint64_t ct_now_ms(struct conntrack *ct);
void ct_set_test_clock(struct conntrack *ct, uint64_t ms);   /* unit tests: fixed clock */
uint64_t ct_remaining_s(struct conntrack *ct, const struct ct_entry *e);
uint64_t ct_remaining_ms(struct conntrack *ct, const struct ct_entry *e);
const struct ct_stats *ct_get_stats(struct conntrack *ct);
void ct_set_free_hook(struct conntrack *ct, void (*fn)(void *arg, struct ct_entry *e),
		      void *arg);
void ct_set_change_hook(struct conntrack *ct, void (*fn)(void *arg, bool structural),
			void *arg);

/* The entry a node belongs to (each node knows its direction). */
static inline struct ct_entry *ct_node_entry(struct ct_node *n)
{
	return (void *)((char *)(n - n->dir) -
				   offsetof(struct ct_entry, n));
}

/* ct_ctl.c */
void ct_ctl_init(void);
struct json_object;
struct ctl_conn;
struct dp;
struct json_object *ct_ctl_entry_json(struct dp *dp, const struct ct_entry *e);
/* ct_ls.c: conntrack.ls, streamed in steps outside the packet path */
int ct_ls_cmd(struct ctl_conn *c, struct json_object *args, struct json_object **result,
	      char *err, size_t errlen);
uint64_t ct_ls_streams(void);
uint64_t ct_ls_steps(void);
/* E as one `conntrack -L` line (the `text` of conntrack.ls). */
struct dp;
void ct_ctl_line(struct dp *dp, const struct ct_entry *e, char *buf, size_t len);

#endif
