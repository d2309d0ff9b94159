"""test_dns.py - DNS for container names, upstream forwarding, interception.

Real clients in container namespaces (glibc's `getent`, `dig`, scapy) ask
the gateway of a user-defined network; vswitchd answers inside its
datapath.  Upstream resolvers are dnsmasq (dnsmasq-base) or a silent UDP
socket, both run inside vswitchd's own namespace on loopback, given to
vswitchd with --dns-upstream.

Uses the `vswitchd` and `topo` fixtures of conftest.py.  Upstreams need
vswitchd restarted with extra arguments: `with_upstreams()` is the one
place that knows how the fixture takes them.  Every wait polls against a
deadline (a functional bound, not a benchmark).
"""
import os
import random
import re
import signal
import subprocess
import time

import pytest
from vsutil import sh, nsx, vsctl_ok, vsjson, uniq, wait_for, make_net

DIG = ["dig", "+time=2", "+tries=2"]


def connect(vswitchd, topo, net, ctr, *opts):
    ns = topo.container(ctr)
    vsctl_ok(vswitchd, "network", "connect", "--netns", ns, *opts, net, ctr)
    return ns


def inspect(vswitchd, net):
    return vsjson(vswitchd, "network", "inspect", net)[0]


def ip_of(vswitchd, net, ctr):
    return inspect(vswitchd, net)["Containers"][ctr]["IPv4Address"].split("/")[0]


def gateway_of(vswitchd, net):
    return inspect(vswitchd, net)["IPAM"]["Config"][0]["Gateway"]


def dig(ns, server, *args, timeout=30):
    return nsx(ns, *DIG, f"@{server}", *args, check=False, timeout=timeout)


def dig_short(ns, server, *args):
    r = dig(ns, server, "+short", *args)
    # Lines, not words: dig's own ";; communications error to ..." lines
    # mention the server's address and are not answers.
    return [l.strip() for l in r.stdout.splitlines() if l.strip() and not l.startswith(";")]


def status_of(out):
    m = re.search(r"status: (\w+)", out)
    return m.group(1) if m else None


def free_udp_port():
    """A port for vswitchd's namespace: its loopback is private to the test."""
    return random.randrange(20000, 30000)


class Bg:
    """A process in a namespace, ended by its PID (never by name)."""

    def __init__(self, ns, *cmd):
        self.p = subprocess.Popen(["ip", "netns", "exec", ns, *cmd],
                                  stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE, text=True)

    def stop(self):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
            try:
                self.p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()


def dnsmasq(ns, port, tmpdir):
    sh("ip", "-n", ns, "link", "set", "lo", "up")
    pid = os.path.join(tmpdir, f"dnsmasq{port}.pid")
    d = Bg(ns, "dnsmasq", "-k", "-p", str(port), "--no-resolv", "--no-hosts",
           "--address=/example.test/192.0.2.7", "-i", "lo", "--bind-interfaces",
           # 200 addresses: too large for UDP, so TC=1 and a retry over TCP
           *[f"--host-record=big.test,10.1.0.{i}" for i in range(1, 201)],
           f"--pid-file={pid}", "--user=root", "--group=root")
    ok = wait_for(lambda: d.p.poll() is not None or
                  nsx(ns, "dig", "+time=1", "+tries=1", "-p", str(port),
                      "@127.0.0.1", "example.test", "+short",
                      check=False).stdout.strip() == "192.0.2.7", 10)
    assert d.p.poll() is None and ok, f"dnsmasq did not start: {d.p.stderr}"
    return d


def blackhole(ns, port):
    """A UDP socket that receives and never answers: a dead upstream."""
    sh("ip", "-n", ns, "link", "set", "lo", "up")
    return Bg(ns, "/usr/bin/python3", "-c",
              "import socket,time;s=socket.socket(2,2);"
              f"s.bind(('127.0.0.1',{port}));time.sleep(3600)")


def with_upstreams(vswitchd, ups):
    """Restart vswitchd with --dns-upstream for each of UPS."""
    args = []
    for u in ups:
        args += ["--dns-upstream", u]
    for how in ("extra_args", "args"):
        try:
            vswitchd.restart(kill9=False, **{how: args})
            return
        except TypeError:
            continue
    if hasattr(vswitchd, "extra_args"):
        vswitchd.extra_args = list(args)
        vswitchd.restart(kill9=False)
        return
    pytest.skip("the vswitchd fixture cannot restart with extra arguments")


@pytest.fixture
def dnsnet(vswitchd, topo):
    """A DNS network with containers c1, c2, c3 (unique names: C["c1"]...);
    c2 and c3 share an alias, C["web"]."""
    net = make_net(vswitchd)
    C = {k: uniq(k + "x") for k in ("c1", "c2", "c3", "web")}
    ns, ips = {}, {}
    for k in ("c1", "c2", "c3"):
        opts = ["--alias", C["web"]] if k != "c1" else []
        ns[k] = connect(vswitchd, topo, net, C[k], *opts)
        ips[k] = ip_of(vswitchd, net, C[k])
    return net, ns, gateway_of(vswitchd, net), ips, C


def test_dig_names(vswitchd, topo, dnsnet):
    net, ns, gw, ips, C = dnsnet
    assert dig_short(ns["c1"], gw, C["c2"]) == [ips["c2"]]
    assert dig_short(ns["c1"], gw, f"{C['c2'].upper()}.{net}") == [ips["c2"]]
    assert dig_short(ns["c1"], gw, C["c2"], "+tcp") == [ips["c2"]]
    rev = dig_short(ns["c1"], gw, "-x", ips["c2"])
    assert rev == [f"{C['c2']}.{net}."]
    aaaa = dig(ns["c1"], gw, C["c2"], "AAAA")
    assert status_of(aaaa.stdout) == "NOERROR"
    assert "ANSWER: 0" in aaaa.stdout


def test_alias_rotates(vswitchd, topo, dnsnet):
    net, ns, gw, ips, C = dnsnet
    firsts = set()
    for _ in range(4):
        a = dig_short(ns["c1"], gw, C["web"])
        assert sorted(a) == sorted([ips["c2"], ips["c3"]])
        firsts.add(a[0])
    assert firsts == {ips["c2"], ips["c3"]}


def test_getent_via_resolv_conf(vswitchd, topo, dnsnet):
    net, ns, gw, ips, C = dnsnet
    rc = f"/etc/netns/{ns['c1']}/resolv.conf"
    assert wait_for(lambda: os.path.exists(rc), 5), rc
    with open(rc) as f:
        text = f.read()
    assert f"nameserver {gw}" in text and "ndots:0" in text
    r = nsx(ns["c1"], "getent", "hosts", C["c2"], check=False)
    assert r.returncode == 0 and r.stdout.split()[0] == ips["c2"], r


def test_disconnect_removes_name_and_resolv_conf(vswitchd, topo, dnsnet):
    net, ns, gw, ips, C = dnsnet
    assert dig_short(ns["c1"], gw, C["c3"]) == [ips["c3"]]
    vsctl_ok(vswitchd, "network", "disconnect", net, C["c3"])
    assert dig_short(ns["c1"], gw, C["c3"]) == []
    assert dig_short(ns["c1"], gw, C["web"]) == [ips["c2"]]
    assert wait_for(lambda: not os.path.exists(f"/etc/netns/{ns['c3']}/resolv.conf"), 5)


def test_default_bridge_has_no_names(vswitchd, topo):
    b1, b2 = uniq("b1x"), uniq("b2x")
    a = connect(vswitchd, topo, "bridge", b1)
    connect(vswitchd, topo, "bridge", b2)
    answers = dig_short(a, "172.17.0.1", b2, "+time=1", "+tries=1")
    assert not [l for l in answers if re.fullmatch(r"[0-9.]+", l)], answers


def test_intercept(vswitchd, topo):
    net = make_net(vswitchd, "--dns-intercept")
    i1, i2 = uniq("i1x"), uniq("i2x")
    a = connect(vswitchd, topo, net, i1)
    connect(vswitchd, topo, net, i2)
    assert dig_short(a, "9.9.9.9", i2) == [ip_of(vswitchd, net, i2)]


def test_garbage_then_good_query(vswitchd, topo, dnsnet):
    net, ns, gw, ips, C = dnsnet
    script = (
        "from scapy.all import IP, UDP, DNS, DNSQR, Raw, send\n"
        "import random\n"
        f"gw='{gw}'\n"
        "pk=[IP(dst=gw)/UDP(dport=53)/Raw(b'\\x00'*5),\n"
        "    IP(dst=gw)/UDP(dport=53)/Raw(b'\\x12\\x34\\x01\\x00\\x00\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\xc0\\x0c\\x00\\x01\\x00\\x01'),\n"
        "    IP(dst=gw)/UDP(dport=53)/Raw(b'\\x12\\x34\\x01\\x00\\x00\\x01\\x00\\x00\\x00\\x00\\x00\\x00' + b'\\x40' + b'a'*64 + b'\\x00\\x00\\x01\\x00\\x01'),\n"
        "    IP(dst=gw)/UDP(dport=53)/Raw(b'\\x12\\x34\\x01\\x00\\x00\\x05\\x00\\x07\\x00\\x00\\x00\\x09\\x01a\\x00'),\n"
        "    IP(dst=gw)/UDP(dport=53)/DNS(qr=1, qd=DNSQR(qname='c2')),\n"
        "    IP(dst=gw)/UDP(dport=53)/DNS(opcode=2, qd=DNSQR(qname='c2')),\n"
        "    IP(dst=gw)/UDP(dport=53)/Raw(b'\\x12\\x34\\x01\\x00\\x00\\x01\\x00\\x00\\x00\\x00\\x00\\x00' + (b'\\x3f' + b'b'*63)*5 + b'\\x00\\x00\\x01\\x00\\x01')]\n"
        "pk += [IP(dst=gw)/UDP(dport=53)/Raw(bytes(random.getrandbits(8) for _ in range(random.randrange(0, 300)))) for _ in range(200)]\n"
        "send(pk, verbose=0)\n")
    r = nsx(ns["c3"], "/usr/bin/python3", "-c", script, check=False, timeout=60)
    assert r.returncode == 0, r.stderr
    assert dig_short(ns["c1"], gw, C["c2"]) == [ips["c2"]]
    assert dig_short(ns["c3"], gw, C["c2"]) == [ips["c2"]]
    assert vswitchd.vsctl("show").returncode == 0


def test_flood_does_not_starve_neighbour(vswitchd, topo, dnsnet):
    net, ns, gw, ips, C = dnsnet
    script = (
        "from scapy.all import IP, UDP, DNS, DNSQR, send\n"
        f"send([IP(dst='{gw}')/UDP(sport=33000+i%1000, dport=53)/DNS(id=i, qd=DNSQR(qname='{C['c1']}'))"
        " for i in range(3000)], verbose=0)\n")
    flood = Bg(ns["c3"], "/usr/bin/python3", "-c", script)
    try:
        assert dig_short(ns["c1"], gw, C["c2"]) == [ips["c2"]]
    finally:
        flood.p.wait(timeout=120)
    assert dig_short(ns["c3"], gw, C["c2"]) == [ips["c2"]]


def test_restart_answers(vswitchd, topo, dnsnet):
    net, ns, gw, ips, C = dnsnet
    vswitchd.restart(kill9=True)
    # dig's own retry (like glibc's after 5 s) reaches the new daemon.
    r = nsx(ns["c1"], "dig", "+time=3", "+tries=3", f"@{gw}", C["c2"], "+short",
            check=False, timeout=30)
    assert r.stdout.split() == [ips["c2"]]


def test_upstream(vswitchd, topo, tmp_path):
    port = free_udp_port()
    up = dnsmasq(vswitchd.ns, port, str(tmp_path))
    try:
        with_upstreams(vswitchd, [f"127.0.0.1:{port}"])
        net = make_net(vswitchd)
        a = connect(vswitchd, topo, net, uniq("u1x"))
        gw = gateway_of(vswitchd, net)
        assert dig_short(a, gw, "example.test") == ["192.0.2.7"]
        assert dig_short(a, gw, "example.test", "+tcp") == ["192.0.2.7"]
        # Too large for UDP: TC=1 relayed (or set by us), dig retries over
        # TCP, and the TCP path forwards over TCP.
        for extra in ([], ["+bufsize=4096"]):
            r = dig(a, gw, "big.test", *extra)
            assert "ANSWER: 200" in r.stdout, r.stdout
        # EDNS0 kept end to end: dig sees an OPT record in the answer.
        r = dig(a, gw, "example.test", "+edns=0")
        assert "OPT PSEUDOSECTION" in r.stdout
        # An unknown name gets the upstream's answer, well within 6 s.
        t0 = time.monotonic()
        r = nsx(a, "dig", "+time=6", "+tries=1", f"@{gw}", "nope.invalid",
                check=False, timeout=30)
        assert status_of(r.stdout) in ("NXDOMAIN", "REFUSED", "SERVFAIL", "NOERROR"), r.stdout
        assert time.monotonic() - t0 < 6.5
        # Local names still local.
        u2 = uniq("u2x")
        connect(vswitchd, topo, net, u2)
        assert dig_short(a, gw, u2) == [ip_of(vswitchd, net, u2)]
    finally:
        up.stop()


def test_dead_upstream_servfail(vswitchd, topo):
    port = free_udp_port()
    hole = blackhole(vswitchd.ns, port)
    try:
        with_upstreams(vswitchd, [f"127.0.0.1:{port}"])
        net = make_net(vswitchd)
        a = connect(vswitchd, topo, net, uniq("d1x"))
        gw = gateway_of(vswitchd, net)
        t0 = time.monotonic()
        r = nsx(a, "dig", "+time=8", "+tries=1", f"@{gw}", "example.test",
                check=False, timeout=30)
        assert status_of(r.stdout) == "SERVFAIL", r.stdout
        assert time.monotonic() - t0 < 6.5
    finally:
        hole.stop()


def test_first_upstream_dead(vswitchd, topo, tmp_path):
    dead, live = free_udp_port(), free_udp_port()
    hole = blackhole(vswitchd.ns, dead)
    up = dnsmasq(vswitchd.ns, live, str(tmp_path))
    try:
        with_upstreams(vswitchd, [f"127.0.0.1:{dead}", f"127.0.0.1:{live}"])
        net = make_net(vswitchd)
        a = connect(vswitchd, topo, net, uniq("f1x"))
        gw = gateway_of(vswitchd, net)
        # The first query pays one attempt timeout (about 1 s)...
        r = nsx(a, "dig", "+time=4", "+tries=1", f"@{gw}", "example.test",
                "+short", check=False, timeout=30)
        assert r.stdout.split() == ["192.0.2.7"]
        # ...then the dead upstream is skipped: each answer within 1 s.
        for _ in range(3):
            r = nsx(a, "dig", "+time=1", "+tries=1", f"@{gw}", "example.test",
                    "+short", check=False, timeout=30)
            assert r.stdout.split() == ["192.0.2.7"]
    finally:
        up.stop()
        hole.stop()
