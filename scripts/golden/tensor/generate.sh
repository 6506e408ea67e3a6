#!/usr/bin/env bash
# Regenerates the reference fixtures of the Tensor and Models tests with PyTorch + transformers.
#
# Installs pinned torch/transformers/safetensors into a throwaway virtualenv (default .venv-golden/ at the repo
# root, git-ignored; GOLDEN_VENV overrides) and writes:
#   Tests/TensorTests/Fixtures/ops.json               per-op values and gradients for random inputs, AdamW steps
#   Tests/ModelsTests/Fixtures/tiny-bert.safetensors  tiny random BERT (MLM + NSP heads): weights, logits, loss,
#                                                     every gradient, weights after 3 AdamW steps
#   Tests/ModelsTests/Fixtures/tiny-gpt.safetensors   the same for a tiny GPT-2
#   Tests/ModelsTests/Fixtures/minilm-embeddings.json all-MiniLM-L6-v2 sentence embeddings (needs the model in
#                                                     $FINETUNED_ASSETS, default <repo>/assets; skipped if absent)
# The default torch wheel is the CUDA build (~3 GB); it runs on CPU. CI does not run this script.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
VENV=${GOLDEN_VENV:-$ROOT/.venv-golden}
if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
fi
"$VENV/bin/pip" install -q torch==2.15.0 transformers==5.24.0 safetensors==0.8.0 numpy
OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 "$VENV/bin/python" "$ROOT/scripts/golden/tensor/generate.py" \
    --root "$ROOT" --assets "${FINETUNED_ASSETS:-$ROOT/assets}"
