"""Writes the golden fixtures for Tests/TokenizersTests from HF `tokenizers`.

Run through generate.sh (which makes a throwaway venv). Outputs, in Tests/TokenizersTests/Fixtures/:
  minilm-tokenizer.json       all-MiniLM-L6-v2's tokenizer (Apache-2.0), copied
  minilm-golden.jsonl         HF encodings of the test lines with that tokenizer
  hf-bpe-tokenizer.json       a byte-level BPE trained by HF on trainer-corpus.txt
  hf-bpe-golden.jsonl         HF encodings with it
  trainer-corpus.txt          the small fixed training corpus
  ours-bpe-tokenizer.json     the same corpus trained by OUR trainer (tokenizers-bench train)
  ours-bpe-golden.jsonl       HF's encodings with OUR tokenizer.json
  hf-same-settings-merges.json  HF's merges when trained with our trainer's settings
  hf-prefix-space-merges.json   same, with add_prefix_space, min frequency 5, vocab 1200
  components-golden.jsonl     single normalizers / pre-tokenizers / decoders on short inputs
"""
import json
import os
import subprocess
import sys

import tokenizers
from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from components import records as component_records  # noqa: E402
from lines import english_lines, varied_lines  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
FIX = os.path.join(ROOT, "Tests", "TokenizersTests", "Fixtures")
HEADER = {"generated_by": "scripts/golden/tokenizers/generate.sh, do not edit", "tokenizers_version": tokenizers.__version__}


def test_cases(seed):
    eng = english_lines()
    varied = varied_lines(1200, seed)
    # English from the second half of the docstrings (the first half trains the BPE), cut to <= 240 chars.
    english = [e[:160] for e in eng[len(eng) // 2:][:360]]
    lines = varied + english
    cases = []
    for i, line in enumerate(lines):
        if i % 7 == 3:
            cases.append((line, lines[(i * 31 + 5) % len(lines)]))
        else:
            cases.append((line, None))
    return cases


def write_lines(path, cases):
    """The test inputs, once: {"text": ..., "pair": ...} per line, after a header line."""
    with open(path, "w", encoding="utf-8") as f:
        f.write(json.dumps(dict(HEADER, note="golden test inputs"), ensure_ascii=False) + "\n")
        for text, pair in cases:
            f.write(json.dumps({"text": text, "pair": pair}, ensure_ascii=False) + "\n")


def write_golden(tok, path, cases, note, step=1):
    """One line per input (every `step`-th): "i": input line index; ids/type_ids as space-separated numbers;
    "offsets" as space-separated (start - previous token's end, end - start) pairs, to keep the files small;
    "decoded" is omitted when it equals the (single) input text."""
    with open(path, "w", encoding="utf-8") as f:
        f.write(json.dumps(dict(HEADER, note=note), ensure_ascii=False) + "\n")
        for i in range(0, len(cases), step):
            text, pair = cases[i]
            e = tok.encode(text, pair) if pair is not None else tok.encode(text)
            rec = {"i": i, "ids": " ".join(map(str, e.ids))}
            if pair is not None:
                rec["type_ids"] = " ".join(map(str, e.type_ids))
            deltas, prev = [], 0
            for (a, b) in e.offsets:
                deltas += [a - prev, b - a]
                prev = b
            rec["offsets"] = " ".join(map(str, deltas))
            decoded = tok.decode(e.ids)
            if not (pair is None and decoded == text):  # omitted when it is the input itself
                rec["decoded"] = decoded
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")


def main():
    minilm_src = sys.argv[1]
    bench = sys.argv[2]  # our tokenizers-bench executable (for `train`)
    os.makedirs(FIX, exist_ok=True)
    cases = test_cases(seed=20261128)
    write_lines(os.path.join(FIX, "golden-lines.jsonl"), cases)

    # 1. MiniLM (WordPiece). Padding is turned off for the per-line goldens (tested apart).
    with open(minilm_src, encoding="utf-8") as f:
        minilm_json = f.read()
    with open(os.path.join(FIX, "minilm-tokenizer.json"), "w", encoding="utf-8") as f:
        f.write(minilm_json)
    tok = Tokenizer.from_str(minilm_json)
    tok.no_padding()
    write_golden(tok, os.path.join(FIX, "minilm-golden.jsonl"), cases, "all-MiniLM-L6-v2, truncation from the file, no padding")

    # Padding as configured in the file (Fixed 128) for a few lines.
    tok = Tokenizer.from_str(minilm_json)
    with open(os.path.join(FIX, "minilm-padded-golden.jsonl"), "w", encoding="utf-8") as f:
        f.write(json.dumps(dict(HEADER, note="all-MiniLM-L6-v2 with its own truncation and padding"), ensure_ascii=False) + "\n")
        for text, pair in cases[:30]:
            e = tok.encode(text, pair) if pair is not None else tok.encode(text)
            rec = {"text": text, "pair": pair, "ids": e.ids, "type_ids": e.type_ids, "attention_mask": e.attention_mask,
                   "special_tokens_mask": e.special_tokens_mask}
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")

    # Single components (normalizers, pre-tokenizers, decoders) on short inputs.
    with open(os.path.join(FIX, "components-golden.jsonl"), "w", encoding="utf-8") as f:
        f.write(json.dumps(dict(HEADER, note="HF normalize_str / pre_tokenize_str / decode per component"), ensure_ascii=False) + "\n")
        for rec in component_records():
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")

    # Truncation with overflowing windows (single sequences).
    with open(os.path.join(FIX, "minilm-overflow-golden.jsonl"), "w", encoding="utf-8") as f:
        f.write(json.dumps(dict(HEADER, note="all-MiniLM-L6-v2, truncation with stride: ids of the encoding and its overflowing windows"),
                           ensure_ascii=False) + "\n")
        for max_length, stride, direction in [(24, 6, "right"), (20, 0, "left"), (16, 13, "right")]:
            tok = Tokenizer.from_str(minilm_json)
            tok.no_padding()
            tok.enable_truncation(max_length, stride=stride, direction=direction)
            for i, (text, pair) in enumerate(cases[:60]):
                if pair is not None:
                    continue
                e = tok.encode(text)
                rec = {"i": i, "max_length": max_length, "stride": stride, "direction": direction,
                       "ids": " ".join(map(str, e.ids)), "overflowing": [" ".join(map(str, o.ids)) for o in e.overflowing]}
                f.write(json.dumps(rec, ensure_ascii=False) + "\n")

    # 2. The training corpus: first half of the docstrings plus varied lines (other seed).
    eng = english_lines()
    corpus_lines = eng[: len(eng) // 2][:800] + varied_lines(800, seed=7)
    corpus = "".join(l.replace("\r", " ").replace("\n", " ") + "\n" for l in corpus_lines)
    corpus_path = os.path.join(FIX, "trainer-corpus.txt")
    with open(corpus_path, "w", encoding="utf-8", newline="") as f:
        f.write(corpus)

    # 3. A byte-level BPE trained by HF (RoBERTa-style), 2000 tokens.
    hf = Tokenizer(models.BPE())
    hf.normalizer = normalizers.NFC()
    hf.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=True)
    hf.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=2000, min_frequency=2, special_tokens=["<s>", "<pad>", "</s>", "<unk>", "<mask>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    hf.train([corpus_path], trainer)
    hf.post_processor = processors.RobertaProcessing(("</s>", hf.token_to_id("</s>")), ("<s>", hf.token_to_id("<s>")),
                                                     trim_offsets=True, add_prefix_space=True)
    hf.save(os.path.join(FIX, "hf-bpe-tokenizer.json"), pretty=False)
    hf = Tokenizer.from_file(os.path.join(FIX, "hf-bpe-tokenizer.json"))
    write_golden(hf, os.path.join(FIX, "hf-bpe-golden.jsonl"), cases, "byte-level BPE trained by HF on trainer-corpus.txt",
                 step=2)

    # 3b. A Llama-3-style variant of that BPE: regex Split + ByteLevel without regex, ignore_merges, a template.
    #     Only the changed sections are stored (hf-bpe-variant-patch.json); the test applies them to hf-bpe-tokenizer.json.
    from components import LLAMA3
    from tokenizers import AddedToken, Regex
    variant = json.loads(hf.to_str())
    var_tok = Tokenizer.from_str(json.dumps(variant))
    var_tok.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.Split(Regex(LLAMA3), "isolated"),
                                                     pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
    var_tok.normalizer = normalizers.Lowercase()
    var_tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", pair="<s> $A </s> $B:1 </s>:1",
        special_tokens=[("<s>", hf.token_to_id("<s>")), ("</s>", hf.token_to_id("</s>"))])
    # Added tokens of every kind: matched on normalized text, lstrip/rstrip, single_word, non-special.
    var_tok.add_tokens([AddedToken("Zürich", normalized=True), AddedToken("<|endoftext|>", lstrip=True, rstrip=True),
                        AddedToken("ab", single_word=True, normalized=False), AddedToken("ǅemal", normalized=True)])
    var_tok.add_special_tokens([AddedToken("[MASK]", lstrip=True, normalized=False)])
    patch = {k: v for k, v in json.loads(var_tok.to_str()).items()
             if k in ("normalizer", "pre_tokenizer", "post_processor", "added_tokens")}
    patch["model.ignore_merges"] = True
    model = json.loads(var_tok.to_str())
    model["model"]["ignore_merges"] = True
    var_tok = Tokenizer.from_str(json.dumps(model))
    with open(os.path.join(FIX, "hf-bpe-variant-patch.json"), "w", encoding="utf-8") as f:
        json.dump(dict(HEADER, patch=patch), f, ensure_ascii=False, indent=1)
    write_golden(var_tok, os.path.join(FIX, "hf-bpe-variant-golden.jsonl"), cases,
                 "hf-bpe-tokenizer.json patched with hf-bpe-variant-patch.json (Llama-3-style split, ignore_merges, added tokens)",
                 step=4)

    # 3c. A WordLevel tokenizer trained by HF (NFKC + lowercase, Whitespace, no decoder).
    wl = Tokenizer(models.WordLevel(unk_token="[UNK]"))
    wl.normalizer = normalizers.Sequence([normalizers.NFKC(), normalizers.Lowercase()])
    wl.pre_tokenizer = pre_tokenizers.Whitespace()
    wl.train([corpus_path], trainers.WordLevelTrainer(vocab_size=600, special_tokens=["[UNK]", "[CLS]", "[SEP]"],
                                                      show_progress=False))
    wl.post_processor = processors.BertProcessing(("[SEP]", wl.token_to_id("[SEP]")), ("[CLS]", wl.token_to_id("[CLS]")))
    wl.save(os.path.join(FIX, "hf-wordlevel-tokenizer.json"), pretty=False)
    wl = Tokenizer.from_file(os.path.join(FIX, "hf-wordlevel-tokenizer.json"))
    write_golden(wl, os.path.join(FIX, "hf-wordlevel-golden.jsonl"), cases, "WordLevel trained by HF, BertProcessing", step=5)

    # 3d. A Llama-2-style BPE trained by HF: Prepend/Replace normalizer, no pre-tokenizer, byte_fallback, fuse_unk,
    #     Replace/ByteFallback/Fuse/Strip decoders. The <0xXX> tokens are trained as specials (so they get ids) and
    #     then left as plain vocab entries; limit_alphabet forces the byte fallback on rarer characters.
    bf = Tokenizer(models.BPE(unk_token="<unk>", byte_fallback=True, fuse_unk=True))
    bf.normalizer = normalizers.Sequence([normalizers.Prepend("\u2581"), normalizers.Replace(" ", "\u2581")])
    bf.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="never", split=False)
    byte_tokens = [f"<0x{b:02X}>" for b in range(256)]
    bf.train([corpus_path], trainers.BpeTrainer(vocab_size=1500, min_frequency=2, limit_alphabet=120, show_progress=False,
                                                special_tokens=["<unk>", "<s>", "</s>"] + byte_tokens))
    bf.pre_tokenizer = None
    bf.decoder = decoders.Sequence([decoders.Replace("\u2581", " "), decoders.ByteFallback(), decoders.Fuse(),
                                    decoders.Strip(" ", 1, 0)])
    bf_json = json.loads(bf.to_str())
    bf_json["added_tokens"] = [t for t in bf_json["added_tokens"] if t["content"] not in byte_tokens]
    with open(os.path.join(FIX, "hf-bytefallback-tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(bf_json, f, ensure_ascii=False)
    bf = Tokenizer.from_file(os.path.join(FIX, "hf-bytefallback-tokenizer.json"))
    write_golden(bf, os.path.join(FIX, "hf-bytefallback-golden.jsonl"), cases,
                 "Llama-2-style BPE with byte fallback trained by HF", step=5)

    # 3e. Classic (non byte-level) BPE: an end-of-word suffix (CharBPE style) and a continuing-subword prefix.
    cb = Tokenizer(models.BPE(unk_token="<unk>", end_of_word_suffix="</w>"))
    cb.normalizer = normalizers.BertNormalizer(lowercase=True)
    cb.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    cb.decoder = decoders.BPEDecoder(suffix="</w>")
    cb.train([corpus_path], trainers.BpeTrainer(vocab_size=1200, special_tokens=["<unk>"], end_of_word_suffix="</w>",
                                                show_progress=False))
    cb.save(os.path.join(FIX, "hf-suffix-bpe-tokenizer.json"), pretty=False)
    write_golden(Tokenizer.from_file(os.path.join(FIX, "hf-suffix-bpe-tokenizer.json")),
                 os.path.join(FIX, "hf-suffix-bpe-golden.jsonl"), cases, "BPE with end_of_word_suffix trained by HF", step=8)
    cp = Tokenizer(models.BPE(unk_token="[UNK]", continuing_subword_prefix="##"))
    cp.pre_tokenizer = pre_tokenizers.Whitespace()
    cp.decoder = decoders.WordPiece()
    cp.train([corpus_path], trainers.BpeTrainer(vocab_size=1200, special_tokens=["[UNK]"], continuing_subword_prefix="##",
                                                show_progress=False))
    cp.save(os.path.join(FIX, "hf-prefix-bpe-tokenizer.json"), pretty=False)
    write_golden(Tokenizer.from_file(os.path.join(FIX, "hf-prefix-bpe-tokenizer.json")),
                 os.path.join(FIX, "hf-prefix-bpe-golden.jsonl"), cases, "BPE with continuing_subword_prefix trained by HF",
                 step=8)

    # 3f. Unigram trained by HF (NFKC, Metaspace). HF's Unigram trainer fails ("likelihood is NAN") on this corpus's
    #     non-ASCII and very long lines, so it trains on the ASCII lines with words of at most 25 characters.
    import tempfile
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False, encoding="utf-8") as tmp:
        tmp.write("".join(l for l in corpus.splitlines(keepends=True)
                          if l.isascii() and max(map(len, l.split()), default=0) <= 25))
    uni = Tokenizer(models.Unigram())
    uni.normalizer = normalizers.NFKC()
    uni.pre_tokenizer = pre_tokenizers.Metaspace()
    uni.decoder = decoders.Metaspace()
    uni.train([tmp.name], trainers.UnigramTrainer(vocab_size=800, special_tokens=["<unk>", "<s>"], unk_token="<unk>",
                                                  show_progress=False))
    os.unlink(tmp.name)
    uni.save(os.path.join(FIX, "hf-unigram-tokenizer.json"), pretty=False)
    write_golden(Tokenizer.from_file(os.path.join(FIX, "hf-unigram-tokenizer.json")),
                 os.path.join(FIX, "hf-unigram-golden.jsonl"), cases, "Unigram trained by HF", step=5)

    # 4. OUR trainer on the same corpus; HF loads the result and encodes the lines.
    ours_path = os.path.join(FIX, "ours-bpe-tokenizer.json")
    subprocess.run([bench, "train", corpus_path, ours_path, "--vocab-size", "2000", "--min-frequency", "2",
                    "--special", "<|endoftext|>,<pad>", "--threads", "2"], check=True)
    ours = Tokenizer.from_file(ours_path)
    write_golden(ours, os.path.join(FIX, "ours-bpe-golden.jsonl"), cases, "OUR trainer's tokenizer.json, encoded by HF", step=4)

    # HF trained with the same settings as ours, for comparing the merges.
    same = Tokenizer(models.BPE())
    same.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    same.decoder = decoders.ByteLevel()
    same.post_processor = processors.ByteLevel(trim_offsets=True)
    t2 = trainers.BpeTrainer(vocab_size=2000, min_frequency=2, special_tokens=["<|endoftext|>", "<pad>"],
                             initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    same.train([corpus_path], t2)
    merges = json.loads(same.to_str())["model"]["merges"]
    with open(os.path.join(FIX, "hf-same-settings-merges.json"), "w", encoding="utf-8") as f:
        json.dump(dict(HEADER, merges=[m if isinstance(m, str) else " ".join(m) for m in merges]), f, ensure_ascii=False)
    ours_merges = json.loads(open(ours_path, encoding="utf-8").read())["model"]["merges"]
    ours_merges = [m if isinstance(m, str) else " ".join(m) for m in ours_merges]
    hf_merges = [m if isinstance(m, str) else " ".join(m) for m in merges]
    same_prefix = next((i for i, (a, b) in enumerate(zip(ours_merges, hf_merges)) if a != b), min(len(ours_merges), len(hf_merges)))
    print(f"merges: ours {len(ours_merges)}, HF {len(hf_merges)}, identical prefix {same_prefix}")

    # And with a prefix space, a higher minimum frequency and other special tokens (our test trains the same).
    pfx = Tokenizer(models.BPE())
    pfx.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=True)
    pfx.train([corpus_path], trainers.BpeTrainer(vocab_size=1200, min_frequency=5, special_tokens=["<s>", "</s>", "<unk>"],
                                                 initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False))
    pm = json.loads(pfx.to_str())["model"]
    with open(os.path.join(FIX, "hf-prefix-space-merges.json"), "w", encoding="utf-8") as f:
        json.dump(dict(HEADER, vocab_size=len(pm["vocab"]),
                       merges=[m if isinstance(m, str) else " ".join(m) for m in pm["merges"]]), f, ensure_ascii=False)
    print("fixtures written to", FIX)


if __name__ == "__main__":
    main()
