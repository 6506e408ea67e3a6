"""Loads a multitask-finetune artifact with the Python libraries it targets and checks it: transformers loads the
trunk (`model.safetensors`, LoRA merged), and the trunk it was trained from plus the artifact's `peft/` folder,
loaded with PEFT's `PeftModel.from_pretrained`, gives the same last hidden states.

    VENV/bin/python scripts/multitask/check-peft-load.py ARTIFACT_FILES_DIR TRUNK_DIR [--tolerance 1e-4]

TRUNK_DIR: the upstream domain-pretrain stage's files folder, or model.base when the stage had no DAPT trunk.
"""
import argparse, sys
import torch
from transformers import AutoModel, AutoTokenizer
from peft import PeftModel

ap = argparse.ArgumentParser()
ap.add_argument("artifact")
ap.add_argument("trunk")
ap.add_argument("--tolerance", type=float, default=1e-4)
a = ap.parse_args()
tok = AutoTokenizer.from_pretrained(a.artifact)
x = tok(["Free entry in 2 a wkly comp to win FA Cup final tkts", "What is the full form of .com ?",
         "Permission is hereby granted, free of charge, to any person obtaining a copy"], padding=True,
        return_tensors="pt")
merged = AutoModel.from_pretrained(a.artifact, add_pooling_layer=False).eval()
base = AutoModel.from_pretrained(a.trunk, add_pooling_layer=False).eval()
peft = PeftModel.from_pretrained(base, a.artifact + "/peft").eval()
with torch.no_grad():
    d = (merged(**x).last_hidden_state - peft(**x).last_hidden_state).abs().max().item()
print(f"max |merged trunk - trunk + PEFT adapter| = {d:.3g}")
sys.exit(0 if d <= a.tolerance else 1)
