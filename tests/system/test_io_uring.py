"""test_io_uring.py - batched TAP writes (port_uring.c) and their fallback.

A frame flooded from c1 reaches c2 and c3 in one flush, two TAP frames:
with io_uring they go out in one submission and each port counts them in
tx_batched; with --no-io-uring (or on a host without io_uring) every frame
takes a write() and tx_batched stays 0.  Either way every frame must
arrive, once, and nothing may be counted as dropped.  A single frame (a
ping to a known neighbour) keeps its plain write() even with io_uring.

Exact counting: the sender is paced on c1's rx counter (rawframes.py), and
a barrier frame sent last tells the counters in c2 and c3 that every
earlier frame has arrived (frames of one port are switched in order).
"""
import os

import pytest

from test_hardening import NOBODY, FrameCounter, join, pings, ports, send_frames
from vsutil import make_net

N = 600


def io_uring_allowed():
    try:
        with open("/proc/sys/kernel/io_uring_disabled") as f:
            return f.read().strip() == "0"
    except OSError:
        return True     # older kernels have no switch: io_uring is on


def flood(vswitchd, topo, tmp_path):
    """Three containers; c1 floods N frames (and a barrier) to a MAC
    nobody has.  Return (c1, c2, c3, frames counted at c2, at c3)."""
    net = make_net(vswitchd, "--subnet", "10.77.0.0/24")
    c1, c2, c3 = (join(vswitchd, topo, net, n) for n in ("c1", "c2", "c3"))
    marker, barrier = f"uring-{topo.prefix}", f"barrier-{topo.prefix}"
    cnt = [FrameCounter(topo, c, marker, barrier) for c in (c2, c3)]
    hdr = rawframes_eth(NOBODY, c1.mac)
    frames = [hdr + b"\x88\xb5" + marker.encode() + i.to_bytes(4, "big") + bytes(40)
              for i in range(N)]
    frames.append(hdr + b"\x88\xb5" + barrier.encode() + bytes(40))
    send_frames(vswitchd, c1, frames, tmp_path / "frames")
    return c1, c2, c3, [c.result() for c in cnt]


def rawframes_eth(dst, src):
    return bytes.fromhex(dst.replace(":", "")) + bytes.fromhex(src.replace(":", ""))


def check_delivered(got):
    for g in got:
        assert g == {"marked": N, "barrier": True}, got


def test_flood_goes_out_in_batches(vswitchd, topo, tmp_path):
    if os.environ.get("VS_NO_IO_URING"):
        pytest.skip("the suite's --no-io-uring run (VS_NO_IO_URING)")
    if not io_uring_allowed():
        pytest.skip("io_uring is disabled on this host (kernel.io_uring_disabled)")
    assert "TAP tx: io_uring, one submission per flush" in vswitchd.log()
    c1, c2, c3, got = flood(vswitchd, topo, tmp_path)
    check_delivered(got)
    st = ports(vswitchd)
    for c in (c2, c3):
        p = st[c.port]
        # every flooded frame went to two TAPs at once: all batched
        assert p["tx_batched"] >= N + 1, p
        assert p["tx_batched"] <= p["tx_packets"], p
        assert not p["drops"], p


def test_single_frame_keeps_write(vswitchd, topo, tmp_path):
    if os.environ.get("VS_NO_IO_URING") or not io_uring_allowed():
        pytest.skip("needs io_uring")
    net = make_net(vswitchd, "--subnet", "10.78.0.0/24")
    c1, c2 = (join(vswitchd, topo, net, n) for n in ("c1", "c2"))
    assert pings(c1.ns, c2.ip)      # ARP learnt both ways (a broadcast)
    before = ports(vswitchd)[c2.port]
    assert pings(c1.ns, c2.ip)
    after = ports(vswitchd)[c2.port]
    assert after["tx_packets"] > before["tx_packets"]
    assert after["tx_batched"] == before["tx_batched"], (before, after)


@pytest.mark.vswitchd_args("--no-io-uring")
def test_no_io_uring_falls_back_to_write(vswitchd, topo, tmp_path):
    assert "TAP tx: a write() per frame (--no-io-uring)" in vswitchd.log()
    assert "TAP tx: io_uring, one" not in vswitchd.log()
    c1, c2, c3, got = flood(vswitchd, topo, tmp_path)
    check_delivered(got)
    st = ports(vswitchd)
    for c in (c2, c3):
        p = st[c.port]
        assert p["tx_batched"] == 0, p
        assert p["tx_packets"] >= N + 1, p
        assert not p["drops"], p
    assert pings(c1.ns, c3.ip)
