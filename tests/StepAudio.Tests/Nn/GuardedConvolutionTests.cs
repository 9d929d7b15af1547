using StepAudio.Nn;
using StepAudio.Tests.Platform;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace StepAudio.Tests.Nn;

/// <summary>
/// The product-path convolutions the models use, against the float64 reference on a sampled grid (one group), in both
/// branches of <see cref="GuardedConvolution.Conv1d"/> (unfolded frames and one product per tap), with gradients.
/// </summary>
public class GuardedConvolutionTests
{
    const double Tolerance = 5e-5;   // × Σ|terms|, as in ConvolutionSweepTests

    [Theory]
    [InlineData(1, 60)]       // small: one product over unfolded frames
    [InlineData(2, 4000)]     // long: one product per tap
    public void Conv1dMatchesTheReference(int seed, int extraFrames)
    {
        var rng = new Random(seed);
        var failures = new List<string>();
        for (int i = 0; i < 40; i++)
        {
            using var scope = NewDisposeScope();
            long cin = 1 + i * 37 % 100, cout = 1 + i * 53 % 100, k = ConvolutionSweepTests.Kernels[rng.Next(4)];
            long s = ConvolutionSweepTests.Strides[rng.Next(3)], d = ConvolutionSweepTests.Dilations[rng.Next(2)];
            long b = 1 + rng.Next(4), span = (k - 1) * d + 1, p = rng.Next(2) == 0 ? 0 : span / 2;
            long t = Math.Max(1, span - 2 * p) + rng.Next(extraFrames);
            var x = randn(new[] { b, cin, t }, generator: ConvolutionSweepTests.Seeded(rng));
            var w = randn(new[] { cout, cin, k }, generator: ConvolutionSweepTests.Seeded(rng));
            var bias = randn(new[] { cout }, generator: ConvolutionSweepTests.Seeded(rng));
            var y = GuardedConvolution.Conv1d(x, w, bias, s, p, d).to(float64);
            var expected = ConvReference.Conv1d(x, w, s, p, d, 1) + bias.to(float64).view(1, -1, 1);
            var bound = (ConvReference.Conv1d(x.abs(), w.abs(), s, p, d, 1) + bias.abs().to(float64).view(1, -1, 1)) * Tolerance + Tolerance;
            double excess = ((y - expected).abs() / bound).max().item<double>();
            if (!(excess <= 1)) failures.Add($"b{b} {cin}->{cout} k{k} s{s} p{p} d{d} T{t}: {excess:G3}× tolerance");
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public void ConvTranspose1dMatchesTheReference()
    {
        var rng = new Random(3);
        var failures = new List<string>();
        for (int i = 0; i < 40; i++)
        {
            using var scope = NewDisposeScope();
            long cin = 1 + i * 37 % 100, cout = 1 + i * 53 % 100, k = new long[] { 1, 3, 7, 11, 16 }[rng.Next(5)];
            long s = new long[] { 1, 2, 3, 5, 8 }[rng.Next(5)], b = 1 + rng.Next(4), t = 1 + rng.Next(30);
            long p = rng.Next((int)Math.Min(k, 4)) / 2;
            var x = randn(new[] { b, cin, t }, generator: ConvolutionSweepTests.Seeded(rng));
            var w = randn(new[] { cin, cout, k }, generator: ConvolutionSweepTests.Seeded(rng));
            var y = GuardedConvolution.ConvTranspose1d(x, w, null, s, p).to(float64);
            var expected = ConvReference.ConvTranspose1d(x, w, s, p, 1, 1);
            var bound = ConvReference.ConvTranspose1d(x.abs(), w.abs(), s, p, 1, 1) * Tolerance + Tolerance;
            Assert.Equal(expected.shape, y.shape);
            double excess = ((y - expected).abs() / bound).max().item<double>();
            if (!(excess <= 1)) failures.Add($"b{b} {cin}->{cout} k{k} s{s} p{p} T{t}: {excess:G3}× tolerance");
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Theory]
    [InlineData(false, 40)]
    [InlineData(false, 3000)]
    [InlineData(true, 12)]
    public void GradientsMatchTheReference(bool transposed, int frames)
    {
        using var scope = NewDisposeScope();
        var g = new Generator(9);
        long b = 3, cin = 20, cout = 12, k = 7, s = transposed ? 3 : 1, d = transposed ? 1 : 3, p = 2;
        var x = randn(new[] { b, cin, (long)frames }, generator: g).requires_grad_(true);
        var w = (transposed ? randn(new[] { cin, cout, k }, generator: g) : randn(new[] { cout, cin, k }, generator: g)).requires_grad_(true);
        var y = transposed ? GuardedConvolution.ConvTranspose1d(x, w, null, s, p) : GuardedConvolution.Conv1d(x, w, null, s, p, d);
        var up = randn(y.shape, generator: g);
        (y * up).sum().backward();
        var x64 = x.detach().to(float64).requires_grad_(true);
        var w64 = w.detach().to(float64).requires_grad_(true);
        var y64 = transposed ? ConvReference.ConvTranspose1d(x64, w64, s, p, 1, 1) : ConvReference.Conv1d(x64, w64, s, p, d, 1);
        (y64 * up.to(float64)).sum().backward();
        foreach (var (got, want, name) in new[] { (x.grad!, x64.grad!, "input"), (w.grad!, w64.grad!, "weight") })
        {
            double scale = want.abs().max().item<double>(), err = (got.to(float64) - want).abs().max().item<double>();
            Assert.True(err <= 1e-5 * scale * Math.Sqrt(frames), $"{name} gradient off by {err:G3} (scale {scale:G3})");
        }
    }

    [Fact]
    public void WrongShapesAreClearErrors()
    {
        using var scope = NewDisposeScope();
        var e = Assert.Throws<ArgumentException>(() => GuardedConvolution.Conv1d(randn(2, 5, 9), randn(4, 6, 3)));
        Assert.Contains("expected input [B, C_in, T]", e.Message);
        Assert.Throws<ArgumentException>(() => GuardedConvolution.Conv1d(randn(2, 5, 2), randn(4, 5, 3)));
        Assert.Throws<ArgumentException>(() => GuardedConvolution.ConvTranspose1d(randn(2, 5, 9), randn(4, 5, 3)));
    }
}

/// <summary>Seeded construction reads torch's global generator, so these run apart from the parallel tests.</summary>
[Collection(GlobalTorchState.Name)]
public class GuardedConvModuleTests
{
    [Fact]
    public void ModulesKeepNnConvKeysAndInitialisation()
    {
        using var scope = NewDisposeScope();
        manual_seed(4);
        using var reference = nn.Conv1d(5, 7, 3);
        using var referenceT = nn.ConvTranspose1d(5, 7, 4);
        manual_seed(4);
        using var conv = new GuardedConv1d(5, 7, 3);
        using var convT = new GuardedConvTranspose1d(5, 7, 4);
        Assert.Equal(new[] { "bias", "weight" }, conv.state_dict().Keys.Order());
        foreach (var (a, b) in new[] { (conv.weight, reference.weight!), (conv.bias!, reference.bias!), (convT.weight, referenceT.weight!), (convT.bias!, referenceT.bias!) })
            Assert.True((a - b).abs().max().item<float>() == 0, $"{string.Join(",", a.shape)} vs {string.Join(",", b.shape)}");
        var x = randn(2, 5, 9);
        Assert.True((conv.call(x) - reference.call(x)).abs().max().item<float>() < 1e-5);
    }
}

/// <summary>
/// The large-inference branch forced onto every size: oneDNN for channel counts that are multiples of 64 where this
/// CPU passed the self-test, the product path elsewhere; either way the float64 reference must hold, for odd channel
/// counts and multiples of 64 alike, at batches ≥ 2.
/// </summary>
[Collection(GlobalTorchState.Name)]
public class GuardedOneDnnBranchTests
{
    [Fact]
    public void OneDnnBranchMatchesTheReference()
    {
        var saved = GuardedConvolution.OneDnnMinimumWork;
        GuardedConvolution.OneDnnMinimumWork = 0;
        try
        {
            var rng = new Random(31);
            var failures = new List<string>();
            using var noGrad = no_grad();
            for (int i = 0; i < 100; i++)
            {
                using var scope = NewDisposeScope();
                bool transposed = i % 2 == 1;
                long cin = i % 3 == 0 ? 64 * (1 + rng.Next(3)) : 1 + i * 37 % 100;
                long cout = i % 3 == 0 && rng.Next(2) == 0 ? 64 * (1 + rng.Next(2)) : 1 + i * 53 % 100;
                long k = new long[] { 1, 3, 7, 11, 16 }[rng.Next(5)];
                long s = new long[] { 1, 2, 3, 8 }[rng.Next(4)], d = transposed ? 1 : ConvolutionSweepTests.Dilations[rng.Next(2)];
                long b = 2 + rng.Next(4), span = (k - 1) * d + 1;
                long p = transposed ? rng.Next((int)Math.Min(k, 4)) / 2 : rng.Next(2) == 0 ? 0 : span / 2;
                long t = transposed ? 1 + rng.Next(30) : Math.Max(1, span - 2 * p) + rng.Next(40);
                var x = randn(new[] { b, cin, t }, generator: ConvolutionSweepTests.Seeded(rng));
                var w = randn(transposed ? new[] { cin, cout, k } : new[] { cout, cin, k }, generator: ConvolutionSweepTests.Seeded(rng));
                var bias = randn(new[] { cout }, generator: ConvolutionSweepTests.Seeded(rng));
                var y = (transposed ? GuardedConvolution.ConvTranspose1d(x, w, bias, s, p) : GuardedConvolution.Conv1d(x, w, bias, s, p, d)).to(float64);
                var b64 = bias.to(float64).view(1, -1, 1);
                var expected = (transposed ? ConvReference.ConvTranspose1d(x, w, s, p, 1, 1) : ConvReference.Conv1d(x, w, s, p, d, 1)) + b64;
                var sum = (transposed ? ConvReference.ConvTranspose1d(x.abs(), w.abs(), s, p, 1, 1) : ConvReference.Conv1d(x.abs(), w.abs(), s, p, d, 1)) + b64.abs();
                double excess = ((y - expected).abs() / (sum * 5e-5 + 5e-5)).max().item<double>();
                if (!(excess <= 1))
                    failures.Add($"{(transposed ? "conv_transpose1d" : "conv1d")} b{b} {cin}->{cout} k{k} s{s} p{p} d{d} T{t}: {excess:G3}× tolerance");
            }
            Assert.True(failures.Count == 0, $"{OneDnnSelfTest.Detail}\n{string.Join("\n", failures)}");
        }
        finally
        {
            GuardedConvolution.OneDnnMinimumWork = saved;
        }
    }
}
