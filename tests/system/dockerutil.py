"""dockerutil.py - helpers for the Docker driver's system tests.

The plugin runs in vswitchd's namespace (where a real deployment has
dockerd, vswitchd and the plugin side by side) and listens on a socket in
the daemon's temporary directory, so nothing is made under /run/docker.
`PluginClient` speaks HTTP/1.1 to it over that unix socket exactly as
dockerd does (POST, JSON body, Content-Length, one kept-alive connection),
with http.client from the standard library.
"""
import http.client
import json
import os
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

    def __init__(self, vswitchd, binary, name="vswitch"):
        self.vs = vswitchd
        self.bin = binary
        self.sock = os.path.join(vswitchd.tmp, name + ".sock")
        self.log_file = os.path.join(vswitchd.tmp, "plugin.log")
        self.proc = None

    def start(self):
        """Start the plugin and wait until it says it serves its socket."""
        seen = len(self.log())
        with open(self.log_file, "a") as log:
            self.proc = subprocess.Popen(
                ["nsenter", f"--net=/run/netns/{self.vs.ns}", self.bin,
                 "--listen", self.sock, "--socket", self.vs.sock, "--timeout", "10"],
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
