"""Summarises the JSON lines of scripts/bench/tensor.sh: tokens/s (best, median), ratio, MFU, peak RSS."""
import json
import statistics
import sys
from collections import defaultdict

steps = defaultdict(list)
rss = defaultdict(list)
sgemm = defaultdict(list)
info = {}
for line in open(sys.argv[1]):
    line = line.strip()
    if not line.startswith("{"):
        continue
    r = json.loads(line)
    if "sgemm" in r:
        sgemm[r["threads"]].append(r)
    elif r.get("summary"):
        rss[(r["model"], r["threads"], r["system"])].append(r["peak_rss_mib"])
        info[r["system"]] = r
    else:
        steps[(r["model"], r["threads"], r["system"])].append(r)

rate = {}
cpu_rate = None
for t, rows in sorted(sgemm.items()):
    big = [r["gflops"] for r in rows if r["sgemm"] != "128x128x32"]
    rate[t] = statistics.median(big)
    if t == 1:
        cpu_rate = statistics.median(r["gflops_per_cpu_second"] for r in rows if r["sgemm"] != "128x128x32")
    worst = max(r["max_rel_error"] for r in rows)
    print(f"sgemm ({rows[0]['blas_core']}, {t} thread(s)): median {rate[t]:.0f} GFLOP/s over transformer shapes "
          f"(best {max(big):.0f}); 128x128x32: {statistics.median(r['gflops'] for r in rows if r['sgemm'] == '128x128x32'):.0f}; "
          f"max relative error vs float64 {worst:.1e}"
          + (f"; per CPU-second: {cpu_rate:.0f} GFLOP/s" if t == 1 and cpu_rate else ""))
print()
print(f"{'model':6} {'thr':>3} {'system':6} {'tok/s best':>10} {'median':>8} {'GFLOP/s':>8} {'MFU':>6} "
      f"{'cpu s/step':>10} {'cpu MFU':>7} {'peak RSS MiB':>12} {'steps':>5}")
ratios = []
for model in ["bert", "gpt"]:
    for t in sorted({k[1] for k in steps}):
        res = {}
        for system in ["swift", "torch"]:
            rows = steps.get((model, t, system))
            if not rows:
                continue
            tps = [r["tokens"] / r["seconds"] for r in rows]
            best, med = max(tps), statistics.median(tps)
            gf = best * rows[0]["flops_per_token"] / 1e9
            mfu = gf / rate[t] if t in rate else float("nan")
            cpu = min(r["thread_cpu_seconds"] for r in rows)
            # Contention-robust utilisation for one thread: model FLOPs per CPU-second of the (only) working thread
            # against sgemm FLOPs per CPU-second.
            cpu_mfu = (rows[0]["tokens"] * rows[0]["flops_per_token"] / cpu / 1e9 / cpu_rate
                       if t == 1 and cpu_rate else float("nan"))
            print(f"{model:6} {t:>3} {system:6} {best:>10.0f} {med:>8.0f} {gf:>8.1f} {mfu:>6.0%} {cpu:>10.2f} "
                  f"{cpu_mfu:>7.0%} {max(rss[(model, t, system)]):>12.0f} {len(rows):>5}")
            res[system] = (best, med)
        if len(res) == 2:
            rb, rm = res["swift"][0] / res["torch"][0], res["swift"][1] / res["torch"][1]
            ratios.append((model, t, rb, rm))
print()
for model, t, rb, rm in ratios:
    print(f"{model} threads {t}: swift/torch tokens/s = {rb:.2f}x (best), {rm:.2f}x (median)")
if "torch" in info:
    print(f"\ntorch {info['torch'].get('torch')}, transformers {info['torch'].get('transformers')}, "
          f"attention {info['torch'].get('attn_implementation')}; swift BLAS core {info.get('swift', {}).get('blas_core')}")
print("cpu s/step = best CPU time of the calling thread (with 2 threads, worker threads are not counted); "
      "cpu MFU (1 thread only) = model FLOPs per CPU-second / sgemm FLOPs per CPU-second")
print("MFU = model GFLOP/s (notes/performance.md FLOP count) / median OpenBLAS sgemm GFLOP/s at the same thread count")
