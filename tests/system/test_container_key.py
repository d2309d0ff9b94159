"""test_container_key.py - container keys, DNS names and endpoint owners.

What runtimes (CNI, Docker) need of vswitchd, checked through vsctl and the
raw control socket: a container's key is not its DNS name (a 64-hex CNI id
connects with a DNS name of its own, two keys may share one name), each
endpoint carries an owner that `container ls --owner` filters on, the
connect reply says what a CNI result needs (the MAC asked of the kernel,
prefix, gateway, MTU, default route, DNS), `endpoint.check` notices an
interface that changed, `network.disconnect` with missing_ok is
idempotent and with drop_ports takes the published ports along, and a
state file from before these fields still loads.

Uses the `vswitchd` and `topo` fixtures of conftest.py.
"""
import json
import os
import socket

import pytest
from vsutil import nsx, vsctl_ok, vsjson, uniq, make_net

DIG = ["dig", "+time=2", "+tries=2", "+short"]
KEY = "a1b2c3d4" * 8          # a CNI_CONTAINERID: 64 hex digits


def ctl(vswitchd, cmd, args=None):
    """One request on the control socket; the reply object."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(10)
        s.connect(vswitchd.sock)
        s.sendall((json.dumps({"cmd": cmd, "args": args or {}}) + "\n").encode())
        buf = b""
        while not buf.endswith(b"\n"):
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
    return json.loads(buf)


def dig(ns, server, name):
    r = nsx(ns, *DIG, f"@{server}", name, check=False)
    return [l for l in r.stdout.split() if l and not l.startswith(";")]


def test_key_dns_name_owner(vswitchd, topo):
    net = make_net(vswitchd, "--subnet", "10.61.0.0/24")
    ns1, ns2, ns3 = topo.container("k1"), topo.container("k2"), topo.container("k3")
    r = ctl(vswitchd, "network.connect", {"network": net, "container": KEY, "netns": ns1,
                                          "dns_name": "web", "owner": f"cni:{net}"})
    assert r["ok"], r
    ep = r["result"]
    # what a CNI result is made of
    assert ep["container"] == KEY and ep["dns_name"] == "web" and ep["owner"] == f"cni:{net}"
    assert ep["prefix"] == 24 and ep["gateway"] == "10.61.0.1" and ep["mtu"] == 1500
    assert ep["default_route"] is True and ep["dns"] is True and ep["netns"] == ns1
    link = json.loads(nsx(ns1, "ip", "-j", "link", "show", "eth0").stdout)[0]
    assert ep["mac"] == link["address"]
    # a second key with the same DNS name (names are not unique), by vsctl
    vsctl_ok(vswitchd, "network", "connect", "--netns", ns2, "--dns-name", "web",
             "--owner", f"cni:{net}", net, KEY[:-1] + "0")
    # a plain vsctl container: its key is its name, its owner vsctl
    vsctl_ok(vswitchd, "network", "connect", "--netns", ns3, net, "plain")
    assert sorted(dig(ns3, "10.61.0.1", "web")) == ["10.61.0.2", "10.61.0.3"]
    assert dig(ns3, "10.61.0.1", KEY) == []          # the key is no name
    assert dig(ns1, "10.61.0.1", "plain") == ["10.61.0.4"]
    # the owner filter: only what that owner made
    mine = vsjson(vswitchd, "container", "ls", "--owner", f"cni:{net}")
    assert sorted(c["name"] for c in mine) == sorted([KEY, KEY[:-1] + "0"])
    assert all(e["owner"] == f"cni:{net}" for c in mine for e in c["endpoints"])
    table = vswitchd.vsctl("container", "ls").stdout.splitlines()
    row = [l.split() for l in table if l.startswith(KEY)][0]
    assert row[1:3] == ["web", f"cni:{net}"]
    plain = [l.split() for l in table if l.startswith("plain ")][0]
    assert plain[1:3] == ["plain", "vsctl"]
    # one DNS name per container
    r = ctl(vswitchd, "network.connect", {"network": "bridge", "container": KEY,
                                          "dns_name": "other"})
    assert not r["ok"] and "DNS name" in r["error"]


def test_bad_key_owner_dns_name_refused(vswitchd, topo):
    net = make_net(vswitchd)
    ns = topo.container("b1")
    for args, word in (({"container": "x" * 200}, "invalid container name"),
                       ({"container": "ok1", "owner": "cni:"}, "invalid owner"),
                       ({"container": "ok1", "owner": "a b"}, "invalid owner"),
                       ({"container": "ok1", "dns_name": "-bad"}, "invalid DNS name"),
                       ({"container": "ok1", "dns_name": "d" * 64}, "invalid DNS name")):
        r = ctl(vswitchd, "network.connect", {"network": net, "netns": ns, **args})
        assert not r["ok"] and word in r["error"], (args, r)
    assert vsjson(vswitchd, "container", "ls") == []
    assert "eth0" not in nsx(ns, "ip", "-o", "link").stdout


def test_disconnect_missing_ok_and_drop_ports(vswitchd, topo):
    net = make_net(vswitchd)
    ns = topo.container("d1")
    vsctl_ok(vswitchd, "network", "connect", "--netns", ns, net, "d1")
    vsctl_ok(vswitchd, "port", "publish", "d1", "127.0.0.1:18931:80")
    r = ctl(vswitchd, "network.disconnect", {"network": net, "container": "d1",
                                             "missing_ok": True, "drop_ports": True})
    assert r == {"ok": True, "result": {"removed": True}}
    # the ports went with the last endpoint: the container is gone
    assert vsjson(vswitchd, "container", "ls") == []
    assert "18931" not in nsx(vswitchd.ns, "ss", "-ltn").stdout
    # a second DEL, an unknown container, an unknown network: all fine
    for args in ({"network": net, "container": "d1"},
                 {"network": net, "container": "never"},
                 {"network": uniq("gone"), "container": "d1"}):
        r = ctl(vswitchd, "network.disconnect", {**args, "missing_ok": True})
        assert r == {"ok": True, "result": {"removed": False}}, r
    vsctl_ok(vswitchd, "network", "disconnect", "--if-exists", net, "d1")
    # without missing_ok it is still an error
    assert vswitchd.vsctl("network", "disconnect", net, "d1").returncode == 1


def test_endpoint_check(vswitchd, topo):
    net = make_net(vswitchd, "--subnet", "10.62.0.0/24")
    ns = topo.container("c1")
    vsctl_ok(vswitchd, "network", "connect", "--netns", ns, net, "c1")
    good = {"network": net, "container": "c1", "ifname": "eth0", "ip": "10.62.0.2",
            "mac": "02:42:0a:3e:00:02"}
    assert ctl(vswitchd, "endpoint.check", good)["ok"]
    for bad, word in (({"ifname": "eth1"}, "has interface eth0, not eth1"),
                      ({"ip": "10.62.0.9"}, "has address 10.62.0.2, not 10.62.0.9"),
                      ({"mac": "02:00:00:00:00:01"}, "expected 02:00:00:00:00:01"),
                      ({"container": "nope"}, "container nope not found")):
        r = ctl(vswitchd, "endpoint.check", {**good, **bad})
        assert not r["ok"] and word in r["error"], (bad, r)
    # the MAC changed inside the container: CHECK must see it
    nsx(ns, "ip", "link", "set", "eth0", "address", "02:00:00:00:00:07")
    r = ctl(vswitchd, "endpoint.check", good)
    assert not r["ok"] and "has MAC 02:00:00:00:00:07" in r["error"], r


def test_state_keeps_and_defaults_new_fields(vswitchd, topo):
    net = make_net(vswitchd)
    ns1, ns2 = topo.container("s1"), topo.container("s2")
    ctl(vswitchd, "network.connect", {"network": net, "container": KEY, "netns": ns1,
                                      "dns_name": "svc", "owner": "docker"})
    vsctl_ok(vswitchd, "network", "connect", "--netns", ns2, net, "old")
    vswitchd.restart(kill9=True)
    ctrs = {c["name"]: c for c in vsjson(vswitchd, "container", "ls")}
    assert ctrs[KEY]["dns_name"] == "svc" and ctrs[KEY]["endpoints"][0]["owner"] == "docker"
    # a file from before keys and owners: no dns_name, no owner
    vswitchd.stop()
    path = os.path.join(vswitchd.state_dir, "state.json")
    with open(path) as f:
        st = json.load(f)
    for c in st["containers"]:
        c.pop("dns_name", None)
        for e in c["endpoints"]:
            e.pop("owner", None)
    with open(path, "w") as f:
        json.dump(st, f)
    vswitchd.start()
    ctrs = {c["name"]: c for c in vsjson(vswitchd, "container", "ls")}
    assert ctrs["old"]["dns_name"] == "old" and ctrs["old"]["endpoints"][0]["owner"] == "vsctl"
    assert ctrs[KEY]["endpoints"][0]["owner"] == "vsctl"
