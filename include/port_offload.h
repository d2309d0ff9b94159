/* port_offload.h - the software fallback for offloads a port lacks.
 *
 * A sender that hands us GSO frames and partial checksums (a TAP or an
 * AF_PACKET socket with a vnet header) leaves work a NIC would do; when
 * the port a frame leaves by cannot take it as it is, port.c finishes it
 * here: checksum, or segmentation of a TCP GSO frame (IPv4 or IPv6).  Only port.c and
 * the port types need this; stages see port.h only.
 */
#ifndef VS_PORT_OFFLOAD_H
#define VS_PORT_OFFLOAD_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/virtio_net.h>

/* port_offload.c: finish what a sender left to a NIC (AF_PACKET with
 * PACKET_VNET_HDR tells us). */
/* Complete a partial L4 checksum in place; false if VH's offsets do not
 * fit in LEN. */
bool port_offload_csum(uint8_t *frame, uint32_t len, const struct virtio_net_hdr *vh);
/* Split a TCPv4 GSO frame into segments of at most MSS payload bytes,
 * written at OUT + i * SLOT with their lengths in LENS[i]; at most MAX.
 * Return: the number of segments, or -1 if the frame cannot be split. */
int port_offload_tso4(const uint8_t *frame, uint32_t len, uint16_t mss,
		      uint8_t *out, uint32_t slot, unsigned int max, uint32_t *lens);
/* The same for a TCPv6 GSO frame (TCP right after the fixed header). */
int port_offload_tso6(const uint8_t *frame, uint32_t len, uint16_t mss,
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
