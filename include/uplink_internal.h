/* uplink_internal.h - struct uplink, shared by uplink.c and uplink6.c.
 *
 * The uplink's IPv4 side (uplink.c) and its IPv6 side (uplink6.c:
 * --uplink-ip6, neighbour discovery, NAT66) are one object: one port, one
 * MAC, one NAT, one place for frames waiting on a next hop.  Only these
 * two files see its fields; everyone else goes through uplink.h and
 * pipeline.h.
 */
#ifndef VS_UPLINK_INTERNAL_H
#define VS_UPLINK_INTERNAL_H

#include <ev.h>
#include <stdbool.h>
#include <stdint.h>
#include "addr.h"
#include "drop.h"
#include "lan.h"
#include "neigh.h"

struct dp;
struct network;
struct pkt;
struct port;

/* One leg: a port where the switch owns an address. */
struct uplink_leg {
	struct port *port;
	union vs_addr ip;        /* our address on the leg */
	struct vs_prefix net;    /* its on-link prefix */
	uint8_t mac[6];
};

/* One uplink of a datapath (dp.h keeps the list). */
struct uplink {
	struct dp *dp;
	struct ev_loop *loop;
	char spec[64];
	char cidr[32];
	struct uplink_leg out, host;
	union vs_addr gw;
	union vs_addr host_kernel_ip;
	struct neigh_table neigh;
	uint32_t mtu;            /* the uplink interface's, read at open */
	int ext;                 /* our address's index in NAT (nat_ext_add) */
	bool up;
	/* Networks on this uplink's LAN (lan.c): every frame of the LAN is
	 * offered to them, and the port is promiscuous while there are any. */
	struct network *lan[LAN_MAX_PER_UPLINK];
	unsigned int n_lan;
	/* IPv6 (uplink6.c), on the same port and MAC: all zero without
	 * --uplink-ip6.  Its own neighbour cache, so that the IPv6 gateway
	 * is pinned as the IPv4 one is. */
	bool v6;
	char cidr6[64];
	union vs_addr ip6, gw6;
	struct vs_prefix net6;
	uint8_t ll6[16];         /* our link-local address (from the MAC) */
	int ext6;                /* ip6's index in NAT */
	struct neigh_table neigh6;
};

struct uplink_release {
	struct uplink *ul;
	const uint8_t *mac;
};

/* uplink.c */
uint64_t uplink_now_ms(struct uplink *ul);
void uplink_release_one(void *arg, struct neigh_pending *q);
enum drop_reason uplink_hold(struct uplink *ul, struct uplink_leg *leg,
			     const union vs_addr *hop, struct pkt *p, uint64_t now);
enum drop_reason uplink_count_refused(struct pkt *p, enum drop_reason r);

/* uplink6.c */
struct json_object;
void uplink6_show_json(const struct uplink *ul, struct json_object *o);
void uplink6_input(struct uplink *ul, struct pkt *p);
void uplink6_ns_request(struct uplink *ul, struct neigh_entry *e);

#endif
