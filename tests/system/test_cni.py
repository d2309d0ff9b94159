"""test_cni.py - the `vswitch` CNI plugin, executed as a runtime would.

Each case sets the CNI_* environment, writes the configuration to the
plugin's standard input and checks the JSON it prints and what happened
in the container's namespace and in vswitchd: ADD, CHECK, DEL (twice,
and without a namespace), VERSION, STATUS with vswitchd up and down, GC
with a list of valid attachments, the result shapes of 0.3.1/0.4.0/1.1.0,
runtimeConfig (address, MAC, aliases in both forms, port mappings) and
CNI_ARGS, a vswitchd restart between ADD and DEL, and every kind of bad
input answered with the spec's error code and nothing left behind.

The real runtimes (containerd, podman) are in test_cni_runtimes.py.
Uses the `vswitchd` and `topo` fixtures of conftest.py.
"""
import json
import subprocess

import pytest
from cniutil import cni, cni_ok, cni_err, conf, plugin_path
from vsutil import nsx, sh, vsctl_ok, vsjson, make_net, wait_for

ID1 = "0123456789abcdef" * 4        # 64 hex digits, as podman's ids
ID2 = "fedcba9876543210" * 4


def link(ns, ifname="eth0"):
    """`ip -j link show IFNAME` in NS, or None if it is not there."""
    r = nsx(ns, "ip", "-j", "link", "show", ifname, check=False)
    return json.loads(r.stdout)[0] if r.returncode == 0 else None


def addrs(ns, ifname="eth0"):
    r = nsx(ns, "ip", "-j", "-4", "addr", "show", ifname, check=False)
    if r.returncode:
        return []
    return [f"{a['local']}/{a['prefixlen']}" for i in json.loads(r.stdout)
            for a in i.get("addr_info", [])]


def dig(ns, server, name):
    r = nsx(ns, "dig", "+time=2", "+tries=2", "+short", f"@{server}", name, check=False)
    return [l for l in r.stdout.split() if l and not l.startswith(";")]


def nothing_left(vswitchd, ns):
    """No endpoint in vswitchd, no interface in the namespace."""
    assert vsjson(vswitchd, "container", "ls") == []
    assert link(ns) is None


def test_add_check_del(vswitchd, topo):
    net = make_net(vswitchd, "--subnet", "10.71.0.0/24")
    ns, peer = topo.container("a1"), topo.container("a2")
    cf = conf(vswitchd, "cnitest", network=net)
    res = cni_ok("ADD", cf, ctr=ID1, netns=ns, args="IgnoreUnknown=1;K8S_POD_NAME=web")
    # the result, field by field (SPEC.md "Success")
    assert res["cniVersion"] == "1.0.0"
    (iface,) = res["interfaces"]
    assert iface["name"] == "eth0" and iface["sandbox"] == f"/run/netns/{ns}"
    assert iface["mac"] == link(ns)["address"] and "mtu" not in iface
    assert res["ips"] == [{"address": "10.71.0.2/24", "gateway": "10.71.0.1", "interface": 0}]
    assert res["routes"] == [{"dst": "0.0.0.0/0", "gw": "10.71.0.1"}]
    assert res["dns"] == {"nameservers": ["10.71.0.1"]}
    # what it did: the interface, its address, the way out, its name
    assert addrs(ns) == ["10.71.0.2/24"]
    assert "default via 10.71.0.1" in nsx(ns, "ip", "route").stdout
    nsx(ns, "ping", "-c", "1", "-W", "2", "10.71.0.1")
    vsctl_ok(vswitchd, "network", "connect", "--netns", peer, net, "peer")
    assert dig(peer, "10.71.0.1", "web") == ["10.71.0.2"]
    (ctr,) = vsjson(vswitchd, "container", "ls", "--owner", "cni:cnitest")
    assert ctr["name"] == ID1 and ctr["dns_name"] == "web"
    # CHECK: as made, then after the MAC changed behind our back
    cni_ok("CHECK", {**cf, "prevResult": res}, ctr=ID1, netns=ns)
    nsx(ns, "ip", "link", "set", "eth0", "address", "02:00:00:00:00:99")
    err = cni_err("CHECK", {**cf, "prevResult": res}, 101, ctr=ID1, netns=ns)
    assert "02:00:00:00:00:99" in err["msg"]
    wrong = json.loads(json.dumps(res))
    wrong["ips"][0]["address"] = "10.71.0.9/24"
    nsx(ns, "ip", "link", "set", "eth0", "address", iface["mac"])
    err = cni_err("CHECK", {**cf, "prevResult": wrong}, 101, ctr=ID1, netns=ns)
    assert "10.71.0.9" in err["msg"]
    # DEL, DEL again, DEL without a namespace (containerd after the task died)
    assert cni_ok("DEL", {**cf, "prevResult": res}, ctr=ID1, netns=ns) is None
    assert link(ns) is None
    assert [c["name"] for c in vsjson(vswitchd, "container", "ls")] == ["peer"]
    cni_ok("DEL", cf, ctr=ID1, netns=ns)
    cni_ok("DEL", cf, ctr=ID1, netns="")
    cni_ok("DEL", cf, ctr=ID2)
    cni_err("CHECK", {**cf, "prevResult": res}, 3, ctr=ID1, netns=ns)


def test_version_and_result_shapes(vswitchd, topo):
    net = make_net(vswitchd, "--subnet", "10.72.0.0/24", "--no-dns", "--mtu", "1400")
    ns = topo.container("v1")
    out = cni_ok("VERSION", {}, stdin='{"cniVersion":"1.1.0"}')
    assert out == {"cniVersion": "1.1.0",
                   "supportedVersions": ["0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"]}
    for ver, shape in (("0.3.1", "legacy"), ("0.4.0", "legacy"), ("1.1.0", "mtu")):
        cf = conf(vswitchd, "shapes", network=net, version=ver)
        res = cni_ok("ADD", cf, ctr="ctr-" + ver.replace(".", ""), netns=ns)
        assert res["cniVersion"] == ver
        ip = res["ips"][0]
        if shape == "legacy":
            assert ip["version"] == "4" and "mtu" not in res["interfaces"][0]
        else:
            assert "version" not in ip and res["interfaces"][0]["mtu"] == 1400
        assert "dns" not in res          # --no-dns: no name server to give
        if ver == "0.3.1":               # CHECK came with 0.4.0
            cni_err("CHECK", {**cf, "prevResult": res}, 1, ctr="ctr-031", netns=ns)
        cni_ok("DEL", cf, ctr="ctr-" + ver.replace(".", ""), netns=ns)
    nothing_left(vswitchd, ns)


def test_second_network_has_no_default_route(vswitchd, topo):
    n1 = make_net(vswitchd, "--subnet", "10.73.0.0/24")
    n2 = make_net(vswitchd, "--subnet", "10.74.0.0/24")
    ns = topo.container("m1")
    r1 = cni_ok("ADD", conf(vswitchd, "one", network=n1), ctr=ID1, netns=ns)
    r2 = cni_ok("ADD", conf(vswitchd, "two", network=n2, version="1.1.0",
                            prevResult=r1), ctr=ID1, netns=ns, ifname="net1")
    # chained: ours is appended, the address points at it
    assert [i["name"] for i in r2["interfaces"]] == ["eth0", "net1"]
    assert r2["ips"][1] == {"address": "10.74.0.2/24", "gateway": "10.74.0.1", "interface": 1}
    assert r2["routes"] == r1["routes"]     # no second default route
    assert r2["dns"]["nameservers"] == ["10.73.0.1", "10.74.0.1"]
    cni_ok("DEL", conf(vswitchd, "two", network=n2), ctr=ID1, netns=ns, ifname="net1")
    assert link(ns, "net1") is None and link(ns, "eth0") is not None
    cni_ok("DEL", conf(vswitchd, "one", network=n1), ctr=ID1, netns=ns)
    nothing_left(vswitchd, ns)


@pytest.mark.uplink
def test_runtime_config_and_cni_args(vswitchd, topo):
    net = make_net(vswitchd, "--subnet", "10.75.0.0/24")
    ns, ns2, peer = topo.container("r1"), topo.container("r2"), topo.container("r3")
    cf = conf(vswitchd, "rc", network=net, capabilities={"portMappings": True})
    rc = {"ips": ["10.75.0.50/24"], "mac": "02:00:00:aa:bb:cc",
          "aliases": {"rc": ["db", "db2"], "other": ["nope"]},       # podman's map
          "portMappings": [{"hostPort": 18471, "containerPort": 80, "protocol": "tcp",
                            "hostIP": "127.0.0.1"},
                           {"hostPort": 18472, "containerPort": 53, "protocol": "udp",
                            "hostIP": ""}]}
    res = cni_ok("ADD", {**cf, "runtimeConfig": rc}, ctr=ID1, netns=ns)
    assert res["ips"][0]["address"] == "10.75.0.50/24"
    assert res["interfaces"][0]["mac"] == "02:00:00:aa:bb:cc" == link(ns)["address"]
    ports = sorted(l.strip() for l in vsctl_ok(vswitchd, "port", "ls", ID1).stdout.splitlines())
    assert ports == ["53/udp -> 0.0.0.0:18472", "80/tcp -> 127.0.0.1:18471"]
    # CNI_ARGS IP=/MAC= (podman's way for one static address), aliases as a list
    res2 = cni_ok("ADD", {**cf, "runtimeConfig": {"aliases": ["cache"]}}, ctr=ID2, netns=ns2,
                  args="IgnoreUnknown=1;IP=10.75.0.60;MAC=02:00:00:aa:bb:dd;K8S_POD_NAME=c2")
    assert res2["ips"][0]["address"] == "10.75.0.60/24" and link(ns2)["address"] == "02:00:00:aa:bb:dd"
    vsctl_ok(vswitchd, "network", "connect", "--netns", peer, net, "peer")
    assert dig(peer, "10.75.0.1", "db2") == ["10.75.0.50"]
    assert dig(peer, "10.75.0.1", "cache") == ["10.75.0.60"]
    assert dig(peer, "10.75.0.1", "c2") == ["10.75.0.60"]
    assert dig(peer, "10.75.0.1", "nope") == []
    # the proxy listens in vswitchd's namespace; DEL takes it away
    assert "127.0.0.1:18471" in nsx(vswitchd.ns, "ss", "-ltn").stdout
    cni_ok("DEL", {**cf, "runtimeConfig": rc}, ctr=ID1, netns=ns)
    assert vswitchd.vsctl("port", "ls", ID1).returncode == 1    # the container is gone
    assert "127.0.0.1:18471" not in nsx(vswitchd.ns, "ss", "-ltn").stdout
    assert link(ns) is None
    cni_ok("DEL", cf, ctr=ID2, netns=ns2)


def test_status_and_gc(vswitchd, topo):
    net = make_net(vswitchd, "--subnet", "10.76.0.0/24")
    nss = [topo.container(f"g{i}") for i in range(4)]
    cf = conf(vswitchd, "gcnet", network=net, version="1.1.0")
    other = conf(vswitchd, "othernet", network=net, version="1.1.0")
    assert cni_ok("STATUS", cf) is None
    cni_ok("ADD", cf, ctr="keep", netns=nss[0])
    cni_ok("ADD", cf, ctr="stale", netns=nss[1])
    cni_ok("ADD", other, ctr="theirs", netns=nss[2])      # another CNI network's
    vsctl_ok(vswitchd, "network", "connect", "--netns", nss[3], net, "byhand")
    gc = {**cf, "cni.dev/valid-attachments": [{"containerID": "keep", "ifname": "eth0"},
                                              {"containerID": "gone", "ifname": "eth0"}]}
    cni_ok("GC", gc)
    left = sorted(c["name"] for c in vsjson(vswitchd, "container", "ls"))
    assert left == ["byhand", "keep", "theirs"]
    assert link(nss[1]) is None and link(nss[0]) is not None
    # a valid list with the right container but another interface: collected
    cni_ok("GC", {**cf, "cni.dev/valid-attachments": [{"containerID": "keep",
                                                       "ifname": "net9"}]})
    assert sorted(c["name"] for c in vsjson(vswitchd, "container", "ls")) == ["byhand", "theirs"]
    cni_err("GC", {**cf, "cni.dev/valid-attachments": [{"ifname": "eth0"}]}, 7)
    # STATUS of a network vswitchd does not have; then vswitchd down
    cni_err("STATUS", conf(vswitchd, "nonet", version="1.1.0"), 50)
    vswitchd.stop()
    err = cni_err("STATUS", cf, 50)
    assert vswitchd.sock in err["msg"]
    cni_err("ADD", cf, 11, ctr="late", netns=nss[1])
    cni_err("DEL", cf, 11, ctr="keep", netns=nss[0])


def test_bad_input_is_refused_and_leaves_nothing(vswitchd, topo):
    net = make_net(vswitchd, "--subnet", "10.77.0.0/24")
    ns = topo.container("b1")
    cf = conf(vswitchd, "bad", network=net)
    cases = [
        (dict(stdin='{"cniVersion": "1.0.0", "name": '), 6, "not JSON"),
        (dict(stdin='[1, 2]'), 6, "not one JSON object"),
        (dict(stdin=json.dumps(cf) + ' {}'), 6, "not one JSON object"),
        (dict(config={**cf, "cniVersion": "9.9.9"}), 1, "9.9.9"),
        (dict(config={k: v for k, v in cf.items() if k != "cniVersion"}), 7, "cniVersion"),
        (dict(config={**cf, "name": 7}), 7, "strings"),
        (dict(config={**cf, "name": "a b"}), 7, "network name"),
        (dict(config={**cf, "network": "no-such-net"}), 7, "does not exist"),
        (dict(config={**cf, "attach": "wire"}), 7, "tap or veth"),
        (dict(config={**cf, "runtimeConfig": {"ips": ["fd00::5/64"]}}), 2, "IPv6"),
        (dict(config={**cf, "runtimeConfig": {"ips": ["10.77.0.5/24", "10.77.0.6/24"]}}), 2,
         "one address"),
        (dict(config={**cf, "runtimeConfig": {"portMappings": [{"hostPort": 0,
                                                                "containerPort": 80}]}}),
         7, "hostPort"),
        (dict(config={**cf, "runtimeConfig": {"portMappings": [{"hostPort": 8080,
                                                                "containerPort": 80,
                                                                "protocol": "sctp"}]}}),
         2, "sctp"),
        (dict(ctr=None), 4, "CNI_CONTAINERID"),
        (dict(netns=None), 4, "CNI_NETNS"),
        (dict(ifname=None), 4, "CNI_IFNAME"),
        (dict(ctr="bad/id"), 4, "CNI_CONTAINERID"),
        (dict(args="FOO=1"), 4, "FOO"),
        (dict(args="garbage"), 4, "KEY=VALUE"),
        (dict(env={"CNI_COMMAND": "FROB"}), 4, "FROB"),
        # vswitchd's own refusals: address outside the subnet, netns missing
        (dict(config={**cf, "runtimeConfig": {"ips": ["10.99.0.5/24"]}}), 100, "vswitchd"),
        (dict(netns="/run/netns/" + topo.prefix + "nonexistent"), 100, "vswitchd"),
    ]
    for kw, code, word in cases:
        call = {"config": cf, "ctr": ID1, "netns": ns, **kw}
        config = call.pop("config")
        err = cni_err("ADD", config, code, **call)
        assert word in err["msg"], (kw, err)
        assert err["cniVersion"] in ("1.0.0", "1.1.0")
        nothing_left(vswitchd, ns)


@pytest.mark.uplink
def test_failed_publish_undoes_the_connect(vswitchd, topo):
    net = make_net(vswitchd, "--subnet", "10.78.0.0/24")
    ns, other = topo.container("p1"), topo.container("p2")
    vsctl_ok(vswitchd, "network", "connect", "--netns", other, net, "holder")
    vsctl_ok(vswitchd, "port", "publish", "holder", "18481:80")
    cf = conf(vswitchd, "pub", network=net)
    rc = {"portMappings": [{"hostPort": 18481, "containerPort": 80, "protocol": "tcp"}]}
    err = cni_err("ADD", {**cf, "runtimeConfig": rc}, 100, ctr=ID1, netns=ns)
    assert "already published" in err["msg"]
    assert [c["name"] for c in vsjson(vswitchd, "container", "ls")] == ["holder"]
    assert link(ns) is None


def test_restart_between_add_and_del(vswitchd, topo):
    net = make_net(vswitchd, "--subnet", "10.79.0.0/24")
    ns = topo.container("s1")
    cf = conf(vswitchd, "rs", network=net, version="1.1.0")
    res = cni_ok("ADD", cf, ctr=ID1, netns=ns, args="K8S_POD_NAME=svc")
    vswitchd.restart(kill9=True)
    cni_ok("CHECK", {**cf, "prevResult": res}, ctr=ID1, netns=ns)
    assert wait_for(lambda: nsx(ns, "ping", "-c", "1", "-W", "1", "10.79.0.1",
                                check=False).returncode == 0, 10)
    (c,) = vsjson(vswitchd, "container", "ls")
    assert c["dns_name"] == "svc" and c["endpoints"][0]["owner"] == "cni:rs"
    cni_ok("DEL", cf, ctr=ID1, netns=ns)
    nothing_left(vswitchd, ns)


def test_plugin_without_cni_command():
    r = subprocess.run([plugin_path()], input="", capture_output=True, text=True,
                       env={"PATH": "/usr/bin:/bin"}, timeout=10)
    assert r.returncode == 1 and json.loads(r.stdout)["code"] == 4
    assert "CNI plugin" in r.stderr
