#!/usr/bin/env bash
# pipeline.sh — long runs of the pipeline parser/validator fuzzer (Sources/PipelineFuzzing; the test suite runs
# a fixed budget of it in PipelineFuzzerTests).
#   scripts/fuzz/pipeline.sh [SECONDS [ROUND_SECONDS]]     (defaults: 600 s in rounds of 60 s)
# Each round is one pipeline-fuzz process with its own seed, so a crash ends only its round: the input that
# crashed it is kept under $OUT/crashes/. A round that does not end within ROUND_SECONDS + 30 s is a hang (its
# last input is kept under $OUT/hangs/); a single input using more than HANG_SECONDS (default 2) of CPU is reported by the
# fuzzer itself as a finding. Prints per round and in total: inputs tried, crashes, hangs, findings, peak RSS.
# Environment: BUILD_DIR (default: build debug with swift build), OUT (default .build/fuzz-pipeline), SEED0.
set -uo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
total_seconds=${1:-600}
round_seconds=${2:-60}
hang_seconds=${HANG_SECONDS:-2}
out=${OUT:-$repo/.build/fuzz-pipeline}
seed=${SEED0:-$(date +%s)}
if [ -z "${BUILD_DIR:-}" ]; then
  (cd "$repo" && nice -n 5 swift build --product pipeline-fuzz >/dev/null) || { echo "build failed" >&2; exit 2; }
  BUILD_DIR=$(cd "$repo" && swift build --show-bin-path)
fi
fuzz=$BUILD_DIR/pipeline-fuzz
mkdir -p "$out/crashes" "$out/hangs"
inputs=0 crashes=0 hangs=0 findings=0 peak=0 rounds=0
end=$(( $(date +%s) + total_seconds ))
while [ "$(date +%s)" -lt "$end" ]; do
  left=$(( end - $(date +%s) )); [ "$left" -lt "$round_seconds" ] && this=$left || this=$round_seconds
  [ "$this" -le 0 ] && break
  ws=$out/ws-$seed
  line=$(timeout -s KILL $((this + 30)) "$fuzz" --seed "$seed" --seconds "$this" --hang "$hang_seconds" --workspace "$ws" 2>&1)
  status=$?
  rounds=$((rounds + 1))
  summary=$(grep '^seed=' <<<"$line" | tail -1)
  if [ -n "$summary" ]; then
    n=$(sed -n 's/.* inputs=\([0-9]*\).*/\1/p' <<<"$summary"); inputs=$((inputs + n))
    f=$(sed -n 's/.* findings=\([0-9]*\).*/\1/p' <<<"$summary"); findings=$((findings + f))
    h=$(sed -n 's/.* hangs=\([0-9]*\).*/\1/p' <<<"$summary"); hangs=$((hangs + h))
    m=$(sed -n 's/.* peak_rss_mb=\([0-9]*\).*/\1/p' <<<"$summary"); [ "$m" -gt "$peak" ] && peak=$m
    echo "$summary"
    grep '^finding:' <<<"$line" | head -5
    [ "$f" -gt 0 ] && cp "$ws"/findings/* "$out/crashes/" 2>/dev/null
  elif [ "$status" -eq 137 ]; then
    hangs=$((hangs + 1)); cp "$ws/last-input" "$out/hangs/seed-$seed.yaml" 2>/dev/null
    echo "seed=$seed HANG: killed after $((this + 30)) s; input kept in $out/hangs/seed-$seed.yaml"
  else
    crashes=$((crashes + 1)); cp "$ws/last-input" "$out/crashes/seed-$seed.yaml" 2>/dev/null
    echo "seed=$seed CRASH (exit $status); input kept in $out/crashes/seed-$seed.yaml"; tail -5 <<<"$line"
  fi
  rm -rf "$ws"
  seed=$((seed + 1))
done
echo "total: rounds=$rounds inputs=$inputs crashes=$crashes hangs=$hangs findings=$findings peak_rss_mb=$peak"
[ $((crashes + hangs + findings)) -eq 0 ]
