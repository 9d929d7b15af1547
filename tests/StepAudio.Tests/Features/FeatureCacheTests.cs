using System.Text;
using StepAudio.Audio;
using StepAudio.Checkpoints;
using StepAudio.Features;
using static TorchSharp.torch;

namespace StepAudio.Tests.Features;

public sealed class FeatureCacheTests : IDisposable
{
    readonly string dir = TestPaths.NewTempDir("feature-cache");
    readonly List<FeatureCacheEvent> events = new();

    public void Dispose() => Directory.Delete(dir, true);

    string CacheDir => Path.Combine(dir, "cache");

    /// <summary>A 0.3 s stereo 16 kHz clip (two sines), so the pipeline downmixes and resamples.</summary>
    string MakeWav(string name = "a.wav", double hz = 440)
    {
        int n = 4800;
        var l = new float[n];
        var r = new float[n];
        for (int i = 0; i < n; i++)
        {
            l[i] = (float)(0.5 * Math.Sin(2 * Math.PI * hz * i / 16000));
            r[i] = (float)(0.3 * Math.Sin(2 * Math.PI * 2.5 * hz * i / 16000));
        }
        var path = Path.Combine(dir, name);
        WavFile.Write(path, new AudioClip(new[] { l, r }, 16000));
        return path;
    }

    FeatureCache NewCache(FeatureParams? p = null)
    {
        var cache = new FeatureCache(CacheDir, p);
        cache.Reported += e => { lock (events) events.Add(e); };
        return cache;
    }

    List<FeatureCacheEventKind> Kinds()
    {
        lock (events)
        {
            var k = events.Select(e => e.Kind).ToList();
            events.Clear();
            return k;
        }
    }

    [Fact]
    public void Miss_computes_the_pipeline_then_hits_without_recomputing()
    {
        using var scope = NewDisposeScope();
        var wav = MakeWav();
        using var cache = NewCache();
        using var first = cache.Get(wav);
        Assert.Equal(new[] { FeatureCacheEventKind.Miss, FeatureCacheEventKind.Written }, Kinds());

        // Same maths as WAV → mono → 24 kHz → log-mel, done by hand.
        using var mel = new MelSpectrogram();
        var expected = mel.Compute(Resampler.Resample(WavFile.Read(wav).ToMono(), 16000, 24000));
        Assert.Equal(new long[] { 80, 15 }, first.Mel.shape);   // 0.3 s = 7200 samples at 24 kHz, hop 480
        Assert.True(first.Mel.allclose(expected, 0, 0));

        var entry = cache.EntryPath(first.Key);
        var written = File.GetLastWriteTimeUtc(entry);
        using var again = NewCache();   // a later run
        again.Reported += e => { lock (events) events.Add(e); };
        using var second = again.Get(wav);
        Assert.Equal(FeatureCacheEventKind.Hit, Kinds().Distinct().Single());
        Assert.True(second.Mel.allclose(first.Mel, 0, 0));
        Assert.Equal(written, File.GetLastWriteTimeUtc(entry));
        Assert.Null(second.AudioTokens);
        Assert.Null(second.SpeakerEmbedding);

        // Keyed by content: the same bytes elsewhere hit; other bytes miss.
        var copy = Path.Combine(dir, "copy.wav");
        File.Copy(wav, copy);
        using var third = cache.Get(copy);
        Assert.Equal(new[] { FeatureCacheEventKind.Hit }, Kinds());
        using var other = cache.Get(MakeWav("b.wav", 300));
        Assert.Equal(FeatureCacheEventKind.Miss, Kinds()[0]);
        Assert.NotEqual(first.Key, other.Key);
    }

    [Fact]
    public void Entry_metadata_records_key_params_version_and_checksums()
    {
        using var scope = NewDisposeScope();
        var wav = MakeWav();
        using var cache = NewCache();
        using var f = cache.Get(wav);
        using var file = SafetensorsFile.Open(cache.EntryPath(f.Key));
        Assert.Equal("pt", file.Metadata["format"]);
        Assert.Equal(f.Key, file.Metadata["stepaudio.key"]);
        Assert.Equal(cache.Params.ToJson(), file.Metadata["stepaudio.params"]);
        Assert.Equal(FeatureParams.FormatVersion.ToString(), file.Metadata["stepaudio.version"]);
        Assert.Equal(64, file.Metadata["stepaudio.sha256.mel"].Length);
        Assert.StartsWith(file.Metadata["stepaudio.audio_sha256"], f.Key);
        Assert.Empty(Directory.GetFiles(CacheDir, "*.tmp-*"));
    }

    public static IEnumerable<object[]> Corruptions() => new[]
    {
        new object[] { "truncated", "" },
        new object[] { "bad-header", "" },
        new object[] { "checksum", "sha256" },
        new object[] { "empty", "" },
        new object[] { "missing-mel", "no 'mel'" },
    };

    [Theory]
    [MemberData(nameof(Corruptions))]
    public void Corrupt_entries_are_reported_and_rebuilt(string kind, string reasonPart)
    {
        using var scope = NewDisposeScope();
        var wav = MakeWav();
        using var cache = NewCache();
        Tensor good;
        string entry;
        using (var f = cache.Get(wav))
        {
            good = f.Mel.clone();
            entry = cache.EntryPath(f.Key);
        }
        var bytes = File.ReadAllBytes(entry);
        switch (kind)
        {
            case "truncated": File.WriteAllBytes(entry, bytes[..(bytes.Length - 100)]); break;
            case "bad-header": bytes[9] = (byte)'#'; File.WriteAllBytes(entry, bytes); break;
            case "checksum": bytes[^5] ^= 0x40; File.WriteAllBytes(entry, bytes); break;
            case "empty": File.WriteAllBytes(entry, Array.Empty<byte>()); break;
            case "missing-mel":
                var meta = new Dictionary<string, string>();
                using (var old = SafetensorsFile.Open(entry))
                    foreach (var (k, v) in old.Metadata) meta[k] = v;
                using (var other = zeros(3))
                    SafetensorsFile.Save(entry, new Dictionary<string, Tensor> { ["unrelated"] = other }, meta);
                break;
        }
        Kinds();
        Assert.Null(cache.TryGet(wav));
        var report = Assert.Single(events.ToList());
        Assert.Equal(FeatureCacheEventKind.Corrupt, report.Kind);
        Assert.Contains(reasonPart, report.Reason);
        Kinds();

        using var rebuilt = cache.Get(wav);
        Assert.Equal(new[] { FeatureCacheEventKind.Corrupt, FeatureCacheEventKind.Written }, Kinds());
        Assert.True(rebuilt.Mel.allclose(good, 0, 0));
        using var hit = cache.Get(wav);
        Assert.Equal(new[] { FeatureCacheEventKind.Hit }, Kinds());
    }

    [Theory]
    [InlineData("stepaudio.version", "0", "format version 0")]
    [InlineData("stepaudio.params", "{\"n_fft\":1024}", "other feature parameters")]
    [InlineData("stepaudio.key", "0-0", "renamed or copied")]
    public void Stale_entries_are_reported_and_rebuilt(string metaKey, string value, string reasonPart)
    {
        using var scope = NewDisposeScope();
        var wav = MakeWav();
        using var cache = NewCache();
        string entry;
        using (var f = cache.Get(wav)) entry = cache.EntryPath(f.Key);
        var tensors = SafetensorsFile.LoadAll(entry);
        var meta = new Dictionary<string, string>();
        using (var old = SafetensorsFile.Open(entry))
            foreach (var (k, v) in old.Metadata) meta[k] = v;
        meta[metaKey] = value;
        SafetensorsFile.Save(entry, tensors, meta);
        Kinds();

        using var rebuilt = cache.Get(wav);
        var reported = events.ToList();
        Assert.Equal(FeatureCacheEventKind.Stale, reported[0].Kind);
        Assert.Contains(reasonPart, reported[0].Reason);
        Assert.Equal(FeatureCacheEventKind.Written, reported[1].Kind);
        Kinds();
        using (var again = cache.Get(wav)) Assert.Equal(new[] { FeatureCacheEventKind.Hit }, Kinds());
    }

    [Fact]
    public void Other_parameters_use_their_own_entries()
    {
        using var scope = NewDisposeScope();
        var wav = MakeWav();
        using var a = NewCache();
        using var b = NewCache(new FeatureParams(new MelParams(NFft: 1024, NumMels: 40, SamplingRate: 16000, HopSize: 256, WinSize: 1024, Fmax: 8000)));
        using var fa = a.Get(wav);
        using var fb = b.Get(wav);
        Assert.NotEqual(fa.Key, fb.Key);
        Assert.Equal(40, fb.Mel.shape[0]);
        Assert.Equal(2, Directory.GetFiles(CacheDir, "*.safetensors").Length);
        Kinds();
        using var ha = a.Get(wav);
        using var hb = b.Get(wav);
        Assert.Equal(new[] { FeatureCacheEventKind.Hit, FeatureCacheEventKind.Hit }, Kinds());
    }

    [Fact]
    public void Slots_are_added_and_updated_without_recomputing_the_mel()
    {
        using var scope = NewDisposeScope();
        var wav = MakeWav();
        using var cache = NewCache();
        using var f = cache.Get(wav);
        Kinds();
        using var withTokens = cache.SetAudioTokens(wav, tensor(new long[] { 5, 6, 7 }));
        Assert.Equal(new[] { FeatureCacheEventKind.Hit, FeatureCacheEventKind.Written }, Kinds());
        Assert.True(withTokens.Mel.allclose(f.Mel, 0, 0));

        var spk = randn(192);
        using var withSpk = cache.SetSpeakerEmbedding(wav, spk);
        using var dual = cache.SetAudioTokens(wav, tensor(new long[] { 1, 2, 3, 4 }, 2, 2));
        Kinds();
        using var read = cache.Get(wav);
        Assert.Equal(new[] { FeatureCacheEventKind.Hit }, Kinds());
        Assert.Equal(new long[] { 2, 2 }, read.AudioTokens!.shape);
        Assert.Equal(new long[] { 1, 2, 3, 4 }, read.AudioTokens.data<long>().ToArray());
        Assert.True(read.SpeakerEmbedding!.allclose(spk, 0, 0));
        Assert.True(read.Mel.allclose(f.Mel, 0, 0));

        Assert.Throws<ArgumentException>(() => cache.SetAudioTokens(wav, tensor(new[] { 1f })));
        Assert.Throws<ArgumentException>(() => cache.SetAudioTokens(wav, zeros(new long[] { 2, 3 }, ScalarType.Int64)));
        Assert.Throws<ArgumentException>(() => cache.SetSpeakerEmbedding(wav, zeros(2, 96)));
    }

    [Fact]
    public void Slot_on_an_uncached_clip_computes_the_mel_first()
    {
        using var scope = NewDisposeScope();
        var wav = MakeWav();
        using var cache = NewCache();
        using var f = cache.SetSpeakerEmbedding(wav, ones(192));
        Assert.Equal(new[] { FeatureCacheEventKind.Miss, FeatureCacheEventKind.Written, FeatureCacheEventKind.Written }, Kinds());
        Assert.Equal(80, f.Mel.shape[0]);
        Assert.NotNull(f.SpeakerEmbedding);
    }

    [Fact]
    public void Concurrent_writers_leave_one_valid_file()
    {
        using var scope = NewDisposeScope();
        var wav = MakeWav();
        // Two caches (as two processes would) race on the same new entry.
        using var a = NewCache();
        using var b = NewCache();
        var keys = new string[4];
        Parallel.For(0, 4, i =>
        {
            using var s = NewDisposeScope();
            using var f = (i % 2 == 0 ? a : b).Get(wav);
            keys[i] = f.Key;
        });
        Assert.Single(keys.Distinct());
        Assert.Single(Directory.GetFiles(CacheDir));
        Assert.Empty(Directory.GetFiles(CacheDir, "*.tmp-*"));
        Kinds();
        using var read = a.Get(wav);
        Assert.Equal(new[] { FeatureCacheEventKind.Hit }, Kinds());
    }

    [Fact]
    public void Bad_audio_is_an_InputException_naming_the_file()
    {
        using var cache = NewCache();
        var mp3 = Path.Combine(dir, "x.wav");
        File.WriteAllBytes(mp3, Encoding.ASCII.GetBytes("ID3\x04 not a wav"));
        Assert.StartsWith(mp3, Assert.Throws<InputException>(() => cache.Get(mp3)).Message);
        var shortWav = Path.Combine(dir, "short.wav");
        WavFile.Write(shortWav, AudioClip.Mono(new float[100], 24000));
        var e = Assert.Throws<InputException>(() => cache.Get(shortWav));
        Assert.Contains("too short", e.Message);
        Assert.Throws<InputException>(() => cache.Get(Path.Combine(dir, "absent.wav")));
        Assert.False(Directory.Exists(CacheDir) && Directory.GetFiles(CacheDir).Length > 0);
    }
}
