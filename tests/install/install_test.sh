#!/usr/bin/env bash
# Installs the built ws-cpp into a temporary prefix, then builds and runs a consumer twice:
# with find_package(ws) (the CMake package) and with pkg-config (ws.pc).
set -euo pipefail
build_dir="$1"
source_dir="$(cd "$(dirname "$0")" && pwd)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cmake --install "$build_dir" --prefix "$work/prefix" >/dev/null

cmake -S "$source_dir/consumer" -B "$work/cmake" -G Ninja -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/cmake" >/dev/null
"$work/cmake/consumer"

export PKG_CONFIG_PATH="$work/prefix/lib/pkgconfig"
# shellcheck disable=SC2046
c++ -std=c++20 "$source_dir/consumer/main.cpp" -o "$work/pc-consumer" $(pkg-config --cflags --libs ws)
"$work/pc-consumer"
echo "install: CMake package and pkg-config both work"
