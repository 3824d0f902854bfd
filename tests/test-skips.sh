#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# tests/run-all.sh's skip rules: a skip fails the run unless tests/allowed-skips lists it for that suite; the list is printed at the end.
#
# Runs tests/run-all.sh on small fake suites, with a fake allow-list and a log folder of its
# own; then checks that every entry of the committed list is a skip some suite can print.
set -u
. "$(dirname "$0")/lib.sh"
T=$XF_TMP
RUN_ALL=$XF_ROOT/tests/run-all.sh

# suite NAME LINES...: a fake suite script that prints LINES and exits 0.
suite() {
	local f=$T/$1.sh
	shift
	{
		echo '#!/bin/sh'
		printf "echo '%s'\n" "$@"
	} >"$f"
	chmod +x "$f"
}

# expect NAME STATUS TALLY LIST SUITES...: tests/run-all.sh on SUITES with allow-list LIST
# exits STATUS and its last line is TALLY; its output stays in $T/out.
expect() {
	local name=$1 status=$2 tally=$3 list=$4 rc
	shift 4
	rm -rf "$T/build"
	BUILD=$T/build XDPFLOW_ALLOWED_SKIPS=$list "$RUN_ALL" "$@" >"$T/out" 2>&1
	rc=$?
	if [ "$rc" = "$status" ] && [ "$(tail -n 1 "$T/out")" = "$tally" ]; then
		xf_pass "$name"
	else
		xf_fail "$name" "exit $rc (expected $status), last line '$(tail -n 1 "$T/out")' (expected '$tally')"
	fi
}

cat >"$T/list" <<'EOF'
# A comment, a blank line, then one entry.

fake-a fake-e | inherent: the kernel refuses | the host kernel cannot; the VM runs it
EOF
suite fake-a 'PASS: one' 'SKIP: inherent: the kernel refuses this here'
suite fake-b 'PASS: two' 'SKIP: inherent: the kernel refuses this here'
suite fake-c 'PASS: three' 'SKIP: inherent: a tool is missing'
suite fake-d 'PASS: four' 'SKIP: suite: needs qemu-system-x86_64'

expect "listed: a skip on the list passes the run and is tallied as a skip" \
	0 "1 passed, 0 failed, 1 skipped" "$T/list" "$T/fake-a.sh"
grep -A1 -xF "  1x SKIP: inherent: the kernel refuses... (fake-a, fake-e)" "$T/out" |
	grep -qxF "      allowed: the host kernel cannot; the VM runs it" &&
	xf_pass "listed: the end of the run prints every allowed skip with its reason and how often it came" ||
	xf_fail "listed: the end of the run prints every allowed skip with its reason and how often it came" \
		"$(tail -n 4 "$T/out" | tr '\n' '|')"

expect "unlisted: a skip not on the list fails the run" \
	1 "1 passed, 1 failed, 0 skipped" "$T/list" "$T/fake-d.sh"
grep -qxF "FAIL: fake-d: skipped, and not in $T/list: SKIP: suite: needs qemu-system-x86_64" "$T/out" &&
	xf_pass "unlisted: a FAIL line names the suite, the list and the skip" ||
	xf_fail "unlisted: a FAIL line names the suite, the list and the skip" "$(grep '^FAIL' "$T/out" | tr '\n' '|')"

expect "other suite: a listed skip from a suite the entry does not name fails" \
	1 "1 passed, 1 failed, 0 skipped" "$T/list" "$T/fake-b.sh"
expect "other reason: the listed check skipped for another reason fails" \
	1 "1 passed, 1 failed, 0 skipped" "$T/list" "$T/fake-c.sh"
expect "tally: allowed and refused skips of several suites add up" \
	1 "4 passed, 3 failed, 1 skipped" "$T/list" "$T/fake-a.sh" "$T/fake-b.sh" "$T/fake-c.sh" "$T/fake-d.sh"

printf 'fake-a | no reason given\n' >"$T/bad"
BUILD=$T/build XDPFLOW_ALLOWED_SKIPS=$T/bad "$RUN_ALL" "$T/fake-a.sh" >"$T/out" 2>"$T/err"
rc=$?
[ "$rc" = 2 ] && [ ! -s "$T/out" ] && grep -q "not 'SUITES | SKIP | WHY': fake-a | no reason given" "$T/err" &&
	xf_pass "bad list: a line without three fields stops the run before any suite, naming the line" ||
	xf_fail "bad list: a line without three fields stops the run before any suite, naming the line" \
		"exit $rc: $(cat "$T/err" "$T/out" | tr '\n' '|')"

# The committed list: three fields a line, every suite a real one, every skip text printed
# by the suite's source (its reason's first words appear there as written).
list=$XF_ROOT/tests/allowed-skips
bad=
while IFS= read -r line; do
	case $line in '#'* | '') continue ;; esac
	IFS='|' read -r suites skip why <<<"${line// | /|}"
	[ -n "$why" ] || { bad+="no reason: $line; "; continue; }
	for s in $suites; do
		case $s in
		unit-* | asan-test_*) src=$XF_ROOT/tests/unit/${s#*-}.c ;;
		asan-test-*) src=$XF_ROOT/tests/${s#asan-}.sh ;;
		*) src=$XF_ROOT/tests/$s.sh ;;
		esac
		[ -f "$src" ] || { bad+="$s: no $src; "; continue; }
		grep -qF -- "${skip##*: }" "$src" || bad+="$s: '${skip##*: }' not in $src; "
	done
done <"$list"
[ -z "$bad" ] && xf_pass "committed list: every entry names real suites that print that skip" ||
	xf_fail "committed list: every entry names real suites that print that skip" "$bad"
xf_summary
