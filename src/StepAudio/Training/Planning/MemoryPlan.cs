namespace StepAudio.Training.Planning;

/// <summary>
/// One stage's predicted resident memory in bytes. <see cref="Activations"/> are what the longest batch keeps for
/// backward; <see cref="ActivationsCheckpointed"/> what they are with the LLM's per-layer checkpointing (its layer
/// inputs plus one layer recomputed; the flow's are unchanged), shown whether or not the plan assumes it.
/// </summary>
public sealed record StageMemory(TrainingStage Stage, long Weights, long Gradients, long Optimizer, long Ema,
    long Activations, long ActivationsCheckpointed, bool Checkpointing, long Overhead, long TrainableParameters)
{
    /// <summary>The activations the plan counts.</summary>
    public long CountedActivations => Checkpointing ? ActivationsCheckpointed : Activations;
    /// <summary>Everything the stage holds at its peak.</summary>
    public long Total => Weights + Gradients + Optimizer + Ema + CountedActivations + Overhead;

    /// <summary>Column names of <see cref="Cells"/>.</summary>
    public static IReadOnlyList<string> Columns { get; } = ["stage", "weights", "gradients", "optimizer", "ema", "activations", "(checkpointed)", "overhead", "total"];

    /// <summary>The row of a plan's table.</summary>
    public string[] Cells() => [$"{(int)Stage} {Stage.ToString().ToLowerInvariant()}", ByteSize.Format(Weights), ByteSize.Format(Gradients),
        ByteSize.Format(Optimizer), ByteSize.Format(Ema), ByteSize.Format(Activations), ByteSize.Format(ActivationsCheckpointed),
        ByteSize.Format(Overhead), ByteSize.Format(Total)];
}

/// <summary>Whether the plan fits its budget.</summary>
public enum PlanVerdict
{
    /// <summary>No budget was given.</summary>
    NoBudget,
    /// <summary>The peak is at most <see cref="MemoryPlan.TightShare"/> of the budget.</summary>
    Fits,
    /// <summary>The peak fits, with less than 10 % to spare.</summary>
    Tight,
    /// <summary>The peak exceeds the budget.</summary>
    DoesNotFit,
}

/// <summary>A change to the config and the peak it would give; <paramref name="Saving"/> is what it takes off the peak.</summary>
public sealed record PlanAdvice(string Change, long Saving, long NewPeak, bool FitsAlone)
{
    /// <summary>The advice as one line.</summary>
    public string Text => $"{Change}: -{ByteSize.Format(Saving)} → {ByteSize.Format(NewPeak)}{(FitsAlone ? " (fits)" : "")}";
}

/// <summary>A memory plan: per-stage estimates, the peak, the budget, the verdict and advice ordered by effect.</summary>
public sealed record MemoryPlan(PlanInputs Inputs, IReadOnlyList<StageMemory> Stages, long? Budget, IReadOnlyList<PlanAdvice> Advice)
{
    /// <summary>Above this share of the budget the verdict is <see cref="PlanVerdict.Tight"/>.</summary>
    public const double TightShare = 0.9;

    /// <summary>The largest stage total.</summary>
    public long Peak => Stages.Count == 0 ? Inputs.OverheadBytes : Stages.Max(s => s.Total);

    /// <summary>The verdict for <see cref="Budget"/>.</summary>
    public PlanVerdict Verdict => Budget is not { } b ? PlanVerdict.NoBudget
        : Peak > b ? PlanVerdict.DoesNotFit
        : Peak > TightShare * b ? PlanVerdict.Tight
        : PlanVerdict.Fits;

    /// <summary>The verdict in words.</summary>
    public string VerdictText => Verdict switch
    {
        PlanVerdict.NoBudget => $"peak {ByteSize.Format(Peak)} (no budget given)",
        PlanVerdict.Fits => $"fits: peak {ByteSize.Format(Peak)} of {ByteSize.Format(Budget!.Value)}",
        PlanVerdict.Tight => $"tight: peak {ByteSize.Format(Peak)} of {ByteSize.Format(Budget!.Value)} (under 10 % to spare)",
        _ => $"does not fit: peak {ByteSize.Format(Peak)} > {ByteSize.Format(Budget!.Value)} by {ByteSize.Format(Peak - Budget.Value)}",
    };

    /// <summary>Plain-text tables (one row per stage), the verdict and the advice.</summary>
    public string ToText()
    {
        var lines = new List<string> { "memory plan (" + Describe(Inputs) + ")" };
        static string Row(IEnumerable<string> cells) => string.Join(" ", cells.Select((c, i) => i == 0 ? c.PadRight(8) : c.PadLeft(14)));
        lines.Add(Row(StageMemory.Columns));
        lines.AddRange(Stages.Select(s => Row(s.Cells())));
        lines.Add(VerdictText);
        lines.AddRange(Advice.Select((a, i) => $"  {i + 1}. {a.Text}"));
        return string.Join(Environment.NewLine, lines);
    }

    /// <summary>One line of what the plan assumed.</summary>
    public static string Describe(PlanInputs p)
    {
        var parts = new List<string>();
        if (p.Llm is { } l) parts.Add($"llm {l.Source}, base {p.LlmBaseDtype.ToString().ToLowerInvariant()}, LoRA r {p.LoraR} on {string.Join("/", p.LoraTargets)}, {p.BatchOf(p.LlmSequenceLength)} × {p.LlmSequenceLength} tokens");
        if (p.Flow is { } f) parts.Add($"flow {f.Source}, {p.BatchOf(p.MelFrames)} × {p.MelFrames} mel frames");
        parts.Add(p.Checkpointing ? "LLM activation checkpointing" : "no activation checkpointing");
        if (p.Ema) parts.Add("EMA");
        return string.Join("; ", parts);
    }
}
