#!/usr/bin/env python3
"""Exit 0 if every file listed in a stamp (JSON: relative path -> sha256) exists under ROOT with that digest.

Usage: check_stamp.py STAMP_FILE ROOT
"""
import hashlib
import json
import os
import sys


def main():
    stamp, root = sys.argv[1:3]
    try:
        with open(stamp) as f:
            digests = json.load(f)
    except (OSError, ValueError):
        sys.exit(1)
    if not digests:
        sys.exit(1)
    for rel, want in digests.items():
        h = hashlib.sha256()
        try:
            with open(os.path.join(root, rel), "rb") as f:
                for chunk in iter(lambda: f.read(1 << 20), b""):
                    h.update(chunk)
        except OSError:
            sys.exit(1)
        if h.hexdigest() != want:
            sys.exit(1)


if __name__ == "__main__":
    main()
