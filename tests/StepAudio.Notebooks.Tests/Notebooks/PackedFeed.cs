using System.Diagnostics;

namespace StepAudio.Notebooks.Tests.Notebooks;

/// <summary>
/// StepAudio and StepAudio.Notebooks packed once per test run by <c>scripts/pack.sh</c> into a temporary feed, under a
/// version of their own: the NuGet cache keeps a package by version, so a reused one would hide a re-pack. The
/// version's folders are removed from the NuGet cache afterwards, so test runs do not pile up there.
/// </summary>
public sealed class PackedFeed : IDisposable
{
    public PackedFeed()
    {
        RepoRoot = RepoPaths.Root;
        Feed = Path.Combine(Path.GetTempPath(), $"stepaudio-nbfeed-{Guid.NewGuid():N}");
        Version = $"0.1.0-nbtest.{DateTime.UtcNow:yyyyMMddHHmmss}.{Environment.ProcessId}";
        Pack(Feed, Version);
    }

    /// <summary>Runs <c>scripts/pack.sh</c> (without the tool) into <paramref name="feed"/>; returns the version it used.</summary>
    public static string Pack(string feed, string? version = null)
    {
        var start = new ProcessStartInfo("bash", new[] { Path.Combine(RepoPaths.Root, "scripts", "pack.sh"), feed })
        {
            RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = RepoPaths.Root,
        };
        start.Environment["PACK_TOOL"] = "0";
        if (version != null) start.Environment["STEPAUDIO_PACK_VERSION"] = version;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(10))) process.Kill(entireProcessTree: true);
        var packed = stdout.Result.Trim().Split('\n')[^1].Trim();
        if (process.ExitCode != 0 || !File.Exists(Path.Combine(feed, $"StepAudio.Notebooks.{packed}.nupkg")))
            throw new InvalidOperationException($"scripts/pack.sh failed ({process.ExitCode}):\n{stdout.Result}\n{stderr.Result}");
        return packed;
    }

    public string RepoRoot { get; }
    /// <summary>The folder feed holding the packages.</summary>
    public string Feed { get; }
    /// <summary>The version both packages were packed under.</summary>
    public string Version { get; }

    public void Dispose()
    {
        if (Directory.Exists(Feed)) Directory.Delete(Feed, recursive: true);
        var cache = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } env
            ? env : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        foreach (var id in new[] { "stepaudio", "stepaudio.notebooks" })
        {
            var dir = Path.Combine(cache, id, Version.ToLowerInvariant());
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }
}

[CollectionDefinition(Name)]
public sealed class PackedFeedCollection : ICollectionFixture<PackedFeed>, ICollectionFixture<QuickRuns>
{
    public const string Name = "packed feed";
}
