using Microsoft.DotNet.Interactive.Commands;
using Microsoft.DotNet.Interactive.Events;
using Microsoft.DotNet.Interactive.Formatting;
using Plotly.NET;

namespace StepAudio.Notebooks.Tests.Charts;

/// <summary>
/// One real tiny training run (configs/tiny.yaml, llm mode, 1 epoch of 4 records) inside an in-process notebook
/// kernel, with the live chart attached; the run folder it leaves is then read back by the run view and the charts.
/// </summary>
public sealed class LiveTrainingChartTests : IDisposable
{
    public void Dispose() => Formatter.ResetToDefault();

    [Fact]
    public async Task A_cell_that_trains_shows_one_chart_and_updates_it_in_place_throttled()
    {
        using var tiny = new TinyTrainingCell("sa-live-data");
        var runDir = tiny.RunDir;
        using var kernel = await NotebookHost.CreateLoadedKernelAsync();
        PlotlyHtml.InlineLibraryAgain();

        var result = await kernel.SendAsync(new SubmitCode(tiny.Code(
            "config.Stage.Stage1Epochs = 1; config.Save.SampleInterval = 0;",
            """
            using (var live = LiveTrainingChart.Attach(trainer.Events, TimeSpan.Zero, "tiny <run>"))
                trainer.Run();
            """,
            cacheName: "cache-<script>alert(1)</script>")));
        NotebookHost.EnsureSucceeded(result, "the training cell");

        var produced = Assert.Single(result.Events.OfType<DisplayedValueProduced>());
        var updates = result.Events.OfType<DisplayedValueUpdated>().ToList();
        Assert.True(updates.Count > 1, $"{updates.Count} updates");
        Assert.All(updates, u => Assert.Equal(produced.ValueId, u.ValueId));
        string HtmlOf(DisplayEvent e) => e.FormattedValues.Single(v => v.MimeType == HtmlFormatter.MimeType).Value;
        // The first output carried plotly.js, so every update (which replaces it) carries it too.
        Assert.All(updates.Select(HtmlOf).Prepend(HtmlOf(produced)), h => Assert.Contains(PlotlyHtml.LibraryMarker, h));
        Assert.Contains("waiting for the first step", HtmlOf(produced));
        var last = HtmlOf(updates[^1]);
        Assert.Contains("train loss · stage 1 (llm)", last);
        Assert.Contains("validation llm loss", last);
        Assert.Contains("tiny \\u003crun>", last);
        Assert.DoesNotContain("(running)", last);

        // The run folder it left: the chart from its files, and the run view.
        var history = TrainingHistory.Read(runDir);
        Assert.Equal(File.ReadLines(Path.Combine(runDir, "metrics.jsonl")).Count(), history.Steps.Count);
        Assert.Equal(2, history.Validations.Count);                      // step 0 and after the epoch
        Assert.All(history.Validations, v => Assert.NotNull(v.LlmLoss));
        var traces = GenericChart.getTraces(TrainingCharts.FromRun(runDir)).Select(t => t.GetPropertyValue("name")?.ToString()).ToList();
        Assert.Equal(new[] { "train loss · stage 1 (llm)", "validation llm loss", "learning rate" }, traces);

        var run = Show.Run(runDir);
        Assert.Contains(run.Checkpoints, c => c.RelativePath == Path.Combine("llm_best", "llm_best.pt") && c.IsBest && c.Bytes > 0);
        Assert.Contains(run.Checkpoints, c => c.Kind == "adapter");
        Assert.Contains(run.Checkpoints, c => c.Kind == "resume state");
        NotebookFormatters.Register();
        var html = Formatter.ToDisplayString(run, HtmlFormatter.MimeType);
        Assert.Contains("<span class=\"sa-ok\">completed</span>", html);
        Assert.Contains("llm_best.pt <b>(best)</b>", html);
        Assert.Contains("<summary>config.yaml</summary>", html);
        Assert.Contains("cache-&lt;script&gt;alert(1)&lt;/script&gt;", html);   // the config's cache_dir, escaped
        Assert.DoesNotContain("<script>alert", html);
        Assert.Contains(StepAudio.Notebooks.Html.Number(run.Summary!.BestLlmLoss), html);

        // Throttling: 50 quick steps under a 1-hour interval give no redraw until the end. The first cell's chart
        // carried plotly.js, so this one does not.
        result = await kernel.SendAsync(new SubmitCode("""
            using StepAudio.Training;
            var events = new TrainingEvents();
            var chart = StepAudio.Notebooks.LiveTrainingChart.Attach(events, TimeSpan.FromHours(1));
            for (int i = 1; i <= 50; i++)
                events.Publish(new StepCompleted(TrainingStage.Llm, 1, i, i, 50, 1.0 / i, null, null, 1e-3, 1, 10, 0.01));
            var before = chart.Updates;
            chart.Dispose();   // what an interrupted cell's `using` does: one last redraw with every step
            (before, chart.Updates)
            """));
        NotebookHost.EnsureSucceeded(result, "the throttled cell");
        Assert.Equal((0, 1), ((int, int))result.Events.OfType<ReturnValueProduced>().Single().Value!);
        var final = Assert.Single(result.Events.OfType<DisplayedValueUpdated>());
        Assert.Equal(Assert.Single(result.Events.OfType<DisplayedValueProduced>()).ValueId, final.ValueId);
        Assert.DoesNotContain(PlotlyHtml.LibraryMarker, HtmlOf(final));
        Assert.Contains(",0.02]", HtmlOf(final));   // the loss of step 50 ends the loss curve
    }
}
