using StepAudio.Config;
using StepAudio.Training.Planning;

namespace StepAudio.Training;

public sealed partial class Trainer
{
    /// <summary>
    /// The run's memory plan against <see cref="TrainerOptions.MemoryBudget"/>; a plan that does not fit stops the run
    /// before any folder is made, unless <see cref="TrainerOptions.Force"/>. A config the planner cannot read (say, a
    /// model folder without config.json) gives no plan: the model loader then reports the problem in its own words.
    /// </summary>
    (MemoryPlan? Plan, string? Problem) CheckMemory(TrainMode mode)
    {
        MemoryPlan plan;
        try { plan = MemoryPlanner.Plan(PlanInputs.FromConfig(config, mode), options.MemoryBudget); }
        catch (InputException e) { return (null, e.Message); }
        if (plan.Verdict == PlanVerdict.DoesNotFit && !options.Force)
            throw new InputException(config.SourcePath ?? "(config)", null, null,
                "the memory plan says this run will not fit: " + plan.VerdictText +
                (plan.Advice.Count > 0 ? "; " + AdviceText(plan) : ""),
                "apply the advice, give a larger --memory, or add --force to start anyway (stepaudio plan shows the whole table)");
        return (plan, null);
    }

    /// <summary>
    /// A CUDA out-of-memory error as the plan's advice (what to change and what it saves) instead of a native stack
    /// trace; the run's last saved state is intact, so the run resumes after the change.
    /// </summary>
    InputException OutOfMemory(MemoryPlan? plan, Exception e)
    {
        var advice = plan is null || plan.Advice.Count == 0
            ? "lower data.batch_size or data.max_frames, or set model.llm.gradient_checkpointing: true"
            : AdviceText(plan);
        return new InputException(config.SourcePath ?? "(config)", null, "device",
            $"the GPU ran out of memory ({FirstLine(e.Message)}); the plan predicted {(plan is null ? "nothing (no plan)" : ByteSize.Format(plan.Peak))}",
            advice + "; then resume with --resume (stepaudio plan --device cuda --memory <GPU size> shows the table)", e);
    }

    static string AdviceText(MemoryPlan plan) => string.Join("; ", plan.Advice.Select(a => $"{a.Change} (→ {ByteSize.Format(a.NewPeak)})"));

    static string FirstLine(string text) => text.Split('\n', 2)[0].Trim();

    /// <summary>The plan as a log message (a warning when it does not fit or could not be made).</summary>
    static TrainingMessage PlanMessage((MemoryPlan? Plan, string? Problem) p) => p.Plan is { } plan
        ? new TrainingMessage(plan.Verdict == PlanVerdict.DoesNotFit ? "warning" : "info", plan.ToText())
        : new TrainingMessage("warning", "no memory plan: " + p.Problem);
}
