"""test_ct_restart.py - NAT'd TCP connections survive a vswitchd restart.

Issue 9 item 5b: the conntrack snapshot (src/ct_snapshot.c) keeps every
connection and its NAT binding across a restart, so that a long-lived
connection through the switch neither stalls nor is reset.

Topology (conftest's @pytest.mark.uplink): container c1 on a network of
its own, vswitchd with --uplink afpacket:up0 (198.51.100.1), the outside
host 198.51.100.254 on the uplink segment.  Every name has the test's
prefix; conftest removes all of it, also on failure.

Each flow is a python client that sends a numbered line every 100 ms to
a python echo server and checks the echo; it stops cleanly when the test
creates its stop file and reports any error (a reset, a timeout, a wrong
echo).  The servers log every connection they accept with its peer's
address and port, and how it ended.  Without the snapshot the restarted
switch has no entry for the flows: their next segments are not SYNs, so
they are dropped (ct_invalid / not_for_us) and the flows stall.

Every wait polls against a deadline (functional bound, not a benchmark).
"""
import os

import pytest
from vsutil import connect, make_net, nsx, vsctl_ok, vsjson, wait_for

UPLINK_IP = "198.51.100.1"
PY = "/usr/bin/python3"

ECHO_SERVER = r"""
import socket, sys, threading
log = open(sys.argv[3], "a", buffering=1)
def serve(c, a):
    try:
        f = c.makefile("rb")
        for line in f:
            c.sendall(line)
        why = "eof"
    except OSError as e:
        why = type(e).__name__
    log.write(f"end {a[0]} {a[1]} {why}\n")
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2])))
s.listen(8)
while True:
    c, a = s.accept()
    log.write(f"accept {a[0]} {a[1]}\n")
    threading.Thread(target=serve, args=(c, a), daemon=True).start()
"""

CLIENT = r"""
import os, socket, sys, time
host, port, stop = sys.argv[1], int(sys.argv[2]), sys.argv[4]
log = open(sys.argv[3], "a", buffering=1)
n = 0
try:
    s = socket.create_connection((host, port), timeout=10)
    s.settimeout(60)
    f = s.makefile("rb")
    while not os.path.exists(stop):
        n += 1
        s.sendall(b"%d\n" % n)
        if f.readline() != b"%d\n" % n:
            raise ValueError("wrong echo")
        log.write(f"ok {n}\n")
        time.sleep(0.1)
    s.close()
except Exception as e:
    log.write(f"error {type(e).__name__} {e}\n")
    sys.exit(1)
log.write(f"done {n}\n")
"""


def read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return ""


class Echo:
    """An echo server in NS on IP:PORT, logging its connections."""

    def __init__(self, topo, tmp, ns, ip, port):
        self.log = os.path.join(tmp, f"server-{port}.log")
        topo.spawn(ns, PY, "-c", ECHO_SERVER, ip, port, self.log)
        assert wait_for(lambda: f":{port} " in nsx(ns, "ss", "-ltnH").stdout, 10)

    def accepted(self):
        """(address, port) of each connection accepted so far."""
        return [tuple(l.split()[1:3]) for l in read(self.log).splitlines()
                if l.startswith("accept ")]

    def ends(self):
        return [l.split()[3] for l in read(self.log).splitlines() if l.startswith("end ")]


class Flow:
    """A client in NS sending a line every 100 ms to HOST:PORT."""

    def __init__(self, topo, tmp, name, ns, host, port):
        self.log = os.path.join(tmp, f"flow-{name}.log")
        self.stopfile = os.path.join(tmp, f"flow-{name}.stop")
        self.proc = topo.spawn(ns, PY, "-c", CLIENT, host, port, self.log, self.stopfile)

    def count(self):
        """Lines echoed so far; fails at once on an error."""
        text = read(self.log)
        assert "error" not in text, text
        return text.count("ok ")

    def flowing(self, more, timeout=60):
        """Wait until MORE lines beyond the current count are echoed."""
        n0 = self.count()
        return wait_for(lambda: self.count() >= n0 + more, timeout, interval=0.1)

    def stop(self):
        """Stop cleanly; the client must exit 0 having seen no error."""
        open(self.stopfile, "w").close()
        rc = self.proc.wait(30)
        assert rc == 0 and "done" in read(self.log), read(self.log)


@pytest.fixture
def lab(vswitchd, topo):
    """c1 on a network, an echo server outside (SNAT) and one in c1
    published on the uplink as 7100 (DNAT)."""
    if not vswitchd.uplink:
        pytest.skip("needs the uplink")
    net = make_net(vswitchd, "--subnet", "10.79.0.0/24")
    ns1 = connect(vswitchd, topo, net, "c1")
    out_ns, out_ip = topo.outside
    vsctl_ok(vswitchd, "port", "publish", "c1", "7100:7001")
    return {
        "ns1": ns1, "out_ns": out_ns, "out_ip": out_ip,
        "outside": Echo(topo, vswitchd.tmp, out_ns, out_ip, 7000),
        "inside": Echo(topo, vswitchd.tmp, ns1, "0.0.0.0", 7001),
    }


def ct_stats(vswitchd):
    return vsjson(vswitchd, "conntrack", "stats")


def snapshot_written(vswitchd):
    """Every connection so far is in the snapshot on disk (the lazy
    writer has caught up): what makes a kill -9 safe for them."""
    s = ct_stats(vswitchd)
    return not s["snapshot_pending"] and s["snapshot_writes"] > 0


@pytest.mark.uplink
def test_snat_and_dnat_survive_graceful_restart(vswitchd, topo, lab):
    snat = Flow(topo, vswitchd.tmp, "snat", lab["ns1"], lab["out_ip"], 7000)
    dnat = Flow(topo, vswitchd.tmp, "dnat", lab["out_ns"], UPLINK_IP, 7100)
    assert snat.flowing(5) and dnat.flowing(5)
    [(src, sport)] = lab["outside"].accepted()
    assert src == UPLINK_IP
    [(client, cport)] = lab["inside"].accepted()
    assert client == lab["out_ip"]          # DNAT keeps the client's address

    vswitchd.restart(kill9=False)
    assert ct_stats(vswitchd)["restored"] >= 2, vswitchd.log(tail=50)
    assert snat.flowing(10), read(snat.log)[-300:]
    assert dnat.flowing(10), read(dnat.log)[-300:]
    snat.stop()
    dnat.stop()
    # the same connections all along: one accept each, same ports, and a
    # clean end (no reset)
    assert lab["outside"].accepted() == [(src, sport)]
    assert lab["inside"].accepted() == [(client, cport)]
    assert wait_for(lambda: lab["outside"].ends() == ["eof"] and
                    lab["inside"].ends() == ["eof"], 10), \
        (lab["outside"].ends(), lab["inside"].ends())


@pytest.mark.uplink
def test_new_connection_survives_kill9(vswitchd, topo, lab):
    """A connection made after the last start is only in the lazy
    snapshot: once it is written, a kill -9 does not lose it."""
    snat = Flow(topo, vswitchd.tmp, "snat", lab["ns1"], lab["out_ip"], 7000)
    dnat = Flow(topo, vswitchd.tmp, "dnat", lab["out_ns"], UPLINK_IP, 7100)
    assert snat.flowing(5) and dnat.flowing(5)
    assert wait_for(lambda: snapshot_written(vswitchd), 20), ct_stats(vswitchd)
    # the flows keep refreshing their entries, which alone never makes a
    # write pending: the snapshot holds them now
    assert ct_stats(vswitchd)["snapshot_entries"] >= 2
    [(src, sport)] = lab["outside"].accepted()

    vswitchd.restart(kill9=True)
    assert ct_stats(vswitchd)["restored"] >= 2, vswitchd.log(tail=50)
    assert snat.flowing(10), read(snat.log)[-300:]
    assert dnat.flowing(10), read(dnat.log)[-300:]
    # a new connection after the restart still gets its own port, not
    # the restored one
    other = Flow(topo, vswitchd.tmp, "other", lab["ns1"], lab["out_ip"], 7000)
    assert other.flowing(3)
    for f in (snat, dnat, other):
        f.stop()
    accepted = lab["outside"].accepted()
    assert accepted[0] == (src, sport) and len(accepted) == 2
    assert accepted[1][1] != sport
    assert wait_for(lambda: sorted(lab["outside"].ends()) == ["eof", "eof"], 10)
    assert lab["inside"].ends() == ["eof"]


@pytest.mark.uplink
def test_damaged_snapshot_is_ignored(vswitchd, topo, lab):
    """A damaged snapshot costs the connections, never the start."""
    snat = Flow(topo, vswitchd.tmp, "snat", lab["ns1"], lab["out_ip"], 7000)
    assert snat.flowing(3)
    vswitchd.stop(kill9=False)
    path = os.path.join(vswitchd.state_dir, "conntrack.snap")
    data = bytearray(open(path, "rb").read())
    data[len(data) // 2] ^= 0xff
    open(path, "wb").write(bytes(data))
    vswitchd.start()
    log = vswitchd.log()
    assert "conntrack snapshot ignored, conntrack starts empty" in log
    assert "checksum mismatch" in log
    assert ct_stats(vswitchd)["restored"] == 0
    # the rest of the state came back: the published port is there
    assert "7001/tcp -> 0.0.0.0:7100" in vsctl_ok(vswitchd, "port", "ls", "c1").stdout
    snat.proc.kill()
    snat.proc.wait(10)
