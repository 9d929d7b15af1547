using StepAudio.Bench;
using StepAudio.Config;
using StepAudio.Tests.Training;
using StepAudio.Training;

namespace StepAudio.Tests.Bench;

[Collection(StepAudio.Tests.Platform.GlobalTorchState.Name)]   // the trainer seeds LibTorch's global generator and sets its thread count
public class TrainingBenchTests
{
    [Fact]
    public void Flow_bench_counts_its_steps_and_reports_sane_figures()
    {
        var config = TrainingFixture.Config();
        var runs = TestPaths.NewTempDir("bench-train");
        try
        {
            var report = TrainingBench.Run(config, new TrainingBenchOptions
            {
                Mode = TrainMode.Flow, Steps = 12, Threads = 1, SampleEvery = 2, TensorBoard = false, RunsDir = runs,
            });
            var s = Assert.Single(report.Stages);
            Assert.Equal(TrainingStage.Flow, s.Stage);
            var flops = Assert.Single(report.FlopsPerEpoch);
            Assert.Equal(TrainingStage.Flow, flops.Stage);
            Assert.True(flops.FlowFlops > 0 && flops.LlmFlops == 0);
            int perEpoch = s.StepsPerEpoch;
            Assert.True(perEpoch >= 1);
            Assert.Equal(Math.Max(2, (12 + perEpoch - 1) / perEpoch), s.Epochs);
            Assert.Equal(0, s.SkippedSteps);
            Assert.Equal(s.Epochs * perEpoch, s.Steps);   // the epochs were sized with the trainer's own steps per epoch
            Assert.True(s.Steps >= 12);
            Assert.Equal(s.Steps, TrainingFixture.Losses(report.RunDirectory).Count(l => !double.IsNaN(l.Loss)));
            Assert.Equal((s.Epochs - 1) * perEpoch, s.WindowSteps);
            Assert.InRange(s.OverheadShare, 0, 1);
            Assert.True(s.WindowSeconds > 0 && s.WindowStepSeconds > 0 && s.WindowStepSeconds <= s.WindowSeconds);
            Assert.True(s.StepsPerSecond > 0 && s.ComputeStepsPerSecond >= s.StepsPerSecond);
            Assert.True(s.ValidationSeconds > 0);   // validation after every epoch (val_interval 1), and after the last
            Assert.True(s.StateSeconds > 0);        // last/ at every epoch end
            Assert.Equal(s.Epochs - 1, s.Validations);
            Assert.True(s.StateSaves >= s.Epochs - 1);
            foreach (var part in new[] { s.ValidationSeconds, s.CheckpointSeconds, s.StateSeconds, s.SubscriberSeconds })
                Assert.InRange(part, 0, s.OverheadSeconds);
            Assert.InRange(s.OtherSeconds, -0.05, s.OverheadSeconds);   // the parts are measured separately: rounding only
            Assert.Equal(s.Steps / 2, report.Samples.Count);
            Assert.All(report.Samples, x => Assert.True(x.Step % 2 == 0 && x.ThreadLiveTensors > 0 && x.TotalTensors > 0 && x.RssBytes > 0));
            Assert.True(report.LiveTensorSpread[TrainingStage.Flow].HasValue);
            Assert.True(report.LiveTensorsFlat, "live tensors: " + string.Join(" ", report.Samples.Select(x => x.ThreadLiveTensors)));   // last/ saves once leaked per epoch
            Assert.True(Directory.Exists(report.RunDirectory));
        }
        finally { Directory.Delete(runs, true); }
    }
}
