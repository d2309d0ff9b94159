"""test_dns6.py - DNS on dual-stack networks (issue 14 part 6), end to end.

A container on a `--ipv6` network asks the gateway's IPv6 address (UDP
and TCP) with dig: AAAA for container names and aliases (also as
NAME.NETWORK), A for the same names, PTR under ip6.arpa (`dig -x`);
glibc reads the resolv.conf vswitchd wrote, which names both of the
gateway's addresses, IPv4 first.  Upstream forwarding to a resolver on an
IPv6 address: dnsmasq in vswitchd's own (test) namespace, on a ULA address
given to its loopback, given as `--dns-upstream [ADDR]:PORT`,
asked through nslookup from the container at the gateway's IPv6 address.

Uses the `vswitchd` and `topo` fixtures of conftest.py; every wait polls
against a deadline.
"""
import ipaddress
import os
import random

from vsutil import sh, nsx, vsctl_ok, vsjson, uniq, wait_for, make_net, connect

DIG = ["dig", "+time=2", "+tries=2"]


def inspect(vswitchd, net):
    return vsjson(vswitchd, "network", "inspect", net)[0]


def addrs_of(vswitchd, net, ctr):
    e = inspect(vswitchd, net)["Containers"][ctr]
    return e["IPv4Address"].split("/")[0], e["IPv6Address"].split("/")[0]


def dig_short(ns, server, *args):
    r = nsx(ns, *DIG, f"@{server}", "+short", *args, check=False, timeout=30)
    # Lines, not words: dig's own ";; ..." lines are no answers.
    return [l.strip() for l in r.stdout.splitlines() if l.strip() and not l.startswith(";")]


def v6net(vswitchd, topo, n):
    """A dual-stack DNS network with N containers; the first two share an
    alias.  Returns (net, gw4, gw6, [(name, ns)], alias)."""
    tag = random.randrange(0x100, 0xfff)
    net = make_net(vswitchd, "--ipv6", "--subnet", f"fd00:{tag:x}::/64")
    alias = uniq("w6")
    ctrs = []
    for i in range(n):
        name = uniq("d6")
        opts = ["--alias", alias] if i < 2 else []
        ctrs.append((name, connect(vswitchd, topo, net, name, "tap", *opts)))
    cfg = inspect(vswitchd, net)["IPAM"]["Config"]
    return net, cfg[0]["Gateway"], cfg[1]["Gateway"], ctrs, alias


def test_aaaa_ptr_at_gateway_v6(vswitchd, topo):
    net, gw4, gw6, ctrs, alias = v6net(vswitchd, topo, 3)
    (a, ns_a), (b, _), (c, _) = ctrs
    b4, b6 = addrs_of(vswitchd, net, b)
    a4, a6 = addrs_of(vswitchd, net, a)
    # The resolver answers at the gateway's IPv6 address, over UDP and TCP.
    assert dig_short(ns_a, gw6, b, "AAAA") == [b6]
    assert dig_short(ns_a, gw6, b, "AAAA", "+tcp") == [b6]
    assert dig_short(ns_a, gw6, f"{b}.{net}", "AAAA") == [b6]
    assert dig_short(ns_a, gw6, b, "A") == [b4]
    # ...and at the IPv4 one, AAAA as well.
    assert dig_short(ns_a, gw4, c, "AAAA") == [addrs_of(vswitchd, net, c)[1]]
    # An alias shared by two containers: both AAAA.
    assert sorted(dig_short(ns_a, gw6, alias, "AAAA")) == sorted([a6, b6])
    # PTR under ip6.arpa, over IPv6 and over IPv4.
    assert dig_short(ns_a, gw6, "-x", b6) == [f"{b}.{net}."]
    assert dig_short(ns_a, gw4, "-x", b6) == [f"{b}.{net}."]
    assert dig_short(ns_a, gw6, "-x", b4) == [f"{b}.{net}."]
    # The reply comes from the address asked, and the stats counted it.
    r = nsx(ns_a, *DIG, f"@{gw6}", b, "AAAA", check=False)
    assert f"SERVER: {gw6}#53" in r.stdout, r.stdout
    assert vsjson(vswitchd, "stats")["dns"]["local_answers"] >= 8
    # A container that left is gone from AAAA and PTR at once; the others stay.
    c6 = addrs_of(vswitchd, net, c)[1]
    assert dig_short(ns_a, gw6, "-x", c6) == [f"{c}.{net}."]
    vsctl_ok(vswitchd, "network", "disconnect", net, c)
    assert dig_short(ns_a, gw6, c, "AAAA") == []
    assert dig_short(ns_a, gw6, "-x", c6) == []
    assert dig_short(ns_a, gw6, "-x", b6) == [f"{b}.{net}."]


def test_resolv_conf_names_both(vswitchd, topo):
    net, gw4, gw6, ctrs, alias = v6net(vswitchd, topo, 2)
    (a, ns_a), (b, _) = ctrs
    b4, b6 = addrs_of(vswitchd, net, b)
    with open(f"/etc/netns/{ns_a}/resolv.conf") as f:
        text = f.read()
    lines = [l.split()[1] for l in text.splitlines() if l.startswith("nameserver")]
    assert lines == [gw4, gw6], text
    # glibc, through that file: both families of the peer's name.
    out = nsx(ns_a, "getent", "ahosts", b).stdout
    got = {l.split()[0] for l in out.splitlines()}
    assert {b4, b6} <= got, out
    out = nsx(ns_a, "getent", "ahostsv6", b).stdout
    assert b6 in out.split(), out


def dnsmasq6(ns, addr, port, tmpdir, topo):
    """dnsmasq on ADDR, an IPv6 address given to NS's loopback (NS is the
    test's own namespace: nothing of the machine's is touched)."""
    sh("ip", "-n", ns, "addr", "add", f"{addr}/128", "dev", "lo", "nodad")
    pid = os.path.join(tmpdir, f"dnsmasq6-{port}.pid")
    p = topo.spawn(ns, "dnsmasq", "-k", "-p", port, "--no-resolv", "--no-hosts",
                   "--address=/example6.test/2001:db8::7",
                   "--address=/example6.test/192.0.2.7",
                   f"--listen-address={addr}", "--bind-interfaces",
                   f"--pid-file={pid}", "--user=root", "--group=root")
    ok = wait_for(lambda: p.poll() is not None or
                  nsx(ns, "dig", "+time=1", "+tries=1", "-p", str(port), f"@{addr}",
                      "example6.test", "AAAA", "+short", check=False).stdout.strip()
                  == "2001:db8::7", 10)
    assert p.poll() is None and ok, "dnsmasq did not start on an IPv6 address"
    return p


def test_upstream_on_v6_address(vswitchd, topo, tmp_path):
    up = str(ipaddress.ip_address(f"fd00:5353::{random.randrange(1, 0xffff):x}"))
    port = random.randrange(20000, 30000)
    dnsmasq6(vswitchd.ns, up, port, str(tmp_path), topo)
    vswitchd.restart(kill9=False, extra_args=["--dns-upstream", f"[{up}]:{port}"])
    net, gw4, gw6, ctrs, _ = v6net(vswitchd, topo, 1)
    (a, ns_a), = ctrs
    # nslookup from the container, at the gateway's IPv6 address, of a
    # name only the upstream knows: forwarded over IPv6, answer relayed.
    r = nsx(ns_a, "nslookup", "-timeout=3", "-type=AAAA", "example6.test", gw6,
            check=False, timeout=30)
    assert "2001:db8::7" in r.stdout, r.stdout + r.stderr
    assert dig_short(ns_a, gw6, "example6.test", "A") == ["192.0.2.7"]
    assert dig_short(ns_a, gw6, "example6.test", "AAAA", "+tcp") == ["2001:db8::7"]
    st = vsjson(vswitchd, "stats")["dns"]
    assert st["forwarded"] >= 3 and st["upstream_answers"] >= 3, st
    # Container names stay local.
    assert dig_short(ns_a, gw6, a, "AAAA") == [addrs_of(vswitchd, net, a)[1]]


def test_trace_to_resolver_v6(vswitchd, topo):
    """vsctl trace to the gateway's IPv6 address, port 53: the resolver
    takes it (UDP and TCP), as for IPv4; port 54 is not the resolver's."""
    net, gw4, gw6, ctrs, _ = v6net(vswitchd, topo, 1)
    (a, _), = ctrs
    for proto in ("udp", "tcp"):
        res = vsjson(vswitchd, "trace", "--from", a, "--to", f"[{gw6}]:53", "--proto", proto)
        v = res["verdict"]
        assert v["decision"] == "local" and v["stage"] == "dns", res
    res = vsjson(vswitchd, "trace", "--from", a, "--to", f"[{gw6}]:54", "--proto", "udp")
    assert res["verdict"]["stage"] != "dns", res
