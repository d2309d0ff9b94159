"""test_poll.py - the adaptive poll window and --poll (poll_window.c).

The window may only cost CPU while frames keep coming: at rest, after a
burst that made it open, vswitchd must be back to no wake-ups at all.  That
is checked by counting, not timing: over a window of quiet, the context
switches of every vswitchd thread and its CPU ticks (utime + stime) must
not move.  A poller that never stopped would show hundreds of ticks; a
timer or a wake-up, a context switch.  vsctl is not used inside that
window (its connection would wake the daemon).

--poll is the opposite: while a port exists the loop never sleeps (CPU
ticks grow over the same kind of window), and with no port left it rests.
"""
import os
import signal
import time

import subprocess

import pytest

import topo as topo_mod

import rawframes
from test_hardening import NOBODY, PY, RAWFRAMES, join, pings, send_frames
from vsutil import VALGRIND, make_net, nsx, vsctl_ok, vsjson, wait_for

N = 2000
QUIET = 2.0      # seconds of rest observed (a window for counting, not a bound)


def counters(pid):
    """(context switches of all threads, CPU ticks) of process PID."""
    sw = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{tid}/status") as f:
            for line in f:
                if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                    sw += int(line.split()[1])
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return sw, int(fields[11]) + int(fields[12])


def settled(pid):
    """Wait until a QUIET window passes with no switch and no tick; return
    the last window's deltas (the caller asserts them)."""
    last = None

    def quiet():
        nonlocal last
        a = counters(pid)
        time.sleep(QUIET)
        b = counters(pid)
        last = (b[0] - a[0], b[1] - a[1])
        return last == (0, 0)
    # a conntrack or FDB timer left by the test may still fire once
    wait_for(quiet, timeout=60, interval=0)
    return last


def burst(vswitchd, topo, tmp_path):
    net = make_net(vswitchd, "--subnet", "10.79.0.0/24")
    c1, c2 = (join(vswitchd, topo, net, n) for n in ("c1", "c2"))
    hdr = bytes.fromhex(NOBODY.replace(":", "")) + bytes.fromhex(c1.mac.replace(":", ""))
    frames = [hdr + b"\x88\xb5" + i.to_bytes(4, "big") + bytes(50) for i in range(N)]
    send_frames(vswitchd, c1, frames, tmp_path / "frames", chunk=500)
    return net, c1, c2


def test_adaptive_window_rests_after_a_burst(vswitchd, topo, tmp_path):
    t0 = time.monotonic()
    st = vsjson(vswitchd, "stats")["poll"]
    assert st["mode"] == "adaptive" and st["window_us"] == 150, st
    assert st["budget_pct"] == 10, st
    burst(vswitchd, topo, tmp_path)
    assert settled(vswitchd.pid) == (0, 0)
    st = vsjson(vswitchd, "stats")["poll"]
    assert st["polling"] is False, st
    # the budget: at most 100 ms of polling in any second since the start
    assert st["polled_ms"] <= 100 * (time.monotonic() - t0 + 2), st


def test_full_batch_opens_no_window(vswitchd, topo, tmp_path):
    """Frames that queued while the loop could not run (here: stopped)
    fill the first read: the loop is behind the traffic, and a window
    would save no wake-up, so none opens for that wake-up."""
    net = make_net(vswitchd, "--subnet", "10.82.0.0/24")
    c1, c2 = (join(vswitchd, topo, net, n) for n in ("c1", "c2"))
    assert pings(c1.ns, c2.ip)
    before = vsjson(vswitchd, "stats")["poll"]
    hdr = bytes.fromhex(NOBODY.replace(":", "")) + bytes.fromhex(c1.mac.replace(":", ""))
    path = tmp_path / "frames"
    rawframes.write_frames(path, [hdr + b"\x88\xb5" + bytes(54) for _ in range(100)])
    os.kill(vswitchd.pid, signal.SIGSTOP)
    try:
        r = nsx(c1.ns, PY, RAWFRAMES, "send", "eth0", str(path), check=False, timeout=60)
    finally:
        os.kill(vswitchd.pid, signal.SIGCONT)
    assert r.returncode == 0, r.stderr
    wait_for(lambda: vsjson(vswitchd, "stats")["poll"]["not_opened_full"]
             > before["not_opened_full"], timeout=30)


@pytest.mark.vswitchd_args("--poll-budget", "3")
def test_budget_is_an_option(vswitchd, topo, tmp_path):
    t0 = time.monotonic()
    assert "at most 3% of a core" in vswitchd.log()
    burst(vswitchd, topo, tmp_path)
    st = vsjson(vswitchd, "stats")["poll"]
    assert st["budget_pct"] == 3, st
    assert st["polled_ms"] <= 30 * (time.monotonic() - t0 + 2), st


def test_request_and_reply_stop_opening_windows(vswitchd, topo, tmp_path):
    """A ping every 10 ms: its request and reply come within a window of
    each other, then nothing for 10 ms.  A window after each reply only
    spun (issue 13's ping); after one that caught nothing, the next must
    wait for a second short gap in a row, which a ping never gives.  A
    flood ping (short gaps only) still opens windows that catch frames."""
    net = make_net(vswitchd, "--subnet", "10.81.0.0/24")
    c1, c2 = (join(vswitchd, topo, net, n) for n in ("c1", "c2"))
    assert pings(c1.ns, c2.ip)
    before = vsjson(vswitchd, "stats")["poll"]
    r = nsx(c1.ns, "ping", "-n", "-q", "-c", "100", "-i", "0.01", "-W", "2", c2.ip,
            check=False, timeout=120)
    assert r.returncode == 0, r.stdout
    st = vsjson(vswitchd, "stats")["poll"]
    # before the rule: about one window per ping, each empty
    assert st["windows"] - before["windows"] <= 5, (before, st)
    assert st["windows_empty"] - before["windows_empty"] <= 5, (before, st)
    if VALGRIND:
        return      # memcheck's own pace sets the gaps, not the traffic's
    # a flood ping sends each request as its reply lands: short gaps only
    r = nsx(c1.ns, "ping", "-n", "-q", "-f", "-c", "2000", "-W", "2", c2.ip,
            check=False, timeout=120)
    assert r.returncode == 0, r.stdout
    after = vsjson(vswitchd, "stats")["poll"]
    assert after["windows"] > st["windows"], (st, after)
    assert after["windows"] - after["windows_empty"] > st["windows"] - st["windows_empty"], \
        (st, after)     # some window caught frames


@pytest.mark.vswitchd_args("--poll-window", "0")
def test_window_off(vswitchd, topo, tmp_path):
    burst(vswitchd, topo, tmp_path)
    st = vsjson(vswitchd, "stats")["poll"]
    assert st == {"mode": "off", "window_us": 0, "budget_pct": 10, "windows": 0,
                  "windows_empty": 0, "not_opened_full": 0, "polling": False,
                  "polled_ms": 0, "budget_exhausted": 0}, st
    assert settled(vswitchd.pid) == (0, 0)


@pytest.mark.vswitchd_args("--poll")
def test_busy_poll_spins_while_ports_exist(vswitchd, topo, tmp_path):
    assert "busy polling while ports exist (--poll)" in vswitchd.log()
    net = make_net(vswitchd, "--subnet", "10.80.0.0/24")
    c1, c2 = (join(vswitchd, topo, net, n) for n in ("c1", "c2"))
    assert pings(c1.ns, c2.ip)
    st = vsjson(vswitchd, "stats")["poll"]
    assert st["mode"] == "busy" and st["polling"] is True, st
    a = counters(vswitchd.pid)
    time.sleep(QUIET)
    b = counters(vswitchd.pid)
    assert b[1] > a[1], (a, b)      # it burns CPU at rest, as documented
    for c in (c1, c2):
        vsctl_ok(vswitchd, "network", "disconnect", net, c.name)
    # no port left: the loop sleeps again
    assert settled(vswitchd.pid) == (0, 0)
    assert vsjson(vswitchd, "stats")["poll"]["polling"] is False


def test_bad_window_refused():
    vsd = topo_mod.find_binary("vswitchd")
    if not vsd:
        pytest.skip("vswitchd not built")
    for opt, bad in (("--poll-window", "-1"), ("--poll-window", "1001"),
                     ("--poll-window", "x"), ("--poll-budget", "0"),
                     ("--poll-budget", "101"), ("--poll-budget", "5%")):
        r = subprocess.run([vsd, opt, bad], capture_output=True, text=True, timeout=10)
        assert r.returncode != 0, (opt, bad)
        assert opt in r.stderr, r.stderr
