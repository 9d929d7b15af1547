namespace StepAudio.Training;

/// <summary>
/// The learning-rate factor at a step of a stage: linear warm-up from 0 over <paramref name="WarmupSteps"/> (the
/// fork's WarmupLR: <c>lr · min(1, (step + 1) / warmup)</c>), then constant or a cosine decay to
/// <paramref name="MinRatio"/> at <paramref name="TotalSteps"/>. Pure function of the step, so resuming needs only the step.
/// </summary>
public sealed record LearningRateSchedule(int WarmupSteps, long TotalSteps, string Kind = "constant", double MinRatio = 0.1)
{
    /// <summary>Multiplier of the base lr for <paramref name="step"/> (0-based, counted within the stage).</summary>
    public double Factor(long step)
    {
        if (WarmupSteps > 0 && step < WarmupSteps) return (step + 1) / (double)WarmupSteps;
        if (Kind != "cosine") return 1.0;
        long span = Math.Max(1, TotalSteps - WarmupSteps);
        double progress = Math.Clamp((step - WarmupSteps) / (double)span, 0, 1);
        return MinRatio + (1 - MinRatio) * 0.5 * (1 + Math.Cos(Math.PI * progress));
    }
}
