"""Checks a tokenize-stage artifact against Hugging Face `tokenizers`: every row of every JSONL input whose
splits come from files must have exactly the ids HF gives with the artifact's tokenizer.json, truncated at the
index's max_length. Usage: check_against_hf.py ARTIFACT_FILES_DIR NAME=DATA_FOLDER... (see check-against-hf)."""
import json
import struct
import sys

import tokenizers
from tokenizers import Tokenizer


def shard(path):
    """The sequences of a token shard (docs/token-shards.md), as lists of ids."""
    b = open(path, "rb").read()
    if b[:8] != b"FTTOKSHD":
        sys.exit(f"{path}: not a token shard")
    version, width, _flags, _reserved, count, tokens, table = struct.unpack_from("<IIIIQQQ", b, 8)
    if version != 1:
        sys.exit(f"{path}: shard version {version}, this script reads 1")
    starts = struct.unpack_from("<%dQ" % (count + 1), b, table)
    ids = struct.unpack_from("<%d%s" % (tokens, "H" if width == 2 else "I"), b, 48)
    return [list(ids[starts[i]:starts[i + 1]]) for i in range(count)]


def main():
    artifact, folders = sys.argv[1], dict(a.split("=", 1) for a in sys.argv[2:])
    index = json.load(open(artifact + "/index.json"))
    tok = Tokenizer.from_file(artifact + "/tokenizer.json")
    tok.no_padding()
    tok.enable_truncation(index["max_length"])
    total = differ = 0
    for name, entry in sorted(index["inputs"].items()):
        if name not in folders or entry["layout"] != "rows" or entry["split_source"] != "files" or entry["format"] != "jsonl":
            print(f"{name}: not checked (needs NAME=FOLDER, rows, splits from files, jsonl)")
            continue
        field, pair = entry["fields"].get("text", "text"), entry["fields"].get("text_pair")
        for split in entry["split_order"]:
            rows = [json.loads(line) for line in open(f"{folders[name]}/{split}.jsonl", encoding="utf-8") if line.strip()]
            seqs = shard(f"{artifact}/{entry['splits'][split]['file']}")
            if len(seqs) != len(rows):
                sys.exit(f"{name}/{split}: {len(seqs)} sequences for {len(rows)} rows (were rows skipped?)")
            if pair:
                encodings = tok.encode_batch([(r[field], r[pair]) for r in rows])
            else:
                encodings = tok.encode_batch([r[field] for r in rows])
            for i, (e, s) in enumerate(zip(encodings, seqs)):
                total += 1
                if e.ids != s:
                    differ += 1
                    if differ <= 5:
                        print(f"{name}/{split}[{i}]: HF {e.ids[:12]}… vs shard {s[:12]}…")
    print(f"{total} rows checked, {differ} differ from HF tokenizers {tokenizers.__version__}")
    sys.exit(1 if differ or not total else 0)


main()
