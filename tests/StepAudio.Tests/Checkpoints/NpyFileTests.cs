using System.Text;
using StepAudio.Checkpoints;
using static TorchSharp.torch;

namespace StepAudio.Tests.Checkpoints;

/// <summary>The .npy reader on files NumPy wrote (scripts/make-npy-fixtures.py) and on hostile bytes built here.</summary>
public sealed class NpyFileTests
{
    static string Fixture(string name) => Path.Combine(TestPaths.RepoRoot, "tests", "fixtures", "npy", name);

    // The script's values: a[i, j] = 10 i + j (+ 0.5 for floats).
    static readonly double[] Base = [0, 1, 2, 10, 11, 12];

    [Theory]
    [InlineData("f4_c_v1.npy", ScalarType.Float32, 0.5)]
    [InlineData("f8_c_v2.npy", ScalarType.Float64, 0.5)]
    [InlineData("i8_c_v1.npy", ScalarType.Int64, 0.0)]
    [InlineData("i4_c_v1.npy", ScalarType.Int32, 0.0)]
    [InlineData("f4_fortran_v1.npy", ScalarType.Float32, 0.5)]
    public void ReadsTwoByThreeInRowMajorOrder(string name, ScalarType dtype, double offset)
    {
        using var t = NpyFile.Read(Fixture(name));
        Assert.Equal(dtype, t.dtype);
        Assert.Equal([2L, 3L], t.shape);
        using var d = t.to_type(ScalarType.Float64).contiguous();
        Assert.Equal(Base.Select(v => v + offset), d.data<double>().ToArray());
    }

    [Fact]
    public void FortranOrder3DIsTransposedBack()
    {
        using var t = NpyFile.Read(Fixture("i8_fortran_3d_v2.npy"));
        Assert.Equal([2L, 3L, 4L], t.shape);
        var expected = new List<long>();
        for (int i = 0; i < 2; i++) for (int j = 0; j < 3; j++) for (int k = 0; k < 4; k++) expected.Add(100 * i + 10 * j + k);
        Assert.Equal(expected, t.data<long>().ToArray());
    }

    [Fact]
    public void ScalarEmptyBoolAndByteArrays()
    {
        using var s = NpyFile.Read(Fixture("f4_scalar_v1.npy"));
        Assert.Empty(s.shape);
        Assert.Equal(2.5f, s.item<float>());
        using var e = NpyFile.Read(Fixture("f4_empty_v1.npy"));
        Assert.Equal([0L, 3L], e.shape);
        using var b = NpyFile.Read(Fixture("b1_v1.npy"));
        Assert.Equal([true, false, true], b.data<bool>().ToArray());
        using var u = NpyFile.Read(Fixture("u1_v1.npy"));
        Assert.Equal(new byte[] { 0, 7, 255 }, u.data<byte>().ToArray());
        var (data, shape) = NpyFile.ReadFloat32(Fixture("i8_c_v1.npy"));
        Assert.Equal([2L, 3L], shape);
        Assert.Equal(Base.Select(v => (float)v), data);
    }

    /// <summary>A version-1 file with the given header dict and data bytes, padded as NumPy pads.</summary>
    static byte[] Npy(string dict, byte[] data, byte major = 1)
    {
        int lenSize = major == 1 ? 2 : 4;
        var header = dict + " ";
        header += new string(' ', (64 - (8 + lenSize + header.Length + 1) % 64) % 64) + "\n";
        var h = Encoding.Latin1.GetBytes(header);
        var bytes = new List<byte> { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', major, 0 };
        bytes.AddRange(major == 1 ? BitConverter.GetBytes((ushort)h.Length) : BitConverter.GetBytes((uint)h.Length));
        bytes.AddRange(h);
        bytes.AddRange(data);
        return bytes.ToArray();
    }

    static InputException Rejects(byte[] bytes)
    {
        var path = Path.Combine(TestPaths.NewTempDir("npy"), "bad.npy");
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<InputException>(() => NpyFile.Read(path).Dispose());
        Assert.Equal(path, e.File);
        Assert.Contains(path, e.Message);
        Assert.False(string.IsNullOrEmpty(e.Fix));
        return e;
    }

    const string F4x2 = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }";

    [Fact]
    public void HandBuiltFileReadsAndVersion3IsAccepted()
    {
        var data = BitConverter.GetBytes(1.5f).Concat(BitConverter.GetBytes(-2f)).ToArray();
        foreach (byte v in new byte[] { 1, 3 })
        {
            var path = Path.Combine(TestPaths.NewTempDir("npy"), "ok.npy");
            File.WriteAllBytes(path, Npy(F4x2, data, v));
            using var t = NpyFile.Read(path);
            Assert.Equal([1.5f, -2f], t.data<float>().ToArray());
        }
    }

    [Fact]
    public void HostileFilesAreInputExceptions()
    {
        var eight = new byte[8];
        Assert.Contains("magic", Rejects(Encoding.ASCII.GetBytes("PK\x03\x04 not numpy at all")).Problem);
        Assert.Contains("magic", Rejects([0x93, (byte)'N', (byte)'U']).Problem);
        Assert.Contains("version 4", Rejects(Npy(F4x2, eight, 4)).Problem);
        Assert.Contains("truncated", Rejects(Npy(F4x2, eight[..7])).Problem);
        Assert.Contains("has 9", Rejects(Npy(F4x2, new byte[9])).Problem);
        var full = Npy(F4x2, eight);
        Assert.Contains("runs past the end", Rejects(full[..20]).Problem);
        Assert.Contains("header length", Rejects(full[..9]).Problem);
        Assert.Contains("big-endian", Rejects(Npy("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", eight)).Problem);
        Assert.Contains("object", Rejects(Npy("{'descr': '|O', 'fortran_order': False, 'shape': (1,), }", eight)).Problem);
        Assert.Contains("not supported", Rejects(Npy("{'descr': '<f2', 'fortran_order': False, 'shape': (4,), }", eight)).Problem);
        Assert.Contains("structured", Rejects(Npy("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }", eight)).Problem);
        Assert.Contains("fortran_order", Rejects(Npy("{'descr': '<f4', 'shape': (2,), }", eight)).Problem);
        Assert.Contains("'shape'", Rejects(Npy("{'descr': '<f4', 'fortran_order': False, }", eight)).Problem);
        Assert.Contains("'-2'", Rejects(Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (-2,), }", eight)).Problem);
        Assert.Contains("too large", Rejects(Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999, 99999999999), }", eight)).Problem);
        Assert.Contains("dict", Rejects(Npy("descr <f4", eight)).Problem);
        Assert.Contains("not 0 or 1", Rejects(Npy("{'descr': '|b1', 'fortran_order': False, 'shape': (2,), }", [1, 2])).Problem);
    }

    [Fact]
    public void MissingFileIsInputException()
    {
        var path = Path.Combine(TestPaths.NewTempDir("npy"), "absent.npy");
        var e = Assert.Throws<InputException>(() => NpyFile.Read(path).Dispose());
        Assert.Equal(path, e.File);
    }
}
