#!/usr/bin/env bash
# Builds and starts the demo: the html_chat example, a chat page and its WebSocket on one
# port. Open the address it prints in two browser tabs and talk to yourself.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh

build=build/demo
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DWS_BUILD_TESTS=OFF >/dev/null
cmake --build "$build" -j"$(nproc)" --target html_chat
exec "$build/examples/html_chat" "${1:-3012}"
