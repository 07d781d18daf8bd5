#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz with clang, AddressSanitizer and UndefinedBehavior-
# Sanitizer (build-fuzz/, WS_FUZZ=ON), then runs each one for a bounded time on a copy of its
# seed corpus (in a temporary directory: the committed corpus never grows).
#
#   scripts/fuzz.sh [seconds-per-target]     # default 8: about a minute for all seven
#
# Fails (non-zero exit) on any crash, failed invariant, leak, timeout (-timeout=10 s per input),
# out-of-memory (-rss_limit_mb=2048) or sanitizer report; the inputs that did it are copied to
# build-fuzz/fuzz-artifacts/<target>/ (replay one with build-fuzz/tests/fuzz/fuzz_<target> FILE).
# The last line is "N passed, N failed" over the targets.
#
# Needs clang and its libFuzzer runtime (Debian: clang, libclang-rt-14-dev); nothing is installed
# here. WS_FUZZ_BUILD_DIR and WS_FUZZ_JOBS override the build directory and build parallelism.
set -uo pipefail
cd "$(dirname "$0")/.."

secs=${1:-8}
if ! [[ "$secs" =~ ^[0-9]+$ ]] || [ "$secs" -lt 1 ]; then
  echo "usage: $0 [seconds-per-target]" >&2
  exit 2
fi
build=${WS_FUZZ_BUILD_DIR:-build-fuzz}
jobs=${WS_FUZZ_JOBS:-2}

# target and its -max_len: a handshake plus a few frames for the Session, a head for the HTTP
# parsers, short texts for URLs and extension headers, a header plus a payload to mask.
targets=(
  "session_server 8192"
  "session_client 8192"
  "http_request 4096"
  "http_response 4096"
  "utf8 4096"
  "url_extension 1024"
  "frame_header 512"
)

# ---- tools (checked, never installed) --------------------------------------------------------
for tool in clang clang++ cmake ninja; do
  if ! command -v "$tool" >/dev/null; then
    echo "fuzz.sh: '$tool' not found (Debian: apt-get install clang libclang-rt-14-dev cmake ninja-build)" >&2
    exit 1
  fi
done
runtime="$(clang++ -print-resource-dir)/lib/linux/libclang_rt.fuzzer-x86_64.a"
if [ ! -f "$runtime" ]; then
  echo "fuzz.sh: libFuzzer runtime missing ($runtime); Debian: apt-get install libclang-rt-14-dev" >&2
  exit 1
fi

# ---- build -----------------------------------------------------------------------------------
echo "== configure and build $build (clang, libFuzzer, ASan+UBSan)"
if ! CC=clang CXX=clang++ cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DWS_FUZZ=ON -DWS_SANITIZE=address,undefined -DWS_BUILD_EXAMPLES=OFF -DWS_BUILD_TOOLS=OFF >/dev/null; then
  echo "fuzz.sh: configure failed (a $build/ configured with another compiler? remove it)" >&2
  echo "0 passed, ${#targets[@]} failed"
  exit 1
fi
if ! cmake --build "$build" --target ws_fuzzers -j"$jobs"; then
  echo "fuzz.sh: build failed" >&2
  echo "0 passed, ${#targets[@]} failed"
  exit 1
fi

# ---- run -------------------------------------------------------------------------------------
work=$(mktemp -d "${TMPDIR:-/tmp}/ws-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
rm -rf "$build/fuzz-artifacts"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
passed=0
failed=0
stat() { grep -aoE "stat::$1: *[0-9]+" "$2" | grep -oE '[0-9]+$' | tail -1; }

for entry in "${targets[@]}"; do
  read -r name max_len <<<"$entry"
  exe="$PWD/$build/tests/fuzz/fuzz_$name"
  dir="$work/$name"
  mkdir -p "$dir/corpus" "$dir/artifacts"
  cp tests/fuzz/corpus/"$name"/* "$dir/corpus/"
  seeds=$(ls "$dir/corpus" | wc -l)
  echo "== fuzz_$name: ${secs}s, -max_len=$max_len, $seeds seeds"
  # `timeout` only guards against a fuzzer that ignores -max_total_time (a hang in the runtime).
  (cd "$dir" && timeout --signal=KILL $((secs + 120)) "$exe" -max_total_time="$secs" -max_len="$max_len" \
      -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 -artifact_prefix="$dir/artifacts/" corpus >"$dir/log" 2>&1)
  rc=$?
  reports=$(grep -acE "fuzz invariant violated|ERROR: (AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|libFuzzer)|runtime error:|WARNING: (AddressSanitizer|MemorySanitizer)" "$dir/log")
  artifacts=$(ls "$dir/artifacts" | wc -l)
  runs=$(stat number_of_executed_units "$dir/log")
  speed=$(stat average_exec_per_sec "$dir/log")
  added=$(stat new_units_added "$dir/log")
  if [ "$rc" -eq 0 ] && [ "$reports" -eq 0 ] && [ "$artifacts" -eq 0 ]; then
    echo "   PASS  ${runs:-?} runs, ${speed:-?} exec/s, ${added:-0} new inputs"
    passed=$((passed + 1))
  else
    echo "   FAIL  exit $rc, $reports report(s), $artifacts artifact(s); the report:"
    grep -aA1 -m1 "fuzz invariant violated" "$dir/log" | sed 's/^/     /'
    grep -aE "ERROR: |runtime error:|SUMMARY: " "$dir/log" | head -4 | sed 's/^/     /'
    # The first stack, project frames only.
    grep -aA60 -m1 -E "fuzz invariant violated|ERROR: |runtime error:" "$dir/log" | grep -aE '^ *#[0-9]+ .* in ' \
      | grep -aE '(/src/|/include/ws/|/tests/fuzz/)[^ ]*\.(cpp|hpp):[0-9]+' | grep -av check_failed | head -10 \
      | sed -E 's/^ *(#[0-9]+) 0x[0-9a-f]+ in /     \1 /'
    mkdir -p "$build/fuzz-artifacts/$name"
    cp "$dir"/artifacts/* "$build/fuzz-artifacts/$name/" 2>/dev/null
    cp "$dir/log" "$build/fuzz-artifacts/$name/log"
    echo "     inputs and log: $build/fuzz-artifacts/$name/"
    failed=$((failed + 1))
  fi
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
