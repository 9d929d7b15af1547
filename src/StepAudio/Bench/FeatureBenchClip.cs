

namespace StepAudio.Bench;

/// <summary>
/// Best-of-N timings of one clip through the feature pipeline: <see cref="ResampleMs"/> covers the mono downmix and
/// the resampling, <see cref="MelMs"/> the log-mel.
/// </summary>
public sealed record FeatureBenchClip(string Name, int SampleRate, int Channels, double Seconds, long MelFrames,
    double ResampleMs, double MelMs)
{
    /// <summary>Resampling plus log-mel.</summary>
    public double TotalMs => ResampleMs + MelMs;
}
