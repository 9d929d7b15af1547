namespace StepAudio.Notebooks.Tests.Notebooks;

/// <summary>
/// The environment the notebook tests run in: the quick setting, and the notebooks' runs in a temporary folder
/// (removed afterwards) instead of <c>runs/notebooks/</c>, so a test never reads or replaces a user's runs.
/// </summary>
public sealed class QuickRuns : IDisposable
{
    readonly string? quickBefore = Environment.GetEnvironmentVariable(NotebookSetting.QuickVariable);
    readonly string? rootBefore = Environment.GetEnvironmentVariable(NotebookRuns.RootVariable);

    public QuickRuns()
    {
        Root = Path.Combine(Path.GetTempPath(), $"stepaudio-nbruns-{Guid.NewGuid():N}");
        Environment.SetEnvironmentVariable(NotebookSetting.QuickVariable, "1");
        Environment.SetEnvironmentVariable(NotebookRuns.RootVariable, Root);
    }

    public string Root { get; }

    public void Dispose()
    {
        Environment.SetEnvironmentVariable(NotebookSetting.QuickVariable, quickBefore);
        Environment.SetEnvironmentVariable(NotebookRuns.RootVariable, rootBefore);
        if (Directory.Exists(Root)) Directory.Delete(Root, recursive: true);
    }
}
