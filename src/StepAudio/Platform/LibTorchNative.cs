using System.Runtime.InteropServices;
using System.Text;
using TorchSharp;

namespace StepAudio.Platform;

/// <summary>
/// The few LibTorch (ATen) globals that TorchSharp does not bind, reached through the symbols <c>libtorch_cpu.so</c>
/// exports: the oneDNN/NNPACK switches of <c>at::globalContext()</c> (what <c>torch.backends.mkldnn.enabled</c>
/// sets in Python), <c>at::show_config()</c> and <c>at::get_parallel_info()</c>.
/// </summary>
internal static unsafe class LibTorchNative
{
    static readonly Lazy<IntPtr> Library = new(Open, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Whether libtorch_cpu could be found and exports what is needed.</summary>
    public static bool Available => Library.Value != IntPtr.Zero && Export("_ZN2at13globalContextEv") != IntPtr.Zero;

    /// <summary>The handle of the libtorch_cpu.so TorchSharp loaded (zero if none was found).</summary>
    public static IntPtr Handle => Library.Value;

    /// <summary><c>at::globalContext().userEnabledMkldnn()</c>: may ATen pick oneDNN kernels.</summary>
    public static bool UserEnabledMkldnn
    {
        get => Get("_ZNK2at7Context17userEnabledMkldnnEv");
        set => Set("_ZN2at7Context20setUserEnabledMkldnnEb", value);
    }

    /// <summary><c>at::globalContext().userEnabledNNPACK()</c>.</summary>
    public static bool UserEnabledNnpack
    {
        get => Get("_ZNK2at7Context17userEnabledNNPACKEv");
        set => Set("_ZN2at7Context20setUserEnabledNNPACKEb", value);
    }

    /// <summary><c>at::show_config()</c>: compiler, MKL, oneDNN, OpenMP and the CPU capability ATen dispatches to.</summary>
    public static string ShowConfig() => CallString("_ZN2at11show_configB5cxx11Ev");

    /// <summary><c>at::get_parallel_info()</c>: thread counts and the parallel backend.</summary>
    public static string ParallelInfo() => CallString("_ZN2at17get_parallel_infoB5cxx11Ev");

    static bool Get(string symbol)
    {
        var fn = (delegate* unmanaged<IntPtr, byte>)Require(symbol);
        return fn(Context()) != 0;
    }

    static void Set(string symbol, bool value)
    {
        var fn = (delegate* unmanaged<IntPtr, byte, void>)Require(symbol);
        fn(Context(), value ? (byte)1 : (byte)0);
    }

    /// <summary><c>at::globalContext()</c> returns the same object for the life of the process.</summary>
    static IntPtr Context() => context != IntPtr.Zero
        ? context : context = ((delegate* unmanaged<IntPtr>)Require("_ZN2at13globalContextEv"))();

    static IntPtr context;

    /// <summary>Calls a <c>std::string f()</c> (libstdc++'s cxx11 layout: pointer, length, 16-byte buffer) and frees it.</summary>
    static string CallString(string symbol)
    {
        var fn = (delegate* unmanaged<byte*, void>)Require(symbol);
        var buffer = stackalloc byte[32];
        fn(buffer);
        var data = *(byte**)buffer;
        var length = *(nuint*)(buffer + 8);
        var text = Encoding.UTF8.GetString(data, checked((int)length));
        if (data != buffer + 16) FreeHeapString(data);
        return text;
    }

    static void FreeHeapString(byte* data)
    {
        // operator delete(void*) from the libstdc++ that allocated it (the process has exactly one loaded).
        if (NativeLibrary.TryLoad("libstdc++.so.6", out var std) && NativeLibrary.TryGetExport(std, "_ZdlPv", out var del))
            ((delegate* unmanaged<void*, void>)del)(data);
    }

    static IntPtr Require(string symbol)
    {
        var address = Export(symbol);
        if (address == IntPtr.Zero)
            throw new InvalidOperationException(
                $"libtorch_cpu.so does not export {symbol}; this LibTorch build is not the one StepAudio was made for");
        return address;
    }

    // Looked up once each: the guard flips the oneDNN switch around every bf16 forward and large inference convolution.
    static IntPtr Export(string symbol) => Exports.GetOrAdd(symbol, static s =>
        Library.Value != IntPtr.Zero && NativeLibrary.TryGetExport(Library.Value, s, out var address) ? address : IntPtr.Zero);

    static readonly System.Collections.Concurrent.ConcurrentDictionary<string, IntPtr> Exports = new();

    /// <summary>Makes TorchSharp load LibTorch, then takes a handle on the very libtorch_cpu.so it mapped.</summary>
    static IntPtr Open()
    {
        torch.InitializeDeviceType(DeviceType.CPU);
        var mapped = MappedPath("libtorch_cpu.so");
        if (mapped != null && NativeLibrary.TryLoad(mapped, out var handle)) return handle;
        return NativeLibrary.TryLoad("libtorch_cpu.so", out handle) ? handle : IntPtr.Zero;
    }

    /// <summary>The full path of a shared library this process has mapped, from <c>/proc/self/maps</c>.</summary>
    internal static string? MappedPath(string fileName)
    {
        const string maps = "/proc/self/maps";
        if (!File.Exists(maps)) return null;
        foreach (var line in File.ReadLines(maps))
        {
            int slash = line.IndexOf('/');
            if (slash < 0) continue;
            var path = line[slash..];
            if (Path.GetFileName(path) == fileName) return path;
        }
        return null;
    }
}
