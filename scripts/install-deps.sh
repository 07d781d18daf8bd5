#!/usr/bin/env bash
# Installs what ws-cpp needs to build, test and run its examples on Debian 12, from Debian's
# own archive. Idempotent: when everything is there it only checks, in well under a second.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkgconf            # toolchain
  libuv1-dev libssl-dev zlib1g-dev libsimdjson-dev     # the library's dependencies
  libgtest-dev libgmock-dev libbenchmark-dev           # tests and micro-benchmarks
  libcli11-dev                                         # the wscpp command line
  liburing-dev                                         # the io_uring floor in bench/ (not the library)
  clang libclang-rt-14-dev                             # libFuzzer (tests/fuzz, scripts/fuzz.sh)
  python3 python3-websockets                           # interop peer in the tests
  libwebsocketpp-dev                                   # websocketpp interop peer (tests only)
  chromium                                             # a real browser against the chat demo (tests)
)
# Boost.Asio for the websocketpp peer: any installed Boost will do (Debian's versioned
# libboost1.NN-dev packages exclude one another; bench/compare.sh wants 1.81 for Beast).
[ -f /usr/include/boost/asio.hpp ] || packages+=(libboost-dev)
# Node.js for the `ws` test peer: the machine's own if it has one, else Debian's.
command -v node >/dev/null 2>&1 || packages+=(nodejs npm)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}" >&2
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm test peers (tests/peers/package.json, pinned by its lock file).
peers="$(cd "$(dirname "$0")/.." && pwd)/tests/peers"
if [ ! -d "$peers/node_modules/ws" ]; then
  echo "install-deps: npm test peers" >&2
  (cd "$peers" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi
