#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Privilege tests of xdpflow: pin modes, --group readers, read-only descriptors, and the errors without privileges.
#
# Runs as root. Creates a system group and two system users for the run (a member of the
# group and an outsider) and removes them on exit, with everything else it made. Users get
# capabilities with setpriv's ambient set, the way a service would be given them.
# LOADER=... READER=... test other builds (e.g. the ASan ones).
set -u
. "$(dirname "$0")/lib.sh"

xf_require_root test-privileges
xf_require_cmds bpftool nsenter python3 setpriv useradd groupadd userdel groupdel
LOADER=${LOADER:-$XF_BUILD/xdpflow-loader}
READER=${READER:-$XF_BUILD/xdpflow-reader}
xf_require_built "$LOADER" "$READER" "$XF_BUILD/xdpflow.bpf.o" "$XF_BUILD/tools/sendframes" "$XF_BUILD/tools/tryfdwrite"

NS=xdpflow-priv-$$
T=$XF_TMP
chmod 0755 "$T" # the test users run the tools from here
# ... and a copy of the reader there: the tree may be in a folder only root can enter (a
# clone in /root, 0700), where the test users could not run build/xdpflow-reader at all.
install -m 0755 "$READER" "$T/xdpflow-reader" || { xf_fail setup "cannot copy $READER to $T"; exit 1; }
UREADER=$T/xdpflow-reader
xf_netns "$NS" || { xf_fail setup "cannot create network namespace $NS"; exit 1; }
xf_veth "$NS" pa0 pb0 || { xf_fail setup "cannot create veth pa0/pb0"; exit 1; }
# Names of at most 16 characters; removed at exit, users first.
GROUP=xfpg$$ MEMBER=xfpm$$ OUTSIDER=xfpo$$
groupadd --system "$GROUP" || { xf_fail setup "groupadd $GROUP"; exit 1; }
xf_on_exit "groupdel '$GROUP'"
for u in "$MEMBER" "$OUTSIDER"; do
	useradd --system --no-create-home --home-dir / --shell /usr/sbin/nologin --user-group "$u" ||
		{ xf_fail setup "useradd $u"; exit 1; }
	xf_on_exit "userdel '$u'; groupdel '$u' 2>/dev/null"
done
usermod -a -G "$GROUP" "$MEMBER" || { xf_fail setup "usermod -G $GROUP $MEMBER"; exit 1; }

L() { xf_in "$NS" "$LOADER" "$@"; }
R() { xf_in "$NS" "$READER" "$@"; }
# as USER [CAPS] CMD...: run CMD as USER (its groups), with CAPS (e.g. +bpf,+sys_admin) ambient.
as() {
	local user=$1 caps=$2
	shift 2
	if [ -n "$caps" ]; then
		setpriv --reuid="$user" --regid="$user" --init-groups --inh-caps="$caps" --ambient-caps="$caps" "$@"
	else
		setpriv --reuid="$user" --regid="$user" --init-groups "$@"
	fi
}
CAPS=+bpf,+sys_admin

# modes DIR: "MODE GROUP" of the folder, then of every pin, one per line.
modes() { stat -c '%n %a %G' "$1" "$1"/xdpflow_* | sed "s|^$1/||; s|^$1 |folder |"; }

# counts_ok JSON EXPECT: the reader's totals are the frames sent.
counts_ok() {
	python3 -c '
import json, sys
t = json.load(open(sys.argv[1]))["totals"]; e = json.load(open(sys.argv[2]))
sys.exit([t["packets"], t["bytes"]] != e["total"])' "$1" "$2" 2>/dev/null
}

test_default_modes() {
	local dir want
	xf_pin_dir dir modes
	L attach -p "$dir" pb0 >/dev/null 2>&1 || { xf_fail "modes: attach" "$(L attach -p "$dir" pb0 2>&1)"; return; }
	want="folder 700 root"
	for m in xdpflow_clock xdpflow_fcache xdpflow_fgen xdpflow_flows xdpflow_layout xdpflow_refused xdpflow_stats; do
		want+=$'\n'"$m 600 root"
	done
	[ "$(modes "$dir")" = "$want" ] &&
		xf_pass "modes: by default the folder is 0700 and every pin 0600, root's" ||
		xf_fail "modes: by default the folder is 0700 and every pin 0600, root's" "$(modes "$dir" | tr '\n' ' ')"
	L detach -p "$dir" pb0 >/dev/null 2>&1
	L attach -p "$dir" pb0 >/dev/null 2>&1
	[ "$(modes "$dir")" = "$want" ] && xf_pass "modes: attaching again keeps them" ||
		xf_fail "modes: attaching again keeps them" "$(modes "$dir" | tr '\n' ' ')"
	L detach --purge -p "$dir" >/dev/null 2>&1
}

test_group() {
	local dir want m
	xf_pin_dir dir group
	L attach --group "$GROUP" -p "$dir" pb0 >"$T/out" 2>"$T/err" ||
		{ xf_fail "group: attach --group" "$(cat "$T/err")"; return; }
	want="folder 750 $GROUP"
	for m in xdpflow_clock xdpflow_fcache xdpflow_fgen xdpflow_flows xdpflow_layout xdpflow_refused xdpflow_stats; do
		want+=$'\n'"$m 640 $GROUP"
	done
	[ "$(modes "$dir")" = "$want" ] &&
		xf_pass "group: --group gives the folder 0750 and every pin 0640, of that group" ||
		xf_fail "group: --group gives the folder 0750 and every pin 0640, of that group" "$(modes "$dir" | tr '\n' ' ')"
	xf_gen_frames 3 "$T/g.spec" "$T/g.expect" 3
	xf_send "$NS" pa0 "$T/g.spec" >/dev/null || xf_fail "group: send" "frames dropped"
	as "$MEMBER" "$CAPS" nsenter --net="/run/netns/$NS" "$UREADER" -p "$dir" --format json >"$T/member.json" 2>"$T/err" &&
		[ ! -s "$T/err" ] && counts_ok "$T/member.json" "$T/g.expect" &&
		xf_pass "group: a member with CAP_BPF and CAP_SYS_ADMIN reads the counts (exact)" ||
		xf_fail "group: a member with CAP_BPF and CAP_SYS_ADMIN reads the counts (exact)" "$(cat "$T/err")"
	xf_expect_fail "group: a member without capabilities is told CAP_BPF and CAP_SYS_ADMIN" \
		"^xdpflow-reader: no permission to use the maps pinned at $dir: that needs CAP_BPF and CAP_SYS_ADMIN" \
		as "$MEMBER" "" "$UREADER" -p "$dir"
	xf_expect_fail "group: a non-member (even with the capabilities) gets a permission error naming the group" \
		"^xdpflow-reader: no permission to read .*$dir.* \(.*mode 0?750, group $GROUP\): run as root, or as a member of group $GROUP with CAP_BPF and CAP_SYS_ADMIN" \
		as "$OUTSIDER" "$CAPS" "$UREADER" -p "$dir"
	# The group stays with the pins when attaching again without --group.
	L detach -p "$dir" pb0 >/dev/null 2>&1
	L attach -p "$dir" pb0 >/dev/null 2>&1
	[ "$(modes "$dir")" = "$want" ] && xf_pass "group: attaching again without --group keeps it" ||
		xf_fail "group: attaching again without --group keeps it" "$(modes "$dir" | tr '\n' ' ')"
	L detach --purge -p "$dir" >/dev/null 2>&1

	# Under a folder the group cannot pass (systemd mounts /sys/fs/bpf 0700): warned, explained.
	local top
	xf_pin_dir top closed
	mkdir -m 0700 "$top"
	L attach --group "$GROUP" -p "$top/sub" pb0 >"$T/out" 2>"$T/err"
	grep -q "warning: the pins' group cannot reach $top/sub: $top has mode 0700; let it with 'chmod o+x $top'" "$T/err" &&
		xf_pass "group: attach --group warns when a folder above keeps the group out" ||
		xf_fail "group: attach --group warns when a folder above keeps the group out" "$(cat "$T/err")"
	xf_expect_fail "group: a member kept out by a folder above is told which and why" \
		"no permission to reach $top/sub: a folder above it is not searchable" \
		as "$MEMBER" "$CAPS" "$UREADER" -p "$top/sub"
	chmod o+x "$top"
	as "$MEMBER" "$CAPS" "$UREADER" -p "$top/sub" totals >/dev/null 2>"$T/err" &&
		xf_pass "group: once the folder lets it through, the member reads" ||
		xf_fail "group: once the folder lets it through, the member reads" "$(cat "$T/err")"
	L detach --purge -p "$top/sub" >/dev/null 2>&1
	rmdir "$top"
}

test_read_only() {
	local dir pid out i
	xf_pin_dir dir ro
	L attach -p "$dir" pb0 >/dev/null 2>&1 || { xf_fail "read-only: attach"; return; }
	# A reader that stays (--watch) holding its descriptors: take copies of them and write.
	# (nsenter execs the reader: $! is the reader itself.)
	nsenter --net="/run/netns/$NS" "$READER" -p "$dir" --watch 1 totals >"$T/ro.out" 2>&1 &
	pid=$!
	# Its first table is out once it has opened every map (at most 30 s on a busy machine).
	for ((i = 0; i < 300; i++)); do
		[ -s "$T/ro.out" ] && break
		sleep 0.1
	done
	if out=$("$XF_BUILD/tools/tryfdwrite" "$pid" 2>&1); then
		xf_pass "read-only: a write through each of the running reader's map descriptors fails with EPERM (figure: $(echo "$out" | tail -n 1))"
	else
		xf_fail "read-only: a write through each of the running reader's map descriptors fails with EPERM" "$(echo "$out" | tr '\n' '|')"
	fi
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	# Control: a process holding a writable descriptor is caught (the tool can tell).
	python3 - "$dir/xdpflow_stats" "$T/holder.ready" <<-'PY' &
		import ctypes, os, struct, sys, time
		nr = {"x86_64": 321, "aarch64": 280}.get(os.uname().machine)
		if nr is None:
		    sys.exit(3)
		path = ctypes.create_string_buffer(sys.argv[1].encode())
		attr = ctypes.create_string_buffer(struct.pack("<QII", ctypes.addressof(path), 0, 0), 64)
		libc = ctypes.CDLL(None, use_errno=True)
		fd = libc.syscall(nr, 7, attr, 64)  # BPF_OBJ_GET, read-write
		if fd < 0:
		    sys.exit(4)
		open(sys.argv[2], "w").close()
		time.sleep(10)
	PY
	pid=$!
	for _ in $(seq 50); do [ -e "$T/holder.ready" ] && break; sleep 0.1; done
	if [ -e "$T/holder.ready" ]; then
		"$XF_BUILD/tools/tryfdwrite" "$pid" >"$T/out" 2>&1
		[ $? = 1 ] && grep -q "update taken\|update Bad file descriptor\|update Invalid argument" "$T/out" &&
			xf_pass "read-only: control: a read-write descriptor is caught taking the write" ||
			xf_fail "read-only: control: a read-write descriptor is caught taking the write" "$(tr '\n' '|' <"$T/out")"
	else
		xf_skip "read-only: control: a read-write descriptor is caught" "cannot open a pin from python here"
	fi
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	L detach --purge -p "$dir" >/dev/null 2>&1
}

test_no_privileges() {
	local dir cmd
	xf_pin_dir dir nopriv
	L attach -p "$dir" pb0 >/dev/null 2>&1 || { xf_fail "no privileges: attach"; return; }
	# A user without capabilities, and root with every capability dropped.
	for who in nobody root-without-capabilities; do
		local run=(setpriv --reuid=65534 --regid=65534 --clear-groups)
		[ $who = root-without-capabilities ] && run=(setpriv --inh-caps=-all --bounding-set=-all)
		for cmd in attach detach run clean; do
			xf_expect_fail "no privileges ($who): loader $cmd names CAP_NET_ADMIN, CAP_BPF and CAP_SYS_ADMIN" \
				"^xdpflow-loader: $cmd needs CAP_NET_ADMIN, CAP_BPF and CAP_SYS_ADMIN \(missing: .*CAP_SYS_ADMIN\)" \
				xf_in "$NS" "${run[@]}" "$LOADER" "$cmd" -p "$dir" pb0
		done
		xf_expect_fail "no privileges ($who): loader status names CAP_BPF and CAP_SYS_ADMIN" \
			"^xdpflow-loader: status needs CAP_BPF and CAP_SYS_ADMIN" xf_in "$NS" "${run[@]}" "$LOADER" status -p "$dir"
		xf_expect_fail "no privileges ($who): loader list names CAP_SYS_ADMIN" \
			"^xdpflow-loader: cannot see the XDP programs: reading them needs CAP_SYS_ADMIN" \
			xf_in "$NS" "${run[@]}" "$LOADER" list -p "$dir"
		xf_expect_fail "no privileges ($who): reader names CAP_BPF and CAP_SYS_ADMIN" \
			"^xdpflow-reader: no permission to .*CAP_BPF and CAP_SYS_ADMIN" \
			xf_in "$NS" "${run[@]}" "$READER" -p "$dir"
	done
	[ -n "$(xf_xdp_ids "$NS" pb0)" ] && [ "$(stat -c %a "$dir"/xdpflow_stats)" = 600 ] &&
		xf_pass "no privileges: the refused commands changed nothing" ||
		xf_fail "no privileges: the refused commands changed nothing"
	L detach --purge -p "$dir" >/dev/null 2>&1
}

# The tools never run another program: neither they nor a library they load imports a
# function that could (checked on the binaries: nm lists what each object imports).
test_no_exec() {
	local tool obj found objs=0 exec_fns='execve|execv|execvp|execvpe|execl|execlp|execle|fexecve|system|popen|posix_spawn|posix_spawnp|fork|vfork'
	if ! command -v nm >/dev/null || ! command -v ldd >/dev/null; then
		xf_skip "no exec" "needs nm and ldd (binutils, libc-bin)"
		return
	fi
	# Control: a program known to run others is caught.
	nm -D --undefined-only "$(command -v setpriv)" | grep -Eqw "$exec_fns" ||
		{ xf_fail "no exec: control" "nm finds no exec function in setpriv"; return; }
	for tool in "$LOADER" "$READER"; do
		for obj in "$tool" $(ldd "$tool" | awk '$3 ~ /^\// { print $3 }'); do
			objs=$((objs + 1))
			found=$(nm -D --undefined-only "$obj" 2>/dev/null | awk '{ print $NF }' | grep -Ew "^($exec_fns)(@.*)?$" | tr '\n' ' ')
			[ -z "$found" ] || { xf_fail "no exec: $(basename "$tool") runs no other program" "$obj imports $found"; return; }
		done
	done
	xf_pass "no exec: neither tool nor any library they load imports exec, system, popen, posix_spawn or fork (figure: $objs objects checked)"
}

test_default_modes
test_group
test_read_only
test_no_privileges
test_no_exec
xf_summary
