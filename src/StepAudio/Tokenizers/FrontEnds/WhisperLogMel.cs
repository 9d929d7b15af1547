using StepAudio.Audio;
using TorchSharp;
using static TorchSharp.torch;

namespace StepAudio.Tokenizers.FrontEnds;

/// <summary>openai/whisper <c>log_mel_spectrogram</c> settings; the defaults are the vq06 tokenizer's (n_mels 128).</summary>
public sealed record WhisperLogMelOptions
{
    public int SampleRate { get; init; } = 16000;
    public int NFft { get; init; } = 400;
    public int HopLength { get; init; } = 160;
    public int NMels { get; init; } = 128;
    /// <summary>Zeros appended to the audio before the STFT (whisper's <c>padding</c>).</summary>
    public int Padding { get; init; }
    public bool Center { get; init; } = true;
    /// <summary><c>reflect</c> (whisper, via torch.stft's default), <c>constant</c>, <c>replicate</c> or <c>circular</c>.</summary>
    public string PadMode { get; init; } = "reflect";

    public void Validate()
    {
        static void Require(bool ok, string name, string what)
        {
            if (!ok) throw new ArgumentException($"WhisperLogMelOptions.{name}: {what}", name);
        }
        Require(SampleRate > 0, nameof(SampleRate), $"must be > 0 (got {SampleRate})");
        Require(NFft >= 2, nameof(NFft), $"must be ≥ 2 (got {NFft})");
        Require(HopLength >= 1, nameof(HopLength), $"must be ≥ 1 (got {HopLength})");
        Require(NMels >= 1, nameof(NMels), $"must be ≥ 1 (got {NMels})");
        Require(Padding >= 0, nameof(Padding), $"must be ≥ 0 (got {Padding})");
        PaddingMode();
    }

    internal PaddingModes PaddingMode() => PadMode switch
    {
        "reflect" => PaddingModes.Reflect,
        "constant" => PaddingModes.Constant,
        "replicate" => PaddingModes.Replicate,
        "circular" => PaddingModes.Circular,
        _ => throw new ArgumentException($"WhisperLogMelOptions.PadMode: '{PadMode}' is not one of reflect, constant, replicate, circular", nameof(PadMode)),
    };
}

/// <summary>
/// Whisper's log-mel, the input of the S3 tokenizer (<c>speech_tokenizer_v1.onnx</c>, vq06):
/// |stft|² without the last frame, mel filters, log10 (floor 1e-10), floored at max − 8, then (x + 4) / 4.
/// </summary>
public sealed class WhisperLogMel : IDisposable
{
    readonly Tensor filters, window;
    readonly float[] windowValues;
    readonly PocketFft fft;

    /// <summary>
    /// <paramref name="filters"/> <c>[n_mels, n_fft/2 + 1]</c>: whisper's stored matrix (assets/mel_filters.npz); without it
    /// the same librosa Slaney filters (fmin 0, fmax sr/2) are computed.
    /// </summary>
    public WhisperLogMel(WhisperLogMelOptions? options = null, Tensor? filters = null)
    {
        Options = options ?? new WhisperLogMelOptions();
        Options.Validate();
        long bins = Options.NFft / 2 + 1;
        if (filters is not null && (filters.dim() != 2 || filters.shape[0] != Options.NMels || filters.shape[1] != bins))
            throw new ArgumentException($"WhisperLogMel: filters must be [{Options.NMels}, {bins}]; got [{string.Join(",", filters.shape)}]", nameof(filters));
        this.filters = filters?.to(ScalarType.Float32).clone() ?? SlaneyFilters(Options);
        window = hann_window(Options.NFft, periodic: true, dtype: ScalarType.Float32);
        windowValues = window.data<float>().ToArray();
        fft = new PocketFft(Options.NFft);
    }

    public WhisperLogMelOptions Options { get; }
    public Tensor Filters => filters;
    /// <summary>The periodic Hann window <c>[n_fft]</c>.</summary>
    public Tensor Window => window;

    /// <summary>librosa <c>filters.mel(sr, n_fft, n_mels)</c>, what whisper's mel_filters.npz stores.</summary>
    public static Tensor SlaneyFilters(WhisperLogMelOptions o) =>
        tensor(MelFilterBank.Slaney(o.SampleRate, o.NFft, o.NMels, 0, o.SampleRate / 2.0),
            new long[] { o.NMels, o.NFft / 2 + 1 }, ScalarType.Float32);

    /// <summary>
    /// |stft|², <c>[N] → [n_fft/2 + 1, frames]</c> with whisper's last frame dropped. Each frame is computed as torch 1.13's
    /// float32 <c>torch.stft</c> does on CPU (frame × window, pocketfft r2c, then <c>.abs() ** 2</c>), with
    /// <see cref="PocketFft"/> instead of libtorch's FFT: quiet bins are dominated by the FFT's float32 roundoff, which
    /// must not depend on whether this libtorch build or CPU runs MKL or pocketfft. With torch 1.13's window the result is
    /// bit-identical to its <c>torch.stft</c>; <see cref="Window"/> (libtorch's <c>hann_window</c>) differs from that one by
    /// 1 ulp in 7 of 400 values, which moves whisper_logmel's quietest log-mel bins by up to 5e-5.
    /// </summary>
    public Tensor Power(Tensor audio)
    {
        ArgumentNullException.ThrowIfNull(audio);
        if (audio.dim() != 1 || audio.dtype != ScalarType.Float32)
            throw new ArgumentException($"WhisperLogMel: audio must be float32 [N]; got {audio.dtype} [{string.Join(",", audio.shape)}]", nameof(audio));
        var o = Options;
        long n = audio.shape[0] + o.Padding;
        long minimum = o.Center ? o.NFft / 2 + 1 : o.NFft;
        if (n < minimum)
            throw new ArgumentException($"WhisperLogMel: {n} samples are too short (needs at least {minimum})", nameof(audio));
        float[] x;
        using (NewDisposeScope()) x = Framed(audio.detach().cpu().contiguous().data<float>().ToArray(), o);

        // 1 + (len − n_fft) / hop frames, less whisper's dropped last one.
        int frames = (x.Length - o.NFft) / o.HopLength, bins = fft.Bins;
        var power = new float[bins * frames];
        var frame = new float[o.NFft];
        var re = new float[bins];
        var im = new float[bins];
        for (int t = 0; t < frames; t++)
        {
            for (int j = 0; j < frame.Length; j++) frame[j] = x[t * o.HopLength + j] * windowValues[j];
            fft.Forward(frame, re, im);
            for (int k = 0; k < bins; k++)
            {
                // .abs() ** 2 as torch 1.13's vectorised complex64 kernel computes it (bit-identical to its output here):
                // sqrt(re² + im²) in float, then that float squared.
                float mag = MathF.Sqrt(re[k] * re[k] + im[k] * im[k]);
                power[k * frames + t] = mag * mag;
            }
        }
        return tensor(power, new long[] { bins, frames }, ScalarType.Float32, audio.device);
    }

    /// <summary>The STFT input: whisper's zero <c>padding</c>, then torch.stft's n_fft/2 each side when centred.</summary>
    static float[] Framed(float[] audio, WhisperLogMelOptions o)
    {
        int n = audio.Length + o.Padding, p = o.Center ? o.NFft / 2 : 0;
        var x = new float[n + 2 * p];
        Array.Copy(audio, 0, x, p, audio.Length);
        var mode = o.PaddingMode();
        for (int i = 0; i < p; i++)
        {
            // x[p + m] is sample m; the pads are at m = −1 − i (left) and m = n + i (right).
            int l = -1 - i, r = n + i;
            x[p + l] = Pad(x, p, n, l, mode);
            x[p + r] = Pad(x, p, n, r, mode);
        }
        return x;
    }

    static float Pad(float[] x, int p, int n, int m, PaddingModes mode) => mode switch
    {
        PaddingModes.Reflect => x[p + (m < 0 ? -m : 2 * (n - 1) - m)],
        PaddingModes.Replicate => x[p + (m < 0 ? 0 : n - 1)],
        PaddingModes.Circular => x[p + (m < 0 ? m + n : m - n)],
        _ => 0f,
    };

    /// <summary>log10(clamp(filters · power, 1e-10)), <c>[n_mels, frames]</c>.</summary>
    public Tensor Log10Mel(Tensor power)
    {
        using var scope = NewDisposeScope();
        var mel = filters.to(power.dtype, power.device).mm(power);
        return mel.clamp_min(1e-10).log10().MoveToOuterDisposeScope();
    }

    /// <summary>Whisper's normalisation: floor at the whole matrix's max − 8, then (x + 4) / 4.</summary>
    public static Tensor Normalize(Tensor log10Mel)
    {
        using var scope = NewDisposeScope();
        var floor = log10Mel.max() - 8.0;
        return ((maximum(log10Mel, floor) + 4.0) / 4.0).MoveToOuterDisposeScope();
    }

    /// <summary>The features of one chunk, <c>[N] → [n_mels, N / hop]</c>.</summary>
    public Tensor Compute(Tensor audio)
    {
        using var power = Power(audio);
        using var log10Mel = Log10Mel(power);
        return Normalize(log10Mel);
    }

    public void Dispose()
    {
        filters.Dispose();
        window.Dispose();
    }
}
