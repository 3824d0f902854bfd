#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Install the Debian packages xdpflow needs to build, test and demo (root, Debian 12), and mount bpffs.
set -euo pipefail

PACKAGES=(
	make gcc clang llvm pkg-config libxdp-dev libbpf-dev libelf-dev zlib1g-dev
	xdp-tools bpftool iproute2 kmod netbase python3 tmux netsniff-ng
	prometheus nfdump pmacct postgresql tshark qemu-system-x86 busybox-static cpio
	libclang-rt-14-dev man-db groff-base systemd libcap2-bin time scdoc
	valgrind gnuplot-nox debhelper dpkg-dev lintian git strace ethtool
	# the VM tier: kernel modules come xz- or zstd-compressed
	xz-utils zstd
)

missing=()
for p in "${PACKAGES[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]})); then
	if ((EUID != 0)); then
		echo "deps: missing Debian packages: ${missing[*]}; run as root or: apt-get install ${missing[*]}" >&2
		exit 1
	fi
	echo "deps: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# bpffs is not mounted on a fresh machine; every pin lives there.
if ((EUID == 0)) && ! mountpoint -q /sys/fs/bpf; then
	mount -t bpf bpf /sys/fs/bpf
	echo "deps: mounted bpffs at /sys/fs/bpf"
fi
