"""test_isolation.py - one container cannot reach into another's network,
or out of its own: the datapath findings of the security audit (issue 20:
VLAN hopping, IPv6 router advertisements and neighbour spoofing, the uplink
neighbour cache, blind RSTs, fragmentation needed, foreign ICMP errors),
end to end against the real daemon.

Each test builds the audit's reproduction (doc/../shared research notes,
"security-audit.md") in namespaces of its own: a misbehaving container
sends crafted frames with scapy out of its eth0, and the test checks what
arrived elsewhere and what the switch counted, by reason.  A frame that
must not arrive is judged with a barrier (rawframes.py): an honest frame
sent after it on the same path, so once the barrier is in, everything
that was going to arrive has.  No test sleeps for a verdict.
"""
import json
import types

import pytest
import rawframes  # noqa: F401  (used through test_hardening's helpers)
import topo as topo_mod
from test_hardening import FrameCounter, drops_delta, join, ports
from vsutil import make_net, nsx, vsjson, wait_for

PY = "/usr/bin/python3"
UPLINK_IP = topo_mod.UPLINK_IP
OUTSIDE_IP = topo_mod.OUTSIDE_IP


def outside(topo):
    """The outside host as FrameCounter wants it: its namespace, and the
    name of its end of the uplink veth."""
    return types.SimpleNamespace(ns=topo.outside[0], iface=topo.prefix + "ub")


def gw_mac(vswitchd, net):
    return vsjson(vswitchd, "network", "inspect", net)[0]["GatewayMacAddress"]


def scapy_send(ns, iface, code, *args):
    """Run scapy CODE in NS with `frames` to build; it sends them out of
    IFACE in order."""
    prog = ("import sys\nfrom scapy.all import *\nconf.verb = 0\nargv = sys.argv[1:]\n"
            "frames = []\n" + code + f"\nsendp(frames, iface={iface!r})\n")
    r = nsx(ns, PY, "-c", prog, *args, check=False, timeout=60)
    assert r.returncode == 0, r.stderr


class Counter(FrameCounter):
    """FrameCounter on any interface (FrameCounter's is always eth0)."""

    def __init__(self, topo, ns, iface, marker, barrier, timeout=30):
        import subprocess
        self.p = topo.spawn(ns, PY, rawframes.__file__, "count", iface, marker, barrier,
                            str(timeout), stdout=subprocess.PIPE, text=True)
        assert self.p.stdout.readline().strip() == "ready"


# ------------------------------------------------------------ finding 4

VLAN_OUT = r"""
c_mac, c_ip, gmac, dst, marker, barrier, n = argv
for i in range(int(n)):
    frames.append(Ether(src=c_mac, dst=gmac) / Dot1Q(vlan=42, prio=5) /
                  IP(src=c_ip, dst=dst) / UDP(sport=4444, dport=9999) / Raw(marker.encode()))
    frames.append(Ether(src=c_mac, dst=gmac, type=0x88a8) / Dot1Q(vlan=7) /
                  IP(src=c_ip, dst=dst) / UDP(sport=4444, dport=9999) / Raw(marker.encode()))
frames.append(Ether(src=c_mac, dst=gmac) / IP(src=c_ip, dst=dst) /
              UDP(sport=4444, dport=9999) / Raw(barrier.encode()))
"""

VLAN_IN = r"""
smac, umac, uip, marker, barrier, n = argv
for i in range(int(n)):
    frames.append(Ether(src=smac, dst=umac) / Dot1Q(vlan=42) / IP(dst=uip) /
                  ICMP(id=77, seq=i) / Raw(marker.encode()))
frames.append(Ether(src=smac, dst=umac) / IP(dst=uip) / ICMP(id=77, seq=999) /
              Raw(barrier.encode()))
"""


@pytest.mark.uplink
def test_vlan_tagged_frames_never_routed(vswitchd, topo):
    """Audit finding 4: a container's 802.1Q (or 802.1ad) frame to the
    gateway used to leave the uplink after NAT with the container's VLAN
    id.  Now every tagged frame is dropped at ingress as vlan_tagged, and
    tagged frames from the uplink are refused too."""
    net = make_net(vswitchd, "--subnet", "10.94.0.0/24")
    c1 = join(vswitchd, topo, net, "c1")
    out = outside(topo)
    n = 10
    marker, barrier = f"vlan-{topo.prefix}", f"vbar-{topo.prefix}"

    cnt = Counter(topo, out.ns, out.iface, marker, barrier)
    before = ports(vswitchd)
    scapy_send(c1.ns, "eth0", VLAN_OUT, c1.mac, c1.ip, gw_mac(vswitchd, net), OUTSIDE_IP,
               marker, barrier, str(n))
    res = cnt.result()
    after = ports(vswitchd)
    assert res == {"marked": 0, "barrier": True}, res
    assert drops_delta(before, after, c1.port) == {"vlan_tagged": 2 * n}

    # From the outside: a tagged echo request to the uplink address is
    # not answered (it would be taken for an untagged one).
    umac = vsjson(vswitchd, "show")["uplink"]["mac"]
    omac = nsx(out.ns, "cat", f"/sys/class/net/{out.iface}/address").stdout.strip()
    cnt = Counter(topo, out.ns, out.iface, marker, barrier)
    before = ports(vswitchd)
    scapy_send(out.ns, out.iface, VLAN_IN, omac, umac, UPLINK_IP, marker, barrier, str(n))
    res = cnt.result()
    after = ports(vswitchd)
    assert res == {"marked": 0, "barrier": True}, res
    assert drops_delta(before, after, "uplink").get("vlan_tagged") == n


# ------------------------------------------------------------ finding 5

RA = r"""
mac, ll, prefix, lifetime, marker = argv
frames.append(Ether(src=mac, dst="33:33:00:00:00:01") / IPv6(src=ll, dst="ff02::1") /
              ICMPv6ND_RA(routerlifetime=int(lifetime), prf=1) /
              ICMPv6NDOptPrefixInfo(prefix=prefix, prefixlen=64, L=1, A=1) /
              ICMPv6NDOptSrcLLAddr(lladdr=mac))
"""

ND_SPOOF = r"""
mac, ll, victim_ll, marker = argv
m = marker.encode()
# the audit's RA, from an address that is not c1's
frames.append(Ether(src=mac, dst="33:33:00:00:00:01") / IPv6(src="fe80::bad:1", dst="ff02::1") /
              ICMPv6ND_RA(routerlifetime=1800) /
              ICMPv6NDOptPrefixInfo(prefix="2001:db8:bad::", prefixlen=64, L=1, A=1))
# NA claiming the victim's address for c1's MAC (neighbour cache poisoning)
frames.append(Ether(src=mac, dst="33:33:00:00:00:01") / IPv6(src=ll, dst="ff02::1") /
              ICMPv6ND_NA(tgt=victim_ll, R=0, S=0, O=1) / ICMPv6NDOptDstLLAddr(lladdr=mac) /
              ICMPv6NDOptUnknown(type=250, len=3, data=m[:22].ljust(22, b"-")))
# a redirect, and DHCPv6 from the server port
frames.append(Ether(src=mac, dst="33:33:00:00:00:01") / IPv6(src=ll, dst="ff02::1") /
              ICMPv6ND_Redirect(tgt=ll, dst="2001:db8::1"))
frames.append(Ether(src=mac, dst="33:33:00:01:00:02") / IPv6(src=ll, dst="ff02::1:2") /
              UDP(sport=547, dport=546) / Raw(m))
"""


def join6(vswitchd, topo, net, name, *opts):
    """Container NAME with IPv6 on and router advertisements accepted (as
    Docker leaves them), connected to NET; waits until its link-local
    address is usable."""
    ns = topo.container(name)
    topo.ns_exec(ns, "sysctl", "-qw", "net.ipv6.conf.default.accept_ra=1")
    c = join_v6_on(vswitchd, topo, net, name, ns, *opts)
    assert wait_for(lambda: "tentative" not in nsx(
        ns, "ip", "-6", "addr", "show", "dev", "eth0", "scope", "link").stdout and
        "fe80" in nsx(ns, "ip", "-6", "addr", "show", "dev", "eth0").stdout, 10)
    return c


def join_v6_on(vswitchd, topo, net, name, ns, *opts):
    from vsutil import vsctl_ok
    from test_hardening import Ctr
    vsctl_ok(vswitchd, "network", "connect", "--netns", ns, *opts, net, name)
    ep = vsjson(vswitchd, "network", "inspect", net)[0]["Containers"][name]
    return Ctr(name, ns, ep["IPv4Address"].split("/")[0], ep["MacAddress"])


def lladdr(mac):
    b = bytes.fromhex(mac.replace(":", ""))
    b = bytes([b[0] ^ 2]) + b[1:3] + b"\xff\xfe" + b[3:]
    return "fe80::" + ":".join(b[i:i + 2].hex() for i in range(0, 8, 2))


def v6_state(ns):
    return (nsx(ns, "ip", "-6", "addr", "show", "dev", "eth0").stdout,
            nsx(ns, "ip", "-6", "route", "show", "default").stdout)


def test_container_ra_does_not_configure_another(vswitchd, topo):
    """Audit finding 5: c1's router advertisement gave c2 an address in
    c1's prefix and a default route through c1.  Now it is dropped
    (nd_ra), and so are the audit's RA from a forged source, a spoofed
    neighbour advertisement, a redirect and a DHCPv6 server's message.
    c3, without port security, is the control: its RA (no default route)
    does configure c2, which also says c1's RA would have been taken."""
    net = make_net(vswitchd, "--subnet", "10.95.0.0/24")
    c1 = join6(vswitchd, topo, net, "c1")
    c2 = join6(vswitchd, topo, net, "c2")
    c3 = join6(vswitchd, topo, net, "c3", "--no-port-security")

    before = ports(vswitchd)
    scapy_send(c1.ns, "eth0", RA, c1.mac, lladdr(c1.mac), "2001:db8:bad::", "1800", "-")
    scapy_send(c1.ns, "eth0", ND_SPOOF, c1.mac, lladdr(c1.mac), lladdr(c2.mac),
               f"nd-{topo.prefix}")
    # the control, sent after: once c2 has its prefix, c1's frames are judged
    scapy_send(c3.ns, "eth0", RA, c3.mac, lladdr(c3.mac), "2001:db8:ca3::", "0", "-")
    assert wait_for(lambda: "2001:db8:ca3:" in v6_state(c2.ns)[0], 10), v6_state(c2.ns)
    after = ports(vswitchd)

    addrs, default = v6_state(c2.ns)
    assert "2001:db8:bad" not in addrs, addrs
    assert default == "", default
    # Exactly what c1 forged, and nothing of its kernel's own IPv6
    # chatter (router and neighbour solicitations, DAD, MLD reports).
    assert drops_delta(before, after, c1.port) == {
        "nd_ra": 1, "src_ip6_spoof": 1, "nd_spoof": 1, "nd_redirect": 1, "dhcp6_server": 1}
    assert drops_delta(before, after, c3.port) == {}
    # c2's neighbour entry for its own address's owner is untouched, and
    # c1 and c2 still reach each other over IPv6 link-local.
    assert wait_for(lambda: nsx(c1.ns, "ping", "-6", "-c", "1", "-W", "1",
                                f"{lladdr(c2.mac)}%eth0", check=False).returncode == 0, 10)


# ------------------------------------------------------------ finding 6

def udp_frames(c, gmac, dsts, payload):
    from scapy.all import IP, UDP, Ether, Raw, raw
    return [raw(Ether(src=c.mac, dst=gmac) / IP(src=c.ip, dst=d) / UDP(sport=5555, dport=9) /
                Raw(payload)) for d in dsts]


def udp_probes(ns, dst, payload, n):
    code = ("import socket, sys\n"
            "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
            "for i in range(int(sys.argv[3])):\n"
            "    s.sendto(sys.argv[2].encode(), (sys.argv[1], 9))\n")
    r = nsx(ns, PY, "-c", code, dst, payload, str(n), check=False)
    assert r.returncode == 0, r.stderr


@pytest.mark.uplink
def test_neighbour_flood_keeps_others_egress(vswitchd, topo, tmp_path):
    """Audit finding 6: c1 sending to on-link addresses that answer no ARP
    used to evict the gateway's entry from the direct-mapped cache and
    fill the never-expiring queue: c2's egress died (0 of 200), and even
    after the attack a new on-link host was unreachable.  Now the gateway
    is pinned and the queue is shared: every probe of c2, sent while c1
    floods, arrives, and so do its packets to a new on-link host after."""
    net = make_net(vswitchd, "--subnet", "10.96.0.0/24")
    c1 = join(vswitchd, topo, net, "c1")
    c2 = join(vswitchd, topo, net, "c2")
    out = outside(topo)
    nsx(out.ns, "ip", "addr", "add", "198.51.100.50/24", "dev", out.iface)
    gmac = gw_mac(vswitchd, net)
    # every on-link address but ours, the outside's two and the broadcast
    silent = [f"198.51.100.{i}" for i in range(2, 254) if i != 50]
    path = tmp_path / "flood.bin"
    rawframes.write_frames(path, udp_frames(c1, gmac, silent * 8, b"flood"))
    assert wait_for(lambda: "gateway_mac" in vsjson(vswitchd, "show")["uplink"], 10)

    marker, barrier = f"probe-{topo.prefix}", f"pbar-{topo.prefix}"
    cnt = Counter(topo, out.ns, out.iface, marker, barrier, timeout=120)
    flood = topo.spawn(c1.ns, PY, rawframes.__file__, "send", "eth0", str(path),
                       "--pace", c1.port, json.dumps(vswitchd.vsctl_argv), "--chunk", "100")
    for _ in range(20):
        udp_probes(c2.ns, OUTSIDE_IP, marker, 10)
    assert flood.wait(timeout=240) == 0
    udp_probes(c2.ns, OUTSIDE_IP, barrier, 1)
    assert cnt.result() == {"marked": 200, "barrier": True}
    assert "gateway_mac" in vsjson(vswitchd, "show")["uplink"]

    # After the flood: a host c1 never touched, on the same segment.
    cnt = Counter(topo, out.ns, out.iface, marker + "-50", barrier + "-50", timeout=30)
    udp_probes(c2.ns, "198.51.100.50", marker + "-50", 3)
    udp_probes(c2.ns, "198.51.100.50", barrier + "-50", 1)
    assert cnt.result() == {"marked": 3, "barrier": True}
    drops = drops_delta({"uplink": {"drops": {}}}, ports(vswitchd), "uplink")
    assert drops.get("arp_pending_full", 0) > 0, drops
