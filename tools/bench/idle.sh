#!/usr/bin/env bash
# tools/bench/idle.sh - vswitchd at rest: RSS and wake-ups when no packet
# flows, for issue 8's "idle" target (under 10 MB, no wake-ups).
#
# Sets up what a real host has -- an uplink (a veth to an "outside"
# namespace), one network, two TAP containers, a published port -- sends
# some traffic through every path (L2, NAT, DNS, the published port), then
# leaves it alone for a settling time and counts, over a window, the times
# vswitchd went to sleep and was woken (voluntary context switches in
# /proc/PID/status), and reads its RSS.  IPv6 is off in every namespace of
# the probe, so the kernel's own router solicitations and MLD reports (real
# packets, which vswitchd must read) do not count as wake-ups.  Timers that
# still have work (conntrack entries of the traffic expiring) may wake it
# during the settling time; the window starts after it.  vswitchd runs in
# a namespace of its own, like everything else here: nothing is wired into
# the host's namespace.
#
# Usage (root): tools/bench/idle.sh VSWITCHD VSCTL [SETTLE_S] [WINDOW_S]
# Env: IDLE_SMAPS=FILE also writes vswitchd's /proc/PID/smaps at the end of
# the window there (where the resident memory is, mapping by mapping).
# Prints one line: "idle rss_kb=N wakeups=N window_s=N".  Every name has a
# prefix unique to the run; everything is removed on exit, also on failure.
set -u
vswitchd=$1 vsctl=$2 settle=${3:-40} window=${4:-10}
p=vi$(printf '%04x' $((RANDOM % 65536)))
dir=$(mktemp -d /tmp/$p.XXXX)
pid=

idle_cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && sleep 0.3
	for ns in ${p}o ${p}c1 ${p}c2 ${p}s; do ip netns del "$ns" 2>/dev/null; done
	rm -rf "$dir" "/etc/netns/${p}c1" "/etc/netns/${p}c2"
}
trap idle_cleanup EXIT

idle_ns() {
	ip netns add "$1"
	ip netns exec "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1
	ip -n "$1" link set lo up
}

idle_ns ${p}o
idle_ns ${p}s
ip link add ${p}u netns ${p}s type veth peer name ${p}v netns ${p}o
ip -n ${p}s link set ${p}u up
ip -n ${p}o addr add 198.51.100.10/24 dev ${p}v
ip -n ${p}o link set ${p}v up
ip netns exec ${p}s "$vswitchd" --state-dir "$dir/state" --socket "$dir/sock" --log-file "$dir/log" \
	--pidfile "$dir/pid" --detach --uplink afpacket:${p}u \
	--uplink-ip 198.51.100.1/24 --uplink-gateway 198.51.100.10 || exit 1
pid=$(cat "$dir/pid")
V() { ip netns exec ${p}s "$vsctl" --socket "$dir/sock" "$@" >/dev/null; }
V network create ${p}n
for c in c1 c2; do
	idle_ns ${p}$c
	V network connect --netns ${p}$c ${p}n $c
done
V port publish c2 8080:80
ip2=$(ip -n ${p}c2 -4 -o addr show eth0 | awk '{print $4}' | cut -d/ -f1)
# Traffic through every path, so that what it leaves behind is measured.
ip netns exec ${p}c1 ping -c 3 -i 0.2 -q "$ip2" >/dev/null
ip netns exec ${p}c1 ping -c 3 -i 0.2 -q 198.51.100.10 >/dev/null
ip netns exec ${p}c1 getent hosts c2 >/dev/null
ip netns exec ${p}o timeout 3 bash -c 'exec 3<>/dev/tcp/198.51.100.1/8080' 2>/dev/null
sleep "$settle"
before=$(awk '/^voluntary_ctxt_switches/ {print $2}' /proc/$pid/status)
sleep "$window"
[ -n "${IDLE_SMAPS:-}" ] && cat /proc/$pid/smaps >"$IDLE_SMAPS"
after=$(awk '/^voluntary_ctxt_switches/ {print $2}' /proc/$pid/status)
rss=$(awk '/^VmRSS/ {print $2}' /proc/$pid/status)
echo "idle rss_kb=$rss wakeups=$((after - before)) window_s=$window"
