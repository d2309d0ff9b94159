#!/usr/bin/env bash
# tools/bench/scale.sh - how vswitchd's cost grows with containers (issue 19,
# part 6).  A measurement script, not a test: it asserts nothing.
#
# One vswitchd in a namespace of its own, one network, and containers (one
# namespace each, a TAP port each) connected one after another through
# vsctl, as a runtime would.  At every step N of the list (default 100 250
# 500; add 1000 on a host with the room) it prints:
#   - connects/s for the containers added in that step (vsctl wall time),
#   - vswitchd's RSS, and RSS per port above the empty switch's,
#   - the size of the state: state.json plus its journal (state.journal,
#     the container changes since state.json was last rewritten),
#   - restart time: SIGTERM, start again, until `vsctl stats` shows all N
#     TAP ports (every port re-adopted),
#   - the cost of one broadcast: vswitchd's CPU time (perf stat -e
#     task-clock, user and kernel: the copies to N TAPs are kernel work) per
#     flooded frame, from 200 pings
#     to the network's broadcast address sent by the first container (every
#     port gets a copy), when perf is installed.
# The memory of 1M conntrack entries is ct_bench's (make bench-ct).
#
# Everything it makes has the prefix vssc<PID> and is removed at exit, also
# on failure; vswitchd is ended by its PID.
#
# Usage (root): tools/bench/scale.sh [N...]
#   env: VSWITCHD, VSCTL (default build/src/...), SCALE_SETTLE (s before RSS, 3),
#        SCALE_NO_IPV6=1 (IPv6 off in the containers: no router solicitations
#        and MLD reports, the multicast chatter every port gets flooded),
#        SCALE_VIA=socket (the connects go through one control connection,
#        as a long-running runtime plugin sends them, instead of one vsctl
#        process each: on a kernel where fork+exec alone takes milliseconds,
#        vsctl's own start-up is most of what the default column measures)
set -eu
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
VSWITCHD=${VSWITCHD:-$REPO/build/src/vswitchd}
VSCTL=${VSCTL:-$REPO/build/src/vsctl}
SETTLE=${SCALE_SETTLE:-3}
STEPS=("$@")
[ ${#STEPS[@]} -gt 0 ] || STEPS=(100 250 500)
[ "$(id -u)" = 0 ] || { echo "scale.sh: needs root (namespaces)" >&2; exit 1; }
[ -x "$VSWITCHD" ] && [ -x "$VSCTL" ] || { echo "scale.sh: build vswitchd first ($VSWITCHD)" >&2; exit 1; }

P=vssc$$
T=$(mktemp -d "${TMPDIR:-/tmp}/$P.XXXX")
SW=${P}sw
VSPID=
made=0

cleanup() {
	[ -n "$VSPID" ] && kill "$VSPID" 2>/dev/null && wait "$VSPID" 2>/dev/null
	for i in $(seq 1 "$made"); do ip netns del "${P}c$i" 2>/dev/null || true; done
	ip netns del "$SW" 2>/dev/null || true
	rm -rf "$T"
}
trap cleanup EXIT

vsctl() { "$VSCTL" --socket "$T/sock" "$@"; }
now() { date +%s.%N; }
# TAP ports vswitchd has open (re-adopted after a restart)
ports() {
	vsctl --format json stats 2>/dev/null | /usr/bin/python3 -c \
		'import json, sys; print(sum(p["type"] == "tap" for p in json.load(sys.stdin)["ports"]))' \
		2>/dev/null || echo 0
}
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$VSPID/status"; }

start() {
	ip netns exec "$SW" "$VSWITCHD" --state-dir "$T/state" --socket "$T/sock" \
		--log-file "$T/log" &
	VSPID=$!
	until vsctl network ls >/dev/null 2>&1; do
		kill -0 "$VSPID" 2>/dev/null || { tail "$T/log" >&2; exit 1; }
		sleep 0.01
	done
}

stop() { kill "$VSPID"; wait "$VSPID" || true; VSPID=; }

# connect_via_socket N: containers up to N not yet connected, one request
# after another on one control connection (doc/control-protocol.md).
connect_via_socket() {
	/usr/bin/python3 - "$T" "$P" "$1" <<'PY'
import json, os, socket, sys
t, p, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
s = socket.socket(socket.AF_UNIX)
s.connect(os.path.join(t, "sock"))
f = s.makefile("rwb")
for i in range(1, n + 1):
    if os.path.exists(f"{t}/c{i}"):
        continue
    req = {"cmd": "network.connect",
           "args": {"network": "scnet", "container": f"{p}c{i}", "netns": f"{p}c{i}"}}
    f.write((json.dumps(req) + "\n").encode())
    f.flush()
    r = json.loads(f.readline())
    if not r.get("ok"):
        sys.exit(f"scale.sh: connect {p}c{i}: {r}")
    open(f"{t}/c{i}", "w").close()
PY
}

# CPU µs vswitchd spends per flooded broadcast, at the current size.
bcast_cost() {
	command -v perf >/dev/null || { echo "-"; return; }
	local out n=200
	out=$(perf stat -x, -e task-clock -p "$VSPID" -- \
		ip netns exec "${P}c1" ping -b -c "$n" -i 0.01 -W 1 10.200.255.255 2>&1 >/dev/null |
		awk -F, -v n="$n" '/task-clock/ && $1 ~ /^[0-9.]+$/ {printf "%.1f", $1 * 1000 / n}') || true
	echo "${out:--}"
}

mkdir -p "$T/state"
ip netns add "$SW"
start
vsctl network create --subnet 10.200.0.0/16 scnet >/dev/null
sleep "$SETTLE"
base=$(rss_kb)
printf "%6s %10s %9s %12s %10s %12s %14s\n" N "connects/s" "RSS MB" "kB/port" "state kB" "restart s" "µs/broadcast"
for n in "${STEPS[@]}"; do
	t0=$(now)
	while [ "$made" -lt "$n" ]; do
		i=$((made + 1))
		ip netns add "${P}c$i"
		made=$i
		ip -n "${P}c$i" link set lo up
		[ -z "${SCALE_NO_IPV6:-}" ] || ip netns exec "${P}c$i" sysctl -qw \
			net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	done
	# connects alone are timed: the namespaces exist already
	t0=$(now)
	if [ "${SCALE_VIA:-}" = socket ]; then
		connect_via_socket "$n"
	else
		for i in $(seq 1 "$n"); do
			[ -e "$T/c$i" ] && continue
			vsctl network connect --netns "${P}c$i" scnet "${P}c$i" >/dev/null
			: > "$T/c$i"
		done
	fi
	t1=$(now)
	added=$(ls "$T" | grep -c '^c[0-9]' || true)
	sleep "$SETTLE"
	rss=$(rss_kb)
	st=$(( ($(stat -c %s "$T/state/state.json" 2>/dev/null || echo 0) +
		$(stat -c %s "$T/state/state.journal" 2>/dev/null || echo 0)) / 1024))
	bc=$(bcast_cost)
	stop
	r0=$(now)
	start
	until [ "$(ports)" -ge "$n" ]; do
		sleep 0.01
	done
	r1=$(now)
	awk -v n="$n" -v t0="$t0" -v t1="$t1" -v prev="${prev_n:-0}" -v rss="$rss" -v base="$base" \
	    -v st="$st" -v r0="$r0" -v r1="$r1" -v bc="$bc" 'BEGIN {
		printf "%6d %10.1f %9.1f %12.1f %10d %12.3f %14s\n", n, (n - prev) / (t1 - t0),
			rss / 1024, (rss - base) / n, st, r1 - r0, bc }'
	prev_n=$n
done
echo "(restart: SIGTERM to all N ports open again; RSS after ${SETTLE} s at rest)"
