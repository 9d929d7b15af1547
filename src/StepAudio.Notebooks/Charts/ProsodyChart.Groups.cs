using Plotly.NET;
using StepAudio.Data;
using CS = Plotly.NET.CSharp;

namespace StepAudio.Notebooks;

public static partial class ProsodyChart
{
    /// <summary>Colours of the edit types, in order of first appearance (plotly's default cycle, fixed so both panels agree).</summary>
    static readonly string[] Palette = { "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf" };

    /// <summary>
    /// The data report's prosody groups as bars grouped by speaker, one colour per edit type: median F0 (top) and
    /// F0 range in semitones (below). Emotion, speed and style edits should move these away from the clone bars.
    /// </summary>
    public static GenericChart Groups(IReadOnlyList<ProsodyGroup> groups, string? title = null)
    {
        ArgumentNullException.ThrowIfNull(groups);
        if (groups.Count == 0) throw new ArgumentException("ProsodyChart.Groups: no groups to draw", nameof(groups));
        var speakers = groups.Select(g => g.Speaker).Distinct().ToArray();
        var edits = groups.Select(g => g.EditType).Distinct().ToList();
        var parts = new List<GenericChart>();
        foreach (var (edit, i) in edits.Select((e, i) => (e, i)))
        {
            var bySpeaker = groups.Where(g => g.EditType == edit).ToDictionary(g => g.Speaker);
            double[] Of(Func<ProsodyGroup, double> pick) =>
                speakers.Select(s => bySpeaker.TryGetValue(s, out var g) ? pick(g) : double.NaN).ToArray();
            var colour = new Dictionary<string, object> { ["color"] = Palette[i % Palette.Length] };
            var clips = speakers.Select(s => bySpeaker.TryGetValue(s, out var g) ? $"{g.Clips} clip(s)" : "").ToArray();
            parts.Add(ChartEdit.Trace("bar", ("x", speakers), ("y", ChartEdit.Gaps(Of(g => g.MedianF0), 1)), ("name", edit),
                ("legendgroup", edit), ("marker", colour), ("hovertext", clips)));
            parts.Add(ChartEdit.Trace("bar", ("x", speakers), ("y", ChartEdit.Gaps(Of(g => g.F0RangeSemitones), 1)), ("name", edit),
                ("legendgroup", edit), ("marker", colour), ("hovertext", clips), ("showlegend", false), ("xaxis", "x2"), ("yaxis", "y2")));
        }
        return ChartEdit.Layout(CS.Chart.Combine(parts),
            ("title", ChartEdit.Title(title ?? "pitch per speaker and edit type (medians over target clips)")),
            ("barmode", "group"),
            ("xaxis", ChartEdit.Axis("", ("anchor", "y"), ("matches", "x2"), ("showticklabels", false))),
            ("yaxis", ChartEdit.Axis("median F0 (Hz)", ("domain", new[] { 0.54, 1.0 }))),
            ("xaxis2", ChartEdit.Axis("speaker", ("anchor", "y2"))),
            ("yaxis2", ChartEdit.Axis("F0 range (st)", ("domain", new[] { 0.0, 0.46 }), ("anchor", "x2"))),
            ("height", 460));
    }
}
