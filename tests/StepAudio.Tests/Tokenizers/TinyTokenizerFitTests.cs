using StepAudio.Checkpoints;
using StepAudio.Tokenizers;
using static StepAudio.Tests.Tokenizers.TokenizerSamples;
using static TorchSharp.torch;

namespace StepAudio.Tests.Tokenizers;

public sealed class TinyTokenizerFitTests : IDisposable
{
    readonly string dir = TestPaths.NewTempDir("tiny-tokenizer");

    public void Dispose() => Directory.Delete(dir, true);

    [Fact]
    public void Fitting_is_deterministic_and_the_identity_is_the_file_hash()
    {
        var again = TinyAudioTokenizer.Fit(Mels(Train), Fast, 7);
        string a = Path.Combine(dir, "a.safetensors"), b = Path.Combine(dir, "b.safetensors");
        Tokenizer.Save(a);
        again.Save(b);
        Assert.Equal(File.ReadAllBytes(a), File.ReadAllBytes(b));
        Assert.Equal(Tokenizer.Identity, again.Identity);
        Assert.Matches("^tiny-vq:[0-9a-f]{16}$", Tokenizer.Identity);
        var hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(a)))[..16];
        Assert.Equal("tiny-vq:" + hash, Tokenizer.Identity);
        Assert.Empty(Directory.GetFiles(dir, "*.tmp-*"));

        var otherSeed = TinyAudioTokenizer.Fit(Mels(Train), Fast, 8);
        Assert.NotEqual(Tokenizer.Identity, otherSeed.Identity);
    }

    [Fact]
    public void Tokens_are_whole_groups_of_two_vq02_then_three_vq06_codes()
    {
        Assert.Equal((64, 128), (Tokenizer.Vq02CodebookSize, Tokenizer.Vq06CodebookSize));
        var used02 = new HashSet<int>();
        var used06 = new HashSet<int>();
        foreach (var s in Train)
        {
            var tokens = Tokenize(s, Tokenizer);
            Assert.Equal(5 * (s.Frames / 6), tokens.Length);
            for (int i = 0; i < tokens.Length; i++)
            {
                if (i % 5 < 2)
                {
                    Assert.InRange(tokens[i], 0, 63);
                    used02.Add(tokens[i]);
                }
                else
                {
                    Assert.InRange(tokens[i], 1024, 1024 + 127);
                    used06.Add(tokens[i]);
                }
            }
        }
        // A fitted codebook is used, not collapsed onto a few codes.
        Assert.True(used02.Count > 32, $"{used02.Count} vq02 codes used");
        Assert.True(used06.Count > 64, $"{used06.Count} vq06 codes used");
    }

    [Fact]
    public void Tokens_follow_the_audio()
    {
        var a = Get("en_us_male", "01");
        var first = Tokenize(a, Tokenizer);
        Assert.Equal(first, Tokenize(a, Tokenizer));
        foreach (var other in new[] { Get("en_gb_female", "01"), Get("en_us_male", "02"), Get("cmn_male", "01") })
        {
            var tokens = Tokenize(other, Tokenizer);
            int n = Math.Min(tokens.Length, first.Length), same = 0;
            for (int i = 0; i < n; i++) if (tokens[i] == first[i]) same++;
            Assert.True(same < n / 2, $"{other} shares {same} of {n} tokens with {a}");
        }

        // Codes are local: vq06 code k depends only on mel frames [2k, 2k+2), vq02 code k on [3k, 3k+3).
        using var mel = a.Mel();
        var (vq02, vq06) = Tokenizer.Encode(mel, a.Path);
        using var changed = mel.clone();
        using (var tail = changed.narrow(1, 12, a.Frames - 12)) tail.add_(3.0f);
        var (vq02b, vq06b) = Tokenizer.Encode(changed, a.Path);
        Assert.Equal(vq02[..4], vq02b[..4]);
        Assert.Equal(vq06[..6], vq06b[..6]);
        Assert.NotEqual(vq06[6..], vq06b[6..]);
    }

    [Fact]
    public void A_clip_shorter_than_one_group_is_an_input_error_naming_it()
    {
        using var mel = zeros(80, 5);
        var e = Assert.Throws<InputException>(() => Tokenizer.Tokenize(mel, "short.wav"));
        Assert.Equal("short.wav", e.File);
        Assert.Contains("too short to tokenize", e.Message);
        Assert.Contains("0.12 s", e.Message);
        using var six = zeros(80, 6);
        Assert.Equal(5, Tokenizer.Tokenize(six, "six.wav").Length);
    }

    [Fact]
    public void KMeans_lowers_the_quantisation_error()
    {
        // Real data: raw 25 Hz pooled mel frames of the samples.
        var rows = new List<float>();
        foreach (var s in Train)
            for (int f = 0; f + 1 < s.Frames; f += 2)
                for (int b = 0; b < 80; b++)
                    rows.Add((s.Data[b * s.Frames + f] + s.Data[b * s.Frames + f + 1]) / 2);
        var data = rows.ToArray();
        int n = data.Length / 80, k = 32;
        var fit = KMeans.Fit(data, 80, k, 1, 30);
        Assert.True(fit.Distortion < fit.InitialDistortion, $"{fit.Distortion} vs initial {fit.InitialDistortion}");
        Assert.Equal(fit.Distortion, KMeans.Distortion(data, 80, fit.Centroids), 3);
        var rng = new SeededRandom(99);
        for (int trial = 0; trial < 3; trial++)
        {
            var random = new float[k * 80];
            for (int c = 0; c < k; c++) Array.Copy(data, rng.Next(n) * 80, random, c * 80, 80);
            double d = KMeans.Distortion(data, 80, random);
            Assert.True(fit.Distortion < 0.8 * d, $"fitted {fit.Distortion} vs a random codebook's {d}");
        }

        // The tokenizer's own fits went downhill too.
        var stats = Tokenizer.Fitted!;
        Assert.Equal(Train.Count, stats.Clips);
        Assert.True(stats.Vq02.Distortion < stats.Vq02.InitialDistortion);
        Assert.True(stats.Vq06.Distortion < stats.Vq06.InitialDistortion);
    }

    [Fact]
    public void KMeans_finds_separated_clusters_and_reseeds_empty_ones()
    {
        // Three tight blobs: k = 3 finds them exactly.
        var rng = new SeededRandom(5);
        var centres = new[] { new[] { 0f, 0f }, new[] { 10f, 0f }, new[] { 0f, 10f } };
        var data = new float[300 * 2];
        for (int i = 0; i < 300; i++)
            for (int j = 0; j < 2; j++)
                data[i * 2 + j] = centres[i % 3][j] + (float)(rng.NextDouble() - 0.5) * 0.1f;
        var fit = KMeans.Fit(data, 2, 3, 3, 100);
        Assert.True(fit.Converged);
        Assert.True(fit.Distortion < 0.01);
        foreach (var c in centres)
            Assert.Contains(Enumerable.Range(0, 3), i => Math.Abs(fit.Centroids[i * 2] - c[0]) < 0.1 && Math.Abs(fit.Centroids[i * 2 + 1] - c[1]) < 0.1);
        Assert.Equal(fit.Centroids, KMeans.Fit(data, 2, 3, 3, 100).Centroids);

        // More centroids than distinct points: nothing breaks, every point is still exact.
        var two = new[] { 1f, 1f, 1f, 1f, 5f, 5f };
        var over = KMeans.Fit(two, 2, 4, 1, 10);
        Assert.Equal(0, over.Distortion);
        Assert.All(over.Centroids, v => Assert.True(v is 1f or 5f));
    }

    [Fact]
    public void Save_and_load_round_trip()
    {
        var path = Path.Combine(dir, "tok.safetensors");
        Tokenizer.Save(path);
        var loaded = TinyAudioTokenizer.Load(path);
        Assert.Equal(Tokenizer.Identity, loaded.Identity);
        Assert.Equal(Tokenizer.Options, loaded.Options);
        Assert.Equal(7, loaded.Seed);
        Assert.Null(loaded.Fitted);
        foreach (var s in Train.Take(4)) Assert.Equal(Tokenize(s, Tokenizer), Tokenize(s, loaded));
        using var file = SafetensorsFile.Open(path);
        Assert.Equal(TinyAudioTokenizer.FormatName, file.Metadata["stepaudio.format"]);
        Assert.Equal("1", file.Metadata["stepaudio.format_version"]);
        Assert.Contains("\"vq06_codebook_size\":128", file.Metadata["stepaudio.options"]);
        Assert.Equal(new long[] { 128, 80 }, file.Entries["vq06.codebook"].Shape);
    }

    public static IEnumerable<object[]> Damage() => new[]
    {
        new object[] { "missing" }, new object[] { "empty" }, new object[] { "truncated" }, new object[] { "flipped" },
        new object[] { "garbage" }, new object[] { "speaker-file" },
    };

    [Theory]
    [MemberData(nameof(Damage))]
    public void A_missing_or_damaged_file_is_an_input_error_naming_it(string damage)
    {
        var path = Path.Combine(dir, "tok.safetensors");
        Tokenizer.Save(path);
        var bytes = File.ReadAllBytes(path);
        switch (damage)
        {
            case "missing": File.Delete(path); break;
            case "empty": File.WriteAllBytes(path, Array.Empty<byte>()); break;
            case "truncated": File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]); break;
            case "flipped": bytes[^7] ^= 0x20; File.WriteAllBytes(path, bytes); break;
            case "garbage": File.WriteAllText(path, "not a model"); break;
            case "speaker-file": Speaker.Save(path); break;
        }
        var e = Assert.Throws<InputException>(() => TinyAudioTokenizer.Load(path));
        Assert.Equal(Path.GetFullPath(path), e.File);
        Assert.Contains("stepaudio prepare", e.Fix);
        if (damage != "speaker-file") Assert.Throws<InputException>(() => TinySpeakerEncoder.Load(path));
        else Assert.Contains("not a tiny audio tokenizer file", e.Problem);
    }

    [Fact]
    public void Options_are_checked()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            TinyAudioTokenizer.Fit(Mels(Train.Take(1)), new TinyAudioTokenizerOptions { Vq02CodebookSize = 2048 }, 1));
        Assert.Throws<ArgumentException>(() => TinyAudioTokenizer.Fit(Array.Empty<Tensor>(), null, 1));
    }
}
