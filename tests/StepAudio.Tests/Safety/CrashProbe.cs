using System.Diagnostics;

namespace StepAudio.Tests.Safety;

/// <summary>Runs tests/StepAudio.CrashProbe (built beside this assembly's configuration) as a child process.</summary>
static class CrashProbe
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr)
    {
        /// <summary>Killed by a signal: the runtime reports 128 + the signal number (134 = SIGABRT).</summary>
        public bool Signalled => ExitCode > 128;
        public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Tail(Stdout)}\n--- stderr\n{Tail(Stderr)}";
        static string Tail(string s) => s.Length > 4000 ? s[^4000..] : s;
    }

    /// <summary>The probe's dll: same bin/Config/TFM/RID folder as this test assembly, under the probe's project.</summary>
    public static string Dll
    {
        get
        {
            var testProject = Path.Combine(TestPaths.RepoRoot, "tests", "StepAudio.Tests");
            var binPart = Path.GetRelativePath(testProject, AppContext.BaseDirectory);
            return Path.Combine(TestPaths.RepoRoot, "tests", "StepAudio.CrashProbe", binPart, "StepAudio.CrashProbe.dll");
        }
    }

    public static Result Run(params string[] args)
    {
        Assert.True(File.Exists(Dll), $"{Dll} is missing; the test project's ProjectReference should have built it");
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        start.ArgumentList.Add("exec");
        start.ArgumentList.Add(Dll);
        foreach (var a in args) start.ArgumentList.Add(a);
        start.Environment["DOTNET_DbgEnableMiniDump"] = "0";
        using var p = Process.Start(start)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(3)))
        {
            p.Kill(entireProcessTree: true);
            Assert.Fail("the crash probe did not finish within 3 minutes");
        }
        p.WaitForExit();
        return new Result(p.ExitCode, stdout.Result, stderr.Result);
    }
}
