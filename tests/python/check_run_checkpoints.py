"""Loads a finetune run's llm_best.pt and flow_best.pt the way the fork's load_finetuned_model does (torch.load, then
['model_state_dict']) and prints every key with its shape as JSON, plus the non-tensor entries."""
import json
import os
import sys

import torch

run = sys.argv[1]
out = {}
for name, path in [("llm", os.path.join(run, "llm_best", "llm_best.pt")), ("flow", os.path.join(run, "flow_best.pt"))]:
    ckpt = torch.load(path, map_location="cpu")
    sd = ckpt["model_state_dict"]
    bad = [k for k, v in sd.items() if not torch.isfinite(v).all()]
    out[name] = {
        "keys": {k: list(v.shape) for k, v in sd.items()},
        "dtypes": sorted({str(v.dtype) for v in sd.values()}),
        "epoch": ckpt.get("epoch"),
        "non_finite": bad,
    }
adapter = os.path.join(run, "llm_best", "adapter_config.json")
out["adapter_config"] = json.load(open(adapter))
print(json.dumps(out))
