#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make demo: attach xdpflow in a throwaway pair of network namespaces, send real traffic, show what the reader sees, remove everything.
#
# Namespace "client" holds demo-a (10.199.0.1), namespace "server" holds its veth peer demo-b
# (10.199.0.2) with xdpflow attached, so the reader shows what the server receives: ARP, a
# TCP upload, UDP queries and pings sent by the client's kernel, plus IPv6 and VLAN-tagged
# frames written onto demo-a as they are (IPv6 itself is off in both namespaces, so the
# kernel adds no neighbour discovery or router solicitations of its own).
# Needs root; 'make demo' installs the Debian packages and builds first.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
READER=$BUILD/xdpflow-reader
LOADER=$BUILD/xdpflow-loader
OBJ=$BUILD/xdpflow.bpf.o
CLIENT=xdpflow-demo-client-$$
SERVER=xdpflow-demo-server-$$
PIN=/sys/fs/bpf/xdpflow-demo-$$

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
in_client() { ip netns exec "$CLIENT" "$@"; }
# nsenter, not 'ip netns exec': that remounts /sys and would hide the bpf filesystem.
in_server_bpf() { nsenter --net="/run/netns/$SERVER" "$@"; }

if ((EUID != 0)); then
	echo "demo: run as root (it creates network namespaces and loads an XDP program)" >&2
	exit 1
fi
for f in "$READER" "$OBJ"; do
	[ -e "$f" ] || { echo "demo: $f is missing: run make" >&2; exit 1; }
done
for c in ip nsenter python3; do
	command -v "$c" >/dev/null || { echo "demo: needs $c (make deps)" >&2; exit 1; }
done

cleanup() {
	set +e
	if [ -x "$LOADER" ]; then
		in_server_bpf "$LOADER" detach --purge -p "$PIN" >/dev/null 2>&1
	else
		in_server_bpf xdp-loader unload -a demo-b >/dev/null 2>&1
	fi
	[ -n "${SERVER_PID:-}" ] && kill "$SERVER_PID" 2>/dev/null
	ip netns del "$CLIENT" 2>/dev/null
	ip netns del "$SERVER" 2>/dev/null
	rm -rf "$PIN"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf

step "Creating namespaces $CLIENT and $SERVER joined by a veth pair (demo-a <-> demo-b)"
for ns in "$CLIENT" "$SERVER"; do
	ip netns add "$ns"
	# Before any link comes up: no IPv6 from the kernel itself (DAD, MLD, router solicitations).
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	ip -n "$ns" link set lo up
done
ip -n "$CLIENT" link add demo-a type veth peer name demo-b netns "$SERVER"
ip -n "$CLIENT" addr add 10.199.0.1/24 dev demo-a
ip -n "$SERVER" addr add 10.199.0.2/24 dev demo-b
ip -n "$CLIENT" link set demo-a up
ip -n "$SERVER" link set demo-b up
SERVER_MAC=$(ip -n "$SERVER" -j link show demo-b | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["address"])')

step "Attaching xdpflow to demo-b (maps pinned in $PIN)"
if [ -x "$LOADER" ]; then
	in_server_bpf "$LOADER" attach -p "$PIN" --obj "$OBJ" demo-b
else
	in_server_bpf xdp-loader load -p "$PIN" demo-b "$OBJ"
	echo "attached with xdp-loader (build/xdpflow-loader not built)"
fi

step "Sending traffic from the client: TCP upload, UDP queries, pings (the kernel's own packets)"
ip netns exec "$SERVER" python3 -c '
import socket
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("10.199.0.2", 8080))
srv.listen(1)
srv.settimeout(20)
conn, _ = srv.accept()
while conn.recv(65536):
    pass
conn.close()' &
SERVER_PID=$!
in_client python3 -c '
import socket, time
for _ in range(50):  # until the server listens
    try:
        c = socket.create_connection(("10.199.0.2", 8080), timeout=5)
        break
    except OSError:
        time.sleep(0.1)
c.sendall(bytes(300000))
c.close()
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(20):
    u.sendto(b"query %d" % i, ("10.199.0.2", 53))
    u.sendto(b"ntp", ("10.199.0.2", 123))
# ICMP echo requests; the server kernel answers them.
p = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
for seq in range(5):
    body = bytes(range(48))
    hdr = bytes((8, 0, 0, 0, 0x12, 0x34, 0, seq))
    s = sum((hdr + body)[i] << 8 | (hdr + body)[i + 1] for i in range(0, 56, 2))
    s = (s >> 16) + (s & 0xffff)
    s = ~(s + (s >> 16)) & 0xffff
    p.sendto(hdr[:2] + s.to_bytes(2, "big") + hdr[4:] + body, ("10.199.0.2", 0))
    time.sleep(0.05)
'
wait "$SERVER_PID" 2>/dev/null || true
SERVER_PID=

step "Writing IPv6 and VLAN-tagged frames onto demo-a as they are (AF_PACKET)"
in_client python3 - "$SERVER_MAC" <<'PY'
import ipaddress, socket, struct, sys

dst_mac = bytes.fromhex(sys.argv[1].replace(":", ""))
src_mac = bytes.fromhex("020000c70001")
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("demo-a", 0))
a6 = lambda x: ipaddress.IPv6Address(x).packed

def eth(ethertype, payload, vlan=None):
    tag = struct.pack("!HH", 0x8100, vlan) if vlan is not None else b""
    return dst_mac + src_mac + tag + struct.pack("!H", ethertype) + payload

def ipv6(nh, src, dst, l4):
    return struct.pack("!IHBB16s16s", 6 << 28, len(l4), nh, 64, a6(src), a6(dst)) + l4

def ipv4(proto, src, dst, l4):
    return struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), 0, 0, 64, proto, 0,
                       socket.inet_aton(src), socket.inet_aton(dst)) + l4

udp = lambda sp, dp, data: struct.pack("!HHHH", sp, dp, 8 + len(data), 0) + data
tcp = lambda sp, dp, flags: struct.pack("!HHIIBBHHH", sp, dp, 1, 0, 0x50, flags, 65535, 0, 0)
frames = []
frames += [eth(0x86DD, ipv6(17, "2001:db8::1", "2001:db8::2", udp(40000, 53, b"q" * 40)))] * 12
frames += [eth(0x86DD, ipv6(6, "2001:db8::1", "2001:db8::2", tcp(40001, 443, 0x02)))] * 3
frames += [eth(0x86DD, ipv6(58, "2001:db8::1", "2001:db8::2", bytes((128, 0, 0, 0)) + bytes(60)))] * 4
frames += [eth(0x0800, ipv4(17, "10.199.7.1", "10.199.0.2", udp(5000, 4789, bytes(100))), vlan=7)] * 6
for f in frames:
    s.send(f)
print("sent %d frames: IPv6 UDP, TCP and ICMPv6, and IPv4 UDP in VLAN 7" % len(frames))
PY
sleep 0.2

step "xdpflow-reader -p $PIN   (what demo-b received, as a table)"
in_server_bpf "$READER" -p "$PIN"

step "xdpflow-reader -p $PIN --top 3 --sort bytes flows"
in_server_bpf "$READER" -p "$PIN" --top 3 --sort bytes flows

step "The same counters for programs: --format json, csv or prometheus, e.g."
echo "\$ xdpflow-reader -p $PIN --format json totals"
in_server_bpf "$READER" -p "$PIN" --format json totals

step "Detaching xdpflow and removing the namespaces and pins"
cleanup
trap - EXIT
echo "done."
