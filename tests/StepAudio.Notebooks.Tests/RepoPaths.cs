using System.Text.Json.Nodes;

namespace StepAudio.Notebooks.Tests;

/// <summary>The repository root (found from the test binary) and small real inputs made from its data-samples/.</summary>
public static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    public static string TinyConfig => Path.Combine(Root, "configs", "tiny.yaml");

    public static string Notebooks => Path.Combine(Root, "notebooks");

    public static string NewTempDir(string prefix)
    {
        var dir = Path.Combine(Path.GetTempPath(), $"{prefix}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>
    /// The first <paramref name="count"/> records of a data-samples manifest, audio paths made absolute, written to
    /// <paramref name="to"/> (what tests/StepAudio.Tests' TrainingFixture does for the trainer tests).
    /// </summary>
    public static void WriteManifest(string sampleManifest, string to, int count)
    {
        var from = Path.Combine(Root, "data-samples", sampleManifest);
        var folder = Path.GetDirectoryName(from)!;
        File.WriteAllLines(to, File.ReadLines(from).Where(l => l.Trim().Length > 0).Take(count).Select(l =>
        {
            var o = JsonNode.Parse(l)!.AsObject();
            foreach (var key in new[] { "prompt_audio_path", "target_audio_path" })
                o[key] = Path.GetFullPath(Path.Combine(folder, o[key]!.GetValue<string>()));
            return o.ToJsonString();
        }));
    }

    static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "StepAudioNotebooks.sln"))) return dir.FullName;
        throw new InvalidOperationException("StepAudioNotebooks.sln not found above " + AppContext.BaseDirectory);
    }
}
