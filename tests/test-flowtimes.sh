#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Flow times through the reader's JSON: first_seen <= last_seen, both inside the send window, first_seen kept by evictions and merges.
#
# Runs as root over a veth pair in a network namespace of its own, pins in a folder of this
# run. The ground truth is the wall clock read around each batch of frames (date, before
# and after sendframes), never xdpflow's code; times are compared with a tolerance of
# TOL_MS (a jiffy is 4 ms at HZ=250, and the reader converts jiffies through its clock
# anchors; one jiffy converts up to a few ms apart from one read to the next: a first_seen
# "kept" is within KEEP_MS). The maps are read only through xdpflow-reader's JSON, so the checks hold
# whatever the flow cache looks like inside.
#
# Three batches, each in a window of its own, 200 ms apart:
#   1. flows A (UDP) and B (TCP), on CPU 0: cache-resident;
#   2. FILL distinct flows (more than any flow cache holds: A and B are evicted to the flow
#      table), then A again on CPU 0: A is in the table and in a cache, merged by the reader;
#   3. FILL other flows (A evicted a second time: the table's entry and the cache's merged),
#      then A again on CPU 1: another CPU's cache.
# After each batch: every flow's first_seen <= last_seen and both inside the windows of the
# batches that sent it; A's and B's first_seen never move once read.
set -u
. "$(dirname "$0")/lib.sh"

xf_require_root test-flowtimes
xf_require_cmds python3 nsenter taskset
LOADER=${LOADER:-$XF_BUILD/xdpflow-loader}
READER=${READER:-$XF_BUILD/xdpflow-reader}
xf_require_built "$LOADER" "$READER" "$XF_BUILD/xdpflow.bpf.o" "$XF_BUILD/tools/sendframes"

# More flows than any CPU's flow cache holds (the ABI's entry count, whatever the cache's
# shape), so A and B are evicted: at least 5000, at least 4 times the entries. Each of them
# sends two frames in a row: a cache that admits a flow only at its second miss (layout 3's
# doorkeeper) takes each in, and so evicts A and B, as a cache that admits every miss does.
ENTRIES=$(awk '$2 == "XDPFLOW_FLOWCACHE_SETS" { s = $3 } $2 == "XDPFLOW_FLOWCACHE_WAYS" { w = $3 }
	$2 == "XDPFLOW_FLOWCACHE_SET_BITS" { b = $3 } END { if (b != "") s = 2 ^ b; print s * w }' "$XF_ROOT/pin/xdpflow_abi.h")
FILL=${XDPFLOW_FLOWTIMES_FILL:-$((4 * ${ENTRIES:-0} > 5000 ? 4 * ENTRIES : 5000))}
TOL_MS=50
KEEP_MS=20
NS=xdpflow-ftimes-$$
T=$XF_TMP
xf_netns "$NS" || { xf_fail setup "cannot create network namespace $NS"; exit 1; }
xf_veth "$NS" fa0 fb0 || { xf_fail setup "cannot create veth fa0/fb0"; exit 1; }
xf_pin_dir PIN ftimes
if ! xf_in "$NS" "$LOADER" attach -p "$PIN" --max-flows $((4 * FILL)) fb0 >"$T/attach" 2>&1; then
	xf_fail setup "attach: $(tail -n 1 "$T/attach")"
	exit 1
fi
xf_on_exit "xf_in '$NS' '$LOADER' detach -p '$PIN' fb0"
read -r CPU_A CPU_B < <(python3 -c 'import os; c = sorted(os.sched_getaffinity(0)); print(c[0], c[-1])')

# The frames: A, B, and two sets of FILL other flows (two frames each, in a row).
python3 - "$T" "$FILL" <<'PY'
import struct, sys
out, fill = sys.argv[1], int(sys.argv[2])
MACS = bytes.fromhex("020000000002020000000001")

def frame(proto, src, dst, sport, dport):
    if proto == 6:
        l4 = struct.pack("!HHIIBBHHH", sport, dport, 1, 0, 0x50, 0x18, 512, 0, 0)
    else:
        l4 = struct.pack("!HHHH", sport, dport, 8 + 18, 0) + bytes(18)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), 0, 0, 64, proto, 0, bytes(src), bytes(dst))
    return (MACS + b"\x08\x00" + ip + l4).hex()

open(out + "/a", "w").write("1 %s\n" % frame(17, (10, 9, 0, 1), (10, 9, 0, 2), 1000, 53))
open(out + "/b", "w").write("1 %s\n" % frame(6, (10, 9, 0, 3), (10, 9, 0, 2), 2000, 80))
for n, net in ((1, 7), (2, 8)):
    open(out + "/fill%d" % n, "w").write("".join(
        "2 %s\n" % frame(17, (10, net, i >> 8, i & 255), (10, 9, 0, 2), 3000 + i % 1000, 53)
        for i in range(fill)))
PY

now_ms() { date +%s%3N; }
# send CPU SPEC [TIMES]: SPEC's frames TIMES times from CPU (the veth runs XDP there).
send() {
	local i out
	for ((i = 0; i < ${3:-1}; i++)); do
		out=$(xf_in "$NS" taskset -c "$1" "$XF_BUILD/tools/sendframes" fa0 "$2" 2>&1)
		case $out in *" 0 tx_dropped)"*) ;; *) xf_fail setup "sendframes: $out"; exit 1 ;; esac
	done
}
# until_ms MS: wait until the wall clock reaches MS (the batches' windows must not touch).
until_ms() { while (($(now_ms) < $1)); do sleep 0.02; done; }
read_json() { "$READER" -p "$PIN" --format json flows >"$T/$1.json" 2>"$T/err" || xf_fail "read $1" "$(cat "$T/err")"; }

# check NAME JSON EXPECT: EXPECT is python: {"FLOW": (packets, [(t0, t1), ...]), ...} with
# FLOW "A" or "B" or "*" (every other flow: two frames, sent in one of the windows), and
# "keep" = {"A": first_seen read before}: each flow's times in its windows, first <= last,
# first_seen unchanged where given. Prints A's and B's first_seen for the next checks.
check() {
	local out
	if out=$(python3 - "$T/$2.json" "$3" "$TOL_MS" "$KEEP_MS" <<'PY' 2>&1
import datetime, json, sys
doc, spec, tol, keep = json.load(open(sys.argv[1])), eval(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
ms = lambda s: datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
    tzinfo=datetime.timezone.utc).timestamp() * 1000
names = {("10.9.0.1", 1000): "A", ("10.9.0.3", 2000): "B"}
bad, seen, firsts = [], {}, {}
for f in doc["flows"]:
    name = names.get((f["src"], f["sport"]), "*")
    packets, windows = spec["flows"][name]
    first, last = ms(f["first_seen"]), ms(f["last_seen"])
    inside = lambda t: any(t0 - tol <= t <= t1 + tol for t0, t1 in windows)
    if first > last:
        bad.append("%s: first_seen %s after last_seen %s" % (name, f["first_seen"], f["last_seen"]))
    if not inside(first) or not inside(last):
        bad.append("%s: %s..%s outside the windows %s" % (name, f["first_seen"], f["last_seen"], windows))
    if name != "*":
        seen[name] = f
        firsts[name] = f["first_seen"]
        if f["packets"] != packets:
            bad.append("%s: %d packets, sent %d" % (name, f["packets"], packets))
        # The window of the batch that sent the flow first, and of its last batch.
        if not windows[0][0] - tol <= first <= windows[0][1] + tol:
            bad.append("%s: first_seen %s not in its first batch's window" % (name, f["first_seen"]))
        if not windows[-1][0] - tol <= last <= windows[-1][1] + tol:
            bad.append("%s: last_seen %s not in its last batch's window" % (name, f["last_seen"]))
    # The same jiffy may convert a few ms apart from one read to the next (the reader's
    # clock anchors move on): kept means within KEEP_MS, far below the 200 ms between batches.
    for k, v in spec.get("keep", {}).items():
        if name == k and abs(first - ms(v)) > keep:
            bad.append("%s: first_seen moved from %s to %s" % (name, v, f["first_seen"]))
missing = [n for n in spec["flows"] if n != "*" and n not in seen]
others = sum(1 for f in doc["flows"] if names.get((f["src"], f["sport"]), "*") == "*")
if missing or others != spec.get("others", 0):
    bad.append("flows missing: %s; %d other flows, sent %d" % (missing, others, spec.get("others", 0)))
if bad:
    sys.exit("; ".join(bad[:5]) + ("; ..." if len(bad) > 5 else ""))
print(" ".join("%s=%s" % kv for kv in sorted(firsts.items())))
PY
	); then
		xf_pass "$1 ($out)"
		FIRSTS=$out
	else
		xf_fail "$1" "$(echo "$out" | tail -n 1)"
		FIRSTS=
	fi
}
first_of() { sed -n "s/.*\b$1=\([^ ]*\).*/\1/p" <<<"$FIRSTS"; }

# batch NAME CPU SPEC TIMES [CPU SPEC TIMES...]: 200 ms after the previous batch, send each
# SPEC TIMES times from its CPU; W0 and W1 are the batch's window, its JSON is $T/NAME.json.
W1=0
batch() {
	local name=$1
	shift
	until_ms $((W1 + 200))
	W0=$(now_ms)
	while (($#)); do
		send "$1" "$2" "$3"
		shift 3
	done
	W1=$(now_ms)
	read_json "$name"
}

# 1. A (3 frames) and B (2 frames), nothing else: both in CPU_A's cache.
batch r1 "$CPU_A" "$T/a" 3 "$CPU_A" "$T/b" 2
w1="($W0, $W1)"
check "cache-resident: first_seen <= last_seen, both in the send window" r1 \
	"{'flows': {'A': (3, [$w1]), 'B': (2, [$w1])}}"
keep="'keep': {'A': '$(first_of A)', 'B': '$(first_of B)'}"

# 2. FILL other flows (A and B evicted to the flow table), then A again: table + cache.
batch r2 "$CPU_A" "$T/fill1" 1 "$CPU_A" "$T/a" 2
w2="($W0, $W1)"
check "evicted, then merged with a new cache entry: first_seen kept, last_seen of the new batch" r2 \
	"{'flows': {'A': (5, [$w1, $w2]), 'B': (2, [$w1]), '*': (1, [$w2])}, $keep, 'others': $FILL}"

# 3. FILL more flows (A evicted again: its table entry merged with its second cache entry),
# then A from the other CPU.
batch r3 "$CPU_A" "$T/fill2" 1 "$CPU_B" "$T/a" 1
w3="($W0, $W1)"
check "evicted twice, then on another CPU: first_seen unchanged by the later evictions" r3 \
	"{'flows': {'A': (6, [$w1, $w2, $w3]), 'B': (2, [$w1]), '*': (1, [$w2, $w3])}, $keep,
	  'others': $((2 * FILL))}"
xf_summary
