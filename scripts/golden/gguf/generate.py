"""Writes the GGUF fixtures of Tests/ModelsTests (run through generate.sh; its header says what is needed).

Tests/ModelsTests/Fixtures/gguf/
  quants.gguf            a small GGUF written by gguf-py's GGUFWriter: random tensors stored as F32, F16, BF16,
                         Q8_0, Q4_0, Q4_1 (quantized by gguf.quants) and one Q5_0 (which we do not dequantize),
                         metadata of every GGUF value type (arrays of numbers, strings, bools, an array of arrays),
                         general.alignment 64
  quants.json            gguf.quants.dequantize of each tensor, and each metadata value as gguf-py reads it back
  smollm2-reference.json from assets/SmolLM2-135M-Instruct/*.gguf: the header counts and types, gguf-py's
                         dequantized embedding rows, transformers' (gguf_file=, float32) config and sampled rows of
                         layer 0/29 projections under their HF names (checks the Q/K row un-permutation); with
                         --inspect, how far transformers on our HF export (gguf-inspect --export-hf) is from it
  tiny-llama/, tiny-llama-reference.safetensors
                         a tiny random LlamaForCausalLM saved by transformers (config.json, model.safetensors) and
                         its logits on a [2, 7] batch
  smollm2-logits.safetensors
                         transformers' float32 logits (gguf_file=) on 5 prompts: ids, every 16th vocabulary logit
                         at each position, the full last-position logits, greedy generation of 32 tokens
  smollm2-tokenizer.jsonl
                         token ids of every golden line (Tests/TokenizersTests/Fixtures/golden-lines.jsonl) from HF
                         tokenizers with the model's tokenizer, and transformers' apply_chat_template on a few
                         conversations; where transformers' own GGUF tokenizer (GPT-2 split) differs, its ids too.
                         With --inspect, the tokenizer.json our gguf-inspect writes is loaded by HF tokenizers and
                         must encode every line identically (the script fails otherwise).
"""
import argparse
import json
import os

import numpy as np

import gguf
from gguf import GGMLQuantizationType as Q
from gguf import quants

HEADER = {"generated_by": "scripts/golden/gguf/generate.sh, do not edit", "gguf": gguf.__version__ if hasattr(gguf, "__version__") else "0.19.0"}
MODEL = "SmolLM2-135M-Instruct"
GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"


def floats(a):
    # float32 values printed with 9 significant digits round-trip exactly.
    return [float(f"{x:.9g}") for x in np.asarray(a, dtype=np.float32).ravel()]


def write_quants(out):
    rng = np.random.default_rng(1234)
    tensors = [  # name, type, ggml shape reversed (numpy order: rows, row width)
        ("f32", Q.F32, (3, 40)),
        ("f16", Q.F16, (2, 64)),
        ("bf16", Q.BF16, (2, 32)),
        ("q8_0", Q.Q8_0, (4, 64)),
        ("q4_0", Q.Q4_0, (3, 64)),
        ("q4_1", Q.Q4_1, (5, 96)),
        ("blk.0.q5_0", Q.Q5_0, (1, 32)),
        ("vector", Q.Q8_0, (64,)),
    ]
    path = os.path.join(out, "quants.gguf")
    w = gguf.GGUFWriter(path, arch="llama")
    w.add_custom_alignment(64)
    w.add_uint8("test.u8", 200)
    w.add_int8("test.i8", -100)
    w.add_uint16("test.u16", 60000)
    w.add_int16("test.i16", -30000)
    w.add_uint32("test.u32", 4000000000)
    w.add_int32("test.i32", -2000000000)
    w.add_uint64("test.u64", 2**63 + 5)
    w.add_int64("test.i64", -(2**62))
    w.add_float32("test.f32", 0.1)
    w.add_float64("test.f64", -1e300)
    w.add_bool("test.bool", True)
    w.add_string("test.string", "héllo, wörld ✓")
    w.add_array("test.ints", [1, -2, 3])
    w.add_array("test.strings", ["a", "", "ü"])
    w.add_array("test.floats", [0.5, -1.25])
    w.add_array("test.bools", [True, False])
    w.add_array("test.nested", [[1, 2], [3]])
    expected = {}
    for name, qtype, shape in tensors:
        x = (rng.standard_normal(shape) * rng.uniform(0.1, 3.0)).astype(np.float32)
        if qtype in (Q.F32,):
            stored, values = x, x
            w.add_tensor(name, stored)
        elif qtype == Q.F16:
            stored = x.astype(np.float16)
            values = stored.astype(np.float32)
            w.add_tensor(name, stored)
        else:
            stored = quants.quantize(x, qtype)
            values = quants.dequantize(stored, qtype) if qtype != Q.Q5_0 else None
            w.add_tensor(name, stored, raw_dtype=qtype)
        expected[name] = {"type": qtype.name, "shape": list(shape),
                          "values": floats(values) if values is not None else None}
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()

    r = gguf.GGUFReader(path)
    meta = {}
    for key, field in r.fields.items():
        if key.startswith("test.") or key == "general.alignment":
            meta[key] = {"types": [t.name for t in field.types], "value": field.contents()}
    for t in r.tensors:  # what gguf-py reads back must be what we wrote
        if expected[t.name]["values"] is not None:
            back = quants.dequantize(t.data, t.tensor_type) if t.tensor_type not in (Q.F32, Q.F16) else t.data
            assert floats(back) == expected[t.name]["values"], t.name
        expected[t.name]["offset"] = int(t.data_offset)
    with open(os.path.join(out, "quants.json"), "w") as f:
        json.dump({**HEADER, "tensors": expected, "metadata": meta, "tensor_count": len(r.tensors),
                   "kv_count": len(r.fields)}, f, indent=0, ensure_ascii=False)
        f.write("\n")


def write_smollm(out, gguf_path, root, inspect):  # noqa: C901
    import collections

    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    r = gguf.GGUFReader(gguf_path)
    counts = collections.Counter(t.tensor_type.name for t in r.tensors)
    embd = next(t for t in r.tensors if t.name == "token_embd.weight")
    ids = [0, 1, 2, 17, 100, 1000, 20000, 49151]
    full = quants.dequantize(embd.data, embd.tensor_type)  # [49152, 576]
    ref = {**HEADER, "file": GGUF_NAME, "tensor_count": len(r.tensors), "types": dict(sorted(counts.items())),
           "embedding_type": embd.tensor_type.name,
           "embedding_rows": {str(i): floats(full[i]) for i in ids}}

    global _smollm_tokenizer_json
    from tokenizers import Tokenizer, pre_tokenizers
    _t = AutoTokenizer.from_pretrained(os.path.dirname(gguf_path), gguf_file=GGUF_NAME)
    _hf = Tokenizer.from_str(_t.backend_tokenizer.to_str())
    _hf.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.Digits(individual_digits=True),
                                                 pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)])
    _smollm_tokenizer_json = _hf.to_str()
    model = AutoModelForCausalLM.from_pretrained(os.path.dirname(gguf_path), gguf_file=GGUF_NAME,
                                                 dtype=torch.float32)
    c = model.config
    ref["config"] = {k: getattr(c, k) for k in (
        "vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads",
        "num_key_value_heads", "max_position_embeddings", "rms_norm_eps", "tie_word_embeddings",
        "bos_token_id", "eos_token_id", "pad_token_id")}
    ref["config"]["rope_theta"] = float(c.rope_parameters["rope_theta"]) if getattr(c, "rope_parameters", None) else float(c.rope_theta)
    sd = model.state_dict()
    rows = [0, 1, 2, 31, 32, 33, 63, 64, 100, 191]
    samples = {}
    for layer in (0, 29):
        for proj in ("self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
                     "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj", "input_layernorm",
                     "post_attention_layernorm"):
            name = f"model.layers.{layer}.{proj}.weight"
            w = sd[name].numpy()
            if w.ndim == 1:
                samples[name] = {"values": floats(w[:16])}
            else:
                samples[name] = {"rows": rows, "head": [floats(w[i, :8]) for i in rows],
                                 "sums": [float(np.float64(w[i]).sum()) for i in rows]}
    samples["model.norm.weight"] = {"values": floats(sd["model.norm.weight"].numpy()[:16])}
    ref["hf_samples"] = samples
    write_logits(out, model)
    if inspect:
        ref["our_hf_export"] = check_export(inspect, gguf_path, model)
    with open(os.path.join(out, "smollm2-reference.json"), "w") as f:
        json.dump(ref, f, indent=0)
        f.write("\n")

    # The tokenizer. transformers builds a GPT-2 byte-level tokenizer from the metadata but gives it GPT-2's
    # pre-tokenizer; the file names the `smollm` split, which llama.cpp defines as `\p{N}` (each digit alone) then
    # the GPT-2 regex — the Digits(individual) + ByteLevel sequence of SmolLM2's own tokenizer.json. We use that
    # split, and record how many lines transformers' stock pre-tokenizer would tokenize differently.
    from tokenizers import Tokenizer, pre_tokenizers
    tok = AutoTokenizer.from_pretrained(os.path.dirname(gguf_path), gguf_file=GGUF_NAME)
    hf = Tokenizer.from_str(tok.backend_tokenizer.to_str())
    hf.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.Digits(individual_digits=True),
                                                pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)])
    lines_path = os.path.join(root, "Tests/TokenizersTests/Fixtures/golden-lines.jsonl")
    with open(lines_path, encoding="utf-8") as f:
        lines = [json.loads(l) for l in f][1:]
    rows_out = []
    stock_differs = 0
    for i, line in enumerate(lines):
        e = hf.encode(line["text"], add_special_tokens=True)
        row = {"i": i, "ids": " ".join(map(str, e.ids)), "decoded": hf.decode(e.ids, skip_special_tokens=False)}
        stock = tok(line["text"])["input_ids"]
        if stock != e.ids:
            stock_differs += 1
            row["stock_ids"] = " ".join(map(str, stock))
        rows_out.append(row)
    conversations = [
        [{"role": "user", "content": "What is the capital of France?"}],
        [{"role": "system", "content": "You classify e-mails."}, {"role": "user", "content": "Win a prize now!!!"}],
        [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello! How can I help?"},
         {"role": "user", "content": "Tell me a joke about 42 cats.\nShort, please."}],
    ]
    chats = []
    for conv in conversations:
        for gen in (False, True):
            text = tok.apply_chat_template(conv, tokenize=False, add_generation_prompt=gen)
            chats.append({"messages": conv, "add_generation_prompt": gen, "text": text,
                          "ids": " ".join(map(str, hf.encode(text).ids))})
    # Our tokenizer.json (written by gguf-inspect from the same file) must load in HF tokenizers and encode every
    # line as the reference does.
    ours_checked = None
    if inspect:
        import subprocess
        import tempfile
        with tempfile.TemporaryDirectory() as tmp:
            written = os.path.join(tmp, "tokenizer.json")
            subprocess.run([inspect, gguf_path, "--tokenizer-json", written], check=True, stdout=subprocess.DEVNULL)
            ours = Tokenizer.from_file(written)
        for line, row in zip(lines, rows_out):
            got = " ".join(map(str, ours.encode(line["text"]).ids))
            if got != row["ids"]:
                raise SystemExit(f"our tokenizer.json encodes line {row['i']} as {got}, HF as {row['ids']}")
        ours_checked = len(rows_out)
        print(f"smollm2: our tokenizer.json, loaded by HF tokenizers, encodes all {ours_checked} lines identically")
    with open(os.path.join(out, "smollm2-tokenizer.jsonl"), "w", encoding="utf-8") as f:
        f.write(json.dumps({**HEADER, "tokenizers": __import__("tokenizers").__version__,
                            "transformers_stock_pretokenizer_differs_on": stock_differs,
                            "our_tokenizer_json_checked_by_hf_on": ours_checked,
                            "chats": chats}, ensure_ascii=False) + "\n")
        for row in rows_out:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"smollm2: {len(rows_out)} lines; transformers' stock pre-tokenizer differs on {stock_differs}")


PROMPTS = [
    "The capital of France is",
    "def fibonacci(n):\n    ",
    "<|im_start|>user\nWhat is 12 + 30?<|im_end|>\n<|im_start|>assistant\n",
    "Jane Austen wrote Pride and Prejudice in 1813. It is a novel about",
    "Spam or ham? 'WINNER!! You have won a £1000 prize, call now' Answer:",
]


def check_export(inspect, gguf_path, model):
    """Has gguf-inspect export the GGUF as an HF folder (our LlamaModel.save + tokenizer.json), loads it with
    transformers' LlamaForCausalLM and AutoTokenizer, and compares its logits on PROMPTS with the gguf_file= model."""
    import subprocess
    import tempfile

    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([inspect, gguf_path, "--export-hf", tmp], check=True, stdout=subprocess.DEVNULL)
        ours = AutoModelForCausalLM.from_pretrained(tmp, dtype=torch.float32).eval()
        tok = AutoTokenizer.from_pretrained(tmp)
        worst = 0.0
        for prompt in PROMPTS:
            ids = torch.tensor([tok(prompt)["input_ids"]])
            with torch.no_grad():
                a, b = ours(ids).logits, model(ids).logits
            worst = max(worst, float((a - b).abs().max() / b.abs().max()))
    if worst > 1e-6:
        raise SystemExit(f"transformers on our exported folder differs from gguf_file= by {worst} (relative)")
    print(f"smollm2: our HF export loads in transformers; logits differ by {worst} (relative) on {len(PROMPTS)} prompts")
    return {"class": type(ours).__name__, "max_relative_logit_difference": worst}


def write_logits(out, model):
    """transformers' float32 forward pass on PROMPTS: for each, the ids, every 16th vocabulary logit at every
    position, the full logits of the last position, and its greedy continuation of up to 32 tokens (stopping at
    EOS) (smollm2-logits.safetensors)."""
    import torch
    from safetensors.torch import save_file
    from tokenizers import Tokenizer, pre_tokenizers
    tok = Tokenizer.from_str(_smollm_tokenizer_json)
    tensors = {}
    model.eval()
    for i, prompt in enumerate(PROMPTS):
        ids = tok.encode(prompt).ids
        with torch.no_grad():
            logits = model(torch.tensor([ids])).logits[0].float()  # [T, V]
        tensors[f"p{i}.ids"] = torch.tensor(ids, dtype=torch.int64)
        tensors[f"p{i}.logits_every16"] = logits[:, ::16].contiguous()
        tensors[f"p{i}.last"] = logits[-1].contiguous()
        with torch.no_grad():
            out_ids = model.generate(torch.tensor([ids]), max_new_tokens=32, do_sample=False,
                                     eos_token_id=model.config.eos_token_id, pad_token_id=model.config.pad_token_id)
        tensors[f"p{i}.greedy"] = out_ids[0, len(ids):].to(torch.int64).contiguous()
    save_file(tensors, os.path.join(out, "smollm2-logits.safetensors"),
              metadata={"generated_by": "scripts/golden/gguf/generate.sh, do not edit",
                        "prompts": json.dumps(PROMPTS), "reference": "transformers gguf_file= float32"})


_smollm_tokenizer_json = None


def write_tiny_llama(out):
    """A tiny random LlamaForCausalLM (2 layers, 4 query / 2 key-value heads, untied head) saved by transformers,
    and its float32 logits on a batch of ids (tiny-llama/, tiny-llama-reference.safetensors)."""
    import torch
    import transformers
    from safetensors.torch import save_file
    c = transformers.LlamaConfig(vocab_size=50, hidden_size=16, intermediate_size=24, num_hidden_layers=2,
                                 num_attention_heads=4, num_key_value_heads=2, rms_norm_eps=1e-5, rope_theta=100.0,
                                 tie_word_embeddings=False, max_position_embeddings=64)
    torch.manual_seed(0)
    m = transformers.LlamaForCausalLM(c).eval()
    with torch.no_grad():
        for p in m.parameters():  # larger than the default init, so every layer matters
            p.normal_(0, 0.3)
    folder = os.path.join(out, "tiny-llama")
    m.save_pretrained(folder)
    for extra in ("generation_config.json",):
        if os.path.exists(os.path.join(folder, extra)):
            os.remove(os.path.join(folder, extra))
    ids = torch.tensor([[3, 17, 42, 8, 0, 49, 21], [5, 5, 11, 30, 2, 7, 44]])
    with torch.no_grad():
        logits = m(ids).logits.float()
    save_file({"ids": ids.to(torch.int64), "logits": logits.contiguous()},
              os.path.join(out, "tiny-llama-reference.safetensors"),
              metadata={"generated_by": "scripts/golden/gguf/generate.sh, do not edit"})


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", required=True)
    ap.add_argument("--assets", required=True)
    ap.add_argument("--inspect", help="the gguf-inspect executable (checks our tokenizer.json in HF tokenizers)")
    a = ap.parse_args()
    out = os.path.join(a.root, "Tests/ModelsTests/Fixtures/gguf")
    os.makedirs(out, exist_ok=True)
    write_quants(out)
    write_tiny_llama(out)
    gguf_path = os.path.join(a.assets, MODEL, GGUF_NAME)
    if os.path.isfile(gguf_path):
        write_smollm(out, gguf_path, a.root, a.inspect)
    else:
        print(f"{gguf_path} missing (run scripts/fetch-assets): SmolLM2 references not written")


if __name__ == "__main__":
    main()
