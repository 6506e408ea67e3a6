#!/usr/bin/env python3
"""Build the plain-text corpora for domain-adaptive pretraining and for measuring forgetting.

Format of every corpus file (UTF-8, LF): one paragraph per line (the lines of a source paragraph joined by single
spaces), an empty line between documents. Read line by line for sentence/paragraph-level objectives, or split on
empty lines for documents.

Usage:
  build_corpora.py legal LICENSEDCODE_WHEEL ASSETS_DIR STAMP
      corpora/legal/licenses.txt (one document per license body) and corpora/legal/rules.txt (one per rule),
      excluding every license in the license-category validation/test splits (and their near-duplicates, per
      .work/licenses-held-out.json), every license or rule that contains >= 80% of the 5-word shingles of a
      held-out text, every rule whose license expression names a held-out key, and every rule that lies >= 50%
      inside a held-out text.
  build_corpora.py python-docs EXTRACTED_DEB_ROOT ASSETS_DIR STAMP
      corpora/python-docs/python-docs.txt: one document per html/_sources/**/*.rst.txt (reStructuredText as is)
      except license.rst.txt (license texts belong to the license task's held-out data, not to this corpus).
  build_corpora.py austen RDATA_BASE ASSETS_DIR STAMP
      corpora/austen/<novel>.txt: one document per chapter, from janeaustenr's R lazy-load data.
"""
import json
import os
import re
import sys
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import AtomicDir, fail, normalise_words, write_stamp  # noqa: E402
from neardup import SHINGLE, OverlapIndex  # noqa: E402
from build_tasks import parse_license  # noqa: E402
import rlazyload  # noqa: E402

RULE_INSIDE = 0.5  # a rule that lies this much inside a held-out text is a snippet of it
CONTAINS = 0.8  # a document holding this much of a held-out text's shingles contains it
NOVELS = {  # janeaustenr object name -> file name
    "sensesensibility": "sense-and-sensibility", "prideprejudice": "pride-and-prejudice",
    "mansfieldpark": "mansfield-park", "emma": "emma", "northangerabbey": "northanger-abbey",
    "persuasion": "persuasion",
}


def paragraphs(lines):
    """Group lines into paragraphs (separated by blank lines); each paragraph becomes one line."""
    out, cur = [], []
    for line in lines:
        s = line.strip()
        if s:
            cur.append(" ".join(s.split()))
        elif cur:
            out.append(" ".join(cur))
            cur = []
    if cur:
        out.append(" ".join(cur))
    return out


class CorpusWriter:
    def __init__(self, path):
        self.f = open(path, "w", encoding="utf-8", newline="\n")
        self.documents = 0

    def document(self, paras):
        if not paras:
            return
        if self.documents:
            self.f.write("\n")
        self.f.write("\n".join(paras) + "\n")
        self.documents += 1

    def close(self):
        self.f.close()


def legal(wheel, assets, stamp):
    held_path = os.path.join(assets, ".work", "licenses-held-out.json")
    try:
        with open(held_path) as f:
            held = json.load(f)
    except OSError:
        fail(f"{held_path} missing: the tasks step must run before the legal corpus")
    held_keys = set(held["keys"])
    held_index = OverlapIndex([normalise_words(t) for t in held["texts"]])
    stats = {"licenses": 0, "licenses_held_out": 0, "licenses_containing_held_out": 0, "rules": 0, "rules_by_expression": 0, "rules_by_overlap": 0}
    with zipfile.ZipFile(wheel) as z, AtomicDir(os.path.join(assets, "corpora", "legal")) as out:
        names = sorted(z.namelist())
        lic = CorpusWriter(os.path.join(out, "licenses.txt"))
        for name in names:
            if not re.match(r"^licensedcode/data/licenses/[^/]+\.LICENSE$", name):
                continue
            meta, body = parse_license(name, z.read(name).decode("utf-8"))
            if meta.get("key") in held_keys:
                stats["licenses_held_out"] += 1
                continue
            if body and held_index.containing(normalise_words(body), CONTAINS):
                stats["licenses_containing_held_out"] += 1
                continue
            if body:
                lic.document(paragraphs(body.splitlines()))
                stats["licenses"] += 1
        lic.close()
        rules = CorpusWriter(os.path.join(out, "rules.txt"))
        for name in names:
            if not re.match(r"^licensedcode/data/rules/[^/]+\.RULE$", name):
                continue
            meta, body = parse_license(name, z.read(name).decode("utf-8"))
            if not body:
                continue
            expression_keys = set(re.findall(r"[A-Za-z0-9.+_-]+", meta.get("license_expression", "")))
            if expression_keys & held_keys:
                stats["rules_by_expression"] += 1
                continue
            normalised = normalise_words(body)
            if len(normalised.split()) >= SHINGLE and (held_index.contained_in(normalised, RULE_INSIDE)
                                                       or held_index.containing(normalised, CONTAINS)):
                stats["rules_by_overlap"] += 1
                continue
            rules.document(paragraphs(body.splitlines()))
            stats["rules"] += 1
        rules.close()
        with open(os.path.join(out, "..", "legal-stats.json.tmp"), "w") as f:
            json.dump(stats, f, indent=1, sort_keys=True)
    os.replace(os.path.join(assets, "corpora", "legal-stats.json.tmp"), os.path.join(assets, ".work", "legal-stats.json"))
    if stats["licenses"] == 0 or stats["rules"] == 0:
        fail("legal corpus came out empty")
    write_stamp(stamp, assets, ["corpora/legal", ".work/licenses-held-out.json"])


def python_docs(root, assets, stamp):
    src = os.path.join(root, "usr", "share", "doc", "python3.11", "html", "_sources")
    files = []
    for dirpath, dirs, names in os.walk(src):
        dirs.sort()
        # license.rst.txt reproduces license texts that may be in the license-category test split
        files += [os.path.join(dirpath, n) for n in names if n.endswith(".rst.txt") and n != "license.rst.txt"]
    if not files:
        fail(f"no *.rst.txt under {src}")
    with AtomicDir(os.path.join(assets, "corpora", "python-docs")) as out:
        w = CorpusWriter(os.path.join(out, "python-docs.txt"))
        for path in sorted(files):
            with open(path, encoding="utf-8") as f:
                w.document(paragraphs(f.read().splitlines()))
        w.close()
    write_stamp(stamp, assets, ["corpora/python-docs"])


def austen(base, assets, stamp):
    try:
        objects = rlazyload.read_lazyload(base)
    except (OSError, ValueError) as e:
        fail(f"reading {base}.rdx/.rdb: {e}")
    missing = [n for n in NOVELS if n not in objects]
    if missing:
        fail(f"janeaustenr data lacks {missing}")
    with AtomicDir(os.path.join(assets, "corpora", "austen")) as out:
        for obj_name, file_name in NOVELS.items():
            lines = [line or "" for line in objects[obj_name].value]
            w = CorpusWriter(os.path.join(out, f"{file_name}.txt"))
            chapter = []
            for line in lines:
                if re.match(r"^\s*(CHAPTER|Chapter)\s+[0-9IVXLC]+\.?\s*$", line) and chapter:
                    w.document(paragraphs(chapter))
                    chapter = []
                chapter.append(line)
            w.document(paragraphs(chapter))
            w.close()
            # Every novel has 24-61 chapters; far fewer means the R data was misread.
            if w.documents < 20:
                fail(f"austen: {obj_name} split into only {w.documents} chapters")
    write_stamp(stamp, assets, ["corpora/austen"])


def main():
    if len(sys.argv) != 5:
        fail("usage: build_corpora.py legal|python-docs|austen SOURCE ASSETS_DIR STAMP")
    kind, source, assets, stamp = sys.argv[1:5]
    {"legal": legal, "python-docs": python_docs, "austen": austen}.get(kind, lambda *a: fail(f"unknown {kind}"))(
        source, assets, stamp)


if __name__ == "__main__":
    main()
