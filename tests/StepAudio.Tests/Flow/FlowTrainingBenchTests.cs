using StepAudio.Bench;
using System.Text.Json;
using StepAudio.Flow;

namespace StepAudio.Tests.Flow;

public class FlowTrainingBenchTests
{
    [Fact]
    public void ConfigJsonRoundTripsThroughTheUpstreamNames()
    {
        foreach (var size in FlowTrainingBench.Sizes)
        {
            var config = FlowTrainingBench.SizeConfig(size);
            using var doc = JsonDocument.Parse(FlowTrainingBench.ToJson(config, size));
            Assert.Equal(config, FlowConfig.FromJson(doc.RootElement));
        }
        Assert.Equal(8, FlowTrainingBench.SizeConfig("small").Estimator.Depth);
        Assert.Equal(400, 2 * FlowTrainingBench.TokenLengths("small")[0]);
    }

    [Fact]
    public void RealSizeIsTheReleasedFlowOnTenSecondsOfUnequalClips()
    {
        Assert.Equal(FlowConfig.StepAudioEditX, FlowTrainingBench.SizeConfig("real"));
        var lens = FlowTrainingBench.TokenLengths("real");
        Assert.Equal(4, lens.Length);
        // 10 s of 24 kHz mel at hop 480 = 500 frames = 250 dual-token frames; the first length is the padded one.
        Assert.Equal(10 * 24000 / 480, 2 * lens[0]);
        Assert.Equal(lens.Max(), lens[0]);
        Assert.True(lens.Distinct().Count() == lens.Length, "lengths should differ so padding is masked");
        Assert.Throws<ArgumentException>(() => FlowTrainingBench.SizeConfig("huge"));
    }

    [Fact]
    public void PreparedTinyBenchRunsAndReportsTheStepZeroLoss()
    {
        var dir = TestPaths.NewTempDir();
        try
        {
            FlowTrainingBench.Prepare(dir, "tiny", seed: 3);
            Assert.True(File.Exists(Path.Combine(dir, "weights.safetensors")));
            var a = FlowTrainingBench.Run(dir, steps: 1, warmup: 1, threads: 1);
            var b = FlowTrainingBench.Run(dir, steps: 1, warmup: 1, threads: 1);
            Assert.Equal("tiny", a.Size);
            Assert.True(double.IsFinite(a.Step0Loss) && a.Step0Loss > 0);
            Assert.Equal(a.Step0Loss, b.Step0Loss);
            Assert.True(a.MsPerStep > 0);
            // VmHWM of this (test) process: at least the RSS now.
            Assert.True(a.PeakRssBytes >= StepAudio.Training.Planning.SystemMemory.Process("VmRSS") * 0.5, $"{a.PeakRssBytes}");
        }
        finally { Directory.Delete(dir, true); }
    }
}
