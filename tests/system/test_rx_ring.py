"""test_rx_ring.py - the AF_PACKET port's TPACKET_V2 receive ring
(pkt_ring.c, port_afpacket.c) and its recvmmsg fallback (--no-rx-ring).

With the ring, a veth port reads small frames from the ring's slots
(rx_ring) and a TSO frame too big for a 2 KB slot whole from the socket's
queue at its slot's place (rx_ring_copy): every frame the port received
is one or the other, the GSO frames still cross the switch whole (a raw
capture in the receiver sees frames longer than the MTU) and no slot is
dropped as rx_ring_bad or rx_ring_cut.  With --no-rx-ring the same
traffic takes recvmmsg and the ring counters stay 0.  The uplink
(`--uplink afpacket:up0`) reads through a ring too, and NAT carries a TSO
download from the outside host through it.  A port whose interface goes
down and up again (a socket error behind the ring) keeps working.
Throughput is not checked, only where the frames went.
"""
import json
import os
import subprocess

import pytest
from test_offload import MTU, iperf, ip_of, largest_frame_during, port_stats
from vsutil import connect, make_net, nsx, uniq, vsjson, wait_for

RING_LOG = "AF_PACKET rx: TPACKET_V2 ring"
NO_RING_LOG = "AF_PACKET rx: recvmmsg (--no-rx-ring)"


def veth_pair(vswitchd, topo):
    """Two veth containers on a new network; (c1, c2, ns1, ns2, ip2)."""
    net = make_net(vswitchd)
    c1, c2 = uniq("c"), uniq("c")
    ns1 = connect(vswitchd, topo, net, c1, "veth")
    ns2 = connect(vswitchd, topo, net, c2, "veth")
    ip2 = ip_of(vswitchd, net, c2)
    assert wait_for(lambda: nsx(ns1, "ping", "-c1", "-W1", ip2, check=False).returncode == 0, 10)
    return c1, c2, ns1, ns2, ip2


def no_ring_drops(p):
    assert not p["drops"].get("rx_ring_bad") and not p["drops"].get("rx_ring_cut"), p


def test_ring_reads_small_frames_and_gso_whole(vswitchd, topo):
    if os.environ.get("VS_NO_RX_RING"):
        pytest.skip("the suite's --no-rx-ring run")
    assert RING_LOG in vswitchd.log()
    assert "no rx ring" not in vswitchd.log()
    c1, c2, ns1, ns2, ip2 = veth_pair(vswitchd, topo)
    before = port_stats(vswitchd, c1)
    nsx(ns1, "ping", "-c", "20", "-i", "0.01", "-q", ip2)
    after = port_stats(vswitchd, c1)
    assert after["rx_ring"] >= before["rx_ring"] + 20, (before, after)

    big, n = largest_frame_during(ns2, lambda: iperf(ns1, ns2, ip2) > 0)
    assert n > 0
    tx, rx = port_stats(vswitchd, c1), port_stats(vswitchd, c2)
    assert tx["rx_ring_copy"] > 0 and tx["rx_gso"] > 0, tx
    assert big > MTU + 14, "no GSO frame crossed the switch whole"
    assert rx["rx_ring"] > 0, rx        # the receiver's ACKs
    for p in (tx, rx):
        assert p["rx_packets"] == p["rx_ring"] + p["rx_ring_copy"], p
        no_ring_drops(p)
        assert not p["drops"].get("gso_segment"), p


@pytest.mark.vswitchd_args("--no-rx-ring")
def test_no_rx_ring_falls_back_to_recvmmsg(vswitchd, topo):
    assert NO_RING_LOG in vswitchd.log()
    assert RING_LOG not in vswitchd.log()
    c1, c2, ns1, ns2, ip2 = veth_pair(vswitchd, topo)
    big, n = largest_frame_during(ns2, lambda: iperf(ns1, ns2, ip2) > 0)
    assert n > 0
    assert big > MTU + 14, "no GSO frame crossed the switch whole"
    tx, rx = port_stats(vswitchd, c1), port_stats(vswitchd, c2)
    assert tx["rx_gso"] > 0, tx
    for p in (tx, rx):
        assert p["rx_packets"] > 0 and p["rx_ring"] == 0 and p["rx_ring_copy"] == 0, p
        no_ring_drops(p)


def host_end(vswitchd, ns):
    """The name of the switch's end of the veth whose peer is NS's eth0."""
    idx = nsx(ns, "cat", "/sys/class/net/eth0/iflink").stdout.strip()
    r = nsx(vswitchd.ns, "ip", "-o", "link", "show")
    for line in r.stdout.splitlines():
        num, name = line.split(":")[:2]
        if num.strip() == idx:
            return name.strip().split("@")[0]
    raise AssertionError(f"no interface {idx} in {vswitchd.ns}")


def test_ring_port_survives_link_down(vswitchd, topo):
    """Down and up again on the switch's end: the socket error (ENETDOWN)
    waits behind the ring until a receive call takes it; afterwards the
    port reads again."""
    c1, c2, ns1, ns2, ip2 = veth_pair(vswitchd, topo)
    dev = host_end(vswitchd, ns1)
    nsx(vswitchd.ns, "ip", "link", "set", dev, "down")
    nsx(vswitchd.ns, "ip", "link", "set", dev, "up")
    assert wait_for(lambda: nsx(ns1, "ping", "-c1", "-W1", ip2, check=False).returncode == 0, 20)
    before = port_stats(vswitchd, c1)
    nsx(ns1, "ping", "-c", "5", "-i", "0.05", "-q", ip2)
    after = port_stats(vswitchd, c1)
    assert after["rx_packets"] >= before["rx_packets"] + 5, (before, after)
    if not os.environ.get("VS_NO_RX_RING"):
        assert after["rx_ring"] >= before["rx_ring"] + 5, (before, after)


def uplink_stats(vswitchd):
    for p in vsjson(vswitchd, "stats")["ports"]:
        if p["name"] == "uplink":
            return p
    raise AssertionError("no uplink port")


@pytest.mark.uplink
def test_uplink_ring_carries_a_tso_download(vswitchd, topo):
    """iperf3 -R from a container to the outside host, whose veth sends
    TSO frames: they come in through the uplink's ring (its queue for the
    big ones), are un-NATed whole and reach the container."""
    out_ns, out_ip = topo.outside
    out_dev = topo.prefix + "ub"
    nsx(out_ns, "ethtool", "-K", out_dev, "tx", "on", "tso", "on")
    net = make_net(vswitchd)
    c1 = uniq("c")
    ns1 = connect(vswitchd, topo, net, c1, "veth")
    assert wait_for(lambda: nsx(ns1, "ping", "-c1", "-W1", out_ip, check=False).returncode == 0, 10)
    got = iperf_reverse(ns1, out_ns, out_ip)
    assert got > 0
    up = uplink_stats(vswitchd)
    assert up["rx_packets"] > 0
    # A TSO download fills the 4 MB rcvbuf with 64 KB copies; on a slow
    # build (the sanitizers' once) the kernel may have to cut a few super-
    # frames: counted as rx_ring_cut by design, and TCP sends them again.
    # A bad slot never; cuts only as the exception.
    assert not up["drops"].get("rx_ring_bad"), up
    assert up["drops"].get("rx_ring_cut", 0) * 10 <= max(up["rx_ring_copy"], 10), up
    if os.environ.get("VS_NO_RX_RING"):
        assert up["rx_ring"] == 0 and up["rx_ring_copy"] == 0, up
    else:
        assert up["rx_ring"] > 0 and up["rx_ring_copy"] > 0, up
        assert up["rx_packets"] == up["rx_ring"] + up["rx_ring_copy"], up
    assert up["rx_gso"] > 0, up


def iperf_reverse(ns_c, ns_s, ip):
    """Bytes the client in NS_C received from the server in NS_S (-R)."""
    srv = subprocess.Popen(["ip", "netns", "exec", ns_s, "iperf3", "-s", "-1"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert wait_for(lambda: ":5201 " in nsx(ns_s, "ss", "-ltnH").stdout, 10)
        r = nsx(ns_c, "iperf3", "-c", ip, "-R", "-t", "2", "-J", check=False, timeout=30)
        assert r.returncode == 0, r.stdout[-500:] + r.stderr
        return json.loads(r.stdout)["end"]["sum_received"]["bytes"]
    finally:
        srv.kill()
        srv.wait()
