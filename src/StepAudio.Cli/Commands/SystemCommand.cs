using System.CommandLine;
using System.Globalization;
using StepAudio.Platform;

namespace StepAudio.Cli.Commands;

/// <summary>
/// <c>stepaudio system</c>: what this machine runs — CPU and vector ISA, LibTorch's maths libraries, MKL's code path,
/// the convolution guard — and a float32 GEMM checked against float64 and timed. Include it in bug reports.
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
            return right ? 0 : 1;
        }));
        return command;
    }
}
