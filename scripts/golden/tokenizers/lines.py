"""Seeded, varied test lines for the tokenizer golden fixtures (shared by generate.py and the bench)."""
import random
import re

ACCENTS = ["Crème brûlée", "naïve façade", "Ångström", "Øresund", "São Paulo", "Straße", "İstanbul", "Åland",
           "Ça va? Très bien!", "résumé", "Zürich", "Dvořák", "Łódź", "Ærøskøbing", "coöperate", "ﬁnancial ﬂow",
           "e\u0301le\u0300ve", "A\u030angstro\u0308m", "Ｆｕｌｌｗｉｄｔｈ", "Ⅻ ⅷ ½ ² ³", "ǅemal", "ß ẞ", "ΣΊΣΥΦΟΣ όσος"]
SCRIPTS = ["中文分词测试，你好世界！", "日本語のテキスト、カタカナとひらがな。", "한국어 텍스트입니다.", "Привет, мир! Ёлка.",
           "Γειά σου Κόσμε", "مرحبا بالعالم", "שלום עולם", "สวัสดีชาวโลก", "नमस्ते दुनिया", "ভাষা", "Xin chào thế giới",
           "𠀀𠀁 𪜀 丽", "ｶﾀｶﾅ", "ㄅㄆㄇ", "ᚠᚢᚦ", "ⴰⵣⵓⵍ"]
EMOJI = ["🙂", "😀😃😄", "👍🏽", "👨‍👩‍👧‍👦", "🇫🇷🇯🇵", "❤️", "🥲", "🫠", "🧑‍💻", "✨🚀", "☕", "🏳️‍🌈", "🤖🦾", "🪐", "©®™"]
URLS = ["https://example.com/path?q=1&lang=en#frag", "http://localhost:8080/api/v1/items/42", "www.python.org",
        "user.name+tag@example.co.uk", "ftp://files.example.org/pub/README.txt", "/usr/share/doc/README.Debian",
        "C:\\Program Files\\App\\app.exe", "git@github.com:org/repo.git", "https://例え.jp/パス"]
CODE = ["for (int i = 0; i < n; ++i) { x[i] *= 2; }", "def f(x): return x**2 + 1", "SELECT * FROM t WHERE a >= 3;",
        "a->b && c || !d", "x = {'key': [1, 2, 3]}", "#include <stdio.h>", "$HOME/.config/*.yaml", "1.5e-10 + 0x1F",
        "foo_bar_baz = Foo.bar(baz)", "<div class=\"x\">&amp;</div>", "`backticks` ~tilde~ ^caret^ |pipe|"]
SPECIAL = ["[CLS]", "[SEP]", "[MASK]", "[PAD]", "[UNK]", "<s>", "</s>", "<pad>", "<unk>", "<mask>", "<|endoftext|>"]
CONTROL = ["\x00", "\x07", "\x1b", "\x7f", "\u0085", "\u200b", "\u200d", "\ufeff", "\u2028", "\ue000", "\ufffd", "\u00ad",
           "\x0c", "\x0b"]
SPACES = [" ", "  ", "   ", "\t", "\n", "\r\n", " \t ", "\u00a0", "\u3000", "\u2009", "\u202f", "\n\n", "    ", "\u2003"]
WORDS = ("the of and to in is was for that with as on by at from it an be this are or which has have not but were "
         "tokenizer unbelievable internationalization antidisestablishmentarianism don't I'm you'll they've we're "
         "it's can't won't O'Neill rock'n'roll e-mail co-operate state-of-the-art 2024 3.14159 1,000,000 42nd "
         "COVID-19 iPhone McDonald's naïveté Über déjà-vu").split()
CONTRACTIONS = ["'s", "'t", "'re", "'ve", "'m", "'ll", "'d", "'S", "'LL"]


def english_lines(limit=None):
    """Sentences from the docstrings of Python's standard library (real English, available offline)."""
    import importlib
    import inspect
    mods = ["json", "os", "re", "random", "collections", "itertools", "functools", "pathlib", "subprocess", "argparse",
            "logging", "datetime", "decimal", "fractions", "statistics", "textwrap", "string", "shutil", "tempfile",
            "threading", "queue", "heapq", "bisect", "csv", "zipfile", "tarfile", "email", "http.client", "urllib.parse",
            "unittest", "doctest", "typing", "dataclasses", "enum", "abc", "contextlib", "inspect", "pickle", "copy",
            "pprint", "difflib", "calendar", "locale", "gettext", "codecs", "unicodedata", "socket", "ssl", "asyncio",
            "sqlite3", "xml.dom.minidom", "html.parser", "configparser", "hashlib", "hmac", "secrets", "uuid", "io"]
    seen = set()
    out = []
    for name in mods:
        try:
            mod = importlib.import_module(name)
        except Exception:
            continue
        objs = [mod] + [getattr(mod, a) for a in sorted(dir(mod)) if not a.startswith("_")]
        for obj in objs:
            try:
                doc = inspect.getdoc(obj)
            except Exception:
                doc = None
            if not doc:
                continue
            for para in re.split(r"\n\s*\n", doc):
                para = " ".join(para.split())
                if len(para) < 20 or para in seen:
                    continue
                seen.add(para)
                out.append(para)
    return out if limit is None else out[:limit]


def varied_lines(n, seed):
    rng = random.Random(seed)
    pools = [ACCENTS, SCRIPTS, EMOJI, URLS, CODE, SPECIAL, CONTROL, WORDS, CONTRACTIONS]
    out = []
    for k in range(n):
        kind = rng.random()
        if kind < 0.04:
            # Long words and long runs.
            pick = rng.choice([
                lambda: "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(30, 220))),
                lambda: "x" * rng.randint(90, 130),
                lambda: "ab" * rng.randint(40, 80),
                lambda: "-" * rng.randint(5, 60) + " " + "!" * rng.randint(2, 30),
                lambda: "".join(rng.choice("0123456789") for _ in range(rng.randint(20, 120))),
                lambda: "Pneumonoultramicroscopicsilicovolcanoconiosis" * rng.randint(1, 4),
            ])
            out.append(pick())
            continue
        if kind < 0.07:
            out.append(rng.choice(["", " ", "  \t  ", "\n", "\u00a0", "\x00", "!!!", "a", "A", "'", "''", "\u3000x"]))
            continue
        parts = []
        for _ in range(rng.randint(1, 12)):
            pool = rng.choice(pools)
            w = rng.choice(pool)
            if rng.random() < 0.15:
                w = w.upper()
            elif rng.random() < 0.1:
                w = w.capitalize()
            parts.append(w)
            parts.append(rng.choice(SPACES) if rng.random() < 0.25 else rng.choice(["", " ", " ", " ", ", ", ". "]))
        out.append("".join(parts))
    return out
