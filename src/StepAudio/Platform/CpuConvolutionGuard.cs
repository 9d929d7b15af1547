using TorchSharp;
using static TorchSharp.torch;

namespace StepAudio.Platform;

/// <summary>
/// Keeps CPU convolutions correct on every machine. LibTorch 2.10's oneDNN (3.7.1) convolution returns wrong numbers,
/// without an error, for a batch ≥ 2 with kernel &gt; 1 when the input channel count is not a multiple of the CPU's
/// vector block (measured on AMD EPYC with AVX-512: ≈10 where the answer is ≈1e-5 off; see the README's platform notes).
/// <para>
/// The guard switches ATen's oneDNN (and NNPACK) off process-wide as soon as StepAudio loads, so every convolution —
/// ours, and a user's own <c>torch.nn.functional.conv1d</c> in a notebook — takes LibTorch's reference kernels,
/// forward and backward. The toolkit's own models never call a convolution kernel at all: they run theirs as matrix
/// products (<see cref="StepAudio.Nn.GuardedConvolution"/>), which are the same on every CPU and fast without oneDNN.
/// oneDNN is also what makes bf16 matrix products fast on CPU (≈10× here), so <see cref="AllowOneDnn"/>
/// re-enables it around regions that run products and no convolution (Step1 in bf16).
/// </para>
/// <para>Opt out with <c>STEPAUDIO_ONEDNN_CONV=1</c> in the environment or <see cref="Disable"/>.</para>
/// </summary>
public static class CpuConvolutionGuard
{
    /// <summary>Environment variable that, set to <c>1</c>, leaves LibTorch's oneDNN convolutions on.</summary>
    public const string OptOutVariable = "STEPAUDIO_ONEDNN_CONV";

    static readonly object Gate = new();
    static bool installed;
    static bool optedOut;
    static int productScopes;
    static string? unavailableReason;

    /// <summary>Whether oneDNN convolutions are currently kept off by the guard.</summary>
    public static bool Active
    {
        get
        {
            Ensure();
            lock (Gate) return installed && !optedOut && unavailableReason is null;
        }
    }

    /// <summary>One line for logs and benchmark headers.</summary>
    public static string Describe()
    {
        Ensure();
        lock (Gate)
            return unavailableReason is not null ? $"convolution guard unavailable: {unavailableReason}"
                : optedOut ? "convolution guard OFF (oneDNN convolutions enabled by the user; wrong results possible on some CPUs)"
                : "convolution guard on (oneDNN off except around bf16/fp16 matrix products)";
    }

    /// <summary>Installs the guard unless already installed (cheap after the first call).</summary>
    public static void Ensure()
    {
        if (Volatile.Read(ref installed)) return;
        lock (Gate)
        {
            if (installed) return;
            try
            {
                if (!LibTorchNative.Available)
                    unavailableReason = "libtorch_cpu.so or its ATen context symbols were not found";
                else
                {
                    optedOut = Environment.GetEnvironmentVariable(OptOutVariable) == "1";
                    Apply();
                }
            }
            catch (Exception e)   // never let the guard break loading StepAudio; say why instead
            {
                unavailableReason = e.Message;
            }
            Volatile.Write(ref installed, true);
        }
    }

    /// <summary>Leaves oneDNN on for everything from now on (the LibTorch default, wrong on some CPUs).</summary>
    public static void Disable() => SetOptOut(true);

    /// <summary>Switches the guard back on after <see cref="Disable"/>.</summary>
    public static void Enable() => SetOptOut(false);

    static void SetOptOut(bool value)
    {
        Ensure();
        lock (Gate)
        {
            if (unavailableReason is not null) return;
            optedOut = value;
            Apply();
        }
    }

    /// <summary>
    /// Re-enables oneDNN until disposed, for a region that runs bf16/fp16 matrix products and no convolution (e.g. a
    /// Step1 forward and backward). Scopes nest and may overlap across threads; the flag is process-wide, so a
    /// convolution that another thread runs meanwhile is not guarded.
    /// </summary>
    public static IDisposable AllowOneDnn()
    {
        Ensure();
        lock (Gate)
        {
            productScopes++;
            Apply();
        }
        return new ProductScope();
    }

    /// <summary>
    /// <see cref="AllowOneDnn"/> when <paramref name="weight"/> is a bf16/fp16 CPU tensor (the only products
    /// oneDNN changes), else null. Wrap a reduced-precision forward <em>and</em> its backward in it.
    /// </summary>
    public static IDisposable? OneDnnProductsFor(torch.Tensor weight) =>
        weight.device_type == DeviceType.CPU && weight.dtype is ScalarType.BFloat16 or ScalarType.Float16
            ? AllowOneDnn() : null;

    static void Apply()
    {
        if (unavailableReason is not null) return;
        bool oneDnn = optedOut || productScopes > 0;
        LibTorchNative.UserEnabledMkldnn = oneDnn;
        // With oneDNN off ATen tries NNPACK, which on most x86 CPUs fails to initialise and warns on every call.
        LibTorchNative.UserEnabledNnpack = optedOut;
    }

    sealed class ProductScope : IDisposable
    {
        int disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref disposed, 1) == 1) return;
            lock (Gate)
            {
                productScopes--;
                Apply();
            }
        }
    }
}
