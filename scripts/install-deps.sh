#!/usr/bin/env bash
# Installs what ws-cpp needs to build, test and run its examples on Debian 12, from Debian's
# own archive. Idempotent: when everything is there it only checks, in well under a second.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkgconf            # toolchain
  libuv1-dev libssl-dev zlib1g-dev libsimdjson-dev     # the library's dependencies
  libgtest-dev libgmock-dev libbenchmark-dev           # tests and micro-benchmarks
  libcli11-dev                                         # the wscpp command line
  python3 python3-websockets                           # interop peer in the tests
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
