using System.Diagnostics;
using System.Text;

namespace StepAudio.Notebooks.Tests.Integration;

/// <summary>
/// The integration tier of this assembly: the real notebook tool (Jupyter + Microsoft.dotnet-interactive), headless
/// Chromium and a consumer app outside the repository. <c>.ci/run</c> installs them and sets
/// <c>STEPAUDIO_INTEGRATION=1</c>; switched on, a missing tool fails the test, it never skips.
/// </summary>
static class ToolTier
{
    public static void RequireOn() =>
        Assert.True(Environment.GetEnvironmentVariable("STEPAUDIO_INTEGRATION") == "1",
            "integration tests need their tools: run them through .ci/run (it installs Jupyter, the dotnet-interactive tool and chromium)");

    /// <summary>The first of <paramref name="names"/> found on PATH (or as a full path), else the test fails.</summary>
    public static string Tool(params string[] names)
    {
        RequireOn();
        var dirs = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':')
            .Append(Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".dotnet", "tools"));
        foreach (var name in names)
        {
            if (Path.IsPathRooted(name) && File.Exists(name)) return name;
            foreach (var dir in dirs)
                if (File.Exists(Path.Combine(dir, name))) return Path.Combine(dir, name);
        }
        Assert.Fail($"integration tier is on but none of {string.Join(", ", names)} is installed (.ci/run installs it)");
        return "";
    }

    /// <summary>Runs a program; fails the test on a non-zero exit or a timeout. Returns stdout + stderr.</summary>
    public static string Run(string program, IEnumerable<string> args, string? workingDirectory = null,
        IDictionary<string, string>? environment = null, int timeoutSeconds = 600)
    {
        var psi = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        // The tools folder of `dotnet tool install -g` must be on PATH for the Jupyter kernel to find dotnet-interactive.
        psi.Environment["PATH"] = Environment.GetEnvironmentVariable("PATH") + ":" +
                                  Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".dotnet", "tools");
        if (environment != null)
            foreach (var (k, v) in environment) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var output = new StringBuilder();
        p.OutputDataReceived += (_, e) => { if (e.Data != null) lock (output) output.AppendLine(e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data != null) lock (output) output.AppendLine(e.Data); };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        if (!p.WaitForExit(timeoutSeconds * 1000))
        {
            p.Kill(entireProcessTree: true);
            Assert.Fail($"{Path.GetFileName(program)} {string.Join(' ', args)} ran past {timeoutSeconds} s:\n{Tail(output)}");
        }
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"{Path.GetFileName(program)} {string.Join(' ', args)} exited {p.ExitCode}:\n{Tail(output)}");
        return output.ToString();
    }

    static string Tail(StringBuilder output)
    {
        var text = output.ToString();
        return text.Length > 6000 ? "…" + text[^6000..] : text;
    }
}
