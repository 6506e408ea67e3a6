"""Builds the workspace of scripts/bench/dapt.sh: a tokenize-style artifact with a packed corpus of random
WordPiece ids in [CLS] ... [SEP] blocks of T tokens (token shard format 1, docs/token-shards.md), and the plugin
request (docs/plugin-protocol.md) that trains all-MiniLM-L6-v2 on it."""
import argparse
import hashlib
import json
import os
import random
import struct


def write_shard(path, rows):
    tokens = [t for r in rows for t in r]
    with open(path, "wb") as f:
        f.write(b"FTTOKSHD" + struct.pack("<IIII", 1, 2, 0, 0))
        f.write(struct.pack("<QQQ", len(rows), len(tokens), 48 + 2 * len(tokens)))
        f.write(struct.pack("<%dH" % len(tokens), *tokens))
        start = 0
        f.write(struct.pack("<Q", 0))
        for r in rows:
            start += len(r)
            f.write(struct.pack("<Q", start))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--time", type=int, default=128)
    ap.add_argument("--rows", type=int, default=2048)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--params", required=True, help="the stage's with: mapping, JSON")
    ap.add_argument("--name", required=True)
    a = ap.parse_args()
    art = os.path.join(a.dir, "artifact")
    os.makedirs(os.path.join(art, "tokens", "corpus"), exist_ok=True)
    tok = open(os.path.join(a.model, "tokenizer.json"), "rb").read()
    open(os.path.join(art, "tokenizer.json"), "wb").write(tok)
    rng = random.Random(3)
    block = lambda: [101] + [rng.randrange(1000, 29000) for _ in range(a.time - 2)] + [102]
    write_shard(os.path.join(art, "tokens/corpus/train.bin"), [block() for _ in range(a.rows)])
    write_shard(os.path.join(art, "tokens/corpus/validation.bin"), [block() for _ in range(64)])
    index = {
        "format": 1, "max_length": a.time, "seed": 3, "token_width": 2,
        "tokenizer": {"file": "tokenizer.json", "sha256": hashlib.sha256(tok).hexdigest(), "source": "model",
                      "special_tokens": {"[CLS]": 101, "[MASK]": 103, "[PAD]": 0, "[SEP]": 102, "[UNK]": 100}},
        "inputs": {"corpus": {"layout": "packed", "splits": {
            "train": {"file": "tokens/corpus/train.bin"}, "validation": {"file": "tokens/corpus/validation.bin"}}}},
    }
    json.dump(index, open(os.path.join(art, "index.json"), "w"))
    run_dir = os.path.join(a.dir, a.name)
    for d in ("output", "scratch"):
        os.makedirs(os.path.join(run_dir, d), exist_ok=True)
    request = {"protocol": 1, "command": "run", "run": {
        "pipeline": "bench", "stage": "dapt", "runID": a.name, "params": json.loads(a.params),
        "upstream": {"tokenize": art}, "data": {}, "modelBase": os.path.abspath(a.model),
        "outputDir": os.path.join(run_dir, "output"), "scratchDir": os.path.join(run_dir, "scratch"),
        "seed": 3, "threads": a.threads}}
    print(json.dumps(request))


if __name__ == "__main__":
    main()
