/* router_port.h - an address the switch owns, and what answers for it.
 *
 * OVN calls them logical router ports: each network's gateway (gateway.c)
 * and the uplink's own address (uplink.c, both its legs) are an IPv4
 * address with a MAC, and must behave alike towards whoever talks to
 * them: answer ARP for the address (RFC 826), answer ICMP echo after one
 * and the same set of checks (RFC 792, checksum and lengths verified),
 * send ICMP errors built one way (RFC 792/1191/1812, quoted and rate
 * limited), and decrement TTL the way a router does (RFC 1812, RFC 1624
 * checksum update).  This module is that behaviour; its callers keep only
 * what is theirs: routing and DNS hand-off (gateway), next-hop
 * resolution and NAT hand-off (uplink).
 *
 * A router port is a small value, not an object with a lifetime: the
 * caller describes the address at hand (struct router_port, on its stack,
 * naming its datapath) and passes the frame that came for it.  Replies
 * are built in the datapath's scratch buffer (struct router_port_state,
 * in struct dp, with the ICMP rate limits) and leave by the port the request came in on,
 * through egress_output() and flagged PKT_F_LOCAL (--no-icc lets them
 * through); under vsctl trace they are noted instead of sent.  Drops are
 * counted on that same port with a reason.
 *
 * IPv6 lands here and nowhere else: struct router_port has the IPv6
 * address and its link-local one, and router_port_v6_input() answers
 * neighbour solicitations for them (RFC 4861, DAD included) and ICMPv6
 * echo (RFC 4443, checksum over the pseudo-header checked), beside
 * router_port_arp_input() and router_port_echo(), and
 * router_port_icmp6_error() builds ICMPv6 errors (RFC 4443, the
 * 1280-byte quote) beside router_port_icmp_error().  A router port with
 * rp->ra set (a --ipv6 network's gateway, never the uplink, whose LAN has
 * its own routers) answers router solicitations with an advertisement of
 * its prefix (RFC 4861 6.2.6), rate limited by the state rp->ra points
 * at, which the network keeps.
 */
#ifndef VS_ROUTER_PORT_H
#define VS_ROUTER_PORT_H

#include <ev.h>
#include <stdbool.h>
#include <stdint.h>
#include "drop.h"
#include "pkt.h"

struct pkt;
struct iphdr;
struct ether_arp;
struct dp;

#define ROUTER_PORT_SRC_BUCKETS 1024

/* One source's ICMP-error bucket: who holds it, its tokens, its last
 * refill. */
struct router_port_bucket {
	uint64_t who;
	double tokens, last;
};

/* What the router ports of one datapath share (struct dp embeds it):
 * the ICMP error rate limits, which are a switch's, not an address's
 * (RFC 1812 4.3.2.8), and the scratch buffer replies are built in.
 * All zero is a valid start: an empty bucket refills to its burst on
 * first use, and the hash basis is drawn then. */
struct router_port_state {
	struct router_port_bucket all;
	struct router_port_bucket src[ROUTER_PORT_SRC_BUCKETS];
	uint64_t basis;          /* keys the per-source table; 0: not yet drawn */
	/* Replies start after PKT_HEADROOM, which puts their IP header on
	 * a 4-byte boundary (pkt.h). */
	uint8_t buf[PKT_HEADROOM + PKT_BUF_SIZE] __attribute__((aligned(8)));
};

/* A gateway's router advertisements (router_port.c, RFC 4861 6.2.6): the
 * rate limits' state, the counters and the timer of the unsolicited ones
 * (gateway.c), kept by the owner of the address (struct network) since a
 * router port is only a value.  All zero is a valid start: the unicast
 * bucket fills on first use. */
struct router_port_ra {
	ev_timer adv;                     /* the next unsolicited RA (gateway.c) */
	double mcast_last;                /* the last RA to all-nodes; 0: none */
	struct router_port_bucket ucast;  /* unicast RAs, the network's bucket */
	uint64_t sent;                    /* advertisements sent */
	uint64_t rate_limited;            /* valid solicitations left unanswered */
};

struct router_port {
	uint32_t ip;             /* the owned address, network order */
	/* IPv6 (a --ipv6 network's gateway): the owned address and the
	 * link-local one made from mac (modified EUI-64); all zero: none. */
	uint8_t ip6[16];
	uint8_t ll6[16];
	/* Router advertisements: where their state is (NULL: this port
	 * sends none, the uplink's case), and the on-link prefix they carry
	 * (bits past prefix6_len are cleared when sent). */
	struct router_port_ra *ra;
	uint8_t prefix6[16];
	uint8_t prefix6_len;
	uint8_t mac[6];          /* the MAC that answers for it */
	uint16_t mtu;            /* what a frag-needed reports (RFC 1191) */
	const char *stage;       /* its name in traces: "gateway", "uplink" */
	struct dp *dp;           /* whose rate limits and buffer it uses */
};

/* Count P as dropped for WHY on its input port, noted under trace. */
void router_port_drop(const struct router_port *rp, struct pkt *p,
		      enum drop_reason why);
const struct ether_arp *router_port_arp_input(const struct router_port *rp,
					      struct pkt *p);
void router_port_arp_build(const struct router_port *rp, struct pkt *r, uint16_t op,
			   const uint8_t dmac[6], const uint8_t tha[6], uint32_t tpa);
void router_port_echo(const struct router_port *rp, struct pkt *p,
		      const struct iphdr *ip);
bool router_port_icmp_error(const struct router_port *rp, struct pkt *p,
			    uint8_t type, uint8_t code);
bool router_port_icmp_error_build(const struct router_port *rp, struct pkt *p,
				  uint8_t type, uint8_t code, struct pkt *r);
bool router_port_v6_input(const struct router_port *rp, struct pkt *p);
bool router_port_icmp6_error(const struct router_port *rp, struct pkt *p,
			     uint8_t type, uint8_t code);
bool router_port_icmp6_error_build(const struct router_port *rp, struct pkt *p,
				   uint8_t type, uint8_t code, struct pkt *r);
void router_port_ra_unsolicited(const struct router_port *rp, struct pkt *r);
void router_port_ll6(const uint8_t mac[6], uint8_t ll[16]);
void router_port_rl_reset(struct dp *dp);
bool router_port_ttl_dec(struct iphdr *ip);
void router_port_ttl_undo(struct iphdr *ip);
/* 0.0.0.0, 255.255.255.255, multicast, loopback: never routed, never
 * the source or target of an ICMP error (RFC 1122 3.2.2, 3.2.1.3). */
bool router_port_ip_special(uint32_t ip);

#endif
