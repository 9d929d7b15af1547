using System.Collections;
using StepAudio.Checkpoints;
using StepAudio.Tests.Parity;
using StepAudio.Vocoder;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace StepAudio.Tests.Vocoder;

/// <summary>
/// Loading HiFT weights: both weight-norm layouts, safetensors and PyTorch zip (.pt) files, the mismatch report, and
/// the frozen, seeded behaviour. Files are written to a temp folder from the hift parity fixture's weights.
/// </summary>
public sealed class HiftLoadingTests : IDisposable
{
    const string ParamG = ".parametrizations.weight.original0", ParamV = ".parametrizations.weight.original1";
    readonly ParityFixture fixture = new(Path.Combine(TestPaths.ParityDir, "hift"));
    readonly string dir = TestPaths.NewTempDir("hift-load");

    public void Dispose()
    {
        fixture.Dispose();
        Directory.Delete(dir, true);
    }

    HiftConfig Config => HiftFixtureConfig.Read(fixture);

    /// <summary>The fixture's weights with the parametrization keys renamed to legacy <c>weight_g</c>/<c>weight_v</c>.</summary>
    Dictionary<string, Tensor> LegacyLayout() => fixture.Weights.ToDictionary(
        kv => kv.Key.Replace(ParamG, ".weight_g").Replace(ParamV, ".weight_v"), kv => kv.Value);

    /// <summary>Runs a loaded generator on the fixture's input and draws; returns max |wav − stored wav|.</summary>
    double WavError(HiftGenerator hift)
    {
        using var scope = NewDisposeScope();
        using var output = hift.Inference(fixture.In("speech_feat"),
            new HiftDraws(fixture.In("rand_ini"), fixture.In("sine_noise_randn")));
        return (output.Wav - fixture.In("wav")).abs().max().item<float>();
    }

    static void AssertSameWeights(HiftGenerator a, HiftGenerator b)
    {
        using var scope = NewDisposeScope();
        var sa = a.state_dict();
        var sb = b.state_dict();
        Assert.Equal(sa.Keys.Order(), sb.Keys.Order());
        foreach (var (k, t) in sa)
            Assert.True(t.equal(sb[k]).all().item<bool>(), $"{k} differs");
    }

    [Fact]
    public void ParametrizationLayoutSafetensorsLoadsAndReproducesWav()
    {
        var path = Path.Combine(dir, "hift.safetensors");
        SafetensorsFile.Save(path, fixture.Weights);
        Assert.Contains(fixture.Weights.Keys, k => k.EndsWith(ParamG, StringComparison.Ordinal));
        using var hift = HiftGenerator.Load(path, Config);
        Assert.True(WavError(hift) < 1e-3);
    }

    [Fact]
    public void LegacyWeightGvLayoutLoadsToTheSameWeights()
    {
        var paramPath = Path.Combine(dir, "param.safetensors");
        var legacyPath = Path.Combine(dir, "legacy.safetensors");
        SafetensorsFile.Save(paramPath, fixture.Weights);
        var legacy = LegacyLayout();
        Assert.Contains(legacy.Keys, k => k.EndsWith(".weight_g", StringComparison.Ordinal));
        Assert.DoesNotContain(legacy.Keys, k => k.Contains(".parametrizations.", StringComparison.Ordinal));
        SafetensorsFile.Save(legacyPath, legacy);
        using var a = HiftGenerator.Load(paramPath, Config);
        using var b = HiftGenerator.Load(legacyPath, Config);
        AssertSameWeights(a, b);
        Assert.True(WavError(b) < 1e-3);
    }

    [Fact]
    public void TorchZipPtWithGeneratorPrefixLoads()
    {
        // A PyTorch zip archive as torch.save(state_dict) writes it; keys carry the "generator." prefix some
        // checkpoints have (upstream strips it the same way).
        var path = Path.Combine(dir, "hift.pt");
        var table = new Hashtable();
        foreach (var (k, t) in LegacyLayout()) table["generator." + k] = t.contiguous();
        PyTorchPickler.PickleStateDict(path, table);
        using var fromPt = HiftGenerator.Load(path, Config);
        var stPath = Path.Combine(dir, "hift.safetensors");
        SafetensorsFile.Save(stPath, fixture.Weights);
        using var fromSafetensors = HiftGenerator.Load(stPath, Config);
        AssertSameWeights(fromPt, fromSafetensors);
        Assert.True(WavError(fromPt) < 1e-3);
    }

    [Fact]
    public void MismatchIsReportedAndFailsByDefault()
    {
        using var scope = NewDisposeScope();
        var weights = fixture.Weights.ToDictionary(kv => kv.Key, kv => kv.Value);
        Assert.True(weights.Remove("conv_post.bias"));
        weights["conv_post.extra"] = zeros(3);
        weights["m_source.l_linear.weight"] = zeros(1, 4);
        var path = Path.Combine(dir, "bad.safetensors");
        SafetensorsFile.Save(path, weights);

        var e = Assert.Throws<InputException>(() => HiftGenerator.Load(path, Config));
        Assert.Equal(path, e.File);
        Assert.Contains("missing (1): conv_post.bias", e.Message);
        Assert.Contains("unexpected (1): conv_post.extra", e.Message);
        Assert.Contains("m_source.l_linear.weight: model [1, 9], checkpoint [1, 4]", e.Message);

        using var hift = new HiftGenerator(Config);
        var mismatch = hift.LoadStateDict(SafetensorsFile.LoadAll(path), path, strict: false);
        Assert.Equal(["conv_post.bias"], mismatch.Missing);
        Assert.Equal(["conv_post.extra"], mismatch.Unexpected);
        Assert.Single(mismatch.Mismatched);
        Assert.False(mismatch.IsExact);
    }

    [Fact]
    public void WrongSizesAreAShapeMismatch()
    {
        var path = Path.Combine(dir, "hift.safetensors");
        SafetensorsFile.Save(path, fixture.Weights);
        var e = Assert.Throws<InputException>(() => HiftGenerator.Load(path, Config with { BaseChannels = 64 }));
        Assert.Contains("conv_pre.weight: model [64, 80, 7], checkpoint [32, 80, 7]", e.Message);
    }

    [Fact]
    public void LegacyNonZipTorchFileIsAClearError()
    {
        var path = Path.Combine(dir, "old.pt");
        File.WriteAllBytes(path, [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20]);
        var e = Assert.Throws<InputException>(() => HiftGenerator.Load(path, Config));
        Assert.Contains("not a PyTorch zip checkpoint", e.Message);
    }

    [Fact]
    public void WeightNormFoldsOverAllDimsButZero()
    {
        using var scope = NewDisposeScope();
        // v rows have norms 5 and 13; g rescales each row to length g.
        var v = tensor(new float[] { 3, 4, 0, 0, 5, 12 }).reshape(2, 3, 1);
        var g = tensor(new float[] { 10, 26 }).reshape(2, 1, 1);
        var w = WeightNorm.Fold(g, v);
        Assert.True(w.allclose(tensor(new float[] { 6, 8, 0, 0, 10, 24 }).reshape(2, 3, 1)));
        Assert.Throws<InvalidDataException>(() => WeightNorm.Fold(zeros(3, 1, 1), v));
    }

    [Fact]
    public void GeneratorIsFrozenAndSeeded()
    {
        using var scope = NewDisposeScope();
        var mel = fixture.In("speech_feat");
        using var a = new HiftGenerator(Config, seed: 7);
        using var b = new HiftGenerator(Config, seed: 7);
        using var c = new HiftGenerator(Config, seed: 8);
        a.LoadStateDict(fixture.Weights, fixture.WeightsPath);
        b.LoadStateDict(fixture.Weights, fixture.WeightsPath);
        c.LoadStateDict(fixture.Weights, fixture.WeightsPath);
        Assert.All(a.parameters(), p => Assert.False(p.requires_grad));
        var wa = a.Synthesize(mel);
        Assert.False(wa.requires_grad);
        Assert.Equal(new[] { mel.shape[0], mel.shape[2] * a.SamplesPerFrame }, wa.shape);
        Assert.True(wa.equal(b.Synthesize(mel)).all().item<bool>());
        Assert.False(wa.equal(c.Synthesize(mel)).all().item<bool>());
        Assert.True(wa.abs().max().item<float>() <= 0.99f + 1e-6f);
    }

    [Fact]
    public void RealPresetHasUpstreamKeyCount()
    {
        // hift.pt of Step-Audio-EditX: 246 merged tensors at the real sizes (fixture note: 328 = 246 + 82 g tensors).
        using var hift = new HiftGenerator(HiftConfig.StepAudioEditX);
        var sd = hift.state_dict();
        Assert.Equal(246, sd.Count);
        Assert.Equal(new long[] { 512, 80, 7 }, sd["conv_pre.weight"].shape);
        Assert.Equal(new long[] { 512, 256, 16 }, sd["ups.0.weight"].shape);
        Assert.Equal(new long[] { 18, 64, 7 }, sd["conv_post.weight"].shape);
        Assert.Equal(480, hift.SamplesPerFrame);
    }

    [Fact]
    public void BadMelShapeIsNamed()
    {
        using var scope = NewDisposeScope();
        using var hift = new HiftGenerator(Config);
        var e = Assert.ThrowsAny<ArgumentException>(() => hift.Synthesize(zeros(1, 81, 4)));
        Assert.Contains("[batch, 80, frames]", e.Message);
    }
}
