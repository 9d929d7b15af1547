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
        var process = System.Diagnostics.Process.GetCurrentProcess();
        var cpu = process.TotalProcessorTime;
        var wall = System.Diagnostics.Stopwatch.StartNew();
        var result = run();
        process.Refresh();
        double busy = (process.TotalProcessorTime - cpu).TotalSeconds / wall.Elapsed.TotalSeconds;
        var after = MatmulPeak.Both(threads);
        var p = new PeakGflops(PeakSample.Max(before.Float32, after.Float32), PeakSample.Max(before.BFloat16, after.BFloat16));
        Console.Error.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"# measured peak ({threads} threads) before/after: float32 {before.Float32.Gflops:F0}/{after.Float32.Gflops:F0} GFLOP/s ({before.Float32.GflopsPerCpuSecond:F0}/{after.Float32.GflopsPerCpuSecond:F0} per CPU-second), " +
            $"bf16 {before.BFloat16.Gflops:F0}/{after.BFloat16.Gflops:F0} GFLOP/s ({before.BFloat16.GflopsPerCpuSecond:F0}/{after.BFloat16.GflopsPerCpuSecond:F0} per CPU-second); " +
            $"the run had {busy:F2} CPUs busy on average (of {threads} threads: less means other load on the machine)"));
        return (result, p);
    }

    /// <summary>"bf16" or "fp32", as the configs spell base dtypes.</summary>
    public static string DtypeName(torch.ScalarType dtype) => dtype == torch.ScalarType.BFloat16 ? "bf16" : "fp32";
}
