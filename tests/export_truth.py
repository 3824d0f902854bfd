# SPDX-License-Identifier: GPL-2.0
"""Ground truth for test-export.sh and test-drains.sh: builds frames, knows what they count, checks exports."""
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
        out.append((frame, dict(cls="ip", key=key, ip_bytes=len(ip), flags=flags,
                                vlan=vlans[0][1] if vlans else 0)))
    out.append((eth(0x0806, bytes(28)), dict(cls="non_ip")))
    out.append((eth(0x88cc, bytes(40)), dict(cls="non_ip")))
    out.append((eth(0x0800, bytes((0x43,)) + bytes(30)), dict(cls="malformed")))
    out.append((eth(0x86DD, bytes((0x60,)) + bytes(20)), dict(cls="malformed")))
    return out

def truth_of(fr, counts, ifindex):
    """What frames fr sent counts[i] times each on ifindex must count, in every view."""
    t = dict(packets=0, bytes=0, ip=0, ip_frame_bytes=0, non_ip=0, non_ip_bytes=0, malformed=0,
             malformed_bytes=0)
    protos, flows, vlans = collections.Counter(), {}, {}
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
        vlans[(ifindex,) + k] = info["vlan"]
    # The flows' VLAN (one tag or none: frames() sends each 5-tuple on one VLAN only).
    return dict(totals=t, protos=[list(k) + [v] for k, v in protos.items()],
                flows=[list(k) + [v] for k, v in flows.items()],
                vlans=[list(k) + [v] for k, v in vlans.items()])

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
    bad = [k for k in ("packets", "bytes", "flow_table_fill", "flows_read") if d["totals"][k]]
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

def nfdump_key(r):
    """The flow key of one of nfdump's JSON records."""
    v6 = "src6_addr" in r
    src = str(ipaddress.ip_address(r["src6_addr" if v6 else "src4_addr"]))
    dst = str(ipaddress.ip_address(r["dst6_addr" if v6 else "dst4_addr"]))
    if "icmp_type" in r:
        sport, dport = 0, r["icmp_type"] << 8 | r["icmp_code"]
    else:
        sport, dport = r["src_port"], r["dst_port"]
    return (r["input_snmp"], 6 if v6 else 4, src, dst, r["proto"], sport, dport)

def cmd_check_nfdump(args):
    """check-nfdump JSON T0 T1 TRUTH...: every flow once, right fields, times in [T0, T1]."""
    recs = [r for r in json.load(open(args[0])) if r.get("type") == "FLOW"]
    t0, t1 = float(args[1]) * 1000 - 50, float(args[2]) * 1000 + 50
    want = {}
    for p in args[3:]:
        want.update(load_truth(p)[2])
    got, bad = {}, []
    for r in recs:
        k = nfdump_key(r)
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
    """check-tshark JSON DELTA TRUTH: templates of the mode (one VLAN tag or none, and QinQ), every
    record, packets, layer-2 bytes and vlanId."""
    delta = args[1] == "1"
    base = 256 if delta else 260
    vlan_of = {tuple(v[:7]): v[7] for v in json.load(open(args[2]))["vlans"]}
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
                    recs[(str(ipaddress.ip_address(src)),) + tuple(int(r[c]) for c in C) +
                         (int(r.get("cflow.vlanid", -1)),)] += 1
    w = collections.Counter((k[2], f["packets"], f["ip_bytes"], f["bytes"], vlan_of[k])
                            for k, f in want.items())
    if templates != set(range(base, base + 4)) | set(range(base + 8, base + 12)):
        sys.exit("templates %s, want %d-%d and %d-%d" % (sorted(templates), base, base + 3, base + 8,
                                                         base + 11))
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

def json_docs(path):
    """The complete JSON documents of a reader's stdout; a document cut off by a kill is not one."""
    try:
        text, docs, i = open(path, errors="replace").read(), [], 0
    except FileNotFoundError:  # killed before its shell opened the file
        return [], False
    dec = json.JSONDecoder()
    while True:
        while i < len(text) and text[i].isspace():
            i += 1
        if i == len(text):
            return docs, False
        try:
            d, i = dec.raw_decode(text, i)
        except ValueError:
            return docs, True
        docs.append(d)

def views_of(d):
    """A report's counts, in every view (not the times, which the reading converts anew)."""
    return sum_docs([d])

def cmd_check_delivered(args):
    """check-delivered TRUTH OUT...: every drain report delivered, by drain ID, sums to the truth;
    a report delivered again (a kill after delivery, before it was forgotten) is the same report."""
    totals, protos, flows, sources = load_truth(args[0])
    by_id, where, again, cut, bad = {}, {}, 0, 0, []
    for p in args[1:]:
        docs, partial = json_docs(p)
        cut += partial
        for d in docs:
            i = d.get("drain_id")
            if not i:
                bad.append("%s: a report without a drain_id" % p)
                continue
            if i in by_id:
                again += 1
                if views_of(by_id[i]) != views_of(d):
                    bad.append("drain %d delivered twice with different counts (%s: %d packets, %s: %d)"
                               % (i, where[i], by_id[i]["totals"]["packets"], p, d["totals"]["packets"]))
                continue
            by_id[i], where[i] = d, p
    ids = sorted(by_id)
    tot, pr, so, fl = sum_docs([by_id[i] for i in ids])
    diff("totals", {k: tot[k] for k in totals}, totals, bad)
    diff("protocols", pr, protos, bad)
    diff("sources", so, {k: v for k, v in sources.items()}, bad)
    diff("flows", fl, flows, bad)
    if bad:
        sys.exit("; ".join(bad[:4]))
    print("%d reports, %d packets; %d delivered again (same drain ID, same counts), %d cut off by a kill"
          % (len(ids), tot["packets"], again, cut))

def ipfix_messages(path):
    """(odid, sequence, [record dict]) of every message in a file of 4-byte-length-prefixed datagrams."""
    data, off, templates, out = open(path, "rb").read(), 0, {}, []
    while off + 4 <= len(data):
        (n,) = struct.unpack_from("!I", data, off)
        msg = data[off + 4:off + 4 + n]
        off += 4 + n
        if len(msg) < 16:
            continue
        ver, length, _, seq, odid = struct.unpack_from("!HHIII", msg)
        if ver != 10 or length != len(msg):
            raise SystemExit("not an IPFIX message: version %d, length %d of %d" % (ver, length, len(msg)))
        recs, p = [], 16
        while p + 4 <= length:
            sid, slen = struct.unpack_from("!HH", msg, p)
            body, q = msg[p + 4:p + slen], 0
            p += slen
            if sid == 2:
                while q + 4 <= len(body):
                    tid, cnt = struct.unpack_from("!HH", body, q)
                    q += 4
                    fields = []
                    for _ in range(cnt):
                        ie, ln = struct.unpack_from("!HH", body, q)
                        q += 4
                        fields.append((ie, ln))
                    templates[(odid, tid)] = fields
            elif sid >= 256:
                fields = templates[(odid, sid)]
                rlen = sum(ln for _, ln in fields)
                while q + rlen <= len(body):
                    r = {}
                    for ie, ln in fields:
                        v = body[q:q + ln]
                        q += ln
                        r[ie] = v if ln in (4, 16) and ie in (8, 12, 27, 28) else int.from_bytes(v, "big")
                    recs.append(r)
        out.append((odid, seq, recs))
    return out

def flow_of_record(r):
    v6 = 27 in r
    src = str(ipaddress.ip_address(r[27 if v6 else 8]))
    dst = str(ipaddress.ip_address(r[28 if v6 else 12]))
    if 32 in r or 139 in r:
        sport, dport = 0, r.get(32, r.get(139))
    else:
        sport, dport = r[7], r[11]
    return (r[10], 6 if v6 else 4, src, dst, r[4], sport, dport)

def cmd_check_ipfix(args):
    """check-ipfix TRUTH DATAGRAMS: the delta records, each counted once by its sequence number
    (odid, message sequence + its place), sum to the truth's flows (packets, IP and layer-2 bytes)."""
    want = load_truth(args[0])[2]
    seen, flows, again, shift, bad = {}, {}, 0, 0, []
    for odid, seq, recs in ipfix_messages(args[1]):
        for j, r in enumerate(recs):
            k = (odid, (seq + j) & 0xffffffff)
            if k in seen:
                again += 1
                a, b = dict(seen[k]), dict(r)
                for ie in (152, 153):  # the times: converted anew by each delivery
                    shift = max(shift, abs(a.pop(ie) - b.pop(ie)))
                if a != b:
                    bad.append("record %s sent twice with different contents (%s)" % (k, ", ".join(
                        "IE %d: %s then %s" % (ie, a.get(ie), b.get(ie)) for ie in sorted(a) if a.get(ie) != b.get(ie))))
                continue
            seen[k] = r
            f = flows.setdefault(flow_of_record(r), dict(packets=0, bytes=0, ip_bytes=0))
            f["packets"] += r[2]
            f["ip_bytes"] += r[1]
            f["bytes"] += r[352]
    w = {k: dict(packets=f["packets"], bytes=f["bytes"], ip_bytes=f["ip_bytes"]) for k, f in want.items()}
    diff("ipfix flows", flows, w, bad)
    if bad:
        sys.exit("; ".join(bad[:3]))
    print("%d records, %d flows; %d records sent again with their own sequence numbers%s"
          % (len(seen), len(flows), again, ", their times up to %d ms apart" % shift if again else ""))

def cmd_sum_nfdump(args):
    """sum-nfdump JSON TRUTH: nfdump's records, summed per flow over every drain, are the truth's flows."""
    want = load_truth(args[1])[2]
    got, bad = {}, []
    for r in json.load(open(args[0])):
        if r.get("type") != "FLOW":
            continue
        g = got.setdefault(nfdump_key(r), dict(packets=0, ip_bytes=0))
        g["packets"] += r["in_packets"]
        g["ip_bytes"] += r["in_bytes"]
    diff("flows", got, {k: dict(packets=f["packets"], ip_bytes=f["ip_bytes"]) for k, f in want.items()}, bad)
    if bad:
        sys.exit("; ".join(bad[:3]))
    print("%d flows, %d packets" % (len(got), sum(g["packets"] for g in got.values())))

def cmd_collect(args):
    """collect PORT FILE [PORT2...]: a UDP collector on 127.0.0.1:PORT appending each datagram,
    length first, to FILE, and passing it on unchanged to 127.0.0.1:PORT2... (other collectors)."""
    import signal, socket
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    s.bind(("127.0.0.1", int(args[0])))
    out = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    f = open(args[1], "ab", buffering=0)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    while True:
        d = s.recv(65535)
        f.write(struct.pack("!I", len(d)) + d)
        for p in args[2:]:
            out.sendto(d, ("127.0.0.1", int(p)))

PMACCT_PROTO = {"tcp": 6, "udp": 17, "icmp": 1, "ipv6-icmp": 58}

def cmd_sum_nfacctd(args):
    """sum-nfacctd JSONLINES TRUTH: nfacctd's print-plugin records (aggregate: in_iface, src/dst
    host and port, proto), summed per flow, are the truth's flows (packets, IP bytes). nfacctd
    puts no ICMP type/code into ports: ICMP flows are keyed with ports 0 on both sides."""
    want, got, bad = {}, {}, []
    for k, f in load_truth(args[1])[2].items():
        if k[4] in (1, 58):
            k = k[:5] + (0, 0)
        w = want.setdefault(k, dict(packets=0, ip_bytes=0))
        w["packets"] += f["packets"]
        w["ip_bytes"] += f["ip_bytes"]
    for line in open(args[0]):
        if not line.strip():
            continue
        r = json.loads(line)
        src = ipaddress.ip_address(r["ip_src"])
        k = (r["iface_in"], src.version, str(src), str(ipaddress.ip_address(r["ip_dst"])),
             PMACCT_PROTO.get(r["ip_proto"], r["ip_proto"]), r["port_src"], r["port_dst"])
        g = got.setdefault(k, dict(packets=0, ip_bytes=0))
        g["packets"] += r["packets"]
        g["ip_bytes"] += r["bytes"]
    diff("nfacctd flows", got, want, bad)
    if bad:
        sys.exit("; ".join(bad[:3]))
    print("%d flows, %d packets" % (len(got), sum(g["packets"] for g in got.values())))

def cmd_scale_truth(args):
    """scale-truth IN K OUT: the truth of IN's frames sent K times over."""
    t, k = json.load(open(args[0])), int(args[1])
    t["totals"] = {n: v * k for n, v in t["totals"].items()}
    t["protos"] = [p[:-1] + [p[-1] * k] for p in t["protos"]]
    t["flows"] = [f[:-1] + [dict(f[-1], packets=f[-1]["packets"] * k, bytes=f[-1]["bytes"] * k,
                                 ip_bytes=f[-1]["ip_bytes"] * k)] for f in t["flows"]]
    json.dump(t, open(args[2], "w"))

if __name__ == "__main__":
    globals()["cmd_" + sys.argv[1].replace("-", "_")](sys.argv[2:])
