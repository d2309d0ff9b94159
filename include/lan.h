/* lan.h - networks on the uplink's LAN: `network create --driver macvlan`
 * (and ipvlan).  lan.c is the datapath (switching between the network's
 * ports and the uplink, the host's way in); lan_ctl.c the control side
 * (choosing the parent uplink, promiscuous mode, the host's routes).
 */
#ifndef VS_LAN_H
#define VS_LAN_H

#include <net/ethernet.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dp;
struct network;
struct endpoint;
struct port;
struct pkt;
struct uplink;

/* An uplink carries at most this many LAN networks (a frame from the
 * LAN is looked up in each: a bounded walk). */
#define LAN_MAX_PER_UPLINK 4

/* lan.c: the datapath */
void lan_forward(struct network *n, struct pkt *p, const struct ether_header *eth);
bool lan_input(struct network *const *nets, unsigned int n_nets, struct port *port,
	       struct pkt *p);
bool lan_host_input(const struct dp *dp, struct port *leg, const uint8_t leg_mac[6],
		    struct pkt *p);

/* lan_ctl.c: the control plane */
struct uplink *lan_uplink_find(const struct dp *dp, const char *parent);
int lan_check(const struct dp *dp, struct network *n, char *err, size_t errlen);
void lan_attach(struct dp *dp, struct network *n);
void lan_dns_setup(struct network *n, bool want);
void lan_detach(struct network *n);
void lan_endpoint_up(struct endpoint *ep);
void lan_endpoint_down(struct endpoint *ep);

/* lan_probe.c: RFC 5227's probe before a LAN address is given */
int lan_probe_addr(struct endpoint *ep, bool fixed, char *err, size_t errlen);

/* uplink.c: the uplink's side of it */
int uplink_lan_join(struct uplink *ul, struct network *n);
void uplink_lan_leave(struct uplink *ul, struct network *n);
bool uplink_host_out(struct uplink *ul, struct pkt *p);
bool uplink_matches(const struct uplink *ul, const char *name);
const char *uplink_ifname(const struct uplink *ul);
unsigned int uplink_lan_nets(const struct uplink *ul, struct network *const **nets);

#endif
