using System.Globalization;
using StepAudio.Config;
using StepAudio.Training;

namespace StepAudio.Notebooks;

/// <summary>One run of a <see cref="LoraSweep"/>: its settings, validation losses and cost.</summary>
/// <param name="Rank">LoRA rank r.</param>
/// <param name="LearningRate">Stage-1 learning rate (<c>optim.lr_llm</c>).</param>
/// <param name="Alpha">LoRA alpha used (the config's alpha/r ratio kept, so the scaling alpha/r is the same for every rank).</param>
/// <param name="TrainableParameters">LoRA parameters that trained.</param>
/// <param name="Step0Loss">Validation loss before training.</param>
/// <param name="BestLoss">Best validation loss after an epoch of training.</param>
/// <param name="Validations">Validation loss after each epoch (epoch 0 first).</param>
/// <param name="Seconds">Wall time of the run.</param>
/// <param name="RunDirectory">Its run folder.</param>
public sealed record LoraSweepPoint(int Rank, double LearningRate, double Alpha, long TrainableParameters, double Step0Loss,
    double BestLoss, IReadOnlyList<double> Validations, double Seconds, string RunDirectory)
{
    /// <summary>Fraction of the step-0 loss the run removed (0.4 = 40 % lower).</summary>
    public double Improvement => Step0Loss > 0 ? 1 - BestLoss / Step0Loss : 0;

    /// <summary>A short label, e.g. <c>r8 lr 5e-3</c>.</summary>
    public string Label => $"r{Rank} lr {LearningRate.ToString("0.##e0", CultureInfo.InvariantCulture)}";
}

/// <summary>All runs of a sweep, in grid order (ranks outer, learning rates inner).</summary>
public sealed record LoraSweepResult(IReadOnlyList<int> Ranks, IReadOnlyList<double> LearningRates, IReadOnlyList<LoraSweepPoint> Points)
{
    /// <summary>The run with the lowest best validation loss.</summary>
    public LoraSweepPoint Best => Points.MinBy(p => p.BestLoss)!;

    /// <summary>The point at (<paramref name="rank"/>, <paramref name="learningRate"/>).</summary>
    public LoraSweepPoint At(int rank, double learningRate) => Points.Single(p => p.Rank == rank && p.LearningRate == learningRate);
}

/// <summary>
/// A grid of short stage-1 runs over LoRA rank × learning rate, everything else fixed (same seed, data order and
/// epochs), so the differences in validation loss come from those two settings alone.
/// </summary>
public static class LoraSweep
{
    /// <summary>
    /// Trains one stage-1 run per (rank, learning rate) for <paramref name="epochs"/> epochs under
    /// <paramref name="outputDir"/> (each in <c>r{rank}-lr{lr}</c>, replaced if there) and collects the results.
    /// <paramref name="progress"/> hears of each finished point.
    /// </summary>
    public static LoraSweepResult Run(Func<StepAudioConfig> baseConfig, IReadOnlyList<int> ranks, IReadOnlyList<double> learningRates,
        int epochs, string outputDir, Action<LoraSweepPoint>? progress = null, CancellationToken cancel = default)
    {
        if (ranks.Count == 0 || learningRates.Count == 0) throw new ArgumentException("the grid needs at least one rank and one learning rate");
        if (epochs < 1) throw new ArgumentOutOfRangeException(nameof(epochs), "at least one epoch");
        var points = new List<LoraSweepPoint>();
        foreach (var rank in ranks)
            foreach (var lr in learningRates)
            {
                cancel.ThrowIfCancellationRequested();
                var point = RunPoint(baseConfig(), rank, lr, epochs,
                    Path.Combine(outputDir, $"r{rank}-lr{lr.ToString("0.##e0", CultureInfo.InvariantCulture)}"), cancel);
                points.Add(point);
                progress?.Invoke(point);
            }
        return new LoraSweepResult(ranks.ToList(), learningRates.ToList(), points);
    }

    static LoraSweepPoint RunPoint(StepAudioConfig config, int rank, double lr, int epochs, string dir, CancellationToken cancel)
    {
        var llm = config.Model.Llm;
        double alpha = llm.LoraAlpha / llm.LoraR * rank;
        llm.LoraR = rank;
        llm.LoraAlpha = alpha;
        config.Optim.LrLlm = lr;
        config.Stage.Stage1Epochs = epochs;
        config.Save.SaveBest = false;       // the sweep compares losses; checkpoints would only cost time
        config.Save.SaveInterval = 0;
        config.Save.SampleInterval = 0;
        var trainer = new Trainer(config, new TrainerOptions
        {
            Mode = TrainMode.Llm,
            Folder = new RunFolderOptions { Output = dir, Overwrite = true },
            TensorBoard = false,
        });
        long trainable = 0;
        var validations = new List<double>();
        using var _ = trainer.Events.Subscribe(e =>
        {
            if (e is StageStarted s) trainable = s.TrainableParameters;
            if (e is ValidationCompleted { LlmLoss: { } loss }) validations.Add(loss);
        });
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var summary = trainer.Run(cancel);
        if (summary.Cancelled) throw new OperationCanceledException(cancel);
        if (validations.Count < 2) throw new InvalidOperationException($"the run in {dir} validated {validations.Count} time(s); the sweep needs step 0 and an epoch");
        double step0 = validations[0], best = validations.Skip(1).Min();
        return new LoraSweepPoint(rank, lr, alpha, trainable, step0, best, validations, watch.Elapsed.TotalSeconds, dir);
    }
}
