using System.Text.Json.Nodes;
using StepAudio.Config;
using StepAudio.Data;
using StepAudio.Features;
using StepAudio.Tokenizers;

namespace StepAudio.Training;

/// <summary>What <c>stepaudio export-data</c> is asked: a run folder or a config, and where to write.</summary>
public sealed record TrainingDataExportOptions
{
    /// <summary>A run folder: its <c>config.yaml</c>, its mode and its <c>front_end/</c> (the tiny default's fitted models).</summary>
    public string? Run { get; init; }
    /// <summary>A config file (instead of <see cref="Run"/>): its front end, fitted into the cache when missing.</summary>
    public string? Config { get; init; }
    /// <summary>The output folder.</summary>
    public required string Output { get; init; }
    /// <summary>Which models' examples (default: the run's mode, else the config's <c>train_mode</c>).</summary>
    public TrainMode? Mode { get; init; }
    /// <summary>Replace an output folder that exists and is not empty.</summary>
    public bool Overwrite { get; init; }
}

/// <summary>What one split holds in the export.</summary>
public sealed record TrainingDataSplitSummary(string Name, int Records, int LlmItems, int FlowClips, int JointPairs, int Filtered);

/// <summary>What <see cref="TrainingDataExport.Export"/> wrote.</summary>
public sealed record TrainingDataExportResult(string Output, TrainMode Mode, IReadOnlyList<string> Files,
    IReadOnlyList<TrainingDataSplitSummary> Splits);

/// <summary>
/// Writes the examples the trainer trains on — built by the same <see cref="TrainingDataBuilder"/> from the same
/// config, front end and <c>data.filter</c> — as plain tensors PyTorch reads without this toolkit
/// (<see cref="TrainingDataFiles"/>; <c>scripts/stepaudio_data.py</c> is the reader). This is how a run continues
/// on several GPUs under torchrun, which TorchSharp cannot do. From a run folder the run's tokenizer and speaker
/// encoder are used and checked against <c>run.json</c>, so the tokens are the run's, not a refitted cache's.
/// </summary>
public static class TrainingDataExport
{
    /// <summary>Builds the train and val examples and writes them into <paramref name="options"/>.Output (atomically).</summary>
    public static TrainingDataExportResult Export(TrainingDataExportOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if ((options.Run is null) == (options.Config is null))
            throw new InputException("--run/--config", null, null, "give exactly one of --run DIR and --config FILE",
                "--run exports the examples of a finetune run (its config and fitted front end); --config those of a config");
        var output = Path.GetFullPath(options.Output);
        var source = options.Run is { } r ? FromRun(Path.GetFullPath(r)) : FromConfig(Path.GetFullPath(options.Config!));
        var config = source.Config;
        var mode = options.Mode ?? source.Mode;
        bool llm = mode != TrainMode.Flow, flow = mode != TrainMode.Llm;
        var cacheDir = FeatureExtraction.CacheDirectory(config);
        ExportFolder.Check(output, options.Overwrite,
            [source.RunDir, config.SourcePath, config.Data.TrainPath, config.Data.ValPath, cacheDir, config.Model.Llm.TokenizerPath]);

        TrainingInputs.ValidateData(config);
        using var cache = new FeatureCache(cacheDir);
        using var frontEnd = source.FrontEnd(cache);
        using var features = new CachedClipFeatures(cache, frontEnd.Tokenizer, frontEnd.SpeakerEncoder);
        if (source.FrontEndIdentity is { } expected && expected != features.Identity)
            throw new InputException(source.RunJson!, null, "audio_front_end",
                $"the run tokenized with {expected}, but the front end found now is {features.Identity}: its tokens would not be the run's",
                "keep the run's front_end/ folder (tiny default) or the same released tokenizer and CAM++ files, or export with --config");
        var llmConfig = llm ? TrainingModels.LlmConfig(config) : null;
        var prompts = llmConfig is null ? null : TrainingModels.BuildPrompts(config, llmConfig).Prompts;
        var builder = new TrainingDataBuilder(config, features, prompts, llmConfig);

        var splits = new List<(string Name, string Manifest, TrainingSplit Split)>();
        try
        {
            splits.Add(("train", config.Data.TrainPath!, builder.Build(ManifestReader.Load(config.Data.TrainPath!), llm, flow)));
            if (config.Data.ValPath is { } v) splits.Add(("val", v, builder.Build(ManifestReader.Load(v), llm, flow)));
            var files = ExportFolder.Write(output, dir =>
            {
                foreach (var (name, _, split) in splits) TrainingDataFiles.WriteSplit(dir, name, split);
                ConfigWriter.Save(config, Path.Combine(dir, TrainingDataFiles.ConfigFile));
                var metadata = TrainingDataFiles.Metadata(config, mode, source.RunDir, features.Identity, llmConfig,
                    frontEnd.SpeakerEncoder.Dimension, splits.Select(s => (s.Name, s.Manifest, s.Split)).ToList());
                TrainingDataFiles.WriteMetadata(dir, metadata);
            });
            return new TrainingDataExportResult(output, mode, files, splits.Select(s => new TrainingDataSplitSummary(s.Name,
                s.Split.Records, s.Split.Llm.Count, s.Split.Flow.Count, s.Split.Joint.Count, s.Split.Filtered.Count)).ToList());
        }
        finally
        {
            foreach (var s in splits) s.Split.Dispose();
        }
    }

    sealed record Source(StepAudioConfig Config, TrainMode Mode, string? RunDir, string? RunJson, string? FrontEndIdentity,
        Func<FeatureCache, AudioFrontEnd> FrontEnd);

    static Source FromConfig(string path)
    {
        var config = ConfigLoader.Load(path);
        return new Source(config, config.TrainMode, null, null, null, cache => AudioFrontEnd.Create(config, cache));
    }

    static Source FromRun(string runDir)
    {
        var run = RunExport.OpenRun(runDir);
        var config = ConfigLoader.Load(run.ConfigFile);
        var runJson = RunExport.ReadRunJson(run);
        // The examples must be the run's: manifests edited since it started would give others.
        var changes = run.Changes(config);
        if (changes.Count > 0)
            throw new InputException(run.RunJson, null, "manifests",
                "the data differ from what this run trained on: " + string.Join("; ", changes.Take(8)),
                "export from the manifests the run used, or export the current data with --config");
        var modeText = runJson["mode"]?.GetValue<string>() ?? "both";
        if (!Enum.TryParse<TrainMode>(modeText, ignoreCase: true, out var mode))
            throw new InputException(run.RunJson, null, "mode", $"'{modeText}' is not a train mode", "give --mode llm, flow or both");
        return new Source(config, mode, run.Path, run.RunJson, runJson["audio_front_end"]?.GetValue<string>(),
            cache => RunFrontEnd(run, config, cache));
    }

    /// <summary>The tiny default's models the run copied into <c>front_end/</c>; otherwise the config's front end.</summary>
    static AudioFrontEnd RunFrontEnd(RunFolder run, StepAudioConfig config, FeatureCache cache)
    {
        var tokenizer = Path.Combine(run.Path, "front_end", TinyTokenizers.TokenizerFileName);
        var speaker = Path.Combine(run.Path, "front_end", TinyTokenizers.SpeakerEncoderFileName);
        if (!string.IsNullOrWhiteSpace(config.Model.Tokenizer.ModelPath) || !File.Exists(tokenizer) || !File.Exists(speaker))
            return AudioFrontEnd.Create(config, cache);
        return new AudioFrontEnd(TinyAudioTokenizer.Load(tokenizer), TinySpeakerEncoder.Load(speaker));
    }
}
