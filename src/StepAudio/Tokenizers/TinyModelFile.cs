using System.Globalization;
using System.Security.Cryptography;
using StepAudio.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace StepAudio.Tokenizers;

/// <summary>A log-mel copied out of its tensor: <c>Data[bin * Frames + frame]</c>.</summary>
internal readonly record struct MelArray(float[] Data, int Bins, int Frames)
{
    public float this[int bin, int frame] => Data[bin * Frames + frame];

    /// <summary>Copies a float <c>[bins, T]</c> tensor (any device or float dtype) into managed memory.</summary>
    public static MelArray From(Tensor mel, string source)
    {
        if (mel.dim() != 2 || !mel.is_floating_point())
            throw new ArgumentException($"{source}: the log-mel must be a float [bins, T] tensor; got {mel.dtype} [{string.Join(", ", mel.shape)}]", nameof(mel));
        using var scope = NewDisposeScope();
        var c = mel.detach().cpu().to_type(ScalarType.Float32).contiguous();
        return new MelArray(c.data<float>().ToArray(), (int)mel.shape[0], (int)mel.shape[1]);
    }
}

/// <summary>
/// The file plumbing the tiny models share: float tensors and metadata to deterministic safetensors bytes (written
/// atomically), and back with every failure an <see cref="InputException"/> naming the file.
/// </summary>
internal static class TinyModelFile
{
    public const string Meta = "stepaudio.";

    /// <summary>The safetensors bytes of <paramref name="tensors"/> (name → data and shape) with metadata and checksums.</summary>
    public static byte[] Serialize(IReadOnlyDictionary<string, (float[] Data, long[] Shape)> tensors, Dictionary<string, string> meta)
    {
        var all = new Dictionary<string, string>(meta);
        var built = new Dictionary<string, Tensor>();
        try
        {
            foreach (var (name, (data, shape)) in tensors.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            {
                built[name] = tensor(data, shape, ScalarType.Float32);
                all[Meta + "sha256." + name] = Checksum(data);
            }
            var tmp = Path.Combine(Path.GetTempPath(), $"stepaudio-tiny-{Environment.ProcessId}-{Guid.NewGuid():N}.safetensors");
            try
            {
                SafetensorsFile.Save(tmp, built, all);
                return File.ReadAllBytes(tmp);
            }
            finally
            {
                if (File.Exists(tmp)) File.Delete(tmp);
            }
        }
        finally
        {
            foreach (var t in built.Values) t.Dispose();
        }
    }

    /// <summary>First 16 hex digits of the sha256 of <paramref name="bytes"/>.</summary>
    public static string Hash(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes))[..16];

    public static string Checksum(float[] data) =>
        Convert.ToHexStringLower(SHA256.HashData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(data.AsSpan())));

    /// <summary>
    /// Reads a tiny-model file: its bytes (for the identity hash), metadata and float tensors. Missing, unreadable,
    /// another format or version, a failed checksum: an <see cref="InputException"/> naming the file.
    /// </summary>
    public static (byte[] Bytes, IReadOnlyDictionary<string, string> Meta, Dictionary<string, (float[] Data, long[] Shape)> Tensors)
        Read(string path, string what, string format, int version)
    {
        var full = Path.GetFullPath(path);
        if (!File.Exists(full))
            throw Bad(full, $"the {what} file does not exist");
        try
        {
            var bytes = File.ReadAllBytes(full);
            using var file = SafetensorsFile.Open(full);
            var meta = file.Metadata;
            var found = meta.GetValueOrDefault(Meta + "format");
            if (found != format)
                throw Bad(full, $"is not a {what} file (format '{found ?? "none"}', expected '{format}')");
            var v = meta.GetValueOrDefault(Meta + "format_version");
            if (v != version.ToString(CultureInfo.InvariantCulture))
                throw Bad(full, $"is a {what} file of format version {v ?? "none"}; this build reads version {version}");
            var tensors = new Dictionary<string, (float[], long[])>();
            foreach (var (name, entry) in file.Entries)
            {
                if (entry.DType != "F32") throw Bad(full, $"tensor '{name}' is {entry.DType}, expected F32");
                using var t = file.Read(name);
                var data = t.data<float>().ToArray();
                if (meta.GetValueOrDefault(Meta + "sha256." + name) != Checksum(data))
                    throw Bad(full, $"tensor '{name}' fails its sha256 checksum (the file is corrupt)");
                if (data.Any(x => !float.IsFinite(x))) throw Bad(full, $"tensor '{name}' holds NaN or infinite values");
                tensors[name] = (data, entry.Shape);
            }
            return (bytes, meta, tensors);
        }
        catch (InputException e) when (e.Fix != RefitFix)
        {
            throw Bad(full, e.Problem, e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            throw Bad(full, $"cannot read the {what} file: {e.Message}", e);
        }
    }

    /// <summary>A tensor of a read file with the expected shape, or an <see cref="InputException"/>.</summary>
    public static float[] Tensor(string path, Dictionary<string, (float[] Data, long[] Shape)> tensors, string name, params long[] shape)
    {
        if (!tensors.TryGetValue(name, out var t))
            throw Bad(path, $"no '{name}' tensor");
        if (!t.Shape.SequenceEqual(shape))
            throw Bad(path, $"tensor '{name}' is [{string.Join(", ", t.Shape)}], expected [{string.Join(", ", shape)}]");
        return t.Data;
    }

    public const string RefitFix =
        "rerun `stepaudio prepare --config <your config>`: it refits the tiny tokenizer and speaker encoder from " +
        "data.train_path when their files are missing or unreadable";

    public static InputException Bad(string path, string problem, Exception? inner = null) =>
        new(path, null, null, problem, RefitFix, inner);
}
