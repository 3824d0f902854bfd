#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make bench: run every benchmark in one go, print the tables and save each one's output as a result.
#
# Each benchmark's output goes to the terminal and to RESULTS/NAME.txt (RESULTS: $BENCH_RESULTS,
# default build/bench/results, emptied first), the curve's data to RESULTS/curve.dat, and the
# facts about the run to RESULTS/machine.txt ("key: value" lines: the commit and whether the
# tree had uncommitted changes, the time, the machine, the library and compiler versions, the
# load average before and after). tests/bench/perf-doc.py writes docs/PERFORMANCE.md from them
# (make performance; docs/TESTING.md).
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
RESULTS=${BENCH_RESULTS:-$BUILD/bench/results}

mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
rm -rf "$RESULTS"
mkdir -p "$RESULTS"

# fact KEY VALUE: one line of machine.txt.
fact() { printf '%s: %s\n' "$1" "$2" >>"$RESULTS/machine.txt"; }
version() { dpkg-query -W -f '${Version}' "$1" 2>/dev/null || echo unknown; }
# The tree the programs were built from. The generated doc and its results are left out:
# a second run right after a first one is still a run of the same commit.
commit=$(git rev-parse HEAD 2>/dev/null || echo unknown)
changed=$(git status --porcelain -- . ':!docs/PERFORMANCE.md' ':!docs/perf' ':!docs/perf-curve.svg' 2>/dev/null | wc -l)
fact commit "$commit"
fact uncommitted-changes "$changed"
fact started "$(date -u '+%Y-%m-%d %H:%M UTC')"
fact cpus "$(nproc)"
fact cpu-model "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
fact virtualization "$(systemd-detect-virt --vm 2>/dev/null || echo none)"
fact container "$(systemd-detect-virt --container 2>/dev/null || echo none)"
fact kernel "$(uname -r)"
fact distribution "$(sed -n 's/^PRETTY_NAME="\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' /etc/os-release)"
fact libbpf "$(version libbpf1)"
fact libxdp "$(version libxdp1)"
fact clang "$(clang --version | sed -n '1s/.*clang version \([^ ]*\).*/\1/p')"
fact bpftool "$(bpftool version 2>/dev/null | sed -n '1s/^[^ ]* v\{0,1\}//p')"
fact trafgen "$(version netsniff-ng)"
fact load-before "$(cut -d' ' -f1-3 /proc/loadavg)"

# bench NAME CMD...: one benchmark, its output to the terminal and to RESULTS/NAME.txt.
bench() {
	local name=$1
	shift
	"$@" | tee "$RESULTS/$name.txt"
	echo
}

echo "machine: $(nproc) CPUs, $(uname -r), $(sed -n 's/^cpu-model: //p' "$RESULTS/machine.txt")"
echo
echo "## XDP program cost (BPF_PROG_TEST_RUN)"
bench xdp_cost "$BUILD"/bench/xdp_cost "$BUILD"
echo "## The cost curve from 1 to 1,000,000 flows (curve.c)"
# PROTOS: the prototype objects of tests/bench/proto.bpf.c (the Makefile passes them).
# shellcheck disable=SC2086
bench curve "$BUILD"/bench/curve "$BUILD" "$RESULTS"/curve.dat ${PROTOS:-}
if command -v gnuplot >/dev/null; then
	tests/bench/plot-curve.sh "$RESULTS"/curve.dat "$BUILD"/bench/curve.svg blog direct xdpflow
	echo "plot: $BUILD/bench/curve.svg (make performance copies it to docs/perf-curve.svg)"
else
	echo "SKIP: curve plot: gnuplot is not installed (make deps installs gnuplot-nox)"
fi
echo
echo "## A live read's cost against the CPU count (read_cpus.c)"
bench read_cpus "$BUILD"/bench/read_cpus
for b in tests/bench/bench-*.sh; do
	[ -x "$b" ] || continue
	bench "$(basename "$b" .sh)" "$b"
done
# The reader against bpftool at the product's default table size too (issue 17).
bench bench-reader-default env BENCH_READER_FLOWS=200000 BENCH_READER_MAX_FLOWS=262144 tests/bench/bench-reader.sh
fact load-after "$(cut -d' ' -f1-3 /proc/loadavg)"
fact finished "$(date -u '+%Y-%m-%d %H:%M UTC')"
echo "results: $RESULTS"
