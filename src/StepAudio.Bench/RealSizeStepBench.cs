using System.Diagnostics;
using StepAudio.Checkpoints;
using StepAudio.Llm;
using StepAudio.Platform;
using StepAudio.Training;
using StepAudio.Training.Planning;
using TorchSharp;
using static TorchSharp.torch;

namespace StepAudio.Bench;

/// <summary>
/// One stage-1 training step at the real size: the Step1 folder loaded with a bf16 frozen base, float32 LoRA (r 8,
/// alpha 32, dropout 0.05 on q/k/v, as the default config trains) and AdamW, on one sequence of random ids whose first
/// <c>prompt</c> positions are not scored. Reports the step times and the process's peak RSS (VmHWM). The PyTorch
/// side (scripts/bench_real_size_torch.py) draws the same ids from the same rule.
/// </summary>
public static class RealSizeStepBench
{
    /// <summary>
    /// Loads <paramref name="folder"/> with a <paramref name="baseDtype"/> base (default bf16) and runs
    /// <paramref name="steps"/> steps on <paramref name="tokens"/> tokens (<paramref name="checkpointing"/>: per-layer
    /// activation checkpointing) on <paramref name="device"/> (default CPU; scripts/gpu-check.sh passes cuda).
    /// </summary>
    public static RealSizeStepResult Run(string folder, int tokens, int prompt, int steps, int threads, bool checkpointing = false,
        ScalarType baseDtype = ScalarType.BFloat16, Device? device = null)
    {
        device ??= CPU;
        torch.set_num_threads(threads);
        var load = Stopwatch.StartNew();
        var (model, _) = Step1Checkpoint.Load(folder, baseDtype, device);
        using var _model = model;
        load.Stop();
        long afterLoad = ProcStatus.Bytes("VmRSS");
        Step1Lora.Inject(model, new LoraConfig());
        model.model.GradientCheckpointing = checkpointing;
        using var cpuIds = arange(tokens, ScalarType.Int64).mul_(7919).remainder_(model.Config.AudioTokenOffset - 4).add_(4).unsqueeze(0);
        using var cpuLabels = cpuIds.clone();
        cpuLabels[.., ..prompt] = tensor(CausalLmLoss.IgnoreIndex);
        using var ids = cpuIds.to(device);
        using var labels = cpuLabels.to(device);
        model.train();
        using var optimizer = new ContiguousAdamW(Step1Lora.TrainableParameters(model), lr: 1e-4, weight_decay: 0.01);
        var seconds = new List<double>();
        var cpuSeconds = new List<double>();
        double loss0 = double.NaN;
        for (int step = 0; step < steps; step++)
        {
            var sw = Stopwatch.StartNew();
            double cpu = MatmulPeak.CpuSeconds();
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            using (CpuConvolutionGuard.OneDnnProductsFor(model.LmHeadWeight))
            {
                var (_, loss) = model.forward(ids, labels);
                loss.backward();
                if (step == 0) loss0 = loss.item<float>();
            }
            optimizer.step();
            if (device.type == DeviceType.CUDA) torch.cuda.synchronize(device);   // GPU work is asynchronous: time it to its end
            seconds.Add(sw.Elapsed.TotalSeconds);
            cpuSeconds.Add(MatmulPeak.CpuSeconds() - cpu);
        }
        long bytes = Directory.GetFiles(folder, "*.safetensors").Sum(f => new FileInfo(f).Length);
        var flops = StepFlops.Step1Lora(model.Config, new LoraConfig(), 1, tokens, checkpointing: checkpointing);
        return new RealSizeStepResult(bytes, load.Elapsed.TotalSeconds, afterLoad, ProcStatus.Bytes("VmHWM"), loss0, seconds, cpuSeconds, flops);
    }
}

/// <summary>Checkpoint size, load time, RSS after the load, peak RSS, step-0 loss, each step's wall and CPU seconds, and the step's FLOPs.</summary>
public sealed record RealSizeStepResult(long CheckpointBytes, double LoadSeconds, long RssAfterLoadBytes, long PeakRssBytes,
    double Step0Loss, IReadOnlyList<double> StepSeconds, IReadOnlyList<double> StepCpuSeconds, StepFlopCount Flops);

/// <summary>Fields of <c>/proc/self/status</c>.</summary>
public static class ProcStatus
{
    /// <summary>A kB field (<c>VmRSS</c>, <c>VmHWM</c>) in bytes.</summary>
    public static long Bytes(string field) =>
        Training.Planning.SystemMemory.Process(field) ?? throw new InvalidOperationException($"/proc/self/status has no {field}");
}
