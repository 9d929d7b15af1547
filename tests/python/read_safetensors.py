"""Prints what a safetensors file holds, read without the `safetensors` package: the metadata, then per tensor
its key, dtype, shape and float64 sum."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts"))
from safetensors_torch import DTYPES, read_safetensors  # noqa: E402

NAMES = {v: k for k, v in DTYPES.items()}

tensors, meta = read_safetensors(sys.argv[1])
print("__metadata__ " + " ".join(f"{k}={v}" for k, v in sorted(meta.items())))
for k, t in tensors.items():
    print(f"{k} {NAMES[t.dtype]} [{','.join(str(s) for s in t.shape)}] {t.double().sum().item():.6f}")
