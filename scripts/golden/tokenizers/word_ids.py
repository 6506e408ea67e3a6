"""HF `word_ids` of the golden test lines, for the word ids the token shards carry (docs/token-shards.md).

Writes Tests/TokenizersTests/Fixtures/word-ids-golden.jsonl: for the all-MiniLM-L6-v2 tokenizer (WordPiece) and
the byte-level BPE fixture, each golden line (and pair) encoded without truncation or padding, and its word ids
as a space-separated string ("-" for None). Run with the virtualenv of generate.sh:
    .venv-golden/bin/python scripts/golden/tokenizers/word_ids.py
"""
import json
import os
import sys

import tokenizers

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "../../.."))
FIX = os.path.join(ROOT, "Tests/TokenizersTests/Fixtures")


def main():
    lines = [json.loads(l) for l in open(os.path.join(FIX, "golden-lines.jsonl"))][1:]
    out = [json.dumps({"generated_by": "scripts/golden/tokenizers/generate.sh, do not edit (word_ids.py)",
                       "tokenizers_version": tokenizers.__version__,
                       "note": "word_ids of golden lines, no truncation or padding"})]
    for name in ["minilm-tokenizer.json", "hf-bpe-tokenizer.json"]:
        tok = tokenizers.Tokenizer.from_file(os.path.join(FIX, name))
        tok.no_truncation()
        tok.no_padding()
        for i, line in enumerate(lines[:400]):
            e = tok.encode(line["text"], line.get("pair")) if line.get("pair") is not None else tok.encode(line["text"])
            words = " ".join("-" if w is None else str(w) for w in e.word_ids)
            out.append(json.dumps({"tokenizer": name, "i": i, "word_ids": words}, ensure_ascii=False))
    open(os.path.join(FIX, "word-ids-golden.jsonl"), "w").write("\n".join(out) + "\n")
    print(f"wrote {len(out) - 1} lines", file=sys.stderr)


if __name__ == "__main__":
    main()
