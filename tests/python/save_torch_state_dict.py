"""Writes a safetensors file's tensors with torch.save (the format of the real hift.pt / flow.pt), optionally in the
legacy weight-norm layout (weight_g / weight_v) of torch.nn.utils.weight_norm.
Usage: save_torch_state_dict.py IN.safetensors OUT.pt [--legacy]"""
import collections
import json
import struct
import sys

import torch

src, dst = sys.argv[1], sys.argv[2]
legacy = "--legacy" in sys.argv[3:]
with open(src, "rb") as f:
    data = f.read()
(n,) = struct.unpack("<Q", data[:8])
header = json.loads(data[8:8 + n])
header.pop("__metadata__", None)
body = data[8 + n:]
state = collections.OrderedDict()
for k in sorted(header):
    e = header[k]
    assert e["dtype"] == "F32", k
    b, end = e["data_offsets"]
    t = torch.frombuffer(bytearray(body[b:end]), dtype=torch.float32).reshape(e["shape"]).clone()
    if legacy:
        k = k.replace(".parametrizations.weight.original0", ".weight_g").replace(".parametrizations.weight.original1", ".weight_v")
    state[k] = t
torch.save(state, dst)
print(f"saved {len(state)} tensors with torch {torch.__version__}")
