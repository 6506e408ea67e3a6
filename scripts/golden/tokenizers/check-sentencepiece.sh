#!/usr/bin/env bash
# Optional check (not part of the test suite; needs PyPI): a SentencePiece model with the standard nmt_nfkc
# normalization (what T5 / XLM-R ship) is trained with `sentencepiece`, converted by HF `tokenizers`
# (Precompiled charsmap + Metaspace + Unigram), and our encodings of the golden inputs must equal HF's
# (ids and offsets). The 240 KB charsmap is why this is not a committed fixture.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../../.." && pwd)"
VENV="${TOK_GOLDEN_VENV:-/tmp/venv-golden-tok}"
WORK="$(mktemp -d)"
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/pip" install -q "tokenizers==0.23.3" "sentencepiece==0.2.3" protobuf
PKG="${TOK_PACKAGE:-$ROOT}"
swift build -c release --package-path "$PKG" --product tokenizers-bench >/dev/null
BENCH="$(swift build -c release --package-path "$PKG" --show-bin-path)/tokenizers-bench"
"$VENV/bin/python" - "$ROOT" "$WORK" <<'PYEOF'
import json, sys
import sentencepiece as spm
from sentencepiece import sentencepiece_model_pb2
sys.modules["sentencepiece_model_pb2"] = sentencepiece_model_pb2  # where HF's converter looks for it
from tokenizers.implementations import SentencePieceUnigramTokenizer
root, work = sys.argv[1], sys.argv[2]
fix = f"{root}/Tests/TokenizersTests/Fixtures"
spm.SentencePieceTrainer.train(input=f"{fix}/trainer-corpus.txt", model_prefix=f"{work}/spm", vocab_size=500,
                               normalization_rule_name="nmt_nfkc", character_coverage=0.98, minloglevel=2)
tok = SentencePieceUnigramTokenizer.from_spm(f"{work}/spm.model")
tok.save(f"{work}/tokenizer.json")
with open(f"{work}/expected.txt", "w") as f:
    for line in open(f"{fix}/golden-lines.jsonl", encoding="utf-8").readlines()[1:]:
        r = json.loads(line)
        for t in [r["text"]] + ([r["pair"]] if r.get("pair") else []):
            e = tok.encode(t)
            f.write(" ".join(str(ord(c)) for c in t) + "\t" + " ".join(map(str, e.ids)) + "\t"
                    + " ".join(f"{a},{b}" for a, b in e.offsets) + "\n")
PYEOF
"$BENCH" compare "$WORK/tokenizer.json" "$WORK/expected.txt"
rm -rf "$WORK"
