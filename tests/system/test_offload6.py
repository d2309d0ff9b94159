"""test_offload6.py - TSO6 across the switch (issue 14 part 7).

TAP ports offer TSO6 to the container's kernel; a TCPv6 GSO frame crosses
the switch whole to a port that takes offloads, and is cut into segments
in software (port_offload_tso6) for a port without them.  For each pair
(on to on, on to off, off to on) iperf3 over IPv6 between two containers
of a --ipv6 network must move data, the receiving kernels must count no
TCP checksum errors (nstat TcpInCsumErrors), the port counters must show
the path taken, and a raw socket in the receiver sees GSO frames only
where its port takes offloads.  No timed assertions.
"""
import json
import subprocess

import pytest
from vsutil import nsx, vsjson, uniq, wait_for, make_net, connect, csum_errors

MTU = 1500
# A packet socket inside the receiver: the largest TCPv6 frame seen.
MAX_FRAME6 = r"""
import socket, sys, time
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x86dd))
s.bind(("eth0", 0))
s.settimeout(0.5)
big, n, end = 0, 0, time.monotonic() + float(sys.argv[1])
while time.monotonic() < end:
    try:
        f = s.recv(70000)
    except socket.timeout:
        continue
    if len(f) > 54 and f[20] == 6:
        big, n = max(big, len(f)), n + 1
print(big, n, flush=True)
"""


def ip6_of(vswitchd, net, ctr):
    ep = vsjson(vswitchd, "network", "inspect", net)[0]["Containers"][ctr]
    return ep["IPv6Address"].split("/")[0]


def port_stats(vswitchd, ctr):
    for p in vsjson(vswitchd, "stats")["ports"]:
        if p["container"] == ctr:
            return p
    raise AssertionError(f"no port for {ctr}")


def iperf6(ns_c, ns_s, ip, seconds=2):
    srv = subprocess.Popen(["ip", "netns", "exec", ns_s, "iperf3", "-s", "-1"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert wait_for(lambda: ":5201 " in nsx(ns_s, "ss", "-ltnH").stdout, 10)
        r = nsx(ns_c, "iperf3", "-6", "-c", ip, "-t", str(seconds), "-J",
                check=False, timeout=30)
        assert r.returncode == 0, r.stdout[-500:] + r.stderr
        return json.loads(r.stdout)["end"]["sum_received"]["bytes"]
    finally:
        srv.kill()
        srv.wait()


def largest_frame_during(ns_rx, action, seconds=4):
    mon = subprocess.Popen(["ip", "netns", "exec", ns_rx, "/usr/bin/python3", "-c",
                            MAX_FRAME6, str(seconds)],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        action()
        out, _ = mon.communicate(timeout=seconds + 10)
    finally:
        if mon.poll() is None:
            mon.kill()
            mon.wait()
    big, n = (int(x) for x in out.split())
    return big, n


@pytest.mark.parametrize("tx_off,rx_off", [(False, False), (False, True), (True, False)],
                         ids=["on-to-on", "on-to-off", "off-to-on"])
def test_tcp6_across_offload_settings(vswitchd, topo, tx_off, rx_off):
    net = make_net(vswitchd, "--ipv6")
    c1, c2 = uniq("c"), uniq("c")
    ns1 = connect(vswitchd, topo, net, c1, "tap", *(["--no-offload"] if tx_off else []))
    ns2 = connect(vswitchd, topo, net, c2, "tap", *(["--no-offload"] if rx_off else []))
    ip6 = ip6_of(vswitchd, net, c2)
    # The container's kernel was offered TSO6 (unless --no-offload).
    k = nsx(ns1, "ethtool", "-k", "eth0").stdout
    assert ("tx-tcp6-segmentation: on" in k) is not tx_off, k
    assert wait_for(lambda: nsx(ns1, "ping", "-6", "-c1", "-W1", ip6,
                                check=False).returncode == 0, 10)

    big, n = largest_frame_during(ns2, lambda: iperf6(ns1, ns2, ip6) > 0)
    assert n > 0
    assert csum_errors(ns2) == 0 and csum_errors(ns1) == 0

    tx, rx = port_stats(vswitchd, c1), port_stats(vswitchd, c2)
    if tx_off:
        assert tx["rx_gso"] == 0
        assert rx["tx_gso"] == 0 and rx["sw_segments"] == 0
        assert big <= MTU + 14
    elif rx_off:
        assert tx["rx_gso"] > 0, "the sender's TSO6 frames did not reach the switch"
        assert rx["sw_segments"] > 0 and rx["tx_gso"] == 0
        assert big <= MTU + 14, f"a frame of {big} bytes reached a port without offloads"
    else:
        assert tx["rx_gso"] > 0 and rx["tx_gso"] > 0
        assert rx["sw_segments"] == 0 and rx["sw_csum"] == 0
        assert big > MTU + 14, "no TSO6 frame crossed the switch whole"
    assert not rx["drops"].get("gso_segment")
    assert not tx["drops"].get("mtu")


def test_tso6_off_in_container(vswitchd, topo):
    """The container turns TSO6 off itself (ethtool): its kernel segments,
    nothing is left for the switch to cut, data still flows."""
    net = make_net(vswitchd, "--ipv6")
    c1, c2 = uniq("c"), uniq("c")
    ns1 = connect(vswitchd, topo, net, c1)
    ns2 = connect(vswitchd, topo, net, c2, "tap", "--no-offload")
    nsx(ns1, "ethtool", "-K", "eth0", "tx-tcp6-segmentation", "off")
    ip6 = ip6_of(vswitchd, net, c2)
    assert wait_for(lambda: nsx(ns1, "ping", "-6", "-c1", "-W1", ip6,
                                check=False).returncode == 0, 10)
    assert iperf6(ns1, ns2, ip6) > 0
    assert csum_errors(ns2) == 0
    assert port_stats(vswitchd, c2)["sw_segments"] == 0
