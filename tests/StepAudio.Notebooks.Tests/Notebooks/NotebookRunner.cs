using System.Diagnostics;
using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Commands;
using Microsoft.DotNet.Interactive.Documents;
using Microsoft.DotNet.Interactive.Documents.Jupyter;
using Microsoft.DotNet.Interactive.Events;
using Microsoft.DotNet.Interactive.Formatting;
using DocumentKernelInfo = Microsoft.DotNet.Interactive.Documents.KernelInfo;

namespace StepAudio.Notebooks.Tests.Notebooks;

/// <summary>What one code cell produced.</summary>
public sealed record CellRun(int Index, string Code, IReadOnlyList<KernelEvent> Events, TimeSpan Elapsed)
{
    /// <summary>Every text/html value the cell displayed or returned.</summary>
    public IEnumerable<string> Html => Formatted(HtmlFormatter.MimeType);

    /// <summary>Every text/plain value and standard-output line.</summary>
    public IEnumerable<string> Text => Formatted(PlainTextFormatter.MimeType)
        .Concat(Events.OfType<StandardOutputValueProduced>().SelectMany(e => e.FormattedValues).Select(v => v.Value));

    IEnumerable<string> Formatted(string mime) => Events.OfType<DisplayEvent>().Where(e => e is not StandardOutputValueProduced and not StandardErrorValueProduced)
        .SelectMany(e => e.FormattedValues).Where(v => v.MimeType == mime).Select(v => v.Value);
}

/// <summary>A whole notebook's run: its cells and time.</summary>
public sealed record NotebookRun(string Name, IReadOnlyList<CellRun> Cells, TimeSpan Elapsed)
{
    public string AllHtml => string.Join("\n", Cells.SelectMany(c => c.Html));
    public string AllText => string.Join("\n", Cells.SelectMany(c => c.Text));
}

/// <summary>
/// Executes a notebook headless in an in-process kernel (<see cref="NotebookHost"/>), as a user would top to bottom:
/// the first cell's package reference is pointed at the test feed and its exact version, the working folder is
/// <c>notebooks/</c>, and the first failing cell stops the run with its code and error.
/// </summary>
public static class NotebookRunner
{
    /// <summary>
    /// The first two code cells of every notebook, exactly as users run them: the local feed made absolute (the tool
    /// rejects a relative folder in <c>#i</c> with "Invalid URI"), then the package reference.
    /// </summary>
    public const string FeedFolder = "../artifacts/packages",
        FeedCell = "// The notebook tool takes only absolute folders in #i \"nuget:…\" (dotnet/interactive#3110): add ../artifacts/packages as one.\n"
                   + "var packages = System.IO.Path.GetFullPath(\"" + FeedFolder + "\");\n"
                   + "await Microsoft.DotNet.Interactive.Kernel.Root.SendAsync(new Microsoft.DotNet.Interactive.Commands.SubmitCode($\"#i \\\"nuget:{packages}\\\"\"));",
        PackageCell = "#r \"nuget:StepAudio.Notebooks, *-*\"";

    static readonly KernelInfoCollection Kernels = new()
    {
        new DocumentKernelInfo("csharp", languageName: "C#", aliases: new[] { "c#", "C#" }),
        new DocumentKernelInfo("markdown", languageName: "Markdown"),
    };

    public static InteractiveDocument Parse(string path) => Notebook.Parse(File.ReadAllText(path), Kernels);

    public static List<InteractiveDocumentElement> CodeCells(InteractiveDocument document) =>
        document.Elements.Where(e => !string.Equals(e.KernelName, "markdown", StringComparison.OrdinalIgnoreCase)).ToList();

    public static async Task<NotebookRun> RunAsync(string path, PackedFeed feed)
    {
        var cells = CodeCells(Parse(path));
        Assert.Equal(FeedCell, cells[0].Contents.ReplaceLineEndings("\n").Trim());
        Assert.Equal(PackageCell, cells[1].Contents.ReplaceLineEndings("\n").Trim());
        var runs = new List<CellRun>();
        var previous = Environment.CurrentDirectory;
        var total = Stopwatch.StartNew();
        using var kernel = NotebookHost.CreateKernel();
        Environment.CurrentDirectory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        try
        {
            for (int i = 0; i < cells.Count; i++)
            {
                var code = i switch
                {
                    0 => cells[0].Contents.Replace($"\"{FeedFolder}\"", $"\"{feed.Feed}\"", StringComparison.Ordinal),
                    1 => $"#r \"nuget:StepAudio.Notebooks, {feed.Version}\"",
                    _ => cells[i].Contents,
                };
                var watch = Stopwatch.StartNew();
                var result = await kernel.SendAsync(new SubmitCode(code, cells[i].KernelName ?? "csharp"));
                var run = new CellRun(i, code, result.Events.ToList(), watch.Elapsed);
                runs.Add(run);
                if (result.Events.OfType<CommandFailed>().FirstOrDefault() is { } failed)
                    throw new Xunit.Sdk.XunitException(
                        $"{Path.GetFileName(path)}: code cell {i} failed:\n{code}\n--- error ---\n{failed.Message}\n{failed.Exception}");
            }
        }
        finally
        {
            Environment.CurrentDirectory = previous;
            Formatter.ResetToDefault();
        }
        return new NotebookRun(Path.GetFileName(path), runs, total.Elapsed);
    }
}
