"""test_ct_ls.py - `conntrack ls` at 100,000 entries does not stop forwarding
(issue 20, audit finding 16).

One container fills the connection table with 100,000 UDP flows to the
outside (raw frames from one source port to many destination ports,
paced on its port's rx counter, so every one reaches the switch), then
`vsctl --format raw conntrack ls` runs while two other containers ping
each other.  The listing must hold every entry, it must have been walked
in steps (conntrack stats' ls_steps: one per 512 table slots, so frames
are read between them), and no ping may be lost.  Nothing is timed: the
counters say the walk was split, the ping says nothing was dropped.
"""
import json
import os
import struct
import subprocess

import pytest
import rawframes
from vsutil import VALGRIND, make_net, nsx, scaled, vsctl_ok, vsjson

pytestmark = pytest.mark.uplink

HERE = os.path.dirname(os.path.abspath(__file__))
RAWFRAMES = os.path.join(HERE, "rawframes.py")
# Under memcheck vswitchd is some thirty times slower: a tenth of the
# entries still makes the listing take many steps while pings cross.
N = 10_000 if VALGRIND else 100_000


def ip_csum(hdr):
    s = sum(struct.unpack("!10H", hdr))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def udp_frames(src_mac, dst_mac, src_ip, n):
    """N frames from SRC_IP:40000 to 203.0.113.{1,2}:{1..}: N flows."""
    frames = []
    src = bytes(int(x) for x in src_ip.split("."))
    eth = bytes.fromhex(dst_mac.replace(":", "")) + bytes.fromhex(src_mac.replace(":", "")) \
        + b"\x08\x00"
    for d in (1, 2):
        hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 28, 0, 0, 64, 17, 0, src,
                          bytes([203, 0, 113, d]))
        hdr = hdr[:10] + struct.pack("!H", ip_csum(hdr)) + hdr[12:]
        for port in range(1, n // 2 + 1):
            frames.append(eth + hdr + struct.pack("!HHHH", 40000, port, 8, 0))
    return frames


def test_listing_100k_entries_keeps_forwarding(vswitchd, topo, tmp_path):
    net = make_net(vswitchd, "--subnet", "10.124.0.0/16")
    ns = {}
    for c in ("c1", "c2", "c3"):
        ns[c] = topo.container(c)
        vsctl_ok(vswitchd, "network", "connect", "--netns", ns[c], net, c)
    ins = vsjson(vswitchd, "network", "inspect", net)[0]
    c1 = ins["Containers"]["c1"]
    gw_mac = ins["GatewayMacAddress"]
    path = tmp_path / "frames"
    rawframes.write_frames(path, udp_frames(c1["MacAddress"], gw_mac,
                                            c1["IPv4Address"].split("/")[0], N))
    r = nsx(ns["c1"], "/usr/bin/python3", RAWFRAMES, "send", "eth0", str(path), "--pace",
            "c1:eth0", json.dumps(vswitchd.vsctl_argv), "--chunk", "512",
            check=False, timeout=600)
    assert r.returncode == 0, r.stderr
    st = vsjson(vswitchd, "conntrack", "stats")
    assert st["entries"] >= N, st
    c3_ip = ins["Containers"]["c3"]["IPv4Address"].split("/")[0]
    steps0 = st["ls_steps"]

    # -W, not -w: with a deadline ping stops at the 200th reply and counts
    # the echoes still in flight as lost (under memcheck dozens are).
    ping = subprocess.Popen(["ip", "netns", "exec", ns["c2"], "ping", "-c", "200", "-i", "0.01",
                             "-W", str(int(scaled(5))), c3_ip], stdout=subprocess.PIPE, text=True)
    ls = subprocess.run(vswitchd.vsctl_argv + ["--timeout", str(int(scaled(30))), "--format",
                                               "raw", "conntrack", "ls"],
                        capture_output=True, text=True, timeout=scaled(300))
    out, _ = ping.communicate(timeout=120)
    assert ls.returncode == 0, ls.stderr[:500]
    entries = json.loads(ls.stdout)
    assert len(entries) >= N
    assert sum(1 for e in entries if e["orig_sport"] == 40000) == N
    st = vsjson(vswitchd, "conntrack", "stats")
    assert st["ls_streams"] >= 1
    assert st["ls_steps"] - steps0 >= N // 512
    assert " 0% packet loss" in out, out
    assert vswitchd.running()
