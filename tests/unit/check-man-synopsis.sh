#!/bin/sh
# check-man-synopsis.sh - doc/vsctl.8's SYNOPSIS must be exactly what
# `vsctl --man-synopsis` prints from the command table, so the man page can
# never describe commands or options that vsctl does not have.
# With --update, rewrite the section in doc/vsctl.8 instead of checking.
# Run from the build directory (make check sets $srcdir).
set -eu
srcdir=${srcdir:-.}
man="$srcdir/doc/vsctl.8"
vsctl=./src/vsctl
[ -x "$vsctl" ] || vsctl="$srcdir/src/vsctl"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$vsctl" --man-synopsis > "$tmp/gen"
# The section runs from ".SH SYNOPSIS" up to the next ".SH".
awk '/^\.SH SYNOPSIS/ { on = 1; print; next }
     on && /^\.SH / { on = 0 }
     on { print }' "$man" > "$tmp/cur"

if [ "${1:-}" = --update ]; then
	awk -v gen="$tmp/gen" '
	/^\.SH SYNOPSIS/ { while ((getline l < gen) > 0) print l; skip = 1; next }
	skip && /^\.SH / { skip = 0 }
	!skip { print }' "$man" > "$tmp/new"
	cat "$tmp/new" > "$man"
	echo "updated $man"
	exit 0
fi
if ! diff -u "$tmp/cur" "$tmp/gen"; then
	echo "doc/vsctl.8 SYNOPSIS is out of step with vsctl's command table;" >&2
	echo "run 'make vsctl-man-synopsis' and commit doc/vsctl.8" >&2
	exit 1
fi
