/* fuzz_world.h - a small switch with no kernel under it, for the fuzz
 * harnesses of the pipeline and the control protocol.
 *
 * fuzz_world.c builds, for every input, the same little world and takes
 * it down again afterwards: two networks, five endpoints on fake ports
 * (one container on both networks, one without port security), an uplink
 * on a fake port with a published TCP port and a published UDP range,
 * DNS on; and an overlay network (fz3, VNI FW_VNI) with one endpoint, a
 * member VTEP and a remote container behind it, on the datapath's real
 * tunnel port whose socket calls are swapped for the harness's.  Starting every input from the same state keeps runs
 * reproducible (a crash does not depend on what an earlier input left)
 * and lets LeakSanitizer see anything the teardown paths forget.
 *
 * The kernel is not there: the netns, TAP, AF_PACKET and proxy functions
 * are replaced here, and every one a control command can reach fails with
 * a one-line error (nothing pretends to have made an interface).  Only the
 * harness itself opens ports, through fw_port_new().
 */
#ifndef FUZZ_WORLD_H
#define FUZZ_WORLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include "dp.h"
#include "model.h"
#include "pkt.h"
#include "port.h"

/* An invariant of a harness: broken, it is a crash for libFuzzer to keep.
 * The message names the harness by its source file. */
#define FUZZ_CHECK(cond, ...) do { \
	if (!(cond)) { \
		fprintf(stderr, "%s: invariant broken: ", __FILE__); \
		fprintf(stderr, __VA_ARGS__); \
		fputc('\n', stderr); \
		abort(); \
	} \
} while (0)

#define FW_N_NETS 3
#define FW_N_EPS 6
#define FW_CT_LIMIT 64           /* small: the fuzzer reaches "full" */
#define FW_HASH_BASIS 0x5eed5eed5eed5eedULL /* hash_set_basis(): reproducible buckets */
#define FW_FDB_MAX 8             /* small: the fuzzer reaches the cap */
#define FW_UPLINK_IF "fzup0"
#define FW_UPLINK_IP "10.99.0.2"
#define FW_UPLINK_GW "10.99.0.1"
#define FW_UPLINK_IP6 "2001:db8:f::1"   /* --uplink-ip6, NAT66's address */
#define FW_UPLINK_GW6 "2001:db8:f::fe"
/* The tunnel (port_vxlan.c's port): this host's VTEP, the overlay network
 * fz3's VNI and its one member, behind which container c9 lives. */
#define FW_VTEP_IP "10.99.0.3"
#define FW_VNI 4242
#define FW_PEER_VTEP "10.99.0.50"
#define FW_REMOTE_IP "172.20.0.9"

struct fw_world {
	struct ev_loop *loop;
	struct dp dp;            /* the datapath: conntrack, NAT, the uplink */
	struct network *net[FW_N_NETS];
	struct endpoint *ep[FW_N_EPS];
	struct port *uplink;     /* NULL when built without one */
	struct port *vxlan;      /* the tunnel port (dp.vxlan) */
	uint8_t uplink_mac[6];
	uint64_t now_ms;         /* the fake clock (ct, dns, fdb) */
	uint64_t start_ms;       /* now_ms at fw_build(): the fdb's origin */
	double ev_base;          /* ev_now() at start: fdb's time origin */
	char tmpdir[64];         /* resolv.conf root, state dir, socket */
};

extern struct fw_world fw;

/* Called for every burst a fake port sends (after port.c's tx queue). */
extern void (*fw_tx_hook)(struct port *port, struct pkt *const *pkts, unsigned int n);

/* Once per process: loop, temp dir, DNS pools, uplink.  Idempotent. */
void fw_init(void);
/* Make the networks, endpoints and published ports (calls fw_init). */
void fw_build(void);
/* Take down the model, whatever made it, and empty the long-lived tables. */
void fw_teardown(void);
/* Move the fake clock forward by MS and run the expiry sweeps. */
void fw_advance(uint64_t ms);
/* Receive N frames as one burst on PORT, through port.c's rx path. */
void fw_rx(struct port *port, const uint8_t *const *frames, const uint32_t *lens,
	   unsigned int n);
/* A fake port (not wired to anything). */
struct port *fw_port_new(const char *name);
/* Abort (naming WHO) unless the model's links and hashes agree. */
void fw_check_model(const char *who);

#endif
