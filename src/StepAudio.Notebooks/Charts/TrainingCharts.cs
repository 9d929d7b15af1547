using Plotly.NET;
using StepAudio.Training;
using CS = Plotly.NET.CSharp;

namespace StepAudio.Notebooks;

/// <summary>
/// Loss curves of a run as one Plotly chart: training loss per stage and validation losses against the global step
/// (top), learning rate below on a shared step axis. Works on a finished run folder (<see cref="FromRun"/>) and on a
/// live history (<see cref="LiveTrainingChart"/> uses <see cref="Losses"/>).
/// </summary>
public static class TrainingCharts
{
    /// <summary>The chart of the run in <paramref name="runDir"/> (reads <c>metrics.jsonl</c> and <c>train.log</c>).</summary>
    public static GenericChart FromRun(string runDir, string? title = null) =>
        Losses(TrainingHistory.Read(ViewChecks.Path(runDir, "TrainingCharts.FromRun", nameof(runDir))), title ?? Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(runDir))));

    /// <summary>The chart of <paramref name="history"/>.</summary>
    public static GenericChart Losses(TrainingHistory history, string? title = null)
    {
        ArgumentNullException.ThrowIfNull(history);
        var parts = new List<GenericChart>();
        foreach (var stage in history.Steps.Select(s => s.Stage).Distinct())
        {
            var points = history.Steps.Where(s => s.Stage == stage).ToList();
            parts.Add(CS.Chart.Line<long, double, string>(points.Select(p => p.Step), points.Select(p => p.Loss),
                Name: $"train loss · stage {(int)stage} ({stage.ToString().ToLowerInvariant()})"));
        }
        foreach (var (name, pick) in new (string, Func<ValidationPoint, double?>)[] { ("llm", v => v.LlmLoss), ("flow", v => v.FlowLoss) })
        {
            var points = history.Validations.Where(v => pick(v) is { } x && double.IsFinite(x)).ToList();
            if (points.Count == 0) continue;
            parts.Add(CS.Chart.Line<long, double, string>(points.Select(p => p.Step), points.Select(p => pick(p)!.Value),
                Name: $"validation {name} loss", ShowMarkers: true));
        }
        var lr = history.Steps.Where(s => double.IsFinite(s.LearningRate)).ToList();
        if (lr.Count > 0)
            parts.Add(ChartEdit.Traces(CS.Chart.Line<long, double, string>(lr.Select(p => p.Step), lr.Select(p => p.LearningRate),
                Name: "learning rate"), ("yaxis", "y2"), ("line", new Dictionary<string, object> { ["color"] = "#888", ["dash"] = "dot" })));
        // An empty history (a live chart before its first step) still needs one trace for the axes to draw.
        if (parts.Count == 0) parts.Add(CS.Chart.Line<long, double, string>(Array.Empty<long>(), Array.Empty<double>(), Name: "train loss"));
        var status = history.Cancelled switch { true => " (stopped)", false => "", null => history.Steps.Count > 0 ? " (running)" : " (waiting for the first step)" };
        return ChartEdit.Layout(CS.Chart.Combine(parts),
            ("title", ChartEdit.Title((title ?? "training") + status)),
            ("xaxis", ChartEdit.Axis("step", ("anchor", "y2"))),
            ("yaxis", ChartEdit.Axis("loss", ("domain", new[] { 0.32, 1.0 }))),
            ("yaxis2", ChartEdit.Axis("learning rate", ("domain", new[] { 0.0, 0.24 }), ("exponentformat", "e"))),
            ("height", 480));
    }
}
