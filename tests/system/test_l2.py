"""test_l2.py - L2 switching and the per-network gateway, end to end.

Containers (namespaces from the `topo` fixture) on vswitchd networks ping
each other, are isolated across networks until connected to both, reach
the gateway also under --no-icc, see ICMP errors instead of silence, and
`fdb show` / `fdb flush` / aging behave.  Every wait polls against a
deadline (a functional bound, not a benchmark).
"""
import pytest
from vsutil import (nsx, vsctl_ok, vsjson, uniq, wait_for, make_net, connect,
                    HttpServer, http_get)


def ping(ns, ip, count=1, wait=1, ttl=None):
    cmd = ["ping", "-n", "-c", str(count), "-W", str(wait)]
    if ttl:
        cmd += ["-t", str(ttl)]
    return nsx(ns, *cmd, ip, check=False)


def pings(ns, ip, **kw):
    return ping(ns, ip, **kw).returncode == 0


def ip_of(vswitchd, net, ctr):
    c = vsjson(vswitchd, "network", "inspect", net)[0]["Containers"][ctr]
    return c["IPv4Address"].split("/")[0], c["MacAddress"]


def gateway_of(vswitchd, net):
    return vsjson(vswitchd, "network", "inspect", net)[0]["IPAM"]["Config"][0]["Gateway"]


def fdb(vswitchd, net):
    return vsjson(vswitchd, "fdb", "show", net)


def test_default_network_ping(vswitchd, topo):
    c1, c2 = uniq("c"), uniq("c")
    ns1 = connect(vswitchd, topo, "bridge", c1)
    connect(vswitchd, topo, "bridge", c2)
    ip2, _ = ip_of(vswitchd, "bridge", c2)
    assert ip2.startswith("172.17.")
    assert wait_for(lambda: pings(ns1, ip2), 5), "c1 cannot ping c2 on bridge"


@pytest.mark.parametrize("attach", ["tap", "veth"])
def test_isolation_then_connect(vswitchd, topo, attach):
    neta, netb = make_net(vswitchd), make_net(vswitchd)
    c1, c2 = uniq("c"), uniq("c")
    ns1 = connect(vswitchd, topo, neta, c1, attach)
    ns2 = connect(vswitchd, topo, netb, c2, attach)
    ip2, _ = ip_of(vswitchd, netb, c2)
    gw_a = gateway_of(vswitchd, neta)
    assert wait_for(lambda: pings(ns1, gw_a), 5), "gateway of A does not answer"
    # Different networks: no L2 path, and the gateway does not route.
    r = ping(ns1, ip2, count=2, wait=1)
    assert r.returncode != 0, "c1 reached c2 across networks"
    assert "Unreachable" in r.stdout, "no ICMP unreachable, just silence"

    connect(vswitchd, topo, netb, c1, attach)
    assert wait_for(lambda: pings(ns1, ip2), 5), "no traffic after connect via eth1"
    srv = HttpServer(ns2)
    try:
        assert http_get(ns1, f"http://{ip2}:8080/") == "200"
    finally:
        srv.stop()


def test_gateway_answers_and_routes(vswitchd, topo):
    net = make_net(vswitchd, "--subnet", "10.241.0.0/24")
    c1 = uniq("c")
    ns1 = connect(vswitchd, topo, net, c1)
    assert wait_for(lambda: pings(ns1, "10.241.0.1"), 5), "gateway does not answer ping"
    # TTL 1 towards the outside: time exceeded from the gateway.
    r = ping(ns1, "192.0.2.1", ttl=1)
    assert "Time to live exceeded" in r.stdout
    assert "10.241.0.1" in r.stdout
    # An address of the subnet nobody has: host unreachable.
    r = ping(ns1, "10.241.0.200")
    assert r.returncode != 0


def test_no_icc(vswitchd, topo):
    net = make_net(vswitchd, "--no-icc", "--subnet", "10.242.0.0/24")
    c1, c2 = uniq("c"), uniq("c")
    ns1 = connect(vswitchd, topo, net, c1)
    connect(vswitchd, topo, net, c2)
    ip2, _ = ip_of(vswitchd, net, c2)
    assert wait_for(lambda: pings(ns1, "10.242.0.1"), 5), "gateway blocked by --no-icc"
    assert not pings(ns1, ip2, count=2), "--no-icc let c1 reach c2"


def test_fdb_show_and_flush(vswitchd, topo):
    net = make_net(vswitchd)
    c1, c2 = uniq("c"), uniq("c")
    ns1 = connect(vswitchd, topo, net, c1)
    connect(vswitchd, topo, net, c2, "veth")
    ip2, mac2 = ip_of(vswitchd, net, c2)
    _, mac1 = ip_of(vswitchd, net, c1)
    assert wait_for(lambda: pings(ns1, ip2), 5)
    rows = {r["mac"]: r for r in fdb(vswitchd, net)}
    assert rows[mac1]["kind"] == "learned" and c1 in rows[mac1]["port"]
    assert rows[mac2]["kind"] == "learned" and c2 in rows[mac2]["port"]
    assert all(r["network"] == net for r in rows.values())
    assert any(r["kind"] == "gateway" for r in rows.values())
    assert rows[mac1]["age"] < 10
    # The table view in the default format names the MACs too.
    assert mac1 in vsctl_ok(vswitchd, "fdb", "show", net).stdout

    out = vsjson(vswitchd, "fdb", "flush", net)
    assert out["flushed"] >= 2

    # A container's late ARP probe or IPv6 chatter may be learned again
    # between the flush and the listing: flush again before giving up.
    def flushed_empty():
        vsjson(vswitchd, "fdb", "flush", net)
        return not [r for r in fdb(vswitchd, net) if r["kind"] == "learned"]
    assert wait_for(flushed_empty, 5, interval=0.2)
    assert wait_for(lambda: pings(ns1, ip2), 5), "no traffic after a flush"
    r = vswitchd.vsctl("fdb", "show", uniq("nonet"))
    assert r.returncode == 1 and r.stderr.startswith("vsctl: error: ")


@pytest.mark.vswitchd_args("--fdb-aging", "2")
def test_fdb_aging(vswitchd, topo):
    net = make_net(vswitchd)
    c1, c2 = uniq("c"), uniq("c")
    ns1 = connect(vswitchd, topo, net, c1)
    connect(vswitchd, topo, net, c2)
    ip2, mac2 = ip_of(vswitchd, net, c2)
    assert wait_for(lambda: pings(ns1, ip2), 5)
    assert mac2 in [r["mac"] for r in fdb(vswitchd, net)]

    def aged():
        return mac2 not in [r["mac"] for r in fdb(vswitchd, net)]
    assert wait_for(aged, 10, interval=0.5), "idle MAC did not age out"
