#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# IPFIX export against real collectors on loopback: nfcapd/nfdump store and read back every flow, tshark decodes cleanly.
#
# Ground truth is a flow list this script generates (Python, below); the
# exporter (reader/export/ipfix.c, driven by build/tools/ipfix_replay) sends it to
# nfcapd, and what nfdump reads back, and what tshark decodes from a capture
# of the same messages, is compared field by field with that list.
set -uo pipefail

cd "$(dirname "$0")/.." || exit 1
. tests/collector.sh
BUILD=${BUILD:-build}
REPLAY=$BUILD/tools/ipfix_replay
FAILED=0
TMP=""
PIDS=()

pass() { echo "PASS: $1"; }
fail() {
	echo "FAIL: $1: $2"
	FAILED=1
}
skip() { echo "SKIP: $1: $2"; }

cleanup() {
	local p
	for p in "${PIDS[@]}"; do
		kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	[ -n "$TMP" ] && rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# nfdump (nfcapd) and tshark come from Debian's registry; install what is missing.
ensure_tools() {
	local missing=()
	command -v nfcapd >/dev/null && command -v nfdump >/dev/null || missing+=(nfdump)
	command -v tshark >/dev/null || missing+=(tshark)
	command -v python3 >/dev/null || missing+=(python3)
	((${#missing[@]})) || return 0
	if ((EUID != 0)); then
		skip "ipfix collectors" "missing ${missing[*]}: run as root or apt-get install ${missing[*]}"
		exit 0
	fi
	export DEBIAN_FRONTEND=noninteractive
	if ! apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1; then
		apt-get update -qq >/dev/null 2>&1
		apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1 || {
			fail "ipfix collectors" "could not install ${missing[*]} with apt-get"
			exit 1
		}
	fi
}

write_helpers() {
	# gen_flows.py N SEED: the ground truth, a deterministic mix of every template.
	cat >"$TMP/gen_flows.py" <<'EOF'
import random, sys
n, seed = int(sys.argv[1]), int(sys.argv[2])
rnd = random.Random(seed)
t0 = 1700000000000
for i in range(n):
    kind = i % 8
    fam = 6 if kind in (3, 4, 7) else 4
    if fam == 4:
        src = "10.%d.%d.%d" % (rnd.randrange(256), rnd.randrange(256), 1 + rnd.randrange(254))
        dst = "192.0.2.%d" % (1 + i % 254)
    else:
        src = "2001:db8:%x::%x" % (rnd.randrange(1, 65536), rnd.randrange(1, 65536))
        dst = "2001:db8:ffff:%x:%x:%x:%x:%x" % tuple(rnd.randrange(1, 65536) for _ in range(5))
    sport = dport = flags = 0
    if kind in (0, 3, 6):      # TCP
        proto, sport, dport = 6, rnd.randrange(1024, 65536), rnd.choice((22, 80, 443, 8080))
        flags = rnd.randrange(1, 256)
    elif kind in (1, 7):       # UDP
        proto, sport, dport = 17, rnd.randrange(1024, 65536), rnd.choice((53, 123, 4789))
    elif kind == 2:            # ICMP: echo request, unreachable/port, time exceeded
        proto, dport = 1, rnd.choice((8 << 8, 3 << 8 | 3, 11 << 8))
    elif kind == 4:            # ICMPv6: echo request, neighbour solicitation
        proto, dport = 58, rnd.choice((128 << 8, 135 << 8))
    else:                      # GRE: no ports
        proto = 47
    packets = rnd.randrange(1, 1 << 20)
    ip_bytes = packets * rnd.randrange(28, 1500)
    l2_bytes = ip_bytes + 14 * packets
    start = t0 + i * 17 + rnd.randrange(1000)
    end = start + rnd.randrange(0, 120000)
    # Untagged, one VLAN tag, or QinQ (outer, inner).
    vlan = rnd.choice((0, rnd.randrange(1, 4096)))
    inner = rnd.randrange(1, 4096) if vlan and i % 3 == 0 else 0
    print(src, dst, sport, dport, proto, "0x%02x" % flags, rnd.randrange(1, 1 << 31),
          packets, ip_bytes, l2_bytes, start, end, vlan, inner)
EOF

	# cmp_nfdump.py FLOWS JSON: every flow in nfdump's JSON, and nothing else.
	cat >"$TMP/cmp_nfdump.py" <<'EOF'
import collections, datetime, ipaddress, json, sys

def ms(s):  # nfdump prints local time; the script runs it with TZ=UTC
    d = datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%f")
    return int(d.replace(tzinfo=datetime.timezone.utc).timestamp() * 1000 + 0.5)

def flagbits(s):  # nfdump's 8-character string, CWR first: "CEUAPRSF"
    return sum(1 << (7 - i) for i, c in enumerate(s) if c != ".")

want = collections.Counter()
for line in open(sys.argv[1]):
    f = line.split()
    src, dst = ipaddress.ip_address(f[0]), ipaddress.ip_address(f[1])
    sport, dport, proto, flags = int(f[2]), int(f[3]), int(f[4]), int(f[5], 16)
    icmp = (proto == 1 and src.version == 4) or (proto == 58 and src.version == 6)
    # nfdump 1.7 stores vlanId (IE 58, the outer tag) as src_vlan; it reads no dot1q element.
    want[(src, dst, 0 if icmp else sport, dport, proto, 0 if icmp else flags,
          int(f[6]), int(f[7]), int(f[8]), int(f[10]), int(f[11]), int(f[12]))] += 1

got = collections.Counter()
for r in json.load(open(sys.argv[2])):
    if r.get("type") != "FLOW":
        continue
    v6 = "src6_addr" in r
    src = ipaddress.ip_address(r["src6_addr" if v6 else "src4_addr"])
    dst = ipaddress.ip_address(r["dst6_addr" if v6 else "dst4_addr"])
    if "icmp_type" in r:
        sport, dport = 0, r["icmp_type"] << 8 | r["icmp_code"]
    else:
        sport, dport = r["src_port"], r["dst_port"]
    got[(src, dst, sport, dport, r["proto"], flagbits(r.get("tcp_flags", "")), r["input_snmp"],
         r["in_packets"], r["in_bytes"], ms(r["first"]), ms(r["last"]), r.get("src_vlan", 0))] += 1

missing, extra = want - got, got - want
if missing or extra:
    print("%d of %d flows read back wrong or missing, %d unexpected" %
          (sum(missing.values()), sum(want.values()), sum(extra.values())))
    for k in list(missing)[:2]:
        print("  want", tuple(map(str, k)))
    for k in list(extra)[:2]:
        print("  got ", tuple(map(str, k)))
    sys.exit(1)
print("%d flows" % sum(want.values()))
EOF

	# cmp_tshark.py FLOWS JSON DELTA: every record tshark decoded, with every IE, in order.
	cat >"$TMP/cmp_tshark.py" <<'EOF'
import datetime, ipaddress, json, sys

delta = sys.argv[3] == "1"
C = ("cflow.packets", "cflow.octets", "cflow.layer2_octet_delta_count") if delta else \
    ("cflow.permanent_packets", "cflow.permanent_octets", "cflow.layer2_octet_total_count")
base = 256 if delta else 260
# Template ids: IPv4, IPv6, ICMP, ICMPv6 from base; the same with two VLAN tags (QinQ) 8 above.
TEMPLATES = set(range(base, base + 4)) | set(range(base + 8, base + 12))

def ms(s):  # "Nov 14, 2023 22:13:20.123000000 UTC"
    day, frac = s[:-4].rsplit(".", 1)
    d = datetime.datetime.strptime(day, "%b %d, %Y %H:%M:%S")
    return int(d.replace(tzinfo=datetime.timezone.utc).timestamp()) * 1000 + int(frac[:3])

want = []
for line in open(sys.argv[1]):
    f = line.split()
    src, dst = ipaddress.ip_address(f[0]), ipaddress.ip_address(f[1])
    proto = int(f[4])
    icmp = (proto == 1 and src.version == 4) or (proto == 58 and src.version == 6)
    vlan, inner = int(f[12]), int(f[13])
    want.append(dict(tid=base + (src.version == 6) + 2 * icmp + (8 if inner else 0), src=src, dst=dst,
                     vlans=(vlan, vlan, inner) if inner else (vlan, None, None),
                     ports=None if icmp else (int(f[2]), int(f[3])),
                     icmp=int(f[3]) if icmp else None, proto=proto,
                     flags=None if icmp else int(f[5], 16), ifindex=int(f[6]),
                     counts=(int(f[7]), int(f[8]), int(f[9])), times=(int(f[10]), int(f[11]))))

got, templates, messages = [], set(), 0
for pkt in json.load(open(sys.argv[2])):
    cf = pkt["_source"]["layers"].get("cflow")
    if cf is None:
        continue
    messages += 1
    for key, s in cf.items():
        if not key.startswith("Set "):
            continue
        tid = int(s["cflow.flowset_id"])
        if tid == 2:
            templates.update(int(v["cflow.template_id"]) for k, v in s.items() if k.startswith("Template"))
            continue
        for k, r in s.items():
            if not k.startswith("Flow "):
                continue
            v6 = "cflow.srcaddrv6" in r
            icmp = None
            if "cflow.icmp_type_code_ipv4" in r:
                icmp = int(r["cflow.icmp_type_code_ipv4"], 16)
            elif "cflow.icmp_ipv6_type" in r:
                icmp = int(r["cflow.icmp_ipv6_type"]) << 8 | int(r["cflow.icmp_ipv6_code"])
            tt = r["cflow.timedelta_tree"]
            got.append(dict(tid=tid,
                src=ipaddress.ip_address(r["cflow.srcaddrv6" if v6 else "cflow.srcaddr"]),
                dst=ipaddress.ip_address(r["cflow.dstaddrv6" if v6 else "cflow.dstaddr"]),
                ports=(int(r["cflow.srcport"]), int(r["cflow.dstport"])) if "cflow.srcport" in r else None,
                icmp=icmp, proto=int(r["cflow.protocol"]),
                flags=int(r["cflow.tcpflags"], 16) if "cflow.tcpflags" in r else None,
                ifindex=int(r["cflow.inputint"]),
                counts=tuple(int(r[c]) if c in r else None for c in C),
                times=(ms(tt["cflow.abstimestart"]), ms(tt["cflow.abstimeend"])),
                vlans=tuple(int(r[v]) if v in r else None for v in
                            ("cflow.vlanid", "cflow.dot1q_vlan_id", "cflow.dot1q_customer_vlan_id"))))

if templates != TEMPLATES:
    print("templates %s, want %s" % (sorted(templates), sorted(TEMPLATES))); sys.exit(1)
if len(got) != len(want):
    print("tshark decoded %d records in %d messages, sent %d" % (len(got), messages, len(want))); sys.exit(1)
for i, (w, g) in enumerate(zip(want, got)):
    if w != g:
        bad = [k for k in w if w[k] != g[k]]
        print("record %d: %s: want %s got %s" % (i, bad[0], w[bad[0]], g[bad[0]])); sys.exit(1)
print("%d records in %d messages" % (len(got), messages))
EOF
}

# tshark_check NAME PCAP PORT FLOWS DELTA MESSAGES
tshark_check() {
	local name=$1 pcap=$2 port=$3 flows=$4 delta=$5 messages=$6 bad out
	bad=$(tshark -r "$pcap" -d "udp.port==$port,cflow" -Y "udp.port==$port && (_ws.malformed || _ws.expert)" 2>/dev/null | wc -l)
	if ((bad)); then
		fail "$name" "tshark flags $bad messages as malformed or with expert warnings: $(tshark -r "$pcap" -d "udp.port==$port,cflow" -Y "udp.port==$port" -q -z expert 2>/dev/null | grep -E '^ +[0-9]+ ' | head -2 | tr -s ' ' | tr '\n' ';')"
		return
	fi
	tshark -r "$pcap" -d "udp.port==$port,cflow" -Y "udp.port==$port" -T json -J "cflow" >"$pcap.json" 2>/dev/null
	if ! out=$(python3 "$TMP/cmp_tshark.py" "$flows" "$pcap.json" "$delta"); then
		fail "$name" "$out"
	elif [[ $out != *" in $messages messages" ]]; then
		fail "$name" "tshark saw $out, the exporter sent $messages messages"
	else
		pass "$name ($out)"
	fi
}

# nfdump_check NAME DIR FLOWS [SEQUENCE_FAILURES]
nfdump_check() {
	local name=$1 dir=$2 flows=$3 seqfail=${4:-0} out sf
	if ! TZ=UTC nfdump -R "$dir" -o json >"$dir.json" 2>"$dir.err"; then
		fail "$name" "nfdump -R $dir: $(head -1 "$dir.err")"
		return
	fi
	if ! out=$(TZ=UTC python3 "$TMP/cmp_nfdump.py" "$flows" "$dir.json" 2>&1); then
		fail "$name" "$(echo "$out" | tr '\n' ' ')"
		return
	fi
	sf=$(nfdump -R "$dir" -I 2>/dev/null | sed -n 's/^Sequence failures: //p')
	if [ "$sf" != "$seqfail" ]; then
		fail "$name" "nfcapd counted ${sf:-?} sequence failures, want $seqfail"
		return
	fi
	pass "$name ($out, $sf sequence failures)"
}

# replay ARGS...: runs the exporter; prints the number of messages it sent.
replay() {
	local log=$TMP/replay.log
	if ! "$REPLAY" "$@" 2>"$log"; then
		echo "replay failed: $(cat "$log")" >&2
		return 1
	fi
	sed -n 's/.* records in \([0-9]*\) messages.*/\1/p' "$log"
}

main() {
	local p4a p4b p6 dir msgs_total msgs_delta out rc
	ensure_tools
	if [ ! -x "$REPLAY" ] && ! make --no-print-directory "$REPLAY" >/dev/null; then
		fail "ipfix build" "cannot build $REPLAY"
		exit 1
	fi
	TMP=$(mktemp -d /tmp/xdpflow-ipfix.XXXXXX)
	write_helpers
	python3 "$TMP/gen_flows.py" 1500 1 >"$TMP/flows.txt"
	python3 "$TMP/gen_flows.py" 500 2 >"$TMP/flows6.txt"
	python3 "$TMP/gen_flows.py" 50000 3 >"$TMP/flows-big.txt"

	# Total and delta counters to nfcapd on 127.0.0.1, captured by tshark at the same time.
	p4a=$(free_port 4)
	p4b=$(free_port 4)
	while [ "$p4b" = "$p4a" ]; do p4b=$(free_port 4); done
	if ! start_capture "$TMP/cap.pcap" "$p4a" "$p4b"; then
		fail "ipfix tshark capture" "tshark could not capture on lo"
		exit 1
	fi
	if start_nfcapd "$TMP/total" "$p4a" 4; then
		msgs_total=$(replay --flows "$TMP/flows.txt" --odid 7 "127.0.0.1:$p4a")
		stop_nfcapd
		nfdump_check "ipfix nfcapd stores 1500 flows over many messages, total counters" "$TMP/total" "$TMP/flows.txt"
	else
		fail "ipfix nfcapd total counters" "nfcapd did not start on 127.0.0.1:$p4a"
	fi
	if start_nfcapd "$TMP/delta" "$p4b" 4; then
		msgs_delta=$(replay --flows "$TMP/flows.txt" --delta --odid 8 "127.0.0.1:$p4b")
		stop_nfcapd
		nfdump_check "ipfix nfcapd stores 1500 flows, delta counters (--drain)" "$TMP/delta" "$TMP/flows.txt"
	else
		fail "ipfix nfcapd delta counters" "nfcapd did not start on 127.0.0.1:$p4b"
	fi
	stop_capture
	tshark_check "ipfix tshark decodes total mode cleanly, every field" "$TMP/cap.pcap" "$p4a" "$TMP/flows.txt" 0 "${msgs_total:-?}"
	tshark_check "ipfix tshark decodes delta mode cleanly, every field" "$TMP/cap.pcap" "$p4b" "$TMP/flows.txt" 1 "${msgs_delta:-?}"

	# The tshark check has teeth: a set whose length is below its own header is flagged.
	p4a=$(free_port 4)
	if start_capture "$TMP/bad.pcap" "$p4a"; then
		python3 -c '
import socket, struct, sys
tmpl = struct.pack("!HHHHHHHH", 2, 16, 256, 2, 8, 4, 12, 4)
body = tmpl + struct.pack("!HH", 256, 2)
hdr = struct.pack("!HHIII", 10, 16 + len(body), 1700000000, 0, 1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.sendto(hdr + body, ("127.0.0.1", int(sys.argv[1])))' "$p4a"
		stop_capture
		if tshark -r "$TMP/bad.pcap" -d "udp.port==$p4a,cflow" -Y "_ws.malformed || _ws.expert" 2>/dev/null | grep -q .; then
			pass "ipfix tshark check flags a malformed message (control)"
		else
			fail "ipfix tshark check flags a malformed message (control)" "tshark found nothing wrong"
		fi
	else
		fail "ipfix tshark check flags a malformed message (control)" "tshark could not capture on lo"
	fi

	# An IPv6 collector, named with brackets.
	p6=$(free_port 6)
	if start_nfcapd "$TMP/v6" "$p6" 6; then
		replay --flows "$TMP/flows6.txt" --delta "[::1]:$p6" >/dev/null
		stop_nfcapd
		nfdump_check "ipfix nfcapd on [::1] stores 500 flows" "$TMP/v6" "$TMP/flows6.txt"
	else
		fail "ipfix nfcapd on [::1]" "nfcapd did not start on [::1]:$p6"
	fi

	# Two runs from cron: each restarts the sequence at 0; nfcapd resyncs and keeps everything.
	p4a=$(free_port 4)
	if start_nfcapd "$TMP/runs" "$p4a" 4; then
		replay --flows "$TMP/flows.txt" "127.0.0.1:$p4a" >/dev/null
		replay --flows "$TMP/flows.txt" "127.0.0.1:$p4a" >/dev/null
		stop_nfcapd
		cat "$TMP/flows.txt" "$TMP/flows.txt" >"$TMP/flows-twice.txt"
		nfdump_check "ipfix two stateless runs: all flows kept, one sequence resync" "$TMP/runs" "$TMP/flows-twice.txt" 1
	else
		fail "ipfix two runs" "nfcapd did not start"
	fi

	# 50,000 flows at the default pace: nothing lost to the collector's socket buffer.
	p4a=$(free_port 4)
	if start_nfcapd "$TMP/big" "$p4a" 4; then
		replay --flows "$TMP/flows-big.txt" --delta "127.0.0.1:$p4a" >/dev/null
		stop_nfcapd
		nfdump_check "ipfix nfcapd stores all of 50000 flows at the default pace" "$TMP/big" "$TMP/flows-big.txt"
	else
		fail "ipfix 50000 flows" "nfcapd did not start"
	fi

	# A bad collector is a usage error with one line naming it.
	out=$("$REPLAY" --generate 1 "localhost:99999" 2>&1)
	rc=$?
	if ((rc == 2)) && [ "$(echo "$out" | wc -l)" = 1 ] && [[ $out == *localhost:99999* ]]; then
		pass "ipfix bad collector address: exit 2, one line"
	else
		fail "ipfix bad collector address" "exit $rc, output: $out"
	fi

	return $FAILED
}

main "$@"
