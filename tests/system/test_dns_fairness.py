"""test_dns_fairness.py - one container's DNS flood does not starve another's
lookups (issue 20, audit finding 20).

The flooder is a container without port security, so it can send from any
source address: before the fix every claimed address got a bucket of its
own (64 queries in flight each, 400 of burst), so 32 forged addresses
filled the forwarder's 1024 slots and everyone else got SERVFAIL.  Limits
now follow the port a query comes in on, so the flooder is one client: at
most 64 of its queries are ever in flight, the rest are dropped and
counted, and a neighbour's lookup is answered.

The upstream is a stub on loopback in vswitchd's namespace that answers
names starting with "good" and never answers the others, so the
flooder's queries stay in flight for the forwarder's whole timeout.  The
flood runs in the background for the whole check (scapy, raw frames from
the container); every wait polls against a deadline, nothing is timed.
"""
import subprocess

from test_dns import Bg, connect, free_udp_port, gateway_of, with_upstreams
from vsutil import make_net, nsx, uniq, vsjson, wait_for

STUB = r"""
import socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", int(sys.argv[1])))
while True:
    q, a = s.recvfrom(4096)
    i, labels = 12, []
    while q[i]:
        labels.append(q[i + 1:i + 1 + q[i]])
        i += 1 + q[i]
    if not labels or not labels[0].startswith(b"good"):
        continue                      # a slow name: never answered
    end = i + 5
    hdr = struct.pack("!HHHHHH", struct.unpack("!H", q[:2])[0], 0x8180, 1, 1, 0, 0)
    rr = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 60, 4) + socket.inet_aton("192.0.2.9")
    s.sendto(hdr + q[12:end] + rr, a)
"""

# 32 forged source addresses x 64 slow names, sent again and again.
FLOOD = r"""
import sys
from scapy.all import IP, UDP, DNS, DNSQR, conf, send
gw = sys.argv[1]
pkts = [IP(src="10.99.%d.%d" % (i // 64, i %% 64 + 1), dst=gw) /
        UDP(sport=40000 + i, dport=53) /
        DNS(id=i, qd=DNSQR(qname="slow%%d.example" %% i)) for i in range(2048)]
s = conf.L3socket()
while True:
    for p in pkts:
        s.send(p)
""".replace("%%", "%")


def dns_stats(vs):
    return vsjson(vs, "stats")["dns"]


def test_spoofing_flooder_does_not_starve_lookups(vswitchd, topo):
    port = free_udp_port()
    nsx(vswitchd.ns, "ip", "link", "set", "lo", "up")
    stub = Bg(vswitchd.ns, "/usr/bin/python3", "-c", STUB, str(port))
    flood = None
    try:
        with_upstreams(vswitchd, [f"127.0.0.1:{port}"])
        net = make_net(vswitchd)
        bad = connect(vswitchd, topo, net, uniq("fl1x"), "--no-port-security")
        good = connect(vswitchd, topo, net, uniq("fl2x"))
        gw = gateway_of(vswitchd, net)
        # The stub answers: a lookup works before the flood.
        r = nsx(good, "dig", "+time=3", "+tries=2", f"@{gw}", "good0.example", "+short",
                check=False)
        assert r.stdout.split() == ["192.0.2.9"], r.stdout
        flood = Bg(bad, "/usr/bin/python3", "-c", FLOOD, gw)
        # The flooder is held at its in-flight cap and the rest is dropped.
        assert wait_for(lambda: dns_stats(vswitchd)["dropped_inflight"] +
                        dns_stats(vswitchd)["dropped_flood"] >= 1000, 60), dns_stats(vswitchd)
        for i in range(1, 4):
            st = dns_stats(vswitchd)
            assert st["pending"] <= 64, st
            r = nsx(good, "dig", "+time=3", "+tries=2", f"@{gw}", f"good{i}.example",
                    "+short", check=False)
            assert r.stdout.split() == ["192.0.2.9"], (r.stdout, dns_stats(vswitchd))
        assert flood.p.poll() is None, flood.p.stderr.read()
        assert dns_stats(vswitchd)["pending"] <= 64
    finally:
        if flood:
            flood.stop()
        stub.stop()
