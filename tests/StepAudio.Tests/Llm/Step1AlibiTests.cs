using StepAudio.Llm;
using static TorchSharp.torch;

namespace StepAudio.Tests.Llm;

public class Step1AlibiTests
{
    [Theory]
    [InlineData(48)]
    [InlineData(12)]
    [InlineData(6)]
    public void NonPowerOfTwoHeadsTakeEveryOtherSlopeOfTheNextPower(int heads)
    {
        var s = Step1Alibi.Slopes(heads);
        int n = 1;
        while (n * 2 <= heads) n *= 2;
        Assert.Equal(Step1Alibi.Slopes(n), s[..n]);
        var twice = Step1Alibi.Slopes(2 * n);
        for (int m = 0; m < heads - n; m++) Assert.Equal(twice[2 * m], s[n + m], 12);
    }

    [Fact]
    public void CachedRowsAreTheLastRowsOfTheFullBias()
    {
        using var scope = NewDisposeScope();
        var full = Step1Alibi.Bias(6, 7, 7);
        var last = Step1Alibi.Bias(6, 2, 7);
        Assert.True(full[.., 5.., ..].nan_to_num(-1e9).allclose(last.nan_to_num(-1e9)));
        Assert.Equal(float.NegativeInfinity, full[0, 0, 1].item<float>());
        Assert.Equal(-Step1Alibi.Slopes(6)[2] * Math.Sqrt(3), full[2, 4, 1].item<float>(), 5);
    }
}
