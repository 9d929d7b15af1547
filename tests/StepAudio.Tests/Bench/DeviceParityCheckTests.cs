using StepAudio.Bench;
using StepAudio.Cli.Commands;
using static TorchSharp.torch;

namespace StepAudio.Tests.Bench;

/// <summary>
/// The harness scripts/gpu-check.sh runs on a GPU, run here on the CPU against itself: every check must find all
/// gradients, identical results, and a device that is not there must be a clear error, not a crash.
/// </summary>
[Collection(StepAudio.Tests.Platform.GlobalTorchState.Name)]
public class DeviceParityCheckTests
{
    [Fact]
    public void OnTheCpu_EveryCheckPasses_WithAllGradients()
    {
        var results = DeviceParityCheck.Run(CPU, "tiny");
        Assert.Equal(3, results.Count);
        Assert.All(results, r =>
        {
            Assert.True(r.Passed, r.ToString());
            Assert.True(r.Gradients > 0, r.ToString());
            Assert.True(double.IsFinite(r.ReferenceLoss) && r.ReferenceLoss > 0, r.ToString());
        });
        // Plain and checkpointed steps are the same maths: identical on one device, dropout or not.
        Assert.All(results, r => Assert.Equal(0, r.WorstGradRelativeDiff));
    }

    [Fact]
    public void Cli_CheckDevice_OnCpu_IsSuccess_AndAMissingGpuIsBadInput()
    {
        Assert.Equal(StepAudioCli.Success, StepAudioCli.Run(["check-device", "--device", "cpu", "--size", "tiny"]));
        Assert.Equal(StepAudioCli.Usage, StepAudioCli.Run(["check-device", "--size", "huge"]));
        if (!cuda.is_available())
            Assert.Equal(StepAudioCli.BadInput, StepAudioCli.Run(["check-device", "--device", "cuda", "--size", "tiny"]));
    }
}
