using StepAudio.Config;
using StepAudio.Training.Planning;

namespace StepAudio.Training;

public sealed partial class Trainer
{
    /// <summary>
    /// The run's memory plan against <see cref="TrainerOptions.MemoryBudget"/>; a plan that does not fit stops the run
    /// before any folder is made, unless <see cref="TrainerOptions.Force"/>.
    /// </summary>
    MemoryPlan CheckMemory(TrainMode mode)
    {
        var plan = MemoryPlanner.Plan(PlanInputs.FromConfig(config, mode), options.MemoryBudget);
        if (plan.Verdict == PlanVerdict.DoesNotFit && !options.Force)
            throw new InputException(config.SourcePath ?? "(config)", null, null,
                "the memory plan says this run will not fit: " + plan.VerdictText +
                (plan.Advice.Count > 0 ? "; " + string.Join("; ", plan.Advice.Select(a => $"{a.Change} (→ {ByteSize.Format(a.NewPeak)})")) : ""),
                "apply the advice, give a larger --memory, or add --force to start anyway (stepaudio plan shows the whole table)");
        return plan;
    }
}
