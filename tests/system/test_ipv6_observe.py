"""test_ipv6_observe.py - capture, trace, conntrack ls, fdb and stats in
IPv6 (issue 14 part 7), end to end.

Topology (names with the module's prefix, all removed afterwards):

    c1 ─┐ vswitchd ── up0 ═ veth ═ router (2001:db8:101::fe)
    c2 ─┘  2001:db8:101::1/64
    (fd00:72::/64, NAT66 to the uplink's address)

- `vsctl capture` of IPv6 frames at a container port, at the network and
  at the uplink, with tcpdump filters on IPv6 fields, read by tshark: the
  container's address before NAT66, the uplink's after, checksums good.
- `vsctl trace --to` an IPv6 address outside: through the gateway,
  conntrack and NAT66 to the uplink, with the binding NAT66 would make.
- `conntrack ls` lists the IPv6 connection the ping made; `fdb show`
  gives every MAC its addresses, IPv6 ones included; `stats` counts IPv6
  frames per port.

One world per module (conftest.py's module_topo and module_vswitchd,
the uplink marker); every wait polls against a deadline.
"""
import os
import subprocess
import types

import pytest
from vsutil import nsx, wait_for, vsctl_ok, vsjson, uniq
from test_capture import Capture, vsctl_argv  # noqa: F401  (one Capture for all)

UP6 = "2001:db8:101::1"
ROUTER6 = "2001:db8:101::fe"
SUBNET6 = "fd00:72::/64"

pytestmark = [pytest.mark.uplink,
              pytest.mark.vswitchd_args("--uplink-ip6", f"{UP6}/64",
                                        "--uplink-gateway6", ROUTER6)]


def prepare_vswitchd(t, vs):
    """Before the daemon starts: the outside host answers on ROUTER6."""
    r, rdev = t.outside[0], t.prefix + "ub"
    nsx(r, "ip", "-6", "addr", "add", f"{ROUTER6}/64", "dev", rdev, "nodad")


@pytest.fixture(scope="module")
def lab(module_topo, module_vswitchd):
    t, vs = module_topo, module_vswitchd
    lab = types.SimpleNamespace(topo=t, vs=vs, net=f"{t.prefix}o6", ns={})
    vsctl_ok(vs, "network", "create", "--ipv6", "--subnet", "10.72.0.0/24",
             "--subnet", SUBNET6, lab.net)
    for c in ("c1", "c2", "c3"):
        lab.ns[c] = t.container(c)
        vsctl_ok(vs, "network", "connect", "--netns", lab.ns[c],
                 *(["--no-offload"] if c == "c3" else []), lab.net, c)
    o = vsjson(vs, "network", "inspect", lab.net)[0]["Containers"]
    lab.ip6 = {c: o[c]["IPv6Address"].split("/")[0] for c in ("c1", "c2", "c3")}
    lab.mac = {c: o[c]["MacAddress"] for c in ("c1", "c2", "c3")}
    assert wait_for(lambda: ping6(lab.ns["c1"], ROUTER6), 15), "c1 cannot reach the router"
    return lab


def ping6(ns, ip, count=1):
    return nsx(ns, "ping", "-6", "-n", "-c", str(count), "-i", "0.2", "-W", "2", ip,
               check=False).returncode == 0


def tshark_fields(path, *fields, flt=None):
    argv = ["tshark", "-n", "-r", path, "-o", "tcp.check_checksum:TRUE",
            "-T", "fields", *sum((["-e", f] for f in fields), [])]
    if flt:
        argv += ["-Y", flt]
    r = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return [l.split("\t") for l in r.stdout.splitlines() if l.strip()]


def test_capture_v6_at_every_point(lab, tmp_path):
    """Echo requests to the router, captured at c1's port, at the network
    and at the uplink with IPv6 filters: before NAT66 from c1's address,
    after it from the uplink's; tshark finds the ICMPv6 checksums good."""
    f = {k: str(tmp_path / f"{k}.pcap") for k in ("port", "net", "up", "nd")}
    flt = "icmp6 and ip6[40] == 128"          # echo requests only
    caps = [Capture(lab.vs, "--container", "c1", "--filter", flt, "-c", "3", out=f["port"]),
            Capture(lab.vs, "--network", lab.net, "--filter", f"{flt} and src host {lab.ip6['c1']}",
                    "-c", "3", out=f["net"]),
            Capture(lab.vs, "--uplink", "--filter", f"{flt} and dst host {ROUTER6}",
                    "-c", "3", out=f["up"])]
    for c in caps:
        c.wait_attached()
    assert ping6(lab.ns["c1"], ROUTER6, count=3)
    for c in caps:
        assert c.finish() == 0, c.stderr()
    for k in ("port", "net"):
        rows = tshark_fields(f[k], "ipv6.src", "ipv6.dst", "icmpv6.type",
                             "icmpv6.checksum.status")
        assert rows == [[lab.ip6["c1"], ROUTER6, "128", "1"]] * 3, (k, rows)
    rows = tshark_fields(f["up"], "ipv6.src", "ipv6.dst", "icmpv6.type",
                         "icmpv6.checksum.status")
    assert rows == [[UP6, ROUTER6, "128", "1"]] * 3, rows


def test_capture_v6_tcp_checksums(lab, tmp_path):
    """A TCP connection over IPv6 from c1 (TSO6 on) to c3 (no offloads):
    captured as it leaves for c3, every segment the switch cut in software
    has a right checksum (tshark verifies each), none longer than the MTU."""
    out = str(tmp_path / "tcp6.pcap")
    srv = subprocess.Popen(["ip", "netns", "exec", lab.ns["c3"], "/usr/bin/python3", "-c",
                            "import socket;s=socket.socket(10,1);s.bind(('::',7070));"
                            "s.listen();c,_=s.accept();n=0\n"
                            "while True:\n d=c.recv(65536)\n if not d: break\n n+=len(d)\n"
                            "print(n)"],
                           stdout=subprocess.PIPE, text=True)
    try:
        assert wait_for(lambda: ":7070 " in nsx(lab.ns["c3"], "ss", "-ltnH").stdout, 10)
        cap = Capture(lab.vs, "--container", "c3", "--stage", "tx",
                      "--filter", "ip6 and tcp port 7070", "--duration", "30", out=out)
        cap.wait_attached()
        nsx(lab.ns["c1"], "/usr/bin/python3", "-c",
            "import socket;s=socket.create_connection(('%s',7070));"
            "s.sendall(b'x'*300000);s.close()" % lab.ip6["c3"])
        got, _ = srv.communicate(timeout=30)
        assert int(got) == 300000
        assert cap.stop() == 0
    finally:
        if srv.poll() is None:
            srv.kill()
            srv.wait()
    rows = tshark_fields(out, "ipv6.src", "tcp.checksum.status", "frame.len")
    assert len(rows) > 200, len(rows)        # 300 KB in segments of at most 1440
    assert all(r[0] == lab.ip6["c1"] for r in rows), rows[:5]
    assert all(r[1] == "1" for r in rows), [r for r in rows if r[1] != "1"][:5]
    assert max(int(r[2]) for r in rows) <= 1514
    c1 = next(p for p in vsjson(lab.vs, "stats")["ports"] if p.get("container") == "c1")
    c3 = next(p for p in vsjson(lab.vs, "stats")["ports"] if p.get("container") == "c3")
    assert c1["rx_gso"] > 0 and c3["sw_segments"] > 0, (c1, c3)


def test_trace_v6_through_nat66(lab):
    """trace --to an outside IPv6 address follows the real pipeline to the
    uplink: NAT66 would translate the source to the uplink's address."""
    res = vsjson(lab.vs, "trace", "--from", "c1", "--to", f"[{ROUTER6}]:80", "--proto", "tcp")
    assert res["packet"]["src"] == lab.ip6["c1"], res
    v = res["verdict"]
    assert v["decision"] == "forward" and v["output"] == ["uplink"], res
    nats = [e["binding"] for e in res["events"] if e.get("binding")]
    assert nats, res["events"]
    assert nats[0]["before"]["src"] == lab.ip6["c1"], nats
    assert nats[0]["after"]["src"] == UP6 and nats[0]["after"]["dst"] == ROUTER6, nats
    # a trace leaves nothing behind: no connection was made
    assert not any(f"dst={ROUTER6}" in e["text"] and "dport=80" in e["text"]
                   for e in vsjson(lab.vs, "conntrack", "ls"))


def test_conntrack_fdb_stats_v6(lab):
    assert ping6(lab.ns["c1"], ROUTER6)
    lines = [e["text"] for e in vsjson(lab.vs, "conntrack", "ls")]
    assert any(l.startswith("icmpv6") and f"src={lab.ip6['c1']}" in l and
               f"dst={ROUTER6}" in l and f"src={ROUTER6}" in l and f"dst={UP6}" in l
               for l in lines), lines
    # fdb: every learned MAC with the addresses its port owns, the
    # gateway with its IPv4, IPv6 and link-local addresses
    assert ping6(lab.ns["c1"], lab.ip6["c2"])
    rows = vsjson(lab.vs, "fdb", "show", lab.net)
    by_mac = {r["mac"]: r for r in rows}
    for c in ("c1", "c2"):
        assert lab.ip6[c] in by_mac[lab.mac[c]]["addresses"], rows
    gw = [r for r in rows if r["kind"] == "gateway"][0]
    assert "fd00:72::1" in gw["addresses"] and any(a.startswith("fe80::")
                                                  for a in gw["addresses"]), gw
    table = vsctl_ok(lab.vs, "fdb", "show", lab.net).stdout
    assert "ADDRESSES" in table and lab.ip6["c1"] in table, table
    # stats: IPv6 frames counted per port, both ways, and on the uplink
    ports = {p["name"]: p for p in vsjson(lab.vs, "stats")["ports"]}
    c1 = next(p for p in ports.values() if p.get("container") == "c1")
    assert c1["rx_ip6"] > 0 and c1["tx_ip6"] > 0, c1
    assert c1["rx_ip6"] <= c1["rx_packets"] and c1["tx_ip6"] <= c1["tx_packets"]
    assert ports["uplink"]["tx_ip6"] > 0 and ports["uplink"]["rx_ip6"] > 0, ports["uplink"]


def test_trace_v6_from_outside(lab):
    """trace --from uplink:IPV6 hands an outside IPv6 frame to the uplink's
    real input: an echo to the uplink's address is answered there; a
    packet to the containers' ULA subnet (NAT66, no published port) does
    not get in; a source of the other family is refused."""
    before = len(vsjson(lab.vs, "conntrack", "ls"))
    res = vsjson(lab.vs, "trace", "--from", f"uplink:{ROUTER6}", "--to", UP6)
    assert res["packet"]["src"] == ROUTER6 and res["packet"]["proto"] == "icmpv6", res
    assert res["packet"]["from"] == "uplink", res
    assert res["verdict"]["decision"] == "local", res
    res = vsjson(lab.vs, "trace", "--from", f"uplink:{ROUTER6}", "--to",
                 f"[{lab.ip6['c1']}]:80", "--proto", "tcp")
    assert res["verdict"]["decision"] == "drop", res
    r = lab.vs.vsctl("trace", "--from", f"uplink:{ROUTER6}", "--to", "192.0.2.1")
    assert r.returncode != 0 and "different families" in r.stderr, r.stderr
    assert len(vsjson(lab.vs, "conntrack", "ls")) == before   # a trace leaves nothing
