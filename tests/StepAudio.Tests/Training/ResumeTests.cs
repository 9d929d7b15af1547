using StepAudio.Training;

namespace StepAudio.Tests.Training;

[Collection(StepAudio.Tests.Platform.GlobalTorchState.Name)]   // the trainer seeds LibTorch's global generator and sets its thread count
public class ResumeTests
{
    [Theory]
    [InlineData(3L)]    // mid-epoch in stage 1
    [InlineData(4L)]    // at the end of stage 1's first epoch
    [InlineData(10L)]   // mid-epoch in stage 2, with stage 1's LoRA and EMA in the state
    public void Resume_ContinuesWithTheLossesOfAnUninterruptedRun(long stopAt)
    {
        var config = TrainingFixture.Config(c =>
        {
            c.Stage.Stage1Epochs = 2; c.Stage.Stage2Epochs = 2; c.Stage.Stage3Epochs = 1;
            c.Data.BatchSize = 2; c.Save.StateInterval = 3; c.Optim.EmaDecay = 0.9; c.Optim.Scheduler = "cosine";
        });
        var full = TrainingFixture.Run(config).Summary;
        var expected = TrainingFixture.Losses(full.RunDirectory);

        var output = Path.Combine(config.Save.CkptDir, "interrupted");
        var first = TrainingFixture.Run(config, new TrainerOptions { Folder = new RunFolderOptions { Output = output } },
            cancelWhen: e => e is StepCompleted s && s.Step == stopAt).Summary;
        Assert.True(first.Cancelled);
        Assert.Equal(stopAt, first.Steps);
        var resumed = TrainingFixture.Run(config, new TrainerOptions { Folder = new RunFolderOptions { Output = output, Resume = true } });
        Assert.False(resumed.Summary.Cancelled);
        Assert.Equal(expected, TrainingFixture.Losses(output));
        Assert.Equal(full.BestLlmLoss, resumed.Summary.BestLlmLoss);
        Assert.Equal(full.BestFlowLoss, resumed.Summary.BestFlowLoss);
        TrainingFixture.AssertSameWeights(Path.Combine(full.RunDirectory, "flow_best.pt"), Path.Combine(output, "flow_best.pt"));
    }

    [Fact]
    public void Resume_AfterAKillBetweenTheLastStateAndTheSummary_WritesTheSummary()
    {
        var config = TrainingFixture.Config(c => { c.Stage.Stage1Epochs = 0; c.Stage.Stage3Epochs = 0; });
        var full = TrainingFixture.Run(config).Summary;
        var summaryFile = Path.Combine(full.RunDirectory, "summary.json");
        File.Delete(summaryFile);   // what a kill -9 after the final last/ save, before summary.json, leaves
        var resumed = TrainingFixture.Run(config,
            new TrainerOptions { Folder = new RunFolderOptions { Output = full.RunDirectory, Resume = true } }).Summary;
        Assert.True(File.Exists(summaryFile), "the resumed run wrote no summary.json");
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(summaryFile))!;
        Assert.Equal(full.Steps, json["steps"]!.GetValue<long>());
        Assert.Equal(full.BestFlowLoss, json["best_flow_loss"]!.GetValue<double>());
        Assert.True(json["stages"]![0]!["completed"]!.GetValue<bool>());
        Assert.Equal(full.Steps, resumed.Steps);
    }

    [Fact]
    public void Resume_RefusesAChangedConfig_NamingTheChange_UnlessAllowed()
    {
        var config = TrainingFixture.Config(c => { c.Stage.Stage1Epochs = 0; c.Stage.Stage3Epochs = 0; });
        var output = Path.Combine(config.Save.CkptDir, "r");
        TrainingFixture.Run(config, new TrainerOptions { Folder = new RunFolderOptions { Output = output } },
            cancelWhen: e => e is StepCompleted { Step: 1 });
        config.Optim.LrFlow = 5e-4;
        var e = Assert.Throws<InputException>(() =>
            TrainingFixture.Run(config, new TrainerOptions { Folder = new RunFolderOptions { Output = output, Resume = true } }));
        Assert.Contains("lr_flow", e.Message);
        Assert.Contains("--allow-changes", e.Message);
        var ok = TrainingFixture.Run(config, new TrainerOptions { Folder = new RunFolderOptions { Output = output, Resume = true, AllowChanges = true } });
        Assert.Contains(ok.Events.OfType<TrainingMessage>(), m => m.Text.Contains("lr_flow"));
    }
}
