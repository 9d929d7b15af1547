"""PyTorch reference for scripts/bench-llm.sh: the same Step1 maths and LoRA training step as the C# side.

Reads a case file written by `stepaudio bench-llm --write` (weights under Hugging Face keys, `lora.*` A/B,
`input_ids`, `labels`; config in the safetensors metadata), runs one warm-up step, times N steps of
forward + shifted CE + backward + AdamW on the LoRA tensors, and prints one JSON line.
Debian's python3-torch 1.13 has no SDPA: attention is written out. No safetensors package: scripts/safetensors_torch.py
parses the files.
"""
import json, math, sys, time

import torch
import torch.nn.functional as F

from safetensors_torch import read_safetensors


def slopes(n_heads):
    n = 2 ** math.floor(math.log2(n_heads))
    s = [2 ** (-8.0 * k / n) for k in range(1, n + 1)]
    s += [2 ** (-4.0 * (2 * m + 1) / n) for m in range(n_heads - n)]
    return torch.tensor(s)


def alibi(n_heads, length):
    i = torch.arange(length, dtype=torch.float32)[:, None]
    j = torch.arange(length, dtype=torch.float32)[None, :]
    d = i - j
    bias = -slopes(n_heads)[:, None, None] * d.clamp(min=0).sqrt()[None]
    return bias.masked_fill((d < 0)[None], float("-inf"))


def rms(x, w, eps):
    dt = x.dtype
    h = x.float()
    h = h * torch.rsqrt(h.pow(2).mean(-1, keepdim=True) + eps)
    return w * h.to(dt)


def build_loss(t, lora, cfg, ids, labels, scaling, p_drop):
    """Returns a function computing the shifted CE of Step1 with LoRA on the projections `lora` holds. The base
    may be bf16: the LoRA branch runs in its own dtype (float32) and is cast back, the ALiBi bias takes the base's
    dtype and the logits are upcast for the loss, as the C# side does."""
    H, G, L = cfg["num_attention_heads"], cfg["num_attention_groups"], cfg["num_hidden_layers"]
    D = cfg["hidden_size"] // H
    eps = cfg["rms_norm_eps"]
    B, S = ids.shape
    bias = alibi(H, S).to(t["lm_head.weight"].dtype)

    def proj(x, name):
        y = F.linear(x, t[name + ".weight"])
        a = name + ".lora_A.weight"
        if a in lora:
            xa = F.dropout(x.to(lora[a].dtype), p_drop, True)
            y = y + (F.linear(F.linear(xa, lora[a]), lora[name + ".lora_B.weight"]) * scaling).to(y.dtype)
        return y

    def forward():
        h = F.embedding(ids, t["model.embed_tokens.weight"])
        for i in range(L):
            p = f"model.layers.{i}."
            x = rms(h, t[p + "input_layernorm.weight"], eps)
            q = proj(x, p + "self_attn.q_proj").view(B, S, H, D).transpose(1, 2)
            k = proj(x, p + "self_attn.k_proj").view(B, S, G, D).transpose(1, 2).repeat_interleave(H // G, 1)
            v = proj(x, p + "self_attn.v_proj").view(B, S, G, D).transpose(1, 2).repeat_interleave(H // G, 1)
            att = (q @ k.transpose(-1, -2)) / math.sqrt(D) + bias
            o = (att.softmax(-1) @ v).transpose(1, 2).reshape(B, S, H * D)
            h = h + proj(o, p + "self_attn.o_proj")
            x = rms(h, t[p + "post_attention_layernorm.weight"], eps)
            m = F.silu(proj(x, p + "mlp.gate_proj")) * proj(x, p + "mlp.up_proj")
            h = h + proj(m, p + "mlp.down_proj")
        h = rms(h, t["model.norm.weight"], eps)
        logits = F.linear(h, t["lm_head.weight"])
        return F.cross_entropy(logits[:, :-1].float().reshape(-1, logits.shape[-1]), labels[:, 1:].reshape(-1),
                               ignore_index=-100)

    return forward


def main():
    path, steps, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    torch.set_num_threads(threads)
    t, meta = read_safetensors(path)
    cfg = json.loads(meta["config"])
    r, alpha, p_drop = 8, 32.0, 0.05
    lora = {k[5:]: t[k].clone().requires_grad_(True) for k in t if k.startswith("lora.")}
    forward = build_loss(t, lora, cfg, t["input_ids"], t["labels"], alpha / r, p_drop)

    opt = torch.optim.AdamW(list(lora.values()), lr=1e-4, weight_decay=0.01)
    step0 = None
    start = None
    for step in range(steps + 1):
        if step == 1:
            start = time.perf_counter()
        opt.zero_grad()
        loss = forward()
        loss.backward()
        opt.step()
        if step == 0:
            step0 = loss.item()
    ms = (time.perf_counter() - start) * 1000 / steps
    case = path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    print(json.dumps({"side": "pytorch", "case": case, "step0_loss": step0, "ms_per_step": ms, "steps": steps,
                      "threads": threads, "torch": torch.__version__}))


if __name__ == "__main__":
    main()
