"""test_sandbox.py - vswitchd keeps only what it uses once started (issue 20,
point 12: least privilege, as passt does; src/sandbox.c).

The running daemon must have its capabilities cut to the set sandbox.c
names and a seccomp filter installed (/proc/PID/status), the whole suite
runs with it so, and a forbidden system call must end the daemon with a
clear log line: VSWITCHD_SANDBOX_SELFTEST=1 makes vswitchd call swapoff(2)
(on a path that does not exist) right after the filter is in.
`--no-sandbox` turns it all off.

The self-test daemon runs in a namespace of the test's own (topo), with
a private state dir and socket under pytest's tmp_path.
"""
import os
import subprocess

import pytest
import topo as topo_mod
from vsutil import VALGRIND

# sandbox.c's set: NET_ADMIN 12, NET_RAW 13, SYS_ADMIN 21, SYS_PTRACE 19,
# NET_BIND_SERVICE 10, DAC_OVERRIDE 1, FOWNER 3, CHOWN 0
KEPT = {12, 13, 21, 19, 10, 1, 3, 0}


def status(pid):
    with open(f"/proc/{pid}/status") as f:
        return dict(l.rstrip("\n").split(":\t", 1) for l in f if ":\t" in l)


def caps(hexmask):
    v = int(hexmask, 16)
    return {i for i in range(64) if v >> i & 1}


@pytest.mark.skipif(VALGRIND, reason="under memcheck vswitchd runs with --no-sandbox (topo.py)")
def test_running_daemon_is_confined(vswitchd):
    st = status(vswitchd.pid)
    assert st["Seccomp"].strip() == "2"
    assert caps(st["CapEff"]) <= KEPT and caps(st["CapPrm"]) <= KEPT
    assert caps(st["CapBnd"]) <= KEPT
    assert st["NoNewPrivs"].strip() == "1"
    assert "seccomp allow-list" in vswitchd.log()


@pytest.mark.vswitchd_args("--no-sandbox")
def test_no_sandbox(vswitchd):
    st = status(vswitchd.pid)
    assert st["Seccomp"].strip() == "0"
    assert 21 in caps(st["CapEff"])      # still all of root's


def test_forbidden_call_kills_with_a_log_line(topo, tmp_path):
    vswitchd = topo_mod.find_binary("vswitchd")
    if not vswitchd:
        pytest.skip("vswitchd not built")
    ns = topo.container("sb")
    log = tmp_path / "vswitchd.log"
    state = tmp_path / "state"
    state.mkdir(mode=0o700)
    env = dict(os.environ, VSWITCHD_SANDBOX_SELFTEST="1")
    r = subprocess.run(["ip", "netns", "exec", ns, vswitchd, "--state-dir", str(state),
                        "--socket", str(tmp_path / "s.sock"), "--log-file", str(log)],
                       env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode == 159, (r.returncode, r.stderr)
    text = log.read_text()
    assert "sandbox: self-test: making a forbidden system call" in text
    assert "seccomp: forbidden system call swapoff (" in text, text
    assert "the forbidden call returned" not in text
    assert "seccomp: forbidden system call swapoff" in r.stderr
