"""test_vxlan.py - networks across hosts through VXLAN (issue 18, the data path).

Control plane without a store: `network create --driver overlay`, the VNI in
inspect's Options as Docker's overlay driver shows it, `network vtep add|rm`
kept across a restart, and every bad request refused in one line.
"""
import pytest

from vsutil import uniq, vsctl_ok, vsjson


def overlay_net(vs, *opts, subnet="10.77.0.0/24"):
    name = uniq("ov")
    vsctl_ok(vs, "network", "create", "--driver", "overlay", "--subnet", subnet, *opts, name)
    return name


def test_overlay_create_inspect_and_vteps(vswitchd):
    net = overlay_net(vswitchd, "-o", "vxlan.vni=4242")
    info = vsjson(vswitchd, "network", "inspect", net)[0]
    assert info["Driver"] == "overlay"
    assert info["Options"]["com.docker.network.driver.overlay.vxlanid_list"] == "4242"
    # inner MTU = underlay (1500) - 50
    assert info["Options"]["com.docker.network.driver.mtu"] == "1450"
    # the gateway MAC comes from the VNI: every host has the same
    assert info["GatewayMacAddress"] == "06:56:58:00:10:92"

    vsctl_ok(vswitchd, "network", "vtep", "add", net, "10.99.0.12")
    vsctl_ok(vswitchd, "network", "vtep", "add", net, "10.99.0.20:8472")
    show = vsjson(vswitchd, "show")
    tun = [n for n in show["networks"] if n["name"] == net][0]["overlay"]
    assert tun["vni"] == 4242
    assert sorted(m["vtep"] for m in tun["members"]) == ["10.99.0.12:4789", "10.99.0.20:8472"]

    vswitchd.restart(kill9=True)
    show = vsjson(vswitchd, "show")
    tun = [n for n in show["networks"] if n["name"] == net][0]["overlay"]
    assert sorted(m["vtep"] for m in tun["members"]) == ["10.99.0.12:4789", "10.99.0.20:8472"]
    vsctl_ok(vswitchd, "network", "vtep", "rm", net, "10.99.0.20")
    show = vsjson(vswitchd, "show")
    tun = [n for n in show["networks"] if n["name"] == net][0]["overlay"]
    assert [m["vtep"] for m in tun["members"]] == ["10.99.0.12:4789"]
    vsctl_ok(vswitchd, "network", "rm", net)


@pytest.mark.parametrize("args, why", [
    (["-o", "vxlan.vni=0"], "bad vxlan.vni"),
    (["-o", "vxlan.vni=16777216"], "bad vxlan.vni"),
    (["-o", "vxlan.vni=12x"], "bad vxlan.vni"),
    (["-o", "vxlan.ttl=3"], "unknown driver option"),
])
def test_overlay_create_refusals(vswitchd, args, why):
    r = vswitchd.vsctl("network", "create", "--driver", "overlay", *args, uniq("ov"))
    assert r.returncode != 0 and why in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_overlay_refusals(vswitchd):
    net = overlay_net(vswitchd, "-o", "vxlan.vni=77")
    r = vswitchd.vsctl("network", "create", "--driver", "overlay", "-o", "vxlan.vni=77",
                       "--subnet", "10.78.0.0/24", uniq("ov"))
    assert r.returncode != 0 and "already another overlay network's" in r.stderr
    r = vswitchd.vsctl("network", "create", "-o", "vxlan.vni=78", uniq("br"))
    assert r.returncode != 0 and "is for --driver overlay" in r.stderr
    for bad in ("10.99.0.1:0", "10.99.0.1:99999", "224.0.0.1", "0.0.0.0", "name"):
        r = vswitchd.vsctl("network", "vtep", "add", net, bad)
        assert r.returncode != 0 and "bad VTEP" in r.stderr, (bad, r.stderr)
    br = uniq("br")
    vsctl_ok(vswitchd, "network", "create", br)
    r = vswitchd.vsctl("network", "vtep", "add", br, "10.99.0.1")
    assert r.returncode != 0 and "not an overlay network" in r.stderr
    r = vswitchd.vsctl("network", "vtep", "rm", net, "10.99.0.1")
    assert r.returncode != 0 and "is not a VTEP added" in r.stderr
    # an automatic VNI skips the ones in use
    auto = overlay_net(vswitchd, subnet="10.79.0.0/24")
    info = vsjson(vswitchd, "network", "inspect", auto)[0]
    assert info["Options"]["com.docker.network.driver.overlay.vxlanid_list"] == "4096"
