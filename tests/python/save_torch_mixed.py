"""Writes a training-style checkpoint with real torch.save for the inspect test: {"model_state_dict": OrderedDict of
bf16 / int64 / fp16 / bool tensors (one a strided view), "epoch": 2, "step": 40}.
Usage: save_torch_mixed.py OUT.pt"""
import collections
import sys

import torch

state = collections.OrderedDict()
state["emb.weight"] = torch.arange(28, dtype=torch.float32).reshape(7, 4).to(torch.bfloat16)
state["ids"] = torch.tensor([3, 1, 4], dtype=torch.int64)
state["pos"] = torch.arange(20, dtype=torch.int64).reshape(4, 5)[1:3]
state["half"] = torch.ones(4, dtype=torch.float16)
state["mask"] = torch.tensor([True, False, True])
torch.save({"model_state_dict": state, "epoch": 2, "step": 40}, sys.argv[1])
print(f"saved {len(state)} tensors with torch {torch.__version__}")
