"""Loads the LoRA and bottleneck-adapter files *we* export with PEFT and AdapterHub `adapters` and checks that
they reproduce the fixtures' reference outputs (the outputs our tests match within 1e-4).

  FINETUNED_EXPORT_DIR=/tmp/exports swift test --disable-xctest --filter "PEFTLoRAFilesTests|AdapterHubFilesTests|PEFTOnLlamaTests"
  .venv-golden/bin/python scripts/golden/check-exports.py --exports /tmp/exports --kind peft
  .venv-golden/bin/python scripts/golden/check-exports.py --exports /tmp/exports --kind peft-llama
  .venv-adapters/bin/python scripts/golden/check-exports.py --exports /tmp/exports --kind adapters

and the multitask-finetune stage's own AdapterHub export (shared adapters, and one adapter per task), against the
hidden states of our loaded artifact:

  FINETUNED_EXPORT_DIR=/tmp/exports swift test --disable-xctest --filter aRunTrainsAndItsArtifactLoads
  .venv-adapters/bin/python scripts/golden/check-exports.py --exports /tmp/exports --kind stage-adapters

(two virtualenvs: adapters 1.3.0 pins transformers 4.57). Prints the largest difference; exits 1 above 1e-4.
"""
import argparse
import os
import sys

import torch
from safetensors.torch import load_file
from transformers import BertModel, LlamaForCausalLM


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--exports", required=True)
    ap.add_argument("--kind", choices=["peft", "peft-llama", "adapters", "stage-adapters"], required=True)
    ap.add_argument("--fixtures", default=os.path.join(os.path.dirname(__file__), "../../Tests/ModelsTests/Fixtures"))
    a = ap.parse_args()
    if a.kind == "peft-llama":
        sys.exit(check_llama(a))
    if a.kind == "stage-adapters":
        sys.exit(check_stage_adapters(a))
    name = "peft-lora" if a.kind == "peft" else "adapters-houlsby"
    fixture = os.path.join(a.fixtures, name)
    expected = load_file(os.path.join(fixture, "expected.safetensors"))
    base = BertModel.from_pretrained(fixture, add_pooling_layer=False).eval()
    export = os.path.join(a.exports, name)
    if a.kind == "peft":
        from peft import PeftModel
        model = PeftModel.from_pretrained(base, export).eval()
        reference = expected["hidden_lora"]
    else:
        import adapters
        adapters.init(base)
        loaded = base.load_adapter(export, use_safetensors=True)
        base.set_active_adapters(loaded)
        model = base.eval()
        reference = expected["hidden_adapter"]
    with torch.no_grad():
        hidden = model(input_ids=expected["input_ids"], attention_mask=expected["attention_mask"]).last_hidden_state
    diff = float((hidden - reference).abs().max())
    print(f"{a.kind}: our export loaded, max |difference| to the reference output {diff:.3g}")
    sys.exit(0 if diff <= 1e-4 else 1)


def check_llama(a):
    """Our LlamaForCausalLM LoRA export (task_type CAUSAL_LM) loaded by PEFT onto the fixture's base: its logits
    against PEFT's own (logits_lora, which our model matches within 1e-4)."""
    from peft import PeftModel
    fixture = os.path.join(a.fixtures, "peft-lora-llama")
    expected = load_file(os.path.join(fixture, "expected.safetensors"))
    base = LlamaForCausalLM.from_pretrained(fixture).eval()
    model = PeftModel.from_pretrained(base, os.path.join(a.exports, "peft-lora-llama")).eval()
    with torch.no_grad():
        logits = model(input_ids=expected["input_ids"]).logits
    diff = float((logits - expected["logits_lora"]).abs().max())
    print(f"peft-llama: our export loaded ({type(model.peft_config['default']).__name__}, task_type "
          f"{model.peft_config['default'].task_type}), max |logit difference| to the reference {diff:.3g}")
    return 0 if diff <= 1e-4 else 1


def check_stage_adapters(a):
    """The stage's output folder(s): its trunk (config.json + model.safetensors) loaded as a transformers
    BertModel, each AdapterHub folder under adapters/ loaded with load_adapter and activated alone; its hidden states
    against ours.safetensors' hidden_<task> (the task's adapters; with shared adapters every task's are the same)."""
    import adapters
    worst, checked = 0.0, 0
    for kind in ["stage-adapters", "stage-adapters-per-task"]:
        out = os.path.join(a.exports, kind)
        if not os.path.isdir(out):
            continue
        ours = load_file(os.path.join(out, "ours.safetensors"))
        ids, mask = ours["input_ids"].long(), ours["attention_mask"].long()
        base = BertModel.from_pretrained(out, add_pooling_layer=False).eval()
        adapters.init(base)
        names = sorted(os.listdir(os.path.join(out, "adapters")))
        for name in names:
            base.load_adapter(os.path.join(out, "adapters", name), use_safetensors=True)
        for key in sorted(k for k in ours if k.startswith("hidden_")):
            task = key[len("hidden_"):]
            active = task if task in names else names[0]
            base.set_active_adapters(active)
            with torch.no_grad():
                hidden = base(input_ids=ids, attention_mask=mask).last_hidden_state
            keep = mask.bool()  # padded positions are not compared
            diff = float((hidden - ours[key])[keep].abs().max())
            base.set_active_adapters(None)
            with torch.no_grad():
                plain = base(input_ids=ids, attention_mask=mask).last_hidden_state
            # What the comparison would show if the adapter were not applied (it must matter).
            bare = float((plain - ours[key])[keep].abs().max())
            print(f"{kind}: task {task}, adapter '{active}' loaded by adapters, max |hidden difference| {diff:.3g} "
                  f"(without the adapter: {bare:.3g})")
            if bare <= 1e-3:
                print(f"{kind}: the adapter hardly changes the output; the comparison proves nothing")
                return 1
            worst, checked = max(worst, diff), checked + 1
    if checked == 0:
        print("no stage export found (run the plugin test with FINETUNED_EXPORT_DIR)")
        return 1
    print(f"stage-adapters: {checked} comparisons, largest |difference| {worst:.3g}")
    return 0 if worst <= 1e-4 else 1


if __name__ == "__main__":
    main()
