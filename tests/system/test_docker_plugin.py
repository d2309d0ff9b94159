"""test_docker_plugin.py - vswitch-docker-plugin's protocol, without dockerd.

These speak to the plugin as dockerd does (HTTP/1.1 over its unix socket,
one kept-alive connection, JSON bodies as Docker 20.10 sends them, see
research/runtimes.md 2.2) and check what vswitchd made of each call, and
that bad input gets a clear Err and harms neither process.  The tests with
a real dockerd are in test_docker.py.
"""
import json
import socket
import subprocess
import time

import pytest

from dockerutil import Plugin, PluginClient, find_plugin, ns_call
from vsutil import nsx, vsjson, wait_for

NID = "d0a88b1122334455667788990011223344556677889900aabbccddeeff001122"
NID2 = "e1b99c1122334455667788990011223344556677889900aabbccddeeff001122"
EID = "abf26a2f00112233445566778899aabbccddeeff00112233445566778899aabb"


@pytest.fixture
def plugin(vswitchd):
    binary = find_plugin()
    if not binary:
        pytest.skip("vswitch-docker-plugin not built")
    p = Plugin(vswitchd, binary)
    p.start()
    try:
        yield p
        assert p.proc.poll() is None, "the plugin died during the test:\n" + p.log()
        assert p.stop() == 0, "the plugin did not stop cleanly on SIGTERM:\n" + p.log()
    finally:
        p.stop(kill9=True)


def create_body(nid=NID, pool="10.77.0.0/24", gw="10.77.0.1/24", generic=None, **opts):
    options = {"com.docker.network.enable_ipv6": False,
               "com.docker.network.generic": generic or {}}
    options.update(opts)
    return {"NetworkID": nid, "Options": options,
            "IPv4Data": [{"AddressSpace": "LocalDefault", "Gateway": gw, "Pool": pool}],
            "IPv6Data": []}


def inspect(vswitchd, name):
    return vsjson(vswitchd, "network", "inspect", name)[0]


def test_activate_and_capabilities(plugin):
    c = plugin.client()
    assert c.call("Plugin.Activate") == {"Implements": ["NetworkDriver", "IpamDriver"]}
    assert c.call("NetworkDriver.GetCapabilities") == {"Scope": "local",
                                                        "ConnectivityScope": "local"}
    # 404 is Docker's "not implemented" (optional methods); same connection.
    status, reply = c.raw("NetworkDriver.AllocateNetwork", "{}")
    assert status == 404 and "not implemented" in reply["Err"]
    c.close()


def test_create_network_maps_options(plugin, vswitchd):
    c = plugin.client()
    body = create_body(generic={"com.docker.network.driver.mtu": "1400",
                                "com.docker.network.bridge.enable_icc": "false"},
                       **{"com.docker.network.internal": True})
    body["IPv4Data"][0]["AuxAddresses"] = {"router": "10.77.0.5/24"}
    assert c.call("NetworkDriver.CreateNetwork", body) == {}
    n = inspect(vswitchd, "docker-" + NID[:12])
    assert n["Internal"] is True
    assert n["IPAM"]["Config"][0]["Subnet"] == "10.77.0.0/24"
    assert n["IPAM"]["Config"][0]["Gateway"] == "10.77.0.1"
    assert n["IPAM"]["Config"][0]["AuxiliaryAddresses"] == {"router": "10.77.0.5"}
    assert n["Options"]["com.docker.network.driver.mtu"] == "1400"
    assert n["Options"]["com.docker.network.bridge.enable_icc"] == "false"
    # The plugin keeps nothing: a new connection (a restarted plugin) deletes it.
    c.close()
    c = plugin.client()
    assert c.call("NetworkDriver.DeleteNetwork", {"NetworkID": NID}) == {}
    names = [x["name"] for x in vsjson(vswitchd, "network", "ls")]
    assert "docker-" + NID[:12] not in names


def test_plugin_restart_serves_old_networks(plugin, vswitchd):
    c = plugin.client()
    c.call("NetworkDriver.CreateNetwork", create_body())
    c.close()
    assert plugin.stop() == 0
    plugin.start()
    c = plugin.client()
    assert c.call("NetworkDriver.DeleteNetwork", {"NetworkID": NID}) == {}


@pytest.mark.parametrize("body, words", [
    ("{not json", "not a JSON object"),
    ("[1, 2]", "not a JSON object"),
    ('{"a": 1} {"b": 2}', "not a JSON object"),
])
def test_malformed_json_is_refused(plugin, vswitchd, body, words):
    c = plugin.client()
    status, reply = c.raw("NetworkDriver.CreateNetwork", body)
    assert status == 400 and words in reply["Err"]
    # The plugin is unharmed and still answers, on a new connection.
    c = plugin.client()
    assert c.call("NetworkDriver.GetCapabilities")["Scope"] == "local"
    assert vswitchd.vsctl("network", "ls").returncode == 0


@pytest.mark.parametrize("method, body, words", [
    ("NetworkDriver.CreateNetwork", {"NetworkID": "xyz"}, "NetworkID must be a Docker id"),
    ("NetworkDriver.CreateNetwork", {"NetworkID": NID, "IPv4Data": []},
     "exactly one pool"),
    ("NetworkDriver.CreateNetwork", dict(create_body(), IPv6Data=[{"Pool": "fd00::/64"}]),
     "IPv4 only"),
    ("NetworkDriver.CreateNetwork",
     create_body(generic={"com.docker.network.driver.mtu": "huge"}), "68 to 65535"),
    ("NetworkDriver.CreateNetwork", create_body(generic={"vswitch.netwrk": "x"}),
     "unknown option vswitch.netwrk"),
    ("NetworkDriver.CreateNetwork", create_body(pool="10.77.0.0/33"), "invalid CIDR"),
    ("NetworkDriver.DeleteNetwork", {"NetworkID": NID2}, "not found"),
    ("NetworkDriver.DeleteEndpoint", {"NetworkID": NID2, "EndpointID": NID}, ""),
    ("NetworkDriver.Join", {"NetworkID": NID2, "EndpointID": NID,
                            "SandboxKey": "/run/x/netns/1"}, "not found"),
    ("NetworkDriver.Join", {"NetworkID": NID2, "EndpointID": NID}, "SandboxKey"),
    ("NetworkDriver.EndpointOperInfo", {"NetworkID": NID2}, "EndpointID"),
    ("NetworkDriver.RevokeExternalConnectivity", {"NetworkID": NID2, "EndpointID": NID2},
     "docker-e1b99c112233"),
])
def test_bad_input_gets_clear_err(plugin, vswitchd, method, body, words):
    c = plugin.client()
    before = vsjson(vswitchd, "network", "ls")
    reply = c.call(method, body)
    assert set(reply) == {"Err"} and reply["Err"] and "\n" not in reply["Err"]
    assert words in reply["Err"]
    assert vsjson(vswitchd, "network", "ls") == before
    assert c.call("NetworkDriver.GetCapabilities")["Scope"] == "local"


def test_second_create_network_same_id(plugin, vswitchd):
    c = plugin.client()
    assert c.call("NetworkDriver.CreateNetwork", create_body()) == {}
    reply = c.call("NetworkDriver.CreateNetwork", create_body())
    assert "already exists" in reply["Err"]
    assert inspect(vswitchd, "docker-" + NID[:12])["IPAM"]["Config"][0]["Subnet"] == \
        "10.77.0.0/24"


def test_vswitchd_down_is_an_err(plugin, vswitchd):
    vswitchd.stop()
    try:
        reply = plugin.client().call("NetworkDriver.CreateNetwork", create_body())
        assert "cannot reach vswitchd" in reply["Err"]
    finally:
        vswitchd.start()


def test_keepalive_and_pipelining(plugin):
    """Several requests on one connection, sent before any answer is read,
    and a body cut in two writes, as Go's client may do."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(plugin.sock)
    req = ("POST /NetworkDriver.GetCapabilities HTTP/1.1\r\nHost: \r\n"
           "Content-Length: 0\r\n\r\n")
    s.sendall((req * 3).encode())
    body = b'{"NetworkID": "x"}\n'
    s.sendall(b"POST /NetworkDriver.DeleteNetwork HTTP/1.1\r\nHost: \r\n"
              b"Content-Length: %d\r\n\r\n" % len(body) + body[:5])
    s.sendall(body[5:])
    data = b""
    while data.count(b"HTTP/1.1 200") < 4 or not data.rstrip().endswith(b"}"):
        chunk = s.recv(65536)
        assert chunk, data
        data += chunk
    s.close()
    assert data.count(b'"Scope":"local"') == 3
    assert b"NetworkID must be a Docker id" in data


def test_oversized_body(plugin):
    c = plugin.client()
    status, reply = c.raw("NetworkDriver.CreateNetwork", b"{" + b" " * (2 << 20) + b"}")
    assert status == 413
    assert plugin.client().call("NetworkDriver.GetCapabilities")["Scope"] == "local"


def test_second_plugin_on_same_socket_refused(plugin, vswitchd):
    other = Plugin(vswitchd, plugin.bin)
    with pytest.raises(RuntimeError, match="another plugin is serving"):
        other.start()
    other.stop()
    assert PluginClient(plugin.sock).call("Plugin.Activate")["Implements"]


def links(ns):
    return {x["ifname"]: x for x in json.loads(nsx(ns, "ip", "-j", "-d", "link", "show").stdout)}


def snapshot(ns):
    """Everything of NS that a hand-off must leave alone."""
    return (nsx(ns, "ip", "-4", "addr").stdout, nsx(ns, "ip", "route").stdout,
            sorted(links(ns)))


def create_endpoint(plugin, dock, address="10.77.0.2/24", mac=""):
    return ns_call(dock, plugin.sock, "NetworkDriver.CreateEndpoint",
                   {"NetworkID": NID, "EndpointID": EID, "Options": {},
                    "Interface": {"Address": address, "AddressIPv6": "", "MacAddress": mac}})


def runtime_move_in(dock, sb, dev, ip):
    """What Docker does after Join: move, rename, configure, route."""
    nsx(dock, "ip", "link", "set", dev, "netns", sb)
    nsx(sb, "ip", "link", "set", dev, "name", "eth0")
    nsx(sb, "ip", "addr", "add", ip, "dev", "eth0")
    nsx(sb, "ip", "link", "set", "eth0", "up")
    nsx(sb, "ip", "route", "add", "default", "via", "10.77.0.1")


def runtime_move_out(dock, sb, dev):
    """What Docker does after Leave: down, rename back, move back."""
    nsx(sb, "ip", "link", "set", "eth0", "down")
    nsx(sb, "ip", "link", "set", "eth0", "name", dev)
    nsx(sb, "ip", "link", "set", dev, "netns", dock)


def ping(ns, ip):
    return nsx(ns, "ping", "-c", "1", "-W", "2", ip, check=False).returncode == 0


def test_handoff_with_stand_in_runtime(plugin, vswitchd, topo):
    """A runtime that moves and renames the device as Docker does: the
    device is made in the runtime's namespace with MAC and MTU only,
    follows into the sandbox, survives kill -9 of vswitchd, and goes with
    DeleteEndpoint; the runtime's namespace is as it was."""
    dock, sb = topo.container("dock"), topo.container("sb")
    nsx(dock, "ip", "route", "add", "blackhole", "203.0.113.0/24")
    before = snapshot(dock)
    c = plugin.client()
    c.call("NetworkDriver.CreateNetwork",
           create_body(generic={"com.docker.network.driver.mtu": "1400"}))
    ep = create_endpoint(plugin, dock)
    mac = ep["Interface"]["MacAddress"]
    assert mac == "02:42:0a:4d:00:02"
    dev = "vsd" + EID[:12]
    link = links(dock)[dev]
    assert link["address"] == mac and link["mtu"] == 1400
    assert "UP" not in link["flags"]
    assert nsx(dock, "ip", "-4", "addr", "show", dev).stdout == ""
    assert snapshot(dock)[:2] == before[:2]

    j = ns_call(dock, plugin.sock, "NetworkDriver.Join",
                {"NetworkID": NID, "EndpointID": EID, "SandboxKey": f"/run/netns/{sb}",
                 "Options": {}})
    assert j == {"InterfaceName": {"SrcName": dev, "DstPrefix": "eth"}, "Gateway": "10.77.0.1"}
    runtime_move_in(dock, sb, dev, "10.77.0.2/24")
    assert ping(sb, "10.77.0.1")
    ctr = [x for x in vsjson(vswitchd, "container", "ls") if x["name"] == "docker-" + EID[:12]]
    assert ctr and ctr[0]["netns"] == f"/run/netns/{sb}"
    assert ctr[0]["endpoints"][0]["ifname"] == "eth0"
    assert ctr[0]["endpoints"][0]["handoff"] is True

    vswitchd.restart(kill9=True)
    assert wait_for(lambda: ping(sb, "10.77.0.1"), 5), vswitchd.log(tail=40)

    assert ns_call(dock, plugin.sock, "NetworkDriver.Leave",
                   {"NetworkID": NID, "EndpointID": EID}) == {}
    runtime_move_out(dock, sb, dev)
    assert ns_call(dock, plugin.sock, "NetworkDriver.DeleteEndpoint",
                   {"NetworkID": NID, "EndpointID": EID}) == {}
    assert snapshot(dock) == before
    assert not [x for x in links(vswitchd.ns) if x.startswith("vs")]
    assert vsjson(vswitchd, "container", "ls") == []
    assert c.call("NetworkDriver.DeleteNetwork", {"NetworkID": NID}) == {}


def test_handoff_delete_while_in_sandbox(plugin, vswitchd, topo):
    """DeleteEndpoint without Leave (a runtime that crashed): the device
    goes from the sandbox too, and nothing is left anywhere."""
    dock, sb = topo.container("dock"), topo.container("sb")
    before = snapshot(dock)
    plugin.client().call("NetworkDriver.CreateNetwork", create_body())
    create_endpoint(plugin, dock, mac="02:00:00:00:00:32")
    ns_call(dock, plugin.sock, "NetworkDriver.Join",
            {"NetworkID": NID, "EndpointID": EID, "SandboxKey": f"/run/netns/{sb}"})
    runtime_move_in(dock, sb, "vsd" + EID[:12], "10.77.0.2/24")
    assert links(sb)["eth0"]["address"] == "02:00:00:00:00:32"
    ns_call(dock, plugin.sock, "NetworkDriver.DeleteEndpoint",
            {"NetworkID": NID, "EndpointID": EID})
    assert "eth0" not in links(sb)
    assert snapshot(dock) == before


def test_handoff_second_create_endpoint(plugin, vswitchd, topo):
    dock = topo.container("dock")
    plugin.client().call("NetworkDriver.CreateNetwork", create_body())
    create_endpoint(plugin, dock)
    before = snapshot(dock)
    reply = create_endpoint(plugin, dock, address="10.77.0.3/24")
    assert "already connected" in reply["Err"]
    assert snapshot(dock) == before
    assert ns_call(dock, plugin.sock, "NetworkDriver.DeleteEndpoint",
                   {"NetworkID": NID, "EndpointID": EID}) == {}
    assert "vsd" + EID[:12] not in links(dock)


def test_bind_to_existing_network(plugin, vswitchd):
    """-o vswitch.network=NAME: Docker's network is another name of NAME;
    its settings must agree; DeleteNetwork unbinds and NAME stays."""
    assert vswitchd.vsctl("network", "create", "--subnet", "10.77.0.0/24", "shared").returncode == 0
    c = plugin.client()
    reply = c.call("NetworkDriver.CreateNetwork",
                   create_body(pool="10.78.0.0/24", gw="10.78.0.1/24",
                               generic={"vswitch.network": "shared"}))
    assert "create the Docker network with --subnet 10.77.0.0/24 --gateway 10.77.0.1" \
        in reply["Err"]
    reply = c.call("NetworkDriver.CreateNetwork",
                   create_body(generic={"vswitch.network": "shared",
                                        "com.docker.network.driver.mtu": "1400"}))
    assert "takes its settings from it" in reply["Err"]
    assert c.call("NetworkDriver.CreateNetwork",
                  create_body(generic={"vswitch.network": "shared"})) == {}
    n = inspect(vswitchd, "docker-" + NID[:12])
    assert n["Name"] == "shared" and n["Options"]["vswitch.bound"] == "docker-" + NID[:12]
    r = vswitchd.vsctl("network", "rm", "docker-" + NID[:12])
    assert r.returncode == 1 and "is bound to network shared" in r.stderr
    reply = c.call("NetworkDriver.CreateNetwork",
                   create_body(generic={"vswitch.network": "nosuch"}))
    assert "not found" in reply["Err"]
    vswitchd.restart(kill9=True)
    assert inspect(vswitchd, "docker-" + NID[:12])["Name"] == "shared"
    c = plugin.client()
    assert c.call("NetworkDriver.DeleteNetwork", {"NetworkID": NID}) == {}
    assert "vswitch.bound" not in inspect(vswitchd, "shared")["Options"]
    assert "not found" in c.call("NetworkDriver.DeleteNetwork", {"NetworkID": NID})["Err"]


def test_ipam_driver(plugin, vswitchd):
    """vswitch's IPAM for Docker: the next automatic subnet, then the next
    free addresses of its network; nothing is taken until the connect."""
    c = plugin.client()
    assert c.call("IpamDriver.GetCapabilities") == {"RequiresMACAddress": False}
    assert c.call("IpamDriver.GetDefaultAddressSpaces")["LocalDefaultAddressSpace"] == "vswitch"
    pool = c.call("IpamDriver.RequestPool", {"AddressSpace": "vswitch", "Pool": "",
                                             "SubPool": "", "Options": {}, "V6": False})
    assert pool == {"PoolID": "172.18.0.0/16", "Pool": "172.18.0.0/16",
                    "Data": {"com.docker.network.gateway": "172.18.0.1/16"}}
    reply = c.call("IpamDriver.RequestAddress", {"PoolID": "172.18.0.0/16", "Address": "",
                                                 "Options": {}})
    assert "no vswitch network has the pool 172.18.0.0/16" in reply["Err"]
    c.call("NetworkDriver.CreateNetwork", create_body(pool="172.18.0.0/16", gw="172.18.0.1/16"))
    for _ in range(2):      # asking again gives the same: nothing is reserved
        assert c.call("IpamDriver.RequestAddress", {"PoolID": "172.18.0.0/16", "Address": "",
                                                    "Options": {}})["Address"] == "172.18.0.2/16"
    assert c.call("IpamDriver.RequestAddress",
                  {"PoolID": "172.18.0.0/16", "Address": "172.18.0.9",
                   "Options": {}})["Address"] == "172.18.0.9/16"
    assert c.call("IpamDriver.RequestPool", {"Pool": "10.5.0.0/24", "V6": False})["Data"] == \
        {"com.docker.network.gateway": "10.5.0.1/24"}
    assert "IPv4 only" in c.call("IpamDriver.RequestPool", {"Pool": "", "V6": True})["Err"]
    assert "invalid pool" in c.call("IpamDriver.RequestPool", {"Pool": "10.5/x"})["Err"]
    assert "PoolID" in c.call("IpamDriver.RequestAddress", {"PoolID": "junk"})["Err"]
    assert c.call("IpamDriver.ReleaseAddress", {"PoolID": "172.18.0.0/16",
                                                "Address": "172.18.0.2"}) == {}
    assert c.call("IpamDriver.ReleasePool", {"PoolID": "172.18.0.0/16"}) == {}


def test_handoff_sandbox_dies(plugin, vswitchd, topo):
    """The sandbox dies under the endpoint (its veth with it): vswitchd
    removes the endpoint, does not spin, and nothing is left."""
    dock, sb = topo.container("dock"), topo.container("sb")
    plugin.client().call("NetworkDriver.CreateNetwork", create_body())
    create_endpoint(plugin, dock)
    ns_call(dock, plugin.sock, "NetworkDriver.Join",
            {"NetworkID": NID, "EndpointID": EID, "SandboxKey": f"/run/netns/{sb}"})
    runtime_move_in(dock, sb, "vsd" + EID[:12], "10.77.0.2/24")
    assert ping(sb, "10.77.0.1")
    subprocess.run(["ip", "netns", "del", sb], check=True)
    time.sleep(1)
    with open(f"/proc/{vswitchd.pid}/stat") as f:
        t0 = sum(int(x) for x in f.read().split()[13:15])
    time.sleep(2)
    with open(f"/proc/{vswitchd.pid}/stat") as f:
        t1 = sum(int(x) for x in f.read().split()[13:15])
    assert t1 - t0 < 50, f"vswitchd used {t1 - t0} ticks in 2 s after the sandbox died"
    # vswitchd saw its veth go and removed the endpoint; Docker's late
    # DeleteEndpoint is told so (Docker logs it and goes on).
    assert vsjson(vswitchd, "container", "ls") == []
    reply = ns_call(dock, plugin.sock, "NetworkDriver.DeleteEndpoint",
                    {"NetworkID": NID, "EndpointID": EID})
    assert reply == {"Err": "container docker-abf26a2f0011 not found"}
    assert not [x for x in links(vswitchd.ns) if x.startswith("vs")]


def test_handoff_failed_join_rolled_back(plugin, vswitchd, topo):
    """Docker rolls a failed Join back with DeleteEndpoint: the device it
    never moved goes from dockerd's namespace, and nothing is left."""
    dock = topo.container("dock")
    before = snapshot(dock)
    plugin.client().call("NetworkDriver.CreateNetwork", create_body())
    create_endpoint(plugin, dock)
    reply = ns_call(dock, plugin.sock, "NetworkDriver.Join",
                    {"NetworkID": NID, "EndpointID": EID, "SandboxKey": "netns/1"})
    assert "SandboxKey" in reply["Err"]
    assert ns_call(dock, plugin.sock, "NetworkDriver.DeleteEndpoint",
                   {"NetworkID": NID, "EndpointID": EID}) == {}
    assert snapshot(dock) == before
    assert vsjson(vswitchd, "container", "ls") == []
