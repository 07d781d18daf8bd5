#!/usr/bin/env bash
# Builds ws-cpp with warnings as errors and runs every test: unit (proto), integration (the
# API over loopback), examples, the wscpp tool, the installed package, interop with
# python3-websockets. Then the same suite built with AddressSanitizer + UndefinedBehavior-
# Sanitizer, and with ThreadSanitizer, then runs every fuzzer for a bounded time
# (WS_SKIP_SANITIZERS=1 and WS_SKIP_FUZZ=1 skip those stages locally). This is what CI runs
# (.ci/run). The last line is "N passed, N failed" over all stages.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh || exit 1
jobs=$(nproc)
passed=0
failed=0

run_stage() {  # name, build dir, cmake args...
  local name=$1 dir=$2
  shift 2
  echo "== $name: configure and build ($(date +%T))"
  if ! cmake -S . -B "$dir" -G Ninja -DWS_WERROR=ON "$@" >/dev/null || ! cmake --build "$dir" -j"$jobs"; then
    echo "== $name: BUILD FAILED"
    failed=$((failed + 1))
    return
  fi
  echo "== $name: test ($(date +%T))"
  local log="$dir/ctest.log"
  ctest --test-dir "$dir" --output-on-failure -j"$jobs" --timeout 180 2>&1 | tee "$log"
  local total bad
  total=$(grep -oE 'tests failed out of [0-9]+' "$log" | grep -oE '[0-9]+$' | tail -1)
  bad=$(grep -oE '[0-9]+ tests failed' "$log" | grep -oE '^[0-9]+' | tail -1)
  total=${total:-0}
  bad=${bad:-0}
  [ "$total" -gt 0 ] || bad=$((bad + 1))  # no tests ran: count the stage as failed
  passed=$((passed + total - bad))
  failed=$((failed + bad))
}

run_stage "release" build/test -DCMAKE_BUILD_TYPE=RelWithDebInfo
if [ "${WS_SKIP_SANITIZERS:-0}" != 1 ]; then
  run_stage "asan+ubsan" build/test-asan -DCMAKE_BUILD_TYPE=Debug -DWS_SANITIZE=address,undefined
  run_stage "tsan" build/test-tsan -DCMAKE_BUILD_TYPE=Debug -DWS_SANITIZE=thread
fi
if [ "${WS_SKIP_FUZZ:-0}" != 1 ]; then
  # Every libFuzzer target for a bounded time (about a minute in all); a crash, leak, timeout
  # or sanitizer report fails it. Its own last line is "N passed, N failed" over the targets.
  echo "== fuzz ($(date +%T))"
  fuzz_log=build/fuzz.log
  mkdir -p build
  WS_FUZZ_BUILD_DIR=build/fuzz bash scripts/fuzz.sh 8 2>&1 | tee "$fuzz_log"
  fp=$(tail -1 "$fuzz_log" | grep -oE '^[0-9]+ passed' | grep -oE '^[0-9]+')
  ff=$(tail -1 "$fuzz_log" | grep -oE '[0-9]+ failed' | grep -oE '^[0-9]+')
  if [ -z "$fp" ] || [ -z "$ff" ]; then
    failed=$((failed + 1))
  else
    passed=$((passed + fp))
    failed=$((failed + ff))
  fi
fi

echo "== done ($(date +%T))"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
