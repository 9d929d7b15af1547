using Spectre.Console;
using StepAudio.Training;

namespace StepAudio.Cli.Commands;

/// <summary>
/// The CLI's view of a run: on a terminal, a Spectre.Console progress bar per stage with the latest loss and an ETA,
/// and the run's notable events above it; when output is redirected, the same plain lines as train.log.
/// </summary>
public static class TrainingProgress
{
    /// <summary>Runs <paramref name="trainer"/> with the display subscribed.</summary>
    public static TrainingSummary Run(Trainer trainer, CancellationToken cancel)
    {
        if (Console.IsOutputRedirected || !AnsiConsole.Profile.Capabilities.Interactive)
        {
            using var plain = trainer.Events.Subscribe(e =>
            {
                if (e is StepCompleted s && s.StepInEpoch != s.StepsInEpoch && s.Step % 10 != 0) return;
                Console.WriteLine(RunLogs.Describe(e));
            });
            return trainer.Run(cancel);
        }
        TrainingSummary? summary = null;
        AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(ctx =>
            {
                ProgressTask? task = null;
                using var display = trainer.Events.Subscribe(e =>
                {
                    switch (e)
                    {
                        case StageStarted s:
                            task = ctx.AddTask($"stage {(int)s.Stage} {s.Stage.ToString().ToLowerInvariant()}",
                                maxValue: (double)s.StepsPerEpoch * (s.LastEpoch - s.FirstEpoch + 1));
                            task.Value = s.StepsDone;
                            break;
                        case StepCompleted s when task != null:
                            task.Increment(1);
                            task.Description = $"stage {(int)s.Stage} epoch {s.Epoch} loss {s.Loss:F3}";
                            break;
                        case StageFinished when task != null:
                            task.StopTask();
                            break;
                        case StepCompleted:
                            break;
                        default:
                            AnsiConsole.MarkupLine(Markup.Escape(RunLogs.Describe(e)));
                            break;
                    }
                });
                summary = trainer.Run(cancel);
            });
        return summary!;
    }
}
