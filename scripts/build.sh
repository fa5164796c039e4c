#!/usr/bin/env bash
# Configures and builds vslice into ${VSLICE_BUILD_DIR:-build}.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/ensure-deps.sh"
build="${VSLICE_BUILD_DIR:-$root/build}"
if [ ! -f "$build/build.ninja" ]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE="${VSLICE_BUILD_TYPE:-RelWithDebInfo}" >/dev/null
fi
cmake --build "$build" -- -j"$(nproc)" >&2
