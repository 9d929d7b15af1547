using StepAudio.Config;
using StepAudio.Flow;
using StepAudio.Llm;

namespace StepAudio.Tests.Config;

/// <summary>Preset names come from the model configs alone: every name the config accepts builds, no other does.</summary>
public class PresetTests
{
    [Fact]
    public void EveryAcceptedPresetNameBuildsAConfig()
    {
        foreach (var name in Step1Config.PresetNames)
        {
            ConfigLoader.Parse($"model:\n  llm:\n    preset: {name}\n", "train.yaml");
            Step1Config.Preset(name).Validate();
        }
        foreach (var name in FlowConfig.PresetNames)
        {
            ConfigLoader.Parse($"model:\n  flow:\n    preset: {name}\n", "train.yaml");
            Assert.NotNull(FlowConfig.Preset(name));
        }
    }

    [Theory]
    [InlineData("llm", "real")]
    [InlineData("flow", "real")]
    [InlineData("flow", "Tiny")]
    public void OtherNamesAreRefusedByConfigAndCode(string part, string name)
    {
        var e = Assert.Throws<InputException>(() => ConfigLoader.Parse($"model:\n  {part}:\n    preset: {name}\n", "train.yaml"));
        Assert.Contains($"model.{part}.preset: unknown preset '{name}'", e.Message);
        Assert.Throws<ArgumentException>(() => part == "llm" ? (object)Step1Config.Preset(name) : FlowConfig.Preset(name));
    }

    [Fact]
    public void TinyLlmPutsTheAudioTokensAfterItsTextPieces()
    {
        var tiny = Step1Config.Tiny;
        Assert.Equal(tiny.AudioTokenOffset + 5120, tiny.VocabSize);
    }
}
