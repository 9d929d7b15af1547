using System.Text.Json.Nodes;

namespace StepAudio.Notebooks.Tests.Integration;

/// <summary>Runs notebooks in the real tool: <c>jupyter nbconvert --execute</c> on the <c>.net-csharp</c> kernel.</summary>
static class Jupyter
{
    /// <summary>Executes <paramref name="notebook"/> (working folder: its own) and returns the executed notebook.</summary>
    public static JsonNode Execute(string notebook, string outputDir, IDictionary<string, string>? environment = null,
        int timeoutSeconds = 600)
    {
        var jupyter = ToolTier.Tool("jupyter");
        ToolTier.Tool("dotnet-interactive");
        Directory.CreateDirectory(outputDir);
        ToolTier.Run(jupyter, new[]
        {
            "nbconvert", "--to", "notebook", "--execute", notebook, "--output-dir", outputDir,
            $"--ExecutePreprocessor.timeout={timeoutSeconds}", "--ExecutePreprocessor.kernel_name=.net-csharp",
        }, Path.GetDirectoryName(notebook), environment, timeoutSeconds + 120);
        return JsonNode.Parse(File.ReadAllText(Path.Combine(outputDir, Path.GetFileName(notebook))))!;
    }

    /// <summary>Every output of every cell.</summary>
    public static IEnumerable<JsonObject> Outputs(JsonNode notebook) =>
        notebook["cells"]!.AsArray().SelectMany(c => c!["outputs"]?.AsArray() ?? new JsonArray()).OfType<JsonObject>();

    /// <summary>The text of one MIME type across all outputs (Jupyter stores it as a string or a list of lines).</summary>
    public static List<string> Data(JsonNode notebook, string mimeType) =>
        Outputs(notebook).Select(o => o["data"]?[mimeType]).Where(d => d != null)
            .Select(d => d is JsonArray lines ? string.Concat(lines.Select(l => (string?)l)) : (string?)d ?? "").ToList();

    /// <summary>Error outputs and stderr streams that report a failure, as text.</summary>
    public static List<string> Errors(JsonNode notebook) =>
        Outputs(notebook).Where(o => (string?)o["output_type"] == "error")
            .Select(o => $"{o["ename"]}: {o["evalue"]}").ToList();

    /// <summary>A notebook whose code cells are <paramref name="cells"/>, for the .NET C# kernel.</summary>
    public static void Write(string path, params string[] cells)
    {
        var notebook = new JsonObject
        {
            ["nbformat"] = 4, ["nbformat_minor"] = 5,
            ["metadata"] = new JsonObject
            {
                ["kernelspec"] = new JsonObject { ["name"] = ".net-csharp", ["display_name"] = ".NET (C#)", ["language"] = "C#" },
                ["language_info"] = new JsonObject { ["name"] = "C#" },
            },
            ["cells"] = new JsonArray(cells.Select((c, i) => (JsonNode)new JsonObject
            {
                ["cell_type"] = "code", ["id"] = $"cell-{i}", ["metadata"] = new JsonObject(),
                ["execution_count"] = null, ["outputs"] = new JsonArray(), ["source"] = c,
            }).ToArray()),
        };
        File.WriteAllText(path, notebook.ToJsonString());
    }
}
