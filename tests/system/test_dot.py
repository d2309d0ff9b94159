"""test_dot.py - `vsctl show --format dot` (issue 21, part 5).

The picture of what is connected to what: Graphviz must accept it
(`dot -Tsvg`), and it must hold what the switch holds: every network with
its subnet and gateway, every container joined to its networks by its
interface and address, the uplink, and published ports.
"""
import shutil
import subprocess

import pytest
from vsutil import uniq, vsctl_ok

pytestmark = [pytest.mark.uplink]


def render(dot_text):
    tool = shutil.which("dot")
    if not tool:
        pytest.fail("dot missing: apt-get install graphviz (tools/install-deps.sh)")
    r = subprocess.run([tool, "-Tsvg"], input=dot_text, capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0 and not r.stderr.strip(), r.stderr
    return r.stdout


def test_dot_draws_the_switch(vswitchd, topo):
    n1, n2, c1, c2 = uniq("dn"), uniq("di"), uniq("dc"), uniq("dd")
    vsctl_ok(vswitchd, "network", "create", "--subnet", "10.91.0.0/24", n1)
    vsctl_ok(vswitchd, "network", "create", "--subnet", "10.92.0.0/24", "--internal", n2)
    vsctl_ok(vswitchd, "network", "connect", "--netns", topo.container(c1), n1, c1)
    vsctl_ok(vswitchd, "network", "connect", "--netns", topo.container(c2), n1, c2)
    vsctl_ok(vswitchd, "network", "connect", n2, c2)
    vsctl_ok(vswitchd, "port", "publish", c1, "8088:80")
    dot = vsctl_ok(vswitchd, "show", "--format", "dot").stdout
    assert dot.startswith("graph vswitch {") and dot.rstrip().endswith("}")
    svg = render(dot)
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    for text in (f"network {n1}", "L2 10.91.0.0/24", "gateway", "10.91.0.1",
                 "eth0 10.91.0.2", "eth0 10.91.0.3", "eth1 10.92.0.2",
                 "80/tcp -> 0.0.0.0:8088", "uplink afpacket:up0", "internal", c1, c2):
        assert text in dot, text
    # and Graphviz drew them (it escapes - and > in SVG text)
    assert f"network {n1}" in svg and "0.0.0.0:8088" in svg
    # the internal network has no way to the uplink; n1 has one
    assert f'"gw:{n1}" -- "uplink"' in dot and f'"gw:{n2}" -- "uplink"' not in dot
    # the table forms are unchanged, and dot is for show only
    assert vsctl_ok(vswitchd, "show").stdout.startswith("Network ")
    r = vswitchd.vsctl("network", "ls", "--format", "dot")
    assert r.returncode == 2 and "show" in r.stderr


def test_dot_without_uplink_or_containers(topo):
    """A switch with nothing but the default network still draws."""
    import topo as topo_mod
    vs = topo_mod.Vswitchd(topo, topo_mod.find_binary("vswitchd"),
                           topo_mod.find_binary("vsctl"), [], False)
    vs.start()
    try:
        dot = vsctl_ok(vs, "show", "--format", "dot").stdout
        assert "uplink" not in dot and '"net:bridge"' in dot
        render(dot)
    finally:
        vs.stop()
        vs.cleanup()
