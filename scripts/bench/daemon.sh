#!/usr/bin/env bash
# Daemon benchmarks (issue 3): latency from a pipeline file's rename into the watched folder to its run
# starting (run.json appearing), with the default 300 ms debounce and with none; idle RSS and CPU over a minute.
#   scripts/bench/daemon.sh [--debug] [--reps 10] [--idle-seconds 60] [--bin DIR]   (DIR: prebuilt binaries)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
config=release; reps=10; idle=60; bin=""
while (($#)); do case "$1" in --debug) config=debug; shift;; --reps) reps=$2; shift 2;; --idle-seconds) idle=$2; shift 2;; --bin) bin=$2; shift 2;; *) echo "unknown $1" >&2; exit 2;; esac; done
if [ -z "$bin" ]; then
  swift build -c "$config" >/dev/null
  bin=$(swift build -c "$config" --show-bin-path)
fi
python3 - "$bin" "$reps" "$idle" "$config" <<'PY'
import os, subprocess, sys, time, statistics, tempfile, shutil
bin, reps, idle, config = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
def daemon(debounce):
    work = tempfile.mkdtemp(prefix="ftd-bench-")
    os.makedirs(f"{work}/state/pipelines")
    with open(f"{work}/conf.yaml", "w") as f:
        f.write(f"state_dir: {work}/state\ncontrol_socket: {work}/ctl.sock\ncontrol_group: ''\ndebounce_ms: {debounce}\n")
    p = subprocess.Popen([f"{bin}/finetuned", "--config", f"{work}/conf.yaml"], stderr=subprocess.DEVNULL)
    while not os.path.exists(f"{work}/ctl.sock"): time.sleep(0.01)
    return p, work
def latency(debounce):
    p, work = daemon(debounce)
    out = []
    for i in range(reps):
        name = f"p{i}"
        tmp = f"{work}/.{name}.tmp"
        with open(tmp, "w") as f: f.write(f"version: 1\nname: {name}\nstages:\n  a: {{plugin: testkit}}\n")
        target = f"{work}/state/runs/{name}/latest/run.json"
        t = time.perf_counter(); os.rename(tmp, f"{work}/state/pipelines/{name}.yaml")
        while not os.path.exists(target): time.sleep(0.0005)
        out.append(time.perf_counter() - t)
        time.sleep(0.2)
    p.terminate(); p.wait(); shutil.rmtree(work)
    return out
def ticks(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])
print(f"build {config}; load average {' '.join(open('/proc/loadavg').read().split()[:3])}")
for d in (300, 0):
    xs = latency(d)
    print(f"rename → run started, debounce {d:3d} ms: min {min(xs)*1000:7.1f} ms  median {statistics.median(xs)*1000:7.1f} ms  max {max(xs)*1000:7.1f} ms")
p, work = daemon(300)
time.sleep(2)
t0, c0 = time.time(), ticks(p.pid)
time.sleep(idle)
t1, c1 = time.time(), ticks(p.pid)
rss = [l for l in open(f"/proc/{p.pid}/status") if l.startswith(("VmRSS", "VmHWM"))]
hz = os.sysconf("SC_CLK_TCK")
print(f"idle {t1-t0:.0f} s: CPU {(c1-c0)/hz*1000:.0f} ms ({(c1-c0)/hz/(t1-t0)*100:.3f} %); " + ", ".join(l.split()[0] + " " + l.split()[1] + " kB" for l in rss))
p.terminate(); p.wait(); shutil.rmtree(work)
PY
