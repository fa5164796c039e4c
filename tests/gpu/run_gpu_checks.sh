#!/usr/bin/env bash
# The GPU checks: the interceptor on a real NVIDIA GPU with the real driver.
#   run_gpu_checks.sh BUILD_DIR [LOG_DIR]
# Prints a `check NAME PASS|FAIL detail` line per check and a summary table
# last; exits 0 when all pass, 1 when any fails, 77 (skip) without a GPU.
set -u
build="$(cd "${1:?usage: run_gpu_checks.sh BUILD_DIR [LOG_DIR]}" && pwd)"
logs="${2:-$(mktemp -d /tmp/vslice-gpu-logs.XXXXXX)}"
here="$(cd "$(dirname "$0")" && pwd)"
mkdir -p "$logs"

if ! nvidia-smi -L >/dev/null 2>&1; then
  echo "SKIP: no NVIDIA GPU here (nvidia-smi -L failed); these checks need a real GPU and run on one"
  exit 77
fi

lib="$build/lib/libvslice.so"
work="$(mktemp -d /tmp/vslice-gpu.XXXXXX)"
trap 'rm -rf "$work"' EXIT
pass=0
fail=0
rows=()
check() {  # NAME OK(0/1) DETAIL
  if [ "$2" = 0 ]; then pass=$((pass + 1)); s=PASS; else fail=$((fail + 1)); s=FAIL; fi
  echo "check $1 $s $3"
  rows+=("$(printf '%-34s %-4s %s' "$1" "$s" "$3")")
}
pod() {  # NAME QUOTA [CONTEXT_RESERVE]: environment of a fresh pod, for `env`
  echo "LD_PRELOAD=$lib VSLICE_REGION=$work/$1.region VSLICE_MEMORY_LIMIT=$2" \
       "${3:+VSLICE_CONTEXT_RESERVE=$3}"
}
gib=$((1 << 30))

echo "== device"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee "$logs/device.txt"

echo "== integration tests on the real driver"
VSLICE_TEST_REAL_GPU=1 VSLICE_TEST_BUILD_DIR="$build" \
  "$build/bin/vslice_integration_tests" --gtest_brief=1 >"$logs/integration.txt" 2>&1
rc=$?
summary="$(grep -E '^\[  (PASSED|FAILED)  \]' "$logs/integration.txt" | tr '\n' ' ')"
check integration_tests_real_driver $rc "$summary"
grep -E '^\[  FAILED  \]' "$logs/integration.txt" | head -20

echo "== CUDA runtime routes"
probe="$work/runtime_probe"
if nvcc -O2 -o "$probe" "$here/runtime_probe.cu" -lcuda >"$logs/nvcc.txt" 2>&1 ||
   nvcc -O2 -o "$probe" "$here/runtime_probe.cu" -L/usr/local/cuda/lib64/stubs -lcuda >>"$logs/nvcc.txt" 2>&1; then
  env $(pod runtime 1g 0) "$probe" >"$logs/runtime.txt" 2>&1
  cat "$logs/runtime.txt"
  for step in cudaMalloc cudaMallocAsync "entrypoint cuMemAlloc"; do
    grep -qx "$step 768m -> 0" "$logs/runtime.txt" && grep -qx "$step 512m -> 2" "$logs/runtime.txt"
    check "runtime_${step// /_}_quota" $? "$(grep "^$step 512m" "$logs/runtime.txt")"
  done
  grep -q "cudaMemGetInfo total=$gib " "$logs/runtime.txt"
  check runtime_cudaMemGetInfo_total $? "$(grep 'cudaMemGetInfo total' "$logs/runtime.txt" | tail -1)"
else
  check runtime_probe_build 1 "nvcc failed: $(tail -3 "$logs/nvcc.txt" | tr '\n' ' ')"
fi

echo "== CUDA graph capture in gated pods"
# A capture in global mode (PyTorch's, torch.compile's and vLLM's default)
# must survive the compute gate: in a pod capped at 50% (its limiter bounds
# and drains the pod's queue), and in a pod sharing the device through a node
# registry with a weight while a neighbour keeps the device busy.
capture_probe="$work/capture_probe"
nvcc -O2 -o "$capture_probe" "$here/capture_probe.cu" >"$logs/nvcc_capture.txt" 2>&1
capture_built=$?
[ "$capture_built" = 0 ] ||
  check capture_probe_build 1 "nvcc failed: $(tail -3 "$logs/nvcc_capture.txt" | tr '\n' ' ')"
limiter_pids=()
start_limiter() {  # ENV...: the limiter of the pod whose region ENV names, in the background
  env "$@" "$build/bin/vslice-limiter" >>"$logs/limiters.txt" 2>&1 &
  limiter_pids+=($!)
  sleep 0.5
}
gated_captures() {  # NAME ENV...: the capture probe and the PyTorch graph check in that pod
  local name=$1
  shift
  if [ "$capture_built" = 0 ]; then
    env "$@" "$capture_probe" >"$logs/$name.txt" 2>&1
    grep -qx "graph_capture kernels=1000 begin=0 record=0 end=0 instantiate=0 launch=0 sync=0" \
      "$logs/$name.txt"
    check "${name}_cuda_graph_capture" $? "$(grep '^graph_capture' "$logs/$name.txt" ||
                                             tail -2 "$logs/$name.txt" | tr '\n' ' ')"
  fi
  env "$@" python3 "$here/torch_graph_check.py" >"$logs/${name}_torch.txt" 2>&1
  while read -r _ check_name status detail; do
    [ "$status" = PASS ]; check "${name}_${check_name}" $? "$detail"
  done < <(grep '^check ' "$logs/${name}_torch.txt")
  grep -q '^check ' "$logs/${name}_torch.txt" ||
    check "${name}_torch_ran" 1 "$(tail -3 "$logs/${name}_torch.txt" | tr '\n' ' ')"
}
# captures_beside NAME STEP "POD ENV" "NEIGHBOUR ENV": the captures in a pod
# while a neighbour pod runs the probe's STEP.
captures_beside() {
  local name=$1 step=$2 pod_env=$3 neighbour_env=$4
  env $neighbour_env "$build/bin/vslice_probe" "$step" >"$logs/${name}_neighbour.txt" 2>&1 &
  local neighbour_pid=$!
  sleep 1
  gated_captures "$name" $pod_env
  kill "$neighbour_pid" 2>/dev/null
  wait "$neighbour_pid" 2>/dev/null
}
capped="$(pod capture_capped 8g) CUDA_DEVICE_SM_LIMIT=50"
start_limiter $capped
gated_captures capped50 $capped
registry="VSLICE_REGISTRY=$work/node.registry"
shared="$(pod capture_shared 8g) $registry VSLICE_WEIGHT=20"
neighbour="$(pod capture_neighbour 8g) $registry VSLICE_WEIGHT=40"
start_limiter $shared
start_limiter $neighbour
captures_beside shared_weight20 spin:20000 "$shared" "$neighbour"
# Each priority class: a high-priority pod beside a busy best-effort one
# (its processes take the device over), and a best-effort pod beside a
# high-priority one that sends a request every 20 ms (the best-effort pod
# runs in between).
high="$(pod capture_high 8g) VSLICE_REGISTRY=$work/classes.registry VSLICE_PRIORITY=high"
low="$(pod capture_low 8g) VSLICE_REGISTRY=$work/classes.registry VSLICE_PRIORITY=best-effort"
start_limiter $high
start_limiter $low
captures_beside high_priority spin:20000 "$high" "$low"
captures_beside best_effort requests:1000:4:20 "$low" "$high"
kill "${limiter_pids[@]}" 2>/dev/null
wait "${limiter_pids[@]}" 2>/dev/null

echo "== PyTorch (default context reserve: 512 MiB per process)"
quota=$((2 * gib))
export EXPECT_RESERVE_BYTES=$((512 << 20))
env $(pod torch 2g) EXPECT_QUOTA_BYTES=$quota python3 "$here/torch_quota_check.py" 2>&1 | tee "$logs/torch.txt"
env $(pod torch_exp 2g) EXPECT_QUOTA_BYTES=$quota PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True \
  python3 "$here/torch_quota_check.py" 2>&1 | sed 's/^check torch_/check torch_expandable_/' | tee "$logs/torch_expandable.txt"
echo "== CuPy"
env $(pod cupy 2g) EXPECT_QUOTA_BYTES=$quota python3 "$here/cupy_quota_check.py" 2>&1 | tee "$logs/cupy.txt"
for f in torch torch_expandable cupy; do
  while read -r _ name status detail; do
    [ "$status" = PASS ]; check "$name" $? "$detail"
  done < <(grep '^check ' "$logs/$f.txt")
  grep -q '^check ' "$logs/$f.txt" || check "${f}_ran" 1 "$(tail -3 "$logs/$f.txt" | tr '\n' ' ')"
done

echo "== nvidia-smi inside a pod"
coproc HOLDER { env $(pod smi 2g 0) "$build/bin/vslice_probe" alloc:mem:512m ready wait; }
read -r -t 60 line <&"${HOLDER[0]}"; read -r -t 60 line <&"${HOLDER[0]}"
smi="$(env $(pod smi 2g 0) nvidia-smi --query-gpu=memory.total,memory.used --format=csv,noheader,nounits)"
echo "pod view: $smi (MiB total, used)"
nvidia-smi >"$logs/nvidia-smi-pod.txt" 2>&1
env $(pod smi 2g 0) nvidia-smi >>"$logs/nvidia-smi-pod.txt" 2>&1
apps="$(nvidia-smi --query-compute-apps=pid,used_memory --format=csv,noheader,nounits)"
echo "context memory per process (no allocations beyond 512 MiB): $apps"
eval "exec ${HOLDER[1]}>&-"; wait "$HOLDER_PID" 2>/dev/null
[ "$(echo "$smi" | tr -d ' ')" = "2048,512" ]
check nvidia_smi_shows_pod_quota $? "total,used MiB = $smi"

echo
echo "== summary: $pass passed, $fail failed (logs in $logs)"
printf '%s\n' "${rows[@]}"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
