"""Reads an export-data folder through scripts/stepaudio_data.py (torch only) and checks it against the values the
C# side computed from the trainer's own examples and collate functions (expected.json). Prints one summary line;
any difference is an assertion naming the split, item and field."""
import json
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts"))
from stepaudio_data import IGNORE_INDEX, FlowDataset, JointDataset, LlmDataset, Split  # noqa: E402

DTYPES = {"int64": torch.int64, "float32": torch.float32}


def close(a, b, what):
    assert abs(a - b) <= 1e-6 * max(1.0, abs(b)), f"{what}: python {a!r}, C# {b!r}"


def check_tensor(t, want, what):
    assert t.dtype == DTYPES[want["dtype"]], f"{what}: dtype {t.dtype}, C# {want['dtype']}"
    assert list(t.shape) == want["shape"], f"{what}: shape {list(t.shape)}, C# {want['shape']}"
    close(t.double().sum().item(), want["sum"], what + " sum")
    close(t.double().abs().sum().item(), want["abs_sum"], what + " abs sum")


folder, expected_file = sys.argv[1], sys.argv[2]
with open(expected_file, encoding="utf-8") as f:
    expected = json.load(f)
summary = []
for name, want in expected["splits"].items():
    data = Split(folder, name)
    llm, flow = LlmDataset(folder, data=data), FlowDataset(folder, data=data)
    assert len(llm) == len(want["llm"]), f"{name}: {len(llm)} LLM items, C# {len(want['llm'])}"
    assert len(flow) == len(want["flow"]), f"{name}: {len(flow)} flow clips, C# {len(want['flow'])}"
    for i, w in enumerate(want["llm"]):
        it = llm[i]
        ids, labels = it["input_ids"], it["labels"]
        what = f"{name} llm {i}"
        assert ids.dtype == labels.dtype == torch.int64, f"{what}: dtypes {ids.dtype} {labels.dtype}"
        assert list(ids.shape) == list(labels.shape) == [w["length"]], f"{what}: shapes {list(ids.shape)} {list(labels.shape)}"
        assert ids.sum().item() == w["input_ids_sum"], f"{what}: input_ids sum {ids.sum().item()}, C# {w['input_ids_sum']}"
        scored = labels != IGNORE_INDEX
        assert scored.sum().item() == w["scored"], f"{what}: {scored.sum().item()} scored labels, C# {w['scored']}"
        assert labels[scored].sum().item() == w["scored_sum"], f"{what}: scored label sum differs"
        assert torch.equal(labels[scored], ids[scored]), f"{what}: scored labels are not the input ids at their positions"
        assert scored.nonzero()[0].item() == w["first_scored"], f"{what}: first scored position differs"
    for j, w in enumerate(want["flow"]):
        it = flow[j]
        for field in ("speech_token", "speech_feat", "embedding"):
            check_tensor(it[field], w[field], f"{name} flow {j} {field}")
    joint = JointDataset(folder, name)
    assert [list(p) for p in joint.pairs] == want["joint"], f"{name}: joint pairs differ"
    summary.append(f"{name} {len(llm)} llm {len(flow)} flow {len(joint)} joint")

train = Split(folder, "train")
llm, flow = LlmDataset(folder, data=train), FlowDataset(folder, data=train)
want = expected["llm_batch"]
batch = llm.collate([llm[i] for i in want["items"]])
assert batch["input_ids"].tolist() == want["input_ids"], "collated input_ids differ from the C# batch (pad_token_id on the right)"
assert batch["labels"].tolist() == want["labels"], "collated labels differ from the C# batch (-100 on padding)"
for b, i in enumerate(want["items"]):
    n = len(llm[i]["input_ids"])
    assert batch["attention_mask"][b].tolist() == [1] * n + [0] * (batch["input_ids"].shape[1] - n), f"attention_mask of item {b}"
want = expected["flow_batch"]
batch = flow.collate([flow[j] for j in want["items"]])
assert batch["speech_token"].tolist() == want["speech_token"], "collated speech_token differs from the C# batch (0 padding)"
assert batch["speech_token_len"].tolist() == want["speech_token_len"], "speech_token_len differs"
assert batch["speech_feat_len"].tolist() == want["speech_feat_len"], "speech_feat_len differs"
check_tensor(batch["speech_feat"], want["speech_feat"], "collated speech_feat")
check_tensor(batch["embedding"], want["embedding"], "collated embedding")
for b, n in enumerate(want["speech_feat_len"]):
    assert batch["speech_feat"][b, n:].abs().sum().item() == 0, f"flow batch item {b}: mel padding is not 0"
print("checked " + "; ".join(summary) + f"; batches {len(expected['llm_batch']['items'])} llm {len(want['items'])} flow")
