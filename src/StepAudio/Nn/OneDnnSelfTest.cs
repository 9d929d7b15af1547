using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace StepAudio.Nn;

/// <summary>
/// Checks once per process, the first time a large convolution asks, that oneDNN convolutions with channel counts
/// that are multiples of 64 agree with the product path on this CPU — batches of 2 and 3, odd output counts,
/// dilations, strides and transposed convolutions like the vocoder's. If any case disagrees, every convolution stays on
/// the product path (slower, right).
/// </summary>
public static class OneDnnSelfTest
{
    static readonly Lazy<(bool Passed, string Detail)> Result = new(Run, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Whether oneDNN convolutions (channels in multiples of 64) may be used on this machine (runs the check on first use, ~50 ms).</summary>
    public static bool Passed => Result.Value.Passed;

    /// <summary>What the check found, for logs and benchmark headers.</summary>
    public static string Detail => Result.Value.Detail;

    static (bool, string) Run()
    {
        var cases = new (long B, long C, long Out, long K, long Stride, long Pad, long Dil, bool Transposed)[]
        {
            (2, 64, 64, 3, 1, 1, 1, false), (3, 128, 96, 11, 1, 25, 5, false), (2, 64, 18, 7, 1, 3, 1, false),
            (3, 192, 40, 7, 1, 9, 3, false), (2, 64, 37, 30, 15, 7, 1, false), (2, 128, 64, 16, 8, 4, 1, true),
            (3, 64, 64, 7, 3, 2, 1, true), (2, 256, 128, 11, 5, 3, 1, true),
        };
        try
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var g = new Generator(20261202);
            foreach (var c in cases)
            {
                var x = randn(new[] { c.B, c.C, 41L }, generator: g);
                var w = c.Transposed ? randn(new[] { c.C, c.Out, c.K }, generator: g) : randn(new[] { c.Out, c.C, c.K }, generator: g);
                Tensor Fast(Tensor xx, Tensor ww) => c.Transposed
                    ? GuardedConvolution.OneDnn(() => F.conv_transpose1d(xx, ww, null, c.Stride, c.Pad))
                    : GuardedConvolution.OneDnn(() => F.conv1d(xx, ww, null, c.Stride, c.Pad, c.Dil));
                Tensor Product(Tensor xx, Tensor ww) => c.Transposed
                    ? GuardedConvolution.ProductConvTranspose1d(xx, ww, null, c.Stride, c.Pad)
                    : GuardedConvolution.ProductConv1d(xx, ww, null, c.Stride, c.Pad, c.Dil);
                var bound = Product(x.abs(), w.abs()) * 1e-4 + 1e-4;                       // × Σ|terms|
                double excess = ((Fast(x, w) - Product(x, w)).abs() / bound).max().item<float>();
                if (!(excess <= 1))
                    return (false, $"oneDNN disagrees with the product path on this CPU (case {c}: {excess:G3}× tolerance); " +
                                   "large convolutions use the product path");
            }
            return (true, $"oneDNN verified on this CPU ({cases.Length} cases)");
        }
        catch (Exception e)   // an unusable oneDNN must never break a model: fall back to the product path
        {
            return (false, $"oneDNN check failed ({e.GetType().Name}: {e.Message}); large convolutions use the product path");
        }
    }
}
