#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# valgrind memcheck on xdpflow-reader over pinned maps holding real counts: every format, --top, --drain: no error, no leak.
#
# The maps are filled by running frames through the real XDP program (build/tools/feed:
# generated flows on one CPU, tcpdump captures on another), so the reader merges per-CPU
# flow caches with the flow table as it does in production. Each run is memcheck with
# --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=99: any
# invalid access, use of uninitialised memory or definite/indirect leak fails it. What the
# reader printed is checked too (Python's json): the totals equal what the feeder ran.
# Uses the plain build (valgrind and ASan do not mix); READER=... tests another one.
set -u
. "$(dirname "$0")/lib.sh"

xf_require_root test-valgrind
xf_require_cmds valgrind python3
READER=${READER:-$XF_BUILD/xdpflow-reader}
FEED=$XF_BUILD/tools/feed
OBJ=$XF_BUILD/xdpflow.bpf.o
xf_require_built "$READER" "$FEED" "$OBJ"
T=$XF_TMP
xf_pin_dir P vg

# libbpf 1.1 probes kernel features (e.g. whether maps take names, inside bpf_map_create(),
# which --drain calls) by loading a program with bpf() attributes cut short of the fields it
# does not need (the kernel zero-fills them); memcheck's bpf() wrapper reads those fields
# and calls them uninitialised. Only such reports from within libbpf are suppressed: an
# error in xdpflow's own code, even one reached through libbpf, still fails.
for field in prog_ifindex expected_attach_type prog_btf_fd func_info_rec_size func_info \
	func_info_cnt line_info_rec_size line_info line_info_cnt attach_btf_id attach_prog_fd \
	fd_array; do
	printf '{\n   libbpf-probe-%s\n   Memcheck:Param\n   bpf(attr->%s)\n   fun:syscall\n   obj:*/libbpf.so*\n}\n' \
		"$field" "$field"
done >"$T/libbpf.supp"
VG=(valgrind --leak-check=full --errors-for-leak-kinds=definite,indirect
	--show-leak-kinds=definite,indirect --error-exitcode=99 --suppressions="$T/libbpf.supp")

# Fill the maps: FED_FRAMES and FED_BYTES are what went through the program.
FED_FRAMES=0 FED_BYTES=0
feed() {
	local out
	out=$("$FEED" --obj "$OBJ" --pin-path "$P" "$@" 2>&1) || {
		xf_fail setup "feed $*: $(printf '%s' "$out" | tail -n 1)"
		exit 1
	}
	read -r FRAMES BYTES < <(printf '%s\n' "$out" | sed -n 's/^fed \([0-9]*\) frames \([0-9]*\) bytes.*/\1 \2/p')
	FED_FRAMES=$((FED_FRAMES + FRAMES)) FED_BYTES=$((FED_BYTES + BYTES))
}
read -r CPU_A CPU_B < <(python3 -c 'import os; c = sorted(os.sched_getaffinity(0)); print(c[0], c[-1])')
feed --generate 5000 --cpu "$CPU_A"
xf_corpus_pcaps pcaps || exit 1
pcaps=("${pcaps[@]:0:80}")
feed --cpu "$CPU_B" --pcap "${pcaps[@]}"
echo "# maps filled: $FED_FRAMES frames, $FED_BYTES bytes (5000 generated flows, ${#pcaps[@]} captures)"

# vg NAME ARGS...: the reader under memcheck; output in $T/NAME.out, memcheck's log in
# $T/NAME.vg. Returns 0 when the reader exited 0 and memcheck found nothing.
vg() {
	local name=$1 rc
	shift
	"${VG[@]}" --log-file="$T/$name.vg" "$READER" "$@" >"$T/$name.out" 2>"$T/$name.err"
	rc=$?
	if ((rc == 99)) || ! grep -q 'ERROR SUMMARY: 0 errors' "$T/$name.vg"; then
		xf_fail "$name" "memcheck: $(grep -m1 'ERROR SUMMARY' "$T/$name.vg" | cut -d' ' -f2-); first: $(grep -m1 -A2 -E '^==[0-9]+== (Invalid|Conditional|Use of|Syscall param|Mismatched|[0-9,]+ (\(|bytes))' "$T/$name.vg" | cut -d' ' -f2- | tr '\n' ' ') (log: $T/$name.vg, removed at exit)"
		return 1
	fi
	if ((rc != 0)); then
		xf_fail "$name" "the reader exited $rc: $(tail -n 1 "$T/$name.err")"
		return 1
	fi
	return 0
}

# The leak summary of a run, for the PASS line.
leaks() {
	if grep -q 'All heap blocks were freed' "$T/$1.vg"; then
		echo "all heap blocks freed"
	else
		echo "0 bytes definitely or indirectly lost, $(sed -n 's/.*still reachable: \([0-9,]* bytes\).*/\1/p' "$T/$1.vg" | tail -n 1) still reachable (libc and libbpf caches)"
	fi
}

# check_json NAME FILE [python assertions on doc, frames, nbytes]
check_json() {
	python3 - "$2" "$FED_FRAMES" "$FED_BYTES" "$3" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
frames, nbytes = int(sys.argv[2]), int(sys.argv[3])
exec(sys.argv[4])
PY
}

TOTALS_OK='
t = doc["totals"]
assert t["packets"] == frames and t["bytes"] == nbytes, "totals %d/%d, fed %d/%d" % (t["packets"], t["bytes"], frames, nbytes)
'

# Every IP frame fed is in exactly one protocol row and, unless the table had no room, in
# exactly one flow; the 5000 generated flows at least.
if vg valgrind_json_dump -p "$P" --format json; then
	if msg=$(check_json valgrind_json_dump "$T/valgrind_json_dump.out" "$TOTALS_OK
f, t = doc[\"flows\"], doc[\"totals\"]
assert len(f) >= 5000, \"%d flows\" % len(f)
assert sum(p[\"packets\"] for p in doc[\"protocols\"]) == t[\"ip\"], \"protocols do not add up to the IP frames\"
assert sum(x[\"packets\"] for x in f) + t[\"unrecorded_packets\"] == t[\"ip\"], \"flows do not add up to the IP frames\"
assert sum(x[\"bytes\"] for x in f) + t[\"unrecorded_bytes\"] == t[\"ip_frame_bytes\"], \"flow bytes do not add up\"
print(len(f))" 2>&1); then
		xf_pass "valgrind_json_dump ($msg flows, $FED_FRAMES frames: no memcheck error, $(leaks valgrind_json_dump))"
	else
		xf_fail valgrind_json_dump "output: $(printf '%s' "$msg" | tail -n 1)"
	fi
fi

if vg valgrind_json_top -p "$P" --format json --top 10 --sort bytes; then
	if msg=$(check_json valgrind_json_top "$T/valgrind_json_top.out" "$TOTALS_OK
f = doc[\"flows\"]
assert len(f) == 10, \"%d flows\" % len(f)
assert all(a[\"bytes\"] >= b[\"bytes\"] for a, b in zip(f, f[1:])), \"not sorted by bytes\"" 2>&1); then
		xf_pass "valgrind_json_top (--top 10 --sort bytes: no memcheck error, $(leaks valgrind_json_top))"
	else
		xf_fail valgrind_json_top "output: $(printf '%s' "$msg" | tail -n 1)"
	fi
fi

for fmt in table csv prometheus; do
	extra=()
	[ "$fmt" = prometheus ] && extra=(--prometheus-flows)
	if vg "valgrind_$fmt" -p "$P" --format "$fmt" "${extra[@]}"; then
		# What it printed under memcheck holds what the JSON dump holds: every flow's
		# counts (csv, prometheus), the totals (table's all row, prometheus).
		if msg=$(python3 - "$fmt" "$T/valgrind_$fmt.out" "$T/valgrind_json_dump.out" "$FED_FRAMES" <<'PY' 2>&1
import csv, json, re, sys
fmt, out, dump, frames = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
text, doc = open(out).read(), json.load(open(dump))
flows = sorted((f["src"], f["dst"], f["proto"], f["sport"], f["dport"], f["packets"], f["bytes"]) for f in doc["flows"])
if fmt == "csv":
    rows = [r for r in csv.reader(text.splitlines()) if r and r[0] == "flows"]
    head = next(csv.reader([l for l in text.splitlines() if l.startswith("view,") and "sport" in l][0:1]))
    col = {n: i for i, n in enumerate(head)}
    got = sorted((r[col["src"]], r[col["dst"]], int(r[col["proto"]]), int(r[col["sport"]]), int(r[col["dport"]]),
                  int(r[col["packets"]]), int(r[col["bytes"]])) for r in rows)
    assert got == flows, "csv flows differ from the JSON dump's (%d against %d rows)" % (len(got), len(flows))
elif fmt == "prometheus":
    total = sum(int(v) for v in re.findall(r"^xdpflow_interface_packets_total\{.*\} (\d+)$", text, re.M))
    assert total == frames, "interface packets %d, fed %d" % (total, frames)
    got = sorted(int(v) for v in re.findall(r"^xdpflow_flow_packets_total\{.*\} (\d+)$", text, re.M))
    assert got == sorted(f[5] for f in flows), "flow packet series differ from the JSON dump's flows"
else:
    # Totals: one row per interface (and an "all" row when there are several), then the
    # flow table's fill and the flows read (lines of their own, not rows).
    rows = [l.split() for l in text.split("\n\n")[0].splitlines()[2:]
            if not l.startswith(("flow table", "flows read"))]
    alls = [r for r in rows if r[0] == "all"]
    packets = int(alls[0][1]) if alls else sum(int(r[1]) for r in rows)
    assert packets == frames, "the totals table says %d packets, fed %d" % (packets, frames)
    assert sum(1 for l in text.split("\n\nFlows", 1)[-1].splitlines()[2:] if l.strip()) == len(flows), "flow rows"
print(len(text.splitlines()))
PY
		); then
			xf_pass "valgrind_$fmt ($msg lines, the same flows and totals as the JSON dump: no memcheck error, $(leaks "valgrind_$fmt"))"
		else
			xf_fail "valgrind_$fmt" "output: $(printf '%s' "$msg" | tail -n 1)"
		fi
	fi
done

# --drain comes with the export work; test it where the reader has it.
if ! "$READER" --help 2>/dev/null | grep -q -- '--drain'; then
	xf_skip valgrind_drain "this xdpflow-reader has no --drain option yet"
	xf_skip valgrind_drain_ipfix "this xdpflow-reader has no --drain option yet"
	xf_summary
	exit
fi

if vg valgrind_drain -p "$P" --drain --format json; then
	# What the drain reported is everything fed; the maps are empty after it.
	"$READER" -p "$P" --format json totals >"$T/after.json" 2>"$T/after.err"
	if msg=$(check_json valgrind_drain "$T/valgrind_drain.out" "$TOTALS_OK
assert doc.get(\"drained\") is True, \"no drained:true\"
after = json.load(open(\"$T/after.json\"))[\"totals\"]
assert after[\"packets\"] == 0, \"%d packets left after the drain\" % after[\"packets\"]" 2>&1); then
		xf_pass "valgrind_drain (--drain reported all $FED_FRAMES frames and emptied the maps: no memcheck error, $(leaks valgrind_drain))"
	else
		xf_fail valgrind_drain "output: $(printf '%s' "$msg" | tail -n 1)"
	fi
fi

# --drain --ipfix: the exporter's paths too, to a collector of ours on loopback.
FED_FRAMES=0 FED_BYTES=0
feed --generate 2000 --cpu "$CPU_A"
python3 - "$T/collector.port" "$T/collector.count" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
s.bind(("127.0.0.1", 0))
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
s.settimeout(30)
msgs = nbytes = 0
try:
    while True:
        d = s.recv(65535)
        msgs += 1
        nbytes += len(d)
        s.settimeout(3)
except socket.timeout:
    pass
open(sys.argv[2], "w").write("%d %d\n" % (msgs, nbytes))
PY
COLLECTOR=$!
xf_on_exit "kill $COLLECTOR"
for _ in $(seq 50); do [ -s "$T/collector.port" ] && break; sleep 0.1; done
if vg valgrind_drain_ipfix -p "$P" --drain --ipfix "127.0.0.1:$(cat "$T/collector.port")"; then
	wait "$COLLECTOR"
	read -r msgs nbytes <"$T/collector.count"
	if ((msgs > 0)); then
		xf_pass "valgrind_drain_ipfix (2000 flows drained to IPFIX, $msgs messages, $nbytes bytes received: no memcheck error, $(leaks valgrind_drain_ipfix))"
	else
		xf_fail valgrind_drain_ipfix "the collector received nothing"
	fi
fi
xf_summary
