using System.Globalization;
using System.Text.Json.Nodes;
using StepAudio.Audio;
using StepAudio.Config;
using StepAudio.Data;
using StepAudio.Features;
using StepAudio.Inference;
using StepAudio.Nn;
using StepAudio.Tokenizers;
using StepAudio.Training;
using static TorchSharp.torch;

namespace StepAudio.Evaluation;

/// <summary>How <see cref="RunEvaluation"/> generates.</summary>
public sealed record EvaluationOptions
{
    /// <summary>Evaluate only the first N validation records (null: all).</summary>
    public int? MaxRecords { get; init; }
    /// <summary>Sampling seed; record i uses seed + i, before and after alike (null: the config's <c>seed</c>).</summary>
    public long? Seed { get; init; }
    /// <summary>
    /// Longest audio the LLM may write, in seconds. Each record is further capped at 1.5 × its target's length (at
    /// least 2 s), as the trainer's samples are, so an untrained model that never says EOS costs little.
    /// </summary>
    public double MaxSeconds { get; init; } = 20;
}

/// <summary>
/// <c>stepaudio evaluate</c>: did fine-tuning help? Every validation record of a run's config is cloned (clone and
/// pronunciation records) or edited (the other edit types) with the base models the run started from — built from the
/// run's <c>config.yaml</c> by <see cref="TrainingModels.Build"/>, as the trainer built them — and again with the run's
/// best checkpoints (as <c>clone --run</c> loads them); each output is measured against the record's target clip
/// (<see cref="SpeechMetrics"/>): speaker cosine by the config's speaker encoder, MCD-DTW, and F0 RMSE along the DTW
/// path. Same seeds before and after, so the report is deterministic.
/// </summary>
public static class RunEvaluation
{
    /// <summary>The report's file name in the run folder.</summary>
    public const string FileName = "eval.json";

    /// <summary>
    /// Evaluates the run in <paramref name="runDir"/> (a run folder, or a folder of runs: its newest).
    /// <paramref name="log"/> hears one line per generated clip.
    /// </summary>
    public static EvaluationReport Run(string runDir, EvaluationOptions? options = null, Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(runDir);
        options ??= new EvaluationOptions();
        if (!(options.MaxSeconds > 0)) throw new ArgumentOutOfRangeException(nameof(options), $"RunEvaluation.Run: MaxSeconds must be positive; got {options.MaxSeconds}");
        if (options.MaxRecords is < 1) throw new ArgumentOutOfRangeException(nameof(options), $"RunEvaluation.Run: MaxRecords must be at least 1; got {options.MaxRecords}");
        var dir = RunFolder.Resolve(runDir);
        var runJson = Path.Combine(dir, "run.json");
        if (!File.Exists(runJson))
            throw new InputException(dir, null, "--run", "holds no run (no run.json here, nor in a run-NNN folder inside)",
                "give a run folder finetune wrote, or the folder of runs (save.ckpt_dir) to take its newest");
        var configFile = Path.Combine(dir, "config.yaml");
        if (!File.Exists(configFile))
            throw new InputException(configFile, null, "--run", "is missing: the run's resolved config names its models and validation data",
                "evaluate a complete run folder");
        var config = ConfigLoader.Load(configFile);
        var valPath = config.Data.ValPath ?? throw config.Error("data.val_path", "is not set, so there is nothing to evaluate on",
            "set it to a validation JSONL manifest");
        var records = ManifestReader.Load(valPath).Take(options.MaxRecords ?? int.MaxValue).ToList();
        if (records.Count == 0)
            throw new InputException(valPath, null, "data.val_path", "holds no records to evaluate on", "add validation records (make-manifest --val-ratio)");
        var run = InputException.ReadingJson(runJson, () => JsonNode.Parse(File.ReadAllText(runJson))!.AsObject());
        long seed = options.Seed ?? config.Seed;

        int threadsBefore = get_num_threads();
        if (config.NumThreads > 0) set_num_threads(config.NumThreads);
        try
        {
            using var features = new SpeechFeatureExtractor();
            var targets = new Dictionary<string, Reference>(StringComparer.Ordinal);
            // After first: a run without best checkpoints fails before the base models spend any time.
            List<ClipMetrics> after, before;
            ISpeakerEncoder encoder;
            using (var tts = StepAudioTts.Load(config, dir))
            {
                encoder = tts.FrontEnd.SpeakerEncoder;
                after = Generate("after", tts, records, targets, features, encoder, seed, options.MaxSeconds, log);
            }
            using (var tts = StepAudioTts.Load(config))
                before = Generate("before", tts, records, targets, features, encoder, seed, options.MaxSeconds, log);
            var evaluated = records.Select((r, i) => new RecordEvaluation(r.Location, r.EditType.ToManifestName(), r.EditInfo,
                r.TargetAudioPath, targets[r.TargetAudioPath].Seconds, before[i], after[i])).ToList();
            var llm = Path.Combine(dir, "llm_best", "llm_best.pt");
            var flow = Path.Combine(dir, "flow_best.pt");
            return new EvaluationReport(dir, DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture), valPath, seed, options.MaxSeconds,
                run["llm_base"]?.GetValue<string>() ?? "the config's base LLM", run["flow_base"]?.GetValue<string>() ?? "the config's base flow",
                File.Exists(llm) ? llm : null, File.Exists(flow) ? flow : null, encoder.Identity, Notes(dir),
                EvaluationReport.GroupsOf(evaluated), evaluated);
        }
        finally
        {
            set_num_threads(threadsBefore);
        }
    }

    /// <summary>Writes <paramref name="report"/> as <c>eval.json</c> into its run folder (atomically) and returns the path.</summary>
    public static string Save(EvaluationReport report)
    {
        var path = Path.Combine(report.RunDirectory, FileName);
        AtomicFile.WriteAllText(path, EvaluationReportJson.Serialize(report));
        return path;
    }

    // The target side of a record, measured once per clip.
    sealed record Reference(float[,] Mel, float[] Embedding, ProsodyContour Contour, double Seconds);

    static List<ClipMetrics> Generate(string side, StepAudioTts tts, List<ManifestRecord> records, Dictionary<string, Reference> targets,
        SpeechFeatureExtractor features, ISpeakerEncoder encoder, long seed, double maxSeconds, Action<string>? log)
    {
        var result = new List<ClipMetrics>(records.Count);
        foreach (var (r, i) in records.Select((r, i) => (r, i)))
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            if (!targets.TryGetValue(r.TargetAudioPath, out var target))
                targets[r.TargetAudioPath] = target = Measure(WavFile.Read(r.TargetAudioPath), r.TargetAudioPath, features, encoder);
            var ttsOptions = new TtsOptions { Seed = seed + i, MaxSeconds = Math.Min(maxSeconds, Math.Max(2, 1.5 * target.Seconds)) };
            ClipMetrics metrics;
            try
            {
                var output = tts.Render(r, ttsOptions);
                metrics = Compare(target, output, features, encoder);
            }
            catch (InvalidOperationException e)
            {
                metrics = new ClipMetrics(null, null, null, 0, 0, false, e.Message);
            }
            result.Add(metrics);
            log?.Invoke($"{side} {i + 1}/{records.Count} {r.EditType.ToManifestName()} {Path.GetFileName(r.TargetAudioPath)}: {Describe(metrics)}");
        }
        return result;
    }

    static string Describe(ClipMetrics m) => m.Error ?? FormattableString.Invariant(
        $"cosine {m.SpeakerSimilarity:F3}, MCD {m.McdDb:F2} dB, F0 RMSE {(m.F0RmseCents is { } c ? c.ToString("F1", CultureInfo.InvariantCulture) + " cents" : "– (no frame voiced in both)")}, {m.Seconds:F2} s");

    static Reference Measure(AudioClip clip, string source, SpeechFeatureExtractor features, ISpeakerEncoder encoder)
    {
        using var mel = features.Extract(clip, source);
        // As the feature cache embeds a clip: the decoded audio with its 24 kHz log-mel.
        var embedding = encoder.Embed(new TokenizerInput(clip, mel, source));
        return new Reference(TensorArrays.ToFloat2D(mel), embedding, Prosody.Analyze(clip), clip.Duration);
    }

    static ClipMetrics Compare(Reference target, TtsResult output, SpeechFeatureExtractor features, ISpeakerEncoder encoder)
    {
        var clip = output.Audio;
        // Generated audio is measured from its waveform, through the same path as the target: what one hears.
        if ((long)clip.Length * features.Params.SampleRate / clip.SampleRate < features.MinSamples)
            return new ClipMetrics(null, null, null, 0, clip.Duration, output.StoppedAtEos, "the generated clip is too short to measure");
        var generated = Measure(clip, "generated", features, encoder);
        var mcd = SpeechMetrics.Mcd(target.Mel, generated.Mel);
        var (cents, voiced) = SpeechMetrics.F0RmseCents(target.Contour, generated.Contour, mcd.Path);
        double cosine = SpeechMetrics.Cosine(generated.Embedding, target.Embedding);
        return new ClipMetrics(Finite(cosine), Finite(mcd.Db), Finite(cents), voiced, clip.Duration, output.StoppedAtEos);
    }

    static double? Finite(double x) => double.IsFinite(x) ? x : null;

    /// <summary>What the reader of the numbers should know about this run.</summary>
    static List<string> Notes(string dir)
    {
        var notes = new List<string>();
        var log = Path.Combine(dir, "train.log");
        if (File.Exists(log))
            foreach (var line in File.ReadLines(log).Where(l => l.Contains("initialised from ", StringComparison.Ordinal)))
                notes.Add($"the run started from other weights ({line.Trim()}); 'before' is the config's base model, not those");
        return notes;
    }
}
