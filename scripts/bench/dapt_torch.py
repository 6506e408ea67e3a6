"""PyTorch + transformers side of scripts/bench/dapt.sh: the MLM training step of the domain-pretrain stage on the
same shape — BertForMaskedLM with all-MiniLM-L6-v2's configuration, batch B x T, 15% of the non-special tokens
selected (80/10/10), AdamW, dropout on — full training, or the trunk frozen (only the MLM head trains, the
stage's head warm-up). `--gather` computes the head only at the masked positions, as the stage does; without it
the step is HF's stock one (logits at every position). Prints one JSON line."""
import argparse
import json
import time

import torch
import transformers


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True, help="the all-MiniLM-L6-v2 folder (its config.json)")
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--time", type=int, default=128)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--frozen-trunk", action="store_true")
    ap.add_argument("--gather", action="store_true")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    cfg = transformers.BertConfig.from_pretrained(a.model)
    model = transformers.BertForMaskedLM(cfg)
    model.train()
    if a.frozen_trunk:
        for p in model.bert.parameters():
            p.requires_grad_(False)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=5e-5, weight_decay=0.01)
    g = torch.Generator().manual_seed(3)
    B, T = a.batch, a.time

    def batch():
        ids = torch.randint(1000, 29000, (B, T), generator=g)
        ids[:, 0], ids[:, -1] = 101, 102
        labels = ids.clone()
        special = (ids == 101) | (ids == 102)
        chosen = (torch.rand(B, T, generator=g) < 0.15) & ~special
        labels[~chosen] = -100
        u = torch.rand(B, T, generator=g)
        ids = ids.masked_fill(chosen & (u < 0.8), 103)
        rnd = chosen & (u >= 0.8) & (u < 0.9)
        ids[rnd] = torch.randint(0, cfg.vocab_size, (int(rnd.sum()),), generator=g)
        return ids, labels

    times = []
    for s in range(a.warmup + a.steps):
        ids, labels = batch()
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        if a.gather:
            hidden = model.bert(input_ids=ids).last_hidden_state.reshape(B * T, -1)
            at = (labels.reshape(-1) != -100).nonzero().squeeze(1)
            logits = model.cls(hidden[at])
            loss = torch.nn.functional.cross_entropy(logits, labels.reshape(-1)[at])
        else:
            loss = model(input_ids=ids, labels=labels).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        if s >= a.warmup:
            times.append(time.perf_counter() - t0)
    per_step = sorted(times)
    print(json.dumps({
        "system": "torch", "threads": a.threads, "frozen_trunk": a.frozen_trunk, "gather": a.gather,
        "batch": B, "time": T, "steps": a.steps,
        "step_seconds_median": per_step[len(per_step) // 2], "step_seconds_best": per_step[0],
        "tokens_per_second_median": B * T / per_step[len(per_step) // 2],
        "tokens_per_second_best": B * T / per_step[0], "torch": torch.__version__,
    }))


if __name__ == "__main__":
    main()
