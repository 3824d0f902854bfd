#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make bench: time xdpflow-reader --drain of a flow table holding 1,000,000 flows (swap, read, JSON out).
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
READER=$BUILD/xdpflow-reader
FEED=$BUILD/tools/feed
N=${DRAIN_BENCH_FLOWS:-1000000}
# The flow table: the power of two at or above N (the kernel gives a hash table that many
# buckets, so a batch read walks no more buckets than it needs).
MAX_FLOWS=1
while ((MAX_FLOWS < N)); do MAX_FLOWS=$((MAX_FLOWS * 2)); done
RUNS=3
PIN=/sys/fs/bpf/xdpflow-bench-drain-$$
TMP=$(mktemp -d /tmp/xdpflow-bench-drain.XXXXXX)
trap 'rm -rf "$PIN" "$TMP"' EXIT

# packets: the packets the pinned maps hold, by a plain read.
packets() { "$READER" -p "$PIN" --format json totals | python3 -c 'import json,sys; print(json.load(sys.stdin)["totals"]["packets"])'; }

echo "## xdpflow-reader --drain --format json flows: $N flows"
# Each run fills the table again (build/tools/feed, one BPF_PROG_TEST_RUN per flow),
# then times one drain: three fresh tables created and swapped in (three RCU grace
# periods), the old ones read in batches and every flow written as JSON to /dev/null.
results=()
for _ in $(seq "$RUNS"); do
	"$FEED" --obj "$BUILD/xdpflow.bpf.o" --pin-path "$PIN" --max-flows "$MAX_FLOWS" --generate "$N" >/dev/null
	# What the drain takes: N packets (one a flow), in the table and the per-CPU caches.
	got=$(packets)
	if [ "$got" != "$N" ]; then
		echo "the pinned maps hold $got packets before the drain, expected $N" >&2
		exit 1
	fi
	t0=$(date +%s%N)
	/usr/bin/time -f "%U %S" -o "$TMP/cpu" "$READER" -p "$PIN" --drain -v --format json flows \
		>/dev/null 2>"$TMP/err"
	t1=$(date +%s%N)
	read -r user sys <"$TMP/cpu"
	# "drain ID of DIR: tables swapped in X ms, reported in Y ms"
	swap=$(sed -n 's/.*tables swapped in \([0-9.]*\) ms.*/\1/p' "$TMP/err")
	if [ -z "$swap" ]; then
		echo "the drain printed no 'tables swapped in' time: $(cat "$TMP/err")" >&2
		exit 1
	fi
	results+=("$(awk -v n="$N" -v ns=$((t1 - t0)) -v u="$user" -v s="$sys" -v sw="$swap" 'BEGIN {
		printf "drain of %d flows: %.3f s = %d flows/s (swap %.0f ms; CPU: %.2f s user, %.2f s system)", n, ns / 1e9, n / (ns / 1e9), sw, u, s }')")
	# What the drain left: nothing.
	left=$(packets)
	[ "$left" = 0 ] || { echo "after the drain $left packets are left" >&2; exit 1; }
done
printf '%s\n' "${results[@]}" | sort -t= -k2 -n | sed -n "$(((RUNS + 1) / 2))p"
echo "(median of $RUNS runs; load average: $(cut -d' ' -f1-3 /proc/loadavg))"
