"""vsutil.py - small helpers the system tests share.

Running commands in a namespace, calling vsctl and insisting it succeeds,
unique names, polling instead of sleeping (wait_for; FRR's
run_and_expect is in topo.py), and a web server and client for traffic.

Under valgrind (VSW_VALGRIND=1, see conftest.py) vswitchd runs some twenty
times slower, so every bound on waiting is multiplied by TIMEOUT_FACTOR
(VSW_TIMEOUT_FACTOR, default 10 under valgrind, else 1): the helpers here
and in topo.py apply it, tests pass their own bounds through scaled().
These are bounds, not measurements: nothing asserts how long a thing took.
"""
import json
import os
import random
import subprocess
import time

VALGRIND = os.environ.get("VSW_VALGRIND", "") not in ("", "0")
TIMEOUT_FACTOR = float(os.environ.get("VSW_TIMEOUT_FACTOR", "10" if VALGRIND else "1"))


def scaled(seconds):
    """A bound on waiting, stretched for a slow daemon (valgrind)."""
    return seconds * TIMEOUT_FACTOR


def sh(*cmd, check=True, timeout=30, **kw):
    """Run CMD; the CompletedProcess (text)."""
    return subprocess.run(list(cmd), capture_output=True, text=True,
                          check=check, timeout=scaled(timeout), **kw)


def nsx(ns, *cmd, check=True, timeout=30):
    """Run CMD inside network namespace NS."""
    return sh("ip", "netns", "exec", ns, *cmd, check=check, timeout=timeout)


def vsctl_ok(vswitchd, *args):
    """vsctl ARGS, which must succeed."""
    r = vswitchd.vsctl(*args)
    assert r.returncode == 0, f"vsctl {' '.join(args)}: {r.stderr.strip()}"
    return r


def vsjson(vswitchd, *args):
    """vsctl --format raw ARGS (the daemon's reply as it is), parsed."""
    return json.loads(vsctl_ok(vswitchd, "--format", "raw", *args).stdout)


def uniq(prefix):
    """PREFIX plus 4 random hex digits: a name no other test uses."""
    # SystemRandom: immune to tests that seed `random` (test_hardening)
    return f"{prefix}{random.SystemRandom().randrange(16**4):04x}"


def wait_for(pred, timeout=5.0, interval=0.05):
    """Poll PRED until it returns a true value or TIMEOUT seconds (scaled)
    pass.  The one polling helper of the suite (topo.py and the fixtures use
    it too).

    Returns PRED's last value, so `assert wait_for(...)` reads naturally
    and a caller can also use what PRED found.
    """
    deadline = time.monotonic() + scaled(timeout)
    while True:
        v = pred()
        if v or time.monotonic() >= deadline:
            return v
        time.sleep(interval)


def make_net(vswitchd, *opts):
    """Create a network with a unique name; its name."""
    name = uniq("tn")
    vsctl_ok(vswitchd, "network", "create", *opts, name)
    return name


def connect(vswitchd, topo, net, ctr, attach="tap", *opts):
    """Make container CTR (a namespace) and connect it to NET; its netns."""
    ns = topo.container(ctr)
    vsctl_ok(vswitchd, "network", "connect", "--netns", ns, "--attach", attach,
             *opts, net, ctr)
    return ns


class HttpServer:
    """python3 -m http.server inside NS, serving /usr/share/doc, started and
    listening when the constructor returns; stop() ends it by PID.  Bound to
    0.0.0.0: with a specific address http.server does a reverse lookup
    first, which hangs without DNS."""

    def __init__(self, ns, port=8080):
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", ns, "/usr/bin/python3", "-m", "http.server",
             str(port), "--bind", "0.0.0.0", "--directory", "/usr/share/doc"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.ns, self.port = ns, port
        ok = wait_for(lambda: f":{port} " in nsx(ns, "ss", "-ltnH").stdout, 10)
        assert ok, "http.server did not start"

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def http_get(ns, url, timeout=5):
    """The HTTP status curl gets for URL from inside NS, as a string ("000"
    when nothing answered)."""
    r = nsx(ns, "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
            "--max-time", str(timeout), url, check=False, timeout=timeout + 5)
    return r.stdout.strip()


def csum_errors(ns):
    """TCP segments the kernel of namespace NS dropped for a bad checksum
    (nstat TcpInCsumErrors): it verified every checksum it was handed."""
    out = nsx(ns, "nstat", "-az", "TcpInCsumErrors").stdout.split()
    return int(out[out.index("TcpInCsumErrors") + 1])


def state_read(state_dir):
    """The switch's saved state as vswitchd will load it: state.json with
    the records of its journal (state.journal, src/state.c) applied, each
    replacing one container whole or removing it."""
    with open(os.path.join(state_dir, "state.json")) as f:
        st = json.load(f)
    try:
        with open(os.path.join(state_dir, "state.journal")) as f:
            lines = f.read().split("\n")
    except FileNotFoundError:
        return st
    head = json.loads(lines[0]) if lines[0] else {}
    if head.get("gen") != st.get("journal_gen", 0):
        return st
    for line in lines[1:]:
        try:
            rec = json.loads(line)
        except ValueError:
            break            # a torn last record: vswitchd drops it too
        ctrs = [c for c in st["containers"] if c["name"] != rec["container"]]
        if rec["state"] is not None:
            ctrs.append(rec["state"])
        st["containers"] = ctrs
    return st


def state_write(state_dir, st):
    """Replace the (stopped) switch's saved state by ST: state.json, and no
    journal, whose records would otherwise be applied on top."""
    with open(os.path.join(state_dir, "state.json"), "w") as f:
        json.dump(st, f)
    try:
        os.unlink(os.path.join(state_dir, "state.journal"))
    except FileNotFoundError:
        pass
