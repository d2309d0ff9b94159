"""test_docker.py - `docker network create -d vswitch` with a real dockerd.

One dockerd (Debian's docker.io 20.10) for the module, started the way
research/runtimes.md 2.6 found to work: in the switch's namespace (on a
host dockerd, vswitchd and the plugin share the host's), inside a private
mount namespace with tmpfs over /run and /etc/docker (so /run/docker and
/etc/docker/key.json never reach the machine), its own data-root,
exec-root, socket and cgroup parent, `--bridge=none --iptables=false`,
and a busybox image imported offline.  The plugin listens on
/run/docker/plugins/<prefix>vs.sock in that mount namespace, so the driver
name is unique to the run.  vswitchd has an uplink to an outside host
(198.51.100.254) for NAT and published ports.

Each test makes its own Docker networks and containers and removes them;
the module's teardown removes everything, also on failure.
"""
import json
import os
import shutil
import subprocess

import pytest

import topo as topo_mod
from dockerutil import (Dockerd, HolderVswitchd, MountHolder, Plugin, docker_missing,
                        find_plugin)
from vsutil import nsx, scaled, vsjson, wait_for

OUTSIDE = topo_mod.OUTSIDE_IP
UPLINK = topo_mod.UPLINK_IP


class World:
    def __init__(self, topo, vs, plugin, dockerd, driver):
        self.topo, self.vs, self.plugin, self.d, self.driver = topo, vs, plugin, dockerd, driver

    def docker(self, *args, **kw):
        return self.d.docker(*args, **kw)

    def network(self, name, *opts):
        """docker network create -d DRIVER OPTS NAME; its id."""
        return self.docker("network", "create", "-d", self.driver, *opts, name).stdout.strip()

    def run(self, name, net, *opts, cmd=("httpd", "-f", "-p", "80", "-h", "/www")):
        self.docker("run", "-d", "--name", name, "--network", net, *opts, self.d.image, *cmd)
        return name

    def exec(self, name, *cmd, check=True, timeout=30):
        return self.docker("exec", name, *cmd, check=check, timeout=timeout)

    def pid(self, name):
        return int(self.docker("inspect", "-f", "{{.State.Pid}}", name).stdout)

    def endpoint(self, name, net):
        """The vswitch container of NAME's endpoint on Docker network NET."""
        eid = self.docker("inspect", "-f",
                          "{{(index .NetworkSettings.Networks \"%s\").EndpointID}}" % net,
                          name).stdout.strip()
        return "docker-" + eid[:12]

    def ip(self, name, net):
        return self.docker("inspect", "-f",
                           "{{(index .NetworkSettings.Networks \"%s\").IPAddress}}" % net,
                           name).stdout.strip()

    def links_here(self):
        """Interfaces in dockerd's (= vswitchd's) namespace."""
        return sorted(x["ifname"] for x in
                      json.loads(nsx(self.vs.ns, "ip", "-j", "link", "show").stdout))


@pytest.fixture(scope="module")
def world():
    if os.geteuid() != 0:
        pytest.skip("needs root")
    why = docker_missing()
    if why:
        pytest.skip(why)
    bins = {n: topo_mod.find_binary(n) for n in ("vswitchd", "vsctl")}
    pbin = find_plugin()
    if not all(bins.values()) or not pbin:
        pytest.skip("vswitchd, vsctl or vswitch-docker-plugin not built")
    t = topo_mod.Topo(topo_mod.new_prefix())
    holder = vs = plugin = d = None
    try:
        holder = MountHolder()
        vs = HolderVswitchd(t, bins["vswitchd"], bins["vsctl"], [], uplink=True)
        vs.holder = holder
        vs.start()
        driver = t.prefix + "vs"
        plugin = Plugin(vs, pbin, driver, holder, os.path.join(vs.tmp, "docker.sock"))
        plugin.start()
        d = Dockerd(holder, vs.ns, vs.tmp, t.prefix)
        d.start()
        yield World(t, vs, plugin, d, driver)
    finally:
        if d:
            d.stop()
        if plugin:
            plugin.stop()
        if vs:
            vs.stop()
        if holder:
            holder.stop()
        t.teardown()
        if vs and not os.environ.get("VS_KEEP_TMP"):
            vs.cleanup()


@pytest.fixture
def w(world, request):
    """The module's world; after each test its containers and networks go,
    and a failure shows the logs."""
    yield world
    ids = world.docker("ps", "-aq", check=False).stdout.split()
    if ids:
        world.docker("rm", "-f", *ids, check=False)
    nets = world.docker("network", "ls", "-q", "--filter", f"driver={world.driver}",
                        check=False).stdout.split()
    if nets:
        world.docker("network", "rm", *nets, check=False)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    wld = item.funcargs.get("world") if hasattr(item, "funcargs") else None
    if wld and rep.failed and rep.when == "call":
        rep.sections.append(("dockerd log", wld.d.log()))
        rep.sections.append(("plugin log", wld.plugin.log()[-4000:]))
        rep.sections.append(("vswitchd log", wld.vs.log(tail=80)))


def ping(w, name, ip):
    return w.exec(name, "ping", "-c", "1", "-W", "2", ip, check=False).returncode == 0


def wget(w, name, url):
    r = w.exec(name, "timeout", "5", "wget", "-qO-", url, check=False)
    return r.stdout if r.returncode == 0 else None


def curl(ns, url):
    r = nsx(ns, "curl", "-s", "-m", "5", url, check=False)
    return r.stdout if r.returncode == 0 else None


def test_two_containers_names_gateway_and_nat(w):
    w.network("n1", "--subnet", "10.91.0.0/24")
    w.run("c1", "n1")
    w.run("c2", "n1")
    assert w.ip("c1", "n1") == "10.91.0.2"
    assert ping(w, "c2", "10.91.0.1")
    assert ping(w, "c2", w.ip("c1", "n1"))
    assert wget(w, "c2", "http://c1/") == "hello from vswitch\n"
    assert ping(w, "c2", OUTSIDE), "no egress through NAT"
    # The interface Docker moved and renamed: MTU, MAC, nothing extra.
    ep = w.endpoint("c1", "n1")
    ctr = {c["name"]: c for c in vsjson(w.vs, "container", "ls")}[ep]
    assert ctr["netns"].startswith(w.d.exec_root + "/netns/")
    assert ctr["endpoints"][0]["ifname"] == "eth0"
    assert ctr["endpoints"][0]["ip"] == "10.91.0.2"
    assert ctr["endpoints"][0]["owner"] == "docker"
    # Docker's name, learned after Join: in container ls and for capture.
    assert wait_for(lambda: {c["name"]: c for c in vsjson(w.vs, "container", "ls")}
                    [ep]["dns_name"] == "c1", 10)
    cap = os.path.join(w.vs.tmp, "c1.pcap")
    p = subprocess.Popen(w.vs.vsctl_argv + ["capture", "--container", "c1", "--filter", "icmp",
                                            "-c", "2", "-w", cap],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_for(lambda: ping(w, "c2", "10.91.0.2") and p.poll() is not None, 10)
    assert p.wait(scaled(10)) == 0, p.stderr.read()
    dump = subprocess.run(["tcpdump", "-nr", cap], capture_output=True, text=True).stdout
    assert "10.91.0.3 > 10.91.0.2: ICMP echo request" in dump, dump
    # vswitch's resolver at the gateway knows Docker's names too.
    r = w.exec("c2", "nslookup", "c1", "10.91.0.1", check=False)
    assert "10.91.0.2" in r.stdout.split("Name:")[-1], r.stdout + r.stderr


def test_rm_leaves_nothing(w):
    before = w.links_here()
    w.network("n2")
    w.run("c1", "n2")
    # Only vswitchd's end of the veth stays here (dockerd and vswitchd
    # share this namespace, as on a host); Docker moved the other away.
    added = set(w.links_here()) - set(before)
    assert len(added) == 1 and added.pop().startswith("vs")
    w.docker("rm", "-f", "c1")
    w.docker("network", "rm", "n2")
    assert w.links_here() == before
    assert vsjson(w.vs, "container", "ls") == []
    assert not [n for n in vsjson(w.vs, "network", "ls") if n["name"].startswith("docker-")]


UDP_ECHO = """
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 80))
while True:
    data, peer = s.recvfrom(2048)
    s.sendto(data + b" from " + peer[0].encode(), peer)
"""

UDP_ASK = """
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(1)
for _ in range(10):
    s.sendto(b"hi", (sys.argv[1], int(sys.argv[2])))
    try:
        print(s.recv(2048).decode())
        break
    except socket.timeout:
        pass
"""


def test_published_ports_all_forms(w):
    """-p 8080:80 (DNAT on the uplink address with the client's own source
    address seen in the container, and the proxy on the host), -p 80 (a
    host port vswitch picks), -p 127.0.0.1:8084:80 and -p 127.0.0.1::80/udp."""
    w.network("np", "--subnet", "10.92.0.0/24")
    w.run("web", "np", "-p", "8080:80", "-p", "80", "-p", "127.0.0.1:8084:80",
          "-p", "127.0.0.1::80/udp")
    out = w.topo.outside[0]
    # busybox httpd listens on [::]: an IPv4 client is ::ffff:a.b.c.d to it.
    seen = wait_for(lambda: curl(out, f"http://{UPLINK}:8080/cgi-bin/ip"), 5)
    assert seen and seen.strip().strip("[]").replace("::ffff:", "") == OUTSIDE
    assert curl(w.vs.ns, "http://127.0.0.1:8080/") == "hello from vswitch\n"
    ports = vsjson(w.vs, "port", "ls", w.endpoint("web", "np"))
    tcp0 = [p for p in ports if p["proto"] == "tcp" and p["host_port"] not in (8080, 8084)]
    local = [p for p in ports if p["host_port"] == 8084]
    assert local and local[0]["host_ip"] == "127.0.0.1", ports
    assert curl(w.vs.ns, "http://127.0.0.1:8084/") == "hello from vswitch\n"
    assert curl(out, f"http://{UPLINK}:8084/") is None, "a 127.0.0.1 port answered outside"
    udp = [p for p in ports if p["proto"] == "udp"]
    assert len(tcp0) == 1 and len(udp) == 1, ports
    assert 32768 <= tcp0[0]["host_port"] <= 60999
    assert curl(out, f"http://{UPLINK}:{tcp0[0]['host_port']}/") == "hello from vswitch\n"
    assert udp[0]["host_ip"] == "127.0.0.1" and 32768 <= udp[0]["host_port"] <= 60999
    echo = w.topo.spawn(w.vs.ns, "nsenter", f"--net=/proc/{w.pid('web')}/ns/net",
                        "/usr/bin/python3", "-c", UDP_ECHO)
    r = nsx(w.vs.ns, "/usr/bin/python3", "-c", UDP_ASK, "127.0.0.1", str(udp[0]["host_port"]))
    assert r.stdout.startswith("hi from "), r
    echo.kill()
    # Gone with the container: nothing listens any more.
    w.docker("rm", "-f", "web")
    assert curl(out, f"http://{UPLINK}:8080/") is None
    assert curl(w.vs.ns, "http://127.0.0.1:8080/") is None


def test_connect_disconnect_second_network(w):
    w.network("na", "--subnet", "10.93.0.0/24")
    w.network("nb", "--subnet", "10.94.0.0/24")
    w.run("c1", "na")
    w.run("c2", "nb")
    before = w.links_here()
    assert not ping(w, "c1", "10.94.0.2")
    w.docker("network", "connect", "nb", "c1")
    assert w.ip("c1", "nb") == "10.94.0.3"
    assert ping(w, "c1", "10.94.0.2")
    assert "eth1" in w.exec("c1", "ip", "link").stdout
    w.docker("network", "disconnect", "nb", "c1")
    assert not ping(w, "c1", "10.94.0.2")
    assert "eth1" not in w.exec("c1", "ip", "link").stdout
    assert w.links_here() == before
    eps = [e for c in vsjson(w.vs, "container", "ls") for e in c["endpoints"]]
    assert sorted(e["ip"] for e in eps) == ["10.93.0.2", "10.94.0.2"]


def test_kill9_vswitchd_and_plugin_restart(w):
    w.network("nr", "--subnet", "10.95.0.0/24")
    w.run("c1", "nr", "-p", "8081:80")
    w.run("c2", "nr")
    out = w.topo.outside[0]
    assert wait_for(lambda: curl(out, f"http://{UPLINK}:8081/"), 5)
    w.vs.restart(kill9=True)
    assert wait_for(lambda: ping(w, "c2", "10.95.0.2"), 5), w.vs.log(tail=30)
    assert wait_for(lambda: curl(out, f"http://{UPLINK}:8081/"), 5) == "hello from vswitch\n"
    assert ping(w, "c2", OUTSIDE)
    w.plugin.stop(kill9=True)
    w.plugin.start()
    w.run("c3", "nr")
    assert ping(w, "c3", "10.95.0.2")
    w.docker("rm", "-f", "c3")
    assert len(vsjson(w.vs, "container", "ls")) == 2


def test_internal_mtu_icc_ip_mac(w):
    w.network("ni", "--internal", "--subnet", "10.96.0.0/24",
              "-o", "com.docker.network.driver.mtu=1400",
              "-o", "com.docker.network.bridge.enable_icc=false")
    w.run("c1", "ni", "--ip", "10.96.0.50", "--mac-address", "02:00:00:00:00:50")
    w.run("c2", "ni")
    assert w.ip("c1", "ni") == "10.96.0.50"
    link = w.exec("c1", "ip", "link", "show", "eth0").stdout
    assert "mtu 1400" in link and "02:00:00:00:00:50" in link
    assert ping(w, "c2", "10.96.0.1")
    assert not ping(w, "c2", "10.96.0.50"), "enable_icc=false let containers talk"
    assert not ping(w, "c2", OUTSIDE), "an internal network reached the outside"
    assert "default" not in w.exec("c2", "ip", "route").stdout


def test_docker_shows_plugin_errors(w):
    r = w.docker("network", "create", "-d", w.driver, "-o", "vswitch.bogus=1", "nbad",
                 check=False)
    assert r.returncode != 0 and "remote: unknown option vswitch.bogus" in r.stderr
    r = w.docker("network", "create", "-d", w.driver, "--subnet", "172.17.5.0/24", "nbad",
                 check=False)
    assert r.returncode != 0 and "overlaps network bridge" in r.stderr
    assert "nbad" not in w.docker("network", "ls").stdout


def test_bound_to_vswitch_network(w):
    """-o vswitch.network=NAME: Docker's containers share a vswitch network
    with a namespace connected by vsctl; Docker's addresses from an
    --ip-range of their own."""
    ns = w.topo.container("plain")
    assert w.vs.vsctl("network", "create", "--subnet", "10.98.0.0/24", "--ip-range",
                      "10.98.0.0/25", "shared").returncode == 0
    # vswitchd lives in the mount holder, where /run/netns is not: by pid.
    holder = w.topo.spawn(ns, "sleep", "1000")
    # `ip netns exec` enters NS, then execs sleep: until it has, the pid is
    # in the test's own (the machine's) namespace, which must not be wired
    assert wait_for(lambda: os.stat(f"/proc/{holder.pid}/ns/net").st_ino ==
                    os.stat(f"/run/netns/{ns}").st_ino, 5)
    r = w.vs.vsctl("network", "connect", "--netns", f"pid:{holder.pid}", "shared", "plain")
    assert r.returncode == 0, r.stderr
    try:
        w.network("dn", "--subnet", "10.98.0.0/24", "--gateway", "10.98.0.1",
                  "--ip-range", "10.98.0.128/25", "-o", "vswitch.network=shared")
        w.run("c1", "dn")
        assert w.ip("c1", "dn") == "10.98.0.128"
        assert ping(w, "c1", "10.98.0.2")
        assert nsx(ns, "ping", "-c", "1", "-W", "2", "10.98.0.128", check=False).returncode == 0
        w.docker("rm", "-f", "c1")
        w.docker("network", "rm", "dn")
        assert [n for n in vsjson(w.vs, "network", "ls") if n["name"] == "shared"]
    finally:
        w.vs.vsctl("network", "disconnect", "shared", "plain")
        w.vs.vsctl("network", "rm", "shared")


COMPOSE = """services:
  web:
    image: {image}
    command: httpd -f -p 80 -h /www
    ports: ["8082:80"]
    networks: [front]
  client:
    image: {image}
    command: sleep 1000
    networks: [front]
networks:
  front:
    driver: {driver}
    ipam:
      config: [{{subnet: 10.99.0.0/24}}]
"""


def test_compose(w):
    """A two-service compose file on a vswitch network: names and ports."""
    if not shutil.which("docker-compose"):
        pytest.skip("docker-compose is not installed (apt-get install docker-compose)")
    d = os.path.join(w.vs.tmp, "compose")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "docker-compose.yml"), "w") as f:
        f.write(COMPOSE.format(image=w.d.image, driver=w.driver))
    proj = w.topo.prefix + "c"

    def compose(*args):
        r = subprocess.run(["docker-compose", "-p", proj, *args], cwd=d, env=w.d.env,
                           capture_output=True, text=True, timeout=scaled(120))
        assert r.returncode == 0, r.stderr
        return r
    compose("up", "-d")
    try:
        client = f"{proj}_client_1"
        assert wget(w, client, "http://web/") == "hello from vswitch\n"
        out = w.topo.outside[0]
        assert wait_for(lambda: curl(out, f"http://{UPLINK}:8082/"), 5) == "hello from vswitch\n"
        names = wait_for(lambda: sorted(c["dns_name"] for c in vsjson(w.vs, "container", "ls")
                                        if c["dns_name"]), 10)
        assert names == sorted([client, f"{proj}_web_1"])
    finally:
        compose("down")
    assert vsjson(w.vs, "container", "ls") == []
    assert not [n for n in vsjson(w.vs, "network", "ls") if n["name"].startswith("docker-")]


def test_published_ports_follow_the_gateway_endpoint(w):
    """Docker programs published ports on a sandbox's gateway endpoint and,
    when it leaves, on the next one: the port keeps answering."""
    w.network("g1", "--subnet", "10.88.1.0/24")
    w.network("g2", "--subnet", "10.88.2.0/24")
    w.run("web", "g1", "-p", "8083:80")
    out = w.topo.outside[0]
    assert wait_for(lambda: curl(out, f"http://{UPLINK}:8083/"), 5)
    w.docker("network", "connect", "g2", "web")
    e2 = w.endpoint("web", "g2")
    w.docker("network", "disconnect", "g1", "web")
    assert wait_for(lambda: vsjson(w.vs, "port", "ls", e2), 5), "ports did not move"
    assert wait_for(lambda: curl(out, f"http://{UPLINK}:8083/"), 5) == "hello from vswitch\n"


def test_vswitch_ipam_driver(w):
    """--ipam-driver vswitch: vswitch picks the subnet (from its own pools,
    never one a network holds) and the addresses."""
    w.network("nv", "--ipam-driver", w.driver)
    sub = w.docker("network", "inspect", "-f", "{{(index .IPAM.Config 0).Subnet}}",
                   "nv").stdout.strip()
    held = [n["subnet"] for n in vsjson(w.vs, "network", "ls") if not n["name"].startswith("docker-")]
    assert sub.startswith("172.") and sub not in held, (sub, held)
    w.run("c1", "nv")
    w.run("c2", "nv")
    base = sub.split("/")[0].rsplit(".", 1)[0]
    assert w.ip("c1", "nv") == base + ".2" and w.ip("c2", "nv") == base + ".3"
    assert ping(w, "c2", base + ".2")
    assert ping(w, "c2", base + ".1")
