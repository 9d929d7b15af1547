using StepAudio.Audio;

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
        var p = MelParams.StepAudio;
        var mono = clip.ToMono();
        var samples = clip.SampleRate == p.SamplingRate ? mono : Resampler.Resample(mono, clip.SampleRate, p.SamplingRate);
        using var spectrogram = new MelSpectrogram(p);
        if (samples.Length < spectrogram.MinSamples)
            throw new ArgumentException(
                $"ClipMel.Of: clip of {clip.Length} samples ({1000 * clip.Duration:0.#} ms) is too short for a mel; it needs " +
                $"{1000.0 * spectrogram.MinSamples / p.SamplingRate:0.#} ms", nameof(clip));
        using var mel = spectrogram.Compute(samples);
        return MelChart.ToArray(mel);
    }
}
