# SPDX-License-Identifier: GPL-2.0
# Real IPFIX collectors for the test suites: nfcapd (nfdump) and a tshark capture on loopback.
#
# Source it from a test script that keeps a PIDS array whose processes it kills at exit:
#   free_port FAMILY            a UDP port free on ::1 (6) or 127.0.0.1 (4) right now
#   start_nfcapd DIR PORT FAM   nfcapd on loopback writing into DIR; sets NFCAPD_PID
#   stop_nfcapd                 stop it once it has read every datagram queued on its socket
#   start_capture FILE PORT...  tshark on lo for those UDP ports, into FILE; sets TSHARK_PID
#   stop_capture                stop the capture after the last messages reached it

free_port() {
	python3 - "$1" <<'PY'
import socket, sys
fam, addr = (socket.AF_INET6, "::1") if sys.argv[1] == "6" else (socket.AF_INET, "127.0.0.1")
s = socket.socket(fam, socket.SOCK_DGRAM)
s.bind((addr, 0))
print(s.getsockname()[1])
PY
}

start_nfcapd() {
	local dir=$1 port=$2 bind=(-4 -b 127.0.0.1)
	[ "$3" = 6 ] && bind=(-6 -b ::1)
	NFCAPD_PORT=$port
	mkdir -p "$dir"
	# -t 3600: one file per hour; SIGTERM closes and renames it, so nothing is left half-written.
	nfcapd -w "$dir" -p "$port" "${bind[@]}" -t 3600 -B 4194304 -C none >"$dir.log" 2>&1 &
	NFCAPD_PID=$!
	PIDS+=("$NFCAPD_PID")
	for _ in $(seq 50); do
		ss -Hlun "sport = :$port" | grep -q . && return 0
		kill -0 "$NFCAPD_PID" 2>/dev/null || break
		sleep 0.1
	done
	cat "$dir.log" >&2
	return 1
}

# A busy machine can leave datagrams queued on nfcapd's socket after the sender exits: wait
# until it has read them all, then SIGTERM (which closes its file).
stop_nfcapd() {
	local q
	for _ in $(seq 50); do
		q=$(ss -Hlun "sport = :$NFCAPD_PORT" | awk '{print $2}' | head -n 1)
		[ "${q:-0}" = 0 ] && break
		sleep 0.1
	done
	# Every datagram read: nfcapd writes what it read before it ends on SIGTERM.
	kill -TERM "$NFCAPD_PID" 2>/dev/null
	wait "$NFCAPD_PID" 2>/dev/null
}

# "Capturing on" comes out before the filter is live (measured: ~0.7 s early), so probe
# datagrams to one more port go out until the file holds one.
start_capture() {
	local file=$1 probe
	shift
	probe=$(free_port 4)
	while [[ " $* " == *" $probe "* ]]; do probe=$(free_port 4); done
	tshark -i lo -f "udp and (port $probe$(printf ' or port %s' "$@"))" -B 64 -F pcap -w "$file" \
		>"$file.log" 2>&1 &
	TSHARK_PID=$! CAPTURE_FILE=$file CAPTURE_PROBE=$probe
	PIDS+=("$TSHARK_PID")
	for _ in $(seq 100); do
		echo probe >"/dev/udp/127.0.0.1/$probe"
		(($(stat -c %s "$file" 2>/dev/null || echo 0) > 24)) && return 0
		kill -0 "$TSHARK_PID" 2>/dev/null || break
		sleep 0.1
	done
	cat "$file.log" >&2
	return 1
}

# Loopback delivers in order: once a last probe (sent after the messages) is in the file,
# so are they (at most 10 s).
stop_capture() {
	local mark=xdpflow-capture-end-$$
	for _ in $(seq 100); do
		echo "$mark" >"/dev/udp/127.0.0.1/$CAPTURE_PROBE"
		grep -aq "$mark" "$CAPTURE_FILE" 2>/dev/null && break
		sleep 0.1
	done
	kill -INT "$TSHARK_PID" 2>/dev/null
	wait "$TSHARK_PID" 2>/dev/null
}
