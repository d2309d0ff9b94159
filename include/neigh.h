/* neigh.h - the uplink's neighbour cache and the frames waiting on it.
 *
 * An instance per uplink (uplink.c embeds it); neigh.c says how it is
 * shaped and why.  Addresses are union vs_addr, so IPv6 neighbour
 * discovery (issue 14) reuses the table as it is.
 */
#ifndef VS_NEIGH_H
#define VS_NEIGH_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/virtio_net.h>
#include "addr.h"
#include "drop.h"

#define NEIGH_SETS 256
#define NEIGH_WAYS 4
#define NEIGH_TTL_MS 300000          /* a resolved entry, before it is re-asked */
#define NEIGH_INCOMPLETE_MS 3000     /* an unanswered entry; a waiting frame's life */
#define NEIGH_ASK_MS 1000            /* at most one request per target per second */
#define NEIGH_PENDING 64             /* frames waiting, all next hops */
#define NEIGH_PENDING_PER_OWNER 8    /* ... from one input port (container) */
#define NEIGH_PENDING_PER_HOP 4      /* ... for one next hop */
#define NEIGH_PENDING_MAX 2048       /* bytes: larger frames are not held */

struct neigh_entry {
	union vs_addr ip;        /* "::" when free */
	uint8_t mac[6];
	bool pinned;             /* the gateway: never evicted */
	bool awaiting;           /* a request is out, no reply learned yet */
	uint64_t seen_ms;        /* when resolved (0: not yet) */
	uint64_t asked_ms;       /* last request sent (0: never) */
};

struct neigh_pending {
	bool used;
	uint32_t seq;            /* order of arrival, for release in order */
	union vs_addr next_hop;
	const void *owner;       /* input port, only compared, never followed */
	uint64_t expires_ms;
	uint32_t len;
	uint32_t flags;          /* offload work left (PKT_F_GSO, PKT_F_CSUM_PARTIAL) */
	struct virtio_net_hdr vnet;
	uint8_t buf[NEIGH_PENDING_MAX];
};

struct neigh_table {
	uint64_t basis;          /* keyed hash of the set (hash.h) */
	struct neigh_entry set[NEIGH_SETS][NEIGH_WAYS];
	struct neigh_entry gw;   /* pinned, outside the sets */
	unsigned int n_pending;  /* slots used */
	uint32_t seq;
	struct neigh_pending pending[NEIGH_PENDING];
};

void neigh_init(struct neigh_table *t, const union vs_addr *gw);
void neigh_flush(struct neigh_table *t);
struct neigh_entry *neigh_find(struct neigh_table *t, const union vs_addr *ip);
struct neigh_entry *neigh_get(struct neigh_table *t, const union vs_addr *ip, uint64_t now);
bool neigh_ask_due(struct neigh_entry *e, uint64_t now);
struct neigh_entry *neigh_learn(struct neigh_table *t, const union vs_addr *ip,
				const uint8_t mac[6], bool reply, uint64_t now);
unsigned int neigh_pending_expire(struct neigh_table *t, uint64_t now);
enum drop_reason neigh_pending_add(struct neigh_table *t, const union vs_addr *nh,
				   const void *owner, const uint8_t *frame, uint32_t len,
				   uint32_t flags, const struct virtio_net_hdr *vnet, uint64_t now);
unsigned int neigh_pending_take(struct neigh_table *t, const union vs_addr *nh,
				void (*fn)(void *arg, struct neigh_pending *q), void *arg);

#endif
