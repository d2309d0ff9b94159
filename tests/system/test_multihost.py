"""test_multihost.py - the cluster's control plane: three vswitchd "hosts"
and one etcd on an underlay of test namespaces (issue 18).

The underlay is a Linux bridge in namespace PREFIX+"u" (10.99.0.0/24);
etcd runs in PREFIX+"etcd" at 10.99.0.1:2379 with its data directory in a
temporary directory, and each host is a vswitchd in its own namespace at
10.99.0.1N.  Everything is removed at the end (namespaces by prefix, etcd
and the daemons by PID), also on failure.  Nothing is timed: every wait
polls for a state with wait_for and a generous bound (the lease is 15 s).

What is checked here is the store: networks created on one host appear on
the others, addresses are never handed out twice (also by two hosts at the
same moment), endpoints come and go with their host's lease, every host
resyncs after etcd restarts, and nonsense from a fake etcd is counted, not
fatal.  The data path across hosts is test_vxlan.py's.
"""
import json
import os
import shutil
import subprocess
import tempfile
import threading
import http.server

import pytest

import topo as topo_mod
from vsutil import nsx, scaled, sh, uniq, vsctl_ok, vsjson, wait_for

ETCD_IP = "10.99.0.1"
ETCD_URL = f"etcd://{ETCD_IP}:2379"
LEASE_WAIT = 45     # the lease is 15 s; a bound, not a measurement

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
    """etcd in namespace NS, data in a temporary directory, stopped by PID."""

    def __init__(self, ns):
        self.ns = ns
        self.dir = tempfile.mkdtemp(prefix="vt-etcd-")
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

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)


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
        if self.vs.proc is not None:
            self.vs.stop(kill9=False)
        self.topo.teardown()
        if not os.environ.get("VS_KEEP_TMP"):
            self.vs.cleanup()


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
        yield etcd, hosts
        for h in hosts:
            if h.vs.proc is not None:
                assert h.vs.proc.poll() is None, f"{h.name}: vswitchd died\n{h.vs.log(tail=80)}"
    finally:
        for h in hosts:
            h.teardown()
        etcd.stop()
        etcd.cleanup()
        for ns in topo_mod.netns_list():
            if ns.startswith(prefix):
                sh("ip", "netns", "del", ns, check=False)


def net_row(vs, name):
    for n in vsjson(vs, "network", "ls"):
        if n.get("name") == name:
            return n
    return None


def connect(h, net, ctr, *opts):
    ns = h.topo.container(ctr)
    r = h.vs.vsctl("--format", "raw", "network", "connect", "--netns", ns, *opts, net, ctr)
    return r


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
    # a fixed address another host holds is refused on this one
    r = connect(hosts[0], net, "cdup", "--ip", ips["h3"])
    assert r.returncode != 0 and "in use" in r.stderr
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


def test_kill9_host_expires_and_rejoins(cluster):
    etcd, hosts = cluster
    h3 = hosts[2]
    net = uniq("gn")
    vsctl_ok(hosts[0].vs, "network", "create", "--driver", "overlay", net)
    assert wait_for(lambda: net_row(h3.vs, net), timeout=20)
    assert connect(h3, net, "kc").returncode == 0
    key = f"/vswitch/v1/networks/{net}/endpoints/h3:kc"
    assert wait_for(lambda: key in etcd.keys(key), timeout=20)
    h3.vs.stop(kill9=True)
    assert wait_for(lambda: key not in etcd.keys(key) and
                    "/vswitch/v1/hosts/h3" not in etcd.keys("/vswitch/v1/hosts/"),
                    timeout=LEASE_WAIT, interval=0.5), "h3's keys outlived its lease"
    h3.vs.start()
    assert wait_for(lambda: key in etcd.keys(key), timeout=20), "h3 did not rejoin"
    assert "/vswitch/v1/hosts/h3" in etcd.keys("/vswitch/v1/hosts/")


def test_etcd_restart_resync(cluster):
    etcd, hosts = cluster
    etcd.stop()
    # etcd away: the hosts keep answering, and a global create says why not
    r = hosts[0].vs.vsctl("network", "create", "--driver", "overlay", uniq("gn"))
    assert r.returncode != 0 and "etcd" in r.stderr
    for h in hosts:
        vsctl_ok(h.vs, "network", "ls")
    etcd.start()
    net = uniq("gn")
    # the watch came back: a network made now reaches every host
    assert wait_for(lambda: hosts[1].vs.vsctl("network", "create", "--driver", "overlay",
                                               net).returncode == 0, timeout=30, interval=0.5)
    for h in hosts:
        assert wait_for(lambda: net_row(h.vs, net), timeout=30), f"{h.name} did not resync"


class FakeEtcd(http.server.BaseHTTPRequestHandler):
    """Answers every gateway request with something that is not etcd's."""
    replies = [b"not json at all", b"{\"header\":{\"revision\":[1]}}", b"[]",
               b"{\"kvs\":[{\"key\":\"!!!\"}]}", b"{\"ID\":\"x\",\"TTL\":{}}",
               b"{\"result\":{\"events\":[{\"type\":\"EXPLODE\"}]}}\n"]
    n = 0

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        body = FakeEtcd.replies[FakeEtcd.n % len(FakeEtcd.replies)]
        FakeEtcd.n += 1
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass


def test_bad_json_from_fake_etcd(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("needs root")
    prefix = topo_mod.new_prefix()
    h = None
    server = None
    try:
        # the fake listens on the host's own loopback of a namespace the
        # test makes: the daemon's namespace
        h = Host(prefix, 1, None, url="etcd://127.0.0.1:23790")
        script = tmp_path / "fake.py"
        script.write_text(
            "import http.server, sys\n"
            f"sys.path.insert(0, {os.path.dirname(__file__)!r})\n"
            "from test_multihost import FakeEtcd\n"
            "http.server.ThreadingHTTPServer(('127.0.0.1', 23790), FakeEtcd).serve_forever()\n")
        server = h.topo.spawn(h.vs.ns, "/usr/bin/python3", str(script))
        assert wait_for(lambda: nsx(h.vs.ns, "curl", "-s", "-X", "POST",
                                    "http://127.0.0.1:23790/v3/kv/range",
                                    check=False).returncode == 0, timeout=10)
        h.vs.start()
        assert wait_for(lambda: "bad reply" in h.vs.log() or "watch on" in h.vs.log(),
                        timeout=20)
        r = h.vs.vsctl("network", "create", "--driver", "overlay", uniq("gn"))
        assert r.returncode != 0 and "etcd" in r.stderr
        assert h.vs.running(), h.vs.log(tail=50)
        vsctl_ok(h.vs, "network", "ls")
    finally:
        if h:
            h.teardown()
        for ns in topo_mod.netns_list():
            if ns.startswith(prefix):
                sh("ip", "netns", "del", ns, check=False)
