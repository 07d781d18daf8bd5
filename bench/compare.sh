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
#   3. runs every shape against every server, interleaved (for each shape, R rounds over all
#      servers, each round starting one server further on: A B C, B C A, C A B, ...), each server
#      started fresh for each run, pinned to SERVER_CPU (0)
#      with wsload pinned to LOAD_CPU (1), stopped by PID;
#   4. writes OUT/results.md (one table per shape: medians, ratios to uWebSockets and to the raw
#      TCP floor, which process was saturated), OUT/results.csv, OUT/chart.png (matplotlib),
#      OUT/raw.txt (every run's RESULT line) and OUT/logs/ (every run's output); prints the tables.
#
# Servers: ws-cpp (bench_server), beast (Boost.Beast), websocketpp, libwebsockets, node-ws (Node's
# ws), floor-libuv, floor-epoll and floor-uring (raw TCP echo on libuv, on epoll, on io_uring; driven
# with wsload --raw), floor-batch (the epoll floor with each iteration's sends in one io_uring
# submit; only when --servers names it), and any server given
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
#   g  16 MiB each way, 6 in turn: first and later echoes,     --big 16777216 --count 6
#      server peak RSS (VmHWM)
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
# shellcheck source-path=SCRIPTDIR source=bench_lib.sh
. "$root/bench/bench_lib.sh"
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
    --extra | --extra-broadcast) add_extra "$1" "${2:?}"; shift ;;
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
[ -n "$ref" ] || ref=$(default_ref)
scpu=${SERVER_CPU:-0}
lcpu=${LOAD_CPU:-1}
t_start=$SECONDS
py=/usr/bin/python3  # Debian's, with Debian's matplotlib (not whatever python3 comes first on PATH)

# write_report DIR: results.md, results.csv and chart.png from DIR/meta.txt and DIR/raw.txt.
write_report() {
  "$py" "$root/bench/compare_report.py" "$1"
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
  ninja -C "$build" bench_server wsload floor_libuv_echo floor_epoll_echo floor_uring_echo floor_batch_echo \
        >"$build.ninja.log" 2>&1 ||
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

define_servers "$bin" "$pbin" "$root"
servers=(ws-cpp "${extra_names[@]}" beast websocketpp libwebsockets node-ws floor-libuv floor-epoll floor-uring)
if [ -n "$only" ]; then
  sel=()
  # floor-batch (the epoll floor with batched sends) runs only when named here.
  for s in "${servers[@]}" floor-batch; do [[ ",$only," == *",$s,"* ]] && sel+=("$s"); done
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
define_shapes "$idle_n" "$idle_hold"
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
    # Round r starts at the r-th server (A B C, B C A, C A B, ...): no server always runs first,
    # right after another shape's heaviest run, or right after the same neighbour.
    n=${#servers[@]}
    for k in $(seq 0 $((n - 1))); do run_one "$shape" "${servers[$(((r - 1 + k) % n))]}" "$r"; done
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
