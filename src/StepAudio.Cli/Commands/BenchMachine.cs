using StepAudio.Platform;

namespace StepAudio.Cli.Commands;

/// <summary>Every bench command starts by saying what it runs on (to stderr, so JSON on stdout stays parseable).</summary>
static class BenchMachine
{
    public static void Print() => Console.Error.WriteLine("# C# side: " + CpuReport.OneLine());
}
