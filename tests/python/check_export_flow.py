"""Loads an exported flow.pt with torch.load the way the official code does (a plain state dict:
flow.load_state_dict(torch.load(p))) and prints its tensor count, element count and float64 sum.
argv: flow.pt. Exits non-zero when the file is not a plain dict of tensors."""
import sys

import torch

state = torch.load(sys.argv[1], map_location="cpu")
assert isinstance(state, dict), f"not a dict but {type(state).__name__}"
assert "model_state_dict" not in state, "a training-checkpoint wrapper, not a plain state dict"
bad = [k for k, v in state.items() if not isinstance(k, str) or not torch.is_tensor(v)]
assert not bad, f"entries that are not tensors: {bad[:3]}"
numel = sum(v.numel() for v in state.values())
total = sum(v.double().sum().item() for v in state.values())
print(f"plain state dict: {len(state)} tensors, {numel} elements, sum {total:.6f}")
