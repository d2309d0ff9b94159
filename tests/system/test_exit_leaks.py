"""test_exit_leaks.py - a normal start and stop of vswitchd leaks nothing
(issue 20).

vswitchd runs under valgrind's memcheck (full leak check, definite leaks
are errors, topo.valgrind_argv) whatever VSW_VALGRIND says, with a
network, a connected container and published TCP and UDP ports, and is
stopped with SIGTERM.  Published ports were the known leak: NAT only
points to the rules publish.c allocates, and nobody freed them at exit
(208 bytes a mapping).  Waits poll against deadlines; nothing is timed.
A sanitizer build (tools/test.sh --sanitizers) cannot run under memcheck
(ASan's runtime must come first and maps its own shadow memory), so there
the test is skipped; LeakSanitizer covers that build instead.
"""
import pytest

import topo as topo_mod
from vsutil import make_net, uniq, vsctl_ok


def asan_build(path):
    """Whether the binary at PATH was linked with AddressSanitizer."""
    with open(path, "rb") as f:
        return b"__asan_init" in f.read()


def test_start_publish_stop_leak_free(vswitchd, topo, monkeypatch):
    if asan_build(vswitchd.bin):
        pytest.skip("an ASan build cannot run under valgrind's memcheck")
    vswitchd.stop()
    monkeypatch.setattr(topo_mod, "VALGRIND", True)
    # memcheck starts the daemon many times slower
    monkeypatch.setattr(topo_mod, "START_TIMEOUT", max(topo_mod.START_TIMEOUT, 120))
    vswitchd.start()
    net = make_net(vswitchd)
    ctr = uniq("lk1x")
    vsctl_ok(vswitchd, "network", "connect", "--netns", topo.container(ctr), net, ctr)
    vsctl_ok(vswitchd, "port", "publish", ctr, "18581:80")
    vsctl_ok(vswitchd, "port", "publish", ctr, "18582:53/udp")
    # SIGTERM, then as long as memcheck's leak search needs
    rc = topo_mod.stop_process(vswitchd.proc, timeout=120)
    vswitchd.proc = None
    errors = topo_mod.valgrind_errors(vswitchd.tmp)
    assert not errors, "\n".join(text for _, text in errors)
    assert rc == 0
