using StepAudio.Config;
using StepAudio.Flow;
using StepAudio.Llm;
using StepAudio.Tests.Llm;
using StepAudio.Training.Planning;
using static TorchSharp.torch;

namespace StepAudio.Tests.Training.Planning;

/// <summary>Model sizes from architectures and checkpoint headers, against hand counts and the models themselves.</summary>
public class ModelSizesTests
{
    [Fact]
    public void Step1Counts_AreTheHandCounts()
    {
        // TinyStep1: hidden 24, 2 layers, 6 heads in 2 groups (head 4, so k/v are 8 wide), SwiGLU 40, vocab 96.
        var sizes = ModelSizes.FromConfig(TinyStep1.Config, "test");
        long perLayer = 24 * 24 + 24 * 8 + 24 * 8 + 24 * 24 + 3 * 24 * 40 + 2 * 24;
        Assert.Equal(96 * 24 + 2 * perLayer + 24 + 24 * 96, sizes.BaseParameters);
        // LoRA r 4 on q (24→24), k and v (24→8): r·(in+out) each, per layer.
        Assert.Equal(2 * 4 * ((24 + 24) + 2 * (24 + 8)), sizes.LoraParameters(4, ["q_proj", "k_proj", "v_proj"]));
        Assert.Equal(4 * (24 + 96), sizes.LoraParameters(4, ["lm_head"]));
    }

    [Fact]
    public void Step1Counts_MatchTheBuiltModelWithLora()
    {
        using var model = new Step1ForCausalLM(TinyStep1.Config);
        long before = model.parameters().Sum(p => p.numel());
        var lora = new LoraConfig { R = 4, TargetModules = ["q_proj", "v_proj", "gate_proj", "lm_head"] };
        Step1Lora.Inject(model, lora);
        var sizes = ModelSizes.FromConfig(TinyStep1.Config, "test");
        Assert.Equal(before, sizes.BaseParameters);
        Assert.Equal(model.parameters().Where(p => p.requires_grad).Sum(p => p.numel()), sizes.LoraParameters(4, lora.TargetModules));
    }

    [Fact]
    public void HfFolder_IsReadFromItsHeaders()
    {
        var dir = TestPaths.NewTempDir("stepaudio-plan-hf");
        using (var model = TinyStep1.Create()) TinyStep1.WriteHfFolder(model, dir, ScalarType.BFloat16, shards: 2);
        var config = new StepAudioConfig { Model = new ModelConfig { Llm = new LlmModelConfig { ModelPath = dir } } };
        var fromFiles = ModelSizes.Llm(config);
        var fromShapes = ModelSizes.FromConfig(TinyStep1.Config, "test");
        Assert.Equal(fromShapes.BaseParameters, fromFiles.BaseParameters);
        Assert.Equal(TinyStep1.Config.HiddenSize, fromFiles.Config.HiddenSize);
        string[] targets = ["q_proj", "k_proj", "v_proj", "o_proj", "up_proj", "down_proj", "lm_head"];
        Assert.Equal(fromShapes.LoraParameters(8, targets), fromFiles.LoraParameters(8, targets));
    }

    [Fact]
    public void FlowPreset_TrainableIsWhatFreezeEncoderLeaves()
    {
        var config = new StepAudioConfig { Model = new ModelConfig { Flow = new FlowModelConfig { Preset = "tiny", TrainSpeakerProjection = false } } };
        var sizes = ModelSizes.Flow(config);
        using var model = new CausalMaskedDiffWithXvec(FlowConfig.Tiny);
        var trainable = model.FreezeEncoder(trainSpeakerProjection: false);
        Assert.Equal(model.parameters().Sum(p => p.numel()), sizes.TotalParameters);
        Assert.Equal(trainable.Sum(p => p.numel()), sizes.TrainableParameters);
        Assert.True(sizes.TrainableParameters < sizes.TotalParameters);
        config.Model.Flow.FreezeEncoder = false;
        Assert.Equal(sizes.TotalParameters, ModelSizes.Flow(config).TrainableParameters);
    }
}
