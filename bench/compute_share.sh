#!/usr/bin/env bash
# Compute sharing on a real GPU: a compute-bound matmul loop at caps
# 10/30/50/70, two pods capped 30 and 70 at once, two pods weighted 20 and 40,
# and one pod idling and resuming while another runs. Every figure is the
# achieved throughput divided by native throughput measured in the same run.
#   bench/compute_share.sh BUILD_DIR [OUT_DIR] [SECONDS]
set -u
build="$(cd "${1:?usage: compute_share.sh BUILD_DIR [OUT_DIR] [SECONDS]}" && pwd)"
out="${2:-$(mktemp -d /tmp/vslice-compute.XXXXXX)}"
secs="${3:-10}"
here="$(cd "$(dirname "$0")" && pwd)"
mkdir -p "$out"
work="$(mktemp -d /tmp/vslice-share.XXXXXX)"
lib="$build/lib/libvslice.so"
limiter="$build/bin/vslice-limiter"
export VSLICE_CONTEXT_RESERVE=0

rate() { python3 -c 'import json,sys; print(json.loads(sys.stdin.read())["rate"])'; }
# "throughput fraction, device-time fraction, ms per iteration" of a result.
fractions() {
  python3 - "$1" "$2" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); native = float(sys.argv[2])
print(f"{r['rate'] / native:.3f} of native throughput, {r['device_fraction']:.3f} of device "
      f"time ({r['iter_ms']:.3f} ms/iteration)")
PY
}
# clocks NAME: samples the SM clock while the next command runs; `clock_of`
# prints the median SM clock over busy samples (power above 250 W).
clocks() { nvidia-smi --query-gpu=clocks.sm,power.draw --format=csv,noheader,nounits -lms 200 >"$out/$1.clocks" & }
clock_of() {
  python3 - "$out/$1.clocks" <<'PY'
import sys
rows = [tuple(float(x) for x in line.split(",")) for line in open(sys.argv[1]) if "," in line]
busy = sorted(c for c, p in rows if p > 250)
print(f"{busy[len(busy) // 2]:.0f} MHz" if busy else "n/a")
PY
}
# tenant NAME START [ENV...]: runs the matmul loop in pod NAME (its region).
tenant() {
  local name=$1 start=$2; shift 2
  env "$@" LD_PRELOAD="$lib" VSLICE_REGION="$work/$name.region" \
    python3 "$here/matmul_loop.py" --start "$start" --seconds "$secs" --label "$name"
}
native() {
  python3 "$here/matmul_loop.py" --start "$(($(date +%s) + 8))" --seconds "$secs" --label native
}
start_limiter() {  # NAME [ENV...]
  local name=$1; shift
  env "$@" "$limiter" --region "$work/$name.region" --log-file "$out/$name.limiter.log" &
  sleep 0.5
}
rows=()
row() { rows+=("$(printf '%-34s %s' "$1" "$2")"); echo "$1: $2"; }

echo "== native"
clocks native1; native >"$out/native1.json"; kill %1; wait
n1=$(rate <"$out/native1.json")
row "native matmul/s (first)" "$n1; $(fractions "$out/native1.json" "$n1"), SM clock $(clock_of native1)"

for cap in 10 30 50 70; do
  start_limiter "cap$cap" VSLICE_COMPUTE=$cap
  clocks "cap$cap"
  tenant "cap$cap" "$(($(date +%s) + 8))" >"$out/cap$cap.json"
  kill %1 %2; wait
  row "cap $cap%" "$(fractions "$out/cap$cap.json" "$n1"), SM clock $(clock_of "cap$cap")"
done

echo "== two pods, caps 30 and 70"
reg="$work/node-caps.registry"
start_limiter pa VSLICE_REGISTRY=$reg VSLICE_COMPUTE=30
start_limiter pb VSLICE_REGISTRY=$reg VSLICE_COMPUTE=70
t=$(($(date +%s) + 10))
tenant pa $t >"$out/pair_caps_a.json" & tenant pb $t >"$out/pair_caps_b.json"; wait %3
kill %1 %2; wait
row "caps 30/70 at once: pod a (30)" "$(fractions "$out/pair_caps_a.json" "$n1")"
row "caps 30/70 at once: pod b (70)" "$(fractions "$out/pair_caps_b.json" "$n1")"

echo "== two pods, caps 30 and 70, through HAMi's environment only"
# What HAMi's device plugin hands a container: a region
# (CUDA_DEVICE_MEMORY_SHARED_CACHE), a cap, the shared folder /tmp/vgpulock
# (here a folder of this run, VSLICE_HAMI_LOCK_DIR); no registry named, no
# limiter started: each pod's first process starts one, and they meet in a
# registry in the shared folder.
mkdir -p "$work/vgpulock"
hami() {  # NAME CORES START
  env LD_PRELOAD="$lib" CUDA_DEVICE_MEMORY_SHARED_CACHE="$work/$1.cache" CUDA_DEVICE_SM_LIMIT=$2 \
    VSLICE_HAMI_LOCK_DIR="$work/vgpulock" \
    python3 "$here/matmul_loop.py" --start "$3" --seconds "$secs" --label "$1"
}
t=$(($(date +%s) + 10))
hami ha 30 $t >"$out/hami_a.json" & hami hb 70 $t >"$out/hami_b.json"; wait
pkill -f "vslice-limiter --region $work/h" 2>/dev/null
row "HAMi env, no registry: pod a (30)" "$(fractions "$out/hami_a.json" "$n1")"
row "HAMi env, no registry: pod b (70)" "$(fractions "$out/hami_b.json" "$n1")"
[ -e "$work/vgpulock/vslice.registry" ] || row "HAMi env, no registry" "NO REGISTRY in the shared folder"

echo "== two pods, weights 20 and 40"
reg="$work/node-weights.registry"
start_limiter wa VSLICE_REGISTRY=$reg VSLICE_WEIGHT=20
start_limiter wb VSLICE_REGISTRY=$reg NPU_PRIORITY=40
t=$(($(date +%s) + 10))
tenant wa $t >"$out/pair_weights_a.json" & tenant wb $t >"$out/pair_weights_b.json"; wait %3
kill %1 %2; wait
ra=$(rate <"$out/pair_weights_a.json"); rb=$(rate <"$out/pair_weights_b.json")
row "weights 20/40: fractions, ratio" "$(python3 -c "print(round($ra/$n1,3), '/', round($rb/$n1,3), ' ratio', round($rb/$ra,3))")"

echo "== one pod idles and resumes while another runs (equal weights)"
reg="$work/node-idle.registry"
start_limiter ia VSLICE_REGISTRY=$reg
start_limiter ib VSLICE_REGISTRY=$reg
t=$(($(date +%s) + 10))
tenant ia $t >"$out/idle_a.json" &
# b joins 3 s into a's window, for 4 s (secs is at least 10).
( sleep $((t - $(date +%s) + 3)); secs=4 tenant ib $(($(date +%s) + 0)) >"$out/idle_b.json" ) &
wait %3 %4
kill %1 %2; wait
python3 - "$out" "$n1" <<'PY' | tee "$out/idle_summary.txt"
import json, sys
out, native = sys.argv[1], float(sys.argv[2])
a = json.load(open(f"{out}/idle_a.json")); b = json.load(open(f"{out}/idle_b.json"))
per = native / 10  # iterations per 100 ms at native speed
print("a per 100 ms (fraction of native):", " ".join(f"{x / per:.2f}" for x in a["per_100ms"]))
print("b per 100 ms (fraction of native):", " ".join(f"{x / per:.2f}" for x in b["per_100ms"]))
first = next((i for i, x in enumerate(b["per_100ms"]) if x / per >= 0.4), None)
print(f"b's first 100 ms bucket at >= 40% of native: #{first}")
print(f"b fraction over its window: {b['rate'] / native:.3f}")
PY
echo "== native again"
native >"$out/native2.json"; n2=$(rate <"$out/native2.json")
row "native matmul/s (last)" "$n2"

echo
echo "== compute sharing on $(nvidia-smi --query-gpu=name --format=csv,noheader | head -1), ${secs}s windows"
printf '%s\n' "${rows[@]}"
grep -E "^b (fraction|'s first)" "$out/idle_summary.txt"
