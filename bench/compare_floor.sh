#!/usr/bin/env bash
# ws-cpp's bench_server against its floors (a bare libuv echo, a bare epoll echo) on one load
# shape, runs interleaved (A B C A B C ...), server and wsload pinned to different cores;
# and, where it was built, a bare io_uring echo;
# prints every run and the medians, with the server's CPU time per message (the figure that
# survives a noisy machine) and the ratio to the libuv floor.
#
#   compare_floor.sh BIN_DIR [RUNS] [SECONDS] [-- WSLOAD SHAPE ARGS]
#
#   BIN_DIR   where wsload, bench_server and the floors were built (build/bench)
#   RUNS      rounds (3 by default); SECONDS measured per run (5; after 1 s of warm-up)
#   shape     -c 100 -s 16 -d 10 by default: shape (a), 100 connections, 16-byte text,
#             10 in flight each (the floors get the same pattern with --raw)
#
# Cores: SERVER_CPU (0) for the server, LOAD_CPU (1) for wsload. Check server_cpu_pct: near 100
# means the server was the bottleneck; load_cpu_pct near 100 means wsload was.
set -uo pipefail
bin=${1:?usage: compare_floor.sh BIN_DIR [RUNS] [SECONDS] [-- WSLOAD ARGS]}
shift
runs=${1:-3}
[ $# -gt 0 ] && shift
secs=${1:-5}
[ $# -gt 0 ] && shift
[ "${1:-}" = "--" ] && shift
shape=("$@")
[ ${#shape[@]} -eq 0 ] && shape=(-c 100 -s 16 -d 10)
scpu=${SERVER_CPU:-0}
lcpu=${LOAD_CPU:-1}
tmp=$(mktemp -d)
server_pid=""
trap '[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; rm -rf "$tmp"' EXIT

servers=(bench_server floor_libuv_echo floor_epoll_echo)
# The io_uring floor is built only where liburing-dev is installed.
[ -x "$bin/floor_uring_echo" ] && servers+=(floor_uring_echo)

# run_one NAME: starts NAME pinned, drives it, stops it by PID; appends its RESULT to a file.
run_one() {
  local name=$1 log="$tmp/$1.server.log" port="" raw=()
  [ "$name" != bench_server ] && raw=(--raw)
  taskset -c "$scpu" "$bin/$name" 0 >"$log" 2>&1 &
  server_pid=$!
  for _ in $(seq 200); do
    port=$(sed -n 's/.*listening on [^0-9]*127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' "$log" | head -1)
    [ -n "$port" ] && break
    sleep 0.05
  done
  [ -n "$port" ] || { echo "$name did not start"; cat "$log"; exit 1; }
  local out
  out=$(timeout $((secs + 60)) taskset -c "$lcpu" "$bin/wsload" "$port" "${raw[@]}" "${shape[@]}" \
        -t "$secs" -w 1 --server-pid "$server_pid" 2>&1)
  local rc=$?
  kill "$server_pid" 2>/dev/null
  wait "$server_pid" 2>/dev/null
  server_pid=""
  if [ $rc -ne 0 ]; then
    echo "wsload against $name failed:"
    echo "$out"
    exit 1
  fi
  grep '^RESULT ' <<<"$out" >>"$tmp/$name.results"
}

field() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p"; }
median() { sort -n | awk '{a[NR]=$1} END {if (NR == 0) print "?"; else if (NR % 2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

echo "shape: ${shape[*]}; $runs runs of ${secs} s (+1 s warm-up), server on CPU $scpu, wsload on CPU $lcpu"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq "$runs"); do
  for s in "${servers[@]}"; do
    run_one "$s"
    printf '  run %d %-17s %s\n' "$r" "$s" "$(tail -1 "$tmp/$s.results" | grep -oE '(msgs_per_s|server_cpu_us_per_msg|server_cpu_pct|load_cpu_pct|p50_us|p99_us)=[0-9.]+' | tr '\n' ' ')"
  done
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

floor_us=$(field server_cpu_us_per_msg <"$tmp/floor_libuv_echo.results" | median)
printf '\n%-17s %12s %16s %12s %12s %12s\n' server "msgs/s" "server us/msg" "vs libuv" "server CPU%" "wsload CPU%"
for s in "${servers[@]}"; do
  f="$tmp/$s.results"
  rate=$(field msgs_per_s <"$f" | median)
  us=$(field server_cpu_us_per_msg <"$f" | median)
  spct=$(field server_cpu_pct <"$f" | median)
  lpct=$(field load_cpu_pct <"$f" | median)
  ratio=$(awk -v a="$us" -v b="$floor_us" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "?" }')
  printf '%-17s %12s %16s %12s %12s %12s\n' "$s" "$rate" "$us" "$ratio" "$spct" "$lpct"
  echo "RESULT server=$s msgs_per_s=$rate server_cpu_us_per_msg=$us vs_libuv=$ratio server_cpu_pct=$spct load_cpu_pct=$lpct"
done
