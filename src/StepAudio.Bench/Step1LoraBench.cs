using System.Diagnostics;
using StepAudio.Checkpoints;
using StepAudio.Llm;
using StepAudio.Platform;
using StepAudio.Training.Planning;
using TorchSharp;
using static TorchSharp.torch;

namespace StepAudio.Bench;

/// <summary>
/// LoRA training-step benchmark. <see cref="WriteCase"/> stores weights, LoRA A/B and a batch in one safetensors file
/// that this side and the PyTorch reference (scripts/bench_llm_torch.py) both load, so their step-0 losses agree.
/// </summary>
public static class Step1LoraBench
{
    /// <summary>Writes the case's random weights (HF keys), <c>lora.*</c> tensors, <c>input_ids</c> and <c>labels</c>.</summary>
    public static void WriteCase(Step1BenchCase c, string path, ulong seed = 1234)
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(seed);
        using var model = new Step1ForCausalLM(c.Config, torch.device(DeviceType.META));
        Step1Lora.Inject(model, c.Lora);
        var tensors = new List<KeyValuePair<string, Tensor>>();
        foreach (var (name, p) in model.named_parameters())
        {
            Tensor t = p.dim() == 1 ? 1 + 0.1 * randn(p.shape, generator: g)
                : name.Contains(".lora_B.") ? zeros(p.shape)
                : (rand(p.shape, generator: g) * 2 - 1) / Math.Sqrt(p.shape[1]);
            tensors.Add(KeyValuePair.Create(Step1Lora.IsLoraParameter(name) ? "lora." + name : name, t));
        }
        var ids = randint(4, c.Config.VocabSize, new long[] { c.Batch, c.SeqLen }, generator: g);
        var labels = ids.clone();
        labels[.., ..(c.SeqLen / 4)] = tensor(CausalLmLoss.IgnoreIndex);
        tensors.Add(KeyValuePair.Create("input_ids", ids));
        tensors.Add(KeyValuePair.Create("labels", labels));
        SafetensorsFile.Save(path, tensors, new Dictionary<string, string> { ["config"] = c.Config.ToJson("float32") });
    }

    /// <summary>Loads the case file and times <see cref="Step1BenchCase.Steps"/> training steps after one warm-up step.</summary>
    public static Step1BenchResult Run(Step1BenchCase c, string path, int threads)
    {
        torch.set_num_threads(threads);
        using var files = HfCheckpointFiles.Open(path);
        using var model = new Step1ForCausalLM(c.Config, torch.device(DeviceType.META));
        StateDictLoader.Load(model, files, c.BaseDtype, CPU, strict: false);
        Step1Lora.Inject(model, c.Lora);   // after the load: the adapters take their dtype from the loaded base
        model.model.GradientCheckpointing = c.GradientCheckpointing;
        using (no_grad())
            foreach (var (name, p) in model.named_parameters().Where(p => Step1Lora.IsLoraParameter(p.name)))
            {
                using var t = files.KeyToFile["lora." + name].Read("lora." + name);
                p.copy_(t);
            }
        using var ids = files.KeyToFile["input_ids"].Read("input_ids");
        using var labels = files.KeyToFile["labels"].Read("labels");
        model.train();
        var optimizer = optim.AdamW(Step1Lora.TrainableParameters(model), lr: 1e-4, weight_decay: 0.01);
        double step0 = 0, cpu = 0;
        var sw = new Stopwatch();
        for (int step = 0; step <= c.Steps; step++)
        {
            if (step == 1)
            {
                sw.Start();
                cpu = MatmulPeak.CpuSeconds();
            }
            using var scope = NewDisposeScope();
            Tensor? loss;
            optimizer.zero_grad();
            // The forward opens the oneDNN product scope itself; the backward's bf16 products need it too.
            using (CpuConvolutionGuard.OneDnnProductsFor(model.LmHeadWeight))
            {
                var (_, loss0) = model.forward(ids, labels);
                loss0.backward();
                loss = loss0;
            }
            optimizer.step();
            if (step == 0) step0 = loss!.item<float>();
        }
        sw.Stop();
        return new Step1BenchResult(c.Name, step0, sw.Elapsed.TotalMilliseconds / c.Steps, c.Steps, threads,
            (MatmulPeak.CpuSeconds() - cpu) / c.Steps);
    }
}

/// <summary>One LoRA training benchmark: a model size, a batch shape and a step count.</summary>
public sealed record Step1BenchCase(string Name, Step1Config Config, int Batch, int SeqLen, int Steps, LoraConfig Lora)
{
    /// <summary>The frozen base weights' dtype (bf16 is how the real 3.5B model trains on a CPU); LoRA stays float32.</summary>
    public ScalarType BaseDtype { get; init; } = ScalarType.Float32;

    /// <summary>Per-layer activation checkpointing (<see cref="Step1Model.GradientCheckpointing"/>).</summary>
    public bool GradientCheckpointing { get; init; }

    /// <summary>The analytic FLOPs of one step (<see cref="StepFlops.Step1Lora"/>).</summary>
    public StepFlopCount Flops => StepFlops.Step1Lora(Config, Lora, Batch, SeqLen, checkpointing: GradientCheckpointing);

    /// <summary>
    /// A case by name: <c>tiny</c>, <c>small</c>, or either with <c>-bf16</c> (bf16 base, float32 LoRA) and/or
    /// <c>-ckpt</c> (activation checkpointing; same case file).
    /// </summary>
    public static Step1BenchCase Named(string name, int steps)
    {
        bool ckpt = name.EndsWith("-ckpt", StringComparison.Ordinal);
        var bare = ckpt ? name[..^5] : name;
        bool bf16 = bare.EndsWith("-bf16", StringComparison.Ordinal);
        var c = bare.Replace("-bf16", "", StringComparison.Ordinal) switch
        {
            "tiny" => Tiny(steps),
            "small" => Small(steps),
            _ => throw new InputException("--cases", null, null, $"unknown case '{name}'", "use tiny or small, optionally with -bf16 and then -ckpt"),
        };
        return c with { Name = name, BaseDtype = bf16 ? ScalarType.BFloat16 : ScalarType.Float32, GradientCheckpointing = ckpt };
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

/// <summary>Step-0 loss, time and process CPU seconds per LoRA training step (forward, loss, backward, AdamW).</summary>
public sealed record Step1BenchResult(string Name, double Step0Loss, double MsPerStep, int TimedSteps, int Threads, double CpuSecondsPerStep);
