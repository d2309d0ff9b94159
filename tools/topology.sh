#!/bin/sh
# topology.sh - draw the demo's topology from a real switch (`make topology`).
#
#   tools/topology.sh VSWITCHD VSCTL OUT.svg
#
# Builds the world tools/demo.sh shows (as root): vswitchd in a namespace
# of its own with an uplink (afpacket:up0, 198.51.100.1/24 via .254, the
# peer in a router namespace), networks n1 and n2, containers c1 and c2
# on n1, c3 on n2 and n1, port 8080 published to c2's port 80; then asks
# `vsctl show --format dot` for the picture and renders it with Graphviz
# (`dot -Tsvg`).  The drawing is the switch's own answer, not a hand-made
# one, so it stays true when the output changes: re-run it and commit
# doc/topology.svg.  Names are fixed (vstopo-*) so that the picture is the
# same on every machine; everything made is removed on exit, also on
# failure, and traffic never leaves these namespaces.
set -eu

[ $# -eq 3 ] || { echo "usage: $0 VSWITCHD VSCTL OUT.svg" >&2; exit 2; }
VSWITCHD=$(realpath "$1") VSCTL=$(realpath "$2") OUT=$3
[ "$(id -u)" -eq 0 ] || { echo "topology.sh: needs root (network namespaces)" >&2; exit 1; }
command -v dot >/dev/null || { echo "topology.sh: no dot: apt-get install graphviz" >&2; exit 1; }

P=vstopo
NS="$P-sw $P-r $P-c1 $P-c2 $P-c3"
for n in $NS; do
	if ip netns list | grep -qw "$n"; then
		echo "topology.sh: namespace $n exists: another run is going on" >&2
		exit 1
	fi
done
TMP=$(mktemp -d) PID=
cleanup() {
	set +e
	[ -n "$PID" ] && kill "$PID" && wait "$PID" 2>/dev/null
	for n in $NS; do ip netns del "$n" 2>/dev/null; rm -rf "/etc/netns/$n"; done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for n in $NS; do ip netns add "$n"; ip -n "$n" link set lo up; done
ip -n "$P-sw" link add up0 type veth peer name r0 netns "$P-r"
ip -n "$P-sw" link set up0 up
ip -n "$P-r" addr add 198.51.100.254/24 dev r0
ip -n "$P-r" link set r0 up
SOCK=$TMP/vswitchd.sock
ip netns exec "$P-sw" "$VSWITCHD" --state-dir "$TMP/state" --socket "$SOCK" \
	--uplink afpacket:up0 --uplink-ip 198.51.100.1/24 --uplink-gateway 198.51.100.254 \
	--log-file "$TMP/vswitchd.log" --pidfile "$TMP/pid" --detach
PID=$(cat "$TMP/pid")
v() { "$VSCTL" --socket "$SOCK" "$@" >/dev/null; }
v network create n1
v network create n2
v network connect --netns "$P-c1" n1 c1
v network connect --netns "$P-c2" n1 c2
v network connect --netns "$P-c3" n2 c3
v network connect n1 c3
v port publish c2 8080:80
"$VSCTL" --socket "$SOCK" show --format dot > "$TMP/topology.dot"
dot -Tsvg "$TMP/topology.dot" > "$TMP/topology.svg"
mv "$TMP/topology.svg" "$OUT"
echo "topology.sh: wrote $OUT"
