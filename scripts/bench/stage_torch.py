"""PyTorch (+ PEFT) side of the `stage` section of scripts/bench/all.py: the multitask-finetune stage's training
step on the same batches.

The stage (Plugins/MultitaskFinetune) draws step s's task with TaskSampler (temperature sampling over the tasks'
train sizes, counter-based RNG) and its 16 rows from the task's DataOrder (a SplitMix64 Fisher-Yates permutation
per epoch); tasks are sorted by name. This script re-implements both draws (a pure function of the seed), reads
the rows from the tokenize artifact's token shards (docs/token-shards.md), pads each batch to its longest row as
TaskBatcher does, and runs the same step: all-MiniLM-L6-v2 (transformers BertModel without the pooler, dropout
on), mean pooling over real tokens, head dropout 0.1 + one Linear per task (cross-entropy; MSE for regression),
LoRA r=8 alpha 16 dropout 0.1 on every projection via PEFT (or full fine-tuning), global gradient-norm clip 1,
AdamW (decay 0.01 except biases and LayerNorms; trunk/LoRA lr and head lr), linear schedule with 6% warm-up.

--curve the stage's curve.jsonl: the script checks that its step tasks and real-token counts equal the stage's
(so both sides trained on the same batches) and fails otherwise. Prints one JSON line per step and a summary.
"""
import argparse
import json
import math
import os
import struct
import time

import numpy as np

M64 = (1 << 64) - 1
M32 = (1 << 32) - 1


def splitmix64(x):  # CounterRNG.splitmix64: adds the increment first
    z = (x + 0x9E3779B97F4A7C15) & M64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return z ^ (z >> 31)


class SplitMix64:  # Datasets/SplitMix64.swift
    def __init__(self, seed):
        self.state = seed & M64

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & M64
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
        return z ^ (z >> 31)

    def below(self, bound):  # high 64 bits of next() * bound
        return (self.next() * bound) >> 64


def mix32(x):
    x ^= x >> 16
    x = (x * 0x7FEB352D) & M32
    x ^= x >> 15
    x = (x * 0x846CA68B) & M32
    x ^= x >> 16
    return x


class CounterRNG:  # Tensor/CounterRNG.swift
    def __init__(self, seed, stream):
        a = splitmix64((seed + 0x9E3779B97F4A7C15 * (stream + 1)) & M64)
        b = splitmix64(a ^ stream)
        self.k1 = (a ^ (a >> 32)) & M32
        self.k2 = (b ^ (b >> 32)) & M32

    def bits(self, index):
        return mix32(mix32(((index & M32) + self.k1) & M32) ^ self.k2)


class Sampler:  # Training/TaskSampler.swift, temperature strategy, single-task batches
    def __init__(self, sizes, temperature, seed):
        w = [n ** (1 / temperature) for n in sizes]
        total = sum(w)
        self.cumulative = list(np.cumsum([x / total for x in w]))
        self.rng = CounterRNG(seed, 0x7A5C0000)

    def task(self, step):
        hi, lo = self.rng.bits(2 * step), self.rng.bits(2 * step + 1) >> 16
        u = ((hi << 16) | lo) / 281474976710656.0
        return next((i for i, c in enumerate(self.cumulative) if u < c), len(self.cumulative) - 1)


class Order:  # Training/DataOrder.swift with batching .rows(1)
    def __init__(self, count, seed):
        self.count, self.seed, self.epoch, self.offset = count, seed & M64, 0, 0
        self.perm = self.permutation(0)

    def permutation(self, epoch):
        order = list(range(self.count))
        rng = SplitMix64(self.seed ^ (((epoch + 1) * 0xD1B54A32D192ED03) & M64))
        for i in range(self.count - 1, 0, -1):
            j = rng.below(i + 1)
            order[i], order[j] = order[j], order[i]
        return order

    def next_row(self):
        if self.offset >= self.count:
            self.epoch, self.offset = self.epoch + 1, 0
            self.perm = self.permutation(self.epoch)
        self.offset += 1
        return self.perm[self.offset - 1]


class Shard:  # docs/token-shards.md
    def __init__(self, path):
        b = open(path, "rb").read()
        if b[:8] != b"FTTOKSHD":
            raise SystemExit(f"{path}: not a token shard")
        _version, width, flags, _r, count, tokens, table = struct.unpack_from("<IIIIQQQ", b, 8)
        self.ids = np.frombuffer(b, dtype=np.uint16 if width == 2 else np.uint32, count=tokens, offset=48)
        self.starts = np.frombuffer(b, dtype=np.uint64, count=count + 1, offset=table)
        at = table + 8 * (count + 1)
        self.classes = np.frombuffer(b, dtype=np.int32, count=count, offset=at) if flags & 1 else None
        self.values = np.frombuffer(b, dtype=np.float32, count=count, offset=at) if flags & 2 else None
        self.count = count

    def row(self, i):
        return self.ids[int(self.starts[i]):int(self.starts[i + 1])]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--artifact", required=True, help="the tokenize stage's output folder")
    ap.add_argument("--model", required=True, help="all-MiniLM-L6-v2 folder")
    ap.add_argument("--tasks", required=True, help='JSON {task: {"input": name, "kind": classification|regression}}')
    ap.add_argument("--peft", choices=["full", "lora"], default="lora")
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--temperature", type=float, default=2.0)
    ap.add_argument("--lr", type=float, default=5e-4)
    ap.add_argument("--head-lr", type=float, default=2e-3)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--curve", help="the stage's curve.jsonl, to check that the batches are the same")
    a = ap.parse_args()

    import torch
    import transformers
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    index = json.load(open(os.path.join(a.artifact, "index.json")))
    specs = json.loads(a.tasks)
    names = sorted(specs)  # the stage sorts its tasks by name
    shards, labels, kinds = [], [], []
    for n in names:
        entry = index["inputs"][specs[n]["input"]]
        shards.append(Shard(os.path.join(a.artifact, entry["splits"]["train"]["file"])))
        kinds.append(specs[n].get("kind", "classification"))
        labels.append(1 if kinds[-1] == "regression" else len(entry["labels"]["vocabulary"]))
    pad = index["tokenizer"]["special_tokens"].get("[PAD]", 0)
    sampler = Sampler([s.count for s in shards], a.temperature, a.seed)
    orders = [Order(s.count, a.seed + k * 0x9E3779B9) for k, s in enumerate(shards)]

    trunk = transformers.BertModel.from_pretrained(a.model, add_pooling_layer=False, dtype=torch.float32)
    if a.peft == "lora":
        from peft import LoraConfig, get_peft_model
        trunk = get_peft_model(trunk, LoraConfig(
            r=8, lora_alpha=16, lora_dropout=0.1, bias="none",
            target_modules=["query", "key", "value", "attention.output.dense", "intermediate.dense", "output.dense"]))
    heads = torch.nn.ModuleList([torch.nn.Linear(trunk.config.hidden_size, k) for k in labels])
    drop = torch.nn.Dropout(0.1)
    trunk.train()
    heads.train()
    decay, no_decay = [], []
    for n, p in trunk.named_parameters():
        if p.requires_grad:
            (no_decay if n.endswith("bias") or "LayerNorm" in n else decay).append(p)
    groups = [{"params": decay, "lr": a.lr, "weight_decay": 0.01},
              {"params": no_decay, "lr": a.lr, "weight_decay": 0.0},
              {"params": [p for n, p in heads.named_parameters() if n.endswith("weight")], "lr": a.head_lr,
               "weight_decay": 0.01},
              {"params": [p for n, p in heads.named_parameters() if n.endswith("bias")], "lr": a.head_lr,
               "weight_decay": 0.0}]
    trainable = [p for g in groups for p in g["params"]]
    opt = torch.optim.AdamW(groups)
    warm = round(a.steps * 0.06)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: (s + 1) / warm if s < warm else max(0.0, (a.steps - s) / max(1, a.steps - warm)))

    curve = [json.loads(l) for l in open(a.curve)] if a.curve else None
    total_tokens, total_seconds, mismatches = 0, 0.0, []
    for s in range(a.steps):
        t0 = time.perf_counter()
        c0 = time.thread_time()
        k = sampler.task(s)
        rows = [orders[k].next_row() for _ in range(a.batch)]
        seqs = [shards[k].row(r) for r in rows]
        T = max(1, max(len(x) for x in seqs))
        ids = torch.full((len(rows), T), pad, dtype=torch.long)
        mask = torch.zeros((len(rows), T), dtype=torch.long)
        for i, x in enumerate(seqs):
            ids[i, :len(x)] = torch.from_numpy(x.astype(np.int64))
            mask[i, :len(x)] = 1
        tokens = int(mask.sum())
        opt.zero_grad(set_to_none=True)
        h = trunk(input_ids=ids, attention_mask=mask).last_hidden_state
        m = mask.unsqueeze(-1).to(h.dtype)
        pooled = (h * m).sum(1) / m.sum(1).clamp(min=1)
        out = heads[k](drop(pooled))
        if kinds[k] == "regression":
            target = torch.from_numpy(np.array([shards[k].values[r] for r in rows], dtype=np.float32))
            loss = torch.nn.functional.mse_loss(out.view(-1), target)
        else:
            target = torch.from_numpy(np.array([shards[k].classes[r] for r in rows], dtype=np.int64))
            target[target < 0] = -100
            loss = torch.nn.functional.cross_entropy(out, target, ignore_index=-100)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(trainable, 1.0)
        opt.step()
        sched.step()
        seconds = time.perf_counter() - t0
        total_tokens += tokens
        total_seconds += seconds
        if curve is not None and s < len(curve):
            ref_tokens = curve[s]["tokens"] - (curve[s - 1]["tokens"] if s > 0 else 0)
            if curve[s]["task"] != names[k] or ref_tokens != tokens:
                mismatches.append({"step": s + 1, "ours": [curve[s]["task"], ref_tokens], "torch": [names[k], tokens]})
        print(json.dumps({"system": "torch", "peft": a.peft, "step": s + 1, "task": names[k], "rows": len(rows),
                          "time": T, "tokens": tokens, "seconds": seconds, "thread_cpu_seconds": time.thread_time() - c0,
                          "loss": loss.item(), "threads": a.threads}), flush=True)
    trainable_count = sum(p.numel() for p in trainable)
    total = sum(p.numel() for p in trunk.parameters()) + sum(p.numel() for p in heads.parameters())
    print(json.dumps({"system": "torch", "summary": True, "peft": a.peft, "threads": a.threads, "steps": a.steps,
                      "tokens": total_tokens, "train_seconds": total_seconds,
                      "tokens_per_second": total_tokens / total_seconds, "trainable_parameters": trainable_count,
                      "parameters": total, "checked_against_curve": curve is not None, "mismatches": mismatches[:5],
                      "mismatch_count": len(mismatches), "torch": torch.__version__}), flush=True)
    if mismatches:
        raise SystemExit(f"{len(mismatches)} steps differ from the stage's curve, first {mismatches[0]}")


if __name__ == "__main__":
    main()
