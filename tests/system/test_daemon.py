"""test_daemon.py - vswitchd as a process (issue 3 item 2 and item 5).

A second instance on the same state dir or socket is refused and says why;
a corrupt or truncated state file stops vswitchd with a message naming the
file instead of starting empty; SIGHUP reopens the log file (rotation);
--detach returns once the daemon answers, and --pidfile names it.
"""
import os
import signal
import subprocess

import pytest
from vsutil import wait_for


def run_second(vswitchd, *args, timeout=10):
    """Start another vswitchd in the same namespace; its CompletedProcess."""
    return subprocess.run(["ip", "netns", "exec", vswitchd.ns, vswitchd.bin, *args],
                          capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)


def test_second_instance_on_same_state_dir_refused(vswitchd, tmp_path):
    r = run_second(vswitchd, "--state-dir", vswitchd.state_dir,
                   "--socket", str(tmp_path / "other.sock"))
    assert r.returncode != 0
    assert "in use by another vswitchd" in r.stderr and vswitchd.state_dir in r.stderr, r.stderr
    assert vswitchd.vsctl("network", "ls").returncode == 0


def test_second_instance_on_same_socket_refused(vswitchd, tmp_path):
    r = run_second(vswitchd, "--state-dir", str(tmp_path / "st"), "--socket", vswitchd.sock)
    assert r.returncode != 0
    assert vswitchd.vsctl("network", "ls").returncode == 0


@pytest.mark.parametrize("damage", ["truncate", "garbage", "empty"])
def test_corrupt_state_stops_vswitchd_naming_the_file(vswitchd, damage):
    assert vswitchd.vsctl("network", "create", "--subnet", "10.81.0.0/24", "keep").returncode == 0
    vswitchd.stop()
    path = os.path.join(vswitchd.state_dir, "state.json")
    data = open(path, "rb").read()
    with open(path, "wb") as f:
        f.write({"truncate": data[: len(data) // 2], "garbage": b"\x00garbage{",
                 "empty": b""}[damage])
    r = run_second(vswitchd, "--state-dir", vswitchd.state_dir, "--socket", vswitchd.sock)
    assert r.returncode != 0
    assert path in r.stderr, r.stderr
    # Nothing was overwritten: the damaged file is still there for the user.
    assert open(path, "rb").read() != data


def test_sighup_reopens_log_file(vswitchd):
    rotated = vswitchd.log_file + ".1"
    os.rename(vswitchd.log_file, rotated)
    os.kill(vswitchd.pid, signal.SIGHUP)
    assert wait_for(lambda: os.path.exists(vswitchd.log_file), 5)
    vswitchd.vsctl("network", "create", "--subnet", "10.82.0.0/24", "afterhup")
    assert wait_for(lambda: "afterhup" in open(vswitchd.log_file).read(), 5)
    assert "afterhup" not in open(rotated).read()


def test_detach_and_pidfile(vswitchd, tmp_path):
    vswitchd.stop()
    pidfile = tmp_path / "vswitchd.pid"
    sock = str(tmp_path / "d.sock")
    r = run_second(vswitchd, "--state-dir", vswitchd.state_dir, "--socket", sock,
                   "--detach", "--pidfile", str(pidfile))
    assert r.returncode == 0, r.stderr
    pid = int(pidfile.read_text())
    try:
        # --detach returns only once the daemon is ready: no wait needed.
        ls = subprocess.run([vswitchd.vsctl_bin, "--socket", sock, "network", "ls"],
                            capture_output=True, text=True, timeout=10)
        assert ls.returncode == 0 and "bridge" in ls.stdout, ls
    finally:
        os.kill(pid, signal.SIGTERM)
    assert wait_for(lambda: not os.path.exists(f"/proc/{pid}"), 10)
    assert not pidfile.exists()      # removed on a clean stop
    assert not os.path.exists(sock)  # and the socket too
