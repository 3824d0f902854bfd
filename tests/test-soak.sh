#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Soak: traffic at the sender's full rate through a veth for a while, drains to JSON and IPFIX (nfcapd) every few seconds, attach/detach on a second interface meanwhile; at the end every count reconciles exactly, nfcapd saw one exporter, the readers' memory stayed flat and nfcapd's within what it stored, no pin is left.
#
# make test runs a short version (60 s); make soak the long one (XDPFLOW_SOAK_S=1800, a drain
# every 10 s, attach/detach every 60 s). Ground truth is tests/export_truth.py's: the frames
# of one sendframes run and what they count, times the runs the sender completed; the sender's
# own counts and the receiving veth's rx counter are compared too. Knobs: XDPFLOW_SOAK_S,
# XDPFLOW_SOAK_DRAIN_S, XDPFLOW_SOAK_TOGGLE_S.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/collector.sh"

xf_require_root test-soak
xf_require_cmds python3 nsenter nfcapd nfdump
READER=${READER:-$XF_BUILD/xdpflow-reader}
LOADER=${LOADER:-$XF_BUILD/xdpflow-loader}
SEND=$XF_BUILD/tools/sendframes
OBJ=$XF_BUILD/xdpflow.bpf.o
xf_require_built "$READER" "$LOADER" "$SEND" "$OBJ"

T=$XF_TMP
SOAK_S=${XDPFLOW_SOAK_S:-60}
DRAIN_S=${XDPFLOW_SOAK_DRAIN_S:-5}
TOGGLE_S=${XDPFLOW_SOAK_TOGGLE_S:-15}
NS=xdpflow-soak-$$
xf_netns "$NS" || { xf_fail setup "cannot create network namespace $NS"; exit 1; }
xf_veth "$NS" sa0 sb0 && xf_veth "$NS" sc0 sd0 || { xf_fail setup "cannot create the veths"; exit 1; }
PIDS=()
xf_on_exit 'for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done'
truth() { python3 "$XF_ROOT/tests/export_truth.py" "$@"; }
L() { xf_in "$NS" "$LOADER" "$@"; }
VIEWS="totals protocols sources flows"

# rx_packets IFACE: the interface's own receive counter.
rx_packets() {
	ip -n "$NS" -s -j link show "$1" | python3 -c 'import json, sys; print(json.load(sys.stdin)[0]["stats64"]["rx"]["packets"])'
}

# rss_kb PID: resident memory now.
rss_kb() { ps -o rss= -p "$1" | tr -d ' '; }

xf_pin_dir P soak
if ! L attach -p "$P" --obj "$OBJ" sb0 >"$T/attach.out" 2>&1; then
	xf_fail "soak: attach" "$(cat "$T/attach.out")"
	xf_summary
	exit 1
fi
xf_on_exit "nsenter --net=/run/netns/$NS '$LOADER' detach -p '$P' sb0 sd0"
port=$(free_port 4)
start_nfcapd "$T/nf" "$port" 4 || { xf_fail "soak: nfcapd" "did not start"; xf_summary; exit 1; }
nf_rss0=$(rss_kb "$NFCAPD_PID")
truth gen-veth "$T/one.spec" "$T/one.json" "$(xf_ifindex "$NS" sb0)" 1000 >"$T/one.n"
rx0=$(rx_packets sb0)
t0=$(date +%s.%N)
end=$(($(date +%s) + SOAK_S))

# The sender: the same frames again and again, as fast as sendframes goes, until the end.
(
	while (($(date +%s) < end)); do
		xf_in "$NS" "$SEND" sa0 "$T/one.spec" >>"$T/sent.log" 2>&1 || break
	done
) &
SENDER=$!
PIDS+=("$SENDER")

# attach/detach on the second interface, with the same pins, every TOGGLE_S.
(
	while (($(date +%s) < end)); do
		sleep "$TOGGLE_S"
		if L attach -p "$P" --obj "$OBJ" sd0 >>"$T/toggle.log" 2>&1 && sleep 1 &&
			L detach -p "$P" sd0 >>"$T/toggle.log" 2>&1; then
			echo ok >>"$T/toggles"
		else
			echo bad >>"$T/toggles"
		fi
	done
) &
TOGGLER=$!
PIDS+=("$TOGGLER")

# Drains every DRAIN_S, each reader's peak memory noted; nfcapd's memory before the first and after the last.
i=0 bad=0 outs=()
while (($(date +%s) < end)) || kill -0 "$SENDER" 2>/dev/null; do
	/usr/bin/time -f %M -o "$T/rss.$i" "$READER" -p "$P" --drain --format json \
		--ipfix "127.0.0.1:$port" $VIEWS >"$T/d.$i.json" 2>"$T/d.err" ||
		{ bad=$((bad + 1)); echo "# drain $i: $(cat "$T/d.err")"; }
	outs+=("$T/d.$i.json")
	i=$((i + 1))
	sleep "$DRAIN_S"
done
wait "$SENDER" "$TOGGLER"
"$READER" -p "$P" --drain --format json --ipfix "127.0.0.1:$port" $VIEWS >"$T/d.last.json" 2>"$T/d.err" ||
	{ bad=$((bad + 1)); echo "# last drain: $(cat "$T/d.err")"; }
outs+=("$T/d.last.json")
t1=$(date +%s.%N)
nf_rss1=$(rss_kb "$NFCAPD_PID")
rx1=$(rx_packets sb0)
stop_nfcapd

# The sender: every run complete, nothing dropped.
runs=$(grep -c "^sent " "$T/sent.log")
n=$(cat "$T/one.n")
if [ "$runs" -gt 0 ] && [ "$(grep -c "^sent $n frames, .* 0 tx_dropped)$" "$T/sent.log")" = "$runs" ] &&
	[ "$(wc -l <"$T/sent.log")" = "$runs" ]; then
	frames=$((runs * n))
	rate=$(python3 -c "print(round($frames / ($t1 - $t0)))")
	xf_pass "soak: the sender sent $runs x $n frames in ${SOAK_S} s, none dropped (figure: $frames frames, $rate frames/s on average)"
else
	xf_fail "soak: sender" "$(grep -v "^sent $n frames, .* 0 tx_dropped)$" "$T/sent.log" | head -n 2)"
	xf_summary
	exit 1
fi
truth scale-truth "$T/one.json" "$runs" "$T/all.json"
((bad == 0)) && xf_pass "soak: all $((i + 1)) drains succeeded (every ${DRAIN_S} s)" ||
	xf_fail "soak: drains" "$bad of $((i + 1)) failed"
if out=$(truth check-delivered "$T/all.json" "${outs[@]}" 2>&1); then
	xf_pass "soak: the drains' JSON, summed: every frame sent, exactly, in every view (figure: $out)"
else
	xf_fail "soak: the drains' JSON, summed, equal what was sent" "$out"
fi
if [ $((rx1 - rx0)) = "$frames" ]; then
	xf_pass "soak: the receiving veth's own rx counter agrees (figure: $((rx1 - rx0)) frames)"
else
	xf_fail "soak: the receiving veth's rx counter" "$((rx1 - rx0)) frames received, $frames sent"
fi
TZ=UTC nfdump -R "$T/nf" -o json >"$T/nf.json" 2>/dev/null
if out=$(truth sum-nfdump "$T/nf.json" "$T/all.json" 2>&1); then
	xf_pass "soak: nfcapd's records of every drain, summed: every flow's packets and IP bytes (figure: $out)"
else
	xf_fail "soak: nfcapd's records, summed" "$out"
fi
ok=$(grep -c ok "$T/toggles" 2>/dev/null) nok=$(grep -c bad "$T/toggles" 2>/dev/null)
if [ "${ok:-0}" -gt 0 ] && [ "${nok:-0}" = 0 ]; then
	xf_pass "soak: attach/detach on a second interface every ${TOGGLE_S} s, same pins (figure: $ok rounds)"
else
	xf_fail "soak: attach/detach on a second interface" "${nok:-0} of $((ok + nok)) failed: $(tail -n 2 "$T/toggle.log")"
fi

# nfcapd keys an exporter by address, IPFIX version and observation domain, not by source
# port: the drains, each a new process on a new port, must be one exporter to it, their
# sequence numbers continuing (--state-dir) with no failure.
drains=$((i + 1))
nfdump_exporters() { for f in "$T/nf"/nfcapd.*; do nfdump -E "$f"; done | grep '^SysID:'; }
if out=$(nfdump_exporters | python3 -c '
import re, sys
lines = sys.stdin.read().splitlines()
ids = {re.sub(r".*IP: *(\S+), version: (\d+), ID: *(\d+),.*", r"\1 v\2 odid \3", l) for l in lines}
fails = sum(int(re.search(r"Sequence failures: (\d+)", l).group(1)) for l in lines)
print("%d exporter%s: %s; %d sequence failures" % (len(ids), "" if len(ids) == 1 else "s", ", ".join(sorted(ids)), fails))
sys.exit(0 if ids == {"127.0.0.1 v10 odid 0"} and fails == 0 else 1)') && [ -n "$out" ]; then
	xf_pass "soak: nfcapd saw the $drains drains, each from its own source port, as one exporter (figure: $out)"
else
	xf_fail "soak: nfcapd saw the drains as one exporter" "${out:-nfdump -E listed no exporter}"
fi

# Memory. The readers: their peaks in the last third of the drains against the first third
# (each drain is a new process: growth would be state it carries from drain to drain).
# nfcapd 1.7 grows with what it receives (docs/EXPORT.md, "Collectors' memory", has the
# measurements): about 130 bytes per record stored (its write buffers filling, which levels
# off at 5-9 MiB), 32 bytes per template received again (8 bytes lost per refresh: valgrind),
# and about 320 KiB once, at its first file rotation; not with the source port. Its limit:
# 160 bytes a record + 384 bytes a drain (8 templates) + 512 KiB, against its RSS before the
# first drain. A new exporter every drain (7 KiB each) would exceed it in the long soak.
records=$(nfdump -R "$T/nf" -I 2>/dev/null | sed -n 's/^Flows: //p')
if out=$(python3 - "$T" "$i" "$nf_rss0" "$nf_rss1" "${records:-0}" <<'PY'
import statistics, sys
t, n, nf0, nf1, records = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
rss = [int(open("%s/rss.%d" % (t, k)).read().split()[-1]) for k in range(n)]
third = max(1, n // 3)
a, b = statistics.median(rss[:third]), statistics.median(rss[-third:])
limit = a * 1.05 + 256
print("reader peak RSS %d -> %d KiB, median of the first and last %d drains; limit %d KiB" % (a, b, third, limit))
sys.exit(0 if b <= limit else 1)
PY
); then
	xf_pass "soak: the readers' memory flat: no growth beyond 5% + 256 KiB (figure: $out)"
else
	xf_fail "soak: the readers' memory flat" "$out"
fi
if out=$(python3 - "$nf_rss0" "$nf_rss1" "${records:-0}" "$drains" <<'PY'
import sys
nf0, nf1, records, drains = map(int, sys.argv[1:])
allowed = (records * 160 + drains * 384) / 1024 + 512
print("nfcapd %d -> %d KiB (+%d KiB) for %d records from %d drains (%s bytes a record); limit +%d KiB"
      % (nf0, nf1, nf1 - nf0, records, drains,
         round((nf1 - nf0) * 1024 / records) if records else "-", allowed))
sys.exit(0 if records > 0 and nf1 - nf0 <= allowed else 1)
PY
); then
	xf_pass "soak: nfcapd's memory within what it stores: 160 bytes a record, 384 a drain, 512 KiB (figure: $out)"
else
	xf_fail "soak: nfcapd's memory within what it stores" "$out"
fi

# Nothing left behind: detach, purge, and no pin of this run remains.
if L detach --purge -p "$P" sb0 >"$T/purge.out" 2>&1 && [ ! -e "$P" ] &&
	! ls /sys/fs/bpf | grep -q "xdpflow-test-$$-"; then
	xf_pass "soak: detach --purge leaves no pin behind"
else
	xf_fail "soak: no pin left" "$(cat "$T/purge.out"; ls "$P" 2>&1 | head -n 3)"
fi
xf_summary
