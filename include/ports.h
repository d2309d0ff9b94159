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
#include <stdint.h>
#include <linux/virtio_net.h>

struct port;
struct ev_loop;

/* port_afpacket.c */
/* OWNED: close(port, destroy=true) also deletes the interface. */
void port_afpacket_set_owned(struct port *port, bool owned);
/* Receive frames for every MAC (an uplink on a NIC shared with the host). */
int port_afpacket_set_promisc(struct port *port);

/* port_offload.c: finish what a sender left to a NIC (AF_PACKET with
 * PACKET_VNET_HDR tells us).  Minimal UDP header, for the checksum offset. */
struct udphdr_min { uint16_t source, dest, len, check; };
/* Complete a partial L4 checksum in place; false if VH's offsets do not
 * fit in LEN. */
bool port_offload_csum(uint8_t *frame, uint32_t len, const struct virtio_net_hdr *vh);
/* Split a TCPv4 GSO frame into segments of at most MSS payload bytes,
 * written at OUT + i * SLOT with their lengths in LENS[i]; at most MAX.
 * Return: the number of segments, or -1 if the frame cannot be split. */
int port_offload_tso4(const uint8_t *frame, uint32_t len, uint16_t mss,
		      uint8_t *out, uint32_t slot, unsigned int max, uint32_t *lens);

struct pkt;
/* A 64 KB frame at the smallest MSS Linux sends (48 bytes). */
#define PORT_OFFLOAD_SEG_MAX 1400
/* Flags from a received frame's vnet header, checked; 0 or -drop reason. */
int port_offload_rx(struct pkt *p);
/* Cut a GSO frame into segments at OUT (SIZE bytes), *SLOT bytes apart. */
int port_offload_segment(const struct pkt *p, uint8_t *out, size_t size,
			 uint32_t *slot, uint32_t *lens);

#endif
