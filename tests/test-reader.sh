#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Integration tests of xdpflow-reader: frames with known ground truth through the real XDP program, then every format, option and error.
#
# Frames run through build/xdpflow.bpf.o with BPF_PROG_TEST_RUN (build/tools/feed, maps pinned
# in temporary folders), and through a veth with the program attached. What each frame must
# count is worked out here, in Python, from how the test built the frame: never from xdpflow's
# code. The reader's JSON is read with Python's json, its CSV with Python's csv, its Prometheus
# text with promtool; tables are checked for the numbers. Everything created (namespace,
# veths, pins) is removed on exit, also after a failure. READER=... tests another build.
set -u
. "$(dirname "$0")/lib.sh"

xf_require_root test-reader
xf_require_cmds python3 nsenter bpftool promtool setpriv unshare timeout
READER=${READER:-$XF_BUILD/xdpflow-reader}
FEED=$XF_BUILD/tools/feed
OBJ=$XF_BUILD/xdpflow.bpf.o
xf_require_built "$READER" "$FEED" "$OBJ"

T=$XF_TMP
NS=xdpflow-rtest-$$
xf_netns "$NS" || { xf_fail setup "cannot create network namespace $NS"; exit 1; }
# 18 interfaces: enough to fill the 16 per-CPU interface slots and spill into "other".
for i in 0 1 2 3 4 5 6 7 8; do
	xf_veth "$NS" "ra$i" "rb$i" || { xf_fail setup "cannot create veth ra$i/rb$i"; exit 1; }
done
IFX=$(xf_ifindex "$NS" rb0)
IFY=$(xf_ifindex "$NS" rb1)
# Two CPUs the tests may run on (the same one on a single-CPU machine).
read -r CPU_A CPU_B < <(python3 -c 'import os; c = sorted(os.sched_getaffinity(0)); print(c[0], c[-1])')

# The reader and the feeder run in the namespace (for interface names), with the host's bpffs.
R() { xf_in "$NS" "$READER" "$@"; }
feed() { xf_in "$NS" "$FEED" --obj "$OBJ" "$@"; }
now() { date +%s.%N; }

cat >"$T/truth.py" <<'PY'
"""Ground truth for test-reader.sh: builds frames, knows what each must count, checks the reader."""
import csv, io, json, re, struct, sys
from datetime import datetime, timedelta, timezone

# The totals name each class's whole-frame bytes; IP frames' are ip_frame_bytes, as a flow's
# ip_bytes means IP-layer octets (issue 14 section 5.1: one name, one meaning).
CLASS_BYTES = {"ip": "ip_frame_bytes", "non_ip": "non_ip_bytes", "malformed": "malformed_bytes"}

def eth(ethertype, payload, vlans=()):
    hdr = bytes.fromhex("020000000002020000000001")
    for tpid, vid in vlans:
        hdr += struct.pack("!HH", tpid, vid)
    return hdr + struct.pack("!H", ethertype) + payload

def ipv4(proto, src, dst, l4, frag=0, ihl=5):
    hdr = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, ihl * 4 + len(l4), 0, frag, 64, proto, 0,
                      bytes(src), bytes(dst))
    return hdr + b"\1" * (ihl * 4 - 20) + l4

def ipv6(nh, src, dst, l4):
    return struct.pack("!IHBB16s16s", 6 << 28, len(l4), nh, 64, src, dst) + l4

def tcp(sport, dport, flags, payload=b""):
    return struct.pack("!HHIIBBHHH", sport, dport, 1, 0, 0x50, flags, 512, 0, 0) + payload

def udp(sport, dport, payload=b""):
    return struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload

def icmp(typ, code, payload=b""):
    return struct.pack("!BBHI", typ, code, 0, 0) + payload

def v6(s):
    import ipaddress
    return ipaddress.IPv6Address(s).packed

def addr_text(family, raw):
    import ipaddress
    return str(ipaddress.IPv4Address(raw[:4]) if family == 4 else ipaddress.IPv6Address(raw))

class Truth:
    """Frames to feed ('IFINDEX CPU HEX' lines) and what each one counts."""
    def __init__(self):
        self.lines, self.frames = [], []

    def add(self, ifindex, cpu, frame, cls, family=0, proto=0, src=b"", dst=b"", sport=0,
            dport=0, ip_bytes=0, flags=0, count=1, vlans=()):
        # A flow's VLANs: the first tag's ID (outer) and the second's (QinQ); 0 where none.
        vlan, inner = [v & 0xfff for _, v in vlans[:2]] + [0] * (2 - len(vlans[:2]))
        for _ in range(count):
            self.lines.append("%d %d %s" % (ifindex, cpu, frame.hex()))
            self.frames.append(dict(ifindex=ifindex, cls=cls, family=family, proto=proto,
                                    src=addr_text(family, src) if family else "",
                                    dst=addr_text(family, dst) if family else "",
                                    sport=sport, dport=dport, len=len(frame),
                                    ip_bytes=ip_bytes, flags=flags, vlan=vlan, inner_vlan=inner))

    def ip4(self, ifindex, cpu, proto, src, dst, l4, sport=0, dport=0, flags=0, vlans=(),
            frag=0, count=1):
        ip = ipv4(proto, src, dst, l4, frag)
        self.add(ifindex, cpu, eth(0x0800, ip, vlans), "ip", 4, proto, bytes(src), bytes(dst),
                 sport, dport, len(ip), flags, count, vlans)

    def ip6(self, ifindex, cpu, nh, proto, src, dst, l4, sport=0, dport=0, flags=0, vlans=(),
            count=1):
        ip = ipv6(nh, v6(src), v6(dst), l4)
        self.add(ifindex, cpu, eth(0x86DD, ip, vlans), "ip", 6, proto, v6(src), v6(dst),
                 sport, dport, len(ip), flags, count, vlans)

    def save(self, frames_path, truth_path):
        open(frames_path, "w").write("\n".join(self.lines) + "\n")
        json.dump(self.frames, open(truth_path, "w"))

def gen_main(x, y, a, b, frames_path, truth_path):
    t = Truth()
    # TCP over both CPUs: one flow in two CPUs' caches; flags OR to 0x1b.
    for i, (flags, size) in enumerate(((0x02, 0), (0x10, 0), (0x18, 100), (0x11, 0))):
        t.ip4(x, (a, b)[i % 2], 6, (10, 1, 0, 1), (10, 1, 0, 2), tcp(40000, 80, flags, bytes(size)),
              40000, 80, flags)
    # 20 UDP flows, k packets each of a size falling with k: packets and bytes rank differently.
    for k in range(1, 21):
        t.ip4(x, (a, b)[k % 2], 17, (10, 2, 0, k), (10, 2, 1, 1), udp(1000 + k, 53, bytes(1200 - 50 * k)),
              1000 + k, 53, count=k)
    t.ip4(x, a, 1, (10, 3, 0, 1), (10, 3, 0, 2), icmp(8, 0, bytes(56)), 0, 8 << 8, count=3)
    t.ip4(x, b, 1, (10, 3, 0, 2), (10, 3, 0, 1), icmp(0, 0, bytes(56)), 0, 0, count=2)
    t.ip4(x, a, 1, (10, 3, 0, 9), (10, 3, 0, 1), icmp(3, 3, bytes(28)), 0, 3 << 8 | 3)
    t.ip6(x, a, 17, 17, "fd00::1", "ff02::fb", udp(5353, 5353, bytes(40)), 5353, 5353,
          vlans=((0x8100, 100),), count=5)
    t.ip6(x, b, 6, 6, "fd00::1", "fd00::2", tcp(443, 50000, 0x12), 443, 50000, 0x12, count=2)
    t.ip6(x, a, 58, 58, "fd00::1", "fd00::2", icmp(128, 0, bytes(16)), 0, 128 << 8, count=3)
    hop = struct.pack("!BB6s", 17, 0, bytes(6))  # hop-by-hop options, then UDP
    t.ip6(x, b, 0, 17, "2001:db8::10", "2001:db8::20", hop + udp(1111, 2222, bytes(10)), 1111, 2222,
          count=2)
    t.ip4(x, a, 17, (10, 4, 0, 1), (10, 4, 0, 2), udp(7, 9, bytes(30)), 7, 9,
          vlans=((0x88a8, 10), (0x8100, 20)), count=2)
    # The same 5-tuple on VLANs 300 and 400 (tenants reusing addresses): two flows, two sources.
    for vid, n in ((300, 2), (400, 3)):
        t.ip4(x, (a, b)[n % 2], 17, (10, 6, 0, 1), (10, 6, 0, 2), udp(3000, 3001, bytes(20)), 3000, 3001,
              vlans=((0x8100, vid),), count=n)
    t.ip4(x, b, 17, (10, 5, 0, 1), (10, 5, 0, 2), bytes(100), 0, 0, frag=185)  # not the first fragment
    t.ip4(x, a, 17, (10, 5, 0, 1), (10, 5, 0, 2), udp(4000, 5000, bytes(100)), 4000, 5000, frag=0x2000)
    t.ip4(x, a, 253, (10, 7, 0, 1), (10, 7, 0, 2), bytes(20))  # no name in /etc/protocols
    t.add(x, a, eth(0x0806, bytes(28)), "non_ip", count=5)
    t.add(x, b, eth(0x88cc, bytes(50)), "non_ip", count=2)
    t.add(x, a, eth(0x0800, bytes(60), ((0x8100, 1), (0x8100, 2), (0x8100, 3))), "non_ip")  # 3 tags
    t.add(x, a, eth(0x0800, b""), "malformed")  # no IP header at all
    t.add(x, b, eth(0x0800, bytes((0x44,)) + bytes(40)), "malformed", count=2)  # IHL 4
    t.add(x, a, eth(0x86DD, bytes((0x40,)) + bytes(50)), "malformed")  # version 4
    t.add(x, a, eth(0x86DD, bytes((0x60,)) + bytes(30)), "malformed")  # cut off
    # Interface Y: the same source address as on X, then enough flows to evict cache entries
    # into the table, each flow seen on both CPUs, some again after their eviction.
    t.ip4(y, a, 6, (10, 1, 0, 1), (10, 1, 0, 2), tcp(40001, 80, 0x02), 40001, 80, 0x02, count=2)
    for rnd, cpu, n in ((0, a, 3000), (1, b, 3000), (2, a, 100)):
        for i in range(n):
            t.ip4(y, cpu, 17, (10, 9, i >> 8, i & 255), (10, 9, 255, 1), udp(2000, 53, bytes(22)),
                  2000, 53)
    t.save(frames_path, truth_path)

def gen_late(x, a, frames_path, truth_path):
    t = Truth()
    t.ip4(x, a, 17, (10, 6, 0, 1), (10, 6, 0, 2), udp(6000, 6001, bytes(10)), 6000, 6001, count=2)
    t.save(frames_path, truth_path)

def gen_ifaces(ifindexes, cpu, frames_path, truth_path):
    """ARP on every interface, in order, all on one CPU: the 17th and later go to "other"."""
    t = Truth()
    for n, ifindex in enumerate(ifindexes):
        t.add(ifindex, cpu, eth(0x0806, bytes(28)), "non_ip", count=n + 1)
    t.save(frames_path, truth_path)

def gen_full(x, a, n, frames_path, truth_path):
    t = Truth()
    for i in range(n):
        t.ip4(x, a, 17, (10, 8, i >> 8, i & 255), (10, 8, 255, 1), udp(3000, 53), 3000, 53)
    t.save(frames_path, truth_path)

def gen_one(x, a, sport, count, frames_path, truth_path):
    """count packets of one UDP flow from port sport, 100 bytes of payload each."""
    t = Truth()
    t.ip4(x, a, 17, (10, 11, 0, 1), (10, 11, 0, 2), udp(sport, 53, bytes(100)), sport, 53, count=count)
    t.save(frames_path, truth_path)

def gen_wide(x, a, frames_path, truth_path):
    """Flows whose ends are as long as they get: whole IPv6 addresses, IPv4 with 5-digit ports."""
    t = Truth()
    t.ip4(x, a, 6, (172, 16, 255, 254), (192, 168, 100, 200), tcp(65535, 65534, 0x18, bytes(10)),
          65535, 65534, 0x18, count=3)
    t.ip4(x, a, 17, (10, 0, 0, 1), (10, 0, 0, 2), udp(1234, 53, bytes(20)), 1234, 53)
    t.ip4(x, a, 1, (10, 3, 0, 1), (10, 3, 0, 2), icmp(8, 0, bytes(56)), 0, 8 << 8, count=2)
    t.ip6(x, a, 6, 6, "2a02:8108:1234:5678:a1b2:c3d4:e5f6:7890", "2001:db8:ffff:eeee:dddd:cccc:bbbb:aaaa",
          tcp(54321, 443, 0x12, bytes(20)), 54321, 443, 0x12, count=4)
    t.ip6(x, a, 17, 17, "fd12:3456:789a:bcde:f012:3456:789a:bcde", "fd12:3456:789a:bcde::53",
          udp(40000, 53, bytes(30)), 40000, 53, count=2)
    t.ip6(x, a, 58, 58, "fe80::1234:5678:9abc:def0", "ff02::1", icmp(128, 0, bytes(8)), 0, 128 << 8)
    t.ip6(x, a, 17, 17, "fd00::1", "fd00::2", udp(5353, 5353, bytes(10)), 5353, 5353)
    t.save(frames_path, truth_path)

def gen_veth(spec_path, truth_path, ifindex):
    """Frames for sendframes ('COUNT HEX'), all received on ifindex."""
    t = Truth()
    t.ip4(ifindex, 0, 6, (10, 20, 0, 1), (10, 20, 0, 2), tcp(33000, 22, 0x18, bytes(64)), 33000, 22,
          0x18, count=7)
    t.ip4(ifindex, 0, 17, (10, 20, 0, 1), (10, 20, 0, 3), udp(33001, 53, bytes(30)), 33001, 53,
          vlans=((0x8100, 7),), count=4)
    t.ip4(ifindex, 0, 1, (10, 20, 0, 4), (10, 20, 0, 1), icmp(8, 0, bytes(32)), 0, 8 << 8, count=3)
    t.ip6(ifindex, 0, 17, 17, "fd00:20::1", "fd00:20::2", udp(4444, 5555, bytes(20)), 4444, 5555,
          count=6)
    t.ip6(ifindex, 0, 58, 58, "fd00:20::2", "fd00:20::1", icmp(129, 0, bytes(8)), 0, 129 << 8, count=2)
    t.add(ifindex, 0, eth(0x0806, bytes(28)), "non_ip", count=3)
    t.add(ifindex, 0, eth(0x0800, bytes((0x45,)) + bytes(10)), "malformed", count=1)
    lines = {}
    for line in t.lines:  # 'IFINDEX CPU HEX' -> 'COUNT HEX'
        h = line.split()[2]
        lines[h] = lines.get(h, 0) + 1
    open(spec_path, "w").write("".join("%d %s\n" % (c, h) for h, c in lines.items()))
    json.dump(t.frames, open(truth_path, "w"))

# ---- What the frames must count -------------------------------------------------------------

def proto_names():
    """First name of each number in /etc/protocols (what getprotobynumber returns)."""
    names = {}
    for line in open("/etc/protocols"):
        f = line.split("#")[0].split()
        if len(f) >= 2 and f[1].isdigit():
            names.setdefault(int(f[1]), f[0])
    return names

def expected(paths, only=None):
    frames = [f for p in paths for f in json.load(open(p))]
    if only is not None:
        frames = [f for f in frames if f["ifindex"] in only]
    ifaces, protos, flows, sources = {}, {}, {}, {}
    for f in frames:
        i = ifaces.setdefault(f["ifindex"], dict(packets=0, bytes=0, ip=0, ip_frame_bytes=0, non_ip=0,
                                                 non_ip_bytes=0, malformed=0, malformed_bytes=0))
        i["packets"] += 1
        i["bytes"] += f["len"]
        i[f["cls"]] += 1
        i[CLASS_BYTES[f["cls"]]] += f["len"]
        if f["cls"] != "ip":
            continue
        p = protos.setdefault((f["ifindex"], f["family"], f["proto"]), [0, 0])
        p[0] += 1
        p[1] += f["len"]
        key = (f["ifindex"], f["family"], f["src"], f["dst"], f["proto"], f["sport"], f["dport"],
               f.get("vlan", 0), f.get("inner_vlan", 0))
        fl = flows.setdefault(key, dict(packets=0, bytes=0, ip_bytes=0, tcp_flags=0))
        fl["packets"] += 1
        fl["bytes"] += f["len"]
        fl["ip_bytes"] += f["ip_bytes"]
        fl["tcp_flags"] |= f["flags"]
    for key, fl in flows.items():
        s = sources.setdefault((key[0], key[1], key[2], key[7], key[8]), dict(packets=0, bytes=0, flows=0))
        s["packets"] += fl["packets"]
        s["bytes"] += fl["bytes"]
        s["flows"] += 1
    total = {k: sum(i[k] for i in ifaces.values()) for k in
             ("packets", "bytes", "ip", "ip_frame_bytes", "non_ip", "non_ip_bytes", "malformed",
              "malformed_bytes")}
    return dict(ifaces=ifaces, protos=protos, flows=flows, sources=sources, total=total)

def ifname_map():
    import subprocess
    out = json.loads(subprocess.run(["ip", "-j", "link"], capture_output=True, text=True).stdout)
    return {l["ifindex"]: l["ifname"] for l in out}

class Checker:
    def __init__(self):
        self.bad = []

    def eq(self, what, got, want):
        if got != want:
            self.bad.append("%s: got %r, expected %r" % (what, got, want))

    def ok(self, what, cond):
        if not cond:
            self.bad.append(what)

    def done(self):
        if self.bad:
            sys.exit("; ".join(self.bad[:5]) + ("; and %d more" % (len(self.bad) - 5) if len(self.bad) > 5 else ""))

def parse_time(s):
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", s), s
    return datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc).timestamp()

def vlan_cell(vlan, inner):
    """A table's VLAN cell: '-' untagged, '300', or outer.inner for QinQ."""
    return "%d.%d" % (vlan, inner) if inner else str(vlan) if vlan else "-"

def flow_key(f):
    return (f["ifindex"], f["family"], f["src"], f["dst"], f["proto"], f["sport"], f["dport"],
            f["vlan"], f["inner_vlan"])

def check_json(exp, doc, c, names, views=("totals", "protocols", "sources", "flows")):
    pnames = proto_names()
    for v in ("totals", "protocols", "sources", "flows"):
        c.ok("view %s %s" % (v, "missing" if v in views else "present"), (v in doc) == (v in views))
    if "totals" in doc:
        t = doc["totals"]
        for k, want in exp["total"].items():
            c.eq("totals." + k, t.get(k), want)
        c.eq("totals.unrecorded_packets", t.get("unrecorded_packets"), 0)
        c.ok("totals name IP frames' bytes ip_frame_bytes, not a flow's ip_bytes (IP-layer octets)",
             all("ip_bytes" not in r for r in [t] + t["interfaces"]))
        got = {i["ifindex"]: i for i in t["interfaces"]}
        c.eq("interfaces", sorted(got), sorted(exp["ifaces"]))
        for ifindex, want in exp["ifaces"].items():
            for k, v in want.items():
                c.eq("interface %d %s" % (ifindex, k), got.get(ifindex, {}).get(k), v)
            c.eq("interface %d ifname" % ifindex, got.get(ifindex, {}).get("ifname"), names.get(ifindex))
    if "protocols" in doc:
        got = {(p["ifindex"], p["family"], p["proto"]): p for p in doc["protocols"]}
        c.eq("protocol rows", len(doc["protocols"]), len(got))
        c.eq("protocols", sorted(got), sorted(exp["protos"]))
        for k, (pk, by) in exp["protos"].items():
            p = got.get(k, {})
            c.eq("protocol %s packets" % (k,), p.get("packets"), pk)
            c.eq("protocol %s bytes" % (k,), p.get("bytes"), by)
            c.eq("protocol %s name" % (k,), p.get("name"), pnames.get(k[2]))
            c.eq("protocol %s ifname" % (k,), p.get("ifname"), names.get(k[0]))
    if "sources" in doc:
        got = {(s["ifindex"], s["family"], s["addr"], s["vlan"], s["inner_vlan"]): s for s in doc["sources"]}
        c.eq("source rows", len(doc["sources"]), len(got))
        c.eq("sources", sorted(got), sorted(exp["sources"]))
        for k, want in exp["sources"].items():
            for f, v in want.items():
                c.eq("source %s %s" % (k, f), got.get(k, {}).get(f), v)
    if "flows" in doc:
        got = {flow_key(f): f for f in doc["flows"]}
        c.eq("flow rows", len(doc["flows"]), len(got))
        missing = set(exp["flows"]) - set(got)
        extra = set(got) - set(exp["flows"])
        c.ok("flows missing: %s" % sorted(missing)[:3], not missing)
        c.ok("flows not sent: %s" % sorted(extra)[:3], not extra)
        for k, want in exp["flows"].items():
            f = got.get(k)
            if not f:
                continue
            for field, v in want.items():
                c.eq("flow %s %s" % (k, field), f.get(field), v)
            c.eq("flow %s ifname" % (k,), f.get("ifname"), names.get(k[0]))
            if (k[1], k[4]) in ((4, 1), (6, 58)):
                c.eq("flow %s icmp_type" % (k,), f.get("icmp_type"), k[6] >> 8)
                c.eq("flow %s icmp_code" % (k,), f.get("icmp_code"), k[6] & 255)
            else:
                c.ok("flow %s has icmp fields" % (k,), "icmp_type" not in f)
            c.ok("flow %s first_seen after last_seen" % (k,),
                 parse_time(f["first_seen"]) <= parse_time(f["last_seen"]))

def check_times(doc, paths_windows, c):
    """Every flow's times fall in the wall-clock window of the feed that sent it (+-50 ms)."""
    got = {flow_key(f): f for f in doc["flows"]}
    for path, t0, t1 in paths_windows:
        e = expected([path])
        for k in e["flows"]:
            f = got.get(k)
            if not f:
                continue
            for field in ("first_seen", "last_seen"):
                ts = parse_time(f[field])
                c.ok("flow %s %s %.3f outside the feed's window %.3f..%.3f" % (k, field, ts, t0, t1),
                     t0 - 0.05 <= ts <= t1 + 0.05)

def human(v):
    units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
    if v < 1024:
        return "%d B" % v
    x, u = float(v), 0
    while x >= 1024 and u < 6:
        x /= 1024
        u += 1
    return "%.1f %s" % (x, units[u])

def cmd_check_json(args):
    out, truths = args[0], args[1:]
    views, only = ("totals", "protocols", "sources", "flows"), None
    if truths and truths[0].startswith("views="):
        views = tuple(truths.pop(0)[6:].split(","))
    if truths and truths[0].startswith("only="):
        only = {int(i) for i in truths.pop(0)[5:].split(",")}
    c = Checker()
    doc = json.load(open(out))
    check_json(expected(truths, only), doc, c, ifname_map(), views)
    c.done()

def cmd_check_times(args):
    doc = json.load(open(args[0]))
    c = Checker()
    check_times(doc, [(args[i], float(args[i + 1]), float(args[i + 2])) for i in range(1, len(args), 3)], c)
    c.done()

def ndjson_records(path, c):
    """Every line of a JSON Lines file parsed on its own: one complete object per line, each
    with the read's time and pin folder, its view and its interface."""
    recs = []
    for n, line in enumerate(open(path).read().split("\n")[:-1], 1):
        try:
            r = json.loads(line)
        except ValueError as e:
            c.ok("line %d is not one JSON document (%s): %.80s" % (n, e, line), False)
            continue
        c.ok("line %d is not an object with time, pin_path, view, ifindex, ifname: %.80s" % (n, line),
             isinstance(r, dict) and all(k in r for k in ("time", "pin_path", "view", "ifindex", "ifname")))
        recs.append(r)
    c.ok("the file does not end with a newline", open(path).read().endswith("\n"))
    return recs

def cmd_check_ndjson(args):
    """--format ndjson: each line parsed alone; regrouped by view, the records are what the
    frames fed give (the same checks as --format json); one read: one time on every line."""
    out, truths = args[0], args[1:]
    c = Checker()
    recs = ndjson_records(out, c)
    c.done()
    c.eq("reads (times)", len({r["time"] for r in recs}), 1)
    doc, read_keys = {}, ("time", "pin_path", "view")
    for r in recs:
        row = {k: v for k, v in r.items() if k not in read_keys}
        if r["view"] == "totals":
            t = doc.setdefault("totals", {"interfaces": []})
            table = {k: row.pop(k) for k in ("flow_table_capacity", "flow_table_fill", "flows_read") if k in row}
            c.ok("flow table figures differ between interfaces", all(t.get(k, v) == v for k, v in table.items()))
            t.update(table)
            t["interfaces"].append(row)
        else:
            doc.setdefault(r["view"], []).append(row)
    t = doc.get("totals")
    if t:
        for k in [k for k in t["interfaces"][0] if k not in ("ifindex", "ifname")]:
            t[k] = sum(i[k] for i in t["interfaces"])
    check_json(expected(truths), doc, c, ifname_map())
    c.done()

def cmd_check_ndjson_drains(args):
    """Two --drain runs appended to one file: every line a document; each drain's records
    carry drained and its own drain_id; the two drains' totals add up to the frames fed."""
    c = Checker()
    recs = ndjson_records(args[0], c)
    c.done()
    fed = sum(len(json.load(open(p))) for p in args[1:])
    ids = sorted({r.get("drain_id") for r in recs})
    c.ok("records without drained: true", all(r.get("drained") is True for r in recs))
    c.eq("drain IDs", len(ids), 2)
    c.ok("a drain ID missing", None not in ids)
    c.eq("packets in the two drains' totals", sum(r["packets"] for r in recs if r["view"] == "totals"), fed)
    for i in ids:
        c.eq("times in drain %s" % i, len({r["time"] for r in recs if r.get("drain_id") == i}), 1)
    c.done()
    print("%d lines, %d packets" % (len(recs), fed))

def cmd_check_table_times(args):
    """Flow times in a table: each flow's first and last seen of the JSON, shifted to the zone
    (minutes east of UTC), as the time of day when on the read's day, else with the date; the
    zone named in the FIRST and LAST headers."""
    table, doc, east, zone = open(args[0]).read(), json.load(open(args[1])), int(args[2]), args[3]
    c = Checker()
    shift = timedelta(minutes=east)
    read_day = (datetime.fromtimestamp(parse_time(doc["time"]), timezone.utc) + shift).date()
    c.ok("headers do not name the zone %s" % zone,
         re.search(r"FIRST \(%s\) +LAST \(%s\)" % (zone, zone), table) is not None)
    seen = 0
    for f in doc["flows"]:
        for key in ("first_seen", "last_seen"):
            t = datetime.fromtimestamp(parse_time(f[key]), timezone.utc) + shift
            want = t.strftime("%H:%M:%S.") + "%03d" % (t.microsecond // 1000) if t.date() == read_day \
                else t.strftime("%Y-%m-%d %H:%M:%S")
            c.ok("%s %s: '%s' not in the table" % (flow_key(f), key, want), "  " + want in table)
            seen += 1
    c.ok("no flow times to compare", seen > 0)
    c.done()

def flags_text(v):
    return "".join(l for i, l in enumerate("FSRPAUEC") if v >> i & 1) or "-"

def endpoint_ok(cell, width, family, addr, port):
    """A narrow table's flow end: ADDR:PORT ([ADDR]:PORT for IPv6; ADDR alone without a port),
    whole when it fits its column, else the address's start and end around '..' filling it."""
    whole = addr if port is None else ("[%s]:%s" if family == 6 else "%s:%s") % (addr, port)
    if cell == whole:
        return len(whole) <= width
    if len(whole) <= width or len(cell) != width or ".." not in cell:
        return False
    if port is not None:
        suffix = ("]:%s" if family == 6 else ":%s") % port
        if not cell.endswith(suffix) or (family == 6 and not cell.startswith("[")):
            return False
        cell = cell[1 if family == 6 else 0:-len(suffix)]
    head, tail = cell.split("..", 1)
    return addr.startswith(head) and addr.endswith(tail) and len(head) + len(tail) >= 8

def cmd_check_table_width(args):
    """The flows table, narrow (default: at most 120 columns, ADDR:PORT, only the last seen,
    short times) or --wide (every column, whole addresses and times): a row for every flow of
    the JSON, with the JSON's values; times shifted to the zone (minutes east of UTC).  A VLAN
    column after INTERFACE with --wide, and narrow when a flow is tagged: only it may take a
    narrow table past 120 columns.  With 'elides', long addresses must have been elided."""
    table, doc, mode, east = open(args[0]).read(), json.load(open(args[1])), args[2], int(args[3])
    elides = args[4:] == ["elides"]
    pnames, c = proto_names(), Checker()
    tagged = any(f["vlan"] or f["inner_vlan"] for f in doc["flows"])
    vlan_w = (9 if any(f["inner_vlan"] for f in doc["flows"]) else 4) if tagged else 0
    shift = timedelta(minutes=east)
    read = datetime.fromtimestamp(parse_time(doc["time"]), timezone.utc) + shift
    lines = table.rstrip("\n").split("\n")
    head, rows = lines[1], lines[2:]
    wide = mode == "wide"
    titles = ["INTERFACE", "PROTO", "SOURCE", "SPORT", "DESTINATION", "DPORT", "PACKETS", "BYTES",
              "IP BYTES", "FLAGS", "FIRST (", "LAST ("] if wide else \
        ["INTERFACE", "PROTO", "SOURCE", "DESTINATION", "PACKETS", "BYTES", "FLAGS", "LAST ("]
    show_vlan = wide or tagged
    if show_vlan:
        titles.insert(1, "VLAN")
    c.ok("header %r has not the columns %s in order" % (head, titles),
         re.match(r"\s+".join(re.escape(t) + (r"\S+\)" if t.endswith("(") else "") for t in titles) + "$",
                  head) is not None)
    if not wide:
        limit = 120 + (2 + vlan_w if tagged else 0)
        c.ok("lines longer than %d columns: %s" % (limit, [len(l) for l in lines if len(l) > limit]),
             all(len(l) <= limit for l in lines))
        # Both ends share what the other columns leave (PACKETS is right-aligned: no edge to see).
        src_w = dst_w = head.index("DESTINATION") - head.index("SOURCE") - 2
    def when(key, f):
        t = datetime.fromtimestamp(parse_time(f[key]), timezone.utc) + shift
        if wide:
            return t.strftime("%H:%M:%S.") + "%03d" % (t.microsecond // 1000) \
                if t.date() == read.date() else t.strftime("%Y-%m-%d %H:%M:%S")
        return t.strftime("%Y-%m-%d" if t.year != read.year else
                          "%m-%d %H:%M" if t.date() != read.date() else "%H:%M:%S")
    cells = [re.split(r"\s{2,}", r.strip()) for r in rows]
    c.eq("rows", len(rows), len(doc["flows"]))
    elided = 0
    for f in doc["flows"]:
        icmp = f["proto"] in (1, 58)
        sport = None if icmp else str(f["sport"])
        dport = "%d/%d" % (f["icmp_type"], f["icmp_code"]) if icmp else str(f["dport"])
        tail = [str(f["packets"]), human(f["bytes"])]
        if wide:
            tail.append(human(f["ip_bytes"]))
        tail += [flags_text(f["tcp_flags"])] if f["proto"] == 6 else []
        tail += [when("first_seen", f)] if wide else []
        tail.append(when("last_seen", f))
        lead = [f["ifname"]] + ([vlan_cell(f["vlan"], f["inner_vlan"])] if show_vlan else []) + \
            [pnames.get(f["proto"], str(f["proto"]))]
        n = len(lead)
        if wide:
            want = lead + [f["src"], sport or "-", f["dst"], dport] + tail
            found = [r for r in cells if r == want]
        else:
            found = [r for r in cells if r[:n] == lead and r[n + 2:] == tail and len(r) == n + 2 + len(tail) and
                     endpoint_ok(r[n], src_w, f["family"], f["src"], sport) and
                     endpoint_ok(r[n + 1], dst_w, f["family"], f["dst"], dport)]
            elided += sum(".." in x for r in found for x in r[n:n + 2])
        c.ok("flow %s: no row %s with its values (rows: %s)" % (flow_key(f), "" if not wide else want,
             cells[:3]), len(found) == 1)
    if elides:
        c.ok("no address elided (the test has addresses too long for 120 columns)", elided > 0)
    c.done()
    print("%d rows, widest %d columns%s" % (len(rows), max(map(len, lines)),
          "" if wide else ", %d ends elided" % elided))

def cmd_check_csv(args):
    exp, names = expected(args[1:]), ifname_map()
    sections, header = {}, None
    for row in csv.reader(open(args[0], newline="")):
        if not row:  # a blank line ends a section
            header = None
            continue
        if header is None:
            assert row[0] == "view", "section without a header: %r" % row
            header = row
            continue
        assert len(row) == len(header), "row of %d fields under %d: %r" % (len(row), len(header), row)
        sections.setdefault(row[0], []).append(dict(zip(header, row)))
    c = Checker()
    c.eq("sections", sorted(sections), ["flows", "protocols", "sources", "totals"])
    doc = {"totals": None, "protocols": [], "sources": [], "flows": []}
    for r in sections.get("totals", []):
        entry = {k: (int(v) if v.isdigit() else v) for k, v in r.items() if k not in ("view", "ifname")}
        entry["ifname"] = r["ifname"] or None
        if r["ifindex"] == "":
            doc["totals"] = dict(entry, interfaces=[])
        else:
            doc["totals"]["interfaces"].append(entry)
    for r in sections.get("protocols", []):
        doc["protocols"].append(dict(ifindex=int(r["ifindex"]), ifname=r["ifname"], family=int(r["family"]),
                                     proto=int(r["proto"]), name=r["name"] or None,
                                     packets=int(r["packets"]), bytes=int(r["bytes"])))
    for r in sections.get("sources", []):
        doc["sources"].append(dict(ifindex=int(r["ifindex"]), family=int(r["family"]), addr=r["addr"],
                                   vlan=int(r["vlan"]), inner_vlan=int(r["inner_vlan"]),
                                   packets=int(r["packets"]), bytes=int(r["bytes"]), flows=int(r["flows"])))
    for r in sections.get("flows", []):
        f = {k: (int(v) if v.isdigit() else v) for k, v in r.items() if k != "view"}
        if (f["family"], f["proto"]) in ((4, 1), (6, 58)):
            f["icmp_type"], f["icmp_code"] = f["dport"] >> 8, f["dport"] & 255
        doc["flows"].append(f)
    check_json(exp, doc, c, names)
    c.done()

PROM_SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
PROM_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?')

def parse_prom(path):
    samples, types = [], {}
    for line in open(path):
        line = line.rstrip("\n")
        if line.startswith("# TYPE "):
            _, _, name, typ = line.split(" ", 3)
            types[name] = typ
            continue
        if not line or line.startswith("#"):
            continue
        m = PROM_SAMPLE.match(line)
        assert m, "not a sample line: %r" % line
        labels = {k: re.sub(r"\\(.)", lambda x: {"n": "\n"}.get(x.group(1), x.group(1)), v)
                  for k, v in PROM_LABEL.findall(m.group(2) or "")}
        samples.append((m.group(1), labels, float(m.group(3))))
    return samples, types

def cmd_check_prom(args):
    path, series, truths = args[0], args[1].split(","), args[2:]
    with_flows, with_sources = "flows" in series, "sources" in series
    exp, names, pnames = expected(truths), ifname_map(), proto_names()
    samples, types = parse_prom(path)
    c = Checker()
    by = {}
    for name, labels, v in samples:
        by.setdefault(name, []).append((labels, v))
    for name in by:
        c.ok("%s has no TYPE" % name, name in types)
        if types.get(name) == "counter":
            c.ok("counter %s does not end in _total" % name, name.endswith("_total"))
    index = {}
    def one(name, **want):
        """The value of the one sample of name whose labels include want."""
        keys = tuple(sorted(want))
        if (name, keys) not in index:
            idx = index[(name, keys)] = {}
            for l, v in by.get(name, []):
                idx.setdefault(tuple(l.get(k) for k in keys), []).append(v)
        hits = index[(name, keys)].get(tuple(want[k] for k in keys), [])
        return hits[0] if len(hits) == 1 else ("%d samples" % len(hits))
    for ifindex, i in exp["ifaces"].items():
        lab = dict(device=names[ifindex], ifindex=str(ifindex))
        c.eq("interface_packets %d" % ifindex, one("xdpflow_interface_packets_total", **lab), i["packets"])
        c.eq("interface_bytes %d" % ifindex, one("xdpflow_interface_bytes_total", **lab), i["bytes"])
        c.eq("non_ip %d" % ifindex, one("xdpflow_non_ip_packets_total", **lab), i["non_ip"])
        c.eq("malformed bytes %d" % ifindex, one("xdpflow_malformed_bytes_total", **lab), i["malformed_bytes"])
        c.eq("unrecorded %d" % ifindex, one("xdpflow_unrecorded_packets_total", **lab), 0)
    c.eq("protocol series", len(by.get("xdpflow_packets_total", [])), len(exp["protos"]))
    for (ifindex, fam, proto), (pk, byt) in exp["protos"].items():
        lab = dict(device=names[ifindex], family="ipv%d" % fam, protocol=pnames.get(proto, str(proto)))
        c.eq("packets %s" % lab, one("xdpflow_packets_total", **lab), pk)
        c.eq("bytes %s" % lab, one("xdpflow_bytes_total", **lab), byt)
    c.eq("source series", len(by.get("xdpflow_source_packets_total", [])),
         len(exp["sources"]) if with_sources else 0)
    vlab = lambda v: str(v) if v else None  # VLAN labels only on tagged series
    for (ifindex, fam, addr, vlan, inner), s in (exp["sources"] if with_sources else {}).items():
        c.eq("source %s vlan %s" % (addr, vlan), one("xdpflow_source_bytes_total", ifindex=str(ifindex), address=addr,
                                                     vlan=vlab(vlan), inner_vlan=vlab(inner)), s["bytes"])
    c.eq("capacity", one("xdpflow_flow_table_capacity"), 5000)
    c.eq("flows read", one("xdpflow_flows_read"), len(exp["flows"]))
    c.eq("flow table fill", one("xdpflow_flow_table_fill"), len(exp["flows"]))
    if with_flows:
        c.eq("flow series", len(by.get("xdpflow_flow_packets_total", [])), len(exp["flows"]))
        for k, f in exp["flows"].items():
            lab = dict(ifindex=str(k[0]), src=k[2], dst=k[3], sport=str(k[5]), dport=str(k[6]),
                       protocol=pnames.get(k[4], str(k[4])), vlan=vlab(k[7]), inner_vlan=vlab(k[8]))
            c.eq("flow %s" % (k,), one("xdpflow_flow_bytes_total", **lab), f["bytes"])
    else:
        c.ok("per-flow series without --prometheus-flows", "xdpflow_flow_packets_total" not in by)
    c.done()

def cmd_check_table(args):
    text = open(args[0]).read()
    exp, names, pnames = expected(args[1:]), ifname_map(), proto_names()
    c = Checker()
    sections = {}
    for block in text.strip("\n").split("\n\n"):
        lines = block.split("\n")
        sections[lines[0].split(" ")[0]] = lines[1:]
    c.eq("sections", sorted(sections), ["Flows", "Protocols", "Sources", "Totals"])
    rows = lambda s: [re.split(r"\s{2,}", l.strip()) for l in sections.get(s, [])[1:]]
    tot = {r[0]: r for r in rows("Totals")}
    for ifindex, i in exp["ifaces"].items():
        r = tot.get(names[ifindex], [])
        c.eq("totals %s" % names[ifindex], r[1:6],
             [str(i["packets"]), human(i["bytes"]), str(i["ip"]), str(i["non_ip"]), str(i["malformed"])])
    t = exp["total"]
    c.eq("totals all", tot.get("all", [])[1:6],
         [str(t["packets"]), human(t["bytes"]), str(t["ip"]), str(t["non_ip"]), str(t["malformed"])])
    # Nothing counts while the suite reads: every flow fed is read, and needs a table entry.
    lines = sections.get("Totals", [])
    c.eq("flow table line", [l.split()[2] for l in lines if l.startswith("flow table: ")],
         [str(len(exp["flows"]))])
    c.eq("flows read line", [l.split()[2] for l in lines if l.startswith("flows read: ")],
         [str(len(exp["flows"]))])
    prot = {(r[0], r[1], r[2]): r[3:] for r in rows("Protocols")}
    c.eq("protocol rows", len(prot), len(exp["protos"]))
    for (ifindex, fam, proto), (pk, byt) in exp["protos"].items():
        k = (names[ifindex], "IPv%d" % fam, pnames.get(proto, str(proto)))
        c.eq("protocol %s" % (k,), prot.get(k), [str(pk), human(byt)])
    # Every source and flow row's values, not only how many rows there are.
    # --wide: a VLAN column after INTERFACE in both.
    srcs = {(r[0], r[1], r[2]): r[3:6] for r in rows("Sources")}
    c.eq("source rows", len(rows("Sources")), len(exp["sources"]))
    for (ifindex, fam, src, vlan, inner), v in exp["sources"].items():
        k = (names[ifindex], vlan_cell(vlan, inner), src)
        c.eq("source %s" % (k,), srcs.get(k), [str(v["flows"]), str(v["packets"]), human(v["bytes"])])
    flows = {}
    for r in rows("Flows"):
        flows[tuple(r[0:7])] = r[7:9]
    c.eq("flow rows", len(rows("Flows")), len(exp["flows"]))
    for (ifindex, fam, src, dst, proto, sport, dport, vlan, inner), v in exp["flows"].items():
        icmp = proto in (1, 58)
        k = (names[ifindex], vlan_cell(vlan, inner), pnames.get(proto, str(proto)), src,
             "-" if icmp else str(sport), dst, "%d/%d" % (dport >> 8, dport & 0xff) if icmp else str(dport))
        c.eq("flow %s" % (k,), flows.get(k), [str(v["packets"]), human(v["bytes"])])
    c.ok("completeness line when nothing was lost", "flow table full" not in text)
    c.done()

def cmd_check_top(args):
    """check-top OUT VIEW N SORTKEY TRUTH...: the N largest rows, largest first."""
    out, view, n, key, truths = args[0], args[1], int(args[2]), args[3], args[4:]
    exp = expected(truths)
    doc = json.load(open(out))
    rows = doc[view]
    c = Checker()
    other = "bytes" if key == "packets" else "packets"
    if view == "flows":
        want = [(f[key], f[other]) for f in exp["flows"].values()]
        for f in rows:
            w = exp["flows"].get(flow_key(f))
            c.ok("flow %s not sent or wrong" % (flow_key(f),), w and w["packets"] == f["packets"] and w["bytes"] == f["bytes"])
    elif view == "sources":
        want = [(s[key], s[other]) for s in exp["sources"].values()]
    else:
        want = [(p[0], p[1]) if key == "packets" else (p[1], p[0]) for p in exp["protos"].values()]
    want = sorted(want, reverse=True)[:n] if n else sorted(want, reverse=True)
    c.eq("%s by %s" % (view, key), [(r[key], r[other]) for r in rows], want)
    c.done()

def cmd_check_ifaces(args):
    """The 16 slots, then "other" with the rest, from frames on many interfaces on one CPU."""
    frames = json.load(open(args[1]))
    doc = json.load(open(args[0]))
    order, count = [], {}
    for f in frames:
        if f["ifindex"] not in count:
            order.append(f["ifindex"])
        count[f["ifindex"]] = count.get(f["ifindex"], 0) + 1
    want = {i: count[i] for i in order[:16]}
    if len(order) > 16:
        want[0xffffffff] = sum(count[i] for i in order[16:])
    got = {i["ifindex"]: i for i in doc["totals"]["interfaces"]}
    c = Checker()
    c.eq("interfaces", sorted(got), sorted(want))
    for i, n in want.items():
        c.eq("interface %d non_ip" % i, got.get(i, {}).get("non_ip"), n)
    c.eq("other ifname", got.get(0xffffffff, {}).get("ifname"), "other")
    c.eq("total", doc["totals"]["packets"], len(frames))
    c.done()

def cmd_check_full(args):
    """Flow table full: totals exact, flows + unrecorded = IP packets."""
    doc = json.load(open(args[0]))
    n = len(json.load(open(args[1])))
    t = doc["totals"]
    c = Checker()
    c.eq("packets", t["packets"], n)
    c.ok("nothing unrecorded with %d flows in a table of %d" % (n, t["flow_table_capacity"]),
         t["unrecorded_packets"] > 0)
    c.eq("flows + unrecorded", sum(f["packets"] for f in doc["flows"]) + t["unrecorded_packets"], t["ip"])
    c.eq("sources + unrecorded", sum(s["packets"] for s in doc["sources"]) + t["unrecorded_packets"], t["ip"])
    # The fill counts the flows still only in per-CPU caches too; the read returned them all.
    c.eq("flows read", t["flows_read"], len(doc["flows"]))
    c.eq("flow table fill", t["flow_table_fill"], len(doc["flows"]))
    c.done()

def json_docs(path):
    """The JSON documents of a --watch run, one after the other (not JSON Lines)."""
    text, dec, pos, docs = open(path).read(), json.JSONDecoder(), 0, []
    while pos < len(text):
        if text[pos].isspace():
            pos += 1
            continue
        doc, pos = dec.raw_decode(text, pos)
        docs.append(doc)
    return docs

def cmd_check_watch(args):
    """Objects of a --watch run: rates between reads add up to what was fed meanwhile."""
    docs, fed = json_docs(args[0]), int(args[1])
    c = Checker()
    c.ok("%d reads, expected at least 3" % len(docs), len(docs) >= 3)
    if docs:
        c.ok("first read has rates", "packets_per_s" not in docs[0]["totals"])
        moved = sum(d["totals"]["packets_per_s"] * d["interval_s"] for d in docs[1:])
        c.ok("rates x intervals = %.2f packets, fed %d" % (moved, fed), abs(moved - fed) < 1)
        c.eq("growth", docs[-1]["totals"]["packets"] - docs[0]["totals"]["packets"], fed)
        # The reads keep a cadence of --watch's second from the first: read k never comes
        # before k seconds after it (a late read does not delay the next one, so the
        # interval after a late read is shorter than a second), and every interval is the
        # one the rates were divided by: the time between the two reads' printed times (a
        # busy machine may stretch or shrink it, the rates stay right). The reader takes a
        # read's printed time and its interval's end together, after the read, so however
        # long a read takes the two agree within the printed time's millisecond (and a
        # clock slewed by NTP: 0.5 ms a second at most); the reader aims at 1 s: some
        # interval under 1.5 s.
        t0 = parse_time(docs[0]["time"])
        for k, (a, d) in enumerate(zip(docs, docs[1:]), 1):
            between = parse_time(d["time"]) - parse_time(a["time"])
            c.ok("interval %.3f s, the reads %.3f s apart" % (d["interval_s"], between),
                 abs(d["interval_s"] - between) < 0.003)
            c.ok("read %d came %.3f s after the first, before its second" % (k, parse_time(d["time"]) - t0),
                 parse_time(d["time"]) - t0 > k - 0.1)
        c.ok("intervals %s, none under 1.5 s" % [d["interval_s"] for d in docs[1:]],
             any(d["interval_s"] < 1.5 for d in docs[1:]))
    c.done()

def cmd_check_watch_table(args):
    """The table of a --watch run: PKTS/S and BITS/S columns; bits per second in SI units
    (bit/s, Kbit/s, ...) and packets per second, times the seconds between the frames' times,
    add up to the bytes and frames fed meanwhile (truth file), within the cells' rounding."""
    text, fed = open(args[0]).read(), json.load(open(args[1]))
    fed_packets, fed_bytes = len(fed), sum(f["len"] for f in fed)
    c = Checker()
    frames = re.split(r"(?m)^xdpflow at ", text)[1:]
    c.ok("%d frames, expected at least 3" % len(frames), len(frames) >= 3)
    moved_p = moved_b = 0.0
    prev = None
    for i, f in enumerate(frames):
        m = re.match(r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}) UTC,", f)
        c.ok("frame %d: no 'YYYY-MM-DD HH:MM:SS.mmm UTC' (--utc) time: %.40s" % (i, f), m)
        if c.bad:
            break
        t = datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=timezone.utc).timestamp()
        head = [l for l in f.splitlines() if l.startswith("INTERFACE ")]
        c.ok("frame %d: header %s" % (i, head), len(head) == 1 and head[0].split()[-2:] == ["PKTS/S", "BITS/S"])
        rows = [re.split(r"\s{2,}", l) for l in f.splitlines() if l.startswith("rb0 ")]
        c.ok("frame %d: one totals row for rb0: %s" % (i, rows), len(rows) == 1)
        if c.bad:
            break
        pps, bits = rows[0][-2:]
        if prev is None:
            c.ok("first frame has rates: %s %s" % (pps, bits), (pps, bits) == ("-", "-"))
        else:
            m = re.fullmatch(r"(\d+(?:\.\d)?) ([KMGTPE]?)bit/s", bits)
            c.ok("frame %d: '%s' is not N[.N] [KMGTPE]bit/s" % (i, bits), m is not None)
            c.ok("frame %d: '%s' is not packets per second" % (i, pps), re.fullmatch(r"\d+(\.\d)?", pps))
            if c.bad:
                break
            # SI prefixes: a cell below 1000 of its unit, one decimal from Kbit/s on.
            v = float(m.group(1)) * 1000 ** " KMGTPE".index(m.group(2) or " ")
            c.ok("frame %d: '%s' shows 1000 or more of its unit" % (i, bits), float(m.group(1)) < 1000)
            moved_b += v / 8 * (t - prev)
            moved_p += float(pps) * (t - prev)
        prev = t
    if not c.bad:
        c.ok("bits/s x seconds / 8 = %.0f bytes, fed %d" % (moved_b, fed_bytes),
             abs(moved_b - fed_bytes) <= 0.06 * fed_bytes)
        c.ok("packets/s x seconds = %.1f, fed %d" % (moved_p, fed_packets),
             abs(moved_p - fed_packets) <= 0.02 * fed_packets + 0.2)
    c.done()
    print("%.0f of %d bytes, %.1f of %d packets" % (moved_b, fed_bytes, moved_p, fed_packets))

def cmd_check_rate_sort(args):
    """--sort rate: in every read with rates, flows by bits per second; the flow fed during the
    watch (fewer packets in all than the other) leads while it is the busier one now."""
    docs, sport_new, sport_old = json_docs(args[0]), int(args[1]), int(args[2])
    c = Checker()
    led = 0
    for d in docs:
        fl = d["flows"]
        if "interval_s" not in d:
            continue
        rates = [f["bytes_per_s"] for f in fl]
        c.ok("flows not by rate: %s" % rates, rates == sorted(rates, reverse=True))
        new = [f for f in fl if f["sport"] == sport_new]
        old = [f for f in fl if f["sport"] == sport_old]
        if new and new[0]["bytes_per_s"] > 0:
            c.ok("the flow busy now (%d packets in all, %.0f B/s) is not first: %s" %
                 (new[0]["packets"], new[0]["bytes_per_s"], [(f["sport"], f["packets"]) for f in fl]),
                 fl[0]["sport"] == sport_new)
            c.ok("the other flow has fewer packets", not old or old[0]["packets"] > new[0]["packets"])
            led += 1
    c.ok("no read saw the new flow's rate", led > 0)
    c.done()
    print(led)

def cmd_check_watch_reset(args):
    """A drain between two reads of --watch: the first read after it says so and has no rates;
    no rate anywhere is negative; the reads after it have rates again."""
    docs, drain, before = json_docs(args[0]), json.load(open(args[1])), int(args[2])
    c = Checker()
    t_drain = parse_time(drain["time"])
    c.eq("the drain's report", drain["totals"]["packets"], before)
    after = [i for i, d in enumerate(docs) if parse_time(d["time"]) > t_drain]
    c.ok("%d reads, none after the drain" % len(docs), after and after[0] > 0)
    if not c.bad:
        first = after[0]
        for i, d in enumerate(docs):
            t = d.get("totals", {})
            rates = [x for x in [t] + d.get("flows", []) if "packets_per_s" in x]
            c.ok("read %d: a negative rate" % i, all(x["packets_per_s"] >= 0 and x["bytes_per_s"] >= 0 for x in rates))
            if i == first:
                c.ok("read %d, the first after the drain: no counters_reset" % i, d.get("counters_reset") is True)
                c.ok("read %d, the first after the drain: has rates" % i, not rates)
            else:
                c.ok("read %d: counters_reset, but no drain before it" % i, "counters_reset" not in d)
                if i > 0:
                    c.ok("read %d: no rates" % i, "packets_per_s" in t)
        c.ok("no read after the one that said so", len(docs) > first + 1)
        if len(docs) > first + 1:
            moved = sum(d["totals"]["packets_per_s"] * d["interval_s"] for d in docs[first + 1:])
            grown = docs[-1]["totals"]["packets"] - docs[first]["totals"]["packets"]
            c.ok("rates after the reset x intervals = %.2f, the counts grew %d" % (moved, grown), abs(moved - grown) < 1)
    c.done()
    print(docs[after[0] - 1]["totals"]["packets"], docs[after[0]]["totals"]["packets"])

def cmd_same_read(args):
    """Two reads of unchanged maps agree: every value equal, but for the read's own "time" and the
    flow times, which each read turns into wall-clock time from its own pairing of the monotonic
    and real-time clocks: those may differ by the one millisecond they are truncated to."""
    def diff(x, y, path):
        if isinstance(x, dict) and isinstance(y, dict):
            if sorted(x) != sorted(y):
                return "%s: keys %s against %s" % (path, sorted(x), sorted(y))
            for k in x:
                if path == "" and k == "time":
                    continue
                if k in ("first_seen", "last_seen"):
                    dt = abs(parse_time(x[k]) - parse_time(y[k]))
                    if dt > 0.0011:
                        return "%s.%s: %s against %s" % (path, k, x[k], y[k])
                    continue
                d = diff(x[k], y[k], "%s.%s" % (path, k))
                if d:
                    return d
            return None
        if isinstance(x, list) and isinstance(y, list):
            if len(x) != len(y):
                return "%s: %d entries against %d" % (path, len(x), len(y))
            for i, (u, v) in enumerate(zip(x, y)):
                d = diff(u, v, "%s[%d]" % (path, i))
                if d:
                    return d
            return None
        return None if x == y else "%s: %r against %r" % (path, x, y)
    d = diff(json.load(open(args[0])), json.load(open(args[1])), "")
    if d:
        sys.exit(d)

def cmd_corpus(args):
    """Frames of the pcap files: fed (14 bytes to 70,000), too short, too big for a test run."""
    fed = nbytes = short = big = 0
    for p in args:
        d = open(p, "rb").read()
        e = "<" if d[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
        off = 24
        while off + 16 <= len(d):
            caplen = struct.unpack_from(e + "I", d, off + 8)[0]
            off += 16 + caplen
            if caplen < 14:
                short += 1
            elif caplen > 70000:
                big += 1
            else:
                fed += 1
                nbytes += caplen
    print(fed, nbytes, short, big)

def cmd_check_corpus(args):
    doc = json.load(open(args[0]))
    fed, nbytes = int(args[1]), int(args[2])
    t = doc["totals"]
    c = Checker()
    c.eq("packets", t["packets"], fed)
    c.eq("bytes", t["bytes"], nbytes)
    c.eq("classes", t["ip"] + t["non_ip"] + t["malformed"], t["packets"])
    c.eq("class bytes", t["ip_frame_bytes"] + t["non_ip_bytes"] + t["malformed_bytes"], t["bytes"])
    c.eq("protocols", sum(p["packets"] for p in doc["protocols"]), t["ip"])
    c.eq("protocol bytes", sum(p["bytes"] for p in doc["protocols"]), t["ip_frame_bytes"])
    c.eq("flows", sum(f["packets"] for f in doc["flows"]), t["ip"])
    c.eq("sources", sum(s["packets"] for s in doc["sources"]), t["ip"])
    c.done()

if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "gen-main":
        gen_main(*map(int, args[:4]), *args[4:])
    elif cmd == "gen-late":
        gen_late(int(args[0]), int(args[1]), *args[2:])
    elif cmd == "gen-ifaces":
        gen_ifaces([int(i) for i in args[0].split(",")], int(args[1]), *args[2:])
    elif cmd == "gen-full":
        gen_full(int(args[0]), int(args[1]), int(args[2]), *args[3:])
    elif cmd == "gen-wide":
        gen_wide(int(args[0]), int(args[1]), *args[2:])
    elif cmd == "gen-one":
        gen_one(*map(int, args[:4]), *args[4:])
    elif cmd == "gen-veth":
        gen_veth(args[0], args[1], int(args[2]))
    else:
        globals()["cmd_" + cmd.replace("-", "_")](args)
PY
truth() { xf_in "$NS" python3 "$T/truth.py" "$@"; }

# check NAME CMD...: PASS if CMD exits 0, else FAIL with what it printed last.
check() {
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then
		xf_pass "$name"
	else
		xf_fail "$name" "$(printf '%s' "$out" | tail -n 3 | tr '\n' ' ')"
	fi
}

# run_ok NAME OUT ARGS...: run the reader, PASS-less unless it fails (exit status, stderr).
run_ok() {
	local name=$1 out=$2 rc
	shift 2
	R "$@" >"$out" 2>"$T/err"
	rc=$?
	if [ $rc -ne 0 ] || [ -s "$T/err" ]; then
		xf_fail "$name" "reader exited $rc: $(head -c 300 "$T/err")"
		return 1
	fi
}

# feed_frames NAME PIN FILE [ARGS]: run the frames through the program with its maps at PIN.
feed_frames() {
	local name=$1 pin=$2 file=$3
	shift 3
	if ! feed --pin-path "$pin" "$@" --frames "$file" >"$T/feed.out" 2>&1; then
		xf_fail "$name" "feed failed: $(tail -n 2 "$T/feed.out" | tr '\n' ' ')"
		return 1
	fi
}

# ---- The main data set: two interfaces, every protocol class, evictions, two CPUs ----
xf_pin_dir P main
truth gen-main "$IFX" "$IFY" "$CPU_A" "$CPU_B" "$T/main.frames" "$T/main.json"
truth gen-late "$IFX" "$CPU_A" "$T/late.frames" "$T/late.json"
W0=$(now)
feed_frames "feed main frames" "$P" "$T/main.frames" --max-flows 5000 || exit 1
W1=$(now)
sleep 1.1
W2=$(now)
feed_frames "feed late frames" "$P" "$T/late.frames" || exit 1
W3=$(now)
M=("$T/main.json" "$T/late.json")

test_json() {
	run_ok "json: all views" "$T/all.json" -p "$P" --format json || return
	check "json: totals, protocols, sources and flows equal the frames fed" \
		truth check-json "$T/all.json" "${M[@]}"
	check "json: flow times are UTC within the feed's wall-clock window" \
		truth check-times "$T/all.json" "$T/main.json" "$W0" "$W1" "$T/late.json" "$W2" "$W3"
	check "json: flow_table_capacity is the pinned table's size; flows_read and flow_table_fill count every flow listed" python3 -c '
import json, sys
t = json.load(open(sys.argv[1]))["totals"]
flows = len(json.load(open(sys.argv[1]))["flows"])
assert t["flow_table_capacity"] == 5000, t["flow_table_capacity"]
# Nothing counts meanwhile: the fill is every flow the read returned (cache-only ones included).
assert t["flows_read"] == flows and t["flow_table_fill"] == flows, (t["flows_read"], t["flow_table_fill"], flows)' "$T/all.json"
	run_ok "json: chosen views" "$T/some.json" -p "$P" --format json flows totals || return
	check "json: only the views asked for" \
		truth check-json "$T/some.json" views=totals,flows "${M[@]}"
}

test_ndjson() {
	local P10 figure
	run_ok "ndjson: all views" "$T/all.jsonl" -p "$P" --format ndjson || return
	check "ndjson: every line one JSON document with the read's time, its view and interface; regrouped, the frames fed" \
		truth check-ndjson "$T/all.jsonl" "${M[@]}"
	# What the README suggests: drains appended to one file.
	xf_pin_dir P10 ndjson
	truth gen-one "$IFX" "$CPU_A" 7005 30 "$T/n0.frames" "$T/n0.json"
	truth gen-one "$IFX" "$CPU_A" 7006 20 "$T/n1.frames" "$T/n1.json"
	feed_frames "ndjson: feed" "$P10" "$T/n0.frames" || return
	R -p "$P10" --drain --format ndjson >>"$T/counts.jsonl" 2>"$T/err" &&
		feed_frames "ndjson: feed again" "$P10" "$T/n1.frames" &&
		R -p "$P10" --drain --format ndjson >>"$T/counts.jsonl" 2>>"$T/err"
	if figure=$(truth check-ndjson-drains "$T/counts.jsonl" "$T/n0.json" "$T/n1.json" 2>&1); then
		xf_pass "ndjson: two --drain runs >> one file: every line a document with drained and its drain_id, the totals add up ($figure)"
	else
		xf_fail "ndjson: two --drain runs >> one file" "$figure $(head -c 200 "$T/err")"
	fi
}

test_csv() {
	run_ok "csv" "$T/all.csv" -p "$P" --format csv || return
	check "csv: parsed by Python's csv module, every view equals the frames fed" \
		truth check-csv "$T/all.csv" "${M[@]}"
}

test_prometheus() {
	local out
	run_ok "prometheus" "$T/all.prom" -p "$P" --format prometheus || return
	if out=$(promtool check metrics <"$T/all.prom" 2>&1); then
		xf_pass "prometheus: promtool check metrics accepts the output"
	else
		xf_fail "prometheus: promtool check metrics accepts the output" "$(echo "$out" | head -n 3 | tr '\n' ' ')"
	fi
	check "prometheus: counters per interface, family and protocol equal the frames fed" \
		truth check-prom "$T/all.prom" noflows "${M[@]}"
	run_ok "prometheus flows" "$T/flows.prom" -p "$P" --format prometheus --prometheus-flows || return
	if out=$(promtool check metrics <"$T/flows.prom" 2>&1); then
		xf_pass "prometheus: promtool accepts the per-flow series too"
	else
		xf_fail "prometheus: promtool accepts the per-flow series too" "$(echo "$out" | head -n 3 | tr '\n' ' ')"
	fi
	check "prometheus: --prometheus-flows adds one series per flow" \
		truth check-prom "$T/flows.prom" flows "${M[@]}"
	run_ok "prometheus sources" "$T/sources.prom" -p "$P" --format prometheus --prometheus-sources || return
	check "prometheus: --prometheus-sources adds one series per source; interfaces labelled device (node_exporter's name)" \
		truth check-prom "$T/sources.prom" sources "${M[@]}"
	# The sources or flows view named without its option: said on stderr, not silent.
	R -p "$P" --format prometheus sources flows >"$T/views.prom" 2>"$T/err"
	if [ $? -eq 0 ] && grep -q "prints the sources view only with --prometheus-sources" "$T/err" &&
		grep -q "prints the flows view only with --prometheus-flows" "$T/err" &&
		! grep -q "^xdpflow_\(source\|flow\)_\(packets\|bytes\)" "$T/views.prom" &&
		grep -q "^xdpflow_flow_table_capacity " "$T/views.prom"; then
		xf_pass "prometheus: sources and flows named without --prometheus-sources/--prometheus-flows: a note for each on stderr, no such series"
	else
		xf_fail "prometheus: sources and flows named without their options: notes on stderr" "$(cat "$T/err")"
	fi
	R -p "$P" --format prometheus totals >/dev/null 2>"$T/err" && [ ! -s "$T/err" ] &&
		xf_pass "prometheus: no note when no such view is named" ||
		xf_fail "prometheus: no note when no such view is named" "$(cat "$T/err")"
}

test_table() {
	run_ok "table" "$T/all.table" -p "$P" --wide || return
	check "table: the numbers of every interface and protocol, human byte units" \
		truth check-table "$T/all.table" "${M[@]}"
	check "table: columns line up (every row of a section as wide as its header)" python3 -c '
import re, sys
for block in open(sys.argv[1]).read().strip().split("\n\n"):
    lines = block.split("\n")
    head = lines[1]
    starts = [m.start() for m in re.finditer(r"(?<!\S)\S", head)]
    for l in lines[2:]:
        if l.startswith(("flow table", "flows read")) or l == "(none)":
            continue
        # Every right-aligned number column ends where its header ends.
        for title in ("PACKETS", "BYTES"):
            end = head.index(title) + len(title) if title in head.split() else None
            if end and l[end - 1] == " ":
                sys.exit("%s column not aligned in: %r" % (title, l))' "$T/all.table"
	check "table: protocol names from /etc/protocols, unknown numbers as numbers" \
		grep -Eq "^rb0 +IPv4 +253 " "$T/all.table"
	# The default (narrow) flows table of tagged flows: the VLAN column, '-' for the untagged.
	run_ok "table vlan: json" "$T/vlan.json" -p "$P" --format json flows || return
	run_ok "table vlan: narrow" "$T/vlan.narrow" -p "$P" --utc flows || return
	check "table: the default flows table of tagged flows (one tag, QinQ, the same 5-tuple on VLANs 300 and 400) has a VLAN column with each flow's VLANs, 120 columns plus its own" \
		truth check-table-width "$T/vlan.narrow" "$T/vlan.json" narrow 0
}

test_table_times() {
	run_ok "table times: json" "$T/times.json" -p "$P" --format json flows || return
	xf_in "$NS" env TZ=IST-5:30 "$READER" -p "$P" --wide flows >"$T/times.local" 2>"$T/err" ||
		{ xf_fail "table times: local" "$(cat "$T/err")"; return; }
	check "table: flow times in local time (TZ=IST-5:30), the zone in the headers, the date when not the read's day" \
		truth check-table-times "$T/times.local" "$T/times.json" 330 IST
	xf_in "$NS" env TZ=IST-5:30 "$READER" -p "$P" --wide --utc flows >"$T/times.utc" 2>"$T/err" ||
		{ xf_fail "table times: --utc" "$(cat "$T/err")"; return; }
	check "table: --utc shows flow times in UTC whatever TZ says" \
		truth check-table-times "$T/times.utc" "$T/times.json" 0 UTC
}

# The flows table fits 120 columns by default, long IPv6 addresses and all; --wide shows everything.
test_table_width() {
	local P11 out rc
	xf_pin_dir P11 width
	truth gen-wide "$IFX" "$CPU_A" "$T/wide.frames" "$T/wide.json"
	feed_frames "table width: feed" "$P11" "$T/wide.frames" || return
	run_ok "table width: json" "$T/width.json" -p "$P11" --format json flows || return
	xf_in "$NS" env TZ=IST-5:30 "$READER" -p "$P11" flows >"$T/width.narrow" 2>"$T/err" ||
		{ xf_fail "table width: narrow" "$(cat "$T/err")"; return; }
	if out=$(truth check-table-width "$T/width.narrow" "$T/width.json" narrow 330 elides 2>&1); then
		xf_pass "table: the flows table fits 120 columns with whole-length IPv6 addresses (ADDR:PORT, elided in the middle), no VLAN column when no flow is tagged, every flow's values the JSON's, last seen short in local time ($out)"
	else
		xf_fail "table: the flows table fits 120 columns" "$out"
	fi
	xf_in "$NS" env TZ=IST-5:30 "$READER" -p "$P11" --wide flows >"$T/width.wide" 2>"$T/err" ||
		{ xf_fail "table width: --wide" "$(cat "$T/err")"; return; }
	if out=$(truth check-table-width "$T/width.wide" "$T/width.json" wide 330 2>&1); then
		xf_pass "table: --wide shows every column, whole addresses, ports, IP bytes, first and last seen with milliseconds, the JSON's values ($out)"
	else
		xf_fail "table: --wide shows every column" "$out"
	fi
	# With --watch the rate columns take the place of FLAGS and LAST: still 120 columns.
	xf_in "$NS" timeout --preserve-status -s INT 1.5 "$READER" -p "$P11" --watch 1 flows \
		>"$T/width.watch" 2>"$T/err"
	rc=$?
	out=$(awk 'length > 120 { print NR ": " length }' "$T/width.watch")
	[ $rc -eq 0 ] && [ -z "$out" ] && grep -q "  PKTS/S  *BITS/S$" "$T/width.watch" &&
		grep -q "^rb0  *tcp  *\[2a02:" "$T/width.watch" &&
		xf_pass "table: --watch flows with rates, long IPv6 addresses: still at most 120 columns" ||
		xf_fail "table: --watch flows with rates fits 120 columns" "exit $rc, long lines: $out"
}

test_top_sort() {
	run_ok "top" "$T/top.json" -p "$P" --format json --top 3 --sort bytes flows || return
	check "--top 3 --sort bytes: the three flows with the most bytes, largest first" \
		truth check-top "$T/top.json" flows 3 bytes "${M[@]}"
	run_ok "top" "$T/top.json" -p "$P" --format json --top 5 flows || return
	check "--top 5: the five flows with the most packets (default sort), largest first" \
		truth check-top "$T/top.json" flows 5 packets "${M[@]}"
	run_ok "sort" "$T/top.json" -p "$P" --format json --sort bytes flows || return
	check "--sort bytes without --top: every flow, by bytes" \
		truth check-top "$T/top.json" flows 0 bytes "${M[@]}"
	run_ok "top" "$T/top.json" -p "$P" --format json --top 4 --sort bytes sources protocols || return
	check "--top 4 --sort bytes: sources ranked" truth check-top "$T/top.json" sources 4 bytes "${M[@]}"
	check "--top 4 --sort bytes: protocols ranked" truth check-top "$T/top.json" protocols 4 bytes "${M[@]}"
	run_ok "top" "$T/top.table" -p "$P" --top 2 flows || return
	check "--top 2 table: a title, a header and two rows" \
		test "$(sed -n '1p;$=' "$T/top.table" | tr '\n' ' ')" = "Flows (top 2 by packets) 4 "
}

test_interface() {
	run_ok "interface" "$T/if.json" -p "$P" --format json --interface rb1 || return
	check "--interface rb1: only rb1's frames, in every view" \
		truth check-json "$T/if.json" only="$IFY" "${M[@]}"
	check "--interface rb1: flows_read counts rb1's flows listed, flow_table_fill every interface's" python3 -c '
import json, sys
one, every = (json.load(open(f)) for f in sys.argv[1:3])
t = one["totals"]
assert t["flows_read"] == len(one["flows"]) < len(every["flows"]), (t["flows_read"], len(one["flows"]), len(every["flows"]))
assert t["flow_table_fill"] == every["totals"]["flow_table_fill"] == len(every["flows"]), (t["flow_table_fill"], len(every["flows"]))' \
		"$T/if.json" "$T/all.json"
	run_ok "interface" "$T/if.json" -p "$P" --format json -i rb1 -i rb0 || return
	check "--interface twice: both interfaces" truth check-json "$T/if.json" only="$IFX,$IFY" "${M[@]}"
	xf_expect_reader_error "--interface of an unknown name: exit 1 naming it" 1 "--interface nosuch0: no such interface" \
		R -p "$P" --interface nosuch0
}

test_other_slot() {
	local P2 list
	xf_pin_dir P2 ifaces
	list=$(for i in 0 1 2 3 4 5 6 7 8; do printf '%s,%s,' "$(xf_ifindex "$NS" "ra$i")" "$(xf_ifindex "$NS" "rb$i")"; done)
	truth gen-ifaces "${list%,}" "$CPU_A" "$T/if.frames" "$T/if.json" || { xf_fail "other slot" "gen"; return; }
	feed_frames "other slot: feed" "$P2" "$T/if.frames" || return
	run_ok "other slot" "$T/other.json" -p "$P2" --format json totals || return
	check "18 interfaces on one CPU: 16 slots, the rest as ifindex 4294967295 named \"other\"" \
		truth check-ifaces "$T/other.json" "$T/if.json"
	run_ok "other slot" "$T/other.table" -p "$P2" totals || return
	check "table: the other slot's row is named other" grep -Eq "^other +[0-9]+ " "$T/other.table"
}

test_full_table() {
	local P3
	xf_pin_dir P3 full
	truth gen-full "$IFX" "$CPU_A" 6000 "$T/full.frames" "$T/full.json"
	feed_frames "full table: feed" "$P3" "$T/full.frames" --max-flows 64 || return
	run_ok "full table" "$T/full.json.out" -p "$P3" --format json || return
	check "flow table full: totals exact, flows + unrecorded = IP packets" \
		truth check-full "$T/full.json.out" "$T/full.json"
	run_ok "full table" "$T/full.table" -p "$P3" || return
	check "table: says how much the full flow table did not record" \
		grep -Eq "^flow table full: $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["totals"]["unrecorded_packets"])' "$T/full.json.out") packets \([0-9.]+ [KM]?i?B\) not recorded per flow \(counted by protocol\); raise --max-flows$" "$T/full.table"
}

test_errors() {
	local empty bad
	xf_expect_reader_error "missing pin folder: says to attach first, exit 1" 1 \
		"no xdpflow maps at /sys/fs/bpf/xdpflow-test-$$-none .* — attach first: xdpflow-loader attach IFACE" \
		R -p "/sys/fs/bpf/xdpflow-test-$$-none"
	xf_pin_dir empty empty
	mkdir "$empty"
	xf_expect_reader_error "pin folder without maps: says to attach first" 1 "no xdpflow maps at $empty .*attach first" \
		R -p "$empty"
	xf_expect_reader_error "bpffs not mounted: says so and how to mount it" 1 "no bpf filesystem at /sys/fs/bpf.*mount -t bpf" \
		unshare -m -p -f --mount-proc sh -c 'umount /sys/fs/bpf && exec "$@"' sh nsenter --net="/run/netns/$NS" "$READER" -p "$P"
	xf_expect_reader_error "no privilege (nobody): names CAP_BPF and CAP_SYS_ADMIN" 1 "permission.*CAP_BPF.*CAP_SYS_ADMIN" \
		setpriv --reuid=65534 --regid=65534 --clear-groups "$READER" -p "$P"
	if command -v capsh >/dev/null; then
		xf_expect_reader_error "root without CAP_SYS_ADMIN: names CAP_SYS_ADMIN" 1 "CAP_SYS_ADMIN" \
			capsh --drop=cap_sys_admin -- -c 'exec "$0" "$@"' "$READER" -p "$P"
	else
		xf_skip "root without CAP_SYS_ADMIN" "needs capsh (Debian package libcap2-bin)"
	fi
	xf_pin_dir bad layout
	mkdir "$bad" && bpftool map create "$bad/xdpflow_layout" type array key 4 value 4 entries 1 name xdpflow_layout
	xf_expect_reader_error "other map layout: names the pin, both versions and what to do" 1 \
		"$bad/xdpflow_layout has map layout version 1, this xdpflow uses version 3: run 'xdpflow-loader detach --purge" \
		R -p "$bad"
	xf_expect_reader_error "--top -5: usage error" 2 "--top -5" R -p "$P" --top -5
	xf_expect_reader_error "--top 0: usage error" 2 "--top 0" R -p "$P" --top 0
	xf_expect_reader_error "--top abc: usage error" 2 "--top abc" R -p "$P" --top abc
	xf_expect_reader_error "--format xml: usage error" 2 "--format xml" R -p "$P" --format xml
	xf_expect_reader_error "--sort time: usage error" 2 "--sort time" R -p "$P" --sort time
	xf_expect_reader_error "--watch 0: usage error" 2 "--watch 0" R -p "$P" --watch 0
	xf_expect_reader_error "unknown view: usage error" 2 "unknown view 'everything'" R -p "$P" everything
	xf_expect_reader_error "unknown option: usage error" 2 "unknown option --colour" R -p "$P" --colour
	xf_expect_reader_error "--prometheus-flows with json: usage error" 2 "needs --format prometheus" \
		R -p "$P" --format json --prometheus-flows
	R -p "$P" >/dev/full 2>"$T/err"
	[ $? -eq 1 ] && [ "$(cat "$T/err")" = "xdpflow-reader: cannot write the output: No space left on device" ] &&
		xf_pass "a failed write (/dev/full): one line saying so, exit 1" ||
		xf_fail "a failed write (/dev/full): one line saying so, exit 1" "$(tr '\n' '|' <"$T/err")"
	xf_expect_reader_error "usage errors come before looking at the maps" 2 "--format xml" \
		R -p "/sys/fs/bpf/xdpflow-test-$$-none" --format xml
}

test_help_version() {
	R --help >"$T/out" 2>"$T/err" && grep -q "^Examples:" "$T/out" && grep -q -- "--top N" "$T/out" &&
		[ ! -s "$T/err" ] && xf_pass "--help: usage with examples on stdout, exit 0" ||
		xf_fail "--help: usage with examples on stdout, exit 0" "$(head -c 200 "$T/err")"
	# --version: tests/test-scripting.sh, against debian/changelog, the ABI header and the libraries.
}

test_read_only() {
	local before after
	before=$(bpftool map dump pinned "$P/xdpflow_clock" -j | md5sum)
	R -p "$P" --format json >/dev/null 2>&1
	after=$(bpftool map dump pinned "$P/xdpflow_clock" -j | md5sum)
	run_ok "read-only" "$T/again.json" -p "$P" --format json || return
	if [ "$before" != "$after" ]; then
		xf_fail "reading changes nothing: a second read is identical" "the clock map changed"
	else
		check "reading changes nothing: a second read is identical (flow times within their 1 ms)" \
			python3 "$T/truth.py" same-read "$T/all.json" "$T/again.json"
	fi
	# The reader opens the pins read-only: it works on pins it may only read.
	chmod 0400 "$P"/xdpflow_*
	# (and reads the same counts there: an empty or partial read must not pass).
	if ! R -p "$P" --format json >"$T/ro.json" 2>"$T/err"; then
		xf_fail "works on read-only (0400) pins" "$(cat "$T/err")"
	else
		check "works on read-only (0400) pins: the same counts as before" \
			python3 "$T/truth.py" same-read "$T/all.json" "$T/ro.json"
	fi
	chmod 0600 "$P"/xdpflow_*
}

# reads FILE PATTERN: how many reads a --watch run printed so far (lines matching PATTERN:
# '"time"' for JSON, '^xdpflow at' for the table); wait_reads FILE PATTERN N: until it printed N
# (up to 120 s). The --watch tests wait on the reads themselves, never on the clock: a busy
# machine (or the VM tier's emulated CPU, where loading the feeder's program takes seconds) only
# makes them slower. They start the reader with nsenter, which execs it: $! is the reader (a
# shell function such as xf_in would run in a subshell that SIGINT does not end).
reads() {
	local n
	n=$(grep -c "$2" "$1" 2>/dev/null)
	echo "${n:-0}"
}
wait_reads() {
	local w
	for ((w = 0; w < 1200; w++)); do
		(($(reads "$1" "$2") >= $3)) && return 0
		sleep 0.1
	done
	return 1
}

# watch_feed OUT PATTERN PIN FRAMES READER-ARGS...: a --watch reader (READER-ARGS) on PIN
# printing to OUT (stderr to $T/err), FRAMES fed after its first read, Ctrl-C (SIGINT) after
# two reads more; returns the reader's exit status.
watch_feed() {
	local out=$1 pattern=$2 pin=$3 frames=$4 pid
	shift 4
	nsenter --net="/run/netns/$NS" "$READER" -p "$pin" "$@" >"$out" 2>"$T/err" &
	pid=$!
	wait_reads "$out" "$pattern" 1
	feed --pin-path "$pin" --frames "$frames" >/dev/null
	wait_reads "$out" "$pattern" $(($(reads "$out" "$pattern") + 2))
	kill -INT "$pid"
	wait "$pid"
}

test_watch() {
	local P4 rc
	xf_pin_dir P4 watch
	truth gen-full "$IFX" "$CPU_A" 1 "$T/w0.frames" "$T/w0.json"
	truth gen-full "$IFX" "$CPU_A" 100 "$T/w1.frames" "$T/w1.json"
	feed_frames "watch: feed" "$P4" "$T/w0.frames" || return
	# The 100 frames go in after the first read, and Ctrl-C comes after two reads more: the
	# test waits on the reads themselves (their "time" lines), not on the clock, so a busy
	# machine only makes it slower.
	watch_feed "$T/watch.out" '"time"' "$P4" "$T/w1.frames" --watch 1 --format json totals
	rc=$?
	[ $rc -eq 0 ] && [ ! -s "$T/err" ] && xf_pass "--watch: Ctrl-C (SIGINT) ends it with status 0" ||
		xf_fail "--watch: Ctrl-C (SIGINT) ends it with status 0" "exit $rc: $(head -c 200 "$T/err")"
	check "--watch 1: a read a second, rates x intervals add up to the frames fed meanwhile" \
		truth check-watch "$T/watch.out" 100
	xf_in "$NS" timeout --preserve-status -s INT 1.5 "$READER" -p "$P4" --watch 1 >"$T/watch.table" 2>"$T/err"
	rc=$?
	[ $rc -eq 0 ] && grep -q "PKTS/S" "$T/watch.table" && ! grep -q $'\033' "$T/watch.table" &&
		xf_pass "--watch table: rate columns, no screen clearing when not a terminal" ||
		xf_fail "--watch table: rate columns, no screen clearing when not a terminal" "exit $rc"
	# The same frames again while a table is watched: its rates are bits and packets per second.
	watch_feed "$T/watch.table" '^xdpflow at' "$P4" "$T/w1.frames" --watch 1 --utc totals
	check "--watch table: BITS/S in bit/s, Kbit/s, Mbit/s (SI, as iftop and nload) and PKTS/S; x seconds between frames = what was fed" \
		truth check-watch-table "$T/watch.table" "$T/w1.json"
}

# The busiest flow now leads with --sort rate, not the one with the most packets in all.
test_watch_sort_rate() {
	local P8 rc led
	xf_pin_dir P8 rate
	truth gen-one "$IFX" "$CPU_A" 7001 500 "$T/r0.frames" "$T/r0.json"
	truth gen-one "$IFX" "$CPU_A" 7002 100 "$T/r1.frames" "$T/r1.json"
	feed_frames "sort rate: feed" "$P8" "$T/r0.frames" || return
	watch_feed "$T/rate.out" '"time"' "$P8" "$T/r1.frames" --watch 1 --format json --sort rate --top 2 flows
	rc=$?
	if [ $rc -ne 0 ] || [ -s "$T/err" ]; then
		xf_fail "--watch --sort rate" "exit $rc: $(head -c 200 "$T/err")"
		return
	fi
	if led=$(truth check-rate-sort "$T/rate.out" 7002 7001 2>&1); then
		xf_pass "--watch --sort rate: flows by bits per second now; the busy flow with 100 packets leads the idle one with 500 (figure: $led reads)"
	else
		xf_fail "--watch --sort rate: flows by bits per second now" "$led"
	fi
	xf_expect_reader_error "--sort rate without --watch: usage error" 2 "--sort rate needs --watch" \
		R -p "$P8" --sort rate
}

# Someone else's drain (a cron job) between two frames of --watch: said on that frame, no rates
# there, none negative anywhere, rates again after it. More frames come after the drain than
# were there before it, so the counters go up across the reset: only the tables' ids show it.
test_watch_drain() {
	local P9 rc rc2 figure pj pt
	xf_pin_dir P9 wdrain
	truth gen-one "$IFX" "$CPU_A" 7003 10 "$T/d0.frames" "$T/d0.json"
	truth gen-one "$IFX" "$CPU_A" 7004 200 "$T/d1.frames" "$T/d1.json"
	feed_frames "watch drain: feed" "$P9" "$T/d0.frames" || return
	nsenter --net="/run/netns/$NS" "$READER" -p "$P9" --watch 2 --format json totals flows >"$T/wd.out" 2>"$T/err" &
	pj=$!
	nsenter --net="/run/netns/$NS" "$READER" -p "$P9" --watch 2 totals >"$T/wd.table" 2>"$T/err2" &
	pt=$!
	# After both watchers' first read: a drain, then more frames than before it; then two
	# reads more of each, so that each shows the frames fed after the drain.
	wait_reads "$T/wd.out" '"time"' 1
	wait_reads "$T/wd.table" '^xdpflow at' 1
	R -p "$P9" --drain --format json >"$T/wd.drain" 2>"$T/wd.drain.err"
	feed --pin-path "$P9" --frames "$T/d1.frames" >/dev/null
	wait_reads "$T/wd.out" '"time"' $(($(reads "$T/wd.out" '"time"') + 2))
	wait_reads "$T/wd.table" '^xdpflow at' $(($(reads "$T/wd.table" '^xdpflow at') + 2))
	kill -INT "$pj" "$pt"
	wait "$pj"
	rc=$?
	wait "$pt"
	rc2=$?
	if [ $rc -ne 0 ] || [ $rc2 -ne 0 ] || [ -s "$T/err" ] || [ -s "$T/err2" ] || [ -s "$T/wd.drain.err" ]; then
		xf_fail "--watch across a drain" "exit $rc/$rc2: $(cat "$T/err" "$T/err2" "$T/wd.drain.err" | head -c 300)"
		return
	fi
	if figure=$(truth check-watch-reset "$T/wd.out" "$T/wd.drain" 10 2>&1); then
		xf_pass "--watch across a drain: the first read after it says counters_reset, without rates; no rate negative; rates again after it (figure: $figure packets before and after)"
	else
		xf_fail "--watch across a drain: the first read after it says counters_reset" "$figure"
	fi
	check "--watch table across a drain: one frame says the counters were reset and shows no rates" python3 -c '
import re, sys
frames = re.split(r"(?m)^xdpflow at ", open(sys.argv[1]).read())[1:]
said = [i for i, f in enumerate(frames) if "counters were reset (drained) since the last frame; rates restart" in f]
assert len(said) == 1 and said[0] > 0, "frames saying so: %s of %d" % (said, len(frames))
shown = 0
for i, f in enumerate(frames):
    rows = [re.split(r"\s{2,}", l) for l in f.splitlines() if l.startswith("rb0 ")]
    # Between the drain and the frames fed after it, nothing counted: no interface row.
    if not rows and i >= said[0] and re.search(r"(?m)^all +0 ", f):
        continue
    assert len(rows) == 1, (i, f)
    shown += i > said[0]
    rates = rows[0][-2:]
    if i in (0, said[0]):
        assert rates == ["-", "-"], (i, rows)
    else:
        assert re.fullmatch(r"\d+(\.\d)?", rates[0]) and re.fullmatch(r"\d+(\.\d)? [KMGT]?bit/s", rates[1]), (i, rows)
assert shown, "no frame after the reset shows the frames fed after the drain"' "$T/wd.table"
}

test_corpus() {
	local P5 counts fed nbytes short big pcaps
	xf_corpus_pcaps pcaps || return
	xf_pin_dir P5 corpus
	read -r fed nbytes short big < <(python3 "$T/truth.py" corpus "${pcaps[@]}")
	if ! counts=$(feed --pin-path "$P5" --pcap "${pcaps[@]}" 2>"$T/err"); then
		xf_fail "corpus: feed" "$(tail -n 2 "$T/err")"
		return
	fi
	[ "$counts" = "fed $fed frames $nbytes bytes skipped $short short $big big" ] &&
		xf_pass "corpus: every frame the test run accepts went through ($fed frames; $short short and $big oversized left out)" ||
		xf_fail "corpus: feed" "feeder: $counts; expected $fed frames $nbytes bytes, $short short, $big big"
	run_ok "corpus" "$T/corpus.json" -p "$P5" --format json || return
	check "corpus: totals = frames fed, classes sum to totals, protocols/flows/sources to IP" \
		truth check-corpus "$T/corpus.json" "$fed" "$nbytes"
}

test_veth() {
	local P6 out
	xf_pin_dir P6 veth
	if [ -x "$XF_BUILD/xdpflow-loader" ]; then
		xf_in "$NS" "$XF_BUILD/xdpflow-loader" attach -p "$P6" --obj "$OBJ" rb8 >"$T/out" 2>&1
	else
		xf_in "$NS" xdp-loader load -p "$P6" rb8 "$OBJ" >"$T/out" 2>&1
	fi || { xf_fail "veth: attach" "$(tail -n 1 "$T/out")"; return; }
	xf_on_exit "nsenter --net=/run/netns/$NS xdp-loader unload -a rb8"
	truth gen-veth "$T/veth.spec" "$T/veth.json" "$(xf_ifindex "$NS" rb8)"
	if ! out=$(xf_send "$NS" ra8 "$T/veth.spec"); then
		xf_fail "veth: send" "$out"
		return
	fi
	run_ok "veth" "$T/veth.out" -p "$P6" --format json || return
	check "veth: frames sent through a veth read back exactly, in every view" \
		truth check-json "$T/veth.out" "$T/veth.json"
}

test_streaming_memory() {
	local P7 out
	if [ "${XDPFLOW_VM:-}" = 1 ] && [ -z "${XDPFLOW_VM_FULL:-}" ]; then
		xf_skip "streaming: 300,000 flows within 16 MiB of data" \
			"~20 s under the VM tier's software emulation, over its 3-minute budget; runs on the host (XDPFLOW_VM_FULL=1 runs it here)"
		return
	fi
	xf_pin_dir P7 stream
	if ! out=$(feed --pin-path "$P7" --max-flows 400000 --generate 300000 2>&1); then
		xf_fail "streaming: feed 300,000 flows" "$out"
		return
	fi
	case $READER in
	*/asan/*)
		xf_skip "streaming: peak RSS" "a sanitizer build's memory says nothing about the reader's"
		return
		;;
	esac
	# Held in memory, 300,000 flows would take 36 MB; streamed, the reader needs a few. The
	# data limit (heap and every private writable mapping) makes any holding fail.
	local args
	for args in "--format json flows:300000" "--format json --top 100 flows:100"; do
		# shellcheck disable=SC2086
		if ! xf_in "$NS" prlimit --data=$((16 << 20)) "$READER" -p "$P7" ${args%:*} >"$T/stream.json" 2>"$T/err"; then
			xf_fail "streaming: $READER ${args%:*} within 16 MiB of data" "$(head -c 200 "$T/err")"
			continue
		fi
		check "streaming: ${args%:*} of 300,000 flows within 16 MiB of data, ${args#*:} flows out" \
			python3 -c 'import json, sys; n = len(json.load(open(sys.argv[1]))["flows"]); assert n == int(sys.argv[2]), n' \
			"$T/stream.json" "${args#*:}"
	done
}

test_json
test_ndjson
test_csv
test_prometheus
test_table
test_table_times
test_table_width
test_top_sort
test_interface
test_other_slot
test_full_table
test_errors
test_help_version
test_read_only
test_watch
test_watch_sort_rate
test_watch_drain
test_corpus
test_veth
test_streaming_memory
xf_summary
