#!/usr/bin/env bash
# Regenerates Tests/MetricsTests/Fixtures/metrics.json from scikit-learn, scipy and seqeval (PyPI).
#
# Installs the pinned packages into a throwaway virtualenv (default .venv-golden-metrics/ at the repo root,
# git-ignored; GOLDEN_METRICS_VENV overrides) and runs generate.py, which draws seeded random cases and writes
# what the reference libraries compute for them. The output is deterministic for fixed package versions.
# Needs python3 and network access to PyPI. CI does not run this script; the tests read the committed file.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
VENV=${GOLDEN_METRICS_VENV:-$ROOT/.venv-golden-metrics}
if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
fi
"$VENV/bin/pip" install -q numpy==2.4.6 scipy==1.17.1 scikit-learn==1.9.1 seqeval==1.2.2
"$VENV/bin/python" "$ROOT/scripts/golden/metrics/generate.py" --out "$ROOT/Tests/MetricsTests/Fixtures/metrics.json"
