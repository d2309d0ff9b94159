/* ports.h - extras of the port types beyond struct port_ops (ports area).
 *
 * port.h holds what every stage needs; this holds what only the code that
 * creates ports needs: whether an AF_PACKET port owns its interface (a
 * veth host end we made, deleted on destroy) or merely borrows it (the
 * uplink), and promiscuous mode for an uplink on a real NIC.
 */
#ifndef VS_PORTS_H
#define VS_PORTS_H

#include <stdbool.h>

struct port;

/* port_afpacket.c */
/* OWNED: close(port, destroy=true) also deletes the interface. */
void port_afpacket_set_owned(struct port *port, bool owned);
/* Receive frames for every MAC (an uplink on a NIC shared with the host). */
int port_afpacket_set_promisc(struct port *port);

#endif
