"""test_ports.py - container ports: TAP and veth+AF_PACKET, the interface
inside the namespace, disconnect, namespace death and restart adoption.

Uses the `vswitchd` and `topo` fixtures of conftest.py: vswitchd runs in a
namespace of its own, containers are namespaces made by `topo`.  Every
wait polls against a deadline (a functional bound, not a benchmark).
"""
import json
import time

import pytest
from vsutil import (sh, nsx, vsctl_ok, vsjson, uniq, wait_for, make_net, connect,
                    HttpServer, http_get)


def ip_json(ns, *args):
    return json.loads(sh("ip", "-n", ns, "-j", *args).stdout or "[]")


def link(ns, ifname):
    for l in ip_json(ns, "addr", "show"):
        if l["ifname"] == ifname:
            return l
    return None


def default_route(ns):
    for r in ip_json(ns, "-4", "route", "show"):
        if r.get("dst") == "default":
            return r
    return None


def veth_host_name(ctr, net):
    """The switch's veth end, as netns_veth_name() names it (FNV-1a)."""
    h = 2166136261
    for b in ctr.encode() + b"\xff" + net.encode():
        h = ((h ^ b) * 16777619) & 0xffffffff
    return f"vs{h:08x}"


def endpoint_of(vswitchd, net, ctr):
    return vsjson(vswitchd, "network", "inspect", net)[0]["Containers"][ctr]


def pings(ns, ip, count=1, wait=1):
    return nsx(ns, "ping", "-c", str(count), "-W", str(wait), ip,
               check=False).returncode == 0


def test_interface_config_inside_namespace(vswitchd, topo):
    net = make_net(vswitchd, "--subnet", "10.231.0.0/24", "--mtu", "1400")
    net2 = make_net(vswitchd, "--subnet", "10.232.0.0/24")
    c1 = uniq("c")
    ns = connect(vswitchd, topo, net, c1)
    ep = endpoint_of(vswitchd, net, c1)
    ip, prefix = ep["IPv4Address"].split("/")

    l = link(ns, "eth0")
    assert l is not None, "eth0 missing in the container"
    assert l["mtu"] == 1400
    assert "UP" in l["flags"]
    octets = [int(o) for o in ip.split(".")]
    assert l["address"] == "02:42:" + ":".join(f"{o:02x}" for o in octets)
    addrs = [(a["local"], a["prefixlen"]) for a in l["addr_info"] if a["family"] == "inet"]
    assert addrs == [(ip, int(prefix))]
    assert prefix == "24"
    r = default_route(ns)
    assert r and r["gateway"] == "10.231.0.1" and r["dev"] == "eth0"

    # A second network adds eth1 and leaves the default route alone.
    connect(vswitchd, topo, net2, c1)
    assert link(ns, "eth1") is not None
    r = default_route(ns)
    assert r and r["gateway"] == "10.231.0.1" and r["dev"] == "eth0"

    vsctl_ok(vswitchd, "network", "disconnect", net2, c1)
    assert link(ns, "eth1") is None
    assert link(ns, "eth0") is not None


@pytest.mark.parametrize("attach", ["tap", "veth"])
def test_ping_and_tcp(vswitchd, topo, attach):
    net = make_net(vswitchd)
    c1, c2 = uniq("c"), uniq("c")
    ns1 = connect(vswitchd, topo, net, c1, attach)
    ns2 = connect(vswitchd, topo, net, c2, attach)
    ip2 = endpoint_of(vswitchd, net, c2)["IPv4Address"].split("/")[0]
    assert wait_for(lambda: pings(ns1, ip2), 5), f"{attach}: c1 cannot ping c2"
    srv = HttpServer(ns2)
    try:
        assert http_get(ns1, f"http://{ip2}:8080/") == "200"
    finally:
        srv.stop()


@pytest.mark.parametrize("attach", ["tap", "veth"])
def test_disconnect_removes_interface(vswitchd, topo, attach):
    net = make_net(vswitchd)
    c1 = uniq("c")
    ns = connect(vswitchd, topo, net, c1, attach)
    assert link(ns, "eth0") is not None
    if attach == "veth":
        assert link(vswitchd.ns, veth_host_name(c1, net)) is not None
    vsctl_ok(vswitchd, "network", "disconnect", net, c1)
    assert link(ns, "eth0") is None
    # Nothing left behind on the switch's side either.
    assert link(vswitchd.ns, veth_host_name(c1, net)) is None


@pytest.mark.parametrize("attach", ["tap", "veth"])
def test_namespace_death_frees_endpoint(vswitchd, topo, attach):
    net = make_net(vswitchd, "--subnet", "10.233.0.0/24")
    doomed = uniq("tdead")
    sh("ip", "netns", "add", doomed)
    try:
        vsctl_ok(vswitchd, "network", "connect", "--netns", doomed, "--attach", attach,
                 "--ip", "10.233.0.50", net, doomed)
        sh("ip", "netns", "del", doomed)

        def gone():
            return doomed not in vsjson(vswitchd, "network", "inspect", net)[0]["Containers"]
        assert wait_for(gone, 10), "endpoint still there after its namespace died"
        # The address is free again.
        c2 = uniq("c")
        connect(vswitchd, topo, net, c2, attach, "--ip", "10.233.0.50")
    finally:
        sh("ip", "netns", "del", doomed, check=False)


@pytest.mark.parametrize("attach", ["tap", "veth"])
def test_restart_keeps_interfaces_and_traffic(vswitchd, topo, attach):
    net = make_net(vswitchd)
    c1, c2 = uniq("c"), uniq("c")
    ns1 = connect(vswitchd, topo, net, c1, attach)
    ns2 = connect(vswitchd, topo, net, c2, attach)
    ip2 = endpoint_of(vswitchd, net, c2)["IPv4Address"].split("/")[0]
    assert wait_for(lambda: pings(ns1, ip2), 5)
    before = link(ns1, "eth0")

    vswitchd.restart(kill9=True)
    t0 = time.monotonic()
    ok = wait_for(lambda: pings(ns1, ip2, wait=1), 2.0)
    assert ok, "traffic did not come back within 2 s of the restart"
    assert time.monotonic() - t0 < 3.0

    after = link(ns1, "eth0")
    assert after is not None and after["address"] == before["address"]
    assert [a["local"] for a in after["addr_info"] if a["family"] == "inet"] == \
        [a["local"] for a in before["addr_info"] if a["family"] == "inet"]
    assert link(ns2, "eth0") is not None
    srv = HttpServer(ns2)
    try:
        assert http_get(ns1, f"http://{ip2}:8080/") == "200"
    finally:
        srv.stop()
