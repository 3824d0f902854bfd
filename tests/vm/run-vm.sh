#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs one test script inside Debian's stock kernel under qemu (tcg), against the binaries built on the host.
#
# Usage: tests/vm/run-vm.sh [--timeout SECS] [--kernel KERNEL] SCRIPT [ARGS...]
#
# Why a VM at all: the host kernel refuses BPF_PROG_TYPE_EXT, so libxdp's multi-prog
# dispatcher can only be exercised under a distribution kernel (see PLATFORM.md).
# The guest sees the host's / read-only over 9p and the project root read-write at the
# same absolute path (wherever the project is, /tmp and /root included; not below /proc,
# /sys, /dev or /run, which the guest mounts anew), so SCRIPT runs
# the very binaries in build/ and writes results there.
# KERNEL (default $XDPFLOW_VM_KERNEL, else 6.1) is a Debian registry kernel: 6.1 (the one
# linux-image-amd64 names), 6.12, or either with a flavour, 6.1-rt, 6.12-rt, 6.12-cloud
# (linux-image-[6.12-]FLAVOUR-amd64), or a linux-image-* package name; --list-kernels
# prints the names and what each resolves to.
# Exit status: the guest script's; 77 (SKIP) when qemu or the kernel cannot be had;
# 124 when the guest did not finish within the timeout (default 300 s).
#
# Measured on the 2-core dev machine, guest kernel 6.1.0-56-amd64: qemu start to power-off
# takes about 7 s for an empty script and ~10 s for tests/vm/guest-smoke.sh; the first run
# also downloads the kernel (70 MB) and builds the initramfs, about 6 s more. Under tcg an
# exec costs ~40 ms, a python start ~0.5 s, an xdpflow attach ~1-2 s (the verifier) and
# `bpftool feature probe` ~2 s: batch checks into one script per boot.
#
# The script runs as root with cwd the project root, /tmp, /run and /root on tmpfs (the
# project mounted over them where it lies below), bpffs on /sys/fs/bpf, and in its
# environment XDPFLOW_VM=1, XDPFLOW_VM_KERNEL (the KERNEL name), XDPFLOW_VM_HZ (the guest
# kernel's CONFIG_HZ), XDPFLOW_HOST_KERNEL (the host's uname -r), and the caller's CI and
# other XDPFLOW_* variables. The guest cannot modprobe: modules it needs must be listed in
# $modules below.
#
# Leaves in build/vm/: the cached kernels (one folder per package, with its config) and
# their initramfs, and per script NAME (SCRIPT's basename without extension) NAME.log (its
# output), NAME.rc (its status) and NAME.console (the guest's serial console, for when the
# guest itself fails). XDPFLOW_VM_CACHE names another folder for the kernels (a second
# clone of the project can share the first one's).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
root=$(cd "$here/../.." && pwd -P)
vmdir=$root/build/vm
cache=${XDPFLOW_VM_CACHE:-$vmdir}

# The kernel names the matrix knows (KERNEL: package linux-image-amd64 depends on, or is).
KERNELS="6.1 6.12 6.1-rt 6.12-rt 6.1-cloud 6.12-cloud"
# meta_of KERNEL: the package to resolve (a meta-package is resolved to the kernel it names).
meta_of() {
	case $1 in
	6.1) echo linux-image-amd64 ;;
	6.12) echo linux-image-6.12-amd64 ;;
	6.1-[a-z]*) echo "linux-image-${1#6.1-}-amd64" ;;
	6.12-[a-z]*) echo "linux-image-6.12-${1#6.12-}-amd64" ;;
	linux-image-*) echo "$1" ;;
	*) return 1 ;;
	esac
}

timeout_s=300
kernel=${XDPFLOW_VM_KERNEL:-6.1}
list=
while [ $# -gt 0 ]; do
	case $1 in
	--timeout) timeout_s=${2:?--timeout needs a value}; shift 2 ;;
	--timeout=*) timeout_s=${1#--timeout=}; shift ;;
	--kernel) kernel=${2:?--kernel needs a value}; shift 2 ;;
	--kernel=*) kernel=${1#--kernel=}; shift ;;
	--list-kernels) list=1; shift ;;
	--) shift; break ;;
	-*) echo "run-vm.sh: unknown option $1" >&2; exit 2 ;;
	*) break ;;
	esac
done
if [ -n "$list" ]; then
	for k in $KERNELS; do
		m=$(meta_of "$k")
		printf '%-11s %-29s %s\n' "$k" "$m" "$(apt-cache depends "$m" 2>/dev/null |
			sed -n 's/^ *Depends: \(linux-image-[^ ]*\)$/\1/p' | head -n1)"
	done
	exit 0
fi
if [ $# -lt 1 ]; then
	echo "usage: $0 [--timeout SECS] [--kernel KERNEL] SCRIPT [ARGS...]" >&2
	exit 2
fi
case $timeout_s in ''|*[!0-9]*) echo "run-vm.sh: bad timeout '$timeout_s'" >&2; exit 2 ;; esac
meta=$(meta_of "$kernel") ||
	{ echo "run-vm.sh: unknown kernel '$kernel': one of $KERNELS, or a linux-image-* package" >&2; exit 2; }

script=$(realpath -e -- "$1") || { echo "run-vm.sh: no such script: $1" >&2; exit 2; }
shift
case $script in
"$root"/*) ;;
*) echo "run-vm.sh: $script is outside the project ($root); the guest only sees the project read-write and the rest of / as the host has it" >&2; exit 2 ;;
esac
# The project path goes on the kernel command line, which splits on whitespace.
case $root in *[[:space:]]*) echo "run-vm.sh: project path '$root' contains whitespace" >&2; exit 2 ;; esac
# The guest mounts its own /proc, /sys, /dev and /run (and the tier a private /run per
# stream) over those folders: a project there would be hidden. Anywhere else works.
case $root in /proc/* | /sys/* | /dev/* | /run/*)
	echo "run-vm.sh: the project is in ${root%"${root#/*/}"}, which the guest mounts anew; clone it anywhere else (e.g. /tmp or /root)" >&2
	exit 2
	;;
esac
name=$(basename "$script"); name=${name%.*}

skip() { echo "SKIP: vm tier: $*"; exit 77; }

# Modules to insmod, in this order (dependencies found with modinfo are pulled in first).
# veth is what the tests attach XDP to; sch_ingress/cls_bpf/dummy are cheap extras for tc
# and dummy-device tests, overlay makes guest-deb.sh's throwaway root, since the guest has
# no /lib/modules of its own to modprobe from.
modules="virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci netfs fscache 9pnet 9pnet_virtio 9p veth dummy sch_ingress cls_bpf overlay"

# The guest's /init, run by busybox from the initramfs. Its hash keys the initramfs cache.
read -r -d '' init_script <<'EOF' || true
#!/bin/sh
export PATH=/bin
/bin/busybox mkdir -p /dev
/bin/busybox mount -t devtmpfs dev /dev
# The initramfs has no /dev/console node (building it would need root for mknod).
exec </dev/console >/dev/console 2>&1
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t tmpfs tmp /tmp
mount -t tmpfs run /run

for m in $(cat /modules.order); do
	insmod /lib/modules/$m.ko || echo "init: insmod $m failed"
done

for arg in $(cat /proc/cmdline); do
	case $arg in
	xdpflow_project=*) project=${arg#*=} ;;
	xdpflow_job=*) job=${arg#*=} ;;
	esac
done

die() { echo "init: $*"; sync; poweroff -f; }
[ -n "$project" ] && [ -n "$job" ] || die "xdpflow_project/xdpflow_job missing from the command line"

# Large msize (512000 is virtio's maximum): the 6.1 default of 8 KiB makes every exec
# over 9p crawl under tcg.
# cache=loose on the read-only root lets the guest keep what it read; the project share
# stays uncached so every write reaches the host before power-off.
opts=trans=virtio,version=9p2000.L,msize=512000
mount -t 9p -o $opts,ro,cache=loose hostroot /newroot || die "cannot mount the host root"
mount -t proc proc /newroot/proc
mount -t sysfs sys /newroot/sys
mount -t devtmpfs dev /newroot/dev
mkdir -p /newroot/dev/pts /newroot/dev/shm
mount -t devpts devpts /newroot/dev/pts
# devtmpfs has no /dev/fd: bash's process substitution <(...) needs it.
ln -s /proc/self/fd /newroot/dev/fd
ln -s /proc/self/fd/0 /newroot/dev/stdin
ln -s /proc/self/fd/1 /newroot/dev/stdout
ln -s /proc/self/fd/2 /newroot/dev/stderr
mount -t tmpfs shm /newroot/dev/shm
mount -t tmpfs tmp /newroot/tmp
mount -t tmpfs run /newroot/run
# A writable HOME for tools that keep caches or history there.
mount -t tmpfs home /newroot/root
# The project last: it may lie below one of those tmpfs (a clone in /tmp or /root), where
# its mount point is made now.
mkdir -p /newroot$project && mount -t 9p -o $opts project /newroot$project ||
	die "cannot mount the project at $project"
mount -t bpf bpf /newroot/sys/fs/bpf
mount -t tracefs tracefs /newroot/sys/kernel/tracing 2>/dev/null
mount -t debugfs debugfs /newroot/sys/kernel/debug 2>/dev/null
hostname xdpflow-vm
ip link set lo up

out=/newroot$project/build/vm/$job
chroot /newroot /usr/bin/env -i /bin/bash "$project/build/vm/$job.job" >"$out.log" 2>&1
echo $? >"$out.rc"
sync
poweroff -f
EOF

mkdir -p "$vmdir" "$cache"
exec 9>"$cache/.lock"
# One VM at a time: runs share the cache, and two tcg guests on 2 cores would both crawl.
flock 9
# Left by a run that was killed outright; safe to remove while holding the lock.
rm -rf "$cache"/.tmp.*

tmp=$(mktemp -d "$cache/.tmp.XXXXXX")
qpid=
# shellcheck disable=SC2317 # run by the trap
cleanup() {
	if [ -n "$qpid" ] && kill -0 "$qpid" 2>/dev/null; then
		kill "$qpid" 2>/dev/null || true
		wait "$qpid" 2>/dev/null || true
	fi
	rm -rf "$tmp"
	rm -f "$vmdir/$name.job"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# apt-get update once, and only when a look-up or install found nothing.
apt_updated=
apt_update() {
	[ -z "$apt_updated" ] && [ "$(id -u)" = 0 ] || return 1
	apt_updated=1
	apt-get update -q >"$tmp/apt-update.log" 2>&1 || { cat "$tmp/apt-update.log" >&2; return 1; }
}

# Returns 0 when the package is installed (afterwards).
need_pkg() {
	local pkg=$1
	[ "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null)" = "install ok installed" ] && return 0
	[ "$(id -u)" = 0 ] && command -v apt-get >/dev/null || return 1
	echo "vm: installing $pkg" >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$pkg" >"$tmp/apt.log" 2>&1 && return 0
	apt_update || return 1
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$pkg" >"$tmp/apt.log" 2>&1 && return 0
	cat "$tmp/apt.log" >&2
	return 1
}

need_pkg qemu-system-x86 || command -v qemu-system-x86_64 >/dev/null ||
	skip "qemu-system-x86_64 is not installed and cannot be installed"
qemu-system-x86_64 -accel help 2>/dev/null | grep -qx tcg || skip "qemu-system-x86_64 has no tcg accelerator"
# The dynamic busybox would need its libraries in the initramfs.
need_pkg busybox-static || skip "busybox-static is not installed and cannot be installed"
need_pkg cpio || command -v cpio >/dev/null || skip "cpio is not installed and cannot be installed"

# kernel_pkg: the kernel package $meta stands for (itself when it is not a meta-package).
kernel_pkg() {
	local dep
	dep=$(apt-cache depends "$meta" 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[^ ]*\)$/\1/p' | head -n1)
	if [ -n "$dep" ]; then
		echo "$dep"
	elif apt-cache show "$meta" 2>/dev/null | grep -q '^Filename: .*/linux-image-'; then
		echo "$meta"
	fi
}

# Unpacks the kernel package into $cache/PKG/: vmlinuz, its config and the wanted modules
# only (the whole package is ~400 MB unpacked).
fetch_kernel() {
	local pkg=$1 new=$tmp/kernel kv m
	rm -rf "$tmp/deb" "$new"
	mkdir -p "$tmp/deb" "$new/modules"
	(cd "$tmp/deb" && apt-get download -q "$pkg" >"$tmp/download.log" 2>&1) || return 1
	echo "vm: unpacking $pkg" >&2
	# Called in a condition, where set -e does not apply: hence the explicit returns.
	dpkg-deb -x "$tmp/deb/$pkg"_*.deb "$tmp/deb/root" || return 1
	kv=$(ls "$tmp/deb/root/lib/modules") || return 1
	cp "$tmp/deb/root/boot/vmlinuz-$kv" "$new/vmlinuz" || return 1
	cp "$tmp/deb/root/boot/config-$kv" "$new/config" || return 1
	echo "$kv" >"$new/version"
	local mdir=$tmp/deb/root/lib/modules/$kv order=
	# Depth-first so each module's dependencies come before it.
	add_module() {
		local m=$1 f dep
		case " $order " in *" $m "*) return ;; esac
		f=$(find "$mdir/kernel" -name "$m.ko" -o -name "$m.ko.xz" -o -name "$m.ko.zst" -o -name "$m.ko.gz" | head -n1)
		if [ -z "$f" ]; then
			if grep -q "/$m\.ko$" "$mdir/modules.builtin" 2>/dev/null; then
				echo "vm: $m is built into $kv" >&2
			else
				echo "vm: $m is not in $kv, skipped" >&2
			fi
			return
		fi
		if command -v modinfo >/dev/null; then
			for dep in $(modinfo -F depends "$f" 2>/dev/null | tr , ' '); do
				add_module "${dep//-/_}" || return 1
			done
		fi
		# busybox insmod only takes plain ELF.
		case $f in
		*.xz) xz -dc "$f" ;;
		*.zst) zstd -qdc "$f" ;;
		*.gz) gzip -dc "$f" ;;
		*) cat "$f" ;;
		esac >"$new/modules/$m.ko" || return 1
		order="$order $m"
	}
	for m in $modules; do add_module "$m" || return 1; done
	echo "${order# }" >"$new/modules.order"
	echo "$modules" >"$new/modules.wanted"
	echo "$meta" >"$new/meta"
	rm -rf "$tmp/deb"
	# Only the kernel $meta now names is worth keeping (folders without meta are older caches).
	for d in "$cache"/linux-image-*/; do
		[ -d "$d" ] || continue
		[ -f "$d/meta" ] && [ "$(cat "$d/meta")" != "$meta" ] && continue
		rm -rf "$d"
	done
	mv "$new" "$cache/$pkg"
}

kernel_ok() {
	[ -f "$cache/$1/vmlinuz" ] && [ -f "$cache/$1/config" ] &&
		[ "$(cat "$cache/$1/modules.wanted" 2>/dev/null)" = "$modules" ]
}

pkg=$(kernel_pkg)
if [ -z "$pkg" ] && apt_update; then pkg=$(kernel_pkg); fi
if [ -n "$pkg" ] && ! kernel_ok "$pkg"; then
	echo "vm: downloading $pkg" >&2
	if ! fetch_kernel "$pkg"; then
		# The package lists may name a kernel the mirror has dropped since.
		if apt_update && pkg=$(kernel_pkg) && [ -n "$pkg" ] && { kernel_ok "$pkg" || fetch_kernel "$pkg"; }; then
			:
		else
			cat "$tmp/download.log" >&2 2>/dev/null || true
			pkg=
		fi
	fi
fi
if [ -z "$pkg" ]; then
	# No apt look-up or download possible: fall back on a kernel cached for $meta.
	for d in "$cache"/linux-image-*/; do
		[ "$(cat "$d/meta" 2>/dev/null)" = "$meta" ] || continue
		d=$(basename "$d")
		kernel_ok "$d" && pkg=$d
	done
	[ -n "$pkg" ] || skip "cannot resolve or download the kernel of $meta ($kernel)"
	echo "vm: using cached $pkg" >&2
fi
kdir=$cache/$pkg
kver=$(cat "$kdir/version")
hz=$(sed -n 's/^CONFIG_HZ=//p' "$kdir/config")

busybox=/bin/busybox
key=$({ echo "$init_script"; cat "$kdir/modules.order"; sha256sum "$busybox"; } | sha256sum | cut -c1-16)
initrd=$kdir/initramfs-$key.cpio
if [ ! -f "$initrd" ]; then
	echo "vm: building initramfs" >&2
	rm -f "$kdir"/initramfs-*.cpio
	ir=$tmp/initramfs
	mkdir -p "$ir"/{bin,dev,proc,sys,tmp,run,newroot,lib/modules}
	cp "$busybox" "$ir/bin/busybox"
	ln -s busybox "$ir/bin/sh"
	cp "$kdir"/modules/*.ko "$ir/lib/modules/" 2>/dev/null || true
	cp "$kdir/modules.order" "$ir/modules.order"
	printf '%s\n' "$init_script" >"$ir/init"
	chmod 755 "$ir/init"
	# Uncompressed: tcg decompresses slowly and the loader reads the file at host speed.
	(cd "$ir" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) >"$initrd.new"
	mv "$initrd.new" "$initrd"
fi

# The job file carries SCRIPT and ARGS, which the kernel command line could not quote.
{
	echo "# written by tests/vm/run-vm.sh for one guest run"
	echo "export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 TERM=dumb XDPFLOW_VM=1"
	printf 'export XDPFLOW_HOST_KERNEL=%q XDPFLOW_VM_KERNEL=%q XDPFLOW_VM_HZ=%q\n' "$(uname -r)" "$kernel" "$hz"
	# Pass the caller's CI flag and project settings through to the guest.
	for v in CI $(compgen -e | grep '^XDPFLOW_' || true); do
		case $v in XDPFLOW_VM | XDPFLOW_HOST_KERNEL | XDPFLOW_VM_KERNEL | XDPFLOW_VM_HZ | XDPFLOW_VM_CACHE) continue ;; esac
		[ -n "${!v+x}" ] && printf 'export %s=%q\n' "$v" "${!v}"
	done
	printf 'cd %q\n' "$root"
	printf 'exec /bin/bash %q' "$script"
	[ $# -gt 0 ] && printf ' %q' "$@"
	echo
} >"$vmdir/$name.job"
rm -f "$vmdir/$name.log" "$vmdir/$name.rc" "$vmdir/$name.console"

# shellcheck disable=SC2054 # the commas are qemu's
qemu_args=(
	-accel tcg -cpu max -smp 2 -m 2048
	-nodefaults -no-user-config -display none -no-reboot
	-serial "file:$vmdir/$name.console"
	-kernel "$kdir/vmlinuz" -initrd "$initrd"
	# clocksource=tsc: the kernel otherwise picks the HPET under tcg, and every clock read
	# (each exec, each timestamp) becomes a syscall plus an emulated MMIO access: tests ran
	# 2-5x slower. tsc=reliable skips the stability watchdog that would switch back.
	-append "console=ttyS0 quiet panic=-1 clocksource=tsc tsc=reliable rdinit=/init xdpflow_project=$root xdpflow_job=$name"
	# multidevs=remap: / spans several host filesystems, whose inode numbers could collide.
	-fsdev "local,id=hostroot,path=/,security_model=none,readonly=on,multidevs=remap"
	-device virtio-9p-pci,fsdev=hostroot,mount_tag=hostroot
	-fsdev "local,id=project,path=$root,security_model=none"
	-device virtio-9p-pci,fsdev=project,mount_tag=project
)

echo "vm: booting $kver (HZ=$hz) for $(realpath --relative-to="$root" "$script")" >&2
start=$(date +%s.%N)
timeout -k 5 "$timeout_s" qemu-system-x86_64 "${qemu_args[@]}" </dev/null >"$tmp/qemu.out" 2>&1 &
qpid=$!
qrc=0
wait "$qpid" || qrc=$?
qpid=
elapsed=$(echo "$start $(date +%s.%N)" | awk '{printf "%.1f", $2 - $1}')

console_tail() {
	echo "--- guest console (last 40 lines) ---"
	tail -n 40 "$vmdir/$name.console" 2>/dev/null || true
	echo "--- qemu output ---"
	cat "$tmp/qemu.out"
}
if [ -f "$vmdir/$name.log" ]; then cat "$vmdir/$name.log"; fi
if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
	console_tail
	echo "FAIL: vm tier: guest did not finish within ${timeout_s}s; qemu killed"
	exit 124
fi
if [ ! -s "$vmdir/$name.rc" ]; then
	if [ "$qrc" != 0 ] && [ ! -s "$vmdir/$name.console" ]; then
		cat "$tmp/qemu.out"
		skip "qemu-system-x86_64 could not run (exit $qrc): $(head -n1 "$tmp/qemu.out")"
	fi
	console_tail
	echo "FAIL: vm tier: guest ended without a result (qemu exit $qrc)"
	exit 1
fi
rc=$(cat "$vmdir/$name.rc")
echo "vm: $name exited $rc, ${elapsed}s from qemu start to power-off" >&2
exit "$rc"
