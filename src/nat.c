/* nat.c - SNAT to the uplink IP, DNAT of published ports, hairpin.
 *
 * DOC: Theory of Operation
 *
 * Every NAT'd connection is one conntrack entry whose two tuples already
 * say how to translate: a packet matching one tuple leaves looking like
 * the inverse of the other one (netfilter's nf_nat_packet does the same
 * with its manipulated reply tuple).  So the datapath is: build the key,
 * look it up, rewrite, deliver in the other tuple's zone.  Only the first
 * packet of a connection decides anything:
 *
 * 1) from the outside to uplink-ip:P, with P published: DNAT.  The reply
 *    tuple is (container:cport -> client:sport): the container sees the
 *    client's real address.
 * 2) from a network to uplink-ip:P, with P published: hairpin.  DNAT as
 *    above, plus SNAT to the uplink IP so that the replies come back
 *    through the switch instead of going straight to the peer.
 * 3) from a network to anywhere else: SNAT to the uplink IP.
 *
 * nat_plan() takes that decision (and the external port below) without
 * changing anything; nat_new_conn() commits the plan, and a frame of
 * `vsctl trace` gets the same plan shown instead (nat_dry_run()), so the
 * trace cannot say something the real packet would not get.
 *
 * Choosing the external port, as nf_nat_core.c get_unique_tuple():
 * 1) reuse the source's existing mapping from the bysource table, so that
 *    one internal (ip, port) has one external port whatever the
 *    destination (endpoint-independent mapping, RFC 4787 REQ-1, RFC 5382
 *    REQ-1); 2) else keep the source port if it is free and not published
 *    (port preservation); 3) else search 1024-65535 from a hashed start.
 * Mappings live in a static array indexed by (protocol, external port), so
 * "is this port free" is one load and nothing is allocated per packet.
 *
 * Checksums are updated incrementally (RFC 1624, csum.h); a UDP checksum
 * of zero (none) stays zero; a partial checksum (offload) covers only the
 * pseudo-header, so only the address words are folded into it.
 *
 * IPv6 (NAT66, doc/ipv6.md) takes the same path: a tuple of 16-byte
 * addresses, the uplink's IPv6 address as the external address (one of
 * nat->ext[], with port spaces of its own), ICMPv6 echo ids as ports.
 * Only the rewrite differs: IPv6 has no header checksum, and every L4
 * checksum, ICMPv6's included, covers the pseudo-header, so an address
 * change is folded in as eight 16-bit words (nat_rewrite6()).  A tuple
 * never mixes families: SNAT takes an external address of the packet's
 * own family, DNAT a target address of it (the container's IPv6 address
 * for a connection to the uplink's IPv6 address).
 *
 * Limits: no port parity or contiguity (RFC 4787 REQ-4/5 are MAY/SHOULD);
 * no NPTv6 (RFC 6296): NAT66 here is stateful, port-translating, as
 * Docker's ip6tables MASQUERADE.
 */
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <netinet/ip.h>
#include <netinet/icmp6.h>
#include <netinet/ip6.h>
#include <netinet/ip_icmp.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <stdio.h>
#include <string.h>
#include "csum.h"
#include "hash.h"
#include "log.h"
#include "nat.h"
#include "trace.h"



static void nat_ct_free(void *arg, struct ct_entry *e);

static int nat_proto_idx(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_TCP: return 0;
	case IPPROTO_UDP: return 1;
	case IPPROTO_ICMP: return 2;
	case IPPROTO_ICMPV6: return 2;   /* on an IPv6 address's spaces */
	default: return -1;
	}
}

/**
 * nat_init() - Start (or restart) NAT on a conntrack table
 * @nat:	instance; zeroed memory the first time
 * @ct:		the table whose entries carry NAT's port mappings
 *
 * Published ports (nat->rules) survive a restart: they belong to the
 * model, restored before or without an uplink.  Everything else is reset,
 * but only for a second init: the mapping tables are megabytes that stay
 * untouched zero pages until mappings use them, so an idle switch pays
 * no RSS for them.
 *
 * Return: 0
 */
int nat_init(struct nat *nat, struct conntrack *ct)
{
	HASH_CLEAR(hh, nat->zone_by_name);
	if (nat->used)
		memset((char *)nat + NAT_RESET_OFS, 0, sizeof(*nat) - NAT_RESET_OFS);
	nat->used = true;
	nat->ct = ct;
	/* no uplink address yet: IPv4 "any", the family tuples are built in */
	vs_addr_set_v4(&nat->host_ip, 0);
	nat->basis = hash_basis();
	/* Until an uplink adds its address, SNAT has one to 0.0.0.0 (a
	 * datapath without uplink tracks and plans all the same); the first
	 * nat_ext_add() takes that slot. */
	nat_ext_add(nat, 0);
	nat->ext_any = true;
	nat->n_zones = 1;   /* zone 0: the outside */
	snprintf(nat->zones[0].name, sizeof(nat->zones[0].name), "uplink");
	ct_set_free_hook(ct, nat_ct_free, nat);
	nat_frag_init(nat);
	return 0;
}

void nat_fini(struct nat *nat)
{
	HASH_CLEAR(hh, nat->zone_by_name);
	if (nat->ct)
		ct_set_free_hook(nat->ct, NULL, NULL);
}

void nat_set_host_ip(struct nat *nat, uint32_t ip)
{
	vs_addr_set_v4(&nat->host_ip, ip);
}

const struct nat_stats *nat_get_stats(struct nat *nat)
{
	return &nat->stats;
}

/**
 * nat_zone_of() - The zone of a network, assigned on first sight
 * @n:	network
 *
 * Bound to the name while the network exists: nat_zone_release() frees
 * it when the network is removed, so a switch that sees thousands of
 * short-lived networks (a CI runner) never runs out (audit finding 12).
 *
 * Every routed packet asks, so the answer is cached in the network
 * (n->nat_zone) and checked against the zone's record (its net): one
 * compare instead of a keyed hash of the name per packet (a twelfth of a
 * NAT'd frame's instructions, doc/performance.md).  The record forgets
 * the network when the zone is freed or NAT restarts, so a stale cache
 * falls back to the name.
 *
 * Return: zone, or CT_ZONE_OUTSIDE if NAT_MAX_ZONES networks exist
 */
uint32_t nat_zone_of(struct nat *nat, struct network *n)
{
	struct nat_zone *z;
	uint32_t i = n->nat_zone;

	if (i && i < NAT_MAX_ZONES && nat->zones[i].net == n)
		return i;
	HASH_FIND_STR(nat->zone_by_name, n->name, z);
	if (z) {
		z->net = n;
		n->nat_zone = (uint32_t)(z - nat->zones);
		return n->nat_zone;
	}
	if (!nat->n_zones)
		nat->n_zones = 1;   /* before nat_init (no uplink): keep 0 outside */
	if (nat->zone_free) {
		i = nat->zone_free;
		nat->zone_free = nat->zones[i].next_free;
	} else if (nat->n_zones < NAT_MAX_ZONES) {
		i = nat->n_zones++;
	} else {
		if (!nat->stats.zones_full++)
			log_warn("nat: %d networks have zones: network %s has no egress",
				 NAT_MAX_ZONES - 1, n->name);
		return CT_ZONE_OUTSIDE;
	}
	z = &nat->zones[i];
	memset(z, 0, sizeof(*z));
	snprintf(z->name, sizeof(z->name), "%s", n->name);
	HASH_ADD_STR(nat->zone_by_name, name, z);
	if (!z->hh.tbl) {       /* HASH_NONFATAL_OOM: not added */
		z->name[0] = '\0';
		z->next_free = nat->zone_free;
		nat->zone_free = i;
		return CT_ZONE_OUTSIDE;
	}
	z->net = n;
	n->nat_zone = i;
	return i;
}

static bool nat_in_zone(const struct ct_entry *e, void *arg)
{
	uint32_t zone = *(const uint32_t *)arg;

	return e->zone == zone || e->n[0].key.zone == zone || e->n[1].key.zone == zone;
}

/**
 * nat_zone_release() - A network is gone: flush its connections, free its zone
 * @name:	the network's name
 *
 * Every entry with a tuple in the zone goes first (they hold port
 * mappings that name the zone), and so do fragment slots recorded in it,
 * so that the number, reused by the next new network, carries nothing of
 * the old one.
 */
void nat_zone_release(struct nat *nat, const char *name)
{
	struct nat_zone *z;
	uint32_t zone, i;

	HASH_FIND_STR(nat->zone_by_name, name, z);
	if (!z)
		return;
	zone = (uint32_t)(z - nat->zones);
	if (nat->ct)
		ct_flush(nat->ct, nat_in_zone, &zone);
	for (i = 0; i < NAT_FRAG_SLOTS; i++)
		if (nat->frag[i].zone == zone || nat->frag[i].out_zone == zone)
			nat->frag[i].used = 0;
	HASH_DEL(nat->zone_by_name, z);
	z->name[0] = '\0';
	z->net = NULL;
	z->next_free = nat->zone_free;
	nat->zone_free = zone;
	nat->stats.zones_freed++;
}

const char *nat_zone_name(struct nat *nat, uint32_t zone)
{
	return zone < nat->n_zones && nat->zones[zone].name[0] ? nat->zones[zone].name : "?";
}

struct network *nat_zone_network(struct nat *nat, uint32_t zone)
{
	if (zone == CT_ZONE_OUTSIDE || zone >= nat->n_zones || !nat->zones[zone].name[0])
		return NULL;
	return model_network_in(nat->model, nat->zones[zone].name);
}

/**
 * nat_key_make() - A tuple from two addresses of one family
 * @k:     result (padding zeroed: keys are hashed as bytes)
 * @zone:  zone
 * @proto: IPPROTO_*
 * @src:   source address
 * @dst:   destination address
 * @sport: source port (or ICMP id), network order
 * @dport: destination port, network order
 */
void nat_key_make(struct ct_key *k, uint32_t zone, uint8_t proto, const union vs_addr *src,
		  const union vs_addr *dst, uint16_t sport, uint16_t dport)
{
	memset(k, 0, sizeof(*k));
	k->src = *src;
	k->dst = *dst;
	k->sport = sport;
	k->dport = dport;
	k->zone = zone;
	k->family = (uint8_t)vs_addr_family(src);
	k->proto = proto;
}

/* nat_key_from_ip4() - The same from an IPv4 header's words: a packet's
 * addresses become the mapped form here, once per packet. */
void nat_key_from_ip4(struct ct_key *k, uint32_t zone, uint8_t proto,
		      uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport)
{
	memset(k, 0, sizeof(*k));
	vs_addr_set_v4(&k->src, src);
	vs_addr_set_v4(&k->dst, dst);
	k->sport = sport;
	k->dport = dport;
	k->zone = zone;
	k->family = AF_INET;
	k->proto = proto;
}

/* --- external addresses and their port spaces ------------------------- */

static uint32_t nat_proto_lo(uint8_t proto)
{
	return proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6 ? 0 : NAT_PORT_MIN;
}

/* nat_bit_set() - Mark PORT busy in PS (mapped, published, or reserved). */
static void nat_bit_set(struct nat_pspace *ps, uint32_t port)
{
	uint32_t w = port >> 6;
	uint64_t b = 1ULL << (port & 63);

	if (ps->used[w] & b)
		return;
	ps->used[w] |= b;
	ps->n_free--;
	if (ps->used[w] == ~0ULL)
		ps->full[w >> 6] |= 1ULL << (w & 63);
}

static void nat_bit_clear(struct nat_pspace *ps, uint32_t port)
{
	uint32_t w = port >> 6;
	uint64_t b = 1ULL << (port & 63);

	if (!(ps->used[w] & b))
		return;
	ps->used[w] &= ~b;
	ps->n_free++;
	ps->full[w >> 6] &= ~(1ULL << (w & 63));
}

/**
 * nat_bit_next_free() - The first free port at or after START, wrapping
 * @ps:		port space
 * @start:	where to begin (0-65535)
 *
 * One word, then the summary of full words (NAT_PORT_WORDS / 64 of them),
 * then one more word: bounded whatever the occupancy.
 *
 * Return: the port, or -1 if none is free
 */
static int nat_bit_next_free(const struct nat_pspace *ps, uint32_t start)
{
	uint32_t w = start >> 6, ww, sw, i;
	uint64_t f = ~ps->used[w] & (~0ULL << (start & 63)), s;

	if (f)
		return (int)(w * 64 + (uint32_t)__builtin_ctzll(f));
	if (!ps->n_free)
		return -1;
	/* the next word that is not full, from w + 1 on, wrapping round
	 * (to w itself last, for its free ports below START) */
	ww = (w + 1) % NAT_PORT_WORDS;
	for (i = 0; i <= NAT_PORT_WORDS / 64; i++) {
		sw = ww / 64;
		s = ~ps->full[sw] & (~0ULL << (ww & 63));
		if (s) {
			ww = sw * 64 + (uint32_t)__builtin_ctzll(s);
			return (int)(ww * 64 + (uint32_t)__builtin_ctzll(~ps->used[ww]));
		}
		ww = ((sw + 1) % (NAT_PORT_WORDS / 64)) * 64;
	}
	return -1;
}

/* nat_pspace_init() - An empty space: the ports below the range are never
 * handed out, and published ports (TCP, UDP) are not free either. */
static void nat_pspace_init(struct nat *nat, struct nat_pspace *ps, int pi, uint8_t proto)
{
	uint32_t p;

	memset(ps->used, 0, sizeof(ps->used));
	memset(ps->full, 0, sizeof(ps->full));
	ps->n_free = 65536;
	for (p = 0; p < nat_proto_lo(proto); p++)
		nat_bit_set(ps, p);
	for (p = 0; pi < 2 && p < 65536; p++)
		if (nat->rules[pi][p])
			nat_bit_set(ps, p);
}

/**
 * nat_ext_add() - Make an uplink's address an external address
 * @ip:	the address (network order)
 *
 * SNAT through that uplink takes ports from this address's own spaces;
 * published ports answer on it.  Adding an address twice gives the same
 * index.
 *
 * Return: its index, or -1 when NAT_MAX_EXT addresses exist
 */
int nat_ext_add(struct nat *nat, uint32_t ip)
{
	union vs_addr a;

	vs_addr_set_v4(&a, ip);
	return nat_ext_add_addr(nat, &a);
}

/**
 * nat_ext_add_addr() - nat_ext_add() of an address of either family
 * @ip:	the address; an IPv6 one (the uplink's --uplink-ip6) never takes
 *	the placeholder slot 0, which stands for the IPv4 uplink to come
 *
 * Return: its index, or -1 when NAT_MAX_EXT addresses exist
 */
int nat_ext_add_addr(struct nat *nat, const union vs_addr *ip)
{
	static const uint8_t protos[NAT_N_PROTO] = { IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP };
	union vs_addr a = *ip;
	struct nat_ext *x;
	int i;

	i = nat_ext_find(nat, &a);
	if (i >= 0)
		return i;
	if (nat->ext_any && vs_addr_is_v4(&a)) {
		nat->ext_any = false;
		nat->ext[0].ip = a;
		return 0;
	}
	if (nat->n_ext >= NAT_MAX_EXT)
		return -1;
	x = &nat->ext[nat->n_ext];
	x->ip = a;
	for (i = 0; i < NAT_N_PROTO; i++)
		nat_pspace_init(nat, &x->ps[i], i, protos[i]);
	return (int)nat->n_ext++;
}

/* nat_ext_find() - The index of external address IP, or -1. */
int nat_ext_find(const struct nat *nat, const union vs_addr *ip)
{
	unsigned int i;

	for (i = nat->ext_any ? 1 : 0; i < nat->n_ext; i++)
		if (vs_addr_eq(&nat->ext[i].ip, ip))
			return (int)i;
	return -1;
}

/* nat_set_port_share() - At most SHARE ports per source and space (0:
 * only the adaptive share, see nat_src_over_share()). */
void nat_set_port_share(struct nat *nat, uint32_t share)
{
	nat->port_share = share;
}

/* --- sources: who holds how many ports ----------------------------------- */

static uint32_t nat_src_hash(struct nat *nat, uint32_t zone, const union vs_addr *ip)
{
	struct { uint32_t zone; union vs_addr ip; } k = { .zone = zone, .ip = *ip };
	_Static_assert(sizeof(k) == 20, "hashed as bytes: no padding");

	return hash_bytes(&k, sizeof(k), nat->basis ^ 0x5a5a) & (NAT_SRC_BUCKETS - 1);
}

/* nat_src_find_in() - The record of (ZONE, IP), in bucket B (its
 * nat_src_hash()), made if MAKE; NULL if absent (or, with MAKE, if
 * NAT_SRC_MAX sources hold ports already). */
static struct nat_src *nat_src_find_in(struct nat *nat, uint32_t b, uint32_t zone,
				       const union vs_addr *ip, bool make)
{
	struct nat_src *s;
	uint32_t i;

	for (i = nat->src_bucket[b]; i; i = s->next) {
		s = &nat->srcs[i - 1];
		if (s->zone == zone && vs_addr_eq(&s->ip, ip))
			return s;
	}
	if (!make)
		return NULL;
	if (nat->src_free) {
		i = nat->src_free;
		nat->src_free = nat->srcs[i - 1].next;
	} else if (nat->src_used < NAT_SRC_MAX) {
		i = ++nat->src_used;
	} else {
		return NULL;
	}
	s = &nat->srcs[i - 1];
	memset(s, 0, sizeof(*s));
	s->zone = zone;
	s->ip = *ip;
	s->next = nat->src_bucket[b];
	nat->src_bucket[b] = i;
	return s;
}

/* nat_src_find() - nat_src_find_in() of (ZONE, IP)'s bucket. */
static struct nat_src *nat_src_find(struct nat *nat, uint32_t zone, const union vs_addr *ip,
				    bool make)
{
	return nat_src_find_in(nat, nat_src_hash(nat, zone, ip), zone, ip, make);
}

/* nat_src_drop() - Free S, in bucket B (nat_src_hash() of it: the
 * caller found S there, so it is not hashed again). */
static void nat_src_drop(struct nat *nat, struct nat_src *s, uint32_t b)
{
	uint32_t *pp = &nat->src_bucket[b];
	uint32_t i = (uint32_t)(s - nat->srcs) + 1;

	for (; *pp; pp = &nat->srcs[*pp - 1].next)
		if (*pp == i) {
			*pp = s->next;
			break;
		}
	s->next = nat->src_free;
	nat->src_free = i;
}

/**
 * nat_src_over_share() - May a source take one more port of a space?
 * @held:	ports it holds there
 * @ps:		the space
 *
 * Two rules.  A fixed cap, if configured (--nat-port-share).  And an
 * adaptive one that needs no tuning: a source may hold no more ports than
 * are still free.  One container alone can so take about half of a space
 * and a second one half of the rest: whoever comes next always finds
 * ports, however many the first one asks for (audit finding 7).
 */
static bool nat_src_over_share(struct nat *nat, uint32_t held, const struct nat_pspace *ps)
{
	if (nat->port_share && held >= nat->port_share)
		return true;
	return held > ps->n_free;
}

/* --- port mappings ---------------------------------------------------- */

/* The bysource bucket of a source (keyed hash.h: sources are chosen by
 * whoever sends); the address is all 16 bytes, either family. */
static uint32_t nat_bysrc_hash(struct nat *nat, int ext, uint32_t zone, uint8_t proto,
			       const union vs_addr *ip, uint16_t port)
{
	struct { uint32_t zone; union vs_addr ip; uint16_t port; uint8_t proto, ext; } k = {
		.zone = zone, .ip = *ip, .port = port, .proto = proto, .ext = (uint8_t)ext,
	};
	_Static_assert(sizeof(k) == 24, "hashed as bytes: no padding");

	return hash_bytes(&k, sizeof(k), nat->basis) & (NAT_BYSRC_BUCKETS - 1);
}

bool nat_port_published(struct nat *nat, uint8_t proto, uint16_t port)
{
	int i = nat_proto_idx(proto);

	return i >= 0 && i < 2 && nat->rules[i][port] != NULL;
}

/* nat_port_in_snat_use() - Does a mapping hold PORT on any address? */
bool nat_port_in_snat_use(struct nat *nat, uint8_t proto, uint16_t port)
{
	int i = nat_proto_idx(proto);
	unsigned int x;

	for (x = 0; i >= 0 && x < nat->n_ext; x++)
		if (nat->ext[x].ps[i].maps[port].refs > 0)
			return true;
	return false;
}

/* nat_bysrc_find() - The source's shared mapping on a space, or NULL. */
static struct nat_mapping *nat_bysrc_find(struct nat *nat, int ext, uint32_t b, uint32_t zone,
					  uint8_t proto, const union vs_addr *ip, uint16_t port)
{
	struct nat_mapping *m;

	for (m = nat->bysrc[b]; m; m = m->hnext)
		if (m->zone == zone && vs_addr_eq(&m->ip, ip) && m->port == port &&
		    m->proto == proto && m->ext == ext)
			return m;
	return NULL;
}

/**
 * nat_mapping_choose() - The external port a source would get, pure
 * @ext:	external address (index)
 * @zone:	the source's zone
 * @proto:	IPPROTO_TCP/UDP/ICMP
 * @ip:		internal address (network order)
 * @port:	internal port or ICMP id (network order)
 * @bysource:	may reuse the source's shared mapping (false: a private
 *		mapping, used when the shared one would clash)
 * @ext_port:	set to the external port (network order)
 *
 * Changes nothing: nat_mapping_reserve() of the answer takes it.
 *
 * Return: DROP_NONE, DROP_NAT_NO_PORT if the space is exhausted, or
 * DROP_NAT_PORT_SHARE if this source holds its share of it
 */
static enum drop_reason nat_mapping_choose(struct nat *nat, int ext, uint32_t zone, uint8_t proto,
					   const union vs_addr *ip, uint16_t port,
					   bool bysource, uint16_t *ext_port)
{
	int pi = nat_proto_idx(proto), p;
	uint32_t b, span, lo = nat_proto_lo(proto);
	const struct nat_mapping *m;
	const struct nat_src *s;
	struct nat_pspace *ps;

	if (pi < 0 || ext < 0 || (unsigned int)ext >= nat->n_ext)
		return DROP_NAT_NO_PORT;
	ps = &nat->ext[ext].ps[pi];
	b = nat_bysrc_hash(nat, ext, zone, proto, ip, port);
	/* 1) endpoint-independent: the source's existing mapping */
	m = bysource ? nat_bysrc_find(nat, ext, b, zone, proto, ip, port) : NULL;
	if (m) {
		*ext_port = htons(m->ext_port);
		return DROP_NONE;
	}
	if (!ps->n_free)
		return DROP_NAT_NO_PORT;
	s = nat_src_find(nat, zone, ip, false);
	if (s && nat_src_over_share(nat, s->held[ext][pi], ps))
		return DROP_NAT_PORT_SHARE;
	/* 2) port preservation */
	p = ntohs(port);
	if (!(ps->used[p >> 6] & (1ULL << (p & 63))))
		goto take;
	/* 3) the first free port from a start that depends on the source */
	span = 65536 - lo;
	p = nat_bit_next_free(ps, lo + (b ^ (uint32_t)(nat->basis >> 7)) % span);
	if (p < 0)
		return DROP_NAT_NO_PORT;
take:
	*ext_port = htons((uint16_t)p);
	return DROP_NONE;
}

/**
 * nat_mapping_get() - Find or make the external port for an internal source
 * @ext:	external address (index)
 * @zone:	the source's zone
 * @proto:	IPPROTO_TCP/UDP/ICMP
 * @ip:		internal address (network order)
 * @port:	internal port or ICMP id (network order)
 * @bysource:	reuse/register in the bysource table (false: a private
 *		mapping, used when the shared one would clash)
 * @ext_port:	set to the external port (network order)
 *
 * nat_mapping_choose(), then nat_mapping_reserve() of its choice.  The
 * caller holds a reference afterwards (nat_mapping_put() drops it).
 *
 * Return: the mapping, or NULL if no port is left to this source
 */
struct nat_mapping *nat_mapping_get(struct nat *nat, int ext, uint32_t zone, uint8_t proto,
				    const union vs_addr *ip, uint16_t port, bool bysource,
				    uint16_t *ext_port)
{
	enum drop_reason r = nat_mapping_choose(nat, ext, zone, proto, ip, port, bysource,
						ext_port);

	if (r != DROP_NONE) {
		if (r == DROP_NAT_PORT_SHARE)
			nat->stats.share_denied++;
		else
			nat->stats.no_port++;
		return NULL;
	}
	return nat_mapping_reserve(nat, ext, zone, proto, ip, port, *ext_port, bysource);
}

/* nat_mapping_take() - Make M a new mapping on space PS and count it to
 * its source; false if no source record is left (then nothing changed).
 * B: TMPL's bysource bucket, which the caller hashed already. */
static bool nat_mapping_take(struct nat *nat, struct nat_pspace *ps, struct nat_mapping *m,
			     const struct nat_mapping *tmpl, int pi, uint32_t b)
{
	struct nat_src *s = nat_src_find(nat, tmpl->zone, &tmpl->ip, true);

	if (!s)
		return false;
	s->held[tmpl->ext][pi]++;
	s->total++;
	*m = *tmpl;
	nat_bit_set(ps, m->ext_port);
	if (m->bysource) {
		m->hnext = nat->bysrc[b];
		nat->bysrc[b] = m;
	}
	return true;
}

/**
 * nat_mapping_reserve() - Take a given external port for a restored entry
 * @ext:	external address (index)
 * @zone:	the source's zone
 * @proto:	IPPROTO_TCP/UDP/ICMP
 * @ip:		internal address (network order)
 * @port:	internal port or ICMP id (network order)
 * @ext_port:	the external port the connection had (network order)
 * @bysource:	the mapping was the source's shared one (else private)
 *
 * The connection's peer knows it by @ext_port, so no other port will do:
 * the port is shared only with the same source's same kind of mapping,
 * and never taken when it is published now.  Reserved ports are then
 * busy for nat_mapping_get() as any other (no collision with new flows).
 * No share applies: the connection exists already.
 *
 * Return: the mapping with a reference held, or NULL if the port is out
 * of the range, published, or held by another source
 */
struct nat_mapping *nat_mapping_reserve(struct nat *nat, int ext, uint32_t zone, uint8_t proto,
					const union vs_addr *ip, uint16_t port,
					uint16_t ext_port, bool bysource)
{
	int pi = nat_proto_idx(proto);
	uint32_t p = ntohs(ext_port), b;
	struct nat_pspace *ps;
	struct nat_mapping *m;

	if (pi < 0 || ext < 0 || (unsigned int)ext >= nat->n_ext || p < nat_proto_lo(proto))
		return NULL;
	ps = &nat->ext[ext].ps[pi];
	m = &ps->maps[p];
	if (m->refs) {
		/* private mappings belong to one connection each */
		if (!bysource || !m->bysource || m->zone != zone || !vs_addr_eq(&m->ip, ip) ||
		    m->port != port || m->proto != proto)
			return NULL;
		m->refs++;
		return m;
	}
	if (ps->used[p >> 6] & (1ULL << (p & 63)))
		return NULL;     /* published */
	/* one shared mapping per source: a second one would split EIM */
	b = nat_bysrc_hash(nat, ext, zone, proto, ip, port);
	if (bysource && nat_bysrc_find(nat, ext, b, zone, proto, ip, port))
		return NULL;
	if (!nat_mapping_take(nat, ps, m, &(struct nat_mapping){ .zone = zone, .ip = *ip,
			.port = port, .ext_port = (uint16_t)p, .proto = proto,
			.bysource = bysource, .ext = (uint8_t)ext, .refs = 1 }, pi, b))
		return NULL;
	return m;
}

/* nat_mapping_put() - Drop a reference; the last frees the port (unless
 * it is published meanwhile) and the source's count. */
void nat_mapping_put(struct nat *nat, struct nat_mapping *m)
{
	struct nat_mapping **pp;
	struct nat_src *s;
	uint32_t b;
	int pi;

	if (!m || --m->refs)
		return;
	pi = nat_proto_idx(m->proto);
	if (!nat_port_published(nat, m->proto, m->ext_port))
		nat_bit_clear(&nat->ext[m->ext].ps[pi], m->ext_port);
	b = nat_src_hash(nat, m->zone, &m->ip);
	s = nat_src_find_in(nat, b, m->zone, &m->ip, false);
	if (s) {
		s->held[m->ext][pi]--;
		if (!--s->total)
			nat_src_drop(nat, s, b);
	}
	if (!m->bysource)
		return;
	pp = &nat->bysrc[nat_bysrc_hash(nat, m->ext, m->zone, m->proto, &m->ip, m->port)];
	for (; *pp; pp = &(*pp)->hnext)
		if (*pp == m) {
			*pp = m->hnext;
			break;
		}
	m->bysource = 0;
}

static void nat_ct_free(void *arg, struct ct_entry *e)
{
	nat_mapping_put(arg, e->map);
	e->map = NULL;
}

/* --- published ports (DNAT rules) -------------------------------------- */

/* nat_rule_mark() - A published port is busy on every address's space;
 * unpublished, it is free again where no mapping holds it. */
static void nat_rule_mark(struct nat *nat, int pi, uint32_t port, bool published)
{
	unsigned int x;

	for (x = 0; x < nat->n_ext; x++) {
		struct nat_pspace *ps = &nat->ext[x].ps[pi];

		if (published)
			nat_bit_set(ps, port);
		else if (!ps->maps[port].refs && port >= NAT_PORT_MIN)
			nat_bit_clear(ps, port);
	}
}

/**
 * nat_rule_add() - Install a published range
 * @r:		rule; must stay valid until nat_rule_del() of each port
 * @err:	one-line reason on failure
 * @errlen:	size of @err
 *
 * Return: 0, or -1 if a port of the range is published already
 */
int nat_rule_add(struct nat *nat, const struct nat_rule *r, char *err, size_t errlen)
{
	int pi = nat_proto_idx(r->proto);
	uint32_t i;

	if (pi < 0 || pi > 1 || r->count == 0 ||
	    (uint32_t)r->host_port + r->count - 1 > 65535) {
		snprintf(err, errlen, "invalid port range");
		return -1;
	}
	for (i = 0; i < r->count; i++)
		if (nat->rules[pi][r->host_port + i]) {
			snprintf(err, errlen, "host port %u/%s is already published",
				 r->host_port + i, r->proto == IPPROTO_TCP ? "tcp" : "udp");
			return -1;
		}
	for (i = 0; i < r->count; i++) {
		nat->rules[pi][r->host_port + i] = r;
		nat_rule_mark(nat, pi, r->host_port + i, true);
	}
	return 0;
}

/* Remove the rule covering HOST_PORT (all its ports); 0 or -1. */
int nat_rule_del(struct nat *nat, uint8_t proto, uint16_t host_port)
{
	int pi = nat_proto_idx(proto);
	const struct nat_rule *r;
	uint32_t i;

	if (pi < 0 || pi > 1 || !(r = nat->rules[pi][host_port]))
		return -1;
	for (i = 0; i < r->count; i++) {
		nat->rules[pi][r->host_port + i] = NULL;
		nat_rule_mark(nat, pi, r->host_port + i, false);
	}
	return 0;
}

const struct nat_rule *nat_rule_find(struct nat *nat, uint8_t proto, uint16_t host_port)
{
	int pi = nat_proto_idx(proto);

	return pi >= 0 && pi < 2 ? nat->rules[pi][host_port] : NULL;
}

/* nat_rule_target() - Where a published port leads now: the container's
 * first endpoint on a non-internal network (resolved per new connection,
 * so reconnecting the container to another address needs no re-publish). */
static bool nat_rule_target(struct nat *nat, const struct nat_rule *r, uint16_t host_port,
			    bool v6, uint32_t *zone, union vs_addr *ip, uint16_t *cport)
{
	struct container *c;
	struct endpoint *ep;

	*cport = htons((uint16_t)(r->cport + (host_port - r->host_port)));
	if (!r->ctr[0]) {
		*zone = r->fixed_zone;
		*ip = r->fixed_ip;
		return true;
	}
	c = model_container_in(nat->model, r->ctr);
	if (!c)
		return false;
	/* IPv6: the first such endpoint that has an IPv6 address */
	LIST_FOREACH(ep, &c->endpoints, ctr_link)
		if (!ep->net->internal && (!v6 || ep->net->ipv6)) {
			*zone = nat_zone_of(nat, ep->net);
			*ip = v6 ? ep->ip6 : ep->ip;
			return *zone != CT_ZONE_OUTSIDE;
		}
	return false;
}

struct nat_match_port {
	uint8_t proto;
	uint16_t port;       /* network order */
	const struct nat *nat;
};

/* To PORT on one of our external addresses, in either tuple. */
static bool nat_shadows_port(const struct ct_entry *e, void *arg)
{
	const struct nat_match_port *m = arg;
	const struct ct_key *r = &e->n[CT_DIR_REPLY].key;
	const struct ct_key *o = &e->n[CT_DIR_ORIG].key;

	if (e->proto != m->proto)
		return false;
	return (r->zone == CT_ZONE_OUTSIDE && r->dport == m->port &&
		nat_ext_find(m->nat, &r->dst) >= 0) ||
	       (o->zone == CT_ZONE_OUTSIDE && o->dport == m->port &&
		nat_ext_find(m->nat, &o->dst) >= 0);
}

/**
 * nat_flush_port() - Drop entries that would shadow a newly published port
 * @proto:	protocol
 * @port:	host port (host order)
 *
 * A UDP "connection" to uplink-ip:port made before the port was published
 * (or an SNAT mapping using it as external port) would otherwise keep
 * catching the packets (Docker flushes conntrack for the same reason).
 *
 * Return: entries removed
 */
unsigned int nat_flush_port(struct nat *nat, uint8_t proto, uint16_t port)
{
	struct nat_match_port m = { proto, htons(port), nat };

	return ct_flush(nat->ct, nat_shadows_port, &m);
}

struct nat_match_ep {
	uint32_t zone;
	union vs_addr ip;
};

static bool nat_uses_ep(const struct ct_entry *e, void *arg)
{
	const struct nat_match_ep *m = arg;
	int d;

	for (d = 0; d < 2; d++) {
		const struct ct_key *k = &e->n[d].key;

		if (k->zone == m->zone && vs_addr_eq(&k->src, &m->ip))
			return true;
	}
	return false;
}

void nat_endpoint_gone(struct nat *nat, struct endpoint *ep)
{
	struct nat_match_ep m;
	struct nat_zone *z;

	HASH_FIND_STR(nat->zone_by_name, ep->net->name, z);
	if (!z)
		return;
	m.zone = (uint32_t)(z - nat->zones);
	m.ip = ep->ip;
	ct_flush(nat->ct, nat_uses_ep, &m);
	if (!vs_addr_is_any(&ep->ip6)) {
		m.ip = ep->ip6;
		ct_flush(nat->ct, nat_uses_ep, &m);
	}
}

/* --- rewriting --------------------------------------------------------- */

/* nat_l4_csum_addr() - Fold an address change into the L4 checksum at CS:
 * full checksums take RFC 1624's update; a partial one (offload pending)
 * holds the uncomplemented pseudo-header sum, so it moves the other way. */
static void nat_l4_csum_addr(uint16_t *cs, uint32_t old, uint32_t new_,
			     bool partial)
{
	if (partial) {
		uint16_t c = (uint16_t)~*cs;

		csum_update32(&c, old, new_);
		*cs = (uint16_t)~c;
	} else {
		csum_update32(cs, old, new_);
	}
}

/* nat_l4_csum_addr6() - The same for a 16-byte address: its changed
 * 32-bit words, each folded in as RFC 1624 does two 16-bit ones. */
static void nat_l4_csum_addr6(uint16_t *cs, const union vs_addr *old, const union vs_addr *new_,
			      bool partial)
{
	int i;

	for (i = 0; i < 4; i++)
		if (old->w[i] != new_->w[i])
			nat_l4_csum_addr(cs, old->w[i], new_->w[i], partial);
}

/* nat_l4_fields6() - The checksum and port fields of P's upper-layer
 * header (TCP, UDP, ICMPv6 echo: its id), or all NULL. */
static void nat_l4_fields6(struct pkt *p, uint16_t **cs, uint16_t **sp, uint16_t **dp)
{
	*cs = *sp = *dp = NULL;
	if (p->l4_ofs == PKT_OFS_NONE)
		return;
	if (p->ip_proto == IPPROTO_TCP && pkt_header(p, p->l4_ofs, sizeof(struct tcphdr))) {
		struct tcphdr *th = pkt_l4(p);

		*cs = &th->check, *sp = &th->source, *dp = &th->dest;
	} else if (p->ip_proto == IPPROTO_UDP && pkt_header(p, p->l4_ofs, sizeof(struct udphdr))) {
		struct udphdr *uh = pkt_l4(p);

		*cs = &uh->check, *sp = &uh->source, *dp = &uh->dest;
	} else if (p->ip_proto == IPPROTO_ICMPV6 &&
		   pkt_header(p, p->l4_ofs, sizeof(struct icmp6_hdr))) {
		struct icmp6_hdr *ih = pkt_l4(p);

		*cs = &ih->icmp6_cksum;
		if (ih->icmp6_type == ICMP6_ECHO_REQUEST || ih->icmp6_type == ICMP6_ECHO_REPLY)
			*sp = &ih->icmp6_id;
	}
}

/**
 * nat_rewrite6() - Make P's IPv6 addresses and ports those of tuple T
 * @p:	parsed IPv6 packet; L4 may be absent (a later fragment)
 * @t:	target tuple
 *
 * No header checksum; the L4 checksum (ICMPv6's too) covers the
 * pseudo-header, so the address words go into it, and the ports or echo
 * id unless the checksum is partial (offload: it holds only the
 * pseudo-header sum, and the device sums the rest).  UDP's zero means
 * "no checksum" only in IPv4, so a sum that comes out zero is written
 * 0xffff (RFC 768, RFC 8200 8.1).
 */
static void nat_rewrite6(struct pkt *p, const struct ct_key *t)
{
	struct ip6_hdr *ip6 = pkt_l3(p);
	bool partial = p->flags & PKT_F_CSUM_PARTIAL;
	uint16_t *l4cs, *sp, *dp;
	union vs_addr osrc, odst;

	memcpy(&osrc, &ip6->ip6_src, 16);
	memcpy(&odst, &ip6->ip6_dst, 16);
	nat_l4_fields6(p, &l4cs, &sp, &dp);
	if (l4cs) {
		nat_l4_csum_addr6(l4cs, &osrc, &t->src, partial);
		nat_l4_csum_addr6(l4cs, &odst, &t->dst, partial);
		if (!partial && sp)
			csum_update16(l4cs, *sp, t->sport);
		if (!partial && dp)
			csum_update16(l4cs, *dp, t->dport);
		if (p->ip_proto == IPPROTO_UDP && *l4cs == 0 && !partial)
			*l4cs = 0xffff;
	}
	if (sp)
		*sp = t->sport;
	if (dp)
		*dp = t->dport;
	memcpy(&ip6->ip6_src, &t->src, 16);
	memcpy(&ip6->ip6_dst, &t->dst, 16);
}

/**
 * nat_rewrite() - Make P's addresses and ports those of tuple T
 * @p:	parsed IPv4 or IPv6 packet; L4 may be absent (non-first fragment)
 * @t:	target tuple (src, dst, sport, dport as the packet must leave)
 */
void nat_rewrite(struct pkt *p, const struct ct_key *t)
{
	struct iphdr *ip = pkt_l3(p);
	uint32_t nsrc = nat_key_ip4(&t->src), ndst = nat_key_ip4(&t->dst);
	bool partial = p->flags & PKT_F_CSUM_PARTIAL;
	uint16_t *l4cs = NULL, *sp = NULL, *dp = NULL;
	bool udp_nocs = false, pseudo = true;

	if (p->eth_type == ETH_P_IPV6) {
		nat_rewrite6(p, t);
		return;
	}
	if (p->l4_ofs != PKT_OFS_NONE) {
		if (ip->protocol == IPPROTO_TCP &&
		    pkt_header(p, p->l4_ofs, sizeof(struct tcphdr))) {
			struct tcphdr *th = pkt_l4(p);

			l4cs = &th->check, sp = &th->source, dp = &th->dest;
		} else if (ip->protocol == IPPROTO_UDP &&
			   pkt_header(p, p->l4_ofs, sizeof(struct udphdr))) {
			struct udphdr *uh = pkt_l4(p);

			l4cs = &uh->check, sp = &uh->source, dp = &uh->dest;
			udp_nocs = uh->check == 0 && !partial;
		} else if (ip->protocol == IPPROTO_ICMP &&
			   pkt_header(p, p->l4_ofs, sizeof(struct icmphdr))) {
			struct icmphdr *ih = pkt_l4(p);

			/* echo: the id is both "ports"; no pseudo-header */
			l4cs = &ih->checksum, sp = &ih->un.echo.id;
			pseudo = false;
		}
	}
	if (l4cs && !udp_nocs) {
		if (pseudo) {
			nat_l4_csum_addr(l4cs, ip->saddr, nsrc, partial);
			nat_l4_csum_addr(l4cs, ip->daddr, ndst, partial);
		}
		if (!partial || !pseudo) {
			csum_update16(l4cs, *sp, t->sport);
			if (dp)
				csum_update16(l4cs, *dp, t->dport);
		}
		if (ip->protocol == IPPROTO_UDP && *l4cs == 0 && !partial)
			*l4cs = 0xffff;
	}
	if (sp)
		*sp = t->sport;
	if (dp)
		*dp = t->dport;
	csum_update32(&ip->check, ip->saddr, nsrc);
	csum_update32(&ip->check, ip->daddr, ndst);
	ip->saddr = nsrc;
	ip->daddr = ndst;
}

/* --- the datapath -------------------------------------------------------- */

/**
 * nat_pkt_key() - Build the tuple of P as seen in ZONE
 * @p:		parsed IPv4 (or IPv6) packet with its L4 header
 * @zone:	zone it was seen in
 * @k:		filled
 * @is_error:	set when P is an ICMP error (handled by nat_icmp.c)
 *
 * Return: DROP_NONE, or why P cannot be tracked
 */
/**
 * nat_pkt_key6() - nat_pkt_key() of an IPv6 packet
 * @p:		parsed IPv6 packet (parse.c found its upper-layer header)
 *
 * ICMPv6 errors (types 1-4) go to nat_icmp6_error(); echo is tracked by
 * its id; other ICMPv6 (neighbour discovery...) is the router ports'.
 *
 * Return: DROP_NONE, or why P cannot be tracked
 */
static enum drop_reason nat_pkt_key6(const struct pkt *p, uint32_t zone,
				     struct ct_key *k, bool *is_error)
{
	const struct ip6_hdr *ip6 = pkt_l3(p);
	union vs_addr src, dst;
	uint16_t sport, dport;

	*is_error = false;
	if (p->l4_ofs == PKT_OFS_NONE)
		return DROP_BAD_L4;     /* truncated, or a chain parse.c could not walk */
	if (p->ip_proto == IPPROTO_TCP || p->ip_proto == IPPROTO_UDP) {
		const uint16_t *ports = pkt_header(p, p->l4_ofs, 4);

		if (!ports)
			return DROP_BAD_L4;
		sport = ports[0];
		dport = ports[1];
	} else if (p->ip_proto == IPPROTO_ICMPV6) {
		const struct icmp6_hdr *ih = pkt_header(p, p->l4_ofs, sizeof(*ih));

		if (!ih)
			return DROP_BAD_L4;
		if (ih->icmp6_type >= ICMP6_DST_UNREACH && ih->icmp6_type <= ICMP6_PARAM_PROB) {
			*is_error = true;
			return DROP_NONE;
		}
		if (ih->icmp6_type != ICMP6_ECHO_REQUEST && ih->icmp6_type != ICMP6_ECHO_REPLY)
			return DROP_UNSUPPORTED;
		sport = dport = ih->icmp6_id;
	} else {
		return DROP_UNSUPPORTED;
	}
	memcpy(&src, &ip6->ip6_src, 16);
	memcpy(&dst, &ip6->ip6_dst, 16);
	nat_key_make(k, zone, p->ip_proto, &src, &dst, sport, dport);
	return DROP_NONE;
}

static enum drop_reason nat_pkt_key(const struct pkt *p, uint32_t zone,
				    struct ct_key *k, bool *is_error)
{
	const struct iphdr *ip = pkt_l3(p);
	uint16_t sport, dport;

	if (p->eth_type == ETH_P_IPV6)
		return nat_pkt_key6(p, zone, k, is_error);
	*is_error = false;
	if (ip->protocol == IPPROTO_TCP || ip->protocol == IPPROTO_UDP) {
		/* the ports sit at the same offsets in both headers */
		const uint16_t *ports = pkt_header(p, p->l4_ofs, 4);

		if (!ports)
			return DROP_BAD_L4;
		sport = ports[0];
		dport = ports[1];
	} else if (ip->protocol == IPPROTO_ICMP) {
		const struct icmphdr *ih = pkt_header(p, p->l4_ofs, sizeof(*ih));

		if (!ih)
			return DROP_BAD_L4;
		if (ih->type == ICMP_DEST_UNREACH || ih->type == ICMP_TIME_EXCEEDED ||
		    ih->type == ICMP_PARAMETERPROB) {
			*is_error = true;
			return DROP_NONE;
		}
		if (ih->type != ICMP_ECHO && ih->type != ICMP_ECHOREPLY)
			return DROP_UNSUPPORTED;
		sport = dport = ih->un.echo.id;
	} else {
		return DROP_UNSUPPORTED;
	}
	nat_key_from_ip4(k, zone, ip->protocol, ip->saddr, ip->daddr, sport, dport);
	return DROP_NONE;
}

/**
 * nat_plan_dnat() - Step 1) or 2): the published port a key is for
 * @k:		the first packet's tuple
 * @plan:	rule and target filled; why set on refusal
 *
 * Return: false when the packet is refused (plan->why says why)
 */
static bool nat_plan_dnat(struct nat *nat, const struct ct_key *k, struct nat_plan *plan)
{
	const union vs_addr *dst = &k->dst;
	bool via_host = !vs_addr_is_any(&nat->host_ip) && vs_addr_eq(dst, &nat->host_ip) &&
			k->zone == CT_ZONE_OUTSIDE;
	int x = nat_ext_find(nat, dst);
	const struct nat_rule *r;

	if ((x < 0 && !via_host) || k->proto == IPPROTO_ICMP || k->proto == IPPROTO_ICMPV6)
		return true;	/* not to us: no DNAT */
	/* a hairpin's SNAT half answers from the address it was sent to */
	if (x >= 0)
		plan->ext_idx = (uint8_t)x;
	r = nat_rule_find(nat, k->proto, ntohs(k->dport));
	/* a rule bound to one host IP is reached only there: an uplink
	 * address, or (127.0.0.1) only through the proxy, i.e. the host leg */
	if (r && !vs_addr_is_any(&r->host_ip) && !vs_addr_eq(&r->host_ip, dst) && !via_host)
		r = NULL;
	if (!r || !nat_rule_target(nat, r, ntohs(k->dport), k->family == AF_INET6, &plan->tzone,
				   &plan->tip, &plan->tport)) {
		plan->why = DROP_NOT_FOR_US;
		return false;
	}
	plan->rule = r;
	return true;
}

/* The reply tuple of the planned entry: from the DNAT target (to the
 * client, or to the uplink IP for a hairpin), else from the destination
 * to the uplink IP's external port. */
static void nat_plan_reply(struct nat *nat, const struct ct_key *k, struct nat_plan *plan)
{
	union vs_addr up;

	if (plan->ext_idx < nat->n_ext)
		up = nat->ext[plan->ext_idx].ip;
	else if (k->family == AF_INET)
		vs_addr_set_v4(&up, 0);
	else
		memset(&up, 0, sizeof(up));
	if (plan->rule)
		nat_key_make(&plan->reply, plan->tzone, k->proto, &plan->tip,
			     k->zone != CT_ZONE_OUTSIDE ? &up : &k->src, plan->tport, plan->ext);
	else
		nat_key_make(&plan->reply, CT_ZONE_OUTSIDE, k->proto, &k->dst, &up, k->dport,
			     plan->ext);
	if (k->proto == IPPROTO_ICMP || k->proto == IPPROTO_ICMPV6)
		plan->reply.sport = plan->reply.dport = plan->ext;
}

/**
 * nat_plan_snat() - Step 3) (and the hairpin's second half): the port
 * @k:		the first packet's tuple, from a network's zone
 * @plan:	ext, ext_shared and reply filled; why set on refusal
 *
 * The source's shared mapping first; if the reply tuple it gives clashes
 * with another connection's (two published ports to one container port),
 * a private port for this connection.
 *
 * Return: false when no port is left
 */
static bool nat_plan_snat(struct nat *nat, const struct ct_key *k, struct nat_plan *plan)
{
	/* IPv6 leaves only from an IPv6 external address (the route chose
	 * an uplink with --uplink-ip6); IPv4 keeps its placeholder 0.0.0.0 */
	if (k->family == AF_INET6 && (plan->ext_idx >= nat->n_ext ||
				      vs_addr_is_v4(&nat->ext[plan->ext_idx].ip))) {
		plan->why = DROP_NO_ROUTE;
		return false;
	}
	plan->ext_shared = true;
	plan->why = nat_mapping_choose(nat, plan->ext_idx, k->zone, k->proto, &k->src, k->sport,
				       true, &plan->ext);
	if (plan->why != DROP_NONE)
		return false;
	nat_plan_reply(nat, k, plan);
	if (!ct_lookup(nat->ct, &plan->reply, NULL))
		return true;
	plan->ext_shared = false;
	plan->why = nat_mapping_choose(nat, plan->ext_idx, k->zone, k->proto, &k->src, k->sport,
				       false, &plan->ext);
	if (plan->why != DROP_NONE)
		return false;
	nat_plan_reply(nat, k, plan);
	return true;
}

/**
 * nat_plan_routed() - Step 3) for a routed6 network: no translation
 * @k:		the first packet's tuple (from a network's zone)
 * @plan:	kind, reply tuple and zone filled when it applies
 *
 * An IPv6 connection from a network in routed mode leaves with the
 * container's own address: the entry is the plain inverse of the tuple,
 * with the reply seen outside, so the answer (and only the answer) comes
 * back in; no port is taken.
 *
 * Return: true if K's network is routed6
 */
static bool nat_plan_routed(struct nat *nat, const struct ct_key *k, struct nat_plan *plan)
{
	const struct network *n;

	if (k->family != AF_INET6)
		return false;
	n = nat_zone_network(nat, k->zone);
	if (!n || !n->routed6)
		return false;
	plan->kind = NAT_PLAN_ROUTED;
	ct_key_invert(k, &plan->reply);
	plan->reply.zone = CT_ZONE_OUTSIDE;
	plan->zone = k->zone;
	return true;
}

/**
 * nat_plan() - Decide what a connection's first packet gets, changing nothing
 * @k:		its tuple
 * @l4:		its L4 header (conntrack checks it can open a connection)
 * @l4len:	bytes at @l4
 * @plan:	filled: kind, rule and target, external port, reply tuple,
 *		the zone the entry lives in; or why the packet is refused
 *
 * The steps of this file's header, in order: 1) 2) a published port on
 * the uplink IP (or the host leg) gives DNAT, and from a network also
 * SNAT (hairpin); a port published on another host IP (127.0.0.1) is not
 * reachable there; 3) from a network anywhere else, SNAT.  Outside to
 * outside is not ours.  nat_new_conn() commits the plan; vsctl trace
 * (through nat_process() of a dry-run packet) shows it.
 *
 * nat_plan() plans as if the route chose the first external address;
 * nat_plan_via() is told which one the route chose (@via, an index from
 * nat_ext_add(), or NAT_EXT_NONE): SNAT takes its port there, while a
 * published port answers on whichever address it was reached at.
 *
 * Return: DROP_NONE, or the reason the packet cannot open a connection
 */
enum drop_reason nat_plan(struct nat *nat, const struct ct_key *k, const void *l4, uint32_t l4len,
			  struct nat_plan *plan)
{
	return nat_plan_via(nat, k, 0, l4, l4len, plan);
}

enum drop_reason nat_plan_via(struct nat *nat, const struct ct_key *k, int via, const void *l4,
			      uint32_t l4len, struct nat_plan *plan)
{
	memset(plan, 0, sizeof(*plan));
	plan->ext = k->sport;
	plan->ext_idx = (uint8_t)(via >= 0 && via < (int)nat->n_ext ? via : NAT_EXT_NONE);
	if (!nat_plan_dnat(nat, k, plan))
		return plan->why;
	if (k->zone == CT_ZONE_OUTSIDE && !plan->rule)
		return plan->why = DROP_NOT_FOR_US;   /* outside to outside: not ours */
	/* Refuse what cannot open a connection before spending a port on it
	 * (a flood of stray ACKs must not cost a port search each). */
	if (!ct_l4(k->proto) || !ct_l4(k->proto)->valid_new(l4, l4len))
		return plan->why = DROP_CT_INVALID;
	plan->kind = !plan->rule ? NAT_PLAN_SNAT : k->zone == CT_ZONE_OUTSIDE ?
		     NAT_PLAN_DNAT : NAT_PLAN_HAIRPIN;
	if (plan->kind == NAT_PLAN_SNAT && nat_plan_routed(nat, k, plan))
		return DROP_NONE;
	if (plan->kind != NAT_PLAN_DNAT && !nat_plan_snat(nat, k, plan))
		return plan->why;
	if (plan->kind == NAT_PLAN_DNAT)
		nat_plan_reply(nat, k, plan);
	plan->zone = plan->kind == NAT_PLAN_DNAT ? plan->tzone : k->zone;
	return DROP_NONE;
}

/**
 * nat_new_conn() - Commit nat_plan() for a first packet: the entry
 * @p:		the packet
 * @k:		its tuple
 * @why:	drop reason on failure
 *
 * Return: the new entry, or NULL
 */
static struct ct_entry *nat_new_conn(struct nat *nat, struct pkt *p, const struct ct_key *k,
				     int via, enum drop_reason *why)
{
	struct nat_mapping *m = NULL;
	struct nat_plan plan;
	struct ct_entry *e;

	*why = nat_plan_via(nat, k, via, pkt_l4(p), p->len - p->l4_ofs, &plan);
	if (*why == DROP_NAT_NO_PORT)
		nat->stats.no_port++;
	else if (*why == DROP_NAT_PORT_SHARE)
		nat->stats.share_denied++;
	if (*why != DROP_NONE)
		return NULL;
	if (plan.kind != NAT_PLAN_DNAT && plan.kind != NAT_PLAN_ROUTED) {
		m = nat_mapping_reserve(nat, plan.ext_idx, k->zone, k->proto, &k->src, k->sport,
					plan.ext, plan.ext_shared);
		if (!m) {	/* cannot happen: the plan chose a free port */
			*why = DROP_NAT_NO_PORT;
			return NULL;
		}
	}
	e = ct_insert(nat->ct, k, &plan.reply, plan.zone, pkt_l4(p), p->len - p->l4_ofs, why);
	if (!e) {
		nat_mapping_put(nat, m);
		return NULL;
	}
	e->map = m;
	e->flags |= (uint8_t)((plan.rule ? CT_F_DNAT : 0) | (m ? CT_F_SNAT : 0));
	if (plan.kind == NAT_PLAN_HAIRPIN)
		nat->stats.hairpin_new++;
	else if (plan.kind == NAT_PLAN_DNAT)
		nat->stats.dnat_new++;
	else
		nat->stats.snat_new++;
	return e;
}

/**
 * nat_dry_run() - nat_process() of a vsctl trace frame: show, change nothing
 * @p:		the traced packet (rewritten, as it would leave)
 * @k:		its tuple
 * @out_zone:	set to where it would leave
 *
 * An existing connection is shown as it is; otherwise nat_plan() decides,
 * exactly as for a real first packet, and nothing is committed.
 *
 * Return: DROP_NONE, or the reason the real packet would be refused
 */
static enum drop_reason nat_dry_run(struct nat *nat, struct pkt *p, const struct ct_key *k,
				    int via, uint32_t *out_zone)
{
	enum trace_nat_kind kind = TRACE_NAT_EXISTING;
	/* A trace changes nothing, counters included: the lookups below are
	 * not the datapath's (vsctl conntrack stats). */
	uint64_t lookups = nat->ct->stats.lookups, found = nat->ct->stats.found;
	struct nat_plan plan;
	struct ct_entry *e;
	enum ct_dir dir;
	struct ct_key t;

	trace_stage(p, "nat");
	e = ct_lookup(nat->ct, k, &dir);
	if (e) {
		ct_key_invert(&e->n[!dir].key, &t);
	} else {
		enum drop_reason why = nat_plan_via(nat, k, via, pkt_l4(p),
						    p->len - p->l4_ofs, &plan);

		nat->ct->stats.lookups = lookups;
		nat->ct->stats.found = found;
		if (why != DROP_NONE)
			return plan.why;
		ct_key_invert(&plan.reply, &t);
		kind = plan.kind == NAT_PLAN_SNAT || plan.kind == NAT_PLAN_ROUTED ? TRACE_NAT_SNAT :
		       plan.kind == NAT_PLAN_DNAT ? TRACE_NAT_DNAT : TRACE_NAT_HAIRPIN;
	}
	nat->ct->stats.lookups = lookups;
	nat->ct->stats.found = found;
	trace_nat(p, kind, k, &t);
	nat_rewrite(p, &t);
	*out_zone = t.zone;
	return DROP_NONE;
}

/* nat_process() - nat_process_via() on the first external address. */
enum drop_reason nat_process(struct nat *nat, struct pkt *p, uint32_t zone, uint32_t *out_zone)
{
	return nat_process_via(nat, p, zone, 0, out_zone);
}

/**
 * nat_conn() - The entry of a packet's connection, found, updated or made
 * @p:		the packet (not an ICMP error)
 * @k:		its tuple
 * @via:	as nat_process_via()
 * @dir:	set to P's direction in the entry
 * @why:	set to the reason when there is no entry
 *
 * Return: the entry, or NULL (P is dropped for *why)
 */
static struct ct_entry *nat_conn(struct nat *nat, struct pkt *p, const struct ct_key *k, int via,
				 enum ct_dir *dir, enum drop_reason *why)
{
	struct ct_entry *e = ct_lookup(nat->ct, k, dir);
	enum drop_reason r;

	if (e) {
		r = ct_update(nat->ct, e, *dir, pkt_l4(p), p->len - p->l4_ofs);
		if (r != DROP_NONE && k->proto == IPPROTO_TCP && *dir == CT_DIR_ORIG &&
		    ((const struct tcphdr *)pkt_l4(p))->syn) {
			/* a SYN the old entry refuses: start over */
			ct_remove(nat->ct, e);
			e = NULL;
		} else if (r != DROP_NONE) {
			*why = r;
			return NULL;
		}
	}
	if (!e) {
		e = nat_new_conn(nat, p, k, via, why);
		*dir = CT_DIR_ORIG;
	}
	return e;
}

/**
 * nat_process6() - Conntrack and NAT66 for one IPv6 packet
 * @p:		parsed IPv6 packet
 * @zone:	where it was seen
 * @via:	as nat_process_via()
 * @out_zone:	set to where it must leave
 *
 * Return: as nat_process_via()
 */
static enum drop_reason nat_process6(struct nat *nat, struct pkt *p, uint32_t zone, int via,
				     uint32_t *out_zone)
{
	const struct ip6_hdr *ip6 = pkt_header(p, p->l3_ofs, sizeof(*ip6));
	struct ct_key k, t;
	struct ct_entry *e;
	enum drop_reason r;
	enum ct_dir dir;
	bool is_error;

	if (!ip6 || (ip6->ip6_vfc >> 4) != 6)
		return DROP_BAD_L3;
	if (p->is_frag && p->l4_ofs == PKT_OFS_NONE)
		return nat_frag_translate(nat, p, zone, out_zone);
	r = nat_pkt_key6(p, zone, &k, &is_error);
	if (r != DROP_NONE)
		return r;
	if ((p->flags & PKT_F_DRYRUN) && !is_error)
		return nat_dry_run(nat, p, &k, via, out_zone);
	if (is_error) {
		r = nat_icmp6_error(nat, p, zone, out_zone);
		if (r == DROP_NONE)
			nat->stats.icmp_err_xlated++;
		return r;
	}
	e = nat_conn(nat, p, &k, via, &dir, &r);
	if (!e)
		return r;
	ct_key_invert(&e->n[!dir].key, &t);
	if (p->is_frag)
		nat_frag_record6(nat, p, zone, &t);
	nat_rewrite6(p, &t);
	*out_zone = t.zone;
	return DROP_NONE;
}

/**
 * nat_process_via() - Conntrack and NAT for one IPv4 or IPv6 packet
 * @p:		parsed packet (l3_ofs at an IPv4 header checked by parse.c)
 * @zone:	where it was seen: CT_ZONE_OUTSIDE or the network's zone
 * @via:	the external address (nat_ext_add() index) of the uplink the
 *		route chose, for a new SNAT connection; NAT_EXT_NONE if none
 * @out_zone:	set to where it must leave
 *
 * Return: DROP_NONE when P was translated and must be delivered in
 * *out_zone, else the reason to drop it
 */
enum drop_reason nat_process_via(struct nat *nat, struct pkt *p, uint32_t zone, int via,
				 uint32_t *out_zone)
{
	struct iphdr *ip = pkt_header(p, p->l3_ofs, sizeof(*ip));
	uint32_t old_src, old_dst;
	struct ct_key k, t;
	struct ct_entry *e;
	enum drop_reason r;
	enum ct_dir dir;
	bool is_error, first_frag;

	if (p->eth_type == ETH_P_IPV6)
		return nat_process6(nat, p, zone, via, out_zone);
	if (!ip || ip->version != 4 || ip->ihl < 5)
		return DROP_BAD_L3;
	if (ip->frag_off & htons(IP_OFFMASK))
		return nat_frag_translate(nat, p, zone, out_zone);
	first_frag = ip->frag_off & htons(IP_MF);
	if (p->l4_ofs == PKT_OFS_NONE)   /* a parser may leave fragments bare */
		p->l4_ofs = (uint16_t)(p->l3_ofs + ip->ihl * 4u);
	r = nat_pkt_key(p, zone, &k, &is_error);
	if (r != DROP_NONE)
		return r;
	if ((p->flags & PKT_F_DRYRUN) && !is_error)
		return nat_dry_run(nat, p, &k, via, out_zone);
	if (is_error) {
		r = nat_icmp_error(nat, p, zone, out_zone);
		if (r == DROP_NONE)
			nat->stats.icmp_err_xlated++;
		return r;
	}
	e = nat_conn(nat, p, &k, via, &dir, &r);
	if (!e)
		return r;
	ct_key_invert(&e->n[!dir].key, &t);
	old_src = ip->saddr;
	old_dst = ip->daddr;
	nat_rewrite(p, &t);
	*out_zone = t.zone;
	if (first_frag)
		nat_frag_record(nat, zone, ip->protocol, old_src, old_dst, ip->id,
			    ip->saddr, ip->daddr, t.zone);
	return DROP_NONE;
}

/**
 * nat_prefetch() - Warm conntrack for the packets of a burst
 * @pkts:	packets that are about to go through nat_process()
 * @n:		how many
 * @zone:	the zone they are seen in
 *
 * Builds each packet's tuple as nat_process() will and hands them to
 * ct_prefetch(), so that the lookups of a burst overlap their cache
 * misses.  Packets that cannot be tracked are skipped; nothing changes.
 */
void nat_prefetch(struct nat *nat, struct pkt *const *pkts, unsigned int n, uint32_t zone)
{
	struct ct_key keys[CT_PREFETCH_MAX];
	unsigned int i, k = 0;
	bool is_error;

	if (!ct_prefetch_useful(nat->ct))
		return;		/* a small table: not worth building the tuples */
	for (i = 0; i < n && k < CT_PREFETCH_MAX; i++) {
		const struct pkt *p = pkts[i];

		if ((p->eth_type != ETH_P_IP && p->eth_type != ETH_P_IPV6) ||
		    p->l4_ofs == PKT_OFS_NONE ||
		    p->l3_ofs == PKT_OFS_NONE)
			continue;
		if (nat_pkt_key(p, zone, &keys[k], &is_error) == DROP_NONE && !is_error)
			k++;
	}
	ct_prefetch(nat->ct, keys, k);
}
