/* overlay.c - the remote-endpoint and member tables of overlay networks.
 *
 * DOC: Theory of Operation
 *
 * overlay.h says what the tables hold and who fills them.  Here:
 *
 *  - Two indexes over one set of remote entries: by MAC (uthash, keyed
 *    hash) for forwarding, by IP for ARP and DNS.  An entry is on the IP
 *    index only when it has an IP; a second entry claiming the same IP
 *    takes the index over (the store's newest word wins), and the first
 *    keeps forwarding by MAC.
 *  - Learning is bounded: LEARNED entries sit on an LRU list, oldest
 *    first, so overlay_expire() stops at the first young one and the cap
 *    evicts the oldest (OVS mac_learning's shape, fdb.c's too).  Entries
 *    of the store or of the user are never learned over: a frame that
 *    claims such a MAC from another VTEP is a conflict for the caller to
 *    count, not a move.
 *  - Members are keyed by underlay address only: a received packet's UDP
 *    source port is flow entropy (RFC 7348 5), so the address is all that
 *    identifies its sender; the port is where we send to.
 *
 * Nothing here sends or parses a packet: port_vxlan.c and vxlan.c do.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dp.h"
#include "overlay.h"

static unsigned int overlay_max_learned = 1024;

void overlay_set_max_learned(unsigned int max)
{
	overlay_max_learned = max;
}

static struct overlay *overlay_of(const struct network *n)
{
	return n && n->driver == NET_DRIVER_OVERLAY ? n->overlay : NULL;
}

int overlay_new(struct network *n, uint32_t vni)
{
	struct overlay *o;

	if (!n || n->driver != NET_DRIVER_OVERLAY || !vni || vni > OVERLAY_VNI_MAX || n->overlay) {
		errno = EINVAL;
		return -1;
	}
	o = calloc(1, sizeof(*o));
	if (!o)
		return -1;
	o->net = n;
	o->vni = vni;
	TAILQ_INIT(&o->learned);
	n->overlay = o;
	n->vni = vni;
	return 0;
}

/* Unlink R from every index and free it. */
static void overlay_remote_free(struct overlay *o, struct overlay_remote *r)
{
	HASH_DELETE(hh, o->by_mac, r);
	if (r->in_ip)
		HASH_DELETE(hh_ip, o->by_ip, r);
	if (r->origin == OVERLAY_ORIGIN_LEARNED) {
		TAILQ_REMOVE(&o->learned, r, lru);
		o->n_learned--;
	}
	o->n_remotes--;
	free(r);
}

void overlay_free(struct network *n)
{
	struct overlay *o = n ? n->overlay : NULL;
	struct overlay_remote *r, *rt;
	struct overlay_member *m, *mt;

	if (!o)
		return;
	overlay_detach(n);
	HASH_ITER(hh, o->by_mac, r, rt)
		overlay_remote_free(o, r);
	HASH_ITER(hh, o->members, m, mt) {
		HASH_DEL(o->members, m);
		free(m);
	}
	free(o);
	n->overlay = NULL;
}

int overlay_attach(struct dp *dp, struct network *n)
{
	struct overlay *o = overlay_of(n), *other;

	if (!o || !dp) {
		errno = EINVAL;
		return -1;
	}
	if (o->dp)
		return 0;
	HASH_FIND(hh_vni, dp->overlays, &o->vni, sizeof(o->vni), other);
	if (other) {
		errno = EEXIST;
		return -1;
	}
	HASH_ADD(hh_vni, dp->overlays, vni, sizeof(o->vni), o);
	o->dp = dp;
	return 0;
}

void overlay_detach(struct network *n)
{
	struct overlay *o = n ? n->overlay : NULL;

	if (!o || !o->dp)
		return;
	HASH_DELETE(hh_vni, o->dp->overlays, o);
	o->dp = NULL;
}

struct network *overlay_by_vni(const struct dp *dp, uint32_t vni)
{
	struct overlay *o;

	HASH_FIND(hh_vni, dp->overlays, &vni, sizeof(vni), o);
	return o ? o->net : NULL;
}

/* Put R on the IP index under its IP, taking it from any holder. */
static void overlay_ip_index(struct overlay *o, struct overlay_remote *r)
{
	struct overlay_remote *old;

	if (vs_addr_is_any(&r->ip))
		return;
	HASH_FIND(hh_ip, o->by_ip, &r->ip, sizeof(r->ip), old);
	if (old) {
		HASH_DELETE(hh_ip, o->by_ip, old);
		old->in_ip = false;
	}
	HASH_ADD(hh_ip, o->by_ip, ip, sizeof(r->ip), r);
	r->in_ip = true;
}

/* A new entry for MAC, on the MAC index; NULL with errno at the cap. */
static struct overlay_remote *overlay_remote_add(struct overlay *o, const uint8_t mac[6])
{
	struct overlay_remote *r;

	if (o->n_remotes >= OVERLAY_MAX_REMOTES) {
		errno = ENOSPC;
		return NULL;
	}
	r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	memcpy(r->mac, mac, 6);
	HASH_ADD(hh, o->by_mac, mac, 6, r);
	if (!(r->hh.tbl)) {	/* HASH_NONFATAL_OOM: the add failed */
		free(r);
		errno = ENOMEM;
		return NULL;
	}
	o->n_remotes++;
	return r;
}

static bool overlay_mac_ok(const uint8_t mac[6])
{
	static const uint8_t zero[6];

	return !(mac[0] & 1) && memcmp(mac, zero, 6);
}

int overlay_remote_set(struct network *n, const uint8_t mac[6], const union vs_addr *ip,
		       const struct overlay_vtep *vtep, const char *name, const char *host)
{
	struct overlay *o = overlay_of(n);
	struct overlay_remote *r;

	if (!o || !mac || !vtep || !overlay_mac_ok(mac)) {
		errno = EINVAL;
		return -1;
	}
	HASH_FIND(hh, o->by_mac, mac, 6, r);
	if (r && r->origin == OVERLAY_ORIGIN_LEARNED) {
		TAILQ_REMOVE(&o->learned, r, lru);
		o->n_learned--;
	}
	if (!r && !(r = overlay_remote_add(o, mac)))
		return -1;
	if (r->in_ip) {
		HASH_DELETE(hh_ip, o->by_ip, r);
		r->in_ip = false;
	}
	r->origin = OVERLAY_ORIGIN_CLUSTER;
	r->vtep = *vtep;
	if (!r->vtep.port)
		r->vtep.port = VXLAN_PORT_DEFAULT;
	memset(&r->ip, 0, sizeof(r->ip));
	if (ip)
		r->ip = *ip;
	snprintf(r->name, sizeof(r->name), "%s", name ? name : "");
	snprintf(r->host, sizeof(r->host), "%s", host ? host : "");
	overlay_ip_index(o, r);
	return 0;
}

int overlay_remote_del(struct network *n, const uint8_t mac[6])
{
	struct overlay *o = overlay_of(n);
	struct overlay_remote *r = NULL;

	if (o && mac)
		HASH_FIND(hh, o->by_mac, mac, 6, r);
	if (!r) {
		errno = ENOENT;
		return -1;
	}
	overlay_remote_free(o, r);
	return 0;
}

unsigned int overlay_remote_flush_host(struct network *n, const char *host)
{
	struct overlay *o = overlay_of(n);
	struct overlay_remote *r, *tmp;
	unsigned int gone = 0;

	if (!o || !host)
		return 0;
	HASH_ITER(hh, o->by_mac, r, tmp)
		if (r->origin == OVERLAY_ORIGIN_CLUSTER && !strcmp(r->host, host)) {
			overlay_remote_free(o, r);
			gone++;
		}
	return gone;
}

/* Make room for one more LEARNED entry: evict the oldest at the cap. */
static int overlay_learn_room(struct overlay *o)
{
	struct overlay_remote *old;

	if (o->n_learned < overlay_max_learned)
		return 0;
	old = TAILQ_FIRST(&o->learned);
	if (!old) {
		errno = ENOSPC;
		return -1;
	}
	overlay_remote_free(o, old);
	return 0;
}

int overlay_learn(struct network *n, const uint8_t mac[6], const struct overlay_vtep *vtep,
		  ev_tstamp now)
{
	struct overlay *o = overlay_of(n);
	struct overlay_remote *r;

	if (!o || !overlay_mac_ok(mac)) {
		errno = EINVAL;
		return -1;
	}
	HASH_FIND(hh, o->by_mac, mac, 6, r);
	if (r && r->origin != OVERLAY_ORIGIN_LEARNED) {
		if (vs_addr_eq(&r->vtep.addr, &vtep->addr))
			return 0;
		errno = EEXIST;	/* the store says it is elsewhere */
		return -1;
	}
	if (!r) {
		if (overlay_learn_room(o) || !(r = overlay_remote_add(o, mac)))
			return -1;
		r->origin = OVERLAY_ORIGIN_LEARNED;
		o->n_learned++;
	} else {
		TAILQ_REMOVE(&o->learned, r, lru);
	}
	r->vtep = *vtep;
	r->last_seen = now;
	TAILQ_INSERT_TAIL(&o->learned, r, lru);
	return 0;
}

unsigned int overlay_expire(struct network *n, ev_tstamp now, double aging)
{
	struct overlay *o = overlay_of(n);
	struct overlay_remote *r;
	unsigned int gone = 0;

	if (!o)
		return 0;
	/* Oldest first: the first young entry ends the sweep. */
	while ((r = TAILQ_FIRST(&o->learned)) && now - r->last_seen >= aging) {
		overlay_remote_free(o, r);
		gone++;
	}
	return gone;
}

struct overlay_remote *overlay_lookup_mac(const struct network *n, const uint8_t mac[6])
{
	struct overlay *o = overlay_of(n);
	struct overlay_remote *r = NULL;

	if (o)
		HASH_FIND(hh, o->by_mac, mac, 6, r);
	return r;
}

struct overlay_remote *overlay_lookup_ip(const struct network *n, const union vs_addr *ip)
{
	struct overlay *o = overlay_of(n);
	struct overlay_remote *r = NULL;

	if (o && ip)
		HASH_FIND(hh_ip, o->by_ip, ip, sizeof(*ip), r);
	return r;
}

int overlay_member_add(struct network *n, const struct overlay_vtep *vtep,
		       enum overlay_origin origin, const char *host)
{
	struct overlay *o = overlay_of(n);
	struct overlay_member *m;

	if (!o || !vtep || vs_addr_is_any(&vtep->addr) || origin == OVERLAY_ORIGIN_LEARNED) {
		errno = EINVAL;
		return -1;
	}
	HASH_FIND(hh, o->members, &vtep->addr, sizeof(vtep->addr), m);
	if (!m) {
		if (o->n_members >= OVERLAY_MAX_MEMBERS) {
			errno = ENOSPC;
			return -1;
		}
		if (!(m = calloc(1, sizeof(*m))))
			return -1;
		m->vtep.addr = vtep->addr;
		HASH_ADD(hh, o->members, vtep.addr, sizeof(m->vtep.addr), m);
		o->n_members++;
	}
	m->vtep.port = vtep->port ? vtep->port : VXLAN_PORT_DEFAULT;
	m->origin = origin;
	snprintf(m->host, sizeof(m->host), "%s", host ? host : "");
	return 0;
}

int overlay_member_del(struct network *n, const union vs_addr *addr)
{
	struct overlay *o = overlay_of(n);
	struct overlay_member *m = NULL;

	if (o && addr)
		HASH_FIND(hh, o->members, addr, sizeof(*addr), m);
	if (!m) {
		errno = ENOENT;
		return -1;
	}
	HASH_DEL(o->members, m);
	o->n_members--;
	free(m);
	return 0;
}

struct overlay_member *overlay_member_find(const struct network *n, const union vs_addr *addr)
{
	struct overlay *o = overlay_of(n);
	struct overlay_member *m = NULL;

	if (o)
		HASH_FIND(hh, o->members, addr, sizeof(*addr), m);
	return m;
}

void overlay_foreach_remote(const struct network *n, overlay_remote_fn *fn, void *arg)
{
	struct overlay *o = overlay_of(n);
	struct overlay_remote *r, *tmp;

	if (!o)
		return;
	HASH_ITER(hh, o->by_mac, r, tmp)
		fn(r, arg);
}

void overlay_gw_mac(uint32_t vni, uint8_t mac[6])
{
	mac[0] = 0x06;
	mac[1] = 0x56;
	mac[2] = 0x58;
	mac[3] = (uint8_t)(vni >> 16);
	mac[4] = (uint8_t)(vni >> 8);
	mac[5] = (uint8_t)vni;
}

int overlay_vtep_parse(const char *s, uint16_t def_port, struct overlay_vtep *v,
		       char *err, size_t errlen)
{
	char buf[64], *colon, *end;
	unsigned long port = def_port;

	if (!s || strlen(s) >= sizeof(buf)) {
		snprintf(err, errlen, "bad VTEP \"%s\" (IP or IP:PORT)", s ? s : "");
		return -1;
	}
	snprintf(buf, sizeof(buf), "%s", s);
	colon = strchr(buf, ':');
	if (colon) {
		*colon = '\0';
		errno = 0;
		port = strtoul(colon + 1, &end, 10);
		if (errno || *end || end == colon + 1 || !port || port > 65535) {
			snprintf(err, errlen, "bad VTEP port in \"%s\" (1-65535)", s);
			return -1;
		}
	}
	memset(v, 0, sizeof(*v));
	if (vs_addr_parse_af(buf, AF_INET, &v->addr) || vs_addr_is_any(&v->addr) ||
	    (vs_addr_get_v4(&v->addr) & htonl(0xf0000000)) == htonl(0xe0000000)) {
		snprintf(err, errlen, "bad VTEP address \"%s\" (a unicast IPv4 address)", buf);
		return -1;
	}
	v->port = (uint16_t)port;
	return 0;
}

const char *overlay_origin_name(enum overlay_origin o)
{
	switch (o) {
	case OVERLAY_ORIGIN_CLUSTER: return "cluster";
	case OVERLAY_ORIGIN_STATIC: return "static";
	default: return "learned";
	}
}
