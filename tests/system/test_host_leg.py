"""test_host_leg.py - containers do not reach the host leg's kernel address
(issue 20, audit finding 21).

The host leg (uplink.c) joins the switch to the kernel of vswitchd's own
namespace (169.254.169.1) so that the proxy of published ports has a way
in.  Before, a container's packet to 169.254.169.1 was SNAT'd and sent
down the host leg like any outside destination, and reached services of
vswitchd's namespace bound to 0.0.0.0.  Now only the replies of the
proxy's connections leave by the host leg; a container's own packets are
dropped and counted (`host_leg` on its port).

The listener in vswitchd's namespace is sent a marker datagram over
loopback after the switch has counted every drop, so "nothing arrived
before the marker" is exact, without waiting for silence.  Then a
published port through the proxy still works both ways.
"""
import random
import subprocess

import pytest
from vsutil import HttpServer, http_get, make_net, nsx, vsctl_ok, vsjson, uniq, wait_for

pytestmark = pytest.mark.uplink

PY = "/usr/bin/python3"
LISTEN = ("import socket, sys\n"
          "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
          "s.bind(('0.0.0.0', int(sys.argv[1])))\n"
          "print('ready', flush=True)\n"
          "while True:\n"
          "    d, a = s.recvfrom(100)\n"
          "    print('got', a[0], d.decode(), flush=True)\n")
SEND = ("import socket, sys\n"
        "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
        "for i in range(int(sys.argv[3])):\n"
        "    s.sendto(b'x%d' % i, (sys.argv[1], int(sys.argv[2])))\n")


def host_leg_drops(vs, port):
    for p in vsjson(vs, "stats")["ports"]:
        if p["name"] == port:
            return p["drops"].get("host_leg", 0)
    return 0


def test_container_cannot_reach_host_leg(vswitchd, topo):
    port = random.randrange(21000, 29000)
    nsx(vswitchd.ns, "ip", "link", "set", "lo", "up")
    lis = topo.spawn(vswitchd.ns, PY, "-u", "-c", LISTEN, port,
                     stdout=subprocess.PIPE, text=True)
    assert lis.stdout.readline().strip() == "ready"
    net = make_net(vswitchd)
    ctr = uniq("hl1x")
    ns = topo.container(ctr)
    vsctl_ok(vswitchd, "network", "connect", "--netns", ns, net, ctr)
    nsx(ns, PY, "-c", SEND, "169.254.169.1", str(port), "5")
    assert wait_for(lambda: host_leg_drops(vswitchd, f"{ctr}:eth0") >= 5, 20), \
        vsjson(vswitchd, "stats")["ports"]
    nsx(vswitchd.ns, PY, "-c", SEND, "127.0.0.1", str(port), "1")
    assert lis.stdout.readline().split() == ["got", "127.0.0.1", "x0"]

    # The proxy's way in still works: a published port answers.
    srv = HttpServer(ns, 8080)
    try:
        vsctl_ok(vswitchd, "port", "publish", ctr, "18683:8080")
        assert wait_for(lambda: http_get(vswitchd.ns, "http://127.0.0.1:18683/") == "200", 20)
    finally:
        srv.stop()
    assert host_leg_drops(vswitchd, f"{ctr}:eth0") == 5
