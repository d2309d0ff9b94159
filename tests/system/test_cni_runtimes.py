"""test_cni_runtimes.py - containerd and podman put containers on vswitch.

The real runtimes from Debian run their containers with the `vswitch` CNI
plugin, with nothing of the machine's configuration touched:

  - a holder process lives in a test namespace (`<prefix>rt`) and in a
    private mount namespace of its own (`unshare -m --propagation
    private`).  Inside it, tmpfs covers /run and /var/lib (containerd,
    runc, podman and libcni write there whatever their flags say), and
    private directories are bind-mounted over /etc/cni/net.d (the
    conflist) and /usr/lib/cni (the plugin).  vswitchd, containerd, ctr
    and podman all run in there (`nsenter -t HOLDER -m -n`), so vswitchd
    sees the namespaces podman binds under /run/netns;
  - containerd gets its own config, root, state and socket; podman its own
    containers.conf (CNI backend, runc, cgroupfs), --root, --runroot and
    --tmpdir; a busybox image is imported offline from busybox-static;
  - vswitchd has an uplink to an "outside" namespace for NAT and
    published ports.

Everything has the test's prefix and is removed at the end, also on
failure; every process is ended by its PID, and the mount namespace goes
with the last of them.  Skipped when a runtime is not installed.
"""
import glob
import json
import os
import shutil
import subprocess
import tempfile
import time

import pytest
import topo as topo_mod
from cniutil import plugin_path
from vsutil import sh, scaled, wait_for

SUBNET, GW = "10.91.0.0/24", "10.91.0.1"
UPLINK_IP, OUTSIDE_IP = topo_mod.UPLINK_IP, topo_mod.OUTSIDE_IP


def _need(*tools):
    missing = [t for t in tools if not shutil.which(t)]
    if missing:
        pytest.skip(f"not installed: {', '.join(missing)} (tools/install-deps.sh)")


def _busybox_rootfs(root):
    """A root filesystem of busybox-static, enough for sh, ping, httpd."""
    for d in ("bin", "sbin", "etc", "proc", "sys", "dev", "tmp", "root", "www", "run"):
        os.makedirs(os.path.join(root, d), exist_ok=True)
    bb = os.path.join(root, "bin", "busybox")
    shutil.copy("/bin/busybox", bb)
    for applet in sh(bb, "--list").stdout.split():
        if applet != "busybox":
            os.symlink("busybox", os.path.join(root, "bin", applet))
    files = {"etc/passwd": "root:x:0:0:root:/root:/bin/sh\n", "etc/group": "root:x:0:\n",
             "etc/nsswitch.conf": "hosts: files dns\n", "etc/hosts": "",
             "etc/resolv.conf": f"nameserver {GW}\n", "www/index.html": "vswitch-cni\n"}
    for path, text in files.items():
        with open(os.path.join(root, path), "w") as f:
            f.write(text)


class Lab:
    """The holder, its mounts, vswitchd, and the runtimes' directories."""

    def __init__(self, topo):
        self.topo = topo
        self.procs = []
        self.t = tempfile.mkdtemp(prefix=f"{topo.prefix}-")
        # vswitchd's namespace (with the uplink) and the runtimes' "host":
        # podman reserves a published port by binding it where it runs,
        # and vswitchd's proxy listens where vswitchd runs
        self.ns = topo.add_netns(topo.prefix + "rt")
        self.host_ns = topo.add_netns(topo.prefix + "rh")
        topo.add_outside(self.ns)
        self.sock = os.path.join(self.t, "vsw.sock")
        self.holder = None
        # containerd namespace and cgroup parent: runc and podman leave the
        # parent cgroup behind, so it has the prefix and stop() removes it
        self.cgroup = topo.prefix

    # --- processes inside the holder's namespaces ---
    def argv(self, *cmd):
        return ["nsenter", "-t", str(self.holder.pid), "-m", "-n", *map(str, cmd)]

    def run(self, *cmd, check=True, timeout=60, env=None, input=None):
        r = subprocess.run(self.argv(*cmd), capture_output=True, text=True,
                           timeout=scaled(timeout), env=env, input=input,
                           stdin=None if input is not None else subprocess.DEVNULL)
        if check and r.returncode:
            raise AssertionError(f"{' '.join(map(str, cmd))}: rc {r.returncode}\n"
                                 f"{r.stdout}\n{r.stderr}")
        return r

    def spawn(self, *cmd, log, env=None):
        out = open(os.path.join(self.t, log), "w")
        p = subprocess.Popen(self.argv(*cmd), stdin=subprocess.DEVNULL, stdout=out,
                             stderr=subprocess.STDOUT, env=env)
        self.procs.append(p)
        return p

    def spawn_sw(self, *cmd, log):
        """CMD in the holder's mount namespace, in vswitchd's netns."""
        out = open(os.path.join(self.t, log), "w")
        p = subprocess.Popen(["nsenter", "-t", str(self.holder.pid), "-m",
                              f"--net=/run/netns/{self.ns}", *map(str, cmd)],
                             stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
        self.procs.append(p)
        return p

    def vsctl(self, *args):
        r = subprocess.run([topo_mod.find_binary("vsctl"), "--socket", self.sock, *args],
                           capture_output=True, text=True, timeout=scaled(30))
        assert r.returncode == 0, f"vsctl {' '.join(args)}: {r.stderr}"
        return r.stdout

    def wait_up(self, log):
        """Until vswitchd answers (the socket file exists a moment before
        it listens)."""
        def up():
            return subprocess.run([topo_mod.find_binary("vsctl"), "--socket", self.sock,
                                   "network", "ls"], capture_output=True,
                                  timeout=scaled(5)).returncode == 0
        assert wait_for(up, 10), self.log(log)

    def vsjson(self, *args):
        return json.loads(self.vsctl("--format", "raw", *args))

    def log(self, name):
        try:
            with open(os.path.join(self.t, name)) as f:
                return f.read()[-4000:]
        except OSError:
            return ""

    # --- set-up ---
    def start(self):
        me = os.readlink("/proc/self/ns/mnt")
        self.holder = subprocess.Popen(
            ["nsenter", f"--net=/run/netns/{self.host_ns}", "unshare", "-m", "--propagation",
             "private", "sleep", "infinity"], stdin=subprocess.DEVNULL)
        self.procs.append(self.holder)
        assert wait_for(lambda: os.path.exists(f"/proc/{self.holder.pid}/ns/mnt") and
                        os.readlink(f"/proc/{self.holder.pid}/ns/mnt") != me and
                        os.readlink(f"/proc/{self.holder.pid}/exe").endswith("sleep"), 10)
        for d in ("netd", "cnibin", "state", "rootfs"):
            os.makedirs(os.path.join(self.t, d))
        os.symlink(plugin_path(), os.path.join(self.t, "cnibin", "vswitch"))
        _busybox_rootfs(os.path.join(self.t, "rootfs"))
        for m in (["-t", "tmpfs", "tmpfs", "/run"], ["-t", "tmpfs", "tmpfs", "/var/lib"],
                  ["--bind", os.path.join(self.t, "netd"), "/etc/cni/net.d"],
                  ["--bind", os.path.join(self.t, "cnibin"), "/usr/lib/cni"]):
            self.run("mount", *m)
        self.spawn_sw(topo_mod.find_binary("vswitchd"), "--state-dir",
                   os.path.join(self.t, "state"), "--socket", self.sock,
                   "--log-file", os.path.join(self.t, "vswitchd.log"),
                   "--uplink", "afpacket:up0",
                   "--uplink-ip", f"{UPLINK_IP}/{topo_mod.UPLINK_PREFIXLEN}",
                   "--uplink-gateway", OUTSIDE_IP, log="vswitchd.out")
        self.wait_up("vswitchd.out")
        self.vsctl("network", "create", "--subnet", SUBNET, self.topo.prefix + "n")

    def conflist(self, name, *opts):
        """Write the conflist of CNI network NAME with `vsctl cni conf`."""
        self.vsctl("cni", "conf", "--dir", os.path.join(self.t, "netd"), "--name", name,
                   *opts, self.topo.prefix + "n")

    def stop(self):
        for p in reversed(self.procs):
            topo_mod.stop_process(p)
        self.remove_cgroups()
        if not os.environ.get("VS_KEEP_TMP"):
            shutil.rmtree(self.t, ignore_errors=True)


    def remove_cgroups(self):
        """The cgroups made under the test's parent (empty by now: their
        processes are gone), deepest first, in every hierarchy."""
        for top in glob.glob(f"/sys/fs/cgroup/*/{self.cgroup}") + \
                glob.glob(f"/sys/fs/cgroup/{self.cgroup}"):
            for d, _, _ in sorted(os.walk(top), key=lambda w: -w[0].count("/")):
                try:
                    os.rmdir(d)
                except OSError:
                    pass


@pytest.fixture
def lab(topo):
    _need("nsenter", "unshare", "runc")
    lab = Lab(topo)
    try:
        lab.start()
        yield lab
    finally:
        lab.stop()


# ------------------------------------------------------------------ containerd

def _containerd(lab):
    t = lab.t
    cfg = os.path.join(t, "containerd.toml")
    with open(cfg, "w") as f:
        f.write(f'version = 2\nroot = "{t}/cd-root"\nstate = "{t}/cd-state"\n'
                'disabled_plugins = ["io.containerd.grpc.v1.cri"]\n'
                f'[grpc]\n  address = "{t}/cd.sock"\n'
                f'[ttrpc]\n  address = "{t}/cd.sock.ttrpc"\n'
                f'[plugins."io.containerd.internal.v1.opt"]\n  path = "{t}/cd-opt"\n')
    lab.spawn("containerd", "--config", cfg, log="containerd.log")
    ok = wait_for(lambda: lab.run("ctr", "-a", f"{t}/cd.sock", "version",
                                  check=False).returncode == 0, 20)
    assert ok, lab.log("containerd.log")
    return ["ctr", "-a", f"{t}/cd.sock", "-n", lab.cgroup]


def test_containerd_ctr_run_cni(lab):
    _need("containerd", "ctr")
    lab.conflist("cd", "--name-from-id")
    ctr = _containerd(lab)
    runs = {}
    for c in ("c1", "c2"):
        runs[c] = lab.spawn(*ctr, "run", "--cni", "--rm", "--env", "PATH=/bin", "--rootfs",
                            os.path.join(lab.t, "rootfs"), c, "sleep", "600", log=f"ctr-{c}.log")
    key = {c: f"{lab.cgroup}-{c}" for c in runs}

    def connected():
        return {c["name"]: c for c in lab.vsjson("container", "ls", "--owner", "cni:cd")}
    assert wait_for(lambda: len(connected()) == 2, 30), lab.log("ctr-c1.log")
    ctrs = connected()
    ips = {c: ctrs[key[c]]["endpoints"][0]["ip"] for c in runs}
    assert ctrs[key["c1"]]["dns_name"] == key["c1"]
    assert ctrs[key["c1"]]["netns"].startswith("/proc/")

    def exe(c, *cmd, check=True):
        return lab.run(*ctr, "task", "exec", "--exec-id", f"x{time.monotonic_ns()}", c, *cmd,
                       check=check)
    assert f"inet {ips['c1']}/24" in exe("c1", "ip", "-o", "-4", "addr", "show", "eth0").stdout
    exe("c1", "ping", "-c", "1", "-W", "2", GW)
    exe("c1", "ping", "-c", "1", "-W", "2", ips["c2"])
    exe("c2", "ping", "-c", "1", "-W", "2", key["c1"])      # by name, at the gateway
    exe("c1", "ping", "-c", "1", "-W", "2", OUTSIDE_IP)     # outside, through NAT
    # stopping a container: ctr run sees the exit and calls DEL
    for c in runs:
        lab.run(*ctr, "task", "kill", "-s", "KILL", c)
    for c, p in runs.items():
        p.wait(scaled(30))
        assert "cni" not in lab.log(f"ctr-{c}.log").lower(), lab.log(f"ctr-{c}.log")
    assert wait_for(lambda: lab.vsjson("container", "ls") == [], 10)
    assert lab.run(*ctr, "containers", "ls", "-q").stdout.strip() == ""


# ------------------------------------------------------------------ podman

def _podman(lab):
    t = lab.t
    conf = os.path.join(t, "containers.conf")
    with open(conf, "w") as f:
        f.write('[containers]\ndefault_ulimits = ["nofile=16384:16384", "nproc=8192:8192"]\n'
                '[network]\nnetwork_backend = "cni"\n'
                f'network_config_dir = "{t}/netd"\n'
                f'cni_plugin_dirs = ["{t}/cnibin"]\n'
                '[engine]\nruntime = "runc"\ncgroup_manager = "cgroupfs"\n'
                f'events_logger = "file"\nevents_logfile_path = "{t}/events.log"\n'
                f'tmp_dir = "{t}/podtmp"\nvolume_path = "{t}/volumes"\n')
    env = {"CONTAINERS_CONF": conf, "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
           "HOME": t}
    base = ["podman", "--root", f"{t}/proot", "--runroot", f"{t}/prun", "--tmpdir",
            f"{t}/podtmp", "--storage-driver", "vfs", "--cgroup-manager", "cgroupfs"]
    run_opts = ["--cgroup-parent", f"/{lab.cgroup}"]
    img = f"localhost/{lab.topo.prefix}/busybox:1"
    tar = subprocess.Popen(["tar", "-C", os.path.join(t, "rootfs"), "-c", "."],
                           stdout=subprocess.PIPE)
    r = subprocess.run(lab.argv(*base, "import", "-", img), stdin=tar.stdout,
                       capture_output=True, text=True, env=env, timeout=scaled(60))
    tar.wait()
    assert r.returncode == 0, r.stderr
    return base, env, img, run_opts


def test_podman_cni(lab):
    _need("podman", "conmon")
    lab.conflist("pd")
    base, env, img, run_opts = _podman(lab)

    def pod(*args, check=True, extra_env=None):
        return lab.run(*base, *args, check=check, env={**env, **(extra_env or {})}, timeout=90)
    pod("run", *run_opts, "-d", "--name", "web", "--network", "pd", "-p", "18491:80", img,
        "httpd", "-f", "-p", "80", "-h", "/www")
    pod("run", *run_opts, "-d", "--name", "fixed", "--network", "pd", img, "sleep", "600",
        extra_env={"CNI_ARGS": "IP=10.91.0.77"})
    ctrs = {c["dns_name"]: c for c in lab.vsjson("container", "ls", "--owner", "cni:pd")}
    assert set(ctrs) == {"web", "fixed"}                  # K8S_POD_NAME is the name
    assert ctrs["fixed"]["endpoints"][0]["ip"] == "10.91.0.77"
    assert ctrs["web"]["netns"].startswith("/run/netns/")
    assert "inet 10.91.0.77/24" in pod("exec", "fixed", "ip", "-o", "-4", "addr").stdout
    # the published port, from the outside host through DNAT on the uplink
    out_ns = lab.topo.outside[0]
    assert wait_for(lambda: sh("ip", "netns", "exec", out_ns, "curl", "-s", "-m", "3",
                               f"http://{UPLINK_IP}:18491/", check=False).stdout
                    == "vswitch-cni\n", 15)
    # and by name from the other container, at the gateway's DNS
    assert "vswitch-cni" in pod("exec", "fixed", "timeout", "5", "wget", "-qO-",
                                "http://web/").stdout
    netns_before = lab.run("ls", "/run/netns").stdout.split()
    assert len(netns_before) == 2
    pod("rm", "-f", "web", "fixed")
    # podman rm leaves nothing: no endpoint, no port, no proxy, no netns
    assert lab.vsjson("container", "ls") == []
    assert "18491" not in sh("ip", "netns", "exec", lab.ns, "ss", "-ltn").stdout
    assert lab.run("ls", "/run/netns").stdout.split() == []
    assert sh("ip", "netns", "exec", out_ns, "curl", "-s", "-m", "2",
              f"http://{UPLINK_IP}:18491/", check=False).stdout == ""


def test_containerd_survives_vswitchd_restart(lab):
    """A restart of vswitchd in the middle: the container stays connected,
    and DEL afterwards still works."""
    _need("containerd", "ctr")
    lab.conflist("rs")
    ctr = _containerd(lab)
    run = lab.spawn(*ctr, "run", "--cni", "--rm", "--env", "PATH=/bin", "--rootfs", os.path.join(lab.t, "rootfs"),
                    "r1", "sleep", "600", log="ctr-r1.log")
    assert wait_for(lambda: lab.vsjson("container", "ls"), 30), lab.log("ctr-r1.log")
    vsw = lab.procs[1]
    assert vsw.args[-len(["--uplink-gateway", OUTSIDE_IP]):][-1] == OUTSIDE_IP
    argv = vsw.args
    topo_mod.stop_process(vsw, kill9=True)
    lab.procs.remove(vsw)
    os.unlink(lab.sock)
    new = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                           stdout=open(os.path.join(lab.t, "vswitchd2.out"), "w"),
                           stderr=subprocess.STDOUT)
    lab.procs.insert(1, new)
    lab.wait_up("vswitchd2.out")
    assert wait_for(lambda: lab.run(*ctr, "task", "exec", "--exec-id", "p1", "r1", "ping",
                                    "-c", "1", "-W", "1", GW, check=False).returncode == 0, 15)
    lab.run(*ctr, "task", "kill", "-s", "KILL", "r1")
    run.wait(scaled(30))
    assert "cni" not in lab.log("ctr-r1.log").lower(), lab.log("ctr-r1.log")
    assert wait_for(lambda: lab.vsjson("container", "ls") == [], 10)
