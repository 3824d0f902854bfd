# SPDX-License-Identifier: GPL-2.0
"""Ground truth for tests/vm/guest-coexist.sh: frames for xdpflow behind or before xdp-filter.

  gen DIR N NAME=EXPR...   write DIR/sI.spec (I = 1..N, for build/tools/sendframes) and, per
                           NAME, DIR/NAME.json: what xdpflow must count (the format of
                           tests/lib.sh xf_gen_frames). EXPR sums terms aI (every frame of set
                           I) and pI (only those xdp-filter passes), e.g. late3=p2+a3.
                           DIR/truth.sh gets pass_I and drop_I: frames per verdict of set I.
  reader JSON IFINDEX EXPECT   exit 0 if xdpflow-reader's JSON for IFINDEX equals EXPECT.

Each set mixes frames xdp-filter passes with TCP and UDP frames to port 53, which the rule
'xdp-filter port 53' drops. What each frame must count is worked out from how it was
built here, never from xdpflow's code. The frames are ones every xdp-filter version parses
completely (IPv4/IPv6 with TCP, UDP, ICMP headers whole; no ARP; no malformed IP): its
verdict on frames it cannot parse differs between versions (1.3.1 passes an IPv4 header
with IHL < 5, later versions abort it), which would make "what passes" version-dependent.
"""
import ipaddress
import json
import random
import struct
import sys

DST_MAC, SRC_MAC = bytes.fromhex("020000000002"), bytes.fromhex("020000000001")
DROP_PORT = 53


def eth(ethertype, payload, vlans=()):
    hdr = DST_MAC + SRC_MAC
    for tpid, vid in vlans:
        hdr += struct.pack("!HH", tpid, vid)
    return hdr + struct.pack("!H", ethertype) + payload


def ipv4(proto, src, dst, l4):
    return struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), 0, 0, 64, proto, 0, src, dst) + l4


def ipv6(nh, src, dst, l4):
    return struct.pack("!IHBB16s16s", 6 << 28, len(l4), nh, 64, src, dst) + l4


def l4_for(proto, sport, dport, pad):
    if proto == 6:
        return struct.pack("!HHIIBBHHH", sport, dport, 1, 0, 0x50, 0x18, 512, 0, 0) + pad
    if proto == 17:
        return struct.pack("!HHHH", sport, dport, 8 + len(pad), 0) + pad
    # ICMP/ICMPv6 echo (type, code): the whole 8-byte header.
    return struct.pack("!BBHI", sport, dport, 0, 0) + pad


def empty():
    return {"non_ip": [0, 0], "malformed": [0, 0], "proto": {}, "total": [0, 0], "flows": set()}


def add(exp, cls, frame, count, flow=None):
    counter = exp["proto"].setdefault(cls, [0, 0]) if flow else exp[cls]
    counter[0] += count
    counter[1] += count * len(frame)
    exp["total"][0] += count
    exp["total"][1] += count * len(frame)
    if flow:
        exp["flows"].add(flow)


def ip_frame(rnd, octet, dport_choices, protos):
    fam = rnd.choice((4, 6))
    proto = rnd.choice(protos)
    if proto == 1 and fam == 6:
        proto = 58
    if fam == 4:
        src = bytes((10, octet, rnd.randint(0, 3), rnd.randint(1, 250)))
        dst = bytes((10, 200, 0, rnd.randint(1, 5)))
    else:
        src = bytes.fromhex("fd00%02x00" % octet) + bytes(10) + bytes((0, rnd.randint(1, 250)))
        dst = bytes.fromhex("fd00c800") + bytes(11) + bytes((rnd.randint(1, 5),))
    if proto in (1, 58):
        sport, dport = (8, 0) if fam == 4 else (128, 0)
    else:
        sport, dport = rnd.randint(1024, 65535), rnd.choice(dport_choices)
    l4 = l4_for(proto, sport, dport, bytes(rnd.randint(0, 300)))
    ip = ipv4(proto, src, dst, l4) if fam == 4 else ipv6(proto, src, dst, l4)
    vlans = rnd.choice(((), ((0x8100, 10),), ((0x88a8, 20), (0x8100, 30))))
    frame = eth(0x0800 if fam == 4 else 0x86DD, ip, vlans)
    flow = "%d %d %s %s %d %d" % (fam, proto, src.hex(), dst.hex(), sport, dport)
    return frame, "%d/%d" % (fam, proto), flow


def gen(out, nsets, names):
    sets = {}
    truth = []
    for i in range(1, nsets + 1):
        rnd = random.Random(1000 + i)
        passed, every, spec = empty(), empty(), []
        frames = {"pass": 0, "drop": 0}
        for _ in range(rnd.randint(15, 25)):
            frame, cls, flow = ip_frame(rnd, i, (22, 80, 443), (6, 17, 1))
            n = rnd.randint(1, 40)
            for exp in (passed, every):
                add(exp, cls, frame, n, flow)
            frames["pass"] += n
            spec.append("%d %s" % (n, frame.hex()))
        for _ in range(rnd.randint(4, 8)):
            frame, cls, flow = ip_frame(rnd, i, (DROP_PORT,), (6, 17))
            n = rnd.randint(1, 40)
            add(every, cls, frame, n, flow)
            frames["drop"] += n
            spec.append("%d %s" % (n, frame.hex()))
        # Non-IP: LLDP and a local experimental ethertype; xdp-filter passes both.
        for ethertype in (0x88CC, 0x88B5):
            frame, n = eth(ethertype, bytes(rnd.randint(30, 80))), rnd.randint(1, 30)
            for exp in (passed, every):
                add(exp, "non_ip", frame, n)
            frames["pass"] += n
            spec.append("%d %s" % (n, frame.hex()))
        rnd.shuffle(spec)
        with open("%s/s%d.spec" % (out, i), "w") as f:
            f.write("\n".join(spec) + "\n")
        sets["a%d" % i], sets["p%d" % i] = every, passed
        truth.append("pass_%d=%d drop_%d=%d" % (i, frames["pass"], i, frames["drop"]))
    for arg in names:
        name, expr = arg.split("=", 1)
        total = empty()
        for term in expr.split("+"):
            part = sets[term]
            for k in ("non_ip", "malformed", "total"):
                total[k] = [total[k][0] + part[k][0], total[k][1] + part[k][1]]
            for k, (p, b) in part["proto"].items():
                c = total["proto"].setdefault(k, [0, 0])
                c[0] += p
                c[1] += b
            total["flows"] |= part["flows"]
        total["flows"] = sorted(total["flows"])
        with open("%s/%s.json" % (out, name), "w") as f:
            json.dump(total, f)
    with open("%s/truth.sh" % out, "w") as f:
        f.write("\n".join(truth) + "\n")


def reader(doc_path, ifindex, expect_path):
    """The reader's JSON for one interface, in xf_gen_frames' terms, against the truth."""
    doc, exp, ifindex = json.load(open(doc_path)), json.load(open(expect_path)), int(ifindex)
    ifaces = [i for i in doc["totals"]["interfaces"] if i["ifindex"] == ifindex]
    if not ifaces:
        sys.exit("the reader shows nothing for ifindex %d" % ifindex)
    i = ifaces[0]
    got = {"non_ip": [i["non_ip"], i["non_ip_bytes"]], "malformed": [i["malformed"], i["malformed_bytes"]],
           "total": [i["packets"], i["bytes"]], "proto": {}, "flows": []}
    for p in doc["protocols"]:
        if p["ifindex"] == ifindex:
            got["proto"]["%d/%d" % (p["family"], p["proto"])] = [p["packets"], p["bytes"]]
    for f in doc["flows"]:
        if f["ifindex"] != ifindex:
            continue
        ports = (f["icmp_type"], f["icmp_code"]) if "icmp_type" in f else (f["sport"], f["dport"])
        got["flows"].append("%d %d %s %s %d %d" % (f["family"], f["proto"],
                            ipaddress.ip_address(f["src"]).packed.hex(),
                            ipaddress.ip_address(f["dst"]).packed.hex(), *ports))
    got["flows"].sort()
    bad = ["%s %s != sent %s" % (k, got[k], exp[k]) for k in ("non_ip", "malformed", "total") if got[k] != exp[k]]
    if got["proto"] != exp["proto"]:
        bad.append("protocols %s != sent %s" % (got["proto"], exp["proto"]))
    if got["flows"] != exp["flows"]:
        bad.append("%d flows != sent %d" % (len(got["flows"]), len(exp["flows"])))
    if bad:
        sys.exit("; ".join(bad))


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "gen":
        gen(sys.argv[2], int(sys.argv[3]), sys.argv[4:])
    elif len(sys.argv) == 5 and sys.argv[1] == "reader":
        reader(*sys.argv[2:])
    else:
        sys.exit(__doc__)
