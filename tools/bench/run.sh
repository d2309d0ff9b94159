#!/usr/bin/env bash
# tools/bench/run.sh - the benchmark of issue 8 in one command.
#
# Builds vswitchd out of tree in build-bench/, runs the shared peers.sh with
# our peer file (tools/bench/vswitchd.sh) next to the kernel bridge and Open
# vSwitch in the same run, same topology, same tools, then prints peers.sh's
# tables and one more: each target of issue 8 as a ratio of vswitchd's median
# to the peer's median from that same run (never to remembered numbers, which
# were taken on a different load). It measures; it asserts nothing.
# Then it runs the two targets that need no peer: the conntrack
# micro-benchmark (build-bench/tools/bench/ct_bench: memory and lookup cost
# at 1M entries against 1K) and vswitchd at rest (tools/bench/idle.sh: RSS
# and wake-ups with an uplink and containers, after traffic), and prints
# them in the same table. Last, the IPv6 rows of issue 14
# (tools/bench/ipv6.sh: TCP, UDP-64 and NAT TCP in IPv6 and in IPv4 through
# one dual-stack vswitchd, v6/v4 against the >= 0.9 target), printed after
# that table; --no-ipv6 skips them.
#
#
# Side by side with a base revision: --base REV builds vswitchd as it was at
# git revision REV (a commit, tag or branch of this repository) in a
# temporary copy of that tree (git archive; removed at exit), and runs it as
# one more peer, vswitchd-base, right after vswitchd in the same peers.sh
# run. A last table gives, for every figure both measured, vswitchd's median
# over vswitchd-base's and flags each change worse than 5 % ("no regression
# beyond noise" is read from one run, on one load). With --base and no PEER,
# the peers are just vswitchd and vswitchd-base.
#
# One such run is not enough on a 2-core VM: an A/A run (--base HEAD, the
# same tree twice) moved ping by up to 38 % and new connections by up to
# 24 % (doc/performance.md), partly because the second peer always runs on
# the first one's leftover load. --rounds N (with --base) runs peers.sh N
# times with just the two, swapping their order every round, and compares
# the medians of all reps of all rounds. A figure is flagged only when
# that pooled ratio is worse by more than 5 % and the figure was worse in
# more than half of the rounds. The conntrack, idle and IPv6 parts are
# skipped: they have no base.
#
# Usage (root): tools/bench/run.sh [--quick] [--no-install] [--no-build]
#                                  [--base REV [--rounds N]] [--no-ipv6]
#                                  [--dry-run] [PEER...]
#   default peers: vswitchd kbridge kbridge-nooff ovs-tap-tso ovs-tap veth-direct
#   --quick   DUR=2 REPS=1 (peers.sh's quick mode)
#   --dry-run check the arguments, resolve REV, print what would be built and
#             run, and stop: no build, no root needed, nothing measured
#   env: PEERS_SH (default ../shared/bench/peers.sh relative to the repo),
#        RESULTS_DIR (default <repo>/bench-results; never committed), DUR, REPS,
#        VSWITCHD_ARGS (more options for the vswitchd under test, not the
#        base: "--poll-window 0" takes the poll window out of an A/B)
# Missing packages (iperf3, nftables, openvswitch-switch, ...) are installed
# with apt through peers.sh --install unless --no-install is given.

set -eo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PEERS_SH=${PEERS_SH:-$REPO/../shared/bench/peers.sh}
export RESULTS_DIR=${RESULTS_DIR:-$REPO/bench-results}
DEFAULT="vswitchd kbridge kbridge-nooff ovs-tap-tso ovs-tap veth-direct"

run_die() { echo "run.sh: $*" >&2; exit 1; }

# run_base_build REV: vswitchd and vsctl as of REV, built in a temporary
# copy of that tree; sets VSWITCHD_BASE_BIN and VSCTL_BASE_BIN.  The copy
# is made with git archive, so the repository (its worktrees, branches and
# index) is left as it is.
run_base_build() {
	local rev=$1
	BASE_DIR=$(mktemp -d "${TMPDIR:-/tmp}/vswitchd-base.XXXXXX")
	trap 'rm -rf "$BASE_DIR"' EXIT
	git -C "$REPO" archive --format=tar "$rev" | tar -x -C "$BASE_DIR" ||
		run_die "git archive $rev failed"
	echo "building vswitchd at $rev in $BASE_DIR ..." >&2
	(cd "$BASE_DIR" && ./autogen.sh && mkdir -p build && cd build && ../configure &&
		make -j"$(nproc)" src/vswitchd src/vsctl) >"$BASE_DIR/build.log" 2>&1 ||
		{ tail -20 "$BASE_DIR/build.log" >&2; run_die "could not build $rev (log above)"; }
	export VSWITCHD_BASE_BIN=$BASE_DIR/build/src/vswitchd
	export VSCTL_BASE_BIN=$BASE_DIR/build/src/vsctl
}

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

# run_with_base PEER...: the list with vswitchd-base right after vswitchd
# (added if missing), so the two run one after the other on the same load.
run_with_base() {
	local p out=() seen=""
	for p in "$@"; do
		[ "$p" = vswitchd-base ] && continue
		out+=("$p")
		[ "$p" = vswitchd ] && { out+=(vswitchd-base); seen=1; }
	done
	[ -n "$seen" ] || out=(vswitchd vswitchd-base "${out[@]}")
	echo "${out[@]}"
}

main() {
	local quick="" install=1 build=1 peers=() a base="" dry="" base_sha="" v6=1 rounds=1
	while [ $# -gt 0 ]; do
		a=$1; shift
		case $a in
		--quick) quick=--quick ;;
		--no-install) install="" ;;
		--no-build) build="" ;;
		--base) [ $# -gt 0 ] || run_die "--base needs a revision"; base=$1; shift ;;
		--base=*) base=${a#--base=} ;;
		--rounds) [ $# -gt 0 ] || run_die "--rounds needs a number"; rounds=$1; shift ;;
		--dry-run) dry=1 ;;
		--no-ipv6) v6="" ;;
		-h|--help) sed -n '2,/^$/p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
		-*) run_die "unknown option $a (see --help)" ;;
		*) peers+=("$a") ;;
		esac
	done
	if [ -n "$base" ]; then
		base_sha=$(git -C "$REPO" rev-parse --verify -q "$base^{commit}") ||
			run_die "--base $base: not a revision of $REPO"
		[ ${#peers[@]} -gt 0 ] || peers=(vswitchd)
		read -r -a peers <<<"$(run_with_base "${peers[@]}")"
	fi
	[ ${#peers[@]} -gt 0 ] || peers=($DEFAULT)
	[[ "$rounds" =~ ^[1-9][0-9]*$ ]] || run_die "--rounds $rounds: want a count of 1 or more"
	[ "$rounds" = 1 ] || [ -n "$base" ] || run_die "--rounds needs --base"
	if [ -n "$dry" ]; then
		echo "would build: $REPO -> build-bench/ (vswitchd)"
		[ -n "$base" ] && echo "would build: $base ($base_sha) -> a temporary copy (vswitchd-base)"
		[ "$rounds" = 1 ] || echo "would run: $rounds rounds of vswitchd and vswitchd-base, order swapped each round; nothing else"
		echo "would run: PEER_FILES=$REPO/tools/bench/vswitchd.sh $PEERS_SH $quick ${peers[*]}"
		[ -n "$v6" ] && echo "would run: tools/bench/ipv6.sh (the IPv6 rows)"
		[ -r "$PEERS_SH" ] || echo "(peers.sh not found at $PEERS_SH: set PEERS_SH)"
		exit 0
	fi
	[ "$(id -u)" = 0 ] || run_die "must run as root (it creates network namespaces)"
	[ -r "$PEERS_SH" ] || run_die "peers.sh not found at $PEERS_SH; set PEERS_SH=/path/to/bench/peers.sh"
	[ -n "$build" ] && run_build
	[ -n "$base" ] && run_base_build "$base_sha"
	local inst=""
	[ -n "$install" ] && run_need_install && inst=--install
	mkdir -p "$RESULTS_DIR"
	if [ "$rounds" -gt 1 ]; then
		run_rounds "$rounds" "$inst" "$quick" "$base ($base_sha)"
		return
	fi
	local before
	before=$(ls "$RESULTS_DIR"/peers-*.summary.tsv 2>/dev/null | sort | tail -1 || true)
	echo "load before the run: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cpus" >&2
	PEER_FILES="$REPO/tools/bench/vswitchd.sh" bash "$PEERS_SH" $inst $quick "${peers[@]}" ||
		echo "run.sh: peers.sh exited with $?" >&2
	local summary
	summary=$(ls "$RESULTS_DIR"/peers-*.summary.tsv 2>/dev/null | sort | tail -1 || true)
	[ -n "$summary" ] && [ "$summary" != "$before" ] || run_die "no new summary in $RESULTS_DIR"
	local ctb="$RESULTS_DIR/${summary##*/}" idle
	ctb="${ctb%.summary.tsv}.ct.txt"
	echo "conntrack micro-benchmark (ct_bench) ..." >&2
	"$REPO/build-bench/tools/bench/ct_bench" > "$ctb" 2>/dev/null || true
	cat "$ctb" >&2
	echo "vswitchd at rest (idle.sh, about a minute) ..." >&2
	idle=$(bash "$REPO/tools/bench/idle.sh" "$REPO/build-bench/src/vswitchd" \
		"$REPO/build-bench/src/vsctl" || true)
	echo "$idle" >&2
	local v6out=""
	if [ -n "$v6" ]; then
		echo "IPv6 against IPv4 (ipv6.sh, a few minutes) ..." >&2
		v6out=$(run_ipv6 "$quick") || echo "run.sh: ipv6.sh failed" >&2
	fi
	[ -n "$base" ] && run_base_ratios "$summary" "$base ($base_sha)"
	/usr/bin/python3 - "$summary" "$ctb" "$idle" <<'PY'
# Ratios of vswitchd to its peers for each target of issue 8 (same run),
# then the conntrack and idle targets, which need no peer.
import re, sys
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

def line(what, value, target, ok):
    print(fmt.format(what, "-", value, "", "", target,
                     "not measured" if ok is None else ("met" if ok else "MISSED")))

ct = open(sys.argv[2]).read() if len(sys.argv) > 2 else ""
runs = re.findall(r"entries (\d+): ([\d.]+) bytes/entry.*?one at a time: ([\d.]+) ns/lookup;"
                  r" bursts of \d+ with prefetch: ([\d.]+) ns/lookup", ct, re.S)
ct = {int(n): (float(b), float(one), float(burst)) for n, b, one, burst in runs}
if 1000000 in ct and 1000 in ct:
    mb = ct[1000000][0] * 1e6 / 2**20
    line("ct 1M entries, MB", f"{mb:.0f}", "<=256", mb <= 256)
    for i, how in ((2, "bursts"), (1, "single")):
        r = ct[1000000][i] / ct[1000][i]
        line(f"ct lookup 1M/1K {how}", f"{r:.1f}x", "<=2x", r <= 2)
else:
    line("conntrack 1M", "NA", "", None)
m = re.search(r"rss_kb=(\d+) wakeups=(\d+) window_s=(\d+)", sys.argv[3] if len(sys.argv) > 3 else "")
if m:
    rss, wk, win = (int(x) for x in m.groups())
    line("idle RSS, MB", f"{rss / 1024:.1f}", "<10", rss < 10 * 1024)
    line(f"idle wake-ups in {win}s", str(wk), "0", wk == 0)
else:
    line("idle", "NA", "", None)
PY
	[ -z "$v6out" ] || echo "$v6out"
}

# run_ipv6 QUICK: ipv6.sh on the build-bench binaries; its table on stdout.
# --quick gives it one rep of 2 s, as peers.sh's quick mode.
run_ipv6() {
	local args=(--secs "${DUR:-5}" --reps "${REPS:-3}")
	[ -n "$1" ] && args=(--secs 2 --reps 1)
	VSWITCHD="$REPO/build-bench/src/vswitchd" VSCTL="$REPO/build-bench/src/vsctl" \
		bash "$REPO/tools/bench/ipv6.sh" "${args[@]}" | sed -n '/^vswitchd IPv6/,$p'
}

# run_base_ratios SUMMARY WHAT: vswitchd / vswitchd-base for every figure
# both have, from one peers.sh summary; a change worse than 5 % is flagged.
# Direction comes from the unit: rates (Gbit/s, kpps, conn/s) are better
# higher; times, CPU, losses, retransmissions and failures better lower.
run_base_ratios() {
	/usr/bin/python3 - "$1" "$2" <<'PY'
import sys
med, unit = {}, {}
with open(sys.argv[1]) as f:
    next(f)
    for line in f:
        p, m, u, v = line.rstrip("\n").split("\t")[:4]
        try:
            med[(p, m)] = float(v)
            unit[m] = u
        except ValueError:
            pass
HIGHER = ("Gbit/s", "kpps", "conn/s")
print(f"\nvswitchd vs vswitchd-base = {sys.argv[2]} (medians of this run; ratio = vswitchd / base)")
fmt = "{:<26} {:<8} {:>10} {:>10} {:>7}  {}"
print(fmt.format("figure", "unit", "vswitchd", "base", "ratio", "verdict"))
print("-" * 76)
worse = 0
for m in sorted({m for (p, m) in med if p in ("vswitchd", "vswitchd-base")}):
    a, b = med.get(("vswitchd", m)), med.get(("vswitchd-base", m))
    if a is None or b is None:
        print(fmt.format(m, unit[m], "NA" if a is None else f"{a:.4g}",
                         "NA" if b is None else f"{b:.4g}", "NA", "not measured by both"))
        continue
    up = unit[m] in HIGHER
    if b == 0:
        r, bad = None, (a > 0) != up and a != 0
    else:
        r = a / b
        bad = r < 0.95 if up else r > 1.05
    worse += bad
    verdict = ("worse by more than 5 %" if bad else "within 5 % or better") + \
        (" (higher is better)" if up else " (lower is better)")
    print(fmt.format(m, unit[m], f"{a:.4g}", f"{b:.4g}", "NA" if r is None else f"{r:.3f}", verdict))
print(f"{worse} figure(s) worse than the base by more than 5 %")
PY
}

# run_rounds N INST QUICK WHAT: N peers.sh runs of vswitchd and
# vswitchd-base, the first peer swapped every round, then the pooled table.
run_rounds() {
	local n=$1 inst=$2 quick=$3 what=$4 r before summary tsvs=() order
	for r in $(seq 1 "$n"); do
		order=(vswitchd vswitchd-base)
		[ $((r % 2)) = 1 ] || order=(vswitchd-base vswitchd)
		before=$(ls "$RESULTS_DIR"/peers-*.summary.tsv 2>/dev/null | sort | tail -1 || true)
		echo "round $r of $n: ${order[*]} (load $(cut -d' ' -f1-3 /proc/loadavg))" >&2
		PEER_FILES="$REPO/tools/bench/vswitchd.sh" bash "$PEERS_SH" $inst $quick "${order[@]}" ||
			echo "run.sh: peers.sh exited with $?" >&2
		summary=$(ls "$RESULTS_DIR"/peers-*.summary.tsv 2>/dev/null | sort | tail -1 || true)
		[ -n "$summary" ] && [ "$summary" != "$before" ] || run_die "round $r: no new summary"
		tsvs+=("${summary%.summary.tsv}.tsv")
		inst=""
	done
	run_pooled_ratios "$what" "${tsvs[@]}"
}

# run_pooled_ratios WHAT TSV...: vswitchd / vswitchd-base from the reps of
# every round (peers.sh's per-rep .tsv files), with each round's own ratio.
run_pooled_ratios() {
	/usr/bin/python3 - "$@" <<'PY'
import statistics, sys
what, files = sys.argv[1], sys.argv[2:]
reps, unit = {}, {}          # (peer, metric) -> values; per round too
for i, path in enumerate(files):
    with open(path) as f:
        next(f)
        for line in f:
            p, m, _, v, u = line.rstrip("\n").split("\t")[:5]
            if p not in ("vswitchd", "vswitchd-base") or m in ("load1", "peer_secs"):
                continue
            try:
                x = float(v)
            except ValueError:
                continue
            unit[m] = u
            reps.setdefault((p, m), []).append(x)
            reps.setdefault((p, m, i), []).append(x)
HIGHER = ("Gbit/s", "kpps", "conn/s")
n = len(files)
print(f"\nvswitchd vs vswitchd-base = {what}: {n} rounds, the first peer swapped each"
      " round (ratio = vswitchd / base of the medians of every rep)")
fmt = "{:<24} {:<8} {:>9} {:>9} {:>6} {:>7}  {}"
print(fmt.format("figure", "unit", "vswitchd", "base", "ratio", "worse", "each round"))
print("-" * 96)
flagged = 0
for m in sorted(unit):
    a, b = reps.get(("vswitchd", m)), reps.get(("vswitchd-base", m))
    if not a or not b:
        continue
    up = unit[m] in HIGHER
    ma, mb = statistics.median(a), statistics.median(b)
    def worse(x, y):
        return y != 0 and (x / y < 0.95 if up else x / y > 1.05)
    per, bad = [], 0
    for i in range(n):
        ra, rb = reps.get(("vswitchd", m, i)), reps.get(("vswitchd-base", m, i))
        if ra and rb:
            x, y = statistics.median(ra), statistics.median(rb)
            per.append("NA" if y == 0 else f"{x / y:.2f}")
            bad += worse(x, y)
    flag = worse(ma, mb) and bad * 2 > len(per)
    flagged += flag
    print(fmt.format(m, unit[m], f"{ma:.4g}", f"{mb:.4g}",
                     "NA" if mb == 0 else f"{ma / mb:.3f}", f"{bad}/{len(per)}",
                     " ".join(per) + ("  WORSE" if flag else "")))
print(f"{flagged} figure(s) worse by more than 5 % pooled and in most rounds"
      " (higher is better for Gbit/s, kpps, conn/s; lower for the rest)")
PY
}

main "$@"
