using System.Buffers.Binary;
using System.Text;

namespace StepAudio.Audio;

/// <summary>
/// Reads RIFF/WAVE files (PCM 8/16/24/32-bit, IEEE float 32/64, WAVE_FORMAT_EXTENSIBLE; any channel count and rate)
/// and writes 16-bit PCM or 32-bit float. Anything else is an <see cref="InputException"/> naming the file.
/// </summary>
public static class WavFile
{
    const ushort FormatPcm = 1, FormatFloat = 3, FormatExtensible = 0xFFFE;
    const string ConvertHint = "convert it to WAV, e.g. `sox input.ext -b 16 output.wav` or `ffmpeg -i input.ext output.wav`";

    /// <summary>Reads and decodes a WAV file.</summary>
    public static AudioClip Read(string path) => Read(path, out _);

    /// <summary>Reads and decodes a WAV file, also returning its header facts.</summary>
    public static AudioClip Read(string path, out WavFormat format)
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InputException(path, null, null, "cannot read the audio file: " + e.Message,
                "check that the file exists and is readable");
        }
        return FromBytes(bytes, path, out format);
    }

    /// <summary>Decodes WAV file bytes already in memory; <paramref name="path"/> names the source in errors.</summary>
    public static AudioClip FromBytes(byte[] bytes, string path, out WavFormat format)
    {
        using var ms = new MemoryStream(bytes, writable: false);
        var (fmt, dataOffset, dataLength) = ParseHeader(path, ms);
        format = fmt;
        return Decode(bytes.AsSpan((int)dataOffset, (int)dataLength), fmt);
    }

    /// <summary>Reads only the header facts (fast; seeks over chunks, reads no samples; for reports).</summary>
    public static WavFormat ReadFormat(string path)
    {
        try
        {
            using var fs = File.OpenRead(path);
            return ParseHeader(path, fs).Format;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InputException(path, null, null, "cannot read the audio file: " + e.Message,
                "check that the file exists and is readable");
        }
    }

    static (WavFormat Format, long DataOffset, long DataLength) ParseHeader(string path, Stream s)
    {
        long total = s.Length;
        var head = new byte[12];
        int got = ReadUpTo(s, head);
        if (got < 12 || Encoding.ASCII.GetString(head, 0, 4) != "RIFF" || Encoding.ASCII.GetString(head, 8, 4) != "WAVE")
        {
            var what = got < 4 ? "an empty or truncated file"
                : got < 12 && Encoding.ASCII.GetString(head, 0, 4) == "RIFF" ? "a truncated RIFF header"
                : Sniff(head);
            throw new InputException(path, null, null, $"unsupported format: not a RIFF/WAVE file ({what})", ConvertHint);
        }
        long pos = 12;
        ushort tag = 0, channels = 0, bits = 0, validBits = 0;
        int rate = 0, blockAlign = 0;
        bool haveFmt = false, extensible = false;
        var chunk = new byte[8];
        while (pos + 8 <= total)
        {
            s.Position = pos;
            s.ReadExactly(chunk);
            var id = Encoding.ASCII.GetString(chunk, 0, 4);
            long size = BinaryPrimitives.ReadUInt32LittleEndian(chunk.AsSpan(4));
            long body = pos + 8;
            if (id == "fmt ")
            {
                var b = new byte[(int)Math.Min(size, 40)];
                if (size < 16 || ReadUpTo(s, b) < 16)
                    throw new InputException(path, null, null, "corrupt WAV: 'fmt ' chunk is too short", "re-export the file");
                tag = BinaryPrimitives.ReadUInt16LittleEndian(b);
                channels = BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(2));
                rate = (int)BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(4));
                blockAlign = BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(12));
                bits = BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(14));
                if (tag == FormatExtensible)
                {
                    if (size < 40 || b.Length < 40 || body + 40 > total)
                        throw new InputException(path, null, null, "corrupt WAV: WAVE_FORMAT_EXTENSIBLE header is too short",
                            "re-export the file");
                    extensible = true;
                    validBits = BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(18));
                    // SubFormat GUID: the format tag in its first 2 bytes, then the fixed KSDATAFORMAT suffix.
                    tag = b.AsSpan(26, 14).SequenceEqual(KsDataFormatSuffix)
                        ? BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(24))
                        : FormatExtensible;
                }
                haveFmt = true;
            }
            else if (id == "data")
            {
                if (!haveFmt)
                    throw new InputException(path, null, null, "corrupt WAV: 'data' chunk comes before 'fmt '", "re-export the file");
                var fmt = Validate(path, tag, channels, rate, bits, validBits, blockAlign, extensible);
                long available = total - body;
                // Streamed writers leave 0 or 0xFFFFFFFF as the size; a cut-off file holds less than declared:
                // take what is there, whole frames only.
                if (size == 0 || size == uint.MaxValue || size > available) size = available;
                size -= size % blockAlign;
                return (fmt with { Frames = size / blockAlign }, body, size);
            }
            pos = body + size + (size & 1); // chunks are word-aligned
        }
        throw new InputException(path, null, null,
            haveFmt ? "corrupt WAV: no 'data' chunk" : "corrupt WAV: no 'fmt ' chunk", "re-export the file");
    }

    static readonly byte[] KsDataFormatSuffix =
        { 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71 };

    static int ReadUpTo(Stream s, byte[] buffer)
    {
        int got = 0, n;
        while (got < buffer.Length && (n = s.Read(buffer, got, buffer.Length - got)) > 0) got += n;
        return got;
    }

    static WavFormat Validate(string path, ushort tag, ushort channels, int rate, ushort bits, ushort validBits,
        int blockAlign, bool extensible)
    {
        WavSampleFormat kind = tag switch
        {
            FormatPcm => WavSampleFormat.Pcm,
            FormatFloat => WavSampleFormat.Float,
            _ => throw new InputException(path, null, null,
                $"unsupported format: WAV encoding 0x{tag:X4} ({TagName(tag)}); only PCM and IEEE float are read",
                ConvertHint),
        };
        bool okBits = kind == WavSampleFormat.Pcm ? bits is 8 or 16 or 24 or 32 : bits is 32 or 64;
        if (!okBits)
            throw new InputException(path, null, null, $"unsupported format: {bits}-bit {kind}", ConvertHint);
        if (channels == 0 || rate <= 0 || blockAlign != channels * bits / 8)
            throw new InputException(path, null, null,
                $"corrupt WAV header: {channels} channels, {rate} Hz, block align {blockAlign}", "re-export the file");
        _ = validBits; // containers with fewer valid bits store them MSB-aligned, so decoding is unchanged
        return new WavFormat(kind, bits, channels, rate, 0, extensible);
    }

    static AudioClip Decode(ReadOnlySpan<byte> data, WavFormat f)
    {
        int bytesPer = f.BitsPerSample / 8, ch = f.Channels;
        int frames = data.Length / (bytesPer * ch);
        var channels = new float[ch][];
        for (int c = 0; c < ch; c++) channels[c] = new float[frames];
        for (int i = 0, o = 0; i < frames; i++)
            for (int c = 0; c < ch; c++, o += bytesPer)
                channels[c][i] = DecodeSample(data.Slice(o, bytesPer), f);
        return new AudioClip(channels, f.SampleRate);
    }

    static float DecodeSample(ReadOnlySpan<byte> s, WavFormat f) => (f.SampleFormat, f.BitsPerSample) switch
    {
        (WavSampleFormat.Pcm, 8) => (s[0] - 128) / 128f,
        (WavSampleFormat.Pcm, 16) => BinaryPrimitives.ReadInt16LittleEndian(s) / 32768f,
        (WavSampleFormat.Pcm, 24) => ((s[0] | s[1] << 8 | (sbyte)s[2] << 16)) / 8388608f,
        (WavSampleFormat.Pcm, 32) => (float)(BinaryPrimitives.ReadInt32LittleEndian(s) / 2147483648.0),
        (WavSampleFormat.Float, 32) => BinaryPrimitives.ReadSingleLittleEndian(s),
        _ => (float)BinaryPrimitives.ReadDoubleLittleEndian(s),
    };

    /// <summary>
    /// Writes a WAV file (16-bit PCM by default, or 32-bit float) to a temporary file and renames it into place.
    /// Integer output is clipped to [-1, 1].
    /// </summary>
    public static void Write(string path, AudioClip clip, WavSampleFormat format = WavSampleFormat.Pcm, int bits = 16) =>
        AtomicFile.WriteAllBytes(path, Encode(clip, format, bits));

    /// <summary>
    /// The bytes <see cref="Write"/> would write (16-bit PCM by default), for audio that stays in memory, e.g. a
    /// notebook player's <c>data:audio/wav</c> URI.
    /// </summary>
    public static byte[] Encode(AudioClip clip, WavSampleFormat format = WavSampleFormat.Pcm, int bits = 16)
    {
        if (!((format == WavSampleFormat.Pcm && bits is 8 or 16 or 24 or 32) || (format == WavSampleFormat.Float && bits is 32 or 64)))
            throw new ArgumentException($"cannot write {bits}-bit {format}");
        int ch = clip.Channels.Length, n = clip.Length, bytesPer = bits / 8;
        long dataLen = (long)n * ch * bytesPer;
        var buf = new byte[44 + dataLen];
        var span = buf.AsSpan();
        Encoding.ASCII.GetBytes("RIFF").CopyTo(span);
        BinaryPrimitives.WriteUInt32LittleEndian(span[4..], (uint)(36 + dataLen));
        Encoding.ASCII.GetBytes("WAVEfmt ").CopyTo(span[8..]);
        BinaryPrimitives.WriteUInt32LittleEndian(span[16..], 16);
        BinaryPrimitives.WriteUInt16LittleEndian(span[20..], format == WavSampleFormat.Pcm ? FormatPcm : FormatFloat);
        BinaryPrimitives.WriteUInt16LittleEndian(span[22..], (ushort)ch);
        BinaryPrimitives.WriteUInt32LittleEndian(span[24..], (uint)clip.SampleRate);
        BinaryPrimitives.WriteUInt32LittleEndian(span[28..], (uint)(clip.SampleRate * ch * bytesPer));
        BinaryPrimitives.WriteUInt16LittleEndian(span[32..], (ushort)(ch * bytesPer));
        BinaryPrimitives.WriteUInt16LittleEndian(span[34..], (ushort)bits);
        Encoding.ASCII.GetBytes("data").CopyTo(span[36..]);
        BinaryPrimitives.WriteUInt32LittleEndian(span[40..], (uint)dataLen);
        int o = 44;
        for (int i = 0; i < n; i++)
            for (int c = 0; c < ch; c++, o += bytesPer)
                EncodeSample(span.Slice(o, bytesPer), clip.Channels[c][i], format, bits);
        return buf;
    }

    static void EncodeSample(Span<byte> s, float v, WavSampleFormat format, int bits)
    {
        if (format == WavSampleFormat.Float)
        {
            if (bits == 32) BinaryPrimitives.WriteSingleLittleEndian(s, v);
            else BinaryPrimitives.WriteDoubleLittleEndian(s, v);
            return;
        }
        double x = Math.Clamp((double)v, -1.0, 1.0);
        switch (bits)
        {
            case 8: s[0] = (byte)Math.Clamp(Math.Round(x * 128) + 128, 0, 255); break;
            case 16: BinaryPrimitives.WriteInt16LittleEndian(s, (short)Math.Clamp(Math.Round(x * 32768), -32768, 32767)); break;
            case 24:
                int v24 = (int)Math.Clamp(Math.Round(x * 8388608), -8388608, 8388607);
                s[0] = (byte)v24; s[1] = (byte)(v24 >> 8); s[2] = (byte)(v24 >> 16);
                break;
            default: BinaryPrimitives.WriteInt32LittleEndian(s, (int)Math.Clamp(Math.Round(x * 2147483648.0), int.MinValue, int.MaxValue)); break;
        }
    }

    static string TagName(ushort tag) => tag switch
    {
        2 => "MS ADPCM", 6 => "A-law", 7 => "mu-law", 0x11 => "IMA ADPCM", 0x55 => "MP3", 0x50 => "MPEG",
        FormatExtensible => "WAVE_FORMAT_EXTENSIBLE with an unknown sub-format",
        _ => "compressed or unknown",
    };

    static string Sniff(byte[] b)
    {
        var head = Encoding.ASCII.GetString(b, 0, Math.Min(4, b.Length));
        if (head == "fLaC") return "looks like FLAC";
        if (head == "OggS") return "looks like Ogg";
        if (head.StartsWith("ID3") || (b[0] == 0xFF && (b[1] & 0xE0) == 0xE0)) return "looks like MP3";
        if (head == "RIFF") return "RIFF but not WAVE";
        return "unrecognised header";
    }
}
