using Plotly.NET;
using CS = Plotly.NET.CSharp;

namespace StepAudio.Notebooks;

/// <summary>Charts and the table of a <see cref="LoraSweepResult"/>.</summary>
public static class LoraSweepCharts
{
    /// <summary>
    /// Best validation loss against learning rate (log axis), one line per rank, with the shared step-0 loss as a
    /// dashed line: where a rank's line dips lowest is its best learning rate.
    /// </summary>
    public static GenericChart Losses(LoraSweepResult result)
    {
        var parts = new List<GenericChart>();
        foreach (var rank in result.Ranks)
        {
            var points = result.Points.Where(p => p.Rank == rank).OrderBy(p => p.LearningRate).ToList();
            parts.Add(CS.Chart.Line<double, double, string>(points.Select(p => p.LearningRate), points.Select(p => p.BestLoss),
                Name: $"rank {rank}", ShowMarkers: true));
        }
        var lrs = result.LearningRates.Order().ToList();
        double step0 = result.Points.Average(p => p.Step0Loss);
        parts.Add(ChartEdit.Traces(CS.Chart.Line<double, double, string>(new[] { lrs[0], lrs[^1] }, new[] { step0, step0 },
            Name: "before training"), ("line", new Dictionary<string, object> { ["color"] = "#888", ["dash"] = "dash" })));
        return ChartEdit.Layout(CS.Chart.Combine(parts),
            ("title", ChartEdit.Title("LoRA sweep: best validation loss")),
            ("xaxis", ChartEdit.Axis("learning rate", ("type", "log"))),
            ("yaxis", ChartEdit.Axis("validation loss")),
            ("height", 380));
    }

    /// <summary>The grid as a heatmap of the improvement over the step-0 loss (rank down, learning rate across).</summary>
    public static GenericChart Grid(LoraSweepResult result)
    {
        var z = result.Ranks.Select(r => result.LearningRates.Select(lr => Math.Round(100 * result.At(r, lr).Improvement, 1))).ToList();
        var chart = CS.Chart.Heatmap<double, string, string, string>(z,
            X: result.LearningRates.Select(lr => lr.ToString("0.##e0", System.Globalization.CultureInfo.InvariantCulture)).ToArray(),
            Y: result.Ranks.Select(r => $"r{r}").ToArray());
        chart = ChartEdit.Traces(chart, ("colorscale", "Viridis"), ("texttemplate", "%{z}%"),
            ("colorbar", new Dictionary<string, object> { ["title"] = new Dictionary<string, object> { ["text"] = "% lower" } }));
        return ChartEdit.Layout(chart,
            ("title", ChartEdit.Title("validation loss improvement (%) by rank and learning rate")),
            ("xaxis", ChartEdit.Axis("learning rate", ("type", "category"))),
            ("yaxis", ChartEdit.Axis("LoRA rank", ("type", "category"))),
            ("height", 320));
    }

    /// <summary>One row per run, the best one marked.</summary>
    public static string TableHtml(LoraSweepResult result)
    {
        var best = result.Best;
        var rows = result.Points.Select(p => new TableRow(new[]
        {
            Html.Count(p.Rank), Html.Encode(p.LearningRate.ToString("0.####e0", System.Globalization.CultureInfo.InvariantCulture)),
            Html.Number(p.Alpha, "0.#"), Html.Count(p.TrainableParameters), Html.Number(p.Step0Loss), Html.Number(p.BestLoss),
            Html.Percent(p.Improvement, 1), Html.Duration(p.Seconds),
        }, p == best ? "sa-total" : null));
        return Html.Section($"LoRA sweep: {result.Points.Count} runs, best {best.Label}",
            Html.Table(new[] { "rank", "lr", "alpha", "trainable", "val loss at step 0", "best val loss", "improvement", "time" }, rows));
    }
}
