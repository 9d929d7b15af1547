using Microsoft.DotNet.Interactive.Formatting;

namespace StepAudio.Notebooks.Tests.Integration;

/// <summary>
/// The packages as a new user meets them, from a temporary folder outside this repository (so none of the repo's
/// build files apply): a console app with a PackageReference, and <c>#r "nuget:StepAudio.Notebooks"</c> in the real
/// notebook tool. On Debian 12 / Ubuntu 22.04 both failed at the first tensor before the package carried its fixes.
/// </summary>
[Trait("Tier", "Integration")]
public sealed class ConsumerTests
{
    [Fact]
    public void A_console_app_with_a_package_reference_runs_torch_before_touching_any_StepAudio_type()
    {
        var feed = PackedFeed.Folder;
        var app = Path.Combine(Path.GetTempPath(), $"stepaudio-consumer-{Guid.NewGuid():N}");
        Assert.False(app.StartsWith(RepoPaths.Root, StringComparison.Ordinal));
        Directory.CreateDirectory(app);
        File.WriteAllText(Path.Combine(app, "consumer.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <RuntimeIdentifier>linux-x64</RuntimeIdentifier>
                <ImplicitUsings>enable</ImplicitUsings>
                <RestoreAdditionalProjectSources>{feed}</RestoreAdditionalProjectSources>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="StepAudio" Version="{PackedFeed.Version}" />
              </ItemGroup>
            </Project>
            """);
        // torch first: the buildTransitive fix must have patched the output; then the library's own maths.
        File.WriteAllText(Path.Combine(app, "Program.cs"), """
            Console.WriteLine($"torch sum {TorchSharp.torch.ones(2, 3).sum().item<float>()}");
            var tone = Enumerable.Range(0, 24000).Select(i => (float)Math.Sin(2 * Math.PI * 220 * i / 24000.0)).ToArray();
            using var mel = new StepAudio.Audio.MelSpectrogram();
            using var m = mel.Compute(tone);
            Console.WriteLine($"mel {string.Join('x', m.shape)}");
            """);
        var output = ToolTier.Run("dotnet", new[] { "run", "-c", "Release" }, app, timeoutSeconds: 600);
        Assert.Contains("torch sum 6", output);
        Assert.Matches(@"mel 80x\d+", output);
        Directory.Delete(app, recursive: true);
    }

    [Fact]
    public void The_notebook_package_loads_torch_charts_and_formatters_in_the_real_tool()
    {
        var feed = PackedFeed.Folder;
        var dir = Path.Combine(Path.GetTempPath(), $"stepaudio-nb-consumer-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        var notebook = Path.Combine(dir, "consumer.ipynb");
        Jupyter.Write(notebook,
            $"#i \"nuget:{feed}\"\n#r \"nuget:StepAudio.Notebooks, {PackedFeed.Version}\"",
            "TorchSharp.torch.ones(2, 3).sum().item<float>()",
            "StepAudio.Audio.AudioClip.Mono(Enumerable.Range(0, 8000).Select(i => (float)Math.Sin(i * 0.05)).ToArray(), 16000)",
            "Plotly.NET.CSharp.Chart.Line<double, double, string>(x: new[] { 1.0, 2, 3 }, y: new[] { 3.0, 1, 2 })");
        var executed = Jupyter.Execute(notebook, Path.Combine(dir, "out"), timeoutSeconds: 300);
        Assert.Empty(Jupyter.Errors(executed));
        var text = string.Join("\n", Jupyter.Data(executed, "text/plain").Concat(Jupyter.Data(executed, HtmlFormatter.MimeType)));
        Assert.Contains($"StepAudio.Notebooks {PackedFeed.Version} loaded", text);
        var html = Jupyter.Data(executed, HtmlFormatter.MimeType);
        Assert.Contains(html, h => h.Contains("<pre>6</pre>"));
        Assert.Contains(html, h => h.Contains("<audio") && h.Contains("data:audio/wav;base64,UklGR"));
        Assert.Contains(html, h => h.Contains("Plotly.newPlot"));
        Directory.Delete(dir, recursive: true);
    }
}
