"""cniutil.py - running the `vswitch` CNI plugin as a runtime does.

A runtime executes the plugin with CNI_* variables in an otherwise small
environment and the network configuration on standard input, and reads
one JSON object from standard output (SPEC.md "Execution protocol").
`cni()` does exactly that and returns the exit status and the parsed
output, so tests can assert on both; `conf()` builds a plugin
configuration pointing at the test's own vswitchd socket.
"""
import json
import os
import subprocess

import pytest
import topo as topo_mod
from vsutil import scaled


def plugin_path():
    """The plugin binary: $VSWITCH_CNI, else the build tree's src/vswitch;
    skips the test when it is not built."""
    p = os.environ.get("VSWITCH_CNI") or topo_mod.find_binary("vswitch")
    if not p or not os.access(p, os.X_OK):
        pytest.skip("the CNI plugin (src/vswitch) is not built")
    return p


def conf(vswitchd, name, network=None, version="1.0.0", **extra):
    """A plugin configuration for CNI network NAME on vswitch NETWORK."""
    c = {"cniVersion": version, "name": name, "type": "vswitch",
         "network": network or name, "socket": vswitchd.sock}
    c.update(extra)
    return c


def cni(command, config, ctr=None, netns=None, ifname="eth0", args=None, stdin=None,
        env=None):
    """Run the plugin; (exit status, parsed stdout or None, stderr).
    CTR/NETNS/IFNAME/ARGS become CNI_CONTAINERID/CNI_NETNS/CNI_IFNAME/
    CNI_ARGS when not None; NETNS may be an `ip netns` name (its path is
    passed, as podman does) or a path."""
    e = {"CNI_COMMAND": command, "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
         "CNI_PATH": os.path.dirname(plugin_path())}
    if ctr is not None:
        e["CNI_CONTAINERID"] = ctr
    if netns is not None:
        e["CNI_NETNS"] = netns if (netns == "" or netns.startswith("/")) else f"/run/netns/{netns}"
    if ifname is not None:
        e["CNI_IFNAME"] = ifname
    if args is not None:
        e["CNI_ARGS"] = args
    e.update(env or {})
    data = stdin if stdin is not None else json.dumps(config)
    r = subprocess.run([plugin_path()], input=data, env=e, capture_output=True, text=True,
                       timeout=scaled(30))
    out = json.loads(r.stdout) if r.stdout.strip() else None
    return r.returncode, out, r.stderr


def cni_ok(command, config, **kw):
    """cni() that must succeed; its output."""
    rc, out, err = cni(command, config, **kw)
    assert rc == 0, f"CNI {command} failed: {out} {err}"
    return out


def cni_err(command, config, code, **kw):
    """cni() that must fail with CNI error CODE; the error object."""
    rc, out, err = cni(command, config, **kw)
    assert rc == 1 and out and out.get("code") == code, \
        f"CNI {command}: expected code {code}, got rc {rc} {out} {err}"
    assert out["msg"] and "\n" not in out["msg"]
    return out
