using StepAudio.Platform;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace StepAudio.Tests.Platform;

/// <summary>
/// LibTorch's own CPU convolutions, batched and item by item, against a float64 reference, over a sampled grid that
/// covers every input and output channel count from 1 to 100, kernels 1/3/7/16, strides 1/2/8, dilations 1/3, one
/// group and depthwise, batches 1–5: with the guard on (the default once StepAudio is loaded) all must agree.
/// <para>
/// Run with <c>STEPAUDIO_ONEDNN_CONV=1</c> (guard off) to see the bug. Measured 2026-12-02 on an AMD EPYC (family 26,
/// model 2; AVX2, AVX-512 F/BW/VNNI/BF16), 2 threads, LibTorch 2.10.0 with oneDNN 3.7.1, guard off:
/// <list type="bullet">
/// <item>conv1d: 33 of 100 cases wrong, all with batch ≥ 2, kernel &gt; 1, one group and an input channel count
/// that is not a multiple of 16 (e.g. b2 86→66 k3 s2: max |err| 12.5, 1,630× the tolerance; b3 23→19 k16: NaN);
/// the same cases item by item were right (≤ 0.005× the tolerance). No depthwise case failed.</item>
/// <item>conv1d backward: 8 of 30 wrong, the input gradient (|err| up to 18 on a scale of 46, or NaN); weight
/// gradients right.</item>
/// <item>bf16 conv1d: 13 of 24 wrong, batch 1 included (oneDNN takes every bf16 convolution).</item>
/// <item>conv2d: 19 of 50 wrong, batch 1 included whenever the kernel is 7×7 (oneDNN's rule for kernels &gt; 3).</item>
/// <item>conv_transpose1d: 7 of 60 wrong (batch ≥ 2).</item>
/// </list>
/// With the guard on (the default): 0 failures in all of them, on the same machine.
/// </para>
/// </summary>
[Collection(GlobalTorchState.Name)]
public class ConvolutionSweepTests
{
    // Float32 sums of n products are within ~√n·2⁻²⁴ of Σ|terms| in practice; 5e-5·Σ|terms| leaves a wide margin and
    // still flags a wrong value, whose error is of the order of the output itself (≈ Σ|terms| / √n, n ≤ 4,900 here).
    const double Float32Tolerance = 5e-5;
    // bf16 rounds inputs and output to 8 bits; only small fan-ins (n ≤ 64) keep a wrong value far above 2⁻⁷·Σ|terms|.
    const double BFloat16Tolerance = 1.0 / 128;

    public static readonly long[] Kernels = { 1, 3, 7, 16 };
    public static readonly long[] Strides = { 1, 2, 8 };
    public static readonly long[] Dilations = { 1, 3 };

    [Fact]
    public void Conv1dIsRightBatchedAndPerItem()
    {
        var failures = new List<string>();
        var rng = new Random(20261202);
        for (int i = 0; i < 100; i++)
        {
            var c = Conv1dCase.Sample(rng, i);
            Check(failures, c.ToString(), c.Input(rng), c.Weight(rng), ScalarType.Float32, Float32Tolerance,
                (x, w) => F.conv1d(x, w, stride: c.Stride, padding: c.Padding, dilation: c.Dilation, groups: c.Groups),
                (x, w) => ConvReference.Conv1d(x, w, c.Stride, c.Padding, c.Dilation, c.Groups));
        }
        AssertNone(failures, 100, "conv1d");
    }

    [Fact]
    public void ConvTranspose1dIsRightBatchedAndPerItem()
    {
        var failures = new List<string>();
        var rng = new Random(7);
        for (int i = 0; i < 60; i++)
        {
            var c = Conv1dCase.Sample(rng, i, transposed: true);
            var w = c.TransposedWeight(rng);
            Check(failures, c.ToString(), c.Input(rng), w, ScalarType.Float32, Float32Tolerance,
                (x, w) => F.conv_transpose1d(x, w, stride: c.Stride, padding: c.Padding, dilation: c.Dilation, groups: c.Groups),
                (x, w) => ConvReference.ConvTranspose1d(x, w, c.Stride, c.Padding, c.Dilation, c.Groups));
        }
        AssertNone(failures, 60, "conv_transpose1d");
    }

    [Fact]
    public void Conv2dIsRightBatchedAndPerItem()
    {
        var failures = new List<string>();
        var rng = new Random(11);
        for (int i = 0; i < 50; i++)
        {
            long cin = 1 + i * 37 % 100, k = new long[] { 1, 3, 7 }[rng.Next(3)], d = Dilations[rng.Next(2)];
            long s = new long[] { 1, 2 }[rng.Next(2)], p = rng.Next(2) == 0 ? 0 : k / 2, b = 1 + rng.Next(5);
            bool depthwise = rng.Next(4) == 0;
            long g = depthwise ? cin : 1, cout = depthwise ? cin : 1 + rng.Next(100);
            long span = (k - 1) * d + 1, h = span + rng.Next(6), wd = span + rng.Next(6);
            var name = $"conv2d b{b} {cin}->{cout} k{k} s{s} p{p} d{d} g{g} {h}x{wd}";
            var x = randn(new[] { b, cin, h, wd }, generator: Seeded(rng));
            var w = randn(new[] { cout, cin / g, k, k }, generator: Seeded(rng));
            Check(failures, name, x, w, ScalarType.Float32, Float32Tolerance,
                (x, w) => F.conv2d(x, w, strides: new[] { s, s }, padding: new[] { p, p }, dilation: new[] { d, d }, groups: g),
                (x, w) => ConvReference.Conv2d(x, w, s, p, d, g));
        }
        AssertNone(failures, 50, "conv2d");
    }

    [Fact]
    public void BFloat16ConvolutionsAreRightAtSmallFanIn()
    {
        var failures = new List<string>();
        var rng = new Random(3);
        for (int i = 0; i < 24; i++)
        {
            var c = Conv1dCase.Sample(rng, i, maxFanIn: 64);
            Check(failures, c + " bf16", c.Input(rng), c.Weight(rng), ScalarType.BFloat16, BFloat16Tolerance,
                (x, w) => F.conv1d(x, w, stride: c.Stride, padding: c.Padding, dilation: c.Dilation, groups: c.Groups),
                (x, w) => ConvReference.Conv1d(x, w, c.Stride, c.Padding, c.Dilation, c.Groups));
        }
        AssertNone(failures, 24, "bf16 conv1d");
    }

    [Fact]
    public void Conv1dGradientsAreRightBatched()
    {
        var failures = new List<string>();
        var rng = new Random(5);
        for (int i = 0; i < 30; i++)
        {
            using var scope = NewDisposeScope();
            var c = Conv1dCase.Sample(rng, i * 3);
            var x = c.Input(rng).requires_grad_(true);
            var w = c.Weight(rng).requires_grad_(true);
            var y = F.conv1d(x, w, stride: c.Stride, padding: c.Padding, dilation: c.Dilation, groups: c.Groups);
            var up = randn_like(y);
            var (gx, gw) = Grads(y, up, x, w);
            var x64 = x.detach().to(float64).requires_grad_(true);
            var w64 = w.detach().to(float64).requires_grad_(true);
            var y64 = ConvReference.Conv1d(x64, w64, c.Stride, c.Padding, c.Dilation, c.Groups);
            var (rx, rw) = Grads(y64, up.to(float64), x64, w64);
            // Scale: the gradient sums |upstream|·|weight| (input) or |upstream|·|input| (weight) terms.
            double sx = rx.abs().max().item<double>() + 1, sw = rw.abs().max().item<double>() + 1;
            double ex = (gx.to(float64) - rx).abs().max().item<double>(), ew = (gw.to(float64) - rw).abs().max().item<double>();
            if (!(ex <= 1e-4 * sx * Math.Sqrt(c.Batch)) || !(ew <= 1e-4 * sw * Math.Sqrt(c.Batch)))
                failures.Add($"{c}: |dx err| {ex:G3} (scale {sx:G3}), |dw err| {ew:G3} (scale {sw:G3})");
        }
        AssertNone(failures, 30, "conv1d backward");
    }

    static (Tensor, Tensor) Grads(Tensor y, Tensor upstream, Tensor x, Tensor w)
    {
        (y * upstream).sum().backward();   // not autograd.grad: its native entry point aborts the process on an error
        return (x.grad!, w.grad!);
    }

    /// <summary>Batched and per-item results of <paramref name="op"/> against the float64 reference, element by element.</summary>
    static void Check(List<string> failures, string name, Tensor x, Tensor w, ScalarType dtype, double tolerance,
        Func<Tensor, Tensor, Tensor> op, Func<Tensor, Tensor, Tensor> reference)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        x = x.to(dtype); w = w.to(dtype);                                    // the reference sees the rounded values
        var expected = reference(x, w);
        var bound = reference(x.abs(), w.abs()) * tolerance + tolerance;    // Σ|terms| per output
        var batched = op(x, w).to(float64);
        var perItem = cat(Enumerable.Range(0, (int)x.size(0)).Select(i => op(x.narrow(0, i, 1), w)).ToArray(), 0).to(float64);
        double eb = Excess(batched, expected, bound), ei = Excess(perItem, expected, bound);
        if (eb > 1 || ei > 1 || double.IsNaN(eb) || double.IsNaN(ei))
        {
            double worst = (batched - expected).abs().max().item<double>();
            failures.Add($"{name}: batched {eb:G3}× tolerance (max |err| {worst:G3}), per item {ei:G3}× tolerance");
        }
    }

    /// <summary>max |actual − expected| / bound (NaN if any value is NaN).</summary>
    static double Excess(Tensor actual, Tensor expected, Tensor bound) =>
        ((actual - expected).abs() / bound).max().item<double>();

    static void AssertNone(List<string> failures, int cases, string op) =>
        Assert.True(failures.Count == 0,
            $"{op}: {failures.Count} of {cases} cases wrong; {CpuConvolutionGuard.Describe()}; {CpuReport.OneLine()}\n" +
            string.Join("\n", failures.Take(15)));

    internal static Generator Seeded(Random rng) => new((ulong)rng.NextInt64(1, long.MaxValue));
}

/// <summary>One sampled 1-D convolution shape; case <c>i</c> takes input channels 1 + 37·i mod 100 and output
/// channels 1 + 53·i mod 100, so 100 consecutive cases cover every count from 1 to 100 on both sides.</summary>
sealed record Conv1dCase(long Batch, long In, long Out, long Kernel, long Stride, long Padding, long Dilation, long Groups, long Length)
{
    public static Conv1dCase Sample(Random rng, int i, bool transposed = false, long maxFanIn = long.MaxValue)
    {
        long cin = 1 + i * 37 % 100, cout = 1 + i * 53 % 100;
        long k = ConvolutionSweepTests.Kernels[rng.Next(4)], s = ConvolutionSweepTests.Strides[rng.Next(3)];
        long d = ConvolutionSweepTests.Dilations[rng.Next(2)], b = 1 + rng.Next(5);
        long g = 1;
        if (rng.Next(4) == 0) { g = cin; cout = cin * (1 + rng.Next(2)); }                  // depthwise (multiplier 1 or 2)
        if (g == 1) while (cin * k > maxFanIn && cin > 1) cin /= 2;
        long span = (k - 1) * d + 1;
        long p = transposed ? rng.Next((int)Math.Min(span, 4)) / 2 : rng.Next(2) == 0 ? 0 : span / 2;
        long t = transposed ? 1 + rng.Next(12) : Math.Max(1, span - 2 * p) + rng.Next(24);
        return new Conv1dCase(b, cin, cout, k, s, p, d, g, t);
    }

    public Tensor Input(Random rng) => randn(new[] { Batch, In, Length }, generator: ConvolutionSweepTests.Seeded(rng));

    public Tensor Weight(Random rng) => randn(new[] { Out, In / Groups, Kernel }, generator: ConvolutionSweepTests.Seeded(rng));

    public Tensor TransposedWeight(Random rng) =>
        randn(new[] { In, Out / Groups, Kernel }, generator: ConvolutionSweepTests.Seeded(rng));

    public override string ToString() =>
        $"b{Batch} {In}->{Out} k{Kernel} s{Stride} p{Padding} d{Dilation} g{Groups} T{Length}";
}
