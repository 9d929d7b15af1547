using System.Text.Json;
using System.Text.Json.Nodes;
using StepAudio.Training;

namespace StepAudio.Notebooks;

/// <summary>A file or folder a run saved weights in.</summary>
/// <param name="RelativePath">Path inside the run folder.</param>
/// <param name="Kind"><c>checkpoint</c> (a .pt file), <c>adapter</c> (a PEFT adapter folder) or <c>resume state</c> (<c>last/</c>).</param>
/// <param name="Bytes">Size on disk (a folder: all its files).</param>
/// <param name="IsBest">Whether summary.json names it as the best LLM or flow checkpoint.</param>
public sealed record RunCheckpoint(string RelativePath, string Kind, long Bytes, bool IsBest);

/// <summary>
/// What a run folder holds, read once: <c>summary.json</c> (stages, best losses), <c>run.json</c> (versions, seed,
/// machine), <c>config.yaml</c>, the checkpoints with their sizes and the loss history of <c>metrics.jsonl</c>.
/// Files a run has not written yet (it is still in its first epoch, or was killed) are simply absent.
/// </summary>
public sealed record RunOverview(string Path, TrainingSummary? Summary, IReadOnlyDictionary<string, string> RunInfo,
    string? ConfigYaml, IReadOnlyList<RunCheckpoint> Checkpoints, TrainingHistory? History)
{
    static readonly JsonSerializerOptions SummaryJson = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>Reads <paramref name="runDir"/>.</summary>
    public static RunOverview Read(string runDir)
    {
        var dir = System.IO.Path.GetFullPath(runDir);
        if (!Directory.Exists(dir))
            throw new InputException(dir, null, null, "run folder not found", "pass a folder finetune wrote (it holds run.json)");
        var summaryFile = System.IO.Path.Combine(dir, "summary.json");
        var summary = File.Exists(summaryFile)
            ? InputException.ReadingJson(summaryFile, () => JsonSerializer.Deserialize<TrainingSummary>(File.ReadAllText(summaryFile), SummaryJson))
            : null;
        var runJson = System.IO.Path.Combine(dir, "run.json");
        var info = new Dictionary<string, string>();
        if (File.Exists(runJson))
            foreach (var (key, value) in InputException.ReadingJson(runJson, () => JsonNode.Parse(File.ReadAllText(runJson))!.AsObject()))
                info[key] = value is JsonValue v && v.TryGetValue<string>(out var s) ? s : value?.ToJsonString() ?? "null";
        var config = System.IO.Path.Combine(dir, "config.yaml");
        var history = File.Exists(System.IO.Path.Combine(dir, "metrics.jsonl")) ? TrainingHistory.Read(dir) : null;
        return new RunOverview(dir, summary, info, File.Exists(config) ? File.ReadAllText(config) : null,
            FindCheckpoints(dir, summary), history);
    }

    static List<RunCheckpoint> FindCheckpoints(string dir, TrainingSummary? summary)
    {
        var best = new[] { summary?.BestLlmCheckpoint, summary?.BestFlowCheckpoint }.OfType<string>()
            .Select(p => System.IO.Path.GetFullPath(p, dir)).ToHashSet();
        var list = new List<RunCheckpoint>();
        var last = System.IO.Path.Combine(dir, "last");
        foreach (var pt in Directory.EnumerateFiles(dir, "*.pt", SearchOption.AllDirectories)
                     .Where(p => !p.StartsWith(last + System.IO.Path.DirectorySeparatorChar, StringComparison.Ordinal)))
            list.Add(new RunCheckpoint(Relative(dir, pt), "checkpoint", new FileInfo(pt).Length, best.Contains(pt)));
        foreach (var adapter in Directory.EnumerateFiles(dir, "adapter_config.json", SearchOption.AllDirectories)
                     .Select(System.IO.Path.GetDirectoryName).OfType<string>())
            list.Add(new RunCheckpoint(Relative(dir, adapter), "adapter", FolderBytes(adapter), false));
        if (Directory.Exists(last)) list.Add(new RunCheckpoint("last", "resume state", FolderBytes(last), false));
        return list.OrderBy(c => c.RelativePath, StringComparer.Ordinal).ToList();
    }

    static string Relative(string dir, string path) => System.IO.Path.GetRelativePath(dir, path);

    static long FolderBytes(string folder) =>
        Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
}
