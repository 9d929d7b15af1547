using System.Text.RegularExpressions;
using TorchSharp;

namespace StepAudio.Platform;

/// <summary>
/// What a figure was measured on: the CPU (model, vendor, vector ISA), the maths libraries LibTorch dispatches to
/// (its CPU capability, MKL, oneDNN, OpenMP), torch's thread count and the convolution guard. Every benchmark prints
/// it, so that figures from different machines are never compared blindly.
/// </summary>
public static partial class CpuReport
{
    /// <summary>One line, e.g. <c>AMD EPYC (AuthenticAMD; AVX2 FMA AVX-512F BW) | LibTorch 2.10.0 AVX512, MKL 2024.2, oneDNN v3.7.1, OpenMP; MKL's AVX2 path … | 2 torch threads | convolution guard on, …</c>.</summary>
    public static string OneLine() => string.Join(" | ", Facts().Select(f => f.Value));

    /// <summary>The same facts with their names: machine, libtorch, mkl, convolutions, threads.</summary>
    public static IReadOnlyList<(string Name, string Value)> Facts()
    {
        var (model, vendor, isa) = Cpu();
        var config = SafeConfig();
        string Find(Regex r) => r.Match(config) is { Success: true } m ? m.Groups[1].Value : "?";
        var libs = $"LibTorch {Find(TorchVersion())} {Find(Capability())}, MKL {Find(MklVersion())}, oneDNN {Find(OneDnnVersion())}, " +
                   (config.Contains("OpenMP", StringComparison.Ordinal) ? "OpenMP" : "no OpenMP");
        var guard = CpuConvolutionGuard.Active
            ? "convolution guard on, large inference convolutions: " + (Nn.OneDnnSelfTest.Passed ? "oneDNN where channels are multiples of 64 (verified), else products" : "products (oneDNN refused by the self-test)")
            : "convolution guard OFF";
        return new[]
        {
            ("machine", $"{model} ({vendor}; {isa})"), ("libtorch", libs), ("mkl", MklAmdDispatch.State),
            ("threads", $"{torch.get_num_threads()} torch threads"), ("convolutions", guard),
        };
    }

    /// <summary>
    /// A float32 GEMM (n×n×n) against its float64 result, and its speed: whether the BLAS LibTorch calls on this
    /// machine computes right, and how fast (the figure MKL's code path changes most).
    /// </summary>
    public static (bool Right, double MaxRelativeError, double GflopsPerSecond) GemmCheck(int n = 512, int repeats = 20)
    {
        using var scope = torch.NewDisposeScope();
        using var g = new torch.Generator(7);
        var a = torch.randn(new long[] { n, n }, generator: g);
        var b = torch.randn(new long[] { n, n }, generator: g);
        var y = a.mm(b);
        var reference = a.to(torch.float64).mm(b.to(torch.float64));
        var scale = a.abs().to(torch.float64).mm(b.abs().to(torch.float64));
        double error = ((y.to(torch.float64) - reference).abs() / scale).max().item<double>();
        for (int i = 0; i < 3; i++) a.mm(b).Dispose();   // MKL's thread pool and buffers start on first use
        var watch = System.Diagnostics.Stopwatch.StartNew();
        for (int i = 0; i < repeats; i++) a.mm(b).Dispose();
        double seconds = watch.Elapsed.TotalSeconds;
        return (error < 1e-5, error, 2.0 * n * n * n * repeats / seconds / 1e9);
    }

    /// <summary>The CPU's model name, vendor and the vector extensions that decide MKL's and oneDNN's kernels.</summary>
    public static (string Model, string Vendor, string Isa) Cpu()
    {
        var (model, vendor, flags) = CpuInfo.Value;
        var names = new (string Flag, string Name)[]
        {
            ("avx2", "AVX2"), ("fma", "FMA"), ("avx512f", "AVX-512F"), ("avx512bw", "BW"), ("avx512_vnni", "VNNI"),
            ("avx512_bf16", "BF16"), ("avx512_fp16", "FP16"), ("amx_tile", "AMX"),
        };
        var isa = string.Join(" ", names.Where(n => flags.Contains(n.Flag)).Select(n => n.Name));
        return (model, vendor, isa.Length == 0 ? "no AVX2" : isa);
    }

    /// <summary>The CPU feature flags /proc/cpuinfo lists for the first core (empty where there is no such file).</summary>
    public static IReadOnlySet<string> Flags => CpuInfo.Value.Flags;

    static readonly Lazy<(string Model, string Vendor, HashSet<string> Flags)> CpuInfo = new(ReadCpuInfo);

    static (string, string, HashSet<string>) ReadCpuInfo()
    {
        string? model = null, vendor = null, flags = null;
        if (File.Exists("/proc/cpuinfo"))
            foreach (var line in File.ReadLines("/proc/cpuinfo"))
            {
                var parts = line.Split(':', 2);
                if (parts.Length < 2) continue;
                var (key, value) = (parts[0].Trim(), parts[1].Trim());
                if (key == "model name") model ??= value;
                else if (key == "vendor_id") vendor ??= value;
                else if (key == "flags") flags ??= value;
                if (model != null && vendor != null && flags != null) break;
            }
        return (model ?? "unknown CPU", vendor ?? "?", (flags ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet());
    }

    static string SafeConfig()
    {
        try
        {
            return LibTorchNative.Available ? LibTorchNative.ShowConfig() : "";
        }
        catch (InvalidOperationException)
        {
            return "";
        }
    }

    [GeneratedRegex(@"TORCH_VERSION=([0-9.]+)")] private static partial Regex TorchVersion();
    [GeneratedRegex(@"CPU capability usage: (\w+)")] private static partial Regex Capability();
    [GeneratedRegex(@"Math Kernel Library Version ([0-9.]+)")] private static partial Regex MklVersion();
    [GeneratedRegex(@"MKL-DNN (v[0-9.]+)")] private static partial Regex OneDnnVersion();
}
