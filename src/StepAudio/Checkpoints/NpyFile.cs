using System.Buffers.Binary;
using System.Text;
using System.Text.RegularExpressions;
using TorchSharp;
using static TorchSharp.torch;

namespace StepAudio.Checkpoints;

/// <summary>
/// Reads NumPy <c>.npy</c> files (format versions 1.0, 2.0 and 3.0) holding little-endian <c>f4</c>, <c>f8</c>,
/// <c>i4</c>, <c>i8</c>, <c>b1</c> or <c>u1</c> arrays, C or Fortran order. Anything else (pickled object arrays,
/// structured or big-endian dtypes, truncated or padded files) is an <see cref="InputException"/> naming the file.
/// </summary>
public static partial class NpyFile
{
    static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>Reads the array as a CPU tensor of its stored dtype, in C (row-major) order.</summary>
    public static Tensor Read(string path)
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InputException(path, null, null, "cannot open the .npy file: " + e.Message, "check the path");
        }
        return Parse(bytes, path);
    }

    /// <summary>Reads the array converted to float32, with its shape.</summary>
    public static (float[] Data, long[] Shape) ReadFloat32(string path)
    {
        using var t = Read(path);
        using var f = t.to_type(ScalarType.Float32);
        return (f.data<float>().ToArray(), f.shape);
    }

    /// <summary>Parses the bytes of a <c>.npy</c> file; <paramref name="path"/> is only used in messages.</summary>
    public static Tensor Parse(byte[] bytes, string path)
    {
        if (bytes.Length < 8 || !bytes.AsSpan(0, 6).SequenceEqual(Magic))
            throw Bad(path, "does not start with the NumPy magic \\x93NUMPY");
        int major = bytes[6];
        if (major is not (1 or 2 or 3))
            throw Bad(path, $"format version {major}.{bytes[7]} is not 1.0, 2.0 or 3.0");
        // Version 1 has a 2-byte header length; 2 and 3 widen it to 4 bytes (3 only changes the text to UTF-8).
        int lenSize = major == 1 ? 2 : 4;
        if (bytes.Length < 8 + lenSize) throw Bad(path, "file ends inside the header length");
        long headerLen = major == 1
            ? BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(8))
            : BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8));
        long dataStart = 8 + lenSize + headerLen;
        if (dataStart > bytes.Length)
            throw Bad(path, $"header of {headerLen} bytes runs past the end of the {bytes.Length}-byte file");
        var header = (major == 3 ? Encoding.UTF8 : Encoding.Latin1)
            .GetString(bytes, 8 + lenSize, (int)headerLen).Trim();
        var (descr, fortran, shape) = ParseHeader(header, path);
        var (dtype, itemSize) = DType(descr, path);

        long count = 1;
        foreach (var d in shape)
        {
            // Bounded so count * itemSize cannot overflow; the file is in memory, so it is far smaller anyway.
            if (d != 0 && count > (1L << 40) / d)
                throw Bad(path, $"shape ({string.Join(", ", shape)}) is too large");
            count *= d;
        }
        long dataLen = bytes.Length - dataStart;
        if (dataLen != count * itemSize)
            throw Bad(path, $"shape ({string.Join(", ", shape)}) of '{descr}' needs {count * itemSize} data bytes " +
                            $"but the file has {dataLen}" + (dataLen < count * itemSize ? " (truncated)" : ""));
        var data = bytes.AsSpan((int)dataStart);
        if (dtype == ScalarType.Bool && data.IndexOfAnyExcept((byte)0, (byte)1) is var bad and >= 0)
            throw Bad(path, $"boolean element {bad} is byte {data[bad]}, not 0 or 1");

        // Fortran order stores the transposed array in C order: read it with the axes reversed, then reverse them back.
        var stored = fortran ? shape.Reverse().ToArray() : shape;
        var t = empty(stored, dtype);
        data.CopyTo(t.bytes);
        if (!fortran || shape.Length < 2) return t;
        using (t)
        {
            using var view = t.permute(Enumerable.Range(0, shape.Length).Reverse().Select(i => (long)i).ToArray());
            return view.contiguous();
        }
    }

    static (string Descr, bool Fortran, long[] Shape) ParseHeader(string header, string path)
    {
        if (!header.StartsWith('{') || !header.EndsWith('}'))
            throw Bad(path, $"header is not a Python dict literal: {Clip(header)}");
        var descr = DescrRe().Match(header);
        if (!descr.Success)
        {
            // A list-valued descr is a structured (record) dtype.
            throw Bad(path, $"header has no plain 'descr' string (structured dtypes are not supported): {Clip(header)}");
        }
        var fortran = FortranRe().Match(header);
        if (!fortran.Success) throw Bad(path, $"header has no 'fortran_order': True/False: {Clip(header)}");
        var shape = ShapeRe().Match(header);
        if (!shape.Success) throw Bad(path, $"header has no 'shape' tuple: {Clip(header)}");
        var dims = new List<long>();
        foreach (var part in shape.Groups[1].Value.Split(',', StringSplitOptions.TrimEntries))
        {
            if (part.Length == 0) continue;
            if (!long.TryParse(part.TrimEnd('L'), out var d) || d < 0)
                throw Bad(path, $"shape entry '{part}' is not a non-negative integer");
            dims.Add(d);
        }
        return (descr.Groups[1].Value, fortran.Groups[1].Value == "True", dims.ToArray());
    }

    static (ScalarType, int) DType(string descr, string path) => descr switch
    {
        "<f4" => (ScalarType.Float32, 4),
        "<f8" => (ScalarType.Float64, 8),
        "<i4" => (ScalarType.Int32, 4),
        "<i8" => (ScalarType.Int64, 8),
        "|b1" => (ScalarType.Bool, 1),
        "|u1" or "<u1" => (ScalarType.Byte, 1),
        _ when descr.StartsWith('>') => throw Bad(path, $"dtype '{descr}' is big-endian",
            "re-save it little-endian, e.g. np.save(path, a.astype(a.dtype.newbyteorder('<')))"),
        _ when descr.Contains('O') => throw Bad(path, $"dtype '{descr}' is a pickled object array",
            "save a numeric array, e.g. np.save(path, np.asarray(a, dtype=np.float32))"),
        _ => throw Bad(path, $"dtype '{descr}' is not supported (only <f4, <f8, <i4, <i8, |b1, |u1)",
            "convert it, e.g. np.save(path, a.astype(np.float32))"),
    };

    static string Clip(string s) => s.Length <= 120 ? s : s[..120] + "…";

    static InputException Bad(string path, string what, string? fix = null) =>
        new(path, null, null, what, fix ?? "the file is not a valid .npy file; re-save it with numpy.save");

    [GeneratedRegex(@"'descr'\s*:\s*'([^']*)'")]
    private static partial Regex DescrRe();
    [GeneratedRegex(@"'fortran_order'\s*:\s*(True|False)")]
    private static partial Regex FortranRe();
    [GeneratedRegex(@"'shape'\s*:\s*\(([^)]*)\)")]
    private static partial Regex ShapeRe();
}
