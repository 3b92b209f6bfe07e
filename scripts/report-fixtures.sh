#!/usr/bin/env bash
# Regenerates tests/fixtures/results/*.json: one real result of each kind that
# `golive report` reads, from runs against `golive serve` on loopback. The report
# tests render these offline; tests/golden/ pins the stress one's HTML.
#
#   bash scripts/report-fixtures.sh && GOLIVE_BLESS=1 cargo test --test report
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
golive=$PWD/target/release/golive
out=$PWD/tests/fixtures/results
mkdir -p "$out"
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export GOLIVE_ADMIN_TOKEN=fixtures
"$golive" serve --port "$port" --latency 2ms --admin >/dev/null 2>&1 &
base=http://127.0.0.1:$port
for _ in $(seq 50); do curl -fs "$base/health" >/dev/null && break; sleep 0.1; done
faults() { curl -fs -X POST -H "X-Golive-Admin: $GOLIVE_ADMIN_TOKEN" "$base/admin/faults?$1" >/dev/null; }

# stress: open model at 100 req/s for 5 s; every request in [2 s, 3 s) is held for
# an extra second (a stall) and a short burst of 5xx follows it.
( sleep 2; faults 'latency=1s'; sleep 1; faults 'latency=0s&error_rate=0.3'; sleep 0.5; faults 'error_rate=0' ) &
"$golive" stress "$base/health" --rate 100 -d 5s -c 150 --no-progress \
  --slo 'p95<500ms' --slo 'success>99%' --slo 'p99.99<2s' --json "$out/stress.json" || true
wait %2 2>/dev/null || true
faults 'latency=0s&error_rate=0'

# merge: two closed-loop runs merged.
"$golive" stress "$base/health" -n 300 -c 4 --no-progress --json "$work/a.json" >/dev/null
"$golive" stress "$base/health" -n 300 -c 4 --no-progress --json "$work/b.json" >/dev/null
"$golive" merge "$work/a.json" "$work/b.json" --slo 'p99<250ms' --json "$out/merge.json" >/dev/null

# compare: one plan, then again with 3 ms more on every request.
"$golive" stress "$base/health" --rate 100 -d 6s -c 10 --no-progress --json "$work/before.json" >/dev/null
faults 'latency=5ms'
"$golive" stress "$base/health" --rate 100 -d 6s -c 10 --no-progress --json "$work/after.json" >/dev/null
faults 'latency=2ms'
"$golive" compare "$work/before.json" "$work/after.json" --json "$out/compare.json" >/dev/null || true

"$golive" canary "$base/health" --count 8 --delay 50ms --json "$out/canary.json" >/dev/null
"$golive" smoke "$base" --json "$out/smoke.json" >/dev/null || true
"$golive" probes "$base" --json "$out/probes.json" >/dev/null || true
printf 'API_BASE=http://example.invalid\nSTRIPE_SECRET_KEY=\n# optional\nSENTRY_DSN=\n' > "$work/.env.example"
API_BASE=x "$golive" envcheck --example "$work/.env.example" --json "$out/envcheck.json" >/dev/null || true
OI_BASE_URL=$base "$golive" stage3 --root "$work" --gate-cmd 'echo gate ok' --out "$work/s3" >/dev/null || true
cp "$work/s3/summary.json" "$out/stage3.json"
PROD_URL=$base "$golive" stage4 --out "$work/s4" >/dev/null || true
cp "$work/s4/summary.json" "$out/stage4.json"

# ramp: interrupted (Ctrl-C) during its second step and resumed; then the target turns
# 30% 5xx when the weight reaches 50, and the ramp rolls back.
# The token stays in the environment: the journaled command names the variable.
admin='-H "X-Golive-Admin: $GOLIVE_ADMIN_TOKEN"'
"$golive" ramp "$base/health" --skip-pre --steps 5:1s,20:2s,50:1s,100:1s --interval 500ms \
  --warmup 0s --window-rate 60 --no-progress --state "$work/ramp-state.json" \
  --set-weight "if [ {weight} = 50 ]; then curl -fs -X POST $admin '$base/admin/faults?error_rate=0.3'; fi" \
  --rollback-cmd "curl -fs -X POST $admin '$base/admin/faults?error_rate=0'" \
  --json "$out/ramp.json" >/dev/null &
ramp=$!
for _ in $(seq 200); do
  grep -q '"step": 1' "$work/ramp-state.json" 2>/dev/null && grep -q '"windows": 1' "$work/ramp-state.json" && break
  sleep 0.05
done
kill -INT "$ramp"; wait "$ramp" || true
"$golive" ramp --resume --state "$work/ramp-state.json" --no-progress >/dev/null || true

# Host-specific fields (the temporary directory) are made stable.
sed -i "s|$work|/tmp/golive-fixtures|g" "$out"/*.json
ls -l "$out"
