using StepAudio.Audio;
using StepAudio.Features;

namespace StepAudio.Notebooks;

/// <summary>
/// The model's log-mel of a clip, as the flow sees it: mono downmix, resampled to 24 kHz when needed, then
/// <see cref="MelSpectrogram"/> (hop 480). Its column k is frame k of <see cref="Prosody.Analyze"/>, so a pitch contour
/// lines up with it.
/// </summary>
public static class ClipMel
{
    /// <summary>The mel [80, frames] of <paramref name="clip"/>.</summary>
    public static float[,] Of(AudioClip clip)
    {
        ViewChecks.Clip(clip, "ClipMel.Of", nameof(clip));
        using var features = new SpeechFeatureExtractor();   // the flow's own mono downmix and 24 kHz resampling
        using var wav = features.Waveform(clip);
        if (wav.shape[1] < features.MinSamples)
            throw new ArgumentException(
                $"ClipMel.Of: clip of {clip.Length} samples ({1000 * clip.Duration:0.#} ms) is too short for a mel; it needs " +
                $"{1000.0 * features.MinSamples / features.Params.SampleRate:0.#} ms", nameof(clip));
        using var mel = features.LogMel(wav);
        return MelChart.ToArray(mel);
    }
}
