#!/usr/bin/env bash
# Side-by-side benchmark of our Tokenizers library and HF `tokenizers` (PyPI), in one run:
#   - WordPiece encode (all-MiniLM-L6-v2 tokenizer.json) of >= 50 MB of English, MB/s, 1 and 2 threads;
#   - byte-level BPE training, vocab 8192, on 20 MB of the same English, seconds, 1 and 2 threads.
# Repetitions are interleaved (ours, HF, ours, HF...); the report gives best and median, and ratios.
# Outputs are checked for equality (ids of every line; trained merges and vocab).
# The English corpus is built from documentation installed on this machine (scripts/bench/tokenizers_corpus.py).
# Env: REPS (default 3), ENCODE_MB (50), TRAIN_MB (20), OUT (/tmp/tokenizers-bench), TOK_PACKAGE (Swift package
# declaring the tokenizers-bench product; default the repo), TOK_BENCH_VENV (/tmp/venv-bench-tok).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
REPS="${REPS:-3}"
ENCODE_MB="${ENCODE_MB:-50}"
TRAIN_MB="${TRAIN_MB:-20}"
OUT="${OUT:-/tmp/tokenizers-bench}"
PKG="${TOK_PACKAGE:-$ROOT}"
VENV="${TOK_BENCH_VENV:-/tmp/venv-bench-tok}"
mkdir -p "$OUT"

echo "== build (release)"
swift build -c release --package-path "$PKG" --product tokenizers-bench 2>&1 | tail -1
BENCH="$(swift build -c release --package-path "$PKG" --show-bin-path)/tokenizers-bench"

echo "== HF tokenizers venv"
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/pip" install -q "tokenizers==0.23.3"
PY="$VENV/bin/python"
"$PY" -c 'import tokenizers; print("tokenizers", tokenizers.__version__)'

CORPUS="$OUT/english-${ENCODE_MB}mb.txt"
[ -s "$CORPUS" ] || python3 "$ROOT/scripts/bench/tokenizers_corpus.py" "$CORPUS" "$ENCODE_MB"
TRAIN_CORPUS="$OUT/english-${TRAIN_MB}mb.txt"
[ -s "$TRAIN_CORPUS" ] || python3 - "$CORPUS" "$TRAIN_CORPUS" "$TRAIN_MB" <<'PYEOF'
import sys
src, dst, mb = sys.argv[1], sys.argv[2], float(sys.argv[3])
n = 0
with open(src, encoding="utf-8") as f, open(dst, "w", encoding="utf-8") as g:
    for line in f:
        if n + len(line.encode()) > mb * 1e6:
            break
        g.write(line)
        n += len(line.encode())
PYEOF
ls -l "$CORPUS" "$TRAIN_CORPUS"
TOK="$ROOT/Tests/TokenizersTests/Fixtures/minilm-tokenizer.json"

echo "== machine: $(nproc) cores; load: $(uptime | sed 's/.*load average: //')"
"$BENCH" cpu-probe  # what a second thread can gain right now (other jobs may hold the second core)
RESULTS="$OUT/results.txt"
: > "$RESULTS"
for rep in $(seq 1 "$REPS"); do
  for t in 1 2; do
    IDS_OURS=""; IDS_HF=""
    if [ "$rep" = 1 ]; then IDS_OURS="--ids-out $OUT/ids-ours-$t.txt"; IDS_HF="$OUT/ids-hf-$t.txt"; fi
    line=$("$BENCH" bench-encode "$TOK" "$CORPUS" --threads "$t" --reps 1 $IDS_OURS | grep '^rep 0')
    mbs=$(echo "$line" | sed -E 's/.*s, ([0-9.]+) MB\/s.*/\1/')
    echo "encode ours t=$t rep=$rep: $line"
    echo "encode_MB/s ours $t $mbs" >> "$RESULTS"
    read -r secs bytes ntok < <(RAYON_NUM_THREADS=$t "$PY" "$ROOT/scripts/bench/tokenizers_hf.py" encode "$TOK" "$CORPUS" $IDS_HF)
    hmbs=$(python3 -c "print(f'{$bytes/1e6/$secs:.3f}')")
    echo "encode HF   t=$t rep=$rep: ${secs} s, ${hmbs} MB/s, $ntok tokens"
    echo "encode_MB/s hf $t $hmbs" >> "$RESULTS"
  done
  for t in 1 2; do
    OUT_OURS=""; OUT_HF=""
    if [ "$rep" = 1 ]; then OUT_OURS="--out $OUT/bpe-ours-$t.json"; OUT_HF="$OUT/bpe-hf-$t.json"; fi
    secs=$("$BENCH" bench-train "$TRAIN_CORPUS" --vocab-size 8192 --special "<|endoftext|>" --threads "$t" --reps 1 $OUT_OURS \
      | sed -E 's/rep 0: ([0-9.]+) s/\1/')
    echo "train  ours t=$t rep=$rep: $secs s"
    echo "bpe_train_s ours $t $secs" >> "$RESULTS"
    hsecs=$(RAYON_NUM_THREADS=$t "$PY" "$ROOT/scripts/bench/tokenizers_hf.py" train "$TRAIN_CORPUS" 8192 $OUT_HF)
    echo "train  HF   t=$t rep=$rep: $hsecs s"
    echo "bpe_train_s hf $t $hsecs" >> "$RESULTS"
  done
done

echo "== equality of outputs"
status=0
for t in 1 2; do
  if cmp -s "$OUT/ids-ours-$t.txt" "$OUT/ids-hf-$t.txt"; then
    echo "encode ids, $t thread(s): identical ($(wc -l < "$OUT/ids-ours-$t.txt") lines)"
  else
    echo "encode ids, $t thread(s): DIFFERENT"; status=1
  fi
  if "$PY" - "$OUT/bpe-ours-$t.json" "$OUT/bpe-hf-$t.json" <<'PYEOF'
import json, sys
a, b = (json.load(open(p, encoding="utf-8"))["model"] for p in sys.argv[1:3])
norm = lambda ms: [m if isinstance(m, str) else " ".join(m) for m in ms]
same = norm(a["merges"]) == norm(b["merges"]) and a["vocab"] == b["vocab"]
print(f"trained BPE: {len(a['merges'])} vs {len(b['merges'])} merges, vocab and merges {'identical' if same else 'DIFFERENT'}")
sys.exit(0 if same else 1)
PYEOF
  then :; else status=1; fi
done

echo "== summary (load now: $(uptime | sed 's/.*load average: //'))"
"$BENCH" cpu-probe
python3 "$ROOT/scripts/bench/tokenizers_report.py" "$RESULTS"
exit $status
