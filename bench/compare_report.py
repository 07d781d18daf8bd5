#!/usr/bin/env python3
# compare_report.py OUT: compare.sh's report. Reads OUT/meta.txt (the run's settings) and
# OUT/raw.txt (every run's RESULT line, with compare.sh's own fields in front) and writes
# OUT/results.md (one table per shape: medians, ratios to the reference server and to the raw
# TCP floor, which process was saturated), OUT/results.csv and OUT/chart.png (matplotlib).
# compare.sh runs it with Debian's /usr/bin/python3 (and its python3-matplotlib); also
# `bash bench/compare.sh --report DIR` writes a finished run's report again.
import csv, os, statistics, sys

out = sys.argv[1]
meta = {}
for line in open(os.path.join(out, "meta.txt")):
    k, _, v = line.rstrip("\n").partition("=")
    meta[k] = v
servers = meta["servers"].split()
shapes = meta["shapes"].split()
ref = meta.get("ref") or None
floor = meta.get("floor") or None
if floor not in servers:
    floor = None
if ref not in servers:
    ref = None

runs = {}
for line in open(os.path.join(out, "raw.txt")):
    head, _, result = line.partition(" RESULT ")
    kv = dict(t.split("=", 1) for t in result.split() if "=" in t)  # wsload's own fields
    kv.update(t.split("=", 1) for t in head.split() if "=" in t)    # ours: shape, server, run, rc, ...
    if "server_hwm" in kv and "server_hwm_before" in kv:
        kv["hwm_growth"] = str(float(kv["server_hwm"]) - float(kv["server_hwm_before"]))
    runs.setdefault((kv["shape"], kv["server"]), []).append(kv)

DESC = {
    "a": "(a) 100 connections, 16-byte text, 10 in flight each",
    "b": "(b) 100 connections, 16-byte binary, 10 in flight each",
    "c": "(c) 10 connections, 64 KiB binary, 2 in flight each",
    "d": "(d) 1 connection, 16-byte text, 1 in flight (latency)",
    "e": "(e) 1,000 connections, 128-byte text, 1 in flight each",
    "f": "(f) %s idle connections: server RSS per connection" % format(int(meta.get("idle", "10000")), ","),
    "g": "(g) a 16 MiB text message each way: a fresh server's first echo, the later ones, server peak RSS",
    "h": "(h) broadcast: 64-byte text to 1,000 clients, sender window 10",
}
# The figure each shape is judged by (lower is better), its label, and what the chart shows.
KEY = {"a": "server_cpu_us_per_msg", "b": "server_cpu_us_per_msg", "c": "server_cpu_us_per_msg",
       "d": "p50_us", "e": "server_cpu_us_per_msg", "f": "rss_per_conn", "g": "first_ms_per_msg",
       "h": "server_cpu_us_per_msg"}
KEYLABEL = {"server_cpu_us_per_msg": "server CPU µs per message", "p50_us": "p50 round trip µs",
            "rss_per_conn": "server RSS bytes per connection", "ms_per_msg": "ms per 16 MiB echo",
            "first_ms_per_msg": "ms, a fresh server's first 16 MiB echo",
            "later_ms_per_msg": "ms per 16 MiB echo after the first"}

FIELDS = ["msgs_per_s", "deliveries_per_s", "server_cpu_us_per_msg", "server_user_us_per_msg",
          "server_sys_us_per_msg", "server_cpu_pct", "load_cpu_pct",
          "p50_us", "p99_us", "p999_us", "rss_per_conn", "rss_open", "conns", "ms_per_msg", "first_ms_per_msg",
          "later_ms_per_msg", "server_hwm", "hwm_growth", "server_cpu_s", "other_pct"]


def med(rs, f):
    v = [float(r[f]) for r in rs if f in r]
    return statistics.median(v) if v else None


stats = {}
for s in shapes:
    for sv in servers:
        rs = runs.get((s, sv), [])
        if not rs or all(r.get("rc") == "na" for r in rs):
            stats[(s, sv)] = None
            continue
        ok = [r for r in rs if r.get("rc") == "0" and r.get("status") == "ok"]
        m = {f: med(ok, f) for f in FIELDS}
        if m["deliveries_per_s"] is not None:
            m["msgs_per_s"] = m["deliveries_per_s"]
        if m["first_ms_per_msg"] is None and m["ms_per_msg"] is not None and all(r.get("count", "1") == "1" for r in ok):
            m["first_ms_per_msg"] = m["ms_per_msg"]  # a run from before wsload told the first echo apart
        o = [float(r["other_pct"]) for r in rs if "other_pct" in r]
        m["other_max"] = max(o) if o else None
        m["runs"] = len(rs)
        m["ok"] = len(ok)
        sp, lp = m["server_cpu_pct"], m["load_cpu_pct"]
        b = ""
        if s in "abceh" and sp is not None and lp is not None:
            b = "server" if sp >= 90 else ("wsload" if lp >= 90 else "neither")
            if sp >= 90 and lp >= 90:
                b = "both"
        elif s == "d":
            b = "latency-bound"
        m["bound"] = b
        stats[(s, sv)] = m


def ratio(s, sv, key, base):
    if base is None:
        return None
    a, b = stats.get((s, sv)), stats.get((s, base))
    if not a or not b or a.get(key) is None or not b.get(key):
        return None
    return a[key] / b[key]


def fnum(v, d=0, pct=False):
    if v is None:
        return "–"
    if d == 0:
        return format(round(v), ",")
    return "%.*f" % (d, v)


def fr(v):
    return "–" if v is None else "%.2f" % v


ref_l = ref or "uWS"
floor_l = floor or "raw"
md = []
md.append("# ws-cpp and its peers, side by side\n")
md.append("%s, %s, %s, %s, libuv %s. ws-cpp %s. %s runs per shape (medians), %s s measured after %s s of "
          "warm-up, %s; each server started fresh per run. Raw TCP floor: `%s`; reference: `%s`. Load average "
          "%s before, %s after; the run took %s s (+ %s s of building; %s s of it waiting for a quiet machine).\n"
          % (meta["date"], meta["cpu"], meta["kernel"], meta["compiler"], meta["libuv"], meta["ws-cpp"],
             meta["runs"], meta["secs"], meta["warmup"], meta["pinning"], floor_l, ref_l, meta["load_before"],
             meta["load_after"], meta["run_s"], meta["build_s"], meta.get("quiet_waited", "0")))
md.append("Servers:\n")
for sv in servers:
    md.append("- `%s`: %s" % (sv, meta.get("banner." + sv, "") or "?"))
md.append("")
md.append("*server µs/msg* is the server's CPU time (user + system, all threads, from /proc) per message "
          "echoed (broadcast: per delivery), and *user µs* / *kernel µs* its two parts (medians of each, so "
          "they need not add up exactly; the kernel's split is sampled at its clock tick: a few percent of "
          "noise on the smaller part); *vs %s* and *vs %s* divide a server's figure by theirs "
          "(below 1: less); *bound* says which process saturated its core (≥ 90 %%): `server` is what a "
          "throughput shape wants, `wsload` means the load generator was the limit; *other %%* is the "
          "highest CPU use of the rest of the machine during a run (noise; 100 = one core).\n" % (ref_l, floor_l))

csv_rows = []
for s in shapes:
    key = KEY[s]
    md.append("## %s\n" % DESC[s])
    if s in "abceh" or s == "d":
        rate = "deliveries/s" if s == "h" else "msgs/s"
        if s == "d":
            hdr = ["server", "ok", rate, "server µs/msg", "server CPU %", "wsload CPU %", "p50 µs", "p99 µs",
                   "p50 vs " + ref_l, "p50 vs " + floor_l, "µs/msg vs " + ref_l, "other %"]
        else:
            hdr = ["server", "ok", rate, "server µs/msg", "user µs", "kernel µs", "server CPU %", "wsload CPU %",
                   "p50 µs", "p99 µs", "µs/msg vs " + ref_l, "µs/msg vs " + floor_l, rate + " vs " + ref_l, "bound",
                   "other %"]
    elif s == "f":
        hdr = ["server", "ok", "connections", "RSS per conn (B)", "vs " + ref_l, "vs " + floor_l,
               "RSS with all open (MiB)", "other %"]
    else:
        hdr = ["server", "ok", "first echo ms", "vs " + ref_l, "vs " + floor_l, "later echoes ms", "vs " + ref_l,
               "vs " + floor_l, "peak RSS (MiB)", "peak growth (MiB)", "growth vs " + ref_l, "server CPU s", "other %"]
    md.append("| " + " | ".join(hdr) + " |")
    capped = []
    md.append("|" + "|".join(["---"] + ["---:"] * (len(hdr) - 1)) + "|")
    for sv in servers:
        m = stats.get((s, sv))
        if m is None:
            md.append("| %s | n/a |" % sv + " |" * (len(hdr) - 2))
            csv_rows.append({"shape": s, "server": sv, "runs": 0, "ok": 0, "note": "n/a"})
            continue
        ok = "%d/%d" % (m["ok"], m["runs"])
        kr, kf = ratio(s, sv, key, ref), ratio(s, sv, key, floor)
        cr, cf = ratio(s, sv, "server_cpu_us_per_msg", ref), ratio(s, sv, "server_cpu_us_per_msg", floor)
        rr = ratio(s, sv, "msgs_per_s", ref)
        oth = fnum(m["other_max"], 1)
        if s == "d":
            row = [sv, ok, fnum(m["msgs_per_s"]), fnum(m["server_cpu_us_per_msg"], 3), fnum(m["server_cpu_pct"], 1),
                   fnum(m["load_cpu_pct"], 1), fnum(m["p50_us"], 1), fnum(m["p99_us"], 1), fr(kr), fr(kf), fr(cr), oth]
        elif s in "abceh":
            row = [sv, ok, fnum(m["msgs_per_s"]), fnum(m["server_cpu_us_per_msg"], 3),
                   fnum(m["server_user_us_per_msg"], 3), fnum(m["server_sys_us_per_msg"], 3),
                   fnum(m["server_cpu_pct"], 1), fnum(m["load_cpu_pct"], 1), fnum(m["p50_us"], 1), fnum(m["p99_us"], 1),
                   fr(kr), fr(kf), fr(rr), m["bound"], oth]
        elif s == "f":
            row = [sv, ok, fnum(m["conns"]), fnum(m["rss_per_conn"]), fr(kr), fr(kf),
                   fnum(None if m["rss_open"] is None else m["rss_open"] / 2**20, 1), oth]
        else:
            gr = ratio(s, sv, "hwm_growth", ref)
            lr, lf = ratio(s, sv, "later_ms_per_msg", ref), ratio(s, sv, "later_ms_per_msg", floor)
            row = [sv, ok, fnum(m["first_ms_per_msg"], 1), fr(kr), fr(kf), fnum(m["later_ms_per_msg"], 1), fr(lr), fr(lf),
                   fnum(None if m["server_hwm"] is None else m["server_hwm"] / 2**20, 1),
                   fnum(None if m["hwm_growth"] is None else m["hwm_growth"] / 2**20, 1), fr(gr),
                   fnum(m["server_cpu_s"], 3), oth]
        md.append("| " + " | ".join(row) + " |")
        if m["bound"] in ("wsload", "both"):
            capped.append(sv)
        csv_rows.append({
            "shape": s, "server": sv, "runs": m["runs"], "ok": m["ok"],
            **{f: ("" if m.get(f) is None else m[f]) for f in
               ["msgs_per_s", "server_cpu_us_per_msg", "server_user_us_per_msg", "server_sys_us_per_msg",
                "server_cpu_pct", "load_cpu_pct", "p50_us", "p99_us",
                "p999_us", "rss_per_conn", "conns", "ms_per_msg", "first_ms_per_msg", "later_ms_per_msg", "server_hwm",
                "hwm_growth", "server_cpu_s"]},
            "key_metric": key, "key_value": "" if m.get(key) is None else m[key],
            "key_vs_ref": "" if kr is None else round(kr, 4), "key_vs_floor": "" if kf is None else round(kf, 4),
            "cpu_vs_ref": "" if cr is None else round(cr, 4), "cpu_vs_floor": "" if cf is None else round(cf, 4),
            "rate_vs_ref": "" if rr is None else round(rr, 4),
            "bound": m["bound"], "other_pct_max": "" if m["other_max"] is None else m["other_max"], "note": ""})
    if capped:
        md.append("\nwsload saturated its core against %s: their msgs/s is the load generator's ceiling, not "
                  "theirs; compare them by server µs/msg." % ", ".join("`%s`" % c for c in capped))
    md.append("")

# Round by round: a round runs every server once, one after another, so the ratio within a
# round compares runs made a minute or two apart; their median and middle half say how far the
# ratios of medians above can be trusted on this machine.
def paired(s, sv, base, key):
    by_round = {}
    for who in (sv, base):
        for r in runs.get((s, who), []):
            if r.get("rc") == "0" and r.get("status") == "ok" and key in r and "run" in r:
                by_round.setdefault(r["run"], {})[who] = float(r[key])
    return [v[sv] / v[base] for v in by_round.values() if sv in v and base in v and v[base] > 0]


def spread(rs):
    if not rs:
        return "–", "–"
    if len(rs) == 1:
        return "%.2f" % rs[0], "–"
    q1, q2, q3 = statistics.quantiles(rs, n=4, method="inclusive")
    return "%.2f" % q2, "%.2f-%.2f" % (q1, q3)


ours = "ws-cpp" if "ws-cpp" in servers else None
bases = [b for b in (ref, floor) if b is not None and b != ours]
if ours is not None and bases:
    md.append("## %s round by round\n" % ours)
    md.append("Each round runs every server once, one after another, so a ratio within one round compares runs "
              "made a minute or two apart. *median* is the median of the rounds' ratios (it need not equal the "
              "ratio of medians in the tables above), *middle half* the range of the middle half of them "
              "(25th to 75th percentile), *below 1* the rounds in which %s cost less. Each shape's figure is "
              "the one its table is judged by.\n" % ours)
    hdr = ["shape", "rounds"]
    for b in bases:
        hdr += ["vs %s median" % b, "middle half", "below 1"]
    md.append("| " + " | ".join(hdr) + " |")
    md.append("|" + "|".join(["---"] + ["---:"] * (len(hdr) - 1)) + "|")
    for s in shapes:
        if s in ("f",):
            continue  # one figure per run of a different kind (memory): its table says it
        row, n = [DESC[s].split(")")[0] + ")"], 0
        for b in bases:
            rs = paired(s, ours, b, KEY[s])
            n = max(n, len(rs))
            m, h = spread(rs)
            row += [m, h, "%d/%d" % (sum(1 for v in rs if v < 1), len(rs)) if rs else "–"]
        if n == 0:
            continue
        row.insert(1, str(n))
        md.append("| " + " | ".join(row) + " |")
    md.append("")

# Noise: CPU used by other processes while a run lasted (runs under 1 s are too short to tell).
timed = [r for rs in runs.values() for r in rs if float(r.get("span_s", 0)) >= 1]
noisy = [r for r in timed if float(r.get("other_pct", 0)) > 10]
if noisy:
    md.append("**Noisy**: in %d of %d runs other processes used more than 10 %% of a core (worst %.0f %%; see "
              "*other %%*): msgs/s and latency of those runs suffer, server µs/msg hardly.\n"
              % (len(noisy), len(timed), max(float(r["other_pct"]) for r in noisy)))
else:
    md.append("Quiet: in no run did other processes use more than 10 % of a core.\n")
md.append("Files: `results.csv` (the same medians and ratios), `chart.png`, `raw.txt` (every run's RESULT line), "
          "`logs/`.\n")
open(os.path.join(out, "results.md"), "w").write("\n".join(md))

cols = ["shape", "server", "runs", "ok", "msgs_per_s", "server_cpu_us_per_msg", "server_user_us_per_msg",
        "server_sys_us_per_msg", "server_cpu_pct", "load_cpu_pct",
        "p50_us", "p99_us", "p999_us", "rss_per_conn", "conns", "ms_per_msg", "first_ms_per_msg", "later_ms_per_msg",
        "server_hwm", "hwm_growth",
        "server_cpu_s", "key_metric", "key_value", "key_vs_ref", "key_vs_floor", "cpu_vs_ref", "cpu_vs_floor",
        "rate_vs_ref", "bound", "other_pct_max", "note"]
with open(os.path.join(out, "results.csv"), "w", newline="") as fh:
    w = csv.DictWriter(fh, fieldnames=cols)
    w.writeheader()
    for row in csv_rows:
        w.writerow({c: row.get(c, "") for c in cols})

# Chart: one panel per shape (its key figure), plus msgs/s at (a).
try:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    print("compare.sh: python3-matplotlib is missing: no chart")
    sys.exit(0)
panels = []
for s in shapes:
    panels.append((s, KEY[s], 1.0))
    if s == "a":
        panels.append(("a", "msgs_per_s", 1e-6))
    if s == "g":
        panels.append(("g", "later_ms_per_msg", 1.0))
        panels.append(("g", "server_hwm", 1.0 / 2**20))
ncol = 3
nrow = (len(panels) + ncol - 1) // ncol
fig, axes = plt.subplots(nrow, ncol, figsize=(6.2 * ncol, 0.42 * len(servers) * nrow + 1.3 * nrow + 0.8),
                         squeeze=False)
palette = {"ws-cpp": "#d62728", ref: "#1f77b4", "floor-libuv": "#7f7f7f", "floor-epoll": "#b0b0b0",
           "floor-uring": "#d0d0d0"}
for ax, (s, key, scale) in zip(axes.flat, panels):
    names, vals = [], []
    for sv in servers:
        m = stats.get((s, sv))
        if m and m.get(key) is not None:
            names.append(sv)
            vals.append(m[key] * scale)
    label = KEYLABEL.get(key, key)
    title = DESC[s].split(":")[0]
    if key == "msgs_per_s":
        label = "million msgs/s (higher is better)"
        title = "(a) throughput (see wsload CPU % in the table)"
    elif key == "first_ms_per_msg":
        label += " (lower is better)"
        title = "(g) a fresh server's first 16 MiB echo"
    elif key == "later_ms_per_msg":
        label += " (lower is better)"
        title = "(g) the 16 MiB echoes after the first"
    elif key == "server_hwm":
        label = "server peak RSS, MiB (lower is better)"
        title = "(g) server peak RSS (VmHWM) around the 16 MiB echo"
    else:
        label += " (lower is better)"
    y = list(range(len(names)))[::-1]
    ax.barh(y, vals, color=[palette.get(n, "#2ca02c") for n in names])
    ax.set_yticks(y)
    ax.set_yticklabels(names)
    ax.set_title(title, fontsize=10, loc="left")
    ax.set_xlabel(label, fontsize=9)
    top = max(vals) if vals else 1
    for yy, v in zip(y, vals):
        ax.text(v + top * 0.01, yy, ("%.3g" % v) if v < 100 else format(round(v), ","), va="center", fontsize=8)
    ax.set_xlim(0, top * 1.22)
for ax in list(axes.flat)[len(panels):]:
    ax.axis("off")
fig.suptitle("ws-cpp vs peers, %s (%s, %s runs, medians)" % (meta["date"].split()[0], meta["cpu"], meta["runs"]),
             fontsize=11)
fig.tight_layout(rect=(0, 0, 1, 0.985))
fig.savefig(os.path.join(out, "chart.png"), dpi=110)
