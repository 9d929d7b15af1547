using System.Diagnostics;

namespace StepAudio.Tests.Integration;

/// <summary>
/// The integration tier: checks that need tools outside .NET (Debian's python3 with torch). Tests carry
/// <c>[Trait("Tier", "Integration")]</c>; the README's test command excludes them, and <c>.ci/run</c> installs the tools,
/// sets <c>STEPAUDIO_INTEGRATION=1</c> and runs them. Switched on, a missing tool fails the test; it never skips.
/// </summary>
public static class IntegrationTier
{
    /// <summary>Python with torch: <c>$STEPAUDIO_PYTHON</c>, else Debian's <c>/usr/bin/python3</c>.</summary>
    public static string Python
    {
        get
        {
            Assert.True(Environment.GetEnvironmentVariable("STEPAUDIO_INTEGRATION") == "1",
                "integration tests need their tools: run them through .ci/run, or install python3-torch and set STEPAUDIO_INTEGRATION=1");
            var python = Environment.GetEnvironmentVariable("STEPAUDIO_PYTHON");
            if (string.IsNullOrEmpty(python)) python = "/usr/bin/python3";
            Assert.True(File.Exists(python), $"integration tier is on but {python} is missing (apt-get install python3-torch)");
            return python;
        }
    }

    /// <summary>Runs a script from tests/python with arguments; fails the test on a non-zero exit. Returns stdout.</summary>
    public static string RunPython(string script, params string[] args)
    {
        var psi = new ProcessStartInfo(Python)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        psi.ArgumentList.Add(Path.Combine(TestPaths.RepoRoot, "tests", "python", script));
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        Assert.True(p.WaitForExit(300_000), $"{script} did not finish in 5 minutes");
        Assert.True(p.ExitCode == 0, $"{script} exited {p.ExitCode}:\n{stdout.Result}\n{stderr.Result}");
        return stdout.Result;
    }
}
