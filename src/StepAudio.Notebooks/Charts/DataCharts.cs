using Plotly.NET;
using StepAudio.Data;
using StepAudio.Evaluation;
using CS = Plotly.NET.CSharp;

namespace StepAudio.Notebooks;

/// <summary>Charts for looking at a data set and its features before training.</summary>
public static class DataCharts
{
    /// <summary>
    /// Each clip's duration, speech part and silence part stacked, grouped by folder (one folder per voice in
    /// <c>data-samples/</c>): long silences and outliers stand out at a glance.
    /// </summary>
    public static GenericChart Durations(DataReport report)
    {
        var clips = report.Clips.OrderBy(c => c.Path, StringComparer.Ordinal).ToList();
        var names = clips.Select(c => $"{Path.GetFileName(Path.GetDirectoryName(c.Path))}/{Path.GetFileName(c.Path)}").ToList();
        var speech = CS.Chart.Column<double, string, string>(clips.Select(c => Math.Round(c.SpeechDuration, 3)), Keys: names, Name: "speech (s)");
        var silence = CS.Chart.Column<double, string, string>(clips.Select(c => Math.Round(c.Duration - c.SpeechDuration, 3)), Keys: names,
            Name: "leading + trailing silence (s)");
        return ChartEdit.Layout(CS.Chart.Combine(new[] { speech, silence }),
            ("barmode", "stack"),
            ("title", ChartEdit.Title($"{clips.Count} clips, {report.TotalDuration:0.#} s of audio")),
            ("xaxis", ChartEdit.Axis("clip", ("tickangle", -60))),
            ("yaxis", ChartEdit.Axis("seconds")),
            ("height", 420));
    }

    /// <summary>
    /// Cosine similarity between speaker embeddings (1 = same direction). Clips of one voice should be more alike
    /// than clips of different voices: a block pattern along the diagonal when the labels are grouped by voice.
    /// </summary>
    public static GenericChart SpeakerSimilarity(IReadOnlyList<(string Label, float[] Embedding)> clips)
    {
        var z = clips.Select(a => clips.Select(b => Math.Round(Cosine(a.Embedding, b.Embedding), 3))).ToList();
        var labels = clips.Select(c => c.Label).ToList();
        var chart = ChartEdit.Traces(CS.Chart.Heatmap<double, string, string, string>(z, X: labels, Y: labels),
            ("colorscale", "Viridis"), ("zmin", -1), ("zmax", 1));
        return ChartEdit.Layout(chart,
            ("title", ChartEdit.Title("speaker embeddings: cosine similarity")),
            ("xaxis", ChartEdit.Axis("clip", ("type", "category"))),
            ("yaxis", ChartEdit.Axis("clip", ("type", "category"), ("autorange", "reversed"))),
            ("height", 460));
    }

    /// <summary>Cosine similarity of two vectors of equal length (0 when either is all zeros).</summary>
    public static double Cosine(float[] a, float[] b) =>
        SpeechMetrics.Cosine(a, b) is var c && double.IsNaN(c) ? 0 : c;   // a silent clip's zero embedding: 0, not NaN, in a heatmap
}
