using System.Collections.Concurrent;
using StepAudio.Audio;
using static TorchSharp.torch;

namespace StepAudio.Features;

/// <summary>
/// Upstream <c>CosyVoiceFrontEnd.extract_speech_feat</c> for one clip: mono (channel mean) → resample to the mel
/// rate (torchaudio sinc) → matcha log-mel. Returns <c>[num_mels, T]</c>; upstream's <c>speech_feat</c> is its
/// transpose with a batch dimension. Thread-safe.
/// </summary>
public sealed class SpeechFeatureExtractor : IDisposable
{
    readonly MelSpectrogram mel;
    readonly ConcurrentDictionary<int, Resampler> resamplers = new();

    /// <summary>Builds the extractor for <paramref name="parameters"/> (default: upstream).</summary>
    public SpeechFeatureExtractor(FeatureParams? parameters = null)
    {
        Params = parameters ?? FeatureParams.StepAudio;
        mel = new MelSpectrogram(Params.Mel);
    }

    /// <summary>The parameters features are computed with.</summary>
    public FeatureParams Params { get; }

    /// <summary>The clip as a mono float32 waveform <c>[1, N]</c> at <see cref="FeatureParams.SampleRate"/>.</summary>
    public Tensor Waveform(AudioClip clip)
    {
        ArgumentNullException.ThrowIfNull(clip);
        var wav = SampleTensor.FromClip(clip);
        if (clip.SampleRate == Params.SampleRate) return wav;
        var r = resamplers.GetOrAdd(clip.SampleRate, rate => new Resampler(rate, Params.SampleRate));
        using (wav) return r.Apply(wav);
    }

    /// <summary>The log-mel <c>[num_mels, T]</c> of a clip; <paramref name="source"/> names it in errors.</summary>
    public Tensor Extract(AudioClip clip, string source = "audio")
    {
        using var wav = Waveform(clip);
        if (wav.shape[1] < mel.MinSamples)
            throw new InputException(source, null, null,
                $"audio is too short for the log-mel: {clip.Duration * 1000:F0} ms " +
                $"(needs at least {1000.0 * mel.MinSamples / Params.SampleRate:F0} ms)",
                "remove the clip from the manifest or use a longer recording");
        return LogMel(wav);
    }

    /// <summary>Fewest samples (at <see cref="FeatureParams.SampleRate"/>) that give a log-mel frame.</summary>
    public int MinSamples => mel.MinSamples;

    /// <summary>The log-mel <c>[num_mels, T]</c> of a waveform from <see cref="Waveform"/> (no length check).</summary>
    public Tensor LogMel(Tensor waveform)
    {
        using var feats = mel.Compute(waveform);
        return feats.squeeze(0);
    }

    /// <summary>The log-mel <c>[num_mels, T]</c> of a WAV file.</summary>
    public Tensor Extract(string wavPath) => Extract(WavFile.Read(wavPath), wavPath);

    /// <inheritdoc />
    public void Dispose()
    {
        mel.Dispose();
        foreach (var r in resamplers.Values) r.Dispose();
        resamplers.Clear();
    }
}
