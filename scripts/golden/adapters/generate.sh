#!/usr/bin/env bash
# Regenerates Tests/ModelsTests/Fixtures/adapters-houlsby/ with the AdapterHub `adapters` library (see
# generate.py): a tiny random BERT, a Houlsby adapter saved by save_adapter, and its outputs with and without it.
#
# adapters 1.3.0 pins transformers 4.57.x, so it gets its own virtualenv (default .venv-adapters/ at the repo root,
# git-ignored; ADAPTERS_VENV overrides). CI does not run this script.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
VENV=${ADAPTERS_VENV:-$ROOT/.venv-adapters}
if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
fi
"$VENV/bin/pip" install -q torch==2.15.0 transformers==4.57.6 adapters==1.3.0 safetensors numpy
OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 "$VENV/bin/python" "$ROOT/scripts/golden/adapters/generate.py" \
    --out "$ROOT/Tests/ModelsTests/Fixtures/adapters-houlsby"
