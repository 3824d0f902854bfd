#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Guest script: the VM tier's suites in one boot, two streams in parallel on the guest's two vCPUs.
#
# Usage (run by tests/test-vm.sh through tests/vm/run-vm.sh): guest-tier.sh [full|matrix]
#   full    stream 1: tests/test-loader.sh, then guest-faults.sh's SIGKILL test; stream 2:
#           guest-smoke.sh, guest-dispatcher.sh, guest-coexist.sh, tests/test-reader.sh
#           (in full: XDPFLOW_VM_FULL=1), then guest-faults.sh's deleted-interface and race
#           tests. The two streams take about as long. On the matrix's first kernel.
#   matrix  stream 1: guest-smoke.sh, guest-dispatcher.sh; stream 2: guest-coexist.sh. On
#           every other kernel of the matrix.
# Each suite's output is printed whole, in a fixed order, its PASS/FAIL/SKIP lines renamed
# "vm KERNEL: SUITE: ..." (KERNEL as run-vm.sh --kernel names it) so the host's tally
# (tests/run-all.sh) tells them from the host's own runs. A suite that exits non-zero
# without a FAIL line gets one. Exit status 1 if anything failed.
set -uo pipefail
cd "$(dirname "$0")/../.."

if [ "${XDPFLOW_VM:-}" != 1 ]; then
	echo "guest-tier.sh: meant to run inside the VM: tests/vm/run-vm.sh $0" >&2
	exit 2
fi
case ${1:-full} in
full) stream1="test-loader guest-faults-kill" stream2="guest-smoke guest-dispatcher guest-coexist test-reader guest-faults-gone-race" ;;
matrix) stream1="guest-smoke guest-dispatcher" stream2="guest-coexist" ;;
*) echo "guest-tier.sh: unknown set '$1': full or matrix" >&2; exit 2 ;;
esac
kernel=${XDPFLOW_VM_KERNEL:-$(uname -r)}
out=$(mktemp -d /tmp/xdpflow-vmtier.XXXXXX)
trap 'rm -rf "$out"' EXIT
times=build/vm/tier-times/$kernel
rm -rf "$times" && mkdir -p "$times"

# run NAME CMD...: the suite's output to $out/NAME.log, its status and seconds beside it,
# and in build/vm/tier-times/KERNEL/NAME the seconds each PASS/FAIL/SKIP line took since the
# last one (where the tier's time goes).
run() {
	local name=$1 start=${EPOCHREALTIME/./} rc line last now
	shift
	last=$start
	# Microseconds in bash arithmetic: an awk per line would cost ~40 ms under tcg.
	"$@" 2>&1 </dev/null | while IFS= read -r line; do
		printf '%s\n' "$line"
		case $line in PASS:* | FAIL:* | SKIP:*)
			now=${EPOCHREALTIME/./}
			printf '%5s %s\n' "$(((now - last) / 1000000)).$(((now - last) / 100000 % 10))" "$line" >>"$out/$name.times"
			last=$now
			;;
		esac
	done >"$out/$name.log"
	rc=${PIPESTATUS[0]}
	echo "$rc" >"$out/$name.rc"
	echo "$(((${EPOCHREALTIME/./} - start) / 1000000))" >"$out/$name.secs"
	cp "$out/$name.times" "$times/$name" 2>/dev/null
}

# Each suite gets its own /run and its own bpffs. xdp-tools (xdp-loader, xdp-filter) take a
# lock file /run/TOOL.lck and fail, rather than wait, when another instance holds it. And
# libxdp pins a dispatcher's programs in bpffs as xdp/dispatch-IFINDEX-ID, where ifindexes
# repeat between network namespaces: the fault tests, which check that nothing of libxdp's
# is left for their interface, would see the other stream's dispatchers. (The guest's bpffs
# is unmounted first, not hidden: test-reader unmounts bpffs to see what the tools say.)
private_run() {
	unshare -m --propagation private bash -c \
		'mount -t tmpfs run /run && umount /sys/fs/bpf && mount -t bpf bpf /sys/fs/bpf && exec "$@"' bash "$@"
}

# suite NAME: run suite NAME (its script and arguments, and any setting it needs).
suite() {
	case $1 in
	test-reader)
		# With its 300,000-flow streaming test (~20 s here), which it skips in a VM otherwise.
		XDPFLOW_VM_FULL=1 run "$1" private_run bash tests/test-reader.sh ;;
	test-*) run "$1" private_run bash "tests/$1.sh" ;;
	guest-faults-kill) run "$1" private_run bash tests/vm/guest-faults.sh sigkill ;;
	guest-faults-gone-race) run "$1" private_run bash tests/vm/guest-faults.sh gone_interface races ;;
	*) run "$1" private_run bash "tests/vm/$1.sh" ;;
	esac
}
run_stream() {
	local name
	for name in "$@"; do suite "$name"; done
}

start=$EPOCHREALTIME
# shellcheck disable=SC2086 # the streams are lists of names
run_stream $stream1 &
# shellcheck disable=SC2086
run_stream $stream2 &
wait

failed=0
for name in $stream1 $stream2; do
	rc=$(cat "$out/$name.rc" 2>/dev/null || echo "none")
	echo "=== vm $kernel: $name ($(cat "$out/$name.secs" 2>/dev/null || echo '?') s, exit $rc)"
	sed -E "s/^(PASS|FAIL|SKIP): /\1: vm $kernel: $name: /" "$out/$name.log"
	fails=$(grep -c '^FAIL: ' "$out/$name.log")
	if [ "$rc" = 0 ] && [ "$name" = guest-smoke ]; then
		# guest-smoke.sh reports "ok:" lines and stops at the first failure.
		echo "PASS: vm $kernel: guest-smoke: the VM's kernel has freplace and the dispatcher chains two programs"
	elif [ "$rc" != 0 ] && [ "$fails" = 0 ]; then
		echo "FAIL: vm $kernel: $name: exited with status $rc"
		fails=1
	fi
	((fails)) && failed=1
done
echo "vm $kernel: the suites took $(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN {printf "%.0f", b - a}') s"
exit $failed
