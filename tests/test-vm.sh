#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# VM tier: the guest scripts and the loader and reader suites under Debian's stock kernel, where libxdp's dispatcher works.
#
# One boot (tests/vm/run-vm.sh tests/vm/guest-tier.sh); the guest's PASS/FAIL/SKIP lines
# read "vm: SUITE: ...". SKIP only where qemu cannot run at all (exit 77 of the runner).
set -uo pipefail
cd "$(dirname "$0")/.."
out=$(tests/vm/run-vm.sh --timeout 420 tests/vm/guest-tier.sh 2>&1)
r=$?
printf '%s\n' "$out"
if ((r == 77)); then
	grep -q '^SKIP: ' <<<"$out" || echo "SKIP: vm tier: qemu cannot run here"
	exit 0
elif ((r != 0)) && ! grep -q '^FAIL: ' <<<"$out"; then
	echo "FAIL: vm tier: the guest exited $r"
fi
exit $((r != 0))
