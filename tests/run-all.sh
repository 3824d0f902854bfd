#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Run every xdpflow test suite (unit, sanitizer, integration, VM) and print one closing tally.
set -uo pipefail

cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
LOGDIR=$BUILD/test-logs
mkdir -p "$LOGDIR"
passed=0 failed=0 skipped=0
failed_suites=()

# Runs one suite, echoes its output, and adds its PASS/FAIL/SKIP lines to the tally.
# A suite that exits non-zero without a FAIL line still counts as one failure.
run_suite() {
	local name=$1 log=$LOGDIR/$1.log rc p f s
	shift
	echo "=== $name"
	"$@" >"$log" 2>&1
	rc=$?
	cat "$log"
	p=$(grep -c '^PASS: ' "$log")
	f=$(grep -c '^FAIL: ' "$log")
	s=$(grep -c '^SKIP: ' "$log")
	if ((rc != 0 && f == 0)); then
		echo "FAIL: $name: exited with status $rc"
		f=1
	fi
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
	((f)) && failed_suites+=("$name")
	return 0
}

for t in "$BUILD"/tests/*; do
	[ -x "$t" ] && run_suite "unit-$(basename "$t")" "$t"
done
for t in "$BUILD"/asan/tests/*; do
	[ -x "$t" ] && run_suite "asan-$(basename "$t")" env ASAN_OPTIONS=detect_leaks=1 "$t"
done
for t in tests/test-*.sh; do
	[ -x "$t" ] && run_suite "$(basename "$t" .sh)" "$t"
done

echo
((${#failed_suites[@]})) && echo "failed suites: ${failed_suites[*]}"
echo "$passed passed, $failed failed, $skipped skipped"
((failed == 0))
