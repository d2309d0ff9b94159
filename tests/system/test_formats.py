"""test_formats.py - Docker-shaped output of the listings (issue 21, part 3).

`vsctl --format json` prints `network ls`, `container ls`, `port ls` and
`conntrack ls` as Docker's CLI prints `--format '{{json .}}'`: one object
per line, Docker's capitalised keys, and for network ls Docker's string
values.  Templates (`{{.Name}}`, `table ...`) run on the same rows;
unknown fields are usage errors.  Networks carry labels, which inspect
shows, `network ls --filter label=` matches, and the state file keeps
across a restart.  The daemon's own reply stays available as `--format
raw`.  One daemon with an uplink (conftest.py's `uplink` marker), so that
a published port and a tracked connection exist to be listed.
"""
import json
import re

import pytest
from vsutil import uniq, vsctl_ok, vsjson

pytestmark = [pytest.mark.uplink]

# The keys `docker network ls --format '{{json .}}'` prints (Docker 28).
DOCKER_NETWORK_KEYS = {"CreatedAt", "Driver", "ID", "IPv4", "IPv6", "Internal",
                       "Labels", "Name", "Scope"}
# `docker ps --format '{{json .}}'` keys; vswitch fills the ones it has.
DOCKER_PS_KEYS = {"Command", "CreatedAt", "ID", "Image", "Labels", "LocalVolumes",
                  "Mounts", "Names", "Networks", "Ports", "RunningFor", "Size",
                  "State", "Status"}
# The Engine API's port object (GET /containers/json, Ports[]).
DOCKER_PORT_KEYS = {"IP", "PrivatePort", "PublicPort", "Type"}


def lines_json(vswitchd, *args):
    """Each line of `vsctl --format json ARGS` as an object."""
    out = vsctl_ok(vswitchd, "--format", "json", *args).stdout
    rows = [json.loads(l) for l in out.splitlines()]
    assert all(isinstance(r, dict) for r in rows)
    return rows


def usage_error(vswitchd, *args):
    r = vswitchd.vsctl(*args)
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert len(r.stderr.strip().splitlines()) >= 1 and r.stdout == ""
    return r.stderr


def test_network_ls_docker_json_labels_filters(vswitchd):
    a, b = uniq("fa"), uniq("fb")
    vsctl_ok(vswitchd, "network", "create", "--subnet", "10.61.0.0/24",
             "--label", "team=blue", "--label", "env=ci", a)
    vsctl_ok(vswitchd, "network", "create", "--subnet", "10.62.0.0/24", "--internal",
             "--label", "team=red", b)
    rows = {r["Name"]: r for r in lines_json(vswitchd, "network", "ls")}
    assert set(rows) == {"bridge", a, b}
    for r in rows.values():
        assert set(r) == DOCKER_NETWORK_KEYS
        assert all(isinstance(v, str) for v in r.values())   # as docker's CLI
        assert re.fullmatch(r"[0-9a-f]{12}", r["ID"])
        assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+0000 UTC", r["CreatedAt"])
    assert rows[a]["Labels"] in ("team=blue,env=ci", "env=ci,team=blue")
    assert rows[b]["Internal"] == "true" and rows[a]["Internal"] == "false"
    assert rows[a]["IPv6"] == "false" and rows[a]["IPv4"] == "true"
    assert rows["bridge"]["Labels"] == ""
    # inspect's Labels is the object
    (ins,) = vsjson(vswitchd, "network", "inspect", a)
    assert ins["Labels"] == {"team": "blue", "env": "ci"}
    # --no-trunc: the whole id, which is inspect's
    full = {r["Name"]: r["ID"] for r in lines_json(vswitchd, "network", "ls", "--no-trunc")}
    assert full[a] == ins["Id"] and len(full[a]) == 64
    # filters: one key ORs, keys AND; name is a substring, label K or K=V
    q = lambda *f: vsctl_ok(vswitchd, "network", "ls", "--format", "{{.Name}}",
                            *f).stdout.split()
    assert sorted(q("-f", "label=team")) == sorted([a, b])
    assert q("-f", "label=team=red") == [b]
    assert sorted(q("-f", "name=" + a, "-f", "name=" + b)) == sorted([a, b])
    assert q("-f", "label=team", "-f", "name=" + a) == [a]
    assert q("-f", "type=builtin") == ["bridge"]
    assert q("-f", "driver=bridge") == []
    assert sorted(q("-f", "scope=local")) == sorted(["bridge", a, b])
    assert "colour" in usage_error(vswitchd, "network", "ls", "-f", "colour=red")
    # the table is unchanged, and filters apply to it too
    lines = vsctl_ok(vswitchd, "network", "ls", "-f", "label=env=ci").stdout.splitlines()
    assert re.match(r"NETWORK ID\s+NAME\s+DRIVER\s+SCOPE$", lines[0])
    assert [l.split()[1] for l in lines[1:]] == [a]
    # labels are state: they come back after a crash
    vswitchd.restart(kill9=True)
    (ins,) = vsjson(vswitchd, "network", "inspect", a)
    assert ins["Labels"] == {"team": "blue", "env": "ci"}
    # a bad label is refused whole, nothing made
    r = vswitchd.vsctl("network", "create", "--label", "k=\x01", uniq("fc"))
    assert r.returncode == 1 and "label" in r.stderr
    for n in (a, b):
        vsctl_ok(vswitchd, "network", "rm", n)


def test_templates(vswitchd):
    a = uniq("ft")
    vsctl_ok(vswitchd, "network", "create", "--subnet", "10.63.0.0/24", a)
    out = vsctl_ok(vswitchd, "network", "ls", "-f", "name=" + a,
                   "--format", r"{{.Name}}\t{{.Driver}} {{json .Internal}}").stdout
    assert out == f"{a}\tvswitch \"false\"\n"
    out = vsctl_ok(vswitchd, "network", "ls", "-f", "name=" + a,
                   "--format", "{{json .}}").stdout
    assert out == vsctl_ok(vswitchd, "network", "ls", "-f", "name=" + a,
                           "--format", "json").stdout
    table = vsctl_ok(vswitchd, "network", "ls", "--format",
                     r"table {{.Name}}\t{{.Scope}}").stdout.splitlines()
    assert re.match(r"NAME\s+SCOPE$", table[0]) and any(l.startswith(a) for l in table)
    for bad in ("{{.Nope}}", "{{.Name", "{{index .Labels}}", "neither"):
        err = usage_error(vswitchd, "network", "ls", "--format", bad)
        assert "--format" in err
    assert ".Name" in usage_error(vswitchd, "network", "ls", "--format", "{{.Nope}}")
    usage_error(vswitchd, "stats", "--format", "{{.Name}}")
    # a dual-stack network says so, as docker's does
    v6 = uniq("f6")
    vsctl_ok(vswitchd, "network", "create", "--ipv6", "--subnet", "10.65.0.0/24", v6)
    q = lambda n: vsctl_ok(vswitchd, "network", "ls", "-f", "name=" + n, "--format",
                           "{{.IPv4}} {{.IPv6}}").stdout
    assert (q(a), q(v6)) == ("true false\n", "true true\n")
    vsctl_ok(vswitchd, "network", "rm", a, v6)


def test_container_port_conntrack_json(vswitchd, topo):
    net, ctr = uniq("fn"), uniq("fc")
    vsctl_ok(vswitchd, "network", "create", "--subnet", "10.64.0.0/24", net)
    vsctl_ok(vswitchd, "network", "connect", "--netns", topo.container(ctr), net, ctr)
    (row,) = [r for r in lines_json(vswitchd, "container", "ls") if r["ID"] == ctr]
    assert set(row) <= DOCKER_PS_KEYS and {"ID", "Names", "Networks", "Labels"} <= set(row)
    assert row["Names"] == ctr and row["Networks"] == net and row["Ports"] == ""
    assert "vswitch.owner=vsctl" in row["Labels"]
    assert f"vswitch.addresses={net}=10.64.0.2" in row["Labels"]

    vsctl_ok(vswitchd, "port", "publish", ctr, "8080:80", "127.0.0.1:5353:53/udp")
    ports = lines_json(vswitchd, "port", "ls", ctr)
    assert all(set(p) == DOCKER_PORT_KEYS for p in ports)
    assert {(p["IP"], p["PrivatePort"], p["PublicPort"], p["Type"]) for p in ports} == \
        {("0.0.0.0", 80, 8080, "tcp"), ("127.0.0.1", 53, 5353, "udp")}
    # the table form is unchanged: docker port's lines
    assert "80/tcp -> 0.0.0.0:8080" in vsctl_ok(vswitchd, "port", "ls", ctr).stdout
    # docker ps's Ports column, ", "-separated; a range as docker prints one
    vsctl_ok(vswitchd, "port", "publish", ctr, "9000-9001:90-91")
    (row,) = [r for r in lines_json(vswitchd, "container", "ls") if r["ID"] == ctr]
    assert sorted(row["Ports"].split(", ")) == [
        "0.0.0.0:8080->80/tcp", "0.0.0.0:9000-9001->90-91/tcp", "127.0.0.1:5353->53/udp"]
    vsctl_ok(vswitchd, "port", "unpublish", ctr, "9000-9001:90-91")

    # a tracked connection: a ping to the outside host, through SNAT
    outside_ip = topo.outside[1]
    topo.ns_exec(topo.container(ctr), "ping", "-c", "1", "-W", "5", outside_ip)
    cts = lines_json(vswitchd, "conntrack", "ls")
    assert cts, "no connection tracked"
    keys = {"Assured", "Dport", "Dst", "Proto", "ReplyDport", "ReplyDst", "ReplySport",
            "ReplySrc", "Sport", "Src", "State", "Timeout", "Zone"}
    assert all(set(c) == keys for c in cts)
    (c,) = [c for c in cts if c["Src"] == "10.64.0.2"]
    assert c["Proto"] == "icmp" and c["Dst"] == outside_ip and c["Zone"] == net
    tmpl = vsctl_ok(vswitchd, "conntrack", "ls", "--format", "{{.Proto}} {{.Src}}").stdout
    assert "icmp 10.64.0.2\n" in tmpl
