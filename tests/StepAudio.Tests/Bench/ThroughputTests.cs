using StepAudio.Bench;
using StepAudio.Training.Planning;
using static TorchSharp.torch;

namespace StepAudio.Tests.Bench;

/// <summary>A bench's share of the peak: hardware FLOPs over time against the peak of the base's dtype.</summary>
public class ThroughputTests
{
    [Fact]
    public void Shares_AreFlopsOverTimeAgainstThePeak()
    {
        var flops = new StepFlopCount(new FlopPart(100e9, 100e9), new FlopPart(10e9, 20e9), new FlopPart(0, 0), Recompute: 70e9);
        var t = Throughput.Of(flops, seconds: 2, cpuSeconds: 4, new PeakSample(Gflops: 200, GflopsPerCpuSecond: 100));
        Assert.Equal(230e9, t.ModelFlops);
        Assert.Equal(300e9, t.HardwareFlops);
        Assert.Equal(150, t.Gflops, 9);
        Assert.Equal(0.75, t.ShareOfPeak, 9);
        Assert.Equal(0.575, t.ModelShareOfPeak, 9);
        Assert.Equal(0.75, t.CpuShareOfPeak, 9);   // 300 GFLOP / 4 CPU-s = 75 per CPU-second, of 100
    }

    [Fact]
    public void Peak_IsTakenForTheBaseDtype()
    {
        var peak = new PeakGflops(new PeakSample(50, 25), new PeakSample(300, 150));
        Assert.Equal(300, peak.For(ScalarType.BFloat16).Gflops);
        Assert.Equal(50, peak.For(ScalarType.Float32).Gflops);
        Assert.Equal(new PeakSample(300, 160), PeakSample.Max(new PeakSample(300, 150), new PeakSample(280, 160)));
    }
}
