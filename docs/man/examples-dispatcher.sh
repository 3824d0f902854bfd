#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Prints the real output of xdpflow next to xdp-filter in libxdp's dispatcher, for the docs (runs in the VM).
#
# Usage (root, after make all): tests/vm/run-vm.sh docs/man/examples-dispatcher.sh
# then read build/vm/examples-dispatcher.log. The development kernel refuses freplace
# programs, so the dispatcher only exists under the stock kernel the VM boots.
set -uo pipefail
cd "$(dirname "$0")/../.."

if [ "${XDPFLOW_VM:-}" != 1 ]; then
	echo "examples-dispatcher.sh: meant to run inside the VM: tests/vm/run-vm.sh $0" >&2
	exit 2
fi
export PATH=$PWD/build:$PATH

sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip link add eth0 type veth peer name eth1
ip link set eth0 up
ip link set eth1 up

show() {
	echo "\$ $*"
	eval "$@" 2>&1
	local rc=$?
	[ $rc -eq 0 ] || echo "[exit status $rc]"
	echo
}

echo "kernel $(uname -r)"
show xdp-filter load --mode skb eth0
show xdpflow-loader attach eth0
show xdp-loader status eth0
show xdpflow-loader list
show xdpflow-loader status
show xdpflow-loader detach eth0
show "xdp-loader unload eth0 --id \$(xdp-loader status eth0 | awk '\$3 == \"xdpflow\" {print \$4}')"
show xdp-loader status eth0
show xdpflow-loader attach --prio 60 eth0
show xdp-loader status eth0
show xdpflow-loader detach eth0
show xdp-filter unload eth0
show xdpflow-loader attach --require-multiprog eth0
show xdpflow-loader detach --purge
ip link del eth0
