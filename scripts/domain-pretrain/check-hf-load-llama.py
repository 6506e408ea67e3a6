"""Loads a domain-pretrain artifact of a Llama (e.g. etc/finetuned/pipelines/smollm2-dapt.yaml) with HF
transformers and checks it is a usable LlamaForCausalLM.

    VENV/bin/python scripts/domain-pretrain/check-hf-load-llama.py ARTIFACT_FILES_DIR [--base GGUF_OR_HF_DIR]

Checks: `LlamaForCausalLM.from_pretrained` reports no missing, unexpected or mismatched tensors (a tied head
stores no lm_head.weight and is tied on load); the tokenizer.json loads in `PreTrainedTokenizerFast` and encodes a
legal sentence; the model's loss on it is finite; with --base, the base model (a GGUF through `gguf_file=`, or an
HF folder) gives a different loss, so the export is not the base unchanged. Then greedily continues a legal
prompt (for a human to read, not a check). When the folder has adapter/ (training with `lora:`), PEFT loads it
onto the base and must reproduce the merged export's logits within 1e-3.
"""
import argparse
import os
import sys

import torch
import transformers


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("path")
    ap.add_argument("--base", help="the base model: a .gguf file or an HF folder")
    a = ap.parse_args()
    model, info = transformers.LlamaForCausalLM.from_pretrained(a.path, output_loading_info=True,
                                                                 dtype=torch.float32)
    missing = [k for k in info["missing_keys"] if not (k == "lm_head.weight" and model.config.tie_word_embeddings)]
    problems = missing + sorted(info["unexpected_keys"]) + [str(m) for m in info["mismatched_keys"]]
    print("missing:", info["missing_keys"], "unexpected:", info["unexpected_keys"], "mismatched:", info["mismatched_keys"])
    tok = transformers.PreTrainedTokenizerFast(tokenizer_file=os.path.join(a.path, "tokenizer.json"))
    model.eval()
    text = "Permission is hereby granted, free of charge, to any person obtaining a copy of this software."
    enc = tok(text, return_tensors="pt")
    with torch.no_grad():
        out = model(**enc, labels=enc["input_ids"])
    print(f"loss on a legal sentence: {out.loss.item():.4f} ({enc['input_ids'].shape[1]} tokens)")
    if not torch.isfinite(out.loss):
        problems.append("the loss is not finite")
    base = None
    if a.base:
        if a.base.endswith(".gguf"):
            base = transformers.AutoModelForCausalLM.from_pretrained(
                os.path.dirname(a.base), gguf_file=os.path.basename(a.base), dtype=torch.float32).eval()
        else:
            base = transformers.LlamaForCausalLM.from_pretrained(a.base, dtype=torch.float32).eval()
        with torch.no_grad():
            base_loss = base(**enc, labels=enc["input_ids"]).loss.item()
        print(f"base model's loss on it: {base_loss:.4f}")
        if base_loss == out.loss.item():
            problems.append("the export gives the base model's loss: nothing was trained")
    adapter = os.path.join(a.path, "adapter")
    if os.path.isdir(adapter) and base is not None:
        from peft import PeftModel
        peft = PeftModel.from_pretrained(base, adapter).eval()
        with torch.no_grad():
            diff = float((peft(**enc).logits - out.logits).abs().max())
        print(f"PEFT adapter on the base vs the merged export: max |logit difference| {diff:.3g}")
        if diff > 1e-3:
            problems.append(f"the PEFT adapter does not reproduce the merged model ({diff})")
    prompt = tok("This license applies to", return_tensors="pt")
    with torch.no_grad():
        gen = model.generate(**prompt, max_new_tokens=20, do_sample=False)
    print("greedy:", repr(tok.decode(gen[0])))
    if problems:
        print("FAIL", problems)
        sys.exit(1)
    print("ok")


if __name__ == "__main__":
    main()
