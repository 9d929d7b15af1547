using Microsoft.DotNet.Interactive.Formatting;
using StepAudio.Audio;
using CS = Plotly.NET.CSharp;

namespace StepAudio.Notebooks.Tests.Setup;

public sealed class HtmlReportTests : IDisposable
{
    public void Dispose() => Formatter.ResetToDefault();

    static int Count(string text, string what) => (text.Length - text.Replace(what, "").Length) / what.Length;

    [Fact]
    public void The_page_carries_plotly_once_plays_audio_and_loads_nothing_from_outside()
    {
        var clip = AudioClip.Mono(Enumerable.Range(0, 2400).Select(i => (float)Math.Sin(i * 0.1)).ToArray(), 24000);
        var chart = CS.Chart.Line<int, double, string>(new[] { 1, 2, 3 }, new[] { 3.0, 2.0, 1.5 }, Name: "loss");
        var report = new HtmlReport("a <b>report</b>")
            .Text("first paragraph\n\nsecond & last")
            .Heading("charts")
            .Add(chart, "one")
            .Add(Show.Mel(new float[80, 20], title: "a mel"))
            .Add(Show.Audio(clip, "a clip"));
        var html = report.ToHtml();

        Assert.Equal(6, report.Count);
        Assert.StartsWith("<!DOCTYPE html>", html);
        Assert.Contains("<title>a &lt;b&gt;report&lt;/b&gt;</title>", html);
        Assert.Contains("<p>second &amp; last</p>", html);
        Assert.Equal(1, Count(html, PlotlyHtml.LibraryMarker));
        Assert.Equal(2, Count(html, "class=\"sa-plot\""));
        Assert.Contains("data:audio/wav;base64,", html);
        Assert.DoesNotMatch(@"<script[^>]*\bsrc\s*=", html);
        Assert.True(html.IndexOf(PlotlyHtml.LibraryMarker, StringComparison.Ordinal) < html.IndexOf("class=\"sa-plot\"", StringComparison.Ordinal),
            "plotly.js comes before the first chart");

        var dir = RepoPaths.NewTempDir("stepaudio-report");
        try
        {
            var path = report.Save(Path.Combine(dir, "sub", "report.html"));
            Assert.Equal(html, File.ReadAllText(path));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
