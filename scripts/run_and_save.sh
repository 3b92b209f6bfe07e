#!/usr/bin/env bash
# Runs Stage 4 and keeps the evidence: creates the artifact directory, runs the gate,
# shows summary.json, records the run in public/test2.html, and exits with the gate's
# exit code so CI still fails when the gate does.
#
#   PROD_URL=https://staging.example.com scripts/run_and_save.sh [golive stage4 flags...]
#   GOLIVE_BIN=target/release/golive PROJECT_ROOT=../app scripts/run_and_save.sh
set -uo pipefail

GOLIVE=${GOLIVE_BIN:-golive}
cd "${PROJECT_ROOT:-.}" || { echo "run_and_save: no such directory: $PROJECT_ROOT" >&2; exit 2; }
OUT=${OUT:-qa/stage4/v0.4.0}

mkdir -p "$OUT" || exit 4
"$GOLIVE" stage4 --out "$OUT" "$@"
rc=$?

echo
echo "== $OUT/summary.json"
cat "$OUT/summary.json" 2>/dev/null || echo "(no summary.json)"

status=$([ "$rc" -eq 0 ] && echo PASS || echo FAIL)
"$GOLIVE" index --stage stage4 --row-version v0.4.0 \
  --description "Stage 4 readiness gate: health, canary latency, CSP header, provider config checks (last run: $status)" \
  --code "golive stage4" --test "/$OUT/summary.json" \
  || echo "run_and_save: could not update public/test2.html" >&2

exit "$rc"
