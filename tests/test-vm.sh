#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# VM tier: the dispatcher, loader, reader and fault suites under Debian's stock kernels, and the tier run from fresh clones.
#
# Boots, one after the other (tests/vm/run-vm.sh; docs/TESTING.md, "The VM tier"):
#   1. the matrix's first kernel (6.1, the one linux-image-amd64 names): guest-tier.sh full
#   2. each other kernel of the matrix (6.12, 6.12-rt): guest-tier.sh matrix (smoke,
#      dispatcher chain with exact counts from both vCPUs, coexistence with xdp-filter)
#   3. the smoke job from a fresh git clone of this commit under /root and under /tmp,
#      sharing this tree's cached kernels
# XDPFLOW_VM_MATRIX="6.1 6.12 6.12-rt" (the default) names the kernels; the first gets the
# full tier. Guest lines read "vm KERNEL: SUITE: ...". A SKIP only where qemu or a kernel
# cannot be had at all (run-vm.sh's exit 77); tests/run-all.sh fails such a skip.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
read -r -a matrix <<<"${XDPFLOW_VM_MATRIX:-6.1 6.12 6.12-rt}"
failed=0

# boot LABEL TIMEOUT RUN-VM-ARGS...: one guest run, its output printed; counts a FAIL or SKIP.
boot() {
	local label=$1 timeout=$2 out r start=$EPOCHREALTIME
	shift 2
	out=$("${RUN_VM:-tests/vm/run-vm.sh}" --timeout "$timeout" "$@" 2>&1)
	r=$?
	printf '%s\n' "$out"
	echo "vm: $label: $(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN {printf "%.0f", b - a}') s on the host"
	if ((r == 77)); then
		grep -q '^SKIP: ' <<<"$out" || echo "SKIP: vm tier: $label: qemu cannot run here"
	elif ((r != 0)); then
		grep -q '^FAIL: ' <<<"$out" || echo "FAIL: vm tier: $label: tests/vm/run-vm.sh exited $r"
		failed=1
	fi
	return "$r"
}

first=1
for k in "${matrix[@]}"; do
	if ((first)); then
		boot "$k full tier" 1800 --kernel "$k" tests/vm/guest-tier.sh full
		first=0
	else
		boot "$k matrix" 900 --kernel "$k" tests/vm/guest-tier.sh matrix
	fi
done

# clone_smoke BASE: the smoke job from a fresh clone of this commit in a new folder of BASE.
clone_smoke() {
	local base=$1 name="clone: the VM tier runs from a fresh clone under $1" dir sha
	if ! sha=$(git rev-parse --verify -q HEAD); then
		echo "FAIL: $name: $root is not a git checkout to clone"
		failed=1
		return
	fi
	if ! dir=$(mktemp -d "$base/xdpflow-clone.XXXXXX"); then
		echo "FAIL: $name: cannot create a folder in $base"
		failed=1
		return
	fi
	if ! git clone -q --no-checkout "$root" "$dir/xdpflow" || ! git -C "$dir/xdpflow" checkout -q --detach "$sha"; then
		echo "FAIL: $name: git clone of $sha failed"
		failed=1
	elif XDPFLOW_VM_CACHE=$root/build/vm RUN_VM="$dir/xdpflow/tests/vm/run-vm.sh" \
		boot "clone under $base" 300 --kernel "${matrix[0]}" "$dir/xdpflow/tests/vm/guest-smoke.sh"; then
		# The guest wrote its log and status into the clone's build/vm, where the host read them.
		if [ "$(cat "$dir/xdpflow/build/vm/guest-smoke.rc" 2>/dev/null)" = 0 ] &&
			grep -q '^guest-smoke: all checks passed' "$dir/xdpflow/build/vm/guest-smoke.log"; then
			echo "PASS: $name (commit ${sha:0:12})"
		else
			echo "FAIL: $name: no result in $dir/xdpflow/build/vm/guest-smoke.{rc,log}"
			failed=1
		fi
	fi
	rm -rf "$dir"
}
((failed == 0)) && git status --porcelain -- tests/vm | grep -q . &&
	echo "vm: note: the clones test the committed tests/vm, not the changes in this work tree"
clone_smoke /root
clone_smoke /tmp
exit $failed
