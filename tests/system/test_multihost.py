"""test_multihost.py - the cluster's control plane: three vswitchd "hosts"
and one etcd on an underlay of test namespaces (issue 18).

The underlay is a Linux bridge in namespace PREFIX+"u" (10.99.0.0/24);
etcd runs in PREFIX+"etcd" at 10.99.0.1:2379 with its data directory in a
temporary directory, and each host is a vswitchd in its own namespace at
10.99.0.1N.  Everything is removed at the end (namespaces by prefix, etcd
and the daemons by PID), also on failure.  Nothing is timed: every wait
polls for a state with wait_for and a generous bound (the lease is 15 s).

What is checked here is the store: networks created on one host appear on
the others (with one gateway IP and MAC), addresses are never handed out
twice (also by two hosts at the same moment), endpoints come and go with
their host's lease (a killed host's container leaves the others' tables
and DNS within it), every host resyncs after etcd restarts, a host whose
first etcd endpoint is dead uses the next, and a fake etcd's nonsense is
counted, not fatal, while its compacted watch makes the host resync.

And the data path in the same topology (issue 18's acceptance wants one):
the `dpnet` fixture makes one overlay network on host 1 with a container
on each host, and a Linux vxlan "host" (PREFIX+"kx", a kernel vxlan device
with static fdb entries) added with `network vtep add`.  Containers ping
each other by IP and by name, TCP carries iperf3, the MTU holds (and
follows the underlay's MTU when it changes), a restarted host's containers
work again, traffic keeps flowing while etcd is down (an echo stream that
counts every lost reply), and bad VXLAN packets, among them one from a
VTEP that is not in the cluster's membership (also a host whose lease
expired), are dropped and counted by reason.  test_vxlan.py keeps the
data path without a store (static members).
"""
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
import http.server

import pytest

import topo as topo_mod
from vsutil import nsx, scaled, sh, uniq, vsctl_ok, vsjson, wait_for

ETCD_IP = "10.99.0.1"
ETCD_URL = f"etcd://{ETCD_IP}:2379"
CLUSTER_LEASE_TTL = 15  # include/cluster.h: a dead host's keys go within it
LEASE_WAIT = 45     # how long to wait for that; a bound, not a measurement
# What may come on top of the lease before the other hosts forget a dead
# host's endpoints (etcd's expiry check, the watch, this test's polling),
# scaled() for a daemon under valgrind
LEASE_SLACK = 10

pytestmark = pytest.mark.skipif(not shutil.which("etcd") or not shutil.which("etcdctl"),
                                reason="etcd-server and etcd-client not installed")


class Underlay:
    """A bridge namespace and a veth into each namespace that joins it."""

    def __init__(self, prefix):
        self.prefix = prefix
        self.ns = prefix + "u"
        sh("ip", "netns", "add", self.ns)
        sh("ip", "-n", self.ns, "link", "set", "lo", "up")
        sh("ip", "-n", self.ns, "link", "add", "br0", "type", "bridge")
        sh("ip", "-n", self.ns, "link", "set", "br0", "up")
        self.n = 0

    def join(self, ns, ip):
        self.n += 1
        a, b = f"{self.prefix}a{self.n}", f"{self.prefix}b{self.n}"
        sh("ip", "link", "add", a, "netns", self.ns, "type", "veth", "peer", "name", b,
           "netns", ns)
        sh("ip", "-n", self.ns, "link", "set", a, "master", "br0", "up")
        sh("ip", "-n", ns, "link", "set", b, "name", "ul0")
        sh("ip", "-n", ns, "addr", "add", f"{ip}/24", "dev", "ul0")
        sh("ip", "-n", ns, "link", "set", "ul0", "up")


class Etcd:
    """etcd in namespace NS, data in a temporary directory, stopped by PID.

    The directory is on tmpfs (/dev/shm) when there is one: etcd fsyncs its
    WAL on every write, and on a busy machine's disk one fsync took longer
    than vswitchd's 5 s request timeout, so a `network vtep add` failed with
    "etcd does not answer".  What is tested is vswitchd, not the disk."""

    def __init__(self, ns):
        self.ns = ns
        shm = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None
        self.dir = tempfile.mkdtemp(prefix="vt-etcd-", dir=shm)
        self.proc = None

    def start(self):
        url = f"http://{ETCD_IP}:2379"
        self.log = open(os.path.join(self.dir, "etcd.log"), "a")
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", self.ns, "etcd", "--data-dir", os.path.join(self.dir, "d"),
             "--listen-client-urls", url, "--advertise-client-urls", url,
             "--listen-peer-urls", f"http://{ETCD_IP}:2380",
             "--initial-advertise-peer-urls", f"http://{ETCD_IP}:2380",
             "--initial-cluster", f"default=http://{ETCD_IP}:2380"],
            stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        assert wait_for(lambda: self.ctl("endpoint", "health", check=False).returncode == 0,
                        timeout=30, interval=0.2), "etcd did not start"

    def stop(self, kill9=False):
        if self.proc:
            topo_mod.stop_process(self.proc, kill9=kill9)
            self.proc = None
        self.log.close()

    def ctl(self, *args, check=True):
        return nsx(self.ns, "env", "ETCDCTL_API=3", "etcdctl", f"--endpoints={ETCD_IP}:2379",
                   *args, check=check)

    def keys(self, prefix):
        r = self.ctl("get", "--prefix", "--keys-only", prefix, check=False)
        return {k for k in r.stdout.split() if k}

    def get(self, key):
        r = self.ctl("get", "--print-value-only", key, check=False)
        return r.stdout.strip()

    def log_tail(self, n=30):
        """The last N lines etcd wrote, for an assertion's message."""
        with open(os.path.join(self.dir, "etcd.log"), errors="replace") as f:
            return "\n--- etcd.log ---\n" + "".join(f.readlines()[-n:])

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)


class UdpEcho:
    """A stream across hosts that counts every lost reply: an echo server
    in one container, and a client in another that sends a numbered
    datagram every 0.2 s and waits for its echo (a generous bound, not a
    measurement) until a stop file exists, then prints what it counted.
    Stopping never cuts a datagram short, so no race decides the count."""

    SERVER = ("import socket,sys\n"
              "s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n"
              "s.bind((sys.argv[1],7007))\n"
              "while True:\n"
              "    d,a=s.recvfrom(2048)\n"
              "    s.sendto(d,a)\n")
    CLIENT = ("import json,os,socket,sys,time\n"
              "s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n"
              "s.settimeout(float(sys.argv[3]))\n"
              "sent=lost=0\n"
              "while not os.path.exists(sys.argv[2]):\n"
              "    sent+=1\n"
              "    s.sendto(str(sent).encode(),(sys.argv[1],7007))\n"
              "    try:\n"
              "        while s.recv(2048)!=str(sent).encode():\n"
              "            pass\n"
              "    except socket.timeout:\n"
              "        lost+=1\n"
              "    time.sleep(0.2)\n"
              "print(json.dumps({'sent':sent,'lost':lost}))\n")

    def __init__(self, topo, src_ns, dst_ns, dst_ip):
        self.stop_file = os.path.join(tempfile.mkdtemp(prefix="vt-echo-"), "stop")
        self.server = topo.spawn(dst_ns, "/usr/bin/python3", "-c", self.SERVER, dst_ip)
        assert wait_for(lambda: ":7007" in nsx(dst_ns, "ss", "-lun").stdout, 10)
        self.client = topo.spawn(src_ns, "/usr/bin/python3", "-c", self.CLIENT, dst_ip,
                                 self.stop_file, str(scaled(5)), stdout=subprocess.PIPE,
                                 text=True)

    def finish(self):
        """Stop the client after its current datagram: {sent, lost}."""
        open(self.stop_file, "w").close()
        out, _ = self.client.communicate(timeout=scaled(30))
        topo_mod.stop_process(self.server)
        shutil.rmtree(os.path.dirname(self.stop_file), ignore_errors=True)
        return json.loads(out)


class Host:
    """One vswitchd "host": its own Topo (prefix), namespace and VTEP."""

    def __init__(self, prefix, i, underlay, url=ETCD_URL):
        self.name = f"h{i}"
        self.topo = topo_mod.Topo(prefix + f"h{i}")
        bins = {n: topo_mod.find_binary(n) for n in ("vswitchd", "vsctl")}
        self.vtep = f"10.99.0.1{i}"
        self.vs = topo_mod.Vswitchd(self.topo, bins["vswitchd"], bins["vsctl"],
                                    ["--cluster", url, "--host-name", self.name,
                                     "--vtep-ip", self.vtep])
        if underlay:
            underlay.join(self.vs.ns, self.vtep)

    def teardown(self):
        """Stop and remove it; what memcheck found in it (VSW_VALGRIND), which
        goes with its directory."""
        if self.vs.proc is not None:
            self.vs.stop(kill9=False)
        found = self.vs.valgrind_problems()
        self.topo.teardown()
        if not os.environ.get("VS_KEEP_TMP"):
            self.vs.cleanup()
        return found


def _remove_hosts(prefix, hosts):
    """Stop and remove HOSTS, then every namespace whose name starts with
    PREFIX (the underlay's, the containers', any leg a test added), also
    after a failure.  What memcheck found in each host, by name: the
    caller judges it once nothing is left behind."""
    found = {}
    try:
        for h in hosts:
            found[h.name] = h.teardown()
    finally:
        for ns in topo_mod.netns_list():
            if ns.startswith(prefix):
                sh("ip", "netns", "del", ns, check=False)
    return found


def _assert_memcheck_clean(found):
    assert not any(found.values()), f"valgrind memcheck reported in the hosts: {found}"


class Cluster(tuple):
    """(etcd, hosts), unpacked as before; the underlay and the prefix too."""

    def __new__(cls, etcd, hosts, underlay, prefix):
        self = super().__new__(cls, (etcd, hosts))
        self.underlay, self.prefix = underlay, prefix
        return self


@pytest.fixture(scope="module")
def cluster():
    if os.geteuid() != 0:
        pytest.skip("needs root (network namespaces)")
    prefix = topo_mod.new_prefix()
    underlay = Underlay(prefix)
    etcd = Etcd(underlay.ns)   # etcd sits on the underlay bridge's namespace
    hosts = []
    try:
        sh("ip", "-n", underlay.ns, "addr", "add", f"{ETCD_IP}/24", "dev", "br0")
        etcd.start()
        hosts = [Host(prefix, i, underlay) for i in (1, 2, 3)]
        for h in hosts:
            h.vs.start()
        yield Cluster(etcd, hosts, underlay, prefix)
        for h in hosts:
            if h.vs.proc is not None:
                assert h.vs.proc.poll() is None, f"{h.name}: vswitchd died\n{h.vs.log(tail=80)}"
    finally:
        try:
            found = _remove_hosts(prefix, hosts)
        finally:
            etcd.stop()     # by PID: its namespace may be gone already
            etcd.cleanup()
    _assert_memcheck_clean(found)


def net_row(vs, name):
    for n in vsjson(vs, "network", "ls"):
        if n.get("name") == name:
            return n
    return None


def connect(h, net, ctr, *opts):
    ns = h.topo.container(ctr)
    r = h.vs.vsctl("--format", "raw", "network", "connect", "--netns", ns, *opts, net, ctr)
    return r


def pings(ns, dst, *opts):
    return nsx(ns, "ping", "-n", "-c", "1", "-W", "1", *opts, dst, check=False)


def eventually_pings(ns, dst):
    return wait_for(lambda: pings(ns, dst).returncode == 0, 20, interval=0.3)


def port_drops(vs, port):
    for p in vsjson(vs, "stats")["ports"]:
        if p["name"] == port:
            return p.get("drops", {})
    raise AssertionError(f"no port {port}")


def join(h, net, ctr, *opts):
    """Connect a container of host H to NET; its namespace and address."""
    ns = h.topo.container(ctr)
    nsx(ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1")
    r = connect(h, net, ctr, *opts)
    assert r.returncode == 0, r.stderr
    return ns, json.loads(r.stdout)["ip"]


def send_udp(ns, dst, payload, port=4789):
    code = ("import socket;s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM);"
            f"s.sendto(bytes.fromhex('{payload.hex()}'),('{dst}',{port}))")
    nsx(ns, "/usr/bin/python3", "-c", code)


def vxlan_pkt(vni, flags=0x08, inner=None, rsvd=0):
    inner = inner if inner is not None else (b"\xff" * 6 + b"\x02\x42\x0a\x4f\x00\xc9" +
                                             b"\x08\x06" + b"\x00" * 28)
    return bytes([flags, 0, 0, rsvd]) + vni.to_bytes(3, "big") + b"\x00" + inner


KX_VTEP, KX_IP, ROGUE_VTEP = "10.99.0.20", "10.79.0.200", "10.99.0.30"


class DpNet:
    """The data path's network: a container on each host, the Linux vxlan
    host KX (a member through `network vtep add`) and a rogue namespace on
    the underlay that is in no network."""

    def __init__(self, cl):
        etcd, hosts = cl
        self.hosts = hosts
        self.net = uniq("dp")
        vsctl_ok(hosts[0].vs, "network", "create", "--driver", "overlay", "--subnet",
                 "10.79.0.0/24", "--ip-range", "10.79.0.0/25", self.net)
        for h in hosts:
            assert wait_for(lambda: net_row(h.vs, self.net), timeout=20), h.name
        self.vni = int(vsjson(hosts[0].vs, "network", "inspect", self.net)[0]["Options"][
            "com.docker.network.driver.overlay.vxlanid_list"])
        self.gw = vsjson(hosts[0].vs, "network", "inspect", self.net)[0]["IPAM"][
            "Config"][0]["Gateway"]
        self.ctr = {}       # name: (host, ns, ip)
        for i, h in enumerate(hosts):
            name = f"dp{i + 1}"
            ns, ip = join(h, self.net, name)
            self.ctr[name] = (h, ns, ip)
        self.kx = self._leg(cl, "kx", KX_VTEP)
        self.rogue = self._leg(cl, "rg", ROGUE_VTEP)
        nsx(self.kx, "ip", "link", "add", "vx0", "type", "vxlan", "id", str(self.vni),
            "local", KX_VTEP, "dstport", "4789", "nolearning")
        for h in hosts:
            nsx(self.kx, "bridge", "fdb", "append", "00:00:00:00:00:00", "dev", "vx0",
                "dst", h.vtep, "self")
        nsx(self.kx, "ip", "addr", "add", f"{KX_IP}/24", "dev", "vx0")
        nsx(self.kx, "ip", "link", "set", "vx0", "up")
        r = hosts[1].vs.vsctl("network", "vtep", "add", self.net, KX_VTEP)
        assert r.returncode == 0, r.stderr + hosts[1].vs.log(tail=40) + cl[0].log_tail()
        for h in hosts:
            assert wait_for(lambda: f"{KX_VTEP}:4789" in
                            {m["vtep"] for m in net_row(h.vs, self.net)["overlay"]["members"]},
                            timeout=20), h.name

    @staticmethod
    def _leg(cl, name, ip):
        ns = cl.prefix + name
        sh("ip", "netns", "add", ns)
        sh("ip", "-n", ns, "link", "set", "lo", "up")
        nsx(ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1")
        cl.underlay.join(ns, ip)
        return ns


@pytest.fixture(scope="module")
def dpnet(cluster):
    return DpNet(cluster)


def test_dp_ping_by_ip_and_name_across_three_hosts(dpnet):
    for a, (ha, nsa, ipa) in dpnet.ctr.items():
        assert wait_for(lambda: os.path.exists(f"/etc/netns/{nsa}/resolv.conf"), 10), nsa
        for b, (hb, nsb, ipb) in dpnet.ctr.items():
            if a == b:
                continue
            assert eventually_pings(nsa, ipb), f"{a}@{ha.name} -> {b}@{hb.name} by IP\n" + \
                ha.vs.log(tail=40)
            # by name: glibc in the container asks its host's gateway
            r = pings(nsa, b)
            assert r.returncode == 0 and f"({ipb})" in r.stdout, r.stdout + r.stderr
    # the containers got the tunnel's MTU; every host sees the other two
    h1, ns1, _ = dpnet.ctr["dp1"]
    assert "mtu 1450" in nsx(ns1, "ip", "link", "show", "eth0").stdout
    for h in dpnet.hosts:
        assert net_row(h.vs, dpnet.net)["overlay"]["remotes"] >= 2, h.name


def test_dp_iperf3_tcp_between_hosts(cluster, dpnet):
    h1, ns1, ip1 = dpnet.ctr["dp1"]
    h2, ns2, ip2 = dpnet.ctr["dp2"]
    assert eventually_pings(ns1, ip2)
    srv = h2.topo.spawn(ns2, "iperf3", "-s", "-1", "-B", ip2)
    assert wait_for(lambda: ":5201" in nsx(ns2, "ss", "-ltn").stdout, 10)
    r = nsx(ns1, "iperf3", "-c", ip2, "-t", "2", "-J", timeout=60)
    res = json.loads(r.stdout)
    assert res["end"]["sum_received"]["bytes"] > 1_000_000, r.stdout[-400:]
    srv.wait(timeout=scaled(20))


def test_dp_linux_vxlan_host(dpnet):
    for name, (h, ns, ip) in dpnet.ctr.items():
        assert eventually_pings(dpnet.kx, ip), f"kx -> {name}@{h.name}\n" + h.vs.log(tail=40)
    h1, ns1, _ = dpnet.ctr["dp1"]
    assert eventually_pings(ns1, KX_IP)
    # KX's MAC was learned from its frames, behind its VTEP
    tun = [n for n in vsjson(h1.vs, "show")["networks"] if n["name"] == dpnet.net][0]
    assert tun["overlay"]["learned"] >= 1, tun["overlay"]


def test_dp_mtu_and_frag_needed(cluster, dpnet):
    etcd, hosts = cluster
    h1, ns1, _ = dpnet.ctr["dp1"]
    h2, ns2, ip2 = dpnet.ctr["dp2"]
    assert eventually_pings(ns1, ip2)
    assert pings(ns1, ip2, "-M", "do", "-s", "1422").returncode == 0
    r = pings(ns1, ip2, "-M", "do", "-s", "1423")
    assert r.returncode != 0 and "1450" in r.stdout + r.stderr, r.stdout + r.stderr
    # a network whose MTU is the underlay's: the gateway answers frag-needed
    net = uniq("dm")
    vsctl_ok(h1.vs, "network", "create", "--driver", "overlay", "--subnet", "10.80.0.0/24",
             "--mtu", "1500", net)
    assert wait_for(lambda: net_row(h2.vs, net), timeout=20)
    m1, _ = join(h1, net, "mt1")
    m2, ipm2 = join(h2, net, "mt2")
    assert eventually_pings(m1, ipm2)
    assert pings(m1, ipm2, "-M", "do", "-s", "1422").returncode == 0
    before = port_drops(h1.vs, "mt1:eth0").get("frag_needed", 0)
    r = pings(m1, ipm2, "-M", "do", "-s", "1423")
    out = r.stdout + r.stderr
    assert r.returncode != 0 and ("Frag needed" in out or "mtu = 1450" in out or
                                  "mtu=1450" in out), out
    assert port_drops(h1.vs, "mt1:eth0").get("frag_needed", 0) == before + 1
    # the underlay's MTU changes: the tunnel follows it, and back
    ul = lambda mtu: sh("ip", "-n", h1.vs.ns, "link", "set", "ul0", "mtu", str(mtu))
    try:
        ul(1400)
        assert wait_for(lambda: "the tunnel carries 1350" in h1.vs.log(), 30), h1.vs.log(tail=20)
        assert pings(m1, ipm2, "-M", "do", "-s", "1322").returncode == 0
        r = pings(m1, ipm2, "-M", "do", "-s", "1323")
        out = r.stdout + r.stderr
        assert r.returncode != 0 and "1350" in out, out
    finally:
        ul(1500)
    assert wait_for(lambda: "the tunnel carries 1450 (was 1350)" in h1.vs.log(), 30)
    # a container without a cached path MTU gets the full 1450 again
    m3, _ = join(h1, net, "mt3")
    assert eventually_pings(m3, ipm2)
    assert pings(m3, ipm2, "-M", "do", "-s", "1422").returncode == 0
    for h, c in ((h1, "mt1"), (h2, "mt2"), (h1, "mt3")):
        vsctl_ok(h.vs, "network", "disconnect", net, c)
    vsctl_ok(h1.vs, "network", "rm", net)


@pytest.mark.parametrize("src, payload, reason", [
    ("kx", dict(flags=0x0c), "vxlan_bad_flags"),
    ("kx", dict(flags=0x00), "vxlan_bad_flags"),
    ("kx", dict(rsvd=1), "vxlan_bad_flags"),
    ("kx", dict(vni=77777), "vxlan_unknown_vni"),
    ("kx", b"\x08\x00\x00", "vxlan_truncated"),
    ("kx", dict(inner=b"\x01\x02\x03"), "vxlan_truncated"),
    ("rogue", {}, "vxlan_unknown_vtep"),
])
def test_dp_bad_vxlan_dropped_and_counted(dpnet, src, payload, reason):
    """KX is a member (vtep add); ROGUE is on the underlay but in no
    network of the cluster: what it sends with the right VNI is refused."""
    h1, ns1, _ = dpnet.ctr["dp1"]
    if isinstance(payload, dict):
        opts = dict(payload)
        payload = vxlan_pkt(opts.pop("vni", dpnet.vni), **opts)
    before = port_drops(h1.vs, "vxlan").get(reason, 0)
    send_udp(dpnet.kx if src == "kx" else dpnet.rogue, h1.vtep, payload)
    assert wait_for(lambda: port_drops(h1.vs, "vxlan").get(reason, 0) == before + 1, 10), \
        port_drops(h1.vs, "vxlan")
    assert h1.vs.running()
    _, _, ip2 = dpnet.ctr["dp2"]
    assert eventually_pings(ns1, ip2)     # the tunnel still works


def test_network_appears_on_every_host(cluster):
    etcd, hosts = cluster
    net = uniq("gn")
    vsctl_ok(hosts[0].vs, "network", "create", "--driver", "overlay", net)
    for h in hosts:
        row = wait_for(lambda: net_row(h.vs, net), timeout=20)
        assert row, f"{net} never appeared on {h.name}"
        assert row["scope"] == "global"
    ins = [vsjson(h.vs, "network", "inspect", net)[0] for h in hosts]
    assert len({i["Id"] for i in ins}) == 1
    # one gateway for the network, the same IP and MAC on every host: a
    # container's ARP entry for it stays right wherever its frames go
    gws = [(i["IPAM"]["Config"][0]["Gateway"], i["GatewayMacAddress"]) for i in ins]
    assert len(set(gws)) == 1 and all(ip and mac for ip, mac in gws), gws
    vni = ins[0]["Options"]["com.docker.network.driver.overlay.vxlanid_list"]
    assert int(vni) >= 4096
    assert {i["Options"]["com.docker.network.driver.overlay.vxlanid_list"] for i in ins} == {vni}
    assert etcd.get(f"/vswitch/v1/vni/{vni}") == net
    # each host is a member, on its lease
    assert wait_for(lambda: etcd.keys(f"/vswitch/v1/networks/{net}/members/") ==
                    {f"/vswitch/v1/networks/{net}/members/{h.name}" for h in hosts},
                    timeout=20), etcd.keys("/vswitch/v1/")
    # a second network gets another VNI; the same name again is refused
    net2 = uniq("gn")
    vsctl_ok(hosts[1].vs, "network", "create", "--scope", "global", "--driver", "overlay", net2)
    vni2 = vsjson(hosts[1].vs, "network", "inspect", net2)[0]["Options"][
        "com.docker.network.driver.overlay.vxlanid_list"]
    assert vni2 != vni
    assert wait_for(lambda: net_row(hosts[2].vs, net2), timeout=20)
    r = hosts[2].vs.vsctl("network", "create", "--driver", "overlay", net2)
    assert r.returncode != 0 and "already exists" in r.stderr
    # rm on one host removes it everywhere
    vsctl_ok(hosts[2].vs, "network", "rm", net2)
    for h in hosts:
        assert wait_for(lambda: net_row(h.vs, net2) is None, timeout=20), h.name
    assert not etcd.keys(f"/vswitch/v1/networks/{net2}")


def test_endpoints_in_etcd_and_peers(cluster):
    etcd, hosts = cluster
    net = uniq("gn")
    vsctl_ok(hosts[0].vs, "network", "create", "--driver", "overlay", "--subnet",
             "10.77.0.0/24", net)
    for h in hosts:
        assert wait_for(lambda: net_row(h.vs, net), timeout=20)
    ips = {}
    for h in hosts:
        r = connect(h, net, f"c{h.name}")
        assert r.returncode == 0, r.stderr
        ips[h.name] = json.loads(r.stdout)["ip"]
    assert len(set(ips.values())) == 3
    want = {f"/vswitch/v1/networks/{net}/endpoints/{h.name}:c{h.name}" for h in hosts}
    assert wait_for(lambda: etcd.keys(f"/vswitch/v1/networks/{net}/endpoints/") == want,
                    timeout=20)
    ep = json.loads(etcd.get(f"/vswitch/v1/networks/{net}/endpoints/h2:ch2"))
    assert ep["host"] == "h2" and ep["vtep"] == hosts[1].vtep and ep["ip"] == ips["h2"]
    assert json.loads(etcd.get(f"/vswitch/v1/networks/{net}/ipam/{ips['h2']}"))["host"] == "h2"
    # each host has the other two hosts' containers and VTEPs in its tables
    for h in hosts:
        assert wait_for(lambda: net_row(h.vs, net)["overlay"]["remotes"] == 2, timeout=20), h.name
        members = {m["host"] for m in net_row(h.vs, net)["overlay"]["members"]}
        assert members == {o.name for o in hosts} - {h.name}
    # names of containers on other hosts answer at this host's gateway
    gw = vsjson(hosts[0].vs, "network", "inspect", net)[0]["IPAM"]["Config"][0]["Gateway"]
    r = nsx(hosts[0].topo.container("ch1"), "dig", "+time=2", "+tries=3", "+short",
            f"@{gw}", "ch3", check=False)
    assert r.stdout.split() == [ips["h3"]], r.stdout + r.stderr
    # a fixed address another host holds is refused on this one
    r = connect(hosts[0], net, "cdup", "--ip", ips["h3"])
    assert r.returncode != 0 and "in use" in r.stderr
    # an external VTEP (a Linux vxlan device) is kept in etcd for every host
    vsctl_ok(hosts[0].vs, "network", "vtep", "add", net, "10.99.0.50")
    assert etcd.keys(f"/vswitch/v1/networks/{net}/vteps/") == {
        f"/vswitch/v1/networks/{net}/vteps/10.99.0.50"}
    for h in hosts:
        assert wait_for(lambda: "10.99.0.50:4789" in
                        {m["vtep"] for m in net_row(h.vs, net)["overlay"]["members"]},
                        timeout=20), h.name
    vsctl_ok(hosts[2].vs, "network", "vtep", "rm", net, "10.99.0.50")
    for h in hosts:
        assert wait_for(lambda: "10.99.0.50:4789" not in
                        {m["vtep"] for m in net_row(h.vs, net)["overlay"]["members"]},
                        timeout=20), h.name
    # rm is refused while other hosts have containers on it
    r = hosts[0].vs.vsctl("network", "rm", net)
    assert r.returncode != 0 and "active endpoints" in r.stderr
    # disconnect: the keys go
    for h in hosts:
        vsctl_ok(h.vs, "network", "disconnect", net, f"c{h.name}")
    assert wait_for(lambda: not etcd.keys(f"/vswitch/v1/networks/{net}/endpoints/") and
                    not etcd.keys(f"/vswitch/v1/networks/{net}/ipam/"), timeout=20)
    vsctl_ok(hosts[0].vs, "network", "rm", net)


def test_concurrent_connects_never_duplicate(cluster):
    etcd, hosts = cluster
    net = uniq("gn")
    vsctl_ok(hosts[0].vs, "network", "create", "--driver", "overlay", "--subnet",
             "10.78.0.0/22", net)
    assert wait_for(lambda: net_row(hosts[1].vs, net), timeout=20)
    got = []
    lock = threading.Lock()

    def one(h, ctr):
        r = connect(h, net, ctr)
        with lock:
            got.append((h.name, ctr, r.returncode, r.stdout, r.stderr))

    for i in range(100):
        for h in hosts[:2]:
            h.topo.container(f"k{i}")
        ts = [threading.Thread(target=one, args=(h, f"k{i}")) for h in hosts[:2]]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
    bad = [g for g in got if g[2] != 0]
    assert not bad, bad[:3]
    ips = [json.loads(g[3])["ip"] for g in got]
    assert len(ips) == 200 and len(set(ips)) == 200
    claims = etcd.keys(f"/vswitch/v1/networks/{net}/ipam/")
    assert len(claims) == 200


def dig(ns, server, name, wait=2):
    """The addresses SERVER answers for NAME, asked from NS: answer lines
    only (dig's ";; ..." complaints mention the server and are not
    answers).  An empty list alone does not prove that the server is up;
    a caller asks a name it must know too."""
    r = nsx(ns, "dig", f"+time={wait}", "+tries=1", "+short", f"@{server}", name, check=False)
    return [l.strip() for l in r.stdout.splitlines() if l.strip() and not l.startswith(";")]


def test_kill9_host_expires_and_rejoins(cluster, dpnet):
    etcd, hosts = cluster
    h1, h2, h3 = hosts
    net = uniq("gn")
    vsctl_ok(h1.vs, "network", "create", "--driver", "overlay", net)
    for h in hosts:
        assert wait_for(lambda: net_row(h.vs, net), timeout=20), h.name
    gw = vsjson(h1.vs, "network", "inspect", net)[0]["IPAM"]["Config"][0]["Gateway"]
    kc, ipc = join(h3, net, "kc")
    kd, ipd = join(h1, net, "kd")
    ke, ipe = join(h2, net, "ke")
    # the hosts that stay, each with a container that asks its gateway, and
    # the other one's name and address, which its gateway must still know
    stay = ((h1, kd, "ke", ipe), (h2, ke, "kd", ipd))
    assert eventually_pings(kd, ipc), h1.vs.log(tail=40)
    key = f"/vswitch/v1/networks/{net}/endpoints/h3:kc"
    assert wait_for(lambda: key in etcd.keys(key), timeout=20)
    for h, ns, _, _ in stay:
        assert wait_for(lambda: net_row(h.vs, net)["overlay"]["remotes"] == 2, timeout=20), \
            (h.name, net_row(h.vs, net)["overlay"])
        assert wait_for(lambda: dig(ns, gw, "kc") == [ipc], timeout=20), h.name

    def h3_gone():
        """h3's keys are gone from etcd, and its container from the
        other hosts' tables (h1 and h2 keep each other's) and DNS."""
        return (key not in etcd.keys(key) and
                "/vswitch/v1/hosts/h3" not in etcd.keys("/vswitch/v1/hosts/") and
                all(net_row(h.vs, net)["overlay"]["remotes"] == 1 and
                    dig(ns, gw, "kc", wait=1) == [] and dig(ns, gw, peer) == [peer_ip]
                    for h, ns, peer, peer_ip in stay))

    killed = time.monotonic()
    h3.vs.stop(kill9=True)
    assert wait_for(h3_gone, timeout=LEASE_WAIT, interval=0.5), \
        ("h3's endpoint outlived its lease", etcd.keys(f"/vswitch/v1/networks/{net}/"),
         [(h.name, net_row(h.vs, net)["overlay"], dig(ns, gw, "kc")) for h, ns, _, _ in stay])
    # within the lease: a bound (the TTL, then the watch's delete reaching
    # the hosts, then this poll), not a measurement
    took = time.monotonic() - killed
    bound = CLUSTER_LEASE_TTL + scaled(LEASE_SLACK)
    assert took <= bound, f"h3's endpoint left the other hosts {took:.1f} s after kill -9 " \
        f"(lease {CLUSTER_LEASE_TTL} s, bound {bound:.0f} s)"
    # h3 left the membership: h1 no longer takes its VTEP's frames (the
    # cluster's membership, not a static list, says who may send)
    assert wait_for(lambda: h3.vtep not in {m["vtep"].split(":")[0] for m in
                                            net_row(h1.vs, dpnet.net)["overlay"]["members"]},
                    timeout=20), net_row(h1.vs, dpnet.net)["overlay"]
    before = port_drops(h1.vs, "vxlan").get("vxlan_unknown_vtep", 0)
    send_udp(h3.vs.ns, h1.vtep, vxlan_pkt(dpnet.vni))
    assert wait_for(lambda: port_drops(h1.vs, "vxlan").get("vxlan_unknown_vtep", 0) ==
                    before + 1, 10), port_drops(h1.vs, "vxlan")
    h3.vs.start()
    assert wait_for(lambda: key in etcd.keys(key), timeout=20), "h3 did not rejoin"
    assert "/vswitch/v1/hosts/h3" in etcd.keys("/vswitch/v1/hosts/")
    # and its containers work across hosts again, both ways, by name too
    assert eventually_pings(kd, ipc), h3.vs.log(tail=40)
    for h, ns, _, _ in stay:
        assert wait_for(lambda: dig(ns, gw, "kc") == [ipc], timeout=20), h.name
    _, ns3, ip3 = dpnet.ctr["dp3"]
    assert eventually_pings(ns3, dpnet.ctr["dp1"][2]), h3.vs.log(tail=40)
    assert eventually_pings(dpnet.ctr["dp2"][1], ip3)


def test_network_removed_while_host_away(cluster):
    etcd, hosts = cluster
    h3 = hosts[2]
    net = uniq("gn")
    vsctl_ok(hosts[0].vs, "network", "create", "--driver", "overlay", net)
    assert wait_for(lambda: net_row(h3.vs, net), timeout=20)
    h3.vs.stop()
    vsctl_ok(hosts[0].vs, "network", "rm", net)
    h3.vs.start()
    # its state file still had the network; the first listing drops it
    assert wait_for(lambda: net_row(h3.vs, net) is None, timeout=20)


def test_etcd_restart_resync(cluster, dpnet):
    etcd, hosts = cluster
    h1, ns1, ip1 = dpnet.ctr["dp1"]
    h2, ns2, ip2 = dpnet.ctr["dp2"]
    assert eventually_pings(ns1, ip2)
    echo = UdpEcho(h1.topo, ns1, ns2, ip2)
    resyncs = {h.name: vsjson(h.vs, "stats")["cluster"]["resyncs"] for h in hosts}
    etcd.stop()
    # etcd away: the hosts keep answering, and a global create, tried again
    # for 15 s, says why not
    r = hosts[0].vs.vsctl("network", "create", "--driver", "overlay", uniq("gn"))
    assert r.returncode != 0 and \
        f"etcd does not answer ({ETCD_IP}:2379: Couldn't connect to server)" in r.stderr, r.stderr
    for h in hosts:
        vsctl_ok(h.vs, "network", "ls")
    # a command sent while etcd is away is sent again until etcd is back
    retries = vsjson(hosts[2].vs, "stats")["cluster"]["counters"]["retries"]
    late = subprocess.Popen(hosts[2].vs.vsctl_argv + ["network", "vtep", "add", dpnet.net,
                                                      "10.99.0.60"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert wait_for(lambda: vsjson(hosts[2].vs, "stats")["cluster"]["counters"][
            "retries"] > retries, timeout=10)
        etcd.start()
        _, err = late.communicate(timeout=scaled(40))
    finally:
        if late.poll() is None:
            late.kill()
            late.wait()
    assert late.returncode == 0, err + hosts[2].vs.log(tail=30)
    assert etcd.get(f"/vswitch/v1/networks/{dpnet.net}/vteps/10.99.0.60"), "not in etcd"
    # `vtep rm` checks the host's mirror, which the watch fills: it may come
    # a moment after the add's answer
    assert wait_for(lambda: "10.99.0.60:4789" in
                    {m["vtep"] for m in net_row(hosts[2].vs, dpnet.net)["overlay"]["members"]},
                    timeout=20)
    vsctl_ok(hosts[2].vs, "network", "vtep", "rm", dpnet.net, "10.99.0.60")
    net = uniq("gn")
    # the watch came back: a network made now reaches every host
    assert wait_for(lambda: hosts[1].vs.vsctl("network", "create", "--driver", "overlay",
                                               net).returncode == 0, timeout=30, interval=0.5)
    for h in hosts:
        assert wait_for(lambda: net_row(h.vs, net), timeout=30), f"{h.name} did not resync"
        st = vsjson(h.vs, "stats")["cluster"]
        assert st["state"] == "watching" and st["resyncs"] > resyncs[h.name], (resyncs, st)
    # the existing containers' traffic went on through the outage and the
    # resync: not one datagram lost
    got = echo.finish()
    assert got["sent"] >= 5 and got["lost"] == 0, got
    assert eventually_pings(ns2, ip1)


class FakeEtcd(http.server.BaseHTTPRequestHandler):
    """A stand-in for etcd's gateway, in one of two modes (class attributes,
    set by the script that serves it):

    "nonsense": every request is answered with something that is not
    etcd's.  "compacted": valid answers (an empty listing at revision 5, a
    lease, puts and txns that succeed), and a watch that says it was
    created, then waits for the file COMPACT to exist and says that its
    revision was compacted, as etcd does when a watch starts below the
    compaction (canceled with compact_revision)."""
    mode = "nonsense"
    compact = None
    replies = [b"not json at all", b"{\"header\":{\"revision\":[1]}}", b"[]",
               b"{\"kvs\":[{\"key\":\"!!!\"}]}", b"{\"ID\":\"x\",\"TTL\":{}}",
               b"{\"result\":{\"events\":[{\"type\":\"EXPLODE\"}]}}\n"]
    n = 0
    HDR = {"header": {"revision": "5"}}
    VALID = {"/v3/lease/grant": dict(HDR, ID="4242", TTL="15"),
             "/v3/lease/keepalive": {"result": dict(HDR, ID="4242", TTL="15")},
             "/v3/kv/txn": dict(HDR, succeeded=True)}

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if FakeEtcd.mode == "compacted" and self.path == "/v3/watch":
            return self._compacted_watch()
        if FakeEtcd.mode == "compacted":
            body = json.dumps(FakeEtcd.VALID.get(self.path, FakeEtcd.HDR)).encode()
        else:
            body = FakeEtcd.replies[FakeEtcd.n % len(FakeEtcd.replies)]
            FakeEtcd.n += 1
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _compacted_watch(self):
        """One line per message, the stream ending when the connection
        closes (HTTP/1.0), as the gateway's watch."""
        self.send_response(200)
        self.end_headers()
        self.wfile.write(json.dumps({"result": dict(FakeEtcd.HDR, created=True)}).encode()
                         + b"\n")
        self.wfile.flush()
        while not os.path.exists(FakeEtcd.compact):
            time.sleep(0.1)
        self.wfile.write(json.dumps({"result": dict(FakeEtcd.HDR, canceled=True,
                                                    compact_revision="5")}).encode() + b"\n")

    def log_message(self, *a):
        pass


def fake_etcd_host(prefix, tmp_path, **mode):
    """Host h1 of PREFIX whose etcd is a FakeEtcd (class attributes MODE)
    on 127.0.0.1:23790 of the host's own namespace, serving; not started."""
    h = Host(prefix, 1, None, url="etcd://127.0.0.1:23790")
    script = tmp_path / "fake.py"
    script.write_text(
        "import http.server, sys\n"
        f"sys.path.insert(0, {os.path.dirname(__file__)!r})\n"
        "from test_multihost import FakeEtcd\n"
        + "".join(f"FakeEtcd.{k} = {v!r}\n" for k, v in mode.items()) +
        "http.server.ThreadingHTTPServer(('127.0.0.1', 23790), FakeEtcd).serve_forever()\n")
    h.topo.spawn(h.vs.ns, "/usr/bin/python3", str(script))
    assert wait_for(lambda: nsx(h.vs.ns, "curl", "-s", "-X", "POST",
                                "http://127.0.0.1:23790/v3/kv/range",
                                check=False).returncode == 0, timeout=10)
    return h


def test_bad_json_from_fake_etcd(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("needs root")
    prefix = topo_mod.new_prefix()
    h = None
    try:
        # the fake listens on the loopback of a namespace the test makes:
        # the daemon's namespace
        h = fake_etcd_host(prefix, tmp_path, mode="nonsense")
        h.vs.start()
        assert wait_for(lambda: "bad reply" in h.vs.log() or "watch on" in h.vs.log(),
                        timeout=20)
        r = h.vs.vsctl("network", "create", "--driver", "overlay", uniq("gn"))
        assert r.returncode != 0 and "etcd" in r.stderr
        assert h.vs.running(), h.vs.log(tail=50)
        st = vsjson(h.vs, "stats")["cluster"]
        assert st["counters"]["bad_replies"] > 0 and st["state"] != "watching", st
        vsctl_ok(h.vs, "network", "ls")
    finally:
        found = _remove_hosts(prefix, [h] if h else [])
    _assert_memcheck_clean(found)


def test_resync_after_compaction(tmp_path):
    """A watch that etcd cancels because its revision was compacted away:
    the host says so, lists and watches again (resyncs goes up)."""
    if os.geteuid() != 0:
        pytest.skip("needs root")
    prefix = topo_mod.new_prefix()
    compact = str(tmp_path / "compact")
    h = None
    try:
        h = fake_etcd_host(prefix, tmp_path, mode="compacted", compact=compact)
        h.vs.start()
        assert wait_for(lambda: vsjson(h.vs, "stats")["cluster"]["state"] == "watching",
                        timeout=20), h.vs.log(tail=30)
        before = vsjson(h.vs, "stats")["cluster"]["resyncs"]
        open(compact, "w").close()
        assert wait_for(lambda: vsjson(h.vs, "stats")["cluster"]["resyncs"] > before,
                        timeout=20), (before, vsjson(h.vs, "stats")["cluster"])
        assert wait_for(lambda: "cluster: revision compacted; listing and watching again" in
                        h.vs.log(), timeout=10), h.vs.log(tail=30)
        st = vsjson(h.vs, "stats")["cluster"]
        assert st["counters"]["bad_replies"] == 0, st
        assert h.vs.running(), h.vs.log(tail=50)
    finally:
        found = _remove_hosts(prefix, [h] if h else [])
    _assert_memcheck_clean(found)


def test_dead_endpoint_first(cluster):
    """--cluster etcd://DEAD,LIVE: what the first endpoint does not answer
    goes to the next; the host registers, watches, and its global commands
    work."""
    etcd, hosts = cluster
    dead = "10.99.0.99"     # on the underlay's subnet, nobody's
    h, found = None, {}
    try:
        h = Host(cluster.prefix, 4, cluster.underlay, url=f"etcd://{dead}:2379,{ETCD_IP}:2379")
        h.vs.start()
        assert wait_for(lambda: "/vswitch/v1/hosts/h4" in etcd.keys("/vswitch/v1/hosts/"),
                        timeout=30), h.vs.log(tail=30)
        assert wait_for(lambda: vsjson(h.vs, "stats")["cluster"]["state"] == "watching",
                        timeout=30), h.vs.log(tail=30)
        net = uniq("gn")
        vsctl_ok(h.vs, "network", "create", "--driver", "overlay", net)
        assert wait_for(lambda: net_row(hosts[0].vs, net), timeout=20)
        vsctl_ok(h.vs, "network", "vtep", "add", net, "10.99.0.62")
        assert etcd.get(f"/vswitch/v1/networks/{net}/vteps/10.99.0.62")
        st = vsjson(h.vs, "stats")["cluster"]
        assert st["etcd"] == f"{ETCD_IP}:2379" and st["counters"]["failovers"] >= 1, st
        assert f"etcd: {dead}:2379 does not answer; trying {ETCD_IP}:2379" in h.vs.log()
        # `vtep rm` checks the mirror, which the watch fills
        assert wait_for(lambda: "10.99.0.62:4789" in
                        {m["vtep"] for m in net_row(h.vs, net)["overlay"]["members"]},
                        timeout=20)
        vsctl_ok(h.vs, "network", "vtep", "rm", net, "10.99.0.62")
        vsctl_ok(h.vs, "network", "rm", net)
    finally:
        # its own namespaces only (prefix + "h4"): the cluster's stay
        found = _remove_hosts(cluster.prefix + "h4", [h] if h else [])
    _assert_memcheck_clean(found)


def test_deferred_replies_keep_order(cluster):
    """A connect to a global network waits for etcd: the request after it on
    the same connection is answered after it, and a client that hangs up
    before the answer does not disturb the daemon."""
    import socket
    etcd, hosts = cluster
    h1 = hosts[0]
    net = uniq("gn")
    vsctl_ok(h1.vs, "network", "create", "--driver", "overlay", net)
    ns_a, ns_b = h1.topo.container("qa"), h1.topo.container("qb")
    reqs = [{"cmd": "network.connect", "args": {"network": net, "container": "qa",
                                                 "netns": ns_a}},
            {"cmd": "network.ls", "args": {}}]
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(scaled(30))
        s.connect(h1.vs.sock)
        s.sendall("".join(json.dumps(r) + "\n" for r in reqs).encode())
        buf = b""
        while buf.count(b"\n") < 2:
            chunk = s.recv(65536)
            assert chunk, "the daemon closed the connection"
            buf += chunk
    first, second = [json.loads(l) for l in buf.split(b"\n")[:2]]
    assert first["ok"] and first["result"]["ip"], first
    assert second["ok"] and isinstance(second["result"], list), second
    # hang up before the deferred reply: the connect still happens
    with socket.socket(socket.AF_UNIX) as s:
        s.connect(h1.vs.sock)
        s.sendall((json.dumps({"cmd": "network.connect", "args": {
            "network": net, "container": "qb", "netns": ns_b}}) + "\n").encode())
    key = f"/vswitch/v1/networks/{net}/endpoints/h1:qb"
    assert wait_for(lambda: key in etcd.keys(key), timeout=20)
    assert h1.vs.running()
    for c in ("qa", "qb"):
        vsctl_ok(h1.vs, "network", "disconnect", net, c)


# libcurl is --cluster's alone (issue 19, src/curl_dl.c): vswitchd does not
# link it but dlopen()s "libcurl.so.4" when --cluster is given.  A
# directory first on LD_LIBRARY_PATH with a stand-in of that name makes the
# load fail: an empty file (no library at all) or another real library (no
# curl functions in it).  Nothing on the machine is changed.

def fake_libcurl_dir(tmp_path, kind):
    """A directory whose libcurl.so.4 is not libcurl (KIND: empty, not-curl)."""
    import ctypes
    d = tmp_path / "fakelib"
    d.mkdir()
    if kind == "empty":
        (d / "libcurl.so.4").write_bytes(b"")
        return str(d)
    # libz, of this machine's own architecture: the one this python mapped
    ctypes.CDLL("libz.so.1")
    with open("/proc/self/maps") as f:
        libz = next(l.split()[-1] for l in f if "/libz.so.1" in l)
    os.symlink(libz, d / "libcurl.so.4")
    return str(d)


@pytest.mark.parametrize("kind, why", [("empty", "file too short"),
                                       ("not-curl", "undefined symbol: curl_")])
def test_cluster_without_libcurl_refuses_to_start(tmp_path, kind, why):
    """With --cluster and no usable libcurl, vswitchd stops at once with
    one line that says so and why (dlerror()), before it makes anything."""
    if os.geteuid() != 0:
        pytest.skip("needs root (network namespaces)")
    libdir = fake_libcurl_dir(tmp_path, kind)
    prefix = topo_mod.new_prefix()
    h = None
    try:
        h = Host(prefix, 1, None)
        r = subprocess.run(["ip", "netns", "exec", h.vs.ns, *h.vs.argv()],
                           env=dict(os.environ, LD_LIBRARY_PATH=libdir),
                           capture_output=True, text=True, timeout=scaled(30),
                           stdin=subprocess.DEVNULL)
        lines = r.stderr.splitlines()
        assert r.returncode != 0 and len(lines) == 1, (r.returncode, r.stderr)
        assert lines[0].startswith("vswitchd: --cluster needs libcurl (libcurl.so.4): "), lines
        assert why in lines[0], lines
        assert not os.path.exists(h.vs.sock)    # refused before the control socket
    finally:
        found = _remove_hosts(prefix, [h] if h else [])
    _assert_memcheck_clean(found)


def test_cluster_endpoint_not_ip_refused():
    """--cluster with a name among its endpoints: vswitchd stops at once
    with one line that names it (names are not resolved)."""
    if os.geteuid() != 0:
        pytest.skip("needs root (network namespaces)")
    prefix = topo_mod.new_prefix()
    h = None
    try:
        h = Host(prefix, 1, None, url=f"{ETCD_URL},etcd2:2379")
        r = subprocess.run(["ip", "netns", "exec", h.vs.ns, *h.vs.argv()],
                           capture_output=True, text=True, timeout=scaled(30),
                           stdin=subprocess.DEVNULL)
        lines = r.stderr.splitlines()
        assert r.returncode != 0 and len(lines) == 1, (r.returncode, r.stderr)
        assert '"etcd2:2379" is not IP:PORT' in lines[0], lines
    finally:
        found = _remove_hosts(prefix, [h] if h else [])
    _assert_memcheck_clean(found)


def test_libcurl_mapped_only_with_cluster(cluster, vswitchd, tmp_path):
    """A host of the cluster has libcurl mapped; a vswitchd without
    --cluster neither maps it nor needs it to start (an unusable
    libcurl.so.4 first on LD_LIBRARY_PATH does not stop it)."""
    def maps(pid):
        with open(f"/proc/{pid}/maps") as f:
            return f.read()
    _, hosts = cluster
    assert "/libcurl.so.4" in maps(hosts[0].vs.pid)
    assert "libcurl" not in maps(vswitchd.pid)
    r = subprocess.run([topo_mod.find_binary("vswitchd"), "--version"],
                       env=dict(os.environ, LD_LIBRARY_PATH=fake_libcurl_dir(tmp_path, "empty")),
                       capture_output=True, text=True, timeout=scaled(30))
    assert r.returncode == 0, r.stderr
