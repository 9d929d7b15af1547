using System.Reactive.Linq;
using Microsoft.DotNet.Interactive.Commands;
using Microsoft.DotNet.Interactive.Events;
using Microsoft.DotNet.Interactive.Formatting;

namespace StepAudio.Notebooks.Tests.Charts;

/// <summary>
/// The user interrupts a training cell: the trainer stops after its current step (it watches the cell's token), saves
/// <c>last/</c>, and the live chart's last redraw holds every step that ran.
/// </summary>
public sealed class InterruptedCellTests : IDisposable
{
    public void Dispose() => Formatter.ResetToDefault();

    [Fact]
    public async Task Interrupting_a_training_cell_stops_the_run_and_leaves_a_complete_chart()
    {
        using var tiny = new TinyTrainingCell("sa-interrupt");
        var runDir = tiny.RunDir;
        using var kernel = await NotebookHost.CreateLoadedKernelAsync();

        // Interrupt as soon as the chart shows a training step (training is under way).
        var interrupted = 0;
        using var interrupt = kernel.KernelEvents.OfType<DisplayedValueUpdated>()
            .Where(e => e.FormattedValues.Any(v => v.Value.Contains("train loss", StringComparison.Ordinal)))
            .Subscribe(e =>
            {
                if (Interlocked.Exchange(ref interrupted, 1) == 0) _ = Task.Run(() => kernel.SendAsync(new Cancel()));
            });
        var cell = kernel.SendAsync(new SubmitCode(tiny.Code(
            "config.Data.BatchSize = 1; config.Stage.Stage1Epochs = 50;",
            """
            TrainingSummary summary;
            using (LiveTrainingChart.Attach(trainer.Events, TimeSpan.Zero))
                summary = trainer.Run(NotebookCell.Cancellation);
            """)));
        var finished = await Task.WhenAny(cell, Task.Delay(TimeSpan.FromMinutes(3)));
        Assert.True(finished == cell, "the interrupted cell did not end within 3 minutes: the trainer ignored the interrupt");
        var result = await cell;

        // The kernel answers the interrupt at once; the cell's code runs on until the trainer sees the token, finishes
        // its step and saves last/.
        var latest = Path.Combine(runDir, "last", "LATEST");
        for (var wait = 0; wait < 600 && !File.Exists(latest); wait++) await Task.Delay(100);
        Assert.True(File.Exists(latest), "the trainer did not stop and save last/ within 60 s of the interrupt");
        await Task.Delay(500);
        var steps = File.ReadLines(Path.Combine(runDir, "metrics.jsonl")).Count();
        Assert.InRange(steps, 1, 50 * 4 - 1);                                   // stopped early, after some steps
        var last = result.Events.OfType<DisplayedValueUpdated>().Last()
            .FormattedValues.Single(v => v.MimeType == HtmlFormatter.MimeType).Value;
        Assert.Contains("Plotly.newPlot", last);
        // The interrupt's redraw holds every step done by then: all but at most the one in flight.
        var lossPoints = System.Text.RegularExpressions.Regex.Match(last, "\"x\":\\[([0-9,]+)\\]").Groups[1].Value.Split(',').Length;
        Assert.InRange(lossPoints, steps - 1, steps);
    }
}
