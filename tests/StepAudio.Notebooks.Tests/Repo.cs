namespace StepAudio.Notebooks.Tests;

/// <summary>The repository this test assembly was built from.</summary>
static class Repo
{
    /// <summary>The folder holding StepAudioNotebooks.sln, found by walking up from the test binary.</summary>
    public static string Root { get; } = Find();

    public static string Notebooks => Path.Combine(Root, "notebooks");

    static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "StepAudioNotebooks.sln"))) return dir.FullName;
        throw new InvalidOperationException("StepAudioNotebooks.sln not found above " + AppContext.BaseDirectory);
    }
}
