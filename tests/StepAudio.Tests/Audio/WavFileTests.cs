using StepAudio.Audio;

namespace StepAudio.Tests.Audio;

public sealed class WavFileTests : IDisposable
{
    readonly string dir = TestPaths.NewTempDir("wav-test");

    public void Dispose() => Directory.Delete(dir, true);

    string Save(byte[] bytes, string name = "x.wav")
    {
        var path = Path.Combine(dir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    AudioClip Read(byte[] bytes, out WavFormat format) => WavFile.Read(Save(bytes), out format);

    [Fact]
    public void Pcm8_is_offset_binary()
    {
        var clip = Read(new WavBytes().Fmt(1, 1, 8000, 8).Data(new byte[] { 0, 64, 128, 255, 1 }).ToArray(), out var f);
        Assert.Equal(new[] { -1f, -0.5f, 0f, 127 / 128f, -127 / 128f }, clip.Channels[0]);
        Assert.Equal(new WavFormat(WavSampleFormat.Pcm, 8, 1, 8000, 5, false), f);
    }

    [Fact]
    public void Pcm16_scales_by_32768()
    {
        var clip = Read(new WavBytes().Fmt(1, 1, 16000, 16).Data(WavBytes.Int16(-32768, -1, 0, 1, 32767)).ToArray(), out _);
        Assert.Equal(new[] { -1f, -1 / 32768f, 0f, 1 / 32768f, 32767 / 32768f }, clip.Channels[0]);
    }

    [Fact]
    public void Pcm24_sign_extends()
    {
        var clip = Read(new WavBytes().Fmt(1, 1, 48000, 24).Data(WavBytes.Int24(-8388608, -1, 0, 4194304, 8388607)).ToArray(), out var f);
        Assert.Equal(new[] { -1f, -1 / 8388608f, 0f, 0.5f, 8388607 / 8388608f }, clip.Channels[0]);
        Assert.Equal(24, f.BitsPerSample);
    }

    [Fact]
    public void Pcm32_scales_by_2_pow_31()
    {
        var clip = Read(new WavBytes().Fmt(1, 1, 48000, 32).Data(WavBytes.Int32(int.MinValue, -(1 << 30), 0, 1 << 29)).ToArray(), out _);
        Assert.Equal(new[] { -1f, -0.5f, 0f, 0.25f }, clip.Channels[0]);
    }

    [Fact]
    public void Float32_and_float64_are_read_as_is()
    {
        var f32 = Read(new WavBytes().Fmt(3, 1, 24000, 32).Data(WavBytes.Float32(0.25f, -1.5f, 1e-8f)).ToArray(), out var a);
        Assert.Equal(new[] { 0.25f, -1.5f, 1e-8f }, f32.Channels[0]);
        Assert.Equal(WavSampleFormat.Float, a.SampleFormat);
        var f64 = Read(new WavBytes().Fmt(3, 1, 24000, 64).Data(WavBytes.Float64(0.125, -0.75)).ToArray(), out var b);
        Assert.Equal(new[] { 0.125f, -0.75f }, f64.Channels[0]);
        Assert.Equal(64, b.BitsPerSample);
    }

    [Fact]
    public void Extensible_pcm_and_float()
    {
        var pcm = Read(new WavBytes().FmtExtensible(1, 2, 44100, 16, 16).Data(WavBytes.Int16(16384, -16384)).ToArray(), out var f);
        Assert.True(f.Extensible);
        Assert.Equal(2, f.Channels);
        Assert.Equal(0.5f, pcm.Channels[0][0]);
        Assert.Equal(-0.5f, pcm.Channels[1][0]);

        // 24 valid bits in a 32-bit container are MSB-aligned: same value as 24-bit PCM.
        var packed = Read(new WavBytes().FmtExtensible(1, 1, 48000, 32, 24).Data(WavBytes.Int32(4194304 << 8, -1 << 8)).ToArray(), out _);
        Assert.Equal(new[] { 0.5f, -1 / 8388608f }, packed.Channels[0]);

        var flt = Read(new WavBytes().FmtExtensible(3, 1, 22050, 32, 32).Data(WavBytes.Float32(-0.3f)).ToArray(), out var g);
        Assert.Equal(new[] { -0.3f }, flt.Channels[0]);
        Assert.Equal(WavSampleFormat.Float, g.SampleFormat);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    public void Channels_are_deinterleaved_and_downmixed_by_mean(int channels)
    {
        const int frames = 3;
        var v = new short[frames * channels];
        for (int i = 0; i < frames; i++)
            for (int c = 0; c < channels; c++) v[i * channels + c] = (short)(1024 * (c + 1) * (i + 1));
        var clip = Read(new WavBytes().Fmt(1, channels, 16000, 16).Data(WavBytes.Int16(v)).ToArray(), out var f);
        Assert.Equal(channels, f.Channels);
        Assert.Equal(channels, clip.Channels.Length);
        Assert.Equal(frames, clip.Length);
        for (int c = 0; c < channels; c++) Assert.Equal(1024 * (c + 1) * 2 / 32768f, clip.Channels[c][1]);
        var mono = clip.ToMono();
        for (int i = 0; i < frames; i++)
            Assert.Equal(1024f * (i + 1) * (channels + 1) / 2 / 32768f, mono[i], 6);
    }

    [Fact]
    public void Chunks_before_data_are_skipped_with_odd_size_padding()
    {
        var bytes = new WavBytes()
            .Chunk("JUNK", b => b.Raw(new byte[] { 1, 2, 3 }))              // odd size: one pad byte follows
            .Fmt(1, 1, 16000, 16)
            .Chunk("LIST", b => b.Ascii("INFOISFT").U32(5).Ascii("sox\0\0"))  // odd body (17 bytes)
            .Chunk("fact", b => b.U32(2))
            .Data(WavBytes.Int16(8192, -8192))
            .Chunk("id3 ", b => b.Raw(new byte[7]))                          // after data: ignored
            .ToArray();
        var clip = Read(bytes, out var f);
        Assert.Equal(new[] { 0.25f, -0.25f }, clip.Channels[0]);
        Assert.Equal(2, f.Frames);
        Assert.Equal(f, WavFile.ReadFormat(Save(bytes, "y.wav")));
    }

    [Fact]
    public void Large_chunk_before_data_is_seeked_over_by_ReadFormat()
    {
        var bytes = new WavBytes().Fmt(1, 1, 16000, 16).Chunk("LIST", b => b.Raw(new byte[100_000]))
            .Data(WavBytes.Int16(1, 2, 3)).ToArray();
        var f = WavFile.ReadFormat(Save(bytes));
        Assert.Equal(3, f.Frames);
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(0xFFFFFFFFu)]
    public void Streaming_header_sizes_read_to_the_end(uint declared)
    {
        var bytes = new WavBytes(riffSize: declared).Fmt(1, 2, 8000, 16)
            .Data(WavBytes.Int16(1, 2, 3, 4, 5, 6, 7), declaredSize: declared).ToArray();   // 7 samples: last frame partial
        var clip = Read(bytes, out var f);
        Assert.Equal(3, f.Frames);
        Assert.Equal(new[] { 1 / 32768f, 3 / 32768f, 5 / 32768f }, clip.Channels[0]);
        Assert.Equal(3, WavFile.ReadFormat(Save(bytes, "s.wav")).Frames);
    }

    [Fact]
    public void Data_size_beyond_the_file_takes_what_is_there()
    {
        var clip = Read(new WavBytes().Fmt(1, 1, 8000, 16).Data(WavBytes.Int16(5, 6), declaredSize: 1000).ToArray(), out var f);
        Assert.Equal(2, f.Frames);
        Assert.Equal(2, clip.Length);
    }

    [Fact]
    public void Huge_chunk_size_before_data_fails_cleanly()
    {
        var bytes = new WavBytes().Fmt(1, 1, 8000, 16).Chunk("LIST", b => b.U32(0), declaredSize: 0xFFFFFFF0)
            .Data(WavBytes.Int16(1)).ToArray();
        var e = Assert.Throws<InputException>(() => WavFile.Read(Save(bytes)));
        Assert.Contains("no 'data' chunk", e.Message);
    }

    public static IEnumerable<object[]> BadFiles()
    {
        object[] Case(string name, byte[] bytes, string expected) => new object[] { name, bytes, expected };
        yield return Case("mp3-id3", "ID3\x04\0\0\0\0\0\0"u8.ToArray(), "looks like MP3");
        yield return Case("mp3-sync", new byte[] { 0xFF, 0xFB, 0x90, 0x64, 0, 0, 0, 0, 0, 0, 0, 0 }, "looks like MP3");
        yield return Case("flac", "fLaC\0\0\0\x22\0\0\0\0"u8.ToArray(), "looks like FLAC");
        yield return Case("ogg", "OggS\0\x02\0\0\0\0\0\0"u8.ToArray(), "looks like Ogg");
        yield return Case("avi", "RIFF\0\0\0\0AVI LIST"u8.ToArray(), "RIFF but not WAVE");
        yield return Case("empty", Array.Empty<byte>(), "empty or truncated");
        yield return Case("riff-only", "RIFF\0\0"u8.ToArray(), "truncated RIFF header");
        yield return Case("three-bytes", "RIF"u8.ToArray(), "empty or truncated");
        yield return Case("truncated-riff", "RIFF\0\0\0\0WA"u8.ToArray(), "truncated RIFF header");
        yield return Case("truncated-fmt", new WavBytes().Fmt(1, 1, 16000, 16).ToArray()[..30], "'fmt ' chunk is too short");
        yield return Case("short-fmt", new WavBytes().Chunk("fmt ", b => b.U16(1).U16(1).U32(16000)).Data(new byte[2]).ToArray(), "'fmt ' chunk is too short");
        yield return Case("no-data", new WavBytes().Fmt(1, 1, 16000, 16).Chunk("LIST", b => b.U32(0)).ToArray(), "no 'data' chunk");
        yield return Case("no-fmt", new WavBytes().Chunk("LIST", b => b.U32(0)).ToArray(), "no 'fmt ' chunk");
        yield return Case("data-first", new WavBytes().Data(new byte[4]).Fmt(1, 1, 16000, 16).ToArray(), "comes before 'fmt '");
        yield return Case("ms-adpcm", new WavBytes().Fmt(2, 1, 16000, 4, 256).Data(new byte[256]).ToArray(), "MS ADPCM");
        yield return Case("ima-adpcm", new WavBytes().Fmt(0x11, 1, 16000, 4, 256).Data(new byte[256]).ToArray(), "IMA ADPCM");
        yield return Case("mu-law", new WavBytes().Fmt(7, 1, 8000, 8).Data(new byte[4]).ToArray(), "mu-law");
        yield return Case("a-law", new WavBytes().Fmt(6, 1, 8000, 8).Data(new byte[4]).ToArray(), "A-law");
        yield return Case("pcm12", new WavBytes().Fmt(1, 1, 16000, 12, 2).Data(new byte[4]).ToArray(), "12-bit Pcm");
        yield return Case("float16", new WavBytes().Fmt(3, 1, 16000, 16).Data(new byte[4]).ToArray(), "16-bit Float");
        yield return Case("bad-align", new WavBytes().Fmt(1, 2, 16000, 16, 3).Data(new byte[6]).ToArray(), "block align 3");
        yield return Case("zero-channels", new WavBytes().Fmt(1, 0, 16000, 16, 0).Data(new byte[4]).ToArray(), "0 channels");
        yield return Case("extensible-short", new WavBytes().Chunk("fmt ", b => b.U16(0xFFFE).U16(1).U32(16000).U32(32000).U16(2).U16(16)).Data(new byte[2]).ToArray(), "EXTENSIBLE header is too short");
        yield return Case("extensible-unknown-guid", new WavBytes().FmtExtensible(1, 1, 16000, 16, 16, new byte[14]).Data(new byte[2]).ToArray(), "unknown sub-format");
        yield return Case("extensible-mu-law", new WavBytes().FmtExtensible(7, 1, 8000, 8, 8).Data(new byte[2]).ToArray(), "mu-law");
    }

    [Theory]
    [MemberData(nameof(BadFiles))]
    public void Unsupported_or_corrupt_files_raise_InputException_naming_the_file(string name, byte[] bytes, string expected)
    {
        var path = Save(bytes, name + ".wav");
        var e = Assert.Throws<InputException>(() => WavFile.Read(path));
        Assert.Contains(expected, e.Message);
        Assert.StartsWith(path, e.Message);
        Assert.False(string.IsNullOrEmpty(e.Fix));
        Assert.Equal(e.Message, Assert.Throws<InputException>(() => WavFile.ReadFormat(path)).Message);
    }

    [Fact]
    public void Missing_file_is_an_InputException()
    {
        var path = Path.Combine(dir, "absent.wav");
        Assert.Contains("cannot read", Assert.Throws<InputException>(() => WavFile.Read(path)).Message);
        Assert.Contains("cannot read", Assert.Throws<InputException>(() => WavFile.ReadFormat(path)).Message);
    }

    [Theory]
    [InlineData(WavSampleFormat.Pcm, 8, 1 / 128.0)]
    [InlineData(WavSampleFormat.Pcm, 16, 1 / 32768.0)]
    [InlineData(WavSampleFormat.Pcm, 24, 1 / 8388608.0)]
    [InlineData(WavSampleFormat.Pcm, 32, 1e-7)]
    [InlineData(WavSampleFormat.Float, 32, 0.0)]
    [InlineData(WavSampleFormat.Float, 64, 0.0)]
    public void Write_then_read_round_trips(WavSampleFormat format, int bits, double step)
    {
        var rng = new Random(bits);
        var channels = new float[3][];
        for (int c = 0; c < 3; c++)
        {
            channels[c] = new float[101];
            for (int i = 0; i < 101; i++) channels[c][i] = (float)(rng.NextDouble() * 1.8 - 0.9);
        }
        var path = Path.Combine(dir, $"rt-{format}-{bits}.wav");
        WavFile.Write(path, new AudioClip(channels, 22050), format, bits);
        var back = WavFile.Read(path, out var f);
        Assert.Equal(new WavFormat(format, bits, 3, 22050, 101, false), f);
        Assert.Equal(f, WavFile.ReadFormat(path));
        for (int c = 0; c < 3; c++)
            for (int i = 0; i < 101; i++)
                Assert.True(Math.Abs(back.Channels[c][i] - channels[c][i]) <= step / 2 + 1e-7,
                    $"{format} {bits}: ch {c} [{i}] {back.Channels[c][i]} vs {channels[c][i]}");
        Assert.Empty(Directory.GetFiles(dir, "*.tmp-*"));
    }

    [Fact]
    public void Write_clips_integer_output_and_rejects_unknown_formats()
    {
        var path = Path.Combine(dir, "clip.wav");
        WavFile.Write(path, AudioClip.Mono(new[] { 2f, -2f, 1f }, 8000));
        Assert.Equal(new[] { 32767 / 32768f, -1f, 32767 / 32768f }, WavFile.Read(path).Channels[0]);
        Assert.Throws<ArgumentException>(() => WavFile.Write(path, AudioClip.Mono(new[] { 0f }, 8000), WavSampleFormat.Pcm, 12));
        Assert.Throws<ArgumentException>(() => WavFile.Write(path, AudioClip.Mono(new[] { 0f }, 8000), WavSampleFormat.Float, 16));
        Assert.Equal(3, WavFile.Read(path).Length);   // the failed writes left the file intact
    }

    [Fact]
    public void Empty_clip_round_trips()
    {
        var path = Path.Combine(dir, "empty.wav");
        WavFile.Write(path, AudioClip.Mono(Array.Empty<float>(), 16000));
        var clip = WavFile.Read(path, out var f);
        Assert.Equal(0, clip.Length);
        Assert.Equal(0, f.Frames);
    }
}
