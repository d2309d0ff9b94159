"""test_nat.py - the uplink, NAT, conntrack and published ports, end to end.

Topology (every name with the module's prefix, all removed afterwards):

    container c1 ──┐                          outside
    container c2 ──┤ vswitchd (own netns) ── up0 ═ veth ═ router ── web
    container c3 ──┤  uplink 198.51.100.1/24     .254  203.0.113.1  .10
    internal  ci ──┘

The router is a real second hop: the web host is not on the uplink segment.
The web host runs python3 -m http.server, iperf3 -s and a UDP echo.
vswitchd runs with --uplink afpacket:up0 (its end of the veth).

The tests build on one another (a port one publishes, the next uses; the
last restarts the daemon with kill -9), so the module shares one world:
conftest.py's module_topo and module_vswitchd, with the uplink marker.
The outside host the fixture makes is the router here: prepare_vswitchd()
puts the web host behind it and turns offloads back on before the daemon
starts; the `lab` fixture adds the networks and containers.  Teardown,
valgrind's verdict (VSW_VALGRIND=1) and the log on failure are the shared
fixtures'.  Every wait polls against a deadline (functional bound, not a
benchmark).
"""
import json
import os
import subprocess
import types

import pytest
import topo
from vsutil import nsx, scaled, wait_for, csum_errors, vsctl_ok, vsjson

UPLINK_IP = topo.UPLINK_IP
ROUTER_UP = topo.OUTSIDE_IP
ROUTER_WEB = "203.0.113.1"
WEB = "203.0.113.10"

pytestmark = [pytest.mark.uplink, pytest.mark.vswitchd_args("--log-level", "info")]

UDP_ECHO = r"""
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", int(sys.argv[1])))
while True:
    d, a = s.recvfrom(65535)
    s.sendto(d, a)
"""


def spawn(t, vs, ns, *cmd, log):
    """CMD in NS in the background, its output in LOG under the daemon's
    temporary directory (read with log()); the topology ends it."""
    with open(os.path.join(vs.tmp, log), "a") as out:
        return t.spawn(ns, *cmd, stdout=out, stderr=subprocess.STDOUT, cwd=vs.tmp)


def prepare_vswitchd(t, vs):
    """Called by module_vswitchd before the daemon starts: the outside host
    becomes the router, the web host goes behind it."""
    r, rdev = t.outside[0], t.prefix + "ub"
    w = t.add_netns(t.prefix + "w")
    # Offloads on, as on a real host (add_outside turned tx off): the
    # router hands the uplink TSO frames with partial checksums, which must
    # cross whole to containers with offloads and be cut for the one
    # without (c3).
    nsx(vs.ns, "ethtool", "-K", "up0", "tx", "on", "tso", "on")
    nsx(r, "ethtool", "-K", rdev, "tx", "on", "tso", "on")
    c, d = t.prefix + "c", t.prefix + "d"
    topo.sh("ip", "link", "add", c, "netns", r, "type", "veth", "peer", "name", d, "netns", w)
    nsx(r, "ip", "addr", "add", f"{ROUTER_WEB}/24", "dev", c)
    nsx(r, "ip", "link", "set", c, "up")
    nsx(w, "ip", "addr", "add", f"{WEB}/24", "dev", d)
    nsx(w, "ip", "link", "set", d, "up")
    nsx(w, "ip", "route", "add", "default", "via", ROUTER_WEB)
    nsx(r, "sysctl", "-qw", "net.ipv4.ip_forward=1")
    # the router reaches the switch's published ports: on-link, no route
    spawn(t, vs, w, "python3", "-m", "http.server", "-b", WEB, "8000", log="web_http.log")
    spawn(t, vs, w, "iperf3", "-s", "-B", WEB, log="web_iperf.log")
    spawn(t, vs, w, "/usr/bin/python3", "-c", UDP_ECHO, "7777", log="web_udp.log")


@pytest.fixture(scope="module")
def lab(module_topo, module_vswitchd):
    """The module's world: namespaces by role (v: the switch, r: router,
    w: web, c1-c3 and ci: containers), its networks, the daemon."""
    t, vs = module_topo, module_vswitchd
    lab = types.SimpleNamespace(
        topo=t, vs=vs, net=f"{t.prefix}n", inet=f"{t.prefix}i",
        ns={"v": vs.ns, "r": t.outside[0], "w": t.prefix + "w"})
    for c in ("c1", "c2", "c3", "ci"):
        lab.ns[c] = t.container(c)
    ok(lab, "network", "create", "--subnet", "10.77.0.0/24", lab.net)
    ok(lab, "network", "create", "--subnet", "10.78.0.0/24", "--internal", lab.inet)
    for c in ("c1", "c2"):
        ok(lab, "network", "connect", "--netns", lab.ns[c], lab.net, c)
    ok(lab, "network", "connect", "--netns", lab.ns["ci"], lab.inet, "ci")
    # a web server in c1 whose log shows its clients
    spawn(t, vs, lab.ns["c1"], "python3", "-m", "http.server", "80", log="c1_http.log")
    spawn(t, vs, lab.ns["c1"], "/usr/bin/python3", "-c", UDP_ECHO, "5353", log="c1_udp.log")
    spawn(t, vs, lab.ns["c2"], "iperf3", "-s", log="c2_iperf.log")
    # c3 has offloads off: the switch segments and finishes for it
    ok(lab, "network", "connect", "--no-offload", "--netns", lab.ns["c3"], lab.net, "c3")
    spawn(t, vs, lab.ns["c3"], "iperf3", "-s", log="c3_iperf.log")
    assert wait_for(lambda: nsx(lab.ns["c1"], "ss", "-ltn").stdout.count(":80 ") > 0, 10)
    return lab


def ok(lab, *args):
    """vsctl ARGS, which must succeed; its standard output."""
    return vsctl_ok(lab.vs, *args).stdout


def js(lab, *args):
    return vsjson(lab.vs, *args)


def log(lab, name):
    """The output so far of a process spawn() started with LOG=NAME."""
    try:
        with open(os.path.join(lab.vs.tmp, name)) as f:
            return f.read()
    except OSError:
        return ""


def curl(ns, url, timeout=10):
    return nsx(ns, "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
               "--max-time", str(timeout), url, check=False, timeout=timeout + 5)


def c_ip(lab, c):
    for e in js(lab, "container", "ls"):
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


def uplink_drops(lab):
    return {p["name"]: p["drops"] for p in js(lab, "stats")["ports"]}["uplink"]


def test_uplink_ip_answers_ping_with_checks(lab):
    """The uplink IP is a router port: pinged from the outside or from a
    container it answers; an echo whose ICMP checksum is wrong is dropped
    as bad_l4 on the uplink port, not answered."""
    assert nsx(lab.ns["r"], "ping", "-n", "-c", "1", "-W", "2", UPLINK_IP,
               check=False).returncode == 0
    assert nsx(lab.ns["c1"], "ping", "-n", "-c", "1", "-W", "2", UPLINK_IP,
               check=False).returncode == 0
    before = uplink_drops(lab).get("bad_l4", 0)
    code = ("from scapy.all import IP, ICMP, Raw, sr1, conf\n"
            "conf.verb = 0\n"
            f"a = sr1(IP(dst={UPLINK_IP!r})/ICMP(id=7, seq=1, chksum=0x1234)/Raw(b'rport'),"
            " timeout=1)\n"
            "print('answered' if a is not None else 'silent')\n")
    out = nsx(lab.ns["r"], "/usr/bin/python3", "-c", code, check=False).stdout.strip()
    assert out == "silent"
    assert wait_for(lambda: uplink_drops(lab).get("bad_l4", 0) == before + 1, 5)


def test_egress_snat_source_is_uplink(lab):
    assert wait_for(lambda: curl(lab.ns["c1"], f"http://{WEB}:8000/").stdout == "200", 15)
    assert f"{UPLINK_IP} - -" in log(lab, "web_http.log")


def test_ping_and_udp_through_nat(lab):
    assert nsx(lab.ns["c1"], "ping", "-c", "2", "-W", "2", WEB, check=False).returncode == 0
    assert udp_roundtrip(lab.ns["c1"], WEB, 7777) == "hello"


def test_udp_closed_port_is_refused(lab):
    # the web host's kernel answers port unreachable; the switch translates it
    assert udp_roundtrip(lab.ns["c1"], WEB, 7778) == "ECONNREFUSED"


def test_conntrack_ls_shows_tuples(lab):
    curl(lab.ns["c1"], f"http://{WEB}:8000/")
    lines = [e["text"] for e in js(lab, "conntrack", "ls")]
    ip1 = c_ip(lab, "c1")
    assert any(l.startswith("tcp      6 ") and f"src={ip1} dst={WEB}" in l and
               f"src={WEB} dst={UPLINK_IP}" in l and f"zone={lab.net}" in l
               for l in lines), lines
    assert js(lab, "conntrack", "stats")["entries"] >= 1


def test_conntrack_stats_show_the_cuckoo_counters(lab):
    """The cuckoo table's counters are shown, in JSON and as text rows
    (doc/nat.md): none of this traffic found the table full."""
    before = js(lab, "conntrack", "stats")
    assert nsx(lab.ns["c1"], "ping", "-c", "1", "-W", "2", WEB, check=False).returncode == 0
    st = js(lab, "conntrack", "stats")
    for k in ("hash_reused", "cuckoo_moves", "stashed", "table_full"):
        assert isinstance(st[k], int) and st[k] >= before[k] >= 0, (k, st)
    assert st["lookups"] > before["lookups"]
    assert st["table_full"] == 0 and st["hash_reused"] <= st["lookups"]
    rows = dict(line.split()[:2] for line in ok(lab, "conntrack", "stats").splitlines()
                if len(line.split()) >= 2)
    for k in ("hash_reused", "cuckoo_moves", "stashed", "table_full"):
        assert rows[k].isdigit(), rows


def test_publish_dnat_keeps_client_address(lab):
    out = js(lab, "port", "publish", "c1", "8080:80")
    assert out[0]["text"] == "80/tcp -> 0.0.0.0:8080"
    assert "80/tcp -> 0.0.0.0:8080" in ok(lab, "port", "ls", "c1")
    assert wait_for(lambda: curl(lab.ns["w"], f"http://{UPLINK_IP}:8080/").stdout == "200", 15)
    assert f"{WEB} - -" in log(lab, "c1_http.log")


def test_publish_proxy_on_host_loopback(lab):
    # vswitchd's own namespace: the userspace proxy
    assert wait_for(lambda: curl(lab.ns["v"], "http://127.0.0.1:8080/").stdout == "200", 15)


def test_publish_port_in_use_refused(lab):
    r = lab.vs.vsctl("port", "publish", "c2", "8080:80")
    assert r.returncode == 1 and "vsctl: error:" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_publish_random_port_and_udp(lab):
    out = js(lab, "port", "publish", "c1", "5353/udp", "80")
    ports = [m["host_port"] for m in out]
    assert all(32768 <= p <= 60999 for p in ports)
    assert udp_roundtrip(lab.ns["w"], UPLINK_IP, ports[0], "ping") == "ping"
    assert curl(lab.ns["w"], f"http://{UPLINK_IP}:{ports[1]}/").stdout == "200"
    ok(lab, "port", "unpublish", "c1", "5353/udp", f"{ports[1]}:80")


def test_publish_range(lab):
    ok(lab, "port", "publish", "c1", "9000-9002:80-82")
    assert "80-82/tcp -> 0.0.0.0:9000-9002" in ok(lab, "port", "ls", "c1")
    assert curl(lab.ns["w"], f"http://{UPLINK_IP}:9000/").stdout == "200"
    ok(lab, "port", "unpublish", "c1", "9000-9002:80-82")


def test_unpublish_while_traffic_flows(lab):
    ok(lab, "port", "publish", "c1", "8081:80")
    assert curl(lab.ns["w"], f"http://{UPLINK_IP}:8081/").stdout == "200"
    ok(lab, "port", "unpublish", "c1", "8081:80")
    assert curl(lab.ns["w"], f"http://{UPLINK_IP}:8081/", timeout=3).stdout != "200"
    ok(lab, "port", "publish", "c1", "8081:80")
    assert curl(lab.ns["w"], f"http://{UPLINK_IP}:8081/").stdout == "200"
    ok(lab, "port", "unpublish", "c1", "8081:80")


def test_hairpin(lab):
    assert wait_for(lambda: curl(lab.ns["c2"], f"http://{UPLINK_IP}:8080/").stdout == "200", 10)
    assert f"{UPLINK_IP} - -" in log(lab, "c1_http.log")


def test_internal_network_has_no_egress(lab):
    assert nsx(lab.ns["ci"], "ping", "-c", "1", "-W", "2", WEB, check=False).returncode != 0
    r = lab.vs.vsctl("port", "publish", "ci", "8090:80")
    assert r.returncode == 1


def test_300_short_connections(lab):
    script = (f"import urllib.request\nok=0\n"
              f"for i in range(300):\n"
              f" ok += urllib.request.urlopen('http://{WEB}:8000/', timeout=5).status == 200\n"
              f"print(ok)")
    assert nsx(lab.ns["c1"], "/usr/bin/python3", "-c", script, timeout=180).stdout.strip() == "300"


def iperf_bytes(ns, host, *opts, port=5201):
    r = None

    # iperf3 -s serves one client at a time and takes a moment after a
    # test ends before it takes the next: "the server is busy" is iperf3's
    # own state, not the switch's doing, so that answer is tried again.
    # An iperf3 whose control connection ended early (a slow host) exits 0
    # with no totals in "end": that run measured nothing and is tried again.
    def attempt():
        nonlocal r
        r = nsx(ns, "iperf3", "-c", host, "-p", str(port), "-t", "2", "-J", *opts,
                check=False, timeout=30)
        if "the server is busy" in r.stdout:
            return False
        try:
            return "sum_received" in json.loads(r.stdout)["end"]
        except (ValueError, KeyError):
            return r.returncode != 0
    wait_for(attempt, scaled(15), interval=0.5)
    assert r.returncode == 0, r.stdout[-500:] + r.stderr
    end = json.loads(r.stdout)["end"]
    assert "sum_received" in end, r.stdout[-1500:]
    return end["sum_received"]["bytes"]


def port_of(lab, name):
    return next(p for p in js(lab, "stats")["ports"] if p["name"] == name)


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
    ok(lab, "port", "publish", "c3", "5203:5201")
    try:
        assert iperf_bytes(lab.ns["w"], UPLINK_IP, port=5203) > 0
        assert iperf_bytes(lab.ns["w"], UPLINK_IP, "-R", port=5203) > 0
        assert csum_errors(lab.ns["c3"]) == 0 and csum_errors(lab.ns["w"]) == 0
    finally:
        ok(lab, "port", "unpublish", "c3", "5203:5201")


def test_kill9_restart_keeps_published_and_egress(lab):
    lab.vs.restart(kill9=True)
    assert "80/tcp -> 0.0.0.0:8080" in ok(lab, "port", "ls", "c1")
    assert wait_for(lambda: curl(lab.ns["w"], f"http://{UPLINK_IP}:8080/").stdout == "200", 15)
    assert wait_for(lambda: curl(lab.ns["c1"], f"http://{WEB}:8000/").stdout == "200", 15)
