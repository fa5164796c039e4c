#!/usr/bin/env bash
# Builds vslice and runs its test suite: unit tests, integration tests on the
# simulated device, and the GPU tests (which skip, saying so, without a GPU).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/build.sh"
build="${VSLICE_BUILD_DIR:-$root/build}"
cd "$build"
ctest --output-on-failure -j"$(nproc)" --timeout 300 "$@"
