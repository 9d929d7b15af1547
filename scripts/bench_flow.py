#!/usr/bin/python3
"""PyTorch baseline for `stepaudio bench-flow`: the same flow CFM training step written in plain PyTorch 1.13
(attention written out, no SDPA), on the weights, batch and draws the C# side wrote into --dir.

Module and field names follow upstream (stepvocoder/cosyvoice2 of stepfun-ai/Step-Audio-EditX), so the
safetensors keys load with strict=True. Prints one JSON line like the C# command, with the peak RSS (VmHWM).
"""
import argparse
import json
import math
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

from bench_machine import proc_status
from safetensors_torch import read_safetensors


def valid_mask(lengths, t):
    return torch.arange(t).unsqueeze(0) < lengths.unsqueeze(1)


# ---------------------------------------------------------------- encoder (upsample_encoder_v2.py + ESPnet pieces)
class DualCodebookEmbedding(nn.Module):
    def __init__(self, vocab, size):
        super().__init__()
        self.embedding = nn.Embedding(vocab, size // 2)

    def forward(self, token):
        return torch.cat([self.embedding(token[..., 0]), self.embedding(token[..., 1])], dim=-1)


def rel_pos_table(size, d):
    div = torch.exp(torch.arange(0, d, 2, dtype=torch.float32) * -(math.log(10000.0) / d))
    pos = torch.arange(size - 1, -size, -1, dtype=torch.float32).unsqueeze(1)
    arg = pos * div
    return torch.stack([torch.sin(arg), torch.cos(arg)], dim=2).reshape(2 * size - 1, d).unsqueeze(0)


class LinearNoSubsampling(nn.Module):
    def __init__(self, idim, odim, p):
        super().__init__()
        self.out = nn.Sequential(nn.Linear(idim, odim), nn.LayerNorm(odim, eps=1e-5), nn.Dropout(p))
        self.d = odim

    def forward(self, x):
        x = self.out(x) * math.sqrt(self.d)
        return x, rel_pos_table(x.size(1), self.d)


class PreLookaheadLayer(nn.Module):
    def __init__(self, c, n):
        super().__init__()
        self.n = n
        self.conv1 = nn.Conv1d(c, c, n + 1)
        self.conv2 = nn.Conv1d(c, c, 3)

    def forward(self, inputs):
        x = F.pad(inputs.transpose(1, 2), (0, self.n))
        x = F.leaky_relu(self.conv1(x))
        x = self.conv2(F.pad(x, (2, 0))).transpose(1, 2)
        return x + inputs


class RelPositionMultiHeadedAttention(nn.Module):
    def __init__(self, h, d, key_bias):
        super().__init__()
        self.h, self.dk = h, d // h
        self.linear_q = nn.Linear(d, d)
        self.linear_k = nn.Linear(d, d, bias=key_bias)
        self.linear_v = nn.Linear(d, d)
        self.linear_out = nn.Linear(d, d)
        self.linear_pos = nn.Linear(d, d, bias=False)
        self.pos_bias_u = nn.Parameter(torch.zeros(h, self.dk))
        self.pos_bias_v = nn.Parameter(torch.zeros(h, self.dk))

    @staticmethod
    def rel_shift(x):
        b, h, t, p = x.shape
        xp = torch.cat([x.new_zeros(b, h, t, 1), x], dim=-1).view(b, h, p + 1, t)
        return xp[:, :, 1:].reshape(b, h, t, p)[:, :, :, : p // 2 + 1]

    def forward(self, x, mask, pos_emb):
        b, t, _ = x.shape
        q = self.linear_q(x).view(b, t, self.h, self.dk)
        k = self.linear_k(x).view(b, t, self.h, self.dk).transpose(1, 2)
        v = self.linear_v(x).view(b, t, self.h, self.dk).transpose(1, 2)
        p = self.linear_pos(pos_emb).view(1, -1, self.h, self.dk).transpose(1, 2)
        ac = torch.matmul((q + self.pos_bias_u).transpose(1, 2), k.transpose(-2, -1))
        bd = self.rel_shift(torch.matmul((q + self.pos_bias_v).transpose(1, 2), p.transpose(-2, -1)))
        scores = (ac + bd) / math.sqrt(self.dk)
        pad = ~mask.unsqueeze(1)
        attn = torch.softmax(scores.masked_fill(pad, float("-inf")), dim=-1).masked_fill(pad, 0.0)
        return self.linear_out(torch.matmul(attn, v).transpose(1, 2).reshape(b, t, -1))


class PositionwiseFeedForward(nn.Module):
    def __init__(self, d, units):
        super().__init__()
        self.w_1 = nn.Linear(d, units)
        self.w_2 = nn.Linear(units, d)

    def forward(self, x):
        return self.w_2(F.silu(self.w_1(x)))


class ConformerEncoderLayer(nn.Module):
    def __init__(self, d, h, units, key_bias):
        super().__init__()
        self.self_attn = RelPositionMultiHeadedAttention(h, d, key_bias)
        self.feed_forward = PositionwiseFeedForward(d, units)
        self.norm_ff = nn.LayerNorm(d, eps=1e-12)
        self.norm_mha = nn.LayerNorm(d, eps=1e-12)

    def forward(self, x, mask, pos_emb):
        x = x + self.self_attn(self.norm_mha(x), mask, pos_emb)
        return x + self.feed_forward(self.norm_ff(x))


class Upsample1D(nn.Module):
    def __init__(self, c, stride, scale):
        super().__init__()
        self.stride, self.scale = stride, scale
        self.conv = nn.Conv1d(c, c, stride * 2 + 1)

    def forward(self, x, lens):
        x = F.interpolate(x, scale_factor=float(self.scale), mode="nearest")
        return self.conv(F.pad(x, (self.stride * 2, 0))), lens * self.stride


class UpsampleConformerEncoderV2(nn.Module):
    def __init__(self, c):
        super().__init__()
        d = c["output_size"]

        def block():
            return ConformerEncoderLayer(d, c["attention_heads"], c["linear_units"], c["key_bias"])

        self.embed = LinearNoSubsampling(c["input_size"], d, c["dropout_rate"])
        self.pre_lookahead_layer = PreLookaheadLayer(d, c["pre_lookahead_len"])
        self.encoders = nn.ModuleList([block() for _ in range(c["num_blocks"])])
        self.up_layer = Upsample1D(d, c["up_stride"], c["up_scale_factor"])
        self.up_embed = LinearNoSubsampling(c["input_size"], d, c["dropout_rate"])
        self.up_encoders = nn.ModuleList([block() for _ in range(c["num_up_blocks"])])
        self.after_norm = nn.LayerNorm(d, eps=1e-5)

    def forward(self, xs, lens):
        masks = valid_mask(lens, xs.size(1)).unsqueeze(1)
        x, pos = self.embed(xs)
        x = x * masks.transpose(1, 2)  # padding mask before the look-ahead conv (the C# training default)
        x = self.pre_lookahead_layer(x)
        for layer in self.encoders:
            x = layer(x, masks, pos)
        x, lens = self.up_layer(x.transpose(1, 2), lens)
        x = x.transpose(1, 2)
        masks = valid_mask(lens, x.size(1)).unsqueeze(1)
        x, pos = self.up_embed(x)
        for layer in self.up_encoders:
            x = layer(x, masks, pos)
        return self.after_norm(x), lens


# ---------------------------------------------------------------- DiT (decoder_dit.py)
class Attention(nn.Module):
    def __init__(self, dim, nh, hd):
        super().__init__()
        self.nh, self.hd = nh, hd
        self.to_q = nn.Linear(dim, nh * hd)
        self.to_k = nn.Linear(dim, nh * hd)
        self.to_v = nn.Linear(dim, nh * hd)
        self.q_norm = nn.LayerNorm(hd)
        self.k_norm = nn.LayerNorm(hd)
        self.proj = nn.Linear(nh * hd, dim)

    def heads(self, x):
        b, t, _ = x.shape
        return x.reshape(b, t, self.nh, self.hd).transpose(1, 2)

    def forward(self, x, key_mask):
        b, t, _ = x.shape
        q = self.q_norm(self.heads(self.to_q(x)))
        k = self.k_norm(self.heads(self.to_k(x)))
        v = self.heads(self.to_v(x))
        scores = torch.matmul(q, k.transpose(-2, -1)) * (self.hd ** -0.5)
        attn = torch.softmax(scores.masked_fill(~key_mask, float("-inf")), dim=-1)
        return self.proj(torch.matmul(attn, v).transpose(1, 2).reshape(b, t, -1))


class MLP(nn.Module):
    def __init__(self, d, hidden):
        super().__init__()
        self.fc1 = nn.Linear(d, hidden)
        self.fc2 = nn.Linear(hidden, d)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x), approximate="tanh"))


class Transpose(nn.Module):
    def forward(self, x):
        return x.transpose(1, 2)


class CausalConv1d(nn.Conv1d):
    def forward(self, x):
        return super().forward(F.pad(x, (self.kernel_size[0] - 1, 0)))


class CausalConvBlock(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.block = nn.Sequential(Transpose(), CausalConv1d(c, c, 3), Transpose(), nn.LayerNorm(c), nn.Mish(),
                                   Transpose(), CausalConv1d(c, c, 3), Transpose())

    def forward(self, x):
        return self.block(x)


def modulate(x, shift, scale):
    return x * (1 + scale) + shift


class DiTBlock(nn.Module):
    def __init__(self, h, nh, hd, ratio):
        super().__init__()
        self.attn = Attention(h, nh, hd)
        self.mlp = MLP(h, int(h * ratio))
        self.conv = CausalConvBlock(h)
        self.adaLN_modulation = nn.Sequential(nn.SiLU(), nn.Linear(h, 9 * h))
        self.h = h

    def norm(self, x):
        return F.layer_norm(x, (self.h,), eps=1e-6)

    def forward(self, x, c, key_mask):
        m = self.adaLN_modulation(c).chunk(9, dim=-1)
        x = x + m[2] * self.attn(modulate(self.norm(x), m[0], m[1]), key_mask)
        x = x + m[8] * self.conv(modulate(self.norm(x), m[6], m[7]))
        return x + m[5] * self.mlp(modulate(self.norm(x), m[3], m[4]))


class TimestepEmbedder(nn.Module):
    def __init__(self, h):
        super().__init__()
        self.mlp = nn.Sequential(nn.Linear(256, h), nn.SiLU(), nn.Linear(h, h))

    def forward(self, t):
        freqs = torch.exp(-math.log(10000) * torch.arange(0, 128, dtype=torch.float32) / 128)
        args = (t * 1000)[:, None] * freqs[None]
        return self.mlp(torch.cat([torch.cos(args), torch.sin(args)], dim=-1))


class FinalLayer(nn.Module):
    def __init__(self, h, out):
        super().__init__()
        self.adaLN_modulation = nn.Sequential(nn.SiLU(), nn.Linear(h, 2 * h))
        self.linear = nn.Linear(h, out)
        self.h = h

    def forward(self, x, c):
        shift, scale = self.adaLN_modulation(c).chunk(2, dim=-1)
        return self.linear(modulate(F.layer_norm(x, (self.h,), eps=1e-6), shift, scale))


class DiT(nn.Module):
    def __init__(self, c):
        super().__init__()
        h = c["hidden_size"]
        self.t_embedder = TimestepEmbedder(h)
        self.in_proj = nn.Linear(c["in_channels"], h)
        self.blocks = nn.ModuleList([DiTBlock(h, c["num_heads"], c["head_dim"], c["mlp_ratio"]) for _ in range(c["depth"])])
        self.final_layer = FinalLayer(h, c["out_channels"])

    def forward(self, x, mask, mu, t, spks, cond):
        c = self.t_embedder(t).unsqueeze(1)
        x = torch.cat([x, mu, spks.unsqueeze(2).expand(-1, -1, x.size(2)), cond], dim=1).transpose(1, 2)
        key_mask = mask.bool().unsqueeze(1)
        x = self.in_proj(x)
        for block in self.blocks:
            x = block(x, c, key_mask)
        return self.final_layer(x, c).transpose(1, 2)


class CausalConditionalCFM(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.estimator = DiT(c)


class CausalMaskedDiffWithXvec(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        f = cfg["flow"]
        self.input_embedding = DualCodebookEmbedding(f["vocab_size"], f["input_size"])
        self.spk_embed_affine_layer = nn.Linear(f["spk_embed_dim"], f["output_size"])
        self.encoder = UpsampleConformerEncoderV2(cfg["encoder"])
        self.encoder_proj = nn.Linear(cfg["encoder"]["output_size"], f["output_size"])
        self.decoder = CausalConditionalCFM(cfg["estimator"])
        self.sigma_min = cfg["cfm"]["sigma_min"]

    def compute_loss(self, inp):
        """CosyVoice CausalMaskedDiffWithXvec.forward + ConditionalCFM.compute_loss with injected draws."""
        spks = self.spk_embed_affine_layer(F.normalize(inp["embedding"], dim=1))
        tok, tok_len = inp["speech_token"], inp["speech_token_len"]
        with torch.no_grad():
            self.encoder.eval()
            emb = self.input_embedding(tok.clamp(min=0)) * valid_mask(tok_len, tok.size(1)).unsqueeze(-1)
            h, h_len = self.encoder(emb, tok_len)
            h = self.encoder_proj(h)
        t_mel = h.size(1)
        x1 = inp["speech_feat"][:, :t_mel].transpose(1, 2)
        mask = valid_mask(torch.minimum(h_len, inp["speech_feat_len"]), t_mel).unsqueeze(1).float()
        conds = x1 * valid_mask(inp["draws.prompt_len"], t_mel).unsqueeze(1).float()
        t = inp["draws.t"].view(-1, 1, 1)
        z = inp["draws.z"]
        s = 1 - self.sigma_min
        y = (1 - s * t) * z + t * x1
        u = x1 - s * z
        keep = inp["draws.cfg_keep"].float()
        mu = h.transpose(1, 2) * keep.view(-1, 1, 1)
        pred = self.decoder.estimator(y, mask, mu, t.view(-1), spks * keep.view(-1, 1), conds * keep.view(-1, 1, 1))
        return ((pred - u) * mask).pow(2).sum() / (mask.sum() * u.size(1))


def blas_library():
    """Debian's torch 1.13 is built with BLAS_INFO=generic: it uses whatever libblas.so.3 the alternatives point to."""
    import os
    path = os.path.realpath("/usr/lib/x86_64-linux-gnu/libblas.so.3")
    return path if os.path.exists(path) else "unknown"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    cfg = json.load(open(f"{a.dir}/config.json"))
    model = CausalMaskedDiffWithXvec(cfg)
    model.load_state_dict(read_safetensors(f"{a.dir}/weights.safetensors")[0], strict=True)
    trainable = []
    for name, p in model.named_parameters():
        p.requires_grad = name.startswith("decoder.estimator.") or name.startswith("spk_embed_affine_layer.")
        if p.requires_grad:
            trainable.append(p)
    model.train()
    inp = read_safetensors(f"{a.dir}/inputs.safetensors")[0]
    opt = torch.optim.AdamW(trainable, lr=cfg["optim"]["lr"], weight_decay=cfg["optim"]["weight_decay"])
    loss0 = None
    times = []
    for step in range(a.warmup + a.steps):
        start = time.perf_counter()
        opt.zero_grad()
        loss = model.compute_loss(inp)
        loss.backward()
        opt.step()
        if step == 0:
            loss0 = loss.item()
        if step >= a.warmup:
            times.append((time.perf_counter() - start) * 1000)
    times.sort()
    print(json.dumps({"side": "pytorch", "size": cfg["size"], "loss0": loss0, "ms_per_step": times[len(times) // 2],
                      "mean_ms_per_step": sum(times) / len(times), "steps": a.steps,
                      "threads": a.threads, "trainable": sum(p.numel() for p in trainable),
                      "peak_rss_bytes": proc_status("VmHWM"),
                      "torch": torch.__version__, "blas": blas_library()}))


if __name__ == "__main__":
    main()
