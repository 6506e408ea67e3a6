"""Builds the English benchmark corpus from text installed on this machine (Debian docs, vim and perl
documentation, man-page-like .txt/.md/.rst/.pod files, Python docstrings).

Lines are whitespace-normalised, kept when mostly ASCII letters and spaces (English prose), and deduplicated.
The unique text is then repeated until the target size is reached; the script reports how much was unique.
Usage: tokenizers_corpus.py OUT_FILE TARGET_MB
"""
import gzip
import os
import sys

ROOTS = ["/usr/share/doc", "/usr/share/vim", "/usr/share/perl", "/usr/share/perl5", "/usr/lib/python3",
         "/usr/share/common-licenses", "/usr/share/man"]
EXTS = (".txt", ".md", ".rst", ".pod", ".gz", "README", "changelog", "copyright", ".html")


def texts():
    for root in ROOTS:
        for dirpath, _, files in sorted(os.walk(root)):
            for name in sorted(files):
                if not (name.endswith(EXTS) or name.startswith("README")):
                    continue
                path = os.path.join(dirpath, name)
                try:
                    if name.endswith(".gz"):
                        with gzip.open(path, "rb") as f:
                            data = f.read(20_000_000)
                    else:
                        with open(path, "rb") as f:
                            data = f.read(20_000_000)
                    yield data.decode("utf-8", errors="ignore")
                except Exception:
                    continue


def english(line):
    if len(line) < 30:
        return False
    letters = sum(c.isascii() and (c.isalpha() or c == " ") for c in line)
    return letters / len(line) > 0.85 and line.count(" ") >= 4 and "<" not in line[:3]


def main():
    out, target = sys.argv[1], float(sys.argv[2]) * 1e6
    seen = set()
    unique = []
    size = 0
    for t in texts():
        for raw in t.splitlines():
            line = " ".join(raw.split())
            if english(line) and line not in seen:
                seen.add(line)
                unique.append(line)
                size += len(line.encode()) + 1
    if size == 0:
        sys.exit("no English text found")
    with open(out, "w", encoding="utf-8") as f:
        written = 0
        while written < target:
            for line in unique:
                f.write(line + "\n")
                written += len(line.encode()) + 1
                if written >= target:
                    break
    print(f"corpus {out}: {written / 1e6:.1f} MB from {size / 1e6:.1f} MB of unique English lines ({len(unique)} lines)")


if __name__ == "__main__":
    main()
