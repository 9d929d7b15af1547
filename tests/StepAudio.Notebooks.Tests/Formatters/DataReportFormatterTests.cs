using System.Text.Json.Nodes;
using Microsoft.DotNet.Interactive.Formatting;
using StepAudio.Config;
using StepAudio.Data;

namespace StepAudio.Notebooks.Tests.Formatters;

public sealed class DataReportFormatterTests : IDisposable
{
    public DataReportFormatterTests() => NotebookFormatters.Register();
    public void Dispose() => Formatter.ResetToDefault();

    [Fact]
    public void A_real_report_shows_counts_and_highlights_escaped_problems()
    {
        // The real validator on a manifest with a good record, one whose speaker holds markup and one whose missing
        // audio file's name does.
        var dir = RepoPaths.NewTempDir("sa-report");
        var manifest = Path.Combine(dir, "train.jsonl");
        RepoPaths.WriteManifest("train.jsonl", manifest, 1);
        var speaker = JsonNode.Parse(File.ReadLines(manifest).First())!.AsObject();
        speaker["speaker_id"] = "<script>alert(1)</script>";
        var missing = JsonNode.Parse(File.ReadLines(manifest).First())!.AsObject();
        missing["target_audio_path"] = Path.Combine(dir, "<script>alert(2)</script>.wav");
        File.AppendAllLines(manifest, new[] { speaker.ToJsonString(), missing.ToJsonString() });
        var config = ConfigLoader.Load(RepoPaths.TinyConfig);
        var report = ManifestValidator.Validate(new[] { manifest }, config.Data, TrainMode.Llm);
        Assert.True(report.HasErrors);   // the missing audio file

        var html = Formatter.ToDisplayString(report, HtmlFormatter.MimeType);

        Assert.Contains("<td>records</td><td>2</td>", html);
        Assert.Contains("24000 Hz (target)", html);
        Assert.Contains("<td>speakers</td><td>2: ", html);
        Assert.Contains("class=\"sa-error\"", html);
        Assert.Contains("background:#fde2e1", html);
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;", html);
        Assert.Contains("&lt;script&gt;alert(2)&lt;/script&gt;", html);
        Assert.DoesNotContain("<script>", html);
        // Every problem is a row, errors first.
        Assert.Equal(report.Problems.Count, html.Split("<tr class=\"sa-error\">").Length - 1 + html.Split("<tr class=\"sa-warning\">").Length - 1);
        Assert.True(html.IndexOf("sa-error\">", StringComparison.Ordinal) < Math.Max(0, html.IndexOf("sa-warning\">", StringComparison.Ordinal)) || report.Warnings.Count == 0);
    }
}
