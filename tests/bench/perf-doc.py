#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Write docs/PERFORMANCE.md from the saved results of one make bench run.

Usage: tests/bench/perf-doc.py [--results DIR] [--out FILE] [--check]
  DIR (default docs/perf/results): what tests/bench/run-bench.sh saved, one NAME.txt per
  benchmark (its output), curve.dat and machine.txt (the commit, the machine, the time).
  The prose is tests/bench/PERFORMANCE.md.in; each @name@ in it is a figure, a table or a
  verdict computed here from the results (each bar is compared here, not copied).
  --check: write nothing; exit 1 (and show the difference) when FILE is not exactly what
  the results give, 0 when it is. Exit 2 when the results are missing or unreadable.
make performance runs make bench, saves its results in docs/perf/results and runs this;
make performance-doc runs only this; tests/test-docs.sh runs --check.
"""
import datetime
import difflib
import os
import re
import sys
import textwrap

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
TEMPLATE = os.path.join(ROOT, "tests", "bench", "PERFORMANCE.md.in")

# The prototypes make bench puts on the curve (the Makefile's PROTO_CURVE), by name.
PROTOS = {
    "dm256": "the cache of map layouts 1 and 2: 256 direct-mapped slots, evicting on every miss, "
             "per-CPU protocol counts",
    "b4w2kd": "issue 17's first-round pick: 512 sets of 4, a miss in a full set bypasses to "
              "the table and admits on a second miss, protocol counts derived from flows",
    "b4w2kdw0": "the product's cache design (key built in 64-bit words) without generation words",
    "b4w2kdwg": "the product's cache design with its generation words apart, in the prototype harness",
}


class Missing(Exception):
    pass


def fail(msg):
    raise Missing(msg)


def read(results, name):
    path = os.path.join(results, name)
    if not os.path.exists(path):
        fail("no %s (run make performance: docs/TESTING.md)" % path)
    return open(path, encoding="utf-8").read()


def find(text, pattern, name, flags=0):
    m = re.search(pattern, text, flags | re.M)
    if not m:
        fail("%s: no line matching /%s/ (written by another version of tests/bench?)" % (name, pattern))
    return m


def num(s):
    return float(s.replace(",", ""))


def grp(n):
    """1234567 -> 1,234,567 (rounded)."""
    return "{:,.0f}".format(n)


def verdict(ok):
    return "met" if ok else "not met"


def md_table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def table_after(text, header_start, name, after=None):
    """The rows (lists of cells) of the first markdown table whose header starts with
    header_start (after the first line starting with after, if given)."""
    lines = text.split("\n")
    seen = after is None
    for i, line in enumerate(lines):
        seen = seen or line.startswith(after)
        if seen and line.startswith(header_start):
            rows = []
            for row in lines[i + 2:]:
                if not row.startswith("|"):
                    break
                rows.append([c.strip() for c in row.strip().strip("|").split("|")])
            return rows
    fail("%s: no table starting '%s'" % (name, header_start))


def machine(results):
    m = {}
    for line in read(results, "machine.txt").splitlines():
        if ": " in line:
            k, v = line.split(": ", 1)
            m[k] = v
    for k in ("commit", "uncommitted-changes", "started", "finished", "cpus", "cpu-model", "kernel"):
        if k not in m:
            fail("machine.txt: no '%s:' line" % k)
    if not re.fullmatch(r"[0-9a-f]{40}", m["commit"]):
        fail("machine.txt: commit '%s' is not a commit id (the run was not in a git tree)" % m["commit"])
    return m


def stamp_and_machine(v, m):
    changes = int(m["uncommitted-changes"])
    tree = "clean tree" if changes == 0 else "WITH %d UNCOMMITTED CHANGES" % changes
    v["commit"] = m["commit"]
    v["commit_short"] = m["commit"][:12]
    v["stamp"] = "Stamp: commit %s, %s, measured %s to %s, %s CPUs (%s), kernel %s." % (
        m["commit"], tree, m["started"], m["finished"][11:], m["cpus"], m["cpu-model"], m["kernel"])
    fmt = "%Y-%m-%d %H:%M UTC"
    secs = (datetime.datetime.strptime(m["finished"], fmt) - datetime.datetime.strptime(m["started"], fmt)).seconds
    minutes = max(1, round(secs / 60))
    v["duration"] = "about %d minute%s" % (minutes, "" if minutes == 1 else "s")
    where = []
    if m.get("virtualization", "none") != "none":
        where.append("a %s guest" % m["virtualization"].upper() if len(m["virtualization"]) <= 4 else m["virtualization"])
    if m.get("container", "none") != "none":
        where.append("in a %s container" % m["container"])
    v["machine"] = "%s CPUs (`%s`%s), kernel %s, %s, libbpf %s, libxdp %s, clang %s, bpftool %s, trafgen %s" % (
        m["cpus"], m["cpu-model"], ", " + " ".join(where) if where else "", m["kernel"],
        m.get("distribution", "?"), m.get("libbpf", "?"), m.get("libxdp", "?"), m.get("clang", "?"),
        m.get("bpftool", "?"), m.get("trafgen", "?"))
    v["load_before"] = m.get("load-before", "?")
    v["load_after"] = m.get("load-after", "?")


def xdp_cost(v, results):
    name = "xdp_cost.txt"
    t = read(results, name)
    rows = table_after(t, "| program |", name)
    v["xdp_cost_table"] = md_table(["program", "64-byte IPv4/UDP, one flow (ns/packet)",
                                    "IPv6 + 2 extension headers (ns/packet)"], rows)
    m = find(t, r"^xdpflow above bare: (\d+) ns; blog design above bare: (\d+) ns; ratio ([\d.]+)%", name)
    v["xdp_over"], v["blog_over"], v["xdp_ratio"] = m.group(1), m.group(2), m.group(3)
    v["xdp_verdict"] = verdict(float(m.group(3)) <= 20.0)
    m = find(t, r"^(\d+) distinct flows round-robin .*: (\d+) ns/packet above bare", name)
    v["cold_flows"], v["cold_ns"] = grp(int(m.group(1))), m.group(2)
    m = find(t, r"^flow table: (\d+) entries, (\d+) bytes of map memory", name)
    entries, mem = int(m.group(1)), int(m.group(2))
    v["table_entries"], v["table_bytes"] = grp(entries), grp(mem)
    per = mem / entries
    # Whole bytes, unless rounding would hide which side of the bar it is on.
    v["bytes_per_flow"] = ("%.0f" if (round(per) <= 192) == (per <= 192) else "%.2f") % per
    v["bytes_verdict"] = verdict(mem / entries <= 192)


def curve(v, results):
    name = "curve.txt"
    t = read(results, name)
    dat = [l for l in read(results, "curve.dat").splitlines() if l.strip()]
    designs = dat[0].lstrip("# ").split()[2:]
    for need in ("blog", "direct", "xdpflow"):
        if need not in designs:
            fail("curve.dat: no column %s" % need)
    profiles = []
    for line in dat[1:]:
        m = re.match(r'^"([^"]*)" (\d+) (.*)$', line)
        if not m:
            fail("curve.dat: bad line '%s'" % line)
        vals = dict(zip(designs, (float(x) for x in m.group(3).split())))
        if vals["blog"] <= 0 or vals["direct"] <= 0:
            fail("curve.dat: profile %s was not measured (CURVE_ONLY?)" % m.group(1))
        profiles.append((m.group(1), int(m.group(2)), vals))
    short = lambda d: re.sub(r"^proto-(.*)\.bpf\.o$", r"\1", d)
    protos = designs[3:]
    label = {"Zipf": "Zipf (100,000)"}
    rows = []
    for prof, _, vals in profiles:
        x = vals["xdpflow"]
        rows.append([label.get(prof, prof)] + ["%.0f" % vals[d] for d in designs] +
                    ["%.0f%%" % (100 * x / vals["blog"]), "%.2f" % (x / vals["direct"])])
    v["curve_table"] = md_table(["flows"] + [short(d) for d in designs] + ["xdpflow / blog", "xdpflow / direct"], rows)
    lines = []
    for d in protos:
        s = short(d)
        lines.append("- *%s*: `tests/bench/proto.bpf.c` built with the Makefile's `PROTO_%s`: %s." % (
            s, s, PROTOS.get(s, "see the Makefile's PROTO_ settings")))
    v["curve_protos"] = "\n".join(lines) + ("\n  The prototypes and what each measured in issue 17's rounds: "
                                           "[PERFORMANCE-HISTORY.md](PERFORMANCE-HISTORY.md)." if lines else "")
    m = find(t, r"BPF_PROG_TEST_RUN of wrap\.bpf\.o \(repeat (\d+)\)", name)
    v["curve_repeat"] = grp(int(m.group(1)))
    m = find(t, r"median of (\d+) interleaved rounds; CPU \d+(, SCHED_FIFO| \(SCHED_FIFO refused\))", name)
    v["curve_rounds"] = m.group(1)
    v["curve_fifo"] = "" if m.group(2) == ", SCHED_FIFO" else " (refused in this run)"
    m = find(t, r"^ns per packet above bare \(wrapper \+ tail call into XDP_PASS: ([\d, ]+) ns\)", name)
    bares = [int(x) for x in m.group(1).split(", ")]
    v["bare_range"] = "%d-%d" % (min(bares), max(bares))
    m = find(t, r"^curve: (\d+)s$", name)
    v["curve_seconds"] = m.group(1)
    m = re.search(r"^trace: (\d+) packets, (\d+) distinct flows, (\d+) trains \(mean ([\d.]+) packets\)", t, re.M)
    v["trace_stats"] = ("The generated sequence: %s packets, %s distinct flows, %s trains (mean %s packets), "
                        "replayed in a loop." % (grp(int(m.group(1))), grp(int(m.group(2))), grp(int(m.group(3))),
                                                 m.group(4))) if m else ""
    xrows = table_after(t, "| flows | blog | direct | xdpflow |", name, after="Cross-check")
    v["xcheck_table"] = md_table(["flows", "blog", "direct", "xdpflow"],
                                 [[grp(int(r[0]))] + r[1:4] for r in xrows])
    mem = {r[0]: r for r in table_after(t, "| design | per-CPU memory (KiB) |", name)}
    if "xdpflow" not in mem:
        fail("curve.txt: no xdpflow row in the memory table")
    kib = int(mem["xdpflow"][1])
    v["percpu_kib"] = str(kib)
    v["percpu_verdict"] = verdict(kib <= 256)
    by = {p: vals for p, _, vals in profiles}
    for key, prof, bar in (("bar_one", "1", 15), ("bar_thousand", "1,000", 18)):
        if prof not in by:
            fail("curve.dat: no profile %s" % prof)
        r = 100 * by[prof]["xdpflow"] / by[prof]["blog"]
        v[key] = "%.1f" % r
        v[key + "_verdict"] = verdict(r <= bar)
    # Why a bar is missed, said only when it is.
    v["bar_thousand_why"] = "" if v["bar_thousand_verdict"] == "met" else (
        " At 1,000 flows a hit leaves the L1 cache (2,048 entries of 96 bytes are 192 KiB) and some sets "
        "overflow (1,000 flows in 512 sets of 4), so some frames take the bypass into the shared table.")
    slower = [(label.get(p, p), vals["xdpflow"] / vals["direct"]) for p, _, vals in profiles
              if vals["xdpflow"] > vals["direct"]]
    v["bar_direct_verdict"] = verdict(not slower)
    # Two decimals, or three where two would show 1.00 for a ratio above 1.
    ratio = lambda r: "%.2f" % r if "%.2f" % r != "1.00" else "%.3f" % r
    v["bar_direct"] = ("slower at %s" % ", ".join("%s (%s)" % (p, ratio(r)) for p, r in slower)) if slower else \
        "no slower at any profile"
    v["bar_direct_why"] = "" if not slower else (
        " Past the cache, every frame pays what the direct design pays (a hash lookup and atomic adds "
        "into the shared table) plus the cache probe that missed (a set's tags and the doorkeeper) and "
        "the outer map's slot, which the direct design does not have.")
    g0, g = "proto-b4w2kdw0.bpf.o", "proto-b4w2kdwg.bpf.o"
    if g0 in designs and g in designs:
        pairs = ["%s against %s ns at %s flow%s" % ("%.0f" % by[p][g], "%.0f" % by[p][g0], p, "" if p == "1" else "s")
                 for p in ("1", "256", "1,000") if p in by]
        v["gen_words"] = ("- **What the live-read protection costs per packet** (issue 14 §2): the same cache "
                          "with generation words (b4w2kdwg) and without (b4w2kdw0), in this run: %s. A hit never "
                          "touches the generation words; only an admission (re-key) does." % "; ".join(pairs))
    else:
        v["gen_words"] = ""


def read_cpus(v, results):
    name = "read_cpus.txt"
    t = read(results, name)
    m = find(t, r"^(\d+) CPUs, (\d+) flows in the table, (\d+) only in the caches; median of (\d+) reads", name)
    v["read_cpus"], v["read_flows"], v["read_cache_only"], v["read_reads"] = (
        m.group(1), grp(int(m.group(2))), grp(int(m.group(3))), m.group(4))
    m = find(t, r"^measured: a read with the caches empty ([\d.]+) ms, every CPU's cache full .* ([\d.]+) ms$", name)
    v["read_empty"], v["read_full"] = m.group(1), m.group(2)
    m = find(t, r"^measured per CPU: a copy of its generation words ([\d.]+) us, of its full cache with the merge "
                r"([\d.]+) ms; with (\d+) table batches a read pays ([\d.]+) ms per CPU", name)
    gens_us, cache_ms, batches, per_cpu = float(m.group(1)), float(m.group(2)), int(m.group(3)), float(m.group(4))
    v["read_gens"], v["read_cache"], v["read_per_cpu"] = m.group(1), m.group(2), m.group(4)
    v["read_gens_share"] = "%.0f" % (100 * gens_us / 1000 * (3 + batches + 1) / per_cpu)
    m = find(t, r"^model: read\(n CPUs, full caches\) = ([\d.-]+) ms \+ n x ([\d.]+) ms", name)
    base = float(m.group(1))
    v["read_base"] = m.group(1)
    v["read_128_share"] = "%.0f" % (100 * 128 * per_cpu / (base + 128 * per_cpu))
    rows = table_after(t, "| CPUs | read, every cache full (ms, modelled) |", name)
    v["read_model_table"] = md_table(["CPUs", "read of %s flows, every cache full (ms, modelled)" % v["read_flows"]], rows)


def export(v, results):
    name = "bench-ipfix.txt"
    t = read(results, name)
    m = find(t, r"^IPFIX export: (\d+) records in ([\d.]+) s = (\d+) records/s", name)
    v["replay_s"], v["replay_rate"] = "%.2f" % float(m.group(2)), grp(int(m.group(3)))
    m = find(t, r"^xdpflow-reader --ipfix: (\d+) records in ([\d.]+) s = (\d+) records/s "
                r"\(CPU: ([\d.]+) s user, ([\d.]+) s system\)", name)
    v["ipfix_flows"] = grp(int(m.group(1)))
    v["ipfix_s"], v["ipfix_user"], v["ipfix_sys"] = "%.2f" % float(m.group(2)), m.group(4), m.group(5)
    v["ipfix_rate"] = grp(int(m.group(3)))
    v["ipfix_verdict"] = verdict(int(m.group(3)) >= 1000000)
    m = find(t, r"^receiver got (\d+ records in \d+ messages) over the \d+ runs; load average while measuring: (.*)$", name)
    r, msgs = re.match(r"(\d+) records in (\d+) messages", m.group(1)).groups()
    v["ipfix_received"] = "%s records in %s messages" % (grp(int(r)), grp(int(msgs)))
    v["ipfix_load"] = m.group(2)
    name = "bench-drain.txt"
    t = read(results, name)
    m = find(t, r"^drain of (\d+) flows: ([\d.]+) s = (\d+) flows/s \(swap (\d+) ms; CPU: ([\d.]+) s user, "
                r"([\d.]+) s system\)", name)
    v["drain_s"], v["drain_rate"], v["drain_swap"] = "%.2f" % float(m.group(2)), grp(int(m.group(3))), m.group(4)
    v["drain_user"], v["drain_sys"] = m.group(5), m.group(6)
    m = find(t, r"^\(median of \d+ runs; load average: (.*)\)$", name)
    v["drain_load"] = m.group(1)


def veth(v, results):
    name = "bench-veth.txt"
    t = read(results, name)
    m = find(t, r"median of (\d+) runs of", name)
    v["veth_runs"] = m.group(1)
    v["veth_table"] = md_table(["traffic", "no XDP (pps)", "bare XDP_PASS (pps)", "xdpflow (pps)",
                                "xdpflow / no XDP", "xdpflow / bare"], table_after(t, "| traffic |", name))
    paired = re.findall(r"^median of per-repetition ratios, (.*): xdpflow / no XDP ([\d.]+), xdpflow / bare ([\d.]+)",
                        t, re.M)
    if not paired:
        fail("%s: no per-repetition ratios" % name)
    v["veth_paired"] = "; ".join("%s, xdpflow / no XDP %s, xdpflow / bare %s" % p for p in paired)
    runs = [int(x.replace(",", "")) for line in re.findall(r"^runs, [^:]*: (.*)$", t, re.M) for x in line.split()]
    if not runs:
        fail("%s: no runs lines" % name)
    v["veth_min"], v["veth_max"] = grp(min(runs)), grp(max(runs))
    before = find(t, r"^load average before: (.*)$", name).group(1)
    after = find(t, r"^load average after: (.*)$", name).group(1)
    v["veth_load"] = "%s before, %s after" % (before, after)
    m = find(t, r"^check: xdpflow counted (\d+) packets, (.*): (ok|MISMATCH)$", name)
    v["veth_check"] = ("xdpflow counted %s packets, exactly what the interface received while it was attached."
                       % grp(int(m.group(1))) if m.group(3) == "ok" else
                       "**xdpflow's count did not match**: %s packets, %s." % (grp(int(m.group(1))), m.group(2)))


def reader(v, results):
    rows, speed, rss = [], [], []
    for fname in ("bench-reader.txt", "bench-reader-default.txt"):
        t = read(results, fname)
        m = find(t, r"^## xdpflow-reader vs bpftool, (\d+) flows in one pinned flow table of (\d+)", fname)
        what = "%s of %s" % (grp(int(m.group(1))), grp(int(m.group(2))))
        cells = {r[0].split(" (")[0]: r for r in table_after(t, "| command | time (s) | peak RSS (MiB) |", fname)}
        try:
            full = cells["xdpflow-reader --format json flows"]
            top = cells["xdpflow-reader --format json --top 100 flows"]
            bpf = cells["bpftool map dump id INNER -j"]
        except KeyError as e:
            fail("%s: no row %s" % (fname, e))
        written = re.search(r"\((\d+) flows written\)", full[0]).group(1)
        ratio = float(bpf[1]) / float(full[1]) if float(full[1]) > 0 else float("inf")
        rows.append([what, grp(int(written)), full[1], top[1], bpf[1], "%.1fx" % ratio, full[2], top[2]])
        speed.append((what, ratio))
        rss.append((what, max(float(full[2]), float(top[2]))))
    v["reader_table"] = md_table(["flows, table", "flows written by the reader", "xdpflow-reader json flows (s)",
                                  "with --top 100 (s)", "bpftool map dump (s)", "bpftool / reader",
                                  "reader peak RSS (MiB)", "with --top 100 (MiB)"], rows)
    v["reader_speed"] = "; ".join("%s flows %.1fx: **%s**" % (w, r, verdict(r >= 15)) for w, r in speed)
    v["reader_rss"] = "; ".join("%s flows at most %.1f MiB: **%s**" % (w, r, verdict(r < 32)) for w, r in rss)


def generate(results):
    v = {}
    stamp_and_machine(v, machine(results))
    for part in (xdp_cost, curve, read_cpus, export, veth, reader):
        part(v, results)
    text = open(TEMPLATE, encoding="utf-8").read()
    unknown = sorted(set(re.findall(r"@([a-z_0-9]+)@", text)) - set(v))
    if unknown:
        fail("%s names no figure %s" % (TEMPLATE, ", ".join(unknown)))
    out = re.sub(r"@([a-z_0-9]+)@", lambda m: v[m.group(1)], text)
    # An empty optional paragraph leaves no blank-line pile-up behind.
    out = re.sub(r"\n{3,}", "\n\n", out)
    # Lines a long figure made long are wrapped, but for tables and the stamp (one line).
    lines = []
    for line in out.split("\n"):
        if len(line) <= 96 or line.startswith(("|", "Stamp: ", "#", "![")):
            lines.append(line)
            continue
        indent = "  " if line.startswith(("- ", "  ")) else ""
        lines += textwrap.wrap(line, 96, subsequent_indent=indent, break_long_words=False, break_on_hyphens=False)
    return "\n".join(lines)


def main(argv):
    results, out, check = os.path.join(ROOT, "docs", "perf", "results"), os.path.join(ROOT, "docs", "PERFORMANCE.md"), False
    args = list(argv)
    while args:
        a = args.pop(0)
        if a == "--check":
            check = True
        elif a in ("--results", "--out") and args:
            if a == "--results":
                results = args.pop(0)
            else:
                out = args.pop(0)
        elif a in ("-h", "--help"):
            print(__doc__.strip())
            return 0
        else:
            print("perf-doc: unknown or incomplete option '%s' (see --help)" % a, file=sys.stderr)
            return 2
    try:
        text = generate(results)
    except Missing as e:
        print("perf-doc: %s" % e, file=sys.stderr)
        return 2
    if check:
        old = open(out, encoding="utf-8").read() if os.path.exists(out) else ""
        if old == text:
            return 0
        diff = list(difflib.unified_diff(old.split("\n"), text.split("\n"), out, "generated from " + results,
                                         lineterm="", n=0))
        print("perf-doc: %s differs from what %s gives (first lines of the difference):" % (out, results))
        print("\n".join(diff[:12]))
        return 1
    with open(out, "w", encoding="utf-8") as f:
        f.write(text)
    print("perf-doc: wrote %s from %s" % (out, results))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
