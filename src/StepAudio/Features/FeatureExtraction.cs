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
/// What <see cref="FeatureExtraction.PrepareAudioTokens"/> did: the front end's identities, per-clip cache outcomes
/// for audio tokens (a use with precomputed manifest tokens is not tokenized; a clip used as a prompt is tokenized the
/// way training reads prompts, after upstream's prompt preprocessing) and speaker embeddings (every target without a
/// precomputed <c>speaker_embedding</c>), and the clips that failed, each with its reason.
/// </summary>
public sealed record AudioTokenSummary(
    string TokenizerIdentity, string SpeakerEncoderIdentity, int Clips,
    int TokenizedClips, int PrecomputedClips, int TokenHits, int TokenComputed, int TokenRebuilt, long Tokens,
    int EmbeddingHits, int EmbeddingComputed, int EmbeddingRebuilt, TimeSpan Elapsed,
    IReadOnlyList<ClipError> Errors)
{
    /// <summary>Whether any clip failed.</summary>
    public bool HasErrors => Errors.Count > 0;
}

/// <summary>A clip the front end could not process, and why (the error's message names the file and what to do).</summary>
public sealed record ClipError(string AudioPath, string Message);

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
    /// errors, fills the cache. With <paramref name="skipInvalidRecords"/>, a report with errors fills the cache for the
    /// records without errors (<see cref="UsableRecords"/>) instead of nothing. Returns the report either way (check
    /// <see cref="DataReport.HasErrors"/>).
    /// </summary>
    public static FeatureExtractionSummary Run(StepAudioConfig config, Action<FeatureExtractionProgress>? progress = null,
        bool skipInvalidRecords = false)
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
        if (report.HasErrors && !skipInvalidRecords)
            return new FeatureExtractionSummary(report, cacheDir, 0, 0, 0, 0, 0, watch.Elapsed);

        var clips = UsableRecords(config, report)
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
    /// The train and val records that <paramref name="report"/> (the config's validation) has no error for: all of them
    /// when it has none; none of a manifest with an error not tied to a line (unreadable, not UTF-8 …).
    /// </summary>
    public static IReadOnlyList<ManifestRecord> UsableRecords(StepAudioConfig config, DataReport report)
    {
        var manifests = new[] { config.Data.TrainPath, config.Data.ValPath }.OfType<string>().Select(Path.GetFullPath).ToList();
        var errors = report.Errors;
        if (errors.Any(e => !manifests.Contains(Path.GetFullPath(e.File)))) return [];
        var badLines = errors.Where(e => e.Line is not null).Select(e => (Path.GetFullPath(e.File), e.Line!.Value)).ToHashSet();
        var badFiles = errors.Where(e => e.Line is null).Select(e => Path.GetFullPath(e.File)).ToHashSet();
        return manifests.Where(m => !badFiles.Contains(m))
            .SelectMany(m => ManifestReader.Parse(m).Records)
            .Where(r => !badLines.Contains((Path.GetFullPath(r.ManifestPath), r.Line))).ToList();
    }

    /// <summary>
    /// The step after <see cref="Run"/> (whose report must be free of errors): builds the config's audio front end
    /// (<see cref="AudioFrontEnd.Create"/>) and caches what training reads for every train and val record: the
    /// target's audio tokens, the prompt's tokens after upstream's prompt preprocessing (<see cref="PromptTokenizer"/>)
    /// and the target's speaker embedding, each keyed by the clip and the model identity, skipping what the manifest
    /// gives precomputed. A clip the front end rejects (silent, too short) is collected in
    /// <see cref="AudioTokenSummary.Errors"/> and the others go on. <paramref name="records"/> limits the work to those
    /// records (e.g. <see cref="UsableRecords"/>; default: every record). <paramref name="progress"/> reports each clip;
    /// <paramref name="log"/> hears what was loaded or fitted.
    /// </summary>
    public static AudioTokenSummary PrepareAudioTokens(StepAudioConfig config,
        Action<FeatureExtractionProgress>? progress = null, Action<string>? log = null,
        IReadOnlyList<ManifestRecord>? records = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        var watch = Stopwatch.StartNew();
        records ??= new[] { config.Data.TrainPath, config.Data.ValPath }.OfType<string>()
            .SelectMany(ManifestReader.Load).ToList();
        var clips = records.SelectMany(r => new[] { r.PromptAudioPath, r.TargetAudioPath })
            .Distinct(StringComparer.Ordinal).ToList();
        var targetTokens = records.Where(r => r.TargetAudioTokens is null).Select(r => r.TargetAudioPath).ToHashSet(StringComparer.Ordinal);
        var promptTokens = records.Where(r => r.PromptAudioTokens is null).Select(r => r.PromptAudioPath).ToHashSet(StringComparer.Ordinal);
        var embeddings = records.Where(r => r.SpeakerEmbedding is null).Select(r => r.TargetAudioPath).ToHashSet(StringComparer.Ordinal);

        using var cache = new FeatureCache(CacheDirectory(config), FeatureParams.StepAudio);
        using var frontEnd = AudioFrontEnd.Create(config, cache, log);
        using var prompts = new PromptTokenizer(frontEnd.Tokenizer);
        FeatureCacheEventKind? tokenOutcome = null, embeddingOutcome = null;
        cache.Reported += e =>
        {
            if (e.Kind is FeatureCacheEventKind.Written) return;
            if (e.Slot == "audio_tokens") tokenOutcome ??= e.Kind;
            else if (e.Slot == "speaker_embedding") embeddingOutcome ??= e.Kind;
        };
        var tokenCounts = new OutcomeCounts();
        var embeddingCounts = new OutcomeCounts();
        var errors = new List<ClipError>();
        int tokenized = 0;
        long tokens = 0;
        for (int i = 0; i < clips.Count; i++)
        {
            var clip = clips[i];
            tokenOutcome = embeddingOutcome = null;
            try
            {
                bool any = false;
                if (targetTokens.Contains(clip))
                {
                    tokens += cache.GetAudioTokens(clip, frontEnd.Tokenizer).Length;
                    tokenCounts.Add(tokenOutcome);
                    any = true;
                }
                if (promptTokens.Contains(clip))
                {
                    tokenOutcome = null;
                    tokens += cache.GetAudioTokens(clip, prompts).Length;
                    tokenCounts.Add(tokenOutcome);
                    any = true;
                }
                if (any) tokenized++;
                if (embeddings.Contains(clip))
                {
                    cache.GetSpeakerEmbedding(clip, frontEnd.SpeakerEncoder);
                    embeddingCounts.Add(embeddingOutcome);
                }
            }
            catch (InputException e)
            {
                errors.Add(new ClipError(clip, e.Message));
            }
            progress?.Invoke(new FeatureExtractionProgress(i + 1, clips.Count, clip,
                tokenOutcome ?? embeddingOutcome ?? FeatureCacheEventKind.Hit));
        }
        return new AudioTokenSummary(frontEnd.Tokenizer.Identity, frontEnd.SpeakerEncoder.Identity, clips.Count,
            tokenized, clips.Count - tokenized, tokenCounts.Hits, tokenCounts.Computed, tokenCounts.Rebuilt, tokens,
            embeddingCounts.Hits, embeddingCounts.Computed, embeddingCounts.Rebuilt, watch.Elapsed, errors);
    }

    sealed class OutcomeCounts
    {
        public int Hits, Computed, Rebuilt;

        public void Add(FeatureCacheEventKind? outcome)
        {
            switch (outcome)
            {
                case FeatureCacheEventKind.Hit: Hits++; break;
                case FeatureCacheEventKind.Miss: Computed++; break;
                default: Rebuilt++; break;
            }
        }
    }
}
