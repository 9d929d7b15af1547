using Microsoft.DotNet.Interactive.Commands;
using Microsoft.DotNet.Interactive.Events;
using Microsoft.DotNet.Interactive.Formatting;

namespace StepAudio.Notebooks.Tests;

public sealed class ExtensionTests : IDisposable
{
    public void Dispose() => Formatter.ResetToDefault();

    [Fact]
    public async Task Load_announces_itself_and_torch_runs_in_the_kernel()
    {
        using var kernel = await NotebookHost.CreateLoadedKernelAsync();
        var result = await kernel.SendAsync(new SubmitCode("TorchSharp.torch.ones(2, 3).sum().item<float>()"));
        NotebookHost.EnsureSucceeded(result, "a torch cell");
        var value = result.Events.OfType<ReturnValueProduced>().Single();
        Assert.Equal(6f, (float)value.Value!);
    }

    [Fact]
    public async Task The_load_cell_carries_plotly_js_once_so_later_charts_stay_small()
    {
        PlotlyHtml.InlineLibraryAgain();   // as in a fresh kernel process
        using var kernel = NotebookHost.CreateKernel();
        var csharp = (Microsoft.DotNet.Interactive.CSharp.CSharpKernel)kernel.ChildKernels.Single();
        csharp.AddAssemblyReferences(new[] { typeof(NotebookExtension).Assembly.Location, typeof(Plotly.NET.GenericChart).Assembly.Location,
            typeof(Plotly.NET.CSharp.Chart).Assembly.Location });
        var load = await kernel.SendAsync(new SubmitCode(
            "StepAudio.Notebooks.NotebookExtension.Load(Microsoft.DotNet.Interactive.KernelInvocationContext.Current.HandlingKernel.RootKernel);"));
        NotebookHost.EnsureSucceeded(load, "loading the extension");
        var announced = Assert.Single(NotebookHost.Html(load));
        Assert.Contains("StepAudio.Notebooks", announced);
        Assert.Contains(PlotlyHtml.LibraryMarker, announced);

        var chart = await kernel.SendAsync(new SubmitCode(
            "Plotly.NET.CSharp.Chart.Line<double, double, string>(x: new[] { 1.0, 2 }, y: new[] { 2.0, 1 })"));
        NotebookHost.EnsureSucceeded(chart, "a chart cell");
        var html = Assert.Single(NotebookHost.Html(chart));
        Assert.Contains("Plotly.newPlot", html);
        Assert.DoesNotContain(PlotlyHtml.LibraryMarker, html);
    }
}
