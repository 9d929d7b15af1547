"""Checks our Step1 LoRA exports the way the fork's `load_finetuned_model` and PEFT consume them:
torch.load of llm_best.pt, the PEFT adapter folder beside it, and the merged HF weights.
argv: pt_path base_model.safetensors merged_folder. Prints one line per check; exits non-zero on any failure."""
import json
import os
import re
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts"))
from safetensors_torch import read_safetensors  # noqa: E402

pt_path, base_path, merged_dir = sys.argv[1:4]
folder = os.path.dirname(pt_path)

ckpt = torch.load(pt_path, map_location="cpu")
sd = ckpt["model_state_dict"]
live = re.compile(r"^base_model\.model\.model\.layers\.(\d+)\.self_attn\.(\w+)\.lora_([AB])\.default\.weight$")
assert sd and all(live.match(k) for k in sd), f"keys are not live-PeftModel names: {sorted(sd)[:3]}"
print(f"pt keys {len(sd)} live-PeftModel names, epoch {ckpt.get('epoch')}")

cfg = json.load(open(os.path.join(folder, "adapter_config.json")))
assert cfg["peft_type"] == "LORA" and cfg["task_type"] == "CAUSAL_LM", cfg
scaling = cfg["lora_alpha"] / (cfg["r"] ** 0.5 if cfg.get("use_rslora") else cfg["r"])
adapter, meta = read_safetensors(os.path.join(folder, "adapter_model.safetensors"))
assert meta.get("format") == "pt", meta
assert set(adapter) == {k.replace(".default.", ".") for k in sd}, "adapter keys differ from the .pt keys"
for k, v in sd.items():
    assert torch.equal(adapter[k.replace(".default.", ".")], v), k
print(f"adapter {len(adapter)} tensors equal the .pt, r {cfg['r']} alpha {cfg['lora_alpha']} targets {sorted(cfg['target_modules'])}")

base, _ = read_safetensors(base_path)
merged = {}
index = os.path.join(merged_dir, "model.safetensors.index.json")
files = sorted(set(json.load(open(index))["weight_map"].values())) if os.path.exists(index) else ["model.safetensors"]
for f in files:
    merged.update(read_safetensors(os.path.join(merged_dir, f))[0])
assert set(merged) == set(base), "merged weights must have exactly the base model's keys"
worst = 0.0
for k, v in sd.items():
    m = live.match(k)
    if m.group(3) != "A":
        continue
    layer, proj = m.group(1), m.group(2)
    a = v.double()
    b = sd[k.replace("lora_A", "lora_B")].double()
    key = f"model.layers.{layer}.self_attn.{proj}.weight"
    expected = base[key].double() + scaling * (b @ a)
    worst = max(worst, (merged[key].double() - expected).abs().max().item())
assert worst < 1e-5, f"merged weight differs from W + scaling*B@A by {worst}"
print(f"merged W = W + scaling*B@A within {worst:.2e}")
