using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.DotNet.Interactive.Formatting;

namespace StepAudio.Notebooks.Tests.Integration;

/// <summary>
/// Every notebook in <c>notebooks/</c> executed by the real tool (Jupyter + the .NET kernel) in the quick setting,
/// against the packages <c>scripts/pack.sh</c> just wrote: no cell errors, charts and audio present and offline.
/// In-process runs cannot show what only the tool does (its own FSharp.Core, TorchSharp's load path).
/// </summary>
[Trait("Tier", "Integration")]
public sealed class RealToolNotebookTests
{
    static readonly ConcurrentDictionary<string, Lazy<JsonNode>> executed = new();
    static readonly string outputDir = Path.Combine(Path.GetTempPath(), $"stepaudio-notebooks-{Guid.NewGuid():N}");

    static IEnumerable<string> Names() => Directory.GetFiles(RepoPaths.Notebooks, "*.ipynb").Select(p => Path.GetFileName(p)).Order();

    public static TheoryData<string> Notebooks() => new(Names());

    /// <summary>The notebook executed once per test run (the export test reuses it).</summary>
    internal static JsonNode Executed(string name) => executed.GetOrAdd(name, n => new Lazy<JsonNode>(() =>
    {
        _ = PackedFeed.Version;
        return Jupyter.Execute(Path.Combine(RepoPaths.Notebooks, n), outputDir,
            new Dictionary<string, string> { ["STEPAUDIO_NOTEBOOK_QUICK"] = "1" }, timeoutSeconds: 420);
    })).Value;

    internal static string ExecutedPath(string name) => Path.Combine(outputDir, name);

    [Theory]
    [MemberData(nameof(Notebooks))]
    public void Runs_in_the_real_tool_without_errors_and_loads_nothing_from_outside(string notebook)
    {
        var result = Executed(notebook);
        Assert.Empty(Jupyter.Errors(result));
        foreach (var html in Jupyter.Data(result, HtmlFormatter.MimeType))
        {
            Assert.DoesNotMatch(@"<script[^>]*\bsrc\s*=\s*[""']?(https?:)?//", html);
        }
    }

    [Fact]
    public void The_series_plays_audio_and_draws_plotly_charts()
    {
        var html = Names().SelectMany(n => Jupyter.Data(Executed(n), HtmlFormatter.MimeType)).ToList();
        Assert.Contains(html, h => h.Contains("<audio") && h.Contains("data:audio/wav;base64,"));
        Assert.Contains(html, h => h.Contains("Plotly.newPlot"));
    }
}
