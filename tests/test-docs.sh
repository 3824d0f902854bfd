#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The docs agree with the tree: layout version, options, exit statuses, JSON keys, Prometheus series, xdp-loader's tag, RELIABILITY.md's inputs, PERFORMANCE.md generated.
#
# Ground truth is the tree and the tools themselves, never a literal in this script: the
# layout version from pin/xdpflow_abi.h, the options from each command's --help (printed
# from the option tables of pin/cmdline.c's users), the exit statuses, JSON keys and
# Prometheus series from running the tools (as root, on a veth pair in a network namespace
# of this run, pins in a folder of this run), the tag from xdp-loader status, and the
# inputs' hash from tests/inputs-hash.sh, PERFORMANCE.md from its committed results
# (tests/bench/perf-doc.py) and git. Each FAIL names the doc and what to change.
# LOADER=... READER=... test other builds (e.g. the ASan ones).
set -u
. "$(dirname "$0")/lib.sh"

LOADER=${LOADER:-$XF_BUILD/xdpflow-loader}
READER=${READER:-$XF_BUILD/xdpflow-reader}
MAN=$XF_ROOT/docs/man
T=$XF_TMP
cd "$XF_ROOT" || exit 1

# ---- Layout version: pin/xdpflow_abi.h against every doc that states it ----

test_layout_version() {
	local want bad
	want=$(awk '$1 == "#define" && $2 == "XDPFLOW_LAYOUT_VERSION" { print $3 }' pin/xdpflow_abi.h)
	if [ -z "$want" ]; then
		xf_fail "layout: version" "no XDPFLOW_LAYOUT_VERSION in pin/xdpflow_abi.h"
		return
	fi
	# "layout version N" anywhere, xdpflow(7)'s "has a version, N", and the max_entries of
	# the bpftool example showing the xdpflow_layout pin. PERFORMANCE-HISTORY.md is left out:
	# it records measurements of earlier layouts, as they were.
	bad=$(python3 - "$want" README.md docs/*.md docs/man/*.scd <<'PY'
import re, sys
want, bad = sys.argv[1], []
for path in sys.argv[2:]:
    if path.endswith("/PERFORMANCE-HISTORY.md"):
        continue
    lines = open(path).read().split("\n")
    for i, line in enumerate(lines):
        two = line + " " + (lines[i + 1] if i + 1 < len(lines) else "")
        found = re.findall(r"layout version,? (\d+)\b", line)
        found += re.findall(r"has a version,\s+(\d+)\b", two) if "layout" in "".join(lines[max(0, i - 1):i + 1]) else []
        if "xdpflow_layout" in line and "pinned" in line:
            found += re.findall(r"max_entries (\d+)", "\n".join(lines[i:i + 3]))
        bad += ["%s:%d says %s" % (path, i + 1, n) for n in found if n != want]
print("; ".join(sorted(set(bad))))
PY
)
	[ -z "$bad" ] && xf_pass "layout: every doc states version $want (pin/xdpflow_abi.h)" ||
		xf_fail "layout: version" "XDPFLOW_LAYOUT_VERSION is $want, but $bad (edit the .scd, then make man)"
	grep -q "has a version, $want in" docs/man/xdpflow.7.scd &&
		xf_pass "layout: xdpflow(7) says what the version is ($want)" ||
		xf_fail "layout: xdpflow(7)" "MAP LAYOUT VERSION does not say 'has a version, $want in this release'"
}

# ---- Options: each tool's --help (its option tables) against its man page ----

# help_options TOOL ARGS...: the options the help prints, "-x --name" or "--name" a line.
help_options() {
	"$@" 2>&1 | sed -n 's/^ \{1,8\}\(-[a-zA-Z]\), \(--[a-z][a-z-]*\).*/\1 \2/p; s/^ \{1,8\}\(--[a-z][a-z-]*\).*/\1/p'
}

# page_options PAGE: the options a man page defines (a definition line "*-x*, *--name* _ARG_").
page_options() {
	sed -n 's/^\t*\*\(-[a-zA-Z]\)\*, \*\(--[a-z][a-z-]*\)\*\( _[^ ]*\)\{0,1\}$/\1 \2/p
		s/^\t*\*\(--[a-z][a-z-]*\)\*\( _[^ ]*\)\{0,1\}$/\1/p' "$1"
}

test_options() {
	local cmd diff
	{
		for cmd in list attach detach status run clean; do
			help_options "$LOADER" "$cmd" --help
		done
		# The options of no command (--version, -V) are named in the tool's own help.
		"$LOADER" --help | grep -q -- "--version' (-V)" && echo "-V --version"
	} | sort -u >"$T/loader-help"
	page_options "$MAN/xdpflow-loader.8.scd" | sort -u >"$T/loader-page"
	help_options "$READER" --help | sort -u >"$T/reader-help"
	page_options "$MAN/xdpflow-reader.8.scd" | sort -u >"$T/reader-page"
	for tool in loader reader; do
		if [ ! -s "$T/$tool-help" ]; then
			xf_fail "options: xdpflow-$tool" "no options found in its --help"
		elif diff=$(diff "$T/$tool-help" "$T/$tool-page"); then
			xf_pass "options: xdpflow-$tool(8) defines exactly the $(wc -l <"$T/$tool-help") options of --help"
		else
			xf_fail "options: xdpflow-$tool(8)" "differs from --help ('<' only in --help, '>' only in the page): $(echo "$diff" | grep '^[<>]' | tr '\n' ' ')"
		fi
	done
}

# ---- Exit statuses: each page's EXIT STATUS section against what the tool returns ----

# exit_codes PAGE: "CODE CLASS" per clause of EXIT STATUS ("0 on success, 1 when ..., 2 for
# a usage error"); CLASS is success, usage or failure.
exit_codes() {
	python3 - "$1" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
m = re.search(r"^# EXIT STATUS\n(.*?)(?=^# )", text, re.S | re.M)
body = " ".join(m.group(1).split()) if m else ""
for code, what in re.findall(r"\b(\d+) ((?:on|when|for) [^,.;]*)", body):
    cls = "success" if "success" in what else "usage" if "usage" in what else "failure"
    print(code, cls)
PY
}

# check_exits TOOL PAGE: each probe "CLASS ARGS..." of $T/probes exits with a code the page
# gives for that class.
check_exits() {
	local tool=$1 page=$2 cls args rc codes bad="" n=0
	exit_codes "$page" >"$T/codes"
	for cls in success usage failure; do
		grep -q " $cls\$" "$T/codes" || bad+="no code for $cls in EXIT STATUS; "
	done
	while read -r cls args; do
		# shellcheck disable=SC2086 # the probe's arguments are words
		"$tool" $args >/dev/null 2>&1 </dev/null
		rc=$?
		n=$((n + 1))
		codes=$(awk -v c="$cls" '$2 == c { print $1 }' "$T/codes" | tr '\n' ' ')
		[[ " $codes" == *" $rc "* ]] || bad+="'$(basename "$tool") $args' exits $rc, the page says ${codes:-nothing} for $cls; "
	done <"$T/probes"
	[ -z "$bad" ] && xf_pass "exit status: $(basename "$page" .scd)'s EXIT STATUS holds for $n runs" ||
		xf_fail "exit status: $(basename "$page" .scd)" "$bad"
}

test_exit_status() {
	local missing=/sys/fs/bpf/xdpflow-test-$$-missing
	cat >"$T/probes" <<-EOF
		success --help
		success --version
		success attach --help
		usage --no-such-option
		usage no-such-command
		usage attach
		usage attach --prio
		usage run --interval 0 x
		failure attach -p $missing no-such-iface0
		failure run -p $missing no-such-iface0
		failure detach -p $missing no-such-iface0
		failure status -p $missing
	EOF
	check_exits "$LOADER" "$MAN/xdpflow-loader.8.scd"
	cat >"$T/probes" <<-EOF
		success --help
		success --version
		usage --no-such-option
		usage --format xml
		usage no-such-view
		usage --top 0
		failure -p $missing
		failure -p $missing --drain --format json
		failure -p $missing --interface no-such-iface0
	EOF
	check_exits "$READER" "$MAN/xdpflow-reader.8.scd"
}

# ---- Figures: every measured figure in the other docs is one of PERFORMANCE.md's,
# PERFORMANCE-HISTORY.md's or RELIABILITY.md's, and its paragraph links there ----

# Time and rate figures ("22 ns", "0.82 s", "1,041,459 records/s") outside code blocks in
# README.md, DESIGN.md, EXPORT.md and the man pages. Found in a linked doc means the same
# "NUMBER UNIT" there, or NUMBER as a cell of a table whose header names the unit. Not
# measurements, so not looked up (each a constant, a definition or the example of a bug):
# FILE (* for any) | FIGURE | why.
FIGURE_CONSTANTS=$(cat <<'EOF'
* | 4 ms | a tick at HZ=250, by definition (any doc)
docs/DESIGN.md | 8 ms | issue 14's example of the old clock conversion's error (a CPU with 8 ms of traffic)
docs/DESIGN.md | 120 s | the same example (a flow 120 s before the newest anchor)
docs/DESIGN.md | 20 s | the same example (20 s wrong)
docs/DESIGN.md | 1 ms | the longest sleep of a live read waiting out a held-up re-key (pin/read.c try_again())
docs/DESIGN.md | 50 ms | how long test_live_read holds a re-key up (STALL_MS)
docs/EXPORT.md | 100 ms | how long the reader waits for an ICMP port unreachable (reader/export/)
docs/EXPORT.md | 200,000 records a second | --ipfix-rate's default (reader/options.c)
EOF
)

test_figures() {
	local bad
	bad=$(FIGURE_CONSTANTS=$FIGURE_CONSTANTS python3 - README.md docs/DESIGN.md docs/EXPORT.md docs/man/*.scd <<'PY'
import os, re, sys
sources = {p: open(p).read() for p in ("docs/PERFORMANCE.md", "docs/PERFORMANCE-HISTORY.md", "docs/RELIABILITY.md")}
norm = lambda s: re.sub(r"\s+", " ", s)
constants = {tuple(l.split(" | ")[:2]) for l in os.environ["FIGURE_CONSTANTS"].splitlines() if l.strip()}
units = r"(?:ns|µs|ms|s|records/s|flows/s|packets/s|Mpps|pps|records a second)"

def in_table(doc, number, unit):
    header = None
    for line in doc.split("\n"):
        if not line.startswith("|"):
            header = None
            continue
        if header is None:
            header = line
        elif re.search(r"\|\s*%s\s*\|" % re.escape(number), line) and re.search(r"\b%s\b" % re.escape(unit.split("/")[0]), header):
            return True
    return False

bad = []
for path in sys.argv[1:]:
    text = re.sub(r"```.*?```", lambda m: "\n" * m.group(0).count("\n"), open(path).read(), flags=re.S)
    pos = 0
    for para in re.split(r"(\n\s*\n)", text):
        for m in re.finditer(r"(?<![\w.=/-])(\d[\d,.]*(?:-\d[\d,.]*)?) ?(%s)(?![\w/])" % units, para):
            fig = norm(m.group(0))
            if (path, fig) in constants or ("*", fig) in constants:
                continue
            where = "%s:%d" % (path, text[:pos + m.start()].count("\n") + 1)
            linked = [p for p in sources if os.path.basename(p) in para]
            if not linked:
                bad.append("%s: %s (its paragraph links none of PERFORMANCE.md, PERFORMANCE-HISTORY.md, RELIABILITY.md)" % (where, fig))
            elif not any(fig in norm(sources[p]) or in_table(sources[p], m.group(1), m.group(2)) for p in linked):
                bad.append("%s: %s (not in %s)" % (where, fig, " or ".join(linked)))
        pos += len(para)
print("; ".join(bad))
PY
)
	[ -z "$bad" ] && xf_pass "figures: every time and rate figure in README, DESIGN, EXPORT and the man pages is quoted from a linked PERFORMANCE.md, PERFORMANCE-HISTORY.md or RELIABILITY.md" ||
		xf_fail "figures" "quote the figure from docs/PERFORMANCE.md (generated: after make performance, quote the new figure), docs/PERFORMANCE-HISTORY.md or docs/RELIABILITY.md and link it, or drop it: $bad"
}

# ---- RELIABILITY.md: generated from this tree's inputs ----

test_reliability_stamp() {
	local want got
	want=$(tests/inputs-hash.sh)
	got=$(sed -n 's/^Inputs: \([0-9a-f]\{64\}\) .*/\1/p' docs/RELIABILITY.md)
	if [ -z "$got" ]; then
		xf_fail "reliability: stamp" "docs/RELIABILITY.md names no 'Inputs: HASH': regenerate it: make test, then make reliability (docs/TESTING.md)"
	elif grep -q '^Inputs: .*uncommitted' docs/RELIABILITY.md; then
		xf_fail "reliability: stamp" "docs/RELIABILITY.md was generated from uncommitted inputs: commit, make test, then make reliability"
	elif [ "$got" != "$want" ]; then
		xf_fail "reliability: stamp" "docs/RELIABILITY.md was generated from other inputs ($(grep -o 'of commit [0-9a-f]*' docs/RELIABILITY.md)): pin/ xdp/ loader/ reader/ tests/ changed since; regenerate it: make test, then make reliability (docs/TESTING.md)"
	else
		xf_pass "reliability: docs/RELIABILITY.md was generated from these pin/ xdp/ loader/ reader/ tests/ ($want)"
	fi
}

# ---- PERFORMANCE.md: generated from its committed results, stamped with an ancestor ----

test_performance_doc() {
	local out stamp commit
	if [ ! -d docs/perf/results ]; then
		xf_fail "performance: generated" "no docs/perf/results: docs/PERFORMANCE.md is not generated; run make performance on a quiet machine and commit docs/PERFORMANCE.md docs/perf docs/perf-curve.svg (docs/TESTING.md)"
		return
	fi
	if out=$(tests/bench/perf-doc.py --check 2>&1); then
		xf_pass "performance: docs/PERFORMANCE.md is exactly what docs/perf/results gives (tests/bench/perf-doc.py)"
	else
		xf_fail "performance: generated" "$(echo "$out" | tr '\n' ' ')(edit tests/bench/PERFORMANCE.md.in or perf-doc.py, then make performance-doc; never the doc)"
	fi
	stamp=$(sed -n 3p docs/PERFORMANCE.md)
	commit=$(echo "$stamp" | sed -n 's/^Stamp: commit \([0-9a-f]\{40\}\), \(clean tree\|WITH [0-9]* UNCOMMITTED CHANGES\), measured [0-9-]\{10\} [0-9:]\{5\} UTC .*/\1/p')
	if [ -z "$commit" ]; then
		xf_fail "performance: stamp" "line 3 of docs/PERFORMANCE.md is not 'Stamp: commit SHA, clean tree, measured DATE ...': $stamp"
	elif [[ $stamp != *", clean tree, "* ]]; then
		xf_fail "performance: stamp" "docs/PERFORMANCE.md was measured on a tree with uncommitted changes: commit, then make performance"
	elif ! git rev-parse --git-dir >/dev/null 2>&1; then
		xf_pass "performance: stamp names commit $commit, clean tree (no git here: whether it is an ancestor is not checked)"
	elif ! git cat-file -e "$commit^{commit}" 2>/dev/null; then
		if [ "$(git rev-parse --is-shallow-repository 2>/dev/null)" = true ]; then
			xf_pass "performance: stamp names commit $commit, clean tree (a shallow clone without it: whether it is an ancestor is not checked)"
		else
			xf_fail "performance: stamp" "docs/PERFORMANCE.md names commit $commit, which this repository does not have"
		fi
	elif ! git merge-base --is-ancestor "$commit" HEAD; then
		xf_fail "performance: stamp" "docs/PERFORMANCE.md was measured at $commit, not an ancestor of HEAD: run make performance on this branch"
	else
		xf_pass "performance: stamp names commit ${commit:0:12}, clean tree, an ancestor of HEAD ($(git rev-list --count "$commit..HEAD") commits since)"
	fi
}

# ---- What the tools print, on a live pin folder ----

# The object each key is in: top level, totals, interfaces, protocols, sources, flows.
json_keys() {
	python3 -c '
import json, sys
text, dec, pos, keys = sys.stdin.read(), json.JSONDecoder(), 0, set()
while True:
    while pos < len(text) and text[pos].isspace():
        pos += 1
    if pos >= len(text):
        break
    doc, pos = dec.raw_decode(text, pos)
    keys |= {("top level", k) for k in doc}
    keys |= {("totals", k) for k in doc.get("totals", {})}
    for i in doc.get("totals", {}).get("interfaces", []):
        keys |= {("interfaces", k) for k in i}
    for view in ("protocols", "sources", "flows"):
        for row in doc.get(view, []):
            keys |= {(view, k) for k in row}
for group, key in sorted(keys):
    print("%s|%s" % (group, key))'
}

# page_list PAGE SECTION: "GROUP|NAME" for each *NAME* of the definition list under
# "# SECTION" (a group is a line "*GROUP*..." at the start, its names on the tab-indented
# lines after it; "(...)" asides, which may span lines, are left out).
page_list() {
	python3 - "$@" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
m = re.search(r"^# %s\n(.*?)(?=^# |\Z)" % re.escape(sys.argv[2]), text, re.S | re.M)
group, texts = None, {}
for line in (m.group(1) if m else "").split("\n"):
    g = re.match(r"^\*([a-z ]+)\*", line)
    if g:
        group = g.group(1)
    elif line.startswith("\t") and group:
        texts[group] = texts.get(group, "") + " " + line.strip()
for group, text in texts.items():
    while re.search(r"\([^()]*\)", text):
        text = re.sub(r"\([^()]*\)", "", text)
    for name in re.findall(r"\*([a-z_]+)\*", text):
        print("%s|%s" % (group, name))
PY
}

test_json_keys() {
	local diff
	local pid i
	R --format json >"$T/once.json" 2>/dev/null
	# --watch: until its second read (the one with rates) is out, then a drain, until the read
	# after it says counters_reset; at most 20 s each.
	nsenter --net="/run/netns/$NS" "$READER" -p "$PIN" --format json --watch 1 >"$T/watch.json" 2>/dev/null &
	pid=$! # the reader itself: nsenter execs it
	for ((i = 0; i < 200; i++)); do
		grep -q '"interval_s"' "$T/watch.json" && break
		sleep 0.1
	done
	R --format json --drain >"$T/drain.json" 2>/dev/null
	for ((i = 0; i < 200; i++)); do
		grep -q '"counters_reset"' "$T/watch.json" && break
		sleep 0.1
	done
	kill -INT $pid
	wait $pid
	cat "$T/once.json" "$T/watch.json" "$T/drain.json" | json_keys | sort -u >"$T/json-tool"
	page_list "$MAN/xdpflow-reader.8.scd" "JSON KEYS" | sort -u >"$T/json-page"
	if ! grep -q '^flows|icmp_type$' "$T/json-tool" || ! grep -q '^interfaces|packets_per_s$' "$T/json-tool" ||
		! grep -q '^top level|drained$' "$T/json-tool" || ! grep -q '^top level|counters_reset$' "$T/json-tool"; then
		xf_fail "json keys" "the runs did not show every kind of key (ICMP flow, --watch rates, --drain, --watch across a drain): $(tr '\n' ' ' <"$T/json-tool")"
	elif diff=$(diff "$T/json-tool" "$T/json-page"); then
		xf_pass "json keys: xdpflow-reader(8)'s JSON KEYS lists exactly the $(wc -l <"$T/json-tool") keys the reader prints"
	else
		xf_fail "json keys: xdpflow-reader(8)'s JSON KEYS" "('<' printed, not listed; '>' listed, not printed): $(echo "$diff" | grep '^[<>]' | tr '\n' ' ')"
	fi
}

test_prometheus_series() {
	local diff
	R --format prometheus --prometheus-flows --prometheus-sources | python3 -c '
import re, sys
groups = {"interface": "totals", "non": "totals", "malformed": "totals", "unrecorded": "totals",
          "flow_table": "totals", "flows": "totals", "source": "sources", "flow": "flows", "packets": "protocols",
          "bytes": "protocols"}
for line in sys.stdin:
    m = re.match(r"^(xdpflow_[a-z_]+)(?:\{(.*)\})? ", line)
    if not m:
        continue
    name = m.group(1)
    part = name[len("xdpflow_"):]
    group = groups.get(part.split("_")[0]) if not part.startswith("flow_table") else "totals"
    print("%s|%s" % (group, name))
    for label in re.findall(r"([a-z_]+)=\"", m.group(2) or ""):
        if label not in ("device", "ifindex"):
            print("%s|%s" % (group, label))
' | sort -u >"$T/prom-tool"
	page_list "$MAN/xdpflow-reader.8.scd" "PROMETHEUS SERIES" | sort -u >"$T/prom-page"
	if [ ! -s "$T/prom-tool" ]; then
		xf_fail "prometheus series" "the reader printed no series"
	elif diff=$(diff "$T/prom-tool" "$T/prom-page"); then
		xf_pass "prometheus series: xdpflow-reader(8)'s PROMETHEUS SERIES lists exactly the $(grep -c '|xdpflow_' "$T/prom-tool") series and their labels"
	else
		xf_fail "prometheus series: xdpflow-reader(8)'s PROMETHEUS SERIES" "('<' printed, not listed; '>' listed, not printed): $(echo "$diff" | grep '^[<>]' | tr '\n' ' ')"
	fi
	# Every series carries the interface's name and index, as the page says.
	if R --format prometheus | grep '^xdpflow_' | grep -Ev '^xdpflow_(flow_table_|flows_read )' | grep -qv 'device="[^"]*",ifindex="[0-9]*"'; then
		xf_fail "prometheus series: labels" "a series without device and ifindex labels"
	else
		xf_pass "prometheus series: every series but the three gauges has device and ifindex labels"
	fi
}

# The tag xdp-loader status shows for this build's xdpflow, against every xdp-loader
# status example in the docs.
test_xdp_loader_tag() {
	local tag bad
	tag=$(xf_xdp_loader_status "$NS" db0 | grep ' xdpflow ' | grep -oE '\b[0-9a-f]{16}\b' | head -n 1)
	if [ -z "$tag" ]; then
		xf_fail "xdp-loader tag" "xdp-loader status shows no xdpflow tag on db0"
		return
	fi
	bad=$(grep -n -E '(^| )xdpflow +.*[0-9a-f]{16}' README.md docs/*.md docs/man/*.scd |
		grep -v "$tag" | cut -d: -f1,2 | tr '\n' ' ')
	[ -z "$bad" ] && xf_pass "xdp-loader tag: the docs' xdp-loader status examples show this build's tag $tag" ||
		xf_fail "xdp-loader tag" "the build's xdpflow has tag $tag, these lines show another: $bad(replace the tag, then make man)"
}

test_layout_version
test_options
test_exit_status
test_figures
test_reliability_stamp
test_performance_doc

if [ "$(id -u)" != 0 ]; then
	xf_skip "live: json keys, prometheus series, xdp-loader tag" "needs root (CAP_NET_ADMIN, CAP_BPF, CAP_SYS_ADMIN)"
	xf_summary
	exit
fi
xf_require_cmds python3 nsenter xdp-loader
xf_require_built "$LOADER" "$READER" "$XF_BUILD/xdpflow.bpf.o" "$XF_BUILD/tools/sendframes"
NS=xdpflow-docs-$$
xf_netns "$NS" || { xf_fail setup "cannot create network namespace $NS"; exit 1; }
xf_veth "$NS" da0 db0 || { xf_fail setup "cannot create veth da0/db0"; exit 1; }
xf_pin_dir PIN docs
R() { xf_in "$NS" "$READER" -p "$PIN" "$@"; }
if ! xf_in "$NS" "$LOADER" attach -p "$PIN" db0 >"$T/attach" 2>&1; then
	xf_fail setup "attach: $(tail -n 1 "$T/attach")"
	exit 1
fi
xf_on_exit "xf_in '$NS' '$LOADER' detach -p '$PIN' db0"
# UDP, TCP and ICMP flows of both families, and a non-IP frame: every kind of row.
xf_gen_frames 18 "$T/spec" "$T/expect" >/dev/null
xf_send "$NS" da0 "$T/spec" >/dev/null || xf_fail setup "sendframes dropped frames"
test_json_keys
# --drain emptied the maps: the same frames again for the series.
xf_send "$NS" da0 "$T/spec" >/dev/null || xf_fail setup "sendframes dropped frames"
test_prometheus_series
test_xdp_loader_tag
xf_summary
