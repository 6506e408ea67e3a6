#!/usr/bin/env python3
"""Helpers of scripts/bench/predict.sh.

  predict_torch.py artifact DIR TRUNK        write an untrained multitask artifact over the trunk folder TRUNK:
                                             symlinks to its config.json, model.safetensors, tokenizer.json, and
                                             multitask.json + multitask.safetensors with a spam head (ham, spam) and
                                             a question head (6 TREC classes), mean pooling, no experts. The heads
                                             are random (seed 0): the numbers measure the trunk, not a classifier.
  predict_torch.py texts JSONL OUT           the "text" field of every line of JSONL, one per line (newlines in a
                                             text become spaces)
  predict_torch.py reference DIR TEXTS OUT THREADS BATCH
                                             the same model in PyTorch + transformers (BertModel, mean pooling,
                                             the heads' dense layers, softmax) on the same texts tokenized by the
                                             artifact's tokenizer.json with HF tokenizers: writes rows/s to stderr
                                             and the probabilities as JSON lines (finetunectl predict's layout)
  predict_torch.py compare OURS REFERENCE    max |difference| of the probabilities, and label agreement
"""
import json
import os
import sys
import time

TASKS = [("spam", ["ham", "spam"]), ("question", ["ABBR", "DESC", "ENTY", "HUM", "LOC", "NUM"])]


def artifact(out, trunk):
    import numpy as np
    from safetensors.numpy import save_file

    os.makedirs(out, exist_ok=True)
    for f in ["config.json", "model.safetensors", "tokenizer.json"]:
        dst = os.path.join(out, f)
        if not os.path.exists(dst):
            os.symlink(os.path.abspath(os.path.join(trunk, f)), dst)
    hidden = json.load(open(os.path.join(trunk, "config.json")))["hidden_size"]
    rng = np.random.default_rng(0)
    tensors = {}
    for name, labels in TASKS:
        bound = 1 / np.sqrt(hidden)
        tensors[f"heads.{name}.dense.weight"] = rng.uniform(-bound, bound, (len(labels), hidden)).astype(np.float32)
        tensors[f"heads.{name}.dense.bias"] = np.zeros(len(labels), np.float32)
    save_file(tensors, os.path.join(out, "multitask.safetensors"))
    config = {
        "format_version": 1, "pooling": "mean", "hidden_size": hidden, "experts": None, "domains": 0,
        "head_dropout": 0.1,
        "tasks": [{"name": n, "kind": "sequence_classification", "labels": len(l), "labelNames": l} for n, l in TASKS],
    }
    json.dump(config, open(os.path.join(out, "multitask.json"), "w"), indent=1)


def texts(jsonl, out):
    with open(jsonl) as f, open(out, "w") as o:
        for line in f:
            if line.strip():
                o.write(" ".join(json.loads(line)["text"].split()) + "\n")


def reference(directory, texts_path, out, threads, batch):
    import torch
    from safetensors.torch import load_file
    from tokenizers import Tokenizer
    from transformers import BertModel

    torch.set_num_threads(int(threads))
    batch = int(batch)
    tok = Tokenizer.from_file(os.path.join(directory, "tokenizer.json"))
    tok.no_padding()
    model = BertModel.from_pretrained(directory, add_pooling_layer=False).eval()
    heads = load_file(os.path.join(directory, "multitask.safetensors"))
    lines = [l.rstrip("\n") for l in open(texts_path) if l.strip()]
    began = time.perf_counter()
    cpu = time.process_time()
    rows = []
    with torch.no_grad():
        for s in range(0, len(lines), batch):
            enc = tok.encode_batch(lines[s : s + batch])
            t = max(len(e.ids) for e in enc)
            ids = torch.zeros(len(enc), t, dtype=torch.long)
            mask = torch.zeros(len(enc), t, dtype=torch.long)
            for i, e in enumerate(enc):
                ids[i, : len(e.ids)] = torch.tensor(e.ids)
                mask[i, : len(e.ids)] = 1
            h = model(input_ids=ids, attention_mask=mask).last_hidden_state
            m = mask.unsqueeze(-1).float()
            pooled = (h * m).sum(1) / m.sum(1)
            out_rows = [{} for _ in enc]
            for name, labels in TASKS:
                p = torch.softmax(pooled @ heads[f"heads.{name}.dense.weight"].T + heads[f"heads.{name}.dense.bias"], -1)
                for i in range(len(enc)):
                    out_rows[i][name] = {"label": labels[int(p[i].argmax())],
                                         "probabilities": dict(zip(labels, p[i].tolist()))}
            rows += out_rows
    seconds = time.perf_counter() - began
    cpu = time.process_time() - cpu
    with open(out, "w") as o:
        for i, r in enumerate(rows):
            o.write(json.dumps({"id": str(i + 1), "tasks": r}, sort_keys=True) + "\n")
    print(f"pytorch: {len(rows)} rows in {seconds:.2f} s wall, {cpu:.2f} s CPU: {len(rows) / seconds:.1f} rows/s, "
          f"{len(rows) / cpu:.1f} rows per CPU second (threads {threads}, batch {batch}; model load excluded)",
          file=sys.stderr)


def compare(ours, ref):
    a = [json.loads(l) for l in open(ours)]
    b = [json.loads(l) for l in open(ref)]
    assert len(a) == len(b), (len(a), len(b))
    worst, agree, total = 0.0, 0, 0
    for x, y in zip(a, b):
        for name, _ in TASKS:
            px, py = x["tasks"][name]["probabilities"], y["tasks"][name]["probabilities"]
            worst = max(worst, max(abs(px[k] - py[k]) for k in px))
            agree += x["tasks"][name]["label"] == y["tasks"][name]["label"]
            total += 1
    print(f"compare: {len(a)} rows, max |p(ours) - p(pytorch)| = {worst:.2e}, labels agree {agree}/{total}")


if __name__ == "__main__":
    {"artifact": artifact, "texts": texts, "reference": reference, "compare": compare}[sys.argv[1]](*sys.argv[2:])
