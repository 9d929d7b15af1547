using System.Diagnostics;
using StepAudio.Platform;

namespace StepAudio.Tests.Platform;

/// <summary>
/// <c>stepaudio system</c> in a child process (MKL's code path is chosen once per process): it reports the guard and a
/// right GEMM, and <c>STEPAUDIO_MKL_AMD_AVX512=1</c> forces MKL's AVX-512 path exactly on AMD CPUs with AVX-512.
/// </summary>
public class SystemCommandTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ReportsMachineGuardAndMklPath(bool forceAvx512)
    {
        var (code, output) = RunCli(forceAvx512, "system");
        Assert.True(code == 0, output);
        Assert.Contains("convolution guard on", output);
        Assert.Contains("float32 GEMM: right", output);
        Assert.Matches(@"GEMM peak:\s+float32 \d+ GFLOP/s \(2048²\), bf16 \d+ GFLOP/s", output);
        bool amdAvx512 = CpuReport.Cpu() is { Vendor: "AuthenticAMD", Isa: var isa } && isa.Contains("AVX-512F", StringComparison.Ordinal)
                         && isa.Contains("BW", StringComparison.Ordinal);
        if (amdAvx512 && forceAvx512) Assert.Contains("MKL's AVX-512 path, forced", output);
        else Assert.DoesNotContain("forced", output);
        if (amdAvx512 && !forceAvx512) Assert.Contains("MKL's AVX2 path on this AVX-512 AMD CPU", output);
    }

    static (int Code, string Output) RunCli(bool forceAvx512, params string[] args)
    {
        var psi = new ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, "StepAudio.Cli"))
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment.Remove(CpuConvolutionGuard.OptOutVariable);
        if (forceAvx512) psi.Environment[MklAmdDispatch.Variable] = "1";
        else psi.Environment.Remove(MklAmdDispatch.Variable);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        Assert.True(p.WaitForExit(120_000), "stepaudio system did not finish in 2 minutes");
        return (p.ExitCode, stdout.Result + stderr.Result);
    }
}
