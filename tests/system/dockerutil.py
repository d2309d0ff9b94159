"""dockerutil.py - helpers for the Docker driver's system tests.

The plugin runs in vswitchd's namespace (where a real deployment has
dockerd, vswitchd and the plugin side by side) and listens on a socket in
the daemon's temporary directory, so nothing is made under /run/docker.
`PluginClient` speaks HTTP/1.1 to it over that unix socket exactly as
dockerd does (POST, JSON body, Content-Length, one kept-alive connection),
with http.client from the standard library.
"""
import glob
import http.client
import json
import os
import shutil
import socket
import subprocess

import topo as topo_mod
from vsutil import scaled, wait_for


def find_plugin():
    """vswitch-docker-plugin next to the vswitchd the tests use."""
    vsd = topo_mod.find_binary("vswitchd")
    if not vsd:
        return None
    p = os.path.join(os.path.dirname(vsd), "vswitch-docker-plugin")
    return p if os.access(p, os.X_OK) else None


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout):
        super().__init__("localhost", timeout=timeout)
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.path)


class PluginClient:
    """One kept-alive HTTP connection to the plugin, as dockerd keeps one."""

    def __init__(self, path, timeout=30):
        self.conn = _UnixConnection(path, scaled(timeout))

    def raw(self, method, body):
        """POST BODY (bytes or str) to /METHOD; (status, parsed JSON or text)."""
        if isinstance(body, str):
            body = body.encode()
        self.conn.request("POST", "/" + method, body=body,
                          headers={"Accept": "application/vnd.docker.plugins.v1.2+json",
                                   "Content-Type": "application/json"})
        r = self.conn.getresponse()
        data = r.read().decode()
        try:
            return r.status, json.loads(data)
        except ValueError:
            return r.status, data

    def call(self, method, obj=None):
        """POST OBJ as JSON; the reply object (status must be 200)."""
        status, reply = self.raw(method, json.dumps(obj) + "\n" if obj is not None else b"")
        assert status == 200, (method, status, reply)
        return reply

    def close(self):
        self.conn.close()


class Plugin:
    """vswitch-docker-plugin for VSWITCHD, in its namespace; ended by PID."""

    def __init__(self, vswitchd, binary, name="vswitch", holder=None, docker_sock=""):
        self.vs = vswitchd
        self.docker_sock = docker_sock
        self.bin = binary
        self.holder = holder
        # In the mount holder, where dockerd looks for it; else private.
        self.sock = (f"/run/docker/plugins/{name}.sock" if holder
                     else os.path.join(vswitchd.tmp, name + ".sock"))
        self.log_file = os.path.join(vswitchd.tmp, "plugin.log")
        self.proc = None

    def start(self):
        """Start the plugin and wait until it says it serves its socket."""
        seen = len(self.log())
        with open(self.log_file, "a") as log:
            cmd = [self.bin, "--listen", self.sock, "--socket", self.vs.sock, "--timeout", "10",
                   "--docker-host", f"unix://{self.docker_sock}" if self.docker_sock else ""]
            self.proc = subprocess.Popen(
                self.holder.argv(self.vs.ns, *cmd) if self.holder
                else ["nsenter", f"--net=/run/netns/{self.vs.ns}", *cmd],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        wait_for(lambda: "serving " in self.log()[seen:] or self.proc.poll() is not None, 5)
        if self.proc.poll() is not None or "serving " not in self.log()[seen:]:
            raise RuntimeError("vswitch-docker-plugin did not start:\n" + self.log()[seen:])

    def stop(self, kill9=False):
        """End the plugin; its exit status."""
        if not self.proc:
            return None
        rc = topo_mod.stop_process(self.proc, kill9=kill9)
        self.proc = None
        return rc

    def log(self):
        try:
            with open(self.log_file, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def client(self):
        return PluginClient(self.sock)


_NS_CALL = r"""
import http.client, json, socket, sys
class C(http.client.HTTPConnection):
    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(30)
        self.sock.connect(sys.argv[1])
c = C("localhost")
c.request("POST", "/" + sys.argv[2], body=sys.argv[3].encode())
r = c.getresponse()
print(r.status)
print(r.read().decode())
"""


def ns_call(ns, sock, method, obj):
    """One call to the plugin from a process inside network namespace NS,
    as dockerd living there would make it: the plugin makes hand-off
    devices in its peer's namespace, which must never be the machine's.
    Returns the reply object (status must be 200)."""
    r = subprocess.run(["ip", "netns", "exec", ns, "/usr/bin/python3", "-c", _NS_CALL,
                        sock, method, json.dumps(obj)],
                       capture_output=True, text=True, timeout=scaled(40))
    assert r.returncode == 0, r.stderr
    status, _, body = r.stdout.partition("\n")
    assert status == "200", (method, status, body)
    return json.loads(body)


# ------------------------------------------------------------ a real dockerd

DOCKER = "/usr/bin/docker"      # 20.10, as dockerd; /usr/local/bin's speaks API 1.44+
DOCKERD = "/usr/sbin/dockerd"


def docker_missing():
    """Why a real dockerd cannot run here, or None."""
    for p in (DOCKER, DOCKERD, "/bin/busybox", "/usr/bin/nsenter", "/usr/bin/unshare"):
        if not os.access(p, os.X_OK):
            return f"{p} is missing (apt-get install docker.io busybox-static)"
    return None


class MountHolder:
    """A private mount namespace, held by a sleeping process, with tmpfs
    over /run and /etc/docker: what dockerd writes there whatever its
    flags (/run/docker, /etc/docker/key.json, runc's state) stays in it,
    and its sandbox bind mounts are seen by vswitchd and the plugin, which
    run in it too (research/runtimes.md, quirks 2 and 3)."""

    def __init__(self):
        self.proc = subprocess.Popen(
            ["unshare", "-m", "--propagation", "private", "sh", "-c",
             "mount -t tmpfs -o mode=0755 tmpfs /run && "
             "mount -t tmpfs -o mode=0755 tmpfs /etc/docker && "
             "mkdir -p /run/docker/plugins && echo ready && exec sleep 100000"],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if line.strip() != "ready":
            self.proc.wait(5)
            raise RuntimeError("cannot make a private mount namespace: " + self.proc.stderr.read())
        self.mnt = f"/proc/{self.proc.pid}/ns/mnt"

    def argv(self, netns, *cmd):
        """CMD inside this mount namespace and the `ip netns` NETNS (nsenter:
        `ip netns exec` would remount /sys and hide the cgroups)."""
        return ["nsenter", f"--mount={self.mnt}", f"--net=/run/netns/{netns}", *cmd]

    def stop(self):
        topo_mod.stop_process(self.proc, kill9=True)


class HolderVswitchd(topo_mod.Vswitchd):
    """vswitchd as conftest's, but started inside the mount holder (HOLDER,
    set before start), where Docker's sandbox paths exist."""

    holder = None

    def start(self):
        with open(self.out_file, "a") as out:
            out.write(f"--- start: {' '.join(self.argv())}\n")
            out.flush()
            self.proc = subprocess.Popen(self.holder.argv(self.ns, *self.argv()),
                                         stdin=subprocess.DEVNULL, stdout=out,
                                         stderr=subprocess.STDOUT)

        def ready():
            if self.proc.poll() is not None:
                return "died"
            return "up" if self.vsctl("network", "ls", timeout=5).returncode == 0 else None
        if wait_for(ready, topo_mod.START_TIMEOUT, interval=0.02) != "up":
            raise topo_mod.VswitchdError("vswitchd did not start\n" + self.log(tail=100))


BUSYBOX_CGI = """#!/bin/sh
echo "Content-Type: text/plain"
echo
echo "$REMOTE_ADDR"
"""


class Dockerd:
    """dockerd from Debian in namespace NETNS and the mount holder, with its
    own data-root, exec-root, socket and cgroup parent under TMP, and a
    busybox image imported offline as IMAGE."""

    def __init__(self, holder, netns, tmp, prefix):
        self.holder, self.netns, self.tmp = holder, netns, tmp
        self.sock = os.path.join(tmp, "docker.sock")
        self.exec_root = os.path.join(tmp, "dx")     # short: unix socket paths
        self.cgroup = f"{prefix}-docker"
        self.image = f"{prefix}/busybox:1"
        self.log_file = os.path.join(tmp, "dockerd.log")
        self.proc = None
        self.env = dict(os.environ, DOCKER_HOST=f"unix://{self.sock}",
                        DOCKER_CONFIG=os.path.join(tmp, "cli"), DOCKER_API_VERSION="1.41")

    def start(self):
        # Docker's default pools (172.17-31.0.0/16, 192.168.0.0/20s) are
        # vswitch's own: give Docker others, as doc/docker.md advises.
        with open(os.path.join(self.tmp, "daemon.json"), "w") as f:
            json.dump({"default-address-pools": [{"base": "10.201.0.0/16", "size": 24}]}, f)
        argv = self.holder.argv(
            self.netns, DOCKERD, "--data-root", os.path.join(self.tmp, "data"),
            "--exec-root", self.exec_root, "--pidfile", os.path.join(self.tmp, "dockerd.pid"),
            "-H", f"unix://{self.sock}", "--config-file", os.path.join(self.tmp, "daemon.json"),
            "--bridge=none", "--iptables=false", "--ip6tables=false", "--ip-forward=false",
            "--ip-masq=false", "--userland-proxy=false", "--cgroup-parent", self.cgroup,
            "--storage-driver", "overlay2", "--log-level", "info")
        with open(self.log_file, "a") as log:
            self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log,
                                         stderr=subprocess.STDOUT)
        if not wait_for(lambda: self.docker("version", check=False).returncode == 0
                        or self.proc.poll() is not None, 30) or self.proc.poll() is not None:
            raise RuntimeError("dockerd did not start:\n" + self.log())
        self._import_busybox()

    def _import_busybox(self):
        root = os.path.join(self.tmp, "rootfs")
        for d in ("bin", "sbin", "etc", "proc", "sys", "dev", "tmp", "root", "www/cgi-bin"):
            os.makedirs(os.path.join(root, d), exist_ok=True)
        shutil.copy("/bin/busybox", os.path.join(root, "bin", "busybox"))
        applets = subprocess.run(["/bin/busybox", "--list"], capture_output=True,
                                 text=True, check=True).stdout.split()
        for a in applets:
            if a != "busybox":
                os.symlink("busybox", os.path.join(root, "bin", a))
        files = {"etc/passwd": "root:x:0:0:root:/root:/bin/sh\n", "etc/group": "root:x:0:\n",
                 "etc/nsswitch.conf": "hosts: files dns\n", "etc/resolv.conf": "",
                 "etc/hosts": "", "etc/hostname": "", "www/index.html": "hello from vswitch\n",
                 "www/cgi-bin/ip": BUSYBOX_CGI}
        for name, text in files.items():
            with open(os.path.join(root, name), "w") as f:
                f.write(text)
        os.chmod(os.path.join(root, "www/cgi-bin/ip"), 0o755)
        tar = subprocess.Popen(["tar", "-C", root, "-c", "."], stdout=subprocess.PIPE)
        self.docker("import", "-", self.image, stdin=tar.stdout)
        tar.wait()

    def docker(self, *args, check=True, timeout=60, stdin=None):
        """/usr/bin/docker ARGS against this dockerd; CompletedProcess (text)."""
        r = subprocess.run([DOCKER, *map(str, args)], capture_output=True, text=True,
                           env=self.env, timeout=scaled(timeout), stdin=stdin)
        if check and r.returncode != 0:
            raise AssertionError(f"docker {' '.join(map(str, args))}: {r.stderr.strip()}")
        return r

    def log(self):
        try:
            with open(self.log_file, errors="replace") as f:
                return f.read()[-6000:]
        except OSError:
            return ""

    def stop(self):
        """Remove every container, stop dockerd (it stops its containerd),
        remove its cgroup parent; never raises."""
        if self.proc and self.proc.poll() is None:
            ids = self.docker("ps", "-aq", check=False).stdout.split()
            if ids:
                self.docker("rm", "-f", *ids, check=False)
            topo_mod.stop_process(self.proc, timeout=20)
        self.proc = None
        for d in glob.glob(f"/sys/fs/cgroup/*/{self.cgroup}") + \
                glob.glob(f"/sys/fs/cgroup/{self.cgroup}"):
            try:
                os.rmdir(d)
            except OSError:
                pass
        # Layers under data-root are mounted in the holder only; they go
        # with it.  What is left on disk is ours.
        subprocess.run(["rm", "-rf", os.path.join(self.tmp, "data")], check=False)
