namespace StepAudio.Notebooks.Tests.Integration;

/// <summary>
/// The packages as <c>scripts/pack.sh</c> writes them for users: once per test run, into the repository's
/// <c>artifacts/packages</c> (where the notebooks look), under a new version.
/// </summary>
static class PackedFeed
{
    static readonly Lazy<(string Folder, string Version)> packed = new(() =>
    {
        ToolTier.RequireOn();
        var folder = Path.Combine(RepoPaths.Root, "artifacts", "packages");
        var version = Notebooks.PackedFeed.Pack(folder);
        Assert.Matches(@"^\d+\.\d+\.\d+-dev\.\d{14}$", version);
        return (folder, version);
    });

    public static string Folder => packed.Value.Folder;
    public static string Version => packed.Value.Version;
}
