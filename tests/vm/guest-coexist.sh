#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Guest script: xdpflow shares a veth with xdp-filter and another XDP program through libxdp's dispatcher (issue 5, items 2-4).
#
# Run it through the runner (tests/test-vm.sh does): tests/vm/run-vm.sh tests/vm/guest-coexist.sh
# One veth carries, in libxdp's dispatcher: xdpflow, xdp-filter (priority 10, rule
# 'xdp-filter port 53') and build/vm/other.bpf.o (vm_other, priority 30, counts what it
# sees). Frame sets s1..s5 come with their ground truth from tests/vm/coexist_truth.py:
#   s1  xdpflow at priority 5 (EARLY pins): counts every frame, the dropped ones too
#   s2  xdpflow detached, attached again at --prio 60 (LATE pins): counts what passed
#   s3  after xdp-filter unload: xdpflow still attached, now counts every frame
#   s4  after xdp-loader unload --id and a new attach: counts continue on the same pins
#   s5  a second veth with xdpflow loaded by xdp-loader load -p (XL pins)
# and xdpflow-reader's JSON on the three pin folders equals the ground truth.
set -u
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/guest-lib.sh"

if [ "${XDPFLOW_VM:-}" != 1 ]; then
	echo "guest-coexist.sh: meant to run inside the VM (the host kernel has no dispatcher): tests/vm/run-vm.sh $0" >&2
	exit 2
fi
xf_require_root guest-coexist
xf_require_cmds bpftool xdp-loader xdp-filter nsenter python3
LOADER=$XF_BUILD/xdpflow-loader
READER=$XF_BUILD/xdpflow-reader
OBJ=$XF_BUILD/xdpflow.bpf.o
OTHER=$XF_BUILD/vm/other.bpf.o
xf_require_built "$LOADER" "$READER" "$OBJ" "$OTHER" "$XF_BUILD/tools/sendframes"

NS=xdpflow-vmco-$$
T=$XF_TMP
xf_netns "$NS" || { xf_fail setup "cannot create network namespace $NS"; exit 1; }
xf_veth "$NS" va0 vb0 && xf_veth "$NS" va1 vb1 || { xf_fail setup "cannot create the veth pairs"; exit 1; }
xf_pin_dir EARLY early
xf_pin_dir LATE late
xf_pin_dir XL xdploader
# xdp-filter keeps its maps and its list of interfaces under /sys/fs/bpf/xdp-filter.
xf_on_exit "xf_in '$NS' xdp-filter unload --all"
xf_on_exit "xf_in '$NS' xdp-loader unload --all vb0; xf_in '$NS' xdp-loader unload --all vb1"

L() { xf_in "$NS" "$LOADER" "$@"; }
status() { vm_status "$NS" "$1"; }
chain() { vm_chain "$NS" "$1"; }
prog_id() { vm_prog_id "$NS" "$1" "$2"; }
has_dispatcher() { vm_has_dispatcher "$NS" "$1"; }
# xdp-filter's own per-action frame counters (its XDP_DROP, XDP_PASS and XDP_ABORTED).
filter_stat() { xf_in "$NS" xdp-filter status 2>/dev/null | awk -v a="$1" '$1 == a {print $2}'; }
other_frames() { vm_other_frames "$NS" vb0; }

# reader_match NAME PINDIR EXPECT IFACE: xdpflow-reader's JSON against the truth. Cheaper than
# vm_counts_match under tcg (one python start instead of one plus six bpftool dumps).
reader_match() {
	local name=$1 dir=$2 expect=$3 iface=$4 why
	if ! xf_in "$NS" "$READER" -p "$dir" --format json >"$T/reader.json" 2>"$T/err"; then
		xf_fail "$name" "xdpflow-reader failed: $(tail -n 1 "$T/err")"
	elif why=$(python3 "$XF_ROOT/tests/vm/coexist_truth.py" reader "$T/reader.json" \
		"$(xf_ifindex "$NS" "$iface")" "$expect" 2>&1); then
		xf_pass "$name"
	else
		xf_fail "$name" "$why"
	fi
}


# One python run for every set and every expectation (python costs ~0.5 s a start under tcg).
python3 "$XF_ROOT/tests/vm/coexist_truth.py" gen "$T" 5 \
	early1=a1 late2=p2 late3=p2+a3 late4=p2+a3+a4 xl5=a5 ||
	{ xf_fail setup "cannot generate the frames"; exit 1; }
. "$T/truth.sh"
send() { xf_send "$NS" "$1" "$T/$2.spec" >/dev/null || xf_fail "send $2" "the veth dropped frames"; }

# --- 2. Coexistence: xdpflow before the filter, all three in the chain in priority order.
xf_in "$NS" xdp-filter load vb0 >"$T/out" 2>&1 && xf_in "$NS" xdp-filter port 53 >>"$T/out" 2>&1 ||
	{ xf_fail setup "xdp-filter load/port: $(tail -n 1 "$T/out")"; exit 1; }
xf_in "$NS" xdp-loader load vb0 "$OTHER" >"$T/out" 2>&1 || { xf_fail setup "xdp-loader load other: $(tail -n 1 "$T/out")"; exit 1; }
L attach -p "$EARLY" vb0 >"$T/out" 2>&1
vm_check "coexist: xdpflow-loader attach joins xdp-filter and vm_other, first of 3" 1 \
	"$(grep -c "position 1 of 3 in libxdp's dispatcher, priority 5" "$T/out")"
has_dispatcher vb0 && xf_pass "coexist: xdp-loader status shows xdp_dispatcher" ||
	xf_fail "coexist: xdp-loader status shows xdp_dispatcher" "$(status vb0 | tr '\n' '|')"
vm_check "coexist: chain in priority order: xdpflow 5, xdp-filter 10, vm_other 30" \
	"5:xdpflow 10:xdpfilt_alw_all 30:vm_other" "$(chain vb0)"
filter_id=$(prog_id vb0 xdpfilt_alw_all)
send va0 s1
vm_counts_match "coexist: priority 5 (before the filter) counts every frame, the dropped ones too" \
	"$T/early1.json" "$EARLY" "$NS" vb0
vm_check "coexist: xdp-filter dropped exactly the port-53 frames" "$drop_1 $pass_1 0" \
	"$(filter_stat XDP_DROP) $(filter_stat XDP_PASS) $(filter_stat XDP_ABORTED)"
vm_check "coexist: vm_other (priority 30) saw only what the filter passed" "$pass_1" "$(other_frames)"

# --- 3a. xdpflow-loader detach removes only xdpflow; the filter stays and still drops.
L detach -p "$EARLY" vb0 >"$T/out" 2>&1
vm_check "independence: xdpflow-loader detach leaves xdp-filter (same program) and vm_other" \
	"10:xdpfilt_alw_all 30:vm_other $filter_id" "$(chain vb0) $(prog_id vb0 xdpfilt_alw_all)"
# --- 2b. After the filter: --prio 60 counts only what passed.
L attach --prio 60 -p "$LATE" vb0 >"$T/out" 2>&1
vm_check "coexist: attach --prio 60 puts xdpflow after the filter" \
	"10:xdpfilt_alw_all 30:vm_other 60:xdpflow" "$(chain vb0)"
late_id=$(prog_id vb0 xdpflow)
send va0 s2
reader_match "coexist: priority 60 (after the filter) counts exactly what passed" "$LATE" "$T/late2.json" vb0
vm_check "independence: the filter kept dropping after xdpflow's detach" \
	"$((drop_1 + drop_2)) $((pass_1 + pass_2))" "$(filter_stat XDP_DROP) $(filter_stat XDP_PASS)"

# --- 3b. xdp-filter unload leaves xdpflow attached and counting.
xf_in "$NS" xdp-filter unload vb0 >"$T/out" 2>&1
vm_check "independence: xdp-filter unload leaves xdpflow (same program) and vm_other" \
	"30:vm_other 60:xdpflow $late_id" "$(chain vb0) $(prog_id vb0 xdpflow)"
send va0 s3
reader_match "independence: xdpflow counts on without the filter (every frame of s3)" "$LATE" "$T/late3.json" vb0
vm_check "independence: vm_other counted on through every change" "$((pass_1 + pass_2 + pass_3 + drop_3))" "$(other_frames)"

# --- 3c. xdp-loader unload --id removes xdpflow; attaching again reuses the pins.
xf_in "$NS" xdp-loader unload vb0 --id "$late_id" >"$T/out" 2>&1
vm_check "independence: xdp-loader unload --id <xdpflow> removes only xdpflow" "30:vm_other" "$(chain vb0)"
L attach --prio 60 -p "$LATE" vb0 >"$T/out" 2>&1
vm_check "independence: attach again after xdp-loader unload" "30:vm_other 60:xdpflow" "$(chain vb0)"
send va0 s4
# Also item 4's reader on the pins of the xdpflow-loader path.
reader_match "independence: the new attach reuses the pins, every count continues (reader JSON)" \
	"$LATE" "$T/late4.json" vb0

# --- 4. The other load path: xdp-loader load -p, through the dispatcher; then the reader.
if xf_in "$NS" xdp-loader load -p "$XL" vb1 "$OBJ" >"$T/out" 2>&1; then
	xf_pass "load paths: xdp-loader load -p DIR IFACE xdpflow.bpf.o"
else
	xf_fail "load paths: xdp-loader load -p DIR IFACE xdpflow.bpf.o" "$(tail -n 1 "$T/out")"
fi
has_dispatcher vb1 && [ "$(chain vb1)" = "5:xdpflow" ] &&
	xf_pass "load paths: xdp-loader puts xdpflow in the dispatcher at priority 5" ||
	xf_fail "load paths: xdp-loader puts xdpflow in the dispatcher at priority 5" "$(status vb1 | tr '\n' '|')"
L status -p "$XL" >"$T/out" 2>&1
grep -Eq "vb1 \(ifindex [0-9]+\): program id $(prog_id vb1 xdpflow), .*multi-prog mode" "$T/out" &&
	xf_pass "load paths: xdpflow-loader status recognises the xdp-loader program" ||
	xf_fail "load paths: xdpflow-loader status recognises the xdp-loader program" "$(tr '\n' '|' <"$T/out")"
send va1 s5
reader_match "load paths: the reader on the xdpflow-loader pins, detached after s1: JSON equals s1" \
	"$EARLY" "$T/early1.json" vb0
reader_match "load paths: the reader on the xdp-loader pins: JSON equals the frames sent" "$XL" "$T/xl5.json" vb1

L detach --purge -p "$LATE" >/dev/null 2>&1
L detach --purge -p "$EARLY" >/dev/null 2>&1
xf_in "$NS" xdp-loader unload --all vb1 >/dev/null 2>&1
L detach --purge -p "$XL" >/dev/null 2>&1
[ ! -e "$LATE" ] && [ ! -e "$EARLY" ] && [ ! -e "$XL" ] &&
	xf_pass "cleanup: detach --purge removes all three pin folders" ||
	xf_fail "cleanup: detach --purge removes all three pin folders" "$(ls -d "$LATE" "$EARLY" "$XL" 2>&1 | tr '\n' ' ')"
xf_summary
