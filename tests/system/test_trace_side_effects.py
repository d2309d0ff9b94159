"""test_trace_side_effects.py - `vsctl trace` changes nothing (issue 20,
audit finding 21).

A trace runs the real stage functions on a dry-run frame.  Before, a traced
DNS query spent the container's DNS tokens and moved the resolver's
counters, so enough traces could rate-limit a container's real lookups.
Here a container is traced many times towards the resolver and towards
the outside (through NAT), and the resolver's counters, the DNS bucket
(a real lookup after more traces than its burst still works), the
conntrack counters and the connection table must be as before.
"""
import pytest
from test_dns import connect, gateway_of
from vsutil import make_net, nsx, uniq, vsjson

pytestmark = pytest.mark.uplink

OUTSIDE = "198.51.100.254"      # the uplink's outside host (topo.py)


def test_trace_leaves_dns_and_conntrack_alone(vswitchd, topo):
    net = make_net(vswitchd)
    ctr = uniq("tr1x")
    ns = connect(vswitchd, topo, net, ctr)
    gw = gateway_of(vswitchd, net)
    dns0 = vsjson(vswitchd, "stats")["dns"]
    ct0 = vsjson(vswitchd, "conntrack", "stats")
    # 450 traced queries: more than the bucket's burst of 400
    for i in range(450):
        res = vsjson(vswitchd, "trace", "--from", ctr, "--to", f"{gw}:53", "--proto", "udp")
        assert any(e["stage"] == "dns" for e in res["events"]), res
    for proto in ("udp", "tcp", "icmp"):
        to = OUTSIDE if proto == "icmp" else f"{OUTSIDE}:7777"
        res = vsjson(vswitchd, "trace", "--from", ctr, "--to", to, "--proto", proto)
        assert res["verdict"]["output"] == ["uplink"], res["verdict"]
    assert vsjson(vswitchd, "stats")["dns"] == dns0
    assert vsjson(vswitchd, "conntrack", "stats") == ct0
    assert vsjson(vswitchd, "conntrack", "ls") == []
    # the bucket is full: a burst of real queries is all answered
    r = nsx(ns, "dig", "+time=2", "+tries=2", f"@{gw}", ctr, "+short")
    assert r.stdout.split() == [vsjson(vswitchd, "network", "inspect", net)[0]
                                ["Containers"][ctr]["IPv4Address"].split("/")[0]]
