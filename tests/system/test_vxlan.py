"""test_vxlan.py - networks across hosts through VXLAN (issue 18, the data path).

Control plane without a store: `network create --driver overlay`, the VNI in
inspect's Options as Docker's overlay driver shows it, `network vtep add|rm`
kept across a restart, and every bad request refused in one line.

Data path (the module's underlay, below): two vswitchd hosts with static
members and a Linux vxlan host ping each other, TCP carries iperf3, the MTU
holds (1422 passes, 1423 does not; frag-needed from the gateway), tcpdump
and `capture --tunnel` see flags 0x08, the VNI and one source port per
flow from the kernel's ephemeral range, trace shows the remote hop, and
bad VXLAN packets are dropped and counted by reason.  A third host runs
with --vxlan-port 8472 and pings a Linux vxlan device with dstport 8472
both ways.  Hosts A and B have an uplink each: a container leaves by its
own host's uplink (NAT to that host's address), and a port published on
one host is not answered by the other.  Nothing
touches the machine's own namespace; every namespace has the test's
prefix and goes at teardown, also on failure.
"""
import json
import os
import subprocess

import pytest

import topo as topo_mod
from vsutil import nsx, scaled, sh, uniq, vsctl_ok, vsjson, wait_for


def overlay_net(vs, *opts, subnet="10.77.0.0/24"):
    name = uniq("ov")
    vsctl_ok(vs, "network", "create", "--driver", "overlay", "--subnet", subnet, *opts, name)
    return name


def test_overlay_create_inspect_and_vteps(vswitchd):
    net = overlay_net(vswitchd, "-o", "vxlan.vni=4242")
    info = vsjson(vswitchd, "network", "inspect", net)[0]
    assert info["Driver"] == "overlay"
    assert info["Options"]["com.docker.network.driver.overlay.vxlanid_list"] == "4242"
    # inner MTU = underlay (1500) - 50
    assert info["Options"]["com.docker.network.driver.mtu"] == "1450"
    # the gateway MAC comes from the VNI: every host has the same
    assert info["GatewayMacAddress"] == "06:56:58:00:10:92"

    vsctl_ok(vswitchd, "network", "vtep", "add", net, "10.99.0.12")
    vsctl_ok(vswitchd, "network", "vtep", "add", net, "10.99.0.20:8472")
    show = vsjson(vswitchd, "show")
    tun = [n for n in show["networks"] if n["name"] == net][0]["overlay"]
    assert tun["vni"] == 4242
    assert sorted(m["vtep"] for m in tun["members"]) == ["10.99.0.12:4789", "10.99.0.20:8472"]

    vswitchd.restart(kill9=True)
    show = vsjson(vswitchd, "show")
    tun = [n for n in show["networks"] if n["name"] == net][0]["overlay"]
    assert sorted(m["vtep"] for m in tun["members"]) == ["10.99.0.12:4789", "10.99.0.20:8472"]
    vsctl_ok(vswitchd, "network", "vtep", "rm", net, "10.99.0.20")
    show = vsjson(vswitchd, "show")
    tun = [n for n in show["networks"] if n["name"] == net][0]["overlay"]
    assert [m["vtep"] for m in tun["members"]] == ["10.99.0.12:4789"]
    vsctl_ok(vswitchd, "network", "rm", net)


@pytest.mark.parametrize("args, why", [
    (["-o", "vxlan.vni=0"], "bad vxlan.vni"),
    (["-o", "vxlan.vni=16777216"], "bad vxlan.vni"),
    (["-o", "vxlan.vni=12x"], "bad vxlan.vni"),
    (["-o", "vxlan.ttl=3"], "unknown driver option"),
])
def test_overlay_create_refusals(vswitchd, args, why):
    r = vswitchd.vsctl("network", "create", "--driver", "overlay", *args, uniq("ov"))
    assert r.returncode != 0 and why in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_overlay_refusals(vswitchd):
    net = overlay_net(vswitchd, "-o", "vxlan.vni=77")
    r = vswitchd.vsctl("network", "create", "--driver", "overlay", "-o", "vxlan.vni=77",
                       "--subnet", "10.78.0.0/24", uniq("ov"))
    assert r.returncode != 0 and "already another overlay network's" in r.stderr
    r = vswitchd.vsctl("network", "create", "-o", "vxlan.vni=78", uniq("br"))
    assert r.returncode != 0 and "is for --driver overlay" in r.stderr
    for bad in ("10.99.0.1:0", "10.99.0.1:99999", "224.0.0.1", "0.0.0.0", "name"):
        r = vswitchd.vsctl("network", "vtep", "add", net, bad)
        assert r.returncode != 0 and "bad VTEP" in r.stderr, (bad, r.stderr)
    br = uniq("br")
    vsctl_ok(vswitchd, "network", "create", br)
    r = vswitchd.vsctl("network", "vtep", "add", br, "10.99.0.1")
    assert r.returncode != 0 and "not an overlay network" in r.stderr
    r = vswitchd.vsctl("network", "vtep", "rm", net, "10.99.0.1")
    assert r.returncode != 0 and "is not a VTEP added" in r.stderr
    # an automatic VNI skips the ones in use
    auto = overlay_net(vswitchd, subnet="10.79.0.0/24")
    info = vsjson(vswitchd, "network", "inspect", auto)[0]
    assert info["Options"]["com.docker.network.driver.overlay.vxlanid_list"] == "4096"


# ---- the data path: two vswitchd hosts and a Linux vxlan host ----------
#
# An underlay of namespaces on a test bridge (10.99.0.0/24): hosts A and B
# (vswitchd --vtep-ip, each in its own namespace, each with an uplink to
# an outside namespace of its own) and KX, a plain Linux vxlan device with
# static fdb entries, as a non-vswitch host joins.  A and B have overlay
# network "ovn" (VNI 4242, 10.77.0.0/24), each its own --ip-range; the
# members are listed by hand (network vtep add).  Host C (--vxlan-port
# 8472) has "ov8" (VNI 4444) with KX's second device, on port 8472.

def test_vtep_group_help():
    """`vsctl network vtep --help` is the group's help, as `network --help`
    is network's: every subcommand's usage, the same as `help network vtep`;
    the group alone names its subcommands."""
    vsctl = topo_mod.find_binary("vsctl")
    if not vsctl:
        pytest.skip("vsctl not built")
    run = lambda *a: subprocess.run([vsctl, *a], capture_output=True, text=True, timeout=30)
    a, b = run("network", "vtep", "--help"), run("help", "network", "vtep")
    assert a.returncode == 0 and a.stdout == b.stdout, a.stdout + a.stderr
    assert "usage: vsctl network vtep add NETWORK IP[:PORT]" in a.stdout, a.stdout
    assert "usage: vsctl network vtep rm NETWORK IP" in a.stdout, a.stdout
    assert run("network", "vtep", "-h").stdout == a.stdout
    r = run("network", "vtep")
    assert r.returncode != 0 and "'network vtep' needs a subcommand: add, rm" in r.stderr, r.stderr
    r = run("network", "vtep", "bogus")
    assert r.returncode != 0 and "(network vtep takes: add, rm)" in r.stderr, r.stderr
    # network's own group help still lists vtep among its commands
    assert "usage: vsctl network vtep add" in run("network", "--help").stdout


VNI, SUBNET = 4242, "10.77.0.0/24"
VTEP_A, VTEP_B, VTEP_KX, ROGUE = "10.99.0.11", "10.99.0.12", "10.99.0.20", "10.99.0.30"
KX_IP = "10.77.0.200"
# Host C runs with --vxlan-port 8472 (flannel's port); KX has a second
# Linux vxlan device on that port for C's network
VTEP_C, VNI_C, KX_IP_C = "10.99.0.13", 4444, "10.76.0.200"
# Hosts A and B each have an uplink to an outside namespace of their own,
# on different segments: egress NAT and published ports are per host
UPLINK = {"a": ("198.51.100.1", "198.51.100.254"), "b": ("203.0.113.1", "203.0.113.254")}


def _underlay_leg(w, ns, name, addr):
    """A veth from the underlay bridge into NS as ul0, with ADDR/24."""
    a, b = w.prefix + name + "u", w.prefix + name + "x"
    sh("ip", "link", "add", a, "netns", w.ul, "type", "veth", "peer", "name", b, "netns", ns)
    sh("ip", "-n", w.ul, "link", "set", a, "master", "br0", "up")
    sh("ip", "-n", ns, "link", "set", b, "name", "ul0")
    sh("ip", "-n", ns, "addr", "add", f"{addr}/24", "dev", "ul0")
    sh("ip", "-n", ns, "link", "set", "ul0", "up")
    sh("ip", "-n", ns, "link", "set", "lo", "up")


class Underlay:
    def __init__(self, t, bins):
        self.topo, self.prefix, self.bins = t, t.prefix, bins
        self.ul = t.add_netns(t.prefix + "ul")
        sh("ip", "-n", self.ul, "link", "add", "br0", "type", "bridge")
        sh("ip", "-n", self.ul, "link", "set", "br0", "up")
        self.vs = {}
        self.kx = t.add_netns(t.prefix + "kx")
        _underlay_leg(self, self.kx, "k", VTEP_KX)
        self.rogue = t.add_netns(t.prefix + "rg")
        _underlay_leg(self, self.rogue, "r", ROGUE)

    def host(self, name, vtep, *args):
        sub = topo_mod.Topo(self.prefix + name)
        if name in UPLINK:
            args += self._uplink(sub, name)
        vs = topo_mod.Vswitchd(sub, self.bins[0], self.bins[1], ["--vtep-ip", vtep, *args])
        _underlay_leg(self, vs.ns, name, vtep)
        if name in UPLINK:
            self._uplink_leg(vs.ns, name)
        vs.start()
        self.vs[name] = vs
        return vs

    def _uplink(self, sub, name):
        """Host NAME's outside namespace (self.out[NAME]); its uplink's
        vswitchd options."""
        ip, gw = UPLINK[name]
        self.out = getattr(self, "out", {})
        self.out[name] = self.topo.add_netns(self.prefix + name + "o")
        return ("--uplink", "afpacket:up0", "--uplink-ip", f"{ip}/24", "--uplink-gateway", gw)

    def _uplink_leg(self, ns, name):
        """up0 in the host's namespace, the outside's end with the gateway
        address; tx checksums left off, as topo.add_outside does."""
        out, gw = self.out[name], UPLINK[name][1]
        a, b = self.prefix + name + "p", self.prefix + name + "q"
        sh("ip", "link", "add", a, "netns", ns, "type", "veth", "peer", "name", b, "netns", out)
        sh("ip", "-n", ns, "link", "set", a, "name", "up0")
        sh("ip", "-n", ns, "link", "set", "up0", "up")
        sh("ip", "-n", out, "addr", "add", f"{gw}/24", "dev", b)
        sh("ip", "-n", out, "link", "set", b, "up")
        for n, dev in ((ns, "up0"), (out, b)):
            nsx(n, "ethtool", "-K", dev, "tx", "off", check=False)

    def kx_vxlan(self):
        """KX's Linux vxlan device, as the research notes give it."""
        nsx(self.kx, "ip", "link", "add", "vx0", "type", "vxlan", "id", str(VNI), "local",
            VTEP_KX, "dstport", "4789", "nolearning")
        for h in (VTEP_A, VTEP_B):
            nsx(self.kx, "bridge", "fdb", "append", "00:00:00:00:00:00", "dev", "vx0",
                "dst", h, "self")
        nsx(self.kx, "ip", "addr", "add", f"{KX_IP}/24", "dev", "vx0")
        nsx(self.kx, "ip", "link", "set", "vx0", "up")

    def kx_vxlan_8472(self):
        """KX's second device, on flannel's port 8472, for host C's network."""
        nsx(self.kx, "ip", "link", "add", "vx8", "type", "vxlan", "id", str(VNI_C), "local",
            VTEP_KX, "dstport", "8472", "nolearning")
        nsx(self.kx, "bridge", "fdb", "append", "00:00:00:00:00:00", "dev", "vx8",
            "dst", VTEP_C, "self")
        nsx(self.kx, "ip", "addr", "add", f"{KX_IP_C}/24", "dev", "vx8")
        nsx(self.kx, "ip", "link", "set", "vx8", "up")


@pytest.fixture(scope="module")
def underlay(module_topo):
    bins = [topo_mod.find_binary(n) for n in ("vswitchd", "vsctl")]
    if not all(bins):
        pytest.skip("vswitchd or vsctl not built")
    w = Underlay(module_topo, bins)
    try:
        a, b = w.host("a", VTEP_A), w.host("b", VTEP_B)
        c = w.host("c", VTEP_C, "--vxlan-port", "8472")
        w.kx_vxlan()
        w.kx_vxlan_8472()
        # C's members get C's port unless they say otherwise
        vsctl_ok(c, "network", "create", "--driver", "overlay", "-o", f"vxlan.vni={VNI_C}",
                 "--subnet", "10.76.0.0/24", "--ip-range", "10.76.0.16/28", "ov8")
        vsctl_ok(c, "network", "vtep", "add", "ov8", VTEP_KX)
        for vs, rng, others in ((a, "10.77.0.16/28", (VTEP_B, VTEP_KX)),
                                (b, "10.77.0.32/28", (VTEP_A, VTEP_KX))):
            vsctl_ok(vs, "network", "create", "--driver", "overlay", "-o", f"vxlan.vni={VNI}",
                     "--subnet", SUBNET, "--ip-range", rng, "ovn")
            for o in others:
                vsctl_ok(vs, "network", "vtep", "add", "ovn", o)
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


def _join(w, vs, net, ctr):
    ns = w.topo.container(ctr)
    nsx(ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1")
    vsctl_ok(vs, "network", "connect", "--netns", ns, net, ctr)
    ep = vsjson(vs, "network", "inspect", net)[0]["Containers"][ctr]
    return ns, ep["IPv4Address"].split("/")[0]


def _pings(ns, ip, *opts):
    return nsx(ns, "ping", "-n", "-c", "1", "-W", "1", *opts, ip, check=False)


def _eventually_pings(ns, ip):
    return wait_for(lambda: _pings(ns, ip).returncode == 0, 10, interval=0.2)


def _port_drops(vs, port):
    for p in vsjson(vs, "stats")["ports"]:
        if p["name"] == port:
            return p.get("drops", {})
    raise AssertionError(f"no port {port}")


@pytest.fixture(scope="module")
def pair(underlay):
    a, b = underlay.vs["a"], underlay.vs["b"]
    ca, ipa = _join(underlay, a, "ovn", "ca")
    cb, ipb = _join(underlay, b, "ovn", "cb")
    assert _eventually_pings(ca, ipb), f"ca cannot ping cb\n{a.log(tail=40)}"
    return ca, ipa, cb, ipb


def test_ping_across_hosts_and_the_linux_vtep(underlay, pair):
    ca, ipa, cb, ipb = pair
    assert _eventually_pings(cb, ipa)
    # the Linux vxlan host reaches a container of each vswitchd host
    assert _eventually_pings(underlay.kx, ipa), underlay.vs["a"].log(tail=40)
    assert _eventually_pings(underlay.kx, ipb)
    assert _eventually_pings(ca, KX_IP)
    # KX's MAC was learned from its frames, behind its VTEP
    tun = [n for n in vsjson(underlay.vs["a"], "show")["networks"]
           if n["name"] == "ovn"][0]["overlay"]
    assert tun["learned"] >= 1, tun
    # vsctl show: the tunnel port and its members, as text
    text = underlay.vs["a"].vsctl("show").stdout
    assert f"Tunnel VNI {VNI}" in text and "port vxlan:" in text, text
    assert f"member {VTEP_B}:4789 (static)" in text and f"member {VTEP_KX}:4789" in text, text
    # the interfaces got the tunnel's MTU
    assert "mtu 1450" in nsx(ca, "ip", "link", "show", "eth0").stdout


def test_mtu_across_hosts(underlay, pair):
    ca, ipa, cb, ipb = pair
    assert _pings(ca, ipb, "-M", "do", "-s", "1422").returncode == 0
    r = _pings(ca, ipb, "-M", "do", "-s", "1423")
    assert r.returncode != 0 and "1450" in r.stdout + r.stderr, r.stdout + r.stderr


def test_frag_needed_from_the_gateway(underlay):
    """A network whose MTU is the underlay's: frames the tunnel cannot carry
    are answered with ICMP frag-needed (mtu 1450) by the gateway, never
    fragmented."""
    a, b = underlay.vs["a"], underlay.vs["b"]
    for vs, rng, other in ((a, "10.78.0.16/28", VTEP_B), (b, "10.78.0.32/28", VTEP_A)):
        vsctl_ok(vs, "network", "create", "--driver", "overlay", "-o", "vxlan.vni=4343",
                 "--subnet", "10.78.0.0/24", "--ip-range", rng, "--mtu", "1500", "ovm")
        vsctl_ok(vs, "network", "vtep", "add", "ovm", other)
    ma, _ = _join(underlay, a, "ovm", "ma")
    mb, ipmb = _join(underlay, b, "ovm", "mb")
    assert _eventually_pings(ma, ipmb)
    assert _pings(ma, ipmb, "-M", "do", "-s", "1422").returncode == 0
    before = _port_drops(a, "ma:eth0").get("frag_needed", 0)
    r = _pings(ma, ipmb, "-M", "do", "-s", "1423")
    out = r.stdout + r.stderr
    assert r.returncode != 0 and ("Frag needed" in out or "mtu = 1450" in out or
                                  "mtu=1450" in out), out
    assert _port_drops(a, "ma:eth0").get("frag_needed", 0) == before + 1


def test_iperf3_tcp_across(underlay, pair):
    ca, ipa, cb, ipb = pair
    srv = subprocess.Popen(["ip", "netns", "exec", cb, "iperf3", "-s", "-1", "-B", ipb],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    underlay.topo.procs.append(srv)
    try:
        assert wait_for(lambda: f":5201" in nsx(cb, "ss", "-ltn").stdout, 10)
        r = nsx(ca, "iperf3", "-c", ipb, "-t", "2", "-J", timeout=60)
        res = json.loads(r.stdout)
        assert res["end"]["sum_received"]["bytes"] > 1_000_000, r.stdout[-400:]
    finally:
        srv.wait(timeout=scaled(20))


def test_tunnel_on_the_wire_and_in_capture(underlay, pair):
    ca, ipa, cb, ipb = pair
    a = underlay.vs["a"]
    dump = subprocess.Popen(["ip", "netns", "exec", underlay.ul, "tcpdump", "-l", "-n", "-v",
                             "-i", "br0", "-c", "2", "udp port 4789"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    underlay.topo.procs.append(dump)
    line = dump.stderr.readline()
    if "listening on" not in line:
        line = dump.stderr.readline()
    assert "listening on" in line, line
    pcap = os.path.join(a.tmp, "tunnel.pcap")
    cap = subprocess.Popen(a.vsctl_argv + ["capture", "--tunnel", "-c", "8", "-w", pcap],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    underlay.topo.procs.append(cap)
    assert wait_for(lambda: _pings(ca, ipb).returncode == 0 and cap.poll() is not None
                    and dump.poll() is not None, 15, interval=0.3)
    out, _ = dump.communicate(timeout=scaled(10))
    assert "VXLAN" in out and "flags [I] (0x08)" in out and f"vni {VNI}" in out, out
    assert cap.returncode == 0, cap.stderr.read()
    t = sh("tshark", "-r", pcap, "-T", "fields", "-e", "vxlan.vni", "-e", "vxlan.flags",
           "-e", "ip.dst", "-e", "ip.flags.df", "-e", "udp.srcport")
    rows = [l.split("\t") for l in t.stdout.splitlines() if l.strip()]
    assert rows and all(r[0] == str(VNI) for r in rows), t.stdout
    # A's echo requests to B: outer and inner destination (ARP and the
    # replies are other flows, each with its own port)
    out = [r for r in rows if r[2] == f"{VTEP_B},{ipb}"]
    assert len(out) >= 2, t.stdout
    # the outer header (first of each field) has DF, both ways
    assert all(r[3].split(",")[0] in ("1", "True", "Set") for r in rows), t.stdout
    # the source port comes from the inner flow (one ping flow, one port),
    # out of the ephemeral range A's kernel gave the sending sockets
    lo, hi = map(int, nsx(a.ns, "cat", "/proc/sys/net/ipv4/ip_local_port_range").stdout.split())
    sports = {int(r[4]) for r in out}
    assert len(sports) == 1 and lo <= min(sports) <= hi, (sports, lo, hi, t.stdout)


def _send_udp(ns, dst, payload):
    code = ("import socket,sys;s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM);"
            f"s.sendto(bytes.fromhex('{payload.hex()}'),('{dst}',4789))")
    nsx(ns, "/usr/bin/python3", "-c", code)


def _vxlan(vni, flags=0x08, inner=None, rsvd=0):
    inner = inner if inner is not None else (b"\xff" * 6 + b"\x02\x42\x0a\x4d\x00\xc8" +
                                             b"\x08\x06" + b"\x00" * 28)
    return bytes([flags, 0, 0, rsvd]) + vni.to_bytes(3, "big") + b"\x00" + inner


@pytest.mark.parametrize("src, payload, reason", [
    ("kx", _vxlan(VNI, flags=0x0c), "vxlan_bad_flags"),
    ("kx", _vxlan(VNI, flags=0x00), "vxlan_bad_flags"),
    ("kx", _vxlan(VNI, rsvd=1), "vxlan_bad_flags"),
    ("kx", _vxlan(77777), "vxlan_unknown_vni"),
    ("kx", b"\x08\x00\x00", "vxlan_truncated"),
    ("kx", _vxlan(VNI, inner=b"\x01\x02\x03"), "vxlan_truncated"),
    ("rogue", _vxlan(VNI), "vxlan_unknown_vtep"),
])
def test_bad_vxlan_dropped_and_counted(underlay, pair, src, payload, reason):
    a = underlay.vs["a"]
    before = _port_drops(a, "vxlan").get(reason, 0)
    ns = underlay.kx if src == "kx" else underlay.rogue
    _send_udp(ns, VTEP_A, payload)
    assert wait_for(lambda: _port_drops(a, "vxlan").get(reason, 0) == before + 1, 5), \
        _port_drops(a, "vxlan")
    assert a.running()
    ca, ipa, cb, ipb = pair
    assert _eventually_pings(ca, ipb)     # the tunnel still works


def test_vxlan_port_8472_with_a_linux_vtep(underlay):
    """Host C runs with --vxlan-port 8472: it listens there, its members
    default to it, and KX's Linux vxlan device with dstport 8472 and C's
    container ping each other both ways."""
    c = underlay.vs["c"]
    assert f"{VTEP_C}:8472" in nsx(c.ns, "ss", "-lunH").stdout
    tun = [n for n in vsjson(c, "show")["networks"] if n["name"] == "ov8"][0]["overlay"]
    assert [m["vtep"] for m in tun["members"]] == [f"{VTEP_KX}:8472"], tun
    cc, ipc = _join(underlay, c, "ov8", "cc")
    assert _eventually_pings(underlay.kx, ipc), c.log(tail=40)
    assert _eventually_pings(cc, KX_IP_C), c.log(tail=40)
    # (both ways on 8472: C receives on no other port, and KX's device on
    # 4789 has another VNI)


WHO = ("import socket,sys\n"
       "s=socket.socket()\n"
       "s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\n"
       "s.bind(('0.0.0.0',int(sys.argv[2])))\n"
       "s.listen(8)\n"
       "while True:\n"
       "    c,a=s.accept()\n"
       "    c.sendall((sys.argv[1]+' '+a[0]+'\\n').encode())\n"
       "    c.close()\n")
ASK = ("import socket,sys\n"
       "s=socket.create_connection((sys.argv[1],int(sys.argv[2])),timeout=2)\n"
       "print(s.makefile().readline().strip())\n")


def _who(w, ns, name, port):
    """A TCP server in NS that answers every connection with NAME and the
    client's address (what it saw after any NAT)."""
    w.topo.spawn(ns, "/usr/bin/python3", "-c", WHO, name, port)
    assert wait_for(lambda: f":{port} " in nsx(ns, "ss", "-ltnH").stdout, 10)


def _ask(ns, ip, port):
    """What the server at IP:PORT says to a connection from NS; None if
    nothing answered."""
    r = nsx(ns, "/usr/bin/python3", "-c", ASK, ip, str(port), check=False)
    return r.stdout.strip() if r.returncode == 0 else None


def test_egress_nat_and_published_ports_per_host(underlay, pair):
    """A and B have an uplink each, to outsides on different segments.  A
    container leaves by its own host's uplink, its source NATed to that
    host's uplink address, and cannot reach the other host's outside; a
    port published on A reaches A's container from A's outside, and B,
    which has the same network but did not publish it, does not answer."""
    ca, ipa, cb, ipb = pair
    a, b = underlay.vs["a"], underlay.vs["b"]
    (ua, ga), (ub, gb) = UPLINK["a"], UPLINK["b"]
    for name in ("a", "b"):
        _who(underlay, underlay.out[name], name + "-outside", 7070)
    assert wait_for(lambda: _ask(ca, ga, 7070) == f"a-outside {ua}", 10), a.log(tail=40)
    assert wait_for(lambda: _ask(cb, gb, 7070) == f"b-outside {ub}", 10), b.log(tail=40)
    assert _ask(ca, gb, 7070) is None     # not by B's uplink
    assert _ask(cb, ga, 7070) is None
    # a published port is its host's alone
    _who(underlay, ca, "ca", 80)
    vsctl_ok(a, "port", "publish", "ca", "8080:80")
    try:
        assert wait_for(lambda: _ask(underlay.out["a"], ua, 8080) == f"ca {ga}", 10), \
            a.log(tail=40)
        assert _ask(underlay.out["b"], ub, 8080) is None
    finally:
        vsctl_ok(a, "port", "unpublish", "ca", "8080:80")


def test_trace_shows_the_remote_hop(underlay, pair):
    ca, ipa, cb, ipb = pair
    a = underlay.vs["a"]
    res = vsjson(a, "trace", "--from", "ca", "--to", ipb)
    hops = [e for e in res["events"] if e.get("tunnel")]
    assert hops, res["events"]
    assert hops[0]["tunnel"] == {"vtep": VTEP_B, "port": 4789, "vni": VNI}
    assert hops[0]["decision"] == "output" and hops[0]["port"] == "vxlan"
    text = a.vsctl("trace", "--from", "ca", "--to", ipb).stdout
    assert f"output to port vxlan: VTEP {VTEP_B}:4789, VNI {VNI}" in text, text
