#!/usr/bin/env python3
"""Read character vectors from an R lazy-load database (Rdata.rdx + Rdata.rdb), Python stdlib only.

The janeaustenr package ships its novels as R lazy-load data. The PyPI package `rdata` can read it but pulls in
numpy, pandas and xarray; this module implements just the part of R's serialization format (XDR, versions 2 and 3)
that such data uses: pairlists, symbols, character/logical/integer/double/list vectors, attributes, references,
environments and the common ALTREP classes. Anything else raises ValueError naming the SEXP type.

Usage as a script: rlazyload.py DIR/Rdata  -> prints each object's name, type and length.
"""
import gzip
import struct
import sys
import zlib

NILVALUE, GLOBALENV, UNBOUND, MISSINGARG, BASENAMESPACE = 254, 253, 252, 251, 250
NAMESPACESXP, PACKAGESXP, PERSISTSXP, EMPTYENV, BASEENV = 249, 248, 247, 242, 241
ATTRLANGSXP, ATTRLISTSXP, ALTREP, REFSXP = 240, 239, 238, 255
NILSXP, SYMSXP, LISTSXP, CLOSXP, ENVSXP, PROMSXP, LANGSXP = 0, 1, 2, 3, 4, 5, 6
CHARSXP, LGLSXP, INTSXP, REALSXP, CPLXSXP, STRSXP, VECSXP, EXPRSXP, RAWSXP = 9, 10, 13, 14, 15, 16, 19, 20, 24
NA_INT = -(2**31)


class RObject:
    """A parsed R value: `kind` (SEXP type number), `value` (Python list/str/None), `attributes` (dict)."""

    def __init__(self, kind, value, attributes=None):
        self.kind, self.value, self.attributes = kind, value, attributes or {}

    def __repr__(self):
        return f"RObject({self.kind}, {type(self.value).__name__})"


class Symbol(str):
    pass


class Reader:
    def __init__(self, data):
        self.data, self.pos, self.refs = data, 0, []

    def int(self):
        (v,) = struct.unpack_from(">i", self.data, self.pos)
        self.pos += 4
        return v

    def bytes(self, n):
        b = self.data[self.pos:self.pos + n]
        if len(b) != n:
            raise ValueError("truncated R serialization")
        self.pos += n
        return b

    def header(self):
        if self.bytes(2) != b"X\n":
            raise ValueError("not an XDR R serialization (expected 'X\\n')")
        version = self.int()
        self.int(), self.int()  # writer R version, minimal reader R version
        if version == 3:
            self.bytes(self.int())  # native encoding name
        elif version != 2:
            raise ValueError(f"unsupported R serialization version {version}")

    def item(self):
        flags = self.int()
        kind = flags & 0xFF
        has_attr, has_tag = bool(flags & (1 << 9)), bool(flags & (1 << 10))
        if kind == NILVALUE:
            return None
        if kind in (GLOBALENV, EMPTYENV, BASEENV, BASENAMESPACE, UNBOUND, MISSINGARG):
            return RObject(kind, None)
        if kind == REFSXP:
            index = flags >> 8
            if index == 0:
                index = self.int()
            return self.refs[index - 1]
        if kind == PERSISTSXP:
            obj = RObject(kind, self.item())
            self.refs.append(obj)
            return obj
        if kind in (NAMESPACESXP, PACKAGESXP):
            self.int()  # always 0
            names = [self.item() for _ in range(self.int())]
            obj = RObject(kind, names)
            self.refs.append(obj)
            return obj
        if kind == SYMSXP:
            sym = Symbol(self.item() or "")
            self.refs.append(sym)
            return sym
        if kind == ENVSXP:
            obj = RObject(kind, None)
            self.refs.append(obj)
            self.int()  # locked
            enclos, frame, hashtab, attrib = self.item(), self.item(), self.item(), self.item()
            obj.value = {"enclos": enclos, "frame": frame, "hashtab": hashtab}
            obj.attributes = attrib if isinstance(attrib, dict) else {}
            return obj
        if kind in (LISTSXP, LANGSXP, CLOSXP, PROMSXP, ATTRLANGSXP, ATTRLISTSXP):
            attrs = self.item() if has_attr else None
            tag = self.item() if has_tag else None
            car = self.item()
            cdr = self.item()
            pairs = [(tag, car)]
            if isinstance(cdr, list):
                pairs += cdr
            elif cdr is not None:
                pairs.append((None, cdr))
            # pairlists come back as a list of (tag, value); attributes() turns them into a dict
            del attrs
            return pairs
        if kind == CHARSXP:
            n = self.int()
            return None if n == -1 else self.bytes(n).decode("utf-8", "replace")
        if kind in (LGLSXP, INTSXP):
            n = self.int()
            value = list(struct.unpack_from(f">{n}i", self.data, self.pos))
            self.pos += 4 * n
        elif kind == REALSXP:
            n = self.int()
            value = list(struct.unpack_from(f">{n}d", self.data, self.pos))
            self.pos += 8 * n
        elif kind == CPLXSXP:
            n = self.int()
            value = list(struct.unpack_from(f">{2 * n}d", self.data, self.pos))
            self.pos += 16 * n
        elif kind == RAWSXP:
            value = self.bytes(self.int())
        elif kind in (STRSXP, VECSXP, EXPRSXP):
            value = [self.item() for _ in range(self.int())]
        elif kind == ALTREP:
            return self.altrep()
        else:
            raise ValueError(f"unsupported R SEXP type {kind}")
        attrs = attributes(self.item()) if has_attr else {}
        return RObject(kind, value, attrs)

    def altrep(self):
        info, state, attr = self.item(), self.item(), self.item()
        cls = info[0][1] if isinstance(info, list) and info else None
        if cls in ("compact_intseq", "compact_realseq"):
            n, start, step = state.value[:3]
            value = [start + i * step for i in range(int(n))]
            if cls == "compact_intseq":
                value = [int(v) for v in value]
            obj = RObject(INTSXP if cls == "compact_intseq" else REALSXP, value)
        elif cls == "deferred_string":
            original = state[0][1] if isinstance(state, list) else state
            obj = RObject(STRSXP, [str(v) if v is not None else None for v in original.value])
        elif cls and cls.startswith("wrap_"):
            inner = state[0][1] if isinstance(state, list) else state
            obj = RObject(inner.kind, inner.value, inner.attributes)
        else:
            raise ValueError(f"unsupported ALTREP class {cls!r}")
        if attr is not None:
            obj.attributes = attributes(attr)
        return obj


def attributes(pairs):
    if not isinstance(pairs, list):
        return {}
    return {str(tag): value for tag, value in pairs}


def read_lazyload(base):
    """Return {name: RObject} for every object in the lazy-load database `base`.rdx/.rdb."""
    with open(base + ".rdx", "rb") as f:
        raw = f.read()
    index_reader = Reader(gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else zlib.decompress(raw))
    index_reader.header()
    index = index_reader.item()
    variables = dict(attributes_of_list(index))["variables"]
    with open(base + ".rdb", "rb") as f:
        db = f.read()
    out = {}
    for name, where in attributes_of_list(variables):
        offset, length = (int(v) for v in where.value[:2])
        blob = db[offset:offset + length]
        (size,) = struct.unpack(">I", blob[:4])
        if blob[4:5] in (b"Z", b"2", b"X", b"0"):
            raise ValueError(f"{name}: unsupported lazy-load compression type {blob[4:5]!r}")
        data = zlib.decompress(blob[4:])
        if len(data) != size:
            raise ValueError(f"{name}: decompressed size {len(data)} != {size}")
        r = Reader(data)
        r.header()
        out[name] = r.item()
    return out


def attributes_of_list(obj):
    """Pairs (name, element) of a named R list."""
    names = obj.attributes.get("names")
    if names is None:
        raise ValueError("expected a named R list")
    return list(zip(names.value, obj.value))


if __name__ == "__main__":
    for name, obj in read_lazyload(sys.argv[1]).items():
        print(name, obj.kind, len(obj.value) if obj.value is not None else None)
