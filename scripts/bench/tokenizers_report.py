"""Summarises scripts/bench/tokenizers.sh results: min/median per (task, system, threads) and ratios."""
import statistics
import sys
from collections import defaultdict

rows = defaultdict(list)
with open(sys.argv[1]) as f:
    for line in f:
        task, system, threads, value = line.split()
        rows[(task, system, int(threads))].append(float(value))

print(f"{'task':<22}{'system':<8}{'thr':>4}{'reps':>6}{'best':>10}{'median':>10}")
for (task, system, threads), vals in sorted(rows.items()):
    best = max(vals) if task.endswith("MB/s") else min(vals)
    print(f"{task:<22}{system:<8}{threads:>4}{len(vals):>6}{best:>10.3f}{statistics.median(vals):>10.3f}")

print()
for task in sorted({k[0] for k in rows}):
    for threads in (1, 2):
        ours, hf = rows.get((task, "ours", threads)), rows.get((task, "hf", threads))
        if not ours or not hf:
            continue
        if task.endswith("MB/s"):  # higher is better: ours / hf
            rb, rm = max(ours) / max(hf), statistics.median(ours) / statistics.median(hf)
            print(f"{task} {threads} thread(s): ours/HF = {rb:.2f}x (best), {rm:.2f}x (median)")
        else:  # seconds, lower is better: hf / ours = speed-up
            rb, rm = min(hf) / min(ours), statistics.median(hf) / statistics.median(ours)
            print(f"{task} {threads} thread(s): HF time / ours = {rb:.2f}x (best), {rm:.2f}x (median)")
    hf1 = rows.get((task, "hf", 1))
    ours1 = rows.get((task, "ours", 1))
    if task.endswith("MB/s") and hf1:
        for threads in (1, 2):
            o = rows.get((task, "ours", threads))
            if o:
                print(f"{task} ours {threads} thread(s) vs HF 1 thread: {statistics.median(o) / statistics.median(hf1):.2f}x (median)")
