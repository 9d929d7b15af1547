"""A safetensors reader with nothing but the standard library and torch (Debian has no `safetensors` package),
interpreting the format the way Hugging Face loaders do. Used by the bench scripts and the integration tests."""
import json
import struct

import torch

DTYPES = {"F64": torch.float64, "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16,
          "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8, "U8": torch.uint8,
          "BOOL": torch.bool}


def read_safetensors(path):
    """Returns ({key: tensor}, metadata) and asserts the layout rules writers must follow."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    assert n % 8 == 0, "header must be padded to 8 bytes"
    header = json.loads(data[8:8 + n])
    body = data[8 + n:]
    meta = header.pop("__metadata__", {})
    keys = sorted(header)
    offsets = [header[k]["data_offsets"] for k in keys]
    assert offsets == sorted(offsets), "tensors must be stored in key order"
    tensors = {}
    for k in keys:
        e = header[k]
        b, end = e["data_offsets"]
        tensors[k] = torch.frombuffer(bytearray(body[b:end]), dtype=DTYPES[e["dtype"]]).reshape(e["shape"])
    return tensors, meta
