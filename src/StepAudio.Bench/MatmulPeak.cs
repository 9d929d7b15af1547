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
    /// <summary>
    /// An <paramref name="n"/>³ product in <paramref name="dtype"/> after a warm-up: the best of <paramref name="reps"/>
    /// timed runs (GFLOP/s) and, over all of them, GFLOP per second of this process's CPU time (robust to other load on
    /// a shared machine, which stretches wall time but not CPU time).
    /// </summary>
    public static PeakSample Measure(ScalarType dtype, int threads, int n, int reps = 4)
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
            double best = double.MaxValue, cpu = CpuSeconds();
            for (int i = 0; i < reps; i++)
            {
                var sw = Stopwatch.StartNew();
                a.mm(b).Dispose();
                best = Math.Min(best, sw.Elapsed.TotalSeconds);
            }
            double flops = 2.0 * n * n * n;
            return new PeakSample(flops / best / 1e9, reps * flops / (CpuSeconds() - cpu) / 1e9);
        }
        finally
        {
            torch.set_num_threads(before);
        }
    }

    /// <summary>The float32 (2048²) and bf16 (4096², ~6× faster, so as long a run) peaks at <paramref name="threads"/> threads.</summary>
    public static PeakGflops Both(int threads) =>
        new(Measure(ScalarType.Float32, threads, 2048), Measure(ScalarType.BFloat16, threads, 4096));

    /// <summary>User + system CPU seconds of this process so far (all threads).</summary>
    public static double CpuSeconds()
    {
        using var p = Process.GetCurrentProcess();
        return p.TotalProcessorTime.TotalSeconds;
    }
}

/// <summary>A product peak: best wall-clock GFLOP/s, and GFLOP per CPU-second of the process.</summary>
public sealed record PeakSample(double Gflops, double GflopsPerCpuSecond)
{
    /// <summary>The higher of each figure (a peak is the best the machine did).</summary>
    public static PeakSample Max(PeakSample a, PeakSample b) =>
        new(Math.Max(a.Gflops, b.Gflops), Math.Max(a.GflopsPerCpuSecond, b.GflopsPerCpuSecond));
}

/// <summary>Measured float32 and bf16 product peaks.</summary>
public sealed record PeakGflops(PeakSample Float32, PeakSample BFloat16)
{
    /// <summary>The peak of the products of a base in <paramref name="dtype"/>.</summary>
    public PeakSample For(ScalarType dtype) => dtype == ScalarType.BFloat16 ? BFloat16 : Float32;
}

/// <summary>
/// A bench step's throughput against the measured peak: FLOPs per step (model and hardware, see
/// <see cref="Training.Planning.StepFlopCount"/>), achieved GFLOP/s on the hardware FLOPs and that as a share of the
/// peak, by wall clock and by the process's CPU time.
/// </summary>
public sealed record Throughput(double ModelFlops, double HardwareFlops, double Seconds, double CpuSeconds, PeakSample Peak)
{
    /// <summary>Hardware FLOPs per second, in GFLOP/s.</summary>
    public double Gflops => HardwareFlops / Seconds / 1e9;

    /// <summary>Achieved over peak, wall clock.</summary>
    public double ShareOfPeak => Gflops / Peak.Gflops;

    /// <summary>Model FLOPs per second over the peak (nanoGPT's MFU: recomputation not credited).</summary>
    public double ModelShareOfPeak => ModelFlops / Seconds / 1e9 / Peak.Gflops;

    /// <summary>Hardware FLOPs per CPU-second over the peak's: the share with other load on the machine taken out.</summary>
    public double CpuShareOfPeak => HardwareFlops / CpuSeconds / 1e9 / Peak.GflopsPerCpuSecond;

    /// <summary>For a step of <paramref name="flops"/> taking <paramref name="seconds"/> (<paramref name="cpuSeconds"/> of CPU) against <paramref name="peak"/>.</summary>
    public static Throughput Of(Training.Planning.StepFlopCount flops, double seconds, double cpuSeconds, PeakSample peak) =>
        new(flops.ModelFlops, flops.HardwareFlops, seconds, cpuSeconds, peak);

    /// <summary>One human line (stderr of the benches).</summary>
    public string Describe(string what, string dtype) => string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"{what}: {ModelFlops / 1e9:F1} GFLOP/step (model), {HardwareFlops / 1e9:F1} (hardware), {Gflops:F1} GFLOP/s = {100 * ShareOfPeak:F0} % of the measured {dtype} peak {Peak.Gflops:F0} GFLOP/s (model FLOPs: {100 * ModelShareOfPeak:F0} %); per CPU-second {100 * CpuShareOfPeak:F0} % of the peak's");

    /// <summary>The fields every bench's JSON line carries.</summary>
    public object Json => new
    {
        model_flops = ModelFlops, hardware_flops = HardwareFlops, gflops = Gflops, peak_gflops = Peak.Gflops,
        share_of_peak = ShareOfPeak, cpu_share_of_peak = CpuShareOfPeak,
    };
}
