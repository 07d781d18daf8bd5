#!/usr/bin/env bash
# The wscpp command line: an echo server on a port it picks, `send` against it, `connect` fed
# from stdin, and the usage error code. Bounded: every wait has a timeout; the server is
# stopped by its PID.
set -euo pipefail
wscpp="$1"
log=$(mktemp)
"$wscpp" echo --addr 127.0.0.1:0 2>"$log" &
server=$!
trap 'kill "$server" 2>/dev/null || true; rm -f "$log"' EXIT
# Wait for the whole URL (stderr may arrive in more than one write).
for _ in $(seq 100); do grep -Eq 'ws://[^ ]+:[0-9]+/' "$log" && break; sleep 0.05; done
url=$(grep -Eo 'ws://[^ ]+:[0-9]+/' "$log" | head -1)
[ -n "$url" ] || { echo "FAIL: server did not start"; cat "$log"; exit 1; }

out=$(timeout 10 "$wscpp" send "$url" one "two words") || { echo "FAIL: send exited $?"; exit 1; }
[ "$out" = $'one\ntwo words' ] || { echo "FAIL: send printed '$out'"; exit 1; }

out=$(printf 'alpha\nbeta\n' | timeout 10 "$wscpp" connect "$url" 2>/dev/null) || { echo "FAIL: connect exited $?"; exit 1; }
[ "$out" = $'< alpha\n< beta' ] || { echo "FAIL: connect printed '$out'"; exit 1; }

set +e
timeout 10 "$wscpp" send "ws://127.0.0.1:1/" x 2>/dev/null; rc=$?
"$wscpp" bogus >/dev/null 2>&1; usage=$?
set -e
[ "$rc" = 1 ] || { echo "FAIL: refused connection exited $rc, expected 1"; exit 1; }
[ "$usage" = 2 ] || { echo "FAIL: usage error exited $usage, expected 2"; exit 1; }
echo "wscpp: 4 checks passed"
