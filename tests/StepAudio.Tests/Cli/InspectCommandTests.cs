using System.Diagnostics;
using StepAudio.Cli.Commands;

namespace StepAudio.Tests.Cli;

/// <summary><c>stepaudio inspect CKPT</c>: 0 with the table on stdout, 1 for a damaged file, 2 without an argument.</summary>
public class InspectCommandTests
{
    static string FlowPt => Path.Combine(TestPaths.ParityDir, "flow", "flow.pt");

    [Fact]
    public void ExitCodes()
    {
        Assert.Equal(StepAudioCli.Usage, StepAudioCli.Run(new[] { "inspect" }));
        Assert.Equal(StepAudioCli.Success, StepAudioCli.Run(new[] { "inspect", FlowPt }));
        var dir = TestPaths.NewTempDir("stepaudio-inspect-cli");
        try
        {
            var cut = Path.Combine(dir, "cut.pt");
            File.WriteAllBytes(cut, File.ReadAllBytes(FlowPt)[..5000]);
            Assert.Equal(StepAudioCli.BadInput, StepAudioCli.Run(new[] { "inspect", cut }));
            Assert.Equal(StepAudioCli.BadInput, StepAudioCli.Run(new[] { "inspect", Path.Combine(dir, "missing.pt") }));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public async Task PrintsKeysDtypesAndShapes()
    {
        // In a child process: Console is process-wide and tests run in parallel.
        var psi = new ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, "StepAudio.Cli"))
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        psi.ArgumentList.Add("inspect");
        psi.ArgumentList.Add(FlowPt);
        using var p = Process.Start(psi)!;
        var stdoutTask = p.StandardOutput.ReadToEndAsync();
        var stderrTask = p.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await p.WaitForExitAsync(timeout.Token);
        var stdout = await stdoutTask;
        var stderr = await stderrTask;
        Assert.True(p.ExitCode == 0, stdout + stderr);
        Assert.Contains("format: pytorch-zip", stdout);
        Assert.Matches(@"\ninput_embedding\.embedding\.weight +F32 +\[5121, 32\]\n", stdout);
        Assert.Contains("136 tensors", stdout);
    }
}
