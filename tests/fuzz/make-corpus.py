#!/usr/bin/python3
"""make-corpus.py - write the seed inputs of the fuzz targets.

The seeds in tests/fuzz/corpus/<target>/ are generated here rather than
kept as opaque blobs, so that a reader sees what each one exercises and a
change of the world (fuzz_world.c) or of a format is one edit here.  Run it
from anywhere; it rewrites the seed files it owns (named after the
functions below) and leaves every other file alone, so inputs found by
fuzzing and copied into the corpus stay.

    /usr/bin/python3 tests/fuzz/make-corpus.py

The seeds of the dns target (single DNS messages) are kept as files.
Needs python3-scapy (already a test dependency).  The addresses are the
fuzz world's (tests/fuzz/fuzz_world.c):
  fz1 172.18.0.0/16, gateway .1 MAC 06:11:00:00:00:00, MTU 1500, DNS
      c1 .2  c2 .3 (alias web)  c4 .4 (alias web, no port security)
  fz2 172.19.0.0/16, gateway .1 MAC 06:22:00:00:00:00, MTU 1400, no ICC,
      DNS interception;  c3 .2  c1 .3 (alias db)
  uplink 10.99.0.2/24 (MAC 02:42:0a:63:00:02), gateway 10.99.0.1;
      tcp 8080 -> c1:80, udp 5300-5301 -> c2:53-54
  fz3 172.20.0.0/16, overlay VNI 4242, gateway .1 MAC 06:56:58:00:10:92
      (from the VNI), MTU 1500 over a tunnel that carries 1450;  c5 .2;
      member VTEP 10.99.0.50, behind it the remote c9 .9;  this host's
      VTEP 10.99.0.3.  Tunnel records are [outer source IPv4][UDP payload].
  containers' MACs are 02:42 + their address (Docker's rule).
"""
import json
import os
import struct
import sys

from scapy.all import (ARP, DNS, DNSQR, ICMP, IP, TCP, UDP, Dot1Q, Ether,
                       Raw, fragment)

HERE = os.path.dirname(os.path.abspath(__file__))

GW1, GW2 = "06:11:00:00:00:00", "06:22:00:00:00:00"
UPLINK_MAC, OUT_GW_MAC = "02:42:0a:63:00:02", "02:00:5e:00:00:01"
BCAST = "ff:ff:ff:ff:ff:ff"


def mac(ip):
    return "02:42:" + ":".join(f"{int(b):02x}" for b in ip.split("."))


# Port selectors (fuzz_pipeline.c): endpoints 0-4, uplink 5, c5@fz3 6,
# the tunnel 7.
C1, C2, C4, C3, C1B, UPLINK, C5, TUNNEL = 0, 1, 2, 3, 4, 5, 6, 7
NEW_BURST = 8
IPS = {C1: "172.18.0.2", C2: "172.18.0.3", C4: "172.18.0.4",
       C3: "172.19.0.2", C1B: "172.19.0.3", C5: "172.20.0.2"}
GWS = {C1: ("172.18.0.1", GW1), C2: ("172.18.0.1", GW1), C4: ("172.18.0.1", GW1),
       C3: ("172.19.0.1", GW2), C1B: ("172.19.0.1", GW2)}


def rec(port, frame, step=0, new=False):
    """One record: selector, 16-bit length, frame bytes."""
    b = bytes(frame)
    return bytes([port | (NEW_BURST if new else 0) | step << 4]) + \
        struct.pack(">H", len(b)) + b


def from_ctr(port, l3):
    """An IPv4 packet from container PORT to its gateway's MAC."""
    return Ether(src=mac(IPS[port]), dst=GWS[port][1]) / l3


def from_out(l3):
    """An IPv4 packet from the outside router to the uplink."""
    return Ether(src=OUT_GW_MAC, dst=UPLINK_MAC) / l3


def out_gw_arp_reply():
    return rec(UPLINK, Ether(src=OUT_GW_MAC, dst=UPLINK_MAC) /
               ARP(op=2, hwsrc=OUT_GW_MAC, psrc="10.99.0.1",
                   hwdst=UPLINK_MAC, pdst="10.99.0.2"))


# ---- fuzz_pipeline ----

def p_arp_ping_gw():
    return (rec(C1, Ether(src=mac(IPS[C1]), dst=BCAST) /
                ARP(op=1, hwsrc=mac(IPS[C1]), psrc=IPS[C1], pdst="172.18.0.1")) +
            rec(C1, from_ctr(C1, IP(src=IPS[C1], dst="172.18.0.1") / ICMP(id=7, seq=1) /
                Raw(b"x" * 56))))


def p_l2_switching():
    c1, c2 = mac(IPS[C1]), mac(IPS[C2])
    return (rec(C1, Ether(src=c1, dst=BCAST) / ARP(op=1, hwsrc=c1, psrc=IPS[C1], pdst=IPS[C2])) +
            rec(C2, Ether(src=c2, dst=c1) / ARP(op=2, hwsrc=c2, psrc=IPS[C2], hwdst=c1, pdst=IPS[C1])) +
            rec(C1, Ether(src=c1, dst=c2) / IP(src=IPS[C1], dst=IPS[C2]) / UDP(sport=1000, dport=2000) / Raw(b"hi")) +
            rec(C4, Ether(src="02:99:00:00:00:01", dst=c1) / IP(src="1.2.3.4", dst=IPS[C1]) / UDP() / Raw(b"x")) +
            rec(C3, Ether(src=mac(IPS[C3]), dst=c1) / IP(src=IPS[C3], dst=IPS[C1]) / UDP()) +
            rec(C1, Ether(src=c1, dst="33:33:00:00:00:01", type=0x86dd) / Raw(b"\x60" + b"\0" * 39)))


def p_spoof_and_vlan():
    c1 = mac(IPS[C1])
    return (rec(C1, Ether(src=c1, dst=GW1) / IP(src="172.18.0.9", dst="8.8.8.8") / UDP()) +
            rec(C1, Ether(src="02:42:ac:12:00:09", dst=GW1) / IP(src=IPS[C1], dst="8.8.8.8") / UDP()) +
            rec(C1, Ether(src=c1, dst=GW1) / Dot1Q(vlan=5) / IP(src=IPS[C1], dst="172.18.0.1") / ICMP()) +
            rec(C1, Ether(src=c1, dst=GW1)))


def lladdr(m):
    b = bytes.fromhex(m.replace(":", ""))
    b = bytes([b[0] ^ 2]) + b[1:3] + b"\xff\xfe" + b[3:]
    return "fe80::" + ":".join(b[i:i + 2].hex() for i in range(0, 8, 2))


def p_vlan_tags():
    """Tagged frames (802.1Q, 802.1ad, 0x9100) from a container, routed
    and switched, and from the uplink: all vlan_tagged."""
    c1 = mac(IPS[C1])
    ip = IP(src=IPS[C1], dst="93.184.216.34") / UDP(sport=4444, dport=9999) / Raw(b"v")
    return (rec(C1, Ether(src=c1, dst=GW1) / Dot1Q(vlan=42, prio=5) / ip) +
            rec(C1, Ether(src=c1, dst=GW1, type=0x88a8) / Dot1Q(vlan=7) / ip) +
            rec(C1, Ether(src=c1, dst=mac(IPS[C2]), type=0x9100) / Dot1Q(vlan=7) / ip) +
            rec(C4, Ether(src="02:99:00:00:00:01", dst=BCAST) / Dot1Q(vlan=1) /
                ARP(op=1, hwsrc="02:99:00:00:00:01", psrc="172.18.0.4", pdst="172.18.0.1")) +
            out_gw_arp_reply() +
            rec(UPLINK, Ether(src=OUT_GW_MAC, dst=UPLINK_MAC) / Dot1Q(vlan=42) /
                IP(src="198.51.100.7", dst="10.99.0.2") / ICMP()))


def p_ipv6_port_security():
    """IPv6 from containers: RA, redirect, renumbering, DHCPv6 server,
    NA/NS spoofing, foreign and unspecified sources, extension header
    chains (ingress_v6.c); c4 has no port security."""
    from scapy.layers.inet6 import (IPv6, ICMPv6ND_RA, ICMPv6ND_NA, ICMPv6ND_NS,
                                    ICMPv6ND_Redirect, ICMPv6NDOptPrefixInfo,
                                    ICMPv6NDOptSrcLLAddr, ICMPv6NDOptDstLLAddr,
                                    ICMPv6EchoRequest, IPv6ExtHdrHopByHop,
                                    IPv6ExtHdrDestOpt, IPv6ExtHdrFragment, ICMPv6MLReport2)
    c1, c2 = mac(IPS[C1]), mac(IPS[C2])
    e = lambda m=c1, d="33:33:00:00:00:01": Ether(src=m, dst=d)  # noqa: E731
    ll1, ll2 = lladdr(c1), lladdr(c2)
    ra = ICMPv6ND_RA(routerlifetime=1800) / ICMPv6NDOptPrefixInfo(prefix="2001:db8:bad::", prefixlen=64)
    return (rec(C1, e() / IPv6(src=ll1, dst="ff02::1") / ra) +
            rec(C1, e() / IPv6(src="fe80::bad:1", dst="ff02::1") / ra) +
            rec(C1, e() / IPv6(src=ll1, dst="ff02::1") / ICMPv6ND_Redirect(tgt=ll1, dst="2001:db8::1")) +
            rec(C1, e() / IPv6(src=ll1, dst="ff02::1") / ICMPv6ND_NA(tgt=ll2, O=1) /
                ICMPv6NDOptDstLLAddr(lladdr=c1)) +
            rec(C1, e() / IPv6(src=ll1, dst="ff02::1") / ICMPv6ND_NA(tgt=ll1, O=1) /
                ICMPv6NDOptDstLLAddr(lladdr=c1)) +
            rec(C1, e() / IPv6(src="::", dst="ff02::1:ff00:2") / ICMPv6ND_NS(tgt=ll1)) +
            rec(C1, e() / IPv6(src=ll1, dst="ff02::1:ff00:3") / ICMPv6ND_NS(tgt=ll2) /
                ICMPv6NDOptSrcLLAddr(lladdr=c2)) +
            rec(C1, e() / IPv6(src="::", dst="ff02::16") / ICMPv6MLReport2()) +
            rec(C1, e(d=c2) / IPv6(src=ll1, dst=ll2) / ICMPv6EchoRequest()) +
            rec(C1, e(d="33:33:00:01:00:02") / IPv6(src=ll1, dst="ff02::1:2") /
                UDP(sport=547, dport=546) / Raw(b"\x02")) +
            rec(C1, e() / IPv6(src=ll1, dst="ff02::1") / IPv6ExtHdrHopByHop() /
                IPv6ExtHdrDestOpt() / ra) +
            rec(C1, e() / IPv6(src=ll1, dst="ff02::1") / IPv6ExtHdrFragment(m=1) /
                ICMPv6ND_NA(tgt=ll1)) +
            rec(C1, e() / IPv6(src=ll1, dst="ff02::1") / IPv6ExtHdrFragment(offset=3) / Raw(b"x" * 16)) +
            rec(C4, e("02:99:00:00:00:01") / IPv6(src="fe80::99", dst="ff02::1") / ra))


def p_dns_udp():
    q = lambda name, t="A": from_ctr(C1, IP(src=IPS[C1], dst="172.18.0.1") /
                                     UDP(sport=40000, dport=53) / DNS(rd=1, qd=DNSQR(qname=name, qtype=t)))
    return (rec(C1, q("c2")) + rec(C1, q("web.fz1")) + rec(C1, q("2.0.18.172.in-addr.arpa", "PTR")) +
            rec(C1, q("example.com")) + rec(C1, q("c2", "AAAA")))


def p_dns_tcp():
    # Built with -DDNS_FUZZ, the responder's ISN is 0.
    ip = IP(src=IPS[C1], dst="172.18.0.1")
    msg = bytes(DNS(id=1, rd=1, qd=DNSQR(qname="c2")))
    data = struct.pack(">H", len(msg)) + msg
    return (rec(C1, from_ctr(C1, ip / TCP(sport=40001, dport=53, flags="S", seq=100))) +
            rec(C1, from_ctr(C1, ip / TCP(sport=40001, dport=53, flags="A", seq=101, ack=1))) +
            rec(C1, from_ctr(C1, ip / TCP(sport=40001, dport=53, flags="PA", seq=101, ack=1) / Raw(data))) +
            rec(C1, from_ctr(C1, ip / TCP(sport=40001, dport=53, flags="FA", seq=101 + len(data), ack=1)), step=5) +
            rec(C1, from_ctr(C1, ip / TCP(sport=40002, dport=53, flags="S", seq=7)), step=4))


def p_dns_intercept():
    return rec(C3, from_ctr(C3, IP(src=IPS[C3], dst="8.8.8.8") / UDP(sport=4444, dport=53) /
                            DNS(rd=1, qd=DNSQR(qname="c1"))))


def p_snat_tcp():
    ip = IP(src=IPS[C1], dst="93.184.216.34")
    back = IP(src="93.184.216.34", dst="10.99.0.2")
    return (rec(C1, from_ctr(C1, ip / TCP(sport=33000, dport=80, flags="S", seq=1000))) +
            out_gw_arp_reply() +
            rec(UPLINK, from_out(back / TCP(sport=80, dport=33000, flags="SA", seq=5000, ack=1001))) +
            rec(C1, from_ctr(C1, ip / TCP(sport=33000, dport=80, flags="A", seq=1001, ack=5001))) +
            rec(C1, from_ctr(C1, ip / TCP(sport=33000, dport=80, flags="PA", seq=1001, ack=5001) / Raw(b"GET /\r\n"))) +
            rec(UPLINK, from_out(back / TCP(sport=80, dport=33000, flags="FA", seq=5001, ack=1008)), step=9) +
            rec(C1, from_ctr(C1, ip / TCP(sport=33000, dport=80, flags="FA", seq=1008, ack=5002))))


def p_dnat_published():
    src = IP(src="198.51.100.7", dst="10.99.0.2")
    c1 = IP(src=IPS[C1], dst="198.51.100.7")
    return (out_gw_arp_reply() +
            rec(UPLINK, from_out(src / TCP(sport=40000, dport=8080, flags="S", seq=1))) +
            rec(C1, from_ctr(C1, c1 / TCP(sport=80, dport=40000, flags="SA", seq=9, ack=2))) +
            rec(UPLINK, from_out(src / UDP(sport=5000, dport=5301) / Raw(b"q"))) +
            rec(C2, from_ctr(C2, IP(src=IPS[C2], dst="198.51.100.7") / UDP(sport=54, dport=5000) / Raw(b"a"))))


def p_hairpin():
    return (out_gw_arp_reply() +
            rec(C2, from_ctr(C2, IP(src=IPS[C2], dst="10.99.0.2") / TCP(sport=41000, dport=8080, flags="S"))) +
            rec(C2, from_ctr(C2, IP(src=IPS[C2], dst="10.99.0.2") / ICMP(id=3))))


def p_icmp_error():
    out = IP(src="10.99.0.2", dst="8.8.4.4") / UDP(sport=5555, dport=33434)
    return (rec(C1, from_ctr(C1, IP(src=IPS[C1], dst="8.8.4.4") / UDP(sport=5555, dport=33434) / Raw(b"p"))) +
            out_gw_arp_reply() +
            rec(UPLINK, from_out(IP(src="8.8.4.4", dst="10.99.0.2") / ICMP(type=3, code=3) / bytes(out)[:28])) +
            rec(UPLINK, from_out(IP(src="192.0.2.9", dst="10.99.0.2") / ICMP(type=11, code=0) / bytes(out)[:28])))


def p_fragments():
    pkt = IP(src=IPS[C1], dst="8.8.8.8", id=77) / UDP(sport=6000, dport=7000) / Raw(b"z" * 1200)
    frags = fragment(pkt, fragsize=600)
    return out_gw_arp_reply() + b"".join(rec(C1, from_ctr(C1, f)) for f in frags) + \
        rec(C1, from_ctr(C1, frags[-1]))


def p_ttl_and_unreachable():
    return (rec(C1, from_ctr(C1, IP(src=IPS[C1], dst="8.8.8.8", ttl=1) / UDP(dport=33434))) +
            rec(C1, from_ctr(C1, IP(src=IPS[C1], dst="172.19.0.2") / ICMP())) +
            rec(C1, from_ctr(C1, IP(src=IPS[C1], dst="172.18.0.1") / TCP(dport=22, flags="S"))) +
            rec(C1, from_ctr(C1, IP(src=IPS[C1], dst="172.18.0.99") / ICMP())))


def p_mtu():
    big = IP(src=IPS[C1], dst="8.8.8.8", flags="DF") / UDP(sport=1, dport=2) / Raw(b"m" * 1600)
    jumbo = Ether(src=mac(IPS[C1]), dst=mac(IPS[C2])) / IP(src=IPS[C1], dst=IPS[C2]) / UDP() / Raw(b"j" * 9000)
    return rec(C1, from_ctr(C1, big)) + rec(C1, jumbo) + \
        rec(C1B, from_ctr(C1B, IP(src=IPS[C1B], dst=IPS[C3]) / UDP() / Raw(b"k" * 1450)))


def p_uplink_local():
    return (rec(UPLINK, Ether(src=OUT_GW_MAC, dst=BCAST) /
                ARP(op=1, hwsrc=OUT_GW_MAC, psrc="10.99.0.1", pdst="10.99.0.2")) +
            rec(UPLINK, from_out(IP(src="198.51.100.7", dst="10.99.0.2") / ICMP(id=9))) +
            rec(UPLINK, from_out(IP(src="198.51.100.7", dst="10.99.0.77") / ICMP())) +
            rec(UPLINK, from_out(IP(src="198.51.100.7", dst="10.99.0.2") / TCP(dport=9999, flags="S"))))


def p_expiry():
    return (out_gw_arp_reply() +
            rec(C1, from_ctr(C1, IP(src=IPS[C1], dst="9.9.9.9") / UDP(sport=7777, dport=53) / Raw(b"q"))) +
            rec(UPLINK, from_out(IP(src="9.9.9.9", dst="10.99.0.2") / UDP(sport=53, dport=7777) / Raw(b"a")),
                step=13) +
            rec(C2, from_ctr(C2, IP(src=IPS[C2], dst="9.9.9.9") / ICMP(id=1)), step=12))


VNI, GW3, PEER, C9 = 4242, "06:56:58:00:10:92", "10.99.0.50", "172.20.0.9"


def tun(inner, src=PEER, vni=VNI, flags=0x08, rsvd=0):
    """A datagram to the tunnel: [outer source][VXLAN header][inner]."""
    hdr = bytes([flags, 0, 0, rsvd]) + vni.to_bytes(3, "big") + b"\0"
    return bytes(int(b) for b in src.split(".")) + hdr + bytes(inner)


def p_vxlan():
    """The tunnel: a remote container's ARP and ping through it (decap,
    learning, ARP learned behind the VTEP), c5's answers and its ARP for
    c9 (answered from the store) and ping (encap to the member), a
    broadcast from c5 (head-end replication), a DF packet over what the
    tunnel carries (frag-needed from the gateway), and what is dropped
    by reason: wrong flags, reserved bits, an unknown VNI, truncated
    headers, a source VTEP that is no member, c5's own MAC from afar, a
    runt, a tagged and an oversized inner frame; then the clock moves past
    the aging time so learned entries expire."""
    c5, c9, rx = mac(IPS[C5]), mac(C9), "02:42:ac:14:00:33"
    arp9 = Ether(src=c9, dst=BCAST) / ARP(op=1, hwsrc=c9, psrc=C9, pdst=IPS[C5])
    ping9 = Ether(src=c9, dst=c5) / IP(src=C9, dst=IPS[C5]) / ICMP(id=3, seq=1) / Raw(b"p" * 32)
    learned = Ether(src=rx, dst=BCAST) / ARP(op=1, hwsrc=rx, psrc="172.20.0.51", pdst=IPS[C5])
    return (rec(TUNNEL, tun(arp9)) + rec(TUNNEL, tun(ping9)) + rec(TUNNEL, tun(learned)) +
            rec(C5, Ether(src=c5, dst=BCAST) / ARP(op=1, hwsrc=c5, psrc=IPS[C5], pdst=C9),
                new=True) +
            rec(C5, Ether(src=c5, dst=c9) / IP(src=IPS[C5], dst=C9) / ICMP(id=4) / Raw(b"q")) +
            rec(C5, Ether(src=c5, dst=BCAST) / IP(src=IPS[C5], dst="172.20.255.255") / UDP()) +
            rec(C5, Ether(src=c5, dst="02:42:ac:14:00:77") / IP(src=IPS[C5], dst="172.20.0.119") /
                UDP() / Raw(b"u")) +
            rec(C5, Ether(src=c5, dst=GW3) / IP(src=IPS[C5], dst=C9, flags="DF") / UDP() /
                Raw(b"d" * 1460)) +
            rec(TUNNEL, tun(ping9, flags=0x0c), new=True) +
            rec(TUNNEL, tun(ping9, rsvd=1)) +
            rec(TUNNEL, tun(ping9, vni=77777)) +
            rec(TUNNEL, tun(b"", src=PEER)[:7]) +
            rec(TUNNEL, b"\x0a\x63") +
            rec(TUNNEL, tun(ping9, src="10.99.0.66")) +
            rec(TUNNEL, tun(Ether(src=c5, dst=BCAST) / ARP(op=1, hwsrc=c5, psrc=IPS[C5]))) +
            rec(TUNNEL, tun(b"\x01\x02\x03")) +
            rec(TUNNEL, tun(Ether(src=c9, dst=c5) / Dot1Q(vlan=3) / IP(src=C9, dst=IPS[C5]))) +
            rec(TUNNEL, tun(Ether(src=c9, dst=c5) / IP(src=C9, dst=IPS[C5]) / UDP() /
                            Raw(b"o" * 1600))) +
            rec(TUNNEL, tun(ping9), step=11))


# ---- fuzz_control: request lines ----

def req(cmd, **args):
    return json.dumps({"cmd": cmd, "args": args} if args else {"cmd": cmd}).encode() + b"\n"


def c_networks():
    return (req("network.create", name="n3", subnet="10.10.0.0/24", gateway="10.10.0.254",
                ip_range="10.10.0.128/25", aux={"host1": "10.10.0.5"}, mtu=9000, icc=False) +
            req("network.create", name="n4", internal=True, dns=False) +
            req("network.ls") + req("network.inspect", names=["n3", "fz1", "bridge"]) +
            req("network.rm", names=["n4"]) + req("network.rm", names=["fz1"]) +
            req("network.prune") + req("show") + req("stats"))


def c_containers():
    return (req("network.connect", network="fz1", container="c9", netns="/proc/1/ns/net") +
            req("network.connect", network="fz2", container="c2", ip="172.19.0.50",
                aliases=["x", "y"], attach="veth") +
            req("container.ls") + req("network.disconnect", network="fz1", container="c4") +
            req("network.disconnect", network="fz2", container="c1") + req("container.ls"))


def c_ports():
    return (req("port.publish", container="c1", specs=["10.99.0.2:9000:90/udp", "10.99.0.2::22",
                                                       "0.0.0.0:80:80"]) +
            req("port.ls", container="c1") +
            req("port.unpublish", container="c1", specs=["8080:80"]) +
            req("port.unpublish", container="c2", specs=["10.99.0.2:5300-5301:53-54/udp"]) +
            req("port.ls", container="c2"))


def c_datapath():
    return (req("fdb.show") + req("fdb.show", network="fz1") + req("fdb.flush", network="fz2") +
            req("conntrack.ls") + req("conntrack.stats") + req("conntrack.flush") +
            req("dns.stats") +
            req("trace", **{"from": "c1", "to": "8.8.8.8", "port": 53, "proto": "udp"}) +
            req("trace", **{"from": "c3", "to": "172.19.0.3", "proto": "icmp"}))


def c_capture():
    return (req("capture", network="fz1", count=2, stage="all", filter="udp port 53") +
            req("network.ls"))


def c_recorder():
    return req("capture", container="c1", recorder=True) + req("show")


def c_malformed():
    return (b'{"cmd": 5}\n' + b'[1,2]\n' + b'{"cmd":"network.ls","args":[]}\n' +
            b'{"cmd":"nope"}\n' + b'not json at all\n' + req("network.inspect", names=[]) +
            b'{"cmd":"network.create","args":{"name":"' + b"a" * 80 + b'"}}\n' +
            b'{"cmd":"network.ls"')


# ---- fuzz_state: state.json files ----

def s_full():
    return json.dumps({
        "version": 1,
        "networks": [
            {"name": "bridge", "id": "a" * 64, "created": 1700000000, "subnet": "172.17.0.0/16",
             "gateway": "172.17.0.1", "aux": {}, "internal": False, "icc": True, "dns": False,
             "dns_intercept": False, "default": True, "mtu": 1500},
            {"name": "web", "id": "b" * 64, "created": 1700000001, "subnet": "172.18.0.0/16",
             "gateway": "172.18.0.1", "ip_range": "172.18.5.0/24", "aux": {"router": "172.18.0.254"},
             "internal": False, "icc": False, "dns": True, "dns_intercept": True, "default": False,
             "mtu": 1400}],
        "containers": [
            {"name": "c1", "netns": "vtc1", "next_order": 2,
             "endpoints": [
                 {"network": "web", "ip": "172.18.5.2", "mac": "02:42:ac:12:05:02", "ifname": "eth0",
                  "host_if": "", "attach": "tap", "port_security": True, "order": 0,
                  "aliases": ["www", "api"]},
                 {"network": "bridge", "ip": "172.17.0.2", "mac": "02:42:ac:11:00:02", "ifname": "eth1",
                  "host_if": "vs0123abcd", "attach": "veth", "port_security": False, "order": 1,
                  "aliases": []}],
             "published": [{"proto": "tcp", "host_ip": "0.0.0.0", "host_port": 8080, "cport": 80,
                            "count": 1},
                           {"proto": "udp", "host_ip": "127.0.0.1", "host_port": 5300, "cport": 53,
                            "count": 2}]}]}, indent=2).encode() + b"\n"


def s_empty():
    return b'{"version": 1, "networks": [], "containers": []}\n'


def s_bad():
    return (b'{"version": 1, "networks": [{"name": "x", "id": "' + b"c" * 64 +
            b'", "subnet": "10.0.0.0/8", "gateway": "11.0.0.1"}], "containers": []}')


# ---- fuzz_dns_input: [len][sel][payload] (see fuzz_dns_input.c) ----

def dframe(payload, tcp=False, flags=0, seq1=False, ack_data=False):
    sel = int(tcp) | (flags & 0x1f) << 1 | int(seq1) << 6 | int(ack_data) << 7
    return bytes([len(payload), sel]) + payload


def d_udp_queries():
    q = lambda name, t="A": bytes(DNS(id=7, rd=1, qd=DNSQR(qname=name, qtype=t)))
    return (dframe(q("c1")) + dframe(q("web")) + dframe(q("c2.n1")) +
            dframe(q("3.0.18.172.in-addr.arpa", "PTR")) + dframe(q("elsewhere.example")))


def d_tcp_session():
    # The responder's ISN is 0 under -DDNS_FUZZ: SYN at 0, data at 1, ACK 1.
    msg = bytes(DNS(id=9, rd=1, qd=DNSQR(qname="web")))
    data = struct.pack(">H", len(msg)) + msg
    return (dframe(b"", tcp=True, flags=0x02) + dframe(b"", tcp=True, flags=0x10, seq1=True) +
            dframe(data, tcp=True, flags=0x18, seq1=True) +
            dframe(b"", tcp=True, flags=0x11, seq1=True, ack_data=True))


def p_ipv6_dual_stack():
    """fz1 is dual-stack (fd00:18::/64, fuzz_world.c): c1 asks the gateway
    (neighbour solicitation, router solicitation, echo), its resolver at
    the IPv6 address (UDP AAAA, PTR under ip6.arpa, a TCP SYN), and sends
    UDP out through NAT66; the outside router answers the uplink's
    solicitation and replies."""
    from scapy.layers.inet6 import (IPv6, ICMPv6ND_NS, ICMPv6ND_NA, ICMPv6ND_RS,
                                    ICMPv6NDOptSrcLLAddr, ICMPv6NDOptDstLLAddr,
                                    ICMPv6EchoRequest)
    from scapy.layers.dns import DNS, DNSQR
    c1 = mac(IPS[C1])
    me, gw6 = "fd00:18::2", "fd00:18::1"
    ptr = "2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.1.0.0.d.f.ip6.arpa"
    return (rec(C1, Ether(src=c1, dst="33:33:ff:00:00:01") /
                IPv6(src=me, dst="ff02::1:ff00:1", hlim=255) /
                ICMPv6ND_NS(tgt=gw6) / ICMPv6NDOptSrcLLAddr(lladdr=c1)) +
            rec(C1, Ether(src=c1, dst="33:33:00:00:00:02") /
                IPv6(src=me, dst="ff02::2", hlim=255) /
                ICMPv6ND_RS() / ICMPv6NDOptSrcLLAddr(lladdr=c1)) +
            rec(C1, Ether(src=c1, dst=GW1) / IPv6(src=me, dst=gw6) / ICMPv6EchoRequest(id=3)) +
            rec(C1, Ether(src=c1, dst=GW1) / IPv6(src=me, dst=gw6) / UDP(sport=5353, dport=53) /
                DNS(id=1, rd=1, qd=DNSQR(qname="web", qtype="AAAA"))) +
            rec(C1, Ether(src=c1, dst=GW1) / IPv6(src=me, dst=gw6) / UDP(sport=5354, dport=53) /
                DNS(id=2, rd=1, qd=DNSQR(qname=ptr, qtype="PTR"))) +
            rec(C1, Ether(src=c1, dst=GW1) / IPv6(src=me, dst=gw6) / TCP(sport=4000, dport=53, flags="S")) +
            rec(C1, Ether(src=c1, dst=GW1) / IPv6(src=me, dst="2001:db8:1::5") /
                UDP(sport=6000, dport=7000) / Raw(b"out")) +
            rec(UPLINK, Ether(src=OUT_GW_MAC, dst=UPLINK_MAC) /
                IPv6(src="2001:db8:f::fe", dst="2001:db8:f::1", hlim=255) /
                ICMPv6ND_NA(tgt="2001:db8:f::fe", R=1, S=1, O=1) /
                ICMPv6NDOptDstLLAddr(lladdr=OUT_GW_MAC)) +
            rec(UPLINK, Ether(src=OUT_GW_MAC, dst=UPLINK_MAC) /
                IPv6(src="2001:db8:1::5", dst="2001:db8:f::1") /
                UDP(sport=7000, dport=6000) / Raw(b"back")))


TARGETS = {
    "pipeline": [p_arp_ping_gw, p_l2_switching, p_spoof_and_vlan, p_dns_udp, p_dns_tcp,
                 p_dns_intercept, p_snat_tcp, p_dnat_published, p_hairpin, p_icmp_error,
                 p_fragments, p_ttl_and_unreachable, p_mtu, p_uplink_local, p_expiry,
                 p_vlan_tags, p_ipv6_port_security, p_ipv6_dual_stack, p_vxlan],
    "control": [c_networks, c_containers, c_ports, c_datapath, c_capture, c_recorder, c_malformed],
    "state": [s_full, s_empty, s_bad],
    "dns_input": [d_udp_queries, d_tcp_session],
}


def main():
    for target, fns in TARGETS.items():
        d = os.path.join(HERE, "corpus", target)
        os.makedirs(d, exist_ok=True)
        for fn in fns:
            with open(os.path.join(d, fn.__name__.split("_", 1)[1]), "wb") as f:
                f.write(fn())
    return 0


if __name__ == "__main__":
    sys.exit(main())
