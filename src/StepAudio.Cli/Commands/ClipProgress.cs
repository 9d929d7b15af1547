using Spectre.Console;
using StepAudio.Features;

namespace StepAudio.Cli.Commands;

/// <summary>
/// Progress of a per-clip pass (<c>prepare</c>'s log-mels, tokens and embeddings): a Spectre.Console bar with the ETA on
/// a terminal, a plain <c>label done/total</c> line every 10 clips when output is redirected.
/// </summary>
public static class ClipProgress
{
    /// <summary>Runs <paramref name="work"/>, which reports through the callback it is given.</summary>
    public static T Run<T>(string label, Func<Action<FeatureExtractionProgress>, T> work)
    {
        if (Console.IsOutputRedirected || !AnsiConsole.Profile.Capabilities.Interactive)
            return work(p =>
            {
                if (p.Done == p.Total || p.Done % 10 == 0) Console.WriteLine($"{label,-8} {p.Done}/{p.Total}");
            });
        T result = default!;
        AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(ctx =>
            {
                ProgressTask? task = null;
                result = work(p =>
                {
                    task ??= ctx.AddTask(label, maxValue: p.Total);
                    task.Value = p.Done;
                    task.Description = $"{label} {p.Done}/{p.Total} {Markup.Escape(Path.GetFileName(p.AudioPath))}";
                });
                task?.StopTask();
            });
        return result;
    }
}
