"""PyTorch side of scripts/bench/tensor.sh: the same training step as tensor-bench, same JSON lines."""
import argparse
import json
import resource
import time

import torch
import transformers


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", choices=["bert", "gpt"], default="bert")
    ap.add_argument("--batch", type=int)
    ap.add_argument("--time", type=int)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--peft", choices=["full", "lora"], default="full",
                    help="lora: PEFT LoRA r=8, alpha=16 on every BERT projection, base frozen (the classifier trains)")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(3)
    if a.model == "bert":
        B, T = a.batch or 32, a.time or 128
        cfg = transformers.BertConfig(vocab_size=30522, hidden_size=384, num_hidden_layers=6, num_attention_heads=12,
                                      intermediate_size=1536, max_position_embeddings=512, num_labels=2)
        model = transformers.BertForSequenceClassification(cfg)
        ids = torch.randint(0, 30522, (B, T), generator=g)
        labels = torch.arange(B) % 2
        mask = torch.ones(B, T, dtype=torch.long)
        def loss_fn():
            return model(input_ids=ids, attention_mask=mask, labels=labels).loss
        matmul = 6 * (4 * 384 * 384 + 2 * 384 * 1536) + 384 * 384 + 384 * 2
    else:
        B, T = a.batch or 8, a.time or 256
        cfg = transformers.GPT2Config(vocab_size=8192, n_positions=T, n_embd=384, n_layer=6, n_head=6)
        model = transformers.GPT2LMHeadModel(cfg)
        ids = torch.randint(0, 8192, (B, T), generator=g)
        def loss_fn():
            return model(input_ids=ids, labels=ids).loss
        matmul = 6 * (4 * 384 * 384 + 2 * 384 * 1536) + 8192 * 384
    flops = 6 * matmul + 12 * 6 * 384 * T
    if a.peft == "lora":
        from peft import LoraConfig, get_peft_model
        model = get_peft_model(model, LoraConfig(
            r=8, lora_alpha=16, lora_dropout=0.0, bias="none", modules_to_save=["classifier"],
            target_modules=["query", "key", "value", "attention.output.dense", "intermediate.dense", "output.dense"]))
    model.train()
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4, weight_decay=0.01)
    for s in range(a.warmup + a.steps):
        t0 = time.perf_counter()
        c0 = time.thread_time()
        opt.zero_grad(set_to_none=True)
        loss = loss_fn()
        loss.backward()
        opt.step()
        t1 = time.perf_counter()
        if s >= a.warmup:
            print(json.dumps({"system": "torch", "model": a.model, "peft": a.peft, "batch": B, "time": T, "threads": a.threads,
                              "seconds": t1 - t0, "thread_cpu_seconds": time.thread_time() - c0, "tokens": B * T,
                              "loss": loss.item(), "flops_per_token": flops}), flush=True)
    print(json.dumps({"system": "torch", "model": a.model, "summary": True, "threads": a.threads,
                      "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      "torch": torch.__version__, "transformers": transformers.__version__,
                      "attn_implementation": getattr(model.config, "_attn_implementation", None)}), flush=True)


if __name__ == "__main__":
    main()
