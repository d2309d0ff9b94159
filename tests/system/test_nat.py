"""test_nat.py - the uplink, NAT, conntrack and published ports, end to end.

Topology (every name with a test-unique prefix, all removed afterwards):

    container c1 ──┐                          outside
    container c2 ──┤ vswitchd (own netns) ── up0 ═ veth ═ router ── web
    internal  ci ──┘  uplink 198.51.100.1/24     .254  203.0.113.1  .10

The router is a real second hop: the web host is not on the uplink segment.
The web host runs python3 -m http.server, iperf3 -s and a UDP echo.
vswitchd runs with --uplink afpacket:up0 (its end of the veth).

The module starts vswitchd itself because it must exist with its uplink
interface already in place; binaries come from $VSWITCHD/$VSCTL or the
first build*/src/ directory that has them.  Every wait polls against a
deadline (functional bound, not a benchmark).  Under VSW_VALGRIND=1 the
daemon runs under memcheck as the conftest fixture's does, and the module
fails at teardown if memcheck reported anything (topo.valgrind_argv).
"""
import glob
import json
import os
import random
import signal
import subprocess
import tempfile

import pytest
import topo
from vsutil import VALGRIND, scaled, sh, nsx, wait_for, csum_errors

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
UPLINK_IP = "198.51.100.1"
ROUTER_UP = "198.51.100.254"
ROUTER_WEB = "203.0.113.1"
WEB = "203.0.113.10"

UDP_ECHO = r"""
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", int(sys.argv[1])))
while True:
    d, a = s.recvfrom(65535)
    s.sendto(d, a)
"""


def binary(name):
    env = os.environ.get(name.upper())
    if env:
        return env
    for d in sorted(glob.glob(os.path.join(ROOT, "build*", "src"))) + [os.path.join(ROOT, "src")]:
        p = os.path.join(d, name)
        if os.access(p, os.X_OK):
            return p
    pytest.skip(f"{name} not built")


class Lab:
    """Namespaces, processes and the daemon of one test module."""

    def __init__(self):
        # Not from `random`'s state, which test_hardening.py seeds: see
        # topo.new_prefix().
        self.p = f"t{random.SystemRandom().randrange(16**4):04x}"
        self.ns = {k: f"{self.p}{k}" for k in ("v", "r", "w", "c1", "c2", "c3", "ci")}
        self.procs = []
        self.tmp = tempfile.mkdtemp(prefix=f"{self.p}-")
        self.sock = os.path.join(self.tmp, "vswitchd.sock")
        self.state = os.path.join(self.tmp, "state")
        self.daemon = None
        self.net = f"{self.p}n"
        self.inet = f"{self.p}i"

    # --- plumbing ---
    def build(self):
        for ns in self.ns.values():
            sh("ip", "netns", "add", ns)
            nsx(ns, "ip", "link", "set", "lo", "up")
        v, r, w = self.ns["v"], self.ns["r"], self.ns["w"]
        sh("ip", "link", "add", f"{self.p}a", "netns", v, "type", "veth",
           "peer", "name", f"{self.p}b", "netns", r)
        nsx(v, "ip", "link", "set", f"{self.p}a", "name", "up0")
        nsx(v, "ip", "link", "set", "up0", "up")
        # Offloads stay on, as on a real host: the router hands the uplink
        # TSO frames with partial checksums, which must cross whole to
        # containers with offloads and be cut for the one without (c3).
        nsx(v, "ethtool", "-K", "up0", "tx", "on", "tso", "on")
        nsx(r, "ip", "addr", "add", f"{ROUTER_UP}/24", "dev", f"{self.p}b")
        nsx(r, "ip", "link", "set", f"{self.p}b", "up")
        nsx(r, "ethtool", "-K", f"{self.p}b", "tx", "on", "tso", "on")
        sh("ip", "link", "add", f"{self.p}c", "netns", r, "type", "veth",
           "peer", "name", f"{self.p}d", "netns", w)
        nsx(r, "ip", "addr", "add", f"{ROUTER_WEB}/24", "dev", f"{self.p}c")
        nsx(r, "ip", "link", "set", f"{self.p}c", "up")
        nsx(w, "ip", "addr", "add", f"{WEB}/24", "dev", f"{self.p}d")
        nsx(w, "ip", "link", "set", f"{self.p}d", "up")
        nsx(w, "ip", "route", "add", "default", "via", ROUTER_WEB)
        nsx(r, "sysctl", "-qw", "net.ipv4.ip_forward=1")
        # the router reaches the switch's published ports: on-link, no route
        self.spawn(w, "python3", "-m", "http.server", "-b", WEB, "8000",
                   log="web_http.log", cwd=self.tmp)
        self.spawn(w, "iperf3", "-s", "-B", WEB, log="web_iperf.log")
        self.spawn(w, "/usr/bin/python3", "-c", UDP_ECHO, "7777", log="web_udp.log")

    def spawn(self, ns, *cmd, log=None, cwd=None):
        out = open(os.path.join(self.tmp, log), "a") if log else subprocess.DEVNULL
        p = subprocess.Popen(["ip", "netns", "exec", ns, *cmd], stdout=out,
                             stderr=subprocess.STDOUT, cwd=cwd)
        self.procs.append(p)
        return p

    def log(self, name):
        try:
            with open(os.path.join(self.tmp, name)) as f:
                return f.read()
        except OSError:
            return ""

    def start_daemon(self):
        vg = topo.valgrind_argv(self.tmp) if VALGRIND else []
        self.daemon = self.spawn(
            self.ns["v"], *vg, binary("vswitchd"), "--state-dir", self.state,
            "--socket", self.sock, "--uplink", "afpacket:up0",
            "--uplink-ip", f"{UPLINK_IP}/24", "--uplink-gateway", ROUTER_UP,
            "--log-level", "info", log="vswitchd.log")
        assert wait_for(lambda: os.path.exists(self.sock) and
                        self.vsctl("show").returncode == 0, 10), self.log("vswitchd.log")

    def kill9_restart(self):
        self.daemon.send_signal(signal.SIGKILL)
        self.daemon.wait(10)
        self.procs.remove(self.daemon)
        if os.path.exists(self.sock):
            os.unlink(self.sock)
        self.start_daemon()

    def vsctl(self, *args):
        return sh(binary("vsctl"), "--socket", self.sock, *args, check=False)

    def ok(self, *args):
        r = self.vsctl(*args)
        assert r.returncode == 0, f"vsctl {' '.join(args)}: {r.stderr.strip()}"
        return r.stdout

    def js(self, *args):
        return json.loads(self.ok("--format", "json", *args))

    def stop_daemon(self):
        """SIGTERM the daemon; what went wrong with it (memcheck included)."""
        rc = topo.stop_process(self.daemon)
        self.procs.remove(self.daemon)
        problems = [] if rc == 0 or (VALGRIND and rc == topo.VALGRIND_EXIT) else \
            [f"vswitchd exited with status {rc} on SIGTERM"]
        found = topo.judge_valgrind(self.tmp) if VALGRIND else []
        if found:
            problems.append("valgrind memcheck reported in vswitchd: " + ", ".join(found) +
                            "\n" + "\n".join(t for _, t in topo.valgrind_errors(self.tmp)))
        return problems

    def teardown(self):
        for p in reversed(self.procs):
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(scaled(5))
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait(5)
        for ns in self.ns.values():
            sh("ip", "netns", "del", ns, check=False)
        # resolv.conf files vswitchd wrote for the containers (DNS network)
        for d in glob.glob(f"/etc/netns/{self.p}*"):
            sh("rm", "-rf", d, check=False)
        sh("rm", "-rf", self.tmp, check=False)


@pytest.fixture(scope="module")
def lab():
    if os.geteuid() != 0:
        pytest.skip("needs root for namespaces")
    lab = Lab()
    try:
        lab.build()
        lab.start_daemon()
        lab.ok("network", "create", "--subnet", "10.77.0.0/24", lab.net)
        lab.ok("network", "create", "--subnet", "10.78.0.0/24", "--internal", lab.inet)
        for c in ("c1", "c2"):
            lab.ok("network", "connect", "--netns", lab.ns[c], lab.net, c)
        lab.ok("network", "connect", "--netns", lab.ns["ci"], lab.inet, "ci")
        # a web server in c1 whose log shows its clients
        lab.spawn(lab.ns["c1"], "python3", "-m", "http.server", "80",
                  log="c1_http.log", cwd=lab.tmp)
        lab.spawn(lab.ns["c1"], "/usr/bin/python3", "-c", UDP_ECHO, "5353",
                  log="c1_udp.log")
        lab.spawn(lab.ns["c2"], "iperf3", "-s", log="c2_iperf.log")
        # c3 has offloads off: the switch segments and finishes for it
        lab.ok("network", "connect", "--no-offload", "--netns", lab.ns["c3"], lab.net, "c3")
        lab.spawn(lab.ns["c3"], "iperf3", "-s", log="c3_iperf.log")
        assert wait_for(lambda: nsx(lab.ns["c1"], "ss", "-ltn").stdout.count(":80 ") > 0, 10)
        yield lab
        problems = lab.stop_daemon()
        if problems:
            pytest.fail("; ".join(problems) + "\n" + lab.log("vswitchd.log")[-20000:],
                        pytrace=False)
    finally:
        lab.teardown()


def curl(ns, url, timeout=10):
    return nsx(ns, "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
               "--max-time", str(timeout), url, check=False, timeout=timeout + 5)


def c_ip(lab, c):
    for e in lab.js("container", "ls"):
        if e["name"] == c:
            return e["endpoints"][0]["ip"].split("/")[0]
    raise AssertionError(f"no container {c}")


def udp_roundtrip(ns, host, port, payload="hello"):
    code = (f"import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM);"
            f"s.settimeout(3); s.connect(({host!r}, {port}));"
            f"s.send(b{payload!r});\n"
            f"try:\n print(s.recv(100).decode())\n"
            f"except ConnectionRefusedError:\n print('ECONNREFUSED')\n"
            f"except socket.timeout:\n print('TIMEOUT')")
    return nsx(ns, "/usr/bin/python3", "-c", code, check=False).stdout.strip()


def test_egress_snat_source_is_uplink(lab):
    assert wait_for(lambda: curl(lab.ns["c1"], f"http://{WEB}:8000/").stdout == "200", 15)
    assert f"{UPLINK_IP} - -" in lab.log("web_http.log")


def test_ping_and_udp_through_nat(lab):
    assert nsx(lab.ns["c1"], "ping", "-c", "2", "-W", "2", WEB, check=False).returncode == 0
    assert udp_roundtrip(lab.ns["c1"], WEB, 7777) == "hello"


def test_udp_closed_port_is_refused(lab):
    # the web host's kernel answers port unreachable; the switch translates it
    assert udp_roundtrip(lab.ns["c1"], WEB, 7778) == "ECONNREFUSED"


def test_conntrack_ls_shows_tuples(lab):
    curl(lab.ns["c1"], f"http://{WEB}:8000/")
    lines = [e["text"] for e in lab.js("conntrack", "ls")]
    ip1 = c_ip(lab, "c1")
    assert any(l.startswith("tcp      6 ") and f"src={ip1} dst={WEB}" in l and
               f"src={WEB} dst={UPLINK_IP}" in l and f"zone={lab.net}" in l
               for l in lines), lines
    assert lab.js("conntrack", "stats")["entries"] >= 1


def test_publish_dnat_keeps_client_address(lab):
    out = lab.js("port", "publish", "c1", "8080:80")
    assert out[0]["text"] == "80/tcp -> 0.0.0.0:8080"
    assert "80/tcp -> 0.0.0.0:8080" in lab.ok("port", "ls", "c1")
    assert wait_for(lambda: curl(lab.ns["w"], f"http://{UPLINK_IP}:8080/").stdout == "200", 15)
    assert f"{WEB} - -" in lab.log("c1_http.log")


def test_publish_proxy_on_host_loopback(lab):
    # vswitchd's own namespace: the userspace proxy
    assert wait_for(lambda: curl(lab.ns["v"], "http://127.0.0.1:8080/").stdout == "200", 15)


def test_publish_port_in_use_refused(lab):
    r = lab.vsctl("port", "publish", "c2", "8080:80")
    assert r.returncode == 1 and "vsctl: error:" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_publish_random_port_and_udp(lab):
    out = lab.js("port", "publish", "c1", "5353/udp", "80")
    ports = [m["host_port"] for m in out]
    assert all(32768 <= p <= 60999 for p in ports)
    assert udp_roundtrip(lab.ns["w"], UPLINK_IP, ports[0], "ping") == "ping"
    assert curl(lab.ns["w"], f"http://{UPLINK_IP}:{ports[1]}/").stdout == "200"
    lab.ok("port", "unpublish", "c1", "5353/udp", f"{ports[1]}:80")


def test_publish_range(lab):
    lab.ok("port", "publish", "c1", "9000-9002:80-82")
    assert "80-82/tcp -> 0.0.0.0:9000-9002" in lab.ok("port", "ls", "c1")
    assert curl(lab.ns["w"], f"http://{UPLINK_IP}:9000/").stdout == "200"
    lab.ok("port", "unpublish", "c1", "9000-9002:80-82")


def test_unpublish_while_traffic_flows(lab):
    lab.ok("port", "publish", "c1", "8081:80")
    assert curl(lab.ns["w"], f"http://{UPLINK_IP}:8081/").stdout == "200"
    lab.ok("port", "unpublish", "c1", "8081:80")
    assert curl(lab.ns["w"], f"http://{UPLINK_IP}:8081/", timeout=3).stdout != "200"
    lab.ok("port", "publish", "c1", "8081:80")
    assert curl(lab.ns["w"], f"http://{UPLINK_IP}:8081/").stdout == "200"
    lab.ok("port", "unpublish", "c1", "8081:80")


def test_hairpin(lab):
    assert wait_for(lambda: curl(lab.ns["c2"], f"http://{UPLINK_IP}:8080/").stdout == "200", 10)
    assert f"{UPLINK_IP} - -" in lab.log("c1_http.log")


def test_internal_network_has_no_egress(lab):
    assert nsx(lab.ns["ci"], "ping", "-c", "1", "-W", "2", WEB, check=False).returncode != 0
    r = lab.vsctl("port", "publish", "ci", "8090:80")
    assert r.returncode == 1


def test_300_short_connections(lab):
    script = (f"import urllib.request\nok=0\n"
              f"for i in range(300):\n"
              f" ok += urllib.request.urlopen('http://{WEB}:8000/', timeout=5).status == 200\n"
              f"print(ok)")
    assert nsx(lab.ns["c1"], "/usr/bin/python3", "-c", script, timeout=180).stdout.strip() == "300"


def iperf_bytes(ns, host, *opts, port=5201):
    r = nsx(ns, "iperf3", "-c", host, "-p", str(port), "-t", "2", "-J", *opts,
            check=False, timeout=30)
    assert r.returncode == 0, r.stdout[-500:] + r.stderr
    return json.loads(r.stdout)["end"]["sum_received"]["bytes"]


def port_of(lab, name):
    return next(p for p in lab.js("stats")["ports"] if p["name"] == name)


def test_iperf3_through_nat(lab):
    assert iperf_bytes(lab.ns["c1"], WEB, "-t", "3") > 0


@pytest.mark.parametrize("ctr", ["c1", "c3"], ids=["offload", "no-offload"])
def test_iperf3_both_ways_through_nat(lab, ctr):
    """Upload and download through SNAT, with offloads on and off: the
    outside's TSO frames reach c1 whole and c3 cut, checksums good."""
    before = port_of(lab, f"{ctr}:eth0")
    assert iperf_bytes(lab.ns[ctr], WEB) > 0
    assert iperf_bytes(lab.ns[ctr], WEB, "-R") > 0
    after = port_of(lab, f"{ctr}:eth0")
    assert csum_errors(lab.ns[ctr]) == 0 and csum_errors(lab.ns["w"]) == 0
    if ctr == "c1":
        assert after["tx_gso"] > before["tx_gso"], "no GSO frame reached c1 whole"
    else:
        assert after["sw_segments"] > before["sw_segments"], "nothing was cut for c3"
        assert after["tx_gso"] == 0
    assert port_of(lab, "uplink")["rx_gso"] > 0


def test_iperf3_to_published_port_without_offload(lab):
    lab.ok("port", "publish", "c3", "5203:5201")
    try:
        assert iperf_bytes(lab.ns["w"], UPLINK_IP, port=5203) > 0
        assert iperf_bytes(lab.ns["w"], UPLINK_IP, "-R", port=5203) > 0
        assert csum_errors(lab.ns["c3"]) == 0 and csum_errors(lab.ns["w"]) == 0
    finally:
        lab.ok("port", "unpublish", "c3", "5203:5201")


def test_kill9_restart_keeps_published_and_egress(lab):
    lab.kill9_restart()
    assert "80/tcp -> 0.0.0.0:8080" in lab.ok("port", "ls", "c1")
    assert wait_for(lambda: curl(lab.ns["w"], f"http://{UPLINK_IP}:8080/").stdout == "200", 15)
    assert wait_for(lambda: curl(lab.ns["c1"], f"http://{WEB}:8000/").stdout == "200", 15)
