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
    }

    public WhisperLogMelOptions Options { get; }
    public Tensor Filters => filters;
    /// <summary>The periodic Hann window <c>[n_fft]</c>.</summary>
    public Tensor Window => window;

    /// <summary>librosa <c>filters.mel(sr, n_fft, n_mels)</c>, what whisper's mel_filters.npz stores.</summary>
    public static Tensor SlaneyFilters(WhisperLogMelOptions o) =>
        tensor(MelFilterBank.Slaney(o.SampleRate, o.NFft, o.NMels, 0, o.SampleRate / 2.0),
            new long[] { o.NMels, o.NFft / 2 + 1 }, ScalarType.Float32);

    /// <summary>|stft|², <c>[N] → [n_fft/2 + 1, frames]</c> with whisper's last frame dropped.</summary>
    public Tensor Power(Tensor audio)
    {
        ArgumentNullException.ThrowIfNull(audio);
        if (audio.dim() != 1 || audio.dtype != ScalarType.Float32)
            throw new ArgumentException($"WhisperLogMel: audio must be float32 [N]; got {audio.dtype} [{string.Join(",", audio.shape)}]", nameof(audio));
        using var scope = NewDisposeScope();
        var o = Options;
        if (o.Padding > 0) audio = nn.functional.pad(audio, new long[] { 0, o.Padding });
        long minimum = o.Center ? o.NFft / 2 + 1 : o.NFft;
        if (audio.shape[0] < minimum)
            throw new ArgumentException($"WhisperLogMel: {audio.shape[0]} samples are too short (needs at least {minimum})", nameof(audio));
        var spec = stft(audio, o.NFft, o.HopLength, o.NFft, window.to(audio.device), center: o.Center, pad_mode: o.PaddingMode(), normalized: false, onesided: true, return_complex: true);
        var power = spec.narrow(-1, 0, spec.shape[^1] - 1).abs().pow(2);
        return power.MoveToOuterDisposeScope();
    }

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
