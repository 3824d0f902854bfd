#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Tests of the Debian package: make deb in a clean clone of the current commit, the files and fields of the packages, lintian, the version, the packaged tools counting, the prerm, and install/upgrade/remove/purge with dpkg in a Debian 12 guest.
#
# The package is built from a git clone of HEAD (uncommitted changes are not in it) in a
# folder of its own, whose parent must hold nothing else afterwards. What the package must
# contain is this test's own list, not read from the Makefile or debian/. The packaged
# tools run from the unpacked package (dpkg-deb -x), not installed: the loader finds the
# unpacked object from its own folder, counts frames sent into a veth exactly (ground truth
# from tests/lib.sh), and the package's prerm is run as dpkg would run it on removal.
# Then, in a guest of the VM tier (tests/vm/guest-deb.sh, started as soon as the packages
# are built and run while the host checks do), dpkg installs a previous build of the same
# commit on a throwaway root, upgrades it to this one while attached, removes and purges it.
set -u
. "$(dirname "$0")/lib.sh"

xf_require_cmds git dpkg-buildpackage dh lintian dpkg-parsechangelog dpkg-architecture readelf strace
T=$XF_TMP
MA=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
ARCH=$(dpkg --print-architecture)

# --- make deb in a clean clone of HEAD
head=$(git -C "$XF_ROOT" rev-parse HEAD)
if [ -n "$(git -C "$XF_ROOT" status --porcelain --untracked-files=no 2>/dev/null)" ]; then
	echo "# note: uncommitted changes in $XF_ROOT are not in the package (it is built from $head)"
fi
mkdir "$T/parent"
SRC=$T/parent/xdpflow
if ! git clone -q --no-checkout "$XF_ROOT" "$SRC" || ! git -C "$SRC" checkout -q "$head"; then
	xf_fail setup "cannot clone $XF_ROOT at $head"
	xf_summary
	exit 1
fi
VERSION=$(dpkg-parsechangelog -l "$SRC/debian/changelog" -SVersion)
DEB=$SRC/build/xdpflow_${VERSION}_$ARCH.deb
DBGSYM=$SRC/build/xdpflow-dbgsym_${VERSION}_$ARCH.deb

# The part that runs the tools (as root) and the VM part at the end need these.
can_run=1
for c in ip nsenter python3 unshare "$XF_BUILD/tools/sendframes"; do
	command -v "$c" >/dev/null || can_run=0
done
[ "$(id -u)" = 0 ] || can_run=0
VM=${XDPFLOW_DEB_VM:-1}
((can_run)) || VM=0
# The VM part's previous build builds meanwhile, in a clone of its own: this commit with the
# version of debian/changelog's first entry lowered to VERSION~prev1. It builds under strace:
# the files it opens and the programs it runs are the Build-Depends test's evidence.
PREV=${VERSION}~prev1
if [ "$VM" != 0 ]; then
	mkdir "$T/prev"
	{ git clone -q --no-checkout "$XF_ROOT" "$T/prev/xdpflow" && git -C "$T/prev/xdpflow" checkout -q "$head" &&
		sed -i "1s/^xdpflow ($VERSION)/xdpflow ($PREV)/" "$T/prev/xdpflow/debian/changelog" &&
		strace -f -qq -e trace=execve,openat,open -e status=successful -o "$T/build-prev.trace" \
			make -C "$T/prev/xdpflow" --no-print-directory deb; } >"$T/build-prev.log" 2>&1 &
	prev_pid=$!
fi
start=$SECONDS
if make -C "$SRC" --no-print-directory deb >"$T/build.log" 2>&1; then
	xf_pass "make deb in a clean clone builds ($((SECONDS - start)) s)"
else
	xf_fail "make deb in a clean clone" "$(grep -m1 -iE 'error|unmet' "$T/build.log" || tail -n 1 "$T/build.log")"
fi
for f in "$DEB" "$DBGSYM" "$SRC/build/xdpflow_${VERSION}_$ARCH.changes" "$SRC/build/xdpflow_${VERSION}_$ARCH.buildinfo"; do
	if [ -f "$f" ]; then
		xf_pass "make deb: build/$(basename "$f")"
	else
		xf_fail "make deb: build/$(basename "$f")" "missing (build/ has: $(ls "$SRC/build" 2>/dev/null | tr '\n' ' '))"
	fi
done
left=$(ls -A "$T/parent")
if [ "$left" = xdpflow ]; then
	xf_pass "make deb leaves nothing in the clone's parent folder"
else
	xf_fail "make deb leaves nothing in the clone's parent folder" "found: $(echo $left)"
fi
dirty=$(git -C "$SRC" status --porcelain --ignored | grep -v '^!! build/$')
if [ -z "$dirty" ]; then
	xf_pass "make deb leaves the clone clean but for build/ (debian/ cleaned)"
else
	xf_fail "make deb leaves the clone clean" "$(echo $dirty | head -c 300)"
fi
if [ ! -f "$DEB" ]; then
	xf_summary
	exit 1
fi

# build_depends_check TRACE CONTROL CLONE: Build-Depends names exactly what the package build
# used. From the strace of a whole make deb: each file it opened or program it ran is mapped
# to its package with dpkg-query -S, leaving out the clone, /tmp, /etc and the locale and
# time zone files (the build's own files and the machine's settings) and /lib32, /usr/lib32
# (dpkg-shlibdeps opens the libraries of every library folder there is). Every such package
# must be in what Build-Depends (debhelper-compat standing for debhelper) and the Essential
# packages pull in, or build-essential with its recommendations (dpkg-dev loads
# libfile-fcntllock-perl when it is there) (apt-cache depends --recurse); every program run
# must belong to a package (nothing from /usr/local); and every Build-Depends entry must be
# used, itself or a package it depends on (clang by clang-14).
build_depends_check() {
	python3 - "$@" >"$T/bd.out" <<'PY'
import os, re, subprocess, sys

trace, control, skip = sys.argv[1], sys.argv[2], sys.argv[3:]
text = open(control).read()
field = re.search(r"^Build-Depends:(.*?)(?=^\S|\Z)", text, re.M | re.S).group(1)
bdeps = sorted({re.split(r"[\s(\[:]", alt.strip())[0] for dep in field.split(",") for alt in dep.split("|") if alt.strip()})
bdeps = ["debhelper" if b == "debhelper-compat" else b for b in bdeps]

line_re = re.compile(r'^\d+ +(execve|openat|open)\((?:AT_FDCWD, )?"([^"]+)"')
skip = tuple(p + "/" for p in skip) + ("/tmp/", "/proc/", "/sys/", "/dev/", "/run/", "/etc/", "/usr/share/locale/",
                                       "/usr/lib/locale/", "/usr/share/zoneinfo/", "/lib32/", "/usr/lib32/", "/libx32/", "/usr/libx32/")
ran, opened = set(), set()
for line in open(trace, errors="replace"):
    m = line_re.match(line)
    if not m or not m.group(2).startswith("/") or m.group(2).startswith(skip):
        continue
    (ran if m.group(1) == "execve" else opened).add(m.group(2))
ran = {p for p in ran if os.path.exists(p)}

def forms_of(p):
    # dpkg knows a file by the path its package ships (/bin/sed) or the merged-/usr one.
    fs = {p, os.path.realpath(p)}
    for f in list(fs):
        fs.add(f[4:] if re.match(r"/usr/(s?bin|lib)", f) else "/usr" + f)
    return fs

forms = {p: forms_of(p) for p in ran | opened}
out = subprocess.run(["dpkg-query", "-S"] + sorted(set().union(*forms.values())), capture_output=True, text=True).stdout
owner = {}
for l in out.splitlines():
    if not l.startswith("diversion by"):
        pkgs, path = l.split(": ", 1)
        owner[path] = {p.strip().split(":")[0] for p in pkgs.split(",")}
used = set().union(*(owner.get(f, set()) for fs in forms.values() for f in fs))
unowned = sorted(p for p in ran if not any(f in owner for f in forms[p]))

def depends(names, recurse, recommends=False):
    out = subprocess.run(["apt-cache", "depends", "--installed", "--no-suggests", "--no-conflicts", "--no-breaks",
                          "--no-replaces", "--no-enhances"] + ([] if recommends else ["--no-recommends"]) +
                         (["--recurse"] if recurse else []) + names, capture_output=True, text=True).stdout
    if recurse:
        return {l.split(":")[0] for l in out.splitlines() if l and not l.startswith((" ", "<"))}
    return {l.split(":", 1)[1].strip().strip("<>") for l in out.splitlines() if l.strip().startswith("Depends:")}

ess = subprocess.run(["dpkg-query", "-W", "-f", "${Package} ${Essential}\n"], capture_output=True, text=True).stdout
ess = [l.split()[0] for l in ess.splitlines() if l.endswith(" yes")]
outside = sorted(used - depends(bdeps + ess, True) - depends(["build-essential"], True, True))
unused = [b for b in bdeps if b not in used and not depends([b], False) & used]
print("bdeps", " ".join(bdeps))
print("files", len(ran), len(opened), len(used))
print("outside", " ".join(outside))
print("unused", " ".join(unused))
print("unowned", " ".join(unowned))
PY
	local bdeps files outside unused unowned
	bdeps=$(sed -n 's/^bdeps //p' "$T/bd.out")
	files=$(sed -n 's/^files //p' "$T/bd.out")
	outside=$(sed -n 's/^outside //p' "$T/bd.out")
	unused=$(sed -n 's/^unused //p' "$T/bd.out")
	unowned=$(sed -n 's/^unowned //p' "$T/bd.out")
	if [ -z "$files" ] || [ "${files%% *}" = 0 ]; then
		xf_fail "Build-Depends" "no trace of the build to read: $(head -c 300 "$T/bd.out")"
	elif [ -z "$outside" ] && [ -z "$unowned" ]; then
		set -- $files
		xf_pass "Build-Depends: make deb ($1 programs run, $2 files read, of $3 packages) used nothing beyond what $bdeps, the Essential packages and build-essential (with its recommendations) pull in"
	else
		xf_fail "Build-Depends: make deb used nothing beyond its closure" "packages outside: ${outside:-none}; programs of no package: ${unowned:-none}"
	fi
	if [ -n "$bdeps" ] && [ -z "$unused" ]; then
		xf_pass "Build-Depends: make deb used each of $bdeps (or the package it stands for)"
	else
		xf_fail "Build-Depends: make deb used each entry" "unused: $unused"
	fi
}
# --- the VM part starts now and runs while the host checks below do (its report is at the
# end): install, upgrade while attached, remove and purge with dpkg on a throwaway root of a
# Debian 12 guest (tests/vm/guest-deb.sh under tests/vm/run-vm.sh), from the previous build
# to this one. The guest sees only the project read-write: the packages go there.
kernel=${XDPFLOW_VM_KERNEL:-6.1}
vm_pid=
if [ "$VM" != 0 ]; then
	if ! wait "$prev_pid" || [ ! -f "$T/prev/xdpflow/build/xdpflow_${PREV}_$ARCH.deb" ]; then
		xf_fail "make deb of the previous build ($PREV)" "$(grep -m1 -iE 'error|unmet' "$T/build-prev.log" || tail -n 1 "$T/build-prev.log")"
	else
		mkdir -p "$XF_ROOT/build/vm"
		VMDIR=$(mktemp -d "$XF_ROOT/build/vm/deb.XXXXXX")
		xf_on_exit "rm -rf '$VMDIR'"
		cp "$DEB" "$T/prev/xdpflow/build/xdpflow_${PREV}_$ARCH.deb" "$VMDIR/"
		"$XF_ROOT/tests/vm/guest-deb.sh" --dpkg-db "$VMDIR/dpkg-db.tar"
		vm_start=$SECONDS
		"$XF_ROOT/tests/vm/run-vm.sh" --timeout 900 --kernel "$kernel" "$XF_ROOT/tests/vm/guest-deb.sh" \
			"$VMDIR/xdpflow_${PREV}_$ARCH.deb" "$VMDIR/xdpflow_${VERSION}_$ARCH.deb" "$VMDIR/dpkg-db.tar" >"$T/vm.out" 2>&1 &
		vm_pid=$!
		# run-vm.sh stops qemu on SIGTERM.
		xf_on_exit "kill $vm_pid; wait $vm_pid"
		build_depends_check "$T/build-prev.trace" "$T/prev/xdpflow/debian/control" "$T/prev/xdpflow"
	fi
fi

# --- the files of the package: exactly these (a regex each), with these modes
EXPECTED=(
	"usr/sbin/xdpflow-loader 755"
	"usr/sbin/xdpflow-reader 755"
	"usr/lib/$MA/bpf/xdpflow\.bpf\.o 644"
	"usr/share/man/man7/xdpflow\.7\.gz 644"
	"usr/share/man/man8/xdpflow-loader\.8\.gz 644"
	"usr/share/man/man8/xdpflow-reader\.8\.gz 644"
	"usr/lib/systemd/system/xdpflow@\.service 644"
	"usr/share/bash-completion/completions/xdpflow-loader 644"
	"usr/share/bash-completion/completions/xdpflow-reader 644"
	"usr/share/doc/xdpflow/examples/xdpflow-export\.service 644"
	"usr/share/doc/xdpflow/examples/xdpflow-export\.timer 644"
	"usr/share/doc/xdpflow/examples/xdpflow-export\.cron 644"
	"usr/share/doc/xdpflow/README\.md(\.gz)? 644"
	"usr/share/doc/xdpflow/DESIGN\.md(\.gz)? 644"
	"usr/share/doc/xdpflow/EXPORT\.md(\.gz)? 644"
	"usr/share/doc/xdpflow/PERFORMANCE\.md(\.gz)? 644"
	"usr/share/doc/xdpflow/PERFORMANCE-HISTORY\.md(\.gz)? 644"
	"usr/share/doc/xdpflow/perf-curve\.svg(\.gz)? 644"
	"usr/share/doc/xdpflow/copyright 644"
	"usr/share/doc/xdpflow/changelog\.gz 644"
	"usr/share/lintian/overrides/xdpflow 644"
)
# dpkg-deb -c: "-rw-r--r-- root/root 123 date time ./path"; files only, as "path mode".
dpkg-deb -c "$DEB" | awk '$1 ~ /^-/ { sub(/^\.\//, "", $6); print $6, $1 }' |
	python3 -c '
import stat, sys
for line in sys.stdin:
    path, perms = line.split()
    mode = 0
    for i, c in enumerate(perms[1:]):
        if c != "-":
            mode |= 1 << (8 - i)
    print(path, "%o" % mode)' >"$T/files"
unmatched=$(grep -vEf <(for e in "${EXPECTED[@]}"; do echo "^${e% *} "; done) "$T/files")
for e in "${EXPECTED[@]}"; do
	re=${e% *} mode=${e##* }
	got=$(grep -E "^$re " "$T/files")
	if [ -z "$got" ]; then
		xf_fail "package holds /${re//\\/}" "not in dpkg-deb -c"
	elif [ "${got##* }" != "$mode" ]; then
		xf_fail "package holds /${got% *} mode $mode" "mode ${got##* }"
	else
		xf_pass "package holds /${got% *}, mode $mode"
	fi
done
if [ -z "$unmatched" ]; then
	xf_pass "package holds no file beyond the ${#EXPECTED[@]} listed (no test data, no build files)"
else
	xf_fail "package holds no file beyond the list" "$(echo $unmatched)"
fi
n=$(dpkg-deb -c "$DBGSYM" | grep -cE '/usr/lib/debug/\.build-id/../.*\.debug$')
if [ "$n" -eq 2 ]; then
	xf_pass "the -dbgsym package holds the two tools' debug symbols (by build id)"
else
	xf_fail "the -dbgsym package holds the two tools' debug symbols" "$n usr/lib/debug/.build-id/*.debug files in it"
fi

# --- contents
ROOT=$T/root
dpkg-deb -x "$DEB" "$ROOT"
dpkg-deb -e "$DEB" "$T/control"
unit=$ROOT/usr/lib/systemd/system/xdpflow@.service
if grep -qx 'ExecStart=/usr/sbin/xdpflow-loader attach %I' "$unit" &&
	grep -qx 'ExecStop=-/usr/sbin/xdpflow-loader detach %I' "$unit"; then
	xf_pass "xdpflow@.service runs /usr/sbin/xdpflow-loader attach %I and detach %I (its exit 1 for a vanished interface not failing the unit)"
else
	xf_fail "xdpflow@.service commands" "$(grep ^Exec "$unit" | tr '\n' ' ')"
fi
if grep -q '/usr/sbin/xdpflow-reader --drain' "$ROOT/usr/share/doc/xdpflow/examples/xdpflow-export.service" &&
	grep -q ' root /usr/sbin/xdpflow-reader --drain' "$ROOT/usr/share/doc/xdpflow/examples/xdpflow-export.cron"; then
	xf_pass "export examples run /usr/sbin/xdpflow-reader"
else
	xf_fail "export examples run /usr/sbin/xdpflow-reader" "$(grep -h xdpflow-reader "$ROOT"/usr/share/doc/xdpflow/examples/* | head -n 2)"
fi
for page in xdpflow.7 xdpflow-loader.8 xdpflow-reader.8; do
	if zcat "$ROOT/usr/share/man/man${page##*.}/$page.gz" | cmp -s - "$SRC/docs/man/$page"; then
		xf_pass "man page $page is the tree's docs/man/$page"
	else
		xf_fail "man page $page is the tree's" "differs from docs/man/$page"
	fi
done
copyright=$ROOT/usr/share/doc/xdpflow/copyright
if head -n 1 "$copyright" | grep -qx 'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/' &&
	awk '/^Files: \*$/ { f = 1 } f && /^License: / { print; exit }' "$copyright" | grep -qx 'License: GPL-2' &&
	awk '/^Files: tests\/corpus\/tcpdump/ { f = 1 } f && /^License: / { print; exit }' "$copyright" | grep -q 'License: BSD'; then
	xf_pass "copyright: machine-readable, GPL-2 for xdpflow, BSD for the tcpdump corpus"
else
	xf_fail "copyright: machine-readable, GPL-2, BSD for the corpus" "see debian/copyright"
fi
if readelf -h "$ROOT/usr/lib/$MA/bpf/xdpflow.bpf.o" | grep -q 'Machine:.*BPF' &&
	readelf -S "$ROOT/usr/lib/$MA/bpf/xdpflow.bpf.o" | grep -q '\.BTF '; then
	xf_pass "the packaged XDP object is BPF with its BTF (not stripped)"
else
	xf_fail "the packaged XDP object keeps its BTF" "no .BTF section or not a BPF ELF"
fi

# --- fields: Depends computed by debhelper, the version of debian/changelog
field() { dpkg-deb -f "$DEB" "$1"; }
if grep -Fqx 'Depends: ${misc:Depends}, ${shlibs:Depends}' "$SRC/debian/control" &&
	field Depends | grep -q 'libxdp1 (>= ' && field Depends | grep -q 'libbpf1 (>= '; then
	xf_pass "Depends computed by debhelper: $(field Depends)"
else
	xf_fail "Depends computed by debhelper" "debian/control: $(grep '^Depends' "$SRC/debian/control"); package: $(field Depends)"
fi
if field Recommends | grep -qw xdp-tools && field Suggests | grep -qw bpftool; then
	xf_pass "Recommends xdp-tools, Suggests bpftool"
else
	xf_fail "Recommends xdp-tools, Suggests bpftool" "Recommends: $(field Recommends); Suggests: $(field Suggests)"
fi
if grep -q '^Build-Depends:.*debhelper-compat (= 13)' "$SRC/debian/control"; then
	xf_pass "debhelper compat level 13 (Debian 12's) through debhelper-compat"
else
	xf_fail "debhelper compat level 13" "$(grep -A1 '^Build-Depends' "$SRC/debian/control" | tr '\n' ' ')"
fi
for tool in xdpflow-reader xdpflow-loader; do
	out=$("$ROOT/usr/sbin/$tool" --version 2>&1)
	if [ $? -eq 0 ] && [ "$(field Version)" = "$VERSION" ] && [[ $out == "$tool $VERSION "* || $out == "$tool $VERSION" ]]; then
		xf_pass "$tool --version prints the package's version, debian/changelog's ($VERSION)"
	else
		xf_fail "$tool --version prints the package's version" "package $(field Version), changelog $VERSION, $tool: $out"
	fi
done
if "$ROOT/usr/sbin/xdpflow-loader" attach --help | tr -s ' \n' ' ' | grep -q "in /usr/lib/$MA/bpf)"; then
	xf_pass "the packaged loader's default object folder is /usr/lib/$MA/bpf (attach --help)"
else
	xf_fail "the packaged loader's default object folder" "$("$ROOT/usr/sbin/xdpflow-loader" attach --help | grep -A2 -- --obj | tr -s ' \n' ' ')"
fi

# --- apt resolves the package's dependencies (simulated: apt-get install as README says; the
# VM part below installs with dpkg, since apt takes a minute under tcg)
if apt-get -s install "$DEB" >"$T/apt.out" 2>&1 && grep -q "^Inst xdpflow ($VERSION " "$T/apt.out"; then
	xf_pass "apt-get install ./xdpflow_${VERSION}_$ARCH.deb resolves its dependencies (apt-get -s: $(grep -c '^Inst ' "$T/apt.out") to install)"
else
	xf_fail "apt-get install ./xdpflow_${VERSION}_$ARCH.deb resolves" "$(grep -E '^(E|W): |^ [a-z]' "$T/apt.out" | head -n 3 | tr '\n' ' ')"
fi

# --- lintian: no error or warning but those overridden, each override with its reason
lintian -I --fail-on error,warning "$SRC/build/xdpflow_${VERSION}_$ARCH.changes" >"$T/lintian.out" 2>&1
rc=$?
if [ $rc -eq 0 ] && ! grep -qE '^(E|W): ' "$T/lintian.out" && ! grep -qE 'unused-override|mismatched-override' "$T/lintian.out"; then
	xf_pass "lintian: no error or warning, no unused override ($(grep -c '^I: ' "$T/lintian.out") info)"
else
	xf_fail "lintian" "exit $rc: $(grep -E '^(E|W): |override' "$T/lintian.out" | head -n 3 | tr '\n' ' ')"
fi
for f in "$SRC"/debian/*lintian-overrides "$SRC"/debian/source/lintian-overrides; do
	[ -f "$f" ] || continue
	bare=$(awk '/^#/ { why = 1; next } /^[[:space:]]*$/ { why = 0; next } !why { print } { why = why }' "$f")
	if [ -z "$bare" ]; then
		xf_pass "every override in ${f#"$SRC"/} has a comment saying why"
	else
		xf_fail "every override in ${f#"$SRC"/} has a comment saying why" "$bare"
	fi
done

# --- the packaged tools count; the prerm keeps what runs and says so; nothing else touches bpffs
if ! ((can_run)); then
	xf_skip "packaged tools, prerm, Build-Depends, and the VM part" "need root, ip, nsenter, python3, unshare and make tests-build"
	xf_summary
	exit
fi
xf_mount_bpffs || { xf_fail setup "cannot mount bpffs"; xf_summary; exit 1; }
NS=xdpflow-deb-$$
xf_netns "$NS" && xf_veth "$NS" xd0 xd1 || { xf_fail setup "cannot create namespace $NS with veth xd0/xd1"; xf_summary; exit 1; }
xf_pin_dir P deb
PKG_LOADER=$ROOT/usr/sbin/xdpflow-loader
if xf_in "$NS" env -u XDPFLOW_OBJ "$PKG_LOADER" attach -p "$P" xd1 >"$T/attach.out" 2>&1; then
	xf_pass "the packaged loader attaches without --obj (finds ../lib/$MA/bpf/xdpflow.bpf.o)"
else
	xf_fail "the packaged loader attaches without --obj" "$(tail -n 1 "$T/attach.out")"
fi
xf_on_exit "nsenter --net=/run/netns/$NS '$PKG_LOADER' detach -p '$P'"
xf_gen_frames 16 "$T/a.spec" "$T/a.json" 16
xf_send "$NS" xd0 "$T/a.spec" >/dev/null || xf_fail "send frames" "the veth dropped frames"
counts_exact() {
	local why
	xf_map_counts "$P" >"$T/actual.json" || { xf_fail "$1" "cannot read the maps at $P"; return; }
	if why=$(xf_compare "$T/a.json" "$T/actual.json" "$(xf_ifindex "$NS" xd1)" 2>&1); then
		xf_pass "$1"
	else
		xf_fail "$1" "$why"
	fi
}
counts_exact "the packaged loader and object count every frame sent, exactly"

prerm=$T/control/prerm
sh -n "$prerm" || xf_fail "prerm is valid sh" "sh -n failed"
PATH_PKG=$ROOT/usr/sbin:/usr/sbin:/usr/bin:/sbin:/bin
xf_in "$NS" env PATH="$PATH_PKG" sh "$prerm" remove >"$T/prerm.out" 2>"$T/prerm.err"
rc=$?
line=$(grep -F "(pins $P)" "$T/prerm.out")
echo "# prerm remove said: $(cat "$T/prerm.out")"
if [ $rc -ne 0 ]; then
	xf_fail "prerm remove" "exit $rc: $(cat "$T/prerm.err")"
elif [ "$(grep -c . "$T/prerm.out")" -ne 1 ] || [ -s "$T/prerm.err" ]; then
	xf_fail "prerm remove says it in one line" "$(cat "$T/prerm.out" "$T/prerm.err" | tr '\n' '|')"
elif [[ $line != *"xdpflow attached to xd1 (pins $P)"* ]]; then
	xf_fail "prerm remove names the interface and the pin folder" "$(cat "$T/prerm.out")"
else
	xf_pass "prerm remove says in one line where xdpflow runs (xd1) and where its pins are"
fi
if [ -n "$(xf_xdp_ids "$NS" xd1)" ] && [ -e "$P/xdpflow_layout" ]; then
	xf_pass "prerm remove leaves xdpflow attached and its pins in place"
else
	xf_fail "prerm remove leaves xdpflow attached and its pins" "attached: $(xf_xdp_ids "$NS" xd1), pins: $(ls "$P" 2>&1)"
fi
counts_exact "the counts after prerm remove are those before"
xf_in "$NS" env PATH="$PATH_PKG" sh "$prerm" upgrade "$VERSION" >"$T/prerm.out" 2>&1
rc=$?
if [ $rc -eq 0 ] && [ ! -s "$T/prerm.out" ]; then
	xf_pass "prerm upgrade says nothing and exits 0"
else
	xf_fail "prerm upgrade" "exit $rc: $(cat "$T/prerm.out")"
fi
xf_in "$NS" env PATH=/usr/bin:/bin sh "$prerm" remove >"$T/prerm.out" 2>&1
rc=$?
if [ $rc -eq 0 ] && grep -qE "pins .*$P( |\))" "$T/prerm.out" && [ "$(grep -c . "$T/prerm.out")" -eq 1 ]; then
	xf_pass "prerm remove without any xdpflow tool exits 0 and still names the pins"
else
	xf_fail "prerm remove without any xdpflow tool" "exit $rc: $(cat "$T/prerm.out")"
fi
# A mount namespace of its own without the bpf filesystem (unshare makes mounts private).
unshare -m sh -c 'umount -l /sys/fs/bpf 2>/dev/null; while mountpoint -q /sys/fs/bpf; do umount -l /sys/fs/bpf; done
	PATH="$1" exec sh "$2" remove' _ "$PATH_PKG" "$prerm" >"$T/prerm.out" 2>&1
rc=$?
if [ $rc -eq 0 ] && [ ! -s "$T/prerm.out" ]; then
	xf_pass "prerm remove without a bpf filesystem exits 0 and says nothing"
else
	xf_fail "prerm remove without a bpf filesystem" "exit $rc: $(cat "$T/prerm.out")"
fi
touching=$(cd "$T/control" && grep -lE 'fs/bpf|xdpflow-loader|rm -' preinst postinst postrm 2>/dev/null)
if [ -z "$touching" ]; then
	xf_pass "no other maintainer script (preinst, postinst, postrm: purge) touches bpffs or detaches"
else
	xf_fail "no other maintainer script touches bpffs" "$touching"
fi

# --- the VM part's report (started after the build, above)
if [ "${XDPFLOW_DEB_VM:-1}" = 0 ]; then
	xf_skip "vm: install, upgrade, remove, purge, and Build-Depends" "XDPFLOW_DEB_VM=0"
elif [ -n "$vm_pid" ]; then
	wait_start=$SECONDS
	wait "$vm_pid"
	rc=$?
	vm_pid=
	sed -E "s/^(PASS|FAIL|SKIP): /\1: vm $kernel: /" "$T/vm.out" | grep -v '^[0-9]* passed, [0-9]* failed'
	echo "# the guest run took $((SECONDS - vm_start)) s on the host; the host checks were done $((SECONDS - wait_start)) s before it"
	p=$(grep -c '^PASS: ' "$T/vm.out") f=$(grep -c '^FAIL: ' "$T/vm.out") s=$(grep -c '^SKIP: ' "$T/vm.out")
	XF_PASSED=$((XF_PASSED + p)) XF_FAILED=$((XF_FAILED + f)) XF_SKIPPED=$((XF_SKIPPED + s))
	if [ $rc -eq 77 ] && [ "$s" -eq 0 ]; then
		xf_skip "vm $kernel: install, upgrade, remove, purge" "tests/vm/run-vm.sh cannot run qemu or get the kernel here"
	elif [ $rc -ne 0 ] && [ $rc -ne 77 ] && [ "$f" -eq 0 ]; then
		xf_fail "vm $kernel: install, upgrade, remove, purge" "tests/vm/run-vm.sh exited $rc"
	fi
fi
xf_summary
