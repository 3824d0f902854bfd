#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Guest script: xdpflow-loader joins libxdp's dispatcher behind another program and counts exactly what both vCPUs send at once.
#
# Run it through the runner (tests/test-vm.sh does, on every kernel of the matrix):
#   tests/vm/run-vm.sh [--kernel 6.12-rt] tests/vm/guest-dispatcher.sh
# On one veth in generic (skb) mode, build/vm/other.bpf.o (vm_other, priority 30) is loaded
# first with xdp-loader, then `xdpflow-loader attach --require-multiprog` puts xdpflow at
# priority 5 in front of it. One frame set (tests/lib.sh xf_gen_frames: IPv4/IPv6, VLANs,
# non-IP, malformed) is then sent ROUNDS times by two senders at once, pinned to vCPU 0
# and vCPU 1: generic XDP runs on the sending CPU, so both CPUs update the same flows and
# per-CPU slots together (PREEMPT_RT changes how softirqs and BPF programs are scheduled).
# The counts must be exactly twice ROUNDS times the set, and vm_other, after xdpflow in
# the chain, must have seen every frame.
set -u
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/guest-lib.sh"

if [ "${XDPFLOW_VM:-}" != 1 ]; then
	echo "guest-dispatcher.sh: meant to run inside the VM (the host kernel has no dispatcher): tests/vm/run-vm.sh $0" >&2
	exit 2
fi
xf_require_root guest-dispatcher
xf_require_cmds bpftool xdp-loader nsenter taskset python3
LOADER=${LOADER:-$XF_BUILD/xdpflow-loader}
OTHER=$XF_BUILD/vm/other.bpf.o
SEND=$XF_BUILD/tools/sendframes
ROUNDS=${XDPFLOW_DISPATCH_ROUNDS:-4}
xf_require_built "$LOADER" "$OTHER" "$SEND"
if [ "$(nproc)" -lt 2 ]; then
	xf_fail setup "the guest has $(nproc) CPU: two senders on two CPUs need -smp 2"
	exit 1
fi

NS=xdpflow-vmdi-$$
T=$XF_TMP
xf_netns "$NS" || { xf_fail setup "cannot create network namespace $NS"; exit 1; }
xf_veth "$NS" vda vdb || { xf_fail setup "cannot create the veth pair"; exit 1; }
xf_pin_dir PIN disp
xf_on_exit "xf_in '$NS' xdp-loader unload --all vdb"
xf_on_exit "xf_in '$NS' '$LOADER' detach --purge -p '$PIN'"

if ! xf_in "$NS" xdp-loader load -m skb vdb "$OTHER" >"$T/out" 2>&1; then
	xf_fail setup "xdp-loader load other.bpf.o: $(tail -n 1 "$T/out")"
	exit 1
fi
if xf_in "$NS" "$LOADER" attach --require-multiprog --mode skb -p "$PIN" vdb >"$T/out" 2>&1; then
	xf_pass "dispatcher: attach --require-multiprog succeeds behind another program"
else
	xf_fail "dispatcher: attach --require-multiprog succeeds behind another program" "$(tail -n 1 "$T/out")"
	exit 1
fi
vm_has_dispatcher "$NS" vdb && xf_pass "dispatcher: xdp-loader status shows xdp_dispatcher" ||
	xf_fail "dispatcher: xdp-loader status shows xdp_dispatcher" "$(vm_status "$NS" vdb | tr '\n' '|')"
vm_check "dispatcher: xdpflow at priority 5 before vm_other at 30" "5:xdpflow 30:vm_other" "$(vm_chain "$NS" vdb)"
vm_status "$NS" vdb | grep -Eq '^ =>[[:space:]]+5[[:space:]]+xdpflow.*XDP_PASS' &&
	xf_pass "dispatcher: xdpflow chains on XDP_PASS" ||
	xf_fail "dispatcher: xdpflow chains on XDP_PASS" "$(vm_status "$NS" vdb | tr '\n' '|')"

# The set ROUNDS times in one spec per sender; the truth is the set's counts times 2 ROUNDS.
xf_gen_frames 7 "$T/set.spec" "$T/set.json" || { xf_fail setup "cannot generate the frames"; exit 1; }
for ((i = 0; i < ROUNDS; i++)); do cat "$T/set.spec"; done >"$T/rounds.spec"
# (One python start for both: each costs ~0.5 s under tcg.)
frames=$(python3 - "$T/set.json" $((2 * ROUNDS)) "$T/expect.json" <<'PY'
import json, sys
exp, k = json.load(open(sys.argv[1])), int(sys.argv[2])
scale = lambda c: [c[0] * k, c[1] * k]
out = {n: scale(exp[n]) for n in ("non_ip", "malformed", "total")}
out["proto"] = {p: scale(c) for p, c in exp["proto"].items()}
out["flows"] = exp["flows"]
json.dump(out, open(sys.argv[3], "w"))
print(out["total"][0])
PY
) || { xf_fail setup "cannot scale the truth"; exit 1; }

# One sender per vCPU, started together; each takes seconds, so they overlap throughout.
for cpu in 0 1; do
	xf_in "$NS" taskset -c "$cpu" "$SEND" vda "$T/rounds.spec" >"$T/send$cpu" 2>&1 &
done
wait
sent=$(cat "$T/send0" "$T/send1" | awk '/^sent /{n += $2} END {print n + 0}')
if grep -q ' 0 tx_dropped)' "$T/send0" && grep -q ' 0 tx_dropped)' "$T/send1" && [ "$sent" = "$frames" ]; then
	xf_pass "dispatcher: two senders on two vCPUs wrote $frames frames, none dropped"
else
	xf_fail "dispatcher: two senders on two vCPUs wrote $frames frames, none dropped" \
		"$(tr '\n' ' ' <"$T/send0") / $(tr '\n' ' ' <"$T/send1")"
fi
vm_counts_match "dispatcher: counts exact with both vCPUs sending the same flows at once (figure: $frames frames)" \
	"$T/expect.json" "$PIN" "$NS" vdb
vm_check "dispatcher: vm_other, after xdpflow in the chain, saw every frame" "$frames" "$(vm_other_frames "$NS" vdb)"

xf_in "$NS" "$LOADER" detach --purge -p "$PIN" vdb >"$T/out" 2>&1
vm_check "dispatcher: detach --purge removes xdpflow only, and its pins" "30:vm_other absent" \
	"$(vm_chain "$NS" vdb) $([ -e "$PIN" ] && echo present || echo absent)"
xf_summary
