#!/bin/sh
# run-pytest.sh - `make check`'s entry to the system tests (tests/system).
#
# Runs Debian's pytest with /usr/bin/python3 (not whatever `python3` is first
# on PATH) from the source tree, against the binaries of the build tree:
# VSWITCHD and VSCTL come from mk/system.mk's AM_TESTS_ENVIRONMENT, else
# from the current directory (make check runs tests from the top build dir).
# Exit status is pytest's, except 77 (automake's SKIP) when the tests cannot
# run here at all: not root, or no pytest.  Extra arguments go to pytest,
# e.g. `tests/system/run-pytest.sh -k dns -x`.  VS_PYTEST_PATHS (default
# tests/system) names the files or directories to run.

srcdir=${srcdir:-$(dirname "$0")/../..}
builddir=${abs_top_builddir:-$(pwd)}
PYTHON=/usr/bin/python3

# A package build (debian/rules) has no network namespaces to make.
if [ -n "${VSWITCH_SKIP_SYSTEM_TESTS:-}" ]; then
	echo "SKIP: VSWITCH_SKIP_SYSTEM_TESTS is set (package build)"
	exit 77
fi
if [ "$(id -u)" != 0 ]; then
	echo "SKIP: system tests need root (network namespaces)"
	exit 77
fi
if ! "$PYTHON" -c 'import pytest' 2>/dev/null; then
	echo "SKIP: $PYTHON has no pytest (apt-get install python3-pytest)"
	exit 77
fi

VSWITCHD=${VSWITCHD:-$builddir/src/vswitchd}
VSCTL=${VSCTL:-$builddir/src/vsctl}
VSWITCH_CNI=${VSWITCH_CNI:-$builddir/src/vswitch}
# The source tree may be read-only (distcheck): no bytecode, no cache.
PYTHONDONTWRITEBYTECODE=1
export VSWITCHD VSCTL VSWITCH_CNI PYTHONDONTWRITEBYTECODE

cd "$srcdir" || exit 99
# One pytest run at a time per build tree (make check -j2 would start
# run-no-io-uring.sh beside this one): the lock file is the build's.
# shellcheck disable=SC2086 # a list of paths, split on purpose
exec flock "$builddir/.system-tests.lock" "$PYTHON" -m pytest -v -p no:cacheprovider ${VS_PYTEST_PATHS:-tests/system} "$@"
