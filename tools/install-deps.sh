#!/bin/sh
# install-deps.sh - install from Debian's archive every package needed to
# build vswitch and run its whole test suite (Debian 12, as root).
#
# Shaped to be cheap when run again: dpkg is asked first, and apt-get
# (update + install) runs only when something is missing, so tools/test.sh
# and tools/demo.sh can call it on every run without touching the network.
#
# containerd, runc, podman, conmon, catatonit, busybox-static and
# containernetworking-plugins are for the CNI plugin's system tests
# (test_cni_runtimes.py), which start their own containerd and podman in
# private namespaces; on a machine whose policy-rc.d lets services start,
# installing containerd also starts the distribution's containerd service,
# which the tests neither use nor touch.
#
# prometheus is for promtool (test_metrics.py checks the metrics with it;
# Debian ships promtool only in that package): where services start on
# install it also starts a Prometheus server on :9090, which nothing of
# vswitch uses.  graphviz renders `vsctl show --format dot`; debhelper,
# devscripts, fakeroot and lintian build and check the Debian package
# (test_package.py); systemd gives systemd-analyze for the units' check.
# passt (pasta), slirp4netns and uidmap (newuidmap, which rootless podman
# needs for a user with subordinate ids) are for rootless operation and
# test_rootless.py; podman only recommends them, and
# --no-install-recommends leaves them out.  rootlesskit runs docker.io's
# dockerd-rootless.sh (rootless dockerd) for tools/bench/rootless.py.
# etcd-server and etcd-client are the shared store of networks that span
# hosts (test_multihost.py starts its own etcd in a namespace; the
# package's own service is not used).
set -eu

PKGS="autoconf automake libtool pkg-config gcc make clang libclang-rt-14-dev valgrind cppcheck
      libev-dev libpcap-dev libnl-3-dev libnl-route-3-dev libjson-c-dev
      uthash-dev libcmocka-dev zlib1g-dev libmicrohttpd-dev libcurl4-openssl-dev libseccomp-dev liburing-dev
      docker.io busybox-static docker-compose
      python3 python3-pytest python3-scapy
      iperf3 dnsutils tcpdump tshark dnsmasq-base iproute2 iputils-ping
      curl netcat-openbsd ethtool procps
      containerd runc podman conmon catatonit busybox-static containernetworking-plugins
      passt slirp4netns uidmap rootlesskit etcd-server etcd-client
      prometheus graphviz debhelper devscripts fakeroot lintian systemd"

missing=""
for p in $PKGS; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$st" in
	*"install ok installed"*) ;;
	*) missing="$missing $p" ;;
	esac
done

if [ -z "$missing" ]; then
	echo "install-deps: all packages present"
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing:$missing (run as root to install them)" >&2
	exit 1
fi

echo "install-deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer for it.
echo "wireshark-common wireshark-common/install-setuid boolean false" |
	debconf-set-selections 2>/dev/null || true
apt-get update -q
# shellcheck disable=SC2086  # word splitting of the list is intended
apt-get install -y -q --no-install-recommends $missing
