namespace StepAudio.Notebooks;

/// <summary>
/// Where the notebooks write their runs: <c>runs/notebooks/</c> in the checkout (gitignored), with a <c>quick/</c>
/// folder of its own so a quick run never stands in for a full one. <c>STEPAUDIO_NOTEBOOK_RUNS</c> moves the whole tree
/// (the tests point it at a temporary folder).
/// </summary>
public static class NotebookRuns
{
    /// <summary>The environment variable that overrides the root folder.</summary>
    public const string RootVariable = "STEPAUDIO_NOTEBOOK_RUNS";

    /// <summary>The folder all notebook runs of the current setting go under.</summary>
    public static string Root
    {
        get
        {
            var root = Environment.GetEnvironmentVariable(RootVariable) is { Length: > 0 } env
                ? Path.GetFullPath(env)
                : Path.Combine(Config.DefaultConfig.RepoRoot(), "runs", "notebooks");
            return NotebookSetting.Quick ? Path.Combine(root, "quick") : root;
        }
    }

    /// <summary>A named folder under <see cref="Root"/> (not created).</summary>
    public static string Folder(string name) => Path.Combine(Root, name);
}
