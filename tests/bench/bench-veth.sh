#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make bench: packets per second through a veth pair with no XDP program, a bare XDP_PASS program and xdpflow (native mode).
#
# In a network namespace of its own: trafgen (one process, as fast as it can, PACKET_MMAP,
# qdisc bypass) writes 60-byte IPv4/UDP frames into xbv0; the rate is what xbv1, the peer
# where the XDP program runs in native (driver) mode, counts as received (rx packets in
# /proc/net/dev) over a fixed window after a short warm-up. Two traffic profiles: one flow
# (every packet hits xdpflow's per-CPU flow cache) and 1024 flows sent round robin (more
# than the cache's 256 slots: every packet moves an entry into the shared flow table).
# The three set-ups are interleaved within each repetition, so drift on a shared machine
# hits them alike; the median of the repetitions is reported. Also checks that xdpflow
# counted exactly the frames xbv1 received while it was attached.
# Everything it creates is removed on exit.
# BENCH_VETH_RUNS=N (default 9) and BENCH_VETH_SECONDS=S (default 1) adjust.
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
RUNS=${BENCH_VETH_RUNS:-9}
SECS=${BENCH_VETH_SECONDS:-1}
WARM=0.5
LOADER=$BUILD/xdpflow-loader
READER=$BUILD/xdpflow-reader
BARE=$BUILD/bench/bare.bpf.o

echo "## Packets per second through a veth pair (trafgen, 60-byte IPv4/UDP frames, native XDP, median of $RUNS runs of ${SECS} s)"
for f in "$LOADER" "$READER" "$BUILD/xdpflow.bpf.o" "$BARE"; do
	[ -e "$f" ] || make --no-print-directory "$f" >/dev/null
done
for c in trafgen ip nsenter python3 timeout; do
	command -v "$c" >/dev/null || { echo "bench-veth: needs $c: run make deps" >&2; exit 1; }
done
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
# Other work on the machine moves these figures a lot: say how busy it was.
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

NS=xdpflow-bench-$$-veth
DIR=/sys/fs/bpf/xdpflow-bench-$$-veth
TMP=$(mktemp -d "${TMPDIR:-/tmp}/xdpflow-bench-veth.XXXXXX")
in_ns() { nsenter --net="/run/netns/$NS" "$@"; }
cleanup() {
	set +e
	[ -n "${sender:-}" ] && kill "$sender" 2>/dev/null && wait "$sender" 2>/dev/null
	if [ -e "$DIR" ]; then
		in_ns "$LOADER" detach --purge -p "$DIR" >/dev/null 2>&1
		rm -rf "$DIR"
	fi
	ip netns del "$NS" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ip netns add "$NS"
# No IPv6: the interfaces' own frames (DAD, MLD) would spoil the exact count check.
ip netns exec "$NS" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip -n "$NS" link add xbv0 type veth peer name xbv1
ip -n "$NS" link set xbv0 up
ip -n "$NS" link set xbv1 up

# The destination MAC is not xbv1's: without XDP the stack drops the frames early.
frame='eth(da=02:00:00:00:00:02, sa=02:00:00:00:00:01), ipv4(sa=10.1.0.1, da=10.2.0.1, ttl=64)'
echo "{ $frame, udp(sp=1024, dp=53), fill(0, 18) }" >"$TMP/1flow.cfg"
echo "{ $frame, udp(sp=dinc(1024, 2047, 1), dp=53), fill(0, 18) }" >"$TMP/1024flows.cfg"
PROFILES=(1flow 1024flows)
SETUPS=(none bare xdpflow)

rx_packets() { in_ns cat /proc/net/dev | awk '$1 == "xbv1:" {print $3}'; }

# measure PROFILE: packets per second xbv1 received from one trafgen over SECS seconds.
measure() {
	local a b t1 t2
	# -P 1: one sender process; --no-sock-mem and -Q: leave the host's socket memory
	# sysctls and IRQ affinities alone.
	# nsenter execs timeout, so $! is timeout itself: it passes SIGTERM on to trafgen.
	nsenter --net="/run/netns/$NS" timeout -k 5 $((SECS + 30)) \
		trafgen -o xbv0 -i "$TMP/$1.cfg" -P 1 --no-sock-mem -Q -C >/dev/null 2>&1 &
	sender=$!
	sleep "$WARM"
	a=$(rx_packets)
	t1=$(date +%s%N)
	sleep "$SECS"
	b=$(rx_packets)
	t2=$(date +%s%N)
	kill -TERM "$sender" 2>/dev/null || true
	wait "$sender" 2>/dev/null || true
	sender=
	echo $(((b - a) * 1000000000 / (t2 - t1)))
}

native_prog() { ip -n "$NS" link show xbv1 | grep -q 'prog/xdp '; }

setup_on() {
	case $1 in
	bare) ip -n "$NS" link set dev xbv1 xdpdrv obj "$BARE" sec xdp ;;
	xdpflow) in_ns "$LOADER" attach --mode native -p "$DIR" xbv1 >/dev/null 2>&1 ;;
	*) return 0 ;;
	esac || { echo "bench-veth: cannot attach $1 to xbv1" >&2; return 1; }
	native_prog || { echo "bench-veth: $1 is not attached in native mode" >&2; return 1; }
}

setup_off() {
	case $1 in
	bare) ip -n "$NS" link set dev xbv1 xdpdrv off ;;
	xdpflow) in_ns "$LOADER" detach -p "$DIR" xbv1 >/dev/null 2>&1 ;;
	esac
}

seen_by_xdpflow=0
for run in $(seq "$RUNS"); do
	for s in "${SETUPS[@]}"; do
		setup_on "$s"
		before=$(rx_packets)
		for p in "${PROFILES[@]}"; do
			measure "$p" >>"$TMP/$s.$p"
		done
		after=$(rx_packets)
		setup_off "$s"
		[ "$s" = xdpflow ] && seen_by_xdpflow=$((seen_by_xdpflow + after - before))
	done
done
counted=$("$READER" -p "$DIR" --format json totals | python3 -c 'import json, sys; print(json.load(sys.stdin)["totals"]["packets"])')

python3 - "$TMP" "$RUNS" <<'PY'
import statistics, sys
tmp, runs = sys.argv[1], int(sys.argv[2])
names = {"1flow": "one flow", "1024flows": "1024 flows, round robin"}
setups = ("none", "bare", "xdpflow")
def runs_of(s, p):
    return [int(x) for x in open("%s/%s.%s" % (tmp, s, p)).read().split()]
print("| traffic | no XDP (pps) | bare XDP_PASS (pps) | xdpflow (pps) | xdpflow / no XDP | xdpflow / bare |")
print("| --- | --- | --- | --- | --- | --- |")
for p in ("1flow", "1024flows"):
    m = {s: statistics.median(runs_of(s, p)) for s in setups}
    print("| %s | %s | %s | %s | %.2f | %.2f |" % (names[p], *("{:,.0f}".format(m[s]) for s in setups),
          m["xdpflow"] / m["none"], m["xdpflow"] / m["bare"]))
# Each repetition measures the three set-ups within seconds of each other: the median of
# the per-repetition ratios is less sensitive to slow drift than the ratio of the medians.
for p in ("1flow", "1024flows"):
    r = {s: runs_of(s, p) for s in setups}
    paired = lambda a, b: statistics.median(x / y for x, y in zip(r[a], r[b]) if y)
    print("median of per-repetition ratios, %s: xdpflow / no XDP %.2f, xdpflow / bare %.2f, bare / no XDP %.2f"
          % (names[p], paired("xdpflow", "none"), paired("xdpflow", "bare"), paired("bare", "none")))
for p in ("1flow", "1024flows"):
    for s in setups:
        print("runs, %s, %s: %s" % (names[p], s, " ".join("{:,}".format(x) for x in runs_of(s, p))))
PY
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
if [ "$counted" = "$seen_by_xdpflow" ]; then
	echo "check: xdpflow counted $counted packets, exactly what xbv1 received while it was attached: ok"
else
	echo "check: xdpflow counted $counted packets, xbv1 received $seen_by_xdpflow while it was attached: MISMATCH"
	exit 1
fi
