"""test_control.py - the control socket as a door (issue 9 item 4).

Who may open it: the socket is root:vswitch 0660 and the group is made
when missing; a user outside the group is kept out by the file mode and,
where the mode lets them through, by the SO_PEERCRED check; a member of
the group (primary or supplementary) gets in.  Users are switched with
setpriv(1) to `nobody` and a chosen group, so no user account is added.

What may come through it: garbage of every kind (not JSON, not an object,
no "cmd", a NUL byte, text after the object, a line over 64 KiB, a line
cut by EOF, arguments of the wrong type or unknown to the command, sent
raw to every command the daemon lists), thousands of connections at once,
and a client that never reads its replies.  Each gets an error line where
one can be sent and loses only its own connection; the state listings
stay as they were and `vsctl network ls` still answers.
"""
import grp
import json
import os
import resource
import select
import shutil
import socket
import stat
import subprocess

import pytest
from vsutil import connect, make_net, vsctl_ok, vsjson, wait_for

NOBODY = "nobody"
NOGROUP = "nogroup"


# ------------------------------------------------------------------ helpers

def raw_conn(vswitchd, timeout=10):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(vswitchd.sock)
    return s


def read_all(s, limit=1 << 20):
    """Everything the daemon sends until it closes the connection (a reset
    after the data counts as closed too)."""
    data = b""
    while len(data) < limit:
        try:
            chunk = s.recv(65536)
        except ConnectionResetError:
            break
        if not chunk:
            break
        data += chunk
    return data


def read_line(s):
    data = b""
    while not data.endswith(b"\n"):
        chunk = s.recv(65536)
        assert chunk, f"connection closed after {data!r}"
        data += chunk
    return data


def request(vswitchd, cmd, args=None):
    """One well-formed request on a fresh connection; the parsed reply."""
    with raw_conn(vswitchd) as s:
        msg = {"cmd": cmd} if args is None else {"cmd": cmd, "args": args}
        s.sendall(json.dumps(msg).encode() + b"\n")
        return json.loads(read_line(s))


def refused_and_closed(vswitchd, payload, shut=False):
    """Send PAYLOAD raw; the daemon must answer one error line and close.
    Returns the error text."""
    with raw_conn(vswitchd) as s:
        try:
            s.sendall(payload)
            if shut:
                s.shutdown(socket.SHUT_WR)
        except (BrokenPipeError, ConnectionResetError):
            pass            # it may close before all of a huge line is in
        data = read_all(s)
    lines = data.split(b"\n")
    assert data.endswith(b"\n") and len(lines) == 2, f"expected one line, got {data!r}"
    reply = json.loads(lines[0])
    assert reply["ok"] is False and reply["error"], reply
    return reply["error"]


def snapshot(vswitchd):
    """Everything the listings say, for before/after comparisons."""
    ctrs = vsjson(vswitchd, "container", "ls")
    ports = {c["name"]: vsjson(vswitchd, "port", "ls", c["name"]) for c in ctrs}
    nets = vsjson(vswitchd, "network", "ls")
    inspect = vsjson(vswitchd, "network", "inspect", *[n["name"] for n in nets])
    return {"networks": inspect, "containers": ctrs, "ports": ports}


def alive(vswitchd):
    assert vswitchd.running(), "vswitchd died"
    r = vswitchd.vsctl("network", "ls")
    assert r.returncode == 0 and "bridge" in r.stdout, r.stderr


def as_user(vswitchd, group, *vsctl_args, groups=None):
    """vsctl ARGS run as `nobody` with primary group GROUP and only the
    supplementary GROUPS (none by default)."""
    cmd = ["setpriv", "--reuid", NOBODY, "--regid", str(group)]
    cmd += ["--groups", ",".join(map(str, groups))] if groups else ["--clear-groups"]
    return subprocess.run(cmd + vswitchd.vsctl_argv + list(vsctl_args),
                          capture_output=True, text=True, timeout=30,
                          stdin=subprocess.DEVNULL)


@pytest.fixture
def reachable(vswitchd):
    """Let other users traverse the test's private directory to the socket
    (the state dir inside stays 0700); the socket's own mode is what is
    tested."""
    if not shutil.which("setpriv"):
        pytest.skip("needs setpriv (util-linux)")
    os.chmod(vswitchd.tmp, 0o711)
    return vswitchd


def vswitch_gid():
    return grp.getgrnam("vswitch").gr_gid


# ------------------------------------------------------------------ who

def test_socket_is_root_vswitch_0660(vswitchd):
    st = os.stat(vswitchd.sock)
    assert stat.S_ISSOCK(st.st_mode)
    assert stat.S_IMODE(st.st_mode) == 0o660
    assert st.st_uid == 0
    # vswitchd made the group if this machine did not have it
    assert st.st_gid == vswitch_gid()


def test_ctl_group_is_created_when_missing(vswitchd, topo):
    name = topo.prefix + "grp"
    with pytest.raises(KeyError):
        grp.getgrnam(name)
    try:
        vswitchd.restart(kill9=False, extra_args=["--ctl-group", name])
        g = grp.getgrnam(name)
        assert g.gr_gid < 1000, "not a system group"
        assert os.stat(vswitchd.sock).st_gid == g.gr_gid
        assert f"group {name} does not exist; creating it" in vswitchd.log()
        alive(vswitchd)
        # an existing group is used as it is, not made again
        vswitchd.restart(kill9=False)
        assert os.stat(vswitchd.sock).st_gid == g.gr_gid
        assert vswitchd.log().count(f"group {name} does not exist") == 1
    finally:
        subprocess.run(["groupdel", name], capture_output=True)


@pytest.mark.parametrize("bad", ["-vswitch", "vs witch", "a" * 33, ""])
def test_bad_ctl_group_refused(vswitchd, tmp_path, bad):
    r = subprocess.run(["ip", "netns", "exec", vswitchd.ns, vswitchd.bin,
                        "--state-dir", str(tmp_path / "st"), "--socket", str(tmp_path / "s"),
                        "--ctl-group", bad],
                       capture_output=True, text=True, timeout=10, stdin=subprocess.DEVNULL)
    assert r.returncode == 1
    assert "--ctl-group" in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert not (tmp_path / "s").exists()


def test_unprivileged_user_kept_out_by_file_mode(reachable):
    vs = reachable
    r = as_user(vs, NOGROUP, "network", "create", "intruder")
    assert r.returncode == 1
    assert "Permission denied" in r.stderr and "group" in r.stderr, r.stderr
    assert "intruder" not in vs.vsctl("network", "ls").stdout


def test_unprivileged_user_refused_by_peer_check(reachable):
    vs = reachable
    # Someone loosened the mode (or passed the socket on): SO_PEERCRED
    # still says no.
    os.chmod(vs.sock, 0o666)
    before = snapshot(vs)
    r = as_user(vs, NOGROUP, "network", "create", "intruder")
    assert r.returncode == 1
    assert r.stderr.strip() == (
        "vsctl: error: permission denied: uid 65534 is not root or in group vswitch"), r.stderr
    r = as_user(vs, NOGROUP, "network", "ls")
    assert r.returncode == 1 and "permission denied" in r.stderr
    assert snapshot(vs) == before
    assert "refused a connection: permission denied: uid 65534" in vs.log()
    # raw: the refusal is one error line, then the daemon closes
    os.chmod(vs.sock, 0o666)
    py = ("import socket,sys;s=socket.socket(socket.AF_UNIX);s.connect(sys.argv[1]);"
          "d=b''\nwhile True:\n c=s.recv(4096)\n if not c: break\n d+=c\n"
          "sys.stdout.write(d.decode())")
    r = subprocess.run(["setpriv", "--reuid", NOBODY, "--regid", NOGROUP, "--clear-groups",
                        "/usr/bin/python3", "-c", py, vs.sock],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == {
        "ok": False, "error": "permission denied: uid 65534 is not root or in group vswitch"}
    alive(vs)


def test_group_member_accepted(reachable):
    vs = reachable
    gid = vswitch_gid()
    r = as_user(vs, gid, "network", "ls")        # primary group
    assert r.returncode == 0 and "bridge" in r.stdout, r.stderr
    os.chmod(vs.sock, 0o666)    # supplementary groups: let the peer check judge
    r = as_user(vs, NOGROUP, "network", "create", "--subnet", "10.91.0.0/24", "member",
                groups=[gid])
    assert r.returncode == 0, r.stderr
    assert "member" in vs.vsctl("network", "ls").stdout
    # one of many groups (more than the daemon's first SO_PEERGROUPS buffer)
    r = as_user(vs, NOGROUP, "network", "ls", groups=list(range(50000, 50300)) + [gid])
    assert r.returncode == 0, r.stderr
    r = as_user(vs, NOGROUP, "network", "ls", groups=list(range(50000, 50300)))
    assert r.returncode == 1 and "permission denied: uid 65534" in r.stderr


# ------------------------------------------------------------------ what

GARBAGE = {
    "not json": b"hello\n",
    "not an object": b"[1,2]\n",
    "a string": b'"network.ls"\n',
    "no cmd": b'{"args":{}}\n',
    "cmd not a string": b'{"cmd":5}\n',
    "text after the object": b'{"cmd":"network.ls"} trailing\n',
    "two objects": b'{"cmd":"network.ls"}{"cmd":"network.ls"}\n',
    "escaped NUL in cmd": b'{"cmd":"network.ls\\u0000x"}\n',
    "raw NUL": b'{"cmd":"net\x00work.ls"}\n',
    "args not an object": b'{"cmd":"network.ls","args":[1]}\n',
    "wrong type": b'{"cmd":"network.create","args":{"name":5}}\n',
    "unknown argument": b'{"cmd":"network.create","args":{"name":"x","bogus":1}}\n',
    "missing argument": b'{"cmd":"network.create","args":{}}\n',
    "escaped NUL in a value": b'{"cmd":"network.create","args":{"name":"ok\\u0000../x"}}\n',
    "deep nesting": b"[" * 5000 + b"\n",
    "invalid utf-8 and control bytes": b"\xff\xfe\x01\x02{\n",
    "oversized": b'{"cmd":"network.ls","args":{"pad":"' + b"x" * 70000 + b'"}}\n',
    "oversized without newline": b"x" * (200 * 1024),
}


@pytest.mark.parametrize("what", sorted(GARBAGE))
def test_garbage_gets_error_and_close(vswitchd, what):
    before = snapshot(vswitchd)
    err = refused_and_closed(vswitchd, GARBAGE[what])
    if what.startswith("oversized"):
        assert "too large" in err
    elif what in ("wrong type", "unknown argument", "missing argument",
                  "escaped NUL in a value"):
        assert "network.create" in err
    else:
        assert err.startswith("malformed request"), err
    alive(vswitchd)
    assert snapshot(vswitchd) == before


def test_line_cut_by_eof(vswitchd):
    err = refused_and_closed(vswitchd, b'{"cmd":"network.ls"}', shut=True)
    assert "end of input before the newline" in err
    alive(vswitchd)


def test_request_then_eof_still_answered(vswitchd):
    # socat-style: send, close the write side, read the answer
    with raw_conn(vswitchd) as s:
        s.sendall(b'{"cmd":"network.ls"}\n')
        s.shutdown(socket.SHUT_WR)
        data = read_all(s)
    reply = json.loads(data)
    assert reply["ok"] is True and any(n["name"] == "bridge" for n in reply["result"])


def test_garbage_after_good_request(vswitchd):
    """A protocol error ends the connection: lines after it are not run."""
    with raw_conn(vswitchd) as s:
        s.sendall(b'{"cmd":"network.ls"}\nnonsense\n'
                  b'{"cmd":"network.create","args":{"name":"after"}}\n')
        data = read_all(s)
    lines = data.splitlines()
    assert len(lines) == 2, data
    assert json.loads(lines[0])["ok"] is True
    assert json.loads(lines[1])["ok"] is False
    assert "after" not in vswitchd.vsctl("network", "ls").stdout


def test_command_errors_keep_the_connection(vswitchd):
    """An unknown command or a refused one is an answer, not a protocol
    error: the same connection goes on."""
    with raw_conn(vswitchd) as s:
        s.sendall(b'{"cmd":"no.such.command"}\n')
        r1 = json.loads(read_line(s))
        s.sendall(b'{"cmd":"network.rm","args":{"names":["nosuchnet"]}}\n')
        r2 = json.loads(read_line(s))
        s.sendall(b'{"cmd":"network.ls","args":null}\n')
        r3 = json.loads(read_line(s))
    assert r1 == {"ok": False, "error": 'unknown command "no.such.command"'}
    assert r2["ok"] is False and "nosuchnet" in r2["error"]
    assert r3["ok"] is True


def wrong_values(typ):
    """Values that are not of type TYP (as "commands" names it)."""
    every = [5, 1.5, True, None, "x", ["x"], {"k": "v"}, [1], {"k": 1}]
    ok = {
        "a string": lambda v: isinstance(v, str),
        "true or false": lambda v: isinstance(v, bool),
        "an integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "a number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
        "an array of strings": lambda v: isinstance(v, list) and all(
            isinstance(e, str) for e in v),
        "an object of strings": lambda v: isinstance(v, dict) and all(
            isinstance(e, str) for e in v.values()),
    }[typ]
    return [v for v in every if not ok(v)]


def test_wrong_argument_types_to_every_command(vswitchd, topo):
    """Every command the daemon lists, every argument it takes, every JSON
    type that argument is not: refused, connection closed, nothing changed."""
    net = make_net(vswitchd, "--subnet", "10.92.0.0/24")
    connect(vswitchd, topo, net, "c1")
    vsctl_ok(vswitchd, "port", "publish", "c1", "18080:80")
    cmds = request(vswitchd, "commands")
    assert cmds["ok"] is True
    table = {c["cmd"]: c["args"] for c in cmds["result"]}
    missing = [c for c, a in table.items() if a is None]
    assert not missing, f"commands without an argument row: {missing}"
    assert {"network.create", "network.connect", "port.publish", "capture",
            "trace", "commands"} <= set(table)
    before = snapshot(vswitchd)
    valid = {"a string": "x", "true or false": True, "an integer": 1, "a number": 1,
             "an array of strings": ["x"], "an object of strings": {}}
    sent = 0
    for cmd, args in table.items():
        base = {k: valid[d["type"]] for k, d in args.items() if d["required"]}
        for key, desc in args.items():
            for v in wrong_values(desc["type"]):
                payload = json.dumps({"cmd": cmd, "args": dict(base, **{key: v})})
                err = refused_and_closed(vswitchd, payload.encode() + b"\n")
                assert key in err and cmd in err, (payload, err)
                sent += 1
        err = refused_and_closed(vswitchd, json.dumps(
            {"cmd": cmd, "args": dict(base, zz_unknown="x")}).encode() + b"\n")
        assert "zz_unknown" in err, err
        for key, desc in args.items():
            if desc["required"]:
                partial = {k: v for k, v in base.items() if k != key}
                err = refused_and_closed(vswitchd, json.dumps(
                    {"cmd": cmd, "args": partial}).encode() + b"\n")
                assert key in err, err
    assert sent > 100
    alive(vswitchd)
    assert snapshot(vswitchd) == before


def test_thousands_of_connections(vswitchd):
    n = 2000
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < n + 100:
        pytest.skip(f"needs {n + 100} file descriptors")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, n + 100), hard))
    socks = []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            socks.append(s)
            # blocking: a full backlog waits for the daemon's next accept
            s.connect(vswitchd.sock)
            s.settimeout(10)
        refused = {}
        poller = select.poll()
        by_fd = {s.fileno(): s for s in socks}
        for fd in by_fd:
            poller.register(fd, select.POLLIN)

        def collect():
            for fd, _ in poller.poll(200):
                poller.unregister(fd)
                refused[by_fd[fd]] = read_all(by_fd[fd])
            return len(refused) >= n - 64
        assert wait_for(collect, 30), f"only {len(refused)} refusals"
        for data in refused.values():
            reply = json.loads(data)
            assert reply["ok"] is False and "too many control connections" in reply["error"]
        kept = [s for s in socks if s not in refused]
        assert 60 <= len(kept) <= 64, len(kept)
        # the ones let in are served
        for s in kept:
            s.sendall(b'{"cmd":"network.ls"}\n')
        for s in kept:
            assert json.loads(read_line(s))["ok"] is True
    finally:
        for s in socks:
            s.close()
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    # closed slots are free again
    assert wait_for(lambda: vswitchd.vsctl("network", "ls").returncode == 0, 10)
    assert "refused a connection: 64 already open" in vswitchd.log()


def test_client_that_never_reads(vswitchd):
    req = b'{"cmd":"network.inspect","args":{"names":["bridge"]}}\n' * 100
    sent, cut = 0, False
    with raw_conn(vswitchd, timeout=20) as s:
        try:
            while sent < 64 << 20:
                s.sendall(req)
                sent += len(req)
        except (BrokenPipeError, ConnectionResetError):
            cut = True
        except socket.timeout:
            pass
    assert cut, f"sent {sent} bytes of requests without reading and was not cut off"
    assert wait_for(lambda: "replies unread" in vswitchd.log(), 5)
    alive(vswitchd)
    # and the next client is served at once, in full
    r = vswitchd.vsctl("--format", "json", "network", "inspect", "bridge")
    assert r.returncode == 0 and json.loads(r.stdout)[0]["Name"] == "bridge"


def test_oversized_reply_is_not_cut(vswitchd):
    """The unread-replies limit is about replies piling up, not about one
    big reply: a large inspect still arrives whole."""
    names = [make_net(vswitchd) for _ in range(12)]
    r = vswitchd.vsctl("--format", "json", "network", "inspect", *names)
    assert r.returncode == 0
    assert [n["Name"] for n in json.loads(r.stdout)] == names


def test_too_many_names_refused(vswitchd):
    r = vswitchd.vsctl("network", "rm", *[f"n{i}" for i in range(65)])
    assert r.returncode == 1 and "at most 64" in r.stderr


def test_socket_dir_made_reachable(vswitchd, tmp_path):
    """A socket directory vswitchd makes is 0755 (not the umask's 0750), so
    members of the group can reach the 0660 socket inside."""
    d = tmp_path / "run"
    sock = d / "vswitchd.sock"
    p = subprocess.Popen(["ip", "netns", "exec", vswitchd.ns, vswitchd.bin,
                          "--state-dir", str(tmp_path / "st"), "--socket", str(sock)],
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    try:
        # answering means listening, which comes after the chmod
        assert wait_for(lambda: subprocess.run(
            [vswitchd.vsctl_bin, "--socket", str(sock), "network", "ls"],
            capture_output=True, timeout=10).returncode == 0, 15)
        assert stat.S_IMODE(os.stat(d).st_mode) == 0o755
        assert stat.S_IMODE(os.stat(sock).st_mode) == 0o660
    finally:
        p.terminate()
        p.wait(10)
    assert p.returncode == 0


def test_prune_removes_every_unused_network(vswitchd):
    """No silent cap: prune takes them all (it stopped at 256)."""
    n = 300
    with raw_conn(vswitchd, timeout=60) as s:
        for i in range(n):
            s.sendall(json.dumps({"cmd": "network.create", "args": {
                "name": f"p{i}", "subnet": f"10.{100 + i // 256}.{i % 256}.0/24"}}).encode()
                + b"\n")
            assert json.loads(read_line(s))["ok"] is True
    r = vsctl_ok(vswitchd, "network", "prune", "-f")
    assert len(r.stdout.split()) == n
    assert [x["name"] for x in vsjson(vswitchd, "network", "ls")] == ["bridge"]
