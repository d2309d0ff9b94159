/* drop.h - every reason the switch drops a frame, with its name.
 *
 * One X-macro list generates the enum and the string table, so a new
 * reason cannot be added without a name (the kernel's DEFINE_DROP_REASON).
 * Each port counts drops by reason; `vsctl stats` prints them.
 */
#ifndef VS_DROP_H
#define VS_DROP_H

#define DROP_REASONS(X) \
	X(RUNT, "runt")                       /* shorter than an Ethernet header */ \
	X(BAD_L3, "bad_l3")                   /* IPv4, IPv6 or ARP header truncated */ \
	X(BAD_IP_VERSION, "bad_ip_version")   /* IPv4 ethertype, version not 4 */ \
	X(BAD_IHL, "bad_ihl")                 /* IHL < 5, or longer than the packet */ \
	X(BAD_IP_LEN, "bad_ip_len")           /* total length < 20 or beyond the frame */ \
	X(BAD_L4, "bad_l4")                   /* TCP/UDP/ICMP header truncated */ \
	X(BAD_TCP_OFF, "bad_tcp_off")         /* TCP data offset < 5 or past the packet */ \
	X(BAD_UDP_LEN, "bad_udp_len")         /* UDP length < 8 or beyond the IP payload */ \
	X(BAD_FRAG, "bad_frag")               /* empty, endless or tiny first fragment */ \
	X(FRAG_OVERLAP, "frag_overlap")       /* fragment over the L4 header (RFC 1858) */ \
	X(SRC_MAC_SPOOF, "src_mac_spoof")     /* port security: foreign source MAC */ \
	X(SRC_IP_SPOOF, "src_ip_spoof")       /* port security: foreign source IP */ \
	X(ARP_SPOOF, "arp_spoof")             /* port security: foreign ARP sender */ \
	X(VLAN_TAGGED, "vlan_tagged")         /* 802.1Q/802.1ad tag from a container or the uplink */ \
	X(SRC_IP6_SPOOF, "src_ip6_spoof")     /* port security: foreign IPv6 source */ \
	X(ND_RA, "nd_ra")                     /* router advertisement from a container */ \
	X(ND_REDIRECT, "nd_redirect")         /* ICMPv6 redirect from a container */ \
	X(ND_ROUTER_RENUM, "nd_router_renum") /* router renumbering from a container */ \
	X(DHCP6_SERVER, "dhcp6_server")       /* DHCPv6 from port 547 (server/relay) */ \
	X(ND_SPOOF, "nd_spoof")               /* NA/NS speaking for another address or MAC */ \
	X(BAD_EXT_HDR, "bad_ext_hdr")         /* IPv6 extension headers too long, cut, or fragmented ND */ \
	X(BAD_SRC_MAC, "bad_src_mac")         /* multicast or zero source MAC */ \
	X(FDB_CAP, "fdb_cap")                 /* port reached its learned-MAC cap */ \
	X(NO_ICC, "no_icc")                   /* --no-icc network, container to container */ \
	X(NO_ROUTE, "no_route")               /* routed packet, no route (ICMP sent) */ \
	X(HOST_LEG, "host_leg")               /* to the host leg's kernel address, not the proxy's connection */ \
	X(TTL_EXCEEDED, "ttl_exceeded")       /* TTL hit zero (ICMP sent) */ \
	X(NOT_FOR_US, "not_for_us")           /* to the gateway MAC, not routable */ \
	X(UNSUPPORTED, "unsupported")         /* protocol the switch does not handle */ \
	X(CT_FULL, "ct_full")                 /* conntrack table at its limit */ \
	X(CT_INVALID, "ct_invalid")           /* conntrack refused the packet */ \
	X(TCP_OUT_OF_WINDOW, "tcp_out_of_window") /* RST/FIN outside the receiver's window (RFC 5961) */ \
	X(ICMP_FOREIGN, "icmp_foreign")       /* ICMP error about another endpoint's flow */ \
	X(NAT_NO_PORT, "nat_no_port")         /* SNAT range exhausted */ \
	X(NAT_PORT_SHARE, "nat_port_share")   /* the source holds its share of SNAT ports */ \
	X(ARP_PENDING_FULL, "arp_pending_full") /* next-hop queue overflow */ \
	X(NEIGH_TIMEOUT, "neigh_timeout")     /* next hop never answered ARP */ \
	X(DNS_BAD, "dns_bad")                 /* malformed DNS query */ \
	X(DNS_FLOOD, "dns_flood")             /* DNS query over its client's rate or in-flight share */ \
	X(TX_ERROR, "tx_error")               /* the port's write failed */ \
	X(TX_FULL, "tx_full")                 /* the port's queue was full */ \
	X(LOOP, "loop")                       /* frame back to its own port */ \
	X(MTU, "mtu")                         /* larger than the egress MTU */ \
	X(FRAG_NEEDED, "frag_needed")         /* routed, DF, over the next MTU (ICMP sent) */ \
	X(GSO_SEGMENT, "gso_segment")         /* GSO frame for a port without offloads, not cut */ \
	X(LAN_MAC_CONFLICT, "lan_mac_conflict") /* from the LAN with a local container's MAC */ \
	X(IP_CONFLICT, "ip_conflict")         /* ARP of the LAN claiming a container's address */ \
	X(VXLAN_TRUNCATED, "vxlan_truncated") /* VXLAN payload shorter than its header + Ethernet */ \
	X(VXLAN_BAD_FLAGS, "vxlan_bad_flags") /* VXLAN flags not 0x08, or a reserved bit set */ \
	X(VXLAN_UNKNOWN_VNI, "vxlan_unknown_vni") /* no overlay network with the packet's VNI */ \
	X(VXLAN_UNKNOWN_VTEP, "vxlan_unknown_vtep") /* source VTEP not a member of the network */ \
	X(VXLAN_MAC_CONFLICT, "vxlan_mac_conflict") /* tunnel frame with a MAC that is elsewhere */ \
	X(VXLAN_NO_TUNNEL, "vxlan_no_tunnel") /* overlay frame for a remote VTEP, no --vtep-ip */ \
	X(RX_RING_BAD, "rx_ring_bad")         /* AF_PACKET ring slot with a length or offset outside it */ \
	X(RX_RING_CUT, "rx_ring_cut")         /* frame too big for a ring slot, no whole copy queued */

#define DROP_ENUM(name, str) DROP_##name,
enum drop_reason { DROP_NONE = 0, DROP_REASONS(DROP_ENUM) DROP_MAX };
#undef DROP_ENUM

extern const char *const drop_reason_names[DROP_MAX];

#endif
