#!/bin/sh
# statics.sh - list the mutable file-scope and function-scope statics (and
# globals) of vswitch's C objects: what a second datapath, a second test
# world or a second thread would share by accident.
#
# Usage: tools/analysis/statics.sh [-c] [BUILDDIR [OBJECT...]]
#   BUILDDIR  a built tree (default: build); its src/*.o are read
#   OBJECT    only these objects' names (fdb port dp ...), default all
#   -c        check: exit 1 if one of them has any mutable static other
#             than a log rate limiter (VLOG_RL's rl_), for files that
#             must hold none (tests/unit/check-dp-statics.sh)
#
# Read from the objects, not the source: the compiler knows what is
# writable.  A symbol in .data or .bss (or .tbss/.tdata) is mutable; one
# in .rodata or .data.rel.ro (const tables of pointers, relocated once at
# load) is not.  Function-scope statics show as NAME.N.  The count and
# the reason each remaining one is process-wide are in
# doc/architecture.md ("What is still process-wide").
set -eu
check=0
if [ "${1:-}" = "-c" ]; then
	check=1
	shift
fi
build=${1:-build}
[ $# -gt 0 ] && shift
if [ $# -gt 0 ]; then
	objs=
	for o in "$@"; do
		objs="$objs $build/src/$o.o"
	done
else
	# the daemon's and tools' objects, not the unit tests' own copies
	objs=$(ls "$build"/src/*.o | grep -v "/tests_")
fi
out=$(for o in $objs; do
	[ -f "$o" ] || { echo "statics.sh: no $o (build first)" >&2; exit 2; }
	objdump -t "$o" | awk -v f="$(basename "$o" .o)" '
		$4 ~ /^\.(bss|data|tbss|tdata)(\.|$)/ && $4 !~ /rel\.ro/ &&
		$NF !~ /^\./ { print f " " $NF }'
done | sort)
if [ $check = 1 ]; then
	bad=$(printf '%s\n' "$out" | grep -v ' rl_\.[0-9]*$' | grep -v '^$' || true)
	if [ -n "$bad" ]; then
		printf 'mutable statics where a datapath context is expected:\n%s\n' "$bad" >&2
		exit 1
	fi
	exit 0
fi
printf '%s\n' "$out"
echo "$(printf '%s\n' "$out" | grep -c .) mutable statics"
