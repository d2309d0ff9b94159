/* mld_snoop.h - MLD snooping for a network's IPv6 control chatter.
 *
 * Which ports listen to which solicited-node group (ff02::1:ffXX:XXXX),
 * learned from the MLD reports the containers send, so that a neighbour
 * solicitation reaches the ports that may own its target instead of every
 * port; and the MLD reports themselves, and router solicitations on a
 * --ipv6 network, stop at the switch.  Theory of operation: mld_snoop.c.
 */
#ifndef VS_MLD_SNOOP_H
#define VS_MLD_SNOOP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>
#include "uthash.h"

struct ether_header;
struct json_object;
struct model;
struct network;
struct pkt;
struct port;

/* Solicited-node groups one port may be listed in: a container has one
 * per address whose low 24 bits differ (link-local, IPAM's, SLAAC and
 * temporary ones).  One more is an overflow: the network floods its
 * solicited-node multicast as before until that port goes. */
#define MLD_SNOOP_PORT_GROUPS 16

/* Seconds after a network's table is made (vswitchd start, or the
 * network's first port) during which solicited-node multicast is still
 * flooded: the ports answer the general query sent when they come up
 * within its maximum response delay (MLD_SNOOP_QUERY_MRD_MS), and until
 * then a port that joined before the switch started is in no table. */
#define MLD_SNOOP_SETTLE 3.0
#define MLD_SNOOP_QUERY_MRD_MS 1000

/* Decisions, counted per network (`vsctl stats`: "mld_snoop"). */
struct mld_snoop_stats {
	uint64_t reports;        /* MLD reports/dones from containers, not flooded */
	uint64_t reports_flooded;/* ... flooded: a container is an MLD querier */
	uint64_t joins;          /* a port listed in a solicited-node group */
	uint64_t leaves;         /* ... unlisted (done, TO_IN {}) */
	uint64_t overflow;       /* joins refused: port at MLD_SNOOP_PORT_GROUPS */
	uint64_t bad;            /* malformed reports (dropped, bad_l4) */
	uint64_t queries_heard;  /* MLD queries from containers (flooded) */
	uint64_t queries_sent;   /* general queries sent to ports coming up */
	uint64_t rs_to_gateway;  /* router solicitations to the --ipv6 gateway only */
	uint64_t rs_to_open_ports; /* ... no --ipv6: to ports without port security */
	uint64_t rs_absorbed;    /* ... no --ipv6 and no such port: not flooded */
	uint64_t to_members;     /* solicited-node multicast to listed ports only */
	uint64_t unregistered;   /* ... flooded: no port listed, or settling */
};

struct mld_snoop_group;

/* One port's place in one group's list. */
struct mld_snoop_member {
	LIST_ENTRY(mld_snoop_member) link;
	struct mld_snoop_group *group;   /* NULL: the slot is free */
	struct port *port;
};

/* A solicited-node group with at least one listed port. */
struct mld_snoop_group {
	uint32_t key;                    /* the group's low 24 bits */
	unsigned int n_members;
	LIST_HEAD(, mld_snoop_member) members;
	UT_hash_handle hh;
};

/* A port that has reported: its memberships, in fixed slots. */
struct mld_snoop_port {
	struct port *port;
	bool querier;                    /* sent an MLD query */
	bool overflow;                   /* a join did not fit */
	struct mld_snoop_member slot[MLD_SNOOP_PORT_GROUPS];
	UT_hash_handle hh;
};

/* One network's table. */
struct mld_snoop {
	struct mld_snoop_group *groups;  /* uthash on key */
	struct mld_snoop_port *ports;    /* uthash on port */
	unsigned int n_groups;
	unsigned int n_queriers;         /* ports with querier set */
	unsigned int n_overflow;         /* ports with overflow set */
	double armed_at;                 /* members-only delivery from then */
	struct mld_snoop_stats st;
};

/* The table (mld_snoop.c). */
struct mld_snoop *mld_snoop_new(double now);
void mld_snoop_free(struct mld_snoop *m);
int mld_snoop_join(struct mld_snoop *m, struct port *port, uint32_t key);
void mld_snoop_leave(struct mld_snoop *m, struct port *port, uint32_t key);
void mld_snoop_port_gone(struct mld_snoop *m, struct port *port);
const struct mld_snoop_group *mld_snoop_lookup(const struct mld_snoop *m, uint32_t key);
bool mld_snoop_group_key(const uint8_t a[16], uint32_t *key);

/* The datapath's side. */
bool mld_snoop_forward(struct network *n, struct pkt *p, const struct ether_header *eth,
		       bool for_gw);
void mld_snoop_port_up(struct port *port);
void mld_snoop_port_down(struct port *port);
bool mld_snoop_settling(const struct network *n);
struct json_object *mld_snoop_stats_json(const struct model *model);

#endif
