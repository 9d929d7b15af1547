"""PyTorch side of scripts/bench-real-size.sh: the same real-size stage-1 step as `stepaudio bench-real-size`.

Loads a Hugging Face Step1 folder (index + bf16 shards) one tensor at a time into a bf16 base, adds float32 LoRA
(r 8, alpha 32, dropout 0.05 on q/k/v; A kaiming-uniform, B zeros, as PEFT), and runs N steps of forward + shifted CE +
backward + AdamW on one sequence of the same ids as the C# side. Prints one JSON line with each step's seconds and
the peak RSS (VmHWM).
  bench_real_size_torch.py DIR TOKENS PROMPT STEPS THREADS
"""
import json, math, os, struct, sys, time

import torch

from bench_llm_torch import build_loss
from bench_machine import proc_status
from safetensors_torch import DTYPES


def load_folder(folder):
    """{key: tensor} read tensor by tensor (no whole-shard buffer), in the stored dtype."""
    index = json.load(open(os.path.join(folder, "model.safetensors.index.json")))["weight_map"]
    tensors = {}
    for shard in sorted(set(index.values())):
        with open(os.path.join(folder, shard), "rb") as f:
            (n,) = struct.unpack("<Q", f.read(8))
            header = json.loads(f.read(n))
            header.pop("__metadata__", None)
            for key, e in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"][0]):
                b, end = e["data_offsets"]
                f.seek(8 + n + b)
                tensors[key] = torch.frombuffer(bytearray(f.read(end - b)), dtype=DTYPES[e["dtype"]]).reshape(e["shape"])
    return tensors


def main():
    folder, tokens, prompt, steps, threads = sys.argv[1], *map(int, sys.argv[2:6])
    torch.set_num_threads(threads)
    cfg = json.load(open(os.path.join(folder, "config.json")))
    start = time.perf_counter()
    t = load_folder(folder)
    load_s = time.perf_counter() - start
    rss_load = proc_status("VmRSS")
    r, alpha = 8, 32.0
    lora = {}
    for key in t:
        if any(f"self_attn.{p}.weight" in key for p in ("q_proj", "k_proj", "v_proj")):
            base = key[: -len(".weight")]
            out_f, in_f = t[key].shape
            a = torch.empty(r, in_f)
            torch.nn.init.kaiming_uniform_(a, a=math.sqrt(5))
            lora[base + ".lora_A.weight"] = a.requires_grad_(True)
            lora[base + ".lora_B.weight"] = torch.zeros(out_f, r, requires_grad=True)
    offset = cfg.get("audio_token_offset", 65536)
    ids = (torch.arange(tokens, dtype=torch.int64) * 7919 % (offset - 4) + 4).unsqueeze(0)
    labels = ids.clone()
    labels[:, :prompt] = -100
    forward = build_loss(t, lora, cfg, ids, labels, alpha / r, 0.05)
    opt = torch.optim.AdamW(list(lora.values()), lr=1e-4, weight_decay=0.01)
    seconds, step0 = [], None
    for step in range(steps):
        s = time.perf_counter()
        opt.zero_grad()
        loss = forward()
        loss.backward()
        opt.step()
        seconds.append(time.perf_counter() - s)
        if step == 0:
            step0 = loss.item()
    print(json.dumps({"side": "pytorch", "load_seconds": load_s, "rss_after_load_bytes": rss_load,
                      "peak_rss_bytes": proc_status("VmHWM"), "step0_loss": step0, "step_seconds": seconds,
                      "threads": threads, "torch": torch.__version__}))


if __name__ == "__main__":
    main()
