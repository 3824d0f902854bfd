#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Guest-side smoke test for tests/vm/run-vm.sh: the VM runs its own kernel and libxdp's dispatcher chains two programs.
#
# Run it through the runner: tests/vm/run-vm.sh tests/vm/guest-smoke.sh
set -euo pipefail

fail() { echo "FAIL: $*"; exit 1; }

if [ "${XDPFLOW_VM:-}" != 1 ]; then
	echo "guest-smoke.sh: meant to run inside the VM: tests/vm/run-vm.sh $0" >&2
	exit 2
fi
for tool in bpftool xdp-loader ip; do
	command -v "$tool" >/dev/null || fail "$tool missing on the host (apt-get install bpftool xdp-tools iproute2)"
done
bpfdir=/usr/lib/$(uname -m)-linux-gnu/bpf
for o in xdpfilt_alw_all.o xdpdump_xdp.o; do
	[ -f "$bpfdir/$o" ] || fail "$bpfdir/$o missing on the host (apt-get install xdp-tools)"
done

kernel=$(uname -r)
echo "guest kernel: $kernel"
[ -n "${XDPFLOW_HOST_KERNEL:-}" ] || fail "XDPFLOW_HOST_KERNEL not set by the runner"
[ "$kernel" != "$XDPFLOW_HOST_KERNEL" ] || fail "uname -r ($kernel) is the host's: not running the VM kernel"

# The whole point of the VM: the host kernel reports ext as NOT available.
# Captured first: grep -q would close the pipe early and pipefail would report bpftool's SIGPIPE.
probe=$(bpftool feature probe kernel 2>/dev/null)
grep -q "program_type ext is available" <<<"$probe" ||
	fail "BPF_PROG_TYPE_EXT (freplace) is not available in the guest"
echo "ok: program_type ext is available"

sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip link add smoke0 type veth peer name smoke1
trap 'ip link del smoke0 2>/dev/null || true' EXIT
ip link set smoke0 up
ip link set smoke1 up

xdp-loader load -m skb smoke0 "$bpfdir/xdpfilt_alw_all.o"
xdp-loader load -m skb smoke0 "$bpfdir/xdpdump_xdp.o"
status=$(xdp-loader status smoke0)
echo "$status"
grep -q xdp_dispatcher <<<"$status" || fail "no xdp_dispatcher on smoke0"
grep -q xdpfilt_alw_all <<<"$status" || fail "first program missing from the dispatcher"
grep -q xdpdump <<<"$status" || fail "second program missing from the dispatcher"
echo "ok: xdp_dispatcher chains two programs on smoke0"

xdp-loader unload -a smoke0
echo "guest-smoke: all checks passed"
