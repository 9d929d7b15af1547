using StepAudio.Audio;
using StepAudio.Checkpoints;
using StepAudio.Features;
using StepAudio.Tokenizers;
using static StepAudio.Tests.Tokenizers.TokenizerSamples;
using static TorchSharp.torch;

namespace StepAudio.Tests.Tokenizers;

public sealed class AudioTokenCacheTests : IDisposable
{
    readonly string dir = TestPaths.NewTempDir("token-cache");
    readonly List<FeatureCacheEvent> events = new();

    public void Dispose() => Directory.Delete(dir, true);

    /// <summary>Counts real tokenizer calls, so a cache hit is seen to compute nothing.</summary>
    sealed class Counting(IAudioTokenizer inner, string? identity = null) : IAudioTokenizer
    {
        public int Calls;
        public string Identity => identity ?? inner.Identity;
        public int[] Tokenize(TokenizerInput input)
        {
            Calls++;
            return inner.Tokenize(input);
        }
    }

    sealed class CountingSpeaker(ISpeakerEncoder inner) : ISpeakerEncoder
    {
        public int Calls;
        public string Identity => inner.Identity;
        public int Dimension => inner.Dimension;
        public float[] Embed(TokenizerInput input)
        {
            Calls++;
            return inner.Embed(input);
        }
    }

    FeatureCache NewCache()
    {
        var cache = new FeatureCache(Path.Combine(dir, "cache"));
        cache.Reported += e => { lock (events) events.Add(e); };
        return cache;
    }

    List<(string, FeatureCacheEventKind)> Events()
    {
        lock (events)
        {
            var r = events.Select(e => (e.Slot, e.Kind)).ToList();
            events.Clear();
            return r;
        }
    }

    [Fact]
    public void Tokens_are_computed_once_then_hit_and_keyed_by_the_tokenizer_identity()
    {
        var wav = Get("en_gb_female", "02").Path;
        var tokenizer = new Counting(Tokenizer);
        using var cache = NewCache();
        var first = cache.GetAudioTokens(wav, tokenizer);
        Assert.Equal(1, tokenizer.Calls);
        Assert.Equal(new[]
        {
            ("audio_tokens", FeatureCacheEventKind.Miss), ("mel", FeatureCacheEventKind.Miss),
            ("mel", FeatureCacheEventKind.Written), ("audio_tokens", FeatureCacheEventKind.Written),
        }, Events());
        Assert.Equal(Tokenize(Get("en_gb_female", "02"), Tokenizer), first);

        using var later = NewCache();   // a later run
        Assert.Equal(first, later.GetAudioTokens(wav, tokenizer));
        Assert.Equal(1, tokenizer.Calls);
        Assert.Equal(new[] { ("audio_tokens", FeatureCacheEventKind.Hit) }, Events());

        var entry = cache.AudioTokensEntryPath(cache.KeyOf(wav), tokenizer.Identity);
        Assert.True(File.Exists(entry));
        using (var file = SafetensorsFile.Open(entry))
        {
            Assert.Equal(tokenizer.Identity, file.Metadata["stepaudio.model"]);
            Assert.Equal(cache.KeyOf(wav), file.Metadata["stepaudio.key"]);
            Assert.Equal(64, file.Metadata["stepaudio.sha256.audio_tokens"].Length);
        }

        // Another tokenizer (other identity) misses and gets its own entry; the mel is reused.
        var other = new Counting(Tokenizer, "tiny-vq:0123456789abcdef");
        cache.GetAudioTokens(wav, other);
        Assert.Equal(1, other.Calls);
        Assert.Equal(new[]
        {
            ("audio_tokens", FeatureCacheEventKind.Miss), ("mel", FeatureCacheEventKind.Hit),
            ("audio_tokens", FeatureCacheEventKind.Written),
        }, Events());
        Assert.Equal(2, Directory.GetFiles(Path.Combine(cache.Directory, FeatureCache.AudioTokensFolder)).Length);
    }

    [Theory]
    [InlineData("flipped")]
    [InlineData("truncated")]
    [InlineData("foreign")]
    public void A_corrupt_token_entry_is_reported_and_rebuilt(string damage)
    {
        var wav = Get("cmn_male", "03").Path;
        var tokenizer = new Counting(Tokenizer);
        using var cache = NewCache();
        var good = cache.GetAudioTokens(wav, tokenizer);
        var entry = cache.AudioTokensEntryPath(cache.KeyOf(wav), tokenizer.Identity);
        var bytes = File.ReadAllBytes(entry);
        switch (damage)
        {
            case "flipped": bytes[^2] ^= 0x01; File.WriteAllBytes(entry, bytes); break;
            case "truncated": File.WriteAllBytes(entry, bytes[..20]); break;
            case "foreign":   // a valid file with values outside the mixed stream, checksum and all
                var meta = new Dictionary<string, string>();
                using (var old = SafetensorsFile.Open(entry))
                    foreach (var (k, v) in old.Metadata) meta[k] = v;
                using (var bad = full(new long[] { 5 }, 9999L, ScalarType.Int64))
                {
                    meta["stepaudio.sha256.audio_tokens"] = Convert.ToHexStringLower(
                        System.Security.Cryptography.SHA256.HashData(bad.bytes));
                    SafetensorsFile.Save(entry, new Dictionary<string, Tensor> { ["audio_tokens"] = bad }, meta);
                }
                break;
        }
        Events();
        Assert.Equal(good, cache.GetAudioTokens(wav, tokenizer));
        Assert.Equal(2, tokenizer.Calls);
        var seen = Events();
        Assert.Equal(("audio_tokens", FeatureCacheEventKind.Corrupt), seen[0]);
        Assert.Equal(("audio_tokens", FeatureCacheEventKind.Written), seen[^1]);
        Assert.Equal(good, cache.GetAudioTokens(wav, tokenizer));
        Assert.Equal(new[] { ("audio_tokens", FeatureCacheEventKind.Hit) }, Events());
    }

    [Fact]
    public void Speaker_embeddings_are_cached_the_same_way()
    {
        var wav = Get("en_us_male", "03_whisper").Path;
        var encoder = new CountingSpeaker(Speaker);
        using var cache = NewCache();
        var first = cache.GetSpeakerEmbedding(wav, encoder);
        Assert.Equal(192, first.Length);
        Assert.Equal(Embed(Get("en_us_male", "03_whisper"), Speaker), first);
        Events();
        Assert.Equal(first, cache.GetSpeakerEmbedding(wav, encoder));
        Assert.Equal(1, encoder.Calls);
        Assert.Equal(new[] { ("speaker_embedding", FeatureCacheEventKind.Hit) }, Events());

        var entry = cache.SpeakerEmbeddingEntryPath(cache.KeyOf(wav), encoder.Identity);
        File.WriteAllBytes(entry, File.ReadAllBytes(entry)[..100]);
        Assert.Equal(first, cache.GetSpeakerEmbedding(wav, encoder));
        Assert.Equal(2, encoder.Calls);
        Assert.Equal(FeatureCacheEventKind.Corrupt, Events()[0].Item2);
    }

    [Fact]
    public void A_too_short_clip_is_an_input_error_naming_the_file()
    {
        var wav = Path.Combine(dir, "blip.wav");
        var samples = Enumerable.Range(0, 2400).Select(i => (float)(0.3 * Math.Sin(i * 0.05))).ToArray();   // 0.1 s
        WavFile.Write(wav, AudioClip.Mono(samples, 24000));
        using var cache = NewCache();
        var e = Assert.Throws<InputException>(() => cache.GetAudioTokens(wav, Tokenizer));
        Assert.Equal(wav, e.File);
        Assert.Contains("too short to tokenize", e.Problem);
        Assert.False(Directory.Exists(Path.Combine(cache.Directory, FeatureCache.AudioTokensFolder)));
        Assert.Equal(192, cache.GetSpeakerEmbedding(wav, Speaker).Length);   // an embedding needs only some frames
    }
}
