using TorchSharp;
using static TorchSharp.torch;

namespace StepAudio.Tests;

public class TorchPlatformTests
{
    [Fact]
    public void TorchInitialisesAndComputes()
    {
        using var scope = NewDisposeScope();
        var t = arange(6, dtype: float32).reshape(2, 3);
        Assert.Equal(15f, t.sum().item<float>());
    }

    [Fact]
    public void BadShapeMmBecomesDotNetException()
    {
        using var scope = NewDisposeScope();
        var a = ones(2, 3);
        var b = ones(4, 5);
        Assert.ThrowsAny<System.Runtime.InteropServices.ExternalException>(() => a.mm(b));
    }
}
