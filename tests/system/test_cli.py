"""test_cli.py - vsctl against a real vswitchd: the command table, usage and
daemon errors, output formats, IPAM acceptance (issue 3) and durable state.

Uses the `vswitchd` and `topo` fixtures of conftest.py: vswitchd runs in a
namespace of its own with a private state dir and socket; containers are
namespaces made by `topo`.  Tests that need no daemon run vsctl directly,
against a listening socket of their own to prove that a usage error sends
nothing.
"""
import json
import os
import re
import shutil
import socket
import subprocess

import pytest
from topo import find_binary
from vsutil import uniq

# Every command of the contract (DESIGN.md), independently of vsctl's table.
COMMANDS = [
    "show", "network create", "network ls", "network inspect", "network rm",
    "network prune", "network connect", "network disconnect", "container ls",
    "port publish", "port unpublish", "port ls", "fdb show", "fdb flush",
    "conntrack ls", "conntrack flush", "conntrack stats", "capture", "trace",
    "stats",
]


def vsctl_exe():
    here = os.path.dirname(os.path.abspath(__file__))
    top = os.path.normpath(os.path.join(here, "..", ".."))
    cands = [os.environ.get("VSCTL", ""), os.path.join(top, "src", "vsctl")]
    cands += [os.path.join(top, d, "src", "vsctl") for d in sorted(os.listdir(top))
              if d.startswith("build")]
    cands += [shutil.which("vsctl") or ""]
    for c in cands:
        if c and os.access(c, os.X_OK):
            return c
    pytest.skip("vsctl binary not found (build it, or set VSCTL)")


def run(*args, stdin=subprocess.DEVNULL, env=None):
    return subprocess.run([vsctl_exe(), *args], capture_output=True, text=True,
                          stdin=stdin, env=env, timeout=30)


def ok(vswitchd, *args):
    r = vswitchd.vsctl(*args)
    assert r.returncode == 0, f"vsctl {' '.join(args)}: {r.stderr.strip()}"
    return r


def js(vswitchd, *args):
    return json.loads(ok(vswitchd, "--format", "raw", *args).stdout)


def refused(vswitchd, *args, mention=()):
    """Run a command the daemon must refuse: exit 1, one error line, and
    `network ls` exactly as before."""
    before = js(vswitchd, "network", "ls")
    r = vswitchd.vsctl(*args)
    assert r.returncode == 1, f"vsctl {' '.join(args)}: rc {r.returncode} {r.stdout}"
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("vsctl: error: "), r.stderr
    for word in mention:
        assert word in lines[0], f"error does not name {word}: {lines[0]}"
    assert js(vswitchd, "network", "ls") == before
    return lines[0]


def inspect1(vswitchd, name):
    res = js(vswitchd, "network", "inspect", name)
    assert isinstance(res, list) and len(res) == 1
    return res[0]


# ---------------------------------------------------------------- no daemon

@pytest.fixture
def listener(tmp_path):
    """A unix socket that nobody answers: a usage error must not connect."""
    path = str(tmp_path / "sock")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(path)
    s.listen(8)
    s.setblocking(False)
    yield path, s
    s.close()


def no_connection(s):
    try:
        conn, _ = s.accept()
    except BlockingIOError:
        return True
    conn.close()
    return False


def test_help_lists_every_command():
    r = run("--help")
    assert r.returncode == 0
    for cmd in COMMANDS:
        assert re.search(rf"^  {re.escape(cmd)}\s", r.stdout, re.M), cmd
    for opt in ("--socket", "--format", "--timeout", "--version", "--help"):
        assert opt in r.stdout


@pytest.mark.parametrize("cmd", COMMANDS)
def test_per_command_help(cmd):
    a = run(*cmd.split(), "--help")
    b = run("help", *cmd.split())
    assert a.returncode == 0 and b.returncode == 0
    assert a.stdout == b.stdout
    assert a.stdout.startswith(f"usage: vsctl {cmd}")


def test_command_options_in_help():
    out = run("network", "create", "--help").stdout
    for opt in ("--subnet", "--gateway", "--ip-range", "--aux-address", "--internal",
                "--no-icc", "--mtu", "--no-dns", "--dns-intercept"):
        assert opt in out
    out = run("network", "connect", "--help").stdout
    for opt in ("--netns", "--ip", "--mac", "--alias", "--ifname", "--attach",
                "--no-port-security"):
        assert opt in out
    out = run("capture", "--help").stdout
    for opt in ("--network", "--container", "--uplink", "--stage", "--filter",
                "--count", "--duration", "--recorder", "--write"):
        assert opt in out


USAGE_ERRORS = [
    ["bogus"],
    ["network", "bogus"],
    ["network", "create"],
    ["network", "create", "a", "b"],
    ["network", "create", "--mtu", "x", "a"],
    ["network", "create", "--bogus", "a"],
    ["network", "create", "--aux-address", "nothing", "a"],
    ["network", "connect", "--attach", "foo", "n", "c"],
    ["network", "connect", "n"],
    ["network", "inspect"],
    ["--format", "x", "network", "ls"],
    ["network", "ls", "--format", "yaml"],
    ["capture", "--uplink"],
    ["capture", "-w", "x.pcap"],
    ["capture", "--uplink", "--network", "n", "-w", "x.pcap"],
    ["capture", "--uplink", "--stage", "in", "-w", "x.pcap"],
    ["trace", "--to", "10.0.0.1"],
    ["trace", "--from", "c", "--to", "10.0.0.1", "--proto", "sctp"],
    ["port", "publish", "c", "http"],
    ["port", "ls"],
]


@pytest.mark.parametrize("argv", USAGE_ERRORS, ids=lambda a: "_".join(a))
def test_usage_error_sends_nothing(listener, argv):
    path, s = listener
    r = run("--socket", path, *argv)
    assert r.returncode == 2, r.stderr
    assert r.stderr.startswith("vsctl: usage: "), r.stderr
    assert r.stdout == ""
    assert no_connection(s)


def test_no_daemon_is_a_clear_error(tmp_path):
    path = str(tmp_path / "nobody")
    r = run("--socket", path, "network", "ls")
    assert r.returncode == 1
    assert r.stderr == (f"vsctl: error: cannot connect to vswitchd at {path}: "
                        "No such file or directory (is vswitchd running?)\n")
    env = dict(os.environ, VSWITCH_SOCKET=path)
    r = run("network", "ls", env=env)
    assert r.returncode == 1 and path in r.stderr


def test_version_and_man_synopsis():
    r = run("--version")
    assert r.returncode == 0 and re.match(r"vsctl \(vswitch\) \d", r.stdout)
    r = run("--man-synopsis")
    assert r.returncode == 0 and r.stdout.startswith(".SH SYNOPSIS\n")


@pytest.mark.parametrize("spec,want", [
    ("vxlan:eth0", 'unknown port type "vxlan" (known: tap, afpacket, pasta)'),
    ("eth0", "want TYPE:IFNAME"),
    ("tap:", "interface name empty or over 15 bytes"),
])
def test_uplink_port_type_refused(tmp_path, spec, want):
    """--uplink names a registered port type; anything else stops vswitchd
    with one line, before any port is opened."""
    exe = find_binary("vswitchd")
    if not exe:
        pytest.skip("vswitchd binary not found")
    r = subprocess.run([exe, "--state-dir", str(tmp_path / "state"),
                        "--socket", str(tmp_path / "sock"), "--uplink", spec,
                        "--uplink-ip", "192.0.2.2/24", "--uplink-gateway", "192.0.2.1"],
                       capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=30)
    assert r.returncode == 1, r.stderr
    err = [l for l in r.stderr.splitlines() if l.startswith("vswitchd: ")]
    assert len(err) == 1 and err[0].startswith(f'vswitchd: uplink: bad port spec "{spec}": ')
    assert want in err[0], r.stderr


# ---------------------------------------------------------------- with vswitchd
# The first test relies on a daemon that has no user network yet; every other
# network below has an explicit subnet, so the order of tests does not matter
# even if the fixture is shared.

def test_acceptance_n1_automatic_subnet(vswitchd):
    name = uniq("n1")
    r = ok(vswitchd, "network", "create", name)
    assert re.fullmatch(r"[0-9a-f]{64}\n", r.stdout), r.stdout
    net = inspect1(vswitchd, name)
    assert net["Name"] == name and net["Id"] == r.stdout.strip()
    assert net["IPAM"]["Config"][0]["Subnet"] == "172.18.0.0/16"
    assert net["IPAM"]["Config"][0]["Gateway"] == "172.18.0.1"
    ok(vswitchd, "network", "rm", name)


def test_acceptance_n2_range_and_aux(vswitchd, topo):
    net, ctr = uniq("n2"), uniq("c")
    ns = topo.container(ctr)
    ok(vswitchd, "network", "create", "--subnet", "10.10.0.0/24", "--ip-range",
       "10.10.0.128/25", "--aux-address", "r=10.10.0.128", net)
    r = ok(vswitchd, "network", "connect", "--netns", ns, net, ctr)
    assert r.stdout == ""
    c = inspect1(vswitchd, net)["Containers"][ctr]
    assert c["IPv4Address"] == "10.10.0.129/24"
    assert c["MacAddress"] == "02:42:0a:0a:00:81"
    cfg = inspect1(vswitchd, net)["IPAM"]["Config"][0]
    assert cfg["IPRange"] == "10.10.0.128/25"
    assert cfg["AuxiliaryAddresses"] == {"r": "10.10.0.128"}
    # container ls: NAME DNS-NAME OWNER NETNS NETWORKS(net=ip)
    out = ok(vswitchd, "container", "ls").stdout.splitlines()
    assert out[0].split() == ["NAME", "DNS-NAME", "OWNER", "NETNS", "NETWORKS"]
    row = [l for l in out if l.startswith(ctr + " ")]
    assert row and f"{net}=10.10.0.129" in row[0]
    assert row[0].split()[1:3] == [ctr, "vsctl"]
    ok(vswitchd, "network", "disconnect", net, ctr)
    assert inspect1(vswitchd, net)["Containers"] == {}
    ok(vswitchd, "network", "rm", net)


def test_network_ls_table_and_json(vswitchd):
    net = uniq("ls")
    ok(vswitchd, "network", "create", "--subnet", "10.77.0.0/24", net)
    lines = ok(vswitchd, "network", "ls").stdout.splitlines()
    assert re.match(r"NETWORK ID\s+NAME\s+DRIVER\s+SCOPE$", lines[0])
    names = {l.split()[1]: l.split()[0] for l in lines[1:]}
    assert "bridge" in names and net in names
    assert all(re.fullmatch(r"[0-9a-f]{12}", i) for i in names.values())
    ids = ok(vswitchd, "network", "ls", "-q").stdout.split()
    assert sorted(ids) == sorted(names.values())
    as_json = js(vswitchd, "network", "ls")
    assert {n["name"] for n in as_json} == set(names)
    # inspect is JSON in both formats, indented by four spaces.
    text = ok(vswitchd, "network", "inspect", net).stdout
    assert text.startswith("[\n    {\n") and json.loads(text)[0]["Name"] == net
    assert ok(vswitchd, "network", "rm", net).stdout == f"{net}\n"


def test_json_for_listings(vswitchd):
    # show and stats: the daemon's JSON; the listings: Docker's rows, one
    # object a line (test_formats.py); raw: the daemon's JSON for all.
    for cmd in (["show"], ["stats"]):
        r = vswitchd.vsctl("--format", "json", *cmd)
        assert r.returncode == 0, r.stderr
        json.loads(r.stdout)
    for cmd in (["container", "ls"], ["network", "ls"]):
        r = vswitchd.vsctl("--format", "json", *cmd)
        assert r.returncode == 0, r.stderr
        assert all(isinstance(json.loads(l), dict) for l in r.stdout.splitlines())
        r = vswitchd.vsctl("--format", "raw", *cmd)
        assert r.returncode == 0, r.stderr
        assert isinstance(json.loads(r.stdout), list)


def test_refusals_leave_state_unchanged(vswitchd, topo):
    a, b, ctr, ctr2 = uniq("a"), uniq("b"), uniq("c"), uniq("d")
    ok(vswitchd, "network", "create", "--subnet", "10.20.0.0/16", a)
    # overlapping subnets
    refused(vswitchd, "network", "create", "--subnet", "10.20.5.0/24", b)
    refused(vswitchd, "network", "create", "--subnet", "10.0.0.0/8", b)
    refused(vswitchd, "network", "create", "--subnet", "172.17.1.0/24", b)
    # gateway or range outside the subnet
    refused(vswitchd, "network", "create", "--subnet", "10.30.0.0/24",
            "--gateway", "10.31.0.1", b)
    refused(vswitchd, "network", "create", "--subnet", "10.30.0.0/24",
            "--ip-range", "10.40.0.0/25", b)
    # bad CIDRs
    for bad in ("10.0.0.300/24", "10.30.0.0/33", "notacidr", "10.30.0.0"):
        refused(vswitchd, "network", "create", "--subnet", bad, b)
    # duplicate name
    refused(vswitchd, "network", "create", "--subnet", "10.50.0.0/24", a, mention=[a])
    refused(vswitchd, "network", "create", "bridge", mention=["bridge"])
    # address in use, address outside the subnet
    ok(vswitchd, "network", "connect", "--netns", topo.container(ctr), a, ctr)
    ip = inspect1(vswitchd, a)["Containers"][ctr]["IPv4Address"].split("/")[0]
    ns2 = topo.container(ctr2)
    refused(vswitchd, "network", "connect", "--netns", ns2, "--ip", ip, a, ctr2)
    refused(vswitchd, "network", "connect", "--netns", ns2, "--ip", "192.0.2.9", a, ctr2)
    assert ctr2 not in inspect1(vswitchd, a)["Containers"]
    # removing bridge; removing a network with endpoints names them
    refused(vswitchd, "network", "rm", "bridge", mention=["bridge"])
    refused(vswitchd, "network", "rm", a, mention=[ctr])
    # all or none: one bad name keeps the good one
    ok(vswitchd, "network", "create", "--subnet", "10.60.0.0/24", b)
    refused(vswitchd, "network", "rm", b, uniq("nosuch"))
    assert inspect1(vswitchd, b)["Name"] == b
    ok(vswitchd, "network", "disconnect", a, ctr)
    out = ok(vswitchd, "network", "rm", a, b).stdout.split()
    assert out == [a, b]


def test_prune(vswitchd):
    a = uniq("p")
    ok(vswitchd, "network", "create", "--subnet", "10.88.0.0/24", a)
    # Without -f and no "y" on standard input, nothing is removed.
    r = run("--socket", vswitchd.sock, "network", "prune")
    assert r.returncode == 0 and r.stdout == ""
    assert "Are you sure you want to continue? [y/N]" in r.stderr
    assert a in {n["name"] for n in js(vswitchd, "network", "ls")}
    r = ok(vswitchd, "network", "prune", "-f")
    assert a in r.stdout.split() and "bridge" not in r.stdout.split()
    assert a not in {n["name"] for n in js(vswitchd, "network", "ls")}


def test_kill9_restart_keeps_state(vswitchd, topo):
    net, ctr = uniq("k"), uniq("c")
    ok(vswitchd, "network", "create", "--subnet", "10.99.0.0/24", "--aux-address",
       "gw2=10.99.0.2", "--no-icc", "--mtu", "1400", net)
    ok(vswitchd, "network", "connect", "--netns", topo.container(ctr), "--alias",
       "www", net, ctr)
    before_nets = js(vswitchd, "network", "inspect", net)
    before_ctrs = js(vswitchd, "container", "ls")
    vswitchd.restart(kill9=True)
    assert js(vswitchd, "network", "inspect", net) == before_nets
    assert js(vswitchd, "container", "ls") == before_ctrs
    ok(vswitchd, "network", "disconnect", net, ctr)
    ok(vswitchd, "network", "rm", net)


def test_show_and_stats_tables(vswitchd, topo):
    net, ctr = uniq("s"), uniq("c")
    ok(vswitchd, "network", "create", "--subnet", "10.66.0.0/24", "--internal", net)
    ok(vswitchd, "network", "connect", "--netns", topo.container(ctr), net, ctr)
    out = ok(vswitchd, "show").stdout
    assert f"Network {net}" in out and "10.66.0.0/24" in out and "internal" in out
    assert ctr in out and "10.66.0.2" in out
    out = ok(vswitchd, "stats").stdout
    assert out.splitlines()[0].split()[:3] == ["PORT", "NETWORK", "CONTAINER"]
    ok(vswitchd, "network", "disconnect", net, ctr)
    ok(vswitchd, "network", "rm", net)


def test_half_closed_client_gets_every_reply(vswitchd):
    """A client that writes its requests and shuts its side at once (socat,
    `nc -N`) still reads one reply per request before the daemon closes:
    doc/control-protocol.md promises socat works.  (Found by the control
    fuzz target: the daemon freed the connection at EOF with the replies
    still queued.)"""
    for _ in range(5):
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(10)
            s.connect(vswitchd.sock)
            s.sendall(b'{"cmd": "network.ls"}\n{"cmd": "nope"}\n')
            s.shutdown(socket.SHUT_WR)
            data = b""
            while chunk := s.recv(65536):
                data += chunk
        replies = [json.loads(line) for line in data.decode().splitlines()]
        assert [r["ok"] for r in replies] == [True, False], data
        assert any(n["name"] == "bridge" for n in replies[0]["result"])


def test_malformed_request_closes_before_the_rest(vswitchd):
    """A malformed line closes the connection, and what the client sent
    after it is not run, even when it arrived in the same read (found by
    the control fuzz target)."""
    name = uniq("tn")
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(10)
        s.connect(vswitchd.sock)
        s.sendall(b'not json\n' + json.dumps(
            {"cmd": "network.create", "args": {"name": name}}).encode() + b"\n")
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    replies = [json.loads(line) for line in data.decode().splitlines()]
    assert len(replies) == 1 and not replies[0]["ok"], data
    assert "malformed" in replies[0]["error"]
    assert name not in ok(vswitchd, "network", "ls").stdout


def test_requests_without_arguments_are_refused(vswitchd, topo):
    """Every command, sent raw with no arguments, an empty "args" or an
    array argument of another type, gets a reply and leaves the daemon
    running (`network.connect` without a container, or with "aliases" not
    an array, once crashed it: found by the control fuzz target)."""
    cmds = ["network.create", "network.inspect", "network.rm", "network.connect",
            "network.disconnect", "port.publish", "port.unpublish", "port.ls",
            "fdb.show", "fdb.flush", "conntrack.ls", "trace", "capture"]
    reqs = [r for cmd in cmds for r in ({"cmd": cmd}, {"cmd": cmd, "args": {}})]
    # and arrays that are not (`aliases` once aborted it in json-c)
    ns = topo.container("c1")
    for bad in ("x", 5, {"a": 1}, None):
        reqs += [{"cmd": "network.connect", "args": {"network": "bridge", "container": "c1",
                                                     "netns": ns, "aliases": bad}},
                 {"cmd": "network.create", "args": {"name": uniq("tn"), "aux": bad}},
                 {"cmd": "network.inspect", "args": {"names": bad}},
                 {"cmd": "port.publish", "args": {"container": "c", "specs": bad}}]
    for req in reqs:
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(10)
            s.connect(vswitchd.sock)
            s.sendall(json.dumps(req).encode() + b"\n")
            line = s.makefile().readline()
        assert line, f"no reply to {req}"
        assert "ok" in json.loads(line), line
    assert vswitchd.running()
    ok(vswitchd, "network", "ls")
    # every one was refused before anything changed: the control socket's
    # argument check (control_check.c) takes "aliases" only as an array of
    # strings, so null is refused like the rest; nothing was half-made
    assert [c["name"] for c in js(vswitchd, "container", "ls")] == []


def test_capture_after_unread_replies_does_not_stall_the_daemon(vswitchd):
    """A client that pipelines requests, reads none of the replies, then
    asks for a capture: the daemon used to block writing the capture's
    first line, and with it every port and client (one loop).  Now the
    capture is refused and the daemon keeps answering (found by the
    control fuzz target)."""
    inspect = json.dumps({"cmd": "network.inspect", "args": {"names": ["bridge"] * 8}})
    capture = json.dumps({"cmd": "capture", "args": {"network": "bridge", "count": 1}})
    with socket.socket(socket.AF_UNIX) as s:
        s.connect(vswitchd.sock)
        s.sendall(((inspect + "\n") * 150 + capture + "\n").encode())
        # meanwhile another client is answered
        with socket.socket(socket.AF_UNIX) as t:
            t.settimeout(10)
            t.connect(vswitchd.sock)
            t.sendall(b'{"cmd": "network.ls"}\n')
            assert json.loads(t.makefile().readline())["ok"]
        s.settimeout(10)
        f = s.makefile()
        replies = [json.loads(f.readline()) for _ in range(151)]
    assert len(replies) == 151 and all(r["ok"] for r in replies[:150])
    assert not replies[150]["ok"] and "capture" in replies[150]["error"]
