"""PyTorch baseline for `stepaudio bench-features`: the same per-clip computation, timed the same way.

Mono downmix (channel mean) + torchaudio-style sinc resampling to 24 kHz (kernel cached per rate, as
torchaudio.transforms.Resample does), then the matcha `mel_spectrogram` (reflect pad, torch.stft with a periodic
Hann window, magnitude sqrt(re^2+im^2+1e-9), slaney mel basis, log(clamp(1e-5))). Reads WAVs with the stdlib
`wave` module (integer PCM only) + numpy. Best of N runs after one warm-up; prints RESULT lines in the C# format.
Needs only numpy and torch (Debian python3-torch); no torchaudio or librosa.
"""
import argparse
import math
import os
import sys
import time
import wave

import numpy as np
import torch

N_FFT, NUM_MELS, SR, HOP, WIN, FMIN, FMAX = 1920, 80, 24000, 480, 1920, 0.0, 8000.0


def hz_to_mel(f):
    f_sp, min_log_hz = 200.0 / 3, 1000.0
    logstep = math.log(6.4) / 27.0
    return min_log_hz / f_sp + math.log(f / min_log_hz) / logstep if f >= min_log_hz else f / f_sp


def mel_to_hz(m):
    f_sp, min_log_hz = 200.0 / 3, 1000.0
    min_log_mel, logstep = min_log_hz / f_sp, math.log(6.4) / 27.0
    return min_log_hz * math.exp(logstep * (m - min_log_mel)) if m >= min_log_mel else f_sp * m


def slaney_mel_basis():
    """librosa.filters.mel defaults (slaney scale and norm)."""
    mel_f = np.array([mel_to_hz(m) for m in np.linspace(hz_to_mel(FMIN), hz_to_mel(FMAX), NUM_MELS + 2)])
    fft_f = np.fft.rfftfreq(N_FFT, 1.0 / SR)
    fdiff = np.diff(mel_f)
    ramps = np.subtract.outer(mel_f, fft_f)
    w = np.zeros((NUM_MELS, N_FFT // 2 + 1), dtype=np.float32)
    for i in range(NUM_MELS):
        w[i] = np.maximum(0, np.minimum(-ramps[i] / fdiff[i], ramps[i + 2] / fdiff[i + 1]))
    w *= (2.0 / (mel_f[2:NUM_MELS + 2] - mel_f[:NUM_MELS]))[:, None]
    return torch.from_numpy(w)


MEL_BASIS = slaney_mel_basis()
WINDOW = torch.hann_window(WIN)


def mel_spectrogram(y):
    pad = (N_FFT - HOP) // 2
    y = torch.nn.functional.pad(y.unsqueeze(1), (pad, pad), mode="reflect").squeeze(1)
    spec = torch.stft(y, N_FFT, hop_length=HOP, win_length=WIN, window=WINDOW, center=False,
                      pad_mode="reflect", normalized=False, onesided=True, return_complex=True)
    spec = torch.sqrt(torch.view_as_real(spec).pow(2).sum(-1) + 1e-9)
    return torch.log(torch.clamp(torch.matmul(MEL_BASIS, spec), min=1e-5))


def resample_kernel(orig, new, lowpass_filter_width=6, rolloff=0.99):
    """torchaudio _get_sinc_resample_kernel (sinc_interp_hann), float64 maths cast to float32."""
    g = math.gcd(orig, new)
    orig, new = orig // g, new // g
    base = min(orig, new) * rolloff
    width = math.ceil(lowpass_filter_width * orig / base)
    idx = torch.arange(-width, width + orig, dtype=torch.float64)[None, None] / orig
    t = torch.arange(0, -new, -1, dtype=torch.float64)[:, None, None] / new + idx
    t *= base
    t = t.clamp_(-lowpass_filter_width, lowpass_filter_width)
    window = torch.cos(t * math.pi / lowpass_filter_width / 2) ** 2
    t *= math.pi
    kernels = torch.where(t == 0, torch.tensor(1.0).to(t), t.sin() / t) * window * (base / orig)
    return kernels.to(torch.float32), width, orig, new


def resample(x, kernel, width, orig, new):
    n = x.shape[-1]
    y = torch.nn.functional.conv1d(torch.nn.functional.pad(x, (width, width + orig))[:, None], kernel, stride=orig)
    return y.transpose(1, 2).reshape(x.shape[0], -1)[..., : math.ceil(new * n / orig)]


def read_wav(path):
    with wave.open(path, "rb") as w:
        ch, width, rate, n = w.getnchannels(), w.getsampwidth(), w.getframerate(), w.getnframes()
        raw = w.readframes(n)
    if width == 1:
        x = (np.frombuffer(raw, np.uint8).astype(np.float32) - 128) / 128
    elif width == 2:
        x = np.frombuffer(raw, "<i2").astype(np.float32) / 32768
    elif width == 3:
        b = np.frombuffer(raw, np.uint8).reshape(-1, 3).astype(np.int32)
        v = b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)
        x = (np.where(v >= 1 << 23, v - (1 << 24), v)).astype(np.float32) / 8388608
    else:
        x = (np.frombuffer(raw, "<i4").astype(np.float64) / 2147483648).astype(np.float32)
    return np.ascontiguousarray(x.reshape(-1, ch).T), rate


def time_clip(x, rate, kernels, repeats):
    if rate != SR and rate not in kernels:
        kernels[rate] = resample_kernel(rate, SR)
    wav = torch.from_numpy(x)
    best_r, best_m, frames = float("inf"), float("inf"), 0
    for i in range(repeats + 1):  # first run: warm-up
        t0 = time.perf_counter()
        mono = wav.mean(0, keepdim=True)
        y = mono if rate == SR else resample(mono, *kernels[rate])
        t1 = time.perf_counter()
        m = mel_spectrogram(y)
        t2 = time.perf_counter()
        frames = m.shape[-1]
        if i > 0:
            best_r, best_m = min(best_r, (t1 - t0) * 1e3), min(best_m, (t2 - t1) * 1e3)
    return best_r, best_m, frames


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", default="data-samples")
    ap.add_argument("--synthetic", required=True, help="the WAV written by `stepaudio bench-features --save-synthetic`")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    kernels, rows = {}, []
    files = []
    if os.path.isdir(a.dir):
        for root, _, names in os.walk(a.dir):
            files += [os.path.join(root, n) for n in names if n.lower().endswith(".wav")]
    for path in sorted(files):
        try:
            x, rate = read_wav(path)
        except (wave.Error, EOFError) as e:
            print(f"skipped: {path}: {e}")
            continue
        if x.shape[1] * SR // rate <= (N_FFT - HOP) // 2:
            print(f"skipped: {path}: too short")
            continue
        r, m, frames = time_clip(x, rate, kernels, a.repeats)
        rows.append((r, m, x.shape[1] / rate))
        print(f"{os.path.relpath(path, a.dir)[-40:]:<40} {rate:6d} {x.shape[0]:2d} {x.shape[1] / rate:6.2f} {frames:6d} "
              f"{r:11.3f} {m:8.3f} {r + m:9.3f}")
    x, rate = read_wav(a.synthetic)
    sr_, sm, frames = time_clip(x, rate, kernels, a.repeats)
    print(f"{'synthetic':<40} {rate:6d} {x.shape[0]:2d} {x.shape[1] / rate:6.2f} {frames:6d} {sr_:11.3f} {sm:8.3f} {sr_ + sm:9.3f}")
    if rows:
        r = sum(v[0] for v in rows) / len(rows)
        m = sum(v[1] for v in rows) / len(rows)
        s = sum(v[2] for v in rows) / len(rows)
        print(f"RESULT folder clips={len(rows)} seconds={s:.3f} resample_ms={r:.3f} mel_ms={m:.3f} total_ms={r + m:.3f}")
    print(f"RESULT synthetic clips=1 seconds={x.shape[1] / rate:.3f} resample_ms={sr_:.3f} mel_ms={sm:.3f} "
          f"total_ms={sr_ + sm:.3f}")


if __name__ == "__main__":
    sys.exit(main())
