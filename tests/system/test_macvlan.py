"""test_macvlan.py - containers on the uplink's LAN (issue 22): macvlan, ipvlan.

The world, made once for the module: a test "LAN" (a Linux bridge in a
namespace of its own, standing in for the physical switch), a router
namespace at 10.0.0.254, a plain LAN host at 10.0.0.100 serving HTTP, and
two vswitchd "hosts", A and B, each in its own namespace with an
afpacket uplink (a veth onto the LAN bridge, 10.0.0.11 and 10.0.0.12).
Nothing here touches the machine's own namespace; every namespace has the
test's prefix and goes at teardown, also on failure.

Each test makes its own networks (a subnet of the LAN, an --ip-range of its
own), connects containers on A and B, and checks what the issue asks: they
reach each other, the LAN host and the router at their own addresses, the
LAN sees their own MACs (macvlan) or only the uplinks' (ipvlan), host A
reaches its container, --internal isolates, port security holds, an address
a LAN host holds is refused (ARP probe) and a later claim on a container's
address is counted, and what a LAN network gives up is refused in one line.
"""
import json
import os
import struct
import subprocess
import tempfile

import pytest

import topo as topo_mod
import rawframes
from vsutil import HttpServer, http_get, nsx, scaled, sh, uniq, vsctl_ok, vsjson, wait_for

ROUTER, LANHOST, UPLINK_A, UPLINK_B = "10.0.0.254", "10.0.0.100", "10.0.0.11", "10.0.0.12"


def pings(ns, ip, count=1):
    return nsx(ns, "ping", "-n", "-c", str(count), "-W", "1", ip, check=False).returncode == 0


def eventually_pings(ns, ip):
    """The first ping may wait for ARP on both sides: a few tries."""
    return wait_for(lambda: pings(ns, ip), 10, interval=0.2)


def veth_to_lan(world, ns, name, ifname):
    """A veth from the LAN bridge into NS, named IFNAME there."""
    a, b = world.prefix + name + "l", world.prefix + name + "x"
    sh("ip", "link", "add", a, "netns", world.lan, "type", "veth", "peer", "name", b,
       "netns", ns)
    sh("ip", "-n", world.lan, "link", "set", a, "master", "br0", "up")
    sh("ip", "-n", ns, "link", "set", b, "name", ifname)
    sh("ip", "-n", ns, "link", "set", ifname, "up")
    # Checksums on a veth are left to the peer; a userspace switch reading
    # with AF_PACKET would see them unfilled.
    nsx(ns, "ethtool", "-K", ifname, "tx", "off", check=False)
    return ifname


class World:
    def __init__(self, t):
        self.topo, self.prefix = t, t.prefix
        self.lan = t.add_netns(t.prefix + "lan")
        sh("ip", "-n", self.lan, "link", "add", "br0", "type", "bridge")
        sh("ip", "-n", self.lan, "link", "set", "br0", "up")
        self.router = t.add_netns(t.prefix + "rt")
        veth_to_lan(self, self.router, "r", "eth0")
        nsx(self.router, "ip", "addr", "add", f"{ROUTER}/24", "dev", "eth0")
        self.host = t.add_netns(t.prefix + "h")
        veth_to_lan(self, self.host, "h", "eth0")
        nsx(self.host, "ip", "addr", "add", f"{LANHOST}/24", "dev", "eth0")
        nsx(self.host, "ip", "route", "add", "default", "via", ROUTER)
        self.vs = {}

    def vswitchd(self, name, uplink_ip, bins):
        """vswitchd "host" NAME: namespace PREFIX+NAME+"sw", uplink lan0."""
        sub = topo_mod.Topo(self.prefix + name)
        vs = topo_mod.Vswitchd(sub, bins[0], bins[1],
                               ["--uplink", "afpacket:lan0", "--uplink-ip", f"{uplink_ip}/24",
                                "--uplink-gateway", ROUTER])
        veth_to_lan(self, vs.ns, name, "lan0")
        vs.start()
        self.vs[name] = vs
        return vs


@pytest.fixture(scope="module")
def world(module_topo):
    bins = [topo_mod.find_binary(n) for n in ("vswitchd", "vsctl")]
    if not all(bins):
        pytest.skip("vswitchd or vsctl not built")
    w = World(module_topo)
    try:
        w.vswitchd("a", UPLINK_A, bins)
        w.vswitchd("b", UPLINK_B, bins)
        yield w
    finally:
        problems = []
        for vs in w.vs.values():
            died = vs.proc is not None and vs.proc.poll() is not None
            rc = vs.stop(kill9=False)
            if died or rc not in (0, None):
                problems.append(f"vswitchd {vs.ns}: status {rc}\n{vs.log(tail=100)}")
            vs.cleanup()
    assert not problems, "\n".join(problems)


def lan_net(vs, driver, rng, *opts):
    name = uniq("mv")
    vsctl_ok(vs, "network", "create", "--driver", driver, "-o", "parent=lan0",
             "--subnet", "10.0.0.0/24", "--gateway", ROUTER, "--ip-range", rng, *opts, name)
    return name


def join(world, vs, net, ctr, *opts):
    ns = world.topo.container(ctr)
    nsx(ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1")
    vsctl_ok(vs, "network", "connect", "--netns", ns, *opts, net, ctr)
    ep = vsjson(vs, "network", "inspect", net)[0]["Containers"][ctr]
    return ns, ep["IPv4Address"].split("/")[0], ep["MacAddress"]


def leave(world, vs, net, ctr):
    vsctl_ok(vs, "network", "disconnect", net, ctr)
    sh("ip", "netns", "del", world.topo.containers.pop(ctr), check=False)


def lan_capture(world, count, bpf):
    """tcpdump -e on the LAN bridge, started and listening; its Popen."""
    p = subprocess.Popen(["ip", "netns", "exec", world.lan, "tcpdump", "-l", "-n", "-e",
                          "-i", "br0", "-c", str(count), bpf],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    world.topo.procs.append(p)
    line = p.stderr.readline()
    if "listening on" not in line:
        line = p.stderr.readline()    # after "verbose output suppressed"
    assert "listening on" in line, line
    return p


def test_macvlan_two_hosts_on_the_lan(world):
    a, b = world.vs["a"], world.vs["b"]
    na = lan_net(a, "macvlan", "10.0.0.32/28")
    nb = lan_net(b, "macvlan", "10.0.0.32/28")
    ca, ipa, maca = join(world, a, na, "ca")
    # Host B hands out from the same range, in the same order: its probe
    # finds the first address held by host A's container, and takes the next.
    cb, ipb, macb = join(world, b, nb, "cb")
    assert ipa != ipb, "host B gave out the address host A's container holds"
    inspect = vsjson(a, "network", "inspect", na)[0]
    assert inspect["Driver"] == "macvlan" and inspect["Options"]["parent"] == "lan0"

    cap = lan_capture(world, 4, f"icmp and host {ipa}")
    for src, dst in ((ca, ipb), (cb, ipa), (ca, LANHOST), (ca, ROUTER), (cb, ROUTER),
                     (cb, LANHOST)):
        assert eventually_pings(src, dst), f"{src} cannot ping {dst}"
    assert eventually_pings(world.host, ipa)
    out, _ = cap.communicate(timeout=scaled(10))
    # The LAN sees the container's own MAC, not the uplink's.
    assert maca.lower() in out.lower(), out

    neigh = nsx(world.host, "ip", "neigh", "show", ipa).stdout.lower()
    assert maca.lower() in neigh, neigh

    srv = HttpServer(ca, 8080)
    try:
        assert http_get(world.host, f"http://{ipa}:8080/") == "200"
    finally:
        srv.stop()
    leave(world, a, na, "ca")
    leave(world, b, nb, "cb")
    vsctl_ok(a, "network", "rm", na)
    vsctl_ok(b, "network", "rm", nb)


def test_host_reaches_its_container(world):
    a = world.vs["a"]
    net = lan_net(a, "macvlan", "10.0.0.48/28")
    ca, ipa, _ = join(world, a, net, "hc")
    assert eventually_pings(a.ns, ipa), (
        "host A cannot reach its own container\n" + nsx(a.ns, "ip", "route").stdout +
        nsx(a.ns, "ip", "addr").stdout + a.log(tail=40))
    srv = HttpServer(ca, 8080)
    try:
        assert http_get(a.ns, f"http://{ipa}:8080/") == "200"
    finally:
        srv.stop()
    # The host's route goes with the container.
    assert ipa in nsx(a.ns, "ip", "route").stdout
    leave(world, a, net, "hc")
    assert ipa not in nsx(a.ns, "ip", "route").stdout
    vsctl_ok(a, "network", "rm", net)


def test_internal_macvlan_isolates(world):
    a = world.vs["a"]
    net = lan_net(a, "macvlan", "10.0.0.64/28", "--internal")
    c1, ip1, _ = join(world, a, net, "i1")
    c2, ip2, _ = join(world, a, net, "i2")
    assert eventually_pings(c1, ip2), "containers of one internal network must meet"
    assert not pings(c1, ROUTER, count=2)
    assert not pings(world.host, ip1, count=2)
    assert not pings(a.ns, ip1, count=1)
    leave(world, a, net, "i1")
    leave(world, a, net, "i2")
    vsctl_ok(a, "network", "rm", net)


def port_drops(vs, port):
    for p in vsjson(vs, "stats")["ports"]:
        if p["name"] == port:
            return p["drops"]
    raise AssertionError(f"no port {port}")


def test_port_security_spoofing_the_lan_host(world):
    a = world.vs["a"]
    net = lan_net(a, "macvlan", "10.0.0.80/28")
    ns, ip, _ = join(world, a, net, "sp")
    assert eventually_pings(ns, ROUTER)
    port = "sp:eth0"
    before = port_drops(a, port)
    nsx(ns, "ip", "addr", "add", f"{LANHOST}/32", "dev", "eth0")
    nsx(ns, "ping", "-n", "-c", "3", "-W", "1", "-I", LANHOST, ROUTER, check=False)
    after = port_drops(a, port)
    spoofed = sum(after.get(k, 0) - before.get(k, 0) for k in ("src_ip_spoof", "arp_spoof"))
    assert spoofed >= 3, (before, after)
    # The LAN host's address still belongs to the LAN host.
    neigh = nsx(world.router, "ip", "neigh", "show", LANHOST).stdout.lower()
    hmac = nsx(world.host, "cat", "/sys/class/net/eth0/address").stdout.strip().lower()
    assert not neigh or hmac in neigh, neigh
    leave(world, a, net, "sp")
    vsctl_ok(a, "network", "rm", net)


def test_refusals(world):
    a = world.vs["a"]

    def refused(*args):
        r = a.vsctl(*args)
        assert r.returncode != 0
        err = r.stderr.strip()
        assert err.startswith("vsctl: error: ") and "\n" not in err, err
        return err

    assert "not an uplink" in refused("network", "create", "--driver", "macvlan", "-o",
                                      "parent=nosuch0", "--subnet", "10.0.0.0/24",
                                      uniq("mv"))
    assert "parent" in refused("network", "create", "-o", "parent=lan0", uniq("br"))
    r = a.vsctl("network", "create", "--driver", "l2bridge", uniq("br"))
    assert r.returncode == 2 and "--driver" in r.stderr    # a usage error
    net = lan_net(a, "macvlan", "10.0.0.96/28")
    join(world, a, net, "pp")
    assert "nothing to publish" in refused("port", "publish", "pp", "8080:80")
    leave(world, a, net, "pp")
    vsctl_ok(a, "network", "rm", net)


def test_restart_keeps_the_lan_network(world):
    a = world.vs["a"]
    net = lan_net(a, "macvlan", "10.0.0.112/28")
    ns, ip, _ = join(world, a, net, "rs")
    assert eventually_pings(ns, ROUTER)
    a.restart(kill9=True)
    assert vsjson(a, "network", "inspect", net)[0]["Driver"] == "macvlan"
    assert eventually_pings(world.host, ip), "the LAN lost the container after a restart"
    assert eventually_pings(a.ns, ip)
    leave(world, a, net, "rs")
    vsctl_ok(a, "network", "rm", net)


def test_ipvlan_two_hosts_lan_sees_uplink_macs(world):
    a, b = world.vs["a"], world.vs["b"]
    na = lan_net(a, "ipvlan", "10.0.0.128/28")
    nb = lan_net(b, "ipvlan", "10.0.0.128/28")
    ca, ipa, maca = join(world, a, na, "pa")
    cb, ipb, macb = join(world, b, nb, "pb")
    assert ipa != ipb
    uplink_macs = {vsjson(vs, "show")["uplink"]["mac"].lower() for vs in (a, b)}
    cap = lan_capture(world, 6, f"host {ipa} or host {ipb}")
    for src, dst in ((ca, ipb), (cb, ipa), (ca, LANHOST), (ca, ROUTER), (cb, ROUTER)):
        assert eventually_pings(src, dst), f"{src} cannot ping {dst}"
    assert eventually_pings(world.host, ipa)
    assert eventually_pings(a.ns, ipa), "host A cannot reach its own container"
    out, _ = cap.communicate(timeout=scaled(10))
    # The LAN sees only the uplinks' MACs, never a container's.
    assert maca.lower() not in out.lower() and macb.lower() not in out.lower(), out
    assert any(m in out.lower() for m in uplink_macs), out
    for ip in (ipa, ipb):
        neigh = nsx(world.router, "ip", "neigh", "show", ip).stdout.lower()
        assert any(m in neigh for m in uplink_macs), neigh
    srv = HttpServer(ca, 8080)
    try:
        assert http_get(world.host, f"http://{ipa}:8080/") == "200"
    finally:
        srv.stop()
    leave(world, a, na, "pa")
    leave(world, b, nb, "pb")
    vsctl_ok(a, "network", "rm", na)
    vsctl_ok(b, "network", "rm", nb)


def test_address_held_on_the_lan_is_refused(world):
    a = world.vs["a"]
    net = lan_net(a, "macvlan", "10.0.0.144/28")
    ns = world.topo.container("pr")
    r = a.vsctl("network", "connect", "--netns", ns, "--ip", LANHOST, net, "pr")
    assert r.returncode == 1
    err = r.stderr.strip()
    assert err.startswith("vsctl: error: ") and "\n" not in err, err
    hmac = nsx(world.host, "cat", "/sys/class/net/eth0/address").stdout.strip().lower()
    assert f"address {LANHOST} is in use on the LAN" in err and hmac in err.lower(), err
    # nothing half-made: the container has no interface, the network no member
    assert "eth0" not in nsx(ns, "ip", "-br", "link").stdout
    assert vsjson(a, "network", "inspect", net)[0]["Containers"] == {}
    vsctl_ok(a, "network", "rm", net)


def arp_claim(mac, ip):
    """A gratuitous ARP request: MAC says it holds IP (RFC 5227 2.4)."""
    m = bytes.fromhex(mac.replace(":", ""))
    a = socket_ip(ip)
    return (b"\xff" * 6 + m + b"\x08\x06" +
            struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + m + a + b"\x00" * 6 + a +
            b"\x00" * 18)


def socket_ip(ip):
    return bytes(int(x) for x in ip.split("."))


def test_later_conflict_counted(world):
    a = world.vs["a"]
    net = lan_net(a, "macvlan", "10.0.0.160/28")
    ns, ip, _ = join(world, a, net, "cf")
    assert eventually_pings(ns, ROUTER)
    before = port_drops(a, "uplink").get("ip_conflict", 0)
    hmac = "52:54:00:12:34:56"    # no one's: a host that took the address
    fd, path = tempfile.mkstemp(prefix=world.prefix)
    os.close(fd)
    try:
        rawframes.write_frames(path, [arp_claim(hmac, ip)] * 3)
        nsx(world.host, "/usr/bin/python3", rawframes.__file__, "send", "eth0", path)
    finally:
        os.unlink(path)
    assert wait_for(lambda: port_drops(a, "uplink").get("ip_conflict", 0) >= before + 3, 10)
    assert "is also used on the LAN" in a.log()
    # the router believed the claim (that is the LAN's business); once it
    # forgets it, the container, which kept its address, is reached again
    nsx(world.router, "ip", "neigh", "flush", "all")
    assert eventually_pings(ns, ROUTER)
    leave(world, a, net, "cf")
    vsctl_ok(a, "network", "rm", net)


DIG = ("dig", "+time=2", "+tries=2")


def test_dns_at_the_aux_address(world):
    a = world.vs["a"]
    net = lan_net(a, "macvlan", "10.0.0.176/28", "--aux-address", "dns=10.0.0.191")
    n1, ip1, _ = join(world, a, net, "d1")
    n2, ip2, _ = join(world, a, net, "d2")
    assert vsjson(a, "network", "inspect", net)[0]["Options"]["vswitch.dns"] == "true"
    short = nsx(n1, *DIG, "@10.0.0.191", "+short", "d2", check=False).stdout.split()
    assert short == [ip2], short
    tcp = nsx(n1, *DIG, "@10.0.0.191", "+tcp", "+short", "d2", check=False).stdout.split()
    assert tcp == [ip2], tcp
    # the container's resolv.conf points at the resolver, so its libc finds names
    assert "10.0.0.191" in open(f"/etc/netns/{n1}/resolv.conf").read()
    assert ip2 in nsx(n1, "getent", "hosts", "d2", check=False).stdout
    # the resolver is the containers': the LAN is not answered
    assert not pings(world.host, "10.0.0.191", count=1)
    leave(world, a, net, "d1")
    leave(world, a, net, "d2")
    vsctl_ok(a, "network", "rm", net)
    # without the aux address, or with --no-dns, there is no name DNS
    for opts in ((), ("--aux-address", "dns=10.0.0.191", "--no-dns")):
        net = lan_net(a, "macvlan", "10.0.0.176/28", *opts)
        assert vsjson(a, "network", "inspect", net)[0]["Options"]["vswitch.dns"] == "false"
        vsctl_ok(a, "network", "rm", net)


def test_trace_and_capture_on_a_lan_network(world):
    a = world.vs["a"]
    net = lan_net(a, "macvlan", "10.0.0.192/28")
    n1, ip1, mac1 = join(world, a, net, "t1")
    n2, ip2, _ = join(world, a, net, "t2")
    res = json.loads(vsctl_ok(a, "--format", "json", "trace", "--from", "t1",
                              "--to", LANHOST).stdout)
    outs = [e["port"] for e in res["events"] if e["decision"] == "output"]
    assert outs.count("uplink") == 1, res
    assert not any(e["stage"] == "nat" for e in res["events"]), res
    assert eventually_pings(n2, ip1)     # both MACs learned
    res = json.loads(vsctl_ok(a, "--format", "json", "trace", "--from", "t1",
                              "--to", ip2).stdout)
    outs = [e["port"] for e in res["events"] if e["decision"] == "output"]
    assert outs == ["t2:eth0"], res
    # capture on the uplink sees the container's own frames, its own MAC
    cap = subprocess.Popen(a.vsctl_argv + ["capture", "--uplink", "--filter",
                                           f"icmp and host {ip1}", "-c", "2", "-w", "-"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    world.topo.procs.append(cap)
    assert wait_for(lambda: eventually_pings(n1, ROUTER) and cap.poll() is not None, 15)
    pcap = cap.stdout.read()
    assert bytes.fromhex(mac1.replace(":", "")) in pcap
    leave(world, a, net, "t1")
    leave(world, a, net, "t2")
    vsctl_ok(a, "network", "rm", net)


def promiscuity(vs):
    out = nsx(vs.ns, "ip", "-d", "link", "show", "lan0").stdout
    return int(out.split("promiscuity ")[1].split()[0])


def test_uplink_promiscuous_while_macvlan_uses_it(world):
    a = world.vs["a"]
    assert promiscuity(a) == 0
    net = lan_net(a, "ipvlan", "10.0.0.208/28")
    assert promiscuity(a) == 0, "ipvlan needs no promiscuous uplink"
    vsctl_ok(a, "network", "rm", net)
    net = lan_net(a, "macvlan", "10.0.0.224/28")
    assert promiscuity(a) == 1
    vsctl_ok(a, "network", "rm", net)
    assert promiscuity(a) == 0, "the uplink's filter was not restored"
