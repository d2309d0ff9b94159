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
from vsutil import make_net, nsx, vsctl_ok, vsjson, wait_for

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


# ----------------------------------------------------------- finding 11

TCP_SERVER = r"""
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2])))
s.listen(1)
print("ready", flush=True)
c, _ = s.accept()
while True:
    d = c.recv(4096)
    if not d:
        break
    print(d.decode(), flush=True)
"""

TCP_CLIENT = r"""
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])))
s.sendall(b"hello")
sys.stdin.readline()
s.sendall(b"after")
sys.stdin.readline()
"""

BLIND_RST = r"""
import random
umac, omac, src, dst, sport, dport, n = argv
rng = random.Random(11)
for i in range(int(n)):
    frames.append(Ether(src=omac, dst=umac) / IP(src=src, dst=dst) /
                  TCP(sport=int(sport), dport=int(dport), flags="R", seq=rng.getrandbits(32)))
"""


def ct_entry(vswitchd, src, dport):
    for e in vsjson(vswitchd, "conntrack", "ls"):
        if e["proto"] == "tcp" and e["orig_src"] == src and e["orig_dport"] == dport:
            return e
    return None


@pytest.mark.uplink
def test_blind_rst_leaves_connection_established(vswitchd, topo):
    """Audit finding 11: one RST with any sequence number from the
    server's address moved an established NAT'd connection to CLOSE; its
    next data was ct_invalid and never arrived.  Now 50 blind RSTs are
    dropped (tcp_out_of_window), the entry stays ESTABLISHED and the
    connection carries data."""
    import subprocess
    net = make_net(vswitchd, "--subnet", "10.97.0.0/24")
    c1 = join(vswitchd, topo, net, "c1")
    out = outside(topo)
    srv = topo.spawn(out.ns, PY, "-c", TCP_SERVER, OUTSIDE_IP, "7777",
                     stdout=subprocess.PIPE, text=True)
    assert srv.stdout.readline().strip() == "ready"
    cli = topo.spawn(c1.ns, PY, "-c", TCP_CLIENT, OUTSIDE_IP, "7777",
                     stdin=subprocess.PIPE, text=True)
    assert srv.stdout.readline().strip() == "hello"
    e = ct_entry(vswitchd, c1.ip, 7777)
    assert e and e["state"] == "ESTABLISHED", e

    n = 50
    umac = vsjson(vswitchd, "show")["uplink"]["mac"]
    omac = nsx(out.ns, "cat", f"/sys/class/net/{out.iface}/address").stdout.strip()
    before = ports(vswitchd)
    scapy_send(out.ns, out.iface, BLIND_RST, umac, omac, OUTSIDE_IP, UPLINK_IP, "7777",
               str(e["reply_dport"]), str(n))
    assert wait_for(lambda: drops_delta(before, ports(vswitchd), "uplink").get(
        "tcp_out_of_window") == n, 10), drops_delta(before, ports(vswitchd), "uplink")
    e = ct_entry(vswitchd, c1.ip, 7777)
    assert e and e["state"] == "ESTABLISHED" and e["assured"], e
    cli.stdin.write("go\n")
    cli.stdin.flush()
    assert srv.stdout.readline().strip() == "after"
    cli.stdin.write("done\n")
    cli.stdin.flush()


# ------------------------------------------------------- findings 14, 17

ICMP_CATCH = r"""
import json, socket, struct, sys, time
barrier, timeout = sys.argv[1].encode(), float(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
print("ready", flush=True)
got, end = [], time.monotonic() + timeout
while time.monotonic() < end:
    s.settimeout(max(end - time.monotonic(), 0.01))
    try:
        d, a = s.recvfrom(65535)
    except socket.timeout:
        break
    hl = (d[0] & 15) * 4
    t, c = d[hl], d[hl + 1]
    if t not in (3, 11):
        continue
    q = d[hl + 8:]
    qhl = (q[0] & 15) * 4
    got.append({"src": a[0], "type": t, "code": c,
                "mtu": struct.unpack(">H", d[hl + 6:hl + 8])[0],
                "qdst": socket.inet_ntoa(q[16:20]),
                "qdport": struct.unpack(">H", q[qhl + 2:qhl + 4])[0],
                "barrier": barrier in q})
    if barrier in q:
        break
print(json.dumps(got), flush=True)
"""


class IcmpCatcher:
    """ICMP errors arriving in NS until one quotes BARRIER (or TIMEOUT s)."""

    def __init__(self, topo, ns, barrier, timeout=20):
        import subprocess
        self.p = topo.spawn(ns, PY, "-c", ICMP_CATCH, barrier, str(timeout),
                            stdout=subprocess.PIPE, text=True)
        assert self.p.stdout.readline().strip() == "ready"

    def result(self):
        out, _ = self.p.communicate(timeout=60)
        return json.loads(out)


BIG_DF = r"""
umac, omac, src, dst, port, size, marker, barrier, n = argv
for i in range(int(n)):
    frames.append(Ether(src=omac, dst=umac) / IP(src=src, dst=dst, flags="DF") /
                  UDP(sport=5555, dport=int(port)) /
                  Raw(marker.encode().ljust(int(size), b".")))
frames.append(Ether(src=omac, dst=umac) / IP(src=src, dst=dst, flags="DF") /
              UDP(sport=5555, dport=int(port)) /
              Raw(barrier.encode().ljust(int(size), b".")))
"""

UDP_ECHO = r"""
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", int(sys.argv[1])))
print("ready", flush=True)
while True:
    d, a = s.recvfrom(65535)
    s.sendto(d, a)
"""


def udp_roundtrip(ns, host, port):
    r = nsx(ns, PY, "-c", "import socket, sys; s = socket.socket(2, 2); s.settimeout(5);"
            "s.sendto(b'fits', (sys.argv[1], int(sys.argv[2]))); print(s.recv(9).decode())",
            host, str(port), check=False)
    return r.returncode == 0 and r.stdout.strip() == "fits"


@pytest.mark.uplink
def test_frag_needed_into_smaller_mtu(vswitchd, topo):
    """Audit finding 14: DF datagrams from the outside to a published
    port of a container on a network with --mtu 1400 vanished (no ICMP:
    a PMTUD black hole).  Now the sender gets ICMP fragmentation needed
    with MTU 1400, from the uplink's address (never a private one), its
    quote translated back to what it sent; and a container on a network
    with a larger MTU than the uplink's learns the uplink's 1500."""
    import subprocess
    net = make_net(vswitchd, "--subnet", "10.98.0.0/24", "--mtu", "1400")
    c3 = join(vswitchd, topo, net, "c3")
    out = outside(topo)
    echo = topo.spawn(c3.ns, PY, "-c", UDP_ECHO, "7100", stdout=subprocess.PIPE, text=True)
    assert echo.stdout.readline().strip() == "ready"
    vsctl_ok(vswitchd, "port", "publish", "c3", "7100:7100/udp")
    umac = vsjson(vswitchd, "show")["uplink"]["mac"]
    omac = nsx(out.ns, "cat", f"/sys/class/net/{out.iface}/address").stdout.strip()
    marker, barrier = f"big-{topo.prefix}", f"bbar-{topo.prefix}"

    icmp = IcmpCatcher(topo, out.ns, barrier)
    before = ports(vswitchd)
    scapy_send(out.ns, out.iface, BIG_DF, umac, omac, OUTSIDE_IP, UPLINK_IP, "7100",
               "1450", marker, barrier, "3")
    got = icmp.result()
    after = ports(vswitchd)
    want = {"src": UPLINK_IP, "type": 3, "code": 4, "mtu": 1400, "qdst": UPLINK_IP,
            "qdport": 7100, "barrier": False}
    assert got == [want] * 3 + [dict(want, barrier=True)], got
    assert drops_delta(before, after, "uplink") == {"frag_needed": 4}
    # and a datagram that fits still reaches the container and comes back
    assert udp_roundtrip(out.ns, UPLINK_IP, 7100)

    # The other way: a network larger than the uplink (1500 on up0).
    big = make_net(vswitchd, "--subnet", "10.99.0.0/24", "--mtu", "9000")
    c4 = join(vswitchd, topo, big, "c4")
    nsx(c4.ns, "ip", "link", "set", "eth0", "mtu", "9000", check=False)
    after = ports(vswitchd)
    r = nsx(c4.ns, "ping", "-n", "-M", "do", "-s", "2000", "-c", "2", "-W", "2",
            OUTSIDE_IP, check=False)
    assert "mtu = 1500" in r.stdout, r.stdout
    assert drops_delta(after, ports(vswitchd), c4.port).get("frag_needed", 0) >= 1


FOREIGN_ICMP = r"""
gmac, c_mac, c_ip, victim_ip, out_ip, marker, n = argv
for i in range(int(n)):
    frames.append(Ether(src=c_mac, dst=gmac) / IP(src=c_ip, dst=out_ip) / ICMP(type=3, code=3) /
                  IP(src=out_ip, dst=victim_ip) / UDP(sport=5555, dport=7000) / Raw(marker.encode()))
"""


@pytest.mark.uplink
def test_icmp_error_only_from_the_flows_owner(vswitchd, topo):
    """Audit finding 17: c1 sent ICMP port unreachable quoting c2's DNAT'd
    flow; it was translated for c2's connection and left with c1's private
    address as its source.  Now it is dropped (icmp_foreign); the same
    error from c2, whose flow it is, leaves from the uplink's address."""
    import subprocess
    net = make_net(vswitchd, "--subnet", "10.100.0.0/24")
    c1 = join(vswitchd, topo, net, "c1")
    c2 = join(vswitchd, topo, net, "c2")
    out = outside(topo)
    echo = topo.spawn(c2.ns, PY, "-c", UDP_ECHO, "7000", stdout=subprocess.PIPE, text=True)
    assert echo.stdout.readline().strip() == "ready"
    vsctl_ok(vswitchd, "port", "publish", "c2", "7000:7000/udp")
    # the flow: the outside's port 5555 to the published port, answered
    r = nsx(out.ns, PY, "-c", "import socket; s=socket.socket(2,2); s.bind(('', 5555));"
            f"s.settimeout(5); s.sendto(b'x', ('{UPLINK_IP}', 7000)); print(s.recv(9))",
            check=False)
    assert r.returncode == 0, r.stderr
    gmac = gw_mac(vswitchd, net)
    marker, barrier = f"fx-{topo.prefix}", f"fxbar-{topo.prefix}"
    icmp = IcmpCatcher(topo, out.ns, barrier)
    before = ports(vswitchd)
    scapy_send(c1.ns, "eth0", FOREIGN_ICMP, gmac, c1.mac, c1.ip, c2.ip, OUTSIDE_IP, marker, "5")
    scapy_send(c2.ns, "eth0", FOREIGN_ICMP, gmac, c2.mac, c2.ip, c2.ip, OUTSIDE_IP, barrier, "1")
    got = icmp.result()
    after = ports(vswitchd)
    assert got == [{"src": UPLINK_IP, "type": 3, "code": 3, "mtu": 0, "qdst": UPLINK_IP,
                    "qdport": 7000, "barrier": True}], got
    assert drops_delta(before, after, c1.port) == {"icmp_foreign": 5}


POISON = r"""
umac, uip, gw, n = argv
for i in range(int(n)):
    frames.append(Ether(src="02:de:ad:00:00:01", dst=umac) /
                  ARP(op=2, hwsrc="02:de:ad:00:00:01", psrc=gw, hwdst=umac, pdst=uip))
    frames.append(Ether(src="02:de:ad:00:00:01", dst="ff:ff:ff:ff:ff:ff") /
                  ARP(op=1, hwsrc="02:de:ad:00:00:01", psrc=gw, pdst=uip))
"""


@pytest.mark.uplink
def test_unsolicited_arp_does_not_move_the_gateway(vswitchd, topo):
    """Audit item 21 (uplink ARP poisoning): the uplink learned from any
    ARP, so one unsolicited reply or request claiming the gateway's address
    redirected every container's egress.  Now a live entry changes only by
    a reply to the switch's own request: the gateway's MAC stays, and
    egress keeps arriving."""
    net = make_net(vswitchd, "--subnet", "10.101.0.0/24")
    c1 = join(vswitchd, topo, net, "c1")
    out = outside(topo)
    omac = nsx(out.ns, "cat", f"/sys/class/net/{out.iface}/address").stdout.strip()
    assert wait_for(lambda: vsjson(vswitchd, "show")["uplink"].get("gateway_mac") == omac, 10)
    umac = vsjson(vswitchd, "show")["uplink"]["mac"]
    scapy_send(out.ns, out.iface, POISON, umac, UPLINK_IP, OUTSIDE_IP, "5")
    marker, barrier = f"after-{topo.prefix}", f"abar-{topo.prefix}"
    cnt = Counter(topo, out.ns, out.iface, marker, barrier)
    udp_probes(c1.ns, OUTSIDE_IP, marker, 5)
    udp_probes(c1.ns, OUTSIDE_IP, barrier, 1)
    assert cnt.result() == {"marked": 5, "barrier": True}
    assert vsjson(vswitchd, "show")["uplink"]["gateway_mac"] == omac
