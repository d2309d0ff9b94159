# tools/bench/vswitchd.sh - vswitchd as a peer of the side-by-side benchmark.
#
# Sourced by peers.sh (PEER_FILES=tools/bench/vswitchd.sh, see run.sh); it
# follows peers.sh's PEER CONTRACT: namespaces only through ns_add and the
# daemon only through spawn, so peers.sh's own cleanup undoes everything even
# when a step fails. The topology is the one every other peer gets: c1 and c2
# on one L2 segment (10.99.0.0/24, gateway 10.99.0.1 owned by the switch),
# and an outside host bn-out (198.51.100.10) reachable only through the
# switch's NAT on a veth uplink; the outside host is also the uplink's next
# hop (vswitchd needs --uplink-gateway, and bn-out is the only host there).
# vswitchd runs in the foreground (no --detach) so that spawn's PID is the
# daemon itself and CPU accounting (SW_PIDS) measures the right process.
#
# A second peer, vswitchd-base, is the same setup with other binaries:
# those of a base revision that run.sh --base REV built, so that one run
# measures the change and the code before it side by side, on the same load.
# It exists only when VSWITCHD_BASE_BIN is set.
#
# Env: VSWITCHD_BIN, VSCTL_BIN (default: the binaries of build-bench/ next to
# this file's repository), VSW_ATTACH=tap|veth (container ports, default tap),
# VSWITCHD_BASE_BIN, VSCTL_BASE_BIN (vswitchd-base's; run.sh --base sets
# them).

EXTRA_PEERS="$EXTRA_PEERS vswitchd"
[ -n "${VSWITCHD_BASE_BIN:-}" ] && EXTRA_PEERS="$EXTRA_PEERS vswitchd-base"

VSW_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
VSWITCHD_BIN=${VSWITCHD_BIN:-$VSW_REPO/build-bench/src/vswitchd}
VSCTL_BIN=${VSCTL_BIN:-$VSW_REPO/build-bench/src/vsctl}
VSW_ATTACH=${VSW_ATTACH:-tap}
VSCTL_BASE_BIN=${VSCTL_BASE_BIN:-${VSWITCHD_BASE_BIN%/*}/vsctl}
VSW_CTL=$VSCTL_BIN   # the vsctl of the peer being set up

peer_vswitchd_desc() { echo "vswitchd ($VSW_ATTACH ports): L2 + gateway + NAT + published port, one process"; }
peer_vswitchd_base_desc() { echo "as vswitchd, built at the base revision (run.sh --base): the side-by-side reference"; }

# vsw ARGS...: one vsctl command against this run's private socket
vsw() { ip netns exec bn-sw "$VSW_CTL" --socket "$TMP/vsw/sock" "$@"; }

# vsw_wait_ready: the control socket answers (the daemon has started)
vsw_wait_ready() {
	local i
	for i in $(seq 1 50); do vsw network ls >/dev/null 2>&1 && return 0; sleep 0.1; done
	echo "vswitchd did not answer on $TMP/vsw/sock"; return 1
}

# VSWITCHD_ARGS: more options for the vswitchd under test only (the base
# may not know them), e.g. "--poll-window 0" to take a feature out of an A/B
# shellcheck disable=SC2086
peer_vswitchd_setup() { vsw_setup "$VSWITCHD_BIN" "$VSCTL_BIN" ${VSWITCHD_ARGS:-}; }
peer_vswitchd_base_setup() { vsw_setup "$VSWITCHD_BASE_BIN" "$VSCTL_BASE_BIN"; }

# vsw_setup VSWITCHD VSCTL [OPTION...]: the peer's topology, served by
# these binaries, the daemon started with OPTIONs as well
vsw_setup() {
	local bin=$1
	VSW_CTL=$2
	shift 2
	[ -x "$bin" ] || { echo "no $bin (build first: tools/bench/run.sh)"; return 1; }
	[ -x "$VSW_CTL" ] || { echo "no $VSW_CTL"; return 1; }
	ns_add bn-sw bn-c1 bn-c2 bn-out || return 1
	mkdir -p "$TMP/vsw"
	VSW_NETNS_ETC=""
	local n
	for n in bn-c1 bn-c2; do [ -e /etc/netns/$n ] || VSW_NETNS_ETC="$VSW_NETNS_ETC /etc/netns/$n"; done
	# uplink: a veth from the switch's namespace to the outside host
	veth_pair bn-sw bnouts bn-out bno0 || return 1
	ip -n bn-out link set bno0 address $OUT_MAC
	ip -n bn-out addr add $OUT_IP/24 dev bno0   # no route back to 10.99/16: NAT only
	rm -rf "$TMP/vsw/state" "$TMP/vsw/sock"   # the other vswitchd peer's
	spawn "$PEER" ip netns exec bn-sw "$bin" --state-dir "$TMP/vsw/state" \
		--socket "$TMP/vsw/sock" --uplink afpacket:bnouts --uplink-ip $OUT_GW_IP/24 \
		--uplink-gateway $OUT_IP "$@"
	SW_PIDS="$LAST_PID"
	vsw_wait_ready || return 1
	vsw network create --subnet 10.99.0.0/24 --gateway $GW_IP n1 || return 1
	vsw network connect --attach $VSW_ATTACH --netns bn-c1 --ip $C1_IP --mac $C1_MAC --ifname eth0 n1 c1 || return 1
	vsw network connect --attach $VSW_ATTACH --netns bn-c2 --ip $C2_IP --mac $C2_MAC --ifname eth0 n1 c2 || return 1
	vsw port publish c2 $PF_PORT:$SRV_PORT || return 1
	CAPS="l2 nat pf"; C1_IF=eth0; C2_IF=eth0; PF_ADDR=$OUT_GW_IP; PF_NS=bn-c2
	PEER_INFO="vswitchd $("$bin" --version 2>/dev/null | head -1), $VSW_ATTACH ports, afpacket uplink"
}

# The daemon and namespaces are peers.sh's to remove; only the resolv.conf
# directories vswitchd made for the containers are left to us.
peer_vswitchd_teardown() {
	local d
	for d in $VSW_NETNS_ETC; do rm -rf "$d"; done
	VSW_NETNS_ETC=""
}
peer_vswitchd_base_teardown() { peer_vswitchd_teardown; }
