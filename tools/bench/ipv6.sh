#!/usr/bin/env bash
# tools/bench/ipv6.sh - the benchmark's IPv6 rows: the same workloads in
# IPv4 and in IPv6 through one vswitchd, and IPv6 as a ratio of IPv4.
#
# Why a script of its own rather than more peers in peers.sh: the shared
# peers.sh measures every peer in IPv4 only, and the target of issue 14 is
# not a peer comparison but a family comparison ("TCP and UDP-64 in IPv6
# within 10 % of the IPv4 figures"). Both families run on the same daemon,
# the same dual-stack network and the same ports, alternating v4 and v6 rep
# by rep so that a change of load on the machine hits both alike.
#
# Topology (every namespace is named ${P}*, P=v6b<PID>-, and goes at exit,
# also on failure):
#   ${P}sw   vswitchd, uplink afpacket on a veth to ${P}out, v4 198.51.100.1/24
#            and v6 2001:db8:ff::1/64 (next hops .10 and ::10)
#   ${P}c1   container, network n1: 10.99.0.0/24 + fd00:99::/64 (ULA, so
#   ${P}c2   NAT66, as Docker does), TAP ports
#   ${P}out  the outside host, 198.51.100.10 and 2001:db8:ff::10, with no
#            route back to either container subnet: replies return only
#            through NAT and NAT66
# Workloads, c1 -> c2 (l2) or c1 -> out (nat), iperf3 for SECS seconds:
#   l2tcp    one TCP stream (Gbit/s)
#   l2udp64  UDP, 64-byte payloads, -b 0 (kpps received)
#   nattcp   one TCP stream through NAT / NAT66 (Gbit/s)
# It measures; it asserts nothing. The last lines are the medians, v6/v4
# and the target (>= 0.9 for l2tcp and l2udp64; nattcp is shown too).
#
# Usage (root): tools/bench/ipv6.sh [--secs N] [--reps N]
# Env: VSWITCHD, VSCTL (default: <repo>/build/src/...), VSW_ATTACH (tap).

set -eo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SECS=5
REPS=3
VSWITCHD=${VSWITCHD:-$REPO/build/src/vswitchd}
VSCTL=${VSCTL:-$REPO/build/src/vsctl}
ATTACH=${VSW_ATTACH:-tap}
P=v6b$$-
TMP=$(mktemp -d /tmp/${P}XXXX)
PIDS=()
NETNS_ETC=()

die() { echo "ipv6.sh: $*" >&2; exit 1; }

while [ $# -gt 0 ]; do
	case $1 in
	--secs) SECS=$2; shift 2 ;;
	--reps) REPS=$2; shift 2 ;;
	-h|--help) sed -n '2,/^$/p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) die "unknown argument $1 (see --help)" ;;
	esac
done
[ "$(id -u)" = 0 ] || die "run as root (namespaces)"
[ -x "$VSWITCHD" ] && [ -x "$VSCTL" ] || die "build first (make), or set VSWITCHD/VSCTL"
command -v iperf3 >/dev/null || die "iperf3 missing (tools/install-deps.sh)"

cleanup() {
	local p ns
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	for ns in $(ip netns list | awk '{print $1}' | grep "^$P" || true); do
		ip netns del "$ns" 2>/dev/null || true
	done
	for p in "${NETNS_ETC[@]}"; do rm -rf "$p"; done
	rm -rf "$TMP"
}
trap cleanup EXIT

# (a function: never put it in the background, or $! is the subshell's PID
# and the process outlives the cleanup; background ip netns exec itself)
nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
vsw() { nsx "${P}sw" "$VSCTL" --socket "$TMP/sock" "$@"; }

setup() {
	local n
	for n in sw c1 c2 out; do
		[ -e "/etc/netns/${P}$n" ] || NETNS_ETC+=("/etc/netns/${P}$n")
		ip netns add "${P}$n"
		nsx "${P}$n" ip link set lo up
	done
	ip link add "${P}up" netns "${P}sw" type veth peer name eth0 netns "${P}out"
	nsx "${P}sw" ip link set "${P}up" up
	nsx "${P}out" ip addr add 198.51.100.10/24 dev eth0
	nsx "${P}out" ip -6 addr add 2001:db8:ff::10/64 dev eth0 nodad
	nsx "${P}out" ip link set eth0 up
	ip netns exec "${P}sw" "$VSWITCHD" --state-dir "$TMP/state" --socket "$TMP/sock" \
		--log-file "$TMP/vswitchd.log" --uplink "afpacket:${P}up" \
		--uplink-ip 198.51.100.1/24 --uplink-gateway 198.51.100.10 \
		--uplink-ip6 2001:db8:ff::1/64 --uplink-gateway6 2001:db8:ff::10 \
		>/dev/null 2>&1 &
	PIDS+=($!)
	for _ in $(seq 100); do vsw network ls >/dev/null 2>&1 && break; sleep 0.1; done
	vsw network create --ipv6 --subnet 10.99.0.0/24 --subnet fd00:99::/64 n1 >/dev/null
	vsw network connect --attach "$ATTACH" --netns "${P}c1" --ifname eth0 n1 c1 >/dev/null
	vsw network connect --attach "$ATTACH" --netns "${P}c2" --ifname eth0 n1 c2 >/dev/null
}

addr4() { nsx "$1" ip -4 -o addr show dev eth0 | awk '{print $4}' | cut -d/ -f1 | head -1; }
addr6() { nsx "$1" ip -6 -o addr show dev eth0 scope global | awk '{print $4}' | cut -d/ -f1 | head -1; }

# reach NS ADDR: wait until NS pings ADDR (neighbour caches, DAD-free setup)
reach() {
	local ns=$1 a=$2
	for _ in $(seq 50); do
		nsx "$ns" ping -c1 -W1 "$a" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	die "$ns cannot reach $a (log: $TMP/vswitchd.log)"
}

# measure KIND FROM TO ADDR: one iperf3 run, prints one number
measure() {
	local kind=$1 from=$2 to=$3 a=$4 out
	ip netns exec "$to" iperf3 -s -1 -B "$a" >/dev/null 2>&1 &
	PIDS+=($!)
	for _ in $(seq 50); do nsx "$to" ss -ltn | grep -q ":5201 " && break; sleep 0.1; done
	if [ "$kind" = udp64 ]; then
		out=$(nsx "$from" iperf3 -c "$a" -u -b 0 -l 64 -t "$SECS" -J)
		echo "$out" | /usr/bin/python3 -c 'import json,sys; r=json.load(sys.stdin)["end"]["sum"]; print("%.1f" % ((r["packets"]-r["lost_packets"])/r["seconds"]/1e3))'
	else
		out=$(nsx "$from" iperf3 -c "$a" -t "$SECS" -J)
		echo "$out" | /usr/bin/python3 -c 'import json,sys; r=json.load(sys.stdin)["end"]["sum_received"]; print("%.3f" % (r["bits_per_second"]/1e9))'
	fi
	wait "${PIDS[-1]}" 2>/dev/null || true
}

setup
C2_4=$(addr4 "${P}c2"); C2_6=$(addr6 "${P}c2")
[ -n "$C2_4" ] && [ -n "$C2_6" ] || die "c2 has no v4 or v6 address"
reach "${P}c1" "$C2_4"; reach "${P}c1" "$C2_6"
reach "${P}c1" 198.51.100.10; reach "${P}c1" 2001:db8:ff::10

RES=$TMP/results.tsv
: >"$RES"
for rep in $(seq "$REPS"); do
	for fam in 4 6; do
		if [ $fam = 4 ]; then c2=$C2_4; out=198.51.100.10; else c2=$C2_6; out=2001:db8:ff::10; fi
		printf "%s\t%s\t%s\t%s\n" l2tcp $fam $rep "$(measure tcp "${P}c1" "${P}c2" "$c2")" >>"$RES"
		printf "%s\t%s\t%s\t%s\n" l2udp64 $fam $rep "$(measure udp64 "${P}c1" "${P}c2" "$c2")" >>"$RES"
		printf "%s\t%s\t%s\t%s\n" nattcp $fam $rep "$(measure tcp "${P}c1" "${P}out" "$out")" >>"$RES"
	done
	echo "ipv6.sh: rep $rep of $REPS done" >&2
done

/usr/bin/python3 - "$RES" "$SECS" "$REPS" <<'PY'
import statistics, sys
vals = {}
for line in open(sys.argv[1]):
    w, fam, _, v = line.split()
    vals.setdefault((w, fam), []).append(float(v))
print(f"\nvswitchd IPv6 vs IPv4 (same daemon, same ports; medians of {sys.argv[3]} reps of {sys.argv[2]} s)")
fmt = "{:<9} {:<8} {:>9} {:>9} {:>6} {:>7}  {}"
print(fmt.format("workload", "unit", "IPv4", "IPv6", "v6/v4", "target", "verdict"))
print("-" * 62)
for w, unit, tgt in (("l2tcp", "Gbit/s", 0.9), ("l2udp64", "kpps", 0.9), ("nattcp", "Gbit/s", None)):
    a, b = vals.get((w, "4")), vals.get((w, "6"))
    if not a or not b:
        print(fmt.format(w, unit, "NA", "NA", "NA", "", "not measured"))
        continue
    m4, m6 = statistics.median(a), statistics.median(b)
    r = m6 / m4 if m4 else 0.0
    verdict = "shown" if tgt is None else ("met" if r >= tgt else "MISSED")
    print(fmt.format(w, unit, f"{m4:.4g}", f"{m6:.4g}", f"{r:.2f}",
                     "" if tgt is None else f">={tgt}", verdict))
PY
