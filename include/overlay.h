/* overlay.h - the tables of a network that spans hosts (driver "overlay").
 *
 * An overlay network is a bridge network (its own gateway, DNS, NAT per
 * host) whose L2 domain also reaches other hosts through a VXLAN tunnel
 * (RFC 7348; vxlan.c frames it, port_vxlan.c carries it).  What the tunnel
 * needs to know, it reads here, per network:
 *
 *  - remote endpoints: a container MAC on another host -> the VTEP (tunnel
 *    end) it sits behind, its IP, name and host.  Entries of origin
 *    CLUSTER come from the store (etcd.c's watch handlers call
 *    overlay_remote_set/_del); entries of origin LEARNED come from the
 *    frames of members that are not in the store (a Linux vxlan device,
 *    or a vswitch host without --cluster) and age as the fdb does.  Keyed
 *    by MAC (forwarding) and by IP (ARP answered locally, DNS across
 *    hosts): both uthash, so no lookup walks a list.
 *  - members: the VTEPs that get a copy of broadcast, unknown unicast and
 *    multicast (head-end replication), keyed by their underlay address,
 *    which is also what a received packet's source must be
 *    (vxlan_unknown_vtep otherwise).  Vswitch hosts (CLUSTER) and external
 *    VTEPs added with `vsctl network vtep add` (STATIC; with --cluster
 *    kept in etcd, else in state.json).
 *
 * Why on the network and not in a global table: a VNI is one network, and
 * a MAC or an IP means something only within one network (two overlay
 * networks may reuse a subnet).  The datapath finds a network by VNI
 * through overlay_by_vni() (one hash per struct dp).
 *
 * Limits: at most OVERLAY_MAX_MEMBERS members and OVERLAY_MAX_REMOTES
 * remote entries per network, of which at most the fdb's learned cap are
 * LEARNED; an address is IPv4 today (the union holds IPv6 for later).
 * A learned entry never replaces a CLUSTER one: the store is the truth,
 * a frame's source is only a hint (a forged frame must not move a MAC).
 */
#ifndef VS_OVERLAY_H
#define VS_OVERLAY_H

#include <ev.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>
#include <uthash.h>
#include "addr.h"
#include "model.h"

struct dp;

#define OVERLAY_VNI_MAX 0xffffffu    /* 24 bits (RFC 7348 5) */
#define OVERLAY_MAX_MEMBERS 256
#define OVERLAY_MAX_REMOTES 65536
#define VXLAN_PORT_DEFAULT 4789      /* IANA; Linux's old default is 8472 */
/* Outer Ethernet 14 + IPv4 20 + UDP 8 + VXLAN 8: what the tunnel costs a
 * frame on an IPv4 underlay, so inner MTU = underlay MTU - 50. */
#define OVERLAY_OVERHEAD 50

enum overlay_origin {
	OVERLAY_ORIGIN_CLUSTER,      /* from the store (etcd) */
	OVERLAY_ORIGIN_STATIC,       /* `network vtep add`, kept in state.json */
	OVERLAY_ORIGIN_LEARNED,      /* from a member's frames; ages */
};

/* A tunnel end: underlay address and UDP destination port. */
struct overlay_vtep {
	union vs_addr addr;
	uint16_t port;
};

struct overlay_remote {
	uint8_t mac[6];              /* key of by_mac */
	union vs_addr ip;            /* key of by_ip when not any */
	struct overlay_vtep vtep;
	char name[VS_NAME_MAX];      /* the container's DNS name, or "" */
	char host[VS_NAME_MAX];      /* the host's name, or "" */
	enum overlay_origin origin;
	ev_tstamp last_seen;         /* LEARNED: the last frame from mac */
	bool in_ip;                  /* on by_ip */
	TAILQ_ENTRY(overlay_remote) lru; /* LEARNED only, oldest first */
	UT_hash_handle hh;           /* by_mac */
	UT_hash_handle hh_ip;        /* by_ip */
};

struct overlay_member {
	struct overlay_vtep vtep;    /* vtep.addr is the key */
	enum overlay_origin origin;  /* CLUSTER (a vswitch host) or STATIC */
	char host[VS_NAME_MAX];      /* the host's name, or "" */
	uint64_t tx_packets, rx_packets;
	UT_hash_handle hh;
};

TAILQ_HEAD(overlay_lru, overlay_remote);

struct overlay {
	struct network *net;
	uint32_t vni;
	struct overlay_remote *by_mac, *by_ip;
	struct overlay_member *members;
	struct overlay_lru learned;  /* LEARNED entries, oldest first */
	unsigned int n_remotes, n_learned, n_members;
	struct dp *dp;               /* indexed in dp->overlays, or NULL */
	UT_hash_handle hh_vni;       /* dp->overlays */
};

/* overlay.c */

/* overlay_new() - Give N (driver overlay) its tables for VNI; 0 or -1 with
 * errno (EINVAL: not overlay or VNI out of 1..2^24-1; ENOMEM). */
int overlay_new(struct network *n, uint32_t vni);
/* overlay_free() - Drop N's tables (and its place in its datapath). */
void overlay_free(struct network *n);
/* overlay_attach() - Index N under its VNI in DP, for received packets;
 * -1 with EEXIST if another network of DP has that VNI. */
int overlay_attach(struct dp *dp, struct network *n);
void overlay_detach(struct network *n);
/* overlay_by_vni() - The overlay network of DP with VNI, or NULL. */
struct network *overlay_by_vni(const struct dp *dp, uint32_t vni);

/* overlay_remote_set() - Add or change the remote endpoint MAC of N:
 * behind VTEP, with IP (any: none), NAME and HOST (NULL: ""), of origin
 * CLUSTER; replaces a LEARNED entry for MAC.  0, or -1 with errno
 * (EINVAL: N not overlay, bad MAC; ENOSPC: OVERLAY_MAX_REMOTES). */
int overlay_remote_set(struct network *n, const uint8_t mac[6], const union vs_addr *ip,
		       const struct overlay_vtep *vtep, const char *name, const char *host);
/* overlay_remote_del() - Forget MAC in N; -1 with ENOENT if unknown. */
int overlay_remote_del(struct network *n, const uint8_t mac[6]);
/* overlay_remote_flush_host() - Forget every CLUSTER entry of HOST (a
 * host whose lease ended); how many. */
unsigned int overlay_remote_flush_host(struct network *n, const char *host);

/* overlay_learn() - A frame with source MAC came from member VTEP at NOW:
 * record or refresh a LEARNED entry.  Never replaces a CLUSTER or STATIC
 * entry: that is refused with EEXIST when the VTEP differs (a MAC
 * conflict), and ENOSPC at the learned cap. */
int overlay_learn(struct network *n, const uint8_t mac[6], const struct overlay_vtep *vtep,
		  ev_tstamp now);
/* overlay_expire() - Drop LEARNED entries older than AGING seconds at NOW;
 * how many. */
unsigned int overlay_expire(struct network *n, ev_tstamp now, double aging);
/* overlay_set_max_learned() - The cap of LEARNED entries per network. */
void overlay_set_max_learned(unsigned int max);

/* overlay_lookup_mac() - The remote entry for MAC in N, or NULL (also
 * for a network that is not overlay).  Per packet: one hash lookup. */
struct overlay_remote *overlay_lookup_mac(const struct network *n, const uint8_t mac[6]);
/* overlay_lookup_ip() - The remote entry whose IP is IP, or NULL. */
struct overlay_remote *overlay_lookup_ip(const struct network *n, const union vs_addr *ip);

/* overlay_member_add() - Add VTEP to N's replication list (or update its
 * port, origin and host).  0, or -1 with errno (EINVAL, ENOSPC). */
int overlay_member_add(struct network *n, const struct overlay_vtep *vtep,
		       enum overlay_origin origin, const char *host);
/* overlay_member_del() - Remove the member at ADDR; -1 with ENOENT. */
int overlay_member_del(struct network *n, const union vs_addr *addr);
/* overlay_member_find() - N's member at ADDR (a received packet's
 * source), or NULL.  Per packet: one hash lookup. */
struct overlay_member *overlay_member_find(const struct network *n, const union vs_addr *addr);

/* Walks, for inspect/show and the state file (control plane only). */
#define OVERLAY_FOREACH_REMOTE(o, r, tmp) HASH_ITER(hh, (o)->by_mac, r, tmp)
#define OVERLAY_FOREACH_MEMBER(o, m, tmp) HASH_ITER(hh, (o)->members, m, tmp)
typedef void overlay_remote_fn(const struct overlay_remote *r, void *arg);
void overlay_foreach_remote(const struct network *n, overlay_remote_fn *fn, void *arg);

/* overlay_gw_mac() - The gateway MAC of an overlay network: from its VNI,
 * so that every host answers for the gateway with the same MAC (a
 * container that moves, or an ARP entry learned through the tunnel, stays
 * right).  06:56:58 ("VX") + the 24-bit VNI. */
void overlay_gw_mac(uint32_t vni, uint8_t mac[6]);
/* overlay_vtep_parse() - "IP" or "IP:PORT" (port default DEF_PORT). */
int overlay_vtep_parse(const char *s, uint16_t def_port, struct overlay_vtep *v,
		       char *err, size_t errlen);
const char *overlay_origin_name(enum overlay_origin o);

/* overlay_ctl.c: the control plane without a store (create options, the
 * vtep commands, inspect, show and the state file). */
struct json_object;
void overlay_ctl_set_port(uint16_t port);
int overlay_ctl_opt(struct network *n, const char *key, const char *val, char *err,
		    size_t errlen);
int overlay_ctl_setup(struct network *n, bool mtu_given, char *err, size_t errlen);
void overlay_ctl_options_json(const struct network *n, struct json_object *opts);
void overlay_ctl_state_json(const struct network *n, struct json_object *o);
int overlay_ctl_state_load(struct network *n, struct json_object *o, char *err, size_t errlen);
struct json_object *overlay_ctl_show_json(const struct network *n);
void overlay_ctl_init(void);

#endif
