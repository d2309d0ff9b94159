/* port.h - the one small interface behind which every frame port sits.
 *
 * A port moves bursts of Ethernet frames between the switch and something
 * else: a container's TAP device, the switch's end of a veth pair read
 * through AF_PACKET, or the uplink.  Stages never know which: they see
 * struct port and its ops (OVS struct netdev_class, in miniature).  Each
 * type fills a struct port_ops in a file of its own (port_tap.c,
 * port_afpacket.c); a later VXLAN tunnel is one more such file.
 *
 * Transmit is queued: stages call port_tx_queue() for each frame they
 * forward, and the main loop flushes every dirty port once per burst
 * (port_tx_flush_all) so that a burst costs one write batch per port.
 * A port belongs to one datapath from port_start() on, and the lists it
 * is on are that datapath's (struct port_set).
 */
#ifndef VS_PORT_H
#define VS_PORT_H

#include <ev.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>
#include "drop.h"
#include "pkt.h"
#include "port_offload.h"

struct port;
struct network;
struct endpoint;
struct capture_point;
struct recorder;
struct dp;

struct port_stats {
	uint64_t rx_packets, rx_bytes;
	uint64_t tx_packets, tx_bytes;
	/* Offloads (port_offload.c): GSO frames that crossed whole, and the
	 * work done in software for a port without offloads. */
	uint64_t rx_gso, tx_gso;
	uint64_t sw_segments;    /* segments cut from GSO frames for this port */
	uint64_t sw_csum;        /* partial checksums finished for this port */
	uint64_t tx_batched;     /* frames sent in an io_uring batch (port_uring.c) */
	uint64_t rx_ip6, tx_ip6; /* of rx/tx_packets, IPv6 frames (untagged EtherType) */
	/* AF_PACKET rx ring (pkt_ring.c): frames read from a slot, and frames
	 * too big for one read whole from the queue at the slot's place */
	uint64_t rx_ring, rx_ring_copy;
	uint64_t drops[DROP_MAX];
};

struct port_ops {
	const char *type;
	/* Fill B with up to PKT_BURST received frames; return how many, 0 when
	 * nothing is pending, -1 on a fatal error of the device. */
	int (*rx_burst)(struct port *, struct pkt_batch *b);
	/* Send N frames; return how many left (the rest are counted dropped). */
	int (*tx_burst)(struct port *, struct pkt *const *pkts, unsigned int n);
	/* Optional: queue N frames on the shared io_uring (port_uring.c)
	 * instead of writing them; they are accounted at completion. */
	void (*tx_batch)(struct port *, struct pkt *const *pkts, unsigned int n);
	/* Release the device; DESTROY also removes it (disconnect), otherwise
	 * it is left in place for the next vswitchd to adopt (restart). */
	void (*close)(struct port *, bool destroy);
};

/* TUNNEL: an overlay network's VXLAN port (port_vxlan.c), whose frames
 * come from and go to other hosts' endpoints. */
enum port_role { PORT_ROLE_ENDPOINT, PORT_ROLE_UPLINK, PORT_ROLE_TUNNEL };

/* Frames queued for transmit live in a per-port copy area, because the rx
 * batch that produced them is reused by the next burst. */
#define PORT_TXQ_BYTES (PKT_BURST * 2048)

struct port {
	const struct port_ops *ops;
	enum port_role role;
	char name[32];           /* "c1:eth0", "uplink" */
	int fd;
	bool vnet_hdr;           /* fd carries struct virtio_net_hdr */
	/* The port takes GSO frames and partial checksums on tx; without it
	 * port_tx_queue() segments and finishes them (port_offload.c). */
	bool tx_offload;
	ev_io io;
	struct network *net;     /* NULL for the uplink */
	struct endpoint *ep;     /* NULL for the uplink */
	struct port_stats stats;
	/* Where a received burst goes: NULL means ingress_run (a container
	 * port); the uplink sets its own (uplink.c). */
	void (*rx_handler)(struct port *, struct pkt_batch *);
	void *rx_arg;            /* the rx handler's instance (the uplink) */
	struct dp *dp;           /* the datapath the port belongs to */
	uint32_t n_learned;      /* fdb entries owned, for the per-port cap */
	uint32_t id;             /* unique in its datapath, stable within one run */
	bool started;            /* port_start() joined it to dp's port set */

	/* tx queue (see port_tx_queue) */
	unsigned int txq_count;
	struct pkt txq[PKT_BURST];
	uint8_t *txq_buf;        /* PKT_BURST * PKT_BUF_SIZE, lazily touched */
	TAILQ_ENTRY(port) dirty_link;
	bool dirty;

	/* capture.c: non-NULL only while a capture or trace watches this port,
	 * so an idle capture point costs one predictable branch. */
	struct capture_point *cap_rx, *cap_tx;
	struct recorder *recorder;

	void *priv;              /* port type's own state */
	TAILQ_ENTRY(port) all_link;
};

/* A datapath's ports (struct dp's ports): all of them, those with frames
 * queued, the batch a burst is read into, the flush before the loop
 * sleeps and the scratch for segments cut from GSO frames.  The
 * datapath's, not the process's: a second datapath neither lists nor
 * flushes these ports.  The buffers come with the first port. */
struct port_set {
	struct ev_loop *loop;
	TAILQ_HEAD(, port) all;
	TAILQ_HEAD(, port) dirty;    /* frames queued since the last flush */
	uint32_t next_id;
	unsigned int n;
	struct pkt_batch rx_batch;   /* one burst at a time: the loop is one thread */
	uint8_t *rx_bufs;            /* PKT_BURST * PKT_BUF_SIZE */
	ev_prepare prepare;          /* flushes before the loop sleeps */
	uint8_t *seg_buf;            /* segments of one GSO frame, on first use */
	uint32_t seg_lens[PORT_OFFLOAD_SEG_MAX];
};

/* port.c */
void port_set_init(struct port_set *ps, struct ev_loop *loop);
void port_set_fini(struct port_set *ps);
struct port *port_alloc(const struct port_ops *ops, const char *name, int fd);
void port_start(struct port *port, struct dp *dp);
void port_destroy(struct port *port, bool remove_device);
void port_tx_queue(struct port *port, const struct pkt *p);
void port_tx_flush_all(struct dp *dp);
void port_tx_done(struct port *port, const struct pkt *p, bool sent, bool batched);
void port_drop(struct port *port, const struct pkt *p, enum drop_reason why);
struct port *port_by_id(struct dp *dp, uint32_t id);
struct port *port_next(struct dp *dp, struct port *prev);
unsigned int port_count(const struct dp *dp);

/* What opening one port takes; a type ignores the fields it has no use
 * for (zero them). */
struct port_args {
	const char *ifname;      /* the device */
	const char *name;        /* the port's name: "uplink", "c1:eth0" */
	int netns_fd;            /* the device's namespace (tap); NETNS_SELF */
	bool offload;            /* GSO frames and partial checksums on tx */
	bool owned;              /* afpacket: destroy deletes the interface */
};

/* A port type, registered once under its name and looked up by it, as
 * OVS looks up a netdev_class by type: code that makes ports names the
 * type ("tap", "afpacket"; later "vxlan"...) and never its functions. */
struct port_class {
	const char *type;
	/* The device's MAC and link belong to the kernel side (a TAP): a port
	 * that owns an address takes a MAC of its own and sets the link up. */
	bool kernel_peer;
	/* Open a port; NULL with errno set (ENODEV: no such device). */
	struct port *(*open)(const struct port_args *args);
};

/* port.c: the registry */
#define PORT_MAX_CLASSES 8
int port_class_register(const struct port_class *cls);
const struct port_class *port_class_find(const char *type);
struct port *port_open(const char *type, const struct port_args *args);
int port_spec_parse(const char *spec, const struct port_class **cls,
		    char ifname[16], char *err, size_t errlen);

/* port_tap.c */
extern const struct port_ops port_tap_ops;
extern const struct port_class port_tap_class;

/* port_afpacket.c */
extern const struct port_ops port_afpacket_ops;
extern const struct port_class port_afpacket_class;
/* port_pasta.c: a persistent TAP that pasta or slirp4netns drives (rootless) */
extern const struct port_class port_pasta_class;
/* Receive frames for every MAC, or stop (an uplink whose LAN networks
 * have containers with MACs of their own, lan.c). */
int port_afpacket_set_promisc(struct port *port, bool on);
/* Give AF_PACKET ports opened from now on a TPACKET_V2 rx ring (WANT),
 * or recvmmsg only (--no-rx-ring); logs the path chosen. */
void port_afpacket_use_ring(bool want);

#endif
