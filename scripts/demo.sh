#!/usr/bin/env bash
# Builds vslice and runs the demo: two processes of one pod with a 2 GiB
# quota take memory, a block each in turn, until refused. On a machine with
# an NVIDIA GPU they use it; elsewhere they run on the simulated device.
#   scripts/demo.sh [--no-build]     (--no-build: use what is built)
# The README shows its output; tests/integration/readme_test.cc checks that.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
[ "${1:-}" = --no-build ] || "$root/scripts/build.sh"
build="${VSLICE_BUILD_DIR:-$root/build}"
export PATH="$build/bin:$PATH"

turns="$(mktemp /tmp/vslice-demo-turns.XXXXXX)"
if nvidia-smi -L >/dev/null 2>&1; then
  echo "vslice demo: running on the GPU: $(nvidia-smi -L | head -n 1)"
else
  echo "vslice demo: no GPU found, running on the simulated device (80 GiB)"
  export LD_LIBRARY_PATH="$build/sim-lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  export VSLICE_SIM_STATE="$(mktemp -u /tmp/vslice-demo-sim.XXXXXX)"
fi
trap 'rm -f "$turns" ${VSLICE_SIM_STATE:+"$VSLICE_SIM_STATE"}' EXIT
echo "vslice demo: vslice run --memory 2g -- two tenants, taking turns"
vslice run --memory 2g -- sh -c "vslice_quota_demo A $turns & vslice_quota_demo B $turns & wait"
