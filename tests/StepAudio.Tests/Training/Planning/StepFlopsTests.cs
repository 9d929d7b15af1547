using StepAudio.Bench;
using StepAudio.Flow;
using StepAudio.Llm;
using StepAudio.Tests.Llm;
using StepAudio.Training.Planning;
using static TorchSharp.torch;

namespace StepAudio.Tests.Training.Planning;

/// <summary>The analytic FLOP counts: the matrices they price are the built models', and the formulas scale as they must.</summary>
public class StepFlopsTests
{
    static readonly LoraConfig Qkv = new() { R = 4 };

    public static TheoryData<string> Step1Configs => new() { "tiny-test", "tiny", "small" };

    static Step1Config Named(string name) => name switch
    {
        "tiny-test" => TinyStep1.Config,
        "tiny" => Step1Config.Tiny,
        _ => Step1BenchCase.Small().Config,
    };

    [Theory]
    [MemberData(nameof(Step1Configs))]
    public void Step1Gemms_AreTheModelsMatrices(string name)
    {
        var c = Named(name);
        using var model = new Step1ForCausalLM(c, device(TorchSharp.DeviceType.META));
        long matrices = model.named_parameters().Where(p => p.parameter.dim() == 2 && !p.name.Contains("embed_tokens"))
            .Sum(p => p.parameter.numel());
        Assert.Equal(matrices, StepFlops.Step1Gemms(c).Sum(g => g.TotalWeights));
    }

    [Fact]
    public void FlowGemms_AreTheModelsMatrices()
    {
        // Two shapes, so that no width is counted where another equal one belongs.
        var wide = FlowConfig.Tiny with
        {
            Encoder = FlowConfig.Tiny.Encoder with { LinearUnits = 96, PreLookaheadLen = 2 },
            Estimator = FlowConfig.Tiny.Estimator with { NumHeads = 3, HeadDim = 16, Depth = 3 },
        };
        foreach (var c in new[] { FlowConfig.Tiny, wide })
        {
            using var model = new CausalMaskedDiffWithXvec(c);
            long matrices = model.named_parameters()
                .Where(p => p.parameter.dim() >= 2 && !p.name.Contains("embedding.") && !p.name.Contains("pos_bias"))
                .Sum(p => p.parameter.numel());
            Assert.Equal(matrices, StepFlops.FlowGemms(c).Sum(g => g.Gemm.TotalWeights));
        }
    }

    [Fact]
    public void Step1Lora_IsTheHandCount()
    {
        // TinyStep1: hidden 24, 2 layers, 6 heads (d 4) in 2 groups (k/v 8 wide), SwiGLU 40, vocab 96; 2 × 5 tokens.
        var f = StepFlops.Step1Lora(TinyStep1.Config, Qkv, batch: 2, seqLen: 5);
        double n = 10, perLayer = 24 * 24 + 2 * 24 * 8 + 24 * 24 + 3 * 24 * 40, qkv = 24 * 24 + 2 * 24 * 8;
        Assert.Equal(2 * n * (2 * perLayer + 24 * 96), f.Matmul.Forward);
        Assert.Equal(f.Matmul.Forward - 2 * n * qkv, f.Matmul.Backward);
        Assert.Equal(2 * 2 * 6 * (2 + 2) * (5 * 5 * 4), f.Attention.Forward);   // layers · batch · heads · (QKᵀ + AV: 2·S²·d each)
        Assert.Equal(2 * f.Attention.Forward, f.Attention.Backward);
        double down = 2 * n * 4 * 24, upQ = 2 * n * 4 * 24, upKv = 2 * n * 4 * 8;
        Assert.Equal(2 * (3 * down + upQ + 2 * upKv), f.Lora.Forward);
        // dA, dB and d(A's output) in both layers; dx only in layer 1.
        Assert.Equal(2 * (3 * down + 2 * upQ + 2 * 2 * upKv) + 3 * down, f.Lora.Backward);
        Assert.Equal(0, f.Recompute);
        Assert.Equal(f.ModelFlops, f.HardwareFlops);
    }

    [Fact]
    public void Step1Lora_Scales()
    {
        var c = Step1BenchCase.Small().Config;
        var one = StepFlops.Step1Lora(c, Qkv, 1, 256);
        var twoItems = StepFlops.Step1Lora(c, Qkv, 2, 256);
        var longer = StepFlops.Step1Lora(c, Qkv, 1, 512);
        Assert.Equal(2 * one.Matmul.Total, twoItems.Matmul.Total, 6);
        Assert.Equal(2 * one.Lora.Total, twoItems.Lora.Total, 6);
        Assert.Equal(2 * one.Attention.Total, twoItems.Attention.Total, 6);
        Assert.Equal(2 * one.Matmul.Total, longer.Matmul.Total, 6);           // products: linear in tokens
        Assert.Equal(4 * one.Attention.Total, longer.Attention.Total, 6);     // attention: quadratic in the sequence
    }

    [Fact]
    public void Checkpointing_AddsTheLayersForwardToHardwareFlopsOnly()
    {
        var c = Step1BenchCase.Small().Config;
        var plain = StepFlops.Step1Lora(c, Qkv, 4, 512);
        var ckpt = StepFlops.Step1Lora(c, Qkv, 4, 512, checkpointing: true);
        Assert.Equal(plain.ModelFlops, ckpt.ModelFlops);
        double head = 2.0 * 4 * 512 * c.HiddenSize * c.VocabSize;
        Assert.Equal(plain.Matmul.Forward - head + plain.Attention.Forward + plain.Lora.Forward, ckpt.Recompute, 6);
        Assert.Equal(ckpt.ModelFlops + ckpt.Recompute, ckpt.HardwareFlops);
    }

    [Fact]
    public void TrainedBase_AddsWeightGradients()
    {
        var c = Step1BenchCase.Small().Config;
        var frozen = StepFlops.Step1Lora(c, Qkv, 1, 128);
        var full = StepFlops.Step1Lora(c, null, 1, 128, frozenBase: false);
        Assert.Equal(frozen.Matmul.Forward, full.Matmul.Forward);
        Assert.Equal(frozen.Matmul.Backward + frozen.Matmul.Forward, full.Matmul.Backward, 6);
        Assert.Equal(0, full.Lora.Total);
    }

    [Fact]
    public void FlowStep_ScalesAndTrainsOnlyTheDit()
    {
        var c = FlowConfig.StepAudioEditX;
        var one = StepFlops.FlowStep(c, 1, 200);
        var two = StepFlops.FlowStep(c, 2, 200);
        var longer = StepFlops.FlowStep(c, 1, 400);
        Assert.True(two.Matmul.Total < 2 * one.Matmul.Total && two.Matmul.Total > 1.95 * one.Matmul.Total);   // rel-pos table is per step
        Assert.True(longer.Attention.Total > 3.9 * one.Attention.Total && longer.Attention.Total < 4.01 * one.Attention.Total);
        // Backward is the DiT's only: less than twice the forward (the encoder has none), more than the DiT's alone.
        Assert.InRange(one.Matmul.Backward, 1.0 * one.Matmul.Forward, 2 * one.Matmul.Forward);
        Assert.Equal(2 * StepFlops.AttentionForward(16, 1, 8, 64, 200, 200), one.Attention.Backward);
        Assert.Equal(0, one.Lora.Total);
    }
}
