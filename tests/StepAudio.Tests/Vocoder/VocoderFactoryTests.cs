using System.Collections;
using StepAudio.Config;
using StepAudio.Tests.Parity;
using StepAudio.Vocoder;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace StepAudio.Tests.Vocoder;

/// <summary><c>model.flow.vocoder</c> picks the implementation; callers only see <see cref="IVocoder"/>.</summary>
public sealed class VocoderFactoryTests
{
    [Fact]
    public void GriffinLimNeedsNoWeights()
    {
        using var scope = NewDisposeScope();
        using var vocoder = VocoderFactory.Create(new FlowModelConfig { Vocoder = "griffin_lim" }, griffinLimIterations: 2);
        Assert.IsType<GriffinLim>(vocoder);
        Assert.Equal("griffin_lim", vocoder.Name);
        var wav = vocoder.Synthesize(full(1, 80, 4, -5f));
        Assert.Equal(new long[] { 1, 4 * vocoder.SamplesPerFrame }, wav.shape);
    }

    [Fact]
    public void HiftLoadsHiftPtFromModelPath()
    {
        using var scope = NewDisposeScope();
        using var fixture = new ParityFixture(Path.Combine(TestPaths.ParityDir, "hift"));
        var dir = TestPaths.NewTempDir("vocoder-factory");
        try
        {
            var table = new Hashtable();
            foreach (var (k, t) in fixture.Weights) table[k] = t;
            PyTorchPickler.PickleStateDict(Path.Combine(dir, "hift.pt"), table);
            var flow = new FlowModelConfig { Vocoder = "hift", ModelPath = dir };
            using var vocoder = VocoderFactory.Create(flow, hift: HiftFixtureConfig.Read(fixture));
            Assert.IsType<HiftGenerator>(vocoder);
            Assert.Equal(24000, vocoder.SampleRate);
            var mel = fixture.In("speech_feat");
            Assert.Equal(new[] { mel.shape[0], mel.shape[2] * 480 }, vocoder.Synthesize(mel).shape);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void HiftWithoutModelPathIsAClearError()
    {
        var e = Assert.Throws<InputException>(() => VocoderFactory.Create(new FlowModelConfig { Vocoder = "hift" }, "cfg.yaml"));
        Assert.Equal("model.flow.vocoder", e.Field);
        Assert.Contains("model_path is empty", e.Message);
    }

    [Fact]
    public void UnknownNameNamesTheKeyAndTheChoices()
    {
        var config = new StepAudioConfig { SourcePath = "train.yaml", KeyLines = new Dictionary<string, int> { ["model.flow.vocoder"] = 12 } };
        config.Model.Flow.Vocoder = "wavenet";
        var e = Assert.Throws<InputException>(() => VocoderFactory.Create(config));
        Assert.StartsWith("train.yaml:12: model.flow.vocoder: unknown vocoder 'wavenet'", e.Message);
        Assert.Contains("hift, griffin_lim", e.Message);
    }

    [Fact]
    public void TheConfigAcceptsEveryFactoryNameAndNothingElse()
    {
        foreach (var name in VocoderFactory.Names)
            ConfigLoader.Parse($"model:\n  flow:\n    vocoder: {name}\n", "train.yaml");
        var e = Assert.Throws<InputException>(() => ConfigLoader.Parse("model:\n  flow:\n    vocoder: wavenet\n", "train.yaml"));
        Assert.Contains("model.flow.vocoder: unknown vocoder 'wavenet'", e.Message);
    }
}
