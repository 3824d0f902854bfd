#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Guest script: the whole VM tier in one boot, two streams in parallel on the guest's two vCPUs.
#
# Run by tests/test-vm.sh through tests/vm/run-vm.sh. Stream 1 runs tests/test-loader.sh;
# stream 2 runs guest-smoke.sh, guest-dispatcher.sh, guest-coexist.sh, then
# tests/test-reader.sh (the two streams take about as long). Each suite's output is
# printed whole, in a fixed order, its PASS/FAIL/SKIP lines renamed "vm: SUITE: ..." so
# the host's tally (tests/run-all.sh) tells them from the host's own runs. A suite that
# exits non-zero without a FAIL line gets one. Exit status 1 if anything failed.
set -uo pipefail
cd "$(dirname "$0")/../.."

if [ "${XDPFLOW_VM:-}" != 1 ]; then
	echo "guest-tier.sh: meant to run inside the VM: tests/vm/run-vm.sh $0" >&2
	exit 2
fi
out=$(mktemp -d /tmp/xdpflow-vmtier.XXXXXX)
trap 'rm -rf "$out"' EXIT
times=build/vm/tier-times
rm -rf "$times" && mkdir -p "$times"

# run NAME CMD...: the suite's output to $out/NAME.log, its status and seconds beside it,
# and in build/vm/tier-times/NAME the seconds each PASS/FAIL/SKIP line took since the last
# one (where the tier's time goes: it must stay within 3 minutes).
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

# Each stream gets its own /run: xdp-tools (xdp-loader, xdp-filter) take a lock file
# /run/TOOL.lck and fail, rather than wait, when another instance holds it. libxdp's own
# lock on the dispatcher (a flock in bpffs) still serialises the streams' changes.
private_run() { unshare -m --propagation private bash -c 'mount -t tmpfs run /run && exec "$@"' bash "$@"; }

start=$EPOCHREALTIME
run test-loader private_run bash tests/test-loader.sh &
{
	run guest-smoke private_run bash tests/vm/guest-smoke.sh
	run guest-dispatcher private_run bash tests/vm/guest-dispatcher.sh
	run guest-coexist private_run bash tests/vm/guest-coexist.sh
	run test-reader private_run bash tests/test-reader.sh
} &
wait

failed=0
for name in guest-smoke guest-dispatcher guest-coexist test-loader test-reader; do
	rc=$(cat "$out/$name.rc" 2>/dev/null || echo "none")
	echo "=== vm: $name ($(cat "$out/$name.secs" 2>/dev/null || echo '?') s, exit $rc)"
	sed -E "s/^(PASS|FAIL|SKIP): /\1: vm: $name: /" "$out/$name.log"
	fails=$(grep -c '^FAIL: ' "$out/$name.log")
	if [ "$rc" = 0 ] && [ "$name" = guest-smoke ]; then
		# guest-smoke.sh reports "ok:" lines and stops at the first failure.
		echo "PASS: vm: guest-smoke: the VM's kernel has freplace and the dispatcher chains two programs"
	elif [ "$rc" != 0 ] && [ "$fails" = 0 ]; then
		echo "FAIL: vm: $name: exited with status $rc"
		fails=1
	fi
	((fails)) && failed=1
done
echo "vm: both streams took $(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN {printf "%.0f", b - a}') s"
exit $failed
