using System.Diagnostics;
using StepAudio.Platform;
using TorchSharp;
using static TorchSharp.torch;

namespace StepAudio.Bench;

/// <summary>
/// The machine's measured matrix-product peak: square <c>mm</c>s through LibTorch at the bench's thread count, best of
/// a few repetitions, in GFLOP/s (2·n³ per product). bf16 runs inside the oneDNN product scope, as the Step1 forward
/// does (<see cref="CpuConvolutionGuard.OneDnnProductsFor"/>), so the peak is the one a bf16 base can reach.
/// </summary>
public static class MatmulPeak
{
    /// <summary>GFLOP/s of an <paramref name="n"/>³ product in <paramref name="dtype"/>, the best of <paramref name="reps"/> timed runs after a warm-up.</summary>
    public static double Measure(ScalarType dtype, int threads, int n = 2048, int reps = 4)
    {
        int before = torch.get_num_threads();
        torch.set_num_threads(threads);
        try
        {
            using var scope = NewDisposeScope();
            using var g = new Generator(11);
            var a = randn(new long[] { n, n }, generator: g).to_type(dtype);
            var b = randn(new long[] { n, n }, generator: g).to_type(dtype);
            using var products = CpuConvolutionGuard.OneDnnProductsFor(a);
            a.mm(b).Dispose();   // thread pools, packing buffers and oneDNN's kernel choice start on first use
            double best = double.MaxValue;
            for (int i = 0; i < reps; i++)
            {
                var sw = Stopwatch.StartNew();
                a.mm(b).Dispose();
                best = Math.Min(best, sw.Elapsed.TotalSeconds);
            }
            return 2.0 * n * n * n / best / 1e9;
        }
        finally
        {
            torch.set_num_threads(before);
        }
    }

    /// <summary>The float32 and bf16 peaks at <paramref name="threads"/> threads.</summary>
    public static PeakGflops Both(int threads) => new(Measure(ScalarType.Float32, threads), Measure(ScalarType.BFloat16, threads));
}

/// <summary>Measured float32 and bf16 product peaks, GFLOP/s.</summary>
public sealed record PeakGflops(double Float32, double BFloat16)
{
    /// <summary>The peak of the products of a base in <paramref name="dtype"/>.</summary>
    public double For(ScalarType dtype) => dtype == ScalarType.BFloat16 ? BFloat16 : Float32;
}

/// <summary>
/// A bench step's throughput against the measured peak: FLOPs per step (model and hardware, see
/// <see cref="Training.Planning.StepFlopCount"/>), achieved GFLOP/s on the hardware FLOPs, and that as a share of the peak.
/// </summary>
public sealed record Throughput(double ModelFlops, double HardwareFlops, double Seconds, double PeakGflops)
{
    /// <summary>Hardware FLOPs per second, in GFLOP/s.</summary>
    public double Gflops => HardwareFlops / Seconds / 1e9;

    /// <summary>Achieved over peak.</summary>
    public double ShareOfPeak => Gflops / PeakGflops;

    /// <summary>Model FLOPs per second over the peak (nanoGPT's MFU: recomputation not credited).</summary>
    public double ModelShareOfPeak => ModelFlops / Seconds / 1e9 / PeakGflops;

    /// <summary>For a step of <paramref name="flops"/> taking <paramref name="seconds"/> against <paramref name="peak"/>.</summary>
    public static Throughput Of(Training.Planning.StepFlopCount flops, double seconds, double peak) =>
        new(flops.ModelFlops, flops.HardwareFlops, seconds, peak);

    /// <summary>One human line (stderr of the benches).</summary>
    public string Describe(string what, string dtype) => string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"{what}: {ModelFlops / 1e9:F1} GFLOP/step (model), {HardwareFlops / 1e9:F1} (hardware), {Gflops:F1} GFLOP/s = {100 * ShareOfPeak:F0} % of the measured {dtype} peak {PeakGflops:F0} GFLOP/s (model FLOPs: {100 * ModelShareOfPeak:F0} %)");
}
