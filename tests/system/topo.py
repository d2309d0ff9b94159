"""topo.py - the machinery behind the system-test fixtures (conftest.py).

Theory of operation.  A system test builds a small world of network
namespaces in the manner of FRRouting's topotests: vswitchd in a namespace
of its own (`<prefix>sw`), "containers" as plain namespaces
(`<prefix><name>`), optionally an "outside" host behind an uplink veth.
Every name a test makes starts with a prefix unique to that test (`vt` + 4
random hex digits), so teardown can find and remove all of it by prefix
even when the test failed half-way, and two runs never collide.

Processes are tracked by the Popen objects that started them and ended by
PID (SIGTERM, then SIGKILL) - never by name, since other people's processes
share the machine.  Waiting is always polling against a deadline
(vsutil's `wait_for`), never a fixed sleep: the bounds are functional,
not benchmarks.

The classes here hold no pytest state; conftest.py turns them into fixtures
and decides when to skip.  Tests may import the helpers below directly
(`from topo import json_cmp`).
"""
import glob
import json
import os
import random
import shutil
import signal
import subprocess
import tempfile
import time

from vsutil import VALGRIND, scaled, wait_for

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))

# The uplink segment used when a test asks for one (RFC 5737 TEST-NET-2).
UPLINK_IP = "198.51.100.1"
OUTSIDE_IP = "198.51.100.254"
UPLINK_PREFIXLEN = 24

START_TIMEOUT = scaled(float(os.environ.get("VS_START_TIMEOUT", "15")))

# VSW_VALGRIND=1: vswitchd runs under memcheck.  Definite leaks count as
# errors; every error makes the exit status 99 and is listed in an XML file
# per process (the text log is for people), which judge_valgrind() reads.
# A daemon killed with SIGKILL still leaves what it found before it died.
VALGRIND_SUPP = os.path.join(HERE, "valgrind.supp")
VALGRIND_EXIT = 99


def valgrind_argv(tmp):
    """The memcheck command line that wraps vswitchd, logging into TMP."""
    argv = ["valgrind", "--tool=memcheck", "--leak-check=full",
            "--errors-for-leak-kinds=definite", "--show-leak-kinds=definite",
            f"--error-exitcode={VALGRIND_EXIT}", "--track-origins=yes",
            "--num-callers=30", f"--log-file={tmp}/valgrind.%p.log",
            "--xml=yes", f"--xml-file={tmp}/valgrind.%p.xml"]
    if os.path.exists(VALGRIND_SUPP):
        argv.append(f"--suppressions={VALGRIND_SUPP}")
    return argv


def _xml_field(block, tag):
    start, end = block.find(f"<{tag}>"), block.find(f"</{tag}>")
    return block[start + len(tag) + 2:end] if 0 <= start < end else ""


def valgrind_errors(tmp):
    """Every error memcheck reported about the vswitchd processes that ran
    with TMP as their directory: (kind, text) pairs, the text with the
    top of the stack.  Read block by block, not with an XML parser: a
    daemon killed with SIGKILL leaves a truncated file."""
    errors = []
    for xml in sorted(glob.glob(os.path.join(tmp, "valgrind.*.xml"))):
        with open(xml, errors="replace") as f:
            blocks = f.read().split("<error>")[1:]
        for b in blocks:
            kind = _xml_field(b, "kind") or "unknown"
            what = _xml_field(b, "what") or _xml_field(_xml_field(b, "xwhat"), "text")
            lines = [f"{kind}: {what}"]
            for fr in b.split("<frame>")[1:9]:
                fn, fl, ln = _xml_field(fr, "fn"), _xml_field(fr, "file"), _xml_field(fr, "line")
                lines.append(f"    {fn or _xml_field(fr, 'obj')} {fl}:{ln}" if fl else
                             f"    {fn or _xml_field(fr, 'obj')}")
            errors.append((kind, "\n".join(lines)))
    return errors


def judge_valgrind(tmp):
    """memcheck's verdict on the daemons of TMP: "KIND (N)" strings, empty
    if clean."""
    kinds = {}
    for kind, _ in valgrind_errors(tmp):
        kinds[kind] = kinds.get(kind, 0) + 1
    return [f"{k} ({n})" for k, n in sorted(kinds.items())]


# ------------------------------------------------------------------ helpers

def sh(*cmd, check=True, timeout=30, **kw):
    """Run CMD, capture its output as text; raise on failure if CHECK."""
    return subprocess.run([str(c) for c in cmd], capture_output=True, text=True,
                          check=check, timeout=scaled(timeout), **kw)


def json_cmp(got, expect):
    """Subset comparison in the manner of topotests' json_cmp.

    Every key of EXPECT must be in GOT with a matching value (recursively);
    lists match element-wise with EXPECT's elements a prefix of GOT's, or,
    for a list of dicts, each expected dict matching some element of GOT.
    Returns None when GOT matches, else a string saying where it does not.
    """
    return _json_cmp(got, expect, "$")


def _json_cmp(got, expect, path):
    if isinstance(expect, dict):
        if not isinstance(got, dict):
            return f"{path}: expected an object, got {got!r}"
        for k, v in expect.items():
            if k not in got:
                return f"{path}.{k}: missing"
            err = _json_cmp(got[k], v, f"{path}.{k}")
            if err:
                return err
        return None
    if isinstance(expect, list):
        if not isinstance(got, list):
            return f"{path}: expected a list, got {got!r}"
        if expect and all(isinstance(e, dict) for e in expect):
            for i, e in enumerate(expect):
                if not any(_json_cmp(g, e, path) is None for g in got):
                    return f"{path}[{i}]: no element matches {e!r}"
            return None
        if len(got) < len(expect):
            return f"{path}: {len(got)} elements, expected at least {len(expect)}"
        for i, e in enumerate(expect):
            err = _json_cmp(got[i], e, f"{path}[{i}]")
            if err:
                return err
        return None
    if got != expect:
        return f"{path}: {got!r} != {expect!r}"
    return None


def run_and_expect(func, what, count=20, wait=0.25):
    """Call FUNC up to COUNT times, WAIT seconds apart, until it returns
    WHAT (or, if WHAT is callable, until WHAT(result) is true).

    Returns (success, last result), as topotests' run_and_expect does.
    """
    ok = what if callable(what) else (lambda r: r == what)
    res = None
    for i in range(int(scaled(count))):
        res = func()
        if ok(res):
            return True, res
        if i + 1 < int(scaled(count)):
            time.sleep(wait)
    return False, res


def new_prefix():
    """A prefix for every name one test makes: `vt` + 4 random hex digits,
    not used by any namespace that exists now.  Drawn from the system's
    randomness, never from `random`'s state: a test may seed that (scapy's
    fuzz() in test_hardening.py), and then every run on the machine, other
    engineers' concurrent ones too, would draw the same prefixes."""
    existing = set(netns_list())
    while True:
        p = f"vt{random.SystemRandom().randrange(16**4):04x}"
        if not any(n.startswith(p) for n in existing):
            return p


def netns_list():
    r = sh("ip", "-j", "netns", "list", check=False)
    try:
        return [n["name"] for n in json.loads(r.stdout or "[]")]
    except ValueError:
        return []


def stop_process(p, kill9=False, timeout=5.0):
    """End P by its PID: SIGKILL at once if KILL9, else SIGTERM and SIGKILL
    after TIMEOUT (scaled: valgrind's leak check runs at exit).  Returns
    its exit status (negative: killed by signal)."""
    if p.poll() is None:
        try:
            p.send_signal(signal.SIGKILL if kill9 else signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            p.wait(scaled(timeout))
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(scaled(timeout))
    return p.returncode


# ------------------------------------------------------------------ binaries

def find_binary(name):
    """The path of vswitchd or vsctl: $VSWITCHD / $VSCTL, else
    $VS_BUILD_DIR/src/NAME, else <repo>/src/NAME (in-tree build), else the
    most recently built <repo>/build*/src/NAME.  None if there is none."""
    env = os.environ.get(name.upper())
    if env:
        return env if os.access(env, os.X_OK) else None
    cands = []
    if os.environ.get("VS_BUILD_DIR"):
        cands.append(os.path.join(os.environ["VS_BUILD_DIR"], "src", name))
    cands.append(os.path.join(ROOT, "src", name))
    for c in cands:
        if os.access(c, os.X_OK):
            return c
    built = [p for p in glob.glob(os.path.join(ROOT, "build*", "src", name))
             if os.access(p, os.X_OK)]
    return max(built, key=os.path.getmtime) if built else None


# ------------------------------------------------------------------ topology

class Topo:
    """The namespaces and processes of one test, all named PREFIX...

    container(name) makes namespace PREFIX+name with lo up and returns its
    name; ns_exec() runs a command in a namespace; spawn() starts a
    background process there and remembers it for teardown.
    """

    def __init__(self, prefix):
        self.prefix = prefix
        self.procs = []
        self.containers = {}
        self.outside = None     # (netns, ip) when vswitchd has an uplink

    def add_netns(self, ns):
        sh("ip", "netns", "add", ns)
        sh("ip", "-n", ns, "link", "set", "lo", "up")
        return ns

    def container(self, name):
        """Namespace PREFIX+NAME with lo up (made once; later calls return
        the same name)."""
        if name not in self.containers:
            self.containers[name] = self.add_netns(self.prefix + name)
        return self.containers[name]

    def ns_exec(self, ns, *cmd, check=True, timeout=30):
        return sh("ip", "netns", "exec", ns, *cmd, check=check, timeout=timeout)

    def spawn(self, ns, *cmd, **popen_kw):
        """Start CMD in NS in the background; teardown ends it by PID."""
        popen_kw.setdefault("stdout", subprocess.DEVNULL)
        popen_kw.setdefault("stderr", subprocess.DEVNULL)
        p = subprocess.Popen(["ip", "netns", "exec", ns, *map(str, cmd)], **popen_kw)
        self.procs.append(p)
        return p

    def add_outside(self, sw_ns):
        """An outside host PREFIX+out joined to the switch's namespace by a
        veth whose switch end is `up0`.  Returns (netns, ip) of the host."""
        out = self.add_netns(self.prefix + "out")
        a, b = self.prefix + "ua", self.prefix + "ub"
        sh("ip", "link", "add", a, "netns", sw_ns, "type", "veth",
           "peer", "name", b, "netns", out)
        sh("ip", "-n", sw_ns, "link", "set", a, "name", "up0")
        sh("ip", "-n", sw_ns, "link", "set", "up0", "up")
        sh("ip", "-n", out, "addr", "add", f"{OUTSIDE_IP}/{UPLINK_PREFIXLEN}", "dev", b)
        sh("ip", "-n", out, "link", "set", b, "up")
        # Checksums on a veth are left to the peer; a userspace switch reading
        # with AF_PACKET would see them unfilled.
        for ns, dev in ((sw_ns, "up0"), (out, b)):
            sh("ip", "netns", "exec", ns, "ethtool", "-K", dev, "tx", "off", check=False)
        self.outside = (out, OUTSIDE_IP)
        return self.outside

    def teardown(self):
        """End every process started here, delete every namespace and
        /etc/netns directory with the prefix.  Never raises."""
        for p in reversed(self.procs):
            stop_process(p)
        for ns in netns_list():
            if ns.startswith(self.prefix):
                sh("ip", "netns", "del", ns, check=False)
        for d in glob.glob(f"/etc/netns/{self.prefix}*"):
            shutil.rmtree(d, ignore_errors=True)


class VswitchdError(Exception):
    pass


class Vswitchd:
    """One vswitchd in namespace PREFIX+"sw", with a private state dir,
    socket and log under a temporary directory.

    vsctl() talks to it over its unix socket (from the test's own
    namespace: vsctl needs nothing else); restart() keeps the state dir.
    """

    def __init__(self, topo, vswitchd_bin, vsctl_bin, args=(), uplink=False):
        self.topo = topo
        self.bin, self.vsctl_bin = vswitchd_bin, vsctl_bin
        self.bin_runs_valgrind = False   # BIN is a wrapper that runs memcheck itself
        self.ns = topo.add_netns(topo.prefix + "sw")
        self.tmp = tempfile.mkdtemp(prefix=f"{topo.prefix}-")
        self.state_dir = os.path.join(self.tmp, "state")
        os.mkdir(self.state_dir, 0o700)
        self.sock = os.path.join(self.tmp, "vswitchd.sock")
        self.log_file = os.path.join(self.tmp, "vswitchd.log")
        self.out_file = os.path.join(self.tmp, "vswitchd.out")
        self.args = list(args)
        self.extra_args = []
        self.uplink = None
        if uplink:
            topo.add_outside(self.ns)
            self.uplink = f"{UPLINK_IP}/{UPLINK_PREFIXLEN}"
            self.args = ["--uplink", "afpacket:up0", "--uplink-ip", self.uplink,
                         "--uplink-gateway", OUTSIDE_IP] + self.args
        self.proc = None
        self.exits = []         # (how it was stopped, status) of past runs

    @property
    def vsctl_argv(self):
        """The command line that runs vsctl against this daemon."""
        return [self.vsctl_bin, "--socket", self.sock]

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def argv(self):
        cmd = [self.bin, "--state-dir", self.state_dir, "--socket", self.sock,
               "--log-file", self.log_file, "--log-level", "debug",
               *self.args, *self.extra_args]
        # memcheck makes system calls of its own that the daemon's seccomp
        # allow-list does not know (src/sandbox.c)
        if not VALGRIND:
            return cmd
        cmd.append("--no-sandbox")
        return cmd if self.bin_runs_valgrind else valgrind_argv(self.tmp) + cmd

    def valgrind_problems(self):
        """What memcheck found in every run of this daemon (VSW_VALGRIND)."""
        return judge_valgrind(self.tmp) if VALGRIND else []

    def start(self):
        """Start vswitchd and wait until `vsctl network ls` answers."""
        with open(self.out_file, "a") as out:
            out.write(f"--- start: {' '.join(self.argv())}\n")
            out.flush()
            # `ip netns exec` execs the command: the PID is vswitchd's own.
            self.proc = subprocess.Popen(["ip", "netns", "exec", self.ns, *self.argv()],
                                         stdin=subprocess.DEVNULL, stdout=out,
                                         stderr=subprocess.STDOUT)

        def ready():
            if self.proc.poll() is not None:
                return "died"
            r = self.vsctl("network", "ls", timeout=5)
            return "up" if r.returncode == 0 else None
        state = wait_for(ready, START_TIMEOUT, interval=0.02)
        if state != "up":
            why = (f"exited with status {self.proc.returncode}" if state == "died"
                   else f"did not answer `vsctl network ls` within {START_TIMEOUT} s")
            raise VswitchdError(f"vswitchd {why}\n{self.log(tail=300)}")

    def vsctl(self, *args, check=False, timeout=30, input=None):
        """Run vsctl --socket SOCK ARGS; the CompletedProcess (text).
        With CHECK, a non-zero exit raises CalledProcessError."""
        return subprocess.run(self.vsctl_argv + [str(a) for a in args],
                              capture_output=True, text=True, check=check,
                              timeout=scaled(timeout), input=input,
                              stdin=None if input is not None else subprocess.DEVNULL)

    def stop(self, kill9=False):
        """Stop the daemon (SIGKILL if KILL9, else SIGTERM); its status."""
        if not self.proc:
            return None
        died_before = self.proc.poll() is not None
        rc = stop_process(self.proc, kill9=kill9)
        self.exits.append(("died" if died_before else
                           "SIGKILL" if kill9 else "SIGTERM", rc))
        self.proc = None
        return rc

    def restart(self, kill9=True, extra_args=None):
        """Stop (SIGKILL by default, as a crash would) and start again on the
        same state dir.  EXTRA_ARGS, if given, replace the extra command-line
        arguments of this and later starts."""
        self.stop(kill9=kill9)
        if extra_args is not None:
            self.extra_args = [str(a) for a in extra_args]
        self.start()

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def log(self, tail=None):
        """The log file and standard output/error of every run, as text;
        with TAIL, only the last TAIL lines of each (debug logs are long)."""
        parts = []
        logs = [("log file", self.log_file), ("stdout/stderr", self.out_file)]
        logs += [("valgrind", p) for p in sorted(glob.glob(os.path.join(self.tmp, "valgrind.*.log")))]
        errors = valgrind_errors(self.tmp) if VALGRIND else []
        if errors:
            parts.append("=== valgrind memcheck errors\n" + "\n".join(t for _, t in errors))
        for title, path in logs:
            try:
                with open(path, errors="replace") as f:
                    text = f.read()
            except OSError:
                continue
            lines = text.splitlines(keepends=True)
            if tail and len(lines) > tail:
                text = f"[... {len(lines) - tail} lines before]\n" + "".join(lines[-tail:])
            parts.append(f"=== vswitchd {title} ({path})\n{text}")
        return "\n".join(parts)

    def cleanup(self):
        shutil.rmtree(self.tmp, ignore_errors=True)
