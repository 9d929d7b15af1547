using StepAudio.Audio;
using static TorchSharp.torch;

namespace StepAudio.Tests.Audio;

public class SampleTensorTests
{
    [Fact]
    public void CopiesSamplesIntoAOneRowFloatTensor()
    {
        var samples = Enumerable.Range(0, 1001).Select(i => MathF.Sin(i * 0.37f) - 0.5f).ToArray();
        using var t = SampleTensor.FromMono(samples);
        Assert.Equal(new long[] { 1, 1001 }, t.shape);
        Assert.Equal(ScalarType.Float32, t.dtype);
        Assert.Equal(samples, t.data<float>().ToArray());
        samples[0] = 42;                                   // a copy, not a view of the array
        Assert.NotEqual(42f, t[0, 0].item<float>());
    }

    [Fact]
    public void EmptyInputGivesAnEmptyRow()
    {
        using var t = SampleTensor.FromMono(Array.Empty<float>());
        Assert.Equal(new long[] { 1, 0 }, t.shape);
    }
}
