namespace StepAudio.Config;

/// <summary>
/// Finds the embedded default config, <c>configs/tiny.yaml</c>, in the working folder or one above it, else above the
/// program: the CLI runs from the checkout, a notebook from <c>notebooks/</c>, a test from its bin folder.
/// </summary>
public static class DefaultConfig
{
    /// <summary>The default's path relative to the checkout's root.</summary>
    public const string RelativePath = "configs/tiny.yaml";

    /// <summary>The full path of <c>configs/tiny.yaml</c>; an <see cref="InputException"/> when there is none.</summary>
    public static string Locate() => TryLocate() ?? throw new InputException("--config", null, null,
        "not given, and no configs/tiny.yaml (the embedded default) was found above this folder",
        "run from the StepAudioNotebooks checkout (or a folder inside it), or pass --config");

    /// <summary>The full path of <c>configs/tiny.yaml</c>, or null.</summary>
    public static string? TryLocate()
    {
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
            for (var dir = new DirectoryInfo(start); dir != null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "configs", "tiny.yaml");
                if (File.Exists(candidate)) return candidate;
            }
        return null;
    }

    /// <summary>The checkout's root: the folder that holds <c>configs/tiny.yaml</c>.</summary>
    public static string RepoRoot() => Path.GetDirectoryName(Path.GetDirectoryName(Locate()))!;
}
