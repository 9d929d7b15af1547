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
        PreloadPackageLibTorch();
    }

    /// <summary>
    /// When TorchSharp runs from the NuGet cache (a notebook), loads LibTorch from the libtorch-cpu package by full path
    /// before TorchSharp's first call. TorchSharp asks for <c>torch_cpu</c> by bare name, which would otherwise find a
    /// system libtorch first (Debian's libtorch-dev: PyTorch 1.13's <c>libtorch_cpu.so</c>); once the package's copies
    /// are loaded, glibc answers every later request for their sonames with them.
    /// </summary>
    static void PreloadPackageLibTorch()
    {
        var torchSharp = typeof(TorchSharp.torch).Assembly.Location;   // typeof does not run torch's initializer
        var dir = Path.GetDirectoryName(torchSharp);
        if (string.IsNullOrEmpty(dir) || File.Exists(Path.Combine(dir, "libtorch_cpu.so"))) return;
        if (LibTorchPackageNativeDir(torchSharp) is not { } package) return;
        foreach (var name in new[] { "c10", "torch_cpu", "torch" })
            NativeLibrary.TryLoad(Path.Combine(package, $"lib{name}.so"), out _);
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
        var package = LibTorchPackageNativeDir(requester.Location);
        foreach (var name in new[] { "c10", "torch_cpu", "torch" })
        {
            // By full path: next to the glue in an app's output, else from the libtorch-cpu package beside TorchSharp's
            // in the NuGet cache. Never by bare name first: on a machine with Debian's libtorch-dev, "libc10.so" is
            // PyTorch 1.13's, and the glue then fails with an undefined c10 symbol (measured in the notebook tool).
            var path = new[] { originalDir, package }.OfType<string>().Select(d => Path.Combine(d, $"lib{name}.so")).FirstOrDefault(File.Exists);
            if (!(path != null && NativeLibrary.TryLoad(path, out _)))
                NativeLibrary.TryLoad(name, requester, null, out _);
        }
    }

    /// <summary>
    /// The native folder of the <c>libtorch-cpu-linux-x64</c> package next to TorchSharp's in a NuGet cache
    /// (<c>{packages}/torchsharp/{v}/lib/{tfm}/TorchSharp.dll</c> → <c>{packages}/libtorch-cpu-linux-x64/{v}/runtimes/linux-x64/native</c>),
    /// the highest version when several are cached; null outside a NuGet cache.
    /// </summary>
    internal static string? LibTorchPackageNativeDir(string torchSharpDll)
    {
        var tfmDir = Path.GetDirectoryName(torchSharpDll);
        var packages = tfmDir is null ? null : Path.GetFullPath(Path.Combine(tfmDir, "..", "..", "..", ".."));
        var libtorch = packages is null ? null : Path.Combine(packages, "libtorch-cpu-linux-x64");
        if (libtorch is null || !Directory.Exists(libtorch)) return null;
        return Directory.GetDirectories(libtorch)
            .Select(d => (Dir: Path.Combine(d, "runtimes", "linux-x64", "native"), Version: Version.TryParse(Path.GetFileName(d).Split('-')[0], out var v) ? v : null))
            .Where(c => c.Version != null && File.Exists(Path.Combine(c.Dir, "libtorch_cpu.so")))
            .OrderByDescending(c => c.Version).Select(c => c.Dir).FirstOrDefault();
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
