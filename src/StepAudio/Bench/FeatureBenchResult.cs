

namespace StepAudio.Bench;

/// <summary>What <see cref="FeatureBench.Run"/> measured: each WAV in the folder, the synthetic clip, and what was skipped.</summary>
public sealed record FeatureBenchResult(IReadOnlyList<FeatureBenchClip> Clips, FeatureBenchClip Synthetic,
    IReadOnlyList<string> Skipped, int Threads, int Repeats)
{
    /// <summary>Mean per-clip timings over the folder's clips (null when the folder had none).</summary>
    public FeatureBenchClip? FolderMean => Clips.Count == 0 ? null : new FeatureBenchClip("folder mean",
        0, 0, Clips.Average(c => c.Seconds), (long)Clips.Average(c => c.MelFrames),
        Clips.Average(c => c.ResampleMs), Clips.Average(c => c.MelMs));
}
