using StepAudio.Llm;
using static TorchSharp.torch;

namespace StepAudio.Tests.Llm;

/// <summary>A tiny random Step1 (6 heads in 2 groups, so the non-power-of-two ALiBi rule is used) for fast tests.</summary>
internal static class TinyStep1
{
    public static Step1Config Config { get; } = new()
    {
        HiddenSize = 24, NumHiddenLayers = 2, NumAttentionHeads = 6, NumAttentionGroups = 2, IntermediateSize = 40,
        VocabSize = 96, MaxSeqLen = 64, AudioTokenOffset = 32,
    };

    /// <summary>
    /// Weights drawn from a private generator (tests run in parallel and share torch's global RNG, so
    /// <c>manual_seed</c> would not make two models equal).
    /// </summary>
    public static Step1ForCausalLM Create(long seed = 1)
    {
        var model = new Step1ForCausalLM(Config);
        using var g = new Generator((ulong)seed);
        using var _ = no_grad();
        foreach (var (name, p) in model.named_parameters())
        {
            using var r = rand(p.shape, generator: g);
            // Non-trivial norm gains so that a loader that skips them is caught.
            if (p.dim() == 1) p.copy_(r + 0.5);
            else p.copy_((r * 2 - 1) / Math.Sqrt(p.shape[1]));
        }
        return model;
    }

    public static Tensor Ids(long seed = 2, long batch = 2, long length = 9)
    {
        using var g = new Generator((ulong)seed);
        return randint(4, Config.VocabSize, new[] { batch, length }, generator: g);
    }

    /// <summary>Writes the model's weights as upstream does: HF keys, optionally sharded with an index.</summary>
    public static void WriteHfFolder(Step1ForCausalLM model, string folder, ScalarType dtype, int shards)
    {
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "config.json"), model.Config.ToJson());
        var all = model.state_dict().OrderBy(kv => kv.Key, StringComparer.Ordinal).ToList();
        if (shards == 1)
        {
            StepAudio.Checkpoints.SafetensorsFile.Save(Path.Combine(folder, "model.safetensors"),
                all.Select(kv => KeyValuePair.Create(kv.Key, kv.Value.to_type(dtype))));
            return;
        }
        var map = new System.Text.Json.Nodes.JsonObject();
        for (int s = 0; s < shards; s++)
        {
            var name = $"model-{s + 1:D5}-of-{shards:D5}.safetensors";
            var part = all.Where((_, i) => i % shards == s).ToList();
            StepAudio.Checkpoints.SafetensorsFile.Save(Path.Combine(folder, name),
                part.Select(kv => KeyValuePair.Create(kv.Key, kv.Value.to_type(dtype))));
            foreach (var kv in part) map[kv.Key] = name;
        }
        var index = new System.Text.Json.Nodes.JsonObject { ["metadata"] = new System.Text.Json.Nodes.JsonObject(), ["weight_map"] = map };
        File.WriteAllText(Path.Combine(folder, "model.safetensors.index.json"), index.ToJsonString());
    }
}
