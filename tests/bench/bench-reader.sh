#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make bench: xdpflow-reader against bpftool on one pinned flow table of 1,000,000 flows (time, peak RSS).
#
# Attaches xdpflow (--max-flows 1048576) to a veth in a namespace of its own with a pin
# folder of its own, fills the flow table through that program's pinned maps with
# build/tools/feed (BPF_PROG_TEST_RUN, one 64-byte IPv4/UDP frame per distinct flow), then
# times, on the same map, `xdpflow-reader --format json flows` and `bpftool map dump id
# <inner flow table> -j` (the pinned xdpflow_flows is the outer ARRAY_OF_MAPS; bpftool needs
# its slot 0), and measures the reader's peak RSS for the full dump and for --top 100.
# Bars (issue 4): reader >= 15x faster than bpftool; peak RSS < 32 MiB in both cases.
# Everything it creates is removed on exit. BENCH_READER_FLOWS=N, BENCH_READER_RUNS=N and
# BENCH_READER_MAX_FLOWS=N (the table's size, default 1048576) adjust; make bench also runs it
# with 200,000 flows in the default table of 262,144.
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
N=${BENCH_READER_FLOWS:-1000000}
MAX=${BENCH_READER_MAX_FLOWS:-1048576}
RUNS=${BENCH_READER_RUNS:-3}
LOADER=$BUILD/xdpflow-loader
READER=$BUILD/xdpflow-reader
FEED=$BUILD/tools/feed
RSS_BAR_KB=$((32 * 1024))
SPEED_BAR=15

echo "## xdpflow-reader vs bpftool, $N flows in one pinned flow table of $MAX (median of $RUNS runs)"
for f in "$LOADER" "$READER" "$FEED" "$BUILD/xdpflow.bpf.o"; do
	[ -e "$f" ] || make --no-print-directory "$f" >/dev/null
done
for c in bpftool python3 nsenter; do
	command -v "$c" >/dev/null || { echo "bench-reader: needs $c: run make deps" >&2; exit 1; }
done
if [ ! -x /usr/bin/time ]; then
	echo "bench-reader: needs /usr/bin/time for peak RSS (Debian package time): run make deps" >&2
	exit 1
fi
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf

NS=xdpflow-bench-$$
DIR=/sys/fs/bpf/xdpflow-bench-$$-reader
TMP=$(mktemp -d "${TMPDIR:-/tmp}/xdpflow-bench-reader.XXXXXX")
cleanup() {
	set +e
	if [ -e "$DIR" ]; then
		nsenter --net="/run/netns/$NS" "$LOADER" detach --purge -p "$DIR" >/dev/null 2>&1
		rm -rf "$DIR"
	fi
	ip netns del "$NS" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ip netns add "$NS"
ip netns exec "$NS" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip -n "$NS" link add xbr0 type veth peer name xbr1
ip -n "$NS" link set xbr0 up
ip -n "$NS" link set xbr1 up
nsenter --net="/run/netns/$NS" "$LOADER" attach --max-flows "$MAX" -p "$DIR" xbr1 >/dev/null 2>&1 ||
	{ echo "bench-reader: attach to a veth failed" >&2; exit 1; }
ifindex=$(ip -n "$NS" -o link show xbr1 | cut -d: -f1)
start=$(date +%s.%N)
"$FEED" --pin-path "$DIR" --generate "$N" --ifindex "$ifindex" >/dev/null
fill=$(python3 -c "import sys; print('%.1f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$start" "$(date +%s.%N)")
# status: "flow table: FILL of MAX entries needed (P%), CACHED of them by flows still only in ..."
used=$(nsenter --net="/run/netns/$NS" "$LOADER" status -p "$DIR" 2>/dev/null |
	sed -n 's/^flow table: *\([0-9]*\) of .*, \([0-9]*\) of them.*/\1 - \2/p')
used=$((used))
# The inner flow table: slot 0 of the outer map holds its id (4 bytes, little endian).
inner=$(bpftool -j map dump pinned "$DIR/xdpflow_flows" |
	python3 -c 'import json, sys; print(int.from_bytes(bytes(int(b, 16) for b in json.load(sys.stdin)[0]["value"]), "little"))')
echo "filled in ${fill} s: $used flows in the table (map id $inner), the rest of the $N in the per-CPU flow caches"

# run_timed OUT CMD...: append "SECONDS MAXRSS_KB" of one run of CMD (stdout discarded) to OUT.
run_timed() {
	local out=$1
	shift
	/usr/bin/time -o "$TMP/time" -f '%e %M' "$@" >/dev/null
	cat "$TMP/time" >>"$out"
}
median() { sort -n | sed -n "$(((RUNS + 1) / 2))p"; }

# Interleaved, so drift on a shared machine hits both tools alike.
for _ in $(seq "$RUNS"); do
	run_timed "$TMP/reader" "$READER" -p "$DIR" --format json flows
	run_timed "$TMP/top" "$READER" -p "$DIR" --format json --top 100 flows
	run_timed "$TMP/bpftool" bpftool map dump id "$inner" -j
done
rows=$("$READER" -p "$DIR" --format json flows | grep -c '^{"ifindex"')

r_time=$(cut -d' ' -f1 "$TMP/reader" | median)
b_time=$(cut -d' ' -f1 "$TMP/bpftool" | median)
t_time=$(cut -d' ' -f1 "$TMP/top" | median)
r_rss=$(cut -d' ' -f2 "$TMP/reader" | sort -n | tail -n 1)
t_rss=$(cut -d' ' -f2 "$TMP/top" | sort -n | tail -n 1)
b_rss=$(cut -d' ' -f2 "$TMP/bpftool" | sort -n | tail -n 1)
python3 - "$r_time" "$b_time" "$t_time" "$r_rss" "$t_rss" "$b_rss" "$rows" "$SPEED_BAR" "$RSS_BAR_KB" <<'PY'
import sys
r, b, t = (float(x) for x in sys.argv[1:4])
r_rss, t_rss, b_rss, rows, speed_bar, rss_bar = (int(x) for x in sys.argv[4:10])
mib = lambda kb: kb / 1024
print("| command | time (s) | peak RSS (MiB) |")
print("| --- | --- | --- |")
print("| xdpflow-reader --format json flows (%d flows written) | %.2f | %.1f |" % (rows, r, mib(r_rss)))
print("| xdpflow-reader --format json --top 100 flows | %.2f | %.1f |" % (t, mib(t_rss)))
print("| bpftool map dump id INNER -j | %.2f | %.1f |" % (b, mib(b_rss)))
ratio = b / r if r > 0 else float("inf")
print("bar: reader >= %dx faster than bpftool: %.1fx: %s" % (speed_bar, ratio, "met" if ratio >= speed_bar else "NOT met"))
for name, kb in (("full JSON dump", r_rss), ("--top 100", t_rss)):
    print("bar: reader peak RSS < %d MiB, %s: %.1f MiB: %s" % (rss_bar // 1024, name, mib(kb), "met" if kb < rss_bar else "NOT met"))
PY
