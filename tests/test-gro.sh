#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# skb (generic) mode counts every frame on the wire: bulk TCP through a veth between two namespaces, xdpflow's packets against the segments the receiving socket got.
#
# In skb mode the program runs after the kernel merged frames: GRO on the interface, and a
# veth's peer passing its sender's 64 KiB TSO segments through whole (measured before the
# fix: 345 program runs for 13,823 segments). The loader turns GRO off on the interface and
# limits the veth peer's GSO to one segment while xdpflow is attached in skb mode, and puts
# both back on detach. Ground truth: the receiving socket's tcpi_segs_in (struct tcp_info,
# linux/tcp.h), the segments TCP received, counted by the kernel's TCP, not by xdpflow.
set -u
. "$(dirname "$0")/lib.sh"

xf_require_root test-gro
xf_require_cmds python3 nsenter ethtool
LOADER=${LOADER:-$XF_BUILD/xdpflow-loader}
READER=${READER:-$XF_BUILD/xdpflow-reader}
OBJ=$XF_BUILD/xdpflow.bpf.o
xf_require_built "$LOADER" "$READER" "$OBJ"

T=$XF_TMP
A=xdpflow-groa-$$
R=xdpflow-grob-$$
xf_netns "$A" && xf_netns "$R" || { xf_fail setup "cannot create network namespaces"; exit 1; }
ip -n "$A" link add ga type veth peer name gb netns "$R" &&
	ip netns exec "$A" sysctl -qw net.ipv6.conf.ga.disable_ipv6=1 &&
	ip netns exec "$R" sysctl -qw net.ipv6.conf.gb.disable_ipv6=1 &&
	ip -n "$A" addr add 10.9.0.1/24 dev ga && ip -n "$R" addr add 10.9.0.2/24 dev gb &&
	ip -n "$A" link set ga up && ip -n "$R" link set gb up ||
	{ xf_fail setup "cannot create veth ga/gb"; exit 1; }
xf_mount_bpffs
xf_pin_dir P gro

gro_of() { xf_in "$R" ethtool -k gb | sed -n 's/^generic-receive-offload: \([a-z]*\).*/\1/p'; }
segs_of() { ip -n "$A" -d link show ga | grep -o 'gso_max_segs [0-9]*' | cut -d' ' -f2; }

# GRO on, as on a NIC (a veth has it off by default).
xf_in "$R" ethtool -K gb gro on
gro0=$(gro_of) segs0=$(segs_of)
if ! xf_in "$R" "$LOADER" attach --mode skb -p "$P" --obj "$OBJ" gb >"$T/attach" 2>&1; then
	xf_fail "gro: attach in skb mode" "$(tail -n 1 "$T/attach")"
	xf_summary
	exit
fi
xf_on_exit "nsenter --net=/run/netns/$R '$LOADER' detach --purge -p '$P' gb"
if grep -q "^skb mode on gb .*GRO turned off there and its veth peer's GSO limited to one segment until xdpflow is detached" "$T/attach" &&
	[ "$gro0" = on ] && [ "$(gro_of)" = off ] && [ "$segs0" -gt 1 ] && [ "$(segs_of)" = 1 ]; then
	xf_pass "gro: skb attach turns GRO off and the veth peer's GSO to one segment, in one line"
else
	xf_fail "gro: skb attach turns GRO off and the veth peer's GSO to one segment, in one line" \
		"GRO $gro0 -> $(gro_of), peer gso_max_segs $segs0 -> $(segs_of); said: $(grep -v '^xdpflow attached' "$T/attach" | head -n 2 | tr '\n' ' ')"
fi

cat >"$T/tcp.py" <<'PY'
import socket, struct, sys
if sys.argv[1] == "recv":
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("10.9.0.2", 5001))
    s.listen(1)
    print("ready", flush=True)
    c, _ = s.accept()
    n = 0
    while True:
        b = c.recv(1 << 20)
        if not b:
            break
        n += len(b)
    # struct tcp_info (linux/tcp.h): tcpi_segs_in at byte 140.
    segs_in = struct.unpack_from("=I", c.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 256), 140)[0]
    c.send(b"x")
    print(n, segs_in, flush=True)
else:
    s = socket.create_connection(("10.9.0.2", 5001), source_address=("10.9.0.1", 40001))
    left = int(sys.argv[2])
    data = b"x" * 65536
    while left > 0:
        left -= s.send(data[:min(left, 65536)])
    s.shutdown(socket.SHUT_WR)
    s.recv(1)
    s.close()
PY
xf_in "$R" python3 "$T/tcp.py" recv >"$T/recv" 2>&1 &
rpid=$!
for _ in $(seq 50); do grep -q ready "$T/recv" && break; sleep 0.1; done
xf_in "$A" timeout 60 python3 "$T/tcp.py" send 20000000 2>"$T/send.err"
wait "$rpid"
read -r rbytes segs_in < <(sed -n 2p "$T/recv")
xf_in "$R" "$READER" -p "$P" --format json flows >"$T/flows.json" 2>"$T/err"
counted=$(python3 -c '
import json, sys
f = [f for f in json.load(open(sys.argv[1]))["flows"] if f["src"] == "10.9.0.1" and f["sport"] == 40001 and f["dport"] == 5001]
print(f[0]["packets"] if f else 0)' "$T/flows.json")
if [ "${rbytes:-0}" = 20000000 ] && python3 -c 'import sys; c, s = int(sys.argv[1]), int(sys.argv[2]); sys.exit(not (s > 13000 and abs(c - s) <= s / 1000))' "$counted" "${segs_in:-0}"; then
	xf_pass "gro: skb mode counts 20 MB of bulk TCP per segment ($counted packets, receiver got $segs_in segments)"
else
	xf_fail "gro: skb mode counts 20 MB of bulk TCP per segment" \
		"counted $counted packets, receiver got ${segs_in:-?} segments, ${rbytes:-?} bytes ($(head -c 200 "$T/send.err" "$T/err"))"
fi

xf_in "$R" "$LOADER" detach -p "$P" gb >"$T/detach" 2>&1
if grep -q "^GRO turned on again on gb" "$T/detach" && grep -q "^the GSO limit of gb's veth peer is $segs0 segments again" "$T/detach" &&
	[ "$(gro_of)" = on ] && [ "$(segs_of)" = "$segs0" ]; then
	xf_pass "gro: detach puts GRO and the veth peer's GSO limit back, and says so"
else
	xf_fail "gro: detach puts GRO and the veth peer's GSO limit back, and says so" \
		"GRO $(gro_of), peer gso_max_segs $(segs_of) (was $segs0); said: $(tr '\n' ' ' <"$T/detach")"
fi
xf_summary
