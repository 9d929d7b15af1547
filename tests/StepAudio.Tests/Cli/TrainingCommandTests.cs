using StepAudio.Cli.Commands;
using StepAudio.Config;
using StepAudio.Tests.Training;

namespace StepAudio.Tests.Cli;

/// <summary>finetune, clone and edit on the command line: exit codes, and a run whose checkpoints clone reads.</summary>
[Collection(StepAudio.Tests.Platform.GlobalTorchState.Name)]
public class TrainingCommandTests
{
    [Theory]
    [InlineData("finetune", "--mode", "everything")]
    [InlineData("finetune", "--resume", "--init-from", "x.pt")]
    [InlineData("clone", "--prompt-wav", "a.wav")]                                            // missing --prompt-text …
    [InlineData("edit", "--input-wav", "a.wav", "--audio-text", "t", "--edit-type", "louder", "--out", "o.wav")]
    public void WrongUsageIsTwo(params string[] args) => Assert.Equal(StepAudioCli.Usage, StepAudioCli.Run(args));

    [Fact]
    public void EditWithoutTheOptionItNeeds_IsUsage()
    {
        var wav = Path.Combine(TestPaths.DataSamples, "audio", "en_us_male", "01.wav");
        Assert.Equal(StepAudioCli.Usage, StepAudioCli.Run(["edit", "--input-wav", wav, "--audio-text", "t", "--edit-type", "emotion", "--out", "/tmp/x.wav"]));
    }

    [Fact]
    public void FinetuneThenClone_FromTheCommandLine()
    {
        var config = TrainingFixture.Config(c => { c.Stage.Stage1Epochs = 1; c.Stage.Stage2Epochs = 1; c.Stage.Stage3Epochs = 0; });
        var dir = TestPaths.NewTempDir("stepaudio-cli-run");
        var yaml = Path.Combine(dir, "config.yaml");
        ConfigWriter.Save(config, yaml);
        var run = Path.Combine(dir, "run");
        Assert.Equal(StepAudioCli.Success, StepAudioCli.Run(["finetune", "--config", yaml, "--output", run, "--no-tensorboard"]));
        Assert.True(File.Exists(Path.Combine(run, "flow_best.pt")));
        // The same folder again: a run is there.
        Assert.Equal(StepAudioCli.BadInput, StepAudioCli.Run(["finetune", "--config", yaml, "--output", run]));
        var wav = Path.Combine(dir, "clone.wav");
        var prompt = Path.Combine(TestPaths.DataSamples, "audio", "en_us_male", "01.wav");
        Assert.Equal(StepAudioCli.Success, StepAudioCli.Run(["clone", "--config", yaml, "--run", run, "--prompt-wav", prompt,
            "--prompt-text", "The morning train was late again.", "--target-text", "Hello.", "--out", wav, "--seed", "3", "--max-seconds", "2"]));
        Assert.Equal(24000, StepAudio.Audio.WavFile.Read(wav).SampleRate);
        Assert.Equal(StepAudioCli.BadInput, StepAudioCli.Run(["clone", "--config", yaml, "--run", Path.Combine(dir, "nothing"),
            "--prompt-wav", prompt, "--prompt-text", "p", "--target-text", "t", "--out", wav]));
    }
}
