#!/usr/bin/env bash
# instructions.sh: the user-space instructions each server executes per message, counted by
# callgrind (valgrind) while wsload drives it with compare.sh's shapes. Unlike CPU time, the
# count does not move with a busy machine, so it is the figure to compare user-space work by;
# it leaves out the kernel (about 90 % of every server's CPU at the small shapes here), so it
# says nothing about system calls: compare.sh measures those costs.
#
#   bash bench/instructions.sh [options]
#
# For each shape and server: starts the server under `valgrind --tool=callgrind`, pinned to
# SERVER_CPU (0), and wsload on LOAD_CPU (1) with --window-hook, which zeroes the server's
# counters (callgrind_control -z) as the measured window opens and dumps them (-d) as it
# closes; divides the dump's total by the messages wsload counted in the window (broadcast: by
# the deliveries). Counted: everything the process runs in user space, libc and the other
# libraries included. Under callgrind a server runs some 50 times slower, so wsload waits
# longer for each echo, but each server still sees the shape's pattern of reads (at most the
# messages in flight per read); the echoes the server sends while the closing dump is taken
# are on its side of the count only (at most the messages in flight: under 0.5 % here).
#
# Options:
#   --build DIR          ws-cpp's Release build with the benchmarks, and the peers in DIR/peers
#                        when built (compare.sh's; build-compare); built here when missing
#   --shapes LIST        of compare.sh's throughput shapes a, b, c, e, h (a,e)
#   --servers LIST       ws-cpp, the --extra ones, beast, websocketpp, libwebsockets, floor-libuv,
#                        floor-epoll (all that are built; not Node's ws: a JIT under valgrind
#                        says little)
#   --extra NAME=CMD     another echo server, as for compare.sh (CMD PORT listens on 127.0.0.1)
#   --extra-broadcast NAME=CMD   its broadcast mode, for (h)
#   --ref NAME           the server ratios are taken to (the --extra whose name contains "uws")
#   --secs T, --warmup W seconds counted, after W seconds of load (5 and 2)
#   --cache LINES        also simulate caches (callgrind --cache-sim): fully associative, LRU,
#                        LINES lines of 64 bytes for code and as many for data; reports their
#                        misses per message. A stand-in for the kernel's work between two visits
#                        to a connection, which callgrind does not see: a small cache forgets
#                        between visits as L1 does then. With 128 lines the loop's own state
#                        stays and each visit misses on the connection's own lines only; with 32,
#                        little stays, and the misses count most of what a visit touches
#   --out DIR            results.md, raw.txt, logs/ (instructions-YYYYmmdd-HHMMSS)
#
# Example, with uWebSockets built by hand as bench/README.md says:
#   bash bench/instructions.sh --extra uWebSockets=/tmp/uws-build/uws_echo --shapes a,b,c,e
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=$root/build-compare
shapes=a,e
only=""
secs=5
warmup=2
ref=""
out=""
cache=""
extra_names=()
declare -A CMD BCMD KIND

die() { echo "instructions.sh: $*" >&2; exit 1; }
# shellcheck source-path=SCRIPTDIR source=bench_lib.sh
. "$root/bench/bench_lib.sh"
usage() { sed -n '2,/^set -uo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; }

while [ $# -gt 0 ]; do
  case $1 in
    --build) build=${2:?}; shift ;;
    --shapes) shapes=${2:?}; shift ;;
    --servers) only=${2:?}; shift ;;
    --extra | --extra-broadcast) add_extra "$1" "${2:?}"; shift ;;
    --ref) ref=${2:?}; shift ;;
    --secs) secs=${2:?}; shift ;;
    --warmup) warmup=${2:?}; shift ;;
    --out) out=${2:?}; shift ;;
    --cache) cache=${2:?}; shift ;;
    -h | --help) usage; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
  shift
done
[ -n "$out" ] || out=$root/instructions-$(date +%Y%m%d-%H%M%S)
[ -n "$ref" ] || ref=$(default_ref)
scpu=${SERVER_CPU:-0}
lcpu=${LOAD_CPU:-1}

# compare.sh's shapes, the throughput ones.
define_shapes 0 0
IFS=, read -r -a shape_list <<<"$shapes"
for s in "${shape_list[@]}"; do [[ $s == [abceh] ]] || die "unknown shape '$s' (a, b, c, e, h)"; done
cg_opts=""
if [ -n "$cache" ]; then
  if ! [[ $cache =~ ^[0-9]+$ ]] || [ "$cache" -lt 2 ] || [ "$cache" -gt 4096 ] || [ $((cache & (cache - 1))) -ne 0 ]; then
    die "--cache wants a power of two from 2 to 4096 (lines), not '$cache'"
  fi
  # Fully associative: one set of LINES ways. The last level is this VM's L2 (1 MiB, 16 ways);
  # it is reported too, but the kernel evicts from it as well, unseen.
  cg_opts="--cache-sim=yes --I1=$((cache * 64)),$cache,64 --D1=$((cache * 64)),$cache,64 --LL=1048576,16,64"
fi

# ---- what it needs --------------------------------------------------------------------------
if ! command -v valgrind >/dev/null || ! command -v callgrind_control >/dev/null; then
  echo "== installing valgrind from Debian"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq || die "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends valgrind >/dev/null ||
    die "cannot install valgrind"
fi
bin=$build/bench
pbin=$build/peers
if [ ! -x "$bin/wsload" ] || [ ! -x "$bin/bench_server" ] || [ ! -x "$bin/floor_libuv_echo" ]; then
  echo "== building ws-cpp (Release) into $build (bash scripts/install-deps.sh installs what it needs)"
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DWS_BUILD_BENCH=ON -DWS_BUILD_TESTS=OFF \
        -DWS_BUILD_EXAMPLES=OFF -DWS_BUILD_TOOLS=OFF >/dev/null || die "cmake failed"
  ninja -C "$build" bench_server wsload floor_libuv_echo floor_epoll_echo >/dev/null || die "build failed"
fi

define_servers "$bin" "$pbin" "$root"
built() { [ -x "$1" ] || [[ " ${extra_names[*]} " == *" $2 "* ]]; }
servers=()
for s in ws-cpp "${extra_names[@]}" beast websocketpp libwebsockets floor-libuv floor-epoll; do
  case $s in
    beast) built "$pbin/beast_echo" "$s" || continue ;;
    websocketpp) built "$pbin/websocketpp_echo" "$s" || continue ;;
    libwebsockets) built "$pbin/lws_echo" "$s" || continue ;;
  esac
  if [ -z "$only" ] || [[ ",$only," == *",$s,"* ]]; then servers+=("$s"); fi
done
[ ${#servers[@]} -gt 0 ] || die "--servers $only matches none that is built"
floor="floor-libuv"
[[ " ${servers[*]} " == *" $floor "* ]] || floor=""
[[ " ${servers[*]} " == *" $ref "* ]] || ref=""

mkdir -p "$out/logs" "$out/cg" || die "cannot write $out"
raw=$out/raw.txt
: >"$raw"
tmp=$(mktemp -d)
spid=""
mpid=""  # stop_server's (the process that listens, when it is not spid: never here)
cleanup() {
  stop_server
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'echo "instructions.sh: interrupted"; exit 130' INT TERM

# run SHAPE ID: one count; appends "shape= server= msgs= instructions= per_msg=" to raw.txt.
run() {
  local shape=$1 id=$2 cmd args slog llog prefix hook rc total msgs pid
  if [ "${KIND[$id]}" = raw ]; then args=${RAWARGS[$shape]}; else args=${WSARGS[$shape]}; fi
  cmd=${CMD[$id]}
  if [ "$shape" = h ]; then cmd=${BCMD[$id]:-}; fi
  if [ -z "$args" ] || [ -z "$cmd" ]; then
    echo "shape=$shape server=$id status=na" >>"$raw"
    return
  fi
  slog=$out/logs/$shape.$id.server.log
  llog=$out/logs/$shape.$id.wsload.log
  prefix=$out/cg/$shape.$id
  rm -f "$prefix".*
  pick_port
  # shellcheck disable=SC2086
  taskset -c "$scpu" bash -c "exec valgrind --tool=callgrind $cg_opts --callgrind-out-file=$(printf %q "$prefix").%p $cmd $port" \
    >"$slog" 2>&1 </dev/null &
  spid=$!
  pid=$spid
  for _ in $(seq 600); do
    alive "$spid" || break
    [ -n "$(ss -Htln "sport = :$port" 2>/dev/null)" ] && break
    sleep 0.1
  done
  if [ -z "$(ss -Htln "sport = :$port" 2>/dev/null)" ]; then
    echo "shape=$shape server=$id status=start" >>"$raw"
    printf '  (%s) %-14s did not start: %s\n' "$shape" "$id" "$(tail -c 300 "$slog" | tr '\n' ' ')"
    stop_server
    return
  fi
  # valgrind runs the program in its own process: the PID is ours (bash and taskset exec).
  hook=$tmp/hook.$id.sh
  # shellcheck disable=SC2016  # $1 is the hook's own argument
  printf '#!/bin/sh\ncase $1 in begin) exec callgrind_control -z %s ;; end) exec callgrind_control -d %s ;; esac >/dev/null\n' \
    "$spid" "$spid" >"$hook"
  chmod +x "$hook"
  # shellcheck disable=SC2086
  timeout 600 taskset -c "$lcpu" "$bin/wsload" "127.0.0.1:$port" $args -t "$secs" -w "$warmup" \
    --stall-timeout 60 --window-hook "$hook" >"$llog" 2>&1
  rc=$?
  stop_server
  # The window's dump is the first one callgrind_control asked for: PREFIX.PID.1.
  total=$(awk '/^(summary|totals):/ { print $2; exit }' "$prefix.$pid.1" 2>/dev/null)
  msgs=$(grep '^RESULT ' "$llog" | tail -1 | grep -o ' msgs=[0-9]*' | cut -d= -f2)
  if [ $rc -ne 0 ] || [ -z "$total" ] || [ -z "$msgs" ] || [ "$msgs" = 0 ]; then
    echo "shape=$shape server=$id status=fail rc=$rc" >>"$raw"
    printf '  (%s) %-14s FAILED (rc=%s): %s\n' "$shape" "$id" "$rc" "$(grep -m1 FAIL "$llog" | head -c 200)"
    return
  fi
  misses=""
  if [ -n "$cache" ]; then
    # The events line names the columns of the totals line (Ir Dr Dw I1mr D1mr D1mw ILmr DLmr DLmw).
    misses=$(awk -v m="$msgs" '/^events:/ { for (i = 2; i <= NF; i++) col[$i] = i }
      /^(summary|totals):/ { printf " i1_misses=%.2f d1_misses=%.2f ll_misses=%.2f", $col["I1mr"] / m,
        ($col["D1mr"] + $col["D1mw"]) / m, ($col["ILmr"] + $col["DLmr"] + $col["DLmw"]) / m; exit }' "$prefix.$pid.1")
  fi
  echo "shape=$shape server=$id status=ok msgs=$msgs instructions=$total per_msg=$(awk -v t="$total" -v m="$msgs" 'BEGIN { printf "%.1f", t / m }')$misses" >>"$raw"
  printf '  (%s) %-14s %10s messages  %8.1f instructions per message\n' "$shape" "$id" "$msgs" \
    "$(awk -v t="$total" -v m="$msgs" 'BEGIN { print t / m }')"
}

echo "== $(date '+%F %T'): shapes ${shape_list[*]} x servers ${servers[*]}; ${secs} s counted after ${warmup} s;" \
     "server under callgrind on CPU $scpu, wsload on CPU $lcpu; results in $out"
for shape in "${shape_list[@]}"; do
  echo "== shape ($shape): wsload ${WSARGS[$shape]}"
  for id in "${servers[@]}"; do run "$shape" "$id"; done
done

# ---- report ---------------------------------------------------------------------------------
per() { awk -v s="$1" -v v="$2" '$1 == "shape=" s && $2 == "server=" v && $3 == "status=ok" { sub("per_msg=", "", $6); print $6 }' "$raw"; }
# field SHAPE ID NAME: the NAME= value of that run (the cache model's misses).
field() { awk -v s="$1" -v v="$2" -v n="$3=" '$1 == "shape=" s && $2 == "server=" v && $3 == "status=ok" {
  for (i = 7; i <= NF; i++) if (index($i, n) == 1) print substr($i, length(n) + 1) }' "$raw"; }
{
  echo "# User-space instructions per message (callgrind)"
  echo
  echo "$(date '+%F %T %Z'), $(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -1), $(uname -sr)," \
       "$(valgrind --version), ws-cpp $(git -C "$root" rev-parse --short HEAD 2>/dev/null)$(git -C "$root" --no-optional-locks status --porcelain -- src include 2>/dev/null | grep -q . && echo ' (+ uncommitted changes in src/ or include/)')." \
       "${secs} s counted after ${warmup} s of load; the server's whole user space (libraries included)," \
       "divided by the messages echoed in the window (broadcast: deliveries). Reference: \`${ref:-none}\`;" \
       "floor: \`${floor:-none}\`."
  if [ -n "$cache" ]; then
    echo
    echo "Cache model (\`--cache $cache\`): callgrind's simulation of a fully associative LRU cache of $cache lines" \
         "of 64 bytes for code (*I1 misses*) and as many for data (*D1 misses*), per message. The kernel's own" \
         "accesses are not simulated, so this models what survives between two visits to a connection only" \
         "by the cache's small size."
  fi
  for shape in "${shape_list[@]}"; do
    echo
    echo "## ($shape) wsload ${WSARGS[$shape]}"
    echo
    if [ -n "$cache" ]; then
      echo "| server | instructions per message | vs ${ref:-ref} | vs ${floor:-floor} | I1 misses | D1 misses |"
      echo "| --- | ---: | ---: | ---: | ---: | ---: |"
    else
      echo "| server | instructions per message | vs ${ref:-ref} | vs ${floor:-floor} |"
      echo "| --- | ---: | ---: | ---: |"
    fi
    r=$([ -n "$ref" ] && per "$shape" "$ref")
    f=$([ -n "$floor" ] && per "$shape" "$floor")
    for id in "${servers[@]}"; do
      v=$(per "$shape" "$id")
      if [ -z "$v" ]; then echo "| $id | – | – | – |$([ -n "$cache" ] && echo ' – | – |')"; continue; fi
      extra=""
      [ -n "$cache" ] && extra=" $(field "$shape" "$id" i1_misses) | $(field "$shape" "$id" d1_misses) |"
      awk -v id="$id" -v v="$v" -v r="$r" -v f="$f" -v x="$extra" 'BEGIN {
        vr = "–"; vf = "–"
        if (r + 0 > 0) vr = sprintf("%.2f", v / r)
        if (f + 0 > 0) vf = sprintf("%.2f", v / f)
        printf "| %s | %.0f | %s | %s |%s\n", id, v, vr, vf, x }'
    done
  done
} >"$out/results.md"
echo
cat "$out/results.md"
echo
echo "== results: $out/results.md, $out/raw.txt"
