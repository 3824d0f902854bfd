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

# The integration suites that run the tools again, against their sanitizer builds (both
# tools' builds/asan/ binaries through LOADER= and READER=; suite names asan-test-*).
# Any report fails the suite, also where a test only looked at an exit status: ASan and
# LSan write their reports to files (log_path) checked afterwards; UBSan, linked in with
# ASan, prints to stderr, which reaches the suite's log (checked for "runtime error:")
# unless a test captured it; and every report ends the tool with status 86, which no test
# expects (the tools are built with -fno-sanitize-recover=all).
SAN_SUITES="loader reader faults privileges"
case $LOGDIR in /*) SAN_DIR=$LOGDIR ;; *) SAN_DIR=$PWD/$LOGDIR ;; esac
case $BUILD in /*) SAN_BIN=$BUILD/asan ;; *) SAN_BIN=$PWD/$BUILD/asan ;; esac

# san_suite LOG REPORTS SCRIPT: run inside run_suite (its output goes to LOG).
san_suite() {
	local log=$1 reports=$2 script=$3 rc f
	rm -rf "$reports" && mkdir -p "$reports" && chmod 1777 "$reports" # tools run as nobody too
	env LOADER="$SAN_BIN/xdpflow-loader" READER="$SAN_BIN/xdpflow-reader" \
		ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:exitcode=86:log_path=$reports/asan" \
		UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:exitcode=86:log_path=$reports/ubsan" \
		"$script"
	rc=$?
	for f in "$reports"/*; do
		[ -e "$f" ] || continue
		echo "FAIL: sanitizer: $(grep -a -m1 -E 'ERROR: |runtime error' "$f" | cut -c1-200) (report: $f)"
		rc=1
	done
	if grep -a -E 'runtime error:|ERROR: (Address|Leak)Sanitizer' "$log" | grep -qv '^FAIL: sanitizer:'; then
		echo "FAIL: sanitizer: $(grep -a -m1 -E 'runtime error:|ERROR: (Address|Leak)Sanitizer' "$log" | cut -c1-200)"
		rc=1
	fi
	return $rc
}

for s in $SAN_SUITES; do
	t=tests/test-$s.sh
	[ -x "$t" ] || continue
	if [ ! -x "$SAN_BIN/xdpflow-loader" ] || [ ! -x "$SAN_BIN/xdpflow-reader" ]; then
		run_suite "asan-test-$s" echo "SKIP: asan-test-$s: no sanitizer build in $SAN_BIN (make asan)"
	else
		run_suite "asan-test-$s" san_suite "$SAN_DIR/asan-test-$s.log" \
			"$SAN_DIR/asan-test-$s.reports" "$t"
	fi
done

echo
((${#failed_suites[@]})) && echo "failed suites: ${failed_suites[*]}"
echo "$passed passed, $failed failed, $skipped skipped"
((failed == 0))
