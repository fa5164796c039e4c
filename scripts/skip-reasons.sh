#!/usr/bin/env bash
# Says why each skipped test skipped. ctest lists the tests that skipped, but
# not why; each test says why in its own output (a script's "SKIP: ..." line,
# GoogleTest's message after its "file:line: Skipped" line), which ctest
# keeps in its log.
#   skip-reasons.sh CTEST_OUTPUT LAST_TEST_LOG
# CTEST_OUTPUT: what ctest printed; LAST_TEST_LOG: its
# Testing/Temporary/LastTest.log. Prints nothing when no test skipped.
set -euo pipefail
summary=$1 log=$2
skipped="$(sed -n 's/^[[:space:]]*[0-9]* - \(.*\) (Skipped)$/\1/p' "$summary")"
[ -n "$skipped" ] || exit 0
echo "Skipped tests, and why:"
while IFS= read -r name; do
  reason="$(awk -v test="$name" '
    $0 ~ "^[0-9]+/[0-9]+ Test: " { mine = ($3 == test); next }
    !mine { next }
    /^<end of output>$/ { if (last != "") print last; exit }
    /^SKIP: / { sub(/^SKIP: /, ""); print; exit }
    after_skipped { print; exit }
    /: Skipped$/ { after_skipped = 1; next }
    NF { last = $0 }
  ' "$log")"
  echo "  $name: ${reason:-(its output says nothing)}"
done <<< "$skipped"
