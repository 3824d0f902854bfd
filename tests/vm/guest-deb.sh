#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Guest script: the Debian package installed, upgraded while attached, removed and purged with dpkg on a throwaway root, under Debian's stock kernel.
#
# Usage (tests/test-deb.sh runs it with the two packages it built):
#   tests/vm/guest-deb.sh --dpkg-db DPKG_DB.tar    (on the host, optional)
#   tests/vm/run-vm.sh tests/vm/guest-deb.sh OLD.deb NEW.deb [DPKG_DB.tar]
# OLD and NEW are two builds of the same source (so of the same map layout version), NEW of
# the higher version; both lie in the project, which the guest sees read-write. DPKG_DB.tar,
# the host's dpkg status and file lists in one file, saves the ~15 s the guest takes to copy
# them file by file over 9p.
#
# The throwaway root is an overlay of the host's / (which the guest sees read-only over
# 9p) with every change in a tmpfs, entered with chroot in a mount namespace of its own:
# dpkg's database and /usr change only there and vanish with the guest. The project, /sys
# (and its bpf filesystem) and /dev are the guest's. man-db's trigger is turned off in the
# overlay (/var/lib/man-db/auto-update removed): rebuilding the host's whole man index
# under tcg takes minutes and says nothing about xdpflow.
#
# In that root, on a veth in a network namespace (dpkg and the unit's commands run there,
# as on a machine where the interface is in the root namespace), with the default pin
# folder /sys/fs/bpf/xdpflow (the guest's own bpf filesystem): dpkg -i OLD (apt takes a
# minute under tcg to read the package lists: tests/test-deb.sh checks apt's dependency
# resolution on the host with apt-get -s), nothing attached or pinned by it; the
# unit's ExecStart (no --obj) attaches through libxdp's dispatcher; frames counted exactly
# (ground truth from tests/lib.sh); dpkg -i NEW while attached: prerm upgrade silent, the
# same program still attached, the counts kept, the tools now NEW's; ExecStop then
# ExecStart (a restart): the new loader reuses the pins and counts on; dpkg -r: one line
# naming the interface and the pin folder, xdpflow still attached and counting, the pins
# kept; dpkg -P: every path the package put is gone, bpffs untouched.
set -u

here=$(cd "$(dirname "$0")" && pwd -P)
self=$here/$(basename "$0")

# dpkg_db: what dpkg reads of its database for every operation, as a tar on stdout: the
# status file and the ~1,000 file lists (var/lib/dpkg/info/*.list) of the root it runs in.
dpkg_db() {
	(cd / && find var/lib/dpkg/status var/lib/dpkg/info -maxdepth 1 \( -name status -o -name '*.list' \) -print0 |
		tar --null -T - -cf -)
}

# make_root [DPKG_TAR]: the overlay root, in this (private) mount namespace; prints its path.
make_root() {
	local r=/tmp/xdpflow-deb-root.$$ project
	project=$(cd "$here/../.." && pwd -P)
	mkdir -p "$r" && mount -t tmpfs -o mode=0755 deb-root "$r" &&
		mkdir "$r/upper" "$r/work" "$r/root" || return 1
	# What dpkg reads of its database, in the tmpfs from the start (the overlay shows these
	# copies over the same files below, so the database is the host's): dpkg reads every
	# package's file list for every operation, ~15 s each time over 9p under tcg.
	if [ -n "${1:-}" ]; then
		tar -C "$r/upper" -xf "$1" || return 1
	else
		dpkg_db | tar -C "$r/upper" -xf - || return 1
	fi
		mount -t overlay overlay -o "lowerdir=/,upperdir=$r/upper,workdir=$r/work" "$r/root" ||
		return 1
	r=$r/root
	mount -t proc proc "$r/proc" && mount --rbind /sys "$r/sys" && mount --rbind /dev "$r/dev" &&
		mount -t tmpfs tmp "$r/tmp" && mount -t tmpfs run "$r/run" && mount -t tmpfs home "$r/root" &&
		mkdir -p "$r$project" && mount --bind "$project" "$r$project" &&
		rm -f "$r/var/lib/man-db/auto-update" || return 1
	echo "$r"
}

case ${1:-} in
--dpkg-db)
	# Run on the host: DPKG_DB.tar for the guest.
	dpkg_db >"${2:?--dpkg-db needs a file}"
	exit
	;;
--root)
	shift
	root=$(make_root "${3:-}") || { echo "FAIL: deb: setup: cannot make the overlay root (overlayfs over the host's / in a tmpfs)"; exit 1; }
	exec chroot "$root" /bin/bash "$self" --inside "$1" "$2"
	;;
--inside)
	shift
	;;
*)
	if [ "${XDPFLOW_VM:-}" != 1 ]; then
		echo "guest-deb.sh: meant to run inside the VM (it installs packages): tests/vm/run-vm.sh $0 OLD.deb NEW.deb" >&2
		exit 2
	fi
	if [ $# -lt 2 ] || [ $# -gt 3 ]; then
		echo "usage: $0 OLD.deb NEW.deb [DPKG_DB.tar]" >&2
		exit 2
	fi
	old=$(realpath -e -- "$1") && new=$(realpath -e -- "$2") || exit 2
	db=
	if [ $# = 3 ]; then db=$(realpath -e -- "$3") || exit 2; fi
	exec unshare -m --propagation private bash "$self" --root "$old" "$new" ${db:+"$db"}
	;;
esac

# --- in the throwaway root
cd "$here/../.." || exit 1
. tests/lib.sh
. tests/vm/guest-lib.sh
xf_require_cmds dpkg xdp-loader nsenter python3
OLD=$1 NEW=$2
T=$XF_TMP
old_v=$(dpkg-deb -f "$OLD" Version) new_v=$(dpkg-deb -f "$NEW" Version)
unset XDPFLOW_OBJ XDPFLOW_PIN_PATH LOADER READER
P=/sys/fs/bpf/xdpflow
UNIT=/usr/lib/systemd/system/xdpflow@.service
BUILD_LOADER=$XF_BUILD/xdpflow-loader
xf_require_built "$BUILD_LOADER" "$XF_BUILD/xdpflow-reader" "$XF_BUILD/tools/sendframes"

setup_fail() { xf_fail "deb: setup" "$1"; xf_summary; exit 1; }
dpkg --compare-versions "$new_v" gt "$old_v" || setup_fail "$NEW ($new_v) is not newer than $OLD ($old_v)"
! dpkg-query -W -f='${Status}' xdpflow 2>/dev/null | grep -q ' installed$' ||
	setup_fail "the host has xdpflow installed: this test installs it on a root without it"
[ ! -e "$P" ] || setup_fail "$P exists before the test"
NS=xdpflow-deb-$$
{ xf_netns "$NS" && xf_veth "$NS" xd0 xd1; } || setup_fail "cannot create namespace $NS with veth xd0/xd1"
xf_on_exit "xf_in '$NS' '$BUILD_LOADER' detach --purge -p '$P'"

# What the packages put, and which of those paths the root already had (those may stay).
{ dpkg-deb -c "$OLD"; dpkg-deb -c "$NEW"; } | awk '{ sub(/^\./, "", $6); if ($6 != "/") print $6 }' |
	sed 's|/$||' | sort -u >"$T/paths"
while read -r p; do [ -e "$p" ] || echo "$p"; done <"$T/paths" >"$T/new-paths"
grep -qx /usr/sbin/xdpflow-loader "$T/new-paths" || setup_fail "/usr/sbin/xdpflow-loader is not among the new paths of the packages"

# unit Start|Stop: run the installed unit's ExecStart/ExecStop for xd1 (%I) in $NS.
unit() {
	local line cmd
	# A leading '-' (its failure does not fail the unit) is systemd's, not the command's.
	line=$(sed -n "s/^Exec$1=-\{0,1\}//p" "$UNIT" 2>/dev/null)
	[ -n "$line" ] || { echo "no Exec$1= in $UNIT"; return 1; }
	read -r -a cmd <<<"${line//%I/xd1}"
	echo "# Exec$1: ${cmd[*]}"
	xf_in "$NS" "${cmd[@]}"
}
version_is() { # TOOL VERSION: the installed TOOL's --version names VERSION
	local out
	out=$("/usr/sbin/$1" --version 2>&1 | head -n 1)
	[[ $out == "$1 $2" || $out == "$1 $2 "* ]] || { echo "$1 --version: $out"; return 1; }
}
installed_version() { dpkg-query -W -f='${Status} ${Version}' xdpflow 2>/dev/null; }
# dpkg_i DEB VERSION OUTPUT NAME: dpkg -i DEB in $NS (its output to OUTPUT); PASS NAME when
# dpkg then has VERSION installed.
dpkg_i() {
	local rc
	xf_in "$NS" dpkg -i "$1" >"$3" 2>&1
	rc=$?
	if [ $rc -eq 0 ] && [ "$(installed_version)" = "install ok installed $2" ]; then
		xf_pass "$4"
	else
		xf_fail "$4" "exit $rc, dpkg says '$(installed_version)': $(tail -n 2 "$3" | tr '\n' ' ')"
		return 1
	fi
}
# What runs on xd1, as "xdp_dispatcher ID xdpflow ID ..." (xdp-loader status); empty: nothing.
progs() { vm_status "$NS" xd1 | awk '$2 == "xdp_dispatcher" { printf "%s %s ", $2, $4 } $1 == "=>" { printf "%s %s ", $3, $4 }'; }
xdpflow_in() { sed -n 's/.*xdpflow \([0-9]*\).*/\1/p' <<<"$1"; }
pins_there() { [ -e "$P/xdpflow_layout" ] && [ -e "$P/xdpflow_stats" ]; }
# counts NAME EXPECT [READER]: the pinned counts for xd1 are exactly EXPECT.
counts() { READER=${3:-} vm_counts_match "$1" "$2" "$P" "$NS" xd1; }
send() { xf_send "$NS" xd0 "$1" >"$T/send.out" || xf_fail "deb: send frames" "$(cat "$T/send.out")"; }

# --- install (tests/test-deb.sh checks on the host that apt-get install ./xdpflow_*.deb, as
# README says, resolves the same dependencies: apt itself takes a minute under tcg)
dpkg_i "$OLD" "$old_v" "$T/install.out" "deb: dpkg -i installs xdpflow $old_v on a root without it" ||
	{ xf_summary; exit 1; }
xf_check "deb: the installed tools are version $old_v" version_is xdpflow-loader "$old_v"
if ! ip -n "$NS" -d link show xd1 | grep -q 'prog/xdp' && [ -z "$(find /sys/fs/bpf -name xdpflow_layout 2>/dev/null)" ]; then
	xf_pass "deb: installing attaches nothing and pins nothing (the unit is not started)"
else
	xf_fail "deb: installing attaches nothing" "on xd1: $(progs); pins: $(find /sys/fs/bpf -name xdpflow_layout)"
fi

# --- the unit's ExecStart attaches the packaged object, through the dispatcher
unit Start >"$T/start.out" 2>&1
progs1=$(progs)
id1=$(xdpflow_in "$progs1")
if [ -n "$id1" ]; then
	xf_pass "deb: the unit's ExecStart (/usr/sbin/xdpflow-loader attach, no --obj) attaches xdpflow to xd1"
else
	xf_fail "deb: the unit's ExecStart attaches xdpflow" "$(tail -n 1 "$T/start.out"); on xd1: $progs1"
fi
if [[ $progs1 == "xdp_dispatcher "* ]]; then
	xf_pass "deb: the packaged loader runs xdpflow in libxdp's dispatcher on this kernel"
else
	xf_fail "deb: the packaged loader runs xdpflow in libxdp's dispatcher" "on xd1: $progs1"
fi
xf_gen_frames 161 "$T/a.spec" "$T/a.json" 31
xf_gen_frames 162 "$T/b.spec" "$T/b.json" 32
xf_expect_sum "$T/a.json" "$T/b.json" >"$T/ab.json"
send "$T/a.spec"
counts "deb: the installed loader and object count every frame sent, exactly (read by the installed reader)" \
	"$T/a.json" /usr/sbin/xdpflow-reader

# --- upgrade while attached
dpkg_i "$NEW" "$new_v" "$T/upgrade.out" "deb: dpkg -i upgrades $old_v to $new_v while xdpflow is attached"
echo "# dpkg -i said: $(tr '\n' '|' <"$T/upgrade.out")"
if grep -q '^xdpflow' "$T/upgrade.out"; then
	xf_fail "deb: prerm upgrade says nothing" "$(grep '^xdpflow' "$T/upgrade.out")"
else
	xf_pass "deb: prerm upgrade says nothing (no xdpflow line in dpkg's output)"
fi
vm_check "deb: the upgrade detaches nothing (on xd1: $progs1)" "$progs1" "$(progs)"
xf_check "deb: the upgraded tools are version $new_v" version_is xdpflow-loader "$new_v"

# --- a restart (ExecStop, ExecStart) runs the new loader on the same pins
unit Stop >"$T/stop.out" 2>&1
rc=$?
if [ $rc -eq 0 ] && ! ip -n "$NS" -d link show xd1 | grep -q 'prog/xdp' && pins_there; then
	xf_pass "deb: the unit's ExecStop detaches xdpflow from xd1 and keeps the pins"
else
	xf_fail "deb: the unit's ExecStop detaches and keeps the pins" "exit $rc: $(tail -n 1 "$T/stop.out"); on xd1: $(progs); pins: $(ls "$P" 2>&1 | tr '\n' ' ')"
fi
unit Start >"$T/start.out" 2>&1
progs2=$(progs)
id2=$(xdpflow_in "$progs2")
if [ -n "$id2" ] && [ "$id2" != "$id1" ]; then
	xf_pass "deb: the unit's ExecStart attaches the new build's xdpflow (program id $id1 -> $id2)"
else
	xf_fail "deb: ExecStart after the upgrade attaches again" "$(tail -n 1 "$T/start.out"); xdpflow id $id1 -> '$id2'"
fi
counts "deb: the new loader reuses the pins: the counts are kept through the upgrade and the restart" "$T/a.json" /usr/sbin/xdpflow-reader

# --- remove: the one-line notice, xdpflow stays attached and counting, the pins stay
xf_in "$NS" dpkg -r xdpflow >"$T/remove.out" 2>&1
rc=$?
echo "# dpkg -r said: $(tr '\n' '|' <"$T/remove.out")"
notice=$(grep '^xdpflow' "$T/remove.out")
if [ $rc -ne 0 ] || [ -e /usr/sbin/xdpflow-loader ]; then
	xf_fail "deb: dpkg -r removes the package" "exit $rc: $(tail -n 1 "$T/remove.out")"
elif [ "$(grep -c . <<<"$notice")" -ne 1 ] || [[ $notice != *"xdpflow attached to xd1 (pins $P)"* ]]; then
	xf_fail "deb: dpkg -r says in one line what stays attached and where the pins are" "$notice"
else
	xf_pass "deb: dpkg -r removes the package and says in one line: xdpflow attached to xd1 (pins $P)"
fi
vm_check "deb: after dpkg -r the same programs stay attached (on xd1: $progs2)" "$progs2" "$(progs)"
send "$T/b.spec"
counts "deb: after dpkg -r xdpflow counts on into its pins, exactly (read by the build tree's reader)" "$T/ab.json"

# --- purge: every path the package put is gone; bpffs untouched
xf_in "$NS" dpkg -P xdpflow >"$T/purge.out" 2>&1
rc=$?
left=$(while read -r p; do [ -e "$p" ] && echo "$p"; done <"$T/new-paths"; ls /var/lib/dpkg/info/xdpflow.* 2>/dev/null)
if [ $rc -ne 0 ]; then
	xf_fail "deb: dpkg -P purges the package" "exit $rc: $(tail -n 1 "$T/purge.out")"
elif state=$(dpkg-query -W -f='${db:Status-Status}' xdpflow 2>/dev/null) && [ "$state" != not-installed ]; then
	xf_fail "deb: dpkg -P purges the package" "dpkg still has it: $(installed_version)"
elif [ -n "$left" ]; then
	xf_fail "deb: dpkg -P removes every path the package put" "left: $(tr '\n' ' ' <<<"$left")"
else
	xf_pass "deb: dpkg -P removes all $(wc -l <"$T/new-paths") paths the package put (of $(wc -l <"$T/paths") in dpkg-deb -c) and its dpkg records"
fi
if [ "$(progs)" = "$progs2" ] && pins_there; then
	xf_pass "deb: after dpkg -P xdpflow stays attached and its pins stay (purging leaves bpffs alone)"
else
	xf_fail "deb: after dpkg -P xdpflow stays attached and its pins stay" "on xd1: $(progs) (was $progs2); pins: $(ls "$P" 2>&1 | tr '\n' ' ')"
fi
xf_summary
