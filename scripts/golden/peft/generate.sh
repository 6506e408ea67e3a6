#!/usr/bin/env bash
# Regenerates Tests/ModelsTests/Fixtures/peft-lora/ and peft-lora-llama/ with PEFT (see generate.py): a tiny random
# BERT and a tiny random LlamaForCausalLM, a LoRA on each saved by PEFT's save_pretrained, and PEFT's outputs with
# the adapter, merged, and without it.
#
# Installs pinned torch/transformers/peft/safetensors into a virtualenv (default .venv-golden/ at the repo root,
# git-ignored; GOLDEN_VENV overrides). CI does not run this script.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
VENV=${GOLDEN_VENV:-$ROOT/.venv-golden}
if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
fi
"$VENV/bin/pip" install -q torch==2.15.0 transformers==5.24.0 peft==0.21.2 safetensors numpy
OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 "$VENV/bin/python" "$ROOT/scripts/golden/peft/generate.py" \
    --out "$ROOT/Tests/ModelsTests/Fixtures/peft-lora"
