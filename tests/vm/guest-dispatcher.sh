#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Guest script: xdpflow-loader attaches through libxdp's dispatcher on a kernel that has one.
set -uo pipefail
cd "$(dirname "$0")/../.."
PIN=/sys/fs/bpf/xdpflow-vm
fails=0
check() { if eval "$2"; then echo "PASS: $1"; else echo "FAIL: $1"; fails=$((fails + 1)); fi; }
cleanup() {
	build/xdpflow-loader detach --purge --pin-path "$PIN" vmx0 >/dev/null 2>&1
	ip link del vmx0 2>/dev/null
}
trap cleanup EXIT
ip link add vmx0 type veth peer name vmx1
sysctl -qw net.ipv6.conf.vmx0.disable_ipv6=1 net.ipv6.conf.vmx1.disable_ipv6=1
ip link set vmx0 up && ip link set vmx1 up

out=$(build/xdpflow-loader attach --require-multiprog --mode skb --pin-path "$PIN" vmx0 2>&1)
check "attach --require-multiprog succeeds with the dispatcher" '[ $? -eq 0 ] || { echo "$out"; false; }'
status=$(xdp-loader status vmx0 2>&1)
echo "$status"
check "xdp-loader status shows xdp_dispatcher" 'grep -q xdp_dispatcher <<<"$status"'
check "xdpflow is a component at priority 5 chaining on XDP_PASS" \
	'grep -Eq "=>[[:space:]]+5[[:space:]]+xdpflow.*XDP_PASS" <<<"$status"'
build/xdpflow-loader detach --purge --pin-path "$PIN" vmx0 >/dev/null 2>&1
check "detach --purge removes xdpflow and its pins" '! grep -q xdpflow <<<"$(xdp-loader status vmx0 2>&1)" && [ ! -e "$PIN" ]'
echo "$((4 - fails)) passed, $fails failed"
exit $((fails > 0))
