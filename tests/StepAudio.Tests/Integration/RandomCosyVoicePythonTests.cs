using System.Text.Json;
using StepAudio.Checkpoints;
using StepAudio.Flow;
using StepAudio.Tests.Flow;
using StepAudio.Tests.Parity;
using StepAudio.Tests.Vocoder;

namespace StepAudio.Tests.Integration;

/// <summary>Python's torch.load reads the random flow.pt and hift.pt and finds upstream's keys and shapes, in float32.</summary>
[Trait("Tier", "Integration")]
public sealed class RandomCosyVoicePythonTests : IDisposable
{
    readonly string dir = TestPaths.NewTempDir("random-cosyvoice-python");

    public void Dispose() => Directory.Delete(dir, true);

    static void AssertTorchSees(string path, IReadOnlyDictionary<string, TorchSharp.torch.Tensor> upstream)
    {
        using var json = JsonDocument.Parse(IntegrationTier.RunPython("list_torch_state_dict.py", path));
        var seen = json.RootElement.EnumerateObject().ToDictionary(p => p.Name,
            p => (DType: p.Value[0].GetString(), Shape: p.Value[1].EnumerateArray().Select(d => d.GetInt64()).ToArray()));
        Assert.Equal(upstream.Keys.Order(StringComparer.Ordinal), seen.Keys.Order(StringComparer.Ordinal));
        foreach (var (key, t) in upstream)
        {
            Assert.Equal("float32", seen[key].DType);
            Assert.True(t.shape.SequenceEqual(seen[key].Shape), key);
        }
    }

    [Fact]
    public void TorchLoadsTheFlowWithUpstreamKeys()
    {
        var (path, _) = CosyVoiceRandomCheckpoint.WriteFlow(dir, FlowConfig.Tiny, seed: 3);
        var upstream = StateDictFile.Load(TinyFlow.FlowPt);
        AssertTorchSees(path, upstream);
        foreach (var t in upstream.Values) t.Dispose();
    }

    [Fact]
    public void TorchLoadsTheHiftWithUpstreamKeys()
    {
        using var fixture = new ParityFixture(Path.Combine(TestPaths.ParityDir, "hift"));
        var (path, _) = CosyVoiceRandomCheckpoint.WriteHift(dir, HiftFixtureConfig.Read(fixture), seed: 3);
        AssertTorchSees(path, fixture.Weights);
    }
}
