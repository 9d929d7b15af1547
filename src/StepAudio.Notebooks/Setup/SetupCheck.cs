using System.Globalization;
using System.Runtime.InteropServices;
using StepAudio.Platform;
using TorchSharp;

namespace StepAudio.Notebooks;

/// <summary>
/// What a notebook runs on, checked once at its start (the notebook form of <c>stepaudio system</c>): package and
/// runtime versions, the CPU and LibTorch's maths libraries, torch threads, the convolution guard, a float32 GEMM
/// checked against float64, the notebook setting and where the default config and runs are.
/// </summary>
/// <param name="Facts">Name and value of each fact, in display order.</param>
/// <param name="GemmRight">Whether LibTorch's float32 matrix product matched float64 on this CPU.</param>
public sealed record SetupCheck(IReadOnlyList<(string Name, string Value)> Facts, bool GemmRight)
{
    /// <summary>Gathers the facts and runs the GEMM check (a fraction of a second).</summary>
    public static SetupCheck Run()
    {
        var facts = new List<(string, string)>
        {
            ("StepAudio.Notebooks", NotebookExtension.Version),
            (".NET", RuntimeInformation.FrameworkDescription + " on " + RuntimeInformation.OSDescription),
            ("TorchSharp", typeof(torch).Assembly.GetName().Version?.ToString(3) ?? "?"),
            ("torch device", torch.cuda.is_available() ? $"CUDA available ({torch.cuda.device_count()} device(s))" : "CPU (no CUDA)"),
        };
        facts.AddRange(CpuReport.Facts());
        var (right, error, gflops) = CpuReport.GemmCheck(repeats: NotebookSetting.Pick(3, 20));
        facts.Add(("float32 GEMM", string.Create(CultureInfo.InvariantCulture,
            $"{(right ? "right" : "WRONG")} (max relative error {error:G2}), {gflops:0} GFLOP/s at 512×512×512")));
        facts.Add(("setting", NotebookSetting.Describe()));
        facts.Add(("default config", Config.DefaultConfig.TryLocate() ?? "not found: run the notebooks from the checkout's notebooks/ folder"));
        facts.Add(("notebook runs", Config.DefaultConfig.TryLocate() is null && Environment.GetEnvironmentVariable(NotebookRuns.RootVariable) is null
            ? "unknown (no checkout found)" : NotebookRuns.Root));
        return new SetupCheck(facts, right);
    }

    /// <summary>The facts as a table, the GEMM row marked when it failed.</summary>
    public string ToHtml() => Html.Section("setup check", Html.Table(new[] { "", "" },
        Facts.Select(f => new TableRow(new[] { Html.Encode(f.Name), Html.Encode(f.Value) },
            f.Name == "float32 GEMM" && !GemmRight ? "sa-error" : null))));

    /// <inheritdoc />
    public override string ToString() => string.Join(Environment.NewLine, Facts.Select(f => $"{f.Name + ":",-20} {f.Value}"));
}
