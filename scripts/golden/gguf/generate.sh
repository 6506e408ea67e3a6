#!/usr/bin/env bash
# Regenerates the GGUF fixtures of the Models tests (Tests/ModelsTests/Fixtures/gguf/) with gguf-py, transformers
# and HF tokenizers (see generate.py for what each file holds). Needs swift (builds gguf-inspect).
#
# Installs pinned packages into a virtualenv (default .venv-golden-gguf/ at the repo root, git-ignored; VENV
# overrides, e.g. VENV=/work/venv-ref). The SmolLM2 references need the model in $FINETUNED_ASSETS (default
# <repo>/assets; run scripts/fetch-assets); without it only the synthetic quantization fixture is written.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
VENV=${VENV:-$ROOT/.venv-golden-gguf}
if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
fi
"$VENV/bin/pip" install -q gguf==0.19.0 numpy torch==2.15.0 transformers==5.24.0 tokenizers==0.23.3 jinja2
# Our gguf-inspect writes the tokenizer.json that generate.py has HF tokenizers load and check.
swift build --package-path "$ROOT" --product gguf-inspect >/dev/null
INSPECT="$(swift build --package-path "$ROOT" --show-bin-path)/gguf-inspect"
OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 "$VENV/bin/python" "$ROOT/scripts/golden/gguf/generate.py" \
    --root "$ROOT" --assets "${FINETUNED_ASSETS:-$ROOT/assets}" --inspect "$INSPECT"
