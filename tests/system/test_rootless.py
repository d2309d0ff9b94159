"""test_rootless.py - vswitchd and its containers run by a user with no
privilege on the host (issue 17).

Theory of operation.  Root builds only the stand-in for the host: a
namespace PREFIXh ("the host", with a default route) and PREFIXo ("the
outside", 192.0.2.1, a web server and dnsmasq), joined by a veth; nothing
touches the machine's own network.  Everything else runs as an
unprivileged user the test picks: a uid with no passwd entry and no
process (so no /etc/passwd edit is needed, and every process of that uid
is this test's), with its own $XDG_RUNTIME_DIR and $XDG_STATE_HOME under a
temporary directory, entered with setpriv into the host namespace.  That
user starts `vswitchd --rootless --uplink pasta`, makes containers with
`vsctl netns add`, and so on.  /dev/net/tun is 0600 on this machine and
pasta needs it: each user command runs in a private mount namespace where
a 0666 node is bound over /dev/net/tun (the host's node is never changed;
the DNS test binds its own resolv.conf over /etc/resolv.conf the same
way).  A second world without that node checks the veth fallback and the
errors for TAP.  Another user (uid + 1) is the one the socket refuses.

Teardown, also on failure: every process of the test uids is ended by its
PID (they are all this test's), the namespaces and the directory removed.
Waiting is always bounded polling (wait_for), never a timed assertion.
"""
import json
import os
import pwd
import random
import shutil
import signal
import subprocess
import tempfile

import pytest

import topo as topo_mod
from vsutil import scaled, sh, wait_for

PATH = "/usr/sbin:/usr/bin:/sbin:/bin"


def _free_uid():
    """A uid with no passwd entry and no process: the test's own user."""
    used = {int(p) for p in sh("ps", "-e", "-o", "uid=").stdout.split()}
    while True:
        uid = random.SystemRandom().randrange(200000, 2000000)
        try:
            pwd.getpwuid(uid)
        except KeyError:
            if uid not in used and uid + 1 not in used:
                return uid


class World:
    """The host stand-in, the outside, and an unprivileged user."""

    def __init__(self, tun=True, ping=True):
        self.p = topo_mod.new_prefix()
        self.ping = ping
        self.host, self.out = self.p + "h", self.p + "o"
        self.uid = _free_uid()
        self.tmp = tempfile.mkdtemp(prefix=self.p + "-")
        self.tun = os.path.join(self.tmp, "tun", "tun") if tun else None
        # (file, over): bound in each user command's private mount namespace
        self.binds = [(self.tun, "/dev/net/tun")] if tun else []
        self.procs = []
        self._dirs()
        self._net()

    def _dirs(self):
        os.chmod(self.tmp, 0o711)
        for d in ("run", "state", "other"):
            path = os.path.join(self.tmp, d)
            os.mkdir(path, 0o700)
            os.chown(path, self.uid + (d == "other"), self.uid + (d == "other"))
        if self.tun:
            os.mkdir(os.path.dirname(self.tun), 0o755)
            os.mknod(self.tun, 0o666 | 0o020000, os.makedev(10, 200))
            os.chmod(self.tun, 0o666)
        self.run_dir = os.path.join(self.tmp, "run", "vswitch")
        self.sock = os.path.join(self.run_dir, "vswitchd.sock")
        self.log = os.path.join(self.tmp, "state", "vswitchd.log")
        self.pidfile = os.path.join(self.tmp, "state", "vswitchd.pid")

    def _net(self):
        h, o, a, b = self.host, self.out, self.p + "a", self.p + "b"
        for ns in (h, o):
            sh("ip", "netns", "add", ns)
            sh("ip", "-n", ns, "link", "set", "lo", "up")
        sh("ip", "link", "add", a, "netns", h, "type", "veth", "peer", "name", b, "netns", o)
        sh("ip", "-n", h, "addr", "add", "192.0.2.10/24", "dev", a)
        sh("ip", "-n", o, "addr", "add", "192.0.2.1/24", "dev", b)
        sh("ip", "-n", h, "link", "set", a, "up")
        sh("ip", "-n", o, "link", "set", b, "up")
        sh("ip", "-n", h, "route", "add", "default", "via", "192.0.2.1")
        # per namespace: pasta's ping sockets in the host stand-in only
        # (ping=False keeps the kernel's default "1 0": nobody may)
        if self.ping:
            sh("ip", "netns", "exec", h, "sysctl", "-qw",
               "net.ipv4.ping_group_range=0 2147483647")

    def argv(self, *cmd, uid=None, env=(), groups=None):
        """CMD as the test user (or UID, with supplementary GROUPS) in the
        host stand-in."""
        uid = self.uid if uid is None else uid
        home = os.path.join(self.tmp, "other" if uid != self.uid else "state")
        run = os.path.join(self.tmp, "other" if uid != self.uid else "run")
        grp = f"--groups={','.join(map(str, groups))}" if groups else "--clear-groups"
        inner = ["nsenter", f"--net=/run/netns/{self.host}", "setpriv",
                 f"--reuid={uid}", f"--regid={uid}", grp, "env", "-i",
                 f"PATH={PATH}", f"XDG_RUNTIME_DIR={run}",
                 f"XDG_STATE_HOME={os.path.join(self.tmp, 'state')}", f"HOME={home}",
                 *SANITIZER_ENV, *env, *cmd]
        if not self.binds:
            return inner
        script = " && ".join(f'mount --bind "${{{2 * i}}}" "${{{2 * i + 1}}}"'
                             for i in range(len(self.binds)))
        pairs = [x for b in self.binds for x in b]
        return ["unshare", "-m", "--propagation", "private", "sh", "-c",
                f'{script} && shift {len(pairs) - 1} && exec "$@"', *pairs, *inner]

    def user(self, *cmd, check=True, timeout=30, uid=None, env=(), groups=None):
        r = subprocess.run(self.argv(*cmd, uid=uid, env=env, groups=groups),
                           capture_output=True, text=True, timeout=scaled(timeout))
        if check:
            assert r.returncode == 0, f"{' '.join(cmd)}: {r.stderr.strip()}"
        return r

    def spawn(self, *cmd):
        p = subprocess.Popen(self.argv(*cmd), stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        self.procs.append(p)
        return p

    def root_spawn(self, ns, *cmd):
        p = subprocess.Popen(["ip", "netns", "exec", ns, *cmd],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.procs.append(p)
        return p

    def vsctl(self, *args, check=False, uid=None, groups=None):
        return self.user(topo_mod.find_binary("vsctl"), *args, check=check, uid=uid,
                         groups=groups)

    def vsctl_ok(self, *args):
        r = self.vsctl(*args)
        assert r.returncode == 0, f"vsctl {' '.join(args)}: {r.stderr.strip()}"
        return r.stdout

    def ctr(self, name, *cmd, check=False, timeout=30):
        """CMD inside container NAME, through vsctl netns exec."""
        return self.user(topo_mod.find_binary("vsctl"), "netns", "exec", name, "--", *cmd,
                         check=check, timeout=timeout)

    def start(self, *args, env=()):
        r = self.user(topo_mod.find_binary("vswitchd"), "--detach", "--log-file", self.log,
                      "--pidfile", self.pidfile, *args, check=False, env=env)
        assert r.returncode == 0, f"vswitchd did not start: {r.stderr}\n{self.read_log()}"
        return r

    def daemon_pid(self):
        with open(self.pidfile) as f:
            return int(f.read())

    def read_log(self):
        try:
            with open(self.log) as f:
                return f.read()
        except OSError:
            return ""

    def _pids(self):
        out = sh("ps", "-o", "pid=", "-u", f"{self.uid},{self.uid + 1}", check=False).stdout
        return [int(x) for x in out.split()]

    def teardown(self):
        for p in self.procs:
            topo_mod.stop_process(p)
        for sig in (signal.SIGTERM, signal.SIGKILL):
            for pid in self._pids():
                try:
                    os.kill(pid, sig)
                except ProcessLookupError:
                    pass
            if not wait_for(lambda: not self._pids(), 5):
                continue
            break
        for ns in (self.host, self.out):
            sh("ip", "netns", "del", ns, check=False)
        shutil.rmtree(self.tmp, ignore_errors=True)


# `env -i` must keep a sanitizer build's options: LeakSanitizer's exit-time
# check would otherwise run, and under the sandbox (no ptrace) it never ends.
SANITIZER_ENV = [f"{k}={os.environ[k]}" for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS")
                 if k in os.environ]


def _dead(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except OSError:
        return True


def _http(ns, url):
    r = sh("ip", "netns", "exec", ns, "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
           "--max-time", "3", url, check=False, timeout=10)
    return r.stdout.strip()


# --rootless as the user would type it (the uplink implies it too, but
# then with the auto-rootless notice); pasta binds 18100-18119 on the host
# itself: ports published there keep the client's address
# (test_published_port_keeps_the_client_address)
DAEMON_ARGS = ("--rootless", "--uplink", "pasta", "--dns-upstream", "192.0.2.1",
               "--pasta-ports", "18100-18119")


def _dnsmasq(w, ns, addr, answer):
    """A resolver (root's, in NS) on ADDR only: *.example.test is ANSWER."""
    w.root_spawn(ns, "dnsmasq", "-k", "--no-resolv", "--no-hosts", f"--listen-address={addr}",
                 "--bind-interfaces", f"--address=/example.test/{answer}", "--user=root",
                 "--group=root", f"--pid-file={w.tmp}/dnsmasq-{addr}.pid")
    # it answers before vswitchd first asks it
    assert wait_for(lambda: sh("ip", "netns", "exec", w.host, "dig", "+short", "+time=1",
                               "+tries=1", f"@{addr}", "x.example.test",
                               check=False).stdout.strip() == answer, 10)


def _outside_services(w):
    """The outside host's web server (192.0.2.1:8000) and resolver."""
    w.root_spawn(w.out, "/usr/bin/python3", "-m", "http.server", "8000", "--bind",
                 "192.0.2.1", "--directory", "/usr/share/doc")
    _dnsmasq(w, w.out, "192.0.2.1", "192.0.2.7")
    assert wait_for(lambda: ":8000 " in sh("ip", "netns", "exec", w.out, "ss", "-ltnH").stdout,
                    10)


@pytest.fixture(scope="module")
def world():
    if os.geteuid() != 0:
        pytest.skip("the test makes its user and namespaces as root")
    for tool in ("pasta", "setpriv", "nsenter", "unshare", "dnsmasq", "curl"):
        if not shutil.which(tool):
            pytest.skip(f"needs {tool}")
    if not topo_mod.find_binary("vswitchd") or not topo_mod.find_binary("vsctl"):
        pytest.skip("vswitchd/vsctl not built")
    w = World(tun=True)
    try:
        _outside_services(w)
        w.root_spawn(w.out, "iperf3", "-s", "-B", "192.0.2.1", "-p", "5201")
        w.started = w.start(*DAEMON_ARGS)
        yield w
    finally:
        log = w.read_log()
        w.teardown()
        if os.environ.get("VS_SHOW_LOG"):
            print(log)


@pytest.fixture(scope="module")
def two(world):
    """Two containers on a user network, made and connected by the user."""
    w = world
    w.vsctl_ok("netns", "add", "c1")
    w.vsctl_ok("netns", "add", "c2")
    w.vsctl_ok("network", "create", "--subnet", "172.30.0.0/24", "n1")
    w.vsctl_ok("network", "connect", "--netns", "c1", "n1", "c1")
    w.vsctl_ok("network", "connect", "--netns", "c2", "--attach", "veth", "n1", "c2")
    return w


def test_started_rootless_for_the_user(world):
    w = world
    # asked for by --rootless: no notice that it was chosen for the user
    assert "running rootless" not in w.started.stderr, w.started.stderr
    st = os.stat(w.sock)
    assert st.st_uid == w.uid and (st.st_mode & 0o777) == 0o660
    # no group is made: the socket keeps the user's own group
    assert st.st_gid == w.uid
    log = w.read_log()
    assert "groupadd" not in log and "group vswitch" not in log
    assert "rootless: new user and switch namespaces" in log
    # the state under $XDG_STATE_HOME/vswitch, not the ~/.local/state
    # fallback (HOME is the same directory here: the fallback would show)
    state = os.path.join(w.tmp, "state", "vswitch")
    assert os.path.isfile(os.path.join(state, "lock"))      # the state lock
    assert os.stat(state).st_uid == w.uid
    assert not os.path.exists(os.path.join(w.tmp, "state", ".local"))
    with open(os.path.join(w.run_dir, "keeper.pid")) as f:
        keeper = int(f.read())
    # the keeper is the test user's, in a user namespace of its own
    assert os.stat(f"/proc/{keeper}").st_uid == w.uid
    assert os.readlink(f"/proc/{keeper}/ns/user") != os.readlink("/proc/self/ns/user")
    # and vsctl finds the socket under $XDG_RUNTIME_DIR by itself
    assert json.loads(w.vsctl_ok("--format", "raw", "network", "ls"))


def test_netns_commands(two):
    w = two
    rows = [json.loads(l) for l in w.vsctl_ok("--format", "json", "netns", "ls").splitlines()]
    names = {r["Name"]: r for r in rows}
    assert set(names) >= {"c1", "c2"} and all(names[n]["Alive"] for n in ("c1", "c2"))
    assert names["c1"]["Path"].startswith("/proc/")
    r = w.vsctl("netns", "add", "c1")
    assert r.returncode == 1 and "exists already" in r.stderr
    r = w.vsctl("netns", "add", "../x")
    assert r.returncode == 2 and "not a namespace name" in r.stderr
    w.vsctl_ok("netns", "add", "tmp1")
    w.vsctl_ok("netns", "rm", "tmp1")
    assert "tmp1" not in w.vsctl_ok("netns", "ls", "-q").split()
    r = w.vsctl("netns", "rm", "tmp1")
    assert r.returncode == 1 and "no namespace" in r.stderr


def test_containers_ping_each_other_and_the_gateway(two):
    w = two
    for dst in ("172.30.0.3", "172.30.0.1"):
        r = w.ctr("c1", "ping", "-c", "1", "-W", "2", dst)
        assert r.returncode == 0, r.stdout + r.stderr
    r = w.ctr("c2", "ping", "-c", "1", "-W", "2", "172.30.0.2")
    assert r.returncode == 0, r.stdout + r.stderr
    ctrs = {c["name"]: c for c in json.loads(w.vsctl_ok("--format", "raw", "container",
                                                         "ls"))}
    # c1 took the default (the tun node is usable here), c2 asked for veth
    assert ctrs["c1"]["endpoints"][0]["attach"] == "tap"
    assert ctrs["c2"]["endpoints"][0]["attach"] == "veth"


def test_names_resolve(two):
    w = two
    # vsctl netns exec binds the resolv.conf vswitchd wrote for the name
    r = w.ctr("c1", "getent", "hosts", "c2")
    assert r.returncode == 0 and "172.30.0.3" in r.stdout, r.stderr
    r = w.ctr("c2", "dig", "+short", "+time=2", "+tries=1", "@172.30.0.1", "c1")
    assert r.stdout.strip() == "172.30.0.2", r.stderr


def test_outside_through_pasta(two):
    w = two
    r = w.ctr("c1", "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "5",
              "http://192.0.2.1:8000/")
    assert r.stdout.strip() == "200", r.stderr
    r = w.ctr("c1", "ping", "-c", "1", "-W", "2", "192.0.2.1")
    assert r.returncode == 0, r.stdout + r.stderr
    # bulk egress completes (GSO frames into pasta's TAP once stalled it)
    assert wait_for(lambda: ":5201 " in sh("ip", "netns", "exec", w.out, "ss", "-ltnH").stdout,
                    10)
    r = w.ctr("c1", "iperf3", "-c", "192.0.2.1", "-n", "8M", "-J", timeout=60)
    end = json.loads(r.stdout)["end"] if r.returncode == 0 else {}
    # all 8 MB sent, and the outside got megabytes of it by the end (the
    # rest is in flight when the sender stops counting)
    assert end and end["sum_sent"]["bytes"] >= 8 * 1024 * 1024, r.stdout[-500:] + r.stderr
    assert end["sum_received"]["bytes"] >= 1024 * 1024, r.stdout[-500:]
    # a name vswitchd does not own goes to the host's resolver (dnsmasq)
    assert wait_for(lambda: w.ctr("c2", "dig", "+short", "+time=2", "+tries=1", "@172.30.0.1",
                                  "www.example.test").stdout.strip() == "192.0.2.7", 20), \
        w.vsctl_ok("stats") + w.read_log()


@pytest.mark.parametrize("unshare", [["-n"], ["-Urn"]], ids=["own-userns", "child-userns"])
def test_connect_a_process_namespace_by_proc_path(two, unshare):
    """The user's own process in a network namespace it made (`unshare -n`
    in vswitchd's user namespace, entered with `vsctl netns exec`; or
    `unshare -Urn`, in a user namespace below it) is connected by
    /proc/PID/ns/net, and pings the gateway and a container."""
    w = two
    pidfile = os.path.join(w.tmp, "state", f"proc-{unshare[0][1:]}.pid")
    w.spawn(topo_mod.find_binary("vsctl"), "netns", "exec", "c1", "--", "unshare", *unshare,
            "sh", "-c", 'echo $$ > "$0" && exec sleep 600', pidfile)
    assert wait_for(lambda: os.path.exists(pidfile) and os.path.getsize(pidfile) > 0, 10)
    with open(pidfile) as f:
        pid = int(f.read())
    try:
        netns = f"/proc/{pid}/ns/net"
        assert os.readlink(netns) != os.readlink(f"/proc/{w.daemon_pid()}/ns/net")
        same_userns = os.readlink(f"/proc/{pid}/ns/user") == \
            os.readlink(f"/proc/{w.daemon_pid()}/ns/user")
        assert same_userns == (unshare == ["-n"])
        w.vsctl_ok("network", "connect", "--netns", netns, "n1", "cp")
        inside = ("nsenter", "-t", str(pid), "-U", "-n", "--preserve-credentials")
        for dst in ("172.30.0.1", "172.30.0.2"):          # the gateway, c1
            r = w.user(*inside, "ping", "-c", "1", "-W", "2", dst, check=False)
            assert r.returncode == 0, r.stdout + r.stderr
        w.vsctl_ok("network", "disconnect", "n1", "cp")
    finally:
        os.kill(pid, signal.SIGKILL)


def _uplink_drops(w):
    """The uplink port's drops by reason (vsctl stats)."""
    ports = json.loads(w.vsctl_ok("--format", "raw", "stats"))["ports"]
    return [p for p in ports if p["name"] == "uplink"][0]["drops"]


def test_bulk_egress_through_pasta_loses_no_frame(two):
    """Four bulk flows out through pasta at once: every frame the switch
    sends reaches pasta's TAP.  Its ring held the kernel's default 1000
    frames and overflowed (uplink tx_error) within the first second, and
    Debian 12's pasta, which offers the guest no SACK, turned each burst
    loss into retransmission timeouts: egress through pasta measured
    0.04 Gbit/s (doc/rootless.md).  A flow's unacked data is bounded by its
    send buffer, so the longer ring (port_pasta.c) holds these four whole."""
    w = two
    assert wait_for(lambda: ":5201 " in sh("ip", "netns", "exec", w.out, "ss", "-ltnH").stdout,
                    10)
    before = _uplink_drops(w).get("tx_error", 0)
    r = w.ctr("c1", "iperf3", "-c", "192.0.2.1", "-P", "4", "-n", "64M", "-J", timeout=120)
    end = json.loads(r.stdout)["end"] if r.returncode == 0 else {}
    assert end and end["sum_sent"]["bytes"] >= 64 * 1024 * 1024, r.stdout[-500:] + r.stderr
    assert _uplink_drops(w).get("tx_error", 0) == before, w.vsctl_ok("stats")


def test_published_port_from_outside_and_loopback(two):
    w = two
    w.spawn(topo_mod.find_binary("vsctl"), "netns", "exec", "c2", "--", "/usr/bin/python3",
            "-m", "http.server", "8081", "--bind", "0.0.0.0", "--directory", "/usr/share/doc")
    assert wait_for(lambda: ":8081 " in w.ctr("c2", "ss", "-ltnH").stdout, 10)
    w.vsctl_ok("port", "publish", "c2", "18080:8081")
    assert "8081/tcp -> 0.0.0.0:18080" in w.vsctl_ok("port", "ls", "c2")
    assert _http(w.out, "http://192.0.2.10:18080/") == "200"
    assert _http(w.host, "http://127.0.0.1:18080/") == "200"
    # added and removed at runtime; pasta is not restarted for it
    w.vsctl_ok("port", "publish", "c2", "18090:8081")
    assert _http(w.host, "http://127.0.0.1:18090/") == "200"
    w.vsctl_ok("port", "unpublish", "c2", "18090:8081")
    assert _http(w.host, "http://127.0.0.1:18090/") == "000"
    assert "exited" not in w.read_log()


PEER_SERVER = """
import socket
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 8082))
s.listen(16)
while True:
    c, a = s.accept()
    c.settimeout(5)
    try:
        c.recv(16)
        c.sendall(a[0].encode())
    except OSError:
        pass
    c.close()
"""

# The client speaks first: Debian 12's pasta (2023-03) completes the
# handshake towards the switch (its last ACK) only with the client's first
# data, so a server that speaks first waits for ever (doc/rootless.md).
PEER_CLIENT = """
import socket, sys
try:
    s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=3)
    s.sendall(b"who am I?")
    print(s.recv(64).decode() or "closed")
except OSError as e:
    print(type(e).__name__)
"""


def _peer(ns, ip, port):
    """What the container's server saw as the client of a connection from NS."""
    return sh("ip", "netns", "exec", ns, "/usr/bin/python3", "-c", PEER_CLIENT, ip, str(port),
              check=False, timeout=10).stdout.strip()


def test_published_port_keeps_the_client_address(two):
    """Ports in --pasta-ports are pasta's on the host: a connection from
    another host reaches the switch through pasta's TAP with the client's
    address, and DNAT on the uplink address carries it to the container."""
    w = two
    w.spawn(topo_mod.find_binary("vsctl"), "netns", "exec", "c2", "--", "/usr/bin/python3",
            "-c", PEER_SERVER)
    assert wait_for(lambda: ":8082 " in w.ctr("c2", "ss", "-ltnH").stdout, 10)
    w.vsctl_ok("port", "publish", "c2", "18100:8082")
    assert _peer(w.out, "192.0.2.10", 18100) == "192.0.2.1"
    # the host's own address is a client like any other (not pasta's guest)
    assert _peer(w.host, "192.0.2.10", 18100) == "192.0.2.10"
    # the host's loopback: pasta splices it to our listener in the switch
    # namespace, and the proxy carries it (no address to keep)
    assert _peer(w.host, "127.0.0.1", 18100) == "169.254.169.1"
    # outside --pasta-ports: the supervisor's host listener and the proxy
    w.vsctl_ok("port", "publish", "c2", "18091:8082")
    assert _peer(w.out, "192.0.2.10", 18091) == "169.254.169.1"
    w.vsctl_ok("port", "unpublish", "c2", "18091:8082")
    # unpublished again, a port of the range is refused, not held open
    w.vsctl_ok("port", "unpublish", "c2", "18100:8082")
    assert _peer(w.host, "127.0.0.1", 18100) in ("closed", "ConnectionResetError",
                                                  "ConnectionRefusedError")
    w.vsctl_ok("port", "publish", "c2", "18100:8082")


def test_privileged_port_refused(two):
    r = two.vsctl("port", "publish", "c2", "80:8081")
    assert r.returncode == 1
    assert "ip_unprivileged_port_start" in r.stderr and "1024" in r.stderr


def test_capture_and_trace_for_the_user(two):
    w = two
    pcap = os.path.join(w.tmp, "state", "c1.pcap")
    cap = w.spawn(topo_mod.find_binary("vsctl"), "capture", "--container", "c1",
                  "--filter", "icmp", "-c", "2", "-w", pcap)
    # the capture is armed once its pcap header is written
    assert wait_for(lambda: os.path.exists(pcap) and os.path.getsize(pcap) >= 24, 10)
    w.ctr("c1", "ping", "-c", "1", "-W", "2", "172.30.0.3")
    cap.wait(scaled(10))
    assert cap.returncode == 0
    r = sh("tcpdump", "-nr", pcap, check=False)
    assert r.stdout.count("ICMP echo") == 2, r.stdout + r.stderr
    res = json.loads(w.vsctl_ok("--format", "json", "trace", "--from", "c1", "--to",
                                "172.30.0.3"))
    assert res["verdict"]["decision"] == "forward"


def test_another_user_is_refused(two):
    """The first guard: the 0700 runtime directory keeps another user
    from the socket file (connect's EACCES; vswitchd never sees them)."""
    w = two
    r = w.vsctl("--socket", w.sock, "network", "ls", uid=w.uid + 1)
    assert r.returncode == 1 and "vsctl: error:" in r.stderr
    assert "Permission denied" in r.stderr and "admits only" not in r.stderr, r.stderr


PEER_REFUSAL = ("permission denied: this rootless vswitchd admits only the user who "
                "started it")


def test_another_user_is_refused_by_the_peer_check(two):
    """The second guard: another user who can reach the socket file
    (search on its directories, the socket's group as a supplementary
    group: the file's mode 0660 lets them connect) is refused by vswitchd
    itself after SO_PEERCRED, with one line, and the refusal is logged."""
    w = two
    dirs = [os.path.join(w.tmp, "run"), w.run_dir]
    modes = [os.stat(d).st_mode & 0o7777 for d in dirs]
    try:
        for d in dirs:
            os.chmod(d, 0o711)
        r = w.vsctl("--socket", w.sock, "network", "ls", uid=w.uid + 1, groups=[w.uid])
    finally:
        for d, m in zip(dirs, modes):
            os.chmod(d, m)
    assert r.returncode == 1
    assert r.stderr.strip().splitlines()[-1] == "vsctl: error: " + PEER_REFUSAL, r.stderr
    assert wait_for(lambda: "control: refused a connection: " + PEER_REFUSAL in w.read_log(), 5)
    # the user themself still gets in
    assert json.loads(w.vsctl_ok("--format", "raw", "network", "ls"))


def test_pasta_restarted_when_it_dies(two):
    w = two
    pasta = [int(p) for p in sh("pgrep", "-u", str(w.uid), "-f", "^pasta ",
                                check=False).stdout.split()]
    assert len(pasta) == 1
    os.kill(pasta[0], signal.SIGKILL)
    assert wait_for(lambda: "restarting it" in w.read_log(), 10)
    assert wait_for(lambda: w.ctr("c1", "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                                  "--max-time", "2", "http://192.0.2.1:8000/")
                    .stdout.strip() == "200", 15)


def test_kill9_and_restart_restores_everything(two):
    w = two
    pid = w.daemon_pid()
    os.kill(pid, signal.SIGKILL)
    # gone, or a zombie (whoever reaps it): its files, the state lock
    # among them, are closed only then
    assert wait_for(lambda: _dead(pid), 10)
    assert _http(w.host, "http://127.0.0.1:18080/") == "000"
    w.start(*DAEMON_ARGS)
    assert "rejoining the namespaces" in w.read_log()
    ctrs = {c["name"] for c in json.loads(w.vsctl_ok("--format", "raw", "container", "ls"))}
    assert ctrs >= {"c1", "c2"}
    assert "18080" in w.vsctl_ok("port", "ls", "c2")
    assert w.ctr("c1", "ping", "-c", "1", "-W", "2", "172.30.0.3").returncode == 0
    assert wait_for(lambda: _http(w.out, "http://192.0.2.10:18080/") == "200", 10)
    assert wait_for(lambda: _http(w.host, "http://127.0.0.1:18080/") == "200", 10)


@pytest.fixture
def notun():
    """A second user world where /dev/net/tun stays 0600, no uplink."""
    if os.geteuid() != 0 or not topo_mod.find_binary("vswitchd"):
        pytest.skip("needs root to make the test world, and vswitchd")
    w = World(tun=False)
    try:
        yield w
    finally:
        w.teardown()


@pytest.fixture
def notun_noping():
    """The same, and net.ipv4.ping_group_range left at the kernel's "1 0"."""
    if os.geteuid() != 0 or not topo_mod.find_binary("vswitchd"):
        pytest.skip("needs root to make the test world, and vswitchd")
    w = World(tun=False, ping=False)
    try:
        yield w
    finally:
        w.teardown()


def test_without_tun_containers_attach_by_veth(notun):
    w = notun
    r = w.start()
    assert "running rootless" in r.stderr          # the one-line notice
    assert "/dev/net/tun is not accessible" in w.read_log()
    w.vsctl_ok("netns", "add", "a1")
    w.vsctl_ok("network", "create", "--subnet", "172.31.9.0/24", "m1")
    r = w.vsctl("network", "connect", "--netns", "a1", "--attach", "tap", "m1", "a1")
    assert r.returncode == 1 and "/dev/net/tun" in r.stderr and "--attach veth" in r.stderr
    w.vsctl_ok("network", "connect", "--netns", "a1", "m1", "a1")
    assert w.ctr("a1", "ping", "-c", "1", "-W", "2", "172.31.9.1").returncode == 0
    # a namespace of the host's user namespace is out of reach, and says why
    r = w.vsctl("network", "connect", "--netns", f"/run/netns/{w.out}", "m1", "a2")
    assert r.returncode == 1 and "vsctl netns add" in r.stderr


def test_refusal_tun_not_accessible_for_the_uplink(notun):
    """--uplink pasta where the user may not open /dev/net/tun: the
    translator's TAP cannot be made, and vswitchd says so as its last line,
    before it starts anything (no keeper, no supervisor left behind)."""
    w = notun
    r = w.user(topo_mod.find_binary("vswitchd"), "--rootless", "--uplink", "pasta",
               check=False)
    assert r.returncode == 1
    assert r.stderr.splitlines()[-1] == (
        f"vswitchd: --uplink pasta: /dev/net/tun is not accessible to uid {w.uid} and the "
        "uplink needs a TAP (fix: chmod 0666 /dev/net/tun, Debian's default)"), r.stderr
    assert not os.path.exists(os.path.join(w.run_dir, "keeper.pid"))
    assert wait_for(lambda: not w._pids(), 5), w._pids()


def test_clean_stop_stops_pasta(two):
    """SIGTERM: vswitchd stops cleanly under its sandbox, and takes pasta
    and its supervisor along; the keeper and holders stay for the next
    start."""
    w = two
    pid = w.daemon_pid()
    os.kill(pid, signal.SIGTERM)
    assert wait_for(lambda: _dead(pid), 10)
    log = w.read_log()
    assert "allow-list" in log            # the sandbox was on
    assert "vswitchd stopped" in log and "forbidden system call" not in log
    comms = lambda: sh("ps", "-o", "comm=", "-u", str(w.uid), check=False).stdout.split()
    assert wait_for(lambda: not {"passt.avx2", "passt", "pasta", "vswitchd-uplink"} &
                    set(comms()), 10), comms()
    assert "vswitchd-keeper" in comms() and "vswitchd-ns" in comms()


def test_netns_commands_as_root_beside_ip_netns():
    """As root the same commands are `ip netns`'s: /run/netns/NAME."""
    if os.geteuid() != 0 or not topo_mod.find_binary("vsctl"):
        pytest.skip("needs root and vsctl")
    vsctl, name = topo_mod.find_binary("vsctl"), topo_mod.new_prefix() + "rn"
    try:
        assert sh(vsctl, "netns", "add", name, check=False).returncode == 0
        assert name in topo_mod.netns_list()           # ip netns sees it
        r = sh(vsctl, "netns", "exec", name, "--", "ip", "-br", "link", "show", "lo",
               check=False)
        assert r.returncode == 0 and "UP" in r.stdout and "LOOPBACK" in r.stdout
        assert name in sh(vsctl, "netns", "ls", "-q").stdout.split()
        assert sh(vsctl, "netns", "rm", name, check=False).returncode == 0
        assert name not in topo_mod.netns_list()
    finally:
        sh("ip", "netns", "del", name, check=False)


@pytest.fixture
def podman_world():
    """A user world for rootless podman: a busybox image imported as the
    test user, podman's own user namespace made (its pause process)."""
    if os.geteuid() != 0 or not topo_mod.find_binary("vswitchd"):
        pytest.skip("needs root to make the test world, and vswitchd")
    for tool in ("podman", "busybox", "runc"):
        if not shutil.which(tool):
            pytest.skip(f"needs {tool}")
    w = World(tun=True)
    try:
        root = os.path.join(w.tmp, "state", "rootfs")
        os.makedirs(os.path.join(root, "bin"))
        shutil.copy(shutil.which("busybox"), os.path.join(root, "bin", "busybox"))
        for applet in ("sh", "ping", "nslookup", "ip", "wget", "httpd"):
            os.symlink("busybox", os.path.join(root, "bin", applet))
        os.makedirs(os.path.join(root, "www"))
        with open(os.path.join(root, "www", "index.html"), "w") as f:
            f.write("served by podman\n")
        tar = os.path.join(w.tmp, "state", "bb.tar")
        sh("tar", "-C", root, "-cf", tar, ".")
        sh("chown", "-R", f"{w.uid}:{w.uid}", root, tar)
        w.podman = ["podman", "--cgroup-manager=cgroupfs", "--storage-driver=vfs",
                    "--runtime=runc", "--events-backend=file"]
        w.user(*w.podman, "import", tar, "localhost/vsbb", timeout=120)
        w.user(*w.podman, "unshare", "true", timeout=60)
        _outside_services(w)
        yield w
    finally:
        w.teardown()


def test_rootless_podman_in_a_namespace_vswitchd_connected(podman_world):
    """Debian's podman 4.3, as the same user, with --network ns: into a
    namespace vswitchd connected: vswitchd joins podman's user namespace
    (--userns), so the runtime can enter the namespaces it made.  The
    podman container gets what a vswitchd container gets: the peer and
    the gateway, names, the outside through pasta, and a published port
    from the outside and from the host's loopback."""
    w = podman_world
    with open(os.path.join(w.tmp, "run", "libpod", "tmp", "pause.pid")) as f:
        pause = int(f.read())
    w.start(*DAEMON_ARGS, "--userns", f"/proc/{pause}/ns/user")
    assert os.readlink(f"/proc/{pause}/ns/user") == \
        os.readlink(f"/proc/{w.daemon_pid()}/ns/user")
    for c in ("p1", "p2"):
        w.vsctl_ok("netns", "add", c)
    w.vsctl_ok("network", "create", "--subnet", "172.30.5.0/24", "pn")
    w.vsctl_ok("network", "connect", "--netns", "p1", "pn", "p1")
    w.vsctl_ok("network", "connect", "--netns", "p2", "pn", "p2")
    path = os.readlink(os.path.join(w.run_dir, "netns", "p1"))
    podman = [*w.podman, "run", "--cap-add=NET_RAW", f"--network=ns:{path}"]
    run = [*podman, "--rm", "localhost/vsbb"]

    def ok(*cmd):
        r = w.user(*run, *cmd, check=False, timeout=120)
        assert r.returncode == 0, f"{' '.join(cmd)}: {r.stdout}{r.stderr}"
        return r.stdout

    for dst in ("172.30.5.3", "172.30.5.1"):          # the peer, the gateway
        assert "1 packets received" in ok("ping", "-c", "1", "-W", "2", dst)
    assert "172.30.5.3" in ok("nslookup", "p2", "172.30.5.1")
    # the outside host through pasta: its web server, and a name only its
    # resolver knows, forwarded by the gateway (no wget -T: Debian 12's
    # static busybox crashes on it; the run's own timeout bounds it)
    assert "Directory listing" in ok("wget", "-q", "-O", "-", "http://192.0.2.1:8000/")
    assert "Address: 192.0.2.7" in ok("nslookup", "-type=a", "www.example.test", "172.30.5.1")
    # a server in a podman container, published by vswitchd
    w.user(*podman, "-d", "--name", "web", "localhost/vsbb", "httpd", "-f", "-p", "8080",
           "-h", "/www", timeout=120)
    try:
        assert wait_for(lambda: ":8080 " in w.ctr("p1", "ss", "-ltnH").stdout, 30)
        w.vsctl_ok("port", "publish", "p1", "18086:8080")
        assert _http(w.out, "http://192.0.2.10:18086/") == "200"
        assert _http(w.host, "http://127.0.0.1:18086/") == "200"
    finally:
        w.user(*w.podman, "rm", "-f", "-t", "0", "web", check=False, timeout=120)


@pytest.fixture(params=["outside", "loopback"])
def resolv_world(request):
    """A user world whose vswitchd has no --dns-upstream: it forwards to
    the nameserver of the /etc/resolv.conf it sees, a file bound over it
    in the user commands' private mount namespace (the machine's own is
    never touched).  "outside": the outside host's resolver; "loopback":
    one on 127.0.0.53 in the host stand-in (as systemd-resolved's stub),
    which only a socket in the host's namespace can reach."""
    if os.geteuid() != 0 or not topo_mod.find_binary("vswitchd"):
        pytest.skip("needs root to make the test world, and vswitchd")
    if not shutil.which("dnsmasq"):
        pytest.skip("needs dnsmasq")
    w = World(tun=True)
    try:
        _outside_services(w)
        w.answer = "192.0.2.7"
        if request.param == "loopback":
            sh("ip", "-n", w.host, "addr", "add", "127.0.0.53/8", "dev", "lo")
            w.answer = "192.0.2.8"
            _dnsmasq(w, w.host, "127.0.0.53", w.answer)
        w.kind = request.param
        conf = os.path.join(w.tmp, "resolv.conf")
        with open(conf, "w") as f:
            f.write("nameserver " + ("192.0.2.1" if w.kind == "outside" else "127.0.0.53") +
                    "\n")
        os.chmod(conf, 0o644)
        w.binds.append((conf, "/etc/resolv.conf"))
        yield w
    finally:
        w.teardown()


def test_dns_forwarded_to_the_hosts_resolver(resolv_world):
    w = resolv_world
    w.start("--rootless", "--uplink", "pasta")
    assert "dns: 1 upstream resolver(s)" in w.read_log()
    w.vsctl_ok("netns", "add", "d1")
    w.vsctl_ok("network", "create", "--subnet", "172.30.8.0/24", "dn")
    w.vsctl_ok("network", "connect", "--netns", "d1", "dn", "d1")
    # a name vswitchd does not own: through the gateway to that resolver,
    # whose answer differs from the other's (so it is the one asked)
    assert wait_for(lambda: w.ctr("d1", "dig", "+short", "+time=2", "+tries=1", "@172.30.8.1",
                                  "www.example.test").stdout.strip() == w.answer, 20), \
        w.read_log()
    # and with the container's own resolv.conf, which names the gateway
    r = w.ctr("d1", "getent", "hosts", "www.example.test")
    assert r.returncode == 0 and w.answer in r.stdout, r.stdout + r.stderr


def _bin_dir(w, *links, fake_pasta=False):
    """A PATH directory for vswitchd with only LINKS (and a pasta that
    fails at once, if FAKE_PASTA): hides the real pasta from it."""
    d = os.path.join(w.tmp, "bin")
    os.makedirs(d, 0o755, exist_ok=True)
    for name in links:
        os.symlink(shutil.which(name), os.path.join(d, name))
    if fake_pasta:
        with open(os.path.join(d, "pasta"), "w") as f:
            f.write("#!/bin/sh\necho 'pasta: cannot run here' >&2\nexit 1\n")
        os.chmod(os.path.join(d, "pasta"), 0o755)
    return f"PATH={d}:/usr/sbin:/sbin"


@pytest.fixture(params=["missing", "failing"])
def slirp_world(request):
    """A user world whose vswitchd finds no usable pasta: it is not on
    PATH ("missing"), or it exits at once ("failing")."""
    if os.geteuid() != 0 or not topo_mod.find_binary("vswitchd"):
        pytest.skip("needs root to make the test world, and vswitchd")
    if not shutil.which("slirp4netns"):
        pytest.skip("needs slirp4netns")
    w = World(tun=True)
    try:
        w.path = _bin_dir(w, "slirp4netns", fake_pasta=request.param == "failing")
        w.kind = request.param
        w.root_spawn(w.out, "/usr/bin/python3", "-m", "http.server", "8000", "--bind",
                     "192.0.2.1", "--directory", "/usr/share/doc")
        yield w
    finally:
        w.teardown()


def test_slirp4netns_when_pasta_is_missing_or_fails(slirp_world):
    w = slirp_world
    r = w.start("--uplink", "pasta", env=(w.path,))
    # no --rootless: the uplink implies it, and the user is told once
    assert "vswitchd: not started as root: running rootless" in r.stderr
    log = r.stderr + w.read_log()      # the first is said before the log opens
    if w.kind == "missing":
        assert "--uplink pasta: pasta is not installed, using slirp4netns" in log
    else:
        assert "uplink: pasta failed at start (status 1), falling back to slirp4netns" in log
    comms = sh("ps", "-o", "comm=", "-u", str(w.uid), check=False).stdout.split()
    assert "slirp4netns" in comms
    w.vsctl_ok("netns", "add", "s1")
    w.vsctl_ok("network", "create", "--subnet", "172.30.7.0/24", "sn")
    w.vsctl_ok("network", "connect", "--netns", "s1", "sn", "s1")
    # out through slirp4netns to the outside, and back in by a published port
    r = w.ctr("s1", "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "5",
              "http://192.0.2.1:8000/")
    assert r.stdout.strip() == "200", r.stderr + w.read_log()
    w.spawn(topo_mod.find_binary("vsctl"), "netns", "exec", "s1", "--", "/usr/bin/python3",
            "-m", "http.server", "8081", "--bind", "0.0.0.0", "--directory", "/usr/share/doc")
    assert wait_for(lambda: ":8081 " in w.ctr("s1", "ss", "-ltnH").stdout, 10)
    w.vsctl_ok("port", "publish", "s1", "18085:8081")
    assert _http(w.out, "http://192.0.2.10:18085/") == "200"
    assert "restarting it" not in w.read_log()


# What vswitchd says when the host forbids something (doc/rootless.md's
# table): one line each, the exact text, naming the fix.

def test_refused_when_neither_pasta_nor_slirp4netns(notun):
    w = notun
    r = w.user(topo_mod.find_binary("vswitchd"), "--uplink", "pasta", check=False,
               env=(_bin_dir(w),))
    assert r.returncode != 0
    assert r.stderr.splitlines()[-1] == (
        "vswitchd: --uplink pasta: neither pasta nor slirp4netns is installed "
        "(apt-get install passt, or slirp4netns)")


def test_refusal_ping_group_range(notun_noping):
    w = notun_noping
    w.start()
    gid = w.uid
    lines = [l.split(": ", 1)[1] for l in w.read_log().splitlines() if "ping_group_range" in l]
    assert lines == [
        f"rootless: gid {gid} is outside net.ipv4.ping_group_range, so pasta cannot forward "
        "ICMP echo outside (fix: sysctl -w net.ipv4.ping_group_range=\"0 2147483647\")"]


def test_refusal_tun_not_accessible(notun):
    w = notun
    w.start()
    lines = [l.split(": ", 1)[1] for l in w.read_log().splitlines() if "/dev/net/tun" in l]
    assert lines == [
        f"rootless: /dev/net/tun is not accessible to uid {w.uid}, containers attach with "
        "veth + AF_PACKET (for TAP: chmod 0666 /dev/net/tun, Debian's default)"]


def test_refusal_no_user_namespaces(notun):
    """A user namespace made by root for the test, where the per-namespace
    limit user.max_user_namespaces is 0: the host's own setting is never
    touched, and vswitchd, as the test user inside it, meets the refusal."""
    w = notun
    inner = w.argv(topo_mod.find_binary("vswitchd"))
    p = subprocess.Popen(["unshare", "--user", "sh", "-c",
                          # re-exec once mapped: the exec before the map dropped
                          # the capabilities in the namespace (no root there yet)
                          'read go; exec sh -c \'echo 0 > /proc/sys/user/max_user_namespaces '
                          '&& exec "$@"\' sh "$@"',
                          "sh", *inner[inner.index("setpriv"):]],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    w.procs.append(p)
    mine = os.readlink("/proc/self/ns/user")
    assert wait_for(lambda: os.readlink(f"/proc/{p.pid}/ns/user") != mine, 10)
    # root maps itself and the test uid; the shell stays root in there
    # until setpriv drops to the test uid
    for kind in ("uid", "gid"):
        with open(f"/proc/{p.pid}/{kind}_map", "w") as f:
            f.write(f"0 0 1\n{w.uid} {w.uid} 1\n")
    out, err = p.communicate("go\n", timeout=scaled(30))
    assert p.returncode != 0
    assert err.splitlines()[-1] == (
        "vswitchd: cannot create a user namespace: No space left on device: the host "
        "forbids unprivileged user namespaces; allow them with sysctl "
        "user.max_user_namespaces=15000 (and kernel.unprivileged_userns_clone=1 where that "
        "sysctl exists), or run vswitchd as root")
