#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# VM tier: run the guest scripts under Debian's stock kernel, where libxdp's dispatcher works.
set -uo pipefail
cd "$(dirname "$0")/.."
rc=0
for g in tests/vm/guest-smoke.sh tests/vm/guest-dispatcher.sh; do
	tests/vm/run-vm.sh --timeout 300 "$g"
	r=$?
	if ((r == 77)); then
		echo "SKIP: vm $(basename "$g" .sh): qemu cannot run here"
	elif ((r != 0)); then
		echo "FAIL: vm $(basename "$g" .sh): guest exited $r"
		rc=1
	else
		[ "$g" = tests/vm/guest-smoke.sh ] && echo "PASS: vm guest-smoke: dispatcher chains two programs"
	fi
done
exit $rc
