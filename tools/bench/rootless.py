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
egress TCP (iperf3 to the outside), published-port TCP (iperf3 from the
outside to a published port: for pasta `-t`, for vswitch `vsctl port
publish`; slirp4netns's API is not driven here), new TCP connections per
second to the outside (a connect/close loop in Python), and container to
container (only vswitch has two containers on one switch; podman puts them
behind a kernel bridge inside its namespace, which this does not build).
"""
import argparse
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "system"))

import topo as topo_mod                      # noqa: E402
from test_rootless import World              # noqa: E402
from vsutil import sh, wait_for              # noqa: E402

CONNS = """
import socket, sys, time
n, t0 = 0, time.time()
while time.time() - t0 < float(sys.argv[1]):
    s = socket.create_connection(("192.0.2.1", 5301), timeout=3)
    s.close()
    n += 1
print(n / (time.time() - t0))
"""


def gbps(out):
    """iperf3 -J's received rate, in Gbit/s; None if it did not run."""
    try:
        return json.loads(out)["end"]["sum_received"]["bits_per_second"] / 1e9
    except (ValueError, KeyError, TypeError):
        return None


def root_bg(w, ns, *cmd):
    return w.root_spawn(ns, *cmd)


def outside_servers(w):
    root_bg(w, w.out, "iperf3", "-s", "-B", "192.0.2.1", "-p", "5201")
    root_bg(w, w.out, "/usr/bin/python3", "-c",
            "import socket\ns=socket.socket();s.setsockopt(1,2,1)\n"
            "s.bind(('192.0.2.1',5301));s.listen(4096)\n"
            "while True: s.accept()[0].close()")
    assert wait_for(lambda: ":5201 " in sh("ip", "netns", "exec", w.out, "ss", "-ltnH").stdout, 10)


def bench_vswitch(w, secs):
    vsctl = topo_mod.find_binary("vsctl")
    w.start("--uplink", "pasta")
    for c in ("c1", "c2"):
        w.vsctl_ok("netns", "add", c)
    w.vsctl_ok("network", "create", "--subnet", "172.30.9.0/24", "bn")
    w.vsctl_ok("network", "connect", "--netns", "c1", "bn", "c1")
    w.vsctl_ok("network", "connect", "--netns", "c2", "bn", "c2")
    res = {"egress": gbps(w.ctr("c1", "iperf3", "-c", "192.0.2.1", "-t", str(secs), "-J",
                                timeout=secs + 30).stdout)}
    w.spawn(vsctl, "netns", "exec", "c2", "--", "iperf3", "-s", "-p", "5201")
    assert wait_for(lambda: ":5201 " in w.ctr("c2", "ss", "-ltnH").stdout, 10)
    w.vsctl_ok("port", "publish", "c2", "15201:5201")
    res["published"] = gbps(sh("ip", "netns", "exec", w.out, "iperf3", "-c", "192.0.2.10", "-p",
                               "15201", "-t", str(secs), "-J", check=False,
                               timeout=secs + 30).stdout)
    res["conn_per_s"] = float(w.ctr("c1", "/usr/bin/python3", "-c", CONNS, str(secs),
                                    timeout=secs + 30).stdout or 0)
    res["c2c"] = gbps(w.ctr("c1", "iperf3", "-c", "172.30.9.3", "-t", str(secs), "-J",
                            timeout=secs + 30).stdout)
    return res


def in_pasta(w, secs, *cmd, ports=("none",)):
    """CMD in a fresh namespace behind pasta alone, as the test user."""
    args = ["pasta", "-f", "--config-net", "--quiet", "--ipv4-only", "-T", "none", "-U", "none",
            "-u", "none"]
    for p in ports:
        args += ["-t", p]
    return w.user(*args, "--", *cmd, check=False, timeout=secs + 30)


def bench_pasta(w, secs):
    res = {"egress": gbps(in_pasta(w, secs, "iperf3", "-c", "192.0.2.1", "-t", str(secs),
                                   "-J").stdout)}
    srv = subprocess.Popen(w.argv("pasta", "-f", "--config-net", "--quiet", "--ipv4-only", "-T", "none",
                                  "-U", "none", "-u", "none", "-t", "15202:5201", "--",
                                  "iperf3", "-s", "-1", "-p", "5201"),
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    w.procs.append(srv)
    assert wait_for(lambda: ":15202 " in sh("ip", "netns", "exec", w.host, "ss", "-ltnH").stdout,
                    10)
    time.sleep(0.5)     # iperf3 -s inside: no port to poll from outside pasta
    res["published"] = gbps(sh("ip", "netns", "exec", w.out, "iperf3", "-c", "192.0.2.10", "-p",
                               "15202", "-t", str(secs), "-J", check=False,
                               timeout=secs + 30).stdout)
    out = in_pasta(w, secs, "/usr/bin/python3", "-c", CONNS, str(secs)).stdout
    res["conn_per_s"] = float(out or 0)
    res["c2c"] = None
    return res


def in_slirp(w, secs, *cmd):
    """CMD in a fresh user+network namespace behind slirp4netns alone."""
    script = ('unshare --user --map-root-user --net sh -c \'echo $$ > "$0"; '
              'while [ ! -e "$0.up" ]; do sleep 0.05; done; exec "$@"\' "$D/ns" "$@" & '
              'while [ ! -s "$D/ns" ]; do sleep 0.05; done; '
              'slirp4netns --configure --mtu=65520 --disable-host-loopback "$(cat $D/ns)" tap0 '
              '>/dev/null 2>&1 & s=$!; sleep 1; touch "$D/ns.up"; wait %1; r=$?; '
              'kill $s; rm -f "$D/ns" "$D/ns.up"; exit $r')
    d = os.path.join(w.tmp, "state")
    return w.user("sh", "-c", script, "sh", *cmd, env=(f"D={d}",), check=False,
                  timeout=secs + 40)


def bench_slirp(w, secs):
    res = {"egress": gbps(in_slirp(w, secs, "iperf3", "-c", "192.0.2.1", "-t", str(secs),
                                   "-J").stdout)}
    res["published"] = None
    out = in_slirp(w, secs, "/usr/bin/python3", "-c", CONNS, str(secs)).stdout
    res["conn_per_s"] = float(out.strip() or 0)
    res["c2c"] = None
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
            print(f"{name}: did not complete: {str(e).splitlines()[0][:200]}", file=sys.stderr)
            rows[name] = {"egress": None, "published": None, "conn_per_s": None, "c2c": None}
        finally:
            w.teardown()
    print(f"{'path':<12} {'egress TCP':>14} {'published TCP':>14} {'new conn/s':>12} "
          f"{'ctr to ctr':>14}")
    for name, r in rows.items():
        print(f"{name:<12} {fmt(r['egress'], 'Gbit/s'):>14} {fmt(r['published'], 'Gbit/s'):>14} "
              f"{fmt(r['conn_per_s'], ''):>12} {fmt(r['c2c'], 'Gbit/s'):>14}")


if __name__ == "__main__":
    main()
