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
 * Limits: IPv4 only for now (keys are ready for IPv6); no port parity or
 * contiguity (RFC 4787 REQ-4/5 are MAY/SHOULD).
 */
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <netinet/ip.h>
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
	nat->basis = hash_basis();
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

void nat_set_uplink_ip(struct nat *nat, uint32_t ip)
{
	nat->uplink_ip = ip;
}

void nat_set_host_ip(struct nat *nat, uint32_t ip)
{
	nat->host_ip = ip;
}

uint32_t nat_uplink_ip(struct nat *nat)
{
	return nat->uplink_ip;
}

const struct nat_stats *nat_get_stats(struct nat *nat)
{
	return &nat->stats;
}

/**
 * nat_zone_of() - The zone of a network, assigned on first sight
 * @n:	network
 *
 * Bound to the name, so a network removed and created again under the
 * same name keeps its zone (its old entries are flushed on removal by
 * nat_endpoint_gone() of each endpoint anyway).
 *
 * Return: zone, or CT_ZONE_OUTSIDE if the zone table is full
 */
uint32_t nat_zone_of(struct nat *nat, const struct network *n)
{
	struct nat_zone *z;

	HASH_FIND_STR(nat->zone_by_name, n->name, z);
	if (z)
		return (uint32_t)(z - nat->zones);
	if (!nat->n_zones)
		nat->n_zones = 1;   /* before nat_init (no uplink): keep 0 outside */
	if (nat->n_zones >= NAT_MAX_ZONES)
		return CT_ZONE_OUTSIDE;
	z = &nat->zones[nat->n_zones++];
	snprintf(z->name, sizeof(z->name), "%s", n->name);
	HASH_ADD_STR(nat->zone_by_name, name, z);
	if (!z->hh.tbl) {       /* HASH_NONFATAL_OOM: not added */
		nat->n_zones--;
		return CT_ZONE_OUTSIDE;
	}
	return (uint32_t)(z - nat->zones);
}

const char *nat_zone_name(struct nat *nat, uint32_t zone)
{
	return zone < nat->n_zones ? nat->zones[zone].name : "?";
}

struct network *nat_zone_network(struct nat *nat, uint32_t zone)
{
	if (zone == CT_ZONE_OUTSIDE || zone >= nat->n_zones)
		return NULL;
	return model_network_in(nat->model, nat->zones[zone].name);
}

void nat_key_from_ip4(struct ct_key *k, uint32_t zone, uint8_t proto,
		      uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport)
{
	memset(k, 0, sizeof(*k));
	memcpy(k->src, &src, 4);
	memcpy(k->dst, &dst, 4);
	k->sport = sport;
	k->dport = dport;
	k->zone = zone;
	k->family = AF_INET;
	k->proto = proto;
}

uint32_t nat_key_ip4(const uint8_t a[16])
{
	uint32_t ip;

	memcpy(&ip, a, 4);
	return ip;
}

/* --- port mappings ---------------------------------------------------- */

/* The bysource bucket of a source (keyed hash.h: sources are chosen by
 * whoever sends). */
static uint32_t nat_bysrc_hash(struct nat *nat, uint32_t zone, uint8_t proto, uint32_t ip,
			       uint16_t port)
{
	struct { uint32_t zone, ip; uint16_t port; uint8_t proto, pad; } k = {
		.zone = zone, .ip = ip, .port = port, .proto = proto, .pad = 0,
	};
	_Static_assert(sizeof(k) == 12, "hashed as bytes: no padding");

	return hash_bytes(&k, sizeof(k), nat->basis) & (NAT_BYSRC_BUCKETS - 1);
}

bool nat_port_published(struct nat *nat, uint8_t proto, uint16_t port)
{
	int i = nat_proto_idx(proto);

	return i >= 0 && i < 2 && nat->rules[i][port] != NULL;
}

bool nat_port_in_snat_use(struct nat *nat, uint8_t proto, uint16_t port)
{
	int i = nat_proto_idx(proto);

	return i >= 0 && nat->maps[i][port].refs > 0;
}

/* nat_port_free() - May external PORT (host order) take a new mapping? */
static bool nat_port_free(struct nat *nat, uint8_t proto, int pi, uint32_t port)
{
	if (nat->maps[pi][port].refs)
		return false;
	if (proto != IPPROTO_ICMP && nat->rules[pi][port])
		return false;
	return true;
}

/**
 * nat_mapping_choose() - The external port a source would get, pure
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
 * Return: false if the range is exhausted
 */
static bool nat_mapping_choose(struct nat *nat, uint32_t zone, uint8_t proto, uint32_t ip, uint16_t port,
			       bool bysource, uint16_t *ext_port)
{
	int pi = nat_proto_idx(proto);
	uint32_t b = nat_bysrc_hash(nat, zone, proto, ip, port), p, start, i;
	uint32_t lo = proto == IPPROTO_ICMP ? 0 : NAT_PORT_MIN, span;
	const struct nat_mapping *m;

	if (pi < 0)
		return false;
	/* 1) endpoint-independent: the source's existing mapping */
	for (m = bysource ? nat->bysrc[b] : NULL; m; m = m->hnext)
		if (m->zone == zone && m->ip == ip && m->port == port &&
		    m->proto == proto) {
			*ext_port = htons((uint16_t)(m - nat->maps[pi]));
			return true;
		}
	/* 2) port preservation */
	p = ntohs(port);
	if (p >= lo && nat_port_free(nat, proto, pi, p))
		goto take;
	/* 3) search the range from a start that depends on the source */
	span = NAT_PORT_MAX - lo + 1;
	start = (b ^ (uint32_t)(nat->basis >> 7)) % span;
	for (i = 0; i < span; i++) {
		p = lo + (start + i) % span;
		if (nat_port_free(nat, proto, pi, p))
			goto take;
	}
	return false;
take:
	*ext_port = htons((uint16_t)p);
	return true;
}

/**
 * nat_mapping_get() - Find or make the external port for an internal source
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
 * Return: the mapping, or NULL if the range is exhausted
 */
struct nat_mapping *nat_mapping_get(struct nat *nat, uint32_t zone, uint8_t proto, uint32_t ip,
				    uint16_t port, bool bysource,
				    uint16_t *ext_port)
{
	if (!nat_mapping_choose(nat, zone, proto, ip, port, bysource, ext_port)) {
		nat->stats.no_port++;
		return NULL;
	}
	return nat_mapping_reserve(nat, zone, proto, ip, port, *ext_port, bysource);
}

/**
 * nat_mapping_reserve() - Take a given external port for a restored entry
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
 *
 * Return: the mapping with a reference held, or NULL if the port is out
 * of the range, published, or held by another source
 */
struct nat_mapping *nat_mapping_reserve(struct nat *nat, uint32_t zone, uint8_t proto, uint32_t ip,
					uint16_t port, uint16_t ext_port, bool bysource)
{
	int pi = nat_proto_idx(proto);
	uint32_t p = ntohs(ext_port), b = nat_bysrc_hash(nat, zone, proto, ip, port);
	struct nat_mapping *m;

	if (pi < 0 || (proto != IPPROTO_ICMP && p < NAT_PORT_MIN))
		return NULL;
	m = &nat->maps[pi][p];
	if (m->refs) {
		/* private mappings belong to one connection each */
		if (!bysource || !m->bysource || m->zone != zone || m->ip != ip ||
		    m->port != port || m->proto != proto)
			return NULL;
		m->refs++;
		return m;
	}
	if (!nat_port_free(nat, proto, pi, p))
		return NULL;
	/* one shared mapping per source: a second one would split EIM */
	for (m = bysource ? nat->bysrc[b] : NULL; m; m = m->hnext)
		if (m->zone == zone && m->ip == ip && m->port == port && m->proto == proto)
			return NULL;
	m = &nat->maps[pi][p];
	*m = (struct nat_mapping){ .zone = zone, .ip = ip, .port = port,
				   .proto = proto, .bysource = bysource, .refs = 1 };
	if (bysource) {
		m->hnext = nat->bysrc[b];
		nat->bysrc[b] = m;
	}
	return m;
}

void nat_mapping_put(struct nat *nat, struct nat_mapping *m)
{
	struct nat_mapping **pp;

	if (!m || --m->refs)
		return;
	if (!m->bysource)
		return;
	pp = &nat->bysrc[nat_bysrc_hash(nat, m->zone, m->proto, m->ip, m->port)];
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
	for (i = 0; i < r->count; i++)
		nat->rules[pi][r->host_port + i] = r;
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
	for (i = 0; i < r->count; i++)
		nat->rules[pi][r->host_port + i] = NULL;
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
			    uint32_t *zone, uint32_t *ip, uint16_t *cport)
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
	LIST_FOREACH(ep, &c->endpoints, ctr_link)
		if (!ep->net->internal) {
			*zone = nat_zone_of(nat, ep->net);
			*ip = ep->ip;
			return *zone != CT_ZONE_OUTSIDE;
		}
	return false;
}

struct nat_match_port {
	uint8_t proto;
	uint16_t port;       /* network order */
	uint32_t ip;
};

static bool nat_shadows_port(const struct ct_entry *e, void *arg)
{
	const struct nat_match_port *m = arg;
	const struct ct_key *r = &e->n[CT_DIR_REPLY].key;
	const struct ct_key *o = &e->n[CT_DIR_ORIG].key;

	if (e->proto != m->proto)
		return false;
	return (r->zone == CT_ZONE_OUTSIDE && r->dport == m->port &&
		nat_key_ip4(r->dst) == m->ip) ||
	       (o->zone == CT_ZONE_OUTSIDE && o->dport == m->port &&
		nat_key_ip4(o->dst) == m->ip);
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
	struct nat_match_port m = { proto, htons(port), nat->uplink_ip };

	return ct_flush(nat->ct, nat_shadows_port, &m);
}

struct nat_match_ep {
	uint32_t zone, ip;
};

static bool nat_uses_ep(const struct ct_entry *e, void *arg)
{
	const struct nat_match_ep *m = arg;
	int d;

	for (d = 0; d < 2; d++) {
		const struct ct_key *k = &e->n[d].key;

		if (k->zone == m->zone && nat_key_ip4(k->src) == m->ip)
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

/**
 * nat_rewrite() - Make P's IPv4 addresses and ports those of tuple T
 * @p:	parsed IPv4 packet; L4 may be absent (non-first fragment)
 * @t:	target tuple (src, dst, sport, dport as the packet must leave)
 */
void nat_rewrite(struct pkt *p, const struct ct_key *t)
{
	struct iphdr *ip = pkt_l3(p);
	uint32_t nsrc = nat_key_ip4(t->src), ndst = nat_key_ip4(t->dst);
	bool partial = p->flags & PKT_F_CSUM_PARTIAL;
	uint16_t *l4cs = NULL, *sp = NULL, *dp = NULL;
	bool udp_nocs = false, pseudo = true;

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
 * @p:		parsed IPv4 packet with its L4 header
 * @zone:	zone it was seen in
 * @k:		filled
 * @is_error:	set when P is an ICMP error (handled by nat_icmp.c)
 *
 * Return: DROP_NONE, or why P cannot be tracked
 */
static enum drop_reason nat_pkt_key(const struct pkt *p, uint32_t zone,
				    struct ct_key *k, bool *is_error)
{
	const struct iphdr *ip = pkt_l3(p);
	uint16_t sport, dport;

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
	uint32_t dst = nat_key_ip4(k->dst);
	bool via_host = nat->host_ip && dst == nat->host_ip && k->zone == CT_ZONE_OUTSIDE;
	const struct nat_rule *r;

	if (!((nat->uplink_ip && dst == nat->uplink_ip) || via_host) ||
	    k->proto == IPPROTO_ICMP)
		return true;	/* not to us: no DNAT */
	r = nat_rule_find(nat, k->proto, ntohs(k->dport));
	/* a rule bound to another host IP (127.0.0.1) is reached only
	 * through the proxy, i.e. the host leg */
	if (r && r->host_ip && r->host_ip != nat->uplink_ip && !via_host)
		r = NULL;
	if (!r || !nat_rule_target(nat, r, ntohs(k->dport), &plan->tzone, &plan->tip,
				   &plan->tport)) {
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
	uint32_t src = nat_key_ip4(k->src);

	if (plan->rule)
		nat_key_from_ip4(&plan->reply, plan->tzone, k->proto, plan->tip,
				 k->zone != CT_ZONE_OUTSIDE ? nat->uplink_ip : src,
				 plan->tport, plan->ext);
	else
		nat_key_from_ip4(&plan->reply, CT_ZONE_OUTSIDE, k->proto, nat_key_ip4(k->dst),
				 nat->uplink_ip, k->dport, plan->ext);
	if (k->proto == IPPROTO_ICMP)
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
	plan->ext_shared = true;
	if (!nat_mapping_choose(nat, k->zone, k->proto, nat_key_ip4(k->src), k->sport, true,
				&plan->ext))
		goto no_port;
	nat_plan_reply(nat, k, plan);
	if (!ct_lookup(nat->ct, &plan->reply, NULL))
		return true;
	plan->ext_shared = false;
	if (!nat_mapping_choose(nat, k->zone, k->proto, nat_key_ip4(k->src), k->sport, false,
				&plan->ext))
		goto no_port;
	nat_plan_reply(nat, k, plan);
	return true;
no_port:
	plan->why = DROP_NAT_NO_PORT;
	return false;
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
 * Return: DROP_NONE, or the reason the packet cannot open a connection
 */
enum drop_reason nat_plan(struct nat *nat, const struct ct_key *k, const void *l4, uint32_t l4len,
			  struct nat_plan *plan)
{
	memset(plan, 0, sizeof(*plan));
	plan->ext = k->sport;
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
				     enum drop_reason *why)
{
	struct nat_mapping *m = NULL;
	struct nat_plan plan;
	struct ct_entry *e;

	*why = nat_plan(nat, k, pkt_l4(p), p->len - p->l4_ofs, &plan);
	if (*why == DROP_NAT_NO_PORT)
		nat->stats.no_port++;
	if (*why != DROP_NONE)
		return NULL;
	if (plan.kind != NAT_PLAN_DNAT) {
		m = nat_mapping_reserve(nat, k->zone, k->proto, nat_key_ip4(k->src), k->sport,
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
				    uint32_t *out_zone)
{
	enum trace_nat_kind kind = TRACE_NAT_EXISTING;
	struct nat_plan plan;
	struct ct_entry *e;
	enum ct_dir dir;
	struct ct_key t;

	trace_stage(p, "nat");
	e = ct_lookup(nat->ct, k, &dir);
	if (e) {
		ct_key_invert(&e->n[!dir].key, &t);
	} else {
		if (nat_plan(nat, k, pkt_l4(p), p->len - p->l4_ofs, &plan) != DROP_NONE)
			return plan.why;
		ct_key_invert(&plan.reply, &t);
		kind = plan.kind == NAT_PLAN_SNAT ? TRACE_NAT_SNAT :
		       plan.kind == NAT_PLAN_DNAT ? TRACE_NAT_DNAT : TRACE_NAT_HAIRPIN;
	}
	trace_nat(p, kind, k, &t);
	nat_rewrite(p, &t);
	*out_zone = t.zone;
	return DROP_NONE;
}

/**
 * nat_process() - Conntrack and NAT for one IPv4 packet
 * @p:		parsed packet (l3_ofs at an IPv4 header checked by parse.c)
 * @zone:	where it was seen: CT_ZONE_OUTSIDE or the network's zone
 * @out_zone:	set to where it must leave
 *
 * Return: DROP_NONE when P was translated and must be delivered in
 * *out_zone, else the reason to drop it
 */
enum drop_reason nat_process(struct nat *nat, struct pkt *p, uint32_t zone, uint32_t *out_zone)
{
	struct iphdr *ip = pkt_header(p, p->l3_ofs, sizeof(*ip));
	uint32_t old_src, old_dst;
	struct ct_key k, t;
	struct ct_entry *e;
	enum drop_reason r;
	enum ct_dir dir;
	bool is_error, first_frag;

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
		return nat_dry_run(nat, p, &k, out_zone);
	if (is_error) {
		r = nat_icmp_error(nat, p, zone, out_zone);
		if (r == DROP_NONE)
			nat->stats.icmp_err_xlated++;
		return r;
	}
	e = ct_lookup(nat->ct, &k, &dir);
	if (e) {
		r = ct_update(nat->ct, e, dir, pkt_l4(p), p->len - p->l4_ofs);
		if (r != DROP_NONE && k.proto == IPPROTO_TCP && dir == CT_DIR_ORIG &&
		    ((const struct tcphdr *)pkt_l4(p))->syn) {
			/* a SYN the old entry refuses: start over */
			ct_remove(nat->ct, e);
			e = NULL;
		} else if (r != DROP_NONE) {
			return r;
		}
	}
	if (!e) {
		e = nat_new_conn(nat, p, &k, &r);
		if (!e)
			return r;
		dir = CT_DIR_ORIG;
	}
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

		if (p->eth_type != ETH_P_IP || p->l4_ofs == PKT_OFS_NONE ||
		    p->l3_ofs == PKT_OFS_NONE)
			continue;
		if (nat_pkt_key(p, zone, &keys[k], &is_error) == DROP_NONE && !is_error)
			k++;
	}
	ct_prefetch(nat->ct, keys, k);
}
