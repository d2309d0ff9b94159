/* model.h - networks, containers, endpoints and published ports.
 *
 * This is what the control plane creates, the state file stores and the
 * datapath consults.  A network is one L2 domain with its own subnet,
 * gateway and learning table; a container is a network namespace with a
 * name; an endpoint joins one container to one network through one port.
 *
 * Lookups the datapath makes per packet go through hash tables (uthash):
 * networks by name, containers by name, endpoints by address within a
 * network.  Lists are only walked by control commands.
 *
 * A container is found by its key (struct container.name), which its
 * creator chooses and which need not be a name at all (a CNI container id);
 * DNS answers for its dns_name, which need not be unique.
 *
 * Every address is a union vs_addr (addr.h), which holds either family, so
 * dual-stack networks (issue 14) add fields, not a new layout: a network
 * always has its IPv4 subnet; with --ipv6 it has a second, IPv6 one
 * (subnet6, gateway6, ip_range6), and each of its endpoints an IPv6
 * address (endpoint.ip6) beside its IPv4 one, as Docker's dual-stack
 * networks have.  There is no IPv6-only network, as in Docker before v28.
 */
#ifndef VS_MODEL_H
#define VS_MODEL_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>
#include <time.h>
#include <uthash.h>
#include "addr.h"
#include "hash.h"
#include "netns.h"
#include "router_port.h"

#define VS_NAME_MAX 64
#define VS_MAX_AUX 16
#define VS_MAX_ALIASES 8
#define VS_IFNAME_MAX 16
#define VS_MAX_BOUND 8
/* Labels (`network create --label K=V`), as Docker's: free text for the
 * user's tools, shown by inspect and matched by `network ls --filter`. */
#define VS_MAX_LABELS 16
#define VS_LABEL_KEY_MAX 128
#define VS_LABEL_VAL_MAX 256
/* A container's key is whatever id its creator uses: a name given to
 * vsctl, a CNI_CONTAINERID (64 hex digits, or containerd's
 * "namespace-id"), a Docker endpoint id; so it is longer than a DNS
 * label, and its DNS name is kept apart (struct container.dns_name). */
#define VS_CKEY_MAX 160
/* Who made an endpoint: "vsctl", "docker" or "cni:NETWORK". */
#define VS_OWNER_MAX (VS_NAME_MAX + 8)

struct port;
struct uplink;
struct fdb;
struct network;
struct capture_point;
struct dp;
struct overlay;

struct vs_label {
	char key[VS_LABEL_KEY_MAX];
	char value[VS_LABEL_VAL_MAX];
};

struct aux_addr {
	char name[VS_NAME_MAX];
	union vs_addr addr;
};

enum attach_type { ATTACH_TAP, ATTACH_VETH };

/* What a network is (`network create --driver`): an L2 domain behind its
 * own gateway and NAT (bridge, Docker's default), or one that joins the
 * uplink's LAN (lan.c): macvlan, each container with its own MAC on the
 * LAN, or ipvlan (L2 mode), every container behind the uplink's MAC. */
enum net_driver { NET_DRIVER_BRIDGE, NET_DRIVER_MACVLAN, NET_DRIVER_IPVLAN,
		  /* a bridge network whose L2 domain spans hosts through a
		   * VXLAN tunnel (overlay.h, port_vxlan.c) */
		  NET_DRIVER_OVERLAY };

/* A connect or disconnect that is on disk as an intent but not finished:
 * the kernel may be half-changed.  Saved only while its command runs; a
 * start that finds one undoes the connect or finishes the disconnect
 * (cmd_container.c, doc/crash-safety.md). */
enum ep_pending { EP_PENDING_NONE, EP_PENDING_CONNECT, EP_PENDING_DISCONNECT };

struct published {
	uint8_t proto;           /* IPPROTO_TCP or IPPROTO_UDP */
	union vs_addr host_ip;   /* any (vs_addr_is_any): 0.0.0.0 */
	uint16_t host_port;      /* first host port */
	uint16_t cport;          /* first container port */
	uint16_t count;          /* ports in the range (1 for a single port) */
	LIST_ENTRY(published) link;
};

struct endpoint {
	struct network *net;
	struct container *ctr;
	union vs_addr ip;
	union vs_addr ip6;       /* on an IPv6 network; else :: (any) */
	uint8_t mac[6];
	char ifname[VS_IFNAME_MAX];    /* inside the container: eth0... */
	char host_if[VS_IFNAME_MAX];   /* veth: the switch's end, in our netns */
	enum attach_type attach;
	bool port_security;
	bool offload;            /* port takes GSO frames and partial checksums */
	/* Hand-off (a runtime such as Docker moves the device): made with MAC
	 * and MTU only, never configured, followed by the runtime's sandbox
	 * (endpoint_handoff.c). */
	bool handoff;
	int n_aliases;
	char aliases[VS_MAX_ALIASES][VS_NAME_MAX];
	unsigned int conn_order; /* order of connection within the container */
	char owner[VS_OWNER_MAX];/* "vsctl", "docker", "cni:NET": who may remove it */
	enum ep_pending pending;
	struct port *port;       /* NULL until the datapath wired it */
	UT_hash_handle hh_ip;    /* network's endpoints_by_ip */
	UT_hash_handle hh_ip6;   /* network's by_ip6, when it has an ip6 */
	bool in_by_ip6;          /* ... and is in it (set before the link) */
	LIST_ENTRY(endpoint) net_link;
	LIST_ENTRY(endpoint) ctr_link;
};

struct container {
	char name[VS_CKEY_MAX];  /* the key: unique, never shown to DNS */
	char dns_name[VS_NAME_MAX]; /* what DNS answers for; "" = no name */
	char netns_ref[256];     /* as given: netns name, path or pid:N */
	int netns_fd;            /* held open while the container lives, or -1 */
	/* The namespace (and, for pid:N, the process) the reference named
	 * when the container was made: a restart acts on REF only if it still
	 * names that one (finding 18 of the audit).  Zero: unknown. */
	struct netns_id netns_id;
	unsigned int next_order; /* next connection index, for eth0, eth1... */
	LIST_HEAD(, endpoint) endpoints;
	LIST_HEAD(, published) published;
	UT_hash_handle hh;
};

struct network {
	char name[VS_NAME_MAX];
	char id[65];             /* 64 hex digits, like Docker's */
	time_t created;
	struct vs_prefix subnet;
	union vs_addr gateway;
	struct vs_prefix ip_range; /* len == 0: the whole subnet */
	/* --ipv6: the second, IPv6 subnet; all zero without it. */
	bool ipv6;
	struct vs_prefix subnet6;
	union vs_addr gateway6;
	struct vs_prefix ip_range6; /* len == 0: the whole subnet6 */
	/* -o com.docker.network.bridge.gateway_mode_ipv6=routed: IPv6 leaves
	 * with the containers' own addresses, no NAT66 (uplink6.c) */
	bool routed6;
	int n_aux;
	struct aux_addr aux[VS_MAX_AUX];
	bool internal, icc, dns, dns_intercept, is_default;
	/* scope global: the network is in the cluster's store, the same on
	 * every host (cluster_net.c); else local to this host. */
	bool global;
	int mtu;
	/* Other names the network answers to: Docker networks bound to it
	 * with -o vswitch.network (cmd_handoff.c).  Looked up only when no
	 * network has the name itself (model_network). */
	int n_bound;
	char bound[VS_MAX_BOUND][VS_NAME_MAX];
	int n_labels;
	struct vs_label labels[VS_MAX_LABELS];
	enum net_driver driver;
	char parent[VS_IFNAME_MAX]; /* macvlan/ipvlan: the uplink's interface */
	uint8_t gw_mac[6];
	LIST_HEAD(, endpoint) endpoints;
	struct endpoint *by_ip;  /* uthash on endpoint.ip (hh_ip) */
	struct endpoint *by_ip6; /* uthash on endpoint.ip6 (hh_ip6): NAT66 replies */
	struct fdb *fdb;         /* datapath: MAC learning table */
	struct mld_snoop *mld;   /* datapath: solicited-node listeners (mld_snoop.c) */
	/* datapath, --ipv6: the gateway's router advertisements' rate
	 * limits and counters (router_port.c, `stats`: "gateway6") */
	struct router_port_ra ra6;
	struct capture_point *cap; /* capture.c: every frame its L2 sees */
	uint32_t n_ports;
	struct dp *dp;           /* the datapath it is wired into, or NULL */
	/* macvlan/ipvlan, not --internal: the uplink whose LAN the network
	 * joins and its frame port (lan.c); NULL otherwise. */
	struct uplink *lan_ul;
	struct port *lan_port;
	/* A LAN network's resolver address (--aux-address dns=IP), answered
	 * by vswitchd for its containers; zero if none (lan_ctl.c). */
	union vs_addr lan_dns;
	uint32_t nat_zone;       /* nat.c's cache of its zone (0: ask by name) */
	/* driver overlay: its VXLAN network identifier and its remote
	 * endpoints and member VTEPs (overlay.c); 0 and NULL otherwise. */
	uint32_t vni;
	struct overlay *overlay;
	UT_hash_handle hh;
};

struct model {
	struct network *networks;    /* by name */
	struct container *containers;/* by name */
	/* The host's random ULA /48 (RFC 4193), drawn on the first --ipv6
	 * network without --subnet and kept in the state file, so that
	 * automatic IPv6 subnets stay the same across restarts; len 0 until
	 * then. */
	struct vs_prefix ula_pool;
};

extern struct model g_model;

/* model.c */
struct network *model_network(const char *name);
struct container *model_container(const char *name);
struct network *model_network_in(const struct model *m, const char *name);
struct container *model_container_in(const struct model *m, const char *name);
struct endpoint *model_endpoint(const struct network *n, const struct container *c);
struct endpoint *model_endpoint_by_ip(const struct network *n, const union vs_addr *ip);
struct endpoint *model_endpoint_by_ip4(const struct network *n, uint32_t ip);
bool model_ip_in_use(const struct network *n, const union vs_addr *ip);
struct endpoint *model_endpoint_by_ip6(const struct network *n, const union vs_addr *ip6);
struct endpoint *model_endpoint_by_ip6_fast(const struct network *n, const union vs_addr *ip6);
void model_mac_from_ip(const union vs_addr *ip, uint8_t mac[6]);
void model_gw_mac(const struct network *n, uint8_t mac[6]);
void model_clear(void);
void model_container_del(struct container *c);
void model_endpoint_link(struct endpoint *ep);
void model_endpoint_unlink(struct endpoint *ep);
struct container *model_container_add(const char *name, const char *netns_ref);
struct endpoint *model_first_endpoint(const struct container *c);
/* The names the control path accepts, and so the state loader too: one
 * rule for both, so that what a command refuses never loads and what it
 * accepts always does (model.c). */
bool model_name_ok(const char *s);
bool model_dns_name_ok(const char *s);
bool model_ckey_ok(const char *s);
bool model_owner_ok(const char *s);
/* net_labels.c */
struct json_object;
int net_labels_set(struct network *n, struct json_object *labels, char *err, size_t errlen);
struct json_object *net_labels_json(const struct network *n);
const char *model_driver_name(enum net_driver d);
/* model_net_is_lan() - Does N join the uplink's LAN (macvlan, ipvlan)?
 * Such a network has no gateway of ours; bridge and overlay ones do. */
static inline bool model_net_is_lan(const struct network *n)
{
	return n->driver == NET_DRIVER_MACVLAN || n->driver == NET_DRIVER_IPVLAN;
}
int model_driver_parse(const char *s, enum net_driver *d);

#endif
