#!/usr/bin/env bash
# compare.sh: ws-cpp side by side with other WebSocket servers and the raw TCP echo floors:
# the same load (wsload), the same machine, the same run.
#
#   bash bench/compare.sh [options]
#
# What it does, in order:
#   1. installs what is missing, from Debian's archive (apt-get) and npm (npm ci in tests/peers):
#      Boost 1.81 (Beast), websocketpp, libwebsockets, liburing (the io_uring floor),
#      python3-matplotlib, ws-cpp's build deps;
#   2. builds ws-cpp in Release (bench_server, wsload, the floors) into BUILD (build-compare) from
#      the tree as it is, and the peers (bench/peers, a CMake project of its own) into BUILD/peers;
#   3. runs every shape against every server, interleaved (A B C A B C ...: for each shape, R
#      rounds over all servers), each server started fresh for each run, pinned to SERVER_CPU (0)
#      with wsload pinned to LOAD_CPU (1), stopped by PID;
#   4. writes OUT/results.md (one table per shape: medians, ratios to uWebSockets and to the raw
#      TCP floor, which process was saturated), OUT/results.csv, OUT/chart.png (matplotlib),
#      OUT/raw.txt (every run's RESULT line) and OUT/logs/ (every run's output); prints the tables.
#
# Servers: ws-cpp (bench_server), beast (Boost.Beast), websocketpp, libwebsockets, node-ws (Node's
# ws), floor-libuv, floor-epoll and floor-uring (raw TCP echo on libuv, on epoll, on io_uring; driven
# with wsload --raw), and any server given
# with --extra. uWebSockets is measured that way (it is in no registry that works here; build an
# echo server against it by hand, outside the project, see bench/README.md):
#
#   bash bench/compare.sh --extra uWebSockets=/tmp/uws-build/uws_echo \
#                         --extra-broadcast "uWebSockets=/tmp/uws-build/uws_echo --broadcast"
#
# Shapes (wsload arguments):
#   a  100 connections, 16-byte text, 10 in flight each      -c 100 -s 16 -d 10
#   b  the same, binary                                        -c 100 -s 16 -d 10 --binary
#   c  10 connections, 64 KiB binary, 2 in flight              -c 10 -s 65536 -d 2 --binary
#   d  1 connection, 16 bytes, 1 in flight (latency)           -c 1 -s 16 -d 1
#   e  1,000 connections, 128 bytes, 1 in flight               -c 1000 -s 128 -d 1
#   f  10,000 idle connections: server RSS per connection      --idle 10000
#   g  one 16 MiB message each way, server peak RSS (VmHWM)    --big 16777216
#   h  broadcast of 64-byte messages to 1,000 clients          --broadcast -c 1000 -s 64 -d 10
# The floors get the same pattern with --raw (no (h): raw TCP has no broadcast).
#
# Options:
#   --runs R             rounds per shape (3)
#   --secs T             seconds measured per run, after --warmup W seconds (3 and 1)
#   --quick              1 round, 1 s (+0.5 s warm-up), 2,000 idle connections: a check, not a result
#   --shapes LIST        e.g. a,b,f (all)
#   --servers LIST       e.g. ws-cpp,uWebSockets,floor-libuv (all)
#   --idle N             connections for shape (f) (10000)
#   --extra NAME=CMD     another echo server: CMD PORT must listen on 127.0.0.1:PORT (repeatable)
#   --extra-broadcast NAME=CMD   its broadcast mode for (h) (without it, (h) is n/a for NAME)
#   --ref NAME           the server ratios are taken to (the --extra whose name contains "uws",
#                        any case, if there is one)
#   --floor NAME         the raw TCP floor ratios are taken to (floor-libuv)
#   --wait-quiet SECS    before each run, wait until the rest of the machine is idle (under 10 % of a
#                        core over 0.3 s), spending at most SECS seconds waiting in all (0: off)
#   --build DIR          build directory (build-compare); --out DIR: results (BUILD/results/DATE)
#   --no-install, --no-build   skip steps 1 or 2
#   --report DIR         only write the report (results.md, results.csv, chart.png) again from
#                        DIR's meta.txt and raw.txt (a finished run's results directory)
# Environment: SERVER_CPU (0), LOAD_CPU (1).
#
# Server CPU time per message (from /proc, all threads) is the figure to compare servers by: it
# hardly moves on a busy machine, while msgs/s and latency do. Each run also records how much CPU
# the rest of the machine used meanwhile (other_pct); the report flags a noisy run.
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
runs=3
secs=3
warmup=1
idle_n=10000
idle_hold=1
shapes=a,b,c,d,e,f,g,h
only=""
build="$root/build-compare"
out=""
install=1
do_build=1
ref=""
floor=floor-libuv
quiet_budget=0
extra_names=()
report_only=""
declare -A CMD BCMD KIND

die() { echo "compare.sh: $*" >&2; exit 1; }
usage() { sed -n '2,/^set -uo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; }

while [ $# -gt 0 ]; do
  case $1 in
    --runs) runs=${2:?}; shift ;;
    --secs) secs=${2:?}; shift ;;
    --warmup) warmup=${2:?}; shift ;;
    --quick) runs=1; secs=1; warmup=0.5; idle_n=2000 ;;
    --shapes) shapes=${2:?}; shift ;;
    --servers) only=${2:?}; shift ;;
    --idle) idle_n=${2:?}; shift ;;
    --extra | --extra-broadcast)
      spec=${2:?}
      name=${spec%%=*}
      cmd=${spec#*=}
      [[ $spec == *=* && $name =~ ^[A-Za-z0-9._+-]+$ && -n $cmd ]] || die "$1 wants NAME=COMMAND (NAME: letters, digits, . _ + -)"
      if [ "$1" = --extra ]; then
        [ -n "${CMD[$name]:-}" ] && die "server $name given twice"
        CMD[$name]=$cmd
        KIND[$name]=ws
        extra_names+=("$name")
      else
        BCMD[$name]=$cmd
      fi
      shift ;;
    --ref) ref=${2:?}; shift ;;
    --floor) floor=${2:?}; shift ;;
    --wait-quiet) quiet_budget=${2:?}; shift ;;
    --build) build=${2:?}; shift ;;
    --out) out=${2:?}; shift ;;
    --no-install) install=0 ;;
    --no-build) do_build=0 ;;
    --report) report_only=${2:?}; shift ;;
    -h | --help) usage; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
  shift
done
for n in "${!BCMD[@]}"; do [ -n "${CMD[$n]:-}" ] || die "--extra-broadcast $n without --extra $n"; done
[[ $runs =~ ^[1-9][0-9]*$ ]] || die "--runs wants a positive number"
[[ $idle_n =~ ^[1-9][0-9]*$ ]] || die "--idle wants a positive number"
[[ $quiet_budget =~ ^[0-9]+$ ]] || die "--wait-quiet wants a number of seconds"
if [ -z "$ref" ]; then
  for n in "${extra_names[@]}"; do
    if [[ ${n,,} == *uws* || ${n,,} == *uwebsockets* ]]; then ref=$n; break; fi
  done
fi
scpu=${SERVER_CPU:-0}
lcpu=${LOAD_CPU:-1}
t_start=$SECONDS
py=/usr/bin/python3  # Debian's, with Debian's matplotlib (not whatever python3 comes first on PATH)

# write_report DIR: results.md, results.csv and chart.png from DIR/meta.txt and DIR/raw.txt.
write_report() {
"$py" - "$1" <<'PYEOF'
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
    "g": "(g) one 16 MiB text message each way: time and server peak RSS",
    "h": "(h) broadcast: 64-byte text to 1,000 clients, sender window 10",
}
# The figure each shape is judged by (lower is better), its label, and what the chart shows.
KEY = {"a": "server_cpu_us_per_msg", "b": "server_cpu_us_per_msg", "c": "server_cpu_us_per_msg",
       "d": "p50_us", "e": "server_cpu_us_per_msg", "f": "rss_per_conn", "g": "ms_per_msg",
       "h": "server_cpu_us_per_msg"}
KEYLABEL = {"server_cpu_us_per_msg": "server CPU µs per message", "p50_us": "p50 round trip µs",
            "rss_per_conn": "server RSS bytes per connection", "ms_per_msg": "ms per 16 MiB echo"}

FIELDS = ["msgs_per_s", "deliveries_per_s", "server_cpu_us_per_msg", "server_cpu_pct", "load_cpu_pct",
          "p50_us", "p99_us", "p999_us", "rss_per_conn", "rss_open", "conns", "ms_per_msg", "server_hwm",
          "hwm_growth", "server_cpu_s", "other_pct"]


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
          "echoed (broadcast: per delivery); *vs %s* and *vs %s* divide a server's figure by theirs "
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
            hdr = ["server", "ok", rate, "server µs/msg", "server CPU %", "wsload CPU %", "p50 µs", "p99 µs",
                   "µs/msg vs " + ref_l, "µs/msg vs " + floor_l, rate + " vs " + ref_l, "bound", "other %"]
    elif s == "f":
        hdr = ["server", "ok", "connections", "RSS per conn (B)", "vs " + ref_l, "vs " + floor_l,
               "RSS with all open (MiB)", "other %"]
    else:
        hdr = ["server", "ok", "ms per echo", "vs " + ref_l, "vs " + floor_l, "peak RSS (MiB)",
               "peak growth (MiB)", "growth vs " + ref_l, "server CPU s", "other %"]
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
            row = [sv, ok, fnum(m["msgs_per_s"]), fnum(m["server_cpu_us_per_msg"], 3), fnum(m["server_cpu_pct"], 1),
                   fnum(m["load_cpu_pct"], 1), fnum(m["p50_us"], 1), fnum(m["p99_us"], 1), fr(kr), fr(kf), fr(rr),
                   m["bound"], oth]
        elif s == "f":
            row = [sv, ok, fnum(m["conns"]), fnum(m["rss_per_conn"]), fr(kr), fr(kf),
                   fnum(None if m["rss_open"] is None else m["rss_open"] / 2**20, 1), oth]
        else:
            gr = ratio(s, sv, "hwm_growth", ref)
            row = [sv, ok, fnum(m["ms_per_msg"], 1), fr(kr), fr(kf),
                   fnum(None if m["server_hwm"] is None else m["server_hwm"] / 2**20, 1),
                   fnum(None if m["hwm_growth"] is None else m["hwm_growth"] / 2**20, 1), fr(gr),
                   fnum(m["server_cpu_s"], 3), oth]
        md.append("| " + " | ".join(row) + " |")
        if m["bound"] in ("wsload", "both"):
            capped.append(sv)
        csv_rows.append({
            "shape": s, "server": sv, "runs": m["runs"], "ok": m["ok"],
            **{f: ("" if m.get(f) is None else m[f]) for f in
               ["msgs_per_s", "server_cpu_us_per_msg", "server_cpu_pct", "load_cpu_pct", "p50_us", "p99_us",
                "p999_us", "rss_per_conn", "conns", "ms_per_msg", "server_hwm", "hwm_growth", "server_cpu_s"]},
            "key_metric": key, "key_value": "" if m.get(key) is None else m[key],
            "key_vs_ref": "" if kr is None else round(kr, 4), "key_vs_floor": "" if kf is None else round(kf, 4),
            "cpu_vs_ref": "" if cr is None else round(cr, 4), "cpu_vs_floor": "" if cf is None else round(cf, 4),
            "rate_vs_ref": "" if rr is None else round(rr, 4),
            "bound": m["bound"], "other_pct_max": "" if m["other_max"] is None else m["other_max"], "note": ""})
    if capped:
        md.append("\nwsload saturated its core against %s: their msgs/s is the load generator's ceiling, not "
                  "theirs; compare them by server µs/msg." % ", ".join("`%s`" % c for c in capped))
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

cols = ["shape", "server", "runs", "ok", "msgs_per_s", "server_cpu_us_per_msg", "server_cpu_pct", "load_cpu_pct",
        "p50_us", "p99_us", "p999_us", "rss_per_conn", "conns", "ms_per_msg", "server_hwm", "hwm_growth",
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
PYEOF
}

if [ -n "$report_only" ]; then
  [ -f "$report_only/meta.txt" ] && [ -f "$report_only/raw.txt" ] || die "$report_only has no meta.txt and raw.txt"
  write_report "$report_only" || die "report failed"
  cat "$report_only/results.md"
  echo "== results: $report_only/results.md, $report_only/results.csv, $report_only/chart.png"
  exit 0
fi

# ---- 1. install ---------------------------------------------------------------------------------
# libboost1.81-dev cannot be installed with Debian's default libboost-dev (1.74): apt replaces it.
# websocketpp (ours and tests/interop's) builds with either.
packages=(build-essential cmake ninja-build pkgconf libuv1-dev libssl-dev zlib1g-dev libsimdjson-dev
          libcli11-dev libbenchmark-dev libboost1.81-dev libwebsocketpp-dev libwebsockets-dev liburing-dev
          python3 python3-matplotlib iproute2 util-linux coreutils)
if [ "$install" = 1 ]; then
  missing=()
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  command -v node >/dev/null 2>&1 || missing+=(nodejs npm)
  if [ ${#missing[@]} -gt 0 ]; then
    echo "== installing from Debian: ${missing[*]}"
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO=sudo
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq || die "apt-get update failed"
    $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || die "apt-get install failed"
  fi
  peers="$root/tests/peers"
  want=$("$py" -c 'import json,sys; print(json.load(open(sys.argv[1]))["packages"]["node_modules/ws"]["version"])' \
         "$peers/package-lock.json" 2>/dev/null)
  have=$("$py" -c 'import json,sys; print(json.load(open(sys.argv[1]))["version"])' \
         "$peers/node_modules/ws/package.json" 2>/dev/null)
  if [ -z "$have" ] || [ "$have" != "$want" ]; then
    echo "== npm ci in tests/peers (ws ${want:-?})"
    (cd "$peers" && npm ci --no-audit --no-fund --loglevel=error >/dev/null) || die "npm ci failed"
  fi
fi

# ---- 2. build -----------------------------------------------------------------------------------
bin="$build/bench"
pbin="$build/peers"
if [ "$do_build" = 1 ]; then
  echo "== building ws-cpp (Release) into $build"
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DWS_BUILD_BENCH=ON \
        -DWS_BUILD_TESTS=OFF -DWS_BUILD_EXAMPLES=OFF -DWS_BUILD_TOOLS=OFF >"$build.cmake.log" 2>&1 ||
    { cat "$build.cmake.log"; die "cmake (ws-cpp) failed"; }
  ninja -C "$build" bench_server wsload floor_libuv_echo floor_epoll_echo floor_uring_echo >"$build.ninja.log" 2>&1 ||
    { tail -50 "$build.ninja.log"; die "build (ws-cpp) failed"; }
  echo "== building the peers (bench/peers) into $pbin"
  cmake -S "$root/bench/peers" -B "$pbin" -G Ninja -DCMAKE_BUILD_TYPE=Release -DWS_BUILD_BENCH_PEERS=ON \
        >"$pbin.cmake.log" 2>&1 || { cat "$pbin.cmake.log"; die "cmake (peers) failed"; }
  ninja -C "$pbin" >"$pbin.ninja.log" 2>&1 || { tail -50 "$pbin.ninja.log"; die "build (peers) failed"; }
fi
for f in "$bin/wsload" "$bin/bench_server" "$bin/floor_libuv_echo" "$bin/floor_epoll_echo" "$bin/floor_uring_echo" \
         "$pbin/beast_echo" "$pbin/websocketpp_echo" "$pbin/lws_echo"; do
  [ -x "$f" ] || die "$f is missing (build first, or drop --no-build)"
done
t_built=$SECONDS

q() { printf '%q' "$1"; }
CMD[ws-cpp]="$(q "$bin/bench_server")";            BCMD[ws-cpp]="$(q "$bin/bench_server") --broadcast"
CMD[beast]="$(q "$pbin/beast_echo")";              BCMD[beast]="$(q "$pbin/beast_echo") --broadcast"
CMD[websocketpp]="$(q "$pbin/websocketpp_echo")";  BCMD[websocketpp]="$(q "$pbin/websocketpp_echo") --broadcast"
CMD[libwebsockets]="$(q "$pbin/lws_echo")";        BCMD[libwebsockets]="$(q "$pbin/lws_echo") --broadcast"
node_js="$root/bench/peers/node_ws_echo.js"
CMD[node-ws]="$(q "$(command -v node)") $(q "$node_js")"
BCMD[node-ws]="${CMD[node-ws]} --broadcast"
CMD[floor-libuv]="$(q "$bin/floor_libuv_echo")"
CMD[floor-epoll]="$(q "$bin/floor_epoll_echo")"
CMD[floor-uring]="$(q "$bin/floor_uring_echo")"
for n in ws-cpp beast websocketpp libwebsockets node-ws; do KIND[$n]=ws; done
KIND[floor-libuv]=raw
KIND[floor-epoll]=raw
KIND[floor-uring]=raw
servers=(ws-cpp "${extra_names[@]}" beast websocketpp libwebsockets node-ws floor-libuv floor-epoll floor-uring)
if [ -n "$only" ]; then
  sel=()
  for s in "${servers[@]}"; do [[ ",$only," == *",$s,"* ]] && sel+=("$s"); done
  [ ${#sel[@]} -gt 0 ] || die "--servers $only matches none of: ${servers[*]}"
  servers=("${sel[@]}")
fi
[ -n "$ref" ] && [ -z "${CMD[$ref]:-}" ] && die "--ref $ref is not a server"

# ---- limits: descriptors and ports for (f) ------------------------------------------------------
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null
nofile=$(ulimit -n)
read -r port_lo port_hi </proc/sys/net/ipv4/ip_local_port_range
ports=$((port_hi - port_lo + 1))
if [[ ",$shapes," == *",f,"* ]]; then
  cap=$idle_n
  [ "$nofile" != unlimited ] && [ $((nofile - 100)) -lt "$cap" ] && cap=$((nofile - 100))
  [ $((ports - 1000)) -lt "$cap" ] && cap=$((ports - 1000))
  if [ "$cap" -lt "$idle_n" ]; then
    echo "compare.sh: WARNING: shape (f) reduced to $cap connections (open files: $nofile, ephemeral ports $port_lo-$port_hi)"
    idle_n=$cap
  fi
fi

# ---- shapes -------------------------------------------------------------------------------------
declare -A WSARGS RAWARGS
WSARGS[a]="-c 100 -s 16 -d 10";                 RAWARGS[a]="--raw -c 100 -s 16 -d 10"
WSARGS[b]="-c 100 -s 16 -d 10 --binary";        RAWARGS[b]="--raw -c 100 -s 16 -d 10"
WSARGS[c]="-c 10 -s 65536 -d 2 --binary";       RAWARGS[c]="--raw -c 10 -s 65536 -d 2"
WSARGS[d]="-c 1 -s 16 -d 1";                    RAWARGS[d]="--raw -c 1 -s 16 -d 1"
WSARGS[e]="-c 1000 -s 128 -d 1";                RAWARGS[e]="--raw -c 1000 -s 128 -d 1"
WSARGS[f]="--idle $idle_n -t $idle_hold";       RAWARGS[f]="--raw --idle $idle_n -t $idle_hold"
WSARGS[g]="--big 16777216";                     RAWARGS[g]="--raw --big 16777216"
WSARGS[h]="--broadcast -c 1000 -s 64 -d 10";    RAWARGS[h]=""
shape_list=()
IFS=, read -ra req <<<"$shapes"
for s in "${req[@]}"; do
  [ -n "${WSARGS[$s]:-}" ] || die "unknown shape '$s' (a-h)"
  shape_list+=("$s")
done

# ---- output -------------------------------------------------------------------------------------
[ -z "$out" ] && out="$build/results/$(date +%Y%m%d-%H%M%S)"
mkdir -p "$out/logs" || die "cannot create $out"
raw="$out/raw.txt"
: >"$raw"
tmp=$(mktemp -d)

spid=""
mpid=""
cleanup() {
  stop_server
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'echo "compare.sh: interrupted"; exit 130' INT TERM

alive() {  # PID: running (not a zombie)
  local st
  st=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
  [[ $st != Z* ]]
}

stop_server() {
  [ -n "$spid" ] || return 0
  kill -TERM "$spid" 2>/dev/null
  for _ in $(seq 100); do alive "$spid" || break; sleep 0.05; done
  alive "$spid" && kill -KILL "$spid" 2>/dev/null
  wait "$spid" 2>/dev/null
  if [ -n "$mpid" ] && [ "$mpid" != "$spid" ] && alive "$mpid"; then kill -KILL "$mpid" 2>/dev/null; fi
  spid=""
  mpid=""
}

next_port=20000
pick_port() {
  while :; do
    next_port=$((next_port + 1))
    [ $next_port -gt 29999 ] && next_port=20001
    [ -z "$(ss -Htan "sport = :$next_port" 2>/dev/null)" ] && break
  done
  port=$next_port
}

# start_server ID MODE LOG: starts the server pinned on SERVER_CPU with a free port appended to its
# command; waits until that port listens. Sets spid (ours), mpid (the process that listens: the
# one measured), port.
start_server() {
  local id=$1 mode=$2 log=$3 cmd
  cmd=${CMD[$id]}
  [ "$mode" = broadcast ] && cmd=${BCMD[$id]}
  pick_port
  taskset -c "$scpu" bash -c "exec $cmd $port" >"$log" 2>&1 </dev/null &
  spid=$!
  mpid=""
  for _ in $(seq 300); do
    alive "$spid" || break
    mpid=$(ss -Htlnp "sport = :$port" 2>/dev/null | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2)
    [ -n "$mpid" ] && return 0
    sleep 0.05
  done
  return 1
}

cpu_jiffies() {  # "busy total" of the whole machine
  awk '/^cpu / { t = 0; for (i = 2; i <= 9; i++) t += $i; print t - $5 - $6, t; exit }' /proc/stat
}
proc_jiffies() {  # utime + stime of PID (all threads)
  awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat" 2>/dev/null || echo 0
}
# children_secs VAR: CPU seconds of this shell's reaped children (bash `times`, second line), into
# VAR. Not in a $( ) subshell, whose `times` would count its own children.
children_secs() {
  times >"$tmp/times"
  printf -v "$1" '%s' "$(awk 'NR == 2 { s = 0; for (i = 1; i <= 2; i++) { split($i, a, "m"); sub("s", "", a[2]); s += a[1] * 60 + a[2] } print s }' "$tmp/times")"
}
hz=$(getconf CLK_TCK)

# wait_quiet: with no server running, waits until the machine is idle (other sessions' builds,
# say), within what is left of the --wait-quiet budget.
quiet_waited=0
wait_quiet() {
  local b0 a0 b1 a1 t0
  while [ "$quiet_waited" -lt "$quiet_budget" ]; do
    read -r b0 a0 < <(cpu_jiffies)
    sleep 0.3
    read -r b1 a1 < <(cpu_jiffies)
    [ $(((b1 - b0) * 1000 / hz)) -le 30 ] && return 0  # at most 30 ms busy in 300 ms: 10 % of a core
    t0=$SECONDS
    sleep 2
    quiet_waited=$((quiet_waited + SECONDS - t0))
  done
}

# run_attempt SHAPE ID ROUND: one run; its line for raw.txt in last_line, last_noisy=1 when other
# processes used more than 10 % of a core during a run of at least a second.
run_attempt() {
  local shape=$1 id=$2 r=$3 args mode=echo slog llog
  last_noisy=0
  if [ "${KIND[$id]}" = raw ]; then args=${RAWARGS[$shape]}; else args=${WSARGS[$shape]}; fi
  [ "$shape" = h ] && mode=broadcast
  if [ -z "$args" ] || { [ "$mode" = broadcast ] && [ -z "${BCMD[$id]:-}" ]; }; then
    last_line="shape=$shape server=$id run=$r rc=na"
    return
  fi
  case $shape in
    f | g) ;;
    *) args="$args -t $secs -w $warmup" ;;
  esac
  wait_quiet
  slog="$out/logs/$shape.$id.r$r.server.log"
  llog="$out/logs/$shape.$id.r$r.wsload.log"
  if ! start_server "$id" "$mode" "$slog"; then
    last_line="shape=$shape server=$id run=$r rc=start"
    printf '  (%s) run %d %-14s did not start: %s\n' "$shape" "$r" "$id" "$(head -c 300 "$slog" | tr '\n' ' ')"
    stop_server
    return
  fi
  [ -z "${banner[$id]:-}" ] && banner[$id]=$(head -1 "$slog")
  local a0 b0 p0 c0 a1 b1 p1 c1 t0 t1 rc
  read -r b0 a0 < <(cpu_jiffies)
  p0=$(proc_jiffies "$mpid")
  children_secs c0
  t0=$(date +%s.%N)
  # shellcheck disable=SC2086
  timeout 300 taskset -c "$lcpu" "$bin/wsload" "127.0.0.1:$port" $args --server-pid "$mpid" >"$llog" 2>&1
  rc=$?
  t1=$(date +%s.%N)
  children_secs c1
  p1=$(proc_jiffies "$mpid")
  read -r b1 a1 < <(cpu_jiffies)
  stop_server
  local extra
  extra=$(awk -v b0="$b0" -v b1="$b1" -v p0="$p0" -v p1="$p1" -v c0="$c0" -v c1="$c1" -v t0="$t0" -v t1="$t1" -v hz="$hz" \
    'BEGIN { span = t1 - t0; busy = (b1 - b0) / hz; srv = (p1 - p0) / hz; ld = c1 - c0;
             other = busy - srv - ld; if (other < 0) other = 0;
             printf "span_s=%.2f busy_pct=%.1f other_pct=%.1f", span, 100 * busy / span, 100 * other / span }')
  local result
  result=$(grep '^RESULT ' "$llog" | tail -1)
  [ -z "$result" ] && result="RESULT status=fail"
  last_line="shape=$shape server=$id run=$r rc=$rc $extra $result"
  last_noisy=$(awk -v e="$extra" 'BEGIN { n = split(e, f, /[ =]/); print (f[2] >= 1 && f[6] > 10) ? 1 : 0 }')
  local show
  show=$(grep -oE ' (msgs_per_s|deliveries_per_s|server_cpu_us_per_msg|server_cpu_pct|load_cpu_pct|p50_us|p99_us|rss_per_conn|ms_per_msg|server_hwm)=[0-9.]+' <<<"$result" | tr -d '\n')
  [ $rc -ne 0 ] && show=" FAILED (rc=$rc): $(grep -m1 'FAIL' "$llog" | head -c 200)"
  printf '  (%s) run %d %-14s%s %s\n' "$shape" "$r" "$id" "$show" "${extra##* }"
}

# run_one SHAPE ID ROUND: a run; with --wait-quiet, a noisy one is run again (once).
run_one() {
  run_attempt "$@"
  if [ "$last_noisy" = 1 ] && [ "$quiet_budget" -gt 0 ]; then
    echo "       noisy: once more"
    run_attempt "$@"
  fi
  echo "$last_line" >>"$raw"
}

declare -A banner
echo "== $(date '+%F %T'): ${#shape_list[@]} shapes x ${#servers[@]} servers x $runs rounds, ${secs} s (+${warmup} s warm-up) per run;" \
     "server on CPU $scpu, wsload on CPU $lcpu; open files $nofile; ports $port_lo-$port_hi; results in $out"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
echo "   load average before: $load_before"
for shape in "${shape_list[@]}"; do
  echo "== shape ($shape): wsload ${WSARGS[$shape]}"
  for r in $(seq "$runs"); do
    for id in "${servers[@]}"; do run_one "$shape" "$id" "$r"; done
  done
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
echo "   load average after: $load_after"
t_end=$SECONDS

# ---- metadata and report ------------------------------------------------------------------------
{
  echo "date=$(date '+%F %T %Z')"
  echo "cpu=$(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores"
  echo "kernel=$(uname -sr)"
  echo "compiler=$(c++ --version 2>/dev/null | head -1)"
  echo "libuv=$(pkg-config --modversion libuv 2>/dev/null)"
  echo "ws-cpp=$(git -C "$root" rev-parse --short HEAD 2>/dev/null)$(git -C "$root" --no-optional-locks status --porcelain -- src include 2>/dev/null | grep -q . && echo ' (+ uncommitted changes in src/ or include/)')"
  echo "runs=$runs"
  echo "secs=$secs"
  echo "warmup=$warmup"
  echo "idle=$idle_n"
  echo "pinning=server on CPU $scpu, wsload on CPU $lcpu"
  echo "load_before=$load_before"
  echo "load_after=$load_after"
  echo "build_s=$((t_built - t_start))"
  echo "run_s=$((t_end - t_built))"
  echo "quiet_waited=$quiet_waited"
  echo "ref=$ref"
  echo "floor=$floor"
  echo "servers=${servers[*]}"
  echo "shapes=${shape_list[*]}"
  for id in "${servers[@]}"; do echo "banner.$id=${banner[$id]:-}"; done
  for id in "${extra_names[@]}"; do echo "command.$id=${CMD[$id]}"; done
} >"$out/meta.txt"

write_report "$out" || die "report failed (raw results in $raw)"
echo
cat "$out/results.md"
echo
echo "== results: $out/results.md, $out/results.csv, $out/chart.png"
echo "== took $((SECONDS - t_start)) s: build $((t_built - t_start)) s, runs $((t_end - t_built)) s"
