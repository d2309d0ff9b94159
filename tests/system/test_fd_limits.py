"""test_fd_limits.py - nobody outside can spend vswitchd's file descriptors
(issue 20, audit finding 2).

The proxy for published ports holds an fd per UDP client and two per TCP
connection, for anyone who can reach the port.  Here vswitchd runs with
an open-file limit of 1024 (soft and hard, as under a small systemd
limit), and clients on loopback in its namespace flood a published UDP
port from many source ports and many source addresses (127.0.0.0/8 is all
local).  The proxy must stay within its share of the limit (fd_budget.c:
half) and each source within a quarter of that, count every refusal,
close refused TCP connections at once rather than leave them in the
backlog, and root's vsctl (which needs fds for its connection and for the
state save) must keep working.

Counts are bounded (a few thousand datagrams); nothing here measures time.
"""
import json
import os
import shlex

import pytest
from topo import valgrind_argv
from vsutil import VALGRIND, make_net, nsx, scaled, vsctl_ok, vsjson, wait_for

pytestmark = pytest.mark.uplink

LIMIT = 1024

UDP_ECHO = r"""
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", int(sys.argv[1])))
while True:
    d, a = s.recvfrom(65535)
    s.sendto(d, a)
"""

# N datagrams to 127.0.0.1:PORT, each from a socket of its own (so a new
# source port), from the source addresses given; sockets are closed as
# they go, so the sender needs few fds itself.  PACE seconds between
# datagrams: 0, but under memcheck vswitchd reads so slowly that an
# unpaced flood mostly overflows its socket's buffer in the kernel, and
# the new flows the test is about never reach it.
FLOOD = r"""
import socket, sys, time
port, n, pace = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
srcs = sys.argv[4:]
for i in range(n):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((srcs[i % len(srcs)], 0))
    s.sendto(b"x", ("127.0.0.1", port))
    s.close()
    if pace:
        time.sleep(pace)
print("sent", n)
"""
PACE = "0.003" if VALGRIND else "0"
# ... and so fewer datagrams, still more than a source's cap (1) and the
# proxy's share (2), so that the first flows are young when the last come
FLOOD_1, FLOOD_2 = ("300", "960") if VALGRIND else ("1500", "3000")

# Connect to 127.0.0.1:PORT and report whether the proxy closed it (EOF or
# reset) or kept it; the 5 s (scaled under memcheck) is a functional bound
# on a hang.
TCP_PROBE = r"""
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=float(sys.argv[3]),
                             source_address=(sys.argv[2], 0))
try:
    print("closed" if s.recv(1) == b"" else "data")
except ConnectionResetError:
    print("closed")
except socket.timeout:
    print("open")
"""


def fds_of(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def proxy_stats(vs):
    return vsjson(vs, "stats")["proxy"]


@pytest.fixture
def small_limit(vswitchd):
    """vswitchd restarted with RLIMIT_NOFILE 1024:1024, set by a wrapper
    script (the test process keeps its own limit: lowering a hard limit
    cannot be undone without CAP_SYS_RESOURCE).  Under VSW_VALGRIND the
    wrapper runs memcheck itself, inside the limit: run the other way round,
    memcheck would check the shell and vswitchd would run unchecked."""
    wrapper = os.path.join(vswitchd.tmp, "vswitchd-limited")
    run = shlex.join(valgrind_argv(vswitchd.tmp) + [vswitchd.bin]) if VALGRIND else vswitchd.bin
    with open(wrapper, "w") as f:
        f.write(f"#!/bin/sh\nulimit -n {LIMIT}\nexec {run} \"$@\"\n")
    os.chmod(wrapper, 0o755)
    vswitchd.bin = wrapper
    vswitchd.bin_runs_valgrind = VALGRIND
    vswitchd.restart(kill9=False)
    return vswitchd


def test_udp_flood_stays_within_the_proxy_share(small_limit, topo):
    vs = small_limit
    fds = vsjson(vs, "stats")["fds"]
    limit = fds["limit"]
    # memcheck keeps a few descriptors at the top of the limit for itself
    # and lowers the limit its client sees by as many
    assert limit == LIMIT or (VALGRIND and LIMIT - 16 <= limit < LIMIT), fds
    share = fds["proxy"]["share"]       # half, in eighths (fd_budget.c)
    assert share == limit // 8 * 4, fds
    net = make_net(vs, "--subnet", "10.122.0.0/24")
    ns = topo.container("c2")
    vsctl_ok(vs, "network", "connect", "--netns", ns, net, "c2")
    topo.spawn(ns, "/usr/bin/python3", "-c", UDP_ECHO, "7000")
    topo.spawn(ns, "/usr/bin/python3", "-m", "http.server", "80")
    assert wait_for(lambda: ":80 " in nsx(ns, "ss", "-Htln").stdout, 10)
    vsctl_ok(vs, "port", "publish", "c2", "7000:7000/udp", "8080:80/tcp")
    base = fds_of(vs.pid)

    # 1. one source, FLOOD_1 source ports: held to the per-source cap
    nsx(vs.ns, "/usr/bin/python3", "-c", FLOOD, "7000", FLOOD_1, PACE, "127.0.0.1", timeout=60)
    st = wait_for(lambda: (lambda s: s if s["udp_refused_source_cap"] > 0 else None)(
        proxy_stats(vs)), 10)
    assert st, proxy_stats(vs)
    cap = st["source_cap_fds"]
    assert cap == share // 4
    assert st["udp_flows"] <= cap
    assert fds_of(vs.pid) <= base + cap + 8
    vsctl_ok(vs, "network", "create", "--subnet", "10.122.1.0/24", "tnfd1")

    # 2. sixteen sources: held to the proxy's share, the reserve untouched
    srcs = [f"127.0.9.{i}" for i in range(1, 17)]
    nsx(vs.ns, "/usr/bin/python3", "-c", FLOOD, "7000", FLOOD_2, PACE, *srcs, timeout=60)
    st = wait_for(lambda: (lambda s: s if s["udp_refused_budget"] > 0 else None)(
        proxy_stats(vs)), 10)
    assert st, proxy_stats(vs)
    assert st["udp_flows"] <= share
    assert vsjson(vs, "stats")["fds"]["proxy"]["used"] <= share
    assert fds_of(vs.pid) < limit - 256
    # root still gets in, and the state is still saved
    vsctl_ok(vs, "network", "create", "--subnet", "10.122.2.0/24", "tnfd2")
    vsctl_ok(vs, "network", "rm", "tnfd2")
    with open(os.path.join(vs.state_dir, "state.json")) as f:
        assert "tnfd1" in json.dumps(json.load(f))

    # 3. TCP while the share is spent: refused at once, never left waiting
    # in the backlog (where it made the accept watcher spin)
    r = nsx(vs.ns, "/usr/bin/python3", "-c", TCP_PROBE, "8080", "127.0.10.1", str(scaled(5)))
    assert r.stdout.strip() == "closed"
    st = proxy_stats(vs)
    assert st["tcp_refused_budget"] >= 1
    # and a source at its cap is refused for that reason
    r = nsx(vs.ns, "/usr/bin/python3", "-c", TCP_PROBE, "8080", "127.0.0.1", str(scaled(5)))
    assert r.stdout.strip() == "closed"
    assert proxy_stats(vs)["tcp_refused_source_cap"] >= 1
    assert st["accept_paused"] == 0
    assert vs.running()
