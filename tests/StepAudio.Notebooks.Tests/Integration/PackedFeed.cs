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
        var output = ToolTier.Run("bash", new[] { Path.Combine(RepoPaths.Root, "scripts", "pack.sh") }, RepoPaths.Root,
            new Dictionary<string, string> { ["PACK_TOOL"] = "0" }, timeoutSeconds: 900);
        var version = output.Trim().Split('\n')[^1].Trim();
        Assert.Matches(@"^\d+\.\d+\.\d+-dev\.\d{14}$", version);
        return (Path.Combine(RepoPaths.Root, "artifacts", "packages"), version);
    });

    public static string Folder => packed.Value.Folder;
    public static string Version => packed.Value.Version;
}
