#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Integration tests of xdpflow-loader (and the plain xdp-loader path) over veth pairs, against frames with known counts.
#
# Runs as root on the host kernel, where libxdp falls back to single-program mode. Every
# check prints PASS/FAIL/SKIP; everything created (namespace, veths, pins, tmux server) is
# removed on exit, also after a failure. LOADER=... tests another build (e.g. the ASan one).
set -u
. "$(dirname "$0")/lib.sh"

xf_require_root test-loader
xf_require_cmds bpftool xdp-loader nsenter python3 tmux clang setpriv unshare
LOADER=${LOADER:-$XF_BUILD/xdpflow-loader}
OBJ=$XF_BUILD/xdpflow.bpf.o
xf_require_built "$LOADER" "$OBJ" "$XF_BUILD/tools/sendframes"

# libxdp's dispatcher needs freplace (BPF_PROG_TYPE_EXT): not on the dev host kernel, yes
# on stock distribution kernels (tests/vm/run-vm.sh). The expectations follow the kernel.
if bpftool feature probe kernel 2>/dev/null | grep -q "program_type ext is available"; then
	MULTIPROG=1
	CHAIN="multi-prog mode, position [0-9]+ of [0-9]+ in libxdp's dispatcher"
else
	MULTIPROG=0
	CHAIN="single-program mode"
fi
echo "# kernel $(uname -r): $( ((MULTIPROG)) && echo "libxdp dispatcher (multi-prog)" || echo "single-program mode")"

NS=xdpflow-test-$$
TMUX_SOCKET=xdpflow-test-$$
xf_netns "$NS" || { xf_fail setup "cannot create network namespace $NS"; exit 1; }
for i in 0 1 2 3; do
	xf_veth "$NS" "xa$i" "xb$i" || { xf_fail setup "cannot create veth xa$i/xb$i"; exit 1; }
done

L() { xf_in "$NS" "$LOADER" "$@"; }
T=$XF_TMP

# wait_for SECONDS CMD...: poll CMD every 0.1 s until it succeeds.
wait_for() {
	local deadline=$((SECONDS + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		((SECONDS >= deadline)) && return 1
		sleep 0.1
	done
}

attached_prog() { xf_xdp_ids "$NS" "$1"; }
has_no_xdp() { [ -z "$(xf_xdp_ids "$NS" "$1")" ]; }
# xdpflow's program id(s) on IFACE as xdp-loader reports them, alone or behind a dispatcher.
xdpflow_ids() { xf_xdp_loader_status "$NS" "$1" 2>/dev/null | awk '$2 == "xdpflow" || $3 == "xdpflow" {print $4}'; }
runs_xdpflow() { [ "$(xdpflow_ids "$1" | wc -l)" = 1 ]; }

# counts_match NAME EXPECT PINDIR IFACE: compare the pinned maps with the ground truth.
counts_match() {
	local why
	xf_map_counts "$3" >"$T/actual.json" || { xf_fail "$1" "cannot read the maps at $3"; return; }
	if why=$(xf_compare "$2" "$T/actual.json" "$(xf_ifindex "$NS" "$4")" 2>&1); then
		xf_pass "$1"
	else
		xf_fail "$1" "$why"
	fi
}

pins_mode() { stat -c '%a %G' "$1"/xdpflow_stats "$1"/xdpflow_flows "$1"/xdpflow_layout | sort -u; }

test_attach_and_count() {
	xf_pin_dir P main
	L attach -p "$P" xb0 >"$T/out" 2>"$T/err"
	local rc=$?
	if [ $rc -eq 0 ] && runs_xdpflow xb0; then
		xf_pass "attach: xdpflow-loader attaches xdpflow to xb0"
	else
		xf_fail "attach: xdpflow-loader attaches xdpflow to xb0" "exit $rc: $(cat "$T/err")"
		return
	fi
	if ((MULTIPROG)); then
		if [ ! -s "$T/err" ] && grep -q "in libxdp's dispatcher" "$T/out"; then
			xf_pass "attach: through libxdp's dispatcher, no warning"
		else
			xf_fail "attach: through libxdp's dispatcher, no warning" "$(tr '\n' '|' <"$T/err" "$T/out")"
		fi
	elif [ "$(grep -c 'warning:' "$T/err")" = 1 ] && grep -q 'single program' "$T/out"; then
		xf_pass "attach: single-program mode gives exactly one warning line"
	else
		xf_fail "attach: single-program mode gives exactly one warning line" "$(tr '\n' '|' <"$T/err")"
	fi
	[ "$(pins_mode "$P")" = "600 root" ] && [ "$(stat -c %a "$P")" = 700 ] &&
		xf_pass "attach: pins are 0600 and the folder 0700 by default" ||
		xf_fail "attach: pins are 0600 and the folder 0700 by default" "$(pins_mode "$P"), folder $(stat -c %a "$P")"
	xf_gen_frames 1 "$T/a.spec" "$T/a.json" 1
	xf_send "$NS" xa0 "$T/a.spec" >/dev/null || xf_fail "send frames A" "the veth dropped frames"
	counts_match "count: pinned maps hold exactly the frames sent to xb0" "$T/a.json" "$P" xb0
	L attach -p "$P" xb0 >"$T/out" 2>&1 && grep -q "already attached" "$T/out" &&
		runs_xdpflow xb0 &&
		xf_pass "attach: attaching again says so, exits 0 and changes nothing" ||
		xf_fail "attach: attaching again says so, exits 0 and changes nothing" "$(cat "$T/out")"
}

test_detach_keeps_counts() {
	L detach -p "$P" xb0 >"$T/out" 2>&1 && has_no_xdp xb0 && [ -e "$P/xdpflow_flows" ] &&
		xf_pass "detach: removes xdpflow, the pins stay" ||
		xf_fail "detach: removes xdpflow, the pins stay" "$(cat "$T/out")"
	counts_match "detach: counts still readable after detach" "$T/a.json" "$P" xb0
	L attach -p "$P" xb0 >/dev/null 2>&1 || xf_fail "re-attach" "attach failed"
	xf_gen_frames 2 "$T/b.spec" "$T/b.json" 2
	xf_send "$NS" xa0 "$T/b.spec" >/dev/null
	xf_expect_sum "$T/a.json" "$T/b.json" >"$T/ab.json"
	counts_match "reattach: detach then attach keeps every count (A + B)" "$T/ab.json" "$P" xb0
}

test_two_interfaces() {
	L attach -p "$P" xb1 >/dev/null 2>&1 && runs_xdpflow xb1 &&
		xf_pass "two interfaces: xb1 shares the pin folder of xb0" ||
		xf_fail "two interfaces: xb1 shares the pin folder of xb0" "attach xb1 failed"
	xf_gen_frames 3 "$T/c.spec" "$T/c.json" 3
	xf_send "$NS" xa1 "$T/c.spec" >/dev/null
	counts_match "two interfaces: xb1 counts only its own frames" "$T/c.json" "$P" xb1
	counts_match "two interfaces: xb0 keeps its own counts" "$T/ab.json" "$P" xb0
}

test_status() {
	local used want read
	L status -p "$P" >"$T/status" 2>&1 || { xf_fail "status" "exit status $?: $(cat "$T/status")"; return; }
	if grep -Eq "xb0 \(ifindex .*$CHAIN.*priority 5" "$T/status" &&
		grep -Eq "xb1 \(ifindex .*$CHAIN.*priority 5" "$T/status"; then
		xf_pass "status: both interfaces, their mode, chain and priority"
	else
		xf_fail "status: both interfaces, their mode, chain and priority" "$(tr '\n' '|' <"$T/status")"
	fi
	# A second opinion on the flows: status reads them through pin/ (see lib.sh). Nothing
	# counts meanwhile, so the fill is every distinct flow, in the table or only in a cache.
	xf_map_counts_raw "$P" >"$T/actual.json"
	want=$(python3 -c 'import json,sys; print(sum(len(v["flows"]) for v in json.load(open(sys.argv[1])).values()))' "$T/actual.json")
	used=$(sed -n 's/^flow table: *\([0-9]*\) of 262144 entries needed.*/\1/p' "$T/status")
	read=$(sed -n 's/^flows read: *\([0-9]*\)$/\1/p' "$T/status")
	[ -n "$used" ] && [ "$used" = "$want" ] && [ "$read" = "$want" ] &&
		grep -q "^not recorded: *0 packets" "$T/status" &&
		xf_pass "status: flows read, the table's fill (caches included) and packets not recorded" ||
		xf_fail "status: flows read, the table's fill (caches included) and packets not recorded" \
			"status says $read read, '$used' needed; the maps hold $want flows"
	if ((MULTIPROG)); then
		want="xdp_dispatcher \(id [0-9]+, native\): xdpflow\* \(id [0-9]+, prio 5\)"
	else
		want="xdpflow\* \(id [0-9]+, native, single program\)"
	fi
	L list -p "$P" >"$T/list" 2>&1 && grep -Eq "^[0-9]+ +xb0 +up +$want" "$T/list" &&
		xf_pass "list: marks our xdpflow with its mode" ||
		xf_fail "list: marks our xdpflow with its mode" "$(tr '\n' '|' <"$T/list")"
}

test_purge_refused_while_used() {
	local before
	before=$(xdpflow_ids xb0)
	xf_expect_fail "purge: refused while another interface uses the pins" "still|uses the same maps" \
		L detach --purge -p "$P" xb0
	[ "$(xdpflow_ids xb0)" = "$before" ] && [ -e "$P/xdpflow_stats" ] &&
		xf_pass "purge: a refused purge changes nothing" ||
		xf_fail "purge: a refused purge changes nothing" "xb0 now '$(xdpflow_ids xb0)', was '$before'"
}

test_xdp_loader_path() {
	local id
	L detach -p "$P" >"$T/out" 2>&1 && has_no_xdp xb0 && has_no_xdp xb1 &&
		xf_pass "detach: without interfaces detaches every interface using the pins" ||
		xf_fail "detach: without interfaces detaches every interface using the pins" "$(cat "$T/out")"
	if ! xf_in "$NS" xdp-loader load -p "$P" xb0 "$OBJ" >"$T/out" 2>&1; then
		xf_fail "xdp-loader: load with the same pins" "$(tail -n 1 "$T/out")"
		return
	fi
	runs_xdpflow xb0 && xf_pass "xdp-loader: status shows program xdpflow" ||
		xf_fail "xdp-loader: status shows program xdpflow" "$(xf_xdp_loader_status "$NS" xb0 | tr '\n' '|')"
	xf_gen_frames 4 "$T/d.spec" "$T/d.json" 4
	xf_send "$NS" xa0 "$T/d.spec" >/dev/null
	xf_expect_sum "$T/ab.json" "$T/d.json" >"$T/abd.json"
	counts_match "xdp-loader: load reuses the pins, counts continue" "$T/abd.json" "$P" xb0
	L status -p "$P" | grep -q "xb0 (ifindex.*program id $(xdpflow_ids xb0)," &&
		xf_pass "xdp-loader: xdpflow-loader status recognises it as ours" ||
		xf_fail "xdp-loader: xdpflow-loader status recognises it as ours"
	id=$(xdpflow_ids xb0)
	xf_in "$NS" xdp-loader unload xb0 --id "$id" >"$T/out" 2>&1 && has_no_xdp xb0 &&
		xf_pass "xdp-loader: unload --id removes it" ||
		xf_fail "xdp-loader: unload --id removes it" "$(tail -n 1 "$T/out")"
	L attach -p "$P" xb0 >/dev/null 2>&1
	id=$(xdpflow_ids xb0)
	xf_in "$NS" xdp-loader unload xb0 --id "$id" >"$T/out" 2>&1 && has_no_xdp xb0 &&
		xf_pass "xdp-loader: unloads what xdpflow-loader attached" ||
		xf_fail "xdp-loader: unloads what xdpflow-loader attached" "$(tail -n 1 "$T/out")"
	counts_match "xdp-loader: counts survive both paths" "$T/abd.json" "$P" xb0
	L attach -p "$P" xb0 >/dev/null 2>&1
	L detach --purge -p "$P" xb0 >"$T/out" 2>&1 && has_no_xdp xb0 && [ ! -e "$P" ] &&
		xf_pass "purge: detach --purge IFACE detaches, then removes the pins and the folder" ||
		xf_fail "purge: detach --purge IFACE detaches, then removes the pins and the folder" "$(cat "$T/out")"
}

# Where the kernel has the dispatcher: share an interface with another libxdp program.
test_coexist() {
	local dir bpfdir other
	bpfdir=/usr/lib/$(uname -m)-linux-gnu/bpf
	if ! ((MULTIPROG)); then
		xf_skip "coexist: xdpflow shares an interface with another XDP program" \
			"this kernel has no libxdp dispatcher (single-program mode)"
		return
	fi
	xf_pin_dir dir coexist
	xf_in "$NS" xdp-loader load -m native xb2 "$bpfdir/xdpfilt_alw_all.o" >/dev/null 2>&1 ||
		{ xf_skip "coexist" "cannot load $bpfdir/xdpfilt_alw_all.o"; return; }
	other=$(xf_xdp_loader_status "$NS" xb2 | awk '/xdpfilt_alw_all/ {print $4}')
	L attach -p "$dir" xb2 >"$T/out" 2>&1 && grep -q "position 1 of 2" "$T/out" &&
		xf_pass "coexist: xdpflow joins the dispatcher, first in the chain (priority 5)" ||
		xf_fail "coexist: xdpflow joins the dispatcher, first in the chain (priority 5)" "$(cat "$T/out")"
	xf_gen_frames 6 "$T/f.spec" "$T/f.json" 6
	xf_send "$NS" xa2 "$T/f.spec" >/dev/null
	counts_match "coexist: counts exact behind the dispatcher" "$T/f.json" "$dir" xb2
	L detach -p "$dir" xb2 >/dev/null 2>&1
	xf_xdp_loader_status "$NS" xb2 | grep -q "xdpfilt_alw_all .*$other" &&
		! xf_xdp_loader_status "$NS" xb2 | grep -q xdpflow &&
		xf_pass "coexist: detach removes only xdpflow from the dispatcher" ||
		xf_fail "coexist: detach removes only xdpflow from the dispatcher"
	xf_in "$NS" xdp-loader unload -a xb2 >/dev/null 2>&1
	L detach --purge -p "$dir" >/dev/null 2>&1
}

test_layout_mismatch() {
	local dir
	xf_pin_dir dir layout
	mkdir -p "$dir"
	bpftool map create "$dir/xdpflow_layout" type array key 4 value 4 entries 99 name xdpflow_layout
	xf_expect_fail "layout: pins of another layout version are refused" \
		"version 99.*version 3.*detach --purge" L attach -p "$dir" xb2
	has_no_xdp xb2 && [ "$(ls "$dir")" = xdpflow_layout ] &&
		xf_pass "layout: nothing attached, nothing re-created" ||
		xf_fail "layout: nothing attached, nothing re-created" "$(ls "$dir" | tr '\n' ' ')"
	L detach --purge -p "$dir" >/dev/null 2>&1 && [ ! -e "$dir" ] &&
		L attach -p "$dir" xb2 >/dev/null 2>&1 && runs_xdpflow xb2 &&
		xf_pass "layout: detach --purge then attach is the way out" ||
		xf_fail "layout: detach --purge then attach is the way out"
	L detach --purge -p "$dir" >/dev/null 2>&1
}

test_group_access() {
	local dir
	xf_pin_dir dir group
	L attach --group daemon -p "$dir" xb2 >"$T/out" 2>&1
	[ "$(pins_mode "$dir")" = "640 daemon" ] && [ "$(stat -c '%a %G' "$dir")" = "750 daemon" ] &&
		xf_pass "group: --group gives pins 0640 and folder 0750 of that group" ||
		xf_fail "group: --group gives pins 0640 and folder 0750 of that group" "$(pins_mode "$dir"); $(cat "$T/out")"
	L detach --purge -p "$dir" >/dev/null 2>&1
	L attach --group no-such-group-$$ -p "$dir" xb2 >/dev/null 2>"$T/err"
	[ $? -eq 2 ] && grep -q "no group" "$T/err" && xf_pass "group: unknown group exits 2" ||
		xf_fail "group: unknown group exits 2" "$(cat "$T/err")"
}

test_require_multiprog() {
	local dir
	xf_pin_dir dir multiprog
	if ((MULTIPROG)); then
		L attach --require-multiprog -p "$dir" xb2 >"$T/out" 2>&1 && grep -q "in libxdp's dispatcher" "$T/out" &&
			xf_pass "multiprog: --require-multiprog attaches through the dispatcher" ||
			xf_fail "multiprog: --require-multiprog attaches through the dispatcher" "$(cat "$T/out")"
		L detach --purge -p "$dir" >/dev/null 2>&1
		return
	fi
	xf_expect_fail "multiprog: --require-multiprog refused on this kernel" "dispatcher" \
		L attach --require-multiprog -p "$dir" xb2
	has_no_xdp xb2 && [ ! -e "$dir" ] &&
		xf_pass "multiprog: refused without changing anything" ||
		xf_fail "multiprog: refused without changing anything" "$(ls "$dir" 2>&1)"
}

test_errors() {
	local dir other id
	xf_pin_dir dir errors
	xf_expect_fail "error: unknown interface" "no interface named 'nosuchif0'" L attach -p "$dir" nosuchif0
	xf_expect_fail "error: object file missing (--obj)" "cannot read the XDP object /nonexistent" \
		L attach --obj /nonexistent/xdpflow.bpf.o -p "$dir" xb2
	xf_expect_fail "error: object file missing (\$XDPFLOW_OBJ)" "XDPFLOW_OBJ" \
		env XDPFLOW_OBJ=/nonexistent.o nsenter --net="/run/netns/$NS" "$LOADER" attach -p "$dir" xb2
	xf_expect_fail "error: missing capabilities are named" "CAP_NET_ADMIN" \
		xf_in "$NS" setpriv --bounding-set=-net_admin "$LOADER" attach -p "$dir" xb2
	xf_expect_fail "error: non-root user is told which capabilities" "CAP_NET_ADMIN, CAP_BPF and CAP_SYS_ADMIN" \
		xf_in "$NS" setpriv --reuid=65534 --regid=65534 --clear-groups "$LOADER" attach -p "$dir" xb2
	has_no_xdp xb2 && [ ! -e "$dir" ] && xf_pass "error: the refused attaches changed nothing" ||
		xf_fail "error: the refused attaches changed nothing"

	# Another program attached without libxdp's dispatcher.
	cat >"$T/other.bpf.c" <<-'EOF'
		#include <linux/bpf.h>
		__attribute__((section("xdp"), used)) int other_pass(struct xdp_md *ctx) { return XDP_PASS; }
		char _license[] __attribute__((section("license"), used)) = "GPL";
	EOF
	# ip(8) attaches it directly, without libxdp's dispatcher, on any kernel.
	if clang -O2 -target bpf -I"/usr/include/$(gcc -dumpmachine)" -c "$T/other.bpf.c" -o "$T/other.bpf.o" &&
		ip -n "$NS" link set dev xb2 xdpdrv obj "$T/other.bpf.o" sec xdp; then
		id=$(attached_prog xb2)
		xf_expect_fail "error: interface has another non-dispatcher XDP program" "other_pass.*cannot share" \
			L attach -p "$dir" xb2
		[ "$(attached_prog xb2)" = "$id" ] && [ ! -e "$dir" ] &&
			xf_pass "error: the other program stays, no pins created" ||
			xf_fail "error: the other program stays, no pins created"
		L detach -p "$dir" xb2 >/dev/null 2>&1
		[ "$(attached_prog xb2)" = "$id" ] && xf_pass "detach: never removes another program" ||
			xf_fail "detach: never removes another program"
		ip -n "$NS" link set dev xb2 xdpdrv off
	else
		xf_skip "error: interface has another non-dispatcher XDP program" "cannot build or load a test program"
	fi

	# No bpffs and no way to mount it: a private mount namespace without /sys/fs/bpf.
	other="while mountpoint -q /sys/fs/bpf; do umount -l /sys/fs/bpf; done;
		mount -t tmpfs -o ro,size=4k none /sys/fs"
	xf_expect_fail "error: no bpffs and cannot mount it" "no bpf filesystem.*mount" \
		unshare -m -p -f --mount-proc --propagation private sh -c "$other; exec nsenter --net=/run/netns/$NS $LOADER attach -p $dir xb2"
	has_no_xdp xb2 && xf_pass "error: nothing attached without bpffs" || xf_fail "error: nothing attached without bpffs"
	# bpffs not mounted but mountable: the loader mounts it and says so in one line (PID 1
	# of the mount namespace shares it, as on a machine booted without bpffs).
	unshare -m -p -f --mount-proc --propagation private sh -c "while mountpoint -q /sys/fs/bpf; do umount -l /sys/fs/bpf; done;
		nsenter --net=/run/netns/$NS $LOADER attach -p /sys/fs/bpf/xdpflow-mnt xb2 2>&1 | grep -c 'mounted the bpf filesystem';
		nsenter --net=/run/netns/$NS $LOADER detach --purge -p /sys/fs/bpf/xdpflow-mnt" >"$T/out" 2>&1
	[ "$(head -n 1 "$T/out")" = 1 ] && has_no_xdp xb2 &&
		xf_pass "bpffs: mounted when missing, said in one line" ||
		xf_fail "bpffs: mounted when missing, said in one line" "$(tr '\n' '|' <"$T/out")"
}

test_usage() {
	local cmd ok=1
	for cmd in list attach detach status run clean; do
		"$LOADER" "$cmd" --help >"$T/out" 2>&1 && grep -q "^Examples:" "$T/out" || ok=0
	done
	((ok)) && "$LOADER" --help | grep -q "^Examples:" && xf_pass "help: --help with examples everywhere" ||
		xf_fail "help: --help with examples everywhere" "$cmd"
	"$LOADER" frobnicate >/dev/null 2>&1
	[ $? -eq 2 ] && xf_pass "usage: unknown command exits 2" || xf_fail "usage: unknown command exits 2"
	"$LOADER" attach --mode turbo xb0 >/dev/null 2>&1
	[ $? -eq 2 ] && xf_pass "usage: bad --mode exits 2" || xf_fail "usage: bad --mode exits 2"
	"$LOADER" attach >/dev/null 2>&1
	[ $? -eq 2 ] && xf_pass "usage: attach without interface exits 2" || xf_fail "usage: attach without interface exits 2"
	"$LOADER" run </dev/null >/dev/null 2>&1
	[ $? -eq 2 ] && xf_pass "usage: run without interface off a terminal exits 2" ||
		xf_fail "usage: run without interface off a terminal exits 2"
}

tmux_pane() { tmux -L "$TMUX_SOCKET" capture-pane -p -t xf 2>/dev/null; }
pane_has() { tmux_pane | grep -Eq -- "$1"; }

test_run_terminal() {
	local dir want
	xf_pin_dir dir run
	xf_on_exit "tmux -L '$TMUX_SOCKET' kill-server"
	tmux -L "$TMUX_SOCKET" new-session -d -s xf -x 200 -y 60 \
		"nsenter --net=/run/netns/$NS $LOADER run -p $dir --interval 0.3; echo \$? >$T/run.rc; sleep 600"
	if ! wait_for 10 pane_has "Interface to watch"; then
		xf_fail "run: lists the interfaces and prompts" "$(tmux_pane | tail -n 3 | tr '\n' '|')"
		return
	fi
	pane_has "^[0-9]+ +xb2 +up" && xf_pass "run: lists the interfaces and prompts" ||
		xf_fail "run: lists the interfaces and prompts" "xb2 not listed"
	tmux -L "$TMUX_SOCKET" send-keys -t xf "nosuchif0" Enter
	wait_for 5 pane_has "No interface 'nosuchif0'" && xf_pass "run: asks again after a wrong name" ||
		xf_fail "run: asks again after a wrong name"
	tmux -L "$TMUX_SOCKET" send-keys -t xf "xb2" Enter
	if wait_for 10 pane_has "^Protocols" && runs_xdpflow xb2; then
		xf_pass "run: attaches to the chosen interface and shows the tables"
	else
		xf_fail "run: attaches to the chosen interface and shows the tables" "$(tmux_pane | tail -n 3 | tr '\n' '|')"
		return
	fi
	xf_gen_frames 5 "$T/e.spec" "$T/e.json" 5
	xf_send "$NS" xa2 "$T/e.spec" >/dev/null
	want=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["total"][0])' "$T/e.json")
	wait_for 10 pane_has "^xb2 +$want " && xf_pass "run: the table shows the frames sent" ||
		xf_fail "run: the table shows the frames sent" "no 'xb2 $want' totals row: $(tmux_pane | grep '^xb2')"
	wait_for 5 pane_has "^xb2 +[-0-9.]+ +(10\.5\.|fd00:500:)" && xf_pass "run: the source table shows the senders" ||
		xf_fail "run: the source table shows the senders"
	tmux -L "$TMUX_SOCKET" send-keys -t xf C-c
	if wait_for 10 test -s "$T/run.rc" && [ "$(cat "$T/run.rc")" = 0 ] && has_no_xdp xb2; then
		xf_pass "run: Ctrl-C detaches and exits 0"
	else
		xf_fail "run: Ctrl-C detaches and exits 0" "status '$(cat "$T/run.rc" 2>/dev/null)', xdp '$(attached_prog xb2)'"
	fi
	counts_match "run: the counts stay pinned after run" "$T/e.json" "$dir" xb2
	L detach --purge -p "$dir" >/dev/null 2>&1
}

test_sigterm_and_sigkill() {
	local dir pid
	xf_pin_dir dir kill
	# nsenter execs the loader, so $! is the loader itself.
	nsenter --net="/run/netns/$NS" "$LOADER" run -p "$dir" --interval 0.2 xb2 >"$T/run.log" 2>&1 &
	pid=$!
	wait_for 10 runs_xdpflow xb2
	kill -TERM "$pid"
	wait "$pid"
	[ $? -eq 0 ] && has_no_xdp xb2 && xf_pass "run: SIGTERM detaches and exits 0" ||
		xf_fail "run: SIGTERM detaches and exits 0" "$(tail -n 2 "$T/run.log" | tr '\n' '|')"
	nsenter --net="/run/netns/$NS" "$LOADER" run -p "$dir" --interval 0.2 xb2 >"$T/run.log" 2>&1 &
	pid=$!
	wait_for 10 runs_xdpflow xb2
	kill -KILL "$pid"
	wait "$pid" 2>/dev/null
	xf_sigkilled "$pid"
	L attach -p "$dir" xb2 >"$T/out" 2>&1 && grep -q "already attached" "$T/out" &&
		xf_pass "sigkill: attach after a killed run says already attached, exits 0" ||
		xf_fail "sigkill: attach after a killed run says already attached, exits 0" "$(cat "$T/out")"
	L detach -p "$dir" xb2 >"$T/out" 2>&1 && has_no_xdp xb2 &&
		xf_pass "sigkill: detach after a killed run works" ||
		xf_fail "sigkill: detach after a killed run works" "$(cat "$T/out")"
	L clean -p "$dir" >"$T/out" 2>&1 && grep -q "complete and kept" "$T/out" &&
		xf_pass "clean: keeps a complete set of pins" || xf_fail "clean: keeps a complete set of pins" "$(cat "$T/out")"
	# An interrupted purge leaves pins without the layout pin (removed first).
	rm -f "$dir/xdpflow_layout"
	L clean -p "$dir" >"$T/out" 2>&1 && [ ! -e "$dir" ] &&
		xf_pass "clean: removes an incomplete, unused set of pins" ||
		xf_fail "clean: removes an incomplete, unused set of pins" "$(cat "$T/out")"
}

# run gives up what it no longer needs once attached (loader/caps.c). The expected sets are
# computed here from capabilities(7)'s numbers, not from the loader's code.
cap_field() { awk -v f="$1:" '$1 == f {print $2}' "/proc/$2/status"; }
test_run_drops_caps() {
	local dir pid want got f want_bnd
	xf_pin_dir dir caps
	xf_on_exit "tmux -L '$TMUX_SOCKET' kill-server"
	# CAP_NET_ADMIN 12, CAP_SYS_ADMIN 21, CAP_BPF 39, as far as this shell holds them.
	want=$(printf '%016x' $(((1 << 12 | 1 << 21 | 1 << 39) & 0x$(cap_field CapPrm $$))))
	want_bnd=$(printf '%016x' $(((1 << 12 | 1 << 21 | 1 << 39) & 0x$(cap_field CapBnd $$))))
	# The inner sh writes its pid and execs nsenter, which execs the loader: same pid.
	tmux -L "$TMUX_SOCKET" new-session -d -s xfcaps -x 200 -y 60 \
		"sh -c 'echo \$\$ >$T/caps.pid; exec nsenter --net=/run/netns/$NS $LOADER run -p $dir --interval 0.3 xb2'; echo \$? >$T/caps.rc; sleep 600"
	if ! wait_for 10 pane_has_in xfcaps "^Protocols" || ! runs_xdpflow xb2; then
		xf_fail "caps: run attaches in a terminal" "$(tmux -L "$TMUX_SOCKET" capture-pane -p -t xfcaps | tail -n 3 | tr '\n' '|')"
		return
	fi
	pid=$(cat "$T/caps.pid")
	got="eff $(cap_field CapEff "$pid") prm $(cap_field CapPrm "$pid")"
	[ "$got" = "eff $want prm $want" ] &&
		xf_pass "caps: run keeps only CAP_NET_ADMIN, CAP_SYS_ADMIN, CAP_BPF effective and permitted" ||
		xf_fail "caps: run keeps only CAP_NET_ADMIN, CAP_SYS_ADMIN, CAP_BPF effective and permitted" \
			"$got, want $want ($(capsh --decode="$(cap_field CapEff "$pid")" 2>/dev/null))"
	got=$(cap_field CapBnd "$pid")
	[ "$got" = "$want_bnd" ] && xf_pass "caps: run's bounding set holds only the kept capabilities" ||
		xf_fail "caps: run's bounding set holds only the kept capabilities" "CapBnd $got, want $want_bnd"
	got="inh $(cap_field CapInh "$pid") amb $(cap_field CapAmb "$pid")"
	[ "$got" = "inh 0000000000000000 amb 0000000000000000" ] &&
		xf_pass "caps: run's inheritable and ambient sets are empty" ||
		xf_fail "caps: run's inheritable and ambient sets are empty" "$got"
	got=$(cap_field NoNewPrivs "$pid")
	[ "$got" = 1 ] && xf_pass "caps: run sets no_new_privs" || xf_fail "caps: run sets no_new_privs" "NoNewPrivs $got"
	# Still reads the maps with what it kept: frames sent after the drop show up.
	xf_gen_frames 7 "$T/c.spec" "$T/c.json" 7
	xf_send "$NS" xa2 "$T/c.spec" >/dev/null
	want=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["total"][0])' "$T/c.json")
	wait_for 10 pane_has_in xfcaps "^xb2 +$want " && xf_pass "caps: the tables still update after the drop" ||
		xf_fail "caps: the tables still update after the drop" "no 'xb2 $want' totals row"
	tmux -L "$TMUX_SOCKET" send-keys -t xfcaps C-c
	if wait_for 10 test -s "$T/caps.rc" && [ "$(cat "$T/caps.rc")" = 0 ] && has_no_xdp xb2; then
		xf_pass "caps: Ctrl-C still detaches cleanly and exits 0 after the drop"
	else
		xf_fail "caps: Ctrl-C still detaches cleanly and exits 0 after the drop" \
			"status '$(cat "$T/caps.rc" 2>/dev/null)', xdp '$(attached_prog xb2)'"
	fi
	counts_match "caps: the counts stay pinned after the run" "$T/c.json" "$dir" xb2
	L detach --purge -p "$dir" >/dev/null 2>&1
}
pane_has_in() { tmux -L "$TMUX_SOCKET" capture-pane -p -t "$1" 2>/dev/null | grep -Eq -- "$2"; }

# Without CAP_SETPCAP the bounding set cannot shrink: run says so in one line and still
# drops the rest, then detaches as usual.
test_run_caps_no_setpcap() {
	local dir pid want got
	xf_pin_dir dir capsw
	want=$(printf '%016x' $(((1 << 12 | 1 << 21 | 1 << 39) & 0x$(cap_field CapPrm $$))))
	nsenter --net="/run/netns/$NS" setpriv --bounding-set=-setpcap \
		"$LOADER" run -p "$dir" --interval 0.2 xb2 >"$T/capsw.out" 2>"$T/capsw.err" &
	pid=$!
	wait_for 10 runs_xdpflow xb2 && wait_for 5 grep -q "^Protocols" "$T/capsw.out"
	got="eff $(cap_field CapEff "$pid") prm $(cap_field CapPrm "$pid") nnp $(cap_field NoNewPrivs "$pid")"
	kill -TERM "$pid"
	wait "$pid"
	if [ $? -eq 0 ] && has_no_xdp xb2 && [ "$got" = "eff $want prm $want nnp 1" ] &&
		[ "$(grep -c "could not shrink the capability bounding set (no CAP_SETPCAP)" "$T/capsw.err")" = 1 ]; then
		xf_pass "caps: without CAP_SETPCAP run warns once, drops the rest, detaches"
	else
		xf_fail "caps: without CAP_SETPCAP run warns once, drops the rest, detaches" \
			"$got; $(tr '\n' '|' <"$T/capsw.err")"
	fi
	L detach --purge -p "$dir" >/dev/null 2>&1
}

test_races() {
	local dir round bad=0 n rounds=10
	# In the VM tier (tests/vm, software emulation) a round takes ~4 s: 3 rounds keep the
	# tier within its 3 minutes. XDPFLOW_VM_FULL=1 runs all 10 there.
	[ "${XDPFLOW_VM:-}" = 1 ] && [ -z "${XDPFLOW_VM_FULL:-}" ] && rounds=3
	xf_pin_dir dir race
	for ((round = 1; round <= rounds; round++)); do
		L attach -p "$dir" xb0 >/dev/null 2>&1 &
		L attach -p "$dir" xb1 >/dev/null 2>&1 &
		L attach -p "$dir" xb1 >/dev/null 2>&1 &
		wait
		n=$(L status -p "$dir" 2>/dev/null | grep -c "program id")
		[ "$n" = 2 ] && runs_xdpflow xb0 && runs_xdpflow xb1 || bad=$((bad + 1))
		L detach -p "$dir" xb0 >/dev/null 2>&1 &
		L detach -p "$dir" xb1 >/dev/null 2>&1 &
		wait
		has_no_xdp xb0 && has_no_xdp xb1 || bad=$((bad + 1))
	done
	((bad == 0)) && xf_pass "race: parallel attach/detach, $rounds rounds, consistent end states" ||
		xf_fail "race: parallel attach/detach, $rounds rounds, consistent end states" "$bad bad states"
	L detach --purge -p "$dir" >/dev/null 2>&1
}

test_gone_interface() {
	local dir idx
	xf_pin_dir dir gone
	L attach -p "$dir" xb3 >/dev/null 2>&1
	idx=$(xf_ifindex "$NS" xb3)
	xf_send "$NS" xa3 "$T/a.spec" >/dev/null
	ip -n "$NS" link del xa3
	L status -p "$dir" >"$T/out" 2>&1 && grep -Eq "^#$idx +[1-9][0-9]* " "$T/out" &&
		xf_pass "gone: status shows the counts of the deleted interface (as #IFINDEX)" ||
		xf_fail "gone: status shows the counts of the deleted interface (as #IFINDEX)" "$(tr '\n' '|' <"$T/out")"
	xf_expect_fail "gone: detach of a deleted interface exits 1, pointing to clean" \
		"no interface named 'xb3' here .*'clean IFINDEX'" L detach -p "$dir" xb3
	# With a dispatcher libxdp keeps it pinned after the interface went: clean drops it.
	L clean -p "$dir" "$idx" >"$T/out" 2>&1 &&
		L detach --purge -p "$dir" >>"$T/out" 2>&1 && [ ! -e "$dir" ] &&
		xf_pass "gone: clean IFINDEX, then detach --purge removes the pins" ||
		xf_fail "gone: clean IFINDEX, then detach --purge removes the pins" "$(tr '\n' '|' <"$T/out")"
}

test_full_table() {
	local dir
	xf_pin_dir dir full
	L attach --max-flows 8 -p "$dir" xb2 >/dev/null 2>&1 || { xf_fail "full: attach --max-flows 8"; return; }
	python3 - "$T/many.spec" "$T/many.json" <<-'PY'
		import json, struct, sys
		spec, total = [], [0, 0]
		# More flows than the per-CPU caches hold (2,048 entries a CPU), so frames
		# reach the table of 8 and it refuses some.
		for i in range(6000):
		    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 28, 0, 0, 64, 17, 0,
		                     bytes((10, 9, i >> 8, i & 255)), bytes((10, 200, 0, 1)))
		    frame = bytes.fromhex("020000000002020000000001") + b"\x08\x00" + ip + struct.pack("!HHHH", 1000 + i, 53, 8, 0)
		    spec.append("2 " + frame.hex())
		    total = [total[0] + 2, total[1] + 2 * len(frame)]
		open(sys.argv[1], "w").write("\n".join(spec + spec) + "\n")
		json.dump({"total": [2 * total[0], 2 * total[1]]}, open(sys.argv[2], "w"))
	PY
	xf_send "$NS" xa2 "$T/many.spec" >/dev/null
	xf_map_counts "$dir" >"$T/actual.json"
	python3 - "$T/many.json" "$T/actual.json" "$(xf_ifindex "$NS" xb2)" <<-'PY' && xf_pass "full: totals stay exact with a full flow table" || xf_fail "full: totals stay exact with a full flow table"
		import json, sys
		exp, act = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))[sys.argv[3]]
		sys.exit(exp["total"] != act["total"] or act["proto"] != {"4/17": exp["total"]})
	PY
	L status -p "$dir" >"$T/status" 2>&1
	# The fill counts the flows the caches hold too: more than the 8 entries.
	grep -Eq "^flow table: *([89]|[1-9][0-9]+) of 8 entries needed" "$T/status" &&
		grep -Eq "^not recorded: *[1-9][0-9]* packets" "$T/status" &&
		xf_pass "full: status shows the full table and the packets not recorded" ||
		xf_fail "full: status shows the full table and the packets not recorded" "$(grep -E '^(flow|not)' "$T/status" | tr '\n' '|')"
	xf_expect_fail "full: another --max-flows on existing pins is refused" "holds 8 flows, not 16" \
		L attach --max-flows 16 -p "$dir" xb2
	L detach --purge -p "$dir" >/dev/null 2>&1
}

test_usage
test_attach_and_count
test_detach_keeps_counts
test_two_interfaces
test_status
test_purge_refused_while_used
test_xdp_loader_path
test_layout_mismatch
test_group_access
test_require_multiprog
test_errors
test_run_terminal
test_sigterm_and_sigkill
test_run_drops_caps
test_run_caps_no_setpcap
test_races
test_gone_interface
test_full_table
test_coexist
# The trap would remove leftovers anyway; the loader itself must not leave any.
left=$(ls -d /sys/fs/bpf/xdpflow-test-$$-* 2>/dev/null | tr '\n' ' ')
[ -z "$left" ] && xf_pass "cleanup: every purge removed its pin folder" ||
	xf_fail "cleanup: every purge removed its pin folder" "left: $left"
xf_summary
