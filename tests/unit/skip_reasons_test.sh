#!/usr/bin/env bash
# scripts/skip-reasons.sh on a ctest output and log of the three kinds of
# skipped test: a script's "SKIP:" line, GoogleTest's message, and a test
# that says nothing recognisable (its last line is shown). A test that
# passed is not listed.
#   skip_reasons_test.sh SKIP_REASONS_SCRIPT
set -euo pipefail
script=$1
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cat > "$work/summary" <<'OUT'
100% tests passed, 0 tests failed out of 4

The following tests did not run:
	 12 - Suite.NeedsAGpu (Skipped)
	305 - gpu_checks (Skipped)
	306 - quiet (Skipped)
OUT
cat > "$work/LastTest.log" <<'LOG'
----------------------------------------------------------
11/306 Testing: Suite.Passes
11/306 Test: Suite.Passes
Output:
----------------------------------------------------------
SKIP: not this one
<end of output>
12/306 Testing: Suite.NeedsAGpu
12/306 Test: Suite.NeedsAGpu
Output:
----------------------------------------------------------
Running main() from gtest_main.cc
/src/tests/x_test.cc:40: Skipped
the spin step needs the simulated device
[  SKIPPED ] Suite.NeedsAGpu (0 ms)
<end of output>
305/306 Testing: gpu_checks
305/306 Test: gpu_checks
Output:
----------------------------------------------------------
SKIP: no NVIDIA GPU here (nvidia-smi -L failed)
<end of output>
306/306 Test: quiet
Output:
----------------------------------------------------------
nothing to do here

<end of output>
LOG
expected='Skipped tests, and why:
  Suite.NeedsAGpu: the spin step needs the simulated device
  gpu_checks: no NVIDIA GPU here (nvidia-smi -L failed)
  quiet: nothing to do here'
actual="$(bash "$script" "$work/summary" "$work/LastTest.log")"
if [ "$actual" != "$expected" ]; then
  printf 'expected:\n%s\nactual:\n%s\n' "$expected" "$actual"
  exit 1
fi
printf '100%% tests passed\n' > "$work/summary"
[ -z "$(bash "$script" "$work/summary" "$work/LastTest.log")" ] || { echo "listed a skip where none was"; exit 1; }
echo "skip reasons: ok"
