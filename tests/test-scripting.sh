#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# What scripts rely on in both tools: exit codes, --version, $XDPFLOW_PIN_PATH, pin folders found, ip netns exec, bash completion.
#
# Runs as root over veth pairs in a network namespace of its own (pins in folders of this
# run). Ground truth comes from elsewhere than the tools' code: debian/changelog, the
# libraries' files and packages, the kernel's view (ip link, bpftool), the files in bpffs.
# LOADER=... READER=... test other builds (e.g. the ASan ones).
set -u
. "$(dirname "$0")/lib.sh"

xf_require_root test-scripting
xf_require_cmds bpftool nsenter python3 ldd dpkg-query
LOADER=${LOADER:-$XF_BUILD/xdpflow-loader}
READER=${READER:-$XF_BUILD/xdpflow-reader}
xf_require_built "$LOADER" "$READER" "$XF_BUILD/xdpflow.bpf.o" "$XF_BUILD/tools/sendframes"

NS=xdpflow-script-$$
T=$XF_TMP
xf_netns "$NS" || { xf_fail setup "cannot create network namespace $NS"; exit 1; }
for i in 0 1 2; do
	xf_veth "$NS" "sa$i" "sb$i" || { xf_fail setup "cannot create veth sa$i/sb$i"; exit 1; }
done

L() { xf_in "$NS" "$LOADER" "$@"; }
R() { xf_in "$NS" "$READER" "$@"; }
has_no_xdp() { [ -z "$(xf_xdp_ids "$NS" "$1")" ]; }

# ---- --version ----

# What --version must say, from other sources than the tools: the package's changelog, the
# ABI header, the libbpf file the tool loads (libbpf.so.MAJOR.MINOR.PATCH) and the libxdp
# package it was built against.
test_version() {
	local tool version layout libbpf libxdp want out rc
	version=$(head -n 1 "$XF_ROOT/debian/changelog" | awk '{ gsub(/[()]/, "", $2); print $2 }')
	layout=$(awk '$2 == "XDPFLOW_LAYOUT_VERSION" { print $3 }' "$XF_ROOT/pin/xdpflow_abi.h")
	libxdp=$(dpkg-query -W -f '${Version}' libxdp-dev | sed 's/-[^-]*$//')
	for tool in "$LOADER" "$READER"; do
		libbpf=$(readlink -f "$(ldd "$tool" | awk '$1 ~ /^libbpf\.so/ { print $3 }')" |
			sed -n 's/.*libbpf\.so\.\([0-9]*\)\.\([0-9]*\).*/\1.\2/p')
		want="$(basename "$tool") $version (map layout version $layout, libbpf $libbpf, libxdp $libxdp)"
		for opt in --version -V; do
			out=$("$tool" $opt 2>&1)
			rc=$?
			[ $rc = 0 ] && [ "$out" = "$want" ] &&
				xf_pass "version: $(basename "$tool") $opt: '$want'" ||
				xf_fail "version: $(basename "$tool") $opt" "exit $rc, '$out', want '$want'"
		done
	done
}

# ---- $XDPFLOW_PIN_PATH ----

test_pin_path_env() {
	local dir other
	xf_pin_dir dir env
	xf_pin_dir other envother
	XDPFLOW_PIN_PATH=$dir L attach sb0 >"$T/out" 2>&1 && [ -e "$dir/xdpflow_stats" ] &&
		grep -q "maps at $dir\$" "$T/out" &&
		xf_pass "env: attach pins in \$XDPFLOW_PIN_PATH without --pin-path" ||
		xf_fail "env: attach pins in \$XDPFLOW_PIN_PATH without --pin-path" "$(cat "$T/out")"
	XDPFLOW_PIN_PATH=$dir L status >"$T/out" 2>&1 && grep -q "^pin folder: *$dir " "$T/out" &&
		grep -q "^attached to: *sb0 " "$T/out" &&
		xf_pass "env: status reads \$XDPFLOW_PIN_PATH" ||
		xf_fail "env: status reads \$XDPFLOW_PIN_PATH" "$(tr '\n' '|' <"$T/out")"
	XDPFLOW_PIN_PATH=$dir R --format json totals >"$T/out" 2>&1 &&
		python3 -c 'import json,sys; sys.exit(json.load(open(sys.argv[1]))["pin_path"] != sys.argv[2])' "$T/out" "$dir" &&
		xf_pass "env: the reader reads \$XDPFLOW_PIN_PATH" ||
		xf_fail "env: the reader reads \$XDPFLOW_PIN_PATH" "$(head -c 300 "$T/out")"
	XDPFLOW_PIN_PATH=$dir R -p "$other" totals >/dev/null 2>"$T/err"
	[ $? = 1 ] && grep -q "$other" "$T/err" && XDPFLOW_PIN_PATH=$other L status -p "$dir" 2>&1 |
		grep -q "^pin folder: *$dir " &&
		xf_pass "env: --pin-path overrides \$XDPFLOW_PIN_PATH (reader and loader)" ||
		xf_fail "env: --pin-path overrides \$XDPFLOW_PIN_PATH (reader and loader)" "$(cat "$T/err")"
	XDPFLOW_PIN_PATH=$dir L detach --purge >/dev/null 2>&1 && [ ! -e "$dir" ] && has_no_xdp sb0 &&
		xf_pass "env: detach --purge uses \$XDPFLOW_PIN_PATH" ||
		xf_fail "env: detach --purge uses \$XDPFLOW_PIN_PATH" "$(ls "$dir" 2>&1)"
}

# ---- pin folders found ----

# pinned_folder ID: the folder where the maps of program ID are pinned, as bpftool sees them
# (the program's map ids, then bpftool's walk of bpffs for their pins); empty if none.
pinned_folder() {
	bpftool -j -f map show >"$T/maps.json" 2>/dev/null
	bpftool -j prog show id "$1" 2>/dev/null | python3 -c '
import json, os, sys
ids = set(json.load(sys.stdin).get("map_ids", []))
dirs = {os.path.dirname(p) for m in json.load(open(sys.argv[1])) if m["id"] in ids
        for p in m.get("pinned", [])}
print("\n".join(sorted(dirs)))' "$T/maps.json"
}

# xdpflow_folders: every folder holding a pinned map at one of xdpflow's map names that a
# program looks up (bpftool's walk of bpffs), one a line.
xdpflow_folders() {
	bpftool -j -f map show 2>/dev/null | python3 -c '
import json, os, sys
names = {"xdpflow_stats", "xdpflow_flows", "xdpflow_fcache", "xdpflow_clock"}
print("\n".join(sorted({os.path.dirname(p) for m in json.load(sys.stdin)
                        for p in m.get("pinned", []) if os.path.basename(p) in names})))'
}

# Folders named in LINE after PREFIX ("A, B and 3 more (...)"), one a line.
named_folders() {
	sed -e "s|^$1||" -e 's/ and [0-9]* more.*//' -e 's/ (xdpflow-loader list.*//' <<<"$2" |
		tr ',' '\n' | sed 's/^ *//;/^$/d'
}

test_discovery() {
	local d1 d2 d3 missing=/sys/fs/bpf/xdpflow-test-$$-nowhere id1 id2 want2 bad line f
	xf_pin_dir d1 find1
	xf_pin_dir d2 find2
	xf_pin_dir d3 find3
	L attach -p "$d1" sb1 >/dev/null 2>&1 && L attach -p "$d2" sb2 >/dev/null 2>&1 &&
		L attach -p "$d3" sb0 >/dev/null 2>&1 && L detach -p "$d3" sb0 >/dev/null 2>&1 ||
		{ xf_fail "find: setup" "cannot attach to sb1 and sb2 (or detach sb0)"; return; }
	id1=$(xf_xdp_ids "$NS" sb1)
	id2=$(xf_xdp_ids "$NS" sb2)
	want2=$(pinned_folder "$id2")
	[ "$want2" = "$d2" ] || { xf_fail "find: setup" "bpftool says $id2 uses maps at '$want2'"; return; }

	L list -p "$d1" >"$T/list" 2>&1
	grep -Eq "^[0-9]+ +sb1 .* xdpflow\* \(id $id1," "$T/list" &&
		grep -Eq "^[0-9]+ +sb2 .* xdpflow\+ \(id $id2," "$T/list" &&
		grep -qx "+ xdpflow on sb2 (id $id2) uses maps pinned at $want2" "$T/list" &&
		! grep -q "^+ xdpflow on sb1" "$T/list" &&
		xf_pass "find: list names the folder of xdpflow's maps where they are not --pin-path's" ||
		xf_fail "find: list names the folder of xdpflow's maps where they are not --pin-path's" \
			"$(tr '\n' '|' <"$T/list")"
	# The last line: every folder holding xdpflow's maps, each one bpftool finds too (before
	# or after: other runs create and remove theirs meanwhile), ours among them.
	xdpflow_folders >"$T/before"
	line=$(grep "^pin folders of xdpflow's maps: " "$T/list")
	xdpflow_folders >>"$T/before"
	named_folders "pin folders of xdpflow's maps: " "$line" >"$T/named"
	bad=$(grep -vxFf "$T/before" "$T/named")
	for f in "$d1" "$d2" "$d3"; do grep -qxF "$f" "$T/named" || bad="$bad missing $f"; done
	[ -z "$bad" ] && [ "$(sort "$T/named" | uniq -d)" = "" ] &&
		xf_pass "find: list names every pin folder of xdpflow's maps, attached or not, each once" ||
		xf_fail "find: list names every pin folder of xdpflow's maps, attached or not, each once" \
			"'$line': wrong: $bad"

	L status -p "$d1" >"$T/status" 2>&1
	grep -Eq "^attached to: +sb1 \(ifindex [0-9]+\): program id $id1," "$T/status" &&
		! grep -Eq "^(attached to:)? +sb2 " "$T/status" &&
		grep -Eq "^other xdpflow: sb2 \(ifindex [0-9]+\): program id $id2, its maps pinned at $want2\$" \
			"$T/status" && ! grep -q "^other xdpflow: sb1 " "$T/status" &&
		xf_pass "find: status lists only the attachments using its folder, and where the others' are" ||
		xf_fail "find: status lists only the attachments using its folder, and where the others' are" \
			"$(tr '\n' '|' <"$T/status")"
	L status -p "$missing" >"$T/status" 2>&1
	grep -q "^attached to: *nowhere" "$T/status" &&
		grep -q "^other xdpflow: sb1 .*program id $id1, its maps pinned at $d1\$" "$T/status" &&
		grep -q "^other xdpflow: sb2 .*program id $id2, its maps pinned at $d2\$" "$T/status" &&
		xf_pass "find: status of a folder without pins names the folders xdpflow uses here" ||
		xf_fail "find: status of a folder without pins names the folders xdpflow uses here" \
			"$(tr '\n' '|' <"$T/status")"
	# The reader, pointed at nothing: attach first, or one of the folders that hold maps.
	xdpflow_folders >"$T/before"
	R -p "$missing" totals >/dev/null 2>"$T/err"
	xdpflow_folders >>"$T/before"
	line=$(sed -n 's/.*a folder where xdpflow.s maps are pinned: //p' "$T/err")
	named_folders "" "$line" >"$T/named"
	grep -q "no xdpflow maps at $missing .*attach first" "$T/err" && [ -s "$T/named" ] &&
		[ -z "$(grep -vxFf "$T/before" "$T/named")" ] && [ "$(wc -l <"$T/err")" = 1 ] &&
		xf_pass "find: the reader without maps names folders that hold xdpflow's maps" ||
		xf_fail "find: the reader without maps names folders that hold xdpflow's maps" "$(cat "$T/err")"
	L detach --purge -p "$d1" >/dev/null 2>&1
	L detach --purge -p "$d2" >/dev/null 2>&1
	L detach --purge -p "$d3" >/dev/null 2>&1
}

# ---- exit codes ----

# exits NAME STATUS PATTERN CMD...: CMD exits STATUS with one line on stderr matching PATTERN.
exits() {
	local name=$1 want=$2 pattern=$3 rc
	shift 3
	"$@" >"$T/out" 2>"$T/err"
	rc=$?
	[ $rc = "$want" ] && [ "$(grep -c . "$T/err")" = 1 ] && grep -Eq -- "$pattern" "$T/err" &&
		xf_pass "$name" || xf_fail "$name" "exit $rc (want $want): $(tr '\n' '|' <"$T/err")"
}

# The rules of both man pages' EXIT STATUS: 2 usage, 1 a thing named is not there (or the
# command failed), 0 success; what is attached is the kernel's word (ip link).
test_exit_codes() {
	local d missing=/sys/fs/bpf/xdpflow-test-$$-none cmd opt before
	xf_pin_dir d exits

	# 2: usage. Options of other commands are refused by name, before anything is looked at.
	exits "exit 2: unknown command" 2 "unknown command 'frob'" L frob
	exits "exit 2: unknown option" 2 "--frob" L status --frob
	exits "exit 2: attach without an interface" 2 "attach names no interface" L attach -p "$d"
	exits "exit 2: the reader's unknown option" 2 "--frob" R --frob
	exits "exit 2: the reader's bad --format" 2 "--format" R -p "$missing" --format xml
	for cmd in list status detach clean; do
		# The options of attach and run (xdpflow-loader(8): "Options of attach and run").
		for opt in "--mode skb" "--interval 1" "--prio 3" "--max-flows 8" "--group root" \
			"--obj /nonexistent" --require-multiprog; do
			exits "exit 2: $cmd ${opt%% *} is refused naming ${opt%% *}" 2 \
				"^xdpflow-loader: ${opt%% *} is not an option of this command" L $cmd -p "$d" $opt
		done
	done
	for cmd in list status clean; do
		exits "exit 2: $cmd --purge is refused naming --purge" 2 \
			"^xdpflow-loader: --purge is not an option of this command" L $cmd -p "$d" --purge
	done
	[ ! -e "$d" ] && xf_pass "exit 2: usage errors created nothing" ||
		xf_fail "exit 2: usage errors created nothing" "$d exists"

	# 1: the interface or the pin folder named is not there; nothing changes.
	exits "exit 1: attach to an unknown interface" 1 "no interface named 'nosuch0' here" \
		L attach -p "$d" sb0 nosuch0
	has_no_xdp sb0 && [ ! -e "$d/xdpflow_stats" ] &&
		xf_pass "exit 1: attach with one unknown interface attaches to none" ||
		xf_fail "exit 1: attach with one unknown interface attaches to none" "sb0: $(xf_xdp_ids "$NS" sb0)"
	L attach -p "$d" sb0 >/dev/null 2>&1 || xf_fail "exit codes: setup" "attach sb0"
	before=$(xf_xdp_ids "$NS" sb0)
	exits "exit 1: detach of an unknown interface" 1 "no interface named 'nosuch0' here.*nothing changed" \
		L detach -p "$d" nosuch0
	exits "exit 1: detach --purge naming an unknown interface" 1 "no interface named 'nosuch0' here" \
		L detach --purge -p "$d" sb0 nosuch0
	[ -n "$before" ] && [ "$(xf_xdp_ids "$NS" sb0)" = "$before" ] && [ -e "$d/xdpflow_stats" ] &&
		xf_pass "exit 1: a detach naming an unknown interface detaches and purges nothing" ||
		xf_fail "exit 1: a detach naming an unknown interface detaches and purges nothing" \
			"sb0 '$(xf_xdp_ids "$NS" sb0)', was '$before'"
	exits "exit 1: status of a folder without pins" 1 "no xdpflow maps at $missing" \
		L status -p "$missing"
	grep -q "^pin folder: *$missing: no xdpflow pins" "$T/out" &&
		xf_pass "exit 1: status of a folder without pins still reports" ||
		xf_fail "exit 1: status of a folder without pins still reports" "$(tr '\n' '|' <"$T/out")"
	xf_expect_reader_error "exit 1: the reader of a folder without pins" 1 "no xdpflow maps at $missing" \
		R -p "$missing"
	xf_expect_reader_error "exit 1: the reader's --interface of an unknown interface" 1 \
		"--interface nosuch0: no such interface" R -p "$d" -i nosuch0
	xf_gen_frames 1 "$T/a.spec" "$T/a.json" 1 && xf_send "$NS" sa0 "$T/a.spec" >/dev/null ||
		xf_fail "exit codes: setup" "cannot send frames into sa0"
	R -p "$d" -i sb0 --format json totals >"$T/if.json" 2>"$T/err" &&
		python3 -c 'import json,sys; d = json.load(open(sys.argv[1])); e = json.load(open(sys.argv[2]))
i = d["totals"]["interfaces"]; sys.exit(len(i) != 1 or [i[0]["packets"], i[0]["bytes"]] != e["total"])' \
			"$T/if.json" "$T/a.json" &&
		xf_pass "exit 0: the reader's --interface of an interface with counts, exactly those" ||
		xf_fail "exit 0: the reader's --interface of an interface with counts, exactly those" \
			"$(cat "$T/err") $(head -c 300 "$T/if.json")"
	# sa1 exists, but xdpflow never ran there: no row of zeros, exit 1.
	xf_expect_reader_error "exit 1: the reader's --interface of an interface xdpflow never counted on" 1 \
		"--interface sa1: xdpflow with the maps at $d has counted nothing there" R -p "$d" -i sa1 totals

	# 0: success, also when there is nothing to do.
	exits_ok() { "$@" >"$T/out" 2>"$T/err" && xf_pass "$name" || xf_fail "$name" "$(cat "$T/err")"; }
	name="exit 0: attach where it runs already with these maps" exits_ok L attach -p "$d" sb0
	name="exit 0: status" exits_ok L status -p "$d"
	name="exit 0: detach" exits_ok L detach -p "$d" sb0
	name="exit 0: detach where it is not attached" exits_ok L detach -p "$d" sb0
	L detach --purge -p "$d" >/dev/null 2>&1
}

# ---- messages ----

# A purge refused because a program in another network namespace uses the maps: run without
# interfaces, the message must not say to run it without naming interfaces.
test_purge_message() {
	local d ns2=xdpflow-script2-$$
	xf_pin_dir d purgemsg
	xf_netns "$ns2" && xf_veth "$ns2" ta0 tb0 && xf_in "$ns2" "$LOADER" attach -p "$d" tb0 >/dev/null 2>&1 ||
		{ xf_fail "message: purge: setup" "cannot attach in a second network namespace"; return; }
	exits "message: a refused detach --purge names where the other user runs" 1 \
		"not purging $d: XDP program id [0-9]+ .*uses the same maps: detach it in its network namespace" \
		L detach --purge -p "$d"
	! grep -q "without naming" "$T/err" && [ -n "$(xf_xdp_ids "$ns2" tb0)" ] && [ -e "$d/xdpflow_stats" ] &&
		xf_pass "message: a refused detach --purge without interfaces does not say to name none; nothing changed" ||
		xf_fail "message: a refused detach --purge without interfaces does not say to name none; nothing changed" \
			"$(cat "$T/err")"
	xf_in "$ns2" "$LOADER" detach --purge -p "$d" >/dev/null 2>&1
}

# ---- ip netns exec ----

# 'ip netns exec' runs the command in a mount namespace of its own with a fresh /sys, without
# the bpf filesystem: attach must refuse there, changing nothing, and say what works; the
# recipe it names (nsenter --net) pins where everyone sees them.
test_netns_exec() {
	local d cmd
	xf_pin_dir d netns
	exits "netns exec: attach refuses, naming nsenter" 1 \
		"no bpf filesystem at /sys/fs/bpf in this mount namespace.*ip netns exec.*nsenter --net=/run/netns/NS" \
		ip netns exec "$NS" "$LOADER" attach -p "$d" sb0
	has_no_xdp sb0 && [ ! -e "$d" ] &&
		xf_pass "netns exec: a refused attach attaches nothing and pins nothing" ||
		xf_fail "netns exec: a refused attach attaches nothing and pins nothing" "sb0: $(xf_xdp_ids "$NS" sb0)"
	exits "netns exec: run refuses too" 1 "in this mount namespace.*nsenter --net=" \
		ip netns exec "$NS" "$LOADER" run -p "$d" sb0
	has_no_xdp sb0 || xf_fail "netns exec: run attached nothing" "sb0: $(xf_xdp_ids "$NS" sb0)"
	for cmd in detach clean status; do
		exits "netns exec: $cmd says why, naming nsenter" 1 "in this mount namespace.*nsenter --net=" \
			ip netns exec "$NS" "$LOADER" $cmd -p "$d"
	done
	xf_expect_reader_error "netns exec: the reader says why it sees no pins" 1 \
		"no bpf filesystem at /sys/fs/bpf in this mount namespace.*nsenter --net=" \
		ip netns exec "$NS" "$READER" -p "$d"
	# The way the message names: the pins outlive the command, detach finds them.
	nsenter --net="/run/netns/$NS" "$LOADER" attach -p "$d" sb0 >"$T/out" 2>&1 &&
		[ -n "$(xf_xdp_ids "$NS" sb0)" ] && [ -e "$d/xdpflow_stats" ] &&
		"$READER" -p "$d" totals >/dev/null 2>&1 &&
		nsenter --net="/run/netns/$NS" "$LOADER" detach --purge -p "$d" >>"$T/out" 2>&1 &&
		has_no_xdp sb0 && [ ! -e "$d" ] &&
		xf_pass "netns exec: nsenter --net attaches with pins that outlive it, detach --purge removes both" ||
		xf_fail "netns exec: nsenter --net attaches with pins that outlive it, detach --purge removes both" \
			"$(tr '\n' '|' <"$T/out")"
}

test_version
test_pin_path_env
test_discovery
test_exit_codes
test_purge_message
test_netns_exec
xf_summary
