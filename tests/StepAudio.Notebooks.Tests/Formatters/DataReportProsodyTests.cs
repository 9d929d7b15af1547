using System.Text.Json.Nodes;
using Microsoft.DotNet.Interactive.Formatting;
using Plotly.NET;
using StepAudio.Config;
using StepAudio.Data;

namespace StepAudio.Notebooks.Tests.Formatters;

public sealed class DataReportProsodyTests : IDisposable
{
    public DataReportProsodyTests() => NotebookFormatters.Register();
    public void Dispose() => Formatter.ResetToDefault();

    /// <summary>The en_us_male records of data-samples (clone, speed, emotion, style) and one emotion record under a speaker holding markup.</summary>
    static string Manifest()
    {
        var dir = RepoPaths.NewTempDir("sa-pitch-report");
        var manifest = Path.Combine(dir, "train.jsonl");
        RepoPaths.WriteManifest("train.jsonl", manifest, 8);
        var marked = JsonNode.Parse(File.ReadLines(manifest).ElementAt(5))!.AsObject();
        marked["speaker_id"] = "<b>x</b>";
        File.AppendAllLines(manifest, new[] { marked.ToJsonString() });
        return manifest;
    }

    [Fact]
    public void The_report_shows_one_escaped_prosody_row_per_speaker_and_edit_type_and_a_chart()
    {
        var config = ConfigLoader.Load(RepoPaths.TinyConfig);
        var report = ManifestValidator.Validate(new[] { Manifest() }, config.Data, TrainMode.Llm);
        var groups = report.Prosody!;
        Assert.Equal(new[] { ("<b>x</b>", "emotion"), ("en_us_male", "clone"), ("en_us_male", "emotion"), ("en_us_male", "speed"), ("en_us_male", "style") },
            groups.Select(g => (g.Speaker, g.EditType)));

        var html = Formatter.ToDisplayString(report, HtmlFormatter.MimeType);

        Assert.Contains("<table class=\"sa-table sa-prosody\">", html);
        foreach (var g in groups)
            Assert.Contains($"<tr><td>{Html.Encode(g.Speaker)}</td><td>{g.EditType}</td><td>{g.Clips}</td><td>{Html.Number(g.MedianF0, "0")}</td>"
                + $"<td>{Html.Number(g.F0RangeSemitones, "0.0")}</td><td>{Html.Percent(g.VoicedShare, 0)}</td>", html);
        Assert.Contains("<td>&lt;b&gt;x&lt;/b&gt;</td>", html);
        Assert.DoesNotContain("<b>x</b>", html);
        var clone = groups.Single(g => g.Speaker == "en_us_male" && g.EditType == "clone");
        Assert.Equal(3, clone.Clips);
        Assert.InRange(clone.MedianF0, 60, 250);                // a male voice
        Assert.Contains("Plotly.newPlot", html);

        // The chart: per edit type a median-F0 bar over the speakers (top) and a range bar (below), same colour.
        var figure = JsonNode.Parse(GenericChart.toJson(ProsodyChart.Groups(groups)))!.AsObject();
        var traces = figure["data"]!.AsArray();
        Assert.Equal(2 * 4, traces.Count);
        var cloneF0 = traces.First(t => t!["name"]!.GetValue<string>() == "clone")!;
        Assert.Equal(new[] { "<b>x</b>", "en_us_male" }, cloneF0["x"]!.AsArray().Select(v => v!.GetValue<string>()));
        Assert.Null(cloneF0["y"]![0]);                           // no clone records for that speaker
        Assert.Equal(Math.Round(clone.MedianF0, 1), cloneF0["y"]![1]!.GetValue<double>());
        var cloneRange = traces.Last(t => t!["name"]!.GetValue<string>() == "clone")!;
        Assert.Equal("y2", cloneRange["yaxis"]!.GetValue<string>());
        Assert.Equal(cloneF0["marker"]!["color"]!.GetValue<string>(), cloneRange["marker"]!["color"]!.GetValue<string>());
        Assert.Equal(Math.Round(clone.F0RangeSemitones, 1), cloneRange["y"]![1]!.GetValue<double>());
    }

    [Fact]
    public void Without_prosody_the_report_has_no_prosody_table()
    {
        var config = ConfigLoader.Load(RepoPaths.TinyConfig);
        var report = ManifestValidator.Validate(new[] { Manifest() }, config.Data, TrainMode.Llm, prosody: false);
        var html = Formatter.ToDisplayString(report, HtmlFormatter.MimeType);
        Assert.Null(report.Prosody);
        Assert.Contains("<td>records</td><td>9</td>", html);
        Assert.DoesNotContain("sa-prosody\"", html);
        Assert.DoesNotContain("Plotly.newPlot", html);
    }
}
