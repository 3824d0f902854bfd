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

test_version
test_pin_path_env
xf_summary
