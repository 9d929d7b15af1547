using System.Diagnostics;
using StepAudio.Config;
using StepAudio.Data;
using StepAudio.Features;
using StepAudio.Platform;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace StepAudio.Training;

/// <summary>What <c>finetune</c> is asked besides the config.</summary>
public sealed record TrainerOptions
{
    /// <summary>Overrides <c>train_mode</c>.</summary>
    public TrainMode? Mode { get; init; }
    /// <summary>Run folder choice and resume policy.</summary>
    public RunFolderOptions Folder { get; init; } = new();
    /// <summary>Checkpoints (<c>llm_*.pt</c>, <c>flow_*.pt</c> or a run folder) whose weights start a new run.</summary>
    public IReadOnlyList<string> InitFrom { get; init; } = [];
    /// <summary>Write TensorBoard event files (on by default).</summary>
    public bool TensorBoard { get; init; } = true;
    /// <summary>Bytes the run may use; when its memory plan's peak is larger the run refuses to start (null: no check).</summary>
    public long? MemoryBudget { get; init; }
    /// <summary>Start even when the memory plan says the run will not fit.</summary>
    public bool Force { get; init; }
}

/// <summary>
/// The staged trainer (the fork's <c>StepAudioTrainer</c>, with its losses fixed): stage 1 trains the LLM's LoRA on
/// the shifted next-token loss of the inference prompts, stage 2 the flow decoder on CosyVoice's conditional
/// flow-matching loss, stage 3 both on <c>llm_weight·llm + flow_weight·flow</c> at <c>joint_lr_scale</c> × lr with one
/// optimizer of two parameter groups and one gradient clip. Publishes <see cref="TrainingEvent"/>s through
/// <see cref="Events"/> and knows nothing about who listens.
/// </summary>
public sealed partial class Trainer(StepAudioConfig config, TrainerOptions? options = null)
{
    readonly StepAudioConfig config = config ?? throw new ArgumentNullException(nameof(config), "Trainer: config is null; load one with ConfigLoader.Load");
    readonly TrainerOptions options = options ?? new TrainerOptions();

    /// <summary>Subscribe here (progress bars, notebook charts) before <see cref="Run(CancellationToken)"/>.</summary>
    public TrainingEvents Events { get; } = new();

    /// <summary>The stages a mode runs, given the config's epoch counts (a stage with 0 epochs is left out).</summary>
    public static List<TrainingStage> StagesFor(TrainMode mode, StageConfig stages)
    {
        var list = mode switch
        {
            TrainMode.Llm => new List<TrainingStage> { TrainingStage.Llm },
            TrainMode.Flow => new List<TrainingStage> { TrainingStage.Flow },
            _ => new List<TrainingStage> { TrainingStage.Llm, TrainingStage.Flow, TrainingStage.Joint },
        };
        list.RemoveAll(s => EpochsOf(s, stages) == 0);
        return list;
    }

    static int EpochsOf(TrainingStage s, StageConfig c) => s switch
    {
        TrainingStage.Llm => c.Stage1Epochs,
        TrainingStage.Flow => c.Stage2Epochs,
        _ => c.Stage3Epochs,
    };

    /// <summary>
    /// Runs (or resumes) the configured stages to the end, or until <paramref name="cancel"/> fires: then the state
    /// is saved to <c>last/</c> after the step in progress and the summary says <c>Cancelled</c>.
    /// </summary>
    public TrainingSummary Run(CancellationToken cancel = default) => Run(null, cancel);

    /// <summary>
    /// <see cref="Run(CancellationToken)"/> on inputs already prepared with <see cref="TrainingInputs.Prepare"/> for this
    /// config (a notebook keeps them between runs; tests inspect the models). The caller keeps ownership of them.
    /// </summary>
    public TrainingSummary Run(TrainingInputs? inputs, CancellationToken cancel = default)
    {
        var watch = Stopwatch.StartNew();
        var mode = options.Mode ?? config.TrainMode;
        var stages = StagesFor(mode, config.Stage);
        if (stages.Count == 0)
            throw config.Error("stage", $"gives mode {mode.ToString().ToLowerInvariant()} no epochs to train",
                "set stage1_epochs (llm), stage2_epochs (flow) or stage3_epochs (joint) above 0");
        bool useLlm = stages.Any(s => s != TrainingStage.Flow), useFlow = stages.Any(s => s != TrainingStage.Llm);
        var device = TorchDevices.Of(config);
        CheckInputs(inputs, mode, useLlm, useFlow, device);
        var plan = CheckMemory(mode);
        int threadsBefore = torch.get_num_threads();
        if (config.NumThreads > 0) torch.set_num_threads(config.NumThreads);
        try
        {
            var run = RunFolder.Open(config, options.Folder);
            string? resumeFrom = null;
            TrainerPosition? position = null;
            var changes = new List<string>();
            if (options.Folder.Resume)
            {
                changes = run.Changes(config);
                if (changes.Count > 0 && !options.Folder.AllowChanges)
                    throw new InputException(run.RunJson, null, null,
                        "the config or data differ from what this run started with: " + string.Join("; ", changes.Take(8)),
                        "resume with the same config and manifests, or add --allow-changes to continue anyway");
                resumeFrom = TrainerState.Find(run.Last) ?? throw new InputException(run.Last, null, null,
                    "holds no saved state (the run stopped before its first save)", "start the run again with --overwrite");
                position = TrainerState.ReadPosition(resumeFrom);
                // Writes a kill interrupted leave NAME.tmp-PID-GUID beside their target; nothing reads them, so remove them.
                foreach (var tmp in Directory.EnumerateFiles(run.Path, "*.tmp-*", SearchOption.AllDirectories).ToList())
                    File.Delete(tmp);
            }
            using var logs = new RunLogs(run, config.LogInterval, position?.GlobalStep, options.TensorBoard);
            using var logSubscription = Events.Subscribe(logs.Handle);
            Events.Publish(PlanMessage(plan));
            if (config.KeyLines.Keys.Any(k => k.EndsWith("max_epoch", StringComparison.Ordinal)))
                Events.Publish(new TrainingMessage("warning",
                    $"max_epoch ({config.MaxEpoch}) is the fork's overall cap and is ignored: the stage epochs ({config.Stage.Stage1Epochs}/{config.Stage.Stage2Epochs}/{config.Stage.Stage3Epochs}) decide"));
            if (changes.Count > 0) Events.Publish(new TrainingMessage("warning", "resuming despite changes: " + string.Join("; ", changes)));

            var data = inputs ?? TrainingInputs.Prepare(config, useLlm, useFlow);
            using var owned = inputs is null ? data : null;
            if ((useLlm && data.Models.Llm is null) || (useFlow && data.Models.Flow is null))
                throw new ArgumentException("the inputs were prepared without a model this mode trains", nameof(inputs));
            if (position is null)
            {
                run.WriteStart(config, mode, data.FrontEndIdentity, data.Models.LlmBase, data.Models.FlowBase);
                CopyFrontEnd(run);
                foreach (var ckpt in options.InitFrom) InitFrom(data.Models, ckpt);
            }
            foreach (var f in data.Train.Filtered.Concat(data.Val.Filtered))
                Events.Publish(new TrainingMessage("info", "filtered out: " + f));
            Events.Publish(new RunStarted(run.Path, stages, data.Train.Records, data.Val.Records,
                data.Train.Filtered.Count + data.Val.Filtered.Count, CpuReport.OneLine() + $" | {torch.get_num_threads()} threads",
                position?.GlobalStep));
            var loop = new StageLoop(config, run, data, Events, stages, cancel);
            TrainingSummary summary;
            try { summary = loop.Run(position, resumeFrom); }
            catch (Exception e) when (device.type == DeviceType.CUDA && TorchDevices.IsOutOfMemory(e))
            {
                throw OutOfMemory(plan.Plan, e);
            }
            summary.Cancelled = cancel.IsCancellationRequested;
            Events.Publish(new RunFinished(run.Path, summary.Cancelled, watch.Elapsed.TotalSeconds, summary));
            return summary;
        }
        finally
        {
            torch.set_num_threads(threadsBefore);
        }
    }

    /// <summary>
    /// The tiny default's fitted tokenizer and speaker encoder go into the run folder (<c>front_end/</c>): the run's
    /// tokens mean nothing without the codebook that made them, and the cache's copy may be refitted later.
    /// </summary>
    void CopyFrontEnd(RunFolder run)
    {
        var cache = Features.FeatureExtraction.CacheDirectory(config);
        foreach (var name in new[] { Tokenizers.TinyTokenizers.TokenizerFileName, Tokenizers.TinyTokenizers.SpeakerEncoderFileName })
        {
            var from = Path.Combine(cache, name);
            if (File.Exists(from)) AtomicFile.Write(Path.Combine(run.Path, "front_end", name), tmp => File.Copy(from, tmp));
        }
    }

    void InitFrom(TrainingModels models, string path)
    {
        var full = Path.GetFullPath(path);
        if (Directory.Exists(full))
        {
            var llm = Path.Combine(full, "llm_best", "llm_best.pt");
            var flow = Path.Combine(full, "flow_best.pt");
            if (!File.Exists(llm) && !File.Exists(flow))
                throw new InputException(full, null, "--init-from", "holds neither llm_best/llm_best.pt nor flow_best.pt",
                    "give a run folder or a checkpoint file");
            if (File.Exists(llm) && models.Llm != null) InitFrom(models, llm);
            if (File.Exists(flow) && models.Flow != null) InitFrom(models, flow);
            return;
        }
        // The keys alone tell which model the file is for; the inspector reads them without loading any tensor data.
        bool lora = Checkpoints.CheckpointInspector.Inspect(full).Entries.Any(e => e.Key.Contains(".lora_A.", StringComparison.Ordinal));
        if (lora)
        {
            if (models.Llm is null) throw new InputException(full, null, "--init-from", "is an LLM checkpoint, but this run has no LLM", "drop it or train mode llm/both");
            Checkpoints.Step1Export.LoadPt(models.Llm, full);
        }
        else
        {
            if (models.Flow is null) throw new InputException(full, null, "--init-from", "is a flow checkpoint, but this run has no flow", "drop it or train mode flow/both");
            TrainingCheckpoints.LoadFlow(models.Flow, full);
        }
        Events.Publish(new TrainingMessage("info", $"initialised from {full}"));
    }

    // Inputs a notebook kept from another config or mode would fail deep inside a stage; say so before any folder exists.
    static void CheckInputs(TrainingInputs? inputs, TrainMode mode, bool useLlm, bool useFlow, Device device)
    {
        if (inputs is null) return;
        string Missing(string what, string flag) =>
            $"Trainer.Run: mode {mode.ToString().ToLowerInvariant()} trains the {what}, but the inputs were prepared without it; " +
            $"call TrainingInputs.Prepare(config, llm: {(useLlm ? "true" : "false")}, flow: {(useFlow ? "true" : "false")}) ({flag})";
        if (useLlm && inputs.Models.Llm is null) throw new ArgumentException(Missing("LLM", "llm: false was given"), nameof(inputs));
        if (useFlow && inputs.Models.Flow is null) throw new ArgumentException(Missing("flow", "flow: false was given"), nameof(inputs));
        Tensor? weight = inputs.Models.Llm is { } llm ? llm.LmHeadWeight : inputs.Models.Flow?.encoder_proj.weight;
        if (weight is { IsInvalid: true })
            throw new ObjectDisposedException(nameof(inputs), "Trainer.Run: the inputs' models have been disposed; prepare them again");
        if (weight is not null && !Nn.TensorChecks.IsOn(weight, device))
            throw new ArgumentException($"Trainer.Run: the inputs' models are on {weight.device} but the config says device: {device}; " +
                                        "prepare the inputs with this config", nameof(inputs));
    }
}
