#!/usr/bin/env bash
# Throughput (rows/s) of `finetunectl predict` on the spam test split, against the same model in PyTorch in the
# same run, and the largest difference of their probabilities.
#
#   scripts/bench/predict.sh [--threads N] [--batch N]
#
# The model is all-MiniLM-L6-v2 (assets/all-MiniLM-L6-v2) with two UNTRAINED heads (spam: 2 classes, question:
# 6; random, seed 0; scripts/bench/predict_torch.py artifact): the rows/s are the trunk's (one trunk pass per batch,
# two tiny heads); the labels mean nothing. finetunectl's time includes loading the model and the tokenizer; the
# PyTorch time does not (its model load is excluded), so the ratio favours PyTorch slightly.
# Environment: BENCH_VENV (virtualenv with torch, transformers, tokenizers, safetensors; default .venv-golden),
# FINETUNED_ASSETS (default <repo>/assets), BIN (folder with a release finetunectl; built if unset).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
VENV=${BENCH_VENV:-$ROOT/.venv-golden}
ASSETS=${FINETUNED_ASSETS:-$ROOT/assets}
THREADS=1 BATCH=32
while [ $# -gt 0 ]; do
    case "$1" in
        --threads) THREADS=$2; shift 2 ;;
        --batch) BATCH=$2; shift 2 ;;
        *) echo "unknown argument $1" >&2; exit 2 ;;
    esac
done
if [ -z "${BIN:-}" ]; then
    swift build -c release --product finetunectl --package-path "$ROOT" >&2
    BIN=$(swift build -c release --show-bin-path --package-path "$ROOT")
fi
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
PY="$VENV/bin/python"
"$PY" "$ROOT/scripts/bench/predict_torch.py" artifact "$WORK/model" "$ASSETS/all-MiniLM-L6-v2"
"$PY" "$ROOT/scripts/bench/predict_torch.py" texts "$ASSETS/data/spam/test.jsonl" "$WORK/texts.txt"
ROWS=$(wc -l < "$WORK/texts.txt")
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg); OpenBLAS core: OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset}" >&2
# Wall and CPU (user + sys) seconds of the whole command; on a shared machine the CPU time is the fairer number.
TIMEFORMAT='%R %U %S'
{ time "$BIN/finetunectl" predict "$WORK/model" --file "$WORK/texts.txt" --no-text --batch "$BATCH" \
    --threads "$THREADS" > "$WORK/ours.jsonl"; } 2> "$WORK/time.txt"
read -r REAL USER SYS < <(tail -1 "$WORK/time.txt")
awk -v r="$ROWS" -v w="$REAL" -v c="$(echo "$USER + $SYS" | bc)" -v t="$THREADS" -v b="$BATCH" \
    'BEGIN { printf "finetunectl predict: %d rows in %.2f s wall, %.2f s CPU: %.1f rows/s, %.1f rows per CPU second (threads %d, batch %d; includes loading)\n", r, w, c, r / w, r / c, t, b }' >&2
"$PY" "$ROOT/scripts/bench/predict_torch.py" reference "$WORK/model" "$WORK/texts.txt" "$WORK/ref.jsonl" "$THREADS" "$BATCH"
"$PY" "$ROOT/scripts/bench/predict_torch.py" compare "$WORK/ours.jsonl" "$WORK/ref.jsonl"
