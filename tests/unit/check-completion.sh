#!/bin/sh
# check-completion.sh - the bash completion `vsctl --bash-completion`
# generates from the command table: valid bash, and it completes command
# words, subcommands, options, enumerated values and global options as a
# user would type them.  Run from the build directory (make check).  No
# daemon: name completion must then offer nothing, quietly.
set -eu
vsctl=./src/vsctl
script=$(mktemp)
trap 'rm -f "$script"' EXIT
"$vsctl" --bash-completion > "$script"
bash -n "$script"

# comp WORD...: what _vsctl offers for the last word (sorted, one line)
comp() {
	bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		_vsctl; [ ${#COMPREPLY[@]} -eq 0 ] || printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " "' _ "$script" "$@" 2>&1
}
fails=0
expect() {
	want=$1
	shift
	got=$(comp "$@")
	if [ "$got" != "$want" ]; then
		echo "FAIL: completing '$*': got '$got', want '$want'"
		fails=$((fails + 1))
	fi
}
expect "netns network " vsctl net
expect "connect create " vsctl network c
expect "--attach " vsctl network connect --att
expect "tap veth " vsctl network connect --attach ""
expect "tap veth " vsctl network connect n1 --attach ""
expect "--no-trunc " vsctl --format json network ls --no
expect "json raw table " vsctl --format ""
expect "capture cni conntrack container " vsctl --socket /x --timeout 3 c
expect "all rx tx " vsctl capture --stage ""
expect "--proto " vsctl trace --from c1 --pro
expect "icmp tcp udp " vsctl trace --proto ""
expect "events " vsctl ev
expect "" vsctl --socket /nonexistent/vs.sock network inspect ""
expect "" vsctl nosuch ""
# every command of the table is offered
for w in $("$vsctl" --help | sed -n '/^Commands:/,/^$/p' | awk 'NF && $1 != "Commands:" && /^  [a-z]/ {print $1}' | sort -u); do
	case " $(comp vsctl "")" in
	*" $w "*) ;;
	*) echo "FAIL: command word '$w' is not offered"; fails=$((fails + 1)) ;;
	esac
done
[ "$fails" -eq 0 ] || exit 1
echo "check-completion: ok"
