"""test_offload.py - GSO frames and partial checksums across the switch.

Every combination of a sender and a receiver with offloads on or off
(`network connect --no-offload`), over TAP and over veth + AF_PACKET:
- TCP (iperf3) and HTTP (curl) must work, and the receiving kernel must
  count no checksum errors (nstat TcpInCsumErrors): it verified every
  checksum the switch finished or left for it to finish;
- the port counters must show the path the frames took: sent whole
  (rx_gso on the sender's port, tx_gso on the receiver's), or segmented
  and finished in software for a receiver without offloads (sw_segments,
  sw_csum), never both;
- a receiver without offloads must see no frame longer than its MTU, and
  one with offloads must see at least one GSO frame (longer than the MTU)
  in a raw capture inside it: the frames really crossed whole.
No timed assertions: throughput is not checked, only that data arrived.
"""
import json
import subprocess

import pytest
from vsutil import nsx, vsjson, uniq, wait_for, make_net, connect, csum_errors

MTU = 1500
# A packet socket inside the receiver; prints the largest TCP frame seen.
MAX_FRAME = r"""
import socket, sys, time
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800))
s.bind(("eth0", 0))
s.settimeout(0.5)
big, n, end = 0, 0, time.monotonic() + float(sys.argv[1])
while time.monotonic() < end:
    try:
        f = s.recv(70000)
    except socket.timeout:
        continue
    if len(f) > 34 and f[23] == 6:
        big, n = max(big, len(f)), n + 1
print(big, n, flush=True)
"""


def ip_of(vswitchd, net, ctr):
    ep = vsjson(vswitchd, "network", "inspect", net)[0]["Containers"][ctr]
    return ep["IPv4Address"].split("/")[0]


def port_stats(vswitchd, ctr):
    for p in vsjson(vswitchd, "stats")["ports"]:
        if p["container"] == ctr:
            return p
    raise AssertionError(f"no port for {ctr}")


def iperf(ns_c, ns_s, ip, seconds=2):
    srv = subprocess.Popen(["ip", "netns", "exec", ns_s, "iperf3", "-s", "-1"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert wait_for(lambda: ":5201 " in nsx(ns_s, "ss", "-ltnH").stdout, 10)
        r = nsx(ns_c, "iperf3", "-c", ip, "-t", str(seconds), "-J",
                check=False, timeout=30)
        assert r.returncode == 0, r.stdout[-500:] + r.stderr
        return json.loads(r.stdout)["end"]["sum_received"]["bytes"]
    finally:
        srv.kill()
        srv.wait()


def http_bytes(ns_c, ns_s, ip):
    srv = subprocess.Popen(
        ["ip", "netns", "exec", ns_s, "/usr/bin/python3", "-m", "http.server",
         "8080", "--bind", "0.0.0.0", "--directory", "/usr/share/doc"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert wait_for(lambda: ":8080 " in nsx(ns_s, "ss", "-ltnH").stdout, 10)
        r = nsx(ns_c, "curl", "-s", "-o", "/dev/null", "-w", "%{http_code} %{size_download}",
                "--max-time", "10", f"http://{ip}:8080/", check=False, timeout=15)
        code, size = r.stdout.split()
        assert code == "200"
        return int(size)
    finally:
        srv.kill()
        srv.wait()


def largest_frame_during(ns_rx, action, seconds=4):
    """Run ACTION while a raw socket in NS_RX watches; (largest TCP frame, count)."""
    mon = subprocess.Popen(["ip", "netns", "exec", ns_rx, "/usr/bin/python3", "-c",
                            MAX_FRAME, str(seconds)],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        action()
        out, err = mon.communicate(timeout=seconds + 10)
    finally:
        if mon.poll() is None:
            mon.kill()
            mon.wait()
    big, n = (int(x) for x in out.split())
    return big, n


@pytest.mark.parametrize("attach", ["tap", "veth"])
@pytest.mark.parametrize("tx_off,rx_off", [(False, False), (False, True), (True, False)],
                         ids=["on-to-on", "on-to-off", "off-to-on"])
def test_tcp_across_offload_settings(vswitchd, topo, attach, tx_off, rx_off):
    net = make_net(vswitchd)
    c1, c2 = uniq("c"), uniq("c")
    ns1 = connect(vswitchd, topo, net, c1, attach, *(["--no-offload"] if tx_off else []))
    ns2 = connect(vswitchd, topo, net, c2, attach, *(["--no-offload"] if rx_off else []))
    ip2 = ip_of(vswitchd, net, c2)
    assert wait_for(lambda: nsx(ns1, "ping", "-c1", "-W1", ip2, check=False).returncode == 0, 5)

    big, n = largest_frame_during(ns2, lambda: iperf(ns1, ns2, ip2) > 0)
    assert n > 0
    assert http_bytes(ns1, ns2, ip2) > 0
    assert csum_errors(ns2) == 0 and csum_errors(ns1) == 0

    tx, rx = port_stats(vswitchd, c1), port_stats(vswitchd, c2)
    assert tx["offload"] is not tx_off and rx["offload"] is not rx_off
    if tx_off:
        # The sender's kernel did the work: nothing to carry or finish.
        assert tx["rx_gso"] == 0
        assert rx["tx_gso"] == 0 and rx["sw_segments"] == 0
        assert big <= MTU + 14
    elif rx_off:
        assert tx["rx_gso"] > 0, "the sender's TSO frames did not reach the switch"
        assert rx["sw_segments"] > 0 and rx["tx_gso"] == 0
        assert big <= MTU + 14, f"a frame of {big} bytes reached a port without offloads"
    else:
        assert tx["rx_gso"] > 0 and rx["tx_gso"] > 0
        assert rx["sw_segments"] == 0 and rx["sw_csum"] == 0
        assert big > MTU + 14, "no GSO frame crossed the switch whole"
    assert not rx["drops"].get("gso_segment")


def test_connect_shows_offload_setting(vswitchd, topo):
    net = make_net(vswitchd)
    c1, c2 = uniq("c"), uniq("c")
    connect(vswitchd, topo, net, c1)
    connect(vswitchd, topo, net, c2, "tap", "--no-offload")
    eps = {c["name"]: c["endpoints"][0] for c in vsjson(vswitchd, "container", "ls")}
    assert eps[c1]["offload"] is True and eps[c2]["offload"] is False
    show = vswitchd.vsctl("show").stdout
    assert f"{c2} eth0" in show and "no offload" in show
    # The container's interface says the same as the switch.
    ns2 = topo.containers[c2]
    k = nsx(ns2, "ethtool", "-k", "eth0").stdout
    assert "tcp-segmentation-offload: off" in k
    k = nsx(topo.containers[c1], "ethtool", "-k", "eth0").stdout
    assert "tcp-segmentation-offload: on" in k
