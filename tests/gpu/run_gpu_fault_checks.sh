#!/usr/bin/env bash
# The crash and lifecycle fault tests (tests/faults) on a real NVIDIA GPU with
# the real driver: each test in a process of its own (as ctest runs them),
# with VSLICE_TEST_REAL_GPU=1, which makes the test pods use the real driver
# and the observer watch the device through the driver's NVML (see
# DeviceObserver in tests/faults/fault_support.h).
#   run_gpu_fault_checks.sh BUILD_DIR [LOG_DIR]
# Prints a `check NAME PASS|FAIL detail` line per test and a summary table
# last; exits 0 when all pass, 1 when any fails, 77 (skip) without a GPU.
# VSLICE_FAULT_ITERATIONS sets the number of random kills per crash test
# (default 40, as in CI); a crash test that runs longer than
# VSLICE_FAULT_WATCHDOG_SECONDS (here 280) reports where it waits and fails.
set -u
build="$(cd "${1:?usage: run_gpu_fault_checks.sh BUILD_DIR [LOG_DIR]}" && pwd)"
logs="${2:-$(mktemp -d /tmp/vslice-gpu-fault-logs.XXXXXX)}"
mkdir -p "$logs"

if ! nvidia-smi -L >/dev/null 2>&1; then
  echo "SKIP: no NVIDIA GPU here (nvidia-smi -L failed); these checks need a real GPU and run on one"
  exit 77
fi

tests=(
  CrashTest.RandomKillsWhileAllocatingWithALimiter
  CrashTest.RandomKillsWhileAllocatingWithoutALimiter
  CrashTest.RandomKillsUnderACapNeverHangTheSurvivors
  CrashTest.AReaperKilledMidReconcileNeverBlocksThePod
  'Gate/ForkTest.*'
  'ExitTest.*'
  'ContextTest.*'
  'DlcloseTest.*'
  'SignalTest.*'
)
pass=0
fail=0
rows=()
echo "== device"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee "$logs/device.txt"
for t in "${tests[@]}"; do
  log="$logs/$(echo "$t" | tr '/*' '_x').txt"
  start=$SECONDS
  VSLICE_TEST_REAL_GPU=1 VSLICE_TEST_BUILD_DIR="$build" \
    VSLICE_FAULT_ITERATIONS="${VSLICE_FAULT_ITERATIONS:-40}" \
    VSLICE_FAULT_WATCHDOG_SECONDS="${VSLICE_FAULT_WATCHDOG_SECONDS:-280}" \
    timeout 300 "$build/bin/vslice_fault_tests" --gtest_filter="$t" >"$log" 2>&1
  rc=$?
  took=$((SECONDS - start))
  ran="$(grep -E '^\[==========\] [0-9]+ tests? from' "$log" | tail -1 | awk '{print $2}')"
  passed="$(grep -E '^\[  PASSED  \] [0-9]+' "$log" | awk '{print $4}')"
  detail="${passed:-0}/${ran:-0} passed in ${took} s; $(grep -E '^\[ (faults|observer) \]' "$log" | tr '\n' ' ' | cut -c1-400)"
  if [ "$rc" = 0 ] && [ -n "$ran" ] && [ "$ran" != 0 ]; then
    pass=$((pass + 1)); s=PASS
  else
    fail=$((fail + 1)); s=FAIL
    grep -E 'Failure|Expected|Which is|Actual|watchdog' -A2 "$log" | head -30
  fi
  echo "check $t $s $detail"
  rows+=("$(printf '%-58s %-4s %s' "$t" "$s" "${passed:-0}/${ran:-0} in ${took} s")")
done

echo
echo "== summary: $pass passed, $fail failed (logs in $logs)"
printf '%s\n' "${rows[@]}"
[ "$fail" = 0 ]
