using System.Globalization;
using StepAudio.Config;
using TorchSharp;
using static TorchSharp.torch;

namespace StepAudio.Platform;

/// <summary>
/// The <c>device:</c> key (<c>cpu</c>, <c>cuda</c>, <c>cuda:N</c>) as a TorchSharp device, checked against what this
/// process can use before any model is built: asking for CUDA in a CPU build, or for a GPU index that is not there, is
/// a config error naming the key, not a native crash later. Models, batches, optimizer state and generation follow the
/// device of the model's weights; random draws (CFM noise, prompt cuts, HiFT's source) are made on the CPU from seeded
/// generators and moved, so a run draws the same numbers on any device.
/// </summary>
public static class TorchDevices
{
    /// <summary>The MSBuild property a GPU user sets to build against LibTorch with CUDA (see README, Scaling).</summary>
    public const string BuildSwitch = "-p:TorchBackend=cuda";

    /// <summary>The config's device, checked (errors name the config file and the <c>device</c> line).</summary>
    public static Device Of(StepAudioConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return Resolve(config.Device, (problem, fix) => config.Error("device", problem, fix));
    }

    /// <summary>
    /// <paramref name="text"/> as a device, checked; <paramref name="error"/> builds the exception for a problem and
    /// its fix (default: an <see cref="InputException"/> on the <c>--device</c> option).
    /// </summary>
    public static Device Resolve(string text, Func<string, string, Exception>? error = null)
    {
        error ??= (problem, fix) => new InputException("--device", null, null, problem, fix);
        var (kind, index) = Parse(text) ?? throw error($"'{text}' is not a device", "use cpu, cuda or cuda:N");
        if (kind == DeviceType.CPU) return CPU;
        if (!cuda.is_available())
            throw error($"is '{text}', but CUDA is not available: {CudaAbsenceReason()}",
                $"set device: cpu, or on a machine with an NVIDIA GPU build with {BuildSwitch} (README, Scaling) and run scripts/gpu-check.sh");
        int count = cuda.device_count();
        if (index >= count)
            throw error($"is '{text}', but this machine has {count} CUDA device{(count == 1 ? "" : "s")} (cuda:0{(count > 1 ? $"..cuda:{count - 1}" : "")})",
                "pick an index below the device count, or cuda for the first");
        return index < 0 ? CUDA : new Device(DeviceType.CUDA, index);
    }

    /// <summary>(<c>CPU</c>, −1), (<c>CUDA</c>, −1 or N), or null when <paramref name="text"/> is no device this toolkit runs on.</summary>
    public static (DeviceType Kind, int Index)? Parse(string? text)
    {
        var t = (text ?? "").Trim();
        if (t == "cpu") return (DeviceType.CPU, -1);
        if (t == "cuda") return (DeviceType.CUDA, -1);
        if (t.StartsWith("cuda:", StringComparison.Ordinal)
            && int.TryParse(t.AsSpan(5), NumberStyles.None, CultureInfo.InvariantCulture, out var i))
            return (DeviceType.CUDA, i);
        return null;
    }

    /// <summary>True when <paramref name="e"/> is LibTorch's CUDA out-of-memory error.</summary>
    public static bool IsOutOfMemory(Exception e) =>
        e.Message.Contains("CUDA out of memory", StringComparison.OrdinalIgnoreCase)
        || e.Message.Contains("OutOfMemoryError", StringComparison.Ordinal);

    // A CPU build carries no CUDA LibTorch at all; a CUDA build on a machine without a driver loads but sees no device.
    static string CudaAbsenceReason()
    {
        var native = Path.GetDirectoryName(typeof(torch).Assembly.Location) ?? "";
        bool cudaLibTorch = Directory.Exists(native)
            && Directory.EnumerateFiles(native, "libtorch_cuda*.so*", SearchOption.AllDirectories).Any();
        return cudaLibTorch
            ? "LibTorch with CUDA is loaded but sees no GPU: check the NVIDIA driver (nvidia-smi)"
            : "this build carries the CPU LibTorch package (libtorch-cpu-linux-x64)";
    }
}
