#!/usr/bin/env bash
# tools/bench/run.sh - the benchmark of issue 8 in one command.
#
# Builds vswitchd out of tree in build-bench/, runs the shared peers.sh with
# our peer file (tools/bench/vswitchd.sh) next to the kernel bridge and Open
# vSwitch in the same run, same topology, same tools, then prints peers.sh's
# tables and one more: each target of issue 8 as a ratio of vswitchd's median
# to the peer's median from that same run (never to remembered numbers, which
# were taken on a different load). It measures; it asserts nothing.
#
# Usage (root): tools/bench/run.sh [--quick] [--no-install] [--no-build] [PEER...]
#   default peers: vswitchd kbridge kbridge-nooff ovs-tap-tso ovs-tap veth-direct
#   --quick   DUR=2 REPS=1 (peers.sh's quick mode)
#   env: PEERS_SH (default ../shared/bench/peers.sh relative to the repo),
#        RESULTS_DIR (default <repo>/bench-results; never committed), DUR, REPS
# Missing packages (iperf3, nftables, openvswitch-switch, ...) are installed
# with apt through peers.sh --install unless --no-install is given.

set -eo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PEERS_SH=${PEERS_SH:-$REPO/../shared/bench/peers.sh}
export RESULTS_DIR=${RESULTS_DIR:-$REPO/bench-results}
DEFAULT="vswitchd kbridge kbridge-nooff ovs-tap-tso ovs-tap veth-direct"

run_die() { echo "run.sh: $*" >&2; exit 1; }

run_build() {
	cd "$REPO"
	if [ ! -x configure ] || [ configure.ac -nt configure ]; then ./autogen.sh; fi
	mkdir -p build-bench
	cd build-bench
	[ -f Makefile ] || ../configure
	make -j"$(nproc)"
	cd "$REPO"
}

# run_need_install: 1 if a tool some peer needs is absent
run_need_install() {
	local c
	for c in iperf3 nft ovs-vswitchd ethtool gcc python3; do
		command -v "$c" >/dev/null || return 0
	done
	return 1
}

main() {
	local quick="" install=1 build=1 peers=() a
	for a in "$@"; do
		case $a in
		--quick) quick=--quick ;;
		--no-install) install="" ;;
		--no-build) build="" ;;
		-h|--help) sed -n '2,/^$/p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
		-*) run_die "unknown option $a (see --help)" ;;
		*) peers+=("$a") ;;
		esac
	done
	[ "$(id -u)" = 0 ] || run_die "must run as root (it creates network namespaces)"
	[ -r "$PEERS_SH" ] || run_die "peers.sh not found at $PEERS_SH; set PEERS_SH=/path/to/bench/peers.sh"
	[ ${#peers[@]} -gt 0 ] || peers=($DEFAULT)
	[ -n "$build" ] && run_build
	local inst=""
	[ -n "$install" ] && run_need_install && inst=--install
	mkdir -p "$RESULTS_DIR"
	local before
	before=$(ls "$RESULTS_DIR"/peers-*.summary.tsv 2>/dev/null | sort | tail -1 || true)
	echo "load before the run: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cpus" >&2
	PEER_FILES="$REPO/tools/bench/vswitchd.sh" bash "$PEERS_SH" $inst $quick "${peers[@]}" ||
		echo "run.sh: peers.sh exited with $?" >&2
	local summary
	summary=$(ls "$RESULTS_DIR"/peers-*.summary.tsv 2>/dev/null | sort | tail -1 || true)
	[ -n "$summary" ] && [ "$summary" != "$before" ] || run_die "no new summary in $RESULTS_DIR"
	/usr/bin/python3 - "$summary" <<'PY'
# Ratios of vswitchd to its peers for each target of issue 8 (same run).
import sys
med = {}
with open(sys.argv[1]) as f:
    next(f)
    for line in f:
        p, m, unit, v = line.rstrip("\n").split("\t")[:4]
        try:
            med[(p, m)] = float(v)
        except ValueError:
            pass
# (what, metric, peer, target ratio, higher_is_better)
T = [
    ("TCP c1->c2, 1 stream", "l2_tcp1_gbps", "ovs-tap-tso", 1.0, True),
    ("TCP c1->c2, 1 stream", "l2_tcp1_gbps", "kbridge", 0.85, True),
    ("UDP 64B rx kpps", "l2_udp64_rx_kpps", "ovs-tap-tso", 1.5, True),
    ("UDP 64B rx kpps", "l2_udp64_rx_kpps", "kbridge", 0.9, True),
    ("ping avg", "l2_ping_avg_us", "kbridge", 1.3, False),
    ("NAT TCP c1->outside", "nat_tcp1_gbps", "kbridge", 0.85, True),
    ("published port TCP", "pf_tcp1_gbps", "kbridge", 0.85, True),
    ("NAT new conn/s", "nat_cps", "kbridge", 1.0, True),
]
print("\nvswitchd vs issue 8 targets (medians of this run; ratio = vswitchd / peer)")
fmt = "{:<22} {:<12} {:>10} {:>10} {:>7} {:>9}  {}"
print(fmt.format("target", "peer", "vswitchd", "peer", "ratio", "target", "verdict"))
print("-" * 84)
for what, m, peer, tgt, up in T:
    a, b = med.get(("vswitchd", m)), med.get((peer, m))
    if a is None or b is None or b == 0:
        print(fmt.format(what, peer, "NA" if a is None else f"{a:.4g}",
                         "NA" if b is None else f"{b:.4g}", "NA", "", "not measured"))
        continue
    r = a / b
    ok = r >= tgt if up else r <= tgt
    op = ">=" if up else "<="
    by = "" if ok else f" by {abs(r - tgt) / tgt * 100:.0f}%"
    print(fmt.format(what, peer, f"{a:.4g}", f"{b:.4g}", f"{r:.2f}", f"{op}{tgt}",
                     ("met" if ok else "MISSED") + by))
print("(conntrack 1M-entry memory/lookup: make -C build-bench bench-ct; idle RSS/wake-ups: doc/performance.md)")
PY
}

main "$@"
