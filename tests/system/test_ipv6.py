"""test_ipv6.py - dual-stack networks (issue 14, first slice), end to end.

`network create --ipv6` gives a network an IPv6 subnet beside its IPv4 one
(given, or a /64 of the host's random ULA /48); `network connect` gives a
container an IPv6 address (next free, or --ip6), a default IPv6 route via
the gateway, and no other global address: accept_ra and autoconf are off
on its interface, inside its own namespace.  Two containers ping6 each
other and the gateway (which answers neighbour discovery and tells a
sender it has no route yet); curl -6 fetches a page from one to the
other, which sees the client's own address; inspect shows EnableIPv6, the
IPv6 IPAM entry and IPv6Address; the state file keeps all of it across a
restart; a source the container was not given is still dropped
(src_ip6_spoof).  A container that turns accept_ra back on and solicits
gets the gateway's router advertisement: a default route via the
gateway's link-local address, and no SLAAC address (the prefix is not
autonomous).  An IPv6 network next to an IPv4-only one and another IPv6
one stays isolated from both, in both families, each refusal counted.
"""
import ipaddress

import pytest
from vsutil import nsx, vsctl_ok, vsjson, uniq, wait_for, make_net, connect

PY = "/usr/bin/python3"

# A one-page HTTP server on [ADDR]:PORT; the body is BODY and the
# client's address, so the test sees who the server saw.
HTTP6_SERVER = r"""
import socket, sys
s = socket.socket(socket.AF_INET6)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2])))
s.listen(4)
while True:
    c, a = s.accept()
    c.recv(4096)
    body = (sys.argv[3] + " " + a[0] + "\n").encode()
    c.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n"
              b"Content-Length: %d\r\n\r\n" % len(body) + body)
    c.close()
"""

# A router solicitation from IFACE's link-local address (the kernel picks
# it for ff02::2 and fills in the checksum) with hop limit 255 and a
# source link-layer option of MAC.
RS_SEND = r"""
import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, 255)
mac = bytes.fromhex(sys.argv[2].replace(":", ""))
s.sendto(bytes([133, 0, 0, 0, 0, 0, 0, 0, 1, 1]) + mac,
         ("ff02::2", 0, 0, socket.if_nametoindex(sys.argv[1])))
"""


def link_local_ready(ns):
    """Has eth0 in NS a link-local address past duplicate address detection?"""
    out = nsx(ns, "ip", "-6", "addr", "show", "dev", "eth0", "scope", "link").stdout
    return "fe80::" in out and "tentative" not in out


def serve_http6(topo, ns, port, body):
    """HTTP6_SERVER in NS on [::]:PORT, listening when this returns."""
    topo.spawn(ns, PY, "-c", HTTP6_SERVER, "::", port, body)
    assert wait_for(lambda: f":{port} " in nsx(ns, "ss", "-6ltnH").stdout, 10), \
        "the IPv6 HTTP server did not start"


def curl6(ns, url, timeout=5):
    """curl -6 URL from NS: the CompletedProcess."""
    return nsx(ns, "curl", "-6", "-s", "--max-time", str(timeout), url,
               check=False, timeout=timeout + 5)


def inspect(vswitchd, net):
    return vsjson(vswitchd, "network", "inspect", net)[0]


def ip6_of(vswitchd, net, ctr):
    return inspect(vswitchd, net)["Containers"][ctr]["IPv6Address"].split("/")[0]


def ping6(ns, ip, src=None):
    cmd = ["ping", "-6", "-n", "-c", "1", "-W", "1"]
    if src:
        cmd += ["-I", src]
    return nsx(ns, *cmd, ip, check=False).returncode == 0


def global6(ns):
    """The container's global IPv6 addresses on eth0."""
    out = nsx(ns, "ip", "-6", "-o", "addr", "show", "dev", "eth0", "scope", "global").stdout
    return [line.split()[3] for line in out.splitlines()]


def lladdr(mac):
    b = bytes.fromhex(mac.replace(":", ""))
    b = bytes([b[0] ^ 2]) + b[1:3] + b"\xff\xfe" + b[3:]
    return "fe80::" + ":".join(b[i:i + 2].hex() for i in range(0, 8, 2))


def drops(vswitchd, port):
    for p in vsjson(vswitchd, "stats")["ports"]:
        if p["name"] == port:
            return dict(p["drops"])
    raise AssertionError(f"no port {port}")


def test_create_inspect_and_errors(vswitchd):
    net = make_net(vswitchd, "--ipv6", "--subnet", "10.61.0.0/24",
                   "--subnet", "fd00:61::/64", "--gateway", "fd00:61::fe",
                   "--ip-range", "fd00:61::100/120")
    o = inspect(vswitchd, net)
    assert o["EnableIPv6"] is True
    cfg = o["IPAM"]["Config"]
    assert cfg[0]["Subnet"] == "10.61.0.0/24"
    assert cfg[1] == {"Subnet": "fd00:61::/64", "Gateway": "fd00:61::fe",
                      "IPRange": "fd00:61::100/120"}
    # an IPv4-only network says so
    v4 = make_net(vswitchd)
    assert inspect(vswitchd, v4)["EnableIPv6"] is False
    assert len(inspect(vswitchd, v4)["IPAM"]["Config"]) == 1
    # refusals, each with its reason, and nothing made
    for args, why in [
            (["--subnet", "fd00:62::/64"], "needs --ipv6"),
            (["--ipv6", "--subnet", "fd00:61:0:0:8000::/65"], "overlaps"),
            (["--ipv6", "--subnet", "fd00:63::/125"], "too small"),
            (["--ipv6", "--subnet", "fd00:64::1/64"], "host bits"),
            (["--ipv6", "--subnet", "fd00:65::/64", "--subnet", "fd00:66::/64"], "twice"),
            (["--ipv6", "--subnet", "fd00:67::/64", "--gateway", "fd00:68::1"],
             "not a host address"),
            (["--ipv6", "--gateway", "fd00:69::1"], "needs an IPv6 --subnet")]:
        name = uniq("tn")
        r = vswitchd.vsctl("network", "create", *args, name)
        assert r.returncode != 0, args
        assert why in r.stderr, (args, r.stderr)
        assert vswitchd.vsctl("network", "inspect", name).returncode != 0


def test_auto_subnet_from_host_ula(vswitchd):
    a = make_net(vswitchd, "--ipv6")
    b = make_net(vswitchd, "--ipv6")
    sa = ipaddress.ip_network(inspect(vswitchd, a)["IPAM"]["Config"][1]["Subnet"])
    sb = ipaddress.ip_network(inspect(vswitchd, b)["IPAM"]["Config"][1]["Subnet"])
    assert sa.prefixlen == sb.prefixlen == 64
    assert sa.subnet_of(ipaddress.ip_network("fd00::/8"))
    # one /48 per host: both /64s in it, not overlapping
    assert sa.supernet(new_prefix=48) == sb.supernet(new_prefix=48)
    assert not sa.overlaps(sb)
    assert inspect(vswitchd, a)["IPAM"]["Config"][1]["Gateway"] == str(sa[1])
    # the /48 is the host's: after a restart the next network takes the next /64
    vswitchd.restart(kill9=False)
    c = make_net(vswitchd, "--ipv6")
    sc = ipaddress.ip_network(inspect(vswitchd, c)["IPAM"]["Config"][1]["Subnet"])
    assert sc.supernet(new_prefix=48) == sa.supernet(new_prefix=48)
    assert not sc.overlaps(sa) and not sc.overlaps(sb)


def test_two_containers_dual_stack(vswitchd, topo):
    net = make_net(vswitchd, "--ipv6", "--subnet", "10.62.0.0/24",
                   "--subnet", "fd00:62::/64")
    c1, c2 = uniq("c"), uniq("c")
    ns1 = connect(vswitchd, topo, net, c1)
    ns2 = connect(vswitchd, topo, net, c2, "tap", "--ip6", "fd00:62::abcd")
    ip1, ip2 = ip6_of(vswitchd, net, c1), ip6_of(vswitchd, net, c2)
    assert ip1 == "fd00:62::2"          # first free: ::1 is the gateway
    assert ip2 == "fd00:62::abcd"
    e = inspect(vswitchd, net)["Containers"][c1]
    assert e["IPv6Address"] == "fd00:62::2/64"
    assert e["IPv4Address"] == "10.62.0.2/24"
    # in the container: exactly the assigned global address, the default
    # route via the gateway, no router advertisements taken
    assert global6(ns1) == ["fd00:62::2/64"]
    assert global6(ns2) == ["fd00:62::abcd/64"]
    route = nsx(ns1, "ip", "-6", "route", "show", "default").stdout
    assert "via fd00:62::1 dev eth0" in route, route
    for key in ("accept_ra", "autoconf"):
        v = nsx(ns1, "cat", f"/proc/sys/net/ipv6/conf/eth0/{key}").stdout.strip()
        assert v == "0", (key, v)
    # both families between them, and the gateway answers ping6 (after
    # neighbour discovery) on its address and on its link-local one
    assert wait_for(lambda: ping6(ns1, "fd00:62::1"), 10), "the gateway does not answer ping6"
    gw_mac = inspect(vswitchd, net)["GatewayMacAddress"]
    assert ping6(ns2, lladdr(gw_mac) + "%eth0"), "no ping6 from the gateway's link-local"
    neigh = nsx(ns1, "ip", "-6", "neigh", "show", "fd00:62::1", "dev", "eth0").stdout
    assert gw_mac in neigh and "router" in neigh, neigh
    # no IPv6 routing yet: the sender is told, not left waiting
    r = nsx(ns1, "ping", "-6", "-n", "-c", "1", "-W", "1", "2001:db8::1", check=False)
    assert r.returncode != 0
    assert "fd00:62::1" in r.stdout and "No route" in r.stdout, r.stdout
    assert wait_for(lambda: ping6(ns1, ip2), 10), "c1 cannot ping6 c2"
    assert wait_for(lambda: ping6(ns2, ip1), 5), "c2 cannot ping6 c1"
    # TCP over IPv6 between them: curl -6 gets the page, and the server
    # saw c1's own address (switched, nothing translated)
    marker = uniq("page")
    serve_http6(topo, ns2, 8086, marker)
    r = curl6(ns1, f"http://[{ip2}]:8086/")
    assert r.returncode == 0, (r.returncode, r.stderr)
    assert r.stdout == f"{marker} {ip1}\n", r.stdout
    assert nsx(ns1, "ping", "-n", "-c", "1", "-W", "1", "10.62.0.3",
               check=False).returncode == 0
    # --ip6 taken, outside the subnet, or on an IPv4-only network: refused
    c3 = uniq("c")
    topo.container(c3)
    for args, why in [(["--ip6", "fd00:62::abcd"], "already in use"),
                      (["--ip6", "fd00:99::5"], "outside"),
                      (["--ip6", "fd00:62::1"], "reserved")]:
        r = vswitchd.vsctl("network", "connect", "--netns", topo.prefix + c3, *args, net, c3)
        assert r.returncode != 0 and why in r.stderr, (args, r.stderr)
    v4 = make_net(vswitchd)
    r = vswitchd.vsctl("network", "connect", "--netns", topo.prefix + c3,
                       "--ip6", "fd00:62::77", v4, c3)
    assert r.returncode != 0 and "--ipv6" in r.stderr, r.stderr


def test_spoofed_v6_source_dropped(vswitchd, topo):
    net = make_net(vswitchd, "--ipv6", "--subnet", "fd00:63::/64")
    c1, c2 = uniq("c"), uniq("c")
    ns1 = connect(vswitchd, topo, net, c1)
    connect(vswitchd, topo, net, c2)
    ip2 = ip6_of(vswitchd, net, c2)
    assert wait_for(lambda: ping6(ns1, ip2), 10)
    # an address of the subnet that c1 was not given, added by hand
    nsx(ns1, "ip", "-6", "addr", "add", "fd00:63::99/64", "dev", "eth0", "nodad")
    before = drops(vswitchd, f"{c1}:eth0").get("src_ip6_spoof", 0)
    assert not ping6(ns1, ip2, src="fd00:63::99")
    after = drops(vswitchd, f"{c1}:eth0").get("src_ip6_spoof", 0)
    assert after > before, (before, after)
    # and its own address still works (named: the kernel may prefer ::99)
    assert ping6(ns1, ip2, src=ip6_of(vswitchd, net, c1))


def test_state_survives_restart(vswitchd, topo):
    net = make_net(vswitchd, "--ipv6", "--subnet", "fd00:64::/64",
                   "--ip-range", "fd00:64::200/120")
    c1 = uniq("c")
    connect(vswitchd, topo, net, c1)
    before = inspect(vswitchd, net)
    assert ip6_of(vswitchd, net, c1) == "fd00:64::200"
    vswitchd.restart(kill9=True)
    after = inspect(vswitchd, net)
    assert after["EnableIPv6"] is True
    assert after["IPAM"] == before["IPAM"]
    assert after["Containers"][c1]["IPv6Address"] == "fd00:64::200/64"


def trace(vswitchd, *args):
    res = vsjson(vswitchd, "trace", *args)
    return res["packet"], res["verdict"]


def test_trace_v6(vswitchd, topo):
    """vsctl trace --to an IPv6 address: on-link peer, the gateway, an
    address nobody holds, and a destination the gateway cannot route."""
    net = make_net(vswitchd, "--ipv6", "--subnet", "fd00:65::/64")
    c1, c2 = uniq("c"), uniq("c")
    connect(vswitchd, topo, net, c1)
    connect(vswitchd, topo, net, c2)
    ip1, ip2 = ip6_of(vswitchd, net, c1), ip6_of(vswitchd, net, c2)
    pkt, v = trace(vswitchd, "--from", c1, "--to", ip2)
    assert (pkt["src"], pkt["dst"], pkt["proto"]) == (ip1, ip2, "icmpv6")
    assert v["decision"] == "forward" and v["output"] == [f"{c2}:eth0"], v
    pkt, v = trace(vswitchd, "--from", c1, "--to", f"[{ip2}]:53", "--proto", "udp")
    assert v["decision"] == "forward" and pkt["dport"] == 53, v
    _, v = trace(vswitchd, "--from", c1, "--to", "fd00:65::1")
    assert v["decision"] == "local" and v["stage"] == "gateway", v
    _, v = trace(vswitchd, "--from", c1, "--to", "fd00:65::99")
    assert v["decision"] == "drop" and v["stage"] == "nd", v
    _, v = trace(vswitchd, "--from", c1, "--to", "2001:db8::1")
    assert v["decision"] == "drop" and v["reason"] == "no_route", v
    # a container without IPv6 is told so
    v4 = make_net(vswitchd)
    c3 = uniq("c")
    connect(vswitchd, topo, v4, c3)
    r = vswitchd.vsctl("trace", "--from", c3, "--to", ip2)
    assert r.returncode != 0 and "no IPv6 address" in r.stderr, r.stderr


def test_router_advertisement(vswitchd, topo):
    """A container that takes router advertisements again (accept_ra=1,
    autoconf=1) and solicits one gets the gateway's: a default route via
    the gateway's link-local address, and still only the address vswitch
    gave it (the prefix is on-link, not autonomous: no SLAAC).  The
    answer is counted; a second container hears nothing of it."""
    net = make_net(vswitchd, "--ipv6")
    c1, c2 = uniq("c"), uniq("c")
    ns1 = connect(vswitchd, topo, net, c1)
    ns2 = connect(vswitchd, topo, net, c2)
    ip1 = ip6_of(vswitchd, net, c1)
    o = inspect(vswitchd, net)
    gwll = str(ipaddress.ip_address(lladdr(o["GatewayMacAddress"])))
    mac1 = o["Containers"][c1]["MacAddress"]
    assert global6(ns1) == [ip1 + "/64"]
    for key in ("accept_ra", "autoconf"):
        nsx(ns1, "sh", "-c", f"echo 1 > /proc/sys/net/ipv6/conf/eth0/{key}")
    # the link-local source must have finished duplicate address detection
    assert wait_for(lambda: link_local_ready(ns1), 10)
    sent0 = vsjson(vswitchd, "stats")["gateway6"][net]["ra_sent"]

    def ra_route():
        out = nsx(ns1, "ip", "-6", "route", "show", "default").stdout
        return f"via {gwll} dev eth0 proto ra" in out and out

    def solicited():
        nsx(ns1, PY, "-c", RS_SEND, "eth0", mac1)
        return wait_for(ra_route, 2)
    # a solicitation may be lost while the link settles: ask up to 3 times,
    # as a host would
    assert any(solicited() for _ in range(3)), \
        nsx(ns1, "ip", "-6", "route", "show").stdout
    g6 = vsjson(vswitchd, "stats")["gateway6"][net]
    assert g6["ra_sent"] > sent0, (sent0, g6)
    # the advertisement named the prefix, yet made no address
    assert global6(ns1) == [ip1 + "/64"], global6(ns1)
    assert nsx(ns1, "cat", "/proc/sys/net/ipv6/conf/eth0/autoconf").stdout.strip() == "1"
    # the default route works: the gateway answers through it
    assert ping6(ns1, o["IPAM"]["Config"][1]["Gateway"])
    # c2 (accept_ra=0 as vswitch left it) got nothing from it
    assert "proto ra" not in nsx(ns2, "ip", "-6", "route", "show").stdout
    # a solicitation on an IPv4-only network is answered by nobody
    v4 = make_net(vswitchd)
    c3 = uniq("c")
    ns3 = connect(vswitchd, topo, v4, c3)
    mac3 = inspect(vswitchd, v4)["Containers"][c3]["MacAddress"]
    for key in ("accept_ra", "autoconf"):
        nsx(ns3, "sh", "-c", f"echo 1 > /proc/sys/net/ipv6/conf/eth0/{key}")
    assert wait_for(lambda: link_local_ready(ns3), 10)
    before = vsjson(vswitchd, "stats")["mld_snoop"][v4]["rs_absorbed"]
    nsx(ns3, PY, "-c", RS_SEND, "eth0", mac3)
    assert wait_for(lambda: vsjson(vswitchd, "stats")["mld_snoop"][v4]["rs_absorbed"] > before, 5)
    assert v4 not in vsjson(vswitchd, "stats")["gateway6"]
    assert "proto ra" not in nsx(ns3, "ip", "-6", "route", "show").stdout


@pytest.mark.uplink
@pytest.mark.vswitchd_args("--uplink-ip6", "2001:db8:100::1/64",
                           "--uplink-gateway6", "2001:db8:100::fe")
def test_isolation_next_to_v4_only(vswitchd, topo):
    """Networks A (--ipv6), B (IPv4 only) and C (--ipv6): A's container
    reaches neither C's (ping6, TCP over IPv6) nor B's (IPv4 ping, ping6 to
    its link-local address), each refusal counted where the code counts it;
    and B's container cannot reach A's IPv6 address even with a route and a
    neighbour entry for its gateway made by hand.  The switch has uplinks
    of both families, so "no route" is the isolation rule's answer, not
    the lack of anywhere to send: an outside address is routed."""
    a, b, c = make_net(vswitchd, "--ipv6"), make_net(vswitchd), make_net(vswitchd, "--ipv6")
    ca, cb, cc = uniq("c"), uniq("c"), uniq("c")
    nsa = connect(vswitchd, topo, a, ca)
    nsb = connect(vswitchd, topo, b, cb)
    nsc = connect(vswitchd, topo, c, cc)
    ipa, ipc = ip6_of(vswitchd, a, ca), ip6_of(vswitchd, c, cc)
    ob = inspect(vswitchd, b)
    ipb4 = ob["Containers"][cb]["IPv4Address"].split("/")[0]
    llb = lladdr(ob["Containers"][cb]["MacAddress"])
    ga6 = inspect(vswitchd, a)["IPAM"]["Config"][1]["Gateway"]
    gc6 = inspect(vswitchd, c)["IPAM"]["Config"][1]["Gateway"]
    port_a, port_b = f"{ca}:eth0", f"{cb}:eth0"
    # each works inside its own network: the gateways answer
    assert wait_for(lambda: ping6(nsa, ga6), 10)
    assert wait_for(lambda: ping6(nsc, gc6), 10)
    serve_http6(topo, nsc, 8087, "isolated")

    # an outside address goes to the uplink (nobody answers there: no
    # router on its LAN), not counted as no route
    d0 = drops(vswitchd, port_a).get("no_route", 0)
    r = nsx(nsa, "ping", "-6", "-n", "-c", "1", "-W", "1", "2001:db8:200::10", check=False)
    assert "No route" not in r.stdout, r.stdout
    assert drops(vswitchd, port_a).get("no_route", 0) == d0

    # A -> C over IPv6: the gateway says no route, and counts it
    r = nsx(nsa, "ping", "-6", "-n", "-c", "1", "-W", "2", ipc, check=False)
    assert r.returncode != 0 and "No route" in r.stdout, r.stdout
    d1 = drops(vswitchd, port_a).get("no_route", 0)
    assert d1 > d0, (d0, d1)
    r = curl6(nsa, f"http://[{ipc}]:8087/", timeout=3)
    assert r.returncode != 0 and "isolated" not in r.stdout, (r.returncode, r.stdout)
    d2 = drops(vswitchd, port_a).get("no_route", 0)
    assert d2 > d1, (d1, d2)

    # A -> B over IPv4: no routing between networks either
    r = nsx(nsa, "ping", "-n", "-c", "1", "-W", "2", ipb4, check=False)
    assert r.returncode != 0, r.stdout
    assert drops(vswitchd, port_a).get("no_route", 0) > d2

    # A -> B's link-local address: not on A's link, nobody answers
    assert not ping6(nsa, llb + "%eth0")

    # B -> A over IPv6: B's network has no IPv6 gateway.  Even with a
    # default route and a neighbour entry for its gateway's link-local
    # address made by hand, the gateway refuses the packet (unsupported)
    assert not ping6(nsb, ipa)
    gwb_mac = ob["GatewayMacAddress"]
    gwb_ll = lladdr(gwb_mac)
    nsx(nsb, "ip", "-6", "neigh", "replace", gwb_ll, "lladdr", gwb_mac,
        "dev", "eth0", "nud", "permanent")
    nsx(nsb, "ip", "-6", "route", "replace", "default", "via", gwb_ll, "dev", "eth0")
    # from its link-local address, once usable (a tentative one is no
    # source: the packet would leave from "::", src_ip6_spoof)
    assert wait_for(lambda: link_local_ready(nsb), 10)
    u0 = drops(vswitchd, port_b).get("unsupported", 0)
    assert not ping6(nsb, ipa)
    assert drops(vswitchd, port_b).get("unsupported", 0) > u0, (
        drops(vswitchd, port_b), nsx(nsb, "ip", "-6", "addr").stdout,
        nsx(nsb, "ip", "-6", "route", "get", ipa).stdout)
