#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Prints the real output of the commands the man pages and README show, from a throwaway namespace.
#
# Usage (root, after make all tests-build): docs/man/examples.sh > examples.txt
#
# A client namespace sends a small, fixed mix of traffic (TCP, UDP, ICMP, IPv6, a VLAN) to a
# server namespace whose interface is called eth0, where xdpflow is attached. The server
# runs in its own mount namespace with a fresh, private bpf filesystem on /sys/fs/bpf, so
# the commands use the default pin folder /sys/fs/bpf/xdpflow exactly as shown in the
# docs, without touching the host's pins. Everything is removed on exit. The outputs are
# pasted into docs/man/*.scd and README.md by hand: rerun this after any change to the
# tools' output and update them.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
CLIENT=xdpflow-man-c-$$
SERVER=xdpflow-man-s-$$
TMP=$(mktemp -d "${TMPDIR:-/tmp}/xdpflow-man-$$.XXXXXX")

((EUID == 0)) || { echo "examples.sh: run as root (namespaces, XDP)" >&2; exit 1; }
for f in xdpflow-loader xdpflow-reader xdpflow.bpf.o; do
	[ -e "$BUILD/$f" ] || { echo "examples.sh: $BUILD/$f is missing: run make all" >&2; exit 1; }
done

cleanup() {
	set +e
	ip netns del "$CLIENT" 2>/dev/null
	ip netns del "$SERVER" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for ns in "$CLIENT" "$SERVER"; do
	ip netns add "$ns"
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	ip -n "$ns" link set lo up
done
ip -n "$CLIENT" link add eth0 type veth peer name eth0 netns "$SERVER"
ip -n "$CLIENT" link set eth0 address 02:00:00:00:00:01
ip -n "$SERVER" link set eth0 address 02:00:00:00:00:02
ip -n "$CLIENT" addr add 192.0.2.1/24 dev eth0
ip -n "$SERVER" addr add 192.0.2.2/24 dev eth0
ip -n "$CLIENT" link set eth0 up
ip -n "$SERVER" link set eth0 up
sleep 1 # until the veth reports carrier

# Everything on the server side runs in one 'ip netns exec' shell: that gives a private
# mount namespace with its own /sys, and a fresh bpffs there holds this run's pins only, at
# the default path.
ip netns exec "$SERVER" env PATH="$BUILD:$PATH" BUILD="$BUILD" CLIENT="$CLIENT" TMP="$TMP" bash -s <<'SCENARIO'
set -u
mount -t bpf bpf /sys/fs/bpf

# show CMD: print "$ CMD", its output, and its exit status when not 0.
show() {
	echo "\$ $*"
	eval "$@" 2>&1
	local rc=$?
	[ $rc -eq 0 ] || echo "[exit status $rc]"
	echo
}

# A TCP upload, UDP queries and pings from the client's kernel; IPv6 and a VLAN-tagged
# frame written onto the wire as they are.
traffic() {
	python3 -c '
import socket
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("192.0.2.2", 8080))
srv.listen(1)
srv.settimeout(20)
conn, _ = srv.accept()
while conn.recv(65536):
    pass
conn.close()' &
	local pid=$!
	ip netns exec "$CLIENT" python3 - <<'PY'
import ipaddress, socket, struct, time
for _ in range(50):
    try:
        c = socket.create_connection(("192.0.2.2", 8080), timeout=5)
        break
    except OSError:
        time.sleep(0.1)
c.sendall(bytes(300000))
c.close()
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(20):
    u.sendto(b"query %d" % i, ("192.0.2.2", 53))
    u.sendto(b"ntp", ("192.0.2.2", 123))
p = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
for seq in range(5):
    body = bytes(range(48))
    hdr = bytes((8, 0, 0, 0, 0x12, 0x34, 0, seq))
    s = sum((hdr + body)[i] << 8 | (hdr + body)[i + 1] for i in range(0, 56, 2))
    s = (s >> 16) + (s & 0xffff)
    s = ~(s + (s >> 16)) & 0xffff
    p.sendto(hdr[:2] + s.to_bytes(2, "big") + hdr[4:] + body, ("192.0.2.2", 0))
    time.sleep(0.05)
r = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
r.bind(("eth0", 0))
dst, src = bytes.fromhex("020000000002"), bytes.fromhex("020000000001")
a6 = lambda x: ipaddress.IPv6Address(x).packed
def eth(t, payload, vlan=None):
    tag = struct.pack("!HH", 0x8100, vlan) if vlan is not None else b""
    return dst + src + tag + struct.pack("!H", t) + payload
def ipv6(nh, l4):
    return struct.pack("!IHBB16s16s", 6 << 28, len(l4), nh, 64, a6("2001:db8::1"),
                       a6("2001:db8::2")) + l4
udp = lambda sp, dp, data: struct.pack("!HHHH", sp, dp, 8 + len(data), 0) + data
frames = [eth(0x86DD, ipv6(17, udp(40000, 53, b"q" * 40)))] * 12
frames += [eth(0x86DD, ipv6(58, bytes((128, 0, 0, 0)) + bytes(60)))] * 4
frames += [eth(0x0800, struct.pack("!BBHHHBBH4s4s", 0x45, 0, 128, 0, 0, 64, 17, 0,
                                   socket.inet_aton("198.51.100.7"), socket.inet_aton("192.0.2.2"))
               + udp(5000, 4789, bytes(100)), vlan=7)] * 6
for f in frames:
    r.send(f)
PY
	wait "$pid" 2>/dev/null
	sleep 0.2
}

show xdpflow-loader list
show xdpflow-reader
show xdpflow-loader attach eth0
show xdpflow-loader attach eth0
show xdpflow-loader list
show ls -l /sys/fs/bpf/xdpflow
traffic
echo "######## after traffic"
show xdpflow-loader status
show xdpflow-reader
show xdpflow-reader --top 3 --sort bytes flows
show xdpflow-reader --wide --top 3 --sort bytes flows
show xdpflow-reader totals protocols
show xdpflow-reader -i eth0 protocols
show xdpflow-reader sources
show xdpflow-reader --format json totals protocols
show xdpflow-reader --format json --top 2 flows
show xdpflow-reader --format ndjson --top 2 totals flows
show xdpflow-reader --format csv protocols sources
show xdpflow-reader --format prometheus totals
show "xdpflow-reader --format prometheus protocols | head -n 8"
show "xdpflow-reader --format prometheus --prometheus-flows --top 1 flows"
show xdpflow-reader --format csv --top 2 flows
show xdpflow-reader --version
show "xdpflow-reader --format xml; echo status \$?"
show "xdpflow-reader --top -5; echo status \$?"
show xdpflow-loader detach eth0
show xdpflow-reader totals
show xdpflow-loader status
show xdpflow-loader attach --mode skb --group nogroup eth0
show ls -l /sys/fs/bpf/xdpflow
show xdpflow-loader detach --purge
show xdpflow-reader
# The object where the Debian package puts it, next to libxdp's own objects, in this mount
# namespace only.
BPFDIR=/usr/lib/$(gcc -print-multiarch)/bpf
mkdir -p "$TMP/bpfdir" && cp -a "$BPFDIR/." "$BUILD/xdpflow.bpf.o" "$TMP/bpfdir/"
mount --bind "$TMP/bpfdir" "$BPFDIR"
show xdp-loader load -p /sys/fs/bpf/xdpflow eth0 "$BPFDIR/xdpflow.bpf.o"
show xdp-loader status eth0
show xdpflow-loader status
show "xdp-loader unload eth0 --id \$(xdp-loader status eth0 | awk '\$2 == \"xdpflow\" {print \$4}')"
show xdpflow-loader detach --purge
echo "\$ xdpflow-loader run --interval 1 eth0      (traffic sent meanwhile, then Ctrl-C)"
xdpflow-loader run --interval 1 eth0 >"$TMP/run.out" 2>&1 &
run_pid=$!
sleep 1.5
traffic
sleep 1
kill -INT $run_pid
wait $run_pid
echo "[exit status $?]"
cat "$TMP/run.out"
echo
show xdpflow-loader clean
show xdpflow-loader detach --purge

echo "######## rates"
xdpflow-loader attach eth0 >/dev/null 2>&1
echo "\$ xdpflow-reader -w 1 --sort rate totals protocols      (traffic sent meanwhile, then Ctrl-C)"
xdpflow-reader -w 1 --sort rate totals protocols >"$TMP/watch.out" 2>&1 &
watch_pid=$!
sleep 1.5
traffic
sleep 2
kill -INT $watch_pid
wait $watch_pid
echo "[exit status $?]"
cat "$TMP/watch.out"
echo
show xdpflow-loader detach --purge

echo "######## a full flow table"
show xdpflow-loader attach --max-flows 100 eth0
show bpftool map show pinned /sys/fs/bpf/xdpflow/xdpflow_layout
# 2,000 UDP flows (distinct source ports), 3 frames each: more flows than the table holds.
ip netns exec "$CLIENT" python3 - <<'PY'
import socket, struct
r = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
r.bind(("eth0", 0))
eth = bytes.fromhex("020000000002020000000001") + struct.pack("!H", 0x0800)
for sport in range(20000, 22000):
    udp = struct.pack("!HHHH", sport, 53, 8 + 32, 0) + bytes(32)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0,
                     socket.inet_aton("192.0.2.1"), socket.inet_aton("192.0.2.2"))
    for _ in range(3):
        r.send(eth + ip + udp)
PY
sleep 0.2
show xdpflow-reader totals
show xdpflow-loader status
show xdpflow-loader detach --purge

echo "######## export"
cd "$TMP"
python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 4739))
n = 0
while True:
    d = s.recv(65535)
    n += 1
    open("collector", "w").write("%d messages, IPFIX version %d\n" % (n, d[0] << 8 | d[1]))' &
sink=$!
show xdpflow-loader attach eth0
traffic
show xdpflow-reader --drain --format json totals
show xdpflow-reader --drain --format json totals
traffic
show xdpflow-reader --drain --ipfix 127.0.0.1:4739 --format prometheus --output xdpflow.prom totals protocols
show cat collector
show "grep -v '^#' xdpflow.prom | head -n 6"
traffic
show xdpflow-reader --drain --ipfix 127.0.0.1:4739 --format prometheus --output xdpflow.prom totals protocols
show "grep -v '^#' xdpflow.prom | head -n 6"
kill $sink
show xdpflow-loader detach --purge
SCENARIO
