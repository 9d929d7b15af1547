#!/usr/bin/python3
"""Tiny stand-ins for upstream's speech_tokenizer_v1.onnx (vq06) and campplus.onnx, with the same input/output
ranks and dtypes, so the C# ONNX runners can be tested without the real (large, undownloadable here) files.
The maths is simple enough for the tests to recompute it. Needs only python3-onnx (onnx.helper; no torch).

    /usr/bin/python3 scripts/make-tiny-onnx.py tests/fixtures/onnx
"""
import sys
import os
import numpy as np
import onnx
from onnx import helper, TensorProto, numpy_helper

OPSET = 13


def save(graph, path):
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="make-tiny-onnx")
    model.ir_version = 8  # what onnx 1.12 writes; OnnxRuntime reads it
    onnx.checker.check_model(model)
    onnx.save(model, path)


def vq06(path, feats="feats", feats_len="feats_length", codes="indices", feats_rank=3):
    """codes[0, k] = argmax_mel(feats[0, :, 4k]) * 32 + feats_length[0] % 32: [1, 128, T] → int64 [1, ceil(T/4)]."""
    feats_shape = [1, 128, "T"] if feats_rank == 3 else [128, "T"]
    inputs = [helper.make_tensor_value_info(feats, TensorProto.FLOAT, feats_shape),
              helper.make_tensor_value_info(feats_len, TensorProto.INT32, [1])]
    output = helper.make_tensor_value_info(codes, TensorProto.INT64, [1, "K"])
    consts = [numpy_helper.from_array(np.array(v, dtype=np.int64), name) for name, v in
              [("starts", [0]), ("ends", [2**62]), ("axes", [1]), ("steps", [4]), ("c32", [32])]]
    # The rank-2 variant (a bad model for the tests) keeps the mel axis so that the graph itself is still valid.
    argmax = (helper.make_node("ArgMax", [feats], ["am"], axis=1, keepdims=0) if feats_rank == 3
              else helper.make_node("ArgMax", [feats], ["am"], axis=0, keepdims=1))  # [1, T]
    nodes = [
        argmax,
        helper.make_node("Slice", ["am", "starts", "ends", "axes", "steps"], ["am4"]),  # every 4th frame
        helper.make_node("Mul", ["am4", "c32"], ["hi"]),
        helper.make_node("Cast", [feats_len], ["len64"], to=TensorProto.INT64),
        helper.make_node("Mod", ["len64", "c32"], ["lo"]),
        helper.make_node("Add", ["hi", "lo"], [codes]),
    ]
    save(helper.make_graph(nodes, "tiny_vq06", inputs, [output], initializer=consts), path)


def campplus_weight():
    i, j = np.meshgrid(np.arange(80), np.arange(192), indexing="ij")
    return (((i * 192 + j) % 7 - 3) / 10.0).astype(np.float32)


def campplus(path, inp="input", out="output"):
    """embedding = mean_time(fbank[0]) @ W, W[i, j] = ((i*192 + j) % 7 - 3) / 10: [1, T, 80] → [1, 192]."""
    inputs = [helper.make_tensor_value_info(inp, TensorProto.FLOAT, [1, "T", 80])]
    output = helper.make_tensor_value_info(out, TensorProto.FLOAT, [1, 192])
    nodes = [helper.make_node("ReduceMean", [inp], ["m"], axes=[1], keepdims=0),
             helper.make_node("MatMul", ["m", "W"], [out])]
    save(helper.make_graph(nodes, "tiny_campplus", inputs, [output],
                           initializer=[numpy_helper.from_array(campplus_weight(), "W")]), path)


if __name__ == "__main__":
    out_dir = sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures/onnx"
    os.makedirs(out_dir, exist_ok=True)
    vq06(os.path.join(out_dir, "tiny_vq06.onnx"))
    vq06(os.path.join(out_dir, "tiny_vq06_renamed.onnx"), "mel", "mel_len", "tokens")
    vq06(os.path.join(out_dir, "tiny_vq06_rank2.onnx"), feats_rank=2)
    campplus(os.path.join(out_dir, "tiny_campplus.onnx"))
    campplus(os.path.join(out_dir, "tiny_campplus_renamed.onnx"), "fbank", "embedding")
