using StepAudio.Tokenizers;
using static StepAudio.Tests.Tokenizers.TokenizerSamples;

namespace StepAudio.Tests.Tokenizers;

public sealed class TinySpeakerEncoderTests : IDisposable
{
    readonly string dir = TestPaths.NewTempDir("tiny-speaker");

    public void Dispose() => Directory.Delete(dir, true);

    static double Cosine(float[] a, float[] b)
    {
        double ab = 0, aa = 0, bb = 0;
        for (int i = 0; i < a.Length; i++) { ab += a[i] * b[i]; aa += a[i] * a[i]; bb += b[i] * b[i]; }
        return ab / Math.Sqrt(aa * bb);
    }

    [Fact]
    public void Embeddings_are_192_wide_deterministic_and_follow_the_voice()
    {
        Assert.Equal(192, Speaker.Dimension);
        Assert.Matches("^tiny-spk:[0-9a-f]{16}$", Speaker.Identity);
        Assert.Equal(Speaker.Identity, TinySpeakerEncoder.Fit(Mels(Train)).Identity);

        var embeddings = Train.ToDictionary(s => s, s => Embed(s, Speaker));
        foreach (var (s, e) in embeddings)
        {
            Assert.Equal(192, e.Length);
            Assert.All(e, v => Assert.True(float.IsFinite(v)));
        }
        var a = Get("en_us_male", "01");
        Assert.Equal(embeddings[a], Embed(a, Speaker));
        Assert.NotEqual(embeddings[a], embeddings[Get("en_us_male", "02")]);
        Assert.NotEqual(embeddings[a], embeddings[Get("en_gb_female", "01")]);

        // Same-voice clips are closer than clips of other voices, on average and for each voice (measured margins
        // 0.13 to 0.34 on these samples: pooled statistics mix voice with sentence, speed and style).
        foreach (var voice in Train.Select(s => s.Speaker).Distinct())
        {
            var mine = embeddings.Where(kv => kv.Key.Speaker == voice).Select(kv => kv.Value).ToList();
            var others = embeddings.Where(kv => kv.Key.Speaker != voice).Select(kv => kv.Value).ToList();
            double intra = mine.SelectMany((x, i) => mine.Skip(i + 1).Select(y => Cosine(x, y))).Average();
            double inter = mine.SelectMany(x => others.Select(y => Cosine(x, y))).Average();
            Assert.True(intra > inter + 0.05, $"{voice}: same-voice cosine {intra:F3}, other voices {inter:F3}");
        }
    }

    [Fact]
    public void Save_and_load_round_trip_and_damage_is_an_input_error()
    {
        var path = Path.Combine(dir, "spk.safetensors");
        Speaker.Save(path);
        var loaded = TinySpeakerEncoder.Load(path);
        Assert.Equal(Speaker.Identity, loaded.Identity);
        Assert.Equal(Train.Count, loaded.TrainingClips);
        var s = Get("cmn_male", "02");
        Assert.Equal(Embed(s, Speaker), Embed(s, loaded));

        var bytes = File.ReadAllBytes(path);
        bytes[^3] ^= 0x11;
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<InputException>(() => TinySpeakerEncoder.Load(path));
        Assert.Equal(Path.GetFullPath(path), e.File);
        Assert.Contains("checksum", e.Problem);
        Assert.Contains("stepaudio prepare", e.Fix);
        File.Delete(path);
        e = Assert.Throws<InputException>(() => TinySpeakerEncoder.Load(path));
        Assert.Contains("does not exist", e.Problem);
    }
}
