using StepAudio.Config;
using StepAudio.Llm;
using StepAudio.Tests.Llm;
using StepAudio.Platform;
using StepAudio.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace StepAudio.Tests.Training;

/// <summary>
/// <c>device:</c> end to end at the tiny size: parsing, the clear error when CUDA is asked for where there is none,
/// models and batches on the configured device, and (on a machine with a GPU) the same training loss on CUDA as on
/// the CPU. Every test asserts on both kinds of machine; scripts/gpu-check.sh runs the CUDA side at real sizes.
/// </summary>
[Collection(Platform.GlobalTorchState.Name)]   // LoRA dropout seeds come from LibTorch's global generator
public class DeviceTests
{
    [Theory]
    [InlineData("cpu", DeviceType.CPU, -1)]
    [InlineData("cuda", DeviceType.CUDA, -1)]
    [InlineData("cuda:0", DeviceType.CUDA, 0)]
    [InlineData(" cuda:3 ", DeviceType.CUDA, 3)]
    public void Parse_KnownDevices(string text, DeviceType kind, int index) =>
        Assert.Equal((kind, index), TorchDevices.Parse(text));

    [Theory]
    [InlineData("gpu")]
    [InlineData("cuda:")]
    [InlineData("cuda:-1")]
    [InlineData("cuda:x")]
    [InlineData("CPU")]
    [InlineData("")]
    public void Parse_RejectsOthers(string text)
    {
        Assert.Null(TorchDevices.Parse(text));
        var e = Assert.Throws<InputException>(() => TorchDevices.Resolve(text));
        Assert.Contains("cpu, cuda or cuda:N", e.Message);
    }

    [Fact]
    public void Cuda_IsUsedWhenPresent_ElseAClearConfigError()
    {
        var config = TrainingFixture.Config(c => c.Device = "cuda:0");
        if (cuda.is_available())
        {
            Assert.Equal(DeviceType.CUDA, TorchDevices.Of(config).type);
            return;
        }
        var e = Assert.Throws<InputException>(() => TrainingFixture.Run(config));
        Assert.Contains(config.SourcePath!, e.Message);
        Assert.Contains("device", e.Message);
        Assert.Contains("CUDA is not available", e.Message);
        Assert.Contains(TorchDevices.BuildSwitch, e.Message);
        // Nothing was started: no run folder was made.
        Assert.False(Directory.Exists(config.Save.CkptDir) && Directory.EnumerateDirectories(config.Save.CkptDir, "run-*").Any());
    }

    [Fact]
    public void ModelsAndBatches_LiveOnTheConfiguredDevice()
    {
        var config = TrainingFixture.Config(c => c.Device = "cpu");
        using var models = TrainingModels.Build(config, llm: true, flow: true);
        Assert.Equal(DeviceType.CPU, models.Device.type);
        Assert.All(models.Llm!.parameters().Concat(models.Flow!.parameters()), p => Assert.Equal(DeviceType.CPU, p.device_type));
        // Every adapter draws its dropout masks from one generator on the model's device.
        var generators = Step1Lora.Adapters(models.Llm).Values.Select(a => a.DropoutGenerator).Distinct().ToList();
        var g = Assert.Single(generators);
        Assert.NotNull(g);
        Assert.Equal(DeviceType.CPU, g!.device.type);
    }

    [Fact]
    public void LoraDropoutMasks_FollowTheGlobalSeed()
    {
        using var scope = NewDisposeScope();
        using var model = TinyStep1.Create();
        Step1Lora.Inject(model, new LoraConfig { R = 2, Alpha = 4, Dropout = 0.5, TargetModules = ["q_proj", "v_proj"] });
        using (no_grad()) foreach (var p in Step1Lora.TrainableParameters(model)) p.normal_(0, 0.2);
        model.train();
        var ids = TinyStep1.Ids();
        Tensor Run(long seed)
        {
            manual_seed(seed);
            using var _ = no_grad();
            return model.forward(ids);
        }
        var a = Run(7);
        Assert.True(a.allclose(Run(7), 0, 0), "the same global seed must draw the same LoRA dropout masks");
        Assert.False(a.allclose(Run(8), 1e-5, 1e-5), "another seed must draw other masks");
    }

    [Fact]
    public void TrainingOnCuda_MatchesTheCpu_WhenAGpuIsPresent()
    {
        static StepAudioConfig Config(string device) =>
            TrainingFixture.Config(c => { c.Stage.Stage1Epochs = 1; c.Stage.Stage2Epochs = 1; c.Stage.Stage3Epochs = 0; c.Device = device; });
        var cpu = FirstLosses(Config("cpu"));
        Assert.True(cpu.Count == 2 && cpu.Values.All(l => double.IsFinite(l) && l > 0), "CPU losses: " + string.Join(", ", cpu));
        if (!cuda.is_available()) return;   // the CPU half above still ran; the CUDA half needs a GPU (scripts/gpu-check.sh)
        var gpu = FirstLosses(Config("cuda"));
        // The flow's draws are made on the CPU, so its first loss matches up to fp32 reduction order; the LLM's differs
        // by its dropout masks (the device's generator) only, so within a few percent.
        Assert.True(Math.Abs(cpu[TrainingStage.Flow] - gpu[TrainingStage.Flow]) <= 1e-3 * cpu[TrainingStage.Flow],
            $"flow: CPU {cpu[TrainingStage.Flow]} vs CUDA {gpu[TrainingStage.Flow]}");
        Assert.True(Math.Abs(cpu[TrainingStage.Llm] - gpu[TrainingStage.Llm]) <= 0.05 * cpu[TrainingStage.Llm],
            $"llm: CPU {cpu[TrainingStage.Llm]} vs CUDA {gpu[TrainingStage.Llm]}");
    }

    // The first step's loss of each stage.
    static Dictionary<TrainingStage, double> FirstLosses(StepAudioConfig config) =>
        TrainingFixture.Run(config).Events.OfType<StepCompleted>().GroupBy(e => e.Stage)
            .ToDictionary(g => g.Key, g => g.OrderBy(e => e.Step).First().Loss);
}
