#!/bin/sh
# check-man-drops.sh - every drop reason in include/drop.h is described in
# doc/vsctl.8 (under `stats`), and the page names no reason that does not
# exist, so what `vsctl stats` prints can always be looked up.
# The reasons are read from drop.h's X-macro list, the one source of the
# names; the page lists each as a ".TP" / ".B name" pair.
# Run from the build directory (make check sets $srcdir).
set -eu
srcdir=${srcdir:-.}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

sed -n 's/^[[:space:]]*X([A-Z0-9_]*, "\([a-z0-9_]*\)").*/\1/p' \
	"$srcdir/include/drop.h" | sort > "$tmp/code"
awk '/^\.SS "stats"/ { on = 1; next }
     on && /^\.S[SH] / { on = 0 }
     on && prev == ".TP" && /^\.B / { print $2 }
     { prev = $0 }' "$srcdir/doc/vsctl.8" | sort > "$tmp/man"

if [ ! -s "$tmp/code" ]; then
	echo "check-man-drops: no reasons found in include/drop.h" >&2
	exit 1
fi
if ! diff -u "$tmp/code" "$tmp/man"; then
	echo "doc/vsctl.8 (stats) and include/drop.h disagree on the drop reasons" >&2
	exit 1
fi
