#!/usr/bin/env bash
# A latency-critical tenant beside a compute-bound one, on a real GPU:
#   latency tenant: one request every 20 ms, 8 fp16 2048x2048 matmuls then a
#                   synchronize (bench/latency_tenant.py);
#   bulk tenant:    4096x4096 fp16 matmuls back to back (bench/matmul_loop.py).
# Configurations, all in one run: each tenant alone; both natively (the
# driver's time-slicing); vslice with the latency pod high priority and the
# bulk best-effort (at the default in-flight budget and at 200 us); vslice
# weights 100:1; vslice with the bulk capped at 30 %; and, when the MPS
# control binary is present, MPS with the bulk at 30 % active threads.
# Prints p50/p99/max request latency and the bulk's throughput as a fraction
# of its alone rate, a table last.
#   bench/latency_isolation.sh BUILD_DIR [OUT_DIR] [SECONDS]
set -u
build="$(cd "${1:?usage: latency_isolation.sh BUILD_DIR [OUT_DIR] [SECONDS]}" && pwd)"
out="${2:-$(mktemp -d /tmp/vslice-latency.XXXXXX)}"
secs="${3:-8}"
here="$(cd "$(dirname "$0")" && pwd)"
mkdir -p "$out"

if ! nvidia-smi -L >/dev/null 2>&1; then
  echo "SKIP: no NVIDIA GPU here (nvidia-smi -L failed); this benchmark needs one"
  exit 77
fi

work="$(mktemp -d /tmp/vslice-lat.XXXXXX)"
lib="$build/lib/libvslice.so"
limiter="$build/bin/vslice-limiter"
mps_dir="$work/mps"
mps_on=0
cleanup() {
  if [ "$mps_on" = 1 ]; then
    echo quit | CUDA_MPS_PIPE_DIRECTORY="$mps_dir" nvidia-cuda-mps-control >/dev/null 2>&1
  fi
  jobs -p | xargs -r kill 2>/dev/null
  wait 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
export VSLICE_CONTEXT_RESERVE=0

value() {  # FILE KEY
  python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"
}
# latency NAME START [ENV...]  /  bulk NAME START [ENV...]
latency() {
  local name=$1 start=$2; shift 2
  env "$@" python3 "$here/latency_tenant.py" --start "$start" --seconds "$secs" \
    --label "$name" >"$out/$name.latency.json" 2>"$out/$name.latency.err"
}
bulk() {
  local name=$1 start=$2; shift 2
  env "$@" python3 "$here/matmul_loop.py" --start "$start" --seconds "$secs" \
    --label "$name" >"$out/$name.bulk.json" 2>"$out/$name.bulk.err"
}
pod() {  # NAME: the environment of a vslice pod
  echo "LD_PRELOAD=$lib VSLICE_REGION=$work/$1.region VSLICE_REGISTRY=$work/node.registry"
}
start_limiter() {  # NAME [ENV...]
  local name=$1; shift
  env "$@" $(pod "$name") "$limiter" --region "$work/$name.region" \
    --log-file "$out/$name.limiter.log" &
  sleep 0.5
}
stop_limiters() { pkill -f "$limiter --region $work/" 2>/dev/null; sleep 0.3; }

rows=()
row() {  # LABEL NAME (with a latency result) [BULK NAME]
  local label=$1 name=$2 bulk_name=${3:-} frac="-"
  if [ -n "$bulk_name" ] && [ -s "$out/$bulk_name.bulk.json" ]; then
    frac=$(python3 -c "print(f'{$(value "$out/$bulk_name.bulk.json" rate) / $alone_rate:.3f}')")
  fi
  if [ -s "$out/$name.latency.json" ]; then
    rows+=("$(printf '%-44s %7.2f %7.2f %7.2f %7s' "$label" \
      "$(value "$out/$name.latency.json" p50_ms)" "$(value "$out/$name.latency.json" p99_ms)" \
      "$(value "$out/$name.latency.json" max_ms)" "$frac")")
  else
    rows+=("$(printf '%-44s %7s %7s %7s %7s' "$label" "fail" "fail" "fail" "$frac")")
    tail -3 "$out/$name.latency.err" 2>/dev/null
  fi
  echo "${rows[-1]}"
}
pair() {  # NAME LATENCY_ENV BULK_ENV: both tenants, same window
  local name=$1 lat_env=$2 bulk_env=$3
  local t=$(($(date +%s) + 10))
  latency "$name" $t $lat_env & bulk "$name" $t $bulk_env
  wait %%
}

echo "== device"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee "$out/device.txt"

echo "== alone"
bulk alone $(($(date +%s) + 8))
alone_rate=$(value "$out/alone.bulk.json" rate)
latency alone $(($(date +%s) + 8))
row "latency tenant alone" alone
rows[-1]="${rows[-1]%-}"

echo "== native sharing (the driver's time-slicing)"
pair native "" ""
row "both, no interceptor" native native

echo "== vslice: latency pod high, bulk best-effort"
start_limiter hi_lat VSLICE_PRIORITY=high
start_limiter hi_bulk VSLICE_PRIORITY=best-effort
pair classes "$(pod hi_lat)" "$(pod hi_bulk)"
stop_limiters
row "vslice high vs best-effort" classes classes

echo "== vslice: the same, in-flight budget 200 us"
start_limiter hi2_lat VSLICE_PRIORITY=high
start_limiter hi2_bulk VSLICE_PRIORITY=best-effort VSLICE_INFLIGHT_US=200
pair classes200 "$(pod hi2_lat)" "$(pod hi2_bulk)"
stop_limiters
row "vslice high vs best-effort, budget 200 us" classes200 classes200

echo "== vslice: weights 100:1"
start_limiter w_lat VSLICE_WEIGHT=100
start_limiter w_bulk VSLICE_WEIGHT=1
pair weights "$(pod w_lat)" "$(pod w_bulk)"
stop_limiters
row "vslice weights 100:1" weights weights

echo "== vslice: bulk capped at 30 %"
start_limiter c_lat
start_limiter c_bulk VSLICE_COMPUTE=30
pair capped "$(pod c_lat)" "$(pod c_bulk)"
stop_limiters
row "vslice bulk capped at 30 %" capped capped

if command -v nvidia-cuda-mps-control >/dev/null 2>&1; then
  echo "== MPS: bulk at 30 % active threads"
  mkdir -p "$mps_dir/log"
  if CUDA_MPS_PIPE_DIRECTORY="$mps_dir" CUDA_MPS_LOG_DIRECTORY="$mps_dir/log" \
       nvidia-cuda-mps-control -d; then
    mps_on=1
    sleep 1
    pair mps "CUDA_MPS_PIPE_DIRECTORY=$mps_dir" \
      "CUDA_MPS_PIPE_DIRECTORY=$mps_dir CUDA_MPS_ACTIVE_THREAD_PERCENTAGE=30"
    echo quit | CUDA_MPS_PIPE_DIRECTORY="$mps_dir" nvidia-cuda-mps-control
    mps_on=0
    row "MPS, bulk at 30 % active threads" mps mps
  else
    echo "MPS daemon did not start; skipped"
  fi
else
  echo "nvidia-cuda-mps-control not found: no MPS row"
fi

echo
echo "== latency isolation on $(head -1 "$out/device.txt"), ${secs} s windows"
printf '%-44s %7s %7s %7s %7s\n' "configuration" "p50 ms" "p99 ms" "max ms" "bulk"
printf '%s\n' "${rows[@]}"
