"""test_lifecycle.py - nothing of a container outlives its namespace
(issue 20, audit findings 1 and 18).

A published port is a DNAT rule and a proxy listener found by the
container's key; if they outlived the namespace, a later container that
took the key would receive traffic it never asked for.  These tests kill
the namespace while vswitchd runs and while it is down, re-use the name,
and check that the port is gone everywhere (port ls, the proxy's socket,
the DNAT path from outside) and can be published again.  The restart
tests also check that clean-up after a restart never touches a namespace
that merely took the old one's name.

Every namespace has the test's prefix (conftest.py's topo) and is removed
at the end, also on failure; traffic stays between the test's namespaces.
Waits poll against deadlines (functional bounds, not benchmarks).
"""
import os
import subprocess

import pytest
import topo as topo_mod
from vsutil import make_net, nsx, sh, state_read, state_write, vsctl_ok, vsjson, wait_for

UPLINK_IP = topo_mod.UPLINK_IP

LISTENER = r"""
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", int(sys.argv[1])))
s.listen(16)
print("listening", flush=True)
while True:
    c, a = s.accept()
    print("connection from", a[0], flush=True)
    c.close()
"""

CONNECT = r"""
import socket, sys
try:
    socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=2).close()
    print("connected")
except OSError as e:
    print("failed", e)
"""


def tcp_try(ns, ip, port):
    """A TCP connect from NS to IP:PORT: True if it was accepted."""
    r = nsx(ns, "/usr/bin/python3", "-c", CONNECT, ip, str(port))
    return r.stdout.startswith("connected")


def listening(ns, port):
    """Is anything in NS listening on TCP PORT?"""
    return f":{port} " in nsx(ns, "ss", "-Htln").stdout


def start_listener(topo, vs, ns, port):
    """A TCP listener on PORT in NS that logs its clients; its log's path."""
    path = os.path.join(vs.tmp, f"listener-{ns}-{port}.log")
    out = open(path, "a")
    topo.spawn(ns, "/usr/bin/python3", "-c", LISTENER, port,
               stdout=out, stderr=subprocess.STDOUT)
    assert wait_for(lambda: listening(ns, port), 10)
    return path


def read(path):
    with open(path) as f:
        return f.read()


def in_netns(pid, ns):
    """Has process PID entered namespace NS yet?  (`ip netns exec` forks
    first: until its setns, the child is in *our* namespace, which a test
    must never connect.)"""
    try:
        return os.stat(f"/proc/{pid}/ns/net").st_ino == os.stat(f"/run/netns/{ns}").st_ino
    except FileNotFoundError:
        return False


def state(vs):
    return state_read(vs.state_dir)


@pytest.mark.uplink
def test_published_port_dies_with_namespace_and_name_is_reused(vswitchd, topo):
    net = make_net(vswitchd, "--subnet", "10.121.0.0/24")
    out = topo.outside[0]
    doomed = topo.container("web1")
    vsctl_ok(vswitchd, "network", "connect", "--netns", doomed, net, "web")
    vsctl_ok(vswitchd, "port", "publish", "web", "7200:80/tcp", "7201:81/udp")
    assert listening(vswitchd.ns, 7200)
    sh("ip", "netns", "del", doomed)
    assert wait_for(lambda: vswitchd.vsctl("port", "ls", "web").returncode != 0, 10)
    assert "no such container" in vswitchd.vsctl("port", "ls", "web").stderr
    # the proxy's listener went with the rule
    assert not listening(vswitchd.ns, 7200)
    # a new namespace takes the name; it published nothing
    fresh = topo.container("web2")
    vsctl_ok(vswitchd, "network", "connect", "--netns", fresh, net, "web")
    assert vsjson(vswitchd, "port", "ls", "web") == []
    log = start_listener(topo, vswitchd, fresh, 80)
    assert not tcp_try(out, UPLINK_IP, 7200)
    assert not tcp_try(vswitchd.ns, "127.0.0.1", 7200)
    assert "connection from" not in read(log)
    # the host ports are free again, and work for the one that asks
    vsctl_ok(vswitchd, "port", "publish", "web", "7200:80/tcp", "7201:81/udp")
    assert wait_for(lambda: tcp_try(out, UPLINK_IP, 7200), 10)
    # the listener writes its line after the accept the client saw
    assert wait_for(lambda: "connection from" in read(log), 10), read(log)


@pytest.mark.uplink
def test_namespace_gone_while_down_takes_its_ports(vswitchd, topo):
    """The namespace dies while vswitchd is down and a new one takes its
    name: the restart drops the container, published ports included, and
    leaves the new namespace alone."""
    net = make_net(vswitchd, "--subnet", "10.121.1.0/24")
    ns = topo.container("web")
    vsctl_ok(vswitchd, "network", "connect", "--netns", ns, net, "web")
    vsctl_ok(vswitchd, "port", "publish", "web", "7210:80")
    (c,) = state(vswitchd)["containers"]
    assert c["netns_id"]["ino"] > 0
    vswitchd.stop(kill9=True)
    sh("ip", "netns", "del", ns)
    topo.add_netns(ns)       # same name, another namespace
    sh("ip", "-n", ns, "link", "add", "eth0", "type", "veth", "peer", "name", "eth0p")
    vswitchd.start()
    assert "no such container" in vswitchd.vsctl("port", "ls", "web").stderr
    assert vsjson(vswitchd, "container", "ls") == []
    assert not listening(vswitchd.ns, 7210)
    assert "is gone (or names another namespace now)" in vswitchd.log()
    # nothing was done in the namespace that took the name
    assert "eth0" in sh("ip", "-n", ns, "-o", "link", "show").stdout
    vsctl_ok(vswitchd, "network", "connect", "--netns", ns, "--ifname", "eth1", net, "web")
    vsctl_ok(vswitchd, "port", "publish", "web", "7210:80")


def test_pending_disconnect_after_pid_reuse_touches_nothing(vswitchd, topo):
    """Finding 18: a disconnect cut short by kill -9 is finished at the
    next start only in the namespace it was for.  The container was
    connected by pid:N; the process is gone by the restart and N names
    another process (here: one in a namespace with an eth0 of its own)."""
    net = make_net(vswitchd, "--subnet", "10.121.2.0/24")
    ns = topo.container("c1")
    p = topo.spawn(ns, "sleep", "600")
    assert wait_for(lambda: in_netns(p.pid, ns), 5)
    # `ip netns exec` execs sleep: P's pid is the sleeping process
    vsctl_ok(vswitchd, "network", "connect", "--netns", f"pid:{p.pid}", net, "c1")
    vswitchd.stop(kill9=True)
    st = state(vswitchd)
    (c,) = st["containers"]
    c["endpoints"][0]["pending"] = "disconnect"
    # As if the pid had been reused: the reference now names a process in
    # another namespace, which has an eth0 that is not ours.
    other = topo.container("other")
    sh("ip", "-n", other, "link", "add", "eth0", "type", "veth", "peer", "name", "eth0p")
    q = topo.spawn(other, "sleep", "600")
    assert wait_for(lambda: in_netns(q.pid, other), 5)
    c["netns"] = f"pid:{q.pid}"
    state_write(vswitchd.state_dir, st)
    vswitchd.start()
    assert "eth0" in sh("ip", "-n", other, "-o", "link", "show").stdout
    assert vsjson(vswitchd, "container", "ls") == []
    assert "is gone (or names another namespace now)" in vswitchd.log()
