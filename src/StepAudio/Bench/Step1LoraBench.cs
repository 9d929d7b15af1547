using System.Diagnostics;
using StepAudio.Checkpoints;
using StepAudio.Llm;
using StepAudio.Platform;
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
        Step1Lora.Inject(model, c.Lora);
        StateDictLoader.Load(model, files, c.BaseDtype, CPU, strict: false);
        foreach (var lora in model.modules().OfType<LoraLinear>())
        {
            lora.lora_A.to(ScalarType.Float32);   // LoRA in float32 over a bf16 base (PEFT's autocast_adapter_dtype)
            lora.lora_B.to(ScalarType.Float32);
        }
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
        double step0 = 0;
        var sw = new Stopwatch();
        for (int step = 0; step <= c.Steps; step++)
        {
            if (step == 1) sw.Start();
            using var scope = NewDisposeScope();
            Tensor? loss;
            optimizer.zero_grad();
            // The forward opens the oneDNN product scope itself; the backward's bf16 products need it too.
            using (CpuConvolutionGuard.OneDnnProductsFor(model.lm_head.weight!))
            {
                var (_, loss0) = model.forward(ids, labels);
                loss0.backward();
                loss = loss0;
            }
            optimizer.step();
            if (step == 0) step0 = loss!.item<float>();
        }
        sw.Stop();
        return new Step1BenchResult(c.Name, step0, sw.Elapsed.TotalMilliseconds / c.Steps, c.Steps, threads);
    }
}
