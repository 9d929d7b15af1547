using StepAudio.Platform;

namespace StepAudio.Tests;

public class LibstdcxxCompatTests
{
    /// <summary>The unpatched library as NuGet ships it (the build output's copy may already be patched).</summary>
    static string OriginalLibrary()
    {
        var packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES");
        if (string.IsNullOrEmpty(packages))
            packages = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var path = Path.Combine(packages, "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        Assert.True(File.Exists(path), $"restore should have put {path} in the NuGet cache");
        return path;
    }

    [Fact]
    public void ReadsTheLibstdcxxVersionNeedsOfTorchSharp()
    {
        var needs = LibstdcxxCompat.VersionNeeds(File.ReadAllBytes(OriginalLibrary()));
        Assert.Contains(needs, n => n.File == "libstdc++.so.6" && n.Name == "GLIBCXX_3.4.32");
        Assert.Contains(needs, n => n.File == "libc.so.6");
    }

    [Fact]
    public void PatchWeakensOnlyWhatThisSystemLacks()
    {
        var system = LibstdcxxCompat.FindSystemLibstdcxx();
        Assert.NotNull(system);
        var provided = LibstdcxxCompat.VersionDefinitions(File.ReadAllBytes(system!));
        Assert.Contains("GLIBCXX_3.4.30", provided);
        var bytes = File.ReadAllBytes(OriginalLibrary());
        var before = (byte[])bytes.Clone();
        var weakened = LibstdcxxCompat.Patch(bytes, system);
        Assert.All(weakened, v => Assert.Contains(v, LibstdcxxCompat.WeakenableVersions));
        foreach (var need in LibstdcxxCompat.VersionNeeds(bytes).Where(n => n.File == "libstdc++.so.6"))
            Assert.True(provided.Contains(need.Name) || (need.Flags & 2) != 0, $"{need.Name} is neither provided nor weak");
        // Only flag bytes change; on a system that has every version nothing changes at all.
        int changed = bytes.Where((b, i) => b != before[i]).Count();
        Assert.Equal(weakened.Count, changed);
        Assert.Empty(LibstdcxxCompat.Patch(bytes, system)); // idempotent
    }

    [Fact]
    public void NotebookResolverWritesALoadableCopyAndLeavesTheOriginal()
    {
        var original = OriginalLibrary();
        var before = File.ReadAllBytes(original);
        var cache = TestPaths.NewTempDir();
        try
        {
            var copy = StepAudio.Platform.TorchRuntime.PatchedCopy(original, cache);
            Assert.StartsWith(Path.Combine(cache, "stepaudio", "native"), copy);
            Assert.False(LibstdcxxCompat.NeedsPatch(copy));
            Assert.Equal(before, File.ReadAllBytes(original));
            Assert.Equal(copy, StepAudio.Platform.TorchRuntime.PatchedCopy(original, cache)); // reused, not rewritten
        }
        finally { Directory.Delete(cache, true); }
    }

    [Fact]
    public void BuildOutputCopyLoadsOnThisSystem()
    {
        var copy = Path.Combine(AppContext.BaseDirectory, "libLibTorchSharp.so");
        Assert.True(File.Exists(copy));
        Assert.False(LibstdcxxCompat.NeedsPatch(copy), "the build should have patched the output copy where needed");
    }
}
