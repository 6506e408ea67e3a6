"""HF behaviour of single components (normalizers, pre-tokenizers, decoders) on short inputs."""
import base64
import json

from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers

INPUTS = [
    "Hello, World!", "  leading and trailing  ", "naïve café Ångström e\u0301le\u0300ve", "ﬁnancial ﬂow Ⅻ ½ ²",
    "中文分词 and 日本語", "don't stop-believing; it's 3.14 or 1,000,000", "tabs\tand\nnewlines\r\n here",
    "emoji 🙂👍🏽 flags 🇫🇷", "ＦＵＬＬ width ｶﾀｶﾅ", "control\x00chars\x07here\u200bzero", "a--b__c..d", "123abc456 7 89",
    "İstanbul STRASSE Straße", "   ", "", "x", "'s 'll 'RE", "https://example.com/a?b=c", "▁already▁spaced",
    "ab ab abab", "ﬁne Å ½ ｶ e\u0301 x\u3000y a\u200bb AB A ABC 🙂", "\u200bzero first", "AAB ½½ e\u0301\u0301", "👨\u200d👩\u200d👧 Ⓐⓑ x_y ǅ\u0345 ⅷx", "nbsp\u00a0ideographic\u3000thin\u2009space", "Привет мир", "مرحبا", "a\u0308\u0301 o\u0323\u0302",
]

# A SentencePiece precompiled charsmap, made once with sentencepiece 0.2.3 from these rules (normalization_rule_tsv):
# ﬁ→fi, Å→A, ½→1/2, ｶ→カ, e+U+0301→é, U+3000→space, U+200B→(removed), AB→x, A→a, 🙂→:)
PRECOMPILED_CHARSMAP = (
    "AAQAAAAAAQBBDQAADAAAgBEAAIDMAAIAgQ0AABMAAIC9PQAAAwAAgIUNAAAKAACAgDACAIsFAAAAAACAgAQCAIB9AAABAACAgQ0A"
    "AA4AAIC2HQAAFgAAgJ9QAgCCBQAABwAAgJkwAgAYAAAAGwAAABoAAAAdAAAAHAAAAB8AAAAeAAAAIQAAAKzEAgAjAAAAIgAAACUA"
    "AABltAMAJwAAACYAAAApAAAAKAAAACsAAAAqAAAALQAAACwAAAAvAAAALgAAAL1UAgAwAAAAMwAAADIAAAA1AAAANAAAADcAAAA2"
    "AAAAOQAAADgAAAA7AAAAOgAAAD0AAAA8AAAAPwAAAD4AAABCDQEAQAAAAEMAAABCAAAARQAAAEQAAABHAAAARgAAAEkAAABIAAAA"
    "SwAAAEoAAABNAAAATAAAAE8AAABOAAAAUQAAAFAAAABTAAAAUgAAAFUAAABUAAAAVwAAAFYAAABZAAAAWAAAAFsAAABaAAAAXQAA"
    "AFwAAABfAAAAXgAAAGEAAABgAAAAYwAAAGIAAABlAAAAZAAAAGcAAABmAAAAaQAAAGgAAABrAAAAagAAAG0AAABsAAAAbwAAAG4A"
    "AABxAAAAcAAAAHMAAAByAAAAdQAAAHQAAAB3AAAAdgAAAHkAAAB4AAAAewAAAHoAAAB9AAAAfAAAAH8AAAB+AAAAgQAAAIAAAADC"
    "4AAAwzwAAIUAAACEAAAAhwAAAIYAAACJAAAAiAAAAIsAAACKAAAAjQAAAIwAAACPAAAAjgAAAJEAAACQAAAAkwAAAJIAAACVAAAA"
    "lAAAAJcAAACWAAAAmQAAAJgAAACbAAAAmgAAAJ0AAACcAAAAnwAAAJ4AAAChAAAAoAAAAOKkAADjtAAApQAAAKQAAACnAAAApgAA"
    "AKkAAACoAAAAqwAAAKoAAACtAAAArAAAAK8AAADviAAA8OgAALAAAACzAAAAsgAAALUAAAC0AAAAtwAAALYAAAC5AAAAuAAAALsA"
    "AAC6AAAAvQAAALwAAAC/AAAAvgAAAMEAAADAAAAAwwAAAMIAAADFAAAAxAAAAMcAAADGAAAAyQAAAMgAAADLAAAAygAAAM0AAADM"
    "AAAAzwAAAM4AAADRAAAA0AAAANMAAADSAAAA1QAAANQAAADXAAAA1gAAANkAAADYAAAA2wAAANoAAADdAAAA3AAAAN8AAADeAAAA"
    "4QAAAOAAAADjAAAA4gAAAOUAAADkAAAA5wAAAOYAAADpAAAA6AAAAOsAAADqAAAA7QAAAOwAAADvAAAA7gAAAPEAAADwAAAA8wAA"
    "APIAAAD1AAAA9AAAAPcAAAD2AAAA+QAAAPgAAAD7AAAA+gAAAP0AAAD8AAAA/wAAAP4AAAAAIAAxLzIAOikAQQBhAGZpAHgAw6kA"
    "44KrAA==")

NORMALIZERS = [
    normalizers.BertNormalizer(), normalizers.BertNormalizer(lowercase=False, strip_accents=False),
    normalizers.BertNormalizer(lowercase=False, strip_accents=True, clean_text=False, handle_chinese_chars=False),
    normalizers.NFC(), normalizers.NFD(), normalizers.NFKC(), normalizers.NFKD(), normalizers.Lowercase(),
    normalizers.Sequence([normalizers.NFD(), normalizers.StripAccents()]), normalizers.Replace("  ", " "),
    normalizers.Replace("a", "AA"), normalizers.Strip(), normalizers.Strip(left=False), normalizers.Prepend("▁"),
    normalizers.Sequence([normalizers.NFKD(), normalizers.StripAccents(), normalizers.Lowercase()]),
    normalizers.Replace(Regex(r"\s+"), " "), normalizers.Replace(Regex(r"[0-9]"), "#"), normalizers.Nmt(),
    normalizers.ByteLevel(),
    normalizers.Precompiled(base64.b64decode(PRECOMPILED_CHARSMAP)),
]

GPT2 = r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"
LLAMA3 = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|"
          r"\s+(?!\S)|\s+")

PRE_TOKENIZERS = [
    pre_tokenizers.BertPreTokenizer(), pre_tokenizers.ByteLevel(add_prefix_space=False),
    pre_tokenizers.ByteLevel(add_prefix_space=True), pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
    pre_tokenizers.Whitespace(), pre_tokenizers.WhitespaceSplit(), pre_tokenizers.Punctuation(),
    pre_tokenizers.Punctuation("removed"), pre_tokenizers.Punctuation("merged_with_previous"),
    pre_tokenizers.Punctuation("merged_with_next"), pre_tokenizers.Punctuation("contiguous"),
    pre_tokenizers.Digits(individual_digits=True), pre_tokenizers.Digits(individual_digits=False),
    pre_tokenizers.Split(" ", "removed"), pre_tokenizers.Split("-", "isolated"), pre_tokenizers.Split("ab", "merged_with_next"),
    pre_tokenizers.Split("ab", "contiguous", invert=True), pre_tokenizers.Metaspace(),
    pre_tokenizers.Metaspace(prepend_scheme="never", split=False),
    pre_tokenizers.Sequence([pre_tokenizers.WhitespaceSplit(), pre_tokenizers.Punctuation()]),
    pre_tokenizers.Sequence([pre_tokenizers.Whitespace(), pre_tokenizers.Digits(individual_digits=True)]),
    pre_tokenizers.Split(Regex(GPT2), "isolated"), pre_tokenizers.Split(Regex(LLAMA3), "isolated"),
    pre_tokenizers.Split(Regex(r"\s+"), "removed"), pre_tokenizers.CharDelimiterSplit("-"),
    pre_tokenizers.FixedLength(length=3), pre_tokenizers.Split(Regex(r"\d+"), "merged_with_previous"),
    pre_tokenizers.Sequence([pre_tokenizers.Split(Regex(LLAMA3), "isolated"), pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)]),
]

DECODER_INPUTS = [
    ["hello", "##world", "!", "it", "'", "s", "##n't", "do", "not"], ["Ġhello", "Ġw", "orld", "Ċ", "ðŁĻĤ"],
    ["▁hello", "▁wor", "ld", "▁"], ["hel", "lo</w>", "wor", "ld</w>"], ["<0x41>", "<0xC3>", "<0xA9>", "x", "<0xFF>"],
    ["a", " b", "  c  "], [],
    ["<pad>", "h", "h", "e", "<pad>", "l", "l", "<pad>", "l", "o", "|", "w", "o", "|", "|", "n't", "|", "."],
]

DECODERS = [
    decoders.WordPiece(), decoders.WordPiece(cleanup=False), decoders.ByteLevel(), decoders.Metaspace(),
    decoders.Metaspace(prepend_scheme="never"), decoders.BPEDecoder(), decoders.Replace("▁", " "), decoders.Strip(" ", 1, 1),
    decoders.Fuse(), decoders.ByteFallback(), decoders.CTC(), decoders.Replace(Regex(r"\s+"), "_"),
    decoders.Sequence([decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse(), decoders.Strip(" ", 1, 0)]),
]


def component_json(kind, component):
    tok = Tokenizer(models.WordPiece({"[UNK]": 0}, unk_token="[UNK]"))
    setattr(tok, kind, component)
    return json.loads(tok.to_str())[kind]


def records():
    """One record per component: its JSON config and [input, HF output] cases."""
    for n in NORMALIZERS:
        yield {"kind": "normalizer", "config": component_json("normalizer", n),
               "cases": [[s, n.normalize_str(s)] for s in INPUTS]}
    for p in PRE_TOKENIZERS:
        yield {"kind": "pre_tokenizer", "config": component_json("pre_tokenizer", p),
               "cases": [[s, [[piece, a, b] for piece, (a, b) in p.pre_tokenize_str(s)]] for s in INPUTS]}
    for d in DECODERS:
        yield {"kind": "decoder", "config": component_json("decoder", d),
               "cases": [[toks, d.decode(toks)] for toks in DECODER_INPUTS]}
