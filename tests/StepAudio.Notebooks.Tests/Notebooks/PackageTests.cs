using Microsoft.DotNet.Interactive.Commands;
using Microsoft.DotNet.Interactive.Events;

namespace StepAudio.Notebooks.Tests.Notebooks;

/// <summary>The packed StepAudio.Notebooks, referenced as a user does, loads its extension and formats values.</summary>
[Collection(PackedFeedCollection.Name)]
public sealed class PackageTests(PackedFeed feed)
{
    [Fact]
    public async Task Referencing_the_package_runs_its_extension_and_registers_formatters()
    {
        using var kernel = NotebookHost.CreateKernel();
        var all = new List<KernelEvent>();   // the extension's cells run as commands of their own: watch the kernel
        using var watch = kernel.KernelEvents.Subscribe(e => { lock (all) all.Add(e); });
        var result = await kernel.SendAsync(new SubmitCode($"#i \"nuget:{feed.Feed}\"\n#r \"nuget:StepAudio.Notebooks, {feed.Version}\""));
        NotebookHost.EnsureSucceeded(result, "the package reference");
        var added = result.Events.OfType<PackageAdded>().Single(p => p.PackageReference.PackageName == "StepAudio.Notebooks");
        Assert.Equal(feed.Version, added.PackageReference.PackageVersion);
        Assert.True(File.Exists(Path.Combine(added.PackageReference.PackageRoot, "interactive-extensions", "dotnet", "extension.dib")));
        // extension.dib's Load announces itself: the package's extension ran, not only its assemblies. In-process the
        // test's own StepAudio.Notebooks.dll answers (the runtime prefers the host's copy), so its version is not the
        // packed one; the real tool loads the package's (the integration tier and a manual run check that).
        Assert.Contains(all.OfType<DisplayedValueProduced>().SelectMany(d => d.FormattedValues),
            v => System.Text.RegularExpressions.Regex.IsMatch(v.Value, @"StepAudio\.Notebooks \S+ loaded"));

        result = await kernel.SendAsync(new SubmitCode("StepAudio.Audio.AudioClip.Mono(new float[2400], 24000)"));
        NotebookHost.EnsureSucceeded(result, "formatting a clip");
        Assert.Contains(NotebookHost.Html(result), h => h.Contains("<audio", StringComparison.Ordinal));
    }
}
