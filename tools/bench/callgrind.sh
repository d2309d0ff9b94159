#!/usr/bin/env bash
# tools/bench/callgrind.sh - instructions per packet, vswitchd against a base
# revision, counted by callgrind instead of timed.
#
# Why: the wall-clock benchmark (run.sh) needs a quiet machine, and on a
# shared 2-core VM one run moves figures by 10-30 %.  Instructions executed
# per packet do not depend on the load, so a 3 % change is visible and can
# be traced to functions.  What they miss: cache and TLB misses, branch
# mispredictions, and the kernel's share (system calls are one instruction
# each to callgrind); run.sh on a quiet machine stays the judge of time.
#
# How: for each binary (this tree's build, and --base REV built from a
# temporary copy of that revision, as run.sh does), the same topology as
# tools/bench/vswitchd.sh in namespaces of its own (c1, c2 on one network,
# an outside host behind an AF_PACKET uplink), vswitchd under
# `valgrind --tool=callgrind`, then for each workload: zero the counters
# (callgrind_control -z), run it, dump (callgrind_control -d), and divide
# the instructions by the frames vswitchd received for it (its ports'
# rx_packets, from vsctl stats).  The senders blast for a fixed time, so
# vswitchd (twenty to fifty times slower under callgrind) is saturated and
# reads full bursts, as in run.sh's unlimited-rate UDP test; frames the
# TAP drops before vswitchd reads them are not counted.
#
# Workloads:
#   l2udp    c1 -> c2, UDP, 64-byte payload (run.sh's l2_udp64)
#   natudp   c1 -> outside through SNAT, UDP, 64-byte payload (new flows:
#            none; one flow, every packet a conntrack hit)
#   nattcp   c1 -> outside through SNAT, one TCP stream (iperf3 -n), per
#            frame in either direction (TSO frames count as one)
#   natcps   c1 -> outside through SNAT, CONNS short TCP connections one at
#            a time (connect, read 1 byte, close; client closes first, as
#            peers.sh's connrate with fresh 4-tuples), per connection and
#            per frame: the new-connection path (conntrack insert, NAT port
#            allocation, expiry) that run.sh's nat_cps times
#
# Usage (root): tools/bench/callgrind.sh [--base REV] [--secs N] [--out DIR]
#                                       [--conns N] [--only WORKLOAD,...]
#   prints, per workload and binary, Ir per frame (and per connection for
#   natcps) and the ratio, and leaves
#   the callgrind files in DIR (default bench-results/callgrind-DATE) for
#   callgrind_annotate (per function: callgrind_annotate --inclusive=no FILE).
# Env: VSWITCHD, VSCTL (default: <repo>/build/src/...); BASE_DIR: build the
# base there and keep it (a second run reuses it).

set -eo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SECS=5
BASE=""
OUT=""
CONNS=2000
ONLY=l2udp,natudp,nattcp,natcps
VSWITCHD=${VSWITCHD:-$REPO/build/src/vswitchd}
VSCTL=${VSCTL:-$REPO/build/src/vsctl}
P=cg$$
C1_IP=10.99.0.2
C2_IP=10.99.0.3
OUT_IP=198.51.100.10
UP_IP=198.51.100.1

die() { echo "callgrind.sh: $*" >&2; exit 1; }

while [ $# -gt 0 ]; do
	case $1 in
	--base) BASE=$2; shift 2 ;;
	--secs) SECS=$2; shift 2 ;;
	--out) OUT=$2; shift 2 ;;
	--conns) CONNS=$2; shift 2 ;;
	--only) ONLY=$2; shift 2 ;;
	*) die "unknown argument $1" ;;
	esac
done
[ "$(id -u)" = 0 ] || die "needs root (network namespaces)"
command -v callgrind_control >/dev/null || die "needs valgrind (apt-get install valgrind)"
command -v iperf3 >/dev/null || die "needs iperf3"
OUT=${OUT:-$REPO/bench-results/callgrind-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT"
TMP=$(mktemp -d)
PIDS=()

cleanup() {
	local p n
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	for n in sw c1 c2 out; do ip netns del "$P$n" 2>/dev/null || true; done
	rm -rf "$TMP" /etc/netns/"$P"c1 /etc/netns/"$P"c2
}
trap cleanup EXIT

# build_base REV: vswitchd and vsctl as of REV, in a temporary copy (or
# in $BASE_DIR, kept, and reused if it has them already)
build_base() {
	local dir=${BASE_DIR:-$TMP/base}
	BASE_VSWITCHD=$dir/build/src/vswitchd
	BASE_VSCTL=$dir/build/src/vsctl
	[ -x "$BASE_VSWITCHD" ] && [ -x "$BASE_VSCTL" ] && return 0
	mkdir -p "$dir"
	git -C "$REPO" archive --format=tar "$1" | tar -x -C "$dir"
	echo "building $1 in $dir ..." >&2
	(cd "$dir" && ./autogen.sh && mkdir -p build && cd build && ../configure &&
		make -j2 src/vswitchd src/vsctl) >"$dir/build.log" 2>&1 ||
		{ tail -20 "$dir/build.log" >&2; die "could not build $1"; }
	BASE_VSWITCHD=$dir/build/src/vswitchd
	BASE_VSCTL=$dir/build/src/vsctl
}

vs() { ip netns exec "${P}sw" "$CTL" --socket "$TMP/sock" "$@"; }

# rx NAME...: the sum of rx_packets of the named ports
rx() {
	vs --format json stats | python3 -c '
import json, sys
ports = {p["name"]: p for p in json.load(sys.stdin)["ports"]}
print(sum(ports[n]["rx_packets"] for n in sys.argv[1:]))' "$@"
}

# blast NS DST PORT: UDP, 64-byte payload, as fast as the socket takes
# them, for SECS seconds
blast() {
	ip netns exec "$1" python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
end, d, a = time.monotonic() + float(sys.argv[3]), b"x" * 64, (sys.argv[1], int(sys.argv[2]))
while time.monotonic() < end:
    for _ in range(256):
        try:
            s.sendto(d, a)
        except OSError:
            pass' "$2" "$3" "$SECS"
}

# want W: is workload W selected (--only)
want() { case ",$ONLY," in *",$1,"*) return 0 ;; esac; return 1; }

# connrate NS DST PORT N: N TCP connections one after the other, each
# connect, read the server's 1 byte, close (the client closes first, so
# TIME_WAIT stays in c1; fresh source ports, as peers.sh's nat_cps)
connrate() {
	ip netns exec "$1" python3 -c '
import socket, sys
a, n = (sys.argv[1], int(sys.argv[2])), int(sys.argv[3])
for _ in range(n):
    s = socket.create_connection(a, timeout=30)
    s.recv(1)
    s.close()' "$2" "$3" "$4"
}

setup() {
	local n
	for n in sw c1 c2 out; do ip netns add "$P$n"; ip -n "$P$n" link set lo up; done
	ip link add "${P}u" netns "${P}sw" type veth peer name "${P}o" netns "${P}out"
	ip -n "${P}sw" link set "${P}u" up
	ip -n "${P}out" addr add $OUT_IP/24 dev "${P}o"
	ip -n "${P}out" link set "${P}o" up
}

# measure NAME VSWITCHD VSCTL: one binary through every workload
measure() {
	local name=$1 bin=$2 pid before after ir nosandbox=""
	CTL=$3
	setup
	rm -rf "$TMP/state" "$TMP/sock"
	# valgrind's own system calls are not on the seccomp allow-list
	"$bin" --help 2>&1 | grep -q -- --no-sandbox && nosandbox=--no-sandbox
	ip netns exec "${P}sw" valgrind --tool=callgrind --collect-atstart=yes \
		--callgrind-out-file="$OUT/$name.out" "$bin" $nosandbox --state-dir "$TMP/state" \
		--socket "$TMP/sock" --uplink "afpacket:${P}u" --uplink-ip $UP_IP/24 \
		--uplink-gateway $OUT_IP --log-level warn >"$OUT/$name.log" 2>&1 &
	pid=$!
	PIDS+=("$pid")
	for _ in $(seq 1 300); do vs network ls >/dev/null 2>&1 && break; sleep 0.1; done
	vs network create --subnet 10.99.0.0/24 n1 >/dev/null
	vs network connect --netns "${P}c1" --ip $C1_IP n1 c1 >/dev/null
	vs network connect --netns "${P}c2" --ip $C2_IP n1 c2 >/dev/null
	ip netns exec "${P}c2" python3 -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("0.0.0.0", 9999))
while True: s.recv(100)' &
	PIDS+=("$!")
	ip netns exec "${P}out" python3 -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("0.0.0.0", 9999))
while True: s.recv(100)' &
	PIDS+=("$!")
	ip netns exec "${P}out" iperf3 -s -1 >/dev/null 2>&1 &
	PIDS+=("$!")
	ip netns exec "${P}out" python3 -c 'import socket; s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 9998)); s.listen(128)
while True:
    c, _ = s.accept(); c.sendall(b"x"); c.recv(1); c.close()' &
	PIDS+=("$!")
	# warm up: ARP, the NAT binding, the fdb
	ip netns exec "${P}c1" ping -c 2 -W 5 $C2_IP >/dev/null
	ip netns exec "${P}c1" ping -c 2 -W 5 $OUT_IP >/dev/null
	! want l2udp || run_one "$name" "$pid" l2udp "c1:eth0" blast "${P}c1" $C2_IP 9999
	! want natudp || run_one "$name" "$pid" natudp "c1:eth0" blast "${P}c1" $OUT_IP 9999
	! want nattcp || run_one "$name" "$pid" nattcp "c1:eth0 uplink" ip netns exec "${P}c1" \
		timeout 120 iperf3 -c $OUT_IP -n 20M -l 64K
	! want natcps || CONNS_DONE=$CONNS run_one "$name" "$pid" natcps "c1:eth0 uplink" \
		connrate "${P}c1" $OUT_IP 9998 "$CONNS"
	kill "$pid"
	wait "$pid" 2>/dev/null || true
	for n in sw c1 c2 out; do ip netns del "$P$n" 2>/dev/null || true; done
}

# run_one NAME PID WORKLOAD PORTS CMD...: zero, run, dump, Ir per frame
run_one() {
	local name=$1 pid=$2 w=$3 ports=$4 before after f ir
	shift 4
	before=$(rx $ports)
	callgrind_control -z "$pid" >/dev/null
	"$@" >/dev/null 2>&1 || true
	callgrind_control --dump="$w" "$pid" >/dev/null
	after=$(rx $ports)
	f=$(ls -t "$OUT/$name.out".* | head -1)
	mv "$f" "$OUT/$name.$w.cg"
	ir=$(callgrind_annotate "$OUT/$name.$w.cg" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1; exit}')
	echo "$name $w $((after - before)) $ir ${CONNS_DONE:-0}" | tee -a "$OUT/summary"
}

: >"$OUT/summary"
measure vswitchd "$VSWITCHD" "$VSCTL"
if [ -n "$BASE" ]; then
	build_base "$BASE"
	measure base "$BASE_VSWITCHD" "$BASE_VSCTL"
fi
python3 - "$OUT/summary" <<'EOF'
import sys
rows = {}
for line in open(sys.argv[1]):
    name, w, frames, ir, conns = line.split()
    rows[(name, w)] = (int(frames), int(ir), int(conns))
print(f"\n{'workload':8} {'binary':9} {'frames':>8} {'Ir':>14} {'Ir/frame':>9} {'Ir/conn':>9}")
for (name, w), (fr, ir, cn) in sorted(rows.items(), key=lambda x: (x[0][1], x[0][0])):
    per_conn = f"{ir / cn:9.0f}" if cn else ""
    print(f"{w:8} {name:9} {fr:8} {ir:14} {ir / max(fr, 1):9.0f} {per_conn}")
for w in sorted({w for _, w in rows}):
    if ("base", w) in rows and ("vswitchd", w) in rows:
        a, b = rows[("vswitchd", w)], rows[("base", w)]
        print(f"{w}: vswitchd / base = {(a[1] / max(a[0], 1)) / (b[1] / max(b[0], 1)):.3f}")
EOF
echo "callgrind files: $OUT"
