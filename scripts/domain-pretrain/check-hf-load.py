"""Loads a domain-pretrain artifact with HF transformers and checks it is a usable BertForMaskedLM.

    VENV/bin/python scripts/domain-pretrain/check-hf-load.py ARTIFACT_FILES_DIR

Checks: `BertForMaskedLM.from_pretrained` reports no unexpected or mismatched tensors and no missing ones other
than the decoder, which HF ties to the word embeddings (`cls.predictions.decoder.weight`) and to
`cls.predictions.bias`; the loaded decoder equals the word embeddings; the tokenizer loads. Then prints the top
predictions for a few masked legal and general sentences (for a human to read, not a check).
"""
import sys

import torch
import transformers


def main():
    path = sys.argv[1]
    model, info = transformers.BertForMaskedLM.from_pretrained(path, output_loading_info=True)
    missing = sorted(k for k in info["missing_keys"] if not k.startswith("cls.predictions.decoder"))
    problems = missing + sorted(info["unexpected_keys"]) + [str(m) for m in info["mismatched_keys"]]
    print("missing:", info["missing_keys"], "unexpected:", info["unexpected_keys"], "mismatched:", info["mismatched_keys"])
    tied = torch.equal(model.cls.predictions.decoder.weight, model.bert.embeddings.word_embeddings.weight)
    bias = torch.equal(model.cls.predictions.decoder.bias, model.cls.predictions.bias)
    print("decoder tied to word embeddings:", tied, "decoder bias is cls.predictions.bias:", bias)
    tok = transformers.PreTrainedTokenizerFast(tokenizer_file=f"{path}/tokenizer.json", mask_token="[MASK]",
                                               pad_token="[PAD]", cls_token="[CLS]", sep_token="[SEP]")
    model.eval()
    for text in [
        "Permission is hereby granted, free of [MASK], to any person obtaining a copy of this software.",
        "THE SOFTWARE IS PROVIDED AS IS, WITHOUT [MASK] OF ANY KIND.",
        "It is a truth universally acknowledged, that a single man in possession of a good fortune, must be in want of a [MASK].",
    ]:
        enc = tok(text, return_tensors="pt")
        with torch.no_grad():
            logits = model(**enc).logits
        at = (enc["input_ids"][0] == tok.mask_token_id).nonzero()[0, 0]
        top = logits[0, at].topk(5).indices.tolist()
        print(f"{text}\n  -> {tok.convert_ids_to_tokens(top)}")
    if problems or not tied or not bias:
        print("FAIL", problems)
        sys.exit(1)
    print("ok")


if __name__ == "__main__":
    main()
