#!/usr/bin/env bash
# Training-step benchmark of the Swift tensor engine against PyTorch CPU, side by side in one invocation.
#
#   scripts/bench/tensor.sh [--reps N] [--steps S] [--threads "1 2"] [--models "bert gpt"] [--no-profile]
#
# Shapes (notes/performance.md): BERT all-MiniLM-L6-v2 shape with a classification head, batch 32 x 128; GPT-2
# style 6 layers, d 384, vocab 8192, batch 8 x 256. One step = forward + backward + AdamW, dropout on. For each
# thread count and model, N repetitions alternate Swift and PyTorch processes (each: 1 warm-up step + S measured
# steps); the summary gives best/median tokens/s, their ratio, MFU against the measured sgemm rate, peak RSS.
#
# The Swift side runs with OPENBLAS_CORETYPE unset (OpenBLAS then picks its AVX-512 Cooperlake kernels on this
# CPU; the sgemm step verifies those results against float64). The environment of this script is not changed.
# Environment: TENSOR_BENCH_PACKAGE (package to build, default the repo), BENCH_VENV (virtualenv with torch, created
# if missing; default .venv-golden shared with scripts/golden/tensor), TENSOR_BENCH_TARGET_CPU (e.g. haswell or
# znver4: adds -Xswiftc -target-cpu; the default build targets baseline x86-64).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PKG=${TENSOR_BENCH_PACKAGE:-$ROOT}
VENV=${BENCH_VENV:-$ROOT/.venv-golden}
REPS=3 STEPS=3 THREADS="1 2" MODELS="bert gpt" PROFILE=1
while [ $# -gt 0 ]; do
    case "$1" in
        --reps) REPS=$2; shift 2 ;;
        --steps) STEPS=$2; shift 2 ;;
        --threads) THREADS=$2; shift 2 ;;
        --models) MODELS=$2; shift 2 ;;
        --no-profile) PROFILE=0; shift ;;
        *) echo "unknown argument $1" >&2; exit 2 ;;
    esac
done

BUILD_ARGS=(-c release --product tensor-bench --package-path "$PKG")
if [ -n "${TENSOR_BENCH_TARGET_CPU:-}" ]; then
    BUILD_ARGS+=(--build-path "$PKG/.build-$TENSOR_BENCH_TARGET_CPU" -Xswiftc -target-cpu -Xswiftc "$TENSOR_BENCH_TARGET_CPU")
fi
swift build "${BUILD_ARGS[@]}" >&2
BIN=$(swift build "${BUILD_ARGS[@]}" --show-bin-path)/tensor-bench
if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
fi
"$VENV/bin/python" -c "import torch, transformers" 2>/dev/null || "$VENV/bin/pip" install -q torch transformers

OUT=$(mktemp /tmp/tensor-bench.XXXXXX.jsonl)
echo "# $(date -u +%FT%TZ) $(uname -n); load: $(uptime | sed 's/.*load average: //'); target-cpu: ${TENSOR_BENCH_TARGET_CPU:-baseline}"
echo "# OpenBLAS core with OPENBLAS_CORETYPE unset: $(env -u OPENBLAS_CORETYPE "$BIN" sgemm --threads 1 | head -1 | sed 's/.*"blas_core":"\([^"]*\)".*/\1/')"
for t in $THREADS; do
    env -u OPENBLAS_CORETYPE "$BIN" sgemm --threads "$t" >> "$OUT"
    for model in $MODELS; do
        for rep in $(seq "$REPS"); do
            echo "# threads $t, $model, rep $rep/$REPS (load $(uptime | sed 's/.*load average: //'))" >&2
            env -u OPENBLAS_CORETYPE "$BIN" step --model "$model" --threads "$t" --steps "$STEPS" --warmup 1 >> "$OUT"
            OMP_NUM_THREADS=$t MKL_NUM_THREADS=$t "$VENV/bin/python" "$ROOT/scripts/bench/tensor_torch.py" \
                --model "$model" --threads "$t" --steps "$STEPS" --warmup 1 >> "$OUT"
        done
    done
done
python3 "$ROOT/scripts/bench/tensor_summary.py" "$OUT"
if [ "$PROFILE" = 1 ]; then
    for model in $MODELS; do
        echo
        env -u OPENBLAS_CORETYPE "$BIN" step --model "$model" --threads 1 --steps 2 --warmup 1 --profile 2>&1 >/dev/null
    done
fi
echo "# raw results: $OUT; load at end: $(uptime | sed 's/.*load average: //')"
