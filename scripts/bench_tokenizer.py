#!/usr/bin/python3
"""PyTorch/torchaudio side of scripts/bench-tokenizer.sh: times the tokenizer front ends and the vq02 streaming SANM
encoder (real size, random weights) on the same 16 kHz clip as the C# bench, and prints RESULT lines in the same
format. The encoder is a direct PyTorch transcription of the streaming computation described in
tests/fixtures/parity/paraformer_encoder/fixture.json (FunASR's forward_chunk), since FunASR is not packaged in Debian.
"""
import argparse, math, time, wave
import numpy as np
import torch
import torchaudio

p = argparse.ArgumentParser()
p.add_argument("--wav", required=True)
p.add_argument("--repeats", type=int, default=5)
p.add_argument("--threads", type=int, default=2)
p.add_argument("--blocks", type=int, default=50)
a = p.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(0)

with wave.open(a.wav) as w:
    assert w.getframerate() == 16000 and w.getnchannels() == 1 and w.getsampwidth() == 2
    wav = torch.from_numpy(np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float32) / 32768.0)
seconds = wav.numel() / 16000


def best_ms(fn):
    fn()
    times = []
    for _ in range(a.repeats):
        t = time.perf_counter(); fn(); times.append((time.perf_counter() - t) * 1000)
    return min(times)


def result(name, ms):
    print(f"RESULT {name} seconds={seconds:.3f} ms={ms:.3f} rtf={ms / 1000 / seconds:.5f}")


kaldi = torchaudio.compliance.kaldi
with torch.no_grad():
    def campplus():
        f = kaldi.fbank(wav.unsqueeze(0), num_mel_bins=80, dither=0, sample_frequency=16000)
        return f - f.mean(0, keepdim=True)
    result("campplus_fbank", best_ms(campplus))

    cmvn = torch.randn(2, 560).abs() + 0.5
    def paraformer():
        f = kaldi.fbank(wav.unsqueeze(0) * 32768, num_mel_bins=80, frame_length=25, frame_shift=10, dither=0,
                        energy_floor=0, window_type="hamming", sample_frequency=16000, snip_edges=True)
        t = f.shape[0]; n = math.ceil(t / 6); left = (7 - 1) // 2
        f = torch.cat([f[:1].repeat(left, 1), f])
        rows = []
        for i in range(n):
            s = i * 6
            piece = f[s:s + 7]
            if piece.shape[0] < 7: piece = torch.cat([piece, f[-1:].repeat(7 - piece.shape[0], 1)])
            rows.append(piece.reshape(-1))
        lfr = torch.stack(rows)
        return (lfr + cmvn[0]) * cmvn[1]
    result("paraformer_frontend", best_ms(paraformer))

    filters = torch.rand(128, 201) * 0.01
    window = torch.hann_window(400)
    def whisper():
        s = torch.stft(wav, 400, 160, window=window, return_complex=True)
        m = (filters @ s[..., :-1].abs() ** 2).clamp(min=1e-10).log10()
        return (torch.maximum(m, m.max() - 8) + 4) / 4
    result("whisper_logmel", best_ms(whisper))

    # vq02 streaming encoder, real size: 560 -> 512, 4 heads, FFN 2048, FSMN 11, 1 + (blocks-1) layers.
    d, heads, ffn, k, look_back, overlap = 512, 4, 2048, 11, 4, 5
    def layer(in_size):
        return dict(n1=torch.nn.LayerNorm(in_size, eps=1e-12), qkv=torch.nn.Linear(in_size, 3 * d),
                    fsmn=torch.nn.Conv1d(d, d, k, groups=d, bias=False), out=torch.nn.Linear(d, d),
                    n2=torch.nn.LayerNorm(d, eps=1e-12), w1=torch.nn.Linear(d, ffn), w2=torch.nn.Linear(ffn, d))
    layers = [layer(560)] + [layer(d) for _ in range(a.blocks - 1)]
    after = torch.nn.LayerNorm(d, eps=1e-12)
    depth = 560
    inv = torch.exp(torch.arange(depth // 2) * -(math.log(10000.0) / (depth / 2 - 1)))
    lfr_frames = math.ceil((wav.numel() - 400) / 160 / 6) if wav.numel() >= 400 else 0
    feats = torch.randn(1, lfr_frames, 560)

    def attend(L, x, cache, first):
        h = L["n1"](x)
        q, kk, v = L["qkv"](h).split(d, dim=-1)
        # FSMN as the C# port computes it (windows × taps, summed): Debian's build runs a grouped Conv1d through a
        # slow reference path, which would time that path rather than the maths.
        win = torch.nn.functional.pad(v.transpose(1, 2), (5, 5)).unfold(2, k, 1)          # [1, d, T, k]
        fs = (win * L["fsmn"].weight.view(1, d, 1, k)).sum(-1).transpose(1, 2) + v
        kc, vc = (kk, v) if cache is None else (torch.cat([cache[0], kk], 1), torch.cat([cache[1], v], 1))
        split = lambda t: t.view(1, -1, heads, d // heads).transpose(1, 2)
        att = torch.softmax(split(q) @ split(kc).transpose(-1, -2) * (d // heads) ** -0.5, -1) @ split(vc)
        att = att.transpose(1, 2).reshape(1, -1, d)
        keep = look_back * 4
        ck, cv = kc[:, :-overlap][:, -keep:], vc[:, :-overlap][:, -keep:]
        return L["out"](att) + fs, (ck, cv)

    def encoder():
        prev = torch.zeros(1, overlap, 560); start = 0; caches = [None] * len(layers); outs = []
        for c in range(0, lfr_frames, 4):
            chunk = feats[:, c:c + 4]; t = chunk.shape[1]
            pos = torch.arange(start + 1, start + t + 1, dtype=torch.float32)[:, None] * inv
            x = torch.cat([prev, chunk * math.sqrt(d) + torch.cat([pos.sin(), pos.cos()], -1)], 1)
            start += t; prev = x[:, -overlap:]
            for i, L in enumerate(layers):
                out, caches[i] = attend(L, x, caches[i], c == 0)
                x = out if i == 0 else x + out
                x = x + L["w2"](torch.relu(L["w1"](L["n2"](x))))
            outs.append(after(x)[:, -t:])
        return torch.cat(outs, 1)
    result("vq02_encoder", best_ms(encoder))
