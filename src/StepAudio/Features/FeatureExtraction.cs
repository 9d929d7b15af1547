using System.Diagnostics;
using StepAudio.Config;
using StepAudio.Data;

namespace StepAudio.Features;

/// <summary>What <see cref="FeatureExtraction.Run"/> did: the data report and the cache outcome per clip.</summary>
public sealed record FeatureExtractionSummary(
    DataReport Report, string CacheDirectory, int Clips, int Hits, int Computed, int Rebuilt, long MelFrames,
    TimeSpan Elapsed);

/// <summary>Progress of a feature extraction: <paramref name="Done"/> of <paramref name="Total"/> clips.</summary>
public sealed record FeatureExtractionProgress(int Done, int Total, string AudioPath, FeatureCacheEventKind Outcome);

/// <summary>
/// The first step of every run: validate the config's manifests, then make sure every prompt and target clip has
/// a valid feature-cache entry (computed once, reused by later epochs and runs).
/// </summary>
public static class FeatureExtraction
{
    /// <summary>The cache folder a config uses: <c>data.cache_dir</c>, else <c>.cache/features</c> beside the train manifest.</summary>
    public static string CacheDirectory(StepAudioConfig config) =>
        config.Data.CacheDir ?? Path.Combine(Path.GetDirectoryName(Path.GetFullPath(config.Data.TrainPath
            ?? throw config.Error("data.train_path", "is not set", "point it at a JSONL manifest")))!, ".cache", "features");

    /// <summary>
    /// Validates <c>data.train_path</c>/<c>data.val_path</c> for the config's train mode; when the report has no
    /// errors, fills the cache. Returns the report either way (check <see cref="DataReport.HasErrors"/>).
    /// </summary>
    public static FeatureExtractionSummary Run(StepAudioConfig config, Action<FeatureExtractionProgress>? progress = null)
    {
        var watch = Stopwatch.StartNew();
        var manifests = new[] { config.Data.TrainPath, config.Data.ValPath }.OfType<string>().ToArray();
        var cacheDir = CacheDirectory(config);
        if (config.Data.SampleRate != FeatureParams.StepAudio.SampleRate)
            throw config.Error("data.sample_rate",
                $"is {config.Data.SampleRate} Hz, but the flow's log-mel is defined at {FeatureParams.StepAudio.SampleRate} Hz",
                $"set data.sample_rate: {FeatureParams.StepAudio.SampleRate} (clips at other rates are resampled)");
        var report = ManifestValidator.Validate(manifests, config.Data, config.TrainMode);
        if (report.HasErrors)
            return new FeatureExtractionSummary(report, cacheDir, 0, 0, 0, 0, 0, watch.Elapsed);

        var clips = manifests.SelectMany(ManifestReader.Load)
            .SelectMany(r => new[] { r.PromptAudioPath, r.TargetAudioPath })
            .Distinct(StringComparer.Ordinal).ToList();
        int hits = 0, computed = 0, rebuilt = 0;
        long frames = 0;
        using var cache = new FeatureCache(cacheDir, FeatureParams.StepAudio);
        var outcome = FeatureCacheEventKind.Hit;
        cache.Reported += e =>
        {
            if (e.Kind is FeatureCacheEventKind.Hit or FeatureCacheEventKind.Miss or FeatureCacheEventKind.Corrupt
                or FeatureCacheEventKind.Stale)
                outcome = e.Kind;
        };
        for (int i = 0; i < clips.Count; i++)
        {
            using (var features = cache.Get(clips[i])) frames += features.Frames;
            switch (outcome)
            {
                case FeatureCacheEventKind.Hit: hits++; break;
                case FeatureCacheEventKind.Miss: computed++; break;
                default: rebuilt++; break;
            }
            progress?.Invoke(new FeatureExtractionProgress(i + 1, clips.Count, clips[i], outcome));
        }
        return new FeatureExtractionSummary(report, cacheDir, clips.Count, hits, computed, rebuilt, frames, watch.Elapsed);
    }
}
