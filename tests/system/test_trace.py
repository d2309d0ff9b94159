"""test_trace.py - `vsctl trace` runs the real pipeline dry.

Each test builds containers in namespaces, asks trace about a packet, and
checks the typed events it reports (stage, decision, reason, port, NAT
binding) and the verdict computed from them, read from `--format json`,
never from the words; it also checks that a trace sends nothing and
counts nothing (the switch is unchanged).  test_trace_diff.py compares
verdicts with what real packets do.
"""
import json

import pytest

from vsutil import wait_for


def vs_ok(vswitchd, *args):
    r = vswitchd.vsctl(*args)
    assert r.returncode == 0, r.stderr
    return r.stdout


def trace(vswitchd, *args):
    """The events and the verdict of one trace, as vswitchd typed them."""
    out = vs_ok(vswitchd, "--format", "json", "trace", *args)
    res = json.loads(out)
    return res["events"], res["verdict"]


def events_of(events, stage=None, decision=None):
    return [e for e in events
            if (stage is None or e["stage"] == stage)
            and (decision is None or e["decision"] == decision)]


def two_networks(vswitchd, topo):
    """c1, c2 on na (10.71.0.0/24); c3 on nb (10.72.0.0/24)."""
    vs_ok(vswitchd, "network", "create", "--subnet", "10.71.0.0/24", "na")
    vs_ok(vswitchd, "network", "create", "--subnet", "10.72.0.0/24", "nb")
    for name, net in (("c1", "na"), ("c2", "na"), ("c3", "nb")):
        ns = topo.container(name)
        # No IPv6: the kernel's own neighbour discovery on a new eth0 would
        # move real counters while a test checks that trace moves none.
        for scope in ("all", "default"):
            topo.ns_exec(ns, "sysctl", "-qw", f"net.ipv6.conf.{scope}.disable_ipv6=1")
        vs_ok(vswitchd, "network", "connect", "--netns", ns, net, name)
    return "10.71.0.3", "10.72.0.2"


def port_counters(vswitchd):
    st = json.loads(vs_ok(vswitchd, "--format", "json", "stats"))
    return {p["name"]: (p["rx_packets"], p["tx_packets"], p["drops"]) for p in st["ports"]}


def test_trace_c1_to_c2_forwards(vswitchd, topo):
    c2_ip, _ = two_networks(vswitchd, topo)
    before = port_counters(vswitchd)
    events, verdict = trace(vswitchd, "--from", "c1", "--to", c2_ip)
    assert events_of(events, "ingress", "accept")[0]["port"] == "c1:eth0", events
    assert [e["port"] for e in events_of(events, "egress", "output")] == ["c2:eth0"], events
    assert verdict["decision"] == "forward", verdict
    assert verdict["output"] == ["c2:eth0"], verdict
    assert verdict["reason"] is None and verdict["nat"] is None, verdict
    # Dry run: nothing sent, nothing counted.
    assert port_counters(vswitchd) == before


def test_trace_to_other_network_is_dropped(vswitchd, topo):
    _, c3_ip = two_networks(vswitchd, topo)
    events, verdict = trace(vswitchd, "--from", "c1", "--to", c3_ip, "--proto", "tcp")
    assert verdict["decision"] == "drop", (events, verdict)
    assert (verdict["stage"], verdict["reason"], verdict["port"]) == \
        ("gateway", "no_route", "c1:eth0"), verdict
    drops = events_of(events, decision="drop")
    assert [(e["stage"], e["reason"]) for e in drops] == [("gateway", "no_route")], events
    assert verdict["output"] == [], verdict


def test_trace_to_gateway_is_local(vswitchd, topo):
    two_networks(vswitchd, topo)
    events, verdict = trace(vswitchd, "--from", "c1", "--to", "10.71.0.1")
    assert verdict["decision"] == "local", (events, verdict)
    assert (verdict["stage"], verdict["port"]) == ("gateway", "c1:eth0"), verdict
    assert events_of(events, "gateway", "local"), events
    assert not events_of(events, decision="drop"), events


def test_trace_bad_arguments_refused(vswitchd, topo):
    two_networks(vswitchd, topo)
    r = vswitchd.vsctl("trace", "--from", "nosuch", "--to", "10.71.0.3")
    assert r.returncode == 1 and r.stderr.startswith("vsctl: error: "), r
    r = vswitchd.vsctl("trace", "--from", "c1", "--to", "not-an-ip")
    assert r.returncode in (1, 2) and "vsctl: " in r.stderr, r
    # From the outside needs an uplink, and an address.
    r = vswitchd.vsctl("trace", "--from", "uplink:198.51.100.254", "--to", "10.71.0.3")
    assert r.returncode == 1 and r.stderr.startswith("vsctl: error: no uplink"), r


@pytest.mark.uplink
def test_trace_bad_outside_source_refused(vswitchd, topo):
    r = vswitchd.vsctl("trace", "--from", "uplink:nope", "--to", "198.51.100.1")
    assert r.returncode == 1 and r.stderr.startswith("vsctl: error: invalid source"), r


@pytest.mark.uplink
def test_trace_to_outside_shows_snat(vswitchd, topo):
    two_networks(vswitchd, topo)
    out_ns, out_ip = topo.outside
    events, verdict = trace(vswitchd, "--from", "c1", "--to", f"{out_ip}:80", "--proto", "tcp")
    nat = events_of(events, "nat", "nat")
    assert len(nat) == 1, events
    b = nat[0]["binding"]
    assert (b["kind"], b["proto"]) == ("snat", "tcp"), b
    assert b["before"] == {"zone": "na", "src": "10.71.0.2", "sport": 40000,
                           "dst": out_ip, "dport": 80}, b
    assert b["after"] == {"zone": "uplink", "src": "198.51.100.1", "sport": 40000,
                          "dst": out_ip, "dport": 80}, b
    assert verdict["decision"] == "forward" and verdict["nat"] == "snat", verdict
    assert verdict["output"] == ["uplink"], verdict
    # Nothing was created: conntrack stays empty.
    assert vs_ok(vswitchd, "conntrack", "ls").strip() == ""


@pytest.mark.uplink
def test_trace_hairpin_to_published_port(vswitchd, topo):
    two_networks(vswitchd, topo)
    vs_ok(vswitchd, "port", "publish", "c2", "8080:80")
    events, verdict = trace(vswitchd, "--from", "c1", "--to", "198.51.100.1:8080", "--proto", "tcp")
    route = events_of(events, "gateway", "route")
    assert route and "TTL 64 -> 63" in route[0]["detail"], events
    b = events_of(events, "nat", "nat")[0]["binding"]
    assert b["kind"] == "hairpin", b
    assert (b["after"]["src"], b["after"]["dst"], b["after"]["dport"]) == \
        ("198.51.100.1", "10.71.0.3", 80), b
    assert verdict["decision"] == "forward" and verdict["nat"] == "hairpin", (events, verdict)
    assert verdict["output"] == ["c2:eth0"], verdict


@pytest.mark.uplink
def test_trace_loopback_only_port_is_not_a_hairpin(vswitchd, topo):
    """A port published on 127.0.0.1 only is reached through the proxy,
    never through the uplink address: the trace says what the packet gets,
    a drop as not_for_us (it once said hairpin)."""
    two_networks(vswitchd, topo)
    vs_ok(vswitchd, "port", "publish", "c2", "127.0.0.1:8081:80")
    events, verdict = trace(vswitchd, "--from", "c1", "--to", "198.51.100.1:8081", "--proto", "tcp")
    assert not events_of(events, "nat", "nat"), events
    assert (verdict["decision"], verdict["stage"], verdict["reason"], verdict["port"]) == \
        ("drop", "nat", "not_for_us", "c1:eth0"), verdict
    events, verdict = trace(vswitchd, "--from", "uplink:198.51.100.254",
                            "--to", "198.51.100.1:8081", "--proto", "tcp")
    assert (verdict["decision"], verdict["stage"], verdict["reason"], verdict["port"]) == \
        ("drop", "nat", "not_for_us", "uplink"), verdict


@pytest.mark.uplink
def test_trace_from_outside_to_published_port(vswitchd, topo):
    two_networks(vswitchd, topo)
    vs_ok(vswitchd, "port", "publish", "c2", "8080:80")
    before = port_counters(vswitchd)
    events, verdict = trace(vswitchd, "--from", "uplink:198.51.100.254",
                            "--to", "198.51.100.1:8080", "--proto", "tcp")
    b = events_of(events, "nat", "nat")[0]["binding"]
    assert b["kind"] == "dnat", b
    # the container sees the client's real address (DNAT only)
    assert b["after"] == {"zone": "na", "src": "198.51.100.254", "sport": 40000,
                          "dst": "10.71.0.3", "dport": 80}, b
    assert verdict["decision"] == "forward" and verdict["nat"] == "dnat", verdict
    assert verdict["output"] == ["c2:eth0"], verdict
    assert vs_ok(vswitchd, "conntrack", "ls").strip() == ""
    # Nothing sent, nothing counted.  (Not rx: the kernel behind the host
    # leg, vsw-host, sends its own IPv6 chatter to the switch at any time.)
    after = port_counters(vswitchd)
    assert {n: (tx, d) for n, (_, tx, d) in after.items()} == \
        {n: (tx, d) for n, (_, tx, d) in before.items()}


def test_trace_text_is_rendered_from_events(vswitchd, topo):
    """Without --format json, vsctl renders each event as one line."""
    c2_ip, _ = two_networks(vswitchd, topo)
    out = vs_ok(vswitchd, "trace", "--from", "c1", "--to", c2_ip).splitlines()
    assert out[0] == f"packet: icmp echo 10.71.0.2 -> {c2_ip} from c1 on port c1:eth0", out
    assert "egress: output to port c2:eth0" in out, out
    assert out[-1] == "verdict: forward (output to port c2:eth0)", out


@pytest.mark.uplink
def test_trace_existing_connection(vswitchd, topo):
    """After a real flow from trace's own source port, the trace shows that
    connection's binding (kind existing) and creates nothing more."""
    two_networks(vswitchd, topo)
    out_ip = topo.outside[1]
    topo.ns_exec(topo.prefix + "c1", "/usr/bin/python3", "-c",
                 "import socket, sys; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); "
                 "s.bind(('0.0.0.0', 40000)); s.sendto(b'x', (sys.argv[1], 9999))", out_ip)
    assert wait_for(lambda: "sport=40000" in vs_ok(vswitchd, "conntrack", "ls"), 5)
    before = vs_ok(vswitchd, "conntrack", "ls").splitlines()
    events, verdict = trace(vswitchd, "--from", "c1", "--to", f"{out_ip}:9999", "--proto", "udp")
    b = events_of(events, "nat", "nat")[0]["binding"]
    assert b["kind"] == "existing", b
    assert (b["after"]["zone"], b["after"]["src"], b["after"]["sport"]) == \
        ("uplink", "198.51.100.1", 40000), b
    assert (verdict["decision"], verdict["nat"], verdict["output"]) == \
        ("forward", "existing", ["uplink"]), verdict
    assert len(vs_ok(vswitchd, "conntrack", "ls").splitlines()) == len(before)
