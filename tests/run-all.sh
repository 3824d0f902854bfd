#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Run every xdpflow test suite (unit, sanitizer, integration, VM) and print one closing tally; a skip not on tests/allowed-skips fails.
set -uo pipefail

cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
LOGDIR=$BUILD/test-logs
ALLOWED=${XDPFLOW_ALLOWED_SKIPS:-tests/allowed-skips}
mkdir -p "$LOGDIR"
# Each log is stamped with the inputs it ran on (NAME.inputs): tests/reliability.sh reuses
# only logs of the tree it documents.
INPUTS_HASH=$(tests/inputs-hash.sh)
passed=0 failed=0 skipped=0
failed_suites=() refused_skips=()

# The skips make test accepts: SUITES | SKIP | WHY per line of $ALLOWED (see that file).
allow_suites=() allow_skip=() allow_why=() allow_seen=()
[ -r "$ALLOWED" ] || { echo "run-all.sh: cannot read the skip allow-list $ALLOWED" >&2; exit 2; }
while IFS= read -r line; do
	case $line in '#'* | '') continue ;; esac
	IFS='|' read -r a b c <<<"${line// | /|}"
	if [ -z "$a" ] || [ -z "$b" ] || [ -z "$c" ]; then
		echo "run-all.sh: $ALLOWED: not 'SUITES | SKIP | WHY': $line" >&2
		exit 2
	fi
	allow_suites+=("$a") allow_skip+=("$b") allow_why+=("$c") allow_seen+=(0)
done <"$ALLOWED"

# skip_allowed SUITE TEXT: TEXT (a SKIP line without "SKIP: ") is on the list for SUITE.
skip_allowed() {
	local i
	for i in "${!allow_skip[@]}"; do
		[[ " ${allow_suites[i]} " == *" $1 "* && $2 == "${allow_skip[i]}"* ]] || continue
		allow_seen[i]=$((allow_seen[i] + 1))
		return 0
	done
	return 1
}

# Runs one suite, echoes its output, and adds its PASS/FAIL/SKIP lines to the tally.
# A suite that exits non-zero without a FAIL line still counts as one failure, and so
# does every SKIP line not on the allow-list.
run_suite() {
	local name=$1 log=$LOGDIR/$1.log rc p f s=0 line
	shift
	echo "=== $name"
	"$@" >"$log" 2>&1
	rc=$?
	echo "$INPUTS_HASH" >"$LOGDIR/$name.inputs"
	cat "$log"
	p=$(grep -c '^PASS: ' "$log")
	f=$(grep -c '^FAIL: ' "$log")
	if ((rc != 0 && f == 0)); then
		echo "FAIL: $name: exited with status $rc"
		f=1
	fi
	while IFS= read -r line; do
		if skip_allowed "$name" "${line#SKIP: }"; then
			s=$((s + 1))
		else
			echo "FAIL: $name: skipped, and not in $ALLOWED: $line"
			refused_skips+=("$name: $line")
			f=$((f + 1))
		fi
	done < <(grep -a '^SKIP: ' "$log")
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
	((f)) && failed_suites+=("$name")
	return 0
}

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

# Every suite: unit tests, their sanitizer builds, the integration suites, and those again
# against the sanitizer builds of the tools. With arguments, only those suite scripts
# (e.g. tests/run-all.sh tests/test-vm.sh), under the same skip rules.
if (($#)); then
	for t in "$@"; do run_suite "$(basename "$t" .sh)" "$t"; done
else
	for t in "$BUILD"/tests/*; do
		[ -x "$t" ] && run_suite "unit-$(basename "$t")" "$t"
	done
	for t in "$BUILD"/asan/tests/*; do
		[ -x "$t" ] && run_suite "asan-$(basename "$t")" env ASAN_OPTIONS=detect_leaks=1 "$t"
	done
	for t in tests/test-*.sh; do
		[ -x "$t" ] && run_suite "$(basename "$t" .sh)" "$t"
	done
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
fi

echo
echo "Skips allowed by $ALLOWED (inherent to the host kernel or the build), and how often each came:"
for i in "${!allow_skip[@]}"; do
	echo "  ${allow_seen[i]}x SKIP: ${allow_skip[i]}... (${allow_suites[i]// /, })"
	echo "      allowed: ${allow_why[i]}"
done
if ((${#refused_skips[@]})); then
	echo "Skips not on that list, each counted as a failure:"
	printf '  %s\n' "${refused_skips[@]}"
fi
((${#failed_suites[@]})) && echo "failed suites: ${failed_suites[*]}"
echo "$passed passed, $failed failed, $skipped skipped"
((failed == 0))
