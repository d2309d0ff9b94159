"""test_ipv6_nat.py - IPv6 out of the switch (issue 14 parts 4, 5): the
uplink's IPv6 address, neighbour discovery, NAT66, conntrack in IPv6,
published ports over IPv6, packet too big.

Topology (every name with the module's prefix, all removed afterwards):

    container c1 ──┐                              outside
    container c2 ──┤ vswitchd ── up0 ═ veth ═ router ────── web
    (fd00:71::/64) │  2001:db8:100::1/64   ::fe   2001:db8:200::1  ::10
                   │  198.51.100.1/24      .254   203.0.113.1      .10

The router is a real second hop for both families; it knows nothing of
the containers' ULA subnet, so every reply comes back only because NAT66
put the uplink's IPv6 address on the way out.  up0's MTU is 1400, so a
container's full-sized IPv6 packet gets packet too big.  The web host
runs python3 -m http.server on both families (its log names each client)
and a UDP echo.

One world per module (conftest.py's module_topo and module_vswitchd, the
uplink marker, --uplink-ip6 and --uplink-gateway6); every wait polls
against a deadline.
"""
import os
import subprocess
import types

import pytest
import topo
from vsutil import nsx, wait_for, vsctl_ok, vsjson

UP6 = "2001:db8:100::1"
ROUTER6 = "2001:db8:100::fe"
ROUTER_WEB6 = "2001:db8:200::1"
WEB6 = "2001:db8:200::10"
ROUTER_WEB = "203.0.113.1"
WEB = "203.0.113.10"
SUBNET6 = "fd00:71::/64"
UPLINK_MTU = 1400
ROUTED6 = "2001:db8:300::/64"

pytestmark = [pytest.mark.uplink,
              pytest.mark.vswitchd_args("--uplink-ip6", f"{UP6}/64",
                                        "--uplink-gateway6", ROUTER6)]

HTTP6 = r"""
import http.server, socket, sys
class S(http.server.ThreadingHTTPServer):
    address_family = socket.AF_INET6
    def server_bind(self):
        self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        super().server_bind()
S(("::", int(sys.argv[1])), http.server.SimpleHTTPRequestHandler).serve_forever()
"""


def spawn(t, vs, ns, *cmd, log):
    with open(os.path.join(vs.tmp, log), "a") as out:
        return t.spawn(ns, *cmd, stdout=out, stderr=subprocess.STDOUT, cwd=vs.tmp)


def prepare_vswitchd(t, vs):
    """Before the daemon starts: the outside host becomes a dual-stack
    router with the web host behind it; up0 gets a smaller MTU."""
    r, rdev = t.outside[0], t.prefix + "ub"
    w = t.add_netns(t.prefix + "w")
    nsx(vs.ns, "ip", "link", "set", "up0", "mtu", str(UPLINK_MTU))
    nsx(r, "ip", "link", "set", rdev, "mtu", str(UPLINK_MTU))
    nsx(r, "ip", "-6", "addr", "add", f"{ROUTER6}/64", "dev", rdev, "nodad")
    c, d = t.prefix + "c", t.prefix + "d"
    topo.sh("ip", "link", "add", c, "netns", r, "type", "veth", "peer", "name", d, "netns", w)
    for ns, dev, a4, a6 in ((r, c, ROUTER_WEB, ROUTER_WEB6), (w, d, WEB, WEB6)):
        nsx(ns, "ip", "addr", "add", f"{a4}/24", "dev", dev)
        nsx(ns, "ip", "-6", "addr", "add", f"{a6}/64", "dev", dev, "nodad")
        nsx(ns, "ip", "link", "set", dev, "up")
    nsx(w, "ip", "route", "add", "default", "via", ROUTER_WEB)
    nsx(w, "ip", "-6", "route", "add", "default", "via", ROUTER_WEB6)
    nsx(r, "sysctl", "-qw", "net.ipv4.ip_forward=1")
    nsx(r, "sysctl", "-qw", "net.ipv6.conf.all.forwarding=1")
    spawn(t, vs, w, "/usr/bin/python3", "-c", HTTP6, "8000", log="web_http.log")


@pytest.fixture(scope="module")
def lab(module_topo, module_vswitchd):
    t, vs = module_topo, module_vswitchd
    lab = types.SimpleNamespace(topo=t, vs=vs, net=f"{t.prefix}n6",
                                ns={"v": vs.ns, "r": t.outside[0], "w": t.prefix + "w"})
    for c in ("c1", "c2"):
        lab.ns[c] = t.container(c)
    ok(lab, "network", "create", "--ipv6", "--subnet", "10.71.0.0/24",
       "--subnet", SUBNET6, lab.net)
    for c in ("c1", "c2"):
        ok(lab, "network", "connect", "--netns", lab.ns[c], lab.net, c)
    spawn(t, vs, lab.ns["c1"], "/usr/bin/python3", "-c", HTTP6, "80", log="c1_http.log")
    assert wait_for(lambda: nsx(lab.ns["c1"], "ss", "-ltn").stdout.count(":80 ") > 0, 10)
    assert wait_for(lambda: nsx(lab.ns["w"], "ss", "-ltn").stdout.count(":8000 ") > 0, 10)
    return lab


def ok(lab, *args):
    return vsctl_ok(lab.vs, *args).stdout


def js(lab, *args):
    return vsjson(lab.vs, *args)


def log(lab, name):
    try:
        with open(os.path.join(lab.vs.tmp, name)) as f:
            return f.read()
    except FileNotFoundError:
        return ""


def ip6_of(lab, ctr):
    o = js(lab, "network", "inspect", lab.net)[0]
    return o["Containers"][ctr]["IPv6Address"].split("/")[0]


def ping6(ns, ip, size=None):
    cmd = ["ping", "-6", "-n", "-c", "1", "-W", "2"]
    if size:
        cmd += ["-s", str(size), "-M", "do"]
    return nsx(ns, *cmd, ip, check=False)


def curl6(ns, url, timeout=10):
    return nsx(ns, "curl", "-6", "-s", "-o", "/dev/null", "-w", "%{http_code}",
               "--max-time", str(timeout), url, check=False, timeout=timeout + 5)


def drops(lab, port):
    for p in js(lab, "stats")["ports"]:
        if p["name"] == port:
            return dict(p["drops"])
    raise AssertionError(f"no port {port}")


def test_uplink_answers_nd_and_ping6(lab):
    """The router finds the uplink's IPv6 address by neighbour discovery
    and gets echo replies; `show` has the address and the resolved
    gateway (the switch solicited it)."""
    assert wait_for(lambda: ping6(lab.ns["r"], UP6).returncode == 0, 10)
    neigh = nsx(lab.ns["r"], "ip", "-6", "neigh", "show", UP6).stdout
    assert "lladdr" in neigh, neigh
    up = js(lab, "show")["uplinks"][0]
    assert up["ip6"] == f"{UP6}/64" and up["gateway6"] == ROUTER6, up
    assert wait_for(lambda: "gateway6_mac" in js(lab, "show")["uplinks"][0], 10)


def test_ping6_and_curl_through_nat66(lab):
    """A container reaches the outside over IPv6: ping6 and HTTP to the
    web host behind the router, which sees the uplink's address."""
    assert wait_for(lambda: ping6(lab.ns["c1"], WEB6).returncode == 0, 10)
    assert wait_for(lambda: curl6(lab.ns["c2"], f"http://[{WEB6}]:8000/").stdout == "200", 10)
    assert f"{UP6} - -" in log(lab, "web_http.log"), log(lab, "web_http.log")
    # the container pings the uplink's own address: answered by the switch
    assert ping6(lab.ns["c1"], UP6).returncode == 0


def test_conntrack_ls_v6(lab):
    """conntrack ls lists IPv6 connections with both tuples: the reply
    tuple names the uplink's IPv6 address (NAT66)."""
    assert curl6(lab.ns["c1"], f"http://[{WEB6}]:8000/").stdout == "200"
    ping6(lab.ns["c1"], WEB6)
    ip1 = ip6_of(lab, "c1")
    lines = [e["text"] for e in js(lab, "conntrack", "ls")]
    assert any(l.startswith("tcp      6 ") and f"src={ip1} dst={WEB6}" in l and
               f"src={WEB6} dst={UP6}" in l and f"zone={lab.net}" in l
               for l in lines), lines
    assert any(l.startswith("icmpv6   58 ") and f"src={ip1} dst={WEB6} type=128" in l and
               f"src={WEB6} dst={UP6} type=129" in l for l in lines), lines


def test_outside_cannot_reach_ula_subnet(lab):
    """Nothing but replies and published ports comes in: a connection
    from the outside to the uplink's address on an unpublished port is
    refused and counted."""
    before = drops(lab, "uplink").get("not_for_us", 0)
    r = curl6(lab.ns["r"], f"http://[{UP6}]:9/", timeout=2)
    assert r.stdout != "200"
    assert wait_for(lambda: drops(lab, "uplink").get("not_for_us", 0) > before, 5)


def test_packet_too_big(lab):
    """A container's packet larger than the uplink's MTU is answered with
    ICMPv6 packet too big carrying that MTU (the switch never fragments);
    one that fits passes."""
    r = ping6(lab.ns["c2"], WEB6, size=1452)
    assert r.returncode != 0
    assert "Packet too big" in r.stdout and f"mtu={UPLINK_MTU}" in r.stdout, r.stdout
    assert wait_for(lambda: ping6(lab.ns["c2"], WEB6, size=1300).returncode == 0, 10)
    assert drops(lab, f"c2:eth0").get("frag_needed", 0) >= 1


def test_publish_v6_dnat_keeps_client_address(lab):
    """A port published without a host IP answers on the uplink's IPv6
    address too: DNAT to the container's IPv6 address, which sees the
    client's own address."""
    out = js(lab, "port", "publish", "c1", "8080:80")
    assert out[0]["text"] == "80/tcp -> 0.0.0.0:8080"
    assert wait_for(lambda: curl6(lab.ns["w"], f"http://[{UP6}]:8080/").stdout == "200", 15)
    assert f"{WEB6} - -" in log(lab, "c1_http.log"), log(lab, "c1_http.log")
    lines = [e["text"] for e in js(lab, "conntrack", "ls")]
    ip1 = ip6_of(lab, "c1")
    assert any(f"src={WEB6} dst={UP6} sport=" in l and "dport=8080" in l and
               f"src={ip1} dst={WEB6} sport=80" in l for l in lines), lines


def test_publish_v6_hairpin(lab):
    """c2 reaches c1's published port through the uplink's IPv6 address:
    DNAT and SNAT, so c1 answers through the switch."""
    assert wait_for(lambda: curl6(lab.ns["c2"], f"http://[{UP6}]:8080/").stdout == "200", 15)
    assert f"{UP6} - -" in log(lab, "c1_http.log")


def test_publish_v6_any_and_loopback(lab):
    """[::]:P:C listens with the proxy on :: in vswitchd's namespace and
    DNATs on the uplink's IPv6 address; [::1]:P:C is the proxy's only,
    as 127.0.0.1 is; `port ls` writes them as docker port does."""
    out = js(lab, "port", "publish", "c1", "[::]:8081:80", "[::1]:8082:80")
    assert [o["text"] for o in out] == ["80/tcp -> [::]:8081", "80/tcp -> [::1]:8082"]
    ls = ok(lab, "port", "ls", "c1")
    assert "80/tcp -> [::]:8081" in ls and "80/tcp -> [::1]:8082" in ls, ls
    listen = nsx(lab.ns["v"], "ss", "-6ltnH").stdout
    assert "[::]:8081" in listen and "[::1]:8082" in listen, listen
    assert wait_for(lambda: curl6(lab.ns["v"], "http://[::1]:8081/").stdout == "200", 15)
    assert wait_for(lambda: curl6(lab.ns["v"], "http://[::1]:8082/").stdout == "200", 15)
    assert wait_for(lambda: curl6(lab.ns["w"], f"http://[{UP6}]:8081/").stdout == "200", 15)
    # [::1] is not reachable from the outside
    assert curl6(lab.ns["w"], f"http://[{UP6}]:8082/", timeout=2).stdout != "200"
    # malformed IPv6 host IPs are refused with the reason, nothing made
    for spec in ("[::]:80", "[::1:8083:80", "[2001:db8::99]:8083:80"):
        r = lab.vs.vsctl("port", "publish", "c1", spec)
        assert r.returncode == 1 and "vsctl: error:" in r.stderr, (spec, r.stderr)
    assert "8083" not in ok(lab, "port", "ls", "c1")


def test_publish_v6_survives_restart(lab):
    """The IPv6 host IPs are in the state file: after a kill -9 the
    mappings, their proxy listeners and the IPv6 uplink come back."""
    lab.vs.restart(kill9=True)
    ls = ok(lab, "port", "ls", "c1")
    assert "80/tcp -> [::]:8081" in ls and "80/tcp -> [::1]:8082" in ls, ls
    assert wait_for(lambda: curl6(lab.ns["v"], "http://[::1]:8081/").stdout == "200", 15)
    assert wait_for(lambda: curl6(lab.ns["w"], f"http://[{UP6}]:8081/").stdout == "200", 15)
    assert wait_for(lambda: curl6(lab.ns["c2"], f"http://[{WEB6}]:8000/").stdout == "200", 15)


def test_routed_mode_keeps_container_address(lab):
    """A network with gateway_mode_ipv6=routed (a global prefix the
    router routes via the uplink's address): the container is seen with
    its own address, the replies come back by conntrack, and a new
    connection from the outside to it is refused and counted."""
    net = f"{lab.topo.prefix}rt"
    ok(lab, "network", "create", "--ipv6", "--subnet", "10.72.0.0/24",
       "--subnet", ROUTED6, "-o", "com.docker.network.bridge.gateway_mode_ipv6=routed", net)
    o = js(lab, "network", "inspect", net)[0]
    assert o["Options"]["com.docker.network.bridge.gateway_mode_ipv6"] == "routed", o
    lab.ns["c3"] = lab.topo.container("c3")
    ok(lab, "network", "connect", "--netns", lab.ns["c3"], net, "c3")
    ip3 = js(lab, "network", "inspect", net)[0]["Containers"]["c3"]["IPv6Address"].split("/")[0]
    nsx(lab.ns["r"], "ip", "-6", "route", "replace", ROUTED6, "via", UP6)
    assert wait_for(lambda: curl6(lab.ns["c3"], f"http://[{WEB6}]:8000/").stdout == "200", 10)
    assert f"{ip3} - -" in log(lab, "web_http.log"), log(lab, "web_http.log")
    assert wait_for(lambda: ping6(lab.ns["c3"], WEB6).returncode == 0, 10)
    lines = [e["text"] for e in js(lab, "conntrack", "ls")]
    assert any(f"src={ip3} dst={WEB6}" in l and f"src={WEB6} dst={ip3}" in l
               for l in lines), lines
    # nothing opens from the outside
    spawn(lab.topo, lab.vs, lab.ns["c3"], "/usr/bin/python3", "-c", HTTP6, "80",
          log="c3_http.log")
    assert wait_for(lambda: nsx(lab.ns["c3"], "ss", "-ltn").stdout.count(":80 ") > 0, 10)
    before = drops(lab, "uplink").get("not_for_us", 0)
    assert curl6(lab.ns["w"], f"http://[{ip3}]:80/", timeout=2).stdout != "200"
    assert wait_for(lambda: drops(lab, "uplink").get("not_for_us", 0) > before, 5)
    # routed needs --ipv6
    r = lab.vs.vsctl("network", "create", "-o",
                     "com.docker.network.bridge.gateway_mode_ipv6=routed", f"{net}x")
    assert r.returncode == 1 and "needs --ipv6" in r.stderr, r.stderr
