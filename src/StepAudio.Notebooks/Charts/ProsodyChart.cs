using Plotly.NET;
using StepAudio.Audio;
using CS = Plotly.NET.CSharp;

namespace StepAudio.Notebooks;

/// <summary>
/// Pitch (F0) and energy as Plotly charts: over a clip's mel (<see cref="Contour"/>), target against generated
/// (<see cref="Compare"/>). Time is in seconds at the frame centres of <see cref="Prosody.Analyze"/>; unvoiced frames
/// are gaps in the F0 line.
/// </summary>
public static partial class ProsodyChart
{
    const string PitchColour = "#ff3b30", TargetColour = "#1f77b4", GeneratedColour = "#d62728";

    /// <summary>
    /// The mel heatmap with the F0 contour over it on a right-hand Hz axis, and the frame energy in a panel below with
    /// the silence level dashed; the time axes are linked. <paramref name="mel"/> must be the clip's 24 kHz mel
    /// (<see cref="ClipMel.Of"/>): one column per contour frame.
    /// </summary>
    public static GenericChart Contour(float[,] mel, ProsodyContour contour, string? title = null)
    {
        const string api = "ProsodyChart.Contour";
        ViewChecks.Mel(mel, api, nameof(mel));
        ArgumentNullException.ThrowIfNull(contour);
        if (mel.GetLength(1) != contour.Frames)
            throw new ArgumentException(
                $"{api}: mel has {mel.GetLength(1)} frames but the contour {contour.Frames}; pass the clip's ClipMel.Of and Prosody.Analyze", nameof(contour));
        var grid = MelParams.StepAudio;
        // The contour's frame k is centred half a window after the mel column's start: shift the columns onto it.
        var heat = MelChart.Trace(mel, grid.SamplingRate, grid.HopSize, MelChart.MinMax(mel), showScale: false, contour.Times[0]);
        var f0 = Line(contour.Times, contour.F0, "F0 (Hz)", PitchColour, ("yaxis", "y2"));
        var energy = Line(contour.Times, contour.EnergyDb, "energy (dBFS)", "#555", ("xaxis", "x2"), ("yaxis", "y3"));
        var silence = Line(new[] { contour.Times[0], contour.Times[^1] }, new[] { contour.SilenceDb, contour.SilenceDb },
            "silence level", "#999", ("xaxis", "x2"), ("yaxis", "y3"),
            ("line", new Dictionary<string, object> { ["color"] = "#999", ["dash"] = "dash", ["width"] = 1 }));
        var s = contour.Summarize();
        return ChartEdit.Layout(CS.Chart.Combine(new[] { heat, f0, energy, silence }),
            ("title", ChartEdit.Title(title ?? $"pitch and energy · median F0 {Html.Number(s.MedianF0, "0")} Hz, range {Html.Number(s.F0RangeSemitones, "0.0")} st")),
            ("xaxis", ChartEdit.Axis("", ("anchor", "y"), ("matches", "x2"), ("showticklabels", false))),
            ("yaxis", ChartEdit.Axis("mel bin", ("domain", new[] { 0.36, 1.0 }))),
            // Its own Hz scale, not the mel's: the mel bins are not linear in Hz above 1 kHz, and F0 would be a thin
            // band along the bottom if drawn at its true mel position.
            ("yaxis2", ChartEdit.Axis("F0 (Hz)", ("overlaying", "y"), ("side", "right"), ("anchor", "x"), ("showgrid", false),
                ("range", new[] { 0.0, PitchTop(contour.F0) }))),
            ("xaxis2", ChartEdit.Axis("time (s)", ("anchor", "y3"))),
            ("yaxis3", ChartEdit.Axis("energy (dBFS)", ("domain", new[] { 0.0, 0.3 }), ("anchor", "x2"))),
            ("legend", new Dictionary<string, object> { ["orientation"] = "h", ["y"] = -0.15 }),
            ("height", 520));
    }

    /// <summary>
    /// Both F0 contours on one Hz axis (top) and both energies below, frame for frame as
    /// <see cref="Prosody.Compare(ProsodyContour, ProsodyContour)"/> aligned them; the title carries the F0 RMSE.
    /// </summary>
    public static GenericChart Compare(ProsodyComparison comparison, string targetLabel = "target",
        string generatedLabel = "generated", string? title = null)
    {
        ArgumentNullException.ThrowIfNull(comparison);
        if (comparison.Times.Length == 0)
            throw new ArgumentException("ProsodyChart.Compare: the comparison has no frames (both clips empty?)", nameof(comparison));
        var t = comparison.Times;
        var parts = new[]
        {
            Line(t, comparison.TargetF0, $"{targetLabel} · F0", TargetColour, ("legendgroup", "target")),
            Line(t, comparison.GeneratedF0, $"{generatedLabel} · F0", GeneratedColour, ("legendgroup", "generated")),
            Line(t, comparison.TargetEnergyDb, $"{targetLabel} · energy", TargetColour, ("xaxis", "x2"), ("yaxis", "y2"),
                ("legendgroup", "target"), ("showlegend", false)),
            Line(t, comparison.GeneratedEnergyDb, $"{generatedLabel} · energy", GeneratedColour, ("xaxis", "x2"), ("yaxis", "y2"),
                ("legendgroup", "generated"), ("showlegend", false)),
        };
        return ChartEdit.Layout(CS.Chart.Combine(parts),
            ("title", ChartEdit.Title(title ?? $"pitch: {targetLabel} vs {generatedLabel} · F0 RMSE {Html.Number(comparison.F0RmseCents, "0")} cents")),
            ("xaxis", ChartEdit.Axis("", ("anchor", "y"), ("matches", "x2"), ("showticklabels", false))),
            ("yaxis", ChartEdit.Axis("F0 (Hz)", ("domain", new[] { 0.36, 1.0 }))),
            ("xaxis2", ChartEdit.Axis("time (s)", ("anchor", "y2"))),
            ("yaxis2", ChartEdit.Axis("energy (dBFS)", ("domain", new[] { 0.0, 0.28 }), ("anchor", "x2"))),
            ("height", 440));
    }

    /// <summary>A line over <paramref name="x"/>; non-finite y are gaps.</summary>
    internal static GenericChart Line(double[] x, double[] y, string name, string colour, params (string, object)[] more) =>
        ChartEdit.Trace("scatter", new (string, object)[]
        {
            ("x", x), ("y", ChartEdit.Gaps(y)), ("mode", "lines"), ("name", name),
            ("line", new Dictionary<string, object> { ["color"] = colour, ["width"] = 2 }),
        }.Concat(more).ToArray());

    /// <summary>Top of the Hz axis: a quarter above the highest pitch, at least 300 Hz.</summary>
    static double PitchTop(double[] f0)
    {
        double max = f0.Where(double.IsFinite).DefaultIfEmpty(0).Max();
        return Math.Max(300, Math.Ceiling(max * 1.25 / 50) * 50);
    }
}
