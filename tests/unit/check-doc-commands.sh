#!/bin/sh
# check-doc-commands.sh - the table of commands in doc/control-protocol.md
# names exactly the requests of the control schema (src/ctl_schema.c), so
# a command added to the schema is also described for people writing their
# own clients, and the page names no command the daemon does not have.
# The request names are read from the schema's rows (CMD("name", ...));
# rows with a NULL name are vsctl's own and are not requests.
# Run from the build directory (make check sets $srcdir).
set -eu
srcdir=${srcdir:-.}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

sed -n 's/.*CMD("\([a-z_.]*\)".*/\1/p' "$srcdir/src/ctl_schema.c" | sort > "$tmp/code"
awk '/^## Commands/ { on = 1; next }
     on && /^## / { on = 0 }
     on && /^\| `/ { print }' "$srcdir/doc/control-protocol.md" |
	sed -n 's/^| `\([a-z_.]*\)` |.*/\1/p' | sort > "$tmp/doc"

if [ ! -s "$tmp/code" ]; then
	echo "check-doc-commands: no request names found in src/ctl_schema.c" >&2
	exit 1
fi
if ! diff -u "$tmp/code" "$tmp/doc"; then
	echo "doc/control-protocol.md's table of commands and src/ctl_schema.c disagree" >&2
	exit 1
fi
