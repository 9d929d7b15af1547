using System.Diagnostics;
using StepAudio.Config;
using StepAudio.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace StepAudio.Bench;

/// <summary>What <see cref="TrainingBench.Run"/> is asked besides the config.</summary>
public sealed record TrainingBenchOptions
{
    /// <summary>The stages to run (llm: stage 1, flow: stage 2, both: stages 1–3).</summary>
    public TrainMode Mode { get; init; } = TrainMode.Both;
    /// <summary>Steps each stage reaches at least (its epochs are set to the fewest whole epochs that make them).</summary>
    public int Steps { get; init; } = 1000;
    /// <summary>Torch threads (null: the config's <c>num_threads</c>).</summary>
    public int? Threads { get; init; }
    /// <summary>Global steps between samples of the live-tensor count and RSS.</summary>
    public int SampleEvery { get; init; } = 100;
    /// <summary>
    /// Validation only at each stage's last epoch, no <c>*_epoch_N</c> checkpoints, <c>last/</c> only at epoch ends (the
    /// trainer always saves it there). Off: the config's own intervals.
    /// </summary>
    public bool RareIo { get; init; }
    /// <summary>TensorBoard event files, as <c>finetune</c> writes them by default.</summary>
    public bool TensorBoard { get; init; } = true;
    /// <summary>Folder for the run (default: a new temporary folder, deleted afterwards).</summary>
    public string? RunsDir { get; init; }
}

/// <summary>
/// Runs the staged trainer (<see cref="Trainer"/>) for a fixed number of steps per stage and measures, from its events:
/// steps/s per stage; the share of wall time outside the steps (<see cref="StepCompleted.Seconds"/>: forward, backward,
/// clip, optimizer) from each stage's second epoch on, broken down into validation, checkpoint and state saves, event
/// subscribers (train.log, metrics.jsonl, TensorBoard) and the rest (batching, step-scope disposal); and TorchSharp's
/// live-tensor count and the process RSS every <see cref="TrainingBenchOptions.SampleEvery"/> steps, which must stay
/// flat. Data and models are prepared once before the clock starts.
/// </summary>
public static class TrainingBench
{
    /// <summary>Largest spread (max − min) of a stage's live-tensor samples, its first left out, that counts as flat.</summary>
    public const long FlatTolerance = 8;

    /// <summary>Runs the bench on <paramref name="config"/> (changed: epochs, run folder, threads, and intervals when rare).</summary>
    public static TrainingBenchReport Run(StepAudioConfig config, TrainingBenchOptions options)
    {
        if (options.Steps < 1) throw new ArgumentOutOfRangeException(nameof(options), "Steps must be at least 1");
        if (options.SampleEvery < 1) throw new ArgumentOutOfRangeException(nameof(options), "SampleEvery must be at least 1");
        var stages = Trainer.StagesFor(options.Mode, new StageConfig { Stage1Epochs = 1, Stage2Epochs = 1, Stage3Epochs = 1 });
        bool useLlm = stages.Any(s => s != TrainingStage.Flow), useFlow = stages.Any(s => s != TrainingStage.Llm);
        if (options.Threads is { } t) config.NumThreads = t;
        if (options.RareIo)
        {
            config.ValInterval = int.MaxValue;
            config.Save.SaveInterval = 0;
            config.Save.StateInterval = 0;
        }
        config.Save.SampleInterval = 0;
        string runs = options.RunsDir ?? Path.Combine(Path.GetTempPath(), $"stepaudio-bench-train-{Guid.NewGuid():N}");
        config.Save.CkptDir = runs;
        int threadsBefore = torch.get_num_threads();
        if (config.NumThreads > 0) torch.set_num_threads(config.NumThreads);
        try
        {
            var prepare = Stopwatch.StartNew();
            using var inputs = TrainingInputs.Prepare(config, useLlm, useFlow);
            double prepareSeconds = prepare.Elapsed.TotalSeconds;
            var perEpoch = stages.ToDictionary(s => s, s => StepsPerEpoch(config, inputs.Train, s));
            var flops = StageFlops.PerEpoch(config, inputs, stages);
            foreach (var s in stages)
            {
                int epochs = Math.Max(2, (options.Steps + perEpoch[s] - 1) / perEpoch[s]);   // at least 2: the overhead share starts at epoch 2
                switch (s)
                {
                    case TrainingStage.Llm: config.Stage.Stage1Epochs = epochs; break;
                    case TrainingStage.Flow: config.Stage.Stage2Epochs = epochs; break;
                    default: config.Stage.Stage3Epochs = epochs; break;
                }
            }
            var trainer = new Trainer(config, new TrainerOptions { Mode = options.Mode, TensorBoard = options.TensorBoard });
            var probe = new Probe(trainer.Events, options.SampleEvery);
            using (trainer.Events.Subscribe(probe.Head))
            {
                var summary = trainer.Run(inputs);
                probe.Finish();
                return new TrainingBenchReport(options.Mode, options.RareIo, torch.get_num_threads(), prepareSeconds,
                    probe.Stages.Select(p => p.Figures()).ToList(), probe.Samples, summary.RunDirectory,
                    ConfigSummary(config), flops);
            }
        }
        finally
        {
            torch.set_num_threads(threadsBefore);
            if (options.RunsDir is null && Directory.Exists(runs)) Directory.Delete(runs, true);
        }
    }

    /// <summary>Optimizer steps in one epoch of <paramref name="stage"/>, as the trainer batches it.</summary>
    public static int StepsPerEpoch(StepAudioConfig config, TrainingSplit split, TrainingStage stage)
    {
        int batches = Batches(config, split, stage).Count;
        int accum = Math.Max(1, config.Optim.AccumGrad);
        return Math.Max(1, (batches + accum - 1) / accum);
    }

    /// <summary>One epoch's batches of <paramref name="stage"/> (indices into the stage's list of <paramref name="split"/>), as the trainer builds them.</summary>
    public static List<int[]> Batches(StepAudioConfig config, TrainingSplit split, TrainingStage stage)
    {
        var lengths = stage switch
        {
            TrainingStage.Llm => split.Llm.Select(i => i.Example.Length).ToList(),
            TrainingStage.Flow => split.Flow.Select(c => (int)c.Feat.shape[0]).ToList(),
            _ => split.Joint.Select(j => split.Llm[j.Llm].Example.Length).ToList(),
        };
        return LengthBatcher.Build(lengths, config.Data.BatchSize, config.Data.MaxFramesInBatch, config.Data.Bucketing);
    }

    static string ConfigSummary(StepAudioConfig c) =>
        $"batch_size {c.Data.BatchSize}, accum_grad {c.Optim.AccumGrad}, val_interval {(c.ValInterval == int.MaxValue ? "last epoch" : c.ValInterval)}, " +
        $"save_best {c.Save.SaveBest}, save_interval {c.Save.SaveInterval}, state_interval {c.Save.StateInterval}, log_interval {c.LogInterval}, " +
        $"epochs {c.Stage.Stage1Epochs}/{c.Stage.Stage2Epochs}/{c.Stage.Stage3Epochs}";

    /// <summary>TorchSharp's live tensors created on this thread and not yet disposed (exact since 0.103).</summary>
    public static long ThreadLiveTensors() => DisposeScopeManager.Statistics.TensorStatistics.ThreadTotalLiveCount;

    /// <summary>The resident set size of this process (<c>VmRSS</c>), in bytes; 0 where <c>/proc</c> is missing.</summary>
    public static long RssBytes() => Training.Planning.SystemMemory.Process("VmRSS") ?? 0;

    /// <summary>
    /// Two subscribers around the run's own: <see cref="Head"/> (subscribed before the run, so it sees each event
    /// first) and a tail subscribed at <see cref="RunStarted"/>, after the trainer's logs, so it sees each event last.
    /// Head→tail is what the subscribers took; one event's tail → the next event's head is what the trainer did between.
    /// </summary>
    sealed class Probe(TrainingEvents events, int sampleEvery)
    {
        readonly Stopwatch clock = Stopwatch.StartNew();
        double lastTail;
        IDisposable? tail;
        StageProbe? current;
        public List<StageProbe> Stages { get; } = new();
        public List<LiveSample> Samples { get; } = new();

        public void Head(TrainingEvent e)
        {
            double now = clock.Elapsed.TotalSeconds;
            double sinceTail = now - lastTail;
            switch (e)
            {
                case RunStarted:
                    tail ??= events.Subscribe(Tail);
                    break;
                case StageStarted s:
                    current = new StageProbe(s.Stage, s.FirstEpoch, s.LastEpoch, s.StepsPerEpoch, now);
                    Stages.Add(current);
                    break;
                case StepCompleted s when current != null:
                    current.Step(s, lastTail);
                    if (s.Step % sampleEvery == 0)
                        Samples.Add(new LiveSample(s.Stage, s.Epoch, s.Step, ThreadLiveTensors(), torch.Tensor.TotalCount, RssBytes()));
                    break;
                case StepSkipped k when current != null:
                    current.Skipped(k.Epoch, lastTail);
                    break;
                case ValidationCompleted v when current != null:
                    current.Validation(v.Seconds);
                    break;
                case CheckpointSaved c when current != null:
                    current.Checkpoint(c.Model == "state", sinceTail);
                    break;
                case StageFinished when current != null:
                    current.End = now;
                    current = null;
                    break;
            }
            lastTail = clock.Elapsed.TotalSeconds;   // until the tail runs, in case it does not (RunStarted)
            if (current != null) current.SubscriberStart = now;
        }

        void Tail(TrainingEvent e)
        {
            double now = clock.Elapsed.TotalSeconds;
            current?.Subscribers(now);
            lastTail = now;
        }

        public void Finish()
        {
            tail?.Dispose();
            tail = null;
        }
    }

    sealed class StageProbe(TrainingStage stage, int firstEpoch, int lastEpoch, int stepsPerEpoch, double start)
    {
        long steps, skipped, windowSteps;
        int validations, checkpointCount, stateCount;
        double stepSeconds, windowStepSeconds, validation, checkpoints, states, subscribers;
        double? windowStart;
        readonly List<double> stepTimes = new();
        public double End { get; set; } = double.NaN;
        public double SubscriberStart { get; set; } = double.NaN;

        bool InWindow => windowStart.HasValue;

        void Enter(int epoch, double lastTail)
        {
            if (!windowStart.HasValue && epoch > firstEpoch) windowStart = lastTail;
        }

        public void Step(StepCompleted s, double lastTail)
        {
            Enter(s.Epoch, lastTail);
            steps++;
            stepSeconds += s.Seconds;
            stepTimes.Add(s.Seconds);
            if (InWindow)
            {
                windowSteps++;
                windowStepSeconds += s.Seconds;
            }
        }

        public void Skipped(int epoch, double lastTail)
        {
            Enter(epoch, lastTail);
            skipped++;
        }

        public void Validation(double seconds)
        {
            if (!InWindow) return;
            validation += seconds;
            validations++;
        }

        public void Checkpoint(bool state, double seconds)
        {
            if (!InWindow) return;
            if (state) { states += seconds; stateCount++; }
            else { checkpoints += seconds; checkpointCount++; }
        }

        public void Subscribers(double now)
        {
            if (InWindow && !double.IsNaN(SubscriberStart)) subscribers += now - SubscriberStart;
        }

        public StageBenchFigures Figures()
        {
            double wall = End - start;
            double window = windowStart is { } w ? End - w : double.NaN;
            double outside = window - windowStepSeconds;
            stepTimes.Sort();
            return new StageBenchFigures(stage, lastEpoch - firstEpoch + 1, stepsPerEpoch, steps, skipped, wall, stepSeconds,
                steps / wall, steps / Math.Max(stepSeconds, 1e-12), stepTimes.Count == 0 ? double.NaN : 1000 * stepTimes[stepTimes.Count / 2],
                windowSteps, window, windowStepSeconds, outside / window, validation, checkpoints, states, subscribers,
                outside - validation - checkpoints - states - subscribers, validations, checkpointCount, stateCount);
        }
    }
}

/// <summary>
/// One stage's figures. Steps/s over the stage's wall time (<paramref name="StepsPerSecond"/>) and over the steps' own
/// time (<paramref name="ComputeStepsPerSecond"/>). From epoch 2 on (<paramref name="WindowSeconds"/>, from the end of
/// the stage's first epoch to its end): <paramref name="OverheadShare"/> = (window − Σ step seconds) / window, made of
/// validation, model checkpoints (best/epoch), <c>last/</c> state saves, event subscribers and the rest; the counts are
/// of the validations, checkpoints and state saves in that window.
/// </summary>
public sealed record StageBenchFigures(TrainingStage Stage, int Epochs, int StepsPerEpoch, long Steps, long SkippedSteps,
    double WallSeconds, double StepSeconds, double StepsPerSecond, double ComputeStepsPerSecond, double MedianStepMs,
    long WindowSteps, double WindowSeconds, double WindowStepSeconds, double OverheadShare, double ValidationSeconds,
    double CheckpointSeconds, double StateSeconds, double SubscriberSeconds, double OtherSeconds, int Validations, int Checkpoints,
    int StateSaves)
{
    /// <summary>Wall time of the window outside the steps.</summary>
    public double OverheadSeconds => WindowSeconds - WindowStepSeconds;
}

/// <summary>
/// A sample taken in the <see cref="StepCompleted"/> handler (the step's own dispose scope still open): TorchSharp's
/// live tensors of the training thread (<see cref="TrainingBench.ThreadLiveTensors"/>), its process-wide
/// <c>Tensor.TotalCount</c> (which finalizers also lower) and the RSS.
/// </summary>
public sealed record LiveSample(TrainingStage Stage, int Epoch, long Step, long ThreadLiveTensors, long TotalTensors, long RssBytes);

/// <summary>What <see cref="TrainingBench.Run"/> measured, and the analytic FLOPs of one epoch of each stage.</summary>
public sealed record TrainingBenchReport(TrainMode Mode, bool RareIo, int Threads, double PrepareSeconds,
    IReadOnlyList<StageBenchFigures> Stages, IReadOnlyList<LiveSample> Samples, string RunDirectory, string Config,
    IReadOnlyList<StageFlops> FlopsPerEpoch)
{
    /// <summary>
    /// Per stage, the spread (max − min) of the live-tensor samples after the stage's first, or null with fewer than
    /// two such samples.
    /// </summary>
    public IReadOnlyDictionary<TrainingStage, long?> LiveTensorSpread => Stages.ToDictionary(s => s.Stage, s =>
    {
        var later = Samples.Where(x => x.Stage == s.Stage).Skip(1).Select(x => x.ThreadLiveTensors).ToList();
        return later.Count < 2 ? (long?)null : later.Max() - later.Min();
    });

    /// <summary>True when every stage's spread is within <see cref="TrainingBench.FlatTolerance"/> (or unmeasured).</summary>
    public bool LiveTensorsFlat => LiveTensorSpread.Values.All(v => v is null || v <= TrainingBench.FlatTolerance);
}
