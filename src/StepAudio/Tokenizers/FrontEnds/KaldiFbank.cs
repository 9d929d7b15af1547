using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace StepAudio.Tokenizers.FrontEnds;

/// <summary>
/// Options of <c>torchaudio.compliance.kaldi.fbank</c> (torchaudio 0.13.1), under its keyword names; the defaults are
/// torchaudio's. <see cref="EnergyFloor"/> only matters for the energy column, which this port does not produce
/// (<c>use_energy</c> False, as every upstream caller uses it).
/// </summary>
public sealed record KaldiFbankOptions
{
    public int NumMelBins { get; init; } = 23;
    public double SampleFrequency { get; init; } = 16000;
    public double FrameLengthMs { get; init; } = 25;
    public double FrameShiftMs { get; init; } = 10;
    /// <summary>Gaussian dither amplitude; upstream's front ends pass 0 here for determinism.</summary>
    public double Dither { get; init; }
    /// <summary><c>povey</c>, <c>hamming</c>, <c>hanning</c> or <c>rectangular</c>.</summary>
    public string WindowType { get; init; } = "povey";
    public double PreemphasisCoefficient { get; init; } = 0.97;
    public bool RemoveDcOffset { get; init; } = true;
    public bool RoundToPowerOfTwo { get; init; } = true;
    public double LowFreq { get; init; } = 20;
    /// <summary>Upper band edge; ≤ 0 means Nyquist + value (Kaldi's convention).</summary>
    public double HighFreq { get; init; }
    public bool SnipEdges { get; init; } = true;
    public bool UseLogFbank { get; init; } = true;
    public bool UsePower { get; init; } = true;
    public double EnergyFloor { get; init; } = 1.0;

    static readonly string[] Windows = { "povey", "hamming", "hanning", "rectangular" };

    /// <summary>Samples per frame (<c>int(sf · ms · 0.001)</c>, as torchaudio truncates).</summary>
    public int WindowSize => (int)(SampleFrequency * FrameLengthMs * 0.001);
    public int WindowShift => (int)(SampleFrequency * FrameShiftMs * 0.001);
    /// <summary>The FFT length: the window rounded up to a power of two, or the window itself.</summary>
    public int PaddedWindowSize => RoundToPowerOfTwo ? (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)WindowSize) : WindowSize;
    public double Nyquist => 0.5 * SampleFrequency;
    public double EffectiveHighFreq => HighFreq <= 0 ? HighFreq + Nyquist : HighFreq;

    /// <summary>Throws <see cref="ArgumentException"/> naming the option for values torchaudio rejects.</summary>
    public void Validate()
    {
        static void Require(bool ok, string name, string what)
        {
            if (!ok) throw new ArgumentException($"KaldiFbankOptions.{name}: {what}", name);
        }
        Require(NumMelBins > 3, nameof(NumMelBins), $"must be > 3 (got {NumMelBins})");
        Require(SampleFrequency > 0, nameof(SampleFrequency), $"must be > 0 (got {SampleFrequency})");
        Require(WindowSize >= 2, nameof(FrameLengthMs), $"gives a window of {WindowSize} samples; needs at least 2");
        Require(WindowShift >= 1, nameof(FrameShiftMs), $"gives a shift of {WindowShift} samples; needs at least 1");
        Require(PaddedWindowSize % 2 == 0, nameof(RoundToPowerOfTwo), $"the FFT length {PaddedWindowSize} must be even");
        Require(Dither >= 0 && double.IsFinite(Dither), nameof(Dither), $"must be finite and ≥ 0 (got {Dither})");
        Require(Array.IndexOf(Windows, WindowType) >= 0, nameof(WindowType),
            $"'{WindowType}' is not supported (supported: {string.Join(", ", Windows)})");
        Require(PreemphasisCoefficient is >= 0 and <= 1, nameof(PreemphasisCoefficient), $"must be in [0, 1] (got {PreemphasisCoefficient})");
        Require(LowFreq >= 0 && LowFreq < Nyquist, nameof(LowFreq), $"must be in [0, {Nyquist}) (got {LowFreq})");
        Require(EffectiveHighFreq > 0 && EffectiveHighFreq <= Nyquist && LowFreq < EffectiveHighFreq, nameof(HighFreq),
            $"gives an upper edge of {EffectiveHighFreq} Hz; needs low_freq ({LowFreq}) < edge ≤ Nyquist ({Nyquist})");
        Require(EnergyFloor >= 0, nameof(EnergyFloor), $"must be ≥ 0 (got {EnergyFloor})");
    }

    /// <summary>
    /// Reads the torchaudio keyword names (<c>num_mel_bins</c>, <c>frame_length</c> or <c>frame_length_ms</c>, ...) from a
    /// JSON object; keys it does not know are left to the caller (front-end extras such as <c>lfr_m</c>).
    /// </summary>
    public static KaldiFbankOptions FromJson(JsonElement e)
    {
        var o = new KaldiFbankOptions();
        double D(string k, double d) => e.TryGetProperty(k, out var v) ? v.GetDouble() : d;
        bool B(string k, bool d) => e.TryGetProperty(k, out var v) ? v.GetBoolean() : d;
        if (e.TryGetProperty("use_energy", out var ue) && ue.GetBoolean())
            throw new ArgumentException("kaldi fbank: use_energy = true (the energy column) is not supported", nameof(e));
        return o with
        {
            NumMelBins = e.TryGetProperty("num_mel_bins", out var n) ? n.GetInt32() : o.NumMelBins,
            SampleFrequency = D("sample_frequency", o.SampleFrequency),
            FrameLengthMs = D("frame_length_ms", D("frame_length", o.FrameLengthMs)),
            FrameShiftMs = D("frame_shift_ms", D("frame_shift", o.FrameShiftMs)),
            Dither = D("dither", o.Dither),
            WindowType = e.TryGetProperty("window_type", out var w) ? w.GetString() ?? o.WindowType : o.WindowType,
            PreemphasisCoefficient = D("preemphasis_coefficient", o.PreemphasisCoefficient),
            RemoveDcOffset = B("remove_dc_offset", o.RemoveDcOffset),
            RoundToPowerOfTwo = B("round_to_power_of_two", o.RoundToPowerOfTwo),
            LowFreq = D("low_freq", o.LowFreq),
            HighFreq = D("high_freq", o.HighFreq),
            SnipEdges = B("snip_edges", o.SnipEdges),
            UseLogFbank = B("use_log_fbank", o.UseLogFbank),
            UsePower = B("use_power", o.UsePower),
            EnergyFloor = D("energy_floor", o.EnergyFloor),
        };
    }
}

/// <summary>
/// Kaldi-compatible log mel filter bank as <c>torchaudio.compliance.kaldi.fbank</c> computes it (float32 throughout,
/// like torchaudio on a float32 waveform): <c>[N] → [T, num_mel_bins]</c>.
/// </summary>
public static class KaldiFbank
{
    /// <summary>torch.finfo(torch.float32).eps, the log floor torchaudio uses.</summary>
    const float Epsilon = 1.1920928955078125e-07f;

    /// <summary>Features of a mono float32 waveform <c>[N]</c> (or <c>[1, N]</c>). <paramref name="generator"/> draws the dither.</summary>
    public static Tensor Compute(Tensor waveform, KaldiFbankOptions options, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(waveform);
        options.Validate();
        if (waveform.dim() == 2 && waveform.shape[0] == 1) waveform = waveform[0];
        if (waveform.dim() != 1 || waveform.dtype != ScalarType.Float32)
            throw new ArgumentException($"KaldiFbank: waveform must be float32 [N] or [1, N]; got {waveform.dtype} [{string.Join(",", waveform.shape)}]", nameof(waveform));
        using var scope = NewDisposeScope();
        var frames = Frames(waveform, options);
        if (options.Dither != 0)
            frames = frames + options.Dither * randn(frames.shape, ScalarType.Float32, frames.device, generator: generator);
        if (options.RemoveDcOffset) frames = frames - frames.mean(new long[] { 1 }, keepdim: true);
        if (options.PreemphasisCoefficient != 0)
        {
            // x[i] - c·x[i-1] with x[-1] := x[0] (torchaudio pads with 'replicate').
            var previous = cat(new[] { frames.narrow(1, 0, 1), frames.narrow(1, 0, frames.shape[1] - 1) }, 1);
            frames = frames - options.PreemphasisCoefficient * previous;
        }
        frames = frames * Window(options.WindowType, options.WindowSize).to(frames.device);
        int padded = options.PaddedWindowSize;
        if (padded > options.WindowSize) frames = nn.functional.pad(frames, new long[] { 0, padded - options.WindowSize });
        var spectrum = fft.rfft(frames).abs();
        if (options.UsePower) spectrum = spectrum.pow(2);
        var banks = MelBanks(options).to(frames.device);
        var mel = spectrum.mm(banks.t());
        if (options.UseLogFbank) mel = mel.clamp_min(Epsilon).log();
        return mel.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The frames <c>[T, window_size]</c>: snip_edges keeps whole frames only (T = 1 + (N − size) / shift); otherwise
    /// T = (N + shift/2) / shift over the signal reflected at both ends, as torchaudio's <c>_get_strided</c>.
    /// </summary>
    public static Tensor Frames(Tensor waveform, KaldiFbankOptions options)
    {
        int size = options.WindowSize, shift = options.WindowShift;
        long n = waveform.shape[0];
        if (options.SnipEdges)
        {
            if (n < size)
                throw new ArgumentException($"KaldiFbank: {n} samples are fewer than one {size}-sample frame (snip_edges)", nameof(waveform));
            return waveform.unfold(0, size, shift);
        }
        long m = (n + shift / 2) / shift;
        if (m < 1) throw new ArgumentException($"KaldiFbank: {n} samples give no frame", nameof(waveform));
        using var scope = NewDisposeScope();
        int pad = size / 2 - shift / 2;
        var reversed = waveform.flip(0);
        var extended = pad > 0
            ? cat(new[] { reversed.narrow(0, n - pad, pad), waveform, reversed }, 0)
            : cat(new[] { waveform.narrow(0, -pad, n + pad), reversed }, 0);
        return extended.unfold(0, size, shift).narrow(0, 0, m).MoveToOuterDisposeScope();
    }

    /// <summary>torchaudio's <c>feature_window_function</c> (symmetric windows; povey = hann^0.85).</summary>
    public static Tensor Window(string windowType, int size) => windowType switch
    {
        "povey" => hann_window(size, periodic: false, dtype: ScalarType.Float32).pow(0.85),
        "hamming" => hamming_window(size, periodic: false, alpha: 0.54f, beta: 0.46f, dtype: ScalarType.Float32),
        "hanning" => hann_window(size, periodic: false, dtype: ScalarType.Float32),
        "rectangular" => ones(size, ScalarType.Float32),
        _ => throw new ArgumentException($"KaldiFbank: window_type '{windowType}' is not supported (povey, hamming, hanning, rectangular)", nameof(windowType)),
    };

    /// <summary>Kaldi's mel scale, 1127 · ln(1 + f / 700).</summary>
    public static double MelScale(double hz) => 1127.0 * Math.Log(1.0 + hz / 700.0);

    /// <summary>
    /// torchaudio's <c>get_mel_banks</c> (no VTLN) with the zero column fbank appends: <c>[num_mel_bins, padded/2 + 1]</c>.
    /// Band edges are Python floats, the per-bin arithmetic float32, as upstream.
    /// </summary>
    public static Tensor MelBanks(KaldiFbankOptions options)
    {
        options.Validate();
        using var scope = NewDisposeScope();
        int numBins = options.NumMelBins, numFftBins = options.PaddedWindowSize / 2;
        double binWidth = options.SampleFrequency / options.PaddedWindowSize;
        double melLow = MelScale(options.LowFreq), melHigh = MelScale(options.EffectiveHighFreq);
        double delta = (melHigh - melLow) / (numBins + 1);
        var bin = arange(numBins, ScalarType.Float32).unsqueeze(1);
        var left = bin * delta + melLow;
        var center = (bin + 1.0) * delta + melLow;
        var right = (bin + 2.0) * delta + melLow;
        var mel = (arange(numFftBins, ScalarType.Float32) * binWidth / 700.0 + 1.0).log().mul(1127.0).unsqueeze(0);
        var up = (mel - left) / (center - left);
        var down = (right - mel) / (right - center);
        var banks = minimum(up, down).clamp_min(0);
        return nn.functional.pad(banks, new long[] { 0, 1 }).MoveToOuterDisposeScope();
    }
}
