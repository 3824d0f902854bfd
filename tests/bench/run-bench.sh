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
echo
echo "## The cost curve from 1 to 1,000,000 flows (curve.c)"
# PROTOS: the prototype objects of tests/bench/proto.bpf.c (the Makefile passes them).
# shellcheck disable=SC2086
"$BUILD"/bench/curve "$BUILD" "$BUILD"/bench/curve.dat ${PROTOS:-}
if command -v gnuplot >/dev/null; then
	tests/bench/plot-curve.sh "$BUILD"/bench/curve.dat "$BUILD"/bench/curve.svg blog direct xdpflow
	echo "plot: $BUILD/bench/curve.svg (docs/perf-curve.svg is a copy of one)"
else
	echo "SKIP: curve plot: gnuplot is not installed (make deps installs gnuplot-nox)"
fi
echo
echo "## A live read's cost against the CPU count (read_cpus.c)"
"$BUILD"/bench/read_cpus
for b in tests/bench/bench-*.sh; do
	[ -x "$b" ] || continue
	echo
	"$b"
done
# The reader against bpftool at the product's default table size too (issue 17).
echo
BENCH_READER_FLOWS=200000 BENCH_READER_MAX_FLOWS=262144 tests/bench/bench-reader.sh
