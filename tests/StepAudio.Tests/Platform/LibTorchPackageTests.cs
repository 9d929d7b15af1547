using StepAudio.Platform;

namespace StepAudio.Tests.Platform;

/// <summary>
/// Where the notebook-time resolver finds LibTorch: the libtorch-cpu package beside TorchSharp's in the NuGet cache,
/// by full path, so a system libtorch (Debian's libtorch-dev puts PyTorch 1.13's libc10.so on the default path) is
/// never picked up by name.
/// </summary>
public sealed class LibTorchPackageTests : IDisposable
{
    readonly string root = TestPaths.NewTempDir("nuget-layout");

    public void Dispose() => Directory.Delete(root, true);

    string TorchSharpDll()
    {
        var dir = Directory.CreateDirectory(Path.Combine(root, "torchsharp", "0.107.0", "lib", "net8.0")).FullName;
        var dll = Path.Combine(dir, "TorchSharp.dll");
        File.WriteAllText(dll, "");
        return dll;
    }

    string LibTorch(string version, bool withLibrary = true)
    {
        var dir = Directory.CreateDirectory(Path.Combine(root, "libtorch-cpu-linux-x64", version, "runtimes", "linux-x64", "native")).FullName;
        if (withLibrary) File.WriteAllText(Path.Combine(dir, "libtorch_cpu.so"), "");
        return dir;
    }

    [Fact]
    public void The_package_beside_TorchSharp_is_found_and_the_highest_version_wins()
    {
        var dll = TorchSharpDll();
        Assert.Null(TorchRuntime.LibTorchPackageNativeDir(dll));
        var v2_9 = LibTorch("2.9.1");
        Assert.Equal(v2_9, TorchRuntime.LibTorchPackageNativeDir(dll));
        var v2_10 = LibTorch("2.10.0");
        Assert.Equal(v2_10, TorchRuntime.LibTorchPackageNativeDir(dll));   // 2.10 > 2.9: versions, not strings
        LibTorch("2.11.0", withLibrary: false);                            // an incomplete restore is skipped
        Assert.Equal(v2_10, TorchRuntime.LibTorchPackageNativeDir(dll));
    }

    [Fact]
    public void Outside_a_NuGet_cache_there_is_no_package_folder()
    {
        var dll = Path.Combine(root, "app", "TorchSharp.dll");
        Directory.CreateDirectory(Path.GetDirectoryName(dll)!);
        Assert.Null(TorchRuntime.LibTorchPackageNativeDir(dll));
    }
}
