#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Tests of make install/uninstall, the man pages, the systemd units, bash completion, and that every command README.md and the man pages show is one the tools accept.
#
# The expected install list below is this test's own, not read from the Makefile. Commands
# are taken from the fenced code blocks of README.md and the literal blocks of
# docs/man/*.scd (lines running xdpflow-loader or xdpflow-reader, after an optional "$ "
# or "# " prompt) and run for real in a throwaway network namespace whose interfaces are
# eth0 and eth1, with a private bpf filesystem (so the default pin folder is this test's
# own): a usage error (exit status 2) or a hang fails. Output files are redirected into
# the test's temporary folder and --ipfix to a UDP sink on the namespace's loopback.
set -u
. "$(dirname "$0")/lib.sh"

LOADER=$XF_BUILD/xdpflow-loader
READER=$XF_BUILD/xdpflow-reader
OBJ=$XF_BUILD/xdpflow.bpf.o
for f in "$LOADER" "$READER" "$OBJ"; do
	if [ ! -e "$f" ]; then
		xf_fail setup "$f is missing: run make all"
		exit 1
	fi
done
T=$XF_TMP
# Debian's multiarch name: the XDP object's folder is lib/$MA/bpf, next to libxdp's.
MA=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)
MAKE_ARGS=(-C "$XF_ROOT" --no-print-directory BUILD="$XF_BUILD")

# What make install must put under PREFIX: path, mode, source (.in: @SBINDIR@ substituted).
EXPECTED=(
	"sbin/xdpflow-loader 755 $LOADER"
	"sbin/xdpflow-reader 755 $READER"
	"lib/$MA/bpf/xdpflow.bpf.o 644 $OBJ"
	"share/man/man8/xdpflow-loader.8 644 $XF_ROOT/docs/man/xdpflow-loader.8"
	"share/man/man8/xdpflow-reader.8 644 $XF_ROOT/docs/man/xdpflow-reader.8"
	"share/man/man7/xdpflow.7 644 $XF_ROOT/docs/man/xdpflow.7"
	"lib/systemd/system/xdpflow@.service 644 $XF_ROOT/packaging/systemd/xdpflow@.service.in"
	"share/bash-completion/completions/xdpflow-loader 644 $XF_ROOT/packaging/completion/xdpflow-loader"
	"share/bash-completion/completions/xdpflow-reader 644 $XF_ROOT/packaging/completion/xdpflow-reader"
	"share/doc/xdpflow/examples/xdpflow-export.service 644 $XF_ROOT/packaging/systemd/xdpflow-export.service.in"
	"share/doc/xdpflow/examples/xdpflow-export.timer 644 $XF_ROOT/packaging/systemd/xdpflow-export.timer"
	"share/doc/xdpflow/examples/xdpflow-export.cron 644 $XF_ROOT/packaging/cron/xdpflow-export.cron.in"
	"share/doc/xdpflow/README.md 644 $XF_ROOT/README.md"
	"share/doc/xdpflow/DESIGN.md 644 $XF_ROOT/docs/DESIGN.md"
	"share/doc/xdpflow/EXPORT.md 644 $XF_ROOT/docs/EXPORT.md"
	"share/doc/xdpflow/PERFORMANCE.md 644 $XF_ROOT/docs/PERFORMANCE.md"
	"share/doc/xdpflow/PERFORMANCE-HISTORY.md 644 $XF_ROOT/docs/PERFORMANCE-HISTORY.md"
	"share/doc/xdpflow/perf-curve.svg 644 $XF_ROOT/docs/perf-curve.svg"
)

# check_installed ROOT PREFIX: every expected file under ROOT/PREFIX with its mode and
# content, and nothing else under ROOT.
check_installed() {
	local root=$1 prefix=$2 e path mode src dst why n
	for e in "${EXPECTED[@]}"; do
		read -r path mode src <<<"$e"
		dst=$root$prefix/$path
		why=""
		if [ ! -f "$dst" ]; then
			why="missing"
		elif [ "$(stat -c %a "$dst")" != "$mode" ]; then
			why="mode $(stat -c %a "$dst"), not $mode"
		elif [[ $src == *.in ]]; then
			sed "s|@SBINDIR@|$prefix/sbin|g" "$src" | cmp -s - "$dst" || why="content differs from $src with @SBINDIR@=$prefix/sbin"
			grep -q @ "$dst" && ! grep -q 'xdpflow@' "$dst" && why="placeholder left"
		else
			cmp -s "$src" "$dst" || why="content differs from $src"
		fi
		if [ -z "$why" ]; then
			xf_pass "install (PREFIX=$prefix): $prefix/$path, mode $mode"
		else
			xf_fail "install (PREFIX=$prefix): $prefix/$path" "$why"
		fi
	done
	n=$(find "$root" -type f | wc -l)
	if [ "$n" -eq "${#EXPECTED[@]}" ]; then
		xf_pass "install (PREFIX=$prefix): no file beyond the ${#EXPECTED[@]} listed"
	else
		xf_fail "install (PREFIX=$prefix): no file beyond the list" \
			"$n files: $(find "$root" -type f | sed "s|^$root||" | tr '\n' ' ')"
	fi
}

# --- make install DESTDIR=... PREFIX=/usr/local, then PREFIX=/usr
STAGE=$T/stage
if make "${MAKE_ARGS[@]}" install DESTDIR="$STAGE" PREFIX=/usr/local >"$T/install.log" 2>&1; then
	check_installed "$STAGE" /usr/local
else
	xf_fail "make install DESTDIR PREFIX=/usr/local" "$(tail -n 1 "$T/install.log")"
fi
STAGE_USR=$T/stage-usr
if make "${MAKE_ARGS[@]}" install DESTDIR="$STAGE_USR" PREFIX=/usr >"$T/install-usr.log" 2>&1; then
	check_installed "$STAGE_USR" /usr
else
	xf_fail "make install DESTDIR PREFIX=/usr" "$(tail -n 1 "$T/install-usr.log")"
fi

# --- every document a man page points to (a *.md name) is installed next to the examples
for doc in $(grep -ohE '[A-Z]+\.md' "$XF_ROOT"/docs/man/*.scd | sort -u); do
	if [ -f "$STAGE/usr/local/share/doc/xdpflow/$doc" ]; then
		xf_pass "$doc, named by a man page, is installed in PREFIX/share/doc/xdpflow"
	else
		xf_fail "$doc, named by a man page, is installed" "not in $STAGE/usr/local/share/doc/xdpflow"
	fi
done

# --- man pages: render without warnings, found by man in the installed tree, current
for page in "$STAGE"/usr/local/share/man/man*/*; do
	name=$(basename "$page")
	MANWIDTH=80 man --warnings -l "$page" >"$T/man.out" 2>"$T/man.err"
	if [ -s "$T/man.err" ]; then
		xf_fail "man page $name renders without warnings" "$(head -n 2 "$T/man.err" | tr '\n' ' ')"
	elif ! grep -q "^NAME" "$T/man.out" || ! grep -q "^EXAMPLES" "$T/man.out"; then
		xf_fail "man page $name renders without warnings" "no NAME or EXAMPLES section in the rendered page"
	else
		xf_pass "man page $name renders without warnings (MANWIDTH=80 man --warnings -l)"
	fi
	section=${name##*.}
	found=$(man -M "$STAGE/usr/local/share/man" -w "$section" "${name%.*}" 2>/dev/null)
	if [ "$found" = "$page" ]; then
		xf_pass "man -M PREFIX/share/man $section ${name%.*} finds the installed page"
	else
		xf_fail "man finds the installed $name" "man -w gave '$found'"
	fi
done
if command -v scdoc >/dev/null; then
	for src in "$XF_ROOT"/docs/man/*.scd; do
		page=${src%.scd}
		scdoc <"$src" >"$T/regen" 2>"$T/scdoc.err"
		# The .TH line carries the generation date.
		if diff <(grep -v '^\.TH' "$T/regen") <(grep -v '^\.TH' "$page") >/dev/null; then
			xf_pass "$(basename "$page") is current with its source (scdoc)"
		else
			xf_fail "$(basename "$page") is current with its source" \
				"docs/man/$(basename "$page") differs from scdoc < $(basename "$src"): run make man"
		fi
	done
else
	xf_skip "man pages current with their sources" "scdoc not installed (make deps)"
fi

# --- every option of each tool's --help is in its man page, and every option the page
# defines exists
opts_of() { grep -oE -- '(^|[[:space:],[(*])--[a-z][a-z-]*[a-z]' | grep -oE -- '--[a-z-]+' | sort -u; }
# Options a page defines: "*-x*, *--name*" or "*--name*" at the start of a line.
page_defines() { grep -oE -- '^\*(-[a-zA-Z]\*, \*)?--[a-z-]+\*' "$1" | grep -oE -- '--[a-z-]+' | sort -u; }
check_options() {
	local tool=$1 scd=$2 help=$3 missing extra
	missing=$(comm -23 <(opts_of <"$help") <(opts_of <"$scd"))
	extra=$(comm -13 <(opts_of <"$help") <(page_defines "$scd"))
	if [ -z "$missing" ]; then
		xf_pass "$tool: every option of --help is in $(basename "$scd")"
	else
		xf_fail "$tool: every option of --help is in $(basename "$scd")" "missing: $(echo $missing)"
	fi
	if [ -z "$extra" ]; then
		xf_pass "$tool: every option $(basename "$scd") defines exists (--help)"
	else
		xf_fail "$tool: every option $(basename "$scd") defines exists" "not in --help: $(echo $extra)"
	fi
}
"$READER" --help >"$T/reader.help" 2>&1
check_options xdpflow-reader "$XF_ROOT/docs/man/xdpflow-reader.8.scd" "$T/reader.help"
: >"$T/loader.help"
for c in "" list attach detach status run clean; do
	# shellcheck disable=SC2086
	"$LOADER" $c --help >>"$T/loader.help" 2>&1
done
check_options xdpflow-loader "$XF_ROOT/docs/man/xdpflow-loader.8.scd" "$T/loader.help"

# --- bash completion, sourced from the installed files, completing with the installed tools
completion() {
	# completion FILE FUNC WORD...: prints the completions of the last WORD.
	bash -c '. "$1"; f=$2; shift 2; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); "$f"; printf "%s\n" "${COMPREPLY[@]}"' \
		_ "$@" 2>&1 | sort | tr '\n' ' ' | sed 's/ $//'
}
CDIR=$STAGE/usr/local/share/bash-completion/completions
ISBIN=$STAGE/usr/local/sbin
if [ -f "$CDIR/xdpflow-loader" ] && [ -f "$CDIR/xdpflow-reader" ]; then
	# expect_completion NAME EXPECTED FILE FUNC WORD...
	expect_completion() {
		local name=$1 want=$2 got
		shift 2
		got=$(completion "$@")
		if [ "$got" = "$want" ]; then
			xf_pass "completion: $name"
		else
			xf_fail "completion: $name" "got '$got', want '$want'"
		fi
	}
	# expect_completion_has NAME WORDS FILE FUNC WORD...: each of WORDS is offered.
	expect_completion_has() {
		local name=$1 want=$2 got w missing=""
		shift 2
		got=" $(completion "$@") "
		for w in $want; do
			[[ $got == *" $w "* ]] || missing+=" $w"
		done
		if [ -z "$missing" ]; then
			xf_pass "completion: $name"
		else
			xf_fail "completion: $name" "missing:$missing (got:$got)"
		fi
	}
	L=("$CDIR/xdpflow-loader" _xdpflow_loader "$ISBIN/xdpflow-loader")
	R=("$CDIR/xdpflow-reader" _xdpflow_reader "$ISBIN/xdpflow-reader")
	expect_completion "xdpflow-loader commands" "--help attach clean detach list run status" "${L[@]}" ""
	expect_completion "xdpflow-loader de -> detach" "detach" "${L[@]}" de
	expect_completion_has "xdpflow-loader attach options" \
		"--mode --prio --max-flows --group --require-multiprog --obj --pin-path --verbose --help" \
		"${L[@]}" attach --
	expect_completion "xdpflow-loader detach --p" "--pin-path --purge" "${L[@]}" detach --p
	# Exactly a command's options (xdpflow-loader(8)), never a --word of its help's prose or
	# examples (detach's help shows 'xdp-loader unload eth0 --id ID').
	expect_completion "xdpflow-loader detach: only detach's options" "--help --pin-path --purge --verbose" \
		"${L[@]}" detach --
	expect_completion "xdpflow-loader status: only status's options" "--help --pin-path --verbose" \
		"${L[@]}" status --
	expect_completion "xdpflow-loader run: attach's options and --interval" \
		"--group --help --interval --max-flows --mode --obj --pin-path --prio --require-multiprog --verbose" \
		"${L[@]}" run --
	expect_completion "xdpflow-loader attach --mode values" "native skb" "${L[@]}" attach --mode ""
	expect_completion "xdpflow-loader attach: interface names" "lo" "${L[@]}" attach l
	expect_completion_has "xdpflow-reader options" \
		"--pin-path --format --top --sort --interface --watch --prometheus-flows --version --help" \
		"${R[@]}" --
	# The values the reader itself accepts, from its refusal of a wrong one ("use a, b or c").
	accepted() { "$ISBIN/xdpflow-reader" "$1" nope 2>&1 | sed -E 's/.*(use|by) //; s/,| or / /g' | tr ' ' '\n' | grep . | sort | tr '\n' ' ' | sed 's/ $//'; }
	expect_completion "xdpflow-reader --format values: those the reader accepts ($(accepted --format))" \
		"$(accepted --format)" "${R[@]}" --format ""
	expect_completion "xdpflow-reader --sort values: those the reader accepts ($(accepted --sort))" \
		"$(accepted --sort)" "${R[@]}" -s ""
	expect_completion "xdpflow-reader views" "flows protocols sources totals" "${R[@]}" --top 3 ""
	expect_completion "xdpflow-reader -i: interface names" "lo" "${R[@]}" -i l
else
	xf_skip "completion" "not installed (see the install failures above)"
fi

# --- systemd-analyze verify: installed into a temporary root (no DESTDIR), so ExecStart's
# binaries exist, with MANPATH there so Documentation= pages are checked too
if command -v systemd-analyze >/dev/null; then
	VROOT=$T/vroot/usr
	if make "${MAKE_ARGS[@]}" install PREFIX="$VROOT" >"$T/install-v.log" 2>&1; then
		export MANPATH=$VROOT/share/man
		for u in "$VROOT/lib/systemd/system/xdpflow@lo.service" \
			"$VROOT/share/doc/xdpflow/examples/xdpflow-export.timer $VROOT/share/doc/xdpflow/examples/xdpflow-export.service"; do
			# shellcheck disable=SC2086
			if systemd-analyze verify $u >"$T/verify.out" 2>&1 && ! [ -s "$T/verify.out" ]; then
				xf_pass "systemd-analyze verify $(basename ${u%% *})$([[ $u == *" "* ]] && echo " and its service")"
			else
				xf_fail "systemd-analyze verify $(basename ${u%% *})" "$(head -n 3 "$T/verify.out" | tr '\n' ' ')"
			fi
		done
		unset MANPATH
		make "${MAKE_ARGS[@]}" uninstall PREFIX="$VROOT" >/dev/null 2>&1
	else
		xf_fail "install for systemd-analyze" "$(tail -n 1 "$T/install-v.log")"
	fi
else
	xf_skip "systemd-analyze verify" "systemd-analyze not installed (make deps)"
fi

# --- what needs root: the installed tools, the units' commands, the documented commands
run_root_checks() {
	local ns=xdpflow-inst-$$
	xf_netns "$ns" || { xf_fail "root checks" "cannot create network namespace $ns"; return; }
	ip -n "$ns" link add eth0 type veth peer name eth1 || { xf_fail "root checks" "cannot create veth"; return; }
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.eth0.disable_ipv6=1 net.ipv6.conf.eth1.disable_ipv6=1
	ip -n "$ns" link set eth0 up && ip -n "$ns" link set eth1 up

	# The private side: 'ip netns exec' makes a mount namespace with its own /sys, where a
	# fresh bpffs gives this test the default pin folder without touching the host's pins.
	private() {
		ip netns exec "$ns" env -u XDPFLOW_OBJ PATH="$XF_BUILD:$PATH" T="$T" bash -c \
			'mount -t bpf bpf /sys/fs/bpf || exit 99; '"$1"
	}

	# The installed loader finds the installed object (../lib/$MA/bpf from sbin), not the
	# one of the folder it was built for (BPFDIR, /usr/local/lib/$MA/bpf).
	local p
	for p in "/usr/local/lib/$MA/bpf/xdpflow.bpf.o"; do
		if [ -e "$p" ]; then
			xf_skip "installed loader finds PREFIX/lib/$MA/bpf/xdpflow.bpf.o" "$p exists on this host and could be the one found"
			p=skip
			break
		fi
	done
	if [ "$p" != skip ] && [ -x "$ISBIN/xdpflow-loader" ]; then
		private "'$ISBIN/xdpflow-loader' attach eth0 && '$ISBIN/xdpflow-reader' totals >/dev/null && '$ISBIN/xdpflow-loader' detach --purge" \
			>"$T/inst.out" 2>&1
		if [ $? -eq 0 ]; then
			xf_pass "installed loader finds PREFIX/lib/$MA/bpf/xdpflow.bpf.o (attach, read, detach)"
		else
			xf_fail "installed loader finds PREFIX/lib/$MA/bpf/xdpflow.bpf.o" "$(tail -n 1 "$T/inst.out")"
		fi
		mv "$STAGE/usr/local/lib/$MA/bpf/xdpflow.bpf.o" "$T/moved.o"
		private "'$ISBIN/xdpflow-loader' attach eth0" >"$T/inst.out" 2>&1
		if [ $? -eq 1 ] && grep -q "cannot find xdpflow.bpf.o" "$T/inst.out"; then
			xf_pass "installed loader without PREFIX/lib/$MA/bpf/xdpflow.bpf.o says it cannot find it"
		else
			xf_fail "installed loader without its object" "$(tail -n 1 "$T/inst.out")"
		fi
		mv "$T/moved.o" "$STAGE/usr/local/lib/$MA/bpf/xdpflow.bpf.o"
	fi

	# xdpflow@.service: ExecStart attaches to the instance's interface, ExecStop detaches.
	local unit=$STAGE/usr/local/lib/systemd/system/xdpflow@.service start stop
	start=$(sed -n 's/^ExecStart=//p' "$unit" | sed "s|%I|eth0|g; s|^/usr/local|$STAGE/usr/local|")
	# ExecStop's '-' (a failure does not fail the unit) is systemd's, not part of the command.
	stop=$(sed -n 's/^ExecStop=-\{0,1\}//p' "$unit" | sed "s|%I|eth0|g; s|^/usr/local|$STAGE/usr/local|")
	private "$start && ip -d link show eth0 | grep -q xdp && $stop && ! ip -d link show eth0 | grep -q 'prog/xdp' && test -e /sys/fs/bpf/xdpflow/xdpflow_flows" \
		>"$T/unit.out" 2>&1
	if [ $? -eq 0 ]; then
		xf_pass "xdpflow@eth0.service: ExecStart attaches to eth0, ExecStop detaches and keeps the pins"
	else
		xf_fail "xdpflow@eth0.service ExecStart/ExecStop" "$(tail -n 2 "$T/unit.out" | tr '\n' ' ')"
	fi

	# The export examples (service and cron) run as written, against a local collector.
	if grep -q -- '--drain' "$T/reader.help"; then
		local svc=$STAGE/usr/local/share/doc/xdpflow/examples/xdpflow-export.service
		local cron=$STAGE/usr/local/share/doc/xdpflow/examples/xdpflow-export.cron
		local cmd_svc cmd_cron
		cmd_svc=$(sed -n 's/^ExecStart=//p' "$svc" |
			sed "s|\${XDPFLOW_COLLECTOR}|127.0.0.1:4739|; s|\${XDPFLOW_TEXTFILE}|$T/svc.prom|; s|^/usr/local|$STAGE/usr/local|")
		cmd_cron=$(grep -E '^[*0-9]' "$cron" | sed -E 's/^([^ ]+ +){5}root +//' |
			sed "s|collector.example.net:4739|127.0.0.1:4739|; s|--output [^ ]*|--output $T/cron.prom|; s|^/usr/local|$STAGE/usr/local|")
		cat >"$T/export.sh" <<'SH'
# One frame into eth0, then the service's and the cron file's commands; a UDP sink on the
# loopback checks that the first datagram is IPFIX (version 10).
xdpflow-loader attach eth0 >/dev/null || exit 1
python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 4739))
while True:
    print(s.recv(65535)[:2].hex(), flush=True)' >"$T/sink.log" &
sink=$!
# Until the sink's socket is bound (at most 10 s).
for i in $(seq 100); do
	ss -Hlun 'sport = :4739' | grep -q . && break
	sleep 0.1
done
python3 -c '
import socket, struct
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("eth1", 0))
udp = struct.pack("!HHHH", 8000, 53, 8, 0)
ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 28, 0, 0, 64, 17, 0, bytes((192, 0, 2, 1)), bytes((192, 0, 2, 2)))
s.send(bytes.fromhex("ffffffffffff020000000001") + b"\x08\x00" + ip + udp)' || exit 1
$CMD_SVC || { echo "service ExecStart failed: $CMD_SVC"; exit 1; }
$CMD_CRON || { echo "cron command failed: $CMD_CRON"; exit 1; }
kill $sink
grep -qx 000a "$T/sink.log" || { echo "no IPFIX message (version 10) reached the collector"; exit 1; }
SH
		CMD_SVC=$cmd_svc CMD_CRON=$cmd_cron private '. "$T/export.sh"' >"$T/export.out" 2>&1
		if [ $? -eq 0 ] && grep -q '^xdpflow_' "$T/svc.prom" 2>/dev/null && grep -q '^xdpflow_' "$T/cron.prom" 2>/dev/null; then
			xf_pass "export examples (service ExecStart, cron line) run: IPFIX sent, textfiles written"
		else
			xf_fail "export examples run" "$(tail -n 2 "$T/export.out" | tr '\n' ' ')"
		fi
	else
		xf_skip "export examples run" "xdpflow-reader has no --drain yet"
	fi

	# Every command README.md and the man pages show.
	python3 - "$XF_ROOT" "$T/cmds.json" <<'PY'
import json, pathlib, re, shlex, sys
root = pathlib.Path(sys.argv[1])
tools = ("xdpflow-loader", "xdpflow-reader")
cmds = []
def blocks(text, fence):
    inside = False
    for line in text.splitlines():
        if line.strip().startswith(fence):
            inside = not inside
            continue
        if inside:
            yield line
def take(source, lines, scd):
    pending = ""
    for line in lines:
        line = pending + line.strip()
        cont = "\\\\" if scd else "\\"
        if line.endswith(cont):
            pending = line[: -len(cont)] + " "
            continue
        pending = ""
        m = re.match(r"^(?:[$#] )?((?:build/)?(?:xdpflow-loader|xdpflow-reader)(?:\s.*)?)$", line)
        if not m:
            if cmds and cmds[-1]["source"] == source and cmds[-1]["doc_next"] is None:
                cmds[-1]["doc_next"] = line
            continue
        try:
            lex = shlex.shlex(m.group(1), posix=True, punctuation_chars=True)
            lex.whitespace_split = True
            lex.commenters = "#"
            words = list(lex)
        except ValueError:
            continue
        argv = []
        for w in words:
            if w in ("|", ">", ">>", ";", "&&", "||", "2>&1") or w.startswith((">", "|")):
                break
            argv.append(w)
        argv[0] = argv[0].replace("build/", "")
        cmds.append({"source": source, "shown": m.group(1).strip(), "argv": argv, "doc_next": None})
take("README.md", blocks((root / "README.md").read_text(), "```"), False)
for scd in sorted((root / "docs/man").glob("*.scd")):
    take(scd.name, blocks(scd.read_text(), "```"), True)
json.dump(cmds, open(sys.argv[2], "w"))

PY
	cat >"$T/runcmds.py" <<'PY'
# Runs each command of cmds.json; prints one JSON line per command with its exit status.
import json, os, pty, select, signal, socket, subprocess, sys, threading, time
cmds = json.load(open(sys.argv[1]))
tmp = sys.argv[2]
sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sink.bind(("127.0.0.1", 4739))
threading.Thread(target=lambda: [sink.recv(65535) for _ in iter(int, 1)], daemon=True).start()
subprocess.run(["xdpflow-loader", "attach", "eth0"], capture_output=True)
def interactive(argv):
    # A terminal, an answer to the interface prompt, then Ctrl-C (SIGINT).
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(argv[0], argv)
    out, answered, start = b"", False, time.time()
    while time.time() - start < 2.5:
        r, _, _ = select.select([fd], [], [], 0.1)
        if r:
            try:
                out += os.read(fd, 65536)
            except OSError:
                break
        if not answered and b"Interface to watch" in out:
            os.write(fd, b"eth0\n")
            answered = True
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status), out
    os.kill(pid, signal.SIGINT)
    end = time.time() + 10
    while time.time() < end:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status), out
        try:
            if select.select([fd], [], [], 0.1)[0]:
                out += os.read(fd, 65536)
        except OSError:
            time.sleep(0.1)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    return "hung", out
for i, c in enumerate(cmds):
    argv = list(c["argv"])
    for j, w in enumerate(argv[:-1]):
        if w in ("-o", "--output"):
            argv[j + 1] = "%s/out.%d" % (tmp, i)
        if w == "--ipfix":
            argv[j + 1] = "127.0.0.1:4739"
    if argv[:2] == ["xdpflow-loader", "run"] or "-w" in argv or "--watch" in argv:
        rc, out = interactive(argv)
    else:
        try:
            p = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=30)
            rc, out = p.returncode, p.stdout + p.stderr
        except subprocess.TimeoutExpired:
            rc, out = "hung", b""
    lines = out.decode(errors="replace").strip().splitlines()
    print(json.dumps({"source": c["source"], "shown": c["shown"], "rc": rc, "doc_next": c["doc_next"],
                      "first": lines[:1], "last": lines[-1:]}), flush=True)
PY
	private "python3 '$T/runcmds.py' '$T/cmds.json' '$T'" >"$T/cmds.out" 2>"$T/cmds.err"
	local n
	n=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$T/cmds.json")
	if [ "$n" -lt 10 ]; then
		xf_fail "documented commands found" "only $n commands extracted from README.md and docs/man/*.scd"
	fi
	if [ "$(grep -c . "$T/cmds.out")" -ne "$n" ]; then
		xf_fail "documented commands run" "$(grep -c . "$T/cmds.out") of $n ran: $(tail -n 2 "$T/cmds.err" | tr '\n' ' ')"
	fi
	python3 - "$T/cmds.out" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    name = "documented command accepted (%s): %s" % (r["source"], r["shown"])
    doc = (r["doc_next"] or "").strip()
    # An example of an error: the tool must print the very line the page shows.
    if doc.startswith(("xdpflow-reader: ", "xdpflow-loader: ")) and ": warning: " not in doc:
        name = "documented error example (%s): %s" % (r["source"], r["shown"])
        if r["first"] == [doc] and r["rc"] != "hung":
            print("PASS: %s" % name)
        else:
            print("FAIL: %s: printed %s, the page shows %r" % (name, r["first"], doc))
        continue
    if r["rc"] == 2 or r["rc"] == "hung":
        print("FAIL: %s: %s %s" % (name, "usage error (exit 2):" if r["rc"] == 2 else "hung", " ".join(r["last"])))
    else:
        print("PASS: %s" % name)
PY
}
# The Python above prints PASS/FAIL lines itself; count them into the tally.
if [ "$(id -u)" = 0 ] && command -v ip >/dev/null && command -v python3 >/dev/null; then
	xf_mount_bpffs || xf_fail setup "cannot mount bpffs"
	run_root_checks >"$T/root.out"
	cat "$T/root.out"
	XF_PASSED=$((XF_PASSED + $(grep -c '^PASS: documented' "$T/root.out")))
	XF_FAILED=$((XF_FAILED + $(grep -c '^FAIL: documented' "$T/root.out")))
else
	xf_skip "installed tools, unit commands and documented commands" "needs root, ip and python3"
fi

# --- make uninstall removes exactly what install put (files of others stay)
if [ -d "$STAGE/usr/local" ]; then
	mkdir -p "$STAGE/usr/local/sbin" "$STAGE/usr/local/share/man/man8"
	echo other >"$STAGE/usr/local/sbin/other-tool"
	echo other >"$STAGE/usr/local/share/man/man8/other-tool.8"
	if make "${MAKE_ARGS[@]}" uninstall DESTDIR="$STAGE" PREFIX=/usr/local >"$T/uninstall.log" 2>&1; then
		left=$(cd "$STAGE" && find . -type f | sort | tr '\n' ' ')
		if [ "$left" = "./usr/local/sbin/other-tool ./usr/local/share/man/man8/other-tool.8 " ]; then
			xf_pass "make uninstall removes every installed file and nothing else"
		else
			xf_fail "make uninstall removes exactly the installed files" "left: $left"
		fi
	else
		xf_fail "make uninstall" "$(tail -n 1 "$T/uninstall.log")"
	fi
fi
xf_summary
