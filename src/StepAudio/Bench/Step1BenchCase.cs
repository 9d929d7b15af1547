using static TorchSharp.torch;
using StepAudio.Llm;

namespace StepAudio.Bench;

/// <summary>One LoRA training benchmark: a model size, a batch shape and a step count.</summary>
public sealed record Step1BenchCase(string Name, Step1Config Config, int Batch, int SeqLen, int Steps, LoraConfig Lora)
{
    /// <summary>The frozen base weights' dtype (bf16 is how the real 3.5B model trains on a CPU); LoRA stays float32.</summary>
    public ScalarType BaseDtype { get; init; } = ScalarType.Float32;

    /// <summary>A case by name: <c>tiny</c>, <c>small</c>, or either with <c>-bf16</c> (bf16 base, float32 LoRA).</summary>
    public static Step1BenchCase Named(string name, int steps)
    {
        bool bf16 = name.EndsWith("-bf16", StringComparison.Ordinal);
        var c = name.Replace("-bf16", "", StringComparison.Ordinal) switch
        {
            "tiny" => Tiny(steps),
            "small" => Small(steps),
            _ => throw new InputException("--cases", null, null, $"unknown case '{name}'", "use tiny, small, tiny-bf16 or small-bf16"),
        };
        return bf16 ? c with { Name = name, BaseDtype = ScalarType.BFloat16 } : c;
    }

    /// <summary>The tiny config (4 layers, hidden 256, 8 heads in 2 groups; batch 4 × 256).</summary>
    public static Step1BenchCase Tiny(int steps = 5) => new("tiny", new Step1Config
    {
        HiddenSize = 256, NumHiddenLayers = 4, NumAttentionHeads = 8, NumAttentionGroups = 2, IntermediateSize = 688,
        VocabSize = 4096, MaxSeqLen = 1024,
    }, 4, 256, steps, new LoraConfig());

    /// <summary>The "small" config (8 layers, hidden 512, 8 heads in 2 groups; batch 4 × 512).</summary>
    public static Step1BenchCase Small(int steps = 3) => new("small", new Step1Config
    {
        HiddenSize = 512, NumHiddenLayers = 8, NumAttentionHeads = 8, NumAttentionGroups = 2, IntermediateSize = 1376,
        VocabSize = 8192, MaxSeqLen = 1024,
    }, 4, 512, steps, new LoraConfig());
}
