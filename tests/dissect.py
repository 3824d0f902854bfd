# SPDX-License-Identifier: GPL-2.0
"""tshark's dissection of the corpus in xdpflow's terms, compared with xdpflow's JSON.

Used by tests/test-dissector.sh:
  prepare OUT.pcap PCAP...          the frames a veth can carry, in one Ethernet pcap;
                                    prints: frames bytes too-short too-long
  fields                            tshark's -e options for the fields read here
  relength FIELDS IN.pcap OUT.pcap  the frames whose IP length field is shorter than the
                                    IP bytes they hold, that field set to those bytes
                                    (second tshark pass; OUT.pcap.frames: their numbers)
  compare FIELDS FIELDS2 OUT.pcap READER.json FRAMES BYTES
                                    classes, protocols, flows: lines PASS<tab>NAME or
                                    FAIL<tab>NAME<tab>WHY, and notes

No frame is parsed here: pcap files are read as records (the file format), and every
header field comes from tshark (-T fields). Sections below say how tshark's fields map to
xdpflow's counting rules (docs/DESIGN.md). Where tshark and xdpflow define something
differently, DEFINITIONAL (at the end) names the rule and its reason; the frames each one
touched are counted and printed. Any other difference between the two is a FAIL.
"""
import ipaddress
import json
import struct
import sys

# Frames shorter than the 14-byte Ethernet header are left out: an AF_PACKET socket
# refuses them (EINVAL). Frames longer than a veth's largest MTU (65,535) plus the
# Ethernet header are left out: no veth carries them.
MIN_SENT = 14
MAX_SENT = 65535 + 14

FIELDS = ("frame.number frame.cap_len frame.protocols eth.type vlan.etype ieee8021ah.etype "
          "ip.hdr_len ip.len ip.proto ip.src ip.dst "
          "ipv6.plen ipv6.nxt ipv6.src ipv6.dst ipv6.hopopts.nxt ipv6.routing.nxt "
          "ipv6.fraghdr.nxt ipv6.dstopts.nxt ah.next_header mip6.proto "
          "tcp.srcport tcp.dstport tcp.flags udp.srcport udp.dstport sctp.srcport sctp.dstport "
          "dccp.srcport dccp.dstport icmp.type icmp.code icmpv6.type icmpv6.code").split()

# tshark's layer for each IPv6 extension header and the field naming its next header.
IPV6_EXT = {"ipv6.hopopts": "ipv6.hopopts.nxt", "ipv6.routing": "ipv6.routing.nxt",
            "ipv6.fraghdr": "ipv6.fraghdr.nxt", "ipv6.dstopts": "ipv6.dstopts.nxt",
            "ah": "ah.next_header"}

# tshark's VLAN tag layers and the field of the ethertype after each.
TAGS = {"vlan": "vlan.etype", "ieee8021ad": "ieee8021ah.etype"}

# The L4 layers whose first two fields make a flow's ports (ICMP: type and code).
L4_PAIR = {"tcp": ("tcp.srcport", "tcp.dstport"), "udp": ("udp.srcport", "udp.dstport"),
           "udplite": ("udp.srcport", "udp.dstport"), "sctp": ("sctp.srcport", "sctp.dstport"),
           "dccp": ("dccp.srcport", "dccp.dstport"),
           "icmp": ("icmp.type", "icmp.code"), "icmpv6": ("icmpv6.type", "icmpv6.code")}


# ---- pcap records ---------------------------------------------------------------------

def pcap_records(path):
    """The frames of a classic pcap file (either byte order), as bytes."""
    d = open(path, "rb").read()
    e = "<" if d[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    off = 24
    while off + 16 <= len(d):
        caplen = struct.unpack_from(e + "I", d, off + 8)[0]
        yield d[off + 16:off + 16 + caplen]
        off += 16 + caplen


def write_pcap(path, frames):
    """Link type 1 (Ethernet without FCS: the bytes are what the veth carries)."""
    with open(path, "wb") as out:
        out.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 262144, 1))
        for i, frame in enumerate(frames, 1):
            out.write(struct.pack("<IIII", i, 0, len(frame), len(frame)) + frame)


def cmd_prepare(out_path, *pcaps):
    frames, short, big = [], 0, 0
    for p in pcaps:
        for frame in pcap_records(p):
            if len(frame) < MIN_SENT:
                short += 1
            elif len(frame) > MAX_SENT:
                big += 1
            else:
                frames.append(frame)
    write_pcap(out_path, frames)
    print(len(frames), sum(map(len, frames)), short, big)


def cmd_fields():
    print(" ".join("-e " + f for f in FIELDS))


# ---- tshark's fields, in xdpflow's terms ------------------------------------------------

def read_fields(path):
    """Rows of tshark -T fields -E occurrence=a: field -> every occurrence, outermost first."""
    rows = {}
    with open(path) as f:
        header = f.readline().rstrip("\n").split("\t")
        if header != FIELDS:
            sys.exit("tshark printed other columns: %s" % header)
        for line in f:
            row = {k: (v.split(",") if v else []) for k, v in zip(header, line.rstrip("\n").split("\t"))}
            rows[int(row["frame.number"][0])] = row
    return rows


def first(row, field):
    """A field's first occurrence, which belongs to the outermost layer of its protocol:
    the only layers read here are the first IP header and the headers right after it."""
    v = row[field]
    return int(v[0], 16 if v[0].startswith("0x") else 10) if v else None


def layers_of(row):
    """tshark's layers, the number of VLAN tags before the network layer, and its index."""
    layers = row["frame.protocols"][0].split(":") if row["frame.protocols"] else []
    i, tags = 1, 0
    while i < len(layers) and (layers[i] == "ethertype" or layers[i] in TAGS):
        tags += layers[i] in TAGS
        i += 1
    return layers, tags, i


def ethertypes_of(row, layers, i):
    """The Ethernet type field, then the type field of each tag before layers[i], in order:
    the tags' TPIDs, and last the ethertype of the network layer (None where not decoded)."""
    types, seen = [first(row, "eth.type")], {}
    for name in layers[1:i]:
        if name in TAGS:
            vals, k = row[TAGS[name]], seen.get(name, 0)
            types.append(int(vals[k], 16) if k < len(vals) else None)
            seen[name] = k + 1
    return types


def l3_offset(row):
    return 14 + 4 * layers_of(row)[1]


def held_bytes(row):
    """The frame's bytes from the IP header on (Ethernet header and VLAN tags left out)."""
    return int(row["frame.cap_len"][0]) - l3_offset(row)


def length_claim(row):
    """The IP header's length field as the whole IP packet (IPv6: payload + 40), or None."""
    layers, _, i = layers_of(row)
    net = layers[i] if i < len(layers) else ""
    if net == "ip" and row["ip.len"] and row["ip.hdr_len"]:
        return "ip", first(row, "ip.len"), first(row, "ip.hdr_len")
    if net == "ipv6" and row["ipv6.plen"]:
        return "ipv6", first(row, "ipv6.plen") + 40, 41
    return None


def view_of(row, full=None):
    """One frame as xdpflow must count it, from tshark's fields (before DEFINITIONAL).
    full: tshark's row for the frame with its length field set to the bytes it holds
    (relength), where tshark stopped at a length field shorter than the frame."""
    layers, tags, i = layers_of(row)
    v = dict(n=int(row["frame.number"][0]), len=int(row["frame.cap_len"][0]), cls="non_ip",
             tags=tags, net=layers[i] if i < len(layers) else "", layers=layers, row=row)
    v["ethertypes"] = ethertypes_of(row, layers, i)
    if v["ethertypes"][-1] in (0x0800, 0x86DD):
        # An IP ethertype: IP when tshark decodes the whole header (to its destination
        # address, IPv4 options included), malformed when it cannot.
        v["cls"] = "malformed"
    claim = length_claim(row)
    if claim:
        # IP bytes: the length field unless the frame contradicts it (docs/DESIGN.md).
        held = held_bytes(row)
        v["ip_bytes"] = held if claim[1] < claim[2] or claim[1] > held else claim[1]
    r = full or row
    layers = layers_of(r)[0]
    v["full"] = bool(full)
    if v["net"] == "ip" and r["ip.dst"]:
        if first(r, "ip.hdr_len") <= held_bytes(r):
            v.update(cls="ip", family=4, src=r["ip.src"][0], dst=r["ip.dst"][0],
                     proto=first(r, "ip.proto"))
            l4_of(r, layers[i + 1] if i + 1 < len(layers) else "", v)
    elif (v["net"] == "ipv6" or layers[i:i + 2] == ["ip", "ipv6"]) and r["ipv6.dst"]:
        # (tshark's IPv4 dissector hands a version-6 header to IPv6: see DEFINITIONAL.)
        j = layers.index("ipv6", i) + 1
        v.update(cls="ip", family=6, src=r["ipv6.src"][0], dst=r["ipv6.dst"][0])
        # Each extension header is a layer of its own; the protocol is the next header the
        # last one names (the first occurrence of each: the outermost header's).
        v["chain"] = [first(r, "ipv6.nxt")]
        while j < len(layers) and layers[j] in IPV6_EXT and r[IPV6_EXT[layers[j]]]:
            v["chain"].append(int(r[IPV6_EXT[layers[j]]][layers[i:j].count(layers[j])]))
            j += 1
        v["proto"] = v["chain"][-1]
        l4_of(r, layers[j] if j < len(layers) else "", v)
    return v


def l4_of(row, l4, v):
    """Ports (ICMP: dport type << 8 | code) and TCP flags of the L4 layer tshark decoded
    right above IP, when it decoded both fields of the pair (xdpflow: when the header's
    first bytes are in the frame)."""
    v.update(sport=0, dport=0, tcp_flags=0, l4=l4)
    pair = L4_PAIR.get(l4)
    if not pair or not row[pair[0]] or not row[pair[1]]:
        return
    a, b = first(row, pair[0]), first(row, pair[1])
    if l4.startswith("icmp"):
        v["dport"] = a << 8 | b
    else:
        v["sport"], v["dport"] = a, b
    if l4 == "tcp" and row["tcp.flags"]:
        v["tcp_flags"] = first(row, "tcp.flags")


# ---- the second pass: length fields shorter than the frame ------------------------------

def relength_frames(rows, pcap_path):
    """(frame number, frame with its IP length field set to the bytes it holds) for each
    frame whose field claims fewer bytes than it holds."""
    frames = list(pcap_records(pcap_path))
    for n, row in sorted(rows.items()):
        claim, held = length_claim(row), held_bytes(row)
        if not claim or claim[1] >= held:
            continue
        f = bytearray(frames[n - 1])
        off = l3_offset(row)
        if claim[0] == "ip":
            struct.pack_into("!H", f, off + 2, held)
        else:
            struct.pack_into("!H", f, off + 4, held - 40)
        yield n, bytes(f)


def cmd_relength(fields_path, pcap_path, out_path):
    pairs = list(relength_frames(read_fields(fields_path), pcap_path))
    write_pcap(out_path, [f for _, f in pairs])
    open(out_path + ".frames", "w").write("".join("%d\n" % n for n, _ in pairs))


# ---- what xdpflow must count, and what it counted ----------------------------------------

def addr(text):
    return str(ipaddress.ip_address(text))


def flow_key(family, src, dst, proto, sport, dport):
    return "%d %s %s %d %d %d" % (family, addr(src), addr(dst), proto, sport, dport)


def expected(rows, full):
    """Per class, protocol and flow, with DEFINITIONAL applied; and the frames each rule
    of DEFINITIONAL touched."""
    want = dict(non_ip=[0, 0], malformed=[0, 0], proto={}, flows={})
    touched = {name: [] for name, _, _ in DEFINITIONAL}
    for n, row in sorted(rows.items()):
        v = view_of(row, full.get(n))
        for name, _, rule in DEFINITIONAL:
            if rule(v):
                touched[name].append(n)
        if v["cls"] != "ip":
            c = want[v["cls"]]
            c[0], c[1] = c[0] + 1, c[1] + v["len"]
            continue
        c = want["proto"].setdefault("%d/%d" % (v["family"], v["proto"]), [0, 0])
        c[0], c[1] = c[0] + 1, c[1] + v["len"]
        f = want["flows"].setdefault(flow_key(v["family"], v["src"], v["dst"], v["proto"],
                                              v["sport"], v["dport"]), [0, 0, 0, 0])
        f[0], f[1], f[2], f[3] = f[0] + 1, f[1] + v["len"], f[2] + v["ip_bytes"], f[3] | v["tcp_flags"]
    return want, touched


def counted(doc):
    """xdpflow's counts from xdpflow-reader --format json, shaped as expected()'s."""
    t = doc["totals"]
    got = dict(non_ip=[t["non_ip"], t["non_ip_bytes"]], malformed=[t["malformed"], t["malformed_bytes"]],
               total=[t["packets"], t["bytes"]], proto={}, flows={})
    for p in doc["protocols"]:
        got["proto"]["%d/%d" % (p["family"], p["proto"])] = [p["packets"], p["bytes"]]
    for f in doc["flows"]:
        key = flow_key(f["family"], f["src"], f["dst"], f["proto"], f["sport"], f["dport"])
        got["flows"][key] = [f["packets"], f["bytes"], f["ip_bytes"], f["tcp_flags"]]
    return got


def differences(want, got, what):
    out = []
    for k in sorted(set(want) | set(got)):
        if want.get(k) != got.get(k):
            out.append("%s %s: xdpflow %s, tshark %s" % (what, k, got.get(k, "none"),
                                                         want.get(k, "none")))
    return out


def check(name, bad, figure):
    """A result line for the shell: PASS or FAIL, the check's name, then the figure or why."""
    if bad:
        print("FAIL\t%s\t%d differences: %s" % (name, len(bad), "; ".join(bad[:6])))
    else:
        print("PASS\t%s (figure: %s)" % (name, figure))


def cmd_compare(fields_path, fields2_path, pcap_path, reader_path, frames, nbytes):
    rows = read_fields(fields_path)
    numbers = [int(x) for x in open(pcap_path + ".frames").read().split()]
    full = {numbers[k - 1]: r for k, r in read_fields(fields2_path).items()}
    want, touched = expected(rows, full)
    got = counted(json.load(open(reader_path)))
    frames, nbytes = int(frames), int(nbytes)
    check("dissector: every frame replayed counted once, every one dissected",
          [] if got["total"] == [frames, nbytes] and len(rows) == frames else
          ["xdpflow counted %s; sent %d frames, %d bytes; tshark dissected %d frames" %
           (got["total"], frames, nbytes, len(rows))],
          "%d frames, %d bytes" % (frames, nbytes))
    check("dissector: non-IP and malformed frames and bytes equal tshark's",
          differences({k: want[k] for k in ("non_ip", "malformed")},
                      {k: got[k] for k in ("non_ip", "malformed")}, "class"),
          "non-IP %d frames %d bytes, malformed %d frames %d bytes" %
          tuple(want["non_ip"] + want["malformed"]))
    ip = [sum(p[i] for p in want["proto"].values()) for i in (0, 1)]
    check("dissector: packets and bytes per IP family and protocol equal tshark's",
          differences(want["proto"], got["proto"], "protocol"),
          "%d protocols, %d IP frames %d bytes" % (len(want["proto"]), ip[0], ip[1]))
    check("dissector: every flow's key, packets, bytes, ip_bytes and TCP flags equal tshark's",
          differences(want["flows"], got["flows"], "flow"),
          "%d flows, %d ip_bytes" % (len(want["flows"]), sum(f[2] for f in want["flows"].values())))
    print("# tshark read %d frames a second time with their IP length set to the bytes they "
          "hold" % len(full))
    for name, reason, _ in DEFINITIONAL:
        n = touched[name]
        print("# definitional difference: %s: %d frames%s. Why: %s" %
              (name, len(n), " (e.g. frame %d)" % n[0] if n else "", reason))


# ---- where tshark and xdpflow define things differently ---------------------------------
#
# Each rule takes a frame's view (tshark's reading), changes it to what xdpflow's
# definition counts, and returns True if that changed anything. The rules run in order;
# the frames each one touched are counted and printed with its reason.

def not_ip(v):
    changed = v["cls"] != "non_ip"
    v["cls"] = "non_ip"
    return changed


def more_than_two_tags(v):
    return v["tags"] > 2 and not_ip(v)


def other_tpid(v):
    return any(t not in (0x8100, 0x88A8) for t in v["ethertypes"][:v["tags"]]) and not_ip(v)


def headers_from_frame(v):
    if not v["full"]:
        return False
    first_view = view_of(v["row"])
    return any(first_view.get(k) != v.get(k) for k in ("cls", "proto", "sport", "dport", "tcp_flags"))


def ipv6_behind_ipv4_ethertype(v):
    if v["cls"] == "ip" and v["net"] == "ip" and v["family"] == 6:
        v["cls"] = "malformed"
        return True
    return False


def no_ports(v, proto):
    changed = (v["proto"], v["sport"], v["dport"], v["tcp_flags"]) != (proto, 0, 0, 0)
    v.update(proto=proto, sport=0, dport=0, tcp_flags=0)
    return changed


def ipv6_chain_deeper_than_8(v):
    chain = v.get("chain", [])
    return v["cls"] == "ip" and len(chain) > 9 and no_ports(v, chain[8])


def ipv6_mobility_walked(v):
    row = v["full"] or v["row"]
    return (v["cls"] == "ip" and v["family"] == 6 and v["proto"] == 135 and v["l4"] == "mipv6"
            and bool(row["mip6.proto"]) and no_ports(v, first(row, "mip6.proto")))


def dccp_without_ports(v):
    return v["cls"] == "ip" and v["l4"] == "dccp" and no_ports(v, v["proto"])


def tcp_flags_byte_13(v):
    if v["cls"] == "ip" and v["tcp_flags"] > 0xFF:
        v["tcp_flags"] &= 0xFF
        return True
    return False


DEFINITIONAL = [
    ("a third VLAN tag makes a frame non-IP",
     "tshark decodes through any number of tags; xdpflow looks through two, so that its "
     "parse is bounded", more_than_two_tags),
    ("only 802.1Q (0x8100) and 802.1ad (0x88a8) tags are looked through",
     "tshark also decodes other TPIDs (0x9100) as VLAN tags; xdpflow counts such a frame "
     "non-IP", other_tpid),
    ("headers read from the frame's bytes, not only those the IP length field covers",
     "tshark dissects an IP payload only as far as the IPv4 total length or IPv6 payload "
     "length says (the rest is padding to it), and stops at an IPv4 total length below the "
     "header length; xdpflow reads the headers from the bytes the frame holds and caps only "
     "ip_bytes. These frames were dissected a second time with the length field set to the "
     "bytes they hold, and their headers taken from that pass", headers_from_frame),
    ("an IPv6 header behind the IPv4 ethertype is malformed",
     "tshark reports 'Bogus IPv4 version' and then decodes the header as IPv6; xdpflow takes "
     "the family from the ethertype, and a version that does not match it is malformed",
     ipv6_behind_ipv4_ethertype),
    ("an IPv6 extension chain is walked 8 headers deep",
     "tshark walks any number; past 8, xdpflow's protocol is the next header where it stopped, "
     "with no ports", ipv6_chain_deeper_than_8),
    ("the IPv6 Mobility header (135) is an extension header",
     "IANA lists it with the extension headers and xdpflow walks it, keying the flow by the "
     "protocol it names; tshark dissects it as the upper-layer protocol", ipv6_mobility_walked),
    ("DCCP flows have no ports",
     "xdpflow keys TCP, UDP, UDP-Lite and SCTP flows by ports (docs/DESIGN.md); tshark "
     "decodes DCCP's too", dccp_without_ports),
    ("TCP flags are the 8 bits of byte 13 (CWR to FIN)",
     "tshark's tcp.flags has 12 bits, with AE (formerly NS) and 3 reserved bits; xdpflow "
     "records byte 13 only", tcp_flags_byte_13),
]

if __name__ == "__main__":
    globals()["cmd_" + sys.argv[1].replace("-", "_")](*sys.argv[2:])
