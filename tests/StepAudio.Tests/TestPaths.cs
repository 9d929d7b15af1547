namespace StepAudio.Tests;

/// <summary>Locations the tests read: the repository root and its committed fixtures and samples.</summary>
public static class TestPaths
{
    /// <summary>The folder holding StepAudioNotebooks.sln, found by walking up from the test binary.</summary>
    public static string RepoRoot { get; } = FindRepoRoot();

    /// <summary>Committed sample data (<c>data-samples/</c>).</summary>
    public static string DataSamples => Path.Combine(RepoRoot, "data-samples");

    /// <summary>Where parity fixtures are discovered: <c>$STEPAUDIO_PARITY_DIR</c>, else <c>tests/fixtures/parity</c>.</summary>
    public static string ParityDir
    {
        get
        {
            var env = Environment.GetEnvironmentVariable("STEPAUDIO_PARITY_DIR");
            return string.IsNullOrWhiteSpace(env)
                ? Path.Combine(RepoRoot, "tests", "fixtures", "parity")
                : Path.GetFullPath(env);
        }
    }

    /// <summary>A fresh empty folder under the system temp folder.</summary>
    public static string NewTempDir(string prefix = "stepaudio-test")
    {
        var dir = Path.Combine(Path.GetTempPath(), $"{prefix}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        return dir;
    }

    static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "StepAudioNotebooks.sln"))) return dir.FullName;
        throw new InvalidOperationException("StepAudioNotebooks.sln not found above " + AppContext.BaseDirectory);
    }
}
