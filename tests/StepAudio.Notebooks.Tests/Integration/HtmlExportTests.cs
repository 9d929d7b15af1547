namespace StepAudio.Notebooks.Tests.Integration;

/// <summary>
/// An executed notebook exported to HTML and opened in headless Chromium with every host name unresolvable: the
/// charts render (plotly.js came with the page), and a screenshot is kept for people to look at.
/// </summary>
[Trait("Tier", "Integration")]
public sealed class HtmlExportTests
{
    [Fact]
    public void An_exported_notebook_renders_its_charts_offline_in_headless_chromium()
    {
        var chromium = ToolTier.Tool("chromium", "chromium-browser", "google-chrome");
        var name = Directory.GetFiles(RepoPaths.Notebooks, "*.ipynb").Select(Path.GetFileName).Order()
            .First(n => n!.Contains("stage2", StringComparison.Ordinal))!;
        RealToolNotebookTests.Executed(name);
        var ipynb = RealToolNotebookTests.ExecutedPath(name);
        var dir = Path.GetDirectoryName(ipynb)!;
        ToolTier.Run(ToolTier.Tool("jupyter"), new[] { "nbconvert", "--to", "html", ipynb, "--output-dir", dir }, dir);
        var html = Path.ChangeExtension(ipynb, ".html");
        Assert.True(File.Exists(html), $"nbconvert wrote no {html}");

        string[] offline = { "--headless=new", "--no-sandbox", "--disable-gpu", "--host-resolver-rules=MAP * ~NOTFOUND",
                             "--virtual-time-budget=20000" };
        var dom = ToolTier.Run(chromium, offline.Append("--dump-dom").Append(html), dir, timeoutSeconds: 180);
        Assert.Contains("main-svg", dom);

        var screenshot = Path.Combine(RepoPaths.Root, "artifacts", "screenshots", Path.ChangeExtension(name, ".png"));
        Directory.CreateDirectory(Path.GetDirectoryName(screenshot)!);
        File.Delete(screenshot);
        ToolTier.Run(chromium, offline.Concat(new[] { $"--screenshot={screenshot}", "--window-size=1280,2400", html }), dir,
            timeoutSeconds: 180);
        Assert.True(new FileInfo(screenshot).Length > 20_000, $"{screenshot} is (nearly) empty");
    }
}
