/* neigh.c - the uplink's neighbour (ARP) cache and its waiting frames.
 *
 * DOC: Theory of Operation
 *
 * The uplink resolves its next hop (the gateway, or an on-link
 * destination) by ARP and keeps the answers here.  The cache used to be
 * 256 direct-mapped slots under a fixed public hash, and a request for a
 * new next hop wiped whatever shared its slot, the gateway's entry
 * included; the 16 frames waiting for answers never expired.  One
 * container sending to an on-link address that collided with the gateway
 * blackholed everyone's egress (audit finding 6).  Now:
 *
 * - The gateway's entry is pinned, outside the table: nothing evicts it.
 * - Other entries live in NEIGH_SETS sets of NEIGH_WAYS, the set chosen by
 *   the keyed hash (hash.h), so nobody outside can aim at one set.  A
 *   lookup is one hash and at most NEIGH_WAYS compares.
 * - A new next hop takes, in its set: a free way; else one that failed to
 *   resolve (asked over NEIGH_INCOMPLETE_MS ago, no answer) or whose
 *   answer is over twice NEIGH_TTL_MS old; else the oldest still
 *   unanswered one.  A resolved, live entry is never evicted for an
 *   unresolved one; if all ways are live neighbours, the frame is dropped
 *   (arp_pending_full) rather than an honest neighbour forgotten.
 * - Frames wait at most NEIGH_INCOMPLETE_MS (then neigh_timeout), at most
 *   NEIGH_PENDING in all, NEIGH_PENDING_PER_OWNER from one input port (a
 *   container) and NEIGH_PENDING_PER_HOP for one next hop: one container
 *   cannot fill the queue for the others.  The queue is small and only
 *   frames to unresolved next hops touch it, so its sweeps are bounded
 *   (NEIGH_PENDING entries), never per forwarded packet.
 * - Requests are rate limited per target (NEIGH_ASK_MS), not per slot.
 * - Learning (audit item 21, ARP poisoning): only an address the switch
 *   has an entry for is learned, never a stranger's.  An unanswered entry
 *   takes the first ARP that names it; a resolved entry changes its MAC
 *   only for the first reply to a request the switch sent within
 *   NEIGH_INCOMPLETE_MS (the refresh after NEIGH_TTL_MS asks), so an
 *   unsolicited reply, a second reply to one question or a forged request
 *   cannot redirect the next hop.
 *   The cost: a neighbour that changes its MAC (a gateway fail-over that
 *   only announces itself) is followed at the next refresh, not at once.
 */
#include <string.h>
#include "hash.h"
#include "neigh.h"

/**
 * neigh_init() - Empty T and pin the gateway GW
 * @t:		table
 * @gw:		the uplink's gateway
 */
void neigh_init(struct neigh_table *t, const union vs_addr *gw)
{
	memset(t, 0, sizeof(*t));
	t->basis = hash_basis() ^ 0x6e6569676800ULL;   /* "neigh" */
	t->gw.ip = *gw;
	t->gw.pinned = true;
}

/* Forget every answer (the gateway stays pinned) and every waiting frame. */
void neigh_flush(struct neigh_table *t)
{
	union vs_addr gw = t->gw.ip;

	neigh_init(t, &gw);
}

static struct neigh_entry *neigh_set(struct neigh_table *t, const union vs_addr *ip)
{
	return t->set[hash_bytes(ip, sizeof(*ip), t->basis) & (NEIGH_SETS - 1)];
}

static bool neigh_free(const struct neigh_entry *e)
{
	return vs_addr_is_any(&e->ip);
}

/**
 * neigh_find() - The entry for IP, or NULL
 * @t:		table
 * @ip:		neighbour
 *
 * Return: the entry (resolved or not), or NULL
 */
struct neigh_entry *neigh_find(struct neigh_table *t, const union vs_addr *ip)
{
	struct neigh_entry *s;
	unsigned int i;

	if (vs_addr_eq(&t->gw.ip, ip))
		return &t->gw;
	s = neigh_set(t, ip);
	for (i = 0; i < NEIGH_WAYS; i++)
		if (!neigh_free(&s[i]) && vs_addr_eq(&s[i].ip, ip))
			return &s[i];
	return NULL;
}

/* How much E may be given up for a new next hop: 3 free, 2 dead (failed
 * or long stale), 1 unanswered, 0 a live neighbour (never). */
static int neigh_evictable(const struct neigh_entry *e, uint64_t now)
{
	if (neigh_free(e))
		return 3;
	if (!e->seen_ms)
		return now > e->asked_ms + NEIGH_INCOMPLETE_MS ? 2 : 1;
	return now > e->seen_ms + 2ull * NEIGH_TTL_MS ? 2 : 0;
}

/**
 * neigh_get() - The entry for IP, made (unresolved) if there is none
 * @t:		table
 * @ip:		next hop
 * @now:	clock, ms
 *
 * Return: the entry, or NULL if its set holds only live neighbours
 */
struct neigh_entry *neigh_get(struct neigh_table *t, const union vs_addr *ip, uint64_t now)
{
	struct neigh_entry *e = neigh_find(t, ip), *s, *best = NULL;
	int score, best_score = 0;
	unsigned int i;

	if (e)
		return e;
	s = neigh_set(t, ip);
	for (i = 0; i < NEIGH_WAYS; i++) {
		score = neigh_evictable(&s[i], now);
		if (score > best_score ||
		    (score == 1 && best_score == 1 && s[i].asked_ms < best->asked_ms)) {
			best = &s[i];
			best_score = score;
		}
	}
	if (!best)
		return NULL;
	memset(best, 0, sizeof(*best));
	best->ip = *ip;
	return best;
}

/**
 * neigh_ask_due() - Should a request for E go out now?  Records it if so
 * @e:		entry
 * @now:	clock, ms (0 is taken as 1: 0 means "never asked")
 *
 * Return: true at most once per NEIGH_ASK_MS per entry
 */
bool neigh_ask_due(struct neigh_entry *e, uint64_t now)
{
	if (!now)
		now = 1;
	if (e->asked_ms && now < e->asked_ms + NEIGH_ASK_MS)
		return false;
	e->asked_ms = now;
	e->awaiting = true;
	return true;
}

/**
 * neigh_learn() - Take an ARP sender's MAC, if the cache may
 * @t:		table
 * @ip:		sender protocol address
 * @mac:	sender hardware address
 * @reply:	the ARP was a reply (not a request or announcement)
 * @now:	clock, ms
 *
 * Return: the entry if it is (now) resolved to MAC and had frames to
 * release or changed, else NULL (not ours to learn, or refused)
 */
struct neigh_entry *neigh_learn(struct neigh_table *t, const union vs_addr *ip,
				const uint8_t mac[6], bool reply, uint64_t now)
{
	struct neigh_entry *e = neigh_find(t, ip);
	bool solicited;

	if (!e)
		return NULL;             /* nobody asked: a stranger's claim */
	solicited = reply && e->awaiting && now <= e->asked_ms + NEIGH_INCOMPLETE_MS;
	if (e->seen_ms && memcmp(e->mac, mac, 6) != 0 && !solicited)
		return NULL;             /* poisoning a live entry */
	if (e->seen_ms && !solicited)
		return NULL;             /* same MAC, unasked: nothing new */
	memcpy(e->mac, mac, 6);
	e->seen_ms = now | 1;
	if (reply)
		e->awaiting = false;     /* one answer per question */
	return e;
}

/* A free slot of the queue (the caller checked n_pending). */
static struct neigh_pending *neigh_pending_slot(struct neigh_table *t)
{
	unsigned int i;

	for (i = 0; i < NEIGH_PENDING; i++)
		if (!t->pending[i].used)
			return &t->pending[i];
	return NULL;
}

/**
 * neigh_pending_expire() - Drop the frames that waited too long
 * @t:		table
 * @now:	clock, ms
 *
 * Return: how many were dropped (the caller counts them)
 */
unsigned int neigh_pending_expire(struct neigh_table *t, uint64_t now)
{
	unsigned int i, n = 0;

	for (i = 0; i < NEIGH_PENDING && t->n_pending; i++) {
		if (t->pending[i].used && t->pending[i].expires_ms < now) {
			t->pending[i].used = false;
			t->n_pending--;
			n++;
		}
	}
	return n;
}

/**
 * neigh_pending_add() - Hold a frame until NH answers
 * @t:		table
 * @nh:		next hop
 * @owner:	input port of the frame (its share), only compared
 * @frame:	the frame
 * @len:	its length
 * @flags:	offload flags to keep
 * @vnet:	its offload header
 * @now:	clock, ms
 *
 * Slots are fixed (no frame is ever moved); a sequence number keeps the
 * order in which one next hop's frames are released.
 * Return: DROP_NONE if held, else DROP_ARP_PENDING_FULL
 */
enum drop_reason neigh_pending_add(struct neigh_table *t, const union vs_addr *nh,
				   const void *owner, const uint8_t *frame, uint32_t len,
				   uint32_t flags, const struct virtio_net_hdr *vnet, uint64_t now)
{
	unsigned int i, by_owner = 0, by_hop = 0;
	struct neigh_pending *q;

	if (len > NEIGH_PENDING_MAX || t->n_pending >= NEIGH_PENDING)
		return DROP_ARP_PENDING_FULL;
	for (i = 0; i < NEIGH_PENDING; i++) {
		if (!t->pending[i].used)
			continue;
		by_owner += t->pending[i].owner == owner;
		by_hop += vs_addr_eq(&t->pending[i].next_hop, nh);
	}
	if (by_owner >= NEIGH_PENDING_PER_OWNER || by_hop >= NEIGH_PENDING_PER_HOP)
		return DROP_ARP_PENDING_FULL;
	q = neigh_pending_slot(t);
	if (!q)
		return DROP_ARP_PENDING_FULL;    /* n_pending says there is one */
	q->used = true;
	q->seq = t->seq++;
	q->next_hop = *nh;
	q->owner = owner;
	q->expires_ms = now + NEIGH_INCOMPLETE_MS;
	q->len = len;
	q->flags = flags;
	q->vnet = *vnet;
	memcpy(q->buf, frame, len);
	t->n_pending++;
	return DROP_NONE;
}

/**
 * neigh_pending_take() - Hand every frame waiting for NH to FN, oldest
 * first, then forget them
 * @t:		table
 * @nh:		next hop that answered
 * @fn:		called with each frame (which it may change and send)
 * @arg:	for FN
 *
 * Return: how many frames were handed over
 */
unsigned int neigh_pending_take(struct neigh_table *t, const union vs_addr *nh,
				void (*fn)(void *arg, struct neigh_pending *q), void *arg)
{
	struct neigh_pending *got[NEIGH_PENDING_PER_HOP], *x;
	unsigned int i, j, n = 0;

	for (i = 0; i < NEIGH_PENDING && n < NEIGH_PENDING_PER_HOP; i++) {
		if (!t->pending[i].used || !vs_addr_eq(&t->pending[i].next_hop, nh))
			continue;
		/* insertion by sequence: at most NEIGH_PENDING_PER_HOP */
		for (j = n++; j > 0 && (int32_t)(got[j - 1]->seq - t->pending[i].seq) > 0; j--)
			got[j] = got[j - 1];
		got[j] = &t->pending[i];
	}
	for (i = 0; i < n; i++) {
		x = got[i];
		fn(arg, x);
		x->used = false;
		t->n_pending--;
	}
	return n;
}
