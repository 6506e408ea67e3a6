"""Shared helpers for fetch-assets: the seeded stratified splitter, text normalisation, atomic output, stamps.

The splitter is specified precisely so that Sources/Datasets (StratifiedSplitter) reproduces it bit for bit:
  * SplitMix64 seeded with `seed`.
  * Distinct labels in ascending order of their UTF-8 bytes; for each label, the row indices carrying it in
    ascending order are shuffled by Fisher-Yates from the last position down to 1, drawing
    j = (next() * (i + 1)) >> 64 (the high 64 bits of the 128-bit product).
  * Per label with n rows: n_test = floor(n * f_test + 0.5), n_val = floor(n * f_val + 0.5) (reduced if the two
    exceed n); the first n_test shuffled indices are test, the next n_val validation, the rest train.
  * Each split's indices are returned in ascending order.
"""
import hashlib
import json
import math
import os
import re
import shutil
import unicodedata

MASK64 = (1 << 64) - 1


class SplitMix64:
    def __init__(self, seed):
        self.state = seed & MASK64

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK64
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
        return z ^ (z >> 31)


def stratified_split(labels, fractions, seed):
    """Return (train, validation, test) lists of row indices; see the module docstring for the exact algorithm."""
    _, f_val, f_test = fractions
    rng = SplitMix64(seed)
    by_label = {}
    for i, label in enumerate(labels):
        by_label.setdefault(label, []).append(i)
    train, val, test = [], [], []
    for label in sorted(by_label, key=lambda s: s.encode("utf-8")):
        idx = by_label[label]
        for i in range(len(idx) - 1, 0, -1):
            j = (rng.next() * (i + 1)) >> 64
            idx[i], idx[j] = idx[j], idx[i]
        n = len(idx)
        n_test = min(n, math.floor(n * f_test + 0.5))
        n_val = min(n - n_test, math.floor(n * f_val + 0.5))
        test += idx[:n_test]
        val += idx[n_test:n_test + n_val]
        train += idx[n_test + n_val:]
    return sorted(train), sorted(val), sorted(test)


def normalise(text):
    """Key for exact de-duplication: NFKC, case-folded, whitespace runs collapsed."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def normalise_words(text):
    """Stricter key (licenses): NFKC, case-folded, only letters and digits, single spaces."""
    return re.sub(r"[\W_]+", " ", unicodedata.normalize("NFKC", text).casefold()).strip()


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def write_jsonl(path, rows):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


class AtomicDir:
    """Build a directory as DEST.tmp and rename it to DEST on success (a failed step leaves DEST untouched)."""

    def __init__(self, dest):
        self.dest, self.tmp = dest, dest + ".tmp"

    def __enter__(self):
        shutil.rmtree(self.tmp, ignore_errors=True)
        os.makedirs(self.tmp)
        return self.tmp

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)
            return False
        shutil.rmtree(self.dest, ignore_errors=True)
        os.rename(self.tmp, self.dest)
        return False


def write_stamp(stamp, root, subdirs):
    """Record sha256 of every file under root/<subdir> (or the file root/<subdir>) by its path relative to root.

    Written last and atomically: a stamp means the step finished."""
    digests = {}
    for sub in subdirs:
        if os.path.isfile(os.path.join(root, sub)):
            digests[sub] = sha256_file(os.path.join(root, sub))
            continue
        for dirpath, _, files in os.walk(os.path.join(root, sub)):
            for name in files:
                full = os.path.join(dirpath, name)
                digests[os.path.relpath(full, root)] = sha256_file(full)
    os.makedirs(os.path.dirname(stamp), exist_ok=True)
    with open(stamp + ".tmp", "w") as f:
        json.dump(dict(sorted(digests.items())), f, indent=1)
    os.replace(stamp + ".tmp", stamp)


def fail(message):
    raise SystemExit(f"fetch-assets: error: {message}")
