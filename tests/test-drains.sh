#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Crash-safe drains under traffic: the reader SIGKILLed at every step of 50 drains, a full --output filesystem, a collector down for some drains, and IPFIX sequence numbers that continue across runs; every count delivered once.
#
# Ground truth is tests/export_truth.py's: the frames sendframes writes into a veth, and what
# each must count, worked out there, never from xdpflow's code. What the reader delivered is
# read back as its JSON (by drain ID: a report delivered again after a kill must be the same
# report, and counts once) and as the IPFIX datagrams a collector here received (decoded
# here, each data record once by its sequence number), or as nfdump decodes nfcapd's files.
# XDPFLOW_DRAIN_KILLS (default 50) sets the number of killed drains.
set -u
. "$(dirname "$0")/lib.sh"

xf_require_root test-drains
xf_require_cmds python3 nsenter nfcapd nfdump nfacctd ss
READER=${READER:-$XF_BUILD/xdpflow-reader}
LOADER=$XF_BUILD/xdpflow-loader
SEND=$XF_BUILD/tools/sendframes
OBJ=$XF_BUILD/xdpflow.bpf.o
xf_require_built "$READER" "$LOADER" "$SEND" "$OBJ"
. "$(dirname "$0")/collector.sh"

T=$XF_TMP
# Every view, in JSON, wherever --ipfix would otherwise print nothing.
VIEWS="totals protocols sources flows"
KILLS=${XDPFLOW_DRAIN_KILLS:-50}
NS=xdpflow-dtest-$$
xf_netns "$NS" || { xf_fail setup "cannot create network namespace $NS"; exit 1; }
xf_veth "$NS" da0 db0 || { xf_fail setup "cannot create veth da0/db0"; exit 1; }
PIDS=()
xf_on_exit 'for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done'
R() { "$READER" "$@"; }
truth() { python3 "$XF_ROOT/tests/export_truth.py" "$@"; }

check() {
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then
		xf_pass "$name${out:+ (figure: $(printf '%s' "$out" | tail -n 1))}"
	else
		xf_fail "$name" "$(printf '%s' "$out" | tail -n 3 | tr '\n' ' ')"
	fi
}

# attach PIN: xdpflow on db0 with its maps at PIN (removed at exit).
attach() {
	xf_in "$NS" "$LOADER" attach -p "$1" --obj "$OBJ" db0 >"$T/attach.out" 2>&1 ||
		{ xf_fail "setup: attach" "$(tail -n 1 "$T/attach.out")"; return 1; }
	xf_on_exit "nsenter --net=/run/netns/$NS '$LOADER' detach -p '$1' db0 >/dev/null 2>&1"
	ATTACHED=$1
}
ATTACHED=

# start_sender NAME ROUNDS: sendframes writes NAME's frames into da0 in the background
# ($T/NAME.json: what they count); sets SENDER.
start_sender() {
	truth gen-veth "$T/$1.spec" "$T/$1.json" "$(xf_ifindex "$NS" db0)" "$2" >"$T/$1.n"
	xf_in "$NS" "$SEND" da0 "$T/$1.spec" >"$T/$1.sent" 2>&1 &
	SENDER=$!
	PIDS+=("$SENDER")
}

# sender_done NAME: wait for the sender; fails unless every frame went out.
sender_done() {
	wait "$SENDER"
	[[ $(cat "$T/$1.sent") == "sent $(cat "$T/$1.n") frames"*" 0 tx_dropped)" ]] ||
		{ xf_fail "$1: send" "$(cat "$T/$1.sent")"; return 1; }
}

# start_collector PORT FILE [PORT2...]: our UDP collector, every datagram appended to FILE
# (and passed on to 127.0.0.1:PORT2...); sets COLLECTOR.
start_collector() {
	python3 "$XF_ROOT/tests/export_truth.py" collect "$@" &
	COLLECTOR=$!
	PIDS+=("$COLLECTOR")
	for _ in $(seq 50); do
		ss -Hlun "sport = :$1" | grep -q . && return 0
		sleep 0.1
	done
	return 1
}

# stop_collector PORT: once its socket's queue is read, stop it.
stop_collector() {
	for _ in $(seq 50); do
		[ "$(ss -Hun "sport = :$1" | awk '{s += $2} END {print s + 0}')" = 0 ] && break
		sleep 0.1
	done
	sleep 0.2
	kill "$COLLECTOR" 2>/dev/null
	wait "$COLLECTOR" 2>/dev/null
}

# pending_count PIN: drain reports pending there.
pending_count() { find "$1/pending" -mindepth 1 -maxdepth 1 -name '[1-9]*' 2>/dev/null | wc -l; }

# settle PIN OUTPREFIX ARGS...: drains (stdout to OUTPREFIX.N) until nothing is pending and
# a drain ran clean; sets SETTLE_RUNS. Fails after 20 runs.
settle() {
	local pin=$1 pre=$2 k
	shift 2
	for k in $(seq 20); do
		if R -p "$pin" --drain --format json "$@" >"$pre.$k" 2>>"$T/settle.err" &&
			[ "$(pending_count "$pin")" = 0 ]; then
			SETTLE_RUNS=$k
			return 0
		fi
	done
	return 1
}

# ---- SIGKILL at every step of 50 drains, with traffic flowing ------------------------------

STEPS=(fresh recorded swap1 swap2 swap3 writing written sent sending marked forgotten)

test_kills() {
	local P port i step outs=() rc killed=0 timed=0 during=0 pend_max=0 pc
	xf_pin_dir P kills
	attach "$P" || return
	port=$(free_port 4)
	start_collector "$port" "$T/kills.ipfix" ||
		{ xf_fail "kill: collector" "did not start on 127.0.0.1:$port"; return; }
	start_sender kills "${XDPFLOW_DRAIN_ROUNDS:-8000}"
	for ((i = 0; i < KILLS; i++)); do
		kill -0 "$SENDER" 2>/dev/null && during=$((during + 1))
		outs+=("$T/kills.$i.json")
		if ((i % 8 == 7)); then
			# A kill at a random moment, not at a named step.
			"$READER" -p "$P" --drain --format json --ipfix "127.0.0.1:$port" --mtu 576 $VIEWS \
				>"$T/kills.$i.json" 2>"$T/kills.err" &
			sleep "0.0$((RANDOM % 10))$((RANDOM % 10))"
			kill -KILL $! 2>/dev/null && timed=$((timed + 1))
			wait $! 2>/dev/null
		else
			step=${STEPS[i % ${#STEPS[@]}]}
			# writing:2 stops inside the second report a run prints (one pending, then its own).
			((i % 22 == 5)) && step=writing:2
			XDPFLOW_TEST_KILL_AT=$step R -p "$P" --drain --format json \
				--ipfix "127.0.0.1:$port" --mtu 576 $VIEWS >"$T/kills.$i.json" 2>"$T/kills.err"
			rc=$?
			((rc == 137)) && killed=$((killed + 1)); [ -n "${XDPFLOW_DEBUG:-}" ] && echo "# $i $step rc=$rc pending=$(pending_count "$P")"
			((rc != 137 && rc != 0)) && echo "# drain $i ($step): exit $rc: $(cat "$T/kills.err")"
		fi
		pc=$(pending_count "$P")
		((pc > pend_max)) && pend_max=$pc
	done
	sender_done kills || return
	if ! settle "$P" "$T/kills.last" --ipfix "127.0.0.1:$port" --mtu 576 $VIEWS; then
		xf_fail "kill: the drains after the kills deliver what is pending" "$(tail -n 2 "$T/settle.err")"
		return
	fi
	outs+=("$T/kills.last".*)
	stop_collector "$port"
	if ((killed + timed >= KILLS * 3 / 4 && during >= KILLS / 3)); then
		xf_pass "kill: $KILLS drains with traffic flowing, the reader SIGKILLed at every step (${STEPS[*]}) and at random moments (figure: $killed killed at a step, $timed at a random moment, $during drains while sending, up to $pend_max reports pending at once)"
	else
		xf_fail "kill: SIGKILL at every step of the drains" "$killed killed at a step, $timed at a random moment, $during of $KILLS drains while sending"
	fi
	check "kill: JSON: every report once by its drain ID, summed: every frame sent, exactly, in every view" \
		truth check-delivered "$T/kills.json" "${outs[@]}"
	check "kill: IPFIX: every flow record once by its sequence number, summed: every flow's packets and bytes" \
		truth check-ipfix "$T/kills.json" "$T/kills.ipfix"
	R -p "$P" --format json >"$T/kills.after" 2>&1
	check "kill: nothing left in the tables or pending afterwards" truth check-zero "$T/kills.after"
	[ ! -e "$P/pending" ] || [ "$(pending_count "$P")" = 0 ] ||
		xf_fail "kill: nothing pending afterwards" "$(ls "$P/pending")"
}

# ---- A full filesystem for --output, then room ---------------------------------------------

test_full_fs() {
	local P M i outs=() failed=0 ok=0 out err
	xf_pin_dir P fullfs
	M=$T/tiny
	mkdir -p "$M"
	mount -t tmpfs -o size=64k,mode=0700 tmpfs "$M" ||
		{ xf_fail "full fs: setup" "cannot mount a tmpfs at $M"; return; }
	xf_on_exit "umount '$M'"
	attach "$P" || return
	start_sender fullfs "${XDPFLOW_DRAIN_ROUNDS_FS:-600}"
	# Leave a few KiB: the temporary file is made, the report does not fit.
	dd if=/dev/zero of="$M/filler" bs=1k count=60 status=none 2>/dev/null
	sync
	for ((i = 0; i < 6; i++)); do
		if R -p "$P" --drain --format json --output "$M/drain.json" 2>"$T/full.err"; then
			ok=$((ok + 1))
			mv "$M/drain.json" "$T/fullfs.ok.$i"
			outs+=("$T/fullfs.ok.$i")
		else
			failed=$((failed + 1))
			[ "$i" = 0 ] && err=$(cat "$T/full.err")
		fi
	done
	# What the loader says of a pending report, and that a purge never drops it.
	local pend
	pend=$(pending_count "$P")
	if ((pend > 0)) && xf_in "$NS" "$LOADER" status -p "$P" >"$T/status.out" 2>&1 &&
		grep -Eq "^pending: +$pend drain reports? not yet delivered \([0-9]+ packets" "$T/status.out"; then
		xf_pass "full fs: loader status shows the pending report"
	else
		xf_fail "full fs: loader status shows the pending report" "$pend pending; $(grep -i pending "$T/status.out")"
	fi
	if ! xf_in "$NS" "$LOADER" detach --purge -p "$P" db0 >"$T/purge.out" 2>&1 &&
		grep -q "not purging $P: $pend drain report" "$T/purge.out" &&
		[ "$(pending_count "$P")" = "$pend" ] && [ -n "$(xf_xdp_ids "$NS" db0)" ]; then
		xf_pass "full fs: detach --purge refuses while a report is pending, and changes nothing"
	else
		xf_fail "full fs: detach --purge refuses while a report is pending" "$(cat "$T/purge.out")"
	fi
	rm -f "$M/filler"
	sender_done fullfs || return
	# Room again: each run delivers one report to the FILE, pending first; a consumer takes it.
	for ((i = 0; i < 20; i++)); do
		R -p "$P" --drain --format json --output "$M/drain.json" 2>"$T/full.err" ||
			{ xf_fail "full fs: drains once there is room" "$(cat "$T/full.err")"; return; }
		mv "$M/drain.json" "$T/fullfs.room.$i" && outs+=("$T/fullfs.room.$i")
		[ "$(pending_count "$P")" = 0 ] && ((i > 0)) && break
	done
	if ((failed > 0)) && [[ $err == *"No space left on device"*"the report is kept pending"* ]]; then
		xf_pass "full fs: --output on a full filesystem fails after the swap and keeps the report pending (figure: $failed drains refused, $ok delivered while full, $((i + 1)) runs to catch up)"
	else
		xf_fail "full fs: --output on a full filesystem keeps the report pending" "$failed failed; first error: ${err:-none}"
	fi
	check "full fs: once there is room every report arrives, once, summed: every frame sent, exactly" \
		truth check-delivered "$T/fullfs.json" "${outs[@]}"
}

# ---- A collector down for some drains, back later ------------------------------------------

test_collector_down() {
	local P port i outs=() refused=0 rc
	xf_pin_dir P down
	attach "$P" || return
	port=$(free_port 4)
	start_collector "$port" "$T/down.ipfix" || { xf_fail "collector down: setup" "no collector"; return; }
	start_sender down "${XDPFLOW_DRAIN_ROUNDS_DOWN:-1500}"
	for ((i = 0; i < 12; i++)); do
		((i == 3)) && stop_collector "$port"
		((i == 8)) && { start_collector "$port" "$T/down.ipfix" || break; }
		R -p "$P" --drain --format json --ipfix "127.0.0.1:$port" $VIEWS >"$T/down.$i.json" 2>"$T/down.err"
		rc=$?
		outs+=("$T/down.$i.json")
		((i >= 3 && i < 8 && rc != 0)) && refused=$((refused + 1))
		sleep 0.2
	done
	sender_done down || return
	settle "$P" "$T/down.last" --ipfix "127.0.0.1:$port" $VIEWS ||
		{ xf_fail "collector down: drains once it is back" "$(tail -n 2 "$T/settle.err")"; return; }
	outs+=("$T/down.last".*)
	stop_collector "$port"
	if ((refused == 5)); then
		xf_pass "collector down: every drain while it is down is refused and changes nothing (figure: $refused drains refused)"
	else
		xf_fail "collector down: drains while it is down are refused" "$refused of 5 refused"
	fi
	check "collector down: IPFIX: once it is back every flow arrives, once, summed: every flow's counts" \
		truth check-ipfix "$T/down.json" "$T/down.ipfix"
	check "collector down: JSON: the same drains' reports, summed: every frame sent, exactly" \
		truth check-delivered "$T/down.json" "${outs[@]}"
}

# ---- One IPFIX exporter across runs, into nfcapd and nfacctd -------------------------------

# start_postgres: a PostgreSQL server of this run's own (Debian's postgresql), listening on a
# Unix socket only (no TCP port to collide with), trusting local connections, holding the
# table of docs/EXPORT.md's fleet section (its sql block, as a user would paste it); sets PGDIR.
start_postgres() {
	local bin
	bin=$(find /usr/lib/postgresql -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n 1)
	if [ ! -x "$bin/initdb" ]; then
		echo "no PostgreSQL server under /usr/lib/postgresql (Debian package postgresql; tests/deps.sh installs it)"
		return 1
	fi
	PGDIR=$(mktemp -d /tmp/xdpflow-pg.XXXXXX) && chown postgres "$PGDIR" || return 1
	xf_on_exit "runuser -u postgres -- '$bin/pg_ctl' -D '$PGDIR/data' -m immediate stop; rm -rf '$PGDIR'"
	runuser -u postgres -- "$bin/initdb" -D "$PGDIR/data" -A trust -U postgres >"$PGDIR/initdb.log" 2>&1 &&
		runuser -u postgres -- "$bin/pg_ctl" -D "$PGDIR/data" -w -l "$PGDIR/server.log" \
			-o "-c listen_addresses='' -k $PGDIR -p 5432" start >/dev/null 2>&1 &&
		psql -h "$PGDIR" -U postgres -qc "CREATE DATABASE pmacct" &&
		sed -n '/^```sql$/,/^```$/{/^```/d;p}' "$XF_ROOT/docs/EXPORT.md" |
		psql -h "$PGDIR" -U postgres -d pmacct -q -v ON_ERROR_STOP=1 -f - ||
		{ tail -n 2 "$PGDIR/initdb.log" "$PGDIR/server.log" 2>/dev/null; return 1; }
}

# start_nfacctd PORT OUT: pmacct's nfacctd on 127.0.0.1:PORT with the two configurations of
# docs/EXPORT.md's fleet section: its print plugin writing JSON lines to OUT and its pgsql
# plugin storing into the server of start_postgres (PGDIR); sets NFACCTD.
start_nfacctd() {
	cat >"$T/nfacctd.conf" <<-EOF
	daemonize: false
	nfacctd_ip: 127.0.0.1
	nfacctd_port: $1
	plugins: print[fleet], pgsql[db]
	aggregate[fleet]: peer_src_ip, in_iface, src_host, dst_host, src_port, dst_port, proto
	print_output[fleet]: json
	print_output_file[fleet]: $2
	print_output_file_append[fleet]: true
	print_refresh_time[fleet]: 1
	aggregate[db]: peer_src_ip, in_iface, src_host, dst_host, src_port, dst_port, proto
	sql_optimize_clauses[db]: true
	sql_host[db]: $PGDIR
	sql_db[db]: pmacct
	sql_table[db]: xdpflow
	sql_user[db]: postgres
	sql_passwd[db]: unused
	sql_refresh_time[db]: 1
	sql_history[db]: 1m
	EOF
	nfacctd -f "$T/nfacctd.conf" >"$T/nfacctd.log" 2>&1 &
	NFACCTD=$!
	PIDS+=("$NFACCTD")
	for _ in $(seq 50); do
		grep -aq "waiting for NetFlow/IPFIX data" "$T/nfacctd.log" && return 0
		sleep 0.1
	done
	return 1
}

# stop_nfacctd: once its cache was printed (every second), SIGINT: it prints what is left and exits.
stop_nfacctd() {
	sleep 2.5
	kill -INT "$NFACCTD" 2>/dev/null
	for _ in $(seq 50); do kill -0 "$NFACCTD" 2>/dev/null || return 0; sleep 0.1; done
	kill -KILL "$NFACCTD" 2>/dev/null
}

test_sequence() {
	local P port pa pn i sf sf0 ok=1 odid
	xf_pin_dir P seq
	attach "$P" || return
	port=$(free_port 4) pn=$(free_port 4) pa=$(free_port 4)
	start_nfcapd "$T/nf-seq" "$pn" 4 || { xf_fail "sequence: nfcapd" "did not start"; return; }
	if ! start_postgres >"$T/pg.start" 2>&1; then
		xf_fail "sequence: PostgreSQL" "did not start: $(tr '\n' ' ' <"$T/pg.start")"
		return
	fi
	if ! start_nfacctd "$pa" "$T/nfacctd.json"; then
		xf_fail "sequence: nfacctd" "did not start: $(tail -n 2 "$T/nfacctd.log")"
		return
	fi
	# The reader sends to our collector, which passes every datagram on to both.
	start_collector "$port" "$T/seq.ipfix" "$pn" "$pa" || { xf_fail "sequence: relay" "did not start"; return; }
	start_sender seq "${XDPFLOW_DRAIN_ROUNDS_SEQ:-300}"
	# Eleven runs from cron, as two hosts of a fleet (observation domains 1 and 2): each run a
	# new process, each domain's sequence kept in the state folder.
	for ((i = 0; i < 11; i++)); do
		((i == 10)) && { sender_done seq || return; }
		odid=$((1 + i % 2))
		R -p "$P" --drain --ipfix "127.0.0.1:$port" --odid "$odid" --state-dir "$T/seq-state" 2>"$T/seq.err" ||
			{ xf_fail "sequence: run $i" "$(cat "$T/seq.err")"; ok=0; }
		sleep 0.1
	done
	stop_collector "$port"
	stop_nfcapd
	stop_nfacctd
	sf=$(nfdump -R "$T/nf-seq" -I 2>/dev/null | sed -n 's/^Sequence failures: //p')
	TZ=UTC nfdump -R "$T/nf-seq" -o json >"$T/nf-seq.json" 2>/dev/null
	if ((ok)) && [ "$sf" = 0 ]; then
		xf_pass "sequence: 11 drains in 11 runs (two observation domains) to nfcapd: one exporter each, 0 sequence failures"
	else
		xf_fail "sequence: 11 runs, one exporter" "nfcapd counted ${sf:-?} sequence failures"
	fi
	check "sequence: nfdump's records of the 11 runs, summed: every flow's packets and IP bytes" \
		truth sum-nfdump "$T/nf-seq.json" "$T/seq.json"
	check "sequence: nfacctd (pmacct) got the same exports: every flow's packets and IP bytes" \
		truth sum-nfacctd "$T/nfacctd.json" "$T/seq.json"
	# What nfacctd's pgsql plugin stored, one JSON object a row with the print plugin's keys.
	psql -h "$PGDIR" -U postgres -d pmacct -At -c "SELECT row_to_json(r) FROM (SELECT host(peer_ip_src)
		AS peer_ip_src, iface_in, host(ip_src) AS ip_src, host(ip_dst) AS ip_dst, port_src, port_dst,
		ip_proto, packets, bytes FROM xdpflow) r" >"$T/pg.json" 2>"$T/pg.err"
	check "sequence: nfacctd into PostgreSQL (docs/EXPORT.md's table and pgsql plugin): every flow's packets and IP bytes in the rows" \
		truth sum-nfacctd "$T/pg.json" "$T/seq.json"
	check "sequence: the datagrams themselves, each record once by its sequence number: every flow" \
		truth check-ipfix "$T/seq.json" "$T/seq.ipfix"
	# The control: without the state folder kept, nfcapd sees the sequence restart.
	port=$(free_port 4)
	start_nfcapd "$T/nf-seq0" "$port" 4 || return
	start_sender seq0 20
	sender_done seq0 || return
	for ((i = 0; i < 3; i++)); do
		R -p "$P" --drain --ipfix "127.0.0.1:$port" --state-dir "$T/seq-state0.$i" 2>/dev/null
		xf_send "$NS" da0 "$T/seq0.spec" >/dev/null
	done
	stop_nfcapd
	sf0=$(nfdump -R "$T/nf-seq0" -I 2>/dev/null | sed -n 's/^Sequence failures: //p')
	if [ "${sf0:-0}" -gt 0 ]; then
		xf_pass "sequence: control: runs that do not keep the sequence give nfcapd sequence failures (figure: $sf0 in 3 runs)"
	else
		xf_fail "sequence: control" "nfcapd counted ${sf0:-?} sequence failures for runs starting at 0"
	fi
}

for t in ${TESTS:-kills full_fs collector_down sequence}; do
	"test_$t"
	# The next test attaches its own pins.
	[ -n "$ATTACHED" ] && xf_in "$NS" "$LOADER" detach -p "$ATTACHED" db0 >/dev/null 2>&1
	ATTACHED=
done
xf_summary
