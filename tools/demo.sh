#!/bin/bash
# demo.sh - a guided tour of vswitch on a fresh Debian 12 machine (as root).
#
# It installs what it needs from apt, builds in build/ (reused if there),
# then makes a small world of network namespaces, all named demo-XXXX-*:
#
#   containers c1 c2 c3 ──┐                             outside
#                         │ vswitchd ── up0 ═ veth ═ router ── web host
#                         │ (own netns)  198.51.100.1  .254  203.0.113.1  .10
#                         │            2001:db8:100::1 ::fe 2001:db8:200::1 ::10
#
# and walks through every capability, printing each command before running
# it: networks and isolation, DNS, NAT, published ports, conntrack, fdb,
# stats, capture, trace, offloads, port security, a kill -9 restart,
# formats and events, IPv6 (dual stack, AAAA, NAT66), macvlan, and
# a containerd container on n1 through the CNI plugin (when containerd is
# installed; it runs in a private mount namespace with its own dirs, so the
# machine's /etc/cni, /run and /var/lib are untouched).  Then two worlds of
# their own: a rootless vswitchd run by a throwaway uid (no passwd entry,
# so /etc/passwd is untouched; /dev/net/tun is left as it is), and two
# vswitchd "hosts" sharing an overlay network through an etcd the demo
# starts on an underlay bridge of its own (when etcd-server is installed).
# Traffic only ever flows between these namespaces.  On exit (also on Ctrl-C or an error) it stops
# the processes it started, by PID, and removes every namespace and file.
#
# Why the outside is two namespaces: the web host sits behind a router, a
# real second hop, so NAT and the uplink's next-hop resolution are shown
# as they would be on a host, not on a shortcut segment.
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
P="demo-$(printf '%04x' $((RANDOM % 65536)))"
NS_SW="$P-sw" NS_R="$P-r" NS_W="$P-web"
NS_C1="$P-c1" NS_C2="$P-c2" NS_C3="$P-c3"
ALL_NS="$NS_SW $NS_R $NS_W $NS_C1 $NS_C2 $NS_C3"
UPLINK_IP=198.51.100.1 ROUTER_UP=198.51.100.254
ROUTER_WEB=203.0.113.1 WEB=203.0.113.10
# the same two segments in IPv6 (RFC 3849 documentation prefixes)
UPLINK_IP6=2001:db8:100::1 ROUTER_UP6=2001:db8:100::fe
ROUTER_WEB6=2001:db8:200::1 WEB6=2001:db8:200::10
TMP="" VSWITCHD_PID="" PIDS="" FAILS=""
RL_UID="" RL="" ETCD_DIR=""   # the rootless user's uid and dir; etcd's data

bold() { printf '\n\033[1m%s\033[0m\n' "$*"; }
say() { printf '\033[36m# %s\033[0m\n' "$*"; }
die() { echo "demo: $*" >&2; exit 1; }

# show: print a command as the reader would type it, then run it.
show() {
	printf '\033[33m$ %s\033[0m\n' "$*"
	"$@"
}

# vsctl / inns: the same, with the socket and binaries spelled for the reader.
vsctl() { printf '\033[33m$ vsctl %s\033[0m\n' "$*"; "$VSCTL" --socket "$SOCK" "$@"; }
q_vsctl() { "$VSCTL" --socket "$SOCK" "$@"; }
inns() {
	local ns=$1; shift
	printf '\033[33m[%s]$ %s\033[0m\n' "${ns#"$P"-}" "$*"
	ip netns exec "$ns" "$@"
}

# expect_ok / expect_fail: run a step and say whether it did what the
# narration promised; a surprise is remembered for the final summary.
expect_ok() {
	local what=$1; shift
	if "$@"; then say "ok: $what"; else say "UNEXPECTED: $what failed"; FAILS="$FAILS
  - $what"; fi
}
expect_fail() {
	local what=$1; shift
	if "$@"; then say "UNEXPECTED: $what worked"; FAILS="$FAILS
  - $what (should have failed)"; else say "ok: $what fails, as it should"; fi
}

# stop_user: end every process of the rootless user's uid, by PID (the uid
# had no process and no passwd entry when the demo picked it: they are all
# the demo's), TERM first, then KILL what is left after 5 s.
user_pids() { ps -o pid= -u "$RL_UID" 2>/dev/null; }
stop_user() {
	local sig pids
	[ -n "$RL_UID" ] || return 0
	for sig in TERM KILL; do
		pids=$(user_pids)
		[ -n "$pids" ] || return 0
		kill -"$sig" $pids 2>/dev/null
		wait_for 5 sh -c "[ -z \"\$(ps -o pid= -u $RL_UID)\" ]" && return 0
	done
}

cleanup() {
	set +e
	trap - EXIT INT TERM
	local p
	stop_user
	for p in $VSWITCHD_PID $PIDS; do kill "$p" 2>/dev/null; done
	for p in $VSWITCHD_PID $PIDS; do wait "$p" 2>/dev/null; done
	# cgroups runc made for the demo's containerd namespace (empty now)
	for p in /sys/fs/cgroup/*/"$P" /sys/fs/cgroup/"$P"; do
		[ -d "$p" ] && find "$p" -depth -type d -exec rmdir {} + 2>/dev/null
	done
	for p in $ALL_NS; do ip netns del "$p" 2>/dev/null; done
	for p in $ALL_NS; do rm -rf "/etc/netns/$p"; done
	[ -n "$TMP" ] && rm -rf "$TMP"
	[ -n "$ETCD_DIR" ] && rm -rf "$ETCD_DIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# spawn NS CMD...: start a server in a namespace; `ip netns exec` execs the
# command, so $! is the server's own PID.
spawn() {
	local ns=$1 log=$2; shift 2
	ip netns exec "$ns" "$@" >"$TMP/$log" 2>&1 &
	PIDS="$PIDS $!"
}

# add_ns NAME: one more namespace of the demo's, removed with the others.
add_ns() {
	ip netns add "$1" || return 1
	ALL_NS="$ALL_NS $1"
	ip -n "$1" link set lo up
}

wait_for() {  # wait_for SECONDS CMD...: poll until CMD succeeds
	local end=$((SECONDS + $1)); shift
	until "$@" >/dev/null 2>&1; do
		[ $SECONDS -ge $end ] && return 1
		sleep 0.1
	done
}

# net_field NETWORK EXPR [CONTAINER]: print EXPR, a Python expression over
# n (the network as `network inspect` shows it) and c (CONTAINER's entry).
net_field() {
	q_vsctl --format json network inspect "$1" | /usr/bin/python3 -c '
import json, sys
n = json.load(sys.stdin)[0]
c = n["Containers"].get(sys.argv[2]) if len(sys.argv) > 2 else None
print(eval(sys.argv[1]))' "$2" ${3:+"$3"}
}
# ip_of / gw_of NETWORK [CONTAINER]: a container's address, the gateway's;
# ip6_of / gw6_of: the same in IPv6 (IPAM.Config[1] is the IPv6 pool).
ip_of() { net_field "$1" 'c["IPv4Address"].split("/")[0]' "$2"; }
gw_of() { net_field "$1" 'n["IPAM"]["Config"][0]["Gateway"]'; }
ip6_of() { net_field "$1" 'c["IPv6Address"].split("/")[0]' "$2"; }
gw6_of() { net_field "$1" 'n["IPAM"]["Config"][1]["Gateway"]'; }

# answers WANT CMD...: run CMD and show its output; true if a line of it starts
# with the word WANT (dig exits 0 with an empty answer, so its status alone
# proves nothing).
answers() {
	local want=$1 out; shift
	out=$("$@") || return 1
	printf '%s\n' "$out"
	printf '%s\n' "$out" | awk '{ print $1 }' | grep -qxF -- "$want"
}

# ---------------------------------------------------------------- set-up
[ "$(id -u)" -eq 0 ] || die "run as root (it makes network namespaces): sudo $0"

build() {
	bold "Installing packages and building (build/)"
	"$top/tools/install-deps.sh" || die "could not install packages"
	cd "$top" || exit 1
	[ -x configure ] || ./autogen.sh || die "autogen.sh failed"
	mkdir -p build && cd build || exit 1
	[ -f Makefile ] || ../configure >/dev/null || die "configure failed (see build/config.log)"
	make -j2 >make.log 2>&1 || { tail -20 make.log; die "build failed (see build/make.log)"; }
	cd "$top" || exit 1
}
build
VSWITCHD=$top/build/src/vswitchd VSCTL=$top/build/src/vsctl
[ -x "$VSWITCHD" ] && [ -x "$VSCTL" ] || die "build/src/vswitchd or vsctl missing"

TMP=$(mktemp -d "/tmp/$P.XXXX")
SOCK=$TMP/vswitchd.sock STATE=$TMP/state

bold "The world: namespaces $P-* (containers, vswitchd, router, web host)"
for ns in $ALL_NS; do
	ip netns add "$ns" || die "ip netns add $ns"
	ip netns exec "$ns" ip link set lo up
done
# the uplink segment: vswitchd's up0 <-> router
ip link add "$P"a netns "$NS_SW" type veth peer name "$P"b netns "$NS_R" || die veth
ip -n "$NS_SW" link set "$P"a name up0
ip -n "$NS_SW" link set up0 up
ip -n "$NS_R" addr add "$ROUTER_UP/24" dev "$P"b
ip -n "$NS_R" -6 addr add "$ROUTER_UP6/64" dev "$P"b nodad
ip -n "$NS_R" link set "$P"b up
# router <-> web host, a second hop
ip link add "$P"c netns "$NS_R" type veth peer name "$P"d netns "$NS_W" || die veth
ip -n "$NS_R" addr add "$ROUTER_WEB/24" dev "$P"c
ip -n "$NS_R" -6 addr add "$ROUTER_WEB6/64" dev "$P"c nodad
ip -n "$NS_R" link set "$P"c up
ip -n "$NS_W" addr add "$WEB/24" dev "$P"d
ip -n "$NS_W" -6 addr add "$WEB6/64" dev "$P"d nodad
ip -n "$NS_W" link set "$P"d up
ip -n "$NS_W" route add default via "$ROUTER_WEB"
ip -n "$NS_W" -6 route add default via "$ROUTER_WEB6"
ip netns exec "$NS_R" sysctl -qw net.ipv4.ip_forward=1
ip netns exec "$NS_R" sysctl -qw net.ipv6.conf.all.forwarding=1
# vswitchd reads whole frames with AF_PACKET: have the kernel fill in
# checksums on the veths rather than leave them to an offload.
for x in "$NS_SW up0" "$NS_R ${P}b" "$NS_R ${P}c" "$NS_W ${P}d"; do
	set -- $x; ip netns exec "$1" ethtool -K "$2" tx off >/dev/null 2>&1
done
mkdir -p "$TMP/www" && echo "hello from the web host $WEB" >"$TMP/www/index.html"
spawn "$NS_W" web.log python3 -m http.server -b "$WEB" -d "$TMP/www" 80
spawn "$NS_W" web6.log python3 -m http.server -b "$WEB6" -d "$TMP/www" 80
wait_for 10 sh -c "[ \$(ip netns exec '$NS_W' ss -ltnH | grep -c ':80 ') -ge 2 ]" ||
	die "the web host's http servers did not start (see $TMP/web.log, web6.log)"
say "web host $WEB and $WEB6 (behind router $ROUTER_UP/$ROUTER_WEB) serves http on port 80"

start_vswitchd() {
	ip netns exec "$NS_SW" "$VSWITCHD" --state-dir "$STATE" --socket "$SOCK" \
		--uplink afpacket:up0 --uplink-ip "$UPLINK_IP/24" \
		--uplink-gateway "$ROUTER_UP" --uplink-ip6 "$UPLINK_IP6/64" \
		--uplink-gateway6 "$ROUTER_UP6" --log-file "$TMP/vswitchd.log" &
	VSWITCHD_PID=$!
	wait_for 10 q_vsctl show || { tail "$TMP/vswitchd.log"; die "vswitchd did not start"; }
}
bold "Start vswitchd in its own namespace, uplink on up0"
printf '\033[33m[sw]$ vswitchd --state-dir %s --socket %s \\\n      --uplink afpacket:up0 --uplink-ip %s/24 --uplink-gateway %s \\\n      --uplink-ip6 %s/64 --uplink-gateway6 %s\033[0m\n' \
	"$STATE" "$SOCK" "$UPLINK_IP" "$ROUTER_UP" "$UPLINK_IP6" "$ROUTER_UP6"
start_vswitchd
say "vswitchd runs as PID $VSWITCHD_PID; vsctl talks to it over $SOCK"

# ---------------------------------------------------------------- networks
bold "1. Networks: n1 and n2, as 'docker network create' makes them"
vsctl network create n1
vsctl network create n2
vsctl network ls

bold "2. Containers: c1, c2 on n1; c3 on n2 (a container is a network namespace)"
vsctl network connect --netns "$NS_C1" n1 c1
vsctl network connect --netns "$NS_C2" n1 c2
vsctl network connect --netns "$NS_C3" n2 c3
vsctl container ls
vsctl show
vsctl network inspect n1
inns "$NS_C1" ip -br addr show
inns "$NS_C1" ip route
C1=$(ip_of n1 c1) C2=$(ip_of n1 c2) C3=$(ip_of n2 c3) GW1=$(gw_of n1)
say "c1=$C1 c2=$C2 (n1, gateway $GW1), c3=$C3 (n2)"

bold "3. Reachability and isolation"
expect_ok "c1 pings c2 on n1" inns "$NS_C1" ping -c 2 -W 2 "$C2"
expect_fail "c1 -> c3 across networks" inns "$NS_C1" ping -c 2 -W 2 "$C3"
say "connect c3 to n1 as well: it gets a second interface, eth1"
vsctl network connect n1 c3
C3B=$(ip_of n1 c3)
inns "$NS_C3" ip -br addr show
expect_ok "c1 pings c3 on n1 ($C3B)" inns "$NS_C1" ping -c 2 -W 2 "$C3B"

bold "4. DNS: container names, answered at the gateway by vswitchd"
expect_ok "dig @$GW1 c2" inns "$NS_C1" dig +short +time=2 +tries=2 @"$GW1" c2
expect_ok "getent hosts c2 (glibc, via /etc/netns/$NS_C1/resolv.conf)" \
	inns "$NS_C1" getent hosts c2
expect_ok "reverse lookup of c2" inns "$NS_C1" dig +short +time=2 @"$GW1" -x "$C2"

bold "5. NAT: c1 reaches the web host through the uplink"
expect_ok "c1 curls http://$WEB/" inns "$NS_C1" curl -sS --max-time 5 "http://$WEB/"
say "the web host saw the uplink address as the client:"
tail -n 1 "$TMP/web.log"

bold "6. Published ports: c2's port 80 on the uplink's 8080 (docker run -p 8080:80)"
mkdir -p "$TMP/c2" && echo "hello from c2" >"$TMP/c2/index.html"
spawn "$NS_C2" c2-http.log python3 -m http.server -d "$TMP/c2" 80
wait_for 10 ip netns exec "$NS_C2" sh -c 'ss -ltn | grep -q ":80 "'
vsctl port publish c2 8080:80
vsctl port ls c2
expect_ok "the web host curls $UPLINK_IP:8080" \
	inns "$NS_W" curl -sS --max-time 5 "http://$UPLINK_IP:8080/"
say "c2's server saw the web host's own address (DNAT, no proxy):"
tail -n 1 "$TMP/c2-http.log"
expect_ok "vswitchd's namespace curls 127.0.0.1:8080 (userspace proxy)" \
	inns "$NS_SW" curl -sS --max-time 5 "http://127.0.0.1:8080/"

bold "7. Tables and counters"
vsctl conntrack ls
vsctl conntrack stats
vsctl fdb show n1
vsctl stats

bold "8. Capture: c1's pings to c2, as c1's port sees them"
printf '\033[33m$ vsctl capture --container c1 --filter icmp -c 4 -w ping.pcap &\033[0m\n'
"$VSCTL" --socket "$SOCK" capture --container c1 --filter icmp -c 4 -w "$TMP/ping.pcap" &
cap=$!
sleep 0.5
inns "$NS_C1" ping -c 2 -i 0.3 -W 2 "$C2" >/dev/null
wait_for 5 sh -c "! kill -0 $cap" || kill "$cap" 2>/dev/null
wait "$cap" 2>/dev/null
show tcpdump -nr "$TMP/ping.pcap"
say "one HTTP request, at c1's port (before NAT) and at the uplink (after):"
"$VSCTL" --socket "$SOCK" capture --container c1 --filter 'tcp port 80' -c 1 -w "$TMP/in.pcap" &
cap1=$!
"$VSCTL" --socket "$SOCK" capture --uplink --filter 'tcp port 80' -c 1 -w "$TMP/out.pcap" &
cap2=$!
sleep 0.5
ip netns exec "$NS_C1" curl -s -o /dev/null --max-time 5 "http://$WEB/"
wait_for 5 sh -c "! kill -0 $cap1 && ! kill -0 $cap2" || kill "$cap1" "$cap2" 2>/dev/null
wait "$cap1" "$cap2" 2>/dev/null
echo "  c1's port: $(tcpdump -nr "$TMP/in.pcap" 2>/dev/null | cut -d' ' -f2-5)"
echo "  uplink:    $(tcpdump -nr "$TMP/out.pcap" 2>/dev/null | cut -d' ' -f2-5)"
expect_ok "the uplink capture shows the request from $UPLINK_IP (after SNAT)" \
	sh -c "tcpdump -nr '$TMP/out.pcap' 2>/dev/null | grep -q 'IP $UPLINK_IP\.'"
say "the last frames on c1's port, from its flight recorder:"
vsctl capture --container c1 --recorder -w "$TMP/recent.pcap"
tcpdump -nr "$TMP/recent.pcap" 2>/dev/null | tail -n 4

bold "9. Trace: what the switch would do with a packet, without sending it"
say "c1 -> c2, same network: switched at L2"
vsctl trace --from c1 --to "$C2"
say "c1 -> the web host: routed by the gateway, SNAT to the uplink address"
vsctl trace --from c1 --to "$WEB:80" --proto tcp
say "c1 -> c3's address on n2: another network, so no route (isolation)"
vsctl trace --from c1 --to "$C3"

bold "10. Offloads: 64 KB TCP frames cross the switch whole"
say "c1's eth0 (a TAP vswitchd made) offers TSO, so its kernel sends frames of up to 64 KB:"
inns "$NS_C1" ethtool -k eth0 | grep -E '^(tcp-segmentation-offload|tx-checksumming):'
spawn "$NS_C2" c2-iperf.log iperf3 -s -1
wait_for 5 sh -c "ip netns exec '$NS_C2' ss -ltnH | grep -q ':5201 '"
expect_ok "iperf3 from c1 to c2 (2 s)" \
	sh -c "ip netns exec '$NS_C1' iperf3 -c '$C2' -t 2 | grep -E 'sender|receiver'"
say "the port counters: GSO frames in from c1 (rx_gso), out to c2 whole (tx_gso):"
q_vsctl --format json stats | python3 -c '
import json, sys
for p in json.load(sys.stdin)["ports"]:
    if p["container"] in ("c1", "c2"):
        print("  %-10s rx_gso=%-8d tx_gso=%-8d sw_segments=%d" %
              (p["name"], p["rx_gso"], p["tx_gso"], p["sw_segments"]))'

bold "11. Port security: a container cannot claim another address"
SPOOF="${C1%.*.*}.250.250"
say "c1 adds an address that is not its own ($SPOOF) and pings c2 from it:"
inns "$NS_C1" ip addr add "$SPOOF/32" dev eth0
expect_fail "a ping from a spoofed source address" \
	inns "$NS_C1" ping -c 1 -W 1 -I "$SPOOF" "$C2"
inns "$NS_C1" ip addr del "$SPOOF/32" dev eth0
say "dropped and counted on c1's port, by reason:"
q_vsctl --format json stats | python3 -c '
import json, sys
for p in json.load(sys.stdin)["ports"]:
    if p["container"] == "c1":
        print("  %s drops: %s" % (p["name"], p["drops"]))'

bold "12. kill -9 vswitchd, start it again: nothing is lost"
show kill -9 "$VSWITCHD_PID"
wait "$VSWITCHD_PID" 2>/dev/null
rm -f "$SOCK"
start_vswitchd
say "vswitchd is back as PID $VSWITCHD_PID; state came from $STATE"
vsctl network ls
vsctl port ls c2
wait_for 5 ip netns exec "$NS_C1" ping -c 1 -W 1 "$C2"
expect_ok "c1 pings c2 after the restart" inns "$NS_C1" ping -c 2 -W 2 "$C2"
expect_ok "c1 curls the web host after the restart" \
	inns "$NS_C1" curl -sS --max-time 5 "http://$WEB/"
expect_ok "the web host curls the published port after the restart" \
	inns "$NS_W" curl -sS --max-time 5 "http://$UPLINK_IP:8080/"
expect_ok "c1 resolves c2 after the restart" inns "$NS_C1" getent hosts c2

bold "13. Docker-shaped output, Prometheus metrics, events and a picture"
say "one JSON object per line with Docker's keys, and Go-style templates:"
vsctl --format json network ls
vsctl --format '{{.Name}} {{.Driver}} {{.Scope}}' network ls
say "the counters in Prometheus's text format (vswitchd --metrics-listen serves them too):"
q_vsctl stats --format prometheus | grep -E '^vswitch_port_rx_packets_total' | head -n 3
say "vsctl events streams what happens; a network made and removed meanwhile:"
"$VSCTL" --socket "$SOCK" --format json events >"$TMP/events.json" 2>&1 &
ev=$!
sleep 0.5
q_vsctl network create --label demo=yes n9 >/dev/null
q_vsctl network rm n9 >/dev/null
wait_for 5 sh -c "grep -c . '$TMP/events.json' | grep -qv '^[01]$'"
kill "$ev" 2>/dev/null; wait "$ev" 2>/dev/null
cat "$TMP/events.json"
expect_ok "events saw n9 created and removed" \
	sh -c "grep -q '\"n9\"' '$TMP/events.json' && [ \$(grep -c n9 '$TMP/events.json') -ge 2 ]"
say "the topology as a Graphviz graph (make topology renders doc/topology.svg):"
if command -v dot >/dev/null; then
	expect_ok "vsctl show --format dot | dot -Tsvg" \
		sh -c "'$VSCTL' --socket '$SOCK' show --format dot | dot -Tsvg -o '$TMP/topology.svg'"
	say "written to $TMP/topology.svg"
fi

bold "14. IPv6: a dual-stack network (docker network create --ipv6)"
vsctl network create --ipv6 n6
vsctl network connect n6 c1
vsctl network connect n6 c2
C1V6=$(ip6_of n6 c1) C2V6=$(ip6_of n6 c2) GW6=$(gw6_of n6)
say "each container has an IPv4 and an IPv6 address on n6 (gateway $GW6):"
inns "$NS_C2" ip -6 -br addr show scope global
expect_ok "c1 pings c2 over IPv6 ($C2V6)" inns "$NS_C1" ping -6 -c 2 -W 2 "$C2V6"
expect_ok "c2 pings c1 over IPv6 ($C1V6)" inns "$NS_C2" ping -6 -c 2 -W 2 "$C1V6"
expect_ok "c1 pings the gateway $GW6" inns "$NS_C1" ping -6 -c 2 -W 2 "$GW6"
expect_ok "dig AAAA c2 at the gateway's IPv6 address answers $C2V6" \
	answers "$C2V6" inns "$NS_C1" dig +short +time=2 +tries=2 @"$GW6" c2 AAAA
say "NAT66: out through the uplink's IPv6 address $UPLINK_IP6, as Docker does for ULA subnets"
expect_ok "c1 curls http://[$WEB6]/" inns "$NS_C1" curl -6 -sS --max-time 5 "http://[$WEB6]/"
say "the web host saw the uplink's IPv6 address as the client:"
tail -n 1 "$TMP/web6.log"
expect_ok "the web host's log names $UPLINK_IP6" grep -q "^$UPLINK_IP6 " "$TMP/web6.log"

bold "15. macvlan: a container straight on the uplink's LAN, with its own MAC"
say "the router's segment 198.51.100.0/24 is the LAN; containers take .32/28:"
vsctl network create --driver macvlan -o parent=up0 --subnet 198.51.100.0/24 \
	--ip-range 198.51.100.32/28 --gateway "$ROUTER_UP" lan
vsctl network connect lan c3
C3L=$(ip_of lan c3)
expect_ok "c3 ($C3L, on the LAN) pings the router $ROUTER_UP directly" \
	inns "$NS_C3" ping -c 2 -W 2 "$ROUTER_UP"
say "the router's neighbour table holds c3's own MAC, not the uplink's:"
ip -n "$NS_R" neigh show "$C3L"

bold "16. containerd: ctr run --cni puts a container on n1 (the CNI plugin)"
demo_containerd() {
	local cd=$TMP/cd r=$TMP/cd/rootfs holder a
	mkdir -p "$cd/netd" "$cd/bin" "$r/bin" "$r/etc" "$r/proc" "$r/sys" "$r/dev" "$r/tmp"
	ln -s "$top/build/src/vswitch" "$cd/bin/vswitch"
	cp /bin/busybox "$r/bin/"
	for a in $("$r/bin/busybox" --list); do [ "$a" = busybox ] || ln -s busybox "$r/bin/$a"; done
	echo "nameserver $GW1" >"$r/etc/resolv.conf"
	say "the conflist, as vsctl writes it (here into a private dir, not /etc/cni/net.d):"
	vsctl cni conf --dir "$cd/netd" --name-from-id n1
	cat "$cd/netd/"*.conflist
	# a private mount namespace: /run and /var/lib on tmpfs, our conflist
	# and plugin over /etc/cni/net.d and /usr/lib/cni
	nsenter --net="/run/netns/$NS_SW" unshare -m --propagation private sleep infinity &
	holder=$!; PIDS="$PIDS $holder"
	wait_for 5 test "$(readlink /proc/$holder/ns/mnt)" != "$(readlink /proc/self/ns/mnt)"
	nsenter -t "$holder" -m sh -c "mount -t tmpfs tmpfs /run && mount -t tmpfs tmpfs /var/lib &&
		mount --bind $cd/netd /etc/cni/net.d && mount --bind $cd/bin /usr/lib/cni" ||
		{ say "UNEXPECTED: cannot make the private mounts"; return; }
	printf 'version = 2\nroot = "%s/root"\nstate = "%s/state"\n[grpc]\n  address = "%s/cd.sock"\n' \
		"$cd" "$cd" "$cd" >"$cd/config.toml"
	printf 'disabled_plugins = ["io.containerd.grpc.v1.cri"]\n' >>"$cd/config.toml"
	nsenter -t "$holder" -m -n containerd --config "$cd/config.toml" >"$TMP/containerd.log" 2>&1 &
	PIDS="$PIDS $!"
	CTR="nsenter -t $holder -m -n ctr -a $cd/cd.sock -n $P"
	wait_for 20 $CTR version || { say "UNEXPECTED: containerd did not start"; return; }
	printf '\033[33m$ ctr run --cni --rm --rootfs busybox-rootfs c4 sleep 300 &\033[0m\n'
	$CTR run --cni --rm --env PATH=/bin --rootfs "$r" c4 sleep 300 >"$TMP/ctr.log" 2>&1 &
	a=$!; PIDS="$PIDS $a"
	wait_for 20 sh -c "'$VSCTL' --socket '$SOCK' container ls | grep -q cni:n1"
	say "the container is vswitchd's, keyed by containerd's id, owned by cni:n1:"
	vsctl container ls --owner cni:n1
	expect_ok "the containerd container pings c1 by name" \
		$CTR task exec --exec-id p1 c4 ping -c 2 -W 2 c1
	expect_ok "the containerd container reaches the web host through NAT" \
		$CTR task exec --exec-id p2 c4 timeout 5 wget -qO- "http://$WEB/"
	show $CTR task kill -s KILL c4
	wait "$a" 2>/dev/null
	say "ctr saw the task end and ran the plugin's DEL: the endpoint is gone"
	expect_fail "a cni:n1 endpoint left in vswitchd" \
		sh -c "'$VSCTL' --socket '$SOCK' container ls --owner cni:n1 | grep -q c4"
}
if command -v containerd >/dev/null && command -v ctr >/dev/null && [ -x "$top/build/src/vswitch" ]; then
	demo_containerd
else
	say "containerd or the plugin is not installed: skipped (tools/install-deps.sh)"
fi

bold "17. Rootless: a user with no privilege runs its own switch"
# The user is a uid with no passwd entry and no process (as
# tests/system/test_rootless.py does): nothing is added to /etc/passwd,
# and every process of that uid is the demo's, so it can be ended by PID.
demo_rootless() {
	local i pid
	for i in 1 2 3 4 5 6 7 8 9 10; do
		RL_UID=$(( ((RANDOM << 15) | RANDOM) % 1800000 + 200000 ))
		getent passwd "$RL_UID" >/dev/null || [ -n "$(user_pids)" ] || break
		RL_UID=""
	done
	[ -n "$RL_UID" ] || { say "UNEXPECTED: no free uid"; FAILS="$FAILS
  - a free uid for the rootless user"; return; }
	RL=$TMP/rootless
	chmod 711 "$TMP"
	mkdir -m 700 "$RL" "$RL/run" "$RL/state"
	chown "$RL_UID:$RL_UID" "$RL" "$RL/run" "$RL/state"
	add_ns "$P-uh" || return
	say "uid $RL_UID, in namespace ${P#demo-}-uh as its \"host\", with its own XDG_RUNTIME_DIR and XDG_STATE_HOME:"
	ls -l /dev/net/tun
	say "/dev/net/tun is 0600 here, so the user's containers attach by veth + AF_PACKET, not TAP"
	printf '\033[33m[uid %s]$ vswitchd --rootless --detach --pidfile ...\033[0m\n' "$RL_UID"
	as_user "$VSWITCHD" --rootless --detach --log-file "$RL/state/vswitchd.log" \
		--pidfile "$RL/state/vswitchd.pid" ||
		{ say "UNEXPECTED: vswitchd --rootless did not start"; tail -n 5 "$RL/state/vswitchd.log"
		  FAILS="$FAILS
  - vswitchd --rootless starts"; return; }
	pid=$(cat "$RL/state/vswitchd.pid")
	say "vswitchd runs as uid $(ps -o uid= -p "$pid" | tr -d ' '), PID $pid; vsctl finds its socket under \$XDG_RUNTIME_DIR"
	uvsctl netns add r1
	uvsctl netns add r2
	uvsctl network create --subnet 172.30.0.0/24 rn
	uvsctl network connect --netns r1 rn r1
	uvsctl network connect --netns r2 rn r2
	uvsctl container ls
	expect_ok "r1 pings r2 (172.30.0.3)" uvsctl netns exec r1 -- ping -c 2 -W 2 172.30.0.3
	expect_ok "r2 pings r1 by name" uvsctl netns exec r2 -- ping -c 2 -W 2 r1
	expect_ok "r1 resolves r2 (getent, via the resolv.conf vswitchd wrote)" \
		answers 172.30.0.3 uvsctl netns exec r1 -- getent hosts r2
	say "stop it: every process of uid $RL_UID, by PID (vswitchd, its keeper and namespace holders)"
	ps -o pid=,comm= -u "$RL_UID"
	stop_user
	expect_ok "no process of uid $RL_UID left" test -z "$(user_pids)"
}
as_user() {
	nsenter --net="/run/netns/$P-uh" setpriv --reuid="$RL_UID" --regid="$RL_UID" \
		--clear-groups env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
		XDG_RUNTIME_DIR="$RL/run" XDG_STATE_HOME="$RL/state" HOME="$RL/state" "$@"
}
uvsctl() {
	printf '\033[33m[uid %s]$ vsctl %s\033[0m\n' "$RL_UID" "$*"
	as_user "$VSCTL" "$@"
}
if command -v setpriv >/dev/null && command -v nsenter >/dev/null; then
	demo_rootless
else
	say "skipped: setpriv or nsenter (util-linux) not installed"
fi

bold "18. Networks across hosts: two vswitchd \"hosts\" and etcd"
# The underlay is a bridge in namespace $P-u (10.99.0.0/24), etcd listens
# there only; each host is a vswitchd in its own namespace at 10.99.0.1N,
# its containers in $P-x1, $P-x2.  Frames between hosts go in VXLAN.
demo_multihost() {
	local u=$P-u i
	add_ns "$u" || return
	ip -n "$u" link add br0 type bridge
	ip -n "$u" addr add 10.99.0.1/24 dev br0
	ip -n "$u" link set br0 up
	for i in 1 2; do
		add_ns "$P-h$i" && add_ns "$P-x$i" || return
		ip link add "$P"u$i netns "$u" type veth peer name "$P"v$i netns "$P-h$i"
		ip -n "$u" link set "$P"u$i master br0 up
		ip -n "$P-h$i" link set "$P"v$i name ul0
		ip -n "$P-h$i" addr add 10.99.0.1$i/24 dev ul0
		ip -n "$P-h$i" link set ul0 up
	done
	# etcd fsyncs every write: its data on tmpfs when there is one
	ETCD_DIR=$(mktemp -d "$( [ -w /dev/shm ] && echo /dev/shm || echo /tmp )/$P-etcd.XXXX")
	printf '\033[33m[u]$ etcd --data-dir %s/d --listen-client-urls http://10.99.0.1:2379 ...\033[0m\n' \
		"$ETCD_DIR"
	# not through show(): a function put in the background is a subshell,
	# and $! would be its PID, not etcd's
	ip netns exec "$u" etcd --data-dir "$ETCD_DIR/d" \
		--listen-client-urls http://10.99.0.1:2379 --advertise-client-urls http://10.99.0.1:2379 \
		--listen-peer-urls http://10.99.0.1:2380 --initial-advertise-peer-urls http://10.99.0.1:2380 \
		--initial-cluster default=http://10.99.0.1:2380 >"$TMP/etcd.log" 2>&1 &
	PIDS="$PIDS $!"
	wait_for 30 ip netns exec "$u" curl -sf http://10.99.0.1:2379/health ||
		{ say "UNEXPECTED: etcd did not start"; tail -n 5 "$TMP/etcd.log"; FAILS="$FAILS
  - etcd starts"; return; }
	for i in 1 2; do
		printf '\033[33m[h%s]$ vswitchd --cluster etcd://10.99.0.1:2379 --host-name h%s --vtep-ip 10.99.0.1%s\033[0m\n' \
			"$i" "$i" "$i"
		ip netns exec "$P-h$i" "$VSWITCHD" --state-dir "$TMP/h$i" --socket "$TMP/h$i.sock" \
			--cluster etcd://10.99.0.1:2379 --host-name "h$i" --vtep-ip "10.99.0.1$i" \
			--log-file "$TMP/h$i.log" &
		PIDS="$PIDS $!"
		wait_for 10 "$VSCTL" --socket "$TMP/h$i.sock" show ||
			{ say "UNEXPECTED: vswitchd h$i did not start"; tail -n 5 "$TMP/h$i.log"; FAILS="$FAILS
  - vswitchd h$i starts"; return; }
	done
	hvsctl 1 network create --driver overlay --subnet 10.77.0.0/24 ov
	expect_ok "ov, made on h1, appears on h2 (through etcd)" \
		wait_for 20 sh -c "'$VSCTL' --socket '$TMP/h2.sock' network ls | grep -qw ov"
	hvsctl 2 network ls
	hvsctl 1 network connect --netns "$P-x1" ov w1
	hvsctl 2 network connect --netns "$P-x2" ov w2
	say "each host lists its own container; the addresses come from one pool in etcd:"
	hvsctl 1 container ls
	hvsctl 2 container ls
	wait_for 20 ip netns exec "$P-x1" ping -c 1 -W 1 w2
	expect_ok "w1 (h1) pings w2 (h2) by name, across hosts" \
		inns "$P-x1" ping -c 2 -W 2 w2
	expect_ok "w2 (h2) pings w1 (h1) by name" inns "$P-x2" ping -c 2 -W 2 w1
}
hvsctl() {
	local h=$1; shift
	printf '\033[33m[h%s]$ vsctl %s\033[0m\n' "$h" "$*"
	"$VSCTL" --socket "$TMP/h$h.sock" "$@"
}
if command -v etcd >/dev/null; then
	demo_multihost
else
	say "skipped: etcd-server not installed (tools/install-deps.sh)"
fi

bold "Done"
if [ -n "$FAILS" ]; then
	echo "Steps that did not do what they should:$FAILS"
	echo "vswitchd's log: $TMP/vswitchd.log (last lines below)"
	tail -n 20 "$TMP/vswitchd.log"
	exit 1
fi
echo "Every step did what it should. Cleaning up $P-*."
