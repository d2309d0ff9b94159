"""test_nat_fairness.py - NAT and conntrack shared fairly, and by several
uplinks: the conntrack/NAT findings of the security audit (issue 20:
7 NAT port exhaustion by one container, 10 conntrack filled by one
container, 12 NAT zones never freed) and issue 13's "nothing assumes one
uplink", end to end against the real daemon.

Each fairness test is the audit's reproduction at a small configured size
(--nat-port-share, --ct-max) so that it is bounded and quick: one
container (c1) floods, another (c2) must keep working, and what c1 lost is
counted by reason.  The outside host runs a UDP echo; replies come back
through NAT, so c1's flows are answered (assured) as a real flood of
resolvers or NTP servers would be.  Nothing sleeps for a verdict: every
wait polls against a bound.

Two uplinks: a second outside host on its own veth (`up1`, 192.0.2.0/24)
beside the fixture's (`up0`, 198.51.100.0/24); the test checks which
address each outside host sees, that each address has its own port
space, and that a published port answers on both.
"""
import json
import os
import subprocess

import pytest
import topo as topo_mod
from conftest import _vswitchd
from vsutil import make_net, nsx, vsctl_ok, vsjson, wait_for

PY = "/usr/bin/python3"
UPLINK_IP = topo_mod.UPLINK_IP
OUTSIDE_IP = topo_mod.OUTSIDE_IP
UPLINK2_IP = "192.0.2.1"
OUTSIDE2_IP = "192.0.2.254"

# A UDP echo that answers "<payload> <client-ip>:<client-port>".
UDP_ECHO = r"""
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", int(sys.argv[1])))
while True:
    d, a = s.recvfrom(65535)
    s.sendto(d + (" %s:%d" % a).encode(), a)
"""

# Send one datagram from each of N source ports (START...) to DST:PORT;
# print how many answers came back.
UDP_MANY = r"""
import socket, sys, select, time
dst, port, start, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
socks = []
for i in range(n):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", start + i))
    s.sendto(b"x", (dst, port))
    socks.append(s)
got, deadline = set(), time.monotonic() + float(sys.argv[5])
while time.monotonic() < deadline and len(got) < n:
    r, _, _ = select.select([s for s in socks if s not in got], [], [], 0.2)
    for s in r:
        s.recv(100)
        got.add(s)
print(len(got))
"""

# One datagram from SPORT (0: any) to DST:PORT; print the echo's answer.
UDP_ASK = r"""
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", int(sys.argv[3])))
s.settimeout(2)
for _ in range(3):
    s.sendto(b"hi", (sys.argv[1], int(sys.argv[2])))
    try:
        print(s.recv(200).decode())
        break
    except socket.timeout:
        pass
"""


def echo(topo, vs, ns, port=7777):
    """A UDP echo in NS on PORT, listening when this returns."""
    topo.spawn(ns, PY, "-c", UDP_ECHO, str(port))
    assert wait_for(lambda: f":{port} " in nsx(ns, "ss", "-lunH").stdout, 10)


def ask(ns, dst, port=7777, sport=0):
    """What the echo at DST answers a datagram from NS (its view of our
    address and port), or "" when nothing came back."""
    r = nsx(ns, PY, "-c", UDP_ASK, dst, str(port), str(sport), check=False, timeout=20)
    return r.stdout.strip()


def join(vswitchd, topo, net, name):
    ns = topo.container(name)
    vsctl_ok(vswitchd, "network", "connect", "--netns", ns, net, name)
    return ns


def drops(vswitchd, port):
    for p in vsjson(vswitchd, "stats")["ports"]:
        if p["name"] == port:
            return p["drops"]
    return {}


def ct_stats(vswitchd):
    r = vsjson(vswitchd, "conntrack", "stats")
    if isinstance(r, list):          # rows of {counter, value}
        return {x.get("counter", x.get("name")): x.get("value") for x in r}
    return r


# ------------------------------------------------------------ finding 7

@pytest.mark.uplink
@pytest.mark.vswitchd_args("--nat-port-share", "64")
def test_one_container_cannot_take_the_nat_ports(vswitchd, topo):
    """c1 opens 200 UDP flows from 200 source ports; it gets its share of
    64 ports, the rest are dropped as nat_port_share on its port, and c2
    still gets out (the audit: c1 took all 64 512 ports, c2 got
    nat_no_port)."""
    net = make_net(vswitchd)
    c1, c2 = join(vswitchd, topo, net, "c1"), join(vswitchd, topo, net, "c2")
    echo(topo, vswitchd, topo.outside[0])
    r = nsx(c1, PY, "-c", UDP_MANY, OUTSIDE_IP, "7777", "20000", "200", "5", timeout=60)
    assert int(r.stdout) == 64, r.stdout
    d = drops(vswitchd, "c1:eth0")
    assert d.get("nat_port_share", 0) >= 136, d
    assert "nat_no_port" not in d, d
    # c2 is untouched; c1's own flows still answer (EIM: same mapping)
    assert ask(c2, OUTSIDE_IP).startswith("hi "), "c2 has no egress"
    assert ask(c1, OUTSIDE_IP, sport=20000).startswith("hi "), "c1's mapping was lost"
    assert drops(vswitchd, "c2:eth0").get("nat_port_share", 0) == 0
    assert ct_stats(vswitchd)["nat_port_share"] >= 136


# ----------------------------------------------------------- finding 10

@pytest.mark.uplink
@pytest.mark.vswitchd_args("--ct-max", "256")
def test_one_container_cannot_fill_conntrack(vswitchd, topo):
    """c1 fills the table with answered (assured) flows, asking for more
    than it holds; c2 still connects, at the expense of c1's oldest
    entries, and never meets ct_full (the audit: 256 assured ICMP entries,
    then c2's connection failed with ct_full).  c1 alone may meet it: a
    table holding only its own answered flows keeps them."""
    net = make_net(vswitchd)
    c1, c2 = join(vswitchd, topo, net, "c1"), join(vswitchd, topo, net, "c2")
    echo(topo, vswitchd, topo.outside[0])
    r = nsx(c1, PY, "-c", UDP_MANY, OUTSIDE_IP, "7777", "30000", "300", "5", timeout=60)
    assert int(r.stdout) >= 200, r.stdout
    s = ct_stats(vswitchd)
    assert s["entries"] == 256 and s["owners"] == 1, s
    evicted = s["evicted_fair"]
    for i in range(5):
        assert ask(c2, OUTSIDE_IP, sport=40000 + i).startswith("hi "), f"c2 flow {i} failed"
    s = ct_stats(vswitchd)
    assert s["owners"] == 2 and s["evicted_fair"] >= evicted + 5, s
    assert "ct_full" not in drops(vswitchd, "c2:eth0")
    # c2's entries are there; c1 lost its oldest, not c2 its newest
    ls = vsctl_ok(vswitchd, "conntrack", "ls").stdout
    assert sum("sport=4000" in x for x in ls.splitlines()) == 5, ls
    assert "sport=30000 " not in ls, ls


# ----------------------------------------------------------- finding 12

@pytest.mark.uplink
def test_removed_networks_free_their_zones(vswitchd, topo):
    """Networks that passed traffic and were removed give their NAT zone
    back, with their connections; a fresh network has egress.  (The audit
    needed 4 095 names to run the zones out; test_nat.c's unit test goes
    three times round the whole table, this one checks the wiring.)"""
    c = topo.container("c")
    echo(topo, vswitchd, topo.outside[0])
    n = 30
    for i in range(n):
        net = make_net(vswitchd)
        vsctl_ok(vswitchd, "network", "connect", "--netns", c, net, "c")
        assert ask(c, OUTSIDE_IP).startswith("hi "), f"round {i}: no egress"
        vsctl_ok(vswitchd, "network", "disconnect", net, "c")
        vsctl_ok(vswitchd, "network", "rm", net)
    s = ct_stats(vswitchd)
    assert s["nat_zones_freed"] == n, s
    assert s["entries"] == 0, s
    net = make_net(vswitchd)
    vsctl_ok(vswitchd, "network", "connect", "--netns", c, net, "c")
    assert ask(c, OUTSIDE_IP).startswith("hi ")


# ------------------------------------------------- issue 13: two uplinks

def add_second_uplink(topo, vs):
    """A second outside host (PREFIX+out2, 192.0.2.254/24) on a veth whose
    switch end is up1, and the daemon's options for it."""
    out = topo.add_netns(topo.prefix + "out2")
    a, b = topo.prefix + "va", topo.prefix + "vb"
    topo_mod.sh("ip", "link", "add", a, "netns", vs.ns, "type", "veth",
                "peer", "name", b, "netns", out)
    topo_mod.sh("ip", "-n", vs.ns, "link", "set", a, "name", "up1")
    topo_mod.sh("ip", "-n", vs.ns, "link", "set", "up1", "up")
    topo_mod.sh("ip", "-n", out, "addr", "add", f"{OUTSIDE2_IP}/24", "dev", b)
    topo_mod.sh("ip", "-n", out, "link", "set", b, "up")
    for ns, dev in ((vs.ns, "up1"), (out, b)):
        nsx(ns, "ethtool", "-K", dev, "tx", "off", check=False)
    vs.args += ["--uplink", "afpacket:up1", "--uplink-ip", f"{UPLINK2_IP}/24",
                "--uplink-gateway", OUTSIDE2_IP]
    topo.outside2 = (out, OUTSIDE2_IP)


@pytest.fixture
def two_uplinks(request, topo):
    """vswitchd with the fixture's uplink and a second one (see the top)."""
    yield from _vswitchd(request.node, topo, add_second_uplink)


@pytest.mark.uplink
def test_two_uplinks(two_uplinks, topo):
    vs = two_uplinks
    net = make_net(vs)
    c1, c2 = join(vs, topo, net, "c1"), join(vs, topo, net, "c2")
    out1, out2 = topo.outside[0], topo.outside2[0]
    echo(topo, vs, out1)
    echo(topo, vs, out2)
    # show lists both
    ups = vsjson(vs, "show")["uplinks"]
    assert [u["ip"] for u in ups] == [f"{UPLINK_IP}/24", f"{UPLINK2_IP}/24"], ups
    assert "Uplink\n" in vsctl_ok(vs, "show").stdout
    assert vsctl_ok(vs, "show").stdout.count("Uplink\n") == 2
    # each destination leaves by its own uplink, SNATed to that address,
    # the source port kept on both: each address has its own port space
    assert ask(c1, OUTSIDE_IP, sport=5555) == f"hi {UPLINK_IP}:5555"
    assert ask(c1, OUTSIDE2_IP, sport=5555) == f"hi {UPLINK2_IP}:5555"
    # c2 on the same port: taken on both addresses by c1, so another port
    other = ask(c2, OUTSIDE2_IP, sport=5555)
    assert other.startswith(f"hi {UPLINK2_IP}:") and not other.endswith(":5555"), other
    # a port c1 holds on the first address only is free on the second
    assert ask(c1, OUTSIDE_IP, sport=6000) == f"hi {UPLINK_IP}:6000"
    assert ask(c2, OUTSIDE2_IP, sport=6000) == f"hi {UPLINK2_IP}:6000"
    # a published port answers on both addresses, each from its own
    topo.spawn(c1, PY, "-c", UDP_ECHO, "53")
    assert wait_for(lambda: ":53 " in nsx(c1, "ss", "-lunH").stdout, 10)
    vsctl_ok(vs, "port", "publish", "c1", "5353:53/udp")
    assert ask(out1, UPLINK_IP, 5353).startswith(f"hi {OUTSIDE_IP}:")
    assert ask(out2, UPLINK2_IP, 5353).startswith(f"hi {OUTSIDE2_IP}:")
    # published on one uplink's address only: not on the other
    vsctl_ok(vs, "port", "publish", "c1", f"{UPLINK2_IP}:5354:53/udp")
    assert ask(out2, UPLINK2_IP, 5354).startswith(f"hi {OUTSIDE2_IP}:")
    assert ask(out1, UPLINK_IP, 5354) == ""
    assert drops(vs, "uplink").get("not_for_us", 0) >= 1
    bad = vs.vsctl("port", "publish", "c1", "203.0.113.9:5355:53/udp")
    assert bad.returncode == 1 and "an uplink IP" in bad.stderr
    # trace agrees: out of the second uplink, SNAT to its address; and a
    # frame from the outside to its address comes in there, DNAT to c1
    res = vsjson(vs, "trace", "--from", "c2", "--to", f"{OUTSIDE2_IP}:7777", "--proto", "udp")
    assert res["verdict"]["output"] == ["uplink2"], res["verdict"]
    nat = [e for e in res["events"] if e["stage"] == "nat"]
    assert nat and nat[0]["binding"]["after"]["src"] == UPLINK2_IP, nat
    res = vsjson(vs, "trace", "--from", f"uplink:{OUTSIDE2_IP}", "--to", f"{UPLINK2_IP}:5353",
                 "--proto", "udp")
    assert res["verdict"]["decision"] == "forward", res["verdict"]
    assert res["verdict"]["output"] == ["c1:eth0"], res["verdict"]
    assert res["packet"]["port"] == "uplink2", res["packet"]
    # both uplinks counted their own traffic
    ports = {p["name"]: p for p in vsjson(vs, "stats")["ports"]}
    assert ports["uplink"]["tx_packets"] > 0 and ports["uplink2"]["tx_packets"] > 0
