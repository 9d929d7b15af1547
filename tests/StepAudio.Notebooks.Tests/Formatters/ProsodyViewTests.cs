using System.Text.Json.Nodes;
using Microsoft.DotNet.Interactive.Formatting;
using Plotly.NET;
using StepAudio.Audio;

namespace StepAudio.Notebooks.Tests.Formatters;

public sealed class ProsodyViewTests : IDisposable
{
    public ProsodyViewTests() => NotebookFormatters.Register();
    public void Dispose() => Formatter.ResetToDefault();

    static AudioClip Sample(string path) => WavFile.Read(Path.Combine(RepoPaths.Root, "data-samples", "audio", path));

    static JsonObject Json(GenericChart chart) => JsonNode.Parse(GenericChart.toJson(chart))!.AsObject();

    static JsonNode Trace(JsonObject figure, string name) =>
        figure["data"]!.AsArray().Single(t => t!["name"]?.GetValue<string>() == name)!;

    /// <summary>A trace's y as numbers, null for a gap.</summary>
    static double?[] Ys(JsonNode trace) => trace["y"]!.AsArray().Select(v => v?.GetValue<double>()).ToArray();

    /// <summary>What the chart should hold: values to 2 decimals, NaN as a gap.</summary>
    static double?[] Expected(double[] values) =>
        values.Select(v => double.IsNaN(v) ? (double?)null : Math.Round(v, 2)).ToArray();

    [Fact]
    public void The_prosody_view_draws_the_F0_of_Analyze_at_its_frame_times_over_the_mel()
    {
        var clip = Sample("cmn_male/01.wav");               // 16 kHz: the mel is taken after resampling to 24 kHz
        Assert.Equal(16000, clip.SampleRate);
        var contour = Prosody.Analyze(clip);
        var view = Show.Prosody(clip, "<b>cmn</b>");

        Assert.Equal(contour.Frames, view.Mel.GetLength(1));   // one mel column per contour frame
        Assert.Equal(80, view.Mel.GetLength(0));
        var figure = Json(view.Chart);
        var f0 = Trace(figure, "F0 (Hz)");
        Assert.Equal(contour.Times, f0["x"]!.AsArray().Select(v => v!.GetValue<double>()).ToArray());
        Assert.Equal(Expected(contour.F0), Ys(f0));
        Assert.Contains(null, Ys(f0));                         // pauses are gaps, not zeros
        Assert.True(Ys(f0).Count(v => v is not null) > contour.Frames / 3, "too few voiced frames in speech");
        Assert.Equal("y2", f0["yaxis"]!.GetValue<string>());
        Assert.Equal("y", figure["layout"]!["yaxis2"]!["overlaying"]!.GetValue<string>());
        Assert.Equal(Expected(contour.EnergyDb), Ys(Trace(figure, "energy (dBFS)")));
        var heat = figure["data"]!.AsArray().Single(t => t!["type"]!.GetValue<string>() == "heatmap")!;
        Assert.Equal(Math.Round(contour.Times[0], 4), heat["x"]![0]!.GetValue<double>());   // columns at the frame centres
        Assert.Equal("x2", figure["layout"]!["xaxis"]!["matches"]!.GetValue<string>());

        var html = Formatter.ToDisplayString(view, HtmlFormatter.MimeType);
        Assert.Single(html.Split("<audio controls").Skip(1));
        Assert.Contains("&lt;b&gt;cmn&lt;/b&gt;", html);
        Assert.DoesNotContain("<b>cmn", html);
        Assert.Contains($"median F0 {Html.Number(contour.Summarize().MedianF0, "0")} Hz", html);
    }

    [Fact]
    public void The_comparison_shows_both_players_both_contours_and_the_numbers_of_Prosody_Compare()
    {
        var target = Sample("en_gb_female/02.wav");
        var generated = Sample("en_gb_female/02_sad.wav");
        var expected = Prosody.Compare(target, generated);
        Assert.True(double.IsFinite(expected.F0RmseCents));

        var view = Show.Compare(target, generated, "<i>reference</i>", "fine-tuned");
        var html = Formatter.ToDisplayString(view, HtmlFormatter.MimeType);

        Assert.Equal(2, html.Split("<audio controls").Length - 1);
        Assert.Contains($"<td>F0 RMSE (cents)</td><td>{Html.Number(expected.F0RmseCents, "0.0")}</td>", html);
        Assert.Contains($"<td>voicing agreement</td><td>{Html.Percent(expected.VoicingAgreement, 1)}</td>", html);
        Assert.Contains($"<td>median F0 (Hz)</td><td>{Html.Number(expected.Target.MedianF0, "0.0")}</td><td>{Html.Number(expected.Generated.MedianF0, "0.0")}</td>", html);
        Assert.Contains("&lt;i&gt;reference&lt;/i&gt;", html);
        Assert.DoesNotContain("<i>reference", html);
        Assert.Equal(2, html.Split("Plotly.newPlot").Length - 1);   // the pitch chart and the mels

        var pitch = Json(view.Pitch);
        Assert.Equal(Expected(expected.TargetF0), Ys(Trace(pitch, "<i>reference</i> · F0")));
        Assert.Equal(Expected(expected.GeneratedF0), Ys(Trace(pitch, "fine-tuned · F0")));
        Assert.Equal(expected.Times, Trace(pitch, "fine-tuned · F0")["x"]!.AsArray().Select(v => v!.GetValue<double>()).ToArray());
        Assert.Contains($"F0 RMSE {Html.Number(expected.F0RmseCents, "0")} cents", pitch["layout"]!["title"]!["text"]!.GetValue<string>());

        var mels = Json(view.Mels)["data"]!.AsArray();
        Assert.Equal(2, mels.Count);
        Assert.Equal(mels[0]!["zmax"]!.GetValue<double>(), mels[1]!["zmax"]!.GetValue<double>());   // one colour scale
        Assert.Equal(Math.Round(expected.Times[0], 4), mels[1]!["x"]![0]!.GetValue<double>());
        Assert.Equal(ClipMel.Of(generated).GetLength(1), view.GeneratedMel.GetLength(1));
        Assert.Equal(Prosody.Analyze(generated).Frames, view.GeneratedMel.GetLength(1));
    }

    [Fact]
    public void A_clip_at_another_rate_is_resampled_before_its_mel()
    {
        var clip = Sample("en_gb_female/03_whisper.wav");    // 22.05 kHz
        Assert.Equal(22050, clip.SampleRate);
        var mel = ClipMel.Of(clip);
        var direct = ClipMel.Of(AudioClip.Mono(Resampler.Resample(clip.ToMono(), 22050, 24000), 24000));
        Assert.Equal(direct, mel);
        Assert.Equal(MelParams.StepAudio.Frames((int)((long)clip.Length * 24000 / 22050 + 1)), mel.GetLength(1));
    }
}
