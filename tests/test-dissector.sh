#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# xdpflow against an independent dissector: the tcpdump corpus replayed through a veth into xdpflow, every class, protocol and flow compared with tshark's dissection.
#
# Every frame of tests/corpus/tcpdump that a veth can carry is written, unchanged, into one
# end of a veth pair (build/tools/sendframes, an AF_PACKET socket) whose other end runs
# xdpflow in native mode; xdpflow-reader --format json then gives xdpflow's counts. The
# same frames, in one pcap, are dissected by Debian's tshark (-T fields; reassembly off, so
# each frame stands alone; IPv4 total length 0 read as written, not as offload), and
# tests/dissect.py turns tshark's fields into what xdpflow must count: non-IP and malformed
# frames, IP frames and bytes per family and protocol, and every flow's key, packets,
# bytes, ip_bytes and TCP flags, compared field by field. Where tshark and xdpflow define
# a thing differently, tests/dissect.py lists the rule with its reason (DEFINITIONAL) and
# this test prints how many frames each one touched; any other difference fails. Frames
# whose IP length field is shorter than the frame are dissected a second time with the
# field set to the bytes they hold, as xdpflow reads them. Frames left out (shorter than
# an Ethernet header, longer than a veth carries) are counted and printed.
set -u
. "$(dirname "$0")/lib.sh"

xf_require_root test-dissector
xf_require_cmds python3 tshark nsenter
LOADER=${LOADER:-$XF_BUILD/xdpflow-loader}
READER=${READER:-$XF_BUILD/xdpflow-reader}
OBJ=${XDPFLOW_BPF_OBJ:-$XF_BUILD/xdpflow.bpf.o}
SEND=$XF_BUILD/tools/sendframes
DISSECT=$XF_ROOT/tests/dissect.py
xf_require_built "$LOADER" "$READER" "$OBJ" "$SEND"
T=$XF_TMP
# since T0: seconds since T0 (date +%s%N), one decimal.
since() { local d=$(($(date +%s%N) - $1)); printf '%d.%d' $((d / 1000000000)) $((d / 100000000 % 10)); }

# report CMD...: CMD's result lines (PASS<tab>NAME, FAIL<tab>NAME<tab>WHY) join this suite's
# tally; its other lines are shown as they are.
report() {
	local kind name why
	while IFS=$'\t' read -r kind name why; do
		case $kind in
		PASS) xf_pass "$name" ;;
		FAIL) xf_fail "$name" "$why" ;;
		*) printf '%s\n' "$kind${name:+$'\t'$name}${why:+$'\t'$why}" ;;
		esac
	done < <("$@" 2>&1 || printf 'FAIL\tdissect\t%s exited with an error\n' "$*")
}

pcaps=()
xf_corpus_pcaps pcaps || { xf_summary; exit 1; }
read -r SENT SENT_BYTES SHORT BIG < <(python3 "$DISSECT" prepare "$T/corpus.pcap" "${pcaps[@]}")
echo "# ${#pcaps[@]} captures: $SENT frames ($SENT_BYTES bytes) replayed; left out: $SHORT shorter" \
	"than the 14-byte Ethernet header (an AF_PACKET socket refuses them), $BIG longer than" \
	"65,549 bytes (a veth's largest MTU, 65,535, plus the Ethernet header)"

# tshark's side: every frame, then again those whose IP length field is shorter than the
# frame (tests/dissect.py relength), each pass one tshark run.
dissect() {
	# shellcheck disable=SC2046 # one -e per field
	tshark -r "$1" -o ip.defragment:FALSE -o ipv6.defragment:FALSE -o ip.tso_support:FALSE \
		-T fields -E header=y -E separator=/t -E occurrence=a -E aggregator=, \
		$(python3 "$DISSECT" fields) >"$2" 2>"$T/tshark.err" && return
	xf_fail "tshark" "$1: $(grep -v 'Running as user' "$T/tshark.err" | head -n 2)"
	exit 1
}
start=$(date +%s%N)
dissect "$T/corpus.pcap" "$T/fields.tsv"
python3 "$DISSECT" relength "$T/fields.tsv" "$T/corpus.pcap" "$T/relength.pcap"
dissect "$T/relength.pcap" "$T/fields2.tsv"
echo "# tshark $(tshark --version 2>/dev/null | sed -n '1s/^TShark (Wireshark) \([^ ]*\).*/\1/p'):" \
	"$(($(wc -l <"$T/fields.tsv") - 1)) frames dissected in $(since "$start") s"

# xdpflow's side: the same frames through a veth, xdpflow attached in native mode.
NS=xdpflow-dtest-$$
xf_pin_dir P dissect
xf_netns "$NS" || { xf_fail setup "cannot create network namespace $NS"; exit 1; }
xf_veth "$NS" dsa dsb || { xf_fail setup "cannot create veth dsa/dsb"; exit 1; }
# The largest frames (BIG TCP captures) need the largest MTU on both ends.
if ! ip -n "$NS" link set dsa mtu 65535 || ! ip -n "$NS" link set dsb mtu 65535; then
	xf_fail setup "cannot set the veth MTU to 65535"
	exit 1
fi
if ! xf_in "$NS" "$LOADER" attach -p "$P" --obj "$OBJ" --mode native dsb >"$T/attach" 2>&1; then
	xf_fail setup "attach: $(tail -n 1 "$T/attach")"
	exit 1
fi
xf_on_exit "nsenter --net=/run/netns/$NS '$LOADER' detach -p '$P' dsb"
start=$(date +%s%N)
if ! out=$(xf_send "$NS" dsa "$T/corpus.pcap"); then
	xf_fail "replay" "$out"
	exit 1
fi
echo "# replay: $out in $(since "$start") s"
if ! xf_in "$NS" "$READER" -p "$P" --format json >"$T/reader.json" 2>"$T/err"; then
	xf_fail "reader" "$(head -n 1 "$T/err")"
	exit 1
fi

report python3 "$DISSECT" compare "$T/fields.tsv" "$T/fields2.tsv" "$T/relength.pcap" \
	"$T/reader.json" "$SENT" "$SENT_BYTES"
xf_summary
