/* fdb.c - MAC learning with aging, station moves and a per-port cap.
 *
 * DOC: Theory of Operation
 *
 * Each network has its own table (struct fdb): a MAC learned on one
 * network means nothing on another, as each network is its own L2 domain.
 * An entry says "frames to this MAC go out of this port".  It is made or
 * refreshed from the source MAC of every frame a container port sends
 * (fdb_learn), and read for the destination MAC (fdb_lookup).
 *
 * Lookup: a uthash keyed on the 6-byte MAC.  The MACs come from the
 * network, so an attacker picks the keys; uthash hashes them with the
 * switch's keyed hash (hash.h: SipHash-1-3 under a secret drawn once per
 * process, as the kernel's nf_conntrack_hash_rnd), so nobody can aim many
 * MACs at one bucket.  Before hashing, learning and forwarding each try
 * the entry they found last (fdb_find()): within a burst the MACs repeat.
 *
 * Aging: every entry is on one LRU list, oldest first; a frame from a MAC
 * moves its entry to the young end.  Expiry therefore only ever looks at
 * the old end (OVS mac_learning_run()).  One libev timer per table is
 * armed for the moment the oldest entry expires and re-armed from its
 * callback for the next one (br_fdb_cleanup()); an empty table has no
 * timer running, so an idle switch does not wake up.  Refreshing an entry
 * does not touch the timer: when it fires early it just re-arms.
 *
 * Station moves: a MAC seen on another port moves to it at once (a
 * container re-connected, or a MAC handed from one to another).
 *
 * Limits: a port may own at most fdb_max_learned entries (1024 by
 * default; br_fdb.c fdb_max_learned).  A port at its cap learns nothing
 * new, and each such frame counts DROP_FDB_CAP on the port, but the frame
 * is still forwarded (the Linux bridge does the same): the cap protects
 * the table, not the traffic, and unknown destinations simply flood.
 * Entries are recycled through a free list, so a steady state allocates
 * nothing; only growth allocates, and growth is bounded by the cap.
 *
 * Nothing here is process-wide: the settings, the event loop and the free
 * list are the datapath's (struct fdb_common, dp->fdb), which every table
 * of its networks points to, so two datapaths in one process (or two test
 * worlds) age, cap and recycle apart.
 */
/* uthash reports a failed insert on the entry (HASH_NONFATAL_OOM) instead
 * of calling exit(); fdb_learn() checks it.  On the entry, not in a flag
 * of the file: the entry is the one thing both sides of HASH_ADD see. */
#define uthash_nonfatal_oom(obj) ((obj)->oom = 1)

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "dp.h"
#include "fdb.h"
#include "model.h"
#include "port.h"

static void fdb_timer_cb(struct ev_loop *loop, ev_timer *w, int revents);

/**
 * fdb_common_init() - Start what a datapath's tables share, at the defaults
 * @fc:		the datapath's part (dp->fdb); its previous contents are ignored
 * @loop:	the event loop the tables' aging timers run on (NULL: none,
 *		time stands still at 0, as in a harness without a loop)
 */
void fdb_common_init(struct fdb_common *fc, struct ev_loop *loop)
{
	fc->loop = loop;
	fc->aging = FDB_AGING_DEFAULT;
	fc->max_learned = FDB_MAX_LEARNED_DEFAULT;
	TAILQ_INIT(&fc->free);
}

/**
 * fdb_common_fini() - Release the free list (every table is freed already)
 * @fc:		the datapath's part; left empty and usable
 */
void fdb_common_fini(struct fdb_common *fc)
{
	struct fdb_entry *e;

	while ((e = TAILQ_FIRST(&fc->free))) {
		TAILQ_REMOVE(&fc->free, e, lru);
		free(e);
	}
}

void fdb_set_aging(struct fdb_common *fc, unsigned int sec)
{
	fc->aging = sec ? sec : 1;
}

void fdb_set_max_learned(struct fdb_common *fc, unsigned int n)
{
	fc->max_learned = n;
}

ev_tstamp fdb_now(const struct fdb *f)
{
	return f->common->loop ? ev_now(f->common->loop) : 0.0;
}

/**
 * fdb_new() - A learning table for network N, sharing its datapath's part
 * @n:		the network; n->dp set
 *
 * Return: the table, or NULL (no memory, or N belongs to no datapath)
 */
struct fdb *fdb_new(struct network *n)
{
	struct fdb *f;

	if (!n->dp)
		return NULL;
	f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	f->net = n;
	f->common = &n->dp->fdb;
	/* The gateway MAC is what l2_forward() matches; make sure it is set
	 * even if the caller forgot (a zero MAC would catch stray frames). */
	if (!(n->gw_mac[0] | n->gw_mac[1] | n->gw_mac[2] | n->gw_mac[3] |
	      n->gw_mac[4] | n->gw_mac[5]))
		model_gw_mac(n, n->gw_mac);
	TAILQ_INIT(&f->lru);
	ev_timer_init(&f->timer, fdb_timer_cb, 0., 0.);
	f->timer.data = f;
	if (n->dp)
		n->dp->net_gen++;	/* a network starts: its routes change */
	return f;
}

/**
 * fdb_find() - F's entry for MAC, trying the one found last first
 * @f:		table
 * @hint:	&f->last_src (learning) or &f->last_dst (forwarding)
 * @mac:	the MAC
 *
 * The frames of a burst mostly share their source MAC, and those of a
 * stream their destination: six bytes compared with the entry found last
 * save the keyed hash and the bucket walk for most frames, which keeps the
 * per-frame cost below what the unkeyed hash had.  fdb_entry_del() forgets
 * a hint before its entry goes, so a hint is always an entry of F.
 *
 * Return: the entry, or NULL.
 */
static struct fdb_entry *fdb_find(struct fdb *f, struct fdb_entry **hint,
				  const uint8_t mac[6])
{
	struct fdb_entry *e = *hint;

	if (e && memcmp(e->mac, mac, 6) == 0)
		return e;
	HASH_FIND(hh, f->table, mac, 6, e);
	if (e)
		*hint = e;
	return e;
}

/* Unlink E from F and put it on the free list. */
static void fdb_entry_del(struct fdb *f, struct fdb_entry *e)
{
	if (f->last_src == e)
		f->last_src = NULL;
	if (f->last_dst == e)
		f->last_dst = NULL;
	HASH_DEL(f->table, e);
	TAILQ_REMOVE(&f->lru, e, lru);
	if (e->port && e->port->n_learned)
		e->port->n_learned--;
	f->count--;
	TAILQ_INSERT_HEAD(&f->common->free, e, lru);
}

unsigned int fdb_flush(struct fdb *f)
{
	unsigned int n = 0;

	while (!TAILQ_EMPTY(&f->lru)) {
		fdb_entry_del(f, TAILQ_FIRST(&f->lru));
		n++;
	}
	if (f->common->loop)
		ev_timer_stop(f->common->loop, &f->timer);
	return n;
}

void fdb_free(struct fdb *f)
{
	if (!f)
		return;
	if (f->net && f->net->dp)
		f->net->dp->net_gen++;	/* a network stops */
	fdb_flush(f);
	HASH_CLEAR(hh, f->table);
	free(f);
}

/* Arm F's timer for its oldest entry, unless it is running already (an
 * early wake-up re-arms itself from fdb_timer_cb). */
static void fdb_timer_arm(struct fdb *f)
{
	struct fdb_entry *old = TAILQ_FIRST(&f->lru);
	struct ev_loop *loop = f->common->loop;
	ev_tstamp in;

	if (!loop || !old || ev_is_active(&f->timer))
		return;
	in = old->last_seen + f->common->aging - ev_now(loop);
	ev_timer_set(&f->timer, in > 0 ? in : 0., 0.);
	ev_timer_start(loop, &f->timer);
}

static void fdb_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct fdb *f = w->data;

	(void)revents;
	fdb_expire(f, ev_now(loop));
	fdb_timer_arm(f);
}

/**
 * fdb_expire() - Remove entries idle for the aging time, oldest first
 * @f:		table
 * @now:	current time (ev_now)
 *
 * Return: number of entries removed
 */
unsigned int fdb_expire(struct fdb *f, ev_tstamp now)
{
	unsigned int n = 0, aging = f->common->aging;
	struct fdb_entry *e;

	while ((e = TAILQ_FIRST(&f->lru)) && e->last_seen + aging <= now) {
		fdb_entry_del(f, e);
		n++;
	}
	return n;
}

/* An entry from FC's free list, or a new one; zeroed. */
static struct fdb_entry *fdb_entry_get(struct fdb_common *fc)
{
	struct fdb_entry *e = TAILQ_FIRST(&fc->free);

	if (e) {
		TAILQ_REMOVE(&fc->free, e, lru);
		memset(e, 0, sizeof(*e));
		return e;
	}
	return calloc(1, sizeof(*e));
}

/* Refresh E for a frame from PORT; move it there if it came from another. */
static enum drop_reason fdb_entry_refresh(struct fdb *f, struct fdb_entry *e,
					  struct port *port, ev_tstamp now)
{
	if (e->port != port) {
		/* Station move.  The cap applies here too, or a port at its
		 * cap could still collect entries by stealing MACs. */
		if (port->n_learned >= f->common->max_learned) {
			fdb_entry_del(f, e);
			return DROP_FDB_CAP;
		}
		if (e->port->n_learned)
			e->port->n_learned--;
		e->port = port;
		port->n_learned++;
	}
	e->last_seen = now;
	TAILQ_REMOVE(&f->lru, e, lru);
	TAILQ_INSERT_TAIL(&f->lru, e, lru);
	return DROP_NONE;
}

/**
 * fdb_learn() - Note that MAC sends from PORT
 * @f:		network's table
 * @mac:	source MAC of a frame (unicast, checked by ingress)
 * @port:	port it came in on
 *
 * Return: DROP_NONE, or DROP_FDB_CAP when PORT is at its cap and nothing
 * was learned (the caller counts it and forwards the frame anyway), or
 * DROP_UNSUPPORTED if memory ran out.
 */
enum drop_reason fdb_learn(struct fdb *f, const uint8_t mac[6], struct port *port)
{
	ev_tstamp now = fdb_now(f);
	struct fdb_entry *e = fdb_find(f, &f->last_src, mac);

	/* Same port, same loop iteration: already the youngest, nothing to do
	 * (saves the list moves for the rest of a burst). */
	if (e && e->port == port && e->last_seen == now)
		return DROP_NONE;
	if (e)
		return fdb_entry_refresh(f, e, port, now);
	if (port->n_learned >= f->common->max_learned)
		return DROP_FDB_CAP;
	e = fdb_entry_get(f->common);
	if (!e)
		return DROP_UNSUPPORTED;
	memcpy(e->mac, mac, 6);
	e->port = port;
	e->last_seen = now;
	HASH_ADD(hh, f->table, mac, 6, e);
	if (e->oom) {
		TAILQ_INSERT_HEAD(&f->common->free, e, lru);
		return DROP_UNSUPPORTED;
	}
	TAILQ_INSERT_TAIL(&f->lru, e, lru);
	port->n_learned++;
	f->count++;
	f->last_src = e;
	fdb_timer_arm(f);
	return DROP_NONE;
}

struct port *fdb_lookup(struct fdb *f, const uint8_t mac[6])
{
	struct fdb_entry *e = fdb_find(f, &f->last_dst, mac);

	return e ? e->port : NULL;
}

/**
 * fdb_port_gone() - Forget every MAC learned on PORT (it is going away)
 * @f:		network's table
 * @port:	port being destroyed
 *
 * Walks the whole table: a control-path operation, not per packet.
 */
void fdb_port_gone(struct fdb *f, struct port *port)
{
	struct fdb_entry *e, *tmp;

	if (!f)
		return;
	for (e = TAILQ_FIRST(&f->lru); e; e = tmp) {
		tmp = TAILQ_NEXT(e, lru);
		if (e->port == port)
			fdb_entry_del(f, e);
	}
	port->n_learned = 0;
	if (TAILQ_EMPTY(&f->lru) && f->common->loop)
		ev_timer_stop(f->common->loop, &f->timer);
}
