using StepAudio.Audio;

namespace StepAudio.Tokenizers.FrontEnds;

/// <summary>
/// The options of upstream utils.py <c>trim_silence</c> (defaults = upstream's): librosa's top_db / frame / hop, the
/// silence kept before and after the speech (seconds) and the frame size the kept length is rounded up to.
/// </summary>
public sealed record TrimSilenceOptions(
    double TopDb = 20, int FrameLength = 512, int HopLength = 128,
    double KeepLeftTime = 0.05, double KeepRightTime = 0.22, int HopSize = 240, int SampleRate = 16000);

/// <summary>
/// The waveform preprocessing of Step-Audio-EditX's tokenizer (tokenizer.py <c>StepAudioTokenizer.preprocess_wav</c>):
/// resample to 16 kHz (utils.py <c>resample_audio</c> = torchaudio <c>transforms.Resample</c>), energy normalisation
/// (utils.py <c>energy_norm_fn</c>) and <c>trim_silence</c>. The result is what the vq02 and vq06 tokenizers see.
/// </summary>
public static class TokenizerPreprocess
{
    /// <summary>The tokenizers' sample rate.</summary>
    public const int TokenizerSampleRate = 16000;

    /// <summary>
    /// utils.py <c>energy_norm_fn</c>: <c>wav / max(max|wav|, floor) · scale</c> (upstream floor 0.01, scale 0.999), in
    /// float32 as torch computes it. The floor keeps near-silent clips from being blown up to full scale.
    /// </summary>
    public static float[] EnergyNorm(float[] wav, float floor = 0.01f, float scale = 0.999f)
    {
        ArgumentNullException.ThrowIfNull(wav);
        float peak = 0;
        foreach (var x in wav) peak = Math.Max(peak, Math.Abs(x));
        float div = Math.Max(peak, floor);
        var result = new float[wav.Length];
        for (int i = 0; i < wav.Length; i++) result[i] = wav[i] / div * scale;
        return result;
    }

    /// <summary>
    /// utils.py <c>trim_silence</c>: keeps the librosa non-silent span rounded up to whole <c>hop_size</c> frames, with
    /// <c>keep_left_time</c> before it (zero-padded when the speech starts earlier) and the rest of
    /// <c>keep_left_time + keep_right_time</c> after it (zero-padded past the end).
    /// </summary>
    public static float[] TrimSilence(float[] wav, TrimSilenceOptions? options = null) =>
        TrimSilence(wav, options ?? new TrimSilenceOptions(), out _);

    /// <inheritdoc cref="TrimSilence(float[], TrimSilenceOptions?)"/>
    public static float[] TrimSilence(float[] wav, TrimSilenceOptions options, out LibrosaTrimResult trim)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.HopSize <= 0 || options.SampleRate <= 0)
            throw new ArgumentException($"hop_size {options.HopSize} and sr {options.SampleRate} must be positive");
        trim = LibrosaTrim.Trim(wav, options.TopDb, options.FrameLength, options.HopLength);
        long numFrames = (trim.End - trim.Start + options.HopSize - 1) / options.HopSize;   // math.ceil
        long leftSil = (long)(options.KeepLeftTime * options.SampleRate);                  // int(...) truncates
        long startIdx = trim.Start - leftSil;
        // Python: wav[start_idx:] when start_idx > 0, else left-pad |start_idx| zeros; then cut or right-pad to out_len.
        long outLen = (long)(numFrames * options.HopSize + (options.KeepLeftTime + options.KeepRightTime) * options.SampleRate);
        var result = new float[outLen];
        for (long o = 0; o < outLen; o++)
        {
            long s = o + startIdx;   // the cut (start_idx > 0) and the left pad (start_idx <= 0) both map o to o + start_idx
            if (s >= 0 && s < wav.Length) result[o] = wav[s];
        }
        return result;
    }

    /// <summary>
    /// tokenizer.py <c>preprocess_wav</c> on one channel: resample <paramref name="sampleRate"/> → 16 kHz with
    /// <paramref name="resampler"/> (or torchaudio's defaults), then optionally energy-normalise and trim.
    /// </summary>
    public static float[] Preprocess(float[] wav, int sampleRate, bool energyNorm = true, bool trim = true,
        Resampler? resampler = null, TrimSilenceOptions? trimOptions = null,
        float energyNormFloor = 0.01f, float energyNormScale = 0.999f)
    {
        ArgumentNullException.ThrowIfNull(wav);
        if (wav.Length == 0) throw new ArgumentException("the prompt waveform is empty", nameof(wav));
        if (resampler != null && (resampler.OrigRate != sampleRate || resampler.NewRate != TokenizerSampleRate))
            throw new ArgumentException(
                $"resampler is {resampler.OrigRate} → {resampler.NewRate} Hz; needed {sampleRate} → {TokenizerSampleRate}");
        var x = resampler?.Apply(wav) ?? Resampler.Resample(wav, sampleRate, TokenizerSampleRate);
        if (energyNorm) x = EnergyNorm(x, energyNormFloor, energyNormScale);
        if (trim) x = TrimSilence(x, trimOptions ?? new TrimSilenceOptions(SampleRate: TokenizerSampleRate));
        return x;
    }
}
