"""Loads a .pt with torch.load as upstream does (flow.load_state_dict(torch.load(p)); hift likewise) and prints its
tensors as one JSON object {key: [dtype, shape]}. argv: file.pt. Exits non-zero when it is not a plain dict of tensors."""
import json
import sys

import torch

state = torch.load(sys.argv[1], map_location="cpu")
assert isinstance(state, dict), f"not a dict but {type(state).__name__}"
bad = [k for k, v in state.items() if not isinstance(k, str) or not torch.is_tensor(v)]
assert not bad, f"entries that are not tensors: {bad[:3]}"
print(json.dumps({k: [str(v.dtype).replace("torch.", ""), list(v.shape)] for k, v in state.items()}))
