#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Fault tests of xdpflow's tools: no bpffs, broken pins, a deleted interface, killed and racing loaders, a full flow table, readers during changes.
#
# Runs as root over veth pairs in a network namespace of its own (the bpf filesystem stays
# the host's, pins in folders of this run). The kernel's own view is the ground truth for
# what is attached (xdp-loader status, bpftool net/prog), frames this script builds are the
# ground truth for counts; the maps are read through the reader (tests/lib.sh's
# xf_map_counts), and once decoded independently for a second opinion (xf_map_counts_raw,
# the "full" check). PASS lines with a figure end in "(figure: ...)" (docs/RELIABILITY.md collects
# them). Everything created is removed on exit, also after a failure.
# LOADER=... READER=... test other builds (e.g. the ASan ones); KILLS=N ROUNDS=N resize.
set -u
. "$(dirname "$0")/lib.sh"

xf_require_root test-faults
xf_require_cmds bpftool xdp-loader nsenter python3 unshare clang
LOADER=${LOADER:-$XF_BUILD/xdpflow-loader}
READER=${READER:-$XF_BUILD/xdpflow-reader}
KILLS=${KILLS:-50}
ROUNDS=${ROUNDS:-100}
xf_require_built "$LOADER" "$READER" "$XF_BUILD/xdpflow.bpf.o" "$XF_BUILD/tools/sendframes"

NS=xdpflow-faults-$$
T=$XF_TMP
xf_netns "$NS" || { xf_fail setup "cannot create network namespace $NS"; exit 1; }
for i in 0 1 2 3 4; do
	xf_veth "$NS" "fa$i" "fb$i" || { xf_fail setup "cannot create veth fa$i/fb$i"; exit 1; }
done

L() { xf_in "$NS" "$LOADER" "$@"; }
R() { xf_in "$NS" "$READER" "$@"; }
ms() { echo $(($(date +%s%N) / 1000000)); }

cat >"$T/faults.py" <<'PY'
"""Ground truth for test-faults.sh: the kernel's view of XDP, frames, and checks of tool output."""
import glob, json, os, re, struct, subprocess, sys, time

def run(*args, tries=1):
    for attempt in range(tries):
        p = subprocess.run(args, capture_output=True, text=True)
        if p.returncode == 0:
            return p.stdout
        time.sleep(0.05 * (attempt + 1))
    raise subprocess.CalledProcessError(p.returncode, args, p.stdout, p.stderr)

def pinned_ids(pindir):
    ids = set()
    for path in glob.glob(pindir + "/xdpflow_*"):
        try:
            ids.add(json.loads(run("bpftool", "-j", "map", "show", "pinned", path))["id"])
        except (subprocess.CalledProcessError, ValueError, KeyError):
            pass
    return ids

def prog_maps(prog_id):
    try:
        return set(json.loads(run("bpftool", "-j", "prog", "show", "id", str(prog_id))).get("map_ids", []))
    except subprocess.CalledProcessError:
        return set()  # freed meanwhile

def kernel_xdpflow(ns):
    """{iface: xdpflow program id} as xdp-loader status lists them (alone or in a dispatcher),
    checked against bpftool net (the kernel's attachment list)."""
    try:
        # It reads each program by id: one freed meanwhile fails it, so ask again. It also
        # takes xdp-tools' program lock, and another xdp-loader on the machine creating that
        # lock file at the same moment fails it ("Unable to read PID from lockfile").
        out = run("nsenter", "--net=/run/netns/" + ns, "xdp-loader", "status", tries=20)
    except subprocess.CalledProcessError as e:
        sys.exit("xdp-loader status failed: %s" % (e.stderr or e.stdout).strip().replace("\n", " | "))
    found, iface = {}, None
    for line in out.splitlines():
        f = line.split()
        if not f or line.startswith(("CURRENT", "Interface", "---")):
            continue
        if f[0] == "=>":
            if len(f) > 3 and f[2] == "xdpflow":
                found[iface] = int(f[3])
            continue
        iface = f[0]
        if len(f) > 3 and f[1] == "xdpflow":
            found[iface] = int(f[3])
    net = json.loads(run("nsenter", "--net=/run/netns/" + ns, "bpftool", "-j", "net", "show"))
    attached = {x["devname"]: x["id"] for n in net for x in n.get("xdp", [])}
    for iface, pid in found.items():
        if iface not in attached:
            sys.exit("xdp-loader lists xdpflow on %s, bpftool net lists nothing there" % iface)
    return found

def status_attached(path):
    """(iface, program id) of every line of 'status' naming an attachment with these pins."""
    res = set()
    for line in open(path):
        m = re.match(r"^(?:attached to:)?\s+(\S+) \(ifindex \d+\): program id (\d+),", line)
        if m:
            res.add((m.group(1), int(m.group(2))))
    return res

def cmd_truth(ns, pindir, status_file, *expect):
    """status names exactly the interfaces where the kernel runs xdpflow with these pins; no
    loaded xdpflow program using them is left unattached (orphaned); EXPECT: IFACE=on|off,
    or 'orphans-said': a program using them attached nowhere here is fine if status says so."""
    orphans_said = "orphans-said" in expect
    expect = [e for e in expect if e != "orphans-said"]
    mine = pinned_ids(pindir)
    also = {int(m) for m in re.findall(r"^also used by: +XDP program id (\d+)", open(status_file).read(), re.M)}
    for attempt in range(40):
        kern = kernel_xdpflow(ns)
        ours = {(i, p) for i, p in kern.items() if mine and prog_maps(p) & mine}
        attached_ids = set(kern.values())
        progs = json.loads(run("bpftool", "-j", "prog", "show"))
        orphans = [p["id"] for p in progs if p.get("name") == "xdpflow" and p["id"] not in attached_ids
                   and mine & set(p.get("map_ids", []))]
        # A program detached (or whose loader died) a moment ago is freed after an RCU grace period.
        if not orphans or (orphans_said and set(orphans) <= also):
            break
        time.sleep(0.05)
    said = status_attached(status_file)
    errors = []
    if said != ours:
        errors.append("status says %s, the kernel runs %s" % (sorted(said), sorted(ours)))
    if orphans and not orphans_said:
        errors.append("programs %s use the pins but are attached nowhere" % orphans)
    if orphans_said and orphans and not also & set(orphans):
        errors.append("programs %s use the pins, attached nowhere here, and status does not say so" % orphans)
    for e in expect:
        iface, state = e.split("=")
        if (state == "on") != any(i == iface for i, _ in ours):
            errors.append("%s should be %s" % (iface, state))
    if errors:
        sys.exit("; ".join(errors))

def cmd_ids(pindir):
    print(" ".join(str(i) for i in sorted(pinned_ids(pindir))))

def eth_ipv4(proto, src, dst, l4):
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), 0, 0, 64, proto, 0, src, dst)
    return bytes.fromhex("020000000002020000000001") + b"\x08\x00" + ip + l4

def eth_ipv6(nh, src, dst, l4):
    ip = struct.pack("!IHBB16s16s", 6 << 28, len(l4), nh, 64, src, dst)
    return bytes.fromhex("020000000002020000000001") + b"\x86\xdd" + ip + l4

def flow_frame(i, octet):
    """Flow i: its own addresses and ports, and a length of its own (so bytes = packets x len)."""
    fam, proto = [(4, 17), (4, 6), (6, 17), (6, 6), (4, 1)][i % 5]
    pad = bytes((i * 7) % 200)
    if proto == 17:
        l4 = struct.pack("!HHHH", 1024 + i, 53, 8 + len(pad), 0) + pad
    elif proto == 6:
        l4 = struct.pack("!HHIIBBHHH", 1024 + i, 80, 1, 0, 0x50, 0x18, 512, 0, 0) + pad
    else:
        l4 = struct.pack("!BBH", 8, 0, 0) + pad
    if fam == 4:
        return fam, proto, eth_ipv4(proto, bytes((10, octet, i >> 8, i & 255)), bytes((10, 200, 0, 1)), l4)
    src = bytes.fromhex("fd00%02x00" % octet) + bytes(10) + struct.pack("!H", i)
    return fam, proto, eth_ipv6(proto, src, bytes.fromhex("fd00c800") + bytes(11) + b"\x01", l4)

def cmd_gen_flows(n, copies, octet, spec_path, expect_path):
    """N distinct flows of every protocol, COPIES frames each; what they must count."""
    n, copies, octet = int(n), int(copies), int(octet)
    spec, proto, lens = [], {}, {}
    total = [0, 0]
    for i in range(n):
        fam, p, frame = flow_frame(i, octet)
        spec.append("%d %s" % (copies, frame.hex()))
        c = proto.setdefault("%d/%d" % (fam, p), [0, 0])
        c[0] += copies
        c[1] += copies * len(frame)
        total[0] += copies
        total[1] += copies * len(frame)
        lens[i] = len(frame)
    open(spec_path, "w").write("\n".join(spec) + "\n")
    json.dump({"flows": n, "proto": proto, "total": total, "lens": lens, "octet": octet},
              open(expect_path, "w"))

def flow_index(rec, octet):
    """Which generated flow a reader record is (None: not one of ours)."""
    if rec["family"] == 4:
        a = [int(x) for x in rec["src"].split(".")]
        if a[:2] != [10, octet]:
            return None
        return a[2] << 8 | a[3]
    parts = rec["src"].split(":")
    if not rec["src"].startswith("fd00:%x00:" % octet):
        return None
    return int(parts[-1] or "0", 16)

def cmd_check_full(reader_json, expect_path, status_file, table_file, capacity):
    """A full flow table: totals and protocols exact, flows + not recorded = IP traffic."""
    exp = json.load(open(expect_path))
    doc = json.load(open(reader_json))
    t = doc["totals"]
    errors = []
    if [t["packets"], t["bytes"]] != exp["total"] or [t["ip"], t["ip_frame_bytes"]] != exp["total"]:
        errors.append("totals %s/%s, sent %s" % (t["packets"], t["bytes"], exp["total"]))
    got = {}
    for p in doc["protocols"]:
        c = got.setdefault("%d/%d" % (p["family"], p["proto"]), [0, 0])
        c[0] += p["packets"]
        c[1] += p["bytes"]
    if got != exp["proto"]:
        errors.append("protocols %s, sent %s" % (got, exp["proto"]))
    recorded = [sum(f["packets"] for f in doc["flows"]), sum(f["bytes"] for f in doc["flows"])]
    unrec = [t["unrecorded_packets"], t["unrecorded_bytes"]]
    if unrec[0] <= 0:
        errors.append("no packets reported as not recorded")
    if [recorded[0] + unrec[0], recorded[1] + unrec[1]] != exp["total"]:
        errors.append("flows %s + not recorded %s != sent %s" % (recorded, unrec, exp["total"]))
    # The fill counts the flows still only in the caches too: the full table and more.
    if t["flow_table_capacity"] != int(capacity) or t["flow_table_fill"] < int(capacity):
        errors.append("table %s of %s needed, expected more than full at %s" % (t["flow_table_fill"], t["flow_table_capacity"], capacity))
    if t["flows_read"] != len(doc["flows"]) or t["flow_table_fill"] != len(doc["flows"]):
        errors.append("%s flows read, %s needed, %d listed" % (t["flows_read"], t["flow_table_fill"], len(doc["flows"])))
    for f in doc["flows"]:
        i = flow_index(f, exp["octet"])
        if i is None or f["bytes"] != f["packets"] * exp["lens"][str(i)]:
            errors.append("flow record %s is not one sent, or its bytes are off" % f)
            break
    status = open(status_file).read()
    m = re.search(r"^not recorded: +(\d+) packets, (\d+) bytes", status, re.M)
    if not m or [int(m.group(1)), int(m.group(2))] != unrec:
        errors.append("status 'not recorded' line %s != reader's %s" % (m and m.group(0), unrec))
    table = open(table_file).read()
    m = re.search(r"^flow table full: (\d+) packets .* not recorded per flow", table, re.M)
    if not m or int(m.group(1)) != unrec[0]:
        errors.append("table completeness line %s != %d packets" % (m and m.group(0), unrec[0]))
    if errors:
        sys.exit("; ".join(errors))
    print("%d flows into a table of %s: %d packets, %d bytes not recorded" % (exp["flows"], capacity, unrec[0], unrec[1]))

def check_output(path, exp, drained):
    """One JSON output of the reader: parses, every record whole and consistent."""
    doc = json.load(open(path))
    if drained != bool(doc.get("drained")):
        raise ValueError("'drained' is %s" % doc.get("drained"))
    t = doc["totals"]
    n = 0
    for rec in [t] + t["interfaces"]:
        if rec["packets"] != rec["ip"] + rec["non_ip"] + rec["malformed"] or \
           rec["bytes"] != rec["ip_frame_bytes"] + rec["non_ip_bytes"] + rec["malformed_bytes"]:
            raise ValueError("totals record does not add up: %s" % rec)
        if rec["unrecorded_packets"] > rec["ip"]:
            raise ValueError("more not recorded than IP: %s" % rec)
        n += 1
    if sum(i["packets"] for i in t["interfaces"]) != t["packets"]:
        raise ValueError("interfaces do not add up to the totals")
    lmin, lmax = min(exp["lens"].values()), max(exp["lens"].values())
    for p in doc["protocols"]:
        if "%d/%d" % (p["family"], p["proto"]) not in exp["proto"] or \
           not (lmin * p["packets"] <= p["bytes"] <= lmax * p["packets"]):
            raise ValueError("protocol record not sent or torn: %s" % p)
        n += 1
    for f in doc["flows"]:
        i = flow_index(f, exp["octet"])
        if i is None or str(i) not in exp["lens"] or f["packets"] < 1:
            raise ValueError("flow record not one sent: %s" % f)
        fam, proto, frame = flow_frame(i, exp["octet"])
        if (f["family"], f["proto"]) != (fam, proto) or f["bytes"] != f["packets"] * len(frame):
            raise ValueError("torn flow record (key or counters of another flow, or "
                             "bytes != packets x %d): %s" % (len(frame), f))
        if f["first_seen"] > f["last_seen"]:
            raise ValueError("first_seen after last_seen: %s" % f)
        n += 1
    for s in doc["sources"]:
        if s["flows"] < 1 or s["packets"] < s["flows"] or not (lmin * s["packets"] <= s["bytes"] <= lmax * s["packets"]):
            raise ValueError("torn source record: %s" % s)
        n += 1
    return n, t["packets"]

def cmd_check_outputs(expect_path, *paths):
    """Every output of the concurrent readers (NAME.drain.json for drains)."""
    exp = json.load(open(expect_path))
    records = drained = 0
    for path in paths:
        try:
            n, packets = check_output(path, exp, path.endswith(".drain.json"))
        except (ValueError, KeyError, TypeError) as e:
            sys.exit("%s: %s" % (os.path.basename(path), e))
        records += n
        if path.endswith(".drain.json"):
            drained += packets
    print("%d outputs, %d records checked, %d packets drained" % (len(paths), records, drained))

def cmd_count(reader_json):
    t = json.load(open(reader_json))["totals"]
    print(t["packets"], t["bytes"])

if __name__ == "__main__":
    globals()["cmd_" + sys.argv[1].replace("-", "_")](*sys.argv[2:])
PY
F() { python3 "$T/faults.py" "$@"; }

# truth NAME PINDIR [IFACE=on|off...]: 'status' tells what the kernel runs, nothing orphaned.
truth() {
	local name=$1 dir=$2 why
	shift 2
	L status -p "$dir" >"$T/status" 2>"$T/status.err"
	if why=$(F truth "$NS" "$dir" "$T/status" "$@" 2>&1); then
		[ -n "$name" ] && xf_pass "$name"
		return 0
	fi
	[ -n "$name" ] && xf_fail "$name" "$why"
	echo "$why" >"$T/truth.why"
	return 1
}

# pin_snapshot DIR: every entry (name, inode, type, mode, group) and the XDP programs: what a
# refused command must leave exactly as it was.
pin_snapshot() {
	stat -c '%n %i %F %a %G' "$1" "$1"/* 2>&1
	xf_in "$NS" bpftool -j net show
}

# ---- bpffs not mounted ----
test_no_bpffs() {
	local host_before host_after dir=/sys/fs/bpf/xdpflow-test-$$-nobpffs
	host_before=$(grep -c ' /sys/fs/bpf ' /proc/self/mountinfo)
	# A private mount namespace: unmounting there leaves the host's bpffs (and pins) alone.
	# With a PID namespace its PID 1 shares it, as on a machine booted without bpffs (the
	# loader refuses to mount one in a mount namespace that is not PID 1's: ip netns exec).
	unshare -m -p -f --mount-proc --propagation private bash -c '
		while mountpoint -q /sys/fs/bpf; do umount /sys/fs/bpf || exit 3; done
		L() { nsenter --net=/run/netns/'"$NS"' "$@"; }
		L '"$READER"' -p '"$dir"' >'"$T"'/nb.reader.out 2>'"$T"'/nb.reader.err; echo $? >'"$T"'/nb.reader.rc
		L '"$LOADER"' attach -p '"$dir"' fb4 >'"$T"'/nb.attach.out 2>'"$T"'/nb.attach.err; echo $? >'"$T"'/nb.attach.rc
		mountpoint -q /sys/fs/bpf && echo mounted >'"$T"'/nb.mounted
		L '"$XF_BUILD"'/tools/sendframes fa4 '"$T"'/nb.spec >/dev/null
		L '"$READER"' -p '"$dir"' --format json totals >'"$T"'/nb.json 2>&1
		L '"$LOADER"' detach --purge -p '"$dir"' >/dev/null 2>&1; echo $? >'"$T"'/nb.detach.rc' \
		>"$T/nb.log" 2>&1
	if [ "$(cat "$T/nb.reader.rc" 2>/dev/null)" = 1 ] && [ "$(grep -c . "$T/nb.reader.err")" = 1 ] &&
		grep -q "no bpf filesystem at /sys/fs/bpf.*mount -t bpf bpf /sys/fs/bpf" "$T/nb.reader.err"; then
		xf_pass "bpffs missing: the reader explains in one line, exit 1"
	else
		xf_fail "bpffs missing: the reader explains in one line, exit 1" \
			"rc $(cat "$T/nb.reader.rc" 2>/dev/null): $(tr '\n' '|' <"$T/nb.reader.err"; cat "$T/nb.log")"
	fi
	if [ "$(cat "$T/nb.attach.rc" 2>/dev/null)" = 0 ] && [ -e "$T/nb.mounted" ] &&
		[ "$(grep -c 'mounted the bpf filesystem at /sys/fs/bpf' "$T/nb.attach.err")" = 1 ] &&
		[ "$(grep -v 'warning: this kernel cannot run' "$T/nb.attach.err" | grep -c .)" = 1 ]; then
		xf_pass "bpffs missing: the loader mounts it and says so in one line"
	else
		xf_fail "bpffs missing: the loader mounts it and says so in one line" \
			"rc $(cat "$T/nb.attach.rc" 2>/dev/null): $(tr '\n' '|' <"$T/nb.attach.err")"
	fi
	python3 -c '
import json, sys
t = json.load(open(sys.argv[1]))["totals"]
exp = json.load(open(sys.argv[2]))["total"]
sys.exit([t["packets"], t["bytes"]] != exp)' "$T/nb.json" "$T/nb.expect" 2>/dev/null &&
		xf_pass "bpffs missing: attach works there (counts read back exact)" ||
		xf_fail "bpffs missing: attach works there (counts read back exact)" "$(head -c 300 "$T/nb.json")"
	host_after=$(grep -c ' /sys/fs/bpf ' /proc/self/mountinfo)
	[ "$host_before" = "$host_after" ] && mountpoint -q /sys/fs/bpf && [ ! -e "$dir" ] &&
		[ "$(cat "$T/nb.detach.rc" 2>/dev/null)" = 0 ] && [ -z "$(xf_xdp_ids "$NS" fb4)" ] &&
		xf_pass "bpffs missing: nothing leaks to the host (its bpffs and pins as before, nothing attached)" ||
		xf_fail "bpffs missing: nothing leaks to the host (its bpffs and pins as before, nothing attached)" \
			"bpffs mounts $host_before -> $host_after, $(ls -d "$dir" 2>&1), xdp on fb4: $(xf_xdp_ids "$NS" fb4)"
}

# ---- broken pins: each fault, then every tool refuses and nothing changes ----
# fault NAME PATTERN PIN SETUP: move PIN aside, run SETUP (in $P), check, restore PIN.
fault() {
	local name=$1 pattern=$2 pin=$3 setup=$4 before after
	# Renamed within the bpf filesystem: the map stays pinned, its counts with it.
	mv "$P/$pin" "$P/stash-$pin" || { xf_fail "pins: $name: setup" "cannot move $pin aside"; return; }
	FAULTS=$((FAULTS + 1))
	if ! (cd "$P" && eval "$setup") >"$T/setup.out" 2>&1; then
		xf_fail "pins: $name: setup" "$(cat "$T/setup.out")"
		rm -rf "${P:?}/$pin"
		mv "$P/stash-$pin" "$P/$pin"
		return
	fi
	before=$(pin_snapshot "$P")
	xf_expect_fail "pins: $name: attach refuses" "$pattern" L attach -p "$P" fb4
	xf_expect_fail "pins: $name: attach where already attached refuses" "$pattern" L attach -p "$P" fb3
	xf_expect_fail "pins: $name: status explains" "$pattern" L status -p "$P"
	grep -q "^attached to: *fb3 (ifindex [0-9]*): program id $FAULT_PROG," "$T/out" &&
		xf_pass "pins: $name: status still shows where xdpflow runs" ||
		xf_fail "pins: $name: status still shows where xdpflow runs" "$(tr '\n' '|' <"$T/out")"
	xf_expect_fail "pins: $name: reader refuses" "$pattern" R -p "$P"
	L detach -p "$P" fb4 >"$T/out" 2>&1
	[ $? = 0 ] && grep -q "not attached to fb4: nothing to detach" "$T/out" &&
		xf_pass "pins: $name: detach of an interface without xdpflow does nothing" ||
		xf_fail "pins: $name: detach of an interface without xdpflow does nothing" "$(cat "$T/out")"
	L clean -p "$P" fb4 >"$T/out" 2>&1
	[ $? = 0 ] && grep -Eq "kept|hold counts" "$T/out" &&
		xf_pass "pins: $name: clean keeps them" || xf_fail "pins: $name: clean keeps them" "$(cat "$T/out")"
	after=$(pin_snapshot "$P")
	[ "$before" = "$after" ] && [ "$(xf_xdp_ids "$NS" fb3)" = "$FAULT_PROG" ] &&
		xf_pass "pins: $name: nothing changed (pins, modes, attachments)" ||
		xf_fail "pins: $name: nothing changed (pins, modes, attachments)" \
			"$(diff <(echo "$before") <(echo "$after") | tr '\n' '|')"
	# Frames keep being counted meanwhile, into the maps the program holds.
	xf_send "$NS" fa3 "$T/f.spec" >/dev/null || xf_fail "pins: $name: send" "frames dropped"
	FAULT_SENT=$((FAULT_SENT + 1))
	rm -rf "${P:?}/$pin"
	mv "$P/stash-$pin" "$P/$pin"
}

test_pin_faults() {
	local missing=/sys/fs/bpf/xdpflow-test-$$-missing ids_before why
	xf_pin_dir P faults
	FAULTS=0

	# The folder itself missing: every tool says so; nothing creates it but attach.
	xf_expect_fail "pins: folder missing: reader says to attach first" "no xdpflow maps at $missing .*attach first" \
		R -p "$missing"
	L status -p "$missing" >"$T/out" 2>&1
	[ $? = 1 ] && grep -q "no xdpflow pins (attach with" "$T/out" &&
		xf_pass "pins: folder missing: status says there are none, exit 1" ||
		xf_fail "pins: folder missing: status says there are none, exit 1" "$(cat "$T/out")"
	L detach -p "$missing" fb4 >/dev/null 2>&1 && L detach --purge -p "$missing" >/dev/null 2>&1 &&
		L clean -p "$missing" fb4 >/dev/null 2>&1 && [ ! -e "$missing" ] &&
		xf_pass "pins: folder missing: detach, detach --purge and clean change nothing" ||
		xf_fail "pins: folder missing: detach, detach --purge and clean change nothing" "$(ls -d "$missing" 2>&1)"
	xf_expect_fail "pins: folder's parent missing: attach names it" "cannot use pin folder $missing/sub: $missing" \
		L attach -p "$missing/sub" fb4
	[ ! -e "$missing" ] && [ -z "$(xf_xdp_ids "$NS" fb4)" ] &&
		xf_pass "pins: folder's parent missing: nothing created or attached" ||
		xf_fail "pins: folder's parent missing: nothing created or attached"

	# A set of pins in use on fb3 with known counts; then each fault in turn.
	L attach -p "$P" fb3 >/dev/null 2>&1 || { xf_fail "pins: attach fb3" "$(L attach -p "$P" fb3 2>&1)"; return; }
	FAULT_PROG=$(xf_xdp_ids "$NS" fb3)
	xf_gen_frames 7 "$T/f.spec" "$T/f.expect" 7
	xf_send "$NS" fa3 "$T/f.spec" >/dev/null || xf_fail "pins: send" "frames dropped"
	FAULT_SENT=1
	ids_before=$(F ids "$P")
	clang -O2 -target bpf -I"/usr/include/$(gcc -dumpmachine)" -c -o "$T/other.bpf.o" -x c - <<-'EOF'
		#include <linux/bpf.h>
		__attribute__((section("xdp"), used)) int other_pass(struct xdp_md *ctx) { return XDP_PASS; }
		char _license[] __attribute__((section("license"), used)) = "GPL";
	EOF
	fault "a pinned program at a map's name" "xdpflow_stats is a pinned BPF program or link, not an xdpflow map" \
		xdpflow_stats "bpftool prog load '$T/other.bpf.o' xdpflow_stats"
	fault "a directory at a map's name" "xdpflow_flows is a directory, not an xdpflow map" \
		xdpflow_flows "mkdir xdpflow_flows"
	fault "a dangling symlink at a map's name" "xdpflow_fcache is a symbolic link.*not an xdpflow map" \
		xdpflow_fcache "ln -s /nonexistent xdpflow_fcache"
	fault "one pin missing (counts in the rest)" "(xdpflow_clock is missing|holds only 6 of the 7 xdpflow pins, in use or holding counts).*detach --purge" \
		xdpflow_clock "true"
	fault "a map of the wrong type" "xdpflow_stats is not the map xdpflow layout version 3 expects \\(type 1, key 4, value 4" \
		xdpflow_stats "bpftool map create xdpflow_stats type hash key 4 value 4 entries 1 name xdpflow_stats"
	fault "a map of the wrong value size" "xdpflow_clock is not the map xdpflow layout version 3 expects \\(type 6, key 4, value 16" \
		xdpflow_clock "bpftool map create xdpflow_clock type percpu_array key 4 value 16 entries 1 name xdpflow_clock"
	fault "an outer map with an empty slot" "xdpflow_flows holds no table" \
		xdpflow_flows "bpftool map create /sys/fs/bpf/xdpflow-test-$$-inner type hash key 4 value 4 entries 8 name inner &&
			bpftool map create xdpflow_flows type array_of_maps key 4 value 4 entries 1 name xdpflow_flows \
				inner_map pinned /sys/fs/bpf/xdpflow-test-$$-inner && rm /sys/fs/bpf/xdpflow-test-$$-inner"
	fault "an outer map holding a table of the wrong shape" "xdpflow_flows is not the map xdpflow layout version 3 expects \\(type 1, key 4, value 4" \
		xdpflow_flows "bpftool map create /sys/fs/bpf/xdpflow-test-$$-inner type hash key 4 value 4 entries 8 name inner &&
			bpftool map create xdpflow_flows type array_of_maps key 4 value 4 entries 1 name xdpflow_flows \
				inner_map pinned /sys/fs/bpf/xdpflow-test-$$-inner &&
			bpftool map update pinned xdpflow_flows key 0 0 0 0 value pinned /sys/fs/bpf/xdpflow-test-$$-inner &&
			rm /sys/fs/bpf/xdpflow-test-$$-inner"
	fault "another layout version" "xdpflow_layout has map layout version 1, this xdpflow uses version 3: run 'xdpflow-loader detach --purge" \
		xdpflow_layout "bpftool map create xdpflow_layout type array key 4 value 4 entries 1 name xdpflow_layout"
	fault "a program at the layout's name" "xdpflow_layout is a pinned BPF program or link, not an xdpflow map" \
		xdpflow_layout "bpftool prog load '$T/other.bpf.o' xdpflow_layout"
	rm -f /sys/fs/bpf/xdpflow-test-$$-inner

	# Restored: every frame sent before and during the faults is counted, nothing reset.
	python3 - "$T/f.expect" "$FAULT_SENT" >"$T/fn.expect" <<-'PY'
		import json, sys
		e, n = json.load(open(sys.argv[1])), int(sys.argv[2])
		m = lambda c: [c[0] * n, c[1] * n]
		print(json.dumps({"non_ip": m(e["non_ip"]), "malformed": m(e["malformed"]), "total": m(e["total"]),
		                  "proto": {k: m(v) for k, v in e["proto"].items()}, "flows": e["flows"]}))
	PY
	xf_map_counts "$P" >"$T/fn.actual"
	why=$(xf_compare "$T/fn.expect" "$T/fn.actual" "$(xf_ifindex "$NS" fb3)" 2>&1) && [ "$(F ids "$P")" = "$ids_before" ] &&
		xf_pass "pins: after every fault, the same maps hold every frame sent ($FAULT_SENT sends) (figure: $FAULTS faults refused, no count lost)" ||
		xf_fail "pins: after every fault, the same maps hold every frame sent ($FAULT_SENT sends)" "$why; ids $ids_before -> $(F ids "$P")"
	if R -p "$P" --format json totals >/dev/null 2>"$T/err" && L attach -p "$P" fb4 >/dev/null 2>>"$T/err"; then
		truth "pins: restored pins work again (reader reads, attach attaches)" "$P" fb3=on fb4=on
	else
		xf_fail "pins: restored pins work again (reader reads, attach attaches)" "$(cat "$T/err")"
	fi
	L detach -p "$P" >/dev/null 2>&1

	# The way out of another layout version (and of a half set): detach --purge.
	mv "$P/xdpflow_layout" "$P/stash-layout"
	bpftool map create "$P/xdpflow_layout" type array key 4 value 4 entries 1 name xdpflow_layout
	L detach --purge -p "$P" >"$T/out" 2>&1 && [ ! -e "$P/xdpflow_stats" ] && [ -e "$P/stash-layout" ] &&
		xf_pass "pins: detach --purge removes pins of another layout, nothing else" ||
		xf_fail "pins: detach --purge removes pins of another layout, nothing else" "$(cat "$T/out"; ls "$P")"
	rm -f "$P/stash-layout"
	L attach -p "$P" fb4 >"$T/out" 2>&1 && L detach -p "$P" fb4 >>"$T/out" 2>&1 || cat "$T/out"
	bpftool prog load "$T/other.bpf.o" "$P/xdpflow_clock_new" && rm "$P/xdpflow_clock" && mv "$P/xdpflow_clock_new" "$P/xdpflow_clock"
	L detach --purge -p "$P" >"$T/out" 2>&1
	[ -e "$P/xdpflow_clock" ] && [ ! -e "$P/xdpflow_stats" ] && grep -q "not a map, not ours" "$T/out" &&
		xf_pass "pins: detach --purge keeps a program pinned at one of the names, and says so" ||
		xf_fail "pins: detach --purge keeps a program pinned at one of the names, and says so" "$(cat "$T/out"; ls "$P")"
	rm -rf "$P"

	# What a first attach killed while libbpf pinned the maps leaves: part of a set, no
	# counts, no user. attach drops it by itself and says so; clean would too.
	L attach -p "$P" fb4 >/dev/null 2>&1 && L detach -p "$P" fb4 >/dev/null 2>&1
	rm -f "$P/xdpflow_fcache" "$P/xdpflow_clock"
	L attach -p "$P" fb4 >"$T/out" 2>&1 && grep -q "removed 5 leftover pins of an interrupted attach" "$T/out" &&
		[ "$(ls "$P" | wc -l)" = 7 ] && truth "" "$P" fb4=on &&
		xf_pass "pins: a half set without counts (a killed first attach): attach removes it, says so, attaches" ||
		xf_fail "pins: a half set without counts (a killed first attach): attach removes it, says so, attaches" "$(tr '\n' '|' <"$T/out")"
	L detach --purge -p "$P" >/dev/null 2>&1
}

# ---- the interface disappears while attached ----
test_gone_interface() {
	local dir idx prog
	xf_pin_dir dir gone
	ip -n "$NS" link add ga0 type veth peer name gb0 &&
		ip netns exec "$NS" sysctl -qw net.ipv6.conf.ga0.disable_ipv6=1 net.ipv6.conf.gb0.disable_ipv6=1 &&
		ip -n "$NS" link set ga0 up && ip -n "$NS" link set gb0 up || { xf_fail "gone: setup"; return; }
	L attach -p "$dir" gb0 >/dev/null 2>&1 || { xf_fail "gone: attach"; return; }
	idx=$(xf_ifindex "$NS" gb0)
	prog=$(xf_xdp_ids "$NS" gb0)
	xf_gen_frames 11 "$T/g.spec" "$T/g.expect" 11
	xf_send "$NS" ga0 "$T/g.spec" >/dev/null || xf_fail "gone: send" "frames dropped"
	ip -n "$NS" link del ga0
	xf_map_counts "$dir" >"$T/g.actual"
	why=$(xf_compare "$T/g.expect" "$T/g.actual" "$idx" 2>&1) &&
		R -p "$dir" --format json >"$T/g.json" 2>"$T/err" &&
		python3 -c '
import json, sys
d = json.load(open(sys.argv[1])); e = json.load(open(sys.argv[2]))
i = [x for x in d["totals"]["interfaces"] if x["ifindex"] == int(sys.argv[3])][0]
sys.exit([i["packets"], i["bytes"]] != e["total"] or len(d["flows"]) != len(e["flows"]))' "$T/g.json" "$T/g.expect" "$idx" &&
		xf_pass "gone: the pins stay readable, the counts of the deleted interface exact" ||
		xf_fail "gone: the pins stay readable, the counts of the deleted interface exact" "$why $(cat "$T/err")"
	L status -p "$dir" >"$T/out" 2>&1
	# With libxdp's dispatcher, its pins keep xdpflow loaded after the interface went.
	grep -Eq "^#$idx +[0-9]+ " "$T/out" && grep -q "^attached to: *nowhere" "$T/out" &&
		truth "" "$dir" orphans-said &&
		xf_pass "gone: status shows the deleted interface as gone and attached nowhere" ||
		xf_fail "gone: status shows the deleted interface as gone and attached nowhere" "$(tr '\n' '|' <"$T/out")"
	# The interface is not there any more: exit 1, saying it took xdpflow along and what clean does.
	xf_expect_fail "gone: detach by the stale name refused, pointing to clean" \
		"no interface named 'gb0' here .*deleted interface took xdpflow with it: 'clean IFINDEX'" L detach -p "$dir" gb0
	xf_expect_fail "gone: detach by the stale ifindex refused, pointing to clean" \
		"no interface named '$idx' here .*'clean IFINDEX'" L detach -p "$dir" "$idx"
	L clean -p "$dir" "$idx" >"$T/out" 2>&1 && truth "" "$dir" &&
		python3 -c '
import json, subprocess, sys, time
for _ in range(60):
    progs = json.loads(subprocess.run(["bpftool", "-j", "prog", "show"], capture_output=True, text=True).stdout)
    if not any(p["id"] == int(sys.argv[1]) for p in progs):
        sys.exit(0)
    time.sleep(0.05)
sys.exit("program %s still loaded" % sys.argv[1])' "$prog" && ! ls -d /sys/fs/bpf/xdp/dispatch-"$idx"-* >/dev/null 2>&1 &&
		L detach --purge -p "$dir" >>"$T/out" 2>&1 && [ ! -e "$dir" ] &&
		xf_pass "gone: program freed, no dispatcher left, clean and detach --purge remove the rest" ||
		xf_fail "gone: program freed, no dispatcher left, clean and detach --purge remove the rest" "$(tr '\n' '|' <"$T/out")"
}

# ---- the loader killed at random points of attach and detach ----
# killed MAX_MS OP...: run the loader with OP, SIGKILL it after a random 0..MAX_MS ms; sets KILLED.
killed() {
	local pid rc max=$1
	shift
	nsenter --net="/run/netns/$NS" "$LOADER" "$@" >/dev/null 2>&1 &
	pid=$!
	sleep "$(printf '0.%03d' $((RANDOM % (max + 1))))"
	kill -KILL "$pid" 2>/dev/null
	# (The braces keep bash's "Killed" job notice off the output.)
	{ wait "$pid"; } 2>/dev/null
	rc=$?
	KILLED=0
	((rc == 137)) && KILLED=1 && xf_sigkilled "$pid"
}

# runs_on IFACE: the kernel runs an XDP program there and status lists xdpflow there.
runs_on() {
	ip -n "$NS" -d link show "$1" | grep -q "prog/xdp id" && grep -q "^attached to: *$1 " "$T/quick"
}

# after_kill DIR: status tells the truth, clean leaves no orphans, attach and detach work.
after_kill() {
	local dir=$1 state n
	# What the kill left, for the tally: attached or not, and how many pins.
	n=$(ls "$dir" 2>/dev/null | grep -c '^xdpflow_')
	[ -d "$dir" ] && state="$n pins" || state="no folder"
	[ -n "$(xf_xdp_ids "$NS" fb2)" ] && state+=", attached" || state+=", detached"
	KILL_STATES[$state]=$((${KILL_STATES[$state]:-0} + 1))
	# A kill between libxdp pinning a new dispatcher and attaching it leaves that dispatcher
	# pinned, holding xdpflow attached nowhere: status must say so, and clean remove it.
	truth "" "$dir" orphans-said || { KILL_BAD="status after a kill: $(cat "$T/truth.why")"; return 1; }
	L clean -p "$dir" fb2 >"$T/clean.out" 2>&1 || { KILL_BAD="clean: $(cat "$T/clean.out")"; return 1; }
	truth "" "$dir" || { KILL_BAD="status after clean: $(cat "$T/truth.why")"; return 1; }
	# What clean keeps: nothing, a complete set, or (a killed purge) a part holding counts.
	if [ -e "$dir" ] && ! grep -Eq "complete and kept|in use or hold counts: kept" "$T/clean.out"; then
		KILL_BAD="clean left $(ls "$dir" | tr '\n' ' ') and said $(cat "$T/clean.out")"
		return 1
	fi
	# libxdp's dispatcher pins (multi-prog kernels): only that of a dispatcher attached to fb2.
	local ifx disp
	ifx=$(xf_ifindex "$NS" fb2)
	disp=$(ip -n "$NS" -d link show fb2 | sed -n 's/.*prog\/xdp id \([0-9]*\).*/\1/p')
	for d in /sys/fs/bpf/xdp/dispatch-"$ifx"-*; do
		[ -e "$d" ] || continue
		[ -n "$disp" ] && [ "$d" = "/sys/fs/bpf/xdp/dispatch-$ifx-$disp" ] && continue
		KILL_BAD="clean left libxdp's $d (attached: ${disp:-nothing})"
		return 1
	done
	if grep -q "in use or hold counts: kept" "$T/clean.out"; then
		grep -q "INCOMPLETE" "$T/status" || { KILL_BAD="status did not flag the incomplete pins"; return 1; }
		L detach --purge -p "$dir" >/dev/null 2>&1 && [ ! -e "$dir" ] || { KILL_BAD="purge of a half set failed"; return 1; }
		KILL_HALF=$((KILL_HALF + 1))
	fi
	L attach -p "$dir" fb2 >"$T/attach.out" 2>&1 && L status -p "$dir" >"$T/quick" 2>&1 && runs_on fb2 ||
		{ KILL_BAD="attach after a kill: $(cat "$T/attach.out" "$T/quick")"; return 1; }
	L detach -p "$dir" fb2 >"$T/detach.out" 2>&1 && L status -p "$dir" >"$T/quick" 2>&1 &&
		! ip -n "$NS" -d link show fb2 | grep -q "prog/xdp" && ! grep -q "^attached to: *fb2 " "$T/quick" ||
		{ KILL_BAD="detach after a kill: $(cat "$T/detach.out" "$T/quick")"; return 1; }
}

test_sigkill() {
	local dir t0 t1 t2 rounds=0 kills=0 bad=0 fresh_kills=0 ids attach_ms detach_ms
	xf_pin_dir dir kill
	KILL_BAD= KILL_HALF=0
	declare -gA KILL_STATES=()
	# Random points: 0 ms up to the time an attach takes here.
	L attach -p "$dir" fb2 >/dev/null 2>&1
	xf_gen_frames 13 "$T/k.spec" "$T/k.expect" 13
	xf_send "$NS" fa2 "$T/k.spec" >/dev/null || xf_fail "kill: send" "frames dropped"
	ids=$(F ids "$dir")
	L detach -p "$dir" fb2 >/dev/null 2>&1
	t0=$(ms)
	L attach -p "$dir" fb2 >/dev/null 2>&1
	t1=$(ms)
	L detach -p "$dir" fb2 >/dev/null 2>&1
	t2=$(ms)
	attach_ms=$((t1 - t0 + 5)) detach_ms=$((t2 - t1 + 5))
	((attach_ms > 999)) && attach_ms=999
	((detach_ms > 999)) && detach_ms=999
	# Most kills interrupt attach and detach with the pins kept: counts must survive them all.
	while ((kills < KILLS * 4 / 5 && rounds < KILLS * 3)); do
		rounds=$((rounds + 1))
		if ((rounds % 2)); then
			killed "$attach_ms" attach -p "$dir" fb2
		else
			L attach -p "$dir" fb2 >/dev/null 2>&1
			killed "$detach_ms" detach -p "$dir" fb2
		fi
		kills=$((kills + KILLED))
		after_kill "$dir" || { bad=$((bad + 1)); echo "# round $rounds: $KILL_BAD"; }
	done
	xf_map_counts "$dir" >"$T/k.actual"
	why=$(xf_compare "$T/k.expect" "$T/k.actual" "$(xf_ifindex "$NS" fb2)" 2>&1) && [ "$(F ids "$dir")" = "$ids" ] ||
		{ bad=$((bad + 1)); echo "# counts after the kills: $why; map ids $ids -> $(F ids "$dir")"; }
	# The rest interrupt a first attach (creating the pins) and detach --purge (removing them).
	L detach --purge -p "$dir" >/dev/null 2>&1
	while ((fresh_kills < KILLS - KILLS * 4 / 5 && rounds < KILLS * 4)); do
		rounds=$((rounds + 1))
		if ((rounds % 2)); then
			killed "$attach_ms" attach -p "$dir" fb2
		else
			L attach -p "$dir" fb2 >/dev/null 2>&1
			xf_send "$NS" fa2 "$T/k.spec" >/dev/null
			killed "$detach_ms" detach --purge -p "$dir" fb2
		fi
		fresh_kills=$((fresh_kills + KILLED))
		after_kill "$dir" || { bad=$((bad + 1)); echo "# round $rounds: $KILL_BAD"; }
		L detach --purge -p "$dir" >/dev/null 2>&1
		[ ! -e "$dir" ] || { bad=$((bad + 1)); echo "# round $rounds: detach --purge left $(ls "$dir")"; }
	done
	kills=$((kills + fresh_kills))
	if ((bad == 0 && kills >= KILLS)); then
		xf_pass "kill: SIGKILL at random points (0-$attach_ms ms into attach, 0-$detach_ms into detach) of attach, detach, first attach and purge; status true, no orphans, counts kept (figure: $kills kills survived)"
	else
		xf_fail "kill: SIGKILL at random points of attach and detach" "$bad bad rounds, $kills kills in $rounds rounds"
	fi
	echo "# $rounds rounds, $kills loaders killed, $KILL_HALF purges left half a set (clean kept it, purge removed it)"
	((XF_SCANS_CUT)) && echo "# $XF_SCANS_CUT kills landed in a sanitizer build's exit-time leak scan: its partial report (no finding) set aside"
	echo "# what the rounds left (before clean): $(for k in "${!KILL_STATES[@]}"; do printf '%s: %d; ' "$k" "${KILL_STATES[$k]}"; done)"
}

# ---- two loaders racing ----
test_races() {
	local dir round bad=0 a b rc_a rc_b x y op1 op2 ids
	xf_pin_dir dir race
	L attach -p "$dir" fb0 >/dev/null 2>&1
	xf_gen_frames 17 "$T/r.spec" "$T/r.expect" 17
	xf_send "$NS" fa0 "$T/r.spec" >/dev/null || xf_fail "race: send" "frames dropped"
	ids=$(F ids "$dir")
	for ((round = 1; round <= ROUNDS; round++)); do
		# Same interface on even rounds, the two interfaces on odd ones; attach and detach mixed.
		x=fb0
		((round % 2)) && y=fb1 || y=fb0
		case $((round / 2 % 4)) in
		0) op1=attach op2=attach ;;
		1) op1=detach op2=detach ;;
		2) op1=attach op2=detach ;;
		3) op1=detach op2=attach ;;
		esac
		L "$op1" -p "$dir" "$x" >"$T/ra.out" 2>&1 &
		a=$!
		L "$op2" -p "$dir" "$y" >"$T/rb.out" 2>&1 &
		b=$!
		wait $a
		rc_a=$?
		wait $b
		rc_b=$?
		local expect=()
		[ "$op1" = "$op2" ] && expect=("$x=$([ "$op1" = attach ] && echo on || echo off)" "$y=$([ "$op2" = attach ] && echo on || echo off)")
		[ "$x" != "$y" ] && expect=("$x=$([ "$op1" = attach ] && echo on || echo off)" "$y=$([ "$op2" = attach ] && echo on || echo off)")
		if ((rc_a != 0 || rc_b != 0)); then
			bad=$((bad + 1))
			echo "# round $round ($op1 $x | $op2 $y): exit $rc_a/$rc_b: $(cat "$T/ra.out" "$T/rb.out" | tr '\n' '|')"
		elif ! truth "" "$dir" "${expect[@]}"; then
			bad=$((bad + 1))
			echo "# round $round ($op1 $x | $op2 $y): $(cat "$T/truth.why")"
		fi
	done
	xf_map_counts "$dir" >"$T/r.actual"
	why=$(xf_compare "$T/r.expect" "$T/r.actual" "$(xf_ifindex "$NS" fb0)" 2>&1) && [ "$(F ids "$dir")" = "$ids" ] ||
		{ bad=$((bad + 1)); echo "# counts after the races: $why; map ids $ids -> $(F ids "$dir")"; }
	((bad == 0)) &&
		xf_pass "race: two loaders attach/detach the same and different interfaces; status = kernel after each round, counts never reset (figure: $ROUNDS rounds raced)" ||
		xf_fail "race: two loaders attach/detach the same and different interfaces" "$bad of $ROUNDS rounds inconsistent"
	L detach --purge -p "$dir" >/dev/null 2>&1
}

# ---- flow table full ----
test_full_table() {
	local dir out
	xf_pin_dir dir full
	L attach --max-flows 64 -p "$dir" fb4 >/dev/null 2>&1 || { xf_fail "full: attach --max-flows 64"; return; }
	# Far more flows than the table (64) and every CPU's flow cache (2,048 entries) hold.
	F gen-flows 6000 2 21 "$T/full.spec" "$T/full.expect"
	xf_send "$NS" fa4 "$T/full.spec" >/dev/null || xf_fail "full: send" "frames dropped"
	R -p "$dir" --format json >"$T/full.json" 2>"$T/err" && R -p "$dir" >"$T/full.table" 2>>"$T/err" &&
		L status -p "$dir" >"$T/full.status" 2>>"$T/err" && [ ! -s "$T/err" ] ||
		{ xf_fail "full: reader and status run" "$(cat "$T/err")"; return; }
	if out=$(F check-full "$T/full.json" "$T/full.expect" "$T/full.status" "$T/full.table" 64 2>&1); then
		xf_pass "full: totals and protocols exact; flows + not recorded = sent; reader JSON, table line and status agree (figure: $out)"
	else
		xf_fail "full: totals and protocols exact; flows + not recorded = sent" "$out"
	fi
	# A second opinion: the map's bytes decoded without xdpflow's code (see lib.sh).
	xf_map_counts_raw "$dir" >"$T/full.actual"
	python3 -c '
import json, sys
a = json.load(open(sys.argv[1]))[sys.argv[3]]; d = json.load(open(sys.argv[2]))["totals"]
sys.exit(a["unrecorded"] != [d["unrecorded_packets"], d["unrecorded_bytes"]] or a["table_flows"] != 64)' \
		"$T/full.actual" "$T/full.json" "$(xf_ifindex "$NS" fb4)" &&
		xf_pass "full: the reader's not-recorded counts are the map's (decoded independently)" ||
		xf_fail "full: the reader's not-recorded counts are the map's (decoded independently)"
	L detach --purge -p "$dir" >/dev/null 2>&1
}

# ---- readers during attach, detach and drains ----
test_concurrent_reader() {
	local dir sender toggler n=0 crashes=0 drain=0 out files=() deadline
	xf_pin_dir dir conc
	if "$READER" --help 2>/dev/null | grep -q -- "--drain"; then
		drain=1
	else
		xf_skip "concurrent: reader --drain during attach/detach" "this reader has no --drain"
	fi
	F gen-flows 400 3 31 "$T/c.spec" "$T/c.expect"
	L attach -p "$dir" fb3 >/dev/null 2>&1 || { xf_fail "concurrent: attach"; return; }
	(while :; do xf_in "$NS" "$XF_BUILD/tools/sendframes" fa3 "$T/c.spec" >/dev/null 2>&1; done) &
	sender=$!
	(for ((i = 0; i < 40; i++)); do
		L detach -p "$dir" fb3 >/dev/null 2>&1
		L attach -p "$dir" fb3 >/dev/null 2>&1
	done) &
	toggler=$!
	deadline=$((SECONDS + 20))
	while kill -0 "$toggler" 2>/dev/null && ((SECONDS < deadline)); do
		n=$((n + 1))
		if ((drain && n % 2 == 0)); then
			out=$T/c.$n.drain.json
			R -p "$dir" --drain --format json >"$out" 2>"$T/c.$n.err"
		else
			out=$T/c.$n.json
			R -p "$dir" --format json >"$out" 2>"$T/c.$n.err"
		fi
		rc=$?
		files+=("$out")
		if ((rc != 0)) || [ -s "$T/c.$n.err" ]; then
			crashes=$((crashes + 1))
			echo "# read $n: exit $rc: $(head -c 300 "$T/c.$n.err")"
		fi
	done
	wait "$toggler"
	kill "$sender" 2>/dev/null
	wait "$sender" 2>/dev/null
	if ((crashes == 0)) && out=$(F check-outputs "$T/c.expect" "${files[@]}" 2>&1); then
		xf_pass "concurrent: readers$( ((drain)) && echo " and drains") during attach/detach and traffic: every output whole, every record consistent (figure: $out)"
	else
		xf_fail "concurrent: readers$( ((drain)) && echo " and drains") during attach/detach and traffic" "$crashes failed reads; $out"
	fi
	L detach --purge -p "$dir" >/dev/null 2>&1
}

xf_gen_frames 5 "$T/nb.spec" "$T/nb.expect" 5
# TESTS="races sigkill" runs only those.
for t in ${TESTS:-no_bpffs pin_faults gone_interface full_table concurrent_reader races sigkill}; do
	"test_$t"
done
left=$(ls -d /sys/fs/bpf/xdpflow-test-$$-* 2>/dev/null | tr '\n' ' ')
[ -z "$left" ] && xf_pass "cleanup: no pin folder of this run left behind" ||
	xf_fail "cleanup: no pin folder of this run left behind" "left: $left"
xf_summary
