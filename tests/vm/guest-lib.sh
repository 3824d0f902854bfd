# SPDX-License-Identifier: GPL-2.0
# Guest helpers: what libxdp's dispatcher holds on an interface, and xdpflow's counts against the truth.
#
# Source it after tests/lib.sh, in a guest script (tests/vm/guest-*.sh). NS is the network
# namespace the interface lives in.
#   vm_check NAME WANT GOT      PASS when the two strings are equal
#   vm_counts_match NAME EXPECT PINDIR NS IFACE
#                               PASS when xdpflow's pinned maps (decoded by tests/lib.sh)
#                               hold for IFACE exactly what EXPECT (xf_gen_frames' format) says
#   vm_status NS IFACE          xdp-loader status of IFACE
#   vm_chain NS IFACE           the dispatcher's components as PRIO:NAME in chain order,
#                               e.g. "5:xdpflow 10:xdpfilt_alw_all"
#   vm_prog_id NS IFACE NAME    the id of component NAME
#   vm_has_dispatcher NS IFACE  exit 0 if IFACE runs xdp_dispatcher
#   vm_other_frames NS IFACE    frames tests/vm/other.bpf.c (component vm_other) counted

vm_status() { xf_in "$1" xdp-loader status "$2" 2>&1; }
vm_chain() { vm_status "$1" "$2" | awk '$1 == "=>" {printf "%s%s:%s", sep, $2, $3; sep = " "}'; }
vm_prog_id() { vm_status "$1" "$2" | awk -v n="$3" '$1 == "=>" && $3 == n {print $4}'; }
vm_has_dispatcher() { [ -n "$(vm_status "$1" "$2" | awk '$2 == "xdp_dispatcher"')" ]; }
vm_other_frames() {
	local map
	map=$(bpftool -j prog show id "$(vm_prog_id "$1" "$2" vm_other)" 2>/dev/null |
		grep -o '"map_ids":\[[0-9]*' | grep -o '[0-9]*$')
	bpftool -j map dump id "$map" 2>/dev/null | grep -o '"value":[0-9][0-9]*' | cut -d: -f2
}

vm_check() {
	if [ "$2" = "$3" ]; then xf_pass "$1"; else xf_fail "$1" "got '$3', expected '$2'"; fi
}

vm_counts_match() {
	local why
	if ! xf_map_counts "$3" >"$XF_TMP/actual.json" 2>"$XF_TMP/err"; then
		xf_fail "$1" "cannot read the maps at $3: $(tail -n 1 "$XF_TMP/err")"
	elif why=$(xf_compare "$2" "$XF_TMP/actual.json" "$(xf_ifindex "$4" "$5")" 2>&1); then
		xf_pass "$1"
	else
		xf_fail "$1" "$why"
	fi
}
