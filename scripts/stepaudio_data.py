"""Reads the training data `stepaudio export-data` writes, with torch alone (no StepAudio code, no `safetensors`
package): datasets of the LLM items, the flow clips and the joint pairs of one split, and collate functions that pad
as the toolkit's trainer does (LLM: right-padded, pad_token_id / labels -100; flow: zeros plus lengths).
Copy this file and safetensors_torch.py (beside it) into your trainer.

    from stepaudio_data import LlmDataset, collate_llm
    train = LlmDataset("exported", "train")
    loader = DataLoader(train, batch_size=4, sampler=DistributedSampler(train), collate_fn=train.collate)

`python3 stepaudio_data.py FOLDER` prints what the folder holds.
"""
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_torch import read_safetensors  # noqa: E402

FORMAT = "stepaudio-training-data"
VERSION = 1
IGNORE_INDEX = -100


def read_metadata(folder):
    """metadata.json, checked to be a format this reader knows."""
    path = os.path.join(folder, "metadata.json")
    with open(path, encoding="utf-8") as f:
        meta = json.load(f)
    if meta.get("format") != FORMAT or meta.get("version") != VERSION:
        raise ValueError(f"{path}: format {meta.get('format')!r} version {meta.get('version')!r} is not "
                         f"{FORMAT!r} version {VERSION}: use the stepaudio_data.py of the toolkit that wrote it")
    return meta


class Split:
    """One split: its metadata, index lines (by kind) and tensors, read once."""

    def __init__(self, folder, split="train"):
        self.meta = read_metadata(folder)
        if split not in self.meta["splits"]:
            raise ValueError(f"{folder}/metadata.json: no split {split!r} (has {sorted(self.meta['splits'])})")
        info = self.meta["splits"][split]
        self.tensors, _ = read_safetensors(os.path.join(folder, info["tensors"]))
        self.lines = {"llm": [], "flow": []}
        index = os.path.join(folder, info["index"])
        with open(index, encoding="utf-8") as f:
            for n, text in enumerate(f, 1):
                line = json.loads(text)
                if line["index"] != len(self.lines[line["kind"]]):
                    raise ValueError(f"{index}:{n}: index {line['index']} is out of order")
                self.lines[line["kind"]].append(line)

    def item(self, kind, i):
        line = self.lines[kind][i]
        return {field: self.tensors[key] for field, key in line["keys"].items()}


class LlmDataset(torch.utils.data.Dataset):
    """LLM items: {"input_ids", "labels"} int64 [L] (labels aligned with input_ids; the loss shifts)."""

    def __init__(self, folder, split="train", data=None):
        self.data = data or Split(folder, split)
        self.pad_token_id = self.data.meta["llm"]["pad_token_id"]

    def __len__(self):
        return len(self.data.lines["llm"])

    def __getitem__(self, i):
        return self.data.item("llm", i)

    def collate(self, items):
        return collate_llm(items, self.pad_token_id)


class FlowDataset(torch.utils.data.Dataset):
    """Flow clips: {"speech_token" int64 [T, 2], "speech_feat" float32 [T_mel, 80], "embedding" float32 [D]}."""

    def __init__(self, folder, split="train", data=None):
        self.data = data or Split(folder, split)

    def __len__(self):
        return len(self.data.lines["flow"])

    def __getitem__(self, i):
        return self.data.item("flow", i)

    @staticmethod
    def collate(items):
        return collate_flow(items)


class JointDataset(torch.utils.data.Dataset):
    """Stage 3 pairs: (LLM item, the flow clip of its target) for records that have both."""

    def __init__(self, folder, split="train"):
        self.data = Split(folder, split)
        self.pairs = [(line["index"], line["flow_index"]) for line in self.data.lines["llm"]
                      if line["flow_index"] is not None]
        self.pad_token_id = self.data.meta["llm"]["pad_token_id"]

    def __len__(self):
        return len(self.pairs)

    def __getitem__(self, i):
        llm, flow = self.pairs[i]
        return self.data.item("llm", llm), self.data.item("flow", flow)

    def collate(self, items):
        return collate_llm([a for a, _ in items], self.pad_token_id), collate_flow([b for _, b in items])


def collate_llm(items, pad_token_id):
    """Right padding (Step1 has no attention mask: padding must come last): input_ids with pad_token_id, labels with
    -100. attention_mask (1 on real tokens) is for models that take one."""
    n = max(len(it["input_ids"]) for it in items)
    ids = torch.full((len(items), n), pad_token_id, dtype=torch.int64)
    labels = torch.full((len(items), n), IGNORE_INDEX, dtype=torch.int64)
    mask = torch.zeros((len(items), n), dtype=torch.int64)
    for b, it in enumerate(items):
        k = len(it["input_ids"])
        ids[b, :k] = it["input_ids"]
        labels[b, :k] = it["labels"]
        mask[b, :k] = 1
    return {"input_ids": ids, "labels": labels, "attention_mask": mask}


def collate_flow(items):
    """CosyVoice's batch: tokens and mels padded with 0, their lengths, embeddings stacked."""
    t = max(it["speech_token"].shape[0] for it in items)
    tm = max(it["speech_feat"].shape[0] for it in items)
    mels = items[0]["speech_feat"].shape[1]
    token = torch.zeros((len(items), t, 2), dtype=torch.int64)
    feat = torch.zeros((len(items), tm, mels), dtype=torch.float32)
    for b, it in enumerate(items):
        token[b, :it["speech_token"].shape[0]] = it["speech_token"]
        feat[b, :it["speech_feat"].shape[0]] = it["speech_feat"]
    return {
        "speech_token": token,
        "speech_token_len": torch.tensor([it["speech_token"].shape[0] for it in items], dtype=torch.int64),
        "speech_feat": feat,
        "speech_feat_len": torch.tensor([it["speech_feat"].shape[0] for it in items], dtype=torch.int64),
        "embedding": torch.stack([it["embedding"] for it in items]),
    }


if __name__ == "__main__":
    folder = sys.argv[1]
    meta = read_metadata(folder)
    print(f"{folder}: mode {meta['mode']}, front end {meta['audio_front_end']}")
    for name in meta["splits"]:
        data = Split(folder, name)
        llm, flow = data.lines["llm"], data.lines["flow"]
        scored = sum(int((data.item("llm", i)["labels"] != IGNORE_INDEX).sum()) for i in range(len(llm)))
        print(f"  {name}: {len(llm)} LLM items ({scored} scored tokens), {len(flow)} flow clips")
