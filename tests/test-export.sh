#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Integration tests of the reader's export: exactly-once --drain under traffic, --ipfix to nfcapd and tshark, atomic --output and Prometheus textfiles, and every error before a drain.
#
# Ground truth is what this script builds: frames made here in Python (sent through a veth
# with sendframes, or run through the program with build/tools/feed), and what each must
# count, worked out here, never from xdpflow's code. Drains are read back as the reader's
# JSON (Python's json), IPFIX as nfdump and tshark decode it, Prometheus files with promtool
# and a parser here. Everything created (namespace, veths, pins, collectors) is removed on
# exit, also after a failure. READER=... tests another build (e.g. the ASan one).
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/collector.sh"

xf_require_root test-export
xf_require_cmds python3 nsenter bpftool promtool nfcapd nfdump tshark setpriv ss
READER=${READER:-$XF_BUILD/xdpflow-reader}
LOADER=$XF_BUILD/xdpflow-loader
FEED=$XF_BUILD/tools/feed
SEND=$XF_BUILD/tools/sendframes
OBJ=$XF_BUILD/xdpflow.bpf.o
xf_require_built "$READER" "$LOADER" "$FEED" "$SEND" "$OBJ"

T=$XF_TMP
NS=xdpflow-etest-$$
xf_netns "$NS" || { xf_fail setup "cannot create network namespace $NS"; exit 1; }
xf_veth "$NS" ea0 eb0 || { xf_fail setup "cannot create veth ea0/eb0"; exit 1; }
LO=$(cat /sys/class/net/lo/ifindex)
PIDS=()
xf_on_exit 'for p in "${PIDS[@]}"; do kill -9 "$p"; done'

R() { "$READER" "$@"; }
RN() { xf_in "$NS" "$READER" "$@"; }
feed() { "$FEED" --obj "$OBJ" "$@"; }
now() { date +%s.%N; }

cat >"$T/truth.py" <<'PY'
"""Ground truth for test-export.sh: builds frames, knows what they count, checks exports."""
import collections, datetime, ipaddress, json, random, re, struct, sys

# The totals name each class's whole-frame bytes; IP frames' are ip_frame_bytes, as a flow's
# ip_bytes means IP-layer octets (issue 14 section 5.1: one name, one meaning).
CLASS_BYTES = {"ip": "ip_frame_bytes", "non_ip": "non_ip_bytes", "malformed": "malformed_bytes"}

def eth(ethertype, payload, vlans=()):
    hdr = bytes.fromhex("020000000002020000000001")
    for tpid, vid in vlans:
        hdr += struct.pack("!HH", tpid, vid)
    return hdr + struct.pack("!H", ethertype) + payload

def ipv4(proto, src, dst, l4):
    return struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), 0, 0, 64, proto, 0, src, dst) + l4

def ipv6(nh, src, dst, l4):
    return struct.pack("!IHBB16s16s", 6 << 28, len(l4), nh, 64, src, dst) + l4

def l4(proto, sport, dport, flags, pad):
    if proto == 6:
        return struct.pack("!HHIIBBHHH", sport, dport, 1, 0, 0x50, flags, 512, 0, 0) + pad
    if proto == 17:
        return struct.pack("!HHHH", sport, dport, 8 + len(pad), 0) + pad
    return struct.pack("!BBHI", dport >> 8, dport & 255, 0, 0) + pad  # ICMP: type, code

def frames(n_flows, seed, octet):
    """[(frame, truth)]: n_flows IP flows of every family and protocol, then non-IP and malformed."""
    rnd, out = random.Random(seed), []
    for i in range(n_flows):
        fam = 6 if i % 3 == 2 else 4
        proto = (6, 17, 1 if fam == 4 else 58)[i % 5 % 3]
        if fam == 4:
            src = bytes((10, octet, i >> 8 & 255, i & 255))
            dst = bytes((192, 0, 2, 1 + i % 7))
        else:
            src = bytes.fromhex("fd00%02x00" % octet) + bytes(10) + struct.pack("!H", i)
            dst = bytes.fromhex("fd00ffff") + bytes(11) + bytes((1 + i % 7,))
        if proto in (1, 58):
            typ, code = rnd.choice(((8, 0), (0, 0), (3, 3), (11, 1), (128, 0), (135, 0)))
            sport, dport, flags = 0, typ << 8 | code, 0
        else:
            sport, dport = 1024 + rnd.randrange(60000), rnd.choice((22, 53, 80, 443))
            flags = rnd.choice((0x02, 0x10, 0x18, 0x11)) if proto == 6 else 0
        seg = l4(proto, sport, dport, flags, bytes(rnd.randrange(0, 200)))
        ip = ipv4(proto, src, dst, seg) if fam == 4 else ipv6(proto, src, dst, seg)
        vlans = rnd.choice(((), ((0x8100, 10),)))
        frame = eth(0x0800 if fam == 4 else 0x86DD, ip, vlans)
        n = 4 if fam == 4 else 16
        key = (fam, str(ipaddress.ip_address(src[:n])), str(ipaddress.ip_address(dst[:n])), proto, sport, dport)
        out.append((frame, dict(cls="ip", key=key, ip_bytes=len(ip), flags=flags)))
    out.append((eth(0x0806, bytes(28)), dict(cls="non_ip")))
    out.append((eth(0x88cc, bytes(40)), dict(cls="non_ip")))
    out.append((eth(0x0800, bytes((0x43,)) + bytes(30)), dict(cls="malformed")))
    out.append((eth(0x86DD, bytes((0x60,)) + bytes(20)), dict(cls="malformed")))
    return out

def truth_of(fr, counts, ifindex):
    """What frames fr sent counts[i] times each on ifindex must count, in every view."""
    t = dict(packets=0, bytes=0, ip=0, ip_frame_bytes=0, non_ip=0, non_ip_bytes=0, malformed=0,
             malformed_bytes=0)
    protos, flows = collections.Counter(), {}
    for (frame, info), c in zip(fr, counts):
        t["packets"] += c
        t["bytes"] += c * len(frame)
        t[info["cls"]] += c
        t[CLASS_BYTES[info["cls"]]] += c * len(frame)
        if info["cls"] != "ip":
            continue
        k = info["key"]
        protos[(ifindex, k[0], k[3], "p")] += c
        protos[(ifindex, k[0], k[3], "b")] += c * len(frame)
        f = flows.setdefault((ifindex,) + k, dict(packets=0, bytes=0, ip_bytes=0, tcp_flags=0))
        f["packets"] += c
        f["bytes"] += c * len(frame)
        f["ip_bytes"] += c * info["ip_bytes"]
        f["tcp_flags"] |= info["flags"]
    return dict(totals=t, protos=[list(k) + [v] for k, v in protos.items()],
                flows=[list(k) + [v] for k, v in flows.items()])

def load_truth(path):
    t = json.load(open(path))
    protos = {}
    for ifindex, fam, proto, what, v in t["protos"]:
        protos.setdefault((ifindex, fam, proto), [0, 0])[what == "b"] += v
    flows = {tuple(f[:7]): f[7] for f in t["flows"]}
    sources = {}
    for k, f in flows.items():
        s = sources.setdefault((k[0], k[1], k[2]), [0, 0])
        s[0] += f["packets"]
        s[1] += f["bytes"]
    return t["totals"], protos, flows, sources

def cmd_gen_veth(args):
    """gen-veth SPEC TRUTH IFINDEX ROUNDS: every flow's frame ROUNDS times, interleaved."""
    spec, truth, ifindex, rounds = args[0], args[1], int(args[2]), int(args[3])
    fr = frames(48, 1, 1)
    rnd = random.Random(2)
    counts = [0] * len(fr)
    lines = []
    for _ in range(rounds):
        for i in rnd.sample(range(len(fr)), len(fr)):
            c = rnd.randrange(1, 9)
            counts[i] += c
            lines.append("%d %s" % (c, fr[i][0].hex()))
    open(spec, "w").write("\n".join(lines) + "\n")
    json.dump(truth_of(fr, counts, ifindex), open(truth, "w"))
    print(sum(counts))

def cmd_gen_feed(args):
    """gen-feed FRAMES TRUTH IFINDEX NFLOWS SEED OCTET: 'IFINDEX CPU HEX' lines for feed."""
    path, truth, ifindex, n, seed, octet = args[0], args[1], int(args[2]), int(args[3]), int(args[4]), int(args[5])
    fr = frames(n, seed, octet)
    rnd = random.Random(seed)
    counts = [rnd.randrange(1, 4) for _ in fr]
    lines = []
    for (frame, _), c in zip(fr, counts):
        lines += ["0 %d %s" % (rnd.randrange(2), frame.hex())] * c
    rnd.shuffle(lines)
    open(path, "w").write("\n".join(lines) + "\n")
    json.dump(truth_of(fr, counts, ifindex), open(truth, "w"))

def flow_key(f):
    return (f["ifindex"], f["family"], f["src"], f["dst"], f["proto"], f["sport"], f["dport"])

def sum_docs(docs):
    tot = collections.Counter()
    protos, sources, flows = {}, {}, {}
    for d in docs:
        for k in ("packets", "bytes", "ip", "ip_frame_bytes", "non_ip", "non_ip_bytes", "malformed",
                  "malformed_bytes", "unrecorded_packets"):
            tot[k] += d["totals"][k]
        for p in d["protocols"]:
            s = protos.setdefault((p["ifindex"], p["family"], p["proto"]), [0, 0])
            s[0] += p["packets"]
            s[1] += p["bytes"]
        for p in d["sources"]:
            s = sources.setdefault((p["ifindex"], p["family"], p["addr"]), [0, 0])
            s[0] += p["packets"]
            s[1] += p["bytes"]
        for f in d["flows"]:
            s = flows.setdefault(flow_key(f), dict(packets=0, bytes=0, ip_bytes=0, tcp_flags=0))
            for k in ("packets", "bytes", "ip_bytes"):
                s[k] += f[k]
            s["tcp_flags"] |= f["tcp_flags"]
    return tot, protos, sources, flows

def diff(what, got, want, bad):
    if got != want:
        keys = sorted(set(got) | set(want), key=str) if isinstance(got, dict) else []
        wrong = [k for k in keys if got.get(k) != want.get(k)]
        bad.append("%s: %s" % (what, "; ".join("%s got %s want %s" % (k, got.get(k), want.get(k))
                                                for k in wrong[:2]) if wrong else "%s != %s" % (got, want)))

def cmd_check_drains(args):
    """check-drains TRUTH DOC...: the drains' sum is the truth, in every view, exactly."""
    totals, protos, flows, sources = load_truth(args[0])
    docs = [json.load(open(p)) for p in args[1:]]
    bad = []
    if not all(d.get("drained") is True for d in docs):
        bad.append("a drain's JSON lacks \"drained\": true")
    tot, p, s, f = sum_docs(docs)
    diff("totals", {k: tot[k] for k in totals}, totals, bad)
    diff("unrecorded", tot["unrecorded_packets"], 0, bad)
    diff("protocols", {k: v for k, v in p.items()}, protos, bad)
    diff("sources", s, {k: v for k, v in sources.items()}, bad)
    diff("flows", f, flows, bad)
    if bad:
        sys.exit("; ".join(bad))
    nonzero = sum(1 for d in docs if d["totals"]["packets"])
    print("%d drains (%d with counts), %d packets, %d flows" % (len(docs), nonzero, tot["packets"], len(f)))

def cmd_check_zero(args):
    d = json.load(open(args[0]))
    bad = [k for k in ("packets", "bytes", "flow_table_used") if d["totals"][k]]
    bad += [v for v in ("protocols", "sources", "flows") if d[v]]
    if bad:
        sys.exit("not zero after the last drain: %s" % bad)

def cmd_check_totals(args):
    """check-totals DOC TRUTH...: the reader's totals equal the truths together (nothing drained)."""
    d = json.load(open(args[0]))
    want = collections.Counter()
    for p in args[1:]:
        want.update(load_truth(p)[0])
    got = {k: d["totals"][k] for k in want}
    if got != dict(want):
        sys.exit("totals %s, want %s" % (got, dict(want)))

def ms(s):  # nfdump prints local time; the script runs it with TZ=UTC
    d = datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%f")
    return int(d.replace(tzinfo=datetime.timezone.utc).timestamp() * 1000 + 0.5)

def flagbits(s):  # nfdump's 8 characters, CWR first: "CEUAPRSF"
    return sum(1 << (7 - i) for i, c in enumerate(s) if c != ".")

def cmd_check_nfdump(args):
    """check-nfdump JSON T0 T1 TRUTH...: every flow once, right fields, times in [T0, T1]."""
    recs = [r for r in json.load(open(args[0])) if r.get("type") == "FLOW"]
    t0, t1 = float(args[1]) * 1000 - 50, float(args[2]) * 1000 + 50
    want = {}
    for p in args[3:]:
        want.update(load_truth(p)[2])
    got, bad = {}, []
    for r in recs:
        v6 = "src6_addr" in r
        src = str(ipaddress.ip_address(r["src6_addr" if v6 else "src4_addr"]))
        dst = str(ipaddress.ip_address(r["dst6_addr" if v6 else "dst4_addr"]))
        if "icmp_type" in r:
            sport, dport = 0, r["icmp_type"] << 8 | r["icmp_code"]
        else:
            sport, dport = r["src_port"], r["dst_port"]
        k = (r["input_snmp"], 6 if v6 else 4, src, dst, r["proto"], sport, dport)
        if k in got:
            bad.append("flow %s twice" % (k,))
        got[k] = dict(packets=r["in_packets"], ip_bytes=r["in_bytes"],
                      tcp_flags=flagbits(r.get("tcp_flags", "")))
        for tf in ("first", "last"):
            if not t0 <= ms(r[tf]) <= t1:
                bad.append("flow %s %s %s outside the feed's window" % (k, tf, r[tf]))
    w = {k: dict(packets=f["packets"], ip_bytes=f["ip_bytes"], tcp_flags=f["tcp_flags"] if k[4] == 6 else 0)
         for k, f in want.items()}
    diff("flows", got, w, bad)
    if bad:
        sys.exit("; ".join(bad[:3]))
    print("%d flows" % len(got))

def cmd_check_tshark(args):
    """check-tshark JSON DELTA TRUTH: templates of the mode, every record, packets and layer-2 bytes."""
    delta = args[1] == "1"
    base = 256 if delta else 260
    C = ("cflow.packets", "cflow.octets", "cflow.layer2_octet_delta_count") if delta else \
        ("cflow.permanent_packets", "cflow.permanent_octets", "cflow.layer2_octet_total_count")
    want = load_truth(args[2])[2]
    templates, recs, msgs = set(), collections.Counter(), 0
    for pkt in json.load(open(args[0])):
        cf = pkt["_source"]["layers"].get("cflow")
        if cf is None:
            continue
        msgs += 1
        for key, s in cf.items():
            if not key.startswith("Set "):
                continue
            if int(s["cflow.flowset_id"]) == 2:
                templates.update(int(v["cflow.template_id"]) for k, v in s.items() if k.startswith("Template"))
                continue
            for k, r in s.items():
                if k.startswith("Flow "):
                    src = r.get("cflow.srcaddrv6", r.get("cflow.srcaddr"))
                    recs[(str(ipaddress.ip_address(src)),) + tuple(int(r[c]) for c in C)] += 1
    w = collections.Counter((k[2], f["packets"], f["ip_bytes"], f["bytes"]) for k, f in want.items())
    if templates != set(range(base, base + 4)):
        sys.exit("templates %s, want %d-%d" % (sorted(templates), base, base + 3))
    if recs != w:
        sys.exit("%d records decoded, %d flows sent; first wrong: %s" %
                 (sum(recs.values()), len(want), sorted((recs - w) or (w - recs))[:1]))
    print("%d records in %d messages" % (sum(recs.values()), msgs))

PROM = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?')

def cmd_check_prom(args):
    """check-prom FILE TRUTH...: per-interface and per-protocol counters equal the truths together."""
    samples = {}
    for line in open(args[0]):
        if line.startswith("#") or not line.strip():
            continue
        m = PROM.match(line.rstrip("\n"))
        labels = dict(LABEL.findall(m.group(2) or ""))
        samples.setdefault(m.group(1), []).append((labels, int(m.group(3))))
    tot, protos = collections.Counter(), collections.Counter()
    ifindex = None
    for p in args[1:]:
        t, pr, _, _ = load_truth(p)
        tot.update(t)
        for k, (pk, b) in pr.items():
            protos[(k[1], k[2], "p")] += pk
            protos[(k[1], k[2], "b")] += b
            ifindex = k[0]
    bad = []
    def one(name, **lab):
        hits = [v for l, v in samples.get(name, []) if all(l.get(k) == v2 for k, v2 in lab.items())]
        return hits[0] if len(hits) == 1 else "%d samples" % len(hits)
    for name, want in (("xdpflow_interface_packets_total", tot["packets"]),
                       ("xdpflow_interface_bytes_total", tot["bytes"]),
                       ("xdpflow_non_ip_packets_total", tot["non_ip"]),
                       ("xdpflow_malformed_bytes_total", tot["malformed_bytes"])):
        got = one(name, ifindex=str(ifindex))
        if got != want:
            bad.append("%s %s, want %s" % (name, got, want))
    names = {1: "icmp", 6: "tcp", 17: "udp", 58: "ipv6-icmp"}
    got_p = {(l["family"], l["protocol"]): v for l, v in samples.get("xdpflow_packets_total", [])}
    want_p = {("ipv%d" % k[0], names[k[1]]): v for k, v in protos.items() if k[2] == "p"}
    if got_p != want_p:
        bad.append("protocol packets %s, want %s" % (got_p, want_p))
    got_b = {(l["family"], l["protocol"]): v for l, v in samples.get("xdpflow_bytes_total", [])}
    want_b = {("ipv%d" % k[0], names[k[1]]): v for k, v in protos.items() if k[2] == "b"}
    if got_b != want_b:
        bad.append("protocol bytes %s, want %s" % (got_b, want_b))
    if bad:
        sys.exit("; ".join(bad))

if __name__ == "__main__":
    globals()["cmd_" + sys.argv[1].replace("-", "_")](sys.argv[2:])
PY
truth() { python3 "$T/truth.py" "$@"; }

check() {
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then
		xf_pass "$name${out:+ ($(printf '%s' "$out" | tail -n 1))}"
	else
		xf_fail "$name" "$(printf '%s' "$out" | tail -n 3 | tr '\n' ' ')"
	fi
}

# feed_truth PIN NAME NFLOWS SEED OCTET: run generated frames through the program with its
# maps at PIN; $T/NAME.json is their truth; sets FEED_T0/FEED_T1 (wall clock around it).
feed_truth() {
	local pin=$1 name=$2
	truth gen-feed "$T/$name.frames" "$T/$name.json" "$LO" "$3" "$4" "$5" || return 1
	FEED_T0=$(now)
	if ! feed --pin-path "$pin" --max-flows 65536 --frames "$T/$name.frames" >"$T/feed.out" 2>&1; then
		xf_fail "feed $name" "$(tail -n 2 "$T/feed.out" | tr '\n' ' ')"
		return 1
	fi
	FEED_T1=$(now)
}

# ---- Drains under traffic through a veth, back to back -------------------------------------

test_drain_veth() {
	local P n sent i=0 rc out pid docs=() during
	xf_pin_dir P veth
	if ! xf_in "$NS" "$LOADER" attach -p "$P" --obj "$OBJ" eb0 >"$T/out" 2>&1; then
		xf_fail "drain veth: attach" "$(tail -n 1 "$T/out")"
		return
	fi
	xf_on_exit "nsenter --net=/run/netns/$NS '$LOADER' detach -p '$P' eb0"
	n=$(truth gen-veth "$T/veth.spec" "$T/veth.json" "$(xf_ifindex "$NS" eb0)" "${EXPORT_TEST_ROUNDS:-2000}")
	xf_in "$NS" "$SEND" ea0 "$T/veth.spec" >"$T/send.out" 2>&1 &
	pid=$!
	PIDS+=("$pid")
	# Drains back to back for as long as the sender sends.
	while kill -0 "$pid" 2>/dev/null; do
		RN -p "$P" --drain --format json >"$T/drain.$i.json" 2>"$T/drain.err" ||
			{ xf_fail "drain veth: drain $i" "$(cat "$T/drain.err")"; kill "$pid"; return; }
		docs+=("$T/drain.$i.json")
		i=$((i + 1))
	done
	wait "$pid"
	rc=$?
	during=$i
	sent=$(cat "$T/send.out")
	if ((rc)) || [[ $sent != "sent $n frames"*" 0 tx_dropped)" ]]; then
		xf_fail "drain veth: send" "expected $n frames and no drops: $sent"
		return
	fi
	RN -p "$P" --drain --format json >"$T/drain.last.json" 2>"$T/drain.err" ||
		{ xf_fail "drain veth: last drain" "$(cat "$T/drain.err")"; return; }
	docs+=("$T/drain.last.json")
	if ((during < 3)); then
		xf_fail "drain veth: drains during traffic" "only $during drains while $n frames went out"
	else
		xf_pass "drain veth: $during drains ran while sendframes sent $n frames ($sent)"
	fi
	check "drain veth: the drains add up to every frame sent, exactly: totals, protocols, sources, flows" \
		truth check-drains "$T/veth.json" "${docs[@]}"
	RN -p "$P" --format json >"$T/after.json" 2>"$T/err"
	check "drain veth: after the last drain every view reads zero" truth check-zero "$T/after.json"

	# The loader reuses the pins after drains: detach, attach again, and it counts on.
	truth gen-veth "$T/veth2.spec" "$T/veth2.json" "$(xf_ifindex "$NS" eb0)" 2 >/dev/null
	if xf_in "$NS" "$LOADER" detach -p "$P" eb0 >"$T/out" 2>&1 &&
		xf_in "$NS" "$LOADER" attach -p "$P" --obj "$OBJ" eb0 >>"$T/out" 2>&1 &&
		out=$(xf_send "$NS" ea0 "$T/veth2.spec"); then
		RN -p "$P" --drain --format json >"$T/drain.reuse.json" 2>"$T/err"
		check "drain veth: detach and attach again after drains reuses the pins and counts on" \
			truth check-drains "$T/veth2.json" "$T/drain.reuse.json"
	else
		xf_fail "drain veth: reattach after drains" "$(tail -n 2 "$T/out") $out"
	fi
}

# ---- IPFIX from the reader to nfcapd, decoded by tshark too ---------------------------------

test_ipfix() {
	local P p1 p2 p6 t0 t1 out
	xf_pin_dir P ipfix
	# 1500 flows: IPv4, IPv6, TCP, UDP, ICMP, ICMPv6; far more than one message holds.
	feed_truth "$P" ipfix 1500 3 3 || return
	t0=$FEED_T0 t1=$FEED_T1
	p1=$(free_port 4)
	p2=$(free_port 4)
	while [ "$p2" = "$p1" ]; do p2=$(free_port 4); done
	if ! start_capture "$T/ipfix.pcap" "$p1" "$p2"; then
		xf_fail "ipfix: tshark capture" "tshark could not capture on lo"
		return
	fi
	if start_nfcapd "$T/nf-total" "$p1" 4; then
		R -p "$P" --ipfix "127.0.0.1:$p1" --odid 7 >"$T/out" 2>"$T/err"
		[ $? = 0 ] && [ ! -s "$T/out" ] && [ ! -s "$T/err" ] &&
			xf_pass "ipfix: --ipfix alone prints nothing and exits 0" ||
			xf_fail "ipfix: --ipfix alone prints nothing and exits 0" "$(cat "$T/err" "$T/out" | head -c 300)"
		stop_nfcapd
		TZ=UTC nfdump -R "$T/nf-total" -o json >"$T/nf-total.json" 2>"$T/err"
		check "ipfix: nfcapd stores every flow (total counters): addresses, ports, protocol, packets, IP bytes, flags, times" \
			truth check-nfdump "$T/nf-total.json" "$t0" "$t1" "$T/ipfix.json"
	else
		xf_fail "ipfix: nfcapd" "did not start on 127.0.0.1:$p1"
	fi
	if start_nfcapd "$T/nf-delta" "$p2" 4; then
		R -p "$P" --drain --ipfix "127.0.0.1:$p2" --odid 8 >"$T/out" 2>"$T/err" ||
			xf_fail "ipfix: --drain --ipfix" "$(cat "$T/err")"
		stop_nfcapd
		TZ=UTC nfdump -R "$T/nf-delta" -o json >"$T/nf-delta.json" 2>"$T/err"
		check "ipfix: --drain sends the same flows as deltas, nfcapd stores every one" \
			truth check-nfdump "$T/nf-delta.json" "$t0" "$t1" "$T/ipfix.json"
		R -p "$P" --format json >"$T/after.json"
		check "ipfix: after --drain --ipfix the tables read zero" truth check-zero "$T/after.json"
	else
		xf_fail "ipfix: nfcapd" "did not start on 127.0.0.1:$p2"
	fi
	stop_capture
	for mode in "total $p1 0" "delta $p2 1"; do
		set -- $mode
		out=$(tshark -r "$T/ipfix.pcap" -d "udp.port==$2,cflow" -Y "udp.port==$2 && (_ws.malformed || _ws.expert)" 2>/dev/null | wc -l)
		if [ "$out" != 0 ]; then
			xf_fail "ipfix: tshark decodes the $1 messages cleanly" "$out malformed or expert-flagged messages"
			continue
		fi
		tshark -r "$T/ipfix.pcap" -d "udp.port==$2,cflow" -Y "udp.port==$2" -T json -J cflow >"$T/ts.json" 2>/dev/null
		check "ipfix: tshark decodes the $1 messages with no warning: templates, every record, packets, IP and layer-2 bytes" \
			truth check-tshark "$T/ts.json" "$3" "$T/ipfix.json"
	done

	# An IPv6 collector, and views printed next to the export.
	feed_truth "$P" ipfix6 200 4 4 || return
	t0=$FEED_T0 t1=$FEED_T1
	p6=$(free_port 6)
	if start_nfcapd "$T/nf-v6" "$p6" 6; then
		R -p "$P" --drain --ipfix "[::1]:$p6" --format json totals >"$T/v6.json" 2>"$T/err" ||
			xf_fail "ipfix: [::1] collector" "$(cat "$T/err")"
		stop_nfcapd
		TZ=UTC nfdump -R "$T/nf-v6" -o json >"$T/nf-v6.json" 2>"$T/err"
		check "ipfix: an IPv6 collector [::1]:PORT stores every flow" \
			truth check-nfdump "$T/nf-v6.json" "$t0" "$t1" "$T/ipfix6.json"
		check "ipfix: named VIEWs print next to the export, from the same drain" \
			python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); t=json.load(open(sys.argv[2]))["totals"]
assert d["drained"] and d["totals"]["packets"] == t["packets"] and "flows" not in d, d["totals"]' "$T/v6.json" "$T/ipfix6.json"
	else
		xf_fail "ipfix: nfcapd on [::1]" "did not start"
	fi
}

# ---- --output: atomic files, Prometheus textfiles ------------------------------------------

test_output() {
	local P D f mode pid size tmp old
	xf_pin_dir P output
	D=$T/textfile
	mkdir -p "$D"
	feed_truth "$P" prom 300 5 5 || return
	(umask 022 && R -p "$P" --format prometheus -o "$D/xdpflow.prom") 2>"$T/err" ||
		{ xf_fail "output: prometheus" "$(cat "$T/err")"; return; }
	if out=$(promtool check metrics <"$D/xdpflow.prom" 2>&1); then
		xf_pass "output: promtool check metrics accepts the --output file"
	else
		xf_fail "output: promtool check metrics accepts the --output file" "$(echo "$out" | head -n 2 | tr '\n' ' ')"
	fi
	check "output: the file's counters equal the frames fed" truth check-prom "$D/xdpflow.prom" "$T/prom.json"
	mode=$(stat -c %a "$D/xdpflow.prom")
	[ "$mode" = 644 ] && [ "$(ls -A "$D")" = xdpflow.prom ] &&
		xf_pass "output: a new file is 0644 (umask 022), no temporary file left" ||
		xf_fail "output: a new file is 0644 (umask 022), no temporary file left" "mode $mode, folder: $(ls -A "$D" | tr '\n' ' ')"
	chmod 0640 "$D/xdpflow.prom"
	R -p "$P" --format prometheus -o "$D/xdpflow.prom" 2>"$T/err"
	[ "$(stat -c %a "$D/xdpflow.prom")" = 640 ] &&
		xf_pass "output: replacing a file keeps its mode (0640)" ||
		xf_fail "output: replacing a file keeps its mode (0640)" "mode $(stat -c %a "$D/xdpflow.prom")"
	for f in json csv table; do
		R -p "$P" --format "$f" >"$T/stdout.$f" 2>/dev/null
		R -p "$P" --format "$f" -o "$T/file.$f" 2>"$T/err"
		if [ $? = 0 ] && [ ! -s "$T/err" ] &&
			diff <(grep -v '"time"' "$T/stdout.$f") <(grep -v '"time"' "$T/file.$f") >/dev/null; then
			xf_pass "output: --format $f -o FILE writes what stdout would get"
		else
			xf_fail "output: --format $f -o FILE writes what stdout would get" "$(head -c 200 "$T/err")"
		fi
	done

	# Drains into a textfile: running totals, still valid, never going down.
	R -p "$P" --drain --format prometheus -o "$D/drain.prom" totals protocols 2>"$T/err" ||
		xf_fail "output: drain to prometheus" "$(cat "$T/err")"
	check "output: the first drain into a textfile holds the drained counts" truth check-prom "$D/drain.prom" "$T/prom.json"
	feed_truth "$P" prom2 100 6 6 || return
	R -p "$P" --drain --format prometheus -o "$D/drain.prom" totals protocols 2>"$T/err" ||
		xf_fail "output: second drain to prometheus" "$(cat "$T/err")"
	check "output: a second drain adds to the file's counters: running totals of both" \
		truth check-prom "$D/drain.prom" "$T/prom.json" "$T/prom2.json"
	if out=$(promtool check metrics <"$D/drain.prom" 2>&1) && head -n 1 "$D/drain.prom" | grep -q '^# xdpflow-reader --drain: running totals'; then
		xf_pass "output: the running-totals file is marked and promtool accepts it"
	else
		xf_fail "output: the running-totals file is marked and promtool accepts it" "$(echo "$out" | head -n 2 | tr '\n' ' ')"
	fi
	R -p "$P" --drain --format prometheus -o "$D/drain.prom" totals protocols 2>"$T/err"
	check "output: a drain with no traffic leaves the running totals as they were" \
		truth check-prom "$D/drain.prom" "$T/prom.json" "$T/prom2.json"

	# Killed mid-write: the previous file stays whole, only a hidden non-.prom file is left.
	local PB
	xf_pin_dir PB big
	if ! feed --pin-path "$PB" --max-flows 400000 --generate 300000 >"$T/out" 2>&1; then
		xf_fail "output: kill mid-write: feed" "$(cat "$T/out")"
		return
	fi
	cp "$D/xdpflow.prom" "$T/before.prom"
	R -p "$PB" --format prometheus --prometheus-flows -o "$D/xdpflow.prom" 2>/dev/null &
	pid=$!
	PIDS+=("$pid")
	size=0
	for _ in $(seq 2000); do
		tmp=$(find "$D" -maxdepth 1 -name '.xdpflow.prom.*' -size +256k 2>/dev/null | head -n 1)
		[ -n "$tmp" ] && kill -STOP "$pid" 2>/dev/null && size=$(stat -c %s "$tmp") && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.005
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	if [ "$size" = 0 ]; then
		xf_fail "output: a reader killed mid-write leaves the old file" "never caught the reader writing its temporary file"
	elif cmp -s "$T/before.prom" "$D/xdpflow.prom" && [ "$(cd "$D" && ls -- *.prom | tr '\n' ' ')" = "drain.prom xdpflow.prom " ]; then
		xf_pass "output: a reader killed (SIGKILL) mid-write ($size bytes written) leaves the old file whole; its leftover $(basename "$tmp") is hidden and not *.prom"
	else
		xf_fail "output: a reader killed mid-write leaves the old file" "file changed or *.prom files: $(cd "$D" && ls -- *.prom | tr '\n' ' ')"
	fi
	rm -f "$D"/.xdpflow.prom.*

	# A disk that fills while writing: one line, the old file as it was, no temporary file.
	mkdir -p "$T/small"
	unshare -m sh -c 'mount -t tmpfs -o size=256k tmpfs "$1" && echo old >"$1/x.json" &&
		"$2" -p "$3" --format json flows -o "$1/x.json" 2>"$4/small.err"; echo "exit $?";
		echo "content $(cat "$1/x.json")"; echo "files $(ls -A "$1" | tr "\n" " ")"' \
		sh "$T/small" "$READER" "$PB" "$T" >"$T/small.out" 2>&1
	if grep -qx "exit 1" "$T/small.out" && grep -qx "content old" "$T/small.out" &&
		grep -qx "files x.json " "$T/small.out" && [ "$(wc -l <"$T/small.err")" = 1 ] &&
		grep -q "^xdpflow-reader: cannot write --output .*/x.json: No space left on device; .* is left as it was$" "$T/small.err"; then
		xf_pass "output: a full disk: one line, the old file as it was, no temporary file left"
	else
		xf_fail "output: a full disk" "$(tr '\n' '|' <"$T/small.out") $(cat "$T/small.err")"
	fi
}

# ---- Errors: one line, non-zero, and a drain that fails its checks drains nothing -----------

test_errors() {
	local P before port D
	xf_pin_dir P errors
	D=$T/errfiles
	mkdir -p "$D"
	feed_truth "$P" err 50 7 7 || return
	before=$(R -p "$P" --format json totals protocols flows | grep -v '"time"' | md5sum)
	unchanged() { [ "$(R -p "$P" --format json totals protocols flows | grep -v '"time"' | md5sum)" = "$before" ]; }
	nothing_drained() {
		if unchanged; then xf_pass "$1: nothing drained"; else xf_fail "$1: nothing drained" "the counts changed"; fi
	}

	xf_expect_reader_error "error: --drain --ipfix to a name that does not resolve" 1 \
		"cannot resolve \"no-such-host.invalid\".*nothing was drained" \
		R -p "$P" --drain --ipfix no-such-host.invalid:4739
	nothing_drained "error: unresolvable collector"
	port=$(free_port 4)
	xf_expect_reader_error "error: --drain --ipfix to a port nothing listens on" 1 \
		"127.0.0.1 port $port does not take messages: Connection refused.*nothing was drained" \
		R -p "$P" --drain --ipfix "127.0.0.1:$port"
	nothing_drained "error: refused collector"
	xf_expect_reader_error "error: --ipfix with a bad port is a usage error" 2 "port \"99999\" is not a number" \
		R -p "$P" --drain --ipfix 127.0.0.1:99999
	xf_expect_reader_error "error: --output into a missing folder" 1 "no folder $D/none: create it.*nothing was drained" \
		R -p "$P" --drain --format json -o "$D/none/x.json"
	nothing_drained "error: missing --output folder"
	echo "node_cpu_seconds_total 1" >"$D/other.prom"
	xf_expect_reader_error "error: --drain into a textfile of totals is refused (would count twice)" 1 \
		"does not hold the running totals.*count twice.*nothing was drained" \
		R -p "$P" --drain --format prometheus -o "$D/other.prom"
	[ "$(cat "$D/other.prom")" = "node_cpu_seconds_total 1" ] && [ "$(ls -A "$D")" = other.prom ] &&
		xf_pass "error: the refused textfile is untouched, no temporary file left" ||
		xf_fail "error: the refused textfile is untouched, no temporary file left" "$(ls -A "$D" | tr '\n' ' ')"
	nothing_drained "error: refused textfile"
	xf_expect_reader_error "error: --drain as nobody: needs write access, names the way out" 1 \
		"--drain needs write access to the pins at $P.*run as root" \
		setpriv --reuid=65534 --regid=65534 --clear-groups "$READER" -p "$P" --drain
	nothing_drained "error: --drain without privilege"
	if command -v capsh >/dev/null; then
		chmod 0400 "$P"/xdpflow_*
		xf_expect_reader_error "error: --drain on read-only pins (0400, root without CAP_DAC_OVERRIDE) says so" 1 \
			"--drain needs write access to the pins at $P \(Permission denied\)" \
			capsh --drop=cap_dac_override -- -c 'exec "$0" "$@"' "$READER" -p "$P" --drain
		chmod 0600 "$P"/xdpflow_*
		nothing_drained "error: --drain on read-only pins"
	else
		xf_skip "error: --drain on read-only pins" "needs capsh (Debian package libcap2-bin)"
	fi
	xf_expect_reader_error "error: --drain --format prometheus to stdout is a usage error" 2 "needs --output FILE" \
		R -p "$P" --drain --format prometheus
	xf_expect_reader_error "error: --drain --top is a usage error" 2 "--drain with --top" R -p "$P" --drain --top 3
	xf_expect_reader_error "error: --drain --interface is a usage error" 2 "--drain with --interface" R -p "$P" --drain -i lo
	xf_expect_reader_error "error: --drain --watch is a usage error" 2 "--drain does not repeat" R -p "$P" --drain -w 1
	xf_expect_reader_error "error: --odid without --ipfix is a usage error" 2 "--odid needs --ipfix" R -p "$P" --odid 3
	xf_expect_reader_error "error: --mtu out of range is a usage error" 2 "--mtu 100" R -p "$P" --ipfix 127.0.0.1 --mtu 100
	xf_expect_reader_error "error: --ipfix with --output but no VIEW is a usage error" 2 "add the VIEWs" \
		R -p "$P" --ipfix 127.0.0.1 -o "$D/x.json"
	nothing_drained "error: usage errors"
	# After the swap a failed write is said so, with what was lost.
	R -p "$P" --drain --format json >/dev/full 2>"$T/err"
	[ $? = 1 ] && [ "$(wc -l <"$T/err")" = 1 ] &&
		grep -Eq "^xdpflow-reader: drained $P \([0-9]+ packets, .*\), but cannot write the output: No space left on device; this drain's report is lost$" "$T/err" &&
		xf_pass "error: a drain whose output fails after the reset says what was lost, exit 1" ||
		xf_fail "error: a drain whose output fails after the reset says what was lost, exit 1" "$(cat "$T/err")"
}

test_help() {
	R --help >"$T/help" 2>&1 && grep -q -- "--drain" "$T/help" && grep -q -- "--ipfix HOST\[:PORT\]" "$T/help" &&
		grep -q -- "--output FILE" "$T/help" && grep -q -- "--ipfix-rate N" "$T/help" &&
		xf_pass "--help documents --drain, --output, --ipfix, --odid, --mtu, --ipfix-rate" ||
		xf_fail "--help documents --drain, --output, --ipfix, --odid, --mtu, --ipfix-rate" "$(head -c 200 "$T/help")"
}

test_drain_veth
test_ipfix
test_output
test_errors
test_help
xf_summary
