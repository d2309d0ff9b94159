"""conftest.py - pytest fixtures for vswitch's system tests.

Theory of operation.  Every test that asks for `topo` gets a prefix of its
own (`vt` + 4 random hex digits) for every namespace, interface and
/etc/netns directory it makes; `vswitchd` starts the daemon in namespace
`<prefix>sw` with a private state dir, socket and log, and waits until
`vsctl network ls` answers.  Teardown runs also when the test failed: the
daemon and every process the test started through `topo` are ended by PID,
every namespace with the prefix is deleted.  The daemon's log is attached
to the report of a failing test, and a daemon that died during the test or
did not exit cleanly on SIGTERM makes the teardown fail: a crash must not
hide behind a passing assertion.

Fixture API (the machinery is in topo.py):

  vswitchd.vsctl(*args, check=False, timeout=30) -> CompletedProcess (text)
  vswitchd.vsctl_argv        [vsctl, "--socket", sock] for Popen
  vswitchd.ns / .sock / .state_dir / .pid / .log() / .stop(kill9=False)
  vswitchd.restart(kill9=True, extra_args=None)   same state dir
  topo.container(name) -> netns "<prefix><name>" (lo up)
  topo.ns_exec(ns, *cmd, check=True) -> CompletedProcess
  topo.spawn(ns, *cmd, **popen_kw) -> Popen, ended at teardown
  topo.prefix; topo.outside = (netns, ip) when the test has an uplink

Valgrind: with VSW_VALGRIND=1 in the environment vswitchd runs under
valgrind's memcheck (topo.valgrind_argv: full leak check, definite leaks
are errors, a log and an XML report per process in the daemon's temporary
directory), and a test fails if memcheck reported anything, the report
attached; bounds on waiting are multiplied by VSW_TIMEOUT_FACTOR (default
10, vsutil.py).  `tools/test.sh --valgrind` runs the suite so.

Markers:
  @pytest.mark.vswitchd_args("--fdb-aging", "2")   extra daemon options
  @pytest.mark.uplink   an outside host behind `--uplink afpacket:up0`
                        (switch 198.51.100.1/24, outside 198.51.100.254)

One world per module: `module_topo` and `module_vswitchd` are the same
with module scope, for a module whose tests build on one another (a port
published by one test is used by the next, as in test_nat.py).  The
module's `vswitchd_args` marker (pytestmark) and `uplink` marker apply, and
its function `prepare_vswitchd(topo, vswitchd)`, if any, runs after the
uplink's outside host exists and before the daemon starts.  Teardown and
the judgement of the daemon are the same, at the end of the module; the
daemon's log is attached to the report of any failing test of the module.

io_uring: with VS_NO_IO_URING=1 every daemon gets --no-io-uring, so the
tests run on the write()-per-frame path (make check runs one file so).

Binaries: $VSWITCHD and $VSCTL, else $VS_BUILD_DIR/src, else <repo>/src,
else the newest <repo>/build*/src.  Tests skip, saying why, when not root
or when the binaries are missing.
"""
import os
import shutil

import pytest

import topo as topo_mod
import vsutil

# Lines of the daemon's log shown with a failure (all of it stays in the
# log file while the test runs; VS_KEEP_TMP=1 keeps it afterwards).
LOG_TAIL = int(os.environ.get("VS_LOG_TAIL", "300"))


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "vswitchd_args(*args): extra command-line options for vswitchd")
    config.addinivalue_line(
        "markers", "uplink: start vswitchd with an uplink to an outside namespace "
        "(topo.outside)")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Attach the daemon's log to the report of a failing test.  (Failures
    of the fixture itself carry the log in their message: by the time their
    report is made, the temporary directory is gone.)"""
    outcome = yield
    rep = outcome.get_result()
    vs = getattr(item, "_vswitchd", None)
    if vs is None:
        mod = item.getparent(pytest.Module)
        vs = getattr(mod, "_vswitchd", None) if mod else None
    if vs is not None and rep.failed and rep.when == "call":
        rep.sections.append(("vswitchd log", vs.log(tail=LOG_TAIL)))


def _need_root_and_tools():
    if os.geteuid() != 0:
        pytest.skip("system tests need root (network namespaces)")
    for tool in ("ip",):
        if not shutil.which(tool):
            pytest.skip(f"system tests need `{tool}`")


def _topo():
    _need_root_and_tools()
    t = topo_mod.Topo(topo_mod.new_prefix())
    try:
        yield t
    finally:
        t.teardown()


@pytest.fixture
def topo():
    """Namespaces ("containers") with a test-unique prefix, all removed at
    the end, also on failure."""
    yield from _topo()


@pytest.fixture(scope="module")
def module_topo():
    """topo, shared by every test of a module."""
    yield from _topo()


def _vswitchd(node, topo, prepare=None):
    """Start vswitchd for NODE (a test or a module: its markers give the
    options), run PREPARE(topo, vs) first if given; yield it, then stop and
    judge it."""
    bins = {n: topo_mod.find_binary(n) for n in ("vswitchd", "vsctl")}
    missing = [n for n, p in bins.items() if not p]
    if missing:
        pytest.skip(f"{' and '.join(missing)} not built (build it, or set "
                    "VSWITCHD/VSCTL or VS_BUILD_DIR)")
    args = []
    for m in reversed(list(node.iter_markers("vswitchd_args"))):
        args += [str(a) for a in m.args]
    if os.environ.get("VS_NO_IO_URING"):
        args.append("--no-io-uring")    # the suite's write() run (mk/system.mk)
    uplink = node.get_closest_marker("uplink") is not None
    vs = topo_mod.Vswitchd(topo, bins["vswitchd"], bins["vsctl"], args, uplink)
    node._vswitchd = vs
    try:
        failed = None
        try:
            if prepare:
                prepare(topo, vs)
            vs.start()
        except topo_mod.VswitchdError as e:
            failed = str(e)
        if failed:
            pytest.fail(failed, pytrace=False)
        yield vs
        problems = _stop_and_judge(vs)
        if problems:
            pytest.fail("; ".join(problems) + "\n" + vs.log(tail=LOG_TAIL), pytrace=False)
    finally:
        if vs.proc is not None:
            vs.stop(kill9=True)
        if not os.environ.get("VS_KEEP_TMP"):
            vs.cleanup()


@pytest.fixture
def vswitchd(request, topo):
    """vswitchd in its own namespace, answering on a private socket."""
    yield from _vswitchd(request.node, topo)


@pytest.fixture(scope="module")
def module_vswitchd(request, module_topo):
    """vswitchd shared by every test of a module (see the top of this file)."""
    yield from _vswitchd(request.node, module_topo,
                         getattr(request.module, "prepare_vswitchd", None))


def _stop_and_judge(vs):
    """Stop the daemon with SIGTERM; what went wrong with it during the test
    (an unasked-for exit, an unclean shutdown, and under VSW_VALGRIND=1
    any invalid access or definite leak memcheck saw)."""
    if vs.proc is not None:
        vs.stop(kill9=False)
    problems = []
    for how, rc in vs.exits:
        if how == "died":
            problems.append(f"vswitchd exited by itself during the test (status {rc})")
        elif how == "SIGTERM" and rc == topo_mod.VALGRIND_EXIT and topo_mod.VALGRIND:
            pass    # memcheck's verdict, detailed below
        elif how == "SIGTERM" and rc != 0:
            problems.append(f"vswitchd exited with status {rc} on SIGTERM")
    found = vs.valgrind_problems()
    if found:
        problems.append("valgrind memcheck reported in vswitchd: " + ", ".join(found))
    return problems


@pytest.fixture
def run_and_expect():
    return topo_mod.run_and_expect


@pytest.fixture
def wait_for():
    return vsutil.wait_for


@pytest.fixture
def json_cmp():
    return topo_mod.json_cmp
