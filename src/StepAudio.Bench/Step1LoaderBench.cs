using System.Diagnostics;
using StepAudio.Checkpoints;
using StepAudio.Llm;
using TorchSharp;
using static TorchSharp.torch;

namespace StepAudio.Bench;

/// <summary>
/// Loader memory benchmark: writes a synthetic bf16 sharded Step1 checkpoint of about the requested size, then (in a
/// fresh process) loads it into bf16 and reads the kernel's peak-RSS mark (<c>VmHWM</c>).
/// </summary>
public static class Step1LoaderBench
{
    /// <summary>A Step1 shape of at least <paramref name="bytes"/> in bf16 (hidden 2048, vocab 32000, layers to fit).</summary>
    public static Step1Config SyntheticConfig(long bytes)
    {
        long perLayer = 2048L * 2048 * 2 + 2L * 512 * 2048 + 3L * 2048 * 5504 + 2 * 2048;
        long fixedPart = 2L * 32000 * 2048 + 2048;
        int layers = (int)Math.Max(1, (bytes / 2 - fixedPart + perLayer - 1) / perLayer);
        return new Step1Config
        {
            HiddenSize = 2048, NumHiddenLayers = layers, NumAttentionHeads = 16, NumAttentionGroups = 4,
            IntermediateSize = 5504, VocabSize = 32000, MaxSeqLen = 4096,
        };
    }

    /// <summary>Writes config.json, shards of at most <paramref name="shardBytes"/> and the index into <paramref name="folder"/>.</summary>
    public static void Write(string folder, long bytes, long shardBytes = 400_000_000)
    {
        var config = SyntheticConfig(bytes);
        Directory.CreateDirectory(folder);
        using var meta = new Step1ForCausalLM(config, torch.device(DeviceType.META));
        var shapes = meta.named_parameters().Select(p => (p.name, p.parameter.shape)).ToList();
        var map = new System.Text.Json.Nodes.JsonObject();
        var shards = new List<List<(string, long[])>> { new() };
        long size = 0;
        foreach (var (name, shape) in shapes)
        {
            long b = shape.Aggregate(1L, (x, y) => x * y) * 2;
            if (size + b > shardBytes && shards[^1].Count > 0) { shards.Add(new()); size = 0; }
            shards[^1].Add((name, shape));
            size += b;
        }
        using var g = new Generator(7);
        for (int s = 0; s < shards.Count; s++)
        {
            var file = $"model-{s + 1:D5}-of-{shards.Count:D5}.safetensors";
            using var scope = NewDisposeScope();
            SafetensorsFile.Save(Path.Combine(folder, file),
                shards[s].Select(x => KeyValuePair.Create(x.Item1, (randn(x.Item2, generator: g) * 0.02).to_type(ScalarType.BFloat16))));
            foreach (var (name, _) in shards[s]) map[name] = file;
        }
        var index = new System.Text.Json.Nodes.JsonObject { ["metadata"] = new System.Text.Json.Nodes.JsonObject(), ["weight_map"] = map };
        File.WriteAllText(Path.Combine(folder, HfCheckpointFiles.IndexName), index.ToJsonString());
        File.WriteAllText(Path.Combine(folder, "config.json"), config.ToJson());
    }

    /// <summary>Loads the checkpoint in <paramref name="folder"/> into bf16 and reports peak RSS (call in a fresh process).</summary>
    public static Step1LoaderBenchResult Load(string folder)
    {
        using (var warm = zeros(1)) { }
        long before = ProcStatus.Bytes("VmRSS");
        long disk = Directory.GetFiles(folder, "*.safetensors").Sum(f => new FileInfo(f).Length);
        var sw = Stopwatch.StartNew();
        var (model, report) = Step1Checkpoint.Load(folder, ScalarType.BFloat16);
        sw.Stop();
        long peak = ProcStatus.Bytes("VmHWM");
        if (!report.IsExact) throw new InvalidOperationException(report.ToString());
        model.Dispose();
        return new Step1LoaderBenchResult(disk, before, peak, sw.Elapsed.TotalSeconds);
    }
}

/// <summary>Peak resident memory while loading a checkpoint, against its size on disk.</summary>
public sealed record Step1LoaderBenchResult(long CheckpointBytes, long RssBeforeBytes, long PeakRssBytes, double Seconds)
{
    /// <summary>Peak RSS of the whole process (runtime and libtorch included) over the checkpoint size.</summary>
    public double PeakOverSize => (double)PeakRssBytes / CheckpointBytes;
    /// <summary>Peak RSS growth during the load over the checkpoint size.</summary>
    public double GrowthOverSize => (double)(PeakRssBytes - RssBeforeBytes) / CheckpointBytes;
}
