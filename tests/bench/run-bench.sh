#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make bench: run every benchmark in one go and print the tables docs/PERFORMANCE.md quotes.
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}

mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
echo "machine: $(nproc) CPUs, $(uname -r), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
echo
echo "## XDP program cost (BPF_PROG_TEST_RUN)"
"$BUILD"/bench/xdp_cost "$BUILD"
for b in tests/bench/bench-*.sh; do
	[ -x "$b" ] || continue
	echo
	"$b"
done
