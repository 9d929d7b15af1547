#!/usr/bin/python3
"""Writes the tiny .npy test files under tests/fixtures/npy/ with NumPy's own writer, and extracts the
codebook and expected codes of the paraformer_encoder parity fixture into tests/fixtures/codebook/ (the parity
folder itself is not committed: its encoder is not ported yet). Run with Debian's python3:
    /usr/bin/python3 scripts/make-npy-fixtures.py [path/to/paraformer_encoder]"""
import json, os, struct, sys
import numpy as np
from numpy.lib import format as npf

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
npy = os.path.join(root, "tests", "fixtures", "npy")
os.makedirs(npy, exist_ok=True)

def save(name, arr, version=None):
    with open(os.path.join(npy, name), "wb") as f:
        npf.write_array(f, arr, version=version, allow_pickle=False)

# Values are index-derived so the C# tests can recompute them: a[i, j] = 10 * i + j (+ 0.5 for floats).
base = np.arange(2)[:, None] * 10 + np.arange(3)[None, :]
save("f4_c_v1.npy", (base + 0.5).astype("<f4"), (1, 0))
save("f8_c_v2.npy", (base + 0.5).astype("<f8"), (2, 0))
save("i8_c_v1.npy", base.astype("<i8"), (1, 0))
save("i4_c_v1.npy", base.astype("<i4"), (1, 0))
save("f4_fortran_v1.npy", np.asfortranarray((base + 0.5).astype("<f4")), (1, 0))
# 3-D Fortran order: the element order on disk is the reversed-axes C order.
cube = (np.arange(2)[:, None, None] * 100 + np.arange(3)[None, :, None] * 10 + np.arange(4)[None, None, :])
save("i8_fortran_3d_v2.npy", np.asfortranarray(cube.astype("<i8")), (2, 0))
save("f4_scalar_v1.npy", np.array(2.5, dtype="<f4"), (1, 0))
save("f4_empty_v1.npy", np.zeros((0, 3), dtype="<f4"), (1, 0))
save("b1_v1.npy", np.array([True, False, True]), (1, 0))
save("u1_v1.npy", np.array([0, 7, 255], dtype="|u1"), (1, 0))

src = sys.argv[1] if len(sys.argv) > 1 else "/work/shared/fixtures/parity/paraformer_encoder"
with open(os.path.join(src, "io.safetensors"), "rb") as f:
    n = struct.unpack("<Q", f.read(8))[0]
    header = json.loads(f.read(n))
    data = f.read()
kinds = {"F32": "<f4", "I64": "<i8"}
def get(key):
    e = header[key]
    b, end = e["data_offsets"]
    return np.frombuffer(data[b:end], dtype=kinds[e["dtype"]]).reshape(e["shape"])

cb = os.path.join(root, "tests", "fixtures", "codebook")
os.makedirs(cb, exist_ok=True)
with open(os.path.join(cb, "linguistic_tokenizer.npy"), "wb") as f:
    npf.write_array(f, np.ascontiguousarray(get("kms")), version=(1, 0), allow_pickle=False)
# Minimal safetensors writer: 8-byte header length, JSON header, raw little-endian data.
keys = ["A.enc_out", "A.codes", "B.enc_out", "B.codes"]
out, blobs, off = {}, [], 0
for k in keys:
    a = get(k); raw = a.tobytes()
    out[k] = {"dtype": header[k]["dtype"], "shape": list(a.shape), "data_offsets": [off, off + len(raw)]}
    blobs.append(raw); off += len(raw)
hb = json.dumps(out, separators=(",", ":")).encode()
hb += b" " * (-len(hb) % 8)
with open(os.path.join(cb, "paraformer_encoder_codes.safetensors"), "wb") as f:
    f.write(struct.pack("<Q", len(hb))); f.write(hb)
    for raw in blobs: f.write(raw)
