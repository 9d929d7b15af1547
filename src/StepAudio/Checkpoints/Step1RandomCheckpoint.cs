using System.Text.Json.Nodes;
using StepAudio.Llm;
using TorchSharp;
using static TorchSharp.torch;

namespace StepAudio.Checkpoints;

/// <summary>
/// Writes a Step1 LLM with seeded random weights in the released Hugging Face layout (<c>config.json</c>,
/// <c>model-0000N-of-0000M.safetensors</c> bf16 shards, <c>model.safetensors.index.json</c>), so the real-size memory
/// and speed of loading and training can be measured without the 7 GB download. Each tensor is drawn when its bytes are
/// due and freed right after: peak memory is about one tensor (the 74752 × 3072 embedding), not the model.
/// </summary>
public static class Step1RandomCheckpoint
{
    /// <summary>Upstream-like shard size: the 7.06 GB model in two shards.</summary>
    public const long DefaultShardBytes = 4_000_000_000;

    /// <summary>
    /// Writes <paramref name="config"/>'s weights to <paramref name="folder"/> in <paramref name="dtype"/> (bf16 as
    /// released), each tensor <see cref="InitialValue"/>. Returns the shard file names.
    /// </summary>
    public static IReadOnlyList<string> Write(string folder, Step1Config config, ulong seed = 42,
        long shardBytes = DefaultShardBytes, ScalarType dtype = ScalarType.BFloat16)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (shardBytes <= 0) throw new ArgumentOutOfRangeException(nameof(shardBytes), shardBytes, "shard size must be positive");
        Directory.CreateDirectory(folder);
        var shards = Plan(config, shardBytes, dtype);
        var names = Enumerable.Range(1, shards.Count).Select(i => $"model-{i:D5}-of-{shards.Count:D5}.safetensors").ToList();
        var map = new JsonObject();
        long total = 0;
        for (int s = 0; s < shards.Count; s++)
        {
            var byKey = shards[s].ToDictionary(e => e.Key, e => e.Shape);
            SafetensorsFile.SaveStreaming(Path.Combine(folder, names[s]), shards[s], key => InitialValue(key, byKey[key], seed, dtype));
            foreach (var e in shards[s])
            {
                map[e.Key] = names[s];
                total += e.Shape.Aggregate(1L, (a, b) => a * b) * SafetensorsFile.ElementSize(SafetensorsFile.ToName(dtype));
            }
        }
        var index = new JsonObject { ["metadata"] = new JsonObject { ["total_size"] = total }, ["weight_map"] = map };
        File.WriteAllText(Path.Combine(folder, HfCheckpointFiles.IndexName),
            index.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
        File.WriteAllText(Path.Combine(folder, "config.json"), config.ToJson(dtype == ScalarType.BFloat16 ? "bfloat16" : "float32"));
        return names;
    }

    /// <summary>
    /// Whether <paramref name="folder"/> already holds what <see cref="Write"/> writes for <paramref name="config"/>:
    /// the same config.json, an index, and every tensor of the model at its shape in an existing shard (headers only
    /// are read). Lets a re-run skip the 7 GB of shards.
    /// </summary>
    public static bool IsWritten(string folder, Step1Config config)
    {
        var configPath = Path.Combine(folder, "config.json");
        if (!File.Exists(configPath) || !File.Exists(Path.Combine(folder, HfCheckpointFiles.IndexName))) return false;
        try
        {
            if (Step1Config.FromJsonFile(configPath) != config) return false;
            using var files = HfCheckpointFiles.Open(folder);
            using var meta = new Step1ForCausalLM(config, torch.device(DeviceType.META));
            return meta.named_parameters().All(p =>
                files.KeyToFile.TryGetValue(p.name, out var f) && f.Entries[p.name].Shape.SequenceEqual(p.parameter.shape));
        }
        catch (InputException) { return false; }
    }

    /// <summary>
    /// Writes <c>tokenizer.model</c> for <paramref name="config"/> into <paramref name="folder"/>: the text pieces of
    /// <paramref name="sourceTokenizer"/> (e.g. configs/tiny-tokenizer.model) with the vocabulary re-laid to the
    /// config's size and audio offset (<see cref="SentencePieceVocabulary"/>), so prompts tokenize and the audio ids
    /// fit the model. Returns the file.
    /// </summary>
    public static string WriteTokenizer(string folder, Step1Config config, string sourceTokenizer)
    {
        ArgumentNullException.ThrowIfNull(config);
        var source = Step1TextTokenizer.Load(sourceTokenizer);
        int text = source.AudioTokenOffset ?? source.VocabSize;
        if (text > config.AudioTokenOffset)
            throw new InputException(sourceTokenizer, null, null,
                $"has {text} text pieces, more than the {config.AudioTokenOffset} text ids of the model", "use a smaller tokenizer");
        var bytes = SentencePieceVocabulary.Relayout(File.ReadAllBytes(sourceTokenizer), text, config.AudioTokenOffset,
            config.VocabSize - config.AudioTokenOffset);
        var path = Path.Combine(folder, "tokenizer.model");
        AtomicFile.Write(path, tmp => File.WriteAllBytes(tmp, bytes));
        return path;
    }

    /// <summary>The model's tensors (upstream key order: embedding, layers, norm, head) cut into shards of at most <paramref name="shardBytes"/>.</summary>
    static List<List<(string Key, ScalarType DType, long[] Shape)>> Plan(Step1Config config, long shardBytes, ScalarType dtype)
    {
        using var meta = new Step1ForCausalLM(config, torch.device(DeviceType.META));
        int element = SafetensorsFile.ElementSize(SafetensorsFile.ToName(dtype));
        var shards = new List<List<(string, ScalarType, long[])>> { new() };
        long size = 0;
        foreach (var (name, p) in meta.named_parameters())
        {
            long bytes = p.numel() * element;
            if (size + bytes > shardBytes && shards[^1].Count > 0) { shards.Add(new()); size = 0; }
            shards[^1].Add((name, dtype, p.shape));
            size += bytes;
        }
        return shards;
    }

    /// <summary>
    /// The value <see cref="Write"/> stores for <paramref name="key"/>: RMSNorm gains (1-D) 1, matrices N(0, 0.02²) from a
    /// generator seeded by (<paramref name="seed"/>, key), so a tensor does not depend on the shard layout or write order.
    /// </summary>
    public static Tensor InitialValue(string key, long[] shape, ulong seed, ScalarType dtype = ScalarType.BFloat16)
    {
        if (shape.Length == 1) return ones(shape, dtype);
        using var g = new Generator(seed ^ Fnv1a(key));
        var drawn = randn(shape, generator: g).mul_(0.02);
        if (dtype == ScalarType.Float32) return drawn;
        using (drawn) return drawn.to_type(dtype);
    }

    static ulong Fnv1a(string key)
    {
        ulong h = 14695981039346656037;
        foreach (char c in key) h = (h ^ c) * 1099511628211;
        return h;
    }
}
