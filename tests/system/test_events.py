"""test_events.py - `vsctl events` (issue 21, part 6).

Every kind of change arrives as one line, in the order it happened, in
Docker's `docker events --format '{{json .}}'` shape (Type, Action,
Actor.ID, Actor.Attributes, scope, time, timeNano): a network created and
destroyed, an endpoint connected and disconnected, a container's
namespace dying, a port published and unpublished, an upstream resolver
going down and coming back.  A listener that never reads loses events,
counted in `stats` and told to it when it reads again, while the switch,
its other listeners and the datapath go on unslowed.

The DNS upstream is 127.0.0.1:PORT in vswitchd's own namespace: nothing
listens there at first (ICMP port unreachable marks it down), then a
dnsmasq started there answers (the next query marks it up).
"""
import json
import os
import socket
import subprocess
import threading

import pytest
from vsutil import scaled, uniq, vsctl_ok, vsjson, wait_for

UPSTREAM_PORT = 25353
pytestmark = [pytest.mark.uplink,
              pytest.mark.vswitchd_args("--dns-upstream", f"127.0.0.1:{UPSTREAM_PORT}")]


class Listener:
    """`vsctl events` (--format json unless FMT) in the background; a thread
    reads its lines as they come, so this listener is never a slow one."""

    def __init__(self, vswitchd, *fmt):
        before = vsjson(vswitchd, "stats")["events"]["listeners"]
        self.p = subprocess.Popen(vswitchd.vsctl_argv + ["events", *(fmt or ("--format",
                                                                            "json"))],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True)
        self.lines = []
        self.t = threading.Thread(target=self._read, daemon=True)
        self.t.start()
        # The daemon counts a listener once its request is in: wait for it.
        assert wait_for(lambda: vsjson(vswitchd, "stats")["events"]["listeners"] > before,
                        10)

    def _read(self):
        for line in self.p.stdout:
            self.lines.append(line.rstrip("\n"))

    def read_until(self, pred, timeout=10):
        """Wait until PRED(lines so far) holds; returns a copy of the lines."""
        assert wait_for(lambda: pred(list(self.lines)), timeout), \
            f"events so far: {self.lines[-20:]}"
        return list(self.lines)

    def stop(self):
        if self.p.poll() is None:
            self.p.terminate()
            self.p.wait(timeout=10)
        self.t.join(timeout=10)


def kinds(lines):
    evs = [json.loads(l) for l in lines]
    return [(e["Type"], e["Action"]) for e in evs], evs


def test_every_kind_in_order(vswitchd, topo):
    net, ctr = uniq("en"), uniq("ec")
    ev = Listener(vswitchd)
    try:
        vsctl_ok(vswitchd, "network", "create", "--subnet", "10.81.0.0/24", net)
        ns = topo.container(ctr)
        vsctl_ok(vswitchd, "network", "connect", "--netns", ns, net, ctr)
        vsctl_ok(vswitchd, "port", "publish", ctr, "8081:80")
        vsctl_ok(vswitchd, "port", "unpublish", ctr, "8081:80")
        vsctl_ok(vswitchd, "network", "disconnect", net, ctr)
        vsctl_ok(vswitchd, "network", "connect", "--netns", ns, net, ctr)
        vsctl_ok(vswitchd, "port", "publish", ctr, "8082:80")
        subprocess.run(["ip", "netns", "del", ns], check=True)     # the container dies
        want = [("network", "create"), ("network", "connect"), ("port", "publish"),
                ("port", "unpublish"), ("network", "disconnect"), ("network", "connect"),
                ("port", "publish"), ("container", "die"), ("network", "disconnect"),
                ("port", "unpublish")]
        ev.read_until(lambda ls: len(ls) >= len(want), timeout=30)
        vsctl_ok(vswitchd, "network", "rm", net)
        lines = ev.read_until(lambda ls: len(ls) >= len(want) + 1)
        got, evs = kinds(lines)
        assert got == want + [("network", "destroy")]
        nid = evs[0]["Actor"]["ID"]
        assert len(nid) == 64
        for e in evs:
            assert list(e) == ["Type", "Action", "Actor", "scope", "time", "timeNano"]
            assert set(e["Actor"]) == {"ID", "Attributes"} and e["scope"] == "local"
            assert all(isinstance(v, str) for v in e["Actor"]["Attributes"].values())
            assert e["time"] == e["timeNano"] // 10**9
        assert evs[0]["Actor"]["Attributes"] == {"name": net, "type": "vswitch"}
        assert evs[1]["Actor"] == {"ID": nid, "Attributes": {"container": ctr, "name": net,
                                                             "type": "vswitch"}}
        assert evs[2]["Actor"]["Attributes"] == {"container": ctr,
                                                 "mapping": "80/tcp -> 0.0.0.0:8081"}
        assert evs[7]["Actor"]["ID"] == ctr
        times = [e["timeNano"] for e in evs]
        assert times == sorted(times)
    finally:
        ev.stop()


def test_text_and_template(vswitchd):
    net = uniq("et")
    text = Listener(vswitchd, "--format", "table")
    tmpl = Listener(vswitchd, "--format", "{{.Type}} {{.Action}} {{.Actor.Attributes.name}}")
    try:
        vsctl_ok(vswitchd, "network", "create", "--subnet", "10.82.0.0/24", net)
        (line,) = text.read_until(lambda ls: len(ls) >= 1)
        # docker events' text: TIME TYPE ACTION ID (k=v, ...)
        parts = line.split(" ", 4)
        assert parts[0].endswith("Z") and parts[1:3] == ["network", "create"]
        assert parts[4] == f"(name={net}, type=vswitch)"
        assert tmpl.read_until(lambda ls: len(ls) >= 1) == [f"network create {net}"]
    finally:
        text.stop()
        tmpl.stop()
    r = vswitchd.vsctl("events", "--format", "{{.Nope}}")
    assert r.returncode == 2 and ".Action" in r.stderr
    vsctl_ok(vswitchd, "network", "rm", net)


def test_dns_upstream_down_and_up(vswitchd, topo, tmp_path):
    net, ctr = uniq("ed"), uniq("edc")
    vsctl_ok(vswitchd, "network", "create", "--subnet", "10.83.0.0/24", net)
    ns = topo.container(ctr)
    vsctl_ok(vswitchd, "network", "connect", "--netns", ns, net, ctr)
    ev = Listener(vswitchd)
    dig = ["dig", "+time=2", "+tries=1", "@10.83.0.1", "example.test", "+short"]
    up = None
    try:
        topo.ns_exec(ns, *dig, check=False)          # nothing listens: down
        ev.read_until(lambda ls: ("dns", "upstream_down") in kinds(ls)[0])
        conf = tmp_path / "dnsmasq.pid"
        up = subprocess.Popen(["ip", "netns", "exec", vswitchd.ns, "dnsmasq", "-k", "-p",
                               str(UPSTREAM_PORT), "--no-resolv", "--no-hosts",
                               "--address=/example.test/192.0.2.7", "-i", "lo",
                               "--bind-interfaces", f"--pid-file={conf}", "--user=root",
                               "--group=root"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        assert wait_for(lambda: topo.ns_exec(ns, *dig, check=False).stdout.split() ==
                        ["192.0.2.7"], scaled(20))
        lines = ev.read_until(lambda ls: ("dns", "upstream_up") in kinds(ls)[0])
        got, evs = kinds(lines)
        assert got.index(("dns", "upstream_down")) < got.index(("dns", "upstream_up"))
        # a slow host may see the upstream flap (a dig's timeout while
        # dnsmasq starts): every transition names it
        ups = [e for e in evs if e["Action"] in ("upstream_up", "upstream_down")]
        assert ups and all(e["Actor"]["ID"] == f"127.0.0.1:{UPSTREAM_PORT}" for e in ups), ups
    finally:
        ev.stop()
        if up:
            up.terminate()
            up.wait(timeout=10)


def control(vswitchd):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(vswitchd.sock)
    return s


def test_slow_listener_never_slows_the_switch(vswitchd, topo):
    """A listener that does not read: its events are dropped and counted,
    another listener gets every one in order, the datapath and the control
    socket answer throughout, and the slow one hears how many it lost."""
    net, c1, c2 = uniq("es"), uniq("s1"), uniq("s2")
    vsctl_ok(vswitchd, "network", "create", "--subnet", "10.84.0.0/24", net)
    for c in (c1, c2):
        vsctl_ok(vswitchd, "network", "connect", "--netns", topo.container(c), net, c)
    slow = control(vswitchd)
    slow.sendall(b'{"cmd":"events","args":{}}\n')
    f = slow.makefile("rb")
    assert json.loads(f.readline())["ok"] is True
    fast = Listener(vswitchd)
    try:
        # 400 networks created and removed over one pipelined connection:
        # 800 events, far more than the slow listener's bound holds.
        n = 400
        ctl = control(vswitchd)
        names = [f"{net}-{i}" for i in range(n)]
        reqs = b"".join(json.dumps({"cmd": c, "args": a}).encode() + b"\n"
                        for nm in names for c, a in
                        (("network.create", {"name": nm, "subnet": "10.85.0.0/24"}),
                         ("network.rm", {"names": [nm]})))
        ctl.sendall(reqs)
        cf = ctl.makefile("rb")
        for _ in range(2 * n):
            assert json.loads(cf.readline())["ok"] is True
        ctl.close()
        # the datapath and the control socket went on
        topo.ns_exec(topo.container(c1), "ping", "-c", "3", "-W", "5", "10.84.0.3")
        st = vsjson(vswitchd, "stats")["events"]
        assert st["dropped"] > 0 and st["listeners"] == 2
        vsctl_ok(vswitchd, "network", "ls")
        # the other listener kept up: every event, in order (had the burst
        # outrun it on a loaded machine, the gap is announced, never silent)
        expect = [(c, nm) for nm in names for c in ("create", "destroy")]

        def seen(lines):
            evs = [json.loads(l) for l in lines]
            lost = sum(int(e["Actor"]["Attributes"]["count"]) for e in evs
                       if e["Type"] == "events")
            got = [(e["Action"], e["Actor"]["Attributes"]["name"]) for e in evs
                   if e["Type"] == "network"]
            return got, lost
        fast.read_until(lambda ls: len(seen(ls)[0]) + seen(ls)[1] >= 2 * n,
                        timeout=60)
        got, fast_lost = seen(fast.lines)
        assert len(got) + fast_lost == 2 * n
        it = iter(expect)
        assert all(g in it for g in got), "events out of order"
        # the slow one now reads: what it kept, then how many it lost
        slow.settimeout(30)
        kept, lost = [], None
        while lost is None:
            e = json.loads(f.readline())
            if e["Type"] == "events":
                lost = int(e["Actor"]["Attributes"]["count"])
            else:
                kept.append((e["Action"], e["Actor"]["Attributes"]["name"]))
        assert lost > 0 and len(kept) + lost == 2 * n
        assert kept == expect[:len(kept)]
        assert lost + fast_lost == vsjson(vswitchd, "stats")["events"]["dropped"]
    finally:
        fast.stop()
        slow.close()
