#!/usr/bin/python3
"""tools/bench/rootless.py - rootless vswitch beside the rootless runtimes'
network paths, measured with the same tools in the same world.

Measures, asserts nothing (doc/rootless.md prints its table).  Run as root
from the top of the tree after a build (VSWITCHD/VSCTL or build/src):

    /usr/bin/python3 tools/bench/rootless.py [--secs N]

Root builds only the host stand-in and the outside (tests/system/
test_rootless.py's World: a namespace with a default route to an outside
namespace at 192.0.2.1, a throwaway uid, a 0666 tun node bound in private
mount namespaces); everything measured runs as that uid.  Three paths:

  vswitch      container -> vswitchd (rootless) -> pasta
  pasta        a namespace behind pasta alone: podman 5's default network,
               rootlesskit's pasta driver
  slirp4netns  a namespace behind slirp4netns alone: podman 4's default,
               rootlesskit's default driver

and four figures, each the same client and server for every path:

  egress TCP     iperf3 from the namespace to the outside (192.0.2.1)
  published TCP  iperf3 from the outside to the host's published port,
                 the way each path publishes: vswitch `vsctl port publish`
                 (the supervisor's host listener and vswitchd's proxy; a
                 port of --pasta-ports, pasta's forward and DNAT, is
                 printed below the table), pasta `-t HOST:GUEST`,
                 slirp4netns its API's add_hostfwd (podman's
                 port_handler=slirp4netns)
  new conn/s     a connect/close loop in Python to the outside, failures
                 counted and printed, never a silent 0
  ctr to ctr     iperf3 between two containers: for vswitch two on one
                 user network; for pasta and slirp4netns what rootless
                 podman (netavark/CNI) and rootless Docker build inside
                 their namespace, a Linux bridge with a veth per
                 container (the translator plays no part in it)

Why pasta runs with --no-map-gw: pasta copies the host's default route,
so the namespace's gateway is the outside server itself (192.0.2.1), and
by default pasta maps connections to the gateway's address onto the
host's loopback: the egress run would not leave the host at all (and,
nothing listening there, hung: doc/rootless.md).  The others are not
affected: vswitch's pasta and slirp4netns use 10.0.2.2 as the gateway.

A figure the script could not get is n/a with the reason (the path's
error output) on stderr and in the notes below the table.
"""
import argparse
import json
import os
import subprocess
import sys

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

NOTES = []


def note(path, what, r):
    """Record why PATH's WHAT has no figure (R: a CompletedProcess or text)."""
    why = r if isinstance(r, str) else (r.stderr or r.stdout or f"status {r.returncode}")
    line = f"{path} {what}: " + " ".join(why.strip().split())[:300]
    NOTES.append(line)
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


def fmt(v, unit):
    return "n/a" if v is None else f"{v:.2f} {unit}" if unit == "Gbit/s" else f"{v:.0f} {unit}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--secs", type=int, default=5, help="seconds per measurement")
    a = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("rootless.py: run as root (it builds the host stand-in and a throwaway user)")
    rows = {}
    for name, fn in (("vswitch", bench_vswitch), ("pasta", bench_pasta),
                     ("slirp4netns", bench_slirp)):
        w = World(tun=True)
        try:
            outside_servers(w)
            rows[name] = fn(w, a.secs)
        except (subprocess.TimeoutExpired, AssertionError, ValueError) as e:
            # a path that hangs or fails is reported as such, not guessed
            note(name, "did not complete", str(e).splitlines()[0][:200])
            rows[name] = {"egress": None, "published": None, "conn_per_s": None, "c2c": None}
        finally:
            w.teardown()
    print(f"{'path':<12} {'egress TCP':>14} {'published TCP':>14} {'new conn/s':>12} "
          f"{'ctr to ctr':>14}")
    for name, r in rows.items():
        print(f"{name:<12} {fmt(r['egress'], 'Gbit/s'):>14} {fmt(r['published'], 'Gbit/s'):>14} "
              f"{fmt(r['conn_per_s'], ''):>12} {fmt(r['c2c'], 'Gbit/s'):>14}")
    ppp = rows["vswitch"].get("published_pasta_ports")
    print(f"vswitch published TCP on a --pasta-ports port (pasta's -t, DNAT, client address "
          f"kept): {fmt(ppp, 'Gbit/s')}")
    for line in NOTES:
        print("note: " + line)


if __name__ == "__main__":
    main()
