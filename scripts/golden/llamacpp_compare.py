"""llama.cpp (llama-cpp-python) against transformers (and our forward pass) on SmolLM2-135M-Instruct's Q4_1 GGUF.

Run through scripts/golden/llamacpp_compare.sh (its header says what is needed). Two steps, two virtualenvs:

  llamacpp  (a venv with llama-cpp-python and numpy) reads the 5 prompts' token ids from the logits fixture of
            scripts/golden/gguf/generate.py (Tests/ModelsTests/Fixtures/gguf/smollm2-logits.safetensors), evaluates
            them with llama.cpp on the GGUF (logits_all: the logits of every position), greedily continues each for
            up to 32 tokens (stopping after EOS), and writes everything to an .npz.
  compare   (a venv with torch and transformers) runs transformers' LlamaForCausalLM on the same GGUF
            (`gguf_file=`, float32) on the same ids, checks it against the fixture, and prints per prompt and
            overall: the largest |llama.cpp - transformers| logit difference, absolute and relative to the
            prompt's largest |logit| (the measure LlamaModelTests uses for ours), the mean |difference|, top-1
            agreement at every position, and whether the greedy continuations agree (and for how many tokens).
            With --ours FILE.npz (arrays p<i>.logits, [T, V]) our logits are compared the same way.

llama.cpp computes with the quantized weights (Q4_1 and Q8_0 blocks dotted with 8-bit-quantized activations),
transformers and ours with the weights dequantized to float32, so a larger difference is expected here: this
script measures it, it asserts nothing about llama.cpp.
"""
import argparse
import json
import os
import struct
import sys

import numpy as np

PROMPTS_FIXTURE = "Tests/ModelsTests/Fixtures/gguf/smollm2-logits.safetensors"


def read_safetensors(path):
    """The tensors and metadata of a safetensors file (numpy only: the llama.cpp venv needs no torch)."""
    b = open(path, "rb").read()
    (n,) = struct.unpack_from("<Q", b, 0)
    header = json.loads(b[8:8 + n])
    meta = header.pop("__metadata__", {})
    dtypes = {"F32": np.float32, "I64": np.int64, "I32": np.int32, "F64": np.float64}
    out = {}
    for name, h in header.items():
        lo, hi = h["data_offsets"]
        out[name] = np.frombuffer(b[8 + n + lo:8 + n + hi], dtype=dtypes[h["dtype"]]).reshape(h["shape"])
    return out, meta


def run_llamacpp(a):
    import llama_cpp
    ref, meta = read_safetensors(a.fixture)
    prompts = json.loads(meta["prompts"])
    llm = llama_cpp.Llama(model_path=a.gguf, n_ctx=256, n_batch=256, n_threads=a.threads,
                          n_threads_batch=a.threads, logits_all=True, verbose=False, seed=0)
    eos = llm.token_eos()
    out = {}
    for i, prompt in enumerate(prompts):
        ids = [int(x) for x in ref[f"p{i}.ids"]]
        llm.reset()
        llm.eval(ids)
        out[f"p{i}.logits"] = np.array(llm.scores[:len(ids)], dtype=np.float32)
        new = []
        nxt = int(np.argmax(llm.scores[len(ids) - 1]))
        while len(new) < 32:
            new.append(nxt)
            if nxt == eos:
                break
            llm.eval([nxt])
            nxt = int(np.argmax(llm.scores[llm.n_tokens - 1]))
        out[f"p{i}.greedy"] = np.array(new, dtype=np.int64)
        out[f"p{i}.tokenized"] = np.array(llm.tokenize(prompt.encode(), add_bos=False, special=True), dtype=np.int64)
    out["version"] = np.array(llama_cpp.__version__)
    np.savez(a.out, **out)
    print(f"llama.cpp (llama-cpp-python {llama_cpp.__version__}): logits of {len(prompts)} prompts -> {a.out}")


def stats(name, logits, tf, greedy=None, tf_greedy=None):
    d = np.abs(logits.astype(np.float64) - tf)
    scale = np.abs(tf).max()
    top = (logits.argmax(-1) == tf.argmax(-1))
    r = {"system": name, "max_abs": float(d.max()), "relative": float(d.max() / scale),
         "mean_abs": float(d.mean()), "top1_agree": int(top.sum()), "positions": int(top.size),
         "last_top1_agree": bool(top[-1])}
    if greedy is not None:
        n = 0
        while n < min(len(greedy), len(tf_greedy)) and greedy[n] == tf_greedy[n]:
            n += 1
        r["greedy_equal"] = bool(len(greedy) == len(tf_greedy) and n == len(greedy))
        r["greedy_common_prefix"] = n
        r["greedy_tokens"] = int(len(tf_greedy))
    return r


def compare(a):
    import torch
    from transformers import AutoModelForCausalLM
    ref, meta = read_safetensors(a.fixture)
    prompts = json.loads(meta["prompts"])
    lc = np.load(a.llamacpp)
    ours = np.load(a.ours) if a.ours else None
    folder, name = os.path.split(os.path.abspath(a.gguf))
    model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32).eval()
    rows = []
    for i, prompt in enumerate(prompts):
        ids = ref[f"p{i}.ids"]
        with torch.no_grad():
            tf = model(torch.tensor(ids[None, :].astype(np.int64))).logits[0].double().numpy()
        # transformers now = transformers when the fixture was written (every 16th logit, and the last row).
        fixture_drift = max(float(np.abs(tf[:, ::16] - ref[f"p{i}.logits_every16"]).max()),
                            float(np.abs(tf[-1] - ref[f"p{i}.last"]).max()))
        tok = lc[f"p{i}.tokenized"]
        row = {"prompt": i, "text": prompt, "tokens": int(len(ids)), "fixture_drift": fixture_drift,
               "llamacpp_tokenizes_equal": bool(len(tok) == len(ids) and (tok == ids).all()),
               "llamacpp": stats("llama.cpp", lc[f"p{i}.logits"], tf, lc[f"p{i}.greedy"], ref[f"p{i}.greedy"])}
        if ours is not None:
            row["ours"] = stats("ours", ours[f"p{i}.logits"], tf)
            row["ours_vs_llamacpp"] = stats("ours-vs-llama.cpp", ours[f"p{i}.logits"],
                                            lc[f"p{i}.logits"].astype(np.float64))
        rows.append(row)
        print(json.dumps(row), flush=True)
    summary = {"summary": True, "llama_cpp_python": str(lc["version"]), "prompts": len(rows)}
    for key in ("llamacpp", "ours", "ours_vs_llamacpp"):
        if key in rows[0]:
            s = [r[key] for r in rows]
            summary[key] = {"max_abs": max(x["max_abs"] for x in s), "relative": max(x["relative"] for x in s),
                            "mean_abs": float(np.mean([x["mean_abs"] for x in s])),
                            "top1_agree": sum(x["top1_agree"] for x in s), "positions": sum(x["positions"] for x in s),
                            "last_top1_agree": sum(x["last_top1_agree"] for x in s)}
            if "greedy_equal" in s[0]:
                summary[key]["greedy_equal"] = sum(x["greedy_equal"] for x in s)
                summary[key]["greedy_common_prefix"] = [x["greedy_common_prefix"] for x in s]
    summary["fixture_drift"] = max(r["fixture_drift"] for r in rows)
    summary["llamacpp_tokenizes_equal"] = sum(r["llamacpp_tokenizes_equal"] for r in rows)
    print(json.dumps(summary), flush=True)
    if summary["fixture_drift"] > 1e-3:
        sys.exit(f"transformers' logits moved {summary['fixture_drift']} from the fixture: regenerate it first")


def main():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["llamacpp", "compare"])
    ap.add_argument("--gguf", default=os.path.join(os.environ.get("FINETUNED_ASSETS", os.path.join(root, "assets")),
                                                   "SmolLM2-135M-Instruct", "SmolLM2-135M-Instruct.Q4_1.gguf"))
    ap.add_argument("--fixture", default=os.path.join(root, PROMPTS_FIXTURE))
    ap.add_argument("--out", help="llamacpp: the .npz to write")
    ap.add_argument("--llamacpp", help="compare: the .npz the llamacpp step wrote")
    ap.add_argument("--ours", help="compare: an .npz of our logits (p<i>.logits, [T, V])")
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    run_llamacpp(a) if a.mode == "llamacpp" else compare(a)


if __name__ == "__main__":
    main()
