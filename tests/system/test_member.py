"""test_member.py - what a non-root member of the control group may do
(issue 20, audit findings 8, 9 and 15).

A test-unique system user is made for each test (and removed, also on
failure), with the control group `vswitch` as a supplementary group.  As
that user the tests try what the audit did: connect the host's namespace
(pid:1), a namespace of root's (by pid and by name) whose default route
it would replace, a FIFO and a device node as --netns; disconnect root's
container; and hold every control connection.  Each must be refused with
a one-line reason while the daemon keeps answering, root keeps its slots,
and the member's own namespace (a process of theirs in it) still works.

Namespaces carry the test's prefix (conftest.py's topo) and are removed
at the end.  Waits poll against deadlines; nothing is timed.
"""
import grp
import json
import os
import pwd
import shutil
import socket
import subprocess

import pytest
from vsutil import make_net, sh, uniq, vsctl_ok, vsjson, wait_for


class Member:
    """A throw-away system user in the control group."""

    def __init__(self, vs, name):
        self.vs, self.name = vs, name
        self.uid = pwd.getpwnam(name).pw_uid
        self.gid = grp.getgrnam("nogroup").gr_gid
        self.ctl_gid = grp.getgrnam("vswitch").gr_gid

    def setpriv(self):
        return ["setpriv", "--reuid", str(self.uid), "--regid", str(self.gid),
                "--groups", str(self.ctl_gid)]

    def vsctl(self, *args):
        return subprocess.run(self.setpriv() + self.vs.vsctl_argv + [str(a) for a in args],
                              capture_output=True, text=True, timeout=30,
                              stdin=subprocess.DEVNULL)


@pytest.fixture
def member(vswitchd):
    for tool in ("setpriv", "useradd", "userdel"):
        if not shutil.which(tool):
            pytest.skip(f"needs {tool}")
    name = uniq("vtm")
    sh("useradd", "--system", "--no-create-home", "--no-user-group", "--gid", "nogroup",
       "--shell", "/usr/sbin/nologin", name)
    try:
        os.chmod(vswitchd.tmp, 0o711)      # let the user reach the socket
        yield Member(vswitchd, name)
    finally:
        sh("userdel", name, check=False)


def in_netns(pid, ns):
    """Has PID entered NS yet?  (Until its setns it is in ours.)"""
    try:
        return os.stat(f"/proc/{pid}/ns/net").st_ino == os.stat(f"/run/netns/{ns}").st_ino
    except FileNotFoundError:
        return False


def park(topo, ns, *prefix):
    """A sleeping process in NS (run through PREFIX, e.g. setpriv); its pid."""
    p = topo.spawn(ns, *prefix, "sleep", "600")
    assert wait_for(lambda: in_netns(p.pid, ns), 5)
    return p.pid


def default_route(ns):
    routes = json.loads(sh("ip", "-n", ns, "-j", "-4", "route", "show", "default").stdout or "[]")
    return [r.get("gateway") for r in routes]


def refused(r, words):
    assert r.returncode == 1, r.stdout
    line = r.stderr.strip()
    assert "\n" not in line and line.startswith("vsctl: error: permission denied"), line
    assert words in line, line


def test_member_touches_only_its_own_namespaces(vswitchd, topo, member):
    net = make_net(vswitchd, "--subnet", "10.123.0.0/24")
    # root's namespace, with a default route of its own
    c3 = topo.container("c3")
    sh("ip", "-n", c3, "link", "add", "d0", "type", "veth", "peer", "name", "d1")
    sh("ip", "-n", c3, "addr", "add", "10.99.0.2/24", "dev", "d0")
    sh("ip", "-n", c3, "link", "set", "d0", "up")
    sh("ip", "-n", c3, "route", "add", "default", "via", "10.99.0.1")
    root_pid = park(topo, c3)

    r = member.vsctl("network", "connect", "--netns", f"pid:{root_pid}", "--ifname", "t-t0",
                     net, "foreign")
    refused(r, f"is not uid {member.uid}'s")
    assert default_route(c3) == ["10.99.0.1"]
    assert "t-t0" not in sh("ip", "-n", c3, "-o", "link").stdout
    refused(member.vsctl("network", "connect", "--netns", c3, net, "foreign"),
            f"is not uid {member.uid}'s")
    # pid 1's namespace is the host's; where even root may not open it
    # (a container without CAP_SYS_PTRACE), it is refused as unopenable
    r = member.vsctl("network", "connect", "--netns", "pid:1", net, "foreign")
    assert r.returncode == 1 and ("permission denied: pid:1 is the host's namespace" in r.stderr
                                  or "is not a network namespace" in r.stderr), r.stderr
    # vswitchd's own namespace, by the pid of vswitchd itself
    refused(member.vsctl("network", "connect", "--netns", f"pid:{vswitchd.pid}", net, "foreign"),
            "host's namespace")
    refused(member.vsctl("network", "connect", "--netns", "/proc/self/ns/net", net, "foreign"),
            "only as NAME, pid:PID or /proc/PID/ns/net")
    fifo = os.path.join(vswitchd.tmp, "fifo")
    os.mkfifo(fifo)
    refused(member.vsctl("network", "connect", "--netns", fifo, net, "foreign"),
            "only as NAME, pid:PID or /proc/PID/ns/net")
    assert vsjson(vswitchd, "container", "ls") == []

    # root's container on the network: the member cannot disconnect it
    vsctl_ok(vswitchd, "network", "connect", "--netns", c3, net, "rootctr")
    refused(member.vsctl("network", "disconnect", net, "rootctr"), f"is not uid {member.uid}'s")
    assert [c["name"] for c in vsjson(vswitchd, "container", "ls")] == ["rootctr"]

    # a namespace a process of the member's is in: theirs to connect
    c4 = topo.container("c4")
    mine = park(topo, c4, *member.setpriv())
    r = member.vsctl("network", "connect", "--netns", f"pid:{mine}", net, "mine")
    assert r.returncode == 0, r.stderr
    assert default_route(c4) == ["10.123.0.1"]
    r = member.vsctl("network", "disconnect", net, "mine")
    assert r.returncode == 0, r.stderr
    assert vswitchd.running()


def test_fifo_or_device_as_netns_never_blocks(vswitchd):
    """Finding 8, as root: a FIFO with no writer froze the daemon."""
    net = make_net(vswitchd)
    fifo = os.path.join(vswitchd.tmp, "fifo")
    os.mkfifo(fifo)
    for ref in (fifo, "/dev/null", os.path.join(vswitchd.tmp, "missing")):
        r = vswitchd.vsctl("network", "connect", "--netns", ref, net, "x", timeout=10)
        assert r.returncode == 1
        assert "is not a network namespace (or does not exist)" in r.stderr, r.stderr
    vsctl_ok(vswitchd, "network", "ls")
    assert vsjson(vswitchd, "container", "ls") == []


HOLD = r"""
import json, socket, sys
conns, ok, refused = [], 0, []
for _ in range(int(sys.argv[2])):
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(10)
    s.connect(sys.argv[1])
    try:
        s.sendall(b'{"cmd":"network.ls"}\n')
    except BrokenPipeError:
        pass          # refused: the error line is already there to read
    line = b""
    while not line.endswith(b"\n"):
        c = s.recv(65536)
        if not c:
            break
        line += c
    r = json.loads(line)
    if r["ok"]:
        ok += 1
        conns.append(s)
    else:
        refused.append(r["error"])
        s.close()
print(json.dumps({"ok": ok, "refused": refused}), flush=True)
sys.stdin.read()      # hold them until the test closes our stdin
"""


def test_member_cannot_lock_root_out(vswitchd, member):
    """Finding 15: 64 idle connections of a member kept root out."""
    p = subprocess.Popen(member.setpriv() + ["/usr/bin/python3", "-c", HOLD, vswitchd.sock, "64"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        got = json.loads(p.stdout.readline())
        assert got["ok"] == 16, got
        assert len(got["refused"]) == 48
        assert all(f"too many control connections of uid {member.uid} (limit 16)" in e
                   for e in got["refused"]), got["refused"][:2]
        # root (and anyone else) still gets in while the member holds its 16
        for _ in range(3):
            vsctl_ok(vswitchd, "network", "ls")
    finally:
        p.stdin.close()
        p.wait(timeout=30)


@pytest.mark.vswitchd_args("--ctl-idle-timeout", "1")
def test_idle_connection_is_closed(vswitchd):
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(30)          # a bound on a hang, not a measurement
    s.connect(vswitchd.sock)
    data = b""
    while True:
        c = s.recv(65536)
        if not c:
            break
        data += c
    s.close()
    reply = json.loads(data.split(b"\n")[0])
    assert reply == {"ok": False, "error": "idle for 1 s: connection closed"}
    vsctl_ok(vswitchd, "network", "ls")


def test_resolv_conf_readable_by_everyone(vswitchd, topo, member):
    """Finding 13: the file was 0660 and its directory 0750, so only root
    in the container could resolve names."""
    import stat
    net = make_net(vswitchd)
    c1, c2 = topo.container("r1"), topo.container("r2")
    vsctl_ok(vswitchd, "network", "connect", "--netns", c1, net, "r1")
    vsctl_ok(vswitchd, "network", "connect", "--netns", c2, net, "r2")
    path = f"/etc/netns/{c1}/resolv.conf"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o644
    assert stat.S_IMODE(os.stat(os.path.dirname(path)).st_mode) == 0o755
    # a process that is not root, in the container, resolves its peer
    r = sh("ip", "netns", "exec", c1, *member.setpriv(), "getent", "hosts", "r2", check=False)
    assert r.returncode == 0 and r.stdout.split()[1] == "r2", (r.stdout, r.stderr)
