#!/bin/sh
# run.sh - `make fuzz`'s runner: each libFuzzer target for a bounded time.
#
#   tests/fuzz/run.sh SRCDIR BUILDDIR SECONDS TARGET...
#
# Each target runs alone (the machine's cores are shared) for SECONDS,
# starting from its seeds in SRCDIR/tests/fuzz/corpus/TARGET and the
# inputs of past crashes in SRCDIR/tests/fuzz/regress/TARGET.  What it
# learns goes to BUILDDIR/tests/fuzz/work/TARGET, never into the source
# tree (libFuzzer writes into its first corpus directory); a crash, leak
# or timeout is written to BUILDDIR/tests/fuzz/artifacts/ and fails the
# run.  All targets run even after a failure, so one run reports them all;
# the exit status is 1 if any failed.  doc/fuzzing.md says what to do with
# a crash.
set -u

if [ $# -lt 4 ]; then
	echo "usage: run.sh SRCDIR BUILDDIR SECONDS TARGET..." >&2
	exit 2
fi
srcdir=$1 builddir=$2 secs=$3
shift 3

# Longest input the fuzzer may make: frames and files need room, parsers
# of one message do not.
max_len() {
	case $1 in
	dns) echo 4096 ;;
	dns_input) echo 2048 ;;
	*) echo 16384 ;;
	esac
}

# A UBSan report is a failure like a crash (the build keeps the checks
# recoverable: more edges for the fuzzer to tell inputs apart).
UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
export UBSAN_OPTIONS

failed=""
for t in "$@"; do
	bin=$builddir/tests/fuzz/fuzz_$t
	work=$builddir/tests/fuzz/work/$t
	art=$builddir/tests/fuzz/artifacts
	mkdir -p "$work" "$art"
	seeds=$srcdir/tests/fuzz/corpus/$t
	regress=$srcdir/tests/fuzz/regress/$t
	[ -d "$regress" ] || regress=$seeds
	echo "== fuzz $t for ${secs}s"
	# -timeout: one input taking 20 s is a hang, not slowness.
	if ! "$bin" -max_total_time="$secs" -max_len="$(max_len "$t")" -timeout=20 \
		-rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$art/$t-" \
		"$work" "$seeds" "$regress" >"$builddir/tests/fuzz/$t.log" 2>&1; then
		failed="$failed $t"
		echo "fuzz $t: FAILED, see $builddir/tests/fuzz/$t.log and $art/"
		grep -E "ERROR|invariant|SUMMARY" "$builddir/tests/fuzz/$t.log" | head -5
	else
		grep -E "^stat::number_of_executed_units|^stat::peak_rss_mb" \
			"$builddir/tests/fuzz/$t.log" | sed "s/^/fuzz $t: /"
	fi
done
if [ -n "$failed" ]; then
	echo "fuzz: failed:$failed"
	exit 1
fi
echo "fuzz: every target ran ${secs}s clean"
