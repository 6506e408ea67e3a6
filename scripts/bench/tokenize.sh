#!/usr/bin/env bash
# Tokenize-stage benchmark (issue 5, item 4): etc/finetuned/pipelines/tokenize.yaml — SMS spam + TREC as rows
# (MiniLM tokenizer, max_length 128) and Jane Austen's novels packed into 128-token blocks — run by finetunectl
# with 1 and 2 threads, a fresh state directory per repetition and one stage at a time (--jobs 1). Prints, per
# stage, records/s and tokens/s of encoding and the stage's wall time (min and median), then the wall time of a
# fully cached re-run. Needs scripts/fetch-assets to have run.
#   scripts/bench/tokenize.sh [--reps 3] [--bin DIR]   (DIR: prebuilt finetunectl + finetuned-stage-tokenize;
#                                                      default: swift build -c release)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
reps=3; bin=""
while (($#)); do case "$1" in --reps) reps=$2; shift 2;; --bin) bin=$2; shift 2;; *) echo "unknown $1" >&2; exit 2;; esac; done
if [ -z "$bin" ]; then
  swift build -c release --product finetunectl >/dev/null
  swift build -c release --product finetuned-stage-tokenize >/dev/null
  bin=$(swift build -c release --show-bin-path)
fi
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
python3 - "$bin" "$work" "$reps" <<'PY'
import json, os, statistics, subprocess, sys, time
bin, work, reps = sys.argv[1], sys.argv[2], int(sys.argv[3])
pipeline = "etc/finetuned/pipelines/tokenize.yaml"
def run(state, threads):
    t = time.perf_counter()
    out = subprocess.run([f"{bin}/finetunectl", "run", pipeline, "--state-dir", state, "--plugin-dir", bin,
                          "--threads", str(threads), "--jobs", "1", "--json"],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out), time.perf_counter() - t
print(f"{os.uname().nodename}: {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}; {reps} reps; best / median")
for threads in (1, 2):
    rows = {}
    for r in range(reps):
        record, _ = run(f"{work}/state-{threads}-{r}", threads)
        for s in record["stages"]:
            assert s["status"] == "succeeded", s
            m = s["summary"]
            rows.setdefault(s["name"], []).append((m["rows_per_second"], m["tokens_per_second"], s["seconds"], m["rows"], m["tokens"]))
    for name, v in rows.items():
        rps, tps, sec = [x[0] for x in v], [x[1] for x in v], [x[2] for x in v]
        print(f"  {name:9} {threads} thread(s): {v[0][3]} records, {v[0][4]} tokens; "
              f"encoding {max(rps):,.0f} / {statistics.median(rps):,.0f} records/s, "
              f"{max(tps):,.0f} / {statistics.median(tps):,.0f} tokens/s; stage {min(sec):.2f} / {statistics.median(sec):.2f} s")
record, wall = run(f"{work}/state-1-0", 1)
assert all(s["status"] == "cached" for s in record["stages"]), record
print(f"  cached re-run of both stages: {wall:.2f} s wall (finetunectl start to exit)")
PY
