#!/bin/bash
# demo.sh - a guided tour of vswitch on a fresh Debian 12 machine (as root).
#
# It installs what it needs from apt, builds in build/ (reused if there),
# then makes a small world of network namespaces, all named demo-XXXX-*:
#
#   containers c1 c2 c3 ──┐                             outside
#                         │ vswitchd ── up0 ═ veth ═ router ── web host
#                         │ (own netns)  198.51.100.1  .254  203.0.113.1  .10
#
# and walks through every capability, printing each command before running
# it: networks and isolation, DNS, NAT, published ports, conntrack, fdb,
# stats, capture, trace, offloads, port security, a kill -9 restart, and
# a containerd container on n1 through the CNI plugin (when containerd is
# installed; it runs in a private mount namespace with its own dirs, so the
# machine's /etc/cni, /run and /var/lib are untouched).
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
TMP="" VSWITCHD_PID="" PIDS="" FAILS=""

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

cleanup() {
	set +e
	trap - EXIT INT TERM
	local p
	for p in $VSWITCHD_PID $PIDS; do kill "$p" 2>/dev/null; done
	for p in $VSWITCHD_PID $PIDS; do wait "$p" 2>/dev/null; done
	# cgroups runc made for the demo's containerd namespace (empty now)
	for p in /sys/fs/cgroup/*/"$P" /sys/fs/cgroup/"$P"; do
		[ -d "$p" ] && find "$p" -depth -type d -exec rmdir {} + 2>/dev/null
	done
	for p in $ALL_NS; do ip netns del "$p" 2>/dev/null; done
	for p in $ALL_NS; do rm -rf "/etc/netns/$p"; done
	[ -n "$TMP" ] && rm -rf "$TMP"
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

wait_for() {  # wait_for SECONDS CMD...: poll until CMD succeeds
	local end=$((SECONDS + $1)); shift
	until "$@" >/dev/null 2>&1; do
		[ $SECONDS -ge $end ] && return 1
		sleep 0.1
	done
}

# ip_of NETWORK CONTAINER: the container's address on a network.
ip_of() {
	q_vsctl --format json network inspect "$1" | /usr/bin/python3 -c '
import json, sys
n = json.load(sys.stdin)[0]
print(n["Containers"][sys.argv[1]]["IPv4Address"].split("/")[0])' "$2"
}
gw_of() {
	q_vsctl --format json network inspect "$1" | /usr/bin/python3 -c '
import json, sys
print(json.load(sys.stdin)[0]["IPAM"]["Config"][0]["Gateway"])'
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
ip -n "$NS_R" link set "$P"b up
# router <-> web host, a second hop
ip link add "$P"c netns "$NS_R" type veth peer name "$P"d netns "$NS_W" || die veth
ip -n "$NS_R" addr add "$ROUTER_WEB/24" dev "$P"c
ip -n "$NS_R" link set "$P"c up
ip -n "$NS_W" addr add "$WEB/24" dev "$P"d
ip -n "$NS_W" link set "$P"d up
ip -n "$NS_W" route add default via "$ROUTER_WEB"
ip netns exec "$NS_R" sysctl -qw net.ipv4.ip_forward=1
# vswitchd reads whole frames with AF_PACKET: have the kernel fill in
# checksums on the veths rather than leave them to an offload.
for x in "$NS_SW up0" "$NS_R ${P}b" "$NS_R ${P}c" "$NS_W ${P}d"; do
	set -- $x; ip netns exec "$1" ethtool -K "$2" tx off >/dev/null 2>&1
done
mkdir -p "$TMP/www" && echo "hello from the web host $WEB" >"$TMP/www/index.html"
spawn "$NS_W" web.log python3 -m http.server -b "$WEB" -d "$TMP/www" 80
say "web host $WEB (behind router $ROUTER_UP/$ROUTER_WEB) serves http on port 80"

start_vswitchd() {
	ip netns exec "$NS_SW" "$VSWITCHD" --state-dir "$STATE" --socket "$SOCK" \
		--uplink afpacket:up0 --uplink-ip "$UPLINK_IP/24" \
		--uplink-gateway "$ROUTER_UP" --log-file "$TMP/vswitchd.log" &
	VSWITCHD_PID=$!
	wait_for 10 q_vsctl show || { tail "$TMP/vswitchd.log"; die "vswitchd did not start"; }
}
bold "Start vswitchd in its own namespace, uplink on up0"
printf '\033[33m[sw]$ vswitchd --state-dir %s --socket %s \\\n      --uplink afpacket:up0 --uplink-ip %s/24 --uplink-gateway %s\033[0m\n' \
	"$STATE" "$SOCK" "$UPLINK_IP" "$ROUTER_UP"
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
C2V6=$(q_vsctl --format json network inspect n6 | /usr/bin/python3 -c '
import json, sys
print(json.load(sys.stdin)[0]["Containers"]["c2"]["IPv6Address"].split("/")[0])')
inns "$NS_C2" ip -6 -br addr show scope global
expect_ok "c1 pings c2 over IPv6 ($C2V6)" inns "$NS_C1" ping -6 -c 2 -W 2 "$C2V6"

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

bold "Done"
if [ -n "$FAILS" ]; then
	echo "Steps that did not do what they should:$FAILS"
	echo "vswitchd's log: $TMP/vswitchd.log (last lines below)"
	tail -n 20 "$TMP/vswitchd.log"
	exit 1
fi
echo "Every step did what it should. Cleaning up $P-*."
