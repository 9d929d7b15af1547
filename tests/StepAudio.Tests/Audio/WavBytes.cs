using System.Buffers.Binary;
using System.Text;

namespace StepAudio.Tests.Audio;

/// <summary>Builds WAV files byte by byte, so tests cover headers no writer in this repo produces.</summary>
sealed class WavBytes
{
    readonly List<byte> bytes = new();

    public static readonly byte[] KsSuffix =
        { 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71 };

    public WavBytes(uint? riffSize = null)
    {
        Ascii("RIFF"); U32(riffSize ?? 0); Ascii("WAVE");
        this.riffSize = riffSize;
    }

    readonly uint? riffSize;

    public WavBytes Fmt(ushort tag, int channels, int rate, int bits, int? blockAlign = null)
    {
        int align = blockAlign ?? channels * bits / 8;
        return Chunk("fmt ", b =>
        {
            b.U16(tag); b.U16((ushort)channels); b.U32((uint)rate); b.U32((uint)(rate * align));
            b.U16((ushort)align); b.U16((ushort)bits);
        });
    }

    public WavBytes FmtExtensible(ushort subTag, int channels, int rate, int bits, int validBits, byte[]? suffix = null) =>
        Chunk("fmt ", b =>
        {
            int align = channels * bits / 8;
            b.U16(0xFFFE); b.U16((ushort)channels); b.U32((uint)rate); b.U32((uint)(rate * align));
            b.U16((ushort)align); b.U16((ushort)bits);
            b.U16(22); b.U16((ushort)validBits); b.U32(channels == 1 ? 4u : 3u);
            b.U16(subTag); b.Raw(suffix ?? KsSuffix);
        });

    /// <summary>A chunk; odd-sized bodies get the RIFF pad byte.</summary>
    public WavBytes Chunk(string id, Action<WavBytes> body, uint? declaredSize = null, bool pad = true)
    {
        var inner = new WavBytes(skipHeader: true);
        body(inner);
        Ascii(id);
        U32(declaredSize ?? (uint)inner.bytes.Count);
        bytes.AddRange(inner.bytes);
        if (pad && inner.bytes.Count % 2 == 1) bytes.Add(0);
        return this;
    }

    public WavBytes Data(byte[] data, uint? declaredSize = null) => Chunk("data", b => b.Raw(data), declaredSize, pad: false);

    WavBytes(bool skipHeader) { _ = skipHeader; }

    public WavBytes Raw(byte[] b) { bytes.AddRange(b); return this; }
    public WavBytes Ascii(string s) => Raw(Encoding.ASCII.GetBytes(s));
    public WavBytes U16(ushort v) { var b = new byte[2]; BinaryPrimitives.WriteUInt16LittleEndian(b, v); return Raw(b); }
    public WavBytes U32(uint v) { var b = new byte[4]; BinaryPrimitives.WriteUInt32LittleEndian(b, v); return Raw(b); }

    /// <summary>The file bytes; the RIFF size is filled in unless the constructor fixed one.</summary>
    public byte[] ToArray()
    {
        var a = bytes.ToArray();
        if (riffSize is null) BinaryPrimitives.WriteUInt32LittleEndian(a.AsSpan(4), (uint)(a.Length - 8));
        return a;
    }

    public static byte[] Int16(params short[] v) => Pack(v.Length * 2, (s, i) => BinaryPrimitives.WriteInt16LittleEndian(s, v[i]), 2);
    public static byte[] Int32(params int[] v) => Pack(v.Length * 4, (s, i) => BinaryPrimitives.WriteInt32LittleEndian(s, v[i]), 4);
    public static byte[] Float32(params float[] v) => Pack(v.Length * 4, (s, i) => BinaryPrimitives.WriteSingleLittleEndian(s, v[i]), 4);
    public static byte[] Float64(params double[] v) => Pack(v.Length * 8, (s, i) => BinaryPrimitives.WriteDoubleLittleEndian(s, v[i]), 8);

    public static byte[] Int24(params int[] v)
    {
        var b = new byte[v.Length * 3];
        for (int i = 0; i < v.Length; i++) { b[3 * i] = (byte)v[i]; b[3 * i + 1] = (byte)(v[i] >> 8); b[3 * i + 2] = (byte)(v[i] >> 16); }
        return b;
    }

    delegate void Writer(Span<byte> s, int i);

    static byte[] Pack(int size, Writer write, int step)
    {
        var b = new byte[size];
        for (int i = 0; i * step < size; i++) write(b.AsSpan(i * step, step), i);
        return b;
    }
}
