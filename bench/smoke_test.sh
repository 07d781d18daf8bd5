#!/usr/bin/env bash
# Smoke test of bench/ for CI: every benchmark program runs for about a second against
# bench_server or a floor and must exit 0 with a RESULT line saying status=ok errors=0; then
# wsload must fail loudly (exit 1, "FAIL", status=fail) on a non-WebSocket server and on
# echoes damaged by faulty_proxy.py. Nothing here is timed: only completion and correctness.
#
#   smoke_test.sh BIN_DIR SRC_DIR
#
# Servers listen on 127.0.0.1 port 0 (the kernel picks a free port; each prints it), every
# command runs under `timeout`, and every process started here is stopped by its PID.
set -uo pipefail
bin=$1
src=$2
tmp=$(mktemp -d)
pids=()
passed=0
failed=0

cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  sleep 0.2
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
  rm -rf "$tmp"
}
trap cleanup EXIT

ok() { echo "ok   - $1"; passed=$((passed + 1)); }
bad() { echo "FAIL - $1"; failed=$((failed + 1)); }

# start NAME CMD...: runs a server in the background; sets PID and PORT from its first line.
start() {
  local name=$1
  shift
  local log="$tmp/$name.log"
  "$@" >"$log" 2>&1 &
  PID=$!
  pids+=("$PID")
  PORT=""
  for _ in $(seq 200); do
    PORT=$(sed -n 's/.*listening on [^0-9]*127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' "$log" | head -1)
    [ -n "$PORT" ] && return 0
    kill -0 "$PID" 2>/dev/null || break
    sleep 0.05
  done
  echo "FAIL - $name did not start:"
  cat "$log"
  exit 1
}

# stop PID: SIGTERM, a bounded wait, then SIGKILL. Returns the exit status.
stop() {
  local pid=$1
  kill "$pid" 2>/dev/null
  for _ in $(seq 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  kill -9 "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
}

# expect_ok NAME CMD...: exit 0 and "RESULT status=ok errors=0"; prints the RESULT line.
expect_ok() {
  local name=$1
  shift
  local out rc
  out=$(timeout 60 "$@" 2>&1)
  rc=$?
  local result
  result=$(grep '^RESULT ' <<<"$out" | tail -1)
  if [ "$rc" -eq 0 ] && grep -q '^RESULT status=ok errors=0 ' <<<"$result"; then
    ok "$name: ${result#RESULT status=ok errors=0 }"
    LAST_RESULT=$result
  else
    bad "$name (exit $rc)"
    echo "$out" | tail -20
    LAST_RESULT=""
  fi
}

# expect_key KEY: the last RESULT line has KEY=<a number>.
expect_key() {
  if grep -qE " $1=[0-9.]+( |$)" <<<"$LAST_RESULT"; then ok "  ... reports $1"; else bad "  ... no $1 in: $LAST_RESULT"; fi
}

# expect_cpu_split: the last RESULT line splits server_cpu_us_per_msg into user and kernel parts
# that add up to it (within the rounding of three figures) and a kernel part above zero (an echo
# server makes system calls).
expect_cpu_split() {
  local total user sys
  total=$(grep -oE ' server_cpu_us_per_msg=[0-9.]+' <<<"$LAST_RESULT" | cut -d= -f2)
  user=$(grep -oE ' server_user_us_per_msg=[0-9.]+' <<<"$LAST_RESULT" | cut -d= -f2)
  sys=$(grep -oE ' server_sys_us_per_msg=[0-9.]+' <<<"$LAST_RESULT" | cut -d= -f2)
  if [ -n "$total" ] && [ -n "$user" ] && [ -n "$sys" ] &&
     awk -v t="$total" -v u="$user" -v s="$sys" 'BEGIN { d = u + s - t; exit !(d < 0.0025 && d > -0.0025 && s > 0) }'; then
    ok "  ... server CPU $total us/msg = user $user + kernel $sys"
  else
    bad "  ... no consistent user/kernel split of server_cpu_us_per_msg in: $LAST_RESULT"
  fi
}

# expect_fail NAME PATTERN CMD...: exit 1, "wsload: FAIL:" matching PATTERN, status=fail.
expect_fail() {
  local name=$1 pattern=$2
  shift 2
  local out rc
  out=$(timeout 60 "$@" 2>&1)
  rc=$?
  if [ "$rc" -eq 1 ] && grep -qE "FAIL: .*($pattern)" <<<"$out" && grep -q '^RESULT status=fail' <<<"$out"; then
    ok "$name: $(grep -m1 'FAIL: ' <<<"$out")"
  else
    bad "$name (exit $rc, expected 1 and /$pattern/)"
    echo "$out" | tail -20
  fi
}

wsload=$bin/wsload
short=(-t 1 -w 0.2)

echo "== floors (wsload --raw)"
start floor_epoll "$bin/floor_epoll_echo" 0
expect_ok "epoll floor: 10 conns, 16 B, 4 in flight" "$wsload" "$PORT" --raw -c 10 -s 16 -d 4 "${short[@]}" --server-pid "$PID"
expect_key server_cpu_us_per_msg
expect_ok "epoll floor: 1 MiB record" "$wsload" "$PORT" --raw --big 1048576 --server-pid "$PID"
expect_ok "epoll floor: 100 idle connections" "$wsload" "$PORT" --raw --idle 100 -t 0.3 --server-pid "$PID"
expect_key rss_per_conn
expect_fail "wsload refuses a server that is no WebSocket server" "handshake refused" "$wsload" "$PORT" -c 1 -t 0.3 -w 0
floor_epoll_port=$PORT
stop "$PID"

start floor_libuv "$bin/floor_libuv_echo" 0
expect_ok "libuv floor: 10 conns, 16 B, 4 in flight" "$wsload" "$PORT" --raw -c 10 -s 16 -d 4 "${short[@]}" --server-pid "$PID"
expect_key server_cpu_us_per_msg
expect_cpu_split
expect_ok "libuv floor: 4 conns, 64 KiB, 2 in flight" "$wsload" "$PORT" --raw -c 4 -s 65536 -d 2 -t 0.5 -w 0.1
stop "$PID"

# The io_uring floor is built where liburing-dev is installed (scripts/install-deps.sh installs it).
for mode in "" --fixed-files; do
  [ -x "$bin/floor_uring_echo" ] || break
  start floor_uring "$bin/floor_uring_echo" 0 $mode
  expect_ok "io_uring floor $mode: 10 conns, 16 B, 4 in flight" "$wsload" "$PORT" --raw -c 10 -s 16 -d 4 "${short[@]}" --server-pid "$PID"
  expect_key server_cpu_us_per_msg
  expect_ok "io_uring floor $mode: 4 conns, 64 KiB, 2 in flight" "$wsload" "$PORT" --raw -c 4 -s 65536 -d 2 -t 0.5 -w 0.1
  expect_ok "io_uring floor $mode: 1 MiB record" "$wsload" "$PORT" --raw --big 1048576 --server-pid "$PID"
  expect_ok "io_uring floor $mode: 100 idle connections" "$wsload" "$PORT" --raw --idle 100 -t 0.3 --server-pid "$PID"
  stop "$PID"
done

# The epoll floor with batched sends: built beside floor_uring_echo.
if [ -x "$bin/floor_batch_echo" ]; then
  start floor_batch "$bin/floor_batch_echo" 0
  expect_ok "batched-send floor: 10 conns, 16 B, 4 in flight" "$wsload" "$PORT" --raw -c 10 -s 16 -d 4 "${short[@]}" --server-pid "$PID"
  expect_cpu_split
  expect_ok "batched-send floor: 4 conns, 64 KiB, 2 in flight" "$wsload" "$PORT" --raw -c 4 -s 65536 -d 2 -t 0.5 -w 0.1
  expect_ok "batched-send floor: 1 MiB record" "$wsload" "$PORT" --raw --big 1048576 --server-pid "$PID"
  expect_ok "batched-send floor: 100 idle connections" "$wsload" "$PORT" --raw --idle 100 -t 0.3 --server-pid "$PID"
  stop "$PID"
fi

echo "== bench_server (echo)"
start bench_server "$bin/bench_server" 0
server_port=$PORT
server_pid=$PID
expect_ok "text, 10 conns, 16 B, 4 in flight" "$wsload" "$PORT" -c 10 -s 16 -d 4 "${short[@]}" --server-pid "$PID"
expect_key server_cpu_us_per_msg
expect_cpu_split
expect_key p999_us
expect_ok "binary, 4 conns, 64 KiB, 2 in flight" "$wsload" "$PORT" -c 4 -s 65536 -d 2 --binary -t 0.5 -w 0.1
expect_ok "mixed UTF-8 text, 1000 B" "$wsload" "$PORT" -c 4 -s 1000 -d 2 --utf8-mixed -t 0.5 -w 0.1
expect_ok "200 idle connections" "$wsload" "$PORT" --idle 200 -t 0.3 --server-pid "$PID"
expect_key rss_per_conn
expect_ok "one 4 MiB message each way" "$wsload" "$PORT" --big 4194304 --server-pid "$PID"
expect_key server_hwm
expect_key first_ms_per_msg
expect_ok "3 x 1 MiB each way on 2 connections, one after the other" "$wsload" "$PORT" -c 2 --big 1048576 --count 3
expect_key first_ms_per_msg
expect_key later_ms_per_msg
expect_ok "bench (ws-cpp's client): 10 conns x 2000 messages" "$bin/bench" "ws://127.0.0.1:$PORT/" -c 10 -m 2000 -d 4

# --window-hook (bench/instructions.sh's): run once with "begin" before the window, once with
# "end" after it; a hook that fails fails the run.
hook=$tmp/hook.sh
printf '#!/bin/sh\necho "$1" >>%q\n' "$tmp/edges" >"$hook"
chmod +x "$hook"
expect_ok "--window-hook" "$wsload" "$PORT" -c 2 -s 16 -d 2 -t 0.3 -w 0.1 --window-hook "$hook"
if [ "$(tr '\n' ' ' <"$tmp/edges" 2>/dev/null)" = "begin end " ]; then ok "  ... ran the hook with begin, then end"
else bad "  ... the hook saw: $(tr '\n' ' ' <"$tmp/edges" 2>/dev/null)"; fi
expect_fail "a failing --window-hook fails the run" "window-hook" "$wsload" "$PORT" -c 2 -t 0.3 -w 0.1 --window-hook false

echo "== wsload fails loudly on damaged echoes (faulty_proxy.py)"
if command -v python3 >/dev/null; then
  for fault in "flip|corrupted|longer|shorter|opcode|continuation|RSV|masked|never sent" \
               "dup|corrupted|longer|shorter|opcode|continuation|RSV|masked|never sent" \
               "swap|reordered" "stall|missing echo" "close|unexpectedly"; do
    mode=${fault%%|*}
    offset=3000
    [ "$mode" = swap ] && offset=100  # frames, not bytes: echoes #100 and #101 change places
    start "proxy_$mode" python3 "$src/faulty_proxy.py" "$server_port" "$mode" "$offset"
    expect_fail "proxy '$mode' at $offset" "${fault#*|}" "$wsload" "$PORT" -c 2 -s 16 -d 4 -t 2 -w 0 --stall-timeout 2
    stop "$PID"
  done
else
  echo "skip - python3 not found: the faulty-proxy checks did not run"
fi

if stop "$server_pid"; then ok "bench_server exits 0 on SIGTERM (graceful shutdown)"; else bad "bench_server exit status on SIGTERM"; fi

echo "== bench_server --broadcast, --threads"
start bench_broadcast "$bin/bench_server" 0 --broadcast
expect_ok "broadcast: 20 conns, 64 B, window 10" "$wsload" "$PORT" --broadcast -c 20 -s 64 -d 10 "${short[@]}" --server-pid "$PID"
expect_key deliveries_per_s
stop "$PID"
start bench_threads "$bin/bench_server" 0 --threads 2
expect_ok "--threads 2 still serves" "$wsload" "$PORT" -c 2 -t 0.3 -w 0
stop "$PID"

echo "== compare_report.py: the round-by-round ratios of a made-up run"
# Three rounds whose ratios are known: ws-cpp / uWS 0.5, 1.5, 1.0 and ws-cpp / floor 1.0, 1.0,
# 0.5, so the rounds' medians are 1.00 while the ratio of medians to the floor is 0.67.
rep=$tmp/report
mkdir -p "$rep"
printf '%s\n' "servers=ws-cpp uWS floor-libuv" "shapes=a" "ref=uWS" "floor=floor-libuv" "date=2026-01-01 00:00" \
  "cpu=test" "kernel=test" "compiler=test" "libuv=test" "ws-cpp=test" "runs=3" "secs=1" "warmup=0" \
  "pinning=none" "load_before=0" "load_after=0" "run_s=0" "build_s=0" >"$rep/meta.txt"
: >"$rep/raw.txt"
for row in "1 1.0 2.0 1.0" "2 3.0 2.0 3.0" "3 2.0 2.0 4.0"; do
  read -r round w u f <<<"$row"
  for sv in "ws-cpp $w" "uWS $u" "floor-libuv $f"; do
    echo "shape=a server=${sv% *} run=$round rc=0 span_s=1 other_pct=0 RESULT status=ok errors=0 msgs=1000" \
         "msgs_per_s=1000 server_cpu_us_per_msg=${sv#* } server_cpu_pct=95 load_cpu_pct=50" >>"$rep/raw.txt"
  done
done
if /usr/bin/python3 "$src/compare_report.py" "$rep" >"$tmp/report.log" 2>&1 &&
   grep -qF "| (a) | 3 | 1.00 | 0.75-1.25 | 1/3 | 1.00 | 0.75-1.00 | 1/3 |" "$rep/results.md" &&
   grep -q "^| ws-cpp | 3/3 | .* | 1.00 | 0.67 |" "$rep/results.md"; then
  ok "compare_report.py: rounds' medians, middle halves and counts below 1 beside the ratios of medians"
else
  bad "compare_report.py round by round: $(tail -c 300 "$tmp/report.log"; grep -A4 'round by round' "$rep/results.md" 2>/dev/null | tail -2)"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
