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
}
