namespace StepAudio.Notebooks;

/// <summary>
/// The two settings every notebook reads in its first cells: the full one (the default: the embedded default's own
/// epochs and a 3×3 sweep; each notebook ≤ 3 minutes on 2 cores) and the quick one, <c>STEPAUDIO_NOTEBOOK_QUICK=1</c>,
/// which shrinks epochs and grids so CI can execute every notebook in a few minutes altogether.
/// </summary>
public static class NotebookSetting
{
    /// <summary>The environment variable that selects the quick setting (<c>1</c> or <c>true</c>).</summary>
    public const string QuickVariable = "STEPAUDIO_NOTEBOOK_QUICK";

    /// <summary>Whether the quick setting is on (read on each call, so a cell may change it for what follows).</summary>
    public static bool Quick => Environment.GetEnvironmentVariable(QuickVariable)?.Trim().ToLowerInvariant() is "1" or "true" or "yes";

    /// <summary><paramref name="quick"/> in the quick setting, else <paramref name="full"/>.</summary>
    public static T Pick<T>(T quick, T full) => Quick ? quick : full;

    /// <summary>One line for a notebook to show which setting it runs in.</summary>
    public static string Describe() => Quick
        ? $"quick setting ({QuickVariable}=1): fewer epochs and a smaller sweep, for CI; unset it for the full runs"
        : $"full setting: the embedded default's epochs (set {QuickVariable}=1 for the quick CI setting)";
}
