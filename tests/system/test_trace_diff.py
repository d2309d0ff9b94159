"""test_trace_diff.py - `vsctl trace` says what the real packet does.

A differential test: for each packet of the list (container to container,
to the gateway, to another network, --internal and --no-icc, to the
outside in TCP, UDP and ICMP, from the outside to a port published on
0.0.0.0 and on 127.0.0.1 only, hairpin), first ask `vsctl --format json
trace` about it, then send the same packet for real (scapy through the
sender's kernel: same addresses, source port 40000 as trace's, ICMP id
0x7ace) and observe what the switch did, only from the outside of the
daemon:

- forward: a capture (`vsctl capture --stage tx`) on each output port the
  trace named sees the packet, with the addresses and ports of the NAT
  binding the trace showed;
- local: the sender's port transmits the switch's answer;
- drop: the drop counter of the trace's reason grows on the trace's port
  (`vsctl stats`), and a capture on the port the packet was meant for
  sees nothing.

Every case gets a fresh daemon and world (fixtures in conftest.py), so
one packet's connection cannot answer for the next.
"""
import os
import subprocess
import time

import pytest

from vsutil import nsx, scaled, vsctl_ok, vsjson, wait_for

pytestmark = pytest.mark.uplink

UPLINK_IP = "198.51.100.1"
SPORT = 40000          # trace's source port (src/trace.c TRACE_SPORT)
ICMP_ID = 0x7ACE       # and its echo id
PY = "/usr/bin/python3"

# name -> (network create options, subnet, members)
NETWORKS = {
    "na": ((), "10.81.0.0/24", ("c1", "c2")),
    "nb": ((), "10.82.0.0/24", ("c3",)),
    "ni": (("--internal",), "10.83.0.0/24", ("c4", "c5")),
    "nn": (("--no-icc",), "10.84.0.0/24", ("c6", "c7")),
}

# A real packet for scapy, sent through the sender namespace's kernel
# (L3RawSocket: the kernel routes and resolves the next hop, as for any
# application), so that it is the packet a container really sends.
SEND = """
import sys
from scapy.all import IP, TCP, UDP, ICMP, Raw, conf, send
from scapy.supersocket import L3RawSocket
conf.L3socket = L3RawSocket
proto, dst, dport = sys.argv[1], sys.argv[2], int(sys.argv[3])
l4 = {"tcp": TCP(sport=%d, dport=dport, flags="S", seq=1),
      "udp": UDP(sport=%d, dport=dport) / Raw(b"tr"),
      "icmp": ICMP(type=8, id=%d, seq=1)}[proto]
send(IP(dst=dst, flags="DF") / l4, verbose=0)
""" % (SPORT, SPORT, ICMP_ID)


@pytest.fixture
def world(vswitchd, topo):
    """Four networks, seven containers (IPv6 off: no kernel chatter moving
    counters), c2 publishing 8080 on 0.0.0.0 and 8081 on 127.0.0.1."""
    ips = {}
    for net, (opts, subnet, members) in NETWORKS.items():
        vsctl_ok(vswitchd, "network", "create", "--subnet", subnet, *opts, net)
        for name in members:
            ns = topo.container(name)
            for scope in ("all", "default"):
                topo.ns_exec(ns, "sysctl", "-qw", f"net.ipv6.conf.{scope}.disable_ipv6=1")
            vsctl_ok(vswitchd, "network", "connect", "--netns", ns, net, name)
            ep = vsjson(vswitchd, "network", "inspect", net)[0]["Containers"][name]
            ips[name] = ep["IPv4Address"].split("/")[0]
    vsctl_ok(vswitchd, "port", "publish", "c2", "8080:80")
    vsctl_ok(vswitchd, "port", "publish", "c2", "127.0.0.1:8081:80")
    ips["outside"] = topo.outside[1]
    return ips


def trace(vswitchd, sender, dst, proto, dport):
    frm = f"uplink:{sender[1]}" if sender[0] == "outside" else sender[0]
    to = dst if proto == "icmp" else f"{dst}:{dport}"
    return vsjson(vswitchd, "trace", "--from", frm, "--to", to, "--proto", proto)


def point(port):
    """The capture point of a port name: the uplink, or a container's."""
    return ["--uplink"] if port == "uplink" else ["--container", port]


def bpf(proto, src, dst, sport=None, dport=None, echo_reply=False):
    """A tcpdump filter for one packet as it leaves a port."""
    f = [proto, f"src host {src}", f"dst host {dst}"]
    if proto == "icmp":
        f.append(f"icmp[icmptype] == {'icmp-echoreply' if echo_reply else 'icmp-echo'}")
    else:
        if sport is not None:
            f.append(f"src port {sport}")
        if dport is not None:
            f.append(f"dst port {dport}")
    return " and ".join(f)


class Capture:
    """`vsctl capture POINT --stage tx --filter F -w FILE` in the background."""

    def __init__(self, vswitchd, tmp, port, flt):
        self.path = os.path.join(tmp, f"cap-{port.replace(':', '_')}-{time.monotonic_ns()}.pcap")
        self.proc = subprocess.Popen(
            vswitchd.vsctl_argv + ["capture", *point(port), "--stage", "tx",
                                   "--filter", flt, "-c", "1",
                                   "--duration", str(scaled(15)), "-w", self.path],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        ok = wait_for(lambda: self.proc.poll() is not None or
                      (os.path.exists(self.path) and os.path.getsize(self.path) >= 24), 10)
        assert ok and self.proc.poll() is None, \
            f"capture on {port} did not start: {self.proc.stderr.read()!r}"

    def frames(self, wait):
        """Frames captured: wait up to WAIT s for the first, then stop."""
        try:
            self.proc.wait(scaled(wait))
        except subprocess.TimeoutExpired:
            self.proc.send_signal(2)
            self.proc.wait(scaled(10))
        r = subprocess.run(["tcpdump", "-nn", "-r", self.path], capture_output=True,
                           text=True, check=True)
        return [line for line in r.stdout.splitlines() if line.strip()]


def drops(vswitchd):
    return {p["name"]: dict(p["drops"]) for p in vsjson(vswitchd, "stats")["ports"]}


def send(topo, sender, dst, proto, dport):
    ns = topo.outside[0] if sender[0] == "outside" else topo.prefix + sender[0]
    nsx(ns, PY, "-c", SEND, proto, dst, str(dport))


def expected_bpf(res, proto, dport):
    """What the packet looks like on the output port, from the trace's own
    NAT binding (its "after" tuple) or, without NAT, the packet itself."""
    pk = res["packet"]
    nat = [e for e in res["events"] if e["decision"] == "nat"]
    if nat:
        a = nat[0]["binding"]["after"]
        if proto == "icmp":
            return bpf(proto, a["src"], a["dst"])
        return bpf(proto, a["src"], a["dst"], a["sport"], a["dport"])
    if proto == "icmp":
        return bpf(proto, pk["src"], pk["dst"])
    return bpf(proto, pk["src"], pk["dst"], SPORT, dport)


def run_case(vswitchd, topo, tmp, sender, dst, proto, dport, meant_for):
    """Trace, send for real, and compare; returns the trace's verdict."""
    res = trace(vswitchd, sender, dst, proto, dport)
    v = res["verdict"]
    src = res["packet"]["src"]
    caps = []
    if v["decision"] == "forward":
        assert v["output"], res
        caps = [Capture(vswitchd, tmp, p, expected_bpf(res, proto, dport)) for p in v["output"]]
    elif v["decision"] == "local":
        reply = bpf(proto, dst, src, echo_reply=True) if proto == "icmp" else \
            bpf(proto, dst, src, dport, SPORT)
        caps = [Capture(vswitchd, tmp, v["port"], reply)]
    else:
        assert v["decision"] == "drop" and v["reason"] and v["port"], res
        absent = Capture(vswitchd, tmp, meant_for, expected_bpf(res, proto, dport))
    before = drops(vswitchd)
    send(topo, sender, dst, proto, dport)
    if v["decision"] == "drop":
        grew = wait_for(lambda: drops(vswitchd)[v["port"]].get(v["reason"], 0) >
                        before[v["port"]].get(v["reason"], 0), 5)
        assert grew, (f"trace said drop {v['reason']} on {v['port']}, the real packet "
                      f"did not: {before} -> {drops(vswitchd)}", res)
        assert absent.frames(1) == [], (f"trace said drop, {meant_for} sent it", res)
    else:
        for c, port in zip(caps, v["output"] if v["decision"] == "forward" else [v["port"]]):
            seen = c.frames(8)
            assert seen, (f"trace said {v['decision']} on {port}; nothing left there", res)
    return v


@pytest.fixture
def tmp(tmp_path):
    return str(tmp_path)


def test_container_to_container(vswitchd, topo, world, tmp):
    v = run_case(vswitchd, topo, tmp, ("c1",), world["c2"], "icmp", 0, "c2:eth0")
    assert (v["decision"], v["output"]) == ("forward", ["c2:eth0"]), v


def test_container_to_gateway(vswitchd, topo, world, tmp):
    v = run_case(vswitchd, topo, tmp, ("c1",), "10.81.0.1", "icmp", 0, None)
    assert (v["decision"], v["port"]) == ("local", "c1:eth0"), v


def test_container_to_other_network(vswitchd, topo, world, tmp):
    v = run_case(vswitchd, topo, tmp, ("c1",), world["c3"], "tcp", 80, "c3:eth0")
    assert (v["decision"], v["stage"], v["reason"]) == ("drop", "gateway", "no_route"), v


def test_internal_to_outside(vswitchd, topo, world, tmp):
    v = run_case(vswitchd, topo, tmp, ("c4",), world["outside"], "icmp", 0, "uplink")
    assert (v["decision"], v["reason"], v["port"]) == ("drop", "no_route", "c4:eth0"), v


def test_internal_container_to_container(vswitchd, topo, world, tmp):
    v = run_case(vswitchd, topo, tmp, ("c4",), world["c5"], "udp", 7, "c5:eth0")
    assert (v["decision"], v["output"]) == ("forward", ["c5:eth0"]), v


def test_no_icc_container_to_container(vswitchd, topo, world, tmp):
    v = run_case(vswitchd, topo, tmp, ("c6",), world["c7"], "icmp", 0, "c7:eth0")
    assert (v["decision"], v["stage"], v["reason"], v["port"]) == \
        ("drop", "egress", "no_icc", "c6:eth0"), v


def test_no_icc_container_to_gateway(vswitchd, topo, world, tmp):
    v = run_case(vswitchd, topo, tmp, ("c6",), "10.84.0.1", "icmp", 0, None)
    assert (v["decision"], v["port"]) == ("local", "c6:eth0"), v


@pytest.mark.parametrize("proto,dport", [("tcp", 80), ("udp", 9999), ("icmp", 0)])
def test_container_to_outside(vswitchd, topo, world, tmp, proto, dport):
    v = run_case(vswitchd, topo, tmp, ("c1",), world["outside"], proto, dport, "uplink")
    assert (v["decision"], v["nat"], v["output"]) == ("forward", "snat", ["uplink"]), v


def test_outside_to_published_port(vswitchd, topo, world, tmp):
    v = run_case(vswitchd, topo, tmp, ("outside", world["outside"]), UPLINK_IP, "tcp", 8080,
                 "c2:eth0")
    assert (v["decision"], v["nat"], v["output"]) == ("forward", "dnat", ["c2:eth0"]), v


def test_outside_to_loopback_only_port(vswitchd, topo, world, tmp):
    v = run_case(vswitchd, topo, tmp, ("outside", world["outside"]), UPLINK_IP, "tcp", 8081,
                 "c2:eth0")
    assert (v["decision"], v["reason"], v["port"]) == ("drop", "not_for_us", "uplink"), v


def test_hairpin(vswitchd, topo, world, tmp):
    v = run_case(vswitchd, topo, tmp, ("c1",), UPLINK_IP, "tcp", 8080, "c2:eth0")
    assert (v["decision"], v["nat"], v["output"]) == ("forward", "hairpin", ["c2:eth0"]), v


def test_hairpin_to_loopback_only_port(vswitchd, topo, world, tmp):
    """The divergence nat_explain() had: trace said hairpin, the packet was
    dropped.  Both now say not_for_us."""
    v = run_case(vswitchd, topo, tmp, ("c1",), UPLINK_IP, "tcp", 8081, "c2:eth0")
    assert (v["decision"], v["stage"], v["reason"], v["port"]) == \
        ("drop", "nat", "not_for_us", "c1:eth0"), v
