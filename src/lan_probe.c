/* lan_probe.c - is an address free on the LAN?  RFC 5227's ARP probe.
 *
 * A container of a LAN network (macvlan, ipvlan) takes an address on a
 * segment the switch shares with other machines, which no allocator of
 * ours knows: before `network connect` gives it one, vswitchd asks the
 * LAN.  It sends ARP probes for the address (sender IP 0.0.0.0, target
 * the address, RFC 5227 2.1.1) from the uplink's interface and listens
 * for an answer: an ARP packet whose sender address is the one probed
 * (someone holds it) or another probe for it from another MAC (someone
 * is taking it at the same time).  A fixed --ip that is in use is refused
 * with one line; an automatic address that is in use is skipped for the
 * next free one, at most LAN_PROBE_TRIES times.
 *
 * Limits, and why: the probe runs inside the connect command, which the
 * control protocol answers before it takes the next request, so it is
 * short: LAN_PROBE_NUM probes LAN_PROBE_GAP_MS apart, answers awaited
 * until LAN_PROBE_GAP_MS after the last (RFC 5227's 1-2 s intervals and
 * its 2 s ANNOUNCE_WAIT are for a host that may take its time; a host
 * that holds the address answers a probe within milliseconds).  The
 * datapath waits as long: a connect to a LAN network costs at most
 * LAN_PROBE_TRIES * LAN_PROBE_NUM * LAN_PROBE_GAP_MS of forwarding.  An
 * address taken later is caught by lan.c (ip_conflict, logged).  A probe
 * that cannot be sent (no such interface: a TAP uplink, a test harness)
 * lets the address through with a warning.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/if_ether.h>
#include <linux/if_packet.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "ipam.h"
#include "lan.h"
#include "log.h"
#include "model.h"
#include "uplink.h"

#define LAN_PROBE_NUM 3
#define LAN_PROBE_GAP_MS 100
#define LAN_PROBE_TRIES 4

struct lan_arp_frame {
	struct ether_header eth;
	struct ether_arp arp;
} __attribute__((packed));

static uint64_t lan_probe_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* lan_probe_socket() - An ARP-only packet socket on IFNAME; -1 if none. */
static int lan_probe_socket(const char *ifname, int *ifindex)
{
	struct sockaddr_ll sll;
	int fd;

	*ifindex = (int)if_nametoindex(ifname);
	if (!*ifindex)
		return -1;
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, htons(ETH_P_ARP));
	if (fd < 0)
		return -1;
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_ARP);
	sll.sll_ifindex = *ifindex;
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* lan_probe_send() - One probe for IP from MAC. */
static int lan_probe_send(int fd, int ifindex, const uint8_t mac[6], uint32_t ip)
{
	struct lan_arp_frame f;
	struct sockaddr_ll to;

	memset(&f, 0, sizeof(f));
	memset(f.eth.ether_dhost, 0xff, 6);
	memcpy(f.eth.ether_shost, mac, 6);
	f.eth.ether_type = htons(ETHERTYPE_ARP);
	f.arp.arp_hrd = htons(ARPHRD_ETHER);
	f.arp.arp_pro = htons(ETHERTYPE_IP);
	f.arp.arp_hln = 6;
	f.arp.arp_pln = 4;
	f.arp.arp_op = htons(ARPOP_REQUEST);
	memcpy(f.arp.arp_sha, mac, 6);
	memcpy(f.arp.arp_tpa, &ip, 4);    /* sender IP 0: a probe claims nothing */
	memset(&to, 0, sizeof(to));
	to.sll_family = AF_PACKET;
	to.sll_ifindex = ifindex;
	to.sll_halen = 6;
	memset(to.sll_addr, 0xff, 6);
	return sendto(fd, &f, sizeof(f), 0, (struct sockaddr *)&to, sizeof(to)) < 0 ? -1 : 0;
}

/* lan_probe_answer() - Does frame F (LEN bytes) say IP is taken?  Its
 * sender's MAC in WHO if so. */
static bool lan_probe_answer(const uint8_t *f, ssize_t len, const uint8_t mac[6], uint32_t ip,
			     uint8_t who[6])
{
	const struct ether_arp *a = (const void *)(f + ETHER_HDR_LEN);
	uint32_t spa, tpa;

	if (len < (ssize_t)(ETHER_HDR_LEN + sizeof(*a)) || a->arp_hln != 6 || a->arp_pln != 4 ||
	    a->arp_pro != htons(ETHERTYPE_IP))
		return false;
	memcpy(&spa, a->arp_spa, 4);
	memcpy(&tpa, a->arp_tpa, 4);
	if (!memcmp(a->arp_sha, mac, 6))
		return false;                  /* our own probe, seen again */
	if (spa != ip && !(spa == 0 && tpa == ip && ntohs(a->arp_op) == ARPOP_REQUEST))
		return false;
	memcpy(who, a->arp_sha, 6);
	return true;
}

/* lan_probe_listen() - Read answers until DEADLINE (ms); 1 if IP is taken. */
static int lan_probe_listen(int fd, uint64_t deadline, const uint8_t mac[6], uint32_t ip,
			    uint8_t who[6])
{
	uint8_t buf[256];
	struct sockaddr_ll from;
	socklen_t fl;
	uint64_t now;
	ssize_t n;

	while ((now = lan_probe_now_ms()) < deadline) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };

		if (poll(&pfd, 1, (int)(deadline - now)) <= 0)
			continue;
		for (;;) {
			fl = sizeof(from);
			n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
			if (n < 0)
				break;
			if (from.sll_pkttype != PACKET_OUTGOING &&
			    lan_probe_answer(buf, n, mac, ip, who))
				return 1;
		}
	}
	return 0;
}

/**
 * lan_probe() - Does any LAN host hold IP?
 * @ifname:	the uplink's interface
 * @mac:	the MAC the probes come from
 * @ip:		the address, network order
 * @who:	the holder's MAC, when taken
 *
 * Return: 1 taken, 0 free, -1 no probe possible (errno)
 */
static int lan_probe(const char *ifname, const uint8_t mac[6], uint32_t ip, uint8_t who[6])
{
	int ifindex, fd = lan_probe_socket(ifname, &ifindex), i, r = 0;

	if (fd < 0)
		return -1;
	for (i = 0; i < LAN_PROBE_NUM && !r; i++) {
		if (lan_probe_send(fd, ifindex, mac, ip) < 0) {
			r = -1;
			break;
		}
		r = lan_probe_listen(fd, lan_probe_now_ms() + LAN_PROBE_GAP_MS, mac, ip, who);
	}
	close(fd);
	return r;
}

/* lan_probe_one() - Probe EP's address; 1 taken (ERR says by whom), else 0. */
static int lan_probe_one(struct endpoint *ep, char *err, size_t errlen)
{
	struct uplink *ul = ep->net->lan_ul;
	char a[VS_ADDR_STRLEN], m[18];
	uint8_t mac[6], who[6];
	int r;

	vs_addr_str(&ep->ip, a, sizeof(a));
	if (vs_addr_get_v4(&ep->ip) == uplink_ip(ul)) {
		snprintf(err, errlen, "address %s is the uplink's own (vswitchd --uplink-ip)", a);
		return 1;
	}
	/* From the uplink's MAC, for macvlan too: a container's MAC-to-be
	 * follows from the address, so it is the MAC of whoever holds the
	 * address already if that is a container of another vswitch, and a
	 * probe from it would go unanswered (lan.c drops a frame of the LAN
	 * with one of its containers' MACs). */
	memcpy(mac, uplink_mac(ul), 6);
	r = lan_probe(ep->net->parent, mac, vs_addr_get_v4(&ep->ip), who);
	if (r < 0) {
		log_warn("network %s: cannot probe %s on %s (%s): taking it unchecked",
			 ep->net->name, a, ep->net->parent, strerror(errno));
		return 0;
	}
	if (r)
		snprintf(err, errlen, "address %s is in use on the LAN of %s by %s (ARP probe, RFC 5227)",
			 a, ep->net->parent, ipam_mac_str(who, m));
	return r;
}

/**
 * lan_probe_addr() - Make sure EP's address is free on the LAN
 * @ep:		a new endpoint of a LAN network, its address chosen
 * @fixed:	the address was asked for (--ip): refuse rather than move on
 * @err:	one-line reason
 * @errlen:	size of @err
 *
 * An automatic address in use on the LAN is passed over for the next free
 * one (LAN_PROBE_TRIES in all).  Networks not on a LAN pass at once.
 *
 * Return: 0 (EP's address is free, maybe another than it was), or -1
 */
int lan_probe_addr(struct endpoint *ep, bool fixed, char *err, size_t errlen)
{
	union vs_addr next;
	int tries;

	if (!model_net_is_lan(ep->net) || !ep->net->lan_ul)
		return 0;
	for (tries = 0; tries < LAN_PROBE_TRIES; tries++) {
		if (!lan_probe_one(ep, err, errlen))
			return 0;
		if (fixed)
			return -1;
		log_info("network %s: %s", ep->net->name, err);
		if (ipam_alloc_after(ep->net, &ep->ip, &next, err, errlen))
			return -1;
		ep->ip = next;
	}
	snprintf(err, errlen, "network %s: %d addresses in a row are in use on the LAN; "
		 "give --ip-range or --ip", ep->net->name, LAN_PROBE_TRIES);
	return -1;
}
