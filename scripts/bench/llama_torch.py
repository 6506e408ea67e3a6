"""PyTorch + PEFT side of the `llama` section of scripts/bench/all.py: the causal-LM training step of
`llama-bench step` (Benchmarks/LlamaBench) on the same model and shapes.

transformers' LlamaForCausalLM loaded from the same GGUF (`gguf_file=`, dequantized to float32), LoRA r=8,
alpha 16, dropout 0 on the seven projections via PEFT (or full fine-tuning), AdamW lr 1e-4, weight decay 0.01;
each step's batch is `--batch` consecutive windows of `--time` + 1 tokens of the first 200,000 characters of
assets/corpora/legal/licenses.txt encoded with the GGUF's tokenizer (no special tokens), as llama-bench does;
the loss is the mean cross-entropy of every position's next token (logits over the whole vocabulary at every
position: all positions are targets). Several shapes run in one process (one model load). Prints one JSON line
per measured step.
"""
import argparse
import json
import os
import resource
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gguf", required=True)
    ap.add_argument("--assets", required=True)
    ap.add_argument("--shapes", default="1x128", help="comma-separated BATCHxTIME, e.g. 1x128,4x128")
    ap.add_argument("--peft", choices=["full", "lora"], default="lora")
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()

    import torch
    from tokenizers import Tokenizer, pre_tokenizers
    from transformers import AutoModelForCausalLM, AutoTokenizer
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    folder, name = os.path.split(os.path.abspath(a.gguf))
    t0 = time.perf_counter()
    model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32)
    load_seconds = time.perf_counter() - t0
    # The GGUF's tokenizer with its `smollm` pre-tokenizer (each digit alone, then GPT-2's split), as
    # scripts/golden/gguf/generate.py builds it (transformers' own GGUF tokenizer uses GPT-2's split).
    hf = Tokenizer.from_str(AutoTokenizer.from_pretrained(folder, gguf_file=name).backend_tokenizer.to_str())
    hf.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.Digits(individual_digits=True),
                                                pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)])
    text = open(os.path.join(a.assets, "corpora", "legal", "licenses.txt"), encoding="utf-8").read()[:200_000]
    ids = hf.encode(text, add_special_tokens=False).ids
    if a.peft == "lora":
        from peft import LoraConfig, get_peft_model
        model = get_peft_model(model, LoraConfig(
            r=8, lora_alpha=16, lora_dropout=0.0, bias="none", task_type="CAUSAL_LM",
            target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]))
    model.train()
    trainable = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(trainable, lr=1e-4, weight_decay=0.01)
    vocab = model.config.vocab_size
    for shape in a.shapes.split(","):
        nb, nt = (int(x) for x in shape.split("x"))
        if len(ids) <= (a.warmup + a.steps) * nb * nt + 1:
            raise SystemExit("the corpus is too short for these shapes")
        for s in range(a.warmup + a.steps):
            o = s * nb * nt
            rows = torch.tensor([ids[o + r * nt:o + (r + 1) * nt + 1] for r in range(nb)], dtype=torch.long)
            t0 = time.perf_counter()
            c0 = time.thread_time()
            opt.zero_grad(set_to_none=True)
            logits = model(input_ids=rows[:, :nt]).logits
            loss = torch.nn.functional.cross_entropy(logits.reshape(-1, vocab), rows[:, 1:].reshape(-1))
            loss.backward()
            opt.step()
            seconds = time.perf_counter() - t0
            print(json.dumps({"system": "torch", "measure": "clm_step", "peft": a.peft, "batch": nb, "time": nt,
                              "threads": a.threads, "step": s, "warmup": s < a.warmup, "seconds": seconds,
                              "thread_cpu_seconds": time.thread_time() - c0,
                              "tokens_per_second": nb * nt / seconds, "loss": loss.item(),
                              "trainable_parameters": sum(p.numel() for p in trainable),
                              "parameters": sum(p.numel() for p in model.parameters())}), flush=True)
    print(json.dumps({"system": "torch", "summary": True, "load_seconds": load_seconds, "corpus_tokens": len(ids),
                      "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      "torch": torch.__version__}), flush=True)


if __name__ == "__main__":
    main()
