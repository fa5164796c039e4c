#!/usr/bin/env bash
# Runs one libFuzzer target: first over its seed corpus, then, when
# VSLICE_FUZZ_SECONDS is set (> 0), for that many seconds of new inputs.
#
#   run_fuzzer.sh FUZZER SEED_CORPUS WORK_DIR
#
# New inputs go to WORK_DIR/corpus (never into the checked-in seeds); a
# crashing input is kept as WORK_DIR/crash-* and printed in hex, so that it
# can be added to the seeds once the bug is fixed. Exit status 77: skipped.
set -uo pipefail
fuzzer=$1 seeds=$2 work=$3
if [ -n "${VSLICE_FUZZ_SKIP_REASON:-}" ]; then
  echo "SKIP: $(basename "$fuzzer"): ${VSLICE_FUZZ_SKIP_REASON}"
  exit 77
fi
if [ ! -x "$fuzzer" ]; then
  echo "SKIP: $fuzzer was not built"
  exit 77
fi
seconds=${VSLICE_FUZZ_SECONDS:-0}
case "$seconds" in ''|*[!0-9]*) echo "VSLICE_FUZZ_SECONDS=$seconds is not a number of seconds" >&2; exit 2;; esac
mkdir -p "$work/corpus"
rm -f "$work"/crash-* "$work"/timeout-* "$work"/leak-*
cd "$work"
# libFuzzer's own failure status is 77 by default, which ctest would read
# as "skipped": a crash must fail the test.
common=(-timeout=10 -rss_limit_mb=2048 -artifact_prefix="$work/" -print_final_stats=1
        -error_exitcode=1 -timeout_exitcode=1)
if [ "$seconds" -eq 0 ]; then
  # The corpus only: every seed, and everything a previous run found.
  "$fuzzer" "${common[@]}" -runs=0 "$work/corpus" "$seeds" 2>&1 | tail -n 20
  status=${PIPESTATUS[0]}
else
  "$fuzzer" "${common[@]}" -max_total_time="$seconds" "$work/corpus" "$seeds" 2>&1 | tail -n 40
  status=${PIPESTATUS[0]}
fi
for crash in "$work"/crash-* "$work"/timeout-* "$work"/leak-*; do
  [ -e "$crash" ] || continue
  echo "$(basename "$fuzzer"): failing input $crash:"
  od -An -tx1 -v "$crash" | head -n 20
done
exit "$status"
