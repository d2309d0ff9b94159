#!/usr/bin/env bash
# tools/bench/vxlan.sh - TCP and UDP-64 between two hosts through the VXLAN
# tunnel, vswitchd's next to the kernel's.
#
# Why: an overlay network's cost is the tunnel's (encapsulation, a UDP
# socket per burst, segmentation of GSO frames before the tunnel); the
# kernel's vxlan device on a Linux bridge is what a user would otherwise
# run, so it is the reference.
#
# How: an underlay bridge in a namespace of its own (10.98.0.0/24), two
# "hosts" on it, each a namespace with a veth onto the bridge:
#   vswitch: each host runs vswitchd --vtep-ip, an overlay network (VNI 4711,
#            10.97.0.0/24) with the other host as member, and one container;
#   linux:   each host has a Linux bridge with a vxlan device (same VNI,
#            nolearning, the other host as its all-zeros fdb entry) and one
#            container on a veth, MTU 1450.
# Workloads, container of host 1 -> container of host 2:
#   tcp      iperf3 -t SECS, one stream (Gbit/s)
#   udp64    iperf3 -u -b 0 -l 64 -t SECS (packets/s received, loss)
# Every namespace has the prefix vxb<PID>- and goes at the end, also on
# failure.  Not a test: figures vary with the machine's load (2 shared
# cores here); compare the two columns of one run.
#
# Usage (root): tools/bench/vxlan.sh [--secs N]
# Env: VSWITCHD, VSCTL (default: <repo>/build/src/...).

set -eo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SECS=5
VSWITCHD=${VSWITCHD:-$REPO/build/src/vswitchd}
VSCTL=${VSCTL:-$REPO/build/src/vsctl}
P=vxb$$-
VNI=4711
TMP=$(mktemp -d /tmp/${P}XXXX)
PIDS=()

die() { echo "vxlan.sh: $*" >&2; exit 1; }

while [ $# -gt 0 ]; do
	case $1 in
	--secs) SECS=$2; shift 2 ;;
	*) die "unknown argument $1" ;;
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
	rm -rf "$TMP"
}
trap cleanup EXIT

# (a function: never put it in the background, or $! is the subshell's PID
# and the process outlives the cleanup; background ip netns exec itself)
nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

# underlay leg: veth from ${P}ul's br0 into NS as ul0 with ADDR/24
leg() {
	local ns=$1 name=$2 addr=$3
	ip link add "${P}${name}u" netns "${P}ul" type veth peer name "${P}${name}x" netns "$ns"
	ip -n "${P}ul" link set "${P}${name}u" master br0 up
	ip -n "$ns" link set "${P}${name}x" name ul0
	ip -n "$ns" addr add "$addr/24" dev ul0
	ip -n "$ns" link set ul0 up
	ip -n "$ns" link set lo up
}

underlay() {
	ip netns add "${P}ul"
	ip -n "${P}ul" link add br0 type bridge
	ip -n "${P}ul" link set br0 up
}

# vswitch: host I (1, 2) at 10.98.0.1I, container ${P}vcI at 10.97.0.1I
vswitch_host() {
	local i=$1 other=$2 h="${P}vh$1" c="${P}vc$1"
	ip netns add "$h"
	leg "$h" "v$i" "10.98.0.1$i"
	ip netns exec "$h" "$VSWITCHD" --state-dir "$TMP/s$i" --socket "$TMP/v$i.sock" \
		--log-file "$TMP/v$i.log" --vtep-ip "10.98.0.1$i" >/dev/null 2>&1 &
	PIDS+=($!)
	for _ in $(seq 100); do
		"$VSCTL" --socket "$TMP/v$i.sock" network ls >/dev/null 2>&1 && break
		sleep 0.1
	done
	"$VSCTL" --socket "$TMP/v$i.sock" network create --driver overlay -o vxlan.vni=$VNI \
		--subnet 10.97.0.0/24 --ip-range "10.97.0.$((16 * i))/28" ovb >/dev/null
	"$VSCTL" --socket "$TMP/v$i.sock" network vtep add ovb "10.98.0.1$other"
	ip netns add "$c"
	"$VSCTL" --socket "$TMP/v$i.sock" network connect --netns "$c" ovb "c$i"
}

# linux: host I at 10.98.0.2I, a bridge with vx0, container ${P}lcI at 10.96.0.1I
linux_host() {
	local i=$1 other=$2 h="${P}lh$1" c="${P}lc$1"
	ip netns add "$h"
	leg "$h" "l$i" "10.98.0.2$i"
	nsx "$h" ip link add br0 type bridge
	nsx "$h" ip link add vx0 type vxlan id $VNI local "10.98.0.2$i" dstport 4789 nolearning
	nsx "$h" bridge fdb append 00:00:00:00:00:00 dev vx0 dst "10.98.0.2$other" self
	nsx "$h" ip link set vx0 master br0 up
	ip netns add "$c"
	ip link add "${P}l$i" netns "$h" type veth peer name eth0 netns "$c"
	nsx "$h" ip link set "${P}l$i" master br0 up
	nsx "$h" ip link set br0 up
	nsx "$c" ip link set eth0 mtu 1450
	nsx "$c" ip addr add "10.96.0.1$i/24" dev eth0
	nsx "$c" ip link set eth0 up
}

addr_of() {   # the container's eth0 address
	nsx "$1" ip -4 -o addr show dev eth0 | awk '{print $4}' | cut -d/ -f1
}

# run WORKLOAD from C1 to C2 (address IP2); prints one figure
measure() {
	local what=$1 c1=$2 c2=$3 ip2=$4 out
	ip netns exec "$c2" iperf3 -s -1 -B "$ip2" >/dev/null 2>&1 &
	PIDS+=($!)
	for _ in $(seq 50); do nsx "$c2" ss -ltn | grep -q ":5201" && break; sleep 0.1; done
	if [ "$what" = tcp ]; then
		out=$(nsx "$c1" iperf3 -c "$ip2" -t "$SECS" -J)
		echo "$out" | /usr/bin/python3 -c 'import json,sys; r=json.load(sys.stdin)["end"]["sum_received"]; print("%.2f Gbit/s" % (r["bits_per_second"]/1e9))'
	else
		out=$(nsx "$c1" iperf3 -c "$ip2" -u -b 0 -l 64 -t "$SECS" -J)
		echo "$out" | /usr/bin/python3 -c 'import json,sys; r=json.load(sys.stdin)["end"]["sum"]; print("%.0f kpps received, %.1f %% lost" % ((r["packets"]-r["lost_packets"])/r["seconds"]/1e3, r["lost_percent"]))'
	fi
}

underlay
vswitch_host 1 2
vswitch_host 2 1
linux_host 1 2
linux_host 2 1
V2=$(addr_of "${P}vc2")
for _ in $(seq 50); do nsx "${P}vc1" ping -c1 -W1 "$V2" >/dev/null 2>&1 && break; done
for _ in $(seq 50); do nsx "${P}lc1" ping -c1 -W1 10.96.0.12 >/dev/null 2>&1 && break; done

printf "%-8s %-32s %s\n" workload "vswitchd (VXLAN port)" "Linux (vxlan + bridge)"
for w in tcp udp64; do
	printf "%-8s %-32s %s\n" "$w" "$(measure $w "${P}vc1" "${P}vc2" "$V2")" \
		"$(measure $w "${P}lc1" "${P}lc2" 10.96.0.12)"
done
