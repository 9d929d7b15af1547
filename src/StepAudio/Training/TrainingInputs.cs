using StepAudio.Config;
using StepAudio.Data;
using StepAudio.Features;

namespace StepAudio.Training;

/// <summary>
/// Everything a run reads, made ready once: the data validated and the feature cache filled (the same step as
/// <c>stepaudio prepare</c>), the audio front end (tokenizer and speaker encoder), the models, and the train and
/// validation splits with their examples.
/// </summary>
public sealed class TrainingInputs : IDisposable
{
    TrainingInputs(TrainingModels models, TrainingSplit train, TrainingSplit val, Tokenizers.AudioFrontEnd frontEnd, string identity)
    {
        Models = models; Train = train; Val = val; FrontEnd = frontEnd; FrontEndIdentity = identity;
    }

    /// <summary>The audio tokenizer and speaker encoder (audio samples during training tokenize new prompts).</summary>
    public Tokenizers.AudioFrontEnd FrontEnd { get; }

    /// <summary>The models.</summary>
    public TrainingModels Models { get; }
    /// <summary>The training split.</summary>
    public TrainingSplit Train { get; }
    /// <summary>The validation split (empty when <c>data.val_path</c> is not set).</summary>
    public TrainingSplit Val { get; }
    /// <summary>Tokenizer and speaker-encoder identity.</summary>
    public string FrontEndIdentity { get; }

    /// <summary>Validates the data, fills the caches, builds models and splits.</summary>
    public static TrainingInputs Prepare(StepAudioConfig config, bool llm, bool flow)
    {
        using var cache = new FeatureCache(ValidateData(config));
        var frontEnd = Tokenizers.AudioFrontEnd.Create(config, cache);
        using var features = new CachedClipFeatures(cache, frontEnd.Tokenizer, frontEnd.SpeakerEncoder);
        var models = TrainingModels.Build(config, llm, flow);
        TrainingSplit? train = null;
        try
        {
            var builder = new TrainingDataBuilder(config, features, models.Prompts, models.Llm?.Config);
            train = builder.Build(ManifestReader.Load(config.Data.TrainPath!), llm, flow);
            var val = config.Data.ValPath is { } v ? builder.Build(ManifestReader.Load(v), llm, flow) : new TrainingSplit();
            if ((llm && train.Llm.Count == 0) || (flow && train.Flow.Count == 0))
                throw config.Error("data.filter", $"leaves no training example of {config.Data.TrainPath} ({train.Filtered.Count} filtered out)",
                    "widen data.filter (min_length/max_length in 10 ms frames, token_min/max_length in dual frames)");
            return new TrainingInputs(models, train, val, frontEnd, features.Identity);
        }
        catch
        {
            train?.Dispose();
            models.Dispose();
            frontEnd.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Validates the config's manifests as training does and fills the feature cache (log-mels); returns the cache
    /// folder. A report with errors is an <see cref="InputException"/> carrying the report.
    /// </summary>
    public static string ValidateData(StepAudioConfig config)
    {
        var extraction = FeatureExtraction.Run(config);
        if (extraction.Report.HasErrors)
            throw new InputException(config.Data.TrainPath ?? "(config)", null, null,
                "the data has errors:\n" + DataReportText.Render(extraction.Report),
                "fix the listed records (stepaudio validate-data shows the same report)");
        return extraction.CacheDirectory;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Train.Dispose();
        Val.Dispose();
        Models.Dispose();
        FrontEnd.Dispose();
    }
}
