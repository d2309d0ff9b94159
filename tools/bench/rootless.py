#!/usr/bin/python3
"""tools/bench/rootless.py - rootless vswitch beside rootless podman and
rootless Docker, and beside their translators alone, measured with the
same tools in the same world.

Measures, asserts nothing (doc/rootless.md prints its table).  Run as root
from the top of the tree after a build (VSWITCHD/VSCTL or build/src):

    /usr/bin/python3 tools/bench/rootless.py [--secs N] [--only PATH,...]

Root builds only the host stand-in and the outside (tests/system/
test_rootless.py's World: a namespace with a default route to an outside
namespace at 192.0.2.1, a throwaway uid, a 0666 tun node bound in private
mount namespaces); everything measured runs as that uid.  Five paths:

  vswitch      container -> vswitchd (rootless) -> pasta
  pasta        a namespace behind pasta alone: podman 5's default network,
               rootlesskit's pasta driver
  slirp4netns  a namespace behind slirp4netns alone: podman 4's default,
               rootlesskit's default driver
  podman       Debian's podman 4.3 itself, rootless: a container on its
               default rootless network (slirp4netns; 4.3 has no pasta),
               -p through rootlessport, two containers on a `podman
               network create` network (CNI bridge in podman's rootless
               netns, which reaches out through its own slirp4netns)
  docker       Debian's dockerd 20.10 rootless: dockerd-rootless.sh, i.e.
               rootlesskit (slirp4netns, builtin port driver) with dockerd,
               containerd and runc inside; a container on the default
               bridge, -p, two containers on a `docker network create`
               network

and four figures, each the same client and server for every path:

  egress TCP     iperf3 from the container to the outside (192.0.2.1)
  published TCP  iperf3 from the outside to the host's published port,
                 the way each path publishes: vswitch `vsctl port publish`
                 (the supervisor's host listener and vswitchd's proxy; a
                 port of --pasta-ports, pasta's forward and DNAT, is
                 printed below the table), pasta `-t HOST:GUEST`,
                 slirp4netns its API's add_hostfwd (podman's
                 port_handler=slirp4netns), podman and docker `run -p`
  new conn/s     a connect/close loop in Python to the outside, failures
                 counted and printed, never a silent 0
  ctr to ctr     iperf3 between two containers: for vswitch two on one
                 user network; podman and docker two on a user network of
                 their own; for pasta and slirp4netns alone a Linux bridge
                 with a veth per container inside their namespace, what
                 those runtimes build (the translator plays no part in it)

The runtimes' containers come from an offline image the script builds: an
empty root with /bin, /lib... pointing into /usr, and the host's /usr
bound read-only at run time (so iperf3 and python3 are the host's, the
same binaries as on the other paths); podman and docker `import` it.
podman 4.3 runs with a one-uid map (no /etc/subuid entry: it warns and
maps the user alone).  rootlesskit will not start without a passwd entry
and a subordinate range for the user, so dockerd-rootless.sh runs in a
private mount namespace where root has bound, over /etc/passwd,
/etc/subuid and /etc/subgid, copies with a line for the throwaway uid
(SUBIDS ids right above it, checked unused): the machine's files are
never changed, and the bind mounts end with that process tree.  dockerd
gets its data-root, exec-root, pidfile and socket in the world's
directory, and is stopped by PID at the end (rootlesskit's parent, which
takes its child, dockerd and containerd with it).

Why pasta runs with --no-map-gw: pasta copies the host's default route,
so the namespace's gateway is the outside server itself (192.0.2.1), and
by default pasta maps connections to the gateway's address onto the
host's loopback: the egress run would not leave the host at all (and,
nothing listening there, hung: doc/rootless.md).  The others are not
affected: vswitch's pasta and slirp4netns use 10.0.2.2 as the gateway.

A figure the script could not get is `n/a [N]` in its cell, N the note
below the table that gives the reason (the path's own error output); a
figure with a note (e.g. connects that failed during the loop) carries
its [N] too.
The load average before and after the run is printed with the table.
"""
import argparse
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "system"))

import topo as topo_mod                      # noqa: E402
from test_rootless import World              # noqa: E402
from vsutil import sh, wait_for              # noqa: E402

# The outside's connection sink: accept and close.
CONNS = """
import json, socket, sys, time
n = fail = 0
err = ""
t0 = time.time()
while time.time() - t0 < float(sys.argv[1]):
    try:
        s = socket.create_connection(("192.0.2.1", 5301), timeout=3)
        s.close()
        n += 1
    except OSError as e:
        fail += 1
        err = repr(e)
print(json.dumps({"rate": n / (time.time() - t0), "fail": fail, "err": err}))
"""

# Two containers on a Linux bridge in the current (rootless) namespace, as
# netavark/CNI and rootless dockerd make them: a veth each, the bridge
# between them.  Run as root of the user namespace; prints iperf3 -J.
C2C_BRIDGE = r"""
set -e
secs=$1
ip link add vsbr0 type bridge
ip link set vsbr0 up
holder() { unshare --net sh -c 'exec sleep 600' & }
holder; A=$!
holder; B=$!
me=$(readlink /proc/self/ns/net)
for p in $A $B; do
    while [ "$(readlink /proc/$p/ns/net)" = "$me" ]; do sleep 0.05; done
done
i=2
for p in $A $B; do
    ip link add vsh$i type veth peer name eth0 netns $p
    ip link set vsh$i master vsbr0 up
    nsenter -t $p -n sh -c "ip link set lo up; ip addr add 10.88.0.$i/24 dev eth0; ip link set eth0 up"
    i=$((i + 1))
done
nsenter -t $B -n iperf3 -s -1 -p 5201 >/dev/null 2>&1 &
n=0
until nsenter -t $B -n ss -ltnH | grep -q ':5201 '; do
    n=$((n + 1)); [ $n -lt 200 ] || exit 3; sleep 0.05
done
nsenter -t $A -n iperf3 -c 10.88.0.3 -t "$secs" -J || r=$?
kill $A $B
exit ${r:-0}
"""

NOTES = []     # (path, what, line)


def note(path, what, r):
    """Record why PATH's WHAT has no figure (R: a CompletedProcess or text)."""
    why = r if isinstance(r, str) else (r.stderr or r.stdout or f"status {r.returncode}")
    line = f"{path} {what}: " + " ".join(why.strip().split())[-300:]
    NOTES.append((path, what, line))
    print(line, file=sys.stderr)


def gbps(r, path, what):
    """iperf3 -J's received rate of R, in Gbit/s; None (and a note) if it did not run."""
    try:
        return json.loads(r.stdout)["end"]["sum_received"]["bits_per_second"] / 1e9
    except (ValueError, KeyError, TypeError):
        note(path, what, r)
        return None


def conns(r, path):
    """The connection loop's rate; its failures noted."""
    try:
        res = json.loads(r.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        note(path, "new conn/s", r)
        return None
    if res["fail"]:
        note(path, "new conn/s", f"{res['fail']} connects failed, last {res['err']}")
    return res["rate"]


def outside_servers(w):
    w.root_spawn(w.out, "iperf3", "-s", "-B", "192.0.2.1", "-p", "5201")
    w.root_spawn(w.out, "/usr/bin/python3", "-c",
                 "import socket\ns=socket.socket();s.setsockopt(1,2,1)\n"
                 "s.bind(('192.0.2.1',5301));s.listen(4096)\n"
                 "while True: s.accept()[0].close()")
    assert wait_for(lambda: ":5201 " in sh("ip", "netns", "exec", w.out, "ss", "-ltnH").stdout, 10)
    assert wait_for(lambda: ":5301 " in sh("ip", "netns", "exec", w.out, "ss", "-ltnH").stdout, 10)


def from_outside(w, port, secs):
    """iperf3 from the outside to the host stand-in's PORT."""
    return sh("ip", "netns", "exec", w.out, "iperf3", "-c", "192.0.2.10", "-p", str(port),
              "-t", str(secs), "-J", check=False, timeout=secs + 30)


def bench_vswitch(w, secs):
    vsctl = topo_mod.find_binary("vsctl")
    w.start("--uplink", "pasta", "--pasta-ports", "15300-15301")
    for c in ("c1", "c2"):
        w.vsctl_ok("netns", "add", c)
    w.vsctl_ok("network", "create", "--subnet", "172.30.9.0/24", "bn")
    w.vsctl_ok("network", "connect", "--netns", "c1", "bn", "c1")
    w.vsctl_ok("network", "connect", "--netns", "c2", "bn", "c2")
    res = {"egress": gbps(w.ctr("c1", "iperf3", "-c", "192.0.2.1", "-t", str(secs), "-J",
                                timeout=secs + 30), "vswitch", "egress")}
    w.spawn(vsctl, "netns", "exec", "c2", "--", "iperf3", "-s", "-p", "5201")
    assert wait_for(lambda: ":5201 " in w.ctr("c2", "ss", "-ltnH").stdout, 10)
    w.vsctl_ok("port", "publish", "c2", "15201:5201")
    res["published"] = gbps(from_outside(w, 15201, secs), "vswitch", "published")
    w.vsctl_ok("port", "publish", "c2", "15300:5201")
    res["published_pasta_ports"] = gbps(from_outside(w, 15300, secs), "vswitch",
                                        "published (--pasta-ports)")
    res["conn_per_s"] = conns(w.ctr("c1", "/usr/bin/python3", "-c", CONNS, str(secs),
                                    timeout=secs + 30), "vswitch")
    res["c2c"] = gbps(w.ctr("c1", "iperf3", "-c", "172.30.9.3", "-t", str(secs), "-J",
                            timeout=secs + 30), "vswitch", "ctr to ctr")
    drops = [p for p in json.loads(w.vsctl_ok("--format", "raw", "stats"))["ports"]
             if p["name"] == "uplink"][0]["drops"]
    if drops:
        note("vswitch", "uplink drops", json.dumps(drops))
    return res


PASTA = ("pasta", "-f", "--config-net", "--quiet", "--ipv4-only", "--no-map-gw", "-T", "none",
         "-U", "none", "-u", "none")


def in_pasta(w, secs, *cmd, ports="none"):
    """CMD in a fresh namespace behind pasta alone, as the test user."""
    return w.user(*PASTA, "-t", ports, "--", *cmd, check=False, timeout=secs + 30)


def bench_pasta(w, secs):
    res = {"egress": gbps(in_pasta(w, secs, "iperf3", "-c", "192.0.2.1", "-t", str(secs), "-J"),
                          "pasta", "egress")}
    # the server inside, published with pasta's own -t; pasta binds the
    # host port before it runs the command, so the server is polled by a
    # connection attempt through the forward (iperf3 -1 would take it)
    srv = subprocess.Popen(w.argv(*PASTA, "-t", "15202:5201", "--", "sh", "-c",
                                  "iperf3 -s -1 -p 5201 & until ss -ltnH | grep -q ':5201 '; "
                                  "do sleep 0.05; done; touch \"$0\"; wait",
                                  os.path.join(w.tmp, "state", "pasta-srv-up")),
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    w.procs.append(srv)
    if wait_for(lambda: os.path.exists(os.path.join(w.tmp, "state", "pasta-srv-up")), 10):
        res["published"] = gbps(from_outside(w, 15202, secs), "pasta", "published")
    else:
        note("pasta", "published", "the server behind pasta -t did not start")
        res["published"] = None
    res["conn_per_s"] = conns(in_pasta(w, secs, "/usr/bin/python3", "-c", CONNS, str(secs)),
                              "pasta")
    # pasta runs the command in a PID namespace of its own but leaves the
    # host's /proc: a /proc of that namespace for the script's $! and nsenter
    res["c2c"] = gbps(in_pasta(w, secs, "unshare", "--pid", "--fork", "--mount-proc", "sh", "-c",
                               C2C_BRIDGE, "sh", str(secs)), "pasta", "ctr to ctr")
    return res


# CMD in a fresh user+network namespace behind slirp4netns alone, with
# its API socket (for add_hostfwd) at $D/api.
SLIRP = ('unshare --user --map-root-user --net sh -c \'echo $$ > "$0"; '
         'while [ ! -e "$0.up" ]; do sleep 0.05; done; exec "$@"\' "$D/ns" "$@" & '
         'while [ ! -s "$D/ns" ]; do sleep 0.05; done; '
         'slirp4netns --configure --mtu=65520 --disable-host-loopback --api-socket "$D/api" '
         '--ready-fd=3 "$(cat $D/ns)" tap0 3>"$D/ready" >/dev/null 2>&1 & s=$!; '
         'while [ ! -s "$D/ready" ]; do sleep 0.05; done; touch "$D/ns.up"; wait %1; r=$?; '
         'kill $s; wait $s; rm -f "$D/ns" "$D/ns.up" "$D/ready" "$D/api"; exit $r')


def slirp_dir(w):
    """A fresh directory of the user's for one slirp4netns wrapper's files."""
    d = os.path.join(w.tmp, "state", f"slirp{len(os.listdir(os.path.join(w.tmp, 'state')))}")
    os.mkdir(d, 0o700)
    os.chown(d, w.uid, w.uid)
    return d


def in_slirp(w, secs, *cmd, d=None):
    """CMD behind slirp4netns alone, waited for; or, given its directory D,
    started in the background (its API socket is D/api)."""
    env = (f"D={d or slirp_dir(w)}",)
    if d is None:
        return w.user("sh", "-c", SLIRP, "sh", *cmd, env=env, check=False, timeout=secs + 40)
    p = subprocess.Popen(w.argv("sh", "-c", SLIRP, "sh", *cmd, env=env),
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    w.procs.append(p)
    return p


HOSTFWD = """
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(json.dumps({"execute": "add_hostfwd", "arguments": {
    "proto": "tcp", "host_addr": "0.0.0.0", "host_port": int(sys.argv[2]),
    "guest_port": int(sys.argv[3])}}).encode())
print(s.recv(4096).decode())
"""


def bench_slirp(w, secs):
    res = {"egress": gbps(in_slirp(w, secs, "iperf3", "-c", "192.0.2.1", "-t", str(secs), "-J"),
                          "slirp4netns", "egress")}
    d = slirp_dir(w)
    up = os.path.join(d, "srv-up")
    in_slirp(w, secs, "sh", "-c", "iperf3 -s -1 -p 5201 & until ss -ltnH | grep -q ':5201 '; "
             "do sleep 0.05; done; touch \"$0\"; wait", up, d=d)
    res["published"] = None
    if not wait_for(lambda: os.path.exists(up), 10):
        note("slirp4netns", "published", "the server behind slirp4netns did not start")
    else:
        r = w.user("/usr/bin/python3", "-c", HOSTFWD, os.path.join(d, "api"), "15203", "5201",
                   check=False)
        if '"return"' not in r.stdout:
            note("slirp4netns", "published", r)
        else:
            res["published"] = gbps(from_outside(w, 15203, secs), "slirp4netns", "published")
    res["conn_per_s"] = conns(in_slirp(w, secs, "/usr/bin/python3", "-c", CONNS, str(secs)),
                              "slirp4netns")
    res["c2c"] = gbps(in_slirp(w, secs, "sh", "-c", C2C_BRIDGE, "sh", str(secs)),
                      "slirp4netns", "ctr to ctr")
    return res


class Unavailable(Exception):
    """A path that cannot run on this machine; the reason goes in its cells."""


# The runtimes' containers: the host's /usr, read-only, in an empty root.
USR = ("-v", "/usr:/usr:ro")
IMAGE = "localhost/vsbench"


def offline_image(w):
    """A tar of an empty root whose /bin, /sbin, /lib, /lib64 point into
    /usr (Debian 12 has merged /usr), owned by the test user."""
    st = os.path.join(w.tmp, "state")
    root = os.path.join(st, "rootfs")
    os.makedirs(root)
    for d in ("usr", "etc", "proc", "sys", "dev", "tmp", "run", "root"):
        os.mkdir(os.path.join(root, d))
    for link in ("bin", "sbin", "lib", "lib64"):
        os.symlink("usr/" + link, os.path.join(root, link))
    tar = os.path.join(st, "rootfs.tar")
    sh("tar", "-C", root, "--owner=0", "--group=0", "-cf", tar, ".")
    os.chown(tar, w.uid, w.uid)
    return tar


def runtime_bench(w, secs, path, rt, start_srv):
    """The four figures through a runtime whose CLI is RT (argv list):
    containers run with `RT run`; START_SRV(name, extra) starts an iperf3
    server container and returns whether it came up."""
    run = [*rt, "run", "--rm", *USR]
    res = {"egress": gbps(w.user(*run, IMAGE, "iperf3", "-c", "192.0.2.1", "-t", str(secs),
                                 "-J", check=False, timeout=secs + 120), path, "egress")}
    res["published"] = None
    if start_srv("vsb-pub", ("-p", "15204:5201")):
        res["published"] = gbps(from_outside(w, 15204, secs), path, "published")
    w.user(*rt, "rm", "-f", "vsb-pub", check=False, timeout=60)
    res["conn_per_s"] = conns(w.user(*run, IMAGE, "/usr/bin/python3", "-c", CONNS, str(secs),
                                     check=False, timeout=secs + 120), path)
    res["c2c"] = None
    r = w.user(*rt, "network", "create", "--subnet", "10.89.7.0/24", "vsbn", check=False,
               timeout=60)
    if r.returncode:
        note(path, "ctr to ctr", r)
    elif start_srv("vsb-c2c", ("--network", "vsbn", "--ip", "10.89.7.2")):
        res["c2c"] = gbps(w.user(*run, "--network", "vsbn", IMAGE, "iperf3", "-c", "10.89.7.2",
                                 "-t", str(secs), "-J", check=False, timeout=secs + 120),
                          path, "ctr to ctr")
    return res


def server_starter(w, path, rt):
    """START_SRV for runtime_bench: a detached iperf3 server container,
    polled with `RT exec NAME ss` until it listens."""
    def start(name, extra):
        what = "published" if name == "vsb-pub" else "ctr to ctr"
        r = w.user(*rt, "run", "-d", "--name", name, *extra, *USR, IMAGE, "iperf3", "-s", "-p",
                   "5201", check=False, timeout=120)
        if r.returncode:
            note(path, what, r)
            return False
        if not wait_for(lambda: ":5201 " in w.user(*rt, "exec", name, "ss", "-ltnH",
                                                   check=False, timeout=60).stdout, 20):
            note(path, what, f"the server container {name} did not listen")
            return False
        return True
    return start


def bench_podman(w, secs):
    """Debian's podman 4.3, rootless, on its own default network path."""
    for tool in ("podman", "runc", "slirp4netns"):
        if not shutil.which(tool):
            raise Unavailable(f"{tool} is not installed")
    pm = ["podman", "--cgroup-manager=cgroupfs", "--storage-driver=vfs", "--runtime=runc",
          "--events-backend=file"]
    r = w.user(*pm, "import", offline_image(w), IMAGE, check=False, timeout=120)
    if r.returncode:
        raise Unavailable(f"podman import: {r.stderr.strip()[-200:]}")
    start = server_starter(w, "podman", pm)
    return runtime_bench(w, secs, "podman", pm, start)


# rootlesskit's subordinate range for the throwaway user: small, as only
# the user itself (root in the containers) ever runs a process
SUBIDS = 100


def docker_env(w):
    """Files bound over /etc/passwd, /etc/subuid, /etc/subgid for
    rootlesskit, which wants a user name and a subordinate range (the
    machine's files are never written)."""
    first = w.uid + 2
    used = {int(x) for x in sh("ps", "-e", "-o", "uid=").stdout.split()}
    if used & set(range(first, first + SUBIDS)):
        raise Unavailable(f"subordinate uids {first}-{first + SUBIDS - 1} are in use")
    d = os.path.join(w.tmp, "etc")
    os.mkdir(d, 0o755)
    with open("/etc/passwd") as f:
        passwd = f.read()
    files = {"passwd": passwd + f"vsbench:x:{w.uid}:{w.uid}::{os.path.join(w.tmp, 'state')}:"
             "/bin/sh\n", "subuid": f"vsbench:{first}:{SUBIDS}\n",
             "subgid": f"vsbench:{first}:{SUBIDS}\n"}
    for name, text in files.items():
        with open(os.path.join(d, name), "w") as f:
            f.write(text)
        os.chmod(os.path.join(d, name), 0o644)
    return [(os.path.join(d, name), "/etc/" + name) for name in files], first


def bound_argv(w, binds, *cmd, env=()):
    """w.argv(CMD) in a private mount namespace with BINDS (src, dst)."""
    script = "".join(f"mount --bind {shlex.quote(a)} {shlex.quote(b)} && " for a, b in binds)
    return ["unshare", "-m", "--propagation", "private", "sh", "-c", script + 'exec "$@"',
            "sh", *w.argv(*cmd, env=env)]


def bench_docker(w, secs):
    """Debian's dockerd 20.10 rootless (dockerd-rootless.sh: rootlesskit,
    slirp4netns, the builtin port driver), on private dirs and socket."""
    script = "/usr/share/docker.io/contrib/dockerd-rootless.sh"
    for tool in ("dockerd", "rootlesskit", "slirp4netns", "newuidmap", "/usr/bin/docker",
                 script):
        if not shutil.which(tool):
            raise Unavailable(f"{tool} is not installed")
    binds, first = docker_env(w)
    d = os.path.join(w.tmp, "state", "docker")
    os.mkdir(d, 0o700)
    os.chown(d, w.uid, w.uid)
    sock = os.path.join(d, "docker.sock")
    log = os.path.join(w.tmp, "dockerd.log")
    with open(log, "w") as f:
        # --group=: no socket group (the docker group is not mapped in
        # rootlesskit's namespace, and chown to it fails)
        daemon = subprocess.Popen(bound_argv(
            w, binds, script, "--data-root", os.path.join(d, "data"), "--exec-root",
            os.path.join(d, "exec"), "--pidfile", os.path.join(d, "dockerd.pid"),
            "-H", "unix://" + sock, "--storage-driver", "vfs", "--group=",
            env=("DOCKERD_ROOTLESS_ROOTLESSKIT_FLAGS=--state-dir=" + os.path.join(d, "rk"),)),
            stdout=f, stderr=subprocess.STDOUT)
    dk = ["/usr/bin/docker", "-H", "unix://" + sock]
    try:
        if not wait_for(lambda: daemon.poll() is not None or
                        w.user(*dk, "version", check=False).returncode == 0, 60):
            raise Unavailable("dockerd did not answer in 60 s")
        if daemon.poll() is not None:
            with open(log) as f:
                raise Unavailable("dockerd-rootless.sh: " + " ".join(f.read().split()[-40:]))
        r = w.user(*dk, "import", offline_image(w), IMAGE, check=False, timeout=120)
        if r.returncode:
            raise Unavailable(f"docker import: {r.stderr.strip()[-200:]}")
        return runtime_bench(w, secs, "docker", dk, server_starter(w, "docker", dk))
    finally:
        # rootlesskit's parent, by PID: it ends its child, dockerd and
        # containerd; the world's teardown ends whatever of the uid is left
        topo_mod.stop_process(daemon, timeout=20)
        out = sh("ps", "-o", "pid=", "-u", ",".join(str(u) for u in
                                                    range(first, first + SUBIDS)),
                 check=False).stdout
        for pid in out.split():
            os.kill(int(pid), signal.SIGKILL)


COLUMNS = (("egress", "egress TCP", "Gbit/s"), ("published", "published TCP", "Gbit/s"),
           ("conn_per_s", "new conn/s", ""), ("c2c", "ctr to ctr", "Gbit/s"))
WHAT = {"egress": "egress", "published": "published", "conn_per_s": "new conn/s",
        "c2c": "ctr to ctr"}


def cell(path, key, v, unit):
    """A figure, or n/a; followed by [N] when note N is about it (why it
    is missing, or the failed connects behind a rate)."""
    ref = [i for i, (p, what, _) in enumerate(NOTES, 1)
           if p == path and what in (WHAT[key], "n/a", "did not complete")]
    text = "n/a" if v is None else f"{v:.2f} {unit}" if unit == "Gbit/s" else f"{v:.0f}"
    return text + (f" [{ref[0]}]" if ref else "")


PATHS = (("vswitch", bench_vswitch), ("pasta", bench_pasta), ("slirp4netns", bench_slirp),
         ("podman", bench_podman), ("docker", bench_docker))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    ap.add_argument("--secs", type=int, default=4, help="seconds per measurement")
    ap.add_argument("--only", default="", help="comma-separated paths to run (default: all)")
    a = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("rootless.py: run as root (it builds the host stand-in and a throwaway user)")
    only = set(filter(None, a.only.split(",")))
    load0, t0 = os.getloadavg(), time.time()
    rows = {}
    for name, fn in PATHS:
        if only and name not in only:
            continue
        w = World(tun=True)
        try:
            outside_servers(w)
            rows[name] = fn(w, a.secs)
        except Unavailable as e:
            note(name, "n/a", str(e))
            rows[name] = dict.fromkeys(WHAT)
        except (subprocess.TimeoutExpired, AssertionError, ValueError, OSError) as e:
            # a path that hangs or fails is reported as such, not guessed
            note(name, "did not complete", str(e).splitlines()[0][:200])
            rows[name] = dict.fromkeys(WHAT)
        finally:
            w.teardown()
    load1 = os.getloadavg()
    print(f"{'path':<12}" + "".join(f" {title:>16}" for _, title, _ in COLUMNS))
    for name, r in rows.items():
        print(f"{name:<12}" + "".join(f" {cell(name, k, r.get(k), u):>16}"
                                      for k, _, u in COLUMNS))
    if "vswitch" in rows:
        ppp = rows["vswitch"].get("published_pasta_ports")
        print("vswitch published TCP on a --pasta-ports port (pasta's -t, DNAT, client address "
              "kept): " + (f"{ppp:.2f} Gbit/s" if ppp is not None else "n/a (notes)"))
    print(f"load average before: {' '.join(f'{x:.2f}' for x in load0)}, after: "
          f"{' '.join(f'{x:.2f}' for x in load1)}; {time.time() - t0:.0f} s, --secs {a.secs}")
    for i, (_, _, line) in enumerate(NOTES, 1):
        print(f"note [{i}]: " + line)


if __name__ == "__main__":
    main()
