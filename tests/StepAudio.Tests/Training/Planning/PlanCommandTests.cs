using StepAudio.Cli.Commands;
using StepAudio.Config;
using StepAudio.Tests.Training;

namespace StepAudio.Tests.Training.Planning;

/// <summary><c>plan</c>'s exit codes, and <c>finetune</c> refusing a run its plan says will not fit unless <c>--force</c>.</summary>
[Collection(StepAudio.Tests.Platform.GlobalTorchState.Name)]
public class PlanCommandTests
{
    static readonly string Tiny = Path.Combine(TestPaths.RepoRoot, "configs", "tiny.yaml");

    [Theory]
    [InlineData("--memory", "lots")]
    [InlineData("--memory", "-4GB")]
    [InlineData("--device", "cuda")]                 // cuda needs --memory
    [InlineData("--device", "tpu", "--memory", "1GB")]
    [InlineData("--llm-dtype", "int8")]
    public void WrongUsageIsTwo(params string[] args) => Assert.Equal(StepAudioCli.Usage, StepAudioCli.Run(["plan", "--config", Tiny, .. args]));

    [Fact]
    public void FitsIsZero_DoesNotFitIsOne()
    {
        Assert.Equal(StepAudioCli.Success, StepAudioCli.Run(["plan", "--config", Tiny, "--memory", "1TB"]));
        Assert.Equal(StepAudioCli.Success, StepAudioCli.Run(["plan", "--config", Tiny, "--device", "cuda", "--memory", "80GB", "--llm-dtype", "bf16", "--checkpointing"]));
        Assert.Equal(StepAudioCli.BadInput, StepAudioCli.Run(["plan", "--config", Tiny, "--memory", "1MB"]));
    }

    [Fact]
    public void Finetune_RefusesARunThatDoesNotFit_UnlessForced()
    {
        var config = TrainingFixture.Config(c => { c.TrainMode = TrainMode.Flow; c.Stage.Stage2Epochs = 1; });
        var dir = TestPaths.NewTempDir("stepaudio-plan-finetune");
        var yaml = Path.Combine(dir, "config.yaml");
        ConfigWriter.Save(config, yaml);
        var run = Path.Combine(dir, "run");
        Assert.Equal(StepAudioCli.BadInput, StepAudioCli.Run(["finetune", "--config", yaml, "--output", run, "--memory", "1MB", "--no-tensorboard"]));
        Assert.False(Directory.Exists(run));   // refused before any folder is made
        Assert.Equal(StepAudioCli.Usage, StepAudioCli.Run(["finetune", "--config", yaml, "--output", run, "--memory", "big"]));
        Assert.Equal(StepAudioCli.Success, StepAudioCli.Run(["finetune", "--config", yaml, "--output", run, "--memory", "1MB", "--force", "--no-tensorboard"]));
        var log = File.ReadAllText(Path.Combine(run, "train.log"));
        Assert.Contains("memory plan (flow preset tiny", log, StringComparison.Ordinal);
        Assert.Contains("does not fit", log, StringComparison.Ordinal);
    }
}
