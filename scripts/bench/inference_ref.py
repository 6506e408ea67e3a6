"""Reference side of the inference comparison in scripts/bench/all: MiniLM sentence embeddings (mean pooling over
real tokens, L2-normalised — what `tensor-bench forward` computes) with PyTorch + transformers and with ONNX Runtime,
on the same pre-tokenised batches.

  inference_ref.py inputs --model DIR --data FILE.jsonl [--rows 0] --batch 32 --max-length 128 --out inputs.json
  inference_ref.py export --model DIR --out model.onnx          (torch.onnx, TorchScript exporter, opset 17)
  inference_ref.py torch  --model DIR --inputs inputs.json --threads N --reps R [--warmup W] [--out emb.f32]
  inference_ref.py onnx   --onnx model.onnx --inputs inputs.json --threads N --reps R [--warmup W] [--out emb.f32]
  inference_ref.py check  --rows N --hidden C NAME=emb.f32 ...   (pairwise max |difference| and min cosine)

`inputs` tokenises the first ROWS texts (0: all) of a JSON-lines file with the model's tokenizer.json (HF tokenizers),
truncated to MAX_LENGTH, each batch padded to its longest row. Timing modes print one JSON line per pass (the
same fields as `tensor-bench forward`) and a summary line; warm-up passes run the first batch only.
"""
import argparse
import json
import resource
import sys
import time


def load_batches(path):
    return json.load(open(path))["batches"]


def cmd_inputs(a):
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(f"{a.model}/tokenizer.json")
    tok.no_padding()
    tok.enable_truncation(max_length=a.max_length)
    texts = []
    with open(a.data, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                texts.append(json.loads(line)[a.field])
            if len(texts) == a.rows:
                break
    if len(texts) < a.rows or not texts:
        sys.exit(f"{a.data}: only {len(texts)} rows, {a.rows} asked for")
    batches = []
    for start in range(0, len(texts), a.batch):
        encs = tok.encode_batch(texts[start:start + a.batch])
        t = max(len(e.ids) for e in encs)
        ids, mask = [], []
        for e in encs:
            pad = t - len(e.ids)
            ids += e.ids + [0] * pad
            mask += [1] * len(e.ids) + [0] * pad
        batches.append({"batch": len(encs), "time": t, "input_ids": ids, "attention_mask": mask})
    json.dump({"batches": batches}, open(a.out, "w"))
    real = sum(sum(b["attention_mask"]) for b in batches)
    padded = sum(b["batch"] * b["time"] for b in batches)
    print(json.dumps({"rows": len(texts), "batches": len(batches), "real_tokens": real, "padded_tokens": padded,
                      "max_time": max(b["time"] for b in batches)}))


class Embedder:
    """Last hidden state → mean over real tokens → L2 normalisation (sentence-transformers' MiniLM pipeline)."""

    def __init__(self, model):
        import torch

        class Trunk(torch.nn.Module):
            def __init__(self, bert):
                super().__init__()
                self.bert = bert

            def forward(self, ids, mask):
                h = self.bert(input_ids=ids, attention_mask=mask).last_hidden_state
                m = mask.unsqueeze(-1).to(h.dtype)
                e = (h * m).sum(1) / m.sum(1).clamp(min=1e-9)
                return torch.nn.functional.normalize(e, dim=-1)

        self.module = Trunk(model)


def torch_model(path):
    import transformers

    return transformers.BertModel.from_pretrained(path, add_pooling_layer=False).eval()


def cmd_export(a):
    import torch

    model = Embedder(torch_model(a.model)).module.eval()
    ids = torch.randint(1000, 2000, (2, 16))
    mask = torch.ones_like(ids)
    mask[0, 9:] = 0
    torch.onnx.export(model, (ids, mask), a.out, input_names=["input_ids", "attention_mask"],
                      output_names=["embeddings"], opset_version=17, dynamo=False,
                      dynamic_axes={"input_ids": {0: "batch", 1: "time"}, "attention_mask": {0: "batch", 1: "time"},
                                    "embeddings": {0: "batch"}})
    print(json.dumps({"onnx": a.out, "torch": torch.__version__}))


def timed_passes(a, system, run, extra):
    import numpy as np

    batches = load_batches(a.inputs)
    rows = sum(b["batch"] for b in batches)
    padded = sum(b["batch"] * b["time"] for b in batches)
    arrays = [(np.array(b["input_ids"], dtype=np.int64).reshape(b["batch"], b["time"]),
               np.array(b["attention_mask"], dtype=np.int64).reshape(b["batch"], b["time"])) for b in batches]
    for _ in range(a.warmup):  # warm-up passes run the first batch only
        run(*arrays[0])
    out = None
    for _ in range(a.reps):
        t0, c0 = time.perf_counter(), time.thread_time()
        out = np.concatenate([run(ids, mask) for ids, mask in arrays]).astype(np.float32)
        t1, c1 = time.perf_counter(), time.thread_time()
        print(json.dumps({"system": system, "threads": a.threads, "seconds": t1 - t0,
                          "thread_cpu_seconds": c1 - c0, "rows": rows, "padded_tokens": padded}), flush=True)
    if a.out:
        out.tofile(a.out)
    print(json.dumps({"system": system, "summary": True, "threads": a.threads, "rows": rows,
                      "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, **extra}), flush=True)


def cmd_torch(a):
    import torch
    import transformers

    torch.set_num_threads(a.threads)
    model = Embedder(torch_model(a.model)).module.eval()

    def run(ids, mask):
        with torch.inference_mode():
            return model(torch.from_numpy(ids), torch.from_numpy(mask)).numpy()

    timed_passes(a, "torch", run, {"torch": torch.__version__, "transformers": transformers.__version__,
                                   "attn_implementation": model.bert.config._attn_implementation})


def cmd_onnx(a):
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = a.threads
    opts.inter_op_num_threads = 1
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    session = ort.InferenceSession(a.onnx, opts, providers=["CPUExecutionProvider"])

    def run(ids, mask):
        return session.run(None, {"input_ids": ids, "attention_mask": mask})[0]

    timed_passes(a, "onnxruntime", run, {"onnxruntime": ort.__version__})


def cmd_check(a):
    import numpy as np

    embs = {}
    for spec in a.files:
        name, path = spec.split("=", 1)
        x = np.fromfile(path, dtype=np.float32)
        if x.size != a.rows * a.hidden:
            sys.exit(f"{path}: {x.size} floats, expected {a.rows} x {a.hidden}")
        embs[name] = x.reshape(a.rows, a.hidden)
    names = list(embs)
    worst = 0.0
    for i, p in enumerate(names):
        for q in names[i + 1:]:
            d = float(np.abs(embs[p] - embs[q]).max())
            cos = float((embs[p] * embs[q]).sum(1).min())
            worst = max(worst, d)
            print(json.dumps({"pair": f"{p} vs {q}", "max_abs_diff": d, "min_cosine": cos,
                              "within_tolerance": d <= a.tolerance}))
    sys.exit(0 if worst <= a.tolerance else 1)


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("inputs")
    p.add_argument("--model", required=True)
    p.add_argument("--data", required=True)
    p.add_argument("--field", default="text")
    p.add_argument("--rows", type=int, default=0, help="0: every row of the file")
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--max-length", type=int, default=128)
    p.add_argument("--out", required=True)
    p = sub.add_parser("export")
    p.add_argument("--model", required=True)
    p.add_argument("--out", required=True)
    for name in ("torch", "onnx"):
        p = sub.add_parser(name)
        p.add_argument("--model" if name == "torch" else "--onnx", required=True)
        p.add_argument("--inputs", required=True)
        p.add_argument("--threads", type=int, default=1)
        p.add_argument("--reps", type=int, default=3)
        p.add_argument("--warmup", type=int, default=1)
        p.add_argument("--out")
    p = sub.add_parser("check")
    p.add_argument("--rows", type=int, required=True)
    p.add_argument("--hidden", type=int, default=384)
    p.add_argument("--tolerance", type=float, default=1e-4)
    p.add_argument("files", nargs="+")
    a = ap.parse_args()
    {"inputs": cmd_inputs, "export": cmd_export, "torch": cmd_torch, "onnx": cmd_onnx, "check": cmd_check}[a.cmd](a)


if __name__ == "__main__":
    main()
