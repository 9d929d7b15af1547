using StepAudio.Tests.Parity;
using StepAudio.Tests.Vocoder;
using StepAudio.Vocoder;
using static TorchSharp.torch;

namespace StepAudio.Tests.Integration;

/// <summary>A hift.pt written by Python torch itself (both weight-norm layouts) loads and reproduces the fixture's wav.</summary>
[Trait("Tier", "Integration")]
public class HiftTorchCheckpointTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TorchSavedHiftPtLoads(bool legacyLayout)
    {
        using var scope = NewDisposeScope();
        using var fixture = new ParityFixture(Path.Combine(TestPaths.ParityDir, "hift"));
        var dir = TestPaths.NewTempDir("hift-torch");
        try
        {
            var path = Path.Combine(dir, "hift.pt");
            var args = legacyLayout ? new[] { fixture.WeightsPath, path, "--legacy" } : new[] { fixture.WeightsPath, path };
            Assert.Contains($"saved {fixture.Weights.Count} tensors", IntegrationTier.RunPython("save_torch_state_dict.py", args));
            using var hift = HiftGenerator.Load(path, HiftFixtureConfig.Read(fixture));
            using var output = hift.Inference(fixture.In("speech_feat"),
                new HiftDraws(fixture.In("rand_ini"), fixture.In("sine_noise_randn")));
            Assert.True((output.Wav - fixture.In("wav")).abs().max().item<float>() < 1e-3);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
