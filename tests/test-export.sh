#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Integration tests of the reader's export: exactly-once --drain under traffic, --ipfix to nfcapd and tshark, atomic --output and Prometheus textfiles, and every error before a drain.
#
# Ground truth is what this script builds: frames made in Python (tests/export_truth.py) (sent through a veth
# with sendframes, or run through the program with build/tools/feed), and what each must
# count, worked out here, never from xdpflow's code. Drains are read back as the reader's
# JSON (Python's json), IPFIX as nfdump and tshark decode it, Prometheus files with promtool
# and a parser here. Everything created (namespace, veths, pins, collectors) is removed on
# exit, also after a failure. READER=... tests another build (e.g. the ASan one).
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/collector.sh"

xf_require_root test-export
xf_require_cmds python3 nsenter bpftool promtool nfcapd nfdump tshark setpriv ss
READER=${READER:-$XF_BUILD/xdpflow-reader}
LOADER=$XF_BUILD/xdpflow-loader
FEED=$XF_BUILD/tools/feed
SEND=$XF_BUILD/tools/sendframes
OBJ=$XF_BUILD/xdpflow.bpf.o
xf_require_built "$READER" "$LOADER" "$FEED" "$SEND" "$OBJ"

T=$XF_TMP
NS=xdpflow-etest-$$
xf_netns "$NS" || { xf_fail setup "cannot create network namespace $NS"; exit 1; }
xf_veth "$NS" ea0 eb0 || { xf_fail setup "cannot create veth ea0/eb0"; exit 1; }
LO=$(cat /sys/class/net/lo/ifindex)
PIDS=()
xf_on_exit 'for p in "${PIDS[@]}"; do kill -9 "$p"; done'

R() { "$READER" "$@"; }
RN() { xf_in "$NS" "$READER" "$@"; }
feed() { "$FEED" --obj "$OBJ" "$@"; }
now() { date +%s.%N; }
truth() { python3 "$XF_ROOT/tests/export_truth.py" "$@"; }

check() {
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then
		xf_pass "$name${out:+ ($(printf '%s' "$out" | tail -n 1))}"
	else
		xf_fail "$name" "$(printf '%s' "$out" | tail -n 3 | tr '\n' ' ')"
	fi
}

# feed_truth PIN NAME NFLOWS SEED OCTET: run generated frames through the program with its
# maps at PIN; $T/NAME.json is their truth; sets FEED_T0/FEED_T1 (wall clock around it).
feed_truth() {
	local pin=$1 name=$2
	truth gen-feed "$T/$name.frames" "$T/$name.json" "$LO" "$3" "$4" "$5" || return 1
	FEED_T0=$(now)
	if ! feed --pin-path "$pin" --max-flows 65536 --frames "$T/$name.frames" >"$T/feed.out" 2>&1; then
		xf_fail "feed $name" "$(tail -n 2 "$T/feed.out" | tr '\n' ' ')"
		return 1
	fi
	FEED_T1=$(now)
}

# ---- Drains under traffic through a veth, back to back -------------------------------------

test_drain_veth() {
	local P n sent i=0 rc out pid docs=() during=1 part w
	xf_pin_dir P veth
	if ! xf_in "$NS" "$LOADER" attach -p "$P" --obj "$OBJ" eb0 >"$T/out" 2>&1; then
		xf_fail "drain veth: attach" "$(tail -n 1 "$T/out")"
		return
	fi
	xf_on_exit "nsenter --net=/run/netns/$NS '$LOADER' detach -p '$P' eb0"
	n=$(truth gen-veth "$T/veth.spec" "$T/veth.json" "$(xf_ifindex "$NS" eb0)" "${EXPORT_TEST_ROUNDS:-2000}")
	# The frames go out in 4 parts, each only once one more drain has completed: at least 3
	# drains overlap the traffic however slow or busy the machine (no race for it).
	split -n l/4 -d "$T/veth.spec" "$T/veth.part."
	# Drains back to back until the last part is sent (the file stop), in the background.
	(
		while [ ! -e "$T/drains.stop" ]; do
			RN -p "$P" --drain --format json >"$T/drain.$i.json.tmp" 2>"$T/drain.err" ||
				{ echo "drain $i: $(cat "$T/drain.err")" >"$T/drains.failed"; exit 1; }
			mv "$T/drain.$i.json.tmp" "$T/drain.$i.json"
			i=$((i + 1))
		done
	) &
	pid=$!
	PIDS+=("$pid")
	sent=0 rc=0
	for part in "$T"/veth.part.*; do
		# until_drains K: wait (at most 60 s) until K drains have completed.
		for ((w = 0; w < 600; w++)); do
			(($(ls "$T"/drain.*.json 2>/dev/null | wc -l) >= during)) && break
			[ -e "$T/drains.failed" ] && break
			sleep 0.1
		done
		out=$(xf_in "$NS" "$SEND" ea0 "$part" 2>&1) || rc=1
		[[ $out == *" 0 tx_dropped)" ]] || rc=1
		sent=$((sent + $(sed -n 's/^sent \([0-9]*\) frames.*/\1/p' <<<"$out")))
		during=$((during + 1))
	done
	touch "$T/drains.stop"
	wait "$pid"
	if [ -e "$T/drains.failed" ]; then
		xf_fail "drain veth: drains" "$(cat "$T/drains.failed")"
		return
	fi
	during=$(ls "$T"/drain.*.json | wc -l)
	docs=("$T"/drain.[0-9]*.json)
	if ((rc)) || ((sent != n)); then
		xf_fail "drain veth: send" "expected $n frames and no drops: sent $sent; $out"
		return
	fi
	RN -p "$P" --drain --format json >"$T/drain.last.json" 2>"$T/drain.err" ||
		{ xf_fail "drain veth: last drain" "$(cat "$T/drain.err")"; return; }
	docs+=("$T/drain.last.json")
	if ((during < 3)); then
		xf_fail "drain veth: drains during traffic" "only $during drains while $n frames went out"
	else
		xf_pass "drain veth: $during drains ran while sendframes sent $n frames in 4 parts, each after one more drain"
	fi
	check "drain veth: the drains add up to every frame sent, exactly: totals, protocols, sources, flows" \
		truth check-drains "$T/veth.json" "${docs[@]}"
	RN -p "$P" --format json >"$T/after.json" 2>"$T/err"
	check "drain veth: after the last drain every view reads zero" truth check-zero "$T/after.json"

	# The loader reuses the pins after drains: detach, attach again, and it counts on.
	truth gen-veth "$T/veth2.spec" "$T/veth2.json" "$(xf_ifindex "$NS" eb0)" 2 >/dev/null
	if xf_in "$NS" "$LOADER" detach -p "$P" eb0 >"$T/out" 2>&1 &&
		xf_in "$NS" "$LOADER" attach -p "$P" --obj "$OBJ" eb0 >>"$T/out" 2>&1 &&
		out=$(xf_send "$NS" ea0 "$T/veth2.spec"); then
		RN -p "$P" --drain --format json >"$T/drain.reuse.json" 2>"$T/err"
		check "drain veth: detach and attach again after drains reuses the pins and counts on" \
			truth check-drains "$T/veth2.json" "$T/drain.reuse.json"
	else
		xf_fail "drain veth: reattach after drains" "$(tail -n 2 "$T/out") $out"
	fi
}

# ---- IPFIX from the reader to nfcapd, decoded by tshark too ---------------------------------

test_ipfix() {
	local P p1 p2 p6 t0 t1 out
	xf_pin_dir P ipfix
	# 1500 flows: IPv4, IPv6, TCP, UDP, ICMP, ICMPv6; far more than one message holds.
	feed_truth "$P" ipfix 1500 3 3 || return
	t0=$FEED_T0 t1=$FEED_T1
	p1=$(free_port 4)
	p2=$(free_port 4)
	while [ "$p2" = "$p1" ]; do p2=$(free_port 4); done
	if ! start_capture "$T/ipfix.pcap" "$p1" "$p2"; then
		xf_fail "ipfix: tshark capture" "tshark could not capture on lo"
		return
	fi
	if start_nfcapd "$T/nf-total" "$p1" 4; then
		R -p "$P" --ipfix "127.0.0.1:$p1" --odid 7 >"$T/out" 2>"$T/err"
		[ $? = 0 ] && [ ! -s "$T/out" ] && [ ! -s "$T/err" ] &&
			xf_pass "ipfix: --ipfix alone prints nothing and exits 0" ||
			xf_fail "ipfix: --ipfix alone prints nothing and exits 0" "$(cat "$T/err" "$T/out" | head -c 300)"
		stop_nfcapd
		TZ=UTC nfdump -R "$T/nf-total" -o json >"$T/nf-total.json" 2>"$T/err"
		check "ipfix: nfcapd stores every flow (total counters): addresses, ports, protocol, packets, IP bytes, flags, times" \
			truth check-nfdump "$T/nf-total.json" "$t0" "$t1" "$T/ipfix.json"
	else
		xf_fail "ipfix: nfcapd" "did not start on 127.0.0.1:$p1"
	fi
	if start_nfcapd "$T/nf-delta" "$p2" 4; then
		R -p "$P" --drain --ipfix "127.0.0.1:$p2" --odid 8 >"$T/out" 2>"$T/err" ||
			xf_fail "ipfix: --drain --ipfix" "$(cat "$T/err")"
		stop_nfcapd
		TZ=UTC nfdump -R "$T/nf-delta" -o json >"$T/nf-delta.json" 2>"$T/err"
		check "ipfix: --drain sends the same flows as deltas, nfcapd stores every one" \
			truth check-nfdump "$T/nf-delta.json" "$t0" "$t1" "$T/ipfix.json"
		R -p "$P" --format json >"$T/after.json"
		check "ipfix: after --drain --ipfix the tables read zero" truth check-zero "$T/after.json"
	else
		xf_fail "ipfix: nfcapd" "did not start on 127.0.0.1:$p2"
	fi
	stop_capture
	for mode in "total $p1 0" "delta $p2 1"; do
		set -- $mode
		out=$(tshark -r "$T/ipfix.pcap" -d "udp.port==$2,cflow" -Y "udp.port==$2 && (_ws.malformed || _ws.expert)" 2>/dev/null | wc -l)
		if [ "$out" != 0 ]; then
			xf_fail "ipfix: tshark decodes the $1 messages cleanly" "$out malformed or expert-flagged messages"
			continue
		fi
		tshark -r "$T/ipfix.pcap" -d "udp.port==$2,cflow" -Y "udp.port==$2" -T json -J cflow >"$T/ts.json" 2>/dev/null
		check "ipfix: tshark decodes the $1 messages with no warning: templates (QinQ ones too), every record, packets, IP and layer-2 bytes, vlanId" \
			truth check-tshark "$T/ts.json" "$3" "$T/ipfix.json"
	done

	# An IPv6 collector, and views printed next to the export.
	feed_truth "$P" ipfix6 200 4 4 || return
	t0=$FEED_T0 t1=$FEED_T1
	p6=$(free_port 6)
	if start_nfcapd "$T/nf-v6" "$p6" 6; then
		R -p "$P" --drain --ipfix "[::1]:$p6" --format json totals >"$T/v6.json" 2>"$T/err" ||
			xf_fail "ipfix: [::1] collector" "$(cat "$T/err")"
		stop_nfcapd
		TZ=UTC nfdump -R "$T/nf-v6" -o json >"$T/nf-v6.json" 2>"$T/err"
		check "ipfix: an IPv6 collector [::1]:PORT stores every flow" \
			truth check-nfdump "$T/nf-v6.json" "$t0" "$t1" "$T/ipfix6.json"
		check "ipfix: named VIEWs print next to the export, from the same drain" \
			python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); t=json.load(open(sys.argv[2]))["totals"]
assert d["drained"] and d["totals"]["packets"] == t["packets"] and "flows" not in d, d["totals"]' "$T/v6.json" "$T/ipfix6.json"
	else
		xf_fail "ipfix: nfcapd on [::1]" "did not start"
	fi
}

# ---- --output: atomic files, Prometheus textfiles ------------------------------------------

test_output() {
	local P D f mode pid size tmp old
	xf_pin_dir P output
	D=$T/textfile
	mkdir -p "$D"
	feed_truth "$P" prom 300 5 5 || return
	(umask 022 && R -p "$P" --format prometheus -o "$D/xdpflow.prom") 2>"$T/err" ||
		{ xf_fail "output: prometheus" "$(cat "$T/err")"; return; }
	if out=$(promtool check metrics <"$D/xdpflow.prom" 2>&1); then
		xf_pass "output: promtool check metrics accepts the --output file"
	else
		xf_fail "output: promtool check metrics accepts the --output file" "$(echo "$out" | head -n 2 | tr '\n' ' ')"
	fi
	check "output: the file's counters equal the frames fed" truth check-prom "$D/xdpflow.prom" "$T/prom.json"
	mode=$(stat -c %a "$D/xdpflow.prom")
	[ "$mode" = 644 ] && [ "$(ls -A "$D")" = xdpflow.prom ] &&
		xf_pass "output: a new file is 0644 (umask 022), no temporary file left" ||
		xf_fail "output: a new file is 0644 (umask 022), no temporary file left" "mode $mode, folder: $(ls -A "$D" | tr '\n' ' ')"
	chmod 0640 "$D/xdpflow.prom"
	R -p "$P" --format prometheus -o "$D/xdpflow.prom" 2>"$T/err"
	[ "$(stat -c %a "$D/xdpflow.prom")" = 640 ] &&
		xf_pass "output: replacing a file keeps its mode (0640)" ||
		xf_fail "output: replacing a file keeps its mode (0640)" "mode $(stat -c %a "$D/xdpflow.prom")"
	for f in json csv table; do
		R -p "$P" --format "$f" >"$T/stdout.$f" 2>/dev/null
		R -p "$P" --format "$f" -o "$T/file.$f" 2>"$T/err"
		if [ $? = 0 ] && [ ! -s "$T/err" ] &&
			diff <(grep -v '"time"' "$T/stdout.$f") <(grep -v '"time"' "$T/file.$f") >/dev/null; then
			xf_pass "output: --format $f -o FILE writes what stdout would get"
		else
			xf_fail "output: --format $f -o FILE writes what stdout would get" "$(head -c 200 "$T/err")"
		fi
	done

	# Drains into a textfile: running totals, still valid, never going down.
	R -p "$P" --drain --format prometheus -o "$D/drain.prom" totals protocols 2>"$T/err" ||
		xf_fail "output: drain to prometheus" "$(cat "$T/err")"
	check "output: the first drain into a textfile holds the drained counts" truth check-prom "$D/drain.prom" "$T/prom.json"
	feed_truth "$P" prom2 100 6 6 || return
	R -p "$P" --drain --format prometheus -o "$D/drain.prom" totals protocols 2>"$T/err" ||
		xf_fail "output: second drain to prometheus" "$(cat "$T/err")"
	check "output: a second drain adds to the file's counters: running totals of both" \
		truth check-prom "$D/drain.prom" "$T/prom.json" "$T/prom2.json"
	if out=$(promtool check metrics <"$D/drain.prom" 2>&1) && head -n 1 "$D/drain.prom" | grep -q '^# xdpflow-reader --drain: running totals'; then
		xf_pass "output: the running-totals file is marked and promtool accepts it"
	else
		xf_fail "output: the running-totals file is marked and promtool accepts it" "$(echo "$out" | head -n 2 | tr '\n' ' ')"
	fi
	R -p "$P" --drain --format prometheus -o "$D/drain.prom" totals protocols 2>"$T/err"
	check "output: a drain with no traffic leaves the running totals as they were" \
		truth check-prom "$D/drain.prom" "$T/prom.json" "$T/prom2.json"

	# Killed mid-write: the previous file stays whole, only a hidden non-.prom file is left.
	local PB
	xf_pin_dir PB big
	if ! feed --pin-path "$PB" --max-flows 400000 --generate 300000 >"$T/out" 2>&1; then
		xf_fail "output: kill mid-write: feed" "$(cat "$T/out")"
		return
	fi
	cp "$D/xdpflow.prom" "$T/before.prom"
	R -p "$PB" --format prometheus --prometheus-flows -o "$D/xdpflow.prom" 2>/dev/null &
	pid=$!
	PIDS+=("$pid")
	size=0
	for _ in $(seq 2000); do
		tmp=$(find "$D" -maxdepth 1 -name '.xdpflow.prom.*' -size +256k 2>/dev/null | head -n 1)
		[ -n "$tmp" ] && kill -STOP "$pid" 2>/dev/null && size=$(stat -c %s "$tmp") && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.005
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	if [ "$size" = 0 ]; then
		xf_fail "output: a reader killed mid-write leaves the old file" "never caught the reader writing its temporary file"
	elif cmp -s "$T/before.prom" "$D/xdpflow.prom" && [ "$(cd "$D" && ls -- *.prom | tr '\n' ' ')" = "drain.prom xdpflow.prom " ]; then
		xf_pass "output: a reader killed (SIGKILL) mid-write ($size bytes written) leaves the old file whole; its leftover $(basename "$tmp") is hidden and not *.prom"
	else
		xf_fail "output: a reader killed mid-write leaves the old file" "file changed or *.prom files: $(cd "$D" && ls -- *.prom | tr '\n' ' ')"
	fi
	rm -f "$D"/.xdpflow.prom.*

	# A disk that fills while writing: one line, the old file as it was, no temporary file.
	mkdir -p "$T/small"
	unshare -m sh -c 'mount -t tmpfs -o size=256k tmpfs "$1" && echo old >"$1/x.json" &&
		"$2" -p "$3" --format json flows -o "$1/x.json" 2>"$4/small.err"; echo "exit $?";
		echo "content $(cat "$1/x.json")"; echo "files $(ls -A "$1" | tr "\n" " ")"' \
		sh "$T/small" "$READER" "$PB" "$T" >"$T/small.out" 2>&1
	if grep -qx "exit 1" "$T/small.out" && grep -qx "content old" "$T/small.out" &&
		grep -qx "files x.json " "$T/small.out" && [ "$(wc -l <"$T/small.err")" = 1 ] &&
		grep -q "^xdpflow-reader: cannot write --output .*/x.json: No space left on device; .* is left as it was$" "$T/small.err"; then
		xf_pass "output: a full disk: one line, the old file as it was, no temporary file left"
	else
		xf_fail "output: a full disk" "$(tr '\n' '|' <"$T/small.out") $(cat "$T/small.err")"
	fi
}

# ---- Errors: one line, non-zero, and a drain that fails its checks drains nothing -----------

test_errors() {
	local P before port D
	xf_pin_dir P errors
	D=$T/errfiles
	mkdir -p "$D"
	feed_truth "$P" err 50 7 7 || return
	# The counts to keep: a read that succeeded and holds what was fed (a failed read, or
	# one of empty maps, would make every later comparison pass).
	R -p "$P" --format json totals protocols flows >"$T/before.json" 2>"$T/err" &&
		truth check-totals "$T/before.json" "$T/err.json" 2>>"$T/err" ||
		{ xf_fail "error: setup" "the first read failed or is not what was fed: $(head -c 200 "$T/err")"; return; }
	before=$(grep -v '"time"' "$T/before.json" | md5sum)
	nothing_drained() {
		local now
		if ! now=$(R -p "$P" --format json totals protocols flows 2>&1); then
			xf_fail "$1: nothing drained" "the read after it failed: $(echo "$now" | tail -n 1)"
		elif [ "$(echo "$now" | grep -v '"time"' | md5sum)" != "$before" ]; then
			xf_fail "$1: nothing drained" "the counts changed"
		else
			xf_pass "$1: nothing drained"
		fi
	}

	xf_expect_reader_error "error: --drain --ipfix to a name that does not resolve" 1 \
		"cannot resolve \"no-such-host.invalid\".*nothing was drained" \
		R -p "$P" --drain --ipfix no-such-host.invalid:4739
	nothing_drained "error: unresolvable collector"
	port=$(free_port 4)
	xf_expect_reader_error "error: --drain --ipfix to a port nothing listens on" 1 \
		"127.0.0.1 port $port does not take messages: Connection refused.*nothing was drained" \
		R -p "$P" --drain --ipfix "127.0.0.1:$port"
	nothing_drained "error: refused collector"
	xf_expect_reader_error "error: --ipfix with a bad port is a usage error" 2 "port \"99999\" is not a number" \
		R -p "$P" --drain --ipfix 127.0.0.1:99999
	xf_expect_reader_error "error: --output into a missing folder" 1 "no folder $D/none: create it.*nothing was drained" \
		R -p "$P" --drain --format json -o "$D/none/x.json"
	nothing_drained "error: missing --output folder"
	echo "node_cpu_seconds_total 1" >"$D/other.prom"
	xf_expect_reader_error "error: --drain into a textfile of totals is refused (would count twice)" 1 \
		"does not hold the running totals.*count twice.*nothing was drained" \
		R -p "$P" --drain --format prometheus -o "$D/other.prom"
	[ "$(cat "$D/other.prom")" = "node_cpu_seconds_total 1" ] && [ "$(ls -A "$D")" = other.prom ] &&
		xf_pass "error: the refused textfile is untouched, no temporary file left" ||
		xf_fail "error: the refused textfile is untouched, no temporary file left" "$(ls -A "$D" | tr '\n' ' ')"
	nothing_drained "error: refused textfile"
	xf_expect_reader_error "error: --drain as nobody: needs write access, names the way out" 1 \
		"--drain needs write access to the pins at $P.*run as root" \
		setpriv --reuid=65534 --regid=65534 --clear-groups "$READER" -p "$P" --drain
	nothing_drained "error: --drain without privilege"
	if command -v capsh >/dev/null; then
		chmod 0400 "$P"/xdpflow_*
		xf_expect_reader_error "error: --drain on read-only pins (0400, root without CAP_DAC_OVERRIDE) says so" 1 \
			"--drain needs write access to the pins at $P \(Permission denied\)" \
			capsh --drop=cap_dac_override -- -c 'exec "$0" "$@"' "$READER" -p "$P" --drain
		chmod 0600 "$P"/xdpflow_*
		nothing_drained "error: --drain on read-only pins"
	else
		xf_skip "error: --drain on read-only pins" "needs capsh (Debian package libcap2-bin)"
	fi
	xf_expect_reader_error "error: --drain --format prometheus to stdout is a usage error" 2 "needs --output FILE" \
		R -p "$P" --drain --format prometheus
	xf_expect_reader_error "error: --drain --top is a usage error" 2 "--drain with --top" R -p "$P" --drain --top 3
	xf_expect_reader_error "error: --drain --interface is a usage error" 2 "--drain with --interface" R -p "$P" --drain -i lo
	xf_expect_reader_error "error: --drain --watch is a usage error" 2 "--drain does not repeat" R -p "$P" --drain -w 1
	xf_expect_reader_error "error: --odid without --ipfix is a usage error" 2 "--odid needs --ipfix" R -p "$P" --odid 3
	xf_expect_reader_error "error: --mtu out of range is a usage error" 2 "--mtu 100" R -p "$P" --ipfix 127.0.0.1 --mtu 100
	xf_expect_reader_error "error: --ipfix with --output but no VIEW is a usage error" 2 "add the VIEWs" \
		R -p "$P" --ipfix 127.0.0.1 -o "$D/x.json"
	nothing_drained "error: usage errors"
	# After the swap a failed write is said so, with what was lost.
	R -p "$P" --drain --format json >/dev/full 2>"$T/err"
	[ $? = 1 ] && [ "$(wc -l <"$T/err")" = 1 ] &&
		grep -Eq "^xdpflow-reader: drained $P \([0-9]+ packets, .*\) as drain [0-9]+, but cannot write the output: No space left on device; the report is kept pending: the next drain delivers it$" "$T/err" &&
		xf_pass "error: a drain whose output fails after the reset says so and keeps the report pending, exit 1" ||
		xf_fail "error: a drain whose output fails after the reset says so and keeps the report pending, exit 1" "$(cat "$T/err")"
}

test_help() {
	local opt missing=""
	R --help >"$T/help" 2>&1 || missing="(--help failed) "
	# Each export option on an option line of its own, with its value.
	for opt in "--drain" "-o, --output FILE" "--ipfix HOST\[:PORT\]" "--odid N" "--mtu BYTES" "--ipfix-rate N"; do
		grep -Eq -- "^ +$opt( |$)" "$T/help" || missing+="'$opt' "
	done
	[ -z "$missing" ] &&
		xf_pass "--help documents --drain, --output, --ipfix, --odid, --mtu, --ipfix-rate" ||
		xf_fail "--help documents --drain, --output, --ipfix, --odid, --mtu, --ipfix-rate" "missing: $missing"
}

test_drain_veth
test_ipfix
test_output
test_errors
test_help
xf_summary
