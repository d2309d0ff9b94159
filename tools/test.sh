#!/bin/sh
# test.sh - the README's test command: from a fresh clone, install what is
# needed, build in a fresh directory and run the whole suite (cmocka unit
# tests and the pytest system tests, both through `make check`), then print
# one line `N passed, N failed` and exit non-zero if anything failed.
#
#   tools/test.sh                 build in build/
#   tools/test.sh --sanitizers    build in build-san/ with ASan + UBSan
#   tools/test.sh --valgrind      build in build-valgrind/; every vswitchd
#                                 of the system tests runs under valgrind
#                                 memcheck (slow: bounds scaled x10), and
#                                 an invalid access or a definite leak
#                                 fails the test (doc/fuzzing.md)
#
# Why counting is done here rather than trusting make's exit status alone:
# automake sees the pytest run as one test, but it holds dozens; the line
# counts each pytest case (from its junit xml, else its summary line) and
# each other automake test (from its .trs).  A build failure counts as one
# failure, so that the line is always printed.
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
bdir=build
conf=""
case "${1:-}" in
"") ;;
--sanitizers) bdir=build-san; conf=--enable-sanitizers ;;
--valgrind) bdir=build-valgrind; export VSW_VALGRIND=1 ;;
-h|--help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
*) echo "test.sh: unknown option '$1' (try --help)" >&2; exit 2 ;;
esac

cd "$top" || exit 1
"$top/tools/install-deps.sh" || { echo "0 passed, 1 failed"; exit 1; }

build_ok=1
step() {
	echo "== $*"
	"$@" || build_ok=0
}

# A fresh build directory every run: stale objects must not hide a break.
rm -rf "${top:?}/$bdir"
step ./autogen.sh
[ $build_ok = 1 ] && { mkdir -p "$bdir" && cd "$bdir" && step ../configure $conf; }
[ $build_ok = 1 ] && step make -j2
if [ $build_ok = 0 ]; then
	echo "test.sh: build failed" >&2
	echo "0 passed, 1 failed"
	exit 1
fi

# Sanitizers: fail on the first report; leaks are reported, not fatal, in
# the daemon's long-lived tables at kill time.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
export PYTEST_ADDOPTS="${PYTEST_ADDOPTS:-} -p no:cacheprovider"

echo "== make check"
make -j2 check
check_rc=$?

/usr/bin/python3 - "$top" "$top/$bdir" "$check_rc" <<'PY'
"""Count test results of `make check` in a build directory."""
import glob, os, re, subprocess, sys
import xml.etree.ElementTree as ET

top, bdir, check_rc = sys.argv[1], sys.argv[2], int(sys.argv[3])
passed = failed = 0
saw_pytest = False
failed_names = []            # pytest's FAILED/ERROR lines, echoed at the end
# "=== 1 failed, 40 passed in 9.1s ===", or without the bars under -q
SUMMARY = re.compile(r"^=*\s*((?:\d+ [a-z]+(?:, )?)+) in [\d.]+s")


def junit(path):
    """(passed, failed) from a pytest junit xml, or None if unreadable."""
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError):
        return None
    p = f = 0
    for tc in root.iter("testcase"):
        tags = {c.tag for c in tc}
        if tags & {"failure", "error"}:
            f += 1
        elif "skipped" not in tags:
            p += 1
    return p, f


def pytest_summary(log):
    """(passed, failed) from the last pytest summary line of a log."""
    try:
        text = open(log, errors="replace").read()
    except OSError:
        return None
    found = None
    for line in text.splitlines():
        m = SUMMARY.match(line.strip())
        if m:
            found = m.group(1)
    if found is None:
        return None
    failed_names.extend(l.strip() for l in text.splitlines()
                        if re.match(r"^(FAILED|ERROR) tests/", l.strip()))
    n = lambda w: sum(int(x) for x in re.findall(r"(\d+) " + w + r"\b", found))
    return n("passed"), n("failed") + n("errors?")


for trs in sorted(glob.glob(os.path.join(bdir, "**", "*.trs"), recursive=True)):
    base = trs[:-4]
    res = None
    for xml in glob.glob(base + "*.xml") + glob.glob(os.path.join(os.path.dirname(trs), "*junit*.xml")):
        res = junit(xml)
        if res:
            break
    if res is None:
        res = pytest_summary(base + ".log")
    if res is not None:
        saw_pytest = True
        p, f = res
        # a pytest run that crashed after its summary still failed
        text = open(trs, errors="replace").read()
        if f == 0 and re.search(r":test-result: (FAIL|ERROR)", text):
            f = 1
        passed += p
        failed += f
        continue
    for r in re.findall(r"^:test-result: (\S+)", open(trs, errors="replace").read(), re.M):
        if r in ("PASS", "XFAIL"):
            passed += 1
        elif r in ("FAIL", "XPASS", "ERROR"):
            failed += 1
            failed_names.append(f"FAILED {os.path.relpath(base, bdir)}")

# make check did not run the system suite (not wired into the build yet):
# run it here, so that this command still runs the whole suite.
if not saw_pytest and glob.glob(os.path.join(top, "tests", "system", "test_*.py")):
    xml = os.path.join(bdir, "pytest-system.xml")
    print("== pytest tests/system (not run by make check)", flush=True)
    env = dict(os.environ, VSWITCHD=os.path.join(bdir, "src", "vswitchd"),
               VSCTL=os.path.join(bdir, "src", "vsctl"))
    rc = subprocess.call(["/usr/bin/python3", "-m", "pytest", "-q", "-rfE",
                          f"--junitxml={xml}", os.path.join(top, "tests", "system")],
                         cwd=bdir, env=env)
    res = junit(xml)
    if res is None:
        res = (0, 1)
    elif rc not in (0, 5) and res[1] == 0:
        res = (res[0], 1)        # pytest itself failed (collection, crash)
    passed += res[0]
    failed += res[1]

if check_rc != 0 and failed == 0:
    failed = 1                   # make check failed without a counted test
# CI shows only the tail of this output: name what failed right above the count.
for name in dict.fromkeys(failed_names):
    print(name)
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
PY
