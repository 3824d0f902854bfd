#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Run every libFuzzer target (tests/fuzz/fuzz_*.c) for a while: any crash, sanitizer report or failed check fails it.
#
# FUZZ_SECONDS (default 7) is the time per target: 'make test' runs this
# briefly, 'make fuzz' with FUZZ_SECONDS=60 (or what it is given).  Each
# target starts from its committed seeds (tests/fuzz/corpus/<target>/, which
# also hold inputs that once found a bug) and writes what it discovers to a
# temporary folder, so the seeds stay as committed.  A failing input is kept
# in build/fuzz-artifacts/ and the FAIL line says how to replay it.
# FUZZ_TARGETS="fuzz_clock fuzz_keyhash" runs only those.
set -uo pipefail

. "$(dirname "$0")/lib.sh"
cd "$XF_ROOT" || exit 1

SECONDS_EACH=${FUZZ_SECONDS:-7}
ARTIFACTS=$XF_BUILD/fuzz-artifacts

# clang's libFuzzer runtime comes with libclang-rt-14-dev (make deps).
have_libfuzzer() {
	command -v "${CLANG:-clang}" >/dev/null || return 1
	ls "$("${CLANG:-clang}" -print-resource-dir 2>/dev/null)"/lib/linux/libclang_rt.fuzzer-*.a \
		>/dev/null 2>&1
}

if ! have_libfuzzer; then
	xf_skip fuzz "needs clang with libFuzzer (apt-get install clang libclang-rt-14-dev, or make deps)"
	xf_summary
	exit 0
fi
if ! out=$(make --no-print-directory -s BUILD="$XF_BUILD" fuzz-build 2>&1); then
	xf_fail fuzz_build "$(printf '%s\n' "$out" | grep -m1 -E 'error|Error' || printf '%s' "$out" | tail -n 1)"
	xf_summary
	exit 1
fi
mkdir -p "$ARTIFACTS"

# The first line that says what went wrong, from a libFuzzer log.
failure_reason() {
	grep -a -m1 -E 'check failed|runtime error|ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|SUMMARY:' "$1" |
		cut -c1-300
}

run_target() {
	local bin=$1 name seeds work log dict=() rc execs added start secs artifact
	name=$(basename "$bin")
	seeds=tests/fuzz/corpus/$name
	work=$XF_TMP/$name
	log=$XF_TMP/$name.log
	mkdir -p "$work"
	[ -f "tests/fuzz/${name#fuzz_}.dict" ] && dict=(-dict="tests/fuzz/${name#fuzz_}.dict")
	start=$(date +%s.%N)
	# stdout closed (-close_fd_mask=1): the loader's --help text; reports go to stderr.
	"$bin" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 -max_len=16384 \
		-print_final_stats=1 -close_fd_mask=1 -artifact_prefix="$ARTIFACTS/$name-" \
		"${dict[@]}" "$work" "$seeds" >"$log" 2>&1
	rc=$?
	secs=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	added=$(sed -n 's/^stat::new_units_added: *//p' "$log" | tail -n 1)
	if ((rc != 0)); then
		artifact=$(sed -n "s/.*Test unit written to \(.*\)/\1/p" "$log" | tail -n 1)
		xf_fail "$name" "$(failure_reason "$log")${artifact:+; input kept in $artifact, replay: $bin $artifact}"
		cp "$log" "$ARTIFACTS/$name.log" 2>/dev/null
		return
	fi
	if [ -z "$execs" ] || ((execs == 0)); then
		xf_fail "$name" "ran no input (log: $(tail -n 1 "$log"))"
		return
	fi
	xf_pass "$name ($execs execs in $secs s, $added new inputs, $(find "$seeds" -type f 2>/dev/null | wc -l) seeds)"
}

for bin in "$XF_BUILD"/fuzz/fuzz_*; do
	[ -x "$bin" ] || continue
	if [ -n "${FUZZ_TARGETS:-}" ] && [[ " $FUZZ_TARGETS " != *" $(basename "$bin") "* ]]; then
		continue
	fi
	run_target "$bin"
done
xf_summary
