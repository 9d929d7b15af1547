using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Loader;
using System.Security.Cryptography;

namespace StepAudio.Platform;

/// <summary>
/// Loads TorchSharp's native glue where the build output was not patched (notebooks load TorchSharp straight from
/// the NuGet cache). Registered when the StepAudio assembly loads; call <see cref="EnsureRegistered"/> before the
/// first <c>torch</c> call if your code touches TorchSharp before any StepAudio type. Loading StepAudio also installs
/// the <see cref="CpuConvolutionGuard"/> and applies <see cref="MklAmdDispatch"/>.
/// </summary>
public static class TorchRuntime
{
    static int registered;

    // A library initializer on purpose: notebooks touch StepAudio before torch, and need the resolver first; and a
    // user's own convolutions after loading the toolkit must already be guarded.
#pragma warning disable CA2255
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Init()
    {
        EnsureRegistered();
        CpuConvolutionGuard.Ensure();
        MklAmdDispatch.Ensure();
    }

    /// <summary>Registers the fallback resolver for <c>LibTorchSharp</c> (idempotent).</summary>
    public static void EnsureRegistered()
    {
        if (Interlocked.Exchange(ref registered, 1) == 1 || !OperatingSystem.IsLinux()) return;
        AssemblyLoadContext.Default.ResolvingUnmanagedDll += Resolve;
    }

    static IntPtr Resolve(Assembly requester, string name)
    {
        if (!name.Contains("LibTorchSharp", StringComparison.Ordinal)) return IntPtr.Zero;
        var original = FindOriginal(requester);
        if (original == null) return IntPtr.Zero;
        try
        {
            if (!LibstdcxxCompat.NeedsPatch(original))
                return NativeLibrary.TryLoad(original, out var direct) ? direct : IntPtr.Zero;
            // The patched copy lives outside the package, so its $ORIGIN runpath finds none of its DT_NEEDED
            // LibTorch libraries: load them first (TorchSharp itself loads only torch_cpu before us); glibc then
            // matches the copy's needs to them by soname.
            PreloadLibTorch(requester, Path.GetDirectoryName(original)!);
            return NativeLibrary.TryLoad(PatchedCopy(original, CacheRoot()), out var handle) ? handle : IntPtr.Zero;
        }
        catch (IOException)
        {
            return IntPtr.Zero;
        }
    }

    static void PreloadLibTorch(Assembly requester, string originalDir)
    {
        foreach (var name in new[] { "c10", "torch_cpu", "torch" })
        {
            var beside = Path.Combine(originalDir, $"lib{name}.so");
            // Next to the glue in an app's output; in a notebook the host resolves each package's native folder.
            if (!(File.Exists(beside) && NativeLibrary.TryLoad(beside, out _)))
                NativeLibrary.TryLoad(name, requester, null, out _);
        }
    }

    /// <summary>The libLibTorchSharp.so next to TorchSharp.dll, or in its NuGet package's native folder.</summary>
    static string? FindOriginal(Assembly requester)
    {
        var dir = Path.GetDirectoryName(requester.Location);
        if (string.IsNullOrEmpty(dir)) return null;
        foreach (var candidate in new[]
                 {
                     Path.Combine(dir, "libLibTorchSharp.so"),
                     Path.GetFullPath(Path.Combine(dir, "..", "..", "runtimes", "linux-x64", "native", "libLibTorchSharp.so")),
                 })
            if (File.Exists(candidate)) return candidate;
        return null;
    }

    static string CacheRoot()
    {
        var cache = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        return string.IsNullOrEmpty(cache)
            ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache")
            : cache;
    }

    /// <summary>Writes (once per distinct original) a weak-version copy under <paramref name="cacheRoot"/>.</summary>
    internal static string PatchedCopy(string original, string cacheRoot)
    {
        var bytes = File.ReadAllBytes(original);
        var hash = Convert.ToHexString(SHA256.HashData(bytes))[..16];
        var dir = Path.Combine(cacheRoot, "stepaudio", "native", hash);
        var target = Path.Combine(dir, "libLibTorchSharp.so");
        if (File.Exists(target)) return target;
        LibstdcxxCompat.Patch(bytes, LibstdcxxCompat.FindSystemLibstdcxx());
        AtomicFile.WriteAllBytes(target, bytes);
        return target;
    }
}
