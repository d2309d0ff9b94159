/* arp.h - build an Ethernet+ARP frame for IPv4 (RFC 826).
 *
 * The gateway (replies, gratuitous ARP) and the uplink (requests for its
 * next hop, replies for its own address) speak the same ARP; one builder
 * keeps the fixed fields in one place.
 */
#ifndef VS_ARP_H
#define VS_ARP_H

#include <arpa/inet.h>
#include <net/ethernet.h>
#include <net/if_arp.h>
#include <netinet/if_ether.h>
#include <string.h>

/* Fill ETH's source and type and all of A; the caller sets ETH's
 * destination.  Addresses are in network order. */
static inline void arp_fill(struct ether_header *eth, struct ether_arp *a, uint16_t op,
			    const uint8_t sha[6], uint32_t spa,
			    const uint8_t tha[6], uint32_t tpa)
{
	memcpy(eth->ether_shost, sha, 6);
	eth->ether_type = htons(ETHERTYPE_ARP);
	a->arp_hrd = htons(ARPHRD_ETHER);
	a->arp_pro = htons(ETHERTYPE_IP);
	a->arp_hln = 6;
	a->arp_pln = 4;
	a->arp_op = htons(op);
	memcpy(a->arp_sha, sha, 6);
	memcpy(a->arp_spa, &spa, 4);
	memcpy(a->arp_tha, tha, 6);
	memcpy(a->arp_tpa, &tpa, 4);
}

#endif
