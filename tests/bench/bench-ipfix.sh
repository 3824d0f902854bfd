#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make bench: IPFIX export rate, 1,000,000 flows to a local UDP receiver (target: 1,000,000 records/s): reader/export/ipfix.c alone, and xdpflow-reader --ipfix from a pinned flow table.
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
REPLAY=$BUILD/tools/ipfix_replay
READER=$BUILD/xdpflow-reader
FEED=$BUILD/tools/feed
N=${IPFIX_BENCH_FLOWS:-1000000}
# The flow table: the power of two at or above N (the kernel gives a hash table that many
# buckets, so a batch read walks no more buckets than it needs).
MAX_FLOWS=1
while ((MAX_FLOWS < N)); do MAX_FLOWS=$((MAX_FLOWS * 2)); done
RUNS=3
PIN=/sys/fs/bpf/xdpflow-bench-ipfix-$$
TMP=$(mktemp -d /tmp/xdpflow-bench-ipfix.XXXXXX)
# The reader's IPFIX sequence numbers go to --state-dir: here, not the host's /var/lib/xdpflow.
export XDPFLOW_STATE_DIR=$TMP/state
RX=""
cleanup() {
	[ -n "$RX" ] && kill "$RX" 2>/dev/null
	rm -rf "$PIN" "$TMP"
}
trap cleanup EXIT

[ -x "$REPLAY" ] || make --no-print-directory "$REPLAY" >/dev/null

# median LINES...: the middle line by the number after "= " (records/s).
median() { printf '%s\n' "$@" | sort -t= -k2 -n | sed -n "$((($# + 1) / 2))p"; }

verdict() {
	local rate
	rate=$(echo "$1" | sed -n 's/.* = \([0-9]*\) records\/s.*/\1/p')
	if ((rate >= 1000000)); then
		echo "target 1,000,000 records/s: met (median of $RUNS runs)"
	else
		echo "target 1,000,000 records/s: NOT met (median of $RUNS runs)"
	fi
}

echo "## IPFIX export (unpaced, default 1400-byte messages, sendmmsg batches of 64)"
# ipfix_replay --bench generates the flows first, then times only the export
# into a receiver thread on 127.0.0.1 that counts what arrives.  The median
# of a few runs evens out scheduling noise on small machines.
results=()
for _ in $(seq "$RUNS"); do
	results+=("$("$REPLAY" --bench "$N")")
done
m=$(median "${results[@]}")
echo "$m"
verdict "$m"

echo
echo "## xdpflow-reader --ipfix: $N flows from a pinned flow table to a local UDP socket"
# The whole reader run is timed: opening the pins, reading the flow table and every
# CPU's flow cache in batches, merging them, encoding and sending (--ipfix-rate 0:
# unpaced).  The receiver, a Python socket on 127.0.0.1, only counts what arrives.
"$FEED" --obj "$BUILD/xdpflow.bpf.o" --pin-path "$PIN" --max-flows "$MAX_FLOWS" --generate "$N" >/dev/null
cat >"$TMP/rx.py" <<'PY'
import signal, socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
try:
    s.setsockopt(socket.SOL_SOCKET, 33, 64 << 20)  # SO_RCVBUFFORCE (root)
except OSError:
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 << 20)
s.bind(("127.0.0.1", 0))
open(sys.argv[1], "w").write("%d\n" % s.getsockname()[1])
rlen = (59, 83, 55, 79)  # record length of each template kind (reader/export/ipfix.h)
msgs = recs = 0
done = False
def stop(*_):
    global done
    done = True
signal.signal(signal.SIGTERM, stop)
s.settimeout(0.2)
buf = bytearray(65536)
while True:
    try:
        n = s.recv_into(buf)
    except (socket.timeout, InterruptedError):
        if done:
            break
        continue
    msgs += 1
    off = 16
    while off + 4 <= n:
        sid, slen = struct.unpack_from("!HH", buf, off)
        if slen < 4:
            break
        if 256 <= sid < 264:
            recs += (slen - 4) // rlen[(sid - 256) % 4]
        off += slen
print("%d records in %d messages" % (recs, msgs))
PY
python3 "$TMP/rx.py" "$TMP/port" >"$TMP/rx.out" &
RX=$!
for _ in $(seq 50); do [ -s "$TMP/port" ] && break; sleep 0.1; done
PORT=$(cat "$TMP/port")
results=()
for _ in $(seq "$RUNS"); do
	t0=$(date +%s%N)
	/usr/bin/time -f "%U %S" -o "$TMP/cpu" "$READER" -p "$PIN" --ipfix "127.0.0.1:$PORT" --ipfix-rate 0
	t1=$(date +%s%N)
	read -r user sys <"$TMP/cpu"
	results+=("$(awk -v n="$N" -v ns=$((t1 - t0)) -v u="$user" -v s="$sys" 'BEGIN {
		printf "xdpflow-reader --ipfix: %d records in %.3f s = %d records/s (CPU: %.2f s user, %.2f s system)", n, ns / 1e9, n / (ns / 1e9), u, s }')")
done
sleep 0.3
kill -TERM "$RX"
wait "$RX" || true
RX=""
m=$(median "${results[@]}")
echo "$m"
echo "receiver got $(cat "$TMP/rx.out") over the $RUNS runs; load average while measuring: $(cut -d' ' -f1-3 /proc/loadavg)"
verdict "$m"
