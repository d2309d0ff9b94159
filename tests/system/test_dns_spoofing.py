"""test_dns_spoofing.py - forged upstream answers never reach a container
(issue 20, audit finding 3; RFC 5452).

The upstream here is a stub on loopback in vswitchd's namespace that is
also the attacker, in the strongest position an off-path spoofer can
reach: it knows the query's source port (it saw the query), sends from
the upstream's own address and port, and has only the ID and the
question left to guess.  Every forged answer it sends (wrong IDs, then
the right ID with another question) must be dropped and counted
(`upstream_mismatch`), and the container must get the real answer sent
after them.  It also checks that every query leaves from a source port of
its own.

The forged answers go in batches, each counted before the next is sent,
so no socket buffer overflows and the count is exact.  Bounded: a few
hundred datagrams.  Waits poll against deadlines; nothing is timed.
"""
import subprocess

import pytest
from test_dns import connect, free_udp_port, gateway_of, with_upstreams
from vsutil import make_net, nsx, uniq, vsjson, wait_for

STUB = r"""
import random, socket, struct, sys, threading
port = int(sys.argv[1])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", port))
last = {}

def question_end(q):
    i = 12
    while q[i]:
        i += 1 + q[i]
    return i + 5

def answer(q, qid, ip, qname_flip=False):
    end = question_end(q)
    question = bytearray(q[12:end])
    if qname_flip:
        question[1] ^= 0x20 if chr(question[1]).isalpha() else 1
        question[2] = ord("q")
    hdr = struct.pack("!HHHHHH", qid, 0x8180, 1, 1, 0, 0)
    rr = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 60, 4) + socket.inet_aton(ip)
    return hdr + bytes(question) + rr

def rx():
    while True:
        q, a = s.recvfrom(4096)
        qid = struct.unpack("!H", q[:2])[0]
        new = "q" not in last or last["q"][:2] != q[:2] or last["a"] != a
        last.update(q=q, a=a, id=qid)
        if new:
            print("query", a[1], qid, flush=True)

threading.Thread(target=rx, daemon=True).start()
print("ready", flush=True)
for line in sys.stdin:
    cmd = line.split()
    q, a, qid = last["q"], last["a"], last["id"]
    if cmd[0] == "forge":
        ids = random.sample([i for i in range(65536) if i != qid], int(cmd[1]))
        for i in ids:
            s.sendto(answer(q, i, "6.6.6.6"), a)
    elif cmd[0] == "wrongq":
        for _ in range(int(cmd[1])):
            s.sendto(answer(q, qid, "6.6.6.6", qname_flip=True), a)
    elif cmd[0] == "real":
        s.sendto(answer(q, qid, "192.0.2.7"), a)
    print("done", flush=True)
"""


class Stub:
    """The upstream-and-attacker, driven over its stdin."""

    def __init__(self, topo, ns, port):
        self.p = topo.spawn(ns, "/usr/bin/python3", "-u", "-c", STUB, port,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.queries = []
        assert self.line() == "ready"

    def line(self):
        return self.p.stdout.readline().strip()

    def wait_query(self):
        """The next new query's (source port, ID)."""
        while True:
            w = self.line().split()
            if w and w[0] == "query":
                self.queries.append((int(w[1]), int(w[2])))
                return self.queries[-1]

    def do(self, *cmd):
        self.p.stdin.write(" ".join(map(str, cmd)) + "\n")
        self.p.stdin.flush()
        while True:
            w = self.line().split()
            if w and w[0] == "query":
                self.queries.append((int(w[1]), int(w[2])))
            elif w == ["done"]:
                return


def mismatches(vs):
    return vsjson(vs, "stats")["dns"]["upstream_mismatch"]


def test_forged_answers_rejected_and_ports_random(vswitchd, topo):
    port = free_udp_port()
    with_upstreams(vswitchd, [f"127.0.0.1:{port}"])
    stub = Stub(topo, vswitchd.ns, port)
    net = make_net(vswitchd)
    c1 = connect(vswitchd, topo, net, uniq("s1x"))
    gw = gateway_of(vswitchd, net)
    dig = topo.spawn(c1, "dig", "+time=8", "+tries=1", f"@{gw}", "victim.example", "+short",
                     stdout=subprocess.PIPE, text=True)
    sport, qid = stub.wait_query()
    assert sport != port
    sent = 0
    for batch in (100, 100, 100):
        stub.do("forge", batch)
        sent += batch
        assert wait_for(lambda: mismatches(vswitchd) == sent, 10), (mismatches(vswitchd), sent)
    stub.do("wrongq", 5)
    sent += 5
    assert wait_for(lambda: mismatches(vswitchd) == sent, 10), (mismatches(vswitchd), sent)
    stub.do("real")
    out, _ = dig.communicate(timeout=30)
    assert out.split() == ["192.0.2.7"], out
    assert mismatches(vswitchd) == sent
    assert vsjson(vswitchd, "stats")["dns"]["upstream_answers"] == 1

    # every query from a port of its own, drawn at random
    for i in range(5):
        d = topo.spawn(c1, "dig", "+time=8", "+tries=1", f"@{gw}", f"n{i}.example", "+short",
                       stdout=subprocess.PIPE, text=True)
        stub.wait_query()
        stub.do("real")
        assert d.communicate(timeout=30)[0].split() == ["192.0.2.7"]
    ports = [p for p, _ in stub.queries]
    assert len(set(ports)) == len(ports) == 6, ports
