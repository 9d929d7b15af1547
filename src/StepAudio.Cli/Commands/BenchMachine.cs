using StepAudio.Bench;
using StepAudio.Platform;
using TorchSharp;

namespace StepAudio.Cli.Commands;

/// <summary>Every bench command starts by saying what it runs on (to stderr, so JSON on stdout stays parseable).</summary>
static class BenchMachine
{
    public static void Print() => Console.Error.WriteLine("# C# side: " + CpuReport.OneLine());

    /// <summary>
    /// Runs <paramref name="run"/> between two peak probes at <paramref name="threads"/> threads and returns its result
    /// with the higher probe per dtype: on a shared machine the peak moves, and a peak is the best the machine did.
    /// </summary>
    public static (T Result, PeakGflops Peak) Bracketed<T>(int threads, Func<T> run)
    {
        var before = MatmulPeak.Both(threads);
        var result = run();
        var after = MatmulPeak.Both(threads);
        var p = new PeakGflops(Math.Max(before.Float32, after.Float32), Math.Max(before.BFloat16, after.BFloat16));
        Console.Error.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"# measured peak ({threads} threads, 2048² products) before/after: float32 {before.Float32:F0}/{after.Float32:F0} GFLOP/s, bf16 {before.BFloat16:F0}/{after.BFloat16:F0} GFLOP/s"));
        return (result, p);
    }

    /// <summary>"bf16" or "fp32", as the configs spell base dtypes.</summary>
    public static string DtypeName(torch.ScalarType dtype) => dtype == torch.ScalarType.BFloat16 ? "bf16" : "fp32";
}
