using System.CommandLine;
using System.Globalization;
using StepAudio.Platform;

namespace StepAudio.Cli.Commands;

/// <summary>
/// <c>stepaudio system</c>: what this machine runs — CPU and vector ISA, LibTorch's maths libraries, MKL's code path,
/// the convolution guard — a float32 GEMM checked against float64 and timed, and the float32/bf16 product peaks the benches compare with. Include it in bug reports.
/// </summary>
public static class SystemCommand
{
    public static Command Create()
    {
        var command = new Command("system", "Show the CPU, maths libraries and convolution guard StepAudio runs on, with a GEMM check");
        command.SetAction(_ => CliErrors.Run(() =>
        {
            foreach (var (name, value) in CpuReport.Facts()) Console.WriteLine($"{name + ":",-14}{value}");
            var (right, error, gflops) = CpuReport.GemmCheck();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{"float32 GEMM:",-14}{(right ? "right" : "WRONG")} (max relative error {error:G2}), {gflops:0} GFLOP/s at 512×512×512"));
            int threads = TorchSharp.torch.get_num_threads();
            var peak = StepAudio.Bench.MatmulPeak.Both(threads);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{"GEMM peak:",-14}float32 {peak.Float32.Gflops:0} GFLOP/s (2048²), bf16 {peak.BFloat16.Gflops:0} GFLOP/s (4096²), {threads} threads, best of 4: the peaks the benches' shares are of"));
            return right ? 0 : 1;
        }));
        return command;
    }
}
