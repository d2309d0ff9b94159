"""test_capture.py - `vsctl capture`: filters, files, live streams, Ctrl-C,
the flight recorder, and (with an uplink) one flow before and after NAT.

Uses the `vswitchd` and `topo` fixtures of conftest.py.  Captures run as
real `vsctl capture` processes; a capture is known to be attached once the
pcap file header (24 bytes) has arrived, since vswitchd attaches before it
replies.  Files are checked with tcpdump and tshark.  Every wait polls
against a deadline (a functional bound, not a benchmark).
"""
import json
import os
import re
import shutil
import signal
import subprocess
import threading

import pytest
from vsutil import sh, nsx, vsctl_ok, uniq, wait_for

COUNTS = re.compile(r"^(\d+) captured, (\d+) dropped$", re.M)


def vsctl_argv(vswitchd):
    """The command line that runs vsctl against this vswitchd."""
    for attr in ("vsctl_argv", "vsctl_cmd"):
        v = getattr(vswitchd, attr, None)
        if v:
            return list(v() if callable(v) else v)
    here = os.path.dirname(os.path.abspath(__file__))
    cands = [os.environ.get("VSCTL", "")]
    top = os.path.normpath(os.path.join(here, "..", ".."))
    cands += [os.path.join(top, "src", "vsctl")]
    cands += [os.path.join(top, d, "src", "vsctl") for d in sorted(os.listdir(top))
              if d.startswith("build")]
    cands += [shutil.which("vsctl") or ""]
    exe = next(c for c in cands if c and os.access(c, os.X_OK))
    return [exe, "--socket", vswitchd.sock]


def net_with(vswitchd, topo, n=2):
    net = uniq("tn")
    vsctl_ok(vswitchd, "network", "create", net)
    ctrs = []
    for _ in range(n):
        c = uniq("c")
        ns = topo.container(c)
        vsctl_ok(vswitchd, "network", "connect", "--netns", ns, net, c)
        ip = json.loads(vsctl_ok(vswitchd, "--format", "json", "network", "inspect",
                                 net).stdout)[0]["Containers"][c]["IPv4Address"]
        ctrs.append((c, ns, ip.split("/")[0]))
    return net, ctrs


def ping(ns, ip, count=1):
    return nsx(ns, "ping", "-c", str(count), "-i", "0.2", "-W", "2", ip,
               check=False).returncode == 0


class Capture:
    """A running `vsctl capture ... -w FILE` (or -w - with stdout piped)."""

    def __init__(self, vswitchd, *args, out=None, stdout=None):
        self.out = out
        argv = vsctl_argv(vswitchd) + ["capture", *args, "-w", out or "-"]
        self.proc = subprocess.Popen(argv, stdout=stdout or subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, text=False)

    def wait_attached(self, timeout=10):
        ok = wait_for(lambda: self.proc.poll() is not None or
                      (os.path.exists(self.out) and os.path.getsize(self.out) >= 24),
                      timeout)
        assert ok and self.proc.poll() is None, f"capture did not start: {self.stderr()}"

    def stop(self, sig=signal.SIGINT, timeout=15):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        return self.finish(timeout)

    def finish(self, timeout=15):
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            pytest.fail("vsctl capture did not end")
        return self.proc.returncode

    def stderr(self):
        if self.proc.poll() is None:
            return ""
        return self.proc.stderr.read().decode(errors="replace")

    def counts(self, err):
        m = COUNTS.search(err)
        assert m, f"no 'N captured, M dropped' line in: {err!r}"
        return int(m.group(1)), int(m.group(2))


def tcpdump_lines(path, *flt):
    r = sh("tcpdump", "-nn", "-r", path, *flt)
    return [l for l in r.stdout.splitlines() if l.strip()]


def tshark_count(path):
    r = sh("tshark", "-n", "-r", path, check=False)
    assert r.returncode == 0, f"tshark -r {path}: {r.stderr.strip()}"
    return len([l for l in r.stdout.splitlines() if l.strip()])


@pytest.fixture
def pcapdir(tmp_path):
    return str(tmp_path)


def test_ping_holds_exactly_echoes(vswitchd, topo, pcapdir):
    net, [(c1, ns1, ip1), (c2, ns2, ip2)] = net_with(vswitchd, topo)
    assert wait_for(lambda: ping(ns1, ip2), 10), "c1 cannot ping c2"
    f = os.path.join(pcapdir, "icmp.pcap")
    g = os.path.join(pcapdir, "all.pcap")
    cap = Capture(vswitchd, "--container", c1, "--filter", "icmp", "-c", "6", out=f)
    # A second capture on the same point at the same time.
    cap2 = Capture(vswitchd, "--container", c1, "--duration", "30", out=g)
    cap.wait_attached()
    cap2.wait_attached()
    assert ping(ns1, ip2, count=3)
    assert cap.finish() == 0
    err = cap.stderr()
    assert cap.counts(err) == (6, 0)
    lines = tcpdump_lines(f)
    assert len(lines) == 6, lines
    req = [l for l in lines if f"{ip1} > {ip2}: ICMP echo request" in l]
    rep = [l for l in lines if f"{ip2} > {ip1}: ICMP echo reply" in l]
    assert len(req) == 3 and len(rep) == 3, lines
    assert tshark_count(f) == 6
    assert cap2.stop() == 0
    n, _ = cap2.counts(cap2.stderr())
    assert n >= 6 and len(tcpdump_lines(g)) == n


def test_tcp_filter_keeps_only_tcp(vswitchd, topo, pcapdir):
    net, [(c1, ns1, ip1), (c2, ns2, ip2)] = net_with(vswitchd, topo)
    assert wait_for(lambda: ping(ns1, ip2), 10)
    f = os.path.join(pcapdir, "tcp.pcap")
    cap = Capture(vswitchd, "--container", c1, "--filter", "tcp", "--duration", "4", out=f)
    cap.wait_attached()
    ping(ns1, ip2, count=2)
    # A connect to a closed port: SYN out, RST back, both TCP.
    for port in (9, 10, 11):
        nsx(ns1, "/usr/bin/python3", "-c",
            "import socket,sys\ns=socket.socket();s.settimeout(2)\n"
            f"try: s.connect(('{ip2}',{port}))\nexcept OSError: pass", check=False)
    ping(ns1, ip2, count=2)
    assert cap.finish() == 0
    n, dropped = cap.counts(cap.stderr())
    lines = tcpdump_lines(f)
    assert n == len(lines) and n >= 6, lines
    assert dropped == 0
    assert not tcpdump_lines(f, "not", "tcp")
    assert all(" Flags [" in l for l in lines), lines
    assert tshark_count(f) == n


def test_live_stream_into_tcpdump(vswitchd, topo):
    net, [(c1, ns1, ip1), (c2, ns2, ip2)] = net_with(vswitchd, topo)
    assert wait_for(lambda: ping(ns1, ip2), 10)
    cap = Capture(vswitchd, "--container", c1, "--filter", "icmp",
                  stdout=subprocess.PIPE)
    td = subprocess.Popen(["tcpdump", "-l", "-nn", "-r", "-"], stdin=cap.proc.stdout,
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    cap.proc.stdout.close()
    seen = []

    def read_lines():
        for line in td.stdout:
            seen.append(line)
    reader = threading.Thread(target=read_lines, daemon=True)
    reader.start()
    try:
        # Keep pinging until tcpdump shows a reply while the capture runs:
        # frames reach it live, not at the end.
        def got_reply():
            ping(ns1, ip2)
            return any("echo reply" in l for l in seen)
        assert wait_for(got_reply, 15, interval=0.2), f"nothing live: {seen}"
        assert cap.proc.poll() is None
    finally:
        rc = cap.stop()
        td.wait(10)
    assert rc == 0
    reader.join(5)
    n, _ = cap.counts(cap.stderr())
    assert n == len(seen) and n >= 2


def test_sigint_leaves_valid_file(vswitchd, topo, pcapdir):
    net, [(c1, ns1, ip1), (c2, ns2, ip2)] = net_with(vswitchd, topo)
    assert wait_for(lambda: ping(ns1, ip2), 10)
    f = os.path.join(pcapdir, "int.pcap")
    cap = Capture(vswitchd, "--container", c1, out=f)
    cap.wait_attached()
    ping(ns1, ip2, count=3)
    assert cap.stop(signal.SIGINT) == 0
    n, _ = cap.counts(cap.stderr())
    lines = tcpdump_lines(f)
    assert n >= 6 and len(lines) == n
    assert tshark_count(f) == n


def test_recorder_holds_recent_frames(vswitchd, topo, pcapdir):
    net, [(c1, ns1, ip1), (c2, ns2, ip2)] = net_with(vswitchd, topo)
    assert wait_for(lambda: ping(ns1, ip2), 10)
    assert ping(ns1, ip2, count=3)
    f = os.path.join(pcapdir, "rec.pcap")
    cap = Capture(vswitchd, "--container", c1, "--recorder", out=f)
    assert cap.finish() == 0
    n, dropped = cap.counts(cap.stderr())
    assert dropped == 0
    lines = tcpdump_lines(f)
    assert len(lines) == n
    assert len([l for l in lines if f"{ip1} > {ip2}: ICMP echo request" in l]) >= 3
    assert len([l for l in lines if f"{ip2} > {ip1}: ICMP echo reply" in l]) >= 3
    assert tshark_count(f) == n
    # -c N with --recorder: the most recent N matching frames.
    g = os.path.join(pcapdir, "rec2.pcap")
    cap = Capture(vswitchd, "--container", c1, "--recorder", "--filter", "icmp",
                  "-c", "2", out=g)
    assert cap.finish() == 0
    lines = tcpdump_lines(g)
    assert len(lines) == 2 and "echo reply" in lines[-1], lines
    # the rings are counted against one budget (--recorder-memory, 64 MiB)
    cap = json.loads(vsctl_ok(vswitchd, "--format", "raw", "stats").stdout)["capture"]
    assert cap["recorder_budget"] == 64 << 20
    assert 4096 <= cap["recorder_bytes"] <= cap["recorder_budget"]


def test_errors_are_one_line(vswitchd, topo, pcapdir):
    net, [(c1, ns1, ip1)] = net_with(vswitchd, topo, n=1)
    f = os.path.join(pcapdir, "x.pcap")
    for args, msg in ((["--container", uniq("nope")], "no such container"),
                      (["--container", c1, "--filter", "tcp port banana"], "bad filter"),
                      (["--network", uniq("nonet")], "no such network")):
        r = subprocess.run(vsctl_argv(vswitchd) + ["capture", *args, "-w", f],
                           capture_output=True, text=True, timeout=15)
        assert r.returncode == 1, r
        assert r.stderr.startswith("vsctl: error: ") and msg in r.stderr, r.stderr
        assert len(r.stderr.strip().splitlines()) == 1, r.stderr


def test_network_point(vswitchd, topo, pcapdir):
    net, [(c1, ns1, ip1), (c2, ns2, ip2)] = net_with(vswitchd, topo)
    assert wait_for(lambda: ping(ns1, ip2), 10)
    f = os.path.join(pcapdir, "net.pcap")
    cap = Capture(vswitchd, "--network", net, "--filter", f"icmp and host {ip2}",
                  "-c", "4", out=f)
    cap.wait_attached()
    ping(ns1, ip2, count=2)
    assert cap.finish() == 0
    assert len(tcpdump_lines(f)) == 4


def _uplink(vswitchd):
    r = vswitchd.vsctl("--format", "json", "show")
    if r.returncode != 0:
        return None
    try:
        return json.loads(r.stdout).get("uplink")
    except ValueError:
        return None


@pytest.mark.uplink  # conftest: vswitchd gets an uplink, topo.outside a host
def test_nat_view_container_and_uplink(vswitchd, topo, pcapdir):
    """A curl to the outside, captured on the container and on the uplink:
    the container's address before NAT, the uplink's after."""
    up = _uplink(vswitchd)
    outside = getattr(topo, "outside", None)
    if not up or outside is None:
        pytest.skip("no uplink support yet: `show` reports no uplink "
                    "(or the topo fixture has no outside host)")
    out_ns, out_ip = outside() if callable(outside) else outside
    uplink_ip = (up.get("ip") or up.get("address") or "").split("/")[0]
    net, [(c1, ns1, ip1)] = net_with(vswitchd, topo, n=1)
    srv = subprocess.Popen(["ip", "netns", "exec", out_ns, "/usr/bin/python3", "-m",
                            "http.server", "8080", "--bind", out_ip],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert wait_for(lambda: ":8080 " in nsx(out_ns, "ss", "-ltnH").stdout, 10)
        fi = os.path.join(pcapdir, "inside.pcap")
        fo = os.path.join(pcapdir, "outside.pcap")
        ci = Capture(vswitchd, "--container", c1, "--filter", "tcp port 8080", out=fi)
        co = Capture(vswitchd, "--uplink", "--filter", "tcp port 8080", out=fo)
        ci.wait_attached()
        co.wait_attached()
        r = nsx(ns1, "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                "--max-time", "10", f"http://{out_ip}:8080/", check=False, timeout=20)
        assert r.stdout.strip() == "200", r
        assert ci.stop() == 0 and co.stop() == 0
        inside, outside_l = tcpdump_lines(fi), tcpdump_lines(fo)
        assert inside and outside_l
        assert all(ip1 in l for l in inside), inside
        assert any(f"{ip1}." in l and f"> {out_ip}.8080" in l for l in inside), inside
        assert not any(ip1 in l for l in outside_l), outside_l
        if uplink_ip:
            assert any(f"{uplink_ip}." in l and f"> {out_ip}.8080" in l
                       for l in outside_l), outside_l
        assert tshark_count(fi) == len(inside) and tshark_count(fo) == len(outside_l)
    finally:
        srv.terminate()
        srv.wait(5)
