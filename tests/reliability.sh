#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Regenerate docs/RELIABILITY.md: every hardening scenario, the test that covers it and the figure its last run showed.
#
# Usage: tests/reliability.sh [--rerun] [--check]
#   Reads the suites' logs in build/test-logs/ (written by 'make test', tests/run-all.sh) and
#   runs, the same way, only the suites whose log is missing or was written for other inputs
#   (its NAME.inputs differs from tests/inputs-hash.sh: pin/ xdp/ loader/ reader/ tests/
#   changed since); --rerun runs every suite of the table first. Then rewrites
#   docs/RELIABILITY.md, stamped with the commit and the hash of those inputs, which
#   tests/test-docs.sh compares with the tree. Right after a 'make test' of the same tree
#   every log is reused: it takes seconds. --check only compares: exit 1 if the
#   document would change. Exit status 1 also when a scenario's test failed.
#
# The table below names, for each scenario, a suite (its log name, as tests/run-all.sh
# writes it) and an extended regex picking that suite's check lines (the name after
# "PASS: ", "FAIL: " or "SKIP: "). A check reports its figure by ending its PASS line in
# "(figure: TEXT)"; C unit tests get that with tl_end(&c, "figure: ...") or
# tl_pass(name, "figure: ..."). For checks that do not (yet), a fifth field may give an
# extended regex whose groups, found in the PASS line, make the figure.
set -uo pipefail

cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
LOGDIR=$BUILD/test-logs
DOC=docs/RELIABILITY.md
RERUN=0 CHECK=0
for a in "$@"; do
	case $a in
	--rerun) RERUN=1 ;;
	--check) CHECK=1 ;;
	-h | --help) awk 'NR >= 3 && !/^#/ { exit } NR >= 3' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "reliability.sh: unknown option '$a' (see --help)" >&2; exit 2 ;;
	esac
done

# SECTION | SCENARIO (issue 7) | SUITE | CHECKS (regex) | FIGURE (regex, optional); fields are
# separated by ' | ' (a regex may use '|' without spaces)
SCENARIOS=$(cat <<'EOF'
Hostile input | At least 1,000,000 random and mutated frames (random bytes, mutated fields and lengths, every truncation, deep VLAN and IPv6 extension chains) through BPF_PROG_TEST_RUN, after 250,000 from each of three fixed seeds: no error, always XDP_PASS, one class per frame, sums equal totals (quick size in make test, longer with make fuzz) | unit-test_xdp_fuzz | ^fuzz_ | ([0-9]+ frames) fuzzed
Hostile input | The tcpdump corpus through the program: the same properties | unit-test_xdp_fuzz | ^corpus_ | ^corpus_test_run_no_error \(([0-9]+ frames)
Hostile input | The tcpdump corpus replayed through a veth into xdpflow: every class, protocol and flow (key, packets, bytes, ip_bytes, TCP flags) equal to tshark's dissection, definitional differences listed with their reasons | test-dissector | ^dissector:
Hostile input | libFuzzer targets for every user-space parser of outside input (options, map records, IPFIX encoder checked by decoding) | test-fuzz | . | ^(fuzz_[a-z_]+) \(([0-9]+ execs)
Hostile input | Loader and reader built with ASan and UBSan: the integration suites run against them with no report | asan-test-loader | .
Hostile input | (the same, for the reader) | asan-test-reader | .
Hostile input | (the same, the fault suite against the sanitizer builds) | asan-test-faults | .
Hostile input | (the same, the privilege suite against the sanitizer builds) | asan-test-privileges | .
Hostile input | valgrind memcheck on the reader's JSON dump and drain: no leak, no error | test-valgrind | . | ^valgrind_json_dump \(([0-9]+ flows, [0-9]+ frames)
Faults | bpffs not mounted (private mount namespace): the loader mounts it and says so in one line, the reader explains, nothing leaks to the host | test-faults | ^bpffs missing:
Faults | Pin folder (or its parent) missing: every tool says so, nothing created but by attach | test-faults | ^pins: folder
Faults | A pin that is not a map (a pinned program, a directory, a dangling symlink): attach, status and reader refuse with one line, detach and clean change nothing | test-faults | ^pins: (a pinned program|a directory|a dangling symlink|a program at the layout)
Faults | A map of the wrong type or shape at the right name (type, value size, empty or wrong table in an outer map): refused, nothing changed | test-faults | ^pins: (a map of the wrong|an outer map)
Faults | An old or other layout version: refused, nothing changed; detach --purge is the way out | test-faults | ^pins: (another layout version|detach --purge)
Faults | Part of a set of pins: holding counts (a killed purge, a pin removed by hand) refused and kept, never dropped behind the operator's back; without counts (a first attach killed while pinning) removed by attach, which says so | test-faults | ^pins: (one pin missing|a half set)
Faults | After every pin fault: the same maps, every frame counted, nothing reset | test-faults | ^pins: (after every fault|restored)
Faults | The interface disappears while attached: pins readable, status reports it gone, detach by stale name or ifindex refused pointing to clean, clean and purge tidy up | test-faults | ^gone:
Faults | The loader killed with SIGKILL at random points of attach, detach, a first attach and a purge: status tells the truth (xdp-loader status, bpftool), attach and detach work, no orphaned programs, pins or dispatchers, counts kept | test-faults | ^kill:
Faults | Two loaders racing attach/detach on the same and on different interfaces: status equals the kernel after every round, counts never reset | test-faults | ^race:
Faults | Flow table full: totals and protocols exact, the packets and bytes not recorded counted and shown by reader (JSON, table) and status | test-faults | ^full:
Faults | Readers (and --drain) concurrent with attach/detach and traffic: no crash, every JSON output parses, no torn record | test-faults | ^concurrent:
Faults | The deleted-interface, race and kill tests again under Debian's stock kernel (qemu), where libxdp's dispatcher and its pins are real (a smaller size: emulation is slow) | test-vm | ^vm [^:]*: guest-faults[-a-z]*: (gone|race|kill)
Drains | The reader SIGKILLed at every step of 50 drains (after the table creation, the record, each swap, during the output write, after it, during IPFIX sending) and at random moments, with traffic flowing: the reports, once per drain ID (JSON) and once per sequence number (IPFIX), sum to what was sent, exactly, in every view; a report delivered again has the same ID and counts | test-drains | ^kill:
Drains | --output on a full filesystem (a tiny tmpfs), then given room: the failed drains keep their reports pending, the next drains deliver them, once; the sum is exact | test-drains | ^full fs:
Drains | The collector down for some drains and back later: drains refused while it is down, nothing reset; afterwards every flow record arrives once | test-drains | ^collector down:
Drains | IPFIX sequence numbers continue across runs (kept in --state-dir): nfcapd counts no sequence failure over 11 runs of two observation domains; the control without the state does; nfacctd (pmacct), fed the same datagrams, has every flow right | test-drains | ^sequence:
Drains | Soak, short (make test): 60 s of traffic at the sender's full rate through a veth, a drain every 5 s to JSON and IPFIX (nfcapd), attach/detach on a second interface every 15 s: the sender's, the veth's and every view's counts reconcile exactly, nfcapd sees one exporter, the readers' memory flat and nfcapd's within what it stores, no pin left | test-soak | ^soak:
Drains | Soak, long (make soak): the same for 30 minutes, a drain every 10 s, attach/detach every minute | soak | ^soak:
Privileges | Pins 0600 (folder 0700) by default | test-privileges | ^modes:
Privileges | --group: pins 0640 (folder 0750) of that group; a member with CAP_BPF and CAP_SYS_ADMIN reads; others get a clear permission error; a folder above that keeps the group out is warned about | test-privileges | ^group:
Privileges | The reader opens maps read-only: a write through its descriptors fails (running reader, and pin/'s and the reader's read path) | test-privileges | ^read-only:
Privileges | (the same, unit test of pin_open, pin_open_current and snapshot_tables_open_current; pin_holds_counts) | unit-test_pin_safety | .
Privileges | run keeps no capability beyond what detaching needs | test-loader | ^caps:
Privileges | The tools never execute other programs | test-privileges | ^no exec:
Privileges | Non-root (and root without capabilities): one-line errors from both tools naming the capabilities needed, nothing changed | test-privileges | ^no privileges
EOF
)

# The command of a suite, by the log name tests/run-all.sh gives it; empty if unknown.
suite_cmd() {
	case $1 in
	unit-*) [ -x "$BUILD/tests/${1#unit-}" ] && echo "$BUILD/tests/${1#unit-}" ;;
	asan-test-*)
		# An integration suite against the sanitizer builds of both tools.
		[ -x "tests/${1#asan-}.sh" ] && [ -x "$BUILD/asan/xdpflow-loader" ] && [ -x "$BUILD/asan/xdpflow-reader" ] &&
			echo "env ASAN_OPTIONS=detect_leaks=1 LOADER=$BUILD/asan/xdpflow-loader READER=$BUILD/asan/xdpflow-reader tests/${1#asan-}.sh" ;;
	asan-*) [ -x "$BUILD/asan/tests/${1#asan-}" ] && echo "env ASAN_OPTIONS=detect_leaks=1 $BUILD/asan/tests/${1#asan-}" ;;
	test-*) [ -x "tests/$1.sh" ] && echo "tests/$1.sh" ;;
	vm-*) [ -x "tests/vm/${1#vm-}.sh" ] && echo "tests/vm/run-vm.sh --timeout 900 tests/vm/${1#vm-}.sh" ;;
	esac
}

mkdir -p "$LOGDIR"
INPUTS_HASH=$(tests/inputs-hash.sh)
DIRTY=$(tests/inputs-hash.sh --dirty)
if ((!CHECK)); then
	for suite in $(echo "$SCENARIOS" | awk -F' [|] ' '{ print $3 }' | sort -u); do
		[ -s "$LOGDIR/$suite.log" ] && ((!RERUN)) &&
			[ "$(cat "$LOGDIR/$suite.inputs" 2>/dev/null)" = "$INPUTS_HASH" ] && continue
		cmd=$(suite_cmd "$suite")
		[ -n "$cmd" ] || continue
		echo "=== $suite: $cmd"
		$cmd >"$LOGDIR/$suite.log" 2>&1
		echo "$INPUTS_HASH" >"$LOGDIR/$suite.inputs"
		echo "    $(tail -n 1 "$LOGDIR/$suite.log")"
	done
fi

XF_SCENARIOS=$SCENARIOS python3 - "$LOGDIR" "$DOC" "$CHECK" "$(uname -r)" \
	"$(git rev-parse --short HEAD 2>/dev/null || echo '?')" \
	"${DIRTY:+ with uncommitted changes to them}" "$INPUTS_HASH" <<'PY'
import datetime, os, re, sys

logdir, doc, check, kernel, commit, dirty, inputs = sys.argv[1:8]
rows = [l.split(" | ") for l in os.environ["XF_SCENARIOS"].splitlines() if l.strip()]
line_re = re.compile(r"^(PASS|FAIL|SKIP): (.*)$")

def checks(suite):
    path = os.path.join(logdir, suite + ".log")
    if not os.path.exists(path):
        return None, None
    out = []
    for line in open(path, errors="replace"):
        m = line_re.match(line.rstrip("\n"))
        if m:
            out.append((m.group(1), m.group(2)))
    return out, os.path.getmtime(path)

def figure_of(text, fallback):
    m = re.search(r"\(figure: (.*)\)\s*$", text)
    if m:
        return m.group(1)
    if fallback:
        m = re.search(fallback, text)
        if m:
            return " ".join(g for g in m.groups() if g)
    return ""

def md(s):
    return s.replace("|", "\\|")

sections, failed, dates = {}, 0, []
for row in rows:
    section, scenario, suite, pattern = row[:4]
    fallback = row[4] if len(row) > 4 else ""
    lines, mtime = checks(suite)
    if mtime:
        dates.append(mtime)
    if lines is None:
        result, figures, names = "not run (no build/test-logs/%s.log)" % suite, [], []
    else:
        mine = [(k, t) for k, t in lines if re.search(pattern, t)]
        names = [t for _, t in mine]
        figures = [figure_of(t, fallback) for k, t in mine if k == "PASS"]
        figures = [f for f in figures if f]
        kinds = [k for k, _ in mine]
        if not mine:
            result = "no check found in %s.log" % suite
        elif "FAIL" in kinds:
            result = "**FAIL** (%d of %d)" % (kinds.count("FAIL"), len(kinds))
            failed += 1
        elif "PASS" not in kinds:
            result = "SKIP: " + mine[0][1].split(": ", 1)[-1]
        else:
            result = "PASS (%d check%s%s)" % (kinds.count("PASS"), "" if kinds.count("PASS") == 1 else "s",
                                              ", %d skipped" % kinds.count("SKIP") if "SKIP" in kinds else "")
    where = "%s: `%s`" % (suite, pattern)
    sections.setdefault(section, []).append("| %s | %s | %s | %s |" % (
        md(scenario), md(where), md(result), md("; ".join(figures)) or "-"))

when = datetime.datetime.fromtimestamp(max(dates), datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC") if dates else "never"
text = ["# Reliability: hostile input, faults, races and privileges", "",
        "Every scenario of the hardening issue (7), the test that covers it, and what its last run",
        "showed. **Generated** by `make reliability` (tests/reliability.sh) from the suites' logs in",
        "build/test-logs/ (`make test` writes them; missing ones are run); do not edit by hand.",
        "", "Logs from %s, kernel %s, commit %s%s." % (when, kernel, commit, dirty), "",
        "Inputs: %s (tests/inputs-hash.sh: pin/ xdp/ loader/ reader/ tests/ of commit %s%s)." % (
            inputs, commit, dirty), "",
        "A test names its figure by ending a PASS line in `(figure: TEXT)`; the Test column gives",
        "the suite (its log name) and the pattern picking its checks.", ""]
for section, lines in sections.items():
    text += ["## " + section, "", "| Scenario | Test | Result | Figure |", "| --- | --- | --- | --- |"]
    text += lines + [""]
new = "\n".join(text)
old = open(doc).read() if os.path.exists(doc) else ""
strip = lambda s: re.sub(r"^(Logs from|Inputs:) .*$", "", s, flags=re.M)
if check == "1":
    if strip(old) != strip(new):
        print("reliability: %s is out of date: run make reliability" % doc)
        sys.exit(1)
    sys.exit(0)
open(doc, "w").write(new)
print("reliability: wrote %s (%d scenarios, %d failing)" % (doc, len(rows), failed))
sys.exit(1 if failed else 0)
PY
