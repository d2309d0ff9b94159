"""test_mld_snoop.py - the containers' IPv6 chatter stays off the flood
(issue 19: MLD snooping, src/mld_snoop.c), end to end.

A third container listens on its interface (an AF_PACKET socket, its own
outgoing frames left out) while two others come up on a --ipv6 network,
resolve each other by link-local and global addresses (ping6 both ways)
and one sends a router solicitation: it must receive no IPv6 frame of
theirs at all (no MLD report, no DAD probe, no neighbour solicitation,
no router solicitation), and the switch's counters (`stats`,
"mld_snoop") say where those frames went.  After a vswitchd restart,
once the table has refilled (each port gets a general query when it
comes up), the two resolve each other again with empty neighbour caches,
now through the table.  A network without --ipv6 (link-local only, the
default in containers) resolves by link-local through the table too.

Each step waits on a condition (wait_for), never on time; the capture is
closed by a broadcast barrier: frames of one port are switched in order.
"""
import os

from vsutil import nsx, vsjson, wait_for, make_net, connect, uniq

SNIFF = r"""
import socket, sys
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
s.bind(("eth0", 0))
out = open(sys.argv[1], "a", buffering=1)
out.write("ready\n")
while True:
    fr, a = s.recvfrom(65535)
    if a[2] == 4:       # PACKET_OUTGOING: the container's own
        continue
    out.write(f"{fr[6:12].hex(':')} {fr[0:6].hex(':')} {fr[12:14].hex()}\n")
"""

# A router solicitation from the interface's link-local address (the
# kernel fills in the checksum of an ICMPv6 raw socket).
SEND_RS = r"""
import socket
s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, 255)
s.sendto(bytes([133, 0, 0, 0, 0, 0, 0, 0]), ("ff02::2", 0, 0, socket.if_nametoindex("eth0")))
"""


def snoop(vswitchd, net):
    return vsjson(vswitchd, "stats")["mld_snoop"][net]


def settled(vswitchd, net):
    return not snoop(vswitchd, net)["settling"]


def mac_of(ns):
    return nsx(ns, "cat", "/sys/class/net/eth0/address").stdout.strip()


def lladdr(ns):
    out = nsx(ns, "ip", "-6", "-o", "addr", "show", "dev", "eth0", "scope", "link").stdout
    return out.split()[3].split("/")[0] + "%eth0"


def global6(ns):
    out = nsx(ns, "ip", "-6", "-o", "addr", "show", "dev", "eth0", "scope", "global").stdout
    return out.split()[3].split("/")[0]


def ping6(ns, ip):
    return nsx(ns, "ping", "-6", "-n", "-c", "1", "-W", "1", ip, check=False).returncode == 0


def resolve_both_ways(ns1, ns2, addrs):
    """ping6 each address of the other container, both ways."""
    for a, b in ((ns1, ns2), (ns2, ns1)):
        for addr in addrs(b):
            assert wait_for(lambda: ping6(a, addr), 10), f"{a} cannot ping6 {addr}"


class Sniffer:
    """Frames a container receives: (source MAC, destination MAC, type)."""

    def __init__(self, topo, ns, path):
        self.path = path
        self.proc = topo.spawn(ns, "/usr/bin/python3", "-c", SNIFF, path)
        assert wait_for(lambda: "ready" in self.text(), 10), "sniffer did not start"

    def text(self):
        return open(self.path).read() if os.path.exists(self.path) else ""

    def frames(self):
        return [tuple(line.split()) for line in self.text().splitlines()[1:]
                if len(line.split()) == 3]

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)


def barrier(ns, bcast, sniffer, mac):
    """A broadcast from NS; wait until SNIFFER got it: every earlier frame
    of NS's port that was going to reach it has."""
    def got():
        nsx(ns, "ping", "-b", "-n", "-c", "1", "-W", "1", bcast, check=False)
        return (mac, "ff:ff:ff:ff:ff:ff", "0800") in sniffer.frames()
    assert wait_for(got, 10), f"no broadcast from {ns} reached the sniffer"


def test_chatter_not_delivered_and_restart(vswitchd, topo, tmp_path):
    net = make_net(vswitchd, "--ipv6", "--subnet", "10.66.0.0/24",
                   "--subnet", "fd00:66::/64")
    c1, c2, c3 = uniq("c"), uniq("c"), uniq("c")
    ns3 = connect(vswitchd, topo, net, c3)
    # the table is made with the first port; members-only once it settled
    assert wait_for(lambda: settled(vswitchd, net), 10)
    sniff = Sniffer(topo, ns3, str(tmp_path / "c3.frames"))
    ns1 = connect(vswitchd, topo, net, c1)
    ns2 = connect(vswitchd, topo, net, c2)
    mac1, mac2 = mac_of(ns1), mac_of(ns2)
    resolve_both_ways(ns1, ns2, lambda ns: (global6(ns), lladdr(ns)))
    nsx(ns1, "/usr/bin/python3", "-c", SEND_RS)
    barrier(ns1, "10.66.0.255", sniff, mac1)
    barrier(ns2, "10.66.0.255", sniff, mac2)
    sniff.stop()
    # Not counted: a container's probe for its own link-local address (to
    # 33:33:ff + its MAC's last 3 bytes) that Linux happened to send before
    # the report joining that group reached the switch: a group nobody is
    # listed in is flooded, by design (mld_snoop.c); seen once under memcheck.
    own_dad = {m: "33:33:ff:" + m[9:] for m in (mac1, mac2)}
    leaked = [f for f in sniff.frames() if f[0] in (mac1, mac2) and f[2] == "86dd"
              and f[1] != own_dad[f[0]]]
    assert leaked == [], f"c3 received IPv6 frames of c1/c2: {leaked}"
    st = snoop(vswitchd, net)
    assert st["reports"] >= 2 and st["joins"] >= 4, st      # two groups each
    assert st["to_members"] >= 2, st                         # c1 -> c2, c2 -> c1
    assert st["rs_to_gateway"] >= 1, st
    assert st["reports_flooded"] == 0 and st["bad"] == 0, st
    assert st["queries_sent"] >= 3, st                       # one per port

    vswitchd.restart(kill9=False)
    resolve_both_ways(ns1, ns2, lambda ns: (global6(ns), lladdr(ns)))
    # the table refills from the query each port got (and TAP links that
    # bounced); then, with empty neighbour caches, resolution goes by it
    assert wait_for(lambda: settled(vswitchd, net) and
                    snoop(vswitchd, net)["listed"] >= 6, 15), snoop(vswitchd, net)
    for ns in (ns1, ns2):
        nsx(ns, "ip", "-6", "neigh", "flush", "dev", "eth0")
    resolve_both_ways(ns1, ns2, lambda ns: (global6(ns), lladdr(ns)))
    st = snoop(vswitchd, net)
    assert st["to_members"] >= 2, st


def test_link_local_only_network(vswitchd, topo):
    """No --ipv6: the containers' link-local addresses, the bench's case."""
    net = make_net(vswitchd, "--subnet", "10.67.0.0/24")
    c1, c2 = uniq("c"), uniq("c")
    ns1 = connect(vswitchd, topo, net, c1)
    assert wait_for(lambda: settled(vswitchd, net), 10)
    ns2 = connect(vswitchd, topo, net, c2)
    resolve_both_ways(ns1, ns2, lambda ns: (lladdr(ns),))
    st = snoop(vswitchd, net)
    # c1's solicitation for c2 (c2 learns c1 from it and asks nothing)
    assert st["to_members"] >= 1 and st["reports"] >= 2, st
    # no IPv6 gateway, and RA guard silences both: their solicitations stop here
    assert st["rs_to_gateway"] == 0 and st["rs_to_open_ports"] == 0, st
    assert wait_for(lambda: snoop(vswitchd, net)["rs_absorbed"] >= 1, 15)
