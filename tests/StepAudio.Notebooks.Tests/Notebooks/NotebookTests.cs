using Xunit.Abstractions;

namespace StepAudio.Notebooks.Tests.Notebooks;

/// <summary>
/// Every notebook executed top to bottom in the quick setting against the packed package, with a check of what each
/// must show. Together they must stay under 3 minutes on 2 cores; each prints its time and its slowest cells.
/// </summary>
[Collection(PackedFeedCollection.Name)]
[TestCaseOrderer(NotebookOrder.TypeName, NotebookOrder.Assembly)]
public sealed class NotebookTests(PackedFeed feed, QuickRuns runs, ITestOutputHelper output)
{
    async Task<NotebookRun> Run(string name)
    {
        var path = Path.Combine(feed.RepoRoot, "notebooks", name + ".ipynb");
        var run = await NotebookRunner.RunAsync(path, feed);
        output.WriteLine($"{run.Name}: {run.Elapsed.TotalSeconds:F1} s (runs under {runs.Root})");
        foreach (var cell in run.Cells.OrderByDescending(c => c.Elapsed).Take(3))
            output.WriteLine($"  cell {cell.Index}: {cell.Elapsed.TotalSeconds:F1} s  {cell.Code.Split('\n')[0]}");
        return run;
    }

    [Fact]
    public async Task N00_setup_checks_the_machine()
    {
        var run = await Run("00-setup");
        Assert.Contains("float32 GEMM", run.AllHtml);
        Assert.Contains("convolution guard on", run.AllText);
        Assert.Contains("quick setting", run.AllText);
    }
}
