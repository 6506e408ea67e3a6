#!/usr/bin/env bash
# MLM training throughput of the domain-pretrain stage against PyTorch + transformers, side by side in one run.
#
#   scripts/bench/dapt.sh [--reps N] [--steps S] [--threads "1 2"]
#
# Shape: all-MiniLM-L6-v2 (assets/all-MiniLM-L6-v2), batch 16 x 128 packed blocks of random WordPiece ids, 15%
# masked (80/10/10), AdamW, clipping, dropout on. The Swift side is the real stage executable run on a synthetic
# tokenize artifact (scripts/bench/dapt_workspace.py): its first W steps train only the created MLM head with the
# trunk frozen (the head warm-up), the next S train everything; metrics.json gives the median tokens/s of each
# phase. The PyTorch side (scripts/bench/dapt_torch.py) runs HF's stock BertForMaskedLM step (logits at every
# position), the same step with the head applied only at the masked positions (as the stage does), and the
# frozen-trunk step. Repetitions alternate the systems; the summary prints best/median and ratios.
#
# Like scripts/bench/tensor.sh, the Swift side runs with OPENBLAS_CORETYPE unset (OpenBLAS picks its kernels for
# this CPU; the core name is printed). Environment: BENCH_VENV (virtualenv with torch + transformers, created if
# missing; default .venv-golden), FINETUNED_ASSETS (default <repo>/assets).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
VENV=${BENCH_VENV:-$ROOT/.venv-golden}
MODEL=${FINETUNED_ASSETS:-$ROOT/assets}/all-MiniLM-L6-v2
REPS=2 STEPS=8 WARM=6 THREADS="1 2"
while [ $# -gt 0 ]; do
    case "$1" in
        --reps) REPS=$2; shift 2 ;;
        --steps) STEPS=$2; shift 2 ;;
        --threads) THREADS=$2; shift 2 ;;
        *) echo "unknown argument $1" >&2; exit 2 ;;
    esac
done
swift build -c release --product finetuned-stage-domain-pretrain --package-path "$ROOT" >&2
BIN=$(swift build -c release --package-path "$ROOT" --show-bin-path)/finetuned-stage-domain-pretrain
if [ ! -x "$VENV/bin/python" ]; then python3 -m venv "$VENV"; fi
"$VENV/bin/python" -c "import torch, transformers" 2>/dev/null || "$VENV/bin/pip" install -q torch transformers

WORK=$(mktemp -d /tmp/dapt-bench.XXXXXX)
OUT=$WORK/results.jsonl
trap 'rm -rf "$WORK"' EXIT
CORE=$(env -u OPENBLAS_CORETYPE python3 -c "import ctypes; l=ctypes.CDLL('libopenblas.so.0'); l.openblas_get_corename.restype=ctypes.c_char_p; print(l.openblas_get_corename().decode())")
echo "# $(date -u +%FT%TZ) $(uname -n); $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); flags: $(grep -m1 -o -w 'avx512f\|avx2' /proc/cpuinfo | sort -u | xargs)"
echo "# OpenBLAS core (OPENBLAS_CORETYPE unset): $CORE; load: $(uptime | sed 's/.*load average: //')"
PARAMS="{\"corpus\": \"corpus\", \"steps\": $STEPS, \"head_warmup_steps\": $WARM, \"batch_size\": 16, \"eval_every\": 0, \"eval_rows\": 16, \"checkpoint_every\": 0}"
for t in $THREADS; do
    for rep in $(seq "$REPS"); do
        echo "# threads $t, rep $rep/$REPS (load $(uptime | sed 's/.*load average: //'))" >&2
        REQ=$(python3 "$ROOT/scripts/bench/dapt_workspace.py" --dir "$WORK" --model "$MODEL" --threads "$t" \
            --params "$PARAMS" --name "swift-$t-$rep")
        echo "$REQ" | env -u OPENBLAS_CORETYPE "$BIN" > "$WORK/swift-$t-$rep/events.jsonl"
        python3 -c "import json,sys; m=json.load(open(sys.argv[1])); print(json.dumps({'system':'swift','threads':$t,'warm':m['tokens_per_second_median']['head_warmup'],'full':m['tokens_per_second_median']['training']}))" \
            "$WORK/swift-$t-$rep/output/metrics.json" >> "$OUT"
        for mode in "" "--gather" "--frozen-trunk --gather"; do
            OMP_NUM_THREADS=$t MKL_NUM_THREADS=$t "$VENV/bin/python" "$ROOT/scripts/bench/dapt_torch.py" \
                --model "$MODEL" --threads "$t" --steps "$STEPS" $mode >> "$OUT"
        done
    done
done
python3 - "$OUT" <<'PY'
import json, sys, statistics as st
rows = [json.loads(l) for l in open(sys.argv[1])]
def stats(xs): return (max(xs), st.median(xs)) if xs else (float("nan"), float("nan"))
print("| threads | system / step | tokens/s best | median | stage ÷ this (median) |")
print("|---|---|---|---|---|")
for t in sorted({r["threads"] for r in rows}):
    sw = [r for r in rows if r["system"] == "swift" and r["threads"] == t]
    full, warm = stats([r["full"] for r in sw]), stats([r["warm"] for r in sw])
    print(f"| {t} | stage, full training | {full[0]:.0f} | {full[1]:.0f} | |")
    print(f"| {t} | stage, trunk frozen (head warm-up) | {warm[0]:.0f} | {warm[1]:.0f} | frozen ÷ full {warm[1]/full[1]:.2f} |")
    for frozen, gather, label in [(False, False, "torch, HF stock (logits everywhere)"), (False, True, "torch, head at masked positions"), (True, True, "torch, trunk frozen")]:
        tr = [r["tokens_per_second_median"] for r in rows if r["system"] == "torch" and r["threads"] == t and r["frozen_trunk"] == frozen and r["gather"] == gather]
        b = stats(tr)
        ref = warm[1] if frozen else full[1]
        print(f"| {t} | {label} | {b[0]:.0f} | {b[1]:.0f} | {ref / b[1]:.2f} |")
PY
