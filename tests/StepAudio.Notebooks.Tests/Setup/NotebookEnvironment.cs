namespace StepAudio.Notebooks.Tests.Setup;

/// <summary>Sets the notebook variables for one test and restores them after (tests in this assembly run one at a time).</summary>
sealed class NotebookEnvironment : IDisposable
{
    readonly string? quick = Environment.GetEnvironmentVariable(NotebookSetting.QuickVariable);
    readonly string? root = Environment.GetEnvironmentVariable(NotebookRuns.RootVariable);

    public NotebookEnvironment(bool quickSetting)
    {
        Root = RepoPaths.NewTempDir("stepaudio-nbsetup");
        Environment.SetEnvironmentVariable(NotebookSetting.QuickVariable, quickSetting ? "1" : null);
        Environment.SetEnvironmentVariable(NotebookRuns.RootVariable, Root);
    }

    public string Root { get; }

    public void Dispose()
    {
        Environment.SetEnvironmentVariable(NotebookSetting.QuickVariable, quick);
        Environment.SetEnvironmentVariable(NotebookRuns.RootVariable, root);
        Directory.Delete(Root, recursive: true);
    }
}
