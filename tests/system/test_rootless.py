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
user starts `vswitchd --uplink pasta`, makes containers with `vsctl netns
add`, and so on.  /dev/net/tun is 0600 on this machine and pasta needs it:
each user command runs in a private mount namespace where a 0666 node is
bound over /dev/net/tun (the host's node is never changed).  A second
world without that node checks the veth fallback and the error for TAP.

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
import time

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

    def __init__(self, tun=True):
        self.p = topo_mod.new_prefix()
        self.host, self.out = self.p + "h", self.p + "o"
        self.uid = _free_uid()
        self.tmp = tempfile.mkdtemp(prefix=self.p + "-")
        self.tun = os.path.join(self.tmp, "tun", "tun") if tun else None
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
        sh("ip", "netns", "exec", h, "sysctl", "-qw",
           "net.ipv4.ping_group_range=0 2147483647")

    def argv(self, *cmd, uid=None, env=()):
        """CMD as the test user (or UID) in the host stand-in."""
        uid = self.uid if uid is None else uid
        home = os.path.join(self.tmp, "other" if uid != self.uid else "state")
        run = os.path.join(self.tmp, "other" if uid != self.uid else "run")
        inner = ["nsenter", f"--net=/run/netns/{self.host}", "setpriv",
                 f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "env", "-i",
                 f"PATH={PATH}", f"XDG_RUNTIME_DIR={run}",
                 f"XDG_STATE_HOME={os.path.join(self.tmp, 'state')}", f"HOME={home}",
                 *SANITIZER_ENV, *env, *cmd]
        if not self.tun:
            return inner
        return ["unshare", "-m", "--propagation", "private", "sh", "-c",
                'mount --bind "$0" /dev/net/tun && exec "$@"', self.tun, *inner]

    def user(self, *cmd, check=True, timeout=30, uid=None, env=()):
        r = subprocess.run(self.argv(*cmd, uid=uid, env=env), capture_output=True,
                           text=True, timeout=scaled(timeout))
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

    def vsctl(self, *args, check=False, uid=None):
        return self.user(topo_mod.find_binary("vsctl"), *args, check=check, uid=uid)

    def vsctl_ok(self, *args):
        r = self.vsctl(*args)
        assert r.returncode == 0, f"vsctl {' '.join(args)}: {r.stderr.strip()}"
        return r.stdout

    def ctr(self, name, *cmd, check=False, timeout=30):
        """CMD inside container NAME, through vsctl netns exec."""
        return self.user(topo_mod.find_binary("vsctl"), "netns", "exec", name, "--", *cmd,
                         check=check, timeout=timeout)

    def start(self, *args):
        r = self.user(topo_mod.find_binary("vswitchd"), "--detach", "--log-file", self.log,
                      "--pidfile", self.pidfile, *args, check=False)
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
        w.root_spawn(w.out, "/usr/bin/python3", "-m", "http.server", "8000", "--bind",
                     "192.0.2.1", "--directory", "/usr/share/doc")
        w.root_spawn(w.out, "iperf3", "-s", "-B", "192.0.2.1", "-p", "5201")
        w.root_spawn(w.out, "dnsmasq", "-k", "--no-resolv", "--no-hosts", "-i", w.p + "b",
                     "--bind-interfaces", "--address=/example.test/192.0.2.7",
                     "--user=root", "--group=root", f"--pid-file={w.tmp}/dnsmasq.pid")
        # the upstream answers before vswitchd first asks it
        assert wait_for(lambda: sh("ip", "netns", "exec", w.host, "dig", "+short", "+time=1",
                                   "+tries=1", "@192.0.2.1", "x.example.test",
                                   check=False).stdout.strip() == "192.0.2.7", 10)
        w.start("--uplink", "pasta", "--dns-upstream", "192.0.2.1")
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
    st = os.stat(w.sock)
    assert st.st_uid == w.uid and (st.st_mode & 0o777) == 0o660
    assert "rootless: new user and switch namespaces" in w.read_log()
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
    w = two
    r = w.vsctl("--socket", w.sock, "network", "ls", uid=w.uid + 1)
    assert r.returncode == 1 and "vsctl: error:" in r.stderr
    assert "ermission denied" in r.stderr


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
    w.start("--uplink", "pasta", "--dns-upstream", "192.0.2.1")
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
    r = w.user(topo_mod.find_binary("vswitchd"), "--uplink", "pasta", "--root-only-x",
               check=False)
    assert r.returncode == 2


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
        for applet in ("sh", "ping", "nslookup", "ip"):
            os.symlink("busybox", os.path.join(root, "bin", applet))
        tar = os.path.join(w.tmp, "state", "bb.tar")
        sh("tar", "-C", root, "-cf", tar, ".")
        sh("chown", "-R", f"{w.uid}:{w.uid}", root, tar)
        w.podman = ["podman", "--cgroup-manager=cgroupfs", "--storage-driver=vfs",
                    "--runtime=runc", "--events-backend=file"]
        w.user(*w.podman, "import", tar, "localhost/vsbb", timeout=120)
        w.user(*w.podman, "unshare", "true", timeout=60)
        yield w
    finally:
        w.teardown()


def test_rootless_podman_in_a_namespace_vswitchd_connected(podman_world):
    """Debian's podman 4.3, as the same user, with --network ns: into a
    namespace vswitchd connected: vswitchd joins podman's user namespace
    (--userns), so the runtime can enter the namespaces it made."""
    w = podman_world
    with open(os.path.join(w.tmp, "run", "libpod", "tmp", "pause.pid")) as f:
        pause = int(f.read())
    w.start("--userns", f"/proc/{pause}/ns/user")
    assert os.readlink(f"/proc/{pause}/ns/user") == \
        os.readlink(f"/proc/{w.daemon_pid()}/ns/user")
    for c in ("p1", "p2"):
        w.vsctl_ok("netns", "add", c)
    w.vsctl_ok("network", "create", "--subnet", "172.30.5.0/24", "pn")
    w.vsctl_ok("network", "connect", "--netns", "p1", "pn", "p1")
    w.vsctl_ok("network", "connect", "--netns", "p2", "pn", "p2")
    path = os.readlink(os.path.join(w.run_dir, "netns", "p1"))
    run = [*w.podman, "run", "--rm", "--cap-add=NET_RAW", f"--network=ns:{path}", "localhost/vsbb"]
    r = w.user(*run, "ping", "-c", "1", "-W", "2", "172.30.5.3", check=False, timeout=120)
    assert r.returncode == 0 and "1 packets received" in r.stdout, r.stdout + r.stderr
    r = w.user(*run, "nslookup", "p2", "172.30.5.1", check=False, timeout=120)
    assert "172.30.5.3" in r.stdout, r.stdout + r.stderr
