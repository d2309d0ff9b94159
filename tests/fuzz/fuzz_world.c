/* fuzz_world.c - the fuzz harnesses' little switch, and the kernel it lacks.
 *
 * See fuzz_world.h.  Two halves:
 *
 * 1. Stand-ins for netns.c, port_tap.c, port_afpacket.c and proxy.c.  The
 *    harnesses link libvswitch (or its sources) with this file first, so
 *    those objects are never pulled in: nothing a fuzzed input does can
 *    reach a real namespace, interface or listening socket.  Each
 *    stand-in that a command can reach fails cleanly with a one-line
 *    reason, as the real one does when the kernel says no; the one
 *    exception is the uplink's AF_PACKET port, which the harness itself
 *    asks for by a name nobody else uses (FW_UPLINK_IF) and gets a fake.
 *
 * 2. The world.  What is costly to make and holds no model objects is
 *    made once per process (fw_init): the loop, the DNS forwarder and TCP
 *    responder pools, the uplink with conntrack and NAT (their tables
 *    are megabytes: making them per input would cost more than the input).
 *    Their dynamic state is emptied after every input instead, through
 *    the daemon's own paths: the clock moves past every timeout so that
 *    conntrack, the fragment table, the fdb and the DNS TCP responder
 *    expire everything (fw_advance), then whatever is left is flushed and
 *    the uplink forgets its neighbours.  Networks, containers, endpoints,
 *    ports and published ports are made for every input (fw_build) as
 *    vswitchd and the control commands make them, and taken down with
 *    the daemon's teardown functions (fw_teardown), so that the fuzzer's
 *    leak check covers those too.  Ports are fake: rx takes frames from
 *    the harness and runs port.c's real rx path through the port's libev
 *    watcher (ev_invoke, the loop never polls them); tx hands each burst
 *    to fw_tx_hook.  The tunnel is port_vxlan.c's own port (its decap,
 *    checks, learning and encapsulation are what is fuzzed) with rx and
 *    tx swapped for the harness's (fw_vxlan): its sockets exist, bound
 *    to FW_VTEP_IP with IP_FREEBIND, but nothing is read from them or
 *    sent on them.
 */
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <ev.h>
#include <json-c/json.h>
#include "capture.h"
#include "cmd.h"
#include "ct.h"
#include "dns_internal.h"
#include "endpoint.h"
#include "fdb.h"
#include "router_port.h"
#include "fuzz_world.h"
#include "hash.h"
#include "ipam.h"
#include "log.h"
#include "mld_snoop.h"
#include "nat.h"
#include "netns.h"
#include "overlay.h"
#include "publish.h"
#include "proxy.h"
#include "uplink.h"
#include "vxlan.h"

struct fw_world fw;
void (*fw_tx_hook)(struct port *port, struct pkt *const *pkts, unsigned int n);

#define FW_NOKERNEL "no kernel in the fuzz harness"

/* ---- 1. the kernel that is not there ---- */

int netns_init(char *err, size_t errlen)
{
	snprintf(err, errlen, "netns: %s", FW_NOKERNEL);
	return -1;
}

int netns_open(const char *ref, char *err, size_t errlen)
{
	snprintf(err, errlen, "cannot open netns %s: %s", ref ? ref : "", FW_NOKERNEL);
	return -1;
}

/* Pure string logic: the same answer as netns.c's. */
bool netns_ref_is_name(const char *ref)
{
	return ref && ref[0] && !strchr(ref, '/') && strncmp(ref, "pid:", 4) != 0;
}

int netns_ref_path(const char *ref, char *buf, size_t len)
{
	(void)ref; (void)buf; (void)len;
	return -1;
}

int netns_run(int nsfd, int (*fn)(void *), void *arg)
{
	(void)nsfd; (void)fn; (void)arg;
	return -1;
}

int netns_if_configure(int nsfd, const struct netns_ifcfg *cfg, char *err, size_t errlen)
{
	(void)nsfd;
	snprintf(err, errlen, "cannot configure %s: %s", cfg->ifname, FW_NOKERNEL);
	return -1;
}

int netns_if_delete(int nsfd, const char *ifname)
{
	(void)nsfd; (void)ifname;
	return 0;	/* "missing is not an error" */
}

bool netns_if_exists(int nsfd, const char *ifname)
{
	(void)nsfd; (void)ifname;
	return false;
}

int netns_if_mac(int nsfd, const char *ifname, uint8_t mac[6])
{
	(void)nsfd; (void)ifname; (void)mac;
	return -1;	/* no interface exists in the fuzz world */
}

int netns_if_find_mac(int nsfd, const uint8_t mac[6], char out[16])
{
	(void)nsfd; (void)mac; (void)out;
	return -1;	/* no kernel: the device is never found */
}

bool netns_is_dead(int nsfd, const char *ref)
{
	(void)nsfd; (void)ref;
	return false;
}

int netns_identify(int nsfd, const char *ref, struct netns_id *id)
{
	(void)nsfd; (void)ref;
	memset(id, 0, sizeof(*id));
	return -1;
}

enum netns_verdict netns_check_id(const char *ref, const struct netns_id *id, int *nsfd)
{
	(void)ref; (void)id;
	*nsfd = -1;
	return NETNS_UNKNOWN;	/* nothing to judge without a kernel */
}

int netns_veth_create(int nsfd, const char *host_if, const char *peer_if,
		      int mtu, bool offload, char *err, size_t errlen)
{
	(void)nsfd; (void)peer_if; (void)mtu; (void)offload;
	snprintf(err, errlen, "cannot create veth %s: %s", host_if, FW_NOKERNEL);
	return -1;
}

void netns_veth_name(const char *ctr, const char *net, unsigned int salt, char out[16])
{
	snprintf(out, 16, "vs%.4s%.4s%x", ctr, net, salt & 0xf);
}

int netns_if_offloads_off(int nsfd, const char *ifname)
{
	(void)nsfd; (void)ifname;
	return -1;
}

/* No listener can open without a kernel: the stand-in only refuses. */
struct proxy {
	int none;
};

struct proxy *proxy_new(struct dp *dp)
{
	static struct proxy fw_proxy;

	(void)dp;
	return &fw_proxy;
}

void proxy_free(struct proxy *px)
{
	(void)px;
}

int proxy_add(struct proxy *px, uint8_t proto, const union vs_addr *host_ip, uint16_t host_port,
	      uint16_t count, char *err, size_t errlen)
{
	(void)px; (void)proto; (void)host_ip; (void)count;
	snprintf(err, errlen, "cannot listen on port %u: %s", host_port, FW_NOKERNEL);
	return -1;
}

void proxy_del(struct proxy *px, uint8_t proto, const union vs_addr *host_ip,
	       uint16_t host_port, uint16_t count)
{
	(void)px;
	(void)proto; (void)host_ip; (void)host_port; (void)count;
}

struct json_object *proxy_stats_json(const struct proxy *px)
{
	(void)px;
	return json_object_new_object();	/* nothing is ever held */
}

/* The fake port type: rx from fw_rx()'s frames, tx to fw_tx_hook. */
static const uint8_t *const *fw_rx_frames;
static const uint32_t *fw_rx_lens;
static unsigned int fw_rx_n;

static int fw_port_rx(struct port *port, struct pkt_batch *b)
{
	const uint32_t room = PKT_BUF_SIZE - PKT_HEADROOM;
	unsigned int i, n = fw_rx_n;

	(void)port;
	for (i = 0; i < n; i++) {
		uint32_t len = fw_rx_lens[i] < room ? fw_rx_lens[i] : room;

		memcpy(b->pkts[i].data, fw_rx_frames[i], len);
		b->pkts[i].len = len;
	}
	fw_rx_n = 0;	/* the next call of the burst loop finds nothing */
	return (int)n;
}

static int fw_port_tx(struct port *port, struct pkt *const *pkts, unsigned int n)
{
	if (fw_tx_hook)
		fw_tx_hook(port, pkts, n);
	return (int)n;
}

static void fw_port_close(struct port *port, bool destroy)
{
	(void)port; (void)destroy;
}

static const struct port_ops fw_port_ops = {
	.type = "fuzz",
	.rx_burst = fw_port_rx,
	.tx_burst = fw_port_tx,
	.close = fw_port_close,
};

const struct port_ops port_tap_ops = { .type = "tap", .rx_burst = fw_port_rx,
	.tx_burst = fw_port_tx, .close = fw_port_close };
const struct port_ops port_afpacket_ops = { .type = "afpacket", .rx_burst = fw_port_rx,
	.tx_burst = fw_port_tx, .close = fw_port_close };

/* No TAP can be made without a kernel. */
static struct port *fw_tap_open(const struct port_args *args)
{
	(void)args;
	errno = ENODEV;
	return NULL;
}

const struct port_class port_tap_class = { .type = "tap", .kernel_peer = true,
					   .open = fw_tap_open };

static int fw_fd = -1;   /* one eventfd, never readable, for every fake port */

struct port *fw_port_new(const char *name)
{
	return port_alloc(&fw_port_ops, name, fw_fd);
}

/* Only the uplink's interface "exists". */
static struct port *fw_afpacket_open(const struct port_args *args)
{
	if (strcmp(args->ifname, FW_UPLINK_IF)) {
		errno = ENODEV;
		return NULL;
	}
	return fw_port_new(args->name);
}

const struct port_class port_afpacket_class = { .type = "afpacket", .open = fw_afpacket_open };

int port_afpacket_set_promisc(struct port *port, bool on) { (void)port; (void)on; return -1; }

/* The tunnel's rx: each input frame is [outer source IPv4, 4 bytes][the
 * UDP payload], and the outer headers are written in front of the
 * payload as port_vxlan_rx_burst() writes them from the sender's
 * address, so port_vxlan.c sees what a datagram from that sender gives. */
static int fw_vxlan_rx(struct port *port, struct pkt_batch *b)
{
	const uint32_t room = 65535 - 28;	/* a UDP payload's most */
	uint32_t vtep = inet_addr(FW_VTEP_IP);
	unsigned int i, n = fw_rx_n;

	(void)port;
	for (i = 0; i < n; i++) {
		struct pkt *p = &b->pkts[i];
		uint32_t len = fw_rx_lens[i] > 4 ? fw_rx_lens[i] - 4 : 0, src = 0;

		memcpy(&src, fw_rx_frames[i], fw_rx_lens[i] < 4 ? fw_rx_lens[i] : 4);
		len = len < room ? len : room;
		p->data = p->buf + VXLAN_RX_HEADROOM;
		memset(&p->vnet, 0, sizeof(p->vnet));
		p->flags = 0;
		if (len)
			memcpy(p->data + VXLAN_OUTER_LEN, fw_rx_frames[i] + 4, len);
		p->len = VXLAN_OUTER_LEN + len;
		vxlan_outer_build(p->data, src, vtep, VXLAN_PORT_DEFAULT, VXLAN_PORT_DEFAULT,
				  (uint16_t)len);
		port_vxlan_outer_parsed(p);
	}
	fw_rx_n = 0;
	return (int)n;
}

/* ---- 2. the world ---- */

static unsigned int fw_count_net(const struct network *n)
{
	const struct endpoint *ep;
	unsigned int k = 0;

	LIST_FOREACH(ep, &n->endpoints, net_link)
		k++;
	return k;
}

static void fw_uplink(void);
static void fw_vxlan(void);

static int fw_rm(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	return remove(path) < 0 ? -1 : 0;
}

/* The temp dir (state, socket, resolv.conf files) goes at exit. */
static void fw_cleanup(void)
{
	if (fw.tmpdir[0])
		nftw(fw.tmpdir, fw_rm, 8, FTW_DEPTH | FTW_PHYS);
}

void fw_init(void)
{
	const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	char err[256];

	if (fw.loop)
		return;
	/* Before any table is filled: a fixed basis puts an input's keys in
	 * the same buckets on every run, so a crash replays exactly. */
	hash_set_basis(FW_HASH_BASIS);
	fw.loop = EV_DEFAULT;	/* port_destroy() stops watchers on it */
	fw.ev_base = ev_now(fw.loop);
	if (!getenv("VSW_FUZZ_VERBOSE"))
		log_set_level(LOG_LVL_ERR);
	fw_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	snprintf(fw.tmpdir, sizeof(fw.tmpdir), "%s/vsfuzz.XXXXXX", base);
	if (fw_fd < 0 || !mkdtemp(fw.tmpdir)) {
		perror("fuzz_world");
		abort();
	}
	atexit(fw_cleanup);
	dns_resolvconf_root = fw.tmpdir;
	/* 32 KiB instead of 1 MiB a port: allocations that size are served
	 * without an mmap per port and input, and the ring wraps sooner. */
	recorder_set_budget(32 * 1024);
	fw.now_ms = 1000000;
	if (dp_init(&fw.dp, fw.loop, &g_model, FW_CT_LIMIT, err, sizeof(err)) < 0) {
		fprintf(stderr, "fuzz_world: %s\n", err);
		abort();
	}
	ct_set_test_clock(fw.dp.ct, fw.now_ms);
	fdb_set_max_learned(&fw.dp.fdb, FW_FDB_MAX);
	cmd_bind_dp(&fw.dp);	/* publish and disconnect reach NAT through it */
	/* The resolver's parts one by one, as dns_new() would but without
	 * reading the host's resolv.conf: no upstream, so SERVFAIL. */
	fw.dp.dns = calloc(1, sizeof(*fw.dp.dns));
	if (!fw.dp.dns)
		abort();
	fw.dp.dns->model = &g_model;
	dns_set_test_clock(fw.dp.dns, fw.now_ms);
	dns_forward_init(fw.dp.dns, fw.loop, NULL, 0, NULL, 0);
	dns_tcp_init(fw.dp.dns, fw.loop);
	fw_uplink();
	fw_vxlan();
}

/* Make N dual-stack (--ipv6) as `network create --ipv6 --subnet
 * fd00:TAG::/64` does, before it starts and its endpoints are made: IPv6 frames then
 * meet the gateway's neighbour discovery, the resolver at its IPv6
 * address, NAT66 to the uplink and the IPv6 conntrack. */
static void fw_network6(struct network *n, uint8_t tag)
{
	char a[32];

	snprintf(a, sizeof(a), "fd00:%x::", tag);
	if (vs_addr_parse(a, &n->subnet6.addr))
		abort();
	n->subnet6.len = 64;
	n->gateway6 = n->subnet6.addr;
	n->gateway6.b[15] = 1;
	n->ipv6 = true;
}

/* A network as `network create` makes one (cmd_network.c), then started;
 * dual-stack if TAG6 is not 0 (fw_network6), an overlay if OVERLAY. */
/* Make N an overlay network as `network create --driver overlay -o
 * vxlan.vni=FW_VNI` and `network vtep add N FW_PEER_VTEP` do, with the
 * remote container c9 behind that VTEP as the store would give it. */
static void fw_overlay(struct network *n)
{
	struct overlay_vtep peer = { .port = VXLAN_PORT_DEFAULT };
	union vs_addr ip;
	uint8_t mac[6];

	n->driver = NET_DRIVER_OVERLAY;
	vs_addr_set_v4(&peer.addr, inet_addr(FW_PEER_VTEP));
	vs_addr_set_v4(&ip, inet_addr(FW_REMOTE_IP));
	model_mac_from_ip(&ip, mac);
	if (overlay_new(n, FW_VNI) ||
	    overlay_member_add(n, &peer, OVERLAY_ORIGIN_STATIC, NULL) ||
	    overlay_remote_set(n, mac, &ip, &peer, "c9", "peer")) {
		perror("fuzz_world: overlay");
		abort();
	}
}

static struct network *fw_network(const char *name, uint8_t tag, const char *subnet,
				  int mtu, bool icc, bool intercept, uint8_t tag6, bool overlay)
{
	struct network *n = calloc(1, sizeof(*n));
	uint32_t a;

	if (!n)
		abort();
	snprintf(n->name, sizeof(n->name), "%s", name);
	/* A fixed id, so the gateway MAC is 06:TAG:00:00:00:00 (model_gw_mac)
	 * and the seed inputs can address it. */
	snprintf(n->id, sizeof(n->id), "%02x%062d", tag, 0);
	inet_pton(AF_INET, subnet, &a);
	vs_addr_set_v4(&n->subnet.addr, a);
	n->subnet.len = 16;
	vs_addr_set_v4(&n->gateway, a | htonl(1));
	n->mtu = mtu;
	n->icc = icc;
	n->dns = true;
	n->dns_intercept = intercept;
	n->created = 1;
	LIST_INIT(&n->endpoints);
	if (tag6)
		fw_network6(n, tag6);
	if (overlay)
		fw_overlay(n);
	HASH_ADD_STR(g_model.networks, name, n);
	cmd_network_start(&fw.dp, n);
	return n;
}


/* An endpoint wired as endpoint.c's endpoint_wire() does, on a fake port. */
static struct endpoint *fw_endpoint(struct network *n, const char *ctr, uint8_t host,
				    bool port_security, const char *alias)
{
	struct container *c = model_container(ctr);
	struct endpoint *ep = calloc(1, sizeof(*ep));
	char pname[32], ref[64];

	if (!c) {
		snprintf(ref, sizeof(ref), "/proc/fuzz/%s", ctr);   /* a path: no resolv.conf */
		c = model_container_add(ctr, ref);
	}
	if (!ep || !c)
		abort();
	ep->net = n;
	ep->ctr = c;
	vs_addr_set_v4(&ep->ip, vs_addr_get_v4(&n->subnet.addr) | htonl(host));
	if (n->ipv6) {                 /* fd00:TAG::HOST, set before the link */
		ep->ip6 = n->subnet6.addr;
		ep->ip6.b[15] = host;
	}
	model_mac_from_ip(&ep->ip, ep->mac);
	ep->conn_order = c->next_order++;
	snprintf(ep->ifname, sizeof(ep->ifname), "eth%u", ep->conn_order);
	ep->port_security = port_security;
	if (alias)
		snprintf(ep->aliases[ep->n_aliases++], VS_NAME_MAX, "%s", alias);
	model_endpoint_link(ep);
	snprintf(pname, sizeof(pname), "%s:%s", ctr, ep->ifname);
	ep->port = fw_port_new(pname);
	ep->port->role = PORT_ROLE_ENDPOINT;
	ep->port->net = n;
	ep->port->ep = ep;
	ep->port->recorder = recorder_new();
	n->n_ports++;
	port_start(ep->port, n->dp);
	dns_endpoint_added(fw.dp.dns, ep);
	return ep;
}

/* A published range as publish.c installs one on the uplink IP (so no
 * proxy), kept in the model for `port ls` and unpublish. */
static void fw_publish(struct container *c, uint8_t proto, uint16_t hport,
		       uint16_t cport, uint16_t count)
{
	struct published *pp = calloc(1, sizeof(*pp));
	struct nat_rule *r = calloc(1, sizeof(*r));
	char err[128];

	if (!pp || !r)
		abort();
	pp->proto = proto;
	vs_addr_set_v4(&pp->host_ip, uplink_ip(dp_uplink_first(&fw.dp)));
	pp->host_port = hport;
	pp->cport = cport;
	pp->count = count;
	LIST_INSERT_HEAD(&c->published, pp, link);
	r->proto = proto;
	r->host_ip = pp->host_ip;
	r->host_port = hport;
	r->cport = cport;
	r->count = count;
	snprintf(r->ctr, sizeof(r->ctr), "%s", c->name);
	if (nat_rule_add(fw.dp.nat, r, err, sizeof(err)) < 0) {
		fprintf(stderr, "fuzz_world: %s\n", err);
		abort();
	}
}

static void fw_uplink(void)
{
	char err[256];
	uint32_t ip;

	if (dp_uplink_add(&fw.dp, "afpacket:" FW_UPLINK_IF, FW_UPLINK_IP "/24",
			  FW_UPLINK_GW, err, sizeof(err)) < 0) {
		fprintf(stderr, "fuzz_world: uplink: %s\n", err);
		abort();
	}
	if (uplink_set_ip6(dp_uplink_first(&fw.dp), FW_UPLINK_IP6 "/64", FW_UPLINK_GW6,
			   err, sizeof(err)) < 0) {
		fprintf(stderr, "fuzz_world: uplink IPv6: %s\n", err);
		abort();
	}
	fw.uplink = uplink_port(dp_uplink_first(&fw.dp));
	ip = uplink_ip(dp_uplink_first(&fw.dp));
	fw.uplink_mac[0] = 0x02;	/* uplink.c: 02:42 + IP when the NIC has none */
	fw.uplink_mac[1] = 0x42;
	memcpy(fw.uplink_mac + 2, &ip, 4);
}

/* The datapath's tunnel port, made as vswitchd --vtep-ip makes it, then
 * its rx and tx swapped for the harness's (fw_vxlan_rx, fw_port_tx):
 * nothing is read from or sent on its sockets.  Port 0: the sockets take
 * an ephemeral port, so no two harness processes contend for 4789. */
static void fw_vxlan(void)
{
	static struct port_ops ops;
	char err[256];

	fw.vxlan = port_vxlan_open(&fw.dp, inet_addr(FW_VTEP_IP), 0, err, sizeof(err));
	if (!fw.vxlan) {
		fprintf(stderr, "fuzz_world: vxlan: %s\n", err);
		abort();
	}
	ops = *fw.vxlan->ops;
	ops.rx_burst = fw_vxlan_rx;
	ops.tx_burst = fw_port_tx;
	fw.vxlan->ops = &ops;
	overlay_set_max_learned(FW_FDB_MAX);
}

/**
 * fw_build() - Make the networks, endpoints and published ports
 */
void fw_build(void)
{
	struct network *n1, *n2;

	fw_init();
	fw.start_ms = fw.now_ms;
	router_port_rl_reset(&fw.dp);   /* every input starts with full ICMP buckets */
	n1 = fw.net[0] = fw_network("fz1", 0x11, "172.18.0.0", 1500, true, false, 0x18, false);
	n2 = fw.net[1] = fw_network("fz2", 0x22, "172.19.0.0", 1400, false, true, 0, false);
	/* MTU 1500 over a tunnel that carries 1450: frag-needed from the
	 * gateway is reachable, as with `network create --mtu 1500`. */
	fw.net[2] = fw_network("fz3", 0x33, "172.20.0.0", 1500, true, false, 0, true);
	fw.ep[0] = fw_endpoint(n1, "c1", 2, true, NULL);
	fw.ep[1] = fw_endpoint(n1, "c2", 3, true, "web");
	fw.ep[2] = fw_endpoint(n1, "c4", 4, false, "web");
	fw.ep[3] = fw_endpoint(n2, "c3", 2, true, NULL);
	fw.ep[4] = fw_endpoint(n2, "c1", 3, true, "db");
	fw.ep[5] = fw_endpoint(fw.net[2], "c5", 2, true, NULL);
	fw_publish(fw.ep[0]->ctr, IPPROTO_TCP, 8080, 80, 1);
	fw_publish(fw.ep[1]->ctr, IPPROTO_UDP, 5300, 53, 2);
	port_tx_flush_all(&fw.dp);	/* announcements, the uplink's first ARP */
}

/* Unpublish as publish.c's publish_uninstall() does. */
static void fw_unpublish_all(struct container *c)
{
	struct published *pp;

	while ((pp = LIST_FIRST(&c->published))) {
		const struct nat_rule *r = nat_rule_find(fw.dp.nat, pp->proto, pp->host_port);

		if (r && nat_rule_del(fw.dp.nat, pp->proto, pp->host_port) == 0)
			free((void *)r);
		LIST_REMOVE(pp, link);
		free(pp);
	}
}

/* Each container goes as when its namespace dies (cmd_container.c). */
static void fw_containers_gone(void)
{
	struct container *c, *ctmp;
	struct endpoint *ep;

	HASH_ITER(hh, g_model.containers, c, ctmp) {
		fw_unpublish_all(c);
		while ((ep = LIST_FIRST(&c->endpoints))) {
			dns_endpoint_removed(fw.dp.dns, ep);
			nat_endpoint_gone(fw.dp.nat, ep);
			endpoint_detach(ep, true);
			model_endpoint_unlink(ep);
			free(ep);
		}
		netns_watch_remove(fw.dp.nw, c);
		HASH_DEL(g_model.containers, c);
		free(c);
	}
}

static bool fw_any(const struct ct_entry *e, void *arg)
{
	(void)e; (void)arg;
	return true;
}

/**
 * fw_teardown() - Take down the model and empty the long-lived tables
 *
 * The caller has moved the clock past every timeout (fw_advance) if it
 * wants expiry to do the emptying; what is left is flushed here.
 */
void fw_teardown(void)
{
	struct network *n, *ntmp;

	capture_fini();
	port_tx_flush_all(&fw.dp);
	fw_containers_gone();
	HASH_ITER(hh, g_model.networks, n, ntmp) {
		HASH_DEL(g_model.networks, n);
		capture_network_gone(n);
		fdb_free(n->fdb);
		mld_snoop_free(n->mld);
		overlay_free(n);
		free(n);
	}
	model_clear();
	ct_flush(fw.dp.ct, fw_any, NULL);
	nat_frag_init(fw.dp.nat);
	uplink_neigh_flush(dp_uplink_first(&fw.dp));
	memset(fw.net, 0, sizeof(fw.net));
	memset(fw.ep, 0, sizeof(fw.ep));
}

/**
 * fw_advance() - Move the fake clock and run what expires
 * @ms:		milliseconds to add
 *
 * conntrack, fragments and DNS read the fake clock; the fdb and the
 * uplink read ev_now(), which stays put (the loop does not run), so the
 * fdb is told the time instead, counted from fw_build() (every entry of
 * this input's tables was learned after it, at the same frozen ev_now).
 */
void fw_advance(uint64_t ms)
{
	struct network *n, *tmp;

	fw.now_ms += ms;
	ct_set_test_clock(fw.dp.ct, fw.now_ms);
	cmd_bind_dp(&fw.dp);	/* publish and disconnect reach NAT through it */
	dns_set_test_clock(fw.dp.dns, fw.now_ms);
	ct_expire_run(fw.dp.ct);
	dns_tcp_tick(fw.dp.dns);
	HASH_ITER(hh, g_model.networks, n, tmp) {
		ev_tstamp now = fw.ev_base + (double)(fw.now_ms - fw.start_ms) / 1000.0;

		if (n->fdb)
			fdb_expire(n->fdb, now);
		if (n->overlay)		/* port_vxlan_sweep's work, on the fake clock */
			overlay_expire(n, now, fw.dp.fdb.aging);
	}
	port_tx_flush_all(&fw.dp);
}

void fw_rx(struct port *port, const uint8_t *const *frames, const uint32_t *lens,
	   unsigned int n)
{
	if (!n)
		return;
	fw_rx_frames = frames;
	fw_rx_lens = lens;
	fw_rx_n = n > PKT_BURST ? PKT_BURST : n;
	ev_invoke(fw.loop, &port->io, EV_READ);
	fw_rx_n = 0;
}

#define FW_CHECK(cond, ...) do { \
	if (!(cond)) { \
		fprintf(stderr, "%s: model inconsistent: ", who); \
		fprintf(stderr, __VA_ARGS__); \
		fputc('\n', stderr); \
		abort(); \
	} \
} while (0)

static void fw_check_network(const char *who, const struct network *n)
{
	const struct endpoint *ep;

	FW_CHECK(model_network(n->name) == n, "network %s not found by name", n->name);
	FW_CHECK(vs_prefix_contains(&n->subnet, &n->gateway), "network %s: gateway outside", n->name);
	FW_CHECK(n->mtu >= 68 && n->mtu <= 65535, "network %s: mtu %d", n->name, n->mtu);
	LIST_FOREACH(ep, &n->endpoints, net_link) {
		FW_CHECK(ep->net == n, "endpoint of %s on %s's list", ep->net->name, n->name);
		FW_CHECK(vs_prefix_contains(&n->subnet, &ep->ip), "endpoint outside %s", n->name);
		FW_CHECK(model_endpoint_by_ip(n, &ep->ip) == ep, "endpoint not hashed in %s", n->name);
		FW_CHECK(model_container(ep->ctr->name) == ep->ctr, "endpoint of a lost container");
		FW_CHECK(model_endpoint(n, ep->ctr) == ep, "endpoint not on its container's list");
		FW_CHECK(!ep->port || (ep->port->ep == ep && ep->port->net == n),
			 "port %s not wired to its endpoint", ep->port->name);
	}
	FW_CHECK(HASH_CNT(hh_ip, n->by_ip) == fw_count_net(n), "network %s: %u hashed, %u listed",
		 n->name, HASH_CNT(hh_ip, n->by_ip), fw_count_net(n));
}

/**
 * fw_check_model() - Every link of the model agrees with the others
 * @who:	the harness, for the message
 *
 * Networks by name, endpoints on both lists and in the address hash,
 * addresses within subnets, ports wired back to their endpoints.
 */
void fw_check_model(const char *who)
{
	const struct network *n, *ntmp;
	const struct container *c, *ctmp;
	const struct endpoint *ep;

	HASH_ITER(hh, g_model.networks, n, ntmp)
		fw_check_network(who, n);
	HASH_ITER(hh, g_model.containers, c, ctmp) {
		FW_CHECK(model_container(c->name) == c, "container %s not found by name", c->name);
		LIST_FOREACH(ep, &c->endpoints, ctr_link) {
			FW_CHECK(ep->ctr == c, "endpoint of %s on %s's list", ep->ctr->name, c->name);
			FW_CHECK(model_network(ep->net->name) == ep->net, "endpoint on a lost network");
		}
	}
}
