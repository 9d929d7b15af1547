using System.Runtime.InteropServices;

namespace StepAudio.Platform;

/// <summary>
/// LibTorch's statically linked MKL (2024.2) asks <c>mkl_serv_intel_cpu_true()</c> which code path to take and, on an
/// AMD CPU, falls back to its AVX2 kernels even where the CPU has AVX-512: float32 GEMMs run at half speed (measured on
/// an AMD EPYC with AVX-512, 2 threads: 133 against 264 GFLOP/s at 1024×3072×3072; flow training steps 1.9×, Step1
/// LoRA steps 1.2–1.4× slower). With <c>STEPAUDIO_MKL_AMD_AVX512=1</c>, and only on an AMD CPU with AVX-512 F/BW/DQ/VL,
/// StepAudio makes that check answer "yes" when it loads, before MKL has chosen. Opt-in: it rewrites six bytes of
/// MKL's code in this process, and Intel supports MKL's AVX-512 kernels on Intel CPUs only.
/// </summary>
public static class MklAmdDispatch
{
    /// <summary>The environment variable that asks for MKL's AVX-512 path on AMD CPUs.</summary>
    public const string Variable = "STEPAUDIO_MKL_AMD_AVX512";

    const string CheckSymbol = "mkl_serv_intel_cpu_true";
    static readonly byte[] ReturnOne = { 0xB8, 0x01, 0x00, 0x00, 0x00, 0xC3 };   // mov eax, 1; ret

    /// <summary>What MKL runs on this machine, in words (set once StepAudio has loaded LibTorch).</summary>
    public static string State { get; private set; } = "not checked (LibTorch not loaded)";

    /// <summary>Whether MKL's AVX-512 path was forced in this process.</summary>
    public static bool Forced { get; private set; }

    static int applied;

    /// <summary>
    /// Applies the opt-in once, when StepAudio loads (<see cref="TorchRuntime"/>), before the first GEMM makes MKL
    /// choose its path. Never throws: a failure is reported in <see cref="State"/>.
    /// </summary>
    internal static void Ensure()
    {
        if (Interlocked.Exchange(ref applied, 1) == 1) return;
        try
        {
            if (LibTorchNative.Available) Apply(LibTorchNative.Handle);
            else State = "not checked (libtorch_cpu.so was not found)";
        }
        catch (Exception e)   // like the convolution guard: never let this break loading StepAudio
        {
            State = "MKL dispatch not checked: " + e.Message;
        }
    }

    static void Apply(IntPtr libtorchCpu)
    {
        var (_, vendor, _) = CpuReport.Cpu();
        bool requested = Environment.GetEnvironmentVariable(Variable) == "1";
        if (vendor != "AuthenticAMD")
        {
            State = "MKL's own dispatch (not an AMD CPU)";
            return;
        }
        if (!HasAvx512())
        {
            State = "MKL's AVX2 path (this AMD CPU has no AVX-512)";
            return;
        }
        if (!requested)
        {
            State = $"MKL's AVX2 path on this AVX-512 AMD CPU (set {Variable}=1 for ~2× faster float32 GEMMs)";
            return;
        }
        State = Force(libtorchCpu);
    }

    static string Force(IntPtr library)
    {
        if (!NativeLibrary.TryGetExport(library, CheckSymbol, out var function))
            return $"MKL's AVX2 path: {Variable}=1 asked, but this LibTorch exports no {CheckSymbol}";
        long pageSize = Environment.SystemPageSize;
        var page = (IntPtr)((long)function & ~(pageSize - 1));
        var length = (nuint)(((long)function + ReturnOne.Length - (long)page + pageSize - 1) / pageSize * pageSize);
        if (mprotect(page, length, ProtRead | ProtWrite | ProtExec) != 0)
            return $"MKL's AVX2 path: {Variable}=1 asked, but the system refused to make MKL's code writable (errno {Marshal.GetLastPInvokeError()})";
        Marshal.Copy(ReturnOne, 0, function, ReturnOne.Length);
        mprotect(page, length, ProtRead | ProtExec);
        unsafe
        {
            if (((delegate* unmanaged<int>)function)() != 1) return $"MKL's AVX2 path: forcing {CheckSymbol} did not take";
        }
        Forced = true;
        return $"MKL's AVX-512 path, forced by {Variable}=1";
    }

    static bool HasAvx512() => new[] { "avx512f", "avx512bw", "avx512dq", "avx512vl" }.All(CpuReport.Flags.Contains);

    const int ProtRead = 1, ProtWrite = 2, ProtExec = 4;

    [DllImport("libc", SetLastError = true)]
    static extern int mprotect(IntPtr address, nuint length, int protection);
}
