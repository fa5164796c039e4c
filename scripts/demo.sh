#!/usr/bin/env bash
# Builds vslice and runs the demo: two processes of one pod with a 2 GiB
# quota take memory until refused. On a machine with an NVIDIA GPU they use
# it; elsewhere they run on the simulated device.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/build.sh"
build="${VSLICE_BUILD_DIR:-$root/build}"
export PATH="$build/bin:$PATH"

if nvidia-smi -L >/dev/null 2>&1; then
  echo "vslice demo: running on the GPU: $(nvidia-smi -L | head -n 1)"
else
  echo "vslice demo: no GPU found, running on the simulated device (80 GiB)"
  export LD_LIBRARY_PATH="$build/sim-lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  export VSLICE_SIM_STATE="$(mktemp -u /tmp/vslice-demo-sim.XXXXXX)"
fi
echo "vslice demo: vslice run --memory 2g -- two tenants at once"
vslice run --memory 2g -- sh -c 'vslice_quota_demo A & vslice_quota_demo B & wait'
[ -n "${VSLICE_SIM_STATE:-}" ] && rm -f "$VSLICE_SIM_STATE"
