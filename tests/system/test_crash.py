"""test_crash.py - kill -9 in the middle of vsctl commands (issue 9 item 5).

Two kinds of test.  The first two make the crash exactly where it hurts:
a state file that says a connect or a disconnect was cut short
("pending"), next to the interface that command had made; the next start
must undo the connect or finish the disconnect, and leave nothing behind
in the kernel.

The last runs a burst of random vsctl commands (network create/rm,
connect/disconnect by TAP and veth, port publish/unpublish), kills
vswitchd with SIGKILL at a random point, starts it again on the same state
dir and checks, over several rounds:
  - it starts (the state loads);
  - every command that answered is applied, every one refused is not, and
    the one in flight is either applied whole or not at all;
  - the kernel agrees with the listings: each endpoint has its interface,
    address and MAC in its namespace, no namespace has an interface no
    endpoint claims, each veth endpoint has its host end and no stray one
    is left, /etc/netns/NS/resolv.conf exists exactly for connected
    containers;
  - IPAM has no address twice and none leaked (a new connect gets the
    lowest free address);
  - two containers connected before the burst still reach each other.

The seed is random per run and printed with any failure; VS_CRASH_SEED
replays a run, VS_CRASH_ROUNDS sets the number of rounds.
"""
import ipaddress
import json
import os
import random
import threading

import pytest
from vsutil import make_net, nsx, sh, state_read, state_write, vsctl_ok, vsjson, wait_for

SEED = int(os.environ.get("VS_CRASH_SEED", random.randrange(1 << 30)))
ROUNDS = int(os.environ.get("VS_CRASH_ROUNDS", "4"))
NETS = {f"b{i}": f"10.93.{i}.0/24" for i in range(3)}
CTRS = [f"k{i}" for i in range(4)]


def links(ns):
    """{ifname: link} in namespace NS, without lo."""
    out = json.loads(sh("ip", "-j", "-n", ns, "addr", "show").stdout or "[]")
    return {link["ifname"]: link for link in out if link["ifname"] != "lo"}


def host_veths(vswitchd):
    out = json.loads(sh("ip", "-j", "-n", vswitchd.ns, "link", "show", "type",
                        "veth").stdout or "[]")
    return {link["ifname"] for link in out if link["ifname"].startswith("vs")}


def state_file(vswitchd):
    return os.path.join(vswitchd.state_dir, "state.json")


def mark_pending(vswitchd, ctr, net, what):
    """Edit the (stopped) daemon's state: CTR's endpoint on NET becomes a
    connect or disconnect that was cut short."""
    st = state_read(vswitchd.state_dir)
    ep = next(e for c in st["containers"] if c["name"] == ctr
              for e in c["endpoints"] if e["network"] == net)
    ep["pending"] = what
    state_write(vswitchd.state_dir, st)


def resolv_conf(ns):
    return f"/etc/netns/{ns}/resolv.conf"


# ------------------------------------------------------------------ exact

@pytest.mark.parametrize("attach", ["tap", "veth"])
def test_interrupted_connect_is_undone(vswitchd, topo, attach):
    net = make_net(vswitchd, "--subnet", "10.94.0.0/24")
    ns = topo.container("c1")
    ep = vsjson(vswitchd, "network", "connect", "--netns", ns, "--attach", attach,
                net, "c1")
    assert len(host_veths(vswitchd)) == (attach == "veth")
    assert "eth0" in links(ns) and os.path.exists(resolv_conf(ns))
    vswitchd.stop(kill9=True)
    # as if killed after the intent was saved and the interface made, but
    # before the commit
    mark_pending(vswitchd, "c1", net, "connect")
    vswitchd.start()
    assert "c1" not in [c["name"] for c in vsjson(vswitchd, "container", "ls")]
    assert links(ns) == {}, "the half-made interface is still there"
    assert host_veths(vswitchd) == set()
    assert not os.path.exists(resolv_conf(ns))
    assert "a connect was interrupted; undoing it" in vswitchd.log()
    with open(state_file(vswitchd)) as f:
        assert "pending" not in f.read()
    # nothing leaked: the same connect gets the same address again
    again = vsjson(vswitchd, "network", "connect", "--netns", ns, "--attach", attach,
                   net, "c1")
    assert again["ip"] == ep["ip"] and again["ifname"] == "eth0"


@pytest.mark.parametrize("attach", ["tap", "veth"])
def test_interrupted_disconnect_is_finished(vswitchd, topo, attach):
    keep = make_net(vswitchd, "--subnet", "10.95.0.0/24")
    net = make_net(vswitchd, "--subnet", "10.95.1.0/24")
    ns = topo.container("c1")
    vsctl_ok(vswitchd, "network", "connect", "--netns", ns, keep, "c1")
    vsctl_ok(vswitchd, "network", "connect", "--attach", attach, net, "c1")
    assert set(links(ns)) == {"eth0", "eth1"}
    vswitchd.stop(kill9=True)
    # as if killed after the disconnect was committed, before the interface
    # was removed
    mark_pending(vswitchd, "c1", net, "disconnect")
    vswitchd.start()
    (c1,) = [c for c in vsjson(vswitchd, "container", "ls") if c["name"] == "c1"]
    assert [e["network"] for e in c1["endpoints"]] == [keep]
    assert set(links(ns)) == {"eth0"}
    assert host_veths(vswitchd) == set()
    assert "a disconnect was interrupted; finishing it" in vswitchd.log()
    # the network is free to go, the interface name free to take again
    vsctl_ok(vswitchd, "network", "rm", net)
    net2 = make_net(vswitchd, "--subnet", "10.95.2.0/24")
    assert vsjson(vswitchd, "network", "connect", net2, "c1")["ifname"] == "eth1"


def test_container_lives_while_it_has_published_ports(vswitchd, topo):
    """A container whose last endpoint went but that still has a published
    port is kept, across a restart too; its last unpublish ends it."""
    net = make_net(vswitchd, "--subnet", "10.97.0.0/24")
    vsctl_ok(vswitchd, "network", "connect", "--netns", topo.container("c1"), net, "c1")
    vsctl_ok(vswitchd, "port", "publish", "c1", "22000:80")
    vsctl_ok(vswitchd, "network", "disconnect", net, "c1")
    before = vsjson(vswitchd, "container", "ls")
    assert [(c["name"], c["endpoints"]) for c in before] == [("c1", [])]
    vswitchd.restart(kill9=True)
    assert vsjson(vswitchd, "container", "ls") == before
    assert [p["text"] for p in vsjson(vswitchd, "port", "ls", "c1")] == [
        "80/tcp -> 0.0.0.0:22000"]
    vsctl_ok(vswitchd, "port", "unpublish", "c1", "22000:80")
    assert vsjson(vswitchd, "container", "ls") == []
    vswitchd.restart(kill9=True)
    assert vsjson(vswitchd, "container", "ls") == []


# ------------------------------------------------------------------ burst

SPECS = ["%d:80", "%d:81", "%d:53/udp"]


def spec_of(ctr, j):
    return SPECS[j] % (21000 + 10 * CTRS.index(ctr) + j)


def spec_text(spec):
    """'21000:80' -> '80/tcp -> 0.0.0.0:21000', as port ls prints it."""
    hp, rest = spec.split(":")
    cport, _, proto = rest.partition("/")
    return f"{cport}/{proto or 'tcp'} -> 0.0.0.0:{hp}"


class Model:
    """What the switch should hold, in terms vsctl shows."""

    def __init__(self, nets=(), eps=None, pubs=None):
        self.nets = set(nets)
        self.eps = dict(eps or {})              # (net, ctr) -> attach
        self.pubs = {c: set(p) for c, p in (pubs or {}).items() if p}

    def copy(self):
        return Model(self.nets, self.eps, self.pubs)

    def containers(self):
        return {c for _, c in self.eps} | set(self.pubs)

    def key(self):
        return (sorted(self.nets), sorted(self.eps), sorted(
            (c, sorted(p)) for c, p in self.pubs.items()))

    def apply(self, op):
        """The model after OP, or None if the daemon must refuse OP."""
        m, kind = self.copy(), op[0]
        if kind == "create":
            if op[1] in m.nets:
                return None
            m.nets.add(op[1])
        elif kind == "rm":
            if op[1] not in m.nets or any(n == op[1] for n, _ in m.eps):
                return None
            m.nets.discard(op[1])
        elif kind == "connect":
            if op[1] not in m.nets or (op[1], op[2]) in m.eps:
                return None
            m.eps[(op[1], op[2])] = op[3]
        elif kind == "disconnect":
            if (op[1], op[2]) not in m.eps:
                return None
            del m.eps[(op[1], op[2])]
        elif kind == "publish":
            if not any(c == op[1] for _, c in m.eps) or op[2] in m.pubs.get(op[1], ()):
                return None
            m.pubs.setdefault(op[1], set()).add(op[2])
        elif kind == "unpublish":
            if op[2] not in m.pubs.get(op[1], ()):
                return None
            m.pubs[op[1]].discard(op[2])
            if not m.pubs[op[1]]:
                del m.pubs[op[1]]
        return m


def random_op(rng, m):
    """An op for model M: mostly one that can succeed, sometimes any."""
    net, ctr = rng.choice(sorted(NETS)), rng.choice(CTRS)
    attach = rng.choice(["tap", "veth"])
    spec = spec_of(ctr, rng.randrange(len(SPECS)))
    anything = [("create", net), ("rm", net), ("connect", net, ctr, attach),
                ("disconnect", net, ctr), ("publish", ctr, spec), ("unpublish", ctr, spec)]
    if rng.random() < 0.15:
        return rng.choice(anything)
    cands = [("create", n) for n in NETS] + [("rm", n) for n in NETS]
    cands += [("connect", n, c, attach) for n in NETS for c in CTRS]
    cands += [("disconnect", n, c) for n, c in m.eps]
    cands += [("publish", c, spec_of(c, j)) for c in CTRS for j in range(len(SPECS))]
    cands += [("unpublish", c, p) for c, ps in m.pubs.items() for p in ps]
    cands = sorted(op for op in cands if m.apply(op) is not None)
    return rng.choice(cands) if cands else rng.choice(anything)


def argv(topo, op):
    kind = op[0]
    if kind == "create":
        return ["network", "create", "--subnet", NETS[op[1]], op[1]]
    if kind == "rm":
        return ["network", "rm", op[1]]
    if kind == "connect":
        return ["network", "connect", "--netns", topo.container(op[2]), "--attach", op[3],
                op[1], op[2]]
    if kind == "disconnect":
        return ["network", "disconnect", op[1], op[2]]
    return ["port", kind, op[1], op[2]]


class Burst(threading.Thread):
    """Run random ops against the daemon until told to stop; record each
    op with its outcome: True (answered ok), False (refused), or None (no
    answer: the daemon died under it)."""

    def __init__(self, vswitchd, topo, rng, model):
        super().__init__(daemon=True)
        self.vs, self.topo, self.rng, self.model = vswitchd, topo, rng, model
        self.stop_flag = threading.Event()
        self.started = threading.Semaphore(0)
        self.log = []

    def run(self):
        m = self.model
        while not self.stop_flag.is_set():
            op = random_op(self.rng, m)
            self.started.release()
            r = self.vs.vsctl(*argv(self.topo, op), timeout=30)
            if r.returncode == 0:
                outcome = True
            elif r.returncode == 1 and not any(w in r.stderr for w in (
                    "closed before its reply", "cannot connect", "cannot send")):
                outcome = False
            else:
                outcome = None
            self.log.append((op, outcome, r.stderr.strip()))
            if outcome is None:
                return
            nm = m.apply(op)
            if outcome and nm is not None:
                m = nm


def observed(vswitchd):
    m = Model()
    m.nets = {n["name"] for n in vsjson(vswitchd, "network", "ls") if n["name"] in NETS}
    texts = {spec_text(spec_of(c, j)): spec_of(c, j) for c in CTRS for j in range(len(SPECS))}
    ctrs = vsjson(vswitchd, "container", "ls")
    for c in ctrs:
        if c["name"] not in CTRS:
            continue
        for e in c["endpoints"]:
            m.eps[(e["network"], c["name"])] = e["attach"]
        pubs = {texts[p["text"]] for p in vsjson(vswitchd, "port", "ls", c["name"])}
        if pubs:
            m.pubs[c["name"]] = pubs
    return m, ctrs


def check_outcomes(log, start, why):
    """Replay LOG from model START: every answered op as the model says.
    Returns (model after the answered ops, the op in flight or None)."""
    m, inflight = start, None
    for op, outcome, err in log:
        nm = m.apply(op)
        if outcome is None:
            inflight = op
            break
        assert outcome == (nm is not None), f"{why}: {op} answered {outcome}: {err}"
        if nm is not None:
            m = nm
    return m, inflight


def check_kernel(vswitchd, topo, ctrs, why):
    """Interfaces, addresses, MACs, veth host ends and resolv.conf files
    agree with the container listing."""
    n_veth = 0
    for c in ctrs:
        ns = topo.containers.get(c["name"])
        if ns is None:
            continue
        have = links(ns)
        assert set(have) == {e["ifname"] for e in c["endpoints"]}, f"{why}: {c}"
        for e in c["endpoints"]:
            link = have[e["ifname"]]
            addrs = {f"{a['local']}/{a['prefixlen']}" for a in link.get("addr_info", [])
                     if a["family"] == "inet"}
            assert addrs == {f"{e['ip']}/{e['prefix']}"}, f"{why}: {e} has {addrs}"
            assert link["address"] == e["mac"], f"{why}: {e}"
            n_veth += e["attach"] == "veth"
        if c["name"] in CTRS:
            assert os.path.exists(resolv_conf(ns)) == bool(c["endpoints"]), f"{why}: {c}"
    listed = {c["name"] for c in ctrs}
    for name in CTRS:
        if name not in listed and name in topo.containers:
            assert links(topo.containers[name]) == {}, f"{why}: leftover in {name}"
            assert not os.path.exists(resolv_conf(topo.containers[name])), why
    assert len(host_veths(vswitchd)) == n_veth, f"{why}: veth host ends"


def check_ipam(vswitchd, topo, ctrs, why):
    """No address twice, none outside its subnet or on the gateway, and a
    new connect gets the lowest free address (nothing leaked)."""
    used = {}
    for c in ctrs:
        for e in c["endpoints"]:
            used.setdefault(e["network"], []).append(ipaddress.ip_address(e["ip"]))
    for net, ips in used.items():
        assert len(ips) == len(set(ips)), f"{why}: {net} has {ips}"
    for net in sorted(n for n in NETS if n in {x["name"] for x in vsjson(
            vswitchd, "network", "ls")}):
        sub = ipaddress.ip_network(NETS[net])
        taken = set(used.get(net, [])) | {sub.network_address + 1}
        assert all(ip in sub for ip in taken), f"{why}: {net}"
        want = next(h for h in sub.hosts() if h not in taken)
        got = vsjson(vswitchd, "network", "connect", "--netns", topo.container("probe"),
                     net, "probe")
        vsctl_ok(vswitchd, "network", "disconnect", net, "probe")
        assert got["ip"] == str(want), f"{why}: probe on {net} got {got['ip']}, want {want}"


def ping(ns, ip):
    return nsx(ns, "ping", "-n", "-c", "1", "-W", "1", ip, check=False).returncode == 0


def test_kill9_mid_burst(vswitchd, topo):
    rng = random.Random(SEED)
    base = make_net(vswitchd, "--subnet", "10.96.0.0/24")
    a = vsjson(vswitchd, "network", "connect", "--netns", topo.container("a"), base, "a")
    vsjson(vswitchd, "network", "connect", "--netns", topo.container("b"), "--attach", "veth",
           base, "b")
    for name in CTRS:
        topo.container(name)
    assert wait_for(lambda: ping(topo.container("b"), a["ip"]), 10)
    model = Model()
    for rnd in range(ROUNDS):
        why = f"seed {SEED} round {rnd}"
        burst = Burst(vswitchd, topo, rng, model)
        n_ops = rng.randrange(3, 25)
        burst.start()
        for _ in range(n_ops):
            assert burst.started.acquire(timeout=60), f"{why}: burst stalled"
        # land inside the command just started, or between two
        threading.Event().wait(rng.uniform(0, 0.02))
        burst.stop_flag.set()
        vswitchd.stop(kill9=True)
        burst.join(60)
        assert not burst.is_alive(), why
        vswitchd.start()
        answered, inflight = check_outcomes(burst.log, model, why)
        got, ctrs = observed(vswitchd)
        allowed = [answered.key()]
        if inflight is not None and answered.apply(inflight) is not None:
            allowed.append(answered.apply(inflight).key())
        assert got.key() in allowed, (
            f"{why}: after {burst.log[-3:]} the switch holds {got.key()}, "
            f"expected one of {allowed}")
        with open(state_file(vswitchd)) as f:
            assert "pending" not in f.read(), why
        check_kernel(vswitchd, topo, ctrs, why)
        check_ipam(vswitchd, topo, ctrs, why)
        assert wait_for(lambda: ping(topo.container("b"), a["ip"]), 10), \
            f"{why}: traffic between a and b did not resume"
        model = got


# ------------------------------------------------------------ the journal

def journal_lines(vswitchd):
    with open(os.path.join(vswitchd.state_dir, "state.journal")) as f:
        return f.read().splitlines()


def connect_some(vswitchd, topo, net, names):
    for name in names:
        vsctl_ok(vswitchd, "network", "connect", "--netns", topo.container(name), net, name)


def test_kill9_between_journal_appends_and_compaction(vswitchd, topo):
    """Connects after the last compaction live only in the journal: a kill -9
    then loses none of them, and the start folds them into state.json."""
    net = make_net(vswitchd, "--subnet", "10.98.0.0/24")    # a compaction
    names = [f"j{i}" for i in range(6)]
    connect_some(vswitchd, topo, net, names)
    vsctl_ok(vswitchd, "network", "disconnect", net, "j5")
    vsctl_ok(vswitchd, "port", "publish", "j4", "7301:80")
    # each connect and disconnect is two records, a publish one
    assert len(journal_lines(vswitchd)) == 1 + 2 * 7 + 1
    with open(state_file(vswitchd)) as f:
        assert "j0" not in f.read()
    vswitchd.stop(kill9=True)
    vswitchd.start()
    ctrs = {c["name"]: c for c in vsjson(vswitchd, "container", "ls")}
    assert set(ctrs) == set(names) - {"j5"}
    assert all(c["endpoints"][0]["network"] == net for c in ctrs.values())
    assert "eth0" in links(topo.container("j0")) and links(topo.container("j5")) == {}
    assert [p["host_port"] for p in vsjson(vswitchd, "port", "ls", "j4")] == [7301]
    assert "state journal" in vswitchd.log() and "15 changes replayed" in vswitchd.log()
    assert vsjson(vswitchd, "stats")["state"] == {
        "journal_records": 0, "journal_bytes": len(journal_lines(vswitchd)[0]) + 1,
        "journal_torn": 0, "compactions": 1}
    st = state_read(vswitchd.state_dir)
    with open(state_file(vswitchd)) as f:
        assert json.load(f)["containers"] == st["containers"]   # compacted
    # and the journal goes on from there
    connect_some(vswitchd, topo, net, ["j6"])
    vswitchd.stop(kill9=True)
    vswitchd.start()
    assert "j6" in [c["name"] for c in vsjson(vswitchd, "container", "ls")]


def test_torn_last_journal_record_is_dropped(vswitchd, topo):
    """A record cut short by the crash is dropped, with a warning; every
    record before it loads."""
    net = make_net(vswitchd, "--subnet", "10.98.1.0/24")
    connect_some(vswitchd, topo, net, ["t0", "t1"])
    vswitchd.stop(kill9=True)
    with open(os.path.join(vswitchd.state_dir, "state.journal"), "a") as f:
        f.write('{"container":"t2","state":{"name":"t2","endpo')
    vswitchd.start()
    assert sorted(c["name"] for c in vsjson(vswitchd, "container", "ls")) == ["t0", "t1"]
    assert "dropped a torn last record" in vswitchd.log()
    st = vsjson(vswitchd, "stats")["state"]
    assert st["journal_torn"] == 1 and st["compactions"] == 1   # the start's
    vsctl_ok(vswitchd, "network", "connect", "--netns", topo.container("t2"), net, "t2")
