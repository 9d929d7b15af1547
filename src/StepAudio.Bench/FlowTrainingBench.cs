using System.Diagnostics;
using System.Text.Json.Nodes;
using System.Text.Json;
using StepAudio.Checkpoints;
using StepAudio.Flow;
using StepAudio.Training;
using StepAudio.Training.Planning;
using TorchSharp;
using static TorchSharp.torch;

namespace StepAudio.Bench;

/// <summary>
/// A CFM training step of the flow (frozen encoder, trainable DiT and speaker projection, AdamW) for
/// <c>scripts/bench-flow.sh</c>, which runs the same maths in PyTorch on the same files. <see cref="Prepare"/> writes
/// <c>weights.safetensors</c> (upstream keys), <c>inputs.safetensors</c> (batch and every random draw) and
/// <c>config.json</c> into a folder; <see cref="Run"/> loads them and times the steps.
/// Sizes: <c>tiny</c> (the fixtures' flow, batch 2, 18 mel frames), <c>small</c> (the real encoder, DiT depth 8,
/// hidden 512, 8 heads, batch 4, 400 mel frames) and <c>real</c> (the released flow, DiT depth 16; batch 4 of up to
/// 10 s: 500 mel frames at 50 Hz = 250 dual-token frames, unequal lengths so padding is masked).
/// </summary>
public static class FlowTrainingBench
{
    /// <summary>AdamW settings shared with the PyTorch side.</summary>
    public const double LearningRate = 1e-4, WeightDecay = 0.01;

    /// <summary>The model configuration of a bench size.</summary>
    public static FlowConfig SizeConfig(string size) => size switch
    {
        "tiny" => FlowConfig.Tiny,
        "small" => FlowConfig.StepAudioEditX with { Estimator = new DitConfig { Depth = 8, HiddenSize = 512, NumHeads = 8, HeadDim = 64 } },
        "real" => FlowConfig.StepAudioEditX,
        _ => throw UnknownSize(size),
    };

    /// <summary>Dual-token lengths of the batch (mel frames are twice these); the first is the padded length.</summary>
    public static long[] TokenLengths(string size) => size switch
    {
        "tiny" => new long[] { 9, 6 },
        "small" => new long[] { 200, 170, 185, 150 },
        "real" => new long[] { 250, 230, 240, 200 },
        _ => throw UnknownSize(size),
    };

    /// <summary>The sizes <see cref="SizeConfig"/> and <see cref="TokenLengths"/> know.</summary>
    public static IReadOnlyList<string> Sizes { get; } = ["tiny", "small", "real"];

    static ArgumentException UnknownSize(string size) =>
        new($"unknown bench size '{size}' ({string.Join(", ", Sizes)})", nameof(size));

    /// <summary>Writes seeded random weights, a padded batch and the CFM draws for <paramref name="size"/>.</summary>
    public static void Prepare(string dir, string size, int seed = 0)
    {
        Directory.CreateDirectory(dir);
        using var scope = NewDisposeScope();
        var config = SizeConfig(size);
        manual_seed(seed);
        using var model = new CausalMaskedDiffWithXvec(config);
        SafetensorsFile.Save(Path.Combine(dir, "weights.safetensors"), model.state_dict());

        var g = new Generator((ulong)seed + 1);
        var lens = TokenLengths(size);
        long t = lens[0], b = lens.Length;
        var token = randint(0, config.VocabSize, new long[] { b, t, 2 }, generator: g);
        for (int i = 0; i < b; i++)
            if (lens[i] < t) token[i].narrow(0, lens[i], t - lens[i]).fill_(-1);
        var featLen = tensor(lens.Select(l => 2 * l).ToArray());
        var feat = randn(new long[] { b, 2 * t, config.OutputSize }, generator: g);
        var emb = randn(new long[] { b, config.SpkEmbedDim }, generator: g);
        using var draws = CfmDraws.Sample(g, featLen.data<long>().ToArray(), 2 * t, config.Cfm, config.OutputSize);
        SafetensorsFile.Save(Path.Combine(dir, "inputs.safetensors"), new Dictionary<string, Tensor>
        {
            ["speech_token"] = token, ["speech_token_len"] = tensor(lens), ["speech_feat"] = feat,
            ["speech_feat_len"] = featLen, ["embedding"] = emb,
            ["draws.t"] = draws.T, ["draws.z"] = draws.Z, ["draws.cfg_keep"] = draws.CfgKeep, ["draws.prompt_len"] = draws.PromptLen,
        });
        File.WriteAllText(Path.Combine(dir, "config.json"), ToJson(config, size));
    }

    /// <summary>
    /// Loads a prepared folder and times <paramref name="steps"/> training steps after <paramref name="warmup"/>
    /// (median and mean ms per step); also reports the process's peak RSS (VmHWM), so run it in a fresh process.
    /// </summary>
    public static FlowBenchResult Run(string dir, int steps, int warmup, int threads)
    {
        int before = torch.get_num_threads();
        torch.set_num_threads(threads);
        try { return RunSteps(dir, steps, warmup, threads); }
        finally { torch.set_num_threads(before); }
    }

    static FlowBenchResult RunSteps(string dir, int steps, int warmup, int threads)
    {
        var configPath = Path.Combine(dir, "config.json");
        var (size, config) = InputException.ReadingJson(configPath, () =>
        {
            var json = JsonNode.Parse(File.ReadAllText(configPath))!;
            return (json["size"]!.GetValue<string>(), FlowConfig.FromJson(JsonDocument.Parse(json.ToJsonString()).RootElement));
        });
        using var scope = NewDisposeScope();
        using var model = new CausalMaskedDiffWithXvec(config);
        FlowCheckpoint.Load(model, Path.Combine(dir, "weights.safetensors"));
        var trainable = model.FreezeEncoder(trainSpeakerProjection: true);
        model.train();
        var io = SafetensorsFile.LoadAll(Path.Combine(dir, "inputs.safetensors"));
        var batch = new FlowBatch(io["speech_token"], io["speech_token_len"], io["speech_feat"], io["speech_feat_len"], io["embedding"]);
        var draws = new CfmDraws(io["draws.t"], io["draws.z"], io["draws.cfg_keep"], io["draws.prompt_len"]);
        // AdamW's maths in one pass over all the DiT's tensors (PyTorch's default AdamW loops over them one by one).
        var opt = new ContiguousAdamW(trainable, LearningRate, weight_decay: WeightDecay);
        double loss0 = double.NaN;
        var times = new List<double>();
        double cpuSeconds = 0;
        for (int step = 0; step < warmup + steps; step++)
        {
            var sw = Stopwatch.StartNew();
            double cpu = MatmulPeak.CpuSeconds();
            using var stepScope = NewDisposeScope();
            opt.zero_grad();
            var loss = model.ComputeLoss(batch, draws).Loss;
            loss.backward();
            opt.step();
            double value = loss.item<float>();
            if (step == 0) loss0 = value;
            if (step >= warmup)
            {
                times.Add(sw.Elapsed.TotalMilliseconds);
                cpuSeconds += MatmulPeak.CpuSeconds() - cpu;
            }
        }
        times.Sort();
        double median = times.Count == 0 ? double.NaN : times[times.Count / 2];
        var lens = batch.SpeechFeatLen;
        var flops = StepFlops.FlowStep(config, (int)lens.shape[0], (int)batch.SpeechFeat.shape[1]);
        return new FlowBenchResult(size, loss0, median, times.Count == 0 ? double.NaN : times.Average(), steps, threads,
            trainable.Sum(p => p.numel()), ProcStatus.Bytes("VmHWM"), flops, times.Count == 0 ? double.NaN : cpuSeconds / times.Count);
    }

    /// <summary>The configuration in the fixtures' snake_case layout (read back by <see cref="FlowConfig.FromJson"/> and by Python).</summary>
    public static string ToJson(FlowConfig c, string size)
    {
        var json = c.ToJson();
        json["size"] = size;
        json["optim"] = new JsonObject { ["lr"] = LearningRate, ["weight_decay"] = WeightDecay };
        return json.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }
}

/// <summary>
/// One side's figures from <see cref="FlowTrainingBench.Run"/>: median (<paramref name="MsPerStep"/>) and mean step
/// times, the process's peak RSS so far (<paramref name="PeakRssBytes"/>, VmHWM), the step's FLOPs (padded batch) and
/// its mean CPU seconds.
/// </summary>
public sealed record FlowBenchResult(string Size, double Step0Loss, double MsPerStep, double MeanMsPerStep, int Steps, int Threads,
    long TrainableParameters, long PeakRssBytes, StepFlopCount Flops, double CpuSecondsPerStep);
