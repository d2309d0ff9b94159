"""test_metrics.py - Prometheus metrics (issue 21, part 4).

`vsctl stats --format prometheus` and the opt-in scrape endpoint of
`vswitchd --metrics-listen` print the switch's counters in Prometheus'
text format: per-port packets, bytes and drops by reason, fdb sizes,
conntrack entries by protocol and state, NAT ports in use, DNS counters
and capture sessions.  Debian's `promtool check metrics` must accept both,
and both must tell the same story as `vsctl --format raw stats`.  The
endpoint listens on loopback inside vswitchd's own namespace (conftest.py
runs the daemon in one), so nothing is exposed on the machine.
"""
import re
import shutil
import subprocess
import time

import pytest
from topo import find_binary
from vsutil import uniq, vsctl_ok, vsjson

PORT = 9477
pytestmark = [pytest.mark.uplink,
              pytest.mark.vswitchd_args("--metrics-listen", f"127.0.0.1:{PORT}")]


def promtool_ok(text):
    """promtool check metrics on TEXT: no error and no lint finding."""
    tool = shutil.which("promtool")
    if not tool:
        pytest.fail("promtool missing: apt-get install prometheus (tools/install-deps.sh)")
    r = subprocess.run([tool, "check", "metrics"], input=text, capture_output=True,
                       text=True, timeout=30)
    assert r.returncode == 0 and not r.stdout.strip() and not r.stderr.strip(), \
        r.stdout + r.stderr


def samples(text):
    """{(name, frozenset(labels)): value} of a Prometheus text."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = re.fullmatch(r'([a-z_]+)(?:\{(.*)\})? (\S+)', line)
        assert m, f"not a sample line: {line!r}"
        labels = frozenset(re.findall(r'([a-z_]+)="((?:[^"\\]|\\.)*)"', m.group(2) or ""))
        out[(m.group(1), labels)] = float(m.group(3))
    return out


def scrape(vswitchd, path="/metrics"):
    r = subprocess.run(["ip", "netns", "exec", vswitchd.ns, "curl", "-s", "-m", "10",
                        "-w", "\n%{http_code}", f"http://127.0.0.1:{PORT}{path}"],
                       capture_output=True, text=True, timeout=30)
    body, _, code = r.stdout.rpartition("\n")
    return int(code), body


def test_metrics_of_a_busy_switch(vswitchd, topo):
    net, c1, c2 = uniq("mn"), uniq("m1"), uniq("m2")
    vsctl_ok(vswitchd, "network", "create", "--subnet", "10.71.0.0/24", net)
    for c in (c1, c2):
        vsctl_ok(vswitchd, "network", "connect", "--netns", topo.container(c), net, c)
    ns1 = topo.container(c1)
    topo.ns_exec(ns1, "ping", "-c", "2", "-W", "5", "10.71.0.3")
    topo.ns_exec(ns1, "ping", "-c", "1", "-W", "5", topo.outside[1])     # SNAT, ct
    topo.ns_exec(ns1, "getent", "hosts", c2)                             # DNS
    # a frame from a spoofed source address: port security drops it, with
    # a reason
    topo.ns_exec(ns1, "/usr/bin/python3", "-c",
                 "from scapy.all import Ether, IP, ICMP, sendp; "
                 "sendp(Ether(dst='ff:ff:ff:ff:ff:ff')/IP(src='10.71.0.99', "
                 "dst='10.71.0.1')/ICMP(), iface='eth0', verbose=0)")
    cap = subprocess.Popen(vswitchd.vsctl_argv + ["capture", "--network", net, "-w",
                                                  "/dev/null"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while vsjson(vswitchd, "stats")["capture"]["sessions"] < 1:
            assert time.monotonic() < deadline, "capture never started"
            time.sleep(0.1)
        text = vsctl_ok(vswitchd, "stats", "--format", "prometheus").stdout
        code, http = scrape(vswitchd)
    finally:
        cap.terminate()
        cap.wait(timeout=10)
    promtool_ok(text)
    assert code == 200
    promtool_ok(http)
    s = samples(text)
    port = lambda name, c: s[(name, frozenset({("network", net), ("container", c),
                                               ("port", f"{c}:eth0")}))]
    assert port("vswitch_port_rx_packets_total", c1) >= 3
    assert port("vswitch_port_tx_bytes_total", c2) > 0
    drops = {dict(k[1])["reason"]: v for k, v in s.items()
             if k[0] == "vswitch_port_drops_total" and ("container", c1) in k[1]}
    assert drops and all(v > 0 for v in drops.values())
    assert s[("vswitch_fdb_entries", frozenset({("network", net)}))] >= 2
    assert sum(v for k, v in s.items()
               if k[0] == "vswitch_conntrack_entries" and ("proto", "icmp") in k[1]) >= 1
    assert s[("vswitch_nat_ports_in_use", frozenset({("proto", "icmp")}))] >= 1
    assert s[("vswitch_dns_queries_total", frozenset())] >= 1
    assert s[("vswitch_dns_answers_total", frozenset())] >= 1
    assert s[("vswitch_capture_sessions", frozenset())] == 1
    # the endpoint serves the same families from a snapshot of the same counters
    h = samples(http)
    assert {k[0] for k in h} == {k[0] for k in s}
    assert h[("vswitch_capture_sessions", frozenset())] in (0, 1)
    # one HELP and one TYPE per family, each before its samples
    helps = re.findall(r"^# HELP (\S+)", text, re.M)
    assert len(helps) == len(set(helps))


def test_endpoint_refuses_other_requests(vswitchd):
    assert scrape(vswitchd, "/")[0] == 404
    assert scrape(vswitchd, "/metrics/x")[0] == 404
    r = subprocess.run(["ip", "netns", "exec", vswitchd.ns, "curl", "-s", "-m", "10",
                        "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST",
                        f"http://127.0.0.1:{PORT}/metrics"],
                       capture_output=True, text=True, timeout=30)
    assert r.stdout == "405"
    # the switch answers on as before
    vsctl_ok(vswitchd, "network", "ls")


@pytest.mark.parametrize("bad", ["nope", "127.0.0.1:", "127.0.0.1:70000", "host:80",
                                 "[::1:80"])
def test_bad_listen_address_stops_startup(topo, tmp_path, bad):
    vswitchd_bin = find_binary("vswitchd")
    ns = topo.container("d")
    r = subprocess.run(["ip", "netns", "exec", ns, vswitchd_bin, "--state-dir",
                        str(tmp_path / "st"), "--socket", str(tmp_path / "s.sock"),
                        "--metrics-listen", bad],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode != 0
    assert "--metrics-listen" in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_stats_prometheus_only_for_stats(vswitchd):
    r = vswitchd.vsctl("--format", "prometheus", "network", "ls")
    assert r.returncode == 2 and "stats" in r.stderr
