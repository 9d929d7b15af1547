using StepAudio.Checkpoints;
using StepAudio.Flow;
using StepAudio.Tests.Flow;
using StepAudio.Tests.Parity;
using StepAudio.Tests.Vocoder;
using StepAudio.Vocoder;
using static TorchSharp.torch;

namespace StepAudio.Tests.Checkpoints;

/// <summary>
/// The random flow.pt and hift.pt, at the parity fixtures' tiny sizes: the keys and shapes are those upstream wrote
/// there (the fixtures come from upstream's modules), the loaders match every key, and the weights are the seeded model's.
/// </summary>
public sealed class CosyVoiceRandomCheckpointTests : IDisposable
{
    readonly string dir = TestPaths.NewTempDir("stepaudio-random-cosyvoice");

    public void Dispose() => Directory.Delete(dir, true);

    static Dictionary<string, long[]> Shapes(IReadOnlyDictionary<string, Tensor> state) =>
        state.ToDictionary(kv => kv.Key, kv => kv.Value.shape);

    static void AssertSameLayout(IReadOnlyDictionary<string, Tensor> expected, IReadOnlyDictionary<string, Tensor> actual)
    {
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), actual.Keys.Order(StringComparer.Ordinal));
        foreach (var (key, shape) in Shapes(expected)) Assert.True(shape.SequenceEqual(actual[key].shape), key);
        Assert.All(actual.Values, t => Assert.Equal(ScalarType.Float32, t.dtype));
    }

    [Fact]
    public void WriteFlow_HasUpstreamKeysAndLoadsExactly()
    {
        using var scope = NewDisposeScope();
        var (path, kept) = CosyVoiceRandomCheckpoint.WriteFlow(dir, FlowConfig.Tiny, seed: 5);
        Assert.False(kept);
        Assert.Equal(Path.Combine(dir, "flow.pt"), path);
        AssertSameLayout(StateDictFile.Load(TinyFlow.FlowPt), StateDictFile.Load(path));

        // The file's own tensors, not a re-seeded model: other test classes draw from torch's global generator in parallel.
        var file = StateDictFile.Load(path);
        using var loaded = TinyFlow.Model(seed: 99);
        var report = FlowCheckpoint.Load(loaded, path);
        Assert.True(report.IsExact, report.ToString());
        foreach (var (key, t) in loaded.state_dict()) Assert.True(t.eq(file[key]).all().item<bool>(), key);
        var (other, _) = CosyVoiceRandomCheckpoint.WriteFlow(Path.Combine(dir, "other"), FlowConfig.Tiny, seed: 6);
        Assert.False(file["encoder_proj.weight"].eq(StateDictFile.Load(other)["encoder_proj.weight"]).all().item<bool>(),
            "another seed gave the same weights");
    }

    [Fact]
    public void WriteHift_HasUpstreamWeightNormKeysAndLoadsBackTheSameWeights()
    {
        using var scope = NewDisposeScope();
        using var fixture = new ParityFixture(Path.Combine(TestPaths.ParityDir, "hift"));
        var config = HiftFixtureConfig.Read(fixture);
        var (path, _) = CosyVoiceRandomCheckpoint.WriteHift(dir, config, seed: 5);
        var written = StateDictFile.Load(path);
        AssertSameLayout(fixture.Weights, written);

        using var loaded = HiftGenerator.Load(path, config);   // strict: every key matched
        // g = ‖v‖, so each weight-normed layer loads back as v itself; the other tensors as stored.
        foreach (var (key, t) in loaded.state_dict())
        {
            var stored = written.TryGetValue(key, out var plain) ? plain : written[key[..^".weight".Length] + ".parametrizations.weight.original1"];
            Assert.True(t.allclose(stored, rtol: 1e-5, atol: 1e-6), key);
        }
        // One positive gain per output channel, as torch.nn.utils.parametrizations.weight_norm stores it.
        var g = written["conv_pre.parametrizations.weight.original0"];
        Assert.Equal(new long[] { config.BaseChannels, 1, 1 }, g.shape);
        Assert.True(g.gt(0).all().item<bool>());
    }

    [Fact]
    public void KeepExisting_KeepsAFileOfTheSameLayoutAndRewritesAnother()
    {
        var (path, _) = CosyVoiceRandomCheckpoint.WriteFlow(dir, FlowConfig.Tiny, seed: 1);
        var stamp = File.GetLastWriteTimeUtc(path);
        var bytes = File.ReadAllBytes(path);
        Assert.True(CosyVoiceRandomCheckpoint.WriteFlow(dir, FlowConfig.Tiny, seed: 2, keepExisting: true).Kept);
        Assert.Equal(bytes, File.ReadAllBytes(path));
        Assert.Equal(stamp, File.GetLastWriteTimeUtc(path));

        var deeper = FlowConfig.Tiny with { Estimator = FlowConfig.Tiny.Estimator with { Depth = 3 } };
        Assert.False(CosyVoiceRandomCheckpoint.WriteFlow(dir, deeper, seed: 1, keepExisting: true).Kept);
        using var model = new CausalMaskedDiffWithXvec(deeper);
        Assert.True(FlowCheckpoint.Load(model, path).IsExact);
        Assert.False(CosyVoiceRandomCheckpoint.WriteFlow(dir, FlowConfig.Tiny, seed: 1).Kept);
    }
}
