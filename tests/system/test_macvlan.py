"""test_macvlan.py - containers on the uplink's LAN (issue 22).

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
LAN sees their own MACs, host A reaches its container, --internal isolates,
port security holds, and what a LAN network gives up is refused in one
line.
"""
import re
import subprocess

import pytest

import topo as topo_mod
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
    # Host B hands out from the same range: the address host A's container
    # holds is not asked for here (address probing is its own test).
    cb, ipb, macb = join(world, b, nb, "cb", "--ip", "10.0.0.40")
    assert ipa != ipb
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
    r = a.vsctl("network", "create", "--driver", "overlay", uniq("br"))
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
