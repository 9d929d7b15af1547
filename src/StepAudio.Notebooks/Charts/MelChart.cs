using Plotly.NET;
using static TorchSharp.torch;
using CS = Plotly.NET.CSharp;

namespace StepAudio.Notebooks;

/// <summary>
/// Mel spectrograms as Plotly heatmaps: x in seconds (frame × hop / rate), y in mel bins, Viridis. Returns plain
/// <see cref="GenericChart"/>s so notebooks can restyle or combine them; they render through <see cref="PlotlyHtml"/>.
/// </summary>
public static class MelChart
{
    /// <summary>
    /// Widest heatmap sent to the page: longer mels are averaged down to this many columns (a 60 s mel at 50 frames/s
    /// would otherwise put 240,000 numbers into the notebook).
    /// </summary>
    public const int MaxColumns = 1500;

    /// <summary>A heatmap of <paramref name="mel"/> [bins, frames].</summary>
    public static GenericChart Heatmap(float[,] mel, int sampleRate = 24000, int hopLength = 480, string? title = null)
    {
        ViewChecks.Mel(mel, "MelChart.Heatmap", nameof(mel));
        ViewChecks.Grid(sampleRate, hopLength, "MelChart.Heatmap");
        var chart = Trace(mel, sampleRate, hopLength, MinMax(mel), showScale: true);
        return ChartEdit.Layout(chart,
            ("title", ChartEdit.Title(title ?? Describe(mel, sampleRate, hopLength))),
            ("xaxis", ChartEdit.Axis("time (s)")),
            ("yaxis", ChartEdit.Axis("mel bin")),
            ("height", 320));
    }

    /// <summary>A heatmap of a mel tensor [bins, frames] or [1, bins, frames].</summary>
    public static GenericChart Heatmap(Tensor mel, int sampleRate = 24000, int hopLength = 480, string? title = null) =>
        Heatmap(ToArray(ViewChecks.MelTensor(mel, "MelChart.Heatmap", nameof(mel))), sampleRate, hopLength, title);

    /// <summary>
    /// Two mels one above the other on one colour scale (the range of both), so "brighter" means the same in each;
    /// the time axes are linked for zooming.
    /// </summary>
    public static GenericChart Compare(float[,] target, float[,] generated, string targetTitle = "target",
        string generatedTitle = "generated", int sampleRate = 24000, int hopLength = 480, string? title = null) =>
        Compare(target, generated, targetTitle, generatedTitle, sampleRate, hopLength, title, 0);

    /// <summary>The comparison with every column drawn <paramref name="offset"/> seconds later (see <see cref="Trace"/>).</summary>
    internal static GenericChart Compare(float[,] target, float[,] generated, string targetTitle, string generatedTitle,
        int sampleRate, int hopLength, string? title, double offset)
    {
        const string api = "MelChart.Compare";
        ViewChecks.Mel(target, api, nameof(target));
        ViewChecks.Mel(generated, api, nameof(generated));
        ViewChecks.SameBins(target, generated, api);
        ViewChecks.Grid(sampleRate, hopLength, api);
        var (loA, hiA) = MinMax(target);
        var (loB, hiB) = MinMax(generated);
        var range = (Math.Min(loA, loB), Math.Max(hiA, hiB));
        var top = Trace(target, sampleRate, hopLength, range, showScale: true, offset);
        var bottom = ChartEdit.Traces(Trace(generated, sampleRate, hopLength, range, showScale: false, offset),
            ("xaxis", "x2"), ("yaxis", "y2"));
        var chart = CS.Chart.Combine(new[] { top, bottom });
        return ChartEdit.Layout(chart,
            ("title", ChartEdit.Title(title ?? $"{targetTitle} vs {generatedTitle}")),
            ("xaxis", ChartEdit.Axis("time (s)", ("anchor", "y"), ("matches", "x2"))),
            ("yaxis", ChartEdit.Axis($"{targetTitle} · mel bin", ("domain", new[] { 0.55, 1.0 }))),
            ("xaxis2", ChartEdit.Axis("time (s)", ("anchor", "y2"))),
            ("yaxis2", ChartEdit.Axis($"{generatedTitle} · mel bin", ("domain", new[] { 0.0, 0.45 }), ("anchor", "x2"))),
            ("height", 560));
    }

    /// <summary>Two mel tensors ([bins, frames] or [1, bins, frames]); see the array overload.</summary>
    public static GenericChart Compare(Tensor target, Tensor generated, string targetTitle = "target",
        string generatedTitle = "generated", int sampleRate = 24000, int hopLength = 480, string? title = null) =>
        Compare(ToArray(ViewChecks.MelTensor(target, "MelChart.Compare", nameof(target))),
            ToArray(ViewChecks.MelTensor(generated, "MelChart.Compare", nameof(generated))), targetTitle, generatedTitle, sampleRate, hopLength, title);

    /// <summary>
    /// The heatmap trace alone. Column k sits at k × hop / rate + <paramref name="offset"/> seconds: 0 for a bare mel;
    /// a pitch overlay passes the centre of frame 0 (10 ms for the 24 kHz mel) so columns and contour frames coincide.
    /// </summary>
    internal static GenericChart Trace(float[,] mel, int sampleRate, int hopLength, (double Lo, double Hi) range,
        bool showScale, double offset = 0)
    {
        int bins = mel.GetLength(0), frames = mel.GetLength(1);
        int columns = Math.Min(frames, MaxColumns);
        var z = new double[bins][];
        for (int b = 0; b < bins; b++) z[b] = new double[columns];
        var x = new double[columns];
        double frameSeconds = (double)hopLength / sampleRate;
        for (int c = 0; c < columns; c++)
        {
            int from = (int)((long)c * frames / columns), to = (int)((long)(c + 1) * frames / columns);
            x[c] = Math.Round(offset + from * frameSeconds, 4);
            for (int b = 0; b < bins; b++)
            {
                double sum = 0;
                for (int f = from; f < to; f++) sum += mel[b, f];
                z[b][c] = Math.Round(sum / (to - from), 3);  // 3 decimals: a third of the JSON, no visible change
            }
        }
        var chart = CS.Chart.Heatmap<double, double, int, string>(
            zData: z, X: x, Y: Enumerable.Range(0, bins).ToArray(), ColorScale: StyleParam.Colorscale.Viridis, ShowScale: showScale);
        return ChartEdit.Traces(chart, ("zmin", range.Lo), ("zmax", range.Hi));
    }

    internal static (double Lo, double Hi) MinMax(float[,] mel)
    {
        double lo = double.MaxValue, hi = double.MinValue;
        foreach (var v in mel)
        {
            if (!float.IsFinite(v)) continue;
            lo = Math.Min(lo, v);
            hi = Math.Max(hi, v);
        }
        return lo > hi ? (0, 1) : (lo, hi);
    }

    static string Describe(float[,] mel, int sampleRate, int hopLength) =>
        $"mel {mel.GetLength(0)} bins × {mel.GetLength(1)} frames ({Html.Duration((double)mel.GetLength(1) * hopLength / sampleRate)})";

    /// <summary>A mel tensor ([bins, frames] or [1, bins, frames], any floating-point dtype or device) as an array.</summary>
    public static float[,] ToArray(Tensor mel)
    {
        ViewChecks.MelTensor(mel, "MelChart.ToArray", nameof(mel));
        using var scope = NewDisposeScope();
        return StepAudio.Nn.TensorArrays.ToFloat2D(mel.dim() == 3 ? mel.squeeze(0) : mel);
    }
}
