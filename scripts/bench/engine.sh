#!/usr/bin/env bash
# Engine benchmarks (issue 2): wall time of a no-op re-run of a 4-stage pipeline, and SHA-256 throughput of the
# data-file digests against coreutils' sha256sum on the same 1 GiB file, interleaved, min/median.
#   scripts/bench/engine.sh [--size-mib 1024] [--reps 5] [--bin DIR]   (DIR: prebuilt release binaries)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
size=1024; reps=5; bin=""
while (($#)); do case "$1" in --size-mib) size=$2; shift 2;; --reps) reps=$2; shift 2;; --bin) bin=$2; shift 2;; *) echo "unknown $1" >&2; exit 2;; esac; done
if [ -z "$bin" ]; then
  swift build -c release >/dev/null
  bin=$(swift build -c release --show-bin-path)
fi
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
mkdir -p "$work/data"
for i in 1 2 3; do head -c 200000 /dev/urandom | base64 > "$work/data/doc$i.txt"; done
cat > "$work/four.yaml" <<'YAML'
version: 1
data:
  docs: { path: data/*.txt }
stages:
  count: { plugin: wordcount, inputs: [docs] }
  long: { plugin: wordcount, inputs: [docs], with: { min_length: 6 } }
  merge: { plugin: wordcount, after: [count, long] }
  report: { plugin: testkit, after: [merge] }
YAML
echo "generating a ${size} MiB data file..." >&2
head -c $((size * 1024 * 1024)) /dev/urandom > "$work/big.bin"
cat > "$work/hash.yaml" <<'YAML'
version: 1
data:
  big: { path: big.bin }
stages:
  read: { plugin: testkit, inputs: [big] }
YAML
"$bin/finetunectl" run "$work/four.yaml" --state-dir "$work/state" >/dev/null 2>&1
python3 - "$bin/finetunectl" "$work" "$reps" "$size" <<'PY'
import os, subprocess, sys, time, statistics, shutil
ctl, work, reps, size = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
state = f"{work}/state"
def timed(cmd, before=None):
    if before: before()
    t = time.perf_counter(); subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t
def drop_memo():
    try: os.remove(f"{state}/cache/digests.json")
    except FileNotFoundError: pass
noop = [timed([ctl, "run", f"{work}/four.yaml", "--state-dir", state]) for _ in range(reps * 2)]
ours, theirs, warm = [], [], []
for _ in range(reps):   # interleaved
    ours.append(timed([ctl, "plan", f"{work}/hash.yaml", "--state-dir", state], drop_memo))
    theirs.append(timed(["sha256sum", f"{work}/big.bin"]))
    warm.append(timed([ctl, "plan", f"{work}/hash.yaml", "--state-dir", state]))
def row(name, xs, mib=None):
    s = f"{name:<44} min {min(xs)*1000:8.1f} ms  median {statistics.median(xs)*1000:8.1f} ms"
    if mib: s += f"   {mib/min(xs):7.0f} MiB/s best, {mib/statistics.median(xs):7.0f} median"
    print(s)
load = open("/proc/loadavg").read().split()[:3]
print(f"load average {' '.join(load)}; {os.cpu_count()} cpus")
row("no-op re-run, 4 stages (finetunectl run)", noop)
row(f"finetunectl plan, cold digest of {size} MiB", ours, size)
row(f"sha256sum of the same {size} MiB", theirs, size)
row("finetunectl plan, memoised digest", warm)
print(f"ratio (ours / sha256sum, median time): {statistics.median(ours)/statistics.median(theirs):.2f}")
PY
