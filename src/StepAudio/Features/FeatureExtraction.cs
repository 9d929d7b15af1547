using System.Diagnostics;
using StepAudio.Config;
using StepAudio.Data;
using StepAudio.Tokenizers;

namespace StepAudio.Features;

/// <summary>What <see cref="FeatureExtraction.Run"/> did: the data report and the cache outcome per clip.</summary>
public sealed record FeatureExtractionSummary(
    DataReport Report, string CacheDirectory, int Clips, int Hits, int Computed, int Rebuilt, long MelFrames,
    TimeSpan Elapsed);

/// <summary>
/// What <see cref="FeatureExtraction.PrepareAudioTokens"/> did: the front end's identities, and per-clip cache
/// outcomes for audio tokens (clips whose every use has precomputed manifest tokens are not tokenized) and speaker
/// embeddings (every clip).
/// </summary>
public sealed record AudioTokenSummary(
    string TokenizerIdentity, string SpeakerEncoderIdentity, int Clips,
    int TokenizedClips, int PrecomputedClips, int TokenHits, int TokenComputed, int TokenRebuilt, long Tokens,
    int EmbeddingHits, int EmbeddingComputed, int EmbeddingRebuilt, TimeSpan Elapsed);

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
        ArgumentNullException.ThrowIfNull(config);
        var watch = Stopwatch.StartNew();
        var manifests = new[] { config.Data.TrainPath, config.Data.ValPath }.OfType<string>().ToArray();
        var cacheDir = CacheDirectory(config);
        if (config.Data.SampleRate != FeatureParams.StepAudio.SampleRate)
            throw config.Error("data.sample_rate",
                $"is {config.Data.SampleRate} Hz, but the flow's log-mel is defined at {FeatureParams.StepAudio.SampleRate} Hz",
                $"set data.sample_rate: {FeatureParams.StepAudio.SampleRate} (clips at other rates are resampled)");
        var report = ManifestValidator.Validate(manifests, config.Data, config.TrainMode, prosody: false);
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

    /// <summary>
    /// The step after <see cref="Run"/> (whose report must be free of errors): builds the config's audio front end
    /// (<see cref="AudioFrontEnd.Create"/>: the tiny tokenizer and speaker encoder, fitted on the train clips when
    /// missing) and caches the audio tokens and speaker embedding of every train and val clip, keyed by the clip and
    /// the model identity. A clip whose every manifest use carries precomputed tokens (<c>prompt_audio_tokens</c> /
    /// <c>target_audio_tokens</c>) is not tokenized. <paramref name="progress"/> reports each clip's token outcome
    /// (its embedding outcome when it is not tokenized); <paramref name="log"/> hears the fit.
    /// </summary>
    public static AudioTokenSummary PrepareAudioTokens(StepAudioConfig config,
        Action<FeatureExtractionProgress>? progress = null, Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        var watch = Stopwatch.StartNew();
        var records = new[] { config.Data.TrainPath, config.Data.ValPath }.OfType<string>()
            .SelectMany(ManifestReader.Load).ToList();
        var clips = records.SelectMany(r => new[] { r.PromptAudioPath, r.TargetAudioPath })
            .Distinct(StringComparer.Ordinal).ToList();
        var needTokens = records
            .SelectMany(r => new[] { r.PromptAudioTokens is null ? r.PromptAudioPath : null, r.TargetAudioTokens is null ? r.TargetAudioPath : null })
            .OfType<string>().ToHashSet(StringComparer.Ordinal);

        using var cache = new FeatureCache(CacheDirectory(config), FeatureParams.StepAudio);
        var frontEnd = AudioFrontEnd.Create(config, cache, log);
        FeatureCacheEventKind? tokenOutcome = null, embeddingOutcome = null;
        cache.Reported += e =>
        {
            if (e.Kind is FeatureCacheEventKind.Written) return;
            if (e.Slot == "audio_tokens") tokenOutcome ??= e.Kind;
            else if (e.Slot == "speaker_embedding") embeddingOutcome ??= e.Kind;
        };
        int tokenized = 0, tokenHits = 0, tokenComputed = 0, tokenRebuilt = 0;
        int embHits = 0, embComputed = 0, embRebuilt = 0;
        long tokens = 0;
        for (int i = 0; i < clips.Count; i++)
        {
            var clip = clips[i];
            tokenOutcome = embeddingOutcome = null;
            if (needTokens.Contains(clip))
            {
                tokens += cache.GetAudioTokens(clip, frontEnd.Tokenizer).Length;
                tokenized++;
                Count(tokenOutcome, ref tokenHits, ref tokenComputed, ref tokenRebuilt);
            }
            cache.GetSpeakerEmbedding(clip, frontEnd.SpeakerEncoder);
            Count(embeddingOutcome, ref embHits, ref embComputed, ref embRebuilt);
            progress?.Invoke(new FeatureExtractionProgress(i + 1, clips.Count, clip,
                tokenOutcome ?? embeddingOutcome ?? FeatureCacheEventKind.Hit));
        }
        return new AudioTokenSummary(frontEnd.Tokenizer.Identity, frontEnd.SpeakerEncoder.Identity, clips.Count,
            tokenized, clips.Count - tokenized, tokenHits, tokenComputed, tokenRebuilt, tokens,
            embHits, embComputed, embRebuilt, watch.Elapsed);

        static void Count(FeatureCacheEventKind? outcome, ref int hits, ref int computed, ref int rebuilt)
        {
            switch (outcome)
            {
                case FeatureCacheEventKind.Hit: hits++; break;
                case FeatureCacheEventKind.Miss: computed++; break;
                default: rebuilt++; break;
            }
        }
    }
}
