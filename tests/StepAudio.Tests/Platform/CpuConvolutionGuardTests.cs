using StepAudio.Platform;
using static TorchSharp.torch;

namespace StepAudio.Tests.Platform;

[Collection(GlobalTorchState.Name)]
public class CpuConvolutionGuardTests
{
    [Fact]
    public void LoadingStepAudioSwitchesOneDnnOffUnlessOptedOut()
    {
        bool optedOut = Environment.GetEnvironmentVariable(CpuConvolutionGuard.OptOutVariable) == "1";
        Assert.Equal(!optedOut, CpuConvolutionGuard.Active);
        Assert.Equal(optedOut, LibTorchNative.UserEnabledMkldnn);
        Assert.False(LibTorchNative.UserEnabledNnpack && !optedOut);
    }

    [Fact]
    public void ProductScopesNestAndRestore()
    {
        using var on = GuardOn();
        using (CpuConvolutionGuard.AllowOneDnn())
        {
            Assert.True(LibTorchNative.UserEnabledMkldnn);
            using (CpuConvolutionGuard.AllowOneDnn()) Assert.True(LibTorchNative.UserEnabledMkldnn);
            Assert.True(LibTorchNative.UserEnabledMkldnn);
        }
        Assert.False(LibTorchNative.UserEnabledMkldnn);
    }

    [Fact]
    public void DisposingAScopeTwiceReleasesItOnce()
    {
        using var on = GuardOn();
        using var outer = CpuConvolutionGuard.AllowOneDnn();
        var inner = CpuConvolutionGuard.AllowOneDnn();
        inner.Dispose();
        inner.Dispose();
        Assert.True(LibTorchNative.UserEnabledMkldnn);
    }

    [Fact]
    public void OnlyReducedPrecisionCpuWeightsOpenAProductScope()
    {
        using var on = GuardOn();
        using var f32 = zeros(2, 2);
        using var bf16 = zeros(new long[] { 2, 2 }, ScalarType.BFloat16);
        Assert.Null(CpuConvolutionGuard.OneDnnProductsFor(f32));
        using var scope = CpuConvolutionGuard.OneDnnProductsFor(bf16);
        Assert.NotNull(scope);
        Assert.True(LibTorchNative.UserEnabledMkldnn);
    }

    [Fact]
    public void DisableAndEnableSwitchTheGuard()
    {
        using var on = GuardOn();
        try
        {
            CpuConvolutionGuard.Disable();
            Assert.True(LibTorchNative.UserEnabledMkldnn);
            Assert.Contains("OFF", CpuConvolutionGuard.Describe());
        }
        finally
        {
            CpuConvolutionGuard.Enable();
        }
        Assert.False(LibTorchNative.UserEnabledMkldnn);
        Assert.True(CpuConvolutionGuard.Active);
    }

    /// <summary>Switches the guard on for one test (also under <c>STEPAUDIO_ONEDNN_CONV=1</c>) and restores the opt-out.</summary>
    static IDisposable GuardOn()
    {
        bool wasOff = !CpuConvolutionGuard.Active;
        CpuConvolutionGuard.Enable();
        return new Restore(wasOff);
    }

    sealed record Restore(bool WasOff) : IDisposable
    {
        public void Dispose()
        {
            if (WasOff) CpuConvolutionGuard.Disable();
        }
    }

    [Fact]
    public void ShowConfigNamesTheMathsLibraries()
    {
        var config = LibTorchNative.ShowConfig();
        Assert.Contains("MKL-DNN", config);   // oneDNN's old name
        Assert.Contains("CPU capability", config);
        Assert.Contains("ATen parallel backend", LibTorchNative.ParallelInfo());
    }
}

/// <summary>
/// The product scope hands bf16 matrix products to oneDNN; they must be right there, at odd sizes too (the
/// convolution bug is about channel counts that are not multiples of the vector block).
/// </summary>
[Collection(GlobalTorchState.Name)]
public class OneDnnProductTests
{
    [Fact]
    public void BFloat16ProductsAreRightInsideTheScope()
    {
        var rng = new Random(12);
        var failures = new List<string>();
        using var products = CpuConvolutionGuard.AllowOneDnn();
        for (int i = 0; i < 60; i++)
        {
            using var scope = NewDisposeScope();
            long b = 1 + rng.Next(4), m = 1 + i * 37 % 100, k = 1 + i * 53 % 300, n = 1 + rng.Next(100);
            var g = ConvolutionSweepTests.Seeded(rng);
            var x = randn(new[] { b, m, k }, generator: g).to(ScalarType.BFloat16);
            var w = randn(new[] { n, k }, generator: g).to(ScalarType.BFloat16);
            var y = nn.functional.linear(x, w).to(float64);
            var expected = einsum("bmk,nk->bmn", x.to(float64), w.to(float64));
            var bound = einsum("bmk,nk->bmn", x.to(float64).abs(), w.to(float64).abs()) / 128 + 1e-2;
            double excess = ((y - expected).abs() / bound).max().item<double>();
            if (!(excess <= 1)) failures.Add($"linear [{b}, {m}, {k}] x [{n}, {k}]ᵀ: {excess:G3}× tolerance");
        }
        Assert.True(failures.Count == 0, $"{CpuReport.OneLine()}\n{string.Join("\n", failures)}");
    }
}
