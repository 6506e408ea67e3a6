#!/usr/bin/env bash
# llama.cpp (PyPI llama-cpp-python) against transformers (gguf_file=, float32) on SmolLM2-135M-Instruct's Q4_1
# GGUF: the logits of the 5 prompts of scripts/golden/gguf/generate.py (their ids from the fixture
# Tests/ModelsTests/Fixtures/gguf/smollm2-logits.safetensors) and their greedy continuations (llamacpp_compare.py
# says what is compared). Prints one JSON line per prompt and a summary; asserts nothing about llama.cpp.
#
#   scripts/golden/llamacpp_compare.sh [--threads N]
#
# LLAMACPP_VENV (default <repo>/.venv-llamacpp, git-ignored) gets llama-cpp-python==0.3.36 and numpy, compiled from
# the sdist as a CPU-only build (cmake from PyPI; ~30 min on one loaded core). REF_VENV (default <repo>/.venv-bench,
# as scripts/bench/all makes it) must have torch, transformers and gguf. Needs assets/SmolLM2-135M-Instruct
# (scripts/fetch-assets).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
LLAMACPP_VENV=${LLAMACPP_VENV:-$ROOT/.venv-llamacpp}
REF_VENV=${REF_VENV:-$ROOT/.venv-bench}
THREADS=1
[ "${1:-}" = "--threads" ] && THREADS=$2
if ! "$LLAMACPP_VENV/bin/python" -c "import llama_cpp, numpy" 2>/dev/null; then
    python3 -m venv "$LLAMACPP_VENV"
    CMAKE_ARGS="-DGGML_CUDA=OFF -DGGML_METAL=OFF -DGGML_VULKAN=OFF -DGGML_BLAS=OFF -DGGML_OPENMP=OFF -DGGML_NATIVE=ON \
-DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TOOLS=OFF -DLLAMA_BUILD_SERVER=OFF -DLLAMA_CURL=OFF" \
        CMAKE_BUILD_PARALLEL_LEVEL=1 nice -n 19 "$LLAMACPP_VENV/bin/pip" install -q llama-cpp-python==0.3.36 numpy
fi
"$REF_VENV/bin/python" -c "import torch, transformers, gguf" || { echo "$REF_VENV lacks torch, transformers or gguf" >&2; exit 1; }
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
"$LLAMACPP_VENV/bin/python" "$ROOT/scripts/golden/llamacpp_compare.py" llamacpp --out "$OUT/llamacpp.npz" --threads "$THREADS"
OMP_NUM_THREADS=$THREADS "$REF_VENV/bin/python" "$ROOT/scripts/golden/llamacpp_compare.py" compare \
    --llamacpp "$OUT/llamacpp.npz" ${OURS:+--ours "$OURS"}
