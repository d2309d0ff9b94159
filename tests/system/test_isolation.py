"""test_isolation.py - one container cannot reach into another's network,
or out of its own: the datapath findings of the security audit (issue 20:
VLAN hopping, IPv6 router advertisements and neighbour spoofing, the uplink
neighbour cache, blind RSTs, fragmentation needed, foreign ICMP errors),
end to end against the real daemon.

Each test builds the audit's reproduction (doc/../shared research notes,
"security-audit.md") in namespaces of its own: a misbehaving container
sends crafted frames with scapy out of its eth0, and the test checks what
arrived elsewhere and what the switch counted, by reason.  A frame that
must not arrive is judged with a barrier (rawframes.py): an honest frame
sent after it on the same path, so once the barrier is in, everything
that was going to arrive has.  No test sleeps for a verdict.
"""
import json
import types

import pytest
import rawframes  # noqa: F401  (used through test_hardening's helpers)
import topo as topo_mod
from test_hardening import FrameCounter, drops_delta, join, ports
from vsutil import make_net, nsx, vsjson, wait_for

PY = "/usr/bin/python3"
UPLINK_IP = topo_mod.UPLINK_IP
OUTSIDE_IP = topo_mod.OUTSIDE_IP


def outside(topo):
    """The outside host as FrameCounter wants it: its namespace, and the
    name of its end of the uplink veth."""
    return types.SimpleNamespace(ns=topo.outside[0], iface=topo.prefix + "ub")


def gw_mac(vswitchd, net):
    return vsjson(vswitchd, "network", "inspect", net)[0]["GatewayMacAddress"]


def scapy_send(ns, iface, code, *args):
    """Run scapy CODE in NS with `frames` to build; it sends them out of
    IFACE in order."""
    prog = ("import sys\nfrom scapy.all import *\nconf.verb = 0\nargv = sys.argv[1:]\n"
            "frames = []\n" + code + f"\nsendp(frames, iface={iface!r})\n")
    r = nsx(ns, PY, "-c", prog, *args, check=False, timeout=60)
    assert r.returncode == 0, r.stderr


class Counter(FrameCounter):
    """FrameCounter on any interface (FrameCounter's is always eth0)."""

    def __init__(self, topo, ns, iface, marker, barrier, timeout=30):
        import subprocess
        self.p = topo.spawn(ns, PY, rawframes.__file__, "count", iface, marker, barrier,
                            str(timeout), stdout=subprocess.PIPE, text=True)
        assert self.p.stdout.readline().strip() == "ready"


# ------------------------------------------------------------ finding 4

VLAN_OUT = r"""
c_mac, c_ip, gmac, dst, marker, barrier, n = argv
for i in range(int(n)):
    frames.append(Ether(src=c_mac, dst=gmac) / Dot1Q(vlan=42, prio=5) /
                  IP(src=c_ip, dst=dst) / UDP(sport=4444, dport=9999) / Raw(marker.encode()))
    frames.append(Ether(src=c_mac, dst=gmac, type=0x88a8) / Dot1Q(vlan=7) /
                  IP(src=c_ip, dst=dst) / UDP(sport=4444, dport=9999) / Raw(marker.encode()))
frames.append(Ether(src=c_mac, dst=gmac) / IP(src=c_ip, dst=dst) /
              UDP(sport=4444, dport=9999) / Raw(barrier.encode()))
"""

VLAN_IN = r"""
smac, umac, uip, marker, barrier, n = argv
for i in range(int(n)):
    frames.append(Ether(src=smac, dst=umac) / Dot1Q(vlan=42) / IP(dst=uip) /
                  ICMP(id=77, seq=i) / Raw(marker.encode()))
frames.append(Ether(src=smac, dst=umac) / IP(dst=uip) / ICMP(id=77, seq=999) /
              Raw(barrier.encode()))
"""


@pytest.mark.uplink
def test_vlan_tagged_frames_never_routed(vswitchd, topo):
    """Audit finding 4: a container's 802.1Q (or 802.1ad) frame to the
    gateway used to leave the uplink after NAT with the container's VLAN
    id.  Now every tagged frame is dropped at ingress as vlan_tagged, and
    tagged frames from the uplink are refused too."""
    net = make_net(vswitchd, "--subnet", "10.94.0.0/24")
    c1 = join(vswitchd, topo, net, "c1")
    out = outside(topo)
    n = 10
    marker, barrier = f"vlan-{topo.prefix}", f"vbar-{topo.prefix}"

    cnt = Counter(topo, out.ns, out.iface, marker, barrier)
    before = ports(vswitchd)
    scapy_send(c1.ns, "eth0", VLAN_OUT, c1.mac, c1.ip, gw_mac(vswitchd, net), OUTSIDE_IP,
               marker, barrier, str(n))
    res = cnt.result()
    after = ports(vswitchd)
    assert res == {"marked": 0, "barrier": True}, res
    assert drops_delta(before, after, c1.port) == {"vlan_tagged": 2 * n}

    # From the outside: a tagged echo request to the uplink address is
    # not answered (it would be taken for an untagged one).
    umac = vsjson(vswitchd, "show")["uplink"]["mac"]
    omac = nsx(out.ns, "cat", f"/sys/class/net/{out.iface}/address").stdout.strip()
    cnt = Counter(topo, out.ns, out.iface, marker, barrier)
    before = ports(vswitchd)
    scapy_send(out.ns, out.iface, VLAN_IN, omac, umac, UPLINK_IP, marker, barrier, str(n))
    res = cnt.result()
    after = ports(vswitchd)
    assert res == {"marked": 0, "barrier": True}, res
    assert drops_delta(before, after, "uplink").get("vlan_tagged") == n
