# SPDX-License-Identifier: GPL-2.0
# Shared helpers for xdpflow's integration tests: reporting, cleanup, namespaces, frames, map reads.
#
# Source it from a test script:  . "$(dirname "$0")/lib.sh"
# Reporting:   xf_pass NAME | xf_fail NAME WHY | xf_skip NAME WHY | xf_check NAME CMD...
#              xf_expect_fail NAME PATTERN CMD... (exit 1, one matching stderr line)
#              xf_expect_reader_error NAME STATUS PATTERN CMD... (also: nothing on stdout)
#              xf_summary (prints the tally; its status is the script's exit status)
# Sanitizers:  xf_sigkilled PID (after this test SIGKILLs a tool: sets aside the leak
#              scan's leftovers, never a finding)
# Setup:       xf_require_root NAME; xf_require_cmds CMD...; xf_require_built FILE...
# Cleanup:     xf_on_exit CMD...   (run in reverse order on exit, even after a failure;
#              call it in the main shell, not in a $(...) subshell)
#              xf_pin_dir VAR NAME (a pin folder for this run, removed at exit)
# Namespaces:  xf_netns NAME; xf_veth NS A B; xf_in NS CMD...  (network namespace only:
#              the bpf filesystem stays the host's, so pins are shared with the host)
# Frames:      xf_gen_frames SEED SPEC EXPECT [SRC_OCTET]; xf_send NS IFACE SPEC
# Maps:        xf_map_counts PINDIR > JSON; xf_compare EXPECT ACTUAL IFINDEX
#              xf_map_counts_raw PINDIR > JSON (the second opinion, see there)
# Corpus:      xf_corpus_pcaps ARRAY (the tcpdump captures, sorted; FAIL when missing)
#
# Ground truth comes from the frames the test builds (xf_gen_frames), never from xdpflow's
# own code. xf_map_counts reads the pinned maps through the reader's JSON ($READER, else
# the build's), the way the C tests read them through pin/: one way to read the maps.

XF_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
XF_BUILD=${BUILD:-$XF_ROOT/build}
case $XF_BUILD in /*) ;; *) XF_BUILD=$XF_ROOT/$XF_BUILD ;; esac
# The tcpdump capture corpus, committed with its licence; XDPFLOW_CORPUS points elsewhere.
XF_CORPUS=${XDPFLOW_CORPUS:-$XF_ROOT/tests/corpus/tcpdump}
XF_TMP=$(mktemp -d "${TMPDIR:-/tmp}/xdpflow-test.XXXXXX")
# The reader's IPFIX sequence numbers (--state-dir's default) stay in the test's folder.
export XDPFLOW_STATE_DIR=$XF_TMP/state
XF_PASSED=0
XF_FAILED=0
XF_SKIPPED=0
XF_CLEANUPS=()

xf_pass() { echo "PASS: $1"; XF_PASSED=$((XF_PASSED + 1)); }
xf_fail() { echo "FAIL: $1: ${2:-failed}"; XF_FAILED=$((XF_FAILED + 1)); }
xf_skip() { echo "SKIP: $1: ${2:-skipped}"; XF_SKIPPED=$((XF_SKIPPED + 1)); }

# xf_check NAME CMD...: PASS if CMD exits 0, else FAIL with the last line it printed.
xf_check() {
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then
		xf_pass "$name"
	else
		xf_fail "$name" "$(printf '%s' "$out" | tail -n 1)"
	fi
}

xf_summary() {
	echo "$XF_PASSED passed, $XF_FAILED failed, $XF_SKIPPED skipped"
	((XF_FAILED == 0))
}

xf_on_exit() { XF_CLEANUPS+=("$*"); }

# xf_sigkilled PID: call after SIGKILLing a tool of a sanitizer build (ASAN_OPTIONS with
# log_path, as run-all.sh's asan-test-* suites run them). A kill that lands while
# LeakSanitizer scans the exiting tool leaves a report file with no finding in it: empty,
# or "Unable to get registers from thread N" (the scan's tracer lost the process it was
# stopping). That says nothing about the tool, and would fail the suite: remove it and
# count it in XF_SCANS_CUT. A report holding a finding ("ERROR: ", "runtime error", the
# first line of every real report) is kept, and fails the suite as any other.
XF_SCANS_CUT=0
xf_sigkilled() {
	local base f
	case ${ASAN_OPTIONS:-} in *log_path=*) ;; *) return 0 ;; esac
	base=${ASAN_OPTIONS##*log_path=}
	f=${base%%:*}.$1
	[ -f "$f" ] || return 0
	grep -aqE 'ERROR: |runtime error' "$f" && return 0
	rm -f "$f" && XF_SCANS_CUT=$((XF_SCANS_CUT + 1))
}

_xf_cleanup() {
	local i
	for ((i = ${#XF_CLEANUPS[@]} - 1; i >= 0; i--)); do
		eval "${XF_CLEANUPS[i]}" >/dev/null 2>&1
	done
	rm -rf "$XF_TMP"
}
trap _xf_cleanup EXIT
trap 'exit 130' INT TERM

# Whole-script preconditions: print SKIP and exit 0 when unmet.
xf_require_root() {
	if [ "$(id -u)" != 0 ]; then
		xf_skip "${1:-suite}" "needs root (CAP_NET_ADMIN, CAP_BPF, CAP_SYS_ADMIN)"
		exit 0
	fi
}

xf_require_cmds() {
	local c
	for c in "$@"; do
		if ! command -v "$c" >/dev/null; then
			xf_skip suite "needs $c (make deps)"
			exit 0
		fi
	done
}

xf_mount_bpffs() {
	if ! mountpoint -q /sys/fs/bpf; then
		mount -t bpf bpf /sys/fs/bpf || return 1
	fi
}

# xf_require_built FILE...: FAIL and exit 1 unless every FILE (built by make) is there; then
# mount bpffs where it is not.
xf_require_built() {
	local f
	for f in "$@"; do
		if [ ! -e "$f" ]; then
			xf_fail setup "$f is missing: run make all tests-build"
			exit 1
		fi
	done
	xf_mount_bpffs || { xf_fail setup "cannot mount bpffs"; exit 1; }
}

# xf_expect_fail NAME PATTERN CMD...: CMD exits 1 with exactly one stderr line matching the
# extended regex PATTERN (stdout, e.g. a status report, may say more); its output is left in
# $XF_TMP/out and $XF_TMP/err.
xf_expect_fail() {
	local name=$1 pattern=$2 rc lines
	shift 2
	"$@" >"$XF_TMP/out" 2>"$XF_TMP/err"
	rc=$?
	lines=$(grep -c . "$XF_TMP/err")
	if [ $rc -ne 1 ]; then
		xf_fail "$name" "exit status $rc, not 1: $(head -n 2 "$XF_TMP/err" "$XF_TMP/out" | tr '\n' ' ')"
	elif [ "$lines" -ne 1 ]; then
		xf_fail "$name" "$lines lines on stderr, not one: $(tr '\n' '|' <"$XF_TMP/err")"
	elif ! grep -Eq -- "$pattern" "$XF_TMP/err"; then
		xf_fail "$name" "message does not match '$pattern': $(cat "$XF_TMP/err")"
	else
		xf_pass "$name"
	fi
}

# xf_expect_reader_error NAME STATUS PATTERN CMD...: CMD exits STATUS, prints nothing on stdout
# and one stderr line starting with "xdpflow-reader: " and matching PATTERN.
xf_expect_reader_error() {
	local name=$1 status=$2 pattern=$3 rc
	shift 3
	"$@" >"$XF_TMP/out" 2>"$XF_TMP/err"
	rc=$?
	if [ $rc -ne "$status" ]; then
		xf_fail "$name" "exit status $rc, expected $status: $(head -c 300 "$XF_TMP/err")"
	elif [ -s "$XF_TMP/out" ]; then
		xf_fail "$name" "wrote to stdout: $(head -c 200 "$XF_TMP/out")"
	elif [ "$(wc -l <"$XF_TMP/err")" -ne 1 ] || ! grep -q '^xdpflow-reader: ' "$XF_TMP/err"; then
		xf_fail "$name" "stderr is not one 'xdpflow-reader: ' line: $(tr '\n' '|' <"$XF_TMP/err")"
	elif ! grep -Eq -- "$pattern" "$XF_TMP/err"; then
		xf_fail "$name" "message does not match '$pattern': $(cat "$XF_TMP/err")"
	else
		xf_pass "$name"
	fi
}

# xf_corpus_pcaps ARRAY: set ARRAY to the corpus's .pcap files, sorted. A corpus that is
# missing or empty is a FAIL (it is part of the repository), and the status is 1.
xf_corpus_pcaps() {
	local -n _xf_list=$1
	_xf_list=()
	[ -d "$XF_CORPUS" ] && mapfile -t _xf_list < <(find "$XF_CORPUS" -maxdepth 1 -name '*.pcap' | LC_ALL=C sort)
	if ((${#_xf_list[@]} == 0)); then
		xf_fail corpus "no .pcap files in $XF_CORPUS (tests/corpus/tcpdump is part of the repository; XDPFLOW_CORPUS overrides)"
		return 1
	fi
}

# xf_pin_dir VAR NAME: set VAR to a pin folder of this test run, removed at exit.
# (It sets a variable rather than printing: a $(...) subshell would lose the cleanup.)
xf_pin_dir() {
	local _xf_dir=/sys/fs/bpf/xdpflow-test-$$-$2
	xf_on_exit "rm -rf '$_xf_dir'"
	printf -v "$1" '%s' "$_xf_dir"
}

# Run in a network namespace without changing the mount namespace: 'ip netns exec'
# remounts /sys and would hide the host's bpf filesystem (and so the pins).
xf_in() {
	local ns=$1
	shift
	nsenter --net="/run/netns/$ns" "$@"
}

xf_netns() {
	ip netns add "$1" || return 1
	xf_on_exit "ip netns del '$1'"
	# Interfaces with IPv6 send their own frames (DAD, MLD, RS) and spoil exact counts.
	ip netns exec "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1 || return 1
	ip -n "$1" link set lo up
}

# A veth pair A <-> B inside NS, IPv6 off on both before they come up.
xf_veth() {
	local ns=$1 a=$2 b=$3
	ip -n "$ns" link add "$a" type veth peer name "$b" || return 1
	ip netns exec "$ns" sysctl -qw "net.ipv6.conf.$a.disable_ipv6=1" \
		"net.ipv6.conf.$b.disable_ipv6=1" || return 1
	ip -n "$ns" link set "$a" up && ip -n "$ns" link set "$b" up
}

# ifindex of IFACE in NS (sysfs would answer for the host's namespace under xf_in).
xf_ifindex() { ip -n "$1" -o link show "$2" | cut -d: -f1; }

# xf_xdp_ids NS IFACE: ids of the XDP programs attached to IFACE, one a line (none: empty).
# xf_xdp_loader_status NS [IFACE]: xdp-loader status in NS. xdp-loader takes xdp-tools'
# program lock (a file it creates, then writes its PID into); another xdp-loader on the
# machine at the same moment makes it fail ("Unable to read PID from lockfile", "Already held
# by pid"): such a failure is retried, up to 20 times; any other is returned as it came.
xf_xdp_loader_status() {
	local try out rc
	for try in $(seq 20); do
		out=$(xf_in "$1" xdp-loader status ${2:+"$2"} 2>&1)
		rc=$?
		if ((rc == 0)) || ! grep -qE 'lockfile|program lock' <<<"$out"; then
			printf '%s\n' "$out"
			return $rc
		fi
		sleep "0.$((try < 9 ? try : 9))"
	done
	printf '%s\n' "$out"
	return $rc
}

xf_xdp_ids() {
	ip -n "$1" -j -d link show "$2" | python3 -c '
import json, sys
xdp = json.load(sys.stdin)[0].get("xdp", {})
ids = [a["prog"]["id"] for a in xdp.get("attached", [])] or ([xdp["prog"]["id"]] if "prog" in xdp else [])
print("\n".join(str(i) for i in ids))'
}

# xf_send NS IFACE SPEC: write the frames of SPEC into IFACE (they arrive on its peer).
xf_send() {
	local out
	out=$(xf_in "$1" "$XF_BUILD/tools/sendframes" "$2" "$3") || { echo "$out"; return 1; }
	echo "$out"
	# A frame the veth dropped never reached XDP: the ground truth would be wrong.
	case $out in *" 0 tx_dropped)"*) return 0 ;; *) return 1 ;; esac
}

# xf_gen_frames SEED SPEC EXPECT [SRC_OCTET]
# Writes a frame spec for sendframes and, independently of xdpflow, what it must count:
# {"non_ip": [pkts, bytes], "malformed": [...], "proto": {"4/17": [...], ...},
#  "total": [...], "flows": ["key", ...]}.  SRC_OCTET varies the source addresses so
# two sets can be told apart.
xf_gen_frames() {
	python3 - "$@" <<'PY'
import json, random, struct, sys

seed, spec_path, expect_path = int(sys.argv[1]), sys.argv[2], sys.argv[3]
octet = int(sys.argv[4]) if len(sys.argv) > 4 else 1
rnd = random.Random(seed)
DST_MAC, SRC_MAC = bytes.fromhex("020000000002"), bytes.fromhex("020000000001")
spec, expect = [], {"non_ip": [0, 0], "malformed": [0, 0], "proto": {}, "total": [0, 0]}
flows = set()

def eth(ethertype, payload, vlans=()):
    hdr = DST_MAC + SRC_MAC
    for tpid, vid in vlans:
        hdr += struct.pack("!HH", tpid, vid)
    return hdr + struct.pack("!H", ethertype) + payload

def add(counter, frame, count):
    counter[0] += count
    counter[1] += count * len(frame)
    expect["total"][0] += count
    expect["total"][1] += count * len(frame)
    spec.append("%d %s" % (count, frame.hex()))

def ipv4(proto, src, dst, l4, ihl=5):
    total = ihl * 4 + len(l4)
    hdr = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, total, 0, 0, 64, proto, 0, src, dst)
    return hdr + b"\0" * (ihl * 4 - 20) + l4

def ipv6(nh, src, dst, l4):
    return struct.pack("!IHBB16s16s", 6 << 28, len(l4), nh, 64, src, dst) + l4

def l4_for(proto, sport, dport, pad):
    if proto == 6:
        return struct.pack("!HHIIBBHHH", sport, dport, 1, 0, 0x50, 0x18, 512, 0, 0) + pad
    if proto == 17:
        return struct.pack("!HHHH", sport, dport, 8 + len(pad), 0) + pad
    return struct.pack("!BBH", sport, dport, 0) + pad  # ICMP: type, code

for i in range(rnd.randint(20, 40)):
    fam = rnd.choice((4, 6))
    proto = rnd.choice((6, 17, 1 if fam == 4 else 58))
    if fam == 4:
        src = bytes((10, octet, rnd.randint(0, 3), rnd.randint(1, 250)))
        dst = bytes((10, 200, 0, rnd.randint(1, 5)))
    else:
        src = bytes.fromhex("fd00%02x00" % octet) + bytes(10) + bytes((0, rnd.randint(1, 250)))
        dst = bytes.fromhex("fd00c800") + bytes(11) + bytes((rnd.randint(1, 5),))
    if proto in (1, 58):
        sport, dport = rnd.choice((8, 0, 128, 129)), 0
    else:
        sport, dport = rnd.randint(1024, 65535), rnd.choice((22, 53, 80, 443))
    l4 = l4_for(proto, sport, dport, bytes(rnd.randint(0, 300)))
    ip = ipv4(proto, src, dst, l4) if fam == 4 else ipv6(proto, src, dst, l4)
    vlans = rnd.choice(((), ((0x8100, 10),), ((0x88a8, 20), (0x8100, 30))))
    frame = eth(0x0800 if fam == 4 else 0x86DD, ip, vlans)
    key = "%d/%d" % (fam, proto)
    add(expect["proto"].setdefault(key, [0, 0]), frame, rnd.randint(1, 60))
    flows.add("%d %d %s %s %d %d" % (fam, proto, src.hex(), dst.hex(), sport, dport))

# Non-IP: ARP and a frame of an unknown ethertype; malformed IPv4 (IHL 3) and cut IPv6.
add(expect["non_ip"], eth(0x0806, bytes(28)), rnd.randint(1, 30))
add(expect["non_ip"], eth(0x88cc, bytes(rnd.randint(10, 80))), rnd.randint(1, 30))
add(expect["malformed"], eth(0x0800, bytes((0x43,)) + bytes(30)), rnd.randint(1, 30))
add(expect["malformed"], eth(0x86DD, bytes((0x60,)) + bytes(20)), rnd.randint(1, 30))
rnd.shuffle(spec)
expect["flows"] = sorted(flows)
open(spec_path, "w").write("\n".join(spec) + "\n")
json.dump(expect, open(expect_path, "w"))
PY
}

# xf_expect_sum A B > SUM: what two frame sets together must count.
xf_expect_sum() {
	python3 - "$@" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
add = lambda x, y: [x[0] + y[0], x[1] + y[1]]
out = {k: add(a[k], b[k]) for k in ("non_ip", "malformed", "total")}
out["proto"] = dict(a["proto"])
for k, v in b["proto"].items():
    out["proto"][k] = add(out["proto"].get(k, [0, 0]), v)
out["flows"] = sorted(set(a["flows"]) | set(b["flows"]))
print(json.dumps(out))
PY
}

# xf_map_counts PINDIR: what xdpflow-reader --format json reads in the pinned maps, as
# {"IFINDEX": {"non_ip", "malformed", "unrecorded", "proto", "total", "flows"}}
# ([packets, bytes] pairs; "proto" by "FAMILY/PROTO"; "flows" as sorted key strings).
xf_map_counts() {
	"${READER:-$XF_BUILD/xdpflow-reader}" -p "$1" --format json | python3 -c '
import ipaddress, json, sys
doc, res = json.load(sys.stdin), {}
def iface(ifindex):
    return res.setdefault(str(ifindex), {"non_ip": [0, 0], "malformed": [0, 0],
        "unrecorded": [0, 0], "proto": {}, "total": [0, 0], "flows": []})
for t in doc["totals"]["interfaces"]:
    r = iface(t["ifindex"])
    r["non_ip"] = [t["non_ip"], t["non_ip_bytes"]]
    r["malformed"] = [t["malformed"], t["malformed_bytes"]]
    r["unrecorded"] = [t["unrecorded_packets"], t["unrecorded_bytes"]]
    r["total"] = [t["packets"], t["bytes"]]
for p in doc["protocols"]:
    iface(p["ifindex"])["proto"]["%d/%d" % (p["family"], p["proto"])] = [p["packets"], p["bytes"]]
for f in doc["flows"]:
    ports = (f["icmp_type"], f["icmp_code"]) if "icmp_type" in f else (f["sport"], f["dport"])
    iface(f["ifindex"])["flows"].append("%d %d %s %s %d %d" % ((f["family"], f["proto"],
        ipaddress.ip_address(f["src"]).packed.hex(), ipaddress.ip_address(f["dst"]).packed.hex()) + ports))
for r in res.values():
    r["flows"] = sorted(set(r["flows"]))
print(json.dumps(res))'
}

# xf_map_counts_raw PINDIR: the same, plus "table_flows" (flow-table entries), decoded here
# from bpf(2)'s raw bytes with the layout pin/xdpflow_abi.h documents (version 3): protocol
# counts and totals derived from the flows (table and every CPU's cache entries) and the
# refused frames, as DESIGN.md says readers must (read when nothing is counting). Tests read
# the maps through the reader (xf_map_counts); this independent decoder is kept only where a test checks xdpflow's own
# reading of the maps against the maps: the flow-table fill status prints (test-loader's
# "status: flow table fill") and the reader's not-recorded counts (test-faults' "full").
xf_map_counts_raw() {
	python3 - "$1" <<'PY'
import ctypes, json, os, platform, struct, sys

# The maps are read with the bpf(2) syscall itself (BPF_OBJ_GET, BPF_MAP_GET_NEXT_KEY,
# BPF_MAP_LOOKUP_ELEM): independent of xdpflow's code, and much faster than parsing
# bpftool's JSON of the 8 KiB-per-CPU stats values (seconds per read under emulation).
d = sys.argv[1]
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
NR_BPF = {"x86_64": 321, "aarch64": 280}[platform.machine()]
def bpf(cmd, attr):
    r = libc.syscall(ctypes.c_long(NR_BPF), ctypes.c_long(cmd), attr, ctypes.c_long(len(attr)))
    if r < 0:
        e = ctypes.get_errno()
        raise OSError(e, "bpf(%d): %s" % (cmd, os.strerror(e)))
    return r
def addr(buf):
    return ctypes.addressof(buf)
def possible_cpus():
    n = 0
    for part in open("/sys/devices/system/cpu/possible").read().strip().split(","):
        lo, _, hi = part.partition("-")
        n = max(n, int(hi or lo) + 1)
    return n
NCPUS = possible_cpus()
def map_info(fd):
    info = ctypes.create_string_buffer(80)
    attr = ctypes.create_string_buffer(128)
    struct.pack_into("<IIQ", attr, 0, fd, len(info), addr(info))
    bpf(15, attr)  # BPF_OBJ_GET_INFO_BY_FD
    return struct.unpack_from("<IIIII", info, 0)  # type, id, key_size, value_size, max_entries
def lookup(fd, key, vsize):
    k = ctypes.create_string_buffer(key, len(key))
    v = ctypes.create_string_buffer(vsize)
    attr = ctypes.create_string_buffer(128)
    struct.pack_into("<IIQQQ", attr, 0, fd, 0, addr(k), addr(v), 0)
    try:
        bpf(1, attr)  # BPF_MAP_LOOKUP_ELEM
    except OSError as e:
        if e.errno == 2:
            return None
        raise
    return v.raw
def entries(fd):
    mtype, _, ksize, vsize, _ = map_info(fd)
    percpu = mtype in (5, 6, 10)  # PERCPU_HASH, PERCPU_ARRAY, LRU_PERCPU_HASH
    step = (vsize + 7) // 8 * 8
    size = step * NCPUS if percpu else vsize
    cur, out = None, []
    while True:
        nxt = ctypes.create_string_buffer(ksize)
        keybuf = ctypes.create_string_buffer(cur, ksize) if cur is not None else None
        attr = ctypes.create_string_buffer(128)
        struct.pack_into("<IIQQ", attr, 0, fd, 0, addr(keybuf) if keybuf is not None else 0, addr(nxt))
        try:
            bpf(4, attr)  # BPF_MAP_GET_NEXT_KEY
        except OSError as e:
            if e.errno == 2:
                return out
            raise
        cur = nxt.raw
        v = lookup(fd, cur, size)
        if v is None:
            continue
        out.append((cur, [v[i * step:i * step + vsize] for i in range(NCPUS)] if percpu else v))
def open_fd(path):
    p = ctypes.create_string_buffer(path.encode())
    attr = ctypes.create_string_buffer(128)
    struct.pack_into("<QII", attr, 0, addr(p), 0, 1 << 3)  # BPF_F_RDONLY
    return bpf(7, attr)  # BPF_OBJ_GET
def inner_fd(name):
    outer = open_fd("%s/%s" % (d, name))
    inner_id = struct.unpack("<I", lookup(outer, struct.pack("<I", 0), 4))[0]
    os.close(outer)
    attr = ctypes.create_string_buffer(128)
    struct.pack_into("<III", attr, 0, inner_id, 0, 1 << 3)
    return bpf(14, attr)  # BPF_MAP_GET_FD_BY_ID, read-only
def dump(name):
    fd = inner_fd(name)
    try:
        return entries(fd)
    finally:
        os.close(fd)

res = {}
def iface(ifindex):
    return res.setdefault(str(ifindex), {"non_ip": [0, 0], "malformed": [0, 0],
        "unrecorded": [0, 0], "proto": {}, "total": [0, 0], "flows": set(), "table_flows": 0})
def bump(c, p, b):
    c[0] += p
    c[1] += b

for _, values in dump("xdpflow_stats"):
    for v in values:
        ifindex = struct.unpack_from("<I", v, 0)[0]
        if not ifindex:
            continue
        r = iface(ifindex)
        for i, name in enumerate(("non_ip", "malformed", "unrecorded")):
            p, b = struct.unpack_from("<QQ", v, 8 + 16 * i)
            bump(r[name], p, b)
            if name != "unrecorded":
                bump(r["total"], p, b)

def count_ip(r, family, proto, p, b):
    bump(r["proto"].setdefault("%d/%d" % (family, proto), [0, 0]), p, b)
    bump(r["total"], p, b)

for k, v in dump("xdpflow_refused"):
    ifindex, family, proto = struct.unpack_from("<IBB", k, 0)
    p, b = struct.unpack_from("<QQ", v, 0)
    count_ip(iface(ifindex), family, proto, p, b)

def flow_key(k):
    src, dst, ifindex, sport, dport, family, proto = struct.unpack_from("<16s16sIHHBB", k, 0)
    n = 4 if family == 4 else 16
    sport, dport = struct.unpack("!HH", struct.pack("<HH", sport, dport))
    if proto in (1, 58):
        sport, dport = dport >> 8, dport & 0xff
    return ifindex, family, proto, "%d %d %s %s %d %d" % (family, proto, src[:n].hex(), dst[:n].hex(), sport, dport)

def count_flow(k, p, b):
    ifindex, family, proto, key = flow_key(k)
    r = iface(ifindex)
    r["flows"].add(key)
    count_ip(r, family, proto, p, b)
    return r

KEY = 48  # struct xdpflow_flow_key
for k, v in dump("xdpflow_flows"):
    p, b = struct.unpack_from("<QQ", v, 0)
    count_flow(k, p, b)["table_flows"] += 1
# A cache set: a 24-byte header, then 4 entries of key + counters (96 bytes).
for _, values in dump("xdpflow_fcache"):
    for v in values:
        for w in range(4):
            e = v[24 + 96 * w:24 + 96 * (w + 1)]
            packets, nbytes = struct.unpack_from("<QQ", e, KEY)
            if packets:
                count_flow(e[:KEY], packets, nbytes)
for r in res.values():
    r["flows"] = sorted(r["flows"])
print(json.dumps(res))
PY
}

# xf_compare EXPECT ACTUAL IFINDEX: exit 0 if the interface counted exactly what was sent.
xf_compare() {
	python3 - "$@" <<'PY'
import json, sys
exp = json.load(open(sys.argv[1]))
act = json.load(open(sys.argv[2])).get(sys.argv[3])
if act is None:
    sys.exit("ifindex %s counted nothing" % sys.argv[3])
bad = []
for k in ("non_ip", "malformed", "total"):
    if exp[k] != act[k]:
        bad.append("%s %s != sent %s" % (k, act[k], exp[k]))
if exp["proto"] != act["proto"]:
    bad.append("protocols %s != sent %s" % (act["proto"], exp["proto"]))
if exp["flows"] != act["flows"]:
    bad.append("%d flows != sent %d" % (len(act["flows"]), len(exp["flows"])))
if bad:
    sys.exit("; ".join(bad))
PY
}
