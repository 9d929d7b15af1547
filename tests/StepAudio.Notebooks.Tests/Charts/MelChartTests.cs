using System.Text.Json.Nodes;
using Microsoft.DotNet.Interactive.Formatting;
using Plotly.NET;
using static TorchSharp.torch;

namespace StepAudio.Notebooks.Tests.Charts;

public sealed class MelChartTests : IDisposable
{
    public MelChartTests() => NotebookFormatters.Register();
    public void Dispose() => Formatter.ResetToDefault();

    static float[,] Ramp(int bins, int frames, float offset = 0)
    {
        var mel = new float[bins, frames];
        for (int b = 0; b < bins; b++)
            for (int f = 0; f < frames; f++) mel[b, f] = offset + b * 0.1f - f * 0.01f;
        return mel;
    }

    static JsonObject Json(GenericChart chart) => JsonNode.Parse(GenericChart.toJson(chart))!.AsObject();

    [Fact]
    public void The_heatmap_has_seconds_on_x_and_mel_bins_on_y()
    {
        var figure = Json(MelChart.Heatmap(Ramp(80, 100), sampleRate: 24000, hopLength: 480, title: "mel"));
        var trace = figure["data"]![0]!;
        Assert.Equal("heatmap", trace["type"]!.GetValue<string>());
        Assert.Equal(100, trace["x"]!.AsArray().Count);
        Assert.Equal(1.0, trace["x"]![50]!.GetValue<double>());       // frame 50 × 480 / 24000
        Assert.Equal(80, trace["y"]!.AsArray().Count);
        Assert.Equal(79, trace["y"]![79]!.GetValue<int>());
        Assert.Equal(7.9, trace["zmax"]!.GetValue<double>(), 4);
        Assert.Equal(-0.99, trace["zmin"]!.GetValue<double>(), 4);
        Assert.Equal(80, trace["z"]!.AsArray().Count);                // rows are bins
        Assert.Equal("time (s)", figure["layout"]!["xaxis"]!["title"]!["text"]!.GetValue<string>());
        Assert.Equal("mel bin", figure["layout"]!["yaxis"]!["title"]!["text"]!.GetValue<string>());
    }

    [Fact]
    public void Long_mels_are_averaged_down_to_the_column_limit()
    {
        var trace = Json(MelChart.Heatmap(Ramp(4, 6000)))["data"]![0]!;
        Assert.Equal(MelChart.MaxColumns, trace["x"]!.AsArray().Count);
        Assert.Equal(MelChart.MaxColumns, trace["z"]![0]!.AsArray().Count);
        Assert.Equal(5996 * 0.02, trace["x"]![MelChart.MaxColumns - 1]!.GetValue<double>(), 3);   // first frame of the last block
    }

    [Fact]
    public void A_tensor_gives_the_same_chart_as_its_array()
    {
        var mel = Ramp(8, 20);
        using var t = tensor(mel.Cast<float>().ToArray(), new long[] { 1, 8, 20 });
        Assert.Equal(mel, MelChart.ToArray(t));
        Assert.ThrowsAny<ArgumentException>(() => MelChart.ToArray(zeros(2, 8, 20)));   // TensorArgumentException
    }

    [Fact]
    public void Compared_mels_share_one_colour_scale_one_above_the_other()
    {
        var figure = Json(MelChart.Compare(Ramp(80, 50), Ramp(80, 60, offset: 5), "ground truth", "fine-tuned"));
        var (top, bottom) = (figure["data"]![0]!, figure["data"]![1]!);
        Assert.Equal(top["zmin"]!.GetValue<double>(), bottom["zmin"]!.GetValue<double>());
        Assert.Equal(top["zmax"]!.GetValue<double>(), bottom["zmax"]!.GetValue<double>());
        Assert.Equal(5 + 7.9, top["zmax"]!.GetValue<double>(), 4);     // the range of both
        Assert.False(bottom["showscale"]!.GetValue<bool>());
        Assert.Equal("y2", bottom["yaxis"]!.GetValue<string>());
        var layout = figure["layout"]!;
        Assert.True(layout["yaxis"]!["domain"]![0]!.GetValue<double>() > layout["yaxis2"]!["domain"]![1]!.GetValue<double>());
        Assert.Equal("ground truth · mel bin", layout["yaxis"]!["title"]!["text"]!.GetValue<string>());

        var html = Formatter.ToDisplayString(Show.CompareMels(Ramp(80, 50), Ramp(80, 60), "<i>a</i>", "b"), HtmlFormatter.MimeType);
        Assert.Contains("Plotly.newPlot", html);
        Assert.DoesNotContain("<i>a</i>", html);
    }
}
